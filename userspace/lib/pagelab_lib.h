/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpagelab - thin wrappers around /dev/pagelab for the CLI, the tests and
 * the benchmarks.  Every function returns 0 or a negative errno.
 */
#ifndef PAGELAB_LIB_H
#define PAGELAB_LIB_H

#include <linux/types.h>

#include "uapi/pagelab.h"

/* Open /dev/pagelab (O_RDWR | O_CLOEXEC); returns an fd or -errno. */
int pl_open(void);
/* A one-line hint for an error from pl_open(), for people to read. */
const char *pl_open_hint(int err);
int pl_version(int fd, struct pagelab_version *v);
int pl_info(int fd, struct pagelab_info *info);
/* Read one "key value" line of /sys/kernel/debug/pagelab/stats. */
int pl_debugfs_stat(const char *key, unsigned long long *val);

#endif /* PAGELAB_LIB_H */
