/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - the one place for kernel-version and kernel-config shims.
 */
#ifndef _PAGELAB_COMPAT_H
#define _PAGELAB_COMPAT_H

#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <asm/cpufeature.h>

/*
 * Kernel versions: pagelab builds on Debian 12's 6.1 and 6.12.  Each test
 * below names the release that changed the API; the call sites use the
 * helper on every kernel.  Version tests appear in this file only
 * (scripts/lint.sh lets checkpatch accept them here and nowhere else).
 */
#define PAGELAB_KERNEL_SINCE(major, minor) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(major, minor, 0))

/*
 * Mainline 6.13-6.18, read on paper only (nothing compiled against them;
 * Documentation/kernels-mainline.md has the evidence for each line):
 *
 * 6.13  symbol namespaces are string literals    -> PAGELAB_KUNIT_NS (below)
 *       PageKsm() removed                         -> folio_test_ksm(page_folio())
 *                                                    at the call site (6.1 has it)
 * 6.14  __kunit_test_suites_init() takes a third
 *       argument (run_tests)                      -> pagelab_kunit_suites_init()
 *       override_creds() takes no reference       -> nothing (the file outlives it)
 * 6.15  CONFIG_NO_PAGE_MAPCOUNT: no per-page
 *       mapcount in large folios                  -> pagelab_page_mapcount(), a
 *                                                    config test (order-0 frames
 *                                                    are unaffected)
 * 6.16  CONFIG_X86_5LEVEL removed                 -> scripts/debug.config only
 * 6.17  pfn_t removed; vmf_insert_mixed() takes
 *       a plain PFN                               -> a pagelab_insert_zero_pfn()
 *       pmd_devmap(), _PAGE_DEVMAP removed        -> the walk's flag table
 * 6.18  page->flags is memdesc_flags_t (.f)       -> a pagelab_page_flags()
 * The first two are prepared here and compiled on 6.1 and 6.12; the rest
 * waits for a compiler.
 */

/*
 * The namespace of the exports the KUnit suites use.  Up to 6.12 the
 * export and import macros stringify their argument (a macro expands
 * first, so this gives "PAGELAB_KUNIT"); 6.13 on, they take the string.
 */
#if PAGELAB_KERNEL_SINCE(6, 13)
#define PAGELAB_KUNIT_NS "PAGELAB_KUNIT"
#else
#define PAGELAB_KUNIT_NS PAGELAB_KUNIT
#endif

/* Run a module's KUnit suites (6.14 added run_tests: they always run here). */
#if PAGELAB_KERNEL_SINCE(6, 14)
#define pagelab_kunit_suites_init(suites, n) __kunit_test_suites_init(suites, n, true)
#else
#define pagelab_kunit_suites_init(suites, n) __kunit_test_suites_init(suites, n)
#endif

/*
 * KUnit's kunit_vm_mmap() (6.10) gives a test's kernel thread an mm of its
 * own, so a suite can fault on user mappings as a kthread with a borrowed
 * mm does.  Only a kernel with KUnit built in has it: the out-of-tree
 * kunit.ko that setup builds for Debian's kernels leaves user_alloc.c out
 * (mm_alloc() is not exported).
 */
#if PAGELAB_KERNEL_SINCE(6, 10) && IS_BUILTIN(CONFIG_KUNIT)
#define PAGELAB_HAVE_KUNIT_VM_MMAP 1
#endif

/*
 * Set flags of a VMA being set up in ->mmap.  Since 6.3 vm_flags is
 * read-only and vm_flags_set() also write-locks the VMA (per-VMA locks);
 * a new VMA is not yet visible to faults, so that lock is never contended.
 */
