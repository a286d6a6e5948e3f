/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pagelab - the ABI shared by the pagelab module and its userspace tools.
 *
 * Every ioctl takes one struct, copied in and (where it has outputs) copied
 * back out.  Fields are fixed-size, padded to a multiple of 8 bytes; padding
 * and reserved fields must be zero on input.  Unknown bits in a @flags field
 * are rejected with -EINVAL; an unknown command gets -ENOTTY.
 */
#ifndef _UAPI_PAGELAB_H
#define _UAPI_PAGELAB_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* ABI version: major changes break old tools, minor ones only add. */
#define PAGELAB_ABI_MAJOR	1
#define PAGELAB_ABI_MINOR	12

#define PAGELAB_DEVICE		"/dev/pagelab"
#define PAGELAB_DEBUGFS		"/sys/kernel/debug/pagelab"

/**
 * struct pagelab_version - the module's ABI and build version
 * @abi_major: (out) PAGELAB_ABI_MAJOR the module was built with
 * @abi_minor: (out) PAGELAB_ABI_MINOR the module was built with
 * @features:  (out) PAGELAB_FEAT_* bits: what this module offers
 * @flags:     (in)  must be 0
 * @pad:       must be 0
 * @release:   (out) the module version string, NUL-terminated
 * @kernel:    (out) the running kernel's release, NUL-terminated
 */
struct pagelab_version {
	__u32 abi_major;
	__u32 abi_minor;
	__u64 features;
	__u32 flags;
	__u32 pad;
	char release[32];
	char kernel[64];
};

/* Feature bits reported in pagelab_version.features. */
#define PAGELAB_FEAT_DEVICE	_BITULL(0)	/* /dev/pagelab, version and info */
#define PAGELAB_FEAT_DEBUGFS	_BITULL(1)	/* /sys/kernel/debug/pagelab */
#define PAGELAB_FEAT_OBJECTS	_BITULL(2)	/* objects: create, attach, mmap, stat */
#define PAGELAB_FEAT_COW	_BITULL(3)	/* clone (snapshots), merge, COW counters */
#define PAGELAB_FEAT_REPLACE	_BITULL(4)	/* frame budgets, replacement, page-out/in */
#define PAGELAB_FEAT_FILE_STORE	_BITULL(5)	/* a backing file as the store; page-in delay */
/*
 * ABI 1.5: what the running kernel does (not what the module offers).
 * SHARED_ZERO: the kernel maps the zero page in a writable shared mapping
 * (before 6.10); without it a read there gives the page a zeroed frame.
 * VMA_LOCK: faults may reach pagelab holding only their VMA's lock, not
 * mmap_lock (per-VMA locks, 6.7 on); obj_stat.vma_lock_faults counts them.
 */
#define PAGELAB_FEAT_SHARED_ZERO _BITULL(6)
#define PAGELAB_FEAT_VMA_LOCK	_BITULL(7)
/*
 * ABI 1.6.  RCU_PTE: a PTE table can be freed while mmap_lock is only held
 * for reading (khugepaged and MADV_COLLAPSE retract a file range's tables,
 * 6.6 on), freed after an RCU grace period; a walk re-checks the PMD that
 * led to the table inside an RCU read section and under the table's lock.
 */
#define PAGELAB_FEAT_RCU_PTE	_BITULL(8)
/* ABI 1.7: PAGELAB_IOC_SCAN, a range's pages as binary runs. */
#define PAGELAB_FEAT_SCAN	_BITULL(9)
/* ABI 1.8: PAGELAB_IOC_WALK, one address's walk as a structure. */
#define PAGELAB_FEAT_WALK	_BITULL(10)
/*
 * ABI 1.10: PAGELAB_CREATE_HUGE works on this kernel (6.12 on): objects
 * whose aligned 2 MiB ranges are mapped by one PMD leaf each.
 */
#define PAGELAB_FEAT_HUGE	_BITULL(11)
/* ABI 1.10: PAGELAB_IOC_BUDDY, blocks straight from the buddy allocator. */
#define PAGELAB_FEAT_BUDDY	_BITULL(12)
/* ABI 1.10: PAGELAB_IOC_SLAB, a slab cache of the caller's own. */
#define PAGELAB_FEAT_SLAB	_BITULL(13)
/* ABI 1.11: PAGELAB_IOC_PHYSMAP, what each physical frame is used for. */
#define PAGELAB_FEAT_PHYSMAP	_BITULL(14)

#define PAGELAB_NAME_LEN	32

/* Flags of struct pagelab_create. */
#define PAGELAB_CREATE_NO_FAULT_AROUND	_BITULL(0)	/* never map neighbours */
/*
 * ABI 1.10: map each aligned 2 MiB of the object with one PMD leaf, from
 * 2 MiB frames the module allocates at the range's first fault (else
 * 4 KiB pages, as any object).  Needs PAGELAB_FEAT_HUGE (-EOPNOTSUPP
 * without it); the object maps MAP_SHARED only (-EINVAL), and never
 * maps neighbours or the zero page.  Clone, merge, a frame budget, and a
 * COW break split a 2 MiB range to 4 KiB pages for good; a partial
 * munmap() or mprotect() splits only that mapping's leaf (the others
 * refault theirs).
 */
#define PAGELAB_CREATE_HUGE		_BITULL(1)
#define PAGELAB_CREATE_FLAGS		(PAGELAB_CREATE_NO_FAULT_AROUND | PAGELAB_CREATE_HUGE)

/**
 * struct pagelab_create - make a new object and get an fd for it
 * @size:         (in)  bytes; a non-zero multiple of the page size, at most
 *                      the module's max_object_pages pages (else -ENOSPC)
 * @flags:        (in)  PAGELAB_CREATE_* bits
 * @mode:         (in)  permission bits for attach (owner/group/other, as a
 *                      file's: 0400 read, 0200 write); 0 means 0600
 * @fault_around: (in)  window, in pages, of resident neighbours mapped on
 *                      a read fault (at most 512); the kernel's own window
 *                      (fault_around_bytes, 64 KiB by default) still
 *                      bounds it; 0 means 16 pages (64 KiB)
 * @fd:           (out) a new O_RDWR, O_CLOEXEC fd for the object: mmap it
 * @id:           (out) the object's id, never reused while the module is loaded
 * @name:         (in)  a label, NUL-terminated; may be empty
 */
