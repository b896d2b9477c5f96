#include "page.h"
#include "charset.h"
#include "error.h"
#include "text.h"
#include "url.h"

#include <string.h>
#include <time.h>
#include <libxml/parser.h>

xmlXPathObject *lw_page_nodes(struct lw_page *p, const char *expr, xmlNode *ctx)
{
	p->xpath->node = ctx ? ctx : xmlDocGetRootElement(p->doc);
	if (!p->xpath->node)
		return NULL;
	/* The same few expressions run for every post: compile each once per
	 * page (compiling cost as much as evaluating on a post's subtree). */
	if (!p->compiled)
		p->compiled = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                    (GDestroyNotify)xmlXPathFreeCompExpr);
	xmlXPathCompExpr *comp = g_hash_table_lookup(p->compiled, expr);
	if (!comp) {
		comp = xmlXPathCtxtCompile(p->xpath, (const xmlChar *)expr);
		if (!comp)
			return NULL;
		g_hash_table_insert(p->compiled, g_strdup(expr), comp);
	}
	xmlXPathObject *o = xmlXPathCompiledEval(comp, p->xpath);
	if (o && o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0)
		return o;
	xmlXPathFreeObject(o);
	return NULL;
}

xmlNode *lw_page_node(struct lw_page *p, const char *expr, xmlNode *ctx)
{
	xmlXPathObject *o = lw_page_nodes(p, expr, ctx);
	if (!o)
		return NULL;
	xmlNode *n = o->nodesetval->nodeTab[0];
	xmlXPathFreeObject(o);
	return n;
}

char *lw_page_string(struct lw_page *p, const char *expr, xmlNode *ctx)
{
	return lw_page_node_string(lw_page_node(p, expr, ctx));
}

char *lw_page_node_string(xmlNode *n)
{
	if (!n)
		return NULL;
	xmlChar *v = xmlNodeGetContent(n);
	char *s = lw_text_collapse((const char *)v, -1);
	xmlFree(v);
	if (!s[0]) {
		g_free(s);
		return NULL;
	}
	return s;
}

xmlNode *lw_page_next(xmlNode *n, const xmlNode *root)
{
	if ((n->type == XML_ELEMENT_NODE || n->type == XML_DOCUMENT_NODE ||
	     n->type == XML_HTML_DOCUMENT_NODE) && n->children)
		return n->children;
	for (; n && n != root; n = n->parent)
		if (n->next)
			return n->next;
	return NULL;
}

static bool attr_is(const xmlNode *n, const char *name, const char *value)
{
	xmlChar *owned;
	const char *v = lw_text_attr(n, name, &owned);
	bool is = v && strcmp(v, value) == 0;
	xmlFree(owned);
	return is;
}

void lw_page_scan(struct lw_page *p)
{
	if (p->ldjson_scripts)
		return;
	p->ldjson_scripts = g_ptr_array_new();
	p->carousels = g_ptr_array_new();
	xmlNode *doc = (xmlNode *)p->doc;
	for (xmlNode *n = lw_page_next(doc, doc); n; n = lw_page_next(n, doc)) {
		if (n->type != XML_ELEMENT_NODE || n->ns)
			continue;
		if (xmlStrEqual(n->name, (const xmlChar *)"script")) {
			xmlChar *owned;
			const char *type = lw_text_attr(n, "type", &owned);
			if (type && lw_text_has_nocase(type, "ld+json"))
				g_ptr_array_add(p->ldjson_scripts, n);
			xmlFree(owned);
		} else if (xmlStrEqual(n->name, (const xmlChar *)"gu-island") &&
		           attr_is(n, "name", "KeyEventsCarousel") &&
		           xmlHasProp(n, (const xmlChar *)"props")) {
			g_ptr_array_add(p->carousels, n);
		}
	}
}

char *lw_page_head_value(struct lw_page *p, const char *element, const char *key,
                         const char *value, bool nocase, const char *attr)
{
	xmlNode *doc = (xmlNode *)p->doc;
	for (xmlNode *n = lw_page_next(doc, doc); n; n = lw_page_next(n, doc)) {
		if (n->type != XML_ELEMENT_NODE || n->ns ||
		    !xmlStrEqual(n->name, (const xmlChar *)element))
			continue;
		xmlChar *owned_key, *owned_val;
		const char *k = lw_text_attr(n, key, &owned_key);
		const char *v = lw_text_attr(n, attr, &owned_val);
		bool match = k && v && (nocase ? g_ascii_strcasecmp(k, value) == 0 :
		                        strcmp(k, value) == 0);
		char *s = match ? lw_text_collapse(v, -1) : NULL;
		xmlFree(owned_key);
		xmlFree(owned_val);
		if (!match)
			continue;
		if (!s[0])
			g_clear_pointer(&s, g_free);
		return s;
	}
	return NULL;
}

char *lw_page_permalink(const struct lw_page *p, const char *id)
{
	if (!p->base[0])
		return g_strdup("");
	const char *hash = strchr(p->base, '#');
	int n = hash ? (int)(hash - p->base) : (int)strlen(p->base);
	return g_strdup_printf("%.*s#%s", n, p->base, id);
}

