// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the page-table walk behind debugfs "walk": any process, any
 * address, every level PGD -> P4D -> PUD -> PMD -> PTE.
 *
 * walk_page_range() is not exported, so this walks by hand with the
 * kernel's own idioms: a reference on the target mm, mmap_read_lock_killable,
 * each entry read once; a huge or migrating PMD is re-read under pmd_lock(),
 * a PTE under its table's lock, checked as pte_offset_map_lock() checks it
 * (see pagelab_walk_pte_table()); a hugetlb PMD, whose table may be
 * shared, is read once under the file's i_mmap_rwsem instead (see
 * pagelab_walk_hugetlb_lock()).  Bad entries are reported, never cleared.
 * A range walk drops mmap_lock after every PMD's span, as pagemap_read does.
 * Kernel addresses have no lock a module can take: their entries are read
 * with get_kernel_nofault() from the kernel half of the writer's PGD.
 *
 * Who may walk what: debugfs makes the file root's, but a root-opened file
 * may be handed to anyone, so every request is checked for both the
 * opener's credentials (file->f_cred) and the writer's (its subjective
 * credentials, current_cred()).  Walking another process follows
 * mm_access(PTRACE_MODE_READ_FSCREDS), which a module cannot call: see
 * pagelab_walk_get_mm().  Kernel walks, PFNs, physical addresses, page
 * refcounts and mapcounts, swap entries' type and offset, and where runs of
 * frames are physically contiguous are for CAP_SYS_ADMIN only, as
 * /proc/PID/pagemap and /proc/kpagecount keep them.
 *
 * Names user space chooses (file paths) are escaped in the answer, so no
 * name can forge a field or a line of the answer: see pagelab_walk_escape().
 * The answers are text (debugfs) or a structure (PAGELAB_IOC_WALK): JSON
 * is made in user space, from either.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hugetlb_inline.h>
#include <linux/ksm.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/page-flags.h>
#include <linux/pgtable.h>
#include <linux/pid.h>
#include <linux/rwsem.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "compat.h"
#include "pagelab.h"
#include "trace.h"

#define WALK_REQ_MAX		128
#define WALK_ANSWER_MIN		(16 << 10)
#define WALK_ANSWER_MAX		(16 << 20)

/* The entry bits shown, x86-64, in PAGELAB_E_* order; see pagelab_walk_flags(). */
static const struct {
	u64 bit;
	const char *name;
} pagelab_walk_flag_names[] = {
	{ _PAGE_PRESENT, "P" },
	{ _PAGE_RW, "RW" },
	{ _PAGE_USER, "U" },
	{ _PAGE_PWT, "PWT" },
	{ _PAGE_PCD, "PCD" },
	{ _PAGE_ACCESSED, "A" },
	{ _PAGE_DIRTY, "D" },
	{ _PAGE_PSE, "PS" },
	{ _PAGE_GLOBAL, "G" },
	{ _PAGE_NX, "NX" },
	{ _PAGE_SOFT_DIRTY, "SD" },
	{ _PAGE_SPECIAL, "SPECIAL" },
	{ _PAGE_UFFD_WP, "UFFD_WP" },
	{ _PAGE_DEVMAP, "DEVMAP" },
};

/* Append @name to @buf (size @len, used @n) with a "|" before all but the first. */
static size_t pagelab_walk_flag_add(char *buf, size_t len, size_t n, const char *name)
{
	ssize_t r;

	if (n && n < len - 1)
		buf[n++] = '|';
	r = strscpy(buf + n, name, len - n);
	return r < 0 ? len - 1 : n + r;
}

/*
 * An entry's flags as PAGELAB_E_* bits (the table's order, then PROTNONE),
 * and a leaf's protection key in *@pkey; see pagelab_walk_flags().
 */
static u32 pagelab_walk_bits(u64 entry, bool leaf, u8 *pkey)
{
	bool protnone = (entry & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE;
	u32 bits = 0;
	size_t i;

	BUILD_BUG_ON(ARRAY_SIZE(pagelab_walk_flag_names) != PAGELAB_E_NBITS - 1);
	for (i = 0; i < ARRAY_SIZE(pagelab_walk_flag_names); i++) {
		u64 bit = pagelab_walk_flag_names[i].bit;

		if (!(entry & bit))
			continue;
		if (bit == _PAGE_GLOBAL && protnone)
			continue;
		if (!leaf && (bit == _PAGE_SOFT_DIRTY || bit == _PAGE_SPECIAL ||
			      bit == _PAGE_UFFD_WP || bit == _PAGE_DEVMAP))
			continue;
		bits |= BIT(i);
	}
	if (protnone)
		bits |= PAGELAB_E_PROTNONE;
	/*
	 * The hardware's key bits, read directly: pte_flags_pkey() is 0 on
	 * kernels built without memory protection keys.
	 */
	*pkey = leaf ? (entry >> _PAGE_BIT_PKEY_BIT0) & 0xf : 0;
	return bits;
}

/**
 * pagelab_walk_flags() - decode an entry's flag bits into "P|RW|..."
 * @entry: the raw entry (present; at any level)
 * @leaf: the entry maps a frame (PS means "huge" there, PAT elsewhere)
 * @buf: where the names go, NUL-terminated ("-" if none)
 * @len: size of @buf
 *
 * A present entry's bits: hardware (present, RW, user, PWT, PCD, accessed,
 * dirty, PS, global, NX, the protection key) and Linux's software bits
 * (soft-dirty, special, uffd-wp, devmap).  An entry with PROTNONE and not
 * PRESENT is shown as PROTNONE instead of the global bit it shares.  No
 * printf: a range walk decodes one entry per page.
 *
 * Return: the length of the string in @buf.
 */
size_t pagelab_walk_flags(u64 entry, bool leaf, char *buf, size_t len)
{
	char pkey_name[16];
	size_t i, n = 0;
	u8 pkey;
	u32 bits = pagelab_walk_bits(entry, leaf, &pkey);

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(pagelab_walk_flag_names); i++)
		if (bits & BIT(i))
			n = pagelab_walk_flag_add(buf, len, n, pagelab_walk_flag_names[i].name);
	if (bits & PAGELAB_E_PROTNONE)
		n = pagelab_walk_flag_add(buf, len, n, "PROTNONE");
	if (pkey) {
		snprintf(pkey_name, sizeof(pkey_name), "PKEY=%u", pkey);
		n = pagelab_walk_flag_add(buf, len, n, pkey_name);
	}
	if (!n)
		n = pagelab_walk_flag_add(buf, len, 0, "-");
	return n;
}
EXPORT_SYMBOL_NS_GPL(pagelab_walk_flags, PAGELAB_KUNIT_NS);

static bool pagelab_walk_canonical(unsigned long addr)
{
	int shift = __VIRTUAL_MASK_SHIFT;

	return ((long)(addr << (63 - shift)) >> (63 - shift)) == (long)addr;
}

/**
 * pagelab_walk_parse() - parse a walk request
 * @s: the request, NUL-terminated: "<pid> <addr> [<end>]" or
 *     "kernel <addr>"; numbers in hex (0x...) or decimal
 * @req: the parsed request
 * @why: out: a one-line reason when the request is refused
 *
 * Return: 0, -EINVAL for a malformed request, -E2BIG for a range of more
 * than PAGELAB_WALK_MAX_PAGES pages.
 */
