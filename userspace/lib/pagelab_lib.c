// SPDX-License-Identifier: GPL-2.0
/*
 * libpagelab - the device's ioctls as calls, and the small readers of
 * /proc and /sys the tools share: pagemap, status, smaps, parameters, the
 * debugfs objects and events lines.  The walk file's text: pl_walk_text.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pagelab_lib.h"

int pl_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += n;
	}
	return 0;
}

int pl_write_full(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

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

int pl_clone(int fd, __u64 src_id, __u32 mode, const char *name, struct pagelab_clone *out)
{
	struct pagelab_clone c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.src_id = src_id;
	c.mode = mode;
	if (name)
		memcpy(c.name, name, strnlen(name, sizeof(c.name)));
	ret = pl_ioctl(fd, PAGELAB_IOC_CLONE, &c);
	if (ret)
		return ret;
	if (out)
		*out = c;
	else
		close(c.fd);
	return 0;
}

int pl_buddy_take(int fd, unsigned int order, __u32 flags, struct pagelab_buddy *out)
{
	memset(out, 0, sizeof(*out));
	out->op = PAGELAB_BUDDY_ALLOC;
	out->order = order;
	out->flags = flags;
	return pl_ioctl(fd, PAGELAB_IOC_BUDDY, out);
}

int pl_buddy_alloc(int fd, unsigned int order, struct pagelab_buddy *out)
{
	return pl_buddy_take(fd, order, 0, out);
}

int pl_buddy_free(int fd, __u64 handle, struct pagelab_buddy *out)
{
	memset(out, 0, sizeof(*out));
	out->op = PAGELAB_BUDDY_FREE;
	out->handle = handle;
	return pl_ioctl(fd, PAGELAB_IOC_BUDDY, out);
}

int pl_slab(int fd, __u32 op, __u32 size, __u32 align, __u64 handle, struct pagelab_slab *out)
{
	memset(out, 0, sizeof(*out));
	out->op = op;
	out->size = size;
	out->align = align;
	out->handle = handle;
	return pl_ioctl(fd, PAGELAB_IOC_SLAB, out);
}

long long pl_slab_attr(const char *cache, const char *attr)
{
	char path[160];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", cache, attr);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int pl_merge(int fd, const __u64 *ids, unsigned int nids, struct pagelab_merge *out)
{
	struct pagelab_merge m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.ids = (__u64)(uintptr_t)ids;
	m.nids = nids;
	ret = pl_ioctl(fd, PAGELAB_IOC_MERGE, &m);
	if (!ret && out)
		*out = m;
	return ret;
}

/*
 * The keys of an objects line that are not numbers: name=, store=, policy=.
 * 0 parsed, 1 not one of them, -EINVAL malformed.
 */
static int pl_obj_parse_word(const char *tok, size_t klen, const char *eq, size_t vlen,
			     struct pagelab_obj_stat *st)
{
	if (klen == 4 && !memcmp(tok, "name", 4)) {
		if (vlen >= sizeof(st->name))
			return -EINVAL;
		memset(st->name, 0, sizeof(st->name));
		if (!(vlen == 1 && eq[1] == '-'))
			memcpy(st->name, eq + 1, vlen);
		return 0;
	}
	if (klen == 5 && !memcmp(tok, "store", 5)) {
		/* "file" or "module" (ABI 1.4). */
		if (vlen == 4 && !memcmp(eq + 1, "file", 4))
			st->store_flags = PAGELAB_STORE_FILE;
		else if (vlen == 6 && !memcmp(eq + 1, "module", 6))
			st->store_flags = 0;
		else
			return -EINVAL;
		return 0;
	}
	if (klen == 6 && !memcmp(tok, "policy", 6)) {
		/* A number, or a name ("clock"; "none" or "-" for no budget). */
		char buf[32], *e;
		unsigned long long v;
		int pol;

		if (!vlen || vlen >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, eq + 1, vlen);
		buf[vlen] = '\0';
		errno = 0;
		v = strtoull(buf, &e, 10);
		if (!errno && !*e && isdigit((unsigned char)buf[0])) {
			st->policy = (__u32)v;
		} else if (!strcmp(buf, "none") || !strcmp(buf, "-")) {
			st->policy = 0;
		} else {
			pol = pl_policy_parse(buf, false);
			if (pol < 0)
				return -EINVAL;
			st->policy = pol;
		}
		return 0;
	}
	return 1;
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
		PL_KEY(mappers, 8, 10), PL_KEY(files, 8, 10), PL_KEY(uid, 4, 10),
		PL_KEY(gid, 4, 10), PL_KEY(mode, 4, 8), PL_KEY(fault_around_pages, 4, 10),
		/* ABI 1.2 on: absent from older modules' lines, then left 0. */
		PL_KEY(shared, 8, 10), PL_KEY(budget, 4, 10), PL_KEY(store_pages, 8, 10),
		{ "delay_ms", offsetof(struct pagelab_obj_stat, pagein_delay_ms), 4, 10 },
		/* Every counter, from the one list of them. */
#define PAGELAB_OBJ_COUNTER(field, column, group) PL_KEY(field, 8, 10),
#include "uapi/pagelab_counters.h"
#undef PAGELAB_OBJ_COUNTER
#undef PL_KEY
	};
	bool have_id = false;
	const char *p = line;
	int ret;

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
		ret = pl_obj_parse_word(tok, klen, eq, vlen, st);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
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
	char line[2048];	/* a line with every 1.2 key at 20 digits is ~850 */
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

