// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab-fuzz: the other ops: frame budgets (PAGELAB_IOC_REPLACE) with
 * the module's store and backing files of every kind, truncating a backing
 * file in use, fork, reads of a waiting parent's memory, the debugfs walk
 * (good and junk requests), debugfs and /proc reads, object fds passed over
 * a unix socket, and vmsplice of mapped pages into pipes.  What goes
 * through get_user_pages() may fail on a huge object's (VM_PFNMAP) mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"
#include "pl_scan.h"
#include "pl_walk.h"

/* ---- backing files ------------------------------------------------------------------ */

static const char *const fz_store_names[ST_NR] = {
	[ST_GOOD] = "file", [ST_BIG] = "larger file", [ST_TMPFILE] = "O_TMPFILE file",
	[ST_MEMFD] = "memfd", [ST_APPEND] = "O_APPEND file", [ST_RDONLY] = "read-only fd",
	[ST_WRONLY] = "write-only fd", [ST_DIR] = "directory", [ST_FIFO] = "FIFO",
	[ST_SMALL] = "too-small file", [ST_OTHERW] = "others-writable file",
	[ST_SETUID] = "setuid file", [ST_DEVNULL] = "/dev/null", [ST_SOCKET] = "socket",
	[ST_OBJFD] = "pagelab object fd", [ST_BADFD] = "closed fd",
};

/* The errno a bad store must get (0: a good one). */
static int fz_store_errno(enum fz_store_kind k)
{
	switch (k) {
	case ST_APPEND: case ST_FIFO: case ST_DEVNULL: case ST_SOCKET: case ST_OBJFD:
		return EINVAL;
	case ST_RDONLY: case ST_WRONLY: case ST_DIR: case ST_BADFD:
		return EBADF;
	case ST_SMALL:
		return ENOSPC;
	case ST_OTHERW: case ST_SETUID:
		return EPERM;
	default:
		return 0;
	}
}

static const char *fz_store_dir(fz_proc *p)
{
	return fzo.scratch && fz_pct(p, 60) ? fzo.scratch : "/tmp";
}

/*
 * A new file of @size bytes and mode 0600 in a store directory, opened
 * @oflags: its fd; its path in @path.
 */
static int fz_new_file(fz_proc *p, off_t size, int oflags, mode_t mode, char *path, size_t len)
{
	static unsigned int seq;
	int fd;

	snprintf(path, len, "%s/pagelab-fuzz-%d-%u", fz_store_dir(p), (int)getpid(), ++seq);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, size) || fchmod(fd, mode)) {
		close(fd);
		unlink(path);
		return -1;
	}
	if ((oflags & O_ACCMODE) == O_RDWR && !(oflags & O_APPEND))
		return fd;
	close(fd);
	fd = open(path, oflags | O_CLOEXEC);
	return fd;
}

/* A backing file for an object of @npages pages, kept for reuse and truncation. */
static struct fz_store *fz_good_store(fz_proc *p, enum fz_store_kind kind, uint32_t npages)
{
	struct fz_store *s;
	off_t size = (off_t)npages * FZ_PS;

