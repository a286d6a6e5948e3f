// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the page-fault side: mmap of an object and its vm_operations.
 *
 * A read of a page the object does not hold maps the kernel's shared zero
 * page as a special PTE; the first write gives the object a zeroed frame.
 * Since 6.10 the kernel refuses the zero page in a shared mapping that may
 * be written (pagelab_zero_page_ok()): there a read gives the page its
 * zeroed frame at once, as shmem does; private mappings and read-only
 * attaches still get the zero page.
 * Frames are returned to the kernel through vmf->page (locked), so the
 * kernel's own code installs the PTE, counts the mapping and, for a
 * MAP_PRIVATE write, makes the private copy.  See object.c for ownership and
 * the lock order.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>

#include "pagelab.h"
#include "trace.h"

static struct pagelab_object *pagelab_vma_obj(struct vm_area_struct *vma)
{
	return vma->vm_file->private_data;
}

static vm_fault_t pagelab_fault_around_late(struct vm_fault *vmf);

/*
 * Does @index read as zeros, for a fault that saw no budget: no frame, and
 * no budget (whose path decides by its store and flags)?  Under @obj->lock,
 * so the answer holds until it is let go: frames arrive, pages go to a
 * store and budgets come only under that lock.  A fault that saw no budget
 * without the lock may find one here.
 */
static bool pagelab_reads_zero(struct pagelab_object *obj, pgoff_t index)
{
	lockdep_assert_held(&obj->lock);
	/*
	 * Exact under the lock: a frame comes and goes with the count in
	 * one hold of it.  No frame at all, none to look up.
	 */
	if (atomic_long_read(&obj->resident) && pagelab_frame_at(obj, index))
		return false;
	/* Under a budget, its path decides (the store, NO_ZERO). */
	return !pagelab_rp_budgeted_locked(obj);
}

/*
 * Install the zero page, read-only and special, at vmf->address in the PTE
 * table the fault's PMD already has, as do_anonymous_page() does for a
 * read: what vmf_insert_mixed() would install, without its walk down from
 * the PGD and its PAT lookup of the frame's cache mode (the zero page is
 * RAM: write-back; pagelab never changes a mapping's cache mode).  The
 * entry the fault saw was empty: no userfaultfd marker can be there, as
 * the kernel registers no userfaultfd on a VM_MIXEDMAP mapping.
 * VM_FAULT_NOPAGE when the entry is there (this one, or a racing fault's);
 * 0 when the PMD holds no PTE table, for vmf_insert_mixed() to allocate
 * one.  The table
 * is reached and locked as pagelab_walk_pte_table() explains (walk.c):
 * pte_offset_map_lock() cannot be linked on 6.12.  Called only where the
 * zero page may be mapped (pagelab_zero_page_ok(): the kernel's own
 * refusal, vm_mixed_ok(), is not asked here).
 */
static vm_fault_t pagelab_set_zero_pte(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address;
	vm_fault_t ret = 0;
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *pte;
	pmd_t pmd;

	VM_WARN_ON_ONCE(!pagelab_zero_page_ok(vma));
	pagelab_pte_table_hold();
	pmd = pagelab_pmdp_get(vmf->pmd);
	if (!pmd_present(pmd) || pmd_trans_huge(pmd) || pmd_bad(pmd))
		goto out_release;
	ptl = pte_lockptr(vma->vm_mm, &pmd);
	pte = pte_offset_kernel(&pmd, addr);
	spin_lock(ptl);
	if (pmd_same(pmd, pagelab_pmdp_get(vmf->pmd))) {
		if (pte_none(ptep_get(pte))) {
			pte_t entry = pfn_pte(my_zero_pfn(addr), vma->vm_page_prot);

			set_pte_at(vma->vm_mm, addr, pte, pte_wrprotect(pte_mkspecial(entry)));
			update_mmu_cache(vma, addr, pte);
		}
		ret = VM_FAULT_NOPAGE;
	}
	spin_unlock(ptl);
out_release:
	pagelab_pte_table_release();
	return ret;
}

