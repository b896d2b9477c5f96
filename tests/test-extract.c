/* Tests for src/extract*.c: what a page gives beyond its entries (format,
 * page title, coverage end, next page), options, limits and errors, on
 * our own fixtures in tests/data/extract/ and, when present, the real
 * pages in $LW_FIXTURES_REAL.  What a page's entries are is data:
 * tests/data/extract/NAME.jsonl, checked by test_extract_cases.py.
 *
 * Longer than 700 lines: one test per behaviour, each with the page it
 * builds inline; they share the loading helpers at the top. */
#include <string.h>
#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "entry.h"
#include "error.h"
#include "extract.h"
#include "text.h"

#define GUARDIAN_LIVE "guardian-dcr-liveblog-2023-05-15-russia-ukraine-war.html"
#define GUARDIAN_ARTICLE "guardian-dcr-article-2024-02-24-valencia-fire.html"
#define BBC_ARTICLE "bbc-article-2024-08-01-obr-explainer.html"

static char *load_data(const char *name, gsize *len)
{
	g_autofree char *path = g_build_filename(LW_TEST_DATA, "extract", name, NULL);
	char *data = NULL;
	g_autoptr(GError) err = NULL;
	if (!g_file_get_contents(path, &data, len, &err))
		g_error("cannot read fixture %s: %s", path, err->message);
	return data;
}

/* NULL (and the test marked skipped) when the real pages are absent. */
static char *load_real(const char *name, gsize *len)
{
	const char *dir = g_getenv("LW_FIXTURES_REAL");
	g_autofree char *path = dir ? g_build_filename(dir, name, NULL) : NULL;
	char *data = NULL;
	if (!path || !g_file_get_contents(path, &data, len, NULL)) {
		g_test_skip("real fixtures folder (LW_FIXTURES_REAL) absent");
		return NULL;
	}
	return data;
}

static struct lw_snapshot *extract_with(const char *data, gsize len,
                                        const struct lw_extract_opts *o)
{
	g_autoptr(GError) err = NULL;
	struct lw_snapshot *s = lw_extract(data, len, o, &err);
	g_assert_no_error(err);
	g_assert_nonnull(s);
	return s;
}

/* lw_extract() must fail with LW_ERROR's code, its message holding want
 * (NULL: any message). */
static void assert_fails(const char *data, gsize len, const struct lw_extract_opts *o,
                         int code, const char *want)
{
	g_autoptr(GError) err = NULL;
	g_assert_null(lw_extract(data, len, o, &err));
	g_assert_error(err, LW_ERROR, code);
	if (want)
		g_assert_nonnull(strstr(err->message, want));
}

static struct lw_snapshot *extract_file(const char *name, const char *format)
{
	gsize len;
	g_autofree char *data = load_data(name, &len);
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.format = format;
	return extract_with(data, len, &o);
}

static struct lw_entry *nth(struct lw_snapshot *s, guint i)
{
	g_assert_cmpuint(i, <, s->entries->len);
	return s->entries->pdata[i];
}

static void assert_entry_sane(const struct lw_entry *e)
{
	const char *fields[] = { e->id, e->published, e->updated, e->title,
	                         e->body, e->url, e->author };
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
		g_assert_nonnull(fields[i]);
		g_assert_true(g_utf8_validate(fields[i], -1, NULL));
	}
	g_assert_cmpstr(e->id, !=, "");
	for (const char *p = e->id; *p; p++)
		g_assert_true(g_ascii_isalnum(*p) || strchr("._-", *p));
	g_assert_null(strchr(e->title, '\n'));
	g_assert_false(g_str_has_suffix(e->body, "\n"));
	g_assert_null(strstr(e->body, "\n\n"));
}

static void assert_snapshot_sane(const struct lw_snapshot *s)
{
	for (guint i = 0; i < s->entries->len; i++) {
		struct lw_entry *e = s->entries->pdata[i];
		assert_entry_sane(e);
		for (guint j = 0; j < i; j++)
			g_assert_cmpstr(((struct lw_entry *)s->entries->pdata[j])->id, !=, e->id);
	}
}

static bool has_line(const char *body, const char *line)
{
	g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
	for (char **l = lines; *l; l++)
		if (strcmp(*l, line) == 0)
			return true;
	return false;
}

/* ---- the real Guardian live blog ---- */

static const char *const guardian_ids[] = {
	"block-646219928f08e408b758af95", "block-646218558f08e408b758af8d",
	"block-646208dd8f0822aea831dd26", "block-646214d48f0822aea831ddb9",
	"block-646211b28f08e408b758af3c", "block-646210cc8f0822aea831dd91",
	"block-64620ea98f08e408b758af03", "block-64620e828f08e408b758af02",
	"block-64620c2c8f0822aea831dd45", "block-64620b708f08e408b758aedb",
};

static void check_guardian_ids(struct lw_snapshot *s)
{
	g_assert_cmpuint(s->entries->len, ==, G_N_ELEMENTS(guardian_ids));
	for (guint i = 0; i < s->entries->len; i++)
		g_assert_cmpstr(nth(s, i)->id, ==, guardian_ids[i]);
}

