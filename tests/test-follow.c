#include <glib.h>
#include <string.h>

#include "error.h"
#include "follow.h"

#define BASE "https://www.theguardian.com/world/series/ukraine-live"

static char *find(const char *data, const char *ctype, const char *re)
{
	g_autoptr(GRegex) rx = re ? g_regex_new(re, 0, 0, NULL) : NULL;
	GError *err = NULL;
	char *u = lw_follow_find(data, strlen(data), ctype, BASE, rx, &err);
	if (!u) {
		g_assert_error(err, LW_ERROR, LW_ERROR_PARSE);
		g_assert_nonnull(strstr(err->message, BASE));
		g_error_free(err);
	}
	return u;
}

static void test_html_newest_by_date(void)
{
	/* A topic page lists yesterday's blog first here (a "most viewed"
	 * box): the date in the path decides, not the order. */
	const char *html =
		"<html><body>"
		"<a href='/world/live/2023/feb/13/russia-ukraine-war-live-day-355'>Mon</a>"
		"<a href='/world/2023/feb/15/analysis'>not live</a>"
		"<a href=\"/world/live/2023/feb/14/russia-ukraine-war-live-day-356#block-1\">Tue</a>"
		"<a href='https://www.theguardian.com/world/live/2023/feb/12/day-354'>Sun</a>"
		"<a href='mailto:x@example.org'>mail</a>"
		"</body></html>";
	g_autofree char *u = find(html, "text/html", NULL);
	g_assert_cmpstr(u, ==, "https://www.theguardian.com/world/live/2023/feb/14/"
	                       "russia-ukraine-war-live-day-356");
}

static void test_html_document_order_without_dates(void)
{
	const char *html = "<ul><li><a href='live/b'>b</a><li><a href='live/a'>a</a></ul>";
	g_autofree char *u = find(html, NULL, "/live/");
	g_assert_cmpstr(u, ==, "https://www.theguardian.com/world/series/live/b");
	/* A dated link beats undated ones wherever it is. */
	const char *html2 = "<a href='/live/x'>x</a><a href='/live/2023/02/14/y'>y</a>";
	g_autofree char *u2 = find(html2, NULL, "/live/");
	g_assert_cmpstr(u2, ==, "https://www.theguardian.com/live/2023/02/14/y");
}

static void test_rss_and_atom(void)
{
	const char *rss =
		"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"
		"<link>https://www.theguardian.com/world/series/ukraine-live</link>"
		"<item><title>Day 356</title>"
		"<link>https://www.theguardian.com/world/live/2023/feb/14/day-356</link></item>"
		"<item><title>Day 355</title>"
		"<link>https://www.theguardian.com/world/live/2023/feb/13/day-355</link></item>"
		"</channel></rss>";
	g_autofree char *u = find(rss, "application/rss+xml", NULL);
	g_assert_cmpstr(u, ==, "https://www.theguardian.com/world/live/2023/feb/14/day-356");
	const char *atom =
		"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>"
		"<link rel='self' href='https://example.org/live/2099/01/01/self.atom'/>"
		"<entry><link href='https://example.org/live/2024-03-02-day'/></entry>"
		"<entry><link rel='alternate' href='https://example.org/live/2024-03-01-day'/></entry>"
		"</feed>";
	/* Sniffed as a feed without a content type; rel=self is not an entry. */
	g_autofree char *a = find(atom, NULL, NULL);
	g_assert_cmpstr(a, ==, "https://example.org/live/2024-03-02-day");
}

static void test_no_match_and_hostile(void)
{
	g_assert_null(find("<a href='/news/a'>a</a>", NULL, NULL));
	g_assert_null(find("", NULL, NULL));
	/* The page itself and non-http schemes never count. */
	g_assert_null(find("<a href='" BASE "'>self</a><a href='javascript:/live/'>j</a>"
	                   "<a href='file:///live/x'>f</a>", NULL, "live"));
	/* Deep nesting does not recurse the stack away. */
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "<div>");
	g_string_append(s, "<a href='/live/2023/feb/14/deep'>deep</a>");
	g_autofree char *u = find(s->str, NULL, NULL);
	g_string_free(s, TRUE);
	/* libxml2 may cap the depth; what it keeps must not crash us. */
	if (u)
		g_assert_cmpstr(u, ==, "https://www.theguardian.com/live/2023/feb/14/deep");
}

static void test_url_date(void)
{
	g_assert_cmpint(lw_follow_url_date("https://x/world/live/2023/feb/14/a"), ==, 20230214);
	g_assert_cmpint(lw_follow_url_date("https://x/2023/12/01/a"), ==, 20231201);
	g_assert_cmpint(lw_follow_url_date("https://x/live-2024-03-02"), ==, 20240302);
	g_assert_cmpint(lw_follow_url_date("https://x/live?d=2024-03-02"), ==, 0);
	g_assert_cmpint(lw_follow_url_date("https://x/12023/02/14/a"), ==, 0);
	g_assert_cmpint(lw_follow_url_date("https://x/2023/13/14/a"), ==, 0);
	g_assert_cmpint(lw_follow_url_date("https://x/2023/feb/1/a"), ==, 0);
	g_assert_cmpint(lw_follow_url_date(NULL), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/follow/html-newest-by-date", test_html_newest_by_date);
	g_test_add_func("/follow/html-document-order", test_html_document_order_without_dates);
	g_test_add_func("/follow/rss-and-atom", test_rss_and_atom);
	g_test_add_func("/follow/no-match-and-hostile", test_no_match_and_hostile);
	g_test_add_func("/follow/url-date", test_url_date);
	return g_test_run();
}