/**
 * pagelab_fault_maps_zero() - is the zero page mapped at a fault's address?
 * @vmf: a fault on a pagelab mapping, with its mmap_lock or VMA lock held
 *
 * Read without the PTE table's lock, the table reached as
 * pagelab_set_zero_pte() reaches it: for a caller holding the object's
 * lock, under which pagelab installs every zero-page PTE of the object
 * (the kernel only copies or moves them, by fork or mremap, within the
 * same object), the answer holds until the lock is let go (such a PTE may
 * be zapped meanwhile, never installed).  No PTE table: not mapped.
 *
 * Return: true if @vmf->address maps the shared zero page.
 */
bool pagelab_fault_maps_zero(const struct vm_fault *vmf)
{
	bool zero = false;
	pte_t pte;
	pmd_t pmd;

	pagelab_pte_table_hold();
	pmd = pagelab_pmdp_get(vmf->pmd);
	if (pmd_present(pmd) && !pmd_trans_huge(pmd) && !pmd_bad(pmd)) {
		pte = ptep_get(pte_offset_kernel(&pmd, vmf->address));
		zero = pte_present(pte) && is_zero_pfn(pte_pfn(pte));
	}
	pagelab_pte_table_release();
	return zero;
}

/*
 * Map the zero page for a page that reads as zeros.  Returns 0 if that
 * changed meanwhile (a frame arrived, or a budget that stored the page:
 * the caller looks again), else VM_FAULT_NOPAGE when mapped, or what
 * vmf_insert_mixed() returned.
 */
static vm_fault_t pagelab_map_zero(struct vm_fault *vmf, struct pagelab_object *obj,
				   pgoff_t index)
{
	vm_fault_t ret = 0;

	mutex_lock(&obj->lock);
	if (pagelab_reads_zero(obj, index)) {
		pagelab_obj_zero_mapped(obj);
		ret = pagelab_set_zero_pte(vmf);
		if (!ret)
			ret = vmf_insert_mixed(vmf->vma, vmf->address,
					       pfn_to_pfn_t(my_zero_pfn(vmf->address)));
	}
	mutex_unlock(&obj->lock);
	if (ret == VM_FAULT_NOPAGE)
		atomic64_inc(&obj->count.zero_maps);
	return ret;
}

/* A fault past the object's end (a mapping mremap()ed larger): SIGBUS. */
static bool pagelab_past_end(struct pagelab_object *obj, pgoff_t index)
{
	if (likely(index < obj->npages))
		return false;
	atomic64_inc(&obj->count.sigbus);
	return true;
}

/* The outcome of a failed frame allocation or zero-page insertion. */
static int pagelab_error_outcome(vm_fault_t ret)
{
	return ret & VM_FAULT_OOM ? PAGELAB_FAULT_OOM : PAGELAB_FAULT_SIGBUS;
}

/*
 * Break the sharing of the frame at vmf->pgoff for @obj (see
 * pagelab_obj_cow_break()) and report it.  *@pagep: the frame now there,
 * locked and referenced, or NULL if there is none any more.
 */
static vm_fault_t pagelab_cow(struct vm_fault *vmf, struct pagelab_object *obj, bool mkwrite,
			      struct page **pagep)
{
	vm_fault_t ret;
	bool copied;

	/* page_mkwrite's caller holds a reference to the frame it saw. */
	ret = pagelab_obj_cow_break(obj, vmf->pgoff, mkwrite ? vmf->page : NULL, !mkwrite, pagep,
				    &copied);
	if (!ret && *pagep)
		trace_pagelab_cow(obj->id, vmf->pgoff, vmf->address, mkwrite, copied);
	return ret;
}

