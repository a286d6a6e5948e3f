// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - a process's memory counted page by page (pagelab mem).
 *
 * The mappings and the kernel's own figures come from /proc/PID/smaps and
 * smaps_rollup; the pages from PAGELAB_IOC_SCAN (runs of pages with the same
 * categories and consecutive frames); each frame's map count from
 * /proc/kpagecount.  The rules are smaps' (fs/proc/task_mmu.c,
 * smaps_account()): a present page counts in Rss unless it is the zero page
 * (4 KiB or huge) or a hugetlbfs page; mapped fewer than twice it is
 * Private and adds PAGE_SIZE to Pss, else Shared and adds PAGE_SIZE / map
 * count, summed in units of 2^-12 bytes and rounded down once at the end.
 * A swap entry in the page tables counts in Swap.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "pagelab_lib.h"
#include "pl_mem.h"
#include "pl_scan.h"

#define PL_PAGE		4096ULL
#define PSS_SHIFT	12
/* /proc/kpageflags: the zero page, 4 KiB or huge (KPF_ZERO_PAGE). */
#define KPF_ZERO_PAGE	24
/* Map counts read per pread() of /proc/kpagecount. */
#define KPC_BATCH	4096

static const char * const field_key[PL_MEM_NR_FIELDS] = {
	[PL_MEM_VSZ] = "vsz_kb", [PL_MEM_RSS] = "rss_kb", [PL_MEM_USS] = "uss_kb",
	[PL_MEM_SHARED] = "shared_kb", [PL_MEM_SWAP] = "swap_kb", [PL_MEM_ZERO] = "zero_kb",
	[PL_MEM_OBJECT] = "object_kb", [PL_MEM_STORED] = "stored_kb",
	[PL_MEM_HUGETLB] = "hugetlb_kb", [PL_MEM_THP] = "thp_kb",
	[PL_MEM_MIGRATING] = "migrating_kb", [PL_MEM_MARKER] = "marker_kb",
	[PL_MEM_NO_PAGE] = "no_page_kb", [PL_MEM_PFNMAP] = "pfnmap_kb",
};

const char *pl_mem_field_key(enum pl_mem_field f)
{
	return f < PL_MEM_NR_FIELDS ? field_key[f] : NULL;
}

uint64_t pl_mem_kb(const struct pl_mem_count *c, enum pl_mem_field f)
{
	return c->pages[f] * (PL_PAGE / 1024);
}

uint64_t pl_mem_pss_kb(const struct pl_mem_count *c)
{
	return (c->pss_fp >> PSS_SHIFT) >> 10;
}

static const char * const cmp_name[PL_MEM_NR_CMP] = {
	"Rss", "Pss", "Private", "Swap", "Shared", "Hugetlb", "AnonHugePages",
};
static const char * const cmp_key[PL_MEM_NR_CMP] = {
	"rss_kb", "pss_kb", "uss_kb", "swap_kb", "shared_kb", "hugetlb_kb", "thp_kb",
};

const char *pl_mem_cmp_name(unsigned int which)
{
	return which < PL_MEM_NR_CMP ? cmp_name[which] : NULL;
}

const char *pl_mem_cmp_key(unsigned int which)
{
	return which < PL_MEM_NR_CMP ? cmp_key[which] : NULL;
}

uint64_t pl_mem_cmp_ours(const struct pl_mem_count *c, unsigned int which)
{
	static const enum pl_mem_field f[PL_MEM_NR_CMP] = {
		PL_MEM_RSS, PL_MEM_RSS, PL_MEM_USS, PL_MEM_SWAP, PL_MEM_SHARED,
		PL_MEM_HUGETLB, PL_MEM_THP,
	};

	if (which == PL_MEM_CMP_PSS)
		return pl_mem_pss_kb(c);
	return pl_mem_kb(c, f[which]);
}

uint64_t pl_mem_cmp_kernel(const struct pl_mem_kernel *k, unsigned int which)
{
	switch (which) {
	case PL_MEM_CMP_RSS:
		return k->rss;
	case PL_MEM_CMP_PSS:
		return k->pss;
	case PL_MEM_CMP_USS:
		return k->private_kb;
	case PL_MEM_CMP_SWAP:
		return k->swap;
	case PL_MEM_CMP_SHARED:
		return k->shared;
	case PL_MEM_CMP_HUGETLB:
		return k->hugetlb;
	default:
		return k->thp;
	}
}

