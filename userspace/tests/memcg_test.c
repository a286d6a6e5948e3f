// SPDX-License-Identifier: GPL-2.0
/*
 * memcg_test - pagelab pages are charged to the memory cgroup of the task
 * that faults them in, and a charge that cannot be met OOM-kills that task
 * (the memcg OOM killer).  Its own binary because the second test provokes
 * a kernel OOM report on purpose: the guest run declares it with
 * --expect-splat for the comm "pagelab_oomtest".
 *
 * Needs cgroup2 at /sys/fs/cgroup with the memory controller, and root.
 * Children never use ASSERT/EXPECT: they report with their exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

#define CGROOT		"/sys/fs/cgroup"
#define MiB		(1024ULL * 1024)
#define OOM_COMM	"pagelab_oomtest"

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[256];
	int fd, ret = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(val))
		ret = -EIO;
	close(fd);
	return ret;
}

/* A number file (memory.current), or "KEY N" in a keyed file (memory.events). */
static int cg_read(const char *cg, const char *file, const char *key, unsigned long long *v)
{
	char path[256], line[256], k[64];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			ret = sscanf(line, "%llu", v) == 1 ? 0 : -EINVAL;
			break;
		}
		if (sscanf(line, "%63s %llu", k, v) == 2 && !strcmp(k, key)) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static bool has_memory_controller(void)
{
	char line[512] = "";
	FILE *f = fopen(CGROOT "/cgroup.controllers", "re");
	bool yes;

	if (!f)
		return false;
	yes = fgets(line, sizeof(line), f) && strstr(line, "memory");
	fclose(f);
	return yes;
}

/* A fresh child cgroup of the root, with the memory controller on. */
static const char *cg_make(const char *cg)
{
	if (!has_memory_controller())
		return "no cgroup2 memory controller at " CGROOT;
	if (cg_write(CGROOT, "cgroup.subtree_control", "+memory"))
		return "cannot enable +memory in " CGROOT "/cgroup.subtree_control";
	rmdir(cg);	/* a leftover of an earlier run */
	if (mkdir(cg, 0755))
		return "cannot create the test cgroup";
	return NULL;
}

static void cg_remove(const char *cg)
{
	for (int i = 0; i < 50 && rmdir(cg) && errno == EBUSY; i++)
		usleep(100000);
}

#define CHILD_CHECK(cond, code) do { if (!(cond)) _exit(code); } while (0)

FIXTURE(memcg) {
	int dev;
	size_t ps;
	struct pagelab_info before;
	int fd;
	pid_t child;
	const char *cg;
};

FIXTURE_SETUP(memcg)
{
	self->fd = -1;
	self->child = -1;
	self->dev = pl_open();
	ASSERT_GE(self->dev, 0) TH_LOG("%s", pl_open_hint(self->dev));
	self->ps = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, pl_info(self->dev, &self->before));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		pl_reap(self->child);
	}
	if (self->fd >= 0)
		close(self->fd);
	if (self->cg)
		cg_remove(self->cg);
	/* No ASSERT here: in this harness an ASSERT in teardown runs it again. */
	pl_expect_held_as_before(_metadata, self->dev, &self->before);
	close(self->dev);
}

/*
 * A child moved into its own cgroup writes 8 MiB of pagelab pages: the
 * cgroup's memory.current rises by at least that, though the parent, in
 * another cgroup, created the object.  Freeing the object uncharges it.
 */
TEST_F_TIMEOUT(memcg, pages_are_charged_to_the_faulting_task, 120)
{
	const size_t pages = 8 * MiB / self->ps;
	const char *cg = CGROOT "/pltest", *why;
	unsigned long long c0, c1, c2;
	struct pagelab_obj_stat st;
	int p2c[2], c2p[2];
	char pid[32], c;

	why = cg_make(cg);
	if (why)
		SKIP(return, "%s", why);
	self->cg = cg;
	ASSERT_EQ(0, pl_create(self->dev, pages * self->ps, 0, 0, "memcg", &self->fd, NULL));
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));

	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		unsigned char *q;

		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 2);
		q = mmap(NULL, pages * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		CHILD_CHECK(q != MAP_FAILED, 3);
		for (size_t i = 0; i < pages; i++)
			q[i * self->ps] = 1;
		CHILD_CHECK(write(c2p[1], "w", 1) == 1, 4);
		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 5);
		_exit(0);
	}
	snprintf(pid, sizeof(pid), "%d", (int)self->child);
	ASSERT_EQ(0, cg_write(cg, "cgroup.procs", pid));
	ASSERT_EQ(0, cg_read(cg, "memory.current", NULL, &c0));
	ASSERT_EQ(1, write(p2c[1], "g", 1));
	ASSERT_EQ(0, pl_read_full(c2p[0], &c, 1)) TH_LOG("child: %d", pl_reap(self->child));
	ASSERT_EQ(0, cg_read(cg, "memory.current", NULL, &c1));
	ASSERT_EQ(0, pl_obj_stat(self->fd, 0, &st));
	EXPECT_EQ((__u64)pages, st.resident);
	EXPECT_GE(c1, c0 + 8 * MiB) TH_LOG("memory.current %llu -> %llu", c0, c1);
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	EXPECT_EQ(0, pl_reap(self->child));
	self->child = -1;

	/* The pages outlive the child (the parent's fd): still charged. */
	ASSERT_EQ(0, cg_read(cg, "memory.current", NULL, &c2));
	EXPECT_GE(c2, c0 + 8 * MiB) TH_LOG("memory.current %llu after the child exited", c2);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, cg_read(cg, "memory.current", NULL, &c2));
	EXPECT_LT(c2, c0 + 2 * MiB) TH_LOG("memory.current %llu after the object was freed", c2);
}

