/* HTML to plain text (text.h): the one renderer every format shares,
 * line collapsing, the volatile-line test, and dates to RFC 3339 UTC.
 *
 * Just over 700 lines on purpose: the renderer is one state machine
 * (blocks, inline runs, lists, quotes, pre) whose parts share its
 * struct; embeds are in text-embed.c. */
#include "text.h"
#include "text-embed.h"

#include <string.h>
#include <curl/curl.h>
#include <libxml/HTMLparser.h>

struct lw_text_render {
	GString *out;
	GString *line;       /* inline text of the line being built, raw */
	GString *collapsed;  /* scratch: the line collapsed */
	gsize max;
	guint quote_depth;
	bool bullet;         /* the next line flushed starts a list item */
	bool truncated;
};

static bool is_removed_char(gunichar c)
{
	return c == 0x00AD || (c >= 0x200B && c <= 0x200D) || c == 0x2060 ||
	       c == 0xFEFF;
}

static bool is_space_char(gunichar c)
{
	return c < 0x20 || c == 0x7F || c == 0x00A0 || g_unichar_isspace(c) ||
	       g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR;
}

/* Replaces out's contents with s collapsed (see lw_text_collapse()). */
static void collapse_into(GString *out, const char *s, gssize len)
{
	g_string_truncate(out, 0);
	if (!s)
		return;
	if (len < 0)
		len = (gssize)strlen(s);
	g_autofree char *valid = NULL;
	if (!g_utf8_validate(s, len, NULL)) {
		valid = g_utf8_make_valid(s, len);
		s = valid;
		len = (gssize)strlen(valid);
	}
	bool space = false;
	const char *end = s + len;
	for (const char *p = s; p < end && *p;) {
		/* nearly all page text is ASCII: no decoding, no table look-up */
		if ((guchar)*p < 0x80) {
			char c = *p++;
			if ((guchar)c <= ' ' || c == 0x7F) {
				space = out->len > 0;
				continue;
			}
			if (space)
				g_string_append_c(out, ' ');
			space = false;
			g_string_append_c(out, c);
			continue;
		}
		gunichar c = g_utf8_get_char(p);
		const char *next = g_utf8_next_char(p);
		if (is_removed_char(c)) {
			p = next;
			continue;
		}
		if (is_space_char(c)) {
			space = out->len > 0;
			p = next;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = false;
		g_string_append_len(out, p, next - p);
		p = next;
	}
}

char *lw_text_collapse(const char *s, gssize len)
{
	GString *out = g_string_sized_new(s && len > 0 ? (gsize)len : 16);
	collapse_into(out, s, len);
	return g_string_free(out, FALSE);
}

bool lw_text_truncate(char *s, gsize max)
{
	gsize len = strlen(s);
	if (len <= max)
		return false;
	gsize end = max;
	while (end > 0 && ((guchar)s[end] & 0xC0) == 0x80)
		end--;
	s[end] = '\0';
	return true;
}

static GRegex *volatile_regex(void)
{
	static gsize once;
	static GRegex *re;
	if (g_once_init_enter(&once)) {
		re = g_regex_new(
			"^(?:"
			"(?:from\\s+)?(?:about\\s+)?(?:\\d+|an?|one)\\s*"
			"(?:s|m|h|d|w|secs?|seconds?|mins?|minutes?|hrs?|hours?|"
			"days?|weeks?|months?|years?)\\s+ago"
			"|(?:last\\s+)?updated(?:\\s+(?:at|on))?:?\\s+(?=.*\\d)"
			"(?:(?:\\d[\\d.:/-]*|[ap]\\.?m\\.?|[a-z]{3,4}|at|on|"
			"(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|"
			"march|april|june|july|august|september|october|november|"
			"december)[\\s,]*){1,10}"
			"|just now"
			")$",
			G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
		g_once_init_leave(&once, 1);
	}
	return re;
}

bool lw_text_is_volatile(const char *line)
{
	/* every alternative of the pattern starts with a digit or with one of
	 * from, about, a(n), one, last, updated, just: most lines are out at
	 * their first byte, without running the regex */
	if (!line || !(g_ascii_isdigit(*line) || strchr("fFaAoOlLuUjJ", *line)) || !*line)
		return false;
	GRegex *re = volatile_regex();
	return re && g_regex_match(re, line, 0, NULL);
}

static void render_flush(struct lw_text_render *r)
{
	if (r->line->len == 0)
		return;
	/* collapsed into a buffer kept for the renderer's life: a post has
	 * dozens of lines, each would otherwise cost two allocations */
	collapse_into(r->collapsed, r->line->str, (gssize)r->line->len);
	g_string_truncate(r->line, 0);
	const char *text = r->collapsed->str;
	if (!text[0] || lw_text_is_volatile(text))
		return;
	if (r->truncated)
		return;
	gsize start = r->out->len;
	if (start > 0)
		g_string_append_c(r->out, '\n');
	if (r->quote_depth > 0)
		g_string_append(r->out, "> ");
	if (r->bullet)
		g_string_append(r->out, "- ");
	r->bullet = false;
	g_string_append_len(r->out, text, (gssize)r->collapsed->len);
	if (r->max && r->out->len > r->max) {
		lw_text_truncate(r->out->str + start, r->max - start);
		g_string_truncate(r->out, start + strlen(r->out->str + start));
		r->truncated = true;
	}
}

static bool name_is(const xmlNode *n, const char *name)
{
	return n->name && g_ascii_strcasecmp((const char *)n->name, name) == 0;
}


static const char *const dropped_elements[] = {
	"script", "style", "svg", "noscript", "button", "iframe", "form",
	"nav", "aside", "footer", "template", "select", "textarea", "input",
	"head", "title", "object", "embed", "canvas", "audio", "video", "math",
	"dialog", "meta", "link", NULL,
};

static const char *const block_elements[] = {
	"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4",
	"h5", "h6", "figcaption", "figure", "blockquote", "br", "hr", "tr",
	"table", "thead", "tbody", "tfoot", "caption", "section", "article",
	"header", "main", "pre", "address", "details", "summary", "body",
	"html", "center", "fieldset", "legend", "picture", NULL,
};

enum { NAME_DROPPED = 1, NAME_BLOCK = 2 };

/* What the renderer does with an element name, looked up once per element
 * in a table rather than by comparing it with each list. */
static unsigned name_kind(const xmlNode *n)
{
	static gsize once;
	static GHashTable *kinds;
	if (g_once_init_enter(&once)) {
		GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
		for (const char *const *d = dropped_elements; *d; d++)
			g_hash_table_insert(t, (gpointer)*d, GUINT_TO_POINTER(NAME_DROPPED));
		for (const char *const *b = block_elements; *b; b++) {
			unsigned k = GPOINTER_TO_UINT(g_hash_table_lookup(t, *b));
			g_hash_table_insert(t, (gpointer)*b, GUINT_TO_POINTER(k | NAME_BLOCK));
		}
		kinds = t;
		g_once_init_leave(&once, 1);
	}
	if (!n->name)
		return 0;
	const char *name = (const char *)n->name;
	gpointer v;
	if (g_hash_table_lookup_extended(kinds, name, NULL, &v))
		return GPOINTER_TO_UINT(v);
	/* The HTML parser lowercases names; XML (feeds) may not. */
	char low[16];
	gsize len = strlen(name);
	if (len >= sizeof(low))
		return 0;
	bool upper = false;
	for (gsize i = 0; i <= len; i++) {
		low[i] = g_ascii_tolower(name[i]);
		upper |= low[i] != name[i];
	}
	return upper ? GPOINTER_TO_UINT(g_hash_table_lookup(kinds, low)) : 0;
}

const char *lw_text_attr(const xmlNode *n, const char *name, xmlChar **owned)
{
	*owned = NULL;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (!xmlStrEqual(a->name, (const xmlChar *)name))
			continue;
		if (!a->children)
			return "";
		if (!a->children->next && a->children->type == XML_TEXT_NODE)
			return a->children->content ? (const char *)a->children->content : "";
		*owned = xmlNodeGetContent((const xmlNode *)a);
		return *owned ? (const char *)*owned : "";
	}
	return NULL;
}

bool lw_text_has_nocase(const char *s, const char *needle)
{
	gsize n = strlen(needle);
	for (; *s; s++)
		if (g_ascii_strncasecmp(s, needle, n) == 0)
			return true;
	return false;
}

/* An attribute value names a share or social widget (class, data-component). */
static bool attr_mentions(const xmlNode *n, const char *attr, const char *const *words)
{
	xmlChar *owned;
	const char *v = lw_text_attr(n, attr, &owned);
	bool found = false;
	for (; v && *words && !found; words++)
		found = lw_text_has_nocase(v, *words);
	xmlFree(owned);
	return found;
}

static const char *const widget_words[] = { "share", "social", NULL };

static bool is_relative_time(xmlNode *n)
{
	if (xmlHasProp(n, (const xmlChar *)"data-relativeformat"))
		return true;
	xmlChar *content = xmlNodeGetContent(n);
	if (!content)
		return false;
	g_autofree char *text = lw_text_collapse((const char *)content, -1);
	xmlFree(content);
	return lw_text_is_volatile(text);
}

static const char *const skip_words[] = { "skip-link", NULL };

/* "Skip to main content", "skip past newsletter promotion": in-page
 * jumps and their targets are page furniture. */
static bool is_skip_link(xmlNode *n)
{
	if (attr_mentions(n, "id", skip_words) || attr_mentions(n, "href", skip_words))
		return true;
	if (!name_is(n, "a"))
		return false;
	xmlChar *owned;
	const char *href = lw_text_attr(n, "href", &owned);
	bool local = href && href[0] == '#';
	xmlFree(owned);
	if (!local)
		return false;
	xmlChar *content = xmlNodeGetContent(n);
	g_autofree char *text = lw_text_collapse((const char *)content, -1);
	xmlFree(content);
	return g_ascii_strncasecmp(text, "skip ", 5) == 0;
}

static bool element_dropped(xmlNode *n)
{
	if (name_kind(n) & NAME_DROPPED)
		return true;
	if (is_skip_link(n))
		return true;
	if (xmlHasProp(n, (const xmlChar *)"hidden"))
		return true;
	if (attr_mentions(n, "class", widget_words) ||
	    attr_mentions(n, "data-component", widget_words))
		return true;
	xmlChar *owned;
	const char *comp = lw_text_attr(n, "data-component", &owned);
	bool tags = comp && g_ascii_strcasecmp(comp, "tags") == 0;
	xmlFree(owned);
	if (tags)
		return true;
	if (name_is(n, "time") && is_relative_time(n))
		return true;
	return false;
}

static void render_line(struct lw_text_render *r, const char *line)
{
	render_flush(r);
	guint depth = r->quote_depth;
	r->quote_depth = 0;
	g_string_append(r->line, line);
	render_flush(r);
	r->quote_depth = depth;
}

static void append_inline(struct lw_text_render *r, const xmlChar *text)
{
	if (!text)
		return;
	/* a line longer than the whole cap can never be kept entire */
	if (r->max && r->line->len > r->max)
		return;
	g_string_append(r->line, (const char *)text);
}

/* Returns true when the walker should go into n's children (and later
 * call render_leave for it). */
static bool render_enter(struct lw_text_render *r, xmlNode *n)
{
	switch (n->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		append_inline(r, n->content);
		return false;
	case XML_ELEMENT_NODE:
		break;
	case XML_DOCUMENT_NODE:
	case XML_HTML_DOCUMENT_NODE:
		return true;
	default:
		return false;
	}
	if (lw_text_may_embed(n)) {
		bool descend;
		g_autofree char *line = lw_text_embed_line(n, &descend);
		if (line && !descend) {
			render_line(r, line);
			return false;
		}
	}
	if (element_dropped(n))
		return false;
	if (name_kind(n) & NAME_BLOCK)
		render_flush(r);
	if (name_is(n, "li"))
		r->bullet = true;
	if (name_is(n, "blockquote"))
		r->quote_depth++;
	return true;
}

static void render_leave(struct lw_text_render *r, xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE)
		return;
	if (name_is(n, "td") || name_is(n, "th")) {
		g_string_append_c(r->line, ' ');
		return;
	}
	if (name_kind(n) & NAME_BLOCK) {
		render_flush(r);
		if (name_is(n, "li"))
			r->bullet = false;
		if (name_is(n, "blockquote") && r->quote_depth > 0)
			r->quote_depth--;
	}
	if (lw_text_may_embed(n)) {
		bool descend;
		g_autofree char *line = lw_text_embed_line(n, &descend);
		if (line && descend)
			render_line(r, line);
	}
}

