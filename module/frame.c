// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - frames: the module's own pages, who owns them, what they cost.
 *
 * A frame is a page pagelab allocated for an object's data.  It sits in
 * one or more objects' tables (struct pagelab_frame_table, at the end of
 * this file: an entry each, holding one page reference) and page_private()
 * counts those entries: its owners, changed only under the frame's page
 * lock.  Each PTE mapping it holds another reference; any
 * reference beyond owners and PTEs is a pin (GUP: O_DIRECT, vmsplice,
 * process_vm_writev) or a transient lookup.
 *
 * Every frame counts once in pagelab_stats.pages_held, capped module-wide
 * by max_pages (a frame over the cap is refused: the fault gets SIGBUS, as
 * a full tmpfs gives), and is charged to the allocating task's memory
 * cgroup (__GFP_ACCOUNT).  The counters keep
 * pages_allocated - pages_freed == pages_held.
 *
 * Nothing here takes an object's lock; callers hold what their object
 * needs (see object.c for the lock order).
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "pagelab.h"

/**
 * pagelab_frame_prealloc() - a zeroed page that may become a frame
 *
 * For a caller about to take a lock under which it may need a frame: the
 * allocation and its zeroing happen before, with no lock held.  The page
 * is charged to the caller's memory cgroup but not counted in the page
 * cap, and not locked: pagelab_frame_make() turns it into a frame (and
 * checks the cap then), put_page() gives it back unused.  It is only
 * worth trying: no hard reclaim and no OOM kill for a page the caller may
 * not need (another fault's frame may be there); NULL then, and
 * pagelab_frame_make() allocates for good.
 *
 * Return: the page, or NULL.
 */
struct page *pagelab_frame_prealloc(void)
{
	return alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_ZERO | __GFP_NORETRY |
			  __GFP_NOWARN);
}

/**
 * pagelab_frame_make() - a new frame, charged to the page cap
 * @pre: a page from pagelab_frame_prealloc() to make the frame of (used
 *       or given back here, whatever the outcome), or NULL to allocate one
 * @zero: fill it with zeros (else its contents are the caller's to set)
 * @site: the fault-injection site that may fail the allocation
 * @err: out, on failure: -ENOSPC at the page cap, -ENOMEM without memory
 *
 * The frame comes locked (nobody else can see it yet), with one owner
 * (page_private() 1: the entry it is meant for) and its one reference.
 * Give it back with pagelab_frame_discard() if it is never used.
 *
 * Return: the frame, or NULL with *@err set.
 */
struct page *pagelab_frame_make(struct page *pre, bool zero, enum pagelab_fail_site site,
				int *err)
{
	struct page *page = NULL;

	if (atomic64_inc_return(&pagelab_stats.pages_held) > READ_ONCE(pagelab_max_pages)) {
		*err = -ENOSPC;
		goto out_uncount;
	}
	if (!pagelab_should_fail(site)) {
		page = pre ? pre : alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT |
					      (zero ? __GFP_ZERO : 0));
		pre = NULL;
	}
	if (!page) {
		*err = -ENOMEM;
		goto out_uncount;
	}
	__folio_set_locked(page_folio(page));
	set_page_private(page, 1);
	atomic64_inc(&pagelab_stats.pages_allocated);
	return page;

out_uncount:
	atomic64_dec(&pagelab_stats.pages_held);
	if (pre)
		put_page(pre);
	return NULL;
}

/**
 * pagelab_frame_fault_code() - the fault code for a pagelab_frame_new() error
 * @obj: the object the fault was for (its sigbus counter counts the cap)
 * @err: -ENOSPC or -ENOMEM
 *
 * Return: VM_FAULT_SIGBUS at the page cap (the kernel retries a fault that
 * returns VM_FAULT_OOM outside a memory cgroup OOM forever), VM_FAULT_OOM
 * without memory.
 */
vm_fault_t pagelab_frame_fault_code(struct pagelab_object *obj, int err)
{
	if (err == -ENOSPC) {
		atomic64_inc(&obj->count.sigbus);
		return VM_FAULT_SIGBUS;
	}
	return VM_FAULT_OOM;
}

