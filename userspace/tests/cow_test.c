// SPDX-License-Identifier: GPL-2.0
/*
 * cow_test - copy-on-write in pagelab: MAP_PRIVATE mappings of objects,
 * snapshots (PAGELAB_IOC_CLONE), merging (PAGELAB_IOC_MERGE), and their
 * counters.  Runs in the guest against the loaded module, as root
 * (kselftest harness).
 *
 * cow_matrix is the cow.c matrix (tools/testing/selftests/mm/cow.c):
 * {a MAP_PRIVATE mapping of an object, a snapshot (the parent maps the
 * original MAP_SHARED, the child the clone)} x {the parent writes, the child
 * writes} x {an mprotect RO->RW round trip before the write, or not} x
 * {page resident and mapped before fork, or not yet faulted}, one variant
 * each: two pipes order parent and child, one writes, the other compares.
 * cow_chain destroys a three-deep chain of snapshots in each of the six
 * orders; the cow fixture holds the rest.
 *
 * Every fixture checks in its teardown that the module is back where it
 * was: objects and pages held as before the test, allocated - freed ==
 * held, the zero page still zero.  Children never use ASSERT/EXPECT: they
 * report with their exit status (CHILD_CHECK) or through shared memory,
 * and the parent checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

#define MiB		(1024UL * 1024)
#define RW		(PROT_READ | PROT_WRITE)

/* What every fixture holds: the device, the baseline, what to clean up. */
struct env {
	int dev;
	size_t ps;
	uint64_t zero_pfn;
	struct pagelab_info before;
	struct pl_track t;
	bool restore_max_pages;
	unsigned long long saved_max_pages;
	bool shared_zero;	/* PAGELAB_FEAT_SHARED_ZERO */
};

/* ---- helpers (no ASSERTs unless they take _metadata) -------------------- */

/*
 * The frame the process reaches at @p: read first, since clone, merge and
 * COW breaks remove PTEs and a page is mapped again only when touched.
 */
static uint64_t pfn_of(const void *p)
{
	(void)pl_rd(p);
	return pl_pfn_self(p);
}

/* Every byte of @len at @p is @v. */
static bool all_bytes(const void *p, unsigned char v, size_t len)
{
	const volatile unsigned char *q = p;

	for (size_t i = 0; i < len; i++)
		if (q[i] != v)
			return false;
	return true;
}

/* A new object of @pages pages: its fd (tracked) or -errno. */
static int obj_new(struct env *e, size_t pages, __u64 flags, __u32 mode, const char *name,
		   __u64 *id)
{
	return pl_track_create(&e->t, e->dev, (__u64)pages * e->ps, flags, mode, name, id);
}

static unsigned char *obj_map(struct env *e, int fd, size_t pages, int prot, int flags)
{
	size_t len = pages * e->ps;

	return pl_track_map(&e->t, mmap(NULL, len, prot, flags, fd, 0), len);
}

/*
 * Where reads of object @id go: @m itself (its read-write shared mapping of
 * @pages pages) where the kernel maps the zero page in writable shared
 * mappings, else (6.10 on) a read-only mapping of a read-only attach, which
 * never can be written: a read of a never-written page there still maps the
 * zero page instead of taking a frame.  Its fd is closed at once, so the
 * object lives as long as its mappings.  MAP_FAILED on failure.
 */
static unsigned char *obj_read_view(struct env *e, __u64 id, unsigned char *m, size_t pages)
{
	size_t len = pages * e->ps;
	void *r;
	int ro;

	if (e->shared_zero || m == MAP_FAILED)
		return m;
	if (pl_attach(e->dev, id, PAGELAB_ATTACH_RDONLY, &ro))
		return MAP_FAILED;
	r = mmap(NULL, len, PROT_READ, MAP_SHARED, ro, 0);
	close(ro);
	return pl_track_map(&e->t, r, len);
}

/* Clone @id through /dev/pagelab: the new fd (tracked) or -errno; the answer in @cl. */
static int obj_clone(struct env *e, __u64 id, struct pagelab_clone *cl)
{
	int ret = pl_clone(e->dev, id, 0, "cow-test", cl);

	return ret ? ret : pl_track_fd(&e->t, cl->fd);
}

/* In a child: drop to nobody (uid and gid 65534, no groups): 0 or -1. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return -1;
	if (geteuid() != 65534 || getegid() != 65534)
		return -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a credential change cleared it */
	return 0;
}

/* Spin (yielding) until *@v reaches @want: false after 60 s. */
static bool wait_for(volatile int *v, int want)
{
	time_t t0 = time(NULL);

	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		sched_yield();
		if (time(NULL) - t0 > 60)
			return false;
	}
	return true;
}

static void bump(volatile int *v)
{
	__atomic_add_fetch(v, 1, __ATOMIC_ACQ_REL);
}

/* In a child: give up with @code unless @cond. */
#define CHILD_CHECK(cond, code) do { if (!(cond)) _exit(code); } while (0)

#define STAT(fd, st) ASSERT_EQ(0, pl_obj_stat((fd), 0, &(st)))
#define INFO(i) ASSERT_EQ(0, pl_info(e->dev, &(i)))

/*
 * /dev/zram0 with a disk size of 16M or more and not in use as swap (the
 * tests write to it), or a reason it cannot be had.
 */
static const char *zram_ready(void)
{
	unsigned long long size;
	const char *why = pl_zram_ready("16M", &size);
	char line[256];
	FILE *f;

	if (!why && size && size < 16 * MiB)
		why = "zram0 is smaller than 16M";
	f = fopen("/proc/swaps", "re");
	if (!why && f)
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "/dev/zram0 ", 11))
				why = "zram0 is in use as swap";
	if (f)
		fclose(f);
	return why;
}

/* ---- the fixtures' setup and teardown ----------------------------------- */

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	struct pagelab_version v;
	int ret;

	e->dev = pl_open();
	ASSERT_GE(e->dev, 0) TH_LOG("%s", pl_open_hint(e->dev));
	e->ps = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, pl_version(e->dev, &v));
	ASSERT_NE(0ULL, v.features & PAGELAB_FEAT_COW)
		TH_LOG("the module (ABI %u.%u) does not offer copy-on-write", v.abi_major,
		       v.abi_minor);
	e->shared_zero = v.features & PAGELAB_FEAT_SHARED_ZERO;
	ASSERT_EQ(0, pl_info(e->dev, &e->before));
	ASSERT_EQ(e->before.pages_allocated - e->before.pages_freed, e->before.pages_held);
	ret = pl_zero_pfn(&e->zero_pfn);
	ASSERT_EQ(0, ret) TH_LOG("no zero page PFN from pagemap (%s): run as root",
				 strerror(-ret));
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	pl_track_kill_kids(&e->t);
	pl_track_release(&e->t);
	/* No ASSERT here: in this harness an ASSERT in teardown runs it again. */
	if (e->restore_max_pages) {
		EXPECT_EQ(0, pl_param_write("max_pages", e->saved_max_pages));
	}
	pl_expect_held_as_before(_metadata, e->dev, &e->before);
	EXPECT_TRUE(pl_zero_page_clean(e->ps)) TH_LOG("the shared zero page was written");
	close(e->dev);
}

/* ==== the cow.c matrix ==================================================== */

enum { MX_PRIVATE, MX_SNAPSHOT };

FIXTURE(cow_matrix) {
	struct env e;
};

FIXTURE_VARIANT(cow_matrix) {
	int kind;		/* MX_PRIVATE or MX_SNAPSHOT */
	bool child_writes;	/* else the parent writes */
	bool mprotect;		/* the writer does mprotect RO then RW first */
	bool resident;		/* mapped in the parent before fork; else faulted after */
};

#define MX_VARIANT(name, k, c, m, r)						\
	FIXTURE_VARIANT_ADD(cow_matrix, name) {					\
		.kind = k, .child_writes = c, .mprotect = m, .resident = r,	\
	}

MX_VARIANT(private_parent_writes_resident, MX_PRIVATE, false, false, true);
MX_VARIANT(private_parent_writes_unfaulted, MX_PRIVATE, false, false, false);
MX_VARIANT(private_parent_writes_after_mprotect_resident, MX_PRIVATE, false, true, true);
MX_VARIANT(private_parent_writes_after_mprotect_unfaulted, MX_PRIVATE, false, true, false);
MX_VARIANT(private_child_writes_resident, MX_PRIVATE, true, false, true);
MX_VARIANT(private_child_writes_unfaulted, MX_PRIVATE, true, false, false);
MX_VARIANT(private_child_writes_after_mprotect_resident, MX_PRIVATE, true, true, true);
MX_VARIANT(private_child_writes_after_mprotect_unfaulted, MX_PRIVATE, true, true, false);
MX_VARIANT(snapshot_parent_writes_resident, MX_SNAPSHOT, false, false, true);
MX_VARIANT(snapshot_parent_writes_unfaulted, MX_SNAPSHOT, false, false, false);
MX_VARIANT(snapshot_parent_writes_after_mprotect_resident, MX_SNAPSHOT, false, true, true);
MX_VARIANT(snapshot_parent_writes_after_mprotect_unfaulted, MX_SNAPSHOT, false, true, false);
MX_VARIANT(snapshot_child_writes_resident, MX_SNAPSHOT, true, false, true);
MX_VARIANT(snapshot_child_writes_unfaulted, MX_SNAPSHOT, true, false, false);
MX_VARIANT(snapshot_child_writes_after_mprotect_resident, MX_SNAPSHOT, true, true, true);
MX_VARIANT(snapshot_child_writes_after_mprotect_unfaulted, MX_SNAPSHOT, true, true, false);

FIXTURE_SETUP(cow_matrix)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(cow_matrix)
{
	env_teardown(_metadata, &self->e);
}

#define SEED_ORIG	0x11
#define SEED_PARENT	0x22
#define SEED_CHILD	0x33

/* One side's view of the page, before and after the write. */
struct mx_view {
	uint64_t pfn_before;
	uint64_t pfn_after;
	int32_t before_ok;	/* the original data */
	int32_t after_ok;	/* its own write, or still the original */
};

/* The writer: the optional mprotect round trip, then a whole-page write. */
static int mx_write(void *page, size_t ps, bool round_trip, unsigned int seed)
{
	if (round_trip && (mprotect(page, ps, PROT_READ) || mprotect(page, ps, RW)))
		return -1;
	pl_fill(page, ps, seed);
	return 0;
}

/*
 * The child: read the page, wait for the parent, write it if the child is
 * the writer, and send its view back.  Never returns.
 */
static void mx_child(const FIXTURE_VARIANT(cow_matrix) *variant, size_t ps, unsigned char *pmap,
		     unsigned char *cmap, const int p2c[2], const int c2p[2])
{
	const bool snap = variant->kind == MX_SNAPSHOT;
	const bool cw = variant->child_writes;
	struct mx_view cv = { 0 };
	char c;

	close(p2c[1]);
	close(c2p[0]);
	if (snap)
		munmap(pmap, ps);	/* the child uses the clone only */
	/* Not yet faulted: this read maps it, read-only. */
	cv.before_ok = pl_page_is(cmap, ps, SEED_ORIG);
	cv.pfn_before = pfn_of(cmap);
	CHILD_CHECK(!pl_write_full(c2p[1], "r", 1), 2);
	CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 3);
	if (cw) {
		CHILD_CHECK(!mx_write(cmap, ps, variant->mprotect, SEED_CHILD), 4);
		cv.after_ok = pl_page_is(cmap, ps, SEED_CHILD);
	} else {
		cv.after_ok = pl_page_is(cmap, ps, SEED_ORIG);
	}
	cv.pfn_after = pfn_of(cmap);
	CHILD_CHECK(!pl_write_full(c2p[1], &cv, sizeof(cv)), 5);
	_exit(0);
}

/* Check both views: the data each side saw, and which frames moved. */
static void mx_check_views(struct __test_metadata *_metadata, struct env *e,
			   const struct mx_view *pv, const struct mx_view *cv, bool cw)
{
	/* Data: both saw the original; the write stayed with the writer. */
	EXPECT_TRUE(pv->before_ok);
	EXPECT_TRUE(cv->before_ok);
	EXPECT_TRUE(pv->after_ok) TH_LOG("%s", cw ? "the child's write leaked into the parent" :
						    "the parent lost its write");
	EXPECT_TRUE(cv->after_ok) TH_LOG("%s", cw ? "the child lost its write" :
						    "the parent's write leaked into the child");
	/* Frames: one before the write, two after; the writer's moved. */
	EXPECT_NE(0ULL, (unsigned long long)pv->pfn_before) TH_LOG("no PFN: not root?");
	EXPECT_NE(e->zero_pfn, pv->pfn_before);
	EXPECT_EQ(pv->pfn_before, cv->pfn_before) TH_LOG("not one frame before the write");
	EXPECT_NE(pv->pfn_after, cv->pfn_after) TH_LOG("still one frame after the write");
	if (cw) {
		EXPECT_NE(cv->pfn_before, cv->pfn_after);
		EXPECT_EQ(pv->pfn_before, pv->pfn_after) TH_LOG("the reader lost its frame");
	} else {
		EXPECT_NE(pv->pfn_before, pv->pfn_after);
		EXPECT_EQ(cv->pfn_before, cv->pfn_after) TH_LOG("the reader lost its frame");
	}
}

