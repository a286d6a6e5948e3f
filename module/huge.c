// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - huge objects (PAGELAB_CREATE_HUGE): each aligned 2 MiB of the
 * object mapped by one PMD leaf, from the object's own ->huge_fault.
 *
 * The frames.  The first fault on a 2 MiB range the object holds nothing
 * of allocates one order-9 block (zeroed, charged to the faulting task's
 * memory cgroup), splits it into 512 order-0 pages with split_page() and
 * stores them as the range's 512 frames, each an ordinary frame (frame.c)
 * from then on; the range's chunk of the frame table is marked intact
 * (@table.intact).  An intact chunk is the one thing a PMD leaf may map,
 * and it is mapped whole: the leaf's PFN is the first frame's.  A fault on
 * a range that already holds some frame, or whose mapping does not cover
 * the aligned 2 MiB, falls back to 4 KiB pages: the ordinary fault path,
 * which maps frames of an intact chunk through PTEs as readily as any.
 *
 * The mapping.  On 6.12 a driver's huge fault can only install a PMD with
 * vmf_insert_pfn_pmd(): special (pmd_special()), holding no reference and
 * no map count on the frames.  GUP-fast refuses such a leaf; GUP-slow
 * would not (follow_huge_pmd() takes a reference on the leaf's first page
 * and returns another), unless the VMA is VM_PFNMAP, which GUP refuses
 * outright.  So a huge object's VMAs are VM_PFNMAP, and since
 * vmf_insert_pfn_pmd() refuses a copy-on-write VM_PFNMAP mapping they are
 * MAP_SHARED (or can never be written).  Its 4 KiB PTEs are still the
 * ordinary kind (vmf->page: referenced, counted, not special;
 * vm_normal_page() trusts a non-special PTE in any VMA), but fault-around
 * (vm_insert_page() refuses VM_PFNMAP) and the zero page (the kernel warns
 * on it there) are off.  The price: GUP fails on the mapping (O_DIRECT,
 * process_vm_readv(), /proc/PID/mem, ptrace), and the kernel's pagemap
 * and smaps leave it out, as they leave out every VM_PFNMAP mapping;
 * pagelab's own walk and scan do not.
 *
 * The rule.  A leaf holds nothing, so no frame of an intact chunk may
 * change while a leaf can map it: an operation that changes a chunk's
 * entries or shares its frames (clone, merge, a frame budget, a COW break)
 * first splits it, under the object's lock: the chunk stops being intact,
 * then unmap_mapping_pages() removes its leaves from every mapping (and
 * its PTEs: they refault as 4 KiB).  Leaves are installed only under the
 * same lock with the chunk intact, so none comes back; the chunk stays
 * split for good (its frames are 512 separate pages by then, shareable
 * and evictable one by one).  The kernel's own splits (a munmap() or
 * mprotect() of part of a leaf, a move by mremap() to a misaligned
 * address) leave the chunk intact: that mapping refaults 4 KiB pages.
 * fork() would copy a leaf it read with no lock, so a VMA's copy (fork,
 * a VMA split, mremap) first removes the range's leaves from every
 * mapping (pagelab_huge_vma_copied()), and they refault theirs.
 * pagelab_frame_set() and the SHARED mark check the rule and split (with
 * a warning) a chunk someone forgot.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>

#include "compat.h"
#include "pagelab.h"
#include "trace.h"

/**
 * pagelab_huge_table_init() - the intact marks of a huge object's chunks
 * @obj: a new object, npages and flags set
 *
 * Return: 0, or -ENOMEM.
 */
