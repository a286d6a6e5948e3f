// SPDX-License-Identifier: GPL-2.0
/*
 * libpagelab - thin wrappers around /dev/pagelab.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagelab_lib.h"

int pl_open(void)
{
	int fd = open(PAGELAB_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

const char *pl_open_hint(int err)
{
	switch (err) {
	case -ENOENT:
		return PAGELAB_DEVICE " not found: is the module loaded? (insmod pagelab.ko)";
	case -EACCES:
	case -EPERM:
		return PAGELAB_DEVICE " is root's (mode 0600): run as root";
	case -ENXIO:
	case -ENODEV:
		return PAGELAB_DEVICE " has no driver: is the module loaded? (insmod pagelab.ko)";
	default:
		return strerror(-err);
	}
}

static int pl_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int pl_version(int fd, struct pagelab_version *v)
{
	memset(v, 0, sizeof(*v));
	return pl_ioctl(fd, PAGELAB_IOC_VERSION, v);
}

int pl_info(int fd, struct pagelab_info *info)
{
	memset(info, 0, sizeof(*info));
	return pl_ioctl(fd, PAGELAB_IOC_INFO, info);
}

int pl_debugfs_stat(const char *key, unsigned long long *val)
{
	char line[256], k[64];
	unsigned long long v;
	FILE *f = fopen(PAGELAB_DEBUGFS "/stats", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu", k, &v) == 2 && !strcmp(k, key)) {
			*val = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int pl_create_raw(int fd, struct pagelab_create *c)
{
	return pl_ioctl(fd, PAGELAB_IOC_CREATE, c);
}

int pl_create(int fd, __u64 size, __u64 flags, __u32 mode, const char *name,
	      int *out_fd, __u64 *out_id)
{
	struct pagelab_create c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.flags = flags;
	c.mode = mode;
	/* Too long a name goes in unterminated: the kernel says -EINVAL. */
	if (name)
		memcpy(c.name, name, strnlen(name, sizeof(c.name)));
	ret = pl_create_raw(fd, &c);
	if (ret)
		return ret;
	if (out_fd)
		*out_fd = c.fd;
	else
		close(c.fd);
	if (out_id)
		*out_id = c.id;
	return 0;
}

int pl_attach(int fd, __u64 id, __u64 flags, int *out_fd)
{
	struct pagelab_attach a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.flags = flags;
	ret = pl_ioctl(fd, PAGELAB_IOC_ATTACH, &a);
	if (!ret)
		*out_fd = a.fd;
	return ret;
}

int pl_obj_stat(int fd, __u64 id, struct pagelab_obj_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return pl_ioctl(fd, PAGELAB_IOC_OBJ_STAT, st);
}

int pl_obj_parse(const char *line, struct pagelab_obj_stat *st)
{
	static const struct {
		const char *key;
		size_t off;
		int width;	/* 8: __u64, 4: __u32 */
		int base;
	} keys[] = {
#define PL_KEY(k, w, b) { #k, offsetof(struct pagelab_obj_stat, k), w, b }
		PL_KEY(id, 8, 10), PL_KEY(size, 8, 10), PL_KEY(resident, 8, 10),
		PL_KEY(mappers, 8, 10), PL_KEY(files, 8, 10), PL_KEY(faults_read, 8, 10),
		PL_KEY(faults_write, 8, 10), PL_KEY(zero_maps, 8, 10), PL_KEY(allocs, 8, 10),
		PL_KEY(existing, 8, 10), PL_KEY(fault_around, 8, 10), PL_KEY(mkwrite, 8, 10),
		PL_KEY(sigbus, 8, 10), PL_KEY(uid, 4, 10), PL_KEY(gid, 4, 10),
		PL_KEY(mode, 4, 8), PL_KEY(fault_around_pages, 4, 10),
#undef PL_KEY
	};
	bool have_id = false;
	const char *p = line;

	memset(st, 0, sizeof(*st));
	while (*p) {
		const char *tok, *eq, *end;
		size_t klen, vlen;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		end = p;
		eq = memchr(tok, '=', end - tok);
		if (!eq)
			return -EINVAL;
		klen = eq - tok;
		vlen = end - eq - 1;
		if (klen == 4 && !memcmp(tok, "name", 4)) {
			if (vlen >= sizeof(st->name))
				return -EINVAL;
			memset(st->name, 0, sizeof(st->name));
			if (!(vlen == 1 && eq[1] == '-'))
				memcpy(st->name, eq + 1, vlen);
			continue;
		}
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			char buf[32], *e;
			unsigned long long v;

			if (strlen(keys[k].key) != klen || memcmp(keys[k].key, tok, klen))
				continue;
			if (!vlen || vlen >= sizeof(buf))
				return -EINVAL;
			memcpy(buf, eq + 1, vlen);
			buf[vlen] = '\0';
			errno = 0;
			v = strtoull(buf, &e, keys[k].base);
			if (errno || *e)
				return -EINVAL;
			if (keys[k].width == 8)
				*(__u64 *)((char *)st + keys[k].off) = v;
			else
				*(__u32 *)((char *)st + keys[k].off) = (__u32)v;
			if (k == 0)
				have_id = true;
			break;
		}
	}
	return have_id ? 0 : -EINVAL;
}

