// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab version - the tool's ABI, the module's, and whether they agree.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

int cmd_version(int argc, char **argv)
{
	struct pagelab_version v;
	int fd, ret;

	if (pl_wants_help(argc, argv)) {
		printf("usage: pagelab version\n\n"
		       "Print the tool's ABI version, the module's release and ABI,\n"
		       "and the kernel it runs on.  Fails if the ABIs are incompatible.\n");
		return PL_EXIT_OK;
	}
	if (argc > 1) {
		pl_err("version takes no arguments (see pagelab version --help)");
		return PL_EXIT_USAGE;
	}
	printf("tool ABI:    %d.%d\n", PAGELAB_ABI_MAJOR, PAGELAB_ABI_MINOR);
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	ret = pl_version(fd, &v);
	close(fd);
	if (ret) {
		pl_err("PAGELAB_IOC_VERSION failed: %s", pl_open_hint(ret));
		return PL_EXIT_FAIL;
	}
	printf("module:      pagelab %s, ABI %u.%u\n", v.release, v.abi_major, v.abi_minor);
	printf("kernel:      %s\n", v.kernel);
	/* ABI 1.5: what the running kernel does with pagelab's faults. */
	if (v.abi_minor >= 5 || v.abi_major > 1) {
		printf("faults:      %s\n", v.features & PAGELAB_FEAT_VMA_LOCK ?
		       "under the VMA's own lock (per-VMA locks), mmap_lock only on retry" :
		       "under mmap_lock (read)");
		printf("zero page:   %s\n", v.features & PAGELAB_FEAT_SHARED_ZERO ?
		       "mapped for reads of never-written pages in every mapping" :
		       "refused in writable shared mappings (a read gets a zeroed frame); "
		       "private and read-only mappings still map it");
	}
	/* ABI 1.6: page tables freed by RCU. */
	if (v.abi_minor >= 6 || v.abi_major > 1)
		printf("page tables: %s\n", v.features & PAGELAB_FEAT_RCU_PTE ?
		       "a PTE table may be freed under mmap_lock read-held (RCU-deferred); "
		       "walks re-check the PMD" :
		       "freed only under mmap_lock held for writing");
	if (v.abi_major != PAGELAB_ABI_MAJOR) {
		pl_err("module ABI %u.x does not match this tool's %d.x: rebuild one of them",
		       v.abi_major, PAGELAB_ABI_MAJOR);
		return PL_EXIT_FAIL;
	}
	return PL_EXIT_OK;
}
