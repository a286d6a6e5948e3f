/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpagelab - the device's ioctls as calls, for the CLI, the tests and the
 * benchmarks, and the small /proc, /sys and debugfs readers they share.
 * Every function returns 0 or a negative errno.  The rest of the library,
 * one file per interface: pl_walk_text.h (the debugfs walk file),
 * pl_walk.h (PAGELAB_IOC_WALK), pl_scan.h, pl_phys.h, pl_mem.h, pl_heap.h,
 * pl_replay.h (the replacement engine), pl_cli.h (the commands' helpers).
 */
#ifndef PAGELAB_LIB_H
#define PAGELAB_LIB_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi/pagelab.h"

/*
 * read() exactly @len bytes (retrying EINTR and short reads) / write() them
 * in one call: 0, -errno, or -EIO at end of file or on a short write.
 */
int pl_read_full(int fd, void *buf, size_t len);
int pl_write_full(int fd, const void *buf, size_t len);

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
 * Snapshot object @src_id (PAGELAB_IOC_CLONE): @fd is /dev/pagelab with an
 * id, or an object fd with id 0 (itself).  @mode 0 means 0600; @name may be
 * NULL for none (too long a name goes in unterminated, as for pl_create()).
 * The whole answer (fd, id, shared, copied) in *@out; with @out NULL the new
 * fd is closed, and the clone with it.
 */
int pl_clone(int fd, __u64 src_id, __u32 mode, const char *name, struct pagelab_clone *out);
/*
 * Merge identical pages of the @nids objects in @ids (PAGELAB_IOC_MERGE on
 * /dev/pagelab, flags 0); the counts in *@out (may be NULL).  @ids and
 * @nids go to the kernel unchecked, for the tests of bad input.
 */
int pl_merge(int fd, const __u64 *ids, unsigned int nids, struct pagelab_merge *out);
/* PAGELAB_IOC_BUDDY: take a block of @order (0 or -errno; @out filled). */
int pl_buddy_alloc(int fd, unsigned int order, struct pagelab_buddy *out);
/* The same with struct pagelab_buddy's @flags (PAGELAB_BUDDY_NOWAIT). */
int pl_buddy_take(int fd, unsigned int order, __u32 flags, struct pagelab_buddy *out);
/* PAGELAB_IOC_PHYSMAP and its readers: pl_phys.h. */
/* Give block @handle back (0 or -errno; @out filled). */
int pl_buddy_free(int fd, __u64 handle, struct pagelab_buddy *out);
/* PAGELAB_IOC_SLAB: @op with @size, @align and @handle as it takes them (0 or -errno). */
int pl_slab(int fd, __u32 op, __u32 size, __u32 align, __u64 handle, struct pagelab_slab *out);
/* /sys/kernel/slab/@cache/@attr's first number, or -1. */
long long pl_slab_attr(const char *cache, const char *attr);

/*
 * /sys/kernel/debug/pagelab/objects: one line per live object, KEY=VALUE
 * words in no fixed order: id= name= (an empty name is "-") size=
 * resident= mappers= files= shared= budget= policy= (a number or a name)
 * store_pages= store=file|module delay_ms= uid= gid= mode= (octal)
 * fault_around_pages= huge=, then every counter of
 * uapi/pagelab_counters.h by its name.  Older modules print fewer keys.
 * pl_obj_parse() fills @st from one line (keys it does not know are
 * skipped, keys it misses stay 0; -EINVAL without an id).
 * pl_debugfs_object() finds object @id (-ENOENT if it has no line);
 * pl_debugfs_objects() calls @fn for each line, stopping at the first
 * non-zero return, which it returns.
 */
int pl_obj_parse(const char *line, struct pagelab_obj_stat *st);
int pl_debugfs_object(__u64 id, struct pagelab_obj_stat *st);
int pl_debugfs_objects(int (*fn)(const struct pagelab_obj_stat *st, void *arg), void *arg);

/*
 * Page replacement (ABI 1.3).  pl_replace() sets object @objfd's frame
 * budget (PAGELAB_IOC_REPLACE; @objfd an object fd opened O_RDWR): @budget
 * frames at most (0: no budget, @policy then ignored), PAGELAB_POLICY_*
 * @policy, PAGELAB_REPLACE_* @flags, @seed for the random policy; the
 * module's store, no page-in delay.  pl_replace_store() (ABI 1.4) the same
 * with @store_fd and @delay_ms passed as they are: with PAGELAB_REPLACE_FILE
 * in @flags, @store_fd is the backing file's fd (open O_RDWR, at least the
 * object's size, not writable by others); without it @store_fd must be 0.
 * @delay_ms: sleep on each page-in, 0..PAGELAB_PAGEIN_DELAY_MAX_MS.
 * pl_replace_raw() passes a whole struct unchanged, for the tests of bad
 * input.
 */
int pl_replace(int objfd, __u32 budget, __u32 policy, __u64 flags, __u64 seed);
int pl_replace_store(int objfd, __u32 budget, __u32 policy, __u64 flags, __u64 seed,
		     int store_fd, __u32 delay_ms);
int pl_replace_raw(int objfd, const struct pagelab_replace *r);
/* A one-line hint for an error from pl_replace_store() with a backing file. */
const char *pl_store_hint(int err);
/*
 * Open the file @path as the backing store of an object of @size bytes:
 * created if missing (mode 0600), opened O_RDWR | O_CLOEXEC; a regular file
 * is then made exactly @size bytes long (ftruncate: its pages past @size
 * are cut, a shorter one grows holes).  Anything else (a FIFO, a device) is
 * opened as it is, for the module to refuse.  Never deleted here.  The fd,
 * or -errno.
 */
int pl_store_open(const char *path, __u64 size);

/*
 * Belady's optimal policy: not a module policy (it needs the future), only
 * simulated offline by the tools from the whole reference string.
 */
#define PL_POLICY_OPT		100

/*
 * A policy name (fifo lru clock lfu random, and opt if @allow_opt; case
 * does not matter) as PAGELAB_POLICY_* or PL_POLICY_OPT, or -EINVAL.
 */
int pl_policy_parse(const char *name, bool allow_opt);
/* The name of @policy: "fifo" ... "opt"; "none" for 0; "?" if unknown. */
const char *pl_policy_name(unsigned int policy);

/*
 * /sys/kernel/debug/pagelab/events: for every object with a budget, its last
 * 256 events, oldest first, one per line:
 *   obj=ID seq=N page=P result=R slot=S victim=V wb=W
 * R: hit (a fault on a page that has a frame), miss (a frame taken: first
 * touch, or an eviction), pagein (a miss that read the page back from the
 * store), zero (a read of a never-written page mapped the zero page; slot
 * -1).  V: the evicted page or -1; W: 1 written to the store, 0 dropped
 * clean, - no victim.  seq counts from 1 per object.  Slot S holds page P
 * after a miss or pagein.
 */
#define PL_EVENTS_PATH		PAGELAB_DEBUGFS "/events"

enum pl_event_result { PL_EV_HIT, PL_EV_MISS, PL_EV_PAGEIN, PL_EV_ZERO };

struct pl_event {
	__u64 obj;
	__u64 seq;
	__u64 page;
	int result;		/* PL_EV_* */
	int slot;		/* -1: none (zero) */
	long long victim;	/* -1: none */
	int wb;			/* 1, 0, or -1 for "-" (no victim) */
};

/* "hit" "miss" "pagein" "zero" for PL_EV_*; "?" otherwise. */
const char *pl_event_result_name(int result);
/* Parse one event line strictly: 0 or -EINVAL. */
int pl_event_parse(const char *line, struct pl_event *ev);
/*
 * The events of object @id with seq > @after, oldest first: a malloc'd
 * array in *@evs (NULL when none; the caller frees it) and its length in
 * *@n.  0, -errno of the open/read, or -EINVAL for a malformed line.
 */
int pl_events_read(__u64 id, __u64 after, struct pl_event **evs, size_t *n);

/*
 * /sys/module/pagelab/parameters/NAME as a number (max_pages,
 * max_object_pages, max_store_pages).
 */
int pl_param_read(const char *name, unsigned long long *val);
int pl_param_write(const char *name, unsigned long long val);

/*
 * /proc/PID/pagemap (pid 0: self): the 64-bit entry for the page holding
 * @vaddr.  The PFN reads as 0 without CAP_SYS_ADMIN.
 */
int pl_pagemap(pid_t pid, unsigned long vaddr, uint64_t *entry);
/* The same for the @n pages from @vaddr, into @entries; -EIO if short. */
int pl_pagemap_range(pid_t pid, unsigned long vaddr, size_t n, uint64_t *entries);

#define PL_PM_PFN_MASK		((UINT64_C(1) << 55) - 1)	/* bits 0-54 */
#define PL_PM_SOFT_DIRTY	(UINT64_C(1) << 55)
#define PL_PM_EXCLUSIVE		(UINT64_C(1) << 56)	/* mapped by this process only */
#define PL_PM_UFFD_WP		(UINT64_C(1) << 57)	/* userfaultfd write-protected */
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

/* The debugfs walk file's requests and answers: pl_walk_text.h. */
#include "pl_walk_text.h"

#endif /* PAGELAB_LIB_H */
