// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab-fuzz: the ops on mappings: mmap (good, odd and junk), munmap,
 * mremap, mprotect, madvise, mlock/msync/mincore, the touches (reads and
 * writes by every method, forbidden accesses) and an ioctl answer written
 * into a mapped page on purpose.  The process's table of its mappings
 * (struct fz_map) follows every change: split by partial munmaps, moved
 * by mremap, cut by MAP_FIXED; per page its protection, its private state
 * and whether fork leaves it out.  A huge object maps MAP_SHARED only: its
 * MAP_PRIVATE mmaps must fail (EINVAL) and are never in the table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

struct fz_map *fz_add_map(fz_proc *p, void *addr, uint32_t npages, uint32_t pgoff, int slot,
			  bool shared, bool maywrite, int prot)
{
	struct fz_map *m;

	if (p->nmaps == FZ_MAX_MAPS)
		return NULL;
	m = &p->maps[p->nmaps++];
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->npages = npages;
	m->pgoff = pgoff;
	m->slot = slot;
	m->shared = shared;
	m->maywrite = maywrite;
	memset(m->prot, prot, sizeof(m->prot));
	return m;
}

/* Drop the first @k pages of @m from the table entry. */
static void fz_map_cut_front(struct fz_map *m, uint32_t k)
{
	uint32_t left = m->npages - k;

	memmove(m->prot, m->prot + k, left);
	memmove(m->priv, m->priv + k, left);
	memmove(m->dontfork, m->dontfork + k, left);
	memmove(m->pgen, m->pgen + k, left * sizeof(m->pgen[0]));
	m->addr += (size_t)k * FZ_PS;
	m->pgoff += k;
	m->npages = left;
}

void fz_forget_range(fz_proc *p, uintptr_t a0, size_t len)
{
	uintptr_t a1 = a0 + len;

	for (int i = 0; i < p->nmaps; i++) {
		struct fz_map *m = &p->maps[i];
		uintptr_t s = (uintptr_t)m->addr, e = s + (size_t)m->npages * FZ_PS;
		uintptr_t lo = a0 > s ? a0 : s, hi = a1 < e ? a1 : e;
		uint32_t left, right;

		if (a1 <= s || a0 >= e)
			continue;
		left = (uint32_t)((lo - s) / FZ_PS);
		right = (uint32_t)((e - hi) / FZ_PS);
		if (!left && !right) {
			p->maps[i--] = p->maps[--p->nmaps];
			continue;
		}
		if (left && right) {
			if (p->nmaps == FZ_MAX_MAPS) {
				/* No room to track the right part: let it go. */
				munmap((void *)hi, (size_t)right * FZ_PS);
			} else {
				struct fz_map *r = &p->maps[p->nmaps++];

				*r = *m;
				fz_map_cut_front(r, (uint32_t)((hi - s) / FZ_PS));
			}
			m->npages = left;
		} else if (left) {
			m->npages = left;
		} else {
			fz_map_cut_front(m, m->npages - right);
		}
	}
}

static int fz_pick_prot(fz_proc *p)
{
	uint32_t r = fz_below(p, 100);

	if (r < 55)
		return PROT_READ | PROT_WRITE;
	if (r < 78)
		return PROT_READ;
	if (r < 86)
		return PROT_NONE;
	if (r < 92)
		return PROT_WRITE;
	return PROT_READ | PROT_EXEC;
}

static const char *fz_prot_name(int prot)
{
	static const char *const s[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };

	return s[prot & 7];
}

/* Unmap mapping @i of the table, for real. */
static void fz_unmap_entry(fz_proc *p, int i)
{
	struct fz_map *m = &p->maps[i];

	munmap(m->addr, (size_t)m->npages * FZ_PS);
	p->maps[i] = p->maps[--p->nmaps];
}

