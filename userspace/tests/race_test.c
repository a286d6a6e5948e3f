// SPDX-License-Identifier: GPL-2.0
/*
 * race_test - pagelab's fault path under concurrency: the interleavings a
 * serial test cannot reach, with the windows widened on purpose (large
 * objects, threads released together, the page-in delay, loops).
 *
 *   f1_*   a copy-on-write break on a frame while that frame is being
 *          written to the backing file (the first budget's evictions, done
 *          with the object's lock let go)
 *   f3_*   a fault racing the first budget must never map the zero page
 *          (or copy zeros privately) over data that went to the store
 *   f6_*   a fault finding every frame pinned neither sleeps holding
 *          mmap_lock nor searches for long
 *   f7_*   a budget removal that fails midway leaves every page in a slot
 *   zero_* a zero-page entry never outlives the first write of its page,
 *          even one whose writer is killed before it retries
 *   store_* the backing file is written only as the caller could write it
 *
 * PAGELAB_RACE_ONLY=TEXT runs only the tests whose name holds TEXT (the
 * others SKIP), to loop one race on its own.
 *
 * Each fixture checks in its teardown that objects and pages held are back
 * where they were.  Children report through exit codes; threads through
 * shared variables checked by the parent.  Runs as root in the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

#define RW		(PROT_READ | PROT_WRITE)
/* 1 GiB of 4 KiB pages: the budget's setup then takes long enough to race. */
#define BIG_PAGES	262144UL

struct env {
	int dev;
	size_t ps;
	struct pagelab_info before;
	struct pl_track t;
	char *store_path;
	bool restore_max_pages;
	unsigned long long saved_max_pages;
};

/* The first line of every test: PAGELAB_RACE_ONLY picks the tests run. */
#define SELECTED() do { \
	const char *only = getenv("PAGELAB_RACE_ONLY"); \
	if (only && *only && !strstr(_metadata->name, only)) \
		SKIP(return, "PAGELAB_RACE_ONLY=%s", only); \
} while (0)

#define CHILD_CHECK(cond, code) do { if (!(cond)) _exit(code); } while (0)
#define STAT(fd, st) ASSERT_EQ(0, pl_obj_stat((fd), 0, &(st)))

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A sparse backing file of @bytes in PAGELAB_SCRATCH (or /tmp): its fd or -errno. */
static int store_open(struct env *e, size_t bytes)
{
	const char *dir = getenv("PAGELAB_SCRATCH");
	int fd;

	if (!e->store_path &&
	    asprintf(&e->store_path, "%s/pagelab-race-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		return -ENOMEM;
	fd = mkstemp(e->store_path);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) || ftruncate(fd, bytes)) {
		close(fd);
		return -errno;
	}
	return fd;
}

FIXTURE(race) {
	struct env e;
};

FIXTURE_SETUP(race)
{
	struct env *e = &self->e;

	e->dev = pl_open();
	ASSERT_GE(e->dev, 0) TH_LOG("%s", pl_open_hint(e->dev));
	e->ps = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, pl_info(e->dev, &e->before));
}

FIXTURE_TEARDOWN(race)
{
	struct env *e = &self->e;

	pl_track_kill_kids(&e->t);
	if (e->restore_max_pages)
		EXPECT_EQ(0, pl_param_write("max_pages", e->saved_max_pages));
	pl_track_release(&e->t);
	if (e->store_path) {
		unlink(e->store_path);
		free(e->store_path);
	}
	pl_expect_held_as_before(_metadata, e->dev, &e->before);
	close(e->dev);
}

/* ---- F3: the first budget against faults that saw none ---------------- */

#define F3_PAGES	64
#define F3_READERS	8	/* more than vCPUs: readers get preempted mid-fault */

struct zero_reader {
	pthread_t thread;
	unsigned char *m;
	size_t ps;
	bool private_write;
	atomic_int stop;
	atomic_ulong zeros;	/* pages seen without their data */
	atomic_ulong passes;
};

static void *zero_reader_run(void *arg)
{
	struct zero_reader *r = arg;

	while (!atomic_load(&r->stop)) {
		madvise(r->m, F3_PAGES * r->ps, MADV_DONTNEED);
		for (size_t pg = 0; pg < F3_PAGES; pg++) {
			unsigned char *p = r->m + pg * r->ps;

			/* A private write: the copy is made from what the object holds. */
			if (r->private_write)
				p[r->ps - 1] = 0x5a;
			if (!pl_page_is(p, r->ps - 1, 0x40 + pg))
				atomic_fetch_add(&r->zeros, 1);
		}
		atomic_fetch_add(&r->passes, 1);
	}
	return NULL;
}

