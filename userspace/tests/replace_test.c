// SPDX-License-Identifier: GPL-2.0
/*
 * replace_test - page replacement in pagelab: frame budgets
 * (PAGELAB_IOC_REPLACE), the policies against a model, page-out to the
 * store and page-in (major faults), dirty tracking, budgets lowered and
 * removed, a full store, bad input, and the CLI (replay, sweep, swap).
 * Runs in the guest against the loaded module, as root (kselftest harness).
 *
 * The backing file store (ABI 1.4): files made in PAGELAB_SCRATCH (a
 * directory on a disk; the guest's /tmp is RAM) with mkstemp, mode 0600,
 * unlinked in the teardown.  Without PAGELAB_SCRATCH those tests SKIP,
 * saying why.  The page-in delay uses the module's store and always runs.
 *
 * model: for classic reference strings and 1..8 frames, the module's
 * counters and event log must equal a simulation written here, from the
 * policy rules in the comment on struct pagelab_replace (FIFO, LRU, CLOCK,
 * LFU in exact mode, with MADV_DONTNEED after every reference so that every
 * reference faults; FIFO in default mode too, where hits are invisible to
 * the module but do not matter to FIFO).  One variant per (policy, mode).
 *
 * Every fixture checks in its teardown that the module is back where it
 * was: objects and pages held as before the test, and no page left in the
 * store (debugfs stats: store_pages 0).  Children never use ASSERT/EXPECT:
 * they report with their exit status (CHILD_CHECK) or through shared
 * memory, and the parent checks.
 *
 * PAGELAB_TEST_ONLY=TEXT runs only the replace tests whose name holds TEXT
 * (the others SKIP), to run or loop one on its own.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

#define RW		(PROT_READ | PROT_WRITE)
#define MAX_FRAMES	8
#define MAX_REFS	64
#define MAX_PAGES	16

#define NSCRATCH	8

/* What every fixture holds: the device, the baseline, what to clean up. */
struct env {
	int dev;
	size_t ps;
	__u64 features;
	struct pagelab_info before;
	struct pl_track t;
	bool restore_store;
	unsigned long long saved_max_store_pages;
	char *scratch[NSCRATCH];	/* backing files to unlink in the teardown */
};

/* ---- helpers (no ASSERTs unless they take _metadata) -------------------- */

static bool present(pid_t pid, const void *p)
{
	uint64_t e = 0;

	return !pl_pagemap(pid, (unsigned long)p, &e) && pl_pm_present(e);
}

/* A new object of @pages pages: its fd (tracked) or -errno. */
static int obj_new(struct env *e, size_t pages, __u64 flags, __u64 *id)
{
	return pl_track_create(&e->t, e->dev, (__u64)pages * e->ps, flags, 0, "replace-test", id);
}

/* Page pg of the @pages at @m gets pattern @base + pg. */
static void fill_pages(unsigned char *m, size_t ps, size_t pages, unsigned int base)
{
	for (size_t pg = 0; pg < pages; pg++)
		pl_fill(m + pg * ps, ps, base + pg);
}

/* How many of the @pages at @m do not hold pattern @base + pg (fill_pages()). */
static unsigned long bad_pages(const unsigned char *m, size_t ps, size_t pages,
			       unsigned int base)
{
	unsigned long bad = 0;

	for (size_t pg = 0; pg < pages; pg++)
		if (!pl_page_is(m + pg * ps, ps, base + pg))
			bad++;
	return bad;
}

static unsigned char *obj_map(struct env *e, int fd, size_t pages)
{
	size_t len = pages * e->ps;

	return pl_track_map(&e->t, mmap(NULL, len, RW, MAP_SHARED, fd, 0), len);
}

static long ru_majflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_majflt;
}

/* Field 12 of /proc/self/stat (majflt), or -1. */
static long stat_majflt(void)
{
	const char *p;
	char buf[1024];
	long v = -1;

	p = pl_proc_stat("/proc/self/stat", buf, sizeof(buf));
	/* After "pid (comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt */
	if (p && sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %ld", &v) != 1)
		v = -1;
	return v;
}

/* In a child: give up with @code unless @cond. */
#define CHILD_CHECK(cond, code) do { if (!(cond)) _exit(code); } while (0)

/* The first line of every test: PAGELAB_TEST_ONLY=TEXT runs only the tests whose name holds TEXT. */
#define PL_SELECTED() do { \
	const char *only = getenv("PAGELAB_TEST_ONLY"); \
	if (only && *only && !strstr(_metadata->name, only)) \
		SKIP(return, "PAGELAB_TEST_ONLY=%s", only); \
} while (0)

#define STAT(fd, st) ASSERT_EQ(0, pl_obj_stat((fd), 0, &(st)))
#define BUDGET(fd, b, pol, fl) ASSERT_EQ(0, pl_replace((fd), (b), (pol), (fl), 1))
/* A budget whose store is the file @sfd. */
#define FILE_BUDGET(fd, b, pol, fl, sfd) \
	ASSERT_EQ(0, pl_replace_store((fd), (b), (pol), (fl) | PAGELAB_REPLACE_FILE, 1, (sfd), 0))

/* ---- backing files (ABI 1.4) --------------------------------------------- */

/* PAGELAB_SCRATCH: a writable directory on a real disk, or NULL. */
static const char *scratch_dir(void)
{
	const char *d = getenv("PAGELAB_SCRATCH");

	return d && *d ? d : NULL;
}

/*
 * The start of every test of the file store: skipped without
 * PAGELAB_SCRATCH (said so, never a silent pass; /tmp is RAM in the guest),
 * failed on a module without the file store.
 */
#define NEED_FILE_STORE(e) do { \
	if (!scratch_dir()) \
		SKIP(return, "PAGELAB_SCRATCH is not set: no directory on a disk for " \
		     "the backing file"); \
	ASSERT_NE(0ULL, (e)->features & PAGELAB_FEAT_FILE_STORE) \
		TH_LOG("the module does not offer the file store (ABI 1.4)"); \
} while (0)

/*
 * A new file in PAGELAB_SCRATCH (mkstemp) of mode @mode and @size bytes,
 * opened again with @oflags (O_RDWR, O_RDONLY, O_RDWR | O_APPEND ...): that
 * fd (tracked), or -errno.  The teardown unlinks it.  Its path in *@path
 * unless @path is NULL.
 */
static int scratch_file(struct env *e, size_t size, mode_t mode, int oflags, const char **path)
{
	const char *dir = scratch_dir();
	int slot, fd, err;
	char *p;

	for (slot = 0; slot < NSCRATCH && e->scratch[slot]; slot++)
		;
	if (!dir || slot == NSCRATCH)
		return -EMFILE;
	if (asprintf(&p, "%s/pagelab-replace-XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkstemp(p);
	if (fd < 0) {
		err = -errno;
		free(p);
		return err;
	}
	e->scratch[slot] = p;
	if (fchmod(fd, mode) || ftruncate(fd, size)) {
		err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	fd = open(p, oflags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (path)
		*path = p;
	return pl_track_fd(&e->t, fd);
}

/* A backing file for an object of @pages pages: mode 0600, O_RDWR. */
static int store_new(struct env *e, size_t pages, const char **path)
{
	return scratch_file(e, pages * e->ps, 0600, O_RDWR, path);
}

/* ---- the fixtures' setup and teardown ----------------------------------- */

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	struct pagelab_version v;
	unsigned long long store;

	e->dev = pl_open();
	ASSERT_GE(e->dev, 0) TH_LOG("%s", pl_open_hint(e->dev));
	e->ps = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, pl_version(e->dev, &v));
	e->features = v.features;
	ASSERT_NE(0ULL, v.features & PAGELAB_FEAT_REPLACE)
		TH_LOG("the module (ABI %u.%u) does not offer page replacement", v.abi_major,
		       v.abi_minor);
	ASSERT_EQ(0, pl_info(e->dev, &e->before));
	ASSERT_EQ(0, pl_debugfs_stat("store_pages", &store))
		TH_LOG("no store_pages line in %s/stats", PAGELAB_DEBUGFS);
	ASSERT_EQ(0ULL, store) TH_LOG("pages left in the store before the test");
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	unsigned long long store;

	/* No ASSERT here: in this harness an ASSERT in teardown runs it again. */
	pl_track_kill_kids(&e->t);
	if (e->restore_store) {
		EXPECT_EQ(0, pl_param_write("max_store_pages", e->saved_max_store_pages));
	}
	pl_track_release(&e->t);
	for (int i = 0; i < NSCRATCH; i++) {
		if (e->scratch[i]) {
			EXPECT_EQ(0, unlink(e->scratch[i]))
				TH_LOG("unlink %s: %s", e->scratch[i], strerror(errno));
			free(e->scratch[i]);
			e->scratch[i] = NULL;
		}
	}
	pl_expect_held_as_before(_metadata, e->dev, &e->before);
	if (pl_debugfs_stat("store_pages", &store)) {
		EXPECT_TRUE(false) TH_LOG("no store_pages line in %s/stats", PAGELAB_DEBUGFS);
	} else {
		EXPECT_EQ(0ULL, store) TH_LOG("store pages leaked");
	}
	close(e->dev);
}

/* ==== the model =========================================================== */

/* A reference string: pages, and which references write. */
struct refstr {
	const char *name;
	size_t n;
	unsigned int page[MAX_REFS];
	bool write[MAX_REFS];
	unsigned int npages;	/* highest page + 1 */
};

/* @text's numbers; reference i writes if i % 3 == 1 (@writes), else reads. */
static void refstr_init(struct refstr *r, const char *name, const char *text, bool writes)
{
	const char *p = text;

	memset(r, 0, sizeof(*r));
	r->name = name;
	while (*p && r->n < MAX_REFS) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			break;
		r->page[r->n] = v;
		r->write[r->n] = writes && r->n % 3 == 1;
		if (v + 1 > r->npages)
			r->npages = v + 1;
		r->n++;
		p = end;
	}
}

/* 60 references over 10 pages, from a fixed seed. */
static void refstr_random(struct refstr *r, bool writes)
{
	uint32_t s = 0x2545f491;

	memset(r, 0, sizeof(*r));
	r->name = "random60";
	r->n = 60;
	r->npages = 10;
	for (size_t i = 0; i < r->n; i++) {
		r->page[i] = (pl_xorshift(&s) >> 8) % 10;
		r->write[i] = writes && i % 3 == 1;
	}
}

#define BELADY		"1 2 3 4 1 2 5 1 2 3 4 5"
#define SILBERSCHATZ	"7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1"

static void refstrs(struct refstr rs[3], bool writes)
{
	refstr_init(&rs[0], "belady", BELADY, writes);
	refstr_init(&rs[1], "silberschatz", SILBERSCHATZ, writes);
	refstr_random(&rs[2], writes);
}

/* What the model says one reference does (as an event line would). */
struct mev {
	int result;		/* PL_EV_HIT, PL_EV_MISS, PL_EV_PAGEIN */
	int slot;
	long long victim;	/* -1 none */
	int wb;			/* 1, 0, -1 */
};

struct mcount {
	unsigned long misses, page_ins, evictions, writebacks, clean_drops, resident;
};

#define POLICY_OPT	100	/* the test's own: Belady's, offline */

/* One frame slot of the model: its page (-1 if none), ticks, count and bit. */
struct mslot {
	int page;
	unsigned long load, last, count;
	bool ref;
};

/*
 * The slot @policy evicts when all @frames are full, at reference @i of
 * @r; CLOCK moves its @hand.
 */
static unsigned int model_victim(const struct refstr *r, size_t i, struct mslot *slot,
				 unsigned int frames, int policy, unsigned int *hand)
{
	unsigned int v = frames;

	switch (policy) {
	case PAGELAB_POLICY_FIFO:
	case PAGELAB_POLICY_LRU:
	case PAGELAB_POLICY_LFU:
		v = 0;
		for (unsigned int t = 1; t < frames; t++) {
			bool better;

			if (policy == PAGELAB_POLICY_FIFO)
				better = slot[t].load < slot[v].load;
			else if (policy == PAGELAB_POLICY_LRU)
				better = slot[t].last < slot[v].last;
			else
				better = slot[t].count < slot[v].count ||
					 (slot[t].count == slot[v].count &&
					  slot[t].load < slot[v].load);
			if (better)
				v = t;
		}
		break;
	case PAGELAB_POLICY_CLOCK:
		while (slot[*hand].ref) {
			slot[*hand].ref = false;
			*hand = (*hand + 1) % frames;
		}
		v = *hand;
		*hand = (*hand + 1) % frames;
		break;
	default: {	/* OPT */
		size_t far = 0;

		for (unsigned int t = 0; t < frames; t++) {
			size_t j;

			for (j = i + 1; j < r->n; j++)
				if ((int)r->page[j] == slot[t].page)
					break;
			if (j == r->n) {	/* never again */
				v = t;
				break;
			}
			if (v == frames || j > far) {
				v = t;
				far = j;
			}
		}
		break;
	}
	}
	return v;
}

/*
 * The policies as struct pagelab_replace's comment defines them: slots
 * 0..frames-1, a miss takes the lowest free slot, else the victim's.  A
 * tick per reference; a load sets load = last = now, count 1, bit set; a
 * hit sets last = now, count++, bit set.  A victim is written to the store
 * if written since its load or never stored, else dropped clean.
 */
static void model_run(const struct refstr *r, unsigned int frames, int policy,
		      struct mev *ev, struct mcount *c)
{
	struct mslot slot[MAX_FRAMES];
	bool seen[MAX_PAGES] = { false }, stored[MAX_PAGES] = { false };
	bool dirty[MAX_PAGES] = { false };
	unsigned int hand = 0;
	unsigned long now = 0;

	memset(c, 0, sizeof(*c));
	for (unsigned int s = 0; s < frames; s++)
		slot[s].page = -1;
	for (size_t i = 0; i < r->n; i++) {
		int page = r->page[i];
		unsigned int s;

		now++;
		for (s = 0; s < frames && slot[s].page != page; s++)
			;
		if (s < frames) {
			slot[s].last = now;
			slot[s].count++;
			slot[s].ref = true;
			ev[i] = (struct mev){ PL_EV_HIT, (int)s, -1, -1 };
		} else {
			c->misses++;
			ev[i] = (struct mev){ seen[page] ? PL_EV_PAGEIN : PL_EV_MISS, 0, -1, -1 };
			if (seen[page])
				c->page_ins++;
			for (s = 0; s < frames && slot[s].page >= 0; s++)
				;
			if (s == frames) {
				s = model_victim(r, i, slot, frames, policy, &hand);
				ev[i].victim = slot[s].page;
				c->evictions++;
				if (dirty[slot[s].page] || !stored[slot[s].page]) {
					c->writebacks++;
					ev[i].wb = 1;
				} else {
					c->clean_drops++;
					ev[i].wb = 0;
				}
				stored[slot[s].page] = true;
				dirty[slot[s].page] = false;
			} else {
				c->resident++;
			}
			ev[i].slot = s;
			slot[s].page = page;
			slot[s].load = slot[s].last = now;
			slot[s].count = 1;
			slot[s].ref = true;
			seen[page] = true;
		}
		if (r->write[i])
			dirty[page] = true;
	}
}

/* The model itself against the textbooks' numbers: no module needed. */
TEST(model_knows_the_textbook)
{
	struct mev ev[MAX_REFS];
	struct mcount c;
	struct refstr rs[3];
	static const struct {
		int str, policy;
		unsigned int frames;
		unsigned long misses;
	} known[] = {
		{ 0, PAGELAB_POLICY_FIFO, 3, 9 }, { 0, PAGELAB_POLICY_FIFO, 4, 10 },
		{ 0, PAGELAB_POLICY_LRU, 3, 10 }, { 0, PAGELAB_POLICY_LRU, 4, 8 },
		{ 0, POLICY_OPT, 3, 7 }, { 0, POLICY_OPT, 4, 6 },
		{ 1, PAGELAB_POLICY_FIFO, 3, 15 }, { 1, PAGELAB_POLICY_LRU, 3, 12 },
		{ 1, POLICY_OPT, 3, 9 }, { 1, PAGELAB_POLICY_FIFO, 4, 10 },
		{ 1, PAGELAB_POLICY_LRU, 4, 8 }, { 1, POLICY_OPT, 4, 8 },
	};

	refstrs(rs, true);
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		model_run(&rs[known[k].str], known[k].frames, known[k].policy, ev, &c);
		EXPECT_EQ(known[k].misses, c.misses)
			TH_LOG("%s, policy %d, %u frames", rs[known[k].str].name, known[k].policy,
			       known[k].frames);
	}
}

/* One run of @r on a new object; the object's counters and events after it. */
struct run {
	struct pagelab_obj_stat st;
	struct pl_event *ev;
	size_t nev;
	unsigned long data_bad;
	int err;		/* the step that failed, 0 if none */
};

