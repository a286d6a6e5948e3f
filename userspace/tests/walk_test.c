// SPDX-License-Identifier: GPL-2.0
/*
 * walk_test - the page-table walk, /sys/kernel/debug/pagelab/walk: checked
 * page by page against /proc/PID/pagemap (PFN, present, swapped, soft-dirty,
 * exclusive) over anonymous, file, pagelab shared and private, THP and stack
 * mappings and the rest of a stopped process's address space; THP at the PMD
 * level; holes, unmapped addresses, swap entries (zram), PROT_NONE; kernel
 * addresses (the direct map, kernel text); the paging depth (la57) and a
 * mapping above 2^47 on 5-level paging; hugetlb mappings (and walks racing
 * the unsharing of their PMD table); every kind of bad request; the
 * permission checks (writer and opener; fsuid, capabilities and user
 * namespaces as ptrace has them; a setuid execve() under the walker) and
 * what an unprivileged writer is not shown (kernel walks, PFNs, counts, swap
 * slots, frame contiguity); one request per open file; JSON against text;
 * file names that try to forge lines; a race with mmap/munmap/exit; and the
 * CLI's walk, segments, bench walk and tour.  Runs in the guest, as root.
 *
 * Every test runs in the "walk" fixture: its teardown kills and reaps the
 * children the test started, unmaps and closes what it left, turns off the
 * swap it turned on, and checks the module holds the same objects and pages
 * as before the test.  Children never use ASSERT/EXPECT: they report through
 * shared memory or their exit status, which the parent checks.
 *
 * Every single-address answer also goes through walk_consistent(): each
 * level's index is the address's bits for that level, the flags agree with
 * the raw entry's bits, next is the entry's table address, and phys is the
 * leaf entry's frame plus the offset of the byte asked for.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_walk.h"
#include "pl_scan.h"
#include "pl_test_util.h"

/* How long the race test churns; the whole test has TIMEOUT(120). */
#define RACE_SECONDS	30

#define PG		4096UL
#define MiB		(1024UL * 1024)
#define THP_SIZE	(2 * MiB)
#define NTRACK		32
#define KPF_THP		22
#define ENTRY_ADDR_MASK	UINT64_C(0x000ffffffffff000)	/* bits 12-51 */

/* The oracle test's target mappings, in pages (the THP region in bytes). */
#define O_ANON_PAGES	256
#define O_FILE_PAGES	64
#define O_PL_PAGES	64
#define O_THP_LEN	(4 * MiB)

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

FIXTURE(walk) {
	int dev;
	struct pagelab_info before;
	unsigned int levels;
	int nkids;
	pid_t kids[NTRACK];
	int nmaps;
	void *map[NTRACK];
	size_t maplen[NTRACK];
	int nfds;
	int fds[NTRACK];
	bool swapoff_zram;
	char unlink_path[64];
	long hugepages_before;	/* nr_hugepages to restore, or -1 */
};

/* ---- helpers (tests pass _metadata so the helpers may ASSERT) ----------- */

static inline unsigned char rd(const void *p)
{
	return *(const volatile unsigned char *)p;
}

static inline void wr(void *p, unsigned char v)
{
	*(volatile unsigned char *)p = v;
}

static void *track_map(FIXTURE_DATA(walk) *self, void *p, size_t len)
{
	if (p != MAP_FAILED && self->nmaps < NTRACK) {
		self->map[self->nmaps] = p;
		self->maplen[self->nmaps++] = len;
	}
	return p;
}

static void *anon_map(FIXTURE_DATA(walk) *self, size_t len, bool nohuge)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED && nohuge)
		madvise(p, len, MADV_NOHUGEPAGE);
	return track_map(self, p, len);
}

/* A 2 MiB-aligned anonymous region of @len bytes (tracked), or MAP_FAILED. */
static char *thp_map(FIXTURE_DATA(walk) *self, size_t len)
{
	char *r = mmap(NULL, len + THP_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)r + THP_SIZE - 1) & ~(uintptr_t)(THP_SIZE - 1));
	if (a > r)
		munmap(r, a - r);
	if (a + len < r + len + THP_SIZE)
		munmap(a + len, r + len + THP_SIZE - (a + len));
	madvise(a, len, MADV_HUGEPAGE);
	return track_map(self, a, len);
}

static int track_fd(FIXTURE_DATA(walk) *self, int fd)
{
	if (fd >= 0 && self->nfds < NTRACK)
		self->fds[self->nfds++] = fd;
	return fd;
}

/* fork(); the child dies with the test process (an ASSERT abort or timeout). */
static pid_t fork_child(FIXTURE_DATA(walk) *self)
{
	pid_t pid = pl_fork_child();

	if (pid > 0 && self->nkids < NTRACK)
		self->kids[self->nkids++] = pid;
	return pid;
}

/* A child that only waits to be killed (it maps what this process maps), or -1. */
static pid_t fork_waiting_child(FIXTURE_DATA(walk) *self)
{
	pid_t pid = fork_child(self);

	if (!pid) {
		pause();
		_exit(0);
	}
	return pid;
}

/* waitpid, then the exit code, 128 + signal, or -1; the child is untracked. */
static int reap(FIXTURE_DATA(walk) *self, pid_t pid)
{
	for (int i = 0; i < self->nkids; i++)
		if (self->kids[i] == pid)
			self->kids[i] = 0;
	return pl_reap(pid);
}

static int kill_reap(FIXTURE_DATA(walk) *self, pid_t pid)
{
	kill(pid, SIGKILL);
	return reap(self, pid);
}

/* Wait up to @ms for one byte on @fd: true if it came. */
static bool wait_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(fd, &c, 1) == 1;
}

static void send_byte(int fd)
{
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		_exit(98);
}

/* A MAP_SHARED anonymous block for a child's report (tracked). */
static void *shared_block(FIXTURE_DATA(walk) *self, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return track_map(self, p, len);
}

static uint64_t pm1(pid_t pid, uint64_t addr)
{
	uint64_t e = 0;

	if (pl_pagemap_range(pid, addr & ~(PG - 1), 1, &e))
		return 0;
	return e;
}

static bool kpage_is_thp(uint64_t pfn)
{
	uint64_t f = 0;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, &f, 8, (off_t)pfn * 8) == 8;
	close(fd);
	return ok && (f >> KPF_THP) & 1;
}

static unsigned int cpu_levels(void)
{
	char line[8192];
	unsigned int levels = 4;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " la57"))
			levels = 5;
	fclose(f);
	return levels;
}

/* The shift of a level's index in the address, for 4- or 5-level paging. */
static int level_shift(const char *name, unsigned int levels)
{
	if (!strcmp(name, "PGD"))
		return levels == 5 ? 48 : 39;
	if (!strcmp(name, "P4D"))
		return 39;
	if (!strcmp(name, "PUD"))
		return 30;
	if (!strcmp(name, "PMD"))
		return 21;
	return 12;
}

/* The flags the text shows agree with the raw entry's bits. */
static void flags_match_entry(struct __test_metadata *_metadata, const struct pl_walk_level *l,
			      bool leaf_above_pte)
{
	static const struct {
		const char *name;
		int bit;
	} bits[] = {
		{ "P", 0 }, { "RW", 1 }, { "U", 2 }, { "PWT", 3 }, { "PCD", 4 }, { "A", 5 },
		{ "SD", 11 }, { "NX", 63 },
	};

	if (!(l->entry & 1))
		return;		/* not present: the bits mean other things */
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		EXPECT_EQ((bool)((l->entry >> bits[i].bit) & 1), pl_walk_has_flag(l->flags, bits[i].name))
			TH_LOG("%s entry 0x%016" PRIx64 " flags %s: %s disagrees with bit %d", l->name,
			       l->entry, l->flags, bits[i].name, bits[i].bit);
	}
	if (strcmp(l->name, "PTE") && strcmp(l->name, "PGD") && strcmp(l->name, "P4D")) {
		EXPECT_EQ((bool)((l->entry >> 7) & 1), pl_walk_has_flag(l->flags, "PS"))
			TH_LOG("%s entry 0x%016" PRIx64 " flags %s: PS and bit 7", l->name, l->entry,
			       l->flags);
	}
	if (leaf_above_pte) {
		EXPECT_TRUE(pl_walk_has_flag(l->flags, "PS")) TH_LOG("%s leaf without PS", l->name);
	}
}

/* The structural facts every one-address answer must satisfy. */
static void walk_consistent(struct __test_metadata *_metadata, const struct pl_walk_result *w)
{
	for (int i = 0; i < w->nlevels; i++) {
		const struct pl_walk_level *l = &w->level[i];
		bool is_leaf = w->has_leaf && !strcmp(l->name, w->leaf_level);

		if (l->folded)
			continue;
		EXPECT_EQ((w->addr >> level_shift(l->name, w->levels)) & 511, l->index)
			TH_LOG("%s index for 0x%" PRIx64, l->name, w->addr);
		flags_match_entry(_metadata, l, is_leaf && strcmp(l->name, "PTE"));
		if (l->has_next && l->next) {
			EXPECT_EQ(l->entry & ENTRY_ADDR_MASK, l->next)
				TH_LOG("%s next 0x%" PRIx64 " is not the entry's table 0x%016" PRIx64,
				       l->name, l->next, l->entry);
		}
		if (is_leaf && w->phys) {
			uint64_t size = w->leaf_size;

			EXPECT_EQ((l->entry & ENTRY_ADDR_MASK & ~(size - 1)) + (w->addr & (size - 1)),
				  w->phys) TH_LOG("phys of 0x%" PRIx64 " from entry 0x%016" PRIx64,
						  w->addr, l->entry);
			EXPECT_TRUE(w->pfn == w->phys >> 12 || w->pfn == (w->phys & ~(size - 1)) >> 12)
				TH_LOG("pfn 0x%" PRIx64 " for phys 0x%" PRIx64, w->pfn, w->phys);
		}
	}
	if (w->has_pgd_user)
		flags_match_entry(_metadata, &w->pgd_user, false);
	if (w->has_leaf) {
		EXPECT_TRUE(pl_walk_has_flag(pl_walk_leaf_entry(w)->flags, "P"));
	}
}

/*
 * Walk one address: the write must succeed and the answer parse and be
 * consistent.  @answer (may be NULL) gets the text, for the caller to free.
 */
static void walk1(struct __test_metadata *_metadata, struct pl_walk_result *w, char **answer,
		  const char *fmt, ...)
{
	char req[160], *a = NULL;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	ret = pl_walk_alloc(req, &a);
	if (ret || pl_walk_parse(a, w)) {
		TH_LOG("request '%s': %s; %s\n%s", req, ret ? strerror(-ret) : "ok",
		       ret ? "" : w->err, a ? a : "");
		free(a);
		ASSERT_TRUE(false);
	}
	walk_consistent(_metadata, w);
	if (answer)
		*answer = a;
	else
		free(a);
}

/* Range walk; the answer text (caller frees).  The write must succeed. */
static char *walk_range(struct __test_metadata *_metadata, pid_t pid, uint64_t start,
			uint64_t end)
{
	char req[96], *a = NULL;
	int ret;

	snprintf(req, sizeof(req), "%d 0x%" PRIx64 " 0x%" PRIx64, (int)pid, start, end);
	ret = pl_walk_alloc(req, &a);
	if (ret) {
		TH_LOG("request '%s': %s\n%s", req, strerror(-ret), a ? a : "");
		free(a);
		ASSERT_EQ(0, ret);
	}
	return a;
}

/* Every run of a range answer, into @runs (at most @max); ASSERTs it parses. */
static int range_runs(struct __test_metadata *_metadata, const char *answer,
		      struct pl_walk_run *runs, int max, struct pl_walk_range *hdr)
{
	struct pl_walk_range r;
	struct pl_walk_run run;
	int n = 0, ret;

	ret = pl_walk_range_begin(&r, answer);
	if (ret)
		TH_LOG("%s\n%.2000s", r.err, answer);
	ASSERT_EQ(0, ret);
	while ((ret = pl_walk_range_next(&r, &run)) == 1) {
		if (n < max)
			runs[n] = run;
		n++;
	}
	if (ret)
		TH_LOG("%s\n%.2000s", r.err, answer);
	ASSERT_EQ(0, ret);
	if (hdr)
		*hdr = r;
	return n;
}

/* Soft-dirty VMAs (VmFlags "sd") of @pid: pagemap reports every page of them soft-dirty. */
struct sd_vmas {
	int n;
	uint64_t lo[512], hi[512];
};

static void read_sd_vmas(pid_t pid, struct sd_vmas *sd)
{
	char path[64], line[4400];
	unsigned long lo = 0, hi = 0;
	FILE *f;

	sd->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			lo = a;
			hi = b;
			continue;
		}
		if (!strncmp(line, "VmFlags:", 8) && strstr(line, " sd") && sd->n < 512) {
			sd->lo[sd->n] = lo;
			sd->hi[sd->n++] = hi;
		}
	}
	fclose(f);
}

static bool vma_soft_dirty(const struct sd_vmas *sd, uint64_t addr)
{
	for (int i = 0; i < sd->n; i++)
		if (addr >= sd->lo[i] && addr < sd->hi[i])
			return true;
	return false;
}

struct cmp_stats {
	uint64_t pages, present, swapped, mismatches;
	uint64_t bad_present, bad_pfn, bad_sd, bad_excl;
	int logged;
};

/*
 * Range-walk [start, end) of @pid and compare each page with pagemap:
 * present (a protnone run is present to pagemap), swapped, PFN, soft-dirty
 * (or the VMA's VM_SOFTDIRTY), exclusive.  @kinds/@sizes (may be NULL) get
 * each page's kind ("" if absent) and leaf size.
 */
static void compare_range(struct __test_metadata *_metadata, pid_t pid, const char *what,
			  uint64_t start, uint64_t end, const struct sd_vmas *sd,
			  struct cmp_stats *c, char (*kinds)[16], uint64_t *sizes)
{
	size_t n = (end - start) / PG;
	uint64_t *pm = calloc(n, 8);
	struct pl_walk_range r;
	struct pl_walk_run run;
	char *answer;
	int ret;

	ASSERT_NE(NULL, pm);
	answer = walk_range(_metadata, pid, start, end);
	ASSERT_EQ(0, pl_pagemap_range(pid, start, n, pm)) TH_LOG("pagemap of %s", what);
	ret = pl_walk_range_begin(&r, answer);
	while (!ret && (ret = pl_walk_range_next(&r, &run)) == 1) {
		ret = 0;
		for (uint64_t a = run.start; a < run.end; a += PG) {
			size_t i = (a - start) / PG;
			uint64_t e = pm[i];
			bool present = !run.absent || !strcmp(run.reason, "protnone");
			bool swapped = run.absent && (!strcmp(run.reason, "swap") ||
						      !strcmp(run.reason, "migration"));
			bool bad = false;

			c->pages++;
			if (kinds)
				snprintf(kinds[i], 16, "%s", run.absent ? "" : run.kind);
			if (sizes)
				sizes[i] = run.absent ? 0 : run.size;
			if (present != pl_pm_present(e) || swapped != pl_pm_swapped(e)) {
				c->bad_present++;
				bad = true;
			} else if (!run.absent) {
				bool soft = pl_walk_has_flag(run.flags, "SD") || vma_soft_dirty(sd, a);

				c->present++;
				if (pl_walk_run_pfn(&run, a) != pl_pm_pfn(e)) {
					c->bad_pfn++;
					bad = true;
				}
				if (soft != pl_pm_soft_dirty(e)) {
					c->bad_sd++;
					bad = true;
				}
				if ((bool)run.excl != pl_pm_exclusive(e)) {
					c->bad_excl++;
					bad = true;
				}
			} else if (swapped) {
				c->swapped++;
			}
			if (!bad)
				continue;
			c->mismatches++;
			if (c->logged++ < 12)
				TH_LOG("%s 0x%" PRIx64 ": walk %s [0x%" PRIx64 "-0x%" PRIx64 ") pfn 0x%"
				       PRIx64 " flags %s kind %s excl %u; pagemap %016" PRIx64
				       " (present %d swap %d sd %d excl %d pfn 0x%" PRIx64 ")",
				       what, a, run.absent ? run.reason : "run", run.start, run.end,
				       run.absent ? 0 : pl_walk_run_pfn(&run, a), run.flags, run.kind,
				       run.excl, e, pl_pm_present(e), pl_pm_swapped(e),
				       pl_pm_soft_dirty(e), pl_pm_exclusive(e), pl_pm_pfn(e));
		}
	}
	if (ret)
		TH_LOG("%s: %s\n%.2000s", what, r.err, answer);
	free(answer);
	free(pm);
	ASSERT_EQ(0, ret);
}

/*
 * Every VMA of @pid, in chunks of at most 256 MiB: @fn(name, start, end,
 * @arg), the name "vma" for an anonymous one; VMAs named "[vsyscall]"
 * (above user space) or, with @skip_vvar, "[vvar]" are left out.
 */
static void for_each_vma_chunk(struct __test_metadata *_metadata, pid_t pid, bool skip_vvar,
			       void (*fn)(struct __test_metadata *_metadata, const char *name,
					  uint64_t start, uint64_t end, void *arg),
			       void *arg)
{
	const unsigned long chunk = (1UL << 16) * PG;
	char path[64], line[4400], name[4096];
	unsigned long lo, hi;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		name[0] = '\0';
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095[^\n]", &lo, &hi, name) < 2)
			continue;
		if ((skip_vvar && !strcmp(name, "[vvar]")) || !strcmp(name, "[vsyscall]"))
			continue;
		for (unsigned long a = lo; a < hi; a += chunk)
			fn(_metadata, name[0] ? name : "vma", a, hi - a > chunk ? a + chunk : hi, arg);
	}
	fclose(f);
}

struct compare_all_arg {
	pid_t pid;
	const struct sd_vmas *sd;
	struct cmp_stats *all;
};

static void compare_chunk(struct __test_metadata *_metadata, const char *name, uint64_t start,
			  uint64_t end, void *arg)
{
	struct compare_all_arg *c = arg;

	compare_range(_metadata, c->pid, name, start, end, c->sd, c->all, NULL, NULL);
}

/* compare_range() over every VMA of @pid (not vvar: the walk shows PFN mappings). */
static void compare_all_vmas(struct __test_metadata *_metadata, pid_t pid,
			     const struct sd_vmas *sd, struct cmp_stats *all)
{
	struct compare_all_arg c = { .pid = pid, .sd = sd, .all = all };

	for_each_vma_chunk(_metadata, pid, true, compare_chunk, &c);
}

static const char *want_anon(size_t i)
{
	(void)i;
	return "anon";
}

static const char *want_file(size_t i)
{
	(void)i;
	return "file";
}

/*
 * Does the kernel map the zero page in a writable shared mapping
 * (PAGELAB_FEAT_SHARED_ZERO)?  6.10 on, a read there takes a frame.
 */
static bool oracle_shared_zero = true;

/* The shared pagelab mapping: the first half written, the rest read. */
static const char *want_pl_shared(size_t i)
{
	return i < O_PL_PAGES / 2 || !oracle_shared_zero ? "pagelab" : "zero";
}

/* The private one: every page read, every fourth written (COW). */
static const char *want_pl_private(size_t i)
{
	return i % 4 == 0 ? "anon" : want_pl_shared(i);
}

/* Pages of @what whose kind is not @want's: logs the first few. */
static int kind_mismatches(struct __test_metadata *_metadata, const char *what,
			   char (*kinds)[16], size_t n, const char *(*want)(size_t i))
{
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(kinds[i], want(i)) && bad++ < 4)
			TH_LOG("%s page %zu: kind '%s', want '%s'", what, i, kinds[i], want(i));
	return bad;
}

/* ---- a minimal JSON reader: validate, and find members and elements ----- */

/*
 * A text answer (debugfs) as pagelab walk --json makes it: from the parsed
 * runs of a range, or the levels of one address.  The JSON (malloc'd), or
 * NULL when the answer does not parse.
 */
static char *json_of(const char *text)
{
	struct pl_walk_result *w = NULL;
	char *json = NULL, err[PL_WALK_ERR_LEN];
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	bool bad;

	if (!f)
		return NULL;
	if (!strncmp(text, "range ", 6)) {
		bad = pl_walk_range_print_json(f, text, err, sizeof(err));
	} else {
		w = calloc(1, sizeof(*w));
		bad = !w || pl_walk_parse(text, w);
		if (!bad)
			pl_walk_print_json(f, w);
	}
	fclose(f);
	free(w);
	if (bad) {
		free(json);
		return NULL;
	}
	return json;
}

/*
 * Walk @req (debugfs, text) and make its JSON with json_of().  0 with the
 * JSON in *@out (malloc'd); -errno with the kernel's answer there instead
 * (its error line), or -EBADMSG when that does not parse.
 */
static int walk_json(const char *req, char **out)
{
	char *text = NULL, *json;
	int ret = pl_walk_alloc(req, &text);

	*out = text;
	if (ret)
		return ret;
	json = json_of(text);
	if (!json)
		return -EBADMSG;
	free(text);
	*out = json;
	return 0;
}

/* The value of member @key of the object at @obj, or NULL. */
static const char *json_get(const char *obj, const char *key)
{
	const char *p = pl_json_ws(obj);
	size_t klen = strlen(key);

	if (!p || *p != '{')
		return NULL;
	p = pl_json_ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *v;
		bool match = !strncmp(k, key, klen) && k[klen] == '"';

		p = pl_json_skip(p, 0);
		if (!p)
			return NULL;
		p = pl_json_ws(p);
		if (*p++ != ':')
			return NULL;
		v = pl_json_ws(p);
		if (match)
			return v;
		p = pl_json_skip(v, 0);
		if (!p)
			return NULL;
		p = pl_json_ws(p);
		if (*p == ',')
			p = pl_json_ws(p + 1);
	}
	return NULL;
}

/* Element @i of the array at @arr, or NULL. */
static const char *json_elem(const char *arr, int i)
{
	const char *p = arr ? pl_json_ws(arr) : NULL;

	if (!p || *p != '[')
		return NULL;
	p = pl_json_ws(p + 1);
	if (*p == ']')
		return NULL;
	for (int k = 0;; k++) {
		if (k == i)
			return p;
		p = pl_json_skip(p, 0);
		if (!p)
			return NULL;
		p = pl_json_ws(p);
		if (*p != ',')
			return NULL;
		p = pl_json_ws(p + 1);
	}
}

/* A string value (no escapes expected) into @out; false if not a string. */
static bool json_str(const char *v, char *out, size_t len)
{
	const char *e;

	if (!v || *v != '"')
		return false;
	e = strchr(v + 1, '"');
	if (!e || (size_t)(e - v - 1) >= len)
		return false;
	memcpy(out, v + 1, e - v - 1);
	out[e - v - 1] = '\0';
	return true;
}

/*
 * A string value with its escapes decoded into @out (a \uXXXX must be below
 * 0x100: it is one byte); false if it is not a string, is malformed or does
 * not fit.
 */