int pagelab_huge_table_init(struct pagelab_object *obj)
{
	if (!(obj->flags & PAGELAB_CREATE_HUGE))
		return 0;
	obj->table.intact = bitmap_zalloc(DIV_ROUND_UP(obj->npages, PAGELAB_CHUNK),
					  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	return obj->table.intact ? 0 : -ENOMEM;
}

/**
 * pagelab_huge_split() - split every intact chunk of [@first, @first + @n)
 * @obj: the object; its lock held
 * @first: the first page index
 * @n: pages
 *
 * Each chunk stops being intact, then its PMD leaves (and PTEs) leave
 * every mapping of @obj: from here its frames may change one by one.
 */
void pagelab_huge_split(struct pagelab_object *obj, pgoff_t first, pgoff_t n)
{
	unsigned long *intact = obj->table.intact;
	pgoff_t c, last;

	if (!intact || !n || first >= obj->npages)
		return;
	lockdep_assert_held(&obj->lock);
	last = (min(first + n, obj->npages) - 1) >> PAGELAB_CHUNK_SHIFT;
	for (c = find_next_bit(intact, last + 1, first >> PAGELAB_CHUNK_SHIFT); c <= last;
	     c = find_next_bit(intact, last + 1, c + 1)) {
		clear_bit(c, intact);
		unmap_mapping_pages(obj->mapping, c << PAGELAB_CHUNK_SHIFT, PAGELAB_CHUNK, false);
		atomic64_inc(&obj->count.huge_splits);
		trace_pagelab_huge_split(obj->id, c << PAGELAB_CHUNK_SHIFT);
	}
}

/**
 * pagelab_huge_vma_copied() - a huge object's VMA was copied: no leaf in its range
 * @vma: the new VMA (fork's copy, or a split or moved part), as ->open sees it
 *
 * fork() copies a leaf from the parent's page tables after reading it with
 * no lock (copy_huge_pmd()), so a split between that read and the copy
 * could leave the child a leaf over frames being freed.  ->open runs
 * before the copy, with the parent's mmap_lock and VMA write-locked: the
 * parent cannot fault a leaf back, so once its leaves of the range are
 * gone here the copy finds none, and the child faults its own.  Every
 * mapping of the range loses its leaves (a VMA split or mremap() calls
 * ->open too): they refault.
 */
void pagelab_huge_vma_copied(struct vm_area_struct *vma)
{
	struct pagelab_object *obj = vma->vm_file->private_data;

	/* Leaves go only under the object's lock (see pagelab_huge_leaf_is()). */
	mutex_lock(&obj->lock);
	unmap_mapping_pages(obj->mapping, vma->vm_pgoff, vma_pages(vma), false);
	mutex_unlock(&obj->lock);
}

/**
 * pagelab_huge_forget() - an object is going: no chunk is intact any more
 * @obj: an object with no mapping and no file left
 */
void pagelab_huge_forget(struct pagelab_object *obj)
{
	if (obj->table.intact)
		bitmap_zero(obj->table.intact, DIV_ROUND_UP(obj->npages, PAGELAB_CHUNK));
}

/**
 * pagelab_huge_check() - a frame-table change at @index: was its chunk split?
 * @obj: the object, its lock held
 * @index: the entry about to change, or whose frame is about to be shared
 *
 * The change itself is unsafe while a PMD leaf may map the chunk (the leaf
 * holds no reference): the chunk is split now, and the caller that forgot
 * to split it before looking at the frame is reported once.
 */
void pagelab_huge_check(struct pagelab_object *obj, pgoff_t index)
{
	WARN_ONCE(1, "pagelab: object %llu page %lu changed in an intact 2 MiB chunk\n",
		  obj->id, (unsigned long)index);
	pagelab_huge_split(obj, index, 1);
}

#if PAGELAB_HAVE_HUGE

/* Does chunk @c of @obj hold no frame?  Under @obj->lock, or a hint. */
static bool pagelab_huge_chunk_empty(struct pagelab_object *obj, pgoff_t c)
{
	pgoff_t index = c << PAGELAB_CHUNK_SHIFT;

	return !pagelab_frame_find(obj, &index, index + PAGELAB_CHUNK - 1, -1);
}

/*
 * Make the 512 pages of @block (order 9, zeroed, not yet split) chunk
 * @c's frames and mark the chunk intact; @obj->lock held, the chunk empty.
 * Returns 0; -ENOSPC (page cap) with @block still whole; -ENOMEM with it
 * freed.
 */
static int pagelab_huge_fill(struct pagelab_object *obj, pgoff_t c, struct page *block)
{
	pgoff_t first = c << PAGELAB_CHUNK_SHIFT;
	unsigned int i;

	lockdep_assert_held(&obj->lock);
	if (atomic64_add_return(PAGELAB_CHUNK, &pagelab_stats.pages_held) >
	    READ_ONCE(pagelab_max_pages)) {
		atomic64_sub(PAGELAB_CHUNK, &pagelab_stats.pages_held);
		return -ENOSPC;
	}
	/* 512 pages of their own before any is seen (a 4 KiB fault may take one). */
	split_page(block, PMD_ORDER);
	for (i = 0; i < PAGELAB_CHUNK; i++)
		set_page_private(block + i, 1);
	/* The first entry may allocate the chunk; the others only store. */
	if (pagelab_frame_set(obj, first, block, GFP_KERNEL_ACCOUNT)) {
		for (i = 0; i < PAGELAB_CHUNK; i++) {
			set_page_private(block + i, 0);
			__free_page(block + i);
		}
		atomic64_sub(PAGELAB_CHUNK, &pagelab_stats.pages_held);
		return -ENOMEM;
	}
	for (i = 1; i < PAGELAB_CHUNK; i++)
		pagelab_frame_set(obj, first + i, block + i, GFP_NOWAIT);
	atomic_long_add(PAGELAB_CHUNK, &obj->resident);
	atomic64_add(PAGELAB_CHUNK, &pagelab_stats.pages_allocated);
	atomic64_add(PAGELAB_CHUNK, &obj->count.allocs);
	set_bit(c, obj->table.intact);
	return 0;
}

/*
 * Does @vmf's PMD hold the leaf of @pfn?  Read under its lock; for a
 * caller holding the object's lock (and mmap_lock or the VMA's lock for
 * reading), the answer holds until it lets go: such a leaf goes only by a
 * split (under the object's lock), by a change to the VMA (munmap,
 * mprotect, mremap: mmap_lock for writing), or by the kernel's split of a
 * leaf whose write fault fell back, which pagelab_huge_fault() never lets
 * happen (it removes the leaf itself, under the lock).
 */
static bool pagelab_huge_leaf_is(struct vm_fault *vmf, unsigned long pfn)
{
	spinlock_t *ptl = pmd_lock(vmf->vma->vm_mm, vmf->pmd);	/* the PMD's lock */
	pmd_t pmd = *vmf->pmd;
	bool ours = pmd_present(pmd) && pmd_trans_huge(pmd) && pmd_pfn(pmd) == pfn;

	spin_unlock(ptl);
	return ours;
}

/*
 * Map chunk @head's 2 MiB at @vmf (writable for a write), @obj->lock held.
 * vmf_insert_pfn_pmd() warns when asked for a writable leaf where the PMD
 * holds anything but that leaf, and a 4 KiB fault of the same mapping
 * that fell back (its own huge fault found the chunk being filled) may
 * install a PTE table there at any moment.  So a new leaf goes in
 * read-only (which leaves a table alone), and only a leaf seen to be ours
 * is made writable.  *@mapped: our leaf is there now (else a table: the
 * access refaults on 4 KiB pages).
 */
static vm_fault_t pagelab_huge_map(struct vm_fault *vmf, struct page *head, bool write,
				   bool *mapped)
{
	unsigned long pfn = page_to_pfn(head);
	vm_fault_t ret = VM_FAULT_NOPAGE;

	if (!pmd_present(vmf->orig_pmd))
		ret = vmf_insert_pfn_pmd(vmf, pfn_to_pfn_t(pfn), false);
	if (ret != VM_FAULT_NOPAGE)
		return ret;
	*mapped = pagelab_huge_leaf_is(vmf, pfn);
	if (*mapped && write)
		ret = vmf_insert_pfn_pmd(vmf, pfn_to_pfn_t(pfn), true);
	return ret;
}

/* The huge fault proper: see pagelab_huge_fault(). */
static vm_fault_t pagelab_huge_fault_handle(struct vm_fault *vmf, struct pagelab_object *obj,
					    bool *alloc, bool *mapped)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & PMD_MASK;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct page *block = NULL, *head;
	vm_fault_t ret = VM_FAULT_FALLBACK;
	pgoff_t first, c;
	int err;

	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end)
		return VM_FAULT_FALLBACK;
	first = vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT);
	if (first & (PAGELAB_CHUNK - 1) || first + PAGELAB_CHUNK > obj->npages)
		return VM_FAULT_FALLBACK;
	c = first >> PAGELAB_CHUNK_SHIFT;
	/* Hints, each checked again under the lock: a budget works by pages. */
	if (pagelab_obj_budgeted(obj))
		return VM_FAULT_FALLBACK;
	if (!test_bit(c, obj->table.intact)) {
		if (!pagelab_huge_chunk_empty(obj, c))
			return VM_FAULT_FALLBACK;
		/* Allocated and zeroed before the lock, as a 4 KiB frame is. */
		if (!pagelab_should_fail(PAGELAB_FAIL_FRAME))
			block = alloc_pages(GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_ZERO |
					    __GFP_NORETRY | __GFP_NOWARN, PMD_ORDER);
		if (!block)
			return VM_FAULT_FALLBACK;
	}
	mutex_lock(&obj->lock);
	if (pagelab_rp_budgeted_locked(obj))
		goto out_unlock;
	if (!test_bit(c, obj->table.intact)) {
		if (!block || !pagelab_huge_chunk_empty(obj, c))
			goto out_unlock;
		err = pagelab_huge_fill(obj, c, block);
		if (err != -ENOSPC)
			block = NULL;	/* frames now, or freed */
		if (err)
			goto out_unlock;
		*alloc = true;
	}
	head = pagelab_frame_at(obj, first);
	/*
	 * A write to a read-only leaf makes it writable; the leaf there can
	 * only be this chunk's (any other went when its chunk split).
	 */
	if (pmd_present(vmf->orig_pmd) && pmd_pfn(vmf->orig_pmd) != page_to_pfn(head))
		goto out_unlock;
	ret = pagelab_huge_map(vmf, head, write, mapped);
	if (*mapped)
		atomic64_inc(&obj->count.huge_maps);
