#include "extract.h"
#include "extract-private.h"
#include "error.h"
#include "text.h"

#include <string.h>
#include <time.h>
#include <libxml/parser.h>

#define SNIFF_BYTES 4096
#define DEFAULT_PARSE_TIME 5.0

bool lw_url_is_absolute(const char *url)
{
	return url && (g_ascii_strncasecmp(url, "http://", 7) == 0 ||
	               g_ascii_strncasecmp(url, "https://", 8) == 0);
}

/* ---- charset ---- */

/* The value after "charset=" in one <meta ...> tag, or NULL. */
static char *meta_charset(const char *tag, gsize len)
{
	g_autofree char *low = g_ascii_strdown(tag, (gssize)len);
	const char *c = strstr(low, "charset");
	if (!c)
		return NULL;
	c += strlen("charset");
	while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
		c++;
	if (*c != '=')
		return NULL;
	c++;
	while (*c == ' ' || *c == '"' || *c == '\'')
		c++;
	gsize n = strcspn(c, " \t\r\n\"';/>");
	if (n == 0 || n > 40)
		return NULL;
	return g_strndup(c, n);
}

static char *sniff_meta_charset(const char *data, gsize len)
{
	gsize n = MIN(len, SNIFF_BYTES);
	for (gsize i = 0; i + 5 < n; i++) {
		if (data[i] != '<' || g_ascii_strncasecmp(data + i, "<meta", 5) != 0)
			continue;
		const char *end = memchr(data + i, '>', n - i);
		if (!end)
			break;
		char *cs = meta_charset(data + i, (gsize)(end - (data + i)));
		if (cs)
			return cs;
	}
	return NULL;
}

static const char *bom_charset(const char *data, gsize len)
{
	const guchar *u = (const guchar *)data;
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return "UTF-8";
	if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE)
		return "UTF-16LE";
	if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF)
		return "UTF-16BE";
	return NULL;
}

/* Bytes labelled (or taken as) UTF-8 that are not: more invalid bytes
 * than valid multi-byte characters means a single-byte page (the CMS
 * that writes windows-1252 under a UTF-8 <meta>); a few stray bytes in a
 * UTF-8 page do not. */
static bool looks_like_cp1252(const char *data, gsize len)
{
	/* One pass: a page is mostly ASCII, which costs a comparison per
	 * eight bytes here, far less than g_utf8_validate_len() spends; valid
	 * UTF-8 counts no invalid byte. */
	gsize valid = 0, invalid = 0;
	const char *p = data, *end = data + len;
	while (p < end) {
		/* eight ASCII bytes at a time */
		guint64 w;
		while (end - p >= 8 && (memcpy(&w, p, 8), (w & G_GUINT64_CONSTANT(0x8080808080808080)) == 0))
			p += 8;
		if (p >= end)
			break;
		if ((guchar)*p < 0x80) {
			p++;
			continue;
		}
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			invalid++;
			p++;
		} else {
			valid++;
			p = g_utf8_next_char(p);
		}
	}
	return invalid > valid;
}

/* The charset to parse with: HTTP, <meta>, BOM, UTF-8, in that order.
 * Latin-1 labels mean windows-1252 on the web (HTML5); a name libxml2
 * does not know falls back to UTF-8; "UTF-8" that is plainly not is
 * windows-1252. */
