// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab-fuzz: the op table, the loop that runs ops, and the ops on
 * objects and fds: create (good and junk), attach, close, dup, the stat,
 * info and version ioctls, junk ioctl numbers, read/write/ftruncate on the
 * fds, clone and merge.  Every op returns 0, FZ_SKIP (nothing to do) or
 * -errno of its main call; a check that fails has been reported by then.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

const struct fz_opdesc fz_ops[OP_NR] = {
	[OP_CREATE]		= { "create",		FZ_F_OBJ,	40, fz_op_create },
	[OP_CREATE_JUNK]	= { "create-junk",	FZ_F_OBJ,	12, fz_op_create_junk },
	[OP_ATTACH]		= { "attach",		FZ_F_OBJ,	25, fz_op_attach },
	[OP_CLOSE]		= { "close",		FZ_F_OBJ,	18, fz_op_close },
	[OP_DUP]		= { "dup",		FZ_F_OBJ,	 4, fz_op_dup },
	[OP_STAT]		= { "stat",		FZ_F_IOCTL,	18, fz_op_stat },
	[OP_INFO]		= { "info",		FZ_F_IOCTL,	 4, fz_op_info },
	[OP_IOCTL_JUNK]		= { "ioctl-junk",	FZ_F_IOCTL,	12, fz_op_ioctl_junk },
	[OP_FDIO]		= { "fd-io",		FZ_F_IOCTL,	 5, fz_op_fdio },
	[OP_MMAP]		= { "mmap",		FZ_F_MAP,	60, fz_op_mmap },
	[OP_MMAP_JUNK]		= { "mmap-junk",	FZ_F_MAP,	 8, fz_op_mmap_junk },
	[OP_MUNMAP]		= { "munmap",		FZ_F_MAP,	22, fz_op_munmap },
	[OP_MREMAP]		= { "mremap",		FZ_F_MAP,	18, fz_op_mremap },
	[OP_MPROTECT]		= { "mprotect",		FZ_F_MAP,	22, fz_op_mprotect },
	[OP_MADVISE]		= { "madvise",		FZ_F_MAP,	28, fz_op_madvise },
	[OP_MLOCK_MSYNC]	= { "mlock-msync",	FZ_F_MAP,	 6, fz_op_mlock_msync },
	[OP_READ]		= { "read",		FZ_F_TOUCH,	160, fz_op_read },
	[OP_WRITE]		= { "write",		FZ_F_TOUCH,	150, fz_op_write },
	[OP_FORBIDDEN]		= { "forbidden",	FZ_F_TOUCH,	12, fz_op_forbidden },
	[OP_VERIFY_ALL]		= { "verify-all",	FZ_F_TOUCH,	 5, fz_op_verify_all },
	[OP_CLONE]		= { "clone",		FZ_F_CLONE,	25, fz_op_clone },
	[OP_MERGE]		= { "merge",		FZ_F_MERGE,	18, fz_op_merge },
	[OP_REPLACE]		= { "replace",		FZ_F_REPLACE,	30, fz_op_replace },
	[OP_TRUNCATE]		= { "truncate-store",	FZ_F_FILE,	 2, fz_op_truncate },
	[OP_FORK]		= { "fork",		FZ_F_FORK,	14, fz_op_fork },
	[OP_PROCMEM_READ]	= { "procmem-read",	FZ_F_PROCMEM,	28, fz_op_procmem_read },
	[OP_PROCMEM_WRITE]	= { "procmem-write",	FZ_F_PROCMEM,	20, fz_op_procmem_write },
	[OP_REMOTE_READ]	= { "remote-read",	FZ_F_PROCMEM,	 8, fz_op_remote_read },
	[OP_WALK]		= { "walk",		FZ_F_WALK,	22, fz_op_walk },
	[OP_WALK_JUNK]		= { "walk-junk",	FZ_F_WALK,	10, fz_op_walk_junk },
	[OP_SCAN]		= { "scan",		FZ_F_WALK,	16, fz_op_scan },
	[OP_WALK_IOCTL]		= { "walk-ioctl",	FZ_F_WALK,	12, fz_op_walk_ioctl },
	[OP_DEBUGFS]		= { "debugfs",		FZ_F_DEBUGFS,	 6, fz_op_debugfs },
	[OP_PAGEMAP]		= { "pagemap",		FZ_F_DEBUGFS,	 8, fz_op_pagemap },
	[OP_SENDFD]		= { "send-fd",		FZ_F_FDPASS,	 7, fz_op_sendfd },
	[OP_RECVFD]		= { "recv-fd",		FZ_F_FDPASS,	 7, fz_op_recvfd },
	[OP_SPLICE]		= { "vmsplice",		FZ_F_SPLICE,	 9, fz_op_splice },
	[OP_SPLICE_READ]	= { "vmsplice-read",	FZ_F_SPLICE,	 8, fz_op_splice_read },
	[OP_SLEEP]		= { "sleep",		FZ_F_TOUCH,	 3, fz_op_sleep },
	[OP_BUDDY]		= { "buddy",		FZ_F_IOCTL,	 6, fz_op_buddy },
	[OP_SLAB]		= { "slab",		FZ_F_IOCTL,	 6, fz_op_slab },
	[OP_PHYSMAP]		= { "physmap",		FZ_F_IOCTL,	 3, fz_op_physmap },
};

/* ---- process state ------------------------------------------------------------------ */

