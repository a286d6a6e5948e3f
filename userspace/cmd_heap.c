// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab heap - malloc and free on a free list, OSTEP's vm-freespace
 * homework (malloc.py) answered: the same options, operations and output,
 * so an existing homework runs here and its answers can be checked.  Where
 * malloc.py is wrong this is right, and says so in a "note:" line (or, with
 * --as-malloc-py, prints what malloc.py prints).  Beyond it: next fit,
 * fragmentation per step (--frag, --plot), JSON, and --live: the heap on a
 * pagelab object's pages, showing which are resident after each step and
 * giving back the frames of pages a free leaves without an allocated byte.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "pagelab_lib.h"
#include "pl_heap.h"

#define HEAP_PS		4096L
#define HEAP_MAX_UNITS	(64L << 20)
#define HEAP_MAX_OPS	100000L

static void heap_usage(FILE *out)
{
	fprintf(out,
		"usage: pagelab heap [-s SEED] [-S SIZE] [-b BASE] [-H HEADER] [-a ALIGN]\n"
		"                    [-p BEST|WORST|FIRST|NEXT] [-l ADDRSORT|SIZESORT+|\n"
		"                    SIZESORT-|INSERT-FRONT|INSERT-BACK] [-C] [-n OPS]\n"
		"                    [-r RANGE] [-P PERCENT] [-A +N,-I,...] [-c]\n"
		"                    [--frag] [--frag-size N] [--json] [--plot FILE.svg]\n"
		"                    [--live [--unit BYTES]] [--as-malloc-py]\n\n"
		"A free-list allocator, OSTEP's vm-freespace simulator (malloc.py): the\n"
		"same options (long ones too: --seed, --size, --baseAddr, --headerSize,\n"
		"--alignment, --policy, --listOrder, --coalesce, --numOps, --range,\n"
		"--percentAlloc, --allocList, --compute), the same random operations for\n"
		"a seed, and the same output: each Alloc's pointer and the free-list\n"
		"elements it searched, each Free's result, the free list after each step\n"
		"(with -c; else '?' for you to work out).  -A gives the operations:\n"
		"+N allocates N units, -I frees ptr[I].  A request is rounded up to the\n"
		"alignment (the size, not the address), then the header is added.\n\n"
		"Where malloc.py is wrong, a 'note:' line says so and this prints the\n"
		"right answer: the pointer after the header in -A mode (malloc.py leaves\n"
		"the header out there), -1 for a failed Alloc with a header (malloc.py\n"
		"prints -1 + header), a free of ptr[I] after a failed Alloc (malloc.py\n"
		"skips frees with I >= the number of Allocs that succeeded, and stops on\n"
		"a free of the failed one).  --as-malloc-py prints what malloc.py\n"
		"prints instead, to check an existing answer key.  Coalescing is\n"
		"malloc.py's: each free-list element joins the next one in the list if\n"
		"they touch, so under a size or insertion order neighbours in memory\n"
		"may stay apart (a note counts them).\n\n"
		"Beyond malloc.py: -p NEXT (next fit: the search starts where the last\n"
		"one stopped and wraps around).  --frag: after each step, internal\n"
		"fragmentation (units allocated beyond what was asked: headers and\n"
		"alignment) and external (free units in blocks smaller than N, default\n"
		"the range -r, that no request of N units can use).  --plot FILE.svg\n"
		"draws both over the steps with gnuplot.  --json: the steps as JSON.\n"
		"--live: the heap lives on a pagelab object, one unit = BYTES bytes\n"
		"(default 64): each Alloc writes its header and data, each step shows\n"
		"the object's resident pages, and a Free gives back the frames of pages\n"
		"left without an allocated byte (zeroed, then dropped by the module's\n"
		"merge, as free() gives memory back to the kernel).  Needs the module.\n"
		"Exit status: 0 done, 1 a failure, 2 bad usage.\n");
}

struct heap_opts {
	long long seed;
	long size, base, header, align, nops, range, percent, frag_n, unit;
	int policy, order;
	bool coalesce, compute, frag, json, live, as_py;
	const char *ops, *plot;
	const char *policy_s, *order_s;
};

