// SPDX-License-Identifier: GPL-2.0
/*
 * pagelab - the page-replacement engine: see pl_replay.h.
 *
 * Belady's optimal policy (opt) needs the future, so no kernel can run it:
 * it is simulated here, offline, from the whole string.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "pagelab_lib.h"
#include "pl_cli.h"
#include "pl_replay.h"

/* ---- reference strings -------------------------------------------------- */

static int refs_add(struct pl_refs *r, size_t *cap, uint32_t page, bool write)
{
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		uint32_t *np = realloc(r->page, ncap * sizeof(*np));
		bool *nw;

		if (!np)
			return -1;
		r->page = np;
		nw = realloc(r->write, ncap * sizeof(*nw));
		if (!nw)
			return -1;
		r->write = nw;
		*cap = ncap;
	}
	r->page[r->n] = page;
	r->write[r->n] = write;
	r->n++;
	if (page > r->max)
		r->max = page;
	return 0;
}

int pl_refs_parse(const char *text, const char *what, struct pl_refs *r)
{
	const char *p = text, *tok = text;
	size_t cap = 0, len;
	int line = 1;

	memset(r, 0, sizeof(*r));
	while (*p) {
		unsigned long long v = 0;
		bool write = false;

		if (*p == '\n')
			line++;
		if (isspace((unsigned char)*p) || *p == ',') {
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		tok = p;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p - '0');
			if (v > PL_REFS_MAX_PAGE) {
				pl_err("%s, line %d: page number '%.20s' over %u", what, line, tok,
				       PL_REFS_MAX_PAGE);
				pl_refs_free(r);
				return -1;
			}
			p++;
		}
		if (*p == 'w' || *p == 'W') {
			write = true;
			p++;
		} else if (*p == 'r' || *p == 'R') {
			p++;
		}
		if (*p && !isspace((unsigned char)*p) && *p != ',' && *p != '#')
			goto bad;
		if (refs_add(r, &cap, (uint32_t)v, write)) {
			pl_err("%s: out of memory", what);
			pl_refs_free(r);
			return -1;
		}
	}
	if (!r->n) {
		pl_err("%s: no references", what);
		pl_refs_free(r);
		return -1;
	}
	return 0;
bad:
	len = strcspn(tok, " \t\r\n,#");
	pl_err("%s, line %d: '%.*s' is not a reference (a page number, optionally with a "
	       "'w' or 'r' suffix)", what, line, len > 20 ? 20 : (int)len, tok);
	pl_refs_free(r);
	return -1;
}

int pl_refs_load(const char *path, struct pl_refs *r)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!f) {
		pl_err("cannot open trace '%s': %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				pl_err("trace '%s': out of memory", path);
				free(buf);
				if (f != stdin)
					fclose(f);
				return -1;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (!n)
			break;
	}
	buf[len] = '\0';
	if (ferror(f) || memchr(buf, '\0', len)) {
		pl_err("trace '%s': %s", path, ferror(f) ? "read error" : "not a text file");
		free(buf);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	ret = pl_refs_parse(buf, path, r);
	free(buf);
	return ret;
}

void pl_refs_free(struct pl_refs *r)
{
	free(r->page);
	free(r->write);
	memset(r, 0, sizeof(*r));
}

/* ---- the store (ABI 1.4) ------------------------------------------------- */

bool pl_delay_parse(const char *s, unsigned int *ms)
{
	unsigned long v;
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || *e || v > PAGELAB_PAGEIN_DELAY_MAX_MS)
		return false;
	*ms = (unsigned int)v;
	return true;
}

int pl_store_check(int dev, const char *who)
{
	struct pagelab_version v;
	int ret = pl_version(dev, &v);

	if (ret) {
		pl_err("%s: PAGELAB_IOC_VERSION: %s", who, strerror(-ret));
		return -1;
	}
	if (!(v.features & PAGELAB_FEAT_FILE_STORE)) {
		pl_err("%s: the module (ABI %u.%u) has no backing file store or page-in delay "
		       "(ABI 1.4 has them)", who, v.abi_major, v.abi_minor);
		return -1;
	}
	return 0;
}

