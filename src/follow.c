/* Following a series: the newest matching link of a series page or feed. */
#include "follow.h"
#include "error.h"
#include "page.h"
#include "url.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

static const char *const months[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};

static int date_value(int y, int m, int d)
{
	if (y < 1990 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	return y * 10000 + m * 100 + d;
}

/* The date at s ("2023/feb/14", "2023/02/14", "2023-02-14", lowercase)
 * as yyyymmdd, or 0. */
static int date_at(const char *s)
{
	if (strspn(s, "0123456789") != 4)
		return 0;
	int y = atoi(s);
	const char *t = s + 4;
	char sep = *t;
	if (sep != '/' && sep != '-')
		return 0;
	t++;
	int m = 0;
	if (sep == '/' && g_ascii_isalpha(t[0])) {
		for (int i = 0; i < 12; i++)
			if (!strncmp(t, months[i], 3) && !g_ascii_isalpha(t[3]))
				m = i + 1;
		t += 3;
	} else if (strspn(t, "0123456789") == 2) {
		m = atoi(t);
		t += 2;
	}
	if (!m || *t != sep || strspn(t + 1, "0123456789") != 2)
		return 0;
	return date_value(y, m, atoi(t + 1));
}

/* The latest date in path (lowercase) and where it starts (*at, may be
 * NULL), or 0. */
static int path_date(const char *path, gsize *at)
{
	int best = 0;
	for (const char *s = path; *s; s++) {
		if (!g_ascii_isdigit(s[0]) || (s > path && g_ascii_isdigit(s[-1])))
			continue;
		int v = date_at(s);
		if (v > best) {
			best = v;
			if (at)
				*at = (gsize)(s - path);
		}
	}
	return best;
}

int lw_follow_url_date(const char *url)
{
	if (!url)
		return 0;
	/* Only the path: a query such as ?page=2023 is not a date. */
	g_autofree char *p = lw_url_path(url);
	if (!p)
		return 0;
	g_autofree char *path = g_ascii_strdown(p, -1);
	return path_date(path, NULL);
}

struct finder {
	const char *base;
	const GRegex *match;
	char *best;
	int best_date;
	guint seen;
};

static void consider(struct finder *f, const char *raw)
{
	if (!raw || f->seen >= LW_FOLLOW_MAX_LINKS)
		return;
	f->seen++;
	g_autofree char *trimmed = g_strstrip(g_strdup(raw));
	if (!*trimmed)
		return;
	g_autofree char *abs = lw_url_resolve(f->base, trimmed);
	if (!abs)
		return;
	char *hash = strchr(abs, '#');
	if (hash)
		*hash = '\0';
	if (!strcmp(abs, f->base))
		return;
	if (!g_regex_match(f->match, abs, 0, NULL))
		return;
	int date = lw_follow_url_date(abs);
	if (f->best && date <= f->best_date)
		return;
	g_free(f->best);
	f->best = g_steal_pointer(&abs);
	f->best_date = date;
}

static bool name_is(const xmlNode *n, const char *name)
{
	return n->name && !g_ascii_strcasecmp((const char *)n->name, name);
}

static void consider_attr(struct finder *f, xmlNode *n, const char *attr)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	consider(f, (const char *)v);
	xmlFree(v);
}

static void consider_text(struct finder *f, xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	consider(f, (const char *)v);
	xmlFree(v);
}

/* Iterative walk: a hostile page nests deep enough to blow a recursion. */
static void walk(struct finder *f, xmlNode *root, bool feed)
{
	for (xmlNode *n = root; n; n = lw_page_next(n, root)) {
		if (n->type == XML_ELEMENT_NODE) {
			if (!feed && name_is(n, "a")) {
				consider_attr(f, n, "href");
			} else if (feed && name_is(n, "link")) {
				if (xmlHasProp(n, (const xmlChar *)"href")) {
					xmlChar *rel = xmlGetProp(n, (const xmlChar *)"rel");
					if (!rel || !strcmp((const char *)rel, "alternate"))
						consider_attr(f, n, "href");
					xmlFree(rel);
				} else {
					consider_text(f, n);
				}
			} else if (feed && name_is(n, "guid")) {
				consider_text(f, n);
			}
		}
	}
}

static bool looks_like_feed(const char *data, gsize len, const char *content_type)
{
	if (content_type && strstr(content_type, "xml") && !strstr(content_type, "xhtml"))
		return true;
	gsize i = 0;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && g_ascii_isspace(data[i]))
		i++;
	if (i + 5 <= len && !g_ascii_strncasecmp(data + i, "<?xml", 5)) {
		/* An XHTML page also starts so; feeds name rss, feed or rdf early. */
		gsize n = MIN(len - i, 1024);
		g_autofree char *head = g_ascii_strdown(data + i, (gssize)n);
		return strstr(head, "<rss") || strstr(head, "<feed") || strstr(head, "<rdf");
	}
	return (i + 4 <= len && !g_ascii_strncasecmp(data + i, "<rss", 4)) ||
	       (i + 5 <= len && !g_ascii_strncasecmp(data + i, "<feed", 5));
}

