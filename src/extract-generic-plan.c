/* The generic extractor's plan: the stream extract-generic.c found,
 * written as an xpath profile (entry, id, time, updated, title, body),
 * each field chosen by what most of the first posts carry; then run by
 * extract-xpath.c with generic_fixup() for what XPath cannot say, and
 * explained for `livewatch extract --explain` / `--profile`. */
#include "extract-generic.h"
#include "error.h"
#include "text.h"

#include <string.h>

#define SAMPLE 12

#define CLASS_PRED "[contains(concat(' ',normalize-space(@class),' '),' %s ')]"
#define DIGITS "translate(normalize-space(.),'0123456789','##########')"
#define CLOCK_PRED "[starts-with(" DIGITS ",'#:##') or starts-with(" DIGITS ",'##:##') or " \
	"starts-with(" DIGITS ",'#.##') or starts-with(" DIGITS ",'##.##') or " \
	"starts-with(" DIGITS ",'##h##')]"

void lw_gen_profile_clear(struct lw_xpath_profile *prof)
{
	g_free(prof->entry);
	g_free(prof->id);
	g_free(prof->time);
	g_free(prof->updated);
	g_free(prof->title);
	g_free(prof->body);
	memset(prof, 0, sizeof(*prof));
}

static bool safe_literal(const char *v)
{
	return v && *v && !strchr(v, '\'') && strlen(v) < 80;
}

/* n's kind as an XPath step: TAG, with its first class when it has one. */
static char *step_of(const xmlNode *n)
{
	g_autofree char *cls = lw_gen_first_class(n);
	if (cls)
		return g_strdup_printf("%s" CLASS_PRED, (const char *)n->name, cls);
	return g_strdup((const char *)n->name);
}

/* How many elements named like n have id `id` (when set) or the class
 * token `cls`: a walk by hand, a fraction of the XPath scan's cost. */
static guint count_like(struct lw_page *p, const xmlNode *n, const char *id, const char *cls)
{
	guint count = 0;
	xmlNode *root = xmlDocGetRootElement(p->doc);
	gsize cl = cls ? strlen(cls) : 0;
	for (xmlNode *k = root; k && count < 2; k = lw_page_next(k, root)) {
		if (k->type != XML_ELEMENT_NODE || !xmlStrEqual(k->name, n->name))
			continue;
		xmlChar *owned;
		const char *v = lw_text_attr(k, id ? "id" : "class", &owned);
		if (v && id) {
			count += strcmp(v, id) == 0;
		} else if (v) {
			for (const char *t = v; (t = strstr(t, cls)); t += cl)
				if ((t == v || g_ascii_isspace(t[-1])) && (!t[cl] || g_ascii_isspace(t[cl]))) {
					count++;
					break;
				}
		}
		xmlFree(owned);
	}
	return count;
}

/* An expression that selects n alone: by its id, by its kind when only
 * it has that kind, else by position under its parent's path. */
static char *node_path(struct lw_page *p, xmlNode *n, int depth)
{
	if (!n || n->type != XML_ELEMENT_NODE || depth > 40)
		return g_strdup("");
	xmlChar *owned;
	const char *id = lw_text_attr(n, "id", &owned);
	char *path = NULL;
	if (safe_literal(id) && count_like(p, n, id, NULL) == 1)
		path = g_strdup_printf("//%s[@id='%s']", (const char *)n->name, id);
	xmlFree(owned);
	if (path)
		return path;
	g_autofree char *step = step_of(n);
	g_autofree char *cls = lw_gen_first_class(n);
	if (cls && count_like(p, n, NULL, cls) == 1)
		return g_strdup_printf("//%s", step);
	if (!n->parent || n->parent->type != XML_ELEMENT_NODE)
		return g_strdup_printf("/%s", (const char *)n->name);
	int pos = 1;
	for (xmlNode *s = n->prev; s; s = s->prev)
		pos += s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, n->name);
	g_autofree char *up = node_path(p, n->parent, depth + 1);
	return g_strdup_printf("%s/%s[%d]", up, (const char *)n->name, pos);
}

