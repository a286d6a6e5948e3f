// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab tour - a guided, live walk through what pagelab shows.  Each
 * capability adds a stop; every number printed is read from the running
 * kernel at that moment.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

static void tour_heading(int n, const char *title)
{
	printf("\n== %d. %s ==\n", n, title);
	fflush(stdout);
}

/* Run one demo subcommand in this process; its output goes on stdout. */
static int tour_run(int (*cmd)(int argc, char **argv), char *name, char *a1, char *a2)
{
	char *argv[] = { name, a1, a2, NULL };
	int argc = a1 ? (a2 ? 3 : 2) : 1;
	int ret;

	ret = cmd(argc, argv);
	fflush(stdout);
	return ret;
}

/* The same with any number of arguments (@argv NULL-terminated, [0] the name). */
static int tour_runv(int (*cmd)(int argc, char **argv), char **argv)
{
	int argc = 0, ret;

	while (argv[argc])
		argc++;
	ret = cmd(argc, argv);
	fflush(stdout);
	return ret;
}

static int tour_replace(int first_stop)
{
	char belady[] = "1 2 3 4 1 2 5 1 2 3 4 5";
	char *replay[] = { "replay", "--policy", "fifo", "--frames", "3", "--string", belady,
			   "--exact", "--verbose", NULL };
	char *sweep[] = { "sweep", "--policies", "fifo,lru,clock,opt", "--frames", "1-5",
			  "--string", belady, "--exact", NULL };
	const char *scratch = getenv("PAGELAB_SCRATCH");
	char store[PATH_MAX];
	char *swap[] = { "swap", "--quiet", NULL, NULL, NULL, NULL, NULL };
	bool file = false;
	int bad = 0;

	/* On a disk (the guest's PAGELAB_SCRATCH), the swap stop pages out to a file. */
	if (scratch && *scratch &&
	    snprintf(store, sizeof(store), "%s/pagelab-tour-swap", scratch) < (int)sizeof(store)) {
		swap[2] = "--store";
		swap[3] = store;
		swap[4] = "--delay-ms";
		swap[5] = "100";
		file = true;
	}

	tour_heading(first_stop, "Page replacement: a reference string, frame by frame");
	printf("  'pagelab replay' gives an object a budget of 3 frames (FIFO) and touches\n"
	       "  its pages in the order of a reference string; the frame table is rebuilt\n"
	       "  from the module's event log:\n\n");
	fflush(stdout);
	if (tour_runv(cmd_replay, replay))
		bad++;
	printf("\n  What you see: every column is one reference.  A fault (F) takes a free\n"
	       "  frame or evicts the page loaded first; a page evicted earlier comes back\n"
	       "  from the module's store (P), a major fault.  The counts are the module's.\n");

	tour_heading(first_stop + 1, "Belady's anomaly: more frames, more faults");
	printf("  'pagelab sweep' replays the same string for each policy and 1 to 5\n"
	       "  frames (opt, Belady's optimal, is simulated: it needs the future):\n\n");
	fflush(stdout);
	if (tour_runv(cmd_sweep, sweep))
		bad++;
	printf("\n  What you see: FIFO faults more with 4 frames than with 3 (marked '!').\n"
	       "  LRU and OPT never do: they are stack algorithms (the pages held with N\n"
	       "  frames are always among those held with N + 1).\n");

	tour_heading(first_stop + 2, "Paging out and in: 8 pages, 3 frames");
	printf("  'pagelab swap' writes 8 pages through a budget of 3 frames and reads them\n"
	       "  back; after each step, what the module did:\n");
	if (file)
		printf("  (the store is the file %s, on the host's disk, and every\n"
		       "  page-in sleeps 100 ms more: a slow disk)\n", store);
	printf("\n");
	fflush(stdout);
	if (tour_runv(cmd_swap, swap))
		bad++;
	printf("\n  What you see: a page that loses its frame goes to the store, written only\n"
	       "  if the store's copy is stale (dirty); touching it again reads it back, and\n"
	       "  that fault counts as a major fault of the process, as a swap-in would.\n");
	return bad;
}

