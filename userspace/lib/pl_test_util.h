/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the userspace tests share.  Linked into every binary, so nothing
 * here uses the kselftest harness: failures come back as return values.
 */
#ifndef PL_TEST_UTIL_H
#define PL_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pagelab_lib.h"

/* waitpid, then the exit code, 128 + signal, or -1. */
int pl_reap(pid_t pid);

/*
 * fork(), with the child killed if the calling process dies first (an
 * ASSERT abort or a timeout), so no child outlives its test.
 */
pid_t pl_fork_child(void);

/*
 * Run "pagelab @args 2>&1" through popen: its output (stdout and stderr) in
 * @out, NUL-terminated and cut at @outlen - 1 bytes.  Returns the exit code
 * (WEXITSTATUS of pclose), or -1 if popen failed.
 */
int pl_run_cli(const char *args, char *out, size_t outlen);

/*
 * /dev/zram0 (after "modprobe zram" if need be) with a disk size: if it has
 * none, @size (e.g. "16M") is written.  NULL, or the reason it cannot be
 * had.  *@had: the disk size it already had, in bytes (0: none, @size set).
 */
const char *pl_zram_ready(const char *size, unsigned long long *had);

/*
 * /dev/zram0 as swap (pl_zram_ready("64M"), mkswap, swapon) unless it is
 * already: NULL, or why not.  *@ours: this call turned it on (turn it off).
 */
const char *pl_zram_swap_on(bool *ours);

/*
 * A /proc stat file (@path: "/proc/PID/stat", or a task's) read into @buf
 * (@len bytes): the fields after "pid (comm)", from the space before the
 * state letter; NULL if it cannot be read.
 */
const char *pl_proc_stat(const char *path, char *buf, size_t len);

/* /proc/sys/vm/nr_hugepages, or -1; setting it (root): true if written. */
long pl_nr_hugepages(void);
bool pl_set_nr_hugepages(long n);

/* ---- memory: one byte, patterns, pagemap -------------------------------- */

static inline unsigned char pl_rd(const void *p)
{
	return *(const volatile unsigned char *)p;
}

static inline void pl_wr(void *p, unsigned char v)
{
	*(volatile unsigned char *)p = v;
}

/* Byte @i of a page of pattern @seed (1..255): never an all-zero page. */
static inline unsigned char pl_pat(unsigned int seed, size_t i)
{
	return (unsigned char)(seed * 131 + i * 7 + (i >> 9) + 1);
}

/* Write pattern @seed into the @ps bytes of @page. */
void pl_fill(void *page, size_t ps, unsigned int seed);

/* The page holds pattern @seed (0: zeros).  Reading it faults it in. */
bool pl_page_is(const void *page, size_t ps, unsigned int seed);

/* Fresh private anonymous memory reads as zeros: the zero page is intact. */
bool pl_zero_page_clean(size_t ps);

/* The pagemap entry of @p in this process; 0 (not present) if unreadable. */
uint64_t pl_pm_self(const void *p);

/* The frame mapped at @p in this process, 0 if none (@p is not touched). */
uint64_t pl_pfn_self(const void *p);

static inline uint32_t pl_xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Put @v[0..@n-1] in a pseudo-random order drawn from *@seed (never 0). */
void pl_shuffle(size_t *v, size_t n, uint32_t *seed);

/*
 * PAGELAB_STRESS_SCALE, a percentage the stress tests scale their work by:
 * 100 if unset, empty or not a whole number.
 */
unsigned long pl_stress_scale(void);

/* RLIMIT_CORE 0: a child killed on purpose leaves no core file. */
void pl_no_core_dumps(void);

/* ---- what a test leaves behind: fds, mappings, children ------------------ */

#define PL_NTRACK	64
#define PL_NKIDS	8

/*
 * What a fixture's teardown cleans up.  Zeroed (as the harness zeroes the
 * fixture) it is empty; a slot freed by pl_track_close(), pl_track_unmap(),
 * pl_track_forget_map() or pl_track_reap() is used again.
 */
struct pl_track {
	int nfds;
	int fds[PL_NTRACK];
	int nmaps;
	void *map[PL_NTRACK];
	size_t maplen[PL_NTRACK];
	int nkids;
	pid_t kids[PL_NKIDS];
};

/* Track @fd (if >= 0) for the teardown; returns @fd. */
static inline int pl_track_fd(struct pl_track *t, int fd)
{
	if (fd < 0)
		return fd;
	for (int i = 0; i < t->nfds; i++)
		if (t->fds[i] < 0) {
			t->fds[i] = fd;
			return fd;
		}
	if (t->nfds < PL_NTRACK)
		t->fds[t->nfds++] = fd;
	return fd;
}

/* pipe(), both ends tracked: 0 or -1. */
static inline int pl_track_pipe(struct pl_track *t, int fds[2])
{
	if (pipe(fds))
		return -1;
	pl_track_fd(t, fds[0]);
	pl_track_fd(t, fds[1]);
	return 0;
}

/*
 * pl_create() an object of @size bytes: its fd (tracked) or -errno; its id
 * in *@id unless @id is NULL.
 */
