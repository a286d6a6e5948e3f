/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - a free-list allocator to teach with (pagelab heap): first,
 * best, worst and next fit over a free list kept in one of five orders,
 * with or without coalescing, headers and size alignment; the semantics of
 * OSTEP's vm-freespace simulator (malloc.py), whose answers it gives.
 */
#ifndef PL_HEAP_H
#define PL_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pl_heap_policy { PL_HEAP_BEST, PL_HEAP_WORST, PL_HEAP_FIRST, PL_HEAP_NEXT };
enum pl_heap_order {
	PL_HEAP_ADDRSORT, PL_HEAP_SIZESORT_UP, PL_HEAP_SIZESORT_DOWN, PL_HEAP_INSERT_FRONT,
	PL_HEAP_INSERT_BACK,
};

/* A block: free (in the free list) or allocated (with the size asked for). */
struct pl_heap_blk {
	long addr;
	long size;	/* header and alignment included */
	long asked;	/* allocated blocks: the size the caller asked for */
};

struct pl_heap {
	long size, base, header, align;	/* align -1: none */
	enum pl_heap_policy policy;
	enum pl_heap_order order;
	bool coalesce;
	struct pl_heap_blk *free;	/* in list order */
	size_t nfree, capfree;
	struct pl_heap_blk *used;	/* allocated, by allocation order */
	size_t nused, capused;
	long rover;			/* next fit: the address the next search starts at */
};

/* Names as malloc.py spells them ("BEST", "SIZESORT+", ...); -1 if unknown. */
int pl_heap_policy_parse(const char *s);
int pl_heap_order_parse(const char *s);
const char *pl_heap_policy_name(enum pl_heap_policy p);
const char *pl_heap_order_name(enum pl_heap_order o);

/* A heap of @size units at @base, all free.  0 or -ENOMEM. */
int pl_heap_init(struct pl_heap *h, long size, long base, long header, long align,
		 enum pl_heap_policy policy, enum pl_heap_order order, bool coalesce);
void pl_heap_fini(struct pl_heap *h);

/*
 * Allocate @size units: the block's address (its header first), or -1 if
 * no free block fits; *@searched: the free-list elements looked at.
 */
long pl_heap_malloc(struct pl_heap *h, long size, int *searched);

/* Free the block at @addr (a block's address, header first): 0, or -1 if none. */
int pl_heap_free(struct pl_heap *h, long addr);

/*
 * Fragmentation now.  Internal: allocated units beyond what was asked
 * (headers, alignment).  External for requests of @n units: free units in
 * blocks smaller than @n, which no such request can use.
 */
struct pl_heap_frag {
	long allocated, asked, headers, internal;
	long free, largest, blocks, external;
};
void pl_heap_frag(const struct pl_heap *h, long n, struct pl_heap_frag *f);

/*
 * Python's random module as malloc.py uses it: MT19937 seeded from an
 * integer (init_by_array over its 32-bit words) and random(), 53 bits.
 */
struct pl_mt {
	uint32_t mt[624];
	int mti;
};

void pl_mt_seed(struct pl_mt *m, long long seed);
double pl_mt_random(struct pl_mt *m);

#endif /* PL_HEAP_H */
