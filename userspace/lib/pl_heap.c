// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - a free-list allocator to teach with: see pl_heap.h.
 *
 * The rules are those of OSTEP's vm-freespace simulator, so its homework
 * gives the same answers here: a request is rounded up to the alignment,
 * then the header is added; the search walks the free list in its order,
 * counting every element it looks at (first fit stops at the first that
 * fits; best and worst look at all); a split leaves the remainder where
 * the block was in the list; a free puts the block back by the list's
 * order (sorted lists are sorted again, stably); coalescing then joins
 * each element with the next one in the list when they touch.  Next fit,
 * which the simulator has not, is first fit starting from the free block
 * where the last allocation was carved (the one holding the address it
 * left off at, whatever frees did to the list since), wrapping around
 * once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pl_heap.h"

static const char *const policy_names[] = { "BEST", "WORST", "FIRST", "NEXT" };
static const char *const order_names[] = {
	"ADDRSORT", "SIZESORT+", "SIZESORT-", "INSERT-FRONT", "INSERT-BACK",
};

int pl_heap_policy_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(policy_names) / sizeof(policy_names[0])); i++)
		if (!strcmp(s, policy_names[i]))
			return i;
	return -1;
}

int pl_heap_order_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(order_names) / sizeof(order_names[0])); i++)
		if (!strcmp(s, order_names[i]))
			return i;
	return -1;
}

const char *pl_heap_policy_name(enum pl_heap_policy p)
{
	return policy_names[p];
}

const char *pl_heap_order_name(enum pl_heap_order o)
{
	return order_names[o];
}

/* Room for one more element in *@v (of *@cap). */
static int grow(struct pl_heap_blk **v, size_t n, size_t *cap)
{
	struct pl_heap_blk *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, (*cap ? 2 * *cap : 16) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = *cap ? 2 * *cap : 16;
	return 0;
}

int pl_heap_init(struct pl_heap *h, long size, long base, long header, long align,
		 enum pl_heap_policy policy, enum pl_heap_order order, bool coalesce)
{
	memset(h, 0, sizeof(*h));
	h->size = size;
	h->base = base;
	h->header = header;
	h->align = align;
	h->policy = policy;
	h->order = order;
	h->coalesce = coalesce;
	h->rover = -1;
	if (grow(&h->free, 0, &h->capfree))
		return -ENOMEM;
	h->free[h->nfree++] = (struct pl_heap_blk){ .addr = base, .size = size };
	return 0;
}

void pl_heap_fini(struct pl_heap *h)
{
	free(h->free);
	free(h->used);
	memset(h, 0, sizeof(*h));
}

static void remove_at(struct pl_heap_blk *v, size_t *n, size_t i)
{
	memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
	(*n)--;
}

long pl_heap_malloc(struct pl_heap *h, long size, int *searched)
{
	long best_size = h->policy == PL_HEAP_BEST ? h->size + 1 : -1, addr;
	size_t best = (size_t)-1, start = 0;
	long asked = size;
	int count = 0;

	if (h->align != -1 && size % h->align)
		size += h->align - size % h->align;
	size += h->header;
	for (size_t i = 0; h->policy == PL_HEAP_NEXT && i < h->nfree; i++)
		if (h->free[i].addr <= h->rover && h->rover < h->free[i].addr + h->free[i].size)
			start = i;
	for (size_t k = 0; k < h->nfree; k++) {
		size_t i = (start + k) % h->nfree;
		long esize = h->free[i].size;

		count++;
		if (esize < size)
			continue;
		if ((h->policy == PL_HEAP_BEST && esize < best_size) ||
		    (h->policy == PL_HEAP_WORST && esize > best_size) ||
		    h->policy == PL_HEAP_FIRST || h->policy == PL_HEAP_NEXT) {
			best = i;
			best_size = esize;
			if (h->policy == PL_HEAP_FIRST || h->policy == PL_HEAP_NEXT)
				break;
		}
	}
	*searched = count;
	if (best == (size_t)-1 || grow(&h->used, h->nused, &h->capused))
		return -1;
	addr = h->free[best].addr;
	if (best_size > size) {
		/* The remainder stays where the block was in the list. */
		h->free[best].addr += size;
		h->free[best].size -= size;
		h->rover = h->free[best].addr;
	} else {
		remove_at(h->free, &h->nfree, best);
		h->rover = best < h->nfree ? h->free[best].addr : -1;
	}
	h->used[h->nused++] = (struct pl_heap_blk){
		.addr = addr, .size = size, .asked = asked };
	return addr;
}