static void f3_run(struct __test_metadata *_metadata, struct env *e, bool private_write)
{
	const size_t ps = e->ps;
	unsigned long toggles = 1500 * pl_stress_scale() / 100, i, busy = 0;
	struct zero_reader r[F3_READERS];
	unsigned char *m;
	int fd, err = 0;

	fd = pl_track_create(&e->t, e->dev, F3_PAGES * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0,
			     "race-zero", NULL);
	ASSERT_GE(fd, 0);
	m = pl_track_map(&e->t, mmap(NULL, F3_PAGES * ps, RW, MAP_SHARED, fd, 0), F3_PAGES * ps);
	ASSERT_NE(MAP_FAILED, m);
	for (size_t pg = 0; pg < F3_PAGES; pg++)
		pl_fill(m + pg * ps, ps, 0x40 + pg);
	for (int k = 0; k < F3_READERS; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].ps = ps;
		r[k].private_write = private_write;
		r[k].m = private_write ? mmap(NULL, F3_PAGES * ps, RW, MAP_PRIVATE, fd, 0) : m;
		ASSERT_NE(MAP_FAILED, r[k].m);
		ASSERT_EQ(0, pthread_create(&r[k].thread, NULL, zero_reader_run, &r[k]));
	}
	for (i = 0; i < toggles && (!err || err == -EBUSY); i++) {
		err = pl_replace(fd, 1, PAGELAB_POLICY_FIFO, 0, 1);
		if (!err || err == -EBUSY)
			err = pl_replace(fd, 0, 0, 0, 0);
		busy += err == -EBUSY;
	}
	unsigned long zeros = 0, passes = 0;

	for (int k = 0; k < F3_READERS; k++) {
		atomic_store(&r[k].stop, 1);
		pthread_join(r[k].thread, NULL);
		if (private_write)
			munmap(r[k].m, F3_PAGES * ps);
		zeros += atomic_load(&r[k].zeros);
		passes += atomic_load(&r[k].passes);
	}
	EXPECT_TRUE(!err || err == -EBUSY) TH_LOG("toggle %lu: %s", i, strerror(-err));
	EXPECT_EQ(0UL, busy)
		TH_LOG("%lu budget changes said EBUSY: frames held a moment must be waited for",
		       busy);
	EXPECT_EQ(0UL, zeros) TH_LOG("pages read without their data while it sat in the store");
	TH_LOG("%lu budget toggles, %lu passes of %d readers over %d pages", i, passes,
	       F3_READERS, F3_PAGES);
	/* And the data itself came through every toggle. */
	for (size_t pg = 0; pg < F3_PAGES; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 0x40 + pg)) TH_LOG("page %zu", pg);
	}
}

TEST_F_TIMEOUT(race, f3_reads_never_see_zeros_over_stored_data, 600)
{
	SELECTED();
	f3_run(_metadata, &self->e, false);
}

TEST_F_TIMEOUT(race, f3_private_copies_never_made_from_zeros, 600)
{
	SELECTED();
	f3_run(_metadata, &self->e, true);
}

/* ---- F6: every frame pinned -------------------------------------------- */

#define F6_BUDGET	4096
#define F6_PIPES	16

struct mmap_prober {
	pthread_t thread;
	atomic_int start;
	double worst_ms;	/* the slowest mmap + munmap while the fault looked */
	unsigned long rounds;
	atomic_int inflight;	/* a call under way when the process died... */
	struct timespec since;	/* ...begun then */
};

/* mmap/munmap take mmap_lock for writing: they stall while a fault holds it. */
static void *mmap_prober_run(void *arg)
{
	struct mmap_prober *p = arg;
	struct timespec t0, tend;
	double ms;

	while (!atomic_load(&p->start))
		;
	clock_gettime(CLOCK_MONOTONIC, &tend);
	while (ms_since(&tend) < 600) {
		void *x;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		p->since = t0;
		atomic_store(&p->inflight, 1);
		x = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (x != MAP_FAILED)
			munmap(x, 4096);
		atomic_store(&p->inflight, 0);
		ms = ms_since(&t0);
		if (ms > p->worst_ms)
			p->worst_ms = ms;
		p->rounds++;
		usleep(1000);
	}
	return NULL;
}

/*
 * A budget of 4096 frames, every one held by a pipe (vmsplice through a
 * read-only mapping).  A miss by another thread finds no victim: it must
 * end (SIGBUS, in a child) in about a second, and while it looks, the
 * process's mmap_lock must stay free: mmap() in another thread never waits
 * for the looks.
 */
TEST_F_TIMEOUT(race, f6_every_frame_pinned_holds_no_mmap_lock, 600)
{
	SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	const size_t npages = F6_BUDGET + 1;
	struct mmap_prober *pr;
	struct timespec t0;
	unsigned char *m, *ro;
	int fd, pfd[F6_PIPES][2], status;
	size_t per = F6_BUDGET / F6_PIPES;
	double ms;
	pid_t pid;

	fd = pl_track_create(&e->t, e->dev, npages * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0,
			     "race-pinned", NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pl_replace(fd, F6_BUDGET, PAGELAB_POLICY_LRU, 0, 1));
	m = pl_track_map(&e->t, mmap(NULL, npages * ps, RW, MAP_SHARED, fd, 0), npages * ps);
	ASSERT_NE(MAP_FAILED, m);
	for (size_t pg = 0; pg < F6_BUDGET; pg++)
		pl_wr(m + pg * ps, 1);
	ro = pl_track_map(&e->t, mmap(NULL, npages * ps, PROT_READ, MAP_SHARED, fd, 0),
			  npages * ps);
	ASSERT_NE(MAP_FAILED, ro);
	for (int k = 0; k < F6_PIPES; k++) {
		struct iovec iov = { .iov_base = ro + k * per * ps, .iov_len = per * ps };
		size_t done = 0;

		ASSERT_EQ(0, pl_track_pipe(&e->t, pfd[k]));
		ASSERT_LE((long)(per * ps), fcntl(pfd[k][1], F_SETPIPE_SZ, (int)(per * ps)))
			TH_LOG("F_SETPIPE_SZ: %s", strerror(errno));
		while (done < per * ps) {
			ssize_t n = vmsplice(pfd[k][1], &iov, 1, 0);

			ASSERT_GT(n, 0) TH_LOG("vmsplice: %s", strerror(errno));
			done += n;
			iov.iov_base = (char *)iov.iov_base + n;
			iov.iov_len -= n;
		}
	}

	pr = mmap(NULL, sizeof(*pr), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pr);
	memset(pr, 0, sizeof(*pr));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		pl_no_core_dumps();
		CHILD_CHECK(!pthread_create(&pr->thread, NULL, mmap_prober_run, pr), 3);
		atomic_store(&pr->start, 1);
		usleep(20 * 1000);
		pl_wr(m + F6_BUDGET * ps, 2);	/* needs a frame: none can go */
		_exit(0);
	}
	status = pl_track_reap(&e->t, pid);
	ms = ms_since(&t0);
	/* A call still waiting when SIGBUS came waited until then. */
	if (atomic_load(&pr->inflight) && ms_since(&pr->since) > pr->worst_ms)
		pr->worst_ms = ms_since(&pr->since);
	EXPECT_EQ(128 + SIGBUS, status) TH_LOG("every frame is pinned: SIGBUS expected");
	EXPECT_LT(ms, 5000.0) TH_LOG("the miss took %.0f ms to give up", ms);
	EXPECT_LT(pr->worst_ms, 200.0)
		TH_LOG("mmap() waited %.0f ms: the fault slept holding mmap_lock", pr->worst_ms);
	TH_LOG("SIGBUS after %.0f ms; mmap() meanwhile: %lu rounds, slowest %.1f ms", ms,
	       pr->rounds, pr->worst_ms);
	munmap(pr, sizeof(*pr));
}