/* A whole decimal number in [lo, hi], or false. */
static bool num(const char *s, long long lo, long long hi, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return s[0] && !*end && !errno && *v >= lo && *v <= hi;
}

/* The numeric options: letter, field, and the values each takes. */
static const struct {
	char c;
	size_t off;
	long long lo, hi;
} heap_nums[] = {
	{ 'S', offsetof(struct heap_opts, size), 1, HEAP_MAX_UNITS },
	{ 'b', offsetof(struct heap_opts, base), 0, 1LL << 48 },
	{ 'H', offsetof(struct heap_opts, header), 0, HEAP_MAX_UNITS },
	{ 'a', offsetof(struct heap_opts, align), -1, HEAP_MAX_UNITS },	/* not 0 */
	{ 'n', offsetof(struct heap_opts, nops), 0, HEAP_MAX_OPS },
	{ 'r', offsetof(struct heap_opts, range), 0, HEAP_MAX_UNITS },
	{ 'P', offsetof(struct heap_opts, percent), 0, HEAP_MAX_UNITS },
	{ 'F', offsetof(struct heap_opts, frag_n), 0, HEAP_MAX_UNITS },
	{ 'u', offsetof(struct heap_opts, unit), 1, HEAP_MAX_UNITS },
};

/* One option with its value: 0, or PL_EXIT_USAGE (said why). */
static int heap_opt(struct heap_opts *o, char c, const char *v)
{
	long long n;

	for (size_t i = 0; i < sizeof(heap_nums) / sizeof(heap_nums[0]); i++) {
		if (heap_nums[i].c != c)
			continue;
		if (!num(v, heap_nums[i].lo, heap_nums[i].hi, &n) || (c == 'a' && n == 0))
			goto bad;
		*(long *)((char *)o + heap_nums[i].off) = (long)n;
		return 0;
	}
	switch (c) {
	case 's':
		if (!num(v, -(1LL << 62), 1LL << 62, &n))
			goto bad;
		o->seed = n;
		return 0;
	case 'p':
		o->policy_s = v;
		o->policy = pl_heap_policy_parse(v);
		if (o->policy < 0) {
			pl_err("heap: unknown policy '%s': BEST, WORST, FIRST or NEXT", v);
			return PL_EXIT_USAGE;
		}
		return 0;
	case 'l':
		o->order_s = v;
		o->order = pl_heap_order_parse(v);
		if (o->order < 0) {
			pl_err("heap: unknown list order '%s': ADDRSORT, SIZESORT+, SIZESORT-, "
			       "INSERT-FRONT or INSERT-BACK", v);
			return PL_EXIT_USAGE;
		}
		return 0;
	case 'A':
		o->ops = v;
		return 0;
	case 'G':
		o->plot = v;
		return 0;
	}
bad:
	pl_err("heap: bad value '%s' for -%c (see --help)", v, c);
	return PL_EXIT_USAGE;
}

/* The long options: name, the short letter it stands for, and whether it takes a value. */
static const struct {
	const char *name;
	char c;
	bool value;
} heap_longs[] = {
	{ "seed", 's', true }, { "size", 'S', true }, { "baseAddr", 'b', true },
	{ "headerSize", 'H', true }, { "alignment", 'a', true }, { "policy", 'p', true },
	{ "listOrder", 'l', true }, { "coalesce", 'C', false }, { "numOps", 'n', true },
	{ "range", 'r', true }, { "percentAlloc", 'P', true }, { "allocList", 'A', true },
	{ "compute", 'c', false }, { "frag", 'f', false }, { "frag-size", 'F', true },
	{ "json", 'j', false }, { "plot", 'G', true }, { "live", 'L', false },
	{ "unit", 'u', true }, { "as-malloc-py", 'M', false },
};

static void heap_flag(struct heap_opts *o, char c)
{
	*(c == 'C' ? &o->coalesce : c == 'c' ? &o->compute : c == 'f' ? &o->frag :
	  c == 'j' ? &o->json : c == 'L' ? &o->live : &o->as_py) = true;
}

