// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab slab - a slab cache of your own, watched: the module makes a
 * cache of the chosen object size (PAGELAB_IOC_SLAB); objects are taken
 * and given back, each with the slab it lives in; the kernel's own view
 * (/sys/kernel/slab/NAME/ and /proc/slabinfo) is printed beside: objects
 * per slab, the bytes each object loses to rounding and alignment, full,
 * partial and empty slabs, and what shrinking gives back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"

static void slab_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab slab [--size BYTES] [--align A] [--objects K]\n\n"
		"A slab cache of your own, live.  The module creates a cache of objects\n"
		"of BYTES (default 200; 1..%d) aligned to A (default 0: the kernel's\n"
		"choice; a power of two up to %d), never merged with another cache.  Its\n"
		"/sys/kernel/slab entry gives the slot each object takes, the objects\n"
		"per slab and the slab's order: the bytes lost per object to rounding\n"
		"and alignment (internal fragmentation) and per slab.  Then K objects\n"
		"(default: three slabs' worth and one more) are taken, and each slab's\n"
		"objects counted by their addresses; every other one is given back\n"
		"(every slab partial: shrinking frees nothing), then all of one slab\n"
		"(an empty slab: shrinking gives it back); the cache's line in\n"
		"/proc/slabinfo after each step.  Root only.  Exit status: 0 shown,\n"
		"1 a step failed or did not show what it should, 2 bad usage.\n",
		PAGELAB_SLAB_MAX_SIZE, PAGELAB_SLAB_MAX_ALIGN);
}

/* The cache's /proc/slabinfo line, printed; false if there is none. */
static bool print_slabinfo(const char *name)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "re");
	size_t n = strlen(name);
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || line[n] != ' ')
			continue;
		printf("    /proc/slabinfo: %s", line);
		found = true;
	}
	fclose(f);
	return found;
}

struct slab_obj {
	uint64_t handle, pfn;
	uint32_t offset;
};

static int by_slab(const void *a, const void *b)
{
	const struct slab_obj *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn ? 1 : (x->offset > y->offset) -
								 (x->offset < y->offset);
}

/* Objects per slab among @o[0..@n-1] (sorted by slab), printed; the number of slabs. */
static int print_slabs(const struct slab_obj *o, int n, long long per, bool *ok)
{
	int slabs = 0;

	for (int i = 0; i < n;) {
		int j = i;

		while (j < n && o[j].pfn == o[i].pfn)
			j++;
		if (slabs < 8)
			printf("    slab at frame %#" PRIx64 ": %d of ours (offsets %u..%u)%s\n",
			       o[i].pfn, j - i, o[i].offset, o[j - 1].offset,
			       per > 0 && j - i == per ? ": full" : "");
		pl_check(ok, per <= 0 || j - i <= per, "a slab holds %d objects, over %lld",
			 j - i, per);
		slabs++;
		i = j;
	}
	if (slabs > 8)
		printf("    ... %d slabs in all\n", slabs);
	return slabs;
}

