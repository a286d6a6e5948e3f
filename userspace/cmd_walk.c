// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab walk - one address (or a range) through the page tables, as the
 * kernel sees them now.  One address: PAGELAB_IOC_WALK answers in a
 * structure (a module without it: /sys/kernel/debug/pagelab/walk, in text),
 * laid out here as a table, one row per level: the index into that level's
 * table, the raw entry, its flags, and where it leads (the next table, or
 * the frame).  A range: PAGELAB_IOC_SCAN's runs, one row each (a module
 * without it: debugfs's text runs).  The kernel makes no JSON: --json is
 * made here from the same answers; --dot draws the one-address walk for
 * Graphviz.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_scan.h"
#include "pl_walk.h"

static const struct {
	const char *flag;
	const char *meaning;
} walk_flag_words[] = {
	{ "P", "present" }, { "RW", "writable" }, { "U", "user-accessible" },
	{ "PWT", "write-through" }, { "PCD", "cache disabled" }, { "A", "accessed" },
	{ "D", "dirty" }, { "PS", "huge page (leaf above PTE)" }, { "G", "global" },
	{ "NX", "no-execute" }, { "SD", "soft-dirty" }, { "SPECIAL", "special (no struct page used)" },
	{ "UFFD_WP", "userfaultfd write-protected" }, { "DEVMAP", "device memory" },
	{ "PROTNONE", "PROT_NONE / NUMA hint (MMU sees not present)" },
};

static const struct {
	const char *reason;
	const char *meaning;
} walk_reason_words[] = {
	{ "none", "never touched: no entry here yet" },
	{ "swap", "swapped out" },
	{ "migration", "being migrated to another frame" },
	{ "device", "device-private memory" },
	{ "hwpoison", "hardware-poisoned" },
	{ "marker", "a PTE marker (e.g. userfaultfd write-protect)" },
	{ "protnone", "PROT_NONE or a NUMA hint: present to the kernel, not to the MMU" },
	{ "bad", "a corrupt entry" },
	{ "novma", "the address is in no VMA of the process" },
};

const char *pl_walk_reason_words(const char *reason)
{
	for (size_t i = 0; i < sizeof(walk_reason_words) / sizeof(walk_reason_words[0]); i++)
		if (!strcmp(reason, walk_reason_words[i].reason))
			return walk_reason_words[i].meaning;
	return reason;
}

const char *pl_size_words(uint64_t size)
{
	return size == 4096 ? "4 KiB" : size == 2097152 ? "2 MiB" :
	       size == 1073741824 ? "1 GiB" : "?";
}

static void walk_print_legend(const struct pl_walk_result *w)
{
	bool any = false;

	for (size_t f = 0; f < sizeof(walk_flag_words) / sizeof(walk_flag_words[0]); f++) {
		bool seen = false;

		for (int i = 0; i < w->nlevels; i++)
			if (pl_walk_has_flag(w->level[i].flags, walk_flag_words[f].flag))
				seen = true;
		if (w->has_pgd_user && pl_walk_has_flag(w->pgd_user.flags, walk_flag_words[f].flag))
			seen = true;
		if (!seen)
			continue;
		printf("%s %s %s", any ? "," : "flags:", walk_flag_words[f].flag,
		       walk_flag_words[f].meaning);
		any = true;
	}
	if (any)
		printf("\n");
}

/*
 * A name from the answer (a file's path, which may hold any byte but '/'
 * and NUL) on the terminal: control characters and '\\' as \ooo, so it
 * cannot start a line of its own.
 */
static void walk_print_name(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f || c == '\\')
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
}