static char *choose_charset(const char *http, const char *data, gsize len)
{
	char *cs = NULL;
	if (http && *http)
		cs = g_strdup(http);
	if (!cs)
		cs = sniff_meta_charset(data, len);
	if (!cs && bom_charset(data, len))
		cs = g_strdup(bom_charset(data, len));
	if (!cs)
		return g_strdup(looks_like_cp1252(data, len) ? "windows-1252" : "UTF-8");
	g_strstrip(cs);
	static const char *const latin1[] = {
		"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii",
		"l1", "cp819", "ibm819", "iso_8859-1", NULL,
	};
	for (const char *const *l = latin1; *l; l++) {
		if (g_ascii_strcasecmp(cs, *l) == 0) {
			g_free(cs);
			return g_strdup("windows-1252");
		}
	}
	if (g_ascii_strcasecmp(cs, "utf-8") == 0 || g_ascii_strcasecmp(cs, "utf8") == 0) {
		g_free(cs);
		return g_strdup(looks_like_cp1252(data, len) ? "windows-1252" : "UTF-8");
	}
	xmlCharEncodingHandler *h = xmlFindCharEncodingHandler(cs);
	if (!h) {
		g_free(cs);
		return g_strdup("UTF-8");
	}
	xmlCharEncCloseFunc(h);
	return cs;
}

/* windows-1252 as the WHATWG Encoding Standard defines it: every byte
 * maps (the five unassigned ones to C1 controls), so no byte of a page
 * can make the conversion fail, as iconv's windows-1252 would. */
static char *cp1252_to_utf8(const char *data, gsize len, gsize *out_len)
{
	static const guint16 high[32] = {
		0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
		0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
	};
	GString *out = g_string_sized_new(len + len / 8 + 16);
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)data[i];
		if (c < 0x80)
			g_string_append_c(out, (char)c);
		else if (c < 0xA0)
			g_string_append_unichar(out, high[c - 0x80]);
		else
			g_string_append_unichar(out, c);
	}
	*out_len = out->len;
	return g_string_free(out, FALSE);
}

/* ---- page helpers ---- */

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
	xmlNode *n = lw_page_node(p, expr, ctx);
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

static bool has_ascii_nocase(const char *s, const char *needle)
{
	gsize n = strlen(needle);
	for (; *s; s++)
		if (g_ascii_strncasecmp(s, needle, n) == 0)
			return true;
	return false;
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
			if (type && has_ascii_nocase(type, "ld+json"))
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
	if (lw_url_is_absolute(p->opts.base_url))
		base = g_strdup(p->opts.base_url);
	else if (!p->xml)
		base = lw_page_string(p, "//base/@href", NULL);
	if (!lw_url_is_absolute(base)) {
		g_free(base);
		base = g_strdup(p->base);
	}
	char *abs = NULL;
	if (lw_url_is_absolute(h))
		abs = g_strdup(h);
	else if (lw_url_is_absolute(base))
		abs = g_uri_resolve_relative(base, h, G_URI_FLAGS_NONE, NULL);
	if (abs && !lw_url_is_absolute(abs))
		g_clear_pointer(&abs, g_free);
	return abs;
}

#define REL_NEXT "[contains(concat(' ',translate(normalize-space(@rel),'NEXT','next'),' '),' next ')]"

char *lw_page_generic_next(struct lw_page *p)
{
	static const char *const exprs[] = {
		"//*[self::link or self::a]" REL_NEXT "/@href",
		/* AMP live-list: the list's own pagination block */
		"//amp-live-list//*[@pagination]//a[@href]"
		"[starts-with(translate(normalize-space(.),'NEXTOLDR','nextoldr'),'next') or "
		" starts-with(translate(normalize-space(.),'NEXTOLDR','nextoldr'),'older')]/@href",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(exprs); i++) {
		g_autofree char *href = lw_page_string(p, exprs[i], NULL);
		char *abs = lw_page_resolve(p, href);
		if (abs)
			return abs;
	}
	return NULL;
}