static void test_real_guardian_live(void)
{
	gsize len;
	g_autofree char *data = load_real(GUARDIAN_LIVE, &len);
	if (!data)
		return;
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.base_url = "https://www.theguardian.com/world/live/2023/may/15/russia-ukraine-war-latest";
	struct lw_snapshot *s = extract_with(data, len, &o);
	assert_snapshot_sane(s);
	g_assert_cmpstr(s->format, ==, "guardian");
	check_guardian_ids(s);
	g_assert_true(g_str_has_prefix(s->page_title, "Russia-Ukraine war live: Sunak tells Zelenskiy"));
	g_assert_cmpstr(s->coverage_end, ==, "2023-05-15T11:50:54Z");

	for (guint i = 0; i < s->entries->len; i++) {
		struct lw_entry *e = nth(s, i);
		g_assert_true(g_str_has_prefix(e->id, "block-"));
		g_assert_null(strstr(e->body, "ago"));
		g_assert_null(strstr(e->body, "Share on"));
		g_assert_null(strstr(e->body, "Updated at"));
		g_assert_null(strstr(e->body, "BST"));
		g_assert_cmpstr(e->body, !=, "");
		g_assert_cmpuint(strlen(e->published), ==, 20);
		g_assert_true(g_str_has_suffix(e->url, e->id));
		g_assert_true(g_str_has_prefix(e->url, "https://www.theguardian.com/"));
		/* JSON-LD repeats the page headline in every update: not a title */
		g_assert_false(g_str_has_prefix(e->title, "Russia-Ukraine war live"));
	}
	struct lw_entry *first = nth(s, 0);
	g_assert_cmpstr(first->published, ==, "2023-05-15T11:50:54Z");
	g_assert_cmpstr(first->title, ==, "");
	g_assert_cmpstr(first->author, ==, "Jennifer Rankin");
	g_assert_true(g_str_has_prefix(first->body, "Jennifer Rankin reports from Brussels\n"));
	g_assert_true(has_line(first->body,
		"> One is that we will keep supporting Ukraine for as long as it takes and the second "
		"principle is nothing about Ukraine without Ukraine. As long as it takes must translate "
		"basically into stable financial support, of course also beyond 2023, and accelerated "
		"military support focused on the now and here. And nothing about Ukraine without Ukraine "
		"means very strong support for President Zelenskiy\xe2\x80\x99s peace formula."));

	g_assert_cmpstr(nth(s, 2)->title, ==,
		"Stoltenberg: no point discussing how Ukraine can join Nato if it does not prevail in war first");
	g_assert_true(nth(s, 2)->key_event);
	struct lw_entry *sunak = nth(s, 5);
	g_assert_cmpstr(sunak->title, ==,
		"Sunak: 'not a straightforward thing' to supply fighter jets to Ukraine");
	g_assert_true(sunak->pinned);
	g_assert_cmpstr(sunak->published, ==, "2023-05-15T11:05:09Z");
	g_assert_cmpstr(sunak->updated, ==, "2023-05-15T11:08:24Z");
	g_assert_false(nth(s, 1)->pinned);
	/* image captions are kept */
	g_assert_true(has_line(nth(s, 7)->body,
		"Britain's prime minister, Rishi Sunak (L), walks with Ukraine's President, "
		"Volodymyr Zelenskiy, after greeting him on his arrival. Photograph: Reuters"));
	g_assert_cmpstr(nth(s, 9)->title, ==,
		"Zelenskiy discussed 'coalition of jets' with Sunak on UK visit");
	lw_snapshot_free(s);

	/* forced formats agree on the ids */
	s = extract_with(data, len, &(struct lw_extract_opts){ .format = "guardian" });
	check_guardian_ids(s);
	g_assert_cmpstr(s->format, ==, "guardian");
	lw_snapshot_free(s);

	s = extract_with(data, len, &(struct lw_extract_opts){ .format = "jsonld" });
	assert_snapshot_sane(s);
	g_assert_cmpstr(s->format, ==, "jsonld");
	check_guardian_ids(s);
	g_assert_cmpstr(nth(s, 0)->title, ==, "");
	g_assert_true(g_str_has_prefix(nth(s, 0)->body, "Jennifer Rankin reports from Brussels"));
	lw_snapshot_free(s);
}

static void test_real_articles(void)
{
	gsize len;
	g_autofree char *g = load_real(GUARDIAN_ARTICLE, &len);
	if (!g)
		return;
	struct lw_snapshot *s = extract_with(g, len, NULL);
	assert_snapshot_sane(s);
	g_assert_cmpstr(s->format, ==, "article");
	g_assert_cmpuint(s->entries->len, ==, 1);
	struct lw_entry *e = nth(s, 0);
	g_assert_cmpstr(e->title, ==, "Death toll in Valencia fire rises to 10 as remains of last missing person found");
	g_assert_cmpstr(e->id, ==, "death-toll-in-valencia-fire-rises-to-10-as-remains-of-last-missing-person-found");
	g_assert_cmpstr(e->published, ==, "2024-02-24T11:42:23Z");
	g_assert_true(g_str_has_prefix(e->url, "https://www.theguardian.com/world/2024/feb/24/"));
	g_assert_true(g_str_has_prefix(e->body,
		"The death toll from a fire that left two residential buildings charred ruins"));
	g_auto(GStrv) glines = g_strsplit(e->body, "\n", -1);
	g_assert_cmpuint(g_strv_length(glines), >=, 6);
	g_assert_null(strstr(e->body, "newsletter"));
	g_assert_null(strstr(e->body, "Reuse this content"));
	lw_snapshot_free(s);

	g_autofree char *b = load_real(BBC_ARTICLE, &len);
	if (!b)
		return;
	s = extract_with(b, len, &(struct lw_extract_opts){ .format = "article" });
	assert_snapshot_sane(s);
	g_assert_cmpuint(s->entries->len, ==, 1);
	e = nth(s, 0);
	g_assert_cmpstr(e->title, ==, "Office for Budget Responsibility: What is the OBR and what does it do?");
	g_assert_cmpstr(e->id, ==, "explainers-63159607");
	g_assert_cmpstr(e->published, ==, "2022-10-10T13:21:17Z");
	g_assert_cmpstr(e->updated, ==, "2024-07-30T15:00:54Z");
	g_assert_true(has_line(e->body,
		"The OBR was set up in 2010 under the Conservative-Liberal Democrat coalition government."));
	g_auto(GStrv) lines = g_strsplit(e->body, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >=, 20);
	g_assert_null(strstr(e->body, "Skip to content"));
	lw_snapshot_free(s);
}

/* ---- our own fixtures ---- */

/* What a page gives beyond its entries (those are NAME.jsonl, checked
 * by test_extract_cases.py).  NULL: not checked. */
