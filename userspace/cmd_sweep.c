// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab sweep - one reference string, every policy, every frame count: a
 * replay per cell (cmd_replay.c), the faults in a table (rows: frames,
 * columns: policies), as CSV, or plotted with gnuplot.  A count higher than
 * with one frame fewer is Belady's anomaly, and is marked.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

#define SWEEP_MAX_POLICIES	8
#define SWEEP_MAX_FRAMES	1024

struct sweep {
	int npol;
	int policy[SWEEP_MAX_POLICIES];
	unsigned int lo, hi;
	bool exact;
	__u64 seed;
	unsigned long long *faults;	/* [(frames - lo) * npol + policy] */
};

static unsigned long long *sweep_cell(const struct sweep *s, unsigned int f, int p)
{
	return &s->faults[(size_t)(f - s->lo) * s->npol + p];
}

/* More faults than with one frame fewer. */
static bool sweep_anomaly(const struct sweep *s, unsigned int f, int p)
{
	return f > s->lo && *sweep_cell(s, f, p) > *sweep_cell(s, f - 1, p);
}

static int sweep_policies(struct sweep *s, const char *list)
{
	char buf[256], *tok, *save;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int p = pl_policy_parse(tok, true);

		if (p < 0) {
			pl_err("sweep: unknown policy '%s' (fifo, lru, clock, lfu, random, opt)", tok);
			return -1;
		}
		for (int i = 0; i < s->npol; i++)
			if (s->policy[i] == p) {
				pl_err("sweep: policy '%s' given twice", tok);
				return -1;
			}
		if (s->npol == SWEEP_MAX_POLICIES) {
			pl_err("sweep: at most %d policies", SWEEP_MAX_POLICIES);
			return -1;
		}
		s->policy[s->npol++] = p;
	}
	if (!s->npol) {
		pl_err("sweep: no policy in '%s'", list);
		return -1;
	}
	return 0;
}

/* "A-B" or "N" (1-N). */
static int sweep_frames(struct sweep *s, const char *arg)
{
	unsigned long a, b;
	char *e;

	if (!isdigit((unsigned char)arg[0]))
		goto bad;
	errno = 0;
	a = strtoul(arg, &e, 10);
	if (errno)
		goto bad;
	if (*e == '-') {
		if (!isdigit((unsigned char)e[1]))
			goto bad;
		b = strtoul(e + 1, &e, 10);
		if (errno || *e)
			goto bad;
	} else if (!*e) {
		b = a;
		a = 1;
	} else {
		goto bad;
	}
	if (!a || b < a || b > SWEEP_MAX_FRAMES)
		goto bad;
	s->lo = a;
	s->hi = b;
	return 0;
bad:
	pl_err("sweep: bad --frames '%s' (A-B or N for 1-N; 1 <= A <= B <= %d)", arg,
	       SWEEP_MAX_FRAMES);
	return -1;
}

/* The first executable "gnuplot" on $PATH, or false. */
static bool sweep_have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char dir[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(dir) - 10) {
			memcpy(dir, path, n);
			strcpy(dir + n, "/gnuplot");
			if (!access(dir, X_OK))
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* @s in gnuplot single quotes ('' for a quote) into @f. */
static void sweep_gp_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static int sweep_plot(const struct sweep *s, const char *file, size_t nrefs)
{
	struct stat st;
	FILE *gp;
	int status;

	unlink(file);
	gp = popen("gnuplot", "w");
	if (!gp) {
		pl_err("sweep: cannot run gnuplot: %s", strerror(errno));
		return -1;
	}
	fprintf(gp, "set terminal svg size 800,480 dynamic enhanced font 'sans,12'\n"
		    "set output ");
	sweep_gp_string(gp, file);
	fprintf(gp, "\nset title 'Page faults by frames: %zu references, %s mode'\n"
		    "set xlabel 'frames'\nset ylabel 'page faults (misses)'\n"
		    "set grid\nset key top right\nset xtics 1\nset yrange [0:*]\n"
		    "set xrange [%u:%u]\n$faults << EOD\n",
		nrefs, s->exact ? "exact" : "default", s->lo == s->hi ? s->lo - 1 : s->lo,
		s->lo == s->hi ? s->hi + 1 : s->hi);
	for (unsigned int f = s->lo; f <= s->hi; f++) {
		fprintf(gp, "%u", f);
		for (int p = 0; p < s->npol; p++)
			fprintf(gp, " %llu", *sweep_cell(s, f, p));
		fprintf(gp, "\n");
	}
	fprintf(gp, "EOD\nplot ");
	for (int p = 0; p < s->npol; p++)
		fprintf(gp, "%s$faults using 1:%d with linespoints lw 2 pt 7 title '%s'",
			p ? ", " : "", p + 2, pl_policy_name(s->policy[p]));
	fprintf(gp, "\n");
	status = pclose(gp);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		pl_err("sweep: gnuplot failed (status %d)", status);
		return -1;
	}
	if (stat(file, &st) || !st.st_size) {
		pl_err("sweep: gnuplot wrote no '%s'", file);
		return -1;
	}
	return 0;
}

