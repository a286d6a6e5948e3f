/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpagelab - thin wrappers around /dev/pagelab for the CLI, the tests and
 * the benchmarks.  Every function returns 0 or a negative errno.
 */
#ifndef PAGELAB_LIB_H
#define PAGELAB_LIB_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi/pagelab.h"

/* Open /dev/pagelab (O_RDWR | O_CLOEXEC); returns an fd or -errno. */
int pl_open(void);
/* A one-line hint for an error from pl_open(), for people to read. */
const char *pl_open_hint(int err);
int pl_version(int fd, struct pagelab_version *v);
int pl_info(int fd, struct pagelab_info *info);
/* Read one "key value" line of /sys/kernel/debug/pagelab/stats. */
int pl_debugfs_stat(const char *key, unsigned long long *val);

/*
 * Objects.  @fd is /dev/pagelab.  pl_create() makes an object of @size bytes
 * (@name may be NULL for none; @mode 0 means 0600; the kernel's fault-around
 * window) and returns its new fd and id (@out_fd NULL: the fd is closed, and
 * the object with it; either out pointer may be NULL).  A name of 32 bytes
 * or more is passed unterminated, for the kernel to refuse.  pl_create_raw()
 * passes a whole struct through unchanged, for callers that set fault_around
 * or want to send exactly what they built.
 */
int pl_create(int fd, __u64 size, __u64 flags, __u32 mode, const char *name,
	      int *out_fd, __u64 *out_id);
int pl_create_raw(int fd, struct pagelab_create *c);
/* Open object @id: a new fd, O_RDONLY with PAGELAB_ATTACH_RDONLY. */
int pl_attach(int fd, __u64 id, __u64 flags, int *out_fd);
/* @fd: /dev/pagelab with an id, or an object fd with id 0 (itself). */
int pl_obj_stat(int fd, __u64 id, struct pagelab_obj_stat *st);

/*
 * /sys/kernel/debug/pagelab/objects: one line per live object, as
 * "id=1 name=foo size=4096 ... mode=0600 fault_around_pages=16"; an empty
 * name is printed as "-".  pl_obj_parse() fills @st from one line (keys it
 * does not know are skipped; -EINVAL without an id).  pl_debugfs_object()
 * finds object @id (-ENOENT if it has no line); pl_debugfs_objects() calls
 * @fn for each line, stopping at the first non-zero return, which it returns.
 */
int pl_obj_parse(const char *line, struct pagelab_obj_stat *st);
int pl_debugfs_object(__u64 id, struct pagelab_obj_stat *st);
int pl_debugfs_objects(int (*fn)(const struct pagelab_obj_stat *st, void *arg), void *arg);

/* /sys/module/pagelab/parameters/NAME as a number (max_pages, max_object_pages). */
int pl_param_read(const char *name, unsigned long long *val);
int pl_param_write(const char *name, unsigned long long val);

/*
 * /proc/PID/pagemap (pid 0: self): the 64-bit entry for the page holding
 * @vaddr.  The PFN reads as 0 without CAP_SYS_ADMIN.
 */
int pl_pagemap(pid_t pid, unsigned long vaddr, uint64_t *entry);

#define PL_PM_PFN_MASK		((UINT64_C(1) << 55) - 1)	/* bits 0-54 */
#define PL_PM_SOFT_DIRTY	(UINT64_C(1) << 55)
#define PL_PM_EXCLUSIVE		(UINT64_C(1) << 56)	/* mapped by this process only */
#define PL_PM_FILE		(UINT64_C(1) << 61)	/* file page or shared anon */
#define PL_PM_SWAPPED		(UINT64_C(1) << 62)
#define PL_PM_PRESENT		(UINT64_C(1) << 63)

static inline uint64_t pl_pm_pfn(uint64_t e)
{
	return e & PL_PM_PFN_MASK;
}

static inline bool pl_pm_present(uint64_t e)
{
	return e & PL_PM_PRESENT;
}

static inline bool pl_pm_swapped(uint64_t e)
{
	return e & PL_PM_SWAPPED;
}

static inline bool pl_pm_exclusive(uint64_t e)
{
	return e & PL_PM_EXCLUSIVE;
}

static inline bool pl_pm_soft_dirty(uint64_t e)
{
	return e & PL_PM_SOFT_DIRTY;
}

/*
 * The shared zero page's PFN, as pagemap shows it for a read of fresh
 * private anonymous memory (THP off for it).  -EPERM if pagemap hides PFNs
 * (not CAP_SYS_ADMIN).
 */
int pl_zero_pfn(uint64_t *pfn);

/* A "Key:   N kB" line of /proc/PID/status (pid 0: self), e.g. "VmRSS". */
int pl_status_kb(pid_t pid, const char *key, unsigned long long *kb);

/*
 * Rss of this process's mapping that starts at @start, from /proc/self/smaps:
 * a page-table walk, so exact (the zero page's special PTEs are not counted).
 */
int pl_smaps_rss_kb(const void *start, unsigned long long *kb);

#endif /* PAGELAB_LIB_H */
