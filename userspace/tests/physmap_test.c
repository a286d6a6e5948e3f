// SPDX-License-Identifier: GPL-2.0
/*
 * physmap_test - PAGELAB_IOC_PHYSMAP, pagelab physmap and pagelab buddy
 * --compact: the frame map checked against what the kernel says elsewhere
 * (/proc/buddyinfo's free blocks, pagemap's frames of our own anonymous
 * and file pages, the module's own blocks and slabs), bad input, root
 * only, and the fragmentation and compaction lab; run in the guest against
 * the loaded module, as root (kselftest harness).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_phys.h"
#include "pl_test_util.h"

FIXTURE(physmap) {
	int dev;
	struct pagelab_info before;
};

FIXTURE_SETUP(physmap)
{
	struct pagelab_version v;

	self->dev = pl_open();
	ASSERT_GE(self->dev, 0) TH_LOG("%s", pl_open_hint(self->dev));
	ASSERT_EQ(0, pl_version(self->dev, &v));
	ASSERT_NE(0ULL, v.features & PAGELAB_FEAT_PHYSMAP);
	ASSERT_EQ(0, pl_info(self->dev, &self->before));
}

FIXTURE_TEARDOWN(physmap)
{
	close(self->dev);
	self->dev = pl_open();
	pl_expect_held_as_before(_metadata, self->dev, &self->before);
	close(self->dev);
}

/* One frame's byte from the module. */
static int kind_of(int dev, unsigned long long pfn)
{
	unsigned char b;
	int ret = pl_physmap(dev, pfn, 1, &b, NULL);

	return ret ? ret : b;
}

TEST_F(physmap, bad_requests_get_clear_errnos)
{
	unsigned char buf[64];
	struct pagelab_physmap r = { .start_pfn = 0, .count = 64 };

	r.buf = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	r.count = 0;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	EXPECT_EQ(EINVAL, errno);
	r.count = PAGELAB_PHYSMAP_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	EXPECT_EQ(EINVAL, errno);
	r.count = 64;
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.pad = 1;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	EXPECT_EQ(EINVAL, errno);
	r.pad = 0;
	r.start_pfn = 1ULL << 52;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	EXPECT_EQ(EINVAL, errno);
	r.start_pfn = (1ULL << 52) - 8;
	r.count = 16;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	EXPECT_EQ(EINVAL, errno);
	/* Far past memory but below the limit: holes. */
	r.start_pfn = (1ULL << 52) - 64;
	r.count = 64;
	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ(0, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	for (int i = 0; i < 64; i++) {
		EXPECT_EQ(PAGELAB_PHYS_HOLE, buf[i]);
	}
	r.start_pfn = 0;
	r.buf = 0;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, &r));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_PHYSMAP, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* Physical addresses: a process without CAP_SYS_ADMIN gets none. */
TEST_F(physmap, frames_are_for_cap_sys_admin_only)
{
	pid_t kid = fork();

	ASSERT_GE(kid, 0);
	if (!kid) {
		unsigned char b;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		_exit(pl_physmap(self->dev, 4096, 1, &b, NULL) == -EPERM ? 0 : 1);
	}
	EXPECT_EQ(0, pl_reap(kid));
}

/* Free blocks per order, the module's count against /proc/buddyinfo's, each zone. */
TEST_F(physmap, free_blocks_match_buddyinfo)
{
	struct pl_zone z[16];
	int nz = pl_zones(z, 16);

	ASSERT_GT(nz, 0);
	for (int i = 0; i < nz; i++) {
		unsigned long long blocks[16] = { 0 }, mine = 0, theirs = 0, diff = 0;
		unsigned char *map = malloc(z[i].spanned);
		long long bi[PL_PHYS_ORDERS];

		ASSERT_NE(NULL, map);
		ASSERT_EQ(0, pl_physmap(self->dev, z[i].start_pfn, z[i].spanned, map, blocks));
		ASSERT_EQ(0, pl_buddyinfo(z[i].node, z[i].name, bi)) TH_LOG("zone %s", z[i].name);
		for (int o = 0; o < PL_PHYS_ORDERS; o++) {
			mine += blocks[o] << o;
			theirs += (unsigned long long)bi[o] << o;
			diff += (blocks[o] > (unsigned long long)bi[o] ?
				 blocks[o] - bi[o] : bi[o] - blocks[o]) << o;
		}
		/* Two snapshots of a live allocator: within 1% and 1024 frames. */
		EXPECT_LE(diff, theirs / 100 + 1024)
			TH_LOG("zone %s: the map's free blocks hold %llu frames, buddyinfo's %llu",
			       z[i].name, mine, theirs);
		free(map);
	}
}