/*
 * The end of a MAP_PRIVATE mmap of a huge object (@a its result, errno
 * @err; @len pages, at @fixed with MAP_FIXED, else NULL): its VMAs are
 * VM_PFNMAP, which may not be copy-on-write, so the module refuses any
 * private mapping (EINVAL), whatever the prot or the fd.  A refused
 * MAP_FIXED has unmapped what it was to replace first (6.12 leaves the
 * gap), so the table forgets that range.
 */
static int fz_mmap_huge_private(fz_proc *p, void *a, void *fixed, uint32_t len, int err)
{
	size_t bytes = (size_t)len * FZ_PS;

	if (!fz_must_fail(p, "MAP_PRIVATE mmap of a huge object", a == MAP_FAILED ? -1 : 0, err,
			  EINVAL, ENOMEM, EAGAIN, 0) && a != MAP_FAILED)
		munmap(a, bytes);
	if (fixed)
		fz_forget_range(p, (uintptr_t)fixed, bytes);
	return a == MAP_FAILED ? -err : 0;
}

int fz_op_mmap(fz_proc *p)
{
	int i = fz_pick_fd(p, false), prot, flags, slot, err;
	uint32_t npages, pgoff, len;
	unsigned char *hint = NULL, *a;
	bool shared, fixed = false, must_fail, huge;
	struct fz_map *m;

	if (i < 0)
		return FZ_SKIP;
	slot = p->fds[i].slot;
	npages = fz_obj(slot)->npages;
	huge = fz_obj_huge(slot);
	if (p->nmaps >= FZ_MAX_MAPS)
		fz_unmap_entry(p, (int)fz_below(p, (uint32_t)p->nmaps));
	pgoff = fz_pct(p, 60) ? 0 : fz_below(p, npages);
	len = fz_pct(p, 50) ? npages - pgoff : 1 + fz_below(p, npages - pgoff);
	prot = fz_pick_prot(p);
	/* A huge object's private mmap must fail: some, not a third of them. */
	shared = fz_pct(p, huge ? 90 : 65);
	flags = shared ? MAP_SHARED : MAP_PRIVATE;
	if (fz_pct(p, 10))
		flags |= MAP_POPULATE;
	if (fz_pct(p, 4))
		flags |= MAP_LOCKED;
	if (fz_pct(p, 5))
		flags |= MAP_NORESERVE;
	if (fz_pct(p, 3) && shared)
		flags = (flags & ~MAP_SHARED) | MAP_SHARED_VALIDATE;
	if (p->nmaps && fz_pct(p, 6)) {
		/* Over a part of one of our own mappings, never beyond it. */
		struct fz_map *o = &p->maps[fz_below(p, (uint32_t)p->nmaps)];
		uint32_t at = fz_below(p, o->npages);

		hint = o->addr + (size_t)at * FZ_PS;
		if (len > o->npages - at)
			len = o->npages - at;
		flags |= MAP_FIXED;
		fixed = true;
	}
	must_fail = shared && prot & PROT_WRITE && p->fds[i].rdonly;
	fz_say(p, " slot %d fd %d pages %u+%u %s %s%s%s%s%s%s", slot, p->fds[i].fd, pgoff, len,
	       fz_prot_name(prot), shared ? "shared" : "private",
	       flags & MAP_POPULATE ? " populate" : "", flags & MAP_LOCKED ? " locked" : "",
	       fixed ? " fixed" : "", p->fds[i].rdonly ? " (rdonly fd)" : "",
	       huge ? " (huge)" : "");
	a = mmap(hint, (size_t)len * FZ_PS, prot, flags, p->fds[i].fd, (off_t)pgoff * FZ_PS);
	err = errno;
	if (must_fail) {
		if (!fz_must_fail(p, "MAP_SHARED PROT_WRITE of a read-only attach",
				  a == MAP_FAILED ? -1 : 0, err, EACCES, 0))
			munmap(a, (size_t)len * FZ_PS);
		return a == MAP_FAILED ? -err : 0;
	}
	if (huge && !shared)
		return fz_mmap_huge_private(p, a, fixed ? hint : NULL, len, err);
	if (a == MAP_FAILED) {
		fz_must_ok(p, "mmap of an object within its size", -1, err, ENOMEM, EAGAIN, 0);
		return -err;
	}
	fz_say(p, " -> %p", (void *)a);
	if (fixed)
		fz_forget_range(p, (uintptr_t)a, (size_t)len * FZ_PS);
	m = fz_add_map(p, a, len, pgoff, slot, shared, !p->fds[i].rdonly || !shared, prot);
	if (!m) {
		munmap(a, (size_t)len * FZ_PS);
		return 0;
	}
	if (flags & (MAP_POPULATE | MAP_LOCKED))
		fz_populated(m, 0, len);
	return 0;
}

