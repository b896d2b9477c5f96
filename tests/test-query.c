#include "error.h"
#include "query.h"
#include "words.h"

#include <string.h>

/* ---- words ---- */

static void test_words_split(void)
{
	const char *text = "Norway’s Leopard-2 tanks; don't 'quote' Бахмут!";
	g_autoptr(GArray) w = lw_words_split(text, -1);
	const char *want[] = { "norway's", "leopard", "2", "tanks", "don't", "quote", "бахмут" };
	g_assert_cmpuint(w->len, ==, G_N_ELEMENTS(want));
	for (guint i = 0; i < w->len; i++) {
		struct lw_word *x = &g_array_index(w, struct lw_word, i);
		g_assert_cmpstr(x->fold, ==, want[i]);
	}
	struct lw_word *first = &g_array_index(w, struct lw_word, 0);
	g_assert_cmpuint(first->offset, ==, 0);
	g_assert_cmpuint(first->length, ==, strlen("Norway’s"));
	g_assert_cmpuint(first->base_len, ==, 6);
	struct lw_word *q = &g_array_index(w, struct lw_word, 5);
	g_assert_cmpint(strncmp(text + q->offset, "quote'", 6), ==, 0);
	g_assert_cmpuint(q->length, ==, 5);

	g_autoptr(GArray) none = lw_words_split("  -- ... ", -1);
	g_assert_cmpuint(none->len, ==, 0);
	g_autoptr(GArray) nul = lw_words_split(NULL, -1);
	g_assert_cmpuint(nul->len, ==, 0);
	/* invalid UTF-8 stops the split, it does not crash */
	g_autoptr(GArray) bad = lw_words_split("ok \xff\xfe more", -1);
	g_assert_cmpuint(bad->len, ==, 1);
}

static void test_words_fold(void)
{
	struct { const char *in, *out; } rows[] = {
		{ "Chișinău", "chisinau" },
		{ "Chişinău", "chisinau" },
		{ "KYIV", "kyiv" },
		{ "Straße", "strasse" },
		{ "Бахмут", "бахмут" },
		{ "БАХМУТ", "бахмут" },
		{ "Łódź", "lodz" },
		{ "Zaporizhzhia’s", "zaporizhzhia's" },
		{ "Ærø", "aero" },
		{ "İstanbul", "istanbul" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *f = lw_word_fold(rows[i].in, -1);
		g_assert_cmpstr(f, ==, rows[i].out);
	}
	g_assert_cmpuint(lw_word_base_len("leopard's"), ==, 7);
	g_assert_cmpuint(lw_word_base_len("s"), ==, 1);
	g_assert_cmpuint(lw_word_base_len("'s"), ==, 2);
}

static void test_words_distance(void)
{
	struct { const char *a, *b; guint d; } rows[] = {
		{ "bakhmut", "bahkmut", 1 },   /* transposition */
		{ "bakhmut", "bakmut", 1 },    /* deletion */
		{ "bakhmut", "bakhhmut", 1 },  /* insertion */
		{ "bakhmut", "bakhmat", 1 },   /* substitution */
		{ "bakhmut", "bkahmtu", 2 },
		{ "bakhmut", "kyiv", 2 },      /* limit + 1 */
		{ "", "", 0 },
		{ "бахмут", "бахмтуы", 2 },
	};
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		glong al, bl;
		g_autofree gunichar *a = g_utf8_to_ucs4_fast(rows[i].a, -1, &al);
		g_autofree gunichar *b = g_utf8_to_ucs4_fast(rows[i].b, -1, &bl);
		g_assert_cmpuint(lw_word_distance(a, al, b, bl, 1), ==, rows[i].d);
	}
}

/* ---- matching ---- */

struct row {
	const char *query, *title, *body;
	bool match;
	const char *terms;   /* matched terms joined with '|', NULL = don't check */
};

