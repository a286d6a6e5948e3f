/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab CLI - declarations shared by pagelab.c and the cmd_*.c files.
 */
#ifndef PAGELAB_CLI_H
#define PAGELAB_CLI_H

#include <stdbool.h>
#include <stdint.h>

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
int cmd_segments(int argc, char **argv);

/* Print "pagelab: <msg>" to stderr. */
void pl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True if argv holds -h or --help. */
bool pl_wants_help(int argc, char **argv);
/* Open the device, or print why not (with a hint) and return -1. */
int pl_open_or_explain(void);

/* For walk answers (cmd_walk.c): an absent reason in words; "4 KiB" for 4096. */
const char *pl_walk_reason_words(const char *reason);
const char *pl_size_words(uint64_t size);

#endif /* PAGELAB_CLI_H */
