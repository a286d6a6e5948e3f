// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab stat - the live objects and their fault counters: every object
 * from /sys/kernel/debug/pagelab/objects, or one by id through
 * PAGELAB_IOC_OBJ_STAT.
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
	       "\"store_pages\": %llu, \"inexact\": %llu}",
	       s->budget, s->policy, (unsigned long long)s->misses,
	       (unsigned long long)s->page_ins, (unsigned long long)s->evictions,
	       (unsigned long long)s->writebacks, (unsigned long long)s->clean_drops,
	       (unsigned long long)s->store_pages, (unsigned long long)s->inexact);
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
		       "(PAGELAB_IOC_OBJ_STAT).  --json: a JSON array (one object with ID).\n",
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
