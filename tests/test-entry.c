/* Tests for src/entry.c (entries, ids, headings) and src/entry-md.c
 * (entry files). */
#include <glib.h>
#include <string.h>

#include "entry.h"
#include "error.h"

static struct lw_entry *mk(const char *id, const char *title, const char *body)
{
	struct lw_entry *e = lw_entry_new();
	lw_entry_set(&e->id, id);
	lw_entry_set(&e->title, title);
	lw_entry_set(&e->body, body);
	return e;
}

static void test_new_dup(void)
{
	struct lw_entry *e = lw_entry_new();
	g_assert_cmpstr(e->id, ==, "");
	g_assert_cmpstr(e->body, ==, "");
	g_assert_cmpstr(e->author, ==, "");
	g_assert_false(e->pinned);
	lw_entry_set(&e->title, "Hello");
	lw_entry_set(&e->author, NULL);
	g_assert_cmpstr(e->author, ==, "");
	e->key_event = true;
	struct lw_entry *d = lw_entry_dup(e);
	g_assert_cmpstr(d->title, ==, "Hello");
	g_assert_true(d->key_event);
	g_assert_true(d->title != e->title);
	lw_entry_free(e);
	lw_entry_free(d);
	lw_entry_free(NULL);
}

static void test_sanitize_id(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "block-63eb7c0d8f08a6d9b3a3d123", "block-63eb7c0d8f08a6d9b3a3d123" },
		{ "a b//c", "a-b-c" },
		{ "...hidden", "hidden" },
		{ "--x--", "x" },
		{ "x.y_z", "x.y_z" },
		{ "Україна", NULL },
		{ "", NULL },
		{ "///", NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = lw_entry_sanitize_id(cases[i].in);
		g_assert_cmpstr(got, ==, cases[i].out);
	}
	g_assert_null(lw_entry_sanitize_id(NULL));

	g_autofree char *longid = g_strnfill(500, 'a');
	g_autofree char *cut = lw_entry_sanitize_id(longid);
	g_assert_cmpuint(strlen(cut), ==, LW_ENTRY_ID_MAX);

	/* a path never survives as a path */
	const char *hostile[] = { "../../etc/passwd", "/etc/passwd", "a/../../b", "..", ".", "./.git" };
	for (gsize i = 0; i < G_N_ELEMENTS(hostile); i++) {
		g_autofree char *id = lw_entry_sanitize_id(hostile[i]);
		if (!id)
			continue;
		g_assert_null(strchr(id, '/'));
		g_assert_cmpstr(id, !=, "..");
		g_assert_cmpstr(id, !=, ".");
		g_assert_cmpint(id[0], !=, '.');
		g_assert_cmpint(id[0], !=, '-');
	}
}

static void test_hash_id(void)
{
	g_autofree char *a = lw_entry_hash_id("2023-02-14T18:31:00Z", "", "Some words here");
	g_autofree char *b = lw_entry_hash_id("2023-02-14T18:31:00Z", "", "Some words here");
	g_autofree char *c = lw_entry_hash_id("2023-02-14T18:32:00Z", "", "Some words here");
	g_assert_cmpstr(a, ==, b);
	g_assert_cmpstr(a, !=, c);
	g_assert_true(g_str_has_prefix(a, "h-"));
	g_assert_cmpuint(strlen(a), ==, 18);
	g_autofree char *s = lw_entry_sanitize_id(a);
	g_assert_cmpstr(s, ==, a);
}