/* ---- F7: a budget removal that fails midway ---------------------------- */

/* A budget of 2 over 8 written pages; its removal runs out of frames after two. */
static void f7_run(struct __test_metadata *_metadata, struct env *e, bool file)
{
	const size_t ps = e->ps;
	struct pagelab_obj_stat st;
	struct pagelab_info now;
	unsigned char *m;
	int fd, sfd = 0;

	fd = pl_track_create(&e->t, e->dev, 8 * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0,
			     "race-unload", NULL);
	ASSERT_GE(fd, 0);
	if (file) {
		sfd = store_open(e, 8 * ps);
		ASSERT_GE(sfd, 0);
		pl_track_fd(&e->t, sfd);
	}
	ASSERT_EQ(0, pl_replace_store(fd, 2, PAGELAB_POLICY_FIFO,
				      file ? PAGELAB_REPLACE_FILE : 0, 1, sfd, 0));
	m = pl_track_map(&e->t, mmap(NULL, 8 * ps, RW, MAP_SHARED, fd, 0), 8 * ps);
	ASSERT_NE(MAP_FAILED, m);
	for (size_t pg = 0; pg < 8; pg++)
		pl_fill(m + pg * ps, ps, 0x70 + pg);
	STAT(fd, st);
	ASSERT_EQ(2ULL, st.resident);

	/* Room for two more frames: the removal brings two pages back, then fails. */
	ASSERT_EQ(0, pl_param_read("max_pages", &e->saved_max_pages));
	ASSERT_EQ(0, pl_info(e->dev, &now));
	e->restore_max_pages = true;
	ASSERT_EQ(0, pl_param_write("max_pages", now.pages_held + 2));
	EXPECT_EQ(-ENOSPC, pl_replace(fd, 0, 0, 0, 0));
	ASSERT_EQ(0, pl_param_write("max_pages", e->saved_max_pages));
	e->restore_max_pages = false;

	STAT(fd, st);
	EXPECT_EQ(2U, st.budget) TH_LOG("the budget must stay after a failed removal");
	EXPECT_LE(st.resident, (unsigned long long)st.budget)
		TH_LOG("%llu pages resident over a budget of %u: pages outside any slot",
		       (unsigned long long)st.resident, st.budget);
	/* Every page still reads back, and the budget still evicts. */
	for (size_t pg = 0; pg < 8; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 0x70 + pg)) TH_LOG("page %zu", pg);
	}
	STAT(fd, st);
	EXPECT_LE(st.resident, (unsigned long long)st.budget);
	EXPECT_EQ(0, pl_replace(fd, 0, 0, 0, 0));
	for (size_t pg = 0; pg < 8; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 0x70 + pg)) TH_LOG("page %zu", pg);
	}
}

TEST_F(race, f7_failed_budget_removal_keeps_pages_in_slots)
{
	SELECTED();
	f7_run(_metadata, &self->e, false);
}

TEST_F(race, f7_failed_removal_from_a_backing_file_keeps_pages_in_slots)
{
	SELECTED();
	f7_run(_metadata, &self->e, true);
}

/* ---- the backing file: the caller's rights ----------------------------- */

/*
 * Root opens a 0600 root file read-write and an object, then a child drops
 * to nobody keeping both fds: the child could not open that file for
 * writing itself, so it may not make it its store.
 */
