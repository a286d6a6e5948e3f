// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab-fuzz: accesses through the mappings.  Every load and store the
 * fuzzer makes on a mapping runs under a guard: a SIGSEGV or SIGBUS there
 * returns to the access's caller (siglongjmp), which judges whether the
 * signal was one the mapping's protection, the object's end or a frame
 * budget explains (see fuzz.h).  A fault anywhere else fails the run.
 *
 * Methods: direct volatile loads/stores, memcpy, a part of a page only,
 * write(2)/pread(2) of a tmpfs file from/into the mapping (the kernel's
 * copy_{from,to}_user faulting on it), /proc/PID/mem (get_user_pages with
 * FOLL_FORCE: PROT_NONE pages are read, private read-only pages written
 * by a COW) and process_vm_readv/writev.  The last two go through
 * get_user_pages(), which refuses a huge object's VM_PFNMAP mappings: there
 * they may fail (EIO, EFAULT, or short), and what they did not copy is not
 * judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz.h"

const char *const fz_method_names[TM_NR] = {
	[TM_DIRECT] = "direct", [TM_MEMCPY] = "memcpy", [TM_PARTIAL] = "partial",
	[TM_SYSCALL] = "syscall", [TM_PROCMEM] = "procmem", [TM_VMRW] = "vm_rw",
};

static sigjmp_buf fz_jmp;
static volatile sig_atomic_t fz_guard;
static volatile int fz_sig;
static void *volatile fz_sig_addr;
static volatile unsigned int fz_at;
static fz_proc *fz_self;

static void fz_on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (fz_guard) {
		fz_guard = 0;
		fz_sig = sig;
		fz_sig_addr = si->si_addr;
		siglongjmp(fz_jmp, 1);
	}
	fz_fail(fz_self, "%s at %p (si_code %d) outside any access the fuzzer guards",
		sig == SIGBUS ? "SIGBUS" : "SIGSEGV", si->si_addr, si->si_code);
	_exit(3);
}

void fz_signals_init(fz_proc *p)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	fz_self = p;
	sa.sa_sigaction = fz_on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* ---- guarded primitives: 0, or the signal taken (fz_at: where) ----------------- */

static int fz_g_read(const volatile uint64_t *src, uint64_t *dst, unsigned int n)
{
	fz_at = 0;
	if (sigsetjmp(fz_jmp, 1))
		return fz_sig;
	fz_guard = 1;
	for (; fz_at < n; fz_at++)
		dst[fz_at] = src[fz_at];
	fz_guard = 0;
	return 0;
}

static int fz_g_write(volatile uint64_t *dst, const uint64_t *src, unsigned int n)
{
	fz_at = 0;
	if (sigsetjmp(fz_jmp, 1))
		return fz_sig;
	fz_guard = 1;
	for (; fz_at < n; fz_at++)
		dst[fz_at] = src[fz_at];
	fz_guard = 0;
	return 0;
}

static int fz_g_memcpy(void *dst, const void *src, size_t len)
{
	fz_at = 1;	/* unknown: assume something was copied */
	if (sigsetjmp(fz_jmp, 1))
		return fz_sig;
	fz_guard = 1;
	memcpy(dst, src, len);
	fz_guard = 0;
	return 0;
}

/* Load a word, and store it back unchanged if @write. */
static int fz_g_probe(volatile uint64_t *a, bool write)
{
	if (sigsetjmp(fz_jmp, 1))
		return fz_sig;
	fz_guard = 1;
	{
		uint64_t v = *a;

		if (write)
			*a = v;
	}
	fz_guard = 0;
	return 0;
}

/* ---- what a page of a mapping is ------------------------------------------------------ */

bool fz_past_end(const struct fz_map *m, uint32_t i)
{
	return m->pgoff + i >= fz_obj(m->slot)->npages;
}

bool fz_obj_budgeted(int slot)
{
	return FZ_LD(fz_obj(slot)->flags) & (FZ_OBJ_BUDGET | FZ_OBJ_LOSSY);
}

bool fz_obj_huge(int slot)
{
	return FZ_LD(fz_obj(slot)->flags) & FZ_OBJ_HUGE;
}

static const char *fz_prot_str(int prot)
{
	static const char *const s[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };

	return s[prot & 7];
}

