// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - objects: lifetime, ids, access control, the pseudo filesystem
 * whose inodes give each object its address_space, and the ioctls.
 *
 * Page ownership: an object's frames are the module's own pages, held in the
 * object's frame table (one page reference per entry) and mapped into processes
 * with VM_MIXEDMAP.  The object's inode (on pagelab's pseudo filesystem) is
 * used only for its address_space: every file opened on the object shares
 * the inode, so every VMA that maps the object is linked into one
 * i_mmap tree, and unmap_mapping_pages() reaches every process that maps a
 * page.  The page cache is never used, so one frame may later sit in several
 * objects (snapshots, merging).
 *
 * Lifetime: one kref per open file.  A VMA holds its vm_file, so a mapping
 * keeps the object alive after its fd is closed; when the last file goes,
 * the object leaves the id table and its frames are freed.
 *
 * Frames, their owners and what they cost: frame.c.  Sharing them
 * (clone, COW break, merge): cow.c.
 *
 * Frame budgets (page replacement): a shared frame counts fully toward
 * the budget of every object holding it (each object's resident count
 * includes it), and each may choose it as a victim: evicting it from one
 * object stores that object's copy of the data and drops that object's
 * ownership; the frame itself is freed only with its last owner.
 *
 * Locking, outermost first:
 *   mmap_lock (read) or, since 6.7, the VMA's read lock alone (a fault
 *   holds one of them: per-VMA-lock faults, FAULT_FLAG_VMA_LOCK)
 *     -> pagelab_object.lock (mutex: adding/removing/replacing frames,
 *        mapping the zero page for an absent frame; one object's at a time)
 *       -> page lock (lock_page; a second frame only by trylock_page)
 *         -> i_mmap_rwsem (taken by unmap_mapping_pages)
 *           -> PTE lock
 * The object table's xa_lock is a leaf; lookups take RCU and a kref.
 * Nothing here takes mmap_lock, and nothing copies to or from user memory
 * with an object lock or page lock held.  The fault path never takes an
 * object lock while holding a page lock: to break COW it unlocks the page
 * and starts again from the object lock (pagelab_obj_cow_break()).  A
 * fault on an object with a frame budget decides everything under the
 * object lock (pagelab_rp_fault()), COW breaks included.
 *
 * Fault versus removal: the fault path finds a frame locklessly, takes a
 * reference and the page lock, then re-checks that the frame is still the
 * object's frame at that index (as filemap_fault does) and retries if not.
 * Whoever removes or replaces a frame (eviction, COW break, merge) does so
 * under the object lock with the page lock held and unmaps it from every
 * mapper of that object before unlocking, so a fault that then finds the
 * index changed has no stale PTE to worry about.  A zero-page PTE (or a
 * private copy of the zero page) is given only under pagelab_object.lock
 * after seeing no frame and no copy in a budget's store; a frame
 * is added only under the same lock, followed by unmap_mapping_pages() of
 * that index wherever the zero page can be mapped, so no zero-page PTE
 * survives the frame's arrival.  (With one VMA on the object and the
 * faulting PTE empty, there is none: the first write to a page of a
 * mapping of its own skips the unmap walk.)
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mount.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pagelab.h"
#include "trace.h"

#define PAGELAB_FS_MAGIC	0x706c6162	/* "plab" */

unsigned long pagelab_max_object_pages = 1UL << 20;
module_param_named(max_object_pages, pagelab_max_object_pages, ulong, 0644);
MODULE_PARM_DESC(max_object_pages, "Largest object, in pages (default 1048576 = 4 GiB)");

/*
 * Live objects by id.  Readers use RCU; objects (and their replacers) are
 * freed after a grace period.
 */
static DEFINE_XARRAY(pagelab_objects);
static atomic64_t pagelab_next_id = ATOMIC64_INIT(0);
static struct vfsmount *pagelab_mnt;

static const struct file_operations pagelab_obj_fops;

/* A label: NUL-terminated within its field, of [A-Za-z0-9._-] only. */
static bool pagelab_name_ok(const char *name)
{
	size_t len = strnlen(name, PAGELAB_NAME_LEN);
	size_t i;

	if (len == PAGELAB_NAME_LEN)
		return false;
	/* isalnum() alone takes Latin-1 letters too (the kernel's ctype). */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) || (!isalnum(name[i]) && !strchr("._-", name[i])))
			return false;
	return true;
}

/**
 * pagelab_create_check() - validate a create request before any work
 * @c: the request as copied from userspace
 * @max_object_pages: the per-object size cap, in pages
 *
 * Return: 0, -EINVAL for a malformed request, -ENOSPC for a size over the
 * cap, -EOPNOTSUPP for a huge object where the kernel cannot map one.
 */