int pl_store_budget(int ofd, __u64 size, __u32 budget, __u32 policy, __u64 flags, __u64 seed,
		    const struct pl_store_opt *store, const char *who)
{
	const char *path = store ? store->path : NULL;
	int sfd = 0, ret;

	if (path) {
		sfd = pl_store_open(path, size);
		if (sfd < 0) {
			pl_err("%s: backing file %s: %s", who, path, strerror(-sfd));
			return -1;
		}
		flags |= PAGELAB_REPLACE_FILE;
	}
	ret = pl_replace_store(ofd, budget, policy, flags, seed, sfd, store ? store->delay_ms : 0);
	if (path)
		close(sfd);
	if (ret) {
		pl_err("%s: PAGELAB_IOC_REPLACE (budget %u, %s%s%s): %s", who, budget,
		       pl_policy_name(policy), path ? ", backing file " : "", path ? path : "",
		       path ? pl_store_hint(ret) : strerror(-ret));
		return -1;
	}
	return 0;
}

/* ---- one run ------------------------------------------------------------ */

void pl_lock_self(void)
{
	/*
	 * The tool's own text, data and stack resident and mapped now: a first
	 * touch of one of its pages later cannot be a major fault of its own.
	 * Mappings made later (the object's) are not locked.
	 */
	(void)mlockall(MCL_CURRENT);
}

static long replay_majflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_majflt;
}

static int replay_alloc_table(struct pl_replay *out, size_t n, unsigned int frames)
{
	out->cols = calloc(n, sizeof(*out->cols));
	out->frame = malloc(n * frames * sizeof(*out->frame));
	if (!out->cols || !out->frame) {
		pl_err("replay: out of memory for the frame table");
		return -1;
	}
	return 0;
}

/*
 * Belady's optimal replacement, offline: the victim is the page whose next
 * use is farthest; pages never used again first, lowest slot among them.
 * Write-backs as the module counts them: a page is written to the store at
 * eviction if it was written since it was loaded or was never stored.
 */
/* What the simulation knows about a page. */
enum { SEEN = 1, STORED = 2, DIRTY = 4 };

static int replay_opt(const struct pl_refs *refs, unsigned int frames, bool table,
		      struct pl_replay *out)
{
	const size_t never = (size_t)-1;
	size_t *next = malloc(refs->n * sizeof(*next));
	size_t *upcoming = malloc(((size_t)refs->max + 1) * sizeof(*upcoming));
	size_t *slot_next = malloc(frames * sizeof(*slot_next));
	int *slot_page = malloc(frames * sizeof(*slot_page));
	unsigned char *state = calloc((size_t)refs->max + 1, 1);	/* SEEN STORED DIRTY */
	int ret = -1;

	if (!next || !upcoming || !slot_next || !slot_page || !state ||
	    (table && replay_alloc_table(out, refs->n, frames))) {
		pl_err("replay: out of memory");
		goto out;
	}
	for (size_t p = 0; p <= refs->max; p++)
		upcoming[p] = never;
	for (size_t i = refs->n; i-- > 0;) {
		next[i] = upcoming[refs->page[i]];
		upcoming[refs->page[i]] = i;
	}
	for (unsigned int s = 0; s < frames; s++)
		slot_page[s] = -1;
	for (size_t i = 0; i < refs->n; i++) {
		uint32_t page = refs->page[i];
		struct pl_replay_col col = { .result = PL_EV_HIT, .victim = -1, .wb = -1 };
		unsigned int s, victim = frames;

		for (s = 0; s < frames; s++)
			if (slot_page[s] == (int)page)
				break;
		if (s < frames) {
			out->hits++;
		} else {
			out->faults++;
			col.result = state[page] & SEEN ? PL_EV_PAGEIN : PL_EV_MISS;
			if (state[page] & SEEN)
				out->page_ins++;
			for (s = 0; s < frames && slot_page[s] >= 0; s++)
				;
			if (s == frames) {
				for (s = 0; s < frames; s++) {
					if (slot_next[s] == never) {
						victim = s;
						break;
					}
					if (victim == frames || slot_next[s] > slot_next[victim])
						victim = s;
				}
				s = victim;
				col.victim = slot_page[s];
				out->evictions++;
				if (state[slot_page[s]] & DIRTY || !(state[slot_page[s]] & STORED)) {
					out->writebacks++;
					col.wb = 1;
				} else {
					out->clean_drops++;
					col.wb = 0;
				}
				state[slot_page[s]] = (state[slot_page[s]] | STORED) & ~DIRTY;
			}
			slot_page[s] = page;
			state[page] |= SEEN;
		}
		slot_next[s] = next[i];
		if (refs->write[i])
			state[page] |= DIRTY;
		if (table) {
			out->cols[i] = col;
			for (unsigned int t = 0; t < frames; t++)
				out->frame[i * frames + t] = slot_page[t];
		}
	}
	ret = 0;
out:
	free(next);
	free(upcoming);
	free(slot_next);
	free(slot_page);
	free(state);
	return ret;
}

