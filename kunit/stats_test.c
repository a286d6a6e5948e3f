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

static struct kunit_case pagelab_stats_cases[] = {
	KUNIT_CASE_PARAM(pagelab_info_check_test, info_check_gen_params),
	KUNIT_CASE(pagelab_info_fill_test),
	{}
};

struct kunit_suite pagelab_stats_suite = {
	.name = "pagelab-stats",
	.test_cases = pagelab_stats_cases,
};