int pagelab_create_check(const struct pagelab_create *c, unsigned long max_object_pages)
{
	if (c->flags & ~PAGELAB_CREATE_FLAGS || c->pad || c->mode & ~0777)
		return -EINVAL;
	if (c->flags & PAGELAB_CREATE_HUGE && !PAGELAB_HAVE_HUGE)
		return -EOPNOTSUPP;
	if (c->fault_around > PAGELAB_FAULT_AROUND_MAX)
		return -EINVAL;
	if (!c->size || !PAGE_ALIGNED(c->size))
		return -EINVAL;
	if (!pagelab_name_ok(c->name))
		return -EINVAL;
	if (c->size >> PAGE_SHIFT > max_object_pages)
		return -ENOSPC;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(pagelab_create_check, PAGELAB_KUNIT_NS);

/**
 * pagelab_mode_permits() - the file-like permission rule for attach
 * @mode:  the object's permission bits
 * @owner: the caller's fsuid is the object's owner
 * @group: the caller is in the object's group
 * @want:  MAY_READ and/or MAY_WRITE
 *
 * The owner's bits apply to the owner, else the group's to group members,
 * else the others'.  CAP_DAC_OVERRIDE is checked by the caller.
 *
 * Return: true if @mode grants everything in @want.
 */
bool pagelab_mode_permits(umode_t mode, bool owner, bool group, int want)
{
	if (owner)
		mode >>= 6;
	else if (group)
		mode >>= 3;
	return !(want & (MAY_READ | MAY_WRITE) & ~mode);
}
EXPORT_SYMBOL_NS_GPL(pagelab_mode_permits, PAGELAB_KUNIT_NS);

static bool pagelab_may_access(const struct pagelab_object *obj, int want)
{
	if (pagelab_mode_permits(obj->mode, uid_eq(current_fsuid(), obj->uid),
				 in_group_p(obj->gid), want))
		return true;
	return capable(CAP_DAC_OVERRIDE);
}

/**
 * pagelab_obj_get_page() - find the object's frame at @index, referenced
 * @obj: the object
 * @index: page index
 *
 * Lockless: the caller must lock the page and re-check it is still
 * @obj's frame at @index before trusting it.
 *
 * Return: the page with a reference taken, or NULL if the object holds none.
 */
struct page *pagelab_obj_get_page(struct pagelab_object *obj, pgoff_t index)
{
	struct page *page;

	for (;;) {
		page = pagelab_frame_at(obj, index);
		if (!page)
			break;
		if (!get_page_unless_zero(page))
			continue;
		/*
		 * Freed and reused between the load and the reference, it is
		 * someone else's page now: let go before anything locks it.
		 */
		if (likely(pagelab_frame_at(obj, index) == page))
			break;
		put_page(page);
	}
	return page;
}
EXPORT_SYMBOL_NS_GPL(pagelab_obj_get_page, PAGELAB_KUNIT_NS);

/**
 * pagelab_obj_lock_frame() - lock a frame and check it is still the object's
 * @obj: the object
 * @index: page index where @page was found
 * @page: a referenced frame
 *
 * Return: true with @page locked; false with the reference dropped, when
 * the frame left @index meanwhile or is being written to a budget's
 * backing file (the caller looks again).
 */
bool pagelab_obj_lock_frame(struct pagelab_object *obj, pgoff_t index, struct page *page)
{
	lock_page(page);
	if (pagelab_frame_at(obj, index) == page &&
	    !pagelab_frame_mark(obj, index, PAGELAB_MARK_WRITEBACK))
		return true;
	unlock_page(page);
	put_page(page);
	return false;
}

/**
 * pagelab_obj_alloc_page() - give @index a frame if it has none
 * @obj: the object
 * @index: page index, below @obj->npages
 * @vmf: the fault that wants the frame, or NULL (not a fault)
 * @pagep: out: the frame at @index, referenced and locked
 * @fresh: out: the frame was allocated here (not found)
 *
 * Allocates a zeroed frame charged to the caller's memory cgroup, before
 * taking @obj->lock (faults on the object's other pages go on meanwhile),
 * and stores it; if another fault got there first, uses that frame instead
 * and gives its own back.  Then
 * removes every zero-page PTE of @index, wherever one may be: a read fault
 * maps the zero page only under @obj->lock, after seeing no frame, so once
 * the frame is stored no new one comes (fork copies such PTEs into a VMA of
 * this object, which is open by then: two mappers, the sweep below).  With one VMA, the only PTE of
 * @index is at @vmf's own address: unless the zero page is there, the
 * sweep of the mapping is spared (a first write that no read preceded);
 * and that PTE is not even looked at in an object where no zero page was
 * ever mapped (@obj->zero_mapped, set under @obj->lock before one is).  The fault cannot
 * be trusted to find and remove an entry that came after it looked: its
 * retry may never run (a /proc/PID/mem writer killed in between).
 *
 * Return: 0, VM_FAULT_SIGBUS when the module-wide page cap is reached
 * (counted in the object's sigbus counter), VM_FAULT_OOM when the
 * allocation (memory cgroup charge) fails, or VM_FAULT_NOPAGE (no page)
 * when the object has a frame budget now: the fault is retried.
 */
vm_fault_t pagelab_obj_alloc_page(struct pagelab_object *obj, pgoff_t index,
				  const struct vm_fault *vmf, struct page **pagep, bool *fresh)
{
	struct page *page, *new;
	vm_fault_t ret = 0;
	int err;

	*fresh = false;
	*pagep = NULL;
	/*
	 * The caller saw no frame: allocate (and zero) a page before taking
	 * the lock, so faults on other pages of the object are not held up
	 * by it.  It counts in the page cap only if it becomes the frame.
	 */
	new = pagelab_frame_prealloc();
again:
	mutex_lock(&obj->lock);
	if (pagelab_rp_budgeted_locked(obj)) {
		/* A budget arrived since the caller looked: it faults again. */
		ret = VM_FAULT_NOPAGE;
		goto out_unlock;
	}
	page = pagelab_frame_at(obj, index);
	if (page) {
		get_page(page);
		/* The zero page pfn_mkwrite saw (a frame arrived meanwhile). */
		if (vmf && obj->zero_mapped && pagelab_fault_maps_zero(vmf))
			unmap_mapping_pages(obj->mapping, index, 1, false);
		mutex_unlock(&obj->lock);
		if (!pagelab_obj_lock_frame(obj, index, page))
			goto again;
		if (new)
			put_page(new);
		*pagep = page;
		return 0;
	}
	/* Locked before anyone can see it: nobody can take it from us. */
	page = pagelab_frame_make(new, true, PAGELAB_FAIL_FRAME, &err);
	new = NULL;
	if (!page) {
		ret = pagelab_frame_fault_code(obj, err);
		goto out_unlock;
	}
	if (pagelab_should_fail(PAGELAB_FAIL_FRAME_STORE) ||
	    pagelab_frame_set(obj, index, page, GFP_KERNEL_ACCOUNT)) {
		pagelab_frame_discard(page);
		ret = VM_FAULT_OOM;
		goto out_unlock;
	}
	atomic_long_inc(&obj->resident);
	atomic64_inc(&obj->count.allocs);
	if (!vmf || atomic_long_read(&obj->mappers) > 1 ||
	    (obj->zero_mapped && pagelab_fault_maps_zero(vmf)))
		unmap_mapping_pages(obj->mapping, index, 1, false);
	mutex_unlock(&obj->lock);
	get_page(page);
	*pagep = page;
	*fresh = true;
	return 0;

out_unlock:
	mutex_unlock(&obj->lock);
	if (new)
		put_page(new);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(pagelab_obj_alloc_page, PAGELAB_KUNIT_NS);

/* The object is going: every entry lets go of its frame. */
static void pagelab_obj_free_pages(struct pagelab_object *obj)
{
	struct page *page;
	unsigned long index;

	/* No mapping is left to hold a PMD leaf: every entry may go. */
	pagelab_huge_forget(obj);
	for (index = 0; (page = pagelab_frame_next(obj, &index)); index++) {
		/* No entry left pointing at a frame that may be reused. */
		pagelab_frame_set(obj, index, NULL, 0);
		lock_page(page);
		pagelab_frame_disown(page);
		unlock_page(page);
		put_page(page);
	}
}

/* After a grace period: no lockless reader sees the object or its replacer. */
static void pagelab_obj_free_rcu(struct rcu_head *head)
{
	struct pagelab_object *obj = container_of(head, struct pagelab_object, rcu);

	pagelab_rp_free_mem(obj->rp);
	pagelab_frame_table_free(obj);
	kfree(obj);
}

/*
 * The last file is gone.  Lookups may still see the object in the table
 * until it is erased, but fail kref_get_unless_zero(); RCU readers may
 * still read its counters, so the memory goes after a grace period.
 */
static void pagelab_obj_release(struct kref *ref)
{
	struct pagelab_object *obj = container_of(ref, struct pagelab_object, ref);

	xa_erase(&pagelab_objects, obj->id);
	pagelab_obj_free_pages(obj);
	pagelab_rp_drop(obj->rp);
	iput(obj->inode);
	atomic64_dec(&pagelab_stats.objects);
	call_rcu(&obj->rcu, pagelab_obj_free_rcu);
}

static void pagelab_obj_put(struct pagelab_object *obj)
{
	kref_put(&obj->ref, pagelab_obj_release);
}

/* A referenced live object by id, or NULL. */
static struct pagelab_object *pagelab_obj_lookup(u64 id)
{
	struct pagelab_object *obj;

	if (id > ULONG_MAX)
		return NULL;
	rcu_read_lock();
	obj = xa_load(&pagelab_objects, id);
	if (obj && !kref_get_unless_zero(&obj->ref))
		obj = NULL;
	rcu_read_unlock();
	return obj;
}

/*
 * A new file on @obj, consuming one object reference on success.  Every file
 * shares the object's inode, so every mapping joins one address_space.
 */
static struct file *pagelab_obj_new_file(struct pagelab_object *obj, int flags)
{
	char name[32];
	struct file *file;

	snprintf(name, sizeof(name), "pagelab:%llu", obj->id);
	/*
	 * alloc_file_pseudo() takes no module reference, but the file's last
	 * fput() drops one for f_op->owner: take it here.  The caller came
	 * through /dev/pagelab, which holds the module already.
	 */
	__module_get(THIS_MODULE);
	ihold(obj->inode);
	file = pagelab_should_fail(PAGELAB_FAIL_OBJ_FILE) ? ERR_PTR(-ENOMEM) :
	       alloc_file_pseudo(obj->inode, pagelab_mnt, name, flags, &pagelab_obj_fops);
	if (IS_ERR(file)) {
		iput(obj->inode);
		module_put(THIS_MODULE);
		return file;
	}
	file->private_data = obj;
	atomic_long_inc(&obj->files);
	return file;
}

/* Reserve an fd for @file, publish it after @uarg's fd field is written. */
static int pagelab_install_fd(struct file *file, s32 __user *ufd)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd < 0)
		return fd;
	if (put_user(fd, ufd)) {
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/*
 * A new object, not yet in the id table (so nobody else can find it), with
 * one reference for the caller; pagelab_obj_publish() makes it visible.
 */
static struct pagelab_object *pagelab_obj_new(pgoff_t npages, u64 flags, umode_t mode,
					      unsigned int fault_around, const char *name)
{
	struct pagelab_object *obj;
	int ret;

	obj = pagelab_should_fail(PAGELAB_FAIL_OBJ_ALLOC) ? NULL :
	      kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	kref_init(&obj->ref);
	mutex_init(&obj->replace_lock);
	mutex_init(&obj->lock);
	obj->npages = npages;
	obj->flags = flags;
	if (pagelab_frame_table_init(obj)) {
		kfree(obj);
		return ERR_PTR(-ENOMEM);
	}
	obj->uid = current_fsuid();
	obj->gid = current_fsgid();
	obj->mode = mode ? mode : 0600;
	obj->fault_around = fault_around;
	strscpy(obj->name, name, sizeof(obj->name));

	obj->inode = pagelab_should_fail(PAGELAB_FAIL_OBJ_INODE) ? ERR_PTR(-ENOMEM) :
		     alloc_anon_inode(pagelab_mnt->mnt_sb);
	if (IS_ERR(obj->inode)) {
		ret = PTR_ERR(obj->inode);
		pagelab_frame_table_free(obj);
		kfree(obj);
		return ERR_PTR(ret);
	}
	obj->inode->i_size = (loff_t)npages << PAGE_SHIFT;
	/* No c/mtime: spares every shared write fault a file_update_time(). */
	obj->inode->i_flags |= S_NOCMTIME;
	obj->inode->i_private = obj;
	obj->mapping = obj->inode->i_mapping;
	obj->id = atomic64_inc_return(&pagelab_next_id);
	/* From here pagelab_obj_put() undoes everything. */
	atomic64_inc(&pagelab_stats.objects);
	return obj;
}

/*
 * Give a new object its id and an O_RDWR fd, written to @uid and @ufd.
 * Consumes the caller's reference, on success and on failure alike.
 */
static int pagelab_obj_publish(struct pagelab_object *obj, u64 __user *uid, s32 __user *ufd)
{
	struct file *file;
	int ret;

	ret = pagelab_should_fail(PAGELAB_FAIL_OBJ_TABLE) ? -ENOMEM :
	      xa_insert(&pagelab_objects, obj->id, obj, GFP_KERNEL);
	if (ret) {
		pagelab_obj_put(obj);
		return ret;
	}
	file = pagelab_obj_new_file(obj, O_RDWR);
	if (IS_ERR(file)) {
		pagelab_obj_put(obj);
		return PTR_ERR(file);
	}
	/* From here the file owns the object: fput() undoes everything. */
	if (put_user(obj->id, uid)) {
		fput(file);
		return -EFAULT;
	}
	ret = pagelab_install_fd(file, ufd);
	if (ret)
		fput(file);
	return ret;
}

/**
 * pagelab_kunit_obj_new() - an unpublished object, for the KUnit suites
 * @npages: size in pages
 *
 * Return: the object with one reference (drop it with
 * pagelab_kunit_obj_put()), or an ERR_PTR().
 */
struct pagelab_object *pagelab_kunit_obj_new(pgoff_t npages)
{
	return pagelab_obj_new(npages, 0, 0600, 0, "kunit");
}
EXPORT_SYMBOL_NS_GPL(pagelab_kunit_obj_new, PAGELAB_KUNIT_NS);

/**
 * pagelab_kunit_obj_put() - drop a reference taken by pagelab_kunit_obj_new()
 * @obj: the object
 */
void pagelab_kunit_obj_put(struct pagelab_object *obj)
{
	pagelab_obj_put(obj);
}
EXPORT_SYMBOL_NS_GPL(pagelab_kunit_obj_put, PAGELAB_KUNIT_NS);

/**
 * pagelab_obj_create() - PAGELAB_IOC_CREATE: a new object and an fd for it
 * @uarg: struct pagelab_create in user memory
 *
 * Return: 0 with @uarg's fd and id filled in, or -errno.
 */
long pagelab_obj_create(struct pagelab_create __user *uarg)
{
	struct pagelab_create c;
	struct pagelab_object *obj;
	unsigned int around;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	ret = pagelab_create_check(&c, READ_ONCE(pagelab_max_object_pages));
	if (ret)
		return ret;
	/* vm_insert_page(), fault-around's, refuses a huge object's VM_PFNMAP. */
	if (c.flags & (PAGELAB_CREATE_NO_FAULT_AROUND | PAGELAB_CREATE_HUGE))
		around = 0;
	else
		around = c.fault_around ? c.fault_around : PAGELAB_FAULT_AROUND_DEFAULT;
	obj = pagelab_obj_new(c.size >> PAGE_SHIFT, c.flags, c.mode, around, c.name);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return pagelab_obj_publish(obj, &uarg->id, &uarg->fd);
}

/**
 * pagelab_obj_clone() - PAGELAB_IOC_CLONE: a copy-on-write snapshot
 * @self: the object whose fd the ioctl came on, or NULL on /dev/pagelab
 * @uarg: struct pagelab_clone in user memory
 *
 * Return: 0 with @uarg's fd, id, shared and copied filled in; -ENOENT for
 * no live object with that id, -EACCES without read access to it, -EINVAL
 * for a malformed request, -EBUSY for a source with a frame budget,
 * -ENOSPC when copying pinned frames would pass the page cap, -ENOMEM,
 * -EFAULT.  On failure no object is left behind.
 */
long pagelab_obj_clone(struct pagelab_object *self, struct pagelab_clone __user *uarg)
{
	struct pagelab_object *src, *dst;
	struct pagelab_clone c;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags & ~PAGELAB_CLONE_FLAGS || c.pad || c.mode & ~0777 || !pagelab_name_ok(c.name))
		return -EINVAL;
	if (self) {
		if (c.src_id && c.src_id != self->id)
			return -EINVAL;
		src = self;
		kref_get(&src->ref);
	} else {
		src = pagelab_obj_lookup(c.src_id);
		if (!src)
			return -ENOENT;
		if (!pagelab_may_access(src, MAY_READ)) {
			ret = -EACCES;
			goto out_put_src;
		}
	}
	/* Its stored pages are nowhere but in its store: not shared here. */
	if (pagelab_obj_budgeted(src)) {
		ret = -EBUSY;
		goto out_put_src;
	}
	dst = pagelab_obj_new(src->npages, src->flags, c.mode, src->fault_around, c.name);
	if (IS_ERR(dst)) {
		ret = PTR_ERR(dst);
		goto out_put_src;
	}
	ret = pagelab_clone_frames(src, dst);
	if (ret) {
		pagelab_obj_put(dst);
		goto out_put_src;
	}
	trace_pagelab_clone(src->id, dst->id, atomic64_read(&dst->count.clone_shared),
			    atomic64_read(&dst->count.clone_copied));
	if (put_user(atomic64_read(&dst->count.clone_shared), &uarg->shared) ||
	    put_user(atomic64_read(&dst->count.clone_copied), &uarg->copied)) {
		pagelab_obj_put(dst);
		ret = -EFAULT;
		goto out_put_src;
	}
	ret = pagelab_obj_publish(dst, &uarg->id, &uarg->fd);
out_put_src:
	pagelab_obj_put(src);
	return ret;
}

/**
 * pagelab_obj_attach() - PAGELAB_IOC_ATTACH: a new fd on an existing object
 * @uarg: struct pagelab_attach in user memory
 *
 * Return: 0 with @uarg's fd filled in; -ENOENT for no live object with that
 * id, -EACCES if the object's mode denies the caller, -EINVAL, -EFAULT.
 */
long pagelab_obj_attach(struct pagelab_attach __user *uarg)
{
	struct pagelab_attach a;
	struct pagelab_object *obj;
	struct file *file;
	bool rdonly;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~PAGELAB_ATTACH_FLAGS || a.pad)
		return -EINVAL;
	rdonly = a.flags & PAGELAB_ATTACH_RDONLY;

	obj = pagelab_obj_lookup(a.id);
	if (!obj)
		return -ENOENT;
	if (!pagelab_may_access(obj, rdonly ? MAY_READ : MAY_READ | MAY_WRITE)) {
		ret = -EACCES;
		goto err_put_obj;
	}
	file = pagelab_obj_new_file(obj, rdonly ? O_RDONLY : O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_obj;
	}
	ret = pagelab_install_fd(file, &uarg->fd);
	if (ret)
		fput(file);
	return ret;

err_put_obj:
	pagelab_obj_put(obj);
	return ret;
}