/* Frames whose use we know: each reads as its kind. */
TEST_F(physmap, known_frames_read_as_their_kind)
{
	long ps = sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/physmap_test.XXXXXX";
	struct pagelab_buddy b;
	struct pagelab_slab s;
	uint64_t pm;
	char *anon, *file;
	int fd, k;

	/* The module's own block: allocated, no page cache, no slab: kernel. */
	ASSERT_EQ(0, pl_buddy_alloc(self->dev, 3, &b));
	for (int i = 0; i < 8; i++) {
		EXPECT_EQ(PAGELAB_PHYS_KERNEL, kind_of(self->dev, b.pfn + i));
	}
	ASSERT_EQ(0, pl_buddy_free(self->dev, b.handle, &b));
	/* Anonymous memory. */
	anon = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	anon[0] = 1;
	ASSERT_EQ(0, pl_pagemap(0, (unsigned long)anon, &pm));
	ASSERT_NE(0ULL, pm & PL_PM_PFN_MASK);
	EXPECT_EQ(PAGELAB_PHYS_ANON, kind_of(self->dev, pm & PL_PM_PFN_MASK));
	/* A file's page: page cache (tmpfs or not). */
	fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, ps));
	file = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, file);
	file[0] = 1;
	ASSERT_EQ(0, pl_pagemap(0, (unsigned long)file, &pm));
	EXPECT_EQ(PAGELAB_PHYS_FILE, kind_of(self->dev, pm & PL_PM_PFN_MASK));
	munmap(file, ps);
	close(fd);
	unlink(path);
	munmap(anon, ps);
	/* A slab of a cache of our own. */
	ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_CREATE, 512, 0, 0, &s));
	ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_ALLOC, 0, 0, 0, &s));
	k = kind_of(self->dev, s.slab_pfn);
	EXPECT_EQ(PAGELAB_PHYS_SLAB, k);
}

/* An order-9 block freed whole reads as free frames of order >= 9 (or per-CPU). */
TEST_F(physmap, a_freed_block_reads_free)
{
	unsigned char *map = malloc(512);
	struct pagelab_buddy b;
	int free_frames = 0;

	ASSERT_NE(NULL, map);
	if (pl_buddy_take(self->dev, 9, PAGELAB_BUDDY_NOWAIT, &b) == -ENOMEM) {
		free(map);
		SKIP(return, "no free 2 MiB block in the guest now");
	}
	ASSERT_EQ(0, pl_physmap(self->dev, b.pfn, 512, map, NULL));
	for (int i = 0; i < 512; i++) {
		EXPECT_EQ(PAGELAB_PHYS_KERNEL, map[i]);
	}
	ASSERT_EQ(0, pl_buddy_free(self->dev, b.handle, &b));
	ASSERT_EQ(0, pl_physmap(self->dev, b.pfn, 512, map, NULL));
	for (int i = 0; i < 512; i++) {
		unsigned char k = map[i] & PAGELAB_PHYS_KIND_MASK;

		free_frames += k == PAGELAB_PHYS_FREE || k == PAGELAB_PHYS_NOREF;
	}
	/* Other allocations may take some back at once; most stay free. */
	EXPECT_GE(free_frames, 256);
	free(map);
}

TEST_F(physmap, the_command_sums_and_draws)
{
	static char out[65536];
	char svg[512];
	FILE *f;

	EXPECT_EQ(0, pl_run_cli("physmap", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "/proc/buddyinfo")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pageblocks:")) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("physmap --json", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(out, "{\"ranges\":[{\"zone\":", 19)) TH_LOG("%s", out);
	EXPECT_EQ(0, pl_run_cli("physmap --start 0x1000 --count 0x4000 --svg /tmp/pm.svg", out,
				sizeof(out))) TH_LOG("%s", out);
	f = fopen("/tmp/pm.svg", "re");
	ASSERT_NE(NULL, f);
	EXPECT_NE(NULL, fgets(svg, sizeof(svg), f));
	EXPECT_EQ(0, strncmp(svg, "<?xml", 5));
	ASSERT_EQ(0, fseek(f, -7, SEEK_END));
	EXPECT_NE(NULL, fgets(svg, sizeof(svg), f));
	EXPECT_STREQ("</svg>\n", svg);
	fclose(f);
	unlink("/tmp/pm.svg");
	EXPECT_EQ(2, pl_run_cli("physmap --count 0 2>&1", out, sizeof(out)));
	EXPECT_EQ(2, pl_run_cli("physmap --start 5 2>&1", out, sizeof(out)));
	EXPECT_EQ(2, pl_run_cli("physmap --svg /tmp/x.svg 2>&1", out, sizeof(out)));
	EXPECT_EQ(1, pl_run_cli("physmap --zone Nowhere 2>&1", out, sizeof(out)));
}

static void read_proactiveness(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/vm/compaction_proactiveness", "re");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = 0;
		fclose(f);
	}
}

/*
 * Fragmentation, then compaction: the lab's own checks (the CLI fails on
 * any: a 2 MiB block found free before, none moved, no pageblock freed,
 * none free after), its story, and the sysctl it pauses given back.  A
 * full zone's fill and compaction under TCG (KASAN on the debug kernel):
 * minutes, not seconds.
 */
TEST_F_TIMEOUT(physmap, compaction_undoes_fragmentation, 900)
{
	static char out[65536];
	char before[32], after[32];
	struct stat st;

	read_proactiveness(before, sizeof(before));
	EXPECT_EQ(0, pl_run_cli("buddy --compact --svg-dir /tmp", out, sizeof(out)))
		TH_LOG("%s", out);
	read_proactiveness(after, sizeof(after));
	EXPECT_STREQ(before, after);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
	/* Before compaction no 2 MiB block (unless other activity freed one). */
	EXPECT_NE(NULL, strstr(out, "the kernel's indexes: unusable_index")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "changed frame (pagemap)")) TH_LOG("%s", out);
	EXPECT_EQ(0, stat("/tmp/compact-before.svg", &st));
	EXPECT_EQ(0, stat("/tmp/compact-after.svg", &st));
	unlink("/tmp/compact-before.svg");
	unlink("/tmp/compact-after.svg");
	EXPECT_EQ(2, pl_run_cli("buddy --compact --fill-mib 1 2>&1", out, sizeof(out)));
}

TEST_HARNESS_MAIN
