// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab bench walk - the page-table walk against /proc/self/pagemap: a
 * range request over --pages written anonymous pages (MADV_NOHUGEPAGE),
 * each rep timing the whole request (open, write, read the answer, close)
 * and the same entries from pagemap (open, one pread, close), interleaved.
 * Throughput in pages per second from the medians, and their ratio.
 *
 * pagelab bench cow - the cost of a write that breaks copy-on-write sharing:
 * pagelab's snapshots against the kernel's fork COW of anonymous memory.
 * Five metrics, interleaved and rotated as for fault, each rep over
 * --pages pages and one byte written per page, the writes timed alone (not
 * the setup): an object with every page written is cloned and the clone
 * mapped MAP_SHARED afresh, then written (cow_unmapped: each write one
 * fault, whose handler copies the page), or read in full first and then
 * written (cow_mapped: each write traps on a read-only entry of the shared
 * frame, then again on the copy); refault is that second trap alone (an
 * object's written pages, their entries removed, written again; and the
 * same on shmem, the kernel's own); the baseline writes anonymous memory
 * (MADV_NOHUGEPAGE) written before a fork, while the child still maps it
 * (the kernel's do_wp_page copy).  Ratios of medians: each pagelab metric
 * over the baseline, and pagelab's refault over shmem's.
 *
 * pagelab bench replace - page-out + page-in: pagelab's frame budget and
 * store against the kernel's swap (zram), in ns per page, interleaved and
 * rotated as for fault.  pagelab: an object of --pages pages, written, given
 * a budget of half of them (FIFO); touching every page in order makes every
 * touch one eviction and one page-in; a warm-up pass, then one timed pass,
 * written (each victim written back) or read (each dropped clean).  The
 * baseline: anonymous memory (MADV_NOHUGEPAGE) written, one MADV_PAGEOUT of
 * it all to /dev/zram0 swap (set up for the run if need be, and undone),
 * then a write to each page (a swap-in); the MADV_PAGEOUT and the writes are
 * timed.  Also the replay engine's speed (pl_replay_run, cmd_replay.c):
 * references per second of a fixed pseudo-random string in exact mode (LRU)
 * and in the default mode (CLOCK).  With --store-dir DIR (or PAGELAB_SCRATCH
 * set) the pagelab pair runs once more with a backing file in DIR as the
 * store (ABI 1.4; a new file per rep, removed after it), and the ratios
 * file / module store are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/*
 * "pagelab bench fault|walk|cow|replace [--json] [--pages N] [--reps R]": the
 * options after the benchmark's name into *@pages, *@reps, *@json (which hold
 * the defaults); "--store-dir DIR" into *@store_dir if it is not NULL (bench
 * replace).  0, or -1 with the reason printed.
 */
int pl_bench_args(int argc, char **argv, size_t *pages, int *reps, bool *json,
		      const char **store_dir)
{
	for (int a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			*json = true;
		} else if (store_dir && !strcmp(argv[a], "--store-dir") && a + 1 < argc) {
			*store_dir = argv[++a];
		} else if (!strcmp(argv[a], "--pages") && a + 1 < argc) {
			*pages = strtoul(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "--reps") && a + 1 < argc) {
			*reps = atoi(argv[++a]);
		} else {
			pl_err("bench: unknown argument '%s' (see pagelab bench --help)", argv[a]);
			return -1;
		}
	}
	if (!*pages || *reps < 1 || *pages > (1UL << 20)) {
		pl_err("bench: --pages must be 1..1048576 and --reps at least 1");
		return -1;
	}
	return 0;
}

double pl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(double *v, int n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(int)(q * (n - 1) + 0.5)];
}

void pl_quartiles(double *v, int n, double *p25, double *med, double *p75)
{
	*p25 = quantile(v, n, 0.25);
	*med = quantile(v, n, 0.5);
	*p75 = quantile(v, n, 0.75);
}

/* v[0..@n-1]: @reps zeroed doubles each.  -1 (printed why) if out of memory. */
static int bench_vectors(double **v, int n, int reps)
{
	for (int m = 0; m < n; m++) {
		v[m] = calloc(reps, sizeof(double));
		if (!v[m]) {
			pl_err("bench: out of memory");
			return -1;
		}
	}
	return 0;
}

/* What the metrics of bench fault and bench cow run on. */
struct bench_on {
	int dev;
	size_t pages;
};

/*
 * @reps rounds of the @n metrics: v[m][r] = @one(@on, m), the starting
 * metric rotated so none always runs first.  False as soon as one fails (< 0).
 */
static bool bench_rounds(double **v, int n, int reps,
			 double (*one)(const struct bench_on *on, int m), const struct bench_on *on)
{
	for (int r = 0; r < reps; r++) {
		for (int m = 0; m < n; m++) {
			/* Rotate the starting metric so none always runs first. */
			int mm = (m + r) % n;

			v[mm][r] = one(on, mm);
			if (v[mm][r] < 0)
				return false;
		}
	}
	return true;
}

/* ---- bench walk ---------------------------------------------------------- */

enum { W_WALK, W_PAGEMAP, W_COUNT };

/* One range walk of [p, p + pages) through debugfs: ns, or < 0 on error. */
static double walk_once(const char *req, char **buf, size_t *cap)
{
	double t0, t1;
	int fd, ret, rret;

	t0 = pl_now_ns();
	fd = pl_walk_open();
	if (fd < 0) {
		pl_err("bench: open %s: %s", PL_WALK_PATH, strerror(-fd));
		return -1;
	}
	ret = pl_walk_send(fd, req);
	rret = pl_walk_recv_alloc(fd, buf, cap);
	close(fd);
	t1 = pl_now_ns();
	if (ret || rret) {
		const char *why = *buf ? pl_walk_error(*buf) : NULL;

		pl_err("bench: walk '%s': %s%s%.*s", req, strerror(-(ret ? ret : rret)),
		       why ? ": " : "", why ? (int)strcspn(why, "\n") : 0, why ? why : "");
		return -1;
	}
	return t1 - t0;
}

double pl_bench_pagemap_once(uintptr_t p, size_t pages, uint64_t *ents, long ps)
{
	size_t len = pages * sizeof(uint64_t);
	double t0, t1;
	ssize_t n;
	int fd;

	t0 = pl_now_ns();
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pl_err("bench: open /proc/self/pagemap: %s", strerror(errno));
		return -1;
	}
	n = pread(fd, ents, len, (off_t)(p / ps) * sizeof(uint64_t));
	close(fd);
	t1 = pl_now_ns();
	if (n != (ssize_t)len) {
		pl_err("bench: pread /proc/self/pagemap: %s", n < 0 ? strerror(errno) : "short");
		return -1;
	}
	return t1 - t0;
}

/* The answer covers the N pages, all present, as runs. */
static int walk_check_answer(const char *answer, size_t pages)
{
	struct pl_walk_range r;
	struct pl_walk_run run;
	uint64_t present = 0;
	int ret;

	if (pl_walk_range_begin(&r, answer)) {
		pl_err("bench: the walk's answer: %s", r.err);
		return -1;
	}
	while ((ret = pl_walk_range_next(&r, &run)) == 1)
		if (!run.absent)
			present += run.pages4k;
	if (ret < 0) {
		pl_err("bench: the walk's answer: %s", r.err);
		return -1;
	}
	if (present != pages) {
		pl_err("bench: the walk shows %llu of the %zu written pages present",
		       (unsigned long long)present, pages);
		return -1;
	}
	return 0;
}

