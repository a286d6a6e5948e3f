/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab-fuzz - pagelab's own random-operation fuzzer: what its files share.
 *
 * One supervisor process forks --procs workers.  Each worker runs seeded
 * random operations on /dev/pagelab, its objects and their mappings, and
 * forks children of its own (sync: the worker waits; async: it runs on).
 * Everything the family must agree on lives in one MAP_SHARED region
 * (struct fz_shared): the object registry, the counters and the op rings.
 *
 * Data stamps.  Every 8-byte word a fuzzer process writes into an object
 * page says what it is: the object's tag (registry slot + 1), the page
 * index in the object, a generation, the word's index in the page and 7
 * check bits (fz_word()).  So any read of any word can be judged alone.
 *
 * Who writes what.  Page P of the object in slot S is written, through
 * shared mappings, only by the holder of token (S + P) % procs: worker W
 * holds token W, a sync child holds its parent's while the parent waits,
 * an async child holds none.  The writer bumps the page's gen in the
 * registry before its first store and sets done = gen after its last
 * (fz_stamp_begin/end); a write cut short (a signal, a short syscall)
 * leaves done behind gen until the next whole write.
 *
 * What a read may see.  A reader snapshots done, gen and flags before the
 * read and gen and flags after it:
 *  - stable (done == gen before, gen unchanged after, not inherited from
 *    a clone source): the page must be exactly the stamp of
 *    (own tag, P, gen), or all zeros if gen is 0 -- a strong check: stale
 *    data (lost write), another page's or object's data, garbage all fail;
 *  - a page of a clone not written since: exactly what the source page
 *    held at clone time when that was stable around the clone (strong),
 *    else the weak check;
 *  - otherwise (a writer was active, a torn page): the weak check -- every
 *    word is zero or a valid word of this page, of the object's own tag or
 *    a clone ancestor's, with a generation not above that page's current
 *    gen; private mappings also allow the private tag.  A few words may be
 *    torn byte-wise (the kernel copies byte by byte: "rep movsb"): each of
 *    their bytes must then still fit a word the rule allows.
 * Private mappings (MAP_PRIVATE) follow the object until this process
 * writes a page; then the page must be exactly its own private stamp.  A
 * private page the kernel copied with no write of ours (MAP_POPULATE,
 * MAP_LOCKED, mlock, MADV_POPULATE_WRITE of a writable private range)
 * holds the object's data of that moment: the weak rule.  A private page
 * an ioctl's answer was written into on purpose holds junk and is not
 * checked until rewritten (shared pages never get junk: a clone, a pipe
 * or a private copy could keep it where no rule expects it).  An object
 * whose backing file was truncated behind the module's back is judged by
 * the weak rule from then on.
 *
 * Signals.  SIGSEGV is expected only for accesses the mapping's protection
 * forbids; SIGBUS only past the object's end (a mapping mremap()ed larger)
 * or on an object that has ever had a frame budget (store full, every frame
 * pinned, a backing file's I/O error or truncation: documented SIGBUS
 * cases).  Anything else is a failure.
 *
 * Huge objects (PAGELAB_CREATE_HUGE, where the module offers it, and their
 * clones) stay under 2 MiB like the others, so no PMD leaf maps them: what
 * they exercise is their mapping kind.  Their mappings are MAP_SHARED only
 * (MAP_PRIVATE must fail EINVAL) and VM_PFNMAP, which get_user_pages()
 * refuses: /proc/PID/mem, process_vm_readv/writev, and vmsplice of a page
 * not mapped yet may fail there (no bug, and no data to judge).  Such a
 * mapping cannot grow by mremap() nor stay behind by MREMAP_DONTUNMAP, and
 * madvise() that drops, ages or populates its pages must fail EINVAL.
 */
#ifndef PAGELAB_FUZZ_H
#define PAGELAB_FUZZ_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pagelab_lib.h"

