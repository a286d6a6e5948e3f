/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - internal declarations shared by the module's files.
 */
#ifndef _PAGELAB_H
#define _PAGELAB_H

#include <linux/atomic.h>
#include <linux/export.h>
#include <linux/types.h>

#include "uapi/pagelab.h"

#define PAGELAB_RELEASE		"0.1.0"

/*
 * Functions the KUnit suites in kunit/ call in the loaded module are exported
 * in the PAGELAB_KUNIT namespace, so nothing else links against them by
 * accident (the role EXPORT_SYMBOL_IF_KUNIT plays in kernels from 6.2 on).
 */

/**
 * struct pagelab_stats - module-wide counters
 * @pages_held:      pages pagelab holds now
 * @pages_allocated: pages allocated since load
 * @pages_freed:     pages freed since load
 * @objects:         live objects
 *
 * Atomic, so the fault path never takes a lock to count.
 */
struct pagelab_stats {
	atomic64_t pages_held;
	atomic64_t pages_allocated;
	atomic64_t pages_freed;
	atomic64_t objects;
};

extern struct pagelab_stats pagelab_stats;
extern unsigned long pagelab_max_pages;

int pagelab_info_check(const struct pagelab_info *in);
void pagelab_info_fill(struct pagelab_info *out);

void pagelab_debugfs_init(void);
void pagelab_debugfs_exit(void);

#endif /* _PAGELAB_H */
