// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab bench scan - the binary scan (PAGELAB_IOC_SCAN) against
 * /proc/self/pagemap over the same range, at three densities, with PFNs
 * and without: pages per second, and the ratio ours over pagemap's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_scan.h"

enum { D_DENSE, D_SPARSE, D_HOLES, D_COUNT };
static const char *const density_names[D_COUNT] = { "dense", "sparse", "holes" };

/* A column of the table: what is timed. */
enum { S_PAGEMAP, S_SCAN, S_SCAN_NOPFN, S_COUNT };
static const char *const scan_names[S_COUNT] = { "pagemap", "scan", "scan_nopfn" };

/* 1 page in SPARSE_EVERY written (sparse), or mapped at all (holes). */
#define SPARSE_EVERY	64

struct scan_target {
	char *p;
	size_t pages;
	size_t expect_present;
};

/* The pages of @d: dense all written; sparse 1 in 64; holes 1 in 64 mapped. */
static int scan_target_make(struct scan_target *t, int d, size_t pages, long ps)
{
	t->pages = pages;
	t->p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->p == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		return -1;
	}
	madvise(t->p, pages * ps, MADV_NOHUGEPAGE);
	t->expect_present = 0;
	for (size_t i = 0; i < pages; i++) {
		if (d != D_DENSE && i % SPARSE_EVERY)
			continue;
		((volatile char *)t->p)[i * ps] = 1;
		t->expect_present++;
	}
	if (d == D_HOLES)
		for (size_t i = 0; i < pages; i += SPARSE_EVERY) {
			size_t n = pages - i - 1 < SPARSE_EVERY - 1 ? pages - i - 1 : SPARSE_EVERY - 1;

			if (n && munmap(t->p + (i + 1) * ps, n * ps)) {
				pl_err("bench: munmap: %s", strerror(errno));
				return -1;
			}
		}
	return 0;
}

static void scan_target_free(struct scan_target *t, int d, long ps)
{
	if (t->p == MAP_FAILED || !t->p)
		return;
	if (d == D_HOLES)
		for (size_t i = 0; i < t->pages; i += SPARSE_EVERY)
			munmap(t->p + i * ps, ps);
	else
		munmap(t->p, t->pages * ps);
}

/*
 * One scan of the range into @runs (room for @room): ns, or < 0.  The first
 * call (@check) also checks the answer: every written page present.
 */
static double scan_once(int dev, const struct scan_target *t, uint32_t flags,
			struct pagelab_scan_run *runs, uint32_t room, long ps, bool check)
{
	struct pagelab_scan s = {
		.size = sizeof(s), .flags = flags, .max_runs = room,
		.start = (uintptr_t)t->p, .end = (uintptr_t)t->p + t->pages * ps,
		.runs = (uintptr_t)runs,
	};
	uint64_t present = 0;
	double t0, t1;
	int ret;

	t0 = pl_now_ns();
	ret = pl_scan(dev, &s);
	t1 = pl_now_ns();
	if (ret) {
		pl_err("bench: PAGELAB_IOC_SCAN: %s", strerror(-ret));
		return -1;
	}
	if (!check)
		return t1 - t0;
	for (uint32_t k = 0; k < s.nr_runs; k++)
		if (runs[k].categories & PAGELAB_SCAN_PRESENT)
			present += runs[k].pages;
	if (s.walk_end != s.end || present != t->expect_present) {
		pl_err("bench: the scan stopped at 0x%llx of 0x%llx and shows %llu of %zu pages "
		       "present", (unsigned long long)s.walk_end, (unsigned long long)s.end,
		       (unsigned long long)present, t->expect_present);
		return -1;
	}
	return t1 - t0;
}