TEST_F(cow_matrix, no_leak_and_a_new_frame)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	const bool snap = variant->kind == MX_SNAPSHOT;
	const bool cw = variant->child_writes;
	struct pagelab_obj_stat so, sc;
	struct pagelab_clone cl = { .fd = -1 };
	struct pagelab_info i0, i1;
	struct mx_view pv = { 0 }, cv = { 0 };
	unsigned char *shared, *pmap, *cmap, *view;
	int p2c[2], c2p[2], fd, cfd = -1;
	__u64 id;
	pid_t pid;
	char c;

	fd = obj_new(e, 1, 0, 0, "mx", &id);
	ASSERT_GE(fd, 0);
	shared = obj_map(e, fd, 1, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, shared);
	pl_fill(shared, ps, SEED_ORIG);		/* the object's page is resident */
	if (snap) {
		cfd = obj_clone(e, id, &cl);
		ASSERT_GE(cfd, 0) TH_LOG("PAGELAB_IOC_CLONE: %s", strerror(-cfd));
		EXPECT_EQ(1ULL, cl.shared);
		EXPECT_EQ(0ULL, cl.copied);
		pmap = shared;			/* the parent: the original */
		cmap = obj_map(e, cfd, 1, RW, MAP_SHARED);	/* the child: the clone */
		EXPECT_FALSE(pl_pm_present(pl_pm_self(shared))) TH_LOG("the clone left a PTE");
	} else {
		pmap = cmap = obj_map(e, fd, 1, RW, MAP_PRIVATE);
	}
	ASSERT_NE(MAP_FAILED, cmap);
	if (variant->resident) {
		(void)pl_rd(pmap);
		(void)pl_rd(cmap);
		ASSERT_TRUE(pl_pm_present(pl_pm_self(pmap)));
		ASSERT_TRUE(pl_pm_present(pl_pm_self(cmap)));
	} else {
		ASSERT_FALSE(pl_pm_present(pl_pm_self(pmap)));
		ASSERT_FALSE(pl_pm_present(pl_pm_self(cmap)));
	}
	INFO(i0);
	ASSERT_EQ(0, pl_track_pipe(&e->t, p2c));
	ASSERT_EQ(0, pl_track_pipe(&e->t, c2p));

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid)
		mx_child(variant, ps, pmap, cmap, p2c, c2p);
	pl_track_close(&e->t, p2c[0]);
	pl_track_close(&e->t, c2p[1]);
	if (snap)
		pl_track_unmap(&e->t, cmap);		/* the parent uses the original only */
	ASSERT_EQ(0, pl_read_full(c2p[0], &c, 1)) TH_LOG("child: %d", pl_track_reap(&e->t, pid));
	pv.before_ok = pl_page_is(pmap, ps, SEED_ORIG);
	pv.pfn_before = pfn_of(pmap);
	if (!cw) {
		ASSERT_EQ(0, mx_write(pmap, ps, variant->mprotect, SEED_PARENT));
	}
	ASSERT_EQ(0, pl_write_full(p2c[1], "w", 1));
	ASSERT_EQ(0, pl_read_full(c2p[0], &cv, sizeof(cv))) TH_LOG("child: %d", pl_track_reap(&e->t, pid));
	EXPECT_EQ(0, pl_track_reap(&e->t, pid)) TH_LOG("the child's exit status is the step that failed");
	pv.after_ok = pl_page_is(pmap, ps, cw ? SEED_ORIG : SEED_PARENT);
	pv.pfn_after = pfn_of(pmap);

	mx_check_views(_metadata, e, &pv, &cv, cw);

	INFO(i1);
	STAT(fd, so);
	EXPECT_EQ(1ULL, so.resident);
	if (!snap) {
		/* The object: never written; the copy was the kernel's. */
		EXPECT_TRUE(pl_page_is(shared, ps, SEED_ORIG)) TH_LOG("the object was written");
		EXPECT_EQ(pv.pfn_before, pfn_of(shared));
		EXPECT_EQ(0ULL, so.cow_breaks);
		EXPECT_EQ(0ULL, so.private_cow) TH_LOG("a copy of a mapped page reached pagelab");
		EXPECT_EQ(i0.pages_held, i1.pages_held);
		return;
	}
	/* Snapshot: one COW break, in the writer's object only. */
	STAT(cfd, sc);
	EXPECT_EQ(1ULL, sc.resident);
	EXPECT_EQ(cw ? 1ULL : 0ULL, sc.cow_breaks);
	EXPECT_EQ(cw ? 0ULL : 1ULL, so.cow_breaks);
	EXPECT_EQ(cw ? (__u64)ps : 0ULL, sc.cow_bytes);
	EXPECT_EQ(cw ? 0ULL : (__u64)ps, so.cow_bytes);
	EXPECT_EQ(0ULL, so.shared);
	EXPECT_EQ(0ULL, sc.shared);
	EXPECT_EQ(1ULL, sc.clone_shared);
	EXPECT_EQ(i0.pages_held + 1, i1.pages_held);
	/* The child is gone; what it wrote into the clone stays there. */
	view = obj_map(e, cfd, 1, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, view);
	EXPECT_TRUE(pl_page_is(view, ps, cw ? SEED_CHILD : SEED_ORIG));
	EXPECT_EQ(cv.pfn_after, pfn_of(view));
}

/* ==== a chain of three snapshots, destroyed in every order ================ */

#define CH_PAGES	8

FIXTURE(cow_chain) {
	struct env e;
};

FIXTURE_VARIANT(cow_chain) {
	const char *order;	/* of 'a' (the original), 'b' (its clone), 'c' (b's clone) */
};

FIXTURE_VARIANT_ADD(cow_chain, a_b_c) { .order = "abc" };
FIXTURE_VARIANT_ADD(cow_chain, a_c_b) { .order = "acb" };
FIXTURE_VARIANT_ADD(cow_chain, b_a_c) { .order = "bac" };
FIXTURE_VARIANT_ADD(cow_chain, b_c_a) { .order = "bca" };
FIXTURE_VARIANT_ADD(cow_chain, c_a_b) { .order = "cab" };
FIXTURE_VARIANT_ADD(cow_chain, c_b_a) { .order = "cba" };

FIXTURE_SETUP(cow_chain)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(cow_chain)
{
	env_teardown(_metadata, &self->e);
}

/*
 * The model: for each object and page, which frame (a label, 0 for none)
 * and which data (a seed, 0 for zeros) it should have.
 */
struct chain {
	int fd[3];
	__u64 id[3];
	unsigned char *m[3];
	unsigned char *r[3];	/* obj_read_view() of m */
	bool alive[3];
	int label[3][CH_PAGES];
	unsigned int seed[3][CH_PAGES];
	__u64 breaks[3];
	__u64 clone_shared[3];
};

/* Write @seed over page @pg of object @x, which gets frame @label. */
static void chain_write(struct env *e, struct chain *c, int x, int pg, unsigned int seed,
			int label, bool is_break)
{
	pl_fill(c->m[x] + pg * e->ps, e->ps, seed);
	c->seed[x][pg] = seed;
	c->label[x][pg] = label;
	if (is_break)
		c->breaks[x]++;
}

static void chain_check(struct __test_metadata *_metadata, struct env *e, struct chain *c,
			const char *stage)
{
	const size_t ps = e->ps;
	uint64_t pfn[3][CH_PAGES];
	bool seen[64] = { false };
	struct pagelab_obj_stat st;
	struct pagelab_info info;
	__u64 frames = 0;

	for (int x = 0; x < 3; x++) {
		__u64 resident = 0, shared = 0;

		if (!c->alive[x])
			continue;
		for (int pg = 0; pg < CH_PAGES; pg++) {
			int l = c->label[x][pg];

			EXPECT_TRUE(pl_page_is(c->r[x] + pg * ps, ps, c->seed[x][pg]))
				TH_LOG("%s: %c page %d holds the wrong data", stage, 'a' + x, pg);
			pfn[x][pg] = pfn_of(c->r[x] + pg * ps);
			if (!l)
				continue;
			resident++;
			if (!seen[l]) {
				seen[l] = true;
				frames++;
			}
			for (int y = 0; y < 3; y++)
				if (y != x && c->alive[y] && c->label[y][pg] == l) {
					shared++;
					break;
				}
		}
		ASSERT_EQ(0, pl_obj_stat(c->fd[x], 0, &st));
		EXPECT_EQ(resident, st.resident) TH_LOG("%s: %c resident", stage, 'a' + x);
		EXPECT_EQ(shared, st.shared) TH_LOG("%s: %c shared", stage, 'a' + x);
		EXPECT_EQ(c->breaks[x], st.cow_breaks) TH_LOG("%s: %c cow_breaks", stage, 'a' + x);
		EXPECT_EQ(c->breaks[x] * ps, st.cow_bytes) TH_LOG("%s: %c cow_bytes", stage, 'a' + x);
		EXPECT_EQ(c->clone_shared[x], st.clone_shared)
			TH_LOG("%s: %c clone_shared", stage, 'a' + x);
		EXPECT_EQ(0ULL, st.clone_copied);
	}
	/* Frames: the same label is the same PFN, another label another PFN. */
	for (int x = 0; x < 3; x++)
		for (int pg = 0; pg < CH_PAGES; pg++) {
			if (!c->alive[x])
				continue;
			if (!c->label[x][pg]) {
				EXPECT_EQ(e->zero_pfn, pfn[x][pg])
					TH_LOG("%s: %c page %d: not the zero page", stage, 'a' + x, pg);
				continue;
			}
			EXPECT_NE(0ULL, (unsigned long long)pfn[x][pg]);
			for (int y = x + 1; y < 3; y++) {
				if (!c->alive[y] || !c->label[y][pg])
					continue;
				if (c->label[x][pg] == c->label[y][pg]) {
					EXPECT_EQ(pfn[x][pg], pfn[y][pg])
						TH_LOG("%s: page %d: %c and %c share a frame",
						       stage, pg, 'a' + x, 'a' + y);
				} else {
					EXPECT_NE(pfn[x][pg], pfn[y][pg])
						TH_LOG("%s: page %d: %c and %c have their own",
						       stage, pg, 'a' + x, 'a' + y);
				}
			}
		}
	ASSERT_EQ(0, pl_info(e->dev, &info));
	EXPECT_EQ(e->before.pages_held + frames, info.pages_held)
		TH_LOG("%s: one page held per distinct frame", stage);
}

/*
 * Object @x (its fd in c->fd[x]) is a clone of @from (6 pages written), as
 * @cl says: check the answer, map it, give it @from's model, check all.
 */
static void chain_cloned(struct __test_metadata *_metadata, struct env *e, struct chain *c,
			 int x, int from, const struct pagelab_clone *cl, const char *stage)
{
	c->id[x] = cl->id;
	EXPECT_EQ(6ULL, cl->shared);
	EXPECT_EQ(0ULL, cl->copied);
	c->m[x] = obj_map(e, c->fd[x], CH_PAGES, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, c->m[x]);
	c->r[x] = obj_read_view(e, c->id[x], c->m[x], CH_PAGES);
	ASSERT_NE(MAP_FAILED, c->r[x]);
	c->alive[x] = true;
	memcpy(c->label[x], c->label[from], sizeof(c->label[from]));
	memcpy(c->seed[x], c->seed[from], sizeof(c->seed[from]));
	c->clone_shared[x] = 6;
	chain_check(_metadata, e, c, stage);
}