static int tour_mem(int stop)
{
	tour_heading(stop, "How much memory does a process use? RSS, PSS, USS");
	printf("  'pagelab mem --demo' forks three children from a parent that wrote 8 MiB,\n"
	       "  and counts each one's pages from its page tables (pagelab mem --pid PID\n"
	       "  does it for any process, beside the kernel's /proc/PID/smaps_rollup):\n\n");
	fflush(stdout);
	if (tour_run(cmd_mem, "mem", "--demo", NULL))
		return 1;
	printf("\n  So: RSS overstates shared memory (top and ps add it up once per process),\n"
	       "  swapped memory is in no RSS, PSS adds up to the memory in use, and USS is\n"
	       "  what a process's exit gives back.\n");
	return 0;
}

static int tour_huge(int stop)
{
	tour_heading(stop, "Huge pages: one fault for 2 MiB, and splits");
	printf("  'pagelab huge' writes the same memory with transparent huge pages off\n"
	       "  and on, then changes 4 KiB of a huge page:\n\n");
	fflush(stdout);
	return tour_run(cmd_huge, "huge", NULL, NULL) ? 1 : 0;
}

static int tour_heap(int stop)
{
	char *argv[] = { "heap", "-c", "-S", "32", "-H", "1", "-p", "FIRST", "--frag",
			 "--frag-size", "6", "--live", "--unit", "1024", "-A",
			 "+7,+7,+3,-0,+4,-1,+10", NULL };

	tour_heading(stop, "malloc and free: a free list on real pages");
	printf("  'pagelab heap' is OSTEP's free-list homework (malloc.py's options and\n"
	       "  answers) on a pagelab object: a heap of 32 units of 1 KiB (8 pages),\n"
	       "  a 1-unit header, first fit, and after each step the free list, the\n"
	       "  fragmentation, and which pages hold frames:\n\n");
	fflush(stdout);
	if (tour_runv(cmd_heap, argv))
		return 1;
	printf("  What you see: the header and the rounding waste units inside blocks\n"
	       "  (internal fragmentation); frees leave holes too small for the next\n"
	       "  request (external); the heap's pages get frames when first written,\n"
	       "  and a free that empties a page gives its frame back.\n");
	return 0;
}

static int tour_buddy_slab(int stop)
{
	char *buddy[] = { "buddy", "--blocks", "16", NULL };
	char *slab[] = { "slab", "--objects", "40", NULL };
	int bad = 0;

	tour_heading(stop, "The buddy allocator: blocks, buddies, splits and merges");
	printf("  'pagelab buddy' takes blocks of 2^order pages from the kernel's page\n"
	       "  allocator through the module and reads /proc/buddyinfo around each step:\n\n");
	fflush(stdout);
	bad += tour_runv(cmd_buddy, buddy) ? 1 : 0;
	tour_heading(stop + 1, "A slab cache of your own: slots, slabs, partial slabs");
	printf("  'pagelab slab' has the module make a cache of 200-byte objects and\n"
	       "  reads the kernel's own counts (/sys/kernel/slab, /proc/slabinfo):\n\n");
	fflush(stdout);
	bad += tour_runv(cmd_slab, slab) ? 1 : 0;
	return bad;
}

static int tour_compact(int stop)
{
	char *physmap[] = { "physmap", NULL };
	char *compact[] = { "buddy", "--compact", NULL };
	int bad = 0;

	tour_heading(stop, "Physical memory: fragmentation and compaction");
	printf("  'pagelab physmap' reads every frame's page descriptor through the\n"
	       "  module and sums each zone by kind, its free blocks beside\n"
	       "  /proc/buddyinfo's:\n\n");
	fflush(stdout);
	bad += tour_runv(cmd_physmap, physmap) ? 1 : 0;
	printf("\n  'pagelab buddy --compact' fragments the zone on purpose, then has the\n"
	       "  kernel compact it (add --svg-dir DIR for pictures of before and after):\n");
	fflush(stdout);
	bad += tour_runv(cmd_buddy, compact) ? 1 : 0;
	return bad;
}

