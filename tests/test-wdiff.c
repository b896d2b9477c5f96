/* Tests for src/wdiff.c: cases as git --word-diff shows them, minimality
 * against a longest common subsequence on random texts, and the limits. */
#include <glib.h>
#include <string.h>

#include "wdiff.h"

/* The diff as git --word-diff=plain would print it. */
static char *render(const struct lw_wdiff *d)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < d->spans->len; i++) {
		const struct lw_wdiff_span *sp = &g_array_index(d->spans, struct lw_wdiff_span, i);
		const char *open = sp->op == LW_WDIFF_DEL ? "[-" : sp->op == LW_WDIFF_INS ? "{+" : "";
		const char *close = sp->op == LW_WDIFF_DEL ? "-]" : sp->op == LW_WDIFF_INS ? "+}" : "";
		g_string_append_printf(s, "%s%.*s%s", open, (int)sp->len, sp->text, close);
	}
	return g_string_free(s, FALSE);
}

/* SAME + INS must give the new text back byte for byte; the words of
 * SAME + DEL must be the old text's words. */
static void check_invariants(const char *old, const char *new_text, const struct lw_wdiff *d)
{
	GString *back = g_string_new(NULL);
	GString *old_words = g_string_new(NULL);
	for (guint i = 0; i < d->spans->len; i++) {
		const struct lw_wdiff_span *sp = &g_array_index(d->spans, struct lw_wdiff_span, i);
		g_assert_cmpuint(sp->len, >, 0);
		if (sp->op != LW_WDIFF_DEL)
			g_string_append_len(back, sp->text, (gssize)sp->len);
		if (sp->op != LW_WDIFF_INS) {
			g_string_append_c(old_words, ' ');
			g_string_append_len(old_words, sp->text, (gssize)sp->len);
		}
	}
	g_assert_cmpstr(back->str, ==, new_text);
	g_auto(GStrv) a = g_strsplit_set(old_words->str, " \t\n", -1);
	g_auto(GStrv) b = g_strsplit_set(old, " \t\n", -1);
	GString *wa = g_string_new(NULL), *wb = g_string_new(NULL);
	for (char **w = a; *w; w++)
		if (**w)
			g_string_append_printf(wa, "%s|", *w);
	for (char **w = b; *w; w++)
		if (**w)
			g_string_append_printf(wb, "%s|", *w);
	g_assert_cmpstr(wa->str, ==, wb->str);
	g_string_free(wa, TRUE);
	g_string_free(wb, TRUE);
	g_string_free(back, TRUE);
	g_string_free(old_words, TRUE);
}

static char *wdiff(const char *old, const char *new_text, guint *added, guint *removed)
{
	struct lw_wdiff *d = lw_wdiff_compute(old, strlen(old), new_text, strlen(new_text));
	check_invariants(old, new_text, d);
	g_assert_false(d->whole);
	if (added)
		*added = d->added;
	if (removed)
		*removed = d->removed;
	char *s = render(d);
	lw_wdiff_free(d);
	return s;
}

static void test_wdiff_cases(void)
{
	static const struct { const char *old, *new_text, *want; guint add, rm; } cases[] = {
		{ "a b c", "a b c", "a b c", 0, 0 },
		{ "a b c", "a x c", "a [-b-]{+x+} c", 1, 1 },
		{ "a b c", "x b c", "[-a-]{+x+} b c", 1, 1 },
		{ "a b c", "a b x", "a b [-c-]{+x+}", 1, 1 },
		{ "a b c", "a c", "a [-b-]c", 0, 1 },
		{ "a b c", "b c", "[-a-]b c", 0, 1 },
		{ "a b c", "a b", "a b[-c-]", 0, 1 },
		{ "a b c", "a b c d e", "a b c {+d e+}", 2, 0 },
		{ "b c", "a b c", "{+a+} b c", 1, 0 },
		{ "", "one two", "{+one two+}", 2, 0 },
		{ "one two", "", "[-one two-]", 0, 2 },
		{ "", "", "", 0, 0 },
		{ "a  b", "a b", "a b", 0, 0 },                     /* whitespace is not a word */
		{ "one\n\ntwo three\n", "one\n\ntwo 3 three\n", "one\n\ntwo {+3+} three\n", 1, 0 },
		{ "Бахмут це місто", "Бахмут — це місто", "Бахмут {+—+} це місто", 1, 0 },
		{ "the cat sat on the mat", "the dog sat on the hat",
		  "the [-cat-]{+dog+} sat on the [-mat-]{+hat+}", 2, 2 },
		{ "x [-y-] {+z+}", "x {+z+}", "x [-[-y-]-]{+z+}", 0, 1 },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint add, rm;
		g_autofree char *got = wdiff(cases[i].old, cases[i].new_text, &add, &rm);
		g_test_message("case %zu: %s", i, got);
		g_assert_cmpstr(got, ==, cases[i].want);
		g_assert_cmpuint(add, ==, cases[i].add);
		g_assert_cmpuint(rm, ==, cases[i].rm);
	}
}

