/* URLs of pages, links and sinks, through GLib's GUri (RFC 3986): the
 * one place that says what an http(s) URL is, resolves a link against
 * its page and takes a URL apart.  Every function accepts NULL (and
 * then fails); strings returned are new. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* True when url is an absolute http:// or https:// URL (scheme in any
 * case) that GUri parses (no bad %-escape) and that names a host. */
bool lw_url_is_http(const char *url);

/* href (a link as a page wrote it: absolute, protocol-relative "//host",
 * "../x", "?q", "#f") against base.  An href that is already an http(s)
 * URL is returned as written; anything else is resolved by GUri (dot
 * segments removed, non-ASCII percent-encoded).  NULL unless the result
 * is an http(s) URL (lw_url_is_http): a mailto:, javascript: or invalid
 * link, or a relative one without an http(s) base. */
char *lw_url_resolve(const char *base, const char *href);

/* The host, lowercased, an IDN as its ASCII (punycode) form; NULL when
 * url has none. */
char *lw_url_host(const char *url);

/* The path, %-encoded (escapes kept as written, non-ASCII bytes as
 * %XX), without query and fragment; "" when the URL has none; NULL when
 * url does not parse. */
char *lw_url_path(const char *url);

/* url without its "scheme://" (the rest as written), or url itself
 * when it has no scheme and authority.  Borrowed from url. */
const char *lw_url_after_scheme(const char *url);