char *lw_follow_find(const char *data, gsize len, const char *content_type,
                     const char *base_url, const GRegex *match, GError **error)
{
	g_autoptr(GRegex) def = NULL;
	if (!match)
		match = def = g_regex_new(LW_FOLLOW_MATCH_DEFAULT, 0, 0, NULL);
	if (len > G_MAXINT)
		len = G_MAXINT;
	bool feed = looks_like_feed(data ? data : "", data ? len : 0, content_type);
	xmlDoc *doc = NULL;
	if (data && len) {
		if (feed)
			doc = xmlReadMemory(data, (int)len, base_url, NULL,
			                    XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
			                    XML_PARSE_NOWARNING);
		else
			doc = htmlReadMemory(data, (int)len, base_url, NULL,
			                     HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
			                     HTML_PARSE_NOWARNING);
	}
	struct finder f = { .base = base_url, .match = match };
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root)
		walk(&f, root, feed);
	if (doc)
		xmlFreeDoc(doc);
	if (!f.best) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "'%s': no link matches /%s/ (%u links read)",
		            base_url, g_regex_get_pattern(match), f.seen);
		return NULL;
	}
	return f.best;
}

/* ---- a page's own follow-on ---- */

struct follow_on {
	const char *base;      /* the page's url */
	char *host;            /* its host, lowercase */
	char *prefix;          /* its path before the date: "/world/live/" */
	int date;              /* its date, yyyymmdd */
	char *best;
	int best_date;
	guint seen;
};

/* The date of a link's url when it is a newer page of the same series
 * as f's page: same host, same path up to the date, a later date. */
static int newer_in_series(const struct follow_on *f, const char *url)
{
	g_autofree char *host = lw_url_host(url);
	g_autofree char *raw = lw_url_path(url);
	if (!host || !raw || g_ascii_strcasecmp(host, f->host))
		return 0;
	g_autofree char *path = g_ascii_strdown(raw, -1);
	gsize at = 0;
	int date = path_date(path, &at);
	if (date <= f->date || at != strlen(f->prefix) || strncmp(path, f->prefix, at))
		return 0;
	return date;
}

static void consider_follow_on(struct follow_on *f, const char *href)
{
	if (!href || f->seen >= LW_FOLLOW_MAX_LINKS)
		return;
	f->seen++;
	g_autofree char *trimmed = g_strstrip(g_strdup(href));
	g_autofree char *abs = *trimmed ? lw_url_resolve(f->base, trimmed) : NULL;
	if (!abs)
		return;
	char *hash = strchr(abs, '#');
	if (hash)
		*hash = '\0';
	int date = newer_in_series(f, abs);
	if (date > f->best_date) {
		g_free(f->best);
		f->best = g_steal_pointer(&abs);
		f->best_date = date;
	}
}

/* The element whose id is id, walking without recursion. */
static xmlNode *find_id(xmlNode *root, const char *id)
{
	for (xmlNode *n = root; n; n = lw_page_next(n, root)) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *v = xmlGetProp(n, (const xmlChar *)"id");
		bool hit = v && !strcmp((const char *)v, id);
		xmlFree(v);
		if (hit)
			return n;
	}
	return NULL;
}

/* Whether data mentions prefix followed by a date later than date: only
 * then is the page worth parsing again (most polls of a live blog). */
static bool mentions_newer(const char *data, gsize len, const char *prefix, int date)
{
	gsize pl = strlen(prefix);
	const char *end = data + len;
	for (const char *p = data; p && (gsize)(end - p) > pl;) {
		p = memmem(p, (gsize)(end - p), prefix, pl);
		if (!p)
			break;
		p += pl;
		char d[16] = "";
		gsize n = MIN((gsize)(end - p), sizeof(d) - 1);
		for (gsize i = 0; i < n; i++)
			d[i] = g_ascii_tolower(p[i]);
		if (date_at(d) > date)
			return true;
	}
	return false;
}

/* The links of the page's newest post, through consider_follow_on(). */
static void read_post(struct follow_on *f, const char *data, gsize len, const char *post_id,
                      const char *post_url)
{
	const char *frag = post_url ? strchr(post_url, '#') : NULL;
	htmlDocPtr doc = htmlReadMemory(data, (int)len, f->base, NULL,
	                                HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	                                HTML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNode *post = root && post_id && *post_id ? find_id(root, post_id) : NULL;
	if (!post && root && frag && frag[1])
		post = find_id(root, frag + 1);
	/* only the links of the post: other posts, the page's chrome and
	 * its related stories link elsewhere for other reasons */
	for (xmlNode *n = post; n; n = lw_page_next(n, post)) {
		if (n->type == XML_ELEMENT_NODE && name_is(n, "a")) {
			xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
			consider_follow_on(f, (const char *)href);
			xmlFree(href);
		}
	}
	if (doc)
		xmlFreeDoc(doc);
}

char *lw_follow_on_find(const char *data, gsize len, const char *page_url, const char *post_id,
                        const char *post_url)
{
	if (!data || !len || !page_url || len > G_MAXINT)
		return NULL;
	g_autofree char *raw = lw_url_path(page_url);
	g_autofree char *host = lw_url_host(page_url);
	if (!raw || !host)
		return NULL;
	g_autofree char *path = g_ascii_strdown(raw, -1);
	gsize at = 0;
	int date = path_date(path, &at);
	/* a page of no date, or dated at the top of its site (/2023/05/16/...,
	 * where every story is), has no series to tell by its path */
	if (!date || at < 2)
		return NULL;
	struct follow_on f = {
		.base = page_url,
		.host = g_ascii_strdown(host, -1),
		.prefix = g_strndup(path, at),
		.date = date,
	};
	if (mentions_newer(data, len, f.prefix, date))
		read_post(&f, data, len, post_id, post_url);
	char *found = g_steal_pointer(&f.best);
	g_free(f.host);
	g_free(f.prefix);
	return found;
}
