// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab swap - the textbook page-out walk-through, run live: an object of
 * 8 pages gets a budget of 3 frames; this process writes stamped data to
 * more pages than there are frames, reads some back, and after each step
 * prints what the module did (its event log: page-outs written to the store
 * or dropped clean, page-ins) and where every page is now.  At the end every
 * page's data is checked, and the process's major faults (getrusage) must
 * have risen by exactly the object's page-ins.  With --store FILE the store
 * is a backing file (ABI 1.4), and faults that wait for its I/O count as
 * major too: the major faults must then equal the object's major count.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

#define SWAP_PAGES	8
#define SWAP_FRAMES	3

struct swap_ctx {
	bool quiet;
	bool ok;
	size_t ps;
	int ofd;
	__u64 id;
	volatile uint64_t *m;
	unsigned int version[SWAP_PAGES];	/* 0: never written */
	int slot[SWAP_FRAMES];			/* page in each frame, -1 free */
	__u64 last_seq;
	long majflt;				/* during the touches */
	struct pl_store_opt store;		/* --store, --delay-ms */
};

/* One step of the story. */
struct swap_step {
	const char *what;
	const char *why;	/* said before it, unless --quiet */
	const char *touches;	/* "w0 w1 r6": w write, r read, then the page */
};

static const struct swap_step swap_steps[] = {
	{ "write pages 0, 1 and 2",
	  "Three pages, three free frames: each first write takes the lowest free frame.",
	  "w0 w1 w2" },
	{ "write page 3",
	  "No frame is free: the policy picks a victim, the module unmaps it and writes\n"
	  "it to its store (it was never stored), and page 3 gets its frame.",
	  "w3" },
	{ "write pages 4 and 5",
	  "Two more page-outs.",
	  "w4 w5" },
	{ "read page 0",
	  "Page 0 is in the store: the fault reads it back (a page-in, a major fault),\n"
	  "after paging out a victim for its frame.",
	  "r0" },
	{ "read pages 1 and 2",
	  "Two more page-ins.  Pages 0, 1 and 2 are only read: their store copies stay\n"
	  "current.",
	  "r1 r2" },
	{ "read page 6, never written",
	  "A read of a page that holds nothing maps the shared zero page: no frame is\n"
	  "taken, nobody is evicted.",
	  "r6" },
	{ "write page 6",
	  "Now page 6 needs a frame.  A victim that was only read since its page-in\n"
	  "is dropped without a write (clean): the store already has its data.",
	  "w6" },
	{ "write page 1 again",
	  "A write to a page in a frame: it becomes dirty, its store copy stale.",
	  "w1" },
	{ "write page 7",
	  NULL,
	  "w7" },
	{ "read page 3",
	  "A dirty victim is written back to the store again; page 3 comes back.",
	  "r3" },
	{ "read every page and check its data",
	  "Every page, wherever it is, must still hold what was last written to it.",
	  "r0 r1 r2 r3 r4 r5 r6 r7" },
};

static long swap_majflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_majflt;
}

static inline uint64_t swap_word(unsigned int page, unsigned int version, size_t i)
{
	if (!version)
		return 0;
	return (uint64_t)0x5a << 56 | (uint64_t)page << 40 | (uint64_t)version << 24 | i;
}

/* Write page @pg (a new version, every word) or read and check it. */
static bool swap_touch(struct swap_ctx *c, unsigned int pg, bool write)
{
	volatile uint64_t *p = c->m + pg * (c->ps / sizeof(uint64_t));
	size_t words = c->ps / sizeof(uint64_t);
	bool good = true;

	if (write) {
		c->version[pg]++;
		for (size_t i = 0; i < words; i++)
			p[i] = swap_word(pg, c->version[pg], i);
		return true;
	}
	for (size_t i = 0; i < words; i++)
		if (p[i] != swap_word(pg, c->version[pg], i))
			good = false;
	return good;
}

