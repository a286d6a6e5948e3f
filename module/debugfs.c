// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the files under /sys/kernel/debug/pagelab/.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "pagelab.h"

static struct dentry *pagelab_debugfs_dir;

static int stats_show(struct seq_file *m, void *unused)
{
	struct pagelab_info info;

	pagelab_info_fill(&info);
	seq_printf(m, "abi %d.%d\n", PAGELAB_ABI_MAJOR, PAGELAB_ABI_MINOR);
	seq_printf(m, "release %s\n", PAGELAB_RELEASE);
	seq_printf(m, "page_size %u\n", info.page_size);
	seq_printf(m, "pgtable_levels %u\n", info.pgtable_levels);
	seq_printf(m, "max_pages %llu\n", info.max_pages);
	seq_printf(m, "max_object_pages %llu\n", info.max_object_pages);
	seq_printf(m, "pages_held %llu\n", info.pages_held);
	seq_printf(m, "pages_allocated %llu\n", info.pages_allocated);
	seq_printf(m, "pages_freed %llu\n", info.pages_freed);
	seq_printf(m, "objects %llu\n", info.objects);
	/* Root-only, like the rest: lets tests check kernel walks of the direct map. */
	seq_printf(m, "direct_map_base 0x%lx\n", (unsigned long)PAGE_OFFSET);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* One line per live object: space-separated key=value pairs. */
static int objects_show(struct seq_file *m, void *unused)
{
	pagelab_objects_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(objects);

/**
 * pagelab_debugfs_init() - create /sys/kernel/debug/pagelab and its files
 *
 * debugfs failures are not errors: the device works without them.
 */
void pagelab_debugfs_init(void)
{
	pagelab_debugfs_dir = debugfs_create_dir("pagelab", NULL);
	debugfs_create_file("stats", 0400, pagelab_debugfs_dir, NULL,
			    &stats_fops);
	debugfs_create_file("objects", 0400, pagelab_debugfs_dir, NULL,
			    &objects_fops);
	debugfs_create_file("walk", 0600, pagelab_debugfs_dir, NULL,
			    &pagelab_walk_fops);
}

/**
 * pagelab_debugfs_exit() - remove everything pagelab_debugfs_init() created
 */
void pagelab_debugfs_exit(void)
{
	debugfs_remove_recursive(pagelab_debugfs_dir);
}
