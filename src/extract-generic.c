/* format = generic: any live blog, from the structure of its page.
 *
 * Four structures are looked for, in this order of trust:
 *   amp       an AMP live list: amp-live-list > [items] > *[data-sort-time]
 *   microdata schema.org BlogPosting items (itemprop=liveBlogUpdate), two or more
 *   run       the largest run of sibling elements of one kind (tag and first
 *             class) of which most carry a time (time/@datetime, a
 *             data-*-time attribute, itemprop=datePublished, or text that
 *             starts with a clock: "11:04", "11.04 Uhr", "9.15am")
 *   headings  a ticker of headings that start with a clock, each post the
 *             heading and the siblings up to the next one; day headings
 *             ("Dienstag, 27. August 2024", "Thursday 18 July") date the
 *             clocks under them
 * A run or a ticker must hold a good share of the page's text and sit
 * outside navigation, comments, related-story lists, galleries and
 * key-event summaries; otherwise the page is not split (an article).
 *
 * The choice is written as an xpath profile (extract-xpath.c runs it), so
 * `livewatch extract --profile` can print what was used.  What a profile
 * cannot say is done after it (generic_fixup): clocks read from text and
 * dated by the day heading above them (else the page's own date, in the
 * page's UTC offset), the clock cut from a heading-title, and ids for posts
 * that have none: a hash of their time and heading, never of their body,
 * so an edited post keeps its id. */
#include "extract-generic.h"
#include "error.h"
#include "text.h"

#include <string.h>

const char *const lw_gen_kind_names[] = { "none", "AMP live list", "schema.org microdata",
	"run of sibling posts", "ticker of headings with times" };

static const char *const skip_words[] = {
	"comment", "related", "recommend", "teaser", "popular", "promo", "gallery",
	"keyevent", "key-event", "key_event", "highlight", "summary", "nav", "menu",
	"footer", "sidebar", "trending", "newsletter", "more-on", "read-more", "readmore",
	"most-read", "mostread", "breadcrumb", "carousel", "slider", "pinned",
};

bool lw_gen_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !n->ns &&
	       g_ascii_strcasecmp((const char *)n->name, name) == 0;
}

int lw_gen_heading_level(const xmlNode *n)
{
	if (!n || n->type != XML_ELEMENT_NODE || n->ns)
		return 0;
	const char *nm = (const char *)n->name;
	if ((nm[0] == 'h' || nm[0] == 'H') && nm[1] >= '1' && nm[1] <= '6' && !nm[2])
		return nm[1] - '0';
	return 0;
}

/* Elements whose contents are never the stream of posts. */
static bool is_furniture(const xmlNode *n)
{
	static const char *const names[] = { "script", "style", "nav", "aside", "footer",
		"header", "form", "noscript", "template", "svg", "button", "select", "figure" };
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		if (lw_gen_is(n, names[i]))
			return true;
	return false;
}

static bool has_skip_word(const xmlNode *n)
{
	const char *attrs[] = { "class", "id", "data-component", "role", "aria-label" };
	for (gsize a = 0; a < G_N_ELEMENTS(attrs); a++) {
		xmlChar *owned;
		const char *v = lw_text_attr(n, attrs[a], &owned);
		bool hit = false;
		if (v) {
			g_autofree char *low = g_ascii_strdown(v, -1);
			for (gsize w = 0; w < G_N_ELEMENTS(skip_words) && !hit; w++)
				hit = strstr(low, skip_words[w]) != NULL;
		}
		xmlFree(owned);
		if (hit)
			return true;
	}
	return false;
}

static xmlNode *skip_subtree(xmlNode *n, const xmlNode *root)
{
	for (; n && n != root; n = n->parent)
		if (n->next)
			return n->next;
	return NULL;
}

/* Text bytes below n (scripts and styles left out), stopping past cap. */
gsize lw_gen_text_len(xmlNode *root, gsize cap)
{
	gsize len = 0;
	xmlNode *c = root;
	while (c && len < cap) {
		if (c != root && (lw_gen_is(c, "script") || lw_gen_is(c, "style") ||
		                  lw_gen_is(c, "noscript") || lw_gen_is(c, "template"))) {
			c = skip_subtree(c, root);
			continue;
		}
		if (c->type == XML_TEXT_NODE && c->content)
			for (const xmlChar *t = c->content; *t; t++)
				len += *t > ' ';
		c = lw_page_next(c, root);
	}
	return len;
}

