/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - internal declarations shared by the module's files.
 */
#ifndef _PAGELAB_H
#define _PAGELAB_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/export.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include "compat.h"
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "uapi/pagelab.h"

struct seq_buf;
struct seq_file;

#define PAGELAB_RELEASE		"0.1.0"

/*
 * Functions the KUnit suites in kunit/ call in the loaded module are exported
 * in the PAGELAB_KUNIT namespace, so nothing else links against them by
 * accident (the role EXPORT_SYMBOL_IF_KUNIT plays in kernels from 6.2 on).
 */

/**
 * struct pagelab_stats - module-wide counters, one per line of
 * uapi/pagelab_module_counters.h (stats.c's build checks that the two name
 * the same counters); see struct pagelab_info.  Atomic, so the fault path
 * never takes a lock to count.
 */
struct pagelab_stats {
	atomic64_t pages_held;
	atomic64_t pages_allocated;
	atomic64_t pages_freed;
	atomic64_t objects;
	atomic64_t store_pages;
};

extern struct pagelab_stats pagelab_stats;
extern unsigned long pagelab_max_pages;
extern unsigned long pagelab_max_object_pages;

/* Fault-around window, pages: the kernel's default 64 KiB, and at most a PMD. */
#define PAGELAB_FAULT_AROUND_DEFAULT	16
#define PAGELAB_FAULT_AROUND_MAX	512

/**
 * struct pagelab_obj_counters - one object's event counters (atomic: the
 * fault path counts without a lock), one per line of uapi/pagelab_counters.h
 * (object.c's build checks that the two name the same counters); see
 * struct pagelab_obj_stat.
 */
struct pagelab_obj_counters {
	atomic64_t faults_read;
	atomic64_t faults_write;
	atomic64_t zero_maps;
	atomic64_t allocs;
	atomic64_t existing;
	atomic64_t fault_around;
	atomic64_t mkwrite;
	atomic64_t sigbus;
	atomic64_t vma_lock_faults;
	atomic64_t huge_maps;
	atomic64_t huge_splits;
	atomic64_t cow_breaks;
	atomic64_t cow_bytes;
	atomic64_t private_cow;
	atomic64_t clone_shared;
	atomic64_t clone_copied;
	atomic64_t merged;
	atomic64_t merged_zero;
	atomic64_t misses;
	atomic64_t page_ins;
	atomic64_t evictions;
	atomic64_t writebacks;
	atomic64_t clean_drops;
	atomic64_t inexact;
	atomic64_t major;
	atomic64_t io_waits;
	atomic64_t io_errors;
};

/*
 * Marks on an object's entries (pagelab_frame_mark() and friends), kept
 * per entry beside its frame and cleared when the entry is.
 *
 * SHARED: the entry's frame was shared with another object or index
 * (clone, merge) and has not been written in place since.  A write to
 * such a frame copies it if it is pinned, even with one owner left
 * (pagelab_cow_in_place()); changed under the frame's page lock.  Also
 * the hint for counting shared pages (the truth: page_private()).
 *
 * DIRTY: budgeted objects: written since the page was last stored.
 *
 * WRITEBACK: budgeted objects: the frame is being written to the backing
 * file with no lock held.  Set and cleared under the object's lock and the
 * frame's page lock; a fault that finds it after locking the frame must
 * not map it, and looks again (on the budget's path, which waits for the
 * I/O).
 */
enum pagelab_mark {
	PAGELAB_MARK_SHARED,
	PAGELAB_MARK_DIRTY,
	PAGELAB_MARK_WRITEBACK,
	PAGELAB_NR_MARKS,
};

/*
 * An object's entries (page index -> frame), in chunks of 512 (one PTE
 * table's span), each allocated on the chunk's first entry and kept until
 * the object goes: a lookup is two dependent loads and no lock, where an
 * xarray's was a tree walk under RCU (about 700 instructions of a write
 * fault, measured).  The price is memory: 4 KiB and 192 bytes of marks
 * for every 512 indexes that ever held a frame, 0.2% of the data where
 * they are all resident, as much as the data where one in 512 is.
 */
#define PAGELAB_CHUNK_SHIFT	9
#define PAGELAB_CHUNK		BIT(PAGELAB_CHUNK_SHIFT)

struct pagelab_chunk_marks {
	unsigned long bits[PAGELAB_NR_MARKS][BITS_TO_LONGS(PAGELAB_CHUNK)];
};