static void ensure_utf8(char **field)
{
	if (g_utf8_validate(*field, -1, NULL))
		return;
	char *v = g_utf8_make_valid(*field, -1);
	g_free(*field);
	*field = v;
}

/* A sanitised id; one that had to be cut keeps a hash of the whole raw
 * id, so two long ids that share a prefix stay two entries. */
static char *page_id(const char *raw)
{
	char *id = lw_entry_sanitize_id(raw);
	if (!id || strlen(id) < LW_ENTRY_ID_MAX || strlen(raw) <= LW_ENTRY_ID_MAX)
		return id;
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, raw, -1);
	id[LW_ENTRY_ID_MAX - 18] = '\0';
	g_autofree char *joined = g_strdup_printf("%s-%.16s", id, sum);
	g_free(id);
	return lw_entry_sanitize_id(joined);
}

static gint64 thread_cpu_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return g_get_monotonic_time();
	return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int lw_page_check_time(struct lw_page *p, GError **error)
{
	if (thread_cpu_us() <= p->deadline)
		return 0;
	g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "parsing took longer than %g s",
	            p->opts.max_parse_time);
	return -1;
}

int lw_page_add_entry(struct lw_page *p, struct lw_snapshot *s,
                      struct lw_entry *e, GError **error)
{
	char **fields[] = { &e->id, &e->published, &e->updated, &e->title,
	                    &e->body, &e->url, &e->author };
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
		ensure_utf8(fields[i]);
	lw_text_truncate(e->body, p->opts.max_entry_bytes);

	char *id = page_id(e->id);
	if (!id) {
		/* two posts the page gives no id, with the same time and text,
		 * are still two posts: later ones count up */
		id = lw_entry_hash_id(e->published, e->title, e->body);
		for (int n = 2; g_hash_table_contains(p->ids, id) && n < 1000; n++) {
			g_autofree char *base = lw_entry_hash_id(e->published, e->title, e->body);
			g_free(id);
			id = g_strdup_printf("%s-%d", base, n);
		}
	}
	g_free(e->id);
	e->id = id;

	if (g_hash_table_contains(p->ids, e->id)) {
		lw_entry_free(e);
		return 0;
	}
	if (s->entries->len >= p->opts.max_entries) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG,
		            "page has more than %u entries", p->opts.max_entries);
		lw_entry_free(e);
		return -1;
	}
	if (lw_page_check_time(p, error) < 0) {
		lw_entry_free(e);
		return -1;
	}
	if (!e->url[0]) {
		g_free(e->url);
		e->url = lw_page_permalink(p, e->id);
	}
	g_ptr_array_add(s->entries, e);
	g_hash_table_insert(p->ids, e->id, e);
	return 0;
}

char *lw_page_resolve(struct lw_page *p, const char *href)
{
	if (!href)
		return NULL;
	g_autofree char *h = lw_text_collapse(href, -1);
	if (!h[0] || h[0] == '#')
		return NULL;
	g_autofree char *base = NULL;
	if (lw_url_is_http(p->opts.base_url))
		base = g_strdup(p->opts.base_url);
	else if (!p->xml)
		base = lw_page_string(p, "//base/@href", NULL);
	if (!lw_url_is_http(base)) {
		g_free(base);
		base = g_strdup(p->base);
	}
	return lw_url_resolve(base, h);
}

/* rel's value holds the token "next", in any case. */
static bool rel_is_next(const char *rel)
{
	for (const char *t = rel; *t; t++)
		if (g_ascii_strncasecmp(t, "next", 4) == 0 &&
		    (t == rel || g_ascii_isspace(t[-1])) && (!t[4] || g_ascii_isspace(t[4])))
			return true;
	return false;
}

char *lw_page_generic_next(struct lw_page *p)
{
	/* The first <link> or <a> with rel "next" and an href, found by a
	 * walk by hand (an XPath scan of the page costs several times more);
	 * the walk also says whether an AMP live list is there to look in */
	xmlNode *doc = (xmlNode *)p->doc;
	bool amp = false;
	for (xmlNode *n = lw_page_next(doc, doc); n; n = lw_page_next(n, doc)) {
		if (n->type != XML_ELEMENT_NODE || n->ns || !n->properties)
			continue;
		if (xmlStrEqual(n->name, (const xmlChar *)"amp-live-list")) {
			amp = true;
			continue;
		}
		if (!xmlStrEqual(n->name, (const xmlChar *)"a") &&
		    !xmlStrEqual(n->name, (const xmlChar *)"link"))
			continue;
		xmlChar *owned_rel;
		const char *rel = lw_text_attr(n, "rel", &owned_rel);
		bool next = rel && rel_is_next(rel);
		xmlFree(owned_rel);
		if (!next)
			continue;
		xmlChar *owned;
		const char *href = lw_text_attr(n, "href", &owned);
		if (!href)
			continue;
		char *abs = lw_page_resolve(p, href);
		xmlFree(owned);
		if (abs)
			return abs;
		/* the first such element decides, as string() of the XPath did */
		break;
	}
	if (!amp)
		return NULL;
	/* AMP live-list: the list's own pagination block */
	g_autofree char *href = lw_page_string(p,
		"//amp-live-list//*[@pagination]//a[@href]"
		"[starts-with(translate(normalize-space(.),'NEXTOLDR','nextoldr'),'next') or "
		" starts-with(translate(normalize-space(.),'NEXTOLDR','nextoldr'),'older')]/@href", NULL);
	return lw_page_resolve(p, href);
}

