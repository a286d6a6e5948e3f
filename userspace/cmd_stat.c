// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab stat - the live objects and their fault counters: every object
 * from /sys/kernel/debug/pagelab/objects, or one by id through
 * PAGELAB_IOC_OBJ_STAT.  Objects with page replacement get a second table:
 * budget, policy, store, page-outs and page-ins, and the backing file's
 * I/O (ABI 1.4).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

struct stat_out {
	bool json;
	int n;
	/* Text: the objects with copy-on-write or replacement, for their tables. */
	struct pagelab_obj_stat *all;
	int nall;
	bool oom;
};

static void stat_json(const struct pagelab_obj_stat *s)
{
	printf("{\"id\": %llu, \"name\": ", (unsigned long long)s->id);
	pl_json_str(s->name);
	printf(", \"size\": %llu, \"resident\": %llu, \"mappers\": %llu, \"files\": %llu, "
	       "\"uid\": %u, \"gid\": %u, \"mode\": \"%04o\", \"fault_around_pages\": %u, "
	       "\"shared\": %llu, \"budget\": %u, \"policy\": %u, \"store_pages\": %llu, "
	       "\"pagein_delay_ms\": %u, \"store_flags\": %u, \"store\": \"%s\"",
	       (unsigned long long)s->size, (unsigned long long)s->resident,
	       (unsigned long long)s->mappers, (unsigned long long)s->files, s->uid, s->gid,
	       s->mode, s->fault_around_pages, (unsigned long long)s->shared, s->budget,
	       s->policy, (unsigned long long)s->store_pages, s->pagein_delay_ms,
	       s->store_flags, s->store_flags & PAGELAB_STORE_FILE ? "file" : "module");
	/* Every counter, from the one list of them. */
#define PAGELAB_OBJ_COUNTER(field, column, group) \
	printf(", \"" #field "\": %llu", (unsigned long long)s->field);
#include "uapi/pagelab_counters.h"
#undef PAGELAB_OBJ_COUNTER
	printf("}");
}

/* Has @s had page replacement: a budget now, or counters from one? */
static bool stat_replaced(const struct pagelab_obj_stat *s)
{
	return s->budget || s->misses || s->evictions || s->store_pages || s->store_flags ||
	       s->major;
}

enum { STAT_FAULT, STAT_COW, STAT_REPLACE };

/* The list's counters of one group, in order: names, column headers, offsets. */
struct stat_col {
	int group;
	const char *column;
	size_t off;
};

static const struct stat_col stat_cols[] = {
#define PAGELAB_OBJ_COUNTER(field, column, group) \
	{ STAT_##group, #column, offsetof(struct pagelab_obj_stat, field) },
#include "uapi/pagelab_counters.h"
#undef PAGELAB_OBJ_COUNTER
};

static void stat_col_header(int group)
{
	for (size_t i = 0; i < sizeof(stat_cols) / sizeof(stat_cols[0]); i++)
		if (stat_cols[i].group == group)
			printf(" %8s", stat_cols[i].column);
}

static void stat_col_values(int group, const struct pagelab_obj_stat *s)
{
	for (size_t i = 0; i < sizeof(stat_cols) / sizeof(stat_cols[0]); i++)
		if (stat_cols[i].group == group)
			printf(" %8llu", (unsigned long long)*(const __u64 *)
			       ((const char *)s + stat_cols[i].off));
}

/* Is any counter of @group set in @s? */
static bool stat_group_any(int group, const struct pagelab_obj_stat *s)
{
	for (size_t i = 0; i < sizeof(stat_cols) / sizeof(stat_cols[0]); i++)
		if (stat_cols[i].group == group &&
		    *(const __u64 *)((const char *)s + stat_cols[i].off))
			return true;
	return false;
}

/* Has @s shared frames now, or counters from copy-on-write? */
static bool stat_cowed(const struct pagelab_obj_stat *s)
{
	return s->shared || stat_group_any(STAT_COW, s);
}

static void stat_cow_header(void)
{
	printf("%6s %8s", "ID", "SHARED");
	stat_col_header(STAT_COW);
	printf("\n");
}

static void stat_cow_row(const struct pagelab_obj_stat *s)
{
	printf("%6llu %8llu", (unsigned long long)s->id, (unsigned long long)s->shared);
	stat_col_values(STAT_COW, s);
	printf("\n");
}

static void stat_cow_legend(void)
{
	printf("Copy-on-write: SHARED resident pages whose frame is held elsewhere too;\n"
	       "COWBRKS writes that copied a shared frame, COWBYTES bytes copied by them\n"
	       "and by clones; PRIVCOW write faults in private mappings (the kernel\n"
	       "copies); CLSHARED, CLCOPIED frames a clone got shared or copied from its\n"
	       "source; MERGED pages a merge made share a frame, MRGZERO all-zero pages\n"
	       "a merge dropped.\n");
}

static void stat_rp_header(void)
{
	printf("%6s %6s %-6s %7s %7s %-6s", "ID", "BUDGET", "POLICY", "STORED", "DELAYMS", "STORE");
	stat_col_header(STAT_REPLACE);
	printf("\n");
}

static void stat_rp_row(const struct pagelab_obj_stat *s)
{
	printf("%6llu %6u %-6s %7llu %7u %-6s", (unsigned long long)s->id, s->budget,
	       pl_policy_name(s->policy), (unsigned long long)s->store_pages, s->pagein_delay_ms,
	       s->store_flags & PAGELAB_STORE_FILE ? "file" : "module");
	stat_col_values(STAT_REPLACE, s);
	printf("\n");
}

static void stat_rp_legend(void)
{
	printf("Page replacement: STORED pages in the store now; DELAYMS the page-in delay;\n"
	       "STORE module (its memory) or file; MISSES references that needed a frame;\n"
	       "PAGEINS pages read back from the store; EVICTS frames taken by the policy,\n"
	       "WRITTEN of them written to the store, CLEAN dropped (store copy current);\n"
	       "INEXACT (exact mode) accesses across two pages that left both mapped; MAJOR\n"
	       "faults the kernel counted as major; IOWAITS faults that waited for the\n"
	       "backing file's I/O, IOERRS its failed or short reads and writes.\n");
}

static void stat_header(void)
{
	printf("%6s %-16s %10s %8s %7s %5s %5s %5s %4s %4s", "ID", "NAME", "SIZE", "RESIDENT",
	       "MAPPERS", "FILES", "UID", "GID", "MODE", "FAW");
	stat_col_header(STAT_FAULT);
	printf("\n");
}

static void stat_row(const struct pagelab_obj_stat *s)
{
	printf("%6llu %-16s %10llu %8llu %7llu %5llu %5u %5u %04o %4u", (unsigned long long)s->id,
	       s->name[0] ? s->name : "-", (unsigned long long)s->size,
	       (unsigned long long)s->resident, (unsigned long long)s->mappers,
	       (unsigned long long)s->files, s->uid, s->gid, s->mode, s->fault_around_pages);
	stat_col_values(STAT_FAULT, s);
	printf("\n");
}

static int stat_each(const struct pagelab_obj_stat *s, void *arg)
{
	struct stat_out *o = arg;

	if (o->json) {
		printf("%s", o->n ? ",\n  " : "[\n  ");
		stat_json(s);
	} else {
		if (!o->n)
			stat_header();
		stat_row(s);
		if (!o->oom && (stat_cowed(s) || stat_replaced(s))) {
			struct pagelab_obj_stat *all =
				realloc(o->all, ((size_t)o->nall + 1) * sizeof(*all));

			if (all) {
				o->all = all;
				o->all[o->nall++] = *s;
			} else {
				o->oom = true;
			}
		}
	}
	o->n++;
	return 0;
}

/* Below the objects: the copy-on-write table, then the replacement one, for those concerned. */
static void stat_tables(const struct pagelab_obj_stat *all, int n)
{
	int ncow = 0, nrp = 0;

	for (int i = 0; i < n; i++) {
		ncow += stat_cowed(&all[i]);
		nrp += stat_replaced(&all[i]);
	}
	if (ncow) {
		printf("\n");
		stat_cow_header();
		for (int i = 0; i < n; i++)
			if (stat_cowed(&all[i]))
				stat_cow_row(&all[i]);
		printf("\n");
		stat_cow_legend();
	}
	if (nrp) {
		printf("\n");
		stat_rp_header();
		for (int i = 0; i < n; i++)
			if (stat_replaced(&all[i]))
				stat_rp_row(&all[i]);
		printf("\n");
		stat_rp_legend();
	}
}

static int stat_all(bool json)
{
	struct stat_out o = { .json = json };
	int ret;

	ret = pl_debugfs_objects(stat_each, &o);
	if (json && (o.n || !ret))
		printf("%s]\n", o.n ? "\n" : "[");
	if (ret) {
		free(o.all);
		fflush(stdout);
		pl_err("stat: reading %s/objects: %s%s", PAGELAB_DEBUGFS, strerror(-ret),
		       ret == -ENOENT ? " (is debugfs mounted and the module loaded?)" :
		       ret == -EACCES ? " (debugfs is root's)" : "");
		return PL_EXIT_FAIL;
	}
	if (!json && !o.n)
		printf("no live objects\n");
	else if (!json)
		printf("\nSIZE in bytes; RESIDENT pages held; FAW the fault-around window in\n"
		       "pages; RFAULTS, WFAULTS read and write faults; ZEROMAPS zero-page maps;\n"
		       "ALLOCS frames taken; EXISTING faults on a frame held already; AROUND\n"
		       "pages mapped by fault-around; VMALOCK faults under the VMA's own lock;\n"
		       "HUGEMAPS 2 MiB leaves mapped, HSPLITS 2 MiB chunks split.\n");
	if (!json && !o.oom)
		stat_tables(o.all, o.nall);
	free(o.all);
	if (o.oom) {
		pl_err("stat: out of memory: the copy-on-write and replacement tables are left out");
		return PL_EXIT_FAIL;
	}
	return PL_EXIT_OK;
}

static int stat_one(__u64 id, bool json)
{
	struct pagelab_obj_stat s;
	int dev = pl_open_or_explain(), ret;

	if (dev < 0)
		return PL_EXIT_FAIL;
	ret = pl_obj_stat(dev, id, &s);
	close(dev);
	if (ret) {
		pl_err("stat: object %llu: %s", (unsigned long long)id,
		       ret == -ENOENT ? "no such live object" : strerror(-ret));
		return PL_EXIT_FAIL;
	}
	if (json) {
		stat_json(&s);
		printf("\n");
	} else {
		stat_header();
		stat_row(&s);
		if (stat_cowed(&s)) {
			printf("\n");
			stat_cow_header();
			stat_cow_row(&s);
		}
		if (stat_replaced(&s)) {
			printf("\n");
			stat_rp_header();
			stat_rp_row(&s);
		}
	}
	return PL_EXIT_OK;
}

int cmd_stat(int argc, char **argv)
{
	unsigned long long id = 0;
	bool json = false, have_id = false;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab stat [--json] [ID]\n\n"
		       "Print every live object, with its size, resident pages, mappers,\n"
		       "open files, fault counters, owner and mode, from\n"
		       "%s/objects; with ID, print that one object\n"
		       "(PAGELAB_IOC_OBJ_STAT).  Objects that share frames (or have\n"
		       "copy-on-write counters) get a table of those: copies on write, bytes\n"
		       "copied, clone and merge counts.  Objects with a frame budget (or counters\n"
		       "from one) get a second table: budget, policy, misses, page-ins,\n"
		       "evictions (written or dropped clean), pages in the store, major\n"
		       "faults, the backing file's I/O waits and errors, the page-in delay,\n"
		       "and the store (module or file).  --json: a JSON array (one object\n"
		       "with ID), every counter.\n",
		       PAGELAB_DEBUGFS);
		return PL_EXIT_OK;
	}
	for (int a = 1; a < argc; a++) {
		char *end;

		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (!have_id && argv[a][0] >= '0' && argv[a][0] <= '9') {
			errno = 0;
			id = strtoull(argv[a], &end, 0);
			if (errno || *end) {
				pl_err("stat: '%s' is not an object id", argv[a]);
				return PL_EXIT_USAGE;
			}
			have_id = true;
		} else {
			pl_err("stat: unknown argument '%s' (see pagelab stat --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	return have_id ? stat_one(id, json) : stat_all(json);
}