/**
 * struct pagelab_frame_table - an object's entries
 * @chunks: one per 512 indexes: NULL, or that many frame pointers (fewer
 *          in the last chunk, to the object's end); published with a
 *          release store once zeroed, read with READ_ONCE()
 * @marks:  each chunk's marks, allocated and published before the chunk
 * @intact: huge objects (else NULL): a bit per chunk, set while its 512
 *          frames are one 2 MiB block that PMD leaves may map (huge.c);
 *          changed under the object's lock
 */
struct pagelab_frame_table {
	struct page ***chunks;
	struct pagelab_chunk_marks **marks;
	unsigned long *intact;
};

/* Event log of a budgeted object (debugfs "events"): its last events. */
#define PAGELAB_EVENTS		256

enum pagelab_event_result {
	PAGELAB_EV_HIT,		/* a fault on a page with a frame */
	PAGELAB_EV_MISS,	/* a frame taken: a free slot or a victim's */
	PAGELAB_EV_PAGEIN,	/* the same, filled from the store */
	PAGELAB_EV_ZERO,	/* a read of a never-written page: the zero page */
};

/**
 * struct pagelab_event - one entry of the event log
 * @seq:    1, 2, ... per object
 * @page:   the page referenced
 * @victim: the page evicted for it, or ULONG_MAX
 * @slot:   the frame slot the page holds after the event, or -1
 * @result: enum pagelab_event_result
 * @wb:     the victim was written to the store (1), dropped clean (0), -1
 */
struct pagelab_event {
	u64 seq;
	pgoff_t page;
	pgoff_t victim;
	int slot;
	u8 result;
	s8 wb;
};

/**
 * struct pagelab_rp_page - what the policies know of one page
 * @loaded:   tick of its load into a frame
 * @last_ref: tick of the last reference seen
 * @refs:     references seen since its load
 * @slot:     its frame slot, or -1
 * @ref:      reference bit (CLOCK)
 */
struct pagelab_rp_page {
	u64 loaded;
	u64 last_ref;
	u64 refs;
	int slot;
	bool ref;
};

/* A recent fault, for exact mode's spanning-access detection. */
struct pagelab_rp_fault {
	pgoff_t index;
	pid_t pid;
	bool user;
	unsigned long off;
};

/**
 * struct pagelab_rp_io - the one page-out/page-in of an object under way
 * with no lock held (see "Backing file" in replace.c)
 * @work:   runs pagelab_rp_io_work() on pagelab_io_wq: the file's I/O, or
 *          the whole load for a fault that may not let go of mmap_lock
 * @runner: the task whose fault carries the load on once it let go of its
 *          locks (the delay; the file's I/O queued), until it starts;
 *          NULL: queued on pagelab_io_wq at once
 * @user:   the user (pagelab_io_user_key() in replace.c) whose I/O slot
 *          the load holds until it ends; ULONG_MAX: none
 * @pin:    a file of the object, held until the I/O is done
 * @index:  the page to load into @frame
 * @slot:   the slot @index will take
 * @victim: the page whose frame @vpage is written out first, or ULONG_MAX
 * @vpage:  @victim's frame, still in the object's pages (not locked:
 *          unmapped, and faults on @victim wait)
 * @frame:  the frame @index gets, locked; @vpage when the victim's frame
 *          is reused
 * @evicted: the page that gave up its frame for @index, or ULONG_MAX
 * @read:   fill @frame from the store (a page-in); else zeros
 * @delay:  @runner sleeps the page-in delay first
 * @fail:   fault injection: the file I/O fails (-EIO)
 * @werr:   the write's result
 * @rerr:   the read's result
 */
struct pagelab_rp_io {
	struct work_struct work;
	struct task_struct *runner;
	unsigned long user;
	struct file *pin;
	pgoff_t index;
	unsigned int slot;
	pgoff_t victim;
	struct page *vpage;
	struct page *frame;
	pgoff_t evicted;
	bool read;
	bool delay;
	bool fail;
	int werr;
	int rerr;
};

