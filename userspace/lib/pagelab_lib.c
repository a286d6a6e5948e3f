// SPDX-License-Identifier: GPL-2.0
/*
 * libpagelab - thin wrappers around /dev/pagelab.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pagelab_lib.h"

int pl_open(void)
{
	int fd = open(PAGELAB_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

const char *pl_open_hint(int err)
{
	switch (err) {
	case -ENOENT:
		return PAGELAB_DEVICE " not found: is the module loaded? (insmod pagelab.ko)";
	case -EACCES:
	case -EPERM:
		return PAGELAB_DEVICE " is root's (mode 0600): run as root";
	case -ENXIO:
	case -ENODEV:
		return PAGELAB_DEVICE " has no driver: is the module loaded? (insmod pagelab.ko)";
	default:
		return strerror(-err);
	}
}

static int pl_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int pl_version(int fd, struct pagelab_version *v)
{
	memset(v, 0, sizeof(*v));
	return pl_ioctl(fd, PAGELAB_IOC_VERSION, v);
}

int pl_info(int fd, struct pagelab_info *info)
{
	memset(info, 0, sizeof(*info));
	return pl_ioctl(fd, PAGELAB_IOC_INFO, info);
}

int pl_debugfs_stat(const char *key, unsigned long long *val)
{
	char line[256], k[64];
	unsigned long long v;
	FILE *f = fopen(PAGELAB_DEBUGFS "/stats", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu", k, &v) == 2 && !strcmp(k, key)) {
			*val = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}
