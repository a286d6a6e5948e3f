// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for module/replace.c: each policy's victim choice on crafted
 * states (pagelab_rp_pick() is pure bookkeeping: no page is touched), and
 * a kernel thread's fault on a store whose I/O is stuck.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pagelab.h"
#include "suites.h"

#define RP_PAGES 16

/* A replacer of @budget slots with pages 0..budget-1 loaded in order. */
static struct pagelab_replacer *rp_full(struct kunit *test, unsigned int policy,
					unsigned int budget)
{
	struct pagelab_replacer *rp = pagelab_rp_alloc(RP_PAGES);
	unsigned int s;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	rp->policy = policy;
	rp->budget = budget;
	for (s = 0; s < budget; s++) {
		pagelab_rp_load_slot(rp, s, s);
		rp->used++;
	}
	return rp;
}

struct pick_case {
	const char *desc;
	unsigned int policy;
	const char *touches;	/* pages referenced after the loads, in order */
	int skip;		/* a slot not to choose, or -1 */
	int expect;		/* the slot chosen */
};

static const struct pick_case pick_cases[] = {
	{ "fifo: oldest load", PAGELAB_POLICY_FIFO, "", -1, 0 },
	{ "fifo: hits do not matter", PAGELAB_POLICY_FIFO, "0 0 1", -1, 0 },
	{ "fifo: next oldest when skipped", PAGELAB_POLICY_FIFO, "", 0, 1 },
	{ "lru: oldest reference", PAGELAB_POLICY_LRU, "0", -1, 1 },
	{ "lru: all touched", PAGELAB_POLICY_LRU, "2 0 1", -1, 2 },
	{ "lfu: fewest references", PAGELAB_POLICY_LFU, "0 0 2", -1, 1 },
	{ "lfu: tie goes to the oldest load", PAGELAB_POLICY_LFU, "1 2", -1, 0 },
	{ "lfu: tie, oldest skipped", PAGELAB_POLICY_LFU, "", 0, 1 },
	{ "clock: all bits set: a full turn, then slot 0", PAGELAB_POLICY_CLOCK, "", -1, 0 },
	{ "clock: skipped slot passed over", PAGELAB_POLICY_CLOCK, "", 0, 1 },
};

static void pick_case_desc(const struct pick_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pick, pick_cases, pick_case_desc);

static void pagelab_rp_pick_test(struct kunit *test)
{
	const struct pick_case *c = test->param_value;
	struct pagelab_replacer *rp = rp_full(test, c->policy, 3);
	const char *t;

	for (t = c->touches; *t; t++)
		if (*t >= '0' && *t <= '9')
			pagelab_rp_touch(rp, *t - '0');
	if (c->skip >= 0)
		__set_bit(c->skip, rp->skip);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, c->skip >= 0 ? rp->skip : NULL), c->expect);
	pagelab_rp_free(rp);
}

static void pagelab_rp_clock_second_chance(struct kunit *test)
{
	struct pagelab_replacer *rp = rp_full(test, PAGELAB_POLICY_CLOCK, 3);

	/* Every bit set: the hand clears all three, then takes slot 0. */
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, NULL), 0);
	KUNIT_EXPECT_EQ(test, rp->ncleared, 3U);
	KUNIT_EXPECT_EQ(test, rp->hand, 1U);
	/* Page 3 replaces page 0; page 2 is referenced: slot 1 goes next. */
	pagelab_rp_load_slot(rp, 0, 3);
	pagelab_rp_touch(rp, 2);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, NULL), 1);
	KUNIT_EXPECT_EQ(test, rp->ncleared, 0U);
	KUNIT_EXPECT_EQ(test, rp->hand, 2U);
	/* Slot 2's bit is set: cleared (its page listed for unmapping), then 0's. */
	pagelab_rp_load_slot(rp, 1, 4);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, NULL), 2);
	KUNIT_EXPECT_EQ(test, rp->ncleared, 3U);
	pagelab_rp_free(rp);
}

static void pagelab_rp_random_in_range(struct kunit *test)
{
	struct pagelab_replacer *rp = rp_full(test, PAGELAB_POLICY_RANDOM, 5);
	int i, s;

	prandom_seed_state(&rp->rnd, 42);
	__set_bit(3, rp->skip);
	for (i = 0; i < 100; i++) {
		s = pagelab_rp_pick(rp, rp->skip);
		KUNIT_EXPECT_TRUE(test, s >= 0 && s < 5 && s != 3);
	}
	bitmap_fill(rp->skip, 5);
	KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, rp->skip), -1);
	pagelab_rp_free(rp);
}

