// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab mem against the kernel's own accounting: for target processes
 * the tool did not create (anonymous, file, zero page, PROT_NONE, forked,
 * shared, swapped, THP, hugetlbfs, a pagelab object), its totals must
 * equal /proc/PID/smaps_rollup's as this test reads them, and where a
 * kernel rule makes them differ (shmem swap) the difference must be the
 * one the tool names.  A target sleeps in read() while it is measured.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_mem.h"
#include "pl_test_util.h"

#define MiB	(1024UL * 1024)
#define PS	4096UL
#define OUTLEN	(1 << 20)

/* What smaps_rollup says, read here (not by the tool). */
struct rollup {
	uint64_t rss, pss, private_kb, shared, swap, thp, hugetlb;
};

static int read_rollup(pid_t pid, struct rollup *r)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		char key[64];

		if (sscanf(line, "%63[^:]: %llu", key, &v) != 2)
			continue;
		if (!strcmp(key, "Rss"))
			r->rss = v;
		else if (!strcmp(key, "Pss"))
			r->pss = v;
		else if (!strcmp(key, "Private_Clean") || !strcmp(key, "Private_Dirty"))
			r->private_kb += v;
		else if (!strcmp(key, "Shared_Clean") || !strcmp(key, "Shared_Dirty"))
			r->shared += v;
		else if (!strcmp(key, "Swap"))
			r->swap = v;
		else if (!strcmp(key, "AnonHugePages"))
			r->thp = v;
		else if (!strcmp(key, "Private_Hugetlb") || !strcmp(key, "Shared_Hugetlb"))
			r->hugetlb += v;
	}
	fclose(f);
	return 0;
}

/* The number after "@key": at or after @from; false if there is none. */
static bool json_u64(const char *from, const char *key, uint64_t *v)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = from ? strstr(from, pat) : NULL;
	if (!p)
		return false;
	return sscanf(p + strlen(pat), "%" SCNu64, v) == 1;
}

/* The JSON of the mapping starting at @addr in @out, or NULL. */
static const char *json_mapping(const char *out, const void *addr)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "{\"start\":\"0x%" PRIxPTR "\"", (uintptr_t)addr);
	return strstr(out, pat);
}

/* ---- targets: programs that set up memory, say so, and are stopped ------- */

/*
 * A target is this program run again (--target KIND FD): a fresh process
 * sharing no anonymous page with the test, which sets up its memory, tells
 * the test what it made through FD and waits to be stopped (SIGSTOP); it
 * is measured stopped.
 */
struct target {
	pid_t pid;
	pid_t kid;	/* a child it forked, stopped too */
};

/* A mapping a target made, told to the test through the pipe. */
struct made {
	void *a[8];
	pid_t kid;		/* a child the target forked (it waits too) */
	bool in_kid;		/* set in that child: it reports nothing */
	char why[120];		/* non-empty: the target could not set up */
};

typedef void (*setup_fn)(struct made *m);

/* Wait until @pid is stopped (its state in /proc/PID/stat is T): 0, or -1. */
static int wait_stopped(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		char path[64], buf[256];
		const char *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = pl_proc_stat(path, buf, sizeof(buf));
		if (!f)
			return -1;
		if (f[0] == ' ' && f[1] == 'T')
			return 0;
		usleep(10000);
	}
	return -1;
}