TEST_F(cow_chain, destroy_in_order)
{
	struct env *e = &self->e;
	struct pagelab_clone cl;
	struct pagelab_info info;
	struct chain c;
	char stage[64];

	memset(&c, 0, sizeof(c));
	/* a: pages 0-5 written (frames 1-6), 6-7 never. */
	c.fd[0] = obj_new(e, CH_PAGES, 0, 0, "chain-a", &c.id[0]);
	ASSERT_GE(c.fd[0], 0);
	c.m[0] = obj_map(e, c.fd[0], CH_PAGES, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, c.m[0]);
	c.r[0] = obj_read_view(e, c.id[0], c.m[0], CH_PAGES);
	ASSERT_NE(MAP_FAILED, c.r[0]);
	c.alive[0] = true;
	for (int pg = 0; pg < 6; pg++)
		chain_write(e, &c, 0, pg, 1 + pg, 1 + pg, false);
	chain_check(_metadata, e, &c, "a alone");

	/* b = clone of a, through the device. */
	c.fd[1] = obj_clone(e, c.id[0], &cl);
	ASSERT_GE(c.fd[1], 0) TH_LOG("PAGELAB_IOC_CLONE: %s", strerror(-c.fd[1]));
	EXPECT_GT(cl.id, c.id[0]);
	chain_cloned(_metadata, e, &c, 1, 0, &cl, "b cloned");

	/* A write in a: its page 0 gets frame 7. */
	chain_write(e, &c, 0, 0, 11, 7, true);

	/* c = clone of b, through b's fd (src_id 0: that object). */
	ASSERT_EQ(0, pl_clone(c.fd[1], 0, 0, "chain-c", &cl));
	c.fd[2] = pl_track_fd(&e->t, cl.fd);
	chain_cloned(_metadata, e, &c, 2, 1, &cl, "c cloned");

	/* Writes at every level: b page 1, c page 2, and c's never-written page 6. */
	chain_write(e, &c, 1, 1, 12, 8, true);
	chain_write(e, &c, 2, 2, 13, 9, true);
	chain_write(e, &c, 2, 6, 14, 10, false);
	chain_check(_metadata, e, &c, "after the writes");

	for (const char *o = variant->order; *o; o++) {
		int x = *o - 'a';

		if (c.r[x] != c.m[x])
			pl_track_unmap(&e->t, c.r[x]);
		pl_track_unmap(&e->t, c.m[x]);
		pl_track_close(&e->t, c.fd[x]);
		c.alive[x] = false;
		snprintf(stage, sizeof(stage), "%s, %c destroyed", variant->order, *o);
		chain_check(_metadata, e, &c, stage);
	}
	ASSERT_EQ(0, pl_info(e->dev, &info));
	EXPECT_EQ(e->before.pages_held, info.pages_held);
	EXPECT_EQ(e->before.objects, info.objects);
}

/* ==== everything else ===================================================== */

FIXTURE(cow) {
	struct env e;
};

FIXTURE_SETUP(cow)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(cow)
{
	env_teardown(_metadata, &self->e);
}

/* ---- MAP_PRIVATE --------------------------------------------------------- */

TEST_F(cow, private_writes_leave_the_object_alone)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat s0, st;
	struct pagelab_info i0, i1;
	unsigned char *s, *p, *v;
	uint64_t f0, f2;
	__u64 id;
	int fd;

	/* No fault-around: a read must map only the page it touched. */
	fd = obj_new(e, 4, PAGELAB_CREATE_NO_FAULT_AROUND, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	s = obj_map(e, fd, 4, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s);
	v = obj_read_view(e, id, s, 4);	/* reads of the object's pages */
	ASSERT_NE(MAP_FAILED, v);
	pl_fill(s, ps, 1);
	pl_fill(s + 2 * ps, ps, 3);
	f0 = pfn_of(s);
	f2 = pfn_of(s + 2 * ps);
	p = obj_map(e, fd, 4, RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	STAT(fd, s0);
	INFO(i0);
	EXPECT_EQ(2ULL, s0.resident);
	EXPECT_EQ(0ULL, s0.private_cow);

	/* A read maps the object's own frame. */
	EXPECT_TRUE(pl_page_is(p, ps, 1));
	EXPECT_EQ(f0, pfn_of(p));
	EXPECT_FALSE(pl_pm_present(pl_pm_self(p + 2 * ps))) TH_LOG("fault-around is off");

	/* A write to a page the object never had, no PTE: no object page. */
	pl_wr(p + ps + 9, 0x77);
	STAT(fd, st);
	EXPECT_EQ(1ULL, st.private_cow);
	EXPECT_EQ(2ULL, st.resident) TH_LOG("a private write created an object page");
	EXPECT_EQ(s0.allocs, st.allocs);
	EXPECT_EQ(0x77, pl_rd(p + ps + 9));
	EXPECT_TRUE(pl_page_is(v + ps, ps, 0)) TH_LOG("the private write reached the object");
	EXPECT_EQ(e->zero_pfn, pfn_of(v + ps));
	EXPECT_NE(e->zero_pfn, pfn_of(p + ps));

	/* A write to a resident page, no PTE: a private copy; the object untouched. */
	pl_wr(p + 2 * ps, 0x55);
	STAT(fd, st);
	EXPECT_EQ(2ULL, st.private_cow);
	EXPECT_EQ(2ULL, st.resident);
	EXPECT_EQ(0x55, pl_rd(p + 2 * ps));
	EXPECT_TRUE(pl_page_is(s + 2 * ps, ps, 3));
	EXPECT_EQ(f2, pfn_of(s + 2 * ps));
	EXPECT_NE(f2, pfn_of(p + 2 * ps));

	/*
	 * Writes to pages this mapping maps already (the object's page 0, the
	 * zero page at page 3): the kernel copies, pagelab is not asked.
	 */
	pl_wr(p + 5, 0x66);
	EXPECT_EQ(0, pl_rd(p + 3 * ps));
	pl_wr(p + 3 * ps, 0x44);
	STAT(fd, st);
	EXPECT_EQ(2ULL, st.private_cow) TH_LOG("a copy of a mapped page reached pagelab");
	EXPECT_EQ(2ULL, st.resident);
	EXPECT_EQ(0ULL, st.cow_breaks);
	EXPECT_TRUE(pl_page_is(s, ps, 1));
	EXPECT_TRUE(pl_page_is(v + 3 * ps, ps, 0));
	EXPECT_EQ(f0, pfn_of(s));
	EXPECT_NE(f0, pfn_of(p));
	EXPECT_EQ(0x66, pl_rd(p + 5));
	EXPECT_EQ(0x44, pl_rd(p + 3 * ps));
	INFO(i1);
	EXPECT_EQ(i0.pages_held, i1.pages_held) TH_LOG("private copies are not pagelab's");
}

/*
 * O_DIRECT from zram into a MAP_PRIVATE pagelab buffer, after fork, in one
 * process: GUP for write breaks COW for that process; the other keeps the
 * object's frames and data, and so does the object.
 */
static void o_direct_after_fork(struct __test_metadata *_metadata, struct env *e, bool in_child)
{
	const size_t n = 8, ps = e->ps, len = n * ps;
	struct pagelab_obj_stat s0, st;
	struct pagelab_info i0, i1;
	uint64_t pfns[8];
	unsigned char *s, *p, *zbuf;
	int fd, bfd, p2c[2], c2p[2];
	const char *why;
	pid_t pid;
	char c;

	why = zram_ready();
	if (why)
		SKIP(return, "%s", why);
	bfd = open("/dev/zram0", O_RDWR | O_DIRECT | O_CLOEXEC);
	if (bfd < 0)
		SKIP(return, "open /dev/zram0 O_DIRECT: %s", strerror(errno));
	pl_track_fd(&e->t, bfd);
	ASSERT_EQ(0, posix_memalign((void **)&zbuf, ps, len));
	for (size_t i = 0; i < n; i++)
		pl_fill(zbuf + i * ps, ps, 0x80 + i);
	ASSERT_EQ((ssize_t)len, pwrite(bfd, zbuf, len, 0)) TH_LOG("%s", strerror(errno));
	free(zbuf);

	fd = obj_new(e, n, 0, 0, NULL, NULL);
	ASSERT_GE(fd, 0);
	s = obj_map(e, fd, n, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, s);
	p = obj_map(e, fd, n, RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < n; i++)
		pl_fill(s + i * ps, ps, 0x40 + i);
	for (size_t i = 0; i < n; i++) {
		ASSERT_TRUE(pl_page_is(p + i * ps, ps, 0x40 + i));
		pfns[i] = pfn_of(s + i * ps);
		ASSERT_EQ(pfns[i], pfn_of(p + i * ps));
	}
	STAT(fd, s0);
	INFO(i0);
	ASSERT_EQ(0, pl_track_pipe(&e->t, p2c));
	ASSERT_EQ(0, pl_track_pipe(&e->t, c2p));

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(p2c[1]);
		close(c2p[0]);
		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 2);
		if (in_child) {
			CHILD_CHECK(pread(bfd, p, len, 0) == (ssize_t)len, 3);
			for (size_t i = 0; i < n; i++) {
				CHILD_CHECK(pl_page_is(p + i * ps, ps, 0x80 + i), 4);
				CHILD_CHECK(pfn_of(p + i * ps) != pfns[i], 5);
			}
		} else {
			for (size_t i = 0; i < n; i++) {
				CHILD_CHECK(pl_page_is(p + i * ps, ps, 0x40 + i), 6);
				CHILD_CHECK(pfn_of(p + i * ps) == pfns[i], 7);
			}
		}
		for (size_t i = 0; i < n; i++)
			CHILD_CHECK(pl_page_is(s + i * ps, ps, 0x40 + i), 8);
		CHILD_CHECK(!pl_write_full(c2p[1], "d", 1), 9);
		_exit(0);
	}
	pl_track_close(&e->t, p2c[0]);
	pl_track_close(&e->t, c2p[1]);
	if (!in_child) {
		ASSERT_EQ((ssize_t)len, pread(bfd, p, len, 0)) TH_LOG("%s", strerror(errno));
		for (size_t i = 0; i < n; i++) {
			EXPECT_TRUE(pl_page_is(p + i * ps, ps, 0x80 + i)) TH_LOG("page %zu", i);
			EXPECT_NE(pfns[i], pfn_of(p + i * ps)) TH_LOG("page %zu: no copy", i);
		}
	}
	ASSERT_EQ(0, pl_write_full(p2c[1], "g", 1));
	EXPECT_EQ(0, pl_read_full(c2p[0], &c, 1));
	EXPECT_EQ(0, pl_track_reap(&e->t, pid)) TH_LOG("the child's exit status is the step that failed");
	if (in_child) {
		for (size_t i = 0; i < n; i++) {
			EXPECT_TRUE(pl_page_is(p + i * ps, ps, 0x40 + i))
				TH_LOG("page %zu: the child's O_DIRECT read leaked", i);
			EXPECT_EQ(pfns[i], pfn_of(p + i * ps));
		}
	}
	for (size_t i = 0; i < n; i++) {
		EXPECT_TRUE(pl_page_is(s + i * ps, ps, 0x40 + i)) TH_LOG("the object, page %zu", i);
		EXPECT_EQ(pfns[i], pfn_of(s + i * ps));
	}
	STAT(fd, st);
	EXPECT_EQ((__u64)n, st.resident);
	EXPECT_EQ(s0.allocs, st.allocs);
	EXPECT_EQ(0ULL, st.cow_breaks);
	EXPECT_EQ(s0.private_cow, st.private_cow) TH_LOG("every page was mapped: the kernel's COW");
	INFO(i1);
	EXPECT_EQ(i0.pages_held, i1.pages_held);
	EXPECT_TRUE(pl_zero_page_clean(ps));
}

TEST_F_TIMEOUT(cow, o_direct_into_private_buffer_in_parent_after_fork, 120)
{
	o_direct_after_fork(_metadata, &self->e, false);
}

TEST_F_TIMEOUT(cow, o_direct_into_private_buffer_in_child_after_fork, 120)
{
	o_direct_after_fork(_metadata, &self->e, true);
}

/* ---- clone --------------------------------------------------------------- */

/* The counters of @sa and of its new clone @sb: 5 pages shared, none copied. */
static void clone_check_stats(struct __test_metadata *_metadata, const struct pagelab_obj_stat *sa,
			      const struct pagelab_obj_stat *sb)
{
	EXPECT_EQ(sa->size, sb->size);
	EXPECT_EQ(5ULL, sa->resident);
	EXPECT_EQ(5ULL, sb->resident);
	EXPECT_EQ(5ULL, sa->shared);
	EXPECT_EQ(5ULL, sb->shared);
	EXPECT_EQ(5ULL, sb->clone_shared);
	EXPECT_EQ(0ULL, sb->clone_copied);
	EXPECT_EQ(0ULL, sa->clone_shared);
	EXPECT_EQ(0ULL, sb->cow_breaks + sb->cow_bytes + sa->cow_breaks + sa->cow_bytes);
	EXPECT_EQ(0ULL, sb->allocs);
	EXPECT_EQ(0600U, sb->mode) TH_LOG("mode 0 means 0600");
	EXPECT_EQ((__u32)geteuid(), sb->uid);
	EXPECT_EQ(sa->fault_around_pages, sb->fault_around_pages);
	EXPECT_STREQ("cow-test", sb->name);
}

