// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - copy-on-write: snapshots (clone), breaking the sharing on a
 * write, and merging equal pages.
 *
 * Sharing: a frame may be held by several entries, in several objects
 * (clone) or at several indexes (merge); frame.c counts them.  A frame
 * with more than one owner is never mapped writable: clone and merge
 * remove its PTEs (unmap_mapping_pages(), whatever the VMA's protection:
 * an mprotect round trip would make a dirty read-only PTE writable without
 * asking), every PTE installed later is read-only (VMAs want write
 * notification), and a write, at ->fault or ->page_mkwrite, first copies
 * the frame for the writer's object (pagelab_cow_break_locked()).  So a
 * shared frame's contents never change, and copying one needs no lock
 * against writers.  A frame with references beyond its owners and PTEs (a
 * GUP pin) may be written behind our back: clone copies it, merge leaves
 * it alone.  A pin taken while a frame was shared (a read: vmsplice) keeps
 * the contents it saw: even the frame's last owner copies it before a
 * write (pagelab_cow_in_place()).
 *
 * Clone and merge versus faults: clone holds the source's object lock for
 * the whole copy of its index, so no frame is added or replaced there
 * meanwhile, and locks each frame while removing its PTEs and sharing it;
 * a write that faults before that lock was taken finished its write on
 * the old (unshared) frame, which the clone then shares with that write
 * in it; one that faults after finds the frame shared and copies it.
 * Merge compares two frames only with both locked and unmapped, so a
 * racing write either landed before the compare or breaks the sharing
 * after it.  Neither runs on an object with a frame budget (-EBUSY): its
 * slots would not know of the frames they share.  A COW break does, under
 * the budget's rules (pagelab_cow_break_locked()).
 *
 * Locking: as in object.c; every function here takes or asserts the
 * object's lock, then page locks (a second frame only by trylock).
 */
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "pagelab.h"
#include "trace.h"

/**
 * pagelab_cow_in_place() - may a write go to @obj's frame at @index as it is?
 * @obj: the object written
 * @index: where @page is in @obj
 * @page: the frame at @index, locked by the caller
 * @extra: references to @page the caller itself holds
 *
 * No while another entry holds the frame.  No either for a frame that was
 * shared (clone, merge: the entry's PAGELAB_MARK_SHARED) and is @obj's
 * alone now, if it has a reference nobody accounts for: a pin (vmsplice,
 * a read GUP) taken while it was shared was entitled to the contents of
 * then, and a write in place would show it what @obj's users write from
 * now on.  A frame never shared keeps its pins' view of every write, as a
 * shared file mapping does.  A yes for a marked frame drops the mark: it
 * is written in place from now on, and a pin taken later through its
 * writable PTE is @obj's own.  Unmarked frames (nearly every write) cost
 * one mark test, no lock.
 *
 * Return: true if the write may go in place; false if it must go to a copy.
 */
bool pagelab_cow_in_place(struct pagelab_object *obj, pgoff_t index, struct page *page,
			  unsigned int extra)
{
	if (page_private(page) > 1)
		return false;
	if (likely(!pagelab_frame_mark(obj, index, PAGELAB_MARK_SHARED)))
		return true;
	if (pagelab_frame_pinned(page, extra))
		return false;
	pagelab_frame_clear_mark(obj, index, PAGELAB_MARK_SHARED);
	return true;
}

/**
 * pagelab_cow_break_locked() - give @obj its own copy of a shared frame
 * @obj: the object being written; its lock held
 * @index: the page written, below @obj->npages
 * @held: a frame the caller holds a reference to (page_mkwrite's), or NULL
 * @pte_empty: the caller is a fault on an empty PTE (so with one VMA on
 *             the object, no PTE of the old frame exists to remove)
 * @pagep: out: the frame now at @index, referenced and locked; NULL when
 *         @index holds no frame (any more), or holds one being written to
 *         a budget's store: the caller's fault starts again (and waits
 *         for that I/O on the budget's path)
 * @copied: out: a copy was made (false: the other holders had let go)
 *
 * The copy replaces the shared frame in @obj only, and every mapper of
 * @obj loses its PTEs of the old frame, so all of them see the copy; the
 * other holders keep the old frame.  A shared frame is never mapped
 * writable, so its contents cannot change while it is copied.  Under a
 * frame budget the page keeps its slot and its frame is marked dirty for
 * the write to come.
 *
 * Return: 0, VM_FAULT_SIGBUS at the module-wide page cap (counted in
 * @obj's sigbus counter), VM_FAULT_OOM when the allocation fails.  On an
 * error nothing has changed.
 */
