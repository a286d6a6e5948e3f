// SPDX-License-Identifier: GPL-2.0
/* Helpers the userspace tests share; see pl_test_util.h. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pagelab_lib.h"
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

const char *pl_zram_swap_on(bool *ours)
{
	unsigned long long size;
	const char *why;
	char line[256];
	FILE *f;

	*ours = false;
	f = fopen("/proc/swaps", "re");
	if (!f)
		return "no /proc/swaps: no swap support";
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "/dev/zram0 ", 11)) {
			fclose(f);
			return NULL;
		}
	}
	fclose(f);
	why = pl_zram_ready("64M", &size);
	if (why)
		return why;
	if (system("mkswap /dev/zram0 >/dev/null 2>&1"))
		return "mkswap /dev/zram0 failed";
	if (system("swapon /dev/zram0 >/dev/null 2>&1"))
		return "swapon /dev/zram0 failed";
	*ours = true;
	return NULL;
}

const char *pl_proc_stat(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* The command name may hold anything, ')' too: the last one ends it. */
	buf = strrchr(buf, ')');
	return buf ? buf + 1 : NULL;
}

/* /proc/sys/vm/nr_hugepages, or -1. */
long pl_nr_hugepages(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "re");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

bool pl_set_nr_hugepages(long n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "we");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%ld\n", n) > 0;
	return !fclose(f) && ok;
}

void pl_fill(void *page, size_t ps, unsigned int seed)
{
	volatile unsigned char *p = page;

	for (size_t i = 0; i < ps; i++)
		p[i] = pl_pat(seed, i);
}

bool pl_page_is(const void *page, size_t ps, unsigned int seed)
{
	const volatile unsigned char *p = page;

	for (size_t i = 0; i < ps; i++)
		if (p[i] != (seed ? pl_pat(seed, i) : 0))
			return false;
	return true;
}

bool pl_zero_page_clean(size_t ps)
{
	unsigned char *p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool clean;

	if (p == MAP_FAILED)
		return false;
	madvise(p, ps, MADV_NOHUGEPAGE);
	clean = pl_page_is(p, ps, 0);
	munmap(p, ps);
	return clean;
}

uint64_t pl_pm_self(const void *p)
{
	uint64_t e = 0;

	if (pl_pagemap(0, (unsigned long)p, &e))
		return 0;
	return e;
}

uint64_t pl_pfn_self(const void *p)
{
	uint64_t e = pl_pm_self(p);

	return pl_pm_present(e) ? pl_pm_pfn(e) : 0;
}

unsigned long pl_stress_scale(void)
{
	const char *s = getenv("PAGELAB_STRESS_SCALE");
	unsigned long scale = 100, r;

	if (s && *s) {
		char *end;

		errno = 0;
		r = strtoul(s, &end, 10);
		if (!errno && !*end)
			scale = r;
	}
	return scale;
}

void pl_no_core_dumps(void)
{
	struct rlimit r = { 0, 0 };

	setrlimit(RLIMIT_CORE, &r);
}

int pl_track_create(struct pl_track *t, int dev, __u64 size, __u64 flags, __u32 mode,
		    const char *name, __u64 *id)
{
	__u64 oid;
	int fd, ret;

	ret = pl_create(dev, size, flags, mode, name, &fd, &oid);
	if (ret)
		return ret;
	if (id)
		*id = oid;
	return pl_track_fd(t, fd);
}

void pl_shuffle(size_t *v, size_t n, uint32_t *seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = pl_xorshift(seed) % i, t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ---- a minimal JSON reader ---------------------------------------------- */

const char *pl_json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Past one value at @p (after whitespace), or NULL if it is not valid JSON. */
const char *pl_json_skip(const char *p, int depth)
{
	p = pl_json_ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if ((unsigned char)*p < 0x20)
				return NULL;
			if (*p == '\\' && !*++p)
				return NULL;
		}
		return *p ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = pl_json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (*p != '"')
					return NULL;
				p = pl_json_skip(p, depth + 1);
				if (!p)
					return NULL;
				p = pl_json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = pl_json_skip(p, depth + 1);
			if (!p)
				return NULL;
			p = pl_json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
			p = pl_json_ws(p);
		}
	}
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *e;

		strtod(p, &e);
		return e > p ? e : NULL;
	}
	return NULL;
}

bool pl_json_valid(const char *s)
{
	const char *e = s ? pl_json_skip(s, 0) : NULL;

	return e && !*pl_json_ws(e);
}
