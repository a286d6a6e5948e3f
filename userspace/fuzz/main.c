// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab-fuzz - pagelab's own fuzzer: seeded random operations from several
 * processes on /dev/pagelab, its objects, their mappings and pagelab's
 * debugfs files, with every byte read judged against what the process
 * family wrote (see fuzz.h).  This file: options, the supervisor, the
 * reports and the checks at the end.  Runs in the guest, as root.
 *
 * The supervisor forks the workers, watches the kernel log (/dev/kmsg) for
 * reports while they run, and when they are done (--ops, --seconds, or the
 * first failure) checks that they all ended by themselves, that the module
 * holds no object, page or store page more than before, and that the zero
 * page still reads as zeros.  Output is TAP; every failure also prints
 *   FUZZ FAIL seed=N op=K: PROC (pid P): what
 * and the recent ops of that process, so a run can be replayed with --seed
 * N (each process's seed is derived from N and its place in the family;
 * with --procs 1 --no-fork a replay runs the same ops; with more processes
 * the interleaving, and so what the others created meanwhile, differs).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "pl_test_util.h"

struct fz_shared *fz;
struct fz_opts fzo;
uint64_t fz_deadline_ns;

static const char *const fz_family_names[FZ_F_NR] = {
	[FZ_F_OBJ] = "obj",		[FZ_F_IOCTL] = "ioctl",
	[FZ_F_MAP] = "map",		[FZ_F_TOUCH] = "touch",
	[FZ_F_CLONE] = "clone",		[FZ_F_MERGE] = "merge",
	[FZ_F_REPLACE] = "replace",	[FZ_F_FILE] = "file",
	[FZ_F_FORK] = "fork",		[FZ_F_PROCMEM] = "procmem",
	[FZ_F_WALK] = "walk",		[FZ_F_DEBUGFS] = "debugfs",
	[FZ_F_FDPASS] = "fdpass",	[FZ_F_SPLICE] = "splice",
};

static const char *const fz_family_help[FZ_F_NR] = {
	[FZ_F_OBJ] = "create (good, junk, huge where offered), attach, close, dup",
	[FZ_F_IOCTL] = "stat, info, version; junk numbers and arguments; fd I/O",
	[FZ_F_MAP] = "mmap (odd ones too), munmap, mremap, mprotect, madvise",
	[FZ_F_TOUCH] = "reads and writes through the mappings; forbidden ones",
	[FZ_F_CLONE] = "PAGELAB_IOC_CLONE, on /dev/pagelab and object fds",
	[FZ_F_MERGE] = "PAGELAB_IOC_MERGE",
	[FZ_F_REPLACE] = "PAGELAB_IOC_REPLACE: budgets, policies, delays",
	[FZ_F_FILE] = "backing files of every kind; truncating one in use",
	[FZ_F_FORK] = "children that run ops, the parent waiting or not",
	[FZ_F_PROCMEM] = "/proc/PID/mem, process_vm_readv/writev",
	[FZ_F_WALK] = "debugfs walk requests, good and junk",
	[FZ_F_DEBUGFS] = "debugfs stats/objects/events; pagemap, smaps",
	[FZ_F_FDPASS] = "object fds over a unix socket",
	[FZ_F_SPLICE] = "vmsplice of mapped pages into pipes, read later",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pagelab-fuzz [--seed N] [--procs N] [--ops N] [--seconds N]\n"
		"                    [--verbose] [--kmsg] [--keep-going] [--no-FAMILY ...]\n"
		"\n"
		"pagelab's fuzzer: N processes run seeded random operations on /dev/pagelab,\n"
		"its objects and their mappings (good arguments mostly, junk too), check\n"
		"every byte they read against what the family wrote, then check that the\n"
		"module holds no object, page or store page more than before.  TAP output;\n"
		"a failure prints \"FUZZ FAIL seed=N op=K: ...\" and the process's last ops.\n"
		"Run as root in a guest with pagelab loaded (scripts/vm run -- pagelab-fuzz).\n"
		"\n"
		"  --seed N        the run's seed (default: random, printed first)\n"
		"  --procs N       worker processes, 1..%d (default 4)\n"
		"  --ops N         ops per worker (default 1000 when --seconds is not given)\n"
		"  --seconds N     stop after N seconds (with --ops: whichever comes first)\n"
		"  --verbose       print every op and its result\n"
		"  --kmsg          also log every op to /dev/kmsg (to place a kernel report)\n"
		"  --keep-going    do not stop the run at the first failure\n"
		"  --no-FAMILY     leave out an op family:\n",
		FZ_MAX_PROCS);
	for (int i = 0; i < FZ_F_NR; i++)
		fprintf(f, "      %-8s %s\n", fz_family_names[i], fz_family_help[i]);
	fprintf(f,
		"\n"
		"Backing files go to $PAGELAB_SCRATCH if set, and /tmp.  Exit status 0 when\n"
		"every check passed, 1 otherwise, 2 for a usage error.\n");
}