static void sweep_table(const struct sweep *s, const struct pl_refs *refs)
{
	bool any = false;

	printf("sweep: %zu references (pages 0-%u), %s mode; faults (misses) per frame count\n",
	       refs->n, refs->max, s->exact ? "exact" : "default");
	printf("%6s", "frames");
	for (int p = 0; p < s->npol; p++)
		printf(" %8s", pl_policy_name(s->policy[p]));
	printf("\n");
	for (unsigned int f = s->lo; f <= s->hi; f++) {
		printf("%6u", f);
		for (int p = 0; p < s->npol; p++) {
			bool an = sweep_anomaly(s, f, p);

			printf(" %7llu%c", *sweep_cell(s, f, p), an ? '!' : ' ');
			any |= an;
		}
		printf("\n");
	}
	for (int p = 0; p < s->npol; p++)
		if (s->policy[p] == PL_POLICY_OPT)
			printf("opt: computed offline (Belady's optimal needs the future; no object)\n");
	if (!any)
		return;
	printf("! more faults than with one frame fewer: Belady's anomaly\n");
	for (int p = 0; p < s->npol; p++)
		for (unsigned int f = s->lo; f <= s->hi; f++)
			if (sweep_anomaly(s, f, p))
				printf("  %s: %llu faults with %u frames, %llu with %u\n",
				       pl_policy_name(s->policy[p]), *sweep_cell(s, f - 1, p), f - 1,
				       *sweep_cell(s, f, p), f);
}

static void sweep_csv(const struct sweep *s)
{
	printf("frames");
	for (int p = 0; p < s->npol; p++)
		printf(",%s", pl_policy_name(s->policy[p]));
	printf("\n");
	for (unsigned int f = s->lo; f <= s->hi; f++) {
		printf("%u", f);
		for (int p = 0; p < s->npol; p++)
			printf(",%llu", *sweep_cell(s, f, p));
		printf("\n");
	}
}

static void sweep_usage(void)
{
	printf("usage: pagelab sweep [--policies P,P,...] --frames A-B\n"
	       "                     (--string \"1 2 3 ...\" | --trace FILE)\n"
	       "                     [--exact] [--seed S] [--csv] [--plot FILE.svg]\n\n"
	       "Replay one reference string (see pagelab replay --help) for every\n"
	       "policy and every frame count from A to B (\"N\" means 1-N), each run\n"
	       "on a new pagelab object, and print the faults (misses) as a table:\n"
	       "rows are frame counts, columns policies (default fifo,lru,clock,opt;\n"
	       "also lfu, random).  A count marked '!' is higher than with one frame\n"
	       "fewer: Belady's anomaly (FIFO shows it on \"1 2 3 4 1 2 5 1 2 3 4 5\"\n"
	       "at 3 and 4 frames).  opt is computed offline, without an object.\n\n"
	       "--exact     every reference faults (see pagelab replay): the textbook\n"
	       "            model; without it, what a kernel sees\n"
	       "--seed S    the random policy's seed (default 1)\n"
	       "--csv       the table as CSV (frames,policy,...), no marks\n"
	       "--plot F    also write an SVG plot to F with gnuplot (exits 1 if gnuplot\n"
	       "            is not installed)\n\n"
	       "Needs root (except for opt alone).\n");
}

/* The command line of a sweep. */
struct sweep_args {
	const char *string, *trace, *plot, *policies;
	bool csv, frames_set;
};

/* One "--opt value" or "--opt=value": 0, or PL_EXIT_USAGE after saying why. */
static int sweep_option(struct sweep *s, struct sweep_args *o, const char *opt, const char *val)
{
	char *e;

	if (!strcmp(opt, "--policies")) {
		o->policies = val;
	} else if (!strcmp(opt, "--frames")) {
		if (sweep_frames(s, val))
			return PL_EXIT_USAGE;
		o->frames_set = true;
	} else if (!strcmp(opt, "--string")) {
		o->string = val;
	} else if (!strcmp(opt, "--trace")) {
		o->trace = val;
	} else if (!strcmp(opt, "--plot")) {
		o->plot = val;
	} else {
		errno = 0;
		s->seed = strtoull(val, &e, 10);
		if (errno || *e || !isdigit((unsigned char)val[0])) {
			pl_err("sweep: bad --seed '%s'", val);
			return PL_EXIT_USAGE;
		}
	}
	return 0;
}

