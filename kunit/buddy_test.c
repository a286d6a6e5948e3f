// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for module/buddy.c and module/physmap.c: a file's blocks
 * and the page cap's bookkeeping, and the frame map's verdict on frames
 * whose use the test knows, run against the loaded pagelab module.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "pagelab.h"
#include "suites.h"

/* Each case gets a file's state, released when it ends however it ends. */
static int pagelab_buddy_test_init(struct kunit *test)
{
	test->priv = pagelab_dev_file_new();
	return test->priv ? 0 : -ENOMEM;
}

static void pagelab_buddy_test_exit(struct kunit *test)
{
	pagelab_dev_file_free(test->priv);
}

static struct pagelab_dev_file *pagelab_test_file(struct kunit *test)
{
	return test->priv;
}

/* A block counts its pages while held, is aligned, and its handle works once. */
static void pagelab_buddy_counts_pages_test(struct kunit *test)
{
	struct pagelab_dev_file *df = pagelab_test_file(test);
	s64 held = atomic64_read(&pagelab_stats.pages_held);
	struct pagelab_buddy r = { .order = 3 };
	u64 handle;

	KUNIT_ASSERT_EQ(test, pagelab_buddy_alloc(df, &r), 0);
	handle = r.handle;
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), held + 8);
	KUNIT_EXPECT_EQ(test, r.pfn % 8, 0ULL);
	KUNIT_EXPECT_EQ(test, r.buddy_pfn, r.pfn ^ 8);
	KUNIT_EXPECT_EQ(test, r.order, 3U);
	memset(&r, 0, sizeof(r));
	r.handle = handle;
	KUNIT_EXPECT_EQ(test, pagelab_buddy_free(df, &r), 0);
	KUNIT_EXPECT_EQ(test, r.order, 3U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), held);
	KUNIT_EXPECT_EQ(test, pagelab_buddy_free(df, &r), -ENOENT);
}

/* Over the kernel's highest order, or over the cap: refused, nothing held. */
static void pagelab_buddy_refuses_test(struct kunit *test)
{
	struct pagelab_dev_file *df = pagelab_test_file(test);
	s64 held = atomic64_read(&pagelab_stats.pages_held);
	unsigned long cap = READ_ONCE(pagelab_max_pages);
	struct pagelab_buddy r = { .order = PAGELAB_BUDDY_MAX_ORDER + 1 };

	KUNIT_EXPECT_EQ(test, pagelab_buddy_alloc(df, &r), -EINVAL);
	r.order = 31;
	KUNIT_EXPECT_EQ(test, pagelab_buddy_alloc(df, &r), -EINVAL);
	/* Room for 4 pages: an 8-page block does not fit. */
	WRITE_ONCE(pagelab_max_pages, held + 4);
	r.order = 3;
	KUNIT_EXPECT_EQ(test, pagelab_buddy_alloc(df, &r), -ENOSPC);
	WRITE_ONCE(pagelab_max_pages, cap);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), held);
	r.handle = 0;
	KUNIT_EXPECT_EQ(test, pagelab_buddy_free(df, &r), -ENOENT);
	r.handle = 1ULL << 40;
	KUNIT_EXPECT_EQ(test, pagelab_buddy_free(df, &r), -ENOENT);
}

/* The file's release gives back every block it still holds. */
static void pagelab_buddy_release_frees_test(struct kunit *test)
{
	struct pagelab_dev_file *df = pagelab_dev_file_new();
	s64 held = atomic64_read(&pagelab_stats.pages_held);

	KUNIT_ASSERT_NOT_NULL(test, df);
	for (unsigned int order = 0; order < 4; order++) {
		struct pagelab_buddy r = { .order = order };

		KUNIT_EXPECT_EQ(test, pagelab_buddy_alloc(df, &r), 0);
	}
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), held + 15);
	pagelab_dev_file_free(df);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), held);
}