static void test_heading(void)
{
	struct lw_entry *e = mk("x", "A title", "Body text");
	g_autofree char *h1 = lw_entry_heading(e);
	g_assert_cmpstr(h1, ==, "A title");

	lw_entry_set(&e->title, "");
	g_autofree char *h2 = lw_entry_heading(e);
	g_assert_cmpstr(h2, ==, "Body text");

	lw_entry_set(&e->body, "");
	g_autofree char *h3 = lw_entry_heading(e);
	g_assert_cmpstr(h3, ==, "(no text)");

	lw_entry_set(&e->body, "First paragraph\nsecond one");
	g_autofree char *h4 = lw_entry_heading(e);
	g_assert_cmpstr(h4, ==, "First paragraph…");

	GString *lng = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append(lng, "word ");
	lw_entry_set(&e->body, lng->str);
	g_string_free(lng, TRUE);
	g_autofree char *h5 = lw_entry_heading(e);
	g_assert_true(g_str_has_suffix(h5, "…"));
	g_assert_cmpuint(strlen(h5), <=, 80 + strlen("…"));
	g_assert_true(g_utf8_validate(h5, -1, NULL));

	/* a long word of multibyte characters is cut on a character */
	GString *cyr = g_string_new(NULL);
	for (int i = 0; i < 100; i++)
		g_string_append(cyr, "ж");
	lw_entry_set(&e->body, cyr->str);
	g_string_free(cyr, TRUE);
	g_autofree char *h6 = lw_entry_heading(e);
	g_assert_true(g_utf8_validate(h6, -1, NULL));
	lw_entry_free(e);
}

static void test_content_differs(void)
{
	struct lw_entry *a = mk("x", "T", "B");
	struct lw_entry *b = lw_entry_dup(a);
	g_assert_false(lw_entry_content_differs(a, b));
	lw_entry_set(&b->updated, "2023-02-14T18:45:00Z");
	lw_entry_set(&b->author, "Someone");
	b->pinned = true;
	g_assert_false(lw_entry_content_differs(a, b));
	lw_entry_set(&b->body, "B2");
	g_assert_true(lw_entry_content_differs(a, b));
	lw_entry_set(&b->body, "B");
	lw_entry_set(&b->url, "https://example.org/#x");
	g_assert_true(lw_entry_content_differs(a, b));
	lw_entry_free(a);
	lw_entry_free(b);
}

static void test_word_count(void)
{
	struct lw_entry *e = mk("x", "", "one two  three\nfour\tfive ");
	g_assert_cmpint(lw_entry_word_count(e), ==, 5);
	lw_entry_set(&e->body, "");
	g_assert_cmpint(lw_entry_word_count(e), ==, 0);
	lw_entry_free(e);
}

static void test_snapshot(void)
{
	struct lw_snapshot *s = lw_snapshot_new();
	g_ptr_array_add(s->entries, mk("a", "A", ""));
	g_ptr_array_add(s->entries, mk("b", "B", ""));
	g_assert_cmpstr(lw_snapshot_find(s, "b")->title, ==, "B");
	g_assert_null(lw_snapshot_find(s, "c"));
	lw_snapshot_free(s);
	lw_snapshot_free(NULL);
}

/* ---- entry files ---- */