static int bench_walk(int argc, char **argv)
{
	static const char *const names[W_COUNT] = { "walk", "pagemap" };
	const long ps = sysconf(_SC_PAGESIZE);
	size_t pages = 4096, cap = 0;
	int reps = 31, status = PL_EXIT_FAIL;
	double *v[W_COUNT] = { NULL, NULL }, med[W_COUNT], p25[W_COUNT], p75[W_COUNT];
	double pps[W_COUNT];
	uint64_t *ents = NULL;
	char req[96], *answer = NULL;
	bool json = false;
	char *p;

	if (pl_bench_args(argc, argv, &pages, &reps, &json, NULL))
		return PL_EXIT_USAGE;
	p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		return PL_EXIT_FAIL;
	}
	madvise(p, pages * ps, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < pages; i++)
		((volatile char *)p)[i * ps] = 1;
	ents = malloc(pages * sizeof(*ents));
	for (int m = 0; m < W_COUNT; m++)
		v[m] = calloc(reps, sizeof(double));
	if (!ents || !v[W_WALK] || !v[W_PAGEMAP]) {
		pl_err("bench: out of memory");
		goto out;
	}
	snprintf(req, sizeof(req), "%d 0x%lx 0x%lx", (int)getpid(), (unsigned long)p,
		 (unsigned long)p + pages * ps);
	/* One untimed round: the answer is checked, the buffers are grown. */
	if (walk_once(req, &answer, &cap) < 0 || walk_check_answer(answer, pages) ||
	    pl_bench_pagemap_once((uintptr_t)p, pages, ents, ps) < 0)
		goto out;
	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < W_COUNT; k++) {
			int m = (k + r) % W_COUNT;	/* alternate which goes first */

			v[m][r] = m == W_WALK ? walk_once(req, &answer, &cap) :
				  pl_bench_pagemap_once((uintptr_t)p, pages, ents, ps);
			if (v[m][r] < 0)
				goto out;
		}
	}
	for (int m = 0; m < W_COUNT; m++) {
		pl_quartiles(v[m], reps, &p25[m], &med[m], &p75[m]);
		pps[m] = med[m] > 0 ? pages / (med[m] / 1e9) : 0;
	}
	if (json) {
		printf("{\"pages\": %zu, \"reps\": %d, \"walk_ns\": %.1f, \"pagemap_ns\": %.1f, "
		       "\"walk_pages_per_s\": %.0f, \"pagemap_pages_per_s\": %.0f, "
		       "\"answer_bytes\": %zu, \"ratio_walk_vs_pagemap\": %.4f}\n", pages, reps,
		       med[W_WALK], med[W_PAGEMAP], pps[W_WALK], pps[W_PAGEMAP], strlen(answer),
		       pps[W_PAGEMAP] > 0 ? pps[W_WALK] / pps[W_PAGEMAP] : 0);
	} else {
		printf("range walk of %zu written anonymous pages vs /proc/self/pagemap, %d reps\n"
		       "(ns per request, median [p25, p75]; the walk's text answer is %zu bytes)\n",
		       pages, reps, strlen(answer));
		for (int m = 0; m < W_COUNT; m++)
			printf("  %-8s %12.0f ns  [%.0f, %.0f]  %14.0f pages/s\n", names[m], med[m],
			       p25[m], p75[m], pps[m]);
		printf("RATIO walk_vs_pagemap %.4f\n",
		       pps[W_PAGEMAP] > 0 ? pps[W_WALK] / pps[W_PAGEMAP] : 0);
		printf("ABS walk_vs_pagemap %.1f %.1f\n", med[W_WALK] / pages,
		       med[W_PAGEMAP] / pages);
	}
	status = PL_EXIT_OK;
out:
	munmap(p, pages * ps);
	free(ents);
	free(answer);
	for (int m = 0; m < W_COUNT; m++)
		free(v[m]);
	return status;
}

/* ---- bench cow ----------------------------------------------------------- */

enum { C_PL_UNMAPPED, C_PL_MAPPED, C_PL_REFAULT, C_SHMEM_REFAULT, C_ANON_FORK, C_COUNT };

static const char *const cow_metric_names[C_COUNT] = {
	"pagelab_cow_unmapped", "pagelab_cow_mapped", "pagelab_refault", "shmem_refault",
	"anon_fork_cow",
};

/*
 * @len bytes of anonymous memory (MAP_PRIVATE or MAP_SHARED: @share), no
 * huge pages, every page written; MAP_FAILED after printing why.
 */
static volatile char *anon_written(size_t len, int share)
{
	const size_t step = sysconf(_SC_PAGESIZE);
	volatile char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, share | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		return MAP_FAILED;
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += step)
		p[off] = 1;
	return p;
}

/*
 * The baseline: @pages anonymous pages written, a fork whose child only
 * waits (so it maps every page), then the timed writes: ns per page, or < 0.
 */
static double cow_one_anon(size_t pages)
{
	const size_t step = sysconf(_SC_PAGESIZE), len = pages * step;
	volatile char *p;
	int hold[2];
	double t0, t1;
	pid_t pid;
	char c;

	p = anon_written(len, MAP_PRIVATE);
	if (p == MAP_FAILED)
		return -1;
	if (pipe(hold)) {
		pl_err("bench: pipe: %s", strerror(errno));
		munmap((void *)p, len);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		pl_err("bench: fork: %s", strerror(errno));
		close(hold[0]);
		close(hold[1]);
		munmap((void *)p, len);
		return -1;
	}
	if (!pid) {
		/* Keep the pages mapped until the parent is done: EOF on the pipe. */
		close(hold[1]);
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(hold[0]);
	t0 = pl_now_ns();
	for (size_t off = 0; off < len; off += step)
		p[off] = 2;
	t1 = pl_now_ns();
	close(hold[1]);
	waitpid(pid, NULL, 0);
	munmap((void *)p, len);
	return (t1 - t0) / pages;
}

/*
 * A new object of @len bytes (PAGELAB_CREATE_* @flags), mapped shared, every
 * page written: the mapping, its fd in *@fd and id in *@id (may be NULL).
 * MAP_FAILED after printing why; *@fd is then -1 or open (close it).
 */
static volatile char *bench_obj_written(int dev, size_t len, __u64 flags, const char *name,
					int *fd, __u64 *id)
{
	const size_t step = sysconf(_SC_PAGESIZE);
	volatile char *p;
	int err;

	err = pl_create(dev, len, flags, 0, name, fd, id);
	if (err) {
		*fd = -1;
		pl_err("bench: PAGELAB_IOC_CREATE: %s", strerror(-err));
		return MAP_FAILED;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		return MAP_FAILED;
	}
	for (size_t off = 0; off < len; off += step)
		p[off] = 1;
	return p;
}

/*
 * pagelab: an object of @pages written pages, cloned; the clone mapped
 * afresh (and read in full first if @read_first), then the timed writes to
 * the clone.  The source stays alive, so every page is still shared.
 */
static double cow_one_pagelab(int dev, size_t pages, bool read_first)
{
	const size_t step = sysconf(_SC_PAGESIZE), len = pages * step;
	struct pagelab_clone cl = { .fd = -1 };
	volatile char *p, *q = MAP_FAILED;
	double t0, t1, ret = -1;
	int fd, err;
	__u64 id;
	char sink = 0;

	p = bench_obj_written(dev, len, 0, "bench-cow", &fd, &id);
	if (fd < 0)
		return -1;
	if (p == MAP_FAILED)
		goto out;
	munmap((void *)p, len);
	err = pl_clone(dev, id, 0, "bench-cow", &cl);
	if (err) {
		pl_err("bench: PAGELAB_IOC_CLONE: %s", strerror(-err));
		goto out;
	}
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, cl.fd, 0);
	if (q == MAP_FAILED) {
		pl_err("bench: mmap of the clone: %s", strerror(errno));
		goto out;
	}
	if (read_first)
		for (size_t off = 0; off < len; off += step)
			sink += q[off];
	t0 = pl_now_ns();
	for (size_t off = 0; off < len; off += step)
		q[off] = 2;
	t1 = pl_now_ns();
	ret = (t1 - t0) / pages;
out:
	(void)sink;
	if (q != MAP_FAILED)
		munmap((void *)q, len);
	if (cl.fd >= 0)
		close(cl.fd);
	close(fd);
	return ret;
}