int pagelab_walk_parse(const char *s, struct pagelab_walk_req *req, const char **why)
{
	char buf[WALK_REQ_MAX], *p = buf, *tok[5];
	unsigned long long v;
	int n = 0;

	memset(req, 0, sizeof(*req));
	*why = "request too long";
	if (strscpy(buf, s, sizeof(buf)) < 0)
		return -EINVAL;
	strim(buf);
	while (p && *p) {
		char *t = strsep(&p, " \t\n");

		if (!*t)
			continue;
		*why = "too many words: <pid> <addr> [<end>] or kernel <addr>";
		if (n == ARRAY_SIZE(tok))
			return -EINVAL;
		tok[n++] = t;
	}
	*why = "no JSON here: pagelab walk --json makes it from this answer";
	if (n && !strcmp(tok[n - 1], "json"))
		return -EINVAL;
	*why = "expected <pid> <addr> [<end>] or kernel <addr>";
	if (n < 2 || n > 3)
		return -EINVAL;
	if (!strcmp(tok[0], "kernel")) {
		req->kernel = true;
		*why = "a kernel walk takes one address";
		if (n != 2)
			return -EINVAL;
	} else {
		*why = "bad pid";
		if (kstrtoull(tok[0], 0, &v) || !v || v > PID_MAX_LIMIT)
			return -EINVAL;
		req->pid = v;
	}
	*why = "bad address";
	if (kstrtoull(tok[1], 0, &v))
		return -EINVAL;
	req->start = v;
	if (req->kernel) {
		*why = "not a canonical kernel address";
		/* The kernel's half: not the user guard page below it. */
		if ((long)req->start >= 0 || !pagelab_walk_canonical(req->start))
			return -EINVAL;
		return 0;
	}
	*why = "not a user address (for a kernel address: kernel ADDR)";
	if (req->start >= TASK_SIZE_MAX)
		return -EINVAL;
	if (n == 3) {
		*why = "bad end address";
		if (kstrtoull(tok[2], 0, &v) || v > TASK_SIZE_MAX)
			return -EINVAL;
		*why = "end must be above start";
		if (v <= req->start)
			return -EINVAL;
		req->range = true;
		req->end = PAGE_ALIGN(v);
		req->start &= PAGE_MASK;
		*why = "range too large: at most 1048576 pages";
		if ((req->end - req->start) >> PAGE_SHIFT > PAGELAB_WALK_MAX_PAGES)
			return -E2BIG;
	}
	*why = NULL;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(pagelab_walk_parse, PAGELAB_KUNIT_NS);

/* ---- permissions ------------------------------------------------------- */

/*
 * One set of credentials a request is checked for: the writer's (its
 * subjective credentials, current_cred()) or the opener's (@file->f_cred).
 */
struct pagelab_walk_who {
	const struct cred *cred;
	struct file *file;	/* the opener's: capabilities of file->f_cred */
};

/* @cap in @ns for @who, asked of the capability code (and LSMs) about @who->cred. */
static bool pagelab_walk_capable(const struct pagelab_walk_who *who, struct user_namespace *ns,
				 int cap)
{
	if (who->file)
		return file_ns_capable(who->file, ns, cap);
	/* current_cred(): the subjective credentials, as ptrace checks them. */
	return ns_capable_noaudit(ns, cap);
}

/*
 * __ptrace_may_access(PTRACE_MODE_READ_FSCREDS) followed by commoncap's
 * cap_ptrace_access_check(), for one set of credentials: the caller's fsuid
 * and fsgid are the target's real, effective and saved ids, or it has
 * CAP_SYS_PTRACE in the target's user namespace; a target that is not
 * dumpable needs CAP_SYS_PTRACE in its mm's user namespace; and the caller
 * is in the target's user namespace with every capability the target may
 * use (effective ⊇ the target's permitted), or has CAP_SYS_PTRACE in the
 * target's namespace.  A caller in a user namespace of its own therefore
 * never walks a process outside it on its ids alone.  The target's
 * exec_update_lock is held, so @tcred and @mm belong together.
 */
static bool pagelab_walk_cred_may(const struct pagelab_walk_who *who, const struct cred *tcred,
				  struct mm_struct *mm)
{
	const struct cred *c = who->cred;
	bool same_ids = uid_eq(c->fsuid, tcred->euid) && uid_eq(c->fsuid, tcred->suid) &&
			uid_eq(c->fsuid, tcred->uid) && gid_eq(c->fsgid, tcred->egid) &&
			gid_eq(c->fsgid, tcred->sgid) && gid_eq(c->fsgid, tcred->gid);

	if (!same_ids && !pagelab_walk_capable(who, tcred->user_ns, CAP_SYS_PTRACE))
		return false;
	/*
	 * The dumpable flag after the credentials, as ptrace reads them:
	 * commit_creds() sets it before it publishes new credentials.
	 */
	smp_rmb();
	if (get_dumpable(mm) != SUID_DUMP_USER &&
	    !pagelab_walk_capable(who, mm->user_ns, CAP_SYS_PTRACE))
		return false;
	if (c->user_ns == tcred->user_ns && cap_issubset(tcred->cap_permitted, c->cap_effective))
		return true;
	return pagelab_walk_capable(who, tcred->user_ns, CAP_SYS_PTRACE);
}

/*
 * The mm of @task, if both the writer and the opener of @file may read it:
 * mm_access(task, PTRACE_MODE_READ_FSCREDS), which is not exported.  The
 * check and get_task_mm() run under the target's exec_update_lock, as in
 * mm_access(), so an execve() cannot install its new mm (a setuid
 * program's, still dumpable and with the old credentials) in between.
 * One's own mm needs no check.
 *
 * What this cannot do from a module: security_ptrace_access_check() is not
 * exported, so an LSM (SELinux, AppArmor, Smack) that would refuse the
 * ptrace read is not asked.  Kernels that rely on such a policy should
 * leave this file to root, whom it would not stop either.
 */
static struct mm_struct *pagelab_walk_get_mm(struct file *file, struct task_struct *task,
					     const char **why)
{
	struct pagelab_walk_who writer = { .cred = current_cred() };
	struct pagelab_walk_who opener = { .cred = file->f_cred, .file = file };
	const struct cred *tcred;
	struct mm_struct *mm;

	*why = "interrupted";
	if (down_read_killable(&task->signal->exec_update_lock))
		return ERR_PTR(-EINTR);
	mm = get_task_mm(task);
	if (!mm) {
		*why = "process has no memory map (a kernel thread, or exiting)";
		mm = ERR_PTR(-ESRCH);
	} else if (mm != current->mm) {
		tcred = get_task_cred(task);
		if (!pagelab_walk_cred_may(&writer, tcred, mm) ||
		    !pagelab_walk_cred_may(&opener, tcred, mm)) {
			mmput(mm);
			*why = "not allowed: needs what a ptrace read would, or CAP_SYS_PTRACE";
			mm = ERR_PTR(-EPERM);
		}
		put_cred(tcred);
	}
	up_read(&task->signal->exec_update_lock);
	return mm;
}

/**
 * pagelab_walk_pid_mm() - the memory map of process @nr, if it may be read
 * @file: the file the request came through (its opener is checked too)
 * @nr: the process, in the caller's pid namespace
 * @why: out, on failure: a one-line reason
 *
 * Return: a reference on the mm (mmput() it), or ERR_PTR(-ESRCH) (no such
 * process, or no memory map), -EPERM, -EINTR.
 */
struct mm_struct *pagelab_walk_pid_mm(struct file *file, pid_t nr, const char **why)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	*why = "no such process";
	pid = find_get_pid(nr);
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return ERR_PTR(-ESRCH);
	mm = pagelab_walk_get_mm(file, task, why);
	put_task_struct(task);
	return mm;
}

/**
 * pagelab_walk_admin() - may the answer show frames, counts and swap slots?
 * @file: the file the request came through
 *
 * Return: true if its opener and the caller both have CAP_SYS_ADMIN in the
 * initial user namespace.
 */
bool pagelab_walk_admin(struct file *file)
{
	return file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN) &&
	       ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

/* ---- one page's facts -------------------------------------------------- */