#define FZ_PS		4096UL
#define FZ_WORDS	(FZ_PS / 8)
#define FZ_MAX_PROCS	16
#define FZ_OBJ_PAGES	64		/* largest object the fuzzer creates */
#define FZ_MAP_PAGES	128		/* largest mapping (mremap may grow one) */
#define FZ_SLOTS	32768		/* registry entries; never reused */
#define FZ_MAX_FDS	24
#define FZ_MAX_MAPS	24
#define FZ_MAX_STORES	6
#define FZ_MAX_SPLICE	4
#define FZ_MAX_KIDS	3
#define FZ_MAX_BUDDY	8
#define FZ_MAX_DEPTH	2
#define FZ_RING		96
#define FZ_PRIV_TAG	0xffffu		/* private (MAP_PRIVATE) writes */
#define FZ_SKIP		1		/* an op's result: nothing to do */

typedef struct fz_proc_s fz_proc;

/* Registry page flags (struct fz_page.flags, low byte; exp_tag above). */
#define FZ_PG_INH	0x2u	/* a clone's page not written since the clone */
#define FZ_PG_EXACT	0x4u	/* ... and its content is known: exp_tag/exp_gen */

/* Registry object flags. */
#define FZ_OBJ_BUDGET	0x1u	/* has had a frame budget: SIGBUS allowed */
#define FZ_OBJ_LOSSY	0x2u	/* its backing file was truncated: weak checks only */
#define FZ_OBJ_HUGE	0x4u	/* PAGELAB_CREATE_HUGE, or a clone of one: VM_PFNMAP */

/* One page of a registered object (shared by the process family). */
struct fz_page {
	uint32_t gen;		/* the last write begun (0: never written) */
	uint32_t done;		/* the last write completed */
	uint32_t flags;		/* FZ_PG_*; bits 16-31: exp_tag */
	uint32_t exp_gen;	/* FZ_PG_EXACT: the gen of exp_tag it holds */
	int32_t wpid;		/* the last writer, and how (for reports) */
	uint32_t wmeth;
};

/* One object the family created or cloned: its slot's tag is slot + 1. */
struct fz_obj {
	uint64_t id;		/* the module's id; 0 until published */
	uint32_t npages;
	uint32_t parent;	/* clone source's slot + 1, 0 for none */
	uint32_t flags;		/* FZ_OBJ_* */
	uint32_t creator;	/* worker index, for messages */
	struct fz_page pg[FZ_OBJ_PAGES];
};

/* Operation families: --no-FAMILY leaves one out. */
enum fz_family {
	FZ_F_OBJ, FZ_F_IOCTL, FZ_F_MAP, FZ_F_TOUCH, FZ_F_CLONE, FZ_F_MERGE,
	FZ_F_REPLACE, FZ_F_FILE, FZ_F_FORK, FZ_F_PROCMEM, FZ_F_WALK, FZ_F_DEBUGFS,
	FZ_F_FDPASS, FZ_F_SPLICE, FZ_F_NR
};

enum fz_op {
	OP_CREATE, OP_CREATE_JUNK, OP_ATTACH, OP_CLOSE, OP_DUP, OP_STAT, OP_INFO,
	OP_IOCTL_JUNK, OP_FDIO, OP_MMAP, OP_MMAP_JUNK, OP_MUNMAP, OP_MREMAP,
	OP_MPROTECT, OP_MADVISE, OP_MLOCK_MSYNC, OP_READ, OP_WRITE, OP_FORBIDDEN,
	OP_VERIFY_ALL, OP_CLONE, OP_MERGE, OP_REPLACE, OP_TRUNCATE, OP_FORK,
	OP_PROCMEM_READ, OP_PROCMEM_WRITE, OP_REMOTE_READ, OP_WALK, OP_WALK_JUNK, OP_SCAN,
	OP_WALK_IOCTL,
	OP_DEBUGFS, OP_PAGEMAP, OP_SENDFD, OP_RECVFD, OP_SPLICE, OP_SPLICE_READ,
	OP_SLEEP, OP_BUDDY, OP_SLAB, OP_PHYSMAP, OP_NR
};