static void walk_print_one(const struct pl_walk_result *w)
{
	if (w->kernel)
		printf("kernel address 0x%016" PRIx64 ", init_mm's page tables, %u-level paging\n",
		       w->addr, w->levels);
	else
		printf("pid %d, address 0x%016" PRIx64 ", %u-level paging\n", (int)w->pid, w->addr,
		       w->levels);
	if (w->has_vma) {
		printf("vma 0x%" PRIx64 "-0x%" PRIx64 " %s ", w->vma_start, w->vma_end,
		       w->vma_prot);
		walk_print_name(stdout, w->vma_backing);
		printf("\n");
	}
	if (w->nlevels) {
		printf("\n%-8s %5s  %-18s  %-26s  %s\n", "level", "index", "entry", "flags",
		       "next table / frame");
		for (int i = 0; i < w->nlevels; i++) {
			const struct pl_walk_level *l = &w->level[i];
			char where[96] = "-";

			if (l->folded) {
				printf("%-8s %5s  %-18s  %-26s  %s\n", l->name, "-", "(folded)", "-",
				       "4-level paging: the PGD entry points at the PUD table");
				continue;
			}
			if (w->has_leaf && !strcmp(l->name, w->leaf_level))
				snprintf(where, sizeof(where), "frame pfn 0x%" PRIx64 " (%s)", w->pfn,
					 pl_size_words(w->leaf_size));
			else if (l->has_next)
				snprintf(where, sizeof(where), "table at 0x%" PRIx64, l->next);
			else if (w->has_absent && !strcmp(l->name, w->absent_level))
				snprintf(where, sizeof(where), "not present (%s)", w->absent_reason);
			printf("%-8s %5u  0x%016" PRIx64 "  %-26s  %s\n", l->name, l->index, l->entry,
			       l->flags, where);
			if (i == 0 && w->has_pgd_user)
				printf("%-8s %5u  0x%016" PRIx64 "  %-26s  %s\n", "PGD-user",
				       w->pgd_user.index, w->pgd_user.entry, w->pgd_user.flags,
				       "PTI: the copy user mode runs on");
		}
	}
	printf("\n");
	if (w->has_leaf) {
		printf("leaf:  the %s entry maps a %s page: pfn 0x%" PRIx64 ", phys 0x%" PRIx64 "\n",
		       w->leaf_level, pl_size_words(w->leaf_size), w->pfn, w->phys);
		if (w->has_page && w->has_counts)
			printf("page:  %s, refcount %ld, mapcount %ld, flags %s\n", w->page_kind,
			       w->refcount, w->mapcount, w->page_flags);
		else if (w->has_page)
			printf("page:  %s, flags %s (refcount and mapcount: root only)\n",
			       w->page_kind, w->page_flags);
		else
			printf("page:  none (a special entry: no struct page is used)\n");
	} else if (w->has_absent) {
		printf("absent at the %s level: %s", w->absent_level,
		       pl_walk_reason_words(w->absent_reason));
		if (w->has_swap)
			printf(" (swap type %u, offset 0x%" PRIx64 ")", w->swap_type, w->swap_offset);
		printf("\n");
	}
	walk_print_legend(w);
}

static void walk_range_head(pid_t pid, uint64_t start, uint64_t end, const char *how)
{
	printf("pid %d, 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " pages), %s\n\n", (int)pid, start,
	       end, (end - start) / 4096, how);
	printf("%-18s  %-18s  %7s  %-5s  %-12s  %-7s  %4s  %s\n", "start", "end", "pages", "page",
	       "pfn", "kind", "excl", "flags / why absent");
}

static void walk_range_row(const struct pl_walk_run *run)
{
	if (run->absent) {
		printf("0x%016" PRIx64 "  0x%016" PRIx64 "  %7" PRIu64 "  %-5s  %-12s  %-7s  %4s"
		       "  absent: %s", run->start, run->end, run->pages, "-", "-", "-", "-",
		       run->reason);
	} else {
		printf("0x%016" PRIx64 "  0x%016" PRIx64 "  %7" PRIu64 "  %-5s  0x%-10" PRIx64
		       "  %-7s  %4u  %s", run->start, run->end, run->pages,
		       run->size == 4096 ? "4K" : run->size == 2097152 ? "2M" : "1G", run->pfn,
		       run->kind, run->excl, run->flags);
	}
	if (run->object)
		printf("  (object %" PRIu64 ", page %" PRIu64 ")", run->object, run->index);
	putchar('\n');
}