static void pagelab_walk_frame(struct vm_area_struct *vma, unsigned long pfn, bool special,
			       struct page *page, struct pagelab_walk_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (is_zero_pfn(pfn)) {
		f->kind = "zero";
		f->zero = true;
		return;
	}
	/*
	 * A VM_PFNMAP mapping's frames are not the kernel's to look at,
	 * except a huge object's (huge.c): pagelab's own frames, freed only
	 * after every leaf that maps them is gone (under its lock, held here).
	 */
	if (special || !page ||
	    (vma && vma->vm_flags & VM_PFNMAP &&
	     !(vma->vm_file && pagelab_file_object(vma->vm_file)))) {
		f->kind = special ? "special" : "none";
		return;
	}
	/* Exclusive as pagemap says it: this (sub)page mapped once. */
	f->mapcount = pagelab_page_mapcount(page);
	f->excl = f->mapcount == 1;
	f->tail = READ_ONCE(page->compound_head) & 1;
	page = compound_head(page);
	f->page = page;
	f->flags = READ_ONCE(page->flags);
	f->anon = PageAnon(page);
	f->ksm = folio_test_ksm(page_folio(page));
	if (vma && is_vm_hugetlb_page(vma))
		f->kind = "hugetlb";
	else if (f->ksm)
		f->kind = "ksm";
	else if (f->anon)
		f->kind = "anon";
	else if (vma && vma->vm_file && pagelab_file_object(vma->vm_file))
		f->kind = "pagelab";
	else
		f->kind = "file";
	f->refcount = page_ref_count(page);
}

/* The names of the flags in @f's snapshot (its head page's). */
static void pagelab_walk_page_flags(const struct pagelab_walk_frame *f, struct seq_buf *sb)
{
	static const char *const names[] = {
		"lru", "compound", "head", "tail", "thp", "dirty", "swapbacked", "locked",
	};
	bool head = f->flags & BIT(PG_head);
	bool set[ARRAY_SIZE(names)] = {
		f->flags & BIT(PG_lru), head || f->tail, head, f->tail,
		head && strcmp(f->kind, "hugetlb"), f->flags & BIT(PG_dirty),
		f->flags & BIT(PG_swapbacked), f->flags & BIT(PG_locked),
	};
	const char *sep = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!set[i])
			continue;
		seq_buf_printf(sb, "%s%s", sep, names[i]);
		sep = "|";
	}
	if (!*sep)
		seq_buf_printf(sb, "%s", "-");
}

/* ---- output -------------------------------------------------------------- */

static const char *const pagelab_level_names[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };

struct pagelab_walk_out {
	struct seq_buf sb;
	bool show_pfn;		/* CAP_SYS_ADMIN: frames, counts, swap slots */
	struct pagelab_walk *bin;	/* PAGELAB_IOC_WALK: the answer, not text */
};

/* The next entry of a binary answer, or NULL when it holds them all. */
static struct pagelab_walk_entry *out_bin_entry(struct pagelab_walk_out *o, int level,
						unsigned int index, u64 entry, u8 flags)
{
	struct pagelab_walk_entry *we;

	if (WARN_ON_ONCE(o->bin->nentries >= PAGELAB_WALK_MAX_ENTRIES))
		return NULL;
	we = &o->bin->entries[o->bin->nentries++];
	we->level = level;
	we->index = index;
	we->entry = entry;
	we->flags = flags;
	if (!(flags & PAGELAB_WALK_E_FOLDED))
		we->bits = pagelab_walk_bits(entry, flags & PAGELAB_WALK_E_LEAF, &we->pkey);
	return we;
}

/*
 * What of an entry's value is shown without CAP_SYS_ADMIN: never its frame
 * or next table; of a swap-format leaf (neither present nor PROTNONE) only
 * the bits below the swap type and offset, as pagemap shows neither.
 */
static u64 pagelab_walk_visible(const struct pagelab_walk_out *o, u64 entry, bool leaf)
{
	if (o->show_pfn)
		return entry;
	if (leaf && !(entry & (_PAGE_PRESENT | _PAGE_PROTNONE)))
		return entry & (BIT_ULL(SWP_OFFSET_FIRST_BIT) - 1);
	return entry & ~PTE_PFN_MASK;
}

static void out_flags(struct pagelab_walk_out *o, u64 entry, bool leaf)
{
	char tmp[160];

	pagelab_walk_flags(entry, leaf, tmp, sizeof(tmp));
	seq_buf_printf(&o->sb, " flags=%s", tmp);
}

static void out_entry(struct pagelab_walk_out *o, int level, unsigned int index, u64 entry,
		      bool leaf)
{
	u64 next = leaf || !o->show_pfn ? 0 : entry & PTE_PFN_MASK;
	struct pagelab_walk_entry *we;

	entry = pagelab_walk_visible(o, entry, leaf);
	if (o->bin) {
		we = out_bin_entry(o, level, index, entry, leaf ? PAGELAB_WALK_E_LEAF : 0);
		if (we)
			we->next = next;
		return;
	}
	seq_buf_printf(&o->sb, "%s index=%u entry=0x%016llx", pagelab_level_names[level], index,
		       entry);
	out_flags(o, entry, leaf);
	if (!leaf)
		seq_buf_printf(&o->sb, " next=0x%llx", next);
	seq_buf_printf(&o->sb, "%s", "\n");
}

/*
 * With PTI, the PGD entry user mode really runs on: the user copy.  The
 * kernel's copy above carries NX for user addresses; the user copy does not.
 */
static void out_pti_user(struct pagelab_walk_out *o, unsigned int index, u64 entry)
{
	entry = pagelab_walk_visible(o, entry, false);
	if (o->bin) {
		out_bin_entry(o, PAGELAB_LEVEL_PGD_USER, index, entry, 0);
		return;
	}
	seq_buf_printf(&o->sb, "PGD-user index=%u entry=0x%016llx", index, entry);
	out_flags(o, entry, false);
	seq_buf_printf(&o->sb, "%s", "\n");
}

static void out_folded(struct pagelab_walk_out *o)
{
	if (o->bin)
		out_bin_entry(o, PAGELAB_LEVEL_P4D, 0, 0, PAGELAB_WALK_E_FOLDED);
	else
		seq_buf_printf(&o->sb, "%s", "P4D folded\n");
}

/* The page-flag names of the leaf's struct page, if it has one. */
static void pagelab_walk_fill_pflags(struct pagelab_walk_end *e)
{
	struct seq_buf sb;

	if (!e->frame.page)
		return;
	seq_buf_init(&sb, e->pflags, sizeof(e->pflags));
	pagelab_walk_page_flags(&e->frame, &sb);
	e->pflags[min_t(size_t, seq_buf_used(&sb), sizeof(e->pflags) - 1)] = '\0';
}

static void out_bin_end(struct pagelab_walk_out *o, struct pagelab_walk_end *e,
			unsigned long pfn, unsigned long phys, bool page)
{
	struct pagelab_walk *w = o->bin;

	w->absent_level = PAGELAB_LEVEL_NONE;
	if (e->leaf) {
		w->found |= PAGELAB_WALK_LEAF;
		w->leaf_level = e->level;
		w->leaf_size = e->size;
		w->pfn = pfn;
		w->phys = phys;
		if (e->frame.kind) {
			w->found |= PAGELAB_WALK_PAGE;
			strscpy(w->page_kind, e->frame.kind, sizeof(w->page_kind));
			strscpy(w->page_flags, page ? e->pflags : "-", sizeof(w->page_flags));
			if (o->show_pfn) {
				w->found |= PAGELAB_WALK_COUNTS;
				w->refcount = e->frame.refcount;
				w->mapcount = e->frame.mapcount;
			}
		}
		return;
	}
	if (e->level >= 0)
		w->absent_level = e->level;
	strscpy(w->absent_reason, e->reason ?: "", sizeof(w->absent_reason));
	if (e->swap && o->show_pfn) {
		w->found |= PAGELAB_WALK_SWAP;
		w->swap_type = e->swap_type;
		w->swap_offset = e->swap_offset;
	}
}

