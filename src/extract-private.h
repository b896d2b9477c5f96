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

/* Called for each entry a profile finds, before it is added: may change
 * e's fields (raw_time is the `time` expression's text, NULL when empty).
 * Returning false drops the entry (e is then freed by the caller). */
typedef bool (*lw_xpath_fixup)(struct lw_page *p, xmlNode *node, struct lw_entry *e,
                               const char *raw_time, void *data);
/* Runs profile prof over p (what lw_extract_xpath() does with
 * opts.xpath), with fixup (may be NULL) for each entry; sets
 * s->page_title from <title> when it is empty. */
int lw_xpath_run(struct lw_page *p, struct lw_snapshot *s,
                 const struct lw_xpath_profile *prof,
                 lw_xpath_fixup fixup, void *data, GError **error);
/* lw_text_time_utc(), and Unix time of 10 or 13 digits; NULL when raw is
 * neither. */
char *lw_xpath_time(const char *raw);

/* extract-generic.c: any live blog, from its structure (a run of sibling
 * posts with times, an AMP live list, schema.org microdata, a ticker of
 * headings with times).  lw_generic_detect() looks (once per page; the
 * result is kept in p->generic) and says whether the page has such a
 * stream of posts; lw_extract_generic() extracts it (failing with
 * LW_ERROR_PARSE when there is none).  lw_generic_explain() appends to
 * `out` what was found and why, and fills prof (strings newly allocated)
 * with the choice as an xpath profile; returns a note on what the
 * profile cannot carry, or NULL. */
bool lw_generic_detect(struct lw_page *p);
int lw_extract_generic(struct lw_page *p, struct lw_snapshot *s, GError **error);
/* How many posts with any text the detected stream has (0 when none). */
guint lw_generic_count(struct lw_page *p);
/* An upper bound of the posts lw_generic_detect() could find, from one
 * cheap walk (every post carries a time element or attribute, microdata,
 * or a text that starts with a digit): when it is no more than a count
 * in hand, the detection need not run. */
guint lw_generic_bound(struct lw_page *p);
void lw_generic_explain(struct lw_page *p, GString *out);
void lw_generic_profile(struct lw_page *p, struct lw_xpath_profile *prof, char **note);
void lw_generic_free(struct lw_page *p);

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