/*
 * A swap difference in a mapping of a file: only a shmem (tmpfs) file's
 * Swap is read from the file rather than the page tables.
 */
static const char shmem_rule[] =
	"a shmem/tmpfs mapping's Swap is the file's pages in swap, which the kernel reads "
	"from the file: swapping one out clears its page-table entry";

int64_t pl_mem_explained(const struct pl_mem *m, unsigned int which, const char **rule)
{
	int64_t kb = 0;

	*rule = NULL;
	if (which != PL_MEM_CMP_SWAP)
		return 0;
	for (size_t i = 0; i < m->nareas; i++) {
		const struct pl_mem_area *a = &m->areas[i];
		uint64_t ours = pl_mem_kb(&a->c, PL_MEM_SWAP);

		if (a->shmem && a->k.swap > ours) {
			kb += (int64_t)(a->k.swap - ours);
			*rule = shmem_rule;
		}
	}
	return kb;
}

/* ---- /proc/PID/smaps and smaps_rollup ---------------------------------- */

/* One "Key:   N kB" line of smaps into @k; false if it is not one we keep. */
static bool smaps_line(const char *line, struct pl_mem_kernel *k)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "Rss:", offsetof(struct pl_mem_kernel, rss) },
		{ "Pss:", offsetof(struct pl_mem_kernel, pss) },
		{ "Private_Clean:", offsetof(struct pl_mem_kernel, private_kb) },
		{ "Private_Dirty:", offsetof(struct pl_mem_kernel, private_kb) },
		{ "Shared_Clean:", offsetof(struct pl_mem_kernel, shared) },
		{ "Shared_Dirty:", offsetof(struct pl_mem_kernel, shared) },
		{ "Swap:", offsetof(struct pl_mem_kernel, swap) },
		{ "Private_Hugetlb:", offsetof(struct pl_mem_kernel, hugetlb) },
		{ "Shared_Hugetlb:", offsetof(struct pl_mem_kernel, hugetlb) },
		{ "AnonHugePages:", offsetof(struct pl_mem_kernel, thp) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i].key);
		unsigned long long v;

		if (strncmp(line, keys[i].key, n))
			continue;
		if (sscanf(line + n, "%llu", &v) != 1)
			return false;
		*(uint64_t *)((char *)k + keys[i].off) += v;
		return true;
	}
	return false;
}

static int read_rollup(pid_t pid, struct pl_mem_kernel *k)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	memset(k, 0, sizeof(*k));
	errno = 0;
	while (fgets(line, sizeof(line), f))
		smaps_line(line, k);
	/* A process without a memory map: an empty file, or ESRCH (6.x on). */
	if (ferror(f)) {
		int err = errno ? -errno : -EIO;

		fclose(f);
		return err;
	}
	fclose(f);
	return 0;
}

/*
 * "start-end perms offset dev inode   name": a mapping's header line in
 * smaps.  Fills @a (name malloc'd); false if @line is not one.
 */
static bool smaps_header(char *line, struct pl_mem_area *a)
{
	unsigned long long start, end, off, inode;
	char perms[8], dev[16];
	int n = 0;
	char *name;

	if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &start, &end, perms, &off, dev, &inode,
		   &n) < 6 || !n)
		return false;
	name = line + n;
	name[strcspn(name, "\n")] = '\0';
	memset(a, 0, sizeof(*a));
	a->start = start;
	a->end = end;
	snprintf(a->perms, sizeof(a->perms), "%s", perms);
	a->inode = inode;
	a->name = strdup(name);
	return a->name != NULL;
}

/*
 * @pid's mappings from /proc/PID/@file ("smaps", with each mapping's
 * figures, or "maps") into *@areas (malloc'd, names too), *@n of them.
 */
