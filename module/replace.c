// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - page replacement: frame budgets, policies, the page store.
 *
 * An object given a budget (PAGELAB_IOC_REPLACE) holds at most that many
 * frames, numbered as slots 0..budget-1.  Every fault on it takes the
 * object's lock and goes through pagelab_rp_fault(): a reference to a page
 * with a frame is a hit; otherwise the page takes a free slot, or the
 * policy's victim's, whose page is unmapped from every process, written to
 * the store if it was written since it was last stored (else dropped), and
 * whose frame is then reused.  A page found in the store is read back: a
 * major fault (VM_FAULT_MAJOR, so majflt counts it).
 *
 * References the module sees are faults.  In exact mode only the page
 * referenced last stays mapped, so every reference to another page faults;
 * an access spanning two adjacent pages would then fault forever, so when
 * the same task alternates between two adjacent pages with no progress
 * (the lower one at its last bytes, or from kernel mode, as a copy to or
 * from user memory does) both stay mapped and the fault counts as inexact.
 * Otherwise (default mode) the reference bit is a software one: the CLOCK
 * hand removes the PTEs of a page whose bit it clears, so the next access
 * faults and sets it again, as on hardware without accessed bits.  This
 * module does that rather than read and clear PTE accessed bits through
 * i_mmap and each mapper's page tables: it sees every mapper's references
 * the same way, needs no unexported rmap code, and costs a minor fault per
 * page per hand pass, which is what the teaching runs want to show anyway.
 *
 * Dirty tracking: a budgeted page is marked dirty (PAGELAB_XA_DIRTY) when
 * a write maps it writable: a write fault, or ->page_mkwrite on its
 * read-only PTE (every PTE of a shared mapping starts read-only).  An
 * eviction writes back only dirty pages or pages the store lacks.
 *
 * Locking: everything here runs under pagelab_object.lock, which the
 * budgeted fault path takes for the whole fault; the victim's page lock is
 * only ever tried (the faulting page is not locked yet at that point).
 * Frames shared with another object (a budget on a clone) count in full
 * toward the budget; evicting one stores this object's copy and lets go of
 * the frame, which the other holders keep.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/ptrace.h>

#include "compat.h"
#include "pagelab.h"
#include "trace.h"

unsigned long pagelab_max_store_pages = 262144;
module_param_named(max_store_pages, pagelab_max_store_pages, ulong, 0644);
MODULE_PARM_DESC(max_store_pages, "Cap on pages in the page store, module-wide (default 262144 = 1 GiB)");

#define PAGELAB_NO_PAGE		ULONG_MAX

static const char *const pagelab_ev_names[] = {
	[PAGELAB_EV_HIT] = "hit",
	[PAGELAB_EV_MISS] = "miss",
	[PAGELAB_EV_PAGEIN] = "pagein",
	[PAGELAB_EV_ZERO] = "zero",
};

/**
 * pagelab_rp_pick() - the slot whose page the policy gives up next
 * @rp: the replacer
 * @skip: slots not to choose (bitmap of @rp->budget bits), or NULL; free
 *        slots are never chosen either
 *
 * CLOCK moves the hand and clears the reference bits it passes; the pages
 * whose bit it cleared are listed in @rp->cleared (@rp->ncleared), for the
 * caller to unmap.  Pure bookkeeping otherwise: no page is touched.
 *
 * Return: a slot, or -1 when every slot is skipped.
 */