static bool json_str_dec(const char *v, char *out, size_t len)
{
	size_t n = 0;

	if (!v || *v != '"')
		return false;
	for (v++; *v != '"'; v++) {
		unsigned int u = 0;
		char c = *v;

		if (!c || (unsigned char)c < 0x20 || n + 1 >= len)
			return false;
		if (c == '\\') {
			c = *++v;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u':
				for (int i = 1; i <= 4; i++) {
					if (!isxdigit((unsigned char)v[i]))
						return false;
					u = u * 16 + (isdigit((unsigned char)v[i]) ? v[i] - '0' :
						      (tolower((unsigned char)v[i]) - 'a' + 10));
				}
				if (u > 0xff)
					return false;
				c = (char)u;
				v += 4;
				break;
			default:
				return false;
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

static bool json_hex(const char *v, uint64_t *x)
{
	char buf[32], *e;

	if (!json_str(v, buf, sizeof(buf)) || strncmp(buf, "0x", 2))
		return false;
	*x = strtoull(buf + 2, &e, 16);
	return !*e && buf[2];
}

static bool json_num(const char *v, long long *x)
{
	char *e;

	if (!v || (*v != '-' && (*v < '0' || *v > '9')))
		return false;
	*x = strtoll(v, &e, 10);
	return e > v;
}

/* A JSON array of strings joined with '|' ("-" if empty). */
static bool json_flags(const char *v, char *out, size_t len)
{
	char s[32];
	const char *el;

	out[0] = '\0';
	if (!v || *v != '[')
		return false;
	for (int i = 0; (el = json_elem(v, i)); i++) {
		if (!json_str(el, s, sizeof(s)) || strlen(out) + strlen(s) + 2 > len)
			return false;
		if (i)
			strcat(out, "|");
		strcat(out, s);
	}
	if (!out[0])
		snprintf(out, len, "-");
	return true;
}

/* Two '|' flag lists hold the same names, in any order. */
static bool same_flags(const char *a, const char *b)
{
	char buf[PL_WALK_FLAGS_LEN], *tok, *save;
	int na = 0, nb = 0;

	snprintf(buf, sizeof(buf), "%s", a);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save), na++)
		if (strcmp(tok, "-") && !pl_walk_has_flag(b, tok))
			return false;
	snprintf(buf, sizeof(buf), "%s", b);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
		nb++;
	return na == nb;
}

/* @flags without "lru", in a static buffer (one of two, alternating). */
static const char *without_lru(const char *flags)
{
	static char bufs[2][PL_WALK_FLAGS_LEN];
	static int which;
	char *out = bufs[which++ & 1], tmp[PL_WALK_FLAGS_LEN], *tok, *save;

	out[0] = '\0';
	snprintf(tmp, sizeof(tmp), "%s", flags);
	for (tok = strtok_r(tmp, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		if (!strcmp(tok, "lru") || !strcmp(tok, "-"))
			continue;
		if (out[0])
			strcat(out, "|");
		strcat(out, tok);
	}
	if (!out[0])
		strcpy(out, "-");
	return out;
}

/* ---- fixture ------------------------------------------------------------ */

FIXTURE_SETUP(walk)
{
	self->dev = pl_open();
	ASSERT_GE(self->dev, 0) TH_LOG("%s", pl_open_hint(self->dev));
	ASSERT_EQ(0, pl_info(self->dev, &self->before));
	self->levels = self->before.pgtable_levels;
	ASSERT_EQ(0, access(PL_WALK_PATH, F_OK))
		TH_LOG("no %s: this module has no page-table walk", PL_WALK_PATH);
	ASSERT_EQ(4096, sysconf(_SC_PAGESIZE));
	self->hugepages_before = -1;
}

FIXTURE_TEARDOWN(walk)
{
	struct pagelab_info after;

	for (int i = 0; i < self->nkids; i++)
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	for (int i = 0; i < self->nmaps; i++)
		if (self->map[i])
			munmap(self->map[i], self->maplen[i]);
	for (int i = 0; i < self->nfds; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	if (self->unlink_path[0])
		unlink(self->unlink_path);
	if (self->swapoff_zram) {
		EXPECT_EQ(0, system("swapoff /dev/zram0 >/dev/null 2>&1"));
	}
	if (self->hugepages_before >= 0)
		pl_set_nr_hugepages(self->hugepages_before);
	/*
	 * No ASSERT here: in this harness an ASSERT in teardown runs it again.
	 * An object a CLI run left (the tour's swap stop) may still be on its
	 * way out in the module's I/O worker: wait for it, as long as
	 * pl_wait_held_as_before() does.
	 */
	EXPECT_EQ(0, pl_wait_held_as_before(self->dev, &self->before, &after));
	EXPECT_EQ(self->before.objects, after.objects) TH_LOG("objects leaked");
	EXPECT_EQ(self->before.pages_held, after.pages_held) TH_LOG("pages leaked");
	close(self->dev);
}

/* ---- the oracle: the walk against /proc/PID/pagemap --------------------- */


struct oracle_info {
	int failed_step;	/* 0: set up; else the step that failed */
	int err;		/* its errno */
	int clear_refs_err;	/* 0 if soft-dirty was cleared, else errno */
	uint64_t anon, file, pls, plp, thp, stack;
};

/* The target: builds its mappings, clears soft-dirty, writes some again, waits. */
static void oracle_target(struct oracle_info *info, int ready_fd, const char *path)
{
	volatile char local[256];
	char *anon, *file, *pls, *plp, *thp, *r;
	int step = 0, fd, dev, ofd;

#define STEP(cond) do { step++; if (!(cond)) { info->err = errno; goto fail; } } while (0)
	local[0] = 1;
	anon = mmap(NULL, O_ANON_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	STEP(anon != MAP_FAILED);
	madvise(anon, O_ANON_PAGES * PG, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < O_ANON_PAGES; i++)
		anon[i * PG] = (char)i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	STEP(fd >= 0);
	file = mmap(NULL, O_FILE_PAGES * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	STEP(file != MAP_FAILED);
	close(fd);
	for (size_t i = 0; i < O_FILE_PAGES; i++)
		(void)rd(file + i * PG);

	dev = pl_open();
	STEP(dev >= 0);
	STEP(!pl_create(dev, O_PL_PAGES * PG, 0, 0, "walk-oracle", &ofd, NULL));
	close(dev);
	pls = mmap(NULL, O_PL_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	STEP(pls != MAP_FAILED);
	for (size_t i = 0; i < O_PL_PAGES; i++)
		if (i < O_PL_PAGES / 2)
			pls[i * PG] = (char)(i + 1);
		else
			(void)rd(pls + i * PG);
	plp = mmap(NULL, O_PL_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ofd, 0);
	STEP(plp != MAP_FAILED);
	close(ofd);
	for (size_t i = 0; i < O_PL_PAGES; i++)
		(void)rd(plp + i * PG);
	for (size_t i = 0; i < O_PL_PAGES; i += 4)
		plp[i * PG] = (char)(0x80 + i);

	r = mmap(NULL, O_THP_LEN + THP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	STEP(r != MAP_FAILED);
	thp = (char *)(((uintptr_t)r + THP_SIZE - 1) & ~(uintptr_t)(THP_SIZE - 1));
	if (thp > r)
		munmap(r, thp - r);
	munmap(thp + O_THP_LEN, r + THP_SIZE - thp);
	madvise(thp, O_THP_LEN, MADV_HUGEPAGE);
	for (size_t off = 0; off < O_THP_LEN; off += PG)
		thp[off] = 1;

	/* Soft-dirty off everywhere, then some pages written again. */
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	info->clear_refs_err = fd < 0 ? errno : write(fd, "4", 1) == 1 ? 0 : errno;
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < O_ANON_PAGES; i += 2)
		anon[i * PG] = (char)(i + 1);
	for (size_t i = 0; i < O_PL_PAGES; i += 8)
		plp[i * PG] = (char)i;
	thp[0] = 2;
	local[1] = 2;

	info->anon = (uintptr_t)anon;
	info->file = (uintptr_t)file;
	info->pls = (uintptr_t)pls;
	info->plp = (uintptr_t)plp;
	info->thp = (uintptr_t)thp;
	info->stack = (uintptr_t)local;
	info->failed_step = 0;
	send_byte(ready_fd);
	for (;;)
		pause();
fail:
	info->failed_step = step;
	send_byte(ready_fd);
	_exit(1);
#undef STEP
}

/*
 * Start oracle_target() in a child, wait for it to be ready and stop it;
 * the file it maps is @self->unlink_path.  *@pid gets the child, *@infop
 * what it built (a shared block).  The caller ASSERTs on a NULL return.
 */
static struct oracle_info *oracle_start(struct __test_metadata *_metadata,
					FIXTURE_DATA(walk) *self, pid_t *pid)
{
	struct oracle_info *info;
	struct pagelab_version v;
	unsigned char buf[PG];
	int pipefd[2], st, fd;

	ASSERT_EQ(0, pl_version(self->dev, &v));
	oracle_shared_zero = v.features & PAGELAB_FEAT_SHARED_ZERO;
	snprintf(self->unlink_path, sizeof(self->unlink_path), "/tmp/pagelab_walk_oracle.%d",
		 (int)getpid());
	fd = open(self->unlink_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	for (int i = 0; i < O_FILE_PAGES; i++) {
		memset(buf, 'a' + i % 26, sizeof(buf));
		ASSERT_EQ((ssize_t)PG, pwrite(fd, buf, PG, (off_t)i * PG));
	}
	close(fd);
	info = shared_block(self, PG);
	ASSERT_NE(MAP_FAILED, info);
	info->failed_step = -1;
	ASSERT_EQ(0, pipe(pipefd));
	track_fd(self, pipefd[0]);
	track_fd(self, pipefd[1]);
	*pid = fork_child(self);
	ASSERT_GE(*pid, 0);
	if (!*pid)
		oracle_target(info, pipefd[1], self->unlink_path);
	ASSERT_TRUE(wait_byte(pipefd[0], 60000)) TH_LOG("the target never got ready");
	ASSERT_EQ(0, info->failed_step) TH_LOG("target step %d failed: %s", info->failed_step,
					       strerror(info->err));
	ASSERT_EQ(0, kill(*pid, SIGSTOP));
	ASSERT_EQ(*pid, waitpid(*pid, &st, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(st));
	return info;
}

TEST_F_TIMEOUT(walk, oracle_matches_pagemap_page_by_page, 180)
{
	struct oracle_info *info;
	struct cmp_stats c = { 0 }, all = { 0 };
	struct sd_vmas *sd;
	char (*kinds)[16];
	uint64_t *sizes, zero_pfn, stack_page, thp_pfn;
	bool thp_formed;
	pid_t pid;
	int ret;

	ret = pl_zero_pfn(&zero_pfn);
	ASSERT_EQ(0, ret) TH_LOG("no zero-page PFN from pagemap: %s", strerror(-ret));
	info = oracle_start(_metadata, self, &pid);
	ASSERT_NE(NULL, info);
	if (info->clear_refs_err)
		TH_LOG("clear_refs failed (%s): soft-dirty compares against VM_SOFTDIRTY VMAs",
		       strerror(info->clear_refs_err));

	sd = calloc(1, sizeof(*sd));
	kinds = calloc(O_THP_LEN / PG, 16);
	sizes = calloc(O_THP_LEN / PG, 8);
	ASSERT_TRUE(sd && kinds && sizes);
	read_sd_vmas(pid, sd);
	TH_LOG("%d of the target's VMAs are VM_SOFTDIRTY", sd->n);

	/* The THP first: khugepaged may still act on a stopped process. */
	thp_pfn = pl_pm_pfn(pm1(pid, info->thp));
	thp_formed = pl_pm_present(pm1(pid, info->thp)) && kpage_is_thp(thp_pfn);
	compare_range(_metadata, pid, "thp", info->thp, info->thp + O_THP_LEN, sd, &c, kinds, sizes);
	if (!thp_formed) {
		TH_LOG("no THP formed in the target (pfn 0x%" PRIx64 " is not KPF_THP): its 4 MiB "
		       "were compared as small pages; the PMD checks are skipped", thp_pfn);
	} else {
		int huge = 0;

		for (size_t i = 0; i < O_THP_LEN / PG; i++)
			huge += sizes[i] == THP_SIZE && !strcmp(kinds[i], "anon");
		EXPECT_EQ((int)(O_THP_LEN / PG), huge) TH_LOG("pages of the THP region in 2 MiB anon runs");
	}

	compare_range(_metadata, pid, "anon", info->anon, info->anon + O_ANON_PAGES * PG, sd, &c,
		      kinds, sizes);
	EXPECT_EQ(0, kind_mismatches(_metadata, "anon", kinds, O_ANON_PAGES, want_anon));
	for (size_t i = 0; i < O_ANON_PAGES; i++) {
		EXPECT_EQ(PG, sizes[i]);
	}
	compare_range(_metadata, pid, "file", info->file, info->file + O_FILE_PAGES * PG, sd, &c,
		      kinds, NULL);
	EXPECT_EQ(0, kind_mismatches(_metadata, "file", kinds, O_FILE_PAGES, want_file));
	compare_range(_metadata, pid, "pagelab shared", info->pls, info->pls + O_PL_PAGES * PG, sd,
		      &c, kinds, NULL);
	EXPECT_EQ(0, kind_mismatches(_metadata, "pagelab shared", kinds, O_PL_PAGES,
				     want_pl_shared));
	if (oracle_shared_zero) {
		EXPECT_EQ(zero_pfn, pl_pm_pfn(pm1(pid, info->pls + (O_PL_PAGES - 1) * PG)));
	} else {
		EXPECT_NE(zero_pfn, pl_pm_pfn(pm1(pid, info->pls + (O_PL_PAGES - 1) * PG)));
	}
	compare_range(_metadata, pid, "pagelab private", info->plp, info->plp + O_PL_PAGES * PG,
		      sd, &c, kinds, NULL);
	EXPECT_EQ(0, kind_mismatches(_metadata, "pagelab private", kinds, O_PL_PAGES,
				     want_pl_private));
	stack_page = info->stack & ~(PG - 1);
	compare_range(_metadata, pid, "stack", stack_page - 8 * PG, stack_page + PG, sd, &c, NULL,
		      NULL);
	TH_LOG("the target's mappings: %" PRIu64 " pages compared, %" PRIu64 " present, %" PRIu64
	       " mismatches (present %" PRIu64 ", pfn %" PRIu64 ", soft-dirty %" PRIu64
	       ", exclusive %" PRIu64 ")", c.pages, c.present, c.mismatches, c.bad_present,
	       c.bad_pfn, c.bad_sd, c.bad_excl);
	EXPECT_EQ(0ULL, c.mismatches);
	EXPECT_GE(c.present, (uint64_t)(O_ANON_PAGES + O_FILE_PAGES + 2 * O_PL_PAGES + 1024));

	/* Then every VMA of the target, whatever it is. */
	compare_all_vmas(_metadata, pid, sd, &all);
	TH_LOG("the target's whole address space: %" PRIu64 " pages compared, %" PRIu64
	       " present, %" PRIu64 " mismatches (present %" PRIu64 ", pfn %" PRIu64
	       ", soft-dirty %" PRIu64 ", exclusive %" PRIu64 ")", all.pages, all.present,
	       all.mismatches, all.bad_present, all.bad_pfn, all.bad_sd, all.bad_excl);
	EXPECT_EQ(0ULL, all.mismatches);
	EXPECT_GE(all.present, c.present);
	free(sd);
	free(kinds);
	free(sizes);
	EXPECT_EQ(128 + SIGKILL, kill_reap(self, pid));
}

/* ---- single addresses: THP, holes, swap, PROT_NONE ---------------------- */

static const char *thp_unavailable(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	if (!f)
		return "no /sys/kernel/mm/transparent_hugepage: THP is not built in";
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, "[never]") ? "THP is disabled ([never])" : NULL;
}

TEST_F(walk, thp_is_a_pmd_leaf_with_ps)
{
	struct pl_walk_run runs[8];
	struct pl_walk_result w;
	const struct pl_walk_level *pmd;
	const char *why = thp_unavailable();
	uint64_t addr, pfn;
	char *p, *answer;
	int n;

	if (why)
		SKIP(return, "%s", why);
	p = thp_map(self, 4 * MiB);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t off = 0; off < 4 * MiB; off += PG)
		wr(p + off, 1);
	pfn = pl_pm_pfn(pm1(0, (uintptr_t)p));
	if (!kpage_is_thp(pfn) || !kpage_is_thp(pl_pm_pfn(pm1(0, (uintptr_t)p + THP_SIZE))))
		SKIP(return, "no THP formed for both halves of a 2 MiB-aligned MADV_HUGEPAGE "
		     "region (pfn 0x%" PRIx64 ")", pfn);

	addr = (uintptr_t)p + 3 * PG + 0x123;
	walk1(_metadata, &w, NULL, "%d 0x%" PRIx64, (int)getpid(), addr);
	ASSERT_TRUE(w.has_leaf);
	EXPECT_STREQ("PMD", w.leaf_level);
	EXPECT_EQ(2097152ULL, w.leaf_size);
	EXPECT_EQ(4, w.nlevels) TH_LOG("no PTE line under a PMD leaf");
	pmd = pl_walk_find_level(&w, "PMD");
	ASSERT_NE(NULL, pmd);
	EXPECT_TRUE(pl_walk_has_flag(pmd->flags, "PS")) TH_LOG("PMD flags %s", pmd->flags);
	EXPECT_EQ(pl_pm_pfn(pm1(0, addr)) * PG + (addr & (PG - 1)), w.phys);
	EXPECT_TRUE(w.pfn == pl_pm_pfn(pm1(0, addr)) || w.pfn == pfn)
		TH_LOG("pfn 0x%" PRIx64 ": neither the 4K page's nor the huge page's", w.pfn);
	TH_LOG("PMD leaf: pfn 0x%" PRIx64 " is the %s", w.pfn,
	       w.pfn == pfn ? "huge page's first frame" : "4K frame of the byte");
	ASSERT_TRUE(w.has_page);
	EXPECT_STREQ("anon", w.page_kind);
	EXPECT_TRUE(pl_walk_has_flag(w.page_flags, "thp")) TH_LOG("page flags %s", w.page_flags);

	answer = walk_range(_metadata, getpid(), (uintptr_t)p, (uintptr_t)p + 4 * MiB);
	n = range_runs(_metadata, answer, runs, 8, NULL);
	for (int i = 0; i < n && i < 8; i++) {
		EXPECT_FALSE(runs[i].absent);
		EXPECT_EQ(2097152ULL, runs[i].size);
		EXPECT_TRUE(pl_walk_has_flag(runs[i].flags, "PS")) TH_LOG("%s", runs[i].flags);
		EXPECT_EQ(pl_pm_pfn(pm1(0, runs[i].start)), runs[i].pfn);
		EXPECT_STREQ("anon", runs[i].kind);
	}
	EXPECT_LE(n, 2);
	free(answer);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* What the walker child of the next test saw, in a shared block. */
struct retract_seen {
	volatile int stop;
	unsigned long walks, pte_runs, pmd_runs, absent_runs, bad;
	char first_bad[256];
};

/*
 * The walker: range walks of @pid's [@start, @start + 2 MiB) until told to
 * stop; every present run must map the huge page's frames in order (first
 * frame @base), whether through the PTE table or as the PMD leaf.
 */
static void retract_walker(pid_t pid, uint64_t start, uint64_t base, struct retract_seen *seen)
{
	char req[96];

	snprintf(req, sizeof(req), "%d 0x%" PRIx64 " 0x%" PRIx64, (int)pid, start,
		 start + THP_SIZE);
	while (!seen->stop) {
		struct pl_walk_range r;
		struct pl_walk_run run;
		char *a = NULL;
		int ret = pl_walk_alloc(req, &a);

		if (!ret)
			ret = pl_walk_range_begin(&r, a);
		while (!ret && (ret = pl_walk_range_next(&r, &run)) == 1) {
			ret = 0;
			if (run.absent) {
				seen->absent_runs++;
				continue;
			}
			if (run.size == THP_SIZE)
				seen->pmd_runs++;
			else
				seen->pte_runs++;
			if (pl_walk_run_pfn(&run, run.start) != base + (run.start - start) / PG) {
				if (!seen->bad++)
					snprintf(seen->first_bad, sizeof(seen->first_bad),
						 "run at +0x%" PRIx64 ": pfn 0x%" PRIx64
						 ", want 0x%" PRIx64, run.start - start, run.pfn,
						 base + (run.start - start) / PG);
			}
		}
		if (ret < 0 && !seen->bad++)
			snprintf(seen->first_bad, sizeof(seen->first_bad), "answer: %s",
				 a ? a : strerror(-ret));
		free(a);
		seen->walks++;
	}
}

/*
 * Since 6.5 a PTE table can be freed while mmap_lock is only read-held:
 * MADV_COLLAPSE of a file range whose page cache is already one huge page
 * retracts the table and maps the PMD, the table freed after an RCU grace
 * period.  A walk that read the PMD before must notice (walk.c re-checks it
 * inside rcu_read_lock() and under the table's lock) rather than read a
 * freed table.  Here a shmem range flips between PTE-mapped (after
 * MADV_NOHUGEPAGE) and PMD-mapped (MADV_COLLAPSE) hundreds of times while a
 * child walks it without pause: every answer must show the huge page's own
 * frames.  On 6.1 the collapse retracts under the write lock (no race), so
 * this only checks answers there; on the debug kernel a walk into a freed
 * table is also a KASAN report.
 */
TEST_F_TIMEOUT(walk, tables_retracted_under_a_walk, 300)
{
	const int rounds = 300;
	struct retract_seen *seen;
	uint64_t base, e;
	int fd, collapsed = 0;
	char *r, *p;
	pid_t pid;

	fd = track_fd(self, memfd_create("pagelab-walk-retract", MFD_CLOEXEC));
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, THP_SIZE));
	r = mmap(NULL, 2 * THP_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	p = (char *)(((uintptr_t)r + THP_SIZE - 1) & ~(uintptr_t)(THP_SIZE - 1));
	ASSERT_EQ(p, mmap(p, THP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0));
	track_map(self, r, 2 * THP_SIZE);
	for (size_t off = 0; off < THP_SIZE; off += PG)
		wr(p + off, (unsigned char)(off / PG + 1));
	madvise(p, THP_SIZE, MADV_HUGEPAGE);
	if (madvise(p, THP_SIZE, MADV_COLLAPSE))
		SKIP(return, "MADV_COLLAPSE of a shmem range: %s", strerror(errno));
	e = pm1(0, (uintptr_t)p);
	base = pl_pm_pfn(e);
	if (!base)
		SKIP(return, "no PFNs in pagemap (root?)");
	if (!kpage_is_thp(base))
		SKIP(return, "MADV_COLLAPSE left no huge page (pfn 0x%" PRIx64 ")", base);

	seen = shared_block(self, sizeof(*seen));
	ASSERT_NE(MAP_FAILED, seen);
	memset((void *)seen, 0, sizeof(*seen));
	pid = fork_child(self);
	ASSERT_GE(pid, 0);
	if (!pid) {
		retract_walker(getppid(), (uintptr_t)p, base, seen);
		_exit(0);
	}
	for (int i = 0; i < rounds; i++) {
		/* Unmapped, then PTE-mapped again: NOHUGEPAGE forbids the PMD. */
		ASSERT_EQ(0, madvise(p, THP_SIZE, MADV_DONTNEED));
		ASSERT_EQ(0, madvise(p, THP_SIZE, MADV_NOHUGEPAGE));
		for (size_t off = 0; off < THP_SIZE; off += PG)
			ASSERT_EQ((unsigned char)(off / PG + 1), rd(p + off));
		ASSERT_EQ(0, madvise(p, THP_SIZE, MADV_HUGEPAGE));
		/* The PTE table retracted, the PMD mapped: the walk may be in that table. */
		if (!madvise(p, THP_SIZE, MADV_COLLAPSE))
			collapsed++;
	}
	seen->stop = 1;
	EXPECT_EQ(0, reap(self, pid));
	TH_LOG("%d of %d collapses; %lu walks saw %lu PTE runs, %lu PMD leaves, %lu absent",
	       collapsed, rounds, seen->walks, seen->pte_runs, seen->pmd_runs, seen->absent_runs);
	EXPECT_EQ(0UL, seen->bad) TH_LOG("%lu bad answers, the first: %s", seen->bad,
					  seen->first_bad);
	EXPECT_GT(collapsed, rounds / 2);
	EXPECT_GT(seen->walks, 10UL);
	EXPECT_EQ(base, pl_pm_pfn(pm1(0, (uintptr_t)p)));
}

TEST_F(walk, untouched_is_none_and_unmapped_is_novma)
{
	struct pl_walk_run runs[8];
	struct pl_walk_result w;
	const struct pl_walk_level *pte;
	char *p, *answer;
	int n;

	p = anon_map(self, 3 * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + PG, PG));
	wr(p, 7);

	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)(p + 2 * PG));
	ASSERT_TRUE(w.has_absent) TH_LOG("an untouched page is present");
	EXPECT_STREQ("none", w.absent_reason);
	EXPECT_FALSE(w.has_leaf);
	EXPECT_FALSE(w.has_page);
	ASSERT_TRUE(w.has_vma);
	EXPECT_EQ((uintptr_t)p + 2 * PG, w.vma_start);
	EXPECT_STREQ("rw-p", w.vma_prot);
	EXPECT_STREQ("anon", w.vma_backing);

	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)(p + PG + 0x10));
	ASSERT_TRUE(w.has_absent);
	EXPECT_STREQ("novma", w.absent_reason);
	EXPECT_EQ(0, w.nlevels);
	EXPECT_FALSE(w.has_vma);

	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)p);
	ASSERT_TRUE(w.has_leaf);
	EXPECT_STREQ("PTE", w.leaf_level);
	EXPECT_EQ(pl_pm_pfn(pm1(0, (uintptr_t)p)), w.pfn);
	ASSERT_TRUE(w.has_page);
	EXPECT_STREQ("anon", w.page_kind);
	EXPECT_EQ(1, w.mapcount);
	pte = pl_walk_find_level(&w, "PTE");
	ASSERT_NE(NULL, pte);
	for (const char *f = "P\0RW\0U\0A\0D\0NX\0"; *f; f += strlen(f) + 1) {
		EXPECT_TRUE(pl_walk_has_flag(pte->flags, f)) TH_LOG("written anon PTE: %s lacks %s",
								    pte->flags, f);
	}

	answer = walk_range(_metadata, getpid(), (uintptr_t)p, (uintptr_t)p + 3 * PG);
	n = range_runs(_metadata, answer, runs, 8, NULL);
	ASSERT_EQ(3, n) TH_LOG("%s", answer);
	EXPECT_FALSE(runs[0].absent);
	EXPECT_EQ(1ULL, runs[0].pages);
	EXPECT_STREQ("anon", runs[0].kind);
	EXPECT_EQ(1U, runs[0].excl);
	EXPECT_TRUE(runs[1].absent);
	EXPECT_STREQ("novma", runs[1].reason);
	EXPECT_TRUE(runs[2].absent);
	EXPECT_STREQ("none", runs[2].reason);
	free(answer);
}

