// SPDX-License-Identifier: GPL-2.0
/*
 * slab_test - PAGELAB_IOC_SLAB and pagelab slab: a slab cache of the
 * caller's own, its objects against the kernel's counts in
 * /sys/kernel/slab/NAME/, bad input, per-file ownership and the cache's
 * end when its file closes; run in the guest against the loaded module,
 * as root (kselftest harness).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

FIXTURE(slab) {
	int dev;
	struct pagelab_info before;
};

FIXTURE_SETUP(slab)
{
	struct pagelab_version v;

	self->dev = pl_open();
	ASSERT_GE(self->dev, 0) TH_LOG("%s", pl_open_hint(self->dev));
	ASSERT_EQ(0, pl_version(self->dev, &v));
	ASSERT_NE(0ULL, v.features & PAGELAB_FEAT_SLAB);
	ASSERT_EQ(0, pl_info(self->dev, &self->before));
}

FIXTURE_TEARDOWN(slab)
{
	close(self->dev);
	self->dev = pl_open();
	pl_expect_held_as_before(_metadata, self->dev, &self->before);
	close(self->dev);
}

TEST_F(slab, objects_fill_slabs_as_the_kernel_counts)
{
	enum { K = 300 };
	static struct pagelab_slab o[K];
	struct pagelab_slab s;
	long long per, slot, order, objects;
	int nslab = 0;

	ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_CREATE, 200, 0, 0, &s));
	EXPECT_EQ(0, strncmp(s.name, "pagelab_slab_", 13)) TH_LOG("%s", s.name);
	per = pl_slab_attr(s.name, "objs_per_slab");
	slot = pl_slab_attr(s.name, "slab_size");
	order = pl_slab_attr(s.name, "order");
	ASSERT_GT(per, 0) TH_LOG("no /sys/kernel/slab/%s", s.name);
	EXPECT_GE(slot, 200);
	EXPECT_GE(pl_slab_attr(s.name, "object_size"), 200);
	EXPECT_LE(per * slot, 4096LL << order);
	for (int i = 0; i < K; i++) {
		ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_ALLOC, 0, 0, 0, &o[i]));
		EXPECT_EQ(200U, o[i].size);
		/* A slab of a lower order where the kernel found no higher one. */
		EXPECT_LE(o[i].slab_order, (unsigned int)order);
		EXPECT_LT((long long)o[i].offset + 200, 4096LL << order);
	}
	/* No slab holds more than objs_per_slab of them; no two share an offset. */
	for (int i = 0; i < K; i++) {
		int same = 0, first = 1;

		for (int j = 0; j < K; j++) {
			if (o[j].slab_pfn != o[i].slab_pfn)
				continue;
			same++;
			if (j < i)
				first = 0;
			if (j != i) {
				EXPECT_NE(o[i].offset, o[j].offset);
			}
		}
		EXPECT_LE(same, per);
		nslab += first;
	}
	EXPECT_GE(nslab, (K + per - 1) / per);
	objects = pl_slab_attr(s.name, "objects");
	EXPECT_GE(objects, K) TH_LOG("the kernel counts %lld objects", objects);
	/*
	 * Given back, and the cache shrunk (which also flushes KASAN's
	 * quarantine of its objects): the kernel's count falls (it counts a
	 * per-CPU slab's free objects as in use, so not by all of them).
	 */
	for (int i = 0; i < K; i++)
		ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_FREE, 0, 0, o[i].handle, &s));
	EXPECT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_SHRINK, 0, 0, 0, &s));
	EXPECT_LT(pl_slab_attr(s.name, "objects"), objects);
}

TEST_F(slab, bad_requests_get_clear_errnos)
{
	struct pagelab_slab s;

	EXPECT_EQ(-EINVAL, pl_slab(self->dev, PAGELAB_SLAB_ALLOC, 0, 0, 0, &s));
	EXPECT_EQ(-EINVAL, pl_slab(self->dev, PAGELAB_SLAB_CREATE, 0, 0, 0, &s));
	EXPECT_EQ(-EINVAL, pl_slab(self->dev, PAGELAB_SLAB_CREATE, PAGELAB_SLAB_MAX_SIZE + 1, 0,
				   0, &s));
	EXPECT_EQ(-EINVAL, pl_slab(self->dev, PAGELAB_SLAB_CREATE, 64, 24, 0, &s));
	EXPECT_EQ(-EINVAL, pl_slab(self->dev, PAGELAB_SLAB_CREATE, 64, 8192, 0, &s));
	ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_CREATE, 64, 64, 0, &s));
	EXPECT_EQ(-EBUSY, pl_slab(self->dev, PAGELAB_SLAB_CREATE, 64, 0, 0, &s));
	EXPECT_EQ(-EINVAL, pl_slab(self->dev, 9, 0, 0, 0, &s));
	EXPECT_EQ(-EINVAL, pl_slab(self->dev, PAGELAB_SLAB_ALLOC, 64, 0, 0, &s));
	EXPECT_EQ(-ENOENT, pl_slab(self->dev, PAGELAB_SLAB_FREE, 0, 0, 7, &s));
	EXPECT_EQ(-ENOENT, pl_slab(self->dev, PAGELAB_SLAB_FREE, 0, 0, 1ULL << 40, &s));
	ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_ALLOC, 0, 0, 0, &s));
	/* Aligned to 64, as asked. */
	EXPECT_EQ(0U, s.offset % 64);
	ASSERT_EQ(0, pl_slab(self->dev, PAGELAB_SLAB_FREE, 0, 0, s.handle, &s));
	EXPECT_EQ(-ENOENT, pl_slab(self->dev, PAGELAB_SLAB_FREE, 0, 0, s.handle, &s));
	memset(&s, 0, sizeof(s));
	s.op = PAGELAB_SLAB_ALLOC;
	s.pad = 1;
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_SLAB, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->dev, PAGELAB_IOC_SLAB, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* The cache is the file's: closing it frees its objects and destroys the cache. */
TEST_F(slab, the_cache_ends_with_its_file)
{
	struct pagelab_slab s;
	char path[160];
	struct stat st;
	int other = pl_open();

	ASSERT_GE(other, 0);
	ASSERT_EQ(0, pl_slab(other, PAGELAB_SLAB_CREATE, 1000, 0, 0, &s));
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(0, pl_slab(other, PAGELAB_SLAB_ALLOC, 0, 0, 0, &s));
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s", s.name);
	/* This file has no cache: another file's handle means nothing here. */
	EXPECT_EQ(-EINVAL, pl_slab(self->dev, PAGELAB_SLAB_FREE, 0, 0, s.handle, &s));
	EXPECT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
	close(other);
	EXPECT_EQ(-1, stat(path, &st)) TH_LOG("%s is still there", path);
}

TEST_F(slab, the_command_shows_slabs)
{
	static char out[32768];

	EXPECT_EQ(0, pl_run_cli("slab", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "per slab of")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "/proc/slabinfo: pagelab_slab_")) TH_LOG("%s", out);
	EXPECT_EQ(2, pl_run_cli("slab --size 0 2>&1", out, sizeof(out)));
	EXPECT_EQ(2, pl_run_cli("slab --align 3 2>&1", out, sizeof(out)));
	EXPECT_EQ(2, pl_run_cli("slab --bogus 2>&1", out, sizeof(out)));
}

TEST_HARNESS_MAIN
