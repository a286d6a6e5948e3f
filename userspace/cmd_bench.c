// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab bench fault - first-touch fault cost: pagelab objects against the
 * kernel's own anonymous memory, in one run, as ratios.
 *
 * Four metrics, interleaved round-robin so drift hits them alike: a write
 * fault that allocates (pagelab MAP_SHARED vs anonymous with MADV_NOHUGEPAGE)
 * and a read fault that maps the zero page (the same two).  Each rep maps a
 * fresh region of --pages pages and touches one byte per page; the cost per
 * fault is the rep's clock_gettime(CLOCK_MONOTONIC) span over the page count.
 * Under QEMU -icount the guest clock counts instructions (2^shift ns each),
 * so the same code gives instruction counts there and wall time under plain
 * TCG.  The median over --reps is reported; ratios are of medians.
 *
 * pagelab bench walk - the page-table walk against /proc/self/pagemap: a
 * range request over --pages written anonymous pages (MADV_NOHUGEPAGE),
 * each rep timing the whole request (open, write, read the answer, close)
 * and the same entries from pagemap (open, one pread, close), interleaved.
 * Throughput in pages per second from the medians, and their ratio.
 *
 * pagelab bench cow - the cost of a write that breaks copy-on-write sharing:
 * pagelab's snapshots against the kernel's fork COW of anonymous memory.
 * Three metrics, interleaved and rotated as for fault, each rep over
 * --pages pages and one byte written per page, the writes timed alone (not
 * the setup): an object with every page written is cloned and the clone
 * mapped MAP_SHARED afresh, then written (cow_unmapped: each write one
 * fault, whose handler copies the page), or read in full first and then
 * written (cow_mapped: each write traps on a read-only entry of the shared
 * frame); the baseline writes anonymous memory (MADV_NOHUGEPAGE) written
 * before a fork, while the child still maps it (the kernel's do_wp_page
 * copy).  Ratios of medians: each pagelab metric over the baseline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

enum { M_PL_WRITE, M_ANON_WRITE, M_PL_READ, M_ANON_READ, M_COUNT };

static const char *const metric_names[M_COUNT] = {
	"pagelab_write", "anon_write", "pagelab_read", "anon_read",
};

/*
 * "pagelab bench fault|walk|cow [--json] [--pages N] [--reps R]": the options
 * after the benchmark's name into *@pages, *@reps, *@json (which hold the
 * defaults).  0, or -1 with the reason printed.
 */