JsonNode *lw_json_parse_bounded(const char *text, gsize len, guint max_depth,
                                gsize max_bytes)
{
	if (len > max_bytes || len > G_MAXSSIZE)
		return NULL;
	guint depth = 0;
	bool in_string = false;
	for (gsize i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return NULL;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	JsonParser *parser = json_parser_new();
	JsonNode *root = NULL;
	if (json_parser_load_from_data(parser, text, (gssize)len, NULL))
		root = json_parser_steal_root(parser);
	g_object_unref(parser);
	return root;
}

/* ---- reading JSON without a tree ---- */

static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': just past the closing quote, or NULL. */
static const char *json_string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

bool lw_json_skip(const char **pos, const char *end)
{
	const char *p = json_ws(*pos, end);
	gsize depth = 0;
	do {
		p = json_ws(p, end);
		if (p >= end)
			return false;
		if (*p == '"') {
			p = json_string_end(p, end);
			if (!p)
				return false;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
			continue;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return false;
			depth--;
			p++;
		} else if (*p == ',' || *p == ':') {
			if (depth == 0)
				return false;
			p++;
			continue;
		} else {
			/* a number, true, false or null */
			const char *s = p;
			while (p < end && (g_ascii_isalnum(*p) || *p == '-' || *p == '+' || *p == '.'))
				p++;
			if (p == s)
				return false;
		}
	} while (depth > 0);
	*pos = p;
	return true;
}

/* *pos at the opening bracket (the first call), or just past a value:
 * moves to the next value (true), or past the closing bracket (false,
 * *done set). */
static bool json_next(const char **pos, const char *end, char open, char close, bool *done)
{
	const char *p = json_ws(*pos, end);
	*done = false;
	if (p >= end)
		return false;
	if (*p == open) {
		p = json_ws(p + 1, end);
		if (p < end && *p == close) {
			*pos = p + 1;
			*done = true;
			return false;
		}
	} else if (*p == ',') {
		p = json_ws(p + 1, end);
	} else if (*p == close) {
		*pos = p + 1;
		*done = true;
		return false;
	} else {
		return false;
	}
	if (p >= end)
		return false;
	*pos = p;
	return true;
}

bool lw_json_next_member(const char **pos, const char *end, const char **key,
                         gsize *key_len, bool *done)
{
	if (!json_next(pos, end, '{', '}', done))
		return false;
	const char *p = *pos;
	if (*p != '"')
		return false;
	const char *k_end = json_string_end(p, end);
	if (!k_end)
		return false;
	*key = p + 1;
	*key_len = (gsize)(k_end - p - 2);
	p = json_ws(k_end, end);
	if (p >= end || *p != ':')
		return false;
	*pos = json_ws(p + 1, end);
	return *pos < end;
}

bool lw_json_next_element(const char **pos, const char *end, bool *done)
{
	return json_next(pos, end, '[', ']', done);
}

char *lw_json_string(const char **pos, const char *end)
{
	const char *p = json_ws(*pos, end);
	if (p >= end || *p != '"')
		return NULL;
	const char *s_end = json_string_end(p, end);
	if (!s_end)
		return NULL;
	*pos = s_end;
	if (!memchr(p, '\\', (gsize)(s_end - p)))
		return g_strndup(p + 1, (gsize)(s_end - p - 2));
	/* escapes: json-glib decodes the one token */
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json_parser_load_from_data(parser, p, s_end - p, NULL))
		return NULL;
	JsonNode *root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_VALUE(root) || json_node_get_value_type(root) != G_TYPE_STRING)
		return NULL;
	return g_strdup(json_node_get_string(root));
}

/* ---- the "article" format: a page of one entry ---- */

static char *canonical_url(struct lw_page *p)
{
	/* string(//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href) */
	char *u = lw_page_head_value(p, "link", "rel", "canonical", true, "href");
	if (!u)
		u = lw_page_head_value(p, "meta", "property", "og:url", false, "content");
	return u;
}

/* The last non-empty path segment of a url, or NULL. */
static char *url_last_segment(const char *url)
{
	const char *start = strstr(url, "://");
	start = start ? start + 3 : url;
	const char *path = strchr(start, '/');
	if (!path)
		return NULL;
	gsize n = strcspn(path, "?#");
	g_autofree char *p = g_strndup(path, n);
	g_auto(GStrv) parts = g_strsplit(p, "/", -1);
	const char *last = NULL;
	for (char **s = parts; *s; s++)
		if (**s)
			last = *s;
	return last ? g_strdup(last) : NULL;
}

