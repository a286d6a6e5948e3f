// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab scan - a process's pages as runs, from the binary scan
 * (PAGELAB_IOC_SCAN on /dev/pagelab): each run a range of pages with the
 * same categories (present, swap, file, exclusive, ..., object, stored)
 * and, for CAP_SYS_ADMIN, consecutive frames.  The kernel answers in
 * structs; the table and the JSON are made here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_scan.h"

static void scan_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab scan [--pid PID] [START END] [--require CATS] [--any CATS]\n"
		"                    [--exclude CATS] [--max-pages N] [--json] [--legend]\n\n"
		"The pages of [START, END) of a process (default: its whole address space)\n"
		"as runs: consecutive pages with the same categories and, with\n"
		"CAP_SYS_ADMIN, consecutive frames.  Pages outside every VMA are not\n"
		"listed.  The first six categories are what /proc/PID/pagemap says of a\n"
		"page; the rest are what only pagelab says (--legend lists them all).\n\n"
		"  --pid PID       scan that process (default: this one, pid %d); another\n"
		"                  process needs what a ptrace read needs\n"
		"  --require CATS  list only pages with all of CATS (names, ',' between)\n"
		"  --any CATS      ... and with at least one of CATS\n"
		"  --exclude CATS  ... and with none of CATS\n"
		"  --max-pages N   stop after N pages listed\n"
		"  --json          one JSON object: the runs and their totals\n"
		"  --legend        print what each category means, and exit\n\n"
		"START and END are decimal or 0x hex, page-aligned.  Exit status: 0\n"
		"scanned, 1 the kernel refused (its reason is printed), 2 bad usage.\n",
		(int)getpid());
}

static void scan_legend(void)
{
	const char *name;

	for (unsigned int b = 0; (name = pl_scan_cat_name(b)); b++)
		printf("  %-11s %s\n", name, pl_scan_cat_words(b));
}

static void scan_print_json(const struct pl_scan_req *q, const struct pagelab_scan_run *runs,
			    size_t n, unsigned int calls)
{
	uint64_t pages = 0;
	const char *name;

	printf("{\"pid\":%d,\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"runs\":[",
	       (int)q->pid, q->start, q->end);
	for (size_t i = 0; i < n; i++) {
		const struct pagelab_scan_run *r = &runs[i];
		const char *sep = "";

		printf("%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"pages\":%" PRIu64
		       ",\"categories\":[", i ? "," : "", (uint64_t)r->start,
		       (uint64_t)(r->start + r->pages * 4096), (uint64_t)r->pages);
		for (unsigned int b = 0; (name = pl_scan_cat_name(b)); b++) {
			if (r->categories & (1ULL << b)) {
				printf("%s\"%s\"", sep, name);
				sep = ",";
			}
		}
		printf("],\"pfn\":\"0x%" PRIx64 "\",\"object\":%" PRIu64 ",\"index\":%" PRIu64 "}",
		       (uint64_t)r->pfn, (uint64_t)r->object, (uint64_t)r->index);
		pages += r->pages;
	}
	printf("],\"nr_runs\":%zu,\"pages\":%" PRIu64 ",\"calls\":%u}\n", n, pages, calls);
}

static void scan_print_table(const struct pl_scan_req *q, const struct pagelab_scan_run *runs,
			     size_t n, unsigned int calls)
{
	uint64_t pages = 0;
	char cats[256];

	printf("pid %d, [0x%" PRIx64 ", 0x%" PRIx64 ")\n", (int)q->pid, q->start, q->end);
	printf("%-14s %-14s %8s  %-40s %-10s %6s %8s\n", "start", "end", "pages", "categories",
	       "pfn", "object", "index");
	for (size_t i = 0; i < n; i++) {
		const struct pagelab_scan_run *r = &runs[i];

		printf("%014" PRIx64 " %014" PRIx64 " %8" PRIu64 "  %-40s %-10" PRIx64,
		       (uint64_t)r->start, (uint64_t)(r->start + r->pages * 4096),
		       (uint64_t)r->pages, pl_scan_cats_str(r->categories, cats, sizeof(cats)),
		       (uint64_t)r->pfn);
		if (r->object)
			printf(" %6" PRIu64 " %8" PRIu64 "\n", (uint64_t)r->object, (uint64_t)r->index);
		else
			printf(" %6s %8" PRIu64 "\n", "-", (uint64_t)r->index);
		pages += r->pages;
	}
	printf("%zu runs, %" PRIu64 " pages, %u call%s\n", n, pages, calls, calls == 1 ? "" : "s");
}

/* The command line: the request in @q, START and END in @pos. */
struct scan_args {
	struct pl_scan_req q;
	const char *pos[2];
	int npos;
	bool json, have_pid;
};

/*
 * The options: 0, -1 when --legend was printed (nothing more to do), or
 * PL_EXIT_USAGE after saying why.
 */