/* How many of the sample posts give expr a value for which ok() holds. */
static guint votes(struct lw_page *p, xmlNode **posts, guint n, const char *expr,
                   bool (*ok)(const char *), bool distinct)
{
	guint yes = 0;
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < n; i++) {
		p->xpath->node = posts[i];
		xmlXPathObject *o = xmlXPathEvalExpression((const xmlChar *)expr, p->xpath);
		xmlChar *v = o ? xmlXPathCastToString(o) : NULL;
		xmlXPathFreeObject(o);
		g_autofree char *t = v ? lw_text_collapse((const char *)v, -1) : NULL;
		xmlFree(v);
		if (!t || !t[0] || (ok && !ok(t)))
			continue;
		if (distinct && !g_hash_table_add(seen, g_strdup(t)))
			continue;
		yes++;
	}
	return yes;
}

static bool is_time(const char *v)
{
	g_autofree char *t = lw_xpath_time(v);
	return t != NULL;
}

static bool is_clock(const char *v)
{
	struct lw_gen_clock c;
	return lw_gen_parse_clock(v, &c);
}

/* The first of exprs that at least `need` posts answer; NULL for none. */
static const char *pick(struct lw_page *p, xmlNode **posts, guint n, guint need,
                        const char *const *exprs, bool (*ok)(const char *), bool distinct)
{
	for (const char *const *e = exprs; *e; e++)
		if (votes(p, posts, n, *e, ok, distinct) >= need)
			return *e;
	return NULL;
}

/* A time attribute on the post itself: a name with "time" or "date",
 * updated ones (modif, updat) when `updated`. */
static char *time_attr(struct lw_page *p, xmlNode **posts, guint n, bool updated)
{
	for (xmlAttr *a = posts[0]->properties; a; a = a->next) {
		g_autofree char *low = g_ascii_strdown((const char *)a->name, -1);
		bool upd = strstr(low, "modif") || strstr(low, "updat");
		if ((!strstr(low, "time") && !strstr(low, "date")) || upd != updated ||
		    strchr(low, '\''))
			continue;
		g_autofree char *expr = g_strdup_printf("@%s", low);
		if (votes(p, posts, n, expr, is_time, false) * 5 >= n * 3)
			return g_steal_pointer(&expr);
	}
	return NULL;
}

static bool is_container(const xmlNode *n)
{
	static const char *const names[] = { "div", "section", "article", "main" };
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		if (lw_gen_is(n, names[i]))
			return true;
	return false;
}

/* The body of a post of a run: its content, without its title heading,
 * its time and its header or footer.  When one child holds most of the
 * post's text besides the title (a div.entry-content), that child is
 * the content. */
static char *run_body(struct lw_page *p, xmlNode *post, const char *title_expr)
{
	xmlNode *t = title_expr ? lw_page_node(p, title_expr, post) : NULL;
	gsize tlen = t ? lw_gen_text_len(t, G_MAXSIZE) : 0;
	GString *path = g_string_new(".");
	xmlNode *cur = post;
	for (int depth = 0; depth < 4; depth++) {
		gsize rest = lw_gen_text_len(cur, G_MAXSIZE);
		xmlNode *best = NULL;
		gsize best_len = 0;
		for (xmlNode *c = cur->children; c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			gsize l = lw_gen_text_len(c, G_MAXSIZE);
			bool holds_title = false;
			for (xmlNode *a = t; a; a = a->parent)
				if (a == c)
					holds_title = true;
			if (holds_title)
				l -= MIN(l, tlen);
			if (l > best_len) {
				best = c;
				best_len = l;
			}
		}
		bool has_title = false;
		for (xmlNode *a = t; a; a = a->parent)
			if (a == cur)
				has_title = true;
		rest -= has_title ? MIN(rest, tlen) : 0;
		if (!best || best == t || !is_container(best) || best_len * 10 < rest * 7)
			break;
		g_autofree char *step = step_of(best);
		g_string_append_printf(path, "/%s", step);
		cur = best;
	}
	g_string_append(path, "/node()[not(self::time or self::header or self::footer)]");
	if (t && t->type == XML_ELEMENT_NODE)
		g_string_append_printf(path, "[not(self::%s)]", (const char *)t->name);
	return g_string_free(path, FALSE);
}