/* Apply the events that reference @i caused to the table; @cur is the frames now. */
static int replay_events(struct pl_replay *out, size_t i, int *cur, __u64 *last_seq)
{
	struct pl_replay_col *col = &out->cols[i];
	struct pl_event *ev;
	size_t n;
	int ret;

	col->result = -1;
	col->victim = -1;
	col->wb = -1;
	ret = pl_events_read(out->id, *last_seq, &ev, &n);
	if (ret) {
		pl_err("replay: reading %s: %s", PL_EVENTS_PATH, strerror(-ret));
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		if (ev[k].seq != *last_seq + 1)
			out->lost_events += ev[k].seq - *last_seq - 1;
		*last_seq = ev[k].seq;
		if ((ev[k].result == PL_EV_MISS || ev[k].result == PL_EV_PAGEIN) &&
		    ev[k].slot >= 0 && (unsigned int)ev[k].slot < out->frames)
			cur[ev[k].slot] = (int)ev[k].page;
		/* The strongest outcome names the column: pagein, miss, zero, hit. */
		if (col->result < 0 || ev[k].result == PL_EV_PAGEIN ||
		    (ev[k].result == PL_EV_MISS && col->result != PL_EV_PAGEIN) ||
		    (ev[k].result == PL_EV_ZERO && col->result == PL_EV_HIT))
			col->result = ev[k].result;
		if (ev[k].victim >= 0) {
			col->victim = ev[k].victim;
			col->wb = ev[k].wb;
		}
	}
	free(ev);
	for (unsigned int s = 0; s < out->frames; s++)
		out->frame[i * out->frames + s] = cur[s];
	return 0;
}

static inline uint64_t replay_stamp(uint32_t page, size_t i)
{
	return (uint64_t)(page + 1) << 32 | (uint32_t)(i + 1);
}

/*
 * The object's counters into @out, then every page checked once more against
 * @shadow (nothing may be lost), then the whole run's cost, that check
 * included.  0, or -1 after saying why.
 */
static int replay_collect(int ofd, volatile unsigned char *m, const uint64_t *shadow,
			  size_t pages, size_t nrefs, struct pl_replay *out)
{
	const size_t ps = sysconf(_SC_PAGESIZE);
	struct pagelab_obj_stat st;
	int ret = pl_obj_stat(ofd, 0, &st);

	if (ret) {
		pl_err("replay: PAGELAB_IOC_OBJ_STAT: %s", strerror(-ret));
		return -1;
	}
	out->faults = st.misses;
	out->hits = nrefs > st.misses ? nrefs - st.misses : 0;
	out->page_ins = st.page_ins;
	out->evictions = st.evictions;
	out->writebacks = st.writebacks;
	out->clean_drops = st.clean_drops;
	out->seen = st.faults_read + st.faults_write;
	out->inexact = st.inexact;
	out->major = st.major;
	out->io_waits = st.io_waits;
	for (size_t p = 0; p < pages; p++)
		if (*(volatile uint64_t *)(m + p * ps) != shadow[p])
			out->data_bad++;
	ret = pl_obj_stat(ofd, 0, &st);
	if (ret) {
		pl_err("replay: PAGELAB_IOC_OBJ_STAT: %s", strerror(-ret));
		return -1;
	}
	out->total_page_ins = st.page_ins;
	out->total_evictions = st.evictions;
	out->total_writebacks = st.writebacks;
	out->io_errors = st.io_errors;
	return 0;
}

