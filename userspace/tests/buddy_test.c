// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_test - PAGELAB_IOC_BUDDY and pagelab buddy: blocks from the
 * kernel's buddy allocator, their alignment and buddies, merges seen at
 * the PFN level, the page cap, per-file ownership, frees on close, bad
 * input; run in the guest against the loaded module, as root (kselftest
 * harness).  Every test checks that the module holds what it held before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

FIXTURE(buddy) {
	int dev;
	struct pagelab_info before;
	bool restore_max;
	unsigned long long saved_max;
};

FIXTURE_SETUP(buddy)
{
	struct pagelab_version v;

	self->dev = pl_open();
	ASSERT_GE(self->dev, 0) TH_LOG("%s", pl_open_hint(self->dev));
	ASSERT_EQ(0, pl_version(self->dev, &v));
	ASSERT_NE(0ULL, v.features & PAGELAB_FEAT_BUDDY);
	ASSERT_EQ(0, pl_info(self->dev, &self->before));
}

FIXTURE_TEARDOWN(buddy)
{
	if (self->restore_max) {
		EXPECT_EQ(0, pl_param_write("max_pages", self->saved_max));
	}
	close(self->dev);
	/* The device fd's blocks went with it: a fresh one holds none. */
	self->dev = pl_open();
	pl_expect_held_as_before(_metadata, self->dev, &self->before);
	close(self->dev);
}

/* Is zone @zone of node @nid a line of /proc/buddyinfo? */
static bool in_buddyinfo(int nid, const char *zone)
{
	char line[512], want[64];
	FILE *f = fopen("/proc/buddyinfo", "re");
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "Node %d, zone ", nid);
	while (fgets(line, sizeof(line), f)) {
		char z[32];

		if (!strncmp(line, want, strlen(want)) &&
		    sscanf(line + strlen(want), "%31s", z) == 1 && !strcmp(z, zone))
			found = true;
	}
	fclose(f);
	return found;
}

TEST_F(buddy, every_order_is_aligned_and_has_its_buddy)
{
	for (unsigned int o = 0; o <= PAGELAB_BUDDY_MAX_ORDER; o++) {
		struct pagelab_buddy b, f;
		struct pagelab_info i0, i1;

		ASSERT_EQ(0, pl_info(self->dev, &i0));
		ASSERT_EQ(0, pl_buddy_alloc(self->dev, o, &b)) TH_LOG("order %u", o);
		ASSERT_EQ(0, pl_info(self->dev, &i1));
		EXPECT_EQ(o, b.order);
		EXPECT_NE(0ULL, b.handle);
		EXPECT_EQ(0ULL, b.pfn % (1ULL << o)) TH_LOG("order %u pfn %#llx", o,
							    (unsigned long long)b.pfn);
		EXPECT_EQ(b.pfn ^ (1ULL << o), b.buddy_pfn);
		EXPECT_TRUE(in_buddyinfo(b.nid, b.zone)) TH_LOG("zone %s", b.zone);
		EXPECT_EQ(i0.pages_held + (1ULL << o), i1.pages_held);
		ASSERT_EQ(0, pl_buddy_free(self->dev, b.handle, &f));
		EXPECT_EQ(b.pfn, f.pfn);
		EXPECT_EQ(o, f.order);
		ASSERT_EQ(0, pl_info(self->dev, &i1));
		EXPECT_EQ(i0.pages_held, i1.pages_held);
	}
}

TEST_F(buddy, bad_requests_get_clear_errnos)
{
	struct pagelab_buddy b;

	EXPECT_EQ(-EINVAL, pl_buddy_alloc(self->dev, PAGELAB_BUDDY_MAX_ORDER + 1, &b));
	EXPECT_EQ(-EINVAL, pl_buddy_alloc(self->dev, 1U << 31, &b));
	memset(&b, 0, sizeof(b));
	b.op = 3;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_BUDDY, &b));
	EXPECT_EQ(EINVAL, errno);
	memset(&b, 0, sizeof(b));
	b.op = PAGELAB_BUDDY_ALLOC;
	b.flags = PAGELAB_BUDDY_NOWAIT << 1;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_BUDDY, &b));
	EXPECT_EQ(EINVAL, errno);
	memset(&b, 0, sizeof(b));
	b.op = PAGELAB_BUDDY_FREE;
	b.flags = PAGELAB_BUDDY_NOWAIT;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_BUDDY, &b));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, pl_buddy_free(self->dev, 0, &b));
	EXPECT_EQ(-ENOENT, pl_buddy_free(self->dev, 12345, &b));
	EXPECT_EQ(-ENOENT, pl_buddy_free(self->dev, 1ULL << 40, &b));
	/* A double free. */
	ASSERT_EQ(0, pl_buddy_alloc(self->dev, 2, &b));
	ASSERT_EQ(0, pl_buddy_free(self->dev, b.handle, &b));
	EXPECT_EQ(-ENOENT, pl_buddy_free(self->dev, b.handle, &b));
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_BUDDY, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* Blocks are the open file's: another file cannot free them; closing frees them. */
TEST_F(buddy, blocks_belong_to_their_file)
{
	struct pagelab_info i0, i1;
	struct pagelab_buddy b;
	int other = pl_open();

	ASSERT_GE(other, 0);
	ASSERT_EQ(0, pl_info(self->dev, &i0));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, pl_buddy_alloc(other, 3, &b));
	EXPECT_EQ(-ENOENT, pl_buddy_free(self->dev, b.handle, &b));
	ASSERT_EQ(0, pl_info(self->dev, &i1));
	EXPECT_EQ(i0.pages_held + 64, i1.pages_held);
	close(other);
	ASSERT_EQ(0, pl_info(self->dev, &i1));
	EXPECT_EQ(i0.pages_held, i1.pages_held);
}

