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
 */
#include "extract-private.h"
#include "error.h"
#include "text.h"

#include <string.h>

#define POSTS_XPATH \
	"//*[@id='liveblog-body']//article[starts-with(@id,'block-')]" \
	"[not(ancestor::*[@id='pinned-post'])]" \
	"[not(ancestor::article[starts-with(@id,'block-')])]"

bool lw_guardian_detect(struct lw_page *p)
{
	return lw_page_node(p, "//*[@id='liveblog-body']", NULL) ||
	       lw_page_node(p, "//article[starts-with(@id,'block-')]", NULL);
}

static bool is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       g_ascii_strcasecmp((const char *)n->name, name) == 0;
}

/* Ids ("block-<hex>") of the key events the carousel lists. */
static void collect_key_events(struct lw_page *p, GHashTable *set)
{
	xmlXPathObject *o = lw_page_nodes(p, "//gu-island[@name='KeyEventsCarousel']/@props", NULL);
	if (!o)
		return;
	for (int i = 0; i < o->nodesetval->nodeNr; i++) {
		xmlChar *props = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
		if (!props)
			continue;
		JsonNode *root = lw_json_parse_bounded((const char *)props, strlen((const char *)props),
		                                       p->opts.max_json_depth, 16 * 1024 * 1024);
		xmlFree(props);
		if (root && JSON_NODE_HOLDS_OBJECT(root)) {
			JsonObject *obj = json_node_get_object(root);
			JsonNode *ev = json_object_get_member(obj, "keyEvents");
			if (ev && JSON_NODE_HOLDS_ARRAY(ev)) {
				JsonArray *a = json_node_get_array(ev);
				for (guint j = 0; j < json_array_get_length(a); j++) {
					JsonNode *k = json_array_get_element(a, j);
					if (!JSON_NODE_HOLDS_OBJECT(k))
						continue;
					const char *id = json_object_get_string_member_with_default(
						json_node_get_object(k), "id", NULL);
					if (id && *id)
						g_hash_table_add(set, g_strconcat("block-", id, NULL));
				}
			}
		}
		if (root)
			json_node_unref(root);
	}
	xmlXPathFreeObject(o);
}

/* Ids the pinned-post copy links to. */
static void collect_pinned(struct lw_page *p, GHashTable *set)
{
	xmlXPathObject *o = lw_page_nodes(p, "//*[@id='pinned-post']//a/@href", NULL);
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

static char *permalink(struct lw_page *p, xmlNode *header, const char *id)
{
	if (!header)
		return NULL;
	xmlXPathObject *o = lw_page_nodes(p, ".//a/@href", header);
	if (!o)
		return NULL;
	g_autofree char *want = g_strconcat("#", id, NULL);
	char *found = NULL;
	for (int i = 0; i < o->nodesetval->nodeNr && !found; i++) {
		xmlChar *href = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
		if (href && lw_url_is_absolute((const char *)href) &&
		    g_str_has_suffix((const char *)href, want))
			found = g_strdup((const char *)href);
		xmlFree(href);
	}
	xmlXPathFreeObject(o);
	return found;
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
	xmlFree(raw_id);
	/* "block-" with nothing usable after it is no id: hash it later */
	if (id && strlen(id) > strlen("block-"))
		lw_entry_set(&e->id, id);

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

	g_autofree char *pub = lw_page_string(p,
		header ? ".//time/@datetime"
		       : ".//time[@datetime][not(ancestor::footer)]/@datetime",
		header ? header : article);
	char *t = lw_text_time_utc(pub);
	if (t) {
		g_free(e->published);
		e->published = t;
	}
	if (footer) {
		g_autofree char *upd = lw_page_string(p, ".//time/@datetime", footer);
		t = lw_text_time_utc(upd);
		if (t) {
			g_free(e->updated);
			e->updated = t;
		}
	}
	if (header) {
		xmlNode *h2 = lw_page_node(p, ".//h2", header);
		if (h2) {
			g_free(e->title);
			e->title = lw_text_line_from_node(h2);
		}
		g_autofree char *author = lw_page_string(p,
			"(.//span[not(ancestor::a)][not(ancestor::h2)][normalize-space()])[1]", header);
		lw_entry_set(&e->author, author);
	}
	char *url = permalink(p, header, e->id);
	if (url) {
		g_free(e->url);
		e->url = url;
	}
	e->key_event = class_says_key_event(article) ||
	               g_hash_table_contains(key_events, e->id);
	e->pinned = g_hash_table_contains(pinned, e->id) ||
	            lw_page_node(p, ".//header//a[contains(@href,'#pinned-post')]", article);
	return e;
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

	g_autofree char *title = lw_page_string(p, "//meta[@property='og:title']/@content", NULL);
	if (!title)
		title = lw_page_string(p, "//title", NULL);
	lw_entry_set(&s->page_title, title);

	xmlXPathObject *o = lw_page_nodes(p, POSTS_XPATH, NULL);
	if (!o)
		o = lw_page_nodes(p, "//article[starts-with(@id,'block-')]"
		                     "[not(ancestor::*[@id='pinned-post'])]", NULL);
	if (!o)
		return 0;
	int rc = 0;
	for (int i = 0; i < o->nodesetval->nodeNr && rc == 0; i++) {
		struct lw_entry *e = post_entry(p, o->nodesetval->nodeTab[i], key_events, pinned);
		rc = lw_page_add_entry(p, s, e, error);
	}
	xmlXPathFreeObject(o);
	return rc;
}