/*
 * @n pages (at most 64) of fresh anonymous memory, each written, then paged
 * out to zram swap (MADV_PAGEOUT, up to five tries): *@pp gets the memory,
 * @pm their pagemap entries, *@swapped how many went out.  NULL, or why
 * not (for SKIP).
 */
static const char *swap_out_fresh(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
				  size_t n, uint64_t *pm, char **pp, size_t *swapped)
{
	static char why_buf[128];
	const char *why;
	bool ours;
	char *p;

	why = pl_zram_swap_on(&ours);
	self->swapoff_zram = ours;
	if (why)
		return why;
	p = anon_map(self, n * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < n; i++)
		memset(p + i * PG, (int)(0x40 + i), PG);
	*swapped = 0;
	for (int tries = 0; tries < 5 && *swapped < n; tries++) {
		if (madvise(p, n * PG, MADV_PAGEOUT)) {
			snprintf(why_buf, sizeof(why_buf), "madvise(MADV_PAGEOUT): %s",
				 strerror(errno));
			return why_buf;
		}
		ASSERT_EQ(0, pl_pagemap_range(0, (uintptr_t)p, n, pm));
		*swapped = 0;
		for (size_t i = 0; i < n; i++)
			*swapped += pl_pm_swapped(pm[i]);
	}
	if (!*swapped) {
		snprintf(why_buf, sizeof(why_buf),
			 "MADV_PAGEOUT swapped none of %zu pages out to zram", n);
		return why_buf;
	}
	*pp = p;
	return NULL;
}

TEST_F_TIMEOUT(walk, swapped_out_pages_are_swap_entries, 120)
{
	const size_t n = 16;
	struct pl_walk_run runs[64];
	struct pl_walk_result w;
	uint64_t pm[16];
	size_t swapped = 0;
	const char *why;
	char *p, *answer;
	int nr;

	why = swap_out_fresh(_metadata, self, n, pm, &p, &swapped);
	if (why)
		SKIP(return, "%s", why);
	TH_LOG("%zu of %zu pages swapped out", swapped, n);

	for (size_t i = 0; i < n; i++) {
		uint64_t addr = (uintptr_t)p + i * PG;

		walk1(_metadata, &w, NULL, "%d 0x%" PRIx64, (int)getpid(), addr);
		if (!pl_pm_swapped(pm[i])) {
			EXPECT_TRUE(w.has_leaf) TH_LOG("page %zu: pagemap says present", i);
			continue;
		}
		ASSERT_TRUE(w.has_absent) TH_LOG("page %zu: pagemap says swapped", i);
		EXPECT_STREQ("swap", w.absent_reason);
		EXPECT_STREQ("PTE", w.absent_level);
		ASSERT_TRUE(w.has_swap);
		EXPECT_EQ(pl_pm_pfn(pm[i]) & 31, w.swap_type);
		EXPECT_EQ(pl_pm_pfn(pm[i]) >> 5, w.swap_offset);
		EXPECT_NE(NULL, pl_walk_find_level(&w, "PTE")) TH_LOG("no PTE line for a swap entry");
	}

	answer = walk_range(_metadata, getpid(), (uintptr_t)p, (uintptr_t)p + n * PG);
	nr = range_runs(_metadata, answer, runs, 64, NULL);
	ASSERT_LE(nr, 64);
	for (int k = 0; k < nr; k++)
		for (uint64_t a = runs[k].start; a < runs[k].end; a += PG) {
			size_t i = (a - (uintptr_t)p) / PG;

			EXPECT_EQ(pl_pm_swapped(pm[i]),
				  runs[k].absent && !strcmp(runs[k].reason, "swap"))
				TH_LOG("page %zu: run %s", i, runs[k].absent ? runs[k].reason : "present");
		}
	free(answer);

	/* Swapped back in: the data is intact and the walk sees frames again. */
	for (size_t i = 0; i < n; i++) {
		EXPECT_EQ(0x40 + i, rd(p + i * PG + 100));
	}
	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)p);
	EXPECT_TRUE(w.has_leaf);
	EXPECT_EQ(pl_pm_pfn(pm1(0, (uintptr_t)p)), w.pfn);
	munmap(p, n * PG);
	self->map[self->nmaps - 1] = NULL;
}

TEST_F(walk, prot_none_is_protnone_with_its_entry)
{
	struct pl_walk_run runs[8];
	struct pl_walk_result w;
	const struct pl_walk_level *pte;
	uint64_t pfn;
	char *p, *answer;
	int n;

	p = anon_map(self, 2 * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	wr(p, 0x5a);
	wr(p + PG, 0x5b);
	pfn = pl_pm_pfn(pm1(0, (uintptr_t)p));
	ASSERT_NE(0ULL, pfn);
	ASSERT_EQ(0, mprotect(p, PG, PROT_NONE));

	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)p);
	ASSERT_TRUE(w.has_absent) TH_LOG("a PROT_NONE page shows as present to the MMU");
	EXPECT_STREQ("protnone", w.absent_reason);
	EXPECT_STREQ("PTE", w.absent_level);
	EXPECT_FALSE(w.has_leaf);
	ASSERT_TRUE(w.has_vma);
	EXPECT_STREQ("---p", w.vma_prot);
	pte = pl_walk_find_level(&w, "PTE");
	ASSERT_NE(NULL, pte) TH_LOG("no PTE entry line for a protnone entry");
	EXPECT_NE(0ULL, pte->entry);
	EXPECT_FALSE(pl_walk_has_flag(pte->flags, "P")) TH_LOG("%s", pte->flags);
	EXPECT_TRUE(pl_walk_has_flag(pte->flags, "PROTNONE")) TH_LOG("%s", pte->flags);
	EXPECT_TRUE(pl_pm_present(pm1(0, (uintptr_t)p))) TH_LOG("pagemap counts it present");

	answer = walk_range(_metadata, getpid(), (uintptr_t)p, (uintptr_t)p + 2 * PG);
	n = range_runs(_metadata, answer, runs, 8, NULL);
	ASSERT_EQ(2, n) TH_LOG("%s", answer);
	EXPECT_TRUE(runs[0].absent);
	EXPECT_STREQ("protnone", runs[0].reason);
	EXPECT_FALSE(runs[1].absent);
	EXPECT_EQ(pl_pm_pfn(pm1(0, (uintptr_t)p + PG)), runs[1].pfn);
	free(answer);

	ASSERT_EQ(0, mprotect(p, PG, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0x5a, rd(p));
	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)p);
	ASSERT_TRUE(w.has_leaf);
	EXPECT_EQ(pfn, w.pfn) TH_LOG("the frame changed across PROT_NONE");
}

/* ---- hugetlb ------------------------------------------------------------- */

/* HugePages_Free in /proc/meminfo, or -1. */
static long free_hugepages(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* @want more free 2 MiB hugetlb pages (the fixture restores the count), or why not. */
static const char *reserve_hugepages(FIXTURE_DATA(walk) *self, long want)
{
	long before = pl_nr_hugepages();

	if (before < 0)
		return "no /proc/sys/vm/nr_hugepages: no hugetlb support";
	if (self->hugepages_before < 0)
		self->hugepages_before = before;
	if (!pl_set_nr_hugepages(before + want) || free_hugepages() < want)
		return "the kernel could not reserve the hugetlb pages";
	return NULL;
}

/* Walk the hugetlb mapping @p of @len bytes in this process and in @child, which maps it too. */
static void check_hugetlb_leaf(struct __test_metadata *_metadata, char *p, size_t len,
			       pid_t child)
{
	struct pl_walk_result w, wc;
	struct pl_walk_run runs[8];
	char *answer, req[128];
	int n;

	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)(p + 0x1234));
	ASSERT_TRUE(w.has_leaf) TH_LOG("a written hugetlb page is not mapped?");
	EXPECT_STREQ("PMD", w.leaf_level);
	EXPECT_EQ(THP_SIZE, w.leaf_size);
	EXPECT_EQ(pl_pm_pfn(pm1(0, (uintptr_t)p + 0x1234)), w.pfn);
	ASSERT_TRUE(w.has_page);
	EXPECT_STREQ("hugetlb", w.page_kind) TH_LOG("page flags %s", w.page_flags);
	EXPECT_FALSE(pl_walk_has_flag(w.page_flags, "thp")) TH_LOG("%s", w.page_flags);
	walk1(_metadata, &wc, NULL, "%d %p", (int)child, (void *)(p + 0x1234));
	EXPECT_TRUE(wc.has_leaf && wc.pfn == w.pfn)
		TH_LOG("the child maps pfn 0x%" PRIx64 ", the parent 0x%" PRIx64, wc.pfn, w.pfn);
	answer = walk_range(_metadata, child, (uintptr_t)p, (uintptr_t)p + len);
	n = range_runs(_metadata, answer, runs, 8, NULL);
	for (int i = 0; i < n && i < 8; i++) {
		EXPECT_FALSE(runs[i].absent) TH_LOG("%s", answer);
		EXPECT_EQ(THP_SIZE, runs[i].size);
		EXPECT_STREQ("hugetlb", runs[i].kind);
	}
	free(answer);
	snprintf(req, sizeof(req), "%d %p", (int)getpid(), (void *)p);
	ASSERT_EQ(0, walk_json(req, &answer)) TH_LOG("%s", answer);
	EXPECT_TRUE(pl_json_valid(answer)) TH_LOG("%s", answer);
	free(answer);
}

/* Map @big bytes of the hugetlb file @bfd shared, at a @big-aligned address (tracked). */
static char *map_aligned_hugetlb(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
				 int bfd, size_t big)
{
	char *r, *q;

	r = mmap(NULL, 2 * big, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	q = (char *)(((uintptr_t)r + big - 1) & ~(uintptr_t)(big - 1));
	if (q > r)
		munmap(r, q - r);
	munmap(q + big, r + big - q);
	q = track_map(self, mmap(q, big, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, bfd, 0), big);
	ASSERT_NE(MAP_FAILED, q);
	return q;
}

/* The child: punch holes in @bfd and fault @q back in until @stop[0], counting in @stop[1]. */
static void punch_hugetlb_holes(int bfd, char *q, volatile unsigned long *stop)
{
	/* Punch a hole (unsharing every PMD table of the file), fault it back. */
	while (!*stop) {
		if (fallocate(bfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, THP_SIZE))
			_exit(1);
		wr(q, 3);
		(void)rd(q + THP_SIZE);
		stop[1]++;
	}
	_exit(0);
}

/* Walk @q in this process and in @child for 8 s; the walks made, the failed ones in @bad. */
static unsigned long walk_while_punching(struct __test_metadata *_metadata, pid_t child,
					 char *q, unsigned long *bad)
{
	struct pl_walk_result w;
	unsigned long walks = 0;
	struct timespec t0, t;
	char *answer, req[128];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		bool self_walk = walks % 2;

		snprintf(req, sizeof(req), walks % 3 ? "%d %p %p" : "%d %p", self_walk ?
			 (int)getpid() : (int)child, (void *)q, (void *)(q + 2 * THP_SIZE));
		answer = NULL;
		if (pl_walk_alloc(req, &answer) || (walks % 3 == 0 && pl_walk_parse(answer, &w))) {
			if ((*bad)++ < 5)
				TH_LOG("'%s':\n%s", req, answer);
		}
		free(answer);
		walks++;
		wr(q + THP_SIZE, 4);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 8);
	return walks;
}

/*
 * A hugetlb PMD table may be shared between processes and freed by another
 * process's truncate without this mm's mmap_lock, so the walk never takes
 * pmd_lock() on it: it reads the entries once under the file's i_mmap_rwsem.
 * A MAP_SHARED hugetlb mapping in two processes: a 2 MiB PMD leaf of kind
 * hugetlb (not "thp"), the same frame in both, runs of 2 MiB; then walks
 * racing hole punches on a 1 GiB-aligned mapping whose PMD table the two
 * processes share.  Nothing may splat (the harness scans the kernel log).
 */
TEST_F_TIMEOUT(walk, hugetlb_mapping_is_a_hugetlb_pmd_leaf, 120)
{
	const size_t len = 2 * THP_SIZE, big = 1UL << 30;
	unsigned long walks, punches, bad = 0;
	volatile unsigned long *stop = shared_block(self, PG);
	char *p, *q;
	const char *why;
	int fd, bfd, ready[2];
	pid_t child;

	ASSERT_NE(MAP_FAILED, (void *)stop);
	why = reserve_hugepages(self, 8);
	if (why)
		SKIP(return, "%s", why);
	fd = track_fd(self, memfd_create("pagelab-walk-huge", MFD_CLOEXEC | MFD_HUGETLB));
	if (fd < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, len));
	p = track_map(self, mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), len);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t off = 0; off < len; off += THP_SIZE)
		wr(p + off, 7);
	ASSERT_EQ(0, pipe(ready));
	track_fd(self, ready[0]);
	track_fd(self, ready[1]);
	child = fork_child(self);
	ASSERT_GE(child, 0);
	if (!child) {
		/* fork copies no entries of a shared hugetlb mapping: fault them. */
		(void)rd(p + 5);
		(void)rd(p + THP_SIZE + 5);
		send_byte(ready[1]);
		for (;;)
			pause();
	}
	ASSERT_TRUE(wait_byte(ready[0], 30000));
	check_hugetlb_leaf(_metadata, p, len, child);
	kill_reap(self, child);

	/* A 1 GiB-aligned shared mapping: fork shares its PMD table with the child. */
	bfd = track_fd(self, memfd_create("pagelab-walk-huge-big", MFD_CLOEXEC | MFD_HUGETLB));
	ASSERT_GE(bfd, 0);
	ASSERT_EQ(0, ftruncate(bfd, big));
	q = map_aligned_hugetlb(_metadata, self, bfd, big);
	wr(q, 1);
	wr(q + THP_SIZE, 2);
	child = fork_child(self);
	ASSERT_GE(child, 0);
	if (!child)
		punch_hugetlb_holes(bfd, q, stop);
	walks = walk_while_punching(_metadata, child, q, &bad);
	*stop = 1;
	EXPECT_EQ(0, reap(self, child));
	punches = stop[1];
	TH_LOG("%lu walks against %lu hole punches of a shared hugetlb PMD table", walks, punches);
	EXPECT_EQ(0UL, bad);
	EXPECT_GT(punches, 0UL);
}

/* ---- kernel addresses ---------------------------------------------------- */

TEST_F(walk, kernel_direct_map_translates_to_phys)
{
	const uint64_t phys = 0x100000 + 0x123;
	struct pl_walk_result w;
	uint64_t base;
	int ret;

	ret = pl_direct_map_base(&base);
	ASSERT_EQ(0, ret) TH_LOG("no direct_map_base in %s/stats: %s", PAGELAB_DEBUGFS,
				 strerror(-ret));
	ASSERT_EQ(0ULL, base & (PG - 1));
	walk1(_metadata, &w, NULL, "kernel 0x%" PRIx64, base + phys);
	EXPECT_TRUE(w.kernel);
	EXPECT_FALSE(w.has_vma);
	EXPECT_EQ(self->levels, w.levels);
	ASSERT_TRUE(w.has_leaf) TH_LOG("the direct map of 1 MiB is not mapped");
	EXPECT_EQ(phys, w.phys);
	EXPECT_TRUE(w.pfn == phys >> 12 || w.pfn == (phys & ~(w.leaf_size - 1)) >> 12);
	/*
	 * x86-64 builds kernel tables with U set on the upper levels
	 * (_PAGE_TABLE); the MMU ANDs U across the levels, so the leaf's
	 * missing U is what keeps user mode out.
	 */
	EXPECT_FALSE(pl_walk_has_flag(pl_walk_leaf_entry(&w)->flags, "U"))
		TH_LOG("kernel leaf with U: %s", pl_walk_leaf_entry(&w)->flags);
	EXPECT_FALSE(w.has_pgd_user);
	TH_LOG("direct map 0x%" PRIx64 ": %s leaf, flags %s", base + phys, w.leaf_level,
	       pl_walk_leaf_entry(&w)->flags);

	/* The first page of the direct map is physical address 0. */
	walk1(_metadata, &w, NULL, "kernel 0x%" PRIx64, base + 0x10);
	if (w.has_leaf) {
		EXPECT_EQ(0x10ULL, w.phys);
	}
}

/* The address of @sym in /proc/kallsyms, or 0. */
static uint64_t kallsyms(const char *sym)
{
	char line[512], name[256], type;
	unsigned long long a;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && !strcmp(name, sym))
			found = a;
	fclose(f);
	return found;
}

TEST_F(walk, kernel_text_is_read_only_executable)
{
	struct pl_walk_result w;
	const struct pl_walk_level *leaf;
	uint64_t stext = kallsyms("_stext");

	if (!stext)
		SKIP(return, "no _stext in /proc/kallsyms (or it reads 0: not root?)");
	walk1(_metadata, &w, NULL, "kernel 0x%" PRIx64, stext);
	EXPECT_TRUE(w.kernel);
	ASSERT_TRUE(w.has_leaf) TH_LOG("kernel text at 0x%" PRIx64 " is not mapped?", stext);
	leaf = pl_walk_leaf_entry(&w);
	EXPECT_FALSE(pl_walk_has_flag(leaf->flags, "U")) TH_LOG("%s", leaf->flags);
	EXPECT_FALSE(pl_walk_has_flag(leaf->flags, "NX")) TH_LOG("%s", leaf->flags);
	EXPECT_FALSE(pl_walk_has_flag(leaf->flags, "RW")) TH_LOG("%s", leaf->flags);
	TH_LOG("_stext 0x%" PRIx64 ": %s leaf (%" PRIu64 " bytes), flags %s", stext,
	       w.leaf_level, w.leaf_size, leaf->flags);

	/* A hole in the kernel half is an answer, not an error. */
	walk1(_metadata, &w, NULL, "kernel 0x%" PRIx64, self->levels == 5 ?
	      UINT64_C(0xff00000000000000) : UINT64_C(0xffff800000000000));
	EXPECT_TRUE(w.has_leaf || w.has_absent);
}

/* ---- paging depth --------------------------------------------------------- */

TEST_F(walk, levels_is_5_iff_la57)
{
	struct pl_walk_range r;
	struct pl_walk_result w;
	const struct pl_walk_level *p4d;
	unsigned int want = cpu_levels();
	volatile int local = 1;
	char *answer;
	uint64_t base;

	ASSERT_NE(0U, want) TH_LOG("cannot read /proc/cpuinfo");
	EXPECT_EQ(want, self->levels) TH_LOG("PAGELAB_IOC_INFO pgtable_levels");
	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)&local);
	EXPECT_EQ(want, w.levels);
	p4d = pl_walk_find_level(&w, "P4D");
	ASSERT_NE(NULL, p4d);
	EXPECT_EQ(want == 4, p4d->folded);
	answer = walk_range(_metadata, getpid(), (uintptr_t)&local & ~(PG - 1),
			    ((uintptr_t)&local & ~(PG - 1)) + PG);
	range_runs(_metadata, answer, NULL, 0, &r);
	EXPECT_EQ(want, r.levels);
	free(answer);
	if (!pl_direct_map_base(&base)) {
		walk1(_metadata, &w, NULL, "kernel 0x%" PRIx64, base);
		EXPECT_EQ(want, w.levels);
	}
}