struct lw_text_render *lw_text_render_new(gsize max_bytes)
{
	struct lw_text_render *r = g_new0(struct lw_text_render, 1);
	r->out = g_string_new(NULL);
	r->line = g_string_new(NULL);
	r->collapsed = g_string_new(NULL);
	r->max = max_bytes;
	return r;
}

void lw_text_render_node(struct lw_text_render *r, xmlNode *root)
{
	xmlNode *n = root;
	while (n) {
		if (r->truncated)
			return;
		if (render_enter(r, n)) {
			if (n->children) {
				n = n->children;
				continue;
			}
			render_leave(r, n);
		}
		/* climb until a node with a next sibling, leaving each parent */
		for (;;) {
			if (n == root)
				return;
			if (n->next) {
				n = n->next;
				break;
			}
			n = n->parent;
			if (!n)
				return;
			render_leave(r, n);
		}
	}
}

void lw_text_render_break(struct lw_text_render *r)
{
	render_flush(r);
}

void lw_text_render_text(struct lw_text_render *r, const char *text)
{
	render_flush(r);
	for (const char *l = text; l && *l && !r->truncated;) {
		const char *nl = strchr(l, '\n');
		gsize n = nl ? (gsize)(nl - l) : strlen(l);
		if (!r->max || r->line->len + n <= r->max)
			g_string_append_len(r->line, l, (gssize)n);
		render_flush(r);
		l = nl ? nl + 1 : l + n;
	}
}