/* Run target @kind; *@m gets what it made.  0, or -1. */
static int target_start(struct target *t, const char *kind, struct made *m)
{
	char fdarg[16];
	int ready[2], st;

	memset(m, 0, sizeof(*m));
	if (pipe(ready))
		return -1;
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	if (!t->pid) {
		close(ready[0]);
		snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
		execl("/proc/self/exe", "mem_test", "--target", kind, fdarg, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	if (pl_read_full(ready[0], m, sizeof(*m))) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	t->kid = m->kid > 0 ? m->kid : 0;
	if (kill(t->pid, SIGSTOP) || waitpid(t->pid, &st, WUNTRACED) != t->pid ||
	    !WIFSTOPPED(st))
		return -1;
	if (t->kid && (kill(t->kid, SIGSTOP) || wait_stopped(t->kid)))
		return -1;
	return 0;
}

static void target_stop(struct target *t)
{
	if (t->kid > 0)
		kill(t->kid, SIGKILL);
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	t->pid = 0;
	t->kid = 0;
}

static void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* @len bytes at a 2 MiB boundary (NULL if none). */
static void *map_aligned(size_t len)
{
	unsigned char *p = map_anon(len + 2 * MiB, MAP_PRIVATE);
	uintptr_t a;

	if (!p)
		return NULL;
	a = ((uintptr_t)p + 2 * MiB - 1) & ~(2 * MiB - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((void *)(a + len), (uintptr_t)p + 2 * MiB - a);
	return (void *)a;
}

static void touch(void *p, size_t len, bool write)
{
	for (size_t i = 0; i < len; i += PS) {
		if (write)
			pl_wr((char *)p + i, (unsigned char)(i / PS) | 1);
		else
			(void)pl_rd((char *)p + i);
	}
}

/* Page @len bytes at @p out (MADV_PAGEOUT, up to five tries): pages still present. */
static size_t page_out(void *p, size_t len)
{
	size_t left = len / PS;

	for (int tries = 0; tries < 5 && left; tries++) {
		madvise(p, len, MADV_PAGEOUT);
		left = 0;
		for (size_t i = 0; i < len; i += PS)
			left += pl_pm_present(pl_pm_self((char *)p + i));
	}
	return left;
}

/* ---- measuring --------------------------------------------------------- */

struct meas {
	char *out;
	uint64_t rss, pss, uss, shared, swap, zero, object, stored, hugetlb, thp, marker;
	struct rollup snap;	/* smaps_rollup as the tool read it, after its count */
	struct rollup k;	/* read by this test, after the tool */
	uint64_t swap_explained, changed;
	int rc;
};

/* The tool's copy of smaps_rollup, from its answer. */
static bool json_rollup(const char *out, struct rollup *r)
{
	const char *k = strstr(out, "\"smaps_rollup\":{");

	memset(r, 0, sizeof(*r));
	return k && json_u64(k, "rss_kb", &r->rss) && json_u64(k, "pss_kb", &r->pss) &&
	       json_u64(k, "private_kb", &r->private_kb) && json_u64(k, "shared_kb", &r->shared) &&
	       json_u64(k, "swap_kb", &r->swap) && json_u64(k, "hugetlb_kb", &r->hugetlb) &&
	       json_u64(k, "anon_huge_kb", &r->thp);
}

/*
 * "pagelab mem --pid PID --json @extra" on a stopped target: its totals
 * must equal smaps_rollup as the tool read it at the end of its count (Pss
 * and Private move with other processes' map counts: the same snapshot),
 * Swap apart from what it explains; and that copy must agree with this
 * test's own read wherever other processes cannot move it (Rss, Swap,
 * AnonHugePages, hugetlb).  Again only if the tool saw the target change
 * (up to three tries).  True if all agreed.
 */
static bool measure(struct __test_metadata *_metadata, pid_t pid, const char *extra,
		    struct meas *m)
{
	char args[128];
	bool same = false;

	snprintf(args, sizeof(args), "mem --pid %d --json %s", (int)pid, extra);
	for (int tries = 0; tries < 3; tries++) {
		const char *d;

		m->rc = pl_run_cli(args, m->out, OUTLEN);
		if (m->rc || read_rollup(pid, &m->k)) {
			TH_LOG("pagelab %s: exit %d: %.300s", args, m->rc, m->out);
			return false;
		}
		if (!pl_json_valid(m->out)) {
			TH_LOG("not JSON: %.300s", m->out);
			return false;
		}
		if (!json_u64(m->out, "rss_kb", &m->rss) || !json_u64(m->out, "uss_kb", &m->uss) ||
		    !json_u64(m->out, "shared_kb", &m->shared) ||
		    !json_u64(m->out, "swap_kb", &m->swap) || !json_u64(m->out, "zero_kb", &m->zero) ||
		    !json_u64(m->out, "object_kb", &m->object) ||
		    !json_u64(m->out, "stored_kb", &m->stored) ||
		    !json_u64(m->out, "hugetlb_kb", &m->hugetlb) ||
		    !json_u64(m->out, "thp_kb", &m->thp) || !json_u64(m->out, "pss_kb", &m->pss) ||
		    !json_u64(m->out, "marker_kb", &m->marker) || !json_rollup(m->out, &m->snap)) {
			TH_LOG("no totals in: %.300s", m->out);
			return false;
		}
		m->changed = strstr(m->out, "\"changed\":true") != NULL;
		m->swap_explained = 0;
		d = strstr(m->out, "\"figure\":\"Swap\"");
		if (d)
			json_u64(d, "explained_kb", &m->swap_explained);
		same = m->rss == m->snap.rss && m->pss == m->snap.pss &&
		       m->uss == m->snap.private_kb && m->shared == m->snap.shared &&
		       m->swap + m->swap_explained == m->snap.swap && m->thp == m->snap.thp &&
		       m->hugetlb == m->snap.hugetlb && m->snap.rss == m->k.rss &&
		       m->snap.swap == m->k.swap && m->snap.thp == m->k.thp &&
		       m->snap.hugetlb == m->k.hugetlb;
		if (same || !m->changed)
			break;
	}
	if (!same) {
		/* The text: each mapping that differs has smaps' figures below it. */
		char text[64], *buf = malloc(OUTLEN);

		TH_LOG("ours rss %" PRIu64 " pss %" PRIu64 " uss %" PRIu64 " shared %" PRIu64
		       " swap %" PRIu64 "+%" PRIu64 " thp %" PRIu64 " hugetlb %" PRIu64
		       "; the tool's smaps_rollup %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %"
		       PRIu64 " %" PRIu64 " %" PRIu64 "; ours %" PRIu64 " %" PRIu64 " %" PRIu64
		       " %" PRIu64 " (rss swap thp hugetlb); changed %d", m->rss, m->pss, m->uss,
		       m->shared, m->swap, m->swap_explained, m->thp, m->hugetlb, m->snap.rss,
		       m->snap.pss, m->snap.private_kb, m->snap.shared, m->snap.swap, m->snap.thp,
		       m->snap.hugetlb, m->k.rss, m->k.swap, m->k.thp, m->k.hugetlb,
		       (int)m->changed);
		snprintf(text, sizeof(text), "mem --pid %d", (int)pid);
		if (buf && pl_run_cli(text, buf, OUTLEN) >= 0)
			TH_LOG("%s", buf);
		free(buf);
	}
	return same;
}

/* A key of the mapping at @addr in the last measurement. */
static long long area_kb(struct __test_metadata *_metadata, const struct meas *m,
			 const void *addr, const char *key)
{
	const char *a = json_mapping(m->out, addr);
	uint64_t v = ~0ULL;

	EXPECT_NE(NULL, a) TH_LOG("no mapping at %p in the answer", addr);
	if (a)
		EXPECT_TRUE(json_u64(a, key, &v));
	if (a && !_metadata->passed)
		TH_LOG("%.500s", a);
	return (long long)v;
}

static bool ksm_set(const char *name, long v);

FIXTURE(mem) {
	struct target t[2];
	char args[160];
	struct meas m;
	bool swapoff;
	char thp_was[32];
	long hugepages_was;
	long ksm_was;
};

FIXTURE_SETUP(mem)
{
	int fd;

	/* Nothing to put back, whatever ends the setup. */
	self->hugepages_was = -1;
	self->ksm_was = -1;
	fd = pl_open();
	if (fd < 0)
		SKIP(return, "no %s: %s", PAGELAB_DEVICE, pl_open_hint(fd));
	close(fd);
	if (geteuid())
		SKIP(return, "pagelab mem's PSS needs root");
	self->m.out = malloc(OUTLEN);
	ASSERT_NE(NULL, self->m.out);
}

FIXTURE_TEARDOWN(mem)
{
	for (int i = 0; i < 2; i++)
		target_stop(&self->t[i]);
	free(self->m.out);
	if (self->swapoff)
		EXPECT_EQ(0, system("swapoff /dev/zram0 >/dev/null 2>&1"));
	if (self->thp_was[0]) {
		FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "we");

		if (f) {
			fputs(self->thp_was, f);
			fclose(f);
		}
	}
	if (self->hugepages_was >= 0)
		EXPECT_TRUE(pl_set_nr_hugepages(self->hugepages_was));
	/* ksmd as it was (the target is gone: nothing is left merged). */
	if (self->ksm_was >= 0)
		EXPECT_TRUE(ksm_set("run", self->ksm_was));
}

/* Anonymous pages written, pages read (the zero page), a file read, PROT_NONE. */
static void setup_plain(struct made *m)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;

	m->a[0] = map_anon(2 * MiB, MAP_PRIVATE);
	m->a[2] = map_anon(64 * PS, MAP_PRIVATE);
	if (!m->a[0] || !m->a[2] || size <= 0) {
		snprintf(m->why, sizeof(m->why), "setup: %s", strerror(errno));
		return;
	}
	madvise(m->a[0], 2 * MiB, MADV_NOHUGEPAGE);
	touch(m->a[0], 256 * PS, true);
	touch((char *)m->a[0] + 256 * PS, 128 * PS, false);
	m->a[1] = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m->a[1] == MAP_FAILED) {
		m->a[1] = NULL;
		snprintf(m->why, sizeof(m->why), "mmap of the executable failed");
		return;
	}
	touch(m->a[1], (size_t)size & ~(PS - 1), false);
	touch(m->a[2], 16 * PS, true);
	mprotect(m->a[2], 64 * PS, PROT_NONE);
}

