// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab segments - the classic process layout, live.  This process touches
 * one address in each of its segments (text, rodata, data, bss, heap, a
 * mapped file, anonymous memory, a shared library if it has any, the stack,
 * the vDSO) and one kernel address (the start of the direct map), walks each
 * through /sys/kernel/debug/pagelab/walk and prints one row per address:
 * where it is, what backs it, the page size and frame, and the permissions
 * the page tables give it.  Shown, not checked.
 *
 * RW, user and NX are the effective permissions: x86 allows a write only if
 * every level's entry has RW, a user access only if every level has U, and
 * refuses to execute if any level has NX (under page-table isolation, user
 * addresses count the PGD entry's user copy, the one user mode runs on).
 * Dirty and accessed are the leaf's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

#define SEG_MAX	12

struct seg_row {
	const char *name;
	uint64_t addr;
	bool kernel;
	const char *skipped;		/* why there is no walk for this row */
	int err;			/* -errno of the walk's write */
	char why[128];			/* the kernel's error line, or a parse failure */
	struct pl_walk_result w;
	bool rw, user, nx, dirty, accessed;
	const struct pl_walk_level *leaf;
};

/* Initialized: .data.  Zero: .bss (written before it is walked). */
static volatile int seg_data = 0x5e9;
static volatile char seg_bss[2 * 4096];

static inline unsigned char seg_read(uint64_t addr)
{
	return *(const volatile unsigned char *)(uintptr_t)addr;
}

/* A file-backed, executable mapping of a shared object, from /proc/self/maps. */
static uint64_t seg_find_shared_lib(char *path, size_t len)
{
	char line[4352], perms[8], file[4096];
	unsigned long lo, hi, off;
	uint64_t found = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		file[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095[^\n]", &lo, &hi, perms, &off,
			   file) < 4)
			continue;
		if (perms[2] == 'x' && file[0] == '/' && strstr(file, ".so")) {
			found = lo;
			snprintf(path, len, "%s", file);
		}
	}
	fclose(f);
	return found;
}

static void seg_walk(struct seg_row *r)
{
	char req[64];
	char *answer = NULL;
	int ret;

	if (r->kernel)
		snprintf(req, sizeof(req), "kernel 0x%" PRIx64, r->addr);
	else
		snprintf(req, sizeof(req), "%d 0x%" PRIx64, (int)getpid(), r->addr);
	ret = pl_walk_alloc(req, &answer);
	if (ret) {
		const char *e = answer ? pl_walk_error(answer) : NULL;

		r->err = ret;
		snprintf(r->why, sizeof(r->why), "%.*s", e ? (int)strcspn(e, "\n") : 100,
			 e ? e : strerror(-ret));
	} else if (pl_walk_parse(answer, &r->w)) {
		r->err = -EINVAL;
		snprintf(r->why, sizeof(r->why), "unreadable answer: %s", r->w.err);
	} else if (r->w.has_leaf) {
		r->leaf = pl_walk_leaf_entry(&r->w);
		r->rw = r->user = true;
		for (int i = 0; i < r->w.nlevels; i++) {
			/* Under PTI, user mode runs on the user copy of the PGD entry. */
			const char *fl = i == 0 && r->w.has_pgd_user ? r->w.pgd_user.flags :
					 r->w.level[i].flags;

			if (r->w.level[i].folded)
				continue;
			r->rw &= pl_walk_has_flag(fl, "RW");
			r->user &= pl_walk_has_flag(fl, "U");
			r->nx |= pl_walk_has_flag(fl, "NX");
		}
		r->dirty = r->leaf && pl_walk_has_flag(r->leaf->flags, "D");
		r->accessed = r->leaf && pl_walk_has_flag(r->leaf->flags, "A");
	}
	free(answer);
}

static const char *seg_backing(const struct seg_row *r)
{
	return r->kernel ? "kernel (direct map)" : r->w.has_vma ? r->w.vma_backing : "-";
}