static xmlNode *article_root(struct lw_page *p)
{
	static const char *const candidates[] = {
		"//*[@itemprop='articleBody']",
		"//article//*[@id='maincontent']",
		"//article[not(ancestor::article)]",
		"//main",
		"//*[@role='main']",
		"//body",
		NULL,
	};
	for (const char *const *c = candidates; *c; c++) {
		xmlXPathObject *o = lw_page_nodes(p, *c, NULL);
		if (!o)
			continue;
		/* of several matches, the one with the most text */
		xmlNode *best = NULL;
		gsize best_len = 0;
		for (int i = 0; i < o->nodesetval->nodeNr; i++) {
			xmlNode *n = o->nodesetval->nodeTab[i];
			g_autofree char *t = lw_text_from_node(n, 4 * 1024 * 1024, NULL);
			gsize l = strlen(t);
			if (!best || l > best_len) {
				best = n;
				best_len = l;
			}
		}
		xmlXPathFreeObject(o);
		if (best && best_len > 0)
			return best;
	}
	return xmlDocGetRootElement(p->doc);
}

static char *article_title(struct lw_page *p)
{
	char *t = lw_page_head_value(p, "meta", "property", "og:title", false, "content");
	if (t)
		return t;
	xmlNode *h1 = lw_page_node(p, "//h1", NULL);
	if (h1) {
		t = lw_text_line_from_node(h1);
		if (t[0])
			return t;
		g_free(t);
	}
	t = lw_page_string(p, "//title", NULL);
	return t ? t : g_strdup("");
}

static void set_time(char **field, const char *raw)
{
	char *t = lw_text_time_utc(raw);
	if (!t)
		return;
	g_free(*field);
	*field = t;
}

static int extract_article(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	struct lw_entry *e = lw_entry_new();
	g_autofree char *canon = canonical_url(p);
	const char *url = lw_url_is_absolute(p->opts.base_url) ? p->opts.base_url : NULL;
	if (lw_url_is_absolute(canon))
		url = canon;
	char *seg = url ? url_last_segment(url) : NULL;
	lw_entry_set(&e->id, seg ? seg : "article");
	g_free(seg);
	lw_entry_set(&e->url, url);

	g_free(e->title);
	e->title = article_title(p);

	/* the headline rendered inside the article is the title, not body */
	bool cut = false;
	g_free(e->body);
	e->body = lw_text_from_node(article_root(p), p->opts.max_entry_bytes, &cut);
	gsize tl = strlen(e->title);
	if (tl && strncmp(e->body, e->title, tl) == 0 &&
	    (e->body[tl] == '\n' || e->body[tl] == '\0'))
		memmove(e->body, e->body + tl + (e->body[tl] ? 1 : 0),
		        strlen(e->body + tl + (e->body[tl] ? 1 : 0)) + 1);

	g_autofree char *pub = lw_page_head_value(p, "meta", "property",
	                                          "article:published_time", false, "content");
	g_autofree char *mod = lw_page_head_value(p, "meta", "property",
	                                          "article:modified_time", false, "content");
	set_time(&e->published, pub);
	set_time(&e->updated, mod);
	if (!e->published[0] || !e->updated[0]) {
		g_autofree char *jp = NULL, *jm = NULL;
		lw_jsonld_article_dates(p, &jp, &jm);
		if (!e->published[0] && jp)
			lw_entry_set(&e->published, jp);
		if (!e->updated[0] && jm)
			lw_entry_set(&e->updated, jm);
	}
	g_autofree char *author = lw_page_string(p, "//meta[@name='author']/@content", NULL);
	lw_entry_set(&e->author, author);

	lw_entry_set(&s->page_title, e->title);
	if (!e->title[0] && !e->body[0]) {
		lw_entry_free(e);
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
		            "page has nothing that looks like content");
		return -1;
	}
	return lw_page_add_entry(p, s, e, error);
}