static const struct row rows[] = {
	/* case and accents */
	{ "Chisinau", "", "Talks in Chișinău today", true, "Chișinău" },
	{ "Chișinău", "", "CHISINAU airport", true, "CHISINAU" },
	{ "KYIV", "", "Kyiv says", true, "Kyiv" },
	{ "kyiv", "", "Kyivan", false, NULL },
	{ "strasse", "", "Die Straße", true, "Straße" },
	/* plurals and possessives, whole words only */
	{ "Leopard", "", "Leopards are coming", true, "Leopards" },
	{ "Leopard", "", "Germany's Leopard's engine", true, "Leopard's" },
	{ "Leopard", "", "the Leopards’ crews", true, "Leopards" },
	{ "Leopard", "", "races at Leopardstown", false, NULL },
	{ "Leopard -Leopardstown", "", "Leopard at Leopardstown", false, NULL },
	{ "Leopard -Leopardstown", "", "Leopard tanks", true, "Leopard" },
	{ "tank", "", "two tanks", true, "tanks" },
	{ "bus", "", "three buses", true, "buses" },
	{ "news", "", "a new thing", false, NULL },
	{ "Kyiv", "", "Kyivs", true, "Kyivs" },
	{ "Leopard's", "", "a Leopard", true, "Leopard" },
	/* -ies, -ves, -men and irregular plurals, both ways */
	{ "casualty", "", "heavy casualties", true, "casualties" },
	{ "casualties", "", "one casualty", true, "casualty" },
	{ "ally", "", "Ukraine's allies", true, "allies" },
	{ "country", "", "many countries", true, "countries" },
	{ "day", "", "two days", true, "days" },
	{ "casualty", "", "casual talk", false, NULL },
	{ "church", "", "two churches", true, "churches" },
	{ "box", "", "ballot boxes", true, "boxes" },
	{ "wolf", "", "grey wolves", true, "wolves" },
	{ "knife", "", "knives drawn", true, "knives" },
	{ "knives", "", "a knife", true, "knife" },
	{ "bookshelf", "", "the bookshelves", true, "bookshelves" },
	{ "belief", "", "he believes", false, NULL },
	{ "chief", "", "army chiefs", true, "chiefs" },
	{ "serviceman", "", "two servicemen", true, "servicemen" },
	{ "woman", "", "women and children", true, "women" },
	{ "child", "", "women and children", true, "children" },
	{ "people", "", "one person", true, "person" },
	/* phrases */
	{ "\"Leopard 2\"", "", "eight Leopard 2 tanks", true, "Leopard 2" },
	{ "\"Leopard 2\"", "", "eight Leopard-2 tanks", true, "Leopard-2" },
	{ "\"Leopard 2\"", "", "Leopard, 2 tanks", true, "Leopard, 2" },
	{ "\"Leopard 2\"", "", "2 Leopard tanks", false, NULL },
	{ "\"Leopard 2\"", "", "Leopard 1A5", false, NULL },
	{ "F-16", "", "F-16 jets", true, "F-16" },
	{ "F-16", "", "F 16 jets", true, "F 16" },
	{ "F-16", "", "16 F jets", false, NULL },
	/* boolean logic and precedence */
	{ "a OR b AND c", "", "a", true, "a" },
	{ "a OR b AND c", "", "b", false, NULL },
	{ "a OR b AND c", "", "b c", true, "b|c" },
	{ "(a OR b) AND c", "", "a", false, NULL },
	{ "(a OR b) AND c", "", "c a", true, "c|a" },
	{ "a b", "", "a x b", true, "a|b" },
	{ "a b", "", "a x", false, NULL },
	{ "a AND b", "", "b a", true, "b|a" },
	{ "a OR b", "", "b a", true, "b|a" },
	{ "a and b", "", "a", false, NULL },          /* lowercase "and" is a word */
	{ "a and b", "", "a and b", true, "a|and|b" },
	{ "a or b", "", "a b", false, NULL },
	{ "NOT (a OR b) c", "", "c", true, "c" },
	{ "NOT (a OR b) c", "", "c b", false, NULL },
	{ "c NOT a NOT b", "", "c", true, "c" },
	{ "c -a", "", "c A", false, NULL },
	{ "c -(a b)", "", "c a", true, "c" },
	{ "c -(a b)", "", "c a b", false, NULL },
	{ "c NOT NOT a", "", "c a", true, "c" },
	{ "x OR (c NOT a)", "", "c a x", true, "x" },  /* negated terms never count */
	/* prefix */
	{ "Ukrain*", "", "Ukrainian forces", true, "Ukrainian" },
	{ "Ukrain*", "", "Ukraine", true, "Ukraine" },
	{ "Ukrain*", "", "Ukrai", false, NULL },
	{ "Zapor*", "", "Zaporizhzhia", true, "Zaporizhzhia" },
	{ "бахм*", "", "Бахмуте", true, "Бахмуте" },
	/* typo */
	{ "Bakhmut~", "", "near Bahkmut", true, "Bahkmut" },
	{ "Bahkmut~", "", "near Bakhmut", true, "Bakhmut" },
	{ "Bakhmut~", "", "near Bakhmut's", true, "Bakhmut's" },
	{ "Bakhmut~", "", "near Bkahmtu", false, NULL },
	{ "Bakhmut", "", "near Bahkmut", false, NULL },
	{ "Kyiv~", "", "Kiev", false, NULL },           /* distance 2 */
	{ "Kyiv~", "", "Kyyiv", true, "Kyyiv" },
	/* NEAR */
	{ "Leopard NEAR/8 (tank OR tanks OR \"Leopard 2\")", "",
	  "Norway to send eight Leopard 2 tanks", true, "Leopard 2|tanks" },
	{ "Leopard NEAR/2 tank", "", "Leopard one two tank", true, "Leopard|tank" },
	{ "Leopard NEAR/1 tank", "", "Leopard one two tank", false, NULL },
	{ "Leopard NEAR/2 tank", "", "tank one two Leopard", true, "tank|Leopard" },
	{ "Leopard NEAR/0 tank", "", "Leopard tank", true, NULL },
	{ "Leopard NEAR/0 tank", "Leopard", "tank", false, NULL },  /* not across fields */
	{ "Leopard NEAR/3 tank", "",
	  "a Leopard here. Many many words in between the two terms now, tank", false, NULL },
	{ "a NEAR/1 b NEAR/1 c", "", "a b c", true, "a|b|c" },
	{ "a NEAR/1 b NEAR/1 c", "", "a b x x x c", false, NULL },
	{ "/ta.ks/ NEAR/1 Leopard", "", "Leopard tanks", true, "Leopard|tanks" },
	/* fields */
	{ "title:Bakhmut", "Bakhmut latest", "", true, "Bakhmut" },
	{ "title:Bakhmut", "latest", "Bakhmut", false, NULL },
	{ "body:Bakhmut", "Bakhmut", "latest", false, NULL },
	{ "body:(Bakhmut OR Soledar)", "x", "Soledar fell", true, "Soledar" },
	{ "title:\"Leopard 2\"", "Leopard 2 news", "", true, "Leopard 2" },
	{ "Bakhmut", "Bakhmut", "Bakhmut", true, "Bakhmut" },
	{ "title:x body:y", "x", "y", true, "x|y" },
	{ "TITLE:x", "x", "", true, "x" },
	/* regex */
	{ "/\\bLeopard ?[12]\\b/", "", "the LEOPARD2 tank", true, "LEOPARD2" },
	{ "/\\d+ tanks/", "", "send 14 tanks", true, "14 tanks" },
	{ "/zz/", "", "buzz", true, "zz" },          /* raw text: no word boundaries */
	{ "/a\\/b/", "", "either a/b", true, "a/b" },
	{ "/x*/", "", "nothing here", false, NULL },  /* empty matches do not count */
	/* Cyrillic */
	{ "Бахмут", "", "Бои под БАХМУТОМ и Бахмут", true, "Бахмут" },
	{ "бахмут", "", "Бахмут", true, "Бахмут" },
	{ "Bakhmut~ OR Artemivsk OR Бахмут", "", "Бахмут", true, "Бахмут" },
	/* terms: deduplicated, in text order, title first, nested hits folded */
	{ "b OR a", "a", "b a a b", true, "a|b" },
	{ "Bakhmut", "", "Bakhmut, BAKHMUT, Bakhmut", true, "Bakhmut|BAKHMUT" },
};

