/* The rule index (rindex.h): its candidates hold every query that
 * matches, so matching through it is the same as evaluating all. */
#include "rindex.h"
#include "rules.h"
#include "words.h"

#include <glib/gstdio.h>
#include <string.h>

/* Words the random queries and texts share: plurals, possessives,
 * accents, case, scripts, typos, prefixes of each other. */
static const char *const vocab[] = {
	"Leopard", "leopards", "Leopard's", "Leopards’", "Leopardstown", "tank", "tanks",
	"bus", "buses", "news", "new", "Kyiv", "Kyyiv", "Kiev", "Bakhmut", "Bahkmut",
	"Bakhmuts", "Chișinău", "Chisinau", "CHISINAU", "Straße", "strasse", "Бахмут",
	"БАХМУТОМ", "бахмуте", "F", "16", "2", "Ukraine", "Ukrainian", "ukrai", "Zaporizhzhia",
	"don't", "a", "b", "c", "es", "s", "Łódź", "lodz", "Ærø", "aero", "talks", "talk",
	"Wagner", "Wagners", "Wagnerian", "Prigozhin", "Пригожин", "Пригожина", "glass",
	"glasses", "gla", "x", "caféés", "cafe", "naïve", "naive", "casualty", "casualties",
	"ally", "allies", "day", "days", "wolf", "wolves", "knife", "knives", "belief",
	"believes", "man", "men", "servicemen", "child", "children", "person", "people",
};

static const char *const regexes[] = {
	"/ta.ks/", "/\\bLeopard ?[12]\\b/", "/zz/", "/\\d+/", "/Бах/", "/a\\/b/",
};

static const char *pick(GRand *r, const char *const *v, guint n)
{
	return v[g_rand_int_range(r, 0, (gint32)n)];
}

/* A word, sometimes with one typo made in it (on code points). */
static char *text_word(GRand *r)
{
	const char *w = pick(r, vocab, G_N_ELEMENTS(vocab));
	if (g_rand_int_range(r, 0, 4) != 0)
		return g_strdup(w);
	glong n;
	g_autofree gunichar *u = g_utf8_to_ucs4_fast(w, -1, &n);
	if (n < 2)
		return g_strdup(w);
	gunichar *v = g_new0(gunichar, n + 2);
	glong i = g_rand_int_range(r, 0, (gint32)n - 1), m = 0;
	int op = g_rand_int_range(r, 0, 4);
	for (glong j = 0; j < n; j++) {
		if (j == i && op == 0)                  /* delete */
			continue;
		if (j == i && op == 1)                  /* insert */
			v[m++] = 'e';
		if (j == i && op == 2) {                /* substitute */
			v[m++] = 0x0161;                    /* š */
			continue;
		}
		if (j == i && op == 3) {                /* transpose */
			v[m++] = u[j + 1];
			v[m++] = u[j];
			j++;
			continue;
		}
		v[m++] = u[j];
	}
	char *s = g_ucs4_to_utf8(v, m, NULL, NULL, NULL);
	g_free(v);
	return s;
}

static char *random_text(GRand *r, int max_words)
{
	static const char *const seps[] = { " ", " ", " ", ", ", "-", ". ", " (", "' ", "’s " };
	GString *s = g_string_new(NULL);
	int n = g_rand_int_range(r, 0, max_words + 1);
	for (int i = 0; i < n; i++) {
		g_autofree char *w = text_word(r);
		g_string_append(s, w);
		g_string_append(s, pick(r, seps, G_N_ELEMENTS(seps)));
	}
	return g_string_free(s, FALSE);
}

static void random_atom(GRand *r, GString *q)
{
	int k = g_rand_int_range(r, 0, 12);
	const char *w = pick(r, vocab, G_N_ELEMENTS(vocab));
	if (k < 5) {
		g_string_append(q, w);
	} else if (k < 7) {
		/* a prefix of a word, cut on a character */
		glong n = g_utf8_strlen(w, -1);
		glong keep = g_rand_int_range(r, 1, (gint32)n + 1);
		const char *end = g_utf8_offset_to_pointer(w, keep);
		g_string_append_len(q, w, end - w);
		g_string_append_c(q, '*');
	} else if (k < 9) {
		if (g_utf8_strlen(w, -1) >= 4 && !strchr(w, '\''))
			g_string_append_printf(q, "%s~", w);
		else
			g_string_append(q, "Bakhmut~");
	} else if (k < 11) {
		g_string_append_printf(q, "\"%s %s\"", w, pick(r, vocab, G_N_ELEMENTS(vocab)));
	} else {
		g_string_append(q, pick(r, regexes, G_N_ELEMENTS(regexes)));
	}
}

