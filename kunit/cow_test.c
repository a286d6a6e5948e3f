// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for pagelab's copy-on-write bookkeeping (module/object.c):
 * frame owner counts, pin detection, clone, COW break and merge, on real
 * objects of the loaded module that no process maps.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "pagelab.h"
#include "suites.h"

struct pinned_case {
	const char *desc;
	unsigned long owners;	/* entries holding the frame */
	unsigned int refs;	/* references beyond the allocation's own */
	unsigned int extra;	/* of them, the caller's */
	bool expect;
};

/* The allocation's reference stands for the first owner's entry. */
static const struct pinned_case pinned_cases[] = {
	{ "one owner, nothing else", 1, 0, 0, false },
	{ "one owner, caller's ref", 1, 1, 1, false },
	{ "one owner, unknown ref", 1, 1, 0, true },
	{ "three owners", 3, 2, 0, false },
	{ "three owners, one short", 3, 1, 0, false },
	{ "three owners, one more", 3, 3, 0, true },
	{ "GUP pin bias", 1, GUP_PIN_COUNTING_BIAS, 0, true },
};

static void pinned_case_desc(const struct pinned_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pinned, pinned_cases, pinned_case_desc);

static void pagelab_frame_pinned_test(struct kunit *test)
{
	const struct pinned_case *c = test->param_value;
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	set_page_private(page, c->owners);
	page_ref_add(page, c->refs);
	KUNIT_EXPECT_EQ(test, pagelab_frame_pinned(page, c->extra), c->expect);
	page_ref_sub(page, c->refs);
	set_page_private(page, 0);
	__free_page(page);
}

/* Objects made for a test, dropped at its end. */
struct cow_ctx {
	struct pagelab_object *obj[4];
	int n;
	s64 held0;
};

static int cow_test_init(struct kunit *test)
{
	struct cow_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->held0 = atomic64_read(&pagelab_stats.pages_held);
	test->priv = ctx;
	return 0;
}

static void cow_test_exit(struct kunit *test)
{
	struct cow_ctx *ctx = test->priv;

	while (ctx->n)
		pagelab_kunit_obj_put(ctx->obj[--ctx->n]);
	/* Every frame went back: the module's count is where it started. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), ctx->held0);
}

static struct pagelab_object *cow_obj(struct kunit *test, pgoff_t npages)
{
	struct cow_ctx *ctx = test->priv;
	struct pagelab_object *obj = pagelab_kunit_obj_new(npages);

	KUNIT_ASSERT_FALSE(test, IS_ERR(obj));
	ctx->obj[ctx->n++] = obj;
	return obj;
}

/* Give @obj a frame at @index filled with @byte. */
static struct page *cow_fill(struct kunit *test, struct pagelab_object *obj, pgoff_t index,
			     u8 byte)
{
	struct page *page;
	bool fresh;

	KUNIT_ASSERT_TRUE(test, !pagelab_obj_alloc_page(obj, index, NULL, &page, &fresh));
	memset_page(page, 0, byte, PAGE_SIZE);
	unlock_page(page);
	put_page(page);
	return page;
}

static u8 cow_byte(struct pagelab_object *obj, pgoff_t index)
{
	struct page *page = pagelab_frame_at(obj, index);
	u8 *p, b;

	if (!page)
		return 0;
	p = kmap_local_page(page);
	b = p[PAGE_SIZE - 1];
	kunmap_local(p);
	return b;
}

static void pagelab_clone_shares_frames(struct kunit *test)
{
	struct pagelab_object *a = cow_obj(test, 8), *b = cow_obj(test, 8);
	struct cow_ctx *ctx = test->priv;
	struct page *p0 = cow_fill(test, a, 0, 0x11), *p5 = cow_fill(test, a, 5, 0x55);

	KUNIT_ASSERT_EQ(test, pagelab_clone_frames(a, b), 0);
	KUNIT_EXPECT_PTR_EQ(test, pagelab_frame_at(b, 0), p0);
	KUNIT_EXPECT_PTR_EQ(test, pagelab_frame_at(b, 5), p5);
	KUNIT_EXPECT_NULL(test, pagelab_frame_at(b, 1));
	KUNIT_EXPECT_EQ(test, page_private(p0), 2UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&b->resident), 2L);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->count.clone_shared), 2LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->count.clone_copied), 0LL);
	/* Nothing was copied: two frames held, not four. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), ctx->held0 + 2);
}

static void pagelab_clone_copies_pinned(struct kunit *test)
{
	struct pagelab_object *a = cow_obj(test, 4), *b = cow_obj(test, 4);
	struct page *p0 = cow_fill(test, a, 0, 0x22);

	get_page(p0);		/* stands for a GUP pin */
	KUNIT_ASSERT_EQ(test, pagelab_clone_frames(a, b), 0);
	put_page(p0);
	KUNIT_EXPECT_PTR_NE(test, pagelab_frame_at(b, 0), p0);
	KUNIT_EXPECT_EQ(test, page_private(p0), 1UL);
	KUNIT_EXPECT_EQ(test, cow_byte(b, 0), 0x22);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->count.clone_copied), 1LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->count.cow_bytes), (s64)PAGE_SIZE);
}

