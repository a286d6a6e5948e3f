// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab_kunit - runs pagelab's KUnit suites against the loaded pagelab.ko.
 *
 * The module starts its suites from its own init rather than through
 * kunit_test_suites(): Debian's stock kernel has no CONFIG_KUNIT, so its
 * module loader never looks for suites; an out-of-tree kunit.ko (built by
 * scripts/setup.sh from linux-source) is the runner there.  Calling
 * __kunit_test_suites_init() works the same on a kernel with KUnit built in.
 */
#include <linux/module.h>

#include "suites.h"
#include "compat.h"

static struct kunit_suite *pagelab_kunit_suites[] = {
	&pagelab_stats_suite,
	&pagelab_object_suite,
	&pagelab_walk_suite,
	&pagelab_cow_suite,
	&pagelab_replace_suite,
	&pagelab_buddy_suite,
};

static int __init pagelab_kunit_init(void)
{
	return pagelab_kunit_suites_init(pagelab_kunit_suites,
					 ARRAY_SIZE(pagelab_kunit_suites));
}

static void __exit pagelab_kunit_exit(void)
{
	__kunit_test_suites_exit(pagelab_kunit_suites,
				 ARRAY_SIZE(pagelab_kunit_suites));
}

module_init(pagelab_kunit_init);
module_exit(pagelab_kunit_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites for the pagelab module");
MODULE_IMPORT_NS(PAGELAB_KUNIT_NS);
