#include "url.h"

#include <string.h>

static bool scheme_is_http(const char *url)
{
	const char *scheme = url ? g_uri_peek_scheme(url) : NULL;
	return scheme && (!strcmp(scheme, "http") || !strcmp(scheme, "https"));
}

/* ENCODED: a URL is checked as written, not decoded first. */
static GUri *parse(const char *url)
{
	return url ? g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL) : NULL;
}

bool lw_url_is_http(const char *url)
{
	if (!scheme_is_http(url))
		return false;
	g_autoptr(GUri) u = parse(url);
	const char *host = u ? g_uri_get_host(u) : NULL;
	return host && *host;
}

char *lw_url_resolve(const char *base, const char *href)
{
	if (!href)
		return NULL;
	if (lw_url_is_http(href))
		return g_strdup(href);
	if (!lw_url_is_http(base))
		return NULL;
	char *abs = g_uri_resolve_relative(base, href, G_URI_FLAGS_NONE, NULL);
	if (abs && !lw_url_is_http(abs))
		g_clear_pointer(&abs, g_free);
	return abs;
}

char *lw_url_host(const char *url)
{
	/* NONE, not ENCODED: GUri turns an IDN host into its ASCII form. */
	g_autoptr(GUri) u = url ? g_uri_parse(url, G_URI_FLAGS_NONE, NULL) : NULL;
	const char *host = u ? g_uri_get_host(u) : NULL;
	return host && *host ? g_ascii_strdown(host, -1) : NULL;
}

char *lw_url_path(const char *url)
{
	g_autoptr(GUri) u = parse(url);
	return u ? g_strdup(g_uri_get_path(u)) : NULL;
}

const char *lw_url_after_scheme(const char *url)
{
	const char *scheme = url ? g_uri_peek_scheme(url) : NULL;
	if (!scheme)
		return url;
	const char *rest = url + strlen(scheme) + 1;
	return g_str_has_prefix(rest, "//") ? rest + 2 : url;
}
