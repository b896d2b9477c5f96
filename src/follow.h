/* Following a series: finding today's live blog on a series page or feed.
 *
 * Live blogs are usually one page per day; a series/tag page (the
 * Guardian's topic page) or its RSS/Atom feed links to each day's page.
 * lw_follow_find() picks the newest link whose url matches a regex.
 * Pure: no I/O, no state. */
#pragma once

#include <glib.h>
#include "caps.h"

/* Guardian-style live pages: ".../live/2023/feb/14/...". */
#define LW_FOLLOW_MATCH_DEFAULT "/live/"

/* Links looked at per page: LW_FOLLOW_MAX_LINKS (caps.h). */

/* Finds the newest link in data (len bytes: an HTML page, or an RSS or
 * Atom feed — told apart by content_type when it names xml, else by the
 * first markup) whose absolute url matches `match` (NULL: the default).
 *
 * Links are <a href> in HTML, <link>/<guid> in RSS items and <link href>
 * in Atom entries; relative ones are resolved against base_url; only
 * http and https urls count, their #fragment dropped, base_url itself
 * excluded.  "Newest": the link with the latest date in its path
 * (/2023/feb/14/, /2023/02/14/, 2023-02-14) wins; among links with the
 * same date or none, the first in document order wins (series pages and
 * feeds list newest first).  A link with a date beats one without.
 *
 * Returns a newly allocated url, or NULL with error (LW_ERROR_PARSE)
 * naming base_url when no link matches. */
char *lw_follow_find(const char *data, gsize len, const char *content_type,
                     const char *base_url, const GRegex *match, GError **error);

/* The date lw_follow_find() reads in a url's path as yyyymmdd, 0 when none. */
int lw_follow_url_date(const char *url);

/* The follow-on a live page itself points to, for a blog with or without
 * `follow =`: the newer live blog of the same series that the page's
 * newest post links to ("This blog is now closed; you can find our latest
 * coverage here").  data (len bytes) is the page, page_url its url (after
 * redirects), post_id the id of its newest post as extracted (found as
 * the element of that id, else as the element the fragment of post_url
 * names; NULL when unknown).
 *
 * "Same series" is read from the urls: the same host and the same path
 * up to the date (https://www.theguardian.com/world/live/2023/may/15/...
 * is followed by .../world/live/2023/may/16/...), with a later date; a
 * page whose url has no date, or a date right under the site's root,
 * has none.  Only links inside the newest post count: a page's chrome,
 * older posts and "related" boxes link to other blogs for other reasons,
 * and a post newer than the closing one means the blog went on.  The
 * page is parsed only when its bytes name such a url at all.
 *
 * Returns the newest such link (its #fragment dropped), newly allocated,
 * or NULL.  Pure: no I/O. */
char *lw_follow_on_find(const char *data, gsize len, const char *page_url, const char *post_id,
                        const char *post_url);
