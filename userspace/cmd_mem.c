// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab mem - how much memory a process uses: VSZ, RSS, PSS, USS, shared
 * and swap per mapping and in total, counted page by page from pagelab's
 * scan and each frame's map count, and set beside /proc/PID/smaps_rollup
 * with every difference named.  --demo is the tour's stop: one parent,
 * three forked children, four RSS for one memory, and a page swapped out.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_mem.h"
#include "pl_test_util.h"

static void mem_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab mem [--pid PID] [--json] [--shared-with]\n"
		"       pagelab mem --demo\n\n"
		"How much memory process PID (default: this one) uses, per mapping and\n"
		"in total, counted page by page from pagelab's scan of its page tables:\n"
		"  VSZ     addresses mapped\n"
		"  RSS     pages present (not the zero page, not hugetlbfs pages)\n"
		"  PSS     each RSS page divided by the number of mappings of its frame\n"
		"  USS     RSS pages mapped by this process alone: what exiting frees\n"
		"  shared  RSS pages whose frames are mapped more than once\n"
		"  swap    pages whose page-table entry points into swap\n"
		"and, apart: entries mapping the zero page, pagelab objects' pages, and\n"
		"their pages paged out to an object's store.  The kernel's own figures\n"
		"(/proc/PID/smaps_rollup) are printed beside them, and each difference\n"
		"is named with the kernel rule behind it.  A process that runs while it\n"
		"is measured may differ: stop it first (kill -STOP PID).\n\n"
		"  --pid PID       measure that process (reading another process needs\n"
		"                  what a ptrace read needs)\n"
		"  --json          one JSON object: totals (vsz_kb, rss_kb, pss_kb, uss_kb,\n"
		"                  shared_kb, swap_kb, ...), smaps_rollup, mappings\n"
		"  --shared-with   for shared pages, the processes (and their mappings)\n"
		"                  that map the same frames\n"
		"  --demo          the walk-through: a parent and three forked children\n\n"
		"PSS, USS and --shared-with need each frame and its map count\n"
		"(/proc/kpagecount): run as root.  Otherwise USS is pagemap's\n"
		"\"exclusive\" and PSS is not given.  Exit status: 0 measured, 1 not\n"
		"(the reason is printed), 2 bad usage.\n");
}

/* ---- text -------------------------------------------------------------- */

/*
 * @s for a terminal: any other user's process may name a mapping or itself
 * with control bytes, so everything but printable ASCII is written \ooo.
 */
static const char *mem_safe(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\%03o", c);
	}
	buf[o] = '\0';
	return buf;
}

static void mem_row(const char *what, const struct pl_mem_count *c, bool pss_known)
{
	printf(" %10" PRIu64 " %9" PRIu64, pl_mem_kb(c, PL_MEM_VSZ), pl_mem_kb(c, PL_MEM_RSS));
	if (pss_known)
		printf(" %9" PRIu64, pl_mem_pss_kb(c));
	else
		printf(" %9s", "-");
	printf(" %9" PRIu64 " %9" PRIu64 " %8" PRIu64 " %7" PRIu64 "  %s\n",
	       pl_mem_kb(c, PL_MEM_USS), pl_mem_kb(c, PL_MEM_SHARED), pl_mem_kb(c, PL_MEM_SWAP),
	       pl_mem_kb(c, PL_MEM_ZERO), what);
}

static void mem_print_peers(const struct pl_mem_area *a)
{
	for (size_t j = 0; j < a->npeers; j++) {
		const struct pl_mem_peer *p = &a->peers[j];

		char comm[96], name[1024];

		printf("%32s shared with pid %d (%s) %s: %" PRIu64 " kB\n", "", (int)p->pid,
		       mem_safe(p->comm, comm, sizeof(comm)),
		       mem_safe(p->mapping, name, sizeof(name)), p->pages * 4);
	}
}

/* Where a mapping's figures and its smaps lines differ, smaps' figures below it. */
static void mem_print_area_diff(const struct pl_mem_area *a, bool pss_known)
{
	bool differ = false;

	for (unsigned int w = 0; w < PL_MEM_NR_CMP; w++) {
		if (w == PL_MEM_CMP_PSS && !pss_known)
			continue;
		differ |= pl_mem_cmp_ours(&a->c, w) != pl_mem_cmp_kernel(&a->k, w);
	}
	if (!differ)
		return;
	printf("%31s   smaps says:", "");
	for (unsigned int w = 0; w < PL_MEM_NR_CMP; w++) {
		if (w == PL_MEM_CMP_PSS && !pss_known)
			continue;
		if (pl_mem_cmp_ours(&a->c, w) != pl_mem_cmp_kernel(&a->k, w))
			printf(" %s %" PRIu64, pl_mem_cmp_name(w), pl_mem_cmp_kernel(&a->k, w));
	}
	printf("\n");
}

