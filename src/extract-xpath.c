/* format = xpath: the blog's own profile (config keys entry, id, time,
 * updated, title, body; struct lw_xpath_profile).
 *
 * `entry` selects the entry nodes; the others are evaluated with each
 * entry node as context.  A field that selects nodes takes the first
 * node: an element is rendered (a title on one line), an attribute or
 * text node gives its value.  `body` renders every selected node in
 * turn with the same text renderer as the other formats, so its text is
 * the same whichever way the page is read.  An expression giving a
 * string, number or boolean gives its string value.  No id: hash id.
 * A time that is a number of 10 or 13 digits is Unix time (seconds or
 * milliseconds).  A post's body ends where the next post begins: body
 * nodes at or after the next entry node are left out, so `body` may be
 * `following-sibling::*` (a heading and the paragraphs under it). */
#include "extract-private.h"
#include "error.h"
#include "text.h"

#include <string.h>

static void quiet(void *ctx, const xmlError *err)
{
	(void)ctx;
	(void)err;
}

/* libxml2's XPath reports errors through the context's handler; a
 * handler that drops them keeps the library silent. */
static xmlXPathContext *quiet_context(xmlDoc *doc)
{
	xmlXPathContext *ctx = xmlXPathNewContext(doc);
	if (ctx)
		ctx->error = (xmlStructuredErrorFunc)quiet;
	return ctx;
}

struct field {
	const char *key;
	const char *expr;
	xmlXPathCompExpr *comp;
};

enum { F_ENTRY, F_ID, F_TIME, F_UPDATED, F_TITLE, F_BODY, F_COUNT };

static void fields_init(struct field *f, const struct lw_xpath_profile *p)
{
	const char *keys[F_COUNT] = { "entry", "id", "time", "updated", "title", "body" };
	const char *exprs[F_COUNT] = { p->entry, p->id, p->time, p->updated, p->title, p->body };
	for (int i = 0; i < F_COUNT; i++)
		f[i] = (struct field){ keys[i], exprs[i] && *exprs[i] ? exprs[i] : NULL, NULL };
}

static void fields_clear(struct field *f)
{
	for (int i = 0; i < F_COUNT; i++)
		if (f[i].comp)
			xmlXPathFreeCompExpr(f[i].comp);
}

static int fields_compile(struct field *f, xmlXPathContext *ctx, GError **error)
{
	for (int i = 0; i < F_COUNT; i++) {
		if ((i == F_ENTRY || i == F_BODY) && !f[i].expr) {
			g_set_error(error, LW_ERROR, LW_ERROR_CONFIG,
			            "xpath profile has no '%s' expression", f[i].key);
			return -1;
		}
		if (!f[i].expr)
			continue;
		f[i].comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)f[i].expr);
		if (!f[i].comp) {
			g_set_error(error, LW_ERROR, LW_ERROR_CONFIG,
			            "xpath '%s': invalid expression '%s'", f[i].key, f[i].expr);
			return -1;
		}
	}
	return 0;
}

int lw_extract_check_profile(const struct lw_xpath_profile *p, GError **error)
{
	if (!p) {
		g_set_error(error, LW_ERROR, LW_ERROR_CONFIG,
		            "format xpath needs an xpath profile (entry, body, ...)");
		return -1;
	}
	struct field f[F_COUNT];
	fields_init(f, p);
	xmlXPathContext *ctx = quiet_context(NULL);
	if (!ctx) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "out of memory");
		return -1;
	}
	int rc = fields_compile(f, ctx, error);
	fields_clear(f);
	xmlXPathFreeContext(ctx);
	return rc;
}

static xmlXPathObject *eval(struct lw_page *p, const struct field *f, xmlNode *node)
{
	if (!f->comp)
		return NULL;
	p->xpath->node = node;
	return xmlXPathCompiledEval(f->comp, p->xpath);
}

/* Markup the page does not show: a profile's entry inside it is none. */
static bool is_inert(const xmlNode *n)
{
	for (const xmlNode *a = n->parent; a; a = a->parent)
		if (a->type == XML_ELEMENT_NODE &&
		    (!g_ascii_strcasecmp((const char *)a->name, "template") ||
		     !g_ascii_strcasecmp((const char *)a->name, "noscript") ||
		     !g_ascii_strcasecmp((const char *)a->name, "script")))
			return true;
	return false;
}

static bool is_text_like(const xmlNode *n)
{
	return n->type == XML_ATTRIBUTE_NODE || n->type == XML_TEXT_NODE ||
	       n->type == XML_CDATA_SECTION_NODE;
}

/* A field on one line, or NULL when it is empty. */
static char *eval_line(struct lw_page *p, const struct field *f, xmlNode *node)
{
	xmlXPathObject *o = eval(p, f, node);
	if (!o)
		return NULL;
	char *s = NULL;
	if (o->type == XPATH_NODESET) {
		if (o->nodesetval && o->nodesetval->nodeNr > 0) {
			xmlNode *n = o->nodesetval->nodeTab[0];
			if (is_text_like(n)) {
				xmlChar *v = xmlNodeGetContent(n);
				s = lw_text_collapse((const char *)v, -1);
				xmlFree(v);
			} else {
				s = lw_text_line_from_node(n);
			}
		}
	} else {
		xmlChar *v = xmlXPathCastToString(o);
		s = lw_text_collapse((const char *)v, -1);
		xmlFree(v);
	}
	xmlXPathFreeObject(o);
	if (s && !s[0])
		g_clear_pointer(&s, g_free);
	return s;
}