TEST_F(mem, plain_process_equals_smaps_rollup)
{
	struct made made;

	ASSERT_EQ(0, target_start(&self->t[0], "plain", &made));
	ASSERT_STREQ("", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	/* The anonymous region: 256 pages written, 128 read (the zero page). */
	EXPECT_EQ(1024, area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
	EXPECT_EQ(1024, area_kb(_metadata, &self->m, made.a[0], "uss_kb"));
	EXPECT_EQ(512, area_kb(_metadata, &self->m, made.a[0], "zero_kb"));
	EXPECT_EQ(2048, area_kb(_metadata, &self->m, made.a[0], "vsz_kb"));
	/* PROT_NONE pages stay resident, and counted. */
	EXPECT_EQ(64, area_kb(_metadata, &self->m, made.a[2], "rss_kb"));
	/* The file: read-only, mapped by this test too (its own executable). */
	EXPECT_LT(0, area_kb(_metadata, &self->m, made.a[1], "rss_kb"));
	EXPECT_LE(512ULL, self->m.zero);
}

/* a[0]: 1 MiB private anonymous (4 KiB pages), a[1]: 1 MiB shared; both written. */
static bool setup_pair(struct made *m)
{
	m->a[0] = map_anon(MiB, MAP_PRIVATE);
	m->a[1] = map_anon(MiB, MAP_SHARED);
	if (!m->a[0] || !m->a[1]) {
		snprintf(m->why, sizeof(m->why), "setup: %s", strerror(errno));
		return false;
	}
	madvise(m->a[0], MiB, MADV_NOHUGEPAGE);
	touch(m->a[0], MiB, true);
	touch(m->a[1], MiB, true);
	return true;
}

/* A private region and a shared one, written, then fork: both sleep. */
static void setup_forked(struct made *m)
{
	int done[2];
	char c;

	if (!setup_pair(m))
		return;
	if (pipe(done)) {
		snprintf(m->why, sizeof(m->why), "pipe: %s", strerror(errno));
		return;
	}
	m->kid = fork();
	if (!m->kid) {
		/* Gone with the target, should the test be killed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* fork() copies no entries of a shared mapping: it faults them in. */
		touch(m->a[1], MiB, false);
		m->in_kid = true;
		if (write(done[1], "k", 1) != 1)
			_exit(1);
	} else if (m->kid < 0) {
		snprintf(m->why, sizeof(m->why), "fork: %s", strerror(errno));
	} else if (close(done[1]) || read(done[0], &c, 1) != 1) {
		snprintf(m->why, sizeof(m->why), "the child did not set up");
	}
}

TEST_F(mem, forked_and_shared_equal_smaps_rollup)
{
	pid_t who[2];
	struct made made;
	const char *a, *p, *end;
	char pat[48];

	ASSERT_EQ(0, target_start(&self->t[0], "forked", &made));
	ASSERT_STREQ("", made.why);
	who[0] = self->t[0].pid;
	who[1] = made.kid;
	for (int i = 0; i < 2; i++) {
		EXPECT_TRUE(measure(_metadata, who[i], "", &self->m)) TH_LOG("pid %d", (int)who[i]);
		for (int r = 0; r < 2; r++) {
			/* Two processes map each frame: half each, none their own. */
			EXPECT_EQ(1024, area_kb(_metadata, &self->m, made.a[r], "rss_kb"));
			EXPECT_EQ(512, area_kb(_metadata, &self->m, made.a[r], "pss_kb"));
			EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[r], "uss_kb"));
			EXPECT_EQ(1024, area_kb(_metadata, &self->m, made.a[r], "shared_kb"));
		}
	}
	/* --shared-with names the other process and its mapping. */
	ASSERT_TRUE(measure(_metadata, who[0], "--shared-with", &self->m));
	a = json_mapping(self->m.out, made.a[0]);
	ASSERT_NE(NULL, a);
	a = strstr(a, "\"shared_with\":[");
	ASSERT_NE(NULL, a);
	end = strchr(a, ']');
	ASSERT_NE(NULL, end);
	/* The private region's list alone: the child, its copy of the region, all of it. */
	snprintf(pat, sizeof(pat), "{\"pid\":%d,", (int)who[1]);
	p = strstr(a, pat);
	EXPECT_TRUE(p && p < end) TH_LOG("%.400s", a);
	if (p && p < end) {
		uint64_t kb = 0;

		EXPECT_TRUE(json_u64(p, "kb", &kb));
		EXPECT_EQ(1024ULL, kb) TH_LOG("%.400s", a);
	}
}