static int pagelab_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/**
 * pagelab_obj_merge() - PAGELAB_IOC_MERGE: share the frames of equal pages
 * @uarg: struct pagelab_merge in user memory
 *
 * Every resident page of the named objects is write-protected and hashed;
 * a page equal to one seen before gives up its frame and shares that one
 * (write-protected: the next write copies it again); an all-zero page is
 * dropped (reads map the zero page).  One object lock and one page lock at
 * a time, plus a trylock on the frame compared against.
 *
 * Return: 0 with the counts filled in; -EINVAL for a malformed request,
 * -ENOENT for an id with no live object, -EACCES without read and write
 * access to one, -EBUSY for one with a frame budget, -ENOMEM, -EFAULT.
 */
long pagelab_obj_merge(struct pagelab_merge __user *uarg)
{
	struct pagelab_object **objs;
	struct pagelab_merge m;
	unsigned int n = 0, i;
	int ret = 0;
	u64 *ids;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if (m.flags & ~PAGELAB_MERGE_FLAGS || !m.nids ||
	    m.nids > PAGELAB_MERGE_MAX_OBJECTS)
		return -EINVAL;
	ids = memdup_user(u64_to_user_ptr(m.ids), m.nids * sizeof(u64));
	if (IS_ERR(ids))
		return PTR_ERR(ids);
	objs = pagelab_should_fail(PAGELAB_FAIL_MERGE_ARGS) ? NULL :
	       kcalloc(m.nids, sizeof(*objs), GFP_KERNEL);
	if (!objs) {
		ret = -ENOMEM;
		goto out_free_ids;
	}
	sort(ids, m.nids, sizeof(u64), pagelab_cmp_u64, NULL);
	for (i = 0; i < m.nids; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		objs[n] = ids[i] ? pagelab_obj_lookup(ids[i]) : NULL;
		if (!objs[n]) {
			ret = -ENOENT;
			goto out_put;
		}
		if (!pagelab_may_access(objs[n++], MAY_READ | MAY_WRITE)) {
			ret = -EACCES;
			goto out_put;
		}
		/* A budgeted object's slots would not know of merged pages. */
		if (pagelab_obj_budgeted(objs[n - 1])) {
			ret = -EBUSY;
			goto out_put;
		}
	}

	ret = pagelab_merge_objects(objs, n, &m);
	if (!ret && copy_to_user(uarg, &m, sizeof(m)))
		ret = -EFAULT;
out_put:
	while (n)
		pagelab_obj_put(objs[--n]);
	kfree(objs);
out_free_ids:
	kfree(ids);
	return ret;
}

