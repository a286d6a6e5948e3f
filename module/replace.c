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
 * Dirty tracking: a budgeted page is marked dirty (PAGELAB_MARK_DIRTY) when
 * a write maps it writable: a write fault, or ->page_mkwrite on its
 * read-only PTE (every PTE of a shared mapping starts read-only).  An
 * eviction writes back only dirty pages or pages the store lacks.
 *
 * Backing file: with PAGELAB_REPLACE_FILE the store is a file the user
 * names, page N at offset N * PAGE_SIZE, and a bitmap says which pages it
 * holds.  The kernel takes a file's locks (i_rwsem, sb_writers) before
 * mmap_lock -- a write(2) from a mapped buffer faults while holding them --
 * so the file is never read or written under mmap_lock or the object's
 * lock.  A fault that needs it (a dirty victim to write, a page to read;
 * also any page-in while a page-in delay is set) does the bookkeeping under
 * the lock, lets go of it and of mmap_lock, sleeps the page-in delay
 * itself, then queues the file's I/O on pagelab_io_wq and waits for it
 * killably, or finishes a page-in from the module's store itself, and
 * returns VM_FAULT_RETRY, as filemap_fault() does.  The file is never
 * written or read by the faulting task: a write(2) from a mapped buffer
 * faults holding the file system's sb_writers and the file's i_rwsem,
 * which the I/O may take again; the worker holds no lock of the faulting
 * task, and the faulting task's wait stays killable whatever the I/O
 * waits for.  Before a miss begins anything it takes one of the
 * PAGELAB_IO_PER_USER slots on that workqueue of the login that set the
 * store, and one of its container's (with none free it waits for one,
 * killably, mmap_lock and the object's lock let go, and retries), so I/O
 * that never ends (below) holds up that login's stores only.  The delay is
 * never slept by the worker, so no user's delays queue another's I/O.  A
 * fault that may not let go of mmap_lock (FAULT_FLAG_ALLOW_RETRY clear:
 * some GUP callers, as /proc/PID/mem), or a kernel thread's (it cannot be
 * killed), queues the whole load and waits for it killably with mmap_lock
 * held, PAGELAB_IO_WAIT_MAX at most; it gets no page-in delay and never
 * waits for a slot (never slept with mmap_lock held): with the owner's
 * slots all taken it gets SIGBUS.
 * The I/O runs with the credentials of the task that set the
 * store (which reopened the file with them).  One
 * such I/O per object is under way at a time (io_busy): misses, and faults
 * on the victim being written, wait for it; hits go on.  The victim stays
 * in the object, unmapped, until its write is done, so a failed write
 * loses nothing (it stays, dirty; the fault that wanted the frame gets
 * SIGBUS); a failed or short read gives SIGBUS too.  The victim is not
 * locked meanwhile: the worker takes the object's lock, and paths holding
 * that lock sleep on page locks.  Its data cannot change: it is unmapped,
 * unpinned, and every fault on it waits -- a copy-on-write break of it
 * too, whatever budget the breaking fault saw without the lock
 * (pagelab_obj_cow_break() looks under it) -- and the I/O holds a
 * reference of its own, checked against the object's entry before the
 * victim is let go.  A miss that finds every frame locked or pinned looks
 * again a jiffy later with no lock held (mmap_lock let go, as for the I/O
 * waits), for up to PAGELAB_RP_BUSY_MS, then gets SIGBUS; one victim
 * search costs O(budget log budget) however many frames are busy.  What
 * this cannot prevent: a
 * task that holds the backing file's own locks (a write(2) to that file
 * from the object's mapping) and faults waits for a worker that needs
 * them, until it is killed; so does I/O to a FUSE file whose server does
 * not answer.  Each holds one of its user's slots meanwhile; a backing
 * file nobody else may open (mode 0600) keeps other users from holding
 * its locks.
 * PAGELAB_IOC_REPLACE does its own file I/O (evictions over a lowered
 * budget, page-ins when the budget goes) with the object's lock let go
 * the same way; it holds no mmap_lock.
 *
 * Locking: everything here runs under pagelab_object.lock, which the
 * budgeted fault path takes for the whole fault but for the waits above;
 * the victim's page lock is only ever tried (the faulting page is not
 * locked yet at that point).  Lock order: mmap_lock (or the VMA's read
 * lock: a fault may hold either, and lets go of the one it holds) ->
 * pagelab_object.lock -> page lock; the backing file's locks are taken
 * with none of them.
 * Frames shared with another object (a budget on a clone) count in full
 * toward the budget; evicting one stores this object's copy and lets go of
 * the frame, which the other holders keep.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <asm/ptrace.h>

#include "compat.h"
#include "pagelab.h"
#include "trace.h"

unsigned long pagelab_max_store_pages = 262144;
module_param_named(max_store_pages, pagelab_max_store_pages, ulong, 0644);
MODULE_PARM_DESC(max_store_pages, "Cap on pages in the page store, module-wide (default 262144 = 1 GiB)");

#define PAGELAB_NO_PAGE		ULONG_MAX
/*
 * A miss finding every frame busy looks again, a jiffy apart, with no lock
 * held, for this long; then it gets SIGBUS.
 */
#define PAGELAB_RP_BUSY_MS	800
/* Picks (O(budget) each) a victim search makes before sorting the rest. */
#define PAGELAB_RP_PICKS	4

/* Runs the backing file's I/O for faults, with no lock held. */
static struct workqueue_struct *pagelab_io_wq;

/*
 * File I/O on pagelab_io_wq at once, per login that set the stores, by
 * value in an xarray indexed by the login's part of pagelab_io_user_key();
 * its own xa_lock guards it.  Some I/O
 * waits until its task dies: a write(2) to a backing file from its own
 * object's mapping holds the file's i_rwsem, which the write-back its
 * fault waits for needs; a FUSE store's server may never answer.  The cap
 * keeps one user's stuck I/O from filling the workqueue's max_active
 * that every user's I/O shares: filling it takes PAGELAB_IO_MAX_ACTIVE /
 * PAGELAB_IO_PER_USER logins.  A container (a user namespace root made)
 * has as many uids as root mapped into it, each a login: its logins share
 * PAGELAB_IO_PER_CONTAINER slots besides, counted in the same xarray at
 * the key's container part, so filling the workqueue takes
 * PAGELAB_IO_MAX_ACTIVE / PAGELAB_IO_PER_CONTAINER containers, which only
 * root makes.  A slot is taken before a miss on an object
 * with a backing file starts anything; with none free the fault waits
 * for one, mmap_lock let go (killably, on its user's key), and retries.
 */
#define PAGELAB_IO_PER_USER	4
#define PAGELAB_IO_PER_CONTAINER 32
#define PAGELAB_IO_NO_USER	ULONG_MAX	/* holds no slot */
#define PAGELAB_IO_MAX_ACTIVE	512
static DEFINE_XARRAY(pagelab_io_users);
/* Wait keys (wait_var_event()): users hashed over them, woken per key. */
static u8 pagelab_io_user_keys[64];

/*
 * Whom a backing file's I/O is charged to: the login that set the store
 * (called then, by PAGELAB_IOC_REPLACE), whoever faults -- only that
 * login (or root) can make its I/O stick: a FUSE server of its own, a
 * write(2) from the object's mapping into a file only it may open.  The
 * login is the real uid, or inside user namespaces the owner of the
 * outermost one a user made (the uids a login maps with newuidmap are
 * all its own).  Namespaces root made (containers) keep their own uids,
 * and the outermost of them is the login's container.  The key: the
 * container's inode number (0: none) in the high 32 bits, the login's
 * kuid in the low ones.  The store's file, opened with the setter's
 * credentials, keeps its user namespaces (and so their numbers) alive
 * while the object holds it; a number can be reused only when the store
 * changes while its last I/O is still giving its slot back, and that
 * put then lands on the same index it was taken from.
 */
static unsigned long pagelab_io_user_key(void)
{
	const struct cred *cred = current_real_cred();
	const struct user_namespace *ns;
	kuid_t uid = cred->uid;
	unsigned long container = 0;
	bool login = true;

	BUILD_BUG_ON(BITS_PER_LONG < 64);
	for (ns = cred->user_ns; ns != &init_user_ns; ns = ns->parent) {
		if (uid_eq(ns->owner, GLOBAL_ROOT_UID)) {
			container = ns->ns.inum;
			login = false;
		} else if (login) {
			uid = ns->owner;
		}
	}
	return container << 32 | __kuid_val(uid);
}

/* The xarray indexes of @key's login and of its container (0: none). */
static unsigned long pagelab_io_login(unsigned long key)
{
	return key & U32_MAX;
}

static unsigned long pagelab_io_container(unsigned long key)
{
	return key & ~(unsigned long)U32_MAX;
}

/* The wait key (wait_var_event()) of xarray index @idx: a login's or a container's. */
static void *pagelab_io_user_wait_key(unsigned long idx)
{
	return &pagelab_io_user_keys[hash_long(idx, ilog2(ARRAY_SIZE(pagelab_io_user_keys)))];
}

static unsigned long pagelab_io_slot_count(unsigned long idx)
{
	void *n = xa_load(&pagelab_io_users, idx);

	return n ? xa_to_value(n) : 0;
}