TEST_F(race, store_needs_the_callers_own_write_access)
{
	SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	int fd, sfd;
	pid_t pid;

	fd = pl_track_create(&e->t, e->dev, 4 * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0666,
			     "race-cred", NULL);
	ASSERT_GE(fd, 0);
	sfd = store_open(e, 4 * ps);
	ASSERT_GE(sfd, 0);
	pl_track_fd(&e->t, sfd);
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		int err;

		CHILD_CHECK(!setgroups(0, NULL) && !setgid(65534) && !setuid(65534), 3);
		err = pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd, 0);
		CHILD_CHECK(err == -EACCES, 4);
		_exit(0);
	}
	EXPECT_EQ(0, pl_track_reap(&e->t, pid))
		TH_LOG("exit 4: nobody made root's 0600 file its store through an inherited fd");
	/* Root itself may. */
	EXPECT_EQ(0, pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd,
				      0));
	EXPECT_EQ(0, pl_replace(fd, 0, 0, 0, 0));
}

/*
 * After iteration @i of a loop: are the module's pages held as before the
 * test, once a worker's deferred fput() has let the last object go?
 */
static bool held_as_before(struct __test_metadata *_metadata, struct env *e, unsigned long i)
{
	struct pagelab_info now;

	if (pl_wait_held_as_before(e->dev, &e->before, &now)) {
		TH_LOG("iteration %lu: PAGELAB_IOC_INFO failed", i);
		return false;
	}
	if (now.pages_held == e->before.pages_held)
		return true;
	TH_LOG("iteration %lu: %llu pages held, %llu before", i,
	       (unsigned long long)now.pages_held, (unsigned long long)e->before.pages_held);
	return false;
}

/* ---- F1: COW break on a victim during its write-back ------------------- */

struct cow_writer {
	pthread_t thread;
	unsigned char *page;	/* the page to write */
	size_t ps;
	unsigned int pattern;
	atomic_int go;
};

static void *cow_writer_run(void *arg)
{
	struct cow_writer *w = arg;

	while (!atomic_load(&w->go))
		;
	/* Wherever the PTE was, this write faults: a COW break on a shared frame. */
	madvise(w->page, w->ps, MADV_DONTNEED);
	pl_fill(w->page, w->ps, w->pattern);
	return NULL;
}

/* In a child, under alarm: does @pages of @m hold @base + pg?  Exit 0 if so. */
static int child_reads(struct env *e, const unsigned char *m, size_t pages, unsigned int base)
{
	pid_t pid = pl_track_fork(&e->t);

	if (!pid) {
		alarm(20);
		for (size_t pg = 0; pg < pages; pg++)
			CHILD_CHECK(pl_page_is(m + pg * e->ps, e->ps, base + pg), 10 + pg);
		_exit(0);
	}
	return pid < 0 ? -1 : pl_track_reap(&e->t, pid);
}

/*
 * An object A of 1 GiB with pages 0 and 1 written, and its clone B: frame
 * F at A[0] is shared.  A writer on A's mapping and the first file-store
 * budget of A (one frame: FIFO evicts page 0 first, written to the file
 * with A's lock let go) start together.  The writer's fault saw no budget
 * and breaks COW on A[0]; whatever the order, A[0] must read the write,
 * B must keep F's data, and every frame must come back.
 */
TEST_F_TIMEOUT(race, f1_cow_break_on_victim_during_budget_write_back, 900)
{
	SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	unsigned long iters = 40 * pl_stress_scale() / 100, i, bad = 0;
	struct pagelab_clone cl;
	struct cow_writer w;
	unsigned char *a, *b;
	int fd, sfd, err;

	sfd = store_open(e, BIG_PAGES * ps);
	ASSERT_GE(sfd, 0) TH_LOG("backing file: %s", strerror(-sfd));
	pl_track_fd(&e->t, sfd);
	for (i = 0; i < iters && !bad; i++) {
		ASSERT_EQ(0, pl_create(e->dev, BIG_PAGES * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0,
				       "race-a", &fd, NULL));
		a = mmap(NULL, BIG_PAGES * ps, RW, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, a);
		pl_fill(a, ps, 0x11);
		pl_fill(a + ps, ps, 0x12);
		ASSERT_EQ(0, pl_clone(fd, 0, 0, "race-b", &cl));
		b = mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, cl.fd, 0);
		ASSERT_NE(MAP_FAILED, b);

		memset(&w, 0, sizeof(w));
		w.page = a;
		w.ps = ps;
		w.pattern = 0x33;
		ASSERT_EQ(0, pthread_create(&w.thread, NULL, cow_writer_run, &w));
		/* Vary the start: the writer must meet the budget's I/O. */
		usleep(i % 7 * 100);
		atomic_store(&w.go, 1);
		err = pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd, 0);
		pthread_join(w.thread, NULL);
		ASSERT_EQ(0, err) TH_LOG("iteration %lu: the budget: %s", i, strerror(-err));

		madvise(a, 2 * ps, MADV_DONTNEED);
		if (!pl_page_is(a, ps, 0x33) || !pl_page_is(a + ps, ps, 0x12)) {
			TH_LOG("iteration %lu: A lost the write or its page 1", i);
			bad++;
		}
		err = child_reads(e, b, 2, 0x11);
		if (err) {
			TH_LOG("iteration %lu: B's reader ended with %d (10+page: wrong data; "
			       "142: hung)", i, err);
			bad++;
		}
		munmap(a, BIG_PAGES * ps);
		munmap(b, 2 * ps);
		close(cl.fd);
		close(fd);
		if (!held_as_before(_metadata, e, i))
			bad++;
	}
	EXPECT_EQ(0UL, bad);
	TH_LOG("%lu iterations", i);
}

/* ---- a COW break next to a reader of the same page, one VMA ---------- */

#define STALE_PAGES	16