static void drive(struct env *e, const struct refstr *r, unsigned int frames, int policy,
		  bool exact, __u64 seed, struct run *out)
{
	const size_t ps = e->ps;
	size_t pages = r->npages > frames ? r->npages : frames;
	uint64_t shadow[MAX_PAGES] = { 0 };
	unsigned char *m;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	fd = obj_new(e, pages, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	if (fd < 0) {
		out->err = 1;
		return;
	}
	ret = pl_replace(fd, frames, policy,
			 PAGELAB_REPLACE_NO_ZERO | (exact ? PAGELAB_REPLACE_EXACT : 0), seed);
	if (ret) {
		out->err = 2;
		goto out;
	}
	m = obj_map(e, fd, pages);
	if (m == MAP_FAILED) {
		out->err = 3;
		goto out;
	}
	for (size_t i = 0; i < r->n; i++) {
		volatile uint64_t *w = (volatile uint64_t *)(m + r->page[i] * ps);

		if (r->write[i]) {
			shadow[r->page[i]] = (uint64_t)(r->page[i] + 1) << 32 | (i + 1);
			*w = shadow[r->page[i]];
		} else if (*w != shadow[r->page[i]]) {
			out->data_bad++;
		}
		if (exact && madvise((void *)w, ps, MADV_DONTNEED)) {
			out->err = 4;
			goto out_unmap;
		}
	}
	if (pl_obj_stat(fd, 0, &out->st)) {
		out->err = 5;
		goto out_unmap;
	}
	if (pl_events_read(out->st.id, 0, &out->ev, &out->nev)) {
		out->err = 6;
		goto out_unmap;
	}
	for (size_t p = 0; p < pages; p++)
		if (*(volatile uint64_t *)(m + p * ps) != shadow[p])
			out->data_bad++;
out_unmap:
	pl_track_unmap(&e->t, m);
out:
	pl_track_close(&e->t, fd);
}

static const char *policy_name(int policy)
{
	return policy == POLICY_OPT ? "opt" : pl_policy_name(policy);
}

/*
 * The module's events against the model's: all of them in exact mode; in
 * default mode only the misses and page-ins (hits are seen or not).  The
 * first difference is logged.
 */
static void compare_events(struct __test_metadata *_metadata, const struct refstr *r,
			   const struct mev *mev, const struct run *run, bool exact,
			   const char *what)
{
	size_t k = 0, i;

	for (size_t j = 0; j < run->nev; j++) {
		if (run->ev[j].seq != j + 1) {
			EXPECT_EQ(j + 1, run->ev[j].seq) TH_LOG("%s: event seq", what);
			return;
		}
	}
	for (i = 0; i < r->n; i++) {
		const struct pl_event *ev;

		if (!exact && mev[i].result == PL_EV_HIT)
			continue;
		while (!exact && k < run->nev && run->ev[k].result == PL_EV_HIT)
			k++;
		if (k == run->nev) {
			EXPECT_TRUE(false) TH_LOG("%s: the log ends at reference %zu of %zu", what,
						  i, r->n);
			return;
		}
		ev = &run->ev[k++];
		if (ev->page != r->page[i] || ev->result != mev[i].result ||
		    ev->slot != mev[i].slot || ev->victim != mev[i].victim ||
		    ev->wb != mev[i].wb) {
			EXPECT_TRUE(false)
				TH_LOG("%s: reference %zu (page %u): module page=%llu result=%s "
				       "slot=%d victim=%lld wb=%d; model result=%s slot=%d "
				       "victim=%lld wb=%d", what, i, r->page[i],
				       (unsigned long long)ev->page,
				       pl_event_result_name(ev->result), ev->slot, ev->victim,
				       ev->wb, pl_event_result_name(mev[i].result), mev[i].slot,
				       mev[i].victim, mev[i].wb);
			return;
		}
	}
	while (!exact && k < run->nev && run->ev[k].result == PL_EV_HIT)
		k++;
	EXPECT_EQ(run->nev, k) TH_LOG("%s: events beyond the references", what);
}

FIXTURE(model) {
	struct env e;
};

FIXTURE_VARIANT(model) {
	int policy;
	bool exact;
};

FIXTURE_VARIANT_ADD(model, fifo_exact) { .policy = PAGELAB_POLICY_FIFO, .exact = true };
FIXTURE_VARIANT_ADD(model, lru_exact) { .policy = PAGELAB_POLICY_LRU, .exact = true };
FIXTURE_VARIANT_ADD(model, clock_exact) { .policy = PAGELAB_POLICY_CLOCK, .exact = true };
FIXTURE_VARIANT_ADD(model, lfu_exact) { .policy = PAGELAB_POLICY_LFU, .exact = true };
FIXTURE_VARIANT_ADD(model, fifo_default) { .policy = PAGELAB_POLICY_FIFO, .exact = false };

FIXTURE_SETUP(model)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(model)
{
	env_teardown(_metadata, &self->e);
}

/* One string, one frame count: the module against the model. */
static void model_case(struct __test_metadata *_metadata, struct env *e, const struct refstr *r,
		       unsigned int f, int policy, bool exact, const char *rw)
{
	const struct pagelab_obj_stat *st;
	struct mev mev[MAX_REFS];
	struct mcount mc;
	struct run run;
	char what[96];

	snprintf(what, sizeof(what), "%s%s, %s %s, %u frame%s", r->name, rw, policy_name(policy),
		 exact ? "exact" : "default", f, f == 1 ? "" : "s");
	model_run(r, f, policy, mev, &mc);
	drive(e, r, f, policy, exact, 1, &run);
	st = &run.st;
	ASSERT_EQ(0, run.err) TH_LOG("%s: failed at step %d", what, run.err);
	EXPECT_EQ(mc.misses, st->misses)
		TH_LOG("%s: misses: module %llu, model %lu", what, (unsigned long long)st->misses,
		       mc.misses);
	EXPECT_EQ(mc.page_ins, st->page_ins) TH_LOG("%s: page_ins", what);
	EXPECT_EQ(mc.evictions, st->evictions) TH_LOG("%s: evictions", what);
	EXPECT_EQ(mc.writebacks, st->writebacks) TH_LOG("%s: writebacks", what);
	EXPECT_EQ(mc.clean_drops, st->clean_drops) TH_LOG("%s: clean_drops", what);
	EXPECT_EQ(mc.resident, st->resident) TH_LOG("%s: resident", what);
	EXPECT_EQ(f, st->budget) TH_LOG("%s", what);
	EXPECT_EQ((__u32)policy, st->policy) TH_LOG("%s", what);
	EXPECT_EQ(PAGELAB_REPLACE_NO_ZERO | (exact ? PAGELAB_REPLACE_EXACT : 0), st->replace_flags)
		TH_LOG("%s", what);
	EXPECT_EQ(0ULL, st->inexact) TH_LOG("%s", what);
	EXPECT_EQ(0UL, run.data_bad) TH_LOG("%s: reads that lost data", what);
	compare_events(_metadata, r, mev, &run, exact, what);
	free(run.ev);
}

TEST_F_TIMEOUT(model, misses_equal_the_model, 300)
{
	struct refstr rs[3];

	/* Reads only (the textbook strings), then with every third reference a write. */
	for (int writes = 0; writes < 2; writes++) {
		refstrs(rs, writes);
		for (int s = 0; s < 3; s++)
			for (unsigned int f = 1; f <= MAX_FRAMES; f++)
				model_case(_metadata, &self->e, &rs[s], f, variant->policy,
					   variant->exact, writes ? " with writes" : "");
	}
}

/* ==== everything else ===================================================== */

FIXTURE(replace) {
	struct env e;
};

FIXTURE_SETUP(replace)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(replace)
{
	env_teardown(_metadata, &self->e);
}

TEST_F_TIMEOUT(replace, random_policy_between_opt_and_every_reference, 300)
{
	PL_SELECTED();
	static const __u64 seeds[] = { 1, 7, 0x5eed5eed };
	struct env *e = &self->e;
	struct refstr rs[3];
	struct mev mev[MAX_REFS];
	struct mcount opt;
	struct run run;

	refstrs(rs, true);
	for (int s = 0; s < 3; s++)
		for (unsigned int f = 1; f <= MAX_FRAMES; f++)
			for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
				const struct pagelab_obj_stat *st = &run.st;
				unsigned long loads;

				model_run(&rs[s], f, POLICY_OPT, mev, &opt);
				drive(e, &rs[s], f, PAGELAB_POLICY_RANDOM, true, seeds[k], &run);
				free(run.ev);
				ASSERT_EQ(0, run.err) TH_LOG("%s, %u frames, seed %llu: step %d",
							     rs[s].name, f,
							     (unsigned long long)seeds[k], run.err);
				EXPECT_GE(st->misses, opt.misses)
					TH_LOG("%s, %u frames, seed %llu: fewer faults than OPT",
					       rs[s].name, f, (unsigned long long)seeds[k]);
				EXPECT_LE(st->misses, rs[s].n)
					TH_LOG("%s, %u frames: more faults than references",
					       rs[s].name, f);
				/* Free slots fill first; after that every miss evicts. */
				loads = opt.resident;
				EXPECT_EQ(st->misses - loads, st->evictions)
					TH_LOG("%s, %u frames", rs[s].name, f);
				EXPECT_EQ(st->evictions, st->writebacks + st->clean_drops);
				EXPECT_EQ(0UL, run.data_bad)
					TH_LOG("%s, %u frames, seed %llu: data lost", rs[s].name, f,
					       (unsigned long long)seeds[k]);
				EXPECT_EQ((__u32)PAGELAB_POLICY_RANDOM, st->policy);
			}
}

/* ---- integrity: four processes, 64 pages, 8 frames ------------------------ */

#define INT_PROCS	4
#define INT_PAGES	64
#define INT_BUDGET	8

/*
 * @base references x PAGELAB_STRESS_SCALE / 100 (default 100), at least
 * @min, at most 100000000.
 */
static unsigned long stress_refs(unsigned long base, unsigned long min, const char **scale_s)
{
	const char *s = getenv("PAGELAB_STRESS_SCALE");
	unsigned long r = base * pl_stress_scale() / 100;

	*scale_s = s && *s ? s : "unset, 100";
	return r < min ? min : r > 100000000 ? 100000000 : r;
}

struct int_result {
	int error;
	int pid;
	unsigned long refs;
	unsigned long mismatches;
	unsigned int epoch[INT_PAGES];
};

/* Word @i of process @pid's slice of page @pg at @epoch (0: never written: zeros). */
static inline uint64_t int_word(int pid, unsigned int pg, unsigned int epoch, size_t i)
{
	if (!epoch)
		return 0;
	return (uint64_t)(pid & 0xffffff) << 40 | (uint64_t)pg << 32 |
	       (uint64_t)(epoch & 0xfffff) << 12 | i;
}

static bool int_slice_ok(const unsigned char *m, size_t ps, int proc, int pid, unsigned int pg,
			 unsigned int epoch)
{
	const size_t words = ps / INT_PROCS / sizeof(uint64_t);
	const volatile uint64_t *w =
		(const volatile uint64_t *)(m + pg * ps + proc * (ps / INT_PROCS));
	bool ok = true;

	for (size_t i = 0; i < words; i++)
		if (w[i] != int_word(pid, pg, epoch, i))
			ok = false;
	return ok;
}

/*
 * One process: write a new stamp into its slice of a random page, then
 * check its slices of every page; each page touched is one reference.
 */
static void int_worker(int fd, size_t ps, int proc, unsigned long quota, struct int_result *res)
{
	const size_t words = ps / INT_PROCS / sizeof(uint64_t);
	uint32_t rnd = 0x9e3779b9u * (proc + 1) | 1;
	int pid = getpid();
	unsigned char *m;

	res->pid = pid;
	m = mmap(NULL, INT_PAGES * ps, RW, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		res->error = 1;
		return;
	}
	while (res->refs + 1 + INT_PAGES <= quota) {
		unsigned int pg = pl_xorshift(&rnd) % INT_PAGES;
		volatile uint64_t *w = (volatile uint64_t *)(m + pg * ps + proc * (ps / INT_PROCS));

		res->epoch[pg]++;
		for (size_t i = 0; i < words; i++)
			w[i] = int_word(pid, pg, res->epoch[pg], i);
		res->refs++;
		for (unsigned int p = 0; p < INT_PAGES; p++) {
			if (!int_slice_ok(m, ps, proc, pid, p, res->epoch[p]))
				res->mismatches++;
			res->refs++;
		}
	}
	munmap(m, INT_PAGES * ps);
}

/*
 * INT_PROCS processes share an object of INT_PAGES pages with a budget of
 * INT_BUDGET frames (CLOCK, default mode), @total references in all; the
 * store is the module's (@store_fd < 0) or the file @store_fd.  No slice
 * may ever lose its process's last stamp.  What ran is logged.
 */
static void integrity_run(struct __test_metadata *_metadata, struct env *e, int store_fd,
			  unsigned long total, const char *scale)
{
	const bool file = store_fd >= 0;
	struct pagelab_obj_stat st;
	struct int_result *res;
	pid_t pid[INT_PROCS];
	unsigned long refs = 0, bad = 0;
	unsigned char *m;
	time_t t0 = time(NULL);
	int fd;

	res = pl_track_map(&e->t, mmap(NULL, sizeof(*res) * INT_PROCS, RW, MAP_SHARED | MAP_ANONYMOUS,
				-1, 0), sizeof(*res) * INT_PROCS);
	ASSERT_NE(MAP_FAILED, res);
	memset(res, 0, sizeof(*res) * INT_PROCS);
	fd = obj_new(e, INT_PAGES, 0, NULL);
	ASSERT_GE(fd, 0);
	if (file) {
		FILE_BUDGET(fd, INT_BUDGET, PAGELAB_POLICY_CLOCK, 0, store_fd);
	} else {
		BUDGET(fd, INT_BUDGET, PAGELAB_POLICY_CLOCK, 0);
	}
	for (int i = 0; i < INT_PROCS; i++) {
		pid[i] = pl_track_fork(&e->t);
		ASSERT_GE(pid[i], 0);
		if (!pid[i]) {
			int_worker(fd, e->ps, i, total / INT_PROCS, &res[i]);
			_exit(0);
		}
	}
	for (int i = 0; i < INT_PROCS; i++) {
		EXPECT_EQ(0, pl_track_reap(&e->t, pid[i])) TH_LOG("process %d", i);
		EXPECT_EQ(0, res[i].error) TH_LOG("process %d: failed at step %d", i,
						  res[i].error);
		EXPECT_EQ(0UL, res[i].mismatches) TH_LOG("process %d: pages without its stamps",
							 i);
		EXPECT_GT(res[i].refs, 0UL);
		refs += res[i].refs;
	}
	/* Every slice, as its process left it. */
	m = obj_map(e, fd, INT_PAGES);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < INT_PAGES; pg++)
		for (int i = 0; i < INT_PROCS; i++)
			if (!int_slice_ok(m, e->ps, i, res[i].pid, pg, res[i].epoch[pg]))
				bad++;
	EXPECT_EQ(0UL, bad) TH_LOG("slices that lost their last stamp");
	STAT(fd, st);
	EXPECT_LE(st.resident, (__u64)INT_BUDGET);
	EXPECT_EQ(st.evictions, st.writebacks + st.clean_drops);
	EXPECT_GT(st.page_ins, 0ULL);
	EXPECT_EQ(file ? (__u32)PAGELAB_STORE_FILE : 0U, st.store_flags);
	EXPECT_EQ(0ULL, st.io_errors);
	TH_LOG("integrity (%s store): %d processes, %lu references of %lu "
	       "(PAGELAB_STRESS_SCALE=%s) in %lds: misses %llu, page-ins %llu, evictions %llu "
	       "(written %llu, clean %llu), major %llu, I/O waits %llu, SIGBUS %llu",
	       file ? "file" : "module", INT_PROCS, refs, total, scale, (long)(time(NULL) - t0),
	       (unsigned long long)st.misses, (unsigned long long)st.page_ins,
	       (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
	       (unsigned long long)st.clean_drops, (unsigned long long)st.major,
	       (unsigned long long)st.io_waits, (unsigned long long)st.sigbus);
}

TEST_F_TIMEOUT(replace, integrity_four_processes_clock_default, 900)
{
	PL_SELECTED();
	const char *scale;
	const unsigned long total = stress_refs(100000, 1000, &scale);

	integrity_run(_metadata, &self->e, -1, total, scale);
}

/* The same through a backing file: every page-out a write to disk. */
TEST_F_TIMEOUT(replace, file_store_integrity, 900)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const char *scale;
	const unsigned long total = stress_refs(100000, 1000, &scale);
	int sfd;

	NEED_FILE_STORE(e);
	sfd = store_new(e, INT_PAGES, NULL);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	integrity_run(_metadata, e, sfd, total, scale);
}

/* ---- major faults --------------------------------------------------------- */

/* What one majflt run saw: the object's counters and the process's majflt rises. */
struct majflt_seen {
	struct pagelab_obj_stat s0, s1;
	long ru, pr;
	unsigned long bad;
};

/*
 * Write 16 pages through 4 frames (LRU), then read them all twice, with the
 * module's store (@sfd < 0) or the backing file @sfd; majflt from
 * getrusage and /proc/self/stat around it.
 */
