// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab bench fault - first-touch fault cost: pagelab objects against the
 * kernel's own anonymous memory and against a userfaultfd round trip, in
 * one run, as ratios.
 *
 * Every metric maps a fresh region and makes --pages first touches of one
 * byte, timed alone (clock_gettime(CLOCK_MONOTONIC) over the touches, per
 * touch).  Under QEMU -icount the guest clock counts instructions (2^shift
 * ns each), so the same code gives instruction counts there and wall time
 * under plain TCG.  The metrics run interleaved, the starting one rotated
 * per rep, so drift hits them alike; medians over --reps, ratios of
 * medians.
 *
 * Kinds: pagelab (an object mapped MAP_SHARED) and anon (MAP_PRIVATE |
 * MAP_ANONYMOUS with MADV_NOHUGEPAGE); a write (allocates a zeroed page) or
 * a read (maps the zero page); in three orders: sequential, random (a fixed
 * pseudo-random permutation of the pages) and sparse (one page in 16 of a
 * region 16 times larger, so each touch is a fault in a page table of its
 * own more often than not).  Then uffd: anonymous memory registered with
 * userfaultfd (missing pages) and served by a thread of this process,
 * UFFDIO_COPY of a zeroed page for a write, UFFDIO_ZEROPAGE for a read: the
 * round trip a user-space pager pays per page.
 *
 * pagelab bench smp - the same write faults on one object from two threads
 * on two CPUs against one thread: the time for 2N faults made by one thread
 * and by two (N each, disjoint halves, started together), pagelab and
 * anonymous memory alike.  Wall clock in a guest with two vCPUs; the ratio
 * two/one is 0.5 where faults scale perfectly and 1.0 where they serialise.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

/* Sparse: one page touched in SPARSE_STRIDE. */
#define SPARSE_STRIDE	16

enum { O_SEQ, O_RANDOM, O_SPARSE, O_COUNT };
static const char *const order_names[O_COUNT] = { "", "_random", "_sparse" };

/* The metrics: pagelab/anon x write/read x order, then the two uffd ones. */
enum { K_PL_WRITE, K_ANON_WRITE, K_PL_READ, K_ANON_READ, K_COUNT };
static const char *const kind_names[K_COUNT] = {
	"pagelab_write", "anon_write", "pagelab_read", "anon_read",
};

#define M_UFFD_COPY	(K_COUNT * O_COUNT)
#define M_UFFD_ZERO	(M_UFFD_COPY + 1)
#define M_COUNT		(M_UFFD_ZERO + 1)

struct fault_bench {
	int dev;
	size_t pages;
	long ps;
	size_t *perm;		/* the random order: a permutation of 0..pages-1 */
	bool no_uffd;		/* userfaultfd refused: its metrics are left out */
	char why[160];
};

static void metric_name(int m, char *buf, size_t len)
{
	if (m == M_UFFD_COPY)
		snprintf(buf, len, "uffd_copy");
	else if (m == M_UFFD_ZERO)
		snprintf(buf, len, "uffd_zeropage");
	else
		snprintf(buf, len, "%s%s", kind_names[m % K_COUNT], order_names[m / K_COUNT]);
}

/* Touch page i of @pages pages at @p, in @order; write or read one byte each. */
static void touch_pages(const struct fault_bench *b, volatile char *p, int order, bool write)
{
	char sink = 0;

	for (size_t i = 0; i < b->pages; i++) {
		size_t pg = order == O_RANDOM ? b->perm[i] : order == O_SPARSE ? i * SPARSE_STRIDE : i;

		if (write)
			p[pg * b->ps] = 1;
		else
			sink += p[pg * b->ps];
	}
	(void)sink;
}