vm_fault_t pagelab_cow_break_locked(struct pagelab_object *obj, pgoff_t index, struct page *held,
				    bool pte_empty, struct page **pagep, bool *copied)
{
	struct page *old, *new;
	unsigned int extra;
	bool budgeted;
	int err;

	lockdep_assert_held(&obj->lock);
	*pagep = NULL;
	*copied = false;
	budgeted = pagelab_rp_budgeted_locked(obj);
	/* Its write-back reads it with no lock held: wait for that. */
	if (budgeted && pagelab_rp_io_victim(obj, index))
		return 0;
	old = pagelab_frame_at(obj, index);
	if (!old)
		return 0;
	get_page(old);
	lock_page(old);
	if (budgeted)
		pagelab_frame_set_mark(obj, index, PAGELAB_MARK_DIRTY);
	/* Ours, and the caller's if it holds this frame. */
	extra = old == held ? 2 : 1;
	if (pagelab_cow_in_place(obj, index, old, extra)) {
		/* The other holders let go meanwhile: the frame is ours alone. */
		*pagep = old;
		return 0;
	}
	new = pagelab_frame_new(false, PAGELAB_FAIL_COW_FRAME, &err);
	if (!new) {
		unlock_page(old);
		put_page(old);
		return pagelab_frame_fault_code(obj, err);
	}
	copy_highpage(new, old);
	/* Replacing a present entry allocates nothing: this cannot fail. */
	pagelab_frame_set(obj, index, new, GFP_NOWAIT);
	/* The copy is @obj's alone, and nothing pinned it while shared. */
	pagelab_frame_clear_mark(obj, index, PAGELAB_MARK_SHARED);
	atomic64_inc(&obj->count.cow_breaks);
	atomic64_add(PAGE_SIZE, &obj->count.cow_bytes);
	/*
	 * No mapper of @obj keeps the old frame: each refaults onto the copy.
	 * An empty faulting PTE and one VMA are not enough to skip that: a
	 * read in another thread may have mapped the old frame meanwhile.
	 * Every PTE of it is installed under its page lock, held here, so
	 * page_mapped() tells whether one exists.
	 */
	if (!pte_empty || atomic_long_read(&obj->mappers) > 1 || page_mapped(old))
		unmap_mapping_pages(obj->mapping, index, 1, false);
	pagelab_frame_disown(old);
	unlock_page(old);
	put_page(old);		/* the entry's reference */
	put_page(old);		/* ours */
	get_page(new);
	*pagep = new;
	*copied = true;
	return 0;
}

/**
 * pagelab_obj_cow_break() - pagelab_cow_break_locked(), taking @obj's lock
 * @obj: the object being written
 * @index: the page written, below @obj->npages
 * @held: see pagelab_cow_break_locked()
 * @pte_empty: see pagelab_cow_break_locked()
 * @pagep: out: see pagelab_cow_break_locked()
 * @copied: out: see pagelab_cow_break_locked()
 *
 * Return: see pagelab_cow_break_locked().
 */