static void out_end(struct pagelab_walk_out *o, struct pagelab_walk_end *e)
{
	unsigned long pfn = o->show_pfn ? e->pfn : 0, phys = o->show_pfn ? e->phys : 0;
	/* Page flags are /proc/kpageflags' data: root's, like PFNs. */
	bool page = e->leaf && e->frame.page && o->show_pfn;

	if (o->bin) {
		out_bin_end(o, e, pfn, phys, page);
		return;
	}
	if (e->leaf) {
		seq_buf_printf(&o->sb, "leaf level=%s size=%lu pfn=0x%lx phys=0x%lx\n",
			       pagelab_level_names[e->level], e->size, pfn, phys);
		if (!e->frame.kind)
			return;
		seq_buf_printf(&o->sb, "%s", "page");
		if (o->show_pfn)
			seq_buf_printf(&o->sb, " refcount=%d mapcount=%d", e->frame.refcount,
				       e->frame.mapcount);
		seq_buf_printf(&o->sb, " kind=%s flags=%s\n", e->frame.kind,
			       page ? e->pflags : "-");
		return;
	}
	if (e->level >= 0)
		seq_buf_printf(&o->sb, "absent level=%s reason=%s", pagelab_level_names[e->level],
			       e->reason);
	else
		seq_buf_printf(&o->sb, "absent reason=%s", e->reason);
	if (e->swap && o->show_pfn)
		seq_buf_printf(&o->sb, " type=%u offset=0x%lx", e->swap_type, e->swap_offset);
	seq_buf_printf(&o->sb, "%s", "\n");
}

/* Decode a non-present, non-none PTE or PMD swap-format entry. */
static void pagelab_walk_swap(swp_entry_t entry, struct pagelab_walk_end *e)
{
	if (!non_swap_entry(entry)) {
		e->reason = "swap";
		e->swap = true;
		e->swap_type = swp_type(entry);
		e->swap_offset = swp_offset(entry);
	} else if (is_migration_entry(entry)) {
		e->reason = "migration";
	} else if (is_device_private_entry(entry) || is_device_exclusive_entry(entry)) {
		e->reason = "device";
	} else if (is_hwpoison_entry(entry)) {
		e->reason = "hwpoison";
	} else if (is_pte_marker_entry(entry)) {
		e->reason = "marker";
	} else {
		e->reason = "bad";
	}
}

/* ---- user walks ---------------------------------------------------------- */

/* Decode a PTE value at @addr into @e (leaf or absent). */
static void pagelab_walk_pte(struct vm_area_struct *vma, unsigned long addr, pte_t pte,
			     struct pagelab_walk_end *e)
{
	e->level = PAGELAB_L_PTE;
	if (pte_none(pte)) {
		e->reason = "none";
		return;
	}
	if (!pte_present(pte)) {
		pagelab_walk_swap(pte_to_swp_entry(pte), e);
		return;
	}
	if (pagelab_pte_protnone(pte))
		e->reason = "protnone";
	e->leaf = !e->reason;
	e->size = PAGE_SIZE;
	e->pfn = pte_pfn(pte);
	e->phys = PFN_PHYS(e->pfn) | (addr & ~PAGE_MASK);
	pagelab_walk_frame(vma, e->pfn, pte_special(pte), pfn_to_online_page(e->pfn), &e->frame);
}

static void pagelab_walk_pmd_leaf(struct vm_area_struct *vma, unsigned long addr, pmd_t pmd,
				  struct pagelab_walk_end *e)
{
	e->level = PAGELAB_L_PMD;
	if (!pmd_present(pmd)) {
		pagelab_walk_swap(pmd_to_swp_entry(pmd), e);
		return;
	}
	if (pagelab_pmd_protnone(pmd))
		e->reason = "protnone";
	e->leaf = !e->reason;
	e->size = PMD_SIZE;
	e->pfn = pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
	e->phys = PFN_PHYS(e->pfn) | (addr & ~PAGE_MASK);
	pagelab_walk_frame(vma, e->pfn, false, pfn_to_online_page(e->pfn), &e->frame);
}

/*
 * Does *@pmdp still hold @pmd, a PTE table's entry read before?  Called
 * under pagelab_pte_table_hold() (rcu_read_lock() since 6.6), then again
 * under the table's lock.  Since 6.6 a
 * PTE table can go with only mmap_lock held for reading (khugepaged and
 * MADV_COLLAPSE retract a file's tables), freed after an RCU grace period;
 * pte_offset_map_lock(), which handles that, cannot be linked by a module
 * on 6.12.  So, as it does: the first check, inside the RCU section, keeps
 * the table (and its lock) from being freed while the walk uses it; the
 * second, under the lock, keeps it from being retracted.  On a change the
 * caller reads the PMD again.  On 6.1 both checks always hold.  The table
 * is then reached with pte_offset_kernel(): x86-64 has no HIGHPTE, so it
 * is what pte_offset_map() computes.
 */
static bool pagelab_walk_pte_table(pmd_t *pmdp, pmd_t pmd)
{
	return pmd_same(pmd, pagelab_pmdp_get(pmdp));
}

/*
 * A hugetlb VMA's PMD table may be shared with other processes (MAP_SHARED
 * over an aligned 1 GiB), and huge_pmd_unshare(), run by another process's
 * truncate or hole punch, clears this mm's PUD without its mmap_lock; the
 * table is freed when its last sharer lets go.  Its pmd_lock() is then not
 * this walk's to take, and the kernel's own walkers use
 * hugetlb_vma_lock_read(), which a module cannot call.  Every
 * huge_pmd_unshare() holds the file's i_mmap_rwsem for writing, so holding
 * it for reading keeps this mm's PUD, and the table it points to, in place
 * while the walk reads each entry once, with no page-table lock.  The
 * order is mmap_lock -> i_mmap_rwsem, as in the hugetlb fault path.
 */
static void pagelab_walk_hugetlb_lock(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma))
		i_mmap_lock_read(vma->vm_file->f_mapping);
}

static void pagelab_walk_hugetlb_unlock(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma))
		i_mmap_unlock_read(vma->vm_file->f_mapping);
}

/*
 * Walk @addr in @mm down to its leaf, printing each level; mmap_lock held,
 * and for a hugetlb VMA pagelab_walk_hugetlb_lock().
 */
static void pagelab_walk_user_one(struct mm_struct *mm, struct vm_area_struct *vma,
				  unsigned long addr, struct pagelab_walk_out *o,
				  struct pagelab_walk_end *e)
{
	pgd_t *pgdp, pgd;
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	spinlock_t *ptl;	/* the PMD's or the PTE table's lock, while held */

	/* Not mmap_assert_locked(): with DEBUG_VM it needs dump_mm(), not exported. */
	lockdep_assert_held(&mm->mmap_lock);
	memset(e, 0, sizeof(*e));

	pgdp = pgd_offset(mm, addr);
	pgd = READ_ONCE(*pgdp);
	out_entry(o, PAGELAB_L_PGD, pgd_index(addr), pgd_val(pgd), false);
	if (pagelab_pti_user_pgd(pgdp))
		out_pti_user(o, pgd_index(addr), pgd_val(READ_ONCE(*pagelab_pti_user_pgd(pgdp))));
	e->level = PAGELAB_L_PGD;
	if (pgd_none(pgd) || pgd_bad(pgd)) {
		e->reason = pgd_none(pgd) ? "none" : "bad";
		return;
	}
	p4dp = p4d_offset(pgdp, addr);
	p4d = READ_ONCE(*p4dp);
	e->level = PAGELAB_L_P4D;
	if (pgtable_l5_enabled())
		out_entry(o, PAGELAB_L_P4D, p4d_index(addr), p4d_val(p4d), false);
	else
		out_folded(o);
	if (p4d_none(p4d) || p4d_bad(p4d)) {
		e->reason = p4d_none(p4d) ? "none" : "bad";
		return;
	}
	pudp = pud_offset(p4dp, addr);
	pud = READ_ONCE(*pudp);
	e->level = PAGELAB_L_PUD;
	out_entry(o, PAGELAB_L_PUD, pud_index(addr), pud_val(pud), pud_leaf(pud));
	if (pud_none(pud)) {
		e->reason = "none";
		return;
	}
	if (pud_leaf(pud)) {
		e->leaf = true;
		e->size = PUD_SIZE;
		e->pfn = pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT);
		e->phys = PFN_PHYS(e->pfn) | (addr & ~PAGE_MASK);
		pagelab_walk_frame(vma, e->pfn, false, pfn_to_online_page(e->pfn), &e->frame);
		return;
	}
	if (pud_bad(pud)) {
		e->reason = "bad";
		return;
	}
	pmdp = pmd_offset(pudp, addr);
	e->level = PAGELAB_L_PMD;
	if (is_vm_hugetlb_page(vma)) {
		/* Never pmd_lock(): see pagelab_walk_hugetlb_lock(). */
		pmd = READ_ONCE(*pmdp);
		out_entry(o, PAGELAB_L_PMD, pmd_index(addr), pmd_val(pmd), !pmd_none(pmd));
		if (pmd_none(pmd))
			e->reason = "none";
		else
			pagelab_walk_pmd_leaf(vma, addr, pmd, e);
		return;
	}