char *lw_text_render_finish(struct lw_text_render *r, bool *truncated)
{
	render_flush(r);
	if (truncated)
		*truncated = r->truncated;
	g_string_free(r->line, TRUE);
	g_string_free(r->collapsed, TRUE);
	char *text = g_string_free(r->out, FALSE);
	g_free(r);
	if (!g_utf8_validate(text, -1, NULL)) {
		char *valid = g_utf8_make_valid(text, -1);
		g_free(text);
		text = valid;
	}
	return text;
}

char *lw_text_from_node(xmlNode *node, gsize max_bytes, bool *truncated)
{
	struct lw_text_render *r = lw_text_render_new(max_bytes);
	if (node)
		lw_text_render_node(r, node);
	return lw_text_render_finish(r, truncated);
}

char *lw_text_line_from_node(xmlNode *node)
{
	g_autofree char *text = lw_text_from_node(node, 64 * 1024, NULL);
	return lw_text_collapse(text, -1);
}

char *lw_text_from_plain(const char *s, gssize len, gsize max_bytes)
{
	if (!s)
		return g_strdup("");
	if (len < 0)
		len = (gssize)strlen(s);
	GString *out = g_string_new(NULL);
	const char *end = s + len;
	for (const char *l = s; l < end;) {
		const char *nl = memchr(l, '\n', (gsize)(end - l));
		const char *le = nl ? nl : end;
		g_autofree char *c = lw_text_collapse(l, le - l);
		if (c[0] && !lw_text_is_volatile(c)) {
			if (out->len)
				g_string_append_c(out, '\n');
			g_string_append(out, c);
		}
		if (max_bytes && out->len > max_bytes)
			break;
		l = le + 1;
	}
	char *text = g_string_free(out, FALSE);
	if (max_bytes)
		lw_text_truncate(text, max_bytes);
	return text;
}

