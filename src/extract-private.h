/* Shared insides of extract.c and the per-format extract-*.c files.
 *
 * lw_extract() parses the page once into a struct lw_page and hands it to
 * one format's function, which appends entries to the snapshot through
 * lw_page_add_entry() (that one place enforces ids, uniqueness and the
 * limits).  A new format is one more extract-*.c with one function of the
 * lw_extract_fn shape. */
#pragma once

#include <stdbool.h>
#include <json-glib/json-glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "entry.h"
#include "extract.h"

struct lw_page {
	xmlDoc *doc;
	xmlXPathContext *xpath;
	struct lw_extract_opts opts;  /* with defaults filled in */
	char *base;                   /* for permalinks: base_url, else canonical, else "" */
	bool guardian_markup;         /* div#liveblog-body, article[id^=block-] or div.block[id^=block-] */
	bool xml;                     /* parsed as XML (a feed), not HTML */
	GPtrArray *jsonld;            /* JsonNode * roots of the ld+json blocks; NULL until loaded */
	GPtrArray *ldjson_scripts;    /* xmlNode *: see lw_page_scan(); NULL until scanned */
	GPtrArray *carousels;         /* xmlNode *: see lw_page_scan(); NULL until scanned */
	GHashTable *ids;              /* id -> entry of the snapshot (both borrowed) */
	GHashTable *compiled;         /* XPath expression -> xmlXPathCompExpr *, or NULL */
	gint64 deadline;              /* thread CPU time (µs) past which parsing stops */
	const char *where;            /* the page's name for messages */
};

/* Fails with LW_ERROR_TOO_BIG ("parsing took longer than N s") once the
 * page's CPU time budget is spent.  Cheap enough to call per entry. */
int lw_page_check_time(struct lw_page *p, GError **error);

/* Appends e (ownership taken, freed on every path) to s: gives it a hash
 * id when it has none, sanitises the id, drops it when the id is already
 * in s, cuts its body to max_entry_bytes, repairs UTF-8, fills url from
 * the page base.  Fails with LW_ERROR_TOO_BIG past max_entries. */
int lw_page_add_entry(struct lw_page *p, struct lw_snapshot *s,
                      struct lw_entry *e, GError **error);

/* XPath helpers; ctx NULL means the document.  _nodes returns the node
 * set object (free with xmlXPathFreeObject) or NULL when nothing matched;
 * _node the first node or NULL; _string the collapsed string value of the
 * first match, or NULL when empty. */
xmlXPathObject *lw_page_nodes(struct lw_page *p, const char *expr, xmlNode *ctx);
xmlNode *lw_page_node(struct lw_page *p, const char *expr, xmlNode *ctx);
char *lw_page_string(struct lw_page *p, const char *expr, xmlNode *ctx);

/* The node after n in document order inside root's subtree (n itself
 * excluded from the climb), or NULL: for hand walks of the tree, which
 * cost a fraction of an XPath scan and can stop early. */
xmlNode *lw_page_next(xmlNode *n, const xmlNode *root);

/* Walks the whole page once (on the first call) for the elements the
 * formats look for anywhere in it, each list in document order:
 *   p->ldjson_scripts  //script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]
 *   p->carousels       //gu-island[@name='KeyEventsCarousel'][@props]
 * One walk by hand costs a fraction of one XPath scan per list. */
void lw_page_scan(struct lw_page *p);

/* string(//ELEMENT[@KEY=VALUE]/@ATTR) collapsed, NULL when empty: the
 * first such element (with an ATTR) in document order, found by a walk
 * that stops there (these tags sit in the <head>; an XPath query would
 * scan the whole page for more).  nocase compares @KEY ignoring ASCII
 * case. */
char *lw_page_head_value(struct lw_page *p, const char *element, const char *key,
                         const char *value, bool nocase, const char *attr);

/* href resolved against the page's address (opts.base_url, else
 * <base href>, else the canonical url): a new absolute http(s) url, or
 * NULL when href is empty or cannot be made absolute. */
char *lw_page_resolve(struct lw_page *p, const char *href);

/* The next (older) page of the blog from generic markup: <link rel=next>,
 * <a rel=next>, an AMP live-list's pagination.  NULL when none. */
char *lw_page_generic_next(struct lw_page *p);

/* base + "#" + id, or "" when the page has no base url. */
char *lw_page_permalink(const struct lw_page *p, const char *id);

/* True for "http://..." and "https://..." */
bool lw_url_is_absolute(const char *url);

/* Parses JSON text unless it is larger than max_bytes or nested deeper
 * than max_depth (checked before parsing, so json-glib never recurses
 * deeper).  Returns a new root node or NULL. */
JsonNode *lw_json_parse_bounded(const char *text, gsize len, guint max_depth,
                                gsize max_bytes);

/* Reading a few values out of large JSON without building its tree.
 * *pos moves through text up to end; each function returns false (with
 * *pos anywhere) when the text there is not well-formed JSON.
 *
 * lw_json_skip: past one value (iteratively: any depth is safe).
 * lw_json_next_member: *pos at '{' or just past a member's value; moves
 *   past the next member's key and ':' and sets key/key_len to the key's
 *   raw bytes (escapes undecoded); false at the object's end ('}' consumed,
 *   *done set) or on an error (*done clear).
 * lw_json_next_element: the same for an array's elements ('[' or after
 *   an element), leaving *pos at the element.
 * lw_json_string: the string value at *pos, decoded, newly allocated;
 *   NULL when *pos is not at a string. */
bool lw_json_skip(const char **pos, const char *end);
bool lw_json_next_member(const char **pos, const char *end, const char **key,
                         gsize *key_len, bool *done);
bool lw_json_next_element(const char **pos, const char *end, bool *done);
char *lw_json_string(const char **pos, const char *end);

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