static vm_fault_t pagelab_fault_handle(struct vm_fault *vmf, struct pagelab_object *obj,
				       int *outcome)
{
	struct vm_area_struct *vma = vmf->vma;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool zero_ok = !write && pagelab_zero_page_ok(vma);
	pgoff_t index = vmf->pgoff;
	struct page *page;
	vm_fault_t ret;
	bool fresh;

	*outcome = PAGELAB_FAULT_SIGBUS;
	if (pagelab_past_end(obj, index))
		return VM_FAULT_SIGBUS;
	if (pagelab_fault_around_late(vmf) == VM_FAULT_NOPAGE) {
		/* A resident frame: mapped with its neighbours, counted there. */
		*outcome = PAGELAB_FAULT_AROUND;
		return VM_FAULT_NOPAGE;
	}
	atomic64_inc(write ? &obj->count.faults_write : &obj->count.faults_read);
	if (write && !(vma->vm_flags & VM_SHARED))
		atomic64_inc(&obj->count.private_cow);

	for (;;) {
		/* Seen without the lock; every path below checks again under it. */
		if (pagelab_obj_budgeted(obj)) {
			bool handled;

			ret = pagelab_rp_fault(vmf, obj, outcome, &handled);
			if (handled)
				return ret;
		}
		/*
		 * An object with no frame at all has none to look up.  A hint:
		 * each path below looks again under the lock, and a frame
		 * found there sends the fault round again (a write's is
		 * returned as found, and ->page_mkwrite breaks its sharing).
		 */
		page = atomic_long_read(&obj->resident) ? pagelab_obj_get_page(obj, index) : NULL;
		if (page) {
			if (!pagelab_obj_lock_frame(obj, index, page))
				continue;
			if (write && vma->vm_flags & VM_SHARED &&
			    !pagelab_cow_in_place(obj, index, page, 1)) {
				/* A shared frame: this object gets its own copy first. */
				unlock_page(page);
				put_page(page);
				ret = pagelab_cow(vmf, obj, false, &page);
				if (ret) {
					*outcome = pagelab_error_outcome(ret);
					return ret;
				}
				if (!page)
					continue;
				*outcome = PAGELAB_FAULT_COW;
				vmf->page = page;
				return VM_FAULT_LOCKED;
			}
			atomic64_inc(&obj->count.existing);
			*outcome = PAGELAB_FAULT_EXISTING;
			vmf->page = page;
			return VM_FAULT_LOCKED;
		}
		if (zero_ok) {
			ret = pagelab_map_zero(vmf, obj, index);
			if (!ret)
				continue;
			*outcome = ret == VM_FAULT_NOPAGE ? PAGELAB_FAULT_ZERO :
				   pagelab_error_outcome(ret);
			return ret;
		}
		if (write && !(vma->vm_flags & VM_SHARED)) {
			bool zero;

			/*
			 * A private write to a page that reads as zeros: the
			 * kernel copies from the zero page into the process's
			 * own page; the object stays without one.
			 */
			mutex_lock(&obj->lock);
			zero = pagelab_reads_zero(obj, index);
			mutex_unlock(&obj->lock);
			if (!zero)
				continue;
			page = ZERO_PAGE(vmf->address);
			get_page(page);
			vmf->page = page;
			*outcome = PAGELAB_FAULT_COW_ZERO;
			return 0;
		}
		ret = pagelab_obj_alloc_page(obj, index, vmf, &page, &fresh);
		if (ret == VM_FAULT_NOPAGE) {
			*outcome = PAGELAB_FAULT_EXISTING;	/* a budget came: refault */
			return ret;
		}
		if (ret) {
			*outcome = pagelab_error_outcome(ret);
			return ret;
		}
		*outcome = fresh ? PAGELAB_FAULT_ALLOC : PAGELAB_FAULT_EXISTING;
		if (!fresh)
			atomic64_inc(&obj->count.existing);
		vmf->page = page;
		return VM_FAULT_LOCKED;
	}
}

/*
 * The fault handler proper, around pagelab_fault_handle(): with the
 * tracepoint enabled, it times the handler and reports what it did.
 */