void fz_proc_init(fz_proc *p)
{
	size_t big = (size_t)FZ_MAP_PAGES * FZ_PS;

	p->dev = pl_open();
	if (p->dev < 0)
		p->dev = -1;
	p->memfd = -1;
	p->walkfd = -1;
	p->buf = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p->buf2 = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p->ro_page = mmap(NULL, FZ_PS, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p->none_page = mmap(NULL, FZ_PS, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->buf == MAP_FAILED || p->buf2 == MAP_FAILED || p->ro_page == MAP_FAILED ||
	    p->none_page == MAP_FAILED) {
		fz_print("pagelab-fuzz: %s: out of memory for buffers", p->name);
		_exit(3);
	}
	p->tmpfd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (p->tmpfd < 0) {
		char path[] = "/tmp/pagelab-fuzz-XXXXXX";

		p->tmpfd = mkostemp(path, O_CLOEXEC);
		if (p->tmpfd >= 0)
			unlink(path);
	}
}

int fz_add_fd(fz_proc *p, int fd, int slot, bool rdonly)
{
	if (p->nfds == FZ_MAX_FDS) {
		close(fd);
		return -1;
	}
	p->fds[p->nfds].fd = fd;
	p->fds[p->nfds].slot = slot;
	p->fds[p->nfds].rdonly = rdonly;
	return p->nfds++;
}

void fz_drop_fd(fz_proc *p, int i)
{
	close(p->fds[i].fd);
	p->fds[i] = p->fds[--p->nfds];
}

int fz_pick_fd(fz_proc *p, bool need_rw)
{
	int cand[FZ_MAX_FDS], n = 0;

	for (int i = 0; i < p->nfds; i++)
		if (!need_rw || !p->fds[i].rdonly)
			cand[n++] = i;
	return n ? cand[fz_below(p, (uint32_t)n)] : -1;
}

int fz_pick_map(fz_proc *p)
{
	return p->nmaps ? (int)fz_below(p, (uint32_t)p->nmaps) : -1;
}

/* A registered object, most often one this process holds. */
static int fz_pick_slot(fz_proc *p)
{
	uint32_t n = FZ_LD(fz->next_slot);
	int hot;

	if (p->nfds && fz_pct(p, 60))
		return p->fds[fz_below(p, (uint32_t)p->nfds)].slot;
	/* The objects every worker made last: where the processes meet. */
	hot = FZ_LD(fz->hot[fz_below(p, (uint32_t)fz->nprocs * 2)]);
	if (hot > 0 && fz_pct(p, 60))
		return hot - 1;
	if (n > FZ_SLOTS)
		n = FZ_SLOTS;
	if (!n)
		return -1;
	/* Recent ones more often: they are more likely alive. */
	if (fz_pct(p, 60) && n > 32)
		return (int)(n - 1 - fz_below(p, 32));
	return (int)fz_below(p, n);
}

static bool fz_holds(fz_proc *p, int slot)
{
	for (int i = 0; i < p->nfds; i++)
		if (p->fds[i].slot == slot)
			return true;
	return false;
}

/* ---- the loop ----------------------------------------------------------------------- */

static void fz_reap_kids(fz_proc *p, bool block)
{
	for (int i = 0; i < p->nkids; ) {
		int st;
		pid_t r = waitpid(p->kids[i], &st, block ? 0 : WNOHANG);

		if (r == 0) {
			i++;
			continue;
		}
		if (r == p->kids[i] && (!WIFEXITED(st) || WEXITSTATUS(st) > 1))
			fz_fail(p, "async child %d ended %s %d", (int)r,
				WIFSIGNALED(st) ? "by signal" : "with status",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		if (r == p->kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 1)
			p->failed = true;	/* it said why */
		p->kids[i] = p->kids[--p->nkids];
	}
}

void fz_run(fz_proc *p, uint64_t nops)
{
	uint32_t total = 0, ran = 0;

	for (int i = 0; i < OP_NR; i++)
		if (!fzo.no[fz_ops[i].family] &&
		    !(i == OP_TRUNCATE && (fzo.no[FZ_F_REPLACE] || fzo.no[FZ_F_FILE])))
			total += fz_ops[i].weight;
	while (total && !FZ_LD(fz->stop) && !p->failed && (!nops || ran < nops)) {
		struct fz_ring *ring = &fz->ring[p->idx];
		uint32_t pick = fz_below(p, total), slot;
		const struct fz_opdesc *d = NULL;
		uint64_t t0;
		int op, ret;

		if (fz_deadline_ns && fz_now_ns() > fz_deadline_ns)
			break;
		for (op = 0; op < OP_NR; op++) {
			d = &fz_ops[op];
			if (fzo.no[d->family] ||
			    (op == OP_TRUNCATE && (fzo.no[FZ_F_REPLACE] || fzo.no[FZ_F_FILE])))
				continue;
			if (pick < d->weight)
				break;
			pick -= d->weight;
		}
		/* Little to work on: make some (an op the table would pick anyway). */
		if (p->nfds < 2 && !fzo.no[FZ_F_OBJ] && fz_pct(p, 30))
			op = OP_CREATE;
		else if (p->nmaps < 2 && p->nfds && !fzo.no[FZ_F_MAP] && fz_pct(p, 30))
			op = OP_MMAP;
		d = &fz_ops[op];
		/* Never over an op still running (a slow one must stay visible). */
		for (int tries = 0; tries < FZ_RING; tries++) {
			slot = __atomic_fetch_add(&ring->next, 1, __ATOMIC_SEQ_CST);
			p->ent = &ring->ent[slot % FZ_RING];
			if (FZ_LD(p->ent->state) != 1)
				break;
		}
		p->ent->state = 1;
		p->ent->op = p->op;
		p->ent->pid = getpid();
		p->ent->ret = 0;
		p->ent->text[0] = '\0';
		fz_say(p, "%s %s:", p->name, d->name);
		t0 = fz_now_ns();
		ret = d->fn(p);
		t0 = fz_now_ns() - t0;
		if (t0 > FZ_LD(fz->count[op].max_ns))
			FZ_ST(fz->count[op].max_ns, t0);
		if (t0 > FZ_LD(fz->slowest_ns)) {
			FZ_ST(fz->slowest_ns, t0);
			snprintf(fz->slowest, sizeof(fz->slowest), "%s", p->ent->text);
		}
		p->ent->ret = ret;
		p->ent->state = 2;
		FZ_ADD(fz->count[op].calls, 1);
		if (!ret) {
			FZ_ADD(fz->count[op].ok, 1);
		} else if (ret == FZ_SKIP) {
			FZ_ADD(fz->count[op].skip, 1);
		} else {
			FZ_ADD(fz->count[op].err, 1);
			if (-ret < FZ_NERRNO)
				FZ_ADD(fz->errnos[-ret], 1);
		}
		if (fzo.verbose)
			fz_print("[%s #%" PRIu64 "] %s -> %s", p->name, p->op, p->ent->text,
				 ret == FZ_SKIP ? "skip" : ret ? strerrorname_np(-ret) ?: "err" : "ok");
		p->ent = NULL;
		p->op++;
		ran++;
		if (p->nkids)
			fz_reap_kids(p, false);
	}
}

void fz_proc_end(fz_proc *p)
{
	fz_reap_kids(p, true);
	/* Half the time leave everything to exit(): the kernel's teardown. */
	if (fz_pct(p, 50)) {
		while (p->nmaps) {
			struct fz_map *m = &p->maps[p->nmaps - 1];

			if (!p->failed && fz_pct(p, 30) &&
			    (!fz_deadline_ns || fz_now_ns() < fz_deadline_ns + 5000000000ULL))
				fz_verify_map(p, m);
			munmap(m->addr, (size_t)m->npages * FZ_PS);
			p->nmaps--;
		}
		while (p->nfds)
			fz_drop_fd(p, p->nfds - 1);
		for (int i = 0; i < p->nspl; i++) {
			close(p->spl[i].rfd);
			close(p->spl[i].wfd);
		}
		p->nspl = 0;
	}
	for (int i = 0; i < p->nstores; i++) {
		if (p->stores[i].owner == getpid() && p->stores[i].path[0])
			unlink(p->stores[i].path);
	}
}

/* ---- objects ---------------------------------------------------------------------- */

static const uint32_t fz_modes[] = { 0, 0600, 0644, 0400, 0666, 0200, 0640, 0 };

int fz_op_create(fz_proc *p)
{
	struct pagelab_create c;
	uint32_t npages;
	int slot;

	if (p->dev < 0)
		return FZ_SKIP;
	if (p->nfds >= FZ_MAX_FDS)
		fz_drop_fd(p, (int)fz_below(p, (uint32_t)p->nfds));
	npages = fz_pct(p, 70) ? 1 + fz_below(p, 8) : 1 + fz_below(p, FZ_OBJ_PAGES);
	memset(&c, 0, sizeof(c));
	c.size = (uint64_t)npages * FZ_PS;
	c.flags = fz_pct(p, 20) ? PAGELAB_CREATE_NO_FAULT_AROUND : 0;
	/* Huge: VM_PFNMAP mappings of 4 KiB pages (no object here reaches 2 MiB). */
	if (fzo.huge && fz_pct(p, 15))
		c.flags |= PAGELAB_CREATE_HUGE;
	c.mode = fz_modes[fz_below(p, 8)];
	c.fault_around = fz_pct(p, 25) ? fz_below(p, 513) : 0;
	snprintf(c.name, sizeof(c.name), "fz-%.12s-%u", p->name, (unsigned int)(p->op % 100000));
	slot = fz_slot_alloc(npages, -1, p->idx);
	if (slot < 0)
		return FZ_SKIP;
	/* Before the object can be seen: its mappings are judged by it. */
	if (c.flags & PAGELAB_CREATE_HUGE)
		__atomic_fetch_or(&fz_obj(slot)->flags, FZ_OBJ_HUGE, __ATOMIC_SEQ_CST);
	fz_say(p, " %u pages flags %llx%s mode %o around %u, slot %d", npages,
	       (unsigned long long)c.flags, c.flags & PAGELAB_CREATE_HUGE ? " (huge)" : "",
	       c.mode, c.fault_around, slot);
	if (ioctl(p->dev, PAGELAB_IOC_CREATE, &c)) {
		int err = errno;

		fz_must_ok(p, "PAGELAB_IOC_CREATE of a good request", -1, err, ENOMEM, EMFILE,
			   ENFILE, 0);
		return -err;
	}
	FZ_ST(fz_obj(slot)->id, c.id);
	FZ_ST(fz->hot[p->idx * 2 + (p->op & 1)], slot + 1);
	fz_say(p, " -> id %llu fd %d", (unsigned long long)c.id, c.fd);
	fz_add_fd(p, c.fd, slot, false);
	return 0;
}

/* Over 100 lines on purpose, as fz_op_walk(): one op's variants in one switch. */
int fz_op_create_junk(fz_proc *p)
{
	struct pagelab_create c, *arg = &c;
	const char *what;
	int e1 = EINVAL, e2 = 0;
	long r;

	if (p->dev < 0)
		return FZ_SKIP;
	memset(&c, 0, sizeof(c));
	c.size = FZ_PS * (1 + fz_below(p, 4));
	strcpy(c.name, "junk");
	switch (fz_below(p, 14)) {
	case 0:
		what = "size 0";
		c.size = 0;
		break;
	case 1:
		what = "size not a page multiple";
		c.size = 1 + fz_below(p, 3 * FZ_PS);
		if (!(c.size % FZ_PS))
			c.size++;
		break;
	case 2:
		what = "unknown flag";
		do
			c.flags = 1ULL << fz_below(p, 64);
		while (c.flags & PAGELAB_CREATE_FLAGS);
		break;
	case 3:
		what = "pad set";
		c.pad = 1 + fz_below(p, 1000);
		break;
	case 4:
		what = "mode beyond 0777";
		c.mode = 01000 << fz_below(p, 8);
		break;
	case 5:
		what = "fault_around over 512";
		c.fault_around = 513 + fz_below(p, 100000);
		break;
	case 6:
		what = "unterminated name";
		memset(c.name, 'a', sizeof(c.name));
		break;
	case 7: {
		/* (Not bytes >= 0xc0: the kernel's isalnum() takes Latin-1 letters.) */
		static const char *const bad[] = { "a b", "x/y", "semi;colon", "tab\t", "quo\"te",
						   "n\nl", "\x7f", "\x80" };

		what = "bad name characters";
		strcpy(c.name, bad[fz_below(p, 8)]);
		break;
	}
	case 8:
		what = "size over max_object_pages";
		c.size = (fzo.max_object_pages + 1 + fz_below(p, 1000)) * FZ_PS;
		e1 = ENOSPC;
		break;
	case 9:
		what = "NULL argument";
		arg = NULL;
		e1 = EFAULT;
		break;
	case 10:
		what = "kernel-half argument";
		arg = (void *)0xffff888000001000ULL;
		e1 = EFAULT;
		break;
	case 11:
		what = "PROT_NONE argument";
		arg = (void *)p->none_page;
		e1 = EFAULT;
		break;
	case 12:
		/* Refused before anything else but the flags check. */
		if (!fzo.huge) {
			what = "PAGELAB_CREATE_HUGE without PAGELAB_FEAT_HUGE";
			c.flags = PAGELAB_CREATE_HUGE;
			e1 = EOPNOTSUPP;
		} else {
			what = "PAGELAB_CREATE_HUGE and an unknown flag";
			c.flags = PAGELAB_CREATE_HUGE | 1ULL << (2 + fz_below(p, 62));
		}
		break;
	default:
		/* Read fine, written back never: the new object must not leak. */
		what = "read-only argument (the answer cannot be written)";
		if (mprotect(p->ro_page, FZ_PS, PROT_READ | PROT_WRITE))
			return -errno;
		memcpy(p->ro_page, &c, sizeof(c));
		mprotect(p->ro_page, FZ_PS, PROT_READ);
		arg = (void *)p->ro_page;
		e1 = EFAULT;
		break;
	}
	fz_say(p, " %s", what);
	r = ioctl(p->dev, PAGELAB_IOC_CREATE, arg);
	{
		int err = errno;
		char msg[96];

		snprintf(msg, sizeof(msg), "PAGELAB_IOC_CREATE with %s", what);
		if (!fz_must_fail(p, msg, r, err, e1, e2) && r >= 0 && arg == &c)
			close(c.fd);
		return r < 0 ? -err : 0;
	}
}

int fz_op_attach(fz_proc *p)
{
	struct pagelab_attach a;
	bool junk = fz_pct(p, 10), held;
	int slot, e = 0;
	long r;

	if (p->dev < 0)
		return FZ_SKIP;
	memset(&a, 0, sizeof(a));
	slot = fz_pick_slot(p);
	if (slot < 0)
		return FZ_SKIP;
	if (p->nfds >= FZ_MAX_FDS)
		fz_drop_fd(p, (int)fz_below(p, (uint32_t)p->nfds));
	held = fz_holds(p, slot) && !p->unpriv;
	a.id = FZ_LD(fz_obj(slot)->id);
	a.flags = fz_pct(p, 30) ? PAGELAB_ATTACH_RDONLY : 0;
	if (junk) {
		switch (fz_below(p, 4)) {
		case 0:
			a.flags |= 1ULL << (1 + fz_below(p, 63));
			e = EINVAL;
			break;
		case 1:
			a.pad = 1;
			e = EINVAL;
			break;
		case 2:
			a.id = 0;
			e = ENOENT;
			break;
		default:
			a.id = (1ULL << 60) + fz_below(p, 1000);
			e = ENOENT;
			break;
		}
	}
	fz_say(p, " slot %d id %llu flags %llx pad %u%s", slot, (unsigned long long)a.id,
	       (unsigned long long)a.flags, a.pad, held ? " (held)" : "");
	r = ioctl(p->dev, PAGELAB_IOC_ATTACH, &a);
	if (junk) {
		int err = errno;

		if (!fz_must_fail(p, "PAGELAB_IOC_ATTACH with junk", r, err, e, 0) && r >= 0)
			close(a.fd);
		return r < 0 ? -err : 0;
	}
	if (r < 0) {
		int err = errno;

		if (held)
			fz_must_ok(p, "PAGELAB_IOC_ATTACH of an object this process holds", r, err,
				   ENOMEM, EMFILE, ENFILE, 0);
		return -err;
	}
	fz_say(p, " -> fd %d", a.fd);
	if (FZ_LD(fz_obj(slot)->id) != a.id) {
		close(a.fd);
		return 0;
	}
	fz_add_fd(p, a.fd, slot, a.flags & PAGELAB_ATTACH_RDONLY);
	return 0;
}

int fz_op_close(fz_proc *p)
{
	int i = fz_pick_fd(p, false);

	if (i < 0)
		return FZ_SKIP;
	fz_say(p, " fd %d (slot %d)", p->fds[i].fd, p->fds[i].slot);
	fz_drop_fd(p, i);
	return 0;
}

int fz_op_dup(fz_proc *p)
{
	int i = fz_pick_fd(p, false), fd;

	if (i < 0 || p->nfds >= FZ_MAX_FDS)
		return FZ_SKIP;
	fd = fcntl(p->fds[i].fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	fz_say(p, " fd %d -> %d", p->fds[i].fd, fd);
	fz_add_fd(p, fd, p->fds[i].slot, p->fds[i].rdonly);
	return 0;
}

/* ---- the query ioctls -------------------------------------------------------------- */

static void fz_stat_sane(fz_proc *p, const struct pagelab_obj_stat *st, int slot, uint64_t id)
{
	const struct fz_obj *o = fz_obj(slot);

	if (st->id != id || st->size != (uint64_t)o->npages * FZ_PS || st->resident > o->npages ||
	    st->budget > o->npages || st->files < 1)
		fz_fail(p, "OBJ_STAT of object %llu (slot %d, %u pages): id %llu size %llu resident "
			"%llu budget %u files %llu", (unsigned long long)id, slot, o->npages,
			(unsigned long long)st->id, (unsigned long long)st->size,
			(unsigned long long)st->resident, st->budget,
			(unsigned long long)st->files);
	/*
	 * No object here reaches 2 MiB: no PMD leaf, no chunk to split.  A
	 * huge one never maps neighbours (vm_insert_page() refuses VM_PFNMAP).
	 */
	if (st->huge_maps || st->huge_splits ||
	    ((FZ_LD(o->flags) & FZ_OBJ_HUGE) && st->fault_around_pages))
		fz_fail(p, "OBJ_STAT of %s object %llu (slot %d, %u pages): huge_maps %llu "
			"huge_splits %llu fault_around_pages %u",
			FZ_LD(o->flags) & FZ_OBJ_HUGE ? "huge" : "ordinary", (unsigned long long)id,
			slot, o->npages, (unsigned long long)st->huge_maps,
			(unsigned long long)st->huge_splits, st->fault_around_pages);
}

int fz_op_stat(fz_proc *p)
{
	struct pagelab_obj_stat st;
	int i = fz_pick_fd(p, false), err;
	uint64_t id;
	long r;

	if (i < 0)
		return FZ_SKIP;
	id = FZ_LD(fz_obj(p->fds[i].slot)->id);
	memset(&st, 0, sizeof(st));
	switch (fz_below(p, 8)) {
	case 7:
		return fz_stat_into_map(p);
	case 0:
	case 1:
		fz_say(p, " on fd %d (slot %d)", p->fds[i].fd, p->fds[i].slot);
		st.id = fz_pct(p, 50) ? 0 : id;
		r = ioctl(p->fds[i].fd, PAGELAB_IOC_OBJ_STAT, &st);
		err = errno;
		if (fz_must_ok(p, "OBJ_STAT on an object fd", r, err, 0) && r >= 0)
			fz_stat_sane(p, &st, p->fds[i].slot, id);
		return r < 0 ? -err : 0;
	case 2:
		fz_say(p, " (1.1 size) on fd %d", p->fds[i].fd);
		r = ioctl(p->fds[i].fd, PAGELAB_IOC_OBJ_STAT_V1, &st);
		err = errno;
		fz_must_ok(p, "OBJ_STAT (ABI 1.1 size) on an object fd", r, err, 0);
		if (r >= 0 && (st.id != id || st.shared || st.budget))
			fz_fail(p, "OBJ_STAT 1.1: id %llu (want %llu), fields past the 1.1 size "
				"written", (unsigned long long)st.id, (unsigned long long)id);
		return r < 0 ? -err : 0;
	case 3:
		if (p->dev < 0)
			return FZ_SKIP;
		fz_say(p, " by id %llu on /dev/pagelab", (unsigned long long)id);
		st.id = id;
		r = ioctl(p->dev, PAGELAB_IOC_OBJ_STAT, &st);
		err = errno;
		if (!p->unpriv && fz_must_ok(p, "OBJ_STAT by the id of a held object", r, err, 0) &&
		    r >= 0)
			fz_stat_sane(p, &st, p->fds[i].slot, id);
		return r < 0 ? -err : 0;
	case 4:
		fz_say(p, " with another object's id on fd %d", p->fds[i].fd);
		st.id = id + 1 + fz_below(p, 5);
		r = ioctl(p->fds[i].fd, PAGELAB_IOC_OBJ_STAT, &st);
		err = errno;
		fz_must_fail(p, "OBJ_STAT on an object fd naming another id", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	case 5:
		fz_say(p, " with flags on fd %d", p->fds[i].fd);
		st.flags = 1ULL << fz_below(p, 64);
		r = ioctl(p->fds[i].fd, PAGELAB_IOC_OBJ_STAT, &st);
		err = errno;
		fz_must_fail(p, "OBJ_STAT with flags", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	default:
		/* A valid request (zeros) the answer cannot be written over. */
		fz_say(p, " bad pointer on fd %d", p->fds[i].fd);
		if (!mprotect(p->ro_page, FZ_PS, PROT_READ | PROT_WRITE)) {
			memset(p->ro_page, 0, FZ_PS);
			mprotect(p->ro_page, FZ_PS, PROT_READ);
		}
		r = ioctl(p->fds[i].fd, PAGELAB_IOC_OBJ_STAT,
			  fz_pct(p, 50) ? (void *)p->none_page : (void *)p->ro_page);
		err = errno;
		fz_must_fail(p, "OBJ_STAT into a PROT_NONE/read-only buffer", r, err, EFAULT, 0);
		return r < 0 ? -err : 0;
	}
}

int fz_op_info(fz_proc *p)
{
	struct pagelab_version v;
	struct pagelab_info in;
	bool v1;
	long r;
	int err;

	if (p->dev < 0)
		return FZ_SKIP;
	memset(&v, 0, sizeof(v));
	memset(&in, 0, sizeof(in));
	switch (fz_below(p, 4)) {
	case 0:
		/* Now and then the ABI 1.11 size, which gets the fields up to objects. */
		v1 = fz_pct(p, 25);
		fz_say(p, v1 ? " INFO_V1" : " INFO");
		r = ioctl(p->dev, v1 ? PAGELAB_IOC_INFO_V1 : PAGELAB_IOC_INFO, &in);
		err = errno;
		if (fz_must_ok(p, "PAGELAB_IOC_INFO", r, err, 0) && r >= 0 &&
		    (in.page_size != FZ_PS || in.pages_allocated < in.pages_freed))
			fz_fail(p, "INFO: page_size %u, allocated %llu < freed %llu", in.page_size,
				(unsigned long long)in.pages_allocated,
				(unsigned long long)in.pages_freed);
		return r < 0 ? -err : 0;
	case 1:
		fz_say(p, " VERSION");
		r = ioctl(p->dev, PAGELAB_IOC_VERSION, &v);
		err = errno;
		if (fz_must_ok(p, "PAGELAB_IOC_VERSION", r, err, 0) && r >= 0 &&
		    (v.abi_major != PAGELAB_ABI_MAJOR || !memchr(v.release, 0, sizeof(v.release)) ||
		     !(v.features & PAGELAB_FEAT_HUGE) != !fzo.huge))
			fz_fail(p, "VERSION: abi %u.%u, features %#llx (PAGELAB_FEAT_HUGE %s "
				"at the start)", v.abi_major, v.abi_minor,
				(unsigned long long)v.features, fzo.huge ? "set" : "clear");
		return r < 0 ? -err : 0;
	case 2:
		fz_say(p, " INFO with flags/pad");
		if (fz_pct(p, 50))
			in.flags = 1u << fz_below(p, 32);
		else
			in.pad = 1 + fz_below(p, 100);
		r = ioctl(p->dev, PAGELAB_IOC_INFO, &in);
		err = errno;
		fz_must_fail(p, "INFO with flags or pad", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	default:
		fz_say(p, " VERSION with flags/pad");
		if (fz_pct(p, 50))
			v.flags = 1u << fz_below(p, 32);
		else
			v.pad = 1;
		r = ioctl(p->dev, PAGELAB_IOC_VERSION, &v);
		err = errno;
		fz_must_fail(p, "VERSION with flags or pad", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	}
}

/* Commands the VFS answers itself before the driver sees them. */
static bool fz_vfs_cmd(unsigned int cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return type == 'T' || type == 'f' || type == 'X' || type == 0x94 || type == 0 ||
	       type == 0x15;
}

int fz_op_ioctl_junk(fz_proc *p)
{
	static const unsigned int obj_only_dev[] = {
		PAGELAB_IOC_VERSION, PAGELAB_IOC_INFO, PAGELAB_IOC_INFO_V1, PAGELAB_IOC_CREATE,
		PAGELAB_IOC_ATTACH, PAGELAB_IOC_MERGE, PAGELAB_IOC_BUDDY, PAGELAB_IOC_SLAB,
	};
	unsigned int cmd, nr, size, dir;
	bool on_obj = p->nfds && fz_pct(p, 60);
	int fd = on_obj ? p->fds[fz_below(p, (uint32_t)p->nfds)].fd : p->dev;
	const char *what;
	long r;
	int err;

	if (fd < 0)
		return FZ_SKIP;
	memset(p->buf2, 0, FZ_PS);
	switch (fz_below(p, 4)) {
	case 0:
		/* pagelab's magic, an unused number. */
		nr = 13 + fz_below(p, 243);
		size = fz_below(p, 1024);
		dir = fz_below(p, 4);
		cmd = _IOC(dir, PAGELAB_IOC_MAGIC, nr, size);
		what = "unused pagelab number";
		break;
	case 1:
		/* A pagelab number with the wrong size or direction. */
		nr = fz_below(p, 12);
		do {
			size = fz_below(p, 1024);
			dir = fz_below(p, 4);
			cmd = _IOC(dir, PAGELAB_IOC_MAGIC, nr, size);
		} while (cmd == PAGELAB_IOC_VERSION || cmd == PAGELAB_IOC_INFO ||
			 cmd == PAGELAB_IOC_INFO_V1 ||
			 cmd == PAGELAB_IOC_CREATE || cmd == PAGELAB_IOC_ATTACH ||
			 cmd == PAGELAB_IOC_OBJ_STAT || cmd == PAGELAB_IOC_OBJ_STAT_V1 ||
			 cmd == PAGELAB_IOC_CLONE || cmd == PAGELAB_IOC_REPLACE ||
			 cmd == PAGELAB_IOC_MERGE || cmd == PAGELAB_IOC_SCAN ||
			 cmd == PAGELAB_IOC_WALK || cmd == PAGELAB_IOC_BUDDY ||
			 cmd == PAGELAB_IOC_SLAB);
		what = "pagelab number, wrong size or direction";
		break;
	case 2:
		/* A device command on an object fd, or REPLACE on the device. */
		if (on_obj)
			cmd = obj_only_dev[fz_below(p, 7)];
		else
			cmd = PAGELAB_IOC_REPLACE;
		what = on_obj ? "a /dev/pagelab command on an object fd" :
				"REPLACE on /dev/pagelab";
		break;
	default:
		do
			cmd = (unsigned int)fz_rand(p);
		while (fz_vfs_cmd(cmd) || _IOC_TYPE(cmd) == PAGELAB_IOC_MAGIC);
		what = "random number";
		break;
	}
	fz_say(p, " %s 0x%08x on %s", what, cmd, on_obj ? "an object fd" : "/dev/pagelab");
	r = ioctl(fd, cmd, p->buf2);
	err = errno;
	{
		char msg[128];

		snprintf(msg, sizeof(msg), "ioctl 0x%08x (%s)", cmd, what);
		fz_must_fail(p, msg, r, err, ENOTTY, 0);
	}
	return r < 0 ? -err : 0;
}

int fz_op_fdio(fz_proc *p)
{
	int i = fz_pick_fd(p, false), fd, err;
	char b[64];
	long r;

	switch (fz_below(p, 5)) {
	case 0:
		fd = i >= 0 && fz_pct(p, 70) ? p->fds[i].fd : p->dev;
		if (fd < 0)
			return FZ_SKIP;
		fz_say(p, " read(2)");
		r = read(fd, b, sizeof(b));
		err = errno;
		fz_must_fail(p, "read(2) of a pagelab fd", r, err, EINVAL, 0);
		return r < 0 ? -err : 0;
	case 1:
		if (i < 0)
			return FZ_SKIP;
		fz_say(p, " write(2) on fd %d%s", p->fds[i].fd, p->fds[i].rdonly ? " (rdonly)" : "");
		r = write(p->fds[i].fd, "x", 1);
		err = errno;
		fz_must_fail(p, "write(2) of an object fd", r, err, EINVAL, EBADF, 0);
		return r < 0 ? -err : 0;
	case 2:
		if (i < 0)
			return FZ_SKIP;
		fz_say(p, " ftruncate(2) on fd %d", p->fds[i].fd);
		r = ftruncate(p->fds[i].fd, (off_t)fz_below(p, 1 << 20));
		err = errno;
		fz_must_fail(p, "ftruncate(2) of an object fd", r, err, EINVAL, EBADF, EPERM, 0);
		return r < 0 ? -err : 0;
	case 3: {
		void *a;

		if (p->dev < 0)
			return FZ_SKIP;
		fz_say(p, " mmap of /dev/pagelab");
		a = mmap(NULL, FZ_PS, PROT_READ, MAP_SHARED, p->dev, 0);
		err = errno;
		if (!fz_must_fail(p, "mmap of /dev/pagelab", a == MAP_FAILED ? -1 : 0, err, ENODEV,
				  0) && a != MAP_FAILED)
			munmap(a, FZ_PS);
		return a == MAP_FAILED ? -err : 0;
	}
	default: {
		struct stat st;

		if (i < 0)
			return FZ_SKIP;
		fz_say(p, " lseek/fstat/fdinfo on fd %d", p->fds[i].fd);
		lseek(p->fds[i].fd, (off_t)fz_below(p, 100000), (int)fz_below(p, 3));
		r = fstat(p->fds[i].fd, &st);
		err = errno;
		snprintf(b, sizeof(b), "/proc/self/fdinfo/%d", p->fds[i].fd);
		fd = open(b, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, p->buf2, FZ_PS) < 0) {
				/* best effort */
			}
			close(fd);
		}
		return r < 0 ? -err : 0;
	}
	}
}

/* ---- clone and merge -------------------------------------------------------------------- */

/* Over 100 lines on purpose, as fz_op_walk(): one op's variants in one switch. */
int fz_op_clone(fz_proc *p)
{
	struct fz_snap before[FZ_OBJ_PAGES], after;
	struct pagelab_clone c, *arg = &c;
	int i = fz_pick_fd(p, false), src, slot, fd, e = 0, err;
	bool on_dev = p->dev >= 0 && (i < 0 || fz_pct(p, 40)), junk = fz_pct(p, 10);
	const char *what = "";
	struct fz_obj *so, *no;
	uint32_t lossy;
	long r;

	if (i < 0 && !on_dev)
		return FZ_SKIP;
	src = on_dev ? fz_pick_slot(p) : p->fds[i].slot;
	if (src < 0)
		return FZ_SKIP;
	if (p->nfds >= FZ_MAX_FDS)
		return FZ_SKIP;
	fd = on_dev ? p->dev : p->fds[i].fd;
	so = fz_obj(src);
	memset(&c, 0, sizeof(c));
	c.src_id = on_dev || fz_pct(p, 30) ? FZ_LD(so->id) : 0;
	c.mode = fz_modes[fz_below(p, 8)];
	snprintf(c.name, sizeof(c.name), "fzc-%.12s-%u", p->name, (unsigned int)(p->op % 100000));
	if (junk) {
		switch (fz_below(p, 6)) {
		case 0:
			what = "flags";
			c.flags = 1u << fz_below(p, 32);
			e = EINVAL;
			break;
		case 1:
			what = "pad";
			c.pad = 1;
			e = EINVAL;
			break;
		case 2:
			what = "mode";
			c.mode = 01000;
			e = EINVAL;
			break;
		case 3:
			what = "name";
			memset(c.name, 'x', sizeof(c.name));
			e = EINVAL;
			break;
		case 4:
			if (on_dev) {
				what = "no such id";
				c.src_id = 0;
				e = ENOENT;
			} else {
				what = "another id on an object fd";
				c.src_id = FZ_LD(so->id) + 1 + fz_below(p, 3);
				e = EINVAL;
			}
			break;
		default:
			what = "bad pointer";
			arg = (void *)p->none_page;
			e = EFAULT;
			break;
		}
		fz_say(p, " junk (%s) src slot %d on %s", what, src, on_dev ? "dev" : "fd");
		r = ioctl(fd, PAGELAB_IOC_CLONE, arg);
		err = errno;
		if (!fz_must_fail(p, "PAGELAB_IOC_CLONE with junk", r, err, e, 0) && r >= 0 &&
		    arg == &c)
			close(c.fd);
		return r < 0 ? -err : 0;
	}
	slot = fz_slot_alloc(so->npages, src, p->idx);
	if (slot < 0)
		return FZ_SKIP;
	no = fz_obj(slot);
	lossy = FZ_LD(so->flags) & FZ_OBJ_LOSSY;
	/* The clone has the source's creation flags: a huge one's is huge. */
	if (FZ_LD(so->flags) & FZ_OBJ_HUGE)
		__atomic_fetch_or(&no->flags, FZ_OBJ_HUGE, __ATOMIC_SEQ_CST);
	for (uint32_t pg = 0; pg < so->npages; pg++)
		fz_snap_begin(src, pg, &before[pg]);
	fz_say(p, " slot %d (id %llu%s) on %s -> slot %d", src, (unsigned long long)FZ_LD(so->id),
	       FZ_LD(so->flags) & FZ_OBJ_HUGE ? ", huge" : "", on_dev ? "dev" : "fd", slot);
	r = ioctl(fd, PAGELAB_IOC_CLONE, &c);
	err = errno;
	if (r < 0)
		return -err;
	/*
	 * What each page of the clone holds: the source page's content at
	 * clone time, known exactly where nothing wrote it around the ioctl.
	 */
	for (uint32_t pg = 0; pg < so->npages; pg++) {
		const struct fz_page *sp = &so->pg[pg];
		struct fz_snap *b = &before[pg];
		uint32_t f = FZ_PG_INH;

		fz_snap_end(src, pg, &after);
		after.d1 = FZ_LD(sp->done);
		if (!lossy && b->d1 == b->g1 && after.g2 == b->g1 && after.d1 == b->g1) {
			if (!(b->f1 & FZ_PG_INH)) {
				f |= FZ_PG_EXACT | ((uint32_t)src + 1) << 16;
				no->pg[pg].exp_gen = b->g1;
			} else if (b->g1 == 0 && (b->f1 & after.f2 & FZ_PG_EXACT)) {
				f |= FZ_PG_EXACT | (b->f1 & 0xffff0000u);
				no->pg[pg].exp_gen = sp->exp_gen;
			}
		}
		FZ_ST(no->pg[pg].flags, f);
	}
	FZ_ST(no->id, c.id);
	fz_say(p, " -> id %llu fd %d shared %llu copied %llu", (unsigned long long)c.id, c.fd,
	       (unsigned long long)c.shared, (unsigned long long)c.copied);
	if (c.shared + c.copied > so->npages)
		fz_fail(p, "CLONE of a %u-page object reports %llu shared + %llu copied",
			so->npages, (unsigned long long)c.shared, (unsigned long long)c.copied);
	fz_add_fd(p, c.fd, slot, false);
	return 0;
}

int fz_op_merge(fz_proc *p)
{
	struct pagelab_merge m;
	uint64_t ids[70];
	unsigned int n = 1 + fz_below(p, 6);
	bool must = !p->unpriv, junk = fz_pct(p, 10);
	int e = 0, err;
	long r;

	if (p->dev < 0)
		return FZ_SKIP;
	memset(&m, 0, sizeof(m));
	for (unsigned int k = 0; k < n; k++) {
		int slot = fz_pick_slot(p);

		if (slot < 0)
			return FZ_SKIP;
		if (fz_pct(p, 15) && k)
			ids[k] = ids[fz_below(p, k)];	/* repeats are ignored */
		else
			ids[k] = FZ_LD(fz_obj(slot)->id);
		/* Must work: every one held here, none ever budgeted. */
		if (!fz_holds(p, slot) || FZ_LD(fz_obj(slot)->flags) & FZ_OBJ_BUDGET)
			must = false;
	}
	m.ids = (uintptr_t)ids;
	m.nids = n;
	if (junk) {
		switch (fz_below(p, 5)) {
		case 0:
			m.nids = fz_pct(p, 50) ? 0 : PAGELAB_MERGE_MAX_OBJECTS + 1 + fz_below(p, 5);
			e = EINVAL;
			break;
		case 1:
			m.flags = 1u << fz_below(p, 32);
			e = EINVAL;
			break;
		case 2:
			m.ids = 0;
			e = EFAULT;
			break;
		case 3:
			m.ids = (uintptr_t)p->none_page;
			e = EFAULT;
			break;
		default:
			/* Sorted first by the module: refused before any other id. */
			ids[fz_below(p, n)] = 0;
			e = ENOENT;
			break;
		}
	}
	fz_say(p, " %u ids%s:", m.nids, junk ? " (junk)" : "");
	for (unsigned int k = 0; k < n && k < 6; k++)
		fz_say(p, " %llu", (unsigned long long)ids[k]);
	r = ioctl(p->dev, PAGELAB_IOC_MERGE, &m);
	err = errno;
	if (junk) {
		fz_must_fail(p, "PAGELAB_IOC_MERGE with junk", r, err, e, 0);
		return r < 0 ? -err : 0;
	}
	if (must && r < 0 && err == EBUSY) {
		/* A budget may have come meanwhile, from another process. */
		for (unsigned int k = 0; k < n; k++) {
			int slot = fz_slot_find(ids[k]);

			if (slot < 0 || FZ_LD(fz_obj(slot)->flags) & FZ_OBJ_BUDGET)
				must = false;
		}
	}
	if (must)
		fz_must_ok(p, "PAGELAB_IOC_MERGE of held, never-budgeted objects", r, err, ENOMEM,
			   0);
	if (r >= 0) {
		fz_say(p, " -> scanned %llu merged %llu zero %llu skipped %llu",
		       (unsigned long long)m.scanned, (unsigned long long)m.merged,
		       (unsigned long long)m.zero, (unsigned long long)m.skipped);
		if (m.merged + m.zero + m.skipped > m.scanned)
			fz_fail(p, "MERGE: merged %llu + zero %llu + skipped %llu > scanned %llu",
				(unsigned long long)m.merged, (unsigned long long)m.zero,
				(unsigned long long)m.skipped, (unsigned long long)m.scanned);
	}
	return r < 0 ? -err : 0;
}

/*
 * PAGELAB_IOC_BUDDY on the device: blocks taken (mostly small orders) and
 * given back, and bad requests.  The device file is shared with children
 * forked since (they inherit the fd): a remembered handle another process
 * gave back is ENOENT.  Blocks still held go when the last copy of the fd
 * closes.
 */
int fz_op_buddy(fz_proc *p)
{
	struct pagelab_buddy b;
	unsigned int order;
	long r;
	int err, i;

	if (p->dev < 0)
		return FZ_SKIP;
	memset(&b, 0, sizeof(b));
	if (p->unpriv) {
		/* Frames are physical addresses: CAP_SYS_ADMIN only, as the walk. */
		b.op = PAGELAB_BUDDY_ALLOC;
		r = ioctl(p->dev, PAGELAB_IOC_BUDDY, &b);
		err = errno;
		fz_say(p, " as nobody -> %ld", r);
		fz_must_fail(p, "BUDDY without CAP_SYS_ADMIN", r, err, EPERM, 0);
		return r ? -err : 0;
	}
	switch (fz_below(p, 5)) {
	case 0:
	case 1:
		order = fz_pct(p, 90) ? fz_below(p, 5) : fz_below(p, PAGELAB_BUDDY_MAX_ORDER + 1);
		if (p->nbuddy == FZ_MAX_BUDDY)
			return FZ_SKIP;
		b.op = PAGELAB_BUDDY_ALLOC;
		b.order = order;
		b.flags = fz_pct(p, 30) ? PAGELAB_BUDDY_NOWAIT : 0;
		r = ioctl(p->dev, PAGELAB_IOC_BUDDY, &b);
		err = errno;
		fz_say(p, " alloc order %u flags %u -> %ld handle %llu pfn %#llx", order, b.flags, r,
		       (unsigned long long)b.handle, (unsigned long long)b.pfn);
		if (r) {
			fz_must_ok(p, "BUDDY alloc", r, err, ENOMEM, ENOSPC, 0);
			return -err;
		}
		if (b.order != order || b.pfn % (1ULL << order) ||
		    b.buddy_pfn != (b.pfn ^ (1ULL << order)) || !b.handle)
			fz_fail(p, "BUDDY alloc of order %u: order %u pfn %#llx buddy %#llx handle %llu",
				order, b.order, (unsigned long long)b.pfn,
				(unsigned long long)b.buddy_pfn, (unsigned long long)b.handle);
		p->buddy[p->nbuddy++] = b.handle;
		return 0;
	case 2:
		if (!p->nbuddy)
			return FZ_SKIP;
		i = (int)fz_below(p, (uint32_t)p->nbuddy);
		b.op = PAGELAB_BUDDY_FREE;
		b.handle = p->buddy[i];
		p->buddy[i] = p->buddy[--p->nbuddy];
		r = ioctl(p->dev, PAGELAB_IOC_BUDDY, &b);
		err = errno;
		fz_say(p, " free handle %llu -> %ld", (unsigned long long)b.handle, r);
		fz_must_ok(p, "BUDDY free of a block taken", r, err, ENOENT, 0);
		return r ? -err : 0;
	case 3:
		b.op = PAGELAB_BUDDY_ALLOC;
		if (fz_pct(p, 40))
			b.order = PAGELAB_BUDDY_MAX_ORDER + 1 + fz_below(p, 100);
		else if (fz_pct(p, 50))
			b.op = 3 + fz_below(p, 100);
		else
			b.flags = 2 + fz_below(p, 100);	/* a bit above NOWAIT */
		r = ioctl(p->dev, PAGELAB_IOC_BUDDY, &b);
		err = errno;
		fz_say(p, " junk op %u order %u flags %u -> %ld", b.op, b.order, b.flags, r);
		fz_must_fail(p, "BUDDY with a bad op, order or flags", r, err, EINVAL, 0);
		return r ? -err : 0;
	default:
		b.op = PAGELAB_BUDDY_FREE;
		b.handle = (1ULL << 32) + fz_rand(p);
		r = ioctl(p->dev, PAGELAB_IOC_BUDDY, &b);
		err = errno;
		fz_say(p, " free of handle %llu, never given -> %ld", (unsigned long long)b.handle,
		       r);
		fz_must_fail(p, "BUDDY free of a handle never given", r, err, ENOENT, 0);
		return r ? -err : 0;
	}
}

/*
 * PAGELAB_IOC_SLAB on the device: the file's cache made (once: EBUSY
 * after, also when a process sharing the fd made it), objects taken and
 * given back, shrinks, and bad requests.  Before any cache, the object ops
 * are EINVAL.
 */
int fz_op_slab(fz_proc *p)
{
	struct pagelab_slab s;
	long r;
	int err, i;

	if (p->dev < 0)
		return FZ_SKIP;
	memset(&s, 0, sizeof(s));
	if (p->unpriv) {
		s.op = PAGELAB_SLAB_ALLOC;
		r = ioctl(p->dev, PAGELAB_IOC_SLAB, &s);
		err = errno;
		fz_say(p, " as nobody -> %ld", r);
		fz_must_fail(p, "SLAB without CAP_SYS_ADMIN", r, err, EPERM, 0);
		return r ? -err : 0;
	}
	switch (fz_below(p, 6)) {
	case 0:
		s.op = PAGELAB_SLAB_CREATE;
		s.size = 1 + fz_below(p, PAGELAB_SLAB_MAX_SIZE);
		s.align = fz_pct(p, 50) ? 0 : 1U << fz_below(p, 13);
		r = ioctl(p->dev, PAGELAB_IOC_SLAB, &s);
		err = errno;
		fz_say(p, " create size %u align %u -> %ld %s", s.size, s.align, r, s.name);
		fz_must_ok(p, "SLAB create", r, err, EBUSY, ENOMEM, 0);
		return r ? -err : 0;
	case 1:
	case 2:
		if (p->nslab == FZ_MAX_BUDDY)
			return FZ_SKIP;
		s.op = PAGELAB_SLAB_ALLOC;
		r = ioctl(p->dev, PAGELAB_IOC_SLAB, &s);
		err = errno;
		fz_say(p, " alloc -> %ld handle %llu slab %#llx+%u", r,
		       (unsigned long long)s.handle, (unsigned long long)s.slab_pfn, s.offset);
		if (r) {
			fz_must_ok(p, "SLAB alloc", r, err, EINVAL, ENOMEM, ENOSPC, 0);
			return -err;
		}
		if (!s.handle || !s.size || s.offset + s.size > (4096U << s.slab_order))
			fz_fail(p, "SLAB alloc: handle %llu size %u at %u of a slab of order %u",
				(unsigned long long)s.handle, s.size, s.offset, s.slab_order);
		p->slab[p->nslab++] = s.handle;
		return 0;
	case 3:
		if (!p->nslab)
			return FZ_SKIP;
		i = (int)fz_below(p, (uint32_t)p->nslab);
		s.op = PAGELAB_SLAB_FREE;
		s.handle = p->slab[i];
		p->slab[i] = p->slab[--p->nslab];
		r = ioctl(p->dev, PAGELAB_IOC_SLAB, &s);
		err = errno;
		fz_say(p, " free handle %llu -> %ld", (unsigned long long)s.handle, r);
		fz_must_ok(p, "SLAB free of an object taken", r, err, ENOENT, 0);
		return r ? -err : 0;
	case 4:
		s.op = PAGELAB_SLAB_SHRINK;
		r = ioctl(p->dev, PAGELAB_IOC_SLAB, &s);
		err = errno;
		fz_say(p, " shrink -> %ld", r);
		fz_must_ok(p, "SLAB shrink", r, err, EINVAL, 0);
		return r ? -err : 0;
	default:
		if (fz_pct(p, 30)) {
			s.op = PAGELAB_SLAB_CREATE;
			s.size = fz_pct(p, 50) ? 0 : PAGELAB_SLAB_MAX_SIZE + 1 + fz_below(p, 1000);
		} else if (fz_pct(p, 40)) {
			s.op = PAGELAB_SLAB_CREATE;
			s.size = 64;
			s.align = 3 + 2 * fz_below(p, 1000);
		} else if (fz_pct(p, 50)) {
			s.op = 5 + fz_below(p, 100);
		} else {
			s.op = PAGELAB_SLAB_ALLOC;
			s.pad = 1 + fz_below(p, 100);
		}
		r = ioctl(p->dev, PAGELAB_IOC_SLAB, &s);
		err = errno;
		fz_say(p, " junk op %u size %u align %u pad %u -> %ld", s.op, s.size, s.align,
		       s.pad, r);
		fz_must_fail(p, "SLAB with a bad op, size, alignment or pad", r, err, EINVAL, 0);
		return r ? -err : 0;
	}
}

/* PAGELAB_IOC_PHYSMAP: ranges anywhere, buffers good and bad; every byte a known kind. */
int fz_op_physmap(fz_proc *p)
{
	static unsigned char buf[8192];
	struct pagelab_physmap m;
	bool good = true;
	long r;
	int err;

	if (p->dev < 0)
		return FZ_SKIP;
	memset(&m, 0, sizeof(m));
	m.start_pfn = fz_pct(p, 80) ? fz_below(p, 1U << 20) : (uint64_t)fz_below(p, 1U << 31) << 21;
	m.count = 1 + fz_below(p, sizeof(buf));
	m.buf = (uintptr_t)buf;
	if (fz_pct(p, 15)) {
		good = false;
		switch (fz_below(p, 4)) {
		case 0: m.count = fz_pct(p, 50) ? 0 : PAGELAB_PHYSMAP_MAX + 1; break;
		case 1: m.flags = 1U << fz_below(p, 32); break;
		case 2: m.start_pfn = (1ULL << 52) - fz_below(p, 4); m.count = 8; break;
		default: m.buf = fz_pct(p, 50) ? 0 : (uintptr_t)-4096; break;
		}
	}
	r = ioctl(p->dev, PAGELAB_IOC_PHYSMAP, &m);
	err = errno;
	fz_say(p, " start %#llx count %llu%s -> %ld", (unsigned long long)m.start_pfn,
	       (unsigned long long)m.count, good ? "" : " (junk)", r);
	if (p->unpriv) {
		fz_must_fail(p, "PHYSMAP without CAP_SYS_ADMIN", r, err, EPERM, 0);
		return r ? -err : 0;
	}
	if (!good) {
		fz_must_fail(p, "PHYSMAP with a bad range, flags or buffer", r, err, EINVAL, EFAULT, 0);
		return r ? -err : 0;
	}
	fz_must_ok(p, "PHYSMAP", r, err, 0);
	for (uint64_t i = 0; !r && i < m.count; i++)
		if ((buf[i] & PAGELAB_PHYS_KIND_MASK) >= PAGELAB_PHYS_KINDS ||
		    ((buf[i] & PAGELAB_PHYS_KIND_MASK) != PAGELAB_PHYS_FREE &&
		     buf[i] >> PAGELAB_PHYS_ORDER_SHIFT) ||
		    buf[i] >> PAGELAB_PHYS_ORDER_SHIFT > PAGELAB_BUDDY_MAX_ORDER) {
			fz_fail(p, "PHYSMAP byte %#x for frame %#llx", buf[i],
				(unsigned long long)(m.start_pfn + i));
			break;
		}
	return r ? -err : 0;
}