/* A region of @pages pages: a pagelab object's (*@fd) or anonymous memory. */
static volatile char *region_map(const struct fault_bench *b, bool pl, size_t pages, int *fd)
{
	size_t len = pages * b->ps;
	void *p;
	__u64 id;
	int ret;

	*fd = -1;
	if (pl) {
		ret = pl_create(b->dev, len, 0, 0, "bench", fd, &id);
		if (ret) {
			pl_err("bench: PAGELAB_IOC_CREATE: %s", strerror(-ret));
			return NULL;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			madvise(p, len, MADV_NOHUGEPAGE);
	}
	if (p == MAP_FAILED) {
		pl_err("bench: mmap of %zu pages: %s", pages, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		return NULL;
	}
	return p;
}

static void region_unmap(const struct fault_bench *b, volatile char *p, size_t pages, int fd)
{
	munmap((void *)p, pages * b->ps);
	if (fd >= 0)
		close(fd);
}

/* One rep of a pagelab or anon metric: ns per fault, or < 0 on error. */
static double fault_one(const struct fault_bench *b, int m)
{
	int kind = m % K_COUNT, order = m / K_COUNT;
	bool pl = kind == K_PL_WRITE || kind == K_PL_READ;
	bool write = kind == K_PL_WRITE || kind == K_ANON_WRITE;
	size_t span = order == O_SPARSE ? b->pages * SPARSE_STRIDE : b->pages;
	volatile char *p;
	double t0, t1;
	int fd;

	p = region_map(b, pl, span, &fd);
	if (!p)
		return -1;
	t0 = pl_now_ns();
	touch_pages(b, p, order, write);
	t1 = pl_now_ns();
	region_unmap(b, p, span, fd);
	return (t1 - t0) / b->pages;
}

/* The userfaultfd side: a thread that serves exactly @pages missing faults. */
struct uffd_server {
	int uffd;
	size_t pages;
	long ps;
	bool zeropage;
	void *src;		/* a zeroed page, UFFDIO_COPY's source */
	int err;		/* errno of the first failure, or 0 */
};

static void *uffd_serve(void *arg)
{
	struct uffd_server *s = arg;
	struct uffd_msg msg;

	for (size_t n = 0; n < s->pages; n++) {
		unsigned long addr;
		int ret;

		if (read(s->uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			s->err = errno ? errno : EIO;
			break;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			s->err = EPROTO;
			break;
		}
		addr = msg.arg.pagefault.address & ~((unsigned long)s->ps - 1);
		if (s->zeropage) {
			struct uffdio_zeropage z = { .range = { .start = addr, .len = s->ps } };

			ret = ioctl(s->uffd, UFFDIO_ZEROPAGE, &z);
		} else {
			struct uffdio_copy c = {
				.dst = addr, .src = (unsigned long)s->src, .len = s->ps,
			};

			ret = ioctl(s->uffd, UFFDIO_COPY, &c);
		}
		if (ret && errno != EEXIST) {
			s->err = errno;
			break;
		}
	}
	if (s->err) {
		/* Closing it lets the touches go on as plain anonymous faults. */
		close(s->uffd);
		s->uffd = -1;
	}
	return NULL;
}

/*
 * A userfaultfd for missing pages of [@p, @p + @len), or -1 with the reason
 * in @b->why (the kernel may refuse it: no CONFIG_USERFAULTFD, or the
 * vm.unprivileged_userfaultfd rule).
 */
static int uffd_open(struct fault_bench *b, void *p, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);

	if (uffd < 0) {
		snprintf(b->why, sizeof(b->why), "userfaultfd: %s", strerror(errno));
		return -1;
	}
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		snprintf(b->why, sizeof(b->why), "userfaultfd setup: %s", strerror(errno));
		close(uffd);
		return -1;
	}
	return uffd;
}

/* One rep of uffd_copy (a write) or uffd_zeropage (a read): ns per fault. */
static double uffd_one(struct fault_bench *b, bool zeropage)
{
	struct uffd_server s = { .pages = b->pages, .ps = b->ps, .zeropage = zeropage };
	size_t len = b->pages * b->ps;
	volatile char *p;
	double t0, t1;
	pthread_t th;
	int fd;

	p = region_map(b, false, b->pages, &fd);
	if (!p)
		return -1;
	s.src = mmap(NULL, b->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s.src == MAP_FAILED) {
		pl_err("bench: mmap: %s", strerror(errno));
		region_unmap(b, p, b->pages, fd);
		return -1;
	}
	memset(s.src, 0, b->ps);
	s.uffd = uffd_open(b, (void *)p, len);
	if (s.uffd < 0) {
		b->no_uffd = true;
		munmap(s.src, b->ps);
		region_unmap(b, p, b->pages, fd);
		return 0;
	}
	errno = pthread_create(&th, NULL, uffd_serve, &s);
	if (errno) {
		pl_err("bench: pthread_create: %s", strerror(errno));
		close(s.uffd);
		munmap(s.src, b->ps);
		region_unmap(b, p, b->pages, fd);
		return -1;
	}
	t0 = pl_now_ns();
	touch_pages(b, p, O_SEQ, !zeropage);
	t1 = pl_now_ns();
	pthread_join(th, NULL);
	if (s.uffd >= 0)
		close(s.uffd);
	munmap(s.src, b->ps);
	region_unmap(b, p, b->pages, fd);
	if (s.err) {
		pl_err("bench: the userfaultfd thread: %s", strerror(s.err));
		return -1;
	}
	return (t1 - t0) / b->pages;
}

static double metric_one(struct fault_bench *b, int m)
{
	if (m == M_UFFD_COPY || m == M_UFFD_ZERO)
		return b->no_uffd ? 0 : uffd_one(b, m == M_UFFD_ZERO);
	return fault_one(b, m);
}

/* A fixed pseudo-random permutation of 0..n-1. */
static size_t *random_order(size_t n)
{
	size_t *perm = malloc(n * sizeof(*perm));
	uint32_t seed = 0x9e3779b9;

	if (!perm)
		return NULL;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	pl_shuffle(perm, n, &seed);
	return perm;
}

/* A ratio line, RATIO NAME num/den, and ABS NAME num den (ns per fault). */
struct ratio_def {
	const char *name;
	int num, den;
};

#define RM(kind, order)	((order) * K_COUNT + (kind))

static const struct ratio_def ratios[] = {
	{ "write", RM(K_PL_WRITE, O_SEQ), RM(K_ANON_WRITE, O_SEQ) },
	{ "read", RM(K_PL_READ, O_SEQ), RM(K_ANON_READ, O_SEQ) },
	{ "write_random", RM(K_PL_WRITE, O_RANDOM), RM(K_ANON_WRITE, O_RANDOM) },
	{ "read_random", RM(K_PL_READ, O_RANDOM), RM(K_ANON_READ, O_RANDOM) },
	{ "write_sparse", RM(K_PL_WRITE, O_SPARSE), RM(K_ANON_WRITE, O_SPARSE) },
	{ "read_sparse", RM(K_PL_READ, O_SPARSE), RM(K_ANON_READ, O_SPARSE) },
	{ "write_vs_uffd", RM(K_PL_WRITE, O_SEQ), M_UFFD_COPY },
	{ "read_vs_uffd", RM(K_PL_READ, O_SEQ), M_UFFD_ZERO },
};

static bool ratio_skipped(const struct fault_bench *b, const struct ratio_def *r)
{
	return b->no_uffd && r->den >= M_UFFD_COPY;
}

static void fault_report(const struct fault_bench *b, int reps, bool json, const double *med,
			 const double *p25, const double *p75)
{
	char name[40];

	if (json) {
		printf("{\"pages\": %zu, \"reps\": %d", b->pages, reps);
		for (int m = 0; m < M_COUNT; m++) {
			metric_name(m, name, sizeof(name));
			if (b->no_uffd && m >= M_UFFD_COPY)
				printf(", \"%s_ns\": null", name);
			else
				printf(", \"%s_ns\": %.1f", name, med[m]);
		}
		for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
			if (ratio_skipped(b, &ratios[i]))
				printf(", \"ratio_%s\": null", ratios[i].name);
			else
				printf(", \"ratio_%s\": %.4f", ratios[i].name,
				       med[ratios[i].num] / med[ratios[i].den]);
		}
		printf("}\n");
		return;
	}
	printf("first-touch faults, %zu pages x %d reps, ns per fault (median [p25, p75])\n",
	       b->pages, reps);
	for (int m = 0; m < M_COUNT; m++) {
		metric_name(m, name, sizeof(name));
		if (b->no_uffd && m >= M_UFFD_COPY)
			printf("  %-22s skipped: %s\n", name, b->why);
		else
			printf("  %-22s %10.1f  [%.1f, %.1f]\n", name, med[m], p25[m], p75[m]);
	}
	for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
		const struct ratio_def *r = &ratios[i];

		if (ratio_skipped(b, r))
			continue;
		printf("RATIO %s %.4f\n", r->name, med[r->num] / med[r->den]);
		printf("ABS %s %.1f %.1f\n", r->name, med[r->num], med[r->den]);
	}
}