/* The options, checked together: 0, or a PL_EXIT_* status after saying why. */
static int sweep_parse(int argc, char **argv, struct sweep *s, struct sweep_args *o)
{
	for (int a = 1; a < argc; a++) {
		const char *opt = argv[a], *val = NULL, *eq = strchr(opt, '=');
		char name[32];
		int ret;

		if (!strcmp(opt, "--exact") || !strcmp(opt, "--csv")) {
			*(opt[2] == 'e' ? &s->exact : &o->csv) = true;
			continue;
		}
		if (eq && (size_t)(eq - opt) < sizeof(name)) {
			memcpy(name, opt, eq - opt);
			name[eq - opt] = '\0';
			opt = name;
			val = eq + 1;
		}
		if (strcmp(opt, "--policies") && strcmp(opt, "--frames") && strcmp(opt, "--string") &&
		    strcmp(opt, "--trace") && strcmp(opt, "--plot") && strcmp(opt, "--seed")) {
			pl_err("sweep: unknown argument '%s' (see pagelab sweep --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
		if (!val && a + 1 >= argc) {
			pl_err("sweep: %s needs a value", opt);
			return PL_EXIT_USAGE;
		}
		ret = sweep_option(s, o, opt, val ? val : argv[++a]);
		if (ret)
			return ret;
	}
	if (!o->frames_set || !o->string == !o->trace) {
		pl_err("sweep: needs --frames and one of --string or --trace "
		       "(see pagelab sweep --help)");
		return PL_EXIT_USAGE;
	}
	if (sweep_policies(s, o->policies))
		return PL_EXIT_USAGE;
	if (o->plot && !*o->plot) {
		pl_err("sweep: --plot needs a file name");
		return PL_EXIT_USAGE;
	}
	if (o->plot && !sweep_have_gnuplot()) {
		pl_err("sweep: --plot needs gnuplot, which is not installed (apt-get install gnuplot-nox)");
		return PL_EXIT_FAIL;
	}
	return 0;
}

/* Every policy at every frame count, into @s's cells: 0, or -1 after saying why. */
static int sweep_run(struct sweep *s, const struct pl_refs *refs, int dev)
{
	for (unsigned int f = s->lo; f <= s->hi; f++)
		for (int p = 0; p < s->npol; p++) {
			struct pl_replay r;
			int bad = pl_replay_run(dev, refs, s->policy[p], f, s->exact, s->seed, false,
						&r);

			pl_replay_free(&r);
			if (bad)
				return -1;
			if (r.data_bad) {
				pl_err("sweep: %s, %u frames: %llu reads did not return the data last "
				       "written", pl_policy_name(s->policy[p]), f,
				       (unsigned long long)r.data_bad);
				return -1;
			}
			*sweep_cell(s, f, p) = r.faults;
		}
	return 0;
}

/**
 * cmd_sweep() - pagelab sweep: see sweep_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "sweep")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_sweep(int argc, char **argv)
{
	struct sweep_args o = { .policies = "fifo,lru,clock,opt" };
	struct sweep s = { .seed = 1 };
	bool need_dev = false;
	struct pl_refs refs;
	int dev = -1, ret;

	if (pl_wants_help(argc, argv)) {
		sweep_usage();
		return PL_EXIT_OK;
	}
	ret = sweep_parse(argc, argv, &s, &o);
	if (ret)
		return ret;
	if (o.string ? pl_refs_parse(o.string, "--string", &refs) : pl_refs_load(o.trace, &refs))
		return PL_EXIT_USAGE;
	ret = PL_EXIT_FAIL;
	s.faults = calloc((size_t)(s.hi - s.lo + 1) * s.npol, sizeof(*s.faults));
	if (!s.faults) {
		pl_err("sweep: out of memory");
		goto out;
	}
	for (int p = 0; p < s.npol; p++)
		need_dev |= s.policy[p] != PL_POLICY_OPT;
	if (need_dev) {
		dev = pl_open_or_explain();
		if (dev < 0)
			goto out;
		pl_lock_self();
	}
	if (sweep_run(&s, &refs, dev))
		goto out;
	if (o.csv)
		sweep_csv(&s);
	else
		sweep_table(&s, &refs);
	if (o.plot) {
		fflush(stdout);
		if (sweep_plot(&s, o.plot, refs.n))
			goto out;
		if (!o.csv)
			printf("plot: %s\n", o.plot);
	}
	ret = PL_EXIT_OK;
out:
	if (dev >= 0)
		close(dev);
	free(s.faults);
	pl_refs_free(&refs);
	return ret;
}