/**
 * pagelab_frame_discard() - give back a locked frame that has no owner left
 * @page: the frame, locked, holding only its last owner's reference (and
 *        maybe others' that are about to go)
 *
 * For a frame from pagelab_frame_new() never stored, or one whose last
 * entry was just erased: it leaves the page cap's count and the reference
 * goes.
 */
void pagelab_frame_discard(struct page *page)
{
	set_page_private(page, 0);
	unlock_page(page);
	put_page(page);
	atomic64_dec(&pagelab_stats.pages_held);
	atomic64_inc(&pagelab_stats.pages_freed);
}

/**
 * pagelab_frame_disown() - one entry lets go of its frame
 * @page: the frame, locked by the caller
 *
 * The entry's page reference is the caller's to drop, after unlocking.
 *
 * Return: true if that was the last owner (the frame left the page cap's
 * count).
 */
bool pagelab_frame_disown(struct page *page)
{
	unsigned long owners = page_private(page);

	if (WARN_ON_ONCE(!owners))
		return false;
	set_page_private(page, owners - 1);
	if (owners > 1)
		return false;
	atomic64_inc(&pagelab_stats.pages_freed);
	atomic64_dec(&pagelab_stats.pages_held);
	return true;
}

/**
 * pagelab_frame_share() - one more entry holds a frame
 * @page: the frame, locked by the caller
 *
 * Takes the new entry's page reference.
 */
void pagelab_frame_share(struct page *page)
{
	get_page(page);
	set_page_private(page, page_private(page) + 1);
}

/**
 * pagelab_frame_pinned() - does a locked frame have references beyond its
 * owners and mappings?
 * @page: the frame, locked
 * @extra: references the caller itself holds
 *
 * Each entry holding the frame has one reference, each PTE mapping it one
 * more; anything else is a GUP pin (O_DIRECT, process_vm_writev) or a
 * transient lookup.  Such a frame may be written behind the module's back,
 * so it is never shared: clone copies it, merge skips it, and replacement
 * does not choose it.
 *
 * Return: true if @page has references it cannot account for.
 */
bool pagelab_frame_pinned(struct page *page, unsigned int extra)
{
	return page_count(page) > page_private(page) + pagelab_page_mapcount(page) + extra;
}
EXPORT_SYMBOL_NS_GPL(pagelab_frame_pinned, PAGELAB_KUNIT_NS);

/* ---- an object's entries: the frame table ------------------------------- */

static pgoff_t pagelab_frame_nchunks(const struct pagelab_object *obj)
{
	return DIV_ROUND_UP(obj->npages, PAGELAB_CHUNK);
}

/**
 * pagelab_frame_table_init() - an empty table for @obj's npages
 * @obj: a new object, npages set
 *
 * Return: 0 or -ENOMEM.
 */