static void fz_view_of(fz_proc *p, const struct fz_map *m, uint32_t i, struct fz_view *v)
{
	memset(v, 0, sizeof(*v));
	v->slot = m->slot;
	v->page = m->pgoff + i;
	v->priv = m->shared ? FZ_PRIV_NONE : m->priv[i];
	v->pgen = m->pgen[i];
	v->priv_max = p->priv_counter;
}

/* "mapping 0x7f..000 page 3 (object 12, slot 4, page 5; shared rw-)" */
static void fz_where(const struct fz_map *m, uint32_t i, char *buf, size_t len)
{
	const struct fz_obj *o = fz_obj(m->slot);

	snprintf(buf, len,
		 "mapping %p page %u = %p (object %llu slot %d page %u of %u; %s %s%s%s%s)",
		 (void *)m->addr, i, (void *)(m->addr + (size_t)i * FZ_PS),
		 (unsigned long long)o->id, m->slot, m->pgoff + i, o->npages,
		 m->shared ? "shared" : "private", fz_prot_str(m->prot[i]),
		 fz_obj_budgeted(m->slot) ? " budgeted" : "",
		 fz_obj_huge(m->slot) ? " huge (VM_PFNMAP: no pagemap)" : "",
		 m->shared ? "" : (const char *[]){ "", " priv-stamp", " priv-frozen",
						    " priv-junk" }[m->priv[i] & 3]);
}

/* A signal taken at page @i: expected (counted), or a failure (reported). */
static bool fz_sig_ok(fz_proc *p, const struct fz_map *m, uint32_t i, int sig, bool write,
		      const char *what)
{
	int prot = m->prot[i];
	bool segv_ok = write ? !(prot & PROT_WRITE) : prot == PROT_NONE;
	bool bus_ok = fz_past_end(m, i) || fz_obj_budgeted(m->slot);
	char where[256];

	if (sig == SIGSEGV && segv_ok) {
		FZ_ADD(fz->sigsegv, 1);
		return true;
	}
	if (sig == SIGBUS && bus_ok) {
		FZ_ADD(fz->sigbus, 1);
		return true;
	}
	fz_where(m, i, where, sizeof(where));
	fz_fail(p, "%s: unexpected %s at %p: %s", what, sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
		fz_sig_addr, where);
	return false;
}