static const char *const id_exprs[] = {
	"@id", "@data-id", "@data-post-id", "@data-entry-id", "@data-uuid",
	".//a[contains(@href,'#')]/@href", NULL,
};

static const char *const time_exprs[] = {
	".//time/@datetime", ".//*[@itemprop='datePublished']/@content",
	".//*[@itemprop='datePublished']/@datetime", NULL,
};

static const char *const clock_exprs[] = {
	".//time", "(.//h1|.//h2|.//h3|.//h4|.//h5|.//h6)[1]",
	"normalize-space((.//text()[normalize-space()])[1])", NULL,
};

static const char *const updated_exprs[] = {
	".//*[@itemprop='dateModified']/@content", ".//*[@itemprop='dateModified']/@datetime",
	NULL,
};

static const char *const title_exprs[] = {
	".//*[@itemprop='headline']", ".//h2", ".//h3", ".//h4", ".//h5", ".//h6", ".//h1", NULL,
};

bool lw_gen_plan(struct lw_page *p, struct lw_generic *g)
{
	struct lw_gen_cand *c = &g->best;
	struct lw_xpath_profile *prof = &g->prof;
	g_autofree char *container = NULL;
	switch (c->kind) {
	case LW_GEN_AMP:
		prof->entry = g_strdup("//amp-live-list/*[@items]/*[@data-sort-time]");
		break;
	case LW_GEN_MICRODATA:
		prof->entry = g_strdup("//*[@itemprop='liveBlogUpdate']");
		break;
	case LW_GEN_RUN:
		container = node_path(p, c->parent, 0);
		prof->entry = c->cls ? g_strdup_printf("%s/%s" CLASS_PRED, container,
		                                       (const char *)c->tag, c->cls)
		                     : g_strdup_printf("%s/%s", container, (const char *)c->tag);
		break;
	case LW_GEN_HEADINGS:
		container = node_path(p, c->parent, 0);
		prof->entry = g_strdup_printf("%s/%s" CLOCK_PRED, container, (const char *)c->tag);
		break;
	default:
		return false;
	}
	xmlXPathObject *o = lw_page_nodes(p, prof->entry, NULL);
	if (!o)
		return false;
	guint all = (guint)o->nodesetval->nodeNr;
	g->entry_nodes = g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < all; i++) {
		g_hash_table_add(g->entry_nodes, o->nodesetval->nodeTab[i]);
		g->shown += lw_gen_text_len(o->nodesetval->nodeTab[i], 1) > 0;
	}
	xmlNode *posts[SAMPLE];
	guint n = MIN(all, SAMPLE);
	memcpy(posts, o->nodesetval->nodeTab, n * sizeof(*posts));
	xmlXPathFreeObject(o);
	guint most = (n * 4 + 4) / 5, half = (n + 1) / 2, many = (n * 3 + 4) / 5;
	GString *why = g->why;
	g_string_append_printf(why, "structure: %s\n", lw_gen_kind_names[c->kind]);
	if (container)
		g_string_append_printf(why, "container: %s\n", container);
	g_string_append_printf(why, "entry: %s (%u posts)\n", prof->entry, all);

	const char *id = pick(p, posts, n, most, id_exprs, NULL, true);
	prof->id = g_strdup(id);
	if (id)
		g_string_append_printf(why, "id: %s (%u of %u sampled posts)\n", id,
		                       votes(p, posts, n, id, NULL, true), n);
	else
		g_string_append(why, "id: none on the posts; a hash of each post's time and "
		                     "heading (never its body)\n");

	char *attr = c->kind == LW_GEN_HEADINGS ? NULL : time_attr(p, posts, n, false);
	const char *te = attr || c->kind == LW_GEN_HEADINGS ? NULL :
	                 pick(p, posts, n, many, time_exprs, is_time, false);
	if (attr) {
		prof->time = attr;
	} else if (te) {
		prof->time = g_strdup(te);
	} else {
		static const char *const dot[] = { ".", NULL };
		te = pick(p, posts, n, many, c->kind == LW_GEN_HEADINGS ? dot : clock_exprs,
		          is_clock, false);
		prof->time = g_strdup(te);
		g->text_clock = te != NULL;
	}
	g_string_append_printf(why, "time: %s%s\n", prof->time ? prof->time : "none",
	                       g->text_clock ? " (a clock in the text, dated by the day heading "
	                                       "above it, else the page's date)" : "");
	prof->updated = time_attr(p, posts, n, true);
	if (!prof->updated)
		prof->updated = g_strdup(pick(p, posts, n, many, updated_exprs, is_time, false));
	if (prof->updated)
		g_string_append_printf(why, "updated: %s\n", prof->updated);

	if (c->kind == LW_GEN_HEADINGS) {
		prof->title = g_strdup(".");
		GString *b = g_string_new("following-sibling::node()[not(self::h1");
		int lv = lw_gen_heading_level(posts[0]);
		for (int l = 2; l <= lv; l++)
			g_string_append_printf(b, " or self::h%d", l);
		g_string_append(b, ")]");
		prof->body = g_string_free(b, FALSE);
		g_string_append(why, "title: the heading, its clock cut\n"
		                     "body: the siblings after the heading, up to the next one\n");
	} else {
		const char *ti = pick(p, posts, n, half, title_exprs, NULL, false);
		prof->title = g_strdup(ti);
		g_string_append_printf(why, "title: %s\n", ti ? ti : "none");
		if (votes(p, posts, n, ".//*[@itemprop='articleBody']", NULL, false) >= half)
			prof->body = g_strdup(".//*[@itemprop='articleBody']");
		else
			prof->body = run_body(p, posts[0], ti);
		g_string_append_printf(why, "body: %s\n", prof->body);
	}
	if (g->text_clock || !prof->id)
		g->note = g_strdup_printf("%s%s%s",
		                          g->text_clock ? "the times are clocks in the text: under "
		                                          "this profile posts have no published time" : "",
		                          g->text_clock && !prof->id ? "; " : "",
		                          !prof->id ? "the posts have no ids: under this profile "
		                                      "an edited post gets a new id" : "");
	return true;
}