/*
 * A child named pagelab_oomtest, in a cgroup with memory.max = 4M, writes
 * 16 MiB of pagelab pages: the charge fails, the memcg OOM killer kills it.
 * The OOM report (with its Call Trace) is declared to scripts/splat-scan
 * by a "pagelab-expect-splat: ERE" line in the kernel log, written just
 * before the child is let go, so a skipped test declares nothing.
 */
TEST_F_TIMEOUT(memcg, charge_failure_oom_kills_the_faulting_task, 120)
{
	const size_t pages = 16 * MiB / self->ps;
	const char *cg = CGROOT "/pltest_oom", *why;
	unsigned long long kills0 = 0, kills1 = 0, held;
	struct pagelab_obj_stat st;
	struct pagelab_info i1;
	int p2c[2];
	char pid[32], c;

	why = cg_make(cg);
	if (why)
		SKIP(return, "%s", why);
	self->cg = cg;
	ASSERT_EQ(0, cg_write(cg, "memory.max", "4M"));
	cg_write(cg, "memory.swap.max", "0");	/* absent without swap accounting */
	ASSERT_EQ(0, pl_create(self->dev, pages * self->ps, 0, 0, "oom", &self->fd, NULL));
	ASSERT_EQ(0, pipe(p2c));

	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		struct rlimit r = { 0, 0 };
		unsigned char *q;

		setrlimit(RLIMIT_CORE, &r);
		CHILD_CHECK(!prctl(PR_SET_NAME, OOM_COMM, 0, 0, 0), 2);
		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 3);
		q = mmap(NULL, pages * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		CHILD_CHECK(q != MAP_FAILED, 4);
		for (size_t i = 0; i < pages; i++)
			q[i * self->ps] = 1;
		_exit(5);	/* 16 MiB fit in 4M: not what a cgroup limit means */
	}
	snprintf(pid, sizeof(pid), "%d", (int)self->child);
	ASSERT_EQ(0, cg_write(cg, "cgroup.procs", pid));
	cg_read(cg, "memory.events", "oom_kill", &kills0);
	ASSERT_EQ(0, cg_write("/dev", "kmsg",	/* i.e. /dev/kmsg */
			      "pagelab-expect-splat: " OOM_COMM " invoked oom-killer\n"));
	ASSERT_EQ(1, write(p2c[1], "g", 1));
	EXPECT_EQ(128 + SIGKILL, pl_reap(self->child)) TH_LOG("the child must be OOM-killed");
	self->child = -1;
	ASSERT_EQ(0, cg_read(cg, "memory.events", "oom_kill", &kills1));
	EXPECT_GE(kills1, kills0 + 1);
	EXPECT_EQ(0ULL, kills0);

	ASSERT_EQ(0, pl_obj_stat(self->fd, 0, &st));
	EXPECT_GT(st.resident, 0ULL);
	EXPECT_LE(st.resident, 4 * MiB / self->ps) TH_LOG("more pages than memory.max allows");
	ASSERT_EQ(0, pl_info(self->dev, &i1));
	held = self->before.pages_held + st.resident;
	EXPECT_EQ(held, i1.pages_held);
	close(self->fd);
	self->fd = -1;
}

/*
 * A child in its own cgroup gives an 8 MiB object a budget of one frame and
 * a backing file on a tmpfs, then writes every page: each write evicts the
 * page before it into the file.  The file's 8 MiB of tmpfs pages are the
 * child's to pay for, though a kernel worker writes them: they must be
 * charged to the child's cgroup (memory.stat shmem), not to the root.
 */