static int tour_objects(int first_stop)
{
	char pages[] = "256";
	int bad = 0;

	tour_heading(first_stop, "Demand paging: memory is allocated when it is touched");
	printf("  'pagelab demand --pages %s' creates an object of %s pages and maps it.\n"
	       "  Watch the object's resident pages and this process's RSS:\n\n",
	       pages, pages);
	fflush(stdout);
	if (tour_run(cmd_demand, "demand", "--pages", pages))
		bad++;
	printf("\n  What you see: mmap only reserved addresses.  Reading every page still\n"
	       "  allocated nothing: each read fault mapped the kernel's one shared zero\n"
	       "  page, read-only (zero_maps counts them).  Only the first write to a page\n"
	       "  allocated it, so one page in four is resident, and RSS grew by as much.\n");

	tour_heading(first_stop + 1, "Sharing: one object, three processes, the same frames");
	printf("  'pagelab share' maps one object in this process, a forked child and an\n"
	       "  unrelated program that opens it by id:\n\n");
	fflush(stdout);
	if (tour_run(cmd_share, "share", NULL, NULL))
		bad++;
	printf("\n  What you see: a write by any of them is read by the others at once,\n"
	       "  with no copy and no message: /proc/self/pagemap shows the same physical\n"
	       "  frame numbers in all three page tables.  The page is the object's; each\n"
	       "  process only has page-table entries pointing at it.\n");
	return bad;
}

static int tour_cow(int first_stop)
{
	int bad = 0;

	tour_heading(first_stop, "Copy-on-write: shared until written, then copied");
	printf("  'pagelab cow' forks a process that maps an object MAP_PRIVATE, then\n"
	       "  snapshots the object (PAGELAB_IOC_CLONE) and writes to the snapshot:\n\n");
	fflush(stdout);
	if (tour_run(cmd_cow, "cow", "--quiet", NULL))
		bad++;
	printf("\n  What you see: after fork, and after a clone, two page tables point at one\n"
	       "  frame, read-only.  The first write traps; the fault handler copies that\n"
	       "  one page for the writer, and only its frame number changes.  For the\n"
	       "  private mapping the copy is the kernel's (anonymous memory); for the\n"
	       "  snapshot it is pagelab's, counted in the clone's cow_breaks.\n");

	tour_heading(first_stop + 1, "Merging: identical pages, one frame");
	printf("  'pagelab merge' fills two objects with partly equal pages and asks\n"
	       "  pagelab to merge them (PAGELAB_IOC_MERGE):\n\n");
	fflush(stdout);
	if (tour_run(cmd_merge, "merge", NULL, NULL))
		bad++;
	printf("\n  What you see: the same contents now sit in one frame, pages of zeros in\n"
	       "  none, and pages_held fell by the frames freed.  Merged pages are\n"
	       "  copy-on-write: writing one gives it its own frame again.  (KSM does this\n"
	       "  for anonymous memory, scanning in the background.)\n");
	return bad;
}

static int tour_page_tables(int stop)
{
	volatile char here = 1;
	char addr[32];
	int bad = 0;

	tour_heading(stop, "Page tables, level by level");
	if (access(PL_WALK_PATH, F_OK)) {
		printf("  (this module has no %s: the stop is skipped)\n", PL_WALK_PATH);
		return 0;
	}
	snprintf(addr, sizeof(addr), "%p", (void *)&here);
	printf("  'pagelab walk %s' follows one byte of this process's stack from the\n"
	       "  top-level table (CR3 points at it) down to the physical frame:\n\n", addr);
	fflush(stdout);
	if (tour_run(cmd_walk, "walk", addr, NULL))
		bad++;
	(void)here;
	printf("\n  'pagelab segments' walks one address of each part of this process, and\n"
	       "  one kernel address:\n\n");
	fflush(stdout);
	if (tour_run(cmd_segments, "segments", NULL, NULL))
		bad++;
	printf("\n  What to look at: the stack, heap and anonymous memory are writable but NX\n"
	       "  (data is never executed), while the text is read-only and executable.  The\n"
	       "  kernel address is reached through the same top-level table, but its entries\n"
	       "  lack U: a user-mode access to it faults.  Dirty (D) marks pages written.\n");
	return bad;
}