/* The first text below n (up to 80 bytes, collapsed), for clocks. */
char *lw_gen_first_text(xmlNode *n)
{
	int steps = 0;
	for (xmlNode *c = n; c && steps < 40; c = lw_page_next(c, n), steps++) {
		if (c->type == XML_ELEMENT_NODE && (lw_gen_is(c, "script") || lw_gen_is(c, "style")))
			return NULL;
		if (c->type != XML_TEXT_NODE || !c->content)
			continue;
		g_autofree char *t = lw_text_collapse((const char *)c->content, -1);
		if (t[0])
			return g_strndup(t, 80);
	}
	return NULL;
}

static const char *const time_attrs[] = {
	"data-post-time", "data-sort-time", "data-timestamp", "data-time", "data-date",
	"data-published", "data-publish-time", "data-created", "data-datetime",
};

/* Where n (a candidate post) carries its time: TIME_* or 0. */
enum { T_ATTR = 1, T_ELEMENT, T_MICRODATA, T_TEXT };

/* Clocks read from text, in page order, for the order check. */
struct clocks {
	int minutes[64];
	guint n;
};

static void clocks_add(struct clocks *c, const struct lw_gen_clock *clk)
{
	if (c->n < G_N_ELEMENTS(c->minutes))
		c->minutes[c->n++] = clk->hour * 60 + clk->minute;
}

/* A live blog's clocks run one way (newest first, or oldest first), a day
 * break now and then; video durations or scores in a list do not.  True
 * when at least four clocks and three in four steps go the same way. */
static bool clocks_ordered(const struct clocks *c)
{
	guint down = 0, up = 0, steps = 0, clocks = 0;
	for (guint i = 0; i < c->n; i++) {
		if (c->minutes[i] < 0)
			continue;
		clocks++;
		if (i == 0 || c->minutes[i - 1] < 0)
			continue;
		steps++;
		down += c->minutes[i] <= c->minutes[i - 1];
		up += c->minutes[i] >= c->minutes[i - 1];
	}
	return clocks >= 4 && MAX(down, up) * 4 >= steps * 3;
}

/* A day heading between two clocks: the step across it does not count. */
static void clocks_break(struct clocks *c)
{
	if (c->n > 0 && c->minutes[c->n - 1] >= 0 && c->n < G_N_ELEMENTS(c->minutes))
		c->minutes[c->n++] = -1;
}

/* n is short text that names a day ("Thursday 18 July"). */
static bool is_day_heading(xmlNode *n)
{
	if (lw_gen_text_len(n, 80) >= 60)
		return false;
	g_autofree char *t = lw_text_line_from_node(n);
	struct lw_gen_date d;
	return lw_gen_parse_day(t, 2000, &d);
}

static int post_time_clock(xmlNode *n, struct clocks *clocks)
{
	for (gsize a = 0; a < G_N_ELEMENTS(time_attrs); a++)
		if (xmlHasProp(n, (const xmlChar *)time_attrs[a]))
			return T_ATTR;
	int steps = 0;
	for (xmlNode *c = n->children ? n : NULL; c && steps < 120;
	     c = lw_page_next(c, n), steps++) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (lw_gen_is(c, "time"))
			return T_ELEMENT;
		xmlChar *owned;
		const char *ip = lw_text_attr(c, "itemprop", &owned);
		bool md = ip && strcmp(ip, "datePublished") == 0;
		xmlFree(owned);
		if (md)
			return T_MICRODATA;
	}
	g_autofree char *t = lw_gen_first_text(n);
	struct lw_gen_clock clk;
	if (!t || !lw_gen_parse_clock(t, &clk))
		return 0;
	if (clocks)
		clocks_add(clocks, &clk);
	return T_TEXT;
}



static void cand_clear(struct lw_gen_cand *c)
{
	g_free(c->cls);
	memset(c, 0, sizeof(*c));
}