struct stale_pair {
	unsigned char *page;
	atomic_int go;
	atomic_int stop;
	atomic_int seen;	/* the reader saw the clone's write */
	unsigned char forbidden;
};

static void *stale_writer_run(void *arg)
{
	struct stale_pair *p = arg;

	while (!atomic_load(&p->go))
		;
	pl_wr(p->page, 0x33);
	return NULL;
}

static void *stale_reader_run(void *arg)
{
	struct stale_pair *p = arg;

	while (!atomic_load(&p->go))
		;
	while (!atomic_load(&p->stop))
		if (pl_rd(p->page) == p->forbidden)
			atomic_store(&p->seen, 1);
	return NULL;
}

/*
 * In a child holding the only mapping of A: every round clones A (the
 * holder of a clone needs only read access to A), then one thread writes
 * a page of A while another reads it, both faulting at once; then the
 * clone's page is written.  The writer must finish (a stale PTE of the old
 * frame left in A's mapping makes its write fault forever), and A's
 * reader must never see the clone's data.  Exit 0, 142 if hung, 2 if A
 * showed the clone's write.
 */
static int stale_rounds(struct env *e, __u64 flags, unsigned long rounds)
{
	const size_t ps = e->ps;
	pid_t pid = pl_track_fork(&e->t);

	if (pid)
		return pid < 0 ? -1 : pl_track_reap(&e->t, pid);
	alarm(60);
	{
		struct pagelab_clone cl;
		struct stale_pair p;
		pthread_t w, r;
		unsigned char *a, *b;
		int fd;

		CHILD_CHECK(!pl_create(e->dev, STALE_PAGES * ps, flags, 0, "race-stale", &fd,
				       NULL), 3);
		a = mmap(NULL, STALE_PAGES * ps, RW, MAP_SHARED, fd, 0);
		CHILD_CHECK(a != MAP_FAILED, 4);
		for (size_t pg = 0; pg < STALE_PAGES; pg++)
			pl_fill(a + pg * ps, ps, 0x20 + pg);
		for (unsigned long i = 0; i < rounds; i++) {
			size_t u = i % STALE_PAGES;

			CHILD_CHECK(!pl_clone(fd, 0, 0, "race-stale-b", &cl), 5);
			b = mmap(NULL, STALE_PAGES * ps, RW, MAP_SHARED, cl.fd, 0);
			CHILD_CHECK(b != MAP_FAILED, 6);
			memset(&p, 0, sizeof(p));
			p.page = a + u * ps;
			p.forbidden = 0x77;
			CHILD_CHECK(!pthread_create(&w, NULL, stale_writer_run, &p), 7);
			CHILD_CHECK(!pthread_create(&r, NULL, stale_reader_run, &p), 7);
			atomic_store(&p.go, 1);
			pthread_join(w, NULL);	/* hangs here without the fix */
			pl_wr(b + u * ps, 0x77);
			usleep(100);
			atomic_store(&p.stop, 1);
			pthread_join(r, NULL);
			CHILD_CHECK(!atomic_load(&p.seen) && pl_rd(a + u * ps) == 0x33, 2);
			munmap(b, STALE_PAGES * ps);
			close(cl.fd);
		}
		_exit(0);
	}
}

TEST_F_TIMEOUT(race, cow_break_leaves_no_stale_pte_in_the_writers_vma, 600)
{
	struct env *e = &self->e;
	unsigned long rounds = 1000 * pl_stress_scale() / 100;
	int st;

	SELECTED();
	st = stale_rounds(e, PAGELAB_CREATE_NO_FAULT_AROUND, rounds);
	EXPECT_EQ(0, st) TH_LOG("no fault-around: exit %d (142: the writer hung; 2: A showed "
				"the clone's write)", st);
	st = stale_rounds(e, 0, rounds);
	EXPECT_EQ(0, st) TH_LOG("fault-around: exit %d (142: the writer hung; 2: A showed "
				"the clone's write)", st);
}

/* ---- readers and a writer of a page while its write-back runs --------- */

#define WB_READERS	8

struct wb_thread {
	pthread_t thread;
	unsigned char *m;
	size_t ps;
	atomic_int *stop;
	bool writer;
};

static void *wb_thread_run(void *arg)
{
	struct wb_thread *t = arg;

	while (!atomic_load(t->stop)) {
		if (t->writer) {
			pl_wr(t->m, 0x55);
		} else {
			madvise(t->m, t->ps, MADV_DONTNEED);
			(void)pl_rd(t->m);
		}
	}
	return NULL;
}

/*
 * A 1 GiB object whose first file-store budget evicts page 0 while eight
 * readers and a writer hammer it (their faults saw no budget).  No fault
 * may map the frame being written out: afterwards a child's write to page
 * 0 must not hang, page 0 must read the writer's data, and every frame
 * must come back.
 */