static void pagelab_cow_break_copies_for_writer(struct kunit *test)
{
	struct pagelab_object *a = cow_obj(test, 4), *b = cow_obj(test, 4);
	struct page *p1 = cow_fill(test, a, 1, 0x33), *now;
	bool copied;

	KUNIT_ASSERT_EQ(test, pagelab_clone_frames(a, b), 0);
	KUNIT_ASSERT_TRUE(test, !pagelab_obj_cow_break(b, 1, NULL, false, &now, &copied));
	KUNIT_ASSERT_NOT_NULL(test, now);
	KUNIT_EXPECT_TRUE(test, copied);
	KUNIT_EXPECT_PTR_NE(test, now, p1);
	KUNIT_EXPECT_TRUE(test, PageLocked(now));
	unlock_page(now);
	put_page(now);
	KUNIT_EXPECT_PTR_EQ(test, pagelab_frame_at(b, 1), now);
	KUNIT_EXPECT_PTR_EQ(test, pagelab_frame_at(a, 1), p1);
	KUNIT_EXPECT_EQ(test, page_private(p1), 1UL);
	KUNIT_EXPECT_EQ(test, page_private(now), 1UL);
	KUNIT_EXPECT_EQ(test, cow_byte(b, 1), 0x33);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->count.cow_breaks), 1LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->count.cow_breaks), 0LL);

	/* The source is the frame's only owner now: no copy for it. */
	KUNIT_ASSERT_TRUE(test, !pagelab_obj_cow_break(a, 1, NULL, false, &now, &copied));
	KUNIT_EXPECT_PTR_EQ(test, now, p1);
	KUNIT_EXPECT_FALSE(test, copied);
	unlock_page(now);
	put_page(now);

	/* An index with no frame: nothing to break. */
	KUNIT_ASSERT_TRUE(test, !pagelab_obj_cow_break(a, 2, NULL, false, &now, &copied));
	KUNIT_EXPECT_NULL(test, now);
}

static void pagelab_cow_break_at_cap(struct kunit *test)
{
	struct pagelab_object *a = cow_obj(test, 2), *b = cow_obj(test, 2);
	unsigned long cap = pagelab_max_pages;
	struct page *p0 = cow_fill(test, a, 0, 0x44), *now;
	vm_fault_t ret;
	bool copied;

	KUNIT_ASSERT_EQ(test, pagelab_clone_frames(a, b), 0);
	WRITE_ONCE(pagelab_max_pages, atomic64_read(&pagelab_stats.pages_held));
	ret = pagelab_obj_cow_break(b, 0, NULL, false, &now, &copied);
	KUNIT_EXPECT_TRUE(test, ret == VM_FAULT_SIGBUS);
	WRITE_ONCE(pagelab_max_pages, cap);
	KUNIT_EXPECT_NULL(test, now);
	/* Nothing changed: still shared, counted once as a SIGBUS. */
	KUNIT_EXPECT_PTR_EQ(test, pagelab_frame_at(b, 0), p0);
	KUNIT_EXPECT_EQ(test, page_private(p0), 2UL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->count.sigbus), 1LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->count.cow_breaks), 0LL);
}

