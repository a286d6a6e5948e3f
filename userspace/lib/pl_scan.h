/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - the binary range scan (PAGELAB_IOC_SCAN) from user space: the
 * call, a whole range gathered across calls, and the categories' names.
 */
#ifndef PL_SCAN_H
#define PL_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi/pagelab.h"

/* One PAGELAB_IOC_SCAN on device fd @fd: 0 or -errno. */
int pl_scan(int fd, struct pagelab_scan *s);

/* What to scan: a process, a range and the category masks. */
struct pl_scan_req {
	pid_t pid;		/* 0: the caller */
	uint64_t start, end;
	uint64_t required, any, excluded;
	uint64_t max_pages;	/* 0: no limit */
	uint32_t batch;		/* runs per call (0: 4096) */
	uint32_t flags;		/* PAGELAB_SCAN_F_* */
};

/*
 * Every run of @q's range, over as many calls as it takes (each resuming
 * at the last one's walk_end), into *@runs (malloc'd; free() it), *@n of
 * them; *@calls (may be NULL) gets the number of calls.  0 or -errno.
 */
int pl_scan_all(int fd, const struct pl_scan_req *q, struct pagelab_scan_run **runs,
		size_t *n, unsigned int *calls);

/*
 * The runs of @q's range (its max_pages ignored) a batch at a time, each
 * batch passed to @fn as it comes (no call's runs are kept): 0, @fn's
 * non-zero return, or -errno.
 */
int pl_scan_each(int fd, const struct pl_scan_req *q,
		 int (*fn)(const struct pagelab_scan_run *runs, size_t n, void *arg), void *arg);

/* The name of category bit @bit ("present", ...), NULL past the last. */
const char *pl_scan_cat_name(unsigned int bit);
/* Its meaning in words. */
const char *pl_scan_cat_words(unsigned int bit);
/*
 * Parse "present,anon" (names, ',' or '|' between; "" is 0) into *@mask.
 * 0, or -1 with the first unknown name copied into @buf (@len bytes,
 * NUL-terminated).
 */
int pl_scan_cats_parse(const char *s, uint64_t *mask, char *buf, size_t len);
/* @cats as "present|write|anon" ("-" for none) in @buf; returns @buf. */
char *pl_scan_cats_str(uint64_t cats, char *buf, size_t len);

#endif /* PL_SCAN_H */
