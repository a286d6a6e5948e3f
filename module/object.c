// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - objects: lifetime, ids, access control and the page store.
 *
 * Page ownership: an object's frames are the module's own pages, held in the
 * object's xarray (one page reference per entry) and mapped into processes
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
 * Locking, outermost first:
 *   mmap_lock (read, held by the fault path)
 *     -> pagelab_object.lock (mutex: adding/removing frames, mapping the
 *        zero page for an absent frame)
 *       -> page lock (lock_page)
 *         -> i_mmap_rwsem (taken by unmap_mapping_pages)
 *           -> PTE lock
 * The object table's xa_lock is a leaf; lookups take RCU and a kref.
 * Nothing here takes mmap_lock, and nothing copies to or from user memory
 * with an object lock or page lock held.
 *
 * Fault versus removal: the fault path finds a frame locklessly, takes a
 * reference and the page lock, then re-checks that the frame is still the
 * object's frame at that index (as filemap_fault does) and retries if not.
 * Whoever removes a frame (eviction, COW break) does so with the page lock
 * held and unmaps it from every mapper before dropping it.  A zero-page PTE
 * is inserted only under pagelab_object.lock after seeing no frame; a frame
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
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mount.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "pagelab.h"

#define PAGELAB_FS_MAGIC	0x706c6162	/* "plab" */

unsigned long pagelab_max_object_pages = 1UL << 20;
module_param_named(max_object_pages, pagelab_max_object_pages, ulong, 0644);
MODULE_PARM_DESC(max_object_pages, "Largest object, in pages (default 1048576 = 4 GiB)");

/* Live objects by id.  Readers use RCU; objects are freed with kfree_rcu(). */
static DEFINE_XARRAY(pagelab_objects);
static atomic64_t pagelab_next_id = ATOMIC64_INIT(0);
static struct vfsmount *pagelab_mnt;

static const struct file_operations pagelab_obj_fops;

/**
 * pagelab_create_check() - validate a create request before any work
 * @c: the request as copied from userspace
 * @max_object_pages: the per-object size cap, in pages
 *
 * Return: 0, -EINVAL for a malformed request, -ENOSPC for a size over the cap.
 */
int pagelab_create_check(const struct pagelab_create *c, unsigned long max_object_pages)
{
	size_t len;
	size_t i;

	if (c->flags & ~PAGELAB_CREATE_FLAGS || c->pad || c->mode & ~0777)
		return -EINVAL;
	if (c->fault_around > PAGELAB_FAULT_AROUND_MAX)
		return -EINVAL;
	if (!c->size || !PAGE_ALIGNED(c->size))
		return -EINVAL;
	len = strnlen(c->name, sizeof(c->name));
	if (len == sizeof(c->name))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isalnum(c->name[i]) && !strchr("._-", c->name[i]))
			return -EINVAL;
	if (c->size >> PAGE_SHIFT > max_object_pages)
		return -ENOSPC;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(pagelab_create_check, PAGELAB_KUNIT);

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
EXPORT_SYMBOL_NS_GPL(pagelab_mode_permits, PAGELAB_KUNIT);

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

	rcu_read_lock();
	do {
		page = xa_load(&obj->pages, index);
	} while (page && !get_page_unless_zero(page));
	rcu_read_unlock();
	return page;
}

/**
 * pagelab_obj_lock_frame() - lock a frame and check it is still the object's
 * @obj: the object
 * @index: page index where @page was found
 * @page: a referenced frame
 *
 * Return: true with @page locked; false with the reference dropped, when
 * the frame left @index meanwhile (the caller looks again).
 */
bool pagelab_obj_lock_frame(struct pagelab_object *obj, pgoff_t index, struct page *page)
{
	lock_page(page);
	if (xa_load(&obj->pages, index) == page)
		return true;
	unlock_page(page);
	put_page(page);
	return false;
}

