/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - one address's walk as a structure (PAGELAB_IOC_WALK) from user
 * space: the call, the structure as struct pl_walk_result (what the text,
 * the table and Graphviz are drawn from), and its JSON; a range walk's
 * JSON, made from its parsed runs.
 */
#ifndef PL_WALK_H
#define PL_WALK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "pagelab_lib.h"
#include "uapi/pagelab.h"

/*
 * Walk @addr of process @pid (0: the caller), or of the kernel with
 * @kernel, through device fd @fd: 0 with the answer in *@k, or -errno.
 */
int pl_walk_ioctl(int fd, pid_t pid, bool kernel, uint64_t addr, struct pagelab_walk *k);

/* The names of an entry's PAGELAB_E_* @bits and key @pkey: "P|RW|U" or "-". */
void pl_walk_bits_names(uint32_t bits, unsigned int pkey, char *buf, size_t len);

/*
 * @k, the answer for @pid (or the kernel's, @kernel), as the text answer's
 * parse would give it.  0, or -EINVAL (a level or length out of range,
 * with the reason in @w->err).
 */
int pl_walk_from_struct(const struct pagelab_walk *k, bool kernel, pid_t pid,
			struct pl_walk_result *w);

/*
 * @w as one JSON object on one line: pid (or "kernel"), addr, levels, vma
 * (user walks), entries (PGD first; "PGD-user" after it under PTI; a
 * folded P4D as {"level":"P4D","folded":true}), leaf, page and absent
 * (null when there is none).
 */
void pl_walk_print_json(FILE *f, const struct pl_walk_result *w);

/*
 * A range walk's text @answer (debugfs) as one JSON object on one line:
 * pid, start, end, levels, runs (each start, end, pages, then absent, the
 * reason, or size, pfn, flags, kind and excl) and pages.  0, or -EINVAL
 * (the answer does not parse: nothing printed, the reason in @err, @errlen
 * bytes) or -ENOMEM.
 */
int pl_walk_range_print_json(FILE *f, const char *answer, char *err, size_t errlen);

/*
 * One run of a range walk as a JSON object, after @sep: start, end, pages,
 * then absent (the reason), or size, pfn, flags, kind and excl; object and
 * index when it names a pagelab object's pages.
 */
void pl_walk_run_print_json(FILE *f, const struct pl_walk_run *run, const char *sep);

#endif /* PL_WALK_H */