int fz_op_mmap_junk(fz_proc *p)
{
	int i = fz_pick_fd(p, false), flags = MAP_SHARED, fd, e1 = EINVAL, e2 = 0, err;
	uint32_t npages;
	size_t len = FZ_PS;
	off_t off = 0;
	const char *what;
	void *a;

	if (i < 0)
		return FZ_SKIP;
	fd = p->fds[i].fd;
	npages = fz_obj(p->fds[i].slot)->npages;
	if (fz_pct(p, 50))
		flags = MAP_PRIVATE;
	switch (fz_below(p, 9)) {
	case 0:
		what = "offset at the object's end";
		off = (off_t)(npages + fz_below(p, 4)) * FZ_PS;
		break;
	case 1:
		what = "length past the object's end";
		len = (size_t)(npages + 1 + fz_below(p, 8)) * FZ_PS;
		break;
	case 2:
		what = "offset not page aligned";
		off = 1 + fz_below(p, FZ_PS - 1);
		break;
	case 3:
		what = "offset that overflows";
		off = (off_t)0x7ffffffffffff000LL;
		len = (size_t)(1 + fz_below(p, 64)) * FZ_PS;
		e2 = EOVERFLOW;
		break;
	case 4:
		what = "length 0";
		len = 0;
		break;
	case 5:
		what = "neither shared nor private";
		flags = 0;
		break;
	case 6:
		what = "MAP_SHARED_VALIDATE with MAP_SYNC";
		flags = MAP_SHARED_VALIDATE | MAP_SYNC;
		e1 = EOPNOTSUPP;
		break;
	case 7:
		if (fz_obj_huge(p->fds[i].slot)) {
			/* Good in every other way: a huge object maps shared only. */
			what = "MAP_PRIVATE of a huge object";
			flags = MAP_PRIVATE;
			len = (size_t)npages * FZ_PS;
			break;
		}
		/* fall through */
	default:
		what = "MAP_HUGETLB of an object";
		flags |= MAP_HUGETLB;
		break;
	}
	fz_say(p, " %s", what);
	a = mmap(NULL, len, PROT_READ, flags, fd, off);
	err = errno;
	{
		char msg[96];

		snprintf(msg, sizeof(msg), "mmap with %s", what);
		if (!fz_must_fail(p, msg, a == MAP_FAILED ? -1 : 0, err, e1, e2, 0))
			munmap(a, len);
	}
	return a == MAP_FAILED ? -err : 0;
}

