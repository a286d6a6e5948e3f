/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab CLI - declarations shared by pagelab.c and the cmd_*.c files.
 */
#ifndef PAGELAB_CLI_H
#define PAGELAB_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

/* Exit statuses, by convention: 0 ok, 1 failure, 2 bad usage. */
enum { PL_EXIT_OK = 0, PL_EXIT_FAIL = 1, PL_EXIT_USAGE = 2 };

int cmd_tour(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_demand(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_cow(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_walk(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_segments(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_swap(int argc, char **argv);
int cmd_mem(int argc, char **argv);
int cmd_huge(int argc, char **argv);
int cmd_heap(int argc, char **argv);
int cmd_buddy(int argc, char **argv);
int cmd_slab(int argc, char **argv);
int cmd_physmap(int argc, char **argv);
/* pagelab buddy --compact (cmd_buddy_compact.c). */
void buddy_compact(int fd, unsigned long long fill_mib, const char *svg_dir, bool *ok);

/* Print "pagelab: <msg>" to stderr. */
void pl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A walk-through's check: unless @cond, *@ok = false and
 * "  ** CHECK FAILED: <msg> **" on stdout.  Returns @cond.
 */
bool pl_vcheck(bool *ok, bool cond, const char *fmt, va_list ap);
/* The same with the message's arguments given directly. */
bool pl_check(bool *ok, bool cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print @s as a JSON string on stdout, quotes included. */
void pl_json_str(const char *s);
/* True if argv holds -h or --help. */
bool pl_wants_help(int argc, char **argv);
/* Open the device, or print why not (with a hint) and return -1. */
int pl_open_or_explain(void);

/* Benchmarks (cmd_bench.c): CLOCK_MONOTONIC in ns; quartiles of @v[0..@n-1] (sorted in place). */
double pl_now_ns(void);
/* "--json --pages N --reps R [--store-dir DIR]" after argv[1]; -1: printed why. */
int pl_bench_args(int argc, char **argv, size_t *pages, int *reps, bool *json,
		  const char **store_dir);
void pl_quartiles(double *v, int n, double *p25, double *med, double *p75);
/* The @pages entries of /proc/self/pagemap from address @p, one pread: ns, or < 0. */
double pl_bench_pagemap_once(uintptr_t p, size_t pages, uint64_t *ents, long ps);
/* pagelab bench scan (cmd_bench_scan.c), fault and smp (cmd_bench_fault.c). */
int bench_scan(int argc, char **argv);
int bench_fault(int argc, char **argv);
int bench_smp(int argc, char **argv);
/* pagelab bench huge (cmd_huge.c). */
int bench_huge(int argc, char **argv);

/* A user-given number, decimal or 0x hex, the whole string (cmd_walk.c). */
bool pl_parse_addr(const char *s, unsigned long long *v);
/* For walk answers (cmd_walk.c): an absent reason in words; "4 KiB" for 4096. */
const char *pl_walk_reason_words(const char *reason);
const char *pl_size_words(uint64_t size);

/* ---- page replacement (cmd_replay.c; used by sweep and tour too) ---- */

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

#endif /* PAGELAB_CLI_H */