TEST_F(walk, mapping_above_2_to_the_47_uses_a_real_p4d)
{
	struct pl_walk_result w;
	const struct pl_walk_level *p4d;
	char *p;

	if (self->levels != 5)
		SKIP(return, "4-level paging: no user addresses above 2^47");
	p = mmap((void *)(1UL << 48), PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	track_map(self, p, PG);
	ASSERT_GE((uintptr_t)p, 1UL << 47) TH_LOG("hint above 2^47 gave %p", p);
	wr(p, 9);
	walk1(_metadata, &w, NULL, "%d %p", (int)getpid(), (void *)p);
	EXPECT_EQ(5U, w.levels);
	p4d = pl_walk_find_level(&w, "P4D");
	ASSERT_NE(NULL, p4d);
	EXPECT_FALSE(p4d->folded);
	EXPECT_TRUE(pl_walk_has_flag(p4d->flags, "P"));
	EXPECT_TRUE(p4d->has_next);
	ASSERT_TRUE(w.has_leaf);
	EXPECT_EQ(pl_pm_pfn(pm1(0, (uintptr_t)p)), w.pfn);
	EXPECT_EQ(5, w.nlevels);
}

/* ---- bad requests ---------------------------------------------------------- */

TEST_F(walk, bad_requests_fail_with_an_error_line_never_a_stale_answer)
{
	char good[64], answer[4096], reqs[32][128];
	int errs[32], n = 0, fd, ret;
	volatile int local = 1;
	pid_t gone;

	gone = fork_child(self);
	ASSERT_GE(gone, 0);
	if (!gone)
		_exit(0);
	ASSERT_EQ(0, reap(self, gone));

#define BAD(err, ...) do { snprintf(reqs[n], sizeof(reqs[n]), __VA_ARGS__); errs[n++] = (err); } while (0)
	BAD(EINVAL, "garbage");
	BAD(EINVAL, "%s", "");
	BAD(EINVAL, "\n");
	BAD(EINVAL, "   ");
	BAD(EINVAL, "json");
	BAD(EINVAL, "%d", (int)getpid());
	BAD(EINVAL, "kernel");
	BAD(EINVAL, "kernel json");
	BAD(EINVAL, "%d zzz", (int)getpid());
	BAD(EINVAL, "%d 0x1000zz", (int)getpid());
	BAD(EINVAL, "%dx 0x1000", (int)getpid());
	BAD(EINVAL, "%d 0x1000 0x2000 0x3000", (int)getpid());
	BAD(EINVAL, "%d 0x1000 json json", (int)getpid());
	BAD(EINVAL, "%d 0x1000 0x2000 json extra", (int)getpid());
	/* JSON is made in user space (pagelab walk --json), not asked of the kernel. */
	BAD(EINVAL, "%d 0x1000 json", (int)getpid());
	BAD(EINVAL, "%d 0x1000 0x2000 json", (int)getpid());
	BAD(EINVAL, "kernel 0xffff888000000000 json");
	BAD(EINVAL, "-1 0x1000");
	BAD(EINVAL, "%d 0x10000000000000000", (int)getpid());
	BAD(EINVAL, "%d 0x8000000000000000", (int)getpid());
	BAD(EINVAL, "kernel 0x8000000000000000");
	if (self->levels == 4)
		BAD(EINVAL, "%d 0x0000800000000000", (int)getpid());
	BAD(EINVAL, "%d 0x2000 0x1000", (int)getpid());
	BAD(EINVAL, "%d 0x1000 0x1000", (int)getpid());
	BAD(E2BIG, "%d 0x10000000 0x%lx", (int)getpid(), 0x10000000UL + ((1UL << 20) + 1) * PG);
	BAD(ESRCH, "%d 0x1000", (int)gone);
	BAD(ESRCH, "2 0x1000");
#undef BAD

	fd = track_fd(self, pl_walk_open());
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pl_walk_recv(fd, answer, sizeof(answer)));
	answer[strcspn(answer, "\n")] = '\0';
	EXPECT_STREQ("error: no request written", answer) TH_LOG("before any request");
	snprintf(good, sizeof(good), "%d %p", (int)getpid(), (void *)&local);
	for (int i = 0; i < n; i++) {
		const char *why;

		ASSERT_EQ(0, pl_walk_send(fd, good));
		ASSERT_EQ(0, pl_walk_recv(fd, answer, sizeof(answer)));
		ASSERT_EQ(0, strncmp(answer, "walk ", 5)) TH_LOG("%s", answer);
		ret = pl_walk_send(fd, reqs[i]);
		EXPECT_EQ(-errs[i], ret) TH_LOG("request '%s': %s, want %s", reqs[i],
						strerror(-ret), strerror(errs[i]));
		EXPECT_EQ(0, pl_walk_recv(fd, answer, sizeof(answer)));
		why = pl_walk_error(answer);
		EXPECT_NE(NULL, why) TH_LOG("after '%s' it reads:\n%s", reqs[i], answer);
		if (why) {
			EXPECT_TRUE(why[0] && why[0] != '\n') TH_LOG("an empty reason");
			EXPECT_TRUE(!strchr(answer, '\n') || !strchr(answer, '\n')[1])
				TH_LOG("more than one line:\n%s", answer);
		}
	}

	/* Exactly 1 << 20 pages is allowed. */
	snprintf(good, sizeof(good), "%d 0x10000000 0x%lx", (int)getpid(),
		 0x10000000UL + (1UL << 20) * PG);
	ret = pl_walk_send(fd, good);
	EXPECT_EQ(0, ret) TH_LOG("a range of exactly 1 << 20 pages: %s", strerror(-ret));
	if (!ret) {
		struct pl_walk_range r;
		char *big = NULL;
		size_t cap = 0;

		EXPECT_EQ(0, pl_walk_recv_alloc(fd, &big, &cap));
		range_runs(_metadata, big, NULL, 0, &r);
		EXPECT_EQ(1ULL << 20, (r.end - r.start) / PG);
		free(big);
	}
}

/* ---- permissions ------------------------------------------------------------ */

struct perm_report {
	int step;		/* the check that failed, 0 if none */
	int err;
	char msg[16384];
};

#define CHILD_FAIL(rep, s, e, ...) do {						\
	(rep)->step = (s);							\
	(rep)->err = (e);							\
	snprintf((rep)->msg, sizeof((rep)->msg), __VA_ARGS__);			\
	_exit(s);								\
} while (0)

/* Become uid/gid 65534; the uid change clears PR_SET_PDEATHSIG, so set it again. */
static bool drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534) || getuid() != 65534)
		return false;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return true;
}

TEST_F(walk, unprivileged_writer_cannot_walk_others_and_sees_no_pfns)
{
	struct perm_report *rep = shared_block(self, sizeof(*rep));
	pid_t pid;

	ASSERT_NE(MAP_FAILED, rep);
	pid = fork_child(self);
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct pl_walk_result w;
		volatile int local = 1;
		char req[64], answer[8192];
		int fd = pl_walk_open(), ret;

		if (fd < 0)
			CHILD_FAIL(rep, 1, -fd, "open as root");
		if (!drop_to_nobody())
			CHILD_FAIL(rep, 2, errno, "setuid 65534");
		ret = pl_walk_send(fd, "1 0x400000");
		pl_walk_recv(fd, answer, sizeof(answer));
		if (ret != -EPERM)
			CHILD_FAIL(rep, 3, -ret, "walk of pid 1 as 65534: %s, want EPERM; reads %s",
				   strerror(-ret), answer);
		if (!pl_walk_error(answer))
			CHILD_FAIL(rep, 4, 0, "after EPERM it reads: %s", answer);
		snprintf(req, sizeof(req), "%d %p", (int)getpid(), (void *)&local);
		ret = pl_walk_send(fd, req);
		pl_walk_recv(fd, answer, sizeof(answer));
		if (ret)
			CHILD_FAIL(rep, 5, -ret, "own walk as 65534: %s: %s", strerror(-ret), answer);
		if (pl_walk_parse(answer, &w) || !w.has_leaf)
			CHILD_FAIL(rep, 6, 0, "own walk: %s\n%s", w.err, answer);
		if (w.pfn || w.phys)
			CHILD_FAIL(rep, 7, 0, "pfn 0x%" PRIx64 " phys 0x%" PRIx64
				   " shown without CAP_SYS_ADMIN", w.pfn, w.phys);
		snprintf(rep->msg, sizeof(rep->msg), "own walk as 65534: entry 0x%016" PRIx64
			 " next 0x%" PRIx64, w.level[0].entry, w.level[0].next);
		_exit(0);
	}
	EXPECT_EQ(0, reap(self, pid)) TH_LOG("step %d (%s): %s", rep->step, strerror(rep->err),
					     rep->msg);
	if (!rep->step)
		TH_LOG("%s", rep->msg);
}

/*
 * A target that runs as 65534, dumpable, until told to go non-dumpable; a
 * walker that opened the file as root and runs as 65534 too.
 */
TEST_F(walk, same_uid_needs_a_dumpable_target)
{
	struct perm_report *rep = shared_block(self, sizeof(*rep));
	volatile uint64_t *addr = shared_block(self, PG);
	int to_t[2], from_t[2], to_w[2], from_w[2];
	pid_t target, walker;

	ASSERT_NE(MAP_FAILED, rep);
	ASSERT_NE(MAP_FAILED, (void *)addr);
	ASSERT_EQ(0, pipe(to_t));
	ASSERT_EQ(0, pipe(from_t));
	ASSERT_EQ(0, pipe(to_w));
	ASSERT_EQ(0, pipe(from_w));
	for (int i = 0; i < 2; i++) {
		track_fd(self, to_t[i]);
		track_fd(self, from_t[i]);
		track_fd(self, to_w[i]);
		track_fd(self, from_w[i]);
	}
	target = fork_child(self);
	ASSERT_GE(target, 0);
	if (!target) {
		char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || !drop_to_nobody())
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1);
		wr(p, 1);
		*addr = (uintptr_t)p;
		send_byte(from_t[1]);
		if (!wait_byte(to_t[0], 60000))
			_exit(2);
		prctl(PR_SET_DUMPABLE, 0);
		send_byte(from_t[1]);
		for (;;)
			pause();
	}
	ASSERT_TRUE(wait_byte(from_t[0], 30000));
	walker = fork_child(self);
	ASSERT_GE(walker, 0);
	if (!walker) {
		char req[64], answer[8192];
		struct pl_walk_result w;
		int fd = pl_walk_open(), ret;

		if (fd < 0)
			CHILD_FAIL(rep, 1, -fd, "open as root");
		if (!drop_to_nobody())
			CHILD_FAIL(rep, 2, errno, "setuid 65534");
		snprintf(req, sizeof(req), "%d 0x%" PRIx64, (int)target, (uint64_t)*addr);
		ret = pl_walk_send(fd, req);
		pl_walk_recv(fd, answer, sizeof(answer));
		if (ret)
			CHILD_FAIL(rep, 3, -ret, "walk of a dumpable same-uid target: %s: %s",
				   strerror(-ret), answer);
		if (pl_walk_parse(answer, &w) || !w.has_leaf || w.pfn)
			CHILD_FAIL(rep, 4, 0, "walk of a dumpable same-uid target: %s\n%s", w.err,
				   answer);
		send_byte(from_w[1]);
		if (!wait_byte(to_w[0], 60000))
			CHILD_FAIL(rep, 5, 0, "no go-ahead from the parent");
		ret = pl_walk_send(fd, req);
		pl_walk_recv(fd, answer, sizeof(answer));
		if (ret != -EPERM)
			CHILD_FAIL(rep, 6, -ret, "walk of a non-dumpable same-uid target: %s, want "
				   "EPERM: %s", strerror(-ret), answer);
		_exit(0);
	}
	if (wait_byte(from_w[0], 30000)) {
		send_byte(to_t[1]);
		ASSERT_TRUE(wait_byte(from_t[0], 30000));
		send_byte(to_w[1]);
	}
	EXPECT_EQ(0, reap(self, walker)) TH_LOG("step %d (%s): %s", rep->step,
						strerror(rep->err), rep->msg);
	kill_reap(self, target);
}

/* Send @fd over the unix socket @s. */
static int send_fd(int s, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(s, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int s)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(s, &m, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Drop CAP_SYS_PTRACE from this process (uid stays 0). */
static bool drop_cap_sys_ptrace(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	d[CAP_SYS_PTRACE / 32].effective &= ~(1U << (CAP_SYS_PTRACE % 32));
	d[CAP_SYS_PTRACE / 32].permitted &= ~(1U << (CAP_SYS_PTRACE % 32));
	d[CAP_SYS_PTRACE / 32].inheritable &= ~(1U << (CAP_SYS_PTRACE % 32));
	return !syscall(SYS_capset, &h, d);
}

TEST_F(walk, opener_without_ptrace_rights_is_refused_for_a_root_writer)
{
	int sv[2], rfd, ofd, ret, ready[2];
	volatile uint64_t *addr = shared_block(self, PG);
	char req[64], answer[8192];
	pid_t target, opener;

	ASSERT_NE(MAP_FAILED, (void *)addr);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	track_fd(self, sv[0]);
	track_fd(self, sv[1]);
	ASSERT_EQ(0, pipe(ready));
	track_fd(self, ready[0]);
	track_fd(self, ready[1]);
	/* A target of another uid: the opener (uid 0, no CAP_SYS_PTRACE) may not walk it. */
	target = fork_child(self);
	ASSERT_GE(target, 0);
	if (!target) {
		char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || !drop_to_nobody())
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1);
		wr(p, 1);
		*addr = (uintptr_t)p;
		send_byte(ready[1]);
		for (;;)
			pause();
	}
	ASSERT_TRUE(wait_byte(ready[0], 30000));
	opener = fork_child(self);
	ASSERT_GE(opener, 0);
	if (!opener) {
		int fd;

		if (!drop_cap_sys_ptrace())
			_exit(1);
		fd = pl_walk_open();
		if (fd < 0)
			_exit(2);
		_exit(send_fd(sv[1], fd) ? 3 : 0);
	}
	ofd = track_fd(self, recv_fd(sv[0]));
	ASSERT_EQ(0, reap(self, opener)) TH_LOG("the opener could not drop CAP_SYS_PTRACE, open "
						"the walk file or pass it");
	ASSERT_GE(ofd, 0);
	snprintf(req, sizeof(req), "%d 0x%" PRIx64, (int)target, (uint64_t)*addr);

	/* Control: root's own file may walk it. */
	rfd = track_fd(self, pl_walk_open());
	ASSERT_GE(rfd, 0);
	ret = pl_walk_send(rfd, req);
	EXPECT_EQ(0, ret) TH_LOG("root walking a uid-65534 process: %s", strerror(-ret));
	ret = pl_walk_send(ofd, req);
	EXPECT_EQ(-EPERM, ret) TH_LOG("opened without CAP_SYS_PTRACE, written by root: %s",
				      strerror(-ret));
	EXPECT_EQ(0, pl_walk_recv(ofd, answer, sizeof(answer)));
	EXPECT_NE(NULL, pl_walk_error(answer)) TH_LOG("%s", answer);
	kill_reap(self, target);
}

/* Add a failed check to a child's report: a run may find several. */
static void rep_add(struct perm_report *rep, int step, const char *fmt, ...)
{
	size_t n = strlen(rep->msg);
	va_list ap;

	if (!rep->step)
		rep->step = step;
	if (n + 2 >= sizeof(rep->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(rep->msg + n, sizeof(rep->msg) - n - 1, fmt, ap);
	va_end(ap);
	strcat(rep->msg, "\n");
}

/* Send @req on @fd and read the answer: the write's 0 or -errno. */
static int walk_on(int fd, const char *req, char *answer, size_t len)
{
	int ret = pl_walk_send(fd, req);

	answer[0] = '\0';
	pl_walk_recv(fd, answer, len);
	return ret;
}

/*
 * A root-opened file written by uid 65534: no kernel walk (every entry of
 * the kernel's tables would be a KASLR and layout oracle), no refcount or
 * mapcount (the /proc/kpagecount data), and runs that do not break where
 * the frames stop being contiguous.
 */
TEST_F(walk, unprivileged_writer_gets_no_kernel_walk_page_counts_or_contiguity)
{
	struct perm_report *rep = shared_block(self, sizeof(*rep));
	uint64_t base = 0;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, rep);
	if (pl_direct_map_base(&base))
		base = 0;
	pid = fork_child(self);
	ASSERT_GE(pid, 0);
	if (!pid) {
		const size_t n = 16;
		static char answer[1 << 16];
		struct pl_walk_result w;
		struct pl_walk_range r;
		struct pl_walk_run run;
		int fd, ret, breaks = 0, runs = 0;
		char req[128], *p, *json;
		uint64_t pm[16];

		p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			CHILD_FAIL(rep, 1, errno, "mmap");
		madvise(p, n * PG, MADV_NOHUGEPAGE);
		/* Backwards: neighbouring pages then seldom get ascending frames. */
		for (size_t i = n; i-- > 0;)
			wr(p + i * PG, (unsigned char)(i + 1));
		if (pl_pagemap_range(0, (uintptr_t)p, n, pm))
			CHILD_FAIL(rep, 2, errno, "pagemap as root");
		for (size_t i = 1; i < n; i++)
			breaks += pl_pm_pfn(pm[i]) != pl_pm_pfn(pm[i - 1]) + 1;
		fd = pl_walk_open();
		if (fd < 0)
			CHILD_FAIL(rep, 3, -fd, "open as root");
		if (!drop_to_nobody())
			CHILD_FAIL(rep, 4, errno, "setuid 65534");

		ret = walk_on(fd, "kernel 0xffffffff81000000", answer, sizeof(answer));
		if (ret != -EPERM || !pl_walk_error(answer))
			rep_add(rep, 5, "'kernel 0xffffffff81000000' as 65534: %s, want EPERM; it reads:\n%.800s",
				ret ? strerror(-ret) : "success", answer);
		if (base) {
			snprintf(req, sizeof(req), "kernel 0x%" PRIx64, base);
			ret = walk_on(fd, req, answer, sizeof(answer));
			if (ret != -EPERM || !pl_walk_error(answer))
				rep_add(rep, 6, "'%s' as 65534: %s, want EPERM; it reads:\n%.800s", req,
					ret ? strerror(-ret) : "success", answer);
		}

		snprintf(req, sizeof(req), "%d %p", (int)getpid(), (void *)p);
		ret = walk_on(fd, req, answer, sizeof(answer));
		if (ret || pl_walk_parse(answer, &w) || !w.has_page)
			rep_add(rep, 7, "own walk as 65534: %s %s\n%.1500s",
				ret ? strerror(-ret) : "", w.err, answer);
		else if (strstr(answer, "refcount") || strstr(answer, "mapcount"))
			rep_add(rep, 8, "refcount or mapcount without CAP_SYS_ADMIN:\n%.1500s", answer);
		json = ret ? NULL : json_of(answer);
		if (!pl_json_valid(json))
			rep_add(rep, 9, "own JSON walk as 65534: not JSON\n%.1500s", answer);
		else if (strstr(json, "refcount") || strstr(json, "mapcount"))
			rep_add(rep, 10, "refcount or mapcount in JSON without CAP_SYS_ADMIN:\n%.1500s",
				json);
		free(json);

		snprintf(req, sizeof(req), "%d %p %p", (int)getpid(), (void *)p, (void *)(p + n * PG));
		ret = walk_on(fd, req, answer, sizeof(answer));
		if (!ret)
			ret = pl_walk_range_begin(&r, answer);
		while (!ret && (ret = pl_walk_range_next(&r, &run)) == 1) {
			ret = 0;
			runs++;
		}
		if (ret)
			rep_add(rep, 11, "range walk as 65534: %s\n%.1500s", strerror(-ret), answer);
		else if (runs != 1)
			rep_add(rep, 12, "%d runs for %zu pages alike but for their frames (%d breaks "
				"in frame order): the run boundaries show physical contiguity:\n%.1500s",
				runs, n, breaks, answer);
		if (!breaks)
			rep_add(rep, 0, "note: the %zu frames happened to be contiguous", n);
		_exit(rep->step);
	}
	EXPECT_EQ(0, reap(self, pid)) TH_LOG("first failed check %d:\n%s", rep->step, rep->msg);
	if (!rep->step && rep->msg[0])
		TH_LOG("%s", rep->msg);
}

/* As above for swap entries: pagemap shows their type and offset only to CAP_SYS_ADMIN. */
TEST_F_TIMEOUT(walk, unprivileged_walk_hides_swap_type_and_offset, 120)
{
	struct perm_report *rep = shared_block(self, sizeof(*rep));
	const char *why;
	bool ours;
	pid_t pid;
	int st;

	ASSERT_NE(MAP_FAILED, rep);
	why = pl_zram_swap_on(&ours);
	self->swapoff_zram = ours;
	if (why)
		SKIP(return, "%s", why);
	pid = fork_child(self);
	ASSERT_GE(pid, 0);
	if (!pid) {
		const size_t n = 16;
		static char answer[1 << 16];
		const struct pl_walk_level *pte;
		struct pl_walk_result w;
		struct pl_walk_range r;
		struct pl_walk_run run;
		size_t i, swapped = n;
		char req[128], *p, *json;
		uint64_t pm[16];
		int fd, ret;

		p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			CHILD_FAIL(rep, 1, errno, "mmap");
		madvise(p, n * PG, MADV_NOHUGEPAGE);
		for (i = 0; i < n; i++)
			memset(p + i * PG, (int)(0x40 + i), PG);
		for (int tries = 0; tries < 5 && swapped == n; tries++) {
			if (madvise(p, n * PG, MADV_PAGEOUT))
				_exit(77);
			if (pl_pagemap_range(0, (uintptr_t)p, n, pm))
				CHILD_FAIL(rep, 2, errno, "pagemap");
			for (swapped = 0; swapped < n && !pl_pm_swapped(pm[swapped]); swapped++)
				;
		}
		if (swapped == n)
			_exit(77);
		fd = pl_walk_open();
		if (fd < 0)
			CHILD_FAIL(rep, 3, -fd, "open as root");
		if (!drop_to_nobody())
			CHILD_FAIL(rep, 4, errno, "setuid 65534");

		snprintf(req, sizeof(req), "%d %p", (int)getpid(), (void *)(p + swapped * PG));
		ret = walk_on(fd, req, answer, sizeof(answer));
		if (ret || pl_walk_parse(answer, &w) || !w.has_absent ||
		    strcmp(w.absent_reason, "swap")) {
			rep_add(rep, 5, "walk of a swapped-out page as 65534: %s %s\n%.1500s",
				ret ? strerror(-ret) : "", w.err, answer);
		} else {
			if (strstr(answer, "offset=") || strstr(answer, "type="))
				rep_add(rep, 6, "swap type or offset without CAP_SYS_ADMIN:\n%.1500s",
					answer);
			pte = pl_walk_find_level(&w, "PTE");
			/* Bits 9 and up of a swap PTE are its offset and type. */
			if (!pte || pte->entry >> 9)
				rep_add(rep, 7, "the PTE entry 0x%016" PRIx64 " shows the swap "
					"offset bits:\n%.1500s", pte ? pte->entry : 0, answer);
		}
		snprintf(req, sizeof(req), "%d %p", (int)getpid(), (void *)(p + swapped * PG));
		ret = walk_on(fd, req, answer, sizeof(answer));
		json = ret ? NULL : json_of(answer);
		if (!pl_json_valid(json))
			rep_add(rep, 8, "JSON walk as 65534: %s\n%.1500s",
				ret ? strerror(-ret) : "not JSON", answer);
		else if (strstr(json, "\"offset\"") || strstr(json, "\"type\""))
			rep_add(rep, 9, "swap type or offset in JSON without CAP_SYS_ADMIN:\n%.1500s",
				json);
		free(json);
		snprintf(req, sizeof(req), "%d %p %p", (int)getpid(), (void *)p, (void *)(p + n * PG));
		ret = walk_on(fd, req, answer, sizeof(answer));
		if (!ret)
			ret = pl_walk_range_begin(&r, answer);
		while (!ret && (ret = pl_walk_range_next(&r, &run)) == 1)
			ret = 0;
		if (ret)
			rep_add(rep, 10, "range walk as 65534: %s\n%.1500s", strerror(-ret), answer);
		_exit(rep->step);
	}
	st = reap(self, pid);
	if (st == 77)
		SKIP(return, "MADV_PAGEOUT swapped none of the child's pages out to zram");
	EXPECT_EQ(0, st) TH_LOG("first failed check %d:\n%s", rep->step, rep->msg);
}

/*
 * A uid-65534 process that maps and writes a page, goes dumpable and
 * waits: *@addr gets the page's address.  With @keep_caps it keeps the
 * capabilities root had in its permitted set (PR_SET_KEEPCAPS).
 */
static pid_t nobody_target(FIXTURE_DATA(walk) *self, volatile uint64_t *addr, bool keep_caps)
{
	int ready[2];
	pid_t pid;

	if (pipe(ready))
		return -1;
	track_fd(self, ready[0]);
	track_fd(self, ready[1]);
	pid = fork_child(self);
	if (!pid) {
		char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (keep_caps && prctl(PR_SET_KEEPCAPS, 1))
			_exit(1);
		if (p == MAP_FAILED || !drop_to_nobody())
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1);
		wr(p, 1);
		*addr = (uintptr_t)p;
		send_byte(ready[1]);
		for (;;)
			pause();
	}
	if (pid > 0 && !wait_byte(ready[0], 30000))
		return -1;
	return pid;
}