static void walk_range_foot(uint64_t pages, unsigned long runs)
{
	printf("\n%" PRIu64 " pages in %lu run%s (a run: neighbouring pages with the same page\n"
	       "size, flags and kind, and, where frames are shown, consecutive frames)\n",
	       pages, runs, runs == 1 ? "" : "s");
}

/* A range walk's debugfs text (a module older than ABI 1.7) as the table. */
static int walk_print_range(const char *answer)
{
	struct pl_walk_range r;
	struct pl_walk_run run;
	unsigned long runs = 0;
	char how[32];
	int ret;

	if (pl_walk_range_begin(&r, answer)) {
		pl_err("walk: cannot read the kernel's answer (%s)", r.err);
		return -1;
	}
	snprintf(how, sizeof(how), "%u-level paging", r.levels);
	walk_range_head(r.pid, r.start, r.end, how);
	while ((ret = pl_walk_range_next(&r, &run)) == 1) {
		runs++;
		walk_range_row(&run);
	}
	if (ret < 0) {
		pl_err("walk: cannot read the kernel's answer (%s)", r.err);
		return -1;
	}
	walk_range_foot(r.total_pages, runs);
	return 0;
}

/* What the walk calls a run's frame (its "kind"), from the scan's categories. */
static const char *walk_scan_kind(uint64_t c)
{
	if (c & PAGELAB_SCAN_ZERO)
		return "zero";
	if (c & PAGELAB_SCAN_HUGETLB)
		return "hugetlb";
	if (c & PAGELAB_SCAN_KSM)
		return "ksm";
	if (c & PAGELAB_SCAN_ANON)
		return "anon";
	if ((c & PAGELAB_SCAN_OBJECT) && (c & PAGELAB_SCAN_FILE))
		return "pagelab";
	if (c & PAGELAB_SCAN_FILE)
		return "file";
	return "none";
}

/*
 * A scan run as a row of the range walk: present pages with their page
 * size, kind, exclusivity and the entry's and pagelab's flags (the
 * categories no other column shows); others absent, with why.
 */
static void walk_scan_row(const struct pagelab_scan_run *sr, struct pl_walk_run *run)
{
	static const uint64_t shown = PAGELAB_SCAN_WRITE | PAGELAB_SCAN_DIRTY |
				      PAGELAB_SCAN_ACCESSED | PAGELAB_SCAN_SOFT_DIRTY |
				      PAGELAB_SCAN_UFFD_WP | PAGELAB_SCAN_PROT_NONE |
				      PAGELAB_SCAN_COW | PAGELAB_SCAN_BUDGETED;
	uint64_t c = sr->categories;
	const char *name;
	size_t len = 0;

	memset(run, 0, sizeof(*run));
	run->start = sr->start;
	run->pages = sr->pages;
	run->end = sr->start + sr->pages * 4096;
	run->object = sr->object;
	run->index = sr->index;
	if (!(c & PAGELAB_SCAN_PRESENT)) {
		run->absent = true;
		snprintf(run->reason, sizeof(run->reason), "%s",
			 c & PAGELAB_SCAN_SWAP ? "swap" : c & PAGELAB_SCAN_STORED ? "stored" : "none");
		return;
	}
	run->size = c & PAGELAB_SCAN_PUD ? 1UL << 30 : c & PAGELAB_SCAN_PMD ? 1UL << 21 : 4096;
	run->pfn = sr->pfn;
	run->excl = !!(c & PAGELAB_SCAN_EXCLUSIVE);
	snprintf(run->kind, sizeof(run->kind), "%s", walk_scan_kind(c));
	for (unsigned int b = 0; (name = pl_scan_cat_name(b)); b++) {
		if ((c & shown & (1ULL << b)) && len + strlen(name) + 2 < sizeof(run->flags))
			len += snprintf(run->flags + len, sizeof(run->flags) - len, "%s%s",
					len ? "|" : "", name);
	}
	if (!len)
		snprintf(run->flags, sizeof(run->flags), "-");
}

