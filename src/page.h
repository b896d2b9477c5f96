/* One page, parsed once, and what every format needs of it: XPath with
 * compiled expressions cached, walks by hand, the page's address and
 * permalinks, its next page from generic markup, and lw_page_add_entry(),
 * the one place that enforces ids, uniqueness and the limits.
 *
 * The per-format extract-*.c files use this; it knows no format.  A page
 * is set up by the dispatcher (extract.c): zeroed, opts (defaults filled
 * in), where and xml set, then lw_page_load(); freed by lw_page_clear(). */
#pragma once

#include <stdbool.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "entry.h"
#include "extract.h"
#include "url.h"

struct lw_page {
	xmlDoc *doc;
	xmlXPathContext *xpath;
	struct lw_extract_opts opts;  /* with defaults filled in */
	char *base;                   /* for permalinks: base_url, else canonical, else "" */
	bool guardian_markup;         /* div#liveblog-body, article[id^=block-] or div.block[id^=block-] */
	bool xml;                     /* parsed as XML (a feed), not HTML */
	GPtrArray *jsonld;            /* struct lw_jtree * of the ld+json blocks; NULL until loaded */
	GPtrArray *ldjson_scripts;    /* xmlNode *: see lw_page_scan(); NULL until scanned */
	GPtrArray *carousels;         /* xmlNode *: see lw_page_scan(); NULL until scanned */
	GHashTable *ids;              /* id -> entry of the snapshot (both borrowed) */
	GHashTable *compiled;         /* XPath expression -> xmlXPathCompExpr *, or NULL */
	struct lw_generic *generic;   /* extract-generic.c's findings; NULL until it looks */
	gint64 deadline;              /* thread CPU time (µs) past which parsing stops */
	const char *where;            /* the page's name for messages */
};

/* Parses data (len > 0, at most G_MAXINT bytes) into p->doc: as XML
 * without network access or DOCTYPE when p->xml (a feed: only XML's
 * predefined entities expand; the charset is its own unless opts.charset
 * says otherwise), else as HTML in the charset lw_charset_choose() picks.
 * Starts the page's CPU time budget, makes p->xpath and p->ids, sets
 * p->base.  Returns 0, or -1 with LW_ERROR_PARSE ("'WHERE': not an HTML
 * page") or LW_ERROR_TOO_BIG (the budget spent by the parse alone). */
int lw_page_load(struct lw_page *p, const char *data, gsize len, GError **error);

/* Frees what p holds (not p); a page that failed to load, or was never
 * loaded, too. */
void lw_page_clear(struct lw_page *p);

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

/* n's string value (its text, entities and CDATA resolved) collapsed to
 * one line; NULL when n is NULL or the value is empty. */
char *lw_page_node_string(xmlNode *n);

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

/* The page's own idea of its address: <link rel=canonical>, else
 * og:url; collapsed, newly allocated, NULL when absent or empty. */
char *lw_page_canonical(struct lw_page *p);