/* The first class token of n, or NULL. */
char *lw_gen_first_class(const xmlNode *n)
{
	xmlChar *owned;
	const char *v = lw_text_attr(n, "class", &owned);
	char *out = NULL;
	if (v) {
		while (*v == ' ' || *v == '\t' || *v == '\n')
			v++;
		gsize len = strcspn(v, " \t\r\n");
		/* a class with a quote cannot go into an XPath literal */
		if (len && !memchr(v, '\'', len))
			out = g_strndup(v, len);
	}
	xmlFree(owned);
	return out;
}

static bool same_kind(const xmlNode *n, const xmlChar *tag, const char *cls)
{
	if (n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, tag))
		return false;
	g_autofree char *c = lw_gen_first_class(n);
	return g_strcmp0(c, cls) == 0;
}

/* Is this candidate better than *best?  More timed posts, then more text. */
static bool better(const struct lw_gen_cand *c, const struct lw_gen_cand *best)
{
	if (best->kind == LW_GEN_NONE)
		return true;
	if (c->timed != best->timed)
		return c->timed > best->timed;
	return c->text > best->text;
}

static void offer(struct lw_generic *g, struct lw_gen_cand *c)
{
	if (better(c, &g->best)) {
		cand_clear(&g->second);
		g->second = g->best;
		g->best = *c;
	} else if (better(c, &g->second)) {
		cand_clear(&g->second);
		g->second = *c;
	} else {
		cand_clear(c);
	}
	memset(c, 0, sizeof(*c));
}

/* The sibling runs under parent: each kind of child with timed posts. */
static void runs_under(struct lw_page *p, struct lw_generic *g, xmlNode *parent)
{
	(void)p;
	guint kids = 0;
	for (xmlNode *c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			kids++;
	if (kids < 3)
		return;
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (xmlNode *c = parent->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || c->ns || is_furniture(c) || lw_gen_heading_level(c) ||
		    lw_gen_is(c, "p") || lw_gen_is(c, "span") || lw_gen_is(c, "a"))
			continue;
		g_autofree char *cls = lw_gen_first_class(c);
		char *key = g_strdup_printf("%s.%s", (const char *)c->name, cls ? cls : "");
		if (g_hash_table_contains(seen, key)) {
			g_free(key);
			continue;
		}
		g_hash_table_add(seen, key);
		struct lw_gen_cand cd = { .kind = LW_GEN_RUN, .parent = parent, .tag = c->name,
		                   .cls = g_strdup(cls) };
		guint text_timed = 0;
		for (xmlNode *k = c; k; k = k->next) {
			if (!same_kind(k, c->name, cls))
				continue;
			cd.items++;
			if (has_skip_word(k))
				continue;
			int how = post_time_clock(k, NULL);
			if (how) {
				cd.timed++;
				text_timed += how == T_TEXT;
				cd.text += lw_gen_text_len(k, 1 << 20);
			}
		}
		/* times only in text must read like a live blog's: their clocks
		 * again, with the day headings between them (only now: telling a
		 * day heading costs a rendering) */
		bool ordered = text_timed * 2 < cd.timed;
		if (!ordered && cd.timed >= 3) {
			struct clocks clocks = { .n = 0 };
			for (xmlNode *k = c; k; k = k->next) {
				if (!same_kind(k, c->name, cls)) {
					if (k->type == XML_ELEMENT_NODE && is_day_heading(k))
						clocks_break(&clocks);
				} else if (!has_skip_word(k)) {
					post_time_clock(k, &clocks);
				}
			}
			ordered = clocks_ordered(&clocks);
		}
		if (cd.timed >= 3 && cd.timed * 2 >= cd.items && ordered)
			offer(g, &cd);
		else
			cand_clear(&cd);
	}
	g_hash_table_unref(seen);
}