again:
	pmd = pagelab_pmdp_get(pmdp);
	if (pmd_none(pmd)) {
		out_entry(o, PAGELAB_L_PMD, pmd_index(addr), pmd_val(pmd), false);
		e->reason = "none";
		return;
	}
	if (pmd_trans_huge(pmd) || pmd_devmap(pmd) || is_pmd_migration_entry(pmd)) {
		/* Re-read under the PMD lock: it may be splitting. */
		ptl = pmd_lock(mm, pmdp);
		pmd = *pmdp;
		if (pmd_trans_huge(pmd) || pmd_devmap(pmd) || is_pmd_migration_entry(pmd)) {
			out_entry(o, PAGELAB_L_PMD, pmd_index(addr), pmd_val(pmd), true);
			pagelab_walk_pmd_leaf(vma, addr, pmd, e);
			spin_unlock(ptl);
			return;
		}
		spin_unlock(ptl);
		/* Split meanwhile: now a table (or gone). */
		pmd = pagelab_pmdp_get(pmdp);
		if (pmd_none(pmd)) {
			out_entry(o, PAGELAB_L_PMD, pmd_index(addr), pmd_val(pmd), false);
			e->reason = "none";
			return;
		}
	}
	if (pmd_bad(pmd)) {
		out_entry(o, PAGELAB_L_PMD, pmd_index(addr), pmd_val(pmd), false);
		e->reason = "bad";
		return;
	}
	/* See pagelab_walk_pte_table(); the PMD is printed once it holds. */
	pagelab_pte_table_hold();
	if (!pagelab_walk_pte_table(pmdp, pmd)) {
		pagelab_pte_table_release();
		goto again;
	}
	ptl = pte_lockptr(mm, &pmd);
	spin_lock(ptl);
	if (!pagelab_walk_pte_table(pmdp, pmd)) {
		spin_unlock(ptl);
		pagelab_pte_table_release();
		goto again;
	}
	out_entry(o, PAGELAB_L_PMD, pmd_index(addr), pmd_val(pmd), false);
	{
		pte_t pte = ptep_get(pte_offset_kernel(&pmd, addr));

		out_entry(o, PAGELAB_L_PTE, pte_index(addr), pte_val(pte), true);
		pagelab_walk_pte(vma, addr, pte, e);
	}
	spin_unlock(ptl);
	pagelab_pte_table_release();
}

/**
 * pagelab_walk_escape() - append a name user space chose, escaped for the answer
 * @sb: the answer
 * @s: the name, NUL-terminated (a file's path)
 *
 * Every byte up to and including the space, 0x7f and '\' become an octal
 * escape \ooo, as /proc/PID/maps escapes a newline in a path
 * (mangle_path()): the name stays one word on one line, and cannot forge a
 * field or a line.  Other bytes, UTF-8 included, are copied.
 */
void pagelab_walk_escape(struct seq_buf *sb, const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		unsigned char c = *p;

		if (c > ' ' && c != 0x7f && c != '\\')
			continue;
		seq_buf_printf(sb, "%.*s\\%03o", (int)(p - s), s, c);
		s = p + 1;
	}
	seq_buf_printf(sb, "%s", s);
}
EXPORT_SYMBOL_NS_GPL(pagelab_walk_escape, PAGELAB_KUNIT_NS);

static void out_vma(struct pagelab_walk_out *o, struct mm_struct *mm, struct vm_area_struct *vma)
{
	char path[256], backing[32], prot[5];
	const char *kind = "", *name = backing;
	u64 id;

	prot[0] = vma->vm_flags & VM_READ ? 'r' : '-';
	prot[1] = vma->vm_flags & VM_WRITE ? 'w' : '-';
	prot[2] = vma->vm_flags & VM_EXEC ? 'x' : '-';
	prot[3] = vma->vm_flags & VM_MAYSHARE ? 's' : 'p';
	prot[4] = '\0';

	/* The backing is "kind:name" or a word; only the name comes from user space. */
	id = vma->vm_file ? pagelab_file_object(vma->vm_file) : 0;
	if (id) {
		snprintf(backing, sizeof(backing), "pagelab:%llu", id);
	} else if (vma->vm_file) {
		name = d_path(&vma->vm_file->f_path, path, sizeof(path));
		if (IS_ERR(name))
			name = "?";
		kind = "file:";
	} else if (vma->vm_ops && vma->vm_ops->name && vma->vm_ops->name(vma)) {
		name = vma->vm_ops->name(vma);
		if (!strcmp(name, "[vdso]"))
			name = "vdso";
		else if (!strcmp(name, "[vvar]"))
			name = "vvar";
		else
			kind = "special:";
	} else if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk) {
		name = "heap";
	} else if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack) {
		name = "stack";
	} else {
		name = "anon";
	}
	if (o->bin) {
		o->bin->found |= PAGELAB_WALK_VMA;
		o->bin->vma_start = vma->vm_start;
		o->bin->vma_end = vma->vm_end;
		strscpy(o->bin->vma_prot, prot, sizeof(o->bin->vma_prot));
		snprintf(o->bin->vma_backing, sizeof(o->bin->vma_backing), "%s%s", kind, name);
		return;
	}
	seq_buf_printf(&o->sb, "vma start=0x%lx end=0x%lx prot=%s backing=%s",
		       vma->vm_start, vma->vm_end, prot, kind);
	pagelab_walk_escape(&o->sb, name);
	seq_buf_printf(&o->sb, "%s", "\n");
}

static int pagelab_walk_user(struct mm_struct *mm, const struct pagelab_walk_req *req,
			     struct pagelab_walk_out *o)
{
	struct vm_area_struct *vma;
	struct pagelab_walk_end e;
	int levels = pgtable_l5_enabled() ? 5 : 4;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	if (o->bin)
		o->bin->levels = levels;
	else
		seq_buf_printf(&o->sb, "walk pid=%d addr=0x%lx levels=%d\n", req->pid,
			       req->start, levels);
	vma = find_vma(mm, req->start);
	if (!vma || req->start < vma->vm_start) {
		mmap_read_unlock(mm);
		memset(&e, 0, sizeof(e));
		e.level = -1;
		e.reason = "novma";
		out_end(o, &e);
		return 0;
	}
	out_vma(o, mm, vma);
	pagelab_walk_hugetlb_lock(vma);
	pagelab_walk_user_one(mm, vma, req->start, o, &e);
	pagelab_walk_fill_pflags(&e);
	pagelab_walk_hugetlb_unlock(vma);
	mmap_read_unlock(mm);
	out_end(o, &e);
	return 0;
}

/* ---- range walks --------------------------------------------------------- */

static void pagelab_walk_absent(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
				unsigned long addr, unsigned long end, const char *reason)
{
	struct pagelab_walk_end e = { .reason = reason };

	if (addr < end)
		v->pages(v, vma, addr, end - addr, &e, 0, 0);
}

/*
 * The pages of [addr, end) of @vma, told to @v: up to the end of @addr's
 * PMD, or of the PUD, P4D or PGD entry's span if that entry is empty (or
 * a PUD leaf).  Returns where it got to.  mmap_lock held, and for a
 * hugetlb VMA pagelab_walk_hugetlb_lock().
 */
static unsigned long pagelab_walk_pmd_range(struct mm_struct *mm, struct vm_area_struct *vma,
					    unsigned long addr, unsigned long end,
					    struct pagelab_walk_visitor *v)
{
	struct pagelab_walk_end e;
	pgd_t *pgdp;
	p4d_t *p4dp;
	pud_t *pudp;
	pmd_t *pmdp, pmd;
	spinlock_t *ptl;	/* the PMD's or the PTE table's lock, while held */
	pte_t *ptep;