struct pagelab_create {
	__u64 size;
	__u64 flags;
	__u32 mode;
	__u32 fault_around;
	__s32 fd;
	__u32 pad;
	__u64 id;
	char name[PAGELAB_NAME_LEN];
};

/* Flags of struct pagelab_attach. */
#define PAGELAB_ATTACH_RDONLY	_BITULL(0)	/* an fd that cannot map PROT_WRITE+MAP_SHARED */
#define PAGELAB_ATTACH_FLAGS	PAGELAB_ATTACH_RDONLY

/**
 * struct pagelab_attach - open an existing object by id
 * @id:    (in)  the object's id
 * @flags: (in)  PAGELAB_ATTACH_* bits
 * @fd:    (out) a new O_CLOEXEC fd for the object (O_RDONLY with
 *               PAGELAB_ATTACH_RDONLY, else O_RDWR)
 * @pad:   must be 0
 *
 * Access is checked like a file's: the owner's, group's or others' bits of
 * the object's mode; CAP_DAC_OVERRIDE passes.  -EACCES if denied, -ENOENT if
 * no live object has that id.
 */
struct pagelab_attach {
	__u64 id;
	__u64 flags;
	__s32 fd;
	__u32 pad;
};

/**
 * struct pagelab_obj_stat - one object's state and counters
 * @id:            (in)  the object's id; on an object fd, 0 means that object
 * @flags:         (in)  must be 0
 * @size:          (out) bytes
 * @resident:      (out) pages the object holds now
 * @mappers:       (out) VMAs that map the object now
 * @files:         (out) open files on the object: each create or attach
 *                       makes one; a mapping keeps its file open after the
 *                       fd is closed
 * @faults_read:   (out) read faults handled
 * @faults_write:  (out) write faults handled; a write to a zero-page PTE
 *                       is two (the @mkwrite trap and the refault that
 *                       maps the new frame), as the hardware takes two
 * @zero_maps:     (out) read faults answered with the shared zero page
 * @allocs:        (out) pages allocated for the object (first writes)
 * @existing:      (out) faults that mapped a page the object already held
 * @fault_around:  (out) pages mapped by fault-around
 * @mkwrite:       (out) writes to a zero-page PTE in a shared mapping
 * @sigbus:        (out) faults answered with SIGBUS (beyond the end, cap hit)
 * @uid:           (out) owner
 * @gid:           (out) group
 * @mode:          (out) permission bits
 * @fault_around_pages: (out) the object's fault-around window, in pages
 * @name:          (out) the object's label
 * @shared:        (out) resident pages whose frame another object (or
 *                       another index, after a merge) holds too
 * @cow_breaks:    (out) writes that copied a shared frame for this object
 * @cow_bytes:     (out) bytes copied by those breaks and by clones
 * @private_cow:   (out) write faults in MAP_PRIVATE mappings that reached
 *                       the module (an empty PTE: the kernel then copies
 *                       into the process's own page); copies of pages
 *                       already mapped (after fork) never reach it
 * @clone_shared:  (out) frames this object got shared, by clone, from its
 *                       source (for a clone)
 * @clone_copied:  (out) frames it got copied at clone time (pinned pages)
 * @merged:        (out) of its pages, how many a merge made share another
 *                       page's frame
 * @merged_zero:   (out) of its pages, how many a merge dropped as all-zero
 * @budget:        (out) frame budget (0: none; see struct pagelab_replace)
 * @policy:        (out) replacement policy (PAGELAB_POLICY_*), 0 without budget
 * @replace_flags: (out) PAGELAB_REPLACE_* flags in force
 * @misses:        (out) references that needed a frame: first touches that
 *                       took one, and page-ins (a textbook "page fault")
 * @page_ins:      (out) pages read back from the store (major faults)
 * @evictions:     (out) frames taken from a page by the policy
 * @writebacks:    (out) evictions that wrote the page to the store (dirty,
 *                       or not stored yet)
 * @clean_drops:   (out) evictions that wrote nothing: the store's copy was
 *                       current (writes avoided)
 * @store_pages:   (out) pages of this object in the store now (the
 *                       module's or the backing file)
 * @inexact:       (out) exact mode: faults where an access spanning two
 *                       pages was detected and both stayed mapped
 * @io_errors:     (out) backing-file reads or writes that failed or came
 *                       short (the fault that needed one got SIGBUS; a page
 *                       whose write failed stays resident, nothing is lost)
 * @io_waits:      (out) faults that waited for a page-out/page-in done
 *                       without locks (letting go of mmap_lock and
 *                       returning VM_FAULT_RETRY where the fault allows it)
 * @major:         (out) faults the kernel counts as major: page-ins from
 *                       the module's store, and faults that ended after
 *                       waiting (the kernel counts every retried fault)
 * @pagein_delay_ms: (out) the page-in delay in force
 * @store_flags:   (out) PAGELAB_STORE_* bits: the store in use
 * @vma_lock_faults: (out) faults that reached the module holding only
 *                       their VMA's lock (see PAGELAB_FEAT_VMA_LOCK)
 * @huge_maps:     (out) PMD leaves installed (PAGELAB_CREATE_HUGE): one
 *                       fault mapping 2 MiB, or making such a leaf writable
 * @huge_splits:   (out) 2 MiB ranges split to 4 KiB pages for good (clone,
 *                       merge, a budget, a COW break); their PMD leaves
 *                       were removed from every mapping first
 *
 * Older tools pass the structure without the fields from @shared on (the
 * 1.1 size); the module answers in the size asked for.
 */