/* A ticker of headings under parent: headings that start with a clock. */
static void headings_under(struct lw_page *p, struct lw_generic *g, xmlNode *parent)
{
	(void)p;
	guint counts[7] = { 0 };
	struct clocks clocks[7];
	for (int lv = 0; lv < 7; lv++)
		clocks[lv].n = 0;
	for (xmlNode *c = parent->children; c; c = c->next) {
		int lv = lw_gen_heading_level(c);
		if (!lv)
			continue;
		g_autofree char *t = lw_gen_first_text(c);
		struct lw_gen_clock clk;
		if (t && lw_gen_parse_clock(t, &clk)) {
			counts[lv]++;
			clocks_add(&clocks[lv], &clk);
		} else if (is_day_heading(c)) {
			for (int l = 1; l <= 6; l++)
				clocks_break(&clocks[l]);
		}
	}
	for (int lv = 1; lv <= 6; lv++) {
		if (counts[lv] < 3 || !clocks_ordered(&clocks[lv]))
			continue;
		struct lw_gen_cand cd = { .kind = LW_GEN_HEADINGS, .parent = parent, .items = counts[lv],
		                   .timed = counts[lv] };
		char tag[3] = { 'h', (char)('0' + lv), 0 };
		for (xmlNode *c = parent->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && !lw_gen_heading_level(c) && !is_furniture(c))
				cd.text += lw_gen_text_len(c, 1 << 20);
		cd.tag = xmlDictLookup(p->doc->dict, (const xmlChar *)tag, -1);
		if (!cd.tag)
			cd.tag = lv == 2 ? (const xmlChar *)"h2" : lv == 3 ? (const xmlChar *)"h3" :
			         lv == 4 ? (const xmlChar *)"h4" : lv == 5 ? (const xmlChar *)"h5" :
			         lv == 6 ? (const xmlChar *)"h6" : (const xmlChar *)"h1";
		offer(g, &cd);
	}
}

static gsize page_text(struct lw_page *p)
{
	xmlNode *body = lw_page_node(p, "/html/body", NULL);
	return body ? lw_gen_text_len(body, G_MAXSIZE) : 0;
}

bool lw_generic_detect(struct lw_page *p)
{
	if (p->generic)
		return p->generic->found;
	struct lw_generic *g = g_new0(struct lw_generic, 1);
	p->generic = g;
	g->why = g_string_new(NULL);
	lw_gen_page_date(p, &g->page_date);
	if (p->xml)
		return false;

	/* explicit markup first: one walk by hand finds the AMP live list's
	 * items, the microdata updates and the articles (three XPath scans
	 * of the whole page cost several times more) */
	xmlNode *root = xmlDocGetRootElement(p->doc);
	xmlNode *amp = NULL, *md_parent = NULL;
	guint md = 0;
	g->articles = g_ptr_array_new();
	for (xmlNode *k = root; k; k = lw_page_next(k, root)) {
		if (k->type != XML_ELEMENT_NODE || k->ns)
			continue;
		if (!amp && lw_gen_is(k, "amp-live-list")) {
			for (xmlNode *c = k->children; c && !amp; c = c->next)
				if (c->type == XML_ELEMENT_NODE && xmlHasProp(c, (const xmlChar *)"items"))
					amp = c;
		}
		if (lw_gen_is(k, "article")) {
			g_ptr_array_add(g->articles, k);
			continue;
		}
		if (!k->properties)
			continue;
		xmlChar *owned;
		const char *ip = lw_text_attr(k, "itemprop", &owned);
		if (ip && strcmp(ip, "liveBlogUpdate") == 0 && md++ == 0)
			md_parent = k->parent;
		else if (ip && strcmp(ip, "articleBody") == 0)
			g_ptr_array_add(g->articles, k);
		xmlFree(owned);
	}
	if (amp) {
		guint n = 0;
		for (xmlNode *c = amp->children; c; c = c->next)
			n += c->type == XML_ELEMENT_NODE && xmlHasProp(c, (const xmlChar *)"data-sort-time");
		if (n > 0) {
			g->best = (struct lw_gen_cand){ .kind = LW_GEN_AMP, .parent = amp, .items = n, .timed = n };
			return g->found = lw_gen_plan(p, g);
		}
	}
	if (md >= 2) {
		g->best = (struct lw_gen_cand){ .kind = LW_GEN_MICRODATA, .parent = md_parent,
		                                .items = md, .timed = md };
		return g->found = lw_gen_plan(p, g);
	}

	xmlNode *n = root;
	while (n) {
		if (n->type != XML_ELEMENT_NODE) {
			n = lw_page_next(n, root);
			continue;
		}
		if (n != root && (is_furniture(n) || has_skip_word(n))) {
			/* nothing below it is the stream of posts */
			n = skip_subtree(n, root);
			continue;
		}
		if (n->children) {
			runs_under(p, g, n);
			headings_under(p, g, n);
		}
		n = lw_page_next(n, root);
	}
	if (g->best.kind == LW_GEN_NONE) {
		g->reject = g_strdup("no run of three or more sibling elements with times");
		return false;
	}
	gsize all = page_text(p);
	/* the stream of posts is most of what the page says; a list of
	 * related stories or a comment thread under an article is not */
	if (all && g->best.text * 10 < all * 3) {
		g->reject = g_strdup_printf("best candidate (%u %s) holds %" G_GSIZE_FORMAT
		                            "%% of the page's text, under 30%%",
		                            g->best.timed, lw_gen_kind_names[g->best.kind],
		                            g->best.text * 100 / all);
		return false;
	}
	/* a thread of comments under an article sits outside it */
	for (guint i = 0; i < g->articles->len; i++) {
		xmlNode *a = g->articles->pdata[i], *k;
		for (k = g->best.parent; k && k != a; k = k->parent)
			;
		if (k == a)
			continue;
		for (k = a; k && k != g->best.parent; k = k->parent)
			;
		if (k)
			continue;
		if (lw_gen_text_len(a, G_MAXSIZE) * 4 >= g->best.text) {
			g->reject = g_strdup_printf("best candidate (%u %s) lies outside the page's "
			                            "article, which has more text: comments or "
			                            "related stories", g->best.timed,
			                            lw_gen_kind_names[g->best.kind]);
			return false;
		}
	}
	if (g->best.text < (gsize)g->best.timed * 40) {
		g->reject = g_strdup_printf("best candidate (%u %s) has under 40 characters a post",
		                            g->best.timed, lw_gen_kind_names[g->best.kind]);
		return false;
	}
	return g->found = lw_gen_plan(p, g);
}