/* Entries whose frame has another holder now (a racy count, for stats). */
static u64 pagelab_obj_shared(struct pagelab_object *obj)
{
	struct page *page;
	unsigned long index;
	u64 n = 0;

	for (index = 0; (page = pagelab_frame_next_marked(obj, &index, PAGELAB_MARK_SHARED));
	     index++)
		if (READ_ONCE(page->private) > 1)
			n++;
	return n;
}

/*
 * The one list of an object's counters (uapi/pagelab_counters.h), as three
 * tables in its order: names and places in the stat struct; where each is
 * counted; the stat fields' sizes (for KUnit's check that each is a __u64).
 */
const struct pagelab_obj_counter_desc pagelab_obj_counter_descs[] = {
#define PAGELAB_OBJ_COUNTER(field, column, group) \
	{ #field, offsetof(struct pagelab_obj_stat, field) },
#include "uapi/pagelab_counters.h"
#undef PAGELAB_OBJ_COUNTER
};
EXPORT_SYMBOL_NS_GPL(pagelab_obj_counter_descs, PAGELAB_KUNIT_NS);

const size_t pagelab_obj_counter_offs[] = {
#define PAGELAB_OBJ_COUNTER(field, column, group) \
	offsetof(struct pagelab_obj_counters, field),
#include "uapi/pagelab_counters.h"
#undef PAGELAB_OBJ_COUNTER
};
EXPORT_SYMBOL_NS_GPL(pagelab_obj_counter_offs, PAGELAB_KUNIT_NS);

const size_t pagelab_obj_counter_sizes[] = {
#define PAGELAB_OBJ_COUNTER(field, column, group) \
	sizeof_field(struct pagelab_obj_stat, field),
#include "uapi/pagelab_counters.h"
#undef PAGELAB_OBJ_COUNTER
};
EXPORT_SYMBOL_NS_GPL(pagelab_obj_counter_sizes, PAGELAB_KUNIT_NS);

const unsigned int pagelab_obj_counter_count = ARRAY_SIZE(pagelab_obj_counter_descs);
EXPORT_SYMBOL_NS_GPL(pagelab_obj_counter_count, PAGELAB_KUNIT_NS);

/* Each line names a counter of the struct (offsetof), and the struct has no other. */
static_assert(sizeof(struct pagelab_obj_counters) ==
	      ARRAY_SIZE(pagelab_obj_counter_offs) * sizeof(atomic64_t));

/* The counter at line @i of the list, of @obj. */
static u64 pagelab_obj_counter(struct pagelab_object *obj, unsigned int i)
{
	return atomic64_read((atomic64_t *)((char *)&obj->count + pagelab_obj_counter_offs[i]));
}

static void pagelab_obj_fill_stat(struct pagelab_object *obj, struct pagelab_obj_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->id = obj->id;
	st->size = (u64)obj->npages << PAGE_SHIFT;
	st->resident = atomic_long_read(&obj->resident);
	st->mappers = atomic_long_read(&obj->mappers);
	st->files = atomic_long_read(&obj->files);
	for (unsigned int i = 0; i < ARRAY_SIZE(pagelab_obj_counter_descs); i++) {
		const struct pagelab_obj_counter_desc *d = &pagelab_obj_counter_descs[i];

		*(u64 *)((char *)st + d->stat_off) = pagelab_obj_counter(obj, i);
	}
	st->uid = from_kuid_munged(current_user_ns(), obj->uid);
	st->gid = from_kgid_munged(current_user_ns(), obj->gid);
	st->mode = obj->mode;
	st->fault_around_pages = obj->fault_around;
	strscpy(st->name, obj->name, sizeof(st->name));
	st->shared = pagelab_obj_shared(obj);
	if (pagelab_obj_budgeted(obj)) {
		st->budget = READ_ONCE(obj->rp->budget);
		st->policy = READ_ONCE(obj->rp->policy);
		st->replace_flags = READ_ONCE(obj->rp->flags);
		st->pagein_delay_ms = READ_ONCE(obj->rp->delay_ms);
		if (READ_ONCE(obj->rp->file))
			st->store_flags = PAGELAB_STORE_FILE;
	}
	st->store_pages = atomic_long_read(&obj->store_pages);
}

/**
 * pagelab_obj_stat_ioctl() - PAGELAB_IOC_OBJ_STAT
 * @self: the object whose fd the ioctl came on, or NULL on /dev/pagelab
 * @uarg: struct pagelab_obj_stat in user memory
 * @size: its size as the caller knows it: sizeof() now, or the ABI 1.1
 *        PAGELAB_OBJ_STAT_SIZE_V1 (answered without the newer fields)
 *
 * On /dev/pagelab the object is named by id and the caller needs read
 * access to it; on an object fd, id 0 (or the object's own id) means that
 * object.
 *
 * Return: 0, -ENOENT, -EACCES, -EINVAL or -EFAULT.
 */
long pagelab_obj_stat_ioctl(struct pagelab_object *self, struct pagelab_obj_stat __user *uarg,
			    size_t size)
{
	struct pagelab_obj_stat st = {};
	struct pagelab_object *obj;

	if (copy_from_user(&st, uarg, size))
		return -EFAULT;
	if (st.flags)
		return -EINVAL;
	if (self) {
		if (st.id && st.id != self->id)
			return -EINVAL;
		pagelab_obj_fill_stat(self, &st);
	} else {
		obj = pagelab_obj_lookup(st.id);
		if (!obj)
			return -ENOENT;
		if (!pagelab_may_access(obj, MAY_READ)) {
			pagelab_obj_put(obj);
			return -EACCES;
		}
		pagelab_obj_fill_stat(obj, &st);
		pagelab_obj_put(obj);
	}
	return copy_to_user(uarg, &st, size) ? -EFAULT : 0;
}

static long pagelab_obj_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PAGELAB_IOC_OBJ_STAT:
		return pagelab_obj_stat_ioctl(file->private_data, uarg,
					      sizeof(struct pagelab_obj_stat));
	case PAGELAB_IOC_OBJ_STAT_V1:
		return pagelab_obj_stat_ioctl(file->private_data, uarg, PAGELAB_OBJ_STAT_SIZE_V1);
	case PAGELAB_IOC_CLONE:
		return pagelab_obj_clone(file->private_data, uarg);
	case PAGELAB_IOC_REPLACE:
		if (!(file->f_mode & FMODE_WRITE))
			return -EPERM;
		return pagelab_rp_set(file->private_data, uarg);
	default:
		return -ENOTTY;
	}
}