/* ---- driver ---- */

static void page_clear(struct lw_page *p)
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

static const struct {
	const char *name;
	lw_extract_fn fn;
} extractors[] = {
	{ "guardian", lw_extract_guardian },
	{ "jsonld", lw_extract_jsonld },
	{ "feed", lw_extract_feed },
	{ "xpath", lw_extract_xpath },
	{ "article", extract_article },
};

#define KNOWN_FORMATS "auto, guardian, jsonld, feed, xpath, article"

gboolean lw_extract_format_known(const char *name)
{
	if (!name || strcmp(name, "auto") == 0)
		return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(extractors); i++)
		if (strcmp(name, extractors[i].name) == 0)
			return TRUE;
	return FALSE;
}

/* True when every entry has the content fields JSON-LD could supply
 * (a Guardian update's headline in JSON-LD is the page's, never the post's). */
static bool markup_complete(const struct lw_snapshot *s)
{
	for (guint i = 0; i < s->entries->len; i++) {
		const struct lw_entry *e = s->entries->pdata[i];
		if (!e->published[0] || !e->body[0] || !e->url[0])
			return false;
	}
	return true;
}

/* "auto": a feed, else Guardian markup, else JSON-LD updates, else an
 * article.  Returns the format used, or NULL with error set. */
static const char *run_auto(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	if (p->xml)
		return lw_extract_feed(p, s, error) < 0 ? NULL : "feed";
	if (p->guardian_markup) {
		if (lw_extract_guardian(p, s, error) < 0)
			return NULL;
		if (s->entries->len > 0 && markup_complete(s)) {
			/* The JSON-LD could only repeat what the markup said (the
			 * Guardian's updates carry the page's headline and times):
			 * skip building its tree, the costliest part of a page. */
			lw_jsonld_page_fields(p, s);
			return "guardian";
		}
		if (s->entries->len > 0 || !lw_jsonld_has_updates(p)) {
			lw_jsonld_enrich(p, s);
			return "guardian";
		}
		/* markup without posts (rendered by script): the JSON-LD has them */
	}
	if (lw_jsonld_has_updates(p))
		return lw_extract_jsonld(p, s, error) < 0 ? NULL : "jsonld";
	return extract_article(p, s, error) < 0 ? NULL : "article";
}