struct pagelab_obj_stat {
	__u64 id;
	__u64 flags;
	__u64 size;
	__u64 resident;
	__u64 mappers;
	__u64 files;
	__u64 faults_read;
	__u64 faults_write;
	__u64 zero_maps;
	__u64 allocs;
	__u64 existing;
	__u64 fault_around;
	__u64 mkwrite;
	__u64 sigbus;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 fault_around_pages;
	char name[PAGELAB_NAME_LEN];
	/* ABI 1.2 */
	__u64 shared;
	__u64 cow_breaks;
	__u64 cow_bytes;
	__u64 private_cow;
	__u64 clone_shared;
	__u64 clone_copied;
	__u64 merged;
	__u64 merged_zero;
	/* ABI 1.3 */
	__u32 budget;
	__u32 policy;
	__u64 replace_flags;
	__u64 misses;
	__u64 page_ins;
	__u64 evictions;
	__u64 writebacks;
	__u64 clean_drops;
	__u64 store_pages;
	__u64 inexact;
	/* ABI 1.4 */
	__u64 io_errors;
	__u64 io_waits;
	__u64 major;
	__u32 pagein_delay_ms;
	__u32 store_flags;
	/* ABI 1.5 */
	__u64 vma_lock_faults;
	/* ABI 1.10 */
	__u64 huge_maps;
	__u64 huge_splits;
};

/* struct pagelab_obj_stat.store_flags */
#define PAGELAB_STORE_FILE	_BITULL(0)	/* pages go to a backing file */

/* The ABI 1.1 size of struct pagelab_obj_stat. */
#define PAGELAB_OBJ_STAT_SIZE_V1	160

/* Flags of struct pagelab_clone: none yet. */
#define PAGELAB_CLONE_FLAGS	0

/**
 * struct pagelab_clone - PAGELAB_IOC_CLONE: a copy-on-write snapshot
 * @src_id: (in)  the object to clone; on an object fd, 0 means that object
 * @flags:  (in)  must be 0
 * @mode:   (in)  the new object's permission bits (0: 0600)
 * @name:   (in)  the new object's label, NUL-terminated; may be empty
 * @fd:     (out) an O_RDWR, close-on-exec fd on the new object
 * @pad:    (in)  must be 0
 * @id:     (out) the new object's id
 * @shared: (out) frames now shared between source and clone
 * @copied: (out) frames copied instead (they had references beyond their
 *                mappings: a GUP pin such as O_DIRECT in flight)
 *
 * The clone has the source's size, flags and fault-around window and is
 * owned by the caller, who needs read access to the source.  No page is
 * copied: both objects hold the same frames, write-protected, until the
 * first write to a page in either copies that page for the writer's object.
 */
struct pagelab_clone {
	__u64 src_id;
	__u32 flags;
	__u32 mode;
	char name[PAGELAB_NAME_LEN];
	__s32 fd;
	__u32 pad;
	__u64 id;
	__u64 shared;
	__u64 copied;
};

/* Replacement policies (struct pagelab_replace.policy). */
#define PAGELAB_POLICY_FIFO	1	/* the page loaded first */
#define PAGELAB_POLICY_LRU	2	/* the page referenced least recently */
#define PAGELAB_POLICY_CLOCK	3	/* second chance: a hand over the frames */
#define PAGELAB_POLICY_LFU	4	/* the page referenced least often since load */
#define PAGELAB_POLICY_RANDOM	5	/* a frame at random (seeded) */
#define PAGELAB_POLICY_MAX	5

/* Flags of struct pagelab_replace. */
#define PAGELAB_REPLACE_EXACT	_BITULL(0)	/* only the last page referenced stays mapped */
#define PAGELAB_REPLACE_NO_ZERO	_BITULL(1)	/* a read of a never-written page takes a frame */
#define PAGELAB_REPLACE_FILE	_BITULL(2)	/* the store is the file @store_fd */
#define PAGELAB_REPLACE_FLAGS	(PAGELAB_REPLACE_EXACT | PAGELAB_REPLACE_NO_ZERO | \
				 PAGELAB_REPLACE_FILE)

/* Longest page-in delay (struct pagelab_replace.pagein_delay_ms). */
#define PAGELAB_PAGEIN_DELAY_MAX_MS	10000

/**
 * struct pagelab_replace - PAGELAB_IOC_REPLACE: an object's frame budget
 * @budget: (in)  most frames the object may hold, 1..its size in pages;
 *                0 takes the budget away (pages come back from the store
 *                first: -ENOSPC if the page cap does not allow it)
 * @policy: (in)  PAGELAB_POLICY_*, which page gives up its frame when a
 *                fault needs one and @budget are in use
 * @flags:  (in)  PAGELAB_REPLACE_*
 * @store_fd: (in) with PAGELAB_REPLACE_FILE: an fd on the backing file,
 *                open for reading and writing; else must be 0
 * @pagein_delay_ms: (in) sleep this long on every page-in, with no lock
 *                held (0: none; at most PAGELAB_PAGEIN_DELAY_MAX_MS); the
 *                faulting task sleeps it, and a fault that may not let go
 *                of mmap_lock (e.g. through /proc/PID/mem) skips it
 * @seed:   (in)  seed of the random policy
 *
 * On an object fd opened for writing.  Pages over a lowered budget are
 * evicted at once.  If that stops short (-EBUSY: frames held by a pin;
 * -ENOSPC, -ENOMEM or an I/O error: a page could not be stored; -EINTR),
 * the object keeps what the request changed so far: its new policy,
 * flags and store, the pages evicted, and a budget of the pages still
 * resident, the smallest it reached (PAGELAB_IOC_OBJ_STAT shows it); the
 * same request again carries on.  Evicted pages go to the module's store (a copy per
 * page, capped by the max_store_pages parameter) and come back at their
 * next touch, a major fault.  References are seen when they fault: in
 * exact mode every reference to another page than the last one faults;
 * otherwise a page's PTEs are removed when the clock hand clears its
 * reference bit (a software reference bit) and by nothing else.
 *
 * Frame slots: a budgeted object's frames are numbered 0..budget-1 (the
 * event log names them); a miss takes the lowest free slot, else the
 * policy's victim's.  Per page the module keeps its load time, last
 * reference time and reference count (a tick per reference it sees) and a
 * reference bit.  FIFO takes the oldest load; LRU the oldest reference;
 * LFU the fewest references since load, ties to the oldest load; CLOCK
 * looks at the slot under the hand: reference bit set: clear it, move on;
 * clear: that slot; the hand then points past it.  A loaded page starts
 * with its bit set, 1 reference, and its load as last reference.
 *
 * Backing file (PAGELAB_REPLACE_FILE): page N lives at offset N * page
 * size.  The file must be a regular file opened O_RDWR without O_APPEND
 * (else -EBADF: read-only; -EINVAL: not regular, or appending), not
 * writable by others nor setuid/setgid (-EPERM), one the caller could
 * itself open for reading and writing (-EACCES: an fd handed over is not
 * enough), and at least the object's size (-ENOSPC).  The module reopens
 * it for itself with the caller's credentials (later fcntl flags on
 * @store_fd do not reach it) and reads and writes it with those.
 * It is read and written with no lock of the faulting process held: the
 * fault lets go of mmap_lock and is retried once the I/O is done
 * (VM_FAULT_RETRY); a fault that may not let go waits for the I/O,
 * killably.  A failed or short read or write gives the faulting access
 * SIGBUS and counts in io_errors.  The store can be changed only while it
 * holds no page (-EBUSY): a budget of 0 first brings every page back.  A
 * file backs one object at a time (-EBUSY for a second one).
 */