/**
 * pagelab_obj_alloc_page() - give @index a frame if it has none
 * @obj: the object
 * @index: page index, below @obj->npages
 * @zero_mapped: the caller saw the zero page mapped at @index
 * @pagep: out: the frame at @index, referenced and locked
 * @fresh: out: the frame was allocated here (not found)
 *
 * Allocates a zeroed frame charged to the caller's memory cgroup and stores
 * it; if another fault got there first, uses that frame instead.  Then
 * removes every zero-page PTE of @index: the zero page can be mapped there
 * only if the caller saw it or another VMA maps the object (a read fault
 * maps the zero page under @obj->lock, after seeing no frame).
 *
 * Return: 0, VM_FAULT_SIGBUS when the module-wide page cap is reached
 * (counted in the object's sigbus counter), or VM_FAULT_OOM when the
 * allocation (memory cgroup charge) fails.
 */
vm_fault_t pagelab_obj_alloc_page(struct pagelab_object *obj, pgoff_t index,
				  bool zero_mapped, struct page **pagep, bool *fresh)
{
	struct page *page;
	vm_fault_t ret = 0;

	*fresh = false;
again:
	mutex_lock(&obj->lock);
	page = xa_load(&obj->pages, index);
	if (page) {
		get_page(page);
		if (zero_mapped)
			unmap_mapping_pages(obj->mapping, index, 1, false);
		mutex_unlock(&obj->lock);
		if (!pagelab_obj_lock_frame(obj, index, page))
			goto again;
		*pagep = page;
		return 0;
	}
	if (atomic64_inc_return(&pagelab_stats.pages_held) > READ_ONCE(pagelab_max_pages)) {
		atomic64_inc(&obj->count.sigbus);
		ret = VM_FAULT_SIGBUS;
		goto err_uncount;
	}
	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
	if (!page) {
		ret = VM_FAULT_OOM;
		goto err_uncount;
	}
	/* Locked before anyone can see it: nobody can take it from us. */
	__folio_set_locked(page_folio(page));
	if (xa_err(xa_store(&obj->pages, index, page, GFP_KERNEL_ACCOUNT))) {
		ret = VM_FAULT_OOM;
		goto err_free_page;
	}
	atomic64_inc(&pagelab_stats.pages_allocated);
	atomic_long_inc(&obj->resident);
	atomic64_inc(&obj->count.allocs);
	if (zero_mapped || atomic_long_read(&obj->mappers) > 1)
		unmap_mapping_pages(obj->mapping, index, 1, false);
	mutex_unlock(&obj->lock);
	get_page(page);
	*pagep = page;
	*fresh = true;
	return 0;

err_free_page:
	__folio_clear_locked(page_folio(page));
	__free_page(page);
err_uncount:
	atomic64_dec(&pagelab_stats.pages_held);
	mutex_unlock(&obj->lock);
	return ret;
}

