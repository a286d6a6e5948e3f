// SPDX-License-Identifier: GPL-2.0
/*
 * heap_test - pagelab heap, the free-list allocator lab: OSTEP malloc.py's
 * answers for argument lists it drew (heap_vectors.h, made by
 * scripts/heap-vectors.py from malloc.py itself), the places where
 * malloc.py is wrong and pagelab heap says so, next fit, fragmentation,
 * JSON, bad input, and --live on a pagelab object in the booted kernel
 * (kselftest harness, as root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pagelab_lib.h"
#include "pl_test_util.h"

#include "heap_vectors.h"

#define OUTLEN	(256 * 1024)

static char out[OUTLEN];

/* "pagelab heap @args" (stderr too): its exit code, its output in out[]. */
static int heap(const char *fmt, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, args);
	return pl_run_cli(cmd, out, sizeof(out));
}

/* The output without its "note:" lines. */
static void drop_notes(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		char *nl = strchr(r, '\n');
		size_t len = nl ? (size_t)(nl - r + 1) : strlen(r);

		if (strncmp(r, "note: ", 6)) {
			memmove(w, r, len);
			w += len;
		}
		r += len;
	}
	*w = '\0';
}

/* Line @n (from 0) of @s into @line. */
static const char *line_of(const char *s, int n, char *line, size_t len)
{
	for (; n > 0 && s; n--) {
		s = strchr(s, '\n');
		s = s ? s + 1 : NULL;
	}
	if (!s)
		return "";
	snprintf(line, len, "%.*s", (int)strcspn(s, "\n"), s);
	return line;
}

TEST(malloc_py_answers_for_drawn_runs)
{
	int same = 0, notes_only = 0;

	for (size_t i = 0; i < sizeof(heap_vectors) / sizeof(heap_vectors[0]); i++) {
		const struct heap_vector *v = &heap_vectors[i];

		EXPECT_EQ(0, heap("heap --as-malloc-py %s 2>&1", v->args)) TH_LOG("%s", v->args);
		if (strcmp(out, v->out)) {
			const char *a = out, *b = v->out;
			char la[160], lb[160];
			int n = 0;

			while (*a && *a == *b) {
				n += *a == '\n';
				a++;
				b++;
			}
			line_of(out, n, la, sizeof(la));
			line_of(v->out, n, lb, sizeof(lb));
			EXPECT_STREQ(lb, la) TH_LOG("%s: line %d differs", v->args, n + 1);
			continue;
		}
		same++;
		/* Without --as-malloc-py: the same, but where a note says why not. */
		EXPECT_EQ(0, heap("heap %s 2>&1", v->args));
		if (!strstr(out, "note: ")) {
			EXPECT_STREQ(v->out, out) TH_LOG("%s", v->args);
		} else {
			int lines = 0, want = 0;

			notes_only++;
			/* A free malloc.py skips is 4 lines here, 1 there. */
			if (strstr(out, "note: malloc.py skips this free"))
				continue;
			drop_notes(out);
			/* A note adds its line; what it corrects changes one line, adds none. */
			for (const char *c = out; *c; c++)
				lines += *c == '\n';
			for (const char *c = v->out; *c; c++)
				want += *c == '\n';
			EXPECT_EQ(want, lines) TH_LOG("%s", v->args);
		}
	}
	TH_LOG("%d runs as malloc.py answers them (%d with notes by default)", same, notes_only);
}