static inline void pagelab_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if PAGELAB_KERNEL_SINCE(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * A PMD entry read once, with no lock, for a walk to test and then
 * revalidate with pmd_same().  6.2 renamed pmd_read_atomic() to
 * pmdp_get_lockless(); on x86-64 either is a single load of the entry.
 */
static inline pmd_t pagelab_pmdp_get(pmd_t *pmdp)
{
#if PAGELAB_KERNEL_SINCE(6, 2)
	return pmdp_get_lockless(pmdp);
#else
	return pmd_read_atomic(pmdp);
#endif
}

/*
 * Keep the PTE table of a fault's own address, reached without its lock,
 * from being freed: the fault holds mmap_lock (or the VMA's lock) for
 * reading.  Since 6.6 a table under a live VMA can go with only that held
 * (khugepaged and MADV_COLLAPSE retract a file's tables, freed after an
 * RCU grace period; pagelab's VM_MIXEDMAP mappings are never collapsed,
 * but later kernels also free empty tables): rcu_read_lock() keeps it.
 * On 6.1 a table under a live VMA goes only with mmap_lock held for
 * writing (munmap frees the tables of the range it removed, outside every
 * VMA), and no fault runs under the VMA's lock: the fault's own lock keeps
 * it, and the fault path spares the two calls.
 */
static inline void pagelab_pte_table_hold(void)
{
	if (PAGELAB_KERNEL_SINCE(6, 6))
		rcu_read_lock();
}

static inline void pagelab_pte_table_release(void)
{
	if (PAGELAB_KERNEL_SINCE(6, 6))
		rcu_read_unlock();
}

/*
 * A hugetlb entry's uffd-wp bit.  huge_pte_uffd_wp() comes with hugetlbfs
 * (asm-generic/hugetlb.h); a kernel without it (the debug kernel) has no
 * hugetlb entries to ask about.  A config test, not a version test.
 */
static inline bool pagelab_huge_pte_uffd_wp(pte_t pte)
{
#ifdef CONFIG_HUGETLB_PAGE
	return huge_pte_uffd_wp(pte);
#else
	return false;
#endif
}

/*
 * Which page's map count pagemap reads for "exclusive" at @index of a
 * PMD-mapped THP: 6.1's pagemap_pmd_range() reads the head page's for all
 * 512 pages; 6.12's reads each page's own.  (The change came between them;
 * only those two kernels are built here.)
 */
static inline struct page *pagelab_pagemap_thp_page(struct page *head, unsigned long index)
{
#if PAGELAB_KERNEL_SINCE(6, 12)
	return nth_page(head, index);
#else
	return head;
#endif
}

/*
 * How many times this precise page is mapped: by PTEs, plus, for a page of
 * a large folio, each mapping of the whole folio (PMD, PUD, hugetlb); 0 for
 * a page that cannot be mapped (a page type: slab, page table, ...).  That
 * is page_mapcount(), which 6.12 removed: from 6.12 this is 6.11's body.
 * For an order-0 frame it is folio_mapcount(), its PTE count.  6.1 keeps
 * the counts differently inside (a PMD-mapped file THP counts in every
 * page's _mapcount; PageDoubleMap), but the number is the same.
 */
static inline int pagelab_page_mapcount(struct page *page)
{
#if PAGELAB_KERNEL_SINCE(6, 12)
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mapcount))
		mapcount = 0;
	if (PageCompound(page))
		mapcount += folio_entire_mapcount(page_folio(page));
	return mapcount;
#else
	return page_mapcount(page);
#endif
}

/*
 * Let go of the lock a fault holds, before it sleeps and returns
 * VM_FAULT_RETRY.  Since 6.7 a fault may hold only its VMA's read lock
 * (FAULT_FLAG_VMA_LOCK; Debian's 6.12 takes it for every user fault on
 * a VMA with ->map_pages), which release_fault_lock() drops; before, it
 * always holds mmap_lock for reading.
 */
static inline void pagelab_release_fault_lock(struct vm_fault *vmf)
{
#if PAGELAB_KERNEL_SINCE(6, 7)
	release_fault_lock(vmf);
#else
	mmap_read_unlock(vmf->vma->vm_mm);
#endif
}