	/*
	 * Each level's entry read once; an empty or bad one answers for its
	 * own span only (pgd_addr_end() and below), never past it.
	 */
	pgdp = pgd_offset(mm, addr);
	{
		pgd_t pgd = READ_ONCE(*pgdp);

		end = pgd_addr_end(addr, end);
		if (pgd_none(pgd) || pgd_bad(pgd)) {
			pagelab_walk_absent(v, vma, addr, end, pgd_none(pgd) ? "none" : "bad");
			return end;
		}
	}
	p4dp = p4d_offset(pgdp, addr);
	{
		p4d_t p4d = READ_ONCE(*p4dp);

		end = p4d_addr_end(addr, end);
		if (p4d_none(p4d) || p4d_bad(p4d)) {
			pagelab_walk_absent(v, vma, addr, end, p4d_none(p4d) ? "none" : "bad");
			return end;
		}
	}
	pudp = pud_offset(p4dp, addr);
	{
		pud_t pud = READ_ONCE(*pudp);

		end = pud_addr_end(addr, end);
		if (pud_none(pud)) {
			pagelab_walk_absent(v, vma, addr, end, "none");
			return end;
		}
		if (pud_leaf(pud)) {
			memset(&e, 0, sizeof(e));
			e.leaf = true;
			e.level = PAGELAB_L_PUD;
			e.size = PUD_SIZE;
			e.pfn = pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT);
			pagelab_walk_frame(vma, e.pfn, false, pfn_to_online_page(e.pfn), &e.frame);
			v->pages(v, vma, addr, end - addr, &e, pud_flags(pud), pud_val(pud));
			return end;
		}
		if (pud_bad(pud)) {
			pagelab_walk_absent(v, vma, addr, end, "bad");
			return end;
		}
	}
	end = pmd_addr_end(addr, end);
	pmdp = pmd_offset(pudp, addr);
	if (is_vm_hugetlb_page(vma)) {
		/* Never pmd_lock(): see pagelab_walk_hugetlb_lock(). */
		pmd = READ_ONCE(*pmdp);
		if (pmd_none(pmd)) {
			pagelab_walk_absent(v, vma, addr, end, "none");
			return end;
		}
		memset(&e, 0, sizeof(e));
		pagelab_walk_pmd_leaf(vma, addr, pmd, &e);
		v->pages(v, vma, addr, end - addr, &e, pmd_flags(pmd), pmd_val(pmd));
		return end;
	}
again:
	pmd = pagelab_pmdp_get(pmdp);
	if (pmd_none(pmd)) {
		pagelab_walk_absent(v, vma, addr, end, "none");
		return end;
	}
	if (pmd_trans_huge(pmd) || pmd_devmap(pmd) || is_pmd_migration_entry(pmd)) {
		ptl = pmd_lock(mm, pmdp);
		pmd = *pmdp;
		if (pmd_trans_huge(pmd) || pmd_devmap(pmd) || is_pmd_migration_entry(pmd)) {
			memset(&e, 0, sizeof(e));
			pagelab_walk_pmd_leaf(vma, addr, pmd, &e);
			v->pages(v, vma, addr, end - addr, &e, pmd_flags(pmd), pmd_val(pmd));
			spin_unlock(ptl);
			return end;
		}
		spin_unlock(ptl);
		pmd = pagelab_pmdp_get(pmdp);
		if (pmd_none(pmd)) {
			pagelab_walk_absent(v, vma, addr, end, "none");
			return end;
		}
	}
	if (pmd_bad(pmd)) {
		pagelab_walk_absent(v, vma, addr, end, "bad");
		return end;
	}

	/* See pagelab_walk_pte_table(). */
	pagelab_pte_table_hold();
	if (!pagelab_walk_pte_table(pmdp, pmd)) {
		pagelab_pte_table_release();
		goto again;
	}
	ptl = pte_lockptr(mm, &pmd);
	spin_lock(ptl);
	if (!pagelab_walk_pte_table(pmdp, pmd)) {
		spin_unlock(ptl);
		pagelab_pte_table_release();
		goto again;
	}
	ptep = pte_offset_kernel(&pmd, addr);
	if (v->ptes) {
		v->ptes(v, vma, addr, end, ptep);
		addr = end;
	}
	for (; addr < end; addr += PAGE_SIZE, ptep++) {
		pte_t pte = ptep_get(ptep);

		memset(&e, 0, sizeof(e));
		pagelab_walk_pte(vma, addr, pte, &e);
		v->pages(v, vma, addr, PAGE_SIZE, &e, pte_flags(pte), pte_val(pte));
	}
	spin_unlock(ptl);
	pagelab_pte_table_release();
	return end;
}

/**
 * pagelab_walk_range() - tell @v about every page of [@start, @end) in @mm
 * @mm: the memory map (a reference held)
 * @start: first address, page-aligned
 * @end: end of the range, page-aligned, above @start
 * @v: the visitor: pages in VMAs (holes between VMAs are not told)
 * @walk_end: out: where the walk stopped (@end, or after the step in
 *            which @v asked to stop, or @v->resume, or where it was
 *            interrupted)
 *
 * As pagemap_read() does, mmap_lock is taken for reading for the steps
 * over one PMD's span and dropped after them.  A step is in one VMA: up to
 * the end of a PMD, or of an empty PUD, P4D or PGD entry's span.
 *
 * Return: 0, -EINTR (a fatal signal, or killed waiting for the lock), or
 * what @v->enter() returned.
 */