/* optparse's forms: -s 5, -s5, -cC, --seed 5, --seed=5. */
static int heap_args(int argc, char **argv, struct heap_opts *o)
{
	const size_t nlongs = sizeof(heap_longs) / sizeof(heap_longs[0]);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--", 2)) {
			size_t len = strcspn(a + 2, "="), k;

			for (k = 0; k < nlongs; k++)
				if (strlen(heap_longs[k].name) == len &&
				    !strncmp(a + 2, heap_longs[k].name, len))
					break;
			if (k == nlongs || (!heap_longs[k].value && a[2 + len])) {
				pl_err("heap: unknown argument '%s' (see --help)", a);
				return PL_EXIT_USAGE;
			}
			if (!heap_longs[k].value) {
				heap_flag(o, heap_longs[k].c);
				continue;
			}
			if (!a[2 + len] && i + 1 == argc) {
				pl_err("heap: %s wants a value (see --help)", a);
				return PL_EXIT_USAGE;
			}
			if (heap_opt(o, heap_longs[k].c, a[2 + len] ? a + 3 + len : argv[++i]))
				return PL_EXIT_USAGE;
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			pl_err("heap: unknown argument '%s' (see --help)", a);
			return PL_EXIT_USAGE;
		}
		for (const char *p = a + 1; *p; p++) {
			if (*p == 'c' || *p == 'C') {
				heap_flag(o, *p);
				continue;
			}
			if (!strchr("sSbHapnlrPA", *p)) {
				pl_err("heap: unknown option -%c (see --help)", *p);
				return PL_EXIT_USAGE;
			}
			if (!p[1] && i + 1 == argc) {
				pl_err("heap: -%c wants a value (see --help)", *p);
				return PL_EXIT_USAGE;
			}
			if (heap_opt(o, *p, p[1] ? p + 1 : argv[++i]))
				return PL_EXIT_USAGE;
			break;
		}
	}
	if (o->percent <= 0) {
		pl_err("heap: -P (percent of operations that allocate) must be above 0");
		return PL_EXIT_USAGE;
	}
	for (const char *op = o->ops; op && *op;) {
		size_t len = strcspn(op, ",");
		char buf[32];
		long long n;

		snprintf(buf, sizeof(buf), "%.*s", (int)(len < 31 ? len : 31), op);
		if (len > 30 || (buf[0] != '+' && buf[0] != '-') ||
		    !num(buf + 1, buf[0] == '+' ? 1 : 0, HEAP_MAX_UNITS, &n)) {
			pl_err("heap: bad operation '%s' in -A: +SIZE (at least 1) or -INDEX", buf);
			return PL_EXIT_USAGE;
		}
		op += len + (op[len] == ',');
	}
	if (o->unit != 64 && !o->live) {
		pl_err("heap: --unit is for --live");
		return PL_EXIT_USAGE;
	}
	return 0;
}

/* ---- the heap on a pagelab object (--live) ------------------------------ */

struct heap_live {
	int dev, fd;
	__u64 id;
	unsigned char *m;
	const unsigned char *view;	/* a read-only attach's mapping: holes read the zero page */
	uint64_t zero_pfn;
	size_t npages;
	long unit;
	bool ok;
};

static int live_open(struct heap_live *l, const struct heap_opts *o)
{
	size_t bytes = (size_t)o->size * (size_t)o->unit;
	int ro;

	l->unit = o->unit;
	l->npages = (bytes + HEAP_PS - 1) / HEAP_PS;
	l->dev = pl_open_or_explain();
	if (l->dev < 0)
		return -1;
	if (pl_create(l->dev, l->npages * HEAP_PS, PAGELAB_CREATE_NO_FAULT_AROUND, 0600, "heap",
		      &l->fd, &l->id)) {
		pl_err("heap: creating the heap's object: %s", strerror(errno));
		return -1;
	}
	l->m = mmap(NULL, l->npages * HEAP_PS, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd, 0);
	if (l->m == MAP_FAILED) {
		pl_err("heap: mmap of the heap's object: %s", strerror(errno));
		return -1;
	}
	/*
	 * Which pages hold frames: read through a mapping that can never be
	 * written, where a page without a frame maps the zero page instead
	 * of getting one.
	 */
	if (pl_attach(l->dev, l->id, PAGELAB_ATTACH_RDONLY, &ro)) {
		pl_err("heap: a read-only attach of the heap's object: %s", strerror(errno));
		return -1;
	}
	l->view = mmap(NULL, l->npages * HEAP_PS, PROT_READ, MAP_SHARED, ro, 0);
	close(ro);
	if (l->view == MAP_FAILED || pl_zero_pfn(&l->zero_pfn)) {
		pl_err("heap: the read-only view of the heap: %s", strerror(errno));
		return -1;
	}
	l->ok = true;
	return 0;
}

