// SPDX-License-Identifier: GPL-2.0
/*
 * huge_test - huge objects (PAGELAB_CREATE_HUGE): each aligned 2 MiB of an
 * object mapped by one PMD leaf from pagelab's own huge fault, and what
 * clone, merge, a frame budget, a COW break, fork, and a partial munmap()
 * or mprotect() do with it (module/huge.c).  Runs in the guest against the
 * loaded module, as root (kselftest harness).
 *
 * Where the kernel cannot map them (6.1), the flag is refused; every other
 * test skips there.  The leaf is read with the module's walk
 * (PAGELAB_IOC_WALK): the kernel's pagemap leaves VM_PFNMAP mappings out.
 * Every fixture checks in its teardown that the module holds what it held
 * before: a huge object's 512 frames are freed one by one.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"
#include "pl_scan.h"
#include "pl_walk.h"

#define MiB		(1024UL * 1024)
#define HUGE		(2 * MiB)
#define RW		(PROT_READ | PROT_WRITE)

struct env {
	int dev;
	size_t ps;
	size_t hp;		/* pages per 2 MiB */
	bool have;		/* PAGELAB_FEAT_HUGE */
	struct pagelab_info before;
	struct pl_track t;
};

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	struct pagelab_version v;

	e->dev = pl_open();
	ASSERT_GE(e->dev, 0) TH_LOG("%s", pl_open_hint(e->dev));
	e->ps = sysconf(_SC_PAGESIZE);
	e->hp = HUGE / e->ps;
	ASSERT_EQ(0, pl_version(e->dev, &v));
	e->have = v.features & PAGELAB_FEAT_HUGE;
	ASSERT_EQ(0, pl_info(e->dev, &e->before));
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	pl_track_kill_kids(&e->t);
	pl_track_release(&e->t);
	pl_expect_held_as_before(_metadata, e->dev, &e->before);
	close(e->dev);
}

/* A huge object of @mib MiB: its fd (tracked) or -errno. */
static int huge_new(struct env *e, size_t mib, __u64 *id)
{
	return pl_track_create(&e->t, e->dev, mib * MiB, PAGELAB_CREATE_HUGE, 0, "huge", id);
}

/*
 * Map @len bytes of @fd from byte @off at an address 2 MiB-aligned plus
 * @skew bytes, so that the object's chunks line up with PMDs when @off
 * and @skew are multiples of 2 MiB.  Tracked; MAP_FAILED on failure.
 */
static unsigned char *map_at(struct env *e, int fd, size_t len, off_t off, size_t skew,
			     int prot, int flags)
{
	size_t span = len + HUGE + skew;
	unsigned char *r, *a, *m;

	r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (unsigned char *)(((uintptr_t)r + HUGE - 1) & ~(HUGE - 1)) + skew;
	m = mmap(a, len, prot, flags | MAP_FIXED, fd, off);
	if (m == MAP_FAILED) {
		munmap(r, span);
		return MAP_FAILED;
	}
	if (a > r)
		munmap(r, a - r);
	if (r + span > a + len)
		munmap(a + len, r + span - (a + len));
	return pl_track_map(&e->t, m, len);
}

static unsigned char *map_huge(struct env *e, int fd, size_t len)
{
	return map_at(e, fd, len, 0, 0, RW, MAP_SHARED);
}

/* The leaf mapping @p in this process: its size (0: none) and kind. */
static uint64_t leaf_of(struct env *e, const void *p, struct pagelab_walk *k)
{
	if (pl_walk_ioctl(e->dev, 0, false, (uintptr_t)p, k))
		return 0;
	return k->found & PAGELAB_WALK_LEAF ? k->leaf_size : 0;
}

static uint64_t leaf_size(struct env *e, const void *p)
{
	struct pagelab_walk k;

	return leaf_of(e, p, &k);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Page @i of @len bytes at @p gets pattern @seed + @i, and its index and
 * @seed in its first 8 bytes: no two pages of a test are alike (merge).
 */
static void fill_pages(struct env *e, unsigned char *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len / e->ps; i++) {
		pl_fill(p + i * e->ps, e->ps, seed + (unsigned int)i);
		*(volatile uint64_t *)(p + i * e->ps) = (uint64_t)seed << 32 | i;
	}
}

