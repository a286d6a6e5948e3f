// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab replay - a textbook reference string, run live against pagelab's
 * page replacement: an object with a frame budget, its pages touched in the
 * string's order, the faults, page-ins, evictions and write-backs read from
 * the module's counters, the frame table rebuilt from its event log.
 *
 * Belady's optimal policy (opt) needs the future, so no kernel can run it:
 * it is simulated here, offline, from the whole string.
 *
 * The engine (runs, the frame table) is lib/pl_replay.c: sweep, swap,
 * bench and the tour use it too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_replay.h"

static void replay_json(const struct pl_refs *refs, const struct pl_replay *r, bool table)
{
	printf("{\"policy\": \"%s\", \"frames\": %u, \"mode\": \"%s\", \"offline\": %s, "
	       "\"references\": %zu, \"pages\": %u, \"faults\": %llu, \"hits\": %llu, "
	       "\"page_ins\": %llu, \"evictions\": %llu, \"writebacks\": %llu, "
	       "\"clean_drops\": %llu, ",
	       pl_policy_name(r->policy), r->frames, r->exact ? "exact" : "default",
	       r->offline ? "true" : "false", refs->n, refs->max + 1,
	       (unsigned long long)r->faults, (unsigned long long)r->hits,
	       (unsigned long long)r->page_ins, (unsigned long long)r->evictions,
	       (unsigned long long)r->writebacks, (unsigned long long)r->clean_drops);
	if (r->offline)
		printf("\"major_faults\": null, \"seen\": null, \"data_ok\": null");
	else
		printf("\"major_faults\": %ld, \"seen\": %llu, \"inexact\": %llu, \"data_ok\": %s, "
		       "\"total_page_ins\": %llu, \"total_evictions\": %llu, "
		       "\"total_writebacks\": %llu",
		       r->majflt, (unsigned long long)r->seen, (unsigned long long)r->inexact,
		       r->data_bad ? "false" : "true", (unsigned long long)r->total_page_ins,
		       (unsigned long long)r->total_evictions,
		       (unsigned long long)r->total_writebacks);
	if (!r->offline) {
		printf(", \"store\": \"%s\", \"store_file\": ", r->store_path ? "file" : "module");
		if (r->store_path)
			pl_json_str(r->store_path);
		else
			printf("null");
		printf(", \"pagein_delay_ms\": %u, \"major\": %llu, \"io_waits\": %llu, "
		       "\"io_errors\": %llu", r->delay_ms, (unsigned long long)r->major,
		       (unsigned long long)r->io_waits, (unsigned long long)r->io_errors);
	}
	if (table) {
		printf(", \"steps\": [");
		for (size_t i = 0; i < refs->n; i++) {
			const struct pl_replay_col *c = &r->cols[i];

			printf("%s\n  {\"page\": %u, \"write\": %s, \"result\": ", i ? "," : "",
			       refs->page[i], refs->write[i] ? "true" : "false");
			if (c->result < 0)
				printf("null");
			else
				printf("\"%s\"", pl_event_result_name(c->result));
			printf(", \"frames\": [");
			for (unsigned int s = 0; s < r->frames; s++) {
				int pg = r->frame[i * r->frames + s];

				if (pg < 0)
					printf("%snull", s ? ", " : "");
				else
					printf("%s%d", s ? ", " : "", pg);
			}
			printf("], \"victim\": ");
			if (c->victim < 0)
				printf("null, \"writeback\": null}");
			else
				printf("%lld, \"writeback\": %s}", c->victim,
				       c->wb ? "true" : "false");
		}
		printf("\n]");
	}
	printf("}\n");
}