void fz_obj_state(fz_proc *p, int slot, char *buf, size_t len)
{
	struct pagelab_obj_stat st;

	memset(&st, 0, sizeof(st));
	st.id = FZ_LD(fz_obj(slot)->id);
	if (p->dev < 0 || ioctl(p->dev, PAGELAB_IOC_OBJ_STAT, &st)) {
		snprintf(buf, len, "object %llu: no stat (%s)", (unsigned long long)st.id,
			 p->dev < 0 ? "no device fd" : strerrorname_np(errno) ?: "?");
		return;
	}
	snprintf(buf, len, "object %llu: %llu pages, resident %llu, shared %llu, mappers %llu, "
		 "budget %u policy %u flags %#llx store %s delay %u ms; misses %llu page-ins %llu "
		 "evictions %llu writebacks %llu clean %llu store_pages %llu io_waits %llu "
		 "io_errors %llu cow_breaks %llu merged %llu",
		 (unsigned long long)st.id, (unsigned long long)st.size / FZ_PS,
		 (unsigned long long)st.resident, (unsigned long long)st.shared,
		 (unsigned long long)st.mappers, st.budget, st.policy,
		 (unsigned long long)st.replace_flags,
		 st.store_flags & PAGELAB_STORE_FILE ? "file" : "module", st.pagein_delay_ms,
		 (unsigned long long)st.misses, (unsigned long long)st.page_ins,
		 (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
		 (unsigned long long)st.clean_drops, (unsigned long long)st.store_pages,
		 (unsigned long long)st.io_waits, (unsigned long long)st.io_errors,
		 (unsigned long long)st.cow_breaks, (unsigned long long)st.merged);
}

static void fz_bad_data(fz_proc *p, pid_t pid, const struct fz_map *m, uint32_t i,
			const char *what, const char *why)
{
	const struct fz_page *pg = &fz_obj(m->slot)->pg[m->pgoff + i];
	char where[256], state[300];
	uint64_t e = 0;

	fz_where(m, i, where, sizeof(where));
	pl_pagemap(pid, (unsigned long)(m->addr + (size_t)i * FZ_PS), &e);
	fz_obj_state(p, m->slot, state, sizeof(state));
	fz_fail(p, "%s of %s: %s [registry gen %u done %u flags %#x, last written by pid %d "
		"(%s); pagemap %s pfn %#llx%s%s; %s]",
		what, where, why, FZ_LD(pg->gen), FZ_LD(pg->done), FZ_LD(pg->flags),
		(int)FZ_LD(pg->wpid), fz_method_names[FZ_LD(pg->wmeth) % TM_NR],
		pl_pm_present(e) ? "present" : "absent", (unsigned long long)pl_pm_pfn(e),
		e & PL_PM_FILE ? " file/shared" : " anon", pl_pm_exclusive(e) ? " exclusive" : "",
		state);
}

/* An access the mapping must refuse: it must fault, with the right signal. */
static int fz_probe(fz_proc *p, struct fz_map *m, uint32_t i, bool write)
{
	volatile uint64_t *a = (volatile uint64_t *)(m->addr + (size_t)i * FZ_PS) +
			       fz_below(p, FZ_WORDS);
	int sig = fz_g_probe(a, write);
	char where[256];

	if (sig)
		return fz_sig_ok(p, m, i, sig, write, write ? "write probe" : "read probe") ? 0 : -EIO;
	fz_where(m, i, where, sizeof(where));
	fz_fail(p, "%s of %p did not fault: %s", write ? "a write (of the value read)" : "a read",
		(void *)a, where);
	return -EIO;
}

/* ---- direct access, one page -------------------------------------------------------------- */

static int fz_read_direct(fz_proc *p, struct fz_map *m, uint32_t i, enum fz_method meth)
{
	volatile uint64_t *src = (volatile uint64_t *)(m->addr + (size_t)i * FZ_PS);
	uint64_t *w = (uint64_t *)p->buf;
	unsigned int k0 = 0, n = FZ_WORDS;
	struct fz_view v;
	char why[1200];
	int sig;

	if (meth == TM_PARTIAL) {
		k0 = fz_below(p, FZ_WORDS);
		n = 1 + fz_below(p, FZ_WORDS - k0);
	}
	fz_view_of(p, m, i, &v);
	fz_snap_begin(v.slot, v.page, &v.snap);
	if (meth == TM_MEMCPY)
		sig = fz_g_memcpy(w, (const void *)src, FZ_PS);
	else
		sig = fz_g_read(src + k0, w, n);
	if (sig)
		return fz_sig_ok(p, m, i, sig, false, "read") ? 0 : -EIO;
	fz_snap_end(v.slot, v.page, &v.snap);
	if (fz_check(&v, w, k0, n, why, sizeof(why)) == FZ_V_BAD) {
		fz_bad_data(p, 0, m, i, meth == TM_MEMCPY ? "memcpy read" : "direct read", why);
		return -EIO;
	}
	return 0;
}

static int fz_write_direct(fz_proc *p, struct fz_map *m, uint32_t i, enum fz_method meth)
{
	volatile uint64_t *dst = (volatile uint64_t *)(m->addr + (size_t)i * FZ_PS);
	uint64_t *w = (uint64_t *)p->buf;
	uint32_t page = m->pgoff + i, gen, tag;
	unsigned int k0 = 0, n = FZ_WORDS;
	int sig;

	if (meth == TM_PARTIAL) {
		k0 = fz_below(p, FZ_WORDS);
		n = 1 + fz_below(p, FZ_WORDS - k0);
	}
	if (m->shared) {
		tag = (uint32_t)m->slot + 1;
		gen = fz_stamp_begin(m->slot, page, meth);
	} else {
		tag = FZ_PRIV_TAG;
		gen = ++p->priv_counter;
	}
	fz_fill(w, tag, page, gen);
	if (meth == TM_MEMCPY)
		sig = fz_g_memcpy((void *)dst, w, FZ_PS);
	else
		sig = fz_g_write(dst + k0, w + k0, n);
	if (sig) {
		/* Cut short: a shared page stays torn (done < gen) until rewritten. */
		if (!m->shared && (fz_at || meth == TM_MEMCPY) && m->priv[i] != FZ_PRIV_JUNK)
			m->priv[i] = FZ_PRIV_FROZEN;
		return fz_sig_ok(p, m, i, sig, true, "write") ? 0 : -EIO;
	}
	if (m->shared) {
		if (meth != TM_PARTIAL)
			fz_stamp_end(m->slot, page, gen);
	} else if (meth == TM_PARTIAL && n != FZ_WORDS) {
		if (m->priv[i] != FZ_PRIV_JUNK)
			m->priv[i] = FZ_PRIV_FROZEN;
	} else {
		m->priv[i] = FZ_PRIV_STAMP;
		m->pgen[i] = gen;
	}
	return 0;
}

/* ---- through the kernel: a run of pages in one call ------------------------------------------- */

/*
 * get_user_pages (process_vm_readv) wants VM_READ, which PROT_WRITE alone
 * lacks (the CPU reads such a page, the kernel's GUP does not); FOLL_FORCE
 * (/proc/PID/mem) settles for VM_MAYREAD.
 */
static bool fz_sys_readable(const struct fz_map *m, uint32_t i, enum fz_method meth)
{
	if (fz_past_end(m, i))
		return false;
	if (meth == TM_PROCMEM)
		return true;
	if (meth == TM_VMRW)
		return m->prot[i] & PROT_READ;
	return m->prot[i] != PROT_NONE;
}

static bool fz_sys_writable(fz_proc *p, const struct fz_map *m, uint32_t i, enum fz_method meth)
{
	if (fz_past_end(m, i))
		return false;
	if (m->shared)
		return m->maywrite && m->prot[i] & PROT_WRITE && fz_owns(p, m->slot, m->pgoff + i);
	return meth == TM_PROCMEM || m->prot[i] & PROT_WRITE;
}

/*
 * A short or failed /proc/PID/mem or process_vm_readv/writev of @m (@got
 * bytes, else errno @err) that is no bug: a huge object's mappings are
 * VM_PFNMAP, and get_user_pages() refuses those outright.  Both calls then
 * copy up to the refusal: a short count, or EIO (/proc/PID/mem) or EFAULT
 * (process_vm_*) when that is at the start.  Never for copy_{to,from}_user
 * (TM_SYSCALL), nor for an ordinary object.
 */
static bool fz_gup_refused(const struct fz_map *m, enum fz_method meth, ssize_t got, int err)
{
	if (meth == TM_SYSCALL || !fz_obj_huge(m->slot))
		return false;
	return got >= 0 || err == (meth == TM_PROCMEM ? EIO : EFAULT);
}

static int fz_mem_fd(fz_proc *p)
{
	if (p->memfd >= 0 && p->memfd_pid == getpid())
		return p->memfd;
	if (p->memfd >= 0)
		close(p->memfd);
	p->memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	p->memfd_pid = getpid();
	return p->memfd;
}

static const char *fz_sys_name(enum fz_method meth, bool write)
{
	switch (meth) {
	case TM_SYSCALL:
		return write ? "pread(2) of a file into the mapping" :
			       "write(2) to a file from the mapping";
	case TM_PROCMEM:
		return write ? "pwrite(2) to /proc/PID/mem" : "pread(2) of /proc/PID/mem";
	default:
		return write ? "process_vm_writev" : "process_vm_readv";
	}
}

/* Read pages [first, first + n) of @m in process @pid (0: this one) by a syscall. */
static int fz_read_sys(fz_proc *p, pid_t pid, const struct fz_map *m, uint32_t first, uint32_t n,
		       enum fz_method meth, bool unchecked)
{
	struct fz_view v[FZ_MAP_PAGES];
	unsigned char *addr = m->addr + (size_t)first * FZ_PS;
	size_t len;
	ssize_t got = -1;
	uint32_t r = 0;
	char why[1200];
	int err = 0, fd = -1;

	/* As nobody we may not read another process (not dumpable): no verdict. */
	if (pid && p->unpriv)
		unchecked = true;
	while (r < n && (unchecked || fz_sys_readable(m, first + r, meth)))
		r++;
	if (!r)
		return FZ_SKIP;
	len = (size_t)r * FZ_PS;
	for (uint32_t j = 0; j < r && !unchecked; j++) {
		fz_view_of(p, m, first + j, &v[j]);
		fz_snap_begin(v[j].slot, v[j].page, &v[j].snap);
	}
	fz_say(p, " %s %u pages from %p", fz_sys_name(meth, false), r, (void *)addr);
	switch (meth) {
	case TM_SYSCALL:
		got = write(p->tmpfd, addr, len);
		err = errno;
		if (got > 0 && pread(p->tmpfd, p->buf, (size_t)got, 0) != got)
			got = -1, err = errno;
		if (lseek(p->tmpfd, 0, SEEK_SET) < 0)
			err = errno;
		break;
	case TM_PROCMEM:
		if (pid) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
		} else {
			fd = fz_mem_fd(p);
		}
		if (fd < 0)
			return -errno;
		got = pread(fd, p->buf, len, (off_t)(uintptr_t)addr);
		err = errno;
		if (pid)
			close(fd);
		break;
	default: {
		struct iovec l = { p->buf, len }, rv = { addr, len };

		got = process_vm_readv(pid ? pid : getpid(), &l, 1, &rv, 1, 0);
		err = errno;
		break;
	}
	}
	if (unchecked)
		return got < 0 ? -err : 0;
	for (uint32_t j = 0; got > 0 && j < (uint32_t)got / FZ_PS; j++) {
		fz_snap_end(v[j].slot, v[j].page, &v[j].snap);
		if (fz_check(&v[j], (uint64_t *)(p->buf + (size_t)j * FZ_PS), 0, FZ_WORDS, why,
			     sizeof(why)) == FZ_V_BAD) {
			fz_bad_data(p, pid, m, first + j, fz_sys_name(meth, false), why);
			return -EIO;
		}
	}
	if (got < (ssize_t)len && fz_gup_refused(m, meth, got, err)) {
		fz_say(p, " -> %zd (%s): GUP refuses a huge object's mapping", got,
		       got < 0 ? strerrorname_np(err) ?: "?" : "short");
	} else if (got < (ssize_t)len && !fz_obj_budgeted(m->slot)) {
		uint32_t at = got > 0 ? (uint32_t)(got / FZ_PS) : 0;
		char where[256];

		fz_where(m, first + at, where, sizeof(where));
		fz_fail(p, "%s%s of %u readable pages got %zd bytes (%s): stopped at %s",
			fz_sys_name(meth, false), pid ? " (the parent's)" : "", r, got,
			got < 0 ? strerrorname_np(err) ?: "?" : "short", where);
		return -EIO;
	}
	return got < 0 ? -err : 0;
}