static const struct {
	const char *file, *format;  /* format NULL: auto */
	const char *want_format, *title, *coverage_end, *next_url;
	guint entries;
} page_cases[] = {
	/* the pinned copy is no entry */
	{ "dcr-liveblog.html", NULL, "guardian",
	  "Harbour festival live: boats, bands and a very late ferry", "2031-07-04T23:59:00Z", "", 3 },
	{ "frontend-liveblog.html", NULL, "guardian", NULL, NULL,
	  "https://news.example.org/politics/live/2019/dec/12/"
	  "election-night?page=with:block-5df2b0000000000000000009", 3 },
	{ "jsonld-graph.html", NULL, "jsonld",
	  "Night market live: lanterns & late stalls", "2031-03-02T01:00:00Z", NULL, 3 },
	{ "jsonld-single.html", NULL, "jsonld", NULL, NULL, NULL, 1 },
	{ "cp1252.html", NULL, "article", NULL, NULL, NULL, 1 },
	{ "rss.xml", NULL, "feed", "Harbour news & notes", NULL,
	  "https://feeds.example.com/harbour/rss?page=2", 3 },
	{ "atom.xml", "feed", "feed", NULL, NULL,
	  "https://live.example.net/night-market/feed?before=2", 3 },
	{ "rdf.xml", NULL, "feed", NULL, NULL, NULL, 2 },
};

static void test_page_fields(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(page_cases); i++) {
		g_test_message("%s", page_cases[i].file);
		struct lw_snapshot *s = extract_file(page_cases[i].file, page_cases[i].format);
		assert_snapshot_sane(s);
		g_assert_cmpstr(s->format, ==, page_cases[i].want_format);
		if (page_cases[i].title)
			g_assert_cmpstr(s->page_title, ==, page_cases[i].title);
		if (page_cases[i].coverage_end)
			g_assert_cmpstr(s->coverage_end, ==, page_cases[i].coverage_end);
		if (page_cases[i].next_url)
			g_assert_cmpstr(s->next_url, ==, page_cases[i].next_url);
		g_assert_cmpuint(s->entries->len, ==, page_cases[i].entries);
		lw_snapshot_free(s);
	}
}

static void assert_same_snapshot(struct lw_snapshot *a, struct lw_snapshot *b)
{
	g_assert_cmpstr(a->format, ==, b->format);
	g_assert_cmpstr(a->page_title, ==, b->page_title);
	g_assert_cmpstr(a->coverage_end, ==, b->coverage_end);
	g_assert_cmpuint(a->entries->len, ==, b->entries->len);
	for (guint i = 0; i < a->entries->len; i++) {
		struct lw_entry *x = nth(a, i), *y = nth(b, i);
		g_assert_cmpstr(x->id, ==, y->id);
		g_assert_cmpstr(x->published, ==, y->published);
		g_assert_cmpstr(x->updated, ==, y->updated);
		g_assert_cmpstr(x->title, ==, y->title);
		g_assert_cmpstr(x->body, ==, y->body);
		g_assert_cmpstr(x->url, ==, y->url);
		g_assert_cmpstr(x->author, ==, y->author);
		g_assert_cmpint(x->pinned, ==, y->pinned);
		g_assert_cmpint(x->key_event, ==, y->key_event);
		g_autofree char *mx = lw_entry_to_md(x);
		g_autofree char *my = lw_entry_to_md(y);
		g_assert_cmpstr(mx, ==, my);
	}
}

static void test_rerendered_identical(void)
{
	struct lw_snapshot *a = extract_file("dcr-liveblog.html", NULL);
	struct lw_snapshot *b = extract_file("dcr-liveblog-rerendered.html", NULL);
	assert_same_snapshot(a, b);
	lw_snapshot_free(a);
	lw_snapshot_free(b);
}

static void test_format_absent(void)
{
	/* asking for a format the page does not have is an error */
	gsize len;
	g_autofree char *data = load_data("jsonld-single.html", &len);
	assert_fails(data, len, &(struct lw_extract_opts){ .format = "guardian" }, LW_ERROR_PARSE, NULL);
	g_autofree char *art = load_data("cp1252.html", &len);
	assert_fails(art, len, &(struct lw_extract_opts){ .format = "jsonld" }, LW_ERROR_PARSE, NULL);
}

static void check_cafe(struct lw_snapshot *s)
{
	assert_snapshot_sane(s);
	g_assert_cmpuint(s->entries->len, ==, 1);
	struct lw_entry *e = nth(s, 0);
	g_assert_cmpstr(e->title, ==, "Caf\xc3\xa9 r\xc3\xa9opens \xe2\x80\x93 \xe2\x80\x9c" "finally\xe2\x80\x9d");
	g_assert_cmpstr(e->body, ==,
		"The caf\xc3\xa9 on the square r\xc3\xa9opened on Monday \xe2\x80\x93 its owner said "
		"\xe2\x80\x9cwe missed everyone\xe2\x80\x9d.\n"
		"Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e costs \xe2\x82\xac" "4.");
}

static void test_charset(void)
{
	/* the pages as they are: cp1252.jsonl, cp1252-metacharset.jsonl;
	 * the HTTP charset wins, and Latin-1 labels mean windows-1252 */
	gsize len;
	g_autofree char *data = load_data("cp1252-metacharset.html", &len);
	struct lw_snapshot *s = extract_with(data, len, &(struct lw_extract_opts){ .charset = "ISO-8859-1" });
	check_cafe(s);
	lw_snapshot_free(s);

	/* a BOM without any declaration; an unknown charset name */
	const char bom[] = "\xef\xbb\xbf<html><body><article><p>na\xc3\xafve</p></article></body></html>";
	s = extract_with(bom, sizeof bom - 1, NULL);
	g_assert_cmpstr(nth(s, 0)->body, ==, "na\xc3\xafve");
	lw_snapshot_free(s);
	s = extract_with(bom, sizeof bom - 1, &(struct lw_extract_opts){ .charset = "x-no-such-charset" });
	g_assert_cmpstr(nth(s, 0)->body, ==, "na\xc3\xafve");
	lw_snapshot_free(s);

	/* bytes that are not UTF-8 under a UTF-8 label still give UTF-8 */
	const char bad[] = "<html><body><p>caf\xe9 \xff\xfe</p></body></html>";
	s = extract_with(bad, sizeof bad - 1, &(struct lw_extract_opts){ .charset = "utf-8" });
	assert_snapshot_sane(s);
	lw_snapshot_free(s);
}