static char *join_terms(const struct lw_match *m)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < m->terms->len; i++) {
		if (i)
			g_string_append_c(s, '|');
		g_string_append(s, m->terms->pdata[i]);
	}
	return g_string_free(s, FALSE);
}

static void test_match_table(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		const struct row *r = &rows[i];
		g_autoptr(GError) err = NULL;
		struct lw_query *q = lw_query_parse(r->query, &err);
		if (!q)
			g_error("row %u: %s: %s", i, r->query, err->message);
		struct lw_doc *d = lw_doc_new(r->title, r->body);
		struct lw_match m;
		lw_match_init(&m);
		bool got = lw_query_eval(q, d, &m);
		if (got != r->match)
			g_error("row %u: query %s on '%s'/'%s': got %d", i, r->query, r->title, r->body,
			        got);
		/* evaluation without a match collector agrees */
		g_assert_cmpint(lw_query_eval(q, d, NULL), ==, got);
		if (got) {
			g_assert_nonnull(m.field);
			g_assert_cmpuint(m.terms->len, >, 0);
		} else {
			g_assert_null(m.field);
			g_assert_cmpuint(m.terms->len, ==, 0);
		}
		if (r->terms) {
			g_autofree char *t = join_terms(&m);
			if (strcmp(t, r->terms) != 0)
				g_error("row %u: query %s: terms '%s', expected '%s'", i, r->query, t,
				        r->terms);
		}
		lw_match_clear(&m);
		lw_doc_free(d);
		lw_query_free(q);
	}
}