struct pagelab_replace {
	__u32 budget;
	__u32 policy;
	__u64 flags;
	__s32 store_fd;
	__u32 pagein_delay_ms;
	__u64 seed;
};

/* Most objects one merge request may name. */
#define PAGELAB_MERGE_MAX_OBJECTS	64
/* Flags of struct pagelab_merge: none yet. */
#define PAGELAB_MERGE_FLAGS	0

/**
 * struct pagelab_merge - PAGELAB_IOC_MERGE: share identical pages
 * @ids:     (in)  user pointer to an array of object ids (__u64)
 * @nids:    (in)  entries in @ids, 1..PAGELAB_MERGE_MAX_OBJECTS; repeats
 *                 are ignored
 * @flags:   (in)  must be 0
 * @scanned: (out) resident pages looked at
 * @merged:  (out) pages that now share another page's frame
 * @zero:    (out) all-zero pages dropped (reads map the zero page again)
 * @skipped: (out) pages left alone: referenced beyond their mappings
 *                 (pinned), or locked by a fault at that moment
 * @saved:   (out) bytes of frames freed by this merge
 *
 * The caller needs read and write access to every object named.  Merged
 * pages are write-protected; the next write to one copies it again.
 */
struct pagelab_merge {
	__u64 ids;
	__u32 nids;
	__u32 flags;
	__u64 scanned;
	__u64 merged;
	__u64 zero;
	__u64 skipped;
	__u64 saved;
};

/**
 * struct pagelab_info - module-wide state and limits
 * @flags:          (in)  must be 0
 * @pad:            must be 0
 * @page_size:      (out) PAGE_SIZE of the running kernel
 * @pgtable_levels: (out) paging levels in use (4 or 5)
 * @max_pages:      (out) module-wide cap on pages pagelab may hold
 * @max_object_pages: (out) cap on one object's size, in pages
 * @pages_held:     (out) pages pagelab holds now
 * @pages_allocated: (out) pages allocated since load
 * @pages_freed:    (out) pages freed since load
 * @objects:        (out) live objects
 * @store_pages:    (out) pages in the page store now, all objects (ABI 1.12)
 * @max_store_pages: (out) module-wide cap on @store_pages (ABI 1.12)
 *
 * The counters are listed once, in uapi/pagelab_module_counters.h.  A
 * caller built against ABI 1.11 or older passes the struct's old size
 * (PAGELAB_INFO_SIZE_V1, PAGELAB_IOC_INFO_V1) and gets the fields up to
 * @objects.
 */
struct pagelab_info {
	__u32 flags;
	__u32 pad;
	__u32 page_size;
	__u32 pgtable_levels;
	__u64 max_pages;
	__u64 max_object_pages;
	__u64 pages_held;
	__u64 pages_allocated;
	__u64 pages_freed;
	__u64 objects;
	/* ABI 1.12 */
	__u64 store_pages;
	__u64 max_store_pages;
};

/* The ABI 1.11 size of struct pagelab_info. */
#define PAGELAB_INFO_SIZE_V1	64

/*
 * Categories of a page (struct pagelab_scan_run.categories, and the masks
 * of struct pagelab_scan).  The first six say what /proc/PID/pagemap says,
 * page for page: PRESENT (bit 63 there), SWAP (62: a swap entry, or a
 * migration, device or marker entry), FILE (61: the frame is not
 * anonymous), EXCLUSIVE (56: the page mapped once), SOFT_DIRTY (55: the
 * entry's bit, or the whole VMA's VM_SOFTDIRTY), UFFD_WP (57).
 */
#define PAGELAB_SCAN_PRESENT	_BITULL(0)
#define PAGELAB_SCAN_SWAP	_BITULL(1)
#define PAGELAB_SCAN_FILE	_BITULL(2)
#define PAGELAB_SCAN_EXCLUSIVE	_BITULL(3)
#define PAGELAB_SCAN_SOFT_DIRTY	_BITULL(4)
#define PAGELAB_SCAN_UFFD_WP	_BITULL(5)
/* The entry: writable, dirty, accessed; PROT_NONE (NUMA hinting or mprotect). */
#define PAGELAB_SCAN_WRITE	_BITULL(6)
#define PAGELAB_SCAN_DIRTY	_BITULL(7)
#define PAGELAB_SCAN_ACCESSED	_BITULL(8)
#define PAGELAB_SCAN_PROT_NONE	_BITULL(9)
/*
 * The frame: the shared zero page (the 4 KiB one; the huge zero page is a
 * file frame, as pagemap shows it); anonymous; merged by KSM.
 */
