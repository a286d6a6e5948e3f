// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab-fuzz: the data stamps, the object registry and the rules a read
 * is judged by (the comment at the top of fuzz.h says which and why).
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

int fz_slot_alloc(uint32_t npages, int parent, int creator)
{
	uint32_t slot = __atomic_fetch_add(&fz->next_slot, 1, __ATOMIC_SEQ_CST);
	struct fz_obj *o;

	if (slot >= FZ_SLOTS) {
		FZ_ADD(fz->registry_full, 1);
		return -1;
	}
	o = fz_obj(slot);
	o->npages = npages;
	o->parent = parent < 0 ? 0 : (uint32_t)parent + 1;
	o->creator = creator;
	return (int)slot;
}

int fz_slot_find(uint64_t id)
{
	uint32_t n = FZ_LD(fz->next_slot);

	if (!id)
		return -1;
	if (n > FZ_SLOTS)
		n = FZ_SLOTS;
	while (n--)
		if (FZ_LD(fz->reg[n].id) == id)
			return (int)n;
	return -1;
}

bool fz_owns(fz_proc *p, int slot, uint32_t page)
{
	return p->token >= 0 && ((uint32_t)slot + page) % (uint32_t)fz->nprocs == (uint32_t)p->token;
}

void fz_snap_begin(int slot, uint32_t page, struct fz_snap *s)
{
	struct fz_page *pg = &fz_obj(slot)->pg[page];

	s->d1 = FZ_LD(pg->done);
	s->g1 = FZ_LD(pg->gen);
	s->f1 = FZ_LD(pg->flags);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void fz_snap_end(int slot, uint32_t page, struct fz_snap *s)
{
	struct fz_page *pg = &fz_obj(slot)->pg[page];

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s->g2 = FZ_LD(pg->gen);
	s->f2 = FZ_LD(pg->flags);
}

uint32_t fz_stamp_begin(int slot, uint32_t page)
{
	struct fz_page *pg = &fz_obj(slot)->pg[page];
	uint32_t gen = FZ_LD(pg->gen) + 1;

	FZ_ST(pg->gen, gen);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return gen;
}

void fz_stamp_end(int slot, uint32_t page, uint32_t gen)
{
	struct fz_page *pg = &fz_obj(slot)->pg[page];

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	FZ_ST(pg->done, gen);
	/* Whole: no longer what a clone source left here. */
	__atomic_fetch_and(&pg->flags, ~(FZ_PG_INH | FZ_PG_EXACT), __ATOMIC_SEQ_CST);
}

void fz_fill(uint64_t *dst, uint32_t tag, uint32_t page, uint32_t gen)
{
	for (unsigned int k = 0; k < FZ_WORDS; k++)
		dst[k] = fz_word(tag, page, gen, k);
}

/* ---- judging words -------------------------------------------------------- */

static bool fz_word_valid(uint64_t w)
{
	return fz_chk(w & ~0x7fULL) == (w & 0x7f);
}

/* "tag 5 (object 17) page 3 gen 9 word 12", "zero", "garbage 0x..." */
static int fz_word_str(uint64_t w, char *buf, size_t len)
{
	unsigned int tag = w >> 48;

	if (!w)
		return snprintf(buf, len, "zero");
	if (!fz_word_valid(w))
		return snprintf(buf, len, "garbage 0x%016llx", (unsigned long long)w);
	if (tag == FZ_PRIV_TAG)
		return snprintf(buf, len, "private page %u gen %u word %u",
				(unsigned int)(w >> 40) & 0xff, (unsigned int)(w >> 16) & 0xffffff,
				(unsigned int)(w >> 7) & 0x1ff);
	return snprintf(buf, len, "tag %u (object %llu) page %u gen %u word %u", tag,
			tag && tag <= FZ_SLOTS ? (unsigned long long)FZ_LD(fz->reg[tag - 1].id) : 0ULL,
			(unsigned int)(w >> 40) & 0xff, (unsigned int)(w >> 16) & 0xffffff,
			(unsigned int)(w >> 7) & 0x1ff);
}

/* Why @got is not @exp, in words a reader can act on. */
static const char *fz_word_diag(uint64_t got, uint64_t exp, unsigned int k)
{
	if (!got)
		return "reads zero: a completed write is lost";
	if (!fz_word_valid(got))
		return "garbage";
	if (((got >> 7) & 0x1ff) != k)
		return "data shifted within the page";
	if (!exp)
		return "data in a page never written";
	if (((got ^ exp) >> 40 & 0xff) != 0)
		return "another page's data";
	if ((got >> 48) != (exp >> 48))
		return (got >> 48) == FZ_PRIV_TAG ? "private data in the object" :
		       "another object's data";
	if (((got >> 16) & 0xffffff) < ((exp >> 16) & 0xffffff))
		return "stale data: an older write";
	return "data from a write not begun";
}

static enum fz_verdict fz_exact(const struct fz_view *v, uint32_t tag, uint32_t gen,
				const uint64_t *w, unsigned int k0, unsigned int n,
				const char *rule, char *why, size_t len)
{
	unsigned int bad = 0, first = 0;
	uint64_t exp0 = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t exp = gen ? fz_word(tag, v->page, gen, k0 + i) : 0;

		if (w[i] != exp) {
			if (!bad++) {
				first = i;
				exp0 = exp;
			}
		}
	}
	if (!bad) {
		FZ_ADD(fz->strong, 1);
		return FZ_V_STRONG;
	}
	{
		char g[96], e[96];

		fz_word_str(w[first], g, sizeof(g));
		fz_word_str(exp0, e, sizeof(e));
		snprintf(why, len, "%s: %u of %u words wrong; word %u is %s, expected %s (%s)",
			 fz_word_diag(w[first], exp0, k0 + first), bad, n, k0 + first, g, e, rule);
	}
	return FZ_V_BAD;
}