/*
 * [@start, @end) of process @pid (0: this one, shown as @shown) from the
 * binary scan (PAGELAB_IOC_SCAN), as the table or JSON; the gaps between
 * VMAs, which the scan leaves out, as absent runs ("novma").  0 done;
 * -ENOTTY (a module without the scan, or no device node: debugfs may
 * answer); another -errno when it failed (said here).
 */
static int walk_range_scan(pid_t pid, pid_t shown, uint64_t start, uint64_t end, bool json)
{
	struct pl_scan_req q = { .pid = pid, .start = start, .end = end };
	struct pagelab_scan_run *runs = NULL;
	struct pl_walk_run run;
	unsigned long nrows = 0;
	uint64_t at = start;
	const char *sep = "";
	int fd = pl_open(), ret;
	size_t n = 0;

	if (fd == -ENOENT)
		return -ENOTTY;
	if (fd < 0) {
		pl_err("walk: %s", pl_open_hint(fd));
		return fd;
	}
	ret = pl_scan_all(fd, &q, &runs, &n, NULL);
	close(fd);
	if (ret == -EPERM || ret == -EACCES)
		pl_err("walk: not allowed to read process %d's page tables (it needs ptrace "
		       "read access)", (int)shown);
	else if (ret == -ESRCH)
		pl_err("walk: no process %d", (int)shown);
	else if (ret == -EINVAL)
		pl_err("walk: 0x%" PRIx64 "-0x%" PRIx64 " is not a range of user addresses", start,
		       end);
	else if (ret && ret != -ENOTTY)
		pl_err("walk: %s", strerror(-ret));
	if (ret) {
		free(runs);
		return ret;
	}
	if (json)
		printf("{\"pid\":%d,\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
		       "\",\"runs\":[", (int)shown, start, end);
	else
		walk_range_head(shown, start, end, "from the binary scan");
	for (size_t i = 0; i < n || at < end;) {
		if (i < n && runs[i].start <= at) {
			walk_scan_row(&runs[i++], &run);
		} else {
			/* Between VMAs: what the scan does not list. */
			memset(&run, 0, sizeof(run));
			run.absent = true;
			run.start = at;
			run.end = i < n ? runs[i].start : end;
			run.pages = (run.end - at) / 4096;
			snprintf(run.reason, sizeof(run.reason), "novma");
		}
		if (json)
			pl_walk_run_print_json(stdout, &run, sep);
		else
			walk_range_row(&run);
		sep = ",";
		nrows++;
		at = run.end;
	}
	if (json)
		printf("],\"pages\":%" PRIu64 "}\n", (end - start) / 4096);
	else
		walk_range_foot((end - start) / 4096, nrows);
	free(runs);
	return 0;
}

/* Escape @s for a DOT double-quoted string (control characters as a visible \ooo). */
static void dot_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\\\%03o", c);
			continue;
		}
		if (c == '"' || c == '\\')
			fputc('\\', out);
		fputc(c, out);
	}
}