static void random_query(GRand *r, GString *q, int depth)
{
	int k = depth > 3 ? 0 : g_rand_int_range(r, 0, 10);
	switch (k) {
	case 0:
	case 1:
	case 2:
		random_atom(r, q);
		return;
	case 3:
		g_string_append(q, g_rand_boolean(r) ? "title:" : "body:");
		if (g_rand_boolean(r)) {
			random_atom(r, q);
		} else {
			g_string_append_c(q, '(');
			random_query(r, q, depth + 1);
			g_string_append_c(q, ')');
		}
		return;
	case 4:
		g_string_append(q, g_rand_boolean(r) ? "NOT " : "-");
		g_string_append_c(q, '(');
		random_query(r, q, depth + 1);
		g_string_append_c(q, ')');
		return;
	case 5:
		random_atom(r, q);
		g_string_append_printf(q, " NEAR/%d ", g_rand_int_range(r, 0, 4));
		random_atom(r, q);
		return;
	default: {
		static const char *const ops[] = { " AND ", " OR ", " ", " OR " };
		const char *op = pick(r, ops, G_N_ELEMENTS(ops));
		int n = g_rand_int_range(r, 2, 4);
		g_string_append_c(q, '(');
		for (int i = 0; i < n; i++) {
			if (i)
				g_string_append(q, op);
			random_query(r, q, depth + 1);
		}
		g_string_append_c(q, ')');
		return;
	}
	}
}

static bool has(const GArray *ids, guint id)
{
	for (guint i = 0; i < ids->len; i++)
		if (g_array_index(ids, guint, i) == id)
			return true;
	return false;
}

/* Many random queries in one index, many random documents: every query
 * that matches a document is a candidate for it. */
static void test_property(void)
{
	g_autoptr(GRand) r = g_rand_new_with_seed(20231201);
	g_autoptr(GPtrArray) queries = g_ptr_array_new_with_free_func((GDestroyNotify)lw_query_free);
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	struct lw_rindex *ix = lw_rindex_new();
	guint tries = 0;
	while (queries->len < 3000 && tries++ < 100000) {
		g_autoptr(GString) q = g_string_new(NULL);
		random_query(r, q, 0);
		struct lw_query *pq = lw_query_parse(q->str, NULL);
		if (!pq)
			continue;   /* matches only by absence, typo on a short word... */
		lw_rindex_add(ix, queries->len, pq);
		g_ptr_array_add(queries, pq);
		g_ptr_array_add(texts, g_string_free(g_steal_pointer(&q), FALSE));
	}
	g_assert_cmpuint(queries->len, ==, 3000);

	g_autoptr(GArray) cand = g_array_new(FALSE, FALSE, sizeof(guint));
	guint matched = 0, candidates = 0;
	for (int i = 0; i < 400; i++) {
		g_autofree char *title = random_text(r, 4);
		g_autofree char *body = random_text(r, 12);
		struct lw_doc *d = lw_doc_new(title, body);
		g_array_set_size(cand, 0);
		lw_rindex_candidates(ix, d, cand);
		for (guint k = 1; k < cand->len; k++)
			g_assert_cmpuint(g_array_index(cand, guint, k - 1), <, g_array_index(cand, guint, k));
		candidates += cand->len;
		g_autoptr(GArray) brute = g_array_new(FALSE, FALSE, sizeof(guint));
		g_autoptr(GArray) indexed = g_array_new(FALSE, FALSE, sizeof(guint));
		for (guint q = 0; q < queries->len; q++) {
			if (!lw_query_eval(queries->pdata[q], d, NULL))
				continue;
			g_array_append_val(brute, q);
			if (!has(cand, q))
				g_error("query %s matches title «%s» body «%s» but is not a candidate",
				        (char *)texts->pdata[q], title, body);
		}
		for (guint k = 0; k < cand->len; k++) {
			guint q = g_array_index(cand, guint, k);
			if (lw_query_eval(queries->pdata[q], d, NULL))
				g_array_append_val(indexed, q);
		}
		/* matching through the index finds the same, in the same order */
		g_assert_cmpmem(indexed->data, indexed->len * sizeof(guint), brute->data,
		                brute->len * sizeof(guint));
		matched += brute->len;
		lw_doc_free(d);
	}
	/* it is an index: far fewer candidates than queries, yet some hits */
	g_assert_cmpuint(matched, >, 1000);
	g_assert_cmpuint(candidates, <, 400 * 3000 / 2);
	g_test_message("%u matches, %u candidates of %u evaluations", matched, candidates,
	               400 * 3000);
	lw_rindex_free(ix);
}

