// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab info - module-wide state and limits.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

int cmd_info(int argc, char **argv)
{
	struct pagelab_info i;
	bool json = false;
	int fd, ret;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab info [--json]\n\n"
		       "Print the module's page size, paging depth, page cap and\n"
		       "counters of pages held, allocated and freed, and live objects.\n");
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
	if (json) {
		printf("{\"page_size\": %u, \"pgtable_levels\": %u, \"max_pages\": %llu, "
		       "\"max_object_pages\": %llu, "
		       "\"pages_held\": %llu, \"pages_allocated\": %llu, "
		       "\"pages_freed\": %llu, \"objects\": %llu}\n",
		       i.page_size, i.pgtable_levels, (unsigned long long)i.max_pages,
		       (unsigned long long)i.max_object_pages, (unsigned long long)i.pages_held,
		       (unsigned long long)i.pages_allocated,
		       (unsigned long long)i.pages_freed, (unsigned long long)i.objects);
		return PL_EXIT_OK;
	}
	printf("page size:        %u bytes\n", i.page_size);
	printf("paging levels:    %u\n", i.pgtable_levels);
	printf("page cap:         %llu pages (%llu MiB)\n", (unsigned long long)i.max_pages,
	       (unsigned long long)i.max_pages * i.page_size >> 20);
	printf("object size cap:  %llu pages\n", (unsigned long long)i.max_object_pages);
	printf("pages held:       %llu\n", (unsigned long long)i.pages_held);
	printf("pages allocated:  %llu\n", (unsigned long long)i.pages_allocated);
	printf("pages freed:      %llu\n", (unsigned long long)i.pages_freed);
	printf("objects:          %llu\n", (unsigned long long)i.objects);
	return PL_EXIT_OK;
}
