/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pagelab - internal declarations shared by the module's files.
 */
#ifndef _PAGELAB_H
#define _PAGELAB_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/export.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "uapi/pagelab.h"

struct seq_file;

#define PAGELAB_RELEASE		"0.1.0"

/*
 * Functions the KUnit suites in kunit/ call in the loaded module are exported
 * in the PAGELAB_KUNIT namespace, so nothing else links against them by
 * accident (the role EXPORT_SYMBOL_IF_KUNIT plays in kernels from 6.2 on).
 */

/**
 * struct pagelab_stats - module-wide counters
 * @pages_held:      pages pagelab holds now
 * @pages_allocated: pages allocated since load
 * @pages_freed:     pages freed since load
 * @objects:         live objects
 *
 * Atomic, so the fault path never takes a lock to count.
 */
struct pagelab_stats {
	atomic64_t pages_held;
	atomic64_t pages_allocated;
	atomic64_t pages_freed;
	atomic64_t objects;
};

extern struct pagelab_stats pagelab_stats;
extern unsigned long pagelab_max_pages;
extern unsigned long pagelab_max_object_pages;

/* Fault-around window, pages: the kernel's default 64 KiB, and at most a PMD. */
#define PAGELAB_FAULT_AROUND_DEFAULT	16
#define PAGELAB_FAULT_AROUND_MAX	512

/**
 * struct pagelab_obj_counters - one object's event counters (atomic: the
 * fault path counts without a lock); see struct pagelab_obj_stat.
 */
struct pagelab_obj_counters {
	atomic64_t faults_read;
	atomic64_t faults_write;
	atomic64_t zero_maps;
	atomic64_t allocs;
	atomic64_t existing;
	atomic64_t fault_around;
	atomic64_t mkwrite;
	atomic64_t sigbus;
	atomic64_t cow_breaks;
	atomic64_t cow_bytes;
	atomic64_t private_cow;
	atomic64_t clone_shared;
	atomic64_t clone_copied;
	atomic64_t merged;
	atomic64_t merged_zero;
};

/*
 * Entries of pagelab_object.pages whose frame was shared with another
 * object or index when it was stored (clone, merge).  A hint for counting
 * shared pages; the truth is the frame's owner count (page_private()).
 */
#define PAGELAB_XA_SHARED	XA_MARK_1

/**
 * struct pagelab_object - a sized, page-granular store of module-owned frames
 * @id:       never reused while the module is loaded; key in the object table
 * @ref:      one reference per open file on the object (VMAs hold their
 *            file, so mappings keep the object alive); freed at zero
 * @inode:    the object's inode on pagelab's pseudo filesystem; every file
 *            of the object shares it, so every VMA of the object is linked
 *            into @mapping and unmap_mapping_pages() reaches them all
 * @mapping:  @inode's address_space; holds no pages, only the VMAs
 * @npages:   size in pages
 * @flags:    PAGELAB_CREATE_* bits given at creation
 * @uid:      owner, for attach permission checks
 * @gid:      group, for attach permission checks
 * @mode:     permission bits, for attach
 * @fault_around: fault-around window in pages (0: off)
 * @lock:     serialises adding and removing frames in @pages with mapping
 *            the zero page, so a zero-page PTE never outlives the absence
 *            of a frame (see the locking rules in object.c)
 * @pages:    page index -> struct page *, one page reference per entry;
 *            written under @lock, read locklessly (xa_load under RCU).
 *            A frame may sit in several objects (clone) or at several
 *            indexes (merge): page_private() of the frame counts the
 *            entries holding it, under the frame's page lock
 * @resident: entries in @pages
 * @mappers:  VMAs mapping the object now
 * @files:    open files on the object now
 * @count:    event counters
 * @name:     label given at creation
 * @rcu:      frees the object after lockless readers are done
 */
struct pagelab_object {
	u64 id;
	struct kref ref;
	struct inode *inode;
	struct address_space *mapping;
	pgoff_t npages;
	u64 flags;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	unsigned int fault_around;
	struct mutex lock;	/* guards changes to @pages; see object.c */
	struct xarray pages;
	atomic_long_t resident;
	atomic_long_t mappers;
	atomic_long_t files;
	struct pagelab_obj_counters count;
	char name[PAGELAB_NAME_LEN];
	struct rcu_head rcu;
};