TEST_F(cow, clone_shares_every_resident_frame)
{
	struct env *e = &self->e;
	const size_t ps = e->ps, n = 8;
	struct pagelab_obj_stat sa, sb;
	struct pagelab_clone cl;
	struct pagelab_info i0, i1;
	unsigned char *a, *b, *ra, *rb;
	uint64_t pfns[8];
	__u64 id;
	int fd, cfd;

	fd = obj_new(e, n, 0, 0640, "clone-src", &id);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, n, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	for (size_t i = 0; i < 5; i++) {
		pl_fill(a + i * ps, ps, 0x60 + i);
		pfns[i] = pfn_of(a + i * ps);
	}
	/* Reads go through ra (a itself, or a read-only view: obj_read_view()). */
	ra = obj_read_view(e, id, a, n);
	ASSERT_NE(MAP_FAILED, ra);
	EXPECT_TRUE(pl_page_is(ra + 6 * ps, ps, 0));	/* a zero-page PTE */
	INFO(i0);

	cfd = obj_clone(e, id, &cl);
	ASSERT_GE(cfd, 0) TH_LOG("PAGELAB_IOC_CLONE: %s", strerror(-cfd));
	EXPECT_EQ(5ULL, cl.shared);
	EXPECT_EQ(0ULL, cl.copied);
	EXPECT_GT(cl.id, id);
	EXPECT_EQ(0U, cl.pad);
	EXPECT_NE(0, fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(cfd, F_GETFL) & O_ACCMODE);
	INFO(i1);
	EXPECT_EQ(i0.pages_held, i1.pages_held) TH_LOG("a clone copied");
	EXPECT_EQ(i0.objects + 1, i1.objects);
	/* Both objects' mappings lost their PTEs: the next write must trap. */
	for (size_t i = 0; i < n; i++) {
		EXPECT_FALSE(pl_pm_present(pl_pm_self(a + i * ps))) TH_LOG("page %zu still mapped", i);
	}

	ASSERT_EQ(0, pl_obj_stat(fd, 0, &sa));
	ASSERT_EQ(0, pl_obj_stat(cfd, 0, &sb));
	clone_check_stats(_metadata, &sa, &sb);

	/* The same frames, the same data; never-written pages stay absent. */
	b = obj_map(e, cfd, n, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	rb = obj_read_view(e, cl.id, b, n);
	ASSERT_NE(MAP_FAILED, rb);
	for (size_t i = 0; i < n; i++) {
		unsigned int seed = i < 5 ? 0x60 + i : 0;

		EXPECT_TRUE(pl_page_is(rb + i * ps, ps, seed)) TH_LOG("page %zu", i);
		EXPECT_TRUE(pl_page_is(ra + i * ps, ps, seed)) TH_LOG("page %zu", i);
		EXPECT_EQ(i < 5 ? pfns[i] : e->zero_pfn, pfn_of(rb + i * ps)) TH_LOG("page %zu", i);
		EXPECT_EQ(pfn_of(ra + i * ps), pfn_of(rb + i * ps)) TH_LOG("page %zu", i);
	}
	/* A first write to a page neither has: an allocation, not a break. */
	pl_fill(b + 6 * ps, ps, 0x70);
	ASSERT_EQ(0, pl_obj_stat(cfd, 0, &sb));
	EXPECT_EQ(6ULL, sb.resident);
	EXPECT_EQ(0ULL, sb.cow_breaks);
	EXPECT_TRUE(pl_page_is(ra + 6 * ps, ps, 0));

	/* The original goes: the clone keeps every page. */
	if (ra != a)
		pl_track_unmap(&e->t, ra);
	pl_track_unmap(&e->t, a);
	pl_track_close(&e->t, fd);
	EXPECT_EQ(-ENOENT, pl_obj_stat(e->dev, id, &sa));
	for (size_t i = 0; i < n; i++) {
		unsigned int seed = i < 5 ? 0x60 + i : i == 6 ? 0x70 : 0;

		EXPECT_TRUE(pl_page_is(rb + i * ps, ps, seed)) TH_LOG("page %zu", i);
	}
	ASSERT_EQ(0, pl_obj_stat(cfd, 0, &sb));
	EXPECT_EQ(0ULL, sb.shared);
	INFO(i1);
	EXPECT_EQ(i0.pages_held + 1, i1.pages_held);
	/* Its pages are its own now: writing one copies nothing. */
	pl_fill(b, ps, 0x71);
	ASSERT_EQ(0, pl_obj_stat(cfd, 0, &sb));
	EXPECT_EQ(0ULL, sb.cow_breaks);
	INFO(i1);
	EXPECT_EQ(i0.pages_held + 1, i1.pages_held);
}

TEST_F(cow, clone_of_an_empty_object_and_of_a_clone_fd)
{
	struct env *e = &self->e;
	struct pagelab_obj_stat src, st;
	struct pagelab_clone cl, cl2;
	struct pagelab_info i0, i1;
	__u64 id;
	int fd;

	fd = obj_new(e, 3, PAGELAB_CREATE_NO_FAULT_AROUND, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	STAT(fd, src);
	INFO(i0);
	/* On the object's fd, src_id 0 is that object. */
	ASSERT_EQ(0, pl_clone(fd, 0, 0644, "", &cl));
	pl_track_fd(&e->t, cl.fd);
	EXPECT_EQ(0ULL, cl.shared);
	EXPECT_EQ(0ULL, cl.copied);
	STAT(cl.fd, st);
	EXPECT_EQ(3 * e->ps, st.size);
	EXPECT_EQ(0ULL, st.resident);
	EXPECT_EQ(0644U, st.mode);
	EXPECT_STREQ("", st.name);
	EXPECT_EQ(src.fault_around_pages, st.fault_around_pages)
		TH_LOG("the source's fault-around window carries over");
	/* And on the clone's fd. */
	ASSERT_EQ(0, pl_clone(cl.fd, 0, 0, NULL, &cl2));
	pl_track_fd(&e->t, cl2.fd);
	EXPECT_GT(cl2.id, cl.id);
	INFO(i1);
	EXPECT_EQ(i0.pages_held, i1.pages_held);
	EXPECT_EQ(i0.objects + 2, i1.objects);
}

TEST_F(cow, clone_rejects_bad_input)
{
	struct env *e = &self->e;
	const __u32 flags[] = { 1U, 1U << 31, ~0U };
	struct pagelab_clone c, *ro;
	struct pagelab_info i0, i1;
	__u64 id, gone;
	int fd, fd2;

	fd = obj_new(e, 1, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	fd2 = obj_new(e, 1, 0, 0, NULL, &gone);
	ASSERT_GE(fd2, 0);
	pl_track_close(&e->t, fd2);
	INFO(i0);

	EXPECT_EQ(-ENOENT, pl_clone(e->dev, 0, 0, NULL, &c)) TH_LOG("id 0 on the device");
	EXPECT_EQ(-ENOENT, pl_clone(e->dev, ~0ULL, 0, NULL, &c));
	EXPECT_EQ(-ENOENT, pl_clone(e->dev, 1ULL << 63, 0, NULL, &c));
	EXPECT_EQ(-ENOENT, pl_clone(e->dev, gone, 0, NULL, &c)) TH_LOG("a freed id");

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		memset(&c, 0, sizeof(c));
		c.src_id = id;
		c.flags = flags[i];
		EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, &c)) TH_LOG("flags %#x", flags[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	memset(&c, 0, sizeof(c));
	c.src_id = id;
	c.pad = 1;
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.pad = 0;
	c.mode = 04600;
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.mode = 01777;
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.mode = 0;
	strcpy(c.name, "a/b");
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, &c));
	EXPECT_EQ(EINVAL, errno);
	memset(c.name, 'n', sizeof(c.name));	/* 32 bytes, no NUL */
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, &c));
	EXPECT_EQ(EINVAL, errno);
	/* Bad input beats the lookup: a bogus id with bad flags is EINVAL too. */
	memset(&c, 0, sizeof(c));
	c.src_id = gone;
	c.flags = 1;
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, &c));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, PAGELAB_IOC_CLONE, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* Readable, not writable: the answer cannot go out; no object stays. */
	ro = mmap(NULL, e->ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, sizeof(*ro));
	ro->src_id = id;
	ASSERT_EQ(0, mprotect(ro, e->ps, PROT_READ));
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_CLONE, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, e->ps);

	/* The merge ioctl is the device's, not an object's. */
	{
		struct pagelab_merge m = { .ids = (__u64)(uintptr_t)&id, .nids = 1 };

		EXPECT_EQ(-1, ioctl(fd, PAGELAB_IOC_MERGE, &m));
		EXPECT_EQ(ENOTTY, errno);
	}
	INFO(i1);
	EXPECT_EQ(i0.objects, i1.objects) TH_LOG("a failed clone left an object");
	EXPECT_EQ(i0.pages_held, i1.pages_held);
}

TEST_F(cow, clone_needs_read_access)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct { __u32 mode; int fd; __u64 id; } o[3] = {
		{ .mode = 0600 }, { .mode = 0602 }, { .mode = 0604 },
	};
	pid_t pid;

	for (int i = 0; i < 3; i++) {
		unsigned char *p;

		o[i].fd = obj_new(e, 1, 0, o[i].mode, NULL, &o[i].id);
		ASSERT_GE(o[i].fd, 0);
		p = obj_map(e, o[i].fd, 1, RW, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, p);
		pl_fill(p, ps, 0x90 + i);
	}
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct pagelab_obj_stat cs;
		struct pagelab_clone cl;
		unsigned char *q;
		int rfd;

		CHILD_CHECK(!become_nobody(), 2);
		/* 0600: nothing for others; 0602: write but no read. */
		CHILD_CHECK(pl_clone(e->dev, o[0].id, 0, NULL, &cl) == -EACCES, 3);
		CHILD_CHECK(pl_clone(e->dev, o[1].id, 0, NULL, &cl) == -EACCES, 4);
		/* 0604: others may read, so may clone; the clone is nobody's. */
		CHILD_CHECK(!pl_clone(e->dev, o[2].id, 0, "nobodys", &cl), 5);
		CHILD_CHECK(cl.shared == 1 && cl.copied == 0, 6);
		CHILD_CHECK(!pl_obj_stat(cl.fd, 0, &cs), 7);
		CHILD_CHECK(cs.uid == 65534 && cs.gid == 65534 && cs.mode == 0600, 8);
		q = mmap(NULL, ps, RW, MAP_SHARED, cl.fd, 0);
		CHILD_CHECK(q != MAP_FAILED, 9);
		CHILD_CHECK(pl_page_is(q, ps, 0x92), 10);
		pl_fill(q, ps, 0x99);	/* its own copy */
		munmap(q, ps);
		close(cl.fd);
		/* A read-only attach: a clone through that fd works too. */
		CHILD_CHECK(!pl_attach(e->dev, o[2].id, PAGELAB_ATTACH_RDONLY, &rfd), 11);
		CHILD_CHECK(!pl_clone(rfd, 0, 0, NULL, &cl), 12);
		close(cl.fd);
		close(rfd);
		_exit(0);
	}
	EXPECT_EQ(0, pl_track_reap(&e->t, pid)) TH_LOG("the child's exit status is the step that failed");
	/* The source was never written by the child. */
	{
		unsigned char *p = obj_map(e, o[2].fd, 1, PROT_READ, MAP_SHARED);
		struct pagelab_obj_stat st;

		ASSERT_NE(MAP_FAILED, p);
		EXPECT_TRUE(pl_page_is(p, ps, 0x92));
		STAT(o[2].fd, st);
		EXPECT_EQ(0ULL, st.cow_breaks);
		EXPECT_EQ(0ULL, st.shared);
	}
}

/*
 * A frame a pipe holds a reference to (vmsplice) may be read or written
 * behind the module's back: a clone copies it instead of sharing it.
 */
