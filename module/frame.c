// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - frames: the module's own pages, who owns them, what they cost.
 *
 * A frame is a page pagelab allocated for an object's data.  It sits in
 * one or more objects' xarrays (an entry each, holding one page reference)
 * and page_private() counts those entries: its owners, changed only under
 * the frame's page lock.  Each PTE mapping it holds another reference; any
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
 * pagelab_frame_new() - a new frame, charged to the page cap
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
struct page *pagelab_frame_new(bool zero, enum pagelab_fail_site site, int *err)
{
	struct page *page;

	if (atomic64_inc_return(&pagelab_stats.pages_held) > READ_ONCE(pagelab_max_pages)) {
		atomic64_dec(&pagelab_stats.pages_held);
		*err = -ENOSPC;
		return NULL;
	}
	page = pagelab_should_fail(site) ? NULL :
	       alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT | (zero ? __GFP_ZERO : 0));
	if (!page) {
		atomic64_dec(&pagelab_stats.pages_held);
		*err = -ENOMEM;
		return NULL;
	}
	__folio_set_locked(page_folio(page));
	set_page_private(page, 1);
	atomic64_inc(&pagelab_stats.pages_allocated);
	return page;
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