/* Did this fault arrive holding its VMA's lock only (not mmap_lock)? */
static inline bool pagelab_fault_vma_locked(struct vm_fault *vmf)
{
#if PAGELAB_KERNEL_SINCE(6, 7)
	return vmf->flags & FAULT_FLAG_VMA_LOCK;
#else
	return false;
#endif
}

/*
 * May the shared zero page be mapped (vmf_insert_mixed()) in @vma?  Since
 * 6.10 the kernel refuses it in a shared mapping that is or may become
 * writable (VM_MAYWRITE: the file was opened for writing): a long-term
 * GUP pin could hold the zero page that a write later replaces.  A
 * private (copy-on-write) mapping, or one that can never be written,
 * still may.
 */
static inline bool pagelab_zero_page_ok(struct vm_area_struct *vma)
{
	/* A huge object's mapping (VM_PFNMAP): the kernel warns on it there. */
	if (vma->vm_flags & VM_PFNMAP)
		return false;
#if PAGELAB_KERNEL_SINCE(6, 10)
	return is_cow_mapping(vma->vm_flags) || !(vma->vm_flags & (VM_WRITE | VM_MAYWRITE));
#else
	return true;
#endif
}

/*
 * Huge objects (PAGELAB_CREATE_HUGE, huge.c).  The kernel calls a
 * driver's ->huge_fault for any mapping since 6.7 (for DAX alone before),
 * but only 6.12 marks the PMD vmf_insert_pfn_pmd() installs special
 * (pmd_special(), with CONFIG_ARCH_SUPPORTS_PMD_PFNMAP, a 6.12 symbol):
 * before it, GUP-fast would take references through the leaf on the
 * first frame's page alone.  Without both, the flag is refused.
 */
#if PAGELAB_KERNEL_SINCE(6, 12) && defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) && \
	defined(CONFIG_TRANSPARENT_HUGEPAGE)
#define PAGELAB_HAVE_HUGE	1
#else
#define PAGELAB_HAVE_HUGE	0
#endif

/*
 * The highest order the buddy allocator hands out: MAX_ORDER - 1 before
 * 6.4 (MAX_ORDER counted orders), MAX_PAGE_ORDER since 6.8 (MAX_ORDER
 * meant the highest order in between).
 */
#if PAGELAB_KERNEL_SINCE(6, 8)
#define PAGELAB_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif PAGELAB_KERNEL_SINCE(6, 4)
#define PAGELAB_MAX_PAGE_ORDER	MAX_ORDER
#else
#define PAGELAB_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/* A slab cache kept from merging: SLAB_NO_MERGE since 6.5 (before: a constructor). */
#ifdef SLAB_NO_MERGE
#define PAGELAB_SLAB_NO_MERGE	SLAB_NO_MERGE
#else
#define PAGELAB_SLAB_NO_MERGE	0
#endif

/* Can a fault reach a driver holding only its VMA's lock? */
static inline bool pagelab_kernel_vma_lock_faults(void)
{
	return IS_ENABLED(CONFIG_PER_VMA_LOCK) && PAGELAB_KERNEL_SINCE(6, 7);
}

/*
 * Can a PTE table be freed while mmap_lock is held for reading?  6.6 on,
 * khugepaged and MADV_COLLAPSE retract a file range's tables that way and
 * free them after an RCU grace period (pte_free_defer()); 6.1 retracts only
 * under mmap_write_trylock().
 */
static inline bool pagelab_kernel_rcu_pte_tables(void)
{
	return PAGELAB_KERNEL_SINCE(6, 6);
}

/* Does this kernel map the zero page in writable shared mappings? */
static inline bool pagelab_kernel_shares_zero(void)
{
	return !PAGELAB_KERNEL_SINCE(6, 10);
}

/*
 * With page-table isolation, user mode runs on a second PGD whose user
 * half is the one the MMU uses for user addresses (the kernel's copy of
 * those entries carries NX).  NULL when PTI is off or not built.  6.9
 * renamed the option CONFIG_MITIGATION_PAGE_TABLE_ISOLATION.
 */