static void swap_event(struct swap_ctx *c, const struct pl_event *e)
{
	if (e->victim >= 0)
		printf("    page %lld paged out of frame %d: %s\n", e->victim, e->slot,
		       e->wb == 1 ? "written to the store" :
		       "dropped clean (the store's copy is current: no write)");
	switch (e->result) {
	case PL_EV_MISS:
		printf("    page %llu: fault, %s frame %d\n", (unsigned long long)e->page,
		       e->victim >= 0 ? "takes the victim's" : "takes free", e->slot);
		break;
	case PL_EV_PAGEIN:
		printf("    page %llu: major fault, read back from the store into frame %d\n",
		       (unsigned long long)e->page, e->slot);
		break;
	case PL_EV_HIT:
		printf("    page %llu: fault on a page in frame %d: a hit (the reference bit is "
		       "set again)\n", (unsigned long long)e->page, e->slot);
		break;
	case PL_EV_ZERO:
		printf("    page %llu: read of a never-written page: the zero page, no frame\n",
		       (unsigned long long)e->page);
		break;
	}
	if ((e->result == PL_EV_MISS || e->result == PL_EV_PAGEIN) && e->slot >= 0 &&
	    e->slot < SWAP_FRAMES)
		c->slot[e->slot] = (int)e->page;
}

/* The events since the last step, then where every page is. */
static int swap_show(struct swap_ctx *c)
{
	struct pagelab_obj_stat st;
	struct pl_event *ev;
	size_t n;
	int ret;

	ret = pl_events_read(c->id, c->last_seq, &ev, &n);
	if (ret) {
		pl_err("swap: reading %s: %s", PL_EVENTS_PATH, strerror(-ret));
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		if (ev[k].seq != c->last_seq + 1)
			printf("    (%llu events lost from the log)\n",
			       (unsigned long long)(ev[k].seq - c->last_seq - 1));
		c->last_seq = ev[k].seq;
		swap_event(c, &ev[k]);
	}
	free(ev);
	if (!n)
		printf("    (no fault: the module saw nothing)\n");
	printf("    frames:");
	for (int s = 0; s < SWAP_FRAMES; s++) {
		if (c->slot[s] < 0)
			printf("  [%d] free   ", s);
		else
			printf("  [%d] page %d", s, c->slot[s]);
	}
	printf("\n    pages: ");
	for (unsigned int pg = 0; pg < SWAP_PAGES; pg++) {
		int s;

		for (s = 0; s < SWAP_FRAMES && c->slot[s] != (int)pg; s++)
			;
		if (s < SWAP_FRAMES)
			printf("  %u:frame %d", pg, s);
		else if (c->version[pg])
			printf("  %u:store", pg);
		else
			printf("  %u:-", pg);
	}
	printf("\n");
	ret = pl_obj_stat(c->ofd, 0, &st);
	if (ret) {
		pl_err("swap: PAGELAB_IOC_OBJ_STAT: %s", strerror(-ret));
		return -1;
	}
	printf("    resident %llu, in the store %llu; page-outs %llu (written %llu, clean %llu), "
	       "page-ins %llu", (unsigned long long)st.resident,
	       (unsigned long long)st.store_pages, (unsigned long long)st.evictions,
	       (unsigned long long)st.writebacks, (unsigned long long)st.clean_drops,
	       (unsigned long long)st.page_ins);
	if (c->store.path)
		printf("; major %llu, I/O waits %llu, I/O errors %llu",
		       (unsigned long long)st.major, (unsigned long long)st.io_waits,
		       (unsigned long long)st.io_errors);
	printf("\n");
	fflush(stdout);
	return 0;
}

static int swap_run_step(struct swap_ctx *c, int n, const struct swap_step *step)
{
	const char *t = step->touches;
	long maj;

	printf("\nStep %d: %s\n", n, step->what);
	if (!c->quiet && step->why)
		printf("  %s\n", step->why);
	fflush(stdout);
	maj = swap_majflt();
	while (*t) {
		bool write = *t == 'w';
		unsigned int pg = (unsigned int)strtoul(t + 1, (char **)&t, 10);

		if (!swap_touch(c, pg, write))
			pl_check(&c->ok, false, "page %u does not hold its version %u data", pg,
				 c->version[pg]);
		while (*t == ' ')
			t++;
	}
	c->majflt += swap_majflt() - maj;
	return swap_show(c);
}