/* The day heading above post n: a heading or short element before it
 * among its siblings, back to the previous post. */
static bool day_above(struct lw_generic *g, xmlNode *n, int year, struct lw_gen_date *out)
{
	int steps = 0;
	for (xmlNode *s = n->prev; s && steps < 400; s = s->prev, steps++) {
		if (s->type != XML_ELEMENT_NODE)
			continue;
		if (g_hash_table_contains(g->entry_nodes, s) && g->best.kind != LW_GEN_HEADINGS) {
			/* the post above: the same day as it */
			if (!g->day.month)
				return false;
			*out = g->day;
			return true;
		}
		if (!lw_gen_heading_level(s) && !lw_gen_is(s, "p") && !lw_gen_is(s, "div") &&
		    !lw_gen_is(s, "li") && !lw_gen_is(s, "span"))
			continue;
		if (lw_gen_text_len(s, 80) >= 60)
			continue;
		g_autofree char *t = lw_text_line_from_node(s);
		if (lw_gen_parse_day(t, year, out))
			return true;
	}
	return false;
}

static bool generic_fixup(struct lw_page *p, xmlNode *node, struct lw_entry *e,
                          const char *raw_time, void *data)
{
	(void)p;
	struct lw_generic *g = data;
	struct lw_gen_clock clk = { 0 };
	bool has_clock = g->text_clock && raw_time && lw_gen_parse_clock(raw_time, &clk);
	if (has_clock && !e->published[0]) {
		struct lw_gen_date day = g->page_date;
		if (day_above(g, node, g->page_date.year, &day)) {
			day.offset_min = g->page_date.offset_min;
			day.has_offset = g->page_date.has_offset;
			g->day = day;
		}
		g_autofree char *pub = lw_gen_clock_utc(&day, &clk);
		lw_entry_set(&e->published, pub);
	}
	/* the clock is the post's time, not a line of its text */
	gsize rl = raw_time ? strlen(raw_time) : 0;
	if (has_clock && rl && strncmp(e->body, raw_time, rl) == 0 &&
	    (e->body[rl] == '\n' || e->body[rl] == '\0'))
		memmove(e->body, e->body + rl + (e->body[rl] ? 1 : 0),
		        strlen(e->body + rl + (e->body[rl] ? 1 : 0)) + 1);
	if (g->best.kind == LW_GEN_HEADINGS && has_clock) {
		struct lw_gen_clock tc;
		if (lw_gen_parse_clock(e->title, &tc))
			memmove(e->title, e->title + tc.len, strlen(e->title + tc.len) + 1);
	}
	/* an ad slot or an empty placeholder among the posts */
	if (!e->title[0] && !e->body[0])
		return false;
	if (!e->id[0]) {
		/* time and heading: an edit of the body keeps the id */
		g_autofree char *key = g_strdup_printf("%s %s", e->published,
		                                       raw_time && !e->published[0] ? raw_time : "");
		g_free(e->id);
		e->id = lw_entry_hash_id(key, e->title[0] ? e->title : "-", "");
	}
	return true;
}