/* -A with a header: malloc.py prints the block, not the pointer after its header. */
TEST(list_mode_pointer_is_after_the_header)
{
	ASSERT_EQ(0, heap("heap %s", "-c -H 4 -A +10,-0"));
	EXPECT_NE(NULL, strstr(out, "ptr[0] = Alloc(10) returned 1004 (searched 1 elements)\n"
				    "note: malloc.py prints 1000: in -A mode it leaves the "
				    "header out of the pointer\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, heap("heap %s", "-c -H 4 -A +10,-0 --as-malloc-py"));
	EXPECT_NE(NULL, strstr(out, "returned 1000 (searched 1 elements)\n")) TH_LOG("%s", out);
	/* Random mode adds the header, to a failure too: -1 is right. */
	ASSERT_EQ(0, heap("heap %s", "-c -S 10 -H 4 -r 20 -n 4 -P 100 -s 1"));
	EXPECT_NE(NULL, strstr(out, "returned -1 (searched")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "note: malloc.py prints 3: it adds the header to a failed "
				    "Alloc's -1")) TH_LOG("%s", out);
}

/* Frees after a failed Alloc: malloc.py refuses valid ones and crashes on the failed one. */
TEST(frees_after_a_failed_alloc)
{
	ASSERT_EQ(0, heap("heap %s", "-c -S 100 -A +200,+5,-1,-0,-0"));
	/* ptr[1] is valid: freed, with a note that malloc.py skips it. */
	EXPECT_NE(NULL, strstr(out, "note: malloc.py skips this free (it compares 1 with the 1 "
				    "Allocs that succeeded)\nFree(ptr[1])\nreturned 0\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "note: ptr[0] is NULL (its Alloc failed): nothing to free; "
				    "malloc.py stops here with a KeyError\nFree(ptr[0])\n"
				    "returned -1\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, heap("heap %s", "-c -S 100 -A +200,+5,-1 --as-malloc-py"));
	EXPECT_NE(NULL, strstr(out, "Invalid Free: Skipping")) TH_LOG("%s", out);
	EXPECT_EQ(1, heap("heap %s 2>&1", "-c -S 100 -A +200,+5,+5,-0 --as-malloc-py"));
	EXPECT_NE(NULL, strstr(out, "KeyError")) TH_LOG("%s", out);
	/* A double free: -1, the list unchanged. */
	ASSERT_EQ(0, heap("heap %s", "-c -C -A +10,-0,-0"));
	EXPECT_NE(NULL, strstr(out, "Free(ptr[0])\nreturned -1\nFree List [ Size 1 ]: "
				    "[ addr:1000 sz:100 ]")) TH_LOG("%s", out);
}

/* Next fit starts where the last allocation was carved; first fit from the head. */
TEST(next_fit_starts_where_it_left_off)
{
	ASSERT_EQ(0, heap("heap %s", "-c -p NEXT -A +10,+10,-0,+5"));
	EXPECT_NE(NULL, strstr(out, "ptr[2] = Alloc(5) returned 1020 (searched 1 elements)\n"
				    "Free List [ Size 2 ]: [ addr:1000 sz:10 ][ addr:1025 sz:75 ]"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, heap("heap %s", "-c -p FIRST -A +10,+10,-0,+5"));
	EXPECT_NE(NULL, strstr(out, "ptr[2] = Alloc(5) returned 1000 (searched 1 elements)"))
		TH_LOG("%s", out);
	/* It wraps: nothing fits after the rover, the head does. */
	ASSERT_EQ(0, heap("heap %s", "-c -p NEXT -S 30 -A +10,+10,+5,-0,+8"));
	EXPECT_NE(NULL, strstr(out, "ptr[3] = Alloc(8) returned 1000 (searched 2 elements)"))
		TH_LOG("%s", out);
}

/* Internal: headers and alignment; external: free blocks too small for N. */
TEST(fragmentation_per_step)
{
	ASSERT_EQ(0, heap("heap %s", "-c -H 2 -a 4 --frag --frag-size 8 -A +5,+3,+7,-1"));
	/* +5 -> 8 + 2 = 10 units for 5 asked; +3 -> 4 + 2 = 6 for 3; +7 -> 10 for 7. */
	EXPECT_NE(NULL, strstr(out, "frag: internal 5 of 10 allocated (headers 2); external 0 "
				    "of 90 free in blocks under 8; largest free 90"))
		TH_LOG("%s", out);
	/* After the free of ptr[1]: 6 units free alone, under 8: external. */
	EXPECT_NE(NULL, strstr(out, "frag: internal 8 of 20 allocated (headers 4); external 6 "
				    "of 80 free in blocks under 8; largest free 74"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, heap("heap %s", "-c --json -A +5,-0"));
	EXPECT_TRUE(pl_json_valid(out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"op\":\"alloc\",\"index\":0,\"size\":5,\"ptr\":1000,"
				    "\"searched\":1,\"free_list\":[[1005,95]]")) TH_LOG("%s", out);
}

TEST(bad_input_gets_one_clear_line)
{
	static const char *const bad[] = {
		"-p SOMETIMES", "-l SIDEWAYS", "-A +10,*0", "-A +0", "-P 0", "-a 0", "-S x",
		"-n", "--bogus", "--unit 8",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(2, heap("heap %s 2>&1", bad[i])) TH_LOG("%s: %s", bad[i], out);
		EXPECT_NE(NULL, strstr(out, "pagelab: heap: ")) TH_LOG("%s: %s", bad[i], out);
		EXPECT_EQ(NULL, strchr(strchr(out, '\n') ? strchr(out, '\n') + 1 : "", '\n'))
			TH_LOG("%s: more than one line: %s", bad[i], out);
	}
	EXPECT_EQ(0, heap("heap %s", "--help"));
	EXPECT_NE(NULL, strstr(out, "usage: pagelab heap")) TH_LOG("%s", out);
}

/*
 * --live: the heap on a pagelab object of 8 pages (one unit = 1 KiB):
 * allocations make pages resident; freeing everything on a page gives its
 * frame back, and the module's count agrees.
 */
TEST(live_heap_pages_come_and_go)
{
	struct pagelab_info i0, i1;
	int dev = pl_open();

	ASSERT_GE(dev, 0) TH_LOG("%s", pl_open_hint(dev));
	ASSERT_EQ(0, pl_info(dev, &i0));
	ASSERT_EQ(0, heap("heap %s 2>&1", "-c -S 32 --live --unit 1024 -A +8,+8,+4,-0,-1"));
	/* +8 units: 8 KiB, pages 0-1; +8: pages 2-3; +4: page 4. */
	EXPECT_NE(NULL, strstr(out, "ptr[2] = Alloc(4) returned 1016 (searched 1 elements)\n"
				    "Free List [ Size 1 ]: [ addr:1020 sz:12 ]\n"
				    "pages: [#####...] 5 of 8 resident")) TH_LOG("%s", out);
	/* Freeing ptr[0] empties pages 0-1: their frames go back. */
	EXPECT_NE(NULL, strstr(out, "pages: [..###...] 3 of 8 resident")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pages: [....#...] 1 of 8 resident")) TH_LOG("%s", out);
	ASSERT_EQ(0, pl_info(dev, &i1));
	EXPECT_EQ(i0.pages_held, i1.pages_held);
	close(dev);
}

TEST_HARNESS_MAIN
