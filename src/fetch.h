/* Fetching pages over HTTP(S) with libcurl.
 *
 * One request at a time through a blocking call (lw_fetch_page) for the
 * `poll` command and tests; the daemon drives the same request setup
 * through curl's multi interface later (lw_fetch_setup/lw_fetch_finish).
 *
 * Politeness and safety are built in: redirects at most `max_redirects`
 * and only to http/https, connect and total timeouts, a body size cap
 * enforced while receiving (not only on Content-Length), compressed
 * transfers, a User-Agent naming livewatch, and conditional GET. */
#pragma once

#include <curl/curl.h>
#include <glib.h>
#include <stdbool.h>
#include "caps.h"

/* Zero or negative fields mean the default, except max_redirects: 0 means
 * "no redirect allowed" (a redirect is then an error), negative the default.
 * Besides the total timeout, a transfer averaging under 64 bytes/s for
 * low_speed_time_s is cut off ("too slow"). */
struct lw_fetch_opts {
	const char *user_agent;    /* NULL: "livewatch/VERSION (+https://…)" */
	long connect_timeout_s;    /* default 10 */
	long timeout_s;            /* whole transfer, default 30 */
	gsize max_size;            /* body cap in bytes, default 20 MB */
	long max_redirects;        /* default 5 */
	long low_speed_time_s;     /* default 20 (at most timeout_s) */
};
#define LW_FETCH_OPTS_DEFAULT { NULL, 10, 30, LW_DEFAULT_MAX_SIZE, LW_DEFAULT_MAX_REDIRECTS }

/* What we remember of the last good response, for conditional GET.
 * Both may be NULL or "" (then no conditional header is sent). */
struct lw_fetch_cond {
	const char *etag;
	const char *last_modified;
};

struct lw_fetch_result {
	long status;           /* HTTP status of the final response (200, 304, ...) */
	char *effective_url;   /* url after redirects */
	char *content_type;    /* Content-Type header value, or NULL */
	char *charset;         /* charset= parameter of Content-Type, lowercased, or NULL */
	char *etag;            /* ETag of the response, or NULL */
	char *last_modified;   /* Last-Modified of the response, or NULL */
	long retry_after_s;    /* Retry-After (seconds or HTTP date) or -1 */
	GBytes *body;          /* never NULL after success (may be empty); NUL-terminated beyond its size */
	double total_time_s;
};

/* Frees what r holds and zeroes it (retry_after_s becomes -1); r itself
 * is the caller's.  NULL is a no-op. */
void lw_fetch_result_clear(struct lw_fetch_result *r);

/* Fetches url.  Returns 0 and fills *out on any complete HTTP response,
 * including 304 and >= 400 (the caller decides what a status means).
 * Returns -1 and sets error (LW_ERROR_FETCH, or LW_ERROR_TOO_BIG past the
 * size cap) when no complete response arrived: DNS, connect failure,
 * timeout, a body shorter than its Content-Length, too many redirects,
 * a redirect to another scheme.  The message names the url:
 * "cannot fetch 'URL': timeout after 30 s".  *out is untouched on error. */
int lw_fetch_page(struct lw_fetch_result *out, const char *url,
                  const struct lw_fetch_opts *opts,
                  const struct lw_fetch_cond *cond, GError **error);

/* Performs curl_global_init once; safe to call many times, from any thread. */
void lw_fetch_global_init(void);

/* The request setup behind lw_fetch_page, for event loops driving curl's
 * multi interface:
 *
 *	f = lw_fetch_setup(url, opts, cond, &error);
 *	curl_multi_add_handle(multi, lw_fetch_handle(f));
 *	... on CURLMSG_DONE for that handle:
 *	curl_multi_remove_handle(multi, lw_fetch_handle(f));
 *	lw_fetch_finish(f, msg->data.result, &result, &error);
 *	lw_fetch_free(f);
 *
 * One struct lw_fetch is one request; it owns its easy handle and the
 * buffers curl fills.  opts and cond (both may be NULL) are copied. */
struct lw_fetch;

/* Returns NULL and sets error (LW_ERROR_FETCH) when url is not an
 * http or https url or curl cannot be set up. */
struct lw_fetch *lw_fetch_setup(const char *url,
                                const struct lw_fetch_opts *opts,
                                const struct lw_fetch_cond *cond,
                                GError **error);

/* The easy handle, owned by f: do not clean it up.  Its CURLOPT_PRIVATE
 * points at f (lw_fetch_from_handle); do not change it. */
CURL *lw_fetch_handle(struct lw_fetch *f);
struct lw_fetch *lw_fetch_from_handle(CURL *handle);

/* The url f was set up with; owned by f. */
const char *lw_fetch_url(const struct lw_fetch *f);

/* A pointer for the caller's own use (NULL until set); f does not own it. */
void lw_fetch_set_data(struct lw_fetch *f, void *data);
void *lw_fetch_get_data(const struct lw_fetch *f);

/* Turns the finished transfer's code (curl_easy_perform's return value or
 * CURLMSG_DONE's data.result) into *out or an error, exactly as
 * lw_fetch_page does.  Call it at most once per f; the body moves to *out. */
int lw_fetch_finish(struct lw_fetch *f, CURLcode code,
                    struct lw_fetch_result *out, GError **error);

/* Frees f and its easy handle (remove it from any multi handle first).
 * NULL is a no-op. */
void lw_fetch_free(struct lw_fetch *f);