/* A typo query against every one-edit variant of its word, with and
 * without plural endings. */
static void test_typo_variants(void)
{
	g_autoptr(GRand) r = g_rand_new_with_seed(7);
	const char *words[] = { "Bakhmut", "Chișinău", "Бахмут", "Kyiv", "glass", "Straße" };
	for (guint w = 0; w < G_N_ELEMENTS(words); w++) {
		g_autofree char *qs = g_strdup_printf("%s~", words[w]);
		struct lw_query *q = lw_query_parse(qs, NULL);
		g_assert_nonnull(q);
		struct lw_rindex *ix = lw_rindex_new();
		lw_rindex_add(ix, 0, q);
		g_assert_cmpuint(lw_rindex_always_count(ix), ==, 0);
		for (int i = 0; i < 300; i++) {
			g_autofree char *t = random_text(r, 3);
			g_autofree char *body = g_strdup_printf("%s %s%s", t, words[w],
			                                        i % 3 == 0 ? "" : i % 3 == 1 ? "s" : "es");
			/* mutate the word itself once in a while */
			g_autofree char *alt = text_word(r);
			g_autofree char *text = g_strdup_printf("%s %s", body, alt);
			struct lw_doc *d = lw_doc_new("", text);
			g_autoptr(GArray) cand = g_array_new(FALSE, FALSE, sizeof(guint));
			lw_rindex_candidates(ix, d, cand);
			if (lw_query_eval(q, d, NULL))
				g_assert_cmpuint(cand->len, ==, 1);
			lw_doc_free(d);
		}
		lw_rindex_free(ix);
		lw_query_free(q);
	}
}

struct edge {
	const char *query;
	bool always;           /* not indexable: always a candidate */
	const char *hit;       /* a text it matches (a candidate) */
	const char *miss;      /* a text that makes it no candidate, or NULL */
};

