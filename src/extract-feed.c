/* Feeds: RSS 2.0 (rss > channel > item), RSS 1.0 (rdf:RDF > item) and
 * Atom (feed > entry).  One item is one entry:
 *
 *   id        guid / atom:id, else the item's link, else a hash
 *   published pubDate / dc:date / atom:published (atom:issued)
 *   updated   atom:updated (atom:modified)
 *   title     title (Atom: per its type)
 *   body      content:encoded, atom:content, description, atom:summary:
 *             the first present, in that order (HTML in a string, or
 *             Atom's inline xhtml)
 *   url       link / atom:link[rel=alternate], resolved against the feed
 *   author    author / dc:creator / atom:author/name
 *
 * Elements are matched by local name, so a feed's namespace prefixes
 * (or their absence) do not matter.  The tree is walked directly: no
 * XPath with namespaces, and an entry's fields are its own children. */
#include "extract-private.h"
#include "error.h"
#include "text.h"

#include <string.h>

/* Bytes that start (after a BOM, the XML declaration, comments, PIs and
 * a DOCTYPE) with <rss, <feed or <*:RDF.  Only the first 4 KB are read. */
bool lw_feed_sniff(const char *data, gsize len)
{
	gsize n = MIN(len, 4096);
	gsize i = 0;
	if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n) {
		while (i < n && g_ascii_isspace(data[i]))
			i++;
		if (i >= n || data[i] != '<')
			return false;
		if (i + 4 <= n && memcmp(data + i, "<!--", 4) == 0) {
			const char *end = g_strstr_len(data + i + 4, (gssize)(n - i - 4), "-->");
			if (!end)
				return false;
			i = (gsize)(end - data) + 3;
			continue;
		}
		if (i + 1 < n && (data[i + 1] == '?' || data[i + 1] == '!')) {
			/* a PI, or a DOCTYPE whose internal subset may hold '>' */
			gsize depth = 0;
			for (i += 2; i < n; i++) {
				if (data[i] == '[')
					depth++;
				else if (data[i] == ']' && depth > 0)
					depth--;
				else if (data[i] == '>' && depth == 0)
					break;
			}
			if (i >= n)
				return false;
			i++;
			continue;
		}
		gsize start = i + 1, e = start;
		while (e < n && (g_ascii_isalnum(data[e]) || data[e] == ':' ||
		                 data[e] == '-' || data[e] == '_' || data[e] == '.'))
			e++;
		g_autofree char *name = g_strndup(data + start, e - start);
		const char *local = strrchr(name, ':');
		local = local ? local + 1 : name;
		return strcmp(name, "rss") == 0 || strcmp(name, "feed") == 0 ||
		       strcmp(local, "feed") == 0 || strcmp(local, "RDF") == 0;
	}
	return false;
}