static int scan_parse(int argc, char **argv, struct scan_args *s)
{
	unsigned long long v;
	char bad[64];

	for (int a = 1; a < argc; a++) {
		uint64_t *mask = NULL;

		if (!strcmp(argv[a], "--json")) {
			s->json = true;
		} else if (!strcmp(argv[a], "--legend")) {
			scan_legend();
			return -1;
		} else if (!strcmp(argv[a], "--pid") && a + 1 < argc) {
			if (!pl_parse_addr(argv[++a], &v) || !v || v > 0x7fffffff) {
				pl_err("scan: bad pid '%s'", argv[a]);
				return PL_EXIT_USAGE;
			}
			s->q.pid = (pid_t)v;
			s->have_pid = true;
		} else if (!strcmp(argv[a], "--max-pages") && a + 1 < argc) {
			if (!pl_parse_addr(argv[++a], &v) || !v) {
				pl_err("scan: bad --max-pages '%s'", argv[a]);
				return PL_EXIT_USAGE;
			}
			s->q.max_pages = v;
		} else if ((!strcmp(argv[a], "--require") && (mask = &s->q.required)) ||
			   (!strcmp(argv[a], "--any") && (mask = &s->q.any)) ||
			   (!strcmp(argv[a], "--exclude") && (mask = &s->q.excluded))) {
			if (a + 1 >= argc) {
				pl_err("scan: %s needs categories (see --legend)", argv[a]);
				return PL_EXIT_USAGE;
			}
			if (pl_scan_cats_parse(argv[a + 1], mask, bad, sizeof(bad))) {
				pl_err("scan: unknown category '%s' (see --legend)", bad);
				return PL_EXIT_USAGE;
			}
			a++;
		} else if (argv[a][0] == '-' && argv[a][1]) {
			pl_err("scan: unknown option '%s' (see --help)", argv[a]);
			return PL_EXIT_USAGE;
		} else if (s->npos < 2) {
			s->pos[s->npos++] = argv[a];
		} else {
			pl_err("scan: too many arguments (see --help)");
			return PL_EXIT_USAGE;
		}
	}
	if (s->npos == 1) {
		pl_err("scan: give both START and END, or neither");
		return PL_EXIT_USAGE;
	}
	return 0;
}

/* The range: START and END, or all of user space.  0, or a PL_EXIT_* status. */
static int scan_range(int fd, struct scan_args *s)
{
	struct pagelab_info info;
	unsigned long long b, e;
	int ret;

	if (s->npos == 2) {
		if (!pl_parse_addr(s->pos[0], &b) || !pl_parse_addr(s->pos[1], &e) ||
		    (b | e) & 4095 || b >= e) {
			pl_err("scan: START and END must be page-aligned numbers, START < END");
			return PL_EXIT_USAGE;
		}
		s->q.start = b;
		s->q.end = e;
		return 0;
	}
	ret = pl_info(fd, &info);
	if (ret) {
		pl_err("scan: PAGELAB_IOC_INFO: %s", strerror(-ret));
		return PL_EXIT_FAIL;
	}
	/* The top of user space, as the kernel's TASK_SIZE_MAX has it. */
	s->q.end = (1ULL << (info.pgtable_levels == 5 ? 56 : 47)) - 4096;
	return 0;
}

/**
 * cmd_scan() - pagelab scan: see scan_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "scan")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_scan(int argc, char **argv)
{
	struct scan_args s = { .q = { .pid = 0 } };
	struct pagelab_scan_run *runs = NULL;
	unsigned int calls = 0;
	int fd, ret;
	size_t n = 0;

	if (pl_wants_help(argc, argv)) {
		scan_usage(stdout);
		return PL_EXIT_OK;
	}
	ret = scan_parse(argc, argv, &s);
	if (ret)
		return ret < 0 ? PL_EXIT_OK : ret;
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	if (!s.have_pid)
		s.q.pid = getpid();
	ret = scan_range(fd, &s);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = pl_scan_all(fd, &s.q, &runs, &n, &calls);
	close(fd);
	if (ret) {
		pl_err("scan: %s", ret == -EPERM ? "not allowed: reading another process needs "
			"what a ptrace read needs, or CAP_SYS_PTRACE" :
			ret == -ESRCH ? "no such process (or it has no memory map)" :
			ret == -ENOTTY ? "the module has no scan (ABI older than 1.7)" :
			ret == -EINVAL && (s.q.required | s.q.any | s.q.excluded) &
			PAGELAB_SCAN_NOT_SWAP ?
			"the module has no not-swap category (ABI older than 1.9)" :
			strerror(-ret));
		return PL_EXIT_FAIL;
	}
	if (s.json)
		scan_print_json(&s.q, runs, n, calls);
	else
		scan_print_table(&s.q, runs, n, calls);
	free(runs);
	return PL_EXIT_OK;
}