uint64_t fz_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- reporting ---------------------------------------------------------------- */

void fz_print(const char *fmt, ...)
{
	char buf[2600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (!n || buf[n - 1] != '\n')
		buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, (size_t)n) < 0) {
		/* nowhere to say it */
	}
}

static int fz_kmsg_fd = -1;

void fz_say(fz_proc *p, const char *fmt, ...)
{
	struct fz_ring_ent *e = p->ent;
	size_t len;
	va_list ap;

	if (!e)
		return;
	len = strnlen(e->text, sizeof(e->text));
	if (len >= sizeof(e->text) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text + len, sizeof(e->text) - len, fmt, ap);
	va_end(ap);
	if (fzo.kmsg) {
		char line[256];
		int n;

		if (fz_kmsg_fd < 0)
			fz_kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
		n = snprintf(line, sizeof(line), "<6>pagelab-fuzz: %s #%" PRIu64 " %s\n", p->name,
			     p->op, e->text);
		if (fz_kmsg_fd >= 0 && n > 0 && write(fz_kmsg_fd, line, (size_t)n) < 0) {
			/* the log is best effort */
		}
	}
}

void fz_dump_ring(int idx, int max)
{
	struct fz_ring *r = &fz->ring[idx];
	uint32_t next = FZ_LD(r->next);
	uint32_t from = next > (uint32_t)max ? next - (uint32_t)max : 0;

	fz_print("# last %u ops of worker %d (and its children):", next - from, idx);
	for (uint32_t i = from; i < next; i++) {
		struct fz_ring_ent *e = &r->ent[i % FZ_RING];
		char res[32];

		if (e->state == 1)
			snprintf(res, sizeof(res), "running");
		else if (e->ret == FZ_SKIP)
			snprintf(res, sizeof(res), "skip");
		else if (e->ret < 0)
			snprintf(res, sizeof(res), "%s", strerrorname_np(-e->ret) ?: "err");
		else
			snprintf(res, sizeof(res), "ok");
		fz_print("#   pid %d op %" PRIu64 " [%s] %.*s", (int)e->pid, e->op, res,
			 (int)sizeof(e->text), e->text);
	}
}

/* The ops of worker @idx's family that are running now. */
static void fz_dump_running(int idx)
{
	struct fz_ring *r = &fz->ring[idx];

	for (int i = 0; i < FZ_RING; i++) {
		struct fz_ring_ent *e = &r->ent[i];

		if (e->state == 1)
			fz_print("#   pid %d op %" PRIu64 " [running] %.*s", (int)e->pid, e->op,
				 (int)sizeof(e->text), e->text);
	}
}

/* The ops of process @pid still in worker @idx's ring, oldest first. */
static void fz_dump_pid(int idx, pid_t pid)
{
	struct fz_ring *r = &fz->ring[idx];
	uint32_t next = FZ_LD(r->next);
	uint32_t from = next > FZ_RING ? next - FZ_RING : 0;

	fz_print("# ops of pid %d still in the ring:", (int)pid);
	for (uint32_t i = from; i < next; i++) {
		struct fz_ring_ent *e = &r->ent[i % FZ_RING];

		if (e->pid == pid)
			fz_print("#   op %" PRIu64 " [%s] %.*s", e->op,
				 e->state == 1 ? "running" : e->ret == FZ_SKIP ? "skip" :
				 e->ret < 0 ? strerrorname_np(-e->ret) ?: "err" : "ok",
				 (int)sizeof(e->text), e->text);
	}
}