/**
 * struct pagelab_replacer - an object's frame budget and policy state;
 * all of it guarded by the object's lock (@budget is read locklessly
 * to choose the fault path, and rechecked under the lock)
 * @budget:   frames (slots); 0: no budget
 * @policy:   PAGELAB_POLICY_*
 * @flags:    PAGELAB_REPLACE_*
 * @npages:   the object's size
 * @tick:     references seen
 * @hand:     CLOCK's hand (a slot)
 * @used:     slots holding a page
 * @rnd:      RANDOM's generator
 * @slots:    slot -> page index (ULONG_MAX: free)
 * @pg:       page index -> policy state
 * @cleared:  pages whose reference bit the last pick cleared
 * @ncleared: entries in @cleared
 * @skip:     slots a pick may not choose (scratch)
 * @order:    the victim search's candidates, in the policy's order (scratch)
 * @sweep:    a rebuild is evicting in one pass over @order: victims are
 *            taken from @order[@sweep_next..@sweep_n - 1]
 * @no_room:  this eviction found the module's store full: pages with no
 *            copy there are passed over, their PTEs left alone
 * @busy_seen: this eviction passed over a frame locked or pinned: its
 *            failure is -EBUSY (look again), not a full store
 * @sweep_n:  candidates in @order for the sweep
 * @sweep_next: the next one
 * @store:    page index -> the store's copy of the page (a page each)
 * @last:     exact mode: the page referenced last
 * @hist:     exact mode: the last faults, newest first
 * @ev:       the event log (ring)
 * @ev_seq:   events logged
 * @file:     the backing file (a reference), or NULL: the module's store
 * @io_user:  whose I/O slots @file's I/O takes: the login that set it,
 *            and its container (pagelab_io_user_key() in replace.c)
 * @store_gen: bumped each time the store changes: a fault waiting for a
 *            slot of the old store's owner looks again
 * @in_file:  pages with a current copy in @file (bitmap of @npages bits)
 * @delay_ms: page-in delay
 * @io_busy:  @io is under way: misses, and faults on @io.victim, wait
 * @io_gen:   I/O phases finished; waiters wait for it to change
 * @io_wq:    where they wait (woken with no lock held)
 * @io:       the I/O under way
 * @io_err:   pages whose last load failed (bitmap of @npages bits): the
 *            next fault on one gets SIGBUS (the fault that met the error
 *            had to retry), then they are tried again
 * @busy_since: jiffies (| 1) when misses began to find every frame busy,
 *            0 since a miss last found one: after PAGELAB_RP_BUSY_MS of
 *            that, a miss gets SIGBUS
 * @busy_last: jiffies of the last such look (a spell ends without one
 *            for HZ / 10)
 */
struct pagelab_replacer {
	unsigned int budget;
	unsigned int policy;
	u64 flags;
	pgoff_t npages;
	u64 tick;
	unsigned int hand;
	unsigned int used;
	struct rnd_state rnd;
	pgoff_t *slots;
	struct pagelab_rp_page *pg;
	pgoff_t *cleared;
	unsigned int ncleared;
	unsigned long *skip;
	unsigned int *order;
	bool sweep;
	bool no_room;
	bool busy_seen;
	unsigned int sweep_n;
	unsigned int sweep_next;
	struct xarray store;
	pgoff_t last;
	struct pagelab_rp_fault hist[3];
	struct pagelab_event ev[PAGELAB_EVENTS];
	u64 ev_seq;
	struct file *file;
	unsigned long io_user;
	unsigned int store_gen;
	struct mem_cgroup *io_memcg;
	unsigned long *in_file;
	unsigned int delay_ms;
	bool io_busy;
	u64 io_gen;
	wait_queue_head_t io_wq;
	struct pagelab_rp_io io;
	unsigned long *io_err;
	unsigned long busy_since;
	unsigned long busy_last;
};

/**
 * struct pagelab_object - a sized, page-granular store of module-owned frames
 * @id:       never reused while the module is loaded; key in the object table
 * @ref:      one reference per open file on the object (VMAs hold their
 *            file, so mappings keep the object alive); freed at zero
 * @inode:    the object's inode on pagelab's pseudo filesystem; every file
 *            of the object shares it, so every VMA of the object is linked
 *            into @mapping and unmap_mapping_pages() reaches them all
 * @mapping:  @inode's address_space; holds no pages, only the VMAs
 * @npages:   size in pages
 * @flags:    PAGELAB_CREATE_* bits given at creation
 * @uid:      owner, for attach permission checks
 * @gid:      group, for attach permission checks
 * @mode:     permission bits, for attach
 * @fault_around: fault-around window in pages (0: off)
 * @replace_lock: serialises PAGELAB_IOC_REPLACE calls (each may let go of
 *            @lock while it waits); taken before @lock, never by faults
 * @lock:     serialises adding and removing frames in @table with mapping
 *            the zero page, so a zero-page PTE never outlives the absence
 *            of a frame (see the locking rules in object.c)
 * @table:    page index -> struct page *, one page reference per entry;
 *            written under @lock (or before anyone can see the object),
 *            read locklessly (pagelab_frame_at()).  A frame may sit in
 *            several objects (clone) or at several indexes (merge):
 *            page_private() of the frame counts the entries holding it,
 *            under the frame's page lock
 * @zero_mapped: a zero-page PTE of the object was ever installed: set under
 *            @lock before the first (pagelab_obj_zero_mapped()), never
 *            cleared; a frame's arrival with it clear removes no zero page
 * @resident: entries in @table; changed with them, in the same hold of @lock
 * @mappers:  VMAs mapping the object now
 * @files:    open files on the object now
 * @count:    event counters
 * @rp:       frame budget and replacement state, NULL until a budget is
 *            first set; then kept until the object goes (set under @lock)
 * @store_pages: pages of this object in the store
 * @name:     label given at creation
 * @rcu:      frees the object after lockless readers are done
 */
