// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for module/walk.c: request parsing, entry-flag decoding and
 * the escaping of names, as pure functions of the loaded module.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/seq_buf.h>
#include <linux/string.h>

#include "pagelab.h"
#include "suites.h"

struct parse_case {
	const char *req;
	int expect;
	bool kernel, range;
	int pid;
	unsigned long start, end;
};

static const struct parse_case parse_cases[] = {
	{ "1 0x1000", 0, false, false, 1, 0x1000, 0 },
	{ "42 4096", 0, false, false, 42, 4096, 0 },
	{ "42 0x1234 0x5001", 0, false, true, 42, 0x1000, 0x6000 },
	{ "  7\t0x2000  0x3000\n", 0, false, true, 7, 0x2000, 0x3000 },
	{ "kernel 0xffff888000000000", 0, true, false, 0, 0xffff888000000000UL, 0 },
	{ "", -EINVAL },
	{ "garbage", -EINVAL },
	{ "1", -EINVAL },
	{ "json", -EINVAL },
	{ "-1 0x1000", -EINVAL },
	{ "0 0x1000", -EINVAL },
	{ "1 0x1000 0x2000 0x3000", -EINVAL },
	{ "1 0x1000 json json", -EINVAL },
	{ "42 4096 json", -EINVAL },
	{ "7 0x2000 0x3000 json", -EINVAL },
	{ "kernel 0xffff888000000000 json", -EINVAL },
	{ "1 zz", -EINVAL },
	{ "1 0x2000 0x1000", -EINVAL },
	{ "1 0x2000 0x2000", -EINVAL },
	{ "1 0xffff888000000000", -EINVAL },
	{ "kernel 0x1000", -EINVAL },
	{ "kernel 0x8000000000000000", -EINVAL },
	{ "kernel 0xffff888000000000 0xffff888000001000", -EINVAL },
	{ "1 0 0x100000000000", -E2BIG },
	{ "1 0 0x100000000", 0, false, true, 1, 0, 0x100000000UL },
};

static void parse_case_desc(const struct parse_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->req);
	strreplace(desc, '\n', ' ');
	strreplace(desc, '\t', ' ');
}

KUNIT_ARRAY_PARAM(parse, parse_cases, parse_case_desc);

static void pagelab_walk_parse_test(struct kunit *test)
{
	const struct parse_case *c = test->param_value;
	struct pagelab_walk_req req;
	const char *why = NULL;
	int ret = pagelab_walk_parse(c->req, &req, &why);

	KUNIT_EXPECT_EQ(test, ret, c->expect);
	if (ret) {
		KUNIT_EXPECT_NOT_NULL(test, why);
		return;
	}
	KUNIT_EXPECT_EQ(test, req.kernel, c->kernel);
	KUNIT_EXPECT_EQ(test, req.range, c->range);
	KUNIT_EXPECT_EQ(test, req.pid, c->pid);
	KUNIT_EXPECT_EQ(test, req.start, c->start);
	KUNIT_EXPECT_EQ(test, req.end, c->end);
}

struct flags_case {
	const char *desc;
	u64 entry;
	bool leaf;
	const char *expect;
};

static const struct flags_case flags_cases[] = {
	{ "empty", 0, true, "-" },
	{ "user table", 0x067, false, "P|RW|U|A|D" },
	{ "user data", 0x8000000000000067ULL, true, "P|RW|U|A|D|NX" },
	{ "kernel 2M text", 0x1e1, true, "P|A|D|PS|G" },
	{ "special zero page", 0x8000000000000225ULL, true, "P|U|A|NX|SPECIAL" },
	{ "soft-dirty", 0x865, true, "P|U|A|D|SD" },
	{ "sw bits hidden in tables", 0x0800000000000a67ULL, false, "P|RW|U|A|D" },
	{ "PROT_NONE", 0x8000000000000164ULL, true, "U|A|D|NX|PROTNONE" },
	{ "pkey 5", 0x2800000000000067ULL, true, "P|RW|U|A|D|PKEY=5" },
	{ "cache bits", 0x01f, true, "P|RW|U|PWT|PCD" },
};

static void flags_case_desc(const struct flags_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(flags, flags_cases, flags_case_desc);

static void pagelab_walk_flags_test(struct kunit *test)
{
	const struct flags_case *c = test->param_value;
	char buf[128];

	KUNIT_EXPECT_EQ(test, pagelab_walk_flags(c->entry, c->leaf, buf, sizeof(buf)),
			strlen(c->expect));
	KUNIT_EXPECT_STREQ(test, buf, c->expect);
}

static void pagelab_walk_flags_truncates(struct kunit *test)
{
	char buf[6];

	pagelab_walk_flags(0x8000000000000067ULL, true, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "P|RW|");
}

struct escape_case {
	const char *desc;
	const char *in;
	const char *text;
};

static const struct escape_case escape_cases[] = {
	{ "plain path", "/usr/lib/libc.so.6", "/usr/lib/libc.so.6" },
	{ "empty", "", "" },
	{ "space", "/tmp/a b", "/tmp/a\\040b" },
	{ "newline and a forged line", "/x\nleaf level=PTE", "/x\\012leaf\\040level=PTE" },
	{ "quote", "/\"q\"", "/\"q\"" },
	{ "backslash", "/a\\b", "/a\\134b" },
	{ "tab, DEL, 0x01", "\t\x7f\x01", "\\011\\177\\001" },
	{ "UTF-8 kept", "/caf\xc3\xa9", "/caf\xc3\xa9" },
};

static void escape_case_desc(const struct escape_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(escape, escape_cases, escape_case_desc);

static void pagelab_walk_escape_test(struct kunit *test)
{
	const struct escape_case *c = test->param_value;
	char buf[128];
	struct seq_buf sb;

	seq_buf_init(&sb, buf, sizeof(buf));
	pagelab_walk_escape(&sb, c->in);
	KUNIT_ASSERT_FALSE(test, seq_buf_has_overflowed(&sb));
	buf[seq_buf_used(&sb)] = '\0';
	KUNIT_EXPECT_STREQ(test, buf, c->text);
}

static struct kunit_case pagelab_walk_cases[] = {
	KUNIT_CASE_PARAM(pagelab_walk_parse_test, parse_gen_params),
	KUNIT_CASE_PARAM(pagelab_walk_flags_test, flags_gen_params),
	KUNIT_CASE(pagelab_walk_flags_truncates),
	KUNIT_CASE_PARAM(pagelab_walk_escape_test, escape_gen_params),
	{}
};

struct kunit_suite pagelab_walk_suite = {
	.name = "pagelab-walk",
	.test_cases = pagelab_walk_cases,
};