/* Anonymous pages and shmem pages, written, half of each paged out. */
static void setup_swapped(struct made *m)
{
	if (!setup_pair(m))
		return;
	if (page_out(m->a[0], MiB / 2) || page_out(m->a[1], MiB / 2))
		snprintf(m->why, sizeof(m->why), "MADV_PAGEOUT left pages present");
}

TEST_F(mem, swapped_pages_equal_smaps_rollup_and_shmem_swap_is_named)
{
	struct made made;
	const char *why;

	why = pl_zram_swap_on(&self->swapoff);
	if (why)
		SKIP(return, "no swap: %s", why);
	ASSERT_EQ(0, target_start(&self->t[0], "swapped", &made));
	ASSERT_STREQ("", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	/* Anonymous: swap entries in the page tables. */
	EXPECT_EQ(512, area_kb(_metadata, &self->m, made.a[0], "swap_kb"));
	EXPECT_EQ(512, area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
	/* shmem: no entry in the page tables; the kernel reads the file's count. */
	EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[1], "swap_kb"));
	EXPECT_EQ(512, area_kb(_metadata, &self->m, made.a[1], "rss_kb"));
	EXPECT_EQ(512ULL, self->m.swap_explained);
	EXPECT_NE(NULL, strstr(self->m.out, "shmem/tmpfs mapping's Swap"));
}

/* Set THP to at least "madvise" for the test; false if it cannot be. */
static bool thp_madvise(char *was, size_t len)
{
	const char *path = "/sys/kernel/mm/transparent_hugepage/enabled";
	char line[128];
	FILE *f = fopen(path, "re");

	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	if (!strstr(line, "[never]"))
		return true;
	f = fopen(path, "we");
	if (!f)
		return false;
	snprintf(was, len, "never");
	fputs("madvise", f);
	return !fclose(f);
}