static bool page_ok(struct env *e, const unsigned char *p, unsigned int seed, size_t i)
{
	const volatile unsigned char *q = p;

	if (*(const volatile uint64_t *)p != ((uint64_t)seed << 32 | i))
		return false;
	for (size_t j = 8; j < e->ps; j++)
		if (q[j] != pl_pat(seed + (unsigned int)i, j))
			return false;
	return true;
}

/* Of pages @from..@from + @n of what fill_pages(@seed) filled at @p, how many changed. */
static size_t bad_range(struct env *e, const unsigned char *p, size_t from, size_t n,
			unsigned int seed)
{
	size_t bad = 0;

	for (size_t i = from; i < from + n; i++)
		bad += !page_ok(e, p + i * e->ps, seed, i);
	return bad;
}

static size_t bad_pages(struct env *e, const unsigned char *p, size_t len, unsigned int seed)
{
	return bad_range(e, p, 0, len / e->ps, seed);
}

/* How many pages of @len bytes at @p hold anything but zeros. */
static size_t nonzero_pages(struct env *e, const unsigned char *p, size_t len)
{
	size_t bad = 0;

	for (size_t i = 0; i < len / e->ps; i++)
		bad += !pl_page_is(p + i * e->ps, e->ps, 0);
	return bad;
}

/*
 * A huge object of @mib MiB (*@fd, *@id) mapped at a 2 MiB boundary
 * (*@m), its pages written with fill_pages(@seed): 2 MiB leaves.
 */
static void huge_written(struct __test_metadata *_metadata, struct env *e, size_t mib,
			 unsigned int seed, int *fd, __u64 *id, unsigned char **m)
{
	*fd = huge_new(e, mib, id);
	ASSERT_GE(*fd, 0);
	*m = map_huge(e, *fd, mib * MiB);
	ASSERT_NE(MAP_FAILED, *m);
	fill_pages(e, *m, mib * MiB, seed);
	ASSERT_EQ(HUGE, leaf_size(e, *m));
}

#define STAT(fd, st) ASSERT_EQ(0, pl_obj_stat((fd), 0, &(st)))

#define NEED_HUGE(e)								\
	do {									\
		if (!(e)->have)							\
			SKIP(return, "this kernel maps no huge object (6.12 on)"); \
	} while (0)

FIXTURE(huge) {
	struct env e;
};

FIXTURE_SETUP(huge)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(huge)
{
	env_teardown(_metadata, &self->e);
}

/* Where the kernel cannot map one, the flag is refused, with nothing made. */
TEST_F(huge, refused_where_the_kernel_cannot)
{
	struct env *e = &self->e;
	char out[512];
	int fd, rc;
	__u64 id;

	fd = huge_new(e, 2, &id);
	if (e->have) {
		ASSERT_GE(fd, 0);
		return;
	}
	EXPECT_EQ(-EOPNOTSUPP, fd);
	/* The command line names the reason in one line. */
	rc = pl_run_cli("huge --object 2>&1", out, sizeof(out));
	EXPECT_NE(0, rc);
	EXPECT_NE(NULL, strstr(out, "6.12")) TH_LOG("%s", out);
}

/*
 * A huge object maps MAP_SHARED only: a private mapping may always become
 * writable (copy-on-write), which a VM_PFNMAP mapping may not.  A
 * read-only attach's shared mapping maps leaves like any.
 */