static vm_fault_t pagelab_fault(struct vm_fault *vmf)
{
	struct pagelab_object *obj = pagelab_vma_obj(vmf->vma);
	u64 t0 = trace_pagelab_fault_enabled() ? ktime_get_ns() : 0;
	u64 id = obj->id;
	vm_fault_t ret;
	int outcome;

	if (pagelab_fault_vma_locked(vmf))
		atomic64_inc(&obj->count.vma_lock_faults);
	ret = pagelab_fault_handle(vmf, obj, &outcome);
	/*
	 * The kernel's rule (mm_account_fault): a fault that completes after
	 * a retry is major.  After VM_FAULT_RETRY mmap_lock is gone, and with
	 * it maybe the object: only @id is used then.
	 */
	if (!(ret & (VM_FAULT_ERROR | VM_FAULT_RETRY)) &&
	    (ret & VM_FAULT_MAJOR || vmf->flags & FAULT_FLAG_TRIED))
		atomic64_inc(&obj->count.major);
	if (trace_pagelab_fault_enabled())
		trace_pagelab_fault(id, vmf->pgoff, vmf->address,
				    vmf->flags & FAULT_FLAG_WRITE, outcome,
				    t0 ? ktime_get_ns() - t0 : 0);
	return ret;
}

/*
 * A write to a zero-page PTE in a shared mapping.  Give the page a frame;
 * allocating it removes the zero-page PTE from every mapper, this one too,
 * so the access faults again and maps the frame.  Never return 0 here: the
 * kernel would then make the global zero page writable (wp_pfn_shared).
 */
static vm_fault_t pagelab_pfn_mkwrite(struct vm_fault *vmf)
{
	struct pagelab_object *obj = pagelab_vma_obj(vmf->vma);
	u64 t0 = trace_pagelab_fault_enabled() ? ktime_get_ns() : 0;
	int outcome = PAGELAB_FAULT_MKWRITE;
	pgoff_t index = vmf->pgoff;
	struct page *page;
	vm_fault_t ret;
	bool fresh;

	if (pagelab_past_end(obj, index)) {
		ret = VM_FAULT_SIGBUS;
		outcome = PAGELAB_FAULT_SIGBUS;
		goto out;
	}
	atomic64_inc(&obj->count.faults_write);
	atomic64_inc(&obj->count.mkwrite);
	if (pagelab_obj_budgeted(obj)) {
		ret = pagelab_rp_mkwrite(obj, index);
		if (ret) {
			if (ret != VM_FAULT_NOPAGE)
				outcome = pagelab_error_outcome(ret);
			goto out;
		}
	}
	ret = pagelab_obj_alloc_page(obj, index, vmf, &page, &fresh);
	if (ret) {
		if (ret != VM_FAULT_NOPAGE)
			outcome = pagelab_error_outcome(ret);
		goto out;
	}
	unlock_page(page);
	put_page(page);
	ret = VM_FAULT_NOPAGE;
out:
	if (trace_pagelab_fault_enabled())
		trace_pagelab_fault(obj->id, index, vmf->address, true, outcome,
				    t0 ? ktime_get_ns() - t0 : 0);
	return ret;
}

/*
 * Remove @index's PTEs from every mapper, under @obj's lock: in a huge
 * object the page may lie under another mapping's 2 MiB leaf, which may
 * only go under that lock (huge.c: pagelab_huge_map() counts on the leaf
 * it found staying while it holds the lock).
 */
static void pagelab_unmap_locked(struct pagelab_object *obj, pgoff_t index)
{
	mutex_lock(&obj->lock);
	unmap_mapping_pages(obj->mapping, index, 1, false);
	mutex_unlock(&obj->lock);
}

/*
 * A write to a read-only PTE of one of the object's frames, in a shared
 * mapping (VMAs of objects want write notification, so every PTE of a
 * shared mapping starts read-only), and, for a write fault that just
 * mapped a frame, the kernel's check before it maps it writable.  The
 * object's own frame becomes writable (VM_FAULT_LOCKED); a shared frame
 * (or one that was, with a pin on it: pagelab_cow_in_place()) is copied for
 * this object, which removes this PTE with the rest, and the
 * access refaults onto the copy (VM_FAULT_NOPAGE).
 */