/* 4 MiB of THP written; 2 MiB of THP read (the huge zero page, where used). */
static void setup_thp(struct made *m)
{
	m->a[0] = map_aligned(4 * MiB);
	m->a[1] = map_aligned(2 * MiB);
	if (!m->a[0] || !m->a[1]) {
		snprintf(m->why, sizeof(m->why), "setup: %s", strerror(errno));
		return;
	}
	madvise(m->a[0], 4 * MiB, MADV_HUGEPAGE);
	madvise(m->a[1], 2 * MiB, MADV_HUGEPAGE);
	touch(m->a[0], 4 * MiB, true);
	touch(m->a[1], 2 * MiB, false);
}

/* THP reads map the huge zero page (use_zero_page). */
static bool use_huge_zero(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/use_zero_page", "re");
	int v = 1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 1;
		fclose(f);
	}
	return v;
}

TEST_F(mem, thp_equals_smaps_rollup)
{
	struct made made;
	long long thp;

	if (!thp_madvise(self->thp_was, sizeof(self->thp_was)))
		SKIP(return, "no transparent huge pages here");
	ASSERT_EQ(0, target_start(&self->t[0], "thp", &made));
	ASSERT_STREQ("", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	/* Decided by the kernel's own count, not the tool's. */
	if (!self->m.k.thp)
		SKIP(return, "no huge page was allocated (memory too fragmented?)");
	thp = area_kb(_metadata, &self->m, made.a[0], "thp_kb");
	EXPECT_EQ(0, thp % 2048);
	EXPECT_EQ(4096, area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
	if (use_huge_zero()) {
		/* Reads mapped the huge zero page: in no RSS. */
		EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[1], "rss_kb"));
		EXPECT_EQ(2048, area_kb(_metadata, &self->m, made.a[1], "zero_kb"));
	} else {
		EXPECT_EQ(2048, area_kb(_metadata, &self->m, made.a[1], "rss_kb"));
	}
}

/* 2 MiB of hugetlbfs, written. */
static void setup_hugetlb(struct made *m)
{
	m->a[0] = map_anon(2 * MiB, MAP_PRIVATE | MAP_HUGETLB);
	if (!m->a[0]) {
		snprintf(m->why, sizeof(m->why), "MAP_HUGETLB: %s", strerror(errno));
		return;
	}
	touch(m->a[0], 2 * MiB, true);
}

