// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab cow - copy-on-write, the textbook walk-through, run live.
 *
 * Part 1, the kernel's own COW: the parent creates an object, writes a
 * pattern into page 0 through a MAP_SHARED mapping, maps the object
 * MAP_PRIVATE too and reads page 0 there, then forks.  Parent and child print
 * the frame behind page 0 (its PFN, from /proc/self/pagemap): the same one.
 * The child writes: now the child's frame is a new one, the parent's is the
 * old one and still holds the pattern, and the object's own page (its
 * MAP_SHARED mapping) was never touched.
 *
 * Part 2, pagelab's COW: the parent snapshots the object (PAGELAB_IOC_CLONE)
 * and maps the original MAP_SHARED; the child maps the clone MAP_SHARED.
 * Both show the same frame until the child writes: the module copies the
 * page for the clone only (one COW break, 4096 bytes), and the original
 * keeps its frame and its data.
 *
 * Pipes keep the order of the steps; each process prints its own lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

#define COW_TEXT_LEN	64

static const char cow_text_object[] = "the object's data, written by the parent";
static const char cow_text_child[] = "the child's own data";
static const char cow_text_clone[] = "the clone's data, written by the child";

struct cow_ctx {
	bool quiet;
	bool ok;
	long ps;
};

/* What the child sends back after each step. */
struct cow_report {
	uint64_t pfn;
	int32_t data_ok;	/* its page holds what it should */
	int32_t pad;
};