static void walk_emit_dot(FILE *out, const struct pl_walk_result *w)
{
	int prev = -1;

	fprintf(out, "digraph pagelab_walk {\n\trankdir=LR;\n"
		     "\tnode [shape=box, fontname=\"monospace\"];\n");
	if (w->kernel)
		fprintf(out, "\tcr3 [label=\"CR3: init_mm.pgd\\nkernel address\\n0x%" PRIx64
			"\", shape=oval];\n", w->addr);
	else
		fprintf(out, "\tcr3 [label=\"CR3: mm->pgd of pid %d\\naddress 0x%" PRIx64
			"\", shape=oval];\n", (int)w->pid, w->addr);
	if (w->has_vma) {
		fprintf(out, "\tvma [label=\"vma 0x%" PRIx64 "-0x%" PRIx64 "\\n%s ", w->vma_start,
			w->vma_end, w->vma_prot);
		dot_str(out, w->vma_backing);
		fprintf(out, "\", shape=note];\n\tvma -> cr3 [style=dotted, arrowhead=none];\n");
	}
	for (int i = 0; i < w->nlevels; i++) {
		const struct pl_walk_level *l = &w->level[i];

		if (l->folded)
			fprintf(out, "\tl%d [label=\"P4D (folded)\\n4-level paging\", style=dashed];\n",
				i);
		else
			fprintf(out, "\tl%d [label=\"%s[%u]\\nentry 0x%016" PRIx64 "\\n%s\"];\n", i,
				l->name, l->index, l->entry, l->flags);
		if (i == 0 && w->has_pgd_user)
			fprintf(out, "\tpgd_user [label=\"PGD[%u], user copy (PTI)\\nentry 0x%016"
				PRIx64 "\\n%s\", style=dashed];\n\tl0 -> pgd_user [style=dashed, "
				"arrowhead=none, label=\"user mode\"];\n", w->pgd_user.index,
				w->pgd_user.entry, w->pgd_user.flags);
		if (prev < 0) {
			fprintf(out, "\tcr3 -> l%d;\n", i);
		} else if (w->level[prev].folded) {
			fprintf(out, "\tl%d -> l%d [style=dashed];\n", prev, i);
		} else {
			fprintf(out, "\tl%d -> l%d", prev, i);
			if (w->level[prev].has_next)
				fprintf(out, " [label=\"table 0x%" PRIx64 "\"]", w->level[prev].next);
			fprintf(out, ";\n");
		}
		prev = i;
	}
	if (w->has_leaf) {
		fprintf(out, "\tframe [label=\"frame (%s)\\npfn 0x%" PRIx64 "\\nphys 0x%" PRIx64,
			pl_size_words(w->leaf_size), w->pfn, w->phys);
		if (w->has_page && w->has_counts)
			fprintf(out, "\\n%s, refcount %ld, mapcount %ld", w->page_kind, w->refcount,
				w->mapcount);
		else if (w->has_page)
			fprintf(out, "\\n%s", w->page_kind);
		fprintf(out, "\", shape=box3d];\n");
	} else {
		fprintf(out, "\tframe [label=\"not present at %s\\n%s", w->absent_level,
			w->absent_reason);
		if (w->has_swap)
			fprintf(out, "\\nswap type %u offset 0x%" PRIx64, w->swap_type, w->swap_offset);
		fprintf(out, "\", style=dashed];\n");
	}
	if (prev < 0)
		fprintf(out, "\tcr3 -> frame;\n}\n");
	else
		fprintf(out, "\tl%d -> frame;\n}\n", prev);
}

