// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab huge - huge pages, watched: the same memory written with
 * transparent huge pages off and on (faults per 2 MiB, page-table pages,
 * the walk's leaf), a partial mprotect and munmap splitting a 2 MiB leaf
 * back into 4 KiB entries, and a hugetlbfs page where the machine has one.
 * Every number is read from the running kernel: the process's fault
 * counter, VmPTE, smaps' AnonHugePages and pagelab's walk.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"
#include "pl_walk.h"

#define HUGE_SZ		(2UL << 20)
#define SMALL_SZ	4096UL

struct huge {
	int fd;
	unsigned int units;	/* 2 MiB units per region */
	bool ok;
};

static void huge_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab huge [--mib N] [--object]\n\n"
		"Huge pages, live: N MiB (even, 2..64; default 4) of anonymous memory\n"
		"written once with transparent huge pages off (MADV_NOHUGEPAGE) and once\n"
		"on (MADV_HUGEPAGE): the minor faults taken, the page-table pages the\n"
		"process holds (VmPTE), smaps' AnonHugePages, and pagelab's walk of the\n"
		"first address (a PTE leaf of 4 KiB, or a PMD leaf of 2 MiB with the PS\n"
		"bit and no PTE table).  Then an mprotect of one 4 KiB page and a munmap of\n"
		"another split 2 MiB leaves back into PTE tables, and, where the machine\n"
		"has a free hugetlbfs page (or root can reserve one), one 2 MiB\n"
		"hugetlbfs page.  Last, on kernels that allow it (6.12 on), pagelab's own\n"
		"huge object: 2 MiB per fault from the module's huge fault, and a clone\n"
		"splitting it for good.  --object shows that part alone, and fails\n"
		"where the kernel cannot.  Exit status: 0 shown, 1 a step failed or did\n"
		"not show what it should (or --object on an older kernel), 2 bad usage.\n");
}

static long minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_minflt;
}

static long long status_kb(const char *key)
{
	unsigned long long kb;

	return pl_status_kb(0, key, &kb) ? -1 : (long long)kb;
}

/* smaps' AnonHugePages of this process's mapping holding @p (kB), or -1. */
static long long anon_huge_kb(const void *p)
{
	unsigned long long start, end, v;
	char line[512];
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "re");
	long long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* A mapping's header; no "Key:" line reads as two hex numbers. */
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2) {
			in = start <= (uintptr_t)p && (uintptr_t)p < end;
		} else if (in && sscanf(line, "AnonHugePages: %llu", &v) == 1) {
			kb = (long long)v;
			break;
		}
	}
	fclose(f);
	return kb;
}

/* @len bytes at a 2 MiB boundary, or NULL. */
static unsigned char *map_aligned(size_t len, int flags)
{
	unsigned char *p = mmap(NULL, len + HUGE_SZ, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + HUGE_SZ > a)
		munmap((void *)(a + len), (uintptr_t)p + HUGE_SZ - a);
	return (unsigned char *)a;
}

/* The walk's leaf of @p in words ("PMD leaf, 2 MiB, PS"), in @buf. */
static const char *leaf_words(struct huge *h, const void *p, char *buf, size_t len,
			      unsigned int *level)
{
	struct pagelab_walk k;
	const struct pagelab_walk_entry *e = NULL;
	static const char * const names[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };

	*level = PAGELAB_LEVEL_NONE;
	if (pl_walk_ioctl(h->fd, 0, false, (uintptr_t)p, &k)) {
		snprintf(buf, len, "(the walk failed)");
		return buf;
	}
	if (!(k.found & PAGELAB_WALK_LEAF)) {
		snprintf(buf, len, "no leaf (%s)", k.absent_reason);
		return buf;
	}
	for (unsigned int i = 0; i < k.nentries && i < PAGELAB_WALK_MAX_ENTRIES; i++) {
		if (k.entries[i].flags & PAGELAB_WALK_E_LEAF)
			e = &k.entries[i];
	}
	*level = k.leaf_level;
	snprintf(buf, len, "%s leaf, %s%s; %u entries read", k.leaf_level <= PAGELAB_LEVEL_PTE ?
		 names[k.leaf_level] : "?", pl_size_words(k.leaf_size),
		 e && (e->bits & PAGELAB_E_PS) ? ", PS bit set" : "", k.nentries);
	return buf;
}