/* ---- page replacement ------------------------------------------------- */

int pl_replace_raw(int objfd, const struct pagelab_replace *r)
{
	return pl_ioctl(objfd, PAGELAB_IOC_REPLACE, (void *)r);
}

int pl_replace_store(int objfd, __u32 budget, __u32 policy, __u64 flags, __u64 seed,
		     int store_fd, __u32 delay_ms)
{
	struct pagelab_replace r;

	memset(&r, 0, sizeof(r));
	r.budget = budget;
	r.policy = policy;
	r.flags = flags;
	r.store_fd = store_fd;
	r.pagein_delay_ms = delay_ms;
	r.seed = seed;
	return pl_replace_raw(objfd, &r);
}

int pl_replace(int objfd, __u32 budget, __u32 policy, __u64 flags, __u64 seed)
{
	return pl_replace_store(objfd, budget, policy, flags, seed, 0, 0);
}

const char *pl_store_hint(int err)
{
	switch (err) {
	case -EBADF:
		return "the backing file must be open for reading and writing (O_RDWR)";
	case -EINVAL:
		return "not a regular file, opened O_APPEND, a page-in delay over the "
		       "maximum, or a module without the file store (ABI < 1.4)";
	case -EPERM:
		return "others than its owner may open the backing file (chmod 600), it is "
		       "setuid/setgid, or the object fd is read-only";
	case -EACCES:
		return "you may not open the backing file for reading and writing yourself";
	case -ENOSPC:
		return "the backing file is smaller than the object";
	case -EBUSY:
		return "the store in use still holds pages (a budget of 0 brings them back "
		       "first), or another object uses this backing file";
	default:
		return strerror(-err);
	}
}

int pl_store_open(const char *path, __u64 size)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (S_ISREG(st.st_mode) && (__u64)st.st_size != size && ftruncate(fd, (off_t)size)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static const char *const pl_policy_names[] = {
	[0] = "none",
	[PAGELAB_POLICY_FIFO] = "fifo",
	[PAGELAB_POLICY_LRU] = "lru",
	[PAGELAB_POLICY_CLOCK] = "clock",
	[PAGELAB_POLICY_LFU] = "lfu",
	[PAGELAB_POLICY_RANDOM] = "random",
};

int pl_policy_parse(const char *name, bool allow_opt)
{
	if (allow_opt && !strcasecmp(name, "opt"))
		return PL_POLICY_OPT;
	for (unsigned int i = 1; i < sizeof(pl_policy_names) / sizeof(pl_policy_names[0]); i++)
		if (pl_policy_names[i] && !strcasecmp(name, pl_policy_names[i]))
			return i;
	return -EINVAL;
}

const char *pl_policy_name(unsigned int policy)
{
	if (policy == PL_POLICY_OPT)
		return "opt";
	if (policy < sizeof(pl_policy_names) / sizeof(pl_policy_names[0]) &&
	    pl_policy_names[policy])
		return pl_policy_names[policy];
	return "?";
}

static const char *const pl_event_results[] = {
	[PL_EV_HIT] = "hit",
	[PL_EV_MISS] = "miss",
	[PL_EV_PAGEIN] = "pagein",
	[PL_EV_ZERO] = "zero",
};

const char *pl_event_result_name(int result)
{
	if (result >= 0 && result < (int)(sizeof(pl_event_results) / sizeof(pl_event_results[0])))
		return pl_event_results[result];
	return "?";
}

/* The value of "key=" at *@p (the token must start with it): its text, *@p past it. */
static bool pl_event_field(const char **p, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key), n;
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, key, klen) || s[klen] != '=')
		return false;
	s += klen + 1;
	n = strcspn(s, " \t\n");
	if (!n || n >= len)
		return false;
	memcpy(val, s, n);
	val[n] = '\0';
	*p = s + n;
	return true;
}