/* The module's blocks are compound: every frame reads as allocated. */
static void pagelab_physmap_block_test(struct kunit *test)
{
	struct pagelab_dev_file *df = pagelab_test_file(test);
	struct pagelab_buddy r = { .order = 2 };
	u64 blocks[16] = {};
	u8 map[4];

	KUNIT_ASSERT_EQ(test, pagelab_buddy_alloc(df, &r), 0);
	pagelab_physmap_fill(r.pfn, 4, map, blocks);
	for (int i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, map[i], PAGELAB_PHYS_KERNEL);
	for (int o = 0; o < 16; o++)
		KUNIT_EXPECT_EQ(test, blocks[o], 0ULL);
}

/* A non-compound block's tails have no reference of their own: NOREF, as documented. */
static void pagelab_physmap_noncompound_test(struct kunit *test)
{
	struct page *page = alloc_pages(GFP_KERNEL, 2);
	u64 blocks[16] = {};
	u8 map[4];

	KUNIT_ASSERT_NOT_NULL(test, page);
	pagelab_physmap_fill(page_to_pfn(page), 4, map, blocks);
	KUNIT_EXPECT_EQ(test, map[0], PAGELAB_PHYS_KERNEL);
	for (int i = 1; i < 4; i++)
		KUNIT_EXPECT_EQ(test, map[i], PAGELAB_PHYS_NOREF);
	__free_pages(page, 2);
}

/* A slab page reads as slab; frames past memory read as holes, no block counted. */
static void pagelab_physmap_slab_and_hole_test(struct kunit *test)
{
	void *obj = kunit_kmalloc(test, 64, GFP_KERNEL);
	u64 blocks[16] = {};
	u8 map[8];

	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, pagelab_phys_kind(virt_to_page(obj)), PAGELAB_PHYS_SLAB);
	memset(map, 0xff, sizeof(map));
	pagelab_physmap_fill((1UL << 52) - 8, 8, map, blocks);
	for (int i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, map[i], PAGELAB_PHYS_HOLE);
	for (int o = 0; o < 16; o++)
		KUNIT_EXPECT_EQ(test, blocks[o], 0ULL);
}

/* A range that starts inside a free block finds the block's order by its alignment. */
static void pagelab_physmap_inside_free_block_test(struct kunit *test)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 4);
	unsigned long pfn;
	u64 blocks[16] = {};
	int free_frames = 0;
	u8 map[8];

	if (!page)
		kunit_skip(test, "no free order-4 block");
	pfn = page_to_pfn(page);
	__free_pages(page, 4);
	/* The second half of the block, unless someone took it meanwhile. */
	pagelab_physmap_fill(pfn + 8, 8, map, blocks);
	for (int i = 0; i < 8; i++) {
		u8 kind = map[i] & PAGELAB_PHYS_KIND_MASK;

		KUNIT_EXPECT_NE(test, kind, PAGELAB_PHYS_HOLE);
		if (kind == PAGELAB_PHYS_FREE) {
			free_frames++;
			KUNIT_EXPECT_GE(test, map[i] >> PAGELAB_PHYS_ORDER_SHIFT, 3);
		}
	}
	/* A free block that starts before the range is not counted in it. */
	for (int o = 4; o < 16; o++)
		KUNIT_EXPECT_EQ(test, blocks[o], 0ULL);
	kunit_info(test, "%d of 8 frames read as in a free block\n", free_frames);
}

static struct kunit_case pagelab_buddy_cases[] = {
	KUNIT_CASE(pagelab_buddy_counts_pages_test),
	KUNIT_CASE(pagelab_buddy_refuses_test),
	KUNIT_CASE(pagelab_buddy_release_frees_test),
	KUNIT_CASE(pagelab_physmap_block_test),
	KUNIT_CASE(pagelab_physmap_noncompound_test),
	KUNIT_CASE(pagelab_physmap_slab_and_hole_test),
	KUNIT_CASE(pagelab_physmap_inside_free_block_test),
	{}
};

struct kunit_suite pagelab_buddy_suite = {
	.name = "pagelab-buddy",
	.init = pagelab_buddy_test_init,
	.exit = pagelab_buddy_test_exit,
	.test_cases = pagelab_buddy_cases,
};