struct region_stats {
	long faults;
	long long pte_kb;	/* VmPTE grew by */
	long long thp_kb;
	unsigned int level;
};

/* Map @h->units * 2 MiB with @advice, write one byte a page: what it cost. */
static unsigned char *huge_region(struct huge *h, int advice, const char *title,
				  struct region_stats *st)
{
	size_t len = (size_t)h->units * HUGE_SZ;
	long long pte0;
	unsigned char *p;
	char words[96];
	long f0;

	p = map_aligned(len, 0);
	if (!p) {
		pl_err("huge: mmap: %s", strerror(errno));
		h->ok = false;
		return NULL;
	}
	if (madvise(p, len, advice))
		printf("  (madvise: %s)\n", strerror(errno));
	pte0 = status_kb("VmPTE");
	f0 = minflt();
	for (size_t i = 0; i < len; i += SMALL_SZ)
		p[i] = 1;
	st->faults = minflt() - f0;
	st->pte_kb = status_kb("VmPTE") - pte0;
	st->thp_kb = anon_huge_kb(p);
	printf("  %s:\n", title);
	printf("    minor faults taken: %ld (%.1f per 2 MiB)\n", st->faults,
	       (double)st->faults / h->units);
	printf("    page-table memory (VmPTE) grew by %lld kB\n", st->pte_kb);
	printf("    AnonHugePages of the mapping: %lld kB\n", st->thp_kb);
	printf("    the walk of its first address: %s\n",
	       leaf_words(h, p, words, sizeof(words), &st->level));
	return p;
}

static void huge_split(struct huge *h, unsigned char *p)
{
	unsigned int level;
	char words[96];
	long long before = anon_huge_kb(p);

	printf("\n  Splitting: mprotect(PROT_READ) of one 4 KiB page 1 MiB into the first\n"
	       "  2 MiB, and munmap of one 4 KiB page in the second:\n");
	if (mprotect(p + (1UL << 20), SMALL_SZ, PROT_READ)) {
		pl_err("huge: mprotect: %s", strerror(errno));
		h->ok = false;
		return;
	}
	if (h->units > 1 && munmap(p + HUGE_SZ + (1UL << 20), SMALL_SZ)) {
		pl_err("huge: munmap: %s", strerror(errno));
		h->ok = false;
		return;
	}
	printf("    the walk of the first address: %s\n",
	       leaf_words(h, p, words, sizeof(words), &level));
	pl_check(&h->ok, level == PAGELAB_LEVEL_PTE, "after the mprotect the first 2 MiB is not "
		 "mapped by PTEs");
	if (h->units > 1) {
		printf("    the walk of the second 2 MiB: %s\n",
		       leaf_words(h, p + HUGE_SZ, words, sizeof(words), &level));
		pl_check(&h->ok, level == PAGELAB_LEVEL_PTE, "after the munmap the second 2 MiB is "
			 "not mapped by PTEs");
	}
	printf("    AnonHugePages of the first part: %lld kB (was %lld)\n", anon_huge_kb(p),
	       before);
	printf("  What you see: a 2 MiB leaf maps 2 MiB with one protection; changing or\n"
	       "  unmapping 4 KiB of it makes the kernel split the leaf into a PTE table of\n"
	       "  512 entries (the table deposited at the huge fault), and the data stays.\n"
	       "  The huge page itself is split later, from the deferred-split queue.\n");
}

