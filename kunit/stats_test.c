// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for module/stats.c: request validation and the info report,
 * run against the loaded pagelab module.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/pgtable.h>

#include "pagelab.h"
#include "suites.h"

struct info_check_case {
	const char *name;
	struct pagelab_info in;
	int expect;
};

static const struct info_check_case info_check_cases[] = {
	{ .name = "all zero", .in = {}, .expect = 0 },
	{ .name = "unknown flag", .in = { .flags = 1 }, .expect = -EINVAL },
	{ .name = "high flag", .in = { .flags = 1U << 31 }, .expect = -EINVAL },
	{ .name = "pad set", .in = { .pad = 7 }, .expect = -EINVAL },
	{ .name = "outputs ignored", .in = { .pages_held = 5, .objects = 9 }, .expect = 0 },
};

static void info_check_case_desc(const struct info_check_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(info_check, info_check_cases, info_check_case_desc);

static void pagelab_info_check_test(struct kunit *test)
{
	const struct info_check_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, pagelab_info_check(&c->in), c->expect);
}

static void pagelab_info_fill_test(struct kunit *test)
{
	struct pagelab_info *info = kunit_kzalloc(test, sizeof(*info), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, info);
	memset(info, 0xa5, sizeof(*info));
	pagelab_info_fill(info);

	KUNIT_EXPECT_EQ(test, info->flags, 0U);
	KUNIT_EXPECT_EQ(test, info->pad, 0U);
	KUNIT_EXPECT_EQ(test, info->page_size, (u32)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, info->pgtable_levels, pgtable_l5_enabled() ? 5U : 4U);
	KUNIT_EXPECT_EQ(test, info->pages_held,
			info->pages_allocated - info->pages_freed);
}

/*
 * The module-wide counter table: every line a __u64 of struct pagelab_info
 * and an atomic of struct pagelab_stats, each field once, the names unique.
 */
static void pagelab_module_counter_table_test(struct kunit *test)
{
	const struct pagelab_module_counter_desc *d = pagelab_module_counter_descs;
	unsigned int n = pagelab_module_counter_count;

	KUNIT_ASSERT_GT(test, n, 0U);
	for (unsigned int i = 0; i < n; i++) {
		size_t off = pagelab_module_counter_info_offs[i];

		KUNIT_EXPECT_EQ_MSG(test, pagelab_module_counter_info_sizes[i], sizeof(u64), "%s",
				    d[i].name);
		KUNIT_EXPECT_LE(test, off + sizeof(u64), sizeof(struct pagelab_info));
		/* Past the caps and sizes at the head of the struct. */
		KUNIT_EXPECT_GE(test, off, offsetofend(struct pagelab_info, max_object_pages));
		KUNIT_EXPECT_EQ(test, d[i].stats_off % sizeof(atomic64_t), 0UL);
		KUNIT_EXPECT_LT(test, d[i].stats_off, sizeof(struct pagelab_stats));
		for (unsigned int j = 0; j < i; j++) {
			KUNIT_EXPECT_NE_MSG(test, off, pagelab_module_counter_info_offs[j], "%s",
					    d[i].name);
			KUNIT_EXPECT_NE_MSG(test, d[i].stats_off, d[j].stats_off, "%s", d[i].name);
			KUNIT_EXPECT_STRNEQ(test, d[i].name, d[j].name);
		}
	}
}

/* The fill copies each counter (read around it: one that moved meanwhile is read again). */
static void pagelab_info_fill_counters_test(struct kunit *test)
{
	const struct pagelab_module_counter_desc *d = pagelab_module_counter_descs;
	struct pagelab_info *info = kunit_kzalloc(test, sizeof(*info), GFP_KERNEL);
	unsigned int i, tries;

	KUNIT_ASSERT_NOT_NULL(test, info);
	for (i = 0; i < pagelab_module_counter_count; i++) {
		u64 before, got, after;

		for (tries = 0; tries < 100; tries++) {
			before = pagelab_module_counter(i);
			pagelab_info_fill(info);
			got = *(u64 *)((char *)info + pagelab_module_counter_info_offs[i]);
			after = pagelab_module_counter(i);
			if (before == after)
				break;
		}
		KUNIT_EXPECT_EQ_MSG(test, before, after, "%s never held still", d[i].name);
		KUNIT_EXPECT_EQ_MSG(test, got, before, "%s", d[i].name);
	}
}

static struct kunit_case pagelab_stats_cases[] = {
	KUNIT_CASE(pagelab_module_counter_table_test),
	KUNIT_CASE(pagelab_info_fill_counters_test),
	KUNIT_CASE_PARAM(pagelab_info_check_test, info_check_gen_params),
	KUNIT_CASE(pagelab_info_fill_test),
	{}
};

struct kunit_suite pagelab_stats_suite = {
	.name = "pagelab-stats",
	.test_cases = pagelab_stats_cases,
};
