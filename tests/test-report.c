/* The report's word diffs (src/report-diff.c): changed lines only, "⋮"
 * between them, a few words of context around each change, escaped. */
#include "report.h"

#include <string.h>

static char *diff(const char *old, const char *now, guint context)
{
	GString *out = g_string_new(NULL);
	lw_report_word_diff(out, old, strlen(old), now, strlen(now), context);
	return g_string_free(out, FALSE);
}

static void test_context(void)
{
	const char *old = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20";
	const char *now = "w1 w2 w3 w4 w5 w6 w7 w8 w9 X w11 w12 w13 w14 w15 w16 w17 w18 w19 w20";
	g_autofree char *d = diff(old, now, 4);
	g_assert_cmpstr(d, ==, "<pre class=\"diff\">\u2026 w6 w7 w8 w9 <del>w10</del><ins>X</ins> "
	                "w11 w12 w13 w14 \u2026</pre>");
	/* 0: the whole line */
	g_autofree char *whole = diff(old, now, 0);
	g_assert_nonnull(strstr(whole, "w1 w2"));
	g_assert_nonnull(strstr(whole, "w19 w20"));
	/* little to leave out: nothing is */
	g_autofree char *shortline = diff("a b c d e f", "a b c X e f", 2);
	g_assert_null(strstr(shortline, "\u2026"));
}

static void test_two_changes_in_a_line(void)
{
	const char *old = "one two three four five six seven eight nine ten eleven twelve thirteen";
	const char *now = "ONE two three four five six seven eight nine ten eleven twelve THIRTEEN";
	g_autofree char *d = diff(old, now, 2);
	/* between the changes: two words after the first, two before the second */
	g_assert_nonnull(strstr(d, "<ins>ONE</ins> two three \u2026 eleven twelve <del>"));
}

static void test_lines(void)
{
	const char *old = "# Title\n\nfirst para\n\nsame\n\nlast para\n";
	const char *now = "# Title\n\nfirst para changed\n\nsame\n\nlast para changed\n";
	g_autofree char *d = diff(old, now, 4);
	/* changed lines only, a mark between them, none before the first */
	g_assert_cmpstr(d, ==, "<pre class=\"diff\">first para <ins>changed</ins>\n\u22ee\n"
	                "last para <ins>changed</ins></pre>");
	g_autofree char *same = diff(old, old, 4);
	g_assert_cmpstr(same, ==, "<pre class=\"diff\">(same text as before)</pre>");
}

static void test_escaped(void)
{
	g_autofree char *d = diff("a <b> & c", "a <i> & c", 4);
	g_assert_null(strstr(d, "<b>"));
	g_assert_null(strstr(d, "<i>"));
	g_assert_nonnull(strstr(d, "<del>&lt;b&gt;</del><ins>&lt;i&gt;</ins>"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/report/diff/context", test_context);
	g_test_add_func("/report/diff/two-changes", test_two_changes_in_a_line);
	g_test_add_func("/report/diff/lines", test_lines);
	g_test_add_func("/report/diff/escaped", test_escaped);
	return g_test_run();
}