int fz_op_munmap(fz_proc *p)
{
	int i = fz_pick_map(p), err;
	struct fz_map *m;
	uint32_t a, b;
	uintptr_t start;
	long r;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	if (fz_pct(p, 6)) {
		bool zero = fz_pct(p, 50);

		fz_say(p, " junk: %s", zero ? "length 0" : "unaligned address");
		r = munmap(zero ? (void *)m->addr : (void *)(m->addr + 1 + fz_below(p, 4000)),
			   zero ? 0 : FZ_PS);
		err = errno;
		fz_must_fail(p, "munmap with junk", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	}
	if (fz_pct(p, 50)) {
		a = 0;
		b = m->npages;
	} else {
		a = fz_below(p, m->npages);
		b = a + 1 + fz_below(p, m->npages - a);
	}
	start = (uintptr_t)m->addr + (size_t)a * FZ_PS;
	fz_say(p, " %p pages %u-%u of %u", (void *)m->addr, a, b, m->npages);
	r = munmap((void *)start, (size_t)(b - a) * FZ_PS);
	err = errno;
	if (!fz_must_ok(p, "munmap of a mapping", r, err, 0))
		return -err;
	fz_forget_range(p, start, (size_t)(b - a) * FZ_PS);
	return 0;
}

/*
 * How an mremap() of @m from @oldn to @newn pages with @flags must fail,
 * or 0: a huge object's mapping is VM_PFNMAP, and vma_to_resize() lets no
 * such VMA grow (EFAULT) nor stay behind by MREMAP_DONTUNMAP (EINVAL).
 */
static int fz_mremap_huge_errno(const struct fz_map *m, uint32_t oldn, uint32_t newn, int flags)
{
	if (!fz_obj_huge(m->slot))
		return 0;
	if (flags & MREMAP_DONTUNMAP)
		return EINVAL;
	return newn > oldn ? EFAULT : 0;
}

int fz_op_mremap(fz_proc *p)
{
	int i = fz_pick_map(p), flags = 0, kind, err, want;
	unsigned char *old, *target = NULL, *r;
	uint32_t oldn, newn, keep;
	struct fz_map e, *m;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	e = *m;
	old = m->addr;
	oldn = m->npages;
	kind = (int)fz_below(p, 4);
	switch (kind) {
	case 0:
		if (oldn < 2)
			return FZ_SKIP;
		newn = 1 + fz_below(p, oldn - 1);
		break;
	case 1:
		if (oldn >= FZ_MAP_PAGES)
			return FZ_SKIP;
		newn = oldn + 1 + fz_below(p, (oldn < FZ_MAP_PAGES - oldn ? oldn :
						FZ_MAP_PAGES - oldn));
		if (newn > FZ_MAP_PAGES)
			newn = FZ_MAP_PAGES;
		if (fz_pct(p, 70))
			flags = MREMAP_MAYMOVE;
		break;
	case 2:
		newn = oldn;
		if (fz_pct(p, 30) && oldn < FZ_MAP_PAGES)
			newn = oldn + 1;
		target = mmap(NULL, (size_t)newn * FZ_PS, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
		if (target == MAP_FAILED)
			return -errno;
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		break;
	default:
		if (p->nmaps >= FZ_MAX_MAPS)
			return FZ_SKIP;
		newn = oldn;
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		break;
	}
	fz_say(p, " %p %u -> %u pages%s%s%s", (void *)old, oldn, newn,
	       flags & MREMAP_MAYMOVE ? " maymove" : "", flags & MREMAP_FIXED ? " fixed" : "",
	       flags & MREMAP_DONTUNMAP ? " dontunmap" : "");
	r = mremap(old, (size_t)oldn * FZ_PS, (size_t)newn * FZ_PS, flags, target);
	err = errno;
	want = fz_mremap_huge_errno(&e, oldn, newn, flags);
	/* (ENOMEM: mremap_to()'s map count check comes first.) */
	if (want)
		fz_must_fail(p, want == EFAULT ? "mremap growing a huge object's mapping" :
			     "mremap MREMAP_DONTUNMAP of a huge object's mapping",
			     r == MAP_FAILED ? -1 : 0, err, want, ENOMEM, 0);
	if (r == MAP_FAILED) {
		if (target)
			munmap(target, (size_t)newn * FZ_PS);
		return -err;
	}
	fz_say(p, " -> %p", (void *)r);
	if (flags & MREMAP_DONTUNMAP) {
		/* The old range stays mapped, empty: it reads the object again. */
		if (!e.shared)
			memset(m->priv, FZ_PRIV_NONE, sizeof(m->priv));
	} else {
		fz_forget_range(p, (uintptr_t)old, (size_t)oldn * FZ_PS);
	}
	m = fz_add_map(p, r, newn, e.pgoff, e.slot, e.shared, e.maywrite, e.prot[oldn - 1]);
	if (!m) {
		munmap(r, (size_t)newn * FZ_PS);
		return 0;
	}
	keep = newn < oldn ? newn : oldn;
	memcpy(m->prot, e.prot, keep);
	memcpy(m->priv, e.priv, keep);
	memcpy(m->dontfork, e.dontfork, keep);
	memcpy(m->pgen, e.pgen, keep * sizeof(e.pgen[0]));
	for (uint32_t k = keep; k < newn; k++)
		m->dontfork[k] = e.dontfork[oldn - 1];
	return 0;
}

int fz_op_mprotect(fz_proc *p)
{
	int i = fz_pick_map(p), prot, err;
	struct fz_map *m;
	uint32_t a, b;
	bool must_fail;
	long r;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	a = fz_pct(p, 50) ? 0 : fz_below(p, m->npages);
	b = fz_pct(p, 50) ? m->npages : a + 1 + fz_below(p, m->npages - a);
	prot = fz_pick_prot(p);
	if (fz_pct(p, 4)) {
		fz_say(p, " junk prot bits");
		r = mprotect(m->addr, FZ_PS, prot | 0x100);
		err = errno;
		fz_must_fail(p, "mprotect with unknown prot bits", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	}
	must_fail = m->shared && !m->maywrite && prot & PROT_WRITE;
	fz_say(p, " %p pages %u-%u %s%s", (void *)m->addr, a, b, fz_prot_name(prot),
	       must_fail ? " (read-only attach)" : "");
	r = mprotect(m->addr + (size_t)a * FZ_PS, (size_t)(b - a) * FZ_PS, prot);
	err = errno;
	if (must_fail) {
		fz_must_fail(p, "mprotect PROT_WRITE of a shared mapping of a read-only attach", r,
			     err, EACCES, 0);
		if (r == 0)
			memset(m->prot + a, prot, b - a);
		return r < 0 ? -err : 0;
	}
	if (!fz_must_ok(p, "mprotect of a mapping", r, err, ENOMEM, 0) || r < 0)
		return -err;
	memset(m->prot + a, prot, b - a);
	return 0;
}

struct fz_advice {
	int advice;
	const char *name;
};

static const struct fz_advice fz_advices[] = {
	{ MADV_NORMAL, "normal" }, { MADV_RANDOM, "random" }, { MADV_SEQUENTIAL, "sequential" },
	{ MADV_WILLNEED, "willneed" }, { MADV_DONTNEED, "dontneed" }, { MADV_DONTNEED, "dontneed" },
	{ MADV_FREE, "free" }, { MADV_REMOVE, "remove" }, { MADV_DONTFORK, "dontfork" },
	{ MADV_DOFORK, "dofork" }, { MADV_MERGEABLE, "mergeable" },
	{ MADV_UNMERGEABLE, "unmergeable" }, { MADV_HUGEPAGE, "hugepage" },
	{ MADV_NOHUGEPAGE, "nohugepage" }, { MADV_DONTDUMP, "dontdump" },
	{ MADV_DODUMP, "dodump" }, { MADV_WIPEONFORK, "wipeonfork" },
	{ MADV_KEEPONFORK, "keeponfork" }, { MADV_COLD, "cold" }, { MADV_PAGEOUT, "pageout" },
	{ MADV_PAGEOUT, "pageout" }, { MADV_POPULATE_READ, "populate_read" },
	{ MADV_POPULATE_WRITE, "populate_write" }, { MADV_POPULATE_WRITE, "populate_write" },
	{ MADV_DONTNEED_LOCKED, "dontneed_locked" }, { MADV_COLLAPSE, "collapse" },
	{ -1, "junk" },
};

/*
 * Does the kernel (6.12) refuse @advice on a VM_PFNMAP mapping, a huge
 * object's, with EINVAL?  DONTNEED and FREE (madvise_dontneed_free_valid_vma()),
 * COLD and PAGEOUT (can_madv_lru_vma()), POPULATE_* (get_user_pages()
 * refuses the VMA, which madvise_populate() reports as EINVAL).
 */
static bool fz_madv_pfnmap_einval(int advice)
{
	switch (advice) {
	case MADV_DONTNEED: case MADV_DONTNEED_LOCKED: case MADV_FREE: case MADV_COLD:
	case MADV_PAGEOUT: case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
		return true;
	default:
		return false;
	}
}

int fz_op_madvise(fz_proc *p)
{
	const struct fz_advice *adv = &fz_advices[fz_below(p, sizeof(fz_advices) /
							      sizeof(fz_advices[0]))];
	int i = fz_pick_map(p), advice = adv->advice, err;
	struct fz_map *m;
	uint32_t a, b;
	long r;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	a = fz_pct(p, 40) ? 0 : fz_below(p, m->npages);
	b = fz_pct(p, 40) ? m->npages : a + 1 + fz_below(p, m->npages - a);
	if (advice < 0) {
		/* Numbers no kernel defines (100 and 101 poison pages: never those). */
		advice = fz_pct(p, 50) ? 26 + (int)fz_below(p, 74) : 102 + (int)fz_below(p, 1000);
	}
	fz_say(p, " %p pages %u-%u %s (%d)", (void *)m->addr, a, b, adv->name, advice);
	r = madvise(m->addr + (size_t)a * FZ_PS, (size_t)(b - a) * FZ_PS, advice);
	err = errno;
	if (adv->advice < 0) {
		fz_must_fail(p, "madvise with an undefined advice", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	}
	if (advice == MADV_WIPEONFORK) {
		fz_must_fail(p, "MADV_WIPEONFORK of a file mapping", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	}
	/* (Shared only: nothing of the table to change.) */
	if (fz_obj_huge(m->slot) && fz_madv_pfnmap_einval(advice)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "madvise %s of a huge object's mapping (VM_PFNMAP)",
			 adv->name);
		fz_must_fail(p, msg, r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	}
	for (uint32_t k = a; k < b; k++) {
		switch (advice) {
		case MADV_DONTNEED:
		case MADV_DONTNEED_LOCKED:
			/* Private copies go; the object keeps its data. */
			if (r == 0 && !m->shared)
				m->priv[k] = FZ_PRIV_NONE;
			break;
		case MADV_DONTFORK:
			if (r == 0)
				m->dontfork[k] = 1;
			break;
		case MADV_DOFORK:
			if (r == 0)
				m->dontfork[k] = 0;
			break;
		case MADV_POPULATE_WRITE:
			/* A private copy of whatever the object held: even on failure, some. */
			if (!m->shared && m->prot[k] & PROT_WRITE && m->priv[k] == FZ_PRIV_NONE &&
			    !fz_past_end(m, k))
				m->priv[k] = FZ_PRIV_FROZEN;
			break;
		}
	}
	return r < 0 ? -err : 0;
}

int fz_op_mlock_msync(fz_proc *p)
{
	int i = fz_pick_map(p), err;
	unsigned char vec[FZ_MAP_PAGES];
	struct fz_map *m;
	size_t len;
	long r;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	len = (size_t)m->npages * FZ_PS;
	switch (fz_below(p, 6)) {
	case 0:
		/*
		 * (Not locked, VM_MIXEDMAP is VM_SPECIAL; but populated all the
		 * same, except a huge object's VM_PFNMAP: left alone, no error.)
		 */
		fz_say(p, " mlock %p", (void *)m->addr);
		r = mlock(m->addr, len);
		fz_populated(m, 0, m->npages);
		break;
	case 1:
		fz_say(p, " munlock %p", (void *)m->addr);
		r = munlock(m->addr, len);
		break;
	case 2: {
		static const int fl[] = { MS_ASYNC, MS_SYNC, MS_ASYNC | MS_INVALIDATE,
					  MS_SYNC | MS_INVALIDATE, MS_INVALIDATE };
		int f = fl[fz_below(p, 5)];

		fz_say(p, " msync %p flags %d", (void *)m->addr, f);
		r = msync(m->addr, len, f);
		break;
	}
	case 3:
		fz_say(p, " msync MS_ASYNC|MS_SYNC (junk)");
		r = msync(m->addr, len, MS_ASYNC | MS_SYNC);
		err = errno;
		fz_must_fail(p, "msync MS_ASYNC|MS_SYNC", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	case 4:
		fz_say(p, " mlock2 ONFAULT %p", (void *)m->addr);
		r = mlock2(m->addr, len, MLOCK_ONFAULT);
		fz_populated(m, 0, m->npages);
		if (!r)
			munlock(m->addr, len);
		break;
	default:
		fz_say(p, " mincore %p", (void *)m->addr);
		r = mincore(m->addr, len, vec);
		break;
	}
	err = errno;
	return r < 0 ? -err : 0;
}

/* ---- touches ------------------------------------------------------------------------ */

static enum fz_method fz_pick_method(fz_proc *p, bool procmem)
{
	uint32_t r = fz_below(p, 100);

	if (procmem)
		return r < 55 ? TM_PROCMEM : TM_VMRW;
	if (r < 42)
		return TM_DIRECT;
	if (r < 62)
		return TM_MEMCPY;
	if (r < 74)
		return TM_PARTIAL;
	return TM_SYSCALL;
}

/* A touch that took seconds: what state was the object in? */
static void fz_slow_touch(fz_proc *p, int slot, uint64_t ns)
{
	char state[300];

	fz_obj_state(p, slot, state, sizeof(state));
	fz_print("# slow touch, %.1f s: %s [%s]", (double)ns / 1e9, p->ent ? p->ent->text : "",
		 state);
}

static int fz_touch_op(fz_proc *p, bool write, bool procmem)
{
	int i = fz_pick_map(p), ret;
	uint64_t t0;
	enum fz_method meth = fz_pick_method(p, procmem);
	uint32_t first, n, most;
	struct fz_map *m;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	first = fz_below(p, m->npages);
	if (write && m->shared && m->maywrite && !fz_pct(p, 10)) {
		/* Start at a page this process may write (else nearly all are skipped). */
		uint32_t k;

		for (k = 0; k < m->npages; k++)
			if (fz_owns(p, m->slot, m->pgoff + (first + k) % m->npages))
				break;
		if (k == m->npages)
			return FZ_SKIP;
		first = (first + k) % m->npages;
	}
	most = m->npages - first < 8 ? m->npages - first : 8;
	n = fz_pct(p, 50) ? 1 : 1 + fz_below(p, most);
	if (write && meth == TM_PARTIAL && m->shared && fz_pct(p, 70))
		meth = TM_DIRECT;	/* torn on purpose, but not too often */
	fz_say(p, " %s %p pages %u+%u (%s %s, slot %d)", fz_method_names[meth], (void *)m->addr,
	       first, n, m->shared ? "shared" : "private", fz_prot_name(m->prot[first]), m->slot);
	t0 = fz_now_ns();
	ret = fz_touch(p, m, first, n, write ? FZ_T_WRITE : 0, meth);
	t0 = fz_now_ns() - t0;
	if (t0 > 2000000000ULL)
		fz_slow_touch(p, m->slot, t0);
	return ret;
}

int fz_op_read(fz_proc *p)
{
	return fz_touch_op(p, false, false);
}

int fz_op_write(fz_proc *p)
{
	return fz_touch_op(p, true, false);
}

int fz_op_procmem_read(fz_proc *p)
{
	return fz_touch_op(p, false, true);
}

int fz_op_procmem_write(fz_proc *p)
{
	return fz_touch_op(p, true, true);
}

int fz_op_forbidden(fz_proc *p)
{
	int i = fz_pick_map(p);
	struct fz_map *m;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	for (uint32_t tries = 0; tries < 8; tries++) {
		uint32_t k = fz_below(p, m->npages);
		bool past = fz_past_end(m, k);

		if (m->prot[k] == PROT_NONE || past) {
			fz_say(p, " read %p page %u (%s%s)", (void *)m->addr, k,
			       fz_prot_name(m->prot[k]), past ? ", past the end" : "");
			return fz_touch(p, m, k, 1, 0, TM_DIRECT);
		}
		if (!(m->prot[k] & PROT_WRITE)) {
			fz_say(p, " write %p page %u (%s)", (void *)m->addr, k,
			       fz_prot_name(m->prot[k]));
			return fz_touch(p, m, k, 1, FZ_T_WRITE, TM_DIRECT);
		}
	}
	return FZ_SKIP;
}

int fz_op_verify_all(fz_proc *p)
{
	int ret = FZ_SKIP;

	/* (Budgeted objects with a page-in delay make this slow: a few, and mind the clock.) */
	fz_say(p, " %d mappings", p->nmaps);
	for (int i = 0; i < p->nmaps && i < 4; i++) {
		struct fz_map *m = &p->maps[fz_below(p, (uint32_t)p->nmaps)];
		uint64_t t0 = fz_now_ns();
		int r;

		if (fz_deadline_ns && t0 > fz_deadline_ns)
			break;
		r = fz_verify_map(p, m);
		t0 = fz_now_ns() - t0;
		if (t0 > 2000000000ULL)
			fz_slow_touch(p, m->slot, t0);
		if (r < 0)
			return r;
		if (!r)
			ret = 0;
	}
	return ret;
}

/*
 * An ioctl's answer written into a private mapped page on purpose (the
 * kernel's copy_to_user() takes the COW fault): the page holds junk
 * afterwards, marked so first.
 */
int fz_stat_into_map(fz_proc *p)
{
	struct pagelab_obj_stat *st, zero;
	int i = fz_pick_map(p), f = fz_pick_fd(p, false), err;
	struct fz_map *m;
	uint32_t k;
	long r;

	if (i < 0 || f < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	k = fz_below(p, m->npages);
	if (m->shared || fz_past_end(m, k) || !(m->prot[k] & PROT_WRITE))
		return FZ_SKIP;
	st = (void *)(m->addr + (size_t)k * FZ_PS + 8 * fz_below(p, (FZ_PS - sizeof(*st)) / 8));
	fz_say(p, " OBJ_STAT of fd %d into %p (private mapping page %u)", p->fds[f].fd,
	       (void *)st, k);
	m->priv[k] = FZ_PRIV_JUNK;
	p->junk_gen++;
	/* The kernel reads it first: what is there must be a valid request (zeros). */
	memset(&zero, 0, sizeof(zero));
	if (pwrite(p->tmpfd, &zero, sizeof(zero), 0) != (ssize_t)sizeof(zero) ||
	    pread(p->tmpfd, st, sizeof(zero), 0) != (ssize_t)sizeof(zero))
		return -errno;
	r = ioctl(p->fds[f].fd, PAGELAB_IOC_OBJ_STAT, st);
	err = errno;
	if (r < 0 && !fz_obj_budgeted(m->slot))
		fz_must_ok(p, "OBJ_STAT into a writable private mapped page", r, err, 0);
	return r < 0 ? -err : 0;
}
