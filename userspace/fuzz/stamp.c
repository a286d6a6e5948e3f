// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab-fuzz: the data stamps, the object registry and the rules a read
 * is judged by (the comment at the top of fuzz.h says which and why).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

uint32_t fz_stamp_begin(int slot, uint32_t page, unsigned int meth)
{
	struct fz_page *pg = &fz_obj(slot)->pg[page];
	uint32_t gen = FZ_LD(pg->gen) + 1;

	FZ_ST(pg->wpid, (int32_t)getpid());
	FZ_ST(pg->wmeth, meth);
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

/*
 * The page's words as runs: "0-10 t1310/p2/g2, 11 0xf5, 12-40 zero, ..."
 * (a valid word as tag/page/gen; anything else in hex).
 */
void fz_page_runs(const uint64_t *w, unsigned int k0, unsigned int n, char *buf, size_t len)
{
	size_t c = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && c < len - 64; ) {
		unsigned int j = i + 1;
		uint64_t key = w[i] && fz_word_valid(w[i]) ? w[i] & ~0xffffULL : w[i];

		while (j < n && (w[j] && fz_word_valid(w[j]) ? w[j] & ~0xffffULL : w[j]) == key &&
		       (key & ~0xffffULL || w[j] == w[i]))
			j++;
		if (j - i > 1)
			c += (size_t)snprintf(buf + c, len - c, "%s%u-%u ", c ? ", " : "", k0 + i,
					      k0 + j - 1);
		else
			c += (size_t)snprintf(buf + c, len - c, "%s%u ", c ? ", " : "", k0 + i);
		if (!w[i])
			c += (size_t)snprintf(buf + c, len - c, "zero");
		else if (fz_word_valid(w[i]))
			c += (size_t)snprintf(buf + c, len - c, "t%u/p%u/g%u",
					      (unsigned int)(w[i] >> 48),
					      (unsigned int)(w[i] >> 40) & 0xff,
					      (unsigned int)(w[i] >> 16) & 0xffffff);
		else
			c += (size_t)snprintf(buf + c, len - c, "%#llx", (unsigned long long)w[i]);
		i = j;
	}
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
		char g[96], e[96], runs[520];

		fz_word_str(w[first], g, sizeof(g));
		fz_word_str(exp0, e, sizeof(e));
		fz_page_runs(w, k0, n, runs, sizeof(runs));
		snprintf(why, len, "%s: %u of %u words wrong; word %u is %s, expected %s (%s); "
			 "the words: %s", fz_word_diag(w[first], exp0, k0 + first), bad, n,
			 k0 + first, g, e, rule, runs);
	}
	return FZ_V_BAD;
}

/* Does byte @b of a tag field match that byte of a tag the rule allows (or zero)? */
static bool fz_tag_byte_ok(const struct fz_view *v, unsigned int b, unsigned int shift)
{
	unsigned int depth = 0;

	if (!b || (v->priv_ok && b == ((FZ_PRIV_TAG >> shift) & 0xff)))
		return true;
	for (int s = v->slot; s >= 0 && depth < 64; depth++) {
		if ((((unsigned int)s + 1) >> shift & 0xff) == b)
			return true;
		s = (int)fz->reg[s].parent - 1;
	}
	return false;
}

/*
 * A word caught while the kernel copied it byte by byte (copy_to_user,
 * /proc/PID/mem, process_vm_writev: "rep movsb", one byte at a time under
 * TCG) is a byte-wise mix of its old and new values: not a valid word, but
 * every byte must still be that byte of a word the rule allows, or zero.
 * Checked: the page index, the word index and the tag bytes.
 */
static bool fz_torn_ok(const struct fz_view *v, uint64_t x, unsigned int k)
{
	unsigned int b0 = x & 0xff, b1 = (x >> 8) & 0xff, b5 = (x >> 40) & 0xff;

	if (b5 && b5 != (v->page & 0xff))
		return false;
	if (b1 && b1 != ((k >> 1) & 0xff))
		return false;
	if (b0 && (b0 >> 7) != (k & 1))
		return false;
	return fz_tag_byte_ok(v, (x >> 48) & 0xff, 0) && fz_tag_byte_ok(v, (x >> 56) & 0xff, 8);
}

/* At most this many torn words in a page read while a writer was at work. */
#define FZ_MAX_TORN	4

/* Why word @x, read at word @k of the page, breaks the weak rule; NULL if it does not. */
static const char *fz_weak_diag(const struct fz_view *v, uint64_t x, unsigned int k,
				unsigned int *torn)
{
	unsigned int tag = x >> 48, page = (x >> 40) & 0xff, gen = (x >> 16) & 0xffffff, depth = 0;

	if (!x)
		return NULL;
	if (!fz_word_valid(x)) {
		if (fz_torn_ok(v, x, k) && ++*torn <= FZ_MAX_TORN)
			return NULL;
		return *torn > FZ_MAX_TORN ? "too many torn words" : "garbage";
	}
	if (((x >> 7) & 0x1ff) != k)
		return "data shifted within the page";
	if (page != (v->page & 0xff))
		return "another page's data";
	if (!gen)
		return "generation 0";
	if (tag == FZ_PRIV_TAG) {
		if (!v->priv_ok)
			return "private data in the object";
		return gen > v->priv_max ? "a private write not begun" : NULL;
	}
	for (int s = v->slot; s >= 0 && depth < 64; depth++) {
		if ((unsigned int)s + 1 == tag)
			return gen > FZ_LD(fz->reg[s].pg[v->page].gen) ?
			       "data from a write not begun" : NULL;
		s = (int)fz->reg[s].parent - 1;
	}
	return "another object's data";
}

enum fz_verdict fz_check_weak(const struct fz_view *v, const uint64_t *w, unsigned int k0,
			      unsigned int n, char *why, size_t len)
{
	unsigned int bad = 0, first = 0, zeros = 0, own = 0, torn = 0;
	const char *diag = NULL;
	char g[96], chain[96];
	size_t c = 0;
	int s, depth;

	for (unsigned int i = 0; i < n; i++) {
		const char *d = fz_weak_diag(v, w[i], k0 + i, &torn);

		zeros += !w[i];
		own += w[i] && (w[i] >> 48) == (uint64_t)v->slot + 1;
		if (d && !bad++) {
			first = i;
			diag = d;
		}
	}
	if (!bad) {
		FZ_ADD(fz->weak, 1);
		return FZ_V_WEAK;
	}
	/* The clone ancestry the rule allowed. */
	chain[0] = '\0';
	for (s = v->slot, depth = 0; s >= 0 && depth < 8 && c < sizeof(chain) - 16; depth++) {
		c += (size_t)snprintf(chain + c, sizeof(chain) - c, "%s%d", depth ? "<" : "", s + 1);
		s = (int)fz->reg[s].parent - 1;
	}
	fz_word_str(w[first], g, sizeof(g));
	snprintf(why, len, "%s: word %u is %s; %u of %u words bad, %u zero, %u of its own tag, "
		 "%u torn; "
		 "neighbours 0x%016llx 0x%016llx (weak rule: any word of this page, of tags %s%s, "
		 "or zero)", diag, k0 + first, g, bad, n, zeros, own, torn,
		 first ? (unsigned long long)w[first - 1] : 0ULL,
		 first + 1 < n ? (unsigned long long)w[first + 1] : 0ULL, chain,
		 v->priv_ok ? " or private" : "");
	return FZ_V_BAD;
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