out_unlock:
	mutex_unlock(&obj->lock);
	if (block)
		__free_pages(block, PMD_ORDER);
	return ret;
}

/*
 * A write to a read-only leaf the handler would not make writable (its
 * chunk split, a budget came: hints seen without the lock, or checked
 * under it).  Falling back would have the kernel split the leaf
 * (wp_huge_pmd()) without the object's lock, whatever leaf is there by
 * then; so this mapping's leaf goes here, under the lock, and the write
 * refaults: onto 4 KiB pages, or a leaf again if the chunk is intact.
 */
static vm_fault_t pagelab_huge_drop_leaf(struct vm_fault *vmf, struct pagelab_object *obj)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long start = max(vmf->address & PMD_MASK, vma->vm_start);
	unsigned long end = min((vmf->address & PMD_MASK) + PMD_SIZE, vma->vm_end);

	mutex_lock(&obj->lock);
	zap_vma_ptes(vma, start, end - start);
	mutex_unlock(&obj->lock);
	return VM_FAULT_NOPAGE;
}

/**
 * pagelab_huge_fault() - ->huge_fault of a huge object's mappings
 * @vmf: the fault; mmap_lock or the VMA's lock held
 * @order: the leaf's order: PMD_ORDER (anything else falls back)
 *
 * Maps the aligned 2 MiB around @vmf->address with one PMD leaf when the
 * mapping covers it and the object's chunk there is intact, or empty (its
 * 512 frames are allocated here).  A write to a read-only leaf comes here
 * too, and makes it writable.
 *
 * Return: VM_FAULT_NOPAGE when the leaf is there, VM_FAULT_FALLBACK for
 * the kernel to go on with 4 KiB pages (->fault), or VM_FAULT_OOM.
 */