TEST_F_TIMEOUT(race, write_back_victim_never_mapped_by_a_fault_that_saw_no_budget, 900)
{
	struct env *e = &self->e;
	const size_t ps = e->ps;
	unsigned long iters = 20 * pl_stress_scale() / 100, i, bad = 0;
	struct wb_thread t[WB_READERS + 1];
	atomic_int stop;
	unsigned char *a;
	int fd, sfd, err, st;
	pid_t pid;

	SELECTED();
	sfd = store_open(e, BIG_PAGES * ps);
	ASSERT_GE(sfd, 0) TH_LOG("backing file: %s", strerror(-sfd));
	pl_track_fd(&e->t, sfd);
	for (i = 0; i < iters && !bad; i++) {
		ASSERT_EQ(0, pl_create(e->dev, BIG_PAGES * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0,
				       "race-wb", &fd, NULL));
		a = mmap(NULL, BIG_PAGES * ps, RW, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, a);
		pl_fill(a, ps, 0x11);
		pl_fill(a + ps, ps, 0x12);
		atomic_store(&stop, 0);
		for (int k = 0; k <= WB_READERS; k++) {
			t[k] = (struct wb_thread){ .m = a, .ps = ps, .stop = &stop,
						   .writer = k == WB_READERS };
			ASSERT_EQ(0, pthread_create(&t[k].thread, NULL, wb_thread_run, &t[k]));
		}
		usleep(2000);
		err = pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd, 0);
		usleep(2000);
		atomic_store(&stop, 1);
		for (int k = 0; k <= WB_READERS; k++)
			pthread_join(t[k].thread, NULL);
		ASSERT_EQ(0, err) TH_LOG("iteration %lu: the budget: %s", i, strerror(-err));
		pid = pl_track_fork(&e->t);
		ASSERT_GE(pid, 0);
		if (!pid) {
			alarm(10);
			pl_wr(a, 0x56);
			_exit(0);
		}
		st = pl_track_reap(&e->t, pid);
		madvise(a, 2 * ps, MADV_DONTNEED);
		if (st || pl_rd(a) != 0x56 || !pl_page_is(a + ps, ps, 0x12)) {
			TH_LOG("iteration %lu: child exit %d (142: hung), page 0 reads %#x, page 1 %s",
			       i, st, pl_rd(a), pl_page_is(a + ps, ps, 0x12) ? "kept" : "lost");
			bad++;
		}
		munmap(a, BIG_PAGES * ps);
		close(fd);
		if (!held_as_before(_metadata, e, i))
			bad++;
	}
	EXPECT_EQ(0UL, bad);
	TH_LOG("%lu iterations", i);
}

/* ---- the zero page against the first write ----------------------------- */

#define ZW_PAGES	1024
#define ZW_READERS	6	/* three shared mappings, three private */

struct zw_reader {
	pthread_t thread;
	unsigned char *m;
	size_t ps;
	const atomic_uchar *written;
	atomic_int *stop;
	unsigned long stale;	/* a page read as zeros after its write was published */
	unsigned long torn;	/* a page that was neither zeros nor its data */
	atomic_ulong passes;
};

/* The writer's data for page @pg: not zero anywhere. */
#define ZW_SEED(pg)	(0x21 + (pg) % 200)

/*
 * Read every page, pass after pass, never clearing the mapping: once a
 * pass maps the zero page at a page, later passes read through that same
 * entry unless the frame's arrival removed it.
 */
static void *zw_reader_run(void *arg)
{
	struct zw_reader *r = arg;

	while (!atomic_load(r->stop)) {
		for (size_t pg = 0; pg < ZW_PAGES; pg++) {
			const unsigned char *p = r->m + pg * r->ps;
			bool published = atomic_load(&r->written[pg]);
			unsigned char c = p[r->ps - 1];

			if (c == 0 && published)
				r->stale++;
			else if (c != 0 && c != (unsigned char)ZW_SEED(pg))
				r->torn++;
		}
		atomic_fetch_add(&r->passes, 1);
	}
	return NULL;
}

/*
 * Readers map the zero page over a fresh object (directly into the PTE
 * table since the read fault stopped going through vmf_insert_mixed())
 * and keep reading through those entries, while a writer gives the pages
 * their first frames in random order and publishes each once written.  A
 * zero-page entry must never outlive the write: a reader that sees a page
 * published must read its data, in shared mappings (a read-only attach's:
 * 6.10 on, the kernel maps no zero page where the mapping may be written)
 * and in private ones, and the zero page itself must stay zeros.
 */
