// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - physical memory as the kernel keeps it: see pl_phys.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pl_phys.h"

int pl_zones(struct pl_zone *z, int max)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	struct pl_zone cur = { .node = -1 };
	unsigned long long v;
	char line[256], key[32];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct pl_zone next = { .node = -1 };

		if (sscanf(line, "Node %d, zone %15s", &next.node, next.name) == 2) {
			if (cur.node >= 0 && cur.present && n < max)
				z[n++] = cur;
			cur = next;
			continue;
		}
		if (sscanf(line, " pages free %llu", &v) == 1)
			cur.free = v;
		else if (sscanf(line, " %31s %llu", key, &v) == 2 && !strcmp(key, "high"))
			cur.high = v;
		else if (sscanf(line, " %31s %llu", key, &v) == 2 && !strcmp(key, "spanned"))
			cur.spanned = v;
		else if (sscanf(line, " %31s %llu", key, &v) == 2 && !strcmp(key, "present"))
			cur.present = v;
		else if (sscanf(line, " %31s %llu", key, &v) == 2 && !strcmp(key, "managed"))
			cur.managed = v;
		else if (sscanf(line, " start_pfn: %llu", &v) == 1)
			cur.start_pfn = v;
	}
	if (cur.node >= 0 && cur.present && n < max)
		z[n++] = cur;
	fclose(f);
	return n;
}

const struct pl_zone *pl_zone_find(const struct pl_zone *z, int n, int node, const char *name)
{
	for (int i = 0; i < n; i++)
		if (z[i].node == node && !strcmp(z[i].name, name))
			return &z[i];
	return NULL;
}

int pl_physmap(int fd, unsigned long long start, unsigned long long count, unsigned char *map,
	       unsigned long long *blocks)
{
	while (count) {
		struct pagelab_physmap r = {
			.start_pfn = start,
			.count = count < PAGELAB_PHYSMAP_MAX ? count : PAGELAB_PHYSMAP_MAX,
			.buf = (uintptr_t)map,
		};

		if (ioctl(fd, PAGELAB_IOC_PHYSMAP, &r))
			return -errno;
		for (int o = 0; blocks && o < PL_PHYS_ORDERS; o++)
			blocks[o] += r.free_blocks[o];
		start += r.count;
		map += r.count;
		count -= r.count;
	}
	return 0;
}

const char *pl_phys_kind_name(unsigned char b)
{
	static const char *const names[] = {
		[PAGELAB_PHYS_HOLE] = "hole",		[PAGELAB_PHYS_FREE] = "free",
		[PAGELAB_PHYS_NOREF] = "no-ref",	[PAGELAB_PHYS_RESERVED] = "reserved",
		[PAGELAB_PHYS_KERNEL] = "kernel",	[PAGELAB_PHYS_SLAB] = "slab",
		[PAGELAB_PHYS_PGTABLE] = "pagetable",	[PAGELAB_PHYS_ANON] = "anon",
		[PAGELAB_PHYS_FILE] = "file",		[PAGELAB_PHYS_HUGETLB] = "hugetlb",
		[PL_PHYS_PAGELAB] = "pagelab",
	};
	unsigned int k = b & PAGELAB_PHYS_KIND_MASK;

	return names[k] ? names[k] : "unknown";
}

unsigned long long pl_pageblock_frames(void)
{
	FILE *f = fopen("/proc/pagetypeinfo", "re");
	unsigned long long v = 512;
	char line[256];

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pages per block: %llu", &v) == 1)
			break;
	fclose(f);
	return v ? v : 512;
}

/* Could compaction empty a pageblock holding frames of this kind? */
static bool pl_phys_movable(unsigned char k)
{
	return k == PAGELAB_PHYS_FREE || k == PAGELAB_PHYS_NOREF || k == PAGELAB_PHYS_ANON ||
	       k == PAGELAB_PHYS_FILE;
}

void pl_phys_summarize(const unsigned char *map, unsigned long long start, unsigned long long n,
		       struct pl_phys_sum *s)
{
	unsigned long long pb = pl_pageblock_frames();

	memset(s, 0, sizeof(*s));
	for (unsigned long long i = 0; i < n; i++) {
		unsigned char k = map[i] & PAGELAB_PHYS_KIND_MASK;
		unsigned int o = map[i] >> PAGELAB_PHYS_ORDER_SHIFT;

		s->kind[k]++;
		/* A block's first frame: aligned to its size. */
		if (k == PAGELAB_PHYS_FREE && o < PL_PHYS_ORDERS && !((start + i) & ((1ULL << o) - 1)))
			s->free_blocks[o]++;
	}
	/* Whole pageblocks only. */
	for (unsigned long long b = (start + pb - 1) / pb * pb; b + pb <= start + n; b += pb) {
		bool all_free = true, movable = true;

		for (unsigned long long i = b - start; i < b - start + pb; i++) {
			unsigned char k = map[i] & PAGELAB_PHYS_KIND_MASK;

			all_free &= k == PAGELAB_PHYS_FREE || k == PAGELAB_PHYS_NOREF;
			movable &= pl_phys_movable(k);
		}
		s->pb_total++;
		s->pb_free += all_free;
		s->pb_movable += movable && !all_free;
		s->pb_pinned += !movable;
	}
}