#define PAGELAB_SCAN_ZERO	_BITULL(10)
#define PAGELAB_SCAN_ANON	_BITULL(11)
#define PAGELAB_SCAN_KSM	_BITULL(12)
/* The leaf: a 2 MiB (PMD) or 1 GiB (PUD) entry maps the page; hugetlbfs. */
#define PAGELAB_SCAN_PMD	_BITULL(13)
#define PAGELAB_SCAN_PUD	_BITULL(14)
#define PAGELAB_SCAN_HUGETLB	_BITULL(15)
/*
 * COW: a write here would copy the frame: present, read-only, in a writable
 * VMA, and the frame is not this mapping's alone (the zero page, a frame
 * mapped more than once, a file's or an object's frame in a private
 * mapping, a KSM page, or an object frame shared by clone or merge).
 */
#define PAGELAB_SCAN_COW	_BITULL(16)
/*
 * pagelab objects: OBJECT, the page is in a mapping of one (the run names
 * it); BUDGETED, that object has a frame budget; STORED, the page is not
 * mapped and its contents are in the object's store (paged out).
 */
#define PAGELAB_SCAN_OBJECT	_BITULL(17)
#define PAGELAB_SCAN_BUDGETED	_BITULL(18)
#define PAGELAB_SCAN_STORED	_BITULL(19)
/*
 * ABI 1.9.  NOT_SWAP: with SWAP, an entry that holds no page in swap
 * (non_swap_entry(): a migration, device-private or -exclusive, hwpoison or
 * marker entry, e.g. userfaultfd's write-protect marker).  pagemap shows it
 * as swap; smaps counts none of them as Swap (a migration or device entry's
 * page counts as resident, ANON or FILE tells which).
 */
#define PAGELAB_SCAN_NOT_SWAP	_BITULL(20)
#define PAGELAB_SCAN_ALL	(_BITULL(21) - 1)

/**
 * struct pagelab_scan_run - a run of pages with the same categories
 * @start:      first page's address
 * @pages:      how many pages
 * @categories: PAGELAB_SCAN_* bits, the same for every page of the run
 * @pfn:        present: the first page's frame; the run's frames are
 *              consecutive (the zero page: the same frame throughout).
 *              SWAP: the first page's entry as pagemap encodes it (type in
 *              bits 0-4, offset above), consecutive offsets.  0 unless the
 *              caller has CAP_SYS_ADMIN (and then runs do not say where
 *              frames stop being consecutive).
 * @object:     the pagelab object's id (OBJECT), else 0
 * @index:      the first page's offset in its file or object, in pages
 *              (consecutive through the run); 0 in anonymous mappings
 */
struct pagelab_scan_run {
	__u64 start;
	__u64 pages;
	__u64 categories;
	__u64 pfn;
	__u64 object;
	__u64 index;
};

/*
 * Flags of struct pagelab_scan.  NO_PFN: leave frames out (pfn 0) even
 * for CAP_SYS_ADMIN, so runs need not stop where frames do.
 */
#define PAGELAB_SCAN_F_NO_PFN	0x1U
#define PAGELAB_SCAN_FLAGS	PAGELAB_SCAN_F_NO_PFN
/* Most runs one call returns; a larger @max_runs is -EINVAL. */
#define PAGELAB_SCAN_MAX_RUNS	65536

/**
 * struct pagelab_scan - PAGELAB_IOC_SCAN: the pages of a range, as runs
 * @size:      (in)  sizeof(struct pagelab_scan)
 * @pid:       (in)  the process (0: the caller); reading another needs
 *             what a ptrace read needs (PTRACE_MODE_READ_FSCREDS), from
 *             both the opener of /dev/pagelab and the caller
 * @flags:     (in)  PAGELAB_SCAN_F_* bits
 * @max_runs:  (in)  room in @runs, 1..PAGELAB_SCAN_MAX_RUNS
 * @start:     (in)  first address, page-aligned
 * @end:       (in)  end of the range (exclusive), page-aligned, > @start,
 *             at most the top of user space
 * @required:  (in)  a page is reported only if it has all these categories,
 * @any:       (in)  and at least one of these (0: no such condition),
 * @excluded:  (in)  and none of these
 * @max_pages: (in)  stop after this many reported pages (0: no limit)
 * @runs:      (in)  user address of struct pagelab_scan_run[@max_runs]
 * @nr_runs:   (out) runs written, in address order
 * @pad:       must be 0
 * @walk_end:  (out) where the scan stopped: @end if it covered the range,
 *             else the first page not reported (runs full, @max_pages
 *             reached, or a signal arrived): call again from there
 *
 * Only pages inside VMAs are reported; holes between them are skipped
 * (pagemap shows them as 0).  Pages are read as pagemap reads them (the
 * mmap_lock for reading, dropped after every 2 MiB), so a run is a
 * snapshot of its own PMD, not of the whole range.  PFN mappings (VM_PFNMAP:
 * [vvar], device memory) are shown as pagemap shows them: nothing mapped.
 * Return: 0, or -EINVAL (a bad field), -ESRCH (no such process, or it has
 * no memory map), -EPERM, -EFAULT, -ENOMEM, -EINTR (a fatal signal).  On
 * an error, @runs may hold records written before it, and @nr_runs and
 * @walk_end are not updated.
 */
struct pagelab_scan {
	__u32 size;
	__s32 pid;
	__u32 flags;
	__u32 max_runs;
	__u64 start;
	__u64 end;
	__u64 required;
	__u64 any;
	__u64 excluded;
	__u64 max_pages;
	__u64 runs;
	__u32 nr_runs;
	__u32 pad;
	__u64 walk_end;
};

/* Flags of struct pagelab_walk. */
#define PAGELAB_WALK_KERNEL	_BITULL(0)	/* @addr is the kernel's (CAP_SYS_ADMIN) */
#define PAGELAB_WALK_FLAGS	PAGELAB_WALK_KERNEL

/* Levels (struct pagelab_walk_entry::level, ::leaf_level, ::absent_level). */
#define PAGELAB_LEVEL_PGD	0
#define PAGELAB_LEVEL_P4D	1
#define PAGELAB_LEVEL_PUD	2
#define PAGELAB_LEVEL_PMD	3
#define PAGELAB_LEVEL_PTE	4
#define PAGELAB_LEVEL_PGD_USER	5	/* with PTI: the PGD entry user mode runs on */
#define PAGELAB_LEVEL_NONE	0xff	/* no level looked at (no VMA) */