static void replay_text(const struct pl_refs *refs, const struct pl_replay *r, bool table)
{
	printf("replay: policy %s, %u frame%s, %zu references (pages 0-%u)\n",
	       pl_policy_name(r->policy), r->frames, r->frames == 1 ? "" : "s", refs->n,
	       refs->max);
	if (r->offline)
		printf("  computed offline: Belady's optimal policy needs the future, so no kernel\n"
		       "  runs it; this is a simulation from the whole string, no object is used\n");
	else if (r->exact)
		printf("  exact mode: object %llu, every reference faults (the page's PTE is\n"
		       "  dropped with madvise(MADV_DONTNEED) after each), so the module sees all\n",
		       (unsigned long long)r->id);
	else
		printf("  default mode: object %llu; the module sees a reference only when it\n"
		       "  faults (a miss, a first access, or after the clock hand cleared the\n"
		       "  page's reference bit), as a kernel does\n", (unsigned long long)r->id);
	if (table) {
		printf("\n");
		pl_replay_table(refs, r);
		printf("\n");
	}
	printf("  faults (misses)  %llu\n", (unsigned long long)r->faults);
	printf("  hits             %llu\n", (unsigned long long)r->hits);
	printf("  page-ins         %llu\n", (unsigned long long)r->page_ins);
	printf("  evictions        %llu\n", (unsigned long long)r->evictions);
	printf("  write-backs      %llu\n", (unsigned long long)r->writebacks);
	printf("  clean drops      %llu\n", (unsigned long long)r->clean_drops);
	if (!r->offline) {
		printf("  faults seen      %llu  (faults the module handled)\n",
		       (unsigned long long)r->seen);
		if (!r->store_path && !r->delay_ms)
			printf("  major faults     %ld  (getrusage: the page-ins)\n", r->majflt);
		else
			printf("  major faults     %ld  (getrusage; the object counted %llu: page-ins\n"
			       "                   and faults that waited for I/O)\n", r->majflt,
			       (unsigned long long)r->major);
		if (r->store_path) {
			printf("  store            the file %s (page N at N x page size)\n",
			       r->store_path);
			printf("  I/O waits        %llu  (faults that let go of mmap_lock for the "
			       "file)\n", (unsigned long long)r->io_waits);
			printf("  I/O errors       %llu\n", (unsigned long long)r->io_errors);
		}
		if (r->delay_ms)
			printf("  page-in delay    %u ms\n", r->delay_ms);
		printf("  data             %s\n", r->data_bad ? "MISMATCH" : "ok");
	}
	if (r->lost_events)
		printf("  (%llu events were lost from the event log)\n",
		       (unsigned long long)r->lost_events);
}

static void replay_usage(void)
{
	printf("usage: pagelab replay --policy P --frames N (--string \"7 0 1 ...\" | --trace FILE)\n"
	       "                      [--exact] [--seed S] [--store FILE] [--delay-ms MS]\n"
	       "                      [--verbose] [--json]\n\n"
	       "Run a reference string against pagelab's page replacement, live.  An\n"
	       "object of (highest page + 1) pages (or N, if more) gets a budget of N\n"
	       "frames and policy P (fifo, lru, clock, lfu, random; or opt); this\n"
	       "process then touches its pages in the string's order, and prints what\n"
	       "the module counted: faults (misses: references that needed a frame),\n"
	       "hits (references - faults), page-ins (pages read back from the store:\n"
	       "major faults), evictions, write-backs (the victim was written to the\n"
	       "store) and clean drops (its store copy was current).  The data is\n"
	       "checked on every read and at the end.\n\n"
	       "A reference is a page number; a 'w' suffix makes it a write (\"3w\"),\n"
	       "else it reads.  --trace FILE: references separated by whitespace or\n"
	       "one per line, '#' starts a comment (\"-\": stdin).  Reads of\n"
	       "never-written pages take a frame too (PAGELAB_REPLACE_NO_ZERO).\n\n"
	       "--exact   exact mode (PAGELAB_REPLACE_EXACT): after every reference the\n"
	       "          page's PTE is dropped with madvise(MADV_DONTNEED) (the object\n"
	       "          keeps its data), so every reference faults and the module sees\n"
	       "          all of them: the textbook model.  Without it, the default mode\n"
	       "          shows what a real kernel sees: a reference to a mapped page\n"
	       "          does not fault, so LRU and LFU see only some of the hits.\n"
	       "--seed S  the random policy's seed (default 1)\n"
	       "--store FILE  page out to FILE instead of the module's memory: page N\n"
	       "          at offset N x page size (PAGELAB_REPLACE_FILE).  FILE is\n"
	       "          created (mode 0600) if missing, made the object's size, and\n"
	       "          left in place afterwards; it must be a regular file only\n"
	       "          its owner may open.  Page-ins then read it with no lock held:\n"
	       "          the faults that wait count as major too\n"
	       "--delay-ms MS  sleep MS ms (0-%d) on every page-in, either store\n"
	       "--verbose the frame table after each reference, as textbooks draw it\n"
	       "          (columns: references; rows: frames), rebuilt from the event\n"
	       "          log %s\n"
	       "--json    the same, machine-readable\n\n"
	       "opt (Belady's optimal) is computed offline from the string: no kernel\n"
	       "can know the future, so no object is used (--store and --delay-ms do\n"
	       "not apply).  Needs root.\n", PAGELAB_PAGEIN_DELAY_MAX_MS, PL_EVENTS_PATH);
}

/* "--opt VALUE" or "--opt=VALUE": the value, advancing *@a; NULL if not @opt. */
static const char *replay_arg(int argc, char **argv, int *a, const char *opt, bool *missing)
{
	size_t len = strlen(opt);

	*missing = false;
	if (strncmp(argv[*a], opt, len))
		return NULL;
	if (argv[*a][len] == '=')
		return argv[*a] + len + 1;
	if (argv[*a][len])
		return NULL;
	if (*a + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*a];
}

static bool replay_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoul(s, &e, 10);
	return !errno && !*e && *v <= max;
}

/* The command line of a replay. */
struct replay_opts {
	const char *policy_s, *frames_s, *string, *trace;
	bool exact, verbose, json;
	struct pl_store_opt store;
	unsigned long frames, seed;
	int policy;
};