static vm_fault_t pagelab_page_mkwrite(struct vm_fault *vmf)
{
	struct pagelab_object *obj = pagelab_vma_obj(vmf->vma);
	u64 t0 = trace_pagelab_fault_enabled() ? ktime_get_ns() : 0;
	/* A present PTE: a fault of its own (not the tail of one that mapped it). */
	bool own = pte_present(vmf->orig_pte);
	struct page *page = vmf->page, *now;
	int outcome = PAGELAB_FAULT_WP;
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret;

	if (own)
		atomic64_inc(&obj->count.faults_write);
	lock_page(page);
	if (pagelab_frame_at(obj, index) != page) {
		/*
		 * The frame left (COW break, merge, eviction).  Its remover
		 * unmapped it, but make sure no PTE of it stays here: the
		 * kernel would call this again for it forever.
		 */
		unlock_page(page);
		pagelab_unmap_locked(obj, index);
		ret = VM_FAULT_NOPAGE;
		goto out;
	}
	if (pagelab_cow_in_place(obj, index, page, 1)) {
		if (pagelab_obj_budgeted(obj))
			pagelab_frame_set_mark(obj, index, PAGELAB_MARK_DIRTY);
		ret = VM_FAULT_LOCKED;
		goto out;
	}
	unlock_page(page);
	ret = pagelab_cow(vmf, obj, true, &now);
	if (ret) {
		outcome = pagelab_error_outcome(ret);
		goto out;
	}
	if (now == page) {
		/* The other holders let go: the frame is ours, still mapped here. */
		if (pagelab_obj_budgeted(obj))
			pagelab_frame_set_mark(obj, index, PAGELAB_MARK_DIRTY);
		put_page(now);
		ret = VM_FAULT_LOCKED;
		goto out;
	}
	if (now) {
		unlock_page(now);
		put_page(now);
	} else {
		/* No frame to break (gone, or being written out): refault afresh. */
		pagelab_unmap_locked(obj, index);
	}
	outcome = PAGELAB_FAULT_COW;
	ret = VM_FAULT_NOPAGE;
out:
	if (trace_pagelab_fault_enabled() && (own || outcome != PAGELAB_FAULT_WP))
		trace_pagelab_fault(obj->id, index, vmf->address, true, outcome,
				    t0 ? ktime_get_ns() - t0 : 0);
	return ret;
}

/*
 * Fault-around for read faults: map the resident frames near the fault
 * (within the kernel's window, narrowed by the object's), the way
 * filemap_map_pages does for page-cache files.
 */
/*
 * Map one fault-around candidate if it is still the object's frame there.
 * Returns VM_FAULT_NOPAGE if it mapped it.
 */
static vm_fault_t pagelab_map_one(struct vm_fault *vmf, struct pagelab_object *obj,
				  pgoff_t index, struct page *page)
{
	unsigned long addr = vmf->address + ((index - vmf->pgoff) << PAGE_SHIFT);
	vm_fault_t ret = 0;

	if (!trylock_page(page))
		return 0;
	if (pagelab_frame_at(obj, index) == page &&
	    !pagelab_frame_mark(obj, index, PAGELAB_MARK_WRITEBACK) &&
	    !vm_insert_page(vmf->vma, addr, page)) {
		if (index == vmf->pgoff) {
			atomic64_inc(&obj->count.faults_read);
			atomic64_inc(&obj->count.existing);
		} else {
			atomic64_inc(&obj->count.fault_around);
		}
		ret = VM_FAULT_NOPAGE;
	}
	unlock_page(page);
	return ret;
}

/*
 * Map the object's resident frames at pages @lo..@hi of the fault's VMA.
 * VM_FAULT_NOPAGE if that mapped the faulting page itself; @late: called
 * by ->fault, which traces the fault itself.
 */
static vm_fault_t pagelab_map_window(struct vm_fault *vmf, struct pagelab_object *obj,
				     pgoff_t lo, pgoff_t hi, bool late)
{
	unsigned int neighbours = 0;
	vm_fault_t ret = 0;
	struct page *page;
	pgoff_t next;

	/*
	 * Present entries only, an empty chunk skipped at once.  Each frame
	 * is referenced before pagelab_map_one() locks it and checks that it
	 * is still there.
	 */
	for (next = lo; next <= hi; next++) {
		page = pagelab_frame_find(obj, &next, hi, -1);
		if (!page)
			break;
		if (!get_page_unless_zero(page))
			continue;
		if (pagelab_map_one(vmf, obj, next, page)) {
			/* The faulting page itself: the fault is done. */
			if (next == vmf->pgoff)
				ret = VM_FAULT_NOPAGE;
			else
				neighbours++;
		}
		put_page(page);
	}
	if (neighbours || ret)
		trace_pagelab_fault_around(obj->id, vmf->pgoff, neighbours, ret == VM_FAULT_NOPAGE);
	if (ret && !late && trace_pagelab_fault_enabled())
		trace_pagelab_fault(obj->id, vmf->pgoff, vmf->address, false, PAGELAB_FAULT_AROUND,
				    0);
	return ret;
}