int pagelab_rp_pick(struct pagelab_replacer *rp, const unsigned long *skip)
{
	unsigned int s, best = UINT_MAX, tries;
	struct pagelab_rp_page *a, *b;

	rp->ncleared = 0;
	switch (rp->policy) {
	case PAGELAB_POLICY_CLOCK:
		/* Two turns clear every bit; a third finds a clear one. */
		for (tries = 0; tries < 3 * rp->budget; tries++) {
			s = rp->hand;
			rp->hand = (rp->hand + 1) % rp->budget;
			if ((skip && test_bit(s, skip)) || rp->slots[s] == PAGELAB_NO_PAGE)
				continue;
			a = &rp->pg[rp->slots[s]];
			if (!a->ref)
				return s;
			a->ref = false;
			rp->cleared[rp->ncleared++] = rp->slots[s];
		}
		return -1;
	case PAGELAB_POLICY_RANDOM:
		for (tries = 0; tries < 4 * rp->budget; tries++) {
			s = prandom_u32_state(&rp->rnd) % rp->budget;
			if ((!skip || !test_bit(s, skip)) && rp->slots[s] != PAGELAB_NO_PAGE)
				return s;
		}
		return -1;
	}
	for (s = 0; s < rp->budget; s++) {
		if ((skip && test_bit(s, skip)) || rp->slots[s] == PAGELAB_NO_PAGE)
			continue;
		if (best == UINT_MAX) {
			best = s;
			continue;
		}
		a = &rp->pg[rp->slots[s]];
		b = &rp->pg[rp->slots[best]];
		switch (rp->policy) {
		case PAGELAB_POLICY_FIFO:
			if (a->loaded < b->loaded)
				best = s;
			break;
		case PAGELAB_POLICY_LRU:
			if (a->last_ref < b->last_ref)
				best = s;
			break;
		case PAGELAB_POLICY_LFU:
			if (a->refs < b->refs || (a->refs == b->refs && a->loaded < b->loaded))
				best = s;
			break;
		}
	}
	return best == UINT_MAX ? -1 : best;
}
EXPORT_SYMBOL_NS_GPL(pagelab_rp_pick, PAGELAB_KUNIT);

/**
 * pagelab_rp_load_slot() - book page @index into slot @s, loaded now
 * @rp: the replacer
 * @s: a free slot
 * @index: the page
 */
void pagelab_rp_load_slot(struct pagelab_replacer *rp, unsigned int s, pgoff_t index)
{
	struct pagelab_rp_page *p = &rp->pg[index];

	rp->tick++;
	rp->slots[s] = index;
	p->slot = s;
	p->loaded = rp->tick;
	p->last_ref = rp->tick;
	p->refs = 1;
	p->ref = true;
}
EXPORT_SYMBOL_NS_GPL(pagelab_rp_load_slot, PAGELAB_KUNIT);

/**
 * pagelab_rp_touch() - a reference seen to page @index, which has a frame
 * @rp: the replacer
 * @index: the page
 */
void pagelab_rp_touch(struct pagelab_replacer *rp, pgoff_t index)
{
	struct pagelab_rp_page *p = &rp->pg[index];

	rp->tick++;
	p->last_ref = rp->tick;
	p->refs++;
	p->ref = true;
}
EXPORT_SYMBOL_NS_GPL(pagelab_rp_touch, PAGELAB_KUNIT);

/**
 * pagelab_rp_alloc() - a replacer for an object of @npages pages
 * @npages: the object's size
 *
 * Return: the replacer (no budget yet) or NULL.
 */
struct pagelab_replacer *pagelab_rp_alloc(pgoff_t npages)
{
	struct pagelab_replacer *rp = kzalloc(sizeof(*rp), GFP_KERNEL_ACCOUNT);

	if (!rp)
		return NULL;
	rp->pg = kvcalloc(npages, sizeof(*rp->pg), GFP_KERNEL_ACCOUNT);
	rp->slots = kvcalloc(npages, sizeof(*rp->slots), GFP_KERNEL_ACCOUNT);
	rp->cleared = kvcalloc(npages, sizeof(*rp->cleared), GFP_KERNEL_ACCOUNT);
	rp->skip = bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	if (!rp->pg || !rp->slots || !rp->cleared || !rp->skip) {
		pagelab_rp_free(rp);
		return NULL;
	}
	rp->npages = npages;
	rp->last = PAGELAB_NO_PAGE;
	xa_init(&rp->store);
	return rp;
}
EXPORT_SYMBOL_NS_GPL(pagelab_rp_alloc, PAGELAB_KUNIT);

/**
 * pagelab_rp_free() - free a replacer and its store
 * @rp: the replacer, or NULL
 */