/**
 * bench_fault() - pagelab bench fault: see the comment at the top.
 * @argc: argument count, argv[1] being "fault"
 * @argv: the arguments
 *
 * Return: a PL_EXIT_* status.
 */
int bench_fault(int argc, char **argv)
{
	struct fault_bench b = { .pages = 512, .ps = sysconf(_SC_PAGESIZE) };
	double *v[M_COUNT] = { NULL }, med[M_COUNT], p25[M_COUNT], p75[M_COUNT];
	int reps = 31, status = PL_EXIT_FAIL;
	bool json = false;

	if (pl_bench_args(argc, argv, &b.pages, &reps, &json, NULL))
		return PL_EXIT_USAGE;
	b.perm = random_order(b.pages);
	for (int m = 0; m < M_COUNT; m++)
		v[m] = calloc(reps, sizeof(double));
	b.dev = pl_open_or_explain();
	if (b.dev < 0)
		goto out_free;
	for (int m = 0; m < M_COUNT; m++)
		if (!v[m] || !b.perm) {
			pl_err("bench: out of memory");
			goto out_close;
		}
	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < M_COUNT; i++) {
			int m = (i + r) % M_COUNT;

			v[m][r] = metric_one(&b, m);
			if (v[m][r] < 0)
				goto out_close;
		}
	}
	for (int m = 0; m < M_COUNT; m++)
		pl_quartiles(v[m], reps, &p25[m], &med[m], &p75[m]);
	fault_report(&b, reps, json, med, p25, p75);
	status = PL_EXIT_OK;