/* Length of the longest common subsequence of two word arrays (plain DP). */
static guint lcs(char **a, guint n, char **b, guint m)
{
	g_autofree guint *t = g_new0(guint, (n + 1) * (m + 1));
	for (guint i = 1; i <= n; i++)
		for (guint j = 1; j <= m; j++)
			t[i * (m + 1) + j] = !strcmp(a[i - 1], b[j - 1]) ? t[(i - 1) * (m + 1) + j - 1] + 1 :
			                     MAX(t[(i - 1) * (m + 1) + j], t[i * (m + 1) + j - 1]);
	return t[n * (m + 1) + m];
}

/* Random texts over a tiny vocabulary: the edit script is always minimal. */
static void test_wdiff_random_minimal(void)
{
	static const char *const vocab[] = { "a", "b", "c", "d", "Leopard", "tanks" };
	static const char *const seps[] = { " ", "  ", "\n", "\n\n", "\t" };
	for (int round = 0; round < 400; round++) {
		char *words[2][40];
		guint len[2];
		GString *text[2];
		for (int side = 0; side < 2; side++) {
			len[side] = (guint)g_test_rand_int_range(0, 40);
			text[side] = g_string_new(NULL);
			for (guint k = 0; k < len[side]; k++) {
				words[side][k] = (char *)vocab[g_test_rand_int_range(0, G_N_ELEMENTS(vocab))];
				if (k || g_test_rand_bit())
					g_string_append(text[side],
					                seps[g_test_rand_int_range(0, G_N_ELEMENTS(seps))]);
				g_string_append(text[side], words[side][k]);
			}
			if (g_test_rand_bit())
				g_string_append_c(text[side], '\n');
		}
		guint add, rm;
		g_autofree char *s = wdiff(text[0]->str, text[1]->str, &add, &rm);
		guint common = lcs(words[0], len[0], words[1], len[1]);
		g_assert_cmpuint(rm, ==, len[0] - common);
		g_assert_cmpuint(add, ==, len[1] - common);
		g_string_free(text[0], TRUE);
		g_string_free(text[1], TRUE);
	}
}

static void test_wdiff_limits(void)
{
	/* Completely different texts need more edits than allowed: whole replace. */
	GString *a = g_string_new(NULL), *b = g_string_new(NULL);
	for (int i = 0; i < LW_WDIFF_MAX_EDITS; i++) {
		g_string_append_printf(a, "old%d ", i);
		g_string_append_printf(b, "new%d ", i);
	}
	struct lw_wdiff *d = lw_wdiff_compute(a->str, a->len, b->str, b->len);
	g_assert_true(d->whole);
	g_assert_cmpuint(d->spans->len, ==, 2);
	g_assert_cmpuint(d->removed, ==, LW_WDIFF_MAX_EDITS);
	g_assert_cmpuint(d->added, ==, LW_WDIFF_MAX_EDITS);
	check_invariants(a->str, b->str, d);
	lw_wdiff_free(d);

	/* A long text with one edit in the middle stays a word diff. */
	g_string_truncate(a, 0);
	g_string_truncate(b, 0);
	for (int i = 0; i < LW_WDIFF_MAX_WORDS - 10; i++) {
		g_string_append_printf(a, "w%d ", i % 97);
		g_string_append_printf(b, "w%d ", i == 20000 ? 1000 : i % 97);
	}
	d = lw_wdiff_compute(a->str, a->len, b->str, b->len);
	g_assert_false(d->whole);
	g_assert_cmpuint(d->added, ==, 1);
	g_assert_cmpuint(d->removed, ==, 1);
	check_invariants(a->str, b->str, d);
	lw_wdiff_free(d);

	/* Too many words on one side: whole replace, without looking further. */
	g_string_append(b, " and some more words to go over the cap");
	for (int i = 0; i < 20; i++)
		g_string_append(b, " x");
	d = lw_wdiff_compute(a->str, a->len, b->str, b->len);
	g_assert_true(d->whole);
	lw_wdiff_free(d);
	g_string_free(a, TRUE);
	g_string_free(b, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wdiff/cases", test_wdiff_cases);
	g_test_add_func("/wdiff/random-minimal", test_wdiff_random_minimal);
	g_test_add_func("/wdiff/limits", test_wdiff_limits);
	return g_test_run();
}
