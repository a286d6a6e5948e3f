// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab share - one object, three processes, the same physical pages.
 *
 * The parent creates an object, maps it and writes every page.  A forked
 * child (which inherits the mapping) and an unrelated program (the parent
 * runs "/proc/self/exe share --attach ID" by fork+exec; the object's fd is
 * O_CLOEXEC, so it opens the object by id) each map it.  In turn each
 * writes a stamp into its own page and the others read it at once; each
 * prints the page frame numbers of the first pages from /proc/self/pagemap,
 * and the parent checks they are the same frames.  Pipes keep the order.
 */
#include <ctype.h>
#include <errno.h>
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

#define SHARE_SHOWN	4	/* pages whose frames are printed and compared */
#define SHARE_STAMP_LEN	48

/* What the child and the attached program send back to the parent. */
struct share_report {
	int32_t ok;		/* 1: every stamp it read was the expected one */
	int32_t npfn;
	uint64_t pfn[SHARE_SHOWN];
};

static const char *const share_stamps[3] = {
	"written by the parent",
	"written by the forked child",
	"written by the attached program",
};

static void share_stamp(volatile char *page, int who)
{
	for (size_t i = 0; i < SHARE_STAMP_LEN; i++) {
		char c = share_stamps[who][i];

		page[i] = c;
		if (!c)
			break;
	}
}

static bool share_sees(volatile char *page, int who)
{
	for (size_t i = 0; i < SHARE_STAMP_LEN; i++) {
		if (page[i] != share_stamps[who][i])
			return false;
		if (!share_stamps[who][i])
			break;
	}
	return true;
}

/* Read the first pages (so they are mapped here) and look their frames up. */
static int share_frames(volatile char *p, long ps, int n, struct share_report *r)
{
	r->npfn = n;
	for (int i = 0; i < n; i++) {
		uint64_t e;

		(void)p[i * ps];
		if (pl_pagemap(0, (unsigned long)(p + i * ps), &e) || !pl_pm_present(e))
			return -1;
		r->pfn[i] = pl_pm_pfn(e);
	}
	return 0;
}

static void share_print_frames(const char *who, const struct share_report *r)
{
	printf("  %-26s pid %-7d frames:", who, (int)getpid());
	for (int i = 0; i < r->npfn; i++)
		printf(" %#llx", (unsigned long long)r->pfn[i]);
	printf("\n");
	fflush(stdout);
}

static void share_print_sees(const char *who, volatile char *p, long ps, int upto)
{
	for (int i = 0; i <= upto; i++) {
		char buf[SHARE_STAMP_LEN + 1];
		int j;

		for (j = 0; j < SHARE_STAMP_LEN && p[i * ps + j]; j++)
			buf[j] = isprint((unsigned char)p[i * ps + j]) ? p[i * ps + j] : '.';
		buf[j] = '\0';
		printf("  %-26s reads page %d: \"%s\"\n", who, i, buf);
	}
	fflush(stdout);
}

/*
 * The unrelated program: "pagelab share --attach ID [--sync RFD,WFD]".
 * With --sync it waits for a byte on RFD, checks the stamps of pages 0 and
 * 1, writes its own into page 2 and reports on WFD; alone it just prints
 * what it sees.
 */