static int fz_write_sys(fz_proc *p, struct fz_map *m, uint32_t first, uint32_t n,
			enum fz_method meth)
{
	uint32_t gens[FZ_MAP_PAGES], r = 0, full;
	unsigned char *addr = m->addr + (size_t)first * FZ_PS;
	ssize_t got = -1;
	size_t len;
	int err = 0, fd;

	while (r < n && fz_sys_writable(p, m, first + r, meth))
		r++;
	if (!r)
		return FZ_SKIP;
	len = (size_t)r * FZ_PS;
	for (uint32_t j = 0; j < r; j++) {
		uint32_t page = m->pgoff + first + j;

		if (m->shared) {
			gens[j] = fz_stamp_begin(m->slot, page, meth);
			fz_fill((uint64_t *)(p->buf + (size_t)j * FZ_PS), (uint32_t)m->slot + 1, page,
				gens[j]);
		} else {
			gens[j] = ++p->priv_counter;
			fz_fill((uint64_t *)(p->buf + (size_t)j * FZ_PS), FZ_PRIV_TAG, page, gens[j]);
		}
	}
	fz_say(p, " %s %u pages at %p", fz_sys_name(meth, true), r, (void *)addr);
	switch (meth) {
	case TM_SYSCALL:
		if (pwrite(p->tmpfd, p->buf, len, 0) != (ssize_t)len)
			return -errno;
		got = pread(p->tmpfd, addr, len, 0);
		err = errno;
		break;
	case TM_PROCMEM:
		fd = fz_mem_fd(p);
		if (fd < 0)
			return -errno;
		got = pwrite(fd, p->buf, len, (off_t)(uintptr_t)addr);
		err = errno;
		break;
	default: {
		struct iovec l = { p->buf, len }, rv = { addr, len };

		got = process_vm_writev(getpid(), &l, 1, &rv, 1, 0);
		err = errno;
		break;
	}
	}
	full = got > 0 ? (uint32_t)(got / FZ_PS) : 0;
	for (uint32_t j = 0; j < full; j++) {
		if (m->shared) {
			fz_stamp_end(m->slot, m->pgoff + first + j, gens[j]);
		} else {
			m->priv[first + j] = FZ_PRIV_STAMP;
			m->pgen[first + j] = gens[j];
		}
	}
	if (!m->shared && got > 0 && full < r && got % (ssize_t)FZ_PS &&
	    m->priv[first + full] != FZ_PRIV_JUNK)
		m->priv[first + full] = FZ_PRIV_FROZEN;
	/* A refused write of a shared page leaves it torn (done < gen) until rewritten. */
	if (got < (ssize_t)len && fz_gup_refused(m, meth, got, err)) {
		fz_say(p, " -> %zd (%s): GUP refuses a huge object's mapping", got,
		       got < 0 ? strerrorname_np(err) ?: "?" : "short");
	} else if (got < (ssize_t)len && !fz_obj_budgeted(m->slot)) {
		char where[256];

		fz_where(m, first + full, where, sizeof(where));
		fz_fail(p, "%s of %u writable pages got %zd bytes (%s): stopped at %s",
			fz_sys_name(meth, true), r, got,
			got < 0 ? strerrorname_np(err) ?: "?" : "short", where);
		return -EIO;
	}
	return got < 0 ? -err : 0;
}