/* Flags of struct pagelab_walk_entry. */
#define PAGELAB_WALK_E_LEAF	_BITUL(0)	/* maps memory: no next table */
#define PAGELAB_WALK_E_FOLDED	_BITUL(1)	/* a folded level: no entry of its own */

/*
 * The entry's bits, as struct pagelab_walk_entry::bits names them (x86-64;
 * the tools print them by these names, in this order).  The software bits
 * (SD to DEVMAP) only on a leaf; PROTNONE instead of G on a PROTNONE entry.
 */
#define PAGELAB_E_P		_BITUL(0)
#define PAGELAB_E_RW		_BITUL(1)
#define PAGELAB_E_U		_BITUL(2)
#define PAGELAB_E_PWT		_BITUL(3)
#define PAGELAB_E_PCD		_BITUL(4)
#define PAGELAB_E_A		_BITUL(5)
#define PAGELAB_E_D		_BITUL(6)
#define PAGELAB_E_PS		_BITUL(7)
#define PAGELAB_E_G		_BITUL(8)
#define PAGELAB_E_NX		_BITUL(9)
#define PAGELAB_E_SD		_BITUL(10)	/* soft-dirty */
#define PAGELAB_E_SPECIAL	_BITUL(11)
#define PAGELAB_E_UFFD_WP	_BITUL(12)
#define PAGELAB_E_DEVMAP	_BITUL(13)
#define PAGELAB_E_PROTNONE	_BITUL(14)
#define PAGELAB_E_NBITS		15

/**
 * struct pagelab_walk_entry - one level of a walk
 * @entry: the entry's value; without CAP_SYS_ADMIN, no frame or table
 *         address, and of a swap entry only the bits below type and offset
 * @next:  the next table's physical address (CAP_SYS_ADMIN; else 0); 0 for
 *         a leaf
 * @index: the entry's index in its table
 * @bits:  PAGELAB_E_*: the entry's flags, decoded
 * @level: PAGELAB_LEVEL_*
 * @flags: PAGELAB_WALK_E_*
 * @pkey:  a leaf's protection key (0: none)
 * @pad:   0
 */
struct pagelab_walk_entry {
	__u64 entry;
	__u64 next;
	__u32 index;
	__u32 bits;
	__u8 level;
	__u8 flags;
	__u8 pkey;
	__u8 pad[5];
};

#define PAGELAB_WALK_MAX_ENTRIES	8
#define PAGELAB_WALK_BACKING_LEN	288
#define PAGELAB_WALK_WORD_LEN		16
#define PAGELAB_WALK_PFLAGS_LEN		96

/* Flags of struct pagelab_walk's answer (@found). */
#define PAGELAB_WALK_VMA	_BITUL(0)	/* @vma_* are set */
#define PAGELAB_WALK_LEAF	_BITUL(1)	/* @leaf_*, @pfn, @phys are set */
#define PAGELAB_WALK_PAGE	_BITUL(2)	/* @page_kind, @page_flags are set */
#define PAGELAB_WALK_COUNTS	_BITUL(3)	/* @refcount, @mapcount are set */
#define PAGELAB_WALK_SWAP	_BITUL(4)	/* @swap_type, @swap_offset are set */

/**
 * struct pagelab_walk - PAGELAB_IOC_WALK: one address, level by level
 * @pid:          (in) the process (0: the caller); 0 with PAGELAB_WALK_KERNEL
 * @flags:        (in) PAGELAB_WALK_*
 * @addr:         (in) the address
 * @levels:       (out) paging levels in use (4 or 5)
 * @nentries:     (out) entries in @entries, in walk order
 * @found:        (out) PAGELAB_WALK_VMA | _LEAF | _PAGE | _COUNTS | _SWAP
 * @leaf_level:   (out) the leaf's level
 * @absent_level: (out) where the walk ended without a leaf, or
 *                PAGELAB_LEVEL_NONE
 * @entries:      (out) the entries read
 * @vma_start:    (out) the VMA holding @addr
 * @vma_end:      (out)
 * @leaf_size:    (out) bytes the leaf maps
 * @pfn:          (out) the frame of @addr (CAP_SYS_ADMIN; else 0)
 * @phys:         (out) the physical address of @addr (CAP_SYS_ADMIN; else 0)
 * @refcount:     (out) the page's reference count (CAP_SYS_ADMIN)
 * @mapcount:     (out) its map count (CAP_SYS_ADMIN)
 * @swap_type:    (out) a swap entry's type (CAP_SYS_ADMIN)
 * @pad:          0
 * @swap_offset:  (out) its offset (CAP_SYS_ADMIN)
 * @vma_prot:     (out) "rwxp" as /proc/PID/maps shows it, NUL-terminated
 * @page_kind:    (out) what the frame is ("anon", "file", "zero", ...)
 * @absent_reason: (out) why there is no leaf ("none", "bad", "swap", ...)
 * @vma_backing:  (out) "anon", "heap", "stack", "vdso", "vvar",
 *                "pagelab:ID", "special:NAME" or "file:PATH" (unescaped;
 *                "file:?" for a path of 256 bytes or more)
 * @page_flags:   (out) the page's flags, '|'-separated (CAP_SYS_ADMIN)
 *
 * The same walk as debugfs' walk file, with the same permission rules
 * (another process: PTRACE_MODE_READ; PAGELAB_WALK_KERNEL: CAP_SYS_ADMIN),
 * answered as a structure the tools render as text or JSON.
 */