TEST_F_TIMEOUT(race, zero_page_entry_never_outlives_the_first_write, 600)
{
	struct env *e = &self->e;
	const size_t ps = e->ps, len = ZW_PAGES * ps;
	unsigned long rounds = 40 * pl_stress_scale() / 100 + 1, round;
	unsigned long stale = 0, torn = 0, passes = 0;
	static atomic_uchar written[ZW_PAGES];
	struct zw_reader r[ZW_READERS];
	static size_t order[ZW_PAGES];
	uint32_t seed = 0x2545f491;
	atomic_int stop;

	SELECTED();
	for (round = 0; round < rounds; round++) {
		int fd, ro, started;
		unsigned char *w;
		__u64 id;

		fd = pl_track_create(&e->t, e->dev, len, round % 2 ? PAGELAB_CREATE_NO_FAULT_AROUND : 0,
				     0, "race-zero-write", &id);
		ASSERT_GE(fd, 0);
		w = pl_track_map(&e->t, mmap(NULL, len, RW, MAP_SHARED, fd, 0), len);
		ASSERT_NE(MAP_FAILED, w);
		for (size_t pg = 0; pg < ZW_PAGES; pg++) {
			atomic_store(&written[pg], 0);
			order[pg] = pg;
		}
		pl_shuffle(order, ZW_PAGES, &seed);
		ASSERT_EQ(0, pl_attach(e->dev, id, PAGELAB_ATTACH_RDONLY, &ro));
		ro = pl_track_fd(&e->t, ro);
		ASSERT_GE(ro, 0);
		for (int k = 0; k < ZW_READERS; k++) {
			r[k] = (struct zw_reader){ .ps = ps, .written = written, .stop = &stop };
			r[k].m = pl_track_map(&e->t, mmap(NULL, len, PROT_READ,
							  k % 2 ? MAP_PRIVATE : MAP_SHARED,
							  k % 2 ? fd : ro, 0),
					      len);
			ASSERT_NE(MAP_FAILED, r[k].m);
		}
		atomic_store(&stop, 0);
		for (started = 0; started < ZW_READERS; started++)
			if (pthread_create(&r[started].thread, NULL, zw_reader_run, &r[started]))
				break;
		if (started < ZW_READERS) {
			atomic_store(&stop, 1);
			while (started)
				pthread_join(r[--started].thread, NULL);
			ASSERT_TRUE(false) TH_LOG("pthread_create failed");
		}
		for (size_t i = 0; i < ZW_PAGES; i++) {
			size_t pg = order[i];

			memset(w + pg * ps, ZW_SEED(pg), ps);
			atomic_store(&written[pg], 1);
			if (i % 64 == 0)
				sched_yield();
		}
		/* Let every reader make one full pass after the last write. */
		for (int k = 0; k < ZW_READERS; k++) {
			unsigned long seen = atomic_load(&r[k].passes);

			while (atomic_load(&r[k].passes) < seen + 2)
				sched_yield();
		}
		atomic_store(&stop, 1);
		for (int k = 0; k < ZW_READERS; k++) {
			pthread_join(r[k].thread, NULL);
			stale += r[k].stale;
			torn += r[k].torn;
			passes += atomic_load(&r[k].passes);
			pl_track_unmap(&e->t, r[k].m);
		}
		pl_track_unmap(&e->t, w);
		pl_track_close(&e->t, ro);
		pl_track_close(&e->t, fd);
		if (stale || torn) {
			round++;
			break;
		}
	}
	EXPECT_EQ(0UL, stale) TH_LOG("pages read as zeros after their write was published");
	EXPECT_EQ(0UL, torn) TH_LOG("pages that were neither zeros nor their data");
	EXPECT_TRUE(pl_zero_page_clean(ps)) TH_LOG("the zero page was written");
	TH_LOG("%lu rounds of %d pages, %lu reader passes", round, ZW_PAGES, passes);
}

/* ---- a zero-page entry under a first write that never came back ------ */

/* Frames cloned while the object's lock is held: long enough to queue on it. */
#define KW_PAGES	196608UL	/* 768 MiB: a clone of them holds the lock ~70 ms */
#define KW_ROUNDS	6	/* pages 0..KW_ROUNDS-1 stay holes, one per round */

struct kw_shared {		/* the target's report, in memory shared with the test */
	atomic_ulong rounds, raced, stale, missed;
	atomic_ulong clone_ms;
	unsigned char stale_read;
};

struct kw_thread {
	pthread_t thread;
	int fd;
	unsigned char *page;	/* the reader's page */
	atomic_int go, done, tid;
	int err;
	unsigned char seen;
};

static void *kw_clone_run(void *arg)
{
	struct kw_thread *t = arg;
	struct pagelab_clone cl;

	atomic_store(&t->tid, gettid());
	while (!atomic_load(&t->go))
		;
	t->err = pl_clone(t->fd, 0, 0, "race-kw-b", &cl);
	if (!t->err)
		close(cl.fd);
	atomic_store(&t->done, 1);
	return NULL;
}

static void *kw_reader_run(void *arg)
{
	struct kw_thread *t = arg;

	atomic_store(&t->tid, gettid());
	while (!atomic_load(&t->go))
		;
	t->seen = pl_rd(t->page);
	atomic_store(&t->done, 1);
	return NULL;
}

/* The state letter of thread @tid of process @pid ('?' if unreadable). */
static char kw_task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	const char *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = pl_proc_stat(path, buf, sizeof(buf));
	return f && f[0] == ' ' ? f[1] : '?';
}