int pagelab_walk_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		       struct pagelab_walk_visitor *v, unsigned long *walk_end)
{
	unsigned long addr = start, next, window;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	int ret = 0;

	while (addr < end && !v->stop) {
		if (mmap_read_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		/*
		 * One hold of the lock: one PMD's span, however many VMAs it
		 * has, found one after another from where the last one ended.
		 */
		window = pmd_addr_end(addr, end);
		vma_iter_init(&vmi, mm, addr);
		do {
			vma = vma_next(&vmi);
			if (!vma || vma->vm_start >= end) {
				addr = end;
				break;
			}
			addr = max(addr, vma->vm_start);
			next = min(vma->vm_end, end);
			ret = v->enter ? v->enter(v, vma, addr) : 0;
			if (ret)
				break;
			pagelab_walk_hugetlb_lock(vma);
			next = pagelab_walk_pmd_range(mm, vma, addr, next, v);
			pagelab_walk_hugetlb_unlock(vma);
			if (v->leave)
				v->leave(v, vma);
			addr = v->stop && v->resume ? v->resume : next;
		} while (addr < window && !v->stop);
		mmap_read_unlock(mm);
		if (ret)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	*walk_end = addr;
	return ret;
}

/* One run of pages with the same attributes, being accumulated. */
struct pagelab_walk_run {
	unsigned long start, end;
	unsigned long size;
	unsigned long pfn;	/* of the run's first page */
	u64 flags;		/* entry flag bits */
	const char *kind;
	const char *reason;	/* NULL: present run */
	bool excl;
	bool open;
};

/* The text answer of a range walk, as a visitor. */
struct pagelab_walk_text {
	struct pagelab_walk_visitor v;
	struct pagelab_walk_out *o;
	struct pagelab_walk_run r;
	unsigned long last;	/* end of the last page told: where a hole starts */
};

static void run_emit(struct pagelab_walk_out *o, struct pagelab_walk_run *r)
{
	unsigned long pages = (r->end - r->start) >> PAGE_SHIFT;
	char flags[160];

	if (!r->open)
		return;
	r->open = false;
	if (r->reason) {
		seq_buf_printf(&o->sb, "absent start=0x%lx end=0x%lx pages=%lu reason=%s\n",
			       r->start, r->end, pages, r->reason);
		return;
	}
	pagelab_walk_flags(r->flags, true, flags, sizeof(flags));
	seq_buf_printf(&o->sb, "run start=0x%lx end=0x%lx pages=%lu size=%lu pfn=0x%lx",
		       r->start, r->end, pages, r->size, o->show_pfn ? r->pfn : 0);
	seq_buf_printf(&o->sb, " flags=%s kind=%s excl=%d\n", flags, r->kind, r->excl);
}

/* Add [addr, addr + len) with these attributes; extend the run or start one. */
static void run_add(struct pagelab_walk_out *o, struct pagelab_walk_run *r, unsigned long addr,
		    unsigned long len, const struct pagelab_walk_end *e, u64 flags)
{
	const char *reason = e->leaf ? NULL : e->reason;
	const char *kind = e->frame.kind ? e->frame.kind : "none";

	/* Without CAP_SYS_ADMIN a run must not tell where the frames stop being contiguous. */
	if (r->open && r->end == addr && r->reason == reason &&
	    (reason || (r->size == e->size && r->flags == flags && r->kind == kind &&
			r->excl == e->frame.excl &&
			(!o->show_pfn ||
			 r->pfn + ((addr - r->start) >> PAGE_SHIFT) == e->pfn)))) {
		r->end = addr + len;
		return;
	}
	run_emit(o, r);
	*r = (struct pagelab_walk_run){
		.start = addr, .end = addr + len, .size = e->size, .pfn = e->pfn,
		.flags = flags, .kind = kind, .reason = reason, .excl = e->frame.excl,
		.open = true,
	};
}

/* A hole before @addr, if the last page told ended before it. */
static void pagelab_walk_text_hole(struct pagelab_walk_text *t, unsigned long addr)
{
	struct pagelab_walk_end e = { .reason = "novma" };

	if (t->last < addr)
		run_add(t->o, &t->r, t->last, addr - t->last, &e, 0);
	t->last = addr;
}

static void pagelab_walk_text_pages(struct pagelab_walk_visitor *v, struct vm_area_struct *vma,
				    unsigned long addr, unsigned long len,
				    const struct pagelab_walk_end *e, u64 flags, u64 entry)
{
	struct pagelab_walk_text *t = container_of(v, struct pagelab_walk_text, v);

	pagelab_walk_text_hole(t, addr);
	/* A run never crosses a VMA boundary. */
	if (addr == vma->vm_start)
		run_emit(t->o, &t->r);
	run_add(t->o, &t->r, addr, len, e, flags);
	t->last = addr + len;
}

static void pagelab_walk_text_leave(struct pagelab_walk_visitor *v, struct vm_area_struct *vma)
{
	struct pagelab_walk_text *t = container_of(v, struct pagelab_walk_text, v);

	if (seq_buf_has_overflowed(&t->o->sb))
		v->stop = true;
}

static int pagelab_walk_user_range(struct mm_struct *mm, const struct pagelab_walk_req *req,
				   struct pagelab_walk_out *o)
{
	struct pagelab_walk_text t = {
		.v = { .pages = pagelab_walk_text_pages, .leave = pagelab_walk_text_leave },
		.o = o,
		.last = req->start,
	};
	unsigned long walk_end;
	int ret;

	seq_buf_printf(&o->sb, "range pid=%d start=0x%lx end=0x%lx levels=%d\n", req->pid,
		       req->start, req->end, pgtable_l5_enabled() ? 5 : 4);

	ret = pagelab_walk_range(mm, req->start, req->end, &t.v, &walk_end);
	if (!ret && !t.v.stop)
		pagelab_walk_text_hole(&t, req->end);
	run_emit(o, &t.r);
	seq_buf_printf(&o->sb, "end pages=%lu\n", (req->end - req->start) >> PAGE_SHIFT);
	return ret;
}

/* ---- kernel walks -------------------------------------------------------- */

/* Read one kernel page-table entry that may vanish under us. */
static int pagelab_walk_kread(const void *p, u64 *val)
{
	return get_kernel_nofault(*val, (const u64 *)p) ? -EFAULT : 0;
}

static int pagelab_walk_kernel(const struct pagelab_walk_req *req, struct pagelab_walk_out *o)
{
	unsigned long addr = req->start;
	struct pagelab_walk_end e = { .level = PAGELAB_L_PGD };
	u64 v, table;
	int level;
	bool leaf;

	if (o->bin) {
		o->bin->levels = pgtable_l5_enabled() ? 5 : 4;
	} else {
		seq_buf_printf(&o->sb, "walk kernel addr=0x%lx levels=%d\n", addr,
			       pgtable_l5_enabled() ? 5 : 4);
	}

	/* The kernel half of every PGD is the same: start from the writer's. */
	if (pagelab_walk_kread(pgd_offset(current->mm, addr), &v))
		return -EFAULT;
	out_entry(o, PAGELAB_L_PGD, pgd_index(addr), v, false);
	for (level = PAGELAB_L_P4D; ; level++) {
		e.level = level - 1;
		if (!(v & _PAGE_PRESENT)) {
			e.reason = v ? "bad" : "none";
			break;
		}
		if (level - 1 >= PAGELAB_L_PUD && (v & _PAGE_PSE)) {
			/* A leaf at PUD or PMD level. */
			unsigned long size = level - 1 == PAGELAB_L_PUD ? PUD_SIZE : PMD_SIZE;

			e.leaf = true;
			e.size = size;
			e.pfn = ((v & PTE_PFN_MASK & ~(u64)(size - 1)) + (addr & (size - 1))) >>
				PAGE_SHIFT;
			e.phys = PFN_PHYS(e.pfn) | (addr & ~PAGE_MASK);
			break;
		}
		if (level > PAGELAB_L_PTE) {
			e.leaf = true;
			e.level = PAGELAB_L_PTE;
			e.size = PAGE_SIZE;
			e.pfn = (v & PTE_PFN_MASK) >> PAGE_SHIFT;
			e.phys = PFN_PHYS(e.pfn) | (addr & ~PAGE_MASK);
			break;
		}
		if (level == PAGELAB_L_P4D && !pgtable_l5_enabled()) {
			out_folded(o);
			continue;
		}
		table = (u64)(unsigned long)__va(v & PTE_PFN_MASK);
		switch (level) {
		case PAGELAB_L_P4D:
			table += p4d_index(addr) * sizeof(p4d_t);
			break;
		case PAGELAB_L_PUD:
			table += pud_index(addr) * sizeof(pud_t);
			break;
		case PAGELAB_L_PMD:
			table += pmd_index(addr) * sizeof(pmd_t);
			break;
		default:
			table += pte_index(addr) * sizeof(pte_t);
			break;
		}
		if (pagelab_walk_kread((void *)(unsigned long)table, &v))
			return -EFAULT;
		leaf = level == PAGELAB_L_PTE ||
		       (level >= PAGELAB_L_PUD && (v & _PAGE_PSE) && (v & _PAGE_PRESENT));
		out_entry(o, level,
			  level == PAGELAB_L_P4D ? p4d_index(addr) :
			  level == PAGELAB_L_PUD ? pud_index(addr) :
			  level == PAGELAB_L_PMD ? pmd_index(addr) : pte_index(addr), v, leaf);
	}
	if (e.leaf) {
		struct page *page = pfn_to_online_page(e.pfn);

		pagelab_walk_frame(NULL, e.pfn, false, page, &e.frame);
		if (e.frame.page)
			e.frame.kind = "kernel";
		pagelab_walk_fill_pflags(&e);
	}
	out_end(o, &e);
	return 0;
}

/* ---- PAGELAB_IOC_WALK ----------------------------------------------------- */

/**
 * pagelab_walk_ioctl() - PAGELAB_IOC_WALK on /dev/pagelab
 * @file: the opened /dev/pagelab (its opener's rights count, as for debugfs)
 * @uarg: struct pagelab_walk in user memory
 *
 * The walk of one address, the one debugfs' walk file answers in text,
 * answered as a structure: the same levels, VMA, leaf, page and absence,
 * under the same permission rules.
 *
 * Return: 0; -EINVAL for unknown flags, a negative pid, an address that
 * is not of the kind asked for (user, or canonical kernel with
 * PAGELAB_WALK_KERNEL); -EPERM for a kernel walk without CAP_SYS_ADMIN,
 * -EACCES/-EPERM/-ESRCH for a process the caller may not read or that is
 * gone; -EINTR; -EFAULT.
 */
long pagelab_walk_ioctl(struct file *file, struct pagelab_walk __user *uarg)
{
	struct pagelab_walk_out o = { .show_pfn = pagelab_walk_admin(file) };
	struct pagelab_walk_req req = {};
	struct mm_struct *mm;
	struct pagelab_walk *w;
	const char *why;
	long ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(w, uarg, offsetof(struct pagelab_walk, levels)))
		goto out_free;
	ret = -EINVAL;
	if (w->flags & ~PAGELAB_WALK_FLAGS || w->pid < 0)
		goto out_free;
	req.start = w->addr;
	req.pid = w->pid;
	o.bin = w;
	if (w->flags & PAGELAB_WALK_KERNEL) {
		if (w->pid || (long)w->addr >= 0 || !pagelab_walk_canonical(w->addr))
			goto out_free;
		/* Presence alone, level by level, would locate the kernel (KASLR). */
		ret = -EPERM;
		if (!o.show_pfn)
			goto out_free;
		ret = pagelab_walk_kernel(&req, &o);
	} else {
		if (w->addr >= TASK_SIZE_MAX)
			goto out_free;
		mm = w->pid ? pagelab_walk_pid_mm(file, w->pid, &why) : get_task_mm(current);
		ret = -ESRCH;
		if (!mm)
			goto out_free;
		if (IS_ERR(mm)) {
			ret = PTR_ERR(mm);
			goto out_free;
		}
		ret = pagelab_walk_user(mm, &req, &o);
		mmput(mm);
	}
	if (!ret && copy_to_user(uarg, w, sizeof(*w)))
		ret = -EFAULT;
	trace_pagelab_walk(req.pid, req.start, 0, w->flags & PAGELAB_WALK_KERNEL, ret);
out_free:
	kfree(w);
	return ret;
}

/* ---- the debugfs file ---------------------------------------------------- */

struct pagelab_walk_file {
	struct mutex lock;	/* guards @answer, @len, @writer: one request at a time */
	char *answer;
	size_t len;
	const struct cred *writer;	/* who asked for @answer; NULL: anyone reads it */
};

/* @buf (@len bytes) is the answer now, for @writer (a reference, or NULL) only. */
static void pagelab_walk_set_answer(struct pagelab_walk_file *wf, char *buf, size_t len,
				    const struct cred *writer)
{
	kvfree(wf->answer);
	if (wf->writer)
		put_cred(wf->writer);
	wf->answer = buf;
	wf->len = len;
	wf->writer = writer;
}

/*
 * May a reader with credentials @r read an answer written with @w?  The
 * same credentials, or the same filesystem ids in the same user namespace
 * with at least the writer's effective capabilities: otherwise a process
 * sharing the file could have a more privileged one (a setuid program)
 * write a request for it and read the answer.
 */
static bool pagelab_walk_reader_ok(const struct cred *r, const struct cred *w)
{
	if (!w || r == w)
		return true;
	return uid_eq(r->fsuid, w->fsuid) && gid_eq(r->fsgid, w->fsgid) &&
	       r->user_ns == w->user_ns && cap_issubset(w->cap_effective, r->cap_effective);
}

static void pagelab_walk_set_error(struct pagelab_walk_file *wf, const char *why)
{
	char *buf = kasprintf(GFP_KERNEL, "error: %s\n", why);

	pagelab_walk_set_answer(wf, buf, buf ? strlen(buf) : 0, NULL);
}

static int pagelab_walk_run(struct file *file, const struct pagelab_walk_req *req,
			    char *buf, size_t size, size_t *len, const char **why)
{
	bool admin = pagelab_walk_admin(file);
	struct pagelab_walk_out o = { .show_pfn = admin };
	struct mm_struct *mm;
	int ret;

	seq_buf_init(&o.sb, buf, size);
	if (req->kernel) {
		/* Presence alone, level by level, would locate the kernel (KASLR). */
		*why = "not allowed: a kernel walk needs CAP_SYS_ADMIN (opener and writer)";
		if (!admin)
			return -EPERM;
		*why = "kernel entry unreadable (changed under the walk)";
		ret = pagelab_walk_kernel(req, &o);
		goto out;
	}
	mm = pagelab_walk_pid_mm(file, req->pid, why);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	*why = "interrupted";
	ret = req->range ? pagelab_walk_user_range(mm, req, &o) : pagelab_walk_user(mm, req, &o);
	mmput(mm);
out:
	if (!ret && seq_buf_has_overflowed(&o.sb)) {
		*why = "answer too large: narrow the range";
		ret = -E2BIG;
	}
	*len = seq_buf_used(&o.sb);
	return ret;
}

static ssize_t pagelab_walk_write(struct file *file, const char __user *ubuf, size_t count,
				  loff_t *ppos)
{
	struct pagelab_walk_file *wf = file->private_data;
	struct pagelab_walk_req req;
	char kbuf[WALK_REQ_MAX];
	const char *why = NULL;
	size_t size, len = 0;
	char *answer;
	int ret;

	if (count >= sizeof(kbuf)) {
		why = "request too long";
		ret = -EINVAL;
		goto err_record;
	}
	if (copy_from_user(kbuf, ubuf, count)) {
		why = "bad buffer";
		ret = -EFAULT;
		goto err_record;
	}
	kbuf[count] = '\0';
	ret = pagelab_walk_parse(kbuf, &req, &why);
	if (ret)
		goto err_record;

	size = WALK_ANSWER_MIN;
	if (req.range)
		size = clamp_t(size_t, ((req.end - req.start) >> PAGE_SHIFT) * 160, WALK_ANSWER_MIN,
			       WALK_ANSWER_MAX);
	answer = pagelab_should_fail(PAGELAB_FAIL_WALK_BUF) ? NULL :
		 kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!answer) {
		why = "out of memory";
		ret = -ENOMEM;
		goto err_record;
	}
	ret = pagelab_walk_run(file, &req, answer, size, &len, &why);
	trace_pagelab_walk(req.pid, req.start, req.end, req.kernel, ret);
	if (ret) {
		kvfree(answer);
		goto err_record;
	}
	mutex_lock(&wf->lock);
	pagelab_walk_set_answer(wf, answer, len, get_current_cred());
	mutex_unlock(&wf->lock);
	*ppos = 0;	/* the answer is read from its start */
	return count;

err_record:
	/* Never leave an earlier answer readable after a failed request. */
	mutex_lock(&wf->lock);
	pagelab_walk_set_error(wf, why ? why : "failed");
	mutex_unlock(&wf->lock);
	*ppos = 0;
	return ret;
}