out_close:
	close(b.dev);
out_free:
	for (int m = 0; m < M_COUNT; m++)
		free(v[m]);
	free(b.perm);
	return status;
}

/* ---- bench smp ----------------------------------------------------------- */

struct smp_worker {
	volatile char *p;
	size_t pages;
	long ps;
	int cpu;
	pthread_barrier_t *go;
};

static void *smp_touch(void *arg)
{
	struct smp_worker *w = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	pthread_barrier_wait(w->go);
	for (size_t i = 0; i < w->pages; i++)
		w->p[i * w->ps] = 1;
	return NULL;
}

/*
 * One rep: 2 x @b->pages write faults on one region, by @threads threads
 * (1 or 2, each on its own CPU, each a half); ns for all of them, from the
 * moment every thread is ready.  < 0 on error.
 */
static double smp_one(const struct fault_bench *b, bool pl, int threads)
{
	size_t span = 2 * b->pages;
	struct smp_worker w[2];
	pthread_barrier_t go;
	pthread_t th[2];
	volatile char *p;
	double t0, t1;
	int fd, i;

	p = region_map(b, pl, span, &fd);
	if (!p)
		return -1;
	pthread_barrier_init(&go, NULL, threads + 1);
	for (i = 0; i < threads; i++) {
		w[i] = (struct smp_worker){
			.p = p + i * (span / threads) * b->ps, .pages = span / threads,
			.ps = b->ps, .cpu = i, .go = &go,
		};
		errno = pthread_create(&th[i], NULL, smp_touch, &w[i]);
		if (errno) {
			pl_err("bench: pthread_create: %s", strerror(errno));
			exit(PL_EXIT_FAIL);
		}
	}
	pthread_barrier_wait(&go);
	t0 = pl_now_ns();
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t1 = pl_now_ns();
	pthread_barrier_destroy(&go);
	region_unmap(b, p, span, fd);
	return t1 - t0;
}