/* Stable insertion sort of the free list by address or size (up or down). */
static void sort_free(struct pl_heap *h)
{
	for (size_t i = 1; i < h->nfree; i++) {
		struct pl_heap_blk b = h->free[i];
		size_t j = i;

		while (j > 0) {
			const struct pl_heap_blk *a = &h->free[j - 1];
			bool after;

			if (h->order == PL_HEAP_ADDRSORT)
				after = a->addr > b.addr;
			else if (h->order == PL_HEAP_SIZESORT_UP)
				after = a->size > b.size;
			else
				after = a->size < b.size;
			if (!after)
				break;
			h->free[j] = h->free[j - 1];
			j--;
		}
		h->free[j] = b;
	}
}

/* Join each free-list element with the next one when they touch, in list order. */
static void coalesce_list(struct pl_heap *h)
{
	size_t n = 0;

	for (size_t i = 1; i < h->nfree; i++) {
		struct pl_heap_blk *cur = &h->free[n];

		if (h->free[i].addr == cur->addr + cur->size)
			cur->size += h->free[i].size;
		else
			h->free[++n] = h->free[i];
	}
	if (h->nfree)
		h->nfree = n + 1;
}

int pl_heap_free(struct pl_heap *h, long addr)
{
	struct pl_heap_blk b;
	size_t u;

	for (u = 0; u < h->nused; u++)
		if (h->used[u].addr == addr)
			break;
	if (u == h->nused || grow(&h->free, h->nfree, &h->capfree))
		return -1;
	b = (struct pl_heap_blk){ .addr = addr, .size = h->used[u].size };
	remove_at(h->used, &h->nused, u);
	if (h->order == PL_HEAP_INSERT_FRONT) {
		memmove(h->free + 1, h->free, h->nfree * sizeof(*h->free));
		h->free[0] = b;
		h->nfree++;
	} else {
		h->free[h->nfree++] = b;
		if (h->order != PL_HEAP_INSERT_BACK)
			sort_free(h);
	}
	if (h->coalesce)
		coalesce_list(h);
	return 0;
}

void pl_heap_frag(const struct pl_heap *h, long n, struct pl_heap_frag *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < h->nused; i++) {
		f->allocated += h->used[i].size;
		f->asked += h->used[i].asked;
		f->headers += h->header;
	}
	f->internal = f->allocated - f->asked;
	for (size_t i = 0; i < h->nfree; i++) {
		long s = h->free[i].size;

		f->free += s;
		f->blocks++;
		if (s > f->largest)
			f->largest = s;
		if (s < n)
			f->external += s;
	}
}

/* ---- Python's random: MT19937, seeded from an integer ------------------- */

static void mt_init(struct pl_mt *m, uint32_t s)
{
	m->mt[0] = s;
	for (int i = 1; i < 624; i++)
		m->mt[i] = 1812433253U * (m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) + (uint32_t)i;
	m->mti = 624;
}

/* init_by_array(), as Python seeds from an int: its 32-bit words, low first. */
void pl_mt_seed(struct pl_mt *m, long long seed)
{
	unsigned long long a = seed < 0 ? 0ULL - (unsigned long long)seed : (unsigned long long)seed;
	uint32_t key[2];
	int len = 0, i = 1, j = 0, k;

	do {
		key[len++] = (uint32_t)a;
		a >>= 32;
	} while (a);
	mt_init(m, 19650218U);
	for (k = 624 > len ? 624 : len; k; k--) {
		m->mt[i] = (m->mt[i] ^ ((m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) * 1664525U)) +
			   key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= 624) {
			m->mt[0] = m->mt[623];
			i = 1;
		}
		if (j >= len)
			j = 0;
	}
	for (k = 623; k; k--) {
		m->mt[i] = (m->mt[i] ^ ((m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) * 1566083941U)) -
			   (uint32_t)i;
		i++;
		if (i >= 624) {
			m->mt[0] = m->mt[623];
			i = 1;
		}
	}
	m->mt[0] = 0x80000000U;
}

static uint32_t mt_next(struct pl_mt *m)
{
	static const uint32_t mag01[2] = { 0, 0x9908b0dfU };
	uint32_t y;

	if (m->mti >= 624) {
		int kk;

		for (kk = 0; kk < 624 - 397; kk++) {
			y = (m->mt[kk] & 0x80000000U) | (m->mt[kk + 1] & 0x7fffffffU);
			m->mt[kk] = m->mt[kk + 397] ^ (y >> 1) ^ mag01[y & 1];
		}
		for (; kk < 623; kk++) {
			y = (m->mt[kk] & 0x80000000U) | (m->mt[kk + 1] & 0x7fffffffU);
			m->mt[kk] = m->mt[kk + 397 - 624] ^ (y >> 1) ^ mag01[y & 1];
		}
		y = (m->mt[623] & 0x80000000U) | (m->mt[0] & 0x7fffffffU);
		m->mt[623] = m->mt[396] ^ (y >> 1) ^ mag01[y & 1];
		m->mti = 0;
	}
	y = m->mt[m->mti++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

double pl_mt_random(struct pl_mt *m)
{
	uint32_t a = mt_next(m) >> 5, b = mt_next(m) >> 6;

	return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}