/* pagelab's own huge object (PAGELAB_CREATE_HUGE, module/huge.c). */
static void huge_object(struct huge *h)
{
	size_t len = (size_t)h->units * HUGE_SZ;
	struct pagelab_obj_stat st;
	struct pagelab_clone cl = { .fd = -1 };
	unsigned char *p, *q = NULL;
	unsigned int level;
	char words[96];
	int ofd, fd = -1;
	__u64 id;
	long f0;

	printf("\n  pagelab's own huge object (PAGELAB_CREATE_HUGE), %u MiB, mapped\n"
	       "  MAP_SHARED at a 2 MiB boundary, one byte written per 4 KiB page:\n",
	       h->units * 2);
	ofd = pl_create(h->fd, len, PAGELAB_CREATE_HUGE, 0600, "huge", &fd, &id);
	if (ofd) {
		pl_err("huge: creating the object: %s", strerror(-ofd));
		h->ok = false;
		return;
	}
	/* The object's fd maps like a file: reserve, then map over it aligned. */
	p = map_aligned(len, 0);
	if (p)
		q = mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (!p || q == MAP_FAILED) {
		pl_err("huge: mmap of the object: %s", strerror(errno));
		h->ok = false;
		if (p)
			munmap(p, len);
		goto out;
	}
	f0 = minflt();
	for (size_t i = 0; i < len; i += SMALL_SZ)
		p[i] = (unsigned char)(i / SMALL_SZ);
	printf("    minor faults taken: %ld\n", minflt() - f0);
	if (pl_obj_stat(fd, 0, &st)) {
		pl_err("huge: stat of the object: %s", strerror(errno));
		h->ok = false;
		goto out_unmap;
	}
	printf("    the module's count: %llu PMD leaves installed, %llu frames allocated\n",
	       (unsigned long long)st.huge_maps, (unsigned long long)st.allocs);
	printf("    the walk of its first address: %s\n",
	       leaf_words(h, p, words, sizeof(words), &level));
	pl_check(&h->ok, level == PAGELAB_LEVEL_PMD && st.huge_maps == h->units,
		 "the object's memory is not mapped by %u PMD leaves", h->units);
	if (pl_clone(h->fd, id, 0600, "huge-clone", &cl)) {
		pl_err("huge: clone: %s", strerror(errno));
		h->ok = false;
		goto out_unmap;
	}
	p[SMALL_SZ] = 0xee;
	if (pl_obj_stat(fd, 0, &st)) {
		h->ok = false;
		goto out_unmap;
	}
	printf("\n  A clone (every frame shared with the snapshot), then a write of one page:\n");
	printf("    2 MiB ranges split for good: %llu; pages copied by the write: %llu\n",
	       (unsigned long long)st.huge_splits, (unsigned long long)st.cow_breaks);
	printf("    the walk of the written page: %s\n",
	       leaf_words(h, p + SMALL_SZ, words, sizeof(words), &level));
	pl_check(&h->ok, level == PAGELAB_LEVEL_PTE && st.huge_splits == h->units &&
		 st.cow_breaks == 1, "the clone did not split the object to 4 KiB pages");
	printf("  What you see: the module's own huge fault allocates 512 contiguous\n"
	       "  frames and maps them with one PMD leaf.  The leaf holds no reference, so\n"
	       "  before its frames can be shared (clone, merge), evicted (a budget) or\n"
	       "  copied, the module removes every leaf of that 2 MiB and maps it by 4 KiB\n"
	       "  pages from then on: a write after the clone copies 4 KiB, not 2 MiB.\n");
out_unmap:
	munmap(p, len);
out:
	if (cl.fd >= 0)
		close(cl.fd);
	close(fd);
}