vm_fault_t pagelab_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct pagelab_object *obj = vmf->vma->vm_file->private_data;
	u64 t0 = trace_pagelab_fault_enabled() ? ktime_get_ns() : 0;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool alloc = false, mapped = false;
	vm_fault_t ret;

	if (order != PMD_ORDER)
		return VM_FAULT_FALLBACK;
	ret = pagelab_huge_fault_handle(vmf, obj, &alloc, &mapped);
	if (ret & VM_FAULT_FALLBACK && pmd_present(vmf->orig_pmd))
		return pagelab_huge_drop_leaf(vmf, obj);
	/* No leaf (a PTE table was there): the refault counts as the fault. */
	if (ret & VM_FAULT_FALLBACK || (ret == VM_FAULT_NOPAGE && !mapped))
		return ret;
	if (pagelab_fault_vma_locked(vmf))
		atomic64_inc(&obj->count.vma_lock_faults);
	atomic64_inc(write ? &obj->count.faults_write : &obj->count.faults_read);
	if (trace_pagelab_fault_enabled())
		trace_pagelab_fault(obj->id, vmf->pgoff, vmf->address, write,
				    alloc ? PAGELAB_FAULT_HUGE_ALLOC : PAGELAB_FAULT_HUGE,
				    t0 ? ktime_get_ns() - t0 : 0);
	return ret;
}

#endif /* PAGELAB_HAVE_HUGE */