static void live_close(struct heap_live *l)
{
	if (l->m && l->m != MAP_FAILED)
		munmap(l->m, l->npages * HEAP_PS);
	if (l->view && l->view != MAP_FAILED)
		munmap((void *)l->view, l->npages * HEAP_PS);
	if (l->fd > 0)
		close(l->fd);
	if (l->dev >= 0)
		close(l->dev);
}

/* An Alloc's block at @addr (@size units): its header, then its data, written. */
static void live_alloc(struct heap_live *l, const struct pl_heap *h, long addr, long size,
		       long index)
{
	size_t off = (size_t)(addr - h->base) * (size_t)l->unit;
	size_t hdr = (size_t)h->header * (size_t)l->unit, len = (size_t)size * (size_t)l->unit;

	/* Bytes that differ page to page: the merge finds no two pages alike. */
	memset(l->m + off, 0xee, hdr);
	for (size_t i = hdr; i < len; i++)
		l->m[off + i] = (unsigned char)(1 + ((off + i) / HEAP_PS * 31 + (size_t)index) % 251);
}

/*
 * A Free's block: zeroed; then the module's merge drops every page of the
 * object that is all zeros, the pages no allocated byte is on.
 */
static long live_free(struct heap_live *l, const struct pl_heap *h, long addr, long size)
{
	struct pagelab_merge mg;

	memset(l->m + (size_t)(addr - h->base) * (size_t)l->unit, 0, (size_t)size * (size_t)l->unit);
	if (pl_merge(l->dev, &l->id, 1, &mg)) {
		pl_err("heap: the module's merge: %s", strerror(errno));
		l->ok = false;
		return -1;
	}
	return (long)mg.zero;
}

/* The object's resident pages now, and a map of them in @map ('#' held, '.' not). */
static long live_resident(struct heap_live *l, char *map, size_t len)
{
	struct pagelab_obj_stat st;
	size_t n = 0;

	for (size_t i = 0; i < l->npages && n + 1 < len; i++) {
		const volatile unsigned char *p = l->view + i * HEAP_PS;
		uint64_t e = 0;

		(void)*p;
		if (pl_pagemap(0, (unsigned long)p, &e))
			e = 0;
		map[n++] = e >> 63 && (e & ((1ULL << 55) - 1)) != l->zero_pfn ? '#' : '.';
	}
	map[n] = '\0';
	if (pl_obj_stat(l->fd, 0, &st))
		return -1;
	return (long)st.resident;
}

/* ---- one run -------------------------------------------------------------- */

struct heap_run {
	const struct heap_opts *o;
	struct pl_heap h;
	struct heap_live live;
	FILE *plot;		/* the steps' fragmentation, for gnuplot */
	long step;
	bool notes_hdr;		/* the -A header note was printed */
	const char *jsep;
};

static void print_list(struct heap_run *r)
{
	const struct pl_heap *h = &r->h;

	if (!r->o->compute) {
		printf("List?%s\n", r->o->ops ? "" : " ");
		return;
	}
	printf("Free List [ Size %zu ]: ", h->nfree);
	for (size_t i = 0; i < h->nfree; i++)
		printf("[ addr:%ld sz:%ld ]", h->free[i].addr, h->free[i].size);
	printf("\n");
}

/* Free blocks that touch in memory but stay apart in the list (coalescing by list order). */
static long missed_joins(const struct pl_heap *h)
{
	long n = 0;

	for (size_t i = 0; i < h->nfree; i++)
		for (size_t j = 0; j < h->nfree; j++)
			n += h->free[i].addr + h->free[i].size == h->free[j].addr;
	return n;
}