int pl_replay_run(int dev, const struct pl_refs *refs, int policy, unsigned int frames,
		  bool exact, __u64 seed, bool table, struct pl_replay *out)
{
	return pl_replay_run_store(dev, refs, policy, frames, exact, seed, table, NULL, out);
}

int pl_replay_run_store(int dev, const struct pl_refs *refs, int policy, unsigned int frames,
			bool exact, __u64 seed, bool table, const struct pl_store_opt *store,
			struct pl_replay *out)
{
	const size_t ps = sysconf(_SC_PAGESIZE);
	size_t pages = (size_t)refs->max + 1 > frames ? (size_t)refs->max + 1 : frames;
	volatile unsigned char *m = MAP_FAILED;
	uint64_t *shadow = NULL;
	__u64 last_seq = 0;
	int *cur = NULL;
	int ofd = -1, ret = -1;
	long maj0;

	memset(out, 0, sizeof(*out));
	out->policy = policy;
	out->frames = frames;
	out->exact = exact;
	out->refs = refs->n;
	out->majflt = -1;
	if (!frames) {
		pl_err("replay: 0 frames");
		return -1;
	}
	if (policy == PL_POLICY_OPT) {
		out->offline = true;
		return replay_opt(refs, frames, table, out);
	}
	ret = pl_create(dev, (__u64)pages * ps, PAGELAB_CREATE_NO_FAULT_AROUND, 0600, "replay",
			&ofd, &out->id);
	if (ret) {
		pl_err("replay: PAGELAB_IOC_CREATE of %zu pages: %s", pages, strerror(-ret));
		return -1;
	}
	if (store) {
		out->store_path = store->path;
		out->delay_ms = store->delay_ms;
	}
	ret = pl_store_budget(ofd, (__u64)pages * ps, frames, policy,
			      PAGELAB_REPLACE_NO_ZERO | (exact ? PAGELAB_REPLACE_EXACT : 0), seed,
			      store, "replay");
	if (ret)
		goto out;
	ret = -1;
	m = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	shadow = calloc(pages, sizeof(*shadow));
	cur = malloc(frames * sizeof(*cur));
	if (m == MAP_FAILED || !shadow || !cur) {
		pl_err("replay: %s", m == MAP_FAILED ? strerror(errno) : "out of memory");
		goto out;
	}
	if (table && replay_alloc_table(out, refs->n, frames))
		goto out;
	for (unsigned int s = 0; s < frames; s++)
		cur[s] = -1;

	maj0 = replay_majflt();
	for (size_t i = 0; i < refs->n; i++) {
		uint32_t page = refs->page[i];
		volatile uint64_t *w = (volatile uint64_t *)(m + (size_t)page * ps);

		if (refs->write[i]) {
			*w = replay_stamp(page, i);
			shadow[page] = replay_stamp(page, i);
		} else if (*w != shadow[page]) {
			out->data_bad++;
		}
		/* Drop this process's PTE so that the next reference faults too. */
		if (exact && madvise((void *)w, ps, MADV_DONTNEED)) {
			pl_err("replay: madvise(MADV_DONTNEED): %s", strerror(errno));
			goto out;
		}
		if (table && replay_events(out, i, cur, &last_seq))
			goto out;
	}
	out->majflt = replay_majflt() - maj0;

	ret = replay_collect(ofd, m, shadow, pages, refs->n, out);
	if (ret)
		goto out;
	ret = 0;
out:
	if (m != MAP_FAILED)
		munmap((void *)m, pages * ps);
	if (ofd >= 0)
		close(ofd);
	free(shadow);
	free(cur);
	return ret;
}

