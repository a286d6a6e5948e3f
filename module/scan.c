// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - PAGELAB_IOC_SCAN: a range of any process's pages, answered in
 * binary runs (struct pagelab_scan_run) rather than text.
 *
 * The walk is walk.c's (pagelab_walk_range(): mmap_lock for reading, one
 * PMD at a time, every table re-checked under its lock); this file is its
 * visitor.  Each page gets its categories (PAGELAB_SCAN_*) from the entry
 * and the frame as pagemap reads them, plus what only pagelab knows: the
 * object and index, its budget, and whether a page that is not mapped has
 * its contents in the object's store.  That last needs the object's lock,
 * taken for the step over one of its mappings (lock order: mmap_lock ->
 * pagelab_object.lock -> PTE lock, as in a fault).
 *
 * Runs are built in a kernel buffer of SCAN_BATCH records and copied to
 * the caller after each batch, with no lock held; the walk stops (and
 * says where, in walk_end) once the caller's array or page limit is full.
 * Permission is the walk's: pagelab_walk_pid_mm() for the process, PFNs
 * and swap slots only for CAP_SYS_ADMIN (pagelab_walk_admin()).
 */
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>
#include <linux/userfaultfd_k.h>

#include "compat.h"
#include "pagelab.h"

/*
 * Closed records kept before a copy to the caller.  When a run must close
 * and the batch is full, the walk pauses at that page (scan_close_at()),
 * the batch is copied out, and the walk resumes there.  The open run is
 * built in the slot after the closed ones (one more than SCAN_BATCH), so
 * closing it copies nothing.
 */
#define SCAN_BATCH	512

struct pagelab_scan_state {
	struct pagelab_walk_visitor v;
	const struct pagelab_scan *req;
	bool show_pfn;
	/* Closed runs not yet copied out, [0, nbatch); then the open run. */
	struct pagelab_scan_run *batch;
	unsigned int nbatch;	/* <= SCAN_BATCH */
	bool open;		/* batch[nbatch] is a run still growing */
	u64 index_step;		/* its index advances (1) or stays 0 (anonymous) */
	u32 runs;		/* runs opened so far, copied or not: <= max_runs */
	u64 pages;		/* pages reported */
	bool full;		/* max_runs or max_pages reached at @stop_at */
	unsigned long stop_at;
	/* The object mapped by the VMA of the current step, its lock held. */
	struct pagelab_object *obj;
	bool budgeted;
};

/* Does a page of these categories belong in the answer? */
static bool scan_match(const struct pagelab_scan *req, u64 cats)
{
	return (cats & req->required) == req->required && (!req->any || (cats & req->any)) &&
	       !(cats & req->excluded);
}

/*
 * @addr's offset in @vma's file or object, in pages (0 in anonymous
 * memory).  Not linear_page_index(): on 6.1 that counts huge pages in a
 * hugetlb VMA; vm_pgoff is in pages everywhere.
 */