char *lw_page_canonical(struct lw_page *p)
{
	/* string(//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href) */
	char *u = lw_page_head_value(p, "link", "rel", "canonical", true, "href");
	if (!u)
		u = lw_page_head_value(p, "meta", "property", "og:url", false, "content");
	return u;
}

/* ---- loading ---- */

void lw_page_clear(struct lw_page *p)
{
	if (p->compiled)
		g_hash_table_unref(p->compiled);
	if (p->ids)
		g_hash_table_unref(p->ids);
	if (p->jsonld)
		g_ptr_array_unref(p->jsonld);
	if (p->ldjson_scripts)
		g_ptr_array_unref(p->ldjson_scripts);
	if (p->carousels)
		g_ptr_array_unref(p->carousels);
	g_free(p->base);
	if (p->xpath)
		xmlXPathFreeContext(p->xpath);
	if (p->doc)
		xmlFreeDoc(p->doc);
}

/* A feed's prolog may declare entities (the billion laughs): the DOCTYPE
 * goes, so only XML's five predefined entities and character references
 * are ever expanded.  Returns a blanked copy, or NULL when there is no
 * DOCTYPE before the root element. */
static char *strip_doctype(const char *data, gsize len)
{
	gsize i = 0;
	for (;;) {
		const char *lt = memchr(data + i, '<', len - i);
		if (!lt)
			return NULL;
		i = (gsize)(lt - data);
		if (i + 2 > len)
			return NULL;
		if (data[i + 1] == '?' || (data[i + 1] == '!' && i + 4 <= len &&
		                           memcmp(data + i, "<!--", 4) == 0)) {
			const char *end = data[i + 1] == '?' ?
				g_strstr_len(data + i, (gssize)(len - i), "?>") :
				g_strstr_len(data + i + 4, (gssize)(len - i - 4), "-->");
			if (!end)
				return NULL;
			i = (gsize)(end - data) + 2;
			continue;
		}
		if (data[i + 1] != '!')
			return NULL;
		break;
	}
	gsize start = i, depth = 0;
	char quote = 0;
	for (i = start + 2; i < len; i++) {
		char c = data[i];
		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '[') {
			depth++;
		} else if (c == ']' && depth > 0) {
			depth--;
		} else if (c == '>' && depth == 0) {
			break;
		}
	}
	char *copy = g_memdup2(data, len);
	memset(copy + start, ' ', MIN(i + 1, len) - start);
	return copy;
}

static xmlDoc *parse_xml(const char *data, gsize len, const char *charset)
{
	g_autofree char *clean = strip_doctype(data, len);
	return xmlReadMemory(clean ? clean : data, (int)len, NULL, charset,
	                     XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                     XML_PARSE_NONET | XML_PARSE_NOCDATA);
}

int lw_page_load(struct lw_page *p, const char *data, gsize len, GError **error)
{
	g_autofree char *charset = NULL;
	p->deadline = thread_cpu_us() + (gint64)(p->opts.max_parse_time * G_USEC_PER_SEC);
	if (p->xml) {
		/* XML says its own encoding; only HTTP overrides it */
		if (p->opts.charset && *p->opts.charset)
			charset = lw_charset_choose(p->opts.charset, data, len);
		p->doc = parse_xml(data, len, charset);
	} else {
		charset = lw_charset_choose(p->opts.charset, data, len);
		g_autofree char *converted = NULL;
		gsize converted_len = 0;
		if (g_ascii_strcasecmp(charset, "windows-1252") == 0 && len < G_MAXINT / 4) {
			converted = lw_charset_cp1252_to_utf8(data, len, &converted_len);
			g_free(charset);
			charset = g_strdup("UTF-8");
		}
		p->doc = htmlReadMemory(converted ? converted : data,
		                        converted ? (int)converted_len : (int)len, NULL, charset,
		                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
		                        HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	}
	if (!p->doc || !xmlDocGetRootElement(p->doc)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
		            p->xml ? "'%s': not an XML feed" : "'%s': not an HTML page", p->where);
		return -1;
	}
	p->xpath = xmlXPathNewContext(p->doc);
	if (!p->xpath) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "'%s': out of memory", p->where);
		return -1;
	}
	p->ids = g_hash_table_new(g_str_hash, g_str_equal);
	if (lw_page_check_time(p, error) < 0) {
		g_prefix_error(error, "'%s': ", p->where);
		return -1;
	}

	g_autofree char *canon = p->xml ? NULL : lw_page_canonical(p);
	if (lw_url_is_http(p->opts.base_url))
		p->base = g_strdup(p->opts.base_url);
	else if (lw_url_is_http(canon))
		p->base = g_strdup(canon);
	else
		p->base = g_strdup("");
	return 0;
}
