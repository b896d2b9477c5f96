/* url.h: what an http(s) URL is, links resolved against their page, a
 * URL taken apart. */
#include <glib.h>

#include "url.h"

static const char *const base = "https://www.example.com/world/live/2023/feb/14/blog?page=2#top";

static void test_is_http(void)
{
	static const struct { const char *url; bool ok; } cases[] = {
		{ "https://x.org/", true },
		{ "http://x.org", true },
		{ "HTTPS://X.ORG/A", true },
		{ "http://[::1]:8080/x", true },
		{ "https://user:pw@x.org:8443/p?q=1#f", true },
		{ "https://x.org/a%20b", true },
		{ "https://xn--exmple-cua.org/", true },
		{ "https://exämple.org/ä", true },       /* IDN: GUri takes it */
		{ "https://x.org/%zz", false },           /* a bad %-escape */
		{ "https://", false },                    /* no host */
		{ "https:///path", false },
		{ "http:foo", false },
		{ "ftp://x.org/", false },
		{ "file:///etc/passwd", false },
		{ "javascript:alert(1)", false },
		{ "//x.org/a", false },
		{ "/a/b", false },
		{ " https://x.org/", false },
		{ "", false },
		{ NULL, false },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(lw_url_is_http(cases[i].url), ==, cases[i].ok);
}

static void test_resolve(void)
{
	static const struct { const char *href, *want; } cases[] = {
		/* absolute http(s): as written, not normalised */
		{ "https://x.org/%7Ea", "https://x.org/%7Ea" },
		{ "https://x.org/a/../b", "https://x.org/a/../b" },
		/* protocol-relative takes the page's scheme */
		{ "//cdn.example.com/x.js", "https://cdn.example.com/x.js" },
		{ "../older", "https://www.example.com/world/live/2023/feb/older" },
		{ "./a/../b", "https://www.example.com/world/live/2023/feb/14/b" },
		{ "/a/b/../c", "https://www.example.com/a/c" },
		{ "../../../../../../../x", "https://www.example.com/x" },
		{ "?page=3", "https://www.example.com/world/live/2023/feb/14/blog?page=3" },
		{ "#block-1", "https://www.example.com/world/live/2023/feb/14/blog?page=2#block-1" },
		/* non-ASCII and spaces in a relative link are percent-encoded */
		{ "ä b", "https://www.example.com/world/live/2023/feb/14/%C3%A4%20b" },
		{ "mailto:a@b", NULL },
		{ "javascript:alert(1)", NULL },
		{ "ftp://x.org/", NULL },
		{ "%zz", NULL },
		{ NULL, NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = lw_url_resolve(base, cases[i].href);
		g_assert_cmpstr(got, ==, cases[i].want);
	}
	/* a relative link needs an http(s) base */
	g_assert_null(lw_url_resolve(NULL, "a"));
	g_assert_null(lw_url_resolve("file:///tmp/page.html", "a"));
	g_assert_null(lw_url_resolve("/tmp/page.html", "a"));
	g_autofree char *abs = lw_url_resolve(NULL, "https://x.org/a");
	g_assert_cmpstr(abs, ==, "https://x.org/a");
}

static void test_parts(void)
{
	static const struct { const char *url, *host, *path, *rest; } cases[] = {
		{ "https://WWW.Example.COM/a/b?q=1#f", "www.example.com", "/a/b", "WWW.Example.COM/a/b?q=1#f" },
		{ "http://x.org", "x.org", "", "x.org" },
		{ "https://exämple.org/ä", "xn--exmple-cua.org", "/%C3%A4", "exämple.org/ä" },
		{ "https://x.org/a%20b/", "x.org", "/a%20b/", "x.org/a%20b/" },
		{ "http://[::1]:8080/x", "::1", "/x", "[::1]:8080/x" },
		{ "urn:uuid:1234", NULL, "uuid:1234", "urn:uuid:1234" },
		{ "not a url", NULL, NULL, "not a url" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *host = lw_url_host(cases[i].url);
		g_autofree char *path = lw_url_path(cases[i].url);
		g_assert_cmpstr(host, ==, cases[i].host);
		g_assert_cmpstr(path, ==, cases[i].path);
		g_assert_cmpstr(lw_url_after_scheme(cases[i].url), ==, cases[i].rest);
	}
	g_assert_null(lw_url_host(NULL));
	g_assert_null(lw_url_path(NULL));
	g_assert_null(lw_url_after_scheme(NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/url/is-http", test_is_http);
	g_test_add_func("/url/resolve", test_resolve);
	g_test_add_func("/url/parts", test_parts);
	return g_test_run();
}