/* One 2 MiB hugetlbfs page (the kernel aligns it), or NULL. */
static unsigned char *map_hugetlb(void)
{
	void *p = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void huge_hugetlb(struct huge *h)
{
	long was = pl_nr_hugepages();
	unsigned char *p;
	unsigned int level;
	char words[96];
	long f0, faults;
	bool raised = false;

	printf("\n  hugetlbfs: a 2 MiB page from the pool the administrator reserves\n"
	       "  (/proc/sys/vm/nr_hugepages), mapped with MAP_HUGETLB:\n");
	p = map_hugetlb();
	if (!p && was >= 0 && !geteuid()) {
		raised = pl_set_nr_hugepages(was + 1);
		p = raised ? map_hugetlb() : NULL;
	}
	if (!p) {
		printf("    (no hugetlbfs page to be had here: %s; skipped)\n", strerror(errno));
		goto out_restore;
	}
	f0 = minflt();
	for (size_t i = 0; i < HUGE_SZ; i += SMALL_SZ)
		p[i] = 1;
	faults = minflt() - f0;
	printf("    minor faults taken: %ld; HugetlbPages of this process: %lld kB\n", faults,
	       status_kb("HugetlbPages"));
	printf("    the walk: %s\n", leaf_words(h, p, words, sizeof(words), &level));
	pl_check(&h->ok, level == PAGELAB_LEVEL_PMD, "the hugetlbfs page is not a PMD leaf");
	pl_check(&h->ok, faults >= 1 && faults <= 2, "%ld faults for one hugetlbfs page", faults);
	printf("  What you see: one fault, one PMD leaf, reserved memory that no one else\n"
	       "  could use, never split and never swapped: RSS does not count it\n"
	       "  (pagelab mem shows it apart, as smaps' Private_Hugetlb).\n");
	munmap(p, HUGE_SZ);
out_restore:
	if (raised && !pl_set_nr_hugepages(was))
		printf("    (could not restore nr_hugepages to %ld)\n", was);
}

/* ---- pagelab bench huge ------------------------------------------------- */

/*
 * One 2 MiB region of anonymous memory at a 2 MiB boundary, @advice given,
 * one byte written per 4 KiB page: ns for the writes, and the minor faults
 * taken in *@faults.  -1 if the region could not be had.
 */
static double bench_huge_once(int advice, long *faults)
{
	unsigned char *p = map_aligned(HUGE_SZ, 0);
	double t0, t;
	long f0;

	if (!p)
		return -1;
	madvise(p, HUGE_SZ, advice);
	f0 = minflt();
	t0 = pl_now_ns();
	for (size_t i = 0; i < HUGE_SZ; i += SMALL_SZ)
		p[i] = 1;
	t = pl_now_ns() - t0;
	*faults = minflt() - f0;
	munmap(p, HUGE_SZ);
	return t;
}

/*
 * 2 MiB of a fresh pagelab object written, a byte a page: a huge object
 * (one fault, the module's huge fault) or an ordinary one without
 * fault-around (512 faults).  The time in ns, or -1.
 */
static double bench_obj_once(int dev, bool huge, long *faults)
{
	unsigned char *p = map_aligned(HUGE_SZ, 0), *q = MAP_FAILED;
	double t = -1, t0;
	int fd = -1;
	long f0;

	if (!p)
		return -1;
	if (!pl_create(dev, HUGE_SZ, huge ? PAGELAB_CREATE_HUGE : PAGELAB_CREATE_NO_FAULT_AROUND,
		       0600, "bench-huge", &fd, NULL))
		q = mmap(p, HUGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (q != MAP_FAILED) {
		f0 = minflt();
		t0 = pl_now_ns();
		for (size_t i = 0; i < HUGE_SZ; i += SMALL_SZ)
			p[i] = 1;
		t = pl_now_ns() - t0;
		*faults = minflt() - f0;
	}
	munmap(p, HUGE_SZ);
	if (fd >= 0)
		close(fd);
	return t;
}

/* Interleaved reps of the two object kinds into @v (huge, small); reps kept in @got. */
static void bench_obj_reps(int dev, int reps, double *v[2], int got[2], long seen[2])
{
	long faults = 0;

	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < 2; k++) {
			int kind = (k + r) % 2;
			double t = bench_obj_once(dev, kind == 0, &faults);

			if (t < 0 || (kind == 0 && faults != 1) || (kind == 1 && faults < 512))
				continue;
			v[kind][got[kind]++] = t;
			seen[kind] = faults;
		}
	}
}

/**
 * bench_huge() - pagelab bench huge: mapping 2 MiB with one huge fault
 * against 512 small ones, the kernel's anonymous memory, and (6.12) a
 * pagelab huge object's against an ordinary object's and the kernel's
 * @argc: argument count (argv[1] is "huge")
 * @argv: --reps R, --json
 *
 * Return: a PL_EXIT_* status.
 */