/* Graphviz's dot in PATH: its path in @buf, or false. */
static bool find_dot(char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, len, "%.*s/dot", (int)(n ? n : 1), n ? path : ".");
		if (!access(buf, X_OK))
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* Run dot -T@fmt -o @file on the DOT text of @w. */
static int walk_render(const struct pl_walk_result *w, const char *dot, const char *fmt,
		       const char *file)
{
	int pfd[2], st;
	char tflag[16];
	pid_t pid;
	FILE *to;

	if (pipe(pfd)) {
		pl_err("walk: pipe: %s", strerror(errno));
		return -1;
	}
	snprintf(tflag, sizeof(tflag), "-T%s", fmt);
	pid = fork();
	if (pid < 0) {
		pl_err("walk: fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (!pid) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		close(pfd[1]);
		execl(dot, "dot", tflag, "-o", file, (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	to = fdopen(pfd[1], "w");
	if (!to) {
		close(pfd[1]);
		waitpid(pid, &st, 0);
		return -1;
	}
	walk_emit_dot(to, w);
	fclose(to);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		pl_err("walk: %s %s -o %s failed", dot, tflag, file);
		return -1;
	}
	fprintf(stderr, "pagelab: walk: wrote %s\n", file);
	return 0;
}

static void walk_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab walk [--pid PID | --kernel] ADDR [END] [--json] [--dot[=FILE]]\n\n"
		"Follow ADDR through the page tables, as the kernel sees them now\n"
		"(pagelab's /dev/pagelab; root only).  One row per level: the\n"
		"index into that level's table, the raw entry, its flags, and the next\n"
		"table or the frame it leads to; then the leaf (page size, PFN, physical\n"
		"address) and the struct page behind it, or why the address is not present.\n"
		"Without CAP_SYS_ADMIN, PFNs and physical addresses read as 0x0, and\n"
		"kernel addresses, page refcounts and mapcounts and swap slots are not\n"
		"shown.\n\n"
		"  --pid PID   walk that process (default: this one, pid %d)\n"
		"  --kernel    ADDR is a kernel address (init_mm's tables)\n"
		"  END         walk [ADDR, END) instead, from the binary scan: one row per\n"
		"              run of pages with the same page size, kind and flags (and,\n"
		"              with CAP_SYS_ADMIN, consecutive frames), one per gap\n"
		"              between mappings (absent: novma)\n"
		"  --json      print the walk as one JSON object\n"
		"  --dot       print the one-address walk as a Graphviz digraph\n"
		"  --dot=FILE  render it with Graphviz's dot into FILE (.svg, .png or .pdf)\n\n"
		"ADDR and END are decimal or 0x hex.  Exit status: 0 walked, 1 the kernel\n"
		"refused the request (its reason is printed) or failed, 2 bad usage.\n",
		(int)getpid());
}

/*
 * One address through PAGELAB_IOC_WALK on /dev/pagelab: process @pid (0:
 * this one; shown as @shown) or the kernel.  0 with @w filled; -ENOTTY for
 * a module without the call, or no device node (the caller asks debugfs
 * instead); other errors are printed here.
 */
static int walk_one_ioctl(bool kernel, pid_t pid, pid_t shown, unsigned long long addr,
			  struct pl_walk_result *w)
{
	struct pagelab_walk k;
	int fd = pl_open(), ret;

	if (fd == -ENOENT)
		return -ENOTTY;	/* no device node: debugfs may still answer */
	if (fd < 0) {
		pl_err("walk: %s", pl_open_hint(fd));
		return fd;
	}
	ret = pl_walk_ioctl(fd, pid, kernel, addr, &k);
	close(fd);
	switch (ret) {
	case 0:
		break;
	case -ENOTTY:
		return ret;
	case -EINVAL:
		pl_err("walk: %s", kernel ? "not a canonical kernel address" :
		       "not a user address (for a kernel address: --kernel)");
		return ret;
	case -EPERM:
	case -EACCES:
		if (kernel)
			pl_err("walk: not allowed: a kernel walk needs CAP_SYS_ADMIN");
		else
			pl_err("walk: not allowed to read process %d's page tables "
			       "(it needs ptrace read access)", (int)shown);
		return ret;
	case -ESRCH:
		pl_err("walk: no process %d", (int)shown);
		return ret;
	default:
		pl_err("walk: %s", strerror(-ret));
		return ret;
	}
	if (pl_walk_from_struct(&k, kernel, shown, w)) {
		pl_err("walk: the module's answer does not make sense: %s", w->err);
		return -EPROTO;
	}
	return 0;
}

/* A walk request from the command line. */
struct walk_args {
	unsigned long long addr, end, pidv;
	const char *pos[2], *dot_file, *fmt;
	int npos;
	bool kernel, json, dot, have_pid;
	char dotpath[4096];
};

/* The options and one or two addresses: 0, or PL_EXIT_USAGE after saying why. */
static int walk_parse_args(int argc, char **argv, struct walk_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kernel")) {
			a->kernel = true;
		} else if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--dot")) {
			a->dot = true;
		} else if (!strncmp(argv[i], "--dot=", 6)) {
			a->dot = true;
			a->dot_file = argv[i] + 6;
		} else if (!strcmp(argv[i], "--pid") || !strncmp(argv[i], "--pid=", 6)) {
			const char *v = argv[i][5] == '=' ? argv[i] + 6 : i + 1 < argc ? argv[++i] : "";
			char *e;

			errno = 0;
			a->pidv = strtoull(v, &e, 10);
			if (!*v || *e || errno || !a->pidv || a->pidv > 0x7fffffff) {
				pl_err("walk: --pid needs a process id (see pagelab walk --help)");
				return PL_EXIT_USAGE;
			}
			a->have_pid = true;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			pl_err("walk: unknown argument '%s' (see pagelab walk --help)", argv[i]);
			return PL_EXIT_USAGE;
		} else if (a->npos < 2) {
			a->pos[a->npos++] = argv[i];
		} else {
			pl_err("walk: too many addresses (see pagelab walk --help)");
			return PL_EXIT_USAGE;
		}
	}
	if (!a->npos) {
		pl_err("walk: which address? (see pagelab walk --help)");
		return PL_EXIT_USAGE;
	}
	if (!pl_parse_addr(a->pos[0], &a->addr) ||
	    (a->npos == 2 && !pl_parse_addr(a->pos[1], &a->end))) {
		pl_err("walk: '%s' is not an address (decimal or 0x hex)",
		       pl_parse_addr(a->pos[0], &a->addr) ? a->pos[1] : a->pos[0]);
		return PL_EXIT_USAGE;
	}
	return 0;
}