/* The permitted capabilities of @pid ("CapPrm:" in its status), or 0. */
static uint64_t cap_prm(pid_t pid)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapPrm: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * ptrace's rule for a caller in a user namespace of its own: the same kuid
 * is not enough, it needs CAP_SYS_PTRACE in the target's namespace.
 */
TEST_F(walk, user_namespace_caller_is_refused_like_ptrace)
{
	struct perm_report *rep = shared_block(self, sizeof(*rep));
	volatile uint64_t *addr = shared_block(self, PG);
	pid_t target, walker;
	int st;

	ASSERT_NE(MAP_FAILED, rep);
	ASSERT_NE(MAP_FAILED, (void *)addr);
	target = nobody_target(self, addr, false);
	ASSERT_GT(target, 0);
	walker = fork_child(self);
	ASSERT_GE(walker, 0);
	if (!walker) {
		char req[64], answer[8192];
		int fd = pl_walk_open(), ret;

		if (fd < 0)
			CHILD_FAIL(rep, 1, -fd, "open as root");
		if (!drop_to_nobody())
			CHILD_FAIL(rep, 2, errno, "setuid 65534");
		snprintf(req, sizeof(req), "%d 0x%" PRIx64, (int)target, (uint64_t)*addr);
		ret = walk_on(fd, req, answer, sizeof(answer));
		if (ret)
			CHILD_FAIL(rep, 3, -ret, "control: a same-uid dumpable target from the "
				   "initial namespace: %s: %s", strerror(-ret), answer);
		if (unshare(CLONE_NEWUSER))
			_exit(77);
		ret = walk_on(fd, req, answer, sizeof(answer));
		if (ret != -EPERM)
			CHILD_FAIL(rep, 4, -ret, "from a new user namespace (same kuid 65534): %s, "
				   "want EPERM; it reads:\n%.1500s", ret ? strerror(-ret) : "success",
				   answer);
		if (!pl_walk_error(answer))
			CHILD_FAIL(rep, 5, 0, "after EPERM it reads: %.200s", answer);
		_exit(0);
	}
	st = reap(self, walker);
	kill_reap(self, target);
	if (st == 77)
		SKIP(return, "unshare(CLONE_NEWUSER) as uid 65534 failed: no unprivileged user "
		     "namespaces here");
	EXPECT_EQ(0, st) TH_LOG("step %d (%s): %s", rep->step, strerror(rep->err), rep->msg);
}

/*
 * The rest of ptrace's read rule (PTRACE_MODE_READ_FSCREDS and commoncap):
 * the caller's fsuid is what must match, not its real uid, and a target
 * whose permitted capabilities the caller does not have is refused.
 */
TEST_F(walk, ptrace_rule_uses_fsuid_and_the_capability_subset)
{
	struct walker_case {
		const char *what;
		uid_t ruid, euid;
		int which;		/* 0: the plain target, 1: the one with capabilities */
		int want;		/* 0 or -EPERM */
	} cases[] = {
		{ "real uid 65534, fsuid 1000", 65534, 1000, 0, -EPERM },
		{ "real uid 1000, fsuid 65534", 1000, 65534, 0, 0 },
		{ "no capabilities, the target has them permitted", 65534, 65534, 1, -EPERM },
	};
	struct res {
		int ret;
		char answer[2048];
	} *res = shared_block(self, sizeof(*res) * ARRAY_SIZE(cases));
	volatile uint64_t *addr = shared_block(self, PG);
	pid_t target[2];
	int bad = 0;

	ASSERT_NE(MAP_FAILED, res);
	ASSERT_NE(MAP_FAILED, (void *)addr);
	target[0] = nobody_target(self, &addr[0], false);
	ASSERT_GT(target[0], 0);
	target[1] = nobody_target(self, &addr[1], true);
	ASSERT_GT(target[1], 0);
	ASSERT_NE(0ULL, (unsigned long long)cap_prm(target[1]))
		TH_LOG("PR_SET_KEEPCAPS kept no permitted capabilities");
	ASSERT_EQ(0ULL, (unsigned long long)cap_prm(target[0]));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct walker_case *c = &cases[i];
		pid_t walker = fork_child(self);
		int st;

		ASSERT_GE(walker, 0);
		if (!walker) {
			char req[64];
			int fd = pl_walk_open();

			if (fd < 0 || setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			    setresuid(c->ruid, c->euid, c->euid))
				_exit(1);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			snprintf(req, sizeof(req), "%d 0x%" PRIx64, (int)target[c->which],
				 (uint64_t)addr[c->which]);
			res[i].ret = walk_on(fd, req, res[i].answer, sizeof(res[i].answer));
			_exit(0);
		}
		st = reap(self, walker);
		ASSERT_EQ(0, st) TH_LOG("%s: the walker could not set its ids", c->what);
		if (res[i].ret != c->want) {
			bad++;
			TH_LOG("%s: %s, want %s; it reads:\n%.600s", c->what,
			       res[i].ret ? strerror(-res[i].ret) : "success",
			       c->want ? strerror(-c->want) : "success", res[i].answer);
		}
	}
	EXPECT_EQ(0, bad);
	kill_reap(self, target[0]);
	kill_reap(self, target[1]);
}

/* ---- files, JSON ----------------------------------------------------------- */

TEST_F(walk, each_open_file_has_its_own_request)
{
	struct pl_walk_result w1, w2;
	char a1[8192], a2[8192], a3[256], r1[64], r2[64];
	volatile int local = 1;
	int fd1, fd2, fd3;
	char *p;

	p = anon_map(self, PG, true);
	ASSERT_NE(MAP_FAILED, p);
	wr(p, 1);
	fd1 = track_fd(self, pl_walk_open());
	fd2 = track_fd(self, pl_walk_open());
	fd3 = track_fd(self, pl_walk_open());
	ASSERT_GE(fd1, 0);
	ASSERT_GE(fd2, 0);
	ASSERT_GE(fd3, 0);
	snprintf(r1, sizeof(r1), "%d %p", (int)getpid(), (void *)&local);
	snprintf(r2, sizeof(r2), "%d %p", (int)getpid(), (void *)p);
	ASSERT_EQ(0, pl_walk_send(fd1, r1));
	ASSERT_EQ(0, pl_walk_send(fd2, r2));
	ASSERT_EQ(0, pl_walk_recv(fd1, a1, sizeof(a1)));
	ASSERT_EQ(0, pl_walk_recv(fd2, a2, sizeof(a2)));
	ASSERT_EQ(0, pl_walk_parse(a1, &w1)) TH_LOG("%s\n%s", w1.err, a1);
	ASSERT_EQ(0, pl_walk_parse(a2, &w2)) TH_LOG("%s\n%s", w2.err, a2);
	EXPECT_EQ((uintptr_t)&local, w1.addr);
	EXPECT_STREQ("stack", w1.vma_backing);
	EXPECT_EQ((uintptr_t)p, w2.addr);
	EXPECT_STREQ("anon", w2.vma_backing);
	EXPECT_EQ(0, pl_walk_recv(fd3, a3, sizeof(a3)));
	EXPECT_NE(NULL, pl_walk_error(a3)) TH_LOG("%s", a3);

	/* A failed request on fd2 leaves fd1's answer alone, and it reads again. */
	EXPECT_EQ(-EINVAL, pl_walk_send(fd2, "garbage"));
	ASSERT_EQ(0, pl_walk_recv(fd1, a2, sizeof(a2)));
	EXPECT_STREQ(a1, a2);
	ASSERT_EQ(0, pl_walk_recv(fd1, a2, sizeof(a2)));
	EXPECT_STREQ(a1, a2);
}

/*
 * PAGELAB_IOC_WALK answers with a structure what the debugfs walk answers
 * in text, from the same walk: for an anonymous page, a zero-page read, a
 * pagelab object's page, this program's own text (a file), a hole and,
 * as root, a kernel address, the structure read back must equal the
 * text's parse field by field, and the JSON the tools render from it must
 * be the kernel's JSON byte for byte.  (Page flags such as "lru" change
 * when per-CPU batches drain between two walks: a differing pair is taken
 * again, a few times.)
 */
static bool walk_results_same(const struct pl_walk_result *a, const struct pl_walk_result *b)
{
	if (a->kernel != b->kernel || a->pid != b->pid || a->addr != b->addr ||
	    a->levels != b->levels || a->has_vma != b->has_vma || a->vma_start != b->vma_start ||
	    a->vma_end != b->vma_end || strcmp(a->vma_prot, b->vma_prot) ||
	    strcmp(a->vma_backing, b->vma_backing) || a->nlevels != b->nlevels ||
	    a->has_pgd_user != b->has_pgd_user || a->has_leaf != b->has_leaf ||
	    strcmp(a->leaf_level, b->leaf_level) || a->leaf_size != b->leaf_size ||
	    a->pfn != b->pfn || a->phys != b->phys || a->has_page != b->has_page ||
	    a->has_counts != b->has_counts || a->refcount != b->refcount ||
	    a->mapcount != b->mapcount || strcmp(a->page_kind, b->page_kind) ||
	    strcmp(a->page_flags, b->page_flags) || a->has_absent != b->has_absent ||
	    strcmp(a->absent_level, b->absent_level) ||
	    strcmp(a->absent_reason, b->absent_reason) || a->has_swap != b->has_swap ||
	    a->swap_type != b->swap_type || a->swap_offset != b->swap_offset)
		return false;
	for (int i = 0; i <= a->nlevels; i++) {
		const struct pl_walk_level *x = i < a->nlevels ? &a->level[i] : &a->pgd_user;
		const struct pl_walk_level *y = i < a->nlevels ? &b->level[i] : &b->pgd_user;

		if (i == a->nlevels && !a->has_pgd_user)
			break;
		if (strcmp(x->name, y->name) || x->folded != y->folded || x->index != y->index ||
		    x->entry != y->entry || strcmp(x->flags, y->flags) ||
		    x->has_next != y->has_next || x->next != y->next)
			return false;
	}
	return true;
}

/*
 * Walk @addr both ways (@pid, or the kernel's with @kernel): 1 when the
 * two agree, 0 when not (the two answers in @why), -1 when a walk failed.
 */
static int walk_both_ways(int dev, bool kernel, pid_t pid, uint64_t addr, char *why,
			  size_t len)
{
	struct pl_walk_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char req[96], *text = NULL, *tjson = NULL, *ujson = NULL;
	struct pagelab_walk k;
	size_t ulen = 0;
	int ret = -1;
	FILE *f;

	if (!a || !b)
		goto out;
	if (kernel)
		snprintf(req, sizeof(req), "kernel 0x%" PRIx64, addr);
	else
		snprintf(req, sizeof(req), "%d 0x%" PRIx64, (int)pid, addr);
	if (pl_walk_ioctl(dev, kernel ? 0 : pid, kernel, addr, &k) ||
	    pl_walk_from_struct(&k, kernel, pid, a) || pl_walk_alloc(req, &text) ||
	    pl_walk_parse(text, b)) {
		snprintf(why, len, "a walk failed: %s / %s", a->err, text ? text : "(none)");
		goto out;
	}
	/* And the JSON pagelab walk --json makes: the same from either answer. */
	tjson = json_of(text);
	f = open_memstream(&ujson, &ulen);
	if (!f || !tjson)
		goto out;
	pl_walk_print_json(f, a);
	fclose(f);
	ret = walk_results_same(a, b) && !strcmp(ujson, tjson);
	if (!ret)
		snprintf(why, len, "debugfs:\n%s\nits JSON:\n%sfrom the structure:\n%s", text,
			 tjson, ujson);
out:
	free(a);
	free(b);
	free(text);
	free(tjson);
	free(ujson);
	return ret;
}

TEST_F(walk, ioctl_agrees_with_debugfs)
{
	uint64_t base, addrs[6];
	bool kernel[6] = {};
	char why[8192];
	int n = 0, ofd, r;
	char *p, *o;

	p = anon_map(self, 4 * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	wr(p, 1);				/* an anonymous frame */
	ASSERT_EQ(0, rd(p + PG));		/* the zero page */
	ASSERT_EQ(0, pl_create(self->dev, 2 * PG, 0, 0, "walk-ioctl", &ofd, NULL));
	o = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	ASSERT_NE(MAP_FAILED, o);
	wr(o, 2);				/* a pagelab object's page */
	addrs[n++] = (uintptr_t)p + 0x10;
	addrs[n++] = (uintptr_t)p + PG;
	addrs[n++] = (uintptr_t)o;
	addrs[n++] = (uintptr_t)&walk_both_ways;	/* this program's text: a file */
	ASSERT_EQ(0, munmap(p + 3 * PG, PG));
	addrs[n++] = (uintptr_t)p + 3 * PG;	/* a hole: no VMA */
	if (!pl_direct_map_base(&base)) {
		kernel[n] = true;
		addrs[n++] = base + 0x100000;
	}
	for (int i = 0; i < n; i++) {
		for (int t = 0; t < 5; t++) {
			r = walk_both_ways(self->dev, kernel[i], getpid(), addrs[i], why, sizeof(why));
			if (r)
				break;
		}
		EXPECT_EQ(1, r) TH_LOG("address %d (0x%" PRIx64 "):\n%s", i, addrs[i], why);
	}
	munmap(o, 2 * PG);
	close(ofd);
}

/* PAGELAB_IOC_WALK's bad input: each gets its errno, and nothing is answered. */
TEST_F(walk, ioctl_bad_input)
{
	struct pagelab_walk k = { .flags = 1ULL << 31, .addr = 0x1000 };
	int local = 0, status;
	pid_t pid, gone;

	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_WALK, &k));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown flags");
	EXPECT_EQ(-EINVAL, pl_walk_ioctl(self->dev, 0, false, 0x8000000000000000ULL, &k))
		TH_LOG("a kernel address without PAGELAB_WALK_KERNEL");
	EXPECT_EQ(-EINVAL, pl_walk_ioctl(self->dev, 0, true, (uintptr_t)&local, &k))
		TH_LOG("a user address with PAGELAB_WALK_KERNEL");
	EXPECT_EQ(-EINVAL, pl_walk_ioctl(self->dev, 0, true, 0x8000000000000000ULL, &k))
		TH_LOG("a non-canonical kernel address");
	EXPECT_EQ(-EINVAL, pl_walk_ioctl(self->dev, -5, false, 0x1000, &k)) TH_LOG("pid -5");
	k = (struct pagelab_walk){ .pid = 1, .flags = PAGELAB_WALK_KERNEL, .addr = ~0ULL << 47 };
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_WALK, &k));
	EXPECT_EQ(EINVAL, errno) TH_LOG("a kernel walk naming a pid");
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_WALK, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	/* A process that is gone. */
	gone = fork();
	ASSERT_GE(gone, 0);
	if (!gone)
		_exit(0);
	ASSERT_EQ(gone, waitpid(gone, &status, 0));
	EXPECT_EQ(-ESRCH, pl_walk_ioctl(self->dev, gone, false, 0x1000, &k));
	/* The caller's rights count: /dev/pagelab opened by root, asked by nobody. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int ret;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		ret = pl_walk_ioctl(self->dev, 1, false, 0x1000, &k);
		if (ret != -EPERM && ret != -EACCES)
			_exit(3);
		ret = pl_walk_ioctl(self->dev, 0, true, 0xffff888000100000ULL, &k);
		_exit(ret == -EPERM ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("nobody walking pid 1 / the kernel through root's fd: step %d",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* What "pagelab @args..." printed (malloc'd), or NULL when it did not exit 0. */
static char *cli_output(const char *fmt, ...)
{
	char args[256], *out = malloc(1 << 16);
	va_list ap;

	if (!out)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (pl_run_cli(args, out, 1 << 16)) {
		fprintf(stderr, "# pagelab %s:\n%s", args, out);
		free(out);
		return NULL;
	}
	return out;
}

/* The entries of pagelab walk --json's answer @json against the levels of the text's @w. */
static void json_entries_agree(struct __test_metadata *_metadata,
			       const struct pl_walk_result *w, const char *json)
{
	char flags[PL_WALK_FLAGS_LEN], s[64];
	const char *ents, *el;
	long long num;
	uint64_t x;
	int nj;

	ents = json_get(json, "entries");
	ASSERT_NE(NULL, ents);
	nj = 0;
	for (int i = 0; (el = json_elem(ents, i)); i++) {
		const struct pl_walk_level *l;

		if (!json_str(json_get(el, "level"), s, sizeof(s)) || !strcmp(s, "PGD-user"))
			continue;
		nj++;
		l = pl_walk_find_level(w, s);
		ASSERT_NE(NULL, l) TH_LOG("JSON level %s not in the text", s);
		if (l->folded) {
			EXPECT_TRUE(json_get(el, "folded") &&
				    !strncmp(json_get(el, "folded"), "true", 4));
			continue;
		}
		EXPECT_TRUE(json_num(json_get(el, "index"), &num) && num == l->index)
			TH_LOG("%s", s);
		EXPECT_TRUE(json_hex(json_get(el, "entry"), &x) && x == l->entry) TH_LOG("%s", s);
		EXPECT_TRUE(json_flags(json_get(el, "flags"), flags, sizeof(flags)) &&
			    same_flags(flags, l->flags)) TH_LOG("%s: %s vs %s", s, flags, l->flags);
	}
	EXPECT_EQ(w->nlevels, nj);
}

/* pagelab walk --json's answer @json for one address against the text's @w. */
static void json_walk_agrees(struct __test_metadata *_metadata, const struct pl_walk_result *w,
			     const char *json)
{
	char flags[PL_WALK_FLAGS_LEN], s[64];
	const char *leaf, *page;
	long long num;
	uint64_t x;

	EXPECT_TRUE(json_num(json_get(json, "pid"), &num) && num == getpid()) TH_LOG("%s", json);
	EXPECT_TRUE(json_num(json_get(json, "levels"), &num) && num == w->levels);
	EXPECT_TRUE(json_hex(json_get(json, "addr"), &x) && x == w->addr);
	EXPECT_TRUE(json_str(json_get(json_get(json, "vma"), "backing"), s, sizeof(s)) &&
		    !strcmp(s, "anon")) TH_LOG("%s", json);
	leaf = json_get(json, "leaf");
	ASSERT_NE(NULL, leaf) TH_LOG("%s", json);
	EXPECT_TRUE(json_hex(json_get(leaf, "pfn"), &x) && x == w->pfn) TH_LOG("%s", json);
	EXPECT_TRUE(json_hex(json_get(leaf, "phys"), &x) && x == w->phys);
	EXPECT_TRUE(json_num(json_get(leaf, "size"), &num) && num == (long long)w->leaf_size);
	EXPECT_TRUE(json_str(json_get(leaf, "level"), s, sizeof(s)) && !strcmp(s, w->leaf_level));
	page = json_get(json, "page");
	EXPECT_TRUE(json_str(json_get(page, "kind"), s, sizeof(s)) && !strcmp(s, w->page_kind));
	/* "lru" comes and goes as per-CPU LRU batches drain between the walks. */
	EXPECT_TRUE(json_flags(json_get(page, "flags"), flags, sizeof(flags)) &&
		    same_flags(without_lru(flags), without_lru(w->page_flags)))
		TH_LOG("%s vs %s", flags, w->page_flags);
	EXPECT_TRUE(json_get(json, "absent") && !strncmp(json_get(json, "absent"), "null", 4));
	json_entries_agree(_metadata, w, json);
}

/*
 * pagelab walk --json's answer @json for a range against the text's @r and
 * its @n runs at @runs, page by page.
 */
static void json_range_agrees(struct __test_metadata *_metadata, const char *json,
			      const struct pl_walk_run *runs, int n,
			      const struct pl_walk_range *r)
{
	char flags[PL_WALK_FLAGS_LEN];
	const char *el, *rs;
	long long num;
	uint64_t x;
	int nj;

	EXPECT_TRUE(json_num(json_get(json, "pages"), &num) && num == (long long)r->total_pages);
	EXPECT_TRUE(json_hex(json_get(json, "start"), &x) && x == r->start);
	EXPECT_TRUE(json_hex(json_get(json, "end"), &x) && x == r->end);
	rs = json_get(json, "runs");
	ASSERT_NE(NULL, rs);
	nj = 0;
	for (int i = 0; (el = json_elem(rs, i)); i++) {
		uint64_t start, pfn = 0;
		long long pages = 0, size = 0, excl = 0;
		char kind[16] = "", absent[16] = "";
		bool present = !json_get(el, "absent");

		ASSERT_TRUE(json_hex(json_get(el, "start"), &start) &&
			    json_num(json_get(el, "pages"), &pages)) TH_LOG("run %d: %s", i, json);
		if (present) {
			ASSERT_TRUE(json_hex(json_get(el, "pfn"), &pfn) &&
				    json_num(json_get(el, "size"), &size) &&
				    json_num(json_get(el, "excl"), &excl) &&
				    json_str(json_get(el, "kind"), kind, sizeof(kind)) &&
				    json_flags(json_get(el, "flags"), flags, sizeof(flags)))
				TH_LOG("run %d: %s", i, json);
		} else {
			ASSERT_TRUE(json_str(json_get(el, "absent"), absent, sizeof(absent)));
		}
		for (long long k = 0; k < pages; k++, nj++) {
			uint64_t a = start + k * PG;
			const struct pl_walk_run *t = NULL;

			for (int m = 0; m < n; m++)
				if (runs[m].start <= a && a < runs[m].end)
					t = &runs[m];
			ASSERT_NE(NULL, t) TH_LOG("0x%" PRIx64 " is in no run of the text", a);
			EXPECT_EQ(t->absent, !present) TH_LOG("0x%" PRIx64, a);
			if (!present || t->absent) {
				EXPECT_STREQ(t->reason, absent) TH_LOG("0x%" PRIx64, a);
				continue;
			}
			EXPECT_EQ(pl_walk_run_pfn(t, a), pfn + k) TH_LOG("0x%" PRIx64, a);
			EXPECT_EQ((long long)t->size, size);
			EXPECT_STREQ(t->kind, kind) TH_LOG("0x%" PRIx64, a);
			EXPECT_EQ((long long)t->excl, excl) TH_LOG("0x%" PRIx64, a);
			EXPECT_EQ(pl_walk_has_flag(t->flags, "RW"),
				  pl_walk_has_flag(flags, "write"))
				TH_LOG("0x%" PRIx64 ": %s vs %s", a, t->flags, flags);
			EXPECT_EQ(pl_walk_has_flag(t->flags, "D"),
				  pl_walk_has_flag(flags, "dirty"))
				TH_LOG("0x%" PRIx64 ": %s vs %s", a, t->flags, flags);
			EXPECT_EQ(pl_walk_has_flag(t->flags, "A"),
				  pl_walk_has_flag(flags, "accessed"))
				TH_LOG("0x%" PRIx64 ": %s vs %s", a, t->flags, flags);
		}
	}
	EXPECT_EQ((long long)r->total_pages, nj);
}