/*
 * Map the object's resident frames at pages @start..@end of the fault's
 * VMA, within the object's window around the fault: pagelab_map_window().
 */
static vm_fault_t pagelab_map_around(struct vm_fault *vmf, pgoff_t start, pgoff_t end,
				     bool late)
{
	struct pagelab_object *obj = pagelab_vma_obj(vmf->vma);
	unsigned int window = obj->fault_around;
	pgoff_t lo;

	/*
	 * A budget sees every reference as a fault of its own.  An object
	 * with no frame has none to map (a hint: a frame arriving now is
	 * found by the fault itself).
	 */
	if (!window || pagelab_obj_budgeted(obj) || !atomic_long_read(&obj->resident))
		return 0;
	lo = max(start, round_down(vmf->pgoff, window));
	return pagelab_map_window(vmf, obj, lo, min3(end, lo + window - 1, obj->npages - 1), late);
}

/*
 * A read fault on an object that holds no frame, answered from ->map_pages
 * before the kernel calls ->fault: the zero page, mapped under the
 * object's lock exactly as pagelab_map_zero() maps it, without sleeping
 * (the kernel may call this under rcu_read_lock()).  A contended lock, a
 * budget, or a page that no longer reads as zeros is left to ->fault.
 * VM_FAULT_NOPAGE if the fault is done (counted and traced here), else 0.
 */
static vm_fault_t pagelab_map_zero_early(struct vm_fault *vmf, struct pagelab_object *obj)
{
	u64 t0 = trace_pagelab_fault_enabled() ? ktime_get_ns() : 0;
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret = 0;

	/* A retried fault is a major one: ->fault counts it so. */
	if (vmf->flags & FAULT_FLAG_TRIED || index >= obj->npages ||
	    !pagelab_zero_page_ok(vmf->vma) || pagelab_obj_budgeted(obj) ||
	    !mutex_trylock(&obj->lock))
		return 0;
	if (pagelab_reads_zero(obj, index)) {
		pagelab_obj_zero_mapped(obj);
		ret = pagelab_set_zero_pte(vmf);
	}
	mutex_unlock(&obj->lock);
	if (ret != VM_FAULT_NOPAGE)
		return 0;
	if (pagelab_fault_vma_locked(vmf))
		atomic64_inc(&obj->count.vma_lock_faults);
	atomic64_inc(&obj->count.faults_read);
	atomic64_inc(&obj->count.zero_maps);
	if (trace_pagelab_fault_enabled())
		trace_pagelab_fault(obj->id, index, vmf->address, false, PAGELAB_FAULT_ZERO,
				    t0 ? ktime_get_ns() - t0 : 0);
	return VM_FAULT_NOPAGE;
}

/*
 * ->map_pages: fault-around, called before ->fault for a read fault.
 * The kernel may call it under rcu_read_lock() (since 6.x, and with only
 * the VMA's lock held), where nothing may sleep; vm_insert_page() would
 * sleep allocating the PTE table where the PMD has none.  So it maps only
 * into an existing table; on a fresh PMD, ->fault does the same
 * fault-around itself (pagelab_fault_around_late()).  Both kernels alike.
 * An object with no frame has nothing to map around, and the fault itself
 * can only map the zero page: that is done here, sparing the kernel's
 * call of ->fault.
 */
static vm_fault_t pagelab_map_pages(struct vm_fault *vmf, pgoff_t start, pgoff_t end)
{
	struct pagelab_object *obj = pagelab_vma_obj(vmf->vma);

	if (pmd_none(pagelab_pmdp_get(vmf->pmd)))
		return 0;
	if (!atomic_long_read(&obj->resident))
		return pagelab_map_zero_early(vmf, obj);
	return pagelab_map_around(vmf, start, end, false);
}

