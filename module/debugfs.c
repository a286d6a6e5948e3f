// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the files under /sys/kernel/debug/pagelab/.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "compat.h"
#include "pagelab.h"

static struct dentry *pagelab_debugfs_dir;

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(pagelab_fail_attr);

static const char *const pagelab_fail_site_names[PAGELAB_FAIL_NR_SITES] = {
	[PAGELAB_FAIL_OBJ_ALLOC] = "obj_alloc",
	[PAGELAB_FAIL_OBJ_INODE] = "obj_inode",
	[PAGELAB_FAIL_OBJ_FILE] = "obj_file",
	[PAGELAB_FAIL_OBJ_TABLE] = "obj_table",
	[PAGELAB_FAIL_FRAME] = "frame",
	[PAGELAB_FAIL_FRAME_STORE] = "frame_store",
	[PAGELAB_FAIL_COW_FRAME] = "cow_frame",
	[PAGELAB_FAIL_CLONE_COPY] = "clone_copy",
	[PAGELAB_FAIL_CLONE_STORE] = "clone_store",
	[PAGELAB_FAIL_MERGE_ARGS] = "merge_args",
	[PAGELAB_FAIL_MERGE_CAND] = "merge_cand",
	[PAGELAB_FAIL_WALK_BUF] = "walk_buf",
	[PAGELAB_FAIL_REPLACER] = "replacer",
	[PAGELAB_FAIL_STORE] = "store",
	[PAGELAB_FAIL_FILE_IO] = "file_io",
};

static atomic_long_t pagelab_fail_seen[PAGELAB_FAIL_NR_SITES];
static atomic_long_t pagelab_fail_injected[PAGELAB_FAIL_NR_SITES];

/**
 * pagelab_should_fail() - should this allocation at @site fail now?
 * @site: where pagelab is about to allocate
 *
 * Return: true when the pagelab/fail/ knobs say so (the caller then fails
 * as if the allocation had).
 */
bool pagelab_should_fail(enum pagelab_fail_site site)
{
	bool fail;

	if (!atomic_read(&pagelab_fail_attr.times))
		return false;
	atomic_long_inc(&pagelab_fail_seen[site]);
	fail = should_fail(&pagelab_fail_attr, 1);
	if (fail)
		atomic_long_inc(&pagelab_fail_injected[site]);
	return fail;
}

static int fail_sites_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < PAGELAB_FAIL_NR_SITES; i++)
		seq_printf(m, "%-12s seen=%ld injected=%ld\n", pagelab_fail_site_names[i],
			   atomic_long_read(&pagelab_fail_seen[i]),
			   atomic_long_read(&pagelab_fail_injected[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fail_sites);

/**
 * pagelab_fail_debugfs_init() - pagelab/fail/ and pagelab/fail_sites
 * @dir: pagelab's debugfs folder
 */
void pagelab_fail_debugfs_init(struct dentry *dir)
{
	/* Armed only by writing the knobs: times starts at 0 here. */
	atomic_set(&pagelab_fail_attr.times, 0);
	fault_create_debugfs_attr("fail", dir, &pagelab_fail_attr);
	debugfs_create_file("fail_sites", 0400, dir, NULL, &fail_sites_fops);
}
#endif

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
	seq_printf(m, "max_store_pages %llu\n", info.max_store_pages);
	for (unsigned int i = 0; i < pagelab_module_counter_count; i++)
		seq_printf(m, "%s %llu\n", pagelab_module_counter_descs[i].name,
			   *(u64 *)((char *)&info + pagelab_module_counter_info_offs[i]));
	/* Root-only, like the rest: lets tests check kernel walks of the direct map. */
	seq_printf(m, "direct_map_base 0x%lx\n", (unsigned long)PAGE_OFFSET);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* The event logs of budgeted objects: one line per event. */
static int events_show(struct seq_file *m, void *unused)
{
	pagelab_events_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(events);

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
	debugfs_create_file("events", 0400, pagelab_debugfs_dir, NULL, &events_fops);
	pagelab_fail_debugfs_init(pagelab_debugfs_dir);
}

/**
 * pagelab_debugfs_exit() - remove everything pagelab_debugfs_init() created
 */
void pagelab_debugfs_exit(void)
{
	debugfs_remove_recursive(pagelab_debugfs_dir);
}
