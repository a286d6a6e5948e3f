// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the buddy allocator, watched (PAGELAB_IOC_BUDDY): blocks of
 * 2^order pages taken from the kernel's page allocator and given back on
 * request, so a user sees each block's frame, its alignment and its
 * buddy's frame, and /proc/buddyinfo change as blocks split and merge.
 *
 * The blocks belong to the open file of /dev/pagelab that took them
 * (struct pagelab_dev_file) and are freed when it is released; each counts
 * its pages in pagelab_stats.pages_held against max_pages, as frames do,
 * and is charged to the caller's memory cgroup.  A block is never mapped:
 * the kernel's own counters and PFNs are the point.  The file's blocks are
 * an allocating xarray (its own lock): a handle is taken or erased once.
 */
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "pagelab.h"
#include "trace.h"

struct pagelab_block {
	struct page *page;
	unsigned int order;
};

/**
 * pagelab_dev_file_new() - the state of a new open file of /dev/pagelab
 *
 * Return: it, or NULL without memory.
 */
struct pagelab_dev_file *pagelab_dev_file_new(void)
{
	struct pagelab_dev_file *df = kzalloc(sizeof(*df), GFP_KERNEL_ACCOUNT);

	if (!df)
		return NULL;
	xa_init_flags(&df->blocks, XA_FLAGS_ALLOC1);
	xa_init_flags(&df->objects, XA_FLAGS_ALLOC1);
	mutex_init(&df->slab_lock);
	return df;
}
EXPORT_SYMBOL_NS_GPL(pagelab_dev_file_new, PAGELAB_KUNIT_NS);

static void pagelab_block_free(struct pagelab_block *b)
{
	unsigned long n = 1UL << b->order;

	trace_pagelab_buddy(false, b->order, page_to_pfn(b->page));
	__free_pages(b->page, b->order);
	atomic64_sub(n, &pagelab_stats.pages_held);
	atomic64_add(n, &pagelab_stats.pages_freed);
	kfree(b);
}

/**
 * pagelab_dev_file_free() - the file is released: every block and slab object goes back
 * @df: its state, or NULL
 */
void pagelab_dev_file_free(struct pagelab_dev_file *df)
{
	struct pagelab_block *b;
	unsigned long h;

	if (!df)
		return;
	xa_for_each(&df->blocks, h, b)
		pagelab_block_free(b);
	xa_destroy(&df->blocks);
	pagelab_slab_release(df);
	kfree(df);
}
EXPORT_SYMBOL_NS_GPL(pagelab_dev_file_free, PAGELAB_KUNIT_NS);

/* What the buddy allocator says of @pfn now: a free block starts there (its order). */
static void pagelab_buddy_look(struct pagelab_buddy *r)
{
	struct page *buddy = pfn_to_online_page(r->buddy_pfn);

	r->buddy_free = 0;
	r->buddy_order = 0;
	/* Racy by nature: a snapshot, the way /proc/kpageflags reads it. */
	if (buddy && data_race(PageBuddy(buddy))) {
		r->buddy_free = 1;
		r->buddy_order = (u32)READ_ONCE(buddy->private);
	}
}

static void pagelab_buddy_describe(struct pagelab_buddy *r, struct page *page,
				   unsigned int order)
{
	r->order = order;
	r->pfn = page_to_pfn(page);
	r->buddy_pfn = r->pfn ^ (1UL << order);
	r->nid = page_to_nid(page);
	strscpy(r->zone, page_zone(page)->name, sizeof(r->zone));
}

/**
 * pagelab_buddy_alloc() - take a block of 2^@r->order pages for the file
 * @df: the open file's state
 * @r:  the request (order, flags); the answer is written back into it
 *
 * Return: 0, or -EINVAL, -ENOSPC, -ENOMEM as PAGELAB_IOC_BUDDY documents.
 */