/* Wait up to @ms for @tid to sleep uninterruptibly (on the object's lock). */
static bool kw_blocked(pid_t pid, pid_t tid, atomic_int *done, int ms)
{
	for (int waited = 0; waited < ms; waited++) {
		if (done && atomic_load(done))
			return false;
		if (kw_task_state(pid, tid) == 'D')
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * One round in the target, which holds the object's only mapping @m: a
 * clone holds the object's lock while a reader thread queues on it for
 * the zero page at hole @pg, then a child writing @pg through
 * /proc/PID/mem queues behind it for the frame, and is killed there.  The
 * reader maps the zero page first; the writer's fault gives @pg a frame
 * and ends without a retry.  Then a second mapping writes @pg: the first
 * must read that data, not zeros.
 */
static void kw_round(int fd, unsigned char *m, size_t ps, size_t pg, struct kw_shared *sh)
{
	struct kw_thread c = { .fd = fd }, r = { .page = m + pg * ps };
	struct pagelab_obj_stat st0, st1;
	pid_t self = getpid(), w;
	int ready[2], go[2], st;
	struct timespec t0;
	unsigned char *m2;
	bool raced;
	char b = 0;

	CHILD_CHECK(!pipe(ready) && !pipe(go), 20);
	CHILD_CHECK(!pl_obj_stat(fd, 0, &st0), 28);
	w = fork();
	CHILD_CHECK(w >= 0, 21);
	if (!w) {
		char path[64];
		unsigned char v = 0x77;
		int mem;

		snprintf(path, sizeof(path), "/proc/%d/mem", self);
		mem = open(path, O_RDWR | O_CLOEXEC);
		if (mem < 0 || write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(3);
		_exit(pwrite(mem, &v, 1, (off_t)(uintptr_t)(m + pg * ps)) == 1 ? 0 : 4);
	}
	CHILD_CHECK(read(ready[0], &b, 1) == 1, 22);
	CHILD_CHECK(!pthread_create(&c.thread, NULL, kw_clone_run, &c), 23);
	CHILD_CHECK(!pthread_create(&r.thread, NULL, kw_reader_run, &r), 23);
	while (!atomic_load(&c.tid) || !atomic_load(&r.tid))
		sched_yield();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	atomic_store(&c.go, 1);
	usleep(2000);		/* the clone takes the lock */
	atomic_store(&r.go, 1);
	raced = kw_blocked(self, atomic_load(&r.tid), &c.done, 5000);
	CHILD_CHECK(write(go[1], "g", 1) == 1, 24);
	raced = raced && kw_blocked(w, w, &c.done, 5000);
	if (raced)
		usleep(10000);
	kill(w, SIGKILL);
	pthread_join(c.thread, NULL);
	atomic_store(&sh->clone_ms, (unsigned long)ms_since(&t0));
	pthread_join(r.thread, NULL);
	CHILD_CHECK(waitpid(w, &st, 0) == w, 25);
	CHILD_CHECK(!c.err, 26);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	/*
	 * Raced: the reader mapped the zero page, the writer (killed) gave the
	 * page its frame after it, and the reader read zeros.
	 */
	CHILD_CHECK(!pl_obj_stat(fd, 0, &st1), 28);
	raced = raced && WIFSIGNALED(st) && r.seen == 0 && st1.zero_maps > st0.zero_maps &&
		st1.allocs > st0.allocs;
	atomic_fetch_add(raced ? &sh->raced : &sh->missed, 1);
	atomic_fetch_add(&sh->rounds, 1);

	/* A second mapping writes the page; the first must read it. */
	m2 = mmap(NULL, ps, RW, MAP_SHARED, fd, pg * ps);
	CHILD_CHECK(m2 != MAP_FAILED, 27);
	pl_wr(m2, 0x5a);
	munmap(m2, ps);
	if (pl_rd(m + pg * ps) != 0x5a) {
		sh->stale_read = pl_rd(m + pg * ps);
		atomic_fetch_add(&sh->stale, 1);
	}
}

/*
 * A read maps the zero page in the only mapping of an object while a
 * write fault to the same page, which saw an empty entry, waits for the
 * object's lock; the write's fault then gives the page a frame.  The
 * zero-page entry must go with that: the writer cannot be counted on to
 * come back and remove it (a /proc/PID/mem or process_vm_writev() writer
 * killed meanwhile never does).  Only where the kernel lets the zero page
 * into a shared writable mapping (before 6.10): elsewhere it SKIPs.
 */
TEST_F_TIMEOUT(race, zero_entry_goes_when_the_first_writer_is_killed, 900)
{
	struct env *e = &self->e;
	const size_t ps = e->ps, len = KW_PAGES * ps;
	struct pagelab_version v;
	struct kw_shared *sh;
	int st;
	pid_t pid;

	SELECTED();
	ASSERT_EQ(0, pl_version(e->dev, &v));
	if (!(v.features & PAGELAB_FEAT_SHARED_ZERO))
		SKIP(return, "the kernel maps no zero page in a shared writable mapping (6.10+)");
	sh = mmap(NULL, sizeof(*sh), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		unsigned char *m;
		int fd;

		alarm(600);
		CHILD_CHECK(!pl_create(e->dev, len, 0, 0, "race-kw", &fd, NULL), 3);
		m = mmap(NULL, len, RW, MAP_SHARED, fd, 0);
		CHILD_CHECK(m != MAP_FAILED, 4);
		/* The writer must not inherit a mapping: this one stays the only one. */
		CHILD_CHECK(!madvise(m, len, MADV_DONTFORK), 5);
		CHILD_CHECK(!madvise(m + KW_ROUNDS * ps, len - KW_ROUNDS * ps,
				     MADV_POPULATE_WRITE), 6);
		for (size_t pg = 0; pg < KW_ROUNDS; pg++) {
			kw_round(fd, m, ps, pg, sh);
			if (atomic_load(&sh->stale))
				break;
		}
		_exit(0);
	}
	st = pl_track_reap(&e->t, pid);
	EXPECT_EQ(0, st) TH_LOG("the target ended with %d (142: hung)", st);
	EXPECT_EQ(0UL, atomic_load(&sh->stale))
		TH_LOG("the mapping read 0x%02x, not the frame's 0x5a: a zero-page entry outlived "
		       "the frame's arrival", sh->stale_read);
	/* A round raced when the reader and the writer both queued on the lock. */
	EXPECT_LT(0UL, atomic_load(&sh->raced))
		TH_LOG("no round queued both faults behind the clone (it took %lu ms)",
		       atomic_load(&sh->clone_ms));
	TH_LOG("%lu rounds, %lu raced, %lu missed; the last clone took %lu ms",
	       atomic_load(&sh->rounds), atomic_load(&sh->raced), atomic_load(&sh->missed),
	       atomic_load(&sh->clone_ms));
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
