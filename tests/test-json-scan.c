/* Tests for src/json-scan.c: the bounded parse and the tree-less scanner
 * (tests/fuzz/fuzz-json.c checks the scanner against json-glib on
 * random input). */
#include <string.h>
#include <glib.h>

#include "json-scan.h"
#include "charset.h"

static void test_find_string(void)
{
	static const struct { const char *text, *key, *want; } cases[] = {
		{ "{\"headline\": \"Live: the vote\"}", "headline", "Live: the vote" },
		{ "{\"headline\"\n\t:\r \"a\"}", "headline", "a" },
		{ "{\"h\":\"caf\\u00e9 \\\"x\\\"\"}", "h", "caf\xc3\xa9 \"x\"" },
		/* the first "key" anywhere, at any depth */
		{ "{\"a\":{\"k\":\"inner\"},\"k\":\"outer\"}", "k", "inner" },
		/* the first one is not a string: no answer, no search further */
		{ "{\"k\":1,\"b\":{\"k\":\"later\"}}", "k", NULL },
		{ "{\"k\" \"no colon\"}", "k", NULL },
		{ "{\"k\":\"unterminated}", "k", NULL },
		{ "{\"other\":\"x\"}", "k", NULL },
		{ "{\"k\":", "k", NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s", cases[i].text);
		g_autofree char *got = lw_json_find_string(cases[i].text, cases[i].key, 4096);
		g_assert_cmpstr(got, ==, cases[i].want);
	}

	/* a value of exactly max_bytes is read, one byte more is not */
	g_autofree char *fits = lw_json_find_string("{\"k\":\"abcd\"}", "k", 4);
	g_assert_cmpstr(fits, ==, "abcd");
	g_autofree char *over = lw_json_find_string("{\"k\":\"abcde\"}", "k", 4);
	g_assert_null(over);
}

/* Reads {"items":[{"id":…},…]} the way the Guardian's carousel is read. */
static void test_walk(void)
{
	const char *text = "{ \"skip\": [1, {\"x\": [true, null]}, \"s\\\"]\"],"
	                   " \"items\" : [ {\"id\": \"a1\", \"n\": -1.5e3}, 7, {\"id\": \"b\\u0032\"} ] }";
	const char *pos = text, *end = text + strlen(text), *key;
	gsize key_len;
	bool done;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	while (lw_json_next_member(&pos, end, &key, &key_len, &done)) {
		if (key_len != 5 || memcmp(key, "items", 5) != 0) {
			g_assert_true(lw_json_skip(&pos, end));
			continue;
		}
		bool items_done;
		while (lw_json_next_element(&pos, end, &items_done)) {
			if (*pos != '{') {
				g_assert_true(lw_json_skip(&pos, end));
				continue;
			}
			bool obj_done;
			while (lw_json_next_member(&pos, end, &key, &key_len, &obj_done)) {
				if (key_len == 2 && memcmp(key, "id", 2) == 0)
					g_ptr_array_add(ids, lw_json_string(&pos, end));
				else
					g_assert_true(lw_json_skip(&pos, end));
			}
			g_assert_true(obj_done);
		}
		g_assert_true(items_done);
	}
	g_assert_true(done);
	g_assert_true(lw_json_ws(pos, end) == end);
	g_assert_cmpuint(ids->len, ==, 2);
	g_assert_cmpstr(ids->pdata[0], ==, "a1");
	g_assert_cmpstr(ids->pdata[1], ==, "b2");

	/* cut short or unbalanced: false, and never past the end */
	static const char *const bad[] = { "", "{", "[1,", "{\"a\": [}", "]", ",", "\"open" };
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *p = bad[i], *e = bad[i] + strlen(bad[i]);
		g_assert_false(lw_json_skip(&p, e));
		g_assert_true(p >= bad[i] && p <= e);
	}
}

static void test_parse_bounded(void)
{
	JsonNode *n = lw_json_parse_bounded("[[[\"]]]]]\"]]]", 13, 3, 100);
	g_assert_nonnull(n); /* brackets inside a string do not count */
	json_node_unref(n);
	g_assert_null(lw_json_parse_bounded("[[[[1]]]]", 9, 3, 100));
	g_assert_null(lw_json_parse_bounded("[1,2,3]", 7, 3, 6));
	n = lw_json_parse_bounded("[1,2,3]", 7, 3, 7);
	g_assert_nonnull(n);
	json_node_unref(n);
	g_assert_null(lw_json_parse_bounded("{\"a\":", 5, 3, 100));
}

