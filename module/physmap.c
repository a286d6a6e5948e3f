// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the physical memory map (PAGELAB_IOC_PHYSMAP): what each frame
 * of a range is used for, one byte per frame, so a user can draw memory by
 * kind and see fragmentation: free blocks by order, and the allocations
 * that sit between them.
 *
 * The answer is read from the page descriptors with no lock, as
 * /proc/kpageflags reads them: a frame can change kind while it is looked
 * at, and the map is a snapshot, never a promise.  Only descriptors of
 * online memory are read (pfn_to_online_page()); a free block's order is
 * trusted only up to the kernel's highest.
 */
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/memory_hotplug.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "pagelab.h"

/*
 * Frames looked at between two copies to user memory: a multiple of the
 * largest free block, so an aligned range never splits one between chunks.
 */
#define PAGELAB_PHYSMAP_CHUNK	PAGE_SIZE

/* The order of the free block starting at @page, or -1 if none starts there. */
static int pagelab_phys_free_head(struct page *page)
{
	unsigned long order;

	if (!PageBuddy(page))
		return -1;
	order = READ_ONCE(page->private);
	return order <= PAGELAB_MAX_PAGE_ORDER ? (int)order : -1;
}

/*
 * The free block a frame with no references lies inside: its order, its
 * first frame in *@head; or -1.  A block of order k covering @pfn starts
 * at @pfn rounded down to 2^k.
 */
static int pagelab_phys_free_within(unsigned long pfn, unsigned long *head)
{
	for (int order = 1; order <= PAGELAB_MAX_PAGE_ORDER; order++) {
		struct page *page;
		int o;

		*head = pfn & ~((1UL << order) - 1);
		page = pfn_to_online_page(*head);
		o = page ? pagelab_phys_free_head(page) : -1;
		if (o >= order)
			return o;
	}
	return -1;
}

/**
 * pagelab_phys_kind() - what a frame that is not in a free block is used for
 * @page: its descriptor, of online memory
 *
 * Return: a PAGELAB_PHYS_* kind other than HOLE and FREE.
 */
u8 pagelab_phys_kind(struct page *page)
{
	unsigned long mapping;
	struct folio *folio;

	if (PageReserved(page))
		return PAGELAB_PHYS_RESERVED;
	if (PageSlab(page))
		return PAGELAB_PHYS_SLAB;
	if (PageTable(page))
		return PAGELAB_PHYS_PGTABLE;
	/* Before the count: a free page of the hugetlb pool has none. */
	if (PageHuge(page))
		return PAGELAB_PHYS_HUGETLB;
	if (!page_count(page))
		return PAGELAB_PHYS_NOREF;
	folio = page_folio(page);
	mapping = (unsigned long)READ_ONCE(folio->mapping);
	if ((mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_ANON ||
	    (mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_KSM)
		return PAGELAB_PHYS_ANON;
	if (mapping && !(mapping & PAGE_MAPPING_FLAGS))
		return PAGELAB_PHYS_FILE;
	return PAGELAB_PHYS_KERNEL;
}
EXPORT_SYMBOL_NS_GPL(pagelab_phys_kind, PAGELAB_KUNIT_NS);

/**
 * pagelab_physmap_fill() - describe frames [@pfn, @pfn + @n), one byte each
 * @pfn:    the first frame
 * @n:      how many
 * @out:    @n bytes for the answer
 * @blocks: free blocks that start in the range, counted per order (added to)
 *
 * A free block seen at its first frame fills every byte it covers, so a
 * block's tail is not looked up frame by frame; a range that begins inside
 * a free block finds its head by the block's alignment.
 */
void pagelab_physmap_fill(unsigned long pfn, unsigned int n, u8 *out, u64 *blocks)
{
	unsigned int i = 0;

	while (i < n) {
		struct page *page = pfn_to_online_page(pfn + i);
		unsigned long head = pfn + i;
		int order;
		u8 kind;

		if (!page) {
			out[i++] = PAGELAB_PHYS_HOLE;
			continue;
		}
		order = pagelab_phys_free_head(page);
		if (order >= 0) {
			blocks[order]++;
		} else {
			kind = pagelab_phys_kind(page);
			if (kind == PAGELAB_PHYS_NOREF)
				order = pagelab_phys_free_within(pfn + i, &head);
			if (order < 0) {
				out[i++] = kind;
				continue;
			}
		}
		/* Every frame of the free block, up to the range's end. */
		kind = PAGELAB_PHYS_FREE | order << PAGELAB_PHYS_ORDER_SHIFT;
		head = min_t(unsigned long, n, head - pfn + (1UL << order));
		memset(out + i, kind, head - i);
		i = head;
	}
}
EXPORT_SYMBOL_NS_GPL(pagelab_physmap_fill, PAGELAB_KUNIT_NS);

/**
 * pagelab_physmap_ioctl() - PAGELAB_IOC_PHYSMAP
 * @file: the open file of /dev/pagelab
 * @uarg: struct pagelab_physmap in user memory
 *
 * Return: 0; -EPERM unless the file's opener and the caller have
 * CAP_SYS_ADMIN; -EINVAL for a malformed request; -EFAULT; -EINTR on a
 * fatal signal (the buffer is then partly written).
 */
long pagelab_physmap_ioctl(struct file *file, struct pagelab_physmap __user *uarg)
{
	struct pagelab_physmap r;
	u8 __user *buf;
	long ret = 0;
	u64 done;
	u8 *chunk;

	/* A free block's order fits the byte's high bits and the answer's counts. */
	BUILD_BUG_ON(1 << (8 - PAGELAB_PHYS_ORDER_SHIFT) <= PAGELAB_MAX_PAGE_ORDER);
	BUILD_BUG_ON(ARRAY_SIZE(r.free_blocks) <= PAGELAB_MAX_PAGE_ORDER);
	if (!pagelab_walk_admin(file))
		return -EPERM;
	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.flags || r.pad || !r.count || r.count > PAGELAB_PHYSMAP_MAX ||
	    r.start_pfn >= (1ULL << 52) || r.count > (1ULL << 52) - r.start_pfn)
		return -EINVAL;
	chunk = kmalloc(PAGELAB_PHYSMAP_CHUNK, GFP_KERNEL);
	if (!chunk)
		return -ENOMEM;
	buf = u64_to_user_ptr(r.buf);
	memset(r.free_blocks, 0, sizeof(r.free_blocks));
	for (done = 0; done < r.count; done += PAGELAB_PHYSMAP_CHUNK) {
		unsigned int n = min_t(u64, PAGELAB_PHYSMAP_CHUNK, r.count - done);

		pagelab_physmap_fill(r.start_pfn + done, n, chunk, r.free_blocks);
		if (copy_to_user(buf + done, chunk, n)) {
			ret = -EFAULT;
			goto out_free_chunk;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_free_chunk;
		}
		cond_resched();
	}
	if (copy_to_user(uarg, &r, sizeof(r)))
		ret = -EFAULT;
out_free_chunk:
	kfree(chunk);
	return ret;
}