/* Take one of index @idx's @cap slots if one is free: 1, 0 (none), or -ENOMEM. */
static int pagelab_io_slot_tryget(unsigned long idx, unsigned long cap)
{
	XA_STATE(xas, &pagelab_io_users, idx);
	unsigned long n;
	int got;

	do {
		xas_lock(&xas);
		n = xa_to_value(xas_load(&xas) ?: xa_mk_value(0));
		got = n < cap;
		if (got)
			xas_store(&xas, xa_mk_value(n + 1));
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL_ACCOUNT));
	return xas_error(&xas) ?: got;
}

static void pagelab_io_slot_put(unsigned long idx)
{
	XA_STATE(xas, &pagelab_io_users, idx);
	unsigned long n;

	xas_lock(&xas);
	n = xa_to_value(xas_load(&xas));
	WARN_ON_ONCE(!n);
	/* Storing into the present entry, or erasing it, allocates nothing. */
	xas_store(&xas, n > 1 ? xa_mk_value(n - 1) : NULL);
	xas_unlock(&xas);
}

/* Wake whoever may wait for a slot @key gave back (its login's, its container's). */
static void pagelab_io_user_wake(unsigned long key)
{
	/* wake_up_var() looks at the queue unlocked: the count first (wait_bit.c). */
	smp_mb();
	wake_up_var(pagelab_io_user_wait_key(pagelab_io_login(key)));
	if (pagelab_io_container(key))
		wake_up_var(pagelab_io_user_wait_key(pagelab_io_container(key)));
}

/*
 * Take a slot of @key's login, then one of its container's: both, or
 * neither (1), 0 (one of them has none free), or -ENOMEM.  Between the
 * two, another fault of the login may find its slots taken for a moment:
 * it waits, and the give-back below wakes it.
 */
static int pagelab_io_user_tryget(unsigned long key)
{
	unsigned long c = pagelab_io_container(key);
	int got;

	got = pagelab_io_slot_tryget(pagelab_io_login(key), PAGELAB_IO_PER_USER);
	if (got <= 0 || !c)
		return got;
	got = pagelab_io_slot_tryget(c, PAGELAB_IO_PER_CONTAINER);
	if (got <= 0) {
		pagelab_io_slot_put(pagelab_io_login(key));
		pagelab_io_user_wake(key);
	}
	return got;
}

static void pagelab_io_user_put(unsigned long key)
{
	pagelab_io_slot_put(pagelab_io_login(key));
	if (pagelab_io_container(key))
		pagelab_io_slot_put(pagelab_io_container(key));
	pagelab_io_user_wake(key);
}

/*
 * Wait, killably (mmap_lock let go), until what kept @key from a slot has
 * one free (its login's, else its container's), or @rp's store changed
 * since its generation @gen (the slots it needs may be another user's
 * now).  The fault retries then, and waits again if still refused.
 */
static void pagelab_io_user_wait(unsigned long key, struct pagelab_replacer *rp,
				 unsigned int gen)
{
	unsigned long login = pagelab_io_login(key), c = pagelab_io_container(key);

	if (pagelab_io_slot_count(login) >= PAGELAB_IO_PER_USER)
		wait_var_event_killable(pagelab_io_user_wait_key(login),
					pagelab_io_slot_count(login) < PAGELAB_IO_PER_USER ||
					READ_ONCE(rp->store_gen) != gen);
	else if (c)
		wait_var_event_killable(pagelab_io_user_wait_key(c),
					pagelab_io_slot_count(c) < PAGELAB_IO_PER_CONTAINER ||
					READ_ONCE(rp->store_gen) != gen);
}

/*
 * Backing files in use, by inode address: one object each, or their pages
 * would land on each other's.  Its own xa_lock guards it.
 */
static DEFINE_XARRAY(pagelab_store_inodes);

/* Let go of a backing file: it may back another object now. */
static void pagelab_rp_put_file(struct file *file)
{
	xa_erase(&pagelab_store_inodes, (unsigned long)file_inode(file));
	fput(file);
}

static void pagelab_rp_io_work(struct work_struct *work);
static int pagelab_rp_rebuild(struct pagelab_object *obj, struct pagelab_replacer *rp,
			      unsigned int budget);

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
EXPORT_SYMBOL_NS_GPL(pagelab_rp_pick, PAGELAB_KUNIT_NS);

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
EXPORT_SYMBOL_NS_GPL(pagelab_rp_load_slot, PAGELAB_KUNIT_NS);

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
EXPORT_SYMBOL_NS_GPL(pagelab_rp_touch, PAGELAB_KUNIT_NS);

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
	/* First: pagelab_rp_free() below takes the store's lock. */
	xa_init(&rp->store);
	init_waitqueue_head(&rp->io_wq);
	INIT_WORK(&rp->io.work, pagelab_rp_io_work);
	rp->pg = kvcalloc(npages, sizeof(*rp->pg), GFP_KERNEL_ACCOUNT);
	rp->slots = kvcalloc(npages, sizeof(*rp->slots), GFP_KERNEL_ACCOUNT);
	rp->cleared = kvcalloc(npages, sizeof(*rp->cleared), GFP_KERNEL_ACCOUNT);
	rp->skip = bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	rp->order = kvcalloc(npages, sizeof(*rp->order), GFP_KERNEL_ACCOUNT);
	rp->in_file = bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	/* Injected at the last allocation: the unwind of the others runs. */
	rp->io_err = pagelab_should_fail(PAGELAB_FAIL_REPLACER) ? NULL :
		     bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	if (!rp->pg || !rp->slots || !rp->cleared || !rp->skip || !rp->order || !rp->in_file ||
	    !rp->io_err) {
		pagelab_rp_free(rp);
		return NULL;
	}
	rp->npages = npages;
	rp->last = PAGELAB_NO_PAGE;
	rp->io.victim = PAGELAB_NO_PAGE;
	return rp;
}
EXPORT_SYMBOL_NS_GPL(pagelab_rp_alloc, PAGELAB_KUNIT_NS);

/**
 * pagelab_rp_drop() - empty a replacer's store and let go of its file
 * @rp: the replacer, or NULL; no I/O of it under way (that holds a file
 *      of the object)
 *
 * Process context.  What is left is memory only: pagelab_rp_free_mem().
 */
void pagelab_rp_drop(struct pagelab_replacer *rp)
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
	if (rp->file)
		pagelab_rp_put_file(rp->file);
	rp->file = NULL;
	mem_cgroup_put(rp->io_memcg);
	rp->io_memcg = NULL;
}

/**
 * pagelab_rp_free_mem() - free a dropped replacer's memory
 * @rp: the replacer, or NULL
 *
 * Any context (an RCU callback frees it after lockless stat readers).
 */
void pagelab_rp_free_mem(struct pagelab_replacer *rp)
{
	if (!rp)
		return;
	bitmap_free(rp->io_err);
	bitmap_free(rp->in_file);
	kvfree(rp->order);
	bitmap_free(rp->skip);
	kvfree(rp->cleared);
	kvfree(rp->slots);
	kvfree(rp->pg);
	kfree(rp);
}

/**
 * pagelab_rp_free() - free a replacer and its store
 * @rp: the replacer, or NULL; no I/O of it under way
 */
void pagelab_rp_free(struct pagelab_replacer *rp)
{
	pagelab_rp_drop(rp);
	pagelab_rp_free_mem(rp);
}
EXPORT_SYMBOL_NS_GPL(pagelab_rp_free, PAGELAB_KUNIT_NS);

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

/* Does the store hold a current copy of page @index? */
static bool pagelab_rp_stored(struct pagelab_replacer *rp, pgoff_t index)
{
	return rp->file ? test_bit(index, rp->in_file) : !!xa_load(&rp->store, index);
}

/**
 * pagelab_rp_budgeted_locked() - does @obj have a frame budget?
 * @obj: the object, its lock held (the answer holds until it is let go)
 *
 * Return: true if a budget is in force.
 */
bool pagelab_rp_budgeted_locked(struct pagelab_object *obj)
{
	lockdep_assert_held(&obj->lock);
	return obj->rp && obj->rp->budget;
}

/**
 * pagelab_rp_stored_locked() - is page @index of @obj paged out?
 * @obj: the object, its lock held
 * @index: the page
 *
 * Return: true if @obj holds no frame at @index and its store holds the
 * page's contents (a fault there pages it in).
 */
bool pagelab_rp_stored_locked(struct pagelab_object *obj, pgoff_t index)
{
	lockdep_assert_held(&obj->lock);
	return obj->rp && index < obj->rp->npages && !pagelab_frame_at(obj, index) &&
	       pagelab_rp_stored(obj->rp, index);
}

/**
 * pagelab_rp_io_victim() - is page @index of @obj being written to the store?
 * @obj: the object, its lock held
 * @index: the page
 *
 * Its frame stays in the object, unlocked, while the write runs with no
 * lock held: nothing may change or drop it meanwhile.
 *
 * Return: true while that write is under way.
 */