static bool pl_event_ull(const char *v, unsigned long long *out)
{
	char *e;

	if (!isdigit((unsigned char)v[0]))
		return false;
	errno = 0;
	*out = strtoull(v, &e, 10);
	return !errno && !*e;
}

static bool pl_event_sll(const char *v, long long *out)
{
	char *e;

	if (!isdigit((unsigned char)v[v[0] == '-']))
		return false;
	errno = 0;
	*out = strtoll(v, &e, 10);
	return !errno && !*e;
}

int pl_event_parse(const char *line, struct pl_event *ev)
{
	unsigned long long u;
	long long l;
	const char *p = line;
	char v[32];
	int r;

	memset(ev, 0, sizeof(*ev));
	if (!pl_event_field(&p, "obj", v, sizeof(v)) || !pl_event_ull(v, &u))
		return -EINVAL;
	ev->obj = u;
	if (!pl_event_field(&p, "seq", v, sizeof(v)) || !pl_event_ull(v, &u))
		return -EINVAL;
	ev->seq = u;
	/* -1 (no page) is printed as such; never expected, but not malformed. */
	if (!pl_event_field(&p, "page", v, sizeof(v)) || !pl_event_sll(v, &l) || l < -1)
		return -EINVAL;
	ev->page = (__u64)l;
	if (!pl_event_field(&p, "result", v, sizeof(v)))
		return -EINVAL;
	for (r = 0; r < (int)(sizeof(pl_event_results) / sizeof(pl_event_results[0])); r++)
		if (!strcmp(v, pl_event_results[r]))
			break;
	if (r == (int)(sizeof(pl_event_results) / sizeof(pl_event_results[0])))
		return -EINVAL;
	ev->result = r;
	if (!pl_event_field(&p, "slot", v, sizeof(v)) || !pl_event_sll(v, &l) || l < -1 ||
	    l > INT32_MAX)
		return -EINVAL;
	ev->slot = (int)l;
	if (!pl_event_field(&p, "victim", v, sizeof(v)) || !pl_event_sll(v, &l) || l < -1)
		return -EINVAL;
	ev->victim = l;
	if (!pl_event_field(&p, "wb", v, sizeof(v)))
		return -EINVAL;
	if (!strcmp(v, "-"))
		ev->wb = -1;
	else if (!strcmp(v, "0") || !strcmp(v, "1"))
		ev->wb = v[0] - '0';
	else
		return -EINVAL;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return *p ? -EINVAL : 0;
}

int pl_events_read(__u64 id, __u64 after, struct pl_event **evs, size_t *n)
{
	struct pl_event ev, *arr = NULL;
	size_t cap = 0, cnt = 0;
	char line[256];
	int ret = 0;
	FILE *f;

	*evs = NULL;
	*n = 0;
	f = fopen(PL_EVENTS_PATH, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "obj=", 4))
			continue;	/* not an event line */
		if (pl_event_parse(line, &ev)) {
			ret = -EINVAL;
			break;
		}
		if (ev.obj != id || ev.seq <= after)
			continue;
		if (cnt == cap) {
			struct pl_event *na;

			cap = cap ? cap * 2 : 64;
			na = realloc(arr, cap * sizeof(*arr));
			if (!na) {
				ret = -ENOMEM;
				break;
			}
			arr = na;
		}
		arr[cnt++] = ev;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	fclose(f);
	if (ret) {
		free(arr);
		return ret;
	}
	*evs = arr;
	*n = cnt;
	return 0;
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

int pl_pagemap_range(pid_t pid, unsigned long vaddr, size_t n, uint64_t *entries)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t len = n * sizeof(*entries);
	char path[64];
	ssize_t got;
	int fd, ret = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = pread(fd, entries, len, (off_t)(vaddr / ps) * sizeof(*entries));
	if (got < 0)
		ret = -errno;
	else if ((size_t)got != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int pl_pagemap(pid_t pid, unsigned long vaddr, uint64_t *entry)
{
	return pl_pagemap_range(pid, vaddr, 1, entry);
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