TEST_F_TIMEOUT(memcg, file_store_pages_are_charged_to_the_store_owner, 180)
{
	const size_t pages = 8 * MiB / self->ps;
	const char *cg = CGROOT "/pltest_store", *why;
	char dir[] = "/tmp/pagelab-memcg-XXXXXX", path[64], pid[32], c;
	unsigned long long shmem0 = 0, shmem1 = 0;
	int p2c[2], c2p[2];

	why = cg_make(cg);
	if (why)
		SKIP(return, "%s", why);
	self->cg = cg;
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("pagelab-memcg", dir, "tmpfs", 0, "size=64m,mode=0700"))
		TH_LOG("mount tmpfs on %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/store", dir);
	ASSERT_EQ(0, pl_create(self->dev, pages * self->ps, 0, 0, "memcg-store", &self->fd, NULL));
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));

	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		unsigned char *q;
		int sfd;

		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 2);
		sfd = pl_store_open(path, pages * self->ps);
		CHILD_CHECK(sfd >= 0, 3);
		CHILD_CHECK(!pl_replace_store(self->fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 0,
					     sfd, 0), 4);
		q = mmap(NULL, pages * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		CHILD_CHECK(q != MAP_FAILED, 5);
		for (size_t i = 0; i < pages; i++)
			memset(q + i * self->ps, (int)(i & 0xff) | 1, self->ps);
		CHILD_CHECK(write(c2p[1], "w", 1) == 1, 6);
		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 7);
		_exit(0);
	}
	close(p2c[0]);		/* a child that gives up ends the parent's read */
	close(c2p[1]);
	snprintf(pid, sizeof(pid), "%d", (int)self->child);
	ASSERT_EQ(0, cg_write(cg, "cgroup.procs", pid));
	ASSERT_EQ(0, cg_read(cg, "memory.stat", "shmem", &shmem0));
	ASSERT_EQ(1, write(p2c[1], "g", 1));
	ASSERT_EQ(0, pl_read_full(c2p[0], &c, 1)) TH_LOG("child: %d", pl_reap(self->child));
	ASSERT_EQ(0, cg_read(cg, "memory.stat", "shmem", &shmem1));
	TH_LOG("the child's cgroup: shmem %llu kB -> %llu kB", shmem0 >> 10, shmem1 >> 10);
	/* All but the one resident page went to the file. */
	EXPECT_GE(shmem1, shmem0 + 7 * MiB) TH_LOG("the store's pages were charged elsewhere");
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	EXPECT_EQ(0, pl_reap(self->child));
	self->child = -1;
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, umount(dir));
	rmdir(dir);
}

/*
 * The same rule when the writes happen in PAGELAB_IOC_REPLACE itself: a
 * child in its own cgroup sets a file store with room for every page and
 * writes them all; then this process, in another cgroup, lowers the budget
 * to one frame, which writes the other pages to the file at once, in this
 * process.  They are the store owner's pages: charged to the child's cgroup.
 */
TEST_F_TIMEOUT(memcg, budget_lowered_from_another_cgroup_charges_the_store_owner, 180)
{
	const size_t pages = 8 * MiB / self->ps;
	const char *cg = CGROOT "/pltest_store2", *why;
	char dir[] = "/tmp/pagelab-memcg-XXXXXX", path[64], pid[32], c;
	unsigned long long shmem0 = 0, shmem1 = 0;
	int p2c[2], c2p[2], sfd;

	why = cg_make(cg);
	if (why)
		SKIP(return, "%s", why);
	self->cg = cg;
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("pagelab-memcg", dir, "tmpfs", 0, "size=64m,mode=0700"))
		TH_LOG("mount tmpfs on %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/store", dir);
	ASSERT_EQ(0, pl_create(self->dev, pages * self->ps, 0, 0, "memcg-store", &self->fd, NULL));
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));

	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		unsigned char *q;

		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 2);
		sfd = pl_store_open(path, pages * self->ps);
		CHILD_CHECK(sfd >= 0, 3);
		CHILD_CHECK(!pl_replace_store(self->fd, pages, PAGELAB_POLICY_FIFO,
					     PAGELAB_REPLACE_FILE, 0, sfd, 0), 4);
		q = mmap(NULL, pages * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		CHILD_CHECK(q != MAP_FAILED, 5);
		for (size_t i = 0; i < pages; i++)
			memset(q + i * self->ps, (int)(i & 0xff) | 1, self->ps);
		CHILD_CHECK(write(c2p[1], "w", 1) == 1, 6);
		CHILD_CHECK(!pl_read_full(p2c[0], &c, 1), 7);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	snprintf(pid, sizeof(pid), "%d", (int)self->child);
	ASSERT_EQ(0, cg_write(cg, "cgroup.procs", pid));
	ASSERT_EQ(1, write(p2c[1], "g", 1));
	ASSERT_EQ(0, pl_read_full(c2p[0], &c, 1)) TH_LOG("child: %d", pl_reap(self->child));
	ASSERT_EQ(0, cg_read(cg, "memory.stat", "shmem", &shmem0));

	/* The same file (the store stays the child's): every page but one goes to it now. */
	sfd = pl_store_open(path, pages * self->ps);
	ASSERT_GE(sfd, 0);
	ASSERT_EQ(0, pl_replace_store(self->fd, 1, PAGELAB_POLICY_FIFO, PAGELAB_REPLACE_FILE, 0,
				      sfd, 0));
	close(sfd);
	ASSERT_EQ(0, cg_read(cg, "memory.stat", "shmem", &shmem1));
	TH_LOG("the child's cgroup: shmem %llu kB -> %llu kB", shmem0 >> 10, shmem1 >> 10);
	EXPECT_GE(shmem1, shmem0 + 7 * MiB) TH_LOG("the store's pages were charged elsewhere");
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	EXPECT_EQ(0, pl_reap(self->child));
	self->child = -1;
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, umount(dir));
	rmdir(dir);
}

TEST_HARNESS_MAIN