static inline u64 scan_index(struct vm_area_struct *vma, unsigned long addr)
{
	if (vma_is_anonymous(vma))
		return 0;
	return ((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}

static void scan_close(struct pagelab_scan_state *st)
{
	if (!st->open || WARN_ON_ONCE(st->nbatch >= SCAN_BATCH))
		return;
	st->nbatch++;
	st->open = false;
}

/*
 * One page's categories that come from its frame: @page is the (sub)page
 * the entry maps or a migration entry names, NULL for none; @excl_page the
 * page whose map count pagemap reads for "exclusive".
 */
static __always_inline u64 scan_frame_cats(struct pagelab_scan_state *st,
					   struct vm_area_struct *vma,
					   const struct pagelab_walk_frame *f, struct page *page,
					   struct page *excl_page, bool present, bool writable)
{
	bool shared_frame = false;
	u64 c = 0;

	if (f->zero) {
		c |= PAGELAB_SCAN_ZERO;
		shared_frame = true;
	} else if (page) {
		c |= PageAnon(page) ? PAGELAB_SCAN_ANON : PAGELAB_SCAN_FILE;
		if (f->ksm)
			c |= PAGELAB_SCAN_KSM;
		if (present && pagelab_page_mapcount(excl_page) == 1)
			c |= PAGELAB_SCAN_EXCLUSIVE;
	}
	if (!present || writable || !(vma->vm_flags & VM_WRITE) || !page)
		return c | (shared_frame && present && !writable && (vma->vm_flags & VM_WRITE) ?
			    PAGELAB_SCAN_COW : 0);
	/*
	 * Private: a file's or object's frame, or any frame mapped twice.
	 * Shared: an object frame its clones or merges share (page_private(),
	 * its owners, changes under another object's lock: read once; the PTE
	 * lock keeps the frame mapped, so it is still a page of ours).
	 */
	if (!(vma->vm_flags & VM_SHARED))
		shared_frame = !(c & PAGELAB_SCAN_EXCLUSIVE) || (c & PAGELAB_SCAN_FILE) ||
			       (c & PAGELAB_SCAN_KSM);
	else if (!f->anon && st->obj)
		shared_frame = READ_ONCE(compound_head(page)->private) > 1;
	return c | (shared_frame ? PAGELAB_SCAN_COW : 0);
}

/* A swap-format entry as pagemap shows it to CAP_SYS_ADMIN, @idx pages on. */
static u64 scan_swap_frame(swp_entry_t se, unsigned long idx)
{
	unsigned long offset = is_pfn_swap_entry(se) ? swp_offset_pfn(se) : swp_offset(se);

	return swp_type(se) | ((u64)(offset + idx) << MAX_SWAPFILES_SHIFT);
}

/*
 * A hugetlb page, as pagemap_hugetlb_range() reads it: the entry (a huge
 * PTE at the PMD or PUD level) was read once with no page-table lock (see
 * pagelab_walk_hugetlb_lock()), so a non-present one is only looked at for
 * uffd-wp, never followed to a page: a migration entry's page need not be
 * locked any more.  Soft-dirty comes from the VMA alone.
 */
static u64 scan_hugetlb_cats(const struct pagelab_walk_end *e, u64 entry, unsigned long i,
			     u64 *pfn)
{
	pte_t pte = __pte(entry);
	u64 c = PAGELAB_SCAN_HUGETLB;

	if (!entry)
		return c;
	if (!pte_present(pte))
		return c | (pte_swp_uffd_wp_any(pte) ? PAGELAB_SCAN_UFFD_WP : 0);
	c |= PAGELAB_SCAN_PRESENT;
	c |= e->level == PAGELAB_L_PUD ? PAGELAB_SCAN_PUD : PAGELAB_SCAN_PMD;
	c |= pte_write(pte) ? PAGELAB_SCAN_WRITE : 0;
	c |= pte_dirty(pte) ? PAGELAB_SCAN_DIRTY : 0;
	c |= pte_young(pte) ? PAGELAB_SCAN_ACCESSED : 0;
	c |= pagelab_huge_pte_uffd_wp(pte) ? PAGELAB_SCAN_UFFD_WP : 0;
	if (e->frame.page) {
		c |= e->frame.anon ? PAGELAB_SCAN_ANON : PAGELAB_SCAN_FILE;
		c |= e->frame.excl ? PAGELAB_SCAN_EXCLUSIVE : 0;
	}
	*pfn = e->pfn + i;
	return c;
}

/*
 * The categories of the page at @addr, the @i-th of what @e describes: a
 * PMD or PUD leaf, a hugetlb entry, or nothing (PTEs: scan_pte_cats()).
 */
static u64 scan_cats(struct pagelab_scan_state *st, struct vm_area_struct *vma,
		     unsigned long addr, const struct pagelab_walk_end *e, u64 entry,
		     unsigned long i, u64 *pfn)
{
	struct page *page = NULL, *excl_page = NULL;
	bool present = false, writable = false;
	u64 c = 0;

	*pfn = 0;
	if (vma->vm_flags & VM_SOFTDIRTY)
		c |= PAGELAB_SCAN_SOFT_DIRTY;
	/*
	 * pagemap skips PFN mappings ([vvar], remap_pfn_range): holes to it.
	 * Not a huge object's (huge.c): its frames are pagelab's own.
	 */
	if (vma->vm_flags & VM_PFNMAP && !st->obj)
		return c;
	if (is_vm_hugetlb_page(vma))
		return c | scan_hugetlb_cats(e, entry, i, pfn);
	if (!entry)
		goto absent;
	if (e->level == PAGELAB_L_PMD) {
		pmd_t pmd = __pmd(entry);
		unsigned long idx = (addr & ~PMD_MASK) >> PAGE_SHIFT;

		if (pmd_present(pmd)) {
			present = true;
			writable = pmd_write(pmd);
			c |= PAGELAB_SCAN_PMD;
			c |= pmd_soft_dirty(pmd) ? PAGELAB_SCAN_SOFT_DIRTY : 0;
			c |= pmd_uffd_wp(pmd) ? PAGELAB_SCAN_UFFD_WP : 0;
			c |= pmd_dirty(pmd) ? PAGELAB_SCAN_DIRTY : 0;
			c |= pmd_young(pmd) ? PAGELAB_SCAN_ACCESSED : 0;
			c |= pagelab_pmd_protnone(pmd) ? PAGELAB_SCAN_PROT_NONE : 0;
			if (e->frame.page) {
				page = pfn_to_page(e->pfn + i);
				excl_page = pagelab_pagemap_thp_page(pmd_page(pmd), idx);
			}
			*pfn = e->pfn + i;
		} else {
			swp_entry_t se = pmd_to_swp_entry(pmd);

			/* Under the PMD lock: a migration entry's page is locked. */
			c |= PAGELAB_SCAN_SWAP;
			c |= non_swap_entry(se) ? PAGELAB_SCAN_NOT_SWAP : 0;
			c |= pmd_swp_soft_dirty(pmd) ? PAGELAB_SCAN_SOFT_DIRTY : 0;
			c |= pmd_swp_uffd_wp(pmd) ? PAGELAB_SCAN_UFFD_WP : 0;
			if (is_pfn_swap_entry(se))
				page = pfn_swap_entry_to_page(se);
			*pfn = scan_swap_frame(se, idx);
		}
	} else if (e->level == PAGELAB_L_PUD && e->leaf) {
		pud_t pud = __pud(entry);

		present = true;
		writable = pud_write(pud);
		c |= PAGELAB_SCAN_PUD;
		c |= pud_dirty(pud) ? PAGELAB_SCAN_DIRTY : 0;
		c |= pud_young(pud) ? PAGELAB_SCAN_ACCESSED : 0;
		if (e->frame.page) {
			page = pfn_to_page(e->pfn + i);
			excl_page = page;
		}
		*pfn = e->pfn + i;
	}
	if (present) {
		c |= PAGELAB_SCAN_PRESENT | (writable ? PAGELAB_SCAN_WRITE : 0);
		if (e->frame.zero)
			*pfn = e->pfn;
	}
	c |= scan_frame_cats(st, vma, &e->frame, page, excl_page, present, writable);
absent:
	if (st->obj) {
		c |= PAGELAB_SCAN_OBJECT | (st->budgeted ? PAGELAB_SCAN_BUDGETED : 0);
		if (!present && !(c & PAGELAB_SCAN_SWAP) &&
		    pagelab_rp_stored_locked(st->obj, scan_index(vma, addr)))
			c |= PAGELAB_SCAN_STORED;
	}
	return c;
}

/*
 * Close the open run at @addr, where a page that does not continue it
 * lies.  With no room left in the batch, pause instead: the walk ends
 * here and resumes at @addr after the batch is copied out.  False if
 * paused.
 */
static bool scan_close_at(struct pagelab_scan_state *st, unsigned long addr)
{
	if (!st->open)
		return true;
	if (st->nbatch == SCAN_BATCH) {
		st->v.stop = true;
		st->v.resume = addr;
		return false;
	}
	scan_close(st);
	return true;
}

/* The answer is full at @addr: max_runs or max_pages reached. */
static void scan_full(struct pagelab_scan_state *st, unsigned long addr)
{
	st->full = true;
	st->stop_at = addr;
	st->v.stop = true;
}

/* Add @n pages from @addr, all with @cats, the first's frame @pfn. */
static __always_inline void scan_add(struct pagelab_scan_state *st,
				     struct vm_area_struct *vma, unsigned long addr,
				     unsigned long n, u64 cats, u64 pfn)
{
	struct pagelab_scan_run *r = &st->batch[st->nbatch];
	u64 object = st->obj ? st->obj->id : 0;
	u64 index = scan_index(vma, addr);
	u64 pfn_step = !(cats & (PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_SWAP)) ||
		       (cats & PAGELAB_SCAN_ZERO) ? 0 :
		       (cats & PAGELAB_SCAN_SWAP) ? BIT_ULL(MAX_SWAPFILES_SHIFT) : 1;
	u64 left = st->req->max_pages ? st->req->max_pages - st->pages : n;
	unsigned long take = min_t(u64, n, left);

	if (!scan_match(st->req, cats)) {
		scan_close_at(st, addr);
		return;
	}
	if (!take) {
		scan_full(st, addr);
		return;
	}
	if (!st->show_pfn)
		pfn = 0;
	if (st->open && r->start + (r->pages << PAGE_SHIFT) == addr && r->categories == cats &&
	    r->object == object && r->index + r->pages * st->index_step == index &&
	    (!st->show_pfn || r->pfn + r->pages * pfn_step == pfn) && addr != vma->vm_start) {
		r->pages += take;
	} else {
		if (!scan_close_at(st, addr))
			return;
		if (st->runs == st->req->max_runs) {
			scan_full(st, addr);
			return;
		}
		r = &st->batch[st->nbatch];
		st->runs++;
		st->open = true;
		st->index_step = vma_is_anonymous(vma) ? 0 : 1;
		*r = (struct pagelab_scan_run){
			.start = addr, .pages = take, .categories = cats, .pfn = pfn,
			.object = object, .index = index,
		};
	}
	st->pages += take;
	if (take < n)
		scan_full(st, addr + (take << PAGE_SHIFT));
}

static void scan_pages(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
		       unsigned long addr, unsigned long len, const struct pagelab_walk_end *e,
		       u64 flags, u64 entry)
{
	struct pagelab_scan_state *st = container_of(v, struct pagelab_scan_state, v);
	unsigned long i, n = len >> PAGE_SHIFT;
	u64 cats, pfn;

	/* Full or paused: the rest of this step is for the next call. */
	if (v->stop)
		return;
	/*
	 * Nothing mapped: every page alike (this may be a whole PUD's span)
	 * but in an object's mapping, where a page may be stored: one by one
	 * there, up to the object's end (mremap() can make a mapping longer).
	 */
	if (!entry) {
		u64 index = scan_index(vma, addr);
		unsigned long each = 0;

		if (st->obj && index < st->obj->npages)
			each = min_t(u64, n, st->obj->npages - index);
		for (i = 0; i < each && !v->stop; i++, addr += PAGE_SIZE) {
			cats = scan_cats(st, vma, addr, e, 0, 0, &pfn);
			scan_add(st, vma, addr, 1, cats, pfn);
		}
		if (each < n && !v->stop) {
			cats = scan_cats(st, vma, addr, e, 0, 0, &pfn);
			scan_add(st, vma, addr, n - each, cats, pfn);
		}
		return;
	}
	for (i = 0; i < n && !v->stop; i++, addr += PAGE_SIZE) {
		cats = scan_cats(st, vma, addr, e, entry, i, &pfn);
		scan_add(st, vma, addr, 1, cats, pfn);
	}
}

/*
 * One PTE's categories, under its table's lock, as pte_to_pagemap_entry()
 * reads it (vm_normal_page(): no page behind a special entry).  @base: the
 * VMA's (soft-dirty).
 */
static u64 scan_pte_cats(struct pagelab_scan_state *st, struct vm_area_struct *vma,
			 pte_t pte, u64 base, u64 *pfn)
{
	struct pagelab_walk_frame f = { };
	struct page *page = NULL;
	u64 c = base;

	if (!pte_present(pte)) {
		swp_entry_t se = pte_to_swp_entry(pte);

		c |= PAGELAB_SCAN_SWAP;
		c |= non_swap_entry(se) ? PAGELAB_SCAN_NOT_SWAP : 0;
		c |= pte_swp_soft_dirty(pte) ? PAGELAB_SCAN_SOFT_DIRTY : 0;
		c |= pte_swp_uffd_wp(pte) || pte_marker_entry_uffd_wp(se) ?
		     PAGELAB_SCAN_UFFD_WP : 0;
		*pfn = scan_swap_frame(se, 0);
		/* Under the PTE lock: a migration entry's page is locked. */
		if (is_pfn_swap_entry(se))
			c |= PageAnon(pfn_swap_entry_to_page(se)) ? PAGELAB_SCAN_ANON :
								   PAGELAB_SCAN_FILE;
		return c;
	}
	*pfn = pte_pfn(pte);
	c |= PAGELAB_SCAN_PRESENT;
	c |= pte_write(pte) ? PAGELAB_SCAN_WRITE : 0;
	c |= pte_soft_dirty(pte) ? PAGELAB_SCAN_SOFT_DIRTY : 0;
	c |= pte_uffd_wp(pte) ? PAGELAB_SCAN_UFFD_WP : 0;
	c |= pte_dirty(pte) ? PAGELAB_SCAN_DIRTY : 0;
	c |= pte_young(pte) ? PAGELAB_SCAN_ACCESSED : 0;
	c |= pagelab_pte_protnone(pte) ? PAGELAB_SCAN_PROT_NONE : 0;
	if (is_zero_pfn(*pfn)) {
		f.zero = true;
	} else if (!pte_special(pte) && pfn_valid(*pfn)) {
		page = pfn_to_page(*pfn);
		f.anon = PageAnon(page);
		f.ksm = f.anon && folio_test_ksm(page_folio(page));
	}
	return c | scan_frame_cats(st, vma, &f, page, page, true, pte_write(pte));
}

/*
 * A PTE flag (@from, a mask of one bit, 0 where the kernel's configuration
 * has no such bit) moved to a category bit (@to): with constants, an AND
 * and a shift.
 */
static __always_inline u64 scan_bit(pteval_t f, pteval_t from, u64 to)
{
	if (!from)
		return 0;
	return from >= to ? (f & from) / (from / to) : (f & from) * (to / (from ?: 1));
}

/*
 * The page most scans are made of, in one pass without scan_add(): a
 * present entry of a frame with a struct page (not special, so not the
 * zero page: every entry installed without a struct page is special or in
 * a VM_PFNMAP mapping, which scan_ptes() leaves out; vm_normal_page()
 * trusts such an entry the same way, checking only, as a module cannot,
 * that the frame is below the highest one with a struct page), in a
 * mapping that is neither an object's nor a shadow stack.  It computes
 * what scan_pte_cats() would for that page and opens or extends runs as
 * scan_add() would.  It stops at the first page it does not take (another
 * kind, outside the masks, the page limit, no run or batch room left) and
 * returns how many it took: the general path does the rest.
 */
static unsigned long scan_ptes_fast(struct pagelab_scan_state *st, struct vm_area_struct *vma,
				    unsigned long addr, pte_t *ptep, unsigned long left, u64 base)
{
	const struct pagelab_scan *req = st->req;
	struct pagelab_scan_run *r = &st->batch[st->nbatch];
	const bool cow_able = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
	const bool masks = req->required | req->any | req->excluded;
	/* Without PFNs every frame is 0, and a run never breaks on one. */
	const u64 pfn_mask = st->show_pfn ? ~0ULL : 0, pfn_step = st->show_pfn ? 1 : 0;
	const u64 step = vma_is_anonymous(vma) ? 0 : 1;
	u64 index = scan_index(vma, addr), next_pfn;
	unsigned long n;
	bool cont;

	if (req->max_pages)
		left = min_t(u64, left, req->max_pages - st->pages);
	/* Does the open run go on here?  Never across VMAs, as in scan_add(). */
	cont = st->open && addr != vma->vm_start && !r->object &&
	       r->start + (r->pages << PAGE_SHIFT) == addr &&
	       r->index + r->pages * st->index_step == index;
	next_pfn = cont ? r->pfn + r->pages * pfn_step : 0;
	for (n = 0; n < left; n++, addr += PAGE_SIZE, index += step) {
		pte_t pte = ptep_get(ptep + n);
		pteval_t f = pte_flags(pte);
		unsigned long pfn = pte_pfn(pte);
		struct page *page;
		struct folio *folio;
		u64 c;

		if (!(f & _PAGE_PRESENT) || pte_special(pte) || is_zero_pfn(pfn))
			break;
		/* Dirty as pte_dirty() says: the saved bit too (6.6 on). */
		c = base | PAGELAB_SCAN_PRESENT | scan_bit(f, _PAGE_RW, PAGELAB_SCAN_WRITE) |
		    scan_bit(f, _PAGE_DIRTY, PAGELAB_SCAN_DIRTY) |
		    scan_bit(f, PAGELAB_PAGE_SAVED_DIRTY, PAGELAB_SCAN_DIRTY) |
		    scan_bit(f, _PAGE_SOFT_DIRTY, PAGELAB_SCAN_SOFT_DIRTY) |
		    scan_bit(f, _PAGE_UFFD_WP, PAGELAB_SCAN_UFFD_WP) |
		    scan_bit(f, _PAGE_ACCESSED, PAGELAB_SCAN_ACCESSED);
		page = pfn_to_page(pfn);
		folio = page_folio(page);
		if (!folio_test_anon(folio))
			c |= PAGELAB_SCAN_FILE;
		else if (folio_test_ksm(folio))
			c |= PAGELAB_SCAN_ANON | PAGELAB_SCAN_KSM;
		else
			c |= PAGELAB_SCAN_ANON;
		if (pagelab_page_mapcount(page) == 1)
			c |= PAGELAB_SCAN_EXCLUSIVE;
		/* scan_frame_cats(): read-only in a private writable mapping. */
		if (cow_able && !(c & PAGELAB_SCAN_WRITE) &&
		    (c & (PAGELAB_SCAN_EXCLUSIVE | PAGELAB_SCAN_FILE | PAGELAB_SCAN_KSM)) !=
		    PAGELAB_SCAN_EXCLUSIVE)
			c |= PAGELAB_SCAN_COW;
		if (masks && !scan_match(req, c))
			break;
		pfn &= pfn_mask;
		if (cont && c == r->categories && pfn == next_pfn) {
			r->pages++;
		} else {
			if (st->runs == req->max_runs || (st->open && st->nbatch == SCAN_BATCH))
				break;
			if (st->open)
				r = &st->batch[++st->nbatch];
			st->runs++;
			st->open = true;
			st->index_step = step;
			r->start = addr;
			r->pages = 1;
			r->categories = c;
			r->pfn = pfn;
			r->object = 0;
			r->index = index;
			cont = true;
		}
		next_pfn = pfn + pfn_step;
	}
	st->pages += n;
	return n;
}

/*
 * The PTEs of one table, read here rather than one callback each: pagemap
 * reads a table in one pass, and so does this.  Runs of empty entries go
 * in at once, except in an object's mapping (each page may be stored).
 */
static void scan_ptes(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
		      unsigned long addr, unsigned long end, pte_t *ptep)
{
	static const struct pagelab_walk_end none = { .level = PAGELAB_L_PTE };
	struct pagelab_scan_state *st = container_of(v, struct pagelab_scan_state, v);
	u64 base = vma->vm_flags & VM_SOFTDIRTY ? PAGELAB_SCAN_SOFT_DIRTY : 0;
	unsigned long left = (end - addr) >> PAGE_SHIFT;
	u64 cats, pfn;

	if (v->stop)
		return;
	if (vma->vm_flags & VM_PFNMAP && !st->obj) {
		/* A hole to pagemap (walk_page_test()), unless a huge object's. */
		scan_add(st, vma, addr, (end - addr) >> PAGE_SHIFT, base, 0);
		return;
	}
	while (left && !v->stop) {
		pte_t pte = ptep_get(ptep);
		unsigned long n = 1;

		/* Not a shadow stack's: its entries are writable without _PAGE_RW. */
		if (!st->obj && (pte_flags(pte) & _PAGE_PRESENT) &&
		    !(vma->vm_flags & PAGELAB_VM_SHADOW_STACK)) {
			n = scan_ptes_fast(st, vma, addr, ptep, left, base);
			if (n) {
				addr += n << PAGE_SHIFT;
				ptep += n;
				left -= n;
				continue;
			}
			n = 1;
		}
		if (pte_none(pte) && st->obj) {
			/* Each page may be stored. */
			cats = scan_cats(st, vma, addr, &none, 0, 0, &pfn);
		} else if (pte_none(pte)) {
			/*
			 * An empty entry is 0 (pte_none() also forgives two
			 * errata bits): the raw words, eight at a time.
			 */
			while (n + 8 <= left &&
			       !(READ_ONCE(ptep[n].pte) | READ_ONCE(ptep[n + 1].pte) |
				 READ_ONCE(ptep[n + 2].pte) | READ_ONCE(ptep[n + 3].pte) |
				 READ_ONCE(ptep[n + 4].pte) | READ_ONCE(ptep[n + 5].pte) |
				 READ_ONCE(ptep[n + 6].pte) | READ_ONCE(ptep[n + 7].pte)))
				n += 8;
			while (n < left && pte_none(ptep_get(ptep + n)))
				n++;
			cats = base;
			pfn = 0;
		} else {
			/* Present or in swap: never stored. */
			cats = scan_pte_cats(st, vma, pte, base, &pfn);
			if (st->obj)
				cats |= PAGELAB_SCAN_OBJECT |
					(st->budgeted ? PAGELAB_SCAN_BUDGETED : 0);
		}
		scan_add(st, vma, addr, n, cats, pfn);
		addr += n << PAGE_SHIFT;
		ptep += n;
		left -= n;
	}
}

static int scan_enter(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
		      unsigned long addr)
{
	struct pagelab_scan_state *st = container_of(v, struct pagelab_scan_state, v);
	struct pagelab_object *obj = vma->vm_file ? pagelab_file_obj(vma->vm_file) : NULL;

	if (obj) {
		if (mutex_lock_killable(&obj->lock))
			return -EINTR;
		st->obj = obj;
		st->budgeted = pagelab_rp_budgeted_locked(obj);
	}
	return 0;
}

static void scan_leave(struct pagelab_walk_visitor *v, struct vm_area_struct *vma)
{
	struct pagelab_scan_state *st = container_of(v, struct pagelab_scan_state, v);

	if (st->obj) {
		mutex_unlock(&st->obj->lock);
		st->obj = NULL;
	}
	/* A signal: let the caller return what it has. */
	if (signal_pending(current))
		v->stop = true;
}

/* Copy the waiting runs to the caller's array, after @done already there. */
static int scan_flush(struct pagelab_scan_state *st, u32 *done)
{
	struct pagelab_scan_run __user *to = u64_to_user_ptr(st->req->runs);

	if (st->nbatch && copy_to_user(to + *done, st->batch, st->nbatch * sizeof(*st->batch)))
		return -EFAULT;
	*done += st->nbatch;
	if (st->open && st->nbatch)
		st->batch[0] = st->batch[st->nbatch];
	st->nbatch = 0;
	return 0;
}

static int scan_check(const struct pagelab_scan *s)
{
	if (s->size != sizeof(*s) || (s->flags & ~PAGELAB_SCAN_FLAGS) || s->pad)
		return -EINVAL;
	if (!s->max_runs || s->max_runs > PAGELAB_SCAN_MAX_RUNS)
		return -EINVAL;
	if ((s->required | s->any | s->excluded) & ~PAGELAB_SCAN_ALL)
		return -EINVAL;
	if (!PAGE_ALIGNED(s->start) || !PAGE_ALIGNED(s->end) || s->start >= s->end ||
	    s->end > TASK_SIZE_MAX)
		return -EINVAL;
	if (!s->runs || !access_ok(u64_to_user_ptr(s->runs),
				   (size_t)s->max_runs * sizeof(struct pagelab_scan_run)))
		return -EFAULT;
	return 0;
}

/**
 * pagelab_scan_ioctl() - PAGELAB_IOC_SCAN on /dev/pagelab
 * @file: the device file (its opener's credentials count too)
 * @uarg: the caller's struct pagelab_scan
 *
 * Return: 0 with nr_runs and walk_end set, or a negative errno (see
 * struct pagelab_scan).
 */
long pagelab_scan_ioctl(struct file *file, struct pagelab_scan __user *uarg)
{
	struct pagelab_scan_state st = {
		.v = { .pages = scan_pages, .ptes = scan_ptes, .enter = scan_enter,
		       .leave = scan_leave },
	};
	struct pagelab_scan req;
	unsigned long addr, walk_end;
	struct mm_struct *mm;
	bool partial = false;
	const char *why;
	u32 done = 0;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = scan_check(&req);
	if (ret)
		return ret;
	mm = req.pid ? pagelab_walk_pid_mm(file, req.pid, &why) : get_task_mm(current);
	if (!mm)
		return -ESRCH;
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	st.req = &req;
	st.show_pfn = !(req.flags & PAGELAB_SCAN_F_NO_PFN) && pagelab_walk_admin(file);
	st.batch = kvmalloc_array(SCAN_BATCH + 1, sizeof(*st.batch), GFP_KERNEL_ACCOUNT);
	if (!st.batch) {
		ret = -ENOMEM;
		goto out_mmput;
	}
	for (addr = req.start; addr < req.end; addr = walk_end) {
		st.v.stop = false;
		st.v.resume = 0;
		ret = pagelab_walk_range(mm, addr, req.end, &st.v, &walk_end);
		if (ret)
			break;
		/* A signal ends the call early: what was seen, and where to resume. */
		partial = !st.full && walk_end < req.end && signal_pending(current);
		ret = scan_flush(&st, &done);
		if (!ret && (st.full || partial || walk_end >= req.end)) {
			scan_close(&st);
			ret = scan_flush(&st, &done);
		}
		if (ret || st.full || partial)
			break;
	}
	if (ret)
		goto out_free;
	req.nr_runs = done;
	req.walk_end = st.full ? st.stop_at : walk_end;
	if (copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
out_free:
	kvfree(st.batch);
out_mmput:
	mmput(mm);
	return ret;
}