TEST_F(huge, private_writable_mappings_are_refused)
{
	struct env *e = &self->e;
	unsigned char *m;
	int fd, ro;
	__u64 id;

	NEED_HUGE(e);
	fd = huge_new(e, 2, &id);
	ASSERT_GE(fd, 0);
	m = mmap(NULL, HUGE, RW, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, HUGE, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	ASSERT_EQ(0, pl_attach(e->dev, id, PAGELAB_ATTACH_RDONLY, &ro));
	pl_track_fd(&e->t, ro);
	m = mmap(NULL, HUGE, PROT_READ, MAP_PRIVATE, ro, 0);
	EXPECT_EQ(MAP_FAILED, m);
	m = map_at(e, ro, HUGE, 0, 0, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0UL, nonzero_pages(e, m, HUGE));
	EXPECT_EQ(HUGE, leaf_size(e, m));
}

/* 8 MiB written page by page: four faults, four 2 MiB leaves. */
TEST_F(huge, one_fault_maps_2mib)
{
	struct env *e = &self->e;
	const size_t len = 8 * MiB;
	struct pagelab_obj_stat st;
	struct pagelab_walk k, k2;
	unsigned char *m, *m2;
	long f0, f1;
	int fd, fd2;
	__u64 id;

	NEED_HUGE(e);
	fd = huge_new(e, 8, &id);
	ASSERT_GE(fd, 0);
	m = map_huge(e, fd, len);
	ASSERT_NE(MAP_FAILED, m);
	f0 = minflt();
	for (size_t i = 0; i < len; i += e->ps)
		m[i] = 1;
	f1 = minflt();
	/* 2,048 pages; a stray fault or two of the test's own is allowed for. */
	EXPECT_LE(f1 - f0, 8) TH_LOG("%ld faults for 2048 pages", f1 - f0);
	EXPECT_GE(f1 - f0, 4);
	STAT(fd, st);
	EXPECT_EQ(4ULL, st.huge_maps);
	EXPECT_EQ(2048ULL, st.allocs);
	EXPECT_EQ(2048ULL, st.resident);
	EXPECT_EQ(0ULL, st.huge_splits);
	for (size_t c = 0; c < len; c += HUGE) {
		ASSERT_EQ(HUGE, leaf_of(e, m + c, &k));
		EXPECT_STREQ("pagelab", k.page_kind);
		EXPECT_EQ(PAGELAB_LEVEL_PMD, k.leaf_level);
		/* 512 frames in a row: page i of the leaf is frame pfn + i. */
		ASSERT_EQ(HUGE, leaf_of(e, m + c + HUGE - e->ps, &k2));
		EXPECT_EQ(k.pfn + e->hp - 1, k2.pfn);
		EXPECT_EQ(0ULL, k.pfn % e->hp);
	}
	/* The scan: 2,048 present pages of the object, each under a PMD leaf. */
	{
		struct pl_scan_req q = {
			.start = (uintptr_t)m, .end = (uintptr_t)m + len,
			.required = PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_PMD | PAGELAB_SCAN_OBJECT,
		};
		struct pagelab_scan_run *runs = NULL;
		uint64_t pages = 0;
		size_t n = 0;

		ASSERT_EQ(0, pl_scan_all(e->dev, &q, &runs, &n, NULL));
		for (size_t i = 0; i < n; i++)
			pages += runs[i].pages;
		EXPECT_EQ(2048ULL, pages);
		ASSERT_EQ(HUGE, leaf_of(e, m, &k));
		EXPECT_EQ(k.pfn, n ? runs[0].pfn : 0);
		free(runs);
	}
	fill_pages(e, m, len, 7);
	/* A second mapping (another file on the object) maps the same leaves. */
	ASSERT_EQ(0, pl_attach(e->dev, id, 0, &fd2));
	pl_track_fd(&e->t, fd2);
	m2 = map_huge(e, fd2, len);
	ASSERT_NE(MAP_FAILED, m2);
	EXPECT_EQ(0UL, bad_pages(e, m2, len, 7));
	ASSERT_EQ(HUGE, leaf_of(e, m2, &k2));
	ASSERT_EQ(HUGE, leaf_of(e, m, &k));
	EXPECT_EQ(k.pfn, k2.pfn);
	STAT(fd, st);
	EXPECT_EQ(8ULL, st.huge_maps);
	EXPECT_EQ(2048ULL, st.allocs);
}

/* A read fault maps a leaf too (of zeroed frames: no zero page here). */
TEST_F(huge, a_read_maps_a_leaf)
{
	struct env *e = &self->e;
	struct pagelab_obj_stat st;
	unsigned char *m;
	int fd;
	__u64 id;

	NEED_HUGE(e);
	fd = huge_new(e, 2, &id);
	ASSERT_GE(fd, 0);
	m = map_huge(e, fd, HUGE);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0UL, nonzero_pages(e, m, HUGE));
	EXPECT_EQ(HUGE, leaf_size(e, m));
	STAT(fd, st);
	EXPECT_EQ(1ULL, st.huge_maps);
	EXPECT_EQ(1ULL, st.faults_read);
	EXPECT_EQ(512ULL, st.allocs);
	/* The write after it makes the read-only leaf writable: one more fault. */
	m[5] = 5;
	STAT(fd, st);
	EXPECT_EQ(2ULL, st.huge_maps);
	EXPECT_EQ(1ULL, st.faults_write);
	EXPECT_EQ(512ULL, st.allocs);
	EXPECT_EQ(HUGE, leaf_size(e, m));
}

