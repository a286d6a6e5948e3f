// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for module/replace.c: each policy's victim choice on crafted
 * states (pagelab_rp_pick() is pure bookkeeping: no page is touched).
 */
#include <kunit/test.h>
#include <linux/bitmap.h>

#include "pagelab.h"
#include "suites.h"

#define RP_PAGES 16

/* A replacer of @budget slots with pages 0..budget-1 loaded in order. */
static struct pagelab_replacer *rp_full(struct kunit *test, unsigned int policy,
					unsigned int budget)
{
	struct pagelab_replacer *rp = pagelab_rp_alloc(RP_PAGES);
	unsigned int s;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	rp->policy = policy;
	rp->budget = budget;
	for (s = 0; s < budget; s++) {
		pagelab_rp_load_slot(rp, s, s);
		rp->used++;
	}
	return rp;
}

struct pick_case {
	const char *desc;
	unsigned int policy;
	const char *touches;	/* pages referenced after the loads, in order */
	int skip;		/* a slot not to choose, or -1 */
	int expect;		/* the slot chosen */
};

static const struct pick_case pick_cases[] = {
	{ "fifo: oldest load", PAGELAB_POLICY_FIFO, "", -1, 0 },
	{ "fifo: hits do not matter", PAGELAB_POLICY_FIFO, "0 0 1", -1, 0 },
	{ "fifo: next oldest when skipped", PAGELAB_POLICY_FIFO, "", 0, 1 },
	{ "lru: oldest reference", PAGELAB_POLICY_LRU, "0", -1, 1 },
	{ "lru: all touched", PAGELAB_POLICY_LRU, "2 0 1", -1, 2 },
	{ "lfu: fewest references", PAGELAB_POLICY_LFU, "0 0 2", -1, 1 },
	{ "lfu: tie goes to the oldest load", PAGELAB_POLICY_LFU, "1 2", -1, 0 },
	{ "lfu: tie, oldest skipped", PAGELAB_POLICY_LFU, "", 0, 1 },
	{ "clock: all bits set: a full turn, then slot 0", PAGELAB_POLICY_CLOCK, "", -1, 0 },
	{ "clock: skipped slot passed over", PAGELAB_POLICY_CLOCK, "", 0, 1 },
};

static void pick_case_desc(const struct pick_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pick, pick_cases, pick_case_desc);

static void pagelab_rp_pick_test(struct kunit *test)
{
	const struct pick_case *c = test->param_value;
	struct pagelab_replacer *rp = rp_full(test, c->policy, 3);
	const char *t;

	for (t = c->touches; *t; t++)
		if (*t >= '0' && *t <= '9')
			pagelab_rp_touch(rp, *t - '0');
	if (c->skip >= 0)
		__set_bit(c->skip, rp->skip);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, c->skip >= 0 ? rp->skip : NULL), c->expect);
	pagelab_rp_free(rp);
}

static void pagelab_rp_clock_second_chance(struct kunit *test)
{
	struct pagelab_replacer *rp = rp_full(test, PAGELAB_POLICY_CLOCK, 3);

	/* Every bit set: the hand clears all three, then takes slot 0. */
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, NULL), 0);
	KUNIT_EXPECT_EQ(test, rp->ncleared, 3U);
	KUNIT_EXPECT_EQ(test, rp->hand, 1U);
	/* Page 3 replaces page 0; page 2 is referenced: slot 1 goes next. */
	pagelab_rp_load_slot(rp, 0, 3);
	pagelab_rp_touch(rp, 2);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, NULL), 1);
	KUNIT_EXPECT_EQ(test, rp->ncleared, 0U);
	KUNIT_EXPECT_EQ(test, rp->hand, 2U);
	/* Slot 2's bit is set: cleared (its page listed for unmapping), then 0's. */
	pagelab_rp_load_slot(rp, 1, 4);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, NULL), 2);
	KUNIT_EXPECT_EQ(test, rp->ncleared, 3U);
	pagelab_rp_free(rp);
}

static void pagelab_rp_random_in_range(struct kunit *test)
{
	struct pagelab_replacer *rp = rp_full(test, PAGELAB_POLICY_RANDOM, 5);
	int i, s;

	prandom_seed_state(&rp->rnd, 42);
	__set_bit(3, rp->skip);
	for (i = 0; i < 100; i++) {
		s = pagelab_rp_pick(rp, rp->skip);
		KUNIT_EXPECT_TRUE(test, s >= 0 && s < 5 && s != 3);
	}
	bitmap_fill(rp->skip, 5);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, rp->skip), -1);
	pagelab_rp_free(rp);
}

static void pagelab_rp_all_skipped(struct kunit *test)
{
	static const unsigned int policies[] = {
		PAGELAB_POLICY_FIFO, PAGELAB_POLICY_LRU, PAGELAB_POLICY_LFU, PAGELAB_POLICY_CLOCK,
	};
	struct pagelab_replacer *rp;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		rp = rp_full(test, policies[i], 4);
		bitmap_fill(rp->skip, 4);
		KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, rp->skip), -1);
		pagelab_rp_free(rp);
	}
}

static struct kunit_case pagelab_replace_cases[] = {
	KUNIT_CASE_PARAM(pagelab_rp_pick_test, pick_gen_params),
	KUNIT_CASE(pagelab_rp_clock_second_chance),
	KUNIT_CASE(pagelab_rp_random_in_range),
	KUNIT_CASE(pagelab_rp_all_skipped),
	{}
};

struct kunit_suite pagelab_replace_suite = {
	.name = "pagelab-replace",
	.test_cases = pagelab_replace_cases,
};
