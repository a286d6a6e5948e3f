/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab KUnit glue: run the suites on kernels with and without CONFIG_KUNIT.
 *
 * With CONFIG_KUNIT the module loader runs a module's suites itself.  Debian's
 * stock kernel has no CONFIG_KUNIT: there an out-of-tree kunit.ko (built by
 * scripts/setup.sh from linux-source) provides the runner, and the test module
 * starts and ends its suites from its own init and exit.
 */
#ifndef _PAGELAB_KUNIT_COMPAT_H
#define _PAGELAB_KUNIT_COMPAT_H

#include <kunit/test.h>
#include <linux/module.h>

#if IS_ENABLED(CONFIG_KUNIT)
#define pagelab_kunit_suites(suites...) kunit_test_suites(suites)
#else
#define pagelab_kunit_suites(suites...)					\
	static struct kunit_suite *pagelab_kunit_suite_list[] = { suites };	\
	static int __init pagelab_kunit_init(void)				\
	{									\
		return __kunit_test_suites_init(pagelab_kunit_suite_list,	\
				ARRAY_SIZE(pagelab_kunit_suite_list));		\
	}									\
	static void __exit pagelab_kunit_exit(void)				\
	{									\
		__kunit_test_suites_exit(pagelab_kunit_suite_list,		\
				ARRAY_SIZE(pagelab_kunit_suite_list));		\
	}									\
	module_init(pagelab_kunit_init);					\
	module_exit(pagelab_kunit_exit)
#endif

#endif /* _PAGELAB_KUNIT_COMPAT_H */