void fz_fail(fz_proc *p, const char *fmt, ...)
{
	char msg[2000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->failed = true;
	__atomic_fetch_add(&fz->failures, 1, __ATOMIC_SEQ_CST);
	fz_print("FUZZ FAIL seed=%" PRIu64 " op=%" PRIu64 ": %s (pid %d): %s", fzo.seed, p->op,
		 p->name, (int)getpid(), msg);
	if (p->ent)
		fz_say(p, " [FAILED]");
	fz_dump_ring(p->idx, 16);
	fz_dump_pid(p->idx, getpid());
	if (!fzo.keep_going)
		FZ_ST(fz->stop, 1);
}

static bool fz_errno_in(int err, va_list ap)
{
	int e;

	while ((e = va_arg(ap, int)))
		if (e == err)
			return true;
	return false;
}

static void fz_errno_list(char *buf, size_t len, int first, va_list ap)
{
	size_t n = 0;
	int e = first;

	buf[0] = '\0';
	while (e && n < len) {
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "/" : "",
				      strerrorname_np(e) ?: "?");
		e = va_arg(ap, int);
	}
}

bool fz_must_fail(fz_proc *p, const char *what, long ret, int err, ...)
{
	char list[128];
	va_list ap;
	int first;
	bool in;

	FZ_ADD(fz->must_fail, 1);
	va_start(ap, err);
	first = va_arg(ap, int);
	va_end(ap);
	if (ret >= 0) {
		va_start(ap, err);
		fz_errno_list(list, sizeof(list), va_arg(ap, int), ap);
		va_end(ap);
		fz_fail(p, "%s: succeeded (returned %ld), must fail%s%s", what, ret,
			first ? " with " : "", list);
		return false;
	}
	if (!first)
		return true;
	va_start(ap, err);
	in = fz_errno_in(err, ap);
	va_end(ap);
	if (in)
		return true;
	va_start(ap, err);
	fz_errno_list(list, sizeof(list), va_arg(ap, int), ap);
	va_end(ap);
	fz_fail(p, "%s: failed with %s, expected %s", what, strerrorname_np(err) ?: "?", list);
	return false;
}

bool fz_must_ok(fz_proc *p, const char *what, long ret, int err, ...)
{
	char list[128];
	va_list ap;
	bool in;

	FZ_ADD(fz->must_ok, 1);
	if (ret >= 0)
		return true;
	va_start(ap, err);
	in = fz_errno_in(err, ap);
	va_end(ap);
	if (in)
		return true;
	va_start(ap, err);
	fz_errno_list(list, sizeof(list), va_arg(ap, int), ap);
	va_end(ap);
	fz_fail(p, "%s: failed with %s (%s), must succeed%s%s", what,
		strerrorname_np(err) ?: "?", strerror(err), list[0] ? " or fail with " : "", list);
	return false;
}

/* ---- the kernel log ----------------------------------------------------------------- */

static regex_t fz_splat_re;
static int fz_kmsg_rd = -1;
static unsigned int fz_splats;
static char fz_splat_first[10][200];

/* The kernel reports scripts/splat-scan fails a run on. */
#define FZ_SPLAT_ERE "BUG:|WARNING:|Oops|Call Trace|KASAN|DEBUG_LOCKS_WARN_ON|" \
	"INFO: (possible|inconsistent|suspicious)|general protection|Kernel panic|" \
	"kernel BUG|soft lockup|hard LOCKUP|detected stalls on CPUs|self-detected stall|" \
	"blocked for more than|UBSAN:|possible (circular|recursive) locking|" \
	"Bad page (state|map)|page_table_check|turning off the locking correctness validator"

static void fz_kmsg_open(void)
{
	if (regcomp(&fz_splat_re, FZ_SPLAT_ERE, REG_EXTENDED | REG_NOSUB))
		return;
	fz_kmsg_rd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fz_kmsg_rd >= 0)
		lseek(fz_kmsg_rd, 0, SEEK_END);
}

static void fz_kmsg_poll(uint64_t t0)
{
	char rec[2048];

	if (fz_kmsg_rd < 0)
		return;
	for (;;) {
		ssize_t n = read(fz_kmsg_rd, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			return;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(msg, "pagelab-fuzz:", 13) || regexec(&fz_splat_re, msg, 0, NULL, 0))
			continue;
		if (fz_splats < 10)
			snprintf(fz_splat_first[fz_splats], sizeof(fz_splat_first[0]), "%.199s", msg);
		if (!fz_splats++) {
			fz_print("# kernel report %.1f s into the run: %s",
				 (double)(fz_now_ns() - t0) / 1e9, msg);
			fz_print("# what every worker was doing then:");
			for (int i = 0; i < fz->nprocs; i++) {
				fz_dump_ring(i, 6);
				fz_dump_running(i);
			}
		}
	}
}

