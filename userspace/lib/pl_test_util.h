/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the userspace tests share.  Linked into every binary, so nothing
 * here uses the kselftest harness: failures come back as return values.
 */
#ifndef PL_TEST_UTIL_H
#define PL_TEST_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* waitpid, then the exit code, 128 + signal, or -1. */
int pl_reap(pid_t pid);

/*
 * fork(), with the child killed if the calling process dies first (an
 * ASSERT abort or a timeout), so no child outlives its test.
 */
pid_t pl_fork_child(void);

/*
 * Run "pagelab @args 2>&1" through popen: its output (stdout and stderr) in
 * @out, NUL-terminated and cut at @outlen - 1 bytes.  Returns the exit code
 * (WEXITSTATUS of pclose), or -1 if popen failed.
 */
int pl_run_cli(const char *args, char *out, size_t outlen);

/*
 * /dev/zram0 (after "modprobe zram" if need be) with a disk size: if it has
 * none, @size (e.g. "16M") is written.  NULL, or the reason it cannot be
 * had.  *@had: the disk size it already had, in bytes (0: none, @size set).
 */
const char *pl_zram_ready(const char *size, unsigned long long *had);

#endif /* PL_TEST_UTIL_H */