TEST_F(cow, clone_copies_a_page_a_pipe_holds)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat sa, sb;
	struct pagelab_clone cl;
	struct pagelab_info i0, i1;
	unsigned char *a, *b, *buf;
	struct iovec iov;
	int fd, cfd, pfd[2];
	__u64 id;

	fd = obj_new(e, 4, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, 4, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	for (size_t i = 0; i < 4; i++)
		pl_fill(a + i * ps, ps, 0xa0 + i);
	ASSERT_EQ(0, pl_track_pipe(&e->t, pfd));
	iov.iov_base = a + ps;
	iov.iov_len = ps;
	ASSERT_EQ((ssize_t)ps, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
	INFO(i0);

	cfd = obj_clone(e, id, &cl);
	ASSERT_GE(cfd, 0) TH_LOG("PAGELAB_IOC_CLONE: %s", strerror(-cfd));
	EXPECT_EQ(3ULL, cl.shared);
	EXPECT_EQ(1ULL, cl.copied) TH_LOG("the pipe's page was shared");
	INFO(i1);
	EXPECT_EQ(i0.pages_held + 1, i1.pages_held);
	STAT(fd, sa);
	STAT(cfd, sb);
	EXPECT_EQ(3ULL, sa.shared);
	EXPECT_EQ(3ULL, sb.shared);
	EXPECT_EQ(3ULL, sb.clone_shared);
	EXPECT_EQ(1ULL, sb.clone_copied);
	EXPECT_EQ((__u64)ps, sb.cow_bytes) TH_LOG("cow_bytes counts clone copies");
	EXPECT_EQ(0ULL, sb.cow_breaks);
	EXPECT_EQ(4ULL, sb.resident);
	b = obj_map(e, cfd, 4, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	for (size_t i = 0; i < 4; i++) {
		EXPECT_TRUE(pl_page_is(b + i * ps, ps, 0xa0 + i)) TH_LOG("page %zu", i);
		if (i == 1) {
			EXPECT_NE(pfn_of(a + i * ps), pfn_of(b + i * ps));
		} else {
			EXPECT_EQ(pfn_of(a + i * ps), pfn_of(b + i * ps)) TH_LOG("page %zu", i);
		}
	}
	/* The pipe still reads the page as it was. */
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, pl_read_full(pfd[0], buf, ps));
	EXPECT_TRUE(pl_page_is(buf, ps, 0xa1));
	free(buf);
}

/*
 * A pipe filled (vmsplice) from a frame while it was shared holds that
 * frame, not a copy.  When the other holders have copied it away, its
 * last owner must copy it too before writing: written in place, the pipe's
 * reader would see data the last owner's user wrote afterwards (the
 * kernel's anonymous memory follows the same rule: a page once shared is
 * reused on a write only with no reference it cannot account for).
 * Variants: the pipe filled from the first writer or from the last owner;
 * the last owner's PTE mapped read-only or empty when it writes; sharing
 * by clone or by merge.
 */
TEST_F(cow, a_pipe_filled_from_a_shared_frame_never_sees_a_later_write)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;

	for (int v = 0; v < 8; v++) {
		bool from_last = v & 1, empty_pte = v & 2, merge = v & 4;
		unsigned char *a, *b, *buf;
		struct pagelab_obj_stat sb;
		struct pagelab_clone cl;
		struct pagelab_merge m;
		struct pagelab_info i0;
		int fd, bfd, pfd[2];
		struct iovec iov;
		__u64 id;

		/*
		 * The first writer's page is a, the last owner's b: pages 0
		 * and 1 of one merged object, or page 0 of an object and of
		 * its clone.
		 */
		fd = obj_new(e, 2, 0, 0, NULL, &id);
		ASSERT_GE(fd, 0);
		a = obj_map(e, fd, 2, RW, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, a);
		pl_fill(a, ps, 0x31);
		if (merge) {
			pl_fill(a + ps, ps, 0x31);
			ASSERT_EQ(0, pl_merge(e->dev, &id, 1, &m));
			ASSERT_EQ(1ULL, m.merged);
			bfd = fd;
			b = a + ps;
		} else {
			bfd = obj_clone(e, id, &cl);
			ASSERT_GE(bfd, 0) TH_LOG("PAGELAB_IOC_CLONE: %s", strerror(-bfd));
			ASSERT_EQ(1ULL, cl.shared);
			b = obj_map(e, bfd, 1, RW, MAP_SHARED);
			ASSERT_NE(MAP_FAILED, b);
		}
		ASSERT_EQ(pfn_of(a), pfn_of(b)) TH_LOG("variant %d: not shared", v);
		ASSERT_EQ(0, pl_track_pipe(&e->t, pfd));
		iov.iov_base = from_last ? b : a;
		iov.iov_len = ps;
		ASSERT_EQ((ssize_t)ps, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
		pl_fill(a, ps, 0x52);		/* the first writer gets a copy */
		if (empty_pte)
			ASSERT_EQ(0, madvise(b, ps, MADV_DONTNEED));
		INFO(i0);
		pl_fill(b, ps, 0x73);		/* the last owner writes */

		buf = malloc(ps);
		ASSERT_NE(NULL, buf);
		ASSERT_EQ(0, pl_read_full(pfd[0], buf, ps));
		EXPECT_TRUE(pl_page_is(buf, ps, 0x31))
			TH_LOG("variant %d (pipe from %s, %s PTE, %s): the pipe holds a later write",
			       v, from_last ? "last owner" : "first writer",
			       empty_pte ? "empty" : "read-only", merge ? "merge" : "clone");
		free(buf);
		EXPECT_TRUE(pl_page_is(a, ps, 0x52)) TH_LOG("variant %d", v);
		EXPECT_TRUE(pl_page_is(b, ps, 0x73)) TH_LOG("variant %d", v);
		STAT(bfd, sb);
		EXPECT_EQ(merge ? 2ULL : 1ULL, sb.cow_breaks)
			TH_LOG("variant %d: the last owner's write copies the frame", v);
		/* The copy replaced the frame: the pages held stay as they were. */
		{
			struct pagelab_info i1;

			INFO(i1);
			EXPECT_EQ(i0.pages_held, i1.pages_held) TH_LOG("variant %d", v);
		}
		pl_track_close(&e->t, pfd[0]);
		pl_track_close(&e->t, pfd[1]);
	}
}

/*
 * A frame whose sharing ended and that its last owner then wrote in place
 * is that object's own: a pin taken later through its writable PTE (here
 * vmsplice; O_DIRECT alike) must not make the next write, through another
 * mapping with no PTE, copy it away from under the pin (with O_DIRECT the
 * read's data would land in a frame the object no longer has).
 */
TEST_F(cow, a_pin_on_a_frame_written_since_its_sharing_ended_is_the_owners)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat s0, s1;
	struct pagelab_clone cl;
	unsigned char *a, *b, *b2, *buf;
	struct iovec iov;
	int fd, bfd, pfd[2];
	uint64_t pfn;
	__u64 id;

	fd = obj_new(e, 1, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, 1, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	pl_fill(a, ps, 0x11);
	bfd = obj_clone(e, id, &cl);
	ASSERT_GE(bfd, 0) TH_LOG("PAGELAB_IOC_CLONE: %s", strerror(-bfd));
	b = obj_map(e, bfd, 1, RW, MAP_SHARED);
	b2 = obj_map(e, bfd, 1, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_NE(MAP_FAILED, b2);
	pl_fill(a, ps, 0x12);		/* A copies; B's frame is B's alone */
	pl_fill(b, ps, 0x13);		/* B writes it in place, through b */
	pfn = pfn_of(b);
	ASSERT_EQ(0, pl_track_pipe(&e->t, pfd));
	iov.iov_base = b;
	iov.iov_len = ps;
	ASSERT_EQ((ssize_t)ps, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
	STAT(bfd, s0);
	pl_fill(b2, ps, 0x14);		/* b2 has no PTE: a fault, the pin seen */
	STAT(bfd, s1);
	EXPECT_EQ(s0.cow_breaks, s1.cow_breaks) TH_LOG("B's own frame was copied away from its pin");
	EXPECT_EQ(pfn, pfn_of(b2));
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, pl_read_full(pfd[0], buf, ps));
	EXPECT_TRUE(pl_page_is(buf, ps, 0x14)) TH_LOG("the pin is B's own: it sees B's writes");
	free(buf);
}

TEST_F(cow, debugfs_line_has_the_cow_counters)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat s, d;
	struct pagelab_clone cl;
	struct pagelab_merge m;
	unsigned char *a, *b, *p;
	__u64 id;
	int fd, cfd;

	fd = obj_new(e, 4, 0, 0, "dbg-cow", &id);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, 4, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	pl_fill(a, ps, 1);
	pl_fill(a + ps, ps, 2);
	memset(a + 2 * ps, 0, ps);		/* resident, all zeros */
	pl_wr(a + 2 * ps + 3, 0);
	cfd = obj_clone(e, id, &cl);
	ASSERT_GE(cfd, 0);
	b = obj_map(e, cfd, 4, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	pl_fill(b, ps, 3);				/* a COW break in the clone */
	p = obj_map(e, fd, 4, RW, MAP_PRIVATE);
	ASSERT_NE(MAP_FAILED, p);
	pl_wr(p + 3 * ps, 1);			/* a private write reaching pagelab */
	ASSERT_EQ(0, pl_merge(e->dev, &id, 1, &m));
	EXPECT_EQ(3ULL, m.scanned);
	EXPECT_EQ(1ULL, m.zero);
	EXPECT_EQ(0ULL, m.merged);
	EXPECT_EQ(0ULL, m.saved) TH_LOG("the zero frame is still the clone's: nothing freed");

	ASSERT_EQ(0, pl_obj_stat(e->dev, id, &s));
	ASSERT_EQ(0, pl_debugfs_object(id, &d));
#define SAME(f) EXPECT_EQ(s.f, d.f) TH_LOG("field " #f)
	SAME(id); SAME(resident); SAME(shared); SAME(cow_breaks); SAME(cow_bytes);
	SAME(private_cow); SAME(clone_shared); SAME(clone_copied); SAME(merged);
	SAME(merged_zero);
	EXPECT_EQ(2ULL, d.resident);
	EXPECT_EQ(1ULL, d.shared);
	EXPECT_EQ(1ULL, d.private_cow);
	EXPECT_EQ(1ULL, d.merged_zero);
	EXPECT_EQ(0ULL, d.cow_breaks);
	ASSERT_EQ(0, pl_obj_stat(e->dev, cl.id, &s));
	ASSERT_EQ(0, pl_debugfs_object(cl.id, &d));
	SAME(id); SAME(resident); SAME(shared); SAME(cow_breaks); SAME(cow_bytes);
	SAME(private_cow); SAME(clone_shared); SAME(clone_copied); SAME(merged);
	SAME(merged_zero);
#undef SAME
	EXPECT_EQ(3ULL, d.resident);
	EXPECT_EQ(1ULL, d.shared);
	EXPECT_EQ(1ULL, d.cow_breaks);
	EXPECT_EQ((__u64)ps, d.cow_bytes);
	EXPECT_EQ(3ULL, d.clone_shared);
	EXPECT_EQ(0ULL, d.clone_copied);
	EXPECT_TRUE(pl_page_is(a + 2 * ps, ps, 0));
	EXPECT_TRUE(pl_page_is(b + 2 * ps, ps, 0));
	EXPECT_TRUE(pl_page_is(b, ps, 3));
	EXPECT_TRUE(pl_page_is(a, ps, 1));
}

/* Where the child maps the original (qa) and the clone (qb). */
struct pvw_where {
	unsigned char *qa, *qb;
};

/* The frames the child sees, page by page, after the writes. */
struct pvw_pfns {
	uint64_t a[3], b[3];
};

/*
 * The child: map both objects, send where, wait for the parent's writes,
 * check the data and send its frames back.  Never returns.
 */
static void pvw_child(int fd, int cfd, size_t ps, const int p2c[2], const int c2p[2])
{
	struct pvw_where where;
	struct pvw_pfns child_pfn;
	char c;

	close(p2c[1]);
	close(c2p[0]);
	where.qa = mmap(NULL, 3 * ps, RW, MAP_SHARED, fd, 0);
	where.qb = mmap(NULL, 3 * ps, RW, MAP_SHARED, cfd, 0);
	CHILD_CHECK(where.qa != MAP_FAILED && where.qb != MAP_FAILED, 2);
	/* Page 0 mapped read-only here, pages 1 and 2 not mapped. */
	CHILD_CHECK(pl_rd(where.qa) == pl_pat(0x20, 0), 3);
	CHILD_CHECK(!pl_pm_present(pl_pm_self(where.qa + ps)), 13);
	CHILD_CHECK(!pl_write_full(c2p[1], &where, sizeof(where)), 4);
	CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 5);
	CHILD_CHECK(pl_page_is(where.qa, ps, 0x30), 6);
	CHILD_CHECK(pl_page_is(where.qa + ps, ps, 0x31), 7);
	CHILD_CHECK(pl_page_is(where.qa + 2 * ps, ps, 0x22), 8);
	CHILD_CHECK(pl_page_is(where.qb, ps, 0x20), 9);
	CHILD_CHECK(pl_page_is(where.qb + ps, ps, 0x21), 10);
	CHILD_CHECK(pl_page_is(where.qb + 2 * ps, ps, 0x32), 11);
	for (int i = 0; i < 3; i++) {
		child_pfn.a[i] = pfn_of(where.qa + i * ps);
		child_pfn.b[i] = pfn_of(where.qb + i * ps);
	}
	CHILD_CHECK(!pl_write_full(c2p[1], &child_pfn, sizeof(child_pfn)), 12);
	_exit(0);
}

/* GUP writes from another process (process_vm_writev) break COW too. */
TEST_F(cow, process_vm_writev_breaks_cow_for_the_target_only)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat sa, sb;
	struct pagelab_clone cl;
	struct pagelab_info i0, i1;
	struct pvw_where where;
	struct pvw_pfns child_pfn;
	struct iovec local, remote[3];
	unsigned char *a, *b, *buf;
	int fd, cfd, p2c[2], c2p[2];
	__u64 id;
	pid_t pid;

	/* No fault-around (the clone inherits it): a read maps one page. */
	fd = obj_new(e, 3, PAGELAB_CREATE_NO_FAULT_AROUND, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, 3, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	for (size_t i = 0; i < 3; i++)
		pl_fill(a + i * ps, ps, 0x20 + i);
	cfd = obj_clone(e, id, &cl);
	ASSERT_GE(cfd, 0);
	b = obj_map(e, cfd, 3, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	INFO(i0);
	ASSERT_EQ(0, pl_track_pipe(&e->t, p2c));
	ASSERT_EQ(0, pl_track_pipe(&e->t, c2p));

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid)
		pvw_child(fd, cfd, ps, p2c, c2p);
	pl_track_close(&e->t, p2c[0]);
	pl_track_close(&e->t, c2p[1]);
	ASSERT_EQ(0, pl_read_full(c2p[0], &where, sizeof(where))) TH_LOG("child: %d", pl_track_reap(&e->t, pid));

	/* Pages 0 and 1 of the original, page 2 of the clone, in the child. */
	buf = malloc(3 * ps);
	ASSERT_NE(NULL, buf);
	for (size_t i = 0; i < 3; i++)
		pl_fill(buf + i * ps, ps, 0x30 + i);
	local.iov_base = buf;
	local.iov_len = 3 * ps;
	remote[0].iov_base = where.qa;
	remote[1].iov_base = where.qa + ps;
	remote[2].iov_base = where.qb + 2 * ps;
	for (int i = 0; i < 3; i++)
		remote[i].iov_len = ps;
	EXPECT_EQ((ssize_t)(3 * ps), process_vm_writev(pid, &local, 1, remote, 3, 0))
		TH_LOG("%s", strerror(errno));
	free(buf);
	ASSERT_EQ(0, pl_write_full(p2c[1], "c", 1));
	ASSERT_EQ(0, pl_read_full(c2p[0], &child_pfn, sizeof(child_pfn)))
		TH_LOG("child: %d", pl_track_reap(&e->t, pid));
	EXPECT_EQ(0, pl_track_reap(&e->t, pid)) TH_LOG("the child's exit status is the step that failed");

	EXPECT_TRUE(pl_page_is(a, ps, 0x30));
	EXPECT_TRUE(pl_page_is(a + ps, ps, 0x31));
	EXPECT_TRUE(pl_page_is(a + 2 * ps, ps, 0x22)) TH_LOG("the clone's write leaked");
	EXPECT_TRUE(pl_page_is(b, ps, 0x20)) TH_LOG("the original's write leaked");
	EXPECT_TRUE(pl_page_is(b + ps, ps, 0x21)) TH_LOG("the original's write leaked");
	EXPECT_TRUE(pl_page_is(b + 2 * ps, ps, 0x32));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(child_pfn.a[i], pfn_of(a + i * ps)) TH_LOG("page %d", i);
		EXPECT_EQ(child_pfn.b[i], pfn_of(b + i * ps)) TH_LOG("page %d", i);
		EXPECT_NE(child_pfn.a[i], child_pfn.b[i]) TH_LOG("page %d", i);
	}
	STAT(fd, sa);
	STAT(cfd, sb);
	EXPECT_EQ(2ULL, sa.cow_breaks);
	EXPECT_EQ(2 * (__u64)ps, sa.cow_bytes);
	EXPECT_EQ(1ULL, sb.cow_breaks);
	EXPECT_EQ(0ULL, sa.shared);
	EXPECT_EQ(0ULL, sb.shared);
	EXPECT_EQ(3ULL, sa.resident);
	EXPECT_EQ(3ULL, sb.resident);
	INFO(i1);
	EXPECT_EQ(i0.pages_held + 3, i1.pages_held);
}