static void test_garbage(void)
{
	g_autoptr(GError) err = NULL;
	assert_fails("", 0, NULL, LW_ERROR_PARSE, NULL);
	assert_fails(NULL, 0, NULL, LW_ERROR_PARSE, NULL);

	const char *junk[] = {
		"<", "<<<>>>", "<html", "<div><p>unclosed <b>bold <i>text",
		"</article></div></body>", "<!--", "<script>", "&#0;&#xffffff;&bogus;",
		"<article id=\"block-\"><header><time datetime=\"nonsense\">x</time></header></article>",
		"<div id=\"liveblog-body\"></div>",
		"<script type=\"application/ld+json\">{\"@type\":\"LiveBlogPosting\",\"liveBlogUpdate\":[1,\"x\",null,{}]}</script>",
		"<script type=\"application/ld+json\">{not json</script>",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(junk); i++) {
		struct lw_snapshot *s = lw_extract(junk[i], strlen(junk[i]), NULL, &err);
		g_assert_true(s || err);
		if (s)
			assert_snapshot_sane(s);
		lw_snapshot_free(s);
		g_clear_error(&err);
	}

	/* random binary, with NULs */
	GRand *rand = g_rand_new_with_seed(42);
	for (int round = 0; round < 20; round++) {
		gsize len = (gsize)g_rand_int_range(rand, 1, 20000);
		g_autofree guchar *bin = g_malloc(len);
		for (gsize i = 0; i < len; i++)
			bin[i] = (guchar)g_rand_int_range(rand, 0, 256);
		if (round % 2)
			memcpy(bin, "<p>", MIN(len, 3));
		struct lw_snapshot *s = lw_extract((const char *)bin, len, NULL, &err);
		g_assert_true(s || err);
		if (s)
			assert_snapshot_sane(s);
		lw_snapshot_free(s);
		g_clear_error(&err);
	}
	g_rand_free(rand);

	/* the empty Guardian body is a page of the right kind with no posts */
	const char *empty = "<div id=\"liveblog-body\"></div>";
	struct lw_snapshot *s = lw_extract(empty, strlen(empty), NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(s->format, ==, "guardian");
	g_assert_cmpuint(s->entries->len, ==, 0);
	lw_snapshot_free(s);

	assert_fails("<p>x</p>", 8, &(struct lw_extract_opts){ .format = "rss9" }, LW_ERROR_FAILED, "rss9");
	g_assert_false(lw_extract_format_known("rss9"));
	g_assert_true(lw_extract_format_known("jsonld"));
	g_assert_true(lw_extract_format_known(NULL));
}

static void test_deep_nesting(void)
{
	GString *page = g_string_new("<html><body><div id=\"liveblog-body\">"
	                             "<article id=\"block-deep\"><header></header>");
	for (int i = 0; i < 50000; i++)
		g_string_append(page, i % 2 ? "<div>" : "<blockquote>");
	g_string_append(page, "bottom");
	g_string_append(page, "</article><article id=\"block-after\"><p>after</p></article>"
	                      "</div></body></html>");
	g_autoptr(GError) err = NULL;
	struct lw_snapshot *s = lw_extract(page->str, page->len, NULL, &err);
	g_string_free(page, TRUE);
	g_assert_true(s || err);
	if (s) {
		assert_snapshot_sane(s);
		g_assert_cmpuint(s->entries->len, >=, 1);
		g_assert_cmpstr(nth(s, 0)->id, ==, "block-deep");
	}
	lw_snapshot_free(s);

	/* unclosed list items and quotes */
	page = g_string_new("<article>");
	for (int i = 0; i < 50000; i++)
		g_string_append(page, "<ul><li>x");
	s = lw_extract(page->str, page->len, NULL, &err);
	g_string_free(page, TRUE);
	g_assert_true(s || err);
	if (s)
		assert_snapshot_sane(s);
	lw_snapshot_free(s);
}

static void test_duplicate_ids(void)
{
	/* dup-ids.html (the first copy wins, no id escapes the entries
	 * folder): dup-ids.jsonl.  Posts without ids get stable hash ids: */
	const char *page = "<div id=\"liveblog-body\"><article id=\"block-\"><p>no id one</p></article>"
	                   "<article id=\"block-!!\"><p>no id two</p></article></div>";
	struct lw_snapshot *s = extract_with(page, strlen(page),
	                                     &(struct lw_extract_opts){ .format = "guardian" });
	g_assert_cmpuint(s->entries->len, ==, 2);
	g_autofree char *h = lw_entry_hash_id("", "", "no id two");
	g_assert_true(g_str_has_prefix(nth(s, 0)->id, "h-"));
	g_assert_cmpstr(nth(s, 1)->id, ==, h);
	lw_snapshot_free(s);
}

static void test_limits(void)
{
	gsize len;
	g_autofree char *data = load_data("dcr-liveblog.html", &len);
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.max_entries = 2;
	assert_fails(data, len, &o, LW_ERROR_TOO_BIG, "page has more than 2 entries");
	o.max_entries = 3;
	struct lw_snapshot *s = extract_with(data, len, &o);
	g_assert_cmpuint(s->entries->len, ==, 3);
	lw_snapshot_free(s);

	/* the default cap, on a generated page */
	GString *big = g_string_new("<div id=\"liveblog-body\">");
	for (int i = 0; i < 5001; i++)
		g_string_append_printf(big, "<article id=\"block-%d\"><p>post %d</p></article>", i, i);
	g_string_append(big, "</div>");
	assert_fails(big->str, big->len, NULL, LW_ERROR_TOO_BIG, "page has more than 5000 entries");
	g_string_free(big, TRUE);

	/* a long body is cut on a character boundary */
	GString *longp = g_string_new("<article><p>");
	for (int i = 0; i < 1000; i++)
		g_string_append(longp, "\xc3\xa9t\xc3\xa9 ");
	g_string_append(longp, "</p></article>");
	o = (struct lw_extract_opts)LW_EXTRACT_OPTS_DEFAULT;
	o.max_entry_bytes = 101;
	s = extract_with(longp->str, longp->len, &o);
	g_string_free(longp, TRUE);
	assert_snapshot_sane(s);
	g_assert_cmpuint(strlen(nth(s, 0)->body), <=, 101);
	g_assert_cmpuint(strlen(nth(s, 0)->body), >=, 95);
	lw_snapshot_free(s);
}

static void test_json_depth(void)
{
	/* a JSON-LD bomb next to a good block: the bomb is ignored */
	GString *page = g_string_new("<html><head><script type=\"application/ld+json\">");
	for (int i = 0; i < 100000; i++)
		g_string_append_c(page, '[');
	g_string_append(page, "</script><script type=\"application/ld+json\">"
		"{\"@type\":\"LiveBlogPosting\",\"headline\":\"H\",\"liveBlogUpdate\":"
		"[{\"@id\":\"u1\",\"articleBody\":\"ok\"}]}</script></head><body></body></html>");
	struct lw_snapshot *s = extract_with(page->str, page->len, NULL);
	g_string_free(page, TRUE);
	g_assert_cmpstr(s->format, ==, "jsonld");
	g_assert_cmpuint(s->entries->len, ==, 1);
	g_assert_cmpstr(nth(s, 0)->body, ==, "ok");
	lw_snapshot_free(s);

	/* Guardian markup without posts: auto falls back to the JSON-LD, and
	 * bare 24-hex ids get the "block-" the markup would use */
	const char *script_rendered =
		"<div id=\"liveblog-body\"></div><script type=\"application/ld+json\">"
		"{\"@type\":\"LiveBlogPosting\",\"liveBlogUpdate\":[{\"@id\":"
		"\"646219928f08e408b758af95\",\"articleBody\":\"a &lt;b&gt; c\"}]}</script>";
	s = extract_with(script_rendered, strlen(script_rendered), NULL);
	g_assert_cmpstr(s->format, ==, "jsonld");
	g_assert_cmpuint(s->entries->len, ==, 1);
	g_assert_cmpstr(nth(s, 0)->id, ==, "block-646219928f08e408b758af95");
	g_assert_cmpstr(nth(s, 0)->body, ==, "a <b> c");
	lw_snapshot_free(s);

	/* nesting past max_json_depth: the block is ignored */
	GString *deep = g_string_new("<script type=\"application/ld+json\">"
		"{\"@type\":\"LiveBlogPosting\",\"liveBlogUpdate\":[{\"@id\":\"u1\",\"x\":");
	for (int i = 0; i < 10; i++)
		g_string_append(deep, "{\"a\":");
	g_string_append(deep, "1");
	for (int i = 0; i < 10; i++)
		g_string_append(deep, "}");
	g_string_append(deep, "}]}</script><article><p>fallback</p></article>");
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.max_json_depth = 8;
	s = extract_with(deep->str, deep->len, &o);
	g_assert_cmpstr(s->format, ==, "article");
	lw_snapshot_free(s);
	o.max_json_depth = 64;
	s = extract_with(deep->str, deep->len, &o);
	g_assert_cmpstr(s->format, ==, "jsonld");
	lw_snapshot_free(s);
	g_string_free(deep, TRUE);
}


/* ---- formats added for the whole-blog extraction ---- */

static void test_feeds(void)
{
	/* entities declared by the feed never expand, nothing is read */
	gint64 t0 = g_get_monotonic_time();
	struct lw_snapshot *s = extract_file("feed-bomb.xml", NULL);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC);
	g_assert_cmpstr(s->format, ==, "feed");
	g_assert_cmpuint(s->entries->len, ==, 2);
	g_assert_null(strstr(nth(s, 0)->body, "aaaa"));
	g_assert_null(strstr(nth(s, 0)->body, "root:"));
	lw_snapshot_free(s);

	/* an HTML page forced as a feed is no feed */
	gsize len;
	g_autofree char *html = load_data("dcr-liveblog.html", &len);
	assert_fails(html, len, &(struct lw_extract_opts){ .format = "feed" }, LW_ERROR_PARSE, NULL);
}

