// SPDX-License-Identifier: GPL-2.0
/*
 * device_test - /dev/pagelab itself: open, the version and info ioctls, bad
 * input, permissions, debugfs, and the CLI's contract.  Runs in the guest
 * against the loaded module (kselftest harness, TAP output).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = pl_open();
	ASSERT_GE(self->fd, 0) TH_LOG("%s", pl_open_hint(self->fd));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, version_reports_abi_and_kernel)
{
	struct pagelab_version v;
	struct utsname u;

	ASSERT_EQ(0, pl_version(self->fd, &v));
	ASSERT_EQ(0, uname(&u));
	EXPECT_EQ((__u32)PAGELAB_ABI_MAJOR, v.abi_major);
	EXPECT_EQ((__u32)PAGELAB_ABI_MINOR, v.abi_minor);
	EXPECT_STREQ(u.release, v.kernel);
	EXPECT_NE(0U, strlen(v.release));
	EXPECT_NE(0ULL, v.features & PAGELAB_FEAT_DEVICE);
}

/*
 * ABI 1.5 and 1.6: the bits that describe the running kernel follow its
 * version (Debian's kernels: PTE tables freed by RCU from 6.6, per-VMA
 * locks built in from 6.7, the zero page refused in writable shared
 * mappings from 6.10).
 */
TEST_F(dev, version_describes_the_running_kernel)
{
	struct pagelab_version v;
	unsigned int major, minor;
	struct utsname u;
	bool since_6_6, since_6_7, since_6_10;

	ASSERT_EQ(0, pl_version(self->fd, &v));
	ASSERT_EQ(0, uname(&u));
	ASSERT_EQ(2, sscanf(u.release, "%u.%u", &major, &minor)) TH_LOG("%s", u.release);
	since_6_6 = major > 6 || (major == 6 && minor >= 6);
	since_6_7 = major > 6 || (major == 6 && minor >= 7);
	since_6_10 = major > 6 || (major == 6 && minor >= 10);
	EXPECT_EQ(!since_6_10, !!(v.features & PAGELAB_FEAT_SHARED_ZERO)) TH_LOG("%s", u.release);
	EXPECT_EQ(since_6_7, !!(v.features & PAGELAB_FEAT_VMA_LOCK)) TH_LOG("%s", u.release);
	/* ABI 1.6: retracted PTE tables freed by RCU from 6.6. */
	EXPECT_EQ(since_6_6, !!(v.features & PAGELAB_FEAT_RCU_PTE)) TH_LOG("%s", u.release);
}