/* ---- merge --------------------------------------------------------------- */

/*
 * Two objects of 8 pages: a letter is a page of that content, the same
 * letter the same bytes; 'u', 'v', 'w' are unique pages that differ from P
 * or from zeros by one byte; '0' is written with zeros; '.' never written.
 */
static const char *const merge_layout[2] = { "PPQ0u.R0", "PQvR0.wP" };

static void merge_fill(unsigned char *page, size_t ps, char l)
{
	switch (l) {
	case '.':
		return;
	case '0':
		memset(page, 0, ps);
		pl_wr(page, 0);
		return;
	case 'u':			/* P with its last byte changed */
		pl_fill(page, ps, 'P');
		page[ps - 1] ^= 0x40;
		return;
	case 'v':			/* P with its first byte changed */
		pl_fill(page, ps, 'P');
		page[0] ^= 0x01;
		return;
	case 'w':			/* zeros but one byte */
		memset(page, 0, ps);
		page[ps / 2] = 1;
		return;
	default:
		pl_fill(page, ps, l);
	}
}

static bool merge_page_is(const unsigned char *page, size_t ps, char l)
{
	unsigned char *want;
	bool same;

	if (l == '.' || l == '0')
		return pl_page_is(page, ps, 0);
	want = calloc(1, ps);
	if (!want)
		return false;
	merge_fill(want, ps, l);
	same = !memcmp((const void *)page, want, ps);
	free(want);
	return same;
}

/*
 * After the merge: check the data of both objects through @r, note each
 * page's frame in @pfn, and check the same letter has one frame.
 */
static void merge_check_merged(struct __test_metadata *_metadata, struct env *e,
			       unsigned char *const r[2], uint64_t pfn[2][8])
{
	const size_t ps = e->ps, n = 8;

	for (int o = 0; o < 2; o++)
		for (size_t pg = 0; pg < n; pg++) {
			EXPECT_TRUE(merge_page_is(r[o] + pg * ps, ps, merge_layout[o][pg]))
				TH_LOG("object %d page %zu", o, pg);
			pfn[o][pg] = pfn_of(r[o] + pg * ps);
		}
	for (int i = 0; i < 16; i++) {
		char l = merge_layout[i / 8][i % 8];

		if (l == '0' || l == '.') {
			EXPECT_EQ(e->zero_pfn, pfn[i / 8][i % 8]) TH_LOG("page %d", i);
			continue;
		}
		EXPECT_NE(0ULL, (unsigned long long)pfn[i / 8][i % 8]);
		for (int j = i + 1; j < 16; j++) {
			char l2 = merge_layout[j / 8][j % 8];

			if (l2 == '0' || l2 == '.')
				continue;
			if (l == l2) {
				EXPECT_EQ(pfn[i / 8][i % 8], pfn[j / 8][j % 8])
					TH_LOG("pages %d and %d ('%c') not merged", i, j, l);
			} else {
				EXPECT_NE(pfn[i / 8][i % 8], pfn[j / 8][j % 8])
					TH_LOG("pages %d ('%c') and %d ('%c') merged", i, l, j, l2);
			}
		}
	}
}

TEST_F(cow, merge_shares_identical_pages_only)
{
	struct env *e = &self->e;
	const size_t ps = e->ps, n = 8;
	struct pagelab_obj_stat sx, sy;
	struct pagelab_info i0, i1, i2;
	struct pagelab_merge m;
	uint64_t pfn[2][8], before[2][8];
	unsigned char *p[2], *r[2];	/* writes through p, reads through r */
	__u64 ids[2];
	int fd[2];

	for (int o = 0; o < 2; o++) {
		fd[o] = obj_new(e, n, 0, 0, o ? "merge-y" : "merge-x", &ids[o]);
		ASSERT_GE(fd[o], 0);
		p[o] = obj_map(e, fd[o], n, RW, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, p[o]);
		r[o] = obj_read_view(e, ids[o], p[o], n);
		ASSERT_NE(MAP_FAILED, r[o]);
		for (size_t pg = 0; pg < n; pg++)
			merge_fill(p[o] + pg * ps, ps, merge_layout[o][pg]);
	}
	INFO(i0);
	EXPECT_EQ(e->before.pages_held + 14, i0.pages_held);

	ASSERT_EQ(0, pl_merge(e->dev, ids, 2, &m));
	/* P: 4 pages, Q: 2, R: 2 -> 5 merged; 3 zero pages; u, v, w alone. */
	EXPECT_EQ(14ULL, m.scanned);
	EXPECT_EQ(5ULL, m.merged);
	EXPECT_EQ(3ULL, m.zero);
	EXPECT_EQ(0ULL, m.skipped);
	EXPECT_EQ(8 * (__u64)ps, m.saved);
	INFO(i1);
	EXPECT_EQ(e->before.pages_held + 6, i1.pages_held) TH_LOG("P Q R u v w: six frames");
	STAT(fd[0], sx);
	STAT(fd[1], sy);
	EXPECT_EQ(5ULL, sx.resident);
	EXPECT_EQ(6ULL, sy.resident);
	EXPECT_EQ(2ULL, sx.merged_zero);
	EXPECT_EQ(1ULL, sy.merged_zero);
	EXPECT_EQ(5ULL, sx.merged + sy.merged);
	EXPECT_EQ(4ULL, sx.shared);	/* P P Q R */
	EXPECT_EQ(4ULL, sy.shared);	/* P Q R P */
	EXPECT_EQ(0ULL, sx.cow_breaks + sy.cow_breaks);

	/* Data intact; the same letter on one frame, zeros on the zero page. */
	merge_check_merged(_metadata, e, r, pfn);

	/* A write to one merged page: only its frame changes. */
	memcpy(before, pfn, sizeof(pfn));
	pl_fill(p[0] + ps, ps, 0x5e);
	STAT(fd[0], sx);
	STAT(fd[1], sy);
	EXPECT_EQ(1ULL, sx.cow_breaks);
	EXPECT_EQ((__u64)ps, sx.cow_bytes);
	EXPECT_EQ(0ULL, sy.cow_breaks);
	EXPECT_EQ(3ULL, sx.shared);	/* P Q R */
	EXPECT_EQ(4ULL, sy.shared);
	INFO(i2);
	EXPECT_EQ(i1.pages_held + 1, i2.pages_held);
	for (int o = 0; o < 2; o++)
		for (size_t pg = 0; pg < n; pg++) {
			bool written = o == 0 && pg == 1;

			if (written) {
				EXPECT_TRUE(pl_page_is(r[o] + pg * ps, ps, 0x5e));
			} else {
				EXPECT_TRUE(merge_page_is(r[o] + pg * ps, ps, merge_layout[o][pg]))
					TH_LOG("object %d page %zu", o, pg);
			}
			pfn[o][pg] = pfn_of(r[o] + pg * ps);
			if (written) {
				EXPECT_NE(before[o][pg], pfn[o][pg]);
			} else {
				EXPECT_EQ(before[o][pg], pfn[o][pg]) TH_LOG("object %d page %zu", o, pg);
			}
		}
	EXPECT_NE(pfn[0][0], pfn[0][1]);
	EXPECT_EQ(pfn[0][0], pfn[1][0]);
	EXPECT_EQ(pfn[0][0], pfn[1][7]);

	/* A dropped zero page: a write allocates again, no break. */
	pl_fill(p[0] + 3 * ps, ps, 0x5f);
	STAT(fd[0], sx);
	EXPECT_EQ(6ULL, sx.resident);
	EXPECT_EQ(1ULL, sx.cow_breaks);
	EXPECT_NE(e->zero_pfn, pfn_of(p[0] + 3 * ps));
	EXPECT_TRUE(pl_page_is(r[1] + 4 * ps, ps, 0));
	EXPECT_TRUE(pl_zero_page_clean(ps));
}

