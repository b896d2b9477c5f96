/* Extraction cost against libxml2's parse alone, in one run.
 *
 *   extract-bench PAGE [ITERATIONS]
 *
 * Alternates htmlReadMemory() + xmlFreeDoc() (what any extractor must
 * pay) with lw_extract() + lw_snapshot_free() on the same bytes, timing
 * each by the thread's CPU clock, and prints both medians and their
 * ratio.  The goal is a ratio of at most 2.0. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <glib.h>
#include <libxml/HTMLparser.h>

#include "entry.h"
#include "extract.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* glibc defers part of free(): small chunks wait in "fast bins" until
 * the next large malloc() merges them.  Left alone, the merging of one
 * side's freed tree is paid by the other side's first large malloc()
 * (the parse's xmlDictCreate()), so the parse alone never paid for its
 * own xmlFreeDoc().  A large malloc() at the end of each timed side
 * charges each side its own frees. */
static void settle_heap(void)
{
	void *big = malloc(64 * 1024);
	__asm__ volatile("" : : "g"(big) : "memory");
	free(big);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PAGE [ITERATIONS]\n", argv[0]);
		return 2;
	}
	int iters = argc > 2 ? atoi(argv[2]) : 30;
	if (iters < 1)
		iters = 1;
	char *data = NULL;
	gsize len = 0;
	GError *err = NULL;
	if (!g_file_get_contents(argv[1], &data, &len, &err)) {
		fprintf(stderr, "cannot read '%s': %s\n", argv[1], err->message);
		return 1;
	}
	double *parse = g_new(double, iters), *extract = g_new(double, iters);
	guint entries = 0;
	const char *format = "";
	char *fmt_copy = NULL;
	for (int i = 0; i < iters; i++) {
		double t0 = cpu_now();
		htmlDocPtr doc = htmlReadMemory(data, (int)len, NULL, "UTF-8",
		                                HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
		                                HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
		xmlFreeDoc(doc);
		settle_heap();
		double t1 = cpu_now();
		struct lw_snapshot *s = lw_extract(data, len, NULL, &err);
		if (!s) {
			fprintf(stderr, "%s: %s\n", argv[1], err->message);
			return 1;
		}
		entries = s->entries->len;
		if (!fmt_copy)
			fmt_copy = g_strdup(s->format);
		lw_snapshot_free(s);
		settle_heap();
		double t2 = cpu_now();
		parse[i] = t1 - t0;
		extract[i] = t2 - t1;
	}
	format = fmt_copy;
	qsort(parse, (size_t)iters, sizeof(double), cmp_double);
	qsort(extract, (size_t)iters, sizeof(double), cmp_double);
	double p = parse[iters / 2], x = extract[iters / 2];
	printf("page: %s, %" G_GSIZE_FORMAT " bytes, format %s, %u entries, %d iterations\n",
	       argv[1], len, format, entries, iters);
	/* Other work on the machine only ever adds time: the fastest round
	 * of each is the least disturbed measurement, the median the typical. */
	printf("htmlReadMemory alone: %.2f ms CPU (median), %.2f ms (fastest)\n", p * 1e3,
	       parse[0] * 1e3);
	printf("lw_extract:           %.2f ms CPU (median), %.2f ms (fastest)\n", x * 1e3,
	       extract[0] * 1e3);
	printf("ratio (fastest): %.2f\n", extract[0] / parse[0]);
	printf("ratio: %.2f (goal <= 2.00)\n", x / p);
	g_free(fmt_copy);
	g_free(parse);
	g_free(extract);
	g_free(data);
	return 0;
}