long pagelab_buddy_alloc(struct pagelab_dev_file *df, struct pagelab_buddy *r)
{
	struct pagelab_block *b;
	unsigned long n;
	u32 handle;
	gfp_t gfp;
	int ret;

	if (r->order > PAGELAB_BUDDY_MAX_ORDER || r->order > PAGELAB_MAX_PAGE_ORDER)
		return -EINVAL;
	n = 1UL << r->order;
	if (atomic64_add_return(n, &pagelab_stats.pages_held) > READ_ONCE(pagelab_max_pages)) {
		ret = -ENOSPC;
		goto out_uncount;
	}
	b = kmalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b) {
		ret = -ENOMEM;
		goto out_uncount;
	}
	b->order = r->order;
	/*
	 * A failure is the answer (no block of that order): no warning, no
	 * OOM kill; with NOWAIT not even reclaim, compaction or kswapd.
	 */
	gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_NORETRY;
	/* Compound: every frame counts as the block's, in the physmap too. */
	if (r->order)
		gfp |= __GFP_COMP;
	/* No reclaim, and no dip into the reserves that lifts for atomic callers. */
	if (r->flags & PAGELAB_BUDDY_NOWAIT)
		gfp = (gfp & ~__GFP_RECLAIM) | __GFP_NOMEMALLOC;
	b->page = pagelab_should_fail(PAGELAB_FAIL_FRAME) ? NULL : alloc_pages(gfp, r->order);
	if (!b->page) {
		ret = -ENOMEM;
		goto out_free_block;
	}
	atomic64_add(n, &pagelab_stats.pages_allocated);
	pagelab_buddy_describe(r, b->page, b->order);
	trace_pagelab_buddy(true, b->order, r->pfn);
	/* Published last: from here another thread of the file may free it. */
	ret = xa_alloc(&df->blocks, &handle, b, XA_LIMIT(1, U32_MAX), GFP_KERNEL_ACCOUNT);
	if (ret) {
		pagelab_block_free(b);
		return ret;
	}
	r->handle = handle;
	pagelab_buddy_look(r);
	return 0;

out_free_block:
	kfree(b);
out_uncount:
	atomic64_sub(n, &pagelab_stats.pages_held);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(pagelab_buddy_alloc, PAGELAB_KUNIT_NS);

/**
 * pagelab_buddy_free() - give the file's block @r->handle back
 * @df: the open file's state
 * @r:  the request; the block's description is written back into it
 *
 * Return: 0, or -ENOENT for a handle the file does not hold.
 */
long pagelab_buddy_free(struct pagelab_dev_file *df, struct pagelab_buddy *r)
{
	struct pagelab_block *b;

	if (r->handle > U32_MAX)
		return -ENOENT;
	b = xa_erase(&df->blocks, r->handle);
	if (!b)
		return -ENOENT;
	pagelab_buddy_describe(r, b->page, b->order);
	pagelab_block_free(b);
	pagelab_buddy_look(r);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(pagelab_buddy_free, PAGELAB_KUNIT_NS);

/**
 * pagelab_buddy_ioctl() - PAGELAB_IOC_BUDDY
 * @file: the open file of /dev/pagelab
 * @uarg: struct pagelab_buddy in user memory
 *
 * Return: 0; -EPERM unless the file's opener and the caller have
 * CAP_SYS_ADMIN (frames are physical addresses, as for the walk); -EINVAL
 * for a malformed request (unknown op, order over the kernel's highest,
 * unknown flags); -ENOSPC over max_pages; -ENOMEM without a free block of that
 * order; -ENOENT for a handle the file does not hold; -EFAULT.
 */
long pagelab_buddy_ioctl(struct file *file, struct pagelab_buddy __user *uarg)
{
	struct pagelab_dev_file *df = file->private_data;
	struct pagelab_buddy r;
	long ret;

	if (!pagelab_walk_admin(file))
		return -EPERM;
	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.flags & ~PAGELAB_BUDDY_NOWAIT || (r.flags && r.op != PAGELAB_BUDDY_ALLOC))
		return -EINVAL;
	if (r.op == PAGELAB_BUDDY_ALLOC)
		ret = pagelab_buddy_alloc(df, &r);
	else if (r.op == PAGELAB_BUDDY_FREE)
		ret = pagelab_buddy_free(df, &r);
	else
		ret = -EINVAL;
	if (ret)
		return ret;
	/* A block taken stays the file's: freed on close if this copy fails. */
	return copy_to_user(uarg, &r, sizeof(r)) ? -EFAULT : 0;
}