/* After a step: the list, and what --frag, --live, --plot and --json add. */
static void after_step(struct heap_run *r, char kind, long index, long size, long ptr, int found,
		       int rc)
{
	const struct heap_opts *o = r->o;
	struct pl_heap_frag f;
	char map[512] = "";
	long resident = -1;

	pl_heap_frag(&r->h, o->frag_n, &f);
	if (o->live && r->live.ok)
		resident = live_resident(&r->live, map, sizeof(map));
	if (o->json) {
		printf("%s{\"step\":%ld,\"op\":\"%s\",\"index\":%ld", r->jsep, r->step,
		       kind == '+' ? "alloc" : "free", index);
		if (kind == '+')
			printf(",\"size\":%ld,\"ptr\":%ld,\"searched\":%d", size, ptr, found);
		else
			printf(",\"returned\":%d", rc);
		printf(",\"free_list\":[");
		for (size_t i = 0; i < r->h.nfree; i++)
			printf("%s[%ld,%ld]", i ? "," : "", r->h.free[i].addr, r->h.free[i].size);
		printf("],\"internal\":%ld,\"external\":%ld,\"free\":%ld,\"largest\":%ld",
		       f.internal, f.external, f.free, f.largest);
		if (resident >= 0)
			printf(",\"resident_pages\":%ld,\"pages\":\"%s\"", resident, map);
		printf("}");
		r->jsep = ",";
	} else {
		print_list(r);
		if (o->coalesce && o->compute && !o->as_py && o->order != PL_HEAP_ADDRSORT &&
		    missed_joins(&r->h))
			printf("note: %ld pair(s) of free blocks touch in memory but are not "
			       "joined: malloc.py's coalescing joins neighbours in list order only\n",
			       missed_joins(&r->h));
		if (o->frag)
			printf("frag: internal %ld of %ld allocated (headers %ld); external %ld of "
			       "%ld free in blocks under %ld; largest free %ld\n", f.internal,
			       f.allocated, f.headers, f.external, f.free, o->frag_n, f.largest);
		if (resident >= 0)
			printf("pages: [%s] %ld of %zu resident\n", map, resident, r->live.npages);
		printf("\n");
	}
	if (r->plot)
		fprintf(r->plot, "%ld %ld %ld %ld\n", r->step, f.internal, f.external, f.free);
	r->step++;
}

static void do_alloc(struct heap_run *r, long c, long size, bool random_mode)
{
	const struct heap_opts *o = r->o;
	int searched;
	long ptr = pl_heap_malloc(&r->h, size, &searched);
	/* The address the caller gets: after the header. */
	long user = ptr < 0 ? -1 : ptr + o->header;
	/* What malloc.py prints: ptr + header in random mode, even for -1; ptr in -A mode. */
	long py = random_mode ? ptr + o->header : ptr;

	if (!o->json) {
		printf("ptr[%ld] = Alloc(%ld)", c, size);
		if (o->compute)
			printf(" returned %ld (searched %d elements)\n", o->as_py ? py : user,
			       searched);
		else
			printf(" returned ?\n");
		if (o->compute && !o->as_py && py != user)
			printf("note: malloc.py prints %ld: %s\n", py, random_mode ?
			       "it adds the header to a failed Alloc's -1" :
			       "in -A mode it leaves the header out of the pointer");
	}
	if (ptr >= 0 && o->live && r->live.ok)
		live_alloc(&r->live, &r->h, ptr, r->h.used[r->h.nused - 1].size, c);
	after_step(r, '+', c, size, user, searched, 0);
}

static void do_free(struct heap_run *r, long index, long block)
{
	const struct heap_opts *o = r->o;
	long size = 0;
	int rc;

	for (size_t i = 0; i < r->h.nused; i++)
		if (r->h.used[i].addr == block)
			size = r->h.used[i].size;
	rc = pl_heap_free(&r->h, block);
	if (!o->json) {
		printf("Free(ptr[%ld])\n", index);
		printf("returned %s\n", o->compute ? (rc ? "-1" : "0") : "?");
	}
	if (!rc && o->live && r->live.ok)
		live_free(&r->live, &r->h, block, size);
	after_step(r, '-', index, 0, 0, 0, rc);
}