/* The options, one by one: 0, or PL_EXIT_USAGE after saying why. */
static int replay_parse(int argc, char **argv, struct replay_opts *o)
{
	const char *v;
	bool missing;

	for (int a = 1; a < argc; a++) {
		if ((v = replay_arg(argc, argv, &a, "--policy", &missing))) {
			o->policy_s = v;
		} else if (!missing && (v = replay_arg(argc, argv, &a, "--frames", &missing))) {
			o->frames_s = v;
		} else if (!missing && (v = replay_arg(argc, argv, &a, "--string", &missing))) {
			o->string = v;
		} else if (!missing && (v = replay_arg(argc, argv, &a, "--trace", &missing))) {
			o->trace = v;
		} else if (!missing && (v = replay_arg(argc, argv, &a, "--seed", &missing))) {
			if (!replay_uint(v, ~0UL, &o->seed)) {
				pl_err("replay: bad --seed '%s'", v);
				return PL_EXIT_USAGE;
			}
		} else if (!missing && (v = replay_arg(argc, argv, &a, "--store", &missing))) {
			o->store.path = v;
		} else if (!missing && (v = replay_arg(argc, argv, &a, "--delay-ms", &missing))) {
			if (!pl_delay_parse(v, &o->store.delay_ms)) {
				pl_err("replay: bad --delay-ms '%s' (0-%d)", v,
				       PAGELAB_PAGEIN_DELAY_MAX_MS);
				return PL_EXIT_USAGE;
			}
		} else if (missing) {
			pl_err("replay: %s needs a value", argv[a]);
			return PL_EXIT_USAGE;
		} else if (!strcmp(argv[a], "--exact")) {
			o->exact = true;
		} else if (!strcmp(argv[a], "--verbose") || !strcmp(argv[a], "-v")) {
			o->verbose = true;
		} else if (!strcmp(argv[a], "--json")) {
			o->json = true;
		} else {
			pl_err("replay: unknown argument '%s' (see pagelab replay --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	return 0;
}

/* The options together: policy and frames read, conflicts refused.  0, or PL_EXIT_USAGE. */
static int replay_check(struct replay_opts *o)
{
	if (!o->policy_s || !o->frames_s || !o->string == !o->trace) {
		pl_err("replay: needs --policy, --frames and one of --string or --trace "
		       "(see pagelab replay --help)");
		return PL_EXIT_USAGE;
	}
	o->policy = pl_policy_parse(o->policy_s, true);
	if (o->policy < 0) {
		pl_err("replay: unknown policy '%s' (fifo, lru, clock, lfu, random, opt)",
		       o->policy_s);
		return PL_EXIT_USAGE;
	}
	if (!replay_uint(o->frames_s, 1u << 20, &o->frames) || !o->frames) {
		pl_err("replay: bad --frames '%s' (1 or more)", o->frames_s);
		return PL_EXIT_USAGE;
	}
	if (o->policy == PL_POLICY_OPT && (o->store.path || o->store.delay_ms)) {
		pl_err("replay: --store and --delay-ms need an object: opt runs offline");
		return PL_EXIT_USAGE;
	}
	if (o->store.path && !*o->store.path) {
		pl_err("replay: --store needs a file name");
		return PL_EXIT_USAGE;
	}
	return 0;
}

/**
 * cmd_replay() - pagelab replay: see replay_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "replay")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = { .seed = 1 };
	struct pl_replay r;
	struct pl_refs refs;
	int dev = -1, ret;

	if (pl_wants_help(argc, argv)) {
		replay_usage();
		return PL_EXIT_OK;
	}
	ret = replay_parse(argc, argv, &o);
	if (!ret)
		ret = replay_check(&o);
	if (ret)
		return ret;
	if (o.string ? pl_refs_parse(o.string, "--string", &refs) : pl_refs_load(o.trace, &refs))
		return PL_EXIT_USAGE;
	if (o.policy != PL_POLICY_OPT) {
		dev = pl_open_or_explain();
		if (dev < 0 || ((o.store.path || o.store.delay_ms) && pl_store_check(dev, "replay"))) {
			if (dev >= 0)
				close(dev);
			pl_refs_free(&refs);
			return PL_EXIT_FAIL;
		}
		pl_lock_self();
	}
	ret = pl_replay_run_store(dev, &refs, o.policy, o.frames, o.exact, o.seed, o.verbose,
				  &o.store, &r);
	if (!ret) {
		if (o.json)
			replay_json(&refs, &r, o.verbose);
		else
			replay_text(&refs, &r, o.verbose);
		if (r.data_bad) {
			pl_err("replay: %llu reads did not return the data last written",
			       (unsigned long long)r.data_bad);
			ret = -1;
		}
	}
	pl_replay_free(&r);
	pl_refs_free(&refs);
	if (dev >= 0)
		close(dev);
	return ret ? PL_EXIT_FAIL : PL_EXIT_OK;
}
