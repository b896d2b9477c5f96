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

#define PAGE "https://www.theguardian.com/world/live/2023/may/15/russia-ukraine-war-day-446"
#define NEXT "https://www.theguardian.com/world/live/2023/may/16/russia-ukraine-war-day-447"

/* A page of two posts, newest first; closing is the newest post's body. */
static char *closed_page(const char *closing, const char *older)
{
	return g_strdup_printf(
		"<html><body><nav><a href='/world/live/2023/may/17/eurovision'>menu</a></nav>"
		"<div id='liveblog-body'>"
		"<article id='block-2'><p>%s</p><a href='" PAGE "#block-2'>link to this</a></article>"
		"<article id='block-1'><p>%s</p></article>"
		"</div></body></html>", closing, older);
}

static char *follow_on(const char *html, const char *page, const char *id)
{
	return lw_follow_on_find(html, strlen(html), page, id, NULL);
}

static void test_follow_on(void)
{
	/* "This blog is now closed": the newest post links to the next day's */
	g_autofree char *closed = closed_page("This blog is now closed. You can find our latest "
	                                      "coverage <a href='/world/live/2023/may/16/"
	                                      "russia-ukraine-war-day-447#top'>here</a>.",
	                                      "Earlier news.");
	g_autofree char *u = follow_on(closed, PAGE, "block-2");
	g_assert_cmpstr(u, ==, NEXT);
	/* found through the post's url when its id is not an element's */
	g_autofree char *v = lw_follow_on_find(closed, strlen(closed), PAGE, "2", PAGE "#block-2");
	g_assert_cmpstr(v, ==, NEXT);
	/* the link in an older post, or only in the page's chrome: not the end */
	g_autofree char *older = closed_page("Shelling went on.", "Our live coverage of another "
	                                     "story is <a href='" NEXT "'>here</a>.");
	g_assert_null(follow_on(older, PAGE, "block-2"));
	g_autofree char *chrome = closed_page("Shelling went on.", "Earlier news.");
	g_assert_null(follow_on(chrome, PAGE, "block-2"));
	/* links that are not a newer page of the same series */
	const char *not_next[] = {
		"/world/live/2023/may/14/russia-ukraine-war-day-445",  /* older */
		"/world/live/2023/may/15/another-blog-today",           /* same day */
		"/politics/live/2023/may/16/uk-politics-live",          /* another series */
		"/world/2023/may/16/analysis",                           /* not under /world/live/ */
		"https://www.example.org/world/live/2023/may/16/x",     /* another site */
		"javascript:alert(1)",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(not_next); i++) {
		g_autofree char *text = g_strdup_printf("Read on <a href='%s'>here</a>.", not_next[i]);
		g_autofree char *page = closed_page(text, "Earlier news.");
		g_autofree char *w = follow_on(page, PAGE, "block-2");
		if (w)
			g_error("%s taken for the follow-on: %s", not_next[i], w);
	}
	/* the newest of several */
	g_autofree char *two = closed_page("Closed. See <a href='" NEXT "'>day 447</a> and "
	                                   "<a href='/world/live/2023/may/18/day-449'>day 449</a>.",
	                                   "x");
	g_autofree char *w2 = follow_on(two, PAGE, "block-2");
	g_assert_cmpstr(w2, ==, "https://www.theguardian.com/world/live/2023/may/18/day-449");
	/* pages whose url has no date, or a date at the site's root */
	g_assert_null(follow_on(closed, "https://www.theguardian.com/world/live/latest", "block-2"));
	g_autofree char *root = closed_page("Closed: <a href='/2023/05/16/next'>next</a>.", "x");
	g_assert_null(follow_on(root, "https://blog.example.org/2023/05/15/live", "block-2"));
	/* no such post, no page, no url */
	g_assert_null(follow_on(closed, PAGE, "block-9"));
	g_assert_null(lw_follow_on_find(NULL, 0, PAGE, "block-2", NULL));
	g_assert_null(lw_follow_on_find(closed, strlen(closed), NULL, "block-2", NULL));
	g_assert_null(lw_follow_on_find(closed, strlen(closed), "not a url", "block-2", NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/follow/html-newest-by-date", test_html_newest_by_date);
	g_test_add_func("/follow/html-document-order", test_html_document_order_without_dates);
	g_test_add_func("/follow/rss-and-atom", test_rss_and_atom);
	g_test_add_func("/follow/no-match-and-hostile", test_no_match_and_hostile);
	g_test_add_func("/follow/url-date", test_url_date);
	g_test_add_func("/follow/follow-on", test_follow_on);
	return g_test_run();
}