/**
 * pagelab_file_object() - the id of the object behind @file, if any
 * @file: any file (a VMA's vm_file, say)
 *
 * Return: the object's id, or 0 if @file is not a pagelab object's file.
 */
u64 pagelab_file_object(struct file *file)
{
	struct pagelab_object *obj = pagelab_file_obj(file);

	return obj ? obj->id : 0;
}

/**
 * pagelab_file_obj() - the object a file is open on
 * @file: any file (a VMA's)
 *
 * Return: the object, alive as long as @file is, or NULL if @file is not
 * a pagelab object's.
 */
struct pagelab_object *pagelab_file_obj(struct file *file)
{
	if (file->f_op != &pagelab_obj_fops)
		return NULL;
	return file->private_data;
}

static int pagelab_obj_file_release(struct inode *inode, struct file *file)
{
	struct pagelab_object *obj = file->private_data;

	atomic_long_dec(&obj->files);
	pagelab_obj_put(obj);
	return 0;
}

static const struct file_operations pagelab_obj_fops = {
	.owner = THIS_MODULE,
	.mmap = pagelab_obj_mmap,
	.release = pagelab_obj_file_release,
	.unlocked_ioctl = pagelab_obj_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
	/* The frames are the object's memory: nothing to write back (as tmpfs). */
	.fsync = noop_fsync,
};

