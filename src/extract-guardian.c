/* The Guardian's live blog markup ("dotcom-rendering"):
 *
 *   div#liveblog-body
 *     div#pinned-post > ... > article            (a copy, no id: not an entry)
 *     gu-island[name=KeyEventsCarousel]          (props JSON lists key events)
 *     article#block-<hex>
 *       header: a[href=permalink] > time[datetime] "4m ago"; h2 title;
 *               span author
 *       ...content...
 *       footer: share links; time[datetime] "Updated at 12.08 BST"
 *   nav#liveblog-navigation: "Newest" "Previous" ... "Next" (older) "Oldest"
 *
 * and the older "frontend" markup (until about 2020):
 *
 *   div#liveblog-body
 *     div#block-<hex>.block[.is-key-event|.is-summary]
 *       p.block-time > a[href=permalink] > time[datetime]
 *       h2.block-title
 *       div.block-elements  ...content...
 *       p.updated-time > time[datetime]
 *       div.block-share ...
 */
#include "extract-private.h"
#include "error.h"
#include "text.h"

#include <string.h>

/* Markup that is not shown as the page: templates and noscript copies. */
#define NOT_INERT "[not(ancestor::template)][not(ancestor::noscript)]"
#define HAS_CLASS(c) "contains(concat(' ',normalize-space(@class),' '),' " c " ')"
/* The Guardian's ids are "block-" and 24 hex digits; Drupal names its
 * sidebar and menu blocks div.block#block-menu-block-9 on every page */
#define FRONTEND_BLOCK "div[starts-with(@id,'block-')][" HAS_CLASS("block") "]" \
	"[string-length(@id) >= 14][translate(substring(@id,7),'0123456789abcdefABCDEF','')='']"
#define FRONTEND_ALL_XPATH "//" FRONTEND_BLOCK "[not(ancestor::*[@id='pinned-post'])]" NOT_INERT

bool lw_guardian_detect(struct lw_page *p)
{
	return lw_page_node(p, "id('liveblog-body')", NULL) ||
	       lw_page_node(p, "//article[starts-with(@id,'block-')]", NULL) ||
	       lw_page_node(p, "//" FRONTEND_BLOCK, NULL);
}

char *lw_guardian_next_url(struct lw_page *p)
{
#define OLDER_LINK "//a[@href][normalize-space(.)='Next' or starts-with(normalize-space(.),'Older') or " \
	"contains(@class,'older') or contains(@data-link-name,'older') or contains(@rel,'next')]/@href"
	/* the blog's own navigation, when there is one, has the last word:
	 * no older link there means the oldest page */
	if (lw_page_node(p, "id('liveblog-navigation')", NULL)) {
		g_autofree char *href = lw_page_string(p, "id('liveblog-navigation')" OLDER_LINK, NULL);
		char *abs = lw_page_resolve(p, href);
		return abs ? abs : g_strdup("");
	}
	g_autofree char *href = lw_page_string(p,
		"//div[contains(@class,'liveblog-navigation')]" OLDER_LINK, NULL);
	return lw_page_resolve(p, href);
}

static bool is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       g_ascii_strcasecmp((const char *)n->name, name) == 0;
}

/* Appends "block-" + id for each {"id": …} in the array at *pos. */
static bool key_event_list(const char **pos, const char *end, GPtrArray *ids)
{
	const char *key;
	gsize key_len;
	bool done;
	while (lw_json_next_element(pos, end, &done)) {
		if (**pos != '{') {
			if (!lw_json_skip(pos, end))
				return false;
			continue;
		}
		g_autofree char *id = NULL;
		while (lw_json_next_member(pos, end, &key, &key_len, &done)) {
			if (!id && key_len == 2 && memcmp(key, "id", 2) == 0 && **pos == '"') {
				id = lw_json_string(pos, end);
				if (!id)
					return false;
			} else if (!lw_json_skip(pos, end)) {
				return false;
			}
		}
		if (!done)
			return false;
		if (id && *id)
			g_ptr_array_add(ids, g_strconcat("block-", id, NULL));
	}
	return done;
}

/* Adds "block-" + id for each {"keyEvents": [{"id": …}, …]} in the
 * carousel's props, read without building the tree (the props hold every
 * key event's whole content).  Malformed JSON adds nothing. */