/*
 * pagelab walk --json, made in user space (the kernel makes no JSON), says
 * what debugfs's text says: one address (from PAGELAB_IOC_WALK), a range
 * (from the text's runs) and a kernel address.
 */
TEST_F(walk, cli_json_agrees_with_text)
{
	struct pl_walk_result w;
	struct pl_walk_run runs[16];
	struct pl_walk_range r;
	char *text, *json, s[64];
	uint64_t base;
	int n;
	char *p;

	p = anon_map(self, 9 * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	for (int i = 0; i < 8; i += 2)
		wr(p + i * PG, 1);
	/* Its ninth page a hole: the range below ends in a gap between VMAs. */
	ASSERT_EQ(0, munmap(p + 8 * PG, PG));

	walk1(_metadata, &w, &text, "%d %p", (int)getpid(), (void *)(p + 0x10));
	free(text);
	json = cli_output("walk --json --pid %d %p", (int)getpid(), (void *)(p + 0x10));
	ASSERT_NE(NULL, json);
	ASSERT_TRUE(pl_json_valid(json)) TH_LOG("not JSON:\n%s", json);
	json_walk_agrees(_metadata, &w, json);
	free(json);

	/*
	 * A range, from the binary scan: page by page what the text's runs
	 * say (present, frame, page size, kind, exclusive, and the entry's
	 * write, dirty and accessed bits), and the gap after the mapping.
	 */
	text = walk_range(_metadata, getpid(), (uintptr_t)p, (uintptr_t)p + 9 * PG);
	n = range_runs(_metadata, text, runs, 16, &r);
	free(text);
	ASSERT_LE(n, 16);
	json = cli_output("walk --json --pid %d %p %p", (int)getpid(), (void *)p,
			  (void *)(p + 9 * PG));
	ASSERT_NE(NULL, json);
	ASSERT_TRUE(pl_json_valid(json)) TH_LOG("not JSON:\n%s", json);
	json_range_agrees(_metadata, json, runs, n, &r);
	free(json);

	/* A kernel walk says "pid": "kernel". */
	if (!pl_direct_map_base(&base)) {
		json = cli_output("walk --json --kernel 0x%" PRIx64, base);
		ASSERT_NE(NULL, json);
		EXPECT_TRUE(pl_json_valid(json)) TH_LOG("not JSON:\n%s", json);
		EXPECT_TRUE(json_str(json_get(json, "pid"), s, sizeof(s)) && !strcmp(s, "kernel"))
			TH_LOG("%s", json);
		free(json);
	}
}

/*
 * A file name is the one string in an answer that user space chooses: one
 * with a quote, a backslash, a tab, spaces and a newline followed by a fake
 * leaf line must come out escaped, so the text still parses with no forged
 * line and the JSON is JSON, both giving the name back unchanged.
 */
TEST_F(walk, file_names_are_escaped_in_text_and_json)
{
	static const char name[] = "pagelab walk \"q\"\\\t\nleaf level=PTE size=4096 pfn=0x1 phys=0x1000";
	char path[256], want[300], got[PL_WALK_BACKING_LEN], req[96], *text, *json, *out;
	struct pl_walk_result w;
	int fd, leaves = 0, ret;
	const char *l;
	char *p;

	snprintf(path, sizeof(path), "/tmp/%s.%d", name, (int)getpid());
	snprintf(want, sizeof(want), "file:%s", path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, PG));
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	unlink(path);	/* d_path then adds " (deleted)": one more space */
	strcat(want, " (deleted)");
	ASSERT_NE(MAP_FAILED, p);
	track_map(self, p, PG);
	(void)rd(p);

	snprintf(req, sizeof(req), "%d %p", (int)getpid(), (void *)p);
	ret = pl_walk_alloc(req, &text);
	ASSERT_EQ(0, ret) TH_LOG("%s", text);
	for (l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		leaves += !strncmp(l, "leaf ", 5);
	EXPECT_EQ(1, leaves) TH_LOG("leaf lines in:\n%s", text);
	ret = pl_walk_parse(text, &w);
	EXPECT_EQ(0, ret) TH_LOG("%s\n%s", w.err, text);
	if (!ret) {
		EXPECT_STREQ(want, w.vma_backing) TH_LOG("%s", text);
		EXPECT_TRUE(w.has_leaf);
		EXPECT_EQ(pl_pm_pfn(pm1(0, (uintptr_t)p)), w.pfn);
	}
	free(text);

	snprintf(req, sizeof(req), "%d %p", (int)getpid(), (void *)p);
	ret = walk_json(req, &json);
	ASSERT_EQ(0, ret) TH_LOG("%s", json);
	EXPECT_TRUE(pl_json_valid(json)) TH_LOG("not JSON:\n%s", json);
	EXPECT_TRUE(json_str_dec(json_get(json_get(json, "vma"), "backing"), got, sizeof(got)) &&
		    !strcmp(got, want)) TH_LOG("%s", json);
	free(json);

	/* The CLI's table shows the name on one line, escaped. */
	out = malloc(1 << 16);
	ASSERT_NE(NULL, out);
	snprintf(req, sizeof(req), "walk --pid %d %p", (int)getpid(), (void *)p);
	EXPECT_EQ(0, pl_run_cli(req, out, 1 << 16)) TH_LOG("%s", out);
	for (l = out; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		EXPECT_NE(0, strncmp(l, "leaf level=", 11)) TH_LOG("a forged line:\n%s", out);
	free(out);
}

/* ---- a race: walks against mmap, munmap, mprotect, THP and exit -------------- */

#define RACE_SLOTS	8

struct race_shared {
	volatile uint64_t addr[RACE_SLOTS];
	volatile uint64_t len[RACE_SLOTS];
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The target: maps, touches, changes and unmaps memory until it exits. */
static void race_target(struct race_shared *sh)
{
	uint64_t seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL | 1;
	int dev = pl_open();

	for (unsigned long it = 0;; it++) {
		int slot = (int)(it % RACE_SLOTS);
		uint64_t r = xorshift(&seed);
		size_t pages = 1 + r % 64, len = pages * PG;
		int ofd = -1;
		char *p;

		if (r % 1500 == 0)
			_exit(0);	/* the parent forks a new one */
		if (r % 11 == 0) {
			len = 4 * MiB;
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED)
				madvise(p, len, MADV_HUGEPAGE);
		} else if (r % 7 == 0 && dev >= 0 &&
			   !pl_create(dev, len, 0, 0, "walk-race", &ofd, NULL)) {
			p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 r % 2 ? MAP_SHARED : MAP_PRIVATE, ofd, 0);
			close(ofd);
		} else {
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		}
		if (p == MAP_FAILED)
			continue;
		for (size_t off = 0; off < len; off += PG)
			if ((off / PG + r) % 3)
				p[off] = 1;
			else
				(void)rd(p + off);
		sh->addr[slot] = (uintptr_t)p;
		sh->len[slot] = len;
		if (r % 5 == 0)
			mprotect(p, len / 2, PROT_NONE);
		if (r % 3 == 0)
			madvise(p, len / 2, MADV_DONTNEED);
		if (len > PG && r % 4 == 0)
			munmap(p + PG, PG);	/* splits a THP's PMD, too */
		sched_yield();
		munmap(p, len);
	}
}

struct churn {
	volatile bool stop;
	volatile uint64_t addr, len;
	unsigned long rounds;
};

/* A thread of the test process churning its own memory, walked by the main thread. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	uint64_t seed = 0x1234567;

	while (!c->stop) {
		uint64_t r = xorshift(&seed);
		size_t len = r % 4 ? (1 + r % 32) * PG : 4 * MiB;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		madvise(p, len, len > 2 * MiB ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		for (size_t off = 0; off < len; off += PG)
			p[off] = 1;
		c->addr = (uintptr_t)p;
		c->len = len;
		if (r % 2)
			mprotect(p, len, PROT_READ);
		munmap(p, len);
		c->rounds++;
	}
	return NULL;
}

/* Make walk number @i's request of kind @kind in @req: the target's or this process's (5). */
static void race_request(char *req, size_t size, int kind, unsigned long i, pid_t target,
			 uint64_t a, uint64_t len)
{
	bool self_walk = kind == 5;

	switch (kind) {
	case 0:
	case 5:
		snprintf(req, size, "%d 0x%" PRIx64, self_walk ? (int)getpid() : (int)target,
			 a + (i % 16) * PG);
		break;
	case 1:
		snprintf(req, size, "%d 0x%" PRIx64 " 0x%" PRIx64, (int)target, a, a + len);
		break;
	case 2:
		snprintf(req, size, "%d 0x%" PRIx64 " 0x%" PRIx64, (int)target,
			 a > 8 * MiB ? a - 8 * MiB : a, a + len + 8 * MiB);
		break;
	case 3:
		snprintf(req, size, "%d 0x%" PRIx64, (int)target, a);
		break;
	default:
		snprintf(req, size, "%d 0x%" PRIx64 " 0x%" PRIx64, (int)target, a, a + len);
		break;
	}
}

/* Does @answer to a request of kind @kind parse (into @w for one address)? */
static bool race_answer_parses(int kind, const char *answer, struct pl_walk_result *w)
{
	struct pl_walk_range r;
	struct pl_walk_run run;
	bool parsed;

	if (kind == 0 || kind == 5) {
		parsed = !pl_walk_parse(answer, w);
	} else if (kind == 3 || kind == 4) {
		/* What pagelab walk --json makes of it. */
		char *json = json_of(answer);

		parsed = pl_json_valid(json);
		free(json);
	} else {
		int rr = pl_walk_range_begin(&r, answer);

		while (!rr && (rr = pl_walk_range_next(&r, &run)) == 1)
			rr = 0;
		parsed = !rr;
	}
	return parsed;
}

TEST_F_TIMEOUT(walk, race_with_mmap_munmap_and_exit, 120)
{
	struct race_shared *sh = shared_block(self, PG);
	unsigned long ok = 0, esrch = 0, unexpected = 0, bad_answers = 0, exits = 0, kills = 0;
	struct churn churn = { 0 };
	struct pl_walk_result *w = malloc(sizeof(*w));
	struct timespec t0, t;
	pthread_t th;
	pid_t target;
	char req[128];

	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_NE(NULL, w);
	target = fork_child(self);
	ASSERT_GE(target, 0);
	if (!target)
		race_target(sh);
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_thread, &churn));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0;; i++) {
		uint64_t a, len;
		char *answer = NULL;
		int st, ret, kind = (int)(i % 6);
		bool self_walk = kind == 5;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= RACE_SECONDS)
			break;
		if (waitpid(target, &st, WNOHANG) == target) {
			for (int k = 0; k < self->nkids; k++)
				if (self->kids[k] == target)
					self->kids[k] = 0;
			exits++;
			target = fork_child(self);
			ASSERT_GE(target, 0);
			if (!target)
				race_target(sh);
		} else if (i % 997 == 996) {
			kill(target, SIGKILL);	/* dies mid-walk, then a zombie until reaped */
			kills++;
		}
		a = self_walk ? churn.addr : sh->addr[i % RACE_SLOTS];
		len = self_walk ? churn.len : sh->len[i % RACE_SLOTS];
		if (!a)
			continue;
		race_request(req, sizeof(req), kind, i, target, a, len);
		ret = pl_walk_alloc(req, &answer);
		if (!ret) {
			ok++;
			if (!race_answer_parses(kind, answer, w) && bad_answers++ < 5)
				TH_LOG("'%s': an answer that does not parse:\n%.1500s", req,
				       answer);
		} else if (ret == -ESRCH) {
			esrch++;
		} else if (unexpected++ < 10) {
			TH_LOG("'%s': %s\n%s", req, strerror(-ret), answer);
		}
		free(answer);
	}
	churn.stop = true;
	pthread_join(th, NULL);
	kill_reap(self, target);
	free(w);
	TH_LOG("%d s: %lu walks answered, %lu ESRCH (the target gone), %lu unexpected errors, "
	       "%lu unparsable answers; target exits %lu, kills %lu; %lu churn rounds",
	       RACE_SECONDS, ok, esrch, unexpected, bad_answers, exits, kills, churn.rounds);
	EXPECT_EQ(0UL, unexpected) TH_LOG("allowed: success, ESRCH");
	EXPECT_EQ(0UL, bad_answers);
	EXPECT_GT(ok, 100UL);
}

/* ---- a race: a setuid exec under the walker ------------------------------- */

#define SUID_SECONDS		20
#define SUID_HELPER		"--pagelab-walk-suid-helper"
#define SUID_EUID		"--pagelab-walk-suid-euid"
#define SUID_BALLAST		(16 * MiB)

/*
 * The setuid-root copy of this binary the exec race runs: it ends at once,
 * before main() (with "euid" it tells whether the setuid bit took).
 */
__attribute__((constructor)) static void suid_helper(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], SUID_HELPER))
		_exit(0);
	if (argc == 2 && !strcmp(argv[1], SUID_EUID))
		_exit(geteuid() == 0 ? 0 : 1);
}

/* Copy this binary to @path, setuid root; false if it cannot be done. */
static bool make_setuid_copy(const char *path)
{
	char buf[1 << 16];
	ssize_t n;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;
	bool ok = in >= 0;

	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ok = ok && out >= 0;
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, n) == n;
	if (out >= 0)
		ok = !fchown(out, 0, 0) && !fchmod(out, 04755) && !close(out) && ok;
	if (in >= 0)
		close(in);
	return ok;
}

struct suid_race {
	volatile pid_t pid;		/* the newest child of the target */
	volatile bool stop;
	volatile unsigned long forks, exec_failures;
	volatile unsigned long ok, eperm, esrch, other, violations;
	char first[4096];		/* the first walk that showed the new program */
};

/*
 * F4: the walk's permission check and its get_task_mm() must not straddle
 * an execve() of a setuid program, which installs the new mm while the old
 * credentials and dumpability still stand.  A uid-65534 target forks and
 * execs a setuid-root copy of this binary, over and over; the old address
 * space is 16 MiB of written pages, so freeing it widens the window.  A
 * walker, uid 65534 on a root-opened file, walks each new child's text
 * address.  A walk may succeed only on the child before its exec (this
 * binary's text); one that shows no VMA there (the new mm before the ELF is
 * mapped) or the setuid copy is a walk of the setuid process.
 */
/*
 * An answer is for its writer: a process that shares the walk file (an
 * inherited or handed fd) without the writer's rights cannot read what a
 * more privileged writer asked for (else it could make a setuid program
 * write a request for it, then read the answer).
 */
TEST_F(walk, answer_is_for_its_writer_only)
{
	char answer[8192];
	int fd, ret, st;
	pid_t pid;

	fd = pl_walk_open();
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, pl_walk_send(fd, "kernel 0xffffffff81000000"));
	pid = fork_child(self);
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (!drop_to_nobody())
			_exit(2);
		ret = pl_walk_recv(fd, answer, sizeof(answer));
		_exit(ret == -EACCES ? 0 : 3);
	}
	st = reap(self, pid);
	EXPECT_EQ(0, st) TH_LOG("exit 3: uid 65534 read root's kernel walk through a shared fd");
	/* The writer still reads its answer. */
	ret = pl_walk_recv(fd, answer, sizeof(answer));
	EXPECT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	EXPECT_EQ(NULL, pl_walk_error(answer)) TH_LOG("%s", answer);
	close(fd);
}

/* The target child: as uid 65534, fork and exec the setuid copy @copy until told to stop. */
static void suid_target(struct suid_race *sh, const char *copy)
{
	char *ballast = mmap(NULL, SUID_BALLAST, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ballast == MAP_FAILED || !drop_to_nobody())
		_exit(1);
	madvise(ballast, SUID_BALLAST, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < SUID_BALLAST; off += PG)
		ballast[off] = 1;
	while (!sh->stop) {
		pid_t c;
		int st;

		prctl(PR_SET_DUMPABLE, 1);
		c = fork();
		if (!c) {
			sh->pid = getpid();
			execl(copy, copy, SUID_HELPER, (char *)NULL);
			_exit(127);
		}
		if (c < 0 || waitpid(c, &st, 0) != c)
			_exit(2);
		sh->forks++;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			sh->exec_failures++;
	}
	_exit(0);
}

/* The walker child: as uid 65534 on a root-opened file, walk each new child's @text. */
static void suid_walker(struct suid_race *sh, uint64_t text)
{
	static char answer[1 << 16];
	struct pl_walk_result w;
	struct timespec t0, t;
	char req[64];
	int fd = pl_walk_open();

	if (fd < 0 || !drop_to_nobody())
		_exit(1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pid_t pid = sh->pid;
		int ret;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!pid)
			continue;
		snprintf(req, sizeof(req), "%d 0x%" PRIx64, (int)pid, text);
		ret = walk_on(fd, req, answer, sizeof(answer));
		if (ret == -EPERM) {
			sh->eperm++;
		} else if (ret == -ESRCH) {
			sh->esrch++;
		} else if (ret) {
			sh->other++;
		} else if (pl_walk_parse(answer, &w) || !w.has_vma ||
			   strstr(w.vma_backing, "pagelab_walk_suid")) {
			if (!sh->violations++)
				snprintf(sh->first, sizeof(sh->first), "%s", answer);
		} else {
			sh->ok++;
		}
	} while (t.tv_sec - t0.tv_sec < SUID_SECONDS);
	_exit(0);
}

TEST_F_TIMEOUT(walk, setuid_exec_during_walks_is_never_walked, 120)
{
	struct suid_race *sh = shared_block(self, sizeof(*sh));
	uint64_t text = (uintptr_t)&suid_helper;
	pid_t target, walker, probe;
	char *copy = self->unlink_path;

	ASSERT_NE(MAP_FAILED, sh);
	snprintf(copy, sizeof(self->unlink_path), "/tmp/pagelab_walk_suid.%d", (int)getpid());
	if (!make_setuid_copy(copy))
		SKIP(return, "cannot make a setuid-root copy of this binary in /tmp");
	probe = fork_child(self);
	ASSERT_GE(probe, 0);
	if (!probe) {
		if (drop_to_nobody())
			execl(copy, copy, SUID_EUID, (char *)NULL);
		_exit(2);
	}
	if (reap(self, probe))
		SKIP(return, "the setuid bit of %s does not take (a nosuid /tmp?)", copy);

	target = fork_child(self);
	ASSERT_GE(target, 0);
	if (!target)
		suid_target(sh, copy);
	walker = fork_child(self);
	ASSERT_GE(walker, 0);
	if (!walker)
		suid_walker(sh, text);
	EXPECT_EQ(0, reap(self, walker));
	sh->stop = true;
	EXPECT_EQ(0, reap(self, target));
	TH_LOG("%lu setuid execs (%lu failed); walks: %lu of the child before its exec, "
	       "%lu EPERM, %lu ESRCH, %lu other errors, %lu of the setuid process",
	       sh->forks, sh->exec_failures, sh->ok, sh->eperm, sh->esrch, sh->other,
	       sh->violations);
	EXPECT_EQ(0UL, sh->violations) TH_LOG("the first:\n%s", sh->first);
	EXPECT_EQ(0UL, sh->exec_failures);
	EXPECT_EQ(0UL, sh->other);
	EXPECT_GT(sh->forks, 10UL);
	EXPECT_GT(sh->eperm, 0UL);
}

/* ---- the CLI ---------------------------------------------------------------- */

/* The segments row for @name in the segments --json array. */
static const char *segment_row(const char *json, const char *name)
{
	const char *el;
	char s[64];

	for (int i = 0; (el = json_elem(json, i)); i++)
		if (json_str(json_get(el, "segment"), s, sizeof(s)) && !strcmp(s, name))
			return el;
	return NULL;
}

static bool json_true(const char *v)
{
	return v && !strncmp(v, "true", 4);
}

static bool json_false(const char *v)
{
	return v && !strncmp(v, "false", 5);
}

/* The CLI's help, and its bad usage and a refused walk, each with its exit code. */
static void cli_help_and_bad_usage(struct __test_metadata *_metadata, char *out, size_t size)
{
	char args[256];

	for (const char *c = "walk\0segments\0bench\0"; *c; c += strlen(c) + 1) {
		snprintf(args, sizeof(args), "%s --help", c);
		EXPECT_EQ(0, pl_run_cli(args, out, size)) TH_LOG("pagelab %s", args);
		EXPECT_NE(NULL, strstr(out, "usage: pagelab")) TH_LOG("pagelab %s", args);
	}
	EXPECT_EQ(0, pl_run_cli("--help", out, size));
	EXPECT_NE(NULL, strstr(out, "segments"));
	for (const char *c = "walk\0walk --bogus 0x1000\0walk zz\0walk 0x1 0x2 0x3\0"
			     "walk --kernel --pid 1 0x1000\0walk --kernel 0x1000 0x2000\0"
			     "walk --dot 0x1000 0x2000\0walk --dot --json 0x1000\0"
			     "walk --dot=walk.txt 0x1000\0walk --pid 0 0x1000\0walk --pid\0"
			     "segments --bogus\0bench walk --pages 0\0bench walk --bogus\0"; *c;
	     c += strlen(c) + 1) {
		EXPECT_EQ(2, pl_run_cli(c, out, size)) TH_LOG("pagelab %s:\n%s", c, out);
	}

	/* A refused request: exit 1 and the kernel's reason. */
	EXPECT_EQ(1, pl_run_cli("walk --pid 1 0x8000000000000000", out, size)) TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(out, "pagelab: walk: ", 15)) TH_LOG("%s", out);
}