/* ---- the run -------------------------------------------------------------------------- */

static void fz_worker(int idx, int sock[2])
{
	fz_proc *p = calloc(1, sizeof(*p));

	if (!p)
		_exit(3);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	p->idx = idx;
	p->token = idx;
	p->rng = fz_mix(fzo.seed ^ fz_mix(0x5eed0000ULL + (uint64_t)idx));
	p->sock[0] = sock[0];
	p->sock[1] = sock[1];
	p->ops_left = fzo.ops;
	snprintf(p->name, sizeof(p->name), "p%d", idx);
	fz_proc_init(p);
	fz_signals_init(p);
	fz_run(p, fzo.ops);
	fz_proc_end(p);
	_exit(p->failed ? 1 : 0);
}

static bool fz_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end && *s != '-';
}

static uint64_t fz_random_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != sizeof(s))
		s = fz_now_ns() ^ ((uint64_t)getpid() << 32);
	return s % 1000000000ULL;	/* short enough to type */
}

/* Remove the backing files a killed process left behind. */
static void fz_sweep_files(void)
{
	char cmd[512];
	const char *dirs[2] = { "/tmp", fzo.scratch };

	for (int i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'/pagelab-fuzz-* 2>/dev/null", dirs[i]);
		if (system(cmd)) {
			/* nothing to remove */
		}
	}
}

/* The supervisor's run: the workers, the module's state before, the end. */
struct fz_run_state {
	pid_t pids[FZ_MAX_PROCS];
	int status[FZ_MAX_PROCS];
	int sock[2], dev, bad_end;
	struct pagelab_info base, now;
	unsigned long long store0, store1;
	bool have_store;
	uint64_t t0, stop_at;
};

/* Take the --no-FAMILY options out of argv (getopt_long would take them for abbreviations). */
static int fz_parse_families(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		int c;

		if (strncmp(argv[i], "--no-", 5))
			continue;
		for (c = 0; c < FZ_F_NR && strcmp(argv[i] + 5, fz_family_names[c]); c++)
			;
		if (c == FZ_F_NR) {
			fprintf(stderr, "pagelab-fuzz: unknown family in %s (see --help)\n", argv[i]);
			return 2;
		}
		fzo.no[c] = true;
		memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
		i--;
	}
	return 0;
}