static void test_edges(void)
{
	static const struct edge edges[] = {
		{ "Leopard", false, "Leopards, Leopard's", "Leopardstown" },
		{ "Leopard's", false, "a Leopard", "Leopardstown" },
		{ "tank", false, "TANKS", "tan" },
		{ "bus", false, "buses", "busy" },
		{ "casualty", false, "casualties", "casual" },
		{ "allies", false, "an ally", "alley" },
		{ "wolf", false, "wolves", "wolverine" },
		{ "\"knife crime\"", false, "knives crimes", "knife" },
		{ "child", false, "children", "childish" },
		{ "Chisinau", false, "Chișinău", "Chisinauan" },
		{ "strasse", false, "Straße", "strass" },
		{ "Бахмут", false, "БАХМУТ", "Бахмутом" },
		{ "Ukrain*", false, "Ukrainian", "Ukrai" },
		{ "Bakhmut~", false, "Bahkmuts", "Bkahmtu" },
		{ "\"Leopard 2\"", false, "Leopard-2", "tanks" },
		{ "F-16", false, "F 16", "16 F" },
		{ "\"Leopard 2\"", false, "LEOPARDS' 2", "Leopard, tanks 2" },
		{ "title:\"Leopard 2\"", false, "Leopard 2", NULL },
		{ "title:Bakhmut", false, "Bakhmut", "Soledar" },
		{ "body:(Bakhmut OR Soledar)", false, "Soledar", "Kyiv" },
		{ "Leopard NEAR/3 tank", false, "Leopard x tank", "x y" },
		{ "Leopard -Leopardstown", false, "Leopard", "Leopardstown" },
		{ "NOT a b", false, "b", "a" },
		{ "(a OR b) c", false, "c", "a b" },
		{ "/ta.ks/", true, "tasks", NULL },
		{ "/x/ OR Kyiv", true, "Kyiv", NULL },
		{ "/x/ Kyiv", false, "x Kyiv", "x" },
		{ "Kyiv OR (c -a)", false, "c", "a" },
		{ "NOT (NOT Kyiv) Lviv", false, "Kyiv Lviv", "Odesa" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(edges); i++) {
		const struct edge *e = &edges[i];
		g_autoptr(GError) err = NULL;
		struct lw_query *q = lw_query_parse(e->query, &err);
		g_assert_no_error(err);
		struct lw_rindex *ix = lw_rindex_new();
		lw_rindex_add(ix, 0, q);
		g_assert_cmpuint(lw_rindex_always_count(ix), ==, e->always ? 1 : 0);
		g_autoptr(GArray) cand = g_array_new(FALSE, FALSE, sizeof(guint));
		struct lw_doc *d = lw_doc_new("", e->hit);
		lw_rindex_candidates(ix, d, cand);
		if (lw_query_eval(q, d, NULL) || e->always)
			g_assert_cmpuint(cand->len, ==, 1);
		lw_doc_free(d);
		if (e->miss) {
			g_array_set_size(cand, 0);
			d = lw_doc_new("", e->miss);
			lw_rindex_candidates(ix, d, cand);
			if (cand->len != 0)
				g_error("'%s' is a candidate for «%s»", e->query, e->miss);
			g_assert_false(lw_query_eval(q, d, NULL));
			lw_doc_free(d);
		}
		lw_rindex_free(ix);
		lw_query_free(q);
	}
	/* a query the parser refuses never reaches the index */
	g_assert_null(lw_query_parse("-Kyiv", NULL));
	g_assert_null(lw_query_parse("NOT a OR b", NULL));
}

/* What lw_query_needs picks: the cheap side of an AND, every side of an
 * OR, the longest word of a phrase, nothing for a regex it needs. */
static void test_needs(void)
{
	struct { const char *query; const char *terms; } rows[] = {
		{ "Leopard's", "w:leopard" },
		{ "Leopard NEAR/8 (tank OR tanks OR \"Leopard 2\")", "w:leopard" },
		{ "a Bakhmut", "w:bakhmut" },
		{ "\"the 47th brigade\"", "2:47th brigade" },
		{ "\"Leopard's\" OR F-16", "w:leopard 2:f 16" },
		{ "Ukrain* OR Kyiv~", "p:ukrain t:kyiv" },
		{ "title:(x OR y) -z", "w:x w:y" },
		{ "/re/ Lviv", "w:lviv" },
		{ "/re/ OR Lviv", NULL },
		{ "Kyiv OR (c -a)", "w:kyiv w:c" },
	};
	g_autoptr(GArray) terms = g_array_new(FALSE, FALSE, sizeof(struct lw_query_term));
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct lw_query *q = lw_query_parse(rows[i].query, NULL);
		g_assert_nonnull(q);
		bool ok = lw_query_needs(q, terms);
		g_autoptr(GString) s = g_string_new(NULL);
		for (guint k = 0; k < terms->len; k++) {
			const struct lw_query_term *t = &g_array_index(terms, struct lw_query_term, k);
			g_string_append_printf(s, "%s%c:%.*s", k ? " " : "",
			                       "wpt2"[t->kind], (int)t->len, t->fold);
			if (t->kind == LW_QUERY_TERM_PAIR)
				g_string_append_printf(s, " %.*s", (int)t->len2, t->fold2);
		}
		if (rows[i].terms) {
			g_assert_true(ok);
			g_assert_cmpstr(s->str, ==, rows[i].terms);
		} else {
			g_assert_false(ok);
			g_assert_cmpuint(terms->len, ==, 0);
		}
		lw_query_free(q);
	}
}

/* A loaded rule set answers through its index, in rule order. */
static void test_ruleset(void)
{
	g_autofree char *dir = g_dir_make_tmp("lw-rindex-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "a.rules", NULL);
	const char *text = "[one]\nquery = Kyiv\n\n[two]\nquery = /Kyi/\n\n"
	                   "[three]\nquery = Lviv\n\n[four]\nquery = Kyiv~ -Lviv\n";
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	const char *paths[] = { path, NULL };
	g_autoptr(GError) err = NULL;
	struct lw_ruleset *rs = lw_ruleset_load(paths, &err);
	g_assert_no_error(err);
	g_autoptr(GArray) cand = g_array_new(FALSE, FALSE, sizeof(guint));
	struct lw_doc *d = lw_doc_new("Kyyiv", "news");
	lw_ruleset_candidates(rs, d, cand);
	g_assert_cmpuint(cand->len, ==, 2);
	g_assert_cmpuint(g_array_index(cand, guint, 0), ==, 1);
	g_assert_cmpuint(g_array_index(cand, guint, 1), ==, 3);
	lw_doc_free(d);
	lw_ruleset_free(rs);
	rs = lw_ruleset_new_empty();
	g_array_set_size(cand, 0);
	d = lw_doc_new("Kyiv", "");
	lw_ruleset_candidates(rs, d, cand);
	g_assert_cmpuint(cand->len, ==, 0);
	lw_doc_free(d);
	lw_ruleset_free(rs);
	g_unlink(path);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rindex/property", test_property);
	g_test_add_func("/rindex/typo-variants", test_typo_variants);
	g_test_add_func("/rindex/edges", test_edges);
	g_test_add_func("/rindex/needs", test_needs);
	g_test_add_func("/rindex/ruleset", test_ruleset);
	return g_test_run();
}