static void carousel_ids(const char *json, gsize len, GHashTable *set)
{
	const char *pos = json, *end = json + len, *key;
	gsize key_len;
	bool done;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	pos = lw_json_ws(pos, end);
	if (pos >= end || *pos != '{')
		return;
	bool listed = false;
	while (lw_json_next_member(&pos, end, &key, &key_len, &done)) {
		bool ok;
		if (!listed && key_len == strlen("keyEvents") &&
		    memcmp(key, "keyEvents", key_len) == 0 && *pos == '[') {
			ok = key_event_list(&pos, end, ids);
			listed = true;
		} else {
			ok = lw_json_skip(&pos, end);
		}
		if (!ok)
			return;
	}
	if (!done || lw_json_ws(pos, end) != end)
		return;
	for (guint i = 0; i < ids->len; i++)
		g_hash_table_add(set, g_steal_pointer(&ids->pdata[i]));
}

/* Ids ("block-<hex>") of the key events the carousel lists. */
static void collect_key_events(struct lw_page *p, GHashTable *set)
{
	lw_page_scan(p);
	/* The page carries the carousel twice (desktop and mobile), usually
	 * with the same props: read each distinct one once. */
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < p->carousels->len; i++) {
		xmlChar *props = xmlGetProp(p->carousels->pdata[i], (const xmlChar *)"props");
		if (!props)
			continue;
		if (g_hash_table_add(seen, g_strdup((const char *)props)))
			carousel_ids((const char *)props, strlen((const char *)props), set);
		xmlFree(props);
	}
}

/* Ids the pinned-post copy links to. */
static void collect_pinned(struct lw_page *p, GHashTable *set)
{
	xmlXPathObject *o = lw_page_nodes(p, "id('pinned-post')//a/@href", NULL);
	if (!o)
		return;
	for (int i = 0; i < o->nodesetval->nodeNr; i++) {
		xmlChar *href = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
		const char *frag = href ? strrchr((const char *)href, '#') : NULL;
		if (frag && g_str_has_prefix(frag, "#block-"))
			g_hash_table_add(set, g_strdup(frag + 1));
		xmlFree(href);
	}
	xmlXPathFreeObject(o);
}

/* A post's header and footer are a dozen nodes: walking them by hand
 * costs a fraction of evaluating an XPath expression on them, and the
 * answers below are the ones the XPath in each comment gives. */

/* An XPath name test: an element of that name in no namespace. */
static bool is_named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns &&
	       xmlStrEqual(n->name, (const xmlChar *)name);
}

static bool has_ancestor_named(const xmlNode *n, const char *name, const xmlNode *stop)
{
	for (n = n->parent; n && n != stop; n = n->parent)
		if (is_named(n, name))
			return true;
	return false;
}

/* The collapsed value of el's attribute, NULL when absent or empty. */
static char *attr_string(const xmlNode *el, const char *name)
{
	xmlChar *owned;
	const char *v = lw_text_attr(el, name, &owned);
	char *s = v ? lw_text_collapse(v, -1) : NULL;
	xmlFree(owned);
	if (s && !s[0])
		g_clear_pointer(&s, g_free);
	return s;
}

/* string(.//time/@datetime) from root, collapsed; NULL when empty */
static char *first_datetime(xmlNode *root)
{
	for (xmlNode *n = lw_page_next(root, root); n; n = lw_page_next(n, root))
		if (is_named(n, "time") && xmlHasProp(n, (const xmlChar *)"datetime"))
			return attr_string(n, "datetime");
	return NULL;
}

/* (.//span[not(ancestor::a)][not(ancestor::h2)][normalize-space()])[1]
 * from header, collapsed; NULL when empty */