int bench_scan(int argc, char **argv)
{
	const long ps = sysconf(_SC_PAGESIZE);
	size_t pages = 16384;
	int reps = 31, dev, status = PL_EXIT_FAIL;
	double *v[S_COUNT] = { NULL }, med[D_COUNT][S_COUNT], p25, p75;
	double pps[D_COUNT][S_COUNT];
	struct pagelab_scan_run *runs = NULL;
	uint64_t *ents = NULL;
	uint32_t room;
	bool json = false;

	if (pl_bench_args(argc, argv, &pages, &reps, &json, NULL))
		return PL_EXIT_USAGE;
	room = pages < PAGELAB_SCAN_MAX_RUNS ? (uint32_t)pages : PAGELAB_SCAN_MAX_RUNS;
	if (pages > room) {
		pl_err("bench: scan: --pages at most %u (one call's runs)", PAGELAB_SCAN_MAX_RUNS);
		return PL_EXIT_USAGE;
	}
	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	ents = malloc(pages * sizeof(*ents));
	runs = malloc(room * sizeof(*runs));
	for (int m = 0; m < S_COUNT; m++)
		v[m] = calloc(reps, sizeof(double));
	if (!ents || !runs || !v[0] || !v[1] || !v[2]) {
		pl_err("bench: out of memory");
		goto out;
	}
	for (int d = 0; d < D_COUNT; d++) {
		struct scan_target t = { .p = NULL };
		bool ok = !scan_target_make(&t, d, pages, ps) &&
			  scan_once(dev, &t, 0, runs, room, ps, true) >= 0 &&
			  scan_once(dev, &t, PAGELAB_SCAN_F_NO_PFN, runs, room, ps, true) >= 0 &&
			  pl_bench_pagemap_once((uintptr_t)t.p, t.pages, ents, ps) >= 0;

		for (int r = 0; ok && r < reps; r++) {
			for (int k = 0; ok && k < S_COUNT; k++) {
				int m = (k + r) % S_COUNT;	/* rotate which goes first */

				v[m][r] = m == S_PAGEMAP ?
					  pl_bench_pagemap_once((uintptr_t)t.p, t.pages, ents, ps) :
					  scan_once(dev, &t, m == S_SCAN ? 0 : PAGELAB_SCAN_F_NO_PFN,
						    runs, room, ps, false);
				ok = v[m][r] >= 0;
			}
		}
		scan_target_free(&t, d, ps);
		if (!ok)
			goto out;
		for (int m = 0; m < S_COUNT; m++) {
			pl_quartiles(v[m], reps, &p25, &med[d][m], &p75);
			pps[d][m] = med[d][m] > 0 ? pages / (med[d][m] / 1e9) : 0;
		}
	}
	if (json) {
		printf("{\"pages\": %zu, \"reps\": %d", pages, reps);
		for (int d = 0; d < D_COUNT; d++)
			for (int m = 0; m < S_COUNT; m++)
				printf(", \"%s_%s_ns\": %.1f", scan_names[m], density_names[d],
				       med[d][m]);
		for (int d = 0; d < D_COUNT; d++)
			printf(", \"ratio_scan_vs_pagemap_%s\": %.4f, "
			       "\"ratio_scan_vs_pagemap_%s_nopfn\": %.4f", density_names[d],
			       pps[d][S_SCAN] / pps[d][S_PAGEMAP], density_names[d],
			       pps[d][S_SCAN_NOPFN] / pps[d][S_PAGEMAP]);
		printf("}\n");
	} else {
		printf("binary scan vs /proc/self/pagemap, %zu pages, %d reps, ns per request "
		       "(median)\n", pages, reps);
		printf("  %-8s %14s %14s %14s\n", "", "pagemap", "scan", "scan_nopfn");
		for (int d = 0; d < D_COUNT; d++)
			printf("  %-8s %14.0f %14.0f %14.0f\n", density_names[d], med[d][S_PAGEMAP],
			       med[d][S_SCAN], med[d][S_SCAN_NOPFN]);
		for (int d = 0; d < D_COUNT; d++) {
			printf("RATIO scan_vs_pagemap_%s %.4f\n", density_names[d],
			       pps[d][S_SCAN] / pps[d][S_PAGEMAP]);
			printf("ABS scan_vs_pagemap_%s %.1f %.1f\n", density_names[d],
			       med[d][S_SCAN] / pages, med[d][S_PAGEMAP] / pages);
		}
		for (int d = 0; d < D_COUNT; d++)
			printf("RATIO scan_vs_pagemap_%s_nopfn %.4f\n", density_names[d],
			       pps[d][S_SCAN_NOPFN] / pps[d][S_PAGEMAP]);
	}
	status = PL_EXIT_OK;
out:
	close(dev);
	free(ents);
	free(runs);
	for (int m = 0; m < S_COUNT; m++)
		free(v[m]);
	return status;
}