/* malloc.py's random operations for the seed. */
static int run_random(struct heap_run *r)
{
	const struct heap_opts *o = r->o;
	double percent = (double)o->percent / 100.0;
	long *ptrs = calloc((size_t)o->nops + 1, sizeof(long)), *live = NULL;
	size_t nlive = 0;
	struct pl_mt mt;
	long c = 0;

	live = calloc((size_t)o->nops + 1, sizeof(long));
	if (!ptrs || !live) {
		free(ptrs);
		free(live);
		pl_err("heap: out of memory");
		return PL_EXIT_FAIL;
	}
	pl_mt_seed(&mt, o->seed);
	for (long j = 0; j < o->nops;) {
		if (pl_mt_random(&mt) < percent) {
			long size = (long)(pl_mt_random(&mt) * (double)o->range) + 1;
			size_t before = r->h.nused;

			do_alloc(r, c, size, true);
			if (r->h.nused > before) {
				ptrs[c] = r->h.used[r->h.nused - 1].addr;
				live[nlive++] = c;
			}
			c++;
			j++;
		} else if (nlive) {
			size_t d = (size_t)(pl_mt_random(&mt) * (double)nlive);
			long idx = live[d];

			do_free(r, idx, ptrs[idx]);
			memmove(live + d, live + d + 1, (nlive - d - 1) * sizeof(*live));
			nlive--;
			j++;
		}
	}
	free(ptrs);
	free(live);
	return PL_EXIT_OK;
}

/* The -A list: "+N" allocates N units, "-I" frees ptr[I]. */
static int run_list(struct heap_run *r)
{
	const struct heap_opts *o = r->o;
	size_t cap = strlen(o->ops) + 2;
	long *ptrs = calloc(cap, sizeof(long)), c = 0, ok_allocs = 0;
	char *list = strdup(o->ops), *save = NULL, *op;
	int ret = PL_EXIT_OK;

	if (!ptrs || !list) {
		pl_err("heap: out of memory");
		ret = PL_EXIT_FAIL;
		goto out;
	}
	for (op = strtok_r(list, ",", &save); op; op = strtok_r(NULL, ",", &save)) {
		long long n;

		if ((op[0] != '+' && op[0] != '-') ||
		    !num(op + 1, op[0] == '+' ? 1 : 0, HEAP_MAX_UNITS, &n)) {
			pl_err("heap: bad operation '%s' in -A: +SIZE (at least 1) or -INDEX", op);
			ret = PL_EXIT_USAGE;
			goto out;
		}
		if (op[0] == '+') {
			size_t before = r->h.nused;

			do_alloc(r, c, (long)n, false);
			ptrs[c] = r->h.nused > before ? r->h.used[r->h.nused - 1].addr : -1;
			ok_allocs += ptrs[c] >= 0;
			c++;
			continue;
		}
		/* malloc.py compares the index with the Allocs that succeeded. */
		if (n >= (o->as_py ? ok_allocs : c)) {
			if (!o->json)
				printf("Invalid Free: Skipping\n");
			continue;
		}
		if (o->as_py && ptrs[n] < 0) {
			if (!o->json)
				printf("Free(ptr[%lld])\n", n);
			fflush(stdout);
			pl_err("heap: malloc.py stops here (KeyError: ptr[%lld] failed to allocate)",
			       n);
			ret = PL_EXIT_FAIL;
			goto out;
		}
		if (!o->json && !o->as_py && n >= ok_allocs)
			printf("note: malloc.py skips this free (it compares %lld with the %ld "
			       "Allocs that succeeded)\n", n, ok_allocs);
		if (!o->json && !o->as_py && ptrs[n] < 0)
			printf("note: ptr[%lld] is NULL (its Alloc failed): nothing to free; "
			       "malloc.py stops here with a KeyError\n", n);
		do_free(r, (long)n, ptrs[n]);
	}
out:
	free(ptrs);
	free(list);
	return ret;
}

static void print_header(const struct heap_opts *o)
{
	printf("seed %lld\nsize %ld\nbaseAddr %ld\nheaderSize %ld\nalignment %ld\n", o->seed,
	       o->size, o->base, o->header, o->align);
	printf("policy %s\nlistOrder %s\ncoalesce %s\n", o->policy_s, o->order_s,
	       o->coalesce ? "True" : "False");
	printf("numOps %ld\nrange %ld\npercentAlloc %ld\nallocList %s\ncompute %s\n\n", o->nops,
	       o->range, o->percent, o->ops ? o->ops : "", o->compute ? "True" : "False");
}

