// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab merge - identical pages merged into one frame (PAGELAB_IOC_MERGE),
 * live.
 *
 * Two objects of 16 pages are filled after a layout of letters: the same
 * letter is the same 4096 bytes (within an object and across the two), "0"
 * a page written with zeros, "." a page never written; one page differs from
 * another in its last byte only.  The merge is asked for both objects; its
 * counts are checked against what the layout predicts, then both objects
 * are read through MAP_SHARED mappings and their frames (PFNs from
 * /proc/self/pagemap) shown: the same letter on the same frame, zero pages
 * on the kernel's zero page.  Last, one merged page is written: only its
 * frame changes (one COW break), and every page still holds its data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

#define MERGE_PAGES	16
#define MERGE_OBJS	2

/*
 * The layout.  'D' is 'A' with its last byte changed: not identical, so
 * not merged.  MERGE_WRITE is the merged page written at the end.
 */
static const char *const merge_layout[MERGE_OBJS] = {
	"AABC0DE.F0GH..AB",
	"ABCI0JK.FLM0N.AO",
};
static const char merge_obj_name[MERGE_OBJS] = { 'X', 'Y' };
#define MERGE_WRITE_OBJ		0
#define MERGE_WRITE_PAGE	1

struct merge_obj {
	int fd;
	__u64 id;
	volatile unsigned char *p;	/* read-write, MAP_SHARED: the writes */
	/*
	 * What the reads go through: p where the kernel maps the zero page in
	 * writable shared mappings, else (6.10 on) a mapping of a read-only
	 * attach, which never can be written, so that a read of a page of
	 * zeros maps the zero page rather than taking a frame.
	 */
	int ro;
	volatile unsigned char *r;
	struct pagelab_obj_stat st;
};

struct merge_ctx {
	long ps;
	bool ok;
	uint64_t zero_pfn;
	bool shared_zero;	/* PAGELAB_FEAT_SHARED_ZERO */
	struct merge_obj o[MERGE_OBJS];
	uint64_t pfn[MERGE_OBJS][MERGE_PAGES];
	bool rewritten;		/* the written page holds its new data */
};