struct fz_opdesc {
	const char *name;
	enum fz_family family;
	unsigned int weight;
	int (*fn)(fz_proc *p);
};

struct fz_count {
	uint64_t calls, ok, err, skip;
	uint64_t max_ns;	/* the slowest one */
};

struct fz_ring_ent {
	uint64_t op;
	pid_t pid;
	int state;		/* 0 free, 1 running, 2 done */
	int ret;		/* 0, -errno, FZ_SKIP */
	char text[180];
};

struct fz_ring {
	uint32_t next;
	struct fz_ring_ent ent[FZ_RING];
};

#define FZ_NERRNO	140

struct fz_shared {
	uint64_t seed;
	int nprocs;
	int stop;		/* set: every process ends after its op */
	uint32_t failures;
	uint32_t next_slot;
	uint32_t registry_full;
	pid_t pids[FZ_MAX_PROCS];
	int32_t hot[FZ_MAX_PROCS * 2];	/* slots + 1 each worker made last: shared most */
	struct fz_count count[OP_NR];
	uint64_t errnos[FZ_NERRNO];
	uint64_t strong, weak, unchecked;	/* page checks */
	uint64_t must_fail, must_ok;		/* calls checked for their outcome */
	uint64_t sigbus, sigsegv;		/* expected signals taken */
	uint64_t forks;
	uint64_t slowest_ns;	/* the slowest op of the run, and what it was */
	char slowest[200];
	struct fz_ring ring[FZ_MAX_PROCS];
	struct fz_obj reg[FZ_SLOTS];
};

/* Options, as parsed by main.c; read-only after the workers start. */
struct fz_opts {
	uint64_t seed;
	int procs;
	uint64_t ops;		/* per worker; 0: no limit */
	unsigned int seconds;	/* 0: no limit */
	bool verbose, kmsg, keep_going;
	bool no[FZ_F_NR];
	const char *scratch;	/* a directory for backing files, or NULL */
	uint64_t max_object_pages;
	uint64_t direct_map_base;
	bool huge;		/* the module offers PAGELAB_FEAT_HUGE */
};

/* Per process state (copied by fork). */
struct fz_fd {
	int fd;
	int slot;
	bool rdonly;
};

#define FZ_PRIV_NONE	0	/* reads see the object */
#define FZ_PRIV_STAMP	1	/* our private stamp pgen[] */
#define FZ_PRIV_FROZEN	2	/* a private copy of unknown object content */
#define FZ_PRIV_JUNK	3	/* junk on purpose: unchecked */

struct fz_map {
	unsigned char *addr;
	uint32_t npages;
	uint32_t pgoff;		/* object page of addr */
	int slot;
	bool shared, maywrite;
	uint8_t prot[FZ_MAP_PAGES];
	uint8_t priv[FZ_MAP_PAGES];
	uint8_t dontfork[FZ_MAP_PAGES];
	uint32_t pgen[FZ_MAP_PAGES];
};

enum fz_store_kind {
	ST_GOOD, ST_BIG, ST_TMPFILE, ST_MEMFD, ST_APPEND, ST_RDONLY, ST_WRONLY, ST_DIR,
	ST_FIFO, ST_SMALL, ST_OTHERW, ST_SETUID, ST_DEVNULL, ST_SOCKET, ST_OBJFD,
	ST_BADFD, ST_NR
};

struct fz_store {
	int fd;
	enum fz_store_kind kind;
	uint32_t pages;		/* its size, in pages, when made */
	int backs;		/* slot it was last given to, -1 */
	pid_t owner;		/* who unlinks path */
	char path[200];
};

struct fz_splice {
	int rfd, wfd;
	int slot;
	uint32_t page, npages;
	bool priv;
	bool junk;		/* a private page in it holds or may get junk */
	uint32_t junk_gen;	/* the process's junk_gen then */
};