/*
 * Where the mapping does not line up with the object's 2 MiB (an offset,
 * an address, a length), or the range holds a 4 KiB frame already, the
 * object maps 4 KiB pages: the same frames.
 */
TEST_F(huge, misaligned_mappings_get_4k_pages)
{
	struct env *e = &self->e;
	struct pagelab_obj_stat st;
	struct pagelab_walk k, k2;
	unsigned char *m, *off, *skew, *part;
	int fd;
	__u64 id;

	NEED_HUGE(e);
	fd = huge_new(e, 10, &id);
	ASSERT_GE(fd, 0);
	/* Pages 1..1024 at a 2 MiB boundary: no chunk lines up (chunks 0-2 get frames). */
	off = map_at(e, fd, 4 * MiB, (off_t)e->ps, 0, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, off);
	fill_pages(e, off, 4 * MiB, 3);
	ASSERT_EQ((uint64_t)e->ps, leaf_of(e, off, &k));
	EXPECT_STREQ("pagelab", k.page_kind);
	STAT(fd, st);
	EXPECT_EQ(0ULL, st.huge_maps);
	/* Chunk 3 (6-8 MiB) lined up with an address 4 KiB off a boundary. */
	skew = map_at(e, fd, 2 * MiB - e->ps, 6 * MiB, e->ps, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, skew);
	skew[0] = 1;
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, skew));
	/* Chunk 3 again, aligned but shorter than 2 MiB. */
	part = map_at(e, fd, MiB, 6 * MiB, 0, RW, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, part);
	EXPECT_EQ(1, part[0]);
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, part));
	STAT(fd, st);
	EXPECT_EQ(0ULL, st.huge_maps);
	/* Aligned now, but chunks 0-3 hold 4 KiB frames: still 4 KiB, same frames. */
	m = map_huge(e, fd, 10 * MiB);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0UL, bad_pages(e, m + e->ps, 4 * MiB, 3));	/* off's pages */
	ASSERT_EQ((uint64_t)e->ps, leaf_of(e, m + e->ps, &k2));
	ASSERT_EQ((uint64_t)e->ps, leaf_of(e, off, &k));
	EXPECT_EQ(k.pfn, k2.pfn);
	EXPECT_EQ(1, m[6 * MiB]);
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, m + 6 * MiB));
	/* Chunk 4 (8-10 MiB) was never touched: a leaf. */
	m[8 * MiB + 3] = 3;
	EXPECT_EQ(HUGE, leaf_size(e, m + 8 * MiB));
	STAT(fd, st);
	EXPECT_EQ(1ULL, st.huge_maps);
}

/*
 * Clone shares every frame: the source's chunks split first (their leaves
 * leave every mapping), and writes then copy one 4 KiB page, in either
 * object.  The split is for good: the source maps 4 KiB pages from then on.
 */
TEST_F(huge, clone_splits_then_copies_4k)
{
	struct env *e = &self->e;
	const size_t len = 4 * MiB;
	struct pagelab_obj_stat st, cs;
	struct pagelab_clone cl;
	unsigned char *m, *c;
	int fd;
	__u64 id;

	NEED_HUGE(e);
	huge_written(_metadata, e, len / MiB, 11, &fd, &id, &m);
	ASSERT_EQ(0, pl_clone(e->dev, id, 0, "huge-clone", &cl));
	pl_track_fd(&e->t, cl.fd);
	EXPECT_EQ(1024ULL, cl.shared);
	EXPECT_EQ(0ULL, cl.copied);
	STAT(fd, st);
	EXPECT_EQ(2ULL, st.huge_splits);
	/* The leaves went: the next touch maps 4 KiB. */
	EXPECT_EQ(0ULL, leaf_size(e, m));
	c = map_huge(e, cl.fd, len);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(0UL, bad_pages(e, c, len, 11));
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, c));
	EXPECT_EQ(0UL, bad_pages(e, m, len, 11));
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, m));
	/* A write to each side copies that page for the writer alone. */
	pl_fill(m + 5 * e->ps, e->ps, 99);
	pl_fill(c + 600 * e->ps, e->ps, 98);
	EXPECT_TRUE(page_ok(e, c + 5 * e->ps, 11, 5));
	EXPECT_TRUE(page_ok(e, m + 600 * e->ps, 11, 600));
	EXPECT_TRUE(pl_page_is(m + 5 * e->ps, e->ps, 99));
	EXPECT_TRUE(pl_page_is(c + 600 * e->ps, e->ps, 98));
	STAT(fd, st);
	STAT(cl.fd, cs);
	EXPECT_EQ(1ULL, st.cow_breaks);
	EXPECT_EQ(1ULL, cs.cow_breaks);
	EXPECT_EQ(2ULL, st.huge_maps);
	EXPECT_EQ(0ULL, cs.huge_maps);
	EXPECT_EQ(2ULL, st.huge_splits);
	EXPECT_EQ(0ULL, cs.huge_splits);
	/* Nothing became 2 MiB again. */
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, m + 2 * MiB));
}

