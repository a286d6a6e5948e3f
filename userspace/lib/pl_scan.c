// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the binary range scan from user space: see pl_scan.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pl_scan.h"

static const struct {
	const char *name;
	const char *words;
} pl_scan_cats[] = {
	{ "present", "mapped to a frame" },
	{ "swap", "a swap entry (or migration, device, marker)" },
	{ "file", "the frame is not anonymous (a file's, an object's)" },
	{ "exclusive", "the page is mapped once" },
	{ "soft-dirty", "written since soft-dirty was cleared (or a new VMA)" },
	{ "uffd-wp", "userfaultfd write-protected" },
	{ "write", "the entry allows writes" },
	{ "dirty", "the entry's dirty bit" },
	{ "accessed", "the entry's accessed bit" },
	{ "prot-none", "PROT_NONE or a NUMA hint" },
	{ "zero", "the shared zero page" },
	{ "anon", "an anonymous frame" },
	{ "ksm", "merged by KSM" },
	{ "pmd", "mapped by a 2 MiB entry" },
	{ "pud", "mapped by a 1 GiB entry" },
	{ "hugetlb", "hugetlbfs" },
	{ "cow", "a write would copy the frame" },
	{ "object", "a pagelab object's page" },
	{ "budgeted", "its object has a frame budget" },
	{ "stored", "paged out to its object's store" },
	{ "not-swap", "not a page in swap: a migration, device or marker entry" },
};

#define PL_SCAN_NCATS (sizeof(pl_scan_cats) / sizeof(pl_scan_cats[0]))
_Static_assert(PAGELAB_SCAN_ALL == (1ULL << PL_SCAN_NCATS) - 1, "a name per category");

int pl_scan(int fd, struct pagelab_scan *s)
{
	return ioctl(fd, PAGELAB_IOC_SCAN, s) ? -errno : 0;
}

int pl_scan_each(int fd, const struct pl_scan_req *q,
		 int (*fn)(const struct pagelab_scan_run *runs, size_t n, void *arg), void *arg)
{
	uint32_t batch = q->batch ? q->batch : 4096;
	struct pagelab_scan_run *buf = calloc(batch, sizeof(*buf));
	uint64_t addr = q->start;
	int ret = buf ? 0 : -ENOMEM;

	while (!ret && addr < q->end) {
		struct pagelab_scan s = {
			.size = sizeof(s), .pid = q->pid, .flags = q->flags, .max_runs = batch,
			.start = addr, .end = q->end, .required = q->required, .any = q->any,
			.excluded = q->excluded, .runs = (uintptr_t)buf,
		};

		ret = pl_scan(fd, &s);
		if (ret)
			break;
		if (s.walk_end <= addr) {
			ret = -EIO;	/* no progress: never loop */
			break;
		}
		ret = fn(buf, s.nr_runs, arg);
		addr = s.walk_end;
	}
	free(buf);
	return ret;
}

int pl_scan_all(int fd, const struct pl_scan_req *q, struct pagelab_scan_run **runs,
		size_t *n, unsigned int *calls)
{
	uint32_t batch = q->batch ? q->batch : 4096;
	struct pagelab_scan_run *all = NULL, *grown;
	size_t have = 0, cap = 0;
	uint64_t addr = q->start, pages = 0;
	unsigned int ncalls = 0;
	int ret = 0;

	while (addr < q->end) {
		struct pagelab_scan s = {
			.size = sizeof(s), .pid = q->pid, .flags = q->flags, .max_runs = batch,
			.start = addr, .end = q->end, .required = q->required, .any = q->any,
			.excluded = q->excluded,
			.max_pages = q->max_pages ? q->max_pages - pages : 0,
		};

		if (q->max_pages && pages == q->max_pages)
			break;
		if (have + batch > cap) {
			cap = cap ? 2 * cap : batch;
			if (cap < have + batch)
				cap = have + batch;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			all = grown;
		}
		s.runs = (uintptr_t)(all + have);
		ret = pl_scan(fd, &s);
		ncalls++;
		if (ret)
			break;
		/*
		 * A call stops where a run that would not fit begins (or at
		 * max_pages, which ends the scan), so no run spans two calls.
		 */
		for (uint32_t i = 0; i < s.nr_runs; i++)
			pages += all[have + i].pages;
		have += s.nr_runs;
		if (s.walk_end <= addr) {
			ret = -EIO;	/* no progress: never loop */
			break;
		}
		addr = s.walk_end;
	}
	if (ret) {
		free(all);
		return ret;
	}
	*runs = all;
	*n = have;
	if (calls)
		*calls = ncalls;
	return 0;
}

const char *pl_scan_cat_name(unsigned int bit)
{
	return bit < PL_SCAN_NCATS ? pl_scan_cats[bit].name : NULL;
}

const char *pl_scan_cat_words(unsigned int bit)
{
	return bit < PL_SCAN_NCATS ? pl_scan_cats[bit].words : NULL;
}

int pl_scan_cats_parse(const char *s, uint64_t *mask, char *buf, size_t len)
{
	const char *p = s;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",|");
		unsigned int b;

		for (b = 0; b < PL_SCAN_NCATS; b++)
			if (strlen(pl_scan_cats[b].name) == n && !strncmp(p, pl_scan_cats[b].name, n))
				break;
		if (b == PL_SCAN_NCATS) {
			if (len) {
				size_t c = n < len - 1 ? n : len - 1;

				memcpy(buf, p, c);
				buf[c] = '\0';
			}
			return -1;
		}
		*mask |= 1ULL << b;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

char *pl_scan_cats_str(uint64_t cats, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (unsigned int b = 0; b < PL_SCAN_NCATS; b++) {
		size_t need;

		if (!(cats & (1ULL << b)))
			continue;
		need = strlen(pl_scan_cats[b].name) + (used ? 1 : 0);
		if (used + need >= len)
			break;
		if (used)
			buf[used++] = '|';
		strcpy(buf + used, pl_scan_cats[b].name);
		used += strlen(pl_scan_cats[b].name);
	}
	if (!used && len > 1)
		strcpy(buf, "-");
	return buf;
}