/* pagelab walk of @local, on this process's stack: text, a range, JSON, dot and SVG. */
static void cli_walk_of_local(struct __test_metadata *_metadata, const volatile int *local,
			      char *out, size_t size)
{
	char args[256], svg[64];
	int rc;

	snprintf(args, sizeof(args), "walk --pid %d %p", (int)getpid(), (void *)local);
	EXPECT_EQ(0, pl_run_cli(args, out, size)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "stack"));
	EXPECT_NE(NULL, strstr(out, "PGD"));
	EXPECT_NE(NULL, strstr(out, "frame pfn 0x")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "leaf:"));

	snprintf(args, sizeof(args), "walk --pid %d %p %p", (int)getpid(),
		 (void *)((uintptr_t)local & ~(PG - 1)),
		 (void *)(((uintptr_t)local & ~(PG - 1)) + 4 * PG));
	EXPECT_EQ(0, pl_run_cli(args, out, size)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pages in")) TH_LOG("%s", out);

	snprintf(args, sizeof(args), "walk --json --pid %d %p", (int)getpid(), (void *)local);
	EXPECT_EQ(0, pl_run_cli(args, out, size)) TH_LOG("%s", out);
	EXPECT_TRUE(pl_json_valid(out)) TH_LOG("%s", out);

	snprintf(args, sizeof(args), "walk --dot --pid %d %p", (int)getpid(), (void *)local);
	EXPECT_EQ(0, pl_run_cli(args, out, size)) TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(out, "digraph ", 8)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "cr3 -> l0"));
	EXPECT_NE(NULL, strstr(out, "-> frame;"));

	snprintf(svg, sizeof(svg), "/tmp/pagelab_walk_test.%d.svg", (int)getpid());
	snprintf(args, sizeof(args), "walk --dot=%s --pid %d %p", svg, (int)getpid(),
		 (void *)local);
	rc = pl_run_cli(args, out, size);
	if (rc == 0) {
		struct stat st;

		EXPECT_EQ(0, stat(svg, &st));
		EXPECT_GT(st.st_size, 100);
		unlink(svg);
	} else {
		EXPECT_EQ(1, rc);
		EXPECT_NE(NULL, strstr(out, "needs Graphviz's 'dot'")) TH_LOG("%s", out);
	}
}

/* pagelab segments, in text and JSON, with the bits the tour points at. */
static void cli_segments(struct __test_metadata *_metadata, char *out, size_t size)
{
	const char *row;

	EXPECT_EQ(0, pl_run_cli("segments", out, size)) TH_LOG("%s", out);
	for (const char *s = "text\0rodata\0data\0bss\0heap\0mapped file\0anonymous mmap\0"
			     "shared library\0stack\0vdso\0kernel\0"; *s; s += strlen(s) + 1) {
		EXPECT_NE(NULL, strstr(out, s)) TH_LOG("no %s row:\n%s", s, out);
	}
	EXPECT_EQ(NULL, strstr(out, "walk failed")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("segments --json", out, size)) TH_LOG("%s", out);
	ASSERT_TRUE(pl_json_valid(out)) TH_LOG("%s", out);
	/* What the tour tells people to look at. */
	row = segment_row(out, "stack");
	EXPECT_TRUE(json_true(json_get(row, "nx")) && json_true(json_get(row, "rw")) &&
		    json_true(json_get(row, "user"))) TH_LOG("%s", out);
	row = segment_row(out, "heap (malloc)");
	EXPECT_TRUE(json_true(json_get(row, "nx"))) TH_LOG("%s", out);
	row = segment_row(out, "text");
	EXPECT_TRUE(json_false(json_get(row, "nx")) && json_false(json_get(row, "rw")) &&
		    json_true(json_get(row, "user"))) TH_LOG("%s", out);
	row = segment_row(out, "kernel");
	EXPECT_TRUE(json_false(json_get(row, "user"))) TH_LOG("%s", out);
}

/* pagelab bench walk, fault and smp, in text and JSON. */
static void cli_bench(struct __test_metadata *_metadata, char *out, size_t size)
{
	const char *v;
	int rc;

	EXPECT_EQ(0, pl_run_cli("bench walk --pages 64 --reps 3", out, size)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "RATIO walk_vs_pagemap ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pages/s"));
	EXPECT_EQ(0, pl_run_cli("bench walk --pages 32 --reps 2 --json", out, size));
	EXPECT_TRUE(pl_json_valid(out)) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("bench fault --pages 16 --reps 1", out, size)) TH_LOG("%s", out);
	for (const char *c = "RATIO write \0RATIO read_random \0RATIO write_sparse \0"
			     "RATIO write_vs_uffd \0RATIO read_vs_uffd \0ABS write \0"; *c;
	     c += strlen(c) + 1) {
		EXPECT_NE(NULL, strstr(out, c)) TH_LOG("%s: %s", c, out);
	}
	EXPECT_EQ(0, pl_run_cli("bench fault --pages 8 --reps 1 --json", out, size));
	EXPECT_TRUE(pl_json_valid(out)) TH_LOG("%s", out);
	v = json_get(out, "uffd_copy_ns");
	EXPECT_TRUE(v && strtod(v, NULL) > 0) TH_LOG("%s", out);
	/* Two CPUs (the guest's default), or a clear refusal. */
	rc = pl_run_cli("bench smp --pages 16 --reps 1", out, size);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		EXPECT_EQ(0, rc) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "RATIO smp_pagelab ")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "RATIO smp_anon ")) TH_LOG("%s", out);
	} else {
		EXPECT_NE(0, rc);
		EXPECT_NE(NULL, strstr(out, "needs two CPUs")) TH_LOG("%s", out);
	}
}

TEST_F_TIMEOUT(walk, cli_walk_segments_bench_and_tour, 300)
{
	static char out[1 << 18];
	volatile int local = 1;
	char args[256];
	uint64_t base;

	cli_help_and_bad_usage(_metadata, out, sizeof(out));
	cli_walk_of_local(_metadata, &local, out, sizeof(out));

	if (!pl_direct_map_base(&base)) {
		snprintf(args, sizeof(args), "walk --kernel 0x%" PRIx64, base + 0x100000);
		EXPECT_EQ(0, pl_run_cli(args, out, sizeof(out))) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "kernel address")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "phys 0x100000")) TH_LOG("%s", out);
	}

	cli_segments(_metadata, out, sizeof(out));
	cli_bench(_metadata, out, sizeof(out));

	EXPECT_EQ(0, pl_run_cli("tour", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Page tables, level by level"));
	EXPECT_NE(NULL, strstr(out, "End of tour."));
}

/* ---- the binary scan (PAGELAB_IOC_SCAN) against pagemap ----------------- */


struct scan_cmp {
	uint64_t pages, present, swapped, zero, mismatches;
	int logged;
};

/* Every run of [start, end) of @pid, as root through the fixture's device. */
static struct pagelab_scan_run *scan_runs(struct __test_metadata *_metadata, int dev, pid_t pid,
					  uint64_t start, uint64_t end, size_t *n)
{
	struct pl_scan_req q = { .pid = pid, .start = start, .end = end };
	struct pagelab_scan_run *runs = NULL;
	int ret = pl_scan_all(dev, &q, &runs, n, NULL);

	EXPECT_EQ(0, ret) TH_LOG("scan of %d [0x%" PRIx64 ", 0x%" PRIx64 "): %s", (int)pid,
				 start, end, strerror(-ret));
	return ret ? NULL : runs;
}

/*
 * Scan [start, end) of @pid and hold every page against pagemap: a page
 * in a run has pagemap's present, swap, file, exclusive, soft-dirty and
 * uffd-wp bits and its frame (or swap entry); ZERO iff the frame is the
 * zero page.  A page in no run is in no VMA: pagemap's entry is 0.  @cats
 * (may be NULL) gets each page's categories, @runs_of (may be NULL) its
 * run's object id and index.
 */
static void scan_compare(struct __test_metadata *_metadata, int dev, pid_t pid, const char *what,
			 uint64_t start, uint64_t end, uint64_t zero_pfn, struct scan_cmp *c,
			 uint64_t *cats, struct pagelab_scan_run *runs_of)
{
	size_t n = (end - start) / PG, nruns = 0;
	uint64_t *pm = calloc(n, 8);
	unsigned char *seen = calloc(n, 1);
	struct pagelab_scan_run *runs;

	ASSERT_TRUE(!!(pm && seen));
	runs = scan_runs(_metadata, dev, pid, start, end, &nruns);
	ASSERT_NE(NULL, runs);
	ASSERT_EQ(0, pl_pagemap_range(pid, start, n, pm)) TH_LOG("pagemap of %s", what);
	for (size_t k = 0; k < nruns; k++) {
		const struct pagelab_scan_run *r = &runs[k];

		ASSERT_TRUE(r->pages && r->start >= start && r->start + r->pages * PG <= end &&
			    !(r->start % PG)) TH_LOG("%s: run %zu [0x%llx +%llu pages] outside the range",
						     what, k, (unsigned long long)r->start,
						     (unsigned long long)r->pages);
		ASSERT_TRUE(!k || runs[k - 1].start + runs[k - 1].pages * PG <= r->start)
			TH_LOG("%s: run %zu overlaps or precedes the one before", what, k);
		for (uint64_t j = 0; j < r->pages; j++) {
			size_t i = (r->start - start) / PG + j;
			uint64_t e = pm[i], cat = r->categories, pfn = 0;
			bool present = cat & PAGELAB_SCAN_PRESENT, swap = cat & PAGELAB_SCAN_SWAP;
			bool bad;

			seen[i] = 1;
			if (cats)
				cats[i] = cat;
			if (runs_of)
				runs_of[i] = *r;
			if (present)
				pfn = cat & PAGELAB_SCAN_ZERO ? r->pfn : r->pfn + j;
			else if (swap)
				pfn = r->pfn + (j << 5);
			bad = present != pl_pm_present(e) || swap != pl_pm_swapped(e) ||
			      !!(cat & PAGELAB_SCAN_FILE) != !!(e & PL_PM_FILE) ||
			      !!(cat & PAGELAB_SCAN_EXCLUSIVE) != pl_pm_exclusive(e) ||
			      !!(cat & PAGELAB_SCAN_SOFT_DIRTY) != pl_pm_soft_dirty(e) ||
			      !!(cat & PAGELAB_SCAN_UFFD_WP) != !!(e & PL_PM_UFFD_WP) ||
			      ((present || swap) && pfn != pl_pm_pfn(e)) ||
			      (present && !!(cat & PAGELAB_SCAN_ZERO) != (pl_pm_pfn(e) == zero_pfn));
			c->pages++;
			c->present += present;
			c->swapped += swap;
			c->zero += !!(cat & PAGELAB_SCAN_ZERO);
			if (!bad)
				continue;
			c->mismatches++;
			if (c->logged++ < 12) {
				char names[256];

				TH_LOG("%s 0x%" PRIx64 ": scan %s pfn 0x%" PRIx64 "; pagemap %016" PRIx64
				       " (present %d swap %d file %d excl %d sd %d uffd-wp %d pfn 0x%"
				       PRIx64 ")", what, start + i * PG,
				       pl_scan_cats_str(cat, names, sizeof(names)), pfn, e,
				       pl_pm_present(e), pl_pm_swapped(e), !!(e & PL_PM_FILE),
				       pl_pm_exclusive(e), pl_pm_soft_dirty(e), !!(e & PL_PM_UFFD_WP),
				       pl_pm_pfn(e));
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (seen[i] || !pm[i])
			continue;
		c->mismatches++;
		if (c->logged++ < 12)
			TH_LOG("%s 0x%" PRIx64 ": in no run, pagemap %016" PRIx64, what,
			       start + i * PG, pm[i]);
	}
	free(runs);
	free(seen);
	free(pm);
}

struct scan_all_arg {
	int dev;
	pid_t pid;
	uint64_t zero_pfn;
	struct scan_cmp *c;
};

static void scan_chunk(struct __test_metadata *_metadata, const char *name, uint64_t start,
		       uint64_t end, void *arg)
{
	struct scan_all_arg *a = arg;

	scan_compare(_metadata, a->dev, a->pid, name, start, end, a->zero_pfn, a->c, NULL, NULL);
}

/*
 * scan_compare() over every VMA of @pid, [vvar] too (VM_PFNMAP: pagemap and
 * the scan show it as a hole).
 */
static void scan_compare_all_vmas(struct __test_metadata *_metadata, int dev, pid_t pid,
				  uint64_t zero_pfn, struct scan_cmp *c)
{
	struct scan_all_arg a = { .dev = dev, .pid = pid, .zero_pfn = zero_pfn, .c = c };

	for_each_vma_chunk(_metadata, pid, false, scan_chunk, &a);
}

TEST_F_TIMEOUT(walk, scan_matches_pagemap_page_by_page, 180)
{
	struct pagelab_scan_run *of = calloc(O_PL_PAGES, sizeof(*of));
	uint64_t *cats = calloc(O_THP_LEN / PG, 8), zero_pfn;
	struct scan_cmp c = { 0 }, all = { 0 };
	struct oracle_info *info;
	struct pagelab_version v;
	int ret, huge = 0;
	uint64_t obj = 0;
	bool thp_formed;
	pid_t pid;

	ASSERT_TRUE(of && cats);
	ret = pl_zero_pfn(&zero_pfn);
	ASSERT_EQ(0, ret) TH_LOG("no zero-page PFN from pagemap: %s", strerror(-ret));
	ASSERT_EQ(0, pl_version(self->dev, &v));
	ASSERT_TRUE(!!(v.features & PAGELAB_FEAT_SCAN)) TH_LOG("the module has no PAGELAB_IOC_SCAN");
	info = oracle_start(_metadata, self, &pid);
	ASSERT_NE(NULL, info);

	/* The THP first: khugepaged may still act on a stopped process. */
	thp_formed = pl_pm_present(pm1(pid, info->thp)) && kpage_is_thp(pl_pm_pfn(pm1(pid, info->thp)));
	scan_compare(_metadata, self->dev, pid, "thp", info->thp, info->thp + O_THP_LEN, zero_pfn,
		     &c, cats, NULL);
	for (size_t i = 0; i < O_THP_LEN / PG; i++)
		huge += !!(cats[i] & PAGELAB_SCAN_PMD);
	if (thp_formed) {
		EXPECT_EQ((int)(O_THP_LEN / PG), huge) TH_LOG("pages of the THP region in PMD runs");
	} else {
		TH_LOG("no THP formed in the target: its 4 MiB were compared as small pages");
	}

	scan_compare(_metadata, self->dev, pid, "anon", info->anon, info->anon + O_ANON_PAGES * PG,
		     zero_pfn, &c, cats, NULL);
	for (size_t i = 0; i < O_ANON_PAGES; i++)
		EXPECT_EQ(PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_ANON,
			  cats[i] & (PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_ANON | PAGELAB_SCAN_OBJECT));
	scan_compare(_metadata, self->dev, pid, "file", info->file, info->file + O_FILE_PAGES * PG,
		     zero_pfn, &c, cats, NULL);
	for (size_t i = 0; i < O_FILE_PAGES; i++)
		EXPECT_EQ(PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_FILE,
			  cats[i] & (PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_FILE | PAGELAB_SCAN_ANON));

	/* The shared object mapping: its id on every page, the index = the page. */
	scan_compare(_metadata, self->dev, pid, "pagelab shared", info->pls,
		     info->pls + O_PL_PAGES * PG, zero_pfn, &c, cats, of);
	obj = of[0].object;
	EXPECT_NE(0ULL, obj);
	for (size_t i = 0; i < O_PL_PAGES; i++) {
		EXPECT_TRUE(!!(cats[i] & PAGELAB_SCAN_OBJECT)) TH_LOG("shared page %zu", i);
		EXPECT_EQ(obj, of[i].object);
		EXPECT_EQ(i, of[i].index + (info->pls + i * PG - of[i].start) / PG);
		if (i >= O_PL_PAGES / 2)
			EXPECT_EQ(oracle_shared_zero, !!(cats[i] & PAGELAB_SCAN_ZERO))
				TH_LOG("shared page %zu, never written", i);
	}
	/*
	 * The private one: pages written are anonymous copies; the others are
	 * the object's frames (or the zero page), read-only in a writable
	 * private mapping: a write would copy them (COW).
	 */
	scan_compare(_metadata, self->dev, pid, "pagelab private", info->plp,
		     info->plp + O_PL_PAGES * PG, zero_pfn, &c, cats, of);
	for (size_t i = 0; i < O_PL_PAGES; i++) {
		bool written = !(i % 4);

		EXPECT_TRUE(!!(cats[i] & PAGELAB_SCAN_OBJECT)) TH_LOG("private page %zu", i);
		EXPECT_EQ(obj, of[i].object);
		EXPECT_EQ(i, of[i].index + (info->plp + i * PG - of[i].start) / PG);
		EXPECT_EQ(written, !!(cats[i] & PAGELAB_SCAN_ANON)) TH_LOG("private page %zu", i);
		EXPECT_EQ(!written, !!(cats[i] & PAGELAB_SCAN_COW)) TH_LOG("private page %zu", i);
	}
	TH_LOG("the target's mappings: %" PRIu64 " pages compared, %" PRIu64 " present, %" PRIu64
	       " zero page, %" PRIu64 " mismatches", c.pages, c.present, c.zero, c.mismatches);
	EXPECT_EQ(0ULL, c.mismatches);

	scan_compare_all_vmas(_metadata, self->dev, pid, zero_pfn, &all);
	TH_LOG("the target's whole address space: %" PRIu64 " pages compared, %" PRIu64
	       " present, %" PRIu64 " mismatches", all.pages, all.present, all.mismatches);
	EXPECT_EQ(0ULL, all.mismatches);
	EXPECT_GE(all.present, c.present);
	free(of);
	free(cats);
	EXPECT_EQ(128 + SIGKILL, kill_reap(self, pid));
}

TEST_F_TIMEOUT(walk, scan_shows_swap_entries_and_stored_object_pages, 120)
{
	const size_t n = 16, on = 8;
	uint64_t *cats = calloc(n, 8), zero_pfn;
	struct scan_cmp c = { 0 };
	struct pagelab_obj_stat ost;
	size_t swapped = 0, stored = 0, resident = 0;
	uint64_t pm[16];
	const char *why;
	char *p, *o;
	int ofd;

	ASSERT_NE(NULL, cats);
	ASSERT_EQ(0, pl_zero_pfn(&zero_pfn));
	/* Paged out by the module: 8 pages written through a budget of 3. */
	ASSERT_EQ(0, pl_create(self->dev, on * PG, 0, 0, "scan-stored", &ofd, NULL));
	track_fd(self, ofd);
	ASSERT_EQ(0, pl_replace(ofd, 3, PAGELAB_POLICY_FIFO, 0, 0));
	o = track_map(self, mmap(NULL, on * PG, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0),
		      on * PG);
	ASSERT_NE(MAP_FAILED, o);
	for (size_t i = 0; i < on; i++)
		wr(o + i * PG, (unsigned char)(i + 1));
	scan_compare(_metadata, self->dev, 0, "budgeted object", (uintptr_t)o,
		     (uintptr_t)o + on * PG, zero_pfn, &c, cats, NULL);
	ASSERT_EQ(0, pl_obj_stat(ofd, 0, &ost));
	for (size_t i = 0; i < on; i++) {
		EXPECT_TRUE((cats[i] & (PAGELAB_SCAN_OBJECT | PAGELAB_SCAN_BUDGETED)) ==
			    (PAGELAB_SCAN_OBJECT | PAGELAB_SCAN_BUDGETED)) TH_LOG("page %zu", i);
		EXPECT_FALSE((cats[i] & PAGELAB_SCAN_STORED) && (cats[i] & PAGELAB_SCAN_PRESENT));
		stored += !!(cats[i] & PAGELAB_SCAN_STORED);
		resident += !!(cats[i] & PAGELAB_SCAN_PRESENT);
	}
	TH_LOG("budget 3, 8 pages written: %zu present, %zu stored; the object says resident %llu",
	       resident, stored, (unsigned long long)ost.resident);
	EXPECT_EQ(3U, resident);
	EXPECT_EQ(on - ost.resident, stored);

	why = swap_out_fresh(_metadata, self, n, pm, &p, &swapped);
	if (why)
		SKIP(return, "%s", why);
	memset(&c, 0, sizeof(c));
	scan_compare(_metadata, self->dev, 0, "swapped", (uintptr_t)p, (uintptr_t)p + n * PG,
		     zero_pfn, &c, cats, NULL);
	TH_LOG("%zu of %zu pages swapped out; the scan saw %" PRIu64 " in swap, %" PRIu64
	       " mismatches", swapped, n, c.swapped, c.mismatches);
	EXPECT_EQ(0ULL, c.mismatches);
	EXPECT_GE(c.swapped, 1ULL);
	free(cats);
}

/* A scan of @pages pages from @p into @runs (room for @room), masks clear. */
static void scan_req(struct pagelab_scan *s, const char *p, size_t pages,
		     struct pagelab_scan_run *runs, size_t room)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->max_runs = (uint32_t)room;
	s->start = (uintptr_t)p;
	s->end = (uintptr_t)p + pages * PG;
	s->runs = (uintptr_t)runs;
}

/* SCAN_REQ(): a scan of the 16 pages at p into runs; SCAN_FAILS(): @change makes it fail. */
#define SCAN_REQ() scan_req(&s, p, 16, runs, room)
#define SCAN_FAILS(err, change) do {							\
		SCAN_REQ();								\
		change;									\
		EXPECT_EQ(-(err), pl_scan(self->dev, &s)) TH_LOG("%s", #change);	\
	} while (0)

/* Every kind of bad scan of the 16 pages at @p gets its errno and writes no run. */
static void scan_bad_requests(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
			      char *p, struct pagelab_scan_run *runs, size_t room)
{
	const unsigned char *block = (const unsigned char *)runs;
	struct pagelab_scan s;
	pid_t gone;
	int st;

	SCAN_FAILS(EINVAL, s.size = sizeof(s) - 8);
	SCAN_FAILS(EINVAL, s.size = sizeof(s) + 8);
	SCAN_FAILS(EINVAL, s.flags = 2);
	SCAN_FAILS(EINVAL, s.flags = 1U << 31);
	SCAN_FAILS(EINVAL, s.pad = 1);
	SCAN_FAILS(EINVAL, s.max_runs = 0);
	SCAN_FAILS(EINVAL, s.max_runs = PAGELAB_SCAN_MAX_RUNS + 1);
	SCAN_FAILS(EINVAL, s.start = (uintptr_t)p + 1);
	SCAN_FAILS(EINVAL, s.end = (uintptr_t)p + 16 * PG - 1);
	SCAN_FAILS(EINVAL, s.end = (uintptr_t)p);
	SCAN_FAILS(EINVAL, s.start = (uintptr_t)p + PG; s.end = (uintptr_t)p);
	SCAN_FAILS(EINVAL, s.start = 0; s.end = UINT64_C(0xfffffffffffff000));
	SCAN_FAILS(EINVAL, s.start = UINT64_C(0xffff800000000000);
		   s.end = UINT64_C(0xffff800000001000));
	SCAN_FAILS(EINVAL, s.required = PAGELAB_SCAN_ALL + 1);
	SCAN_FAILS(EINVAL, s.any = UINT64_C(1) << 63);
	SCAN_FAILS(EINVAL, s.excluded = UINT64_C(1) << 40);
	SCAN_FAILS(EFAULT, s.runs = 0);
	SCAN_FAILS(EFAULT, s.runs = UINT64_C(0xffff888000000000));
	/* Runs into a read-only page: the copy fails, nothing else is written. */
	SCAN_FAILS(EFAULT, s.runs = (uintptr_t)track_map(self, mmap(NULL, PG, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), PG));
	/* A process that is gone. */
	gone = fork();
	ASSERT_GE(gone, 0);
	if (!gone)
		_exit(0);
	ASSERT_EQ(gone, waitpid(gone, &st, 0));
	SCAN_FAILS(ESRCH, s.pid = gone);
	SCAN_FAILS(ESRCH, s.pid = -1);
	EXPECT_EQ(0xa5, block[0]) TH_LOG("a refused scan wrote runs");
}

/* Scans of the 16 pages at @p, one run at a time into @one, from each walk_end. */
static void scan_one_run_at_a_time(struct __test_metadata *_metadata, int dev, char *p,
				   struct pagelab_scan_run *one)
{
	struct pagelab_scan s;

	for (uint64_t a = (uintptr_t)p, k = 0; a < (uintptr_t)p + 16 * PG; k++) {
		s = (struct pagelab_scan){ .size = sizeof(s), .max_runs = 1, .start = a,
					   .end = (uintptr_t)p + 16 * PG, .runs = (uintptr_t)one };
		ASSERT_EQ(0, pl_scan(dev, &s));
		ASSERT_EQ(1U, s.nr_runs);
		EXPECT_EQ(a, one->start);
		EXPECT_EQ(!(k % 2), !!(one->categories & PAGELAB_SCAN_PRESENT)) TH_LOG("run %llu",
			  (unsigned long long)k);
		ASSERT_GT(s.walk_end, a);
		a = s.walk_end;
	}
}

/* Scans of the 16 pages at @p into @runs with masks, a page limit and NO_PFN. */
static void scan_masks_and_no_pfn(struct __test_metadata *_metadata, FIXTURE_DATA(walk) *self,
				  char *p, struct pagelab_scan_run *runs, size_t room)
{
	struct pagelab_scan s;

	/* Masks: the present pages only, and at most 5 of them. */
	SCAN_REQ();
	s.required = PAGELAB_SCAN_PRESENT;
	s.max_pages = 5;
	s.max_runs = 16;
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(5U, s.nr_runs);
	for (size_t k = 0; k < s.nr_runs; k++) {
		EXPECT_EQ((uintptr_t)p + 2 * k * PG, runs[k].start);
		EXPECT_TRUE(!!(runs[k].categories & PAGELAB_SCAN_PRESENT));
	}
	EXPECT_EQ((uintptr_t)p + 10 * PG, s.walk_end);
	SCAN_REQ();
	s.excluded = PAGELAB_SCAN_PRESENT;
	s.max_runs = 16;
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(8U, s.nr_runs);
	EXPECT_EQ((uintptr_t)p + 16 * PG, s.walk_end);
	/* NO_PFN: no frames, even for root. */
	SCAN_REQ();
	s.flags = PAGELAB_SCAN_F_NO_PFN;
	s.max_runs = 16;
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(16U, s.nr_runs);
	for (size_t k = 0; k < s.nr_runs; k++) {
		EXPECT_EQ(0ULL, runs[k].pfn) TH_LOG("run %zu", k);
	}
	SCAN_REQ();
	s.any = PAGELAB_SCAN_SWAP | PAGELAB_SCAN_STORED;
	s.max_runs = 16;
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(0U, s.nr_runs);
	EXPECT_EQ((uintptr_t)p + 16 * PG, s.walk_end);
}

TEST_F(walk, scan_bad_input_gets_an_errno_and_no_write_past_the_runs)
{
	const size_t room = 3;
	struct pagelab_scan_run *runs, *one;
	struct pagelab_scan s;
	unsigned char *block;
	char *p;

	p = anon_map(self, 16 * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	/* Every other page written: 16 pages, 8 + 8 runs. */
	for (size_t i = 0; i < 16; i += 2)
		wr(p + i * PG, 1);
	block = track_map(self, mmap(NULL, PG, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), PG);
	ASSERT_NE(MAP_FAILED, block);
	memset(block, 0xa5, PG);
	runs = (struct pagelab_scan_run *)block;

	scan_bad_requests(_metadata, self, p, runs, room);

	/* Room for 3 runs: 3 written, the rest of the page untouched, resumable. */
	SCAN_REQ();
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(room, s.nr_runs);
	EXPECT_EQ((uintptr_t)p + room * PG, s.walk_end) TH_LOG("walk_end 0x%llx",
							      (unsigned long long)s.walk_end);
	for (size_t b = room * sizeof(*runs); b < PG; b++) {
		ASSERT_EQ(0xa5, block[b]) TH_LOG("byte %zu past %zu runs written", b, room);
	}
	for (size_t k = 0; k < room; k++) {
		EXPECT_EQ((uintptr_t)p + k * PG, runs[k].start);
		EXPECT_EQ(1ULL, runs[k].pages);
		EXPECT_EQ(!(k % 2), !!(runs[k].categories & PAGELAB_SCAN_PRESENT));
	}
	/* One run at a time, from each walk_end: the same 16 runs. */
	one = calloc(1, sizeof(*one));
	ASSERT_NE(NULL, one);
	scan_one_run_at_a_time(_metadata, self->dev, p, one);
	scan_masks_and_no_pfn(_metadata, self, p, runs, room);
	free(one);
}
#undef SCAN_FAILS
#undef SCAN_REQ

/* One call's answer for [p, p + n pages), with or without PFNs. */
static struct pagelab_scan_run *scan_one_call(struct __test_metadata *_metadata, int dev,
					      const char *p, size_t n, uint32_t flags,
					      size_t *nruns)
{
	struct pagelab_scan_run *runs = calloc(n, sizeof(*runs));
	struct pagelab_scan s = {
		.size = sizeof(s), .flags = flags, .max_runs = (uint32_t)n,
		.start = (uintptr_t)p, .end = (uintptr_t)p + n * PG, .runs = (uintptr_t)runs,
	};

	if (!runs)
		return NULL;
	EXPECT_EQ(0, pl_scan(dev, &s));
	EXPECT_EQ(s.end, s.walk_end);
	*nruns = s.nr_runs;
	return runs;
}

/* Could runs @a and @b, one after the other, have been one? */
static bool scan_runs_join(const struct pagelab_scan_run *a, const struct pagelab_scan_run *b,
			   bool pfns)
{
	bool frames = a->categories & (PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_SWAP);

	return a->start + a->pages * PG == b->start && a->categories == b->categories &&
	       a->object == b->object && (!pfns || !frames || a->pfn + a->pages == b->pfn);
}

/*
 * No two of the @nall runs at @all (with PFNs) or the @nnopfn at @nopfn
 * (without) could have been one, except across the VMA boundary at @split.
 */
static void scan_runs_never_join(struct __test_metadata *_metadata, const char *p, size_t split,
				 const struct pagelab_scan_run *all, size_t nall,
				 const struct pagelab_scan_run *nopfn, size_t nnopfn)
{
	size_t k;

	/* Across the two VMAs runs never join, even where they could. */
	for (k = 0; k + 1 < nall; k++) {
		if (all[k + 1].start == (uintptr_t)p + split * PG)
			continue;
		EXPECT_FALSE(scan_runs_join(&all[k], &all[k + 1], true))
			TH_LOG("runs %zu and %zu (0x%llx, 0x%llx) could be one", k, k + 1,
			       (unsigned long long)all[k].start,
			       (unsigned long long)all[k + 1].start);
	}
	for (k = 0; k + 1 < nnopfn; k++) {
		bool at_split = nopfn[k + 1].start == (uintptr_t)p + split * PG;

		if (at_split) {
			EXPECT_TRUE(scan_runs_join(&nopfn[k], &nopfn[k + 1], false))
				TH_LOG("the pages on each side of the VMA boundary differ");
		} else {
			EXPECT_FALSE(scan_runs_join(&nopfn[k], &nopfn[k + 1], false))
				TH_LOG("runs %zu and %zu could be one (no PFNs)", k, k + 1);
		}
	}
	for (k = 0; k < nnopfn && nopfn[k].start < (uintptr_t)p + split * PG; k++)
		;
	EXPECT_TRUE(k < nnopfn && nopfn[k].start == (uintptr_t)p + split * PG)
		TH_LOG("no run starts where the second VMA does");
}

/* The @n pages at @p scanned in batches, and up to 777 pages: the @nall runs at @all. */
static void scan_cut_in_batches(struct __test_metadata *_metadata, int dev, const char *p,
				size_t n, const struct pagelab_scan_run *all, size_t nall)
{
	static const uint32_t batches[] = { 1, 7, 512, 513 };
	struct pagelab_scan_run *cut;
	size_t ncut, pages, k;

	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		struct pl_scan_req q = { .start = (uintptr_t)p, .end = (uintptr_t)p + n * PG,
					 .batch = batches[b] };

		ASSERT_EQ(0, pl_scan_all(dev, &q, &cut, &ncut, NULL));
		EXPECT_EQ(nall, ncut) TH_LOG("%u runs per call", batches[b]);
		EXPECT_EQ(0, memcmp(all, cut, (ncut < nall ? ncut : nall) * sizeof(*cut)))
			TH_LOG("%u runs per call: another answer", batches[b]);
		free(cut);
	}

	/* At most 777 pages, 5 runs per call: the first 777 pages of the answer. */
	{
		struct pl_scan_req q = { .start = (uintptr_t)p, .end = (uintptr_t)p + n * PG,
					 .batch = 5, .max_pages = 777 };

		ASSERT_EQ(0, pl_scan_all(dev, &q, &cut, &ncut, NULL));
		for (k = 0, pages = 0; k < ncut && k < nall; k++) {
			uint64_t want = all[k].pages < 777 - pages ? all[k].pages : 777 - pages;

			EXPECT_EQ(all[k].start, cut[k].start);
			EXPECT_EQ(want, cut[k].pages) TH_LOG("run %zu", k);
			EXPECT_EQ(all[k].categories, cut[k].categories);
			EXPECT_EQ(all[k].pfn, cut[k].pfn);
			pages += cut[k].pages;
		}
		EXPECT_EQ(777ULL, pages);
		free(cut);
	}
}

/* The @n pages at @p scanned with category masks: the kept runs of the @nall at @all. */
static void scan_cut_by_masks(struct __test_metadata *_metadata, int dev, const char *p,
			      size_t n, const struct pagelab_scan_run *all, size_t nall)
{
	static const struct { uint64_t required, any, excluded; } m[] = {
		{ PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_COW, 0, 0 },
		{ 0, PAGELAB_SCAN_WRITE, 0 },
		{ PAGELAB_SCAN_PRESENT, 0, PAGELAB_SCAN_EXCLUSIVE },
	};
	struct pagelab_scan_run *cut;
	size_t ncut, k;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct pl_scan_req q = { .start = (uintptr_t)p, .end = (uintptr_t)p + n * PG,
					 .batch = 64, .required = m[i].required,
					 .any = m[i].any, .excluded = m[i].excluded };
		size_t j = 0;

		ASSERT_EQ(0, pl_scan_all(dev, &q, &cut, &ncut, NULL));
		for (k = 0; k < nall; k++) {
			uint64_t cat = all[k].categories;

			if ((cat & q.required) != q.required || (q.any && !(cat & q.any)) ||
			    (cat & q.excluded))
				continue;
			if (j < ncut) {
				EXPECT_EQ(0, memcmp(&all[k], &cut[j], sizeof(*cut)))
					TH_LOG("masks %zu: run %zu", i, j);
			}
			j++;
		}
		EXPECT_EQ(j, ncut) TH_LOG("masks %zu", i);
		EXPECT_GT(ncut, 0U) TH_LOG("masks %zu kept nothing", i);
		free(cut);
	}
}

/*
 * Runs are whole however the answer is cut.  2,100 anonymous pages in two
 * VMAs, every ninth not mapped, shared with a child that a fork made, a
 * third of them written again since (exclusive and writable), the rest
 * COW-shared: more runs than the module copies out at a time (512).  One
 * call's answer is the same as the answer made one run per call, 7 per
 * call, 512 and 513; no two runs in it could have been one, except across
 * the two VMAs; a page limit and category masks cut it where they should.
 */
TEST_F_TIMEOUT(walk, scan_runs_are_whole_however_the_answer_is_cut, 120)
{
	const size_t n = 2100, split = 1001;
	struct pagelab_scan_run *all, *nopfn;
	size_t nall, nnopfn;
	struct scan_cmp c = { 0 };
	uint64_t zero_pfn;
	pid_t kid;
	char *p;

	ASSERT_EQ(0, pl_zero_pfn(&zero_pfn));
	p = anon_map(self, n * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < n; i++)
		if (i % 9 != 4)
			wr(p + i * PG, 1);
	kid = fork_waiting_child(self);
	ASSERT_GE(kid, 0);
	for (size_t i = 0; i < n; i += 3)
		if (i % 9 != 4)
			wr(p + i * PG, 2);
	/* Pages split - 1 and split: both COW-shared and mapped, in two VMAs. */
	ASSERT_EQ(0, madvise(p + split * PG, (n - split) * PG, MADV_DONTFORK));

	all = scan_one_call(_metadata, self->dev, p, n, 0, &nall);
	nopfn = scan_one_call(_metadata, self->dev, p, n, PAGELAB_SCAN_F_NO_PFN, &nnopfn);
	ASSERT_TRUE(all && nopfn);
	ASSERT_GT(nall, 512U) TH_LOG("%zu runs: fewer than one batch", nall);
	scan_compare(_metadata, self->dev, 0, "cut", (uintptr_t)p, (uintptr_t)p + n * PG,
		     zero_pfn, &c, NULL, NULL);
	EXPECT_EQ(0ULL, c.mismatches);
	scan_runs_never_join(_metadata, p, split, all, nall, nopfn, nnopfn);
	scan_cut_in_batches(_metadata, self->dev, p, n, all, nall);

	/* Masks: the answer's runs of the pages they keep, the others gone. */
	scan_cut_by_masks(_metadata, self->dev, p, n, all, nall);
	free(all);
	free(nopfn);
	EXPECT_EQ(128 + SIGKILL, kill_reap(self, kid));
}

/* The pages of the @n runs at @runs that have all of @cats. */
static size_t scan_pages_with(const struct pagelab_scan_run *runs, uint32_t n, uint64_t cats)
{
	size_t pages = 0;

	for (uint32_t k = 0; k < n; k++)
		if ((runs[k].categories & cats) == cats)
			pages += runs[k].pages;
	return pages;
}

/*
 * A written page whose entry became read-only stays dirty: after a fork
 * (COW) and after mprotect(PROT_READ).  From 6.6 the kernel moves the
 * hardware Dirty bit of a write-protected entry to a software bit
 * (_PAGE_SAVED_DIRTY); pte_dirty() reads both.  Every page shows DIRTY and
 * not WRITE, and masks on DIRTY keep all of them or none.
 */
TEST_F(walk, scan_keeps_dirty_on_read_only_entries)
{
	const size_t n = 8;
	struct pagelab_scan_run runs[16];
	struct pagelab_scan s;
	pid_t kid;
	char *p;

	p = anon_map(self, n * PG, true);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < n; i++)
		wr(p + i * PG, 1);
	kid = fork_waiting_child(self);
	ASSERT_GE(kid, 0);
	ASSERT_EQ(0, mprotect(p + n / 2 * PG, n / 2 * PG, PROT_READ));

	scan_req(&s, p, n, runs, 16);
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(n, scan_pages_with(runs, s.nr_runs, PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_DIRTY))
		TH_LOG("written pages whose entries are read-only now must show DIRTY");
	EXPECT_EQ(0U, scan_pages_with(runs, s.nr_runs, PAGELAB_SCAN_WRITE));
	EXPECT_EQ(n / 2, scan_pages_with(runs, s.nr_runs, PAGELAB_SCAN_COW))
		TH_LOG("the fork's half is COW-shared; the mprotect half is read-only");

	scan_req(&s, p, n, runs, 16);
	s.required = PAGELAB_SCAN_DIRTY;
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(n, scan_pages_with(runs, s.nr_runs, PAGELAB_SCAN_DIRTY));
	scan_req(&s, p, n, runs, 16);
	s.excluded = PAGELAB_SCAN_DIRTY;
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(0U, s.nr_runs);
	EXPECT_EQ(128 + SIGKILL, kill_reap(self, kid));
}

