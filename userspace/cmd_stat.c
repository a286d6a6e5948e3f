// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab stat - the live objects and their fault counters: every object
 * from /sys/kernel/debug/pagelab/objects, or one by id through
 * PAGELAB_IOC_OBJ_STAT.  Objects with page replacement get a second table:
 * budget, policy, store, page-outs and page-ins, and the backing file's
 * I/O (ABI 1.4).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

struct stat_out {
	bool json;
	int n;
	/* Text: the objects with page replacement, for the second table. */
	struct pagelab_obj_stat *rp;
	int nrp;
	bool oom;
};

static void stat_json(const struct pagelab_obj_stat *s)
{
	printf("{\"id\": %llu, \"name\": \"%s\", \"size\": %llu, \"resident\": %llu, "
	       "\"mappers\": %llu, \"files\": %llu, \"faults_read\": %llu, "
	       "\"faults_write\": %llu, \"zero_maps\": %llu, \"allocs\": %llu, "
	       "\"existing\": %llu, \"fault_around\": %llu, \"mkwrite\": %llu, "
	       "\"sigbus\": %llu, \"uid\": %u, \"gid\": %u, \"mode\": \"%04o\", "
	       "\"fault_around_pages\": %u",
	       (unsigned long long)s->id, s->name, (unsigned long long)s->size,
	       (unsigned long long)s->resident, (unsigned long long)s->mappers,
	       (unsigned long long)s->files, (unsigned long long)s->faults_read,
	       (unsigned long long)s->faults_write, (unsigned long long)s->zero_maps,
	       (unsigned long long)s->allocs, (unsigned long long)s->existing,
	       (unsigned long long)s->fault_around, (unsigned long long)s->mkwrite,
	       (unsigned long long)s->sigbus, s->uid, s->gid, s->mode,
	       s->fault_around_pages);
	/* Copy-on-write (ABI 1.2) and page replacement (ABI 1.3). */
	printf(", \"shared\": %llu, \"cow_breaks\": %llu, \"cow_bytes\": %llu, "
	       "\"private_cow\": %llu, \"clone_shared\": %llu, \"clone_copied\": %llu, "
	       "\"merged\": %llu, \"merged_zero\": %llu",
	       (unsigned long long)s->shared, (unsigned long long)s->cow_breaks,
	       (unsigned long long)s->cow_bytes, (unsigned long long)s->private_cow,
	       (unsigned long long)s->clone_shared, (unsigned long long)s->clone_copied,
	       (unsigned long long)s->merged, (unsigned long long)s->merged_zero);
	printf(", \"budget\": %u, \"policy\": %u, \"misses\": %llu, \"page_ins\": %llu, "
	       "\"evictions\": %llu, \"writebacks\": %llu, \"clean_drops\": %llu, "
	       "\"store_pages\": %llu, \"inexact\": %llu",
	       s->budget, s->policy, (unsigned long long)s->misses,
	       (unsigned long long)s->page_ins, (unsigned long long)s->evictions,
	       (unsigned long long)s->writebacks, (unsigned long long)s->clean_drops,
	       (unsigned long long)s->store_pages, (unsigned long long)s->inexact);
	/* The backing file store and the page-in delay (ABI 1.4). */
	printf(", \"io_errors\": %llu, \"io_waits\": %llu, \"major\": %llu, "
	       "\"pagein_delay_ms\": %u, \"store_flags\": %u, \"store\": \"%s\"}",
	       (unsigned long long)s->io_errors, (unsigned long long)s->io_waits,
	       (unsigned long long)s->major, s->pagein_delay_ms, s->store_flags,
	       s->store_flags & PAGELAB_STORE_FILE ? "file" : "module");
}

/* Has @s had page replacement: a budget now, or counters from one? */
static bool stat_replaced(const struct pagelab_obj_stat *s)
{
	return s->budget || s->misses || s->evictions || s->store_pages || s->store_flags ||
	       s->major;
}

static void stat_rp_header(void)
{
	printf("%6s %6s %-6s %8s %8s %8s %8s %8s %7s %7s %8s %7s %6s %7s %-6s\n",
	       "ID", "BUDGET", "POLICY", "MISSES", "PAGEINS", "EVICTS", "WRITTEN", "CLEAN",
	       "STORED", "INEXACT", "MAJOR", "IOWAITS", "IOERRS", "DELAYMS", "STORE");
}