struct pagelab_walk {
	__s32 pid;
	__u32 flags;
	__u64 addr;
	__u32 levels;
	__u32 nentries;
	__u32 found;
	__u8 leaf_level;
	__u8 absent_level;
	__u16 pad0;
	struct pagelab_walk_entry entries[PAGELAB_WALK_MAX_ENTRIES];
	__u64 vma_start;
	__u64 vma_end;
	__u64 leaf_size;
	__u64 pfn;
	__u64 phys;
	__s32 refcount;
	__s32 mapcount;
	__u32 swap_type;
	__u32 pad;
	__u64 swap_offset;
	char vma_prot[8];
	char page_kind[PAGELAB_WALK_WORD_LEN];
	char absent_reason[PAGELAB_WALK_WORD_LEN];
	char vma_backing[PAGELAB_WALK_BACKING_LEN];
	char page_flags[PAGELAB_WALK_PFLAGS_LEN];
};

/* struct pagelab_buddy.op */
#define PAGELAB_BUDDY_ALLOC	1
#define PAGELAB_BUDDY_FREE	2
#define PAGELAB_BUDDY_MAX_ORDER	10
#define PAGELAB_BUDDY_ZONE_LEN	16
/* struct pagelab_buddy.flags (ABI 1.11) */
#define PAGELAB_BUDDY_NOWAIT	_BITUL(0)

/**
 * struct pagelab_buddy - PAGELAB_IOC_BUDDY (on /dev/pagelab): take a block
 * of 2^order contiguous pages from the kernel's buddy allocator, or give
 * one back.  From ABI 1.11 a block of order 1 and up is one compound page
 * (as /proc/kpageflags shows it).  Blocks belong to the open file (freed when it is closed),
 * count in max_pages (-ENOSPC over it) and are charged to the caller's
 * memory cgroup; -ENOMEM when the kernel has no free block of that order
 * (no reclaim is forced for it).  -EPERM unless the opener of the file and
 * the caller have CAP_SYS_ADMIN (frames are physical addresses).
 * @op:          (in)  PAGELAB_BUDDY_ALLOC or PAGELAB_BUDDY_FREE
 * @order:       (in)  ALLOC: 0..PAGELAB_BUDDY_MAX_ORDER; (out) FREE: the
 *                     block's
 * @handle:      (out) ALLOC: the block's handle (1, 2, ... per file);
 *               (in)  FREE: the block to give back (-ENOENT if the file
 *                     holds none by that handle: never given, or freed)
 * @pfn:         (out) the block's first frame (a multiple of 2^order)
 * @buddy_pfn:   (out) its buddy's first frame, @pfn ^ 2^order: the block
 *                     it merges with into one of order + 1 when both are free
 * @buddy_free:  (out) 1 if a free block of the buddy allocator started at
 *                     @buddy_pfn when looked at, its order in @buddy_order
 *                     (for FREE, after the free: if the two merged, a block
 *                     of a higher order starts there when the buddy is the
 *                     lower half, none when it is the upper); a snapshot,
 *                     racing every other allocation
 * @buddy_order: (out) see @buddy_free
 * @nid:         (out) the block's node
 * @flags:       (in)  ALLOC: PAGELAB_BUDDY_NOWAIT: only a block free now
 *                     above the zone's watermark, no reclaim, no
 *                     compaction, kswapd not woken (-ENOMEM otherwise;
 *                     ABI 1.11: PAGELAB_FEAT_PHYSMAP says the module has
 *                     it); other bits, or any for FREE: -EINVAL
 * @zone:        (out) its zone's name, as /proc/buddyinfo spells it
 */
struct pagelab_buddy {
	__u32 op;
	__u32 order;
	__u64 handle;
	__u64 pfn;
	__u64 buddy_pfn;
	__u32 buddy_free;
	__u32 buddy_order;
	__s32 nid;
	__u32 flags;
	char zone[PAGELAB_BUDDY_ZONE_LEN];
};

/* struct pagelab_slab.op */
#define PAGELAB_SLAB_CREATE	1
#define PAGELAB_SLAB_ALLOC	2
#define PAGELAB_SLAB_FREE	3
#define PAGELAB_SLAB_SHRINK	4
#define PAGELAB_SLAB_MAX_SIZE	8192
#define PAGELAB_SLAB_MAX_ALIGN	4096
#define PAGELAB_SLAB_MAX_OBJECTS 16384
#define PAGELAB_SLAB_NAME_LEN	32

/**
 * struct pagelab_slab - PAGELAB_IOC_SLAB (on /dev/pagelab): a slab cache
 * of the caller's own, its objects taken and given back one by one.  The
 * cache and its objects belong to the open file (all freed, the cache
 * destroyed, when it is closed); it is never merged with another cache,
 * so its line in /proc/slabinfo and /sys/kernel/slab/NAME/ are its own,
 * and its objects are charged to the caller's memory cgroup.  -EPERM
 * unless the opener of the file and the caller have CAP_SYS_ADMIN.
 * @op:         (in)  PAGELAB_SLAB_CREATE (once per file; -EBUSY after),
 *                    _ALLOC, _FREE or _SHRINK (kmem_cache_shrink(): empty
 *                    slabs go back to the page allocator); the others
 *                    before CREATE: -EINVAL
 * @size:       (in)  CREATE: the object size, 1..PAGELAB_SLAB_MAX_SIZE
 *                    bytes; the other ops: 0 (-EINVAL otherwise);
 *                    (out) the cache's object size
 * @align:      (in)  CREATE: 0, or a power of two up to
 *                    PAGELAB_SLAB_MAX_ALIGN: each object's alignment; the
 *                    other ops: 0
 * @pad:        must be 0
 * @handle:     (out) ALLOC: the object's handle (1, 2, ...; at most
 *                    PAGELAB_SLAB_MAX_OBJECTS held, -ENOSPC);
 *              (in)  FREE: the object to give back (-ENOENT: none; a FREE
 *                    whose answer cannot be copied out still freed it)
 * @slab_pfn:   (out) ALLOC, FREE: the first frame of the slab holding the
 *                    object (for FREE: before the free)
 * @offset:     (out) ALLOC, FREE: the object's byte offset in its slab
 * @slab_order: (out) ALLOC, FREE: the slab's order (2^order pages)
 * @name:       (out) the cache's name, NUL-terminated
 */
struct pagelab_slab {
	__u32 op;
	__u32 size;
	__u32 align;
	__u32 pad;
	__u64 handle;
	__u64 slab_pfn;
	__u32 offset;
	__u32 slab_order;
	char name[PAGELAB_SLAB_NAME_LEN];
};

