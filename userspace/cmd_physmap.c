// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab physmap - physical memory by kind: every frame of a zone (or a
 * range) as the kernel's page descriptors say it is used, from
 * PAGELAB_IOC_PHYSMAP; free blocks by order beside /proc/buddyinfo's
 * counts, pageblocks that compaction could empty and those it could not,
 * and the picture as SVG.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_phys.h"

#define PHYS_MAX_ZONES	16

struct physmap_args {
	const char *zone, *svg;
	int node;
	bool json, range;
	unsigned long long start, count;
};

static void physmap_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab physmap [--zone NAME [--node N]] [--start PFN --count N]\n"
		"                       [--svg FILE] [--json]\n\n"
		"Physical memory by kind, from the kernel's page descriptors: for each\n"
		"zone (or --zone, or frames --start..+--count), the frames that are free\n"
		"(by the order of their free block), with no reference (on per-CPU free\n"
		"lists, or tails of a driver's non-compound block: counted as free),\n"
		"anonymous, page cache, slab, page tables, other kernel allocations,\n"
		"reserved; the\n"
		"free blocks per order beside /proc/buddyinfo (a snapshot each: they\n"
		"race every allocation, so small differences are other activity); and\n"
		"the pageblocks that are free, that hold only pages compaction can move\n"
		"(anonymous, page cache), and that are pinned by anything else.  --svg\n"
		"draws the range, one row per pageblock.  Root only.  Exit status: 0\n"
		"shown, 1 failed, 2 bad usage.\n");
}

static int physmap_parse(int argc, char **argv, struct physmap_args *a)
{
	unsigned long long v;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--json")) {
			a->json = true;
		} else if (i + 1 >= argc) {
			pl_err("physmap: unknown argument '%s' (see --help)", o);
			return -1;
		} else if (!strcmp(o, "--zone")) {
			a->zone = argv[++i];
		} else if (!strcmp(o, "--svg")) {
			a->svg = argv[++i];
		} else if (!strcmp(o, "--node") || !strcmp(o, "--start") || !strcmp(o, "--count")) {
			if (!pl_parse_addr(argv[++i], &v) || (!strcmp(o, "--node") && v > 1023) ||
			    (!strcmp(o, "--count") && (!v || v > PAGELAB_PHYSMAP_MAX))) {
				pl_err("physmap: bad %s '%s' (--count: 1..%llu frames)", o, argv[i],
				       PAGELAB_PHYSMAP_MAX);
				return -1;
			}
			if (!strcmp(o, "--node")) {
				a->node = (int)v;
			} else {
				*(strcmp(o, "--start") ? &a->count : &a->start) = v;
				a->range = true;
			}
		} else {
			pl_err("physmap: unknown argument '%s' (see --help)", o);
			return -1;
		}
	}
	if (a->range && (!a->count || a->zone)) {
		pl_err("physmap: --start needs --count, and neither goes with --zone");
		return -1;
	}
	if (a->svg && !a->range && !a->zone) {
		pl_err("physmap: --svg draws one range: give --zone or --start and --count");
		return -1;
	}
	return 0;
}

static void physmap_text(const char *what, const struct pl_phys_sum *s, const long long *bi)
{
	unsigned long long total = 0;

	for (int k = 0; k < 16; k++)
		total += s->kind[k];
	printf("%s: %llu frames (%llu MiB)\n", what, total,
	       total * (unsigned long long)sysconf(_SC_PAGESIZE) >> 20);
	for (int k = 0; k < 16; k++)
		if (s->kind[k])
			printf("  %-10s %9llu frames %7.1f%%\n", pl_phys_kind_name((unsigned char)k),
			       s->kind[k], 100.0 * (double)s->kind[k] / (double)total);
	printf("  free blocks by order   ");
	for (int o = 0; o < PL_PHYS_ORDERS; o++)
		printf(" %6llu", s->free_blocks[o]);
	printf("\n");
	if (bi) {
		printf("  /proc/buddyinfo        ");
		for (int o = 0; o < PL_PHYS_ORDERS; o++)
			printf(" %6lld", bi[o]);
		printf("\n");
	}
	printf("  pageblocks: %llu, free %llu, movable only %llu (compaction could empty them),\n"
	       "              pinned %llu (hold a page compaction cannot move)\n",
	       s->pb_total, s->pb_free, s->pb_movable, s->pb_pinned);
}