static int share_attached(__u64 id, int rfd, int wfd)
{
	struct pagelab_obj_stat st;
	struct share_report r = { .ok = 1 };
	volatile char *p;
	long ps = sysconf(_SC_PAGESIZE);
	size_t len;
	int dev, ofd, ret, shown;
	char go;

	if (rfd >= 0 && pl_read_full(rfd, &go, 1))
		return PL_EXIT_FAIL;
	dev = pl_open_or_explain();
	if (dev < 0)
		return PL_EXIT_FAIL;
	ret = pl_attach(dev, id, 0, &ofd);
	close(dev);
	if (ret) {
		pl_err("share: PAGELAB_IOC_ATTACH of object %llu: %s", (unsigned long long)id,
		       strerror(-ret));
		return PL_EXIT_FAIL;
	}
	ret = pl_obj_stat(ofd, 0, &st);
	if (ret) {
		pl_err("share: PAGELAB_IOC_OBJ_STAT: %s", strerror(-ret));
		close(ofd);
		return PL_EXIT_FAIL;
	}
	len = st.size;
	if (rfd >= 0 && len < 3 * (size_t)ps) {
		pl_err("share: object %llu has fewer than 3 pages", (unsigned long long)id);
		close(ofd);
		return PL_EXIT_FAIL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	close(ofd);	/* the mapping keeps the object */
	if (p == MAP_FAILED) {
		pl_err("share: mmap of object %llu: %s", (unsigned long long)id, strerror(errno));
		return PL_EXIT_FAIL;
	}
	shown = len / ps < SHARE_SHOWN ? (int)(len / ps) : SHARE_SHOWN;
	if (share_frames(p, ps, shown, &r)) {
		pl_err("share: pagemap of the attached mapping failed");
		r.ok = 0;
	}
	printf("  attached by id %llu (a new process: exec'd, no fd inherited)\n",
	       (unsigned long long)id);
	share_print_sees("attached program", p, ps, rfd >= 0 ? 1 : shown - 1);
	if (rfd >= 0) {
		r.ok &= share_sees(p, 0) && share_sees(p + ps, 1);
		share_stamp(p + 2 * ps, 2);
		printf("  attached program           writes page 2\n");
	}
	share_print_frames("attached program", &r);
	munmap((void *)p, len);
	if (wfd >= 0 && pl_write_full(wfd, &r, sizeof(r)))
		return PL_EXIT_FAIL;
	return r.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}

/* The forked child: two rounds, ordered by the parent. */
static int share_child(volatile char *p, long ps, int shown, int rfd, int wfd)
{
	struct share_report r = { .ok = 1 };
	char go;

	if (pl_read_full(rfd, &go, 1))
		return 1;
	share_print_sees("forked child", p, ps, 0);
	r.ok = share_sees(p, 0);
	if (share_frames(p, ps, shown, &r))
		r.ok = 0;
	share_stamp(p + ps, 1);
	printf("  forked child               writes page 1\n");
	share_print_frames("forked child", &r);
	if (pl_write_full(wfd, &r, sizeof(r)))
		return 1;

	/* Round two: the attached program has written page 2. */
	if (pl_read_full(rfd, &go, 1))
		return 1;
	r.ok = share_sees(p + 2 * ps, 2);
	printf("  forked child               reads page 2: %s\n",
	       r.ok ? "the attached program's stamp" : "** NOT the attached program's stamp **");
	fflush(stdout);
	if (pl_write_full(wfd, &r, sizeof(r)))
		return 1;
	return 0;
}

static bool share_same_frames(const char *who, const struct share_report *mine,
			      const struct share_report *theirs)
{
	if (theirs->npfn != mine->npfn) {
		pl_err("share: %s reported %d frames, not %d", who, theirs->npfn, mine->npfn);
		return false;
	}
	for (int i = 0; i < mine->npfn; i++) {
		if (!mine->pfn[i]) {
			pl_err("share: pagemap shows PFN 0: run as root to see frame numbers");
			return false;
		}
		if (theirs->pfn[i] != mine->pfn[i]) {
			pl_err("share: page %d: %s maps frame %#llx, the parent %#llx", i, who,
			       (unsigned long long)theirs->pfn[i], (unsigned long long)mine->pfn[i]);
			return false;
		}
	}
	return true;
}

/* One run of the demo: the parent's object, its mapping, the two others. */
struct share_run {
	unsigned long pages;
	long ps;
	size_t len;
	volatile char *p;
	int ofd, shown;
	__u64 id;
	struct share_report mine;
	int to_child[2], from_child[2], to_att[2], from_att[2];
	pid_t child, att;
};

/* The object, mapped and written, its frames printed: false after saying why. */
static bool share_setup(struct share_run *s)
{
	int dev = pl_open_or_explain(), ret;

	if (dev < 0)
		return false;
	ret = pl_create(dev, s->len, 0, 0600, "share", &s->ofd, &s->id);
	close(dev);
	if (ret) {
		pl_err("share: PAGELAB_IOC_CREATE of %lu pages: %s", s->pages, strerror(-ret));
		return false;
	}
	s->p = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED, s->ofd, 0);
	if (s->p == MAP_FAILED) {
		pl_err("share: mmap: %s", strerror(errno));
		return false;
	}
	for (unsigned long i = 0; i < s->pages; i++)
		s->p[i * s->ps + s->ps - 1] = (char)i;
	share_stamp(s->p, 0);
	s->shown = s->pages < SHARE_SHOWN ? (int)s->pages : SHARE_SHOWN;
	if (share_frames(s->p, s->ps, s->shown, &s->mine)) {
		pl_err("share: pagemap of the parent's mapping failed");
		return false;
	}
	printf("object %llu: %lu pages, created and written by the parent\n",
	       (unsigned long long)s->id, s->pages);
	printf("  parent                     writes every page, and page 0\n");
	share_print_frames("parent", &s->mine);
	return true;
}