/* The options into fzo: -1 to run, else the exit status (0 after --help, 2 bad usage). */
static int fz_parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "procs", required_argument, NULL, 'p' },
		{ "ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "kmsg", no_argument, NULL, 'k' },
		{ "keep-going", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seed = false, have_ops = false, good = true;
	const char *s;
	uint64_t v = 0;
	int c;

	fzo.procs = 4;
	if (fz_parse_families(&argc, argv))
		return 2;
	while (good && (c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			good = fz_parse_u64(optarg, &fzo.seed);
			have_seed = true;
			break;
		case 'p':
			good = fz_parse_u64(optarg, &v) && v && v <= FZ_MAX_PROCS;
			fzo.procs = (int)v;
			break;
		case 'o':
			good = fz_parse_u64(optarg, &fzo.ops) && fzo.ops;
			have_ops = true;
			break;
		case 't':
			good = fz_parse_u64(optarg, &v) && v && v <= 86400;
			fzo.seconds = (unsigned int)v;
			break;
		case 'v':
			fzo.verbose = true;
			break;
		case 'k':
			fzo.kmsg = true;
			break;
		case 'K':
			fzo.keep_going = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!good || optind != argc) {
		fprintf(stderr, "pagelab-fuzz: bad arguments (see --help)\n");
		return 2;
	}
	if (!have_ops && !fzo.seconds)
		fzo.ops = 1000;
	if (!have_seed)
		fzo.seed = fz_random_seed();
	s = getenv("PAGELAB_SCRATCH");
	fzo.scratch = s && *s ? s : NULL;
	return -1;
}

/* The plan, the module's state before, the shared region: false after a "not ok 1". */
static bool fz_start(struct fz_run_state *r)
{
	struct pagelab_version ver;

	fz_print("TAP version 13");
	fz_print("1..7");
	fz_print("# pagelab-fuzz: seed=%" PRIu64 " procs=%d ops=%" PRIu64 " seconds=%u%s", fzo.seed,
		 fzo.procs, fzo.ops, fzo.seconds, fzo.scratch ? "" : " (no PAGELAB_SCRATCH: /tmp only)");
	fz_print("# replay: pagelab-fuzz --seed %" PRIu64 " --procs %d --%s %" PRIu64, fzo.seed,
		 fzo.procs, fzo.seconds ? "seconds" : "ops",
		 fzo.seconds ? (uint64_t)fzo.seconds : fzo.ops);
	for (int c = 0; c < FZ_F_NR; c++)
		if (fzo.no[c])
			fz_print("# family %s left out (--no-%s)", fz_family_names[c],
				 fz_family_names[c]);
	r->dev = pl_open();
	if (r->dev < 0) {
		fz_print("not ok 1 - fuzz: open %s: %s (%s)", PAGELAB_DEVICE, strerror(-r->dev),
			 pl_open_hint(r->dev));
		return false;
	}
	if (pl_info(r->dev, &r->base)) {
		fz_print("not ok 1 - fuzz: PAGELAB_IOC_INFO");
		return false;
	}
	fzo.max_object_pages = r->base.max_object_pages;
	fzo.huge = !pl_version(r->dev, &ver) && ver.features & PAGELAB_FEAT_HUGE;
	fz_print("# huge objects (PAGELAB_CREATE_HUGE): %s", fzo.huge ? "about 15% of creates" :
		 "not offered here (6.12 kernels): creating one must fail EOPNOTSUPP");
	r->now = r->base;
	r->have_store = !pl_debugfs_stat("store_pages", &r->store0);
	if (pl_direct_map_base(&fzo.direct_map_base))
		fzo.direct_map_base = 0xffff888000000000ULL;
	fz = mmap(NULL, sizeof(*fz), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fz == MAP_FAILED) {
		fz_print("not ok 1 - fuzz: mmap of the shared region: %s", strerror(errno));
		return false;
	}
	fz->seed = fzo.seed;
	fz->nprocs = fzo.procs;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, r->sock)) {
		fz_print("not ok 1 - fuzz: socketpair: %s", strerror(errno));
		return false;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fz_kmsg_open();
	pl_no_core_dumps();
	return true;
}

/* The workers, forked; on a failed fork, the run stops with those already running. */
static void fz_spawn(struct fz_run_state *r)
{
	r->t0 = fz_now_ns();
	if (fzo.seconds)
		fz_deadline_ns = r->t0 + (uint64_t)fzo.seconds * 1000000000ULL;
	for (int i = 0; i < fzo.procs; i++) {
		r->pids[i] = fork();
		if (r->pids[i] < 0) {
			fz_print("not ok 1 - fuzz: fork: %s", strerror(errno));
			FZ_ST(fz->stop, 1);
			fzo.procs = i;
			break;
		}
		if (!r->pids[i])
			fz_worker(i, r->sock);
		fz->pids[i] = r->pids[i];
		r->status[i] = -1;
	}
}

/* A worker ended with status @st: a crash or an unexpected signal is a failure. */
static void fz_reaped(struct fz_run_state *r, int i, int st)
{
	char why[64];

	r->status[i] = st;
	if (!r->stop_at)
		r->stop_at = fz_now_ns();
	if (WIFEXITED(st) && WEXITSTATUS(st) <= 1)
		return;
	if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(st));
	fz_print("FUZZ FAIL seed=%" PRIu64 " op=%" PRIu64 ": p%d (pid %d): worker %s", fzo.seed,
		 (uint64_t)FZ_LD(fz->ring[i].next), i, (int)r->pids[i], why);
	fz_dump_ring(i, 16);
	__atomic_fetch_add(&fz->failures, 1, __ATOMIC_SEQ_CST);
	r->bad_end++;
	if (!fzo.keep_going)
		FZ_ST(fz->stop, 1);
}