TEST_F(cow, merge_within_one_object_and_again)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st;
	struct pagelab_merge m;
	struct pagelab_info i1;
	unsigned char *p, *r;
	__u64 id, ids[3];
	int fd;

	fd = obj_new(e, 4, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	p = obj_map(e, fd, 4, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	r = obj_read_view(e, id, p, 4);		/* the zero page is read through r */
	ASSERT_NE(MAP_FAILED, r);
	for (int i = 0; i < 3; i++)
		pl_fill(p + i * ps, ps, 7);
	memset(p + 3 * ps, 0, ps);
	ids[0] = ids[1] = ids[2] = id;		/* repeats are ignored */
	ASSERT_EQ(0, pl_merge(e->dev, ids, 3, &m));
	EXPECT_EQ(4ULL, m.scanned);
	EXPECT_EQ(2ULL, m.merged);
	EXPECT_EQ(1ULL, m.zero);
	EXPECT_EQ(3 * (__u64)ps, m.saved);
	STAT(fd, st);
	EXPECT_EQ(3ULL, st.resident);
	EXPECT_EQ(3ULL, st.shared) TH_LOG("one frame at three indexes");
	EXPECT_EQ(2ULL, st.merged);
	EXPECT_EQ(1ULL, st.merged_zero);
	INFO(i1);
	EXPECT_EQ(e->before.pages_held + 1, i1.pages_held);
	for (int i = 0; i < 3; i++) {
		EXPECT_TRUE(pl_page_is(p + i * ps, ps, 7));
		EXPECT_EQ(pfn_of(p), pfn_of(p + i * ps));
	}
	EXPECT_EQ(e->zero_pfn, pfn_of(r + 3 * ps));

	/* Again: nothing left to merge or free. */
	ASSERT_EQ(0, pl_merge(e->dev, &id, 1, &m));
	EXPECT_EQ(3ULL, m.scanned);
	EXPECT_EQ(0ULL, m.merged);
	EXPECT_EQ(0ULL, m.zero);
	EXPECT_EQ(0ULL, m.saved);

	/* A write to one index copies it; the other two still share. */
	pl_fill(p + ps, ps, 8);
	STAT(fd, st);
	EXPECT_EQ(1ULL, st.cow_breaks);
	EXPECT_EQ(2ULL, st.shared);
	EXPECT_TRUE(pl_page_is(p, ps, 7));
	EXPECT_TRUE(pl_page_is(p + ps, ps, 8));
	EXPECT_TRUE(pl_page_is(p + 2 * ps, ps, 7));
	EXPECT_EQ(pfn_of(p), pfn_of(p + 2 * ps));
	EXPECT_NE(pfn_of(p), pfn_of(p + ps));
	INFO(i1);
	EXPECT_EQ(e->before.pages_held + 2, i1.pages_held);
}

/* A page a pipe holds (vmsplice) may change behind the module's back: skipped. */
TEST_F(cow, merge_skips_a_page_a_pipe_holds)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_merge m;
	unsigned char *p, *buf;
	struct iovec iov;
	int fd, pfd[2];
	__u64 id;

	fd = obj_new(e, 2, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	p = obj_map(e, fd, 2, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	pl_fill(p, ps, 9);
	pl_fill(p + ps, ps, 9);
	ASSERT_EQ(0, pl_track_pipe(&e->t, pfd));
	iov.iov_base = p;
	iov.iov_len = ps;
	ASSERT_EQ((ssize_t)ps, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, pl_merge(e->dev, &id, 1, &m));
	EXPECT_EQ(2ULL, m.scanned);
	EXPECT_EQ(1ULL, m.skipped);
	EXPECT_EQ(0ULL, m.merged);
	EXPECT_NE(pfn_of(p), pfn_of(p + ps));
	/* The pipe lets go: now they merge. */
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, pl_read_full(pfd[0], buf, ps));
	EXPECT_TRUE(pl_page_is(buf, ps, 9));
	free(buf);
	ASSERT_EQ(0, pl_merge(e->dev, &id, 1, &m));
	EXPECT_EQ(0ULL, m.skipped);
	EXPECT_EQ(1ULL, m.merged);
	EXPECT_EQ((__u64)ps, m.saved);
	EXPECT_TRUE(pl_page_is(p, ps, 9));
	EXPECT_EQ(pfn_of(p), pfn_of(p + ps));
}

TEST_F(cow, merge_rejects_bad_input)
{
	struct env *e = &self->e;
	struct pagelab_obj_stat s0, st;
	struct pagelab_merge m;
	__u64 ids[PAGELAB_MERGE_MAX_OBJECTS + 1], id, gone, bad[2];
	unsigned char *p, *two;
	int fd, fd2;

	fd = obj_new(e, 2, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	p = obj_map(e, fd, 2, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	pl_fill(p, e->ps, 4);
	pl_fill(p + e->ps, e->ps, 4);		/* would merge */
	fd2 = obj_new(e, 1, 0, 0, NULL, &gone);
	ASSERT_GE(fd2, 0);
	pl_track_close(&e->t, fd2);
	STAT(fd, s0);
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		ids[i] = id;

	EXPECT_EQ(-EINVAL, pl_merge(e->dev, ids, 0, &m)) TH_LOG("nids 0");
	EXPECT_EQ(-EINVAL, pl_merge(e->dev, ids, PAGELAB_MERGE_MAX_OBJECTS + 1, &m));
	EXPECT_EQ(-EINVAL, pl_merge(e->dev, ids, ~0U, &m));
	memset(&m, 0, sizeof(m));
	m.ids = (__u64)(uintptr_t)ids;
	m.nids = 1;
	m.flags = 1;
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_MERGE, &m));
	EXPECT_EQ(EINVAL, errno);
	m.flags = 1U << 31;
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_MERGE, &m));
	EXPECT_EQ(EINVAL, errno);

	bad[0] = id;
	bad[1] = 0;
	EXPECT_EQ(-ENOENT, pl_merge(e->dev, &bad[1], 1, &m)) TH_LOG("id 0");
	EXPECT_EQ(-ENOENT, pl_merge(e->dev, bad, 2, &m)) TH_LOG("a good id and id 0");
	bad[1] = ~0ULL;
	EXPECT_EQ(-ENOENT, pl_merge(e->dev, bad, 2, &m));
	bad[1] = gone;
	EXPECT_EQ(-ENOENT, pl_merge(e->dev, bad, 2, &m)) TH_LOG("a freed id");

	EXPECT_EQ(-EFAULT, pl_merge(e->dev, NULL, 1, &m));
	EXPECT_EQ(-EFAULT, pl_merge(e->dev, (const __u64 *)8, 1, &m));
	EXPECT_EQ(-1, ioctl(e->dev, PAGELAB_IOC_MERGE, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* Ids that run into an unreadable page. */
	two = mmap(NULL, 2 * e->ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + e->ps, e->ps, PROT_NONE));
	memcpy(two + e->ps - sizeof(__u64), &id, sizeof(id));
	EXPECT_EQ(-EFAULT, pl_merge(e->dev, (const __u64 *)(two + e->ps - sizeof(__u64)), 2, &m));
	munmap(two, 2 * e->ps);

	/* Nothing was merged by any of those. */
	STAT(fd, st);
	EXPECT_EQ(s0.resident, st.resident);
	EXPECT_EQ(0ULL, st.merged);
	EXPECT_EQ(0ULL, st.shared);
	EXPECT_NE(pfn_of(p), pfn_of(p + e->ps));

	/* The most ids there may be, all one object: fine. */
	ASSERT_EQ(0, pl_merge(e->dev, ids, PAGELAB_MERGE_MAX_OBJECTS, &m));
	EXPECT_EQ(2ULL, m.scanned);
	EXPECT_EQ(1ULL, m.merged);
}

TEST_F(cow, merge_needs_read_and_write_access)
{
	struct env *e = &self->e;
	struct { __u32 mode; int fd; __u64 id; } o[3] = {
		{ .mode = 0600 }, { .mode = 0604 }, { .mode = 0606 },
	};
	struct pagelab_obj_stat st;
	pid_t pid;

	for (int i = 0; i < 3; i++) {
		unsigned char *p;

		o[i].fd = obj_new(e, 2, 0, o[i].mode, NULL, &o[i].id);
		ASSERT_GE(o[i].fd, 0);
		p = obj_map(e, o[i].fd, 2, RW, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, p);
		pl_fill(p, e->ps, 5);
		pl_fill(p + e->ps, e->ps, 5);
	}
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct pagelab_merge m;
		__u64 both[2] = { o[2].id, o[1].id };

		CHILD_CHECK(!become_nobody(), 2);
		CHILD_CHECK(pl_merge(e->dev, &o[0].id, 1, &m) == -EACCES, 3);
		CHILD_CHECK(pl_merge(e->dev, &o[1].id, 1, &m) == -EACCES, 4);	/* read only */
		CHILD_CHECK(pl_merge(e->dev, both, 2, &m) == -EACCES, 5);
		CHILD_CHECK(!pl_merge(e->dev, &o[2].id, 1, &m), 6);
		CHILD_CHECK(m.merged == 1, 7);
		_exit(0);
	}
	EXPECT_EQ(0, pl_track_reap(&e->t, pid)) TH_LOG("the child's exit status is the step that failed");
	STAT(o[0].fd, st);
	EXPECT_EQ(0ULL, st.merged);
	STAT(o[1].fd, st);
	EXPECT_EQ(0ULL, st.merged) TH_LOG("a refused merge merged");
	STAT(o[2].fd, st);
	EXPECT_EQ(1ULL, st.merged);
}

/* ---- concurrency --------------------------------------------------------- */

/* Shared memory for the processes of one test. */
struct race {
	int ready;
	int go;
	int done;
	int finished;
	int ok[PL_NKIDS];
	uint64_t pfn[PL_NKIDS];
};

TEST_F_TIMEOUT(cow, racing_writes_through_original_and_clone, 120)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct race *r;

	r = mmap(NULL, ps, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	pl_track_map(&e->t, r, ps);
	for (unsigned int round = 0; round < 8; round++) {
		struct pagelab_obj_stat sa, sb;
		struct pagelab_clone cl;
		struct pagelab_info i0, i1;
		const unsigned char va = 0xa0 + round, vb = 0xb0 + round;
		unsigned char *a, *b;
		int fd, cfd;
		__u64 id;
		pid_t pid;

		memset(r, 0, sizeof(*r));
		fd = obj_new(e, 1, 0, 0, NULL, &id);
		ASSERT_GE(fd, 0);
		a = obj_map(e, fd, 1, RW, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, a);
		pl_fill(a, ps, 0x10);
		cfd = obj_clone(e, id, &cl);
		ASSERT_GE(cfd, 0);
		b = obj_map(e, cfd, 1, RW, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, b);
		if (round & 1) {	/* half the rounds with both mapped read-only first */
			(void)pl_rd(a);
			(void)pl_rd(b);
		}
		INFO(i0);
		pid = pl_track_fork(&e->t);
		ASSERT_GE(pid, 0);
		if (!pid) {
			bump(&r->ready);
			CHILD_CHECK(wait_for(&r->ready, 2), 2);
			memset(b, vb, ps);
			r->ok[0] = all_bytes(b, vb, ps);
			r->pfn[0] = pfn_of(b);
			_exit(0);
		}
		bump(&r->ready);
		ASSERT_TRUE(wait_for(&r->ready, 2));
		memset(a, va, ps);
		EXPECT_EQ(0, pl_track_reap(&e->t, pid));
		EXPECT_TRUE(r->ok[0]) TH_LOG("round %u: the clone's writer lost data", round);
		EXPECT_TRUE(all_bytes(a, va, ps)) TH_LOG("round %u: the original", round);
		EXPECT_TRUE(all_bytes(b, vb, ps)) TH_LOG("round %u: the clone", round);
		EXPECT_NE(pfn_of(a), r->pfn[0]) TH_LOG("round %u: one frame for both", round);
		EXPECT_EQ(pfn_of(b), r->pfn[0]);
		STAT(fd, sa);
		STAT(cfd, sb);
		EXPECT_GE(sa.cow_breaks + sb.cow_breaks, 1ULL);
		EXPECT_LE(sa.cow_breaks + sb.cow_breaks, 2ULL);
		EXPECT_EQ(0ULL, sa.shared + sb.shared);
		INFO(i1);
		EXPECT_EQ(i0.pages_held + 1, i1.pages_held) TH_LOG("round %u", round);
		pl_track_unmap(&e->t, a);
		pl_track_unmap(&e->t, b);
		pl_track_close(&e->t, fd);
		pl_track_close(&e->t, cfd);
		INFO(i1);
		EXPECT_EQ(e->before.pages_held, i1.pages_held) TH_LOG("round %u", round);
	}
}

#define WRITERS		4
#define SLICE		64