/* An explanation for the reader: not printed with --quiet. */
static void cow_say(const struct cow_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cow_say(const struct cow_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* One step of one process: "  parent  pid 123    <what>". */
static void cow_step(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cow_step(const char *who, const char *fmt, ...)
{
	va_list ap;

	printf("  %-6s pid %-7d ", who, (int)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void cow_check(struct cow_ctx *c, bool cond, const char *what)
{
	if (cond)
		return;
	c->ok = false;
	printf("  ** CHECK FAILED: %s **\n", what);
	fflush(stdout);
}

/* Page 0: @text, NUL, then bytes seed + i: the whole page is checked. */
static void cow_fill(volatile char *page, long ps, const char *text, unsigned char seed)
{
	size_t n = strlen(text) + 1;

	for (size_t i = 0; i < n; i++)
		page[i] = text[i];
	for (long i = n; i < ps; i++)
		page[i] = (char)(seed + i);
}

static bool cow_holds(const volatile char *page, long ps, const char *text, unsigned char seed)
{
	size_t n = strlen(text) + 1;

	for (size_t i = 0; i < n; i++)
		if (page[i] != text[i])
			return false;
	for (long i = n; i < ps; i++)
		if (page[i] != (char)(seed + i))
			return false;
	return true;
}

/* The text at the start of @page, printable, for the reader. */
static const char *cow_text(const volatile char *page)
{
	static char buf[COW_TEXT_LEN + 1];
	int i;

	for (i = 0; i < COW_TEXT_LEN && page[i]; i++)
		buf[i] = page[i] >= ' ' && page[i] < 0x7f ? page[i] : '.';
	buf[i] = '\0';
	return buf;
}

/* Read page 0 (so it is mapped) and return its PFN; 0 if hidden or absent. */
static uint64_t cow_pfn(const volatile char *page)
{
	uint64_t e = 0;

	(void)page[0];
	if (pl_pagemap(0, (unsigned long)page, &e) || !pl_pm_present(e))
		return 0;
	return pl_pm_pfn(e);
}

static bool cow_mapped(const volatile char *page)
{
	uint64_t e = 0;

	return !pl_pagemap(0, (unsigned long)page, &e) && pl_pm_present(e);
}

static void cow_check_pfn(struct cow_ctx *c, uint64_t pfn)
{
	static bool said;

	if (pfn || said)
		return;
	said = true;
	c->ok = false;
	printf("  ** /proc/self/pagemap shows PFN 0: frame numbers need root (CAP_SYS_ADMIN) **\n");
	fflush(stdout);
}

/* Close both ends of both pipes that are still open. */
static void cow_close_pipes(int a[2], int b[2])
{
	for (int i = 0; i < 2; i++) {
		if (a[i] >= 0)
			close(a[i]);
		if (b[i] >= 0)
			close(b[i]);
		a[i] = b[i] = -1;
	}
}

/*
 * A part's two pipes and its fork.  In the child (0) to_child[0] and
 * from_child[1] stay open, in the parent (the child's pid) the other two;
 * -1 (reported, c->ok false) if pipe() or fork() failed.
 */
static pid_t cow_fork(struct cow_ctx *c, int to_child[2], int from_child[2])
{
	pid_t child;

	if (pipe(to_child) || pipe(from_child)) {
		pl_err("cow: pipe: %s", strerror(errno));
		c->ok = false;
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0) {
		pl_err("cow: fork: %s", strerror(errno));
		c->ok = false;
		return -1;
	}
	if (!child) {
		close(to_child[1]);
		close(from_child[0]);
		return 0;
	}
	close(to_child[0]);
	close(from_child[1]);
	to_child[0] = from_child[1] = -1;
	cow_step("parent", "forks");
	return child;
}

/*
 * Let the child take its next step and read its report: false (reported,
 * c->ok false) if it did not answer.
 */
static bool cow_ask(struct cow_ctx *c, int to_child[2], int from_child[2], struct cow_report *r)
{
	char go = 'g';

	if (pl_write_full(to_child[1], &go, 1) || pl_read_full(from_child[0], r, sizeof(*r))) {
		pl_err("cow: the child did not answer");
		c->ok = false;
		return false;
	}
	return true;
}

static bool cow_reap(pid_t pid)
{
	int status = -1;

	if (pid <= 0)
		return true;
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- part 1: fork, and a MAP_PRIVATE mapping ----------------------------- */

/* The child of part 1: two steps, each started by a byte from the parent. */
static int cow_private_child(volatile char *priv, long ps, int rfd, int wfd)
{
	struct cow_report r = { 0 };
	char go;

	if (pl_read_full(rfd, &go, 1))
		return 1;
	r.pfn = cow_pfn(priv);
	r.data_ok = cow_holds(priv, ps, cow_text_object, 0x30);
	cow_step("child", "reads page 0: \"%s\"  frame %#llx", cow_text(priv),
		 (unsigned long long)r.pfn);
	if (pl_write_full(wfd, &r, sizeof(r)))
		return 1;

	if (pl_read_full(rfd, &go, 1))
		return 1;
	cow_fill(priv, ps, cow_text_child, 0x60);
	r.pfn = cow_pfn(priv);
	r.data_ok = cow_holds(priv, ps, cow_text_child, 0x60);
	cow_step("child", "writes page 0: \"%s\"  frame %#llx", cow_text(priv),
		 (unsigned long long)r.pfn);
	if (pl_write_full(wfd, &r, sizeof(r)))
		return 1;
	return 0;
}

static void cow_part_private(struct cow_ctx *c, int ofd, __u64 id, volatile char *shared)
{
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	struct pagelab_obj_stat st;
	struct cow_report before, after;
	uint64_t obj_pfn, mine, mine_after;
	volatile char *priv;
	long ps = c->ps;
	pid_t child = -1;

	printf("\nPart 1: fork and a MAP_PRIVATE mapping (the kernel's copy-on-write)\n");
	fflush(stdout);
	cow_fill(shared, ps, cow_text_object, 0x30);
	obj_pfn = cow_pfn(shared);
	cow_check_pfn(c, obj_pfn);
	cow_step("parent", "creates object %llu (1 page) and maps it MAP_SHARED",
		 (unsigned long long)id);
	cow_step("parent", "writes page 0: \"%s\"  frame %#llx", cow_text(shared),
		 (unsigned long long)obj_pfn);

	priv = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, ofd, 0);
	if (priv == MAP_FAILED) {
		pl_err("cow: mmap MAP_PRIVATE: %s", strerror(errno));
		c->ok = false;
		return;
	}
	mine = cow_pfn(priv);
	cow_step("parent", "maps it MAP_PRIVATE too, reads page 0: \"%s\"  frame %#llx",
		 cow_text(priv), (unsigned long long)mine);
	cow_check(c, mine == obj_pfn, "a private mapping reads the object's own frame");
	cow_say(c, "    A read of a private mapping maps the object's page itself, read-only:\n"
		   "    nothing is copied until someone writes.\n");

	child = cow_fork(c, to_child, from_child);
	if (child < 0)
		goto out;
	if (!child)
		_exit(cow_private_child(priv, ps, to_child[0], from_child[1]));

	/* Step 1: both read page 0. */
	if (!cow_ask(c, to_child, from_child, &before))
		goto out;
	mine = cow_pfn(priv);
	cow_step("parent", "reads page 0: \"%s\"  frame %#llx", cow_text(priv),
		 (unsigned long long)mine);
	cow_check(c, before.data_ok, "the child reads the object's data after fork");
	cow_check(c, before.pfn == mine && mine == obj_pfn,
		  "after fork, parent and child map the same frame");
	cow_say(c, "    fork copied the parent's page-table entry into the child, read-only:\n"
		   "    two processes, one physical page.\n");

	/* Step 2: the child writes. */
	if (!cow_ask(c, to_child, from_child, &after))
		goto out;
	mine_after = cow_pfn(priv);
	cow_step("parent", "reads page 0 again: \"%s\"  frame %#llx", cow_text(priv),
		 (unsigned long long)mine_after);
	cow_check(c, after.data_ok, "the child reads its own write");
	cow_check(c, after.pfn != before.pfn, "the child's write gave it a new frame");
	cow_check(c, mine_after == mine, "the parent keeps the frame it had");
	cow_check(c, cow_holds(priv, ps, cow_text_object, 0x30),
		  "the parent's private page still holds the object's data");
	cow_check(c, cow_pfn(shared) == obj_pfn && cow_holds(shared, ps, cow_text_object, 0x30),
		  "the object's own page (its MAP_SHARED mapping) is untouched");
	cow_step("parent", "the object's MAP_SHARED mapping: \"%s\"  frame %#llx",
		 cow_text(shared), (unsigned long long)cow_pfn(shared));
	if (!pl_obj_stat(ofd, 0, &st))
		cow_step("parent", "object %llu: resident %llu, private_cow %llu",
			 (unsigned long long)id, (unsigned long long)st.resident,
			 (unsigned long long)st.private_cow);
	cow_say(c, "    The child's write hit a read-only entry: the page fault handler copied\n"
		   "    the page into a new frame for the child alone (do_wp_page, the kernel's\n"
		   "    own COW: pagelab never saw that write, so private_cow did not move).\n"
		   "    The parent and the object keep the original frame and data.\n");
out:
	cow_close_pipes(to_child, from_child);
	if (child > 0 && !cow_reap(child)) {
		pl_err("cow: the child of part 1 failed");
		c->ok = false;
	}
	munmap((void *)priv, ps);
}

/* ---- part 2: a snapshot, PAGELAB_IOC_CLONE ------------------------------- */

static int cow_clone_child(int cfd, long ps, int rfd, int wfd)
{
	struct cow_report r = { 0 };
	volatile char *q;
	char go;

	if (pl_read_full(rfd, &go, 1))
		return 1;
	q = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
	if (q == MAP_FAILED) {
		pl_err("cow: mmap of the clone: %s", strerror(errno));
		return 1;
	}
	r.pfn = cow_pfn(q);
	r.data_ok = cow_holds(q, ps, cow_text_object, 0x30);
	cow_step("child", "maps the clone MAP_SHARED, reads page 0: \"%s\"  frame %#llx",
		 cow_text(q), (unsigned long long)r.pfn);
	if (pl_write_full(wfd, &r, sizeof(r)))
		return 1;

	if (pl_read_full(rfd, &go, 1))
		return 1;
	cow_fill(q, ps, cow_text_clone, 0x90);
	r.pfn = cow_pfn(q);
	r.data_ok = cow_holds(q, ps, cow_text_clone, 0x90);
	cow_step("child", "writes the clone's page 0: \"%s\"  frame %#llx", cow_text(q),
		 (unsigned long long)r.pfn);
	munmap((void *)q, ps);
	if (pl_write_full(wfd, &r, sizeof(r)))
		return 1;
	return 0;
}

static void cow_part_clone(struct cow_ctx *c, int dev, int ofd, __u64 id, volatile char *shared)
{
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	struct pagelab_obj_stat cst, ost;
	struct pagelab_clone cl = { .fd = -1 };
	struct cow_report before, after;
	uint64_t mine, mine_after;
	volatile char *q;
	long ps = c->ps;
	pid_t child = -1;
	int ret;

	printf("\nPart 2: a snapshot (PAGELAB_IOC_CLONE): pagelab's own copy-on-write\n");
	fflush(stdout);
	ret = pl_clone(dev, id, 0600, "cow-snapshot", &cl);
	if (ret) {
		pl_err("cow: PAGELAB_IOC_CLONE of object %llu: %s", (unsigned long long)id,
		       strerror(-ret));
		c->ok = false;
		return;
	}
	cow_step("parent", "clones object %llu: object %llu, %llu frame shared, %llu copied",
		 (unsigned long long)id, (unsigned long long)cl.id,
		 (unsigned long long)cl.shared, (unsigned long long)cl.copied);
	cow_check(c, cl.shared == 1 && cl.copied == 0, "the clone shares the one page, no copy");
	cow_step("parent", "its MAP_SHARED mapping of object %llu: page 0 %s",
		 (unsigned long long)id, cow_mapped(shared) ?
		 "still mapped" : "no longer mapped (the clone removed the entry)");
	mine = cow_pfn(shared);
	cow_step("parent", "reads page 0 of object %llu: \"%s\"  frame %#llx",
		 (unsigned long long)id, cow_text(shared), (unsigned long long)mine);
	cow_say(c, "    The clone holds the very same frame: no data was copied.  Every\n"
		   "    mapping of a shared page is read-only now, in both objects, so the\n"
		   "    first write to it, in either, traps into pagelab.\n");

	child = cow_fork(c, to_child, from_child);
	if (child < 0)
		goto out;
	if (!child) {
		munmap((void *)shared, ps);	/* the child uses the clone only */
		_exit(cow_clone_child(cl.fd, ps, to_child[0], from_child[1]));
	}

	if (!cow_ask(c, to_child, from_child, &before))
		goto out;
	cow_check(c, before.data_ok, "the clone holds the original's data");
	cow_check(c, before.pfn == mine, "original and clone map the same frame");
	cow_say(c, "    Two objects, two processes, one physical page.\n");

	if (!cow_ask(c, to_child, from_child, &after))
		goto out;
	mine_after = cow_pfn(shared);
	cow_step("parent", "reads page 0 of object %llu: \"%s\"  frame %#llx",
		 (unsigned long long)id, cow_text(shared), (unsigned long long)mine_after);
	cow_check(c, after.data_ok, "the child reads its own write through the clone");
	cow_check(c, after.pfn != before.pfn, "the write gave the clone a new frame");
	cow_check(c, mine_after == mine, "the original keeps its frame");
	cow_check(c, cow_holds(shared, ps, cow_text_object, 0x30),
		  "the original's data is intact");
	if (pl_obj_stat(cl.fd, 0, &cst) || pl_obj_stat(ofd, 0, &ost)) {
		pl_err("cow: PAGELAB_IOC_OBJ_STAT failed");
		c->ok = false;
		goto out;
	}
	cow_step("parent", "clone    %llu: cow_breaks %llu, cow_bytes %llu, shared %llu",
		 (unsigned long long)cl.id, (unsigned long long)cst.cow_breaks,
		 (unsigned long long)cst.cow_bytes, (unsigned long long)cst.shared);
	cow_step("parent", "original %llu: cow_breaks %llu, cow_bytes %llu, shared %llu",
		 (unsigned long long)id, (unsigned long long)ost.cow_breaks,
		 (unsigned long long)ost.cow_bytes, (unsigned long long)ost.shared);
	cow_check(c, cst.cow_breaks == 1 && cst.cow_bytes == (__u64)ps,
		  "the clone counts one COW break of one page");
	cow_check(c, ost.cow_breaks == 0, "the original counts no COW break");
	cow_check(c, cst.shared == 0 && ost.shared == 0, "no page is shared any more");
	cow_say(c, "    The child's write trapped (its page was read-only); pagelab copied the\n"
		   "    page into a new frame for the clone alone, and every mapping of the\n"
		   "    clone now maps the copy.  The original kept its frame: its data never\n"
		   "    moved, and no other page of either object was copied.\n");
out:
	cow_close_pipes(to_child, from_child);
	if (child > 0 && !cow_reap(child)) {
		pl_err("cow: the child of part 2 failed");
		c->ok = false;
	}
	/* The child is gone: its write stays in the clone. */
	q = mmap(NULL, ps, PROT_READ, MAP_SHARED, cl.fd, 0);
	if (q != MAP_FAILED) {
		if (child > 0)
			cow_check(c, cow_holds(q, ps, cow_text_clone, 0x90),
				  "the clone keeps the child's write after the child exits");
		munmap((void *)q, ps);
	}
	if (cl.fd >= 0)
		close(cl.fd);
}

int cmd_cow(int argc, char **argv)
{
	struct cow_ctx c = { .ok = true, .ps = sysconf(_SC_PAGESIZE) };
	volatile char *shared;
	int dev, ofd, ret;
	__u64 id;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab cow [--quiet]\n\n"
		       "Copy-on-write, live, in two parts.  1: a process maps an object\n"
		       "MAP_PRIVATE, reads it and forks; parent and child map the same\n"
		       "frame (PFNs from /proc/self/pagemap) until the child writes: the\n"
		       "kernel gives the child a copy, the parent and the object keep the\n"
		       "original.  2: the object is snapshot with PAGELAB_IOC_CLONE; the\n"
		       "parent maps the original, a child the clone: the same frame until\n"
		       "the child writes, when pagelab copies that one page for the clone\n"
		       "(its counters: cow_breaks 1, cow_bytes 4096).  Every step is\n"
		       "checked; exits 1 if one fails.  Needs root.\n\n"
		       "--quiet leaves out the explanations, not the steps.\n");
		return PL_EXIT_OK;
	}
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--quiet")) {
			c.quiet = true;
		} else {
			pl_err("cow: unknown argument '%s' (see pagelab cow --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	ret = pl_create(dev, c.ps, 0, 0600, "cow", &ofd, &id);
	if (ret) {
		pl_err("cow: PAGELAB_IOC_CREATE: %s", strerror(-ret));
		close(dev);
		return PL_EXIT_FAIL;
	}
	shared = mmap(NULL, c.ps, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	if (shared == MAP_FAILED) {
		pl_err("cow: mmap: %s", strerror(errno));
		close(ofd);
		close(dev);
		return PL_EXIT_FAIL;
	}
	cow_part_private(&c, ofd, id, shared);
	cow_part_clone(&c, dev, ofd, id, shared);
	munmap((void *)shared, c.ps);
	close(ofd);
	close(dev);
	if (c.ok)
		printf("\nCopy-on-write: a page is shared until the first write, then copied\n"
		       "for the writer alone; the others keep the original frame and data.\n");
	else
		printf("\nMISMATCH: copy-on-write did not behave as described (see above).\n");
	fflush(stdout);
	return c.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}
