/* Rule matching alone, without fetching or recording: CPU per entry with
 * every rule evaluated (brute force), through the rule index, and with
 * only the first 2 rules; and the CPU of loading the rules.
 *
 *   python3 tests/bench/rules-bench.py --write DIR     # DIR/news.rules, DIR/posts.txt
 *   build/tests/rules-bench DIR/news.rules DIR/posts.txt [ROUNDS]
 *
 * posts.txt: posts separated by a line holding a form feed, each a title
 * line and then its body.  Checks that the index finds exactly what
 * brute force finds (exit 1 if not).  CPU is CLOCK_PROCESS_CPUTIME_ID; for
 * instruction counts run it under valgrind --tool=callgrind. */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s RULES POSTS [ROUNDS]\n", argv[0]);
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	GError *err = NULL;
	const char *paths[] = { argv[1], NULL };
	double t0 = cpu_now();
	struct lw_ruleset *rs = lw_ruleset_load(paths, &err);
	double load = cpu_now() - t0;
	if (!rs) {
		fprintf(stderr, "%s\n", err->message);
		return 2;
	}
	g_autofree char *text = NULL;
	if (!g_file_get_contents(argv[2], &text, NULL, &err)) {
		fprintf(stderr, "%s\n", err->message);
		return 2;
	}
	g_auto(GStrv) posts = g_strsplit(text, "\n\f\n", -1);
	GPtrArray *docs = g_ptr_array_new_with_free_func((GDestroyNotify)lw_doc_free);
	for (char **p = posts; *p; p++) {
		if (!**p)
			continue;
		char *nl = strchr(*p, '\n');
		g_autofree char *title = nl ? g_strndup(*p, (gsize)(nl - *p)) : g_strdup(*p);
		g_ptr_array_add(docs, lw_doc_new(title, nl ? nl + 1 : ""));
	}
	guint n = lw_ruleset_count(rs);
	double brute = 0, indexed = 0, two = 0;
	guint64 hits_brute = 0, hits_indexed = 0, candidates = 0;
	int bad = 0;
	g_autoptr(GArray) cand = g_array_new(FALSE, FALSE, sizeof(guint));
	for (int r = 0; r < rounds; r++) {
		for (guint i = 0; i < docs->len; i++) {
			const struct lw_doc *d = docs->pdata[i];
			g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(guint));
			g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(guint));
			t0 = cpu_now();
			for (guint k = 0; k < n; k++)
				if (lw_query_eval(lw_ruleset_get(rs, k)->query, d, NULL))
					g_array_append_val(want, k);
			brute += cpu_now() - t0;
			t0 = cpu_now();
			g_array_set_size(cand, 0);
			lw_ruleset_candidates(rs, d, cand);
			for (guint k = 0; k < cand->len; k++) {
				guint id = g_array_index(cand, guint, k);
				if (lw_query_eval(lw_ruleset_get(rs, id)->query, d, NULL))
					g_array_append_val(got, id);
			}
			indexed += cpu_now() - t0;
			t0 = cpu_now();
			for (guint k = 0; k < n && k < 2; k++)
				(void)lw_query_eval(lw_ruleset_get(rs, k)->query, d, NULL);
			two += cpu_now() - t0;
			candidates += cand->len;
			hits_brute += want->len;
			hits_indexed += got->len;
			if (want->len != got->len ||
			    memcmp(want->data, got->data, want->len * sizeof(guint)) != 0)
				bad++;
		}
	}
	double per = 1e6 / ((double)docs->len * rounds);
	printf("rules-bench: %u rules (loaded in %.1f ms of CPU), %u posts x %d rounds\n", n,
	       load * 1000, docs->len, rounds);
	printf("  every rule (brute force)  %9.1f us per post\n", brute * per);
	printf("  through the index         %9.1f us per post (%.1f candidates)\n", indexed * per,
	       (double)candidates / ((double)docs->len * rounds));
	printf("  the first 2 rules only    %9.1f us per post\n", two * per);
	printf("  matches: %" G_GUINT64_FORMAT " brute force, %" G_GUINT64_FORMAT
	       " through the index; %d posts differ\n", hits_brute, hits_indexed, bad);
	g_ptr_array_unref(docs);
	lw_ruleset_free(rs);
	return bad ? 1 : 0;
}