static void majflt_run(struct __test_metadata *_metadata, struct env *e, int sfd,
		       struct majflt_seen *w)
{
	long ru0, ru1, pr0, pr1;
	unsigned char *m;
	int fd;

	/* The test's own pages resident first: no major fault of its own below. */
	if (mlockall(MCL_CURRENT))
		TH_LOG("mlockall: %s (continuing)", strerror(errno));
	fd = obj_new(e, 16, 0, NULL);
	ASSERT_GE(fd, 0);
	if (sfd < 0) {
		BUDGET(fd, 4, PAGELAB_POLICY_LRU, 0);
	} else {
		FILE_BUDGET(fd, 4, PAGELAB_POLICY_LRU, 0, sfd);
	}
	m = obj_map(e, fd, 16);
	ASSERT_NE(MAP_FAILED, m);
	STAT(fd, w->s0);
	ru0 = ru_majflt();
	pr0 = stat_majflt();
	w->bad = 0;
	for (int pass = 0; pass < 3; pass++)
		for (unsigned int pg = 0; pg < 16; pg++) {
			if (!pass)
				pl_fill(m + pg * e->ps, e->ps, 1 + pg);
			else if (!pl_page_is(m + pg * e->ps, e->ps, 1 + pg))
				w->bad++;
		}
	ru1 = ru_majflt();
	pr1 = stat_majflt();
	STAT(fd, w->s1);
	munlockall();
	ASSERT_GE(ru0, 0);
	ASSERT_GE(pr0, 0);
	w->ru = ru1 - ru0;
	w->pr = pr1 - pr0;
	/* Two read passes over 16 pages through 4 frames: 12 page-ins each at least. */
	EXPECT_GE(w->s1.page_ins - w->s0.page_ins, 24ULL);
	EXPECT_EQ(0ULL, w->s1.io_errors);
	EXPECT_EQ(0UL, w->bad);
}

TEST_F(replace, majflt_equals_page_ins)
{
	PL_SELECTED();
	struct majflt_seen w;
	unsigned long long ins;

	majflt_run(_metadata, &self->e, -1, &w);
	ins = w.s1.page_ins - w.s0.page_ins;
	EXPECT_EQ((long)ins, w.ru) TH_LOG("getrusage ru_majflt rose by %ld, page_ins by %llu",
					 w.ru, ins);
	EXPECT_EQ((long)ins, w.pr) TH_LOG("/proc/self/stat majflt rose by %ld", w.pr);
	EXPECT_EQ(ins, w.s1.major - w.s0.major) TH_LOG("the module's major count");
}

/* ---- an eviction reaches every process ------------------------------------ */

TEST_F(replace, eviction_unmaps_every_process)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat s0, s1;
	int p2c[2], c2p[2], fd;
	char req[64], ok, *answer;
	struct pl_walk_result *w;
	bool have_walk = !access(PL_WALK_PATH, F_OK);
	unsigned char *m;
	pid_t pid;

	fd = obj_new(e, 4, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 2, PAGELAB_POLICY_FIFO, 0);
	m = obj_map(e, fd, 4);
	ASSERT_NE(MAP_FAILED, m);
	pl_fill(m, ps, 0x41);
	ASSERT_EQ(0, pl_track_pipe(&e->t, p2c));
	ASSERT_EQ(0, pl_track_pipe(&e->t, c2p));
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		char cmd;

		/* 'r': read page 0 and answer '1' if it holds its data; 'q': quit. */
		while (!pl_read_full(p2c[0], &cmd, 1) && cmd == 'r') {
			char a = pl_page_is(m, ps, 0x41) ? '1' : '0';

			CHILD_CHECK(!pl_write_full(c2p[1], &a, 1), 2);
		}
		_exit(0);
	}
	ASSERT_EQ(0, pl_write_full(p2c[1], "r", 1));
	ASSERT_EQ(0, pl_read_full(c2p[0], &ok, 1));
	EXPECT_EQ('1', ok);
	EXPECT_TRUE(present(0, m)) TH_LOG("the parent's page 0 is not mapped");
	EXPECT_TRUE(present(pid, m)) TH_LOG("the child's page 0 is not mapped");

	/* Two more pages through a budget of 2: FIFO evicts page 0, the first loaded. */
	STAT(fd, s0);
	pl_fill(m + ps, ps, 0x42);
	pl_fill(m + 2 * ps, ps, 0x43);
	STAT(fd, s1);
	EXPECT_EQ(1ULL, s1.evictions - s0.evictions);
	EXPECT_EQ(2ULL, s1.resident);
	EXPECT_FALSE(present(0, m)) TH_LOG("page 0 is still mapped in the parent");
	EXPECT_FALSE(present(pid, m)) TH_LOG("page 0 is still mapped in the child");
	w = malloc(sizeof(*w));
	ASSERT_NE(NULL, w);
	snprintf(req, sizeof(req), "%d %p", (int)pid, (void *)m);
	if (have_walk) {
		EXPECT_EQ(0, pl_walk_alloc(req, &answer));
		EXPECT_EQ(0, pl_walk_parse(answer, w)) TH_LOG("%s", w->err);
		EXPECT_TRUE(w->has_absent) TH_LOG("the walk finds page 0 in the child:\n%s",
						  answer);
		EXPECT_FALSE(w->has_leaf);
		free(answer);
	}

	/* The child touches it: a page-in, mapped in the child only, data intact. */
	ASSERT_EQ(0, pl_write_full(p2c[1], "r", 1));
	ASSERT_EQ(0, pl_read_full(c2p[0], &ok, 1));
	EXPECT_EQ('1', ok) TH_LOG("page 0 lost its data");
	EXPECT_TRUE(present(pid, m)) TH_LOG("the child's page 0 is not mapped again");
	EXPECT_FALSE(present(0, m)) TH_LOG("the parent's page 0 came back untouched");
	if (have_walk) {
		EXPECT_EQ(0, pl_walk_alloc(req, &answer));
		EXPECT_EQ(0, pl_walk_parse(answer, w)) TH_LOG("%s", w->err);
		EXPECT_TRUE(w->has_leaf) TH_LOG("%s", answer);
		EXPECT_STREQ("pagelab", w->page_kind);
		free(answer);
	}
	free(w);
	STAT(fd, s0);
	EXPECT_EQ(1ULL, s0.page_ins - s1.page_ins);
	ASSERT_EQ(0, pl_write_full(p2c[1], "q", 1));
	EXPECT_EQ(0, pl_track_reap(&e->t, pid));
	EXPECT_TRUE(pl_page_is(m, ps, 0x41));
	EXPECT_TRUE(pl_page_is(m + ps, ps, 0x42));
	EXPECT_TRUE(pl_page_is(m + 2 * ps, ps, 0x43));
}

/* ---- dirty tracking ------------------------------------------------------- */

TEST_F(replace, dirty_pages_written_back_clean_ones_dropped)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	/* Budget 1, FIFO, default mode: every touch of another page evicts. */
	static const struct {
		char op;
		unsigned int page;
		struct mev want;	/* the event, hits aside */
	} steps[] = {
		{ 'w', 0, { PL_EV_MISS, 0, -1, -1 } },
		{ 'w', 1, { PL_EV_MISS, 0, 0, 1 } },	/* 0: never stored */
		{ 'r', 0, { PL_EV_PAGEIN, 0, 1, 1 } },	/* 1: never stored */
		{ 'r', 1, { PL_EV_PAGEIN, 0, 0, 0 } },	/* 0: only read since its page-in */
		{ 'w', 0, { PL_EV_PAGEIN, 0, 1, 0 } },	/* 1: the same */
		{ 'r', 1, { PL_EV_PAGEIN, 0, 0, 1 } },	/* 0: written after its page-in */
		{ 'r', 2, { PL_EV_ZERO, -1, -1, -1 } },	/* never written: the zero page */
	};
	/*
	 * 6.10 on, no zero page in a writable shared mapping: the last read
	 * is a miss that takes a zeroed frame, dropping page 1 (clean).
	 */
	static const struct mev refused = { PL_EV_MISS, 0, 1, 0 };
	const unsigned long long zr = !(e->features & PAGELAB_FEAT_SHARED_ZERO);
	const size_t nsteps = sizeof(steps) / sizeof(steps[0]);
	unsigned int version[3] = { 0 };
	struct pagelab_obj_stat st;
	struct pl_event *ev;
	size_t nev, k = 0;
	unsigned char *m;
	__u64 id;
	int fd;

	fd = obj_new(e, 3, PAGELAB_CREATE_NO_FAULT_AROUND, &id);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 1, PAGELAB_POLICY_FIFO, 0);
	m = obj_map(e, fd, 3);
	ASSERT_NE(MAP_FAILED, m);
	for (size_t i = 0; i < nsteps; i++) {
		unsigned int pg = steps[i].page;

		if (steps[i].op == 'w') {
			pl_fill(m + pg * ps, ps, 10 * pg + ++version[pg]);
		} else {
			EXPECT_TRUE(pl_page_is(m + pg * ps, ps, version[pg] ? 10 * pg + version[pg] : 0))
				TH_LOG("step %zu: page %u", i, pg);
		}
	}
	STAT(fd, st);
	EXPECT_EQ(6ULL + zr, st.misses);
	EXPECT_EQ(4ULL, st.page_ins);
	EXPECT_EQ(5ULL + zr, st.evictions);
	EXPECT_EQ(3ULL, st.writebacks) TH_LOG("dirty or never stored: written to the store");
	EXPECT_EQ(2ULL + zr, st.clean_drops) TH_LOG("only read since the page-in: dropped clean");
	EXPECT_EQ(1ULL, st.resident);
	EXPECT_GE(st.store_pages, 1ULL);
	EXPECT_LE(st.store_pages, 2ULL);
	EXPECT_EQ(0ULL, st.inexact);

	ASSERT_EQ(0, pl_events_read(id, 0, &ev, &nev));
	for (size_t i = 0; i < nsteps; i++) {
		const struct mev *want = zr && i == nsteps - 1 ? &refused : &steps[i].want;

		while (k < nev && ev[k].result == PL_EV_HIT)
			k++;
		if (k == nev) {
			EXPECT_TRUE(false) TH_LOG("step %zu: no event", i);
			break;
		}
		EXPECT_EQ(k + 1, ev[k].seq);
		EXPECT_EQ(steps[i].page, ev[k].page) TH_LOG("step %zu", i);
		EXPECT_EQ(want->result, ev[k].result)
			TH_LOG("step %zu: %s, want %s", i, pl_event_result_name(ev[k].result),
			       pl_event_result_name(want->result));
		EXPECT_EQ(want->slot, ev[k].slot) TH_LOG("step %zu", i);
		EXPECT_EQ(want->victim, ev[k].victim) TH_LOG("step %zu", i);
		EXPECT_EQ(want->wb, ev[k].wb) TH_LOG("step %zu: wb", i);
		k++;
	}
	while (k < nev && ev[k].result == PL_EV_HIT)
		k++;
	EXPECT_EQ(nev, k) TH_LOG("more events than steps");
	free(ev);

	/* The data, wherever it is now. */
	EXPECT_TRUE(pl_page_is(m, ps, 10 * 0 + version[0]));
	EXPECT_TRUE(pl_page_is(m + ps, ps, 10 * 1 + version[1]));
	EXPECT_TRUE(pl_page_is(m + 2 * ps, ps, 0));
}

/* ---- bad input ------------------------------------------------------------- */

TEST_F(replace, bad_input)
{
	PL_SELECTED();
	struct env *e = &self->e;
	struct pagelab_replace r;
	struct pagelab_obj_stat st;
	int fd, rfd;
	__u64 id;

	fd = obj_new(e, 4, 0, &id);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, pl_replace(fd, 0, 0, 0, 0)) TH_LOG("no budget to remove: a no-op");
	EXPECT_EQ(0, pl_replace(fd, 0, 99, 0, 0)) TH_LOG("budget 0: the policy is ignored");
	STAT(fd, st);
	EXPECT_EQ(0U, st.budget);
	EXPECT_EQ(0U, st.policy);

	EXPECT_EQ(-EINVAL, pl_replace(fd, 5, PAGELAB_POLICY_FIFO, 0, 0)) TH_LOG("over the size");
	EXPECT_EQ(-EINVAL, pl_replace(fd, 2, 0, 0, 0)) TH_LOG("policy 0");
	EXPECT_EQ(-EINVAL, pl_replace(fd, 2, PAGELAB_POLICY_MAX + 1, 0, 0));
	EXPECT_EQ(-EINVAL, pl_replace(fd, 2, ~0U, 0, 0));
	EXPECT_EQ(-EINVAL, pl_replace(fd, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FLAGS + 1, 0))
		TH_LOG("the first unknown flag");
	EXPECT_EQ(-EINVAL, pl_replace(fd, 2, PAGELAB_POLICY_FIFO, 1ULL << 63, 0));
	memset(&r, 0, sizeof(r));
	r.budget = 2;
	r.policy = PAGELAB_POLICY_FIFO;
	r.store_fd = 1;
	EXPECT_EQ(-EINVAL, pl_replace_raw(fd, &r)) TH_LOG("store_fd without PAGELAB_REPLACE_FILE");
	r.store_fd = -1;
	EXPECT_EQ(-EINVAL, pl_replace_raw(fd, &r)) TH_LOG("store_fd -1 without the flag");
	r.store_fd = 0;
	r.pagein_delay_ms = PAGELAB_PAGEIN_DELAY_MAX_MS + 1;
	EXPECT_EQ(-EINVAL, pl_replace_raw(fd, &r)) TH_LOG("pagein_delay_ms over the maximum");
	r.pagein_delay_ms = ~0U;
	EXPECT_EQ(-EINVAL, pl_replace_raw(fd, &r)) TH_LOG("pagein_delay_ms ~0");
	r.pagein_delay_ms = 0;
	EXPECT_EQ(-1, ioctl(fd, PAGELAB_IOC_REPLACE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOW(PAGELAB_IOC_MAGIC, 0x3f, struct pagelab_replace), &r));
	EXPECT_EQ(ENOTTY, errno) TH_LOG("an unknown ioctl on an object fd");
	EXPECT_NE(0, pl_replace(e->dev, 2, PAGELAB_POLICY_FIFO, 0, 0))
		TH_LOG("PAGELAB_IOC_REPLACE on /dev/pagelab");
	STAT(fd, st);
	EXPECT_EQ(0U, st.budget) TH_LOG("a refused request set a budget");

	/* Read-only access is not enough. */
	ASSERT_EQ(0, pl_attach(e->dev, id, PAGELAB_ATTACH_RDONLY, &rfd));
	pl_track_fd(&e->t, rfd);
	EXPECT_EQ(-EPERM, pl_replace(rfd, 2, PAGELAB_POLICY_FIFO, 0, 0));
	STAT(fd, st);
	EXPECT_EQ(0U, st.budget);

	/* What is valid: the whole size, every policy and flag, reported back. */
	EXPECT_EQ(0, pl_replace(fd, 4, PAGELAB_POLICY_FIFO, 0, 0));
	STAT(fd, st);
	EXPECT_EQ(4U, st.budget);
	EXPECT_EQ((__u32)PAGELAB_POLICY_FIFO, st.policy);
	EXPECT_EQ(0ULL, st.replace_flags);
	EXPECT_EQ(0U, st.pagein_delay_ms);
	EXPECT_EQ(0U, st.store_flags);
	/* The longest page-in delay (no page-in happens here: nothing is written). */
	EXPECT_EQ(0, pl_replace_store(fd, 4, PAGELAB_POLICY_FIFO, 0, 0, 0,
				      PAGELAB_PAGEIN_DELAY_MAX_MS));
	STAT(fd, st);
	EXPECT_EQ((__u32)PAGELAB_PAGEIN_DELAY_MAX_MS, st.pagein_delay_ms);
	EXPECT_EQ(0U, st.store_flags);
	/* Every flag but the file store's (its own tests need PAGELAB_SCRATCH). */
	for (__u32 p = 1; p <= PAGELAB_POLICY_MAX; p++) {
		const __u64 flags = PAGELAB_REPLACE_FLAGS & ~PAGELAB_REPLACE_FILE;

		EXPECT_EQ(0, pl_replace(fd, 2, p, flags, 42)) TH_LOG("policy %u", p);
		STAT(fd, st);
		EXPECT_EQ(2U, st.budget);
		EXPECT_EQ(p, st.policy);
		EXPECT_EQ(flags, st.replace_flags);
		EXPECT_EQ(0U, st.pagein_delay_ms) TH_LOG("every request sets the delay: 0 here");
	}
	EXPECT_EQ(0, pl_replace(fd, 0, 0, 0, 0));
	STAT(fd, st);
	EXPECT_EQ(0U, st.budget);
	EXPECT_EQ(0U, st.policy);
}

/* ---- a full store ----------------------------------------------------------- */