static int read_areas(pid_t pid, const char *file, struct pl_mem_area **areas, size_t *n)
{
	char path[64], *line = NULL;
	struct pl_mem_area *v = NULL, *cur = NULL;
	size_t cap = 0, len = 0, lcap = 0;
	int ret = 0;
	FILE *f;

	*areas = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	errno = 0;
	while (getline(&line, &lcap, f) > 0) {
		struct pl_mem_area a;

		if (!isxdigit((unsigned char)line[0]) || !smaps_header(line, &a)) {
			if (cur && !strncmp(line, "VmFlags:", 8))
				cur->pfnmap = strstr(line, " pf ") || strstr(line, " pf\n");
			else if (cur)
				smaps_line(line, &cur->k);
			continue;
		}
		if (len == cap) {
			struct pl_mem_area *nv;

			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(a.name);
				ret = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[len] = a;
		cur = &v[len++];
	}
	if (!ret && ferror(f))
		ret = errno ? -errno : -EIO;
	free(line);
	fclose(f);
	*areas = v;
	*n = len;
	return ret;
}

static void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* ---- counting the runs ------------------------------------------------- */

/* A frame the target maps more than once, and the mapping it is in. */
struct shared_frame {
	uint64_t pfn;
	size_t area;
};

struct counter {
	struct pl_mem *m;
	int kpc, kpf;		/* /proc/kpagecount, /proc/kpageflags, or -1 */
	bool not_swap_known;	/* the scan has PAGELAB_SCAN_NOT_SWAP (ABI 1.9) */
	bool migrating_shared;	/* smaps counts a migration entry's page as Shared */
	size_t ai;		/* count_runs(): the mapping it is in */
	uint64_t buf[KPC_BATCH];
	struct shared_frame *shared;	/* with PL_MEM_SHARED_WITH */
	size_t nshared, cap;
	bool want_shared;
};

static bool huge_zero(struct counter *ct, const struct pl_mem_area *a,
		      const struct pagelab_scan_run *r)
{
	uint64_t flags;

	if (!(r->categories & PAGELAB_SCAN_PMD) || (r->categories & PAGELAB_SCAN_ANON))
		return false;
	if (ct->kpf >= 0 && r->pfn &&
	    pread(ct->kpf, &flags, sizeof(flags), (off_t)(r->pfn * 8)) == sizeof(flags))
		return flags & (1ULL << KPF_ZERO_PAGE);
	/* Without the flags: a 2 MiB frame that is not anonymous, in an anonymous mapping. */
	return !a->inode && !(r->categories & PAGELAB_SCAN_OBJECT);
}

static int note_shared(struct counter *ct, uint64_t pfn, size_t area)
{
	if (ct->nshared == ct->cap) {
		struct shared_frame *nv;

		ct->cap = ct->cap ? 2 * ct->cap : 1024;
		nv = realloc(ct->shared, ct->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		ct->shared = nv;
	}
	ct->shared[ct->nshared++] = (struct shared_frame){ .pfn = pfn, .area = area };
	return 0;
}

/* The resident, countable pages of run @r (@pages of them from @skip on) in @a. */
static int count_resident(struct counter *ct, size_t ai, const struct pagelab_scan_run *r,
			  uint64_t skip, uint64_t pages)
{
	struct pl_mem_count *c = &ct->m->areas[ai].c;
	uint64_t pfn = r->pfn + skip;

	c->pages[PL_MEM_RSS] += pages;
	if (r->categories & PAGELAB_SCAN_OBJECT)
		c->pages[PL_MEM_OBJECT] += pages;
	if ((r->categories & (PAGELAB_SCAN_PMD | PAGELAB_SCAN_ANON)) ==
	    (PAGELAB_SCAN_PMD | PAGELAB_SCAN_ANON))
		c->pages[PL_MEM_THP] += pages;
	if (!ct->m->pss_known) {
		/* pagemap's "exclusive": mapped once. */
		if (r->categories & PAGELAB_SCAN_EXCLUSIVE)
			c->pages[PL_MEM_USS] += pages;
		else
			c->pages[PL_MEM_SHARED] += pages;
		return 0;
	}
	while (pages) {
		size_t n = pages < KPC_BATCH ? (size_t)pages : KPC_BATCH;
		ssize_t got = pread(ct->kpc, ct->buf, n * 8, (off_t)(pfn * 8));

		if (got < 0)
			return -errno;
		for (size_t i = 0; i < n; i++) {
			/* Past the frames kpagecount covers (device memory): mapped once. */
			uint64_t mc = i < (size_t)got / 8 ? ct->buf[i] : 1;

			if (mc < 2) {
				c->pages[PL_MEM_USS]++;
				c->pss_fp += PL_PAGE << PSS_SHIFT;
				continue;
			}
			c->pages[PL_MEM_SHARED]++;
			c->pss_fp += (PL_PAGE << PSS_SHIFT) / mc;
			if (ct->want_shared && note_shared(ct, pfn + i, ai))
				return -ENOMEM;
		}
		pfn += n;
		pages -= n;
	}
	return 0;
}

/*
 * @pages pages of run @r, from its page @skip on, all inside mapping @ai,
 * by smaps' rules (smaps_pte_entry(), smaps_account()).
 */
static int count_run(struct counter *ct, size_t ai, const struct pagelab_scan_run *r,
		     uint64_t skip, uint64_t pages)
{
	struct pl_mem_area *a = &ct->m->areas[ai];
	uint64_t cats = r->categories;
	bool page = cats & (PAGELAB_SCAN_ANON | PAGELAB_SCAN_FILE);

	/*
	 * A PMD leaf in a VM_PFNMAP mapping: a huge pagelab object's
	 * (PAGELAB_CREATE_HUGE; the scan reads no other kind), special, with
	 * no page reference: vm_normal_page_pmd() gives smaps no page, so it
	 * counts nothing.  The same mapping's 4 KiB entries are ordinary ones,
	 * which smaps counts (walk_page_vma() does walk VM_PFNMAP; pagemap
	 * does not).
	 */
	if (a->pfnmap && (cats & (PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_PMD)) ==
			 (PAGELAB_SCAN_PRESENT | PAGELAB_SCAN_PMD)) {
		a->c.pages[PL_MEM_PFNMAP] += pages;
		if (cats & PAGELAB_SCAN_OBJECT)
			a->c.pages[PL_MEM_OBJECT] += pages;
		return 0;
	}
	if (!(cats & PAGELAB_SCAN_PRESENT)) {
		if (cats & PAGELAB_SCAN_STORED)
			a->c.pages[PL_MEM_STORED] += pages;
		if (!(cats & PAGELAB_SCAN_SWAP))
			return 0;
		/* A module before ABI 1.9 does not say: an entry with a page is not swap. */
		if (!(cats & PAGELAB_SCAN_NOT_SWAP) && (ct->not_swap_known || !page)) {
			a->c.pages[PL_MEM_SWAP] += pages;
			return 0;
		}
		if (!page) {
			a->c.pages[PL_MEM_MARKER] += pages;
			return 0;
		}
		/*
		 * A migration or device entry: its page is resident, with the
		 * full PSS, Private before 6.12 and Shared since ("not present:
		 * maybe shared").
		 */
		a->c.pages[PL_MEM_MIGRATING] += pages;
		a->c.pages[PL_MEM_RSS] += pages;
		a->c.pages[ct->migrating_shared ? PL_MEM_SHARED : PL_MEM_USS] += pages;
		a->c.pss_fp += pages * (PL_PAGE << PSS_SHIFT);
		return 0;
	}
	if (cats & PAGELAB_SCAN_HUGETLB) {
		a->c.pages[PL_MEM_HUGETLB] += pages;
		return 0;
	}
	if ((cats & PAGELAB_SCAN_ZERO) || huge_zero(ct, a, r)) {
		a->c.pages[PL_MEM_ZERO] += pages;
		return 0;
	}
	if (!page) {
		/* No struct page (vm_normal_page() finds none): smaps skips it. */
		a->c.pages[PL_MEM_NO_PAGE] += pages;
		return 0;
	}
	return count_resident(ct, ai, r, skip, pages);
}

/* One batch of runs, in address order, the mapping cursor kept across batches. */
static int count_runs(const struct pagelab_scan_run *runs, size_t n, void *arg)
{
	struct counter *ct = arg;
	struct pl_mem *m = ct->m;

	for (size_t i = 0; i < n; i++) {
		const struct pagelab_scan_run *r = &runs[i];
		uint64_t addr = r->start, end = r->start + r->pages * PL_PAGE;

		while (addr < end) {
			uint64_t stop;
			int ret;

			while (ct->ai < m->nareas && m->areas[ct->ai].end <= addr)
				ct->ai++;
			if (ct->ai == m->nareas || m->areas[ct->ai].start > addr) {
				/* Not in a mapping smaps listed: the process changed. */
				stop = ct->ai < m->nareas && m->areas[ct->ai].start < end ?
				       m->areas[ct->ai].start : end;
				m->stray_pages += (stop - addr) / PL_PAGE;
				addr = stop;
				continue;
			}
			stop = end < m->areas[ct->ai].end ? end : m->areas[ct->ai].end;
			ret = count_run(ct, ct->ai, r, (addr - r->start) / PL_PAGE,
					(stop - addr) / PL_PAGE);
			if (ret)
				return ret;
			addr = stop;
		}
	}
	return 0;
}

/* ---- --shared-with: who else maps the shared frames -------------------- */

static int frame_cmp(const void *a, const void *b)
{
	const struct shared_frame *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->area < y->area ? -1 : x->area > y->area;
}

/* The first of @v[0..@n-1] (sorted) with a frame >= @pfn. */
static size_t frame_lower(const struct shared_frame *v, size_t n, uint64_t pfn)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void free_areas(struct pl_mem_area *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static int add_peer(struct pl_mem_area *a, pid_t pid, const char *mapping, uint64_t pages)
{
	struct pl_mem_peer *p, *nv;

	for (size_t i = 0; i < a->npeers; i++) {
		p = &a->peers[i];
		if (p->pid == pid && !strcmp(p->mapping, mapping)) {
			p->pages += pages;
			return 0;
		}
	}
	nv = realloc(a->peers, (a->npeers + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	a->peers = nv;
	p = &a->peers[a->npeers];
	memset(p, 0, sizeof(*p));
	p->mapping = strdup(mapping);
	if (!p->mapping)
		return -ENOMEM;
	a->npeers++;
	p->pid = pid;
	read_comm(pid, p->comm, sizeof(p->comm));
	p->pages = pages;
	return 0;
}

/* One process looked at for --shared-with. */
struct peer_scan {
	struct counter *ct;
	pid_t pid;
	struct pl_mem_area *maps;	/* its mappings, for their names */
	size_t nmaps, mi;		/* mi: a cursor, runs come in address order */
};

/*
 * A batch of @ps->pid's runs (shared frames only): each page whose frame
 * the target shares adds to the peer line (@pid, its mapping) of the
 * target's mapping holding the frame.  The target's own pages count where
 * they are in another of its mappings.
 */
static int peer_runs(const struct pagelab_scan_run *runs, size_t n, void *arg)
{
	struct peer_scan *ps = arg;
	struct counter *ct = ps->ct;
	struct pl_mem *m = ct->m;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		const struct pagelab_scan_run *r = &runs[i];
		size_t j = frame_lower(ct->shared, ct->nshared, r->pfn);
		const char *name = "[anon]";

		while (ps->mi < ps->nmaps && ps->maps[ps->mi].end <= r->start)
			ps->mi++;
		if (ps->mi < ps->nmaps && ps->maps[ps->mi].start <= r->start &&
		    *ps->maps[ps->mi].name)
			name = ps->maps[ps->mi].name;
		/*
		 * The run's frames the target shares, by frame then mapping:
		 * each of the target's mappings among them gets the count of
		 * its frames, once (a run is rarely in more than one).
		 */
		for (size_t done = j; done < ct->nshared &&
		     ct->shared[done].pfn < r->pfn + r->pages && !ret; done++) {
			size_t ai = ct->shared[done].area, k;
			const struct pl_mem_area *a = &m->areas[ai];
			uint64_t pages = 0;
			bool seen = false;

			for (k = j; k < done && !seen; k++)
				seen = ct->shared[k].area == ai;
			if (seen)
				continue;
			for (k = done; k < ct->nshared && ct->shared[k].pfn < r->pfn + r->pages; k++)
				pages += ct->shared[k].area == ai;
			/* The target's own page in the very mapping is not a peer. */
			if (!(ps->pid == m->pid && r->start >= a->start && r->start < a->end))
				ret = add_peer(&m->areas[ai], ps->pid, name, pages);
		}
	}
	return ret;
}

static int peers_of(int fd, struct counter *ct, pid_t pid, uint64_t top)
{
	struct pl_scan_req q = {
		.pid = pid, .start = 0, .end = top,
		.required = PAGELAB_SCAN_PRESENT,
		.excluded = PAGELAB_SCAN_ZERO | PAGELAB_SCAN_HUGETLB | PAGELAB_SCAN_EXCLUSIVE,
	};
	struct peer_scan ps = { .ct = ct, .pid = pid };
	int ret;

	ret = read_areas(pid, "maps", &ps.maps, &ps.nmaps);
	if (!ret)
		ret = pl_scan_each(fd, &q, peer_runs, &ps);
	free_areas(ps.maps, ps.nmaps);
	return ret;
}

static int find_peers(int fd, struct counter *ct, uint64_t top)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (!ct->nshared)
		return 0;
	/* By frame, then mapping; a frame the target maps twice in one mapping, once. */
	qsort(ct->shared, ct->nshared, sizeof(*ct->shared), frame_cmp);
	for (size_t i = 0; i < ct->nshared; i++) {
		if (!n || ct->shared[i].pfn != ct->shared[n - 1].pfn ||
		    ct->shared[i].area != ct->shared[n - 1].area)
			ct->shared[n++] = ct->shared[i];
	}
	ct->nshared = n;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int ret;

		/* Not this tool, unless it is the one measured. */
		if (*end || pid <= 0 || (pid == getpid() && pid != ct->m->pid))
			continue;
		ret = peers_of(fd, ct, (pid_t)pid, top);
		if (ret == -EPERM || ret == -EACCES)
			ct->m->peers_unreadable++;
		else if (ret && ret != -ESRCH && ret != -ENOENT) {
			closedir(d);
			return ret;
		}
	}
	closedir(d);
	return 0;
}

/* ---- the measurement --------------------------------------------------- */

static bool kernel_equal(const struct pl_mem_kernel *a, const struct pl_mem_kernel *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Does the scan give this caller frames (CAP_SYS_ADMIN)?  One page of its own stack. */
static bool scan_gives_frames(int fd)
{
	volatile char here = 1;
	uintptr_t page = (uintptr_t)&here & ~(PL_PAGE - 1);
	struct pagelab_scan_run run;
	struct pagelab_scan s = {
		.size = sizeof(s), .max_runs = 1, .start = page, .end = page + PL_PAGE,
		.runs = (uintptr_t)&run,
	};

	return !pl_scan(fd, &s) && s.nr_runs == 1 && run.pfn;
}

/* Is @a a tmpfs file (shmem, shared anonymous, memfd, SysV shm)? */
static bool area_is_shmem(pid_t pid, const struct pl_mem_area *a)
{
	char path[96];
	struct statfs sfs;
	bool yes = false;
	int fd;

	if (!a->inode)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid,
		 a->start, a->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		yes = !fstatfs(fd, &sfs) && sfs.f_type == TMPFS_MAGIC;
		close(fd);
		return yes;
	}
	/* map_files needs CAP_SYS_ADMIN: then the names shmem gives its files. */
	return !strncmp(a->name, "/dev/zero", 9) || !strncmp(a->name, "/memfd:", 7) ||
	       !strncmp(a->name, "/SYSV", 5) || !strncmp(a->name, "/dev/shm/", 9);
}

/* The running kernel is @maj.@min or later (uname). */
static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a, b;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return true;
	return a > maj || (a == maj && b >= min);
}

/* Sum the areas into m->total; tell shmem from other files where it can matter. */
static void mem_totals(struct pl_mem *m, pid_t pid)
{
	for (size_t i = 0; i < m->nareas; i++) {
		struct pl_mem_area *a = &m->areas[i];

		for (int f = 0; f < PL_MEM_NR_FIELDS; f++)
			m->total.pages[f] += a->c.pages[f];
		m->total.pss_fp += a->c.pss_fp;
		/* Only where it can matter: a file whose Swap is above the page tables'. */
		if (a->inode && a->k.swap > pl_mem_kb(&a->c, PL_MEM_SWAP))
			a->shmem = area_is_shmem(pid, a);
	}
}

/*
 * The process's own accounts before the count: smaps_rollup in @before,
 * its name and its areas from smaps.  0, or -errno with the reason in @why.
 */
static int mem_read_target(pid_t pid, struct pl_mem *m, struct pl_mem_kernel *before, char *why,
			   size_t len)
{
	int ret = read_rollup(pid, before);

	if (ret) {
		snprintf(why, len, ret == -ENOENT ? "no process %d" :
			 ret == -EACCES || ret == -EPERM ?
			 "not allowed to read process %d's memory (it needs what a ptrace read needs)" :
			 ret == -ESRCH ? "process %d has no memory map (a kernel thread, or exiting)" :
			 "cannot read /proc/%d/smaps_rollup", (int)pid);
		return ret;
	}
	read_comm(pid, m->comm, sizeof(m->comm));
	ret = read_areas(pid, "smaps", &m->areas, &m->nareas);
	if (ret) {
		snprintf(why, len, "cannot read /proc/%d/smaps: %s", (int)pid, strerror(-ret));
		return ret;
	}
	if (!m->nareas) {
		snprintf(why, len, "process %d has no memory map (a kernel thread, or exiting)",
			 (int)pid);
		return -ESRCH;
	}
	return 0;
}

int pl_mem_measure(int fd, pid_t pid, unsigned int flags, struct pl_mem *m, char *why,
		   size_t len)
{
	struct counter ct = { .m = m, .kpc = -1, .kpf = -1 };
	struct pl_scan_req q = { .pid = pid };
	struct pagelab_version v;
	struct pagelab_info info;
	struct pl_mem_kernel before;
	int ret, pidfd;
	uint64_t top;

	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->self = pid == getpid();
	ret = pl_info(fd, &info);
	if (ret) {
		snprintf(why, len, "PAGELAB_IOC_INFO: %s", strerror(-ret));
		return ret;
	}
	ret = pl_version(fd, &v);
	if (ret) {
		snprintf(why, len, "PAGELAB_IOC_VERSION: %s", strerror(-ret));
		return ret;
	}
	ct.not_swap_known = v.abi_major > 1 || v.abi_minor >= 9;
	ct.migrating_shared = kernel_at_least(6, 12);
	/* The top of user space, as the scan takes it. */
	top = (1ULL << (info.pgtable_levels == 5 ? 56 : 47)) - PL_PAGE;
	/* Held to the end: a pid reused meanwhile is caught there. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && errno == ESRCH) {
		snprintf(why, len, "no process %d", (int)pid);
		return -ESRCH;
	}
	ret = mem_read_target(pid, m, &before, why, len);
	if (ret)
		goto out;
	if (flags & PL_MEM_SHARED_WITH)
		ct.want_shared = true;
	if (scan_gives_frames(fd)) {
		ct.kpc = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
		ct.kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	}
	m->pss_known = ct.kpc >= 0;
	ct.want_shared = ct.want_shared && m->pss_known;
	/* The scan covers user space; [vsyscall] lies above it. */
	q.start = m->areas[0].start;
	q.end = m->areas[0].end;
	for (size_t i = 0; i < m->nareas; i++) {
		if (m->areas[i].end <= top && m->areas[i].end > q.end)
			q.end = m->areas[i].end;
		m->areas[i].c.pages[PL_MEM_VSZ] = m->areas[i].start < top ?
			(m->areas[i].end - m->areas[i].start) / PL_PAGE : 0;
	}
	ret = pl_scan_each(fd, &q, count_runs, &ct);
	if (ret) {
		snprintf(why, len, "scan of process %d: %s", (int)pid,
			 ret == -EPERM ? "not allowed (it needs what a ptrace read needs)" :
			 ret == -ESRCH ? "it exited" : strerror(-ret));
		goto out;
	}
	if (ct.want_shared) {
		ret = find_peers(fd, &ct, top);
		if (ret) {
			snprintf(why, len, "looking for the processes sharing frames: %s",
				 strerror(-ret));
			goto out;
		}
	}
	mem_totals(m, pid);
	ret = read_rollup(pid, &m->rollup);
	if (!ret && pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0))
		ret = -ESRCH;
	if (ret) {
		snprintf(why, len, "process %d exited while measured", (int)pid);
		goto out;
	}
	m->changed = !kernel_equal(&before, &m->rollup) || m->stray_pages;
out:
	free(ct.shared);
	if (ct.kpc >= 0)
		close(ct.kpc);
	if (ct.kpf >= 0)
		close(ct.kpf);
	if (pidfd >= 0)
		close(pidfd);
	if (ret)
		pl_mem_free(m);
	return ret;
}

void pl_mem_free(struct pl_mem *m)
{
	for (size_t i = 0; i < m->nareas; i++) {
		for (size_t j = 0; j < m->areas[i].npeers; j++)
			free(m->areas[i].peers[j].mapping);
		free(m->areas[i].peers);
		free(m->areas[i].name);
	}
	free(m->areas);
	memset(m, 0, sizeof(*m));
}