void pagelab_rp_free(struct pagelab_replacer *rp)
{
	struct page *page;
	unsigned long index;

	if (!rp)
		return;
	xa_for_each(&rp->store, index, page) {
		__free_page(page);
		atomic64_dec(&pagelab_stats.store_pages);
	}
	xa_destroy(&rp->store);
	bitmap_free(rp->skip);
	kvfree(rp->cleared);
	kvfree(rp->slots);
	kvfree(rp->pg);
	kfree(rp);
}
EXPORT_SYMBOL_NS_GPL(pagelab_rp_free, PAGELAB_KUNIT);

static void pagelab_rp_event(struct pagelab_object *obj, struct pagelab_replacer *rp,
			     int result, pgoff_t page, int slot, pgoff_t victim, int wb)
{
	struct pagelab_event *ev;

	rp->ev_seq++;
	ev = &rp->ev[rp->ev_seq % PAGELAB_EVENTS];
	ev->seq = rp->ev_seq;
	ev->result = result;
	ev->page = page;
	ev->slot = slot;
	ev->victim = victim;
	ev->wb = wb;
	trace_pagelab_replace(obj->id, page, pagelab_ev_names[result], slot,
			      victim == PAGELAB_NO_PAGE ? -1L : (long)victim, wb, rp->policy);
}

/* Store @page's contents as @index's copy.  0, or -ENOSPC (store full) / -ENOMEM. */
static int pagelab_rp_store(struct pagelab_object *obj, struct pagelab_replacer *rp,
			    pgoff_t index, struct page *page)
{
	struct page *copy = xa_load(&rp->store, index);

	if (!copy) {
		if (atomic64_inc_return(&pagelab_stats.store_pages) >
		    READ_ONCE(pagelab_max_store_pages)) {
			atomic64_dec(&pagelab_stats.store_pages);
			return -ENOSPC;
		}
		copy = pagelab_should_fail(PAGELAB_FAIL_STORE) ? NULL :
		       alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
		if (!copy) {
			atomic64_dec(&pagelab_stats.store_pages);
			return -ENOMEM;
		}
		if (xa_err(xa_store(&rp->store, index, copy, GFP_KERNEL_ACCOUNT))) {
			__free_page(copy);
			atomic64_dec(&pagelab_stats.store_pages);
			return -ENOMEM;
		}
		atomic_long_inc(&obj->store_pages);
	}
	copy_highpage(copy, page);
	return 0;
}

/*
 * Evict the policy's victim.  Returns its slot (now free) and, in *@reuse,
 * its frame, locked and with the entry's reference, when nobody else holds
 * it; or a negative errno: -ENOSPC when no victim could be written back
 * (store full), -EBUSY when every frame is pinned or locked.
 */
static int pagelab_rp_evict(struct pagelab_object *obj, struct pagelab_replacer *rp,
			    struct page **reuse, pgoff_t *victim, int *wb)
{
	int s, err = -EBUSY;
	unsigned int i;
	struct page *page;
	pgoff_t v;
	bool dirty;

	*reuse = NULL;
	bitmap_zero(rp->skip, rp->budget);
	for (;;) {
		s = pagelab_rp_pick(rp, rp->skip);
		/* Software reference bits: cleared pages fault on their next access. */
		for (i = 0; i < rp->ncleared; i++)
			unmap_mapping_pages(obj->mapping, rp->cleared[i], 1, false);
		if (s < 0)
			return err;
		v = rp->slots[s];
		page = xa_load(&obj->pages, v);
		if (WARN_ON_ONCE(!page) || !trylock_page(page)) {
			__set_bit(s, rp->skip);
			continue;
		}
		unmap_mapping_pages(obj->mapping, v, 1, false);
		/* A GUP pin may still write it: such a frame stays. */
		if (pagelab_frame_pinned(page, 0)) {
			unlock_page(page);
			__set_bit(s, rp->skip);
			continue;
		}
		dirty = xa_get_mark(&obj->pages, v, PAGELAB_XA_DIRTY) || !xa_load(&rp->store, v);
		if (dirty) {
			err = pagelab_rp_store(obj, rp, v, page);
			if (err) {
				unlock_page(page);
				__set_bit(s, rp->skip);
				continue;
			}
			atomic64_inc(&obj->count.writebacks);
		} else {
			atomic64_inc(&obj->count.clean_drops);
		}
		xa_erase(&obj->pages, v);
		atomic_long_dec(&obj->resident);
		atomic64_inc(&obj->count.evictions);
		rp->pg[v].slot = -1;
		rp->slots[s] = PAGELAB_NO_PAGE;
		rp->used--;
		*victim = v;
		*wb = dirty;
		if (page_private(page) == 1) {
			*reuse = page;
			return s;
		}
		/* Another object holds the frame too: it keeps it. */
		set_page_private(page, page_private(page) - 1);
		unlock_page(page);
		put_page(page);
		return s;
	}
}

