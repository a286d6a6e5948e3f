// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - a character device for watching virtual memory work.
 *
 * This file holds module init/exit, the misc device /dev/pagelab and the
 * ioctl dispatch.  Every ioctl copies its whole argument in, validates all of
 * it before acting, and copies results out with no lock held.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

#include "pagelab.h"

unsigned long pagelab_max_pages = 262144;
module_param_named(max_pages, pagelab_max_pages, ulong, 0644);
MODULE_PARM_DESC(max_pages, "Cap on pages pagelab may hold, module-wide (default 262144 = 1 GiB)");
EXPORT_SYMBOL_NS_GPL(pagelab_max_pages, PAGELAB_KUNIT_NS);

static long pagelab_ioc_version(void __user *uarg)
{
	struct pagelab_version v;

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (v.flags || v.pad)
		return -EINVAL;

	memset(&v, 0, sizeof(v));
	v.abi_major = PAGELAB_ABI_MAJOR;
	v.abi_minor = PAGELAB_ABI_MINOR;
	v.features = PAGELAB_FEAT_DEVICE | PAGELAB_FEAT_DEBUGFS | PAGELAB_FEAT_OBJECTS |
		     PAGELAB_FEAT_COW | PAGELAB_FEAT_REPLACE |
		     PAGELAB_FEAT_FILE_STORE | PAGELAB_FEAT_SCAN | PAGELAB_FEAT_WALK;
	if (pagelab_kernel_shares_zero())
		v.features |= PAGELAB_FEAT_SHARED_ZERO;
	if (pagelab_kernel_vma_lock_faults())
		v.features |= PAGELAB_FEAT_VMA_LOCK;
	if (pagelab_kernel_rcu_pte_tables())
		v.features |= PAGELAB_FEAT_RCU_PTE;
	if (PAGELAB_HAVE_HUGE)
		v.features |= PAGELAB_FEAT_HUGE;
	v.features |= PAGELAB_FEAT_BUDDY | PAGELAB_FEAT_SLAB | PAGELAB_FEAT_PHYSMAP;
	strscpy(v.release, PAGELAB_RELEASE, sizeof(v.release));
	strscpy(v.kernel, utsname()->release, sizeof(v.kernel));

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

/*
 * PAGELAB_IOC_INFO: @size is what the caller knows of the struct, sizeof()
 * now or PAGELAB_INFO_SIZE_V1; the fields past it are neither read nor
 * written.
 */
static long pagelab_ioc_info(void __user *uarg, size_t size)
{
	struct pagelab_info info = {};
	int ret;

	if (copy_from_user(&info, uarg, size))
		return -EFAULT;
	ret = pagelab_info_check(&info);
	if (ret)
		return ret;
	pagelab_info_fill(&info);

	return copy_to_user(uarg, &info, size) ? -EFAULT : 0;
}

static long pagelab_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PAGELAB_IOC_VERSION:
		return pagelab_ioc_version(uarg);
	case PAGELAB_IOC_INFO:
		return pagelab_ioc_info(uarg, sizeof(struct pagelab_info));
	case PAGELAB_IOC_INFO_V1:
		return pagelab_ioc_info(uarg, PAGELAB_INFO_SIZE_V1);
	case PAGELAB_IOC_CREATE:
		return pagelab_obj_create(uarg);
	case PAGELAB_IOC_ATTACH:
		return pagelab_obj_attach(uarg);
	case PAGELAB_IOC_OBJ_STAT:
		return pagelab_obj_stat_ioctl(NULL, uarg, sizeof(struct pagelab_obj_stat));
	case PAGELAB_IOC_OBJ_STAT_V1:
		return pagelab_obj_stat_ioctl(NULL, uarg, PAGELAB_OBJ_STAT_SIZE_V1);
	case PAGELAB_IOC_CLONE:
		return pagelab_obj_clone(NULL, uarg);
	case PAGELAB_IOC_MERGE:
		return pagelab_obj_merge(uarg);
	case PAGELAB_IOC_SCAN:
		return pagelab_scan_ioctl(file, uarg);
	case PAGELAB_IOC_WALK:
		return pagelab_walk_ioctl(file, uarg);
	case PAGELAB_IOC_BUDDY:
		return pagelab_buddy_ioctl(file, uarg);
	case PAGELAB_IOC_SLAB:
		return pagelab_slab_ioctl(file, uarg);
	case PAGELAB_IOC_PHYSMAP:
		return pagelab_physmap_ioctl(file, uarg);
	default:
		return -ENOTTY;
	}
}

/* /dev/pagelab hands out objects; it has no memory of its own to map. */
static int pagelab_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -ENODEV;
}

/* Each open file holds its own buddy blocks (buddy.c). */
static int pagelab_dev_open(struct inode *inode, struct file *file)
{
	file->private_data = pagelab_dev_file_new();
	return file->private_data ? 0 : -ENOMEM;
}

static int pagelab_dev_release(struct inode *inode, struct file *file)
{
	pagelab_dev_file_free(file->private_data);
	return 0;
}

static const struct file_operations pagelab_dev_fops = {
	.owner = THIS_MODULE,
	.open = pagelab_dev_open,
	.release = pagelab_dev_release,
	.unlocked_ioctl = pagelab_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = pagelab_dev_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice pagelab_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pagelab",
	.fops = &pagelab_dev_fops,
	.mode = 0600,
};

static int __init pagelab_init(void)
{
	int ret;

	ret = pagelab_rp_init();
	if (ret)
		return ret;
	ret = pagelab_objects_init();
	if (ret)
		goto err_destroy_io_wq;
	pagelab_debugfs_init();
	ret = misc_register(&pagelab_misc);
	if (ret)
		goto err_remove_debugfs;
	pr_info("pagelab %s loaded: /dev/pagelab, ABI %d.%d\n", PAGELAB_RELEASE,
		PAGELAB_ABI_MAJOR, PAGELAB_ABI_MINOR);
	return 0;

err_remove_debugfs:
	pagelab_debugfs_exit();
	pagelab_objects_exit();
err_destroy_io_wq:
	pagelab_rp_exit();
	return ret;
}

static void __exit pagelab_exit(void)
{
	misc_deregister(&pagelab_misc);
	pagelab_debugfs_exit();
	pagelab_objects_exit();
	pagelab_rp_exit();
	pr_info("pagelab unloaded: %lld pages allocated, %lld freed\n",
		(long long)atomic64_read(&pagelab_stats.pages_allocated),
		(long long)atomic64_read(&pagelab_stats.pages_freed));
}

module_init(pagelab_init);
module_exit(pagelab_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pagelab: a device for watching virtual memory work");
MODULE_VERSION(PAGELAB_RELEASE);
