/* Following a series: the newest matching link of a series page or feed. */
#include "follow.h"
#include "error.h"
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

int lw_follow_url_date(const char *url)
{
	if (!url)
		return 0;
	/* Only the path: a query such as ?page=2023 is not a date. */
	g_autofree char *p = lw_url_path(url);
	if (!p)
		return 0;
	g_autofree char *path = g_ascii_strdown(p, -1);
	int best = 0;
	for (const char *s = path; *s; s++) {
		if (!g_ascii_isdigit(s[0]) || (s > path && g_ascii_isdigit(s[-1])))
			continue;
		if (strspn(s, "0123456789") != 4)
			continue;
		int y = atoi(s);
		const char *t = s + 4;
		char sep = *t;
		if (sep != '/' && sep != '-')
			continue;
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
			continue;
		int v = date_value(y, m, atoi(t + 1));
		if (v > best)
			best = v;
	}
	return best;
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
	xmlNode *n = root;
	while (n) {
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
			if (n->children) {
				n = n->children;
				continue;
			}
		}
		while (n && n != root && !n->next)
			n = n->parent;
		if (!n || n == root)
			break;
		n = n->next;
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