struct fz_proc_s {
	int idx;		/* worker: its ring and token */
	int token;		/* -1: writes no shared page */
	int depth;
	bool async, unpriv;
	char name[40];		/* "p2", "p2.s1", "p2.s1.a2" ... */
	uint64_t rng;
	uint64_t op, ops_left;
	struct fz_ring_ent *ent;
	bool failed;
	int dev;
	int nfds;
	struct fz_fd fds[FZ_MAX_FDS];
	int nmaps;
	struct fz_map maps[FZ_MAX_MAPS];
	int nstores;
	struct fz_store stores[FZ_MAX_STORES];
	int nspl;
	struct fz_splice spl[FZ_MAX_SPLICE];
	int nkids;
	pid_t kids[FZ_MAX_KIDS];
	int memfd;		/* /proc/self/mem, opened by memfd_pid */
	pid_t memfd_pid;
	int walkfd;
	int tmpfd;		/* an unlinked file for read()/write() copies */
	int sock[2];		/* the family's fd-passing socket pair */
	uint32_t priv_counter;
	uint32_t junk_gen;	/* private junk writes so far */
	pid_t parent;		/* sync child: the waiting parent */
	int parent_nmaps;
	struct fz_map *parent_maps;	/* its table at fork time */
	unsigned char *buf;	/* FZ_MAP_PAGES pages of scratch */
	unsigned char *buf2;
	unsigned char *ro_page;	/* a PROT_READ page, for EFAULT tests */
	unsigned char *none_page;	/* a PROT_NONE page */
	unsigned int kid_seq;
	int nbuddy;
	uint64_t buddy[FZ_MAX_BUDDY];	/* handles of blocks taken on @dev */
	int nslab;
	uint64_t slab[FZ_MAX_BUDDY];	/* handles of slab objects taken on @dev */
};

extern struct fz_shared *fz;
extern struct fz_opts fzo;
extern const struct fz_opdesc fz_ops[OP_NR];

/* ---- atomics on the shared region ---------------------------------------- */
#define FZ_LD(x)	__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define FZ_ST(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define FZ_ADD(x, v)	__atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)

/* ---- randomness ----------------------------------------------------------- */
static inline uint64_t fz_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t fz_rand(fz_proc *p)
{
	p->rng += 0x9e3779b97f4a7c15ULL;
	return fz_mix(p->rng);
}

static inline uint32_t fz_below(fz_proc *p, uint32_t n)
{
	return n ? (uint32_t)(fz_rand(p) % n) : 0;
}

static inline bool fz_pct(fz_proc *p, unsigned int pct)
{
	return fz_below(p, 100) < pct;
}