static char *header_author(xmlNode *header)
{
	if (has_ancestor_named(header, "a", NULL) || has_ancestor_named(header, "h2", NULL))
		return NULL;
	for (xmlNode *n = lw_page_next(header, header); n; n = lw_page_next(n, header)) {
		if (!is_named(n, "span") || has_ancestor_named(n, "a", header) ||
		    has_ancestor_named(n, "h2", header))
			continue;
		xmlChar *text = xmlNodeGetContent(n);
		/* normalize-space() is empty: XPath's four whitespace bytes only */
		bool blank = !text || !text[strspn((const char *)text, " \t\r\n")];
		char *author = blank ? NULL : lw_text_collapse((const char *)text, -1);
		xmlFree(text);
		if (blank)
			continue;
		if (!author[0])
			g_clear_pointer(&author, g_free);
		return author;
	}
	return NULL;
}

/* The first of header's links (.//a/@href) that is absolute and ends
 * in "#id": the post's permalink, or NULL. */
static char *permalink(xmlNode *header, const char *id)
{
	if (!header)
		return NULL;
	g_autofree char *want = g_strconcat("#", id, NULL);
	for (xmlNode *n = lw_page_next(header, header); n; n = lw_page_next(n, header)) {
		if (!is_named(n, "a"))
			continue;
		xmlChar *owned;
		const char *href = lw_text_attr(n, "href", &owned);
		char *found = href && lw_url_is_http(href) && g_str_has_suffix(href, want) ?
		              g_strdup(href) : NULL;
		xmlFree(owned);
		if (found)
			return found;
	}
	return NULL;
}

/* boolean(.//header//a[contains(@href,'#pinned-post')]) from article */
static bool links_pinned_post(xmlNode *article)
{
	for (xmlNode *n = lw_page_next(article, article); n; n = lw_page_next(n, article)) {
		if (!is_named(n, "a"))
			continue;
		xmlChar *owned;
		const char *href = lw_text_attr(n, "href", &owned);
		bool pinned = href && strstr(href, "#pinned-post") &&
		              has_ancestor_named(n, "header", article);
		xmlFree(owned);
		if (pinned)
			return true;
	}
	return false;
}

static bool class_says_key_event(xmlNode *article)
{
	xmlChar *cls = xmlGetProp(article, (const xmlChar *)"class");
	if (!cls)
		return false;
	g_autofree char *low = g_ascii_strdown((const char *)cls, -1);
	xmlFree(cls);
	return strstr(low, "key-event") || strstr(low, "key_event") ||
	       strstr(low, "keyevent");
}

static struct lw_entry *post_entry(struct lw_page *p, xmlNode *article,
                                   GHashTable *key_events, GHashTable *pinned)
{
	struct lw_entry *e = lw_entry_new();
	xmlChar *raw_id = xmlGetProp(article, (const xmlChar *)"id");
	g_autofree char *id = lw_entry_sanitize_id((const char *)raw_id);
	/* "block-" with nothing usable after it is no id: hash it later;
	 * the raw id goes on, so a long one keeps its hash */
	if (id && strlen(id) > strlen("block-"))
		lw_entry_set(&e->id, (const char *)raw_id);
	xmlFree(raw_id);

	xmlNode *header = NULL, *footer = NULL;
	for (xmlNode *c = article->children; c; c = c->next) {
		if (!header && is_element(c, "header"))
			header = c;
		else if (!footer && is_element(c, "footer"))
			footer = c;
	}

	/* content: after the header, up to the footer */
	struct lw_text_render *r = lw_text_render_new(p->opts.max_entry_bytes);
	xmlNode *c = header ? header->next : article->children;
	for (; c && c != footer; c = c->next)
		lw_text_render_node(r, c);
	g_free(e->body);
	e->body = lw_text_render_finish(r, NULL);

	g_autofree char *pub = header ? first_datetime(header) : lw_page_string(p,
		".//time[@datetime][not(ancestor::footer)]/@datetime", article);
	lw_text_set_time(&e->published, pub);
	if (footer) {
		g_autofree char *upd = first_datetime(footer);
		lw_text_set_time(&e->updated, upd);
	}
	if (header) {
		xmlNode *h2 = header;
		do
			h2 = lw_page_next(h2, header);
		while (h2 && !is_named(h2, "h2"));
		if (h2) {
			g_free(e->title);
			e->title = lw_text_line_from_node(h2);
		}
		g_autofree char *author = header_author(header);
		lw_entry_set(&e->author, author);
	}
	char *url = id ? permalink(header, id) : NULL;
	if (url) {
		g_free(e->url);
		e->url = url;
	}
	e->key_event = class_says_key_event(article) ||
	               (id && g_hash_table_contains(key_events, id));
	e->pinned = (id && g_hash_table_contains(pinned, id)) ||
	            links_pinned_post(article);
	return e;
}