static const struct lw_xpath_profile town_profile = {
	.entry = "//section[contains(@class,'post')]",
	.id = "@data-post-id",
	.title = ".//h3",
	.body = ".//div[@class='post-text']",
};

static void test_xpath(void)
{
	gsize len;
	g_autofree char *data = load_data("xpath-blog.html", &len);
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.format = "xpath";
	o.xpath = &town_profile;
	struct lw_snapshot *s = extract_with(data, len, &o);
	assert_snapshot_sane(s);
	g_assert_cmpstr(s->format, ==, "xpath");
	g_assert_cmpstr(s->next_url, ==, "https://town.example.com/live/council/page/2");
	/* the <template> copy is not shown: no entry; the old JSON-LD update is not added */
	/* its entries (the JSON-LD anchors p203 as #update-203: its time
	 * still joins): xpath-blog.jsonl, with this profile in xpath-blog.args */
	g_assert_cmpuint(s->entries->len, ==, 3);
	lw_snapshot_free(s);

	/* id from an anchor's fragment, time as a string expression */
	struct lw_xpath_profile p2 = town_profile;
	p2.id = "a[@class='anchor']/@href";
	p2.time = "concat('2031-09-0', 1 + count(preceding::section), 'T00:00:00Z')";
	o.xpath = &p2;
	s = extract_with(data, len, &o);
	g_assert_cmpstr(nth(s, 0)->id, ==, "p203");
	g_assert_cmpstr(nth(s, 0)->published, ==, "2031-09-01T00:00:00Z");
	g_assert_cmpstr(nth(s, 1)->published, ==, "2031-09-02T00:00:00Z");
	lw_snapshot_free(s);

	/* bad profiles name their key */
	g_autoptr(GError) err = NULL;
	struct lw_xpath_profile bad = town_profile;
	bad.title = "//h3[";
	g_assert_cmpint(lw_extract_check_profile(&bad, &err), <, 0);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_assert_nonnull(strstr(err->message, "'title'"));
	g_clear_error(&err);
	o.xpath = &bad;
	g_assert_null(lw_extract(data, len, &o, &err));
	g_assert_nonnull(strstr(err->message, "'title'"));
	g_clear_error(&err);
	bad = town_profile;
	bad.body = NULL;
	g_assert_cmpint(lw_extract_check_profile(&bad, &err), <, 0);
	g_assert_nonnull(strstr(err->message, "'body'"));
	g_clear_error(&err);
	g_assert_cmpint(lw_extract_check_profile(NULL, &err), <, 0);
	g_clear_error(&err);
	bad = town_profile;
	bad.entry = "count(//section)";
	o.xpath = &bad;
	assert_fails(data, len, &o, LW_ERROR_PARSE, NULL);
	g_assert_cmpint(lw_extract_check_profile(&town_profile, &err), ==, 0);
	g_assert_no_error(err);
}