TEST_F(replace, full_store_is_sigbus_and_loses_nothing)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat s0, s1;
	unsigned long long used, used1;
	unsigned char *m;
	pid_t pid;
	int fd;

	fd = obj_new(e, 4, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 2, PAGELAB_POLICY_FIFO, 0);
	m = obj_map(e, fd, 4);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < 3; pg++)
		pl_fill(m + pg * ps, ps, 0x50 + pg);	/* page 0 goes to the store */
	ASSERT_EQ(0, pl_debugfs_stat("store_pages", &used));
	ASSERT_GE(used, 1ULL);

	/* The store holds what it holds now, and no more. */
	ASSERT_EQ(0, pl_param_read("max_store_pages", &e->saved_max_store_pages));
	e->restore_store = true;
	ASSERT_EQ(0, pl_param_write("max_store_pages", used));
	STAT(fd, s0);
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		pl_no_core_dumps();
		/* Page 3 needs page 1's frame; page 1 is dirty and cannot be stored. */
		pl_fill(m + 3 * ps, ps, 0x53);
		_exit(0);
	}
	EXPECT_EQ(128 + SIGBUS, pl_track_reap(&e->t, pid)) TH_LOG("the writer must die of SIGBUS");
	STAT(fd, s1);
	EXPECT_EQ(0ULL, s1.writebacks - s0.writebacks);
	ASSERT_EQ(0, pl_debugfs_stat("store_pages", &used1));
	EXPECT_EQ(used, used1) TH_LOG("the store grew over its cap");
	EXPECT_TRUE(pl_page_is(m + ps, ps, 0x51)) TH_LOG("page 1 (resident)");
	EXPECT_TRUE(pl_page_is(m + 2 * ps, ps, 0x52)) TH_LOG("page 2 (resident)");

	/* The cap back: everything reads back, and page 3 can be written. */
	ASSERT_EQ(0, pl_param_write("max_store_pages", e->saved_max_store_pages));
	e->restore_store = false;
	EXPECT_TRUE(pl_page_is(m, ps, 0x50)) TH_LOG("page 0 (stored)");
	pl_fill(m + 3 * ps, ps, 0x53);
	for (unsigned int pg = 0; pg < 4; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 0x50 + pg)) TH_LOG("page %u", pg);
	}
}

/*
 * A miss when the module's store is full: no dirty page can be written,
 * so the access gets SIGBUS, and the pages that could not go stay mapped:
 * the search passes over them without removing their PTEs (once it
 * removed every one it tried: the whole working set faulted again after,
 * and the search cost O(budget^2)).
 */
static void full_store_miss(struct __test_metadata *_metadata, struct env *e, __u32 policy)
{
	const size_t ps = e->ps, n = 256;
	unsigned long long used;
	struct rusage r0, r1;
	unsigned char *m;
	long minflt;
	pid_t pid;
	int fd;

	fd = obj_new(e, n + 1, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, n, policy, 0);
	m = obj_map(e, fd, n + 1);
	ASSERT_NE(MAP_FAILED, m);
	for (size_t pg = 0; pg < n; pg++)
		pl_fill(m + pg * ps, ps, 0x20 + pg % 64);
	ASSERT_EQ(0, pl_debugfs_stat("store_pages", &used));
	ASSERT_EQ(0, pl_param_read("max_store_pages", &e->saved_max_store_pages));
	e->restore_store = true;
	ASSERT_EQ(0, pl_param_write("max_store_pages", used));

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		pl_no_core_dumps();
		pl_fill(m + n * ps, ps, 0x7f);	/* needs a frame: none can go */
		_exit(0);
	}
	EXPECT_EQ(128 + SIGBUS, pl_track_reap(&e->t, pid)) TH_LOG("the store is full: SIGBUS");
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &r0));
	for (size_t pg = 0; pg < n; pg++)
		(void)pl_rd(m + pg * ps);
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &r1));
	minflt = r1.ru_minflt - r0.ru_minflt;
	EXPECT_EQ(0L, minflt) TH_LOG("%ld of the %zu resident pages lost their PTEs", minflt, n);
	ASSERT_EQ(0, pl_param_write("max_store_pages", e->saved_max_store_pages));
	e->restore_store = false;
	for (size_t pg = 0; pg < n; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 0x20 + pg % 64)) TH_LOG("page %zu", pg);
	}
}

TEST_F(replace, full_store_miss_leaves_the_working_set_mapped)
{
	PL_SELECTED();
	full_store_miss(_metadata, &self->e, PAGELAB_POLICY_FIFO);
}

/* CLOCK's hand must not clear (and unmap) the pages it cannot take either. */
TEST_F(replace, full_store_miss_leaves_the_working_set_mapped_clock)
{
	PL_SELECTED();
	full_store_miss(_metadata, &self->e, PAGELAB_POLICY_CLOCK);
}

/* ---- budgets lowered and removed -------------------------------------------- */

TEST_F(replace, lowered_budget_evicts_at_once)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st;
	unsigned char *m;
	int fd;

	fd = obj_new(e, 16, 0, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 16, PAGELAB_POLICY_LRU, 0);
	m = obj_map(e, fd, 16);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < 16; pg++)
		pl_fill(m + pg * ps, ps, 1 + pg);
	STAT(fd, st);
	EXPECT_EQ(16ULL, st.resident);
	EXPECT_EQ(0ULL, st.evictions);

	BUDGET(fd, 10, PAGELAB_POLICY_LRU, 0);
	STAT(fd, st);
	EXPECT_EQ(10ULL, st.resident) TH_LOG("16 pages, budget lowered to 10");
	EXPECT_EQ(6ULL, st.evictions);
	EXPECT_EQ(6ULL, st.writebacks) TH_LOG("every page was dirty");
	EXPECT_EQ(6ULL, st.store_pages);
	EXPECT_EQ(10U, st.budget);

	BUDGET(fd, 4, PAGELAB_POLICY_CLOCK, 0);
	STAT(fd, st);
	EXPECT_EQ(4ULL, st.resident) TH_LOG("budget lowered to 4");
	EXPECT_EQ(12ULL, st.evictions);
	EXPECT_EQ(12ULL, st.writebacks);
	EXPECT_EQ(12ULL, st.store_pages);
	EXPECT_EQ((__u32)PAGELAB_POLICY_CLOCK, st.policy);

	/* Raised: nothing moves until pages are touched. */
	BUDGET(fd, 6, PAGELAB_POLICY_CLOCK, 0);
	STAT(fd, st);
	EXPECT_EQ(4ULL, st.resident);
	EXPECT_EQ(12ULL, st.evictions);
	for (unsigned int pg = 0; pg < 16; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 1 + pg)) TH_LOG("page %u", pg);
	}
	STAT(fd, st);
	EXPECT_LE(st.resident, 6ULL);
}

TEST_F(replace, removed_budget_brings_every_page_back)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st;
	unsigned long long store;
	/* 6.10 on, each read of a never-written page takes a frame. */
	const unsigned long long zr = !(e->features & PAGELAB_FEAT_SHARED_ZERO);
	unsigned char *m;
	int fd;

	fd = obj_new(e, 12, 0, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 3, PAGELAB_POLICY_CLOCK, 0);
	m = obj_map(e, fd, 12);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < 10; pg++)	/* 10 and 11 never written */
		pl_fill(m + pg * ps, ps, 0x20 + pg);
	EXPECT_TRUE(pl_page_is(m + 11 * ps, ps, 0));
	STAT(fd, st);
	EXPECT_EQ(3ULL, st.resident);
	EXPECT_GE(st.store_pages, 7ULL);

	BUDGET(fd, 0, 0, 0);
	STAT(fd, st);
	EXPECT_EQ(10ULL + zr, st.resident) TH_LOG("every page ever written (or read, 6.10 on) is back");
	EXPECT_EQ(0ULL, st.store_pages);
	EXPECT_EQ(0U, st.budget);
	EXPECT_EQ(0U, st.policy);
	ASSERT_EQ(0, pl_debugfs_stat("store_pages", &store));
	EXPECT_EQ(0ULL, store);
	for (unsigned int pg = 0; pg < 12; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, pg < 10 ? 0x20 + pg : 0)) TH_LOG("page %u", pg);
	}
	STAT(fd, st);
	EXPECT_EQ(10ULL + 2 * zr, st.resident) TH_LOG("reads of never-written pages");
}

/* ---- the backing file (ABI 1.4) -------------------------------------------- */

/* A backing file the module must refuse, and with what. */
struct bad_store {
	const char *what;
	int fd;
	int err;
};

TEST_F(replace, file_store_bad_input)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st;
	const char *path;
	char proc[64];
	int fd, sfd, closed, pfd[2], sv[2];
	struct bad_store c[16];
	size_t n = 0;

	NEED_FILE_STORE(e);
	fd = obj_new(e, 4, 0, NULL);
	ASSERT_GE(fd, 0);
	sfd = store_new(e, 4, &path);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));

	c[n++] = (struct bad_store){ "fd -1", -1, -EBADF };
	/* High enough that the opens below cannot take the number again. */
	closed = fcntl(sfd, F_DUPFD_CLOEXEC, 900);
	ASSERT_GE(closed, 900);
	close(closed);
	c[n++] = (struct bad_store){ "an fd number not open", closed, -EBADF };
	c[n++] = (struct bad_store){ "a file opened O_RDONLY",
				  pl_track_fd(&e->t, open(path, O_RDONLY | O_CLOEXEC)), -EBADF };
	ASSERT_GE(c[n - 1].fd, 0) TH_LOG("%s: %s", path, strerror(errno));
	c[n++] = (struct bad_store){ "a file opened O_WRONLY",
				  pl_track_fd(&e->t, open(path, O_WRONLY | O_CLOEXEC)), -EBADF };
	ASSERT_GE(c[n - 1].fd, 0) TH_LOG("%s: %s", path, strerror(errno));
	/* Not regular files, each opened for reading and writing. */
	ASSERT_EQ(0, pl_track_pipe(&e->t, pfd));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd[0]);
	c[n++] = (struct bad_store){ "a pipe (opened O_RDWR)",
				  pl_track_fd(&e->t, open(proc, O_RDWR | O_CLOEXEC)), -EINVAL };
	c[n++] = (struct bad_store){ "/dev/null",
				  pl_track_fd(&e->t, open("/dev/null", O_RDWR | O_CLOEXEC)), -EINVAL };
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pl_track_fd(&e->t, sv[0]);
	pl_track_fd(&e->t, sv[1]);
	c[n++] = (struct bad_store){ "a socket", sv[0], -EINVAL };
	c[n++] = (struct bad_store){ "a file opened O_APPEND",
				  pl_track_fd(&e->t, open(path, O_RDWR | O_APPEND | O_CLOEXEC)),
				  -EINVAL };
	c[n++] = (struct bad_store){ "a file of mode 0666",
				  scratch_file(e, 4 * ps, 0666, O_RDWR, NULL), -EPERM };
	/* Others could hold its lock (an O_DIRECT read) and stall its write-backs. */
	c[n++] = (struct bad_store){ "a file others may read (mode 0604)",
				  scratch_file(e, 4 * ps, 0604, O_RDWR, NULL), -EPERM };
	c[n++] = (struct bad_store){ "a setuid file (mode 04600)",
				  scratch_file(e, 4 * ps, 04600, O_RDWR, NULL), -EPERM };
	c[n++] = (struct bad_store){ "a setgid file (mode 02600)",
				  scratch_file(e, 4 * ps, 02600, O_RDWR, NULL), -EPERM };
	c[n++] = (struct bad_store){ "a file one page short",
				  scratch_file(e, 3 * ps, 0600, O_RDWR, NULL), -ENOSPC };

	ASSERT_LE(n, ARRAY_SIZE(c));
	for (size_t i = 2; i < n; i++) {	/* all but the two numbers not open */
		ASSERT_GE(c[i].fd, 0) TH_LOG("%s: cannot open it", c[i].what);
	}
	for (size_t i = 0; i < n; i++) {
		EXPECT_EQ(c[i].err, pl_replace_store(fd, 2, PAGELAB_POLICY_FIFO,
						     PAGELAB_REPLACE_FILE, 1, c[i].fd, 0))
			TH_LOG("%s", c[i].what);
		STAT(fd, st);
		EXPECT_EQ(0U, st.budget) TH_LOG("%s: a refused request set a budget", c[i].what);
		EXPECT_EQ(0U, st.store_flags) TH_LOG("%s: a refused request set a store",
						     c[i].what);
	}

	/* The good file: taken, reported, and given back with the budget. */
	EXPECT_EQ(0, pl_replace_store(fd, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd, 0));
	STAT(fd, st);
	EXPECT_EQ(2U, st.budget);
	EXPECT_EQ((__u32)PAGELAB_STORE_FILE, st.store_flags);
	EXPECT_EQ(0, pl_replace(fd, 0, 0, 0, 0));
	STAT(fd, st);
	EXPECT_EQ(0U, st.budget);
	EXPECT_EQ(0U, st.store_flags);
}

TEST_F(replace, file_store_round_trip)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps, pages = 64;
	struct pagelab_obj_stat st, s0;
	unsigned long checked = 0, file_bad = 0;
	unsigned char *m, *buf;
	const char *path;
	int fd, sfd, rfd;

	NEED_FILE_STORE(e);
	fd = obj_new(e, pages, 0, NULL);
	ASSERT_GE(fd, 0);
	sfd = store_new(e, pages, &path);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	FILE_BUDGET(fd, 4, PAGELAB_POLICY_FIFO, 0, sfd);
	/* The module holds its own reference to the file: the fd can go. */
	pl_track_close(&e->t, sfd);
	STAT(fd, st);
	EXPECT_EQ(4U, st.budget);
	EXPECT_EQ((__u32)PAGELAB_STORE_FILE, st.store_flags);
	m = obj_map(e, fd, pages);
	ASSERT_NE(MAP_FAILED, m);
	fill_pages(m, ps, pages, 1);
	EXPECT_EQ(0UL, bad_pages(m, ps, pages, 1))
		TH_LOG("pages that did not read back what was written");
	STAT(fd, st);
	EXPECT_EQ((__u32)PAGELAB_STORE_FILE, st.store_flags);
	EXPECT_LE(st.resident, 4ULL);
	EXPECT_GE(st.writebacks, (__u64)pages - 4) TH_LOG("every page went out once at least");
	EXPECT_GE(st.page_ins, (__u64)pages - 4) TH_LOG("and came back");
	EXPECT_EQ(0ULL, st.io_errors);

	/* The pages really went to the file: page N at N * page size. */
	rfd = pl_track_fd(&e->t, open(path, O_RDONLY | O_CLOEXEC));
	ASSERT_GE(rfd, 0) TH_LOG("%s: %s", path, strerror(errno));
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	for (unsigned int pg = 0; pg < pages; pg++) {
		if (present(0, m + pg * ps))
			continue;	/* resident: the file's copy may be older */
		checked++;
		if (pread(rfd, buf, ps, (off_t)pg * ps) != (ssize_t)ps ||
		    !pl_page_is(buf, ps, 1 + pg)) {
			if (!file_bad++)
				TH_LOG("page %u: the file at offset %zu does not hold it", pg,
				       pg * ps);
		}
	}
	free(buf);
	EXPECT_GE(checked, (unsigned long)pages - 4) TH_LOG("evicted pages looked at");
	EXPECT_EQ(0UL, file_bad) TH_LOG("evicted pages missing from the file");

	/* Budget 0: every page back from the file, and the file let go. */
	BUDGET(fd, 0, 0, 0);
	STAT(fd, st);
	EXPECT_EQ(0U, st.budget);
	EXPECT_EQ(0U, st.store_flags) TH_LOG("the file is still the store");
	EXPECT_EQ(0ULL, st.store_pages);
	EXPECT_EQ((__u64)pages, st.resident) TH_LOG("every page ever written is back");
	EXPECT_EQ(0ULL, st.io_errors);
	EXPECT_EQ(0UL, bad_pages(m, ps, pages, 1))
		TH_LOG("pages wrong after the budget was removed");

	/* Now the module's store may be chosen. */
	BUDGET(fd, 4, PAGELAB_POLICY_FIFO, 0);
	STAT(fd, s0);
	EXPECT_EQ(4U, s0.budget);
	EXPECT_EQ(0U, s0.store_flags);
	EXPECT_GE(s0.store_pages, (__u64)pages - 4) TH_LOG("the lowered budget paged out");
	EXPECT_EQ(0UL, bad_pages(m, ps, pages, 1))
		TH_LOG("pages wrong through the module's store");
	STAT(fd, st);
	EXPECT_GT(st.page_ins, s0.page_ins);
	EXPECT_EQ(0ULL, st.io_errors);
}

/*
 * write(2) to a file from a buffer mapped on an object whose backing file
 * is on the same file system: the fault that brings the buffer's page in
 * (writing a dirty victim to the backing file first) runs inside write(2),
 * which holds that file system's sb_writers and the target's i_rwsem.
 * The fault must not take them again itself (the debug lane's lockdep
 * says "possible recursive locking" otherwise): the file's I/O is the
 * worker's.  Without and with a page-in delay.
 */