static bool has_class(xmlNode *n, const char *name)
{
	xmlChar *cls = xmlGetProp(n, (const xmlChar *)"class");
	bool found = false;
	if (cls) {
		g_auto(GStrv) words = g_strsplit_set((const char *)cls, " \t\r\n\f", -1);
		for (char **w = words; *w && !found; w++)
			found = strcmp(*w, name) == 0;
	}
	xmlFree(cls);
	return found;
}

/* Renders what the frontend block says outside its furniture: the
 * timestamp, title, updated stamp and share row are fields or noise. */
static void render_frontend(struct lw_text_render *r, xmlNode *n)
{
	static const char *const furniture[] = {
		"block-time", "published-time", "block-title", "updated-time",
		"block-footer", "block-share", "block-byline", NULL,
	};
	for (xmlNode *c = n->children; c; c = c->next) {
		bool skip = false;
		if (c->type == XML_ELEMENT_NODE)
			for (const char *const *f = furniture; *f && !skip; f++)
				skip = has_class(c, *f);
		if (!skip)
			lw_text_render_node(r, c);
	}
}

static struct lw_entry *frontend_entry(struct lw_page *p, xmlNode *block)
{
	struct lw_entry *e = lw_entry_new();
	xmlChar *raw_id = xmlGetProp(block, (const xmlChar *)"id");
	g_autofree char *id = lw_entry_sanitize_id((const char *)raw_id);
	if (id && strlen(id) > strlen("block-"))
		lw_entry_set(&e->id, (const char *)raw_id);
	xmlFree(raw_id);

	xmlNode *when = lw_page_node(p, ".//*[" HAS_CLASS("block-time") "]", block);
	g_autofree char *pub = lw_page_string(p, when ? ".//time/@datetime" :
		".//time[@itemprop='datePublished']/@datetime", when ? when : block);
	lw_text_set_time(&e->published, pub);
	g_autofree char *upd = lw_page_string(p,
		".//*[contains(@class,'updated-time')]//time/@datetime", block);
	lw_text_set_time(&e->updated, upd);
	xmlNode *title = lw_page_node(p, ".//*[" HAS_CLASS("block-title") "]", block);
	if (title) {
		g_free(e->title);
		e->title = lw_text_line_from_node(title);
	}
	struct lw_text_render *r = lw_text_render_new(p->opts.max_entry_bytes);
	xmlNode *content = lw_page_node(p, ".//*[" HAS_CLASS("block-elements") "]", block);
	if (content)
		lw_text_render_node(r, content);
	else
		render_frontend(r, block);
	g_free(e->body);
	e->body = lw_text_render_finish(r, NULL);

	xmlChar *who = xmlGetProp(block, (const xmlChar *)"data-block-contributor");
	g_autofree char *author = lw_text_collapse((const char *)who, -1);
	xmlFree(who);
	lw_entry_set(&e->author, author);
	char *url = id ? permalink(when ? when : block, id) : NULL;
	if (url) {
		g_free(e->url);
		e->url = url;
	}
	e->key_event = has_class(block, "is-key-event") || has_class(block, "is-summary");
	e->pinned = has_class(block, "is-pinned") || has_class(block, "block--pinned");
	return e;
}

/* The nodes of o (freed), as an array; NULL when o is. */
static GPtrArray *node_array(xmlXPathObject *o)
{
	if (!o)
		return NULL;
	GPtrArray *a = g_ptr_array_sized_new((guint)o->nodesetval->nodeNr);
	for (int i = 0; i < o->nodesetval->nodeNr; i++)
		g_ptr_array_add(a, o->nodesetval->nodeTab[i]);
	xmlXPathFreeObject(o);
	return a;
}

/* The posts: every article#block-… from the live blog's body to the end
 * of the page, but not in the pinned post, a template or a noscript, by
 * hand (the XPath engine's scan of the body cost more than the rest of
 * the work on the posts).  Not only inside the body: a stray end tag
 * in a post (</div>) closes the body early for libxml2 as for a browser,
 * and the posts after it are still on the page.  NULL when there are
 * none. */