/* The comparison with smaps_rollup; returns the number of unexplained differences. */
static int mem_print_compare(const struct pl_mem *m)
{
	int unexplained = 0;

	printf("\n%-14s %10s %10s %10s\n", "vs the kernel", "pagelab", "smaps", "differ");
	for (unsigned int w = 0; w < PL_MEM_NR_CMP; w++) {
		uint64_t ours = pl_mem_cmp_ours(&m->total, w);
		uint64_t k = pl_mem_cmp_kernel(&m->rollup, w);
		int64_t d = (int64_t)(k - ours), ex;
		const char *rule;

		if (w == PL_MEM_CMP_PSS && !m->pss_known) {
			printf("%-14s %10s %10" PRIu64 " %10s  (PSS needs root: see --help)\n",
			       pl_mem_cmp_name(w), "-", k, "-");
			continue;
		}
		printf("%-14s %10" PRIu64 " %10" PRIu64 " %+10" PRId64 "\n", pl_mem_cmp_name(w),
		       ours, k, d);
		if (!d)
			continue;
		ex = pl_mem_explained(m, w, &rule);
		if (ex)
			printf("  %" PRId64 " kB of it: %s\n", ex, rule);
		if (d != ex) {
			unexplained++;
			printf("  %" PRId64 " kB of it: no kernel rule explains it%s\n", d - ex,
			       m->changed ? " (the process changed while measured)" : "");
		}
	}
	return unexplained;
}

static void mem_print_notes(const struct pl_mem *m)
{
	const struct pl_mem_count *t = &m->total;

	if (t->pages[PL_MEM_ZERO])
		printf("zero page: %" PRIu64 " kB of entries map the zero page; the kernel counts "
		       "them in no Rss (one frame, the same for every process)\n",
		       pl_mem_kb(t, PL_MEM_ZERO));
	if (t->pages[PL_MEM_OBJECT] || t->pages[PL_MEM_STORED])
		printf("pagelab objects: %" PRIu64 " kB of the RSS; %" PRIu64 " kB paged out to "
		       "their stores, which are not swap and in no kernel figure\n",
		       pl_mem_kb(t, PL_MEM_OBJECT), pl_mem_kb(t, PL_MEM_STORED));
	if (t->pages[PL_MEM_THP])
		printf("huge pages: %" PRIu64 " kB of the RSS are anonymous pages mapped by 2 MiB "
		       "leaves (AnonHugePages); each 4 KiB of them is counted with its own map "
		       "count\n", pl_mem_kb(t, PL_MEM_THP));
	if (t->pages[PL_MEM_HUGETLB])
		printf("hugetlbfs: %" PRIu64 " kB mapped, in no Rss or Pss (the kernel counts them "
		       "apart, as Private_Hugetlb and Shared_Hugetlb)\n",
		       pl_mem_kb(t, PL_MEM_HUGETLB));
	if (t->pages[PL_MEM_MIGRATING])
		printf("moving: %" PRIu64 " kB of entries point at pages being migrated (or in device "
		       "memory, or poisoned): counted resident, as smaps counts them\n",
		       pl_mem_kb(t, PL_MEM_MIGRATING));
	if (t->pages[PL_MEM_MARKER])
		printf("markers: %" PRIu64 " kB of entries hold no page (userfaultfd's write-protect "
		       "and poison markers): pagemap shows them as swap, smaps counts them nowhere\n",
		       pl_mem_kb(t, PL_MEM_MARKER));
	if (t->pages[PL_MEM_NO_PAGE])
		printf("no page: %" PRIu64 " kB of entries map memory with no page structure (device "
		       "memory, DAX): in no Rss\n", pl_mem_kb(t, PL_MEM_NO_PAGE));
	if (t->pages[PL_MEM_PFNMAP])
		printf("PFN leaves: %" PRIu64 " kB mapped by 2 MiB leaves of pagelab huge objects "
		       "(VM_PFNMAP, special entries holding no page reference, which smaps "
		       "does not count): in no Rss or Pss here either, only in the object "
		       "column\n", pl_mem_kb(t, PL_MEM_PFNMAP));
	if (m->self)
		printf("this is pagelab measuring itself: its own allocations change it as it "
		       "counts\n");
	else if (m->changed)
		printf("the process changed while measured (smaps_rollup differed before and after"
		       "%s): stop it (kill -STOP %d) for figures that must agree\n",
		       m->stray_pages ? ", or pages lay outside its mappings" : "", (int)m->pid);
	if (!m->pss_known)
		printf("not root: no frames or map counts, so no PSS; USS is pagemap's "
		       "\"exclusive\" (mapped once)\n");
}

