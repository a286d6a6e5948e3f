// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab buddy - the kernel's buddy allocator, watched: blocks taken from
 * it through the module (PAGELAB_IOC_BUDDY) with their frames, alignment
 * and buddies, and /proc/buddyinfo before and after each step: a split on
 * allocation, a merge on free, and blocks that cannot merge because their
 * buddies are held.  Where other activity blurs the counts, the module's
 * own blocks give the PFN-level truth.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_phys.h"

static void buddy_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab buddy [--order N] [--blocks K]\n"
		"       pagelab buddy --compact [--fill-mib M] [--svg-dir DIR]\n\n"
		"The kernel's buddy allocator, live.  Through the module, take one\n"
		"block of order N (default 5: 32 pages; 0..%d) and show its first\n"
		"frame (a multiple of 2^N), its buddy's frame (frame XOR 2^N) and\n"
		"whether that buddy is free, and the change in /proc/buddyinfo for its\n"
		"zone: a larger block split to serve it.  Give it back: the change again\n"
		"(a merge, if the buddy was free).  Then take K blocks of order 4\n"
		"(default 64) and give back every one whose buddy is still held: free\n"
		"memory grows, but none of it can merge into order 5; give back the\n"
		"rest and it merges.  Orders 0-3 go through per-CPU lists first, which\n"
		"/proc/buddyinfo does not count: the steps use order 4 and up, and the\n"
		"module's own blocks say what merged.\n\n"
		"--compact: fragmentation, then compaction.  Fill the zone with the most\n"
		"free memory with anonymous pages (at most M MiB; default: until it is\n"
		"near its floor), give back one frame of each pair of buddies it holds,\n"
		"have the module hold the last free 2 MiB blocks, and read the\n"
		"kernel's unusable_index and extfrag_index (debugfs extfrag/), a 2 MiB\n"
		"request, the zone's frames by kind (PAGELAB_IOC_PHYSMAP) and\n"
		"/proc/pagetypeinfo; take unmovable frames through the module; write\n"
		"/proc/sys/vm/compact_memory; show what moved (pagemap) and what stayed\n"
		"pinned.  Proactive compaction is paused meanwhile.  --svg-dir: draw\n"
		"64 pageblocks before and after (compact-before.svg, compact-after.svg).\n\n"
		"Root only.  Exit status: 0 shown, 1 a step failed or did not show what\n"
		"it should, 2 bad usage.\n",
		PAGELAB_BUDDY_MAX_ORDER);
}

/* "order 3: -1, order 4: +1 ..." for @zone between @a and @b; false if nothing changed. */
static bool print_change(const struct pl_buddy_snapshot *a, const struct pl_buddy_snapshot *b,
			 int node, const char *zone)
{
	const struct pl_zone_free *za = pl_buddy_snapshot_zone(a, node, zone);
	const struct pl_zone_free *zb = pl_buddy_snapshot_zone(b, node, zone);
	bool any = false;

	printf("    /proc/buddyinfo, node %d zone %s, free blocks changed:", node, zone);
	for (int o = 0; za && zb && o < PL_PHYS_ORDERS; o++) {
		if (za->n[o] == zb->n[o])
			continue;
		printf(" order %d: %+lld", o, zb->n[o] - za->n[o]);
		any = true;
	}
	printf("%s\n", any ? "" : " none");
	return any;
}

static void print_block(const char *what, const struct pagelab_buddy *b)
{
	unsigned long long size = 1ULL << b->order;

	printf("    %s: order %u (%llu pages), first frame %#llx (%s a multiple of %llu),\n"
	       "      its buddy at %#llx: %s\n", what, b->order, size,
	       (unsigned long long)b->pfn, b->pfn % size ? "NOT" : "is", size,
	       (unsigned long long)b->buddy_pfn,
	       b->buddy_free ? "a free block starts there" : "not the start of a free block");
	if (b->buddy_free)
		printf("      (of order %u)\n", b->buddy_order);
}

/* Steps 1-2: one block taken and given back. */
static void buddy_one(int fd, unsigned int order, bool *ok)
{
	struct pl_buddy_snapshot a, b, c;
	struct pagelab_buddy blk, fr;
	int ret;

	printf("  One block of order %u:\n", order);
	pl_buddy_snapshot(&a);
	ret = pl_buddy_alloc(fd, order, &blk);
	pl_buddy_snapshot(&b);
	if (ret) {
		pl_err("buddy: taking a block of order %u: %s", order, strerror(-ret));
		*ok = false;
		return;
	}
	print_block("taken", &blk);
	pl_check(ok, blk.pfn % (1ULL << order) == 0 && blk.buddy_pfn == (blk.pfn ^ (1ULL << order)),
		 "the block is not aligned to its size, or its buddy is not frame XOR size");
	print_change(&a, &b, blk.nid, blk.zone);
	ret = pl_buddy_free(fd, blk.handle, &fr);
	pl_buddy_snapshot(&c);
	if (ret) {
		pl_err("buddy: giving the block back: %s", strerror(-ret));
		*ok = false;
		return;
	}
	printf("    given back: ");
	if (fr.buddy_free && fr.buddy_order > order)
		printf("merged: a free block of order %u starts at its buddy now\n",
		       fr.buddy_order);
	else if (fr.buddy_free)
		printf("its buddy is free, on its own (no merge yet)\n");
	else
		printf("its buddy is no free block's start (held, or merged with ours into a\n"
		       "      block that starts at ours)\n");
	print_change(&b, &c, blk.nid, blk.zone);
	printf("  What you see: a free block of order k >= %u was taken off its list and\n"
	       "  halved until a %u-block was left, each other half going onto the list\n"
	       "  below; freeing it merged it back with its buddy while the buddy was free.\n"
	       "  Other allocations move these counts too: a count that moved alone is\n"
	       "  someone else's.\n", order, order);
}