static GPtrArray *dcr_posts(struct lw_page *p)
{
	xmlNode *body = lw_page_node(p, "id('liveblog-body')", NULL);
	if (!body)
		return NULL;
	xmlNode *doc = (xmlNode *)p->doc;
	GPtrArray *posts = g_ptr_array_new();
	for (xmlNode *n = lw_page_next(body, doc); n; n = lw_page_next(n, doc)) {
		if (!is_named(n, "article"))
			continue;
		xmlChar *owned;
		const char *id = lw_text_attr(n, "id", &owned);
		bool block = id && g_str_has_prefix(id, "block-");
		xmlFree(owned);
		if (!block || has_ancestor_named(n, "template", NULL) ||
		    has_ancestor_named(n, "noscript", NULL))
			continue;
		bool pinned = false;
		for (xmlNode *a = n->parent; a && !pinned; a = a->parent) {
			if (a->type != XML_ELEMENT_NODE)
				continue;
			id = lw_text_attr(a, "id", &owned);
			pinned = id && strcmp(id, "pinned-post") == 0;
			xmlFree(owned);
		}
		if (!pinned)
			g_ptr_array_add(posts, n);
	}
	if (posts->len == 0)
		g_clear_pointer(&posts, g_ptr_array_unref);
	return posts;
}

static GPtrArray *frontend_posts(struct lw_page *p)
{
	return node_array(lw_page_nodes(p, FRONTEND_ALL_XPATH, NULL));
}

/* A post left unclosed swallows the posts after it (the HTML parser
 * nests them).  Each nested post moves out to follow its outermost
 * enclosing post, which keeps page order: every post is one entry and no
 * post's text holds another's.  Returns find()'s posts (in page order)
 * once none is inside another, or NULL when there are none. */
static GPtrArray *flatten_posts(struct lw_page *p, GPtrArray *(*find)(struct lw_page *p))
{
	GPtrArray *all = find(p);
	if (!all)
		return NULL;
	bool moved = false;
	g_autoptr(GHashTable) posts = g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < all->len; i++)
		g_hash_table_add(posts, all->pdata[i]);
	for (guint i = all->len; i-- > 0;) {
		xmlNode *n = all->pdata[i];
		xmlNode *outer = NULL;
		for (xmlNode *a = n->parent; a; a = a->parent)
			if (g_hash_table_contains(posts, a))
				outer = a;
		if (outer) {
			xmlUnlinkNode(n);
			xmlAddNextSibling(outer, n);
			moved = true;
		}
	}
	if (!moved)
		return all;
	g_ptr_array_unref(all);
	return find(p);
}

int lw_extract_guardian(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	if (!p->guardian_markup) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
		            "no guardian live blog markup (div#liveblog-body) in page");
		return -1;
	}
	g_autoptr(GHashTable) key_events = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) pinned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	collect_key_events(p, key_events);
	collect_pinned(p, pinned);

	g_autofree char *title = lw_page_head_value(p, "meta", "property", "og:title", false,
	                                            "content");
	if (!title)
		title = lw_page_string(p, "//title", NULL);
	lw_entry_set(&s->page_title, title);

	GPtrArray *o = flatten_posts(p, dcr_posts);
	if (!o)
		o = node_array(lw_page_nodes(p, "//article[starts-with(@id,'block-')]"
		                     "[not(ancestor::*[@id='pinned-post'])]" NOT_INERT
		                     "[not(ancestor::article[starts-with(@id,'block-')])]", NULL));
	bool frontend = false;
	if (!o) {
		o = flatten_posts(p, frontend_posts);
		frontend = true;
	}
	if (!o)
		return 0;
	int rc = 0;
	for (guint i = 0; i < o->len && rc == 0; i++) {
		xmlNode *n = o->pdata[i];
		struct lw_entry *e = frontend ? frontend_entry(p, n) :
		                     post_entry(p, n, key_events, pinned);
		rc = lw_page_add_entry(p, s, e, error);
	}
	g_ptr_array_unref(o);
	return rc;
}