static int mem_print_text(const struct pl_mem *m)
{
	char buf[1024];

	printf("pid %d (%s): %zu mappings, in kB\n\n", (int)m->pid,
	       mem_safe(m->comm, buf, sizeof(buf)), m->nareas);
	printf("%-31s %10s %9s %9s %9s %9s %8s %7s  %s\n", "address", "vsz", "rss", "pss", "uss",
	       "shared", "swap", "zero", "mapping");
	for (size_t i = 0; i < m->nareas; i++) {
		const struct pl_mem_area *a = &m->areas[i];
		char range[48];

		snprintf(range, sizeof(range), "%012" PRIx64 "-%012" PRIx64 " %s", a->start,
			 a->end, a->perms);
		printf("%-31s", range);
		mem_row(*a->name ? mem_safe(a->name, buf, sizeof(buf)) : "[anon]", &a->c,
			m->pss_known);
		mem_print_area_diff(a, m->pss_known);
		mem_print_peers(a);
	}
	printf("%-31s", "total");
	mem_row("", &m->total, m->pss_known);
	mem_print_compare(m);
	mem_print_notes(m);
	if (m->peers_unreadable)
		printf("--shared-with: %u processes could not be read\n", m->peers_unreadable);
	return PL_EXIT_OK;
}

/* ---- JSON -------------------------------------------------------------- */

static void mem_json_count(const struct pl_mem_count *c, bool pss_known)
{
	for (int f = 0; f < PL_MEM_NR_FIELDS; f++) {
		printf("%s\"%s\":%" PRIu64, f ? "," : "", pl_mem_field_key(f), pl_mem_kb(c, f));
		if (f == PL_MEM_RSS) {
			if (pss_known)
				printf(",\"pss_kb\":%" PRIu64, pl_mem_pss_kb(c));
			else
				printf(",\"pss_kb\":null");
		}
	}
}

static void mem_json_kernel(const struct pl_mem_kernel *k)
{
	printf("{\"rss_kb\":%" PRIu64 ",\"pss_kb\":%" PRIu64 ",\"private_kb\":%" PRIu64
	       ",\"shared_kb\":%" PRIu64 ",\"swap_kb\":%" PRIu64 ",\"hugetlb_kb\":%" PRIu64
	       ",\"anon_huge_kb\":%" PRIu64 "}", k->rss, k->pss, k->private_kb, k->shared, k->swap,
	       k->hugetlb, k->thp);
}

static void mem_json_area(const struct pl_mem_area *a, bool pss_known)
{
	printf("{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"perms\":", a->start,
	       a->end);
	pl_json_str(a->perms);
	printf(",\"mapping\":");
	pl_json_str(a->name);
	printf(",");
	mem_json_count(&a->c, pss_known);
	printf(",\"smaps\":");
	mem_json_kernel(&a->k);
	printf(",\"shared_with\":[");
	for (size_t j = 0; j < a->npeers; j++) {
		const struct pl_mem_peer *p = &a->peers[j];

		printf("%s{\"pid\":%d,\"comm\":", j ? "," : "", (int)p->pid);
		pl_json_str(p->comm);
		printf(",\"mapping\":");
		pl_json_str(p->mapping);
		printf(",\"kb\":%" PRIu64 "}", p->pages * 4);
	}
	printf("]}");
}