int pl_track_create(struct pl_track *t, int dev, __u64 size, __u64 flags, __u32 mode,
		    const char *name, __u64 *id);

/* Close @fd now; the teardown will not. */
static inline void pl_track_close(struct pl_track *t, int fd)
{
	for (int i = 0; i < t->nfds; i++)
		if (t->fds[i] == fd)
			t->fds[i] = -1;
	close(fd);
}

/* Track the mapping @p of @len bytes (unless MAP_FAILED); returns @p. */
static inline void *pl_track_map(struct pl_track *t, void *p, size_t len)
{
	if (p == MAP_FAILED)
		return p;
	for (int i = 0; i < t->nmaps; i++)
		if (!t->map[i]) {
			t->map[i] = p;
			t->maplen[i] = len;
			return p;
		}
	if (t->nmaps < PL_NTRACK) {
		t->map[t->nmaps] = p;
		t->maplen[t->nmaps++] = len;
	}
	return p;
}

/* Unmap the tracked mapping @p now. */
static inline void pl_track_unmap(struct pl_track *t, void *p)
{
	for (int i = 0; i < t->nmaps; i++)
		if (t->map[i] == p) {
			munmap(p, t->maplen[i]);
			t->map[i] = NULL;
		}
}

/* Stop tracking @p without unmapping it (mremap moved it, say). */
static inline void pl_track_forget_map(struct pl_track *t, void *p)
{
	for (int i = 0; i < t->nmaps; i++)
		if (t->map[i] == p)
			t->map[i] = NULL;
}

/* pl_fork_child(), the child tracked so the teardown kills it if it lives on. */
static inline pid_t pl_track_fork(struct pl_track *t)
{
	pid_t pid = pl_fork_child();
	int i;

	if (pid <= 0)
		return pid;
	for (i = 0; i < t->nkids && t->kids[i] > 0; i++)
		;
	if (i < PL_NKIDS) {
		t->kids[i] = pid;
		if (i == t->nkids)
			t->nkids++;
	}
	return pid;
}

/* Wait for a tracked child: its exit code, 128 + signal, or -1. */
static inline int pl_track_reap(struct pl_track *t, pid_t pid)
{
	for (int i = 0; i < t->nkids; i++)
		if (t->kids[i] == pid)
			t->kids[i] = 0;
	return pl_reap(pid);
}

/* Teardown: SIGKILL and reap the children still tracked. */
static inline void pl_track_kill_kids(struct pl_track *t)
{
	for (int i = 0; i < t->nkids; i++)
		if (t->kids[i] > 0) {
			kill(t->kids[i], SIGKILL);
			waitpid(t->kids[i], NULL, 0);
		}
}

/* Teardown: unmap the mappings, close the fds still tracked. */
static inline void pl_track_release(struct pl_track *t)
{
	for (int i = 0; i < t->nmaps; i++)
		if (t->map[i])
			munmap(t->map[i], t->maplen[i]);
	for (int i = 0; i < t->nfds; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
}

/*
 * For tests built with the kselftest harness (included before this file):
 * the teardown's leak check, as EXPECTs (no ASSERT: in this harness an
 * ASSERT in teardown runs it again).  Objects and pages held as in
 * @before, and allocated - freed == held.  A worker that just finished an
 * object's file I/O lets go of its file last, and a kernel thread's fput()
 * is deferred (a jiffy or more): the object may outlive the test's last
 * close by that long.  So the check waits up to 2 s for the counts to
 * settle; a leak stays.
 */
/*
 * Wait up to 2 s for the module to hold the objects and pages of @before
 * (see above); *@now gets the last count.  0 (settled or not), or -errno
 * from PAGELAB_IOC_INFO.
 */
static inline int pl_wait_held_as_before(int dev, const struct pagelab_info *before,
					 struct pagelab_info *now)
{
	int ret;

	for (int i = 0; i < 200; i++) {
		ret = pl_info(dev, now);
		if (ret || (now->objects == before->objects &&
			    now->pages_held == before->pages_held))
			return ret;
		usleep(10 * 1000);
	}
	return 0;
}

#ifdef __KSELFTEST_HARNESS_H

static inline void pl_expect_held_as_before(struct __test_metadata *_metadata, int dev,
					    const struct pagelab_info *before)
{
	struct pagelab_info after;
	int ret = pl_wait_held_as_before(dev, before, &after);

	if (ret) {
		EXPECT_TRUE(false) TH_LOG("PAGELAB_IOC_INFO failed in the teardown");
	} else {
		EXPECT_EQ(before->objects, after.objects) TH_LOG("objects leaked");
		EXPECT_EQ(before->pages_held, after.pages_held) TH_LOG("pages leaked");
		EXPECT_EQ(after.pages_allocated - after.pages_freed, after.pages_held);
	}
}
#endif

/* ---- a minimal JSON reader --------------------------------------------- */

/* Past JSON whitespace at @p. */
const char *pl_json_ws(const char *p);
/* Past one value at @p (after whitespace), or NULL if it is not valid JSON. */
const char *pl_json_skip(const char *p, int depth);
/* @s is one valid JSON value and nothing else. */
bool pl_json_valid(const char *s);

#endif /* PL_TEST_UTIL_H */