/*
 * Merge: equal pages of two huge objects end up on one frame; each chunk
 * it looks at splits first.  A write then copies 4 KiB.
 */
TEST_F(huge, merge_splits_then_shares_4k)
{
	struct env *e = &self->e;
	struct pagelab_obj_stat sa, sb;
	struct pagelab_merge mg;
	unsigned char *a, *b;
	int fa, fb;
	__u64 ids[2];

	NEED_HUGE(e);
	fa = huge_new(e, 2, &ids[0]);
	fb = huge_new(e, 2, &ids[1]);
	ASSERT_GE(fa, 0);
	ASSERT_GE(fb, 0);
	a = map_huge(e, fa, HUGE);
	b = map_huge(e, fb, HUGE);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	fill_pages(e, a, HUGE, 21);
	fill_pages(e, b, HUGE, 21);
	ASSERT_EQ(HUGE, leaf_size(e, a));
	ASSERT_EQ(HUGE, leaf_size(e, b));
	ASSERT_EQ(0, pl_merge(e->dev, ids, 2, &mg));
	EXPECT_EQ(1024ULL, mg.scanned);
	EXPECT_EQ(512ULL, mg.merged);
	EXPECT_EQ(512ULL * e->ps, mg.saved);
	STAT(fa, sa);
	STAT(fb, sb);
	EXPECT_EQ(1ULL, sa.huge_splits);
	EXPECT_EQ(1ULL, sb.huge_splits);
	EXPECT_EQ(0UL, bad_pages(e, a, HUGE, 21));
	EXPECT_EQ(0UL, bad_pages(e, b, HUGE, 21));
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, a));
	pl_fill(a + 7 * e->ps, e->ps, 77);
	EXPECT_TRUE(page_ok(e, b + 7 * e->ps, 21, 7));
	EXPECT_TRUE(pl_page_is(a + 7 * e->ps, e->ps, 77));
}

/*
 * A frame budget works on 4 KiB pages: setting one splits every chunk,
 * pages go out and come back one by one, and with the budget gone the
 * object still maps 4 KiB pages (its chunks stay split).
 */
TEST_F(huge, budget_splits_and_pages_4k)
{
	struct env *e = &self->e;
	const size_t len = 4 * MiB;
	struct pagelab_obj_stat st;
	unsigned char *m;
	int fd;
	__u64 id;

	NEED_HUGE(e);
	huge_written(_metadata, e, len / MiB, 31, &fd, &id, &m);
	ASSERT_EQ(0, pl_replace(fd, 256, PAGELAB_POLICY_FIFO, 0, 1));
	STAT(fd, st);
	EXPECT_EQ(2ULL, st.huge_splits);
	EXPECT_EQ(256ULL, st.resident);
	EXPECT_EQ(768ULL, st.evictions);
	EXPECT_EQ(0UL, bad_pages(e, m, len, 31));
	STAT(fd, st);
	EXPECT_GE(st.page_ins, 768ULL);
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, m + len - e->ps));
	ASSERT_EQ(0, pl_replace(fd, 0, 0, 0, 0));
	EXPECT_EQ(0UL, bad_pages(e, m, len, 31));
	STAT(fd, st);
	EXPECT_EQ(1024ULL, st.resident);
	EXPECT_EQ(2ULL, st.huge_maps);
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, m));
}

/*
 * munmap() or mprotect() of part of a leaf splits that mapping's VMA and
 * leaf: the object's chunk stays whole, and while the mapping that split
 * refaults 4 KiB pages of the same frames, the other mappings refault a
 * leaf (the VMA split's ->open removed the range's leaves everywhere; see
 * pagelab_huge_vma_copied()).
 */