static void test_pagination_links(void)
{
	struct lw_snapshot *s = extract_file("dcr-liveblog.html", NULL);
	g_assert_cmpstr(s->next_url, ==, ""); /* no pagination on the page */
	lw_snapshot_free(s);

	const char *pages[][2] = {
		{ "<div id=\"liveblog-body\"><article id=\"block-a\"><p>x</p></article></div>"
		  "<nav id=\"liveblog-navigation\"><a href=\"?page=with:block-n\"><span>Previous</span></a>"
		  "<a href=\"?page=with:block-z&amp;filterKeyEvents=false#top\"><span>Next</span><svg></svg></a>"
		  "<a href=\"?page=with:block-q\"><span>Oldest</span></a></nav>",
		  "https://g.example/live/x?page=with:block-z&filterKeyEvents=false" },
		{ "<html><head><link rel=\"Next\" href=\"/live/x/2\"></head><body><article><p>a</p></article></body></html>",
		  "https://g.example/live/x/2" },
		{ "<body><article><p>a</p><a rel=\"nofollow next\" href=\"page3.html\">more</a></article></body>",
		  "https://g.example/live/page3.html" },
		{ "<body><amp-live-list id=\"l\"><div items><div id=\"i1\">x</div></div>"
		  "<div pagination><nav><a href=\"/amp/1\">1</a><a href=\"/amp/2\">Next \xc2\xbb</a></nav></div>"
		  "</amp-live-list></body>",
		  "https://g.example/amp/2" },
		{ "<body><a rel=\"next\" href=\"javascript:void(0)\">x</a><p>t</p></body>", "" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(pages); i++) {
		struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
		o.base_url = "https://g.example/live/x?page=with:block-y";
		s = extract_with(pages[i][0], strlen(pages[i][0]), &o);
		g_assert_cmpstr(s->next_url, ==, pages[i][1]);
		lw_snapshot_free(s);
	}

	/* the real page links its older page */
	gsize len;
	g_autofree char *data = load_real(GUARDIAN_LIVE, &len);
	if (!data)
		return;
	s = extract_with(data, len, NULL);
	g_assert_cmpstr(s->next_url, ==,
		"https://www.theguardian.com/world/live/2023/may/15/russia-ukraine-war-latest-g7-reportedly-"
		"set-to-tighten-russia-sanctions-france-to-send-kyiv-military-aid-live"
		"?page=with:block-64620b428f08e408b758aed8&filterKeyEvents=false");
	lw_snapshot_free(s);
}

static void test_nasty_pages(void)
{
	/* unclosed posts, a stray end tag, posts in scripts, templates and
	 * noscript, twins, windows-1252 under a UTF-8 label:
	 * tests/data/extract/nasty-*.html */

	/* long ids that share their first 120 bytes stay apart */
	GString *longids = g_string_new("<div id=\"liveblog-body\">");
	for (int i = 0; i < 2; i++) {
		g_string_append(longids, "<article id=\"block-");
		for (int k = 0; k < 200; k++)
			g_string_append_c(longids, 'x');
		g_string_append_printf(longids, "%d\"><p>post %d</p></article>", i, i);
	}
	g_string_append(longids, "</div>");
	struct lw_snapshot *s = extract_with(longids->str, longids->len, NULL);
	g_string_free(longids, TRUE);
	g_assert_cmpuint(s->entries->len, ==, 2);
	assert_snapshot_sane(s);
	g_assert_cmpuint(strlen(nth(s, 0)->id), <=, 120);
	lw_snapshot_free(s);
}

static void test_big_pages(void)
{
	/* 10,000 posts: past the default cap an error, under a raised cap all */
	GString *big = g_string_new("<html><body><div id=\"liveblog-body\">");
	for (int i = 0; i < 10000; i++)
		g_string_append_printf(big, "<article id=\"block-%05d\"><header><time datetime=\"2031-01-01T00:00:00Z\">"
		                       "</time></header><p>Post number %d.</p></article>\n", i, i);
	g_string_append(big, "</div></body></html>");
	g_autoptr(GError) err = NULL;
	assert_fails(big->str, big->len, NULL, LW_ERROR_TOO_BIG, NULL);
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.max_entries = 20000;
	o.max_parse_time = 300; /* generous: valgrind runs these too */
	struct lw_snapshot *s = extract_with(big->str, big->len, &o);
	g_assert_cmpuint(s->entries->len, ==, 10000);
	g_assert_cmpstr(nth(s, 9999)->body, ==, "Post number 9999.");
	lw_snapshot_free(s);

	/* a parse time budget too small for the page: an error, never half a page */
	o.max_parse_time = 0.001;
	assert_fails(big->str, big->len, &o, LW_ERROR_TOO_BIG, "parsing took longer than 0.001 s");
	g_string_free(big, TRUE);

	/* a 5 MB page of one article */
	GString *huge = g_string_new("<html><body><article>");
	while (huge->len < 5 * 1024 * 1024)
		g_string_append(huge, "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n");
	g_string_append(huge, "</article></body></html>");
	o = (struct lw_extract_opts)LW_EXTRACT_OPTS_DEFAULT;
	o.max_parse_time = 300;
	s = extract_with(huge->str, huge->len, &o);
	g_string_free(huge, TRUE);
	g_assert_cmpuint(s->entries->len, ==, 1);
	g_assert_cmpuint(strlen(nth(s, 0)->body), <=, 1024 * 1024);
	g_assert_cmpuint(strlen(nth(s, 0)->body), >, 1000 * 1000);
	lw_snapshot_free(s);
}

static void test_rerendered_lwblog(void)
{
	struct lw_snapshot *a = extract_file("lwblog-seed0.html", NULL);
	struct lw_snapshot *b = extract_file("lwblog-seed5.html", NULL);
	g_assert_cmpuint(a->entries->len, ==, 6);
	assert_same_snapshot(a, b);
	g_assert_true(nth(a, 3)->pinned);
	g_assert_true(nth(a, 2)->key_event);
	g_assert_cmpstr(nth(a, 0)->body, ==,
		"Paragraph one of post 0 with a link.\n> Quoted 0.\n> Another.\n- First.\n- Second.\n"
		"Caption 0. Photograph: Reuters\n> Tweet text 0.\n> \xe2\x80\x94 Handle (@Handle) February 14, 2031\n"
		"Tweet: https://twitter.com/Handle/status/756314932831339523");
	lw_snapshot_free(a);
	lw_snapshot_free(b);
}

/* The key-events carousel's props, read without a JSON tree: ids found
 * past nested values and brackets inside strings, escapes decoded, and
 * malformed props mark nothing. */
static bool carousel_marks(const char *props_json, const char *id)
{
	g_autofree char *attr = g_markup_escape_text(props_json, -1);
	g_autofree char *page = g_strdup_printf(
		"<div id=\"liveblog-body\"><gu-island name=\"KeyEventsCarousel\" props=\"%s\"></gu-island>"
		"<article id=\"block-a1\"><p>one</p></article>"
		"<article id=\"block-b2\"><p>two</p></article>"
		"<article id=\"block-c3\"><p>three</p></article></div>", attr);
	struct lw_snapshot *s = extract_with(page, strlen(page), NULL);
	g_assert_cmpuint(s->entries->len, ==, 3);
	bool marked = false;
	for (guint i = 0; i < s->entries->len; i++) {
		struct lw_entry *e = nth(s, i);
		if (strcmp(e->id, id) == 0)
			marked = e->key_event;
		else
			g_assert_false(e->key_event);
	}
	lw_snapshot_free(s);
	return marked;
}

static void test_carousel_props(void)
{
	g_assert_true(carousel_marks("{\"keyEvents\":[{\"id\":\"b2\"}]}", "block-b2"));
	g_assert_true(carousel_marks(
		" { \"filterKeyEvents\" : false, \"x\": {\"keyEvents\": [{\"id\": \"a1\"}]},\n"
		"   \"keyEvents\" : [ 7, \"c3\", [ {\"id\":\"a1\"} ],\n"
		"     { \"elements\": [{\"html\": \"<p>]}\\\"{[</p>\", \"id\": \"a1\"}],\n"
		"       \"title\": null, \"n\": -1.5e3, \"id\" : \"c\\u0033\" } ] } ", "block-c3"));
	g_assert_false(carousel_marks("{\"keyEvents\":[]}", "block-a1"));
	g_assert_false(carousel_marks("{}", "block-a1"));
	g_assert_false(carousel_marks("[{\"id\":\"a1\"}]", "block-a1"));
	g_assert_false(carousel_marks("{\"keyEvents\":[{\"id\":\"a1\"}", "block-a1"));
	g_assert_false(carousel_marks("{\"keyEvents\":[{\"id\":\"a1\",}]}", "block-a1"));
	g_assert_false(carousel_marks("{\"keyEvents\":[{\"id\":\"a1\"},{\"id\":\"b2\" \"x\":1}]}",
	                              "block-a1"));
	g_assert_false(carousel_marks("{\"keyEvents\":[{\"id\":\"a1\"}]] trailing", "block-b2"));
	g_assert_false(carousel_marks("{\"keyEvents\":[{\"id\":\"a1", "block-a1"));
	g_assert_false(carousel_marks("", "block-a1"));
}

/* The report behind --explain and --profile (issue 11). */
static void test_report(void)
{
	gsize len;
	g_autofree char *data = load_data("generic-heading-ticker.html", &len);
	struct lw_extract_report r = { 0 };
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.report = &r;
	struct lw_snapshot *s = extract_with(data, len, &o);
	g_assert_cmpstr(s->format, ==, "generic");
	g_assert_cmpuint(s->entries->len, ==, 5);
	g_assert_nonnull(r.explain);
	g_assert_nonnull(strstr(r.explain->str, "ticker of headings with times"));
	g_assert_nonnull(strstr(r.explain->str, "day heading"));
	g_assert_nonnull(r.profile.entry);
	g_assert_true(g_str_has_suffix(r.profile.entry, "]"));
	g_assert_cmpstr(r.profile.title, ==, ".");
	g_assert_nonnull(r.profile.body);
	/* clocks in text cannot be carried by a profile: said so */
	g_assert_nonnull(r.note);
	GError *err = NULL;
	g_assert_cmpint(lw_extract_check_profile(&r.profile, &err), ==, 0);
	g_assert_no_error(err);
	/* the ids are a hash of day, clock and heading: an edit of a body
	 * keeps them */
	g_autofree char *id0 = g_strdup(nth(s, 0)->id);
	lw_snapshot_free(s);
	lw_extract_report_clear(&r);
	g_assert_null(r.explain);

	GString *edited = g_string_new_len(data, (gssize)len);
	g_string_replace(edited, "Die Gespräche sollen am Nachmittag beginnen.",
	                 "Die Gespräche sollen am Abend beginnen.", 1);
	s = extract_with(edited->str, edited->len, NULL);
	g_assert_cmpstr(nth(s, 0)->id, ==, id0);
	g_assert_nonnull(strstr(nth(s, 0)->body, "am Abend"));
	lw_snapshot_free(s);
	g_string_free(edited, TRUE);

	/* a built-in format has no profile to print: it is pinned by name */
	g_autofree char *dcr = load_data("dcr-liveblog.html", &len);
	o.report = &r;
	s = extract_with(dcr, len, &o);
	g_assert_cmpstr(s->format, ==, "guardian");
	g_assert_null(r.profile.entry);
	g_assert_nonnull(strstr(r.explain->str, "format guardian"));
	lw_snapshot_free(s);
	lw_extract_report_clear(&r);

	/* an article says why it is not split */
	g_autofree char *art = load_data("generic-article-comments.html", &len);
	o.report = &r;
	s = extract_with(art, len, &o);
	g_assert_cmpstr(s->format, ==, "article");
	g_assert_nonnull(strstr(r.explain->str, "format article"));
	g_assert_nonnull(strstr(r.explain->str, "generic: "));
	lw_snapshot_free(s);
	lw_extract_report_clear(&r);
}

/* JSON-LD isLive: the page saying the blog is over (schedule.h). */
static void test_is_live(void)
{
	static const char *const pages[] = {
		"<html><head><script type=\"application/ld+json\">{\"@type\":\"LiveBlogPosting\","
		"\"headline\":\"H\",\"isLive\": false,\"liveBlogUpdate\":[{\"@type\":\"BlogPosting\","
		"\"@id\":\"https://x.org/l#p1\",\"datePublished\":\"2023-02-14T10:00:00Z\","
		"\"articleBody\":\"One.\"}]}</script></head><body></body></html>",
		"<html><head><script type=\"application/ld+json\">{\"@type\":\"LiveBlogPosting\","
		"\"headline\":\"H\",\"isLive\":true,\"liveBlogUpdate\":[{\"@type\":\"BlogPosting\","
		"\"@id\":\"https://x.org/l#p1\",\"datePublished\":\"2023-02-14T10:00:00Z\","
		"\"articleBody\":\"One.\"}]}</script></head><body></body></html>",
		"<html><head><script type=\"application/ld+json\">{\"@type\":\"LiveBlogPosting\","
		"\"headline\":\"H\",\"liveBlogUpdate\":[{\"@type\":\"BlogPosting\","
		"\"@id\":\"https://x.org/l#p1\",\"datePublished\":\"2023-02-14T10:00:00Z\","
		"\"articleBody\":\"One.\"}]}</script></head><body></body></html>",
	};
	static const int want[] = { 0, 1, -1 };
	for (gsize i = 0; i < G_N_ELEMENTS(pages); i++) {
		struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
		struct lw_snapshot *s = extract_with(pages[i], strlen(pages[i]), &o);
		g_assert_cmpint(s->entries->len, ==, 1);
		g_assert_cmpint(s->live, ==, want[i]);
		lw_snapshot_free(s);
	}
}

/* The Independent gives every update the blog's short title as its
 * headline: a page-level headline, not a post's title. */
static void test_shared_headline_is_no_title(void)
{
	const char *before =
		"<html><head><script type=\"application/ld+json\">{\"@type\":\"LiveBlogPosting\","
		"\"headline\":\"Women's World Cup 2023 live: England v Spain\",\"liveBlogUpdate\":["
		"{\"@type\":\"BlogPosting\",\"headline\":\"";
	const char *after = "\",\"@id\":\"https://x.org/l#p2\","
		"\"datePublished\":\"2023-08-20T11:00:00Z\",\"articleBody\":\"Two.\"},"
		"{\"@type\":\"BlogPosting\",\"headline\":\"Women's World Cup\",\"@id\":\"https://x.org/l#p1\","
		"\"datePublished\":\"2023-08-20T10:00:00Z\",\"articleBody\":\"One.\"}]}</script>"
		"</head><body></body></html>";
	g_autofree char *shared = g_strconcat(before, "Women's World Cup", after, NULL);
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	struct lw_snapshot *s = extract_with(shared, strlen(shared), &o);
	g_assert_cmpint(s->entries->len, ==, 2);
	for (guint i = 0; i < 2; i++)
		g_assert_cmpstr(((struct lw_entry *)s->entries->pdata[i])->title, ==, "");
	lw_snapshot_free(s);
	g_autofree char *own = g_strconcat(before, "Kick-off", after, NULL);
	s = extract_with(own, strlen(own), &o);
	g_assert_cmpstr(((struct lw_entry *)s->entries->pdata[0])->title, ==, "Kick-off");
	g_assert_cmpstr(((struct lw_entry *)s->entries->pdata[1])->title, ==, "Women's World Cup");
	lw_snapshot_free(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/extract/real/guardian-live", test_real_guardian_live);
	g_test_add_func("/extract/real/articles", test_real_articles);
	g_test_add_func("/extract/page-fields", test_page_fields);
	g_test_add_func("/extract/is-live", test_is_live);
	g_test_add_func("/extract/shared-headline", test_shared_headline_is_no_title);
	g_test_add_func("/extract/rerendered-identical", test_rerendered_identical);
	g_test_add_func("/extract/format-absent", test_format_absent);
	g_test_add_func("/extract/charset", test_charset);
	g_test_add_func("/extract/garbage", test_garbage);
	g_test_add_func("/extract/deep-nesting", test_deep_nesting);
	g_test_add_func("/extract/duplicate-ids", test_duplicate_ids);
	g_test_add_func("/extract/limits", test_limits);
	g_test_add_func("/extract/json-depth", test_json_depth);
	g_test_add_func("/extract/feeds", test_feeds);
	g_test_add_func("/extract/xpath", test_xpath);
	g_test_add_func("/extract/pagination-links", test_pagination_links);
	g_test_add_func("/extract/nasty-pages", test_nasty_pages);
	g_test_add_func("/extract/big-pages", test_big_pages);
	g_test_add_func("/extract/rerendered-lwblog", test_rerendered_lwblog);
	g_test_add_func("/extract/carousel-props", test_carousel_props);
	g_test_add_func("/extract/report", test_report);
	return g_test_run();
}
