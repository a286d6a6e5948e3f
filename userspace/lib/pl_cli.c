// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - helpers every command shares: see pl_cli.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagelab_lib.h"
#include "pl_cli.h"

void pl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("pagelab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool pl_vcheck(bool *ok, bool cond, const char *fmt, va_list ap)
{
	if (cond)
		return true;
	*ok = false;
	printf("  ** CHECK FAILED: ");
	vprintf(fmt, ap);
	printf(" **\n");
	return false;
}

bool pl_check(bool *ok, bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pl_vcheck(ok, cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool pl_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

int pl_open_or_explain(void)
{
	int fd = pl_open();

	if (fd < 0) {
		pl_err("%s", pl_open_hint(fd));
		return -1;
	}
	return fd;
}

bool pl_parse_addr(const char *s, unsigned long long *v)
{
	char *e;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	*v = strtoull(s, &e, 0);
	return !errno && !*e;
}

/* The length of the valid UTF-8 sequence at @s (1..4), or 0. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] > 0xf4 ? 0 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	/* No overlong three- or four-byte forms, no surrogates, nothing past U+10FFFF. */
	if ((n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) ||
	    (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))))
		return 0;
	return n;
}

void pl_json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p) {
		int n;

		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
		} else if (*p < 0x80) {
			putchar(*p++);
		} else if ((n = utf8_len(p))) {
			fwrite(p, 1, (size_t)n, stdout);
			p += n;
		} else {
			/* Not UTF-8 (a file name may be any bytes): the byte as a code point. */
			printf("\\u%04x", *p++);
		}
	}
	putchar('"');
}