static void pagelab_obj_free_pages(struct pagelab_object *obj)
{
	struct page *page;
	unsigned long index;

	xa_for_each(&obj->pages, index, page) {
		put_page(page);
		atomic64_inc(&pagelab_stats.pages_freed);
		atomic64_dec(&pagelab_stats.pages_held);
	}
	xa_destroy(&obj->pages);
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
	iput(obj->inode);
	atomic64_dec(&pagelab_stats.objects);
	kfree_rcu(obj, rcu);
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
	file = alloc_file_pseudo(obj->inode, pagelab_mnt, name, flags, &pagelab_obj_fops);
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
	struct file *file;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	ret = pagelab_create_check(&c, READ_ONCE(pagelab_max_object_pages));
	if (ret)
		return ret;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return -ENOMEM;
	kref_init(&obj->ref);
	mutex_init(&obj->lock);
	xa_init(&obj->pages);
	obj->npages = c.size >> PAGE_SHIFT;
	obj->flags = c.flags;
	obj->uid = current_fsuid();
	obj->gid = current_fsgid();
	obj->mode = c.mode ? c.mode : 0600;
	if (c.flags & PAGELAB_CREATE_NO_FAULT_AROUND)
		obj->fault_around = 0;
	else
		obj->fault_around = c.fault_around ? c.fault_around : PAGELAB_FAULT_AROUND_DEFAULT;
	strscpy(obj->name, c.name, sizeof(obj->name));

	obj->inode = alloc_anon_inode(pagelab_mnt->mnt_sb);
	if (IS_ERR(obj->inode)) {
		ret = PTR_ERR(obj->inode);
		goto err_free_obj;
	}
	obj->inode->i_size = c.size;
	/* No c/mtime: spares every shared write fault a file_update_time(). */
	obj->inode->i_flags |= S_NOCMTIME;
	obj->inode->i_private = obj;
	obj->mapping = obj->inode->i_mapping;

	obj->id = atomic64_inc_return(&pagelab_next_id);
	ret = xa_insert(&pagelab_objects, obj->id, obj, GFP_KERNEL);
	if (ret)
		goto err_put_inode;
	atomic64_inc(&pagelab_stats.objects);

	file = pagelab_obj_new_file(obj, O_RDWR);
	if (IS_ERR(file)) {
		pagelab_obj_put(obj);
		return PTR_ERR(file);
	}
	/* From here the file owns the object: fput() undoes everything. */
	if (put_user(obj->id, &uarg->id)) {
		fput(file);
		return -EFAULT;
	}
	ret = pagelab_install_fd(file, &uarg->fd);
	if (ret)
		fput(file);
	return ret;

err_put_inode:
	iput(obj->inode);
err_free_obj:
	kfree(obj);
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

static void pagelab_obj_fill_stat(struct pagelab_object *obj, struct pagelab_obj_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->id = obj->id;
	st->size = (u64)obj->npages << PAGE_SHIFT;
	st->resident = atomic_long_read(&obj->resident);
	st->mappers = atomic_long_read(&obj->mappers);
	st->files = atomic_long_read(&obj->files);
	st->faults_read = atomic64_read(&obj->count.faults_read);
	st->faults_write = atomic64_read(&obj->count.faults_write);
	st->zero_maps = atomic64_read(&obj->count.zero_maps);
	st->allocs = atomic64_read(&obj->count.allocs);
	st->existing = atomic64_read(&obj->count.existing);
	st->fault_around = atomic64_read(&obj->count.fault_around);
	st->mkwrite = atomic64_read(&obj->count.mkwrite);
	st->sigbus = atomic64_read(&obj->count.sigbus);
	st->uid = from_kuid_munged(current_user_ns(), obj->uid);
	st->gid = from_kgid_munged(current_user_ns(), obj->gid);
	st->mode = obj->mode;
	st->fault_around_pages = obj->fault_around;
	strscpy(st->name, obj->name, sizeof(st->name));
}

/**
 * pagelab_obj_stat_ioctl() - PAGELAB_IOC_OBJ_STAT
 * @self: the object whose fd the ioctl came on, or NULL on /dev/pagelab
 * @uarg: struct pagelab_obj_stat in user memory
 *
 * On /dev/pagelab the object is named by id and the caller needs read
 * access to it; on an object fd, id 0 (or the object's own id) means that
 * object.
 *
 * Return: 0, -ENOENT, -EACCES, -EINVAL or -EFAULT.
 */
long pagelab_obj_stat_ioctl(struct pagelab_object *self, struct pagelab_obj_stat __user *uarg)
{
	struct pagelab_obj_stat st;
	struct pagelab_object *obj;

	if (copy_from_user(&st, uarg, sizeof(st)))
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
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long pagelab_obj_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case PAGELAB_IOC_OBJ_STAT:
		return pagelab_obj_stat_ioctl(file->private_data, (void __user *)arg);
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
	if (file->f_op != &pagelab_obj_fops)
		return 0;
	return ((struct pagelab_object *)file->private_data)->id;
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
		seq_printf(m, " faults_read=%llu faults_write=%llu zero_maps=%llu allocs=%llu",
			   st.faults_read, st.faults_write, st.zero_maps, st.allocs);
		seq_printf(m, " existing=%llu fault_around=%llu mkwrite=%llu sigbus=%llu",
			   st.existing, st.fault_around, st.mkwrite, st.sigbus);
		seq_printf(m, " uid=%u gid=%u mode=0%o fault_around_pages=%u\n",
			   st.uid, st.gid, st.mode, st.fault_around_pages);
	}
	rcu_read_unlock();
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
	kern_unmount(pagelab_mnt);
}