static void test_md_format(void)
{
	struct lw_entry *e = mk("block-1", "British national dies in Ukraine",
				"First paragraph.\n> A quote\n- a list item");
	lw_entry_set(&e->published, "2023-02-14T18:31:00Z");
	lw_entry_set(&e->url, "https://example.org/live#block-1");
	g_autofree char *md = lw_entry_to_md(e);
	g_assert_cmpstr(md, ==,
			"# British national dies in Ukraine\n"
			"\n"
			"- id: block-1\n"
			"- published: 2023-02-14T18:31:00Z\n"
			"- updated:\n"
			"- url: https://example.org/live#block-1\n"
			"\n"
			"First paragraph.\n"
			"\n"
			"> A quote\n"
			"\n"
			"- a list item\n");

	lw_entry_set(&e->author, "Jane Doe");
	e->pinned = true;
	e->key_event = true;
	lw_entry_set(&e->body, "");
	g_autofree char *md2 = lw_entry_to_md(e);
	g_assert_cmpstr(md2, ==,
			"# British national dies in Ukraine\n"
			"\n"
			"- id: block-1\n"
			"- published: 2023-02-14T18:31:00Z\n"
			"- updated:\n"
			"- url: https://example.org/live#block-1\n"
			"- author: Jane Doe\n"
			"- pinned: yes\n"
			"- key-event: yes\n");
	g_autoptr(GError) err = NULL;
	struct lw_entry *back = lw_entry_from_md(md2, strlen(md2), "x.md", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(back->author, ==, "Jane Doe");
	g_assert_true(back->pinned);
	g_assert_true(back->key_event);
	g_assert_cmpstr(back->body, ==, "");
	lw_entry_free(back);
	lw_entry_free(e);
}

static void check_round_trip(const struct lw_entry *e)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *md = lw_entry_to_md(e);
	g_assert_true(g_str_has_suffix(md, "\n"));
	/* exactly one final newline, unless the body ends in empty paragraphs */
	if (!g_str_has_suffix(e->body, "\n"))
		g_assert_false(g_str_has_suffix(md, "\n\n"));
	struct lw_entry *back = lw_entry_from_md(md, strlen(md), "rt.md", &err);
	g_assert_no_error(err);
	g_assert_nonnull(back);
	if (lw_entry_content_differs(e, back)) {
		g_test_message("entry file:\n%s", md);
		g_test_message("body in: '%s' out: '%s'", e->body, back->body);
		g_assert_not_reached();
	}
	g_assert_cmpstr(back->id, ==, e->id);
	g_assert_cmpstr(back->body, ==, e->body);
	g_assert_cmpstr(back->updated, ==, e->updated);
	g_assert_cmpstr(back->author, ==, e->author);
	g_assert_cmpint(back->pinned, ==, e->pinned);
	g_assert_cmpint(back->key_event, ==, e->key_event);
	g_autofree char *md2 = lw_entry_to_md(back);
	g_assert_cmpstr(md2, ==, md);
	lw_entry_free(back);
}

static void test_md_round_trip(void)
{
	static const char *const titles[] = {
		"", "# not a heading", "- id: evil", "two\nlines", "cr\rhere",
		"  leading spaces", "trailing  ", "back\\slash \\n not a newline", "Бахмут – «live»",
		"\\", "ends in backslash\\",
	};
	static const char *const bodies[] = {
		"", "one", "one\ntwo", "\n", "\nleading empty", "trailing empty\n",
		"a\n\n\nb", "- id: fake\n- url: x", "# heading-like\n\n# again",
		"  indented\n\tTab", "cr\r\nlf", "\\n literal", "> quote\n- item",
		"Chișinău\nキーウ",
	};
	for (gsize t = 0; t < G_N_ELEMENTS(titles); t++) {
		for (gsize b = 0; b < G_N_ELEMENTS(bodies); b++) {
			struct lw_entry *e = mk("id-1", titles[t], bodies[b]);
			lw_entry_set(&e->published, t % 2 ? "2023-02-14T18:31:00Z" : "");
			lw_entry_set(&e->url, "https://example.org/a b\nc");
			lw_entry_set(&e->author, b % 3 ? "" : "A. Writer\\x");
			e->pinned = b % 2;
			check_round_trip(e);
			lw_entry_free(e);
		}
	}
}

/* Random entries made of the characters that matter to the format. */
static void test_md_round_trip_random(void)
{
	static const char *const atoms[] = {
		"a", "word", " ", "  ", "\n", "\n\n", "\r", "#", "# ", "- ", "- id: ", ":",
		"\\", "\\n", "é", "ж", "…", "\t", ".md", "[", "]",
	};
	for (int round = 0; round < 2000; round++) {
		struct lw_entry *e = lw_entry_new();
		lw_entry_set(&e->id, "r");
		char **fields[] = { &e->title, &e->body, &e->published, &e->url, &e->author };
		for (gsize f = 0; f < G_N_ELEMENTS(fields); f++) {
			GString *s = g_string_new(NULL);
			int n = g_test_rand_int_range(0, 8);
			for (int i = 0; i < n; i++)
				g_string_append(s, atoms[g_test_rand_int_range(0, G_N_ELEMENTS(atoms))]);
			lw_entry_set(fields[f], s->str);
			g_string_free(s, TRUE);
		}
		e->pinned = g_test_rand_bit();
		e->key_event = g_test_rand_bit();
		check_round_trip(e);
		lw_entry_free(e);
	}
}