TEST_F(huge, partial_munmap_and_mprotect_split_one_mapping)
{
	struct env *e = &self->e;
	struct pagelab_obj_stat st;
	struct pagelab_walk k, k2;
	unsigned char *a, *b, *c;
	int fd;
	__u64 id;

	NEED_HUGE(e);
	fd = huge_new(e, 2, &id);
	ASSERT_GE(fd, 0);
	a = map_huge(e, fd, HUGE);
	b = map_huge(e, fd, HUGE);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	fill_pages(e, a, HUGE, 41);
	EXPECT_EQ(0UL, bad_pages(e, b, HUGE, 41));
	ASSERT_EQ(HUGE, leaf_of(e, a, &k));
	ASSERT_EQ(HUGE, leaf_size(e, b));
	ASSERT_EQ(0, munmap(a + 100 * e->ps, e->ps));
	(void)pl_rd(b);
	EXPECT_EQ(HUGE, leaf_size(e, b));
	EXPECT_EQ(0UL, bad_range(e, a, 0, 100, 41));
	EXPECT_EQ(0UL, bad_range(e, a, 101, e->hp - 101, 41));
	ASSERT_EQ((uint64_t)e->ps, leaf_of(e, a + 200 * e->ps, &k2));
	EXPECT_EQ(k.pfn + 200, k2.pfn);
	/* mprotect() of one page of b: b's leaf splits, the page reads still. */
	ASSERT_EQ(0, mprotect(b + 3 * e->ps, e->ps, PROT_READ));
	EXPECT_TRUE(page_ok(e, b + 3 * e->ps, 41, 3));
	EXPECT_EQ((uint64_t)e->ps, leaf_size(e, b + 3 * e->ps));
	pl_fill(b + 4 * e->ps, e->ps, 44);
	EXPECT_TRUE(pl_page_is(a + 4 * e->ps, e->ps, 44));
	STAT(fd, st);
	EXPECT_EQ(0ULL, st.huge_splits);
	/* The chunk is whole: a third mapping gets a leaf. */
	c = map_huge(e, fd, HUGE);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_TRUE(pl_page_is(c + 4 * e->ps, e->ps, 44));
	EXPECT_EQ(HUGE, leaf_size(e, c));
}

/* fork: the child's mapping faults its own leaf onto the same frames. */
TEST_F(huge, fork_child_maps_its_own_leaf)
{
	struct env *e = &self->e;
	struct pagelab_walk k;
	unsigned char *m;
	int fd, status;
	pid_t pid;
	__u64 id;

	NEED_HUGE(e);
	huge_written(_metadata, e, 2, 51, &fd, &id, &m);
	ASSERT_EQ(HUGE, leaf_of(e, m, &k));
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct pagelab_walk kc;

		if (bad_pages(e, m, HUGE, 51))
			_exit(1);
		if (leaf_of(e, m, &kc) != HUGE || kc.pfn != k.pfn)
			_exit(2);
		pl_fill(m + e->ps, e->ps, 52);
		_exit(0);
	}
	status = pl_track_reap(&e->t, pid);
	EXPECT_EQ(0, status) TH_LOG("child: 1 data, 2 leaf, else a signal (%d)", status);
	/* The child's write went to the shared frames. */
	EXPECT_TRUE(pl_page_is(m + e->ps, e->ps, 52));
}