/*
 * Remove the entries of @len bytes of written pages at @p (MADV_DONTNEED:
 * the pages stay in their object or page cache), then time one write to
 * each, every one a fault that finds its page: ns per page, or < 0.
 */
static double refault_timed(volatile char *p, size_t len, size_t pages)
{
	const size_t step = sysconf(_SC_PAGESIZE);
	double t0, t1;

	if (madvise((void *)p, len, MADV_DONTNEED)) {
		pl_err("bench: madvise(MADV_DONTNEED): %s", strerror(errno));
		return -1;
	}
	t0 = pl_now_ns();
	for (size_t off = 0; off < len; off += step)
		p[off] = 2;
	t1 = pl_now_ns();
	return (t1 - t0) / pages;
}

/*
 * The second trap of cow_mapped on its own: the refault of an object's
 * @pages written pages, not shared (their frames stay the object's).
 */
static double cow_one_refault(int dev, size_t pages)
{
	const size_t len = pages * sysconf(_SC_PAGESIZE);
	volatile char *p;
	double ret = -1;
	int fd;

	p = bench_obj_written(dev, len, 0, "bench-refault", &fd, NULL);
	if (fd < 0)
		return -1;
	if (p != MAP_FAILED) {
		ret = refault_timed(p, len, pages);
		munmap((void *)p, len);
	}
	close(fd);
	return ret;
}

/*
 * The kernel's own refault of a shared mapping: @pages written pages of
 * shared anonymous memory (shmem), each found in the page cache.
 */
static double cow_one_shmem_refault(size_t pages)
{
	const size_t len = pages * sysconf(_SC_PAGESIZE);
	volatile char *p;
	double ret;

	p = anon_written(len, MAP_SHARED);
	if (p == MAP_FAILED)
		return -1;
	ret = refault_timed(p, len, pages);
	munmap((void *)p, len);
	return ret;
}

/* One rep of bench cow's metric @m: ns per page written, or < 0 on error. */
static double cow_one(const struct bench_on *on, int m)
{
	if (m == C_ANON_FORK)
		return cow_one_anon(on->pages);
	if (m == C_PL_REFAULT)
		return cow_one_refault(on->dev, on->pages);
	if (m == C_SHMEM_REFAULT)
		return cow_one_shmem_refault(on->pages);
	return cow_one_pagelab(on->dev, on->pages, m == C_PL_MAPPED);
}

static int bench_cow(int argc, char **argv)
{
	size_t pages = 512;
	int reps = 31, dev, status = PL_EXIT_FAIL;
	bool json = false;
	double *v[C_COUNT] = { NULL }, med[C_COUNT], p25[C_COUNT], p75[C_COUNT];
	struct bench_on on;

	if (pl_bench_args(argc, argv, &pages, &reps, &json, NULL))
		return PL_EXIT_USAGE;
	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	on.dev = dev;
	on.pages = pages;
	if (bench_vectors(v, C_COUNT, reps) || !bench_rounds(v, C_COUNT, reps, cow_one, &on))
		goto out;
	for (int m = 0; m < C_COUNT; m++)
		pl_quartiles(v[m], reps, &p25[m], &med[m], &p75[m]);
	if (json) {
		printf("{\"pages\": %zu, \"reps\": %d", pages, reps);
		for (int m = 0; m < C_COUNT; m++)
			printf(", \"%s_ns\": %.1f", cow_metric_names[m], med[m]);
		printf(", \"ratio_cow_unmapped\": %.4f, \"ratio_cow_mapped\": %.4f"
		       ", \"ratio_cow_refault\": %.4f, \"ratio_refault_vs_shmem\": %.4f}\n",
		       med[C_PL_UNMAPPED] / med[C_ANON_FORK], med[C_PL_MAPPED] / med[C_ANON_FORK],
		       med[C_PL_REFAULT] / med[C_ANON_FORK],
		       med[C_PL_REFAULT] / med[C_SHMEM_REFAULT]);
	} else {
		printf("copy-on-write breaks, %zu pages x %d reps, ns per page written "
		       "(median [p25, p75])\n", pages, reps);
		for (int m = 0; m < C_COUNT; m++)
			printf("  %-20s %10.1f  [%.1f, %.1f]\n", cow_metric_names[m], med[m],
			       p25[m], p75[m]);
		printf("RATIO cow_unmapped %.4f\n", med[C_PL_UNMAPPED] / med[C_ANON_FORK]);
		printf("ABS cow_unmapped %.1f %.1f\n", med[C_PL_UNMAPPED], med[C_ANON_FORK]);
		printf("RATIO cow_mapped %.4f\n", med[C_PL_MAPPED] / med[C_ANON_FORK]);
		printf("ABS cow_mapped %.1f %.1f\n", med[C_PL_MAPPED], med[C_ANON_FORK]);
		printf("RATIO cow_refault %.4f\n", med[C_PL_REFAULT] / med[C_ANON_FORK]);
		printf("ABS cow_refault %.1f %.1f\n", med[C_PL_REFAULT], med[C_ANON_FORK]);
		printf("RATIO refault_vs_shmem %.4f\n", med[C_PL_REFAULT] / med[C_SHMEM_REFAULT]);
		printf("ABS refault_vs_shmem %.1f %.1f\n", med[C_PL_REFAULT],
		       med[C_SHMEM_REFAULT]);
		printf("(goals: cow_unmapped <= 1.1, cow_mapped <= 1.5; cow_refault is the\n"
		       " second trap of cow_mapped alone, refault_vs_shmem that trap against\n"
		       " the kernel's own refault of a shared mapping, for the record)\n");
	}
	status = PL_EXIT_OK;
out:
	close(dev);
	for (int m = 0; m < C_COUNT; m++)
		free(v[m]);
	return status;
}

/* ---- bench replace ------------------------------------------------------- */

enum {
	P_PL_DIRTY, P_PL_CLEAN, P_ANON_SWAP, P_REPLAY_EXACT, P_REPLAY_DEFAULT,
	P_FILE_DIRTY, P_FILE_CLEAN, P_COUNT
};

static const char *const replace_metric_names[P_COUNT] = {
	"pagelab_pageout_pagein", "pagelab_pageout_pagein_clean", "anon_pageout_swapin",
	"replay_exact", "replay_default", "file_pageout_pagein", "file_pageout_pagein_clean",
};