enum { S_PL_1, S_PL_2, S_ANON_1, S_ANON_2, S_COUNT };
static const char *const smp_names[S_COUNT] = {
	"pagelab_1thread", "pagelab_2threads", "anon_1thread", "anon_2threads",
};

/**
 * bench_smp() - pagelab bench smp: see the comment at the top.
 * @argc: argument count, argv[1] being "smp"
 * @argv: the arguments
 *
 * Return: a PL_EXIT_* status.
 */
int bench_smp(int argc, char **argv)
{
	struct fault_bench b = { .pages = 4096, .ps = sysconf(_SC_PAGESIZE) };
	double *v[S_COUNT] = { NULL }, med[S_COUNT], p25[S_COUNT], p75[S_COUNT];
	int reps = 11, status = PL_EXIT_FAIL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool json = false;

	if (pl_bench_args(argc, argv, &b.pages, &reps, &json, NULL))
		return PL_EXIT_USAGE;
	if (cpus < 2) {
		pl_err("bench smp: needs two CPUs online, found %ld (scripts/vm --smp 2)", cpus);
		return PL_EXIT_FAIL;
	}
	for (int m = 0; m < S_COUNT; m++)
		v[m] = calloc(reps, sizeof(double));
	b.dev = pl_open_or_explain();
	if (b.dev < 0)
		goto out_free;
	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < S_COUNT; i++) {
			int m = (i + r) % S_COUNT;

			if (!v[m]) {
				pl_err("bench: out of memory");
				goto out_close;
			}
			v[m][r] = smp_one(&b, m < S_ANON_1, m == S_PL_2 || m == S_ANON_2 ? 2 : 1);
			if (v[m][r] < 0)
				goto out_close;
		}
	}
	for (int m = 0; m < S_COUNT; m++)
		pl_quartiles(v[m], reps, &p25[m], &med[m], &p75[m]);
	if (json) {
		printf("{\"pages\": %zu, \"reps\": %d", 2 * b.pages, reps);
		for (int m = 0; m < S_COUNT; m++)
			printf(", \"%s_ns\": %.0f", smp_names[m], med[m]);
		printf(", \"ratio_smp_pagelab\": %.4f, \"ratio_smp_anon\": %.4f}\n",
		       med[S_PL_2] / med[S_PL_1], med[S_ANON_2] / med[S_ANON_1]);
	} else {
		printf("%zu write faults on one region by 1 thread and by 2 (one per CPU), "
		       "%d reps, ns per fault (median [p25, p75])\n", 2 * b.pages, reps);
		for (int m = 0; m < S_COUNT; m++)
			printf("  %-17s %10.1f  [%.1f, %.1f]\n", smp_names[m],
			       med[m] / (2 * b.pages), p25[m] / (2 * b.pages),
			       p75[m] / (2 * b.pages));
		printf("RATIO smp_pagelab %.4f\n", med[S_PL_2] / med[S_PL_1]);
		printf("RATIO smp_anon %.4f\n", med[S_ANON_2] / med[S_ANON_1]);
	}
	status = PL_EXIT_OK;
out_close:
	close(b.dev);
out_free:
	for (int m = 0; m < S_COUNT; m++)
		free(v[m]);
	return status;
}
