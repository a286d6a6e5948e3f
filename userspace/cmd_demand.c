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

int cmd_demand(int argc, char **argv)
{
	unsigned long pages = 4096, quarter;
	struct demand_step s[DEMAND_STEPS];
	volatile unsigned char *p, *r = MAP_FAILED;
	unsigned long long page_kb;
	unsigned char sink = 0;
	bool json = false, ok = true, shared_zero;
	long ps = sysconf(_SC_PAGESIZE);
	struct pagelab_version v;
	int dev, ofd, ro = -1, ret, nsteps = 3;
	__u64 id;

	if (pl_wants_help(argc, argv)) {
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
		return PL_EXIT_OK;
	}
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (!strcmp(argv[a], "--pages") && a + 1 < argc) {
			char *end;

			errno = 0;
			pages = strtoul(argv[++a], &end, 0);
			if (errno || *end || !pages || argv[a][0] == '-') {
				pl_err("demand: --pages needs a positive number, not '%s'", argv[a]);
				return PL_EXIT_USAGE;
			}
		} else {
			pl_err("demand: unknown argument '%s' (see pagelab demand --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	quarter = (pages + 3) / 4;	/* pages 0, 4, 8, ... */
	page_kb = ps / 1024;

	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	ret = pl_version(dev, &v);
	if (ret) {
		pl_err("demand: PAGELAB_IOC_VERSION: %s", strerror(-ret));
		close(dev);
		return PL_EXIT_FAIL;
	}
	shared_zero = v.features & PAGELAB_FEAT_SHARED_ZERO;
	ret = pl_create(dev, (__u64)pages * ps, 0, 0, "demand", &ofd, &id);
	if (ret) {
		pl_err("demand: PAGELAB_IOC_CREATE of %lu pages: %s%s", pages, strerror(-ret),
		       ret == -ENOSPC ? " (more than max_object_pages)" :
		       ret == -ENOTTY ? " (this module has no objects)" : "");
		close(dev);
		return PL_EXIT_FAIL;
	}
	if (!shared_zero) {
		/* Mappings of a read-only attach can never be written: the zero page is allowed. */
		ret = pl_attach(dev, id, PAGELAB_ATTACH_RDONLY, &ro);
		if (ret) {
			pl_err("demand: PAGELAB_IOC_ATTACH read-only: %s", strerror(-ret));
			close(ofd);
			close(dev);
			return PL_EXIT_FAIL;
		}
	}
	close(dev);
	p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	if (p != MAP_FAILED && ro >= 0) {
		r = mmap(NULL, pages * ps, PROT_READ, MAP_SHARED, ro, 0);
		if (r == MAP_FAILED) {
			munmap((void *)p, pages * ps);
			p = MAP_FAILED;
		}
	}
	if (p == MAP_FAILED) {
		pl_err("demand: mmap of the object: %s", strerror(errno));
		if (ro >= 0)
			close(ro);
		close(ofd);
		return PL_EXIT_FAIL;
	}
	if (r == MAP_FAILED)
		r = p;
	s[0] = (struct demand_step){ .name = "mmap", .what = "after mmap" };
	ret = demand_sample(ofd, (const void *)p, &s[0], page_kb);
	if (ret)
		goto out;

	for (unsigned long i = 0; i < pages; i++)
		sink |= r[i * ps];
	s[1] = (struct demand_step){ .name = "read_all", .what = "after reading every page",
				     .want_zero_maps = pages };
	ret = demand_sample(ofd, (const void *)p, &s[1], page_kb);
	if (ret)
		goto out;
	if (sink) {
		pl_err("demand: a never-written page read as non-zero");
		s[1].ok = false;
	}

	for (unsigned long i = 0; i < pages; i += 4)
		p[i * ps] = (unsigned char)(i / 4 + 1);
	s[2] = (struct demand_step){ .name = "write_every_4th",
				     .what = "after writing every 4th page",
				     .want_resident = quarter, .want_zero_maps = pages,
				     .want_allocs = quarter };
	ret = demand_sample(ofd, (const void *)p, &s[2], page_kb);
	if (ret)
		goto out;
	for (unsigned long i = 0; i < pages; i++)
		if (p[i * ps] != (i % 4 ? 0 : (unsigned char)(i / 4 + 1))) {
			pl_err("demand: page %lu reads back %u", i, p[i * ps]);
			s[2].ok = false;
			break;
		}

	if (!shared_zero) {
		/* 6.10 on: a read through the writable mapping gets a zeroed frame. */
		sink = 0;
		for (unsigned long i = 0; i < pages; i++)
			sink |= i % 4 ? p[i * ps] : 0;
		s[3] = (struct demand_step){ .name = "read_all_writable",
					     .what = "read again, writable mapping",
					     .want_resident = pages, .want_zero_maps = pages,
					     .want_allocs = pages };
		ret = demand_sample(ofd, (const void *)p, &s[3], page_kb);
		if (ret)
			goto out;
		if (sink) {
			pl_err("demand: a never-written page read as non-zero");
			s[3].ok = false;
		}
		nsteps = 4;
	}

	for (int i = 0; i < nsteps; i++)
		ok = ok && s[i].ok;
	if (json) {
		demand_print_json(s, nsteps, id, pages, ps, shared_zero, ok);
	} else {
		demand_print_table(s, nsteps, id, pages, ps, shared_zero);
		if (ok)
			printf("\nAs demand paging predicts: the mmap allocated nothing; reading %lu\n"
			       "pages allocated nothing either (each read mapped the one shared zero\n"
			       "page, read-only); the first write to a page allocated it: %lu pages.\n",
			       pages, quarter);
		else
			printf("\nThe kernel's numbers contradict demand paging (see the rows marked).\n");
		if (ok && !shared_zero)
			printf("\nThis kernel (6.10 on) refuses the zero page in a shared mapping that\n"
			       "may be written, so the reads above went through a read-only attach.\n"
			       "Through the writable mapping each of the %lu never-written pages took\n"
			       "a zeroed frame of its own: %lu resident.  Private mappings and\n"
			       "read-only attaches still get the zero page.\n", pages - quarter, pages);
	}
out:
	munmap((void *)p, pages * ps);
	if (r != p)
		munmap((void *)r, pages * ps);
	if (ro >= 0)
		close(ro);
	close(ofd);
	if (ret)
		return PL_EXIT_FAIL;
	return ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}