void pl_replay_free(struct pl_replay *r)
{
	free(r->cols);
	free(r->frame);
	r->cols = NULL;
	r->frame = NULL;
}

/* ---- the frame table ------------------------------------------------------ */

#define TABLE_WIDTH	100
#define TABLE_LABEL	9

static void table_ref(char *buf, size_t len, const struct pl_refs *refs, size_t i)
{
	snprintf(buf, len, "%u%s", refs->page[i], refs->write[i] ? "w" : "");
}

static void table_out(char *buf, size_t len, const struct pl_replay_col *c)
{
	if (c->victim < 0)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%lld%s", c->victim, c->wb == 1 ? "w" : c->wb == 0 ? "c" : "");
}

static const char *table_fault(const struct pl_replay_col *c)
{
	return c->result == PL_EV_MISS ? "F" : c->result == PL_EV_PAGEIN ? "P" : "";
}

static const char *table_seen(const struct pl_replay_col *c)
{
	return c->result == PL_EV_HIT ? "h" : c->result == PL_EV_ZERO ? "z" :
	       c->result < 0 ? "." : "";
}

void pl_replay_table(const struct pl_refs *refs, const struct pl_replay *r)
{
	size_t w = 2, per;
	char buf[32];
	bool seen_row = !r->exact && !r->offline;

	for (size_t i = 0; i < refs->n; i++) {
		table_ref(buf, sizeof(buf), refs, i);
		if (strlen(buf) + 1 > w)
			w = strlen(buf) + 1;
		table_out(buf, sizeof(buf), &r->cols[i]);
		if (strlen(buf) + 1 > w)
			w = strlen(buf) + 1;
	}
	per = (TABLE_WIDTH - TABLE_LABEL) / w;
	if (!per)
		per = 1;
	for (size_t b = 0; b < refs->n; b += per) {
		size_t e = b + per < refs->n ? b + per : refs->n;

		if (b)
			printf("\n");
		printf("%-*s", TABLE_LABEL, "reference");
		for (size_t i = b; i < e; i++) {
			table_ref(buf, sizeof(buf), refs, i);
			printf("%*s", (int)w, buf);
		}
		printf("\n");
		for (unsigned int s = 0; s < r->frames; s++) {
			snprintf(buf, sizeof(buf), "frame %u", s);
			printf("%-*s", TABLE_LABEL, buf);
			for (size_t i = b; i < e; i++) {
				int pg = r->frame[i * r->frames + s];

				if (pg < 0)
					snprintf(buf, sizeof(buf), " ");
				else
					snprintf(buf, sizeof(buf), "%d", pg);
				printf("%*s", (int)w, buf);
			}
			printf("\n");
		}
		printf("%-*s", TABLE_LABEL, "fault");
		for (size_t i = b; i < e; i++)
			printf("%*s", (int)w, table_fault(&r->cols[i]));
		printf("\n%-*s", TABLE_LABEL, "out");
		for (size_t i = b; i < e; i++) {
			table_out(buf, sizeof(buf), &r->cols[i]);
			printf("%*s", (int)w, buf);
		}
		if (seen_row) {
			printf("\n%-*s", TABLE_LABEL, "seen");
			for (size_t i = b; i < e; i++)
				printf("%*s", (int)w, table_seen(&r->cols[i]));
		}
		printf("\n");
	}
	printf("  F: a fault (a free frame, or a victim's, taken on first touch); P: a fault\n"
	       "  that read the page back from the store (a major fault); out: the page\n"
	       "  evicted, w: written to the store, c: dropped clean (store copy current)\n");
	if (seen_row)
		printf("  seen: h a hit the module saw (a fault on a resident page), . a reference\n"
		       "  that did not fault: the module never saw it\n");
	if (!r->offline)
		printf("  (rebuilt from %s%s)\n", PL_EVENTS_PATH,
		       r->lost_events ? ": some events were lost, the table may be off" : "");
}
