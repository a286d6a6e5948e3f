// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - one address's walk as a structure: see pl_walk.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pl_walk.h"

/* PAGELAB_E_* in bit order. */
static const char *const pl_walk_bit_names[PAGELAB_E_NBITS] = {
	"P", "RW", "U", "PWT", "PCD", "A", "D", "PS", "G", "NX", "SD", "SPECIAL", "UFFD_WP",
	"DEVMAP", "PROTNONE",
};

static const char *const pl_walk_level_names[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };

int pl_walk_ioctl(int fd, pid_t pid, bool kernel, uint64_t addr, struct pagelab_walk *k)
{
	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->flags = kernel ? PAGELAB_WALK_KERNEL : 0;
	k->addr = addr;
	return ioctl(fd, PAGELAB_IOC_WALK, k) ? -errno : 0;
}

/* Append @name to @buf with a "|" before all but the first; the new length. */
static size_t pl_walk_name_add(char *buf, size_t len, size_t n, const char *name)
{
	int r = snprintf(buf + n, len - n, "%s%s", n ? "|" : "", name);

	return r < 0 || (size_t)r >= len - n ? len - 1 : n + (size_t)r;
}

void pl_walk_bits_names(uint32_t bits, unsigned int pkey, char *buf, size_t len)
{
	char key[16];
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < PAGELAB_E_NBITS; i++)
		if (bits & (1U << i))
			n = pl_walk_name_add(buf, len, n, pl_walk_bit_names[i]);
	if (pkey) {
		snprintf(key, sizeof(key), "PKEY=%u", pkey);
		n = pl_walk_name_add(buf, len, n, key);
	}
	if (!n)
		snprintf(buf, len, "-");
}

/* A level's name into @out: 0, or -EINVAL for a level no walk has. */
static int pl_walk_level_name(unsigned int level, char *out, size_t len)
{
	if (level >= sizeof(pl_walk_level_names) / sizeof(pl_walk_level_names[0]))
		return -EINVAL;
	snprintf(out, len, "%s", pl_walk_level_names[level]);
	return 0;
}

static int pl_walk_bad(struct pl_walk_result *w, const char *why, unsigned int v)
{
	snprintf(w->err, sizeof(w->err), "%s (%u)", why, v);
	return -EINVAL;
}