/* The colour of a map byte: free blocks darker green the higher their order. */
static void pl_phys_colour(unsigned char b, char out[8])
{
	static const char *const kinds[] = {
		[PAGELAB_PHYS_HOLE] = "#ffffff",	[PAGELAB_PHYS_NOREF] = "#d9f0d3",
		[PAGELAB_PHYS_RESERVED] = "#525252",	[PAGELAB_PHYS_KERNEL] = "#8c6d31",
		[PAGELAB_PHYS_SLAB] = "#fd8d3c",	[PAGELAB_PHYS_PGTABLE] = "#9e9ac8",
		[PAGELAB_PHYS_ANON] = "#3182bd",	[PAGELAB_PHYS_FILE] = "#17becf",
		[PAGELAB_PHYS_HUGETLB] = "#e7ba52",	[PL_PHYS_PAGELAB] = "#d62728",
	};
	unsigned int k = b & PAGELAB_PHYS_KIND_MASK, o = b >> PAGELAB_PHYS_ORDER_SHIFT;

	if (k == PAGELAB_PHYS_FREE) {
		/* Order 0 pale, order 10 dark: #c7e9c0 to #00441b. */
		o = o > 10 ? 10 : o;
		snprintf(out, 8, "#%02x%02x%02x", 0xc7 - 0xc7 * o / 10, 0xe9 - (0xe9 - 0x44) * o / 10,
			 0xc0 - (0xc0 - 0x1b) * o / 10);
		return;
	}
	snprintf(out, 8, "%s", k < sizeof(kinds) / sizeof(kinds[0]) && kinds[k] ? kinds[k] : "#000000");
}

/* The byte that stands for frames [i, i + n): the kind most of them have. */
static unsigned char pl_phys_cell(const unsigned char *map, unsigned long long i,
				  unsigned long long n)
{
	unsigned long long count[256] = { 0 };
	unsigned char best = map[i];

	if (n == 1)
		return best;
	for (unsigned long long j = i; j < i + n; j++)
		if (++count[map[j]] > count[best])
			best = map[j];
	return best;
}

static void pl_phys_legend(FILE *f, int y)
{
	static const unsigned char shown[] = {
		PAGELAB_PHYS_FREE | 0 << PAGELAB_PHYS_ORDER_SHIFT,
		PAGELAB_PHYS_FREE | 4 << PAGELAB_PHYS_ORDER_SHIFT,
		PAGELAB_PHYS_FREE | 9 << PAGELAB_PHYS_ORDER_SHIFT,
		PAGELAB_PHYS_NOREF, PL_PHYS_PAGELAB, PAGELAB_PHYS_ANON, PAGELAB_PHYS_FILE,
		PAGELAB_PHYS_SLAB, PAGELAB_PHYS_PGTABLE, PAGELAB_PHYS_KERNEL, PAGELAB_PHYS_RESERVED,
		PAGELAB_PHYS_HUGETLB, PAGELAB_PHYS_HOLE,
	};
	char c[8];

	for (size_t i = 0; i < sizeof(shown); i++) {
		int x = 10 + (int)(i % 5) * 150, yy = y + (int)(i / 5) * 18;
		unsigned int o = shown[i] >> PAGELAB_PHYS_ORDER_SHIFT;

		pl_phys_colour(shown[i], c);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" "
			"stroke=\"#999\"/>\n", x, yy, c);
		if ((shown[i] & PAGELAB_PHYS_KIND_MASK) == PAGELAB_PHYS_FREE)
			fprintf(f, "<text x=\"%d\" y=\"%d\">free, order %u</text>\n", x + 16, yy + 11, o);
		else
			fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 16, yy + 11,
				pl_phys_kind_name(shown[i]));
	}
}

int pl_phys_svg(const char *path, const unsigned char *map, unsigned long long start,
		unsigned long long n, const char *title)
{
	unsigned long long pb = pl_pageblock_frames(), per = 1, rows;
	FILE *f = fopen(path, "we");
	const int rowh = 2;
	char c[8], prev[8];
	int width, height;

	if (!f)
		return -errno;
	/* At most 256 rows of at most 512 cells. */
	while ((n + pb * per - 1) / (pb * per) > 256)
		per *= 2;
	rows = (n + pb * per - 1) / (pb * per);
	width = (int)(pb > 512 ? 512 : pb) + 20;
	width = width < 770 ? 770 : width;
	height = 40 + (int)rows * rowh + 80;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
		"<text x=\"10\" y=\"16\">%s</text>\n"
		"<text x=\"10\" y=\"32\">frames %#llx-%#llx: one row per %llu frames, "
		"one pixel per %llu frame%s, left to right</text>\n",
		width, height, title, start, start + n - 1, pb * per, per, per > 1 ? "s" : "");
	for (unsigned long long r = 0; r < rows; r++) {
		unsigned long long cells = pb, x0 = 0;

		prev[0] = 0;
		for (unsigned long long x = 0; x <= cells; x++) {
			unsigned long long i = (r * pb + x) * per;
			bool end = x == cells || i >= n;

			if (!end)
				pl_phys_colour(pl_phys_cell(map, i, per < n - i ? per : n - i), c);
			if (prev[0] && (end || strcmp(c, prev))) {
				fprintf(f, "<rect x=\"%llu\" y=\"%llu\" width=\"%llu\" height=\"%d\" "
					"fill=\"%s\"/>\n", 10 + x0, 40 + r * rowh, x - x0, rowh, prev);
				x0 = x;
			}
			if (end)
				break;
			if (strcmp(c, prev)) {
				memcpy(prev, c, sizeof(c));
				x0 = x;
			}
		}
	}
	pl_phys_legend(f, 50 + (int)rows * rowh);
	fprintf(f, "</svg>\n");
	if (fclose(f))
		return -errno;
	return 0;
}