TEST_F(replace, file_store_fault_inside_a_write_to_the_same_fs)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	unsigned char *m, *buf;
	int fd, sfd, tfd;

	NEED_FILE_STORE(e);
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	for (unsigned int delay = 0; delay <= 50; delay += 50) {
		fd = obj_new(e, 2, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
		ASSERT_GE(fd, 0);
		sfd = store_new(e, 2, NULL);
		ASSERT_GE(sfd, 0) TH_LOG("%s", strerror(-sfd));
		ASSERT_EQ(0, pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE,
					      1, sfd, delay));
		tfd = scratch_file(e, 0, 0600, O_RDWR, NULL);
		ASSERT_GE(tfd, 0) TH_LOG("%s", strerror(-tfd));
		m = obj_map(e, fd, 2);
		ASSERT_NE(MAP_FAILED, m);
		pl_fill(m, ps, 0x21);
		pl_fill(m + ps, ps, 0x22);	/* page 0 to the file; page 1 dirty */
		/* write(2) faults page 0 in: page 1 goes to the backing file first. */
		EXPECT_EQ((ssize_t)ps, write(tfd, m, ps)) TH_LOG("delay %u: %s", delay,
								   strerror(errno));
		EXPECT_EQ((ssize_t)ps, pread(tfd, buf, ps, 0));
		EXPECT_TRUE(pl_page_is(buf, ps, 0x21)) TH_LOG("delay %u", delay);
		EXPECT_TRUE(pl_page_is(m + ps, ps, 0x22)) TH_LOG("delay %u", delay);
	}
	free(buf);
}

/*
 * The module keeps a file of its own: O_APPEND set later on the caller's
 * fd must not send page-outs to the end of the file.
 */
TEST_F(replace, file_store_ignores_later_fcntl)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps, pages = 8;
	struct pagelab_obj_stat st;
	unsigned char *m;
	struct stat sb;
	int fd, sfd;

	NEED_FILE_STORE(e);
	fd = obj_new(e, pages, 0, NULL);
	ASSERT_GE(fd, 0);
	sfd = store_new(e, pages, NULL);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	FILE_BUDGET(fd, 2, PAGELAB_POLICY_FIFO, 0, sfd);
	ASSERT_EQ(0, fcntl(sfd, F_SETFL, O_APPEND)) TH_LOG("F_SETFL O_APPEND: %s",
							   strerror(errno));
	m = obj_map(e, fd, pages);
	ASSERT_NE(MAP_FAILED, m);
	fill_pages(m, ps, pages, 0x50);
	EXPECT_EQ(0UL, bad_pages(m, ps, pages, 0x50))
		TH_LOG("pages lost after O_APPEND on the caller's fd");
	ASSERT_EQ(0, fstat(sfd, &sb));
	EXPECT_EQ((off_t)(pages * ps), sb.st_size) TH_LOG("the file grew: appended page-outs");
	STAT(fd, st);
	EXPECT_GE(st.writebacks, (__u64)pages - 2);
	EXPECT_EQ(0ULL, st.io_errors);
}

/* A backing file serves one object at a time: page N of both would collide. */
TEST_F(replace, file_store_one_object_per_file)
{
	PL_SELECTED();
	struct env *e = &self->e;
	struct pagelab_obj_stat st;
	const char *path;
	int a, b, sfd, again;

	NEED_FILE_STORE(e);
	a = obj_new(e, 4, 0, NULL);
	b = obj_new(e, 4, 0, NULL);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	sfd = store_new(e, 4, &path);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	FILE_BUDGET(a, 2, PAGELAB_POLICY_FIFO, 0, sfd);
	EXPECT_EQ(-EBUSY, pl_replace_store(b, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1,
					   sfd, 0)) TH_LOG("the same fd for a second object");
	again = pl_track_fd(&e->t, open(path, O_RDWR | O_CLOEXEC));
	ASSERT_GE(again, 0);
	EXPECT_EQ(-EBUSY, pl_replace_store(b, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1,
					   again, 0)) TH_LOG("the same file opened again");
	STAT(b, st);
	EXPECT_EQ(0U, st.budget);
	/* Re-setting the first object with its own file is fine. */
	EXPECT_EQ(0, pl_replace_store(a, 3, PAGELAB_POLICY_LRU, PAGELAB_REPLACE_FILE, 1, again, 0));
	/* Given back with the budget, the file may back the second object. */
	EXPECT_EQ(0, pl_replace(a, 0, 0, 0, 0));
	EXPECT_EQ(0, pl_replace_store(b, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd, 0));
	STAT(b, st);
	EXPECT_EQ((__u32)PAGELAB_STORE_FILE, st.store_flags);
	/* And when that object goes, the file is free again. */
	pl_track_close(&e->t, b);
	EXPECT_EQ(0, pl_replace_store(a, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd, 0))
		TH_LOG("the file stayed claimed after its object went");
}

TEST_F(replace, file_store_switch_busy)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st, s0;
	unsigned long bad = 0;
	unsigned char *m;
	int fd, a, b;

	NEED_FILE_STORE(e);
	fd = obj_new(e, 8, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	a = store_new(e, 8, NULL);
	ASSERT_GE(a, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-a));
	b = store_new(e, 8, NULL);
	ASSERT_GE(b, 0) TH_LOG("a second backing file: %s", strerror(-b));
	FILE_BUDGET(fd, 2, PAGELAB_POLICY_FIFO, 0, a);
	m = obj_map(e, fd, 8);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < 8; pg++)
		pl_fill(m + pg * ps, ps, 0x30 + pg);	/* pages 0-5 go to file a */
	STAT(fd, st);
	EXPECT_EQ(6ULL, st.writebacks) TH_LOG("pages 0-5 written to file a");

	EXPECT_EQ(-EBUSY, pl_replace(fd, 2, PAGELAB_POLICY_FIFO, 0, 1))
		TH_LOG("to the module's store while the file holds pages");
	EXPECT_EQ(-EBUSY, pl_replace_store(fd, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1,
					   b, 0)) TH_LOG("to another file");
	STAT(fd, st);
	EXPECT_EQ(2U, st.budget) TH_LOG("a refused request changed the budget");
	EXPECT_EQ((__u32)PAGELAB_STORE_FILE, st.store_flags);
	EXPECT_EQ(0, pl_replace_store(fd, 3, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, a, 0))
		TH_LOG("the same file again, another budget");
	STAT(fd, st);
	EXPECT_EQ(3U, st.budget);
	EXPECT_EQ((__u32)PAGELAB_STORE_FILE, st.store_flags);
	for (unsigned int pg = 0; pg < 8; pg++)
		if (!pl_page_is(m + pg * ps, ps, 0x30 + pg))
			bad++;
	EXPECT_EQ(0UL, bad) TH_LOG("pages wrong after the refusals");

	/* Budget 0 empties file a; then file b may be chosen. */
	BUDGET(fd, 0, 0, 0);
	STAT(fd, st);
	EXPECT_EQ(0U, st.store_flags);
	EXPECT_EQ(8ULL, st.resident);
	EXPECT_EQ(0, pl_replace_store(fd, 2, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, b, 0))
		TH_LOG("another file, once the store is empty");
	STAT(fd, s0);
	EXPECT_EQ((__u32)PAGELAB_STORE_FILE, s0.store_flags);
	EXPECT_EQ(2ULL, s0.resident);
	bad = 0;
	for (unsigned int pg = 0; pg < 8; pg++)
		if (!pl_page_is(m + pg * ps, ps, 0x30 + pg))
			bad++;
	EXPECT_EQ(0UL, bad) TH_LOG("pages wrong through file b");
	STAT(fd, st);
	EXPECT_GT(st.page_ins, s0.page_ins);
	EXPECT_EQ(0ULL, st.io_errors);
	BUDGET(fd, 0, 0, 0);
}

TEST_F(replace, file_store_majflt)
{
	PL_SELECTED();
	struct env *e = &self->e;
	unsigned long long major, ins;
	struct majflt_seen w;
	int sfd;

	NEED_FILE_STORE(e);
	sfd = store_new(e, 16, NULL);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	majflt_run(_metadata, e, sfd, &w);
	major = w.s1.major - w.s0.major;
	ins = w.s1.page_ins - w.s0.page_ins;
	EXPECT_EQ((long)major, w.ru)
		TH_LOG("getrusage ru_majflt rose by %ld, the object's major by %llu (page_ins %llu, "
		       "io_waits %llu)", w.ru, major, ins,
		       (unsigned long long)(w.s1.io_waits - w.s0.io_waits));
	EXPECT_EQ((long)major, w.pr) TH_LOG("/proc/self/stat majflt rose by %ld", w.pr);
	EXPECT_GE(major, ins) TH_LOG("a page-in from the file that was not a major fault");
}

/*
 * Kernel accesses through get_user_pages: /proc/self/mem may not let go of
 * mmap_lock (no FAULT_FLAG_ALLOW_RETRY: the fault waits for the I/O worker
 * with it held), process_vm_readv may (VM_FAULT_RETRY).  Both must see
 * every page's data, evicted or not, and a write through /proc/self/mem
 * must reach the page.
 */
TEST_F(replace, file_store_gup_reads_and_writes)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps, pages = 16;
	struct pagelab_obj_stat s0, s1;
	unsigned long bad_mem = 0, bad_vm = 0;
	struct iovec local, remote;
	unsigned char *m, *buf;
	int fd, sfd, mem;

	NEED_FILE_STORE(e);
	fd = obj_new(e, pages, 0, NULL);
	ASSERT_GE(fd, 0);
	sfd = store_new(e, pages, NULL);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	FILE_BUDGET(fd, 2, PAGELAB_POLICY_FIFO, 0, sfd);
	m = obj_map(e, fd, pages);
	ASSERT_NE(MAP_FAILED, m);
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	for (unsigned int pg = 0; pg < pages; pg++)
		pl_fill(m + pg * ps, ps, 0x30 + pg);
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_GE(mem, 0) TH_LOG("/proc/self/mem: %s", strerror(errno));
	STAT(fd, s0);
	for (unsigned int pg = 0; pg < pages; pg++) {
		if (pread(mem, buf, ps, (off_t)(uintptr_t)(m + pg * ps)) != (ssize_t)ps ||
		    !pl_page_is(buf, ps, 0x30 + pg))
			bad_mem++;
		local = (struct iovec){ .iov_base = buf, .iov_len = ps };
		remote = (struct iovec){ .iov_base = m + ((pg + 7) % pages) * ps, .iov_len = ps };
		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)ps ||
		    !pl_page_is(buf, ps, 0x30 + (pg + 7) % pages))
			bad_vm++;
	}
	EXPECT_EQ(0UL, bad_mem) TH_LOG("pages /proc/self/mem read wrong");
	EXPECT_EQ(0UL, bad_vm) TH_LOG("pages process_vm_readv read wrong");
	/* A write through /proc/self/mem to an evicted page, then read in place. */
	pl_fill(buf, ps, 0xc5);
	EXPECT_EQ((ssize_t)ps, pwrite(mem, buf, ps, (off_t)(uintptr_t)(m + 3 * ps)))
		TH_LOG("pwrite /proc/self/mem: %s", strerror(errno));
	for (unsigned int pg = 0; pg < pages; pg++)
		if (pg != 3)
			(void)pl_rd(m + pg * ps);
	EXPECT_TRUE(pl_page_is(m + 3 * ps, ps, 0xc5)) TH_LOG("the /proc/self/mem write was lost");
	STAT(fd, s1);
	EXPECT_GE(s1.page_ins - s0.page_ins, (__u64)pages) TH_LOG("the reads paged in");
	EXPECT_GE(s1.io_waits - s0.io_waits, (__u64)pages) TH_LOG("and waited for the worker");
	EXPECT_EQ(0ULL, s1.io_errors);
	close(mem);
	free(buf);
}

TEST_F(replace, file_store_truncated)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat s0, s1, s2;
	unsigned char *m;
	pid_t pid;
	int fd, sfd;

	NEED_FILE_STORE(e);
	fd = obj_new(e, 8, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	sfd = store_new(e, 8, NULL);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	FILE_BUDGET(fd, 2, PAGELAB_POLICY_FIFO, 0, sfd);
	m = obj_map(e, fd, 8);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < 8; pg++)
		pl_fill(m + pg * ps, ps, 0x70 + pg);
	/*
	 * Pages 0 and 1 read back: 6 and 7 go to the file too, and the frames
	 * then hold pages only read since their page-in, whose eviction writes
	 * nothing (a write would extend the file again).
	 */
	EXPECT_TRUE(pl_page_is(m, ps, 0x70));
	EXPECT_TRUE(pl_page_is(m + ps, ps, 0x71));
	STAT(fd, s0);
	EXPECT_EQ(0ULL, s0.io_errors);
	EXPECT_GE(s0.writebacks, 8ULL);

	/* The file loses its pages behind the module's back. */
	ASSERT_EQ(0, ftruncate(sfd, 0));
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		pl_no_core_dumps();
		/* Page 2's page-in (page 0 dropped clean for its frame) reads nothing. */
		(void)pl_rd(m + 2 * ps);
		_exit(0);
	}
	EXPECT_EQ(128 + SIGBUS, pl_track_reap(&e->t, pid))
		TH_LOG("a page-in from a truncated file must end in SIGBUS");
	STAT(fd, s1);
	EXPECT_GE(s1.io_errors - s0.io_errors, 1ULL) TH_LOG("the short read was not counted");

	/* The size back: what was in the file is gone (zeros), nothing crashes. */
	ASSERT_EQ(0, ftruncate(sfd, 8 * ps));
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* Page 1 kept its frame; every other page is its data or zeros. */
		CHILD_CHECK(pl_page_is(m + ps, ps, 0x71), 2);
		for (unsigned int pg = 0; pg < 8; pg++)
			CHILD_CHECK(pl_page_is(m + pg * ps, ps, 0x70 + pg) ||
				    pl_page_is(m + pg * ps, ps, 0), 3);
		_exit(0);
	}
	EXPECT_EQ(0, pl_track_reap(&e->t, pid))
		TH_LOG("2: page 1 lost its data; 3: a page neither its data nor zeros");
	STAT(fd, s2);
	EXPECT_EQ(s1.io_errors, s2.io_errors) TH_LOG("I/O errors after the size came back");
	EXPECT_LE(s2.resident, 2ULL);
}

/*
 * A frame held beyond its owners and mappers (here a pipe's reference,
 * vmsplice) is never a victim.  A fault that finds every frame so held
 * looks again for a while (such holds are mostly brief: another process's
 * unmap until its TLB flush), then gets SIGBUS; once the hold goes, the
 * same access works.
 */
TEST_F(replace, every_frame_pinned_is_sigbus_after_a_while)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat s0, s1;
	struct timespec t0, t1;
	unsigned char *m, *buf;
	struct iovec iov;
	int fd, pfd[2];
	double ms;
	pid_t pid;

	fd = obj_new(e, 2, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 1, PAGELAB_POLICY_FIFO, 0);
	m = obj_map(e, fd, 2);
	ASSERT_NE(MAP_FAILED, m);
	pl_fill(m, ps, 0x31);
	ASSERT_EQ(0, pipe(pfd));
	pl_track_fd(&e->t, pfd[0]);
	pl_track_fd(&e->t, pfd[1]);
	iov.iov_base = m;
	iov.iov_len = ps;
	ASSERT_EQ((ssize_t)ps, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
	STAT(fd, s0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		pl_no_core_dumps();
		pl_fill(m + ps, ps, 0x32);	/* page 1 needs page 0's frame */
		_exit(0);
	}
	EXPECT_EQ(128 + SIGBUS, pl_track_reap(&e->t, pid))
		TH_LOG("the only frame is held by a pipe: the access must end in SIGBUS");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	STAT(fd, s1);
	EXPECT_EQ(1ULL, s1.sigbus - s0.sigbus);
	EXPECT_EQ(s0.evictions, s1.evictions) TH_LOG("a held frame was evicted");
	EXPECT_GE(ms, 100.0) TH_LOG("SIGBUS after %.1f ms: no second look", ms);
	TH_LOG("SIGBUS after %.1f ms of looks for a frame", ms);

	/* The pipe lets go: the same access works, and page 0 kept its data. */
	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ((ssize_t)ps, read(pfd[0], buf, ps));
	EXPECT_TRUE(pl_page_is(buf, ps, 0x31));
	free(buf);
	pl_fill(m + ps, ps, 0x32);
	EXPECT_TRUE(pl_page_is(m + ps, ps, 0x32));
	EXPECT_TRUE(pl_page_is(m, ps, 0x31)) TH_LOG("page 0 lost its data");
}

/*
 * A lowered budget that cannot be reached (frames a pipe holds are never
 * victims) fails with EBUSY and leaves the object as far as it got: the
 * new policy, every page it could evict evicted, and the budget the
 * smallest it reached, never a page more than resident (OBJ_STAT tells).
 * The same request once the hold is gone finishes the job.
 */
