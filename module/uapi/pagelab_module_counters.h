/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pagelab - the module-wide counters, one line each:
 *
 *	PAGELAB_MODULE_COUNTER(field, label)
 *
 * @field is a __u64 of struct pagelab_info (its kernel-doc there) and an
 * atomic64_t of the module's struct pagelab_stats; @label is its line in
 * pagelab info.
 *
 * This is the one list of them.  Each use defines PAGELAB_MODULE_COUNTER as
 * it needs and includes this file (no include guard: it is included more
 * than once): the module copies PAGELAB_IOC_INFO's answer out and prints
 * the debugfs stats lines from it; pagelab info prints its lines and JSON
 * from it.  A new counter is its field in struct pagelab_info and in struct
 * pagelab_stats, its line here, the place that counts it, and its test.
 */
PAGELAB_MODULE_COUNTER(pages_held, "pages held")
PAGELAB_MODULE_COUNTER(pages_allocated, "pages allocated")
PAGELAB_MODULE_COUNTER(pages_freed, "pages freed")
PAGELAB_MODULE_COUNTER(objects, "objects")
PAGELAB_MODULE_COUNTER(store_pages, "store pages")