/* Options that do not go together, and --dot=FILE's needs: 0, or a PL_EXIT_* status. */
static int walk_check_args(struct walk_args *a)
{
	const char *ext;

	if (a->kernel && a->have_pid) {
		pl_err("walk: --pid and --kernel do not go together");
		return PL_EXIT_USAGE;
	}
	if (a->kernel && a->npos == 2) {
		pl_err("walk: kernel walks take one address, not a range");
		return PL_EXIT_USAGE;
	}
	if (a->dot && (a->json || a->npos == 2)) {
		pl_err("walk: --dot draws one address's walk: no END, no --json");
		return PL_EXIT_USAGE;
	}
	if (a->npos == 2 && a->end <= a->addr) {
		pl_err("walk: END must lie above ADDR");
		return PL_EXIT_USAGE;
	}
	if (!a->dot_file)
		return 0;
	ext = strrchr(a->dot_file, '.');
	if (!ext || (strcmp(ext, ".svg") && strcmp(ext, ".png") && strcmp(ext, ".pdf"))) {
		pl_err("walk: --dot=FILE: FILE must end in .svg, .png or .pdf");
		return PL_EXIT_USAGE;
	}
	a->fmt = ext + 1;
	if (!find_dot(a->dotpath, sizeof(a->dotpath))) {
		pl_err("walk: --dot=%s needs Graphviz's 'dot' in PATH (apt install graphviz);"
		       " --dot alone prints the DOT text", a->dot_file);
		return PL_EXIT_FAIL;
	}
	return 0;
}

/* The process walked: --pid's, or this one. */
static pid_t walk_pid(const struct walk_args *a)
{
	return a->have_pid ? (pid_t)a->pidv : getpid();
}

/*
 * The debugfs walk file's answer to the request (modules older than ABI
 * 1.7 for ranges, 1.8 for one address): 0 with *@answer malloc'd, or
 * PL_EXIT_FAIL after saying why.
 */
static int walk_debugfs(const struct walk_args *a, char **answer)
{
	char req[128];
	size_t cap = 0;
	int fd, ret, rret;

	if (a->kernel)
		snprintf(req, sizeof(req), "kernel 0x%llx", a->addr);
	else if (a->npos == 2)
		snprintf(req, sizeof(req), "%d 0x%llx 0x%llx", (int)walk_pid(a), a->addr, a->end);
	else
		snprintf(req, sizeof(req), "%d 0x%llx", (int)walk_pid(a), a->addr);
	fd = pl_walk_open();
	if (fd < 0) {
		if (fd == -ENOENT)
			pl_err("walk: no %s: is debugfs mounted and pagelab (with the walk file) "
			       "loaded?", PL_WALK_PATH);
		else if (fd == -EACCES || fd == -EPERM)
			pl_err("walk: %s is root's: run as root", PL_WALK_PATH);
		else
			pl_err("walk: open %s: %s", PL_WALK_PATH, strerror(-fd));
		return PL_EXIT_FAIL;
	}
	ret = pl_walk_send(fd, req);
	rret = pl_walk_recv_alloc(fd, answer, &cap);
	close(fd);
	if (ret) {
		const char *why = *answer ? pl_walk_error(*answer) : NULL;

		if (why)
			pl_err("walk: %.*s", (int)strcspn(why, "\n"), why);
		else
			pl_err("walk: %s (and no error line to read: %s)", strerror(-ret),
			       strerror(-rret));
		return PL_EXIT_FAIL;
	}
	if (rret) {
		pl_err("walk: reading the answer: %s", strerror(-rret));
		return PL_EXIT_FAIL;
	}
	return 0;
}