/* Workers still running 180 s after the end are hung: killed, and a failure. */
static void fz_kill_hung(struct fz_run_state *r)
{
	for (int i = 0; i < fzo.procs; i++) {
		if (r->status[i] != -1)
			continue;
		fz_print("FUZZ FAIL seed=%" PRIu64 " op=%" PRIu64 ": p%d (pid %d): still "
			 "running 180 s after the run ended: killed (a hang)", fzo.seed,
			 (uint64_t)FZ_LD(fz->ring[i].next), i, (int)r->pids[i]);
		fz_dump_ring(i, 16);
		__atomic_fetch_add(&fz->failures, 1, __ATOMIC_SEQ_CST);
		r->bad_end++;
		kill(-r->pids[i], SIGKILL);
		kill(r->pids[i], SIGKILL);
	}
}

/* Supervise: reap, watch the log, end the run on time or at a failure. */
static void fz_supervise(struct fz_run_state *r)
{
	int alive = fzo.procs, waits = 0;

	while (alive) {
		uint64_t tnow;
		int st;
		pid_t pid;

		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (int i = 0; i < fzo.procs; i++)
				if (r->pids[i] == pid) {
					fz_reaped(r, i, st);
					alive--;
				}
		fz_kmsg_poll(r->t0);
		tnow = fz_now_ns();
		if (fz_deadline_ns && tnow > fz_deadline_ns && !FZ_LD(fz->stop))
			FZ_ST(fz->stop, 1);
		if (FZ_LD(fz->failures) && !fzo.keep_going)
			FZ_ST(fz->stop, 1);
		if (FZ_LD(fz->stop) && !r->stop_at)
			r->stop_at = tnow;
		/* Say who keeps the run from ending, every 10 s. */
		if (alive && r->stop_at &&
		    tnow - r->stop_at > 10ULL * 1000000000ULL * (uint64_t)(waits + 1)) {
			waits++;
			fz_print("# %.0f s after the end, still running:",
				 (double)(tnow - r->stop_at) / 1e9);
			for (int i = 0; i < fzo.procs; i++)
				if (r->status[i] == -1)
					fz_dump_running(i);
		}
		/* Every op ends within seconds; minutes means a hang. */
		if (alive && r->stop_at && tnow - r->stop_at > 180ULL * 1000000000ULL) {
			fz_kill_hung(r);
			r->stop_at = tnow;	/* give the kills their time */
		}
		if (alive)
			usleep(50000);
	}
	/* Orphans (children of children) come here: none may outlive the run. */
	for (int tries = 0; tries < 100 && waitpid(-1, NULL, WNOHANG) >= 0; tries++)
		usleep(50000);
	close(r->sock[0]);
	close(r->sock[1]);
}

/* The ops per kind, the checks made, the errnos seen: comment lines. */
static uint64_t fz_print_counts(const struct fz_run_state *r)
{
	uint64_t total = 0, ok = 0, err = 0, skip = 0;
	char line[512];
	size_t n = 0;

	for (int i = 0; i < OP_NR; i++) {
		total += fz->count[i].calls;
		ok += fz->count[i].ok;
		err += fz->count[i].err;
		skip += fz->count[i].skip;
	}
	fz_print("# ops %" PRIu64 ": ok %" PRIu64 " errno %" PRIu64 " skip %" PRIu64 " in %.1f s"
		 "; expected signals: SIGBUS %" PRIu64 " SIGSEGV %" PRIu64 "; forks %" PRIu64,
		 total, ok, err, skip, (double)(fz_now_ns() - r->t0) / 1e9, fz->sigbus, fz->sigsegv,
		 fz->forks);
	fz_print("# page checks: strong %" PRIu64 " weak %" PRIu64 " unchecked %" PRIu64
		 "; calls checked: must fail %" PRIu64 ", must succeed %" PRIu64
		 "; objects registered %u%s", fz->strong, fz->weak, fz->unchecked, fz->must_fail,
		 fz->must_ok, fz->next_slot > FZ_SLOTS ? FZ_SLOTS : fz->next_slot,
		 fz->registry_full ? " (registry full: later creates skipped)" : "");
	fz_print("# %-16s %8s %8s %8s %8s %9s", "op", "calls", "ok", "errno", "skip", "max ms");
	for (int i = 0; i < OP_NR; i++) {
		struct fz_count *k = &fz->count[i];

		if (k->calls)
			fz_print("# %-16s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %9.1f",
				 fz_ops[i].name, k->calls, k->ok, k->err, k->skip,
				 (double)k->max_ns / 1e6);
	}
	fz_print("# slowest op: %.1f ms: %.200s", (double)fz->slowest_ns / 1e6, fz->slowest);
	for (int e = 1; e < FZ_NERRNO; e++)
		if (fz->errnos[e] && n < sizeof(line) - 40)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %" PRIu64,
					      strerrorname_np(e) ?: "?", fz->errnos[e]);
	if (n)
		fz_print("# errnos:%s", line);
	return total;
}