int bench_huge(int argc, char **argv)
{
	double *v[4] = { NULL }, med[4] = { 0 }, p25, p75;
	struct pagelab_version ver;
	size_t pages = 512;
	int reps = 31, got[4] = { 0 }, dev = -1;
	long faults, seen[4] = { 0 };
	bool json = false, objs = false;
	int ret = PL_EXIT_FAIL;

	if (pl_bench_args(argc, argv, &pages, &reps, &json, NULL))
		return PL_EXIT_USAGE;
	for (int k = 0; k < 4; k++) {
		v[k] = calloc((size_t)reps, sizeof(double));
		if (!v[k]) {
			pl_err("bench huge: out of memory");
			goto out_free;
		}
	}
	/* Interleaved, the first kind alternating, so drift hits both alike. */
	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < 2; k++) {
			int kind = (k + r) % 2;
			double t = bench_huge_once(kind ? MADV_NOHUGEPAGE : MADV_HUGEPAGE, &faults);

			/* A rep counts only if it was what it says: 1 fault, or 512. */
			if (t < 0 || (kind == 0 && faults != 1) || (kind == 1 && faults < 512))
				continue;
			v[kind][got[kind]++] = t;
			seen[kind] = faults;
		}
	}
	if (!got[0]) {
		printf("huge_2m: no rep was served by one huge fault (THP off, or no free 2 MiB): "
		       "skipped\n");
		ret = PL_EXIT_OK;
		goto out_free;
	}
	if (!got[1]) {
		pl_err("bench huge: no rep took 512 small faults");
		goto out_free;
	}
	pl_quartiles(v[0], got[0], &p25, &med[0], &p75);
	pl_quartiles(v[1], got[1], &p25, &med[1], &p75);
	/* pagelab's own: a huge object against an ordinary one (6.12 on). */
	dev = pl_open_or_explain();
	if (dev < 0)
		goto out_free;
	objs = !pl_version(dev, &ver) && (ver.features & PAGELAB_FEAT_HUGE);
	if (objs) {
		bench_obj_reps(dev, reps, v + 2, got + 2, seen + 2);
		if (!got[2] || !got[3]) {
			pl_err("bench huge: no rep of a pagelab object took 1 fault (huge) or 512");
			goto out_free;
		}
		pl_quartiles(v[2], got[2], &p25, &med[2], &p75);
		pl_quartiles(v[3], got[3], &p25, &med[3], &p75);
	}
	if (json) {
		printf("{\"huge_2m_ns\": %.0f, \"small_2m_ns\": %.0f, \"huge_faults\": %ld, "
		       "\"small_faults\": %ld, \"reps\": [%d, %d], \"huge_vs_small\": %.3f",
		       med[0], med[1], seen[0], seen[1], got[0], got[1], med[0] / med[1]);
		if (objs)
			printf(", \"obj_huge_2m_ns\": %.0f, \"obj_small_2m_ns\": %.0f, "
			       "\"obj_reps\": [%d, %d], \"obj_huge_vs_small\": %.3f, "
			       "\"obj_huge_vs_thp\": %.3f", med[2], med[3], got[2], got[3],
			       med[2] / med[3], med[2] / med[0]);
		printf("}\n");
	} else {
		printf("huge_2m    %12.0f ns  (2 MiB written: %ld fault, a PMD leaf; %d reps)\n",
		       med[0], seen[0], got[0]);
		printf("small_2m   %12.0f ns  (2 MiB written: %ld faults, 4 KiB each; %d reps)\n",
		       med[1], seen[1], got[1]);
		printf("ABS huge_vs_small %.0f %.0f\n", med[0], med[1]);
		printf("RATIO huge_vs_small %.3f\n", med[0] / med[1]);
		if (objs) {
			printf("obj_huge   %12.0f ns  (a huge object's 2 MiB: %ld fault, the "
			       "module's PMD leaf; %d reps)\n", med[2], seen[2], got[2]);
			printf("obj_small  %12.0f ns  (an ordinary object's 2 MiB: %ld faults; "
			       "%d reps)\n", med[3], seen[3], got[3]);
			printf("ABS obj_huge_vs_small %.0f %.0f\n", med[2], med[3]);
			printf("RATIO obj_huge_vs_small %.3f\n", med[2] / med[3]);
			printf("ABS obj_huge_vs_thp %.0f %.0f\n", med[2], med[0]);
			printf("RATIO obj_huge_vs_thp %.3f\n", med[2] / med[0]);
		} else {
			printf("obj_huge: no huge objects on this kernel (6.12 on): skipped\n");
		}
	}
	ret = PL_EXIT_OK;