/* The attached program: this tool again, told the object's id and its pipes. */
static void __attribute__((noreturn)) share_exec_attached(struct share_run *s)
{
	char idbuf[24], sync[32];

	snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)s->id);
	snprintf(sync, sizeof(sync), "%d,%d", s->to_att[0], s->from_att[1]);
	for (int i = 0; i < 2; i++) {
		close(s->to_child[i]);
		close(s->from_child[i]);
	}
	close(s->to_att[1]);
	close(s->from_att[0]);
	execl("/proc/self/exe", "pagelab", "share", "--attach", idbuf, "--sync", sync,
	      (char *)NULL);
	pl_err("share: exec /proc/self/exe: %s", strerror(errno));
	_exit(PL_EXIT_FAIL);
}

/* The forked child and the attached program, each with a pipe pair: false after saying why. */
static bool share_spawn(struct share_run *s)
{
	if (pipe(s->to_child) || pipe(s->from_child) || pipe(s->to_att) || pipe(s->from_att)) {
		pl_err("share: pipe: %s", strerror(errno));
		return false;
	}
	fflush(stdout);
	fflush(stderr);
	s->child = fork();
	if (s->child < 0) {
		pl_err("share: fork: %s", strerror(errno));
		return false;
	}
	if (!s->child) {
		close(s->to_child[1]);
		close(s->from_child[0]);
		for (int i = 0; i < 2; i++) {
			close(s->to_att[i]);
			close(s->from_att[i]);
		}
		_exit(share_child(s->p, s->ps, s->shown, s->to_child[0], s->from_child[1]));
	}
	s->att = fork();
	if (s->att < 0) {
		pl_err("share: fork: %s", strerror(errno));
		return false;
	}
	if (!s->att)
		share_exec_attached(s);
	close(s->to_child[0]);
	close(s->from_child[1]);
	close(s->to_att[0]);
	close(s->from_att[1]);
	s->to_child[0] = s->from_child[1] = s->to_att[0] = s->from_att[1] = -1;
	return true;
}

/* Let @who take its turn and read its report: false after saying why. */
static bool share_turn(int wfd, int rfd, const char *who, struct share_report *r)
{
	char go = 'g';

	if (pl_write_full(wfd, &go, 1) || pl_read_full(rfd, r, sizeof(*r))) {
		pl_err("share: %s did not answer", who);
		return false;
	}
	return true;
}

/* The three rounds, each checked: true if all saw the same frames and data. */
static bool share_rounds(struct share_run *s)
{
	struct share_report r;
	bool ok;

	/* Round 1: the child reads page 0 and writes page 1. */
	if (!share_turn(s->to_child[1], s->from_child[0], "the forked child", &r))
		return false;
	ok = r.ok && share_same_frames("the forked child", &s->mine, &r);
	ok &= share_sees(s->p + s->ps, 1);
	printf("  parent                     reads page 1 at once: %s\n",
	       share_sees(s->p + s->ps, 1) ? "the child's stamp" : "** NOT the child's stamp **");
	fflush(stdout);

	/* Round 2: the attached program reads pages 0-1 and writes page 2. */
	if (!share_turn(s->to_att[1], s->from_att[0], "the attached program", &r))
		return false;
	ok &= r.ok && share_same_frames("the attached program", &s->mine, &r);
	ok &= share_sees(s->p + 2 * s->ps, 2);
	printf("  parent                     reads page 2 at once: %s\n",
	       share_sees(s->p + 2 * s->ps, 2) ? "the attached program's stamp" :
						 "** NOT the attached program's stamp **");
	fflush(stdout);

	/* Round 3: the child reads page 2 too. */
	if (!share_turn(s->to_child[1], s->from_child[0], "the forked child", &r))
		return false;
	ok &= r.ok;
	for (unsigned long i = 0; i < s->pages; i++)
		if (s->p[i * s->ps + s->ps - 1] != (char)i) {
			pl_err("share: page %lu lost the parent's data", i);
			return false;
		}
	return ok;
}