/* The module back where it was: objects, pages held, store pages (waits a moment). */
static void fz_settle(struct fz_run_state *r)
{
	/* Released files and mappings may take a moment (deferred fput, in-flight fds). */
	for (int tries = 0; tries < 200; tries++) {
		if (pl_info(r->dev, &r->now))
			break;
		if (r->have_store)
			pl_debugfs_stat("store_pages", &r->store1);
		if (r->now.objects == r->base.objects && r->now.pages_held == r->base.pages_held &&
		    (!r->have_store || r->store1 == r->store0))
			break;
		usleep(50000);
	}
}

/* The seven verdicts: the exit status. */
static int fz_verdicts(struct fz_run_state *r, uint64_t total)
{
	const struct pagelab_info *b = &r->base, *n = &r->now;
	bool bad;
	int tn = 0;

	fz_print("%s %d - fuzz: %d workers ran to the end by themselves, no crash or unexpected "
		 "signal", r->bad_end ? "not ok" : "ok", ++tn, fzo.procs);
	fz_print("%s %d - fuzz: %" PRIu64 " ops, every check passed (%" PRIu64 " page checks, %"
		 PRIu64 " calls checked)", fz->failures ? "not ok" : "ok", ++tn, total,
		 fz->strong + fz->weak, fz->must_fail + fz->must_ok);
	fz_settle(r);
	fz_print("%s %d - fuzz: objects back to %llu (now %llu)",
		 n->objects == b->objects ? "ok" : "not ok", ++tn,
		 (unsigned long long)b->objects, (unsigned long long)n->objects);
	fz_print("%s %d - fuzz: pages_held back to %llu (now %llu; allocated %llu - freed %llu)",
		 n->pages_held == b->pages_held &&
		 n->pages_allocated - n->pages_freed == n->pages_held ? "ok" : "not ok", ++tn,
		 (unsigned long long)b->pages_held, (unsigned long long)n->pages_held,
		 (unsigned long long)n->pages_allocated, (unsigned long long)n->pages_freed);
	if (r->have_store)
		fz_print("%s %d - fuzz: store_pages back to %llu (now %llu)",
			 r->store1 == r->store0 ? "ok" : "not ok", ++tn, r->store0, r->store1);
	else
		fz_print("ok %d - fuzz: store_pages # SKIP no debugfs stats", ++tn);
	fz_print("%s %d - fuzz: the zero page still reads as zeros",
		 pl_zero_page_clean(FZ_PS) ? "ok" : "not ok", ++tn);
	fz_kmsg_poll(r->t0);
	if (fz_kmsg_rd < 0) {
		fz_print("ok %d - fuzz: kernel log # SKIP /dev/kmsg unreadable", ++tn);
	} else {
		for (unsigned int i = 0; i < fz_splats && i < 10; i++)
			fz_print("# kernel: %s", fz_splat_first[i]);
		fz_print("%s %d - fuzz: no kernel report in the log during the run (%u lines)",
			 fz_splats ? "not ok" : "ok", ++tn, fz_splats);
	}
	fz_sweep_files();
	bad = fz->failures || r->bad_end || fz_splats || n->objects != b->objects ||
	      n->pages_held != b->pages_held || (r->have_store && r->store1 != r->store0);
	fz_print("# seed=%" PRIu64 ": %s", fzo.seed, bad ? "FAILED" : "passed");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct fz_run_state r;
	int ret = fz_parse_args(argc, argv);

	if (ret >= 0)
		return ret;
	if (!fz_start(&r))
		return 1;
	fz_spawn(&r);
	fz_supervise(&r);
	return fz_verdicts(&r, fz_print_counts(&r));
}
