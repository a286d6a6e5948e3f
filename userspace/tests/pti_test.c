// SPDX-License-Identifier: GPL-2.0
/*
 * pti_test - the walk under page-table isolation: for a user address the
 * kernel's copy of the PGD entry carries NX and the user copy, the one user
 * mode runs on, does not.  Skips unless the guest was booted with PTI on
 * (make check boots one guest with pti=on for it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

static bool pti_enabled(void)
{
	char line[4096];
	bool on = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " pti"))
			on = true;
	fclose(f);
	return on;
}

/* Walk @req; the answer into @out.  Returns 0 or -errno of the write. */
static int walk(const char *req, char *out, size_t len)
{
	int fd = open("/sys/kernel/debug/pagelab/walk", O_RDWR | O_CLOEXEC);
	int ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (write(fd, req, strlen(req)) < 0)
		ret = -errno;
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return ret;
}

/* The value of "key=" on the line starting with @kw, as a string. */
static bool field(const char *answer, const char *kw, const char *key, char *val, size_t len)
{
	char pat[64];
	const char *line, *p, *end;

	snprintf(pat, sizeof(pat), "\n%s ", kw);
	line = strstr(answer, pat);
	if (!line)
		return false;
	end = strchr(line + 1, '\n');
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p || (end && p > end))
		return false;
	p += strlen(pat);
	snprintf(val, len, "%.*s", (int)strcspn(p, " \n"), p);
	return true;
}

static bool has_flag(const char *flags, const char *name)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", flags);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

TEST(user_address_kernel_copy_nx_user_copy_not)
{
	static volatile char data[4096] = { 1 };
	char req[64], answer[8192], kflags[128], uflags[128];

	if (!pti_enabled())
		SKIP(return, "PTI is off in this guest (boot with pti=on)");
	data[0]++;
	snprintf(req, sizeof(req), "%d %p", getpid(), (void *)data);
	ASSERT_EQ(0, walk(req, answer, sizeof(answer))) TH_LOG("%s", answer);
	ASSERT_TRUE(field(answer, "PGD", "flags", kflags, sizeof(kflags))) TH_LOG("%s", answer);
	ASSERT_TRUE(field(answer, "PGD-user", "flags", uflags, sizeof(uflags)))
		TH_LOG("no PGD-user line under PTI:\n%s", answer);
	EXPECT_TRUE(has_flag(kflags, "NX")) TH_LOG("kernel copy: %s", kflags);
	EXPECT_FALSE(has_flag(uflags, "NX")) TH_LOG("user copy: %s", uflags);
	EXPECT_TRUE(has_flag(uflags, "U"));
	EXPECT_TRUE(has_flag(uflags, "P"));
}

TEST(kernel_address_has_no_user_copy_line)
{
	char answer[8192], base[64] = "", req[96], line[256];
	FILE *f = fopen("/sys/kernel/debug/pagelab/stats", "re");

	if (!pti_enabled())
		SKIP(return, "PTI is off in this guest (boot with pti=on)");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "direct_map_base %63s", base);
	fclose(f);
	ASSERT_NE(0, base[0]);
	snprintf(req, sizeof(req), "kernel %s", base);
	ASSERT_EQ(0, walk(req, answer, sizeof(answer))) TH_LOG("%s", answer);
	EXPECT_EQ(NULL, strstr(answer, "PGD-user"));
}

TEST_HARNESS_MAIN
