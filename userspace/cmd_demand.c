// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab demand - demand paging, live: an object is mapped with nothing
 * behind it, reads are answered by the shared zero page, and only writes
 * allocate.  Every number is read back from the kernel (PAGELAB_IOC_OBJ_STAT,
 * the mapping's Rss in /proc/self/smaps) and checked against what demand
 * paging predicts; the process's VmRSS is shown beside it.
 *
 * Since 6.10 the kernel refuses the zero page in a shared mapping that may
 * be written (PAGELAB_FEAT_SHARED_ZERO clear): there the reads go through a
 * read-only attach of the object, and a fourth step reads every page
 * through the writable mapping, where each never-written one takes a
 * zeroed frame.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

/*
 * The check uses the mapping's own Rss (smaps walks its page tables), not
 * VmRSS: 6.1 folds each task's RSS deltas into the process counters only
 * every 64 faults, and VmRSS also moves with the program's own text, heap
 * and stack.  VmRSS is printed for the reader, unchecked.
 */

struct demand_step {
	const char *name;
	const char *what;
	unsigned long long resident, zero_maps, allocs, mkwrite;
	unsigned long long rss_kb, map_rss_kb;
	unsigned long long want_resident, want_zero_maps, want_allocs;
	bool ok;
};

#define DEMAND_STEPS 4

static int demand_sample(int ofd, const void *map, struct demand_step *s,
			 unsigned long long page_kb)
{
	struct pagelab_obj_stat st;
	int ret = pl_obj_stat(ofd, 0, &st);

	if (ret) {
		pl_err("demand: PAGELAB_IOC_OBJ_STAT: %s", strerror(-ret));
		return ret;
	}
	ret = pl_status_kb(0, "VmRSS", &s->rss_kb);
	if (ret) {
		pl_err("demand: VmRSS from /proc/self/status: %s", strerror(-ret));
		return ret;
	}
	ret = pl_smaps_rss_kb(map, &s->map_rss_kb);
	if (ret) {
		pl_err("demand: the mapping's Rss from /proc/self/smaps: %s", strerror(-ret));
		return ret;
	}
	s->resident = st.resident;
	s->zero_maps = st.zero_maps;
	s->allocs = st.allocs;
	s->mkwrite = st.mkwrite;
	s->ok = s->resident == s->want_resident && s->zero_maps == s->want_zero_maps &&
		s->allocs == s->want_allocs && s->map_rss_kb == s->want_resident * page_kb;
	return 0;
}

static void demand_print_json(const struct demand_step *s, int n, __u64 id,
			      unsigned long pages, long ps, bool shared_zero, bool ok)
{
	printf("{\"object\": %llu, \"pages\": %lu, \"page_size\": %ld, "
	       "\"zero_page_in_writable_shared\": %s, \"steps\": [",
	       (unsigned long long)id, pages, ps, shared_zero ? "true" : "false");
	for (int i = 0; i < n; i++)
		printf("%s{\"step\": \"%s\", \"resident\": %llu, \"zero_maps\": %llu, "
		       "\"allocs\": %llu, \"mkwrite\": %llu, \"mapping_rss_kb\": %llu, "
		       "\"process_rss_kb\": %llu, \"expected\": {\"resident\": %llu, "
		       "\"zero_maps\": %llu, \"allocs\": %llu}, "
		       "\"ok\": %s}", i ? ", " : "", s[i].name, s[i].resident, s[i].zero_maps,
		       s[i].allocs, s[i].mkwrite, s[i].map_rss_kb, s[i].rss_kb,
		       s[i].want_resident, s[i].want_zero_maps, s[i].want_allocs,
		       s[i].ok ? "true" : "false");
	printf("], \"ok\": %s}\n", ok ? "true" : "false");
}

static void demand_print_table(const struct demand_step *s, int n, __u64 id,
			       unsigned long pages, long ps, bool shared_zero)
{
	printf("object %llu: %lu pages of %ld bytes, mapped MAP_SHARED%s\n\n",
	       (unsigned long long)id, pages, ps,
	       shared_zero ? "" : " (read-write, and read-only through a read-only attach)");
	printf("  %-28s %9s %9s %7s %12s %12s  %s\n", "step", "resident", "zero_maps",
	       "allocs", "mapping RSS", "process RSS", "check");
	for (int i = 0; i < n; i++)
		printf("  %-28s %9llu %9llu %7llu %9llu kB %9llu kB  %s\n", s[i].what,
		       s[i].resident, s[i].zero_maps, s[i].allocs, s[i].map_rss_kb,
		       s[i].rss_kb, s[i].ok ? "ok" : "** UNEXPECTED **");
	printf("\n  resident: pages the object holds (PAGELAB_IOC_OBJ_STAT);\n"
	       "  zero_maps: read faults answered with the shared zero page, which\n"
	       "    is not counted in RSS;\n"
	       "  mapping RSS: this mapping's Rss in /proc/self/smaps;\n"
	       "  process RSS: VmRSS in /proc/self/status (the kernel syncs it\n"
	       "    only every 64 faults, so it lags).\n");
}

/* The run: its options, the object, its two mappings. */
struct demand_run {
	unsigned long pages;
	bool json, shared_zero;
	long ps;
	int ofd, ro;
	__u64 id;
	volatile unsigned char *p, *r;	/* r: where reads go (p, or the read-only attach) */
};

static void demand_usage(void)
{
	printf("usage: pagelab demand [--pages N] [--json]\n\n"
	       "Demand paging, live: create an object of N pages (default 4096),\n"
	       "map it MAP_SHARED, then read every page and write every 4th one.\n"
	       "After each step print the pages the object holds and this\n"
	       "process's RSS.  Expected: nothing after the mmap; still nothing\n"
	       "after reading it all (every read maps the shared zero page,\n"
	       "zero_maps = N); N/4 pages after the writes.  Exits 1 if the\n"
	       "kernel's numbers say otherwise.\n\n"
	       "Since 6.10 the kernel refuses the zero page in a shared mapping that\n"
	       "may be written: there the reads go through a read-only attach of the\n"
	       "object, and a last step reads every page through the writable\n"
	       "mapping, where each never-written page takes a zeroed frame (N).\n");
}

/* --pages N, --json: 0, or PL_EXIT_USAGE after saying why. */
static int demand_parse(int argc, char **argv, struct demand_run *d)
{
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			d->json = true;
		} else if (!strcmp(argv[a], "--pages") && a + 1 < argc) {
			char *end;

			errno = 0;
			d->pages = strtoul(argv[++a], &end, 0);
			if (errno || *end || !d->pages || argv[a][0] == '-') {
				pl_err("demand: --pages needs a positive number, not '%s'", argv[a]);
				return PL_EXIT_USAGE;
			}
		} else {
			pl_err("demand: unknown argument '%s' (see pagelab demand --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	return 0;
}

/*
 * The object and its mappings: writable, and where the kernel refuses the
 * zero page there (6.10 on), a read-only attach for the reads.  0, or -1
 * after saying why (nothing left open).
 */
static int demand_setup(struct demand_run *d)
{
	struct pagelab_version v;
	size_t len = d->pages * d->ps;
	int dev = pl_open_or_explain(), ret;

	if (dev < 0)
		return -1;
	ret = pl_version(dev, &v);
	if (ret) {
		pl_err("demand: PAGELAB_IOC_VERSION: %s", strerror(-ret));
		close(dev);
		return -1;
	}
	d->shared_zero = v.features & PAGELAB_FEAT_SHARED_ZERO;
	ret = pl_create(dev, (__u64)d->pages * d->ps, 0, 0, "demand", &d->ofd, &d->id);
	if (ret) {
		pl_err("demand: PAGELAB_IOC_CREATE of %lu pages: %s%s", d->pages, strerror(-ret),
		       ret == -ENOSPC ? " (more than max_object_pages)" :
		       ret == -ENOTTY ? " (this module has no objects)" : "");
		close(dev);
		return -1;
	}
	/* Mappings of a read-only attach can never be written: the zero page is allowed. */
	ret = d->shared_zero ? 0 : pl_attach(dev, d->id, PAGELAB_ATTACH_RDONLY, &d->ro);
	close(dev);
	if (ret) {
		pl_err("demand: PAGELAB_IOC_ATTACH read-only: %s", strerror(-ret));
		close(d->ofd);
		return -1;
	}
	d->p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d->ofd, 0);
	d->r = d->p;
	if (d->p != MAP_FAILED && d->ro >= 0) {
		d->r = mmap(NULL, len, PROT_READ, MAP_SHARED, d->ro, 0);
		if (d->r == MAP_FAILED) {
			munmap((void *)d->p, len);
			d->p = MAP_FAILED;
		}
	}
	if (d->p == MAP_FAILED) {
		pl_err("demand: mmap of the object: %s", strerror(errno));
		if (d->ro >= 0)
			close(d->ro);
		close(d->ofd);
		return -1;
	}
	return 0;
}

static void demand_teardown(struct demand_run *d)
{
	munmap((void *)d->p, d->pages * d->ps);
	if (d->r != d->p)
		munmap((void *)d->r, d->pages * d->ps);
	if (d->ro >= 0)
		close(d->ro);
	close(d->ofd);
}

/* Does a never-written page of @m read non-zero (every 4th skipped: @skip_written)? */
static bool demand_nonzero(volatile unsigned char *m, const struct demand_run *d,
			   bool skip_written)
{
	unsigned char sink = 0;

	for (unsigned long i = 0; i < d->pages; i++)
		sink |= skip_written && !(i % 4) ? 0 : m[i * d->ps];
	return sink;
}

/*
 * Every page reads back what the writes left: its number for every 4th,
 * zero for the rest.  Through the writable mapping, so on 6.10 on each
 * never-written page takes a frame here: after the step's sample.
 */
static bool demand_reads_back(struct demand_run *d)
{
	for (unsigned long i = 0; i < d->pages; i++)
		if (d->p[i * d->ps] != (i % 4 ? 0 : (unsigned char)(i / 4 + 1))) {
			pl_err("demand: page %lu reads back %u", i, d->p[i * d->ps]);
			return false;
		}
	return true;
}

/* The steps, each sampled into @s: how many (3, or 4 on 6.10 on), or -1. */
static int demand_steps(struct demand_run *d, struct demand_step *s, unsigned long long page_kb)
{
	unsigned long quarter = (d->pages + 3) / 4;	/* pages 0, 4, 8, ... */
	const void *p = (const void *)d->p;
	bool zero;

	s[0] = (struct demand_step){ .name = "mmap", .what = "after mmap" };
	if (demand_sample(d->ofd, p, &s[0], page_kb))
		return -1;
	zero = !demand_nonzero(d->r, d, false);
	s[1] = (struct demand_step){ .name = "read_all", .what = "after reading every page",
				     .want_zero_maps = d->pages };
	if (demand_sample(d->ofd, p, &s[1], page_kb))
		return -1;
	if (!zero) {
		pl_err("demand: a never-written page read as non-zero");
		s[1].ok = false;
	}
	for (unsigned long i = 0; i < d->pages; i += 4)
		d->p[i * d->ps] = (unsigned char)(i / 4 + 1);
	s[2] = (struct demand_step){ .name = "write_every_4th",
				     .what = "after writing every 4th page",
				     .want_resident = quarter, .want_zero_maps = d->pages,
				     .want_allocs = quarter };
	if (demand_sample(d->ofd, p, &s[2], page_kb))
		return -1;
	s[2].ok = demand_reads_back(d) && s[2].ok;
	if (d->shared_zero)
		return 3;
	/* 6.10 on: a read through the writable mapping gets a zeroed frame. */
	zero = !demand_nonzero(d->p, d, true);
	s[3] = (struct demand_step){ .name = "read_all_writable",
				     .what = "read again, writable mapping",
				     .want_resident = d->pages, .want_zero_maps = d->pages,
				     .want_allocs = d->pages };
	if (demand_sample(d->ofd, p, &s[3], page_kb))
		return -1;
	if (!zero) {
		pl_err("demand: a never-written page read as non-zero");
		s[3].ok = false;
	}
	return 4;
}

static void demand_report(const struct demand_run *d, const struct demand_step *s, int nsteps,
			  bool ok)
{
	unsigned long quarter = (d->pages + 3) / 4;

	if (d->json) {
		demand_print_json(s, nsteps, d->id, d->pages, d->ps, d->shared_zero, ok);
		return;
	}
	demand_print_table(s, nsteps, d->id, d->pages, d->ps, d->shared_zero);
	if (ok)
		printf("\nAs demand paging predicts: the mmap allocated nothing; reading %lu\n"
		       "pages allocated nothing either (each read mapped the one shared zero\n"
		       "page, read-only); the first write to a page allocated it: %lu pages.\n",
		       d->pages, quarter);
	else
		printf("\nThe kernel's numbers contradict demand paging (see the rows marked).\n");
	if (ok && !d->shared_zero)
		printf("\nThis kernel (6.10 on) refuses the zero page in a shared mapping that\n"
		       "may be written, so the reads above went through a read-only attach.\n"
		       "Through the writable mapping each of the %lu never-written pages took\n"
		       "a zeroed frame of its own: %lu resident.  Private mappings and\n"
		       "read-only attaches still get the zero page.\n", d->pages - quarter,
		       d->pages);
}

/**
 * cmd_demand() - pagelab demand: see demand_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "demand")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_demand(int argc, char **argv)
{
	struct demand_run d = { .pages = 4096, .ps = sysconf(_SC_PAGESIZE), .ro = -1 };
	struct demand_step s[DEMAND_STEPS];
	bool ok = true;
	int nsteps, ret;

	if (pl_wants_help(argc, argv)) {
		demand_usage();
		return PL_EXIT_OK;
	}
	ret = demand_parse(argc, argv, &d);
	if (ret)
		return ret;
	if (demand_setup(&d))
		return PL_EXIT_FAIL;
	nsteps = demand_steps(&d, s, d.ps / 1024);
	for (int i = 0; i < nsteps; i++)
		ok = ok && s[i].ok;
	if (nsteps > 0)
		demand_report(&d, s, nsteps, ok);
	demand_teardown(&d);
	return nsteps > 0 && ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}