int pagelab_frame_table_init(struct pagelab_object *obj)
{
	pgoff_t n = pagelab_frame_nchunks(obj);

	/* No warning for a size no kvmalloc() gives: an -ENOMEM for the creator. */
	obj->table.chunks = kvcalloc(n, sizeof(*obj->table.chunks),
				     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	obj->table.marks = kvcalloc(n, sizeof(*obj->table.marks),
				    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (obj->table.chunks && obj->table.marks && !pagelab_huge_table_init(obj))
		return 0;
	pagelab_frame_table_free(obj);
	return -ENOMEM;
}

/**
 * pagelab_frame_table_free() - free @obj's table (its frames are not touched)
 * @obj: an object no lockless reader can reach any more (after an RCU
 *       grace period), or one never seen
 */
void pagelab_frame_table_free(struct pagelab_object *obj)
{
	pgoff_t c;

	if (obj->table.chunks && obj->table.marks) {
		for (c = 0; c < pagelab_frame_nchunks(obj); c++) {
			kfree(obj->table.chunks[c]);
			kfree(obj->table.marks[c]);
		}
	}
	kvfree(obj->table.chunks);
	kvfree(obj->table.marks);
	bitmap_free(obj->table.intact);
	obj->table.chunks = NULL;
	obj->table.marks = NULL;
	obj->table.intact = NULL;
}

/**
 * __pagelab_frame_set() - pagelab_frame_set() where it is more than a store
 * @obj: see pagelab_frame_set()
 * @index: see pagelab_frame_set()
 * @page: see pagelab_frame_set()
 * @gfp: see pagelab_frame_set()
 *
 * Return: see pagelab_frame_set().
 */
int __pagelab_frame_set(struct pagelab_object *obj, pgoff_t index, struct page *page, gfp_t gfp)
{
	pgoff_t c = index >> PAGELAB_CHUNK_SHIFT, i = index & (PAGELAB_CHUNK - 1);
	struct pagelab_chunk_marks *marks;
	struct page **chunk;
	unsigned int m;

	if (WARN_ON_ONCE(index >= obj->npages))
		return -EINVAL;
	chunk = obj->table.chunks[c];
	if (!page) {
		if (chunk) {
			for (m = 0; m < PAGELAB_NR_MARKS; m++)
				clear_bit(i, obj->table.marks[c]->bits[m]);
			WRITE_ONCE(chunk[i], NULL);
		}
		return 0;
	}
	if (!chunk) {
		size_t n = min_t(pgoff_t, PAGELAB_CHUNK, obj->npages - (c << PAGELAB_CHUNK_SHIFT));

		marks = kzalloc(sizeof(*marks), gfp);
		chunk = kcalloc(n, sizeof(*chunk), gfp);
		if (!marks || !chunk) {
			kfree(marks);
			kfree(chunk);
			return -ENOMEM;
		}
		/* Release: lockless readers see the marks zeroed... */
		smp_store_release(&obj->table.marks[c], marks);
		/* ...and before the chunk, itself zeroed. */
		smp_store_release(&obj->table.chunks[c], chunk);
	}
	/* Release: the frame's contents before the entry that shows it. */
	smp_store_release(&chunk[i], page);
	return 0;
}

/**
 * pagelab_frame_find() - the first entry at or after *@index, up to @last
 * @obj: the object (no lock needed: the answer may be stale, as a lookup's)
 * @index: in: where to start; out: the entry's index
 * @last: the last index to look at
 * @mark: only entries with this mark (enum pagelab_mark), or -1 for any
 *
 * Return: the entry's frame (no reference taken), or NULL if none.
 */
struct page *pagelab_frame_find(struct pagelab_object *obj, pgoff_t *index, pgoff_t last,
				int mark)
{
	pgoff_t idx = *index;

	if (!obj->npages)
		return NULL;
	if (last >= obj->npages)
		last = obj->npages - 1;
	while (idx <= last) {
		pgoff_t c = idx >> PAGELAB_CHUNK_SHIFT, base = c << PAGELAB_CHUNK_SHIFT;
		pgoff_t end = min_t(pgoff_t, last - base + 1, PAGELAB_CHUNK);
		struct page **chunk = READ_ONCE(obj->table.chunks[c]);
		struct pagelab_chunk_marks *m = READ_ONCE(obj->table.marks[c]);
		pgoff_t i = idx - base;

		if (chunk && m && mark >= 0) {
			const unsigned long *bits = m->bits[mark];

			for (i = find_next_bit(bits, end, i); i < end;
			     i = find_next_bit(bits, end, i + 1)) {
				struct page *page = READ_ONCE(chunk[i]);

				if (page) {
					*index = base + i;
					return page;
				}
			}
		} else if (chunk && mark < 0) {
			for (; i < end; i++) {
				struct page *page = READ_ONCE(chunk[i]);

				if (page) {
					*index = base + i;
					return page;
				}
			}
		}
		idx = base + PAGELAB_CHUNK;
		if (idx <= base)	/* wrapped */
			break;
	}
	return NULL;
}