static void physmap_json(const char *zone, int node, unsigned long long start,
			 const struct pl_phys_sum *s, const long long *bi, bool first)
{
	printf("%s{\"zone\":", first ? "" : ",");
	pl_json_str(zone);
	printf(",\"node\":%d,\"start_pfn\":%llu,\"kinds\":{", node, start);
	for (int k = 0, n = 0; k < 16; k++)
		if (s->kind[k])
			printf("%s\"%s\":%llu", n++ ? "," : "", pl_phys_kind_name((unsigned char)k),
			       s->kind[k]);
	printf("},\"free_blocks\":[");
	for (int o = 0; o < PL_PHYS_ORDERS; o++)
		printf("%s%llu", o ? "," : "", s->free_blocks[o]);
	printf("]");
	if (bi) {
		printf(",\"buddyinfo\":[");
		for (int o = 0; o < PL_PHYS_ORDERS; o++)
			printf("%s%lld", o ? "," : "", bi[o]);
		printf("]");
	}
	printf(",\"pageblocks\":{\"total\":%llu,\"free\":%llu,\"movable\":%llu,\"pinned\":%llu}}",
	       s->pb_total, s->pb_free, s->pb_movable, s->pb_pinned);
}

/* One range, summed, printed, maybe drawn: 0 or a PL_EXIT_* failure. */
static int physmap_one(int fd, const struct physmap_args *a, const char *zone, int node,
		       unsigned long long start, unsigned long long n, bool first)
{
	unsigned char *map = malloc(n);
	long long bi[PL_PHYS_ORDERS];
	bool have_bi = zone && !pl_buddyinfo(node, zone, bi);
	struct pl_phys_sum s;
	char what[96];
	int ret;

	if (!map) {
		pl_err("physmap: out of memory for %llu frames", n);
		return PL_EXIT_FAIL;
	}
	ret = pl_physmap(fd, start, n, map, NULL);
	if (ret) {
		pl_err("physmap: PAGELAB_IOC_PHYSMAP: %s", strerror(-ret));
		free(map);
		return PL_EXIT_FAIL;
	}
	pl_phys_summarize(map, start, n, &s);
	if (zone)
		snprintf(what, sizeof(what), "node %d zone %s, frames %#llx-%#llx", node, zone,
			 start, start + n - 1);
	else
		snprintf(what, sizeof(what), "frames %#llx-%#llx", start, start + n - 1);
	if (a->json)
		physmap_json(zone ? zone : "", node, start, &s, have_bi ? bi : NULL, first);
	else
		physmap_text(what, &s, have_bi ? bi : NULL);
	if (a->svg) {
		ret = pl_phys_svg(a->svg, map, start, n, what);
		if (ret)
			pl_err("physmap: writing %s: %s", a->svg, strerror(-ret));
		else if (!a->json)
			printf("  drawn: %s\n", a->svg);
	}
	free(map);
	return ret ? PL_EXIT_FAIL : PL_EXIT_OK;
}

/**
 * cmd_physmap() - pagelab physmap: see physmap_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "physmap")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_physmap(int argc, char **argv)
{
	struct physmap_args a = { 0 };
	struct pl_zone z[PHYS_MAX_ZONES];
	int fd, nz, ret = PL_EXIT_OK, shown = 0;

	if (pl_wants_help(argc, argv)) {
		physmap_usage(stdout);
		return PL_EXIT_OK;
	}
	if (physmap_parse(argc, argv, &a))
		return PL_EXIT_USAGE;
	nz = pl_zones(z, PHYS_MAX_ZONES);
	if (nz < 0) {
		pl_err("physmap: reading /proc/zoneinfo: %s", strerror(-nz));
		return PL_EXIT_FAIL;
	}
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	if (a.json)
		printf("{\"ranges\":[");
	if (a.range)
		ret = physmap_one(fd, &a, NULL, 0, a.start, a.count, true);
	for (int i = 0; !a.range && i < nz && ret == PL_EXIT_OK; i++) {
		if (a.zone && (strcmp(a.zone, z[i].name) || a.node != z[i].node))
			continue;
		ret = physmap_one(fd, &a, z[i].name, z[i].node, z[i].start_pfn, z[i].spanned,
				  !shown++);
	}
	if (a.json)
		printf("]}\n");
	close(fd);
	if (!a.range && !shown && ret == PL_EXIT_OK) {
		pl_err("physmap: no zone %s on node %d with memory (see /proc/zoneinfo)",
		       a.zone ? a.zone : "", a.node);
		return PL_EXIT_FAIL;
	}
	return ret;
}