/* The lowest free slot, or -1. */
static int pagelab_rp_free_slot(struct pagelab_replacer *rp)
{
	unsigned int s;

	if (rp->used >= rp->budget)
		return -1;
	for (s = 0; s < rp->budget; s++)
		if (rp->slots[s] == PAGELAB_NO_PAGE)
			return s;
	return -1;
}

/*
 * Give page @index a frame under the budget: a free slot or the victim's.
 * Fills it from the store (a page-in: *@major) or with zeros.  Returns 0
 * with *@pagep locked and referenced (for the caller), or a fault code.
 */
static vm_fault_t pagelab_rp_load(struct pagelab_object *obj, struct pagelab_replacer *rp,
				  pgoff_t index, struct page **pagep, bool *major)
{
	pgoff_t victim = PAGELAB_NO_PAGE;
	struct page *page = NULL, *copy;
	int s, wb = -1;

	*major = false;
	s = pagelab_rp_free_slot(rp);
	if (s < 0) {
		s = pagelab_rp_evict(obj, rp, &page, &victim, &wb);
		if (s < 0) {
			atomic64_inc(&obj->count.sigbus);
			return VM_FAULT_SIGBUS;
		}
	}
	if (!page) {
		/* No frame to reuse (a free slot, or the victim's is shared). */
		if (atomic64_inc_return(&pagelab_stats.pages_held) > READ_ONCE(pagelab_max_pages)) {
			atomic64_dec(&pagelab_stats.pages_held);
			atomic64_inc(&obj->count.sigbus);
			return VM_FAULT_SIGBUS;
		}
		page = pagelab_should_fail(PAGELAB_FAIL_FRAME) ? NULL :
		       alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
		if (!page) {
			atomic64_dec(&pagelab_stats.pages_held);
			return VM_FAULT_OOM;
		}
		__folio_set_locked(page_folio(page));
		atomic64_inc(&pagelab_stats.pages_allocated);
		atomic64_inc(&obj->count.allocs);
	}
	/* Here @page is locked and its one reference is the entry's-to-be. */
	copy = xa_load(&rp->store, index);
	if (copy) {
		copy_highpage(page, copy);
		*major = true;
		atomic64_inc(&obj->count.page_ins);
	} else {
		clear_highpage(page);
	}
	set_page_private(page, 1);
	if (xa_err(xa_store(&obj->pages, index, page, GFP_KERNEL_ACCOUNT))) {
		/* The frame goes; the page keeps its store copy, if any. */
		set_page_private(page, 0);
		unlock_page(page);
		put_page(page);
		atomic64_dec(&pagelab_stats.pages_held);
		atomic64_inc(&pagelab_stats.pages_freed);
		return VM_FAULT_OOM;
	}
	atomic_long_inc(&obj->resident);
	atomic64_inc(&obj->count.misses);
	rp->used++;
	pagelab_rp_load_slot(rp, s, index);
	pagelab_rp_event(obj, rp, *major ? PAGELAB_EV_PAGEIN : PAGELAB_EV_MISS, index, s, victim,
			 wb);
	/* A zero-page PTE of @index may be mapped elsewhere: it goes. */
	unmap_mapping_pages(obj->mapping, index, 1, false);
	get_page(page);
	*pagep = page;
	return 0;
}

/*
 * Exact mode: is this fault one half of an access that spans pages @a and
 * @index (adjacent), retried with no progress?  The same task, alternating
 * between the two, from kernel mode or at the last bytes of the lower page.
 */