/* gnuplot draws the fragmentation the steps wrote to @data into @svg. */
static int heap_plot(const char *data, const char *svg)
{
	char cmd[1024];
	int st;

	if (snprintf(cmd, sizeof(cmd), "gnuplot -e \"set terminal svg size 800,400; "
		     "set output '%s'; set xlabel 'step'; set ylabel 'units'; "
		     "plot '%s' using 1:2 with steps title 'internal', "
		     "'' using 1:3 with steps title 'external', "
		     "'' using 1:4 with steps title 'free'\" 2>&1", svg, data) >= (int)sizeof(cmd) ||
	    strpbrk(svg, "'\"\\$`")) {
		pl_err("heap: --plot: the file name is too long or has quotes in it");
		return PL_EXIT_USAGE;
	}
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		pl_err("heap: --plot needs gnuplot (apt-get install gnuplot-nox): %s",
		       st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "not found" :
		       "it failed");
		return PL_EXIT_FAIL;
	}
	return PL_EXIT_OK;
}

/**
 * cmd_heap() - pagelab heap: see heap_usage()
 * @argc: argument count
 * @argv: arguments (argv[0] is "heap")
 *
 * Return: a PL_EXIT_* status.
 */
int cmd_heap(int argc, char **argv)
{
	struct heap_opts o = {
		.size = 100, .base = 1000, .align = -1, .nops = 10, .range = 10, .percent = 50,
		.unit = 64, .policy = PL_HEAP_BEST, .order = PL_HEAP_ADDRSORT,
		.policy_s = "BEST", .order_s = "ADDRSORT", .frag_n = -1,
	};
	struct heap_run r = { .o = &o, .live = { .dev = -1, .fd = -1 }, .jsep = "" };
	char data[] = "/tmp/pagelab-heap-XXXXXX";
	int ret, dfd = -1;

	if (pl_wants_help(argc, argv)) {
		heap_usage(stdout);
		return PL_EXIT_OK;
	}
	ret = heap_args(argc, argv, &o);
	if (ret)
		return ret;
	if (o.frag_n < 0)
		o.frag_n = o.range;
	if (o.live && (size_t)o.size * (size_t)o.unit > (size_t)1 << 30) {
		pl_err("heap: --live: SIZE x --unit is over 1 GiB");
		return PL_EXIT_USAGE;
	}
	if (pl_heap_init(&r.h, o.size, o.base, o.header, o.align, o.policy, o.order,
			 o.coalesce)) {
		pl_err("heap: out of memory");
		return PL_EXIT_FAIL;
	}
	if (o.live && live_open(&r.live, &o)) {
		ret = PL_EXIT_FAIL;
		goto out;
	}
	if (o.plot) {
		dfd = mkstemp(data);
		r.plot = dfd >= 0 ? fdopen(dfd, "w") : NULL;
		if (!r.plot) {
			pl_err("heap: --plot: a temporary file: %s", strerror(errno));
			ret = PL_EXIT_FAIL;
			goto out;
		}
	}
	if (o.json)
		printf("{\"policy\":\"%s\",\"list_order\":\"%s\",\"size\":%ld,\"base\":%ld,"
		       "\"header\":%ld,\"alignment\":%ld,\"coalesce\":%s,\"frag_size\":%ld,"
		       "\"steps\":[", pl_heap_policy_name(o.policy), pl_heap_order_name(o.order),
		       o.size, o.base, o.header, o.align, o.coalesce ? "true" : "false", o.frag_n);
	else
		print_header(&o);
	ret = o.ops ? run_list(&r) : run_random(&r);
	if (o.json)
		printf("]}\n");
	if (!ret && o.live && !r.live.ok)
		ret = PL_EXIT_FAIL;
	if (r.plot) {
		fclose(r.plot);
		r.plot = NULL;
		if (!ret)
			ret = heap_plot(data, o.plot);
	}
out:
	if (dfd >= 0)
		unlink(data);
	live_close(&r.live);
	pl_heap_fini(&r.h);
	return ret;
}