/* The tour's command shows it; the benchmark prices it against the kernel's. */
TEST_F(huge, cli_shows_and_benches_a_huge_object)
{
	struct env *e = &self->e;
	static char out[16384];

	NEED_HUGE(e);
	EXPECT_EQ(0, pl_run_cli("huge --object", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "PMD leaf, 2 MiB, PS bit set")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "PTE leaf, 4 KiB")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("bench huge --reps 3", out, sizeof(out))) TH_LOG("%s", out);
	if (strstr(out, "skipped") && _metadata->passed)
		SKIP(return, "no transparent huge page here");
	EXPECT_NE(NULL, strstr(out, "RATIO obj_huge_vs_small ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "RATIO obj_huge_vs_thp ")) TH_LOG("%s", out);
}

/*
 * The attack: writers store increasing counters through the leaves of a
 * fresh huge object while the main thread clones it (or sets a frame
 * budget on it) under them.  A leaf that outlived its chunk's split would
 * let a write reach a frame the clone shares (the snapshot changes after
 * it was taken) or a frame the budget evicted (the write is lost).  Looped
 * over fresh objects, since a chunk splits once.
 */
#define RACE_THREADS	4
#define RACE_PAGES	64	/* per writer, spread over the object's chunks */

struct race {
	unsigned char *m;
	size_t ps;
	size_t npages;
	atomic_int stop;
	atomic_int started;
	atomic_long lost;
	uint64_t last[RACE_THREADS][RACE_PAGES];
};

struct race_arg {
	struct race *r;
	int t;
};

/* Writer @t's page @j: spread so that every chunk has some. */
static size_t race_page(const struct race *r, int t, int j)
{
	return ((size_t)j * RACE_THREADS + (size_t)t) * (r->npages / (RACE_THREADS * RACE_PAGES));
}

static void *race_writer(void *p)
{
	struct race_arg *a = p;
	struct race *r = a->r;
	uint64_t v = 0;

	while (!atomic_load(&r->stop)) {
		for (int j = 0; j < RACE_PAGES; j++) {
			volatile uint64_t *q = (volatile uint64_t *)(r->m + race_page(r, a->t, j) *
								      r->ps);

			*q = ++v;
			if (*q != v)
				atomic_fetch_add(&r->lost, 1);
			r->last[a->t][j] = v;
		}
		if (v == RACE_PAGES)
			atomic_fetch_add(&r->started, 1);
	}
	return NULL;
}

static volatile sig_atomic_t race_round = -1;

/* A fault answered with SIGBUS: say in which round, and end the test. */
static void race_sigbus(int sig, siginfo_t *si, void *uc)
{
	char msg[96];
	int n;

	(void)sig;
	(void)uc;
	n = snprintf(msg, sizeof(msg), "# SIGBUS at %p in round %d (%s)\n", si->si_addr,
		     (int)race_round, race_round % 2 ? "budget" : "clone");
	if (write(2, msg, (size_t)n) < 0)
		_exit(4);
	_exit(3);
}

static void race_pause(void)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

TEST_F(huge, writes_race_clone_and_budget_splits)
{
	struct env *e = &self->e;
	const size_t len = 8 * MiB;
	unsigned long rounds = 24 * pl_stress_scale() / 100 + 2;
	long changed = 0, lost = 0, wrong = 0, huge_maps = 0;

	NEED_HUGE(e);
	{
		struct sigaction sa = { .sa_sigaction = race_sigbus, .sa_flags = SA_SIGINFO };

		sigaction(SIGBUS, &sa, NULL);
	}
	for (unsigned long round = 0; round < rounds; round++) {
		struct race_arg args[RACE_THREADS];
		pthread_t th[RACE_THREADS];
		struct pagelab_obj_stat st;
		static struct race r;
		struct pagelab_clone cl;
		uint64_t snap[RACE_THREADS][RACE_PAGES];
		unsigned char *c = NULL;
		int fd;
		__u64 id;

		fd = huge_new(e, len / MiB, &id);
		ASSERT_GE(fd, 0);
		race_round = (int)round;
		memset(&r, 0, sizeof(r));
		r.ps = e->ps;
		r.npages = len / e->ps;
		r.m = map_huge(e, fd, len);
		ASSERT_NE(MAP_FAILED, r.m);
		for (int t = 0; t < RACE_THREADS; t++) {
			args[t] = (struct race_arg){ .r = &r, .t = t };
			ASSERT_EQ(0, pthread_create(&th[t], NULL, race_writer, &args[t]));
		}
		while (atomic_load(&r.started) < RACE_THREADS)
			sched_yield();
		if (round % 2 == 0) {
			ASSERT_EQ(0, pl_clone(e->dev, id, 0, "huge-race", &cl));
			pl_track_fd(&e->t, cl.fd);
			c = map_at(e, cl.fd, len, 0, 0, PROT_READ, MAP_SHARED);
			ASSERT_NE(MAP_FAILED, c);
			for (int t = 0; t < RACE_THREADS; t++)
				for (int j = 0; j < RACE_PAGES; j++)
					snap[t][j] = *(volatile uint64_t *)(c + race_page(&r, t, j) *
									    e->ps);
			race_pause();
			for (int t = 0; t < RACE_THREADS; t++)
				for (int j = 0; j < RACE_PAGES; j++)
					changed += snap[t][j] !=
						   *(volatile uint64_t *)(c + race_page(&r, t, j) *
									  e->ps);
		} else {
			ASSERT_EQ(0, pl_replace(fd, 64, PAGELAB_POLICY_CLOCK, 0, round));
			race_pause();
			ASSERT_EQ(0, pl_replace(fd, 0, 0, 0, 0));
		}
		race_pause();
		atomic_store(&r.stop, 1);
		for (int t = 0; t < RACE_THREADS; t++)
			pthread_join(th[t], NULL);
		lost += atomic_load(&r.lost);
		for (int t = 0; t < RACE_THREADS; t++)
			for (int j = 0; j < RACE_PAGES; j++)
				wrong += r.last[t][j] !=
					 *(volatile uint64_t *)(r.m + race_page(&r, t, j) * e->ps);
		STAT(fd, st);
		huge_maps += st.huge_maps;
		EXPECT_EQ(4ULL, st.huge_splits);
		if (c) {
			pl_track_unmap(&e->t, c);
			pl_track_close(&e->t, cl.fd);
		}
		pl_track_unmap(&e->t, r.m);
		pl_track_close(&e->t, fd);
	}
	EXPECT_EQ(0, changed) TH_LOG("snapshot pages changed after the clone");
	EXPECT_EQ(0, lost) TH_LOG("writes read back wrong at once");
	EXPECT_EQ(0, wrong) TH_LOG("last writes lost");
	/* The writers did go through leaves before the splits. */
	EXPECT_GE(huge_maps, (long)rounds);
}

/*
 * fork() copies a parent's leaf after reading it with no lock; a clone
 * that splits the chunk in between would leave the child a writable leaf
 * over frames the snapshot now shares.  A thread forks children that
 * each write the fork's number into every 2 MiB of the source while the
 * main thread clones it: after the clone returned, the snapshot must not
 * change.  Looped over fresh objects.
 */
struct forker {
	unsigned char *m;
	size_t len;
	atomic_int stop;
	atomic_long forks;
};

static void *fork_loop(void *p)
{
	struct forker *f = p;

	while (!atomic_load(&f->stop)) {
		uint64_t n = (uint64_t)atomic_load(&f->forks) + 1;
		pid_t pid = fork();

		if (pid == 0) {
			for (size_t o = 0; o < f->len; o += HUGE)
				*(volatile uint64_t *)(f->m + o + 8) = n;
			_exit(0);
		}
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			atomic_fetch_add(&f->forks, 1);
		}
	}
	return NULL;
}

