/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - the page-replacement engine (pl_replay.c): reference strings,
 * a string run live against an object with a frame budget (or simulated,
 * for Belady's optimal policy), the frame table rebuilt from the module's
 * event log.  pagelab replay, sweep, swap, bench and tour use it.
 */
#ifndef PL_REPLAY_H
#define PL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

/* A reference string: page numbers, each a read or a write. */
struct pl_refs {
	size_t n;
	uint32_t *page;
	bool *write;
	uint32_t max;		/* the highest page referenced */
};

/* The highest page number a reference may name. */
#define PL_REFS_MAX_PAGE	((1u << 24) - 1)

/*
 * Parse @text: references separated by whitespace or commas, each a page
 * number with an optional 'w' (write) or 'r' (read, the default) suffix;
 * '#' starts a comment to the end of the line.  @what names the source in
 * messages.  0, or -1 after printing why (bad usage).
 */
int pl_refs_parse(const char *text, const char *what, struct pl_refs *r);
/* The same from file @path ("-": stdin).  -1: printed why. */
int pl_refs_load(const char *path, struct pl_refs *r);
void pl_refs_free(struct pl_refs *r);

/* One reference, as the frame table shows it. */
struct pl_replay_col {
	int result;		/* PL_EV_* of the fault it caused, -1 if none seen */
	long long victim;	/* page evicted, -1 none */
	int wb;			/* 1 written back, 0 dropped clean, -1 no victim */
};

/*
 * Where a budgeted object's pages go (ABI 1.4): @path NULL for the module's
 * store, else a backing file (created, mode 0600, if missing; sized to the
 * object; never deleted); @delay_ms the page-in delay (0: none).
 */
struct pl_store_opt {
	const char *path;
	unsigned int delay_ms;
};

/* A --delay-ms value: 0..PAGELAB_PAGEIN_DELAY_MAX_MS.  False if it is not one. */
bool pl_delay_parse(const char *s, unsigned int *ms);
/*
 * Does the module on @dev offer the file store and the page-in delay (ABI
 * 1.4)?  0, or -1 after printing why ("@who: ...").
 */
int pl_store_check(int dev, const char *who);
/*
 * PAGELAB_IOC_REPLACE on object @ofd of @size bytes with @store (NULL: the
 * module's store, no delay): the backing file is opened (pl_store_open()),
 * passed with PAGELAB_REPLACE_FILE added to @flags, and closed again (the
 * module keeps its own reference).  0, or -1 after printing why.
 */
int pl_store_budget(int ofd, __u64 size, __u32 budget, __u32 policy, __u64 flags, __u64 seed,
		    const struct pl_store_opt *store, const char *who);

/* One run of a reference string against a policy and a frame count. */
struct pl_replay {
	int policy;		/* PAGELAB_POLICY_* or PL_POLICY_OPT */
	unsigned int frames;
	bool exact;
	bool offline;		/* simulated (opt): no object */
	__u64 id;		/* the object (0 offline) */
	__u64 refs, faults, hits, page_ins, evictions, writebacks, clean_drops;
	__u64 seen;		/* faults the module handled */
	__u64 inexact;
	/* Including the final check of every page after the counters were read. */
	__u64 total_page_ins, total_evictions, total_writebacks;
	long majflt;		/* getrusage ru_majflt delta (-1 offline) */
	/* The store (ABI 1.4): a backing file or the module's; counters as majflt's. */
	const char *store_path;	/* NULL: the module's store */
	unsigned int delay_ms;
	__u64 major, io_waits, io_errors;
	__u64 data_bad;		/* reads that did not return the last write */
	__u64 lost_events;	/* the event log wrapped between two reads */
	/* With a table: @refs columns, and frames[i * @frames + slot] (-1 empty). */
	struct pl_replay_col *cols;
	int *frame;
};

/*
 * Run @refs: on a new object (object pages: max(highest page + 1, @frames)),
 * budget @frames, @policy, PAGELAB_REPLACE_NO_ZERO plus EXACT if @exact
 * (then madvise(MADV_DONTNEED) of the page after every reference); or, for
 * PL_POLICY_OPT, simulated.  @table: record the frame table (from the event
 * log).  0, or -1 after printing why.  pl_replay_run_store() the same with
 * @store (NULL: the module's store, no delay; ignored offline).
 */
int pl_replay_run(int dev, const struct pl_refs *refs, int policy, unsigned int frames,
		  bool exact, __u64 seed, bool table, struct pl_replay *out);
int pl_replay_run_store(int dev, const struct pl_refs *refs, int policy, unsigned int frames,
			bool exact, __u64 seed, bool table, const struct pl_store_opt *store,
			struct pl_replay *out);
void pl_replay_free(struct pl_replay *r);
/* The frame table, textbook style: columns = references, rows = frames. */
void pl_replay_table(const struct pl_refs *refs, const struct pl_replay *r);
/* Lock the tool's own pages (best effort) so that majflt counts page-ins only. */
void pl_lock_self(void);

#endif /* PL_REPLAY_H */