/* object.c */
int pagelab_create_check(const struct pagelab_create *c, unsigned long max_object_pages);
bool pagelab_mode_permits(umode_t mode, bool owner, bool group, int want);
long pagelab_obj_create(struct pagelab_create __user *uarg);
long pagelab_obj_attach(struct pagelab_attach __user *uarg);
long pagelab_obj_stat_ioctl(struct pagelab_object *self, struct pagelab_obj_stat __user *uarg,
			    size_t size);
struct page *pagelab_obj_get_page(struct pagelab_object *obj, pgoff_t index);
bool pagelab_obj_lock_frame(struct pagelab_object *obj, pgoff_t index, struct page *page);
vm_fault_t pagelab_obj_alloc_page(struct pagelab_object *obj, pgoff_t index,
				  bool zero_mapped, struct page **pagep, bool *fresh);
vm_fault_t pagelab_obj_cow_break(struct pagelab_object *obj, pgoff_t index,
				 struct page **pagep, bool *copied);
long pagelab_obj_clone(struct pagelab_object *self, struct pagelab_clone __user *uarg);
long pagelab_obj_merge(struct pagelab_merge __user *uarg);
bool pagelab_frame_pinned(struct page *page, unsigned int extra);
int pagelab_clone_frames(struct pagelab_object *src, struct pagelab_object *dst);
int pagelab_merge_objects(struct pagelab_object **objs, unsigned int n,
			  struct pagelab_merge *out);
struct pagelab_object *pagelab_kunit_obj_new(pgoff_t npages);
void pagelab_kunit_obj_put(struct pagelab_object *obj);
u64 pagelab_file_object(struct file *file);
int pagelab_objects_init(void);
void pagelab_objects_exit(void);
void pagelab_objects_show(struct seq_file *m);

/* What the module did for one fault; the names are in the events too. */
enum pagelab_fault_outcome {
	PAGELAB_FAULT_ZERO,	/* read: mapped the shared zero page */
	PAGELAB_FAULT_ALLOC,	/* write: gave the page a new frame */
	PAGELAB_FAULT_EXISTING,	/* mapped a frame the object held */
	PAGELAB_FAULT_AROUND,	/* read: fault-around mapped the page itself */
	PAGELAB_FAULT_MKWRITE,	/* write to a zero-page PTE: frame, then refault */
	PAGELAB_FAULT_COW_ZERO,	/* private write, no frame: kernel copies the zero page */
	PAGELAB_FAULT_SIGBUS,	/* past the end, or the page cap */
	PAGELAB_FAULT_OOM,	/* allocation (memory cgroup charge) failed */
	PAGELAB_FAULT_COW,	/* write to a shared frame: copied for this object */
	PAGELAB_FAULT_WP,	/* write to a read-only PTE of its own frame: made writable */
};

#define PAGELAB_OUTCOME_LEN	12

/**
 * pagelab_fault_outcome_name() - an outcome's name, as the events carry it
 * @outcome: an enum pagelab_fault_outcome
 *
 * Return: a short constant string.
 */
static inline const char *pagelab_fault_outcome_name(int outcome)
{
	static const char *const names[] = {
		"zero", "alloc", "existing", "around", "mkwrite", "cow-zero", "sigbus", "oom",
		"cow", "wp",
	};

	return outcome >= 0 && outcome < (int)ARRAY_SIZE(names) ? names[outcome] : "?";
}

/* walk.c */
#define PAGELAB_WALK_MAX_PAGES	BIT(20)

/**
 * struct pagelab_walk_req - a parsed debugfs "walk" request
 * @pid:    the target process (user walks)
 * @start:  the address, or the range's first byte (page-aligned)
 * @end:    the range's end (page-aligned up), for @range
 * @kernel: walk the kernel's tables
 * @range:  walk [@start, @end)
 * @json:   answer in JSON
 */
struct pagelab_walk_req {
	pid_t pid;
	unsigned long start;
	unsigned long end;
	bool kernel;
	bool range;
	bool json;
};

int pagelab_walk_parse(const char *s, struct pagelab_walk_req *req, const char **why);
size_t pagelab_walk_flags(u64 entry, bool leaf, char *buf, size_t len);
extern const struct file_operations pagelab_walk_fops;

/* fault.c */
int pagelab_obj_mmap(struct file *file, struct vm_area_struct *vma);

int pagelab_info_check(const struct pagelab_info *in);
void pagelab_info_fill(struct pagelab_info *out);

void pagelab_debugfs_init(void);
void pagelab_debugfs_exit(void);

#endif /* _PAGELAB_H */
