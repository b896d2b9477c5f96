/* The formats' side of extraction: what the dispatcher (extract.c) calls
 * in the per-format extract-*.c files.
 *
 * lw_extract() parses the page once into a struct lw_page (page.h) and
 * hands it to one format's function, which appends entries to the
 * snapshot through lw_page_add_entry().  A format uses page.h, text.h,
 * json-scan.h and charset.h, never extract.c; a new format is one more
 * extract-*.c with one function of the lw_extract_fn shape. */
#pragma once

#include <stdbool.h>

#include "entry.h"
#include "extract.h"
#include "json-scan.h"
#include "page.h"

typedef int (*lw_extract_fn)(struct lw_page *p, struct lw_snapshot *s, GError **error);

/* extract-guardian.c */
bool lw_guardian_detect(struct lw_page *p);
int lw_extract_guardian(struct lw_page *p, struct lw_snapshot *s, GError **error);

/* The next (older) page that the Guardian's pagination links to; ""
 * when its navigation links none (the oldest page); NULL without one. */
char *lw_guardian_next_url(struct lw_page *p);

/* extract-feed.c: RSS 2.0, RSS 1.0 (RDF) and Atom; p->doc is XML. */
/* True when the bytes' first element is <rss>, <feed> or <rdf:RDF>. */
bool lw_feed_sniff(const char *data, gsize len);
int lw_extract_feed(struct lw_page *p, struct lw_snapshot *s, GError **error);

/* extract-xpath.c: the blog's own profile (opts.xpath). */
int lw_extract_xpath(struct lw_page *p, struct lw_snapshot *s, GError **error);

/* extract-jsonld.c */
/* Parses the page's ld+json blocks into p->jsonld (once). */
void lw_jsonld_load(struct lw_page *p);
/* True when some LiveBlogPosting has at least one liveBlogUpdate. */
bool lw_jsonld_has_updates(struct lw_page *p);
int lw_extract_jsonld(struct lw_page *p, struct lw_snapshot *s, GError **error);
/* Fills fields the HTML left empty in s's entries from the JSON-LD update
 * with the same id (or, when the page anchors a post differently in the
 * two, the one entry with the same start of text); never adds entries:
 * what the HTML shows is the page.  Page-level values (the posting's own headline and
 * dates, which the Guardian repeats in every update) are not taken.  Sets
 * s->page_title / coverage_end when empty. */
void lw_jsonld_enrich(struct lw_page *p, struct lw_snapshot *s);

/* Only the page-level fields (coverage_end, page_title when empty) of the
 * LiveBlogPosting, read without parsing the whole JSON-LD: for pages whose
 * markup already gave every entry its content fields. */
void lw_jsonld_page_fields(struct lw_page *p, struct lw_snapshot *s);
/* datePublished / dateModified (RFC 3339 UTC, newly allocated, NULL when
 * absent) of the first *Article object. */
void lw_jsonld_article_dates(struct lw_page *p, char **published, char **modified);

/* extract-article.c: an ordinary page as one entry (its dates fall back
 * on lw_jsonld_article_dates()).  Fails with LW_ERROR_PARSE when the page
 * has neither title nor text. */
int lw_extract_article(struct lw_page *p, struct lw_snapshot *s, GError **error);
