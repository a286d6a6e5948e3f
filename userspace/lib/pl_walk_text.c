// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the debugfs walk file from user space: requests, answers and
 * their strict parse (see pl_walk_text.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pagelab_lib.h"

/* ---- the page-table walk: /sys/kernel/debug/pagelab/walk ---------------- */

int pl_walk_open(void)
{
	int fd = open(PL_WALK_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int pl_walk_send(int fd, const char *request)
{
	size_t len = strlen(request);
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	n = write(fd, request, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int pl_walk_recv(int fd, char *answer, size_t len)
{
	size_t done = 0;

	if (!len)
		return -EMSGSIZE;
	answer[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (done == len - 1) {
			char c;

			do {
				n = read(fd, &c, 1);
			} while (n < 0 && errno == EINTR);
			answer[done] = '\0';
			if (n < 0)
				return -errno;
			return n ? -EMSGSIZE : 0;
		}
		n = read(fd, answer + done, len - 1 - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			answer[done] = '\0';
			return -errno;
		}
		if (!n)
			break;
		done += n;
	}
	answer[done] = '\0';
	return 0;
}

int pl_walk_recv_alloc(int fd, char **buf, size_t *cap)
{
	size_t done = 0;

	if (!*buf || *cap < 2) {
		free(*buf);
		*cap = 1 << 16;
		*buf = malloc(*cap);
		if (!*buf) {
			*cap = 0;
			return -ENOMEM;
		}
	}
	(*buf)[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (done + 1 == *cap) {
			char *nb = realloc(*buf, *cap * 2);

			if (!nb) {
				(*buf)[done] = '\0';
				return -ENOMEM;
			}
			*buf = nb;
			*cap *= 2;
		}
		n = read(fd, *buf + done, *cap - 1 - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(*buf)[done] = '\0';
			return -errno;
		}
		if (!n)
			break;
		done += n;
	}
	(*buf)[done] = '\0';
	return 0;
}

int pl_walk(const char *request, char *answer, size_t len)
{
	int fd, ret, rret;

	if (len)
		answer[0] = '\0';
	fd = pl_walk_open();
	if (fd < 0)
		return fd;
	ret = pl_walk_send(fd, request);
	rret = pl_walk_recv(fd, answer, len);
	close(fd);
	return ret ? ret : rret;
}

int pl_walk_alloc(const char *request, char **answer)
{
	size_t cap = 0;
	int fd, ret, rret;

	*answer = NULL;
	fd = pl_walk_open();
	if (fd < 0) {
		*answer = calloc(1, 1);
		return fd;
	}
	ret = pl_walk_send(fd, request);
	rret = pl_walk_recv_alloc(fd, answer, &cap);
	close(fd);
	if (!*answer)
		*answer = calloc(1, 1);
	return ret ? ret : rret;
}

const char *pl_walk_error(const char *answer)
{
	return strncmp(answer, "error: ", 7) ? NULL : answer + 7;
}

int pl_direct_map_base(uint64_t *base)
{
	char line[256], val[64];
	FILE *f = fopen(PAGELAB_DEBUGFS "/stats", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *e;

		if (sscanf(line, "direct_map_base %63s", val) != 1)
			continue;
		errno = 0;
		*base = strtoull(val, &e, 16);
		ret = errno || *e || strncmp(val, "0x", 2) ? -EINVAL : 0;
		break;
	}
	fclose(f);
	return ret;
}

/* -- the text format's parser -- */

#define PL_LINE_MAX	(PL_WALK_BACKING_LEN + 512)
#define PL_MAX_FIELDS	16

struct pl_kv {
	char *key;
	char *val;
};

static const char *const pl_level_names[PL_WALK_MAX_LEVELS] = {
	"PGD", "P4D", "PUD", "PMD", "PTE",
};

static const char *const pl_entry_flag_names[] = {
	"P", "RW", "U", "PWT", "PCD", "A", "D", "PS", "G", "NX", "SD", "SPECIAL",
	"UFFD_WP", "DEVMAP", "PROTNONE", NULL,
};

static const char *const pl_page_flag_names[] = {
	"lru", "compound", "head", "tail", "thp", "dirty", "swapbacked", "locked", NULL,
};

static const char *const pl_kinds[] = {
	"anon", "file", "pagelab", "zero", "ksm", "special", "none", "kernel", "hugetlb", NULL,
};

static const char *const pl_reasons[] = {
	"none", "swap", "migration", "device", "hwpoison", "marker", "protnone", "bad",
	"novma", NULL,
};

static int pl_in(const char *s, const char *const *set)
{
	for (int i = 0; set[i]; i++)
		if (!strcmp(s, set[i]))
			return i;
	return -1;
}

static int pl_level_index(const char *name)
{
	for (int i = 0; i < PL_WALK_MAX_LEVELS; i++)
		if (!strcmp(name, pl_level_names[i]))
			return i;
	return -1;
}

/* "0x" and 1-16 hex digits, nothing else. */
static bool pl_hex(const char *s, uint64_t *v)
{
	char *e;

	if (strncmp(s, "0x", 2) || !isxdigit((unsigned char)s[2]))
		return false;
	errno = 0;
	*v = strtoull(s + 2, &e, 16);
	return !errno && !*e;
}

/* Decimal digits only. */
static bool pl_dec(const char *s, uint64_t *v)
{
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoull(s, &e, 10);
	return !errno && !*e;
}

static bool pl_sdec(const char *s, long *v)
{
	char *e;

	if (!isdigit((unsigned char)s[s[0] == '-']))
		return false;
	errno = 0;
	*v = strtol(s, &e, 10);
	return !errno && !*e;
}

/* "-" or '|'-separated names from @set (entry flags also allow PKEY=n), no repeats. */
static bool pl_flags_ok(const char *s, const char *const *set, bool pkey)
{
	char buf[PL_WALK_FLAGS_LEN];
	char *tok, *save;
	unsigned long seen = 0;
	bool seen_pkey = false;

	if (!strcmp(s, "-"))
		return true;
	if (!*s || strlen(s) >= sizeof(buf) || s[0] == '|' || s[strlen(s) - 1] == '|' ||
	    strstr(s, "||"))
		return false;
	strcpy(buf, s);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		int i = pl_in(tok, set);
		uint64_t k;

		if (i >= 0) {
			if (seen & (1UL << i))
				return false;
			seen |= 1UL << i;
			continue;
		}
		if (!pkey || strncmp(tok, "PKEY=", 5) || !pl_dec(tok + 5, &k) || k > 15 ||
		    seen_pkey)
			return false;
		seen_pkey = true;
	}
	return true;
}

bool pl_walk_has_flag(const char *flags, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = flags; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && !memcmp(p, name, n))
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

/*
 * Split @s (one line, modified in place) into its keyword and key=value
 * fields.  A field whose key is @rest_key takes the rest of the line, spaces
 * and all (a file name).  Returns the number of fields or -1 (reason in @why).
 */
static int pl_fields(char *s, char **kw, struct pl_kv *kv, const char *rest_key,
		     const char **why)
{
	int n = 0;

	while (*s == ' ')
		s++;
	*kw = s;
	s += strcspn(s, " ");
	if (*s)
		*s++ = '\0';
	while (*s) {
		char *tok, *eq;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (n == PL_MAX_FIELDS) {
			*why = "too many fields";
			return -1;
		}
		tok = s;
		eq = strchr(tok, '=');
		if (!eq || eq == tok || eq > tok + strcspn(tok, " ")) {
			*why = "a field that is not key=value";
			return -1;
		}
		*eq = '\0';
		kv[n].key = tok;
		kv[n].val = eq + 1;
		if (rest_key && !strcmp(tok, rest_key)) {
			s = eq + 1 + strlen(eq + 1);
		} else {
			s = eq + 1 + strcspn(eq + 1, " ");
			if (*s)
				*s++ = '\0';
		}
		for (int i = 0; i < n; i++)
			if (!strcmp(kv[i].key, kv[n].key)) {
				*why = "a key given twice";
				return -1;
			}
		n++;
	}
	return n;
}

/* The value of @key, or NULL. */
static char *pl_get(struct pl_kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

/* The first key of @kv that is not in @allowed, or NULL. */
static const char *pl_unknown_key(struct pl_kv *kv, int n, const char *const *allowed)
{
	for (int i = 0; i < n; i++)
		if (pl_in(kv[i].key, allowed) < 0)
			return kv[i].key;
	return NULL;
}

/* Copy the next line of *@pos into @buf; false at the end of the text. */
static bool pl_next_line(const char **pos, char *buf, size_t len, bool *too_long)
{
	const char *p = *pos, *nl;
	size_t n;

	*too_long = false;
	if (!*p)
		return false;
	nl = strchr(p, '\n');
	n = nl ? (size_t)(nl - p) : strlen(p);
	*pos = nl ? nl + 1 : p + n;
	if (n >= len) {
		*too_long = true;
		n = len - 1;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static bool pl_copy(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		return false;
	strcpy(dst, src);
	return true;
}

static bool pl_prot_ok(const char *p)
{
	return strlen(p) == 4 && (p[0] == 'r' || p[0] == '-') && (p[1] == 'w' || p[1] == '-') &&
	       (p[2] == 'x' || p[2] == '-') && (p[3] == 'p' || p[3] == 's');
}

/*
 * Undo the kernel's escapes of a name in the text format, in place: "\ooo"
 * (three octal digits) is the byte it stands for; any other backslash, or a
 * byte the kernel escapes (space, control characters), makes it invalid.
 */
static bool pl_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		unsigned char c = *s;

		if (c <= ' ' || c == 0x7f)
			return false;
		if (c != '\\') {
			*out++ = (char)c;
			continue;
		}
		for (int i = 1; i <= 3; i++)
			if (s[i] < '0' || s[i] > '7')
				return false;
		if (s[1] > '3')
			return false;
		*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
		s += 3;
	}
	*out = '\0';
	return true;
}

static bool pl_backing_ok(const char *b)
{
	static const char *const plain[] = { "anon", "heap", "stack", "vdso", "vvar", NULL };
	uint64_t id;

	if (pl_in(b, plain) >= 0)
		return true;
	if (!strncmp(b, "file:", 5))
		return b[5] != '\0';
	if (!strncmp(b, "special:[", 9))
		return strlen(b) > 10 && b[strlen(b) - 1] == ']';
	if (!strncmp(b, "pagelab:", 8))
		return pl_dec(b + 8, &id);
	return false;
}

static uint64_t pl_leaf_size(int level)
{
	return level == 4 ? 4096 : level == 3 ? 2097152 : level == 2 ? 1073741824 : 0;
}

#define PL_PARSE_FAIL(errbuf, line, ...) do {					\
	int __o = snprintf((errbuf), PL_WALK_ERR_LEN, "line %d: ", (line));	\
	snprintf((errbuf) + __o, PL_WALK_ERR_LEN - __o, __VA_ARGS__);		\
	ret = -EINVAL;								\
	goto out;								\
} while (0)

/*
 * The entry=, flags= and optional next= keys of a level line, into @l: true,
 * or false with what is wrong in @why.
 */
static bool pl_level_entry(struct pl_kv *kv, int n, struct pl_walk_level *l,
			   char *why, size_t len)
{
	const char *v = pl_get(kv, n, "entry");

	if (!v || !pl_hex(v, &l->entry)) {
		snprintf(why, len, "bad or missing entry");
		return false;
	}
	v = pl_get(kv, n, "flags");
	if (!v || !pl_flags_ok(v, pl_entry_flag_names, true) ||
	    !pl_copy(l->flags, sizeof(l->flags), v)) {
		snprintf(why, len, "bad or missing flags '%.60s'", v ? v : "");
		return false;
	}
	v = pl_get(kv, n, "next");
	if (v) {
		if (!pl_hex(v, &l->next)) {
			snprintf(why, len, "bad next");
			return false;
		}
		l->has_next = true;
	}
	return true;
}

static int pl_parse_walk_header(char *buf, struct pl_walk_result *w, const char **why)
{
	static const char *const user_keys[] = { "pid", "addr", "levels", NULL };
	static const char *const kernel_keys[] = { "addr", "levels", NULL };
	struct pl_kv kv[PL_MAX_FIELDS];
	char *kw, *v;
	uint64_t u;
	int n;

	if (!strncmp(buf, "walk kernel ", 12)) {
		w->kernel = true;
		memset(buf + 5, ' ', 6);	/* "walk        addr=...": drop the word */
	}
	n = pl_fields(buf, &kw, kv, NULL, why);
	if (n < 0)
		return -1;
	*why = "the first line is not 'walk pid=N addr=0x... levels=N' "
	       "or 'walk kernel addr=0x... levels=N'";
	if (strcmp(kw, "walk") || pl_unknown_key(kv, n, w->kernel ? kernel_keys : user_keys) ||
	    n != (w->kernel ? 2 : 3))
		return -1;
	if (!w->kernel) {
		v = pl_get(kv, n, "pid");
		if (!pl_dec(v, &u) || !u || u > INT32_MAX)
			return -1;
		w->pid = (pid_t)u;
	}
	if (!pl_hex(pl_get(kv, n, "addr"), &w->addr) ||
	    !pl_dec(pl_get(kv, n, "levels"), &u) || (u != 4 && u != 5))
		return -1;
	w->levels = (unsigned int)u;
	return 0;
}

/* The keys each line of a one-address answer may carry. */
static const char *const vma_keys[] = { "start", "end", "prot", "backing", NULL };
static const char *const level_keys[] = { "index", "entry", "flags", "next", NULL };
static const char *const leaf_keys[] = { "level", "size", "pfn", "phys", NULL };
static const char *const page_keys[] = { "refcount", "mapcount", "kind", "flags", NULL };
static const char *const absent_keys[] = { "level", "reason", "type", "offset", NULL };

/* The vma line: the mapping that holds the address. */
static int pl_parse_vma_line(struct pl_walk_result *w, struct pl_kv *kv, int n, int line)
{
	const char *k;
	char *v;
	int ret = 0;

	if (w->has_vma || w->nlevels || line != 2)
		PL_PARSE_FAIL(w->err, line, "vma line out of place");
	if (w->kernel)
		PL_PARSE_FAIL(w->err, line, "a vma line in a kernel walk");
	k = pl_unknown_key(kv, n, vma_keys);
	if (k)
		PL_PARSE_FAIL(w->err, line, "unknown key '%.40s'", k);
	if (n != 4)
		PL_PARSE_FAIL(w->err, line, "vma needs start, end, prot, backing");
	if (!pl_hex(pl_get(kv, n, "start"), &w->vma_start) ||
	    !pl_hex(pl_get(kv, n, "end"), &w->vma_end) ||
	    w->vma_end <= w->vma_start || (w->vma_start | w->vma_end) & 4095)
		PL_PARSE_FAIL(w->err, line, "bad vma start/end");
	if (w->addr < w->vma_start || w->addr >= w->vma_end)
		PL_PARSE_FAIL(w->err, line, "the vma does not hold addr");
	v = pl_get(kv, n, "prot");
	if (!pl_prot_ok(v) || !pl_copy(w->vma_prot, sizeof(w->vma_prot), v))
		PL_PARSE_FAIL(w->err, line, "bad prot '%.20s'", v);
	v = pl_get(kv, n, "backing");
	if (!pl_unescape(v) || !pl_backing_ok(v) ||
	    !pl_copy(w->vma_backing, sizeof(w->vma_backing), v))
		PL_PARSE_FAIL(w->err, line, "bad backing '%.60s'", v);
	w->has_vma = true;
out:
	return ret;
}

/* A level line (PGD to PTE): its index and entry. */
static int pl_parse_level_line(struct pl_walk_result *w, const char *kw, int lvl,
			       struct pl_kv *kv, int n, int line)
{
	struct pl_walk_level *l = &w->level[lvl];
	char *v, bad[100];
	const char *k;
	uint64_t u;
	int ret = 0;

	if (lvl != w->nlevels)
		PL_PARSE_FAIL(w->err, line, "%s where %s should be", kw,
			      w->nlevels < PL_WALK_MAX_LEVELS ?
			      pl_level_names[w->nlevels] : "nothing");
	if (lvl == 1 && w->levels != 5)
		PL_PARSE_FAIL(w->err, line, "a P4D entry with 4-level paging");
	if (!w->kernel && !w->has_vma)
		PL_PARSE_FAIL(w->err, line, "a level line before the vma line");
	strcpy(l->name, kw);
	k = pl_unknown_key(kv, n, level_keys);
	if (k)
		PL_PARSE_FAIL(w->err, line, "unknown key '%.40s'", k);
	v = pl_get(kv, n, "index");
	if (!v || !pl_dec(v, &u) || u > 511)
		PL_PARSE_FAIL(w->err, line, "bad or missing index");
	l->index = (unsigned int)u;
	if (!pl_level_entry(kv, n, l, bad, sizeof(bad)))
		PL_PARSE_FAIL(w->err, line, "%s", bad);
	w->nlevels++;
out:
	return ret;
}

/* The leaf line: the entry that maps the frame. */
static int pl_parse_leaf_line(struct pl_walk_result *w, struct pl_kv *kv, int n, int line)
{
	const char *k;
	char *v;
	int lvl;
	int ret = 0;

	k = pl_unknown_key(kv, n, leaf_keys);
	if (k)
		PL_PARSE_FAIL(w->err, line, "unknown key '%.40s'", k);
	if (n != 4)
		PL_PARSE_FAIL(w->err, line, "leaf needs level, size, pfn, phys");
	v = pl_get(kv, n, "level");
	lvl = pl_level_index(v);
	if (lvl < 2 || !pl_copy(w->leaf_level, sizeof(w->leaf_level), v))
		PL_PARSE_FAIL(w->err, line, "bad leaf level '%.20s'", v);
	if (lvl != w->nlevels - 1)
		PL_PARSE_FAIL(w->err, line, "leaf level %s is not the last level line",
			      v);
	if (!pl_dec(pl_get(kv, n, "size"), &w->leaf_size) ||
	    w->leaf_size != pl_leaf_size(lvl))
		PL_PARSE_FAIL(w->err, line, "bad size for a %s leaf", v);
	if (!pl_hex(pl_get(kv, n, "pfn"), &w->pfn) ||
	    !pl_hex(pl_get(kv, n, "phys"), &w->phys))
		PL_PARSE_FAIL(w->err, line, "bad pfn or phys");
	w->has_leaf = true;
out:
	return ret;
}

/* The page line: the frame's page, its kind and flags. */
static int pl_parse_page_line(struct pl_walk_result *w, struct pl_kv *kv, int n, int line)
{
	const char *k;
	char *v;
	int ret = 0;

	if (!w->has_leaf)
		PL_PARSE_FAIL(w->err, line, "page line without a leaf line");
	k = pl_unknown_key(kv, n, page_keys);
	if (k)
		PL_PARSE_FAIL(w->err, line, "unknown key '%.40s'", k);
	/* refcount and mapcount: for CAP_SYS_ADMIN only, so both or neither. */
	w->has_counts = pl_get(kv, n, "refcount") || pl_get(kv, n, "mapcount");
	if (n != (w->has_counts ? 4 : 2))
		PL_PARSE_FAIL(w->err, line, "page needs kind, flags, and refcount "
			      "with mapcount or neither");
	if (w->has_counts && (!pl_sdec(pl_get(kv, n, "refcount"), &w->refcount) ||
			      !pl_sdec(pl_get(kv, n, "mapcount"), &w->mapcount)))
		PL_PARSE_FAIL(w->err, line, "bad refcount or mapcount");
	v = pl_get(kv, n, "kind");
	if (pl_in(v, pl_kinds) < 0)
		PL_PARSE_FAIL(w->err, line, "unknown kind '%.20s'", v);
	strcpy(w->page_kind, v);
	v = pl_get(kv, n, "flags");
	if (!pl_flags_ok(v, pl_page_flag_names, false) ||
	    !pl_copy(w->page_flags, sizeof(w->page_flags), v))
		PL_PARSE_FAIL(w->err, line, "bad page flags '%.60s'", v);
	w->has_page = true;
out:
	return ret;
}

/* The absent line: why nothing maps the address, and where. */
static int pl_parse_absent_line(struct pl_walk_result *w, struct pl_kv *kv, int n, int line)
{
	const char *k;
	int lvl = -1;
	uint64_t u;
	char *v;
	int ret = 0;

	k = pl_unknown_key(kv, n, absent_keys);
	if (k)
		PL_PARSE_FAIL(w->err, line, "unknown key '%.40s'", k);
	/* No VMA: no level was looked at, and none is named. */
	v = pl_get(kv, n, "reason");
	if (!v || pl_in(v, pl_reasons) < 0)
		PL_PARSE_FAIL(w->err, line, "bad or missing reason '%.20s'",
			      v ? v : "");
	strcpy(w->absent_reason, v);
	v = pl_get(kv, n, "level");
	if (!strcmp(w->absent_reason, "novma")) {
		if (v)
			PL_PARSE_FAIL(w->err, line, "novma names no level");
		v = "";
	} else {
		lvl = v ? pl_level_index(v) : -1;
		if (lvl < 0)
			PL_PARSE_FAIL(w->err, line, "bad or missing absent level");
	}
	strcpy(w->absent_level, v);
	if (!pl_get(kv, n, "type") != !pl_get(kv, n, "offset"))
		PL_PARSE_FAIL(w->err, line, "type= and offset= come together");
	if (pl_get(kv, n, "type")) {
		if (!pl_dec(pl_get(kv, n, "type"), &u) || u > 31 ||
		    !pl_hex(pl_get(kv, n, "offset"), &w->swap_offset))
			PL_PARSE_FAIL(w->err, line, "bad type or offset");
		w->swap_type = (unsigned int)u;
		w->has_swap = true;
	}
	if (!strcmp(w->absent_reason, "novma")) {
		if (w->nlevels || w->has_vma || w->kernel)
			PL_PARSE_FAIL(w->err, line,
				      "novma after vma or level lines, or in a kernel walk");
	} else if (!strcmp(w->absent_reason, "protnone")) {
		if (lvl != w->nlevels - 1)
			PL_PARSE_FAIL(w->err, line, "protnone without its entry line");
	} else if (lvl != w->nlevels - 1 && lvl != w->nlevels) {
		PL_PARSE_FAIL(w->err, line, "absent at %s after %d level lines",
			      w->absent_level, w->nlevels);
	}
	w->has_absent = true;
out:
	return ret;
}

/* PTI's user PGD entry, right after the PGD line. */
static int pl_parse_pgd_user_line(struct pl_walk_result *w, struct pl_kv *kv, int n, int line)
{
	struct pl_walk_level *l = &w->pgd_user;
	char bad[100];
	const char *k;
	uint64_t u;
	int ret = 0;

	if (w->kernel || w->nlevels != 1 || w->has_pgd_user || w->has_leaf ||
	    w->has_absent)
		PL_PARSE_FAIL(w->err, line, "PGD-user is only right after a user PGD line");
	strcpy(l->name, "PGD-user");
	k = pl_unknown_key(kv, n, level_keys);
	if (k)
		PL_PARSE_FAIL(w->err, line, "unknown key '%.40s'", k);
	if (!pl_dec(pl_get(kv, n, "index"), &u) || u != w->level[0].index)
		PL_PARSE_FAIL(w->err, line, "bad index (the PGD's is %u)",
			      w->level[0].index);
	l->index = (unsigned int)u;
	if (!pl_level_entry(kv, n, l, bad, sizeof(bad)))
		PL_PARSE_FAIL(w->err, line, "%s", bad);
	w->has_pgd_user = true;
out:
	return ret;
}

/* "P4D folded": 4-level paging's P4D, right after the PGD line. */
static int pl_parse_p4d_folded(struct pl_walk_result *w, int line)
{
	int ret = 0;

	if (w->nlevels != 1)
		PL_PARSE_FAIL(w->err, line, "P4D where %s should be",
			      w->nlevels < PL_WALK_MAX_LEVELS ?
			      pl_level_names[w->nlevels] : "nothing");
	if (w->levels != 4)
		PL_PARSE_FAIL(w->err, line, "P4D folded with 5-level paging");
	if (w->has_leaf || w->has_absent)
		PL_PARSE_FAIL(w->err, line, "P4D after the last line");
	strcpy(w->level[1].name, "P4D");
	w->level[1].folded = true;
	w->nlevels++;
out:
	return ret;
}

int pl_walk_parse(const char *answer, struct pl_walk_result *w)
{
	const char *pos = answer, *why = NULL;
	struct pl_kv kv[PL_MAX_FIELDS];
	int line = 0, n, ret = 0, lvl;
	char *buf, *kw;
	bool too_long;

	memset(w, 0, sizeof(*w));
	buf = malloc(PL_LINE_MAX);
	if (!buf) {
		snprintf(w->err, sizeof(w->err), "out of memory");
		return -ENOMEM;
	}
	if (pl_walk_error(answer))
		PL_PARSE_FAIL(w->err, 1, "the kernel refused the request: %.*s",
			      (int)strcspn(answer, "\n") > 120 ? 120 : (int)strcspn(answer, "\n"),
			      answer);
	while (pl_next_line(&pos, buf, PL_LINE_MAX, &too_long)) {
		line++;
		if (too_long)
			PL_PARSE_FAIL(w->err, line, "too long");
		if (line == 1) {
			if (pl_parse_walk_header(buf, w, &why))
				PL_PARSE_FAIL(w->err, line, "%s", why);
			continue;
		}
		if (!strcmp(buf, "P4D folded")) {
			ret = pl_parse_p4d_folded(w, line);
			if (ret)
				goto out;
			continue;
		}
		n = pl_fields(buf, &kw, kv, !strncmp(buf, "vma ", 4) ? "backing" : NULL, &why);
		if (n < 0)
			PL_PARSE_FAIL(w->err, line, "%s", why);
		if (!*kw)
			PL_PARSE_FAIL(w->err, line, "an empty line");
		if (!strcmp(kw, "PGD-user")) {
			ret = pl_parse_pgd_user_line(w, kv, n, line);
			if (ret)
				goto out;
			continue;
		}
		if (w->has_leaf && !w->has_page && strcmp(kw, "page"))
			PL_PARSE_FAIL(w->err, line, "'%.40s' after the leaf line", kw);
		if (w->has_page || w->has_absent)
			PL_PARSE_FAIL(w->err, line, "'%.40s' after the last line", kw);
		if (!strcmp(kw, "vma"))
			ret = pl_parse_vma_line(w, kv, n, line);
		else if ((lvl = pl_level_index(kw)) >= 0)
			ret = pl_parse_level_line(w, kw, lvl, kv, n, line);
		else if (!strcmp(kw, "leaf"))
			ret = pl_parse_leaf_line(w, kv, n, line);
		else if (!strcmp(kw, "page"))
			ret = pl_parse_page_line(w, kv, n, line);
		else if (!strcmp(kw, "absent"))
			ret = pl_parse_absent_line(w, kv, n, line);
		else
			PL_PARSE_FAIL(w->err, line, "unknown keyword '%.40s'", kw);
		if (ret)
			goto out;
	}
	if (!line)
		PL_PARSE_FAIL(w->err, 1, "an empty answer");
	if (!w->has_leaf && !w->has_absent)
		PL_PARSE_FAIL(w->err, line, "neither a leaf nor an absent line");
	if (!w->kernel && !w->has_vma && strcmp(w->absent_reason, "novma"))
		PL_PARSE_FAIL(w->err, line, "no vma line in a user walk");
out:
	free(buf);
	return ret;
}

const struct pl_walk_level *pl_walk_find_level(const struct pl_walk_result *w, const char *name)
{
	for (int i = 0; i < w->nlevels; i++)
		if (!strcmp(w->level[i].name, name))
			return &w->level[i];
	return NULL;
}

const struct pl_walk_level *pl_walk_leaf_entry(const struct pl_walk_result *w)
{
	return w->has_leaf ? pl_walk_find_level(w, w->leaf_level) : NULL;
}

static int pl_parse_range_header(char *buf, struct pl_walk_range *r, const char **why)
{
	static const char *const keys[] = { "pid", "start", "end", "levels", NULL };
	struct pl_kv kv[PL_MAX_FIELDS];
	char *kw;
	uint64_t u;
	int n = pl_fields(buf, &kw, kv, NULL, why);

	if (n < 0)
		return -1;
	*why = "the first line is not 'range pid=N start=0x... end=0x... levels=N'";
	if (strcmp(kw, "range") || n != 4 || pl_unknown_key(kv, n, keys))
		return -1;
	if (!pl_dec(pl_get(kv, n, "pid"), &u) || !u || u > INT32_MAX)
		return -1;
	r->pid = (pid_t)u;
	if (!pl_hex(pl_get(kv, n, "start"), &r->start) || !pl_hex(pl_get(kv, n, "end"), &r->end) ||
	    r->end <= r->start || (r->start | r->end) & 4095)
		return -1;
	if (!pl_dec(pl_get(kv, n, "levels"), &u) || (u != 4 && u != 5))
		return -1;
	r->levels = (unsigned int)u;
	return 0;
}

int pl_walk_range_begin(struct pl_walk_range *r, const char *answer)
{
	char buf[512];
	const char *why;
	bool too_long;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->pos = answer;
	if (pl_walk_error(answer))
		PL_PARSE_FAIL(r->err, 1, "the kernel refused the request: %.*s",
			      (int)strcspn(answer, "\n") > 120 ? 120 : (int)strcspn(answer, "\n"),
			      answer);
	if (!pl_next_line(&r->pos, buf, sizeof(buf), &too_long) || too_long)
		PL_PARSE_FAIL(r->err, 1, "no header line");
	r->line = 1;
	if (pl_parse_range_header(buf, r, &why))
		PL_PARSE_FAIL(r->err, 1, "%s", why);
	r->next_start = r->start;
out:
	if (ret)
		r->done = true;
	return ret;
}

/* Pages a run of @size-byte leaves over [start, end) may say it has. */
static bool pl_run_pages_ok(uint64_t start, uint64_t end, uint64_t size, uint64_t pages)
{
	uint64_t first, last;

	if (pages * 4096 == end - start)
		return true;
	if (size <= 4096)
		return false;
	/* Or counted in leaves: each (partly) covered huge page once. */
	first = start & ~(size - 1);
	last = (end - 1) & ~(size - 1);
	return pages == (last - first) / size + 1;
}

/* A present run's size, pfn, flags, kind and excl keys, into @run: 0 or -EINVAL. */
static int pl_range_present(struct pl_walk_range *r, struct pl_walk_run *run, struct pl_kv *kv,
			    int n, int line)
{
	int ret = 0;
	uint64_t u;
	char *v;

	if (!pl_dec(pl_get(kv, n, "size"), &run->size) ||
	    (run->size != 4096 && run->size != 2097152 && run->size != 1073741824))
		PL_PARSE_FAIL(r->err, line, "bad size");
	if (!pl_run_pages_ok(run->start, run->end, run->size, run->pages))
		PL_PARSE_FAIL(r->err, line, "pages=%llu for %llu bytes of %llu-byte pages",
			      (unsigned long long)run->pages,
			      (unsigned long long)(run->end - run->start),
			      (unsigned long long)run->size);
	if (!pl_hex(pl_get(kv, n, "pfn"), &run->pfn))
		PL_PARSE_FAIL(r->err, line, "bad pfn");
	v = pl_get(kv, n, "flags");
	if (!pl_flags_ok(v, pl_entry_flag_names, true) ||
	    !pl_copy(run->flags, sizeof(run->flags), v))
		PL_PARSE_FAIL(r->err, line, "bad flags '%.60s'", v);
	v = pl_get(kv, n, "kind");
	if (pl_in(v, pl_kinds) < 0)
		PL_PARSE_FAIL(r->err, line, "unknown kind '%.20s'", v);
	strcpy(run->kind, v);
	if (!pl_dec(pl_get(kv, n, "excl"), &u) || u > 1)
		PL_PARSE_FAIL(r->err, line, "excl is 0 or 1");
	run->excl = (unsigned int)u;
out:
	return ret;
}

int pl_walk_range_next(struct pl_walk_range *r, struct pl_walk_run *run)
{
	static const char *const run_keys[] = {
		"start", "end", "pages", "size", "pfn", "flags", "kind", "excl", NULL,
	};
	static const char *const absent_keys[] = { "start", "end", "pages", "reason", NULL };
	static const char *const end_keys[] = { "pages", NULL };
	struct pl_kv kv[PL_MAX_FIELDS];
	const char *why, *k;
	char buf[1024], *kw, *v;
	bool too_long;
	int n, ret = 0, line;

	memset(run, 0, sizeof(*run));
	if (r->done)
		return r->err[0] ? -EINVAL : 0;
	line = ++r->line;
	if (!pl_next_line(&r->pos, buf, sizeof(buf), &too_long))
		PL_PARSE_FAIL(r->err, line, "the answer ends without an 'end' line");
	if (too_long)
		PL_PARSE_FAIL(r->err, line, "too long");
	n = pl_fields(buf, &kw, kv, NULL, &why);
	if (n < 0)
		PL_PARSE_FAIL(r->err, line, "%s", why);
	if (!strcmp(kw, "end")) {
		k = pl_unknown_key(kv, n, end_keys);
		if (k || n != 1)
			PL_PARSE_FAIL(r->err, line, "the end line is 'end pages=N'");
		if (!pl_dec(pl_get(kv, n, "pages"), &r->total_pages))
			PL_PARSE_FAIL(r->err, line, "bad pages");
		if (r->next_start != r->end)
			PL_PARSE_FAIL(r->err, line, "the runs stop at 0x%llx, not at end 0x%llx",
				      (unsigned long long)r->next_start,
				      (unsigned long long)r->end);
		if (r->total_pages != r->pages_seen)
			PL_PARSE_FAIL(r->err, line, "end pages=%llu but the runs add up to %llu",
				      (unsigned long long)r->total_pages,
				      (unsigned long long)r->pages_seen);
		if (pl_next_line(&r->pos, buf, sizeof(buf), &too_long))
			PL_PARSE_FAIL(r->err, line + 1, "a line after the end line");
		r->done = true;
		return 0;
	}
	if (!strcmp(kw, "run")) {
		k = pl_unknown_key(kv, n, run_keys);
		if (k)
			PL_PARSE_FAIL(r->err, line, "unknown key '%.40s'", k);
		if (n != 8)
			PL_PARSE_FAIL(r->err, line,
				      "run needs start, end, pages, size, pfn, flags, kind, excl");
	} else if (!strcmp(kw, "absent")) {
		run->absent = true;
		k = pl_unknown_key(kv, n, absent_keys);
		if (k)
			PL_PARSE_FAIL(r->err, line, "unknown key '%.40s'", k);
		if (n != 4)
			PL_PARSE_FAIL(r->err, line, "absent needs start, end, pages, reason");
	} else {
		PL_PARSE_FAIL(r->err, line, "unknown keyword '%.40s'", kw);
	}
	if (!pl_hex(pl_get(kv, n, "start"), &run->start) ||
	    !pl_hex(pl_get(kv, n, "end"), &run->end) || run->end <= run->start ||
	    (run->start | run->end) & 4095)
		PL_PARSE_FAIL(r->err, line, "bad start/end");
	if (run->start != r->next_start)
		PL_PARSE_FAIL(r->err, line, "starts at 0x%llx, where 0x%llx should be",
			      (unsigned long long)run->start, (unsigned long long)r->next_start);
	if (run->end > r->end)
		PL_PARSE_FAIL(r->err, line, "ends past the range's end");
	run->pages4k = (run->end - run->start) / 4096;
	if (!pl_dec(pl_get(kv, n, "pages"), &run->pages) || !run->pages)
		PL_PARSE_FAIL(r->err, line, "bad pages");
	if (run->absent) {
		v = pl_get(kv, n, "reason");
		if (pl_in(v, pl_reasons) < 0)
			PL_PARSE_FAIL(r->err, line, "unknown reason '%.20s'", v);
		strcpy(run->reason, v);
		if (run->pages != run->pages4k)
			PL_PARSE_FAIL(r->err, line, "pages=%llu for %llu bytes",
				      (unsigned long long)run->pages,
				      (unsigned long long)(run->end - run->start));
	} else {
		ret = pl_range_present(r, run, kv, n, line);
		if (ret)
			goto out;
	}
	r->next_start = run->end;
	r->pages_seen += run->pages;
	return 1;
out:
	r->done = true;
	return ret;
}