static int mem_print_json(const struct pl_mem *m)
{
	const char *sep = "";

	printf("{\"pid\":%d,\"comm\":", (int)m->pid);
	pl_json_str(m->comm);
	printf(",\"pss_known\":%s,\"changed\":%s,", m->pss_known ? "true" : "false",
	       m->changed ? "true" : "false");
	mem_json_count(&m->total, m->pss_known);
	printf(",\"smaps_rollup\":");
	mem_json_kernel(&m->rollup);
	printf(",\"differences\":[");
	for (unsigned int w = 0; w < PL_MEM_NR_CMP; w++) {
		int64_t d = (int64_t)(pl_mem_cmp_kernel(&m->rollup, w) -
				      pl_mem_cmp_ours(&m->total, w)), ex;
		const char *rule;

		if (!d || (w == PL_MEM_CMP_PSS && !m->pss_known))
			continue;
		ex = pl_mem_explained(m, w, &rule);
		printf("%s{\"figure\":\"%s\",\"key\":\"%s\",\"kb\":%" PRId64 ",\"explained_kb\":%"
		       PRId64 ",\"rule\":", sep, pl_mem_cmp_name(w), pl_mem_cmp_key(w), d, ex);
		pl_json_str(rule ? rule : "");
		printf("}");
		sep = ",";
	}
	printf("],\"mappings\":[");
	for (size_t i = 0; i < m->nareas; i++) {
		printf("%s", i ? "," : "");
		mem_json_area(&m->areas[i], m->pss_known);
	}
	printf("],\"peers_unreadable\":%u}\n", m->peers_unreadable);
	return PL_EXIT_OK;
}

/* ---- --demo ------------------------------------------------------------ */

#define DEMO_PAGES	2048U	/* 8 MiB */
#define DEMO_OWN	256U	/* pages the first child writes: its own 1 MiB */
#define DEMO_SWAP	64U	/* pages the parent swaps out */
#define DEMO_KIDS	3

struct demo {
	unsigned char *p;
	size_t len;
	pid_t pid[DEMO_KIDS + 1];	/* [0] the parent */
	int alive;			/* processes [0, alive) are there */
	int go[2];			/* children wait on it */
	bool ok;
	int fd;
};

/* The region's mapping in a measurement (NULL if it is not one). */
static const struct pl_mem_area *demo_area(const struct pl_mem *m, const void *p)
{
	for (size_t i = 0; i < m->nareas; i++) {
		if (m->areas[i].start == (uintptr_t)p)
			return &m->areas[i];
	}
	return NULL;
}

/*
 * One table: the region's RSS, PSS and USS in each process, and their
 * sums; the sums in *@rss, *@pss (kB).  Each child's totals are checked
 * against its smaps_rollup (a child sleeps while it is measured).
 */
static int demo_table(struct demo *d, uint64_t *rss, uint64_t *pss, uint64_t *uss0)
{
	uint64_t srss = 0, spss = 0, suss = 0;

	printf("    %-16s %9s %9s %9s %9s   (kB, of the 8 MiB region)\n", "process", "rss", "pss",
	       "uss", "swap");
	for (int i = 0; i < d->alive; i++) {
		const struct pl_mem_area *a;
		struct pl_mem m;
		char why[160], who[24];

		if (!d->pid[i])
			continue;
		/* The running parent's writes may change a child while it is counted. */
		for (int tries = 0;; tries++) {
			if (pl_mem_measure(d->fd, d->pid[i], 0, &m, why, sizeof(why))) {
				pl_err("mem: %s", why);
				return -1;
			}
			if (!m.changed || m.self || tries == 2)
				break;
			pl_mem_free(&m);
		}
		a = demo_area(&m, d->p);
		if (!a) {
			pl_err("mem: process %d has no mapping at %p", (int)d->pid[i], d->p);
			pl_mem_free(&m);
			return -1;
		}
		snprintf(who, sizeof(who), "%s %d", i ? "child" : "parent", (int)d->pid[i]);
		printf("    %-16s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", who,
		       pl_mem_kb(&a->c, PL_MEM_RSS), pl_mem_pss_kb(&a->c), pl_mem_kb(&a->c, PL_MEM_USS),
		       pl_mem_kb(&a->c, PL_MEM_SWAP));
		srss += pl_mem_kb(&a->c, PL_MEM_RSS);
		spss += pl_mem_pss_kb(&a->c);
		suss += pl_mem_kb(&a->c, PL_MEM_USS);
		if (i == 1 && uss0)
			*uss0 = pl_mem_kb(&a->c, PL_MEM_USS);
		if (i) {
			bool same = m.total.pages[PL_MEM_RSS] * 4 == m.rollup.rss &&
				    pl_mem_pss_kb(&m.total) == m.rollup.pss &&
				    m.total.pages[PL_MEM_USS] * 4 == m.rollup.private_kb &&
				    m.total.pages[PL_MEM_SWAP] * 4 == m.rollup.swap;

			pl_check(&d->ok, same, "child %d: totals %" PRIu64 "/%" PRIu64 "/%" PRIu64
				 " kB (rss/pss/uss) but smaps_rollup says %" PRIu64 "/%" PRIu64
				 "/%" PRIu64, (int)d->pid[i], pl_mem_kb(&m.total, PL_MEM_RSS),
				 pl_mem_pss_kb(&m.total), pl_mem_kb(&m.total, PL_MEM_USS),
				 m.rollup.rss, m.rollup.pss, m.rollup.private_kb);
		}
		pl_mem_free(&m);
	}
	printf("    %-16s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", "sum", srss, spss, suss);
	*rss = srss;
	*pss = spss;
	return 0;
}