/* The replay string: fixed, pseudo-random, over a few pages and fewer frames. */
#define BENCH_REPLAY_REFS	20000
#define BENCH_REPLAY_PAGES	64
#define BENCH_REPLAY_FRAMES	16

#define BENCH_ZRAM		"/dev/zram0"

#define BENCH_PATH_LEN		4096

/*
 * A new backing file in @dir for an object of @len bytes: mkstemp, mode
 * 0600, @len bytes; its name in @path (BENCH_PATH_LEN bytes), for the
 * caller to unlink.  The fd, or -1 after printing why (nothing left).
 */
static int bench_store_file(const char *dir, size_t len, char *path)
{
	int fd;

	if (snprintf(path, BENCH_PATH_LEN, "%s/pagelab-bench-XXXXXX", dir) >= BENCH_PATH_LEN) {
		pl_err("bench: --store-dir '%s': too long a path", dir);
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		pl_err("bench: a backing file in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) || ftruncate(fd, (off_t)len)) {
		pl_err("bench: backing file of %zu bytes in %s: %s", len, dir, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* What a pagelab rep's timed pass did to the object's counters. */
struct replace_counts {
	__u64 evictions, page_ins, writebacks, clean_drops;
};

/*
 * One rep of page-out + page-in on pagelab: ns per page, or < 0.  An object
 * of @pages pages (no fault-around), each written once, then a budget of
 * @pages / 2 frames, FIFO, PAGELAB_REPLACE_NO_ZERO: the budget evicts pages
 * 0..@pages/2-1 (by index, the rebuild's load order).  Two passes touch every
 * page in order, one byte each; the first warms up, the second is timed.
 * FIFO ignores hits, and a page comes back @pages touches after its last
 * one, by when @pages / 2 loads have evicted it: every touch of both passes
 * is one eviction and one page-in.  Dirty (@clean false): both passes write,
 * so every victim was written since its page-in: a write-back.  Clean: both
 * passes read, so from the warm-up's second half on every victim was only
 * read since its page-in: dropped clean (a read warm-up because after a
 * written one the timed pass's first @pages / 2 victims would be dirty).
 * With @store_dir the store is a new file there (mode 0600, the object's
 * size), its fd closed once passed (the module holds its own reference),
 * removed after the rep.
 */
static double replace_one_pagelab(int dev, size_t pages, bool clean, const char *store_dir,
				  struct replace_counts *d)
{
	const size_t step = sysconf(_SC_PAGESIZE), len = pages * step;
	struct pagelab_obj_stat s0, s1;
	volatile char *p = MAP_FAILED;
	double t0 = 0, t1 = 0, ret = -1;
	char sink = 0, path[BENCH_PATH_LEN] = "";
	int fd, err, sfd = 0;

	p = bench_obj_written(dev, len, PAGELAB_CREATE_NO_FAULT_AROUND, "bench-replace", &fd,
			      NULL);
	if (fd < 0)
		return -1;
	if (p == MAP_FAILED)
		goto out;
	if (store_dir) {
		sfd = bench_store_file(store_dir, len, path);
		if (sfd < 0) {
			path[0] = '\0';
			goto out;
		}
	}
	err = pl_replace_store(fd, pages / 2, PAGELAB_POLICY_FIFO,
			       PAGELAB_REPLACE_NO_ZERO | (store_dir ? PAGELAB_REPLACE_FILE : 0), 0,
			       sfd, 0);
	if (store_dir)
		close(sfd);
	if (err) {
		pl_err("bench: PAGELAB_IOC_REPLACE (budget %zu, fifo%s): %s", pages / 2,
		       store_dir ? ", backing file" : "",
		       store_dir ? pl_store_hint(err) : strerror(-err));
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			err = pl_obj_stat(fd, 0, &s0);
			if (err)
				break;
			t0 = pl_now_ns();
		}
		if (clean)
			for (size_t off = 0; off < len; off += step)
				sink += p[off];
		else
			for (size_t off = 0; off < len; off += step)
				p[off] = 2;
		if (pass) {
			t1 = pl_now_ns();
			err = pl_obj_stat(fd, 0, &s1);
		}
	}
	if (err) {
		pl_err("bench: PAGELAB_IOC_OBJ_STAT: %s", strerror(-err));
		goto out;
	}
	d->evictions = s1.evictions - s0.evictions;
	d->page_ins = s1.page_ins - s0.page_ins;
	d->writebacks = s1.writebacks - s0.writebacks;
	d->clean_drops = s1.clean_drops - s0.clean_drops;
	ret = (t1 - t0) / pages;
out:
	(void)sink;
	if (p != MAP_FAILED)
		munmap((void *)p, len);
	close(fd);
	if (path[0])
		unlink(path);
	return ret;
}

static long bench_majflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_majflt;
}

/*
 * One rep of the kernel's page-out + page-in: @pages anonymous pages
 * (MADV_NOHUGEPAGE), each written, then timed: one MADV_PAGEOUT of them all
 * (to zram swap) and a write to each (a swap-in, a major fault); ns per
 * page, or < 0.  Untimed in between: which pages pagemap shows swapped out,
 * into *@swapped (a fraction), and the major faults the writes took, per
 * page, into *@major.  *@pageout_ns: the MADV_PAGEOUT's share, per page.
 * @ents: room for @pages pagemap entries.
 */
static double replace_one_anon(size_t pages, uint64_t *ents, double *pageout_ns,
			       double *swapped, double *major)
{
	const size_t step = sysconf(_SC_PAGESIZE), len = pages * step;
	double t0, t1, t2, t3;
	volatile char *p;
	size_t out = 0;
	long maj0, maj1;
	int err;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		return -1;
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += step)
		p[off] = 1;
	t0 = pl_now_ns();
	err = madvise((void *)p, len, MADV_PAGEOUT);
	t1 = pl_now_ns();
	if (err) {
		pl_err("bench: madvise(MADV_PAGEOUT): %s", strerror(errno));
		munmap((void *)p, len);
		return -1;
	}
	err = pl_pagemap_range(0, (uintptr_t)p, pages, ents);
	if (err) {
		pl_err("bench: /proc/self/pagemap: %s", strerror(-err));
		munmap((void *)p, len);
		return -1;
	}
	for (size_t i = 0; i < pages; i++)
		out += pl_pm_swapped(ents[i]);
	maj0 = bench_majflt();
	t2 = pl_now_ns();
	for (size_t off = 0; off < len; off += step)
		p[off] = 2;
	t3 = pl_now_ns();
	maj1 = bench_majflt();
	munmap((void *)p, len);
	*pageout_ns = (t1 - t0) / pages;
	*swapped = (double)out / pages;
	*major = (double)(maj1 - maj0) / pages;
	return ((t1 - t0) + (t3 - t2)) / pages;
}

/* zram swap for the baseline, and what to undo at the end. */
struct bench_swap {
	bool on;		/* the baseline can run */
	bool ours;		/* we turned it on: swapoff at the end */
	bool reset;		/* we gave zram0 its disk size: reset it too */
	char why[160];		/* why not, if !on */
};

/* Is @dev listed in /proc/swaps (@swaps true) or /proc/mounts? */
static bool bench_dev_listed(const char *dev, bool swaps)
{
	FILE *f = fopen(swaps ? "/proc/swaps" : "/proc/mounts", "re");
	size_t len = strlen(dev);
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, dev, len) && (line[len] == ' ' || line[len] == '\t');
	fclose(f);
	return found;
}