/* One line of text without tags, its character references decoded as
 * libxml2's HTML parser decodes them, appended to out.  False (out then
 * half-written) at any '&' that is not a reference it surely knows the
 * same way: an HTML 4 entity name or a plain character number, ';'
 * closed; the caller then lets libxml2 parse. */
static bool decode_refs(GString *out, const char *s, gsize len)
{
	const char *end = s + len, *run = s;
	for (const char *p = s; p < end; p++) {
		if (*p != '&')
			continue;
		g_string_append_len(out, run, p - run);
		const char *semi = memchr(p, ';', (gsize)MIN(end - p, 12));
		if (!semi || semi - p < 3)
			return false;
		char ref[12];
		gsize n = (gsize)(semi - p - 1);
		memcpy(ref, p + 1, n);
		ref[n] = '\0';
		gunichar c = 0;
		if (ref[0] == '#') {
			bool hex = ref[1] == 'x' || ref[1] == 'X';
			const char *digits = ref + (hex ? 2 : 1);
			if (!*digits || strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789") !=
			                strlen(digits))
				return false;
			c = (gunichar)g_ascii_strtoull(digits, NULL, hex ? 16 : 10);
			/* what the parser might refuse or remap is left to it */
			if (!(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c < 0x7F) ||
			      (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
			      (c >= 0x10000 && c <= 0x10FFFF)))
				return false;
		} else {
			for (const char *k = ref; *k; k++)
				if (!g_ascii_isalnum(*k))
					return false;
			const htmlEntityDesc *ent = htmlEntityLookup((const xmlChar *)ref);
			if (!ent)
				return false;
			c = ent->value;
		}
		g_string_append_unichar(out, c);
		p = semi;
		run = semi + 1;
	}
	g_string_append_len(out, run, end - run);
	return true;
}

