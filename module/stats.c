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

/*
 * The one list of module-wide counters (uapi/pagelab_module_counters.h), as
 * three tables in its order: names and atomics in struct pagelab_stats;
 * their fields in struct pagelab_info; those fields' sizes (for KUnit's
 * check that each is a __u64).
 */
const struct pagelab_module_counter_desc pagelab_module_counter_descs[] = {
#define PAGELAB_MODULE_COUNTER(field, label) \
	{ #field, offsetof(struct pagelab_stats, field) },
#include "uapi/pagelab_module_counters.h"
#undef PAGELAB_MODULE_COUNTER
};
EXPORT_SYMBOL_NS_GPL(pagelab_module_counter_descs, PAGELAB_KUNIT_NS);

const size_t pagelab_module_counter_info_offs[] = {
#define PAGELAB_MODULE_COUNTER(field, label) \
	offsetof(struct pagelab_info, field),
#include "uapi/pagelab_module_counters.h"
#undef PAGELAB_MODULE_COUNTER
};
EXPORT_SYMBOL_NS_GPL(pagelab_module_counter_info_offs, PAGELAB_KUNIT_NS);

const size_t pagelab_module_counter_info_sizes[] = {
#define PAGELAB_MODULE_COUNTER(field, label) \
	sizeof_field(struct pagelab_info, field),
#include "uapi/pagelab_module_counters.h"
#undef PAGELAB_MODULE_COUNTER
};
EXPORT_SYMBOL_NS_GPL(pagelab_module_counter_info_sizes, PAGELAB_KUNIT_NS);

const unsigned int pagelab_module_counter_count = ARRAY_SIZE(pagelab_module_counter_descs);
EXPORT_SYMBOL_NS_GPL(pagelab_module_counter_count, PAGELAB_KUNIT_NS);

/* The ABI 1.11 struct ended at @objects. */
static_assert(offsetofend(struct pagelab_info, objects) == PAGELAB_INFO_SIZE_V1);

/* Each line names a counter of the struct (offsetof), and the struct has no other. */
static_assert(sizeof(struct pagelab_stats) ==
	      ARRAY_SIZE(pagelab_module_counter_descs) * sizeof(atomic64_t));

/**
 * pagelab_module_counter() - the counter at one line of the list
 * @i: the line, below pagelab_module_counter_count
 *
 * Return: its value now.
 */
u64 pagelab_module_counter(unsigned int i)
{
	const struct pagelab_module_counter_desc *d = &pagelab_module_counter_descs[i];

	return atomic64_read((atomic64_t *)((char *)&pagelab_stats + d->stats_off));
}
EXPORT_SYMBOL_NS_GPL(pagelab_module_counter, PAGELAB_KUNIT_NS);

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
	out->max_store_pages = READ_ONCE(pagelab_max_store_pages);
	for (unsigned int i = 0; i < ARRAY_SIZE(pagelab_module_counter_descs); i++)
		*(u64 *)((char *)out + pagelab_module_counter_info_offs[i]) =
			pagelab_module_counter(i);
}
EXPORT_SYMBOL_NS_GPL(pagelab_info_fill, PAGELAB_KUNIT_NS);