TEST_F(dev, version_rejects_flags_and_pad)
{
	struct pagelab_version v = { .flags = 1 };

	EXPECT_EQ(-1, ioctl(self->fd, PAGELAB_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
	memset(&v, 0, sizeof(v));
	v.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PAGELAB_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, info_matches_machine)
{
	struct pagelab_info info;
	char line[4096];
	int la57 = 0;
	FILE *f;

	ASSERT_EQ(0, pl_info(self->fd, &info));
	EXPECT_EQ((unsigned int)sysconf(_SC_PAGESIZE), info.page_size);
	f = fopen("/proc/cpuinfo", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " la57"))
			la57 = 1;
	fclose(f);
	EXPECT_EQ(la57 ? 5U : 4U, info.pgtable_levels);
	EXPECT_EQ(info.pages_allocated - info.pages_freed, info.pages_held);
	EXPECT_GT(info.max_pages, 0ULL);
}

TEST_F(dev, info_rejects_flags_and_pad)
{
	struct pagelab_info info = { .flags = 0x80 };

	EXPECT_EQ(-1, ioctl(self->fd, PAGELAB_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	memset(&info, 0, sizeof(info));
	info.pad = 2;
	EXPECT_EQ(-1, ioctl(self->fd, PAGELAB_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A tool built against ABI 1.11 passes the old size: it gets the fields it
 * knows, and nothing past them is written.
 */
TEST_F(dev, info_answers_the_abi_1_11_size)
{
	union {
		struct pagelab_info info;
		unsigned char b[sizeof(struct pagelab_info) + 64];
	} u;
	struct pagelab_info now;
	int written = 0;

	ASSERT_LT((size_t)PAGELAB_INFO_SIZE_V1, sizeof(struct pagelab_info));
	memset(&u, 0xa5, sizeof(u));
	memset(&u, 0, PAGELAB_INFO_SIZE_V1);
	ASSERT_EQ(0, ioctl(self->fd, PAGELAB_IOC_INFO_V1, &u));
	EXPECT_EQ((unsigned int)sysconf(_SC_PAGESIZE), u.info.page_size);
	EXPECT_EQ(u.info.pages_allocated - u.info.pages_freed, u.info.pages_held);
	ASSERT_EQ(0, pl_info(self->fd, &now));
	EXPECT_EQ(now.max_pages, u.info.max_pages);
	EXPECT_EQ(now.objects, u.info.objects);
	for (size_t k = PAGELAB_INFO_SIZE_V1; k < sizeof(u.b); k++)
		written += u.b[k] != 0xa5;
	EXPECT_EQ(0, written) TH_LOG("bytes past the ABI 1.11 size written");
	/* The old size is checked as the new one is. */
	memset(&u, 0, sizeof(u));
	u.info.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, PAGELAB_IOC_INFO_V1, &u));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, unknown_ioctl_is_enotty)
{
	char buf[256] = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IO(PAGELAB_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR('x', 0x00, struct pagelab_version), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong size: a different command. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(PAGELAB_IOC_MAGIC, 0x00, __u64), buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, bad_user_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, PAGELAB_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PAGELAB_IOC_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, device_is_not_mappable)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
}

TEST(device_is_root_only)
{
	struct stat st;
	pid_t pid;
	int status;

	ASSERT_EQ(0, stat(PAGELAB_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		_exit(pl_open() == -EACCES ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Every module-wide counter, from the one list of them, and the caps. */
TEST(debugfs_stats_agree_with_ioctl)
{
	struct pagelab_info info;
	unsigned long long v, page_size;
	int fd = pl_open();

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pl_info(fd, &info));
	close(fd);
#define PAGELAB_MODULE_COUNTER(field, label) \
	ASSERT_EQ(0, pl_debugfs_stat(#field, &v)) TH_LOG("no " #field " line"); \
	EXPECT_EQ(info.field, v) TH_LOG(#field);
#include "uapi/pagelab_module_counters.h"
#undef PAGELAB_MODULE_COUNTER
	ASSERT_EQ(0, pl_debugfs_stat("page_size", &page_size));
	EXPECT_EQ(info.page_size, page_size);
	ASSERT_EQ(0, pl_debugfs_stat("max_pages", &v));
	EXPECT_EQ(info.max_pages, v);
	ASSERT_EQ(0, pl_param_read("max_store_pages", &v));
	EXPECT_EQ(info.max_store_pages, v);
	EXPECT_EQ(-ENOENT, pl_debugfs_stat("no_such_key", &v));
}

/*
 * The tour runs every lab, the fragmentation lab's fill of a zone too:
 * seconds on Debian's kernels, minutes on the debug kernel.
 */
FIXTURE(tour) {
	int unused;
};

FIXTURE_SETUP(tour)
{
}

FIXTURE_TEARDOWN(tour)
{
}

TEST_F_TIMEOUT(tour, runs_to_the_end, 900)
{
	static char out[131072];

	EXPECT_EQ(0, pl_run_cli("tour", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "End of tour.")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "CHECK FAILED")) TH_LOG("%s", out);
}

TEST(cli_contract)
{
	static char out[65536];
	int st;

	st = pl_run_cli("--help", out, sizeof(out));
	EXPECT_EQ(0, st);
	EXPECT_NE(NULL, strstr(out, "tour"));

	st = pl_run_cli("no-such-command", out, sizeof(out));
	EXPECT_EQ(2, st);
	EXPECT_NE(NULL, strstr(out, "unknown command"));

	st = pl_run_cli("info --bogus", out, sizeof(out));
	EXPECT_EQ(2, st);

	st = pl_run_cli("info --json", out, sizeof(out));
	EXPECT_EQ(0, st);
	EXPECT_NE(NULL, strstr(out, "\"pages_held\": "));

	for (const char *c = "tour\0version\0info\0demand\0share\0stat\0bench\0physmap\0"; *c;
	     c += strlen(c) + 1) {
		char args[64];

		snprintf(args, sizeof(args), "%s --help", c);
		st = pl_run_cli(args, out, sizeof(out));
		EXPECT_EQ(0, st) TH_LOG("pagelab %s", args);
		EXPECT_NE(NULL, strstr(out, "usage: pagelab")) TH_LOG("pagelab %s", args);
	}
}

TEST(cli_explains_missing_device)
{
	static char out[4096];
	int st;

	/* A private mount namespace with an empty /dev: the device is gone. */
	st = pl_run_cli("version", out, sizeof(out));
	ASSERT_EQ(0, st);
	st = system("unshare -m sh -c 'mount -t tmpfs none /dev && pagelab version' "
		    ">/tmp/pl_nodev.out 2>&1");
	EXPECT_EQ(1, WEXITSTATUS(st));
	FILE *f = fopen("/tmp/pl_nodev.out", "re");

	ASSERT_NE(NULL, f);
	out[fread(out, 1, sizeof(out) - 1, f)] = '\0';
	fclose(f);
	EXPECT_NE(NULL, strstr(out, "is the module loaded?")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