static int bench_args(int argc, char **argv, size_t *pages, int *reps, bool *json)
{
	for (int a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			*json = true;
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

static double now_ns(void)
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

/* One rep of metric @m over @pages pages: ns per fault, or < 0 on error. */
static double bench_one(int dev, int m, size_t pages)
{
	size_t len = pages * (size_t)sysconf(_SC_PAGESIZE), step = sysconf(_SC_PAGESIZE);
	bool pl = m == M_PL_WRITE || m == M_PL_READ;
	bool write = m == M_PL_WRITE || m == M_ANON_WRITE;
	volatile char *p;
	int fd = -1, ret;
	double t0, t1;
	__u64 id;
	char sink = 0;

	if (pl) {
		ret = pl_create(dev, len, 0, 0, "bench", &fd, &id);
		if (ret) {
			pl_err("bench: PAGELAB_IOC_CREATE: %s", strerror(-ret));
			return -1;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			madvise((void *)p, len, MADV_NOHUGEPAGE);
	}
	if (p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	t0 = now_ns();
	if (write)
		for (size_t off = 0; off < len; off += step)
			p[off] = 1;
	else
		for (size_t off = 0; off < len; off += step)
			sink += p[off];
	t1 = now_ns();
	munmap((void *)p, len);
	if (fd >= 0)
		close(fd);
	(void)sink;
	return (t1 - t0) / pages;
}

/* ---- bench walk ---------------------------------------------------------- */

enum { W_WALK, W_PAGEMAP, W_COUNT };

/* One range walk of [p, p + pages) through debugfs: ns, or < 0 on error. */
static double walk_once(const char *req, char **buf, size_t *cap)
{
	double t0, t1;
	int fd, ret, rret;

	t0 = now_ns();
	fd = pl_walk_open();
	if (fd < 0) {
		pl_err("bench: open %s: %s", PL_WALK_PATH, strerror(-fd));
		return -1;
	}
	ret = pl_walk_send(fd, req);
	rret = pl_walk_recv_alloc(fd, buf, cap);
	close(fd);
	t1 = now_ns();
	if (ret || rret) {
		const char *why = *buf ? pl_walk_error(*buf) : NULL;

		pl_err("bench: walk '%s': %s%s%.*s", req, strerror(-(ret ? ret : rret)),
		       why ? ": " : "", why ? (int)strcspn(why, "\n") : 0, why ? why : "");
		return -1;
	}
	return t1 - t0;
}

/* The same pages' entries from /proc/self/pagemap, one pread: ns or < 0. */
static double pagemap_once(uintptr_t p, size_t pages, uint64_t *ents, long ps)
{
	size_t len = pages * sizeof(uint64_t);
	double t0, t1;
	ssize_t n;
	int fd;

	t0 = now_ns();
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pl_err("bench: open /proc/self/pagemap: %s", strerror(errno));
		return -1;
	}
	n = pread(fd, ents, len, (off_t)(p / ps) * sizeof(uint64_t));
	close(fd);
	t1 = now_ns();
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

	if (bench_args(argc, argv, &pages, &reps, &json))
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
	    pagemap_once((uintptr_t)p, pages, ents, ps) < 0)
		goto out;
	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < W_COUNT; k++) {
			int m = (k + r) % W_COUNT;	/* alternate which goes first */

			v[m][r] = m == W_WALK ? walk_once(req, &answer, &cap) :
				  pagemap_once((uintptr_t)p, pages, ents, ps);
			if (v[m][r] < 0)
				goto out;
		}
	}
	for (int m = 0; m < W_COUNT; m++) {
		p25[m] = quantile(v[m], reps, 0.25);
		med[m] = quantile(v[m], reps, 0.5);
		p75[m] = quantile(v[m], reps, 0.75);
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

enum { C_PL_UNMAPPED, C_PL_MAPPED, C_ANON_FORK, C_COUNT };

static const char *const cow_metric_names[C_COUNT] = {
	"pagelab_cow_unmapped", "pagelab_cow_mapped", "anon_fork_cow",
};

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

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		return -1;
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += step)
		p[off] = 1;
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
	t0 = now_ns();
	for (size_t off = 0; off < len; off += step)
		p[off] = 2;
	t1 = now_ns();
	close(hold[1]);
	waitpid(pid, NULL, 0);
	munmap((void *)p, len);
	return (t1 - t0) / pages;
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

	err = pl_create(dev, len, 0, 0, "bench-cow", &fd, &id);
	if (err) {
		pl_err("bench: PAGELAB_IOC_CREATE: %s", strerror(-err));
		return -1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < len; off += step)
		p[off] = 1;
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
	t0 = now_ns();
	for (size_t off = 0; off < len; off += step)
		q[off] = 2;
	t1 = now_ns();
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

static int bench_cow(int argc, char **argv)
{
	size_t pages = 512;
	int reps = 31, dev, status = PL_EXIT_FAIL;
	bool json = false;
	double *v[C_COUNT] = { NULL }, med[C_COUNT], p25[C_COUNT], p75[C_COUNT];

	if (bench_args(argc, argv, &pages, &reps, &json))
		return PL_EXIT_USAGE;
	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	for (int m = 0; m < C_COUNT; m++) {
		v[m] = calloc(reps, sizeof(double));
		if (!v[m]) {
			pl_err("bench: out of memory");
			goto out;
		}
	}
	for (int r = 0; r < reps; r++) {
		for (int m = 0; m < C_COUNT; m++) {
			/* Rotate the starting metric so none always runs first. */
			int mm = (m + r) % C_COUNT;

			v[mm][r] = mm == C_ANON_FORK ? cow_one_anon(pages) :
				   cow_one_pagelab(dev, pages, mm == C_PL_MAPPED);
			if (v[mm][r] < 0)
				goto out;
		}
	}
	for (int m = 0; m < C_COUNT; m++) {
		p25[m] = quantile(v[m], reps, 0.25);
		med[m] = quantile(v[m], reps, 0.5);
		p75[m] = quantile(v[m], reps, 0.75);
	}
	if (json) {
		printf("{\"pages\": %zu, \"reps\": %d", pages, reps);
		for (int m = 0; m < C_COUNT; m++)
			printf(", \"%s_ns\": %.1f", cow_metric_names[m], med[m]);
		printf(", \"ratio_cow_unmapped\": %.4f, \"ratio_cow_mapped\": %.4f}\n",
		       med[C_PL_UNMAPPED] / med[C_ANON_FORK], med[C_PL_MAPPED] / med[C_ANON_FORK]);
	} else {
		printf("copy-on-write breaks, %zu pages x %d reps, ns per page written "
		       "(median [p25, p75])\n", pages, reps);
		for (int m = 0; m < C_COUNT; m++)
			printf("  %-20s %10.1f  [%.1f, %.1f]\n", cow_metric_names[m], med[m],
			       p25[m], p75[m]);
		printf("RATIO cow_unmapped %.4f\n", med[C_PL_UNMAPPED] / med[C_ANON_FORK]);
		printf("RATIO cow_mapped %.4f\n", med[C_PL_MAPPED] / med[C_ANON_FORK]);
		printf("(goal: cow_unmapped <= 1.1: a snapshot's write no dearer than fork's)\n");
	}
	status = PL_EXIT_OK;
out:
	close(dev);
	for (int m = 0; m < C_COUNT; m++)
		free(v[m]);
	return status;
}

int cmd_bench(int argc, char **argv)
{
	size_t pages = 512;
	int reps = 31, dev;
	bool json = false;
	double *v[M_COUNT], med[M_COUNT], p25[M_COUNT], p75[M_COUNT];

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab bench fault [--pages N] [--reps R] [--json]\n"
		       "       pagelab bench walk [--pages N] [--reps R] [--json]\n"
		       "       pagelab bench cow [--pages N] [--reps R] [--json]\n\n"
		       "fault:\n"
		       "First-touch fault cost of pagelab objects against anonymous\n"
		       "memory (MADV_NOHUGEPAGE), write faults that allocate and read\n"
		       "faults that map the zero page, interleaved, median of R reps\n"
		       "(default 31) of N pages each (default 512).  Prints each\n"
		       "metric in ns per fault (instructions x 2^shift under QEMU\n"
		       "-icount) and the ratios pagelab/anon.  Run it in a guest:\n"
		       "make bench does, under icount and under TCG wall clock.\n\n"
		       "walk:\n"
		       "The page-table walk (/sys/kernel/debug/pagelab/walk; root) against\n"
		       "/proc/self/pagemap over N written anonymous pages (default 4096,\n"
		       "MADV_NOHUGEPAGE): each rep times one range request (open, write,\n"
		       "read the whole answer, close) and the same N entries from pagemap\n"
		       "(open, one pread, close), interleaved; median of R reps (default\n"
		       "31).  Prints pages/s for each and RATIO walk_vs_pagemap, ours over\n"
		       "pagemap's.\n\n"
		       "cow:\n"
		       "The cost of a write that breaks copy-on-write sharing, in ns per\n"
		       "page written (N pages, default 512; median of R reps, default 31;\n"
		       "interleaved).  pagelab_cow_unmapped writes a fresh MAP_SHARED\n"
		       "mapping of a clone of an object whose N pages are all written\n"
		       "(one fault per page; the handler copies); pagelab_cow_mapped reads\n"
		       "that mapping in full first (each write traps on a read-only entry\n"
		       "of the shared frame); anon_fork_cow is the kernel's own: anonymous\n"
		       "memory (MADV_NOHUGEPAGE) written, then fork, then the parent\n"
		       "writes while the child still maps it.  Prints RATIO cow_unmapped\n"
		       "and RATIO cow_mapped, each over anon_fork_cow (goal: cow_unmapped\n"
		       "<= 1.1).\n");
		return PL_EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "walk"))
		return bench_walk(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "cow"))
		return bench_cow(argc, argv);
	if (argc < 2 || strcmp(argv[1], "fault")) {
		pl_err("bench: which benchmark? (pagelab bench fault|walk|cow; see --help)");
		return PL_EXIT_USAGE;
	}
	if (bench_args(argc, argv, &pages, &reps, &json))
		return PL_EXIT_USAGE;
	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	for (int m = 0; m < M_COUNT; m++) {
		v[m] = calloc(reps, sizeof(double));
		if (!v[m]) {
			pl_err("bench: out of memory");
			return PL_EXIT_FAIL;
		}
	}
	for (int r = 0; r < reps; r++) {
		for (int m = 0; m < M_COUNT; m++) {
			/* Rotate the starting metric so none always runs first. */
			int mm = (m + r) % M_COUNT;

			v[mm][r] = bench_one(dev, mm, pages);
			if (v[mm][r] < 0)
				return PL_EXIT_FAIL;
		}
	}
	close(dev);
	for (int m = 0; m < M_COUNT; m++) {
		p25[m] = quantile(v[m], reps, 0.25);
		med[m] = quantile(v[m], reps, 0.5);
		p75[m] = quantile(v[m], reps, 0.75);
		free(v[m]);
	}
	if (json) {
		printf("{\"pages\": %zu, \"reps\": %d", pages, reps);
		for (int m = 0; m < M_COUNT; m++)
			printf(", \"%s_ns\": %.1f", metric_names[m], med[m]);
		printf(", \"ratio_write\": %.4f, \"ratio_read\": %.4f}\n",
		       med[M_PL_WRITE] / med[M_ANON_WRITE], med[M_PL_READ] / med[M_ANON_READ]);
		return PL_EXIT_OK;
	}
	printf("first-touch faults, %zu pages x %d reps, ns per fault (median [p25, p75])\n",
	       pages, reps);
	for (int m = 0; m < M_COUNT; m++)
		printf("  %-14s %10.1f  [%.1f, %.1f]\n", metric_names[m], med[m], p25[m], p75[m]);
	printf("RATIO write %.4f\n", med[M_PL_WRITE] / med[M_ANON_WRITE]);
	printf("RATIO read %.4f\n", med[M_PL_READ] / med[M_ANON_READ]);
	return PL_EXIT_OK;
}