TEST_F(replace, lowered_budget_over_held_frames_stops_where_it_got)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st;
	unsigned char *m, *buf;
	struct iovec iov;
	int fd, pfd[2];

	fd = obj_new(e, 8, 0, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 8, PAGELAB_POLICY_FIFO, 0);
	m = obj_map(e, fd, 8);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < 8; pg++)
		pl_fill(m + pg * ps, ps, 0x40 + pg);
	ASSERT_EQ(0, pipe(pfd));
	pl_track_fd(&e->t, pfd[0]);
	pl_track_fd(&e->t, pfd[1]);
	iov.iov_base = m;
	iov.iov_len = 3 * ps;
	ASSERT_EQ((ssize_t)(3 * ps), vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));

	EXPECT_EQ(-EBUSY, pl_replace(fd, 2, PAGELAB_POLICY_LRU, 0, 1))
		TH_LOG("3 frames held by a pipe: a budget of 2 cannot be reached");
	STAT(fd, st);
	EXPECT_EQ(3ULL, st.resident) TH_LOG("every page not held was evicted");
	EXPECT_EQ(5ULL, st.evictions);
	EXPECT_EQ((__u32)PAGELAB_POLICY_LRU, st.policy) TH_LOG("the new policy is in place");
	EXPECT_EQ(3U, st.budget) TH_LOG("the budget is where the request got, not the 8 before");

	/* The pipe lets go: the same request finishes, nothing was lost. */
	buf = malloc(3 * ps);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, pl_read_full(pfd[0], buf, 3 * ps));
	free(buf);
	BUDGET(fd, 2, PAGELAB_POLICY_LRU, 0);
	STAT(fd, st);
	EXPECT_EQ(2U, st.budget);
	EXPECT_LE(st.resident, 2ULL);
	for (unsigned int pg = 0; pg < 8; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 0x40 + pg)) TH_LOG("page %u", pg);
	}
}

/* The same with a store that fills up: ENOSPC, and the budget where it got. */
TEST_F(replace, lowered_budget_over_a_full_store_stops_where_it_got)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st;
	unsigned long long used;
	unsigned char *m;
	int fd;

	fd = obj_new(e, 8, 0, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 8, PAGELAB_POLICY_FIFO, 0);
	m = obj_map(e, fd, 8);
	ASSERT_NE(MAP_FAILED, m);
	for (unsigned int pg = 0; pg < 8; pg++)
		pl_fill(m + pg * ps, ps, 0x60 + pg);
	ASSERT_EQ(0, pl_debugfs_stat("store_pages", &used));
	ASSERT_EQ(0, pl_param_read("max_store_pages", &e->saved_max_store_pages));
	e->restore_store = true;
	ASSERT_EQ(0, pl_param_write("max_store_pages", used + 3));

	EXPECT_EQ(-ENOSPC, pl_replace(fd, 2, PAGELAB_POLICY_CLOCK, 0, 1))
		TH_LOG("room in the store for 3 of the 6 pages over the budget");
	STAT(fd, st);
	EXPECT_EQ(5ULL, st.resident);
	EXPECT_EQ(3ULL, st.store_pages);
	EXPECT_EQ((__u32)PAGELAB_POLICY_CLOCK, st.policy) TH_LOG("the new policy is in place");
	EXPECT_EQ(5U, st.budget) TH_LOG("the budget is where the request got, not the 8 before");

	ASSERT_EQ(0, pl_param_write("max_store_pages", e->saved_max_store_pages));
	e->restore_store = false;
	BUDGET(fd, 2, PAGELAB_POLICY_CLOCK, 0);
	STAT(fd, st);
	EXPECT_EQ(2U, st.budget);
	for (unsigned int pg = 0; pg < 8; pg++) {
		EXPECT_TRUE(pl_page_is(m + pg * ps, ps, 0x60 + pg)) TH_LOG("page %u", pg);
	}
}

/*
 * The same wait reached by the kernel's populate loops (mlock(),
 * MADV_POPULATE_READ/WRITE), which start each retried fault afresh rather
 * than as a second try: the access still fails after a while (EFAULT from
 * madvise, ENOMEM from mlock), instead of retrying forever.
 */
TEST_F(replace, every_frame_pinned_ends_populate_too)
{
	PL_SELECTED();
	static const char *const how[] = { "mlock", "MADV_POPULATE_READ", "MADV_POPULATE_WRITE" };
	struct env *e = &self->e;
	const size_t ps = e->ps;
	unsigned char *m;
	struct iovec iov;
	int fd, pfd[2];

	fd = obj_new(e, 2, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	BUDGET(fd, 1, PAGELAB_POLICY_FIFO, 0);
	m = obj_map(e, fd, 2);
	ASSERT_NE(MAP_FAILED, m);
	pl_fill(m + ps, ps, 0x32);	/* page 1 goes to the store: reading it needs a frame */
	pl_fill(m, ps, 0x31);
	ASSERT_EQ(0, pipe(pfd));
	pl_track_fd(&e->t, pfd[0]);
	pl_track_fd(&e->t, pfd[1]);
	iov.iov_base = m;
	iov.iov_len = ps;
	ASSERT_EQ((ssize_t)ps, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));

	for (int i = 0; i < 3; i++) {
		pid_t pid = pl_track_fork(&e->t);

		ASSERT_GE(pid, 0);
		if (!pid) {
			int r, want = i ? EFAULT : ENOMEM;

			pl_no_core_dumps();
			alarm(20);	/* retried forever: SIGALRM */
			if (i == 0)
				r = mlock(m + ps, ps);
			else
				r = madvise(m + ps, ps, i == 1 ? MADV_POPULATE_READ :
						MADV_POPULATE_WRITE);
			_exit(r == -1 && errno == want ? 0 : r == -1 ? 10 + errno % 100 : 9);
		}
		EXPECT_EQ(0, pl_track_reap(&e->t, pid))
			TH_LOG("%s of a page whose only frame a pipe holds: %s", how[i],
			       "142 is SIGALRM (no end after 20 s); 10 + errno: another error");
	}
}

/* ---- the page-in delay (ABI 1.4) ------------------------------------------- */

#define PAGEIN_DELAY_READS	10

TEST_F(replace, pagein_delay)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat st, s0;
	struct timespec t0, t1;
	double ms, min = 0;
	unsigned char *m;
	bool ok;
	int fd;

	ASSERT_NE(0ULL, e->features & PAGELAB_FEAT_FILE_STORE)
		TH_LOG("the module does not offer the page-in delay (ABI 1.4)");
	fd = obj_new(e, 2, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, 0, 1, 0, 100));
	STAT(fd, st);
	EXPECT_EQ(100U, st.pagein_delay_ms);
	EXPECT_EQ(0U, st.store_flags);
	m = obj_map(e, fd, 2);
	ASSERT_NE(MAP_FAILED, m);
	pl_fill(m, ps, 0x61);
	pl_fill(m + ps, ps, 0x62);	/* page 0 goes to the module's store */
	STAT(fd, s0);
	/* One frame, two pages: each read of the other page is a page-in. */
	for (int i = 0; i < PAGEIN_DELAY_READS; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok = pl_page_is(m + (i % 2) * ps, ps, 0x61 + i % 2);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		EXPECT_TRUE(ok) TH_LOG("page %d lost its data", i % 2);
		/* As clock_gettime() measures it, whatever the kernel's tick does. */
		EXPECT_GE(ms, 100.0) TH_LOG("page-in %d took %.1f ms, the delay is 100 ms", i, ms);
		min = i ? (ms < min ? ms : min) : ms;
	}
	STAT(fd, st);
	EXPECT_EQ((__u64)PAGEIN_DELAY_READS, st.page_ins - s0.page_ins);
	TH_LOG("%d page-ins with a delay of 100 ms took %.1f ms at the least",
	       PAGEIN_DELAY_READS, min);
}

/*
 * Page-in delays are slept by the faulting task itself, never by a shared
 * worker: one process with hundreds of objects sleeping long page-ins at
 * once must not hold up another process's page-in.  A child makes
 * FLOOD_OBJECTS objects with a 5 s delay and a thread faulting in each;
 * then this process's own 100 ms page-in must take about 100 ms, not wait
 * for the child's delays to end.
 */
#define FLOOD_OBJECTS	300

struct flood_arg {
	unsigned char *m;
	volatile int *started;
};

static void *flood_thread(void *p)
{
	struct flood_arg *a = p;

	__atomic_add_fetch(a->started, 1, __ATOMIC_ACQ_REL);
	(void)pl_rd(a->m);	/* a page-in with a 5 s delay */
	return NULL;
}

TEST_F_TIMEOUT(replace, pagein_delays_of_others_do_not_queue_ours, 300)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct timespec t0, t1;
	int fd, sync[2];
	unsigned char *m;
	double ms;
	pid_t pid;
	char c;
	bool ok;

	fd = obj_new(e, 2, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, 0, 1, 0, 100));
	m = obj_map(e, fd, 2);
	ASSERT_NE(MAP_FAILED, m);
	pl_fill(m, ps, 0x71);
	pl_fill(m + ps, ps, 0x72);	/* page 0 goes to the store */
	ASSERT_EQ(0, pl_track_pipe(&e->t, sync));

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		static struct flood_arg args[FLOOD_OBJECTS];
		static pthread_t th[FLOOD_OBJECTS];
		static volatile int started;
		struct rlimit rl = { 4 * FLOOD_OBJECTS, 4 * FLOOD_OBJECTS };

		CHILD_CHECK(!setrlimit(RLIMIT_NOFILE, &rl), 2);
		for (int i = 0; i < FLOOD_OBJECTS; i++) {
			struct pagelab_create c = { .size = 2 * ps,
						    .flags = PAGELAB_CREATE_NO_FAULT_AROUND };
			unsigned char *p;

			CHILD_CHECK(!ioctl(e->dev, PAGELAB_IOC_CREATE, &c), 3);
			CHILD_CHECK(!pl_replace_store(c.fd, 1, PAGELAB_POLICY_FIFO, 0, 1, 0, 5000), 4);
			p = mmap(NULL, 2 * ps, RW, MAP_SHARED, c.fd, 0);
			CHILD_CHECK(p != MAP_FAILED, 5);
			p[0] = 1;
			p[ps] = 2;	/* page 0 goes to the store */
			args[i] = (struct flood_arg){ .m = p, .started = &started };
		}
		for (int i = 0; i < FLOOD_OBJECTS; i++)
			CHILD_CHECK(!pthread_create(&th[i], NULL, flood_thread, &args[i]), 6);
		while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < FLOOD_OBJECTS)
			sched_yield();
		usleep(300 * 1000);	/* every thread in its page-in */
		CHILD_CHECK(write(sync[1], "s", 1) == 1, 7);
		for (int i = 0; i < FLOOD_OBJECTS; i++)
			pthread_join(th[i], NULL);
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok = pl_page_is(m, ps, 0x71);	/* our page-in, 100 ms */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	EXPECT_TRUE(ok);
	EXPECT_LT(ms, 2000.0)
		TH_LOG("a 100 ms page-in took %.0f ms behind another process's %d page-ins",
		       ms, FLOOD_OBJECTS);
	TH_LOG("a 100 ms page-in beside %d others of 5 s took %.0f ms", FLOOD_OBJECTS, ms);
	EXPECT_EQ(0, pl_track_reap(&e->t, pid)) TH_LOG("the child's exit status is the step that failed");
}

/*
 * write(2) to an object's own backing file from the object's mapping: the
 * fault inside it must write a dirty victim to that very file, whose
 * i_rwsem the write(2) holds, so that write-back cannot run until the
 * task is killed (it waits killably).  One user with hundreds of those
 * stuck must hold up no other user's file I/O: a child (uid STUCK_UID)
 * sets up STUCK_OBJECTS objects with stores of its own and starts such
 * writes, one thread each (more than the I/O
 * workqueue's max_active before the fix); then this process's fault
 * inside a write(2) to a pipe must finish, and the child's own
 * /proc/PID/mem read of a stored page (a fault that may not let go of
 * mmap_lock) must fail at once (EIO), not wait.  Killing the child ends
 * its writes and gives its user's I/O slots back: a new process of that
 * user then reads a stored page through /proc/PID/mem.
 */
#define STUCK_OBJECTS	270
#define STUCK_UID	1001

struct stuck_arg {
	int sfd;
	unsigned char *m;
	size_t ps;
	volatile int *started;
};

static void *stuck_thread(void *p)
{
	struct stuck_arg *a = p;

	__atomic_add_fetch(a->started, 1, __ATOMIC_ACQ_REL);
	/* Page 0 is in the file, page 1 dirty: page 1 must go to this file. */
	if (write(a->sfd, a->m, a->ps) < 0)
		return NULL;
	return NULL;
}

/*
 * An object of two pages whose store is a new, unlinked file in @dir,
 * budget 1: page 0 (seed @seed) in the file, page 1
 * (@seed + 1) resident and dirty.  Its mapping, *@sfd the file, *@ofd the
 * object's fd; NULL on failure.
 */
static unsigned char *stuck_object(int dev, const char *dir, size_t ps, unsigned int seed,
				   int *sfd, int *ofd)
{
	struct pagelab_create c = { .size = 2 * ps, .flags = PAGELAB_CREATE_NO_FAULT_AROUND };
	char path[PATH_MAX];
	unsigned char *m;
	int f;

	snprintf(path, sizeof(path), "%s/store-XXXXXX", dir);
	f = mkstemp(path);
	if (f < 0)
		return NULL;
	unlink(path);
	if (ftruncate(f, 2 * ps) || ioctl(dev, PAGELAB_IOC_CREATE, &c) ||
	    pl_replace_store(c.fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, f, 0))
		return NULL;
	m = mmap(NULL, 2 * ps, RW, MAP_SHARED, c.fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	pl_fill(m, ps, seed);
	pl_fill(m + ps, ps, seed + 1);	/* page 0 goes to the file */
	*sfd = f;
	*ofd = c.fd;
	return m;
}

/*
 * Wait up to @ms for a byte from @fd while child @pid lives: 1 with the
 * byte in *@c, 0 on timeout, -1 if the child ended first (*@c its status).
 */
static int read_from_child(int fd, pid_t pid, unsigned int ms, char *c)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int status;

	for (unsigned int t = 0; t < ms; t += 100) {
		if (poll(&pfd, 1, 100) == 1)
			return read(fd, c, 1) == 1 ? 1 : -1;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			*c = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return -1;
		}
	}
	return 0;
}

/*
 * Wait up to @ms for tracked child @pid: its exit status (no longer
 * tracked), or -1 if it still runs.
 */
static int reap_within(struct pl_track *tr, pid_t pid, unsigned int ms)
{
	int status;

	for (unsigned int t = 0; t < ms; t += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			for (int i = 0; i < tr->nkids; i++)
				if (tr->kids[i] == pid)
					tr->kids[i] = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(20 * 1000);
	}
	return -1;
}

/* In a child of uid STUCK_UID: read 64 bytes at @p through /proc/self/mem. */
static bool read_own_mem(int mfd, const void *p)
{
	unsigned char probe[64];

	return pread(mfd, probe, sizeof(probe), (off_t)(uintptr_t)p) == (ssize_t)sizeof(probe);
}

/*
 * A tmpfs of its own on @dir (a mkdtemp() template; its write(2) holds
 * i_rwsem, whatever /tmp is), and in it root's stuck_object() of seed
 * 0x41, its fds tracked in *@sfd and *@ofd: its mapping.
 */
static unsigned char *stuck_setup(struct __test_metadata *_metadata, struct env *e, char *dir,
				  int *sfd, int *ofd)
{
	unsigned char *m;

	ASSERT_NE(0ULL, e->features & PAGELAB_FEAT_FILE_STORE);
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("pagelab-stuck", dir, "tmpfs", 0, "size=64m,mode=1777"))
		TH_LOG("mount tmpfs on %s: %s", dir, strerror(errno));
	m = stuck_object(e->dev, dir, e->ps, 0x41, sfd, ofd);
	ASSERT_NE(NULL, m) TH_LOG("an object whose store is a file in %s: %s", dir,
				  strerror(errno));
	pl_track_fd(&e->t, *ofd);
	pl_track_fd(&e->t, *sfd);
	return m;
}

/*
 * Root's fault inside write(2) from @m (a stuck_object() of seed 0x41)
 * into pipe @out: page 1 to its file, page 0 in, behind other users'
 * stuck writes (@behind says whose).  Its exit status within 60 s, or -1
 * with *@kid still in it.
 */
static int stuck_other_write(struct __test_metadata *_metadata, struct env *e,
			     unsigned char *m, int out, const char *behind, pid_t *kid)
{
	int st;

	*kid = pl_track_fork(&e->t);
	ASSERT_GE(*kid, 0);
	if (!*kid)
		_exit(write(out, m, e->ps) == (ssize_t)e->ps ? 0 : 10);
	st = reap_within(&e->t, *kid, 60 * 1000);
	EXPECT_EQ(0, st) TH_LOG("%s%s", st < 0 ?
		"another user's write(2) from a budgeted mapping stalled 60 s behind the stuck writes of " :
		"its write(2) failed, behind the writes of ", behind);
	return st;
}