static void tour_debugfs(void)
{
	DIR *d = opendir(PAGELAB_DEBUGFS);
	struct dirent *e;

	if (!d) {
		printf("  (debugfs not mounted at /sys/kernel/debug)\n");
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf("  %s/%s\n", PAGELAB_DEBUGFS, e->d_name);
	closedir(d);
}

static void tour_usage(void)
{
	printf("usage: pagelab tour\n\n"
	       "Walk through what pagelab offers on this kernel, live:\n"
	       "the device, the module, the machine's paging, demand paging and\n"
	       "the zero page (pagelab demand), pages shared between processes\n"
	       "(pagelab share), copy-on-write after fork and of snapshots\n"
	       "(pagelab cow), merging identical pages (pagelab merge), page\n"
	       "replacement: a reference string frame by frame (pagelab replay),\n"
	       "Belady's anomaly (pagelab sweep), paging out and in (pagelab\n"
	       "swap), page tables level by level (pagelab walk and pagelab\n"
	       "segments), how much memory a process uses (pagelab mem), huge\n"
	       "pages (pagelab huge), malloc's free list (pagelab heap), the buddy\n"
	       "and slab allocators (pagelab buddy, pagelab slab), physical memory\n"
	       "and compaction (pagelab physmap, pagelab buddy --compact), the\n"
	       "debugfs files.\n");
}

/* Stop 1: the device node, then the module's version and info through it. */
static int tour_device(struct pagelab_version *v, struct pagelab_info *i)
{
	struct stat st;
	int fd, ret;

	tour_heading(1, "The device");
	if (stat(PAGELAB_DEVICE, &st)) {
		pl_err("%s", pl_open_hint(-ENOENT));
		return PL_EXIT_FAIL;
	}
	printf("  %s: character device %u:%u, mode %04o\n", PAGELAB_DEVICE,
	       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	ret = pl_version(fd, v);
	if (!ret)
		ret = pl_info(fd, i);
	close(fd);
	if (ret) {
		pl_err("ioctl on %s failed: %s", PAGELAB_DEVICE, strerror(-ret));
		return PL_EXIT_FAIL;
	}
	return 0;
}

/* Stop 2: the module's release, ABI and what it offers. */
static void tour_module(const struct pagelab_version *v)
{
	tour_heading(2, "The module");
	printf("  pagelab %s, ABI %u.%u (this tool: %d.%d)%s\n", v->release, v->abi_major,
	       v->abi_minor, PAGELAB_ABI_MAJOR, PAGELAB_ABI_MINOR,
	       v->abi_major == PAGELAB_ABI_MAJOR ? "" : "  ** ABI MISMATCH **");
	printf("  running on Linux %s\n", v->kernel);
	printf("  offers:%s%s%s%s%s%s\n", v->features & PAGELAB_FEAT_DEVICE ? " device+ioctls" : "",
	       v->features & PAGELAB_FEAT_DEBUGFS ? " debugfs" : "",
	       v->features & PAGELAB_FEAT_OBJECTS ? " objects" : "",
	       v->features & PAGELAB_FEAT_COW ? " copy-on-write" : "",
	       v->features & PAGELAB_FEAT_REPLACE ? " page-replacement" : "",
	       v->features & PAGELAB_FEAT_FILE_STORE ? " file-store" : "");
}

/* Stop 3: page size, levels, the cap, and this kernel's fault rules. */
static void tour_paging(const struct pagelab_version *v, const struct pagelab_info *i)
{
	tour_heading(3, "This machine's paging");
	printf("  page size %u bytes; %u-level page tables (%s)\n", i->page_size,
	       i->pgtable_levels,
	       i->pgtable_levels == 5 ? "PGD -> P4D -> PUD -> PMD -> PTE, 57-bit addresses"
				      : "PGD -> PUD -> PMD -> PTE, 48-bit addresses; P4D folded");
	printf("  pagelab may hold at most %llu pages (%llu MiB); it holds %llu now\n",
	       (unsigned long long)i->max_pages,
	       (unsigned long long)i->max_pages * i->page_size >> 20,
	       (unsigned long long)i->pages_held);
	if (v->features & PAGELAB_FEAT_VMA_LOCK)
		printf("  faults on pagelab's mappings run under the VMA's own lock, not the\n"
		       "  process's mmap_lock (per-VMA locks, Linux 6.7 on): a fault here need\n"
		       "  not wait for an mmap() or munmap() elsewhere in the process, and one\n"
		       "  that must sleep (a page-in) lets go of that lock and is retried\n");
	else
		printf("  faults on pagelab's mappings run under the process's mmap_lock (read);\n"
		       "  Linux 6.7 on takes the VMA's own lock instead (per-VMA locks)\n");
	if (v->features & PAGELAB_FEAT_SHARED_ZERO)
		printf("  reading a never-written page maps the kernel's one shared zero page\n");
	else
		printf("  reading a never-written page through a writable shared mapping gives it\n"
		       "  its own zeroed frame: since Linux 6.10 the kernel refuses the shared zero\n"
		       "  page there (a long-term pin could hold it while a write replaced it);\n"
		       "  private mappings and read-only attaches still map the zero page\n");
	if (v->features & PAGELAB_FEAT_RCU_PTE)
		printf("  a PTE table can be freed while mmap_lock is only read-held (a huge-page\n"
		       "  collapse of a file range retracts it; Linux 6.6 on), after an RCU grace\n"
		       "  period: the walk below re-checks the PMD that led to the table, inside\n"
		       "  an RCU read section and under the table's lock, and reads it again\n");
	else
		printf("  PTE tables go only under mmap_lock held for writing; Linux 6.6 on frees\n"
		       "  retracted ones under the read lock, after an RCU grace period\n");
}

/* Stops 4 on: the demos this module offers, then debugfs.  The demos that failed. */
static int tour_demos(const struct pagelab_version *v)
{
	int bad = 0, stop = 4;

	if (v->features & PAGELAB_FEAT_OBJECTS) {
		bad = tour_objects(4);
		stop = 6;
		if (v->features & PAGELAB_FEAT_COW) {
			bad += tour_cow(stop);
			stop += 2;
		} else {
			printf("\n  (this module offers no copy-on-write: the COW and merge stops\n"
			       "  are skipped)\n");
		}
		if (v->features & PAGELAB_FEAT_REPLACE) {
			bad += tour_replace(stop);
			stop += 3;
		} else {
			printf("\n  (this module offers no page replacement: the replay, sweep and\n"
			       "  swap stops are skipped)\n");
		}
	} else {
		printf("\n  (this module offers no objects: the demand paging and sharing\n"
		       "  stops are skipped)\n");
	}
	bad += tour_page_tables(stop++);
	bad += tour_mem(stop++);
	bad += tour_huge(stop++);
	if (v->features & PAGELAB_FEAT_OBJECTS)
		bad += tour_heap(stop++);
	if ((v->features & (PAGELAB_FEAT_BUDDY | PAGELAB_FEAT_SLAB)) ==
	    (PAGELAB_FEAT_BUDDY | PAGELAB_FEAT_SLAB)) {
		bad += tour_buddy_slab(stop);
		stop += 2;
	}
	if (v->features & PAGELAB_FEAT_PHYSMAP)
		bad += tour_compact(stop++);
	tour_heading(stop, "What debugfs shows");
	tour_debugfs();
	return bad;
}

/**
 * cmd_tour() - pagelab tour: see tour_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "tour")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_tour(int argc, char **argv)
{
	struct pagelab_version v;
	struct pagelab_info i;
	int bad;

	if (pl_wants_help(argc, argv)) {
		tour_usage();
		return PL_EXIT_OK;
	}
	if (argc > 1) {
		pl_err("tour takes no arguments (see pagelab tour --help)");
		return PL_EXIT_USAGE;
	}
	printf("pagelab tour: virtual memory, watched live on this kernel.\n");
	if (tour_device(&v, &i))
		return PL_EXIT_FAIL;
	tour_module(&v);
	tour_paging(&v, &i);
	bad = tour_demos(&v);
	printf("\nEnd of tour.\n");
	if (bad)
		printf("(%d demo%s above did not show what it should: see its output)\n", bad,
		       bad == 1 ? "" : "s");
	return v.abi_major == PAGELAB_ABI_MAJOR && !bad ? PL_EXIT_OK : PL_EXIT_FAIL;
}