/* Text without tags, as the renderer would give it: its lines kept,
 * each collapsed, empty and volatile ones dropped; NULL when a character
 * reference in it is one decode_refs() leaves to libxml2. */
static char *text_lines(const char *html, gsize len, gsize max_bytes)
{
	if (!g_utf8_validate_len(html, len, NULL) || memchr(html, '\0', len))
		return NULL;
	GString *out = g_string_new(NULL);
	GString *line = g_string_new(NULL);
	const char *end = html + len;
	for (const char *l = html; l <= end;) {
		const char *nl = memchr(l, '\n', (gsize)(end - l));
		const char *e = nl ? nl : end;
		g_string_truncate(line, 0);
		if (!decode_refs(line, l, (gsize)(e - l))) {
			g_string_free(line, TRUE);
			g_string_free(out, TRUE);
			return NULL;
		}
		g_autofree char *c = lw_text_collapse(line->str, (gssize)line->len);
		if (c[0] && !lw_text_is_volatile(c)) {
			if (out->len)
				g_string_append_c(out, '\n');
			g_string_append(out, c);
		}
		if (!nl)
			break;
		l = nl + 1;
	}
	g_string_free(line, TRUE);
	char *text = g_string_free(out, FALSE);
	if (max_bytes)
		lw_text_truncate(text, max_bytes);
	return text;
}