struct pagelab_object {
	u64 id;
	struct kref ref;
	struct inode *inode;
	struct address_space *mapping;
	pgoff_t npages;
	u64 flags;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	unsigned int fault_around;
	struct mutex replace_lock;	/* serialises budget changes */
	struct mutex lock;	/* guards changes to @table; see object.c */
	bool zero_mapped;	/* under @lock */
	struct pagelab_frame_table table;
	atomic_long_t resident;
	atomic_long_t mappers;
	atomic_long_t files;
	struct pagelab_obj_counters count;
	struct pagelab_replacer *rp;
	atomic_long_t store_pages;
	char name[PAGELAB_NAME_LEN];
	struct rcu_head rcu;
};

/* object.c */
int pagelab_create_check(const struct pagelab_create *c, unsigned long max_object_pages);
bool pagelab_mode_permits(umode_t mode, bool owner, bool group, int want);
long pagelab_obj_create(struct pagelab_create __user *uarg);
long pagelab_obj_attach(struct pagelab_attach __user *uarg);
long pagelab_obj_stat_ioctl(struct pagelab_object *self, struct pagelab_obj_stat __user *uarg,
			    size_t size);
struct page *pagelab_obj_get_page(struct pagelab_object *obj, pgoff_t index);
bool pagelab_obj_lock_frame(struct pagelab_object *obj, pgoff_t index, struct page *page);
vm_fault_t pagelab_obj_alloc_page(struct pagelab_object *obj, pgoff_t index,
				  const struct vm_fault *vmf, struct page **pagep, bool *fresh);
long pagelab_obj_clone(struct pagelab_object *self, struct pagelab_clone __user *uarg);
long pagelab_obj_merge(struct pagelab_merge __user *uarg);
struct pagelab_object *pagelab_kunit_obj_new(pgoff_t npages);
void pagelab_kunit_obj_put(struct pagelab_object *obj);
u64 pagelab_file_object(struct file *file);
struct pagelab_object *pagelab_file_obj(struct file *file);
int pagelab_objects_init(void);
void pagelab_objects_exit(void);
void pagelab_objects_show(struct seq_file *m);

/* frame.c */
struct page *pagelab_frame_prealloc(void);
struct page *pagelab_frame_make(struct page *pre, bool zero, enum pagelab_fail_site site,
				int *err);
vm_fault_t pagelab_frame_fault_code(struct pagelab_object *obj, int err);
void pagelab_frame_discard(struct page *page);
bool pagelab_frame_disown(struct page *page);
void pagelab_frame_share(struct page *page);
bool pagelab_frame_pinned(struct page *page, unsigned int extra);
int pagelab_frame_table_init(struct pagelab_object *obj);
void pagelab_frame_table_free(struct pagelab_object *obj);
int __pagelab_frame_set(struct pagelab_object *obj, pgoff_t index, struct page *page, gfp_t gfp);
struct page *pagelab_frame_find(struct pagelab_object *obj, pgoff_t *index, pgoff_t last,
				int mark);

/* huge.c */
int pagelab_huge_table_init(struct pagelab_object *obj);
void pagelab_huge_split(struct pagelab_object *obj, pgoff_t first, pgoff_t n);
void pagelab_huge_forget(struct pagelab_object *obj);
void pagelab_huge_vma_copied(struct vm_area_struct *vma);
void pagelab_huge_check(struct pagelab_object *obj, pgoff_t index);
vm_fault_t pagelab_huge_fault(struct vm_fault *vmf, unsigned int order);

/* May a PMD leaf map @index's chunk (huge.c)?  Under @obj's lock. */
static inline bool pagelab_huge_intact(const struct pagelab_object *obj, pgoff_t index)
{
	return unlikely(obj->table.intact) && index < obj->npages &&
	       test_bit(index >> PAGELAB_CHUNK_SHIFT, obj->table.intact);
}

/*
 * The frame at @index of @obj, or NULL: no lock, no reference taken (the
 * caller takes one and checks again, see pagelab_obj_get_page(), or holds
 * @obj's lock).
 */
