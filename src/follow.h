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