/* Step 3: blocks whose buddies are held cannot merge. */
static void buddy_frag(int fd, int k, bool *ok)
{
	struct pagelab_buddy *blk = calloc((size_t)k, sizeof(*blk)), fr;
	struct pl_buddy_snapshot a, b, c;
	int got = 0, freed = 0, lonely = 0, held_buddy;

	if (!blk) {
		pl_err("buddy: out of memory");
		*ok = false;
		return;
	}
	printf("\n  %d blocks of order 4, then every one whose buddy is also ours given back:\n",
	       k);
	for (; got < k; got++)
		if (pl_buddy_alloc(fd, 4, &blk[got]))
			break;
	pl_buddy_snapshot(&a);
	for (int i = 0; i < got; i++) {
		held_buddy = 0;
		for (int j = 0; j < got; j++)
			held_buddy |= blk[j].handle && blk[j].pfn == blk[i].buddy_pfn;
		if (!held_buddy)
			continue;
		/* Give it back; its buddy stays ours, so it stays a lone 16-page block. */
		if (!pl_buddy_free(fd, blk[i].handle, &fr)) {
			freed++;
			lonely += !fr.buddy_free;
			blk[i].handle = 0;
		}
	}
	pl_buddy_snapshot(&b);
	printf("    taken: %d; given back: %d, each with its buddy still held by us\n", got,
	       freed);
	if (got)
		print_change(&a, &b, blk[0].nid, blk[0].zone);
	pl_check(ok, !freed || lonely == freed, "%d of %d blocks given back found their buddy free",
		 freed - lonely, freed);
	for (int i = 0; i < got; i++)
		if (blk[i].handle && !pl_buddy_free(fd, blk[i].handle, &fr))
			blk[i].handle = 0;
	pl_buddy_snapshot(&c);
	printf("    the rest given back:\n");
	if (got)
		print_change(&b, &c, blk[0].nid, blk[0].zone);
	printf("  What you see: %d x 64 KiB free, and not one 128 KiB block among them:\n"
	       "  external fragmentation, made on purpose.  A block merges only with its\n"
	       "  buddy; once those went back too, the pairs merged and the order-4 count\n"
	       "  fell again.\n", freed);
	free(blk);
}

/**
 * cmd_buddy() - pagelab buddy: see buddy_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "buddy")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_buddy(int argc, char **argv)
{
	unsigned long long v, fill_mib = 0;
	const char *svg_dir = NULL;
	unsigned int order = 5;
	struct pagelab_version ver;
	bool ok = true, compact = false;
	int k = 64, fd;

	if (pl_wants_help(argc, argv)) {
		buddy_usage(stdout);
		return PL_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--order") && i + 1 < argc) {
			if (!pl_parse_addr(argv[++i], &v) || v < 4 || v > PAGELAB_BUDDY_MAX_ORDER) {
				pl_err("buddy: --order wants 4..%d (lower orders go through per-CPU "
				       "lists), not '%s'", PAGELAB_BUDDY_MAX_ORDER, argv[i]);
				return PL_EXIT_USAGE;
			}
			order = (unsigned int)v;
		} else if (!strcmp(argv[i], "--blocks") && i + 1 < argc) {
			if (!pl_parse_addr(argv[++i], &v) || v < 2 || v > 4096) {
				pl_err("buddy: --blocks wants 2..4096, not '%s'", argv[i]);
				return PL_EXIT_USAGE;
			}
			k = (int)v;
		} else if (!strcmp(argv[i], "--compact")) {
			compact = true;
		} else if (!strcmp(argv[i], "--fill-mib") && i + 1 < argc) {
			if (!pl_parse_addr(argv[++i], &v) || v < 16 || v > 65536) {
				pl_err("buddy: --fill-mib wants 16..65536, not '%s'", argv[i]);
				return PL_EXIT_USAGE;
			}
			fill_mib = v;
		} else if (!strcmp(argv[i], "--svg-dir") && i + 1 < argc) {
			svg_dir = argv[++i];
		} else {
			pl_err("buddy: unknown argument '%s' (see --help)", argv[i]);
			return PL_EXIT_USAGE;
		}
	}
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	if (pl_version(fd, &ver) || !(ver.features & PAGELAB_FEAT_BUDDY)) {
		pl_err("buddy: this module has no PAGELAB_IOC_BUDDY (ABI 1.10 on)");
		close(fd);
		return PL_EXIT_FAIL;
	}
	if (compact && !(ver.features & PAGELAB_FEAT_PHYSMAP)) {
		pl_err("buddy: --compact needs PAGELAB_IOC_PHYSMAP (ABI 1.11 on)");
		close(fd);
		return PL_EXIT_FAIL;
	}
	if (compact) {
		buddy_compact(fd, fill_mib, svg_dir, &ok);
	} else {
		buddy_one(fd, order, &ok);
		buddy_frag(fd, k, &ok);
	}
	close(fd);
	return ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}