out_free:
	if (dev >= 0)
		close(dev);
	for (int k = 0; k < 4; k++)
		free(v[k]);
	return ret;
}

int cmd_huge(int argc, char **argv)
{
	struct huge h = { .units = 2, .ok = true };
	struct region_stats off, on;
	struct pagelab_version ver;
	bool object_only = false;
	unsigned long long v;
	unsigned char *a, *b;
	char mode[128] = "";
	FILE *f;

	if (pl_wants_help(argc, argv)) {
		huge_usage(stdout);
		return PL_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mib") && i + 1 < argc) {
			if (!pl_parse_addr(argv[++i], &v) || v < 2 || v > 64 || v % 2) {
				pl_err("huge: --mib wants an even number from 2 to 64, not '%s'",
				       argv[i]);
				return PL_EXIT_USAGE;
			}
			h.units = (unsigned int)(v / 2);
		} else if (!strcmp(argv[i], "--object")) {
			object_only = true;
		} else {
			pl_err("huge: unknown argument '%s' (see --help)", argv[i]);
			return PL_EXIT_USAGE;
		}
	}
	h.fd = pl_open_or_explain();
	if (h.fd < 0)
		return PL_EXIT_FAIL;
	if (pl_version(h.fd, &ver))
		ver.features = 0;
	if (object_only) {
		if (!(ver.features & PAGELAB_FEAT_HUGE)) {
			pl_err("huge: pagelab's huge objects need kernel 6.12 or later (this is %s)",
			       ver.kernel);
			close(h.fd);
			return PL_EXIT_FAIL;
		}
		huge_object(&h);
		close(h.fd);
		return h.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
	}
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
		mode[strcspn(mode, "\n")] = '\0';
	}
	printf("  transparent huge pages: %s (the [choice] is in force)\n",
	       mode[0] ? mode : "not built in");
	printf("  %u MiB of anonymous memory, one byte written per 4 KiB page:\n\n",
	       h.units * 2);
	a = huge_region(&h, MADV_NOHUGEPAGE, "THP off (MADV_NOHUGEPAGE)", &off);
	b = a ? huge_region(&h, MADV_HUGEPAGE, "THP on (MADV_HUGEPAGE)", &on) : NULL;
	if (!b)
		goto out;
	pl_check(&h.ok, off.level == PAGELAB_LEVEL_PTE, "with THP off the leaf is not a PTE");
	pl_check(&h.ok, off.faults >= 512L * h.units, "with THP off only %ld faults", off.faults);
	if (strstr(mode, "[never]") || !on.thp_kb) {
		printf("\n  (no huge page was mapped: THP is off here, or no 2 MiB of free\n"
		       "  contiguous memory was found; the rest is skipped)\n");
		goto out;
	}
	pl_check(&h.ok, on.level == PAGELAB_LEVEL_PMD, "with THP on the leaf is not a PMD");
	/* A 2 MiB unit the kernel found no huge page for took 4 KiB faults. */
	pl_check(&h.ok, on.faults <= 4L * (on.thp_kb / 2048) +
		 512L * (h.units - on.thp_kb / 2048), "with THP on %ld faults for %lld huge "
		 "pages", on.faults, on.thp_kb / 2048);
	printf("\n  What you see: with huge pages one fault maps 2 MiB (a PMD entry with the\n"
	       "  PS bit, pointing at 512 contiguous frames), where 4 KiB pages take 512\n"
	       "  faults and a 4 KiB PTE table per 2 MiB.  VmPTE still grows with THP on:\n"
	       "  the kernel deposits one PTE table per huge page, so that splitting it\n"
	       "  later never has to allocate.\n");
	huge_split(&h, b);
out:
	if (a)
		munmap(a, (size_t)h.units * HUGE_SZ);
	if (b)
		munmap(b, (size_t)h.units * HUGE_SZ);
	if (a && b)
		huge_hugetlb(&h);
	if (ver.features & PAGELAB_FEAT_HUGE)
		huge_object(&h);
	else
		printf("\n  pagelab's own huge objects: not on this kernel (6.12 on maps them).\n");
	close(h.fd);
	return h.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}