TEST_F(walk, scan_of_others_needs_ptrace_rights_and_shows_no_pfns)
{
	struct perm_report *rep = shared_block(self, sizeof(*rep));
	pid_t pid;

	ASSERT_NE(MAP_FAILED, rep);
	pid = fork_child(self);
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct pagelab_scan_run runs[64];
		struct pagelab_scan s;
		volatile char local[PG] = { 1 };
		uint64_t page = (uintptr_t)local & ~(PG - 1);
		int fd = pl_open(), ret;

		if (fd < 0)
			CHILD_FAIL(rep, 1, -fd, "open as root");
		if (!drop_to_nobody())
			CHILD_FAIL(rep, 2, errno, "setuid 65534");
		s = (struct pagelab_scan){ .size = sizeof(s), .pid = 1, .max_runs = 64,
					   .start = 0x400000, .end = 0x800000,
					   .runs = (uintptr_t)runs };
		ret = pl_scan(fd, &s);
		if (ret != -EPERM)
			CHILD_FAIL(rep, 3, -ret, "scan of pid 1 as 65534: %s, want EPERM",
				   strerror(-ret));
		s = (struct pagelab_scan){ .size = sizeof(s), .pid = 0, .max_runs = 64,
					   .start = page, .end = page + PG,
					   .runs = (uintptr_t)runs };
		ret = pl_scan(fd, &s);
		if (ret || s.nr_runs != 1 || !(runs[0].categories & PAGELAB_SCAN_PRESENT))
			CHILD_FAIL(rep, 4, -ret, "own scan as 65534: %s, %u runs", strerror(-ret),
				   s.nr_runs);
		if (runs[0].pfn)
			CHILD_FAIL(rep, 5, 0, "pfn 0x%llx shown without CAP_SYS_ADMIN",
				   (unsigned long long)runs[0].pfn);
		(void)local[0];
		_exit(0);
	}
	EXPECT_EQ(0, reap(self, pid)) TH_LOG("step %d (%s): %s", rep->step, strerror(rep->err),
					     rep->msg);
}

TEST_F_TIMEOUT(walk, scan_of_hugetlb_pages_matches_pagemap, 120)
{
	const size_t len = 2 * THP_SIZE, n = len / PG;
	uint64_t *cats = calloc(n, 8), zero_pfn;
	struct pagelab_scan_run runs[4];
	struct scan_cmp c = { 0 };
	struct pagelab_scan s;
	const char *why;
	size_t huge = 0;
	char *p;
	int fd;

	ASSERT_NE(NULL, cats);
	ASSERT_EQ(0, pl_zero_pfn(&zero_pfn));
	why = reserve_hugepages(self, 4);
	if (why)
		SKIP(return, "%s", why);
	fd = track_fd(self, memfd_create("pagelab-scan-huge", MFD_CLOEXEC | MFD_HUGETLB));
	if (fd < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, len));
	p = track_map(self, mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), len);
	ASSERT_NE(MAP_FAILED, p);
	/* The first huge page written, the second never touched. */
	wr(p + 5, 7);
	scan_compare(_metadata, self->dev, 0, "hugetlb", (uintptr_t)p, (uintptr_t)p + len,
		     zero_pfn, &c, cats, NULL);
	for (size_t i = 0; i < n; i++) {
		EXPECT_TRUE(!!(cats[i] & PAGELAB_SCAN_HUGETLB)) TH_LOG("page %zu", i);
		huge += (cats[i] & (PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_PMD)) ==
			(PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_PMD);
	}
	TH_LOG("%" PRIu64 " pages compared, %" PRIu64 " present, %" PRIu64 " mismatches",
	       c.pages, c.present, c.mismatches);
	EXPECT_EQ(0ULL, c.mismatches);
	EXPECT_EQ(THP_SIZE / PG, huge);
	/* One huge page, one run: consecutive frames, its index in pages. */
	s = (struct pagelab_scan){ .size = sizeof(s), .max_runs = 4, .start = (uintptr_t)p,
				   .end = (uintptr_t)p + len, .required = PAGELAB_SCAN_PRESENT,
				   .runs = (uintptr_t)runs };
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(1U, s.nr_runs);
	if (s.nr_runs) {
		EXPECT_EQ(THP_SIZE / PG, runs[0].pages);
		EXPECT_EQ(0ULL, runs[0].index);
	}
	free(cats);
}

/*
 * A VMA whose first GiB was never touched (its PUD entry is empty) and
 * whose second has one page: the scan and the range walk must both find
 * the page, not take the empty PUD for the whole VMA.
 */
TEST_F_TIMEOUT(walk, empty_pud_does_not_hide_the_rest_of_the_vma, 120)
{
	const size_t gib = 1UL << 30, len = 3 * gib;
	struct pagelab_scan_run runs[8];
	struct pagelab_scan s;
	struct pl_walk_run wr_runs[8];
	char *r, *q, *answer;
	int n, present = 0;

	r = track_map(self, mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), len);
	ASSERT_NE(MAP_FAILED, r);
	q = (char *)(((uintptr_t)r + gib - 1) & ~(uintptr_t)(gib - 1));
	madvise(q, 2 * gib, MADV_NOHUGEPAGE);
	wr(q + gib + 5 * PG, 1);
	ASSERT_TRUE(pl_pm_present(pm1(0, (uintptr_t)q + gib + 5 * PG)));

	s = (struct pagelab_scan){ .size = sizeof(s), .max_runs = 8, .start = (uintptr_t)q,
				   .end = (uintptr_t)q + 2 * gib, .required = PAGELAB_SCAN_PRESENT,
				   .runs = (uintptr_t)runs };
	ASSERT_EQ(0, pl_scan(self->dev, &s));
	EXPECT_EQ(1U, s.nr_runs) TH_LOG("the scan found %u present runs in [q, q + 2 GiB)",
				       s.nr_runs);
	if (s.nr_runs) {
		EXPECT_EQ((uintptr_t)q + gib + 5 * PG, runs[0].start);
		EXPECT_EQ(1ULL, runs[0].pages);
	}
	EXPECT_EQ((uintptr_t)q + 2 * gib, s.walk_end);

	answer = walk_range(_metadata, getpid(), (uintptr_t)q + gib - 4 * PG,
			    (uintptr_t)q + gib + 8 * PG);
	n = range_runs(_metadata, answer, wr_runs, 8, NULL);
	for (int i = 0; i < n && i < 8; i++)
		present += !wr_runs[i].absent;
	EXPECT_EQ(1, present) TH_LOG("the range walk:\n%s", answer);
	free(answer);
}

TEST_F(walk, cli_scan_lists_runs_in_text_and_json)
{
	char cmd[256], *out = NULL;
	size_t len = 0;
	FILE *f;
	char *p = anon_map(self, 8 * PG, true);

	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < 8; i++)
		wr(p + i * PG, 1);
	snprintf(cmd, sizeof(cmd), "pagelab scan --pid %d 0x%lx 0x%lx --json 2>&1", (int)getpid(),
		 (unsigned long)(uintptr_t)p, (unsigned long)(uintptr_t)p + 8 * PG);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	out = calloc(1, 65536);
	ASSERT_NE(NULL, out);
	len = fread(out, 1, 65535, f);
	EXPECT_EQ(0, pclose(f)) TH_LOG("%s: %s", cmd, out);
	EXPECT_GT(len, 0U);
	EXPECT_NE(NULL, strstr(out, "\"categories\":[\"present\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"pages\":8,")) TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "pagelab scan --require nonsense 2>&1");
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	len = fread(out, 1, 65535, f);
	out[len] = '\0';
	EXPECT_EQ(2, WEXITSTATUS(pclose(f)));
	EXPECT_NE(NULL, strstr(out, "unknown category 'nonsense'")) TH_LOG("%s", out);
	free(out);
}

TEST_HARNESS_MAIN
