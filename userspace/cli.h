/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab CLI - the commands (cmd_*.c), for pagelab.c's dispatch and for
 * each other; the helpers they share are lib/pl_cli.h, the engines
 * lib/pl_replay.h and the rest of lib/.
 */
#ifndef PAGELAB_CLI_H
#define PAGELAB_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "pl_cli.h"
#include "pl_replay.h"

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

/* For walk answers (cmd_walk.c): an absent reason in words; "4 KiB" for 4096. */
const char *pl_walk_reason_words(const char *reason);
const char *pl_size_words(uint64_t size);

#endif /* PAGELAB_CLI_H */