/*
 * struct pagelab_physmap's answer: one byte per frame, its kind in the low
 * four bits; for PAGELAB_PHYS_FREE, the order of the free block the frame
 * lies in above them (byte >> PAGELAB_PHYS_ORDER_SHIFT).  Kinds 10-15 are
 * never answered (pagelab's tools use 15 for frames they know are theirs).
 */
#define PAGELAB_PHYS_HOLE	0	/* no online memory: a hole, offline or device */
#define PAGELAB_PHYS_FREE	1	/* in a free block of the buddy allocator */
/*
 * No reference: free on a per-CPU list (or being freed), or a tail page of
 * a multi-page allocation that is not compound (alloc_pages() without
 * __GFP_COMP): the two look the same.
 */
#define PAGELAB_PHYS_NOREF	2
#define PAGELAB_PHYS_RESERVED	3	/* reserved: the kernel image, firmware, memmap */
/*
 * Allocated, none of the below: vmalloc, stacks, driver pages, pagelab's
 * frames; also the top-level page tables the kernel does not mark (x86's
 * PGD, and on 6.1 its P4D and PUD tables).
 */
#define PAGELAB_PHYS_KERNEL	4
#define PAGELAB_PHYS_SLAB	5	/* a slab of some kmem_cache */
#define PAGELAB_PHYS_PGTABLE	6	/* a page table */
#define PAGELAB_PHYS_ANON	7	/* anonymous memory (processes' heap, stack) */
#define PAGELAB_PHYS_FILE	8	/* page cache, shmem and tmpfs */
#define PAGELAB_PHYS_HUGETLB	9	/* in a hugetlbfs page, used or in the pool */
#define PAGELAB_PHYS_KINDS	10
#define PAGELAB_PHYS_KIND_MASK	0x0f
#define PAGELAB_PHYS_ORDER_SHIFT 4
/* Frames per PAGELAB_IOC_PHYSMAP call, at most (64 GiB of 4 KiB frames). */
#define PAGELAB_PHYSMAP_MAX	_BITULL(24)

/**
 * struct pagelab_physmap - PAGELAB_IOC_PHYSMAP (on /dev/pagelab): what
 * each frame of a range of physical memory is used for, read from the
 * kernel's page descriptors the way /proc/kpageflags reads them: a
 * snapshot that races every allocation, one byte per frame (see
 * PAGELAB_PHYS_*).  Free blocks carry their order, tails included.
 * -EPERM unless the opener of the file and the caller have CAP_SYS_ADMIN.
 * @start_pfn: (in)  the first frame
 * @count:     (in)  frames to describe, 1..PAGELAB_PHYSMAP_MAX, with
 *                   @start_pfn + @count not past 2^52 (-EINVAL)
 * @buf:       (in)  user address of @count bytes for the answer (-EFAULT)
 * @flags:     (in)  must be 0
 * @pad:       must be 0
 * @free_blocks: (out) free blocks of the buddy allocator that start in
 *                   the range, by order (as /proc/buddyinfo counts them);
 *                   not written back on an error (-EFAULT, -EINTR may
 *                   leave @buf partly written)
 */
struct pagelab_physmap {
	__u64 start_pfn;
	__u64 count;
	__u64 buf;
	__u32 flags;
	__u32 pad;
	__u64 free_blocks[16];
};

#define PAGELAB_IOC_MAGIC	0xb7

#define PAGELAB_IOC_VERSION	_IOWR(PAGELAB_IOC_MAGIC, 0x00, struct pagelab_version)
#define PAGELAB_IOC_INFO	_IOWR(PAGELAB_IOC_MAGIC, 0x01, struct pagelab_info)
#define PAGELAB_IOC_INFO_V1	_IOC(_IOC_READ | _IOC_WRITE, PAGELAB_IOC_MAGIC, 0x01, \
				     PAGELAB_INFO_SIZE_V1)
/* On /dev/pagelab: */
#define PAGELAB_IOC_CREATE	_IOWR(PAGELAB_IOC_MAGIC, 0x02, struct pagelab_create)
#define PAGELAB_IOC_ATTACH	_IOWR(PAGELAB_IOC_MAGIC, 0x03, struct pagelab_attach)
/* On /dev/pagelab (by id) or on an object fd: */
#define PAGELAB_IOC_OBJ_STAT	_IOWR(PAGELAB_IOC_MAGIC, 0x04, struct pagelab_obj_stat)
/* The same, as ABI 1.1 tools pass it (the shorter structure). */
#define PAGELAB_IOC_OBJ_STAT_V1	_IOC(_IOC_READ | _IOC_WRITE, PAGELAB_IOC_MAGIC, 0x04, \
				     PAGELAB_OBJ_STAT_SIZE_V1)
#define PAGELAB_IOC_CLONE	_IOWR(PAGELAB_IOC_MAGIC, 0x05, struct pagelab_clone)
/* On an object fd: */
#define PAGELAB_IOC_REPLACE	_IOW(PAGELAB_IOC_MAGIC, 0x07, struct pagelab_replace)
/* On /dev/pagelab: */
#define PAGELAB_IOC_MERGE	_IOWR(PAGELAB_IOC_MAGIC, 0x06, struct pagelab_merge)
#define PAGELAB_IOC_SCAN	_IOWR(PAGELAB_IOC_MAGIC, 0x08, struct pagelab_scan)
#define PAGELAB_IOC_WALK	_IOWR(PAGELAB_IOC_MAGIC, 0x09, struct pagelab_walk)
#define PAGELAB_IOC_BUDDY	_IOWR(PAGELAB_IOC_MAGIC, 0x0a, struct pagelab_buddy)
#define PAGELAB_IOC_SLAB	_IOWR(PAGELAB_IOC_MAGIC, 0x0b, struct pagelab_slab)
#define PAGELAB_IOC_PHYSMAP	_IOWR(PAGELAB_IOC_MAGIC, 0x0c, struct pagelab_physmap)

#endif /* _UAPI_PAGELAB_H */