/* One zone's line of a per-zone, per-order file ("Node N, zone Z v0 v1 ..."). */
static int pl_zone_orders(const char *path, int node, const char *zone, double v[PL_PHYS_ORDERS])
{
	char line[512], name[PAGELAB_BUDDY_ZONE_LEN];
	int nd, off = 0, ret = -ENOENT;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *p;

		if (sscanf(line, "Node %d, zone %15s%n", &nd, name, &off) < 2 || nd != node ||
		    strcmp(name, zone))
			continue;
		p = line + off;
		for (int o = 0; o < PL_PHYS_ORDERS; o++)
			v[o] = strtod(p, &p);
		ret = 0;
	}
	fclose(f);
	return ret;
}

int pl_extfrag(const char *file, int node, const char *zone, double v[PL_PHYS_ORDERS])
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/extfrag/%s", file);
	return pl_zone_orders(path, node, zone, v);
}

int pl_buddy_snapshot(struct pl_buddy_snapshot *bi)
{
	char line[512];
	FILE *f = fopen("/proc/buddyinfo", "re");

	memset(bi, 0, sizeof(*bi));
	if (!f)
		return -errno;
	while (bi->nzones < PL_BUDDYINFO_ZONES && fgets(line, sizeof(line), f)) {
		struct pl_zone_free *z = &bi->z[bi->nzones];
		int off = 0;
		char *p;

		if (sscanf(line, "Node %d, zone %15s%n", &z->node, z->zone, &off) < 2)
			continue;
		p = line + off;
		for (int o = 0; o < PL_PHYS_ORDERS; o++)
			z->n[o] = strtoll(p, &p, 10);
		bi->nzones++;
	}
	fclose(f);
	return 0;
}

const struct pl_zone_free *pl_buddy_snapshot_zone(const struct pl_buddy_snapshot *bi, int node,
						  const char *zone)
{
	for (int i = 0; i < bi->nzones; i++)
		if (bi->z[i].node == node && !strcmp(bi->z[i].zone, zone))
			return &bi->z[i];
	return NULL;
}

int pl_buddyinfo(int node, const char *zone, long long n[PL_PHYS_ORDERS])
{
	double v[PL_PHYS_ORDERS];
	int ret = pl_zone_orders("/proc/buddyinfo", node, zone, v);

	for (int o = 0; !ret && o < PL_PHYS_ORDERS; o++)
		n[o] = (long long)v[o];
	return ret;
}

long long pl_vmstat(const char *name)
{
	FILE *f = fopen("/proc/vmstat", "re");
	long long v, ret = -1;
	char key[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name)) {
			ret = v;
			break;
		}
	fclose(f);
	return ret;
}

int pl_pagetype_blocks(int node, const char *zone, long long *unmovable, long long *movable,
		       long long *reclaimable)
{
	int col_u = -1, col_m = -1, col_r = -1, nd, off, ret = -ENOENT;
	FILE *f = fopen("/proc/pagetypeinfo", "re");
	char line[512], name[PAGELAB_BUDDY_ZONE_LEN];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, word[32];
		int col = 0;

		if (!strncmp(line, "Number of blocks type", 21)) {
			p += 21;
			while (sscanf(p, "%31s%n", word, &off) == 1) {
				col_u = strcmp(word, "Unmovable") ? col_u : col;
				col_m = strcmp(word, "Movable") ? col_m : col;
				col_r = strcmp(word, "Reclaimable") ? col_r : col;
				col++;
				p += off;
			}
			continue;
		}
		if (col_u < 0 || sscanf(line, "Node %d, zone %15s%n", &nd, name, &off) < 2 ||
		    nd != node || strcmp(name, zone))
			continue;
		p = line + off;
		for (col = 0;; col++) {
			long long v = strtoll(p, &p, 10);

			if (col == col_u)
				*unmovable = v;
			if (col == col_m)
				*movable = v;
			if (col == col_r)
				*reclaimable = v;
			if (col >= col_u && col >= col_m && col >= col_r)
				break;
		}
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}
