/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - the debugfs walk file (/sys/kernel/debug/pagelab/walk) from
 * user space: one request per write, the text answer read back, and its
 * strict parse into struct pl_walk_result (one address) or runs (a range).
 */
#ifndef PL_WALK_TEXT_H
#define PL_WALK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/pagelab.h"

/*
 * The page-table walk: /sys/kernel/debug/pagelab/walk (root only).  One
 * request per write ("<pid> <addr>", "<pid> <start> <end>", "kernel <addr>",
 * each optionally followed by "json"), the answer read back from offset 0.
 * A request the kernel refuses fails the write with an errno, and the answer
 * is then one line "error: <reason>".  Each open file has its own request.
 */
#define PL_WALK_PATH		PAGELAB_DEBUGFS "/walk"

/* Open the walk file (O_RDWR | O_CLOEXEC): an fd or -errno. */
int pl_walk_open(void);
/* Send @request on @fd: one write() at offset 0.  0 or -errno of the write. */
int pl_walk_send(int fd, const char *request);
/*
 * Read @fd's whole answer from offset 0 into @answer (always NUL-terminated).
 * 0, -EMSGSIZE if it did not fit in @len (@answer holds what did), or -errno.
 */
int pl_walk_recv(int fd, char *answer, size_t len);
/*
 * The same into a malloc'd buffer grown as needed: *@buf (NULL or from an
 * earlier call) and its capacity *@cap are updated; the caller frees *@buf.
 */
int pl_walk_recv_alloc(int fd, char **buf, size_t *cap);
/*
 * Open, send @request, read the answer, close.  Returns 0, or the -errno of
 * the failed write (the answer then holds the kernel's "error: ..." line),
 * or -errno of open (answer "") or of the read, or -EMSGSIZE as above.
 */
int pl_walk(const char *request, char *answer, size_t len);
/* The same with a malloc'd answer (*@answer set, even on error; free it). */
int pl_walk_alloc(const char *request, char **answer);
/* If @answer is an error line, the reason after "error: " (up to the newline); else NULL. */
const char *pl_walk_error(const char *answer);
/* The kernel's direct-map base: "direct_map_base 0x..." in debugfs stats. */
int pl_direct_map_base(uint64_t *base);

#define PL_WALK_MAX_LEVELS	5
#define PL_WALK_FLAGS_LEN	128
#define PL_WALK_NAME_LEN	12	/* "PGD-user" and its NUL */
#define PL_WALK_BACKING_LEN	4200	/* "file:" + PATH_MAX and a " (deleted)" */
#define PL_WALK_ERR_LEN		200

/* One "PGD index=255 entry=0x... flags=P|RW next=0x..." line (or "P4D folded"). */
struct pl_walk_level {
	char name[PL_WALK_NAME_LEN];		/* PGD P4D PUD PMD PTE */
	bool folded;				/* "P4D folded": no other field */
	unsigned int index;
	uint64_t entry;
	char flags[PL_WALK_FLAGS_LEN];		/* as printed: "P|RW|U|A" or "-" */
	bool has_next;
	uint64_t next;
};

/* A parsed one-address answer.  has_* say which lines were there. */
struct pl_walk_result {
	bool kernel;				/* "walk kernel ...": no pid, no vma */
	pid_t pid;
	uint64_t addr;
	unsigned int levels;			/* 4 or 5 */
	bool has_vma;
	uint64_t vma_start, vma_end;
	char vma_prot[8];			/* "rw-p" */
	/* anon heap stack file:/p vdso vvar special:[x] pagelab:ID, the name unescaped */
	char vma_backing[PL_WALK_BACKING_LEN];
	int nlevels;				/* level lines, in order from PGD */
	struct pl_walk_level level[PL_WALK_MAX_LEVELS];
	/*
	 * Under page-table isolation a user walk has a "PGD-user" line right
	 * after the PGD line: the user-mode copy of the PGD entry, the one the
	 * CPU uses in user mode (the kernel's copy carries NX).
	 */
	bool has_pgd_user;
	struct pl_walk_level pgd_user;
	bool has_leaf;
	char leaf_level[PL_WALK_NAME_LEN];	/* PTE PMD PUD */
	uint64_t leaf_size, pfn, phys;
	bool has_page;
	bool has_counts;			/* refcount and mapcount (CAP_SYS_ADMIN only) */
	long refcount, mapcount;
	char page_kind[16];			/* anon file pagelab zero ksm special none kernel hugetlb */
	char page_flags[PL_WALK_FLAGS_LEN];	/* "lru|swapbacked" or "-" */
	bool has_absent;
	char absent_level[PL_WALK_NAME_LEN];
	char absent_reason[16];			/* none swap migration device hwpoison marker protnone bad novma */
	bool has_swap;				/* type= and offset= were given (CAP_SYS_ADMIN only) */
	unsigned int swap_type;
	uint64_t swap_offset;
	char err[PL_WALK_ERR_LEN];		/* why the parse failed */
};

/*
 * Parse a one-address text answer, strictly: an unknown line keyword or key,
 * a missing key, a malformed number, a flag name not in the format, or lines
 * out of order are -EINVAL, with the reason in @w->err.  An "error: ..."
 * answer is -EINVAL too.
 */
int pl_walk_parse(const char *answer, struct pl_walk_result *w);
/* The level line called @name ("PMD"), or NULL. */
const struct pl_walk_level *pl_walk_find_level(const struct pl_walk_result *w, const char *name);
/* The level line of the leaf (the entry that maps the frame), or NULL. */
const struct pl_walk_level *pl_walk_leaf_entry(const struct pl_walk_result *w);
/* True if the '|'-separated @flags holds @name ("NX", "PKEY=3"). */
bool pl_walk_has_flag(const char *flags, const char *name);

/* One line of a range answer: a "run" of present pages or an "absent" stretch. */
struct pl_walk_run {
	bool absent;
	uint64_t start, end;
	uint64_t pages;				/* as printed */
	uint64_t pages4k;			/* (end - start) / 4096 */
	uint64_t size;				/* run: 4096, 2097152 or 1073741824 */
	uint64_t pfn;				/* run: the PFN of the 4K page at start */
	char flags[PL_WALK_FLAGS_LEN];
	char kind[16];
	unsigned int excl;
	char reason[16];			/* absent: none swap novma protnone ... */
	uint64_t object, index;			/* a pagelab object's page (scan only) */
};

/* A range answer being read: the header, then runs one at a time. */
struct pl_walk_range {
	pid_t pid;
	uint64_t start, end;
	unsigned int levels;
	uint64_t total_pages;			/* from the "end pages=N" line */
	const char *pos;			/* next line */
	int line;
	uint64_t next_start;			/* where the next run must start */
	uint64_t pages_seen;
	bool done;
	char err[PL_WALK_ERR_LEN];
};

/* Parse the "range ..." header line: 0 or -EINVAL (reason in @r->err). */
int pl_walk_range_begin(struct pl_walk_range *r, const char *answer);
/*
 * The next run: 1 with @run filled, 0 after the "end pages=N" line (checked:
 * the runs cover [start, end) without gap or overlap and add up to N, nothing
 * follows), -EINVAL on anything else (reason in @r->err).
 */
int pl_walk_range_next(struct pl_walk_range *r, struct pl_walk_run *run);
/* The PFN of the 4K page holding @addr inside a present run. */
static inline uint64_t pl_walk_run_pfn(const struct pl_walk_run *run, uint64_t addr)
{
	return run->pfn + (addr - run->start) / 4096;
}

#endif /* PL_WALK_TEXT_H */
