// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab info - module-wide state and limits.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

/* The module-wide counters, from their one list, in its order. */
static const struct {
	const char *name;
	const char *label;
	size_t off;
} info_counters[] = {
#define PAGELAB_MODULE_COUNTER(field, label) \
	{ #field, label, offsetof(struct pagelab_info, field) },
#include "uapi/pagelab_module_counters.h"
#undef PAGELAB_MODULE_COUNTER
};

#define NCOUNTERS (sizeof(info_counters) / sizeof(info_counters[0]))

static unsigned long long info_counter(const struct pagelab_info *i, size_t k)
{
	return *(const __u64 *)((const char *)i + info_counters[k].off);
}

static void info_print_json(const struct pagelab_info *i)
{
	printf("{\"page_size\": %u, \"pgtable_levels\": %u, \"max_pages\": %llu, "
	       "\"max_object_pages\": %llu, \"max_store_pages\": %llu",
	       i->page_size, i->pgtable_levels, (unsigned long long)i->max_pages,
	       (unsigned long long)i->max_object_pages, (unsigned long long)i->max_store_pages);
	for (size_t k = 0; k < NCOUNTERS; k++)
		printf(", \"%s\": %llu", info_counters[k].name, info_counter(i, k));
	printf("}\n");
}

static void info_print_text(const struct pagelab_info *i)
{
	printf("page size:        %u bytes\n", i->page_size);
	printf("paging levels:    %u\n", i->pgtable_levels);
	printf("page cap:         %llu pages (%llu MiB)\n", (unsigned long long)i->max_pages,
	       (unsigned long long)i->max_pages * i->page_size >> 20);
	printf("object size cap:  %llu pages\n", (unsigned long long)i->max_object_pages);
	printf("store cap:        %llu pages (%llu MiB)\n",
	       (unsigned long long)i->max_store_pages,
	       (unsigned long long)i->max_store_pages * i->page_size >> 20);
	for (size_t k = 0; k < NCOUNTERS; k++)
		printf("%-17s %llu\n", info_counters[k].label, info_counter(i, k));
}

int cmd_info(int argc, char **argv)
{
	struct pagelab_info i;
	bool json = false;
	int fd, ret;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab info [--json]\n\n"
		       "Print the module's page size, paging depth, caps on pages held,\n"
		       "object size and the page store, and its counters: pages held,\n"
		       "allocated and freed, live objects, pages in the store.\n");
		return PL_EXIT_OK;
	}
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else {
			pl_err("info: unknown argument '%s' (see pagelab info --help)", argv[a]);
			return PL_EXIT_USAGE;
		}
	}
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	ret = pl_info(fd, &i);
	close(fd);
	if (ret) {
		pl_err("PAGELAB_IOC_INFO failed: %s", strerror(-ret));
		return PL_EXIT_FAIL;
	}
	if (json)
		info_print_json(&i);
	else
		info_print_text(&i);
	return PL_EXIT_OK;
}