TEST_F_TIMEOUT(cow, writers_of_one_object_share_its_new_frame, 120)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat sa, sb;
	struct pagelab_clone cl;
	struct pagelab_info i0, i1;
	unsigned char *a, *b;
	struct race *r;
	pid_t pid[WRITERS];
	int fd, cfd;
	__u64 id;

	r = mmap(NULL, ps, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	pl_track_map(&e->t, r, ps);
	memset(r, 0, sizeof(*r));
	fd = obj_new(e, 1, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, 1, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	pl_fill(a, ps, 0x44);
	cfd = obj_clone(e, id, &cl);
	ASSERT_GE(cfd, 0);
	b = obj_map(e, cfd, 1, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	INFO(i0);

	for (int w = 0; w < WRITERS; w++) {
		pid[w] = pl_track_fork(&e->t);
		ASSERT_GE(pid[w], 0);
		if (!pid[w]) {
			unsigned char *q = mmap(NULL, ps, RW, MAP_SHARED, fd, 0);
			bool ok = true;

			CHILD_CHECK(q != MAP_FAILED, 2);
			if (w & 1)
				(void)pl_rd(q);	/* half with the shared frame mapped */
			bump(&r->ready);
			CHILD_CHECK(wait_for(&r->go, 1), 3);
			memset(q + w * SLICE, 0x10 + w, SLICE);
			bump(&r->done);
			CHILD_CHECK(wait_for(&r->done, WRITERS), 4);
			/* Every writer's slice is here: one page for all of them. */
			for (size_t i = 0; i < ps; i++) {
				unsigned char want = i < WRITERS * SLICE ? 0x10 + i / SLICE :
							pl_pat(0x44, i);

				if (q[i] != want)
					ok = false;
			}
			r->ok[w] = ok;
			r->pfn[w] = pfn_of(q);
			_exit(0);
		}
	}
	ASSERT_TRUE(wait_for(&r->ready, WRITERS));
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	for (int w = 0; w < WRITERS; w++) {
		EXPECT_EQ(0, pl_track_reap(&e->t, pid[w])) TH_LOG("writer %d", w);
	}
	for (int w = 0; w < WRITERS; w++) {
		EXPECT_TRUE(r->ok[w]) TH_LOG("writer %d does not see every write", w);
		EXPECT_NE(0ULL, (unsigned long long)r->pfn[w]);
		EXPECT_EQ(r->pfn[0], r->pfn[w]) TH_LOG("writer %d has a frame of its own", w);
	}
	EXPECT_EQ(r->pfn[0], pfn_of(a));
	EXPECT_TRUE(pl_page_is(b, ps, 0x44)) TH_LOG("the writes leaked into the clone");
	EXPECT_NE(r->pfn[0], pfn_of(b));
	for (int w = 0; w < WRITERS; w++) {
		EXPECT_EQ(0x10 + w, pl_rd(a + w * SLICE + 1));
	}
	STAT(fd, sa);
	STAT(cfd, sb);
	EXPECT_EQ(1ULL, sa.cow_breaks) TH_LOG("one copy for the object, not one per writer");
	EXPECT_EQ(0ULL, sb.cow_breaks);
	INFO(i1);
	EXPECT_EQ(i0.pages_held + 1, i1.pages_held);
}

/* ---- the page cap -------------------------------------------------------- */

TEST_F(cow, cow_break_over_the_page_cap_is_sigbus)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat sa, sb;
	struct pagelab_clone cl;
	struct pagelab_info i0, i1;
	unsigned char *a, *b;
	int fd, cfd;
	__u64 id;

	ASSERT_EQ(0, pl_param_read("max_pages", &e->saved_max_pages));
	fd = obj_new(e, 4, 0, 0, NULL, &id);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, 4, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	for (size_t i = 0; i < 4; i++)
		pl_fill(a + i * ps, ps, 0x30 + i);
	cfd = obj_clone(e, id, &cl);
	ASSERT_GE(cfd, 0);
	b = obj_map(e, cfd, 4, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	INFO(i0);
	e->restore_max_pages = true;
	ASSERT_EQ(0, pl_param_write("max_pages", i0.pages_held));

	/* Page 0 written with no PTE (the fault path), page 1 mapped first (mkwrite). */
	for (int pg = 0; pg < 2; pg++) {
		pid_t pid = pl_track_fork(&e->t);

		ASSERT_GE(pid, 0);
		if (!pid) {
			unsigned char *q = mmap(NULL, 4 * ps, RW, MAP_SHARED, fd, 0);

			pl_no_core_dumps();
			CHILD_CHECK(q != MAP_FAILED, 2);
			if (pg)
				CHILD_CHECK(pl_rd(q + pg * ps) == pl_pat(0x30 + pg, 0), 3);
			pl_wr(q + pg * ps, 0xee);
			_exit(0);
		}
		EXPECT_EQ(128 + SIGBUS, pl_track_reap(&e->t, pid)) TH_LOG("page %d: the writer must die of SIGBUS",
							     pg);
	}
	STAT(fd, sa);
	STAT(cfd, sb);
	EXPECT_EQ(2ULL, sa.sigbus);
	EXPECT_EQ(0ULL, sb.sigbus);
	EXPECT_EQ(0ULL, sa.cow_breaks);
	EXPECT_EQ(4ULL, sa.resident);
	EXPECT_EQ(4ULL, sa.shared);
	EXPECT_EQ(4ULL, sb.shared);
	INFO(i1);
	EXPECT_EQ(i0.pages_held, i1.pages_held);
	for (size_t i = 0; i < 4; i++) {
		EXPECT_TRUE(pl_page_is(a + i * ps, ps, 0x30 + i)) TH_LOG("page %zu", i);
		EXPECT_TRUE(pl_page_is(b + i * ps, ps, 0x30 + i)) TH_LOG("page %zu", i);
	}

	/* The cap back: the same write works. */
	ASSERT_EQ(0, pl_param_write("max_pages", e->saved_max_pages));
	e->restore_max_pages = false;
	pl_wr(a, 0xee);
	STAT(fd, sa);
	EXPECT_EQ(1ULL, sa.cow_breaks);
	EXPECT_EQ(0xee, pl_rd(a));
	EXPECT_TRUE(pl_page_is(b, ps, 0x30));
	INFO(i1);
	EXPECT_EQ(i0.pages_held + 1, i1.pages_held);
}

/* ---- stress -------------------------------------------------------------- */

#define STRESS_PROCS	4
#define STRESS_PAGES	4
#define STRESS_LIVE	3	/* objects each process keeps alive */
#define STRESS_WRITES	4	/* per round */

/* 1000 rounds x PAGELAB_STRESS_SCALE / 100 (default 100), at least 10. */
static unsigned int stress_rounds(void)
{
	unsigned long r = 1000 * pl_stress_scale() / 100;

	return r < 10 ? 10 : r > 1000000 ? 1000000 : r;
}

struct stress_obj {
	int fd;
	__u64 id;
	unsigned char *m;
	unsigned char *shadow;	/* what it must hold */
};

struct stress_result {
	int rounds;
	int mismatches;
	int error;		/* the step that failed, 0 if none */
};

static void stress_drop(struct stress_obj *o, size_t len)
{
	munmap(o->m, len);
	close(o->fd);
	free(o->shadow);
}

/* One process: clone a random live object, write at random, verify all. */
static void stress_worker(int dev, size_t ps, unsigned int rounds, struct stress_result *res)
{
	const size_t len = STRESS_PAGES * ps;
	struct stress_obj o[STRESS_LIVE + 1];
	uint32_t rnd = (0x9e3779b9u ^ (uint32_t)getpid() * 2654435761u) | 1;
	int n = 0;

	if (pl_create(dev, len, 0, 0, "stress", &o[0].fd, &o[0].id)) {
		res->error = 1;
		return;
	}
	o[0].m = mmap(NULL, len, RW, MAP_SHARED, o[0].fd, 0);
	o[0].shadow = calloc(1, len);
	if (o[0].m == MAP_FAILED || !o[0].shadow) {
		res->error = 2;
		return;
	}
	n = 1;
	for (unsigned int round = 0; round < rounds; round++) {
		struct stress_obj *src = &o[pl_xorshift(&rnd) % n], *dst = &o[n];
		struct pagelab_clone cl;

		if (pl_clone(dev, src->id, 0, "stress", &cl)) {
			res->error = 3;
			break;
		}
		dst->fd = cl.fd;
		dst->id = cl.id;
		dst->m = mmap(NULL, len, RW, MAP_SHARED, cl.fd, 0);
		dst->shadow = malloc(len);
		if (dst->m == MAP_FAILED || !dst->shadow) {
			res->error = 4;
			break;
		}
		memcpy(dst->shadow, src->shadow, len);
		n++;
		if (n > STRESS_LIVE) {
			stress_drop(&o[0], len);
			memmove(&o[0], &o[1], (n - 1) * sizeof(o[0]));
			n--;
		}
		for (int w = 0; w < STRESS_WRITES; w++) {
			struct stress_obj *t = &o[pl_xorshift(&rnd) % n];
			size_t off = pl_xorshift(&rnd) % len;
			unsigned char v = pl_xorshift(&rnd);

			pl_wr(t->m + off, v);
			t->shadow[off] = v;
		}
		for (int i = 0; i < n; i++)
			if (memcmp(o[i].m, o[i].shadow, len))
				res->mismatches++;
		res->rounds = round + 1;
	}
	for (int i = 0; i < n; i++)
		stress_drop(&o[i], len);
}

TEST_F_TIMEOUT(cow, stress_clone_write_verify, 600)
{
	struct env *e = &self->e;
	const unsigned int rounds = stress_rounds();
	struct stress_result *res;
	pid_t pid[STRESS_PROCS];
	const char *scale;
	int total = 0;

	res = mmap(NULL, e->ps, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	pl_track_map(&e->t, res, e->ps);
	memset(res, 0, STRESS_PROCS * sizeof(*res));
	for (int i = 0; i < STRESS_PROCS; i++) {
		pid[i] = pl_track_fork(&e->t);
		ASSERT_GE(pid[i], 0);
		if (!pid[i]) {
			stress_worker(e->dev, e->ps, rounds, &res[i]);
			_exit(0);
		}
	}
	for (int i = 0; i < STRESS_PROCS; i++) {
		EXPECT_EQ(0, pl_track_reap(&e->t, pid[i])) TH_LOG("process %d", i);
		EXPECT_EQ(0, res[i].error) TH_LOG("process %d: failed at step %d", i,
						  res[i].error);
		EXPECT_EQ((int)rounds, res[i].rounds) TH_LOG("process %d", i);
		EXPECT_EQ(0, res[i].mismatches) TH_LOG("process %d", i);
		total += res[i].rounds;
	}
	scale = getenv("PAGELAB_STRESS_SCALE");
	TH_LOG("stress: %d processes x %u rounds (PAGELAB_STRESS_SCALE=%s): %d rounds run",
	       STRESS_PROCS, rounds, scale ? scale : "unset, 100", total);
}

/* ---- the CLI ------------------------------------------------------------- */

TEST_F_TIMEOUT(cow, cli_cow_merge_and_bench_cow, 600)
{
	static char out[1 << 16];

	for (const char *c = "cow\0merge\0bench\0"; *c; c += strlen(c) + 1) {
		char args[64];

		snprintf(args, sizeof(args), "%s --help", c);
		EXPECT_EQ(0, pl_run_cli(args, out, sizeof(out))) TH_LOG("pagelab %s", args);
		EXPECT_NE(NULL, strstr(out, "usage: pagelab")) TH_LOG("pagelab %s", args);
	}
	EXPECT_NE(NULL, strstr(out, "bench cow"));
	EXPECT_EQ(2, pl_run_cli("cow --bogus", out, sizeof(out)));
	EXPECT_EQ(2, pl_run_cli("merge --bogus", out, sizeof(out)));
	EXPECT_EQ(2, pl_run_cli("bench cow --bogus", out, sizeof(out)));

	EXPECT_EQ(0, pl_run_cli("cow", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "cow_breaks 1, cow_bytes 4096")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "shared until the first write")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("cow --quiet", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "do_wp_page"));
	EXPECT_EQ(0, pl_run_cli("merge", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "scanned 27, merged 8, zero 4, skipped 0")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Merged: identical pages")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);

	EXPECT_EQ(0, pl_run_cli("bench cow --pages 8 --reps 3", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nRATIO cow_unmapped ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nRATIO cow_mapped ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nRATIO cow_refault ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nRATIO refault_vs_shmem ")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("bench cow --pages 8 --reps 3 --json", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"ratio_cow_unmapped\": ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"anon_fork_cow_ns\": ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"shmem_refault_ns\": ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"ratio_refault_vs_shmem\": ")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