/* A range: the binary scan, or (older modules) the debugfs text runs. */
static int walk_range(struct walk_args *a)
{
	char why[PL_WALK_ERR_LEN], *answer = NULL;
	int ret, status = PL_EXIT_FAIL;

	/* Whole pages, as the debugfs walk counts them (the scan refuses a top past user space). */
	a->addr &= ~4095ULL;
	a->end = a->end > ~4095ULL ? ~4095ULL : (a->end + 4095) & ~4095ULL;
	ret = walk_range_scan(a->have_pid ? (pid_t)a->pidv : 0, walk_pid(a), a->addr, a->end,
			      a->json);
	if (ret != -ENOTTY)
		return ret ? PL_EXIT_FAIL : PL_EXIT_OK;
	/* A module older than ABI 1.7: debugfs's text runs. */
	if (walk_debugfs(a, &answer))
		goto out;
	if (a->json && pl_walk_range_print_json(stdout, answer, why, sizeof(why))) {
		pl_err("walk: cannot read the kernel's answer (%s)", why);
		fprintf(stderr, "the kernel's answer:\n%s", answer);
		goto out;
	}
	if (!a->json && walk_print_range(answer)) {
		fprintf(stderr, "the kernel's answer:\n%s", answer);
		goto out;
	}
	status = PL_EXIT_OK;
out:
	free(answer);
	return status;
}

/* One address: PAGELAB_IOC_WALK, or (older modules) the debugfs text, then shown. */
static int walk_one(struct walk_args *a)
{
	struct pl_walk_result *w = malloc(sizeof(*w));
	int ret, status = PL_EXIT_FAIL;
	char *answer = NULL;

	if (!w) {
		pl_err("walk: out of memory");
		return PL_EXIT_FAIL;
	}
	ret = walk_one_ioctl(a->kernel, a->have_pid ? (pid_t)a->pidv : 0, walk_pid(a), a->addr, w);
	if (ret == -ENOTTY) {
		/* A module older than ABI 1.8. */
		if (walk_debugfs(a, &answer))
			goto out;
		if (pl_walk_parse(answer, w)) {
			pl_err("walk: cannot read the kernel's answer (%s); here it is:", w->err);
			fputs(answer, stderr);
			goto out;
		}
	} else if (ret) {
		goto out;
	}
	if (a->json)
		pl_walk_print_json(stdout, w);
	else if (!a->dot)
		walk_print_one(w);
	else if (!a->dot_file)
		walk_emit_dot(stdout, w);
	else if (walk_render(w, a->dotpath, a->fmt, a->dot_file))
		goto out;
	status = PL_EXIT_OK;
out:
	free(w);
	free(answer);
	return status;
}

/**
 * cmd_walk() - pagelab walk: see walk_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "walk")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_walk(int argc, char **argv)
{
	struct walk_args a = { .fmt = "svg" };
	int ret;

	if (pl_wants_help(argc, argv)) {
		walk_usage(stdout);
		return PL_EXIT_OK;
	}
	ret = walk_parse_args(argc, argv, &a);
	if (!ret)
		ret = walk_check_args(&a);
	if (ret)
		return ret;
	return a.npos == 2 ? walk_range(&a) : walk_one(&a);
}