TEST_F(mem, hugetlb_is_apart_as_in_smaps_rollup)
{
	struct made made;
	long was = pl_nr_hugepages();

	if (was < 0 || !pl_set_nr_hugepages(was + 2))
		SKIP(return, "no hugetlbfs pages here");
	self->hugepages_was = was;
	ASSERT_EQ(0, target_start(&self->t[0], "hugetlb", &made));
	if (made.why[0])
		SKIP(return, "%s", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	EXPECT_EQ(2048, area_kb(_metadata, &self->m, made.a[0], "hugetlb_kb"));
	EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
}

/* A pagelab object of 64 pages: 32 written, 8 more read. */
static void setup_object(struct made *m)
{
	int dev = pl_open(), fd = -1, ret = dev;

	if (dev >= 0)
		ret = pl_create(dev, 64 * PS, 0, 0600, "mem-test", &fd, NULL);
	if (ret < 0) {
		snprintf(m->why, sizeof(m->why), "pl_create: %s", strerror(-ret));
		return;
	}
	m->a[0] = mmap(NULL, 64 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m->a[0] == MAP_FAILED) {
		snprintf(m->why, sizeof(m->why), "mmap: %s", strerror(errno));
		return;
	}
	touch(m->a[0], 32 * PS, true);
	touch((char *)m->a[0] + 32 * PS, 8 * PS, false);
}

/*
 * A huge pagelab object (PAGELAB_CREATE_HUGE) of 4 MiB: its first 2 MiB
 * written through one PMD leaf (a[0], mapped at a 2 MiB boundary), 16
 * pages of the second 2 MiB through a 1 MiB mapping of it (a[1]: 4 KiB
 * pages).  Both mappings are VM_PFNMAP, which smaps leaves out.
 */
static void setup_huge_object(struct made *m)
{
	const size_t two = 2UL << 20;
	int dev = pl_open(), fd = -1, ret = dev;
	char *r;

	if (dev >= 0)
		ret = pl_create(dev, 2 * two, PAGELAB_CREATE_HUGE, 0600, "mem-test", &fd, NULL);
	if (ret < 0) {
		snprintf(m->why, sizeof(m->why), "pl_create: %s", strerror(-ret));
		return;
	}
	r = mmap(NULL, 3 * two, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		snprintf(m->why, sizeof(m->why), "mmap: %s", strerror(errno));
		return;
	}
	m->a[0] = mmap((void *)(((uintptr_t)r + two - 1) & ~(two - 1)), two,
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	m->a[1] = mmap(NULL, two / 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)two);
	if (m->a[0] == MAP_FAILED || m->a[1] == MAP_FAILED) {
		snprintf(m->why, sizeof(m->why), "mmap: %s", strerror(errno));
		return;
	}
	touch(m->a[0], two, true);
	touch(m->a[1], 16 * PS, true);
}

/* The module maps the zero page into shared writable mappings (before 6.10). */
static bool shared_zero(void)
{
	struct pagelab_version v;
	int fd = pl_open();
	bool yes;

	yes = fd >= 0 && !pl_version(fd, &v) && (v.features & PAGELAB_FEAT_SHARED_ZERO);
	if (fd >= 0)
		close(fd);
	return yes;
}

TEST_F(mem, pagelab_object_equals_smaps_rollup)
{
	struct made made;

	ASSERT_EQ(0, target_start(&self->t[0], "object", &made));
	ASSERT_STREQ("", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	if (shared_zero()) {
		/* Reads of holes mapped the zero page: in no RSS. */
		EXPECT_EQ(128, area_kb(_metadata, &self->m, made.a[0], "object_kb"));
		EXPECT_EQ(32, area_kb(_metadata, &self->m, made.a[0], "zero_kb"));
	} else {
		/* 6.10 on: each read of a hole in a shared writable mapping got a frame. */
		EXPECT_EQ(160, area_kb(_metadata, &self->m, made.a[0], "object_kb"));
		EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[0], "zero_kb"));
	}
	EXPECT_EQ(area_kb(_metadata, &self->m, made.a[0], "object_kb"),
		  area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
}

/*
 * A huge object's mappings are VM_PFNMAP: smaps counts nothing under its
 * special PMD leaves, and neither does mem's RSS (they show as pfnmap_kb
 * and object_kb); its 4 KiB entries are ordinary, counted by both.
 */
TEST_F(mem, huge_object_counted_apart_as_smaps_does)
{
	struct made made;

	ASSERT_EQ(0, target_start(&self->t[0], "huge_object", &made));
	if (strstr(made.why, "pl_create: Operation not supported"))
		SKIP(return, "no huge objects on this kernel (6.12 on)");
	ASSERT_STREQ("", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	EXPECT_EQ(2048, area_kb(_metadata, &self->m, made.a[0], "pfnmap_kb"));
	EXPECT_EQ(2048, area_kb(_metadata, &self->m, made.a[0], "object_kb"));
	EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
	EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[1], "pfnmap_kb"));
	EXPECT_EQ(64, area_kb(_metadata, &self->m, made.a[1], "rss_kb"));
	EXPECT_EQ(64, area_kb(_metadata, &self->m, made.a[1], "object_kb"));
	EXPECT_NE(NULL, strstr(self->m.out, "\"pfnmap_kb\":2048"));
}

/* "pagelab mem --pid @pid" as nobody: its exit code, its output in @out. */
static int run_as_nobody(pid_t pid, char *out, size_t len)
{
	char arg[16];
	int p[2];
	size_t n;
	pid_t kid;

	snprintf(arg, sizeof(arg), "%d", (int)pid);
	if (pipe(p))
		return -1;
	kid = fork();
	if (kid < 0)
		return -1;
	if (!kid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (setgid(65534) || setuid(65534))
			_exit(100);
		execlp("pagelab", "pagelab", "mem", "--pid", arg, (char *)NULL);
		_exit(101);
	}
	close(p[1]);
	n = 0;
	for (;;) {
		ssize_t r = read(p[0], out + n, len - 1 - n);

		if (r <= 0 || (n += (size_t)r) == len - 1)
			break;
	}
	out[n] = '\0';
	close(p[0]);
	return pl_reap(kid);
}

/*
 * Shared anonymous memory (shmem) written, write-protected through
 * userfaultfd, then half dropped: a dropped write-protected entry of a
 * file becomes a marker, which pagemap shows as swap and smaps counts
 * nowhere.
 */
static void setup_markers(struct made *m)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	int uffd;

	m->a[0] = map_anon(MiB, MAP_SHARED);
	if (!m->a[0]) {
		snprintf(m->why, sizeof(m->why), "setup: %s", strerror(errno));
		return;
	}
	touch(m->a[0], MiB, true);
	/* Left open: the registration lives as long as the target. */
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		snprintf(m->why, sizeof(m->why), "userfaultfd with WP on shmem: %s",
			 strerror(errno));
		return;
	}
	reg.range.start = (uintptr_t)m->a[0];
	reg.range.len = MiB;
	wp.range = reg.range;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) || ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) {
		snprintf(m->why, sizeof(m->why), "UFFDIO_REGISTER/WRITEPROTECT: %s",
			 strerror(errno));
		return;
	}
	if (madvise(m->a[0], MiB / 2, MADV_DONTNEED))
		snprintf(m->why, sizeof(m->why), "MADV_DONTNEED: %s", strerror(errno));
}