	/* Reuse one (it may back another object: EBUSY), or make one. */
	if (p->nstores && fz_pct(p, 40)) {
		s = &p->stores[fz_below(p, (uint32_t)p->nstores)];
		if (s->pages >= npages)
			return s;
	}
	if (p->nstores == FZ_MAX_STORES) {
		s = &p->stores[0];
		close(s->fd);
		if (s->owner == getpid() && s->path[0])
			unlink(s->path);
		*s = p->stores[--p->nstores];
	}
	s = &p->stores[p->nstores];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->backs = -1;
	s->owner = getpid();
	if (kind == ST_BIG)
		size += (off_t)(1 + fz_below(p, 8)) * FZ_PS;
	switch (kind) {
	case ST_TMPFILE:
		s->fd = open(fz_store_dir(p), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (s->fd >= 0 && ftruncate(s->fd, size)) {
			close(s->fd);
			s->fd = -1;
		}
		break;
	case ST_MEMFD:
		s->fd = memfd_create("pagelab-fuzz", MFD_CLOEXEC);
		if (s->fd >= 0 && (fchmod(s->fd, 0600) || ftruncate(s->fd, size))) {
			close(s->fd);
			s->fd = -1;
		}
		break;
	default:
		s->fd = fz_new_file(p, size, O_RDWR, 0600, s->path, sizeof(s->path));
		break;
	}
	if (s->fd < 0)
		return NULL;
	s->pages = (uint32_t)(size / (off_t)FZ_PS);
	p->nstores++;
	return s;
}

/* A store the module must refuse: its fd (*@tmp: close it after), -1 for a failure. */
static int fz_bad_store(fz_proc *p, enum fz_store_kind kind, uint32_t npages, bool *tmp,
			char *path, size_t len)
{
	off_t size = (off_t)npages * FZ_PS;
	int fd = -1, i;

	*tmp = true;
	path[0] = '\0';
	switch (kind) {
	case ST_APPEND:
		fd = fz_new_file(p, size, O_RDWR | O_APPEND, 0600, path, len);
		break;
	case ST_RDONLY:
		fd = fz_new_file(p, size, O_RDONLY, 0600, path, len);
		break;
	case ST_WRONLY:
		fd = fz_new_file(p, size, O_WRONLY, 0600, path, len);
		break;
	case ST_DIR:
		fd = open(fz_store_dir(p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	case ST_FIFO:
		snprintf(path, len, "/tmp/pagelab-fuzz-fifo-%d", (int)getpid());
		unlink(path);
		if (!mkfifo(path, 0600))
			fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		break;
	case ST_SMALL:
		fd = fz_new_file(p, size - 1 - (off_t)fz_below(p, FZ_PS), O_RDWR, 0600, path, len);
		break;
	case ST_OTHERW:
		fd = fz_new_file(p, size, O_RDWR, 0606, path, len);
		break;
	case ST_SETUID:
		fd = fz_new_file(p, size, O_RDWR, 04600, path, len);
		break;
	case ST_DEVNULL:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	case ST_SOCKET:
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	case ST_OBJFD:
		i = fz_pick_fd(p, true);
		if (i >= 0) {
			*tmp = false;
			fd = p->fds[i].fd;
		}
		break;
	default:
		fd = 900 + (int)fz_below(p, 100);
		while (fcntl(fd, F_GETFD) >= 0)
			fd++;
		*tmp = false;
		break;
	}
	return fd;
}

/* Over 100 lines on purpose, as fz_op_walk(): one op's variants in one switch. */
int fz_op_replace(fz_proc *p)
{
	struct pagelab_replace r, *arg = &r;
	int i = fz_pick_fd(p, false), slot, fd, e = 0, err, sfd = -1;
	bool junk = fz_pct(p, 10), tmp = false, use_file;
	enum fz_store_kind kind = ST_GOOD;
	struct fz_store *store = NULL;
	const char *what = NULL;
	char path[200] = "";
	uint32_t npages;
	long ret;

	if (i < 0)
		return FZ_SKIP;
	slot = p->fds[i].slot;
	fd = p->fds[i].fd;
	npages = fz_obj(slot)->npages;
	memset(&r, 0, sizeof(r));
	r.budget = fz_pct(p, 20) ? 0 : 1 + fz_below(p, npages);
	r.policy = 1 + fz_below(p, PAGELAB_POLICY_MAX);
	if (fz_pct(p, 25))
		r.flags |= PAGELAB_REPLACE_EXACT;
	if (fz_pct(p, 20))
		r.flags |= PAGELAB_REPLACE_NO_ZERO;
	r.pagein_delay_ms = fz_pct(p, 6) ? 1 + fz_below(p, 5) : 0;
	r.seed = fz_rand(p);
	use_file = !fzo.no[FZ_F_FILE] && fz_pct(p, 45);
	if (use_file) {
		kind = fz_pct(p, 60) ? (enum fz_store_kind)fz_below(p, ST_MEMFD + 1) :
				       (enum fz_store_kind)fz_below(p, ST_NR);
		if (!fz_store_errno(kind)) {
			store = fz_good_store(p, kind, npages);
			if (!store)
				return -errno;
			sfd = store->fd;
		} else {
			sfd = fz_bad_store(p, kind, npages, &tmp, path, sizeof(path));
			if (sfd < 0)
				return kind == ST_OBJFD ? FZ_SKIP : -errno;
		}
		r.flags |= PAGELAB_REPLACE_FILE;
		r.store_fd = sfd;
	}
	if (junk) {
		switch (fz_below(p, 6)) {
		case 0:
			what = "unknown flag";
			r.flags |= 1ULL << (3 + fz_below(p, 61));
			e = EINVAL;
			break;
		case 1:
			what = "budget over the size";
			r.budget = npages + 1 + fz_below(p, 100);
			e = EINVAL;
			break;
		case 2:
			what = "delay over the limit";
			r.pagein_delay_ms = PAGELAB_PAGEIN_DELAY_MAX_MS + 1 + fz_below(p, 1000);
			e = EINVAL;
			break;
		case 3:
			what = "bad policy";
			r.budget = 1 + fz_below(p, npages);
			r.policy = fz_pct(p, 50) ? 0 : PAGELAB_POLICY_MAX + 1 + fz_below(p, 100);
			e = EINVAL;
			break;
		case 4:
			what = "store_fd without the file flag";
			r.flags &= ~PAGELAB_REPLACE_FILE;
			r.store_fd = 1 + (int)fz_below(p, 100);
			e = EINVAL;
			break;
		default:
			what = "bad pointer";
			arg = (void *)p->none_page;
			e = EFAULT;
			break;
		}
	} else if (use_file && r.budget && fz_store_errno(kind)) {
		what = fz_store_names[kind];
		e = fz_store_errno(kind);
	}
	/* No write access: refused before anything else. */
	if (p->fds[i].rdonly) {
		what = "on a read-only fd";
		e = EPERM;
	}
	fz_say(p, " slot %d fd %d budget %u/%u policy %u flags %llx delay %u%s%s%s%s", slot, fd,
	       r.budget, npages, r.policy, (unsigned long long)r.flags, r.pagein_delay_ms,
	       use_file ? " store " : "", use_file ? fz_store_names[kind] : "",
	       what ? " junk: " : "", what ? what : "");
	/* From here a fault may take SIGBUS: the budget may be in force. */
	if (r.budget && !e)
		__atomic_fetch_or(&fz_obj(slot)->flags, FZ_OBJ_BUDGET, __ATOMIC_SEQ_CST);
	ret = ioctl(fd, PAGELAB_IOC_REPLACE, arg);
	err = errno;
	if (tmp && sfd >= 0)
		close(sfd);
	if (path[0])
		unlink(path);
	if (e) {
		char msg[128];

		snprintf(msg, sizeof(msg), "PAGELAB_IOC_REPLACE %s", what);
		fz_must_fail(p, msg, ret, err, e, 0);
	} else if (ret == 0 && store && r.budget) {
		store->backs = slot;
	}
	return ret < 0 ? -err : 0;
}

int fz_op_truncate(fz_proc *p)
{
	struct fz_store *s;
	off_t size;

	if (!p->nstores)
		return FZ_SKIP;
	s = &p->stores[fz_below(p, (uint32_t)p->nstores)];
	if (s->backs < 0)
		return FZ_SKIP;
	size = (off_t)fz_below(p, s->pages) * (off_t)FZ_PS + (off_t)fz_below(p, FZ_PS);
	fz_say(p, " store of slot %d (%s) to %lld bytes", s->backs, fz_store_names[s->kind],
	       (long long)size);
	/* Behind the module's back: what was stored may be lost (SIGBUS, or zeros). */
	__atomic_fetch_or(&fz_obj(s->backs)->flags, FZ_OBJ_LOSSY, __ATOMIC_SEQ_CST);
	if (ftruncate(s->fd, size))
		return -errno;
	if (fz_pct(p, 50) && ftruncate(s->fd, (off_t)s->pages * FZ_PS))
		return -errno;
	return 0;
}

/* ---- fork ----------------------------------------------------------------------------- */

static void fz_child(fz_proc *p, uint64_t seed, bool async, bool unpriv, uint64_t nops,
		     pid_t parent)
{
	char name[sizeof(p->name)];
	uintptr_t cut[FZ_MAX_MAPS * FZ_MAP_PAGES];
	int ncut = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	snprintf(name, sizeof(name), "%.24s.%c%u", p->name, async ? 'a' : 's', p->kid_seq % 1000u);
	memcpy(p->name, name, sizeof(name));
	p->rng = seed;
	p->depth++;
	p->async = async;
	p->op = 0;
	p->nkids = 0;
	p->kid_seq = 0;
	p->ent = NULL;
	p->parent = parent;
	if (async)
		p->token = -1;
	/* The parent's table as of the fork: what its memory holds while it waits. */
	p->parent_maps = malloc(sizeof(p->maps));
	if (p->parent_maps) {
		memcpy(p->parent_maps, p->maps, sizeof(p->maps));
		p->parent_nmaps = p->nmaps;
	}
	/* MADV_DONTFORK pages are not here. */
	for (int i = 0; i < p->nmaps; i++)
		for (uint32_t k = 0; k < p->maps[i].npages; k++)
			if (p->maps[i].dontfork[k])
				cut[ncut++] = (uintptr_t)p->maps[i].addr + (size_t)k * FZ_PS;
	for (int i = 0; i < ncut; i++)
		fz_forget_range(p, cut[i], FZ_PS);
	/*
	 * Backing files stay with the process that made them: only it knows
	 * which object each one was given to, so only it may truncate one.
	 */
	for (int i = 0; i < p->nstores; i++)
		close(p->stores[i].fd);
	p->nstores = 0;
	/*
	 * Pipes the parent filled from its private pages: what they hold may
	 * come from the parent's private writes after the fork, which this
	 * process's counter never saw (seed 211288584: gen 76 of the
	 * parent's); they are read, not checked.
	 */
	for (int i = 0; i < p->nspl; i++)
		if (p->spl[i].priv)
			p->spl[i].junk = true;
	/* Files whose offset or answer the parent shares: our own. */
	if (p->walkfd >= 0)
		close(p->walkfd);
	p->walkfd = -1;
	close(p->tmpfd);
	p->tmpfd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (unpriv) {
		p->unpriv = true;
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(3);
	}
	fz_run(p, nops);
	fz_proc_end(p);
	_exit(p->failed ? 1 : 0);
}

int fz_op_fork(fz_proc *p)
{
	bool async = fz_pct(p, 40), unpriv;
	uint64_t seed = fz_rand(p), nops;
	pid_t parent = getpid(), pid;
	int st;

	if (p->depth >= FZ_MAX_DEPTH)
		return FZ_SKIP;
	if (async && p->nkids >= FZ_MAX_KIDS)
		async = false;
	nops = 5 + fz_below(p, async ? 25 : 35);
	unpriv = async && !p->unpriv && fz_pct(p, 25);
	p->kid_seq++;
	fz_say(p, " %s child %s.%c%u, %" PRIu64 " ops%s", async ? "async" : "sync", p->name,
	       async ? 'a' : 's', p->kid_seq % 1000u, nops, unpriv ? ", as nobody" : "");
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		fz_child(p, seed, async, unpriv, nops, parent);
	FZ_ADD(fz->forks, 1);
	fz_say(p, " pid %d", (int)pid);
	if (async) {
		p->kids[p->nkids++] = pid;
		return 0;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		p->failed = true;	/* it said why */
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		fz_fail(p, "sync child %d ended %s %d", (int)pid,
			WIFSIGNALED(st) ? "by signal" : "with status",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return 0;
}

int fz_op_remote_read(fz_proc *p)
{
	const struct fz_map *m;
	uint32_t first, n;

	if (!p->parent || !p->parent_maps || !p->parent_nmaps)
		return FZ_SKIP;
	m = &p->parent_maps[fz_below(p, (uint32_t)p->parent_nmaps)];
	first = fz_below(p, m->npages);
	n = 1 + fz_below(p, m->npages - first < 4 ? m->npages - first : 4);
	fz_say(p, " parent %d %p pages %u+%u%s", (int)p->parent, (void *)m->addr, first, n,
	       p->async ? " (unchecked: it runs on)" : "");
	/* An async child's parent goes on changing its mappings: read, judge nothing. */
	return fz_read_remote(p, p->parent, m, first, n, fz_pct(p, 50) ? TM_PROCMEM : TM_VMRW,
			      p->async);
}

/* ---- the walk ----------------------------------------------------------------------------- */

static int fz_walk_fd(fz_proc *p)
{
	if (p->walkfd < 0 || fz_pct(p, 5)) {
		if (p->walkfd >= 0)
			close(p->walkfd);
		p->walkfd = pl_walk_open();
	}
	return p->walkfd;
}

/*
 * Over 100 lines on purpose: one op's variants (good requests of every
 * shape, junk ones) as the cases of one switch, so their expectations read
 * side by side, as every fz_op_*() does.
 */
int fz_op_walk(fz_proc *p)
{
	char req[160], *ans = NULL;
	size_t cap = 0;
	int fd = fz_walk_fd(p), ret, want_slot = -1;
	bool must = true, one = false, range = false, json = fz_pct(p, 12);
	int allow = ENOMEM;
	uintptr_t addr = 0;

	if (fd < 0)
		return fd;
	switch (fz_below(p, 7)) {
	case 0:
	case 1:
		if (p->nmaps) {
			const struct fz_map *m = &p->maps[fz_below(p, (uint32_t)p->nmaps)];

			addr = (uintptr_t)m->addr + (size_t)fz_below(p, m->npages) * FZ_PS +
			       fz_below(p, FZ_PS);
			want_slot = m->slot;
		} else {
			addr = (uintptr_t)p->buf;
		}
		snprintf(req, sizeof(req), "%d 0x%lx", (int)getpid(), (unsigned long)addr);
		one = true;
		break;
	case 2:
		if (p->nmaps) {
			const struct fz_map *m = &p->maps[fz_below(p, (uint32_t)p->nmaps)];

			snprintf(req, sizeof(req), "%d 0x%lx 0x%lx", (int)getpid(),
				 (unsigned long)m->addr,
				 (unsigned long)(m->addr + (size_t)m->npages * FZ_PS));
		} else {
			snprintf(req, sizeof(req), "%d 0x%lx 0x%lx", (int)getpid(),
				 (unsigned long)p->buf, (unsigned long)(p->buf + 64 * FZ_PS));
		}
		range = true;
		break;
	case 3: {
		uintptr_t pick[] = { (uintptr_t)req, (uintptr_t)p, (uintptr_t)&fz_op_walk, 0x1000,
				     (uintptr_t)fz, (uintptr_t)p->ro_page, (uintptr_t)p->none_page };

		addr = pick[fz_below(p, sizeof(pick) / sizeof(pick[0]))];
		snprintf(req, sizeof(req), "%d 0x%lx", (int)getpid(), (unsigned long)addr);
		one = true;
		break;
	}
	case 4: {
		pid_t who = fz->pids[fz_below(p, (uint32_t)fz->nprocs)];

		if (p->parent && fz_pct(p, 50))
			who = p->parent;
		addr = (uintptr_t)p->maps[0].addr;
		if (!p->nmaps || fz_pct(p, 30))
			addr = 0x7f0000000000UL + ((uintptr_t)fz_below(p, 1u << 30) << 12);
		if (fz_pct(p, 50))
			snprintf(req, sizeof(req), "%d 0x%lx", (int)who, (unsigned long)addr);
		else
			snprintf(req, sizeof(req), "%d 0x%lx 0x%lx", (int)who, (unsigned long)addr,
				 (unsigned long)(addr + (1 + fz_below(p, 512)) * FZ_PS));
		must = false;	/* it may have exited, or be another user */
		break;
	}
	case 5:
		addr = fzo.direct_map_base + (((uint64_t)fz_below(p, 1u << 30)) & ~7ULL);
		if (fz_pct(p, 30))
			addr = 0xffff800000000000ULL | (fz_rand(p) & 0x00007ffffffff000ULL);
		snprintf(req, sizeof(req), "kernel 0x%lx", (unsigned long)addr);
		one = true;
		must = false;
		break;
	default:
		/* A long range, mostly holes. */
		addr = 0x400000UL * (1 + fz_below(p, 64));
		snprintf(req, sizeof(req), "%d 0x%lx 0x%lx", (int)getpid(), (unsigned long)addr,
			 (unsigned long)(addr + ((uint64_t)1 + fz_below(p, 1u << 20)) * FZ_PS));
		allow = E2BIG;
		range = true;
		break;
	}
	if (json)
		strcat(req, " json");
	fz_say(p, " \"%s\"", req);
	ret = pl_walk_send(fd, req);
	if (json) {
		/* The kernel makes no JSON (pagelab walk --json does): refused, always. */
		if (ret != -EINVAL)
			fz_fail(p, "walk \"%s\": %s, want EINVAL (no JSON from the kernel)", req,
				ret ? strerror(-ret) : "answered");
		return ret;
	}
	if (ret) {
		if (must && !p->unpriv)
			fz_must_ok(p, "a walk request of this process", -1, -ret, allow, ENOMEM, 0);
		return ret;
	}
	ret = pl_walk_recv_alloc(fd, &ans, &cap);
	if (ret) {
		free(ans);
		return ret;
	}
	fz_say(p, " -> %zu bytes", strlen(ans));
	if (one && must) {
		struct pl_walk_result *w = malloc(sizeof(*w));

		if (w && pl_walk_parse(ans, w))
			fz_fail(p, "walk \"%s\": the answer does not parse (%s): %.300s", req, w->err,
				ans);
		else if (w && want_slot >= 0) {
			char want[40];

			snprintf(want, sizeof(want), "pagelab:%llu",
				 (unsigned long long)FZ_LD(fz_obj(want_slot)->id));
			if (!w->has_vma || strcmp(w->vma_backing, want))
				fz_fail(p, "walk of %p, in our mapping of object %s, names the VMA "
					"backing \"%s\"", (void *)addr, want,
					w->has_vma ? w->vma_backing : "(no vma)");
		}
		free(w);
	} else if (range && strncmp(ans, "error", 5)) {
		struct pl_walk_range r;
		struct pl_walk_run run;
		int k = pl_walk_range_begin(&r, ans);

		if (!k) {
			do
				k = pl_walk_range_next(&r, &run);
			while (k == 1);
		}
		if (k)
			fz_fail(p, "walk \"%s\": the range answer does not parse (%s)", req, r.err);
	}
	/* Odd reads of the same answer. */
	if (fz_pct(p, 20)) {
		char small[7];

		lseek(fd, (off_t)fz_below(p, (uint32_t)strlen(ans) + 10), SEEK_SET);
		while (read(fd, small, sizeof(small)) > 0)
			;
	}
	free(ans);
	return 0;
}

/* ---- the walk as a structure -------------------------------------------------------------- */

/*
 * PAGELAB_IOC_WALK of an address in one of our mappings, of another
 * process, of the kernel, or with a bad field (into read-only or PROT_NONE
 * memory too).  A good answer must be well formed: at most
 * PAGELAB_WALK_MAX_ENTRIES entries, levels the tools know, and a leaf or
 * a reason.
 */
int fz_op_walk_ioctl(fz_proc *p)
{
	struct pagelab_walk *k = (struct pagelab_walk *)p->buf2, *arg = k;
	bool must = true, bad = false, bad_ptr = false;
	struct pl_walk_result *w;
	int ret, err;

	if (p->dev < 0)
		return -EBADF;
	memset(k, 0, sizeof(*k));
	switch (fz_below(p, 5)) {
	case 0:
	case 1:
		k->addr = p->nmaps ? (uintptr_t)p->maps[fz_below(p, (uint32_t)p->nmaps)].addr :
				     (uintptr_t)p->buf;
		k->addr += fz_below(p, FZ_PS);
		break;
	case 2:
		k->pid = fz->pids[fz_below(p, (uint32_t)fz->nprocs)];
		k->addr = 0x7f0000000000UL + ((uint64_t)fz_below(p, 1u << 24) << 12);
		must = false;	/* it may have exited, or be another user */
		break;
	case 3:
		k->flags = PAGELAB_WALK_KERNEL;
		k->addr = 0xffff888000000000ULL + ((uint64_t)fz_below(p, 1u << 20) << 12);
		must = !p->unpriv;
		break;
	default:
		bad = true;
		k->addr = (uintptr_t)p->buf;
		switch (fz_below(p, 6)) {
		case 0: k->flags = 1u << (1 + fz_below(p, 31)); break;
		case 1: k->addr = 0x8000000000000000ULL; break;
		case 2: k->flags = PAGELAB_WALK_KERNEL; break;
		case 3: k->pid = -1 - (int32_t)fz_below(p, 100); break;
		case 4: arg = (struct pagelab_walk *)(fz_pct(p, 50) ? p->ro_page : p->none_page);
			bad_ptr = true;
			break;
		default: k->flags = PAGELAB_WALK_KERNEL; k->pid = 1;
			k->addr = 0xffff888000000000ULL; break;
		}
		break;
	}
	fz_say(p, " pid %d addr 0x%llx flags 0x%x%s", (int)k->pid, (unsigned long long)k->addr,
	       k->flags, bad ? " (bad)" : "");
	ret = ioctl(p->dev, PAGELAB_IOC_WALK, arg) ? -errno : 0;
	err = -ret;
	if (bad_ptr) {
		/* What the read-only page holds is read as the request first. */
		fz_must_fail(p, "a walk into read-only or PROT_NONE memory", ret ? -1 : 0, err,
			     EFAULT, EINVAL, ESRCH, EPERM, EACCES, 0);
		return ret;
	}
	if (bad) {
		fz_must_fail(p, "a walk with a bad field", ret ? -1 : 0, err, EINVAL, 0);
		return ret;
	}
	if (ret) {
		if (must && !p->unpriv)
			fz_must_ok(p, "a walk of this process", -1, err, ENOMEM, EINTR, 0);
		return ret;
	}
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (pl_walk_from_struct(k, k->flags & PAGELAB_WALK_KERNEL, k->pid, w) ||
	    (!w->has_leaf && !w->absent_reason[0]))
		fz_fail(p, "walk of 0x%llx: a malformed answer (%s; %u entries, found 0x%x)",
			(unsigned long long)k->addr, w->err, k->nentries, k->found);
	free(w);
	return 0;
}

/* ---- the binary scan ---------------------------------------------------------------------- */

/*
 * PAGELAB_IOC_SCAN over one of our mappings, another process, a long
 * range of holes, or with a bad field; a good answer must be well formed:
 * at most max_runs runs, in order, inside [start, walk_end), and a run of
 * an object in one of our mappings names that object.
 *
 * Over 100 lines on purpose, as fz_op_walk().
 */
int fz_op_scan(fz_proc *p)
{
	static const uint64_t cats[] = {
		0, PAGELAB_SCAN_PRESENT, PAGELAB_SCAN_OBJECT, PAGELAB_SCAN_ZERO | PAGELAB_SCAN_COW,
		PAGELAB_SCAN_STORED | PAGELAB_SCAN_SWAP, PAGELAB_SCAN_ALL,
	};
	struct pagelab_scan_run *runs = (struct pagelab_scan_run *)p->buf2;
	const uint32_t room = (uint32_t)((size_t)FZ_MAP_PAGES * FZ_PS / sizeof(*runs));
	struct pagelab_scan s = { .size = sizeof(s) };
	const struct fz_map *m = NULL;
	bool must = true, bad = false;
	int ret, err;

	if (p->dev < 0)
		return -EBADF;
	s.max_runs = 1 + fz_below(p, fz_pct(p, 50) ? 4 : room);
	s.runs = (uintptr_t)runs;
	s.required = fz_pct(p, 70) ? 0 : cats[fz_below(p, 6)];
	s.any = fz_pct(p, 70) ? 0 : cats[fz_below(p, 6)];
	s.excluded = fz_pct(p, 70) ? 0 : cats[fz_below(p, 6)];
	s.max_pages = fz_pct(p, 80) ? 0 : 1 + fz_below(p, 64);
	s.flags = fz_pct(p, 20) ? PAGELAB_SCAN_F_NO_PFN : 0;
	switch (fz_below(p, 5)) {
	case 0:
	case 1:
		if (p->nmaps) {
			m = &p->maps[fz_below(p, (uint32_t)p->nmaps)];
			s.start = (uintptr_t)m->addr;
			s.end = (uintptr_t)m->addr + (size_t)m->npages * FZ_PS;
		} else {
			s.start = (uintptr_t)p->buf;
			s.end = s.start + 64 * FZ_PS;
		}
		break;
	case 2:
		s.pid = fz->pids[fz_below(p, (uint32_t)fz->nprocs)];
		if (p->parent && fz_pct(p, 50))
			s.pid = p->parent;
		s.start = 0x7f0000000000UL + ((uint64_t)fz_below(p, 1u << 24) << 12);
		s.end = s.start + ((uint64_t)1 + fz_below(p, 1u << 16)) * FZ_PS;
		must = false;	/* it may have exited, or be another user */
		break;
	case 3:
		/* A long range, mostly holes. */
		s.start = 0x400000UL * (1 + fz_below(p, 64));
		s.end = s.start + ((uint64_t)1 + fz_below(p, 1u << 26)) * FZ_PS;
		break;
	default:
		s.start = (uintptr_t)p->buf;
		s.end = s.start + 64 * FZ_PS;
		bad = true;
		switch (fz_below(p, 8)) {
		case 0: s.size--; break;
		case 1: s.flags = 1u << fz_below(p, 32) | 2; break;
		case 2: s.max_runs = fz_pct(p, 50) ? 0 : PAGELAB_SCAN_MAX_RUNS + 1; break;
		case 3: s.start += 1 + fz_below(p, FZ_PS - 1); break;
		case 4: s.end = s.start - FZ_PS * fz_below(p, 2); break;
		case 5: /* A category past the last one this module knows. */
			s.required = (PAGELAB_SCAN_ALL + 1) <<
				     fz_below(p, (uint32_t)__builtin_clzll(PAGELAB_SCAN_ALL));
			break;
		case 6: s.runs = fz_pct(p, 50) ? (uintptr_t)p->ro_page : (uintptr_t)p->none_page;
			break;
		default: s.end = 0xffff800000000000ULL + FZ_PS; break;
		}
		break;
	}
	fz_say(p, " pid %d [0x%llx, 0x%llx) max_runs %u%s", (int)s.pid,
	       (unsigned long long)s.start, (unsigned long long)s.end, s.max_runs,
	       bad ? " (bad)" : "");
	ret = pl_scan(p->dev, &s);
	err = -ret;
	if (bad) {
		/* A read-only or PROT_NONE array is only hit if a run is found. */
		if (!ret && (s.runs == (uintptr_t)p->ro_page || s.runs == (uintptr_t)p->none_page))
			return 0;
		fz_must_fail(p, "a scan with a bad field", ret ? -1 : 0, err, EINVAL, EFAULT, 0);
		return ret;
	}
	if (ret) {
		if (must && !p->unpriv)
			fz_must_ok(p, "a scan of this process", -1, err, ENOMEM, EINTR, 0);
		return ret;
	}
	if (s.nr_runs > s.max_runs || s.walk_end <= s.start || s.walk_end > s.end)
		fz_fail(p, "scan [0x%llx, 0x%llx): %u runs of %u, walk_end 0x%llx",
			(unsigned long long)s.start, (unsigned long long)s.end, s.nr_runs,
			s.max_runs, (unsigned long long)s.walk_end);
	for (uint32_t k = 0; k < s.nr_runs && k < s.max_runs; k++) {
		const struct pagelab_scan_run *r = &runs[k];

		if (!r->pages || r->start < s.start ||
		    r->start + r->pages * FZ_PS > s.walk_end ||
		    (k && runs[k - 1].start + runs[k - 1].pages * FZ_PS > r->start)) {
			fz_fail(p, "scan run %u [0x%llx +%llu pages] outside [0x%llx, 0x%llx) or "
				"out of order", k, (unsigned long long)r->start,
				(unsigned long long)r->pages, (unsigned long long)s.start,
				(unsigned long long)s.walk_end);
			break;
		}
		if (m && !s.pid && (r->categories & PAGELAB_SCAN_OBJECT) &&
		    r->object != FZ_LD(fz_obj(m->slot)->id)) {
			fz_fail(p, "scan run %u in our mapping of object %llu names object %llu", k,
				(unsigned long long)FZ_LD(fz_obj(m->slot)->id),
				(unsigned long long)r->object);
			break;
		}
	}
	fz_say(p, " -> %u runs, walk_end 0x%llx", s.nr_runs, (unsigned long long)s.walk_end);
	return 0;
}

int fz_op_walk_junk(fz_proc *p)
{
	char req[300], ans[256];
	int fd = fz_walk_fd(p), n, me = (int)getpid(), err;
	const char *buf = req;
	ssize_t r;
	size_t len;

	if (fd < 0)
		return fd;
	switch (fz_below(p, 20)) {
	case 0: req[0] = '\0'; break;
	case 1: strcpy(req, " \t\n"); break;
	case 2: strcpy(req, "abc"); break;
	case 3: strcpy(req, "0 0x1000"); break;
	case 4: strcpy(req, "-1 0x1000"); break;
	case 5: strcpy(req, "99999999 0x1000"); break;
	case 6: snprintf(req, sizeof(req), "%d", me); break;
	case 7: snprintf(req, sizeof(req), "%d 0x1000 0x2000 0x3000", me); break;
	case 8: snprintf(req, sizeof(req), "%d zz", me); break;
	case 9: snprintf(req, sizeof(req), "%d 0x1000 0x1000", me); break;
	case 10: snprintf(req, sizeof(req), "%d 0x200000 0x1000", me); break;
	case 11: snprintf(req, sizeof(req), "%d 0xffff888000000000", me); break;
	case 12: strcpy(req, "kernel 0x1000"); break;
	case 13: strcpy(req, "kernel 0xffff888000000000 0xffff888000001000"); break;
	case 14: strcpy(req, "kernel"); break;
	case 15: snprintf(req, sizeof(req), "%d 0 0x7ffffffff000", me); break;
	case 16: strcpy(req, "4194000 0x1000"); break;
	case 17:
		memset(req, '1', 200);
		req[200] = '\0';
		break;
	case 18:
		n = 1 + (int)fz_below(p, 100);
		for (int i = 0; i < n; i++)
			req[i] = (char)(0x80 | fz_below(p, 0x80));
		req[n] = '\0';
		break;
	default:
		buf = (const char *)p->none_page;
		strcpy(req, "(a PROT_NONE buffer)");
		break;
	}
	len = buf == req ? strlen(req) : 10;
	fz_say(p, " \"%.60s\"%s", req, strlen(req) > 60 ? "..." : "");
	lseek(fd, 0, SEEK_SET);
	r = write(fd, buf, len);
	err = errno;
	if (!len && r == 0)
		return 0;	/* an empty write is no request */
	{
		char msg[128];

		snprintf(msg, sizeof(msg), "walk request \"%.60s\"", req);
		fz_must_fail(p, msg, r, err, EINVAL, E2BIG, ESRCH, EFAULT, 0);
	}
	if (r < 0 && !pl_walk_recv(fd, ans, sizeof(ans)) && strncmp(ans, "error: ", 7))
		fz_fail(p, "after a refused walk request the answer is not an error: %.100s", ans);
	return r < 0 ? -err : 0;
}

/* ---- debugfs and /proc ------------------------------------------------------------------ */

static int fz_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (done < len - 1 && (n = read(fd, buf + done, len - 1 - done)) > 0)
		done += (size_t)n;
	close(fd);
	buf[done] = '\0';
	return 0;
}

int fz_op_debugfs(fz_proc *p)
{
	char *buf = (char *)p->buf2, *line, *save = NULL;
	size_t len = (size_t)FZ_MAP_PAGES * FZ_PS;
	int ret;

	switch (fz_below(p, 4)) {
	case 0:
		fz_say(p, " stats");
		ret = fz_read_file(PAGELAB_DEBUGFS "/stats", buf, len);
		if (!ret && !strstr(buf, "pages_held "))
			fz_fail(p, "debugfs stats has no pages_held line: %.200s", buf);
		return ret;
	case 1:
		fz_say(p, " objects");
		ret = fz_read_file(PAGELAB_DEBUGFS "/objects", buf, len);
		for (line = strtok_r(buf, "\n", &save); !ret && line;
		     line = strtok_r(NULL, "\n", &save)) {
			struct pagelab_obj_stat st;

			if (pl_obj_parse(line, &st)) {
				fz_fail(p, "debugfs objects: a line does not parse: %.300s", line);
				break;
			}
		}
		return ret;
	case 2:
		fz_say(p, " events");
		ret = fz_read_file(PAGELAB_DEBUGFS "/events", buf, len);
		for (line = strtok_r(buf, "\n", &save); !ret && line;
		     line = strtok_r(NULL, "\n", &save)) {
			struct pl_event ev;

			if (!strncmp(line, "obj=", 4) && pl_event_parse(line, &ev)) {
				fz_fail(p, "debugfs events: a line does not parse: %.300s", line);
				break;
			}
		}
		return ret;
	default:
		fz_say(p, " fail_sites");
		ret = fz_read_file(PAGELAB_DEBUGFS "/fail_sites", buf, len);
		return ret == -ENOENT ? FZ_SKIP : ret;
	}
}

int fz_op_pagemap(fz_proc *p)
{
	char path[64];
	int i = fz_pick_map(p);

	switch (fz_below(p, 3)) {
	case 0: {
		uint64_t e[FZ_MAP_PAGES];
		const struct fz_map *m;

		if (i < 0)
			return FZ_SKIP;
		m = &p->maps[i];
		fz_say(p, " pagemap of %p, %u pages", (void *)m->addr, m->npages);
		return pl_pagemap_range(0, (unsigned long)m->addr, m->npages, e);
	}
	case 1:
		fz_say(p, " /proc/self/smaps");
		return fz_read_file("/proc/self/smaps", (char *)p->buf2,
				    (size_t)FZ_MAP_PAGES * FZ_PS);
	default:
		snprintf(path, sizeof(path), "/proc/%d/smaps",
			 (int)fz->pids[fz_below(p, (uint32_t)fz->nprocs)]);
		fz_say(p, " %s", path);
		return fz_read_file(path, (char *)p->buf2, (size_t)FZ_MAP_PAGES * FZ_PS);
	}
}

/* ---- fds over a unix socket ------------------------------------------------------------- */

int fz_op_sendfd(fz_proc *p)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'f';
	struct iovec iov = { &c, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	int i = fz_pick_fd(p, false);

	if (i < 0)
		return FZ_SKIP;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p->fds[i].fd, sizeof(int));
	fz_say(p, " fd %d (slot %d)", p->fds[i].fd, p->fds[i].slot);
	if (sendmsg(p->sock[0], &mh, MSG_DONTWAIT) < 0)
		return -errno;
	/* Sometimes the only reference is the one in flight. */
	if (fz_pct(p, 30))
		fz_drop_fd(p, i);
	return 0;
}

int fz_op_recvfd(fz_proc *p)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct pagelab_obj_stat st;
	struct msghdr mh;
	struct cmsghdr *cm;
	int fd = -1, slot, fl;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(p->sock[1], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return errno == EAGAIN ? FZ_SKIP : -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd < 0)
		return FZ_SKIP;
	memset(&st, 0, sizeof(st));
	if (ioctl(fd, PAGELAB_IOC_OBJ_STAT, &st)) {
		int err = errno;

		fz_fail(p, "OBJ_STAT on an object fd received over a socket: %s",
			strerrorname_np(err) ?: "?");
		close(fd);
		return -err;
	}
	slot = fz_slot_find(st.id);
	fl = fcntl(fd, F_GETFL);
	fz_say(p, " fd %d id %llu slot %d", fd, (unsigned long long)st.id, slot);
	if (slot < 0 || p->nfds >= FZ_MAX_FDS) {
		close(fd);
		return 0;
	}
	fz_add_fd(p, fd, slot, (fl & O_ACCMODE) == O_RDONLY);
	return 0;
}

/* ---- vmsplice: pages referenced by a pipe --------------------------------------------------- */

int fz_op_splice(fz_proc *p)
{
	int i = fz_pick_map(p), pfd[2], err;
	struct fz_splice *s;
	struct fz_map *m;
	struct iovec iov;
	uint32_t k, n = 0;
	ssize_t r;

	if (i < 0)
		return FZ_SKIP;
	m = &p->maps[i];
	/*
	 * A pipe's reference keeps a frame from ever being a victim: with a
	 * small budget every other page then waits 800 ms and gets SIGBUS.
	 * Some of that, not all the time.
	 */
	if (fz_obj_budgeted(m->slot) && fz_pct(p, 75))
		return FZ_SKIP;
	k = fz_below(p, m->npages);
	while (k + n < m->npages && n < 4 && m->prot[k + n] & PROT_READ && !fz_past_end(m, k + n))
		n++;
	if (!n)
		return FZ_SKIP;
	if (p->nspl == FZ_MAX_SPLICE) {
		close(p->spl[0].rfd);
		close(p->spl[0].wfd);
		p->spl[0] = p->spl[--p->nspl];
	}
	if (pipe2(pfd, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	iov.iov_base = m->addr + (size_t)k * FZ_PS;
	iov.iov_len = (size_t)n * FZ_PS;
	fz_say(p, " %p pages %u+%u (slot %d %s)", (void *)m->addr, k, n, m->slot,
	       m->shared ? "shared" : "private");
	r = vmsplice(pfd[1], &iov, 1, SPLICE_F_NONBLOCK);
	err = errno;
	/*
	 * A huge object's mapping is VM_PFNMAP: GUP-fast takes the pages
	 * mapped already, the slow path refuses the rest (EFAULT, or fewer
	 * bytes; a short count is no failure here for any object).
	 */
	if (r < (ssize_t)FZ_PS) {
		close(pfd[0]);
		close(pfd[1]);
		if (r < 0 && !fz_obj_budgeted(m->slot))
			fz_must_ok(p, "vmsplice of readable mapped pages", r, err, EAGAIN, ENOMEM,
				   fz_obj_huge(m->slot) ? EFAULT : 0, 0);
		return r < 0 ? -err : FZ_SKIP;
	}
	s = &p->spl[p->nspl++];
	s->rfd = pfd[0];
	s->wfd = pfd[1];
	s->slot = m->slot;
	s->page = m->pgoff + k;
	s->npages = (uint32_t)(r / (ssize_t)FZ_PS);
	s->priv = !m->shared;
	s->junk = false;
	s->junk_gen = p->junk_gen;
	for (uint32_t j = 0; j < s->npages && s->priv; j++)
		if (m->priv[k + j] == FZ_PRIV_JUNK)
			s->junk = true;
	return 0;
}

int fz_op_splice_read(fz_proc *p)
{
	struct fz_splice s;
	char why[1200];
	ssize_t r;
	int i;

	if (!p->nspl)
		return FZ_SKIP;
	i = (int)fz_below(p, (uint32_t)p->nspl);
	s = p->spl[i];
	p->spl[i] = p->spl[--p->nspl];
	fz_say(p, " slot %d pages %u+%u", s.slot, s.page, s.npages);
	r = read(s.rfd, p->buf, (size_t)s.npages * FZ_PS);
	close(s.rfd);
	close(s.wfd);
	if (r < 0)
		return -errno;
	if (s.priv && (s.junk || s.junk_gen != p->junk_gen)) {
		FZ_ADD(fz->unchecked, 1);
		return 0;	/* junk may have been written into one since */
	}
	/* The frames as they are now, or as they were when a copy replaced them. */
	for (uint32_t k = 0; k < (uint32_t)r / FZ_PS; k++) {
		struct fz_view v;

		memset(&v, 0, sizeof(v));
		v.slot = s.slot;
		v.page = s.page + k;
		v.priv_ok = s.priv;
		v.priv_max = p->priv_counter;
		if (fz_check_weak(&v, (uint64_t *)(p->buf + (size_t)k * FZ_PS), 0, FZ_WORDS, why,
				  sizeof(why)) == FZ_V_BAD) {
			fz_fail(p, "a pipe's vmspliced page %u of object %llu (slot %d): %s",
				v.page, (unsigned long long)FZ_LD(fz_obj(s.slot)->id), s.slot, why);
			return -EIO;
		}
	}
	return 0;
}

int fz_op_sleep(fz_proc *p)
{
	if (fz_pct(p, 50)) {
		fz_say(p, " yield");
		sched_yield();
	} else {
		uint32_t us = fz_below(p, 3000);

		fz_say(p, " %u us", us);
		usleep(us);
	}
	return 0;
}