static void pagelab_clone_chain_release_any_order(struct kunit *test)
{
	struct cow_ctx *ctx = test->priv;
	struct pagelab_object *a = cow_obj(test, 2), *b = cow_obj(test, 2), *c = cow_obj(test, 2);
	struct page *p0 = cow_fill(test, a, 0, 0x66);

	KUNIT_ASSERT_EQ(test, pagelab_clone_frames(a, b), 0);
	KUNIT_ASSERT_EQ(test, pagelab_clone_frames(b, c), 0);
	KUNIT_EXPECT_EQ(test, page_private(p0), 3UL);
	/* Drop the middle one, then the original: the last keeps the data. */
	pagelab_kunit_obj_put(b);
	ctx->obj[1] = c;
	ctx->obj[2] = NULL;
	ctx->n = 2;
	KUNIT_EXPECT_EQ(test, page_private(p0), 2UL);
	pagelab_kunit_obj_put(a);
	ctx->obj[0] = c;
	ctx->n = 1;
	KUNIT_EXPECT_EQ(test, page_private(p0), 1UL);
	KUNIT_EXPECT_EQ(test, cow_byte(c, 0), 0x66);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), ctx->held0 + 1);
}

static void pagelab_merge_equal_and_zero(struct kunit *test)
{
	struct cow_ctx *ctx = test->priv;
	struct pagelab_object *a = cow_obj(test, 4), *b = cow_obj(test, 4);
	struct pagelab_object *objs[] = { a, b };
	struct pagelab_merge out;
	struct page *keep;

	keep = cow_fill(test, a, 0, 0x77);
	cow_fill(test, a, 1, 0x78);
	cow_fill(test, a, 2, 0x00);
	cow_fill(test, b, 0, 0x77);
	cow_fill(test, b, 3, 0x77);
	KUNIT_ASSERT_EQ(test, pagelab_merge_objects(objs, 2, &out), 0);
	KUNIT_EXPECT_EQ(test, out.scanned, 5ULL);
	KUNIT_EXPECT_EQ(test, out.merged, 2ULL);
	KUNIT_EXPECT_EQ(test, out.zero, 1ULL);
	KUNIT_EXPECT_EQ(test, out.skipped, 0ULL);
	KUNIT_EXPECT_EQ(test, out.saved, 3ULL * PAGE_SIZE);
	KUNIT_EXPECT_PTR_EQ(test, pagelab_frame_at(b, 0), keep);
	KUNIT_EXPECT_PTR_EQ(test, pagelab_frame_at(b, 3), keep);
	KUNIT_EXPECT_EQ(test, page_private(keep), 3UL);
	KUNIT_EXPECT_NULL(test, pagelab_frame_at(a, 2));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&a->resident), 2L);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pagelab_stats.pages_held), ctx->held0 + 2);

	/* Merging again finds nothing new. */
	KUNIT_ASSERT_EQ(test, pagelab_merge_objects(objs, 2, &out), 0);
	KUNIT_EXPECT_EQ(test, out.merged, 0ULL);
	KUNIT_EXPECT_EQ(test, out.saved, 0ULL);
}

static struct kunit_case pagelab_cow_cases[] = {
	KUNIT_CASE_PARAM(pagelab_frame_pinned_test, pinned_gen_params),
	KUNIT_CASE(pagelab_clone_shares_frames),
	KUNIT_CASE(pagelab_clone_copies_pinned),
	KUNIT_CASE(pagelab_cow_break_copies_for_writer),
	KUNIT_CASE(pagelab_cow_break_at_cap),
	KUNIT_CASE(pagelab_clone_chain_release_any_order),
	KUNIT_CASE(pagelab_merge_equal_and_zero),
	{}
};

struct kunit_suite pagelab_cow_suite = {
	.name = "pagelab-cow",
	.init = cow_test_init,
	.exit = cow_test_exit,
	.test_cases = pagelab_cow_cases,
};