static int slab_run(int fd, unsigned int size, unsigned int align, int k)
{
	struct pagelab_slab s;
	struct slab_obj *o = NULL;
	long long slot, per, order, before;
	bool ok = true;
	int ret, n = 0, slabs;

	ret = pl_slab(fd, PAGELAB_SLAB_CREATE, size, align, 0, &s);
	if (ret) {
		pl_err("slab: creating the cache: %s", strerror(-ret));
		return PL_EXIT_FAIL;
	}
	slot = pl_slab_attr(s.name, "slab_size");
	per = pl_slab_attr(s.name, "objs_per_slab");
	order = pl_slab_attr(s.name, "order");
	printf("  cache %s: objects of %u bytes\n", s.name, size);
	if (slot > 0 && per > 0 && order >= 0)
		printf("    each in a slot of %lld bytes: %lld lost per object to rounding,\n"
		       "    alignment and metadata; %lld per slab of %lld page%s, %lld bytes of\n"
		       "    each slab unused\n", slot, slot - size, per, 1LL << order,
		       order ? "s" : "", (4096LL << order) - per * slot);
	else
		printf("    (no /sys/kernel/slab entry to read)\n");
	if (k <= 0)
		k = per > 0 ? (int)(3 * per + 1) : 64;
	if (k > PAGELAB_SLAB_MAX_OBJECTS)
		k = PAGELAB_SLAB_MAX_OBJECTS;
	o = calloc((size_t)k, sizeof(*o));
	if (!o) {
		pl_err("slab: out of memory");
		return PL_EXIT_FAIL;
	}
	before = pl_slab_attr(s.name, "slabs");
	printf("\n  %d objects taken:\n", k);
	for (; n < k; n++) {
		ret = pl_slab(fd, PAGELAB_SLAB_ALLOC, 0, 0, 0, &s);
		if (ret) {
			pl_err("slab: taking object %d: %s", n, strerror(-ret));
			ok = false;
			break;
		}
		o[n] = (struct slab_obj){ .handle = s.handle, .pfn = s.slab_pfn,
					  .offset = s.offset };
	}
	qsort(o, (size_t)n, sizeof(*o), by_slab);
	slabs = print_slabs(o, n, per, &ok);
	printf("    the kernel: %lld slabs (was %lld), %lld objects in use\n",
	       pl_slab_attr(s.name, "slabs"), before, pl_slab_attr(s.name, "objects"));
	print_slabinfo(s.name);
	pl_check(&ok, per <= 0 || slabs >= (n + per - 1) / per, "%d objects fit in %d slabs of %lld",
		 n, slabs, per);

	printf("\n  Every other object given back, then the cache shrunk:\n");
	for (int i = 0; i < n; i += 2)
		if (!pl_slab(fd, PAGELAB_SLAB_FREE, 0, 0, o[i].handle, &s))
			o[i].handle = 0;
	before = pl_slab_attr(s.name, "slabs");
	pl_slab(fd, PAGELAB_SLAB_SHRINK, 0, 0, 0, &s);
	printf("    the kernel: %lld slabs before the shrink, %lld after (every slab still\n"
	       "    holds objects: none can go), %lld partial\n", before,
	       pl_slab_attr(s.name, "slabs"), pl_slab_attr(s.name, "partial"));
	print_slabinfo(s.name);

	printf("\n  Every object of the first slab given back, then the cache shrunk:\n");
	for (int i = 0; i < n && o[i].pfn == o[0].pfn; i++)
		if (o[i].handle && !pl_slab(fd, PAGELAB_SLAB_FREE, 0, 0, o[i].handle, &s))
			o[i].handle = 0;
	before = pl_slab_attr(s.name, "slabs");
	pl_slab(fd, PAGELAB_SLAB_SHRINK, 0, 0, 0, &s);
	printf("    the kernel: %lld slabs before the shrink, %lld after\n", before,
	       pl_slab_attr(s.name, "slabs"));
	print_slabinfo(s.name);
	printf("  What you see: a slab is 2^order pages cut into equal slots; an object\n"
	       "  smaller than its slot wastes the difference, and the slab's tail that\n"
	       "  fits no slot is wasted too.  Freed objects leave holes that only\n"
	       "  objects of this cache can fill: a slab goes back to the page allocator\n"
	       "  only when all its objects are freed (a per-CPU slab is kept even then).\n");
	free(o);
	return ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}

/**
 * cmd_slab() - pagelab slab: see slab_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "slab")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_slab(int argc, char **argv)
{
	unsigned long long v;
	unsigned int size = 200, align = 0;
	struct pagelab_version ver;
	int k = 0, fd, ret;

	if (pl_wants_help(argc, argv)) {
		slab_usage(stdout);
		return PL_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		bool has = i + 1 < argc;

		if (!strcmp(argv[i], "--size") && has) {
			if (!pl_parse_addr(argv[++i], &v) || !v || v > PAGELAB_SLAB_MAX_SIZE) {
				pl_err("slab: --size wants 1..%d bytes, not '%s'",
				       PAGELAB_SLAB_MAX_SIZE, argv[i]);
				return PL_EXIT_USAGE;
			}
			size = (unsigned int)v;
		} else if (!strcmp(argv[i], "--align") && has) {
			if (!pl_parse_addr(argv[++i], &v) || v > PAGELAB_SLAB_MAX_ALIGN ||
			    (v & (v - 1))) {
				pl_err("slab: --align wants 0 or a power of two up to %d, not '%s'",
				       PAGELAB_SLAB_MAX_ALIGN, argv[i]);
				return PL_EXIT_USAGE;
			}
			align = (unsigned int)v;
		} else if (!strcmp(argv[i], "--objects") && has) {
			if (!pl_parse_addr(argv[++i], &v) || !v || v > PAGELAB_SLAB_MAX_OBJECTS) {
				pl_err("slab: --objects wants 1..%d, not '%s'",
				       PAGELAB_SLAB_MAX_OBJECTS, argv[i]);
				return PL_EXIT_USAGE;
			}
			k = (int)v;
		} else {
			pl_err("slab: unknown argument '%s' (see --help)", argv[i]);
			return PL_EXIT_USAGE;
		}
	}
	fd = pl_open_or_explain();
	if (fd < 0)
		return PL_EXIT_FAIL;
	if (pl_version(fd, &ver) || !(ver.features & PAGELAB_FEAT_SLAB)) {
		pl_err("slab: this module has no PAGELAB_IOC_SLAB (ABI 1.10 on)");
		close(fd);
		return PL_EXIT_FAIL;
	}
	ret = slab_run(fd, size, align, k);
	close(fd);
	return ret;
}
