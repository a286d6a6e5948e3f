// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab buddy --compact - external fragmentation made on purpose, then
 * compaction: fill a zone with anonymous pages, give back one frame of
 * every pair of buddies we hold, so free memory is plentiful but sits in
 * single frames; the module holds the zone's last large free blocks, so
 * the kernel's unusable_index and extfrag_index say so and a 2 MiB request
 * finds no block; take a few unmovable frames through the module, then
 * ask the kernel to compact (/proc/sys/vm/compact_memory) and show what it
 * moved (the anonymous pages changed frame, pagemap says which) and what
 * it could not: pageblocks that hold one of pagelab's frames stay pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_phys.h"

#define PROACTIVE "/proc/sys/vm/compaction_proactiveness"
#define HUGE_ORDER 9

/* vm.compaction_proactiveness as found, written back on the way out. */
static char compact_saved[32];

/* A signal mid-step: put the sysctl back (open and write: async-signal-safe). */
static void compact_restore_on_signal(int sig)
{
	int fd = open(PROACTIVE, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, compact_saved, strlen(compact_saved)) < 0)
			sig = -sig;
		close(fd);
	}
	_exit(sig < 0 ? 126 : 128 + sig);
}

struct compact_lab {
	int fd;
	const char *svg_dir;
	unsigned long long fill_cap;	/* pages; 0: down to the floor */
	struct pl_zone zone;
	long ps;
	char *region;
	size_t npages;
	uint64_t *pm;			/* pagemap after the fill */
	struct pagelab_buddy *blk;	/* the module's unmovable frames */
	int nblk;
	struct pagelab_buddy *big;	/* the large free blocks the module holds */
	int nbig;
	unsigned char *map;		/* the zone's frames */
	unsigned char *map0;		/* the same before compaction */
	unsigned long long win;		/* the drawn window's first frame */
};

static const char *const compact_counters[] = {
	"compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
	"compact_stall", "compact_success", "pgmigrate_success", "pgmigrate_fail",
};

#define NCOUNTERS (sizeof(compact_counters) / sizeof(compact_counters[0]))

static void compact_read_counters(long long v[NCOUNTERS])
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		v[i] = pl_vmstat(compact_counters[i]);
}

/* The zone with the most free memory: the one a fill of anonymous memory drains. */
static int compact_pick_zone(struct compact_lab *l)
{
	struct pl_zone z[16];
	int n = pl_zones(z, 16), best = -1;

	for (int i = 0; i < n; i++)
		if (best < 0 || z[i].free > z[best].free)
			best = i;
	if (best < 0)
		return n < 0 ? n : -ENOENT;
	l->zone = z[best];
	return 0;
}

static void compact_indexes(const struct compact_lab *l, const char *when)
{
	double u[PL_PHYS_ORDERS], e[PL_PHYS_ORDERS];

	if (pl_extfrag("unusable_index", l->zone.node, l->zone.name, u) ||
	    pl_extfrag("extfrag_index", l->zone.node, l->zone.name, e)) {
		printf("    %s: no /sys/kernel/debug/extfrag (debugfs, CONFIG_COMPACTION)\n", when);
		return;
	}
	printf("    %s: unusable_index order 4 %.3f, order 9 %.3f; extfrag_index order 9 %.3f\n",
	       when, u[4], u[HUGE_ORDER], e[HUGE_ORDER]);
}

/* Map the zone, the module's frames marked as pagelab's, and sum it up. */
static int compact_map(struct compact_lab *l, const char *when, struct pl_phys_sum *s)
{
	unsigned long long n = l->zone.spanned;
	int ret = pl_physmap(l->fd, l->zone.start_pfn, n, l->map, NULL);

	if (ret) {
		pl_err("buddy: PAGELAB_IOC_PHYSMAP: %s", strerror(-ret));
		return ret;
	}
	for (int i = 0; i < l->nblk; i++)
		if (l->blk[i].pfn - l->zone.start_pfn < n)
			l->map[l->blk[i].pfn - l->zone.start_pfn] = PL_PHYS_PAGELAB;
	for (int i = 0; i < l->nbig; i++)
		for (unsigned long long f = 0; f < 1ULL << l->big[i].order; f++)
			if (l->big[i].pfn + f - l->zone.start_pfn < n)
				l->map[l->big[i].pfn + f - l->zone.start_pfn] = PL_PHYS_PAGELAB;
	pl_phys_summarize(l->map, l->zone.start_pfn, n, s);
	printf("    the zone's frames %s: pageblocks free %llu, movable only %llu, pinned\n"
	       "      %llu; free 2 MiB blocks %llu, free single frames %llu\n", when, s->pb_free,
	       s->pb_movable, s->pb_pinned, s->free_blocks[9] + 2 * s->free_blocks[10],
	       s->free_blocks[0]);
	return 0;
}