static inline struct page *pagelab_frame_at(const struct pagelab_object *obj, pgoff_t index)
{
	struct page **chunk;

	if (unlikely(index >= obj->npages))
		return NULL;
	/* Acquire: pairs with __pagelab_frame_set()'s release (marks, then chunk). */
	chunk = smp_load_acquire(&obj->table.chunks[index >> PAGELAB_CHUNK_SHIFT]);
	return chunk ? READ_ONCE(chunk[index & (PAGELAB_CHUNK - 1)]) : NULL;
}

/* A new frame, allocated here: pagelab_frame_make() with no page ready. */
static inline struct page *pagelab_frame_new(bool zero, enum pagelab_fail_site site, int *err)
{
	return pagelab_frame_make(NULL, zero, site, err);
}

/**
 * pagelab_frame_set() - set (or with @page NULL, clear) @obj's entry at @index
 * @obj: the object; its lock held, or nobody else can see it yet
 * @index: below @obj->npages
 * @page: the frame (the entry's page reference is the caller's to give),
 *        or NULL to remove the entry and its marks
 * @gfp: for the chunk, if @index's has none yet (never needed to replace
 *       or clear an entry)
 *
 * A frame into a chunk that exists is a store, inline; the rest is
 * __pagelab_frame_set()'s.
 *
 * Return: 0, or -ENOMEM (or -EINVAL: @index past the end) with nothing
 * changed.
 */
static inline int pagelab_frame_set(struct pagelab_object *obj, pgoff_t index,
				    struct page *page, gfp_t gfp)
{
	struct page **chunk;

	if (pagelab_huge_intact(obj, index))
		pagelab_huge_check(obj, index);
	if (likely(page && index < obj->npages)) {
		chunk = obj->table.chunks[index >> PAGELAB_CHUNK_SHIFT];
		if (likely(chunk)) {
			/* Release: the frame's contents before the entry that shows it. */
			smp_store_release(&chunk[index & (PAGELAB_CHUNK - 1)], page);
			return 0;
		}
	}
	return __pagelab_frame_set(obj, index, page, gfp);
}

/* The bitmap of @mark for @index's chunk, NULL if the chunk has none. */
static inline unsigned long *pagelab_frame_marks(const struct pagelab_object *obj,
						 pgoff_t index, enum pagelab_mark mark)
{
	struct pagelab_chunk_marks *m;

	if (unlikely(index >= obj->npages))
		return NULL;
	m = READ_ONCE(obj->table.marks[index >> PAGELAB_CHUNK_SHIFT]);
	return m ? m->bits[mark] : NULL;
}

/* Is @mark set on @index's entry? */
static inline bool pagelab_frame_mark(const struct pagelab_object *obj, pgoff_t index,
				      enum pagelab_mark mark)
{
	unsigned long *bits = pagelab_frame_marks(obj, index, mark);

	return bits && test_bit(index & (PAGELAB_CHUNK - 1), bits);
}

/* Set @mark on @index's entry (a frame is there: its chunk exists). */
static inline void pagelab_frame_set_mark(struct pagelab_object *obj, pgoff_t index,
					  enum pagelab_mark mark)
{
	unsigned long *bits = pagelab_frame_marks(obj, index, mark);

	if (mark == PAGELAB_MARK_SHARED && pagelab_huge_intact(obj, index))
		pagelab_huge_check(obj, index);
	if (!WARN_ON_ONCE(!bits))
		set_bit(index & (PAGELAB_CHUNK - 1), bits);
}

static inline void pagelab_frame_clear_mark(const struct pagelab_object *obj, pgoff_t index,
					    enum pagelab_mark mark)
{
	unsigned long *bits = pagelab_frame_marks(obj, index, mark);

	if (bits)
		clear_bit(index & (PAGELAB_CHUNK - 1), bits);
}

/*
 * The entry at or after *@index (set to its index), for a loop over every
 * entry: for (i = 0; (page = pagelab_frame_next(obj, &i)); i++).  NULL
 * after the last.
 */
static inline struct page *pagelab_frame_next(struct pagelab_object *obj, pgoff_t *index)
{
	return pagelab_frame_find(obj, index, ULONG_MAX, -1);
}

/* The same, over the entries with @mark set. */
static inline struct page *pagelab_frame_next_marked(struct pagelab_object *obj, pgoff_t *index,
						     enum pagelab_mark mark)
{
	return pagelab_frame_find(obj, index, ULONG_MAX, mark);
}

/* cow.c */
bool pagelab_cow_in_place(struct pagelab_object *obj, pgoff_t index, struct page *page,
			  unsigned int extra);