static void demo_kids_go(struct demo *d)
{
	for (int i = 1; i <= DEMO_KIDS; i++) {
		if (d->pid[i] > 0) {
			kill(d->pid[i], SIGKILL);
			waitpid(d->pid[i], NULL, 0);
		}
	}
}

static uint64_t meminfo_kb(const char *key)
{
	unsigned long long v = 0;
	char line[128];
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			sscanf(line + n + 1, "%llu", &v);
			break;
		}
	}
	fclose(f);
	return v;
}

/* How many of the @n pages at @q are still present (pagemap). */
static unsigned int demo_resident(unsigned char *q, unsigned int n)
{
	unsigned int left = 0;

	for (unsigned int i = 0; i < n; i++)
		left += pl_pm_present(pl_pm_self(q + (size_t)i * 4096));
	return left;
}

static void demo_swap(struct demo *d)
{
	unsigned char *q = d->p + (size_t)(DEMO_PAGES - DEMO_SWAP) * 4096;
	uint64_t rss, pss, uss;
	bool ours, intact = true;
	const char *why;
	int tries;

	printf("\n  The parent writes its last %u pages (each write copies: the children keep\n"
	       "  the old frames), then asks the kernel to page them out (MADV_PAGEOUT):\n\n",
	       DEMO_SWAP);
	why = pl_zram_swap_on(&ours);
	if (why) {
		printf("    (no swap to page out to: %s; this part is skipped)\n", why);
		return;
	}
	for (size_t i = 0; i < DEMO_SWAP * 4096UL; i += 4096)
		q[i] = 0xa5;
	for (tries = 0; tries < 5 && demo_resident(q, DEMO_SWAP); tries++) {
		if (madvise(q, DEMO_SWAP * 4096UL, MADV_PAGEOUT))
			break;
	}
	if (demo_table(d, &rss, &pss, &uss))
		d->ok = false;
	printf("\n  What you see: the parent's RSS fell by what went to swap, and its swap\n"
	       "  column holds it; the data lives on.  Reading it back (a major fault per\n"
	       "  page) brings it in again:\n");
	for (size_t i = 0; i < DEMO_SWAP * 4096UL; i += 4096)
		intact &= q[i] == 0xa5;
	pl_check(&d->ok, intact, "a swapped-out page did not read back what was written");
	printf("    read back: %s\n", intact ? "every page as written" : "WRONG DATA");
	if (ours && system("swapoff /dev/zram0 >/dev/null 2>&1"))
		printf("    (swapoff /dev/zram0 failed)\n");
}

