/* format = article: an ordinary page is one entry.
 *
 *   id        the last path segment of its address (canonical, else
 *             base_url), else "article"
 *   title     og:title, else the first h1, else <title>
 *   body      the text of the article's root (itemprop=articleBody,
 *             article#maincontent, the outermost article, main,
 *             role=main, body: the first that has text, of several
 *             matches the longest), without the headline it repeats
 *   published article:published_time, else the JSON-LD *Article's
 *   updated   article:modified_time, else the JSON-LD *Article's
 *   author    <meta name=author>
 */
#include "extract-private.h"
#include "error.h"
#include "text.h"

#include <string.h>

/* The last non-empty path segment of a url, or NULL. */
static char *url_last_segment(const char *url)
{
	g_autofree char *p = lw_url_path(url);
	if (!p)
		return NULL;
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

int lw_extract_article(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	struct lw_entry *e = lw_entry_new();
	g_autofree char *canon = lw_page_canonical(p);
	const char *url = lw_url_is_http(p->opts.base_url) ? p->opts.base_url : NULL;
	if (lw_url_is_http(canon))
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
	lw_text_set_time(&e->published, pub);
	lw_text_set_time(&e->updated, mod);
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