int fz_read_remote(fz_proc *p, pid_t pid, const struct fz_map *m, uint32_t first, uint32_t n,
		   enum fz_method meth, bool unchecked)
{
	return fz_read_sys(p, pid, m, first, n, meth, unchecked);
}

int fz_touch(fz_proc *p, struct fz_map *m, uint32_t first, uint32_t n, unsigned int how,
	     enum fz_method meth)
{
	bool write = how & FZ_T_WRITE, probes = !(how & FZ_T_NOPROBE);
	int ret = FZ_SKIP, r;

	if (first >= m->npages)
		return FZ_SKIP;
	if (n > m->npages - first)
		n = m->npages - first;
	if (meth >= TM_SYSCALL)
		return write ? fz_write_sys(p, m, first, n, meth) :
			       fz_read_sys(p, 0, m, first, n, meth, false);
	for (uint32_t i = first; i < first + n; i++) {
		int prot = m->prot[i];

		if (write) {
			if (fz_past_end(m, i) || !(prot & PROT_WRITE)) {
				if (!probes)
					continue;
				r = fz_probe(p, m, i, true);
			} else if (m->shared && !fz_owns(p, m->slot, m->pgoff + i)) {
				continue;
			} else {
				r = fz_write_direct(p, m, i, meth);
			}
		} else {
			if (fz_past_end(m, i) || prot == PROT_NONE) {
				if (!probes)
					continue;
				r = fz_probe(p, m, i, false);
			} else {
				r = fz_read_direct(p, m, i, meth);
			}
		}
		if (r < 0)
			return r;
		ret = 0;
		/* A budgeted page may wait 800 ms for a pinned frame: mind the clock. */
		if ((FZ_LD(fz->stop) && p->failed) ||
		    (fz_deadline_ns && fz_now_ns() > fz_deadline_ns))
			break;
	}
	return ret;
}

void fz_populated(struct fz_map *m, uint32_t first, uint32_t n)
{
	/* (A huge object's mappings are shared, and populating skips VM_PFNMAP.) */
	if (m->shared || fz_obj_huge(m->slot))
		return;
	for (uint32_t k = first; k < first + n && k < m->npages; k++)
		if (m->prot[k] & PROT_WRITE && m->priv[k] == FZ_PRIV_NONE && !fz_past_end(m, k))
			m->priv[k] = FZ_PRIV_FROZEN;
}

int fz_verify_map(fz_proc *p, struct fz_map *m)
{
	return fz_touch(p, m, 0, m->npages, FZ_T_NOPROBE, TM_DIRECT);
}