char *lw_text_from_html(const char *html, gssize len, gsize max_bytes)
{
	if (!html)
		return g_strdup("");
	if (len < 0)
		len = (gssize)strlen(html);
	if (len > G_MAXINT / 8)
		len = G_MAXINT / 8;
	if (!memchr(html, '<', (gsize)len) && memchr(html, '&', (gsize)len)) {
		/* entities but no tags: decoded here, for a fraction of a parse */
		char *text = text_lines(html, (gsize)len, max_bytes);
		if (text)
			return text;
	}
	if (!memchr(html, '<', (gsize)len) && !memchr(html, '&', (gsize)len)) {
		/* plain text: keep its line structure */
		g_auto(GStrv) lines = g_strsplit(html, "\n", -1);
		GString *out = g_string_new(NULL);
		for (char **l = lines; *l; l++) {
			g_autofree char *c = lw_text_collapse(*l, -1);
			if (!c[0] || lw_text_is_volatile(c))
				continue;
			if (out->len)
				g_string_append_c(out, '\n');
			g_string_append(out, c);
		}
		char *text = g_string_free(out, FALSE);
		if (max_bytes)
			lw_text_truncate(text, max_bytes);
		return text;
	}

	GString *src = g_string_sized_new((gsize)len + 32);
	g_string_append(src, "<html><body><div>");
	if (!memchr(html, '<', (gsize)len)) {
		for (gssize i = 0; i < len; i++) {
			if (html[i] == '\n')
				g_string_append(src, "<br>");
			else
				g_string_append_c(src, html[i]);
		}
	} else {
		g_string_append_len(src, html, len);
	}
	htmlDocPtr doc = htmlReadMemory(src->str, (int)src->len, NULL, "UTF-8",
	                                HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
	                                HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	g_string_free(src, TRUE);
	if (!doc)
		return g_strdup("");
	char *text = lw_text_from_node(xmlDocGetRootElement(doc), max_bytes, NULL);
	xmlFreeDoc(doc);
	return text;
}

/* RFC 822 / 2822 as RSS writes it, through curl's parser (the one HTTP
 * dates go through); text.h says what it accepts.  A trailing comment
 * ("+0100 (BST)") is dropped first: curl reads no comments. */
static char *time_rfc822(char *s)
{
	gsize len = strlen(s);
	if (len && s[len - 1] == ')') {
		char *open = strrchr(s, '(');
		if (open)
			*open = '\0';
	}
	time_t t = curl_getdate(s, NULL);
	if (t == -1)
		return NULL;
	g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc((gint64)t);
	return u ? g_date_time_format(u, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

char *lw_text_time_utc(const char *s)
{
	if (!s)
		return NULL;
	g_autofree char *t = g_strstrip(g_strdup(s));
	if (t[0] && !g_ascii_isdigit(t[0]))
		return time_rfc822(t);
	if (t[0] && t[1] && t[2] && !g_ascii_isdigit(t[2]) && t[2] != '-')
		return time_rfc822(t);
	gsize len = strlen(t);
	if (len < 10)
		return NULL;
	if (len == 10) {
		char *full = g_strconcat(t, "T00:00:00Z", NULL);
		g_free(t);
		t = full;
	} else if (t[10] == ' ' || t[10] == 't') {
		t[10] = 'T';
	}
	/* "T11:50" without seconds */
	len = strlen(t);
	if (len >= 16 && t[13] == ':' && (len == 16 || t[16] == 'Z' || t[16] == '+' ||
	                                  t[16] == '-')) {
		char *full = g_strdup_printf("%.16s:00%s", t, t + 16);
		g_free(t);
		t = full;
	}
	/* "+0100" is ISO 8601 basic form; make the zone extended for GLib */
	len = strlen(t);
	if (len > 5 && (t[len - 5] == '+' || t[len - 5] == '-') &&
	    g_ascii_isdigit(t[len - 4]) && g_ascii_isdigit(t[len - 1]) &&
	    strchr(t, 'T') && strchr(t, 'T') < t + len - 5) {
		char *ext = g_strdup_printf("%.*s:%s", (int)(len - 2), t, t + len - 2);
		g_free(t);
		t = ext;
	}
	GTimeZone *utc = g_time_zone_new_utc();
	GDateTime *dt = g_date_time_new_from_iso8601(t, utc);
	g_time_zone_unref(utc);
	if (!dt)
		return NULL;
	GDateTime *u = g_date_time_to_utc(dt);
	g_date_time_unref(dt);
	if (!u)
		return NULL;
	char *out = g_date_time_format(u, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(u);
	return out;
}

bool lw_text_set_time(char **field, const char *raw)
{
	char *t = lw_text_time_utc(raw);
	if (!t)
		return false;
	g_free(*field);
	*field = t;
	return true;
}