TEST_F(mem, uffd_wp_markers_are_not_swap)
{
	struct made made;

	ASSERT_EQ(0, target_start(&self->t[0], "markers", &made));
	if (!strncmp(made.why, "userfaultfd", 11))
		SKIP(return, "%s", made.why);
	ASSERT_STREQ("", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	EXPECT_EQ(512, area_kb(_metadata, &self->m, made.a[0], "marker_kb"));
	EXPECT_EQ(0, area_kb(_metadata, &self->m, made.a[0], "swap_kb"));
	EXPECT_EQ(512, area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
	/* The scan itself names them (ABI 1.9): swap, and not swap. */
	snprintf(self->args, sizeof(self->args), "scan --pid %d 0x%lx 0x%lx --require not-swap",
		 (int)self->t[0].pid, (unsigned long)made.a[0],
		 (unsigned long)made.a[0] + MiB / 2);
	EXPECT_EQ(0, pl_run_cli(self->args, self->m.out, OUTLEN)) TH_LOG("%s", self->m.out);
	EXPECT_NE(NULL, strstr(self->m.out, " 128 pages, ")) TH_LOG("%s", self->m.out);
}

/* A /sys/kernel/mm/ksm counter, or -1. */
static long ksm_counter(const char *name)
{
	char path[96];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Write @v to /sys/kernel/mm/ksm/@name: true if written. */
static bool ksm_set(const char *name, long v)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	f = fopen(path, "we");
	if (!f)
		return false;
	fprintf(f, "%ld\n", v);
	return !fclose(f);
}

/*
 * 1 MiB of identical pages offered to KSM (ksmd is running): the target
 * reports once KSM shares them, so one KSM page is mapped 256 times here.
 */
static void setup_ksm(struct made *m)
{
	long base = ksm_counter("pages_sharing");

	m->a[0] = map_anon(MiB, MAP_PRIVATE);
	if (!m->a[0] || base < 0) {
		snprintf(m->why, sizeof(m->why), "setup: %s", strerror(errno));
		return;
	}
	madvise(m->a[0], MiB, MADV_NOHUGEPAGE);
	memset(m->a[0], 0x5a, MiB);
	if (madvise(m->a[0], MiB, MADV_MERGEABLE)) {
		snprintf(m->why, sizeof(m->why), "KSM: MADV_MERGEABLE: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 300 && ksm_counter("pages_sharing") < base + 255; i++)
		usleep(100000);
	if (ksm_counter("pages_sharing") < base + 255)
		snprintf(m->why, sizeof(m->why), "KSM: ksmd merged too few pages in 30 s");
}

TEST_F(mem, ksm_pages_equal_smaps_rollup)
{
	struct made made;
	long was = ksm_counter("run");

	if (was < 0)
		SKIP(return, "no KSM here");
	/* The teardown puts it back. */
	self->ksm_was = was;
	ASSERT_TRUE(ksm_set("run", 1));
	ASSERT_EQ(0, target_start(&self->t[0], "ksm", &made));
	if (!strncmp(made.why, "KSM:", 4))
		SKIP(return, "%s", made.why);
	ASSERT_STREQ("", made.why);
	EXPECT_TRUE(measure(_metadata, self->t[0].pid, "", &self->m));
	/* One frame (or a few) mapped 256 times: all shared, PSS a page or so. */
	EXPECT_EQ(1024, area_kb(_metadata, &self->m, made.a[0], "rss_kb"));
	EXPECT_EQ(1024, area_kb(_metadata, &self->m, made.a[0], "shared_kb"));
	EXPECT_GE(8, area_kb(_metadata, &self->m, made.a[0], "pss_kb"));
}

TEST_F(mem, bad_input_gets_a_clear_line)
{
	char args[96];
	pid_t gone;

	/* A pid that was, and is no more. */
	gone = fork();
	ASSERT_LE(0, gone);
	if (!gone)
		_exit(0);
	ASSERT_EQ(0, pl_reap(gone));
	snprintf(args, sizeof(args), "mem --pid %d", (int)gone);
	EXPECT_EQ(1, pl_run_cli(args, self->m.out, OUTLEN));
	EXPECT_NE(NULL, strstr(self->m.out, "no process")) TH_LOG("%s", self->m.out);
	/* A kernel thread. */
	EXPECT_EQ(1, pl_run_cli("mem --pid 2", self->m.out, OUTLEN));
	EXPECT_NE(NULL, strstr(self->m.out, "no memory map")) TH_LOG("%s", self->m.out);
	EXPECT_EQ(2, pl_run_cli("mem --pid nope", self->m.out, OUTLEN));
	EXPECT_EQ(2, pl_run_cli("mem --bogus", self->m.out, OUTLEN));
	EXPECT_EQ(2, pl_run_cli("mem --pid", self->m.out, OUTLEN));
	/* nobody: the device is root's, and the tool says so. */
	EXPECT_EQ(1, run_as_nobody(getpid(), self->m.out, OUTLEN));
	EXPECT_NE(NULL, strstr(self->m.out, "/dev/pagelab")) TH_LOG("%s", self->m.out);
}

TEST_F(mem, not_root_gives_rss_and_no_pss)
{
	struct pl_mem m;
	char why[192];
	int fd = pl_open(), st[2];
	pid_t kid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(st));
	kid = fork();
	ASSERT_LE(0, kid);
	if (!kid) {
		struct rollup k;
		pid_t sleeper;
		char c;
		int r = 0;

		/* The device stays open; the frames and map counts do not. */
		if (setgid(65534) || setuid(65534))
			_exit(10);
		/* A uid change leaves the process undumpable: unreadable even to itself. */
		prctl(PR_SET_DUMPABLE, 1);
		/* nobody's own process, asleep while measured. */
		sleeper = fork();
		if (!sleeper) {
			close(st[1]);
			while (read(st[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		usleep(100000);
		for (int tries = 0; tries < 3; tries++) {
			if (pl_mem_measure(fd, sleeper, 0, &m, why, sizeof(why))) {
				fprintf(stderr, "pl_mem_measure as nobody: %s\n", why);
				_exit(11);
			}
			if (read_rollup(sleeper, &k))
				_exit(12);
			r = m.pss_known ? 13 : m.total.pages[PL_MEM_RSS] == 0 ? 14 :
			    m.total.pages[PL_MEM_RSS] * 4 != k.rss ? 15 :
			    m.total.pages[PL_MEM_USS] * 4 != k.private_kb ? 16 : 0;
			pl_mem_free(&m);
			if (!r)
				break;
		}
		kill(sleeper, SIGKILL);
		/* Root's process (the test's): smaps_rollup is not nobody's to read. */
		if (!r && !pl_mem_measure(fd, getppid(), 0, &m, why, sizeof(why)))
			r = 17;
		else if (!r && !strstr(why, "not allowed"))
			r = 18;
		if (r)
			fprintf(stderr, "not root: %d: %s\n", r, why);
		_exit(r);
	}
	close(st[0]);
	close(st[1]);
	EXPECT_EQ(0, pl_reap(kid));
	close(fd);
}

TEST_F(mem, demo_runs_and_checks_itself)
{
	EXPECT_EQ(0, pl_run_cli("mem --demo", self->m.out, OUTLEN)) TH_LOG("%s", self->m.out);
	EXPECT_EQ(NULL, strstr(self->m.out, "CHECK FAILED")) TH_LOG("%s", self->m.out);
	EXPECT_NE(NULL, strstr(self->m.out, "What you see")) TH_LOG("%s", self->m.out);
}

TEST_F(mem, huge_shows_one_fault_per_2mib_and_splits)
{
	EXPECT_EQ(0, pl_run_cli("huge", self->m.out, OUTLEN)) TH_LOG("%s", self->m.out);
	EXPECT_EQ(NULL, strstr(self->m.out, "CHECK FAILED")) TH_LOG("%s", self->m.out);
	if (strstr(self->m.out, "no huge page was mapped") && _metadata->passed)
		SKIP(return, "no transparent huge page here");
	EXPECT_NE(NULL, strstr(self->m.out, "PMD leaf, 2 MiB, PS bit set")) TH_LOG("%s",
										  self->m.out);
	EXPECT_EQ(0, pl_run_cli("bench huge --reps 3", self->m.out, OUTLEN)) TH_LOG("%s",
										    self->m.out);
	EXPECT_NE(NULL, strstr(self->m.out, "RATIO huge_vs_small ")) TH_LOG("%s", self->m.out);
	EXPECT_EQ(0, pl_run_cli("bench huge --reps 2 --json", self->m.out, OUTLEN));
	EXPECT_TRUE(pl_json_valid(self->m.out)) TH_LOG("%s", self->m.out);
	EXPECT_EQ(2, pl_run_cli("huge --mib 3", self->m.out, OUTLEN));
	EXPECT_NE(NULL, strstr(self->m.out, "even number")) TH_LOG("%s", self->m.out);
	EXPECT_EQ(2, pl_run_cli("huge --bogus", self->m.out, OUTLEN));
}

static const struct {
	const char *kind;
	setup_fn fn;
} targets[] = {
	{ "plain", setup_plain }, { "forked", setup_forked }, { "swapped", setup_swapped },
	{ "thp", setup_thp }, { "hugetlb", setup_hugetlb }, { "object", setup_object },
	{ "markers", setup_markers }, { "ksm", setup_ksm }, { "huge_object", setup_huge_object },
};

/* mem_test --target KIND FD: set up, report through FD, wait to be stopped and killed. */
static int target_main(const char *kind, int fd)
{
	struct made m = { .kid = 0 };

	/* Gone with the test, should it be killed before its teardown. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		if (strcmp(kind, targets[i].kind))
			continue;
		targets[i].fn(&m);
		if (!m.in_kid && pl_write_full(fd, &m, sizeof(m)))
			return 1;
		close(fd);
		for (;;)
			pause();
	}
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--target"))
		return target_main(argv[2], atoi(argv[3]));
	return test_harness_run(argc, argv);
}