/* ---- main.c: reporting ------------------------------------------------------ */
/* Append to the running op's description (its ring entry; --kmsg, --verbose). */
void fz_say(fz_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failure: "FUZZ FAIL seed=N op=K: ..." and this process's recent ops. */
void fz_fail(fz_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line on stdout, written whole. */
void fz_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The recent ops of worker @idx's ring. */
void fz_dump_ring(int idx, int max);
uint64_t fz_now_ns(void);

/* Expect a call that must fail (ret < 0 with errno in the list, 0-ended). */
bool fz_must_fail(fz_proc *p, const char *what, long ret, int err, ...);
/* Expect a call that must succeed unless it failed with one of the listed errnos. */
bool fz_must_ok(fz_proc *p, const char *what, long ret, int err, ...);

/* ---- stamp.c: the data stamps and the registry protocol ---------------------- */
static inline uint64_t fz_chk(uint64_t w)
{
	return (fz_mix(w) >> 57) & 0x7f;
}

static inline uint64_t fz_word(uint32_t tag, uint32_t page, uint32_t gen, uint32_t k)
{
	uint64_t w = (uint64_t)(tag & 0xffff) << 48 | (uint64_t)(page & 0xff) << 40 |
		     (uint64_t)(gen & 0xffffff) << 16 | (uint64_t)(k & 0x1ff) << 7;

	return w | fz_chk(w);
}

static inline struct fz_obj *fz_obj(int slot)
{
	return &fz->reg[slot];
}

/* A new registry slot (zeroed), or -1 when the registry is full. */
int fz_slot_alloc(uint32_t npages, int parent, int creator);
/* The slot of the object with module id @id, or -1. */
int fz_slot_find(uint64_t id);
/* May this process write page @page of @slot through a shared mapping? */
bool fz_owns(fz_proc *p, int slot, uint32_t page);

struct fz_snap {
	uint32_t d1, g1, f1, g2, f2;
};

void fz_snap_begin(int slot, uint32_t page, struct fz_snap *s);
void fz_snap_end(int slot, uint32_t page, struct fz_snap *s);

/* Begin a shared write of @page by method @meth (enum fz_method): its new gen. */
uint32_t fz_stamp_begin(int slot, uint32_t page, unsigned int meth);
/* The write of @gen completed whole. */
void fz_stamp_end(int slot, uint32_t page, uint32_t gen);
/* Fill @dst (one page) with the stamp of (@tag, @page, @gen). */
void fz_fill(uint64_t *dst, uint32_t tag, uint32_t page, uint32_t gen);

/* What a read of one page of a mapping must be judged against. */
struct fz_view {
	int slot;
	uint32_t page;		/* object page */
	int priv;		/* FZ_PRIV_* of the mapping's page (NONE for shared) */
	uint32_t pgen;		/* FZ_PRIV_STAMP: its gen */
	bool priv_ok;		/* the private tag may appear (weak) */
	uint32_t priv_max;
	struct fz_snap snap;
};

enum fz_verdict { FZ_V_STRONG, FZ_V_WEAK, FZ_V_SKIP, FZ_V_BAD };

/*
 * Judge @n words read from word @k0 of a page against @v; on FZ_V_BAD a
 * description in @why.  Counts the check in the shared counters.
 */
enum fz_verdict fz_check(const struct fz_view *v, const uint64_t *words, unsigned int k0,
			 unsigned int n, char *why, size_t whylen);
/* The words of a page as runs of equal ones, for reports. */
void fz_page_runs(const uint64_t *w, unsigned int k0, unsigned int n, char *buf, size_t len);
/* Only the weak rule (pipe contents, unknown snapshots). */
enum fz_verdict fz_check_weak(const struct fz_view *v, const uint64_t *words, unsigned int k0,
			      unsigned int n, char *why, size_t whylen);

/* ---- ops.c (and ops_*.c): the operations --------------------------------------- */
void fz_proc_init(fz_proc *p);
/* Run up to @nops ops (0: until stop/deadline). */
void fz_run(fz_proc *p, uint64_t nops);
/* End of a process: reap children, maybe tidy up, unlink its files. */
void fz_proc_end(fz_proc *p);
extern uint64_t fz_deadline_ns;

/* Shared helpers of the ops files. */
int fz_pick_fd(fz_proc *p, bool need_rw);
int fz_pick_map(fz_proc *p);
int fz_add_fd(fz_proc *p, int fd, int slot, bool rdonly);
void fz_drop_fd(fz_proc *p, int i);
struct fz_map *fz_add_map(fz_proc *p, void *addr, uint32_t npages, uint32_t pgoff, int slot,
			  bool shared, bool maywrite, int prot);
/* Forget [addr, addr+len) in the table (after munmap, MAP_FIXED, mremap). */
void fz_forget_range(fz_proc *p, uintptr_t addr, size_t len);
bool fz_past_end(const struct fz_map *m, uint32_t i);
bool fz_obj_budgeted(int slot);
/* A huge object's: its mappings are VM_PFNMAP, which get_user_pages() refuses. */
bool fz_obj_huge(int slot);
/* The fuzzer's op functions. */
int fz_op_create(fz_proc *p);
int fz_op_create_junk(fz_proc *p);
int fz_op_attach(fz_proc *p);
int fz_op_close(fz_proc *p);
int fz_op_dup(fz_proc *p);
int fz_op_stat(fz_proc *p);
int fz_op_info(fz_proc *p);
int fz_op_ioctl_junk(fz_proc *p);
int fz_op_fdio(fz_proc *p);
int fz_op_mmap(fz_proc *p);
int fz_op_mmap_junk(fz_proc *p);
int fz_op_munmap(fz_proc *p);
int fz_op_mremap(fz_proc *p);
int fz_op_mprotect(fz_proc *p);
int fz_op_madvise(fz_proc *p);
int fz_op_mlock_msync(fz_proc *p);
int fz_op_read(fz_proc *p);
int fz_op_write(fz_proc *p);
int fz_op_forbidden(fz_proc *p);
int fz_op_verify_all(fz_proc *p);
int fz_op_clone(fz_proc *p);
int fz_op_merge(fz_proc *p);
int fz_op_replace(fz_proc *p);
int fz_op_truncate(fz_proc *p);
int fz_op_fork(fz_proc *p);
int fz_op_procmem_read(fz_proc *p);
int fz_op_procmem_write(fz_proc *p);
int fz_op_remote_read(fz_proc *p);
int fz_op_walk(fz_proc *p);
int fz_op_walk_junk(fz_proc *p);
int fz_op_scan(fz_proc *p);
int fz_op_walk_ioctl(fz_proc *p);
int fz_op_debugfs(fz_proc *p);
int fz_op_pagemap(fz_proc *p);
int fz_op_sendfd(fz_proc *p);
int fz_op_recvfd(fz_proc *p);
int fz_op_splice(fz_proc *p);
int fz_op_splice_read(fz_proc *p);
int fz_op_sleep(fz_proc *p);
int fz_op_buddy(fz_proc *p);
int fz_op_slab(fz_proc *p);
int fz_op_physmap(fz_proc *p);
int fz_stat_into_map(fz_proc *p);

/* ---- touch.c: guarded memory access ------------------------------------------------ */
/* Install the SIGSEGV/SIGBUS handlers of a fuzzer process. */
void fz_signals_init(fz_proc *p);
/*
 * Read (or write, @write) through mapping @m pages [@first, @first + @n) by
 * method @method, judging everything: returns 0, FZ_SKIP or -errno; a
 * failure has been reported.
 */
#define FZ_T_WRITE	0x1	/* write stamps (else read and judge) */
#define FZ_T_NOPROBE	0x2	/* leave out the pages an access must fault on */

enum fz_method { TM_DIRECT, TM_MEMCPY, TM_PARTIAL, TM_SYSCALL, TM_PROCMEM, TM_VMRW, TM_NR };
extern const char *const fz_method_names[TM_NR];

int fz_touch(fz_proc *p, struct fz_map *m, uint32_t first, uint32_t n, unsigned int how,
	     enum fz_method method);
/*
 * Read pages [@first, @first + @n) of mapping @m of process @pid (a waiting
 * parent, whose table @m is as of the fork) through /proc/PID/mem
 * (TM_PROCMEM) or process_vm_readv (TM_VMRW), judging what it gets unless
 * @unchecked.
 */
int fz_read_remote(fz_proc *p, pid_t pid, const struct fz_map *m, uint32_t first, uint32_t n,
		   enum fz_method method, bool unchecked);
/*
 * A private writable range was populated (MAP_POPULATE, MAP_LOCKED, mlock:
 * the kernel write-faults such pages in, a COW each): its pages no longer
 * follow the object, they hold what it held then.
 */
void fz_populated(struct fz_map *m, uint32_t first, uint32_t n);
/* One line on the module's view of the object in @slot (OBJ_STAT), for reports. */
void fz_obj_state(fz_proc *p, int slot, char *buf, size_t len);
/* Read-check every readable page of every mapping. */
int fz_verify_map(fz_proc *p, struct fz_map *m);

#endif /* PAGELAB_FUZZ_H */