static int run_format(struct lw_page *p, const char *format,
                      struct lw_snapshot *s, GError **error)
{
	if (strcmp(format, "auto") == 0) {
		format = run_auto(p, s, error);
		if (!format)
			return -1;
	} else {
		for (gsize i = 0; i < G_N_ELEMENTS(extractors); i++)
			if (strcmp(format, extractors[i].name) == 0 &&
			    extractors[i].fn(p, s, error) < 0)
				return -1;
		/* the markup's posts, with what the JSON-LD knows better */
		if (!p->xml && strcmp(format, "xpath") == 0)
			lw_jsonld_enrich(p, s);
	}
	lw_entry_set(&s->format, format);
	if (!s->next_url[0] && !p->xml) {
		char *next = strcmp(format, "guardian") == 0 ? lw_guardian_next_url(p) : NULL;
		if (!next)
			next = lw_page_generic_next(p);
		else if (!next[0])
			g_clear_pointer(&next, g_free);
		lw_entry_set(&s->next_url, next);
		g_free(next);
	}
	/* a fragment names a place in a page, not another page */
	char *hash = strchr(s->next_url, '#');
	if (hash)
		*hash = '\0';
	return lw_page_check_time(p, error);
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

struct lw_snapshot *lw_extract(const char *data, gsize len,
                               const struct lw_extract_opts *opts,
                               GError **error)
{
	static const struct lw_extract_opts defaults = LW_EXTRACT_OPTS_DEFAULT;
	struct lw_page page = { 0 };
	struct lw_snapshot *s = NULL;
	g_autofree char *canon = NULL;
	g_autofree char *charset = NULL;
	page.opts = opts ? *opts : defaults;
	if (!page.opts.format)
		page.opts.format = "auto";
	if (!page.opts.max_entries)
		page.opts.max_entries = defaults.max_entries;
	if (!page.opts.max_entry_bytes)
		page.opts.max_entry_bytes = defaults.max_entry_bytes;
	if (!page.opts.max_json_depth)
		page.opts.max_json_depth = defaults.max_json_depth;
	if (!(page.opts.max_parse_time > 0))
		page.opts.max_parse_time = DEFAULT_PARSE_TIME;
	const char *where = page.opts.base_url ? page.opts.base_url : "page";
	page.where = where;
	page.deadline = thread_cpu_us() + (gint64)(page.opts.max_parse_time * G_USEC_PER_SEC);

	if (!lw_extract_format_known(page.opts.format)) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
		            "unknown extract format '%s' (known: " KNOWN_FORMATS ")",
		            page.opts.format);
		return NULL;
	}
	if (strcmp(page.opts.format, "xpath") == 0 &&
	    lw_extract_check_profile(page.opts.xpath, error) < 0)
		return NULL;
	if (!data || len == 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "'%s': empty page", where);
		return NULL;
	}
	if (len > G_MAXINT) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG,
		            "'%s': page of %" G_GSIZE_FORMAT " bytes is too big to parse",
		            where, len);
		return NULL;
	}

	const char *fmt = page.opts.format;
	page.xml = strcmp(fmt, "feed") == 0 ||
	           ((strcmp(fmt, "auto") == 0 || strcmp(fmt, "xpath") == 0) &&
	            lw_feed_sniff(data, len));
	if (page.xml) {
		/* XML says its own encoding; only HTTP overrides it */
		if (page.opts.charset && *page.opts.charset)
			charset = choose_charset(page.opts.charset, data, len);
		page.doc = parse_xml(data, len, charset);
	} else {
		charset = choose_charset(page.opts.charset, data, len);
		g_autofree char *converted = NULL;
		gsize converted_len = 0;
		if (g_ascii_strcasecmp(charset, "windows-1252") == 0 && len < G_MAXINT / 4) {
			converted = cp1252_to_utf8(data, len, &converted_len);
			g_free(charset);
			charset = g_strdup("UTF-8");
		}
		page.doc = htmlReadMemory(converted ? converted : data,
		                          converted ? (int)converted_len : (int)len, NULL, charset,
		                          HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
		                          HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	}
	if (!page.doc || !xmlDocGetRootElement(page.doc)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
		            page.xml ? "'%s': not an XML feed" : "'%s': not an HTML page", where);
		goto out;
	}
	page.xpath = xmlXPathNewContext(page.doc);
	if (!page.xpath) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "'%s': out of memory", where);
		goto out;
	}
	page.ids = g_hash_table_new(g_str_hash, g_str_equal);
	if (lw_page_check_time(&page, error) < 0) {
		g_prefix_error(error, "'%s': ", where);
		goto out;
	}

	if (!page.xml)
		canon = canonical_url(&page);
	if (lw_url_is_absolute(page.opts.base_url))
		page.base = g_strdup(page.opts.base_url);
	else if (lw_url_is_absolute(canon))
		page.base = g_strdup(canon);
	else
		page.base = g_strdup("");
	page.guardian_markup = !page.xml && lw_guardian_detect(&page);

	s = lw_snapshot_new();
	lw_entry_set(&s->page_url, page.opts.base_url);
	if (run_format(&page, page.opts.format, s, error) < 0) {
		if (error && *error && page.opts.base_url &&
		    !strstr((*error)->message, page.opts.base_url))
			g_prefix_error(error, "'%s': ", page.opts.base_url);
		lw_snapshot_free(s);
		s = NULL;
	}
out:
	page_clear(&page);
	return s;
}