/* Everything closed and waited for: @ok, and false if a process did not exit 0. */
static bool share_finish(struct share_run *s, bool ok)
{
	int status;

	for (int i = 0; i < 2; i++) {
		int *fds[] = { &s->to_child[i], &s->from_child[i], &s->to_att[i], &s->from_att[i] };

		for (size_t f = 0; f < sizeof(fds) / sizeof(fds[0]); f++)
			if (*fds[f] >= 0)
				close(*fds[f]);
	}
	for (int k = 0; k < 2; k++) {
		pid_t pid = k ? s->att : s->child;

		if (pid <= 0)
			continue;
		status = -1;
		waitpid(pid, &status, 0);
		ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	if (s->p != MAP_FAILED)
		munmap((void *)s->p, s->len);
	if (s->ofd >= 0)
		close(s->ofd);
	return ok;
}

static int share_parent(unsigned long pages)
{
	struct share_run s = {
		.pages = pages, .ps = sysconf(_SC_PAGESIZE), .p = MAP_FAILED, .ofd = -1,
		.mine = { .ok = 1 }, .child = -1, .att = -1,
		.to_child = { -1, -1 }, .from_child = { -1, -1 },
		.to_att = { -1, -1 }, .from_att = { -1, -1 },
	};
	bool ok;

	s.len = pages * s.ps;
	ok = share_setup(&s);
	if (!ok && s.ofd < 0)
		return PL_EXIT_FAIL;	/* no object: nothing to compare */
	ok = ok && share_spawn(&s) && share_rounds(&s);
	ok = share_finish(&s, ok);
	if (ok)
		printf("\nThree processes, one object: every write was seen by the others at\n"
		       "once, and all three map the same physical frames (no copies).\n");
	else
		printf("\nMISMATCH: the processes did not share the same pages (see above).\n");
	return ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}

int cmd_share(int argc, char **argv)
{
	unsigned long pages = 16;
	unsigned long long attach = 0;
	int rfd = -1, wfd = -1;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab share [--pages N] [--attach ID [--sync RFD,WFD]]\n\n"
		       "Share one object between three processes: this one creates an\n"
		       "object of N pages (default 16, at least 3) and writes it; a\n"
		       "forked child and an unrelated program (this tool run again with\n"
		       "--attach ID, which opens the object by id) map it.  Each writes\n"
		       "a stamp that the others read at once, and each prints the page\n"
		       "frame numbers of the first pages from /proc/self/pagemap: the\n"
		       "same frames.  Exits 1 on any mismatch.  Needs root.\n\n"
		       "--attach ID alone maps object ID and prints what it sees;\n"
		       "--sync is the parent's pipe protocol.\n");
		return PL_EXIT_OK;
	}
	for (int a = 1; a < argc; a++) {
		char *end;

		if (!strcmp(argv[a], "--pages") && a + 1 < argc) {
			errno = 0;
			pages = strtoul(argv[++a], &end, 0);
			if (errno || *end || pages < 3 || argv[a][0] == '-') {
				pl_err("share: --pages needs a number of at least 3, not '%s'",
				       argv[a]);
				return PL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[a], "--attach") && a + 1 < argc) {
			errno = 0;
			attach = strtoull(argv[++a], &end, 0);
			if (errno || *end || !attach || argv[a][0] == '-') {
				pl_err("share: --attach needs an object id, not '%s'", argv[a]);
				return PL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[a], "--sync") && a + 1 < argc) {
			if (sscanf(argv[++a], "%d,%d", &rfd, &wfd) != 2 || rfd < 0 || wfd < 0) {
				pl_err("share: --sync needs RFD,WFD, not '%s'", argv[a]);
				return PL_EXIT_USAGE;
			}
		} else {
			pl_err("share: unknown argument '%s' (see pagelab share --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	if (rfd >= 0 && !attach) {
		pl_err("share: --sync goes with --attach");
		return PL_EXIT_USAGE;
	}
	if (attach)
		return share_attached(attach, rfd, wfd);
	return share_parent(pages);
}