/* The strict builder gives json-glib's own tree, and what it will not
 * read goes to json-glib: the same tree (as text) either way. */
static void test_same_tree_as_json_glib(void)
{
	static const char *const texts[] = {
		"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		"[1, -2, 3.5, -0, 0.25e2, 1E-3, 12345678901234]",
		"{\"s\":\"q\\\"uote \\\\ back \\/ slash \\b\\f\\n\\r\\t\"}",
		"{\"u\":\"\\u00e9t\\u00e9 \\u20ac \\ud83d\\ude00 \u00e9t\u00e9\"}",
		"{\"dup\":1,\"dup\":2,\"x\":{}}",
		"  [ [], {}, \"\" , [[[]]] ]  ",
		"{\"@graph\":[{\"@type\":\"LiveBlogPosting\",\"liveBlogUpdate\":[{\"headline\":\"h\","
		"\"articleBody\":\"<p>a &amp; b<\\/p>\"}]}]}",
		/* not strict JSON: json-glib's call */
		"{\"raw\":\"line one\nline two\"}",
		"var x = {\"a\": 1};",
		"{\"lone\":\"\\ud800\"}",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		JsonNode *ours = lw_json_parse_bounded(texts[i], strlen(texts[i]), 64, 1 << 20);
		g_autoptr(JsonParser) parser = json_parser_new();
		gboolean ok = json_parser_load_from_data(parser, texts[i], -1, NULL);
		JsonNode *theirs = ok ? json_parser_get_root(parser) : NULL;
		g_assert_cmpint(ours != NULL, ==, theirs != NULL);
		if (ours) {
			g_autofree char *a = json_to_string(ours, FALSE);
			g_autofree char *b = json_to_string(theirs, FALSE);
			g_assert_cmpstr(a, ==, b);
			json_node_unref(ours);
		}
	}
	/* too deep for the builder: not handed to json-glib either */
	GString *deep = g_string_new(NULL);
	for (int i = 0; i < 70; i++)
		g_string_append_c(deep, '[');
	for (int i = 0; i < 70; i++)
		g_string_append_c(deep, ']');
	g_assert_null(lw_json_parse_bounded(deep->str, deep->len, 64, 1 << 20));
	g_string_free(deep, TRUE);
	JsonNode *shallow = lw_json_parse_bounded("[[1]]", 5, 2, 1 << 20);
	g_assert_nonnull(shallow);
	json_node_unref(shallow);
	g_assert_null(lw_json_parse_bounded("[[[1]]]", 7, 2, 1 << 20));
}

/* The fast UTF-8 check says what GLib says. */
static void test_valid_utf8(void)
{
	static const char *const fixed[] = {
		"", "plain ascii text of some length", "caf\xc3\xa9 \xe2\x80\x9c\xe2\x80\x9d",
		"\xf0\x9f\x98\x80 emoji", "bad \xc3 cut", "\xed\xa0\x80 surrogate",
		"\xc0\xaf overlong", "\xf4\x90\x80\x80 too big", "\xff",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_assert_cmpint(lw_charset_valid_utf8(fixed[i], strlen(fixed[i])), ==,
		                g_utf8_validate_len(fixed[i], strlen(fixed[i]), NULL));
	/* a NUL anywhere, in an ASCII run or not */
	g_assert_false(lw_charset_valid_utf8("abcdefgh\0ijklmnop", 17));
	g_assert_false(lw_charset_valid_utf8("abc\0", 4));
	GRand *rand = g_rand_new_with_seed(11);
	char buf[64];
	for (int round = 0; round < 20000; round++) {
		gsize len = (gsize)g_rand_int_range(rand, 0, sizeof(buf));
		for (gsize k = 0; k < len; k++) {
			guint32 r = g_rand_int(rand);
			/* mostly ASCII, some high bytes, now and then a NUL */
			buf[k] = (char)(r % 16 == 0 ? 0x80 + (r >> 8) % 0x80 : r % 97 == 0 ? 0 :
			                0x20 + (r >> 8) % 0x5f);
		}
		g_assert_cmpint(lw_charset_valid_utf8(buf, len), ==, g_utf8_validate_len(buf, len, NULL));
	}
	g_rand_free(rand);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/json-scan/find-string", test_find_string);
	g_test_add_func("/json-scan/walk", test_walk);
	g_test_add_func("/json-scan/parse-bounded", test_parse_bounded);
	g_test_add_func("/json-scan/same-tree", test_same_tree_as_json_glib);
	g_test_add_func("/json-scan/valid-utf8", test_valid_utf8);
	return g_test_run();
}
