/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KUnit suites of pagelab_kunit.ko, one per module file they test.
 */
#ifndef _PAGELAB_KUNIT_SUITES_H
#define _PAGELAB_KUNIT_SUITES_H

#include <kunit/test.h>

/* A case KUnit should call slow (over a second): 6.1's KUnit has no such mark. */
#ifndef KUNIT_CASE_SLOW
#define KUNIT_CASE_SLOW(test_name) KUNIT_CASE(test_name)
#endif

extern struct kunit_suite pagelab_stats_suite;
extern struct kunit_suite pagelab_object_suite;
extern struct kunit_suite pagelab_walk_suite;
extern struct kunit_suite pagelab_cow_suite;
extern struct kunit_suite pagelab_replace_suite;
extern struct kunit_suite pagelab_buddy_suite;

#endif /* _PAGELAB_KUNIT_SUITES_H */