/**
 * pagelab_objects_show() - one line per live object, for debugfs "objects"
 * @m: the seq_file to print to
 */
void pagelab_objects_show(struct seq_file *m)
{
	struct pagelab_obj_stat st;
	struct pagelab_object *obj;
	unsigned long id;

	/* RCU keeps every listed object's memory valid meanwhile. */
	rcu_read_lock();
	xa_for_each(&pagelab_objects, id, obj) {
		pagelab_obj_fill_stat(obj, &st);
		seq_printf(m, "id=%llu name=%s size=%llu resident=%llu mappers=%llu files=%llu",
			   st.id, st.name[0] ? st.name : "-", st.size, st.resident,
			   st.mappers, st.files);
		seq_printf(m, " shared=%llu budget=%u policy=%u store_pages=%llu store=%s",
			   st.shared, st.budget, st.policy, st.store_pages,
			   st.store_flags & PAGELAB_STORE_FILE ? "file" : "module");
		seq_printf(m, " delay_ms=%u uid=%u gid=%u mode=0%o fault_around_pages=%u huge=%d",
			   st.pagein_delay_ms, st.uid, st.gid, st.mode, st.fault_around_pages,
			   !!(obj->flags & PAGELAB_CREATE_HUGE));
		for (unsigned int i = 0; i < ARRAY_SIZE(pagelab_obj_counter_descs); i++) {
			const struct pagelab_obj_counter_desc *d = &pagelab_obj_counter_descs[i];

			seq_printf(m, " %s=%llu", d->name, *(u64 *)((char *)&st + d->stat_off));
		}
		seq_putc(m, '\n');
	}
	rcu_read_unlock();
}