/* Anonymous pages until the zone's free memory is down to its floor. */
static int compact_fill(struct compact_lab *l)
{
	unsigned long long floor = l->zone.high + l->zone.managed / 16 + 8192, want;

	if (l->zone.free <= floor + 4096) {
		pl_err("buddy: zone %s has %llu free pages, too few to fragment", l->zone.name,
		       l->zone.free);
		return -ENOMEM;
	}
	want = l->zone.free - floor;
	if (l->fill_cap && want > l->fill_cap)
		want = l->fill_cap;
	l->npages = (size_t)want & ~(size_t)1;
	l->region = mmap(NULL, l->npages * l->ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (l->region == MAP_FAILED) {
		l->region = NULL;
		return -errno;
	}
	/* 4 KiB pages only: a THP would be one movable block, not 512 frames. */
	madvise(l->region, l->npages * l->ps, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < l->npages; i++)
		l->region[i * l->ps] = 1;
	l->pm = calloc(l->npages, sizeof(*l->pm));
	if (!l->pm)
		return -ENOMEM;
	return pl_pagemap_range(0, (unsigned long)l->region, l->npages, l->pm);
}

/*
 * Of every pair of buddy frames we hold, give one back, chosen by a hash
 * of the frame: each hole's buddy stays ours, so no two holes merge, and
 * holes fall at no fixed stride (the kernel's free scanner samples frames
 * at a stride that grows while it finds none: holes on odd frames only
 * would hide from it).
 */
static size_t compact_punch(struct compact_lab *l)
{
	size_t holes = 0, words = l->zone.spanned / 64 + 1;
	uint64_t *ours = calloc(words, sizeof(*ours));

	if (!ours)
		return 0;
	for (size_t i = 0; i < l->npages; i++) {
		uint64_t f = (l->pm[i] & PL_PM_PFN_MASK) - l->zone.start_pfn;

		if (l->pm[i] >> 63 && f < l->zone.spanned)
			ours[f / 64] |= 1ULL << (f % 64);
	}
	for (size_t i = 0; i < l->npages; i++) {
		uint64_t pfn = l->pm[i] & PL_PM_PFN_MASK, f = pfn - l->zone.start_pfn;
		uint64_t pick = (pfn & ~1ULL) * 0x9e3779b97f4a7c15ULL >> 63;

		if (!(l->pm[i] >> 63) || f >= l->zone.spanned || (pfn & 1) != pick ||
		    !(ours[(f ^ 1) / 64] & 1ULL << ((f ^ 1) % 64)))
			continue;
		if (!madvise(l->region + i * l->ps, l->ps, MADV_DONTNEED)) {
			l->pm[i] = 0;
			holes++;
		}
	}
	free(ours);
	return holes;
}

/*
 * Take free blocks of order 10, then 9, on the CPU we run on, until none is
 * left (-ENOMEM): the per-CPU lists hold 2 MiB blocks too (6.x).  0 when
 * none is left, else the error that stopped it.
 */
static int compact_take_here(struct compact_lab *l, int max, int *here)
{
	int ret = -ENOMEM;

	for (unsigned int order = PL_PHYS_ORDERS - 1; order >= HUGE_ORDER; order--) {
		while (l->nbig < max) {
			ret = pl_buddy_take(l->fd, order, PAGELAB_BUDDY_NOWAIT, &l->big[l->nbig]);
			if (ret)
				break;
			*here += l->big[l->nbig].nid == l->zone.node &&
				 !strcmp(l->big[l->nbig].zone, l->zone.name);
			l->nbig++;
		}
		if (ret != -ENOMEM)
			return ret ? ret : -ENOSPC;
	}
	return 0;
}

/* The module takes every free block of order 9 or 10 left, from each CPU: none remains. */
static bool compact_take_large(struct compact_lab *l)
{
	const int max = 2048;
	cpu_set_t all, one;
	int ret = 0, here = 0;

	l->big = calloc(max, sizeof(*l->big));
	if (!l->big || sched_getaffinity(0, sizeof(all), &all))
		return false;
	for (int cpu = 0; cpu < CPU_SETSIZE && !ret; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (!sched_setaffinity(0, sizeof(one), &one))
			ret = compact_take_here(l, max, &here);
	}
	sched_setaffinity(0, sizeof(all), &all);
	if (ret) {
		printf("    the module took %d free blocks of 2 MiB or more, then: %s\n", l->nbig,
		       ret == -ENOSPC && l->nbig == max ? "its limit of 2048" : strerror(-ret));
		printf("    (free 2 MiB blocks remain: the steps below cannot show fragmentation)\n");
		return false;
	}
	printf("    the module takes the last %d free blocks of 2 MiB or more (%d of them in\n"
	       "    zone %s), from each CPU's lists too, each only if free (no reclaim, no\n"
	       "    compaction): none is left\n", l->nbig, here, l->zone.name);
	return true;
}

/* The 64 pageblocks where compaction changed the most frames: the window drawn. */
static void compact_pick_window(struct compact_lab *l)
{
	unsigned long long span = 64 * pl_pageblock_frames(), best = 0, most = 0;

	for (unsigned long long w = 0; w * span < l->zone.spanned; w++) {
		unsigned long long changed = 0;

		for (unsigned long long i = w * span; i < (w + 1) * span && i < l->zone.spanned; i++)
			changed += l->map[i] != l->map0[i];
		if (changed > most) {
			most = changed;
			best = w;
		}
	}
	l->win = l->zone.start_pfn + best * span;
	/* Never past the zone's end. */
	if (l->win + span > l->zone.start_pfn + l->zone.spanned && l->zone.spanned > span)
		l->win = l->zone.start_pfn + l->zone.spanned - span;
}

/* Draw the window before (from the copy) and after compaction. */
static void compact_draw(struct compact_lab *l, bool *ok)
{
	unsigned long long n = 64 * pl_pageblock_frames(), off;
	const char *file[] = { "compact-before.svg", "compact-after.svg" };
	const unsigned char *maps[] = { l->map0, l->map };
	char path[512], title[128];

	if (!l->svg_dir)
		return;
	compact_pick_window(l);
	off = l->win - l->zone.start_pfn;
	n = n < l->zone.spanned - off ? n : l->zone.spanned - off;
	for (int i = 0; i < 2; i++) {
		int ret;

		snprintf(path, sizeof(path), "%s/%s", l->svg_dir, file[i]);
		snprintf(title, sizeof(title), "node %d zone %s, %s compaction (pagelab's frames red)",
			 l->zone.node, l->zone.name, i ? "after" : "before");
		ret = pl_phys_svg(path, maps[i] + off, l->win, n, title);
		if (ret)
			pl_err("buddy: writing %s: %s", path, strerror(-ret));
		else
			printf("    drawn: %s (frames %#llx-%#llx, where compaction changed most)\n",
			       path, l->win, l->win + n - 1);
		*ok &= !ret;
	}
}

/* Take unmovable order-0 frames through the module: where do they land? */
static void compact_take_unmovable(struct compact_lab *l, size_t holes)
{
	unsigned long long pb = pl_pageblock_frames(), pbs = 0, last = ~0ULL;
	int want = (int)(holes / 64 > 2048 ? 2048 : holes / 64 + 1);

	l->blk = calloc((size_t)want, sizeof(*l->blk));
	for (l->nblk = 0; l->blk && l->nblk < want; l->nblk++)
		if (pl_buddy_alloc(l->fd, 0, &l->blk[l->nblk]))
			break;
	/* Pageblocks they landed in (frames come out roughly in order). */
	for (int i = 0; i < l->nblk; i++) {
		bool seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = l->blk[j].pfn / pb == l->blk[i].pfn / pb;
		pbs += !seen;
		last = l->blk[i].pfn;
	}
	printf("  The module takes %d unmovable frames (order 0, as a driver would):\n"
	       "    they landed in %llu pageblock%s", l->nblk, pbs, pbs == 1 ? "" : "s");
	if (l->nblk)
		printf(" (the last at frame %#llx)", last);
	printf(".  The kernel groups unmovable\n"
	       "    allocations into pageblocks of their own where it can (%d frames\n"
	       "    fill %.1f pageblocks at best), so that few pageblocks are pinned.\n",
	       l->nblk, (double)l->nblk / (double)pb);
}

/* How many of the pages we still hold changed frame since the fill. */
static size_t compact_moved(const struct compact_lab *l, size_t *held)
{
	uint64_t *now = calloc(l->npages, sizeof(*now));
	size_t moved = 0;

	*held = 0;
	if (!now || pl_pagemap_range(0, (unsigned long)l->region, l->npages, now)) {
		free(now);
		return 0;
	}
	for (size_t i = 0; i < l->npages; i++) {
		if (!(l->pm[i] >> 63) || !(now[i] >> 63))
			continue;
		(*held)++;
		moved += (now[i] & PL_PM_PFN_MASK) != (l->pm[i] & PL_PM_PFN_MASK);
	}
	free(now);
	return moved;
}

/* Frames the pagemap says are ours and the map says are anonymous: should be all. */
static void compact_agree(const struct compact_lab *l, bool *ok)
{
	size_t ours = 0, anon = 0;

	for (size_t i = 0; i < l->npages; i++) {
		uint64_t pfn = l->pm[i] & PL_PM_PFN_MASK;

		if (!(l->pm[i] >> 63) || pfn - l->zone.start_pfn >= l->zone.spanned)
			continue;
		ours++;
		anon += (l->map[pfn - l->zone.start_pfn] & PAGELAB_PHYS_KIND_MASK) ==
			PAGELAB_PHYS_ANON;
	}
	printf("    the map and pagemap agree: %zu of our %zu pages in this zone read as anon\n",
	       anon, ours);
	pl_check(ok, ours && anon * 100 >= ours * 99,
		 "the module's map calls %zu of our %zu anonymous pages something else", ours - anon,
		 ours);
}

static int compact_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* An order-9 request that may not compact, given straight back: served? */
static bool compact_try_huge(struct compact_lab *l, const char *when)
{
	struct pagelab_buddy b, fr;
	int ret = pl_buddy_take(l->fd, HUGE_ORDER, PAGELAB_BUDDY_NOWAIT, &b);

	printf("    %s, a 2 MiB (order %d) request that may not compact: %s\n", when,
	       HUGE_ORDER, ret ? "failed, no free block" : "served");
	if (!ret)
		pl_buddy_free(l->fd, b.handle, &fr);
	return !ret;
}

static void compact_run(struct compact_lab *l, bool *ok)
{
	long long a[NCOUNTERS], b[NCOUNTERS], um = 0, mv = 0, rc = 0;
	struct pl_phys_sum before, after;
	bool drained, failed, served;
	size_t holes, moved, held;
	int ret;

	printf("  Fill: %zu anonymous pages (%zu MiB), 4 KiB each, until the zone's free\n"
	       "  memory is near its floor; then one frame of each pair of buddies we hold\n"
	       "  given back:\n", l->npages, l->npages * l->ps >> 20);
	holes = compact_punch(l);
	printf("    %zu holes of one frame each, %zu MiB free that no 8 KiB request can use\n",
	       holes, holes * l->ps >> 20);
	drained = compact_take_large(l);
	compact_indexes(l, "the kernel's indexes");
	failed = !compact_try_huge(l, "fragmented");
	compact_take_unmovable(l, holes);
	printf("\n  Before compaction:\n");
	if (compact_map(l, "before", &before)) {
		*ok = false;
		return;
	}
	memcpy(l->map0, l->map, l->zone.spanned);
	compact_agree(l, ok);
	if (!pl_pagetype_blocks(l->zone.node, l->zone.name, &um, &mv, &rc))
		printf("    /proc/pagetypeinfo pageblocks: unmovable %lld, movable %lld, "
		       "reclaimable %lld\n", um, mv, rc);
	compact_read_counters(a);
	ret = compact_write("/proc/sys/vm/compact_memory", "1");
	if (ret) {
		pl_err("buddy: writing /proc/sys/vm/compact_memory: %s", strerror(-ret));
		*ok = false;
		return;
	}
	compact_read_counters(b);
	moved = compact_moved(l, &held);
	printf("\n  echo 1 > /proc/sys/vm/compact_memory, then:\n"
	       "    /proc/vmstat:");
	for (size_t i = 0; i < NCOUNTERS; i++) {
		printf("%s %s ", i && i % 3 == 0 ? "\n                 " : "", compact_counters[i]);
		if (a[i] < 0 || b[i] < 0)
			printf("n/a");
		else
			printf("%+lld", b[i] - a[i]);
	}
	if (a[0] < 0)
		printf("\n    (this kernel keeps no event counters: CONFIG_VM_EVENT_COUNTERS is off)");
	printf("\n    of the %zu pages we hold, %zu changed frame (pagemap): migrated\n",
	       held, moved);
	compact_indexes(l, "the kernel's indexes");
	if (compact_map(l, "after", &after)) {
		*ok = false;
		return;
	}
	compact_draw(l, ok);
	served = compact_try_huge(l, "compacted");
	if (drained && !failed)
		printf("  (The 2 MiB request before compaction was served all the same: a block\n"
		       "  was freed meanwhile by other activity on this machine.)\n");
	pl_check(ok, moved > 0, "compaction moved none of our %zu anonymous pages", held);
	pl_check(ok, after.pb_free > before.pb_free, "compaction freed no pageblock");
	pl_check(ok, served, "no 2 MiB block was free after compaction");
	printf("  What you see: free memory did not change, its shape did.  Compaction\n"
	       "  migrated anonymous pages (each copied to a new frame, its page table\n"
	       "  entry rewritten: pagemap shows the new frames) until whole pageblocks\n"
	       "  were free: %llu free pageblocks before, %llu after.  It cannot move the\n"
	       "  kernel's own pages: %llu pageblocks of the zone stay pinned, the ones\n"
	       "  holding pagelab's %d frames and its large blocks in this zone among\n"
	       "  them (%d large blocks in all).\n",
	       before.pb_free, after.pb_free, after.pb_pinned, l->nblk, l->nbig);
}

/**
 * buddy_compact() - pagelab buddy --compact: see the file's comment
 * @fd:       /dev/pagelab
 * @fill_mib: the most to fill with anonymous memory (0: down to the zone's floor)
 * @svg_dir:  where to draw compact-before.svg and compact-after.svg, or NULL
 * @ok:       set false if a step fails or shows what it should not
 */
void buddy_compact(int fd, unsigned long long fill_mib, const char *svg_dir, bool *ok)
{
	struct compact_lab l = { .fd = fd, .svg_dir = svg_dir, .ps = sysconf(_SC_PAGESIZE) };
	int pfd, ret;

	printf("\n  Fragmentation and compaction:\n");
	l.fill_cap = fill_mib * (1ULL << 20) / (unsigned long long)l.ps;
	ret = compact_pick_zone(&l);
	if (!ret) {
		l.map = malloc(l.zone.spanned);
		l.map0 = malloc(l.zone.spanned);
		ret = l.map && l.map0 ? 0 : -ENOMEM;
	}
	/* Proactive compaction would tidy up behind our back: off while we look. */
	pfd = open(PROACTIVE, O_RDONLY | O_CLOEXEC);
	if (pfd >= 0) {
		ssize_t n = read(pfd, compact_saved, sizeof(compact_saved) - 1);

		compact_saved[n > 0 ? n : 0] = 0;
		close(pfd);
	}
	if (compact_saved[0]) {
		struct sigaction sa = { .sa_handler = compact_restore_on_signal };
		const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT };

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
		if (!compact_write(PROACTIVE, "0"))
			printf("    (vm.compaction_proactiveness %.*s set to 0 for the step, then back)\n",
			       (int)strcspn(compact_saved, "\n"), compact_saved);
	}
	if (!ret) {
		printf("  Zone %s of node %d: %llu pages free of %llu.\n", l.zone.name, l.zone.node,
		       l.zone.free, l.zone.managed);
		compact_indexes(&l, "at rest");
		ret = compact_fill(&l);
	}
	if (ret) {
		pl_err("buddy: filling zone %s: %s", l.zone.name, strerror(-ret));
		*ok = false;
	} else {
		compact_run(&l, ok);
	}
	if (compact_saved[0]) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT };

		compact_write(PROACTIVE, compact_saved);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
	}
	for (int i = 0; i < l.nblk; i++) {
		struct pagelab_buddy fr;

		pl_buddy_free(fd, l.blk[i].handle, &fr);
	}
	for (int i = 0; i < l.nbig; i++) {
		struct pagelab_buddy fr;

		pl_buddy_free(fd, l.big[i].handle, &fr);
	}
	free(l.big);
	if (l.region)
		munmap(l.region, l.npages * l.ps);
	free(l.blk);
	free(l.pm);
	free(l.map);
	free(l.map0);
}