guint lw_generic_bound(struct lw_page *p)
{
	guint hints = 0;
	if (p->xml)
		return 0;
	xmlNode *root = xmlDocGetRootElement(p->doc);
	xmlNode *n = root;
	while (n) {
		if (n->type == XML_TEXT_NODE && n->content) {
			/* a clock may start it: any digit first (Unicode spaces and
			 * other non-ASCII bytes skipped, so none is missed) */
			const xmlChar *t = n->content;
			while (*t && (*t <= ' ' || *t >= 0x80))
				t++;
			hints += g_ascii_isdigit(*t);
		} else if (n->type == XML_ELEMENT_NODE) {
			if (lw_gen_is(n, "script") || lw_gen_is(n, "style")) {
				n = skip_subtree(n, root);
				continue;
			}
			bool hint = lw_gen_is(n, "time");
			for (xmlAttr *a = n->properties; a && !hint; a = a->next) {
				for (gsize i = 0; i < G_N_ELEMENTS(time_attrs) && !hint; i++)
					hint = xmlStrEqual(a->name, (const xmlChar *)time_attrs[i]);
				if (!hint && xmlStrEqual(a->name, (const xmlChar *)"itemprop") &&
				    a->children && a->children->content)
					hint = xmlStrEqual(a->children->content, (const xmlChar *)"datePublished") ||
					       xmlStrEqual(a->children->content, (const xmlChar *)"liveBlogUpdate");
			}
			hints += hint;
		}
		n = lw_page_next(n, root);
	}
	return hints;
}

void lw_generic_free(struct lw_page *p)
{
	struct lw_generic *g = p->generic;
	if (!g)
		return;
	cand_clear(&g->best);
	cand_clear(&g->second);
	g_free(g->reject);
	lw_gen_profile_clear(&g->prof);
	g_free(g->note);
	if (g->why)
		g_string_free(g->why, TRUE);
	if (g->entry_nodes)
		g_hash_table_unref(g->entry_nodes);
	if (g->articles)
		g_ptr_array_unref(g->articles);
	g_free(g);
	p->generic = NULL;
}
