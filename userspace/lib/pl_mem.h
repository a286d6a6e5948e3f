/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - how much memory a process uses (pagelab mem): VSZ, RSS, PSS,
 * USS, shared, swap per mapping and in total, counted page by page from
 * the binary scan and each frame's map count (/proc/kpagecount), and set
 * beside what /proc/PID/smaps and smaps_rollup say.
 */
#ifndef PL_MEM_H
#define PL_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * What is counted, per mapping and in total, in pages (PSS apart: see
 * struct pl_mem_count).  RSS is what smaps calls Rss: present pages but the
 * zero page (4 KiB or huge) and hugetlbfs pages.  USS: RSS pages mapped
 * once (smaps' Private); SHARED: mapped more than once.  SWAP: swap
 * entries in the page tables.  ZERO: entries mapping the zero page.
 * OBJECT: RSS pages of pagelab objects; STORED: an object's pages paged out
 * to its store (in no kernel figure).  HUGETLB: hugetlbfs pages mapped;
 * THP: anonymous pages mapped by a 2 MiB leaf (smaps' AnonHugePages).
 * MIGRATING: entries of pages being migrated, in device memory or
 * hardware-poisoned (in RSS, as smaps counts them).  MARKER: non-present
 * entries that hold no page (userfaultfd's write-protect and poison
 * markers): in no figure.  NO_PAGE:
 * present entries with no struct page behind them (device memory, DAX):
 * in no figure.
 */
enum pl_mem_field {
	PL_MEM_VSZ,
	PL_MEM_RSS,
	PL_MEM_USS,
	PL_MEM_SHARED,
	PL_MEM_SWAP,
	PL_MEM_ZERO,
	PL_MEM_OBJECT,
	PL_MEM_STORED,
	PL_MEM_HUGETLB,
	PL_MEM_THP,
	PL_MEM_MIGRATING,
	PL_MEM_MARKER,
	PL_MEM_NO_PAGE,
	PL_MEM_PFNMAP,
	PL_MEM_NR_FIELDS
};

/* "vsz_kb", ...: the JSON key of a field. */
const char *pl_mem_field_key(enum pl_mem_field f);

struct pl_mem_count {
	uint64_t pages[PL_MEM_NR_FIELDS];
	/* PSS in bytes << 12, summed page by page as smaps sums it. */
	uint64_t pss_fp;
};

/* smaps' figures for a mapping, or smaps_rollup's, in kB. */
struct pl_mem_kernel {
	uint64_t rss, pss, private_kb, shared, swap, hugetlb, thp;
};

/* A process that maps a frame the target shares. */
struct pl_mem_peer {
	pid_t pid;
	char comm[20];
	char *mapping;		/* the peer's mapping's name, or "[anon]" */
	uint64_t pages;		/* the target's pages of this mapping it maps */
};

/* One mapping (VMA), as /proc/PID/smaps lists it. */
struct pl_mem_area {
	uint64_t start, end;
	char perms[8];
	uint64_t inode;
	bool shmem;		/* a tmpfs file: shmem, shared anonymous, memfd, SysV */
	bool pfnmap;		/* VM_PFNMAP (smaps' VmFlags "pf"): its leaves are special */
	char *name;		/* "" for an anonymous mapping */
	struct pl_mem_count c;
	struct pl_mem_kernel k;	/* this mapping's lines in smaps */
	struct pl_mem_peer *peers;
	size_t npeers;
};

struct pl_mem {
	pid_t pid;
	char comm[20];
	struct pl_mem_area *areas;
	size_t nareas;
	struct pl_mem_count total;
	/* PSS known: frames and their map counts were readable (root). */
	bool pss_known;
	/* smaps_rollup read before and after the count; they differed. */
	struct pl_mem_kernel rollup;
	bool changed;
	/* Runs the scan returned outside every mapping smaps listed. */
	uint64_t stray_pages;
	/* --shared-with: processes that could not be read. */
	unsigned int peers_unreadable;
	/* The process measured is the one measuring. */
	bool self;
};

/* Flags of pl_mem_measure(). */
#define PL_MEM_SHARED_WITH	0x1U	/* fill each area's peers */

/*
 * Measure process @pid through device fd @fd into *@m (pl_mem_free() it).
 * 0, or -errno with a one-line reason in @why (@len bytes; *@m is then
 * empty).
 */
int pl_mem_measure(int fd, pid_t pid, unsigned int flags, struct pl_mem *m, char *why,
		   size_t len);
void pl_mem_free(struct pl_mem *m);

/* A count in kB: PSS as smaps rounds it, the others pages * page size. */
uint64_t pl_mem_kb(const struct pl_mem_count *c, enum pl_mem_field f);
uint64_t pl_mem_pss_kb(const struct pl_mem_count *c);

/*
 * The figures compared with the kernel's: ours, smaps', and why they may
 * differ.  @which is 0..PL_MEM_NR_CMP-1.
 */
enum { PL_MEM_CMP_RSS, PL_MEM_CMP_PSS, PL_MEM_CMP_USS, PL_MEM_CMP_SWAP,
       PL_MEM_CMP_SHARED, PL_MEM_CMP_HUGETLB, PL_MEM_CMP_THP, PL_MEM_NR_CMP };
/* "Rss", "Pss", "Private", ...: the kernel's name of compared figure @which. */
const char *pl_mem_cmp_name(unsigned int which);
/* The JSON key of ours ("rss_kb", ...). */
const char *pl_mem_cmp_key(unsigned int which);
uint64_t pl_mem_cmp_ours(const struct pl_mem_count *c, unsigned int which);
uint64_t pl_mem_cmp_kernel(const struct pl_mem_kernel *k, unsigned int which);

/*
 * Of the difference kernel - ours in figure @which over the whole process,
 * the kB a kernel rule explains (the sum over mappings), with the rule in
 * words in *@rule (NULL if none applies).
 */
int64_t pl_mem_explained(const struct pl_mem *m, unsigned int which, const char **rule);

#endif /* PL_MEM_H */