/* Undo what bench_swap_on() did: swapoff, then zram0's disk size reset. */
static void bench_swap_off(struct bench_swap *sw)
{
	int fd;

	if (sw->ours && swapoff(BENCH_ZRAM)) {
		pl_err("bench: swapoff %s: %s", BENCH_ZRAM, strerror(errno));
		sw->reset = false;	/* a reset would fail on a swap device */
	}
	if (sw->reset) {
		fd = open("/sys/block/zram0/reset", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "1", 1) != 1)
			pl_err("bench: reset of zram0: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	sw->ours = sw->reset = false;
}

/*
 * /dev/zram0 as swap, as the walk test does it: used as it is if it is swap
 * already; else given a disk size if it has none (room for twice @pages),
 * mkswap'd and swapped on, preferred over any other swap.  Then a one-page
 * MADV_PAGEOUT must show a swapped page.  On failure sw->why says why.
 */
static void bench_swap_on(struct bench_swap *sw, size_t pages)
{
	unsigned long long mib = pages * (unsigned long long)sysconf(_SC_PAGESIZE) * 2 >> 20;
	const long ps = sysconf(_SC_PAGESIZE);
	unsigned long long had;
	char size[32];
	const char *why;
	uint64_t ent = 0;
	char *p;

	memset(sw, 0, sizeof(*sw));
	if (access("/proc/swaps", F_OK)) {
		snprintf(sw->why, sizeof(sw->why), "no /proc/swaps: no swap support");
		return;
	}
	if (!bench_dev_listed(BENCH_ZRAM, true)) {
		snprintf(size, sizeof(size), "%lluM", mib < 64 ? 64 : mib + 16);
		why = pl_zram_ready(size, &had);
		if (why) {
			snprintf(sw->why, sizeof(sw->why), "%s", why);
			return;
		}
		sw->reset = !had;
		if (had && bench_dev_listed(BENCH_ZRAM, false)) {
			snprintf(sw->why, sizeof(sw->why), "%s is mounted", BENCH_ZRAM);
			return;
		}
		if (system("mkswap " BENCH_ZRAM " >/dev/null 2>&1")) {
			snprintf(sw->why, sizeof(sw->why), "mkswap %s failed", BENCH_ZRAM);
			bench_swap_off(sw);
			return;
		}
		if (swapon(BENCH_ZRAM, SWAP_FLAG_PREFER |
			   ((32767 << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK))) {
			snprintf(sw->why, sizeof(sw->why), "swapon %s: %s", BENCH_ZRAM,
				 strerror(errno));
			bench_swap_off(sw);
			return;
		}
		sw->ours = true;
	}
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(sw->why, sizeof(sw->why), "mmap: %s", strerror(errno));
	} else {
		*(volatile char *)p = 1;
		if (madvise(p, ps, MADV_PAGEOUT))
			snprintf(sw->why, sizeof(sw->why), "madvise(MADV_PAGEOUT): %s",
				 strerror(errno));
		else if (pl_pagemap(0, (uintptr_t)p, &ent) || !pl_pm_swapped(ent))
			snprintf(sw->why, sizeof(sw->why),
				 "MADV_PAGEOUT did not swap a page out to %s", BENCH_ZRAM);
		else
			sw->on = true;
		munmap(p, ps);
	}
	if (!sw->on)
		bench_swap_off(sw);
}

/* The replay string: BENCH_REPLAY_REFS references, one in four a write. */
static int bench_replay_refs(struct pl_refs *refs)
{
	uint32_t x = 2463534242u;	/* xorshift32, a fixed seed */

	memset(refs, 0, sizeof(*refs));
	refs->page = malloc(BENCH_REPLAY_REFS * sizeof(*refs->page));
	refs->write = malloc(BENCH_REPLAY_REFS * sizeof(*refs->write));
	if (!refs->page || !refs->write) {
		pl_refs_free(refs);
		return -1;
	}
	for (size_t i = 0; i < BENCH_REPLAY_REFS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		refs->page[i] = (x >> 8) % BENCH_REPLAY_PAGES;
		refs->write[i] = !((x >> 24) & 3);
		if (refs->page[i] > refs->max)
			refs->max = refs->page[i];
	}
	refs->n = BENCH_REPLAY_REFS;
	return 0;
}

/*
 * One replay of @refs (pl_replay_run: a fresh object, LRU in exact mode,
 * else CLOCK in the default mode): ns for the whole run, or < 0.  The run
 * includes the object's setup and the final check of its 64 pages.
 */
static double replace_one_replay(int dev, const struct pl_refs *refs, bool exact,
				 unsigned int *data_bad)
{
	struct pl_replay r;
	double t0, t1;
	int ret;

	t0 = pl_now_ns();
	ret = pl_replay_run(dev, refs, exact ? PAGELAB_POLICY_LRU : PAGELAB_POLICY_CLOCK,
			    BENCH_REPLAY_FRAMES, exact, 1, false, &r);
	t1 = pl_now_ns();
	pl_replay_free(&r);
	if (ret)
		return -1;
	if (r.data_bad)
		(*data_bad)++;
	return t1 - t0;
}

static void bench_warn(bool json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A warning line: on stdout with the text output, on stderr with --json. */
static void bench_warn(bool json, const char *fmt, ...)
{
	FILE *out = json ? stderr : stdout;
	va_list ap;

	fputs(json ? "pagelab: bench: warning: " : "warning: ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

/*
 * Can the file-store metrics run with backing files in @dir?  NULL, or why
 * not (the module lacks the file store; @dir is not a writable directory).
 */
static const char *bench_store_ready(int dev, const char *dir, char *why, size_t len)
{
	struct pagelab_version v;
	struct stat st;
	int ret = pl_version(dev, &v);

	if (ret) {
		snprintf(why, len, "PAGELAB_IOC_VERSION: %s", strerror(-ret));
		return why;
	}
	if (!(v.features & PAGELAB_FEAT_FILE_STORE)) {
		snprintf(why, len, "the module (ABI %u.%u) has no file store", v.abi_major,
			 v.abi_minor);
		return why;
	}
	errno = 0;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK)) {
		snprintf(why, len, "%s is not a writable directory%s%s", dir, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return why;
	}
	return NULL;
}

/* The metric of a pagelab pair: 0 module dirty, 1 clean, 2 file dirty, 3 file clean. */
static int replace_kind(int m)
{
	return (m == P_PL_CLEAN || m == P_FILE_CLEAN) + 2 * (m == P_FILE_DIRTY || m == P_FILE_CLEAN);
}

static const int replace_kind_metric[4] = { P_PL_DIRTY, P_PL_CLEAN, P_FILE_DIRTY, P_FILE_CLEAN };

/* One bench replace run: its options, the samples, the medians, the checks. */
struct replace_bench {
	size_t pages;
	int reps, dev, nwarn;
	bool json;
	const char *store_dir, *file_why;
	char why[256];
	double *v[P_COUNT], *pageout;
	double med[P_COUNT], p25[P_COUNT], p75[P_COUNT], pageout_med;
	double swapped_min, major_min, rate_exact, rate_default;
	unsigned int pl_bad[4], swap_bad, major_bad, data_bad;
	struct replace_counts bad_sample[4];
	struct bench_swap sw;
	struct pl_refs refs;
	uint64_t *ents;
};

/* Is metric @m measured in this run (its baseline or store at hand)? */
static bool replace_measured(const struct replace_bench *b, int m)
{
	return !((m == P_ANON_SWAP && !b->sw.on) ||
		 ((m == P_FILE_DIRTY || m == P_FILE_CLEAN) && !b->store_dir));
}

/* The options, the store directory, the buffers: 0, or a PL_EXIT_* status. */
static int replace_setup(struct replace_bench *b, int argc, char **argv)
{
	bool explicit_dir, oom = false;

	if (pl_bench_args(argc, argv, &b->pages, &b->reps, &b->json, &b->store_dir))
		return PL_EXIT_USAGE;
	if (b->pages < 2) {
		pl_err("bench: replace needs --pages 2 or more (the budget is half of them)");
		return PL_EXIT_USAGE;
	}
	explicit_dir = b->store_dir != NULL;
	if (!b->store_dir && getenv("PAGELAB_SCRATCH") && *getenv("PAGELAB_SCRATCH"))
		b->store_dir = getenv("PAGELAB_SCRATCH");
	b->dev = pl_open_or_explain();
	if (b->dev < 0)
		return PL_EXIT_FAIL;
	if (!b->store_dir) {
		b->file_why = "no --store-dir, and PAGELAB_SCRATCH is not set";
	} else {
		b->file_why = bench_store_ready(b->dev, b->store_dir, b->why, sizeof(b->why));
		if (b->file_why && explicit_dir) {
			pl_err("bench: --store-dir: %s", b->file_why);
			return PL_EXIT_FAIL;
		}
		if (b->file_why)
			b->store_dir = NULL;
	}
	for (int m = 0; m < P_COUNT; m++) {
		b->v[m] = calloc(b->reps, sizeof(double));
		oom |= !b->v[m];
	}
	b->pageout = calloc(b->reps, sizeof(double));
	b->ents = malloc(b->pages * sizeof(*b->ents));
	if (oom || !b->pageout || !b->ents || bench_replay_refs(&b->refs)) {
		pl_err("bench: out of memory");
		return PL_EXIT_FAIL;
	}
	return 0;
}

/* One sample of metric @m in rep @r: its time, or < 0 after saying why. */
static double replace_sample(struct replace_bench *b, int m, int r)
{
	int kind = replace_kind(m), c = kind & 1;
	struct replace_counts d = { 0 };
	double t, swapped = 0, major = 0;

	switch (m) {
	case P_FILE_DIRTY:
	case P_FILE_CLEAN:
	case P_PL_DIRTY:
	case P_PL_CLEAN:
		t = replace_one_pagelab(b->dev, b->pages, c, kind & 2 ? b->store_dir : NULL, &d);
		if (t >= 0 && !(d.evictions == b->pages && d.page_ins == b->pages &&
				(c ? d.clean_drops : d.writebacks) == b->pages) && !b->pl_bad[kind]++)
			b->bad_sample[kind] = d;
		return t;
	case P_ANON_SWAP:
		t = replace_one_anon(b->pages, b->ents, &b->pageout[r], &swapped, &major);
		if (t >= 0) {
			b->swap_bad += swapped < 0.9;
			b->major_bad += major < 0.9;
			b->swapped_min = swapped < b->swapped_min ? swapped : b->swapped_min;
			b->major_min = major < b->major_min ? major : b->major_min;
		}
		return t;
	default:
		return replace_one_replay(b->dev, &b->refs, m == P_REPLAY_EXACT, &b->data_bad);
	}
}

/* Every rep of every metric measured, then the quartiles: 0, or -1. */
static int replace_measure(struct replace_bench *b)
{
	for (int r = 0; r < b->reps; r++)
		for (int k = 0; k < P_COUNT; k++) {
			/* Rotate the starting metric so none always runs first. */
			int m = (k + r) % P_COUNT;

			if (!replace_measured(b, m))
				continue;
			b->v[m][r] = replace_sample(b, m, r);
			if (b->v[m][r] < 0)
				return -1;
		}
	for (int m = 0; m < P_COUNT; m++) {
		if (!replace_measured(b, m)) {
			b->med[m] = b->p25[m] = b->p75[m] = 0;
			continue;
		}
		pl_quartiles(b->v[m], b->reps, &b->p25[m], &b->med[m], &b->p75[m]);
	}
	if (b->sw.on)
		b->pageout_med = quantile(b->pageout, b->reps, 0.5);
	b->rate_exact = b->med[P_REPLAY_EXACT] > 0 ?
			BENCH_REPLAY_REFS / (b->med[P_REPLAY_EXACT] / 1e9) : 0;
	b->rate_default = b->med[P_REPLAY_DEFAULT] > 0 ?
			  BENCH_REPLAY_REFS / (b->med[P_REPLAY_DEFAULT] / 1e9) : 0;
	return 0;
}

static void replace_print_json(const struct replace_bench *b)
{
	const double *med = b->med;

	printf("{\"pages\": %zu, \"reps\": %d, \"budget\": %zu", b->pages, b->reps, b->pages / 2);
	for (int m = P_PL_DIRTY; m <= P_PL_CLEAN; m++)
		printf(", \"%s_ns\": %.1f", replace_metric_names[m], med[m]);
	if (b->sw.on)
		printf(", \"anon_pageout_swapin_ns\": %.1f, \"anon_madv_pageout_ns\": %.1f"
		       ", \"anon_swapped_min\": %.4f, \"anon_major_min\": %.4f"
		       ", \"ratio_pageout_pagein\": %.4f"
		       ", \"ratio_pageout_pagein_clean\": %.4f, \"swap_note\": null",
		       med[P_ANON_SWAP], b->pageout_med, b->swapped_min, b->major_min,
		       med[P_PL_DIRTY] / med[P_ANON_SWAP], med[P_PL_CLEAN] / med[P_ANON_SWAP]);
	else
		printf(", \"anon_pageout_swapin_ns\": null, \"anon_madv_pageout_ns\": null"
		       ", \"anon_swapped_min\": null, \"anon_major_min\": null"
		       ", \"ratio_pageout_pagein\": null"
		       ", \"ratio_pageout_pagein_clean\": null, \"swap_note\": ");
	if (!b->sw.on)
		pl_json_str(b->sw.why);
	if (b->store_dir) {
		printf(", \"file_pageout_pagein_ns\": %.1f, \"file_pageout_pagein_clean_ns\": %.1f"
		       ", \"ratio_file_module\": %.4f, \"ratio_file_module_clean\": %.4f"
		       ", \"store_dir\": ", med[P_FILE_DIRTY], med[P_FILE_CLEAN],
		       med[P_FILE_DIRTY] / med[P_PL_DIRTY], med[P_FILE_CLEAN] / med[P_PL_CLEAN]);
		pl_json_str(b->store_dir);
		printf(", \"file_note\": null");
	} else {
		printf(", \"file_pageout_pagein_ns\": null, \"file_pageout_pagein_clean_ns\": null"
		       ", \"ratio_file_module\": null, \"ratio_file_module_clean\": null"
		       ", \"store_dir\": null, \"file_note\": ");
		pl_json_str(b->file_why);
	}
	printf(", \"replay_references\": %d, \"replay_pages\": %d, \"replay_frames\": %d, "
	       "\"replay_exact_ns\": %.0f, \"replay_default_ns\": %.0f, "
	       "\"replay_exact_refs_per_s\": %.0f, \"replay_default_refs_per_s\": %.0f",
	       BENCH_REPLAY_REFS, BENCH_REPLAY_PAGES, BENCH_REPLAY_FRAMES,
	       med[P_REPLAY_EXACT], med[P_REPLAY_DEFAULT], b->rate_exact, b->rate_default);
}

static void replace_print_text(const struct replace_bench *b)
{
	static const int order[] = { P_PL_DIRTY, P_FILE_DIRTY, P_PL_CLEAN, P_FILE_CLEAN,
				     P_ANON_SWAP };
	const double *med = b->med;

	printf("page-out + page-in: %zu pages in %zu frames (FIFO, every touch a miss) x "
	       "%d reps,\nns per page (median [p25, p75])\n", b->pages, b->pages / 2, b->reps);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int m = order[i];

		if (!replace_measured(b, m))
			continue;
		printf("  %-29s %10.1f  [%.1f, %.1f]", replace_metric_names[m], med[m],
		       b->p25[m], b->p75[m]);
		if (m == P_ANON_SWAP)
			printf("  (MADV_PAGEOUT %.1f of it)", b->pageout_med);
		if (m == P_FILE_DIRTY || m == P_FILE_CLEAN)
			printf("  file/module %.2f",
			       med[m] / med[m == P_FILE_DIRTY ? P_PL_DIRTY : P_PL_CLEAN]);
		printf("\n");
	}
	if (b->store_dir)
		printf("  (file_*: the store is a backing file in %s; pagelab_*: the "
		       "module's memory)\n", b->store_dir);
	printf("replay: %d pseudo-random references over %d pages in %d frames x %d reps,\n"
	       "ms per run (median [p25, p75])\n", BENCH_REPLAY_REFS, BENCH_REPLAY_PAGES,
	       BENCH_REPLAY_FRAMES, b->reps);
	for (int m = P_REPLAY_EXACT; m <= P_REPLAY_DEFAULT; m++) {
		bool exact = m == P_REPLAY_EXACT;

		printf("  %-22s %10.1f  [%.1f, %.1f]  %10.0f refs/s\n",
		       exact ? "replay_exact (lru)" : "replay_default (clock)",
		       med[m] / 1e6, b->p25[m] / 1e6, b->p75[m] / 1e6,
		       exact ? b->rate_exact : b->rate_default);
	}
}

/* The samples that did not count what they should, as warnings. */
static void replace_warnings(struct replace_bench *b)
{
	for (int kind = 0; kind < 4; kind++) {
		const struct replace_counts *s = &b->bad_sample[kind];

		if (!b->pl_bad[kind])
			continue;
		b->nwarn++;
		bench_warn(b->json, "%s: %u of %d reps did not count %zu evictions, page-ins and %s "
			   "(first: %llu, %llu, %llu)",
			   replace_metric_names[replace_kind_metric[kind]],
			   b->pl_bad[kind], b->reps, b->pages, kind & 1 ? "clean drops" : "write-backs",
			   (unsigned long long)s->evictions, (unsigned long long)s->page_ins,
			   (unsigned long long)(kind & 1 ? s->clean_drops : s->writebacks));
	}
	if (b->swap_bad) {
		b->nwarn++;
		bench_warn(b->json, "anon_pageout_swapin: in %u of %d reps MADV_PAGEOUT swapped out "
			   "under 90%% of the pages (worst %.1f%%)", b->swap_bad, b->reps,
			   b->swapped_min * 100);
	}
	if (b->major_bad) {
		b->nwarn++;
		bench_warn(b->json, "anon_pageout_swapin: in %u of %d reps the writes took under "
			   "0.9 major faults per page (worst %.2f)", b->major_bad, b->reps,
			   b->major_min);
	}
	if (b->data_bad) {
		b->nwarn++;
		bench_warn(b->json, "replay: %u runs read data that was not the last written",
			   b->data_bad);
	}
}

/* The RATIO and ABS lines the bench scripts read. */
static void replace_print_ratios(const struct replace_bench *b)
{
	const double *med = b->med;

	if (b->sw.on) {
		printf("RATIO pageout_pagein %.4f\n", med[P_PL_DIRTY] / med[P_ANON_SWAP]);
		printf("ABS pageout_pagein %.1f %.1f\n", med[P_PL_DIRTY], med[P_ANON_SWAP]);
		printf("RATIO pageout_pagein_clean %.4f\n", med[P_PL_CLEAN] / med[P_ANON_SWAP]);
		printf("ABS pageout_pagein_clean %.1f %.1f\n", med[P_PL_CLEAN], med[P_ANON_SWAP]);
	}
	if (b->store_dir) {
		printf("RATIO file_vs_module %.4f\n", med[P_FILE_DIRTY] / med[P_PL_DIRTY]);
		printf("RATIO file_vs_module_clean %.4f\n", med[P_FILE_CLEAN] / med[P_PL_CLEAN]);
	}
	printf("replay_exact_refs_per_s %.0f\n", b->rate_exact);
	printf("replay_default_refs_per_s %.0f\n", b->rate_default);
}

static int bench_replace(int argc, char **argv)
{
	static struct replace_bench b;
	int status;

	b = (struct replace_bench){ .pages = 512, .reps = 11, .dev = -1, .swapped_min = 1,
				    .major_min = 1 };
	status = replace_setup(&b, argc, argv);
	if (status)
		goto out;
	status = PL_EXIT_FAIL;
	bench_swap_on(&b.sw, b.pages);
	if (!b.sw.on)
		fprintf(b.json ? stderr : stdout, "%snote: no kernel baseline (zram swap: %s): "
			"anon_pageout_swapin and the ratios are skipped\n",
			b.json ? "pagelab: bench: " : "", b.sw.why);
	if (!b.store_dir)
		fprintf(b.json ? stderr : stdout, "%snote: no file store figures (%s; PAGELAB_SCRATCH "
			"or --store-dir DIR names a directory on a disk)\n",
			b.json ? "pagelab: bench: " : "", b.file_why);
	if (replace_measure(&b))
		goto out;
	if (b.json)
		replace_print_json(&b);
	else
		replace_print_text(&b);
	replace_warnings(&b);
	if (b.json)
		printf(", \"warnings\": %d}\n", b.nwarn);
	else
		replace_print_ratios(&b);
	status = PL_EXIT_OK;
out:
	bench_swap_off(&b.sw);
	if (b.dev >= 0)
		close(b.dev);
	pl_refs_free(&b.refs);
	free(b.ents);
	free(b.pageout);
	for (int m = 0; m < P_COUNT; m++)
		free(b.v[m]);
	return status;
}

static void bench_usage(void)
{
	printf("usage: pagelab bench fault [--pages N] [--reps R] [--json]\n"
	       "       pagelab bench smp [--pages N] [--reps R] [--json]\n"
	       "       pagelab bench walk [--pages N] [--reps R] [--json]\n"
	       "       pagelab bench scan [--pages N] [--reps R] [--json]\n"
	       "       pagelab bench cow [--pages N] [--reps R] [--json]\n"
	       "       pagelab bench replace [--pages N] [--reps R] [--json] "
	       "[--store-dir DIR]\n"
	       "       pagelab bench huge [--reps R] [--json]\n\n"
	       "fault:\n"
	       "First-touch fault cost of pagelab objects against anonymous\n"
	       "memory (MADV_NOHUGEPAGE), write faults that allocate and read\n"
	       "faults that map the zero page, interleaved, median of R reps\n"
	       "(default 31) of N touches each (default 512): in order, in a\n"
	       "fixed random order (_random) and one page in 16 (_sparse).  And\n"
	       "a userfaultfd round trip on anonymous memory, served by a thread:\n"
	       "UFFDIO_COPY for a write (uffd_copy), UFFDIO_ZEROPAGE for a read\n"
	       "(uffd_zeropage).  Prints each metric in ns per fault\n"
	       "(instructions x 2^shift under QEMU -icount), RATIO write, read,\n"
	       "write_random, read_random, write_sparse, read_sparse (pagelab over\n"
	       "anon), write_vs_uffd and read_vs_uffd (pagelab over uffd), and\n"
	       "after each an ABS line: the two medians it divides.  Run it in a\n"
	       "guest: make bench does, under icount and under TCG wall clock.\n\n"
	       "smp:\n"
	       "2N write faults (N default 4096) on one region by one thread, then\n"
	       "by two threads on two CPUs (N each), pagelab and anonymous memory;\n"
	       "median of R reps (default 11), ns per fault.  Prints RATIO\n"
	       "smp_pagelab and RATIO smp_anon: time with two threads over time\n"
	       "with one (0.5: perfect scaling).  Needs two CPUs.\n\n"
	       "walk:\n"
	       "The page-table walk (/sys/kernel/debug/pagelab/walk; root) against\n"
	       "/proc/self/pagemap over N written anonymous pages (default 4096,\n"
	       "MADV_NOHUGEPAGE): each rep times one range request (open, write,\n"
	       "read the whole answer, close) and the same N entries from pagemap\n"
	       "(open, one pread, close), interleaved; median of R reps (default\n"
	       "31).  Prints pages/s for each and RATIO walk_vs_pagemap, ours over\n"
	       "pagemap's.\n\n"
	       "scan:\n"
	       "The binary scan (PAGELAB_IOC_SCAN) against /proc/self/pagemap over\n"
	       "the same N pages (default 16384), three ways: dense (every page\n"
	       "written), sparse (one page in 64 written), holes (one page in 64\n"
	       "mapped at all); each with PFNs and without (PAGELAB_SCAN_F_NO_PFN),\n"
	       "pagemap's pread of N entries against one scan of the range, median\n"
	       "of R reps (default 31), interleaved.  Prints RATIO\n"
	       "scan_vs_pagemap_dense, _sparse, _holes (pages/s, ours over\n"
	       "pagemap's) and the same with _nopfn.\n\n"
	       "cow:\n"
	       "The cost of a write that breaks copy-on-write sharing, in ns per\n"
	       "page written (N pages, default 512; median of R reps, default 31;\n"
	       "interleaved).  pagelab_cow_unmapped writes a fresh MAP_SHARED\n"
	       "mapping of a clone of an object whose N pages are all written\n"
	       "(one fault per page; the handler copies); pagelab_cow_mapped reads\n"
	       "that mapping in full first (each write traps on a read-only entry\n"
	       "of the shared frame, then again on the copy); pagelab_refault is\n"
	       "that second trap alone: an object's N written pages, their entries\n"
	       "removed (MADV_DONTNEED), written again; shmem_refault the same on\n"
	       "shared anonymous memory (the kernel's shmem); anon_fork_cow is the\n"
	       "kernel's own COW: anonymous memory (MADV_NOHUGEPAGE) written, then\n"
	       "fork, then the parent writes while the child still maps it.\n"
	       "Prints RATIO cow_unmapped, cow_mapped and cow_refault, each over\n"
	       "anon_fork_cow (goals: cow_unmapped <= 1.1, cow_mapped <= 1.5), and\n"
	       "refault_vs_shmem.\n\n"
	       "replace:\n"
	       "Page-out + page-in, in ns per page (N pages, default 512; median of\n"
	       "R reps, default 11; interleaved).  pagelab_pageout_pagein: an object\n"
	       "of N pages, written, gets a budget of N/2 frames (FIFO); writing\n"
	       "every page in order then makes each write one eviction with a\n"
	       "write-back and one page-in (a warm-up pass, then a timed one; the\n"
	       "object's counters are checked); pagelab_pageout_pagein_clean reads\n"
	       "instead, so each victim is dropped clean.  anon_pageout_swapin, the\n"
	       "kernel's own: N anonymous pages (MADV_NOHUGEPAGE) written, then one\n"
	       "MADV_PAGEOUT of them all to swap on /dev/zram0 and a write to each\n"
	       "(a swap-in), both timed.  zram0 is made swap for the run if it is\n"
	       "not (root; undone at the end); without it that baseline and the\n"
	       "ratios are skipped.  Prints RATIO pageout_pagein and RATIO\n"
	       "pageout_pagein_clean, each over anon_pageout_swapin, and the replay\n"
	       "engine's speed on 20000 pseudo-random references over 64 pages in\n"
	       "16 frames: replay_exact_refs_per_s (exact mode, LRU: a fault and a\n"
	       "madvise per reference) and replay_default_refs_per_s (CLOCK).\n"
	       "--store-dir DIR (default: $PAGELAB_SCRATCH, if set) adds the same\n"
	       "two pagelab metrics with a backing file in DIR as the store (ABI\n"
	       "1.4; a new file per rep, mode 0600, removed after it; put DIR on a\n"
	       "disk, not tmpfs): file_pageout_pagein and file_pageout_pagein_clean,\n"
	       "each printed next to the module store's figure with the ratio\n"
	       "file/module, and RATIO file_vs_module and RATIO\n"
	       "file_vs_module_clean.  Without either they are skipped, with a note;\n"
	       "a --store-dir that cannot be used is an error.\n\n"
	       "huge:\n"
	       "Mapping 2 MiB of anonymous memory at a 2 MiB boundary, one byte\n"
	       "written per 4 KiB page: with MADV_HUGEPAGE (one fault, a PMD leaf)\n"
	       "against MADV_NOHUGEPAGE (512 faults), median of R reps (default 31),\n"
	       "interleaved; a rep counts only if it took 1 fault, or 512.  Prints\n"
	       "RATIO huge_vs_small (time, huge over small).  Where the module has\n"
	       "huge objects (6.12 on), the same for a fresh 2 MiB pagelab object:\n"
	       "a huge one (one fault, the module's PMD leaf) against an ordinary\n"
	       "one without fault-around (512 faults), RATIO obj_huge_vs_small, and\n"
	       "the huge object's fault against the kernel's THP fault,\n"
	       "RATIO obj_huge_vs_thp.\n");
}

int cmd_bench(int argc, char **argv)
{
	if (pl_wants_help(argc, argv)) {
		bench_usage();
		return PL_EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "walk"))
		return bench_walk(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "scan"))
		return bench_scan(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "cow"))
		return bench_cow(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "replace"))
		return bench_replace(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "fault"))
		return bench_fault(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "smp"))
		return bench_smp(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "huge"))
		return bench_huge(argc, argv);
	pl_err("bench: which benchmark? (pagelab bench fault|smp|walk|scan|cow|replace|huge; "
	       "see --help)");
	return PL_EXIT_USAGE;
}