static void merge_check(struct merge_ctx *c, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void merge_check(struct merge_ctx *c, bool cond, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = pl_vcheck(&c->ok, cond, fmt, ap);
	va_end(ap);
	if (!ok)
		fflush(stdout);
}

/* Byte @i of a page with label @l ('A'..'Z' or '0'); 'D' is 'A' but its last byte. */
static unsigned char merge_byte(char l, long i, long ps)
{
	if (l == '0')
		return 0;
	if (l == 'D')
		return i == ps - 1 ? 0x5a : merge_byte('A', i, ps);
	return (unsigned char)(l * 31 + i * 7 + (i >> 8));
}

/* The byte the written page holds after the last step. */
static unsigned char merge_new_byte(long i)
{
	return (unsigned char)(0xc3 ^ i);
}

/* Page @i of both objects in a row (X's 16, then Y's): is it the rewritten one? */
static bool merge_is_written(const struct merge_ctx *c, int i)
{
	return c->rewritten && i == MERGE_WRITE_OBJ * MERGE_PAGES + MERGE_WRITE_PAGE;
}

static bool merge_page_ok(const struct merge_ctx *c, int o, int pg)
{
	char l = merge_layout[o][pg];
	const volatile unsigned char *p = c->o[o].r + pg * c->ps;
	bool written = merge_is_written(c, o * MERGE_PAGES + pg);

	for (long i = 0; i < c->ps; i++) {
		unsigned char want = written ? merge_new_byte(i) :
				     l == '.' ? 0 : merge_byte(l, i, c->ps);

		if (p[i] != want)
			return false;
	}
	return true;
}

/* Read every page of both objects, check its data, record its PFN. */
static void merge_read_all(struct merge_ctx *c)
{
	for (int o = 0; o < MERGE_OBJS; o++)
		for (int pg = 0; pg < MERGE_PAGES; pg++) {
			uint64_t e = 0;

			merge_check(c, merge_page_ok(c, o, pg), "%c page %d holds the wrong data",
				    merge_obj_name[o], pg);
			if (pl_pagemap(0, (unsigned long)(c->o[o].r + pg * c->ps), &e) ||
			    !pl_pm_present(e))
				e = 0;
			c->pfn[o][pg] = pl_pm_pfn(e);
		}
}

static int merge_stat(struct merge_ctx *c)
{
	for (int o = 0; o < MERGE_OBJS; o++) {
		int ret = pl_obj_stat(c->o[o].fd, 0, &c->o[o].st);

		if (ret) {
			pl_err("merge: PAGELAB_IOC_OBJ_STAT: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static unsigned long long merge_held(int dev)
{
	struct pagelab_info i;

	return pl_info(dev, &i) ? 0 : (unsigned long long)i.pages_held;
}

/*
 * The frames as a grid: each distinct PFN gets a short name (f1, f2, ...;
 * z for the zero page), numbered in the order first seen; then the legend.
 */
static void merge_print_frames(const struct merge_ctx *c, const char *title)
{
	uint64_t seen[MERGE_OBJS * MERGE_PAGES];
	int nseen = 0;

	printf("  %s\n  page:   ", title);
	for (int pg = 0; pg < MERGE_PAGES; pg++)
		printf(" %3d", pg);
	printf("\n");
	for (int o = 0; o < MERGE_OBJS; o++) {
		printf("  %c data: ", merge_obj_name[o]);
		for (int pg = 0; pg < MERGE_PAGES; pg++)
			printf(" %3c", merge_layout[o][pg]);
		printf("\n  %c frame:", merge_obj_name[o]);
		for (int pg = 0; pg < MERGE_PAGES; pg++) {
			uint64_t pfn = c->pfn[o][pg];
			int k;

			if (!pfn) {
				printf("   ?");
				continue;
			}
			if (pfn == c->zero_pfn) {
				printf("   z");
				continue;
			}
			for (k = 0; k < nseen && seen[k] != pfn; k++)
				;
			if (k == nseen)
				seen[nseen++] = pfn;
			printf(" f%-2d", k + 1);
		}
		printf("\n");
	}
	printf("  frames:");
	for (int k = 0; k < nseen; k++)
		printf("%s f%d=%#llx", k && k % 6 == 0 ? "\n         " : "", k + 1,
		       (unsigned long long)seen[k]);
	printf("\n  z = the kernel's zero page (%#llx); ? = not mapped\n",
	       (unsigned long long)c->zero_pfn);
	fflush(stdout);
}

/*
 * Same letter <=> same frame, each pair of pages once; zero and
 * never-written pages map the zero page.  The rewritten page shares nothing.
 */
static void merge_check_frames(struct merge_ctx *c)
{
	const int n = MERGE_OBJS * MERGE_PAGES;

	for (int i = 0; i < n; i++) {
		int o = i / MERGE_PAGES, pg = i % MERGE_PAGES;
		char l = merge_layout[o][pg];
		uint64_t pfn = c->pfn[o][pg];

		if (!pfn) {
			merge_check(c, false, "%c page %d has a frame in pagemap (root?)",
				    merge_obj_name[o], pg);
			continue;
		}
		if (l == '0' || l == '.') {
			merge_check(c, pfn == c->zero_pfn, "%c page %d ('%c') maps the zero page",
				    merge_obj_name[o], pg, l);
			continue;
		}
		for (int j = i + 1; j < n; j++) {
			int o2 = j / MERGE_PAGES, pg2 = j % MERGE_PAGES;
			char l2 = merge_layout[o2][pg2];
			bool same = l2 == l && !merge_is_written(c, i) && !merge_is_written(c, j);

			if (l2 == '0' || l2 == '.')
				continue;
			if (same)
				merge_check(c, c->pfn[o2][pg2] == pfn, "%c%d and %c%d ('%c') share a frame",
					    merge_obj_name[o], pg, merge_obj_name[o2], pg2, l);
			else
				merge_check(c, c->pfn[o2][pg2] != pfn,
					    "%c%d ('%c') and %c%d ('%c') have frames of their own",
					    merge_obj_name[o], pg, l, merge_obj_name[o2], pg2, l2);
		}
	}
}

/* What the layout predicts: resident pages, merged, zero, frames left. */
static void merge_predict(unsigned long *resident, unsigned long *merged, unsigned long *zero,
			  unsigned long *frames)
{
	bool label[256] = { false };
	unsigned long nonzero = 0;

	*resident = *merged = *zero = *frames = 0;
	for (int o = 0; o < MERGE_OBJS; o++)
		for (int pg = 0; pg < MERGE_PAGES; pg++) {
			unsigned char l = merge_layout[o][pg];

			if (l == '.')
				continue;
			(*resident)++;
			if (l == '0') {
				(*zero)++;
				continue;
			}
			nonzero++;
			if (!label[l]) {
				label[l] = true;
				(*frames)++;
			}
		}
	*merged = nonzero - *frames;
}

static int merge_setup(struct merge_ctx *c, int dev)
{
	size_t len = MERGE_PAGES * c->ps;

	for (int o = 0; o < MERGE_OBJS; o++) {
		char name[16];
		int ret;

		snprintf(name, sizeof(name), "merge-%c", merge_obj_name[o]);
		ret = pl_create(dev, len, 0, 0600, name, &c->o[o].fd, &c->o[o].id);
		if (ret) {
			pl_err("merge: PAGELAB_IOC_CREATE: %s", strerror(-ret));
			return ret;
		}
		c->o[o].p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->o[o].fd, 0);
		if (c->o[o].p == MAP_FAILED) {
			pl_err("merge: mmap: %s", strerror(errno));
			c->o[o].p = NULL;
			return -errno;
		}
		c->o[o].r = c->o[o].p;
		if (!c->shared_zero) {
			ret = pl_attach(dev, c->o[o].id, PAGELAB_ATTACH_RDONLY, &c->o[o].ro);
			if (ret) {
				pl_err("merge: PAGELAB_IOC_ATTACH read-only: %s", strerror(-ret));
				return ret;
			}
			c->o[o].r = mmap(NULL, len, PROT_READ, MAP_SHARED, c->o[o].ro, 0);
			if (c->o[o].r == MAP_FAILED) {
				pl_err("merge: mmap of the read-only attach: %s", strerror(errno));
				c->o[o].r = NULL;
				return -errno;
			}
		}
		for (int pg = 0; pg < MERGE_PAGES; pg++) {
			char l = merge_layout[o][pg];
			volatile unsigned char *p = c->o[o].p + pg * c->ps;

			if (l == '.')
				continue;
			for (long i = 0; i < c->ps; i++)
				p[i] = merge_byte(l, i, c->ps);
		}
	}
	return 0;
}

/* What the layout predicts, and pages_held at each step. */
struct merge_expect {
	unsigned long resident, merged, zero, frames;
	unsigned long long held0, held2;
};

/* The two objects written and shown, their pages counted: false if setup failed. */
static bool merge_show_objects(struct merge_ctx *c, int dev, struct merge_expect *e)
{
	unsigned long long held1;

	merge_predict(&e->resident, &e->merged, &e->zero, &e->frames);
	e->held0 = merge_held(dev);
	if (merge_setup(c, dev) || merge_stat(c))
		return false;
	held1 = merge_held(dev);
	for (int o = 0; o < MERGE_OBJS; o++)
		printf("  object %c (id %llu): %s  resident %llu\n", merge_obj_name[o],
		       (unsigned long long)c->o[o].id, merge_layout[o],
		       (unsigned long long)c->o[o].st.resident);
	printf("  (a letter: a page of that content, the same letter the same 4096 bytes;\n"
	       "   0: written with zeros; .: never written; D is A with its last byte changed)\n");
	printf("  pages_held before the merge: %llu (these two objects: %llu)\n", held1,
	       held1 - e->held0);
	merge_check(c, held1 - e->held0 == e->resident, "the objects hold %lu pages", e->resident);
	return true;
}

/* PAGELAB_IOC_MERGE of both, its counts and the frames checked: false if it failed. */
static bool merge_merge(struct merge_ctx *c, int dev, struct merge_expect *e)
{
	__u64 ids[MERGE_OBJS];
	struct pagelab_merge m;
	int ret;

	for (int o = 0; o < MERGE_OBJS; o++)
		ids[o] = c->o[o].id;
	ret = pl_merge(dev, ids, MERGE_OBJS, &m);
	if (ret) {
		pl_err("merge: PAGELAB_IOC_MERGE: %s", strerror(-ret));
		return false;
	}
	e->held2 = merge_held(dev);
	printf("\n  PAGELAB_IOC_MERGE of both: scanned %llu, merged %llu, zero %llu, skipped %llu,\n"
	       "  saved %llu bytes (%llu pages)\n", (unsigned long long)m.scanned,
	       (unsigned long long)m.merged, (unsigned long long)m.zero,
	       (unsigned long long)m.skipped, (unsigned long long)m.saved,
	       (unsigned long long)m.saved / c->ps);
	printf("  pages_held after the merge: %llu (these two objects: %llu)\n", e->held2,
	       e->held2 - e->held0);
	merge_check(c, m.scanned == e->resident, "scanned = the %lu resident pages", e->resident);
	merge_check(c, m.merged == e->merged, "merged = %lu (each repeat of a letter)", e->merged);
	merge_check(c, m.zero == e->zero, "zero = %lu (the pages written with zeros)", e->zero);
	merge_check(c, m.skipped == 0, "nothing skipped");
	merge_check(c, m.saved == (e->merged + e->zero) * c->ps, "saved = %lu pages",
		    e->merged + e->zero);
	merge_check(c, e->held2 - e->held0 == e->frames, "one frame per distinct letter: %lu",
		    e->frames);
	if (!merge_stat(c))
		for (int o = 0; o < MERGE_OBJS; o++)
			printf("  object %c: resident %llu, shared %llu, merged %llu, "
			       "merged_zero %llu\n", merge_obj_name[o],
			       (unsigned long long)c->o[o].st.resident,
			       (unsigned long long)c->o[o].st.shared,
			       (unsigned long long)c->o[o].st.merged,
			       (unsigned long long)c->o[o].st.merged_zero);
	printf("\n");
	merge_read_all(c);
	merge_print_frames(c, "After the merge, read through MAP_SHARED mappings:");
	merge_check_frames(c);
	printf("  The same letter is now one frame, in one object or in both; pages of\n"
	       "  zeros hold no frame at all (reads map the zero page).  D, one byte away\n"
	       "  from A, kept its own.  Every merged page is mapped read-only.\n");
	return true;
}

/* Write one merged page: only it gets a new frame. */
static void merge_write_one(struct merge_ctx *c, int dev, const struct merge_expect *e)
{
	uint64_t before[MERGE_OBJS][MERGE_PAGES];
	unsigned long long held3;

	memcpy(before, c->pfn, sizeof(before));
	for (long i = 0; i < c->ps; i++)
		c->o[MERGE_WRITE_OBJ].p[MERGE_WRITE_PAGE * c->ps + i] = merge_new_byte(i);
	c->rewritten = true;
	held3 = merge_held(dev);
	merge_read_all(c);
	printf("\n");
	merge_print_frames(c, "After writing page 1 of X (an 'A', merged):");
	for (int o = 0; o < MERGE_OBJS; o++)
		for (int pg = 0; pg < MERGE_PAGES; pg++) {
			bool wrote = o == MERGE_WRITE_OBJ && pg == MERGE_WRITE_PAGE;

			if (wrote)
				merge_check(c, c->pfn[o][pg] != before[o][pg],
					    "the written page got a new frame");
			else
				merge_check(c, c->pfn[o][pg] == before[o][pg],
					    "%c page %d kept its frame", merge_obj_name[o], pg);
		}
	merge_check_frames(c);
	if (!merge_stat(c)) {
		printf("  object X: cow_breaks %llu, shared %llu; object Y: cow_breaks %llu;"
		       " pages_held %llu\n", (unsigned long long)c->o[0].st.cow_breaks,
		       (unsigned long long)c->o[0].st.shared,
		       (unsigned long long)c->o[1].st.cow_breaks, held3);
		merge_check(c, c->o[MERGE_WRITE_OBJ].st.cow_breaks == 1,
			    "the write is one COW break");
		merge_check(c, c->o[1 - MERGE_WRITE_OBJ].st.cow_breaks == 0,
			    "the other object has none");
	} else {
		c->ok = false;
	}
	merge_check(c, held3 == e->held2 + 1, "the write took one new frame");
	printf("  The write trapped on the read-only entry and pagelab copied that one page\n"
	       "  for X: every other page, the other 'A's too, kept its frame, and all the\n"
	       "  data reads back as written.\n");
}

static void merge_run(struct merge_ctx *c, int dev)
{
	struct merge_expect e;

	if (!merge_show_objects(c, dev, &e) || !merge_merge(c, dev, &e)) {
		c->ok = false;
		return;
	}
	merge_write_one(c, dev, &e);
}

int cmd_merge(int argc, char **argv)
{
	struct merge_ctx c = { .ps = sysconf(_SC_PAGESIZE), .ok = true };
	struct pagelab_version v;
	int dev, ret;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab merge\n\n"
		       "Merge identical pages, live.  Two objects of %d pages are filled\n"
		       "after a layout: some pages identical across the objects, some\n"
		       "within one, some all zeros, some unique (one differs from another\n"
		       "in one byte only).  PAGELAB_IOC_MERGE of both: its counts (scanned,\n"
		       "merged, zero, skipped, saved) and pages_held before and after are\n"
		       "checked against the layout; the frames (PFNs from pagemap) show\n"
		       "which pages share one; then one merged page is written and only\n"
		       "its frame changes (one COW break).  Exits 1 if a check fails.\n"
		       "Needs root.\n", MERGE_PAGES);
		return PL_EXIT_OK;
	}
	if (argc > 1) {
		pl_err("merge: unknown argument '%s' (see pagelab merge --help)", argv[1]);
		return PL_EXIT_USAGE;
	}
	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	for (int o = 0; o < MERGE_OBJS; o++)
		c.o[o].fd = c.o[o].ro = -1;
	ret = pl_version(dev, &v);
	if (ret) {
		pl_err("merge: PAGELAB_IOC_VERSION: %s", strerror(-ret));
		close(dev);
		return PL_EXIT_FAIL;
	}
	c.shared_zero = v.features & PAGELAB_FEAT_SHARED_ZERO;
	ret = pl_zero_pfn(&c.zero_pfn);
	if (ret) {
		pl_err("merge: no frame numbers from /proc/self/pagemap (%s): run as root",
		       strerror(-ret));
		close(dev);
		return PL_EXIT_FAIL;
	}
	merge_run(&c, dev);
	for (int o = 0; o < MERGE_OBJS; o++) {
		if (c.o[o].r && c.o[o].r != c.o[o].p)
			munmap((void *)c.o[o].r, MERGE_PAGES * c.ps);
		if (c.o[o].p)
			munmap((void *)c.o[o].p, MERGE_PAGES * c.ps);
		if (c.o[o].ro >= 0)
			close(c.o[o].ro);
		if (c.o[o].fd >= 0)
			close(c.o[o].fd);
	}
	close(dev);
	if (c.ok)
		printf("\nMerged: identical pages share one frame until one is written again.\n");
	else
		printf("\nMISMATCH: the merge did not do what the layout predicts (see above).\n");
	fflush(stdout);
	return c.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}