static void expect_error(const char *text, gssize len, const char *want)
{
	g_autoptr(GError) err = NULL;
	gsize n = len < 0 ? strlen(text) : (gsize)len;
	struct lw_entry *e = lw_entry_from_md(text, n, "blog/entries/x.md", &err);
	g_assert_null(e);
	g_assert_error(err, LW_ERROR, LW_ERROR_PARSE);
	g_assert_true(g_str_has_prefix(err->message, "blog/entries/x.md: "));
	if (!strstr(err->message, want)) {
		g_test_message("got '%s', want '%s'", err->message, want);
		g_assert_not_reached();
	}
}

static void test_md_malformed(void)
{
	expect_error("", -1, "line 1: expected '# heading'");
	expect_error("no heading\n", -1, "line 1:");
	expect_error("#nospace\n\n- id: x\n", -1, "line 1:");
	expect_error("# T\n- id: x\n", -1, "line 2: expected a blank line");
	expect_error("# T\n\nid: x\n", -1, "line 3: expected '- key: value'");
	expect_error("# T\n\n- id x\n", -1, "line 3:");
	expect_error("# T\n\n- url: x\n", -1, "no '- id:' line");
	expect_error("# T\n\n- id: x\n- url: bad \\q escape\n", -1, "line 4: unknown escape");
	expect_error("# T\\\n\n- id: x\n", -1, "line 1: backslash at end of line");
	expect_error("# T\n\n- id: x\n- pinned: maybe\n", -1, "line 4: pinned");
	expect_error("# T\n\n- id: x\n\nbo\0dy\n", 17, "NUL");
	expect_error("# T\n\n- id: \xff\xfe\n", -1, "UTF-8");
	g_autoptr(GError) err = NULL;
	g_assert_null(lw_entry_from_md("junk", 4, NULL, &err));
	g_assert_nonnull(err);
}

static void test_md_lenient(void)
{
	g_autoptr(GError) err = NULL;
	/* a person's editor: CRLF in the header, unknown keys, no final
	 * newline, a single newline between paragraphs */
	const char *text = "# Title\r\n\r\n- id: x\r\n- future-key: 1\r\n- url: u\r\n\r\npara one\npara two";
	struct lw_entry *e = lw_entry_from_md(text, strlen(text), "x.md", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(e->title, ==, "Title");
	g_assert_cmpstr(e->url, ==, "u");
	g_assert_cmpstr(e->body, ==, "para one\npara two");
	lw_entry_free(e);

	const char *nobody = "# T\n\n- id: y\n- updated:\n";
	e = lw_entry_from_md(nobody, strlen(nobody), "y.md", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(e->updated, ==, "");
	g_assert_cmpstr(e->body, ==, "");
	lw_entry_free(e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/entry/new-dup", test_new_dup);
	g_test_add_func("/entry/sanitize-id", test_sanitize_id);
	g_test_add_func("/entry/hash-id", test_hash_id);
	g_test_add_func("/entry/heading", test_heading);
	g_test_add_func("/entry/content-differs", test_content_differs);
	g_test_add_func("/entry/word-count", test_word_count);
	g_test_add_func("/entry/snapshot", test_snapshot);
	g_test_add_func("/entry-md/format", test_md_format);
	g_test_add_func("/entry-md/round-trip", test_md_round_trip);
	g_test_add_func("/entry-md/round-trip-random", test_md_round_trip_random);
	g_test_add_func("/entry-md/malformed", test_md_malformed);
	g_test_add_func("/entry-md/lenient", test_md_lenient);
	return g_test_run();
}