static void seg_print_json(struct seg_row *rows, int n)
{
	printf("[");
	for (int i = 0; i < n; i++) {
		struct seg_row *r = &rows[i];

		printf("%s{\"segment\": ", i ? ", " : "");
		pl_json_str(r->name);
		if (r->skipped) {
			printf(", \"skipped\": ");
			pl_json_str(r->skipped);
			printf("}");
			continue;
		}
		printf(", \"address\": \"0x%" PRIx64 "\", \"kernel\": %s", r->addr,
		       r->kernel ? "true" : "false");
		if (r->err) {
			printf(", \"error\": ");
			pl_json_str(r->why);
			printf("}");
			continue;
		}
		printf(", \"backing\": ");
		pl_json_str(seg_backing(r));
		if (r->w.has_absent) {
			printf(", \"absent\": ");
			pl_json_str(r->w.absent_reason);
			printf("}");
			continue;
		}
		printf(", \"kind\": ");
		pl_json_str(r->w.has_page ? r->w.page_kind : "special");
		printf(", \"level\": \"%s\", \"page_size\": %" PRIu64 ", \"pfn\": \"0x%" PRIx64
		       "\", \"rw\": %s, \"user\": %s, \"nx\": %s, \"dirty\": %s, \"accessed\": %s}",
		       r->w.leaf_level, r->w.leaf_size, r->w.pfn, r->rw ? "true" : "false",
		       r->user ? "true" : "false", r->nx ? "true" : "false",
		       r->dirty ? "true" : "false", r->accessed ? "true" : "false");
	}
	printf("]\n");
}

static void seg_print_table(struct seg_row *rows, int n)
{
	printf("%-14s  %-18s  %-28s  %-7s  %-5s  %-10s  %-3s %-4s %-3s %-5s %-8s\n", "segment",
	       "address", "backing", "kind", "page", "pfn", "RW", "user", "NX", "dirty",
	       "accessed");
	for (int i = 0; i < n; i++) {
		struct seg_row *r = &rows[i];
		char backing[29];

		if (r->skipped) {
			printf("%-14s  %-18s  (%s)\n", r->name, "-", r->skipped);
			continue;
		}
		if (r->err) {
			printf("%-14s  0x%016" PRIx64 "  walk failed: %s\n", r->name, r->addr, r->why);
			continue;
		}
		/* Long file names: keep the end, which says the most. */
		if (strlen(seg_backing(r)) > 28)
			snprintf(backing, sizeof(backing), "...%s",
				 seg_backing(r) + strlen(seg_backing(r)) - 25);
		else
			snprintf(backing, sizeof(backing), "%s", seg_backing(r));
		if (r->w.has_absent) {
			printf("%-14s  0x%016" PRIx64 "  %-28s  absent at %s: %s\n", r->name, r->addr,
			       backing, r->w.absent_level, r->w.absent_reason);
			continue;
		}
		printf("%-14s  0x%016" PRIx64 "  %-28s  %-7s  %-5s  0x%-8" PRIx64
		       "  %-3s %-4s %-3s %-5s %-8s\n", r->name, r->addr, backing,
		       r->w.has_page ? r->w.page_kind : "special",
		       r->w.leaf_size == 4096 ? "4K" : r->w.leaf_size == 2097152 ? "2M" : "1G",
		       r->w.pfn, r->rw ? "yes" : "-", r->user ? "yes" : "-", r->nx ? "yes" : "-",
		       r->dirty ? "yes" : "-", r->accessed ? "yes" : "-");
	}
}

/* A string literal, for the rodata row. */
static const char seg_rodata[] = "pagelab segments: a string literal lives in .rodata";

/* What segments maps for its rows, unmapped and freed at the end. */
struct seg_maps {
	long ps;
	volatile char *heap;
	unsigned char *file, *anon;
	char libpath[4096];
};

static void seg_usage(void)
{
	printf("usage: pagelab segments [--json]\n\n"
	       "The classic process layout, live: this process touches one address\n"
	       "in each of its segments (text, rodata, data, bss, heap, a mapped file,\n"
	       "anonymous memory, a shared library if it has one, the stack, the\n"
	       "vDSO) and one kernel address (the direct map's start), walks each\n"
	       "through the page tables (/sys/kernel/debug/pagelab/walk; root) and\n"
	       "prints what backs it, its page size and frame, and the effective\n"
	       "permissions: RW and user need every level's entry to allow them, NX\n"
	       "at any level forbids execution.  Shown, not checked.\n");
}

/* The image's rows: text, rodata, data, bss, each touched. */
static void seg_touch_image(struct seg_row *rows, int *n)
{
	rows[*n].name = "text";
	rows[*n].addr = (uintptr_t)cmd_segments;
	(void)seg_read(rows[(*n)++].addr);

	rows[*n].name = "rodata";
	rows[*n].addr = (uintptr_t)seg_rodata;
	(void)seg_read(rows[(*n)++].addr);

	rows[*n].name = "data";
	rows[*n].addr = (uintptr_t)&seg_data;
	(void)seg_data;
	(*n)++;

	rows[*n].name = "bss";
	rows[*n].addr = (uintptr_t)&seg_bss[sizeof(seg_bss) / 2];
	seg_bss[sizeof(seg_bss) / 2] = 1;
	(*n)++;
}