static bool pagelab_rp_pingpong(struct pagelab_replacer *rp, struct vm_fault *vmf)
{
	struct pagelab_rp_fault *h = rp->hist;
	bool user = vmf->flags & FAULT_FLAG_USER;
	unsigned long off = vmf->real_address & ~PAGE_MASK;
	pgoff_t index = vmf->pgoff;
	bool spans;

	memmove(&h[1], &h[0], sizeof(h[0]) * (ARRAY_SIZE(rp->hist) - 1));
	h[0] = (struct pagelab_rp_fault){ .index = index, .pid = current->pid, .user = user,
					  .off = off };
	if (h[1].pid != h[0].pid || h[2].pid != h[0].pid || h[2].index != index)
		return false;
	if (h[1].index != index + 1 && h[1].index + 1 != index)
		return false;
	if (!user || !h[1].user)
		return true;
	/* A user access spanning the boundary faults at the lower page's end. */
	spans = (h[1].index < index ? h[1].off : off) >= PAGE_SIZE - 64;
	return spans;
}

/**
 * pagelab_rp_fault() - a fault on an object with a frame budget
 * @vmf: the fault
 * @obj: the object
 * @outcome: out: what was done (enum pagelab_fault_outcome)
 * @handled: out: false when the object has no budget (any more) or the
 *           write needs a COW break: the caller goes on as for any object
 *
 * Return: the fault code.
 */
vm_fault_t pagelab_rp_fault(struct vm_fault *vmf, struct pagelab_object *obj, int *outcome,
			    bool *handled)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool shared = vmf->vma->vm_flags & VM_SHARED;
	struct pagelab_replacer *rp = obj->rp;
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret = 0;
	struct page *page;
	bool major = false;

	*handled = true;
	mutex_lock(&obj->lock);
	if (!rp->budget) {
		*handled = false;
		goto out_unlock;
	}
	page = xa_load(&obj->pages, index);
	if (page) {
		pagelab_rp_touch(rp, index);
		pagelab_rp_event(obj, rp, PAGELAB_EV_HIT, index, rp->pg[index].slot,
				 PAGELAB_NO_PAGE, -1);
		if (write && shared && page_private(page) > 1) {
			*handled = false;	/* the normal path copies it */
			goto out_unlock;
		}
		get_page(page);
		lock_page(page);
		*outcome = PAGELAB_FAULT_EXISTING;
		atomic64_inc(&obj->count.existing);
	} else if (!xa_load(&rp->store, index) &&
		   ((!write && !(rp->flags & PAGELAB_REPLACE_NO_ZERO)) || (write && !shared))) {
		/* Never written: the zero page, as without a budget. */
		if (write) {
			*handled = false;
			goto out_unlock;
		}
		ret = vmf_insert_mixed(vmf->vma, vmf->address,
				       pfn_to_pfn_t(my_zero_pfn(vmf->address)));
		if (ret == VM_FAULT_NOPAGE) {
			atomic64_inc(&obj->count.zero_maps);
			*outcome = PAGELAB_FAULT_ZERO;
			pagelab_rp_event(obj, rp, PAGELAB_EV_ZERO, index, -1, PAGELAB_NO_PAGE, -1);
		} else {
			*outcome = ret & VM_FAULT_OOM ? PAGELAB_FAULT_OOM : PAGELAB_FAULT_SIGBUS;
		}
		page = NULL;
	} else {
		ret = pagelab_rp_load(obj, rp, index, &page, &major);
		if (ret) {
			*outcome = ret & VM_FAULT_OOM ? PAGELAB_FAULT_OOM : PAGELAB_FAULT_SIGBUS;
			goto out_unlock;
		}
		*outcome = major ? PAGELAB_FAULT_PAGEIN : PAGELAB_FAULT_ALLOC;
	}
	if (page && write && shared)
		xa_set_mark(&obj->pages, index, PAGELAB_XA_DIRTY);

	if (rp->flags & PAGELAB_REPLACE_EXACT) {
		if (pagelab_rp_pingpong(rp, vmf))
			atomic64_inc(&obj->count.inexact);
		else if (rp->last != index && rp->last != PAGELAB_NO_PAGE)
			unmap_mapping_pages(obj->mapping, rp->last, 1, false);
		rp->last = index;
	}
	if (page) {
		vmf->page = page;
		ret = VM_FAULT_LOCKED | (major ? VM_FAULT_MAJOR : 0);
	}
