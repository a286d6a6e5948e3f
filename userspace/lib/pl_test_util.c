// SPDX-License-Identifier: GPL-2.0
/* Helpers the userspace tests share; see pl_test_util.h. */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pl_test_util.h"

int pl_reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

pid_t pl_fork_child(void)
{
	pid_t parent = getpid(), pid = fork();

	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}

int pl_run_cli(const char *args, char *out, size_t outlen)
{
	char cmd[512];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "pagelab %s 2>&1", args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	return WEXITSTATUS(pclose(p));
}

const char *pl_zram_ready(const char *size, unsigned long long *had)
{
	static char why[64];
	size_t len = strlen(size);
	FILE *f;
	int fd;

	*had = 0;
	if (access("/dev/zram0", F_OK)) {
		if (system("modprobe zram >/dev/null 2>&1"))
			return "modprobe zram failed";
		for (int i = 0; i < 50 && access("/dev/zram0", F_OK); i++)
			usleep(100000);
		if (access("/dev/zram0", F_OK))
			return "no /dev/zram0 after modprobe zram";
	}
	f = fopen("/sys/block/zram0/disksize", "re");
	if (!f)
		return "no /sys/block/zram0/disksize";
	if (fscanf(f, "%llu", had) != 1)
		*had = 0;
	fclose(f);
	if (*had)
		return NULL;
	fd = open("/sys/block/zram0/disksize", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return "cannot open /sys/block/zram0/disksize";
	if (write(fd, size, len) != (ssize_t)len) {
		close(fd);
		snprintf(why, sizeof(why), "cannot set zram0's disksize to %s", size);
		return why;
	}
	close(fd);
	return NULL;
}
