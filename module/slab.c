// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - a slab cache of the caller's own (PAGELAB_IOC_SLAB): objects
 * of a chosen size taken and given back one by one, each reported with
 * the slab (its first frame, its order) it lives in and its offset there,
 * so a user sees how the slab allocator packs objects into slabs, what
 * rounding and alignment cost per object, and which slabs are full,
 * partial or empty (the kernel's own counts are in /proc/slabinfo and
 * /sys/kernel/slab/NAME/).
 *
 * The cache is never merged with another (SLAB_NO_MERGE; before 6.5 a
 * constructor, which slab_unmergeable() refuses to merge, at the cost of
 * the free pointer moving out of the object: one more word per slot), so
 * its counts are its own; its name is unique while the module is loaded.  The cache and
 * its objects belong to the open file of /dev/pagelab, under the file's
 * slab_lock; releasing the file frees every object and destroys the cache.
 */
#include <linux/atomic.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "pagelab.h"
#include "trace.h"

static atomic_t pagelab_slab_seq = ATOMIC_INIT(0);

/* Nothing to build: its presence keeps the cache from being merged (before 6.5). */
static void pagelab_slab_ctor(void *obj)
{
}

static long pagelab_slab_create(struct pagelab_dev_file *df, struct pagelab_slab *r)
{
	if (!r->size || r->size > PAGELAB_SLAB_MAX_SIZE ||
	    (r->align && (!is_power_of_2(r->align) || r->align > PAGELAB_SLAB_MAX_ALIGN)))
		return -EINVAL;
	if (df->cache)
		return -EBUSY;
	snprintf(df->name, sizeof(df->name), "pagelab_slab_%u",
		 (unsigned int)atomic_inc_return(&pagelab_slab_seq));
	df->cache = kmem_cache_create(df->name, r->size, r->align,
				      SLAB_ACCOUNT | PAGELAB_SLAB_NO_MERGE,
				      PAGELAB_SLAB_NO_MERGE ? NULL : pagelab_slab_ctor);
	if (!df->cache)
		return -ENOMEM;
	df->size = r->size;
	return 0;
}

/* Where @obj lives: its slab's first frame and order, its offset there. */
static void pagelab_slab_where(struct pagelab_slab *r, void *obj)
{
	struct page *head = virt_to_head_page(obj);

	r->slab_pfn = page_to_pfn(head);
	r->slab_order = compound_order(head);
	r->offset = (u32)((char *)obj - (char *)page_address(head));
}

static long pagelab_slab_alloc(struct pagelab_dev_file *df, struct pagelab_slab *r)
{
	void *obj;
	u32 handle;
	int ret;

	if (df->nobjects >= PAGELAB_SLAB_MAX_OBJECTS)
		return -ENOSPC;
	/* A failure is the answer: no OOM kill for it. */
	obj = kmem_cache_alloc(df->cache, GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_NORETRY);
	if (!obj)
		return -ENOMEM;
	ret = xa_alloc(&df->objects, &handle, obj, XA_LIMIT(1, U32_MAX), GFP_KERNEL_ACCOUNT);
	if (ret) {
		kmem_cache_free(df->cache, obj);
		return ret;
	}
	df->nobjects++;
	r->handle = handle;
	pagelab_slab_where(r, obj);
	trace_pagelab_slab(true, df->size, r->slab_pfn, r->offset);
	return 0;
}

static long pagelab_slab_free(struct pagelab_dev_file *df, struct pagelab_slab *r)
{
	void *obj = r->handle <= U32_MAX ? xa_erase(&df->objects, r->handle) : NULL;

	if (!obj)
		return -ENOENT;
	df->nobjects--;
	pagelab_slab_where(r, obj);
	trace_pagelab_slab(false, df->size, r->slab_pfn, r->offset);
	kmem_cache_free(df->cache, obj);
	return 0;
}

/* Empty slabs back to the page allocator (how many remain, the kernel keeps). */
static long pagelab_slab_shrink(struct pagelab_dev_file *df)
{
	kmem_cache_shrink(df->cache);
	return 0;
}

/**
 * pagelab_slab_ioctl() - PAGELAB_IOC_SLAB
 * @file: the open file of /dev/pagelab
 * @uarg: struct pagelab_slab in user memory
 *
 * Return: 0; -EPERM unless the file's opener and the caller have
 * CAP_SYS_ADMIN (slab frames are physical addresses, as for the walk);
 * -EINVAL for a malformed request (unknown op, a size or alignment out of
 * range, pad set, no cache yet); -EBUSY for a second cache; -ENOSPC over
 * PAGELAB_SLAB_MAX_OBJECTS; -ENOMEM; -ENOENT for a handle the file does
 * not hold; -EINTR; -EFAULT.
 */
long pagelab_slab_ioctl(struct file *file, struct pagelab_slab __user *uarg)
{
	struct pagelab_dev_file *df = file->private_data;
	struct pagelab_slab r;
	long ret;

	if (!pagelab_walk_admin(file))
		return -EPERM;
	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.pad || (r.op != PAGELAB_SLAB_CREATE && (r.size || r.align)))
		return -EINVAL;
	if (mutex_lock_killable(&df->slab_lock))
		return -EINTR;
	if (r.op == PAGELAB_SLAB_CREATE)
		ret = pagelab_slab_create(df, &r);
	else if (!df->cache)
		ret = -EINVAL;
	else if (r.op == PAGELAB_SLAB_ALLOC)
		ret = pagelab_slab_alloc(df, &r);
	else if (r.op == PAGELAB_SLAB_FREE)
		ret = pagelab_slab_free(df, &r);
	else if (r.op == PAGELAB_SLAB_SHRINK)
		ret = pagelab_slab_shrink(df);
	else
		ret = -EINVAL;
	if (!ret) {
		r.size = df->size;
		strscpy(r.name, df->name, sizeof(r.name));
	}
	mutex_unlock(&df->slab_lock);
	if (ret)
		return ret;
	/* An object taken stays the file's: freed on close if this copy fails. */
	return copy_to_user(uarg, &r, sizeof(r)) ? -EFAULT : 0;
}

/**
 * pagelab_slab_release() - the file is released: its objects, then its cache
 * @df: its state
 */
void pagelab_slab_release(struct pagelab_dev_file *df)
{
	unsigned long h;
	void *obj;

	xa_for_each(&df->objects, h, obj)
		kmem_cache_free(df->cache, obj);
	xa_destroy(&df->objects);
	kmem_cache_destroy(df->cache);
}