static ssize_t pagelab_walk_read(struct file *file, char __user *ubuf, size_t count,
				 loff_t *ppos)
{
	struct pagelab_walk_file *wf = file->private_data;
	ssize_t ret;

	if (mutex_lock_killable(&wf->lock))
		return -EINTR;
	if (pagelab_walk_reader_ok(current_cred(), wf->writer))
		ret = simple_read_from_buffer(ubuf, count, ppos, wf->answer, wf->len);
	else
		ret = -EACCES;
	mutex_unlock(&wf->lock);
	return ret;
}

static int pagelab_walk_open(struct inode *inode, struct file *file)
{
	struct pagelab_walk_file *wf = kzalloc(sizeof(*wf), GFP_KERNEL);

	if (!wf)
		return -ENOMEM;
	mutex_init(&wf->lock);
	pagelab_walk_set_error(wf, "no request written");
	file->private_data = wf;
	return 0;
}

static int pagelab_walk_release(struct inode *inode, struct file *file)
{
	struct pagelab_walk_file *wf = file->private_data;

	pagelab_walk_set_answer(wf, NULL, 0, NULL);
	kfree(wf);
	return 0;
}

const struct file_operations pagelab_walk_fops = {
	.owner = THIS_MODULE,
	.open = pagelab_walk_open,
	.read = pagelab_walk_read,
	.write = pagelab_walk_write,
	.release = pagelab_walk_release,
	.llseek = default_llseek,
};