static bool named(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

static char *attr(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? lw_text_collapse((const char *)v, -1) : NULL;
	xmlFree(v);
	return s;
}

/* Atom text constructs carry a type (text, html, xhtml); RSS elements
 * hold escaped HTML (or plain text, which renders the same). */
static char *render(struct lw_page *p, xmlNode *n, bool atom, gsize max)
{
	g_autofree char *type = atom ? attr(n, "type") : NULL;
	if (type && strcmp(type, "xhtml") == 0)
		return lw_text_from_node(n, max, NULL);
	xmlChar *v = xmlNodeGetContent(n);
	char *s;
	if (atom && (!type || strcmp(type, "text") == 0 || strcmp(type, "plain") == 0 ||
	             strcmp(type, "text/plain") == 0))
		s = lw_text_from_plain((const char *)v, -1, max);
	else
		s = lw_text_from_html((const char *)v, -1, max);
	xmlFree(v);
	(void)p;
	return s;
}

/* Atom's link to the alternate (HTML) version: rel absent or alternate. */
static char *atom_link(xmlNode *parent, const char *rel)
{
	for (xmlNode *c = parent->children; c; c = c->next) {
		if (!named(c, "link"))
			continue;
		g_autofree char *r = attr(c, "rel");
		if (strcmp(r ? r : "alternate", rel) == 0) {
			char *href = attr(c, "href");
			if (href && *href)
				return href;
			g_free(href);
		}
	}
	return NULL;
}

static struct lw_entry *item_entry(struct lw_page *p, xmlNode *item, bool atom)
{
	struct lw_entry *e = lw_entry_new();
	g_autofree char *link = NULL;
	if (atom) {
		link = atom_link(item, "alternate");
	} else {
		link = lw_page_node_string(child(item, "link"));
		if (!link)
			link = atom_link(item, "alternate");
		if (!link) {
			/* RSS 1.0 names the item by its rdf:about */
			xmlChar *about = xmlGetNsProp(item, (const xmlChar *)"about",
			                              (const xmlChar *)"http://www.w3.org/1999/02/22-rdf-syntax-ns#");
			link = about ? lw_text_collapse((const char *)about, -1) : NULL;
			xmlFree(about);
		}
	}
	g_autofree char *url = lw_page_resolve(p, link);

	g_autofree char *id = lw_page_node_string(child(item, atom ? "id" : "guid"));
	if (!id && !atom)
		id = lw_page_node_string(child(item, "id"));
	if (!id)
		id = g_strdup(link);
	if (id) {
		/* a url as id: its scheme says nothing, its path and query do */
		lw_entry_set(&e->id, lw_url_is_http(id) ? lw_url_after_scheme(id) : id);
	}
	if (!url && !atom) {
		xmlNode *guid = child(item, "guid");
		g_autofree char *perma = guid ? attr(guid, "isPermaLink") : NULL;
		g_autofree char *g = lw_page_node_string(guid);
		if (g && lw_url_is_http(g) && (!perma || strcmp(perma, "false") != 0))
			url = g_strdup(g);
	}
	lw_entry_set(&e->url, url);

	static const char *const published[] = { "published", "pubDate", "date", "issued", "created" };
	for (gsize i = 0; i < G_N_ELEMENTS(published) && !e->published[0]; i++) {
		g_autofree char *t = lw_page_node_string(child(item, published[i]));
		lw_text_set_time(&e->published, t);
	}
	static const char *const updated[] = { "updated", "modified" };
	for (gsize i = 0; i < G_N_ELEMENTS(updated) && !e->updated[0]; i++) {
		g_autofree char *t = lw_page_node_string(child(item, updated[i]));
		lw_text_set_time(&e->updated, t);
	}
	/* Atom requires updated and makes published optional */
	if (atom && !e->published[0] && e->updated[0]) {
		lw_entry_set(&e->published, e->updated);
		lw_entry_set(&e->updated, "");
	}
	if (e->updated[0] && strcmp(e->updated, e->published) == 0)
		lw_entry_set(&e->updated, "");

	xmlNode *title = child(item, "title");
	if (title) {
		g_autofree char *t = render(p, title, atom, 64 * 1024);
		g_free(e->title);
		e->title = lw_text_collapse(t, -1);
	}
	static const char *const bodies[] = { "encoded", "content", "description", "summary" };
	for (gsize i = 0; i < G_N_ELEMENTS(bodies) && !e->body[0]; i++) {
		xmlNode *b = child(item, bodies[i]);
		if (b) {
			g_free(e->body);
			e->body = render(p, b, atom, p->opts.max_entry_bytes);
		}
	}
	xmlNode *author = child(item, "author");
	xmlNode *name = atom || child(author, "name") ? child(author, "name") : author;
	g_autofree char *who = lw_page_node_string(name);
	if (!who)
		who = lw_page_node_string(child(item, "creator"));
	lw_entry_set(&e->author, who);
	return e;
}

int lw_extract_feed(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	xmlNode *root = xmlDocGetRootElement(p->doc);
	bool atom = named(root, "feed");
	xmlNode *channel = atom ? root : child(root, "channel");
	if (!root || (!atom && !named(root, "rss") && !named(root, "RDF"))) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "no RSS or Atom feed in page");
		return -1;
	}
	if (channel) {
		xmlNode *title = child(channel, "title");
		g_autofree char *t = title ? render(p, title, atom, 64 * 1024) : NULL;
		g_autofree char *line = lw_text_collapse(t, -1);
		lw_entry_set(&s->page_title, line);
		if (!p->base[0]) {
			g_autofree char *home = atom ? atom_link(channel, "alternate")
			                             : lw_page_node_string(child(channel, "link"));
			if (lw_url_is_http(home)) {
				g_free(p->base);
				p->base = g_strdup(home);
			}
		}
		/* RFC 5005 paging, in Atom or as atom:link inside an RSS channel */
		g_autofree char *next = atom_link(channel, "next");
		g_autofree char *abs = lw_page_resolve(p, next);
		lw_entry_set(&s->next_url, abs);
	}
	/* RSS 2.0 items live in the channel, RSS 1.0 items beside it */
	xmlNode *parents[] = { channel, atom ? NULL : root };
	const char *item_name = atom ? "entry" : "item";
	for (gsize k = 0; k < G_N_ELEMENTS(parents); k++) {
		if (!parents[k] || (k == 1 && parents[1] == parents[0]))
			continue;
		for (xmlNode *c = parents[k]->children; c; c = c->next) {
			if (!named(c, item_name))
				continue;
			if (lw_page_add_entry(p, s, item_entry(p, c, atom), error) < 0)
				return -1;
		}
	}
	return 0;
}