static void test_snippet(void)
{
	const char *body = "First line.\nTroops near Бахмут said Bakhmut's defence holds";
	struct lw_query *q = lw_query_parse("Бахмут OR Bakhmut -Soledar", NULL);
	g_assert_nonnull(q);
	struct lw_doc *d = lw_doc_new("Ukraine live", body);
	struct lw_match m;
	lw_match_init(&m);
	g_assert_true(lw_query_eval(q, d, &m));
	g_assert_cmpstr(m.field, ==, "body");
	g_assert_cmpuint(m.offset, ==, strlen("First line.\nTroops near "));
	g_assert_cmpuint(m.length, ==, strlen("Бахмут"));
	g_assert_cmpint(memcmp(body + m.offset, "Бахмут", m.length), ==, 0);
	g_assert_cmpuint(m.terms->len, ==, 2);
	g_assert_cmpstr(m.terms->pdata[1], ==, "Bakhmut's");

	/* reusing the match: the earlier hit is gone; title comes first */
	struct lw_query *q2 = lw_query_parse("live AND defence", NULL);
	g_assert_true(lw_query_eval(q2, d, &m));
	g_assert_cmpstr(m.field, ==, "title");
	g_assert_cmpuint(m.offset, ==, 8);
	g_assert_cmpuint(m.length, ==, 4);
	g_assert_cmpuint(m.terms->len, ==, 2);

	/* a failed evaluation leaves the match empty */
	struct lw_query *q3 = lw_query_parse("Soledar", NULL);
	g_assert_false(lw_query_eval(q3, d, &m));
	g_assert_null(m.field);
	g_assert_cmpuint(m.terms->len, ==, 0);

	/* a phrase hit spans its words */
	struct lw_doc *d2 = lw_doc_new(NULL, "Norway to send eight Leopard 2 tanks");
	struct lw_query *q4 = lw_query_parse("\"leopard 2\" tanks", NULL);
	g_assert_true(lw_query_eval(q4, d2, &m));
	g_assert_cmpuint(m.offset, ==, 21);
	g_assert_cmpuint(m.length, ==, 9);

	lw_match_clear(&m);
	lw_match_clear(&m);  /* twice is fine */
	lw_query_free(q);
	lw_query_free(q2);
	lw_query_free(q3);
	lw_query_free(q4);
	lw_doc_free(d);
	lw_doc_free(d2);
	lw_query_free(NULL);
	lw_doc_free(NULL);
}

