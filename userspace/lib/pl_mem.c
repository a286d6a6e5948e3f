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

		if (a->inode && a->k.swap > ours) {
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

static int read_smaps(pid_t pid, struct pl_mem_area **areas, size_t *n)
{
	char path[64], *line = NULL;
	struct pl_mem_area *v = NULL, *cur = NULL;
	size_t cap = 0, len = 0, lcap = 0;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		struct pl_mem_area a;

		if (isxdigit((unsigned char)line[0]) && smaps_header(line, &a)) {
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
		} else if (cur) {
			smaps_line(line, &cur->k);
		}
	}
	if (!ret && ferror(f))
		ret = -EIO;
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
	uint64_t buf[KPC_BATCH];
	struct shared_frame *shared;	/* with PL_MEM_SHARED_WITH */
	size_t nshared, cap;
	bool want_shared;
	int err;
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

		if (got != (ssize_t)(n * 8))
			return got < 0 ? -errno : -EIO;
		for (size_t i = 0; i < n; i++) {
			uint64_t mc = ct->buf[i];

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

/* @pages pages of run @r, from its page @skip on, all inside mapping @ai. */
static int count_run(struct counter *ct, size_t ai, const struct pagelab_scan_run *r,
		     uint64_t skip, uint64_t pages)
{
	struct pl_mem_area *a = &ct->m->areas[ai];
	uint64_t cats = r->categories;

	if (!(cats & PAGELAB_SCAN_PRESENT)) {
		if (cats & PAGELAB_SCAN_SWAP)
			a->c.pages[PL_MEM_SWAP] += pages;
		if (cats & PAGELAB_SCAN_STORED)
			a->c.pages[PL_MEM_STORED] += pages;
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
	return count_resident(ct, ai, r, skip, pages);
}

static int count_runs(struct counter *ct, const struct pagelab_scan_run *runs, size_t n)
{
	struct pl_mem *m = ct->m;
	size_t ai = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pagelab_scan_run *r = &runs[i];
		uint64_t addr = r->start, end = r->start + r->pages * PL_PAGE;

		while (addr < end) {
			uint64_t stop;
			int ret;

			while (ai < m->nareas && m->areas[ai].end <= addr)
				ai++;
			if (ai == m->nareas || m->areas[ai].start > addr) {
				/* Not in a mapping smaps listed: the process changed. */
				stop = ai < m->nareas && m->areas[ai].start < end ?
				       m->areas[ai].start : end;
				m->stray_pages += (stop - addr) / PL_PAGE;
				addr = stop;
				continue;
			}
			stop = end < m->areas[ai].end ? end : m->areas[ai].end;
			ret = count_run(ct, ai, r, (addr - r->start) / PL_PAGE,
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

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
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

/* @pid's mappings, from its maps (names only are used). */
static int read_maps(pid_t pid, struct pl_mem_area **areas, size_t *n)
{
	char path[64], *line = NULL;
	struct pl_mem_area *v = NULL;
	size_t cap = 0, len = 0, lcap = 0;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		struct pl_mem_area a;

		if (!smaps_header(line, &a))
			continue;
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
		v[len++] = a;
	}
	free(line);
	fclose(f);
	*areas = v;
	*n = len;
	return ret;
}

static void free_areas(struct pl_mem_area *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The name of the mapping of @v[0..@n-1] holding @addr. */
static const char *mapping_at(const struct pl_mem_area *v, size_t n, uint64_t addr)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].start <= addr && addr < v[i].end)
			return *v[i].name ? v[i].name : "[anon]";
	}
	return "[anon]";
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

/*
 * Process @pid's pages that map frames the target shares: each adds to the
 * peer line (@pid, its mapping) of the target's mapping holding the frame.
 * The target's own pages count where they are in another of its mappings.
 */
static int peers_of(int fd, struct counter *ct, pid_t pid, uint64_t top)
{
	struct pl_scan_req q = {
		.pid = pid, .start = 0, .end = top,
		.required = PAGELAB_SCAN_PRESENT,
		.excluded = PAGELAB_SCAN_ZERO | PAGELAB_SCAN_HUGETLB | PAGELAB_SCAN_EXCLUSIVE,
	};
	struct pagelab_scan_run *runs = NULL;
	struct pl_mem_area *maps = NULL;
	struct pl_mem *m = ct->m;
	size_t n = 0, nmaps = 0;
	int ret;

	ret = pl_scan_all(fd, &q, &runs, &n, NULL);
	if (!ret && n)
		ret = read_maps(pid, &maps, &nmaps);
	for (size_t i = 0; i < n && !ret; i++) {
		const struct pagelab_scan_run *r = &runs[i];
		size_t j = frame_lower(ct->shared, ct->nshared, r->pfn);

		while (j < ct->nshared && ct->shared[j].pfn < r->pfn + r->pages && !ret) {
			size_t ai = ct->shared[j].area, k = j;
			const struct pl_mem_area *a = &m->areas[ai];

			while (k < ct->nshared && ct->shared[k].pfn < r->pfn + r->pages &&
			       ct->shared[k].area == ai)
				k++;
			if (!(pid == m->pid && r->start >= a->start && r->start < a->end))
				ret = add_peer(&m->areas[ai], pid, mapping_at(maps, nmaps, r->start),
					       k - j);
			j = k;
		}
	}
	free_areas(maps, nmaps);
	free(runs);
	return ret;
}

static int find_peers(int fd, struct counter *ct, uint64_t top)
{
	struct dirent *de;
	DIR *d;

	if (!ct->nshared)
		return 0;
	qsort(ct->shared, ct->nshared, sizeof(*ct->shared), frame_cmp);
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int ret;

		if (*end || pid <= 0)
			continue;
		ret = peers_of(fd, ct, (pid_t)pid, top);
		if (ret == -EPERM || ret == -EACCES)
			ct->m->peers_unreadable++;
		else if (ret && ret != -ESRCH) {
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

int pl_mem_measure(int fd, pid_t pid, unsigned int flags, struct pl_mem *m, char *why,
		   size_t len)
{
	struct counter ct = { .m = m, .kpc = -1, .kpf = -1 };
	struct pagelab_scan_run *runs = NULL;
	struct pl_scan_req q = { .pid = pid };
	struct pl_mem_kernel before;
	struct pagelab_info info;
	uint64_t top;
	size_t n = 0;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = pl_info(fd, &info);
	if (ret) {
		snprintf(why, len, "PAGELAB_IOC_INFO: %s", strerror(-ret));
		return ret;
	}
	/* The top of user space, as the scan takes it. */
	top = (1ULL << (info.pgtable_levels == 5 ? 56 : 47)) - PL_PAGE;
	m->pid = pid;
	ct.want_shared = flags & PL_MEM_SHARED_WITH;
	ret = read_rollup(pid, &before);
	if (ret) {
		snprintf(why, len, ret == -ENOENT ? "no process %d" :
			 ret == -EACCES || ret == -EPERM ?
			 "not allowed to read process %d's memory (it needs what a ptrace read needs)" :
			 ret == -ESRCH ? "process %d has no memory map (a kernel thread, or exiting)" :
			 "cannot read /proc/%d/smaps_rollup", (int)pid);
		return ret;
	}
	read_comm(pid, m->comm, sizeof(m->comm));
	ret = read_smaps(pid, &m->areas, &m->nareas);
	if (ret) {
		snprintf(why, len, "cannot read /proc/%d/smaps: %s", (int)pid, strerror(-ret));
		return ret;
	}
	if (!m->nareas) {
		snprintf(why, len, "process %d has no memory map (a kernel thread, or exiting)",
			 (int)pid);
		return -ESRCH;
	}
	ct.kpc = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	ct.kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	m->pss_known = ct.kpc >= 0;
	/* The scan covers user space; [vsyscall] lies above it. */
	q.start = m->areas[0].start;
	q.end = m->areas[0].end;
	for (size_t i = 0; i < m->nareas; i++) {
		if (m->areas[i].end <= top && m->areas[i].end > q.end)
			q.end = m->areas[i].end;
		m->areas[i].c.pages[PL_MEM_VSZ] = m->areas[i].start < top ?
			(m->areas[i].end - m->areas[i].start) / PL_PAGE : 0;
	}
	ret = pl_scan_all(fd, &q, &runs, &n, NULL);
	if (ret) {
		snprintf(why, len, "scan of process %d: %s", (int)pid,
			 ret == -EPERM ? "not allowed (it needs what a ptrace read needs)" :
			 ret == -ESRCH ? "it exited" : strerror(-ret));
		goto out_close;
	}
	/* Without frames (no CAP_SYS_ADMIN) there is nothing to look up. */
	for (size_t i = 0; i < n && m->pss_known; i++) {
		if ((runs[i].categories & PAGELAB_SCAN_PRESENT) &&
		    !(runs[i].categories & PAGELAB_SCAN_ZERO) && !runs[i].pfn)
			m->pss_known = false;
	}
	ct.want_shared = ct.want_shared && m->pss_known;
	ret = count_runs(&ct, runs, n);
	if (ret) {
		snprintf(why, len, "reading /proc/kpagecount: %s", strerror(-ret));
		goto out_free;
	}
	if (ct.want_shared) {
		ret = find_peers(fd, &ct, top);
		if (ret) {
			snprintf(why, len, "looking for the processes sharing frames: %s",
				 strerror(-ret));
			goto out_free;
		}
	}
	for (size_t i = 0; i < m->nareas; i++) {
		for (int f = 0; f < PL_MEM_NR_FIELDS; f++)
			m->total.pages[f] += m->areas[i].c.pages[f];
		m->total.pss_fp += m->areas[i].c.pss_fp;
	}
	ret = read_rollup(pid, &m->rollup);
	if (ret) {
		snprintf(why, len, "process %d exited while measured", (int)pid);
		goto out_free;
	}
	m->changed = !kernel_equal(&before, &m->rollup) || m->stray_pages;
out_free:
	free(runs);
out_close:
	free(ct.shared);
	if (ct.kpc >= 0)
		close(ct.kpc);
	if (ct.kpf >= 0)
		close(ct.kpf);
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