vm_fault_t pagelab_cow_break_locked(struct pagelab_object *obj, pgoff_t index, struct page *held,
				    bool pte_empty,
				    struct page **pagep, bool *copied);
vm_fault_t pagelab_obj_cow_break(struct pagelab_object *obj, pgoff_t index, struct page *held,
				 bool pte_empty,
				 struct page **pagep, bool *copied);
int pagelab_clone_frames(struct pagelab_object *src, struct pagelab_object *dst);
int pagelab_merge_objects(struct pagelab_object **objs, unsigned int n,
			  struct pagelab_merge *out);

/* What the module did for one fault; the names are in the events too. */
enum pagelab_fault_outcome {
	PAGELAB_FAULT_ZERO,	/* read: mapped the shared zero page */
	PAGELAB_FAULT_ALLOC,	/* write: gave the page a new frame */
	PAGELAB_FAULT_EXISTING,	/* mapped a frame the object held */
	PAGELAB_FAULT_AROUND,	/* read: fault-around mapped the page itself */
	PAGELAB_FAULT_MKWRITE,	/* write to a zero-page PTE: frame, then refault */
	PAGELAB_FAULT_COW_ZERO,	/* private write, no frame: kernel copies the zero page */
	PAGELAB_FAULT_SIGBUS,	/* past the end, or the page cap */
	PAGELAB_FAULT_OOM,	/* allocation (memory cgroup charge) failed */
	PAGELAB_FAULT_COW,	/* write to a shared frame: copied for this object */
	PAGELAB_FAULT_WP,	/* write to a read-only PTE of its own frame: made writable */
	PAGELAB_FAULT_PAGEIN,	/* budget: read back from the store (major) */
	PAGELAB_FAULT_WAIT,	/* budget: waited for I/O done without locks */
	PAGELAB_FAULT_HUGE,	/* huge object: a PMD leaf mapped (or made writable) */
	PAGELAB_FAULT_HUGE_ALLOC, /* the same, its 2 MiB of frames allocated first */
};

#define PAGELAB_OUTCOME_LEN	12

/**
 * pagelab_fault_outcome_name() - an outcome's name, as the events carry it
 * @outcome: an enum pagelab_fault_outcome
 *
 * Return: a short constant string.
 */
static inline const char *pagelab_fault_outcome_name(int outcome)
{
	static const char *const names[] = {
		"zero", "alloc", "existing", "around", "mkwrite", "cow-zero", "sigbus", "oom",
		"cow", "wp", "pagein", "wait", "huge", "huge-alloc",
	};

	return outcome >= 0 && outcome < (int)ARRAY_SIZE(names) ? names[outcome] : "?";
}

/* replace.c */
extern unsigned long pagelab_max_store_pages;
int pagelab_rp_pick(struct pagelab_replacer *rp, const unsigned long *skip);
void pagelab_rp_load_slot(struct pagelab_replacer *rp, unsigned int s, pgoff_t index);
void pagelab_rp_touch(struct pagelab_replacer *rp, pgoff_t index);
struct pagelab_replacer *pagelab_rp_alloc(pgoff_t npages);
void pagelab_rp_free(struct pagelab_replacer *rp);
void pagelab_rp_drop(struct pagelab_replacer *rp);
void pagelab_rp_free_mem(struct pagelab_replacer *rp);
vm_fault_t pagelab_rp_fault(struct vm_fault *vmf, struct pagelab_object *obj, int *outcome,
			    bool *handled);
vm_fault_t pagelab_rp_mkwrite(struct pagelab_object *obj, pgoff_t index);
bool pagelab_rp_budgeted_locked(struct pagelab_object *obj);
bool pagelab_rp_io_victim(struct pagelab_object *obj, pgoff_t index);
bool pagelab_rp_stored_locked(struct pagelab_object *obj, pgoff_t index);
long pagelab_rp_set(struct pagelab_object *obj, struct pagelab_replace __user *uarg);
void pagelab_rp_events_show(struct seq_file *m, struct pagelab_object *obj);
void pagelab_events_show(struct seq_file *m);
int pagelab_rp_init(void);
void pagelab_rp_exit(void);

/* True if @obj has a frame budget now (a lockless look). */
static inline bool pagelab_obj_budgeted(struct pagelab_object *obj)
{
	struct pagelab_replacer *rp = READ_ONCE(obj->rp);

	return rp && READ_ONCE(rp->budget);
}

/* walk.c */
#define PAGELAB_WALK_MAX_PAGES	BIT(20)

/**
 * struct pagelab_walk_req - a parsed debugfs "walk" request
 * @pid:    the target process (user walks)
 * @start:  the address, or the range's first byte (page-aligned)
 * @end:    the range's end (page-aligned up), for @range
 * @kernel: walk the kernel's tables
 * @range:  walk [@start, @end)
 */