static void test_invalid_text(void)
{
	/* documents are repaired, not rejected */
	struct lw_doc *d = lw_doc_new("\xff\xfe title", "Bakh\xc3mut Bakhmut");
	struct lw_query *q = lw_query_parse("title OR Bakhmut", NULL);
	struct lw_match m;
	lw_match_init(&m);
	g_assert_true(lw_query_eval(q, d, &m));
	for (guint i = 0; i < m.terms->len; i++)
		g_assert_true(g_utf8_validate(m.terms->pdata[i], -1, NULL));
	lw_match_clear(&m);
	lw_query_free(q);
	lw_doc_free(d);
}

/* ---- canonical form ---- */

static void test_to_string(void)
{
	struct { const char *in, *out; } rows2[] = {
		{ "Leopard AND (tank OR tanks)", "(AND \"leopard\" (OR \"tank\" \"tanks\"))" },
		{ "Leopard (tank OR tanks)", "(AND \"leopard\" (OR \"tank\" \"tanks\"))" },
		{ "a b c", "(AND \"a\" \"b\" \"c\")" },
		{ "a OR b OR c", "(OR \"a\" \"b\" \"c\")" },
		{ "a OR b c", "(OR \"a\" (AND \"b\" \"c\"))" },
		{ "(a OR b) (c OR d)", "(AND (OR \"a\" \"b\") (OR \"c\" \"d\"))" },
		{ "a (b c)", "(AND \"a\" \"b\" \"c\")" },
		{ "Leopard -Leopardstown", "(AND \"leopard\" (NOT \"leopardstown\"))" },
		{ "x NOT (a OR b)", "(AND \"x\" (NOT (OR \"a\" \"b\")))" },
		{ "\"Leopard 2\"", "(PHRASE \"leopard\" \"2\")" },
		{ "F-16", "(PHRASE \"f\" \"16\")" },
		{ "Ukrain*", "\"ukrain\"*" },
		{ "Bahkmut~", "\"bahkmut\"~" },
		{ "Leopard NEAR/8 (tank OR \"Leopard 2\")",
		  "(NEAR/8 \"leopard\" (OR \"tank\" (PHRASE \"leopard\" \"2\")))" },
		{ "a NEAR/1 b c", "(AND (NEAR/1 \"a\" \"b\") \"c\")" },
		{ "title:Bakhmut body:(a OR b)", "(AND (title \"bakhmut\") (body (OR \"a\" \"b\")))" },
		{ "/Leo(pard)?/", "/Leo(pard)?/" },
		{ "Chișinău’s", "\"chisinau's\"" },
		{ "БАХМУТ", "\"бахмут\"" },
		{ "a and b", "(AND \"a\" \"and\" \"b\")" },
		{ "  x  ", "\"x\"" },
		{ "10:30", "(PHRASE \"10\" \"30\")" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(rows2); i++) {
		g_autoptr(GError) err = NULL;
		struct lw_query *q = lw_query_parse(rows2[i].in, &err);
		g_assert_no_error(err);
		g_autofree char *s = lw_query_to_string(q);
		g_assert_cmpstr(s, ==, rows2[i].out);
		lw_query_free(q);
	}
}

/* ---- errors ---- */

static void test_errors(void)
{
	struct { const char *in, *msg; } rows2[] = {
		{ "", "column 1: empty query" },
		{ "   ", "column 1: empty query" },
		{ "(Bakhmut OR Soledar", "column 20: expected ')'" },
		{ "Bakhmut OR Soledar)", "column 19: unexpected ')'" },
		{ "(a OR b) c)", "column 11: unexpected ')'" },
		{ ")", "column 1: unexpected ')'" },
		{ "()", "column 1: empty parentheses" },
		{ "a AND", "column 3: 'AND' without a term after it" },
		{ "a OR", "column 3: 'OR' without a term after it" },
		{ "OR a", "column 1: 'OR' without a term before it" },
		{ "a OR OR b", "column 3: 'OR' without a term after it" },
		{ "a (OR b)", "column 4: 'OR' without a term before it" },
		{ "a NOT", "column 3: 'NOT' without a term after it" },
		{ "a - b", "column 3: '-' must be directly followed by a term" },
		{ "\"Leopard 2", "column 1: unterminated phrase" },
		{ "a \"\"", "column 3: empty phrase" },
		{ "/Leo(/", "column 1: bad regex: " },  /* GLib's message follows */
		{ "a /Leo", "column 3: unterminated regex" },
		{ "/Leo/i", "column 6: expected a space after the regex" },
		{ "a //", "column 3: empty regex" },
		{ "a NEAR b", "column 3: NEAR needs a distance, as in NEAR/5" },
		{ "a NEAR/x b", "column 3: NEAR needs a distance, as in NEAR/5" },
		{ "a NEAR/5x b", "column 3: NEAR needs a distance, as in NEAR/5" },
		{ "a NEAR/5000 b", "column 3: NEAR distance above 1000" },
		{ "a NEAR/3", "column 3: 'NEAR/3' without a term after it" },
		{ "a NEAR/3 -b", "column 3: 'NEAR/3' needs a positive term on each side" },
		{ "NOT a", "column 1: query matches only by absence; add a word it must contain" },
		{ "-a -b", "column 1: query matches only by absence; add a word it must contain" },
		{ "a OR -b", "column 1: query matches only by absence; add a word it must contain" },
		{ "bus~", "column 1: 'bus~': typo matching needs a word of at least 4 letters" },
		{ "F-16*", "column 1: 'F-16*': '*' needs a single word" },
		{ "Leo*pard", "column 1: '*' and '~' go only at the end of a word: 'Leo*pard'" },
		{ "a ***", "column 3: '*' and '~' go only at the end of a word: '***'" },
		{ "a —", "column 3: '—' has no letters or digits" },
		{ "Бахмут )", "column 8: unexpected ')'" },   /* columns count characters */
		{ "title: x", "column 1: expected a term right after 'title:'" },
		{ "a title:", "column 3: expected a term right after 'title:'" },
		{ "title:-x", "column 1: 'title:' must be followed by a word, phrase, regex or '('" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(rows2); i++) {
		g_autoptr(GError) err = NULL;
		struct lw_query *q = lw_query_parse(rows2[i].in, &err);
		if (q)
			g_error("row %u: '%s' parsed", i, rows2[i].in);
		g_assert_error(err, LW_ERROR, LW_ERROR_QUERY);
		if (!g_str_has_prefix(err->message, rows2[i].msg) ||
		    (!g_str_has_suffix(rows2[i].msg, ": ") && strcmp(err->message, rows2[i].msg) != 0))
			g_error("row %u: '%s': got '%s', expected '%s'", i, rows2[i].in, err->message,
			        rows2[i].msg);
	}
}

static void test_limits(void)
{
	g_autoptr(GError) err = NULL;
	/* 64 levels of parentheses are fine, 65 are not */
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 64; i++)
		g_string_append_c(s, '(');
	g_string_append(s, "a");
	for (int i = 0; i < 64; i++)
		g_string_append_c(s, ')');
	struct lw_query *q = lw_query_parse(s->str, &err);
	g_assert_no_error(err);
	lw_query_free(q);
	g_string_prepend_c(s, '(');
	g_string_append_c(s, ')');
	q = lw_query_parse(s->str, &err);
	g_assert_null(q);
	g_assert_error(err, LW_ERROR, LW_ERROR_QUERY);
	g_assert_cmpstr(err->message, ==, "column 65: nested deeper than 64");
	g_clear_error(&err);
	g_string_free(s, TRUE);

	/* NOT chains count too: a deep chain must not blow the stack */
	s = g_string_new("a");
	for (int i = 0; i < 900; i++)
		g_string_append(s, " NOT");
	g_string_append(s, " b");
	q = lw_query_parse(s->str, &err);
	g_assert_null(q);
	g_assert_error(err, LW_ERROR, LW_ERROR_QUERY);
	g_assert_cmpstr(err->message, ==, "column 259: nested deeper than 64");
	g_clear_error(&err);
	g_string_free(s, TRUE);

	/* fields do not stack */
	q = lw_query_parse("title:body:x", &err);
	g_assert_null(q);
	g_assert_error(err, LW_ERROR, LW_ERROR_QUERY);
	g_assert_cmpstr(err->message, ==,
	                "column 1: 'title:' must be followed by a word, phrase, regex or '('");
	g_clear_error(&err);

	/* a long NEAR chain is fine (it is not nesting the user wrote) */
	s = g_string_new("a");
	for (int i = 0; i < 300; i++)
		g_string_append(s, " NEAR/1 a");
	q = lw_query_parse(s->str, &err);
	g_assert_no_error(err);
	struct lw_doc *d = lw_doc_new("", "a a");
	g_assert_true(lw_query_eval(q, d, NULL));
	lw_doc_free(d);
	lw_query_free(q);
	g_string_free(s, TRUE);

	/* 4096 bytes are fine, 4097 are not */
	s = g_string_new(NULL);
	while (s->len < 4096)
		g_string_append(s, "ab ");
	g_string_truncate(s, 4096);
	q = lw_query_parse(s->str, &err);
	g_assert_no_error(err);
	lw_query_free(q);
	g_string_append_c(s, 'c');
	q = lw_query_parse(s->str, &err);
	g_assert_null(q);
	g_assert_error(err, LW_ERROR, LW_ERROR_QUERY);
	g_assert_cmpstr(err->message, ==, "column 1: query longer than 4096 bytes");
	g_clear_error(&err);
	g_string_free(s, TRUE);

	q = lw_query_parse("Bakh\xffmut", &err);
	g_assert_null(q);
	g_assert_error(err, LW_ERROR, LW_ERROR_QUERY);
	g_assert_cmpstr(err->message, ==, "column 5: not valid UTF-8");
	g_clear_error(&err);

	q = lw_query_parse(NULL, &err);
	g_assert_null(q);
	g_assert_error(err, LW_ERROR, LW_ERROR_QUERY);
}

/* A long body and a query with many terms stay quick and bounded. */
static void test_big_body(void)
{
	GString *body = g_string_new(NULL);
	for (int i = 0; i < 50000; i++)
		g_string_append(body, "tanks Leopard ");
	struct lw_doc *d = lw_doc_new("", body->str);
	struct lw_query *q = lw_query_parse("Leopard NEAR/3 tank", NULL);
	struct lw_match m;
	lw_match_init(&m);
	g_assert_true(lw_query_eval(q, d, &m));
	g_assert_cmpuint(m.terms->len, ==, 2);
	g_assert_cmpuint(m.offset, ==, 0);
	lw_match_clear(&m);
	lw_query_free(q);
	lw_doc_free(d);
	g_string_free(body, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/words/split", test_words_split);
	g_test_add_func("/words/fold", test_words_fold);
	g_test_add_func("/words/distance", test_words_distance);
	g_test_add_func("/query/match", test_match_table);
	g_test_add_func("/query/snippet", test_snippet);
	g_test_add_func("/query/invalid-text", test_invalid_text);
	g_test_add_func("/query/to-string", test_to_string);
	g_test_add_func("/query/errors", test_errors);
	g_test_add_func("/query/limits", test_limits);
	g_test_add_func("/query/big-body", test_big_body);
	return g_test_run();
}