static void swap_usage(void)
{
	printf("usage: pagelab swap [--policy clock|lru|fifo|lfu] [--store FILE] [--delay-ms MS]\n"
	       "                    [--quiet]\n\n"
	       "Paging out and in, the textbook walk-through, live.  An object of %d\n"
	       "pages gets a budget of %d frames (policy clock by default; default\n"
	       "mode: the module sees references that fault).  This process writes\n"
	       "stamped data to more pages than there are frames and reads some back;\n"
	       "after each step it prints the module's new events (from %s):\n"
	       "page-outs, written to the store or dropped clean, page-ins (major\n"
	       "faults), hits, zero-page reads, and where each page is (a frame, the\n"
	       "store, or nowhere yet).  At the end every page's data is checked, and\n"
	       "the process's major faults (getrusage) must have risen by the\n"
	       "object's page-ins; exits 1 if not.  Needs root.\n\n"
	       "--store FILE  the store is the file FILE (ABI 1.4): page N at offset\n"
	       "          N x page size.  It is created (mode 0600) if missing, made\n"
	       "          the object's size (%d pages) and left in place; a regular\n"
	       "          file only its owner may open.  Its reads and writes happen\n"
	       "          with no lock held: a fault that waits for them is retried\n"
	       "          and counts as major, so the major faults must then equal the\n"
	       "          object's major count (page-ins among them).\n"
	       "--delay-ms MS  sleep MS ms (0-%d) on every page-in: a slow disk.\n"
	       "--quiet leaves out the explanations, not the steps.\n",
	       SWAP_PAGES, SWAP_FRAMES, PL_EVENTS_PATH, SWAP_PAGES, PAGELAB_PAGEIN_DELAY_MAX_MS);
}

/* --quiet, --policy, --store, --delay-ms into @c and *@policy: 0, or PL_EXIT_USAGE. */
static int swap_parse(int argc, char **argv, struct swap_ctx *c, int *policy)
{
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--quiet")) {
			c->quiet = true;
		} else if (!strcmp(argv[a], "--policy") || !strncmp(argv[a], "--policy=", 9)) {
			const char *v = argv[a][8] == '=' ? argv[a] + 9 : a + 1 < argc ?
					argv[++a] : "";

			*policy = pl_policy_parse(v, false);
			if (*policy < 0 || *policy == PAGELAB_POLICY_RANDOM) {
				pl_err("swap: --policy is clock, lru, fifo or lfu");
				return PL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[a], "--store") || !strncmp(argv[a], "--store=", 8)) {
			c->store.path = argv[a][7] == '=' ? argv[a] + 8 : a + 1 < argc ?
					argv[++a] : "";
			if (!*c->store.path) {
				pl_err("swap: --store needs a file name");
				return PL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[a], "--delay-ms") || !strncmp(argv[a], "--delay-ms=", 11)) {
			const char *v = argv[a][10] == '=' ? argv[a] + 11 : a + 1 < argc ?
					argv[++a] : "";

			if (!pl_delay_parse(v, &c->store.delay_ms)) {
				pl_err("swap: bad --delay-ms '%s' (0-%d)", v,
				       PAGELAB_PAGEIN_DELAY_MAX_MS);
				return PL_EXIT_USAGE;
			}
		} else {
			pl_err("swap: unknown argument '%s' (see pagelab swap --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	return 0;
}

/* The object with its budget and store, mapped: 0, or -1 after saying why. */
static int swap_setup(struct swap_ctx *c, int policy, size_t len)
{
	int dev = pl_open_or_explain(), ret;

	if (dev < 0)
		return -1;
	if ((c->store.path || c->store.delay_ms) && pl_store_check(dev, "swap")) {
		close(dev);
		return -1;
	}
	pl_lock_self();
	ret = pl_create(dev, len, 0, 0600, "swap", &c->ofd, &c->id);
	close(dev);
	if (ret) {
		pl_err("swap: PAGELAB_IOC_CREATE: %s", strerror(-ret));
		return -1;
	}
	if (pl_store_budget(c->ofd, len, SWAP_FRAMES, policy, 0, 1, &c->store, "swap"))
		goto err_close;
	c->m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->ofd, 0);
	if (c->m == MAP_FAILED) {
		pl_err("swap: mmap: %s", strerror(errno));
		goto err_close;
	}
	if (access(PL_EVENTS_PATH, R_OK)) {
		pl_err("swap: %s: %s (is debugfs mounted?)", PL_EVENTS_PATH, strerror(errno));
		munmap((void *)c->m, len);
		goto err_close;
	}
	return 0;
err_close:
	close(c->ofd);
	return -1;
}