out_unlock:
	mutex_unlock(&obj->lock);
	return ret;
}

/**
 * pagelab_rp_mkwrite() - a write to a zero-page PTE of a budgeted object
 * @obj: the object
 * @index: the page
 *
 * Gives the page a frame under the budget (loading it removes the zero-page
 * PTE from every mapper, so the write refaults onto the frame).
 *
 * Return: VM_FAULT_NOPAGE, or a fault code; 0 when the object has no
 * budget (any more): the caller goes on as for any object.
 */
vm_fault_t pagelab_rp_mkwrite(struct pagelab_object *obj, pgoff_t index)
{
	struct pagelab_replacer *rp = obj->rp;
	struct page *page;
	vm_fault_t ret = VM_FAULT_NOPAGE;
	bool major;

	mutex_lock(&obj->lock);
	if (!rp->budget) {
		ret = 0;
		goto out_unlock;
	}
	if (!xa_load(&obj->pages, index)) {
		ret = pagelab_rp_load(obj, rp, index, &page, &major);
		if (ret)
			goto out_unlock;
		unlock_page(page);
		put_page(page);
		ret = VM_FAULT_NOPAGE;
	} else {
		unmap_mapping_pages(obj->mapping, index, 1, false);
	}
	xa_set_mark(&obj->pages, index, PAGELAB_XA_DIRTY);
out_unlock:
	mutex_unlock(&obj->lock);
	return ret;
}

/* Bring every stored page back (budget removed).  0 or -ENOSPC/-ENOMEM. */
static int pagelab_rp_unload_store(struct pagelab_object *obj, struct pagelab_replacer *rp)
{
	struct page *copy, *page;
	unsigned long index;

	xa_for_each(&rp->store, index, copy) {
		if (xa_load(&obj->pages, index))
			continue;
		if (atomic64_inc_return(&pagelab_stats.pages_held) > READ_ONCE(pagelab_max_pages)) {
			atomic64_dec(&pagelab_stats.pages_held);
			return -ENOSPC;
		}
		page = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
		if (!page) {
			atomic64_dec(&pagelab_stats.pages_held);
			return -ENOMEM;
		}
		copy_highpage(page, copy);
		set_page_private(page, 1);
		if (xa_err(xa_store(&obj->pages, index, page, GFP_KERNEL_ACCOUNT))) {
			set_page_private(page, 0);
			__free_page(page);
			atomic64_dec(&pagelab_stats.pages_held);
			return -ENOMEM;
		}
		atomic64_inc(&pagelab_stats.pages_allocated);
		atomic_long_inc(&obj->resident);
		atomic64_inc(&obj->count.page_ins);
	}
	xa_for_each(&rp->store, index, copy) {
		xa_erase(&rp->store, index);
		__free_page(copy);
		atomic64_dec(&pagelab_stats.store_pages);
		atomic_long_dec(&obj->store_pages);
	}
	return 0;
}

/*
 * Book the object's resident pages into slots for @budget frames, evicting
 * by the policy while there are more.  Load order: by index.
 */
static int pagelab_rp_rebuild(struct pagelab_object *obj, struct pagelab_replacer *rp,
			      unsigned int budget)
{
	struct page *page, *reuse;
	unsigned long index;
	unsigned int n = 0;
	pgoff_t victim;
	int s, wb;

	/* A new run: what the policies knew of earlier runs is forgotten. */
	for (index = 0; index < rp->npages; index++)
		rp->pg[index] = (struct pagelab_rp_page){ .slot = -1 };
	xa_for_each(&obj->pages, index, page) {
		rp->slots[n] = index;
		rp->pg[index].slot = n;
		rp->pg[index].refs = 1;
		n++;
	}
	rp->budget = max(n, budget);
	rp->used = n;
	for (s = n; s < rp->budget; s++)
		rp->slots[s] = PAGELAB_NO_PAGE;
	while (rp->used > budget) {
		s = pagelab_rp_evict(obj, rp, &reuse, &victim, &wb);
		if (s < 0)
			return s;
		if (reuse) {
			/* Not reused: the frame goes back. */
			set_page_private(reuse, 0);
			unlock_page(reuse);
			put_page(reuse);
			atomic64_dec(&pagelab_stats.pages_held);
			atomic64_inc(&pagelab_stats.pages_freed);
		}
	}
	/* Pack the remaining pages into slots 0..used-1. */
	n = 0;
	for (s = 0; s < rp->budget; s++) {
		if (rp->slots[s] == PAGELAB_NO_PAGE)
			continue;
		rp->slots[n] = rp->slots[s];
		rp->pg[rp->slots[n]].slot = n;
		n++;
	}
	for (s = n; s < budget; s++)
		rp->slots[s] = PAGELAB_NO_PAGE;
	rp->budget = budget;
	rp->hand = 0;
	return 0;
}

