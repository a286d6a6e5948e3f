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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

enum { M_PL_WRITE, M_ANON_WRITE, M_PL_READ, M_ANON_READ, M_COUNT };

static const char *const metric_names[M_COUNT] = {
	"pagelab_write", "anon_write", "pagelab_read", "anon_read",
};

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

int cmd_bench(int argc, char **argv)
{
	size_t pages = 512;
	int reps = 31, dev;
	bool json = false;
	double *v[M_COUNT], med[M_COUNT], p25[M_COUNT], p75[M_COUNT];

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab bench fault [--pages N] [--reps R] [--json]\n\n"
		       "First-touch fault cost of pagelab objects against anonymous\n"
		       "memory (MADV_NOHUGEPAGE), write faults that allocate and read\n"
		       "faults that map the zero page, interleaved, median of R reps\n"
		       "(default 31) of N pages each (default 512).  Prints each\n"
		       "metric in ns per fault (instructions x 2^shift under QEMU\n"
		       "-icount) and the ratios pagelab/anon.  Run it in a guest:\n"
		       "make bench does, under icount and under TCG wall clock.\n");
		return PL_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "fault")) {
		pl_err("bench: which benchmark? (pagelab bench fault; see --help)");
		return PL_EXIT_USAGE;
	}
	for (int a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (!strcmp(argv[a], "--pages") && a + 1 < argc) {
			pages = strtoul(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "--reps") && a + 1 < argc) {
			reps = atoi(argv[++a]);
		} else {
			pl_err("bench: unknown argument '%s' (see pagelab bench --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	if (!pages || reps < 1 || pages > (1UL << 20)) {
		pl_err("bench: --pages must be 1..1048576 and --reps at least 1");
		return PL_EXIT_USAGE;
	}
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