int lw_extract_generic(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	if (!lw_generic_detect(p)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "no stream of posts found: %s",
		            p->generic && p->generic->reject ? p->generic->reject : "not HTML");
		return -1;
	}
	return lw_xpath_run(p, s, &p->generic->prof, generic_fixup, p->generic, error);
}

guint lw_generic_count(struct lw_page *p)
{
	struct lw_generic *g = p->generic;
	return g && g->found ? g->shown : 0;
}

void lw_generic_explain(struct lw_page *p, GString *out)
{
	struct lw_generic *g = p->generic;
	if (!g)
		return;
	if (g->found)
		g_string_append(out, g->why->str);
	if (g->reject)
		g_string_append_printf(out, "generic: %s\n", g->reject);
	if (g->found && g->second.kind != LW_GEN_NONE)
		g_string_append_printf(out, "runner-up: %u %s<%s%s%s> under <%s> (%u with times, "
		                       "%" G_GSIZE_FORMAT " characters): fewer posts with times\n",
		                       g->second.items, g->second.kind == LW_GEN_HEADINGS ? "headings " : "",
		                       (const char *)g->second.tag, g->second.cls ? "." : "",
		                       g->second.cls ? g->second.cls : "",
		                       (const char *)g->second.parent->name, g->second.timed,
		                       g->second.text);
}

void lw_generic_profile(struct lw_page *p, struct lw_xpath_profile *prof, char **note)
{
	struct lw_generic *g = p->generic;
	memset(prof, 0, sizeof(*prof));
	*note = NULL;
	if (!g || !g->found)
		return;
	prof->entry = g_strdup(g->prof.entry);
	prof->id = g_strdup(g->prof.id);
	prof->time = g_strdup(g->prof.time);
	prof->updated = g_strdup(g->prof.updated);
	prof->title = g_strdup(g->prof.title);
	prof->body = g_strdup(g->prof.body);
	*note = g_strdup(g->note);
}