/* True when n is at or after `next` in document order (n inside next
 * included): past the end of the post being read. */
static bool past(xmlNode *n, xmlNode *next)
{
	if (!next)
		return false;
	if (n->type == XML_ATTRIBUTE_NODE)
		n = n->parent;
	return n && xmlXPathCmpNodes(n, next) != 1;
}

static char *eval_body(struct lw_page *p, const struct field *f, xmlNode *node,
                       xmlNode *next)
{
	xmlXPathObject *o = eval(p, f, node);
	if (!o)
		return g_strdup("");
	char *s;
	if (o->type == XPATH_NODESET) {
		struct lw_text_render *r = lw_text_render_new(p->opts.max_entry_bytes);
		for (int i = 0; o->nodesetval && i < o->nodesetval->nodeNr; i++) {
			xmlNode *n = o->nodesetval->nodeTab[i];
			if (past(n, next))
				break;
			if (n->type == XML_ATTRIBUTE_NODE) {
				/* an attribute's value may hold markup (data-body="<p>…") */
				xmlChar *v = xmlNodeGetContent(n);
				g_autofree char *t = lw_text_from_html((const char *)v, -1,
				                                        p->opts.max_entry_bytes);
				xmlFree(v);
				lw_text_render_text(r, t);
			} else {
				/* each node its own block: two <span>s selected are two lines */
				lw_text_render_break(r);
				lw_text_render_node(r, n);
				lw_text_render_break(r);
			}
		}
		s = lw_text_render_finish(r, NULL);
	} else {
		xmlChar *v = xmlXPathCastToString(o);
		s = lw_text_from_html((const char *)v, -1, p->opts.max_entry_bytes);
		xmlFree(v);
	}
	xmlXPathFreeObject(o);
	return s;
}

/* A time as the page wrote it, or Unix time in seconds or milliseconds
 * (data-post-time="1722888018921"), as RFC 3339 UTC; NULL when neither. */
char *lw_xpath_time(const char *raw)
{
	if (!raw)
		return NULL;
	gsize n = strspn(raw, "0123456789");
	if (raw[n] == '\0' && (n == 10 || n == 13)) {
		gint64 secs = g_ascii_strtoll(raw, NULL, 10) / (n == 13 ? 1000 : 1);
		g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(secs);
		return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
	}
	return lw_text_time_utc(raw);
}

int lw_xpath_run(struct lw_page *p, struct lw_snapshot *s,
                 const struct lw_xpath_profile *prof,
                 lw_xpath_fixup fixup, void *data, GError **error)
{
	struct field f[F_COUNT];
	fields_init(f, prof);
	xmlStructuredErrorFunc saved = p->xpath->error;
	p->xpath->error = (xmlStructuredErrorFunc)quiet;
	int rc = fields_compile(f, p->xpath, error);
	xmlXPathObject *entries = NULL;
	if (rc == 0) {
		entries = eval(p, &f[F_ENTRY], xmlDocGetRootElement(p->doc));
		if (!entries || entries->type != XPATH_NODESET) {
			g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
			            "xpath 'entry' ('%s') does not select nodes", f[F_ENTRY].expr);
			rc = -1;
		}
	}
	if (rc == 0 && !s->page_title[0]) {
		g_autofree char *title = lw_page_string(p, p->xml ? "/*/*[local-name()='title'][1]"
		                                                  : "//title", NULL);
		lw_entry_set(&s->page_title, title);
	}
	int nr = rc == 0 && entries->nodesetval ? entries->nodesetval->nodeNr : 0;
	for (int i = 0; rc == 0 && i < nr; i++) {
		xmlNode *n = entries->nodesetval->nodeTab[i];
		if (is_inert(n))
			continue;
		xmlNode *next = i + 1 < nr ? entries->nodesetval->nodeTab[i + 1] : NULL;
		struct lw_entry *e = lw_entry_new();
		g_autofree char *id = eval_line(p, &f[F_ID], n);
		/* an anchor href ("#post-3", "…/live#post-3") names the post by its fragment */
		const char *frag = id ? strrchr(id, '#') : NULL;
		lw_entry_set(&e->id, frag && frag[1] ? frag + 1 : id);
		g_autofree char *t = eval_line(p, &f[F_TIME], n);
		g_autofree char *pub = lw_xpath_time(t);
		lw_entry_set(&e->published, pub);
		g_autofree char *u = eval_line(p, &f[F_UPDATED], n);
		g_autofree char *upd = lw_xpath_time(u);
		lw_entry_set(&e->updated, upd);
		g_autofree char *title = eval_line(p, &f[F_TITLE], n);
		lw_entry_set(&e->title, title);
		g_free(e->body);
		e->body = eval_body(p, &f[F_BODY], n, next);
		if (fixup && !fixup(p, n, e, t, data)) {
			lw_entry_free(e);
			continue;
		}
		rc = lw_page_add_entry(p, s, e, error);
	}
	if (entries)
		xmlXPathFreeObject(entries);
	fields_clear(f);
	p->xpath->error = saved;
	return rc;
}

int lw_extract_xpath(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	return lw_xpath_run(p, s, p->opts.xpath, NULL, NULL, error);
}