/*
 * After the stuck writers were killed: stuck_other_write()'s @kid ends (if
 * it was still in its write, @st < 0) with page 0 in pipe @out, and @m,
 * its fds @ofd and @sfd and the tmpfs on @dir go.
 */
static void stuck_finish(struct __test_metadata *_metadata, struct env *e, unsigned char *m,
			 int out, int st, pid_t kid, int ofd, int sfd, const char *dir)
{
	unsigned char *buf;

	if (st < 0) {
		st = reap_within(&e->t, kid, 60 * 1000);
		EXPECT_EQ(0, st) TH_LOG("the write(2) after the kill");
	}
	if (!st) {
		buf = malloc(e->ps);
		ASSERT_NE(NULL, buf);
		EXPECT_EQ((ssize_t)e->ps, read(out, buf, e->ps));
		EXPECT_TRUE(pl_page_is(buf, e->ps, 0x41));
		free(buf);
	}
	EXPECT_TRUE(pl_page_is(m + e->ps, e->ps, 0x42));
	munmap(m, 2 * e->ps);
	pl_track_close(&e->t, ofd);
	pl_track_close(&e->t, sfd);
	EXPECT_EQ(0, umount2(dir, MNT_DETACH));
	rmdir(dir);
}

TEST_F_TIMEOUT(replace, writes_into_their_own_store_stall_only_their_user, 600)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	char dir[] = "/tmp/pagelab-stuck-XXXXXX", c = 0;
	int sfd, ofd, sync[2], out[2], st, r;
	unsigned char *m;
	pid_t pid, kid;

	m = stuck_setup(_metadata, e, dir, &sfd, &ofd);
	ASSERT_EQ(0, pl_track_pipe(&e->t, sync));
	ASSERT_EQ(0, pl_track_pipe(&e->t, out));

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		static struct stuck_arg args[STUCK_OBJECTS];
		static pthread_t th[STUCK_OBJECTS];
		static volatile int started;
		struct rlimit rl = { 4 * STUCK_OBJECTS, 4 * STUCK_OBJECTS };
		unsigned char *u;
		int usfd, uofd, mfd;

		CHILD_CHECK(!setrlimit(RLIMIT_NOFILE, &rl), 2);
		mfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);	/* root's, after setresuid() */
		CHILD_CHECK(mfd >= 0, 2);
		/* The stores are this user's: their I/O takes its slots. */
		CHILD_CHECK(!setresuid(STUCK_UID, STUCK_UID, STUCK_UID), 5);
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* setresuid() cleared it */
		for (int i = 0; i < STUCK_OBJECTS; i++) {
			args[i].m = stuck_object(e->dev, dir, ps, 0x10, &args[i].sfd, &uofd);
			CHILD_CHECK(args[i].m, 3);
			args[i].ps = ps;
			args[i].started = &started;
		}
		u = stuck_object(e->dev, dir, ps, 0x70, &usfd, &uofd);
		CHILD_CHECK(u, 4);
		for (int i = 0; i < STUCK_OBJECTS; i++)
			CHILD_CHECK(!pthread_create(&th[i], NULL, stuck_thread, &args[i]), 6);
		while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < STUCK_OBJECTS)
			sched_yield();
		usleep(500 * 1000);	/* every thread in its write(2) */
		CHILD_CHECK(write(sync[1], "s", 1) == 1, 7);
		/*
		 * A fault that may not let go of mmap_lock (/proc/PID/mem),
		 * every slot of its user's taken: an error at once, no wait.
		 */
		c = !read_own_mem(mfd, u) && errno == EIO ? 'm' : 'M';
		CHILD_CHECK(write(sync[1], &c, 1) == 1, 9);
		pause();
		_exit(0);
	}
	r = read_from_child(sync[0], pid, 300 * 1000, &c);
	ASSERT_EQ(1, r) TH_LOG("the child %s (step %d)", r ? "failed" : "did not start in 300 s",
			       c);
	ASSERT_EQ('s', c);

	st = stuck_other_write(_metadata, e, m, out[1], "one user", &kid);
	r = read_from_child(sync[0], pid, 60 * 1000, &c);
	EXPECT_EQ(1, r) TH_LOG("a /proc/PID/mem read waited 60 s for the stuck user's I/O");
	EXPECT_EQ('m', c) TH_LOG("a /proc/PID/mem read with every slot taken did not fail (EIO)");

	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, pl_track_reap(&e->t, pid));

	/* The killed user's slots came back: its /proc/PID/mem read works. */
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		unsigned char *u;
		int usfd, uofd, mfd;

		mfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
		CHILD_CHECK(mfd >= 0, 2);
		CHILD_CHECK(!setresuid(STUCK_UID, STUCK_UID, STUCK_UID), 3);
		u = stuck_object(e->dev, dir, ps, 0x70, &usfd, &uofd);
		CHILD_CHECK(u, 3);
		/* The killed writes' workers end a moment after the kill. */
		for (int i = 0; !read_own_mem(mfd, u); i++) {
			CHILD_CHECK(errno == EIO && i < 200, 4);
			usleep(50 * 1000);
		}
		CHILD_CHECK(pl_page_is(u, ps, 0x70), 5);
		_exit(0);
	}
	EXPECT_EQ(0, reap_within(&e->t, pid, 60 * 1000))
		TH_LOG("a process of the killed user could not read a stored page (step above)");
	stuck_finish(_metadata, e, m, out[0], st, kid, ofd, sfd, dir);
}

/*
 * A container -- a user namespace root made, with CONTAINER_UIDS uids
 * mapped into it -- counts each of its uids as a login, with
 * PAGELAB_IO_PER_USER I/O slots each.  Without a cap of its own, its root
 * alone could fill the I/O workqueue (max_active 512): every uid
 * starting that many writes stuck in their own stores.  Its logins share
 * PAGELAB_IO_PER_CONTAINER slots (32): another user's fault inside a
 * write(2) must then finish, and a new uid of the container, whose own
 * slots are free, finds the container's taken: its /proc/PID/mem read of
 * a stored page fails at once (EIO), rather than wait for the workqueue.
 * Every object is filled before any write starts (a fill needs I/O too,
 * which waits for a slot once the container's are taken).
 */
#define CONTAINER_UIDS		130
#define CONTAINER_WRITES	4	/* per uid: PAGELAB_IO_PER_USER */
#define CONTAINER_KUID		200000

/*
 * A uid @u of the container: CONTAINER_WRITES objects filled, a byte to
 * @ready; then, at end of file on @go, their writes started, a byte to
 * @ready again.
 */
static void container_uid(int dev, const char *dir, size_t ps, uid_t u, int ready, int go)
{
	static struct stuck_arg args[CONTAINER_WRITES];
	static pthread_t th[CONTAINER_WRITES];
	static volatile int started;
	int uofd;
	char c;

	CHILD_CHECK(!setresgid(u, u, u) && !setresuid(u, u, u), 20);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* setresuid() cleared it */
	for (int i = 0; i < CONTAINER_WRITES; i++) {
		args[i].m = stuck_object(dev, dir, ps, 0x10, &args[i].sfd, &uofd);
		CHILD_CHECK(args[i].m, 21);
		args[i].ps = ps;
		args[i].started = &started;
	}
	CHILD_CHECK(write(ready, "p", 1) == 1, 22);
	CHILD_CHECK(read(go, &c, 1) == 0, 23);
	for (int i = 0; i < CONTAINER_WRITES; i++)
		CHILD_CHECK(!pthread_create(&th[i], NULL, stuck_thread, &args[i]), 24);
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < CONTAINER_WRITES)
		sched_yield();
	CHILD_CHECK(write(ready, "r", 1) == 1, 25);
	pause();
	_exit(0);
}

/* Write @text into /proc/@pid/@file. */
static bool write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

/* Where the probe's stored page is: its pid and the address. */
struct container_probe_at {
	pid_t pid;
	uintptr_t addr;
};

/*
 * A new uid of the container, forked before the writes start: its object
 * filled, its pid and page 0's address to @info, a byte to @ready; then it
 * waits to be killed.  Its memory is read from outside, through
 * /proc/PID/mem (its own is root's to open: its mm predates the
 * namespace).
 */
static void container_probe(int dev, const char *dir, size_t ps, int ready, int info)
{
	const uid_t u = CONTAINER_UIDS + 1;
	struct container_probe_at at;
	int usfd, uofd;
	unsigned char *m;
	char c;

	/* A failed step goes to @ready as its number: the container's root passes it on. */
#define PROBE_CHECK(cond, code) do { \
	if (!(cond)) { \
		c = (code); \
		_exit(write(ready, &c, 1) == 1 ? (code) : 36); \
	} \
} while (0)
	PROBE_CHECK(!setresgid(u, u, u) && !setresuid(u, u, u), 31);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* setresuid() cleared it */
	m = stuck_object(dev, dir, ps, 0x70, &usfd, &uofd);
	PROBE_CHECK(m, 32);
	at = (struct container_probe_at){ .pid = getpid(), .addr = (uintptr_t)m };
	PROBE_CHECK(write(info, &at, sizeof(at)) == (ssize_t)sizeof(at), 33);
	PROBE_CHECK(write(ready, "p", 1) == 1, 34);
#undef PROBE_CHECK
	pause();
	_exit(0);
}

/* Can this kernel make a user namespace?  (The debug kernel has no CONFIG_USER_NS.) */
static bool user_namespaces(void)
{
	int status;
	pid_t pid = fork();

	if (!pid)
		_exit(unshare(CLONE_NEWUSER) ? (errno == EINVAL ? 1 : 2) : 0);
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) != 1;
}

TEST_F_TIMEOUT(replace, a_container_of_many_uids_stalls_only_itself, 900)
{
	PL_SELECTED();
	if (!user_namespaces())
		SKIP(return, "no user namespaces in this kernel (CONFIG_USER_NS)");
	struct env *e = &self->e;
	const size_t ps = e->ps;
	char dir[] = "/tmp/pagelab-ct-XXXXXX", c = 0, map[64];
	int sfd, ofd, sync[2], go[2], out[2], info[2], st, r, mfd;
	struct container_probe_at at;
	struct timespec t0, t1;
	char path[64], probe[64];
	unsigned char *m;
	pid_t pid, kid;

	m = stuck_setup(_metadata, e, dir, &sfd, &ofd);
	ASSERT_EQ(0, pl_track_pipe(&e->t, sync));
	ASSERT_EQ(0, pl_track_pipe(&e->t, go));
	ASSERT_EQ(0, pl_track_pipe(&e->t, out));
	ASSERT_EQ(0, pl_track_pipe(&e->t, info));

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		int ready[2], start[2];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* A user namespace of root's: its owner is root. */
		CHILD_CHECK(!unshare(CLONE_NEWUSER), 2);
		CHILD_CHECK(write(sync[1], "u", 1) == 1, 3);
		CHILD_CHECK(read(go[0], &c, 1) == 1 && c == 'g', 4);
		CHILD_CHECK(!setresgid(0, 0, 0) && !setresuid(0, 0, 0), 5);
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* setresuid() cleared it */
		CHILD_CHECK(getppid() != 1, 5);
		CHILD_CHECK(!pipe(ready) && !pipe(start), 6);
		for (uid_t u = 1; u <= CONTAINER_UIDS + 1; u++) {
			pid_t k = fork();

			if (!k) {
				close(start[1]);
				if (u > CONTAINER_UIDS)
					container_probe(e->dev, dir, ps, ready[1], info[1]);
				container_uid(e->dev, dir, ps, u, ready[1], start[0]);
			}
			CHILD_CHECK(k > 0, 7);
		}
		/* Every object filled; then every write started. */
		for (int n = 0; n < CONTAINER_UIDS + 1; n++) {
			CHILD_CHECK(read(ready[0], &c, 1) == 1, 8);
			/* A step that failed: its number, to the test. */
			CHILD_CHECK(c == 'p' || write(sync[1], &c, 1) != 1, 8);
		}
		close(start[1]);
		for (int n = 0; n < CONTAINER_UIDS; n++)
			CHILD_CHECK(read(ready[0], &c, 1) == 1 && c == 'r', 9);
		usleep(500 * 1000);	/* every thread in its write(2) */
		CHILD_CHECK(write(sync[1], "s", 1) == 1, 10);
		pause();
		_exit(0);
	}
	r = read_from_child(sync[0], pid, 30 * 1000, &c);
	ASSERT_EQ(1, r) TH_LOG("the container's root %s (step %d)",
			       r ? "failed" : "did not unshare in 30 s", c);
	snprintf(map, sizeof(map), "0 %d %d\n", CONTAINER_KUID, CONTAINER_UIDS + 2);
	ASSERT_TRUE(write_proc(pid, "uid_map", map) && write_proc(pid, "gid_map", map))
		TH_LOG("uid_map/gid_map of the container: %s", strerror(errno));
	ASSERT_EQ(1, write(go[1], "g", 1));
	r = read_from_child(sync[0], pid, 600 * 1000, &c);
	ASSERT_EQ(1, r) TH_LOG("the container %s (step %d)",
			       r ? "failed" : "did not start its writes in 600 s", c);
	ASSERT_EQ('s', c);

	st = stuck_other_write(_metadata, e, m, out[1], "a container", &kid);
	/*
	 * The new uid's stored page, read from outside (a remote fault may
	 * not let go of mmap_lock): with the container's slots taken, EIO at
	 * once; uncapped, its I/O would queue behind the stuck ones (and
	 * fail only at the 20 s deadline).
	 */
	ASSERT_EQ((ssize_t)sizeof(at), read(info[0], &at, sizeof(at)));
	snprintf(path, sizeof(path), "/proc/%d/mem", at.pid);
	mfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mfd) TH_LOG("open %s: %s", path, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = pread(mfd, probe, sizeof(probe), (off_t)at.addr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_EQ(-1, r) TH_LOG("a new uid's page read, the container's slots all taken");
	EXPECT_EQ(EIO, errno);
	EXPECT_GT(5, t1.tv_sec - t0.tv_sec)
		TH_LOG("the read failed only after %ld s: it waited for the I/O workqueue",
		       (long)(t1.tv_sec - t0.tv_sec));
	close(mfd);

	kill(pid, SIGKILL);	/* its uids die with it (PR_SET_PDEATHSIG) */
	EXPECT_EQ(128 + SIGKILL, pl_track_reap(&e->t, pid));
	stuck_finish(_metadata, e, m, out[0], st, kid, ofd, sfd, dir);
}

/*
 * A fault waiting for a slot of its store's owner follows a change of
 * store: user STUCK_UID has PAGELAB_IO_PER_USER writes stuck in its own
 * stores (every slot it has), and set the store of object O, which holds
 * nothing yet.  A write to O waits for one of that user's slots; once
 * root gives O a store of its own, the write must go on with root's slots,
 * not wait until the stuck user's tasks die.
 */
TEST_F_TIMEOUT(replace, a_fault_waiting_for_a_slot_follows_a_store_change, 300)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	char dir[] = "/tmp/pagelab-gen-XXXXXX", path[PATH_MAX], c = 0;
	int ofd, rfd, sync[2], st;
	pid_t pid, w;
	unsigned char *o;

	ASSERT_NE(0ULL, e->features & PAGELAB_FEAT_FILE_STORE);
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("pagelab-gen", dir, "tmpfs", 0, "size=16m,mode=1777"))
		TH_LOG("mount tmpfs on %s: %s", dir, strerror(errno));
	ASSERT_EQ(0, pl_create(e->dev, 2 * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0666, "gen", &ofd,
			       NULL));
	pl_track_fd(&e->t, ofd);
	o = mmap(NULL, 2 * ps, RW, MAP_SHARED, ofd, 0);
	ASSERT_NE(MAP_FAILED, o);
	ASSERT_EQ(0, pl_track_pipe(&e->t, sync));

	/* The stuck user: O's store, then its own four writes stuck. */
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		static struct stuck_arg args[4];
		static pthread_t th[4];
		static volatile int started;
		int f, uofd;

		CHILD_CHECK(!setresuid(STUCK_UID, STUCK_UID, STUCK_UID), 2);
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* setresuid() cleared it */
		snprintf(path, sizeof(path), "%s/o-XXXXXX", dir);
		f = mkstemp(path);
		CHILD_CHECK(f >= 0 && !unlink(path) && !ftruncate(f, 2 * ps), 3);
		CHILD_CHECK(!pl_replace_store(ofd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1,
					      f, 0), 4);
		for (int i = 0; i < 4; i++) {
			args[i].m = stuck_object(e->dev, dir, ps, 0x10, &args[i].sfd, &uofd);
			CHILD_CHECK(args[i].m, 5);
			args[i].ps = ps;
			args[i].started = &started;
		}
		for (int i = 0; i < 4; i++)
			CHILD_CHECK(!pthread_create(&th[i], NULL, stuck_thread, &args[i]), 6);
		while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < 4)
			sched_yield();
		usleep(500 * 1000);	/* every thread in its write(2) */
		CHILD_CHECK(write(sync[1], "s", 1) == 1, 7);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read_from_child(sync[0], pid, 120 * 1000, &c)) TH_LOG("step %d", c);
	ASSERT_EQ('s', c);

	/* A write to O: every slot of O's store's owner is taken. */
	w = pl_track_fork(&e->t);
	ASSERT_GE(w, 0);
	if (!w) {
		pl_wr(o, 0x55);
		_exit(0);
	}
	EXPECT_EQ(-1, reap_within(&e->t, w, 1000)) TH_LOG("the write did not wait for a slot");

	/* O's store becomes root's (it holds nothing): the write goes on. */
	snprintf(path, sizeof(path), "%s/r-XXXXXX", dir);
	rfd = mkstemp(path);
	ASSERT_LE(0, rfd);
	pl_track_fd(&e->t, rfd);
	unlink(path);
	ASSERT_EQ(0, ftruncate(rfd, 2 * ps));
	ASSERT_EQ(0, pl_replace_store(ofd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, rfd, 0));
	st = reap_within(&e->t, w, 10 * 1000);
	EXPECT_EQ(0, st) TH_LOG("%s", st < 0 ?
		"a write waited on for the old store's owner's slots after the store changed" :
		"the write failed");

	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, pl_track_reap(&e->t, pid));
	if (st < 0)
		EXPECT_EQ(0, reap_within(&e->t, w, 60 * 1000)) TH_LOG("the write after the kill");
	EXPECT_EQ(0x55, pl_rd(o));
	munmap(o, 2 * ps);
	pl_track_close(&e->t, rfd);
	pl_track_close(&e->t, ofd);
	EXPECT_EQ(0, umount2(dir, MNT_DETACH));
	rmdir(dir);
}