struct pagelab_walk_req {
	pid_t pid;
	unsigned long start;
	unsigned long end;
	bool kernel;
	bool range;
};

int pagelab_walk_parse(const char *s, struct pagelab_walk_req *req, const char **why);
size_t pagelab_walk_flags(u64 entry, bool leaf, char *buf, size_t len);
void pagelab_walk_escape(struct seq_buf *sb, const char *s);
extern const struct file_operations pagelab_walk_fops;

/* The levels of a walk, top to bottom. */
enum pagelab_walk_level {
	PAGELAB_L_PGD, PAGELAB_L_P4D, PAGELAB_L_PUD, PAGELAB_L_PMD, PAGELAB_L_PTE
};

/**
 * struct pagelab_walk_frame - what a leaf maps, as vm_normal_page() says
 * @page:     the head page, or NULL: no struct page to look at (the zero
 *            page, a special or PFN mapping)
 * @kind:     "zero", "special", "none", "hugetlb", "ksm", "anon",
 *            "pagelab" (an object's frame) or "file"
 * @refcount: the head page's reference count
 * @mapcount: this (sub)page's map count, as pagemap reads it
 * @excl:     mapped once (@mapcount == 1): pagemap's "exclusive"
 * @anon:     the folio is anonymous (KSM pages too)
 * @ksm:      a KSM page
 * @zero:     the shared zero page
 * @flags:    page->flags of the head page, read once where the leaf was
 *            read: decoded later without touching the page, which may be
 *            someone else's by then (and the Page*() tests assert on tail
 *            pages with DEBUG_VM_PGFLAGS)
 * @tail:     the leaf's page was a tail page
 */
struct pagelab_walk_frame {
	struct page *page;
	const char *kind;
	int refcount;
	int mapcount;
	bool excl;
	bool anon;
	bool ksm;
	bool zero;
	unsigned long flags;
	bool tail;
};

/**
 * struct pagelab_walk_end - where a walk of one address (or run) ended
 * @leaf:        an entry maps a frame there
 * @level:       the level of that entry, or of the one found empty
 *               (enum pagelab_walk_level; -1: no VMA)
 * @size:        the leaf's size in bytes
 * @pfn:         the frame of the page at the address
 * @phys:        its physical address
 * @reason:      absent: why ("none", "swap", "migration", "protnone", ...)
 * @swap:        absent in swap: @swap_type and @swap_offset are set
 * @swap_type:   the swap entry's type
 * @swap_offset: its offset
 * @frame:       what the leaf maps
 * @pflags:      the head page's flag names (single-address walks)
 */
struct pagelab_walk_end {
	bool leaf;
	int level;
	unsigned long size;
	unsigned long pfn;
	unsigned long phys;
	const char *reason;
	bool swap;
	unsigned int swap_type;
	unsigned long swap_offset;
	struct pagelab_walk_frame frame;
	char pflags[96];
};

/**
 * struct pagelab_walk_visitor - who a range walk reports pages to
 * @pages: [@addr, @addr + @len) of @vma, every page alike: @e, with the
 *         entry's flag bits @flags and its raw value @entry (0 where no
 *         entry was read).  Called with mmap_lock held for reading and,
 *         for a PTE or a transparent huge PMD, that table's lock; a
 *         hugetlb entry is read under the file's i_mmap_rwsem alone (see
 *         pagelab_walk_hugetlb_lock()), and a PUD leaf with no lock: a
 *         non-present entry there may change under the visitor.  It must
 *         not sleep.
 * @ptes:  optional: the PTEs of [@addr, @end) of @vma at @ptep, read by
 *         the visitor itself (instead of one @pages call per PTE), under
 *         mmap_lock, RCU and the table's lock; it must not sleep
 * @enter: before each step in @vma (see pagelab_walk_range()), mmap_lock
 *         held; may sleep;
 *         an error ends the walk with it (then @leave is not called)
 * @leave: after that step, before mmap_lock is dropped
 * @stop:  set by the visitor: end the walk after this step
 * @resume: set with @stop, or 0: where the walk is to end (and a later one
 *         to begin) instead of after the step
 */
struct pagelab_walk_visitor {
	void (*pages)(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
		      unsigned long addr, unsigned long len, const struct pagelab_walk_end *e,
		      u64 flags, u64 entry);
	void (*ptes)(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
		     unsigned long addr, unsigned long end, pte_t *ptep);
	int (*enter)(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
		     unsigned long addr);
	void (*leave)(struct pagelab_walk_visitor *v, struct vm_area_struct *vma);
	bool stop;
	unsigned long resume;
};