/*
 * Fault-around from ->fault, where ->map_pages could not (no PTE table
 * yet): the object's window around the fault, clamped to the PTE table
 * and to the VMA as the kernel clamps its own.  The first
 * vm_insert_page() allocates the table, which may sleep here.
 */
static vm_fault_t pagelab_fault_around_late(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	pgoff_t pte_off = pte_index(vmf->address);
	pgoff_t vma_off = vmf->pgoff - vma->vm_pgoff;
	pgoff_t from = pte_off - min(pte_off, vma_off);
	pgoff_t to = min_t(pgoff_t, PTRS_PER_PTE, pte_off + vma_pages(vma) - vma_off) - 1;

	if (vmf->flags & FAULT_FLAG_WRITE || !pmd_none(pagelab_pmdp_get(vmf->pmd)))
		return 0;
	return pagelab_map_around(vmf, vmf->pgoff - (pte_off - from),
				  vmf->pgoff + (to - pte_off), true);
}

static void pagelab_vm_open(struct vm_area_struct *vma)
{
	atomic_long_inc(&pagelab_vma_obj(vma)->mappers);
}

static void pagelab_vm_close(struct vm_area_struct *vma)
{
	atomic_long_dec(&pagelab_vma_obj(vma)->mappers);
}

static const struct vm_operations_struct pagelab_vm_ops = {
	.open = pagelab_vm_open,
	.close = pagelab_vm_close,
	.fault = pagelab_fault,
	.map_pages = pagelab_map_pages,
	.page_mkwrite = pagelab_page_mkwrite,
	.pfn_mkwrite = pagelab_pfn_mkwrite,
};

#if PAGELAB_HAVE_HUGE
/* A huge object's VMA copied (fork, a split, mremap): see pagelab_huge_vma_copied(). */
static void pagelab_huge_vm_open(struct vm_area_struct *vma)
{
	pagelab_huge_vma_copied(vma);
	pagelab_vm_open(vma);
}

/*
 * A huge object's mappings (huge.c): ->huge_fault first, the same 4 KiB
 * path after.  ->map_pages maps nothing there (the object's window is 0,
 * and pagelab_zero_page_ok() refuses VM_PFNMAP), but without one the
 * kernel would retry every 4 KiB fault under mmap_lock
 * (vmf_can_call_fault()).
 */
static const struct vm_operations_struct pagelab_huge_vm_ops = {
	.open = pagelab_huge_vm_open,
	.close = pagelab_vm_close,
	.huge_fault = pagelab_huge_fault,
	.fault = pagelab_fault,
	.map_pages = pagelab_map_pages,
	.page_mkwrite = pagelab_page_mkwrite,
	.pfn_mkwrite = pagelab_pfn_mkwrite,
};
#endif

/**
 * pagelab_obj_mmap() - mmap of an object fd
 * @file: the object's file
 * @vma: the new mapping; vm_pgoff is the first page index
 *
 * Nothing is allocated here: every page comes at its first fault.  A huge
 * object's mapping is VM_PFNMAP, which may not be copy-on-write (see
 * huge.c).
 *
 * Return: 0, or -EINVAL if the mapping reaches past the object's end or
 * is a private writable mapping of a huge object.
 */
int pagelab_obj_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct pagelab_object *obj = file->private_data;
	unsigned long end;

	if (check_add_overflow(vma->vm_pgoff, vma_pages(vma), &end) || end > obj->npages)
		return -EINVAL;
#if PAGELAB_HAVE_HUGE
	if (obj->flags & PAGELAB_CREATE_HUGE) {
		if (is_cow_mapping(vma->vm_flags))
			return -EINVAL;
		pagelab_vm_flags_set(vma, VM_PFNMAP);
		vma->vm_ops = &pagelab_huge_vm_ops;
		pagelab_vm_open(vma);
		return 0;
	}
#endif
	/* Module-owned frames are inserted with vm_insert_page() by fault-around. */
	pagelab_vm_flags_set(vma, VM_MIXEDMAP);
	vma->vm_ops = &pagelab_vm_ops;
	pagelab_vm_open(vma);
	return 0;
}