enum fz_verdict fz_check_weak(const struct fz_view *v, const uint64_t *w, unsigned int k0,
			      unsigned int n, char *why, size_t len)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t x = w[i];
		unsigned int k = k0 + i, tag, page, gen, depth = 0;
		const char *diag = NULL;
		int s;

		if (!x)
			continue;
		tag = x >> 48;
		page = (x >> 40) & 0xff;
		gen = (x >> 16) & 0xffffff;
		if (!fz_word_valid(x))
			diag = "garbage";
		else if (((x >> 7) & 0x1ff) != k)
			diag = "data shifted within the page";
		else if (page != (v->page & 0xff))
			diag = "another page's data";
		else if (!gen)
			diag = "generation 0";
		else if (tag == FZ_PRIV_TAG) {
			if (!v->priv_ok)
				diag = "private data in the object";
			else if (gen > v->priv_max)
				diag = "a private write not begun";
		} else {
			diag = "another object's data";
			for (s = v->slot; s >= 0 && depth < 64; depth++) {
				if ((unsigned int)s + 1 == tag) {
					diag = gen > FZ_LD(fz->reg[s].pg[v->page].gen) ?
					       "data from a write not begun" : NULL;
					break;
				}
				s = (int)fz->reg[s].parent - 1;
			}
		}
		if (diag) {
			char g[96];

			fz_word_str(x, g, sizeof(g));
			snprintf(why, len, "%s: word %u is %s (weak rule: any word of this page, of "
				 "tag %d or a clone ancestor, or zero)", diag, k, g, v->slot + 1);
			return FZ_V_BAD;
		}
	}
	FZ_ADD(fz->weak, 1);
	return FZ_V_WEAK;
}

enum fz_verdict fz_check(const struct fz_view *v, const uint64_t *w, unsigned int k0,
			 unsigned int n, char *why, size_t len)
{
	const struct fz_snap *s = &v->snap;
	uint32_t f = s->f1 | s->f2;
	struct fz_view wv;
	char rule[96];

	switch (v->priv) {
	case FZ_PRIV_JUNK:
		FZ_ADD(fz->unchecked, 1);
		return FZ_V_SKIP;
	case FZ_PRIV_STAMP:
		snprintf(rule, sizeof(rule), "our private write of gen %u", v->pgen);
		return fz_exact(v, FZ_PRIV_TAG, v->pgen, w, k0, n, rule, why, len);
	case FZ_PRIV_FROZEN:
		wv = *v;
		wv.priv_ok = true;
		return fz_check_weak(&wv, w, k0, n, why, len);
	}
	if (FZ_LD(fz->reg[v->slot].flags) & FZ_OBJ_LOSSY)
		return fz_check_weak(v, w, k0, n, why, len);
	if (s->d1 != s->g1 || s->g2 != s->g1)
		return fz_check_weak(v, w, k0, n, why, len);
	if (f & FZ_PG_INH) {
		const struct fz_page *pg = &fz->reg[v->slot].pg[v->page];

		if (s->g1 || !(s->f1 & s->f2 & FZ_PG_EXACT))
			return fz_check_weak(v, w, k0, n, why, len);
		snprintf(rule, sizeof(rule), "clone page: the source's content at clone time, "
			 "tag %u gen %u", s->f1 >> 16, pg->exp_gen);
		return fz_exact(v, s->f1 >> 16, pg->exp_gen, w, k0, n, rule, why, len);
	}
	snprintf(rule, sizeof(rule), "stable page: last write gen %u", s->g1);
	return fz_exact(v, (uint32_t)v->slot + 1, s->g1, w, k0, n, rule, why, len);
}
