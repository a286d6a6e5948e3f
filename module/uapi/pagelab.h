/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pagelab - the ABI shared by the pagelab module and its userspace tools.
 *
 * Every ioctl takes one struct, copied in and (where it has outputs) copied
 * back out.  Fields are fixed-size, padded to a multiple of 8 bytes; padding
 * and reserved fields must be zero on input.  Unknown bits in a @flags field
 * are rejected with -EINVAL; an unknown command gets -ENOTTY.
 */
#ifndef _UAPI_PAGELAB_H
#define _UAPI_PAGELAB_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* ABI version: major changes break old tools, minor ones only add. */
#define PAGELAB_ABI_MAJOR	1
#define PAGELAB_ABI_MINOR	0

#define PAGELAB_DEVICE		"/dev/pagelab"
#define PAGELAB_DEBUGFS		"/sys/kernel/debug/pagelab"

/**
 * struct pagelab_version - the module's ABI and build version
 * @abi_major: (out) PAGELAB_ABI_MAJOR the module was built with
 * @abi_minor: (out) PAGELAB_ABI_MINOR the module was built with
 * @features:  (out) PAGELAB_FEAT_* bits: what this module offers
 * @flags:     (in)  must be 0
 * @pad:       must be 0
 * @release:   (out) the module version string, NUL-terminated
 * @kernel:    (out) the running kernel's release, NUL-terminated
 */
struct pagelab_version {
	__u32 abi_major;
	__u32 abi_minor;
	__u64 features;
	__u32 flags;
	__u32 pad;
	char release[32];
	char kernel[64];
};

/* Feature bits reported in pagelab_version.features. */
#define PAGELAB_FEAT_DEVICE	_BITULL(0)	/* /dev/pagelab, version and info */
#define PAGELAB_FEAT_DEBUGFS	_BITULL(1)	/* /sys/kernel/debug/pagelab */

/**
 * struct pagelab_info - module-wide state and limits
 * @flags:          (in)  must be 0
 * @pad:            must be 0
 * @page_size:      (out) PAGE_SIZE of the running kernel
 * @pgtable_levels: (out) paging levels in use (4 or 5)
 * @max_pages:      (out) module-wide cap on pages pagelab may hold
 * @pages_held:     (out) pages pagelab holds now
 * @pages_allocated: (out) pages allocated since load
 * @pages_freed:    (out) pages freed since load
 * @objects:        (out) live objects
 */
struct pagelab_info {
	__u32 flags;
	__u32 pad;
	__u32 page_size;
	__u32 pgtable_levels;
	__u64 max_pages;
	__u64 pages_held;
	__u64 pages_allocated;
	__u64 pages_freed;
	__u64 objects;
};

#define PAGELAB_IOC_MAGIC	0xb7

#define PAGELAB_IOC_VERSION	_IOWR(PAGELAB_IOC_MAGIC, 0x00, struct pagelab_version)
#define PAGELAB_IOC_INFO	_IOWR(PAGELAB_IOC_MAGIC, 0x01, struct pagelab_info)

#endif /* _UAPI_PAGELAB_H */
