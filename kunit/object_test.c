// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for module/object.c: create-request validation and the
 * attach permission rule, as pure functions of the loaded module.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/mm.h>

#include "pagelab.h"
#include "suites.h"

#define CAP_PAGES 256UL

struct create_case {
	const char *desc;
	struct pagelab_create c;
	int expect;
};

static const struct create_case create_cases[] = {
	{ "one page", { .size = PAGE_SIZE }, 0 },
	{ "at the cap", { .size = CAP_PAGES * PAGE_SIZE }, 0 },
	{ "over the cap", { .size = (CAP_PAGES + 1) * PAGE_SIZE }, -ENOSPC },
	{ "huge size", { .size = ~0ULL & PAGE_MASK }, -ENOSPC },
	{ "size 0", { .size = 0 }, -EINVAL },
	{ "unaligned size", { .size = PAGE_SIZE + 1 }, -EINVAL },
	{ "all ones size", { .size = ~0ULL }, -EINVAL },
	{ "known flag", { .size = PAGE_SIZE, .flags = PAGELAB_CREATE_NO_FAULT_AROUND }, 0 },
	{ "unknown flag", { .size = PAGE_SIZE, .flags = 1ULL << 63 }, -EINVAL },
	{ "pad set", { .size = PAGE_SIZE, .pad = 1 }, -EINVAL },
	{ "mode 0644", { .size = PAGE_SIZE, .mode = 0644 }, 0 },
	{ "setuid bit in mode", { .size = PAGE_SIZE, .mode = 04600 }, -EINVAL },
	{ "fault-around at max",
	  { .size = PAGE_SIZE, .fault_around = PAGELAB_FAULT_AROUND_MAX }, 0 },
	{ "fault-around over max",
	  { .size = PAGE_SIZE, .fault_around = PAGELAB_FAULT_AROUND_MAX + 1 }, -EINVAL },
	{ "good name", { .size = PAGE_SIZE, .name = "buf-1.a_b" }, 0 },
	{ "name with space", { .size = PAGE_SIZE, .name = "a b" }, -EINVAL },
	{ "name with slash", { .size = PAGE_SIZE, .name = "a/b" }, -EINVAL },
	{ "name of 31 chars", { .size = PAGE_SIZE, .name = "0123456789012345678901234567890" }, 0 },
};

static void create_case_desc(const struct create_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(create, create_cases, create_case_desc);

static void pagelab_create_check_test(struct kunit *test)
{
	const struct create_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, pagelab_create_check(&c->c, CAP_PAGES), c->expect);
}

static void pagelab_create_check_unterminated_name(struct kunit *test)
{
	struct pagelab_create c = { .size = PAGE_SIZE };

	memset(c.name, 'a', sizeof(c.name));
	KUNIT_EXPECT_EQ(test, pagelab_create_check(&c, CAP_PAGES), -EINVAL);
}

struct mode_case {
	const char *desc;
	umode_t mode;
	bool owner, group;
	int want;
	bool expect;
};

static const struct mode_case mode_cases[] = {
	{ "owner rw of 0600", 0600, true, false, MAY_READ | MAY_WRITE, true },
	{ "other r of 0600", 0600, false, false, MAY_READ, false },
	{ "group r of 0640", 0640, false, true, MAY_READ, true },
	{ "group w of 0640", 0640, false, true, MAY_READ | MAY_WRITE, false },
	{ "other r of 0644", 0644, false, false, MAY_READ, true },
	{ "other rw of 0644", 0644, false, false, MAY_READ | MAY_WRITE, false },
	{ "owner bits rule the owner", 0066, true, true, MAY_READ, false },
	{ "group bits rule a member", 0606, false, true, MAY_READ, false },
	{ "other w of 0666", 0666, false, false, MAY_WRITE, true },
};

static void mode_case_desc(const struct mode_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mode, mode_cases, mode_case_desc);

static void pagelab_mode_permits_test(struct kunit *test)
{
	const struct mode_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, pagelab_mode_permits(c->mode, c->owner, c->group, c->want),
			c->expect);
}

/*
 * The counter table: every line a __u64 of the stat struct and an atomic of
 * the counters, each field once, the names unique.
 */
static void pagelab_obj_counter_table_test(struct kunit *test)
{
	const struct pagelab_obj_counter_desc *d = pagelab_obj_counter_descs;
	unsigned int n = pagelab_obj_counter_count;

	KUNIT_ASSERT_GT(test, n, 0U);
	for (unsigned int i = 0; i < n; i++) {
		size_t off = pagelab_obj_counter_offs[i];

		KUNIT_EXPECT_EQ_MSG(test, pagelab_obj_counter_sizes[i], sizeof(u64), "%s",
				    d[i].name);
		KUNIT_EXPECT_LE(test, d[i].stat_off + sizeof(u64), sizeof(struct pagelab_obj_stat));
		KUNIT_EXPECT_EQ(test, off % sizeof(atomic64_t), 0UL);
		KUNIT_EXPECT_LT(test, off, sizeof(struct pagelab_obj_counters));
		for (unsigned int j = 0; j < i; j++) {
			KUNIT_EXPECT_NE_MSG(test, d[i].stat_off, d[j].stat_off, "%s", d[i].name);
			KUNIT_EXPECT_NE_MSG(test, off, pagelab_obj_counter_offs[j], "%s",
					    d[i].name);
			KUNIT_EXPECT_STRNEQ(test, d[i].name, d[j].name);
		}
	}
}

static struct kunit_case pagelab_object_cases[] = {
	KUNIT_CASE(pagelab_obj_counter_table_test),
	KUNIT_CASE_PARAM(pagelab_create_check_test, create_gen_params),
	KUNIT_CASE(pagelab_create_check_unterminated_name),
	KUNIT_CASE_PARAM(pagelab_mode_permits_test, mode_gen_params),
	{}
};

struct kunit_suite pagelab_object_suite = {
	.name = "pagelab-object",
	.test_cases = pagelab_object_cases,
};