TEST_F(huge, fork_races_clone_split)
{
	struct env *e = &self->e;
	const size_t len = 8 * MiB;
	unsigned long rounds = 40 * pl_stress_scale() / 100 + 2;
	long changed = 0, forks = 0;

	NEED_HUGE(e);
	for (unsigned long round = 0; round < rounds; round++) {
		static struct forker f;
		uint64_t snap[8 * MiB / HUGE];
		struct pagelab_clone cl;
		unsigned char *c;
		pthread_t th;
		int fd;
		__u64 id;

		fd = huge_new(e, len / MiB, &id);
		ASSERT_GE(fd, 0);
		memset(&f, 0, sizeof(f));
		f.len = len;
		f.m = map_huge(e, fd, len);
		ASSERT_NE(MAP_FAILED, f.m);
		for (size_t o = 0; o < len; o += e->ps)
			f.m[o] = 1;
		ASSERT_EQ(0, pthread_create(&th, NULL, fork_loop, &f));
		while (atomic_load(&f.forks) < 2)
			sched_yield();
		ASSERT_EQ(0, pl_clone(e->dev, id, 0, "huge-fork", &cl));
		c = map_at(e, cl.fd, len, 0, 0, PROT_READ, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, c);
		for (size_t o = 0; o < len; o += HUGE)
			snap[o / HUGE] = *(volatile uint64_t *)(c + o + 8);
		race_pause();
		atomic_store(&f.stop, 1);
		pthread_join(th, NULL);
		forks += atomic_load(&f.forks);
		for (size_t o = 0; o < len; o += HUGE)
			changed += snap[o / HUGE] != *(volatile uint64_t *)(c + o + 8);
		pl_track_unmap(&e->t, c);
		pl_track_close(&e->t, cl.fd);
		pl_track_unmap(&e->t, f.m);
		pl_track_close(&e->t, fd);
	}
	EXPECT_EQ(0, changed) TH_LOG("a child wrote into the snapshot through a stale leaf");
	TH_LOG("%lu rounds, %ld forks", rounds, forks);
}

TEST_HARNESS_MAIN