#if defined(CONFIG_PAGE_TABLE_ISOLATION) || defined(CONFIG_MITIGATION_PAGE_TABLE_ISOLATION)
static inline pgd_t *pagelab_pti_user_pgd(pgd_t *pgdp)
{
	return static_cpu_has(X86_FEATURE_PTI) ? kernel_to_user_pgdp(pgdp) : NULL;
}
#else
static inline pgd_t *pagelab_pti_user_pgd(pgd_t *pgdp)
{
	return NULL;
}
#endif

/*
 * Since 6.6 x86 keeps a write-protected entry's dirt in _PAGE_SAVED_DIRTY,
 * which pte_dirty() reads beside _PAGE_DIRTY; and a shadow stack's entries
 * (VM_SHADOW_STACK) are writable without _PAGE_RW.  0 where they do not
 * exist.
 */
#ifdef _PAGE_SAVED_DIRTY
#define PAGELAB_PAGE_SAVED_DIRTY	_PAGE_SAVED_DIRTY
#else
#define PAGELAB_PAGE_SAVED_DIRTY	0
#endif
#ifdef VM_SHADOW_STACK
#define PAGELAB_VM_SHADOW_STACK		VM_SHADOW_STACK
#else
#define PAGELAB_VM_SHADOW_STACK		0
#endif

/*
 * PROT_NONE entries: present to Linux, not to the MMU.  pte_protnone() and
 * pmd_protnone() say so only on kernels with CONFIG_NUMA_BALANCING (they
 * are constant 0 elsewhere), so the walk reads the bits itself.
 */
static inline bool pagelab_pte_protnone(pte_t pte)
{
	return (pte_flags(pte) & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE;
}

static inline bool pagelab_pmd_protnone(pmd_t pmd)
{
	return (pmd_flags(pmd) & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE;
}

/*
 * Fault injection at pagelab's own allocation sites (the debug kernel has
 * CONFIG_FAULT_INJECTION; Debian's has not, and there every site compiles
 * to "never fails").  debugfs: pagelab/fail/ (the kernel's fault_attr
 * knobs) and pagelab/fail_sites (per site: calls seen while injection was
 * armed, failures injected).
 */
enum pagelab_fail_site {
	PAGELAB_FAIL_OBJ_ALLOC,		/* the object itself */
	PAGELAB_FAIL_OBJ_INODE,		/* its inode */
	PAGELAB_FAIL_OBJ_FILE,		/* a file on it */
	PAGELAB_FAIL_OBJ_TABLE,		/* its slot in the id table */
	PAGELAB_FAIL_FRAME,		/* a frame for a first write */
	PAGELAB_FAIL_FRAME_STORE,	/* its slot in the object */
	PAGELAB_FAIL_COW_FRAME,		/* a frame for a COW break */
	PAGELAB_FAIL_CLONE_COPY,	/* a copy of a pinned frame at clone */
	PAGELAB_FAIL_CLONE_STORE,	/* a slot in the clone */
	PAGELAB_FAIL_MERGE_ARGS,	/* the merge request's arrays */
	PAGELAB_FAIL_MERGE_CAND,	/* a merge candidate */
	PAGELAB_FAIL_WALK_BUF,		/* a walk answer's buffer */
	PAGELAB_FAIL_REPLACER,		/* a budget's bookkeeping (its last array) */
	PAGELAB_FAIL_STORE,		/* a page of the store */
	PAGELAB_FAIL_FILE_IO,		/* a backing file's read or write (-EIO) */
	PAGELAB_FAIL_NR_SITES
};

#ifdef CONFIG_FAULT_INJECTION
#include <linux/fault-inject.h>

bool pagelab_should_fail(enum pagelab_fail_site site);
void pagelab_fail_debugfs_init(struct dentry *dir);
#else
static inline bool pagelab_should_fail(enum pagelab_fail_site site)
{
	return false;
}

static inline void pagelab_fail_debugfs_init(struct dentry *dir)
{
}
#endif

#endif /* _PAGELAB_COMPAT_H */