/*
 * A fault that may not let go of mmap_lock -- another process reading this
 * one's memory through /proc/PID/mem -- waits for the object's I/O holding
 * that lock.  A store's owner can make the I/O last forever (a write(2) from
 * the object's mapping into its own store), so the wait is bounded: the
 * read fails (EIO) within the module's limit (20 s), rather than hang its
 * reader until killed.
 */
TEST_F_TIMEOUT(replace, remote_read_of_a_stuck_store_fails_in_bounded_time, 300)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	char dir[] = "/tmp/pagelab-remote-XXXXXX";
	int sync[2], r, st;
	pid_t pid, kid;

	NEED_FILE_STORE(e);
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("pagelab-remote", dir, "tmpfs", 0, "size=16m,mode=0700"))
		TH_LOG("mount tmpfs on %s: %s", dir, strerror(errno));
	ASSERT_EQ(0, pl_track_pipe(&e->t, sync));

	/* The store's owner: one write(2) stuck in its own store's I/O. */
	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		static struct stuck_arg a;
		static volatile int started;
		pthread_t th;
		int ofd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		a.m = stuck_object(e->dev, dir, ps, 0x30, &a.sfd, &ofd);
		CHILD_CHECK(a.m, 2);
		a.ps = ps;
		a.started = &started;
		CHILD_CHECK(!pthread_create(&th, NULL, stuck_thread, &a), 3);
		while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
			sched_yield();
		usleep(500 * 1000);	/* the thread in its write(2) */
		CHILD_CHECK(write(sync[1], &a.m, sizeof(a.m)) == sizeof(a.m), 4);
		pause();
		_exit(0);
	}
	pl_track_close(&e->t, sync[1]);	/* the child's end: EOF if it fails */
	{
		unsigned char *m = NULL;

		ASSERT_EQ((ssize_t)sizeof(m), read(sync[0], &m, sizeof(m)))
			TH_LOG("the stuck child failed: %d", pl_track_reap(&e->t, pid));
		/* The reader: page 0, the page the stuck I/O is loading. */
		kid = pl_track_fork(&e->t);
		ASSERT_GE(kid, 0);
		if (!kid) {
			unsigned char probe[64];
			char path[64];
			int mfd;

			snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
			mfd = open(path, O_RDONLY | O_CLOEXEC);
			CHILD_CHECK(mfd >= 0, 2);
			r = pread(mfd, probe, sizeof(probe), (off_t)(uintptr_t)m);
			_exit(r < 0 && errno == EIO ? 0 : 3);
		}
	}
	st = reap_within(&e->t, kid, 60 * 1000);
	EXPECT_EQ(0, st) TH_LOG("%s", st < 0 ?
		"a /proc/PID/mem read waited 60 s for a stuck store's I/O, mmap_lock held" :
		"the read did not fail with EIO");
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, pl_track_reap(&e->t, pid));
	if (st < 0)
		EXPECT_GE(reap_within(&e->t, kid, 60 * 1000), 0) TH_LOG("the read after the kill");
	/* The worker ends the write-back a moment after the kill, then lets the object go. */
	for (int i = 0; i < 200; i++) {
		struct pagelab_info now;

		if (!pl_info(e->dev, &now) && now.objects == e->before.objects)
			break;
		usleep(50 * 1000);
	}
	EXPECT_EQ(0, umount2(dir, MNT_DETACH));
	rmdir(dir);
}

/*
 * A budgeted clone source whose dirty victim is still shared with the clone
 * when its write-back begins (so the page-in takes a new frame), and whose
 * clone breaks COW on that frame while the write and the page-in delay run:
 * when the write-back commits, the old frame has no owner left and must be
 * freed, not kept locked (the teardown counts the frames held).
 */
TEST_F_TIMEOUT(replace, victim_unshared_during_write_back, 120)
{
	PL_SELECTED();
	struct env *e = &self->e;
	const size_t ps = e->ps;
	struct pagelab_obj_stat sa, sb;
	struct pagelab_clone cl;
	unsigned char *a, *b;
	int fd, sfd, pfd[2];
	char done = 0;
	pid_t pid;
	bool ok;

	NEED_FILE_STORE(e);
	fd = obj_new(e, 2, PAGELAB_CREATE_NO_FAULT_AROUND, NULL);
	ASSERT_GE(fd, 0);
	a = obj_map(e, fd, 2);
	ASSERT_NE(MAP_FAILED, a);
	pl_fill(a, ps, 0x11);
	pl_fill(a + ps, ps, 0x12);
	ASSERT_EQ(0, pl_clone(fd, 0, 0, "replace-twin", &cl));
	pl_track_fd(&e->t, cl.fd);
	EXPECT_EQ(2ULL, cl.shared);
	b = obj_map(e, cl.fd, 2);
	ASSERT_NE(MAP_FAILED, b);
	sfd = store_new(e, 2, NULL);
	ASSERT_GE(sfd, 0) TH_LOG("a backing file in %s: %s", scratch_dir(), strerror(-sfd));
	/* One frame: page 0 goes to the file now; page 1 stays, shared, dirty. */
	ASSERT_EQ(0, pl_replace_store(fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 1, sfd,
				      1000));
	STAT(fd, sa);
	ASSERT_EQ(1ULL, sa.resident);
	ASSERT_EQ(0, pipe(pfd));
	pl_track_fd(&e->t, pfd[0]);
	pl_track_fd(&e->t, pfd[1]);

	pid = pl_track_fork(&e->t);
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* While page 1 is written out and page 0 read in (1 s delay). */
		usleep(300 * 1000);
		pl_fill(b + ps, ps, 0x22);
		CHILD_CHECK(write(pfd[1], "w", 1) == 1, 2);
		_exit(0);
	}
	/* Page 0 comes back; page 1 is the victim. */
	ok = pl_page_is(a, ps, 0x11);
	ASSERT_EQ(0, fcntl(pfd[0], F_SETFL, O_NONBLOCK));
	EXPECT_EQ(1, read(pfd[0], &done, 1))
		TH_LOG("the clone's write came after the page-in: the race was not run");
	EXPECT_EQ(0, pl_track_reap(&e->t, pid));
	EXPECT_TRUE(ok) TH_LOG("page 0 lost its data");
	STAT(cl.fd, sb);
	EXPECT_EQ(1ULL, sb.cow_breaks);
	STAT(fd, sa);
	EXPECT_EQ(0ULL, sa.io_errors);
	EXPECT_TRUE(pl_page_is(a + ps, ps, 0x12)) TH_LOG("the source's page 1 changed");
	EXPECT_TRUE(pl_page_is(b, ps, 0x11));
	EXPECT_TRUE(pl_page_is(b + ps, ps, 0x22)) TH_LOG("the clone lost its write");
}

/* ---- the CLI --------------------------------------------------------------- */

#define CLI_BELADY	"--string \"" BELADY "\""

/* The replay, sweep and swap help, and their usage errors (exit 2). */
static void cli_help_and_bad_usage(struct __test_metadata *_metadata, char *out, size_t size)
{
	char args[256];

	for (const char *c = "replay\0sweep\0swap\0"; *c; c += strlen(c) + 1) {
		snprintf(args, sizeof(args), "%s --help", c);
		EXPECT_EQ(0, pl_run_cli(args, out, size)) TH_LOG("pagelab %s", args);
		EXPECT_NE(NULL, strstr(out, "usage: pagelab")) TH_LOG("pagelab %s", args);
	}
	EXPECT_NE(NULL, strstr(out, "usage: pagelab swap"));
	EXPECT_EQ(0, pl_run_cli("replay --help", out, size));
	EXPECT_NE(NULL, strstr(out, "MADV_DONTNEED"));
	EXPECT_EQ(2, pl_run_cli("replay --bogus", out, size));
	EXPECT_EQ(2, pl_run_cli("replay --policy fifo --frames 3", out, size));
	EXPECT_EQ(2, pl_run_cli("replay --policy nope --frames 3 --string 1", out, size));
	EXPECT_EQ(2, pl_run_cli("replay --policy fifo --frames 0 --string 1", out, size));
	EXPECT_EQ(2, pl_run_cli("replay --policy fifo --frames 3 --string \"1 x\"", out, size));
	EXPECT_EQ(2, pl_run_cli("sweep --frames 0-3 --string 1", out, size));
	EXPECT_EQ(2, pl_run_cli("sweep --frames 3 --policies fifo,bogus --string 1", out, size));
	EXPECT_EQ(2, pl_run_cli("swap --bogus", out, size));
}

/* The sweep: its CSV and table on Belady's string, and its plot. */
static void cli_sweep(struct __test_metadata *_metadata, char *out, size_t size)
{
	FILE *f;

	EXPECT_EQ(0, pl_run_cli("sweep --policies fifo,opt --frames 1-5 --csv " CLI_BELADY, out,
				size)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "frames,fifo,opt\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\n3,9,7\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\n4,10,6\n")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("sweep --policies fifo,lru,clock,opt --frames 1-5 --exact "
				CLI_BELADY, out, size)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "     10!")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "fifo: 9 faults with 3 frames, 10 with 4")) TH_LOG("%s", out);
	if (system("command -v gnuplot >/dev/null 2>&1")) {
		EXPECT_EQ(1, pl_run_cli("sweep --frames 1-3 --string 1 --plot /tmp/pl-sweep.svg",
					out, size)) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "gnuplot")) TH_LOG("%s", out);
	} else {
		EXPECT_EQ(0, pl_run_cli("sweep --frames 1-4 --plot /tmp/pl-sweep.svg " CLI_BELADY,
					out, size)) TH_LOG("%s", out);
		f = fopen("/tmp/pl-sweep.svg", "re");
		EXPECT_NE(NULL, f);
		if (f) {
			out[fread(out, 1, size - 1, f)] = '\0';
			fclose(f);
			EXPECT_NE(NULL, strstr(out, "<svg"));
		}
		unlink("/tmp/pl-sweep.svg");
	}
}

TEST_F_TIMEOUT(replace, cli_replay_sweep_swap, 300)
{
	PL_SELECTED();
	static char out[1 << 16];
	const char *trace = "/tmp/pagelab-replace-test.trace";
	char args[256];
	FILE *f;

	cli_help_and_bad_usage(_metadata, out, sizeof(out));

	/* FIFO on Belady's string: 9 faults with 3 frames, 10 with 4. */
	EXPECT_EQ(0, pl_run_cli("replay --policy fifo --frames 3 --json " CLI_BELADY, out,
				sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"faults\": 9,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"data_ok\": true")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("replay --policy fifo --frames 4 --json " CLI_BELADY, out,
				sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"faults\": 10,")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("replay --policy lru --frames 3 --exact --json --string \""
				SILBERSCHATZ "\"", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"faults\": 12,")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("replay --policy opt --frames 3 --json --string \""
				SILBERSCHATZ "\"", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"faults\": 9,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"offline\": true")) TH_LOG("%s", out);

	/* The frame table from the event log: FIFO, 3 frames, exact. */
	EXPECT_EQ(0, pl_run_cli("replay --policy fifo --frames 3 --exact --verbose " CLI_BELADY,
				out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nframe 0    1  1  1  4  4  4  5  5  5  5  5  5\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nframe 1       2  2  2  1  1  1  1  1  3  3  3\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nframe 2          3  3  3  2  2  2  2  2  4  4\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "faults (misses)  9\n")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("replay --policy clock --frames 3 --verbose --json " CLI_BELADY,
				out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"steps\": [")) TH_LOG("%s", out);

	/* A trace file: one per line, comments, writes. */
	f = fopen(trace, "we");
	ASSERT_NE(NULL, f);
	fprintf(f, "# Belady's string, some writes\n1\n2 3w\n4   # four\n1w\n2\n5\n1\n2\n3\n4w\n5\n");
	fclose(f);
	snprintf(args, sizeof(args), "replay --policy fifo --frames 3 --json --trace %s", trace);
	EXPECT_EQ(0, pl_run_cli(args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"references\": 12,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"faults\": 9,")) TH_LOG("%s", out);
	unlink(trace);

	/* The sweep: Belady's anomaly marked. */
	cli_sweep(_metadata, out, sizeof(out));

	/* The walk-through checks itself. */
	EXPECT_EQ(0, pl_run_cli("swap", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Every page came back")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "written to the store")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dropped clean")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "major fault")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("swap --policy lru --quiet", out, sizeof(out))) TH_LOG("%s", out);
}

#define CLI_PATH_MAX	300

TEST_F_TIMEOUT(replace, cli_file_store, 300)
{
	PL_SELECTED();
	static char out[1 << 16];
	struct env *e = &self->e;
	char args[512], *path;
	struct stat sb;
	int slot, tfd;

	NEED_FILE_STORE(e);
	EXPECT_EQ(0, pl_run_cli("replay --help", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "--store FILE")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "--delay-ms")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("swap --help", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "--store FILE")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("bench --help", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "--store-dir")) TH_LOG("%s", out);
	EXPECT_EQ(2, pl_run_cli("replay --policy fifo --frames 3 --string 1 --delay-ms 10001", out,
				sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(2, pl_run_cli("replay --policy fifo --frames 3 --string 1 --delay-ms x", out,
				sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(2, pl_run_cli("replay --policy opt --frames 3 --string 1 --store /nonexistent",
				out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(2, pl_run_cli("swap --delay-ms -1", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(1, pl_run_cli("replay --policy fifo --frames 3 --string 1 --store /dev/null",
				out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not a regular file")) TH_LOG("%s", out);

	/* A name the tools create (mkstemp's, unlinked again); the teardown unlinks it. */
	for (slot = 0; slot < NSCRATCH && e->scratch[slot]; slot++)
		;
	ASSERT_LT(slot, NSCRATCH);
	ASSERT_LT(0, asprintf(&path, "%s/pagelab-cli-XXXXXX", scratch_dir()));
	ASSERT_GT(CLI_PATH_MAX, (int)strlen(path)) TH_LOG("PAGELAB_SCRATCH is too long a path");
	tfd = mkstemp(path);
	ASSERT_GE(tfd, 0) TH_LOG("%s: %s", path, strerror(errno));
	close(tfd);
	ASSERT_EQ(0, unlink(path));
	e->scratch[slot] = path;

	snprintf(args, sizeof(args), "replay --policy fifo --frames 3 --json --store %s "
		 CLI_BELADY, path);
	EXPECT_EQ(0, pl_run_cli(args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"faults\": 9,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"data_ok\": true")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"store\": \"file\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"io_errors\": 0")) TH_LOG("%s", out);
	ASSERT_EQ(0, stat(path, &sb)) TH_LOG("replay --store did not create %s", path);
	EXPECT_EQ(0600U, sb.st_mode & 07777U);
	EXPECT_EQ((off_t)(6 * e->ps), sb.st_size) TH_LOG("pages 0-5 of Belady's string");

	snprintf(args, sizeof(args), "swap --quiet --store %s", path);
	EXPECT_EQ(0, pl_run_cli(args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Every page came back")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
	ASSERT_EQ(0, stat(path, &sb));
	EXPECT_EQ((off_t)(8 * e->ps), sb.st_size) TH_LOG("swap's object is 8 pages");

	EXPECT_EQ(0, pl_run_cli("replay --policy fifo --frames 3 --json --delay-ms 20 " CLI_BELADY,
				out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"pagein_delay_ms\": 20,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"store\": \"module\"")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("swap --quiet --delay-ms 5", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Every page came back")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