int pl_walk_from_struct(const struct pagelab_walk *k, bool kernel, pid_t pid,
			struct pl_walk_result *w)
{
	memset(w, 0, sizeof(*w));
	w->kernel = kernel;
	w->pid = kernel ? 0 : pid;
	w->addr = k->addr;
	w->levels = k->levels;
	if (k->nentries > PAGELAB_WALK_MAX_ENTRIES)
		return pl_walk_bad(w, "too many entries", k->nentries);
	if (k->found & PAGELAB_WALK_VMA) {
		w->has_vma = true;
		w->vma_start = k->vma_start;
		w->vma_end = k->vma_end;
		snprintf(w->vma_prot, sizeof(w->vma_prot), "%.*s", (int)sizeof(k->vma_prot),
			 k->vma_prot);
		snprintf(w->vma_backing, sizeof(w->vma_backing), "%.*s",
			 (int)sizeof(k->vma_backing), k->vma_backing);
	}
	for (unsigned int i = 0; i < k->nentries; i++) {
		const struct pagelab_walk_entry *e = &k->entries[i];
		struct pl_walk_level *l;

		if (e->level == PAGELAB_LEVEL_PGD_USER) {
			l = &w->pgd_user;
			w->has_pgd_user = true;
			snprintf(l->name, sizeof(l->name), "PGD-user");
		} else {
			if (w->nlevels >= PL_WALK_MAX_LEVELS)
				return pl_walk_bad(w, "too many levels", k->nentries);
			l = &w->level[w->nlevels++];
			if (pl_walk_level_name(e->level, l->name, sizeof(l->name)))
				return pl_walk_bad(w, "unknown level", e->level);
		}
		if (e->flags & PAGELAB_WALK_E_FOLDED) {
			l->folded = true;
			continue;
		}
		l->index = e->index;
		l->entry = e->entry;
		pl_walk_bits_names(e->bits, e->pkey, l->flags, sizeof(l->flags));
		/* Every table entry names the next table (0 without CAP_SYS_ADMIN). */
		l->has_next = !(e->flags & PAGELAB_WALK_E_LEAF) && e->level != PAGELAB_LEVEL_PGD_USER;
		l->next = e->next;
	}
	if (k->found & PAGELAB_WALK_LEAF) {
		w->has_leaf = true;
		if (pl_walk_level_name(k->leaf_level, w->leaf_level, sizeof(w->leaf_level)))
			return pl_walk_bad(w, "unknown leaf level", k->leaf_level);
		w->leaf_size = k->leaf_size;
		w->pfn = k->pfn;
		w->phys = k->phys;
	}
	if (k->found & PAGELAB_WALK_PAGE) {
		w->has_page = true;
		snprintf(w->page_kind, sizeof(w->page_kind), "%.*s", (int)sizeof(k->page_kind),
			 k->page_kind);
		snprintf(w->page_flags, sizeof(w->page_flags), "%.*s", (int)sizeof(k->page_flags),
			 k->page_flags);
		w->has_counts = k->found & PAGELAB_WALK_COUNTS;
		w->refcount = k->refcount;
		w->mapcount = k->mapcount;
	}
	if (!(k->found & PAGELAB_WALK_LEAF)) {
		w->has_absent = true;
		if (k->absent_level != PAGELAB_LEVEL_NONE &&
		    pl_walk_level_name(k->absent_level, w->absent_level, sizeof(w->absent_level)))
			return pl_walk_bad(w, "unknown absent level", k->absent_level);
		snprintf(w->absent_reason, sizeof(w->absent_reason), "%.*s",
			 (int)sizeof(k->absent_reason), k->absent_reason);
		w->has_swap = k->found & PAGELAB_WALK_SWAP;
		w->swap_type = k->swap_type;
		w->swap_offset = k->swap_offset;
	}
	return 0;
}

/* @s as the body of a JSON string: '"', '\' and control characters escaped. */
static void pl_json_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

/* A '|'-separated name list ("-": none) as a JSON array of strings. */
static void pl_json_names(FILE *f, const char *names)
{
	const char *p = names, *sep = "";

	fputc('[', f);
	while (*p) {
		size_t n = strcspn(p, "|");

		if (n && !(n == 1 && *p == '-')) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			fprintf(f, "%s\"", sep);
			pl_json_str(f, name);
			fputc('"', f);
			sep = ",";
		}
		p += n + (p[n] == '|');
	}
	fputc(']', f);
}

static void pl_json_level(FILE *f, const struct pl_walk_level *l, const char *name,
			  bool first)
{
	fprintf(f, "%s{\"level\":\"%s\"", first ? "" : ",", name);
	if (l->folded) {
		fputs(",\"folded\":true}", f);
		return;
	}
	fprintf(f, ",\"index\":%u,\"entry\":\"0x%016" PRIx64 "\",\"flags\":", l->index, l->entry);
	pl_json_names(f, l->flags);
	if (l->has_next)
		fprintf(f, ",\"next\":\"0x%" PRIx64 "\"", l->next);
	fputc('}', f);
}