static void pagelab_rp_all_skipped(struct kunit *test)
{
	static const unsigned int policies[] = {
		PAGELAB_POLICY_FIFO, PAGELAB_POLICY_LRU, PAGELAB_POLICY_LFU, PAGELAB_POLICY_CLOCK,
	};
	struct pagelab_replacer *rp;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		rp = rp_full(test, policies[i], 4);
		bitmap_fill(rp->skip, 4);
		KUNIT_EXPECT_EQ(test, pagelab_rp_pick(rp, rp->skip), -1);
		pagelab_rp_free(rp);
	}
}

#ifdef PAGELAB_HAVE_KUNIT_VM_MMAP
/* An ioctl on @f with @arg (@size bytes) passed through user memory @ubuf. */
static long kthread_ioctl(struct file *f, unsigned int cmd, unsigned long ubuf, void *arg,
			  size_t size)
{
	void __user *u = (void __user *)ubuf;
	long ret;

	if (copy_to_user(u, arg, size))
		return -EFAULT;
	ret = f->f_op->unlocked_ioctl(f, cmd, ubuf);
	if (!ret && copy_from_user(arg, u, size))
		return -EFAULT;
	return ret;
}

KUNIT_DEFINE_ACTION_WRAPPER(kthread_fput, fput, struct file *);

/* A file the test holds until it ends, however it ends. */
static struct file *kthread_hold(struct kunit *test, struct file *f)
{
	if (IS_ERR_OR_NULL(f) || kunit_add_action_or_reset(test, kthread_fput, f))
		return NULL;
	return f;
}

/*
 * A task of its own holds the store's i_rwsem, as a write(2) into the file
 * holds it, until the test lets it go or HOLDER_MAX_S passes: on a module
 * that makes the fault wait for the I/O, the test then fails, not hangs.
 */
#define HOLDER_MAX_S	45

struct kthread_holder {
	struct inode *inode;
	struct completion locked, release, done;
};

static int kthread_holder_fn(void *p)
{
	struct kthread_holder *h = p;

	inode_lock(h->inode);
	complete(&h->locked);
	wait_for_completion_timeout(&h->release, HOLDER_MAX_S * HZ);
	inode_unlock(h->inode);
	complete(&h->done);
	return 0;
}

static s64 kthread_io_waits(struct kunit *test, struct file *obj, unsigned long ubuf)
{
	struct pagelab_obj_stat st = {};

	KUNIT_EXPECT_EQ(test, kthread_ioctl(obj, PAGELAB_IOC_OBJ_STAT, ubuf, &st, sizeof(st)), 0);
	return st.io_waits;
}

/*
 * A kernel thread that faults through a borrowed mm (a vhost worker on
 * 6.1, USB gadget AIO) cannot be killed: its fault on an object whose
 * store's I/O is stuck must end by itself, with SIGBUS past the deadline,
 * not wait as long as the I/O.  The test is that thread: kunit_vm_mmap()
 * gives it an mm, and it makes an object through the real ioctls (their
 * fds, in the table kernel threads share, are closed at once).  Two
 * pages, budget one, stored in a tmpfs file: page 0 in the file, page 1
 * resident and dirty.  With the file's i_rwsem held, a read of page 0
 * needs page 1 written back first, which cannot run.  Then, the lock let
 * go, the read succeeds: nothing lost.
 */