/**
 * pagelab_events_show() - the event logs of every budgeted object, for
 * debugfs "events"
 * @m: the seq_file to print to
 */
void pagelab_events_show(struct seq_file *m)
{
	struct pagelab_object *obj;
	unsigned long id = 0;
	bool live;

	for (;;) {
		rcu_read_lock();
		obj = xa_find(&pagelab_objects, &id, ULONG_MAX, XA_PRESENT);
		live = obj && kref_get_unless_zero(&obj->ref);
		rcu_read_unlock();
		if (!obj)
			break;
		if (live) {
			pagelab_rp_events_show(m, obj);
			pagelab_obj_put(obj);
		}
		if (id == ULONG_MAX)
			break;
		id++;
	}
}

static int pagelab_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, PAGELAB_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type pagelab_fs_type = {
	.name = "pagelab",
	.init_fs_context = pagelab_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * pagelab_objects_init() - mount pagelab's pseudo filesystem for object inodes
 *
 * Return: 0 or -errno.
 */
int pagelab_objects_init(void)
{
	pagelab_mnt = kern_mount(&pagelab_fs_type);
	return PTR_ERR_OR_ZERO(pagelab_mnt);
}

/**
 * pagelab_objects_exit() - unmount it; no object can be left (files hold
 * the module)
 */
void pagelab_objects_exit(void)
{
	WARN_ON(!xa_empty(&pagelab_objects));
	/* pagelab_obj_free_rcu() is this module's code: wait for the last. */
	rcu_barrier();
	kern_unmount(pagelab_mnt);
}
