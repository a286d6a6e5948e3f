// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the command-line tool: dispatch to one subcommand per cmd_*.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pagelab_lib.h"

struct pl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct pl_command pl_commands[] = {
	{ "tour", cmd_tour, "a guided tour of what pagelab shows, run live" },
	{ "version", cmd_version, "the tool's and the module's versions, and the ABI check" },
	{ "info", cmd_info, "module-wide state: caps, pages held, objects [--json]" },
	{ "demand", cmd_demand, "demand paging live: mmap, read (zero page), write [--json]" },
	{ "share", cmd_share, "one object in three processes: same data, same frames" },
	{ "cow", cmd_cow, "copy-on-write live: fork of a private mapping, then a snapshot" },
	{ "merge", cmd_merge, "identical pages of two objects merged into shared frames" },
	{ "stat", cmd_stat, "live objects and their fault counters [--json] [ID]" },
	{ "walk", cmd_walk, "one address or range through the page tables, level by level" },
	{ "scan", cmd_scan, "a process's pages as runs of categories, from the binary scan [--json]" },
	{ "segments", cmd_segments, "text, data, heap, stack, ...: where each lives, page-table view" },
	{ "replay", cmd_replay, "a reference string against a replacement policy: faults, frame table" },
	{ "sweep", cmd_sweep, "faults per policy and frame count (Belady's anomaly) [--csv] [--plot]" },
	{ "swap", cmd_swap, "paging out and in, live: 8 pages in 3 frames, the store, major faults" },
	{ "mem", cmd_mem, "how much memory a process uses: RSS, PSS, USS, swap, vs smaps_rollup" },
	{ "huge", cmd_huge, "huge pages live: THP off and on, faults per 2 MiB, splits, hugetlbfs" },
	{ "heap", cmd_heap, "malloc and free on a free list: first, best, worst, next fit (malloc.py's answers)" },
	{ "buddy", cmd_buddy, "the kernel's buddy allocator live: blocks, buddies, splits, merges" },
	{ "physmap", cmd_physmap, "physical memory by kind: free blocks by order, pinned pageblocks [--svg]" },
	{ "slab", cmd_slab, "a slab cache of your own: objects per slab, waste, partial slabs, shrink" },
	{ "bench", cmd_bench, "bench fault|smp|walk|scan|cow|replace: costs vs the kernel's own paths" },
	{ "trace", cmd_trace, "run a bpftrace script of this tree around a command" },
};

#define PL_NCOMMANDS (sizeof(pl_commands) / sizeof(pl_commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: pagelab COMMAND [ARGS...]\n\n"
		     "Watch virtual memory work, through /dev/pagelab.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < PL_NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", pl_commands[i].name, pl_commands[i].summary);
	fprintf(out, "\n'pagelab COMMAND --help' describes one command.\n"
		     "Exit status: 0 success, 1 failure, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return PL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return PL_EXIT_OK;
	}
	for (size_t i = 0; i < PL_NCOMMANDS; i++)
		if (!strcmp(argv[1], pl_commands[i].name))
			return pl_commands[i].run(argc - 1, argv + 1);

	pl_err("unknown command '%s' (see pagelab --help)", argv[1]);
	return PL_EXIT_USAGE;
}