static void pagelab_rp_kthread_fault_on_stuck_io_ends(struct kunit *test)
{
	struct pagelab_create c = { .size = 2 * PAGE_SIZE,
				    .flags = PAGELAB_CREATE_NO_FAULT_AROUND };
	struct pagelab_replace r = { .budget = 1, .policy = PAGELAB_POLICY_FIFO,
				     .flags = PAGELAB_REPLACE_FILE };
	struct kthread_holder *h;
	struct file *dev, *obj, *store;
	struct task_struct *t;
	unsigned long ubuf, map;
	s64 ms, waits;
	u8 *buf, byte;
	int fd, err;
	ktime_t t0;

	KUNIT_ASSERT_TRUE(test, current->flags & PF_KTHREAD);
	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, buf && h);
	ubuf = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_TRUE_MSG(test, ubuf && !IS_ERR_VALUE(ubuf), "kunit_vm_mmap(): %ld",
			      (long)ubuf);

	dev = kthread_hold(test, filp_open("/dev/pagelab", O_RDWR, 0));
	KUNIT_ASSERT_NOT_NULL_MSG(test, dev, "open /dev/pagelab");
	KUNIT_ASSERT_EQ(test, kthread_ioctl(dev, PAGELAB_IOC_CREATE, ubuf, &c, sizeof(c)), 0);
	obj = kthread_hold(test, file_close_fd(c.fd));
	KUNIT_ASSERT_NOT_NULL(test, obj);

	/* The store: a file nobody else can open, on devtmpfs (a tmpfs). */
	store = kthread_hold(test, filp_open("/dev", O_TMPFILE | O_RDWR, 0600));
	KUNIT_ASSERT_NOT_NULL_MSG(test, store, "O_TMPFILE in /dev");
	KUNIT_ASSERT_EQ(test, vfs_truncate(&store->f_path, 2 * PAGE_SIZE), 0);
	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, get_file(store));
	r.store_fd = fd;
	err = kthread_ioctl(obj, PAGELAB_IOC_REPLACE, ubuf, &r, sizeof(r));
	fput(file_close_fd(fd));
	KUNIT_ASSERT_EQ(test, err, 0);

	map = kunit_vm_mmap(test, obj, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_TRUE_MSG(test, map && !IS_ERR_VALUE(map), "mmap the object: %ld",
			      (long)map);
	/* Page 0, then page 1: page 0 goes to the file (the lock is free). */
	memset(buf, 0x5a, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)map, buf, PAGE_SIZE), 0);
	memset(buf, 0xa5, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(map + PAGE_SIZE), buf, PAGE_SIZE), 0);

	h->inode = file_inode(store);
	init_completion(&h->locked);
	init_completion(&h->release);
	init_completion(&h->done);
	t = kthread_run(kthread_holder_fn, h, "pagelab-kunit-holder");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&h->locked);
	waits = kthread_io_waits(test, obj, ubuf);
	t0 = ktime_get();
	/* One load, one fault (copy_from_user() would fault twice: bytewise after). */
	err = get_user(byte, (u8 __user *)map);
	ms = ktime_ms_delta(ktime_get(), t0);
	complete(&h->release);
	wait_for_completion(&h->done);
	kunit_info(test, "the read with the store's lock held ended after %lld ms\n", ms);
	KUNIT_EXPECT_EQ_MSG(test, err, -EFAULT,
			    "a read needing a stuck write-back did not fail (%lld ms)", ms);
	/* It waited for the I/O (not SIGBUS for want of a slot), PAGELAB_IO_WAIT_MAX (20 s). */
	KUNIT_EXPECT_GT(test, kthread_io_waits(test, obj, ubuf), waits);
	KUNIT_EXPECT_GE_MSG(test, ms, 15 * 1000LL, "the fault gave up after %lld ms", ms);
	KUNIT_EXPECT_LT_MSG(test, ms, 40 * 1000LL,
			    "the kthread's fault waited %lld ms for the stuck I/O", ms);

	/* The I/O ran once the lock went: page 0 comes back whole. */
	KUNIT_EXPECT_EQ(test, get_user(byte, (u8 __user *)map), 0);
	KUNIT_EXPECT_EQ(test, byte, 0x5a);
	memset(buf, 0, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, copy_from_user(buf, (void __user *)map, PAGE_SIZE), 0UL);
	KUNIT_EXPECT_EQ(test, buf[0], 0x5a);
	KUNIT_EXPECT_EQ(test, buf[PAGE_SIZE - 1], 0x5a);
}
#else
static void pagelab_rp_kthread_fault_on_stuck_io_ends(struct kunit *test)
{
	kunit_skip(test, "no kunit_vm_mmap() (Debian's kernels: KUnit out of tree)");
}
#endif

static struct kunit_case pagelab_replace_cases[] = {
	KUNIT_CASE_PARAM(pagelab_rp_pick_test, pick_gen_params),
	KUNIT_CASE(pagelab_rp_clock_second_chance),
	KUNIT_CASE(pagelab_rp_random_in_range),
	KUNIT_CASE(pagelab_rp_all_skipped),
	KUNIT_CASE_SLOW(pagelab_rp_kthread_fault_on_stuck_io_ends),
	{}
};

struct kunit_suite pagelab_replace_suite = {
	.name = "pagelab-replace",
	.test_cases = pagelab_replace_cases,
};