int pagelab_walk_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		       struct pagelab_walk_visitor *v, unsigned long *walk_end);
struct mm_struct *pagelab_walk_pid_mm(struct file *file, pid_t nr, const char **why);
bool pagelab_walk_admin(struct file *file);

/**
 * struct pagelab_dev_file - what one open file of /dev/pagelab holds
 * @blocks:    buddy blocks, handle (1, 2, ...) -> struct pagelab_block
 *             (buddy.c); the xarray's own lock
 * @slab_lock: guards @cache, @nobjects, @size, @name and changes to
 *             @objects (slab.c)
 * @cache:     the file's slab cache, NULL before PAGELAB_SLAB_CREATE
 * @objects:   its objects, handle -> object
 * @nobjects:  entries in @objects
 * @size:      @cache's object size
 * @name:      @cache's name
 */
struct pagelab_dev_file {
	struct xarray blocks;
	struct mutex slab_lock;	/* guards cache, objects, nobjects, size, name */
	struct kmem_cache *cache;
	struct xarray objects;
	unsigned long nobjects;
	u32 size;
	char name[PAGELAB_SLAB_NAME_LEN];
};

/* buddy.c */
struct pagelab_dev_file *pagelab_dev_file_new(void);
void pagelab_dev_file_free(struct pagelab_dev_file *df);
long pagelab_buddy_alloc(struct pagelab_dev_file *df, struct pagelab_buddy *r);
long pagelab_buddy_free(struct pagelab_dev_file *df, struct pagelab_buddy *r);
long pagelab_buddy_ioctl(struct file *file, struct pagelab_buddy __user *uarg);

/**
 * struct pagelab_obj_counter_desc - one line of uapi/pagelab_counters.h
 * @name:     the counter's name, as the debugfs objects line spells it
 * @stat_off: its __u64's offset in struct pagelab_obj_stat
 */
struct pagelab_obj_counter_desc {
	const char *name;
	size_t stat_off;
};

/* object.c: the list's lines in order; where each is counted; stat field sizes. */
extern const struct pagelab_obj_counter_desc pagelab_obj_counter_descs[];
extern const size_t pagelab_obj_counter_offs[];
extern const size_t pagelab_obj_counter_sizes[];
extern const unsigned int pagelab_obj_counter_count;

/**
 * struct pagelab_module_counter_desc - one line of uapi/pagelab_module_counters.h
 * @name:      the counter's name, as the debugfs stats line spells it
 * @stats_off: its atomic64_t's offset in struct pagelab_stats
 */
struct pagelab_module_counter_desc {
	const char *name;
	size_t stats_off;
};

/* stats.c: the list's lines in order; their fields in struct pagelab_info; those sizes. */
extern const struct pagelab_module_counter_desc pagelab_module_counter_descs[];
extern const size_t pagelab_module_counter_info_offs[];
extern const size_t pagelab_module_counter_info_sizes[];
extern const unsigned int pagelab_module_counter_count;
u64 pagelab_module_counter(unsigned int i);

/* physmap.c */
u8 pagelab_phys_kind(struct page *page);
void pagelab_physmap_fill(unsigned long pfn, unsigned int n, u8 *out, u64 *blocks);
long pagelab_physmap_ioctl(struct file *file, struct pagelab_physmap __user *uarg);

/* slab.c */
long pagelab_slab_ioctl(struct file *file, struct pagelab_slab __user *uarg);
void pagelab_slab_release(struct pagelab_dev_file *df);

/* scan.c */
long pagelab_scan_ioctl(struct file *file, struct pagelab_scan __user *uarg);
long pagelab_walk_ioctl(struct file *file, struct pagelab_walk __user *uarg);

/*
 * @obj->lock held, a zero-page PTE of @obj about to be installed: the
 * frame that later arrives for its page looks for it (object.c).
 */
static inline void pagelab_obj_zero_mapped(struct pagelab_object *obj)
{
	lockdep_assert_held(&obj->lock);
	/* Read only under the lock; tested first to leave the line clean. */
	if (!obj->zero_mapped)
		obj->zero_mapped = true;
}

/* fault.c */
int pagelab_obj_mmap(struct file *file, struct vm_area_struct *vma);
bool pagelab_fault_maps_zero(const struct vm_fault *vmf);

int pagelab_info_check(const struct pagelab_info *in);
void pagelab_info_fill(struct pagelab_info *out);

void pagelab_debugfs_init(void);
void pagelab_debugfs_exit(void);

#endif /* _PAGELAB_H */