int pl_debugfs_objects(int (*fn)(const struct pagelab_obj_stat *st, void *arg), void *arg)
{
	struct pagelab_obj_stat st;
	FILE *f = fopen(PAGELAB_DEBUGFS "/objects", "re");
	char line[1024];
	int ret = 0;

	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		ret = pl_obj_parse(line, &st);
		if (!ret)
			ret = fn(&st, arg);
	}
	fclose(f);
	return ret;
}

struct pl_find {
	__u64 id;
	struct pagelab_obj_stat *out;
};

static int pl_find_one(const struct pagelab_obj_stat *st, void *arg)
{
	struct pl_find *f = arg;

	if (st->id != f->id)
		return 0;
	*f->out = *st;
	return 1;
}

int pl_debugfs_object(__u64 id, struct pagelab_obj_stat *st)
{
	struct pl_find f = { .id = id, .out = st };
	int ret = pl_debugfs_objects(pl_find_one, &f);

	if (ret == 1)
		return 0;
	return ret ? ret : -ENOENT;
}

static void pl_param_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/sys/module/pagelab/parameters/%s", name);
}

int pl_param_read(const char *name, unsigned long long *val)
{
	char path[128];
	FILE *f;
	int ret;

	pl_param_path(path, sizeof(path), name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ret = fscanf(f, "%llu", val) == 1 ? 0 : -EINVAL;
	fclose(f);
	return ret;
}

int pl_param_write(const char *name, unsigned long long val)
{
	char path[128], buf[32];
	int fd, n, ret = 0;
	ssize_t w;

	pl_param_path(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%llu\n", val);
	w = write(fd, buf, n);
	if (w < 0)
		ret = -errno;
	else if (w != n)
		ret = -EIO;
	close(fd);
	return ret;
}

int pl_pagemap(pid_t pid, unsigned long vaddr, uint64_t *entry)
{
	long ps = sysconf(_SC_PAGESIZE);
	char path[64];
	ssize_t n;
	int fd, ret = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, entry, sizeof(*entry), (off_t)(vaddr / ps) * sizeof(*entry));
	if (n < 0)
		ret = -errno;
	else if (n != sizeof(*entry))
		ret = -EIO;
	close(fd);
	return ret;
}

int pl_zero_pfn(uint64_t *pfn)
{
	long ps = sysconf(_SC_PAGESIZE);
	volatile unsigned char *p;
	uint64_t e = 0;
	int ret;

	p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	madvise((void *)p, ps, MADV_NOHUGEPAGE);
	(void)p[0];
	ret = pl_pagemap(0, (unsigned long)p, &e);
	munmap((void *)p, ps);
	if (ret)
		return ret;
	if (!pl_pm_present(e))
		return -ENODATA;
	if (!pl_pm_pfn(e))
		return -EPERM;
	*pfn = pl_pm_pfn(e);
	return 0;
}

int pl_status_kb(pid_t pid, const char *key, unsigned long long *kb)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			ret = sscanf(line + klen + 1, "%llu", kb) == 1 ? 0 : -EINVAL;
			break;
		}
	}
	fclose(f);
	return ret;
}

int pl_smaps_rss_kb(const void *start, unsigned long long *kb)
{
	char line[512];
	unsigned long lo, hi;
	bool in_vma = false;
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in_vma = lo == (unsigned long)start;
			continue;
		}
		if (in_vma && sscanf(line, "Rss: %llu kB", kb) == 1) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}
