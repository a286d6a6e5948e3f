// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab tour - a guided, live walk through what pagelab shows.  Each
 * capability adds a stop; every number printed is read from the running
 * kernel at that moment.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

static void tour_heading(int n, const char *title)
{
	printf("\n== %d. %s ==\n", n, title);
}

static void tour_debugfs(void)
{
	DIR *d = opendir(PAGELAB_DEBUGFS);
	struct dirent *e;

	if (!d) {
		printf("  (debugfs not mounted at /sys/kernel/debug)\n");
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf("  %s/%s\n", PAGELAB_DEBUGFS, e->d_name);
	closedir(d);
}

int cmd_tour(int argc, char **argv)
{
	struct pagelab_version v;
	struct pagelab_info i;
	struct stat st;
	int fd, ret;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab tour\n\n"
		       "Walk through what pagelab offers on this kernel, live:\n"
		       "the device, the module, the machine's paging, the debugfs files.\n");
		return PL_EXIT_OK;
	}
	if (argc > 1) {
		pl_err("tour takes no arguments (see pagelab tour --help)");
		return PL_EXIT_USAGE;
	}

	printf("pagelab tour: virtual memory, watched live on this kernel.\n");
	tour_heading(1, "The device");
	if (stat(PAGELAB_DEVICE, &st)) {
		pl_err("%s", pl_open_hint(-ENOENT));
		return PL_EXIT_FAIL;
	}
	printf("  %s: character device %u:%u, mode %04o\n", PAGELAB_DEVICE,
	       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	ret = pl_version(fd, &v);
	if (!ret)
		ret = pl_info(fd, &i);
	close(fd);
	if (ret) {
		pl_err("ioctl on %s failed: %s", PAGELAB_DEVICE, strerror(-ret));
		return PL_EXIT_FAIL;
	}

	tour_heading(2, "The module");
	printf("  pagelab %s, ABI %u.%u (this tool: %d.%d)%s\n", v.release, v.abi_major,
	       v.abi_minor, PAGELAB_ABI_MAJOR, PAGELAB_ABI_MINOR,
	       v.abi_major == PAGELAB_ABI_MAJOR ? "" : "  ** ABI MISMATCH **");
	printf("  running on Linux %s\n", v.kernel);
	printf("  offers:%s%s\n", v.features & PAGELAB_FEAT_DEVICE ? " device+ioctls" : "",
	       v.features & PAGELAB_FEAT_DEBUGFS ? " debugfs" : "");

	tour_heading(3, "This machine's paging");
	printf("  page size %u bytes; %u-level page tables (%s)\n", i.page_size,
	       i.pgtable_levels,
	       i.pgtable_levels == 5 ? "PGD -> P4D -> PUD -> PMD -> PTE, 57-bit addresses"
				     : "PGD -> PUD -> PMD -> PTE, 48-bit addresses; P4D folded");
	printf("  pagelab may hold at most %llu pages (%llu MiB); it holds %llu now\n",
	       (unsigned long long)i.max_pages,
	       (unsigned long long)i.max_pages * i.page_size >> 20,
	       (unsigned long long)i.pages_held);

	tour_heading(4, "What debugfs shows");
	tour_debugfs();
	printf("\nEnd of tour.\n");
	return v.abi_major == PAGELAB_ABI_MAJOR ? PL_EXIT_OK : PL_EXIT_FAIL;
}