static void stat_rp_row(const struct pagelab_obj_stat *s)
{
	printf("%6llu %6u %-6s %8llu %8llu %8llu %8llu %8llu %7llu %7llu %8llu %7llu %6llu "
	       "%7u %-6s\n",
	       (unsigned long long)s->id, s->budget, pl_policy_name(s->policy),
	       (unsigned long long)s->misses, (unsigned long long)s->page_ins,
	       (unsigned long long)s->evictions, (unsigned long long)s->writebacks,
	       (unsigned long long)s->clean_drops, (unsigned long long)s->store_pages,
	       (unsigned long long)s->inexact, (unsigned long long)s->major,
	       (unsigned long long)s->io_waits, (unsigned long long)s->io_errors,
	       s->pagein_delay_ms, s->store_flags & PAGELAB_STORE_FILE ? "file" : "module");
}

static void stat_rp_legend(void)
{
	printf("Page replacement: MISSES references that needed a frame; PAGEINS pages read\n"
	       "back from the store; EVICTS frames taken by the policy, WRITTEN of them\n"
	       "written to the store, CLEAN dropped (store copy current); STORED pages in\n"
	       "the store now; MAJOR faults the kernel counted as major; IOWAITS faults\n"
	       "that waited for the backing file's I/O, IOERRS its failed or short reads\n"
	       "and writes; DELAYMS the page-in delay; STORE module (its memory) or file.\n");
}

static void stat_header(void)
{
	printf("%6s %-16s %10s %8s %7s %5s %8s %8s %8s %7s %8s %7s %7s %6s %5s %5s %4s %4s\n",
	       "ID", "NAME", "SIZE", "RESIDENT", "MAPPERS", "FILES", "RFAULTS", "WFAULTS",
	       "ZEROMAPS", "ALLOCS", "EXISTING", "AROUND", "MKWRITE", "SIGBUS", "UID", "GID",
	       "MODE", "FAW");
}

static void stat_row(const struct pagelab_obj_stat *s)
{
	printf("%6llu %-16s %10llu %8llu %7llu %5llu %8llu %8llu %8llu %7llu %8llu %7llu "
	       "%7llu %6llu %5u %5u %04o %4u\n",
	       (unsigned long long)s->id, s->name[0] ? s->name : "-",
	       (unsigned long long)s->size, (unsigned long long)s->resident,
	       (unsigned long long)s->mappers, (unsigned long long)s->files,
	       (unsigned long long)s->faults_read, (unsigned long long)s->faults_write,
	       (unsigned long long)s->zero_maps, (unsigned long long)s->allocs,
	       (unsigned long long)s->existing, (unsigned long long)s->fault_around,
	       (unsigned long long)s->mkwrite, (unsigned long long)s->sigbus, s->uid, s->gid,
	       s->mode, s->fault_around_pages);
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
		if (stat_replaced(s)) {
			struct pagelab_obj_stat *rp = realloc(o->rp, (o->nrp + 1) * sizeof(*rp));

			if (rp) {
				o->rp = rp;
				o->rp[o->nrp++] = *s;
			} else {
				o->oom = true;
			}
		}
	}
	o->n++;
	return 0;
}

static int stat_all(bool json)
{
	struct stat_out o = { .json = json };
	int ret;

	ret = pl_debugfs_objects(stat_each, &o);
	if (json && (o.n || !ret))
		printf("%s]\n", o.n ? "\n" : "[");
	if (ret) {
		fflush(stdout);
		pl_err("stat: reading %s/objects: %s%s", PAGELAB_DEBUGFS, strerror(-ret),
		       ret == -ENOENT ? " (is debugfs mounted and the module loaded?)" :
		       ret == -EACCES ? " (debugfs is root's)" : "");
		return PL_EXIT_FAIL;
	}
	if (!json && !o.n)
		printf("no live objects\n");
	else if (!json)
		printf("\nSIZE in bytes; RESIDENT pages held; AROUND pages mapped by fault-around;\n"
		       "FAW the fault-around window in pages.\n");
	if (o.nrp) {
		printf("\n");
		stat_rp_header();
		for (int i = 0; i < o.nrp; i++)
			stat_rp_row(&o.rp[i]);
		printf("\n");
		stat_rp_legend();
	}
	free(o.rp);
	if (o.oom) {
		pl_err("stat: out of memory: the page replacement table is incomplete");
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
		       "(PAGELAB_IOC_OBJ_STAT).  Objects with a frame budget (or counters\n"
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