/**
 * pagelab_rp_set() - PAGELAB_IOC_REPLACE
 * @obj: the object, from a file opened for writing
 * @uarg: struct pagelab_replace in user memory
 *
 * Return: 0; -EINVAL for a malformed request; -ENOSPC/-ENOMEM when pages
 * over the new budget cannot be stored or a removed budget's pages cannot
 * come back (nothing is lost: they stay stored); -EFAULT.
 */
long pagelab_rp_set(struct pagelab_object *obj, struct pagelab_replace __user *uarg)
{
	struct pagelab_replacer *rp;
	struct pagelab_replace r;
	int ret = 0;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.pad || r.pad2 || r.flags & ~PAGELAB_REPLACE_FLAGS || r.budget > obj->npages)
		return -EINVAL;
	if (r.budget && (!r.policy || r.policy > PAGELAB_POLICY_MAX))
		return -EINVAL;

	mutex_lock(&obj->lock);
	rp = obj->rp;
	if (!rp) {
		if (!r.budget)
			goto out_unlock;
		rp = pagelab_should_fail(PAGELAB_FAIL_REPLACER) ? NULL :
		     pagelab_rp_alloc(obj->npages);
		if (!rp) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		/* Published under the lock; the fault path rechecks under it. */
		WRITE_ONCE(obj->rp, rp);
	}
	/* Every reference from here on faults at least once. */
	unmap_mapping_pages(obj->mapping, 0, obj->npages, false);
	if (!r.budget) {
		ret = pagelab_rp_unload_store(obj, rp);
		if (!ret)
			WRITE_ONCE(rp->budget, 0);
		goto out_unlock;
	}
	rp->policy = r.policy;
	rp->flags = r.flags;
	prandom_seed_state(&rp->rnd, r.seed);
	rp->last = PAGELAB_NO_PAGE;
	memset(rp->hist, 0, sizeof(rp->hist));
	rp->tick = 0;
	ret = pagelab_rp_rebuild(obj, rp, r.budget);
out_unlock:
	mutex_unlock(&obj->lock);
	return ret;
}

/**
 * pagelab_rp_events_show() - an object's event log, oldest first
 * @m: the seq_file
 * @obj: the object, referenced by the caller
 */
void pagelab_rp_events_show(struct seq_file *m, struct pagelab_object *obj)
{
	struct pagelab_replacer *rp;
	struct pagelab_event *ev;
	u64 seq;

	mutex_lock(&obj->lock);
	rp = obj->rp;
	if (!rp || !rp->budget)
		goto out_unlock;
	seq = rp->ev_seq > PAGELAB_EVENTS ? rp->ev_seq - PAGELAB_EVENTS + 1 : 1;
	for (; seq <= rp->ev_seq; seq++) {
		ev = &rp->ev[seq % PAGELAB_EVENTS];
		seq_printf(m, "obj=%llu seq=%llu page=%ld result=%s slot=%d victim=%ld wb=",
			   obj->id, ev->seq,
			   ev->page == PAGELAB_NO_PAGE ? -1L : (long)ev->page,
			   pagelab_ev_names[ev->result], ev->slot,
			   ev->victim == PAGELAB_NO_PAGE ? -1L : (long)ev->victim);
		if (ev->wb < 0)
			seq_puts(m, "-\n");
		else
			seq_printf(m, "%d\n", ev->wb);
	}
out_unlock:
	mutex_unlock(&obj->lock);
}
