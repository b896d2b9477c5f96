/* Splitting a page into its entries.
 *
 * Formats: "guardian" (the Guardian's live blog markup, current
 * dotcom-rendering and the older "frontend" div.block), "jsonld"
 * (schema.org LiveBlogPosting / liveBlogUpdate), "feed" (RSS 2.0, RSS 1.0
 * and Atom: one item, one entry), "xpath" (the blog's own profile of
 * XPath expressions), "generic" (any live blog, from the structure of its
 * page: a run of sibling posts with times, an AMP live list, schema.org
 * microdata, a ticker of headings with times), "article" (an ordinary
 * page: one entry), and "auto", which chooses from the page's evidence
 * (a feed root, Guardian markup, JSON-LD updates, a generic stream of
 * posts, else an article) and, when a page has both
 * markup and JSON-LD, reconciles them into one entry per post using the
 * richer source for each field.  snapshot->format names the choice. */
#pragma once

#include <glib.h>
#include "config.h"
#include "entry.h"
#include "caps.h"

struct lw_extract_opts {
	const char *format;    /* "auto" (NULL means auto), "guardian", "jsonld", "feed", "xpath", "generic", "article" */
	const char *charset;   /* from the HTTP Content-Type, or NULL */
	const char *base_url;  /* page url, for absolute permalinks; may be NULL for files */
	guint max_entries;     /* default 5000; more is an error (LW_ERROR_TOO_BIG) */
	gsize max_entry_bytes; /* default 1 MB of body text per entry */
	guint max_json_depth;  /* default 64 */
	const struct lw_xpath_profile *xpath; /* format "xpath": the blog's profile, or NULL */
	double max_parse_time; /* seconds; 0 = default (5); past it the page is an error */
	struct lw_extract_report *report; /* NULL, or filled: see below */
};
#define LW_EXTRACT_OPTS_DEFAULT { "auto", NULL, NULL, LW_DEFAULT_MAX_ENTRIES, \
	LW_DEFAULT_MAX_ENTRY_BYTES, LW_DEFAULT_MAX_JSON_DEPTH, NULL, 0, NULL }

/* What lw_extract() chose and why, for `livewatch extract --explain` and
 * `--profile`: set opts.report to a zeroed one; lw_extract() fills it
 * (also when it fails) and the caller frees its contents with
 * lw_extract_report_clear().
 *   explain  lines ending in "\n": the format, and for the generic
 *            structure the container, the repeated element, where the
 *            time, id, title and body came from, the runner-up rejected
 *   profile  the generic choice as xpath profile keys (owned strings);
 *            entry NULL when the format is not generic (a built-in
 *            format is pinned by its name: format = guardian)
 *   note     what that profile cannot carry (text clocks, missing ids),
 *            or NULL */
struct lw_extract_report {
	GString *explain;
	struct lw_xpath_profile profile;
	char *note;
};
void lw_extract_report_clear(struct lw_extract_report *r);

/* Returns the page's snapshot (entries in page order, ids sanitised,
 * unique within the snapshot; snapshot->format says which extractor
 * produced it) or NULL with error set (LW_ERROR_PARSE: nothing that looks
 * like content; LW_ERROR_TOO_BIG: a limit was passed).  A page of the
 * right kind with zero posts returns a snapshot with no entries.
 *
 * opts may be NULL (all defaults); a zero limit field means its default.
 * The charset used is opts->charset, else a <meta> charset in the first
 * 4 KB, else a byte order mark, else UTF-8 (Latin-1 labels are read as
 * windows-1252; an unknown name as UTF-8).  base_url, when absolute, is
 * the page's address for permalinks (else the page's canonical url).
 *
 * A feed (format "feed", or "auto"/"xpath" on bytes whose root element is
 * rss, feed or rdf:RDF) is parsed as XML without network access and
 * without its DOCTYPE, so no entity but XML's predefined ones expands.
 * snapshot->next_url is the blog's next older page when the page links
 * one (Guardian pagination, rel=next, AMP live-list), without fragment.
 *
 * Limits: more than max_entries distinct entries is LW_ERROR_TOO_BIG
 * ("page has more than N entries"); more than max_parse_time seconds of
 * CPU is LW_ERROR_TOO_BIG ("parsing took longer than N s"), checked
 * after parsing and between entries; a body longer than max_entry_bytes is
 * cut at a UTF-8 boundary (not an error); a JSON-LD block nested deeper
 * than max_json_depth, or larger than 8 MB, is ignored and the rest of the
 * page is used.  A later entry with an id already seen is dropped; an
 * entry without id gets lw_entry_hash_id(); an id longer than
 * LW_ENTRY_ID_MAX keeps a hash of the whole.  An unknown format is
 * LW_ERROR_FAILED, and so is format "xpath" without a valid profile
 * (lw_extract_check_profile()).  Every string in the result is valid
 * UTF-8.  On failure nothing is returned: never half a page.
 *
 * A document cut off in transfer is LW_ERROR_PARSE ("page ends before its
 * closing </html> (cut off in transfer?)"): bytes that open <html> or
 * <body> in their first 64 KB and close neither, or a feed that opens
 * <rss>, <feed> or <rdf:RDF> and never closes it.  Fragments without those
 * tags are read as they are. */
struct lw_snapshot *lw_extract(const char *data, gsize len,
                               const struct lw_extract_opts *opts,
                               GError **error);

/* True when name is a format lw_extract() knows. */
gboolean lw_extract_format_known(const char *name);

/* Checks an xpath profile: p not NULL, `entry` and `body` set, and every
 * expression that is set compiles as XPath 1.0.  Returns 0, or -1 with
 * LW_ERROR_CONFIG naming the key ("xpath 'title': invalid expression
 * '...'").  Prints nothing. */
int lw_extract_check_profile(const struct lw_xpath_profile *p, GError **error);