TEST_F(buddy, the_page_cap_holds)
{
	struct pagelab_info i0;
	struct pagelab_buddy b;

	ASSERT_EQ(0, pl_info(self->dev, &i0));
	ASSERT_EQ(0, pl_param_read("max_pages", &self->saved_max));
	self->restore_max = true;
	ASSERT_EQ(0, pl_param_write("max_pages", i0.pages_held + 20));
	EXPECT_EQ(0, pl_buddy_alloc(self->dev, 4, &b));
	EXPECT_EQ(-ENOSPC, pl_buddy_alloc(self->dev, 3, &b));
	EXPECT_EQ(0, pl_buddy_alloc(self->dev, 2, &b));
}

/*
 * The PFN-level truth of a merge: of two buddies we hold, the one given
 * back first finds its buddy held (no free block starts there); when the
 * second goes too, the pair merges into one free block of order 5 or more
 * starting at the lower frame.  Other allocations may take it first: one
 * pair of the many tried must show it.
 */
TEST_F(buddy, buddies_merge_when_both_are_free)
{
	enum { N = 256 };
	static struct pagelab_buddy b[N];
	int got = 0, pairs = 0, merged = 0, held_seen = 0;

	for (; got < N; got++)
		if (pl_buddy_alloc(self->dev, 4, &b[got]))
			break;
	ASSERT_GE(got, 16);
	for (int i = 0; i < got; i++) {
		for (int j = 0; j < got; j++) {
			struct pagelab_buddy f1, f2;
			int lo = b[i].pfn < b[j].pfn ? i : j, hi = lo == i ? j : i;

			if (!b[i].handle || !b[j].handle || b[j].pfn != b[i].buddy_pfn)
				continue;
			pairs++;
			ASSERT_EQ(0, pl_buddy_free(self->dev, b[hi].handle, &f1));
			held_seen += !f1.buddy_free;
			ASSERT_EQ(0, pl_buddy_free(self->dev, b[lo].handle, &f2));
			/* The upper half's first frame is no block start now... */
			merged += !f2.buddy_free;
			b[i].handle = b[j].handle = 0;
		}
	}
	for (int i = 0; i < got; i++)
		if (b[i].handle)
			EXPECT_EQ(0, pl_buddy_free(self->dev, b[i].handle, &b[i]));
	TH_LOG("%d blocks, %d buddy pairs; buddy held at the first free %d times, "
	       "merged at the second %d times", got, pairs, held_seen, merged);
	if (!pairs && _metadata->passed)
		SKIP(return, "no two of %d blocks of order 4 were buddies", got);
	EXPECT_EQ(pairs, held_seen);
	EXPECT_GE(merged, 1);
}

/* Frames are physical addresses: a process without CAP_SYS_ADMIN gets none, fd or not. */
TEST_F(buddy, frames_are_for_cap_sys_admin_only)
{
	pid_t kid = fork();

	ASSERT_GE(kid, 0);
	if (!kid) {
		struct pagelab_buddy b;
		struct pagelab_slab s;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (pl_buddy_alloc(self->dev, 4, &b) != -EPERM)
			_exit(1);
		if (pl_slab(self->dev, PAGELAB_SLAB_CREATE, 64, 0, 0, &s) != -EPERM)
			_exit(2);
		_exit(0);
	}
	EXPECT_EQ(0, pl_reap(kid)) TH_LOG("1: BUDDY, 2: SLAB did not answer EPERM");
}

TEST_F(buddy, the_command_shows_splits_and_merges)
{
	static char out[16384];

	EXPECT_EQ(0, pl_run_cli("buddy", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "is a multiple of 32")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "/proc/buddyinfo, node 0 zone ")) TH_LOG("%s", out);
	EXPECT_EQ(2, pl_run_cli("buddy --order 3 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "per-CPU")) TH_LOG("%s", out);
	EXPECT_EQ(2, pl_run_cli("buddy --bogus 2>&1", out, sizeof(out)));
}

TEST_HARNESS_MAIN
