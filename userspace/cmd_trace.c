// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab trace - run one of pagelab's bpftrace scripts around a command:
 * bpftrace attaches its probes first, then starts the command (-c), and
 * prints the script's maps when the command exits.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* SCRIPT as given if it names a file, else scripts/bpftrace/SCRIPT.bt of this tree. */
static int trace_find_script(const char *script, char *path, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (strchr(script, '/')) {
		snprintf(path, len, "%s", script);
		return access(path, R_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	/* The binary is <tree>/userspace/build/pagelab. */
	snprintf(path, len, "%s/../../scripts/bpftrace/%s.bt", dirname(exe), script);
	return access(path, R_OK) ? -errno : 0;
}

int cmd_trace(int argc, char **argv)
{
	char path[PATH_MAX + 64], cmd[4096] = "";
	size_t used = 0;
	int a, ret;

	if (pl_wants_help(argc, argv) || argc < 2) {
		printf("usage: pagelab trace SCRIPT [-- CMD [ARGS...]]\n\n"
		       "Run a bpftrace script of this tree (scripts/bpftrace/SCRIPT.bt:\n"
		       "faults, latency, vs-kernel, walks; or a path) around CMD: the\n"
		       "probes attach first, CMD runs, the script's maps print when it\n"
		       "exits.  Without CMD it runs until Ctrl-C.  Needs root, bpftrace\n"
		       "and the module loaded (in the guest: scripts/vm run --host-root).\n");
		return argc < 2 ? PL_EXIT_USAGE : PL_EXIT_OK;
	}
	ret = trace_find_script(argv[1], path, sizeof(path));
	if (ret) {
		pl_err("trace: no script '%s' (%s): try faults, latency, vs-kernel, walks",
		       argv[1], strerror(-ret));
		return PL_EXIT_USAGE;
	}
	a = 2;
	if (a < argc && strcmp(argv[a], "--")) {
		pl_err("trace: expected -- before the command (see pagelab trace --help)");
		return PL_EXIT_USAGE;
	}
	for (a++; a < argc; a++) {
		int n = snprintf(cmd + used, sizeof(cmd) - used, "%s%s", used ? " " : "", argv[a]);

		if (n < 0 || (size_t)n >= sizeof(cmd) - used) {
			pl_err("trace: command too long");
			return PL_EXIT_USAGE;
		}
		used += n;
	}
	if (used)
		execlp("bpftrace", "bpftrace", path, "-c", cmd, (char *)NULL);
	else
		execlp("bpftrace", "bpftrace", path, (char *)NULL);
	pl_err("trace: cannot run bpftrace: %s (apt-get install bpftrace)", strerror(errno));
	return PL_EXIT_FAIL;
}