vm_fault_t pagelab_obj_cow_break(struct pagelab_object *obj, pgoff_t index, struct page *held,
				 bool pte_empty, struct page **pagep, bool *copied)
{
	vm_fault_t ret;

	mutex_lock(&obj->lock);
	ret = pagelab_cow_break_locked(obj, index, held, pte_empty, pagep, copied);
	mutex_unlock(&obj->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(pagelab_obj_cow_break, PAGELAB_KUNIT_NS);

/*
 * Copy a pinned frame for the clone: the one case where cloning copies.
 * Returns 0 or -ENOSPC (page cap) / -ENOMEM.
 */
static int pagelab_clone_copy(struct pagelab_object *dst, pgoff_t index, struct page *page)
{
	struct page *copy;
	int err;

	copy = pagelab_frame_new(false, PAGELAB_FAIL_CLONE_COPY, &err);
	if (!copy)
		return err;
	copy_highpage(copy, page);
	if (pagelab_frame_set(dst, index, copy, GFP_KERNEL_ACCOUNT)) {
		pagelab_frame_discard(copy);
		return -ENOMEM;
	}
	unlock_page(copy);
	atomic_long_inc(&dst->resident);
	atomic64_inc(&dst->count.clone_copied);
	atomic64_add(PAGE_SIZE, &dst->count.cow_bytes);
	return 0;
}

/**
 * pagelab_clone_frames() - share every frame of @src with a new object
 * @src: the source
 * @dst: a new object of @src's size, not yet visible to anyone
 *
 * Every frame goes into @dst, shared and write-protected: O(resident
 * frames), nothing copied but pinned frames.  @src->lock keeps its entries
 * still; each frame's lock holds off faults that would map it while its
 * PTEs go.
 *
 * Return: 0, -EBUSY (@src has a frame budget now), -ENOSPC (page cap,
 * copying a pinned frame), -ENOMEM or -EINTR; on an error @dst holds part of
 * @src's frames (the caller drops it).
 */
int pagelab_clone_frames(struct pagelab_object *src, struct pagelab_object *dst)
{
	struct page *page;
	unsigned long index;
	int ret = 0;

	mutex_lock(&src->lock);
	/* The ioctl's lockless look may be stale: a budget came meanwhile. */
	if (pagelab_rp_budgeted_locked(src)) {
		mutex_unlock(&src->lock);
		return -EBUSY;
	}
	/* Every frame is to be shared: no PMD leaf may map one (huge.c). */
	pagelab_huge_split(src, 0, src->npages);
	/*
	 * Write-protect by removing PTEs, whatever the VMAs' protection is
	 * now (an mprotect round trip can make a clean read-only PTE writable
	 * without asking us).  Frames shared already are mapped read-only
	 * everywhere and stay so; a fault that maps one of ours between this
	 * sweep and its page lock is caught below.
	 */
	unmap_mapping_pages(src->mapping, 0, src->npages, false);
	for (index = 0; (page = pagelab_frame_next(src, &index)); index++) {
		get_page(page);
		lock_page(page);
		if (page_private(page) == 1 && page_mapped(page))
			unmap_mapping_pages(src->mapping, index, 1, false);
		if (pagelab_frame_pinned(page, 1)) {
			ret = pagelab_clone_copy(dst, index, page);
		} else if (pagelab_should_fail(PAGELAB_FAIL_CLONE_STORE) ||
			   pagelab_frame_set(dst, index, page, GFP_KERNEL_ACCOUNT)) {
			ret = -ENOMEM;
		} else {
			pagelab_frame_share(page);	/* @dst's entry */
			pagelab_frame_set_mark(src, index, PAGELAB_MARK_SHARED);
			pagelab_frame_set_mark(dst, index, PAGELAB_MARK_SHARED);
			atomic_long_inc(&dst->resident);
			atomic64_inc(&dst->count.clone_shared);
		}
		unlock_page(page);
		put_page(page);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		if (ret)
			break;
		cond_resched();
	}
	mutex_unlock(&src->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(pagelab_clone_frames, PAGELAB_KUNIT_NS);

/* A frame a merge has seen, by content hash: later equal pages may join it. */
struct pagelab_merge_cand {
	struct pagelab_merge_cand *next;	/* same hash */
	struct pagelab_object *obj;
	pgoff_t index;
	struct page *page;			/* referenced */
};

/*
 * Candidates a page is compared with, at most: equal pages hash alike and
 * the first one matches; unequal ones share a chain only by chance, the
 * hash's seed being new for every merge, so no user can line up a chain
 * of pages each compared in full with every other.
 */
#define PAGELAB_MERGE_CHAIN_MAX	8

struct pagelab_merge_state {
	struct xarray cands;			/* hash -> chain of candidates */
	u32 seed;				/* of the hash, per merge */
	struct pagelab_merge out;
};

/*
 * Try to give (@obj, @index), holding the locked, unmapped frame @page with
 * contents @data, the frame of an equal candidate (true if done).  The candidate is taken
 * with a trylock (never wait for a second page lock while holding one),
 * write-protected like @page, and compared only then: a write that raced
 * us either landed before the compare or will break the sharing after it.
 * Caller holds @obj->lock.
 */
static bool pagelab_merge_into(struct pagelab_merge_state *st, struct pagelab_merge_cand *cand,
			       struct pagelab_object *obj, pgoff_t index, struct page *page,
			       const void *data, bool *busy)
{
	struct page *keep;
	unsigned int looked = 0;
	bool same = false;
	void *kdata;

	for (; cand && looked < PAGELAB_MERGE_CHAIN_MAX; cand = cand->next, looked++) {
		keep = cand->page;
		if (!trylock_page(keep)) {
			*busy = true;
			continue;
		}
		if (pagelab_frame_at(cand->obj, cand->index) != keep) {
			unlock_page(keep);
			continue;
		}
		if (page_private(keep) == 1 && page_mapped(keep))
			unmap_mapping_pages(cand->obj->mapping, cand->index, 1, false);
		if (!pagelab_frame_pinned(keep, 1)) {
			kdata = kmap_local_page(keep);
			same = !memcmp(kdata, data, PAGE_SIZE);
			kunmap_local(kdata);
		}
		if (same)
			break;
		unlock_page(keep);
	}
	if (!same)
		return false;

	/* Replacing a present entry allocates nothing: this cannot fail. */
	pagelab_frame_set(obj, index, keep, GFP_NOWAIT);
	pagelab_frame_share(keep);
	pagelab_frame_set_mark(obj, index, PAGELAB_MARK_SHARED);
	pagelab_frame_set_mark(cand->obj, cand->index, PAGELAB_MARK_SHARED);
	unlock_page(keep);
	if (pagelab_frame_disown(page))
		st->out.saved += PAGE_SIZE;
	put_page(page);		/* the entry's reference */
	atomic64_inc(&obj->count.merged);
	st->out.merged++;
	trace_pagelab_merge(obj->id, index, cand->obj->id, cand->index, false);
	return true;
}

/*
 * Merge one page of @obj, if it has one at @index.  Returns 0, -EBUSY (a
 * frame budget came after the ioctl looked) or -ENOMEM.
 */
static int pagelab_merge_page(struct pagelab_merge_state *st, struct pagelab_object *obj,
			      pgoff_t index)
{
	struct pagelab_merge_cand *cand, *chain;
	bool busy = false, known = false;
	struct page *page;
	unsigned long hash;
	void *data;
	int ret = 0;

	mutex_lock(&obj->lock);
	/* The ioctl's lockless look may be stale: a budget came meanwhile. */
	if (pagelab_rp_budgeted_locked(obj)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/* The frame may be shared or dropped: no PMD leaf may map it (huge.c). */
	pagelab_huge_split(obj, index, 1);
	page = pagelab_frame_at(obj, index);
	if (!page)
		goto out_unlock;
	get_page(page);
	lock_page(page);
	st->out.scanned++;
	/*
	 * Before looking: no PTE of the frame survives in this object's
	 * mappers (which write-protects it unless shared, and shared frames
	 * are read-only everywhere; and its entry may change below), and
	 * faults that would map it wait for its lock.
	 */
	if (page_mapped(page))
		unmap_mapping_pages(obj->mapping, index, 1, false);
	data = kmap_local_page(page);
	if (!memchr_inv(data, 0, PAGE_SIZE)) {
		if (pagelab_frame_pinned(page, 1)) {
			st->out.skipped++;
			goto out_unmap;
		}
		/* All zero: the object drops it and reads map the zero page. */
		pagelab_frame_set(obj, index, NULL, 0);
		atomic_long_dec(&obj->resident);
		if (pagelab_frame_disown(page))
			st->out.saved += PAGE_SIZE;
		put_page(page);		/* the entry's reference */
		atomic64_inc(&obj->count.merged_zero);
		st->out.zero++;
		trace_pagelab_merge(obj->id, index, 0, 0, true);
		goto out_unmap;
	}
	hash = jhash2(data, PAGE_SIZE / sizeof(u32), st->seed);
	chain = xa_load(&st->cands, hash);
	for (cand = chain; cand; cand = cand->next)
		if (cand->page == page)
			known = true;
	/* A candidate's own reference is not a pin. */
	if (pagelab_frame_pinned(page, 1 + known)) {
		st->out.skipped++;
		goto out_unmap;
	}
	if (known)
		goto out_unmap;	/* this frame is a candidate already */
	if (pagelab_merge_into(st, chain, obj, index, page, data, &busy))
		goto out_unmap;
	if (busy)
		st->out.skipped++;
	/* A new candidate for the pages still to come. */
	cand = pagelab_should_fail(PAGELAB_FAIL_MERGE_CAND) ? NULL :
	       kmalloc(sizeof(*cand), GFP_KERNEL_ACCOUNT);
	if (!cand) {
		ret = -ENOMEM;
		goto out_unmap;
	}
	get_page(page);
	*cand = (struct pagelab_merge_cand){ .next = chain, .obj = obj, .index = index,
					     .page = page };
	ret = xa_err(xa_store(&st->cands, hash, cand, GFP_KERNEL_ACCOUNT));
	if (ret) {
		put_page(page);
		kfree(cand);
	}
out_unmap:
	kunmap_local(data);
	unlock_page(page);
	put_page(page);
out_unlock:
	mutex_unlock(&obj->lock);
	return ret;
}

static void pagelab_merge_free_cands(struct pagelab_merge_state *st)
{
	struct pagelab_merge_cand *cand, *next;
	unsigned long hash;

	xa_for_each(&st->cands, hash, cand) {
		for (; cand; cand = next) {
			next = cand->next;
			put_page(cand->page);
			kfree(cand);
		}
	}
	xa_destroy(&st->cands);
}

/**
 * pagelab_merge_objects() - merge the equal pages of @n objects
 * @objs: referenced objects, no repeats
 * @n: how many
 * @out: the counts (scanned, merged, zero, skipped, saved) are set here
 *
 * See pagelab_obj_merge() for what a merge does.
 *
 * Return: 0, -EBUSY (one was given a frame budget meanwhile), -ENOMEM or
 * -EINTR (what was merged before stays merged).
 */
int pagelab_merge_objects(struct pagelab_object **objs, unsigned int n, struct pagelab_merge *out)
{
	struct pagelab_merge_state st = {};
	struct page *page;
	unsigned long index;
	unsigned int i;
	int ret = 0;

	xa_init(&st.cands);
	st.seed = get_random_u32();
	for (i = 0; i < n && !ret; i++) {
		/* Indexes from a lockless look: each is checked under the lock. */
		for (index = 0; (page = pagelab_frame_next(objs[i], &index)); index++) {
			ret = pagelab_merge_page(&st, objs[i], index);
			if (ret)
				break;
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
	pagelab_merge_free_cands(&st);
	out->scanned = st.out.scanned;
	out->merged = st.out.merged;
	out->zero = st.out.zero;
	out->skipped = st.out.skipped;
	out->saved = st.out.saved;
	return ret;
}
EXPORT_SYMBOL_NS_GPL(pagelab_merge_objects, PAGELAB_KUNIT_NS);