static int mem_demo(void)
{
	struct demo d = { .ok = true, .go = { -1, -1 } };
	uint64_t rss, pss, uss1 = 0, anon;
	char c;

	d.fd = pl_open_or_explain();
	if (d.fd < 0)
		return PL_EXIT_FAIL;
	d.len = (size_t)DEMO_PAGES * 4096;
	d.p = mmap(NULL, d.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d.p == MAP_FAILED || pipe(d.go)) {
		pl_err("mem: %s", strerror(errno));
		close(d.fd);
		return PL_EXIT_FAIL;
	}
	/* 4 KiB pages throughout: page-out takes them one by one. */
	madvise(d.p, d.len, MADV_NOHUGEPAGE);
	memset(d.p, 0x5a, d.len);
	d.pid[0] = getpid();
	d.alive = 1;
	fflush(stdout);
	for (int i = 1; i <= DEMO_KIDS; i++) {
		d.pid[i] = fork();
		if (d.pid[i] < 0) {
			pl_err("mem: fork: %s", strerror(errno));
			d.ok = false;
			break;
		}
		if (!d.pid[i]) {
			close(d.go[1]);
			if (i == 1)
				memset(d.p, 0x11, (size_t)DEMO_OWN * 4096);
			/* Sleep until the parent goes: measured while not running. */
			while (read(d.go[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		d.alive = i + 1;
	}
	close(d.go[0]);
	if (!d.ok)
		goto out_kids;
	/* The first child has written its 1 MiB when it sleeps. */
	usleep(200000);
	printf("  The parent wrote 8 MiB of anonymous memory, then forked three children;\n"
	       "  the first child wrote 1 MiB of it.  Each process, for the region only:\n\n");
	if (demo_table(&d, &rss, &pss, &uss1))
		goto out_kids;
	pl_check(&d.ok, rss == 4 * 8192, "the four RSS add up to %" PRIu64 " kB, not 32768", rss);
	pl_check(&d.ok, pss <= 8192 + DEMO_OWN * 4 && pss + 3 >= 8192 + DEMO_OWN * 4,
		 "the four PSS add up to %" PRIu64 " kB, not about %u", pss, 8192 + DEMO_OWN * 4);
	printf("\n  What you see: RSS counts every frame a process maps, so four processes\n"
	       "  sharing 8 MiB show 32 MiB between them.  PSS divides each frame by the\n"
	       "  number of processes mapping it: the sums are the memory really used (8 MiB,\n"
	       "  and the 1 MiB the first child copied by writing).  USS is what a process\n"
	       "  maps alone: the first child's 1 MiB, which is what killing it frees.\n");

	printf("\n  The first child is killed:\n\n");
	anon = meminfo_kb("AnonPages");
	kill(d.pid[1], SIGKILL);
	waitpid(d.pid[1], NULL, 0);
	d.pid[1] = 0;
	anon -= meminfo_kb("AnonPages");
	if (demo_table(&d, &rss, &pss, NULL))
		goto out_kids;
	printf("    the kernel's AnonPages fell by %" PRId64 " kB (its USS was %" PRIu64
	       " kB; other activity blurs the count)\n", (int64_t)anon, uss1);
	pl_check(&d.ok, pss + 2 >= 8192 && pss <= 8192, "the three PSS add up to %" PRIu64
		 " kB, not 8192", pss);
	demo_swap(&d);
out_kids:
	demo_kids_go(&d);
	close(d.go[1]);
	munmap(d.p, d.len);
	close(d.fd);
	return d.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}

/* ---- the command ------------------------------------------------------- */

int cmd_mem(int argc, char **argv)
{
	bool json = false, with = false;
	unsigned long long v;
	pid_t pid = getpid();
	struct pl_mem m;
	char why[192];
	int fd, ret;

	if (pl_wants_help(argc, argv)) {
		mem_usage(stdout);
		return PL_EXIT_OK;
	}
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (!strcmp(argv[a], "--shared-with")) {
			with = true;
		} else if (!strcmp(argv[a], "--demo") && argc == 2) {
			return mem_demo();
		} else if (!strcmp(argv[a], "--pid") && a + 1 < argc) {
			char *end;

			errno = 0;
			v = strtoull(argv[++a], &end, 10);
			if (errno || *end || !isdigit((unsigned char)argv[a][0]) || !v ||
			    v > 0x7fffffff) {
				pl_err("mem: bad pid '%s'", argv[a]);
				return PL_EXIT_USAGE;
			}
			pid = (pid_t)v;
		} else {
			pl_err("mem: unknown or misplaced argument '%s' (see --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	ret = pl_mem_measure(fd, pid, with ? PL_MEM_SHARED_WITH : 0, &m, why, sizeof(why));
	close(fd);
	if (ret) {
		pl_err("mem: %s", why);
		pl_mem_free(&m);
		return PL_EXIT_FAIL;
	}
	if (with && !m.pss_known)
		pl_err("mem: --shared-with needs each frame (root): not given");
	ret = json ? mem_print_json(&m) : mem_print_text(&m);
	pl_mem_free(&m);
	return ret;
}