void pl_walk_print_json(FILE *f, const struct pl_walk_result *w)
{
	if (w->kernel)
		fprintf(f, "{\"pid\":\"kernel\",\"addr\":\"0x%" PRIx64 "\",\"levels\":%u,", w->addr,
			w->levels);
	else
		fprintf(f, "{\"pid\":%d,\"addr\":\"0x%" PRIx64 "\",\"levels\":%u,", (int)w->pid,
			w->addr, w->levels);
	if (!w->kernel && w->has_vma) {
		fprintf(f, "\"vma\":{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
			"\",\"prot\":\"", w->vma_start, w->vma_end);
		pl_json_str(f, w->vma_prot);
		fputs("\",\"backing\":\"", f);
		pl_json_str(f, w->vma_backing);
		fputs("\"},", f);
	} else if (!w->kernel) {
		fputs("\"vma\":null,", f);
	}
	fputs("\"entries\":[", f);
	for (int i = 0; i < w->nlevels; i++) {
		pl_json_level(f, &w->level[i], w->level[i].name, !i);
		if (!i && w->has_pgd_user)
			pl_json_level(f, &w->pgd_user, "PGD-user", false);
	}
	fputs("],", f);
	if (w->has_leaf)
		fprintf(f, "\"leaf\":{\"level\":\"%s\",\"size\":%" PRIu64 ",\"pfn\":\"0x%" PRIx64
			"\",\"phys\":\"0x%" PRIx64 "\"},", w->leaf_level, w->leaf_size, w->pfn,
			w->phys);
	else
		fputs("\"leaf\":null,", f);
	if (w->has_page) {
		fputs("\"page\":{", f);
		if (w->has_counts)
			fprintf(f, "\"refcount\":%ld,\"mapcount\":%ld,", w->refcount, w->mapcount);
		fputs("\"kind\":\"", f);
		pl_json_str(f, w->page_kind);
		fputs("\",\"flags\":", f);
		pl_json_names(f, w->page_flags);
		fputs("},", f);
	} else {
		fputs("\"page\":null,", f);
	}
	if (w->has_absent) {
		fputs("\"absent\":{", f);
		if (w->absent_level[0])
			fprintf(f, "\"level\":\"%s\",", w->absent_level);
		fputs("\"reason\":\"", f);
		pl_json_str(f, w->absent_reason);
		fputc('"', f);
		if (w->has_swap)
			fprintf(f, ",\"type\":%u,\"offset\":\"0x%" PRIx64 "\"", w->swap_type,
				w->swap_offset);
		fputs("}}\n", f);
	} else {
		fputs("\"absent\":null}\n", f);
	}
}

void pl_walk_run_print_json(FILE *f, const struct pl_walk_run *run, const char *sep)
{
	fprintf(f, "%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"pages\":%" PRIu64,
		sep, run->start, run->end, run->pages);
	if (run->absent) {
		fputs(",\"absent\":\"", f);
		pl_json_str(f, run->reason);
		fputc('"', f);
	} else {
		fprintf(f, ",\"size\":%" PRIu64 ",\"pfn\":\"0x%" PRIx64 "\",\"flags\":", run->size,
			run->pfn);
		pl_json_names(f, run->flags);
		fputs(",\"kind\":\"", f);
		pl_json_str(f, run->kind);
		fprintf(f, "\",\"excl\":%u", run->excl);
	}
	if (run->object)
		fprintf(f, ",\"object\":%" PRIu64 ",\"index\":%" PRIu64, run->object, run->index);
	fputc('}', f);
}

int pl_walk_range_print_json(FILE *f, const char *answer, char *err, size_t errlen)
{
	struct pl_walk_range r;
	struct pl_walk_run run;
	const char *sep = "";
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ret;

	if (pl_walk_range_begin(&r, answer)) {
		snprintf(err, errlen, "%s", r.err);
		return -EINVAL;
	}
	/* Made whole in memory first: a bad run prints nothing. */
	m = open_memstream(&buf, &len);
	if (!m)
		return -ENOMEM;
	fprintf(m, "{\"pid\":%d,\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
		"\",\"levels\":%u,\"runs\":[", (int)r.pid, r.start, r.end, r.levels);
	while ((ret = pl_walk_range_next(&r, &run)) == 1) {
		pl_walk_run_print_json(m, &run, sep);
		sep = ",";
	}
	fprintf(m, "],\"pages\":%" PRIu64 "}\n", r.total_pages);
	if (fclose(m)) {
		free(buf);
		return -ENOMEM;
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s", r.err);
		free(buf);
		return -EINVAL;
	}
	fputs(buf, f);
	free(buf);
	return 0;
}
