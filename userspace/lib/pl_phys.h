/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - physical memory as the kernel keeps it: zones from
 * /proc/zoneinfo, the frame map from PAGELAB_IOC_PHYSMAP summed and drawn
 * as SVG, and the kernel's own fragmentation and compaction counters
 * (debugfs extfrag/, /proc/vmstat, /proc/pagetypeinfo).
 */
#ifndef PL_PHYS_H
#define PL_PHYS_H

#include <stdbool.h>
#include <stdio.h>

#include "uapi/pagelab.h"

/* A kind of the map's own, for frames the caller knows to be pagelab's. */
#define PL_PHYS_PAGELAB		15
#define PL_PHYS_ORDERS		11	/* free block orders 0..10 */

struct pl_zone {
	int node;
	char name[PAGELAB_BUDDY_ZONE_LEN];
	unsigned long long start_pfn, spanned, present, managed, free, high;
};

/* Zones with present memory, from /proc/zoneinfo; how many (<= @max), -errno. */
int pl_zones(struct pl_zone *z, int max);
/* The zone named @name (of node @node), or NULL. */
const struct pl_zone *pl_zone_find(const struct pl_zone *z, int n, int node, const char *name);

/*
 * PAGELAB_IOC_PHYSMAP over [@start, @start + @count), in as many calls as
 * it takes: one byte per frame in @map, free blocks starting in the range
 * added to @blocks[order] (may be NULL).  0 or -errno.
 */
int pl_physmap(int fd, unsigned long long start, unsigned long long count, unsigned char *map,
	       unsigned long long *blocks);

/* "free", "anon", ... for a map byte (its kind), "pagelab" for PL_PHYS_PAGELAB. */
const char *pl_phys_kind_name(unsigned char b);

/* Pageblocks of a map: wholly free; free, anonymous or page cache only; the rest. */
struct pl_phys_sum {
	unsigned long long kind[16];	/* frames per kind */
	unsigned long long free_blocks[PL_PHYS_ORDERS];	/* counted at their first frame */
	unsigned long long pb_total, pb_free, pb_movable, pb_pinned;
};

/* The pageblock size in frames, from /proc/pagetypeinfo (512 if unreadable). */
unsigned long long pl_pageblock_frames(void);
/* Sum @map of frames [@start, @start + @n) into @s (zeroed first). */
void pl_phys_summarize(const unsigned char *map, unsigned long long start, unsigned long long n,
		       struct pl_phys_sum *s);

/*
 * Draw @map (frames [@start, @start + @n)) to @path as SVG: one row per
 * pageblock, one pixel per frame (or per 2^k frames, coloured by the kind
 * most of them have, when the range is over 256 pageblocks), a legend
 * below.  0 or -errno.
 */
int pl_phys_svg(const char *path, const unsigned char *map, unsigned long long start,
		unsigned long long n, const char *title);

/*
 * One zone's line of /sys/kernel/debug/extfrag/@file ("unusable_index" or
 * "extfrag_index"): a value per order in @v.  0, or -errno (-ENOENT: no
 * such file or zone: no CONFIG_COMPACTION, or debugfs not mounted).
 */
int pl_extfrag(const char *file, int node, const char *zone, double v[PL_PHYS_ORDERS]);

/* Zones a snapshot holds: four per node on x86-64, sixteen nodes. */
#define PL_BUDDYINFO_ZONES	64

/* One line of /proc/buddyinfo: a zone's free blocks per order. */
struct pl_zone_free {
	int node;
	char zone[PAGELAB_BUDDY_ZONE_LEN];
	long long n[PL_PHYS_ORDERS];
};

/* All of /proc/buddyinfo, read at once (its first PL_BUDDYINFO_ZONES zones). */
struct pl_buddy_snapshot {
	int nzones;
	struct pl_zone_free z[PL_BUDDYINFO_ZONES];
};

/* Read /proc/buddyinfo into @bi: 0, or -errno (@bi then holds no zone). */
int pl_buddy_snapshot(struct pl_buddy_snapshot *bi);
/* The zone @zone of node @node in @bi, or NULL. */
const struct pl_zone_free *pl_buddy_snapshot_zone(const struct pl_buddy_snapshot *bi, int node,
						  const char *zone);
/*
 * One zone's free blocks per order from /proc/buddyinfo, any number of zones
 * in it: 0, or -errno (-ENOENT: no such zone).
 */
int pl_buddyinfo(int node, const char *zone, long long n[PL_PHYS_ORDERS]);
/* A /proc/vmstat counter, or -1 if the kernel has none by that name. */
long long pl_vmstat(const char *name);
/*
 * Pageblocks of the zone by migrate type, from /proc/pagetypeinfo's
 * "Number of blocks type" table: @unmovable, @movable, @reclaimable.
 * 0 or -errno.
 */
int pl_pagetype_blocks(int node, const char *zone, long long *unmovable, long long *movable,
		       long long *reclaimable);

#endif /* PL_PHYS_H */
