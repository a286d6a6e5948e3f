// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - module-wide counters and the reports built from them.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>

#include "pagelab.h"

/* Atomic counters: the fault path counts without taking a lock. */
struct pagelab_stats pagelab_stats;
EXPORT_SYMBOL_NS_GPL(pagelab_stats, PAGELAB_KUNIT_NS);

/**
 * pagelab_info_check() - validate the input fields of a struct pagelab_info
 * @in: the request as copied from userspace
 *
 * Return: 0 if every input field is acceptable, -EINVAL otherwise.
 */
int pagelab_info_check(const struct pagelab_info *in)
{
	if (in->flags || in->pad)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(pagelab_info_check, PAGELAB_KUNIT_NS);

/**
 * pagelab_info_fill() - fill a struct pagelab_info with the module's state
 * @out: the reply; every field is overwritten
 */
void pagelab_info_fill(struct pagelab_info *out)
{
	memset(out, 0, sizeof(*out));
	out->page_size = PAGE_SIZE;
	out->pgtable_levels = pgtable_l5_enabled() ? 5 : 4;
	out->max_pages = READ_ONCE(pagelab_max_pages);
	out->max_object_pages = READ_ONCE(pagelab_max_object_pages);
	out->pages_held = atomic64_read(&pagelab_stats.pages_held);
	out->pages_allocated = atomic64_read(&pagelab_stats.pages_allocated);
	out->pages_freed = atomic64_read(&pagelab_stats.pages_freed);
	out->objects = atomic64_read(&pagelab_stats.objects);
}
EXPORT_SYMBOL_NS_GPL(pagelab_info_fill, PAGELAB_KUNIT_NS);