bool pagelab_rp_io_victim(struct pagelab_object *obj, pgoff_t index)
{
	lockdep_assert_held(&obj->lock);
	return obj->rp && obj->rp->io_busy && obj->rp->io.victim == index;
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
 * Read or write page @index of @rp's backing file from or into @page.
 * Runs with no lock held (the file's own locks rank above mmap_lock).  0,
 * or a negative errno; a short transfer is -EIO, and so is any I/O while
 * the file is shorter than the object (someone truncated it: a write-back
 * would make a hole of the pages stored past the new end, read as zeros).
 */
static int pagelab_rp_file_io(struct pagelab_replacer *rp, struct page *page, pgoff_t index,
			      bool write, bool fail)
{
	loff_t pos = (loff_t)index << PAGE_SHIFT;
	struct file *file = rp->file;
	void *addr;
	ssize_t n;

	if (fail || i_size_read(file_inode(file)) < (loff_t)rp->npages << PAGE_SHIFT)
		return -EIO;
	addr = kmap_local_page(page);

	if (write)
		n = kernel_write(file, addr, PAGE_SIZE, &pos);
	else
		n = kernel_read(file, addr, PAGE_SIZE, &pos);
	kunmap_local(addr);
	if (n == PAGE_SIZE)
		return 0;
	return n < 0 ? n : -EIO;
}

/*
 * A frame for a page under the budget, locked, its one reference the
 * entry's-to-be; counted in pages_held.  NULL over the page cap
 * (*@ret = VM_FAULT_SIGBUS) or without memory (VM_FAULT_OOM).
 */
static struct page *pagelab_rp_new_frame(struct pagelab_object *obj, vm_fault_t *ret)
{
	struct page *page;
	int err;

	page = pagelab_frame_new(false, PAGELAB_FAIL_FRAME, &err);
	if (!page) {
		*ret = pagelab_frame_fault_code(obj, err);
		return NULL;
	}
	atomic64_inc(&obj->count.allocs);
	return page;
}

/* Give back a locked frame from pagelab_rp_new_frame() or a victim's, unused. */
static void pagelab_rp_drop_frame(struct page *page)
{
	pagelab_frame_discard(page);
}

/*
 * Slot @s's page as the victim: true with its frame locked and unmapped
 * from every process (*@pagep) and *@dirty set (written since it was last
 * stored, or never stored); false when its frame is locked or held
 * beyond its owners and mappers (a GUP pin may still write it).
 */
static bool pagelab_rp_try_victim(struct pagelab_object *obj, struct pagelab_replacer *rp,
				  unsigned int s, struct page **pagep, bool *dirty)
{
	pgoff_t v = rp->slots[s];
	struct page *page = pagelab_frame_at(obj, v);

	if (WARN_ON_ONCE(!page) || !trylock_page(page))
		return false;
	/* Held beyond its owners and PTEs even before the unmap: no need to try. */
	if (!pagelab_frame_pinned(page, 0)) {
		unmap_mapping_pages(obj->mapping, v, 1, false);
		if (!pagelab_frame_pinned(page, 0)) {
			*dirty = pagelab_frame_mark(obj, v, PAGELAB_MARK_DIRTY) ||
				 !pagelab_rp_stored(rp, v);
			*pagep = page;
			return true;
		}
	}
	unlock_page(page);
	return false;
}

/* Sort slots by the page each holds, the policy's victim first (ties: lower slot). */
static int pagelab_rp_cmp(const void *x, const void *y, const void *priv)
{
	const struct pagelab_replacer *rp = priv;
	unsigned int sx = *(const unsigned int *)x, sy = *(const unsigned int *)y;
	const struct pagelab_rp_page *a = &rp->pg[rp->slots[sx]];
	const struct pagelab_rp_page *b = &rp->pg[rp->slots[sy]];
	u64 ka = a->loaded, kb = b->loaded;

	if (rp->policy == PAGELAB_POLICY_LRU) {
		ka = a->last_ref;
		kb = b->last_ref;
	} else if (rp->policy == PAGELAB_POLICY_LFU && a->refs != b->refs) {
		ka = a->refs;
		kb = b->refs;
	}
	if (ka != kb)
		return ka < kb ? -1 : 1;
	return sx < sy ? -1 : 1;
}

/*
 * The slots a pick could still choose, in @rp->order, in the order the
 * policy gives them up (RANDOM: every one, from a random slot on).  One
 * pass and a sort: the rest of a search costs O(budget log budget), not a
 * pick, O(budget), per frame found busy.
 */
static unsigned int pagelab_rp_order(struct pagelab_replacer *rp)
{
	unsigned int i, s, n = 0, start = 0;

	if (rp->policy == PAGELAB_POLICY_RANDOM)
		start = prandom_u32_state(&rp->rnd) % rp->budget;
	for (i = 0; i < rp->budget; i++) {
		s = (start + i) % rp->budget;
		if (!test_bit(s, rp->skip) && rp->slots[s] != PAGELAB_NO_PAGE)
			rp->order[n++] = s;
	}
	if (rp->policy != PAGELAB_POLICY_RANDOM)
		sort_r(rp->order, n, sizeof(*rp->order), pagelab_rp_cmp, NULL, rp);
	return n;
}

/* CLOCK's cleared reference bits: those pages fault on their next access. */
static void pagelab_rp_unmap_cleared(struct pagelab_object *obj, struct pagelab_replacer *rp)
{
	unsigned int i;

	for (i = 0; i < rp->ncleared; i++)
		unmap_mapping_pages(obj->mapping, rp->cleared[i], 1, false);
}

/*
 * Try slot @s as the victim (see pagelab_rp_try_victim()); once the module's
 * store was found full in this eviction (@rp->no_room), a page it holds no
 * copy of cannot go, and is passed over before its PTEs are touched.
 */
static bool pagelab_rp_try_slot(struct pagelab_object *obj, struct pagelab_replacer *rp,
				unsigned int s, struct page **pagep, bool *dirty)
{
	if (rp->no_room && !rp->file && !xa_load(&rp->store, rp->slots[s]))
		return false;
	if (pagelab_rp_try_victim(obj, rp, s, pagep, dirty))
		return true;
	rp->busy_seen = true;
	return false;
}

/*
 * The policy's victim: its slot, its frame locked and unmapped from every
 * process (*@pagep), and whether it must be written out (*@dirty).  Slots
 * in @rp->skip are passed over, and so are frames locked or pinned now
 * (added to it), and with @rp->no_room pages the store has no room for.
 * The first choice is the policy's pick; when that frame is busy, the
 * rest are tried in the policy's order (CLOCK: its hand goes on, which
 * costs O(budget) in all).  -EBUSY when no slot is left.
 */
static int pagelab_rp_take_victim(struct pagelab_object *obj, struct pagelab_replacer *rp,
				  struct page **pagep, bool *dirty)
{
	unsigned int n = 0, next = 0, picks = 0;
	bool ordered = false;
	int s;

	lockdep_assert_held(&obj->lock);
	if (rp->sweep) {
		while (rp->sweep_next < rp->sweep_n) {
			s = rp->order[rp->sweep_next++];
			if (test_bit(s, rp->skip) || rp->slots[s] == PAGELAB_NO_PAGE)
				continue;
			if (pagelab_rp_try_slot(obj, rp, s, pagep, dirty))
				return s;
			__set_bit(s, rp->skip);
			cond_resched();
		}
		return -EBUSY;
	}
	s = pagelab_rp_pick(rp, rp->skip);
	pagelab_rp_unmap_cleared(obj, rp);
	for (;;) {
		if (s >= 0) {
			if (pagelab_rp_try_slot(obj, rp, s, pagep, dirty))
				return s;
			__set_bit(s, rp->skip);
			cond_resched();
		}
		if (rp->policy == PAGELAB_POLICY_CLOCK) {
			if (s < 0)
				return -EBUSY;
			s = pagelab_rp_pick(rp, rp->skip);
			pagelab_rp_unmap_cleared(obj, rp);
			continue;
		}
		/* A pinned frame or two at the head: a few more picks do. */
		if (s >= 0 && !ordered && ++picks < PAGELAB_RP_PICKS) {
			s = pagelab_rp_pick(rp, rp->skip);
			continue;
		}
		/* Then (or when RANDOM's probes found nothing) the rest, in order. */
		if (!ordered) {
			n = pagelab_rp_order(rp);
			ordered = true;
		}
		if (next >= n)
			return -EBUSY;
		s = rp->order[next++];
	}
}

/*
 * Take victim @v (slot @s, frame @page locked) out of its frame; its copy
 * is in the store now, written (@wrote) or already there.  Returns the
 * frame, still locked and with the entry's reference, when nobody else
 * holds it; else NULL: the other holders keep it.
 */
static struct page *pagelab_rp_release(struct pagelab_object *obj, struct pagelab_replacer *rp,
				       int s, pgoff_t v, struct page *page, bool wrote)
{
	if (wrote) {
		if (rp->file && !__test_and_set_bit(v, rp->in_file))
			atomic_long_inc(&obj->store_pages);
		atomic64_inc(&obj->count.writebacks);
	} else {
		atomic64_inc(&obj->count.clean_drops);
	}
	pagelab_frame_set(obj, v, NULL, 0);
	atomic_long_dec(&obj->resident);
	atomic64_inc(&obj->count.evictions);
	rp->pg[v].slot = -1;
	rp->slots[s] = PAGELAB_NO_PAGE;
	rp->used--;
	if (page_private(page) == 1)
		return page;
	set_page_private(page, page_private(page) - 1);
	unlock_page(page);
	put_page(page);
	return NULL;
}

/*
 * Read or write page @index from or into @page with the object's lock let
 * go (PAGELAB_IOC_REPLACE only: no mmap_lock is held there).  Misses, and
 * faults on @v (a victim being written), wait meanwhile.  @page must not
 * be locked unless nobody else can see it: a page lock is never held while
 * the object's lock is being taken.
 */
static int pagelab_rp_sync_io(struct pagelab_object *obj, struct pagelab_replacer *rp,
			      struct page *page, pgoff_t index, pgoff_t v, bool write)
{
	int err;

	const struct cred *old_cred;
	struct mem_cgroup *old_memcg;
	bool fail = pagelab_should_fail(PAGELAB_FAIL_FILE_IO);

	rp->io_busy = true;
	rp->io.victim = v;
	mutex_unlock(&obj->lock);
	/* As the task that set the store, charging its memcg, like the worker. */
	old_cred = override_creds(rp->file->f_cred);
	old_memcg = set_active_memcg(rp->io_memcg);
	err = pagelab_rp_file_io(rp, page, index, write, fail);
	set_active_memcg(old_memcg);
	revert_creds(old_cred);
	mutex_lock(&obj->lock);
	rp->io_busy = false;
	rp->io.victim = PAGELAB_NO_PAGE;
	rp->io_gen++;
	wake_up_all(&rp->io_wq);
	if (err)
		atomic64_inc(&obj->count.io_errors);
	return err;
}

/*
 * Evict the policy's victim, writing it to the store at once: the
 * module's store, or (only with @may_unlock, from PAGELAB_IOC_REPLACE) the
 * backing file with the lock let go meanwhile.  Returns its slot (now
 * free) and, in *@reuse, its frame, locked and with the entry's reference,
 * when nobody else holds it; or a negative errno: -ENOSPC when no victim
 * could be written (store full), -EIO or the like when the file refused
 * it, -EBUSY when every frame is pinned or locked.
 */
static int pagelab_rp_evict(struct pagelab_object *obj, struct pagelab_replacer *rp,
			    bool may_unlock, struct page **reuse, pgoff_t *victim, int *wb)
{
	struct page *page;
	int s, err = -EBUSY;
	bool dirty;
	pgoff_t v;

	*reuse = NULL;
	bitmap_zero(rp->skip, rp->budget);
	rp->no_room = false;
	rp->busy_seen = false;
	if (!rp->file && !rp->sweep && atomic64_read(&pagelab_stats.store_pages) >=
			 READ_ONCE(pagelab_max_store_pages)) {
		/*
		 * The store is full: pages it has no copy of cannot go.  Out
		 * of the policy's sight from the start, so that CLOCK's hand
		 * neither clears their bits nor unmaps them either.  Not in
		 * a rebuild's sweep: it has unmapped every page already, and
		 * an O(budget) pass per eviction would make it O(budget^2).
		 */
		for (s = 0; s < rp->budget; s++) {
			if (rp->slots[s] != PAGELAB_NO_PAGE &&
			    !xa_load(&rp->store, rp->slots[s])) {
				__set_bit(s, rp->skip);
				rp->no_room = true;
			}
		}
	}
	for (;;) {
		s = pagelab_rp_take_victim(obj, rp, &page, &dirty);
		if (s < 0) {
			/*
			 * Passed over for the store's room only: the store is
			 * full.  A frame held a moment is worth another look.
			 */
			if (!rp->file && rp->busy_seen)
				err = -EBUSY;
			else if (rp->no_room && err == -EBUSY)
				err = -ENOSPC;
			rp->no_room = false;
			return err;
		}
		v = rp->slots[s];
		if (dirty) {
			if (!rp->file) {
				err = pagelab_rp_store(obj, rp, v, page);
				/* Full: only pages with a copy there can go now. */
				if (err == -ENOSPC)
					rp->no_room = true;
			} else if (may_unlock) {
				/*
				 * Unmapped, and faults on @v wait (COW breaks
				 * too): its data stays put.  Our reference keeps
				 * the frame whatever its other holders do.
				 */
				get_page(page);
				pagelab_frame_set_mark(obj, v, PAGELAB_MARK_WRITEBACK);
				unlock_page(page);
				err = pagelab_rp_sync_io(obj, rp, page, v, v, true);
				lock_page(page);
				pagelab_frame_clear_mark(obj, v, PAGELAB_MARK_WRITEBACK);
				if (WARN_ON_ONCE(pagelab_frame_at(obj, v) != page)) {
					/* Never erase or drop what is not the victim. */
					unlock_page(page);
					put_page(page);
					__set_bit(s, rp->skip);
					continue;
				}
				put_page(page);	/* the entry's reference holds it */
			} else {
				err = -EAGAIN;
			}
			if (err) {
				unlock_page(page);
				__set_bit(s, rp->skip);
				continue;
			}
		}
		*victim = v;
		*wb = dirty;
		*reuse = pagelab_rp_release(obj, rp, s, v, page, dirty);
		rp->no_room = false;
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
 * Put @page (locked, filled, its one reference the entry's) at @index in
 * slot @s.  0, or VM_FAULT_OOM (the frame is gone then).
 */
static vm_fault_t pagelab_rp_install(struct pagelab_object *obj, struct pagelab_replacer *rp,
				     unsigned int s, pgoff_t index, struct page *page, bool major,
				     pgoff_t victim, int wb)
{
	set_page_private(page, 1);
	if (pagelab_frame_set(obj, index, page, GFP_KERNEL_ACCOUNT)) {
		/* The frame goes; the page keeps its store copy, if any. */
		pagelab_rp_drop_frame(page);
		return VM_FAULT_OOM;
	}
	__clear_bit(index, rp->io_err);
	atomic_long_inc(&obj->resident);
	atomic64_inc(&obj->count.misses);
	if (major)
		atomic64_inc(&obj->count.page_ins);
	rp->used++;
	pagelab_rp_load_slot(rp, s, index);
	pagelab_rp_event(obj, rp, major ? PAGELAB_EV_PAGEIN : PAGELAB_EV_MISS, index, s, victim,
			 wb);
	/* A zero-page PTE of @index may be mapped elsewhere: it goes. */
	unmap_mapping_pages(obj->mapping, index, 1, false);
	return 0;
}

/*
 * May this fault let go of mmap_lock and wait for I/O as long as it lasts?
 * Not a kernel thread's (a vhost worker on 6.1, USB gadget AIO: a kthread
 * faulting through a borrowed mm): it cannot be killed, and a store's I/O
 * may never end.  It waits as a fault that may not retry does: the worker
 * runs its I/O, with no page-in delay, and past its deadline it gets
 * SIGBUS (pagelab_rp_wait()).
 */
static bool pagelab_rp_may_let_go(const struct vm_fault *vmf)
{
	return vmf->flags & FAULT_FLAG_ALLOW_RETRY && !(current->flags & PF_KTHREAD);
}

/*
 * Begin a load that needs I/O or the page-in delay: the rest runs in
 * pagelab_rp_io_work() with no lock held.  @s: the slot, @vpage/@v: a
 * victim to write out first (locked; NULL: none), @frame: the frame to
 * fill (locked), or NULL to take a new one; *@charged: the user whose
 * slot the I/O holds from now on (PAGELAB_IO_NO_USER after).  0 with the
 * I/O queued, or a fault code (nothing changed then but a victim's frame
 * freed; the slot stays the caller's).
 */
static vm_fault_t pagelab_rp_start_io(struct vm_fault *vmf, struct pagelab_object *obj,
				      struct pagelab_replacer *rp, pgoff_t index, int s,
				      struct page *vpage, pgoff_t v, struct page *frame,
				      pgoff_t evicted, unsigned long *charged)
{
	bool runner = pagelab_rp_may_let_go(vmf) && !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT);
	struct pagelab_rp_io *io = &rp->io;
	vm_fault_t ret;

	if (!frame && !(vpage && page_private(vpage) == 1)) {
		frame = pagelab_rp_new_frame(obj, &ret);
		if (!frame) {
			if (vpage)
				unlock_page(vpage);
			return ret;
		}
	}
	io->index = index;
	io->slot = s;
	io->victim = vpage ? v : PAGELAB_NO_PAGE;
	io->vpage = vpage;
	io->frame = frame ? frame : vpage;
	io->read = pagelab_rp_stored(rp, index);
	io->delay = io->read && rp->delay_ms;
	io->werr = 0;
	io->rerr = 0;
	io->evicted = vpage ? v : evicted;
	/*
	 * The faulting task carries the load on when it may let go of
	 * mmap_lock (see pagelab_rp_fault()); else the worker does, with no
	 * delay (mkwrite never gets here: it leaves I/O to ->fault).
	 */
	io->runner = runner ? current : NULL;
	if (!io->runner)
		io->delay = false;
	/* The I/O gives back its user's slot, taken by pagelab_rp_load(), when done. */
	io->user = *charged;
	*charged = PAGELAB_IO_NO_USER;
	/* Decided here: injection follows the faulting task, not the worker. */
	io->fail = (vpage || (io->read && rp->file)) && pagelab_should_fail(PAGELAB_FAIL_FILE_IO);
	io->pin = get_file(vmf->vma->vm_file);
	/* The I/O's own reference: the worker checks the victim is still there. */
	if (vpage)
		get_page(vpage);
	rp->io_busy = true;
	/*
	 * The worker takes the object's lock while the victim is still in the
	 * object, and paths holding that lock sleep on page locks: the victim
	 * must not stay locked.  Unmapped, unpinned, and with every fault on
	 * it waiting for this I/O, its data cannot change meanwhile.
	 */
	if (vpage) {
		pagelab_frame_set_mark(obj, v, PAGELAB_MARK_WRITEBACK);
		unlock_page(vpage);
	}
	if (!io->runner)
		queue_work(pagelab_io_wq, &io->work);
	return 0;
}

/*
 * Sleep @ms at least, as CLOCK_MONOTONIC (a user's clock_gettime())
 * counts it, or less if the task is killed.  Against an absolute deadline:
 * a wake-up before it sleeps again until it, where counting jiffies left
 * (schedule_timeout()) lost up to a jiffy to each early wake-up.
 */
static void pagelab_rp_delay(unsigned int ms)
{
	ktime_t end = ktime_add_ms(ktime_get(), ms);

	while (!fatal_signal_pending(current) && ktime_before(ktime_get(), end)) {
		set_current_state(TASK_KILLABLE);
		schedule_hrtimeout(&end, HRTIMER_MODE_ABS);
	}
}

/* A load's I/O failed: the fault waiting for it gets SIGBUS. */
static void pagelab_rp_io_failed(struct pagelab_object *obj, struct pagelab_replacer *rp,
				 pgoff_t index)
{
	atomic64_inc(&obj->count.io_errors);
	__set_bit(index, rp->io_err);
}

/*
 * The I/O half of a load, with no lock held: on pagelab_io_wq when it
 * writes or reads the file, else (a page-in from the module's store after
 * its delay) run by the faulting task.  Write the victim to the file, read
 * the page in, then finish under the object's lock and wake the waiting
 * faults.
 */
static void pagelab_rp_io_work(struct work_struct *work)
{
	struct pagelab_replacer *rp = container_of(work, struct pagelab_replacer, io.work);
	struct pagelab_rp_io *io = &rp->io;
	struct file *pin = io->pin;
	struct pagelab_object *obj = pin->private_data;
	struct page *page = io->frame;
	unsigned long user = io->user;
	int wb = -1;

	const struct cred *old_cred = override_creds(rp->file ? rp->file->f_cred : current_cred());
	struct mem_cgroup *old_memcg = set_active_memcg(rp->io_memcg);
	struct page *reuse;
	bool installed;

	/*
	 * With the credentials of the task that set the store (it opened the
	 * file anew), charging its memory cgroup.
	 */
	if (io->vpage)
		io->werr = pagelab_rp_file_io(rp, io->vpage, io->victim, true, io->fail);
	if (!io->werr && io->read && rp->file)
		io->rerr = pagelab_rp_file_io(rp, page, io->index, false, io->fail);
	set_active_memcg(old_memcg);
	revert_creds(old_cred);

	mutex_lock(&obj->lock);
	if (io->vpage) {
		lock_page(io->vpage);
		pagelab_frame_clear_mark(obj, io->victim, PAGELAB_MARK_WRITEBACK);
		/* Faults on the victim waited, COW breaks too: it cannot have left. */
		if (WARN_ON_ONCE(pagelab_frame_at(obj, io->victim) != io->vpage) && !io->werr)
			io->werr = -ESTALE;
	}
	if (io->werr) {
		/* The victim stays, dirty; the fault that wanted its frame fails. */
		if (io->vpage)
			unlock_page(io->vpage);
		if (page != io->vpage)
			pagelab_rp_drop_frame(page);
		pagelab_rp_io_failed(obj, rp, io->index);
		goto out_done;
	}
	if (io->vpage) {
		reuse = pagelab_rp_release(obj, rp, io->slot, io->victim, io->vpage, true);
		wb = 1;
		/*
		 * Shared when the I/O began (so a new frame was taken), the
		 * victim's frame may have lost its other owners meanwhile (a
		 * COW break): then it is nobody's and goes.
		 */
		if (reuse && reuse != page)
			pagelab_rp_drop_frame(reuse);
		if (WARN_ON_ONCE(page == io->vpage && !reuse)) {
			/* Shared meanwhile (cannot happen: no clone or merge of a budget). */
			__set_bit(io->index, rp->io_err);
			goto out_done;
		}
	} else if (io->evicted != PAGELAB_NO_PAGE) {
		wb = 0;
	}
	if (io->rerr) {
		pagelab_rp_drop_frame(page);
		pagelab_rp_io_failed(obj, rp, io->index);
		goto out_done;
	}
	if (io->read && !rp->file)
		copy_highpage(page, xa_load(&rp->store, io->index));
	else if (!io->read)
		clear_highpage(page);
	/* A chunk of the object's table it may need is charged as the frame was. */
	old_memcg = set_active_memcg(rp->io_memcg);
	installed = pagelab_rp_install(obj, rp, io->slot, io->index, page, io->read, io->evicted,
				       wb);
	set_active_memcg(old_memcg);
	if (!installed)
		unlock_page(page);
out_done:
	if (io->vpage)
		put_page(io->vpage);	/* the I/O's own reference */
	rp->io_busy = false;
	rp->io.victim = PAGELAB_NO_PAGE;
	rp->io_gen++;
	mutex_unlock(&obj->lock);
	wake_up_all(&rp->io_wq);
	if (user != PAGELAB_IO_NO_USER)
		pagelab_io_user_put(user);
	/* Last: the object (and this work item) may go with it. */
	fput(pin);
}

/*
 * Give page @index a frame under the budget: a free slot or the victim's.
 * Fills it from the store (a page-in: *@major) or with zeros.  Returns 0
 * with *@pagep locked and referenced (for the caller); 0 with *@pagep NULL
 * when the rest needs I/O and was queued (pagelab_rp_start_io()), or when
 * every frame was locked or held beyond its owners and mappers (*@busy:
 * the caller tries again); or a fault code.
 */
static vm_fault_t __pagelab_rp_load(struct vm_fault *vmf, struct pagelab_object *obj,
				    struct pagelab_replacer *rp, pgoff_t index, struct page **pagep,
				    bool *major, bool *busy, unsigned long *charged)
{
	pgoff_t victim = PAGELAB_NO_PAGE, v;
	struct page *page = NULL, *copy, *vpage;
	int s, wb = -1;
	vm_fault_t ret;
	bool dirty;

	*major = false;
	*busy = false;
	*pagep = NULL;
	s = pagelab_rp_free_slot(rp);
	if (s < 0 && rp->file) {
		bitmap_zero(rp->skip, rp->budget);
		s = pagelab_rp_take_victim(obj, rp, &vpage, &dirty);
		if (s >= 0) {
			v = rp->slots[s];
			if (dirty)
				return pagelab_rp_start_io(vmf, obj, rp, index, s, vpage, v, NULL,
							   PAGELAB_NO_PAGE, charged);
			page = pagelab_rp_release(obj, rp, s, v, vpage, false);
			victim = v;
			wb = 0;
		}
	} else if (s < 0) {
		s = pagelab_rp_evict(obj, rp, false, &page, &victim, &wb);
	}
	if (s == -EBUSY) {
		*busy = true;
		return 0;
	}
	rp->busy_since = 0;	/* a frame was found: the next busy spell starts anew */
	if (s < 0) {
		atomic64_inc(&obj->count.sigbus);
		return VM_FAULT_SIGBUS;
	}
	if (pagelab_rp_stored(rp, index) && (rp->file || rp->delay_ms))
		return pagelab_rp_start_io(vmf, obj, rp, index, s, NULL, PAGELAB_NO_PAGE, page,
					   victim, charged);
	if (!page) {
		/* No frame to reuse (a free slot, or the victim's is shared). */
		page = pagelab_rp_new_frame(obj, &ret);
		if (!page)
			return ret;
	}
	copy = rp->file ? NULL : xa_load(&rp->store, index);
	if (copy) {
		copy_highpage(page, copy);
		*major = true;
	} else {
		clear_highpage(page);
	}
	ret = pagelab_rp_install(obj, rp, s, index, page, *major, victim, wb);
	if (ret)
		return ret;
	get_page(page);
	*pagep = page;
	return 0;
}

/*
 * pagelab_rp_load(), after taking a slot of the faulting user's when the
 * object's store is a file (the load may need its I/O): with none free,
 * 0 and *@noslot set, nothing begun; the caller waits for one.  A slot
 * the load did not hand to its I/O goes back.
 */
static vm_fault_t pagelab_rp_load(struct vm_fault *vmf, struct pagelab_object *obj,
				  struct pagelab_replacer *rp, pgoff_t index, struct page **pagep,
				  bool *major, bool *busy, unsigned long *noslot)
{
	unsigned long charged = PAGELAB_IO_NO_USER;
	vm_fault_t ret;
	int got;

	*noslot = PAGELAB_IO_NO_USER;
	if (rp->file) {
		charged = rp->io_user;
		got = pagelab_io_user_tryget(charged);
		if (got <= 0) {
			*pagep = NULL;
			*major = false;
			*busy = false;
			if (got < 0)
				return VM_FAULT_OOM;
			*noslot = charged;
			return 0;
		}
	}
	ret = __pagelab_rp_load(vmf, obj, rp, index, pagep, major, busy, &charged);
	if (charged != PAGELAB_IO_NO_USER)
		pagelab_io_user_put(charged);
	return ret;
}

/*
 * Longest a fault that may not let go of mmap_lock waits for an object's
 * I/O, all its waits together: twice the longest page-in delay (which such
 * a fault skips).
 */
#define PAGELAB_IO_WAIT_MAX	(2 * msecs_to_jiffies(PAGELAB_PAGEIN_DELAY_MAX_MS))

/*
 * Let go of the fault's lock (mmap_lock, or its VMA's read lock alone), to
 * wait and return VM_FAULT_RETRY.  Once it goes, so may the VMA: the
 * returned file keeps the object while the caller waits; fput() it after.
 * After that the object may go too: nothing past VM_FAULT_RETRY touches
 * it (the fault handler traces with the id it read first).
 */
static struct file *pagelab_rp_unlock_mm(struct vm_fault *vmf)
{
	struct file *pin = get_file(vmf->vma->vm_file);

	pagelab_release_fault_lock(vmf);
	return pin;
}

/*
 * Wait, with the object's lock let go, for the object's I/O phase @gen to
 * end.  A fault that may retry lets go of its own lock too and returns
 * VM_FAULT_RETRY | VM_FAULT_MAJOR, as filemap_fault() does after I/O: the
 * kernel counts the retried fault as major (under the VMA lock only if
 * VM_FAULT_MAJOR says so); one that may not (or a kernel thread's: see
 * pagelab_rp_may_let_go()) waits with mmap_lock held, killably, and
 * returns 0 to look again.  That one (a remote access such
 * as a /proc/PID/mem read, whose reader is often not the store's owner)
 * waits until *@deadline (set at its first wait: PAGELAB_IO_WAIT_MAX for
 * all its waits), then gets SIGBUS: a store's owner can make its I/O last
 * until its tasks die, or start a new one each time this fault wakes.
 */
static vm_fault_t pagelab_rp_wait(struct vm_fault *vmf, struct pagelab_object *obj,
				  struct pagelab_replacer *rp, u64 gen, unsigned long *deadline)
{
	struct file *pin;
	long left;

	atomic64_inc(&obj->count.io_waits);
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;
	if (pagelab_rp_may_let_go(vmf)) {
		pin = pagelab_rp_unlock_mm(vmf);
		wait_event_killable(rp->io_wq, READ_ONCE(rp->io_gen) != gen);
		fput(pin);
		return VM_FAULT_RETRY | VM_FAULT_MAJOR;
	}
	if (!*deadline)
		*deadline = (jiffies + PAGELAB_IO_WAIT_MAX) | 1;
	left = (long)(*deadline - jiffies);
	if (left <= 0)
		left = 0;
	else
		left = wait_event_killable_timeout(rp->io_wq, READ_ONCE(rp->io_gen) != gen, left);
	if (left < 0)		/* killed */
		return VM_FAULT_SIGBUS;
	if (!left) {		/* the deadline passed */
		atomic64_inc(&obj->count.sigbus);
		return VM_FAULT_SIGBUS;
	}
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
 * @handled: out: false when the object has no budget (any more): the
 *           caller goes on as for any object
 *
 * Return: the fault code; VM_FAULT_RETRY (the fault's lock let go) after
 * waiting for a page-out or page-in done with no lock held.
 */
vm_fault_t pagelab_rp_fault(struct vm_fault *vmf, struct pagelab_object *obj, int *outcome,
			    bool *handled)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool shared = vmf->vma->vm_flags & VM_SHARED;
	struct pagelab_replacer *rp = obj->rp;
	pgoff_t index = vmf->pgoff;
	vm_fault_t ret = 0;
	unsigned long no_retry_since = 0, spell = msecs_to_jiffies(PAGELAB_RP_BUSY_MS);
	unsigned long io_deadline = 0;	/* pagelab_rp_wait() */
	struct page *page;
	bool major = false, busy;
	unsigned long noslot;
	unsigned int store_gen;
	struct file *pin;
	u64 gen;

	*handled = true;
again:
	mutex_lock(&obj->lock);
	if (!rp->budget) {
		*handled = false;
		goto out_unlock;
	}
	page = pagelab_frame_at(obj, index);
	/* Misses, and the page being written out, wait for the I/O. */
	if (rp->io_busy && (!page || index == rp->io.victim))
		goto out_wait;
	if (!page && test_bit(index, rp->io_err)) {
		/* Its last load met an I/O error (while this fault waited). */
		__clear_bit(index, rp->io_err);
		atomic64_inc(&obj->count.sigbus);
		*outcome = PAGELAB_FAULT_SIGBUS;
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	}
	if (page) {
		pagelab_rp_touch(rp, index);
		pagelab_rp_event(obj, rp, PAGELAB_EV_HIT, index, rp->pg[index].slot,
				 PAGELAB_NO_PAGE, -1);
		if (write && shared && (page_private(page) > 1 ||
					pagelab_frame_mark(obj, index, PAGELAB_MARK_SHARED))) {
			/*
			 * A shared frame, or one that was (it may be pinned):
			 * pagelab_cow_break_locked() decides under its page
			 * lock; a copy takes the page's slot.
			 */
			bool copied;

			ret = pagelab_cow_break_locked(obj, index, NULL, true, &page, &copied);
			if (ret) {
				*outcome = ret & VM_FAULT_OOM ? PAGELAB_FAULT_OOM :
					   PAGELAB_FAULT_SIGBUS;
				goto out_unlock;
			}
			if (!page) {
				mutex_unlock(&obj->lock);
				goto again;
			}
			trace_pagelab_cow(obj->id, index, vmf->address, false, copied);
			*outcome = PAGELAB_FAULT_COW;
		} else {
			get_page(page);
			lock_page(page);
			*outcome = PAGELAB_FAULT_EXISTING;
			atomic64_inc(&obj->count.existing);
		}
	} else if (!pagelab_rp_stored(rp, index) &&
		   ((!write && !(rp->flags & PAGELAB_REPLACE_NO_ZERO) &&
		     pagelab_zero_page_ok(vmf->vma)) || (write && !shared))) {
		/* Never written: the zero page, as without a budget. */
		if (write) {
			/* The kernel copies it into the process's own page. */
			page = ZERO_PAGE(vmf->address);
			get_page(page);
			vmf->page = page;
			*outcome = PAGELAB_FAULT_COW_ZERO;
			goto out_unlock;
		}
		pagelab_obj_zero_mapped(obj);
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
		ret = pagelab_rp_load(vmf, obj, rp, index, &page, &major, &busy, &noslot);
		if (ret) {
			*outcome = ret & VM_FAULT_OOM ? PAGELAB_FAULT_OOM : PAGELAB_FAULT_SIGBUS;
			goto out_unlock;
		}
		if (noslot != PAGELAB_IO_NO_USER)
			goto out_noslot;
		if (busy)
			goto out_busy;
		if (!page)
			goto out_wait;	/* queued: wait for it like any other fault */
		*outcome = major ? PAGELAB_FAULT_PAGEIN : PAGELAB_FAULT_ALLOC;
	}
	if (page && write && shared)
		pagelab_frame_set_mark(obj, index, PAGELAB_MARK_DIRTY);

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

out_wait:
	gen = rp->io_gen;
	if (rp->io_busy && rp->io.runner == current) {
		/*
		 * This fault's own load: with no lock held, sleep the page-in
		 * delay, then finish the load itself, or have the worker do
		 * it when it writes or reads the file (this task may hold
		 * that file system's locks: a write(2) from a mapped buffer
		 * faults with them), and retry.
		 */
		bool file = rp->file && (rp->io.vpage || rp->io.read);
		unsigned int delay = rp->io.delay ? rp->delay_ms : 0;

		rp->io.runner = NULL;
		mutex_unlock(&obj->lock);
		*outcome = PAGELAB_FAULT_WAIT;
		atomic64_inc(&obj->count.io_waits);
		pin = pagelab_rp_unlock_mm(vmf);
		if (delay)
			pagelab_rp_delay(delay);
		if (file) {
			queue_work(pagelab_io_wq, &rp->io.work);
			wait_event_killable(rp->io_wq, READ_ONCE(rp->io_gen) != gen);
		} else {
			pagelab_rp_io_work(&rp->io.work);
		}
		fput(pin);
		return VM_FAULT_RETRY | VM_FAULT_MAJOR;
	}
	mutex_unlock(&obj->lock);
	*outcome = PAGELAB_FAULT_WAIT;
	ret = pagelab_rp_wait(vmf, obj, rp, gen, &io_deadline);
	if (ret & VM_FAULT_SIGBUS)
		*outcome = PAGELAB_FAULT_SIGBUS;
	if (ret)
		return ret;
	goto again;

out_noslot:
	/*
	 * Every I/O slot of the store's owner taken (its I/O may be stuck
	 * until its tasks die): nothing was begun.  Wait for one with no
	 * lock held, or for the store to change, and retry; a fault that may
	 * not let go of mmap_lock, or a kernel thread's (it cannot be
	 * killed), gets SIGBUS instead.
	 */
	store_gen = rp->store_gen;
	mutex_unlock(&obj->lock);
	*outcome = PAGELAB_FAULT_WAIT;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;
	if (!pagelab_rp_may_let_go(vmf)) {
		atomic64_inc(&obj->count.sigbus);
		*outcome = PAGELAB_FAULT_SIGBUS;
		return VM_FAULT_SIGBUS;
	}
	atomic64_inc(&obj->count.io_waits);
	pin = pagelab_rp_unlock_mm(vmf);
	pagelab_io_user_wait(noslot, rp, store_gen);
	fput(pin);
	/* A wait for I/O: major, on 6.12 too (see pagelab_rp_wait()). */
	return VM_FAULT_RETRY | VM_FAULT_MAJOR;

out_busy:
	/*
	 * Every frame locked or referenced beyond its owners and mappers.
	 * Mostly that lasts a moment: a fault mapping it, or another
	 * process's munmap or exit, which holds the references of the pages
	 * it unmapped until its TLB flush.  Look again a while, a jiffy
	 * apart, holding no lock (mmap_lock goes too, when the fault may
	 * retry); frames pinned for longer (GUP) end in SIGBUS.
	 */
	if (!rp->busy_since || time_after(jiffies, rp->busy_last + HZ / 10)) {
		/* A new spell (the last look was a while ago: a stale start). */
		rp->busy_since = jiffies | 1;
	} else if (time_after(jiffies, rp->busy_since + spell) &&
		   (vmf->flags & FAULT_FLAG_TRIED || no_retry_since ||
		    time_after(jiffies, rp->busy_since + 2 * spell))) {
		/*
		 * A long spell, and this fault has looked before (not a late
		 * comer); or a spell twice as long, for the kernel's populate
		 * loops (mlock(), MADV_POPULATE_*), which start each retry
		 * afresh, without FAULT_FLAG_TRIED.
		 */
		rp->busy_since = 0;
		atomic64_inc(&obj->count.sigbus);
		*outcome = PAGELAB_FAULT_SIGBUS;
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	}
	rp->busy_last = jiffies;
	mutex_unlock(&obj->lock);
	*outcome = PAGELAB_FAULT_WAIT;
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;
	if (pagelab_rp_may_let_go(vmf)) {
		pin = pagelab_rp_unlock_mm(vmf);
		schedule_timeout_killable(1);
		fput(pin);
		return VM_FAULT_RETRY;
	}
	/*
	 * A fault that may not retry (some GUP callers), or a kernel thread's,
	 * looks again as it is: its spell and its I/O deadline then last
	 * across every look (a retried fault would start both afresh).
	 */
	if (!no_retry_since)
		no_retry_since = jiffies | 1;
	if (time_after(jiffies, no_retry_since + msecs_to_jiffies(PAGELAB_RP_BUSY_MS))) {
		atomic64_inc(&obj->count.sigbus);
		*outcome = PAGELAB_FAULT_SIGBUS;
		return VM_FAULT_SIGBUS;
	}
	if (schedule_timeout_killable(1) && fatal_signal_pending(current))
		return VM_FAULT_SIGBUS;
	goto again;
}

/**
 * pagelab_rp_mkwrite() - a write to a zero-page PTE of a budgeted object
 * @obj: the object
 * @index: the page
 *
 * Gives the page a frame under the budget (loading it removes the zero-page
 * PTE from every mapper, so the write refaults onto the frame).  When that
 * needs I/O (a backing file, a page-in delay), only the zero-page PTE goes:
 * the write refaults through ->fault, which may let go of mmap_lock.
 *
 * Return: VM_FAULT_NOPAGE, or a fault code; 0 when the object has no
 * budget (any more): the caller goes on as for any object.
 */
vm_fault_t pagelab_rp_mkwrite(struct pagelab_object *obj, pgoff_t index)
{
	struct pagelab_replacer *rp = obj->rp;
	struct page *page;
	vm_fault_t ret = VM_FAULT_NOPAGE;
	unsigned long noslot;
	bool major, busy;

	mutex_lock(&obj->lock);
	if (!rp->budget) {
		ret = 0;
		goto out_unlock;
	}
	if (!pagelab_frame_at(obj, index) && !rp->file && !rp->delay_ms && !rp->io_busy) {
		ret = pagelab_rp_load(NULL, obj, rp, index, &page, &major, &busy, &noslot);
		if (ret)
			goto out_unlock;
		if (busy) {
			/* No frame free for now: ->fault waits for one. */
			unmap_mapping_pages(obj->mapping, index, 1, false);
			ret = VM_FAULT_NOPAGE;
			goto out_unlock;
		}
		unlock_page(page);
		put_page(page);
		ret = VM_FAULT_NOPAGE;
	} else {
		unmap_mapping_pages(obj->mapping, index, 1, false);
	}
	if (pagelab_frame_at(obj, index))
		pagelab_frame_set_mark(obj, index, PAGELAB_MARK_DIRTY);
out_unlock:
	mutex_unlock(&obj->lock);
	return ret;
}

/* Bring every page in the module's store back (budget removed): 0, -ENOSPC/-ENOMEM, -EINTR. */
static int pagelab_rp_unload_store(struct pagelab_object *obj, struct pagelab_replacer *rp)
{
	struct page *copy, *page;
	unsigned long index;
	vm_fault_t ret;
	int err;

	xa_for_each(&rp->store, index, copy) {
		if (pagelab_frame_at(obj, index))
			continue;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			goto err_rebook;
		}
		cond_resched();
		page = pagelab_rp_new_frame(obj, &ret);
		if (!page) {
			err = ret == VM_FAULT_OOM ? -ENOMEM : -ENOSPC;
			goto err_rebook;
		}
		copy_highpage(page, copy);
		set_page_private(page, 1);
		if (pagelab_frame_set(obj, index, page, GFP_KERNEL_ACCOUNT)) {
			pagelab_rp_drop_frame(page);
			err = -ENOMEM;
			goto err_rebook;
		}
		unlock_page(page);
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

err_rebook:
	/*
	 * The pages brought back so far go back under the budget: their
	 * copies are still in the store, so this drops them again, clean.
	 */
	pagelab_rp_rebuild(obj, rp, rp->budget);
	return err;
}

/*
 * Bring every page in the backing file back (budget removed), reading with
 * the lock let go, then let go of the file.  0, -ENOSPC/-ENOMEM, -EINTR or the
 * read's error (the pages read so far stay; the rest stay in the file).
 */
static int pagelab_rp_unload_file(struct pagelab_object *obj, struct pagelab_replacer *rp)
{
	unsigned long index;
	struct page *page;
	vm_fault_t ret;
	int err;

	for_each_set_bit(index, rp->in_file, rp->npages) {
		if (pagelab_frame_at(obj, index))
			continue;
		if (fatal_signal_pending(current)) {
			pagelab_rp_rebuild(obj, rp, rp->budget);
			return -EINTR;
		}
		page = pagelab_rp_new_frame(obj, &ret);
		if (!page) {
			/* The pages read so far go back under the budget (clean). */
			pagelab_rp_rebuild(obj, rp, rp->budget);
			return ret == VM_FAULT_OOM ? -ENOMEM : -ENOSPC;
		}
		err = pagelab_rp_sync_io(obj, rp, page, index, PAGELAB_NO_PAGE, false);
		/* Misses waited meanwhile: nothing else loaded @index. */
		if (!err && pagelab_frame_set(obj, index, page, GFP_KERNEL_ACCOUNT))
			err = -ENOMEM;
		if (err) {
			pagelab_rp_drop_frame(page);
			/* The pages read so far go back under the budget (clean). */
			pagelab_rp_rebuild(obj, rp, rp->budget);
			return err;
		}
		set_page_private(page, 1);
		unlock_page(page);
		atomic_long_inc(&obj->resident);
		atomic64_inc(&obj->count.page_ins);
	}
	bitmap_zero(rp->in_file, rp->npages);
	atomic_long_set(&obj->store_pages, 0);
	pagelab_rp_put_file(rp->file);
	rp->file = NULL;
	mem_cgroup_put(rp->io_memcg);
	rp->io_memcg = NULL;
	return 0;
}

/* Pack the booked pages into slots 0..used-1, of @budget (>= used) in all. */
static void pagelab_rp_pack(struct pagelab_replacer *rp, unsigned int budget)
{
	unsigned int n = 0, s;

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
}

/*
 * Book the object's resident pages into slots for @budget frames, evicting
 * by the policy while there are more.  Load order: by index.  On an error
 * the budget is the smallest reached: what is resident then.
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
	for (index = 0; (page = pagelab_frame_next(obj, &index)); index++) {
		rp->slots[n] = index;
		rp->pg[index].slot = n;
		rp->pg[index].refs = 1;
		n++;
	}
	rp->budget = max(n, budget);
	rp->used = n;
	rp->hand = 0;
	for (s = n; s < rp->budget; s++)
		rp->slots[s] = PAGELAB_NO_PAGE;
	/* One pass over the victims in the policy's order: O(n log n), not O(n^2). */
	bitmap_zero(rp->skip, rp->budget);
	rp->sweep_n = pagelab_rp_order(rp);
	rp->sweep_next = 0;
	rp->sweep = true;
	while (rp->used > budget) {
		s = pagelab_rp_evict(obj, rp, true, &reuse, &victim, &wb);
		if (s >= 0 && fatal_signal_pending(current))
			s = -EINTR;
		if (s < 0) {
			rp->sweep = false;
			pagelab_rp_pack(rp, rp->used);
			return s;
		}
		if (reuse)
			pagelab_rp_drop_frame(reuse);	/* not reused: the frame goes back */
		cond_resched();
	}
	rp->sweep = false;
	pagelab_rp_pack(rp, budget);
	return 0;
}

/*
 * Check a would-be backing file for @obj: a regular file, open for reading
 * and writing, not appending, no access for group or others, not setuid
 * or setgid, big enough.
 */
static int pagelab_rp_check_file(struct pagelab_object *obj, struct file *file)
{
	struct inode *inode = file_inode(file);

	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) != (FMODE_READ | FMODE_WRITE))
		return -EBADF;
	if (!S_ISREG(inode->i_mode) || file->f_flags & O_APPEND)
		return -EINVAL;
	/*
	 * Nobody else may open it: a reader could hold its lock (an
	 * O_DIRECT read into a stuck mapping) and stall our write-backs.
	 */
	if (inode->i_mode & (0077 | S_ISUID | S_ISGID))
		return -EPERM;
	if (i_size_read(inode) < (loff_t)obj->npages << PAGE_SHIFT)
		return -ENOSPC;
	return 0;
}

/*
 * Make @file (a reference, or NULL: the module's store) @rp's store.  The
 * store changes only while it holds nothing, and a file backs one object
 * at a time: else -EBUSY.  Consumes @file.
 */
static int pagelab_rp_set_store(struct pagelab_object *obj, struct pagelab_replacer *rp,
				struct file *file)
{
	bool same = file && rp->file && file_inode(file) == file_inode(rp->file);
	unsigned long old_user;
	int err;

	if (same || (!file && !rp->file)) {
		if (file)
			fput(file);
		return 0;
	}
	if (rp->file ? !bitmap_empty(rp->in_file, rp->npages) : !xa_empty(&rp->store)) {
		if (file)
			fput(file);
		return -EBUSY;
	}
	if (file) {
		err = xa_insert(&pagelab_store_inodes, (unsigned long)file_inode(file), file,
				GFP_KERNEL);
		if (err) {
			fput(file);
			return err;
		}
	}
	old_user = rp->file ? rp->io_user : PAGELAB_IO_NO_USER;
	if (rp->file)
		pagelab_rp_put_file(rp->file);
	rp->file = file;
	rp->io_user = pagelab_io_user_key();
	/* A fault waiting for a slot of the old store's owner looks again. */
	WRITE_ONCE(rp->store_gen, rp->store_gen + 1);
	if (old_user != PAGELAB_IO_NO_USER)
		pagelab_io_user_wake(old_user);
	/*
	 * What the worker writes into the file (page cache, tmpfs pages) is
	 * charged to the memory cgroup of the task that set the store, as if
	 * it wrote the file itself, not to the worker's (the root).
	 */
	mem_cgroup_put(rp->io_memcg);
	rp->io_memcg = file ? get_mem_cgroup_from_mm(current->mm) : NULL;
	return 0;
}

/**
 * pagelab_rp_set() - PAGELAB_IOC_REPLACE
 * @obj: the object, from a file opened for writing
 * @uarg: struct pagelab_replace in user memory
 *
 * Return: 0; -EINVAL for a malformed request; -EBADF, -EINVAL, -EPERM,
 * -EACCES or -ENOSPC for an unfit backing file; -EBUSY to change a store that holds
 * pages; -ENOSPC/-ENOMEM when pages over the new budget cannot be stored
 * or a removed budget's pages cannot come back, or a backing file's error
 * (nothing is lost: they stay stored); -EINTR; -EFAULT.
 */
long pagelab_rp_set(struct pagelab_object *obj, struct pagelab_replace __user *uarg)
{
	struct pagelab_replacer *rp;
	struct file *file = NULL;
	struct pagelab_replace r;
	unsigned long deadline;
	int ret = 0;
	u64 gen;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.flags & ~PAGELAB_REPLACE_FLAGS || r.budget > obj->npages ||
	    r.pagein_delay_ms > PAGELAB_PAGEIN_DELAY_MAX_MS)
		return -EINVAL;
	if (!(r.flags & PAGELAB_REPLACE_FILE) && r.store_fd)
		return -EINVAL;
	if (r.budget && (!r.policy || r.policy > PAGELAB_POLICY_MAX))
		return -EINVAL;
	if (r.budget && r.flags & PAGELAB_REPLACE_FILE) {
		file = fget(r.store_fd);
		if (!file)
			return -EBADF;
		ret = pagelab_rp_check_file(obj, file);
		/* The caller's own right to open it read-write, not the fd's. */
		if (!ret)
			ret = path_permission(&file->f_path, MAY_READ | MAY_WRITE);
		if (!ret) {
			/*
			 * A file of pagelab's own, opened anew with the
			 * caller's credentials: the caller must be able to
			 * open it for writing itself (an fd it was handed is
			 * not enough), every later I/O runs with those
			 * credentials, and later fcntl() flags on the
			 * caller's fd (O_APPEND, O_DIRECT) do not reach it.
			 */
			struct file *own = dentry_open(&file->f_path, O_RDWR | O_LARGEFILE,
						       current_cred());

			fput(file);
			file = own;
			if (IS_ERR(own)) {
				ret = PTR_ERR(own);
				file = NULL;
			} else if (!(own->f_mode & FMODE_CAN_READ) ||
				   !(own->f_mode & FMODE_CAN_WRITE)) {
				ret = -EINVAL;
			}
		}
		if (ret) {
			if (file)
				fput(file);
			return ret;
		}
	}

	/* One budget change at a time: each may let go of obj->lock below. */
	if (mutex_lock_killable(&obj->replace_lock)) {
		ret = -EINTR;
		goto out_put_file;
	}
	mutex_lock(&obj->lock);
	rp = obj->rp;
	while (rp && rp->io_busy) {
		/* A fault's I/O is under way: it finishes first. */
		gen = rp->io_gen;
		mutex_unlock(&obj->lock);
		if (wait_event_killable(rp->io_wq, READ_ONCE(rp->io_gen) != gen)) {
			ret = -EINTR;
			goto out_unlock_replace;
		}
		mutex_lock(&obj->lock);
	}
	if (!rp) {
		if (!r.budget)
			goto out_unlock;
		rp = pagelab_rp_alloc(obj->npages);
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
		ret = rp->file ? pagelab_rp_unload_file(obj, rp) : pagelab_rp_unload_store(obj, rp);
		if (!ret) {
			WRITE_ONCE(rp->budget, 0);
			WRITE_ONCE(rp->delay_ms, 0);
		}
		goto out_unlock;
	}
	ret = pagelab_rp_set_store(obj, rp, file);
	file = NULL;
	if (ret)
		goto out_unlock;
	rp->policy = r.policy;
	rp->flags = r.flags;
	WRITE_ONCE(rp->delay_ms, r.pagein_delay_ms);
	prandom_seed_state(&rp->rnd, r.seed);
	rp->last = PAGELAB_NO_PAGE;
	bitmap_zero(rp->io_err, rp->npages);
	memset(rp->hist, 0, sizeof(rp->hist));
	rp->tick = 0;
	/*
	 * A budget works page by page: a huge object's 2 MiB chunks split for
	 * good (huge.c), under the lock that holds until the rebuild sets the
	 * budget, after which no chunk becomes intact.
	 */
	pagelab_huge_split(obj, 0, obj->npages);
	ret = pagelab_rp_rebuild(obj, rp, r.budget);
	/*
	 * Frames held a moment (a fault mapping one) cannot go: look again
	 * a while, a jiffy apart with the lock let go.  Meanwhile the object
	 * runs under the budget the rebuild left (every resident page in a
	 * slot), and a fault's I/O may start: the next rebuild waits for it.
	 */
	deadline = jiffies + msecs_to_jiffies(PAGELAB_RP_BUSY_MS);
	while (ret == -EBUSY && time_before(jiffies, deadline)) {
		mutex_unlock(&obj->lock);
		if (schedule_timeout_killable(1) && fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_unlock_replace;
		}
		mutex_lock(&obj->lock);
		if (!rp->io_busy)
			ret = pagelab_rp_rebuild(obj, rp, r.budget);
	}
out_unlock:
	mutex_unlock(&obj->lock);
out_unlock_replace:
	mutex_unlock(&obj->replace_lock);
out_put_file:
	if (file)
		fput(file);
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

/**
 * pagelab_rp_init() - make the workqueue of backing-file I/O
 *
 * Return: 0 or -ENOMEM.
 */
int pagelab_rp_init(void)
{
	pagelab_io_wq = alloc_workqueue("pagelab_io", WQ_UNBOUND, PAGELAB_IO_MAX_ACTIVE);
	return pagelab_io_wq ? 0 : -ENOMEM;
}

/**
 * pagelab_rp_exit() - wait for queued I/O and free the workqueue
 */
void pagelab_rp_exit(void)
{
	destroy_workqueue(pagelab_io_wq);
	WARN_ON(!xa_empty(&pagelab_io_users));
	xa_destroy(&pagelab_io_users);
}