static void swap_intro(const struct swap_ctx *c, int policy)
{
	printf("pagelab swap: object %llu, %d pages of data, a budget of %d frames, policy %s\n",
	       (unsigned long long)c->id, SWAP_PAGES, SWAP_FRAMES, pl_policy_name(policy));
	if (c->store.path)
		printf("  The store is the file %s: page N at offset N x %zu.\n", c->store.path,
		       c->ps);
	if (c->store.delay_ms)
		printf("  Every page-in sleeps %u ms first (--delay-ms).\n", c->store.delay_ms);
	if (!c->quiet && !c->store.path)
		printf("  Frames are the module's; the store is its own memory where pages go when\n"
		       "  they lose their frame (a swap device's role).  Each page is filled with\n"
		       "  words that name the page and a version, bumped at every write.\n");
	else if (!c->quiet)
		printf("  Frames are the module's; the store is that file, where pages go when they\n"
		       "  lose their frame (a swap file's role).  Its reads and writes are done\n"
		       "  with no lock of this process held: the fault waits, is retried, and the\n"
		       "  kernel counts it as a major fault.  Each page is filled with words that\n"
		       "  name the page and a version, bumped at every write.\n");
}

/* The object's totals against this process's major faults, checked. */
static void swap_totals(struct swap_ctx *c)
{
	struct pagelab_obj_stat st;
	int ret = pl_obj_stat(c->ofd, 0, &st);

	if (ret) {
		pl_err("swap: PAGELAB_IOC_OBJ_STAT: %s", strerror(-ret));
		c->ok = false;
		return;
	}
	printf("\nIn all: %llu faults needed a frame, %llu page-outs (%llu written to the "
	       "store, %llu dropped clean), %llu page-ins; major faults of this process "
	       "(getrusage): %ld\n", (unsigned long long)st.misses,
	       (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
	       (unsigned long long)st.clean_drops, (unsigned long long)st.page_ins, c->majflt);
	if (c->store.path || c->store.delay_ms) {
		/* Faults that waited for I/O count as major too. */
		printf("The object counted %llu major faults (page-ins and faults that "
		       "waited), %llu I/O waits, %llu I/O errors\n",
		       (unsigned long long)st.major, (unsigned long long)st.io_waits,
		       (unsigned long long)st.io_errors);
		pl_check(&c->ok, c->majflt == (long)st.major,
			 "major faults %ld, but the object counted %llu", c->majflt,
			 (unsigned long long)st.major);
		pl_check(&c->ok, st.page_ins <= st.major, "%llu page-ins, only %llu major faults",
			 (unsigned long long)st.page_ins, (unsigned long long)st.major);
		pl_check(&c->ok, !st.io_errors, "%llu I/O errors",
			 (unsigned long long)st.io_errors);
	} else {
		pl_check(&c->ok, c->majflt == (long)st.page_ins,
			 "major faults %ld, but the object counted %llu page-ins",
			 c->majflt, (unsigned long long)st.page_ins);
	}
	pl_check(&c->ok, st.evictions == st.writebacks + st.clean_drops,
		 "page-outs %llu != written %llu + clean %llu",
		 (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
		 (unsigned long long)st.clean_drops);
	pl_check(&c->ok, st.resident <= SWAP_FRAMES, "%llu pages resident, budget %d",
		 (unsigned long long)st.resident, SWAP_FRAMES);
}

/**
 * cmd_swap() - pagelab swap: see swap_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "swap")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_swap(int argc, char **argv)
{
	struct swap_ctx c = { .ok = true, .ps = sysconf(_SC_PAGESIZE), .ofd = -1 };
	int policy = PAGELAB_POLICY_CLOCK, ret, n = 0;
	size_t len = SWAP_PAGES * c.ps;

	if (pl_wants_help(argc, argv)) {
		swap_usage();
		return PL_EXIT_OK;
	}
	ret = swap_parse(argc, argv, &c, &policy);
	if (ret)
		return ret;
	for (int s = 0; s < SWAP_FRAMES; s++)
		c.slot[s] = -1;
	if (swap_setup(&c, policy, len))
		return PL_EXIT_FAIL;
	swap_intro(&c, policy);
	for (size_t i = 0; i < sizeof(swap_steps) / sizeof(swap_steps[0]); i++)
		if (swap_run_step(&c, ++n, &swap_steps[i])) {
			c.ok = false;
			break;
		}
	swap_totals(&c);
	munmap((void *)c.m, len);
	close(c.ofd);
	if (c.ok)
		printf("Every page came back with its data; every page-in was a major fault.\n");
	else
		printf("MISMATCH: paging did not behave as described (see above).\n");
	fflush(stdout);
	return c.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}