/* The mappings' rows: heap, a mapped file, anonymous memory, a shared library. */
static void seg_touch_maps(struct seg_row *rows, int *n, struct seg_maps *m)
{
	uint64_t lib;
	int fd;

	rows[*n].name = "heap (malloc)";
	m->heap = malloc(64);
	if (m->heap) {
		m->heap[0] = 1;
		rows[*n].addr = (uintptr_t)m->heap;
	} else {
		rows[*n].skipped = "malloc failed";
	}
	(*n)++;

	rows[*n].name = "mapped file";
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		m->file = mmap(NULL, m->ps, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
	}
	if (m->file != MAP_FAILED) {
		rows[*n].addr = (uintptr_t)m->file;
		(void)seg_read(rows[*n].addr);
	} else {
		rows[*n].skipped = "cannot map /proc/self/exe";
	}
	(*n)++;

	rows[*n].name = "anonymous mmap";
	m->anon = mmap(NULL, m->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->anon != MAP_FAILED) {
		*(volatile unsigned char *)m->anon = 1;
		rows[*n].addr = (uintptr_t)m->anon;
	} else {
		rows[*n].skipped = "mmap failed";
	}
	(*n)++;

	rows[*n].name = "shared library";
	lib = seg_find_shared_lib(m->libpath, sizeof(m->libpath));
	if (lib) {
		rows[*n].addr = lib;
		(void)seg_read(lib);
	} else {
		rows[*n].skipped = "none: this binary is statically linked; the vDSO below is "
				   "the one shared object the kernel maps into it";
	}
	(*n)++;
}

/* The last rows: the stack (@local is on it), the vDSO, one kernel address. */
static void seg_touch_rest(struct seg_row *rows, int *n, volatile int *local)
{
	uint64_t base = 0;

	rows[*n].name = "stack";
	rows[*n].addr = (uintptr_t)local;
	*local = 2;
	(*n)++;

	rows[*n].name = "vdso";
	rows[*n].addr = getauxval(AT_SYSINFO_EHDR);
	if (rows[*n].addr)
		(void)seg_read(rows[*n].addr);
	else
		rows[*n].skipped = "no AT_SYSINFO_EHDR: no vDSO";
	(*n)++;

	rows[*n].name = "kernel";
	rows[*n].kernel = true;
	if (!pl_direct_map_base(&base))
		rows[*n].addr = base;
	else
		rows[*n].skipped = "no direct_map_base in the pagelab debugfs stats";
	(*n)++;
}

/**
 * cmd_segments() - pagelab segments: see seg_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "segments")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_segments(int argc, char **argv)
{
	struct seg_maps m = { .ps = sysconf(_SC_PAGESIZE), .file = MAP_FAILED, .anon = MAP_FAILED };
	struct seg_row *rows;
	volatile int local = 1;
	bool json = false;
	int n = 0, fd, bad = 0;

	if (pl_wants_help(argc, argv)) {
		seg_usage();
		return PL_EXIT_OK;
	}
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else {
			pl_err("segments: unknown argument '%s' (see pagelab segments --help)",
			       argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	fd = pl_walk_open();
	if (fd < 0) {
		pl_err("segments: cannot open %s: %s%s", PL_WALK_PATH, strerror(-fd),
		       fd == -ENOENT ? " (is pagelab, with the walk file, loaded?)" :
		       fd == -EACCES || fd == -EPERM ? " (run as root)" : "");
		return PL_EXIT_FAIL;
	}
	close(fd);
	rows = calloc(SEG_MAX, sizeof(*rows));
	if (!rows) {
		pl_err("segments: out of memory");
		return PL_EXIT_FAIL;
	}
	/* Touch everything first, then walk: the walks see it all faulted in. */
	seg_touch_image(rows, &n);
	seg_touch_maps(rows, &n, &m);
	seg_touch_rest(rows, &n, &local);
	for (int i = 0; i < n; i++) {
		if (rows[i].skipped)
			continue;
		seg_walk(&rows[i]);
		if (rows[i].err)
			bad++;
	}
	if (json) {
		seg_print_json(rows, n);
	} else {
		seg_print_table(rows, n);
		printf("\n(RW, user, NX: what the page tables allow, all levels together; dirty,\n"
		       "accessed: the leaf entry's bits.  PFNs read as 0x0 without CAP_SYS_ADMIN.)\n");
	}
	if (m.file != MAP_FAILED)
		munmap(m.file, m.ps);
	if (m.anon != MAP_FAILED)
		munmap(m.anon, m.ps);
	free((void *)m.heap);
	free(rows);
	return bad ? PL_EXIT_FAIL : PL_EXIT_OK;
}
