/* schema.org LiveBlogPosting in <script type="application/ld+json">.
 *
 * A block larger than LW_JSONLD_MAX_BYTES, or nested deeper than
 * max_json_depth, is ignored (the rest of the page stays usable); so is
 * everything past LW_JSONLD_MAX_TOTAL bytes of JSON-LD in one page. */
#include "extract-private.h"
#include "caps.h"
#include "error.h"
#include "text.h"

#include <string.h>

void lw_jsonld_load(struct lw_page *p)
{
	if (p->jsonld)
		return;
	p->jsonld = g_ptr_array_new_with_free_func((GDestroyNotify)lw_jtree_free);
	lw_page_scan(p);
	gsize total = 0;
	for (guint i = 0; i < p->ldjson_scripts->len; i++) {
		xmlChar *text = xmlNodeGetContent(p->ldjson_scripts->pdata[i]);
		if (!text)
			continue;
		gsize len = strlen((const char *)text);
		total += len;
		struct lw_jtree *root = NULL;
		if (total <= LW_JSONLD_MAX_TOTAL)
			root = lw_jtree_parse((const char *)text, len,
			                      p->opts.max_json_depth, LW_JSONLD_MAX_BYTES);
		xmlFree(text);
		if (root)
			g_ptr_array_add(p->jsonld, root);
	}
}

static bool has_type(const struct lw_jv *o, bool (*match)(const char *))
{
	const struct lw_jv *t = lw_jv_member(o, "@type");
	if (!t)
		return false;
	if (t->type == LW_J_STRING)
		return match(t->u.s);
	if (t->type != LW_J_ARRAY)
		return false;
	for (guint i = 0; i < t->n; i++)
		if (t->u.items[i].type == LW_J_STRING && match(t->u.items[i].u.s))
			return true;
	return false;
}

static const char *bare_type(const char *t)
{
	const char *c = strrchr(t, ':');
	const char *sl = strrchr(t, '/');
	if (sl && (!c || sl > c))
		c = sl;
	return c ? c + 1 : t;
}

static bool is_liveblog(const char *t)
{
	return strcmp(bare_type(t), "LiveBlogPosting") == 0;
}

static bool is_article(const char *t)
{
	return g_str_has_suffix(bare_type(t), "Article");
}

/* Collects, in document order, objects whose @type matches; does not
 * look inside a match.  Depth is bounded by the parse check. */
static void find_typed(const struct lw_jv *n, bool (*match)(const char *), GPtrArray *out)
{
	if (n->type == LW_J_ARRAY) {
		for (guint i = 0; i < n->n; i++)
			find_typed(&n->u.items[i], match, out);
		return;
	}
	if (n->type != LW_J_OBJECT)
		return;
	if (has_type(n, match)) {
		g_ptr_array_add(out, (gpointer)n);
		return;
	}
	for (guint i = 0; i < n->n; i++)
		find_typed(&n->u.members[i].val, match, out);
}

static GPtrArray *find_all(struct lw_page *p, bool (*match)(const char *))
{
	lw_jsonld_load(p);
	GPtrArray *out = g_ptr_array_new();
	for (guint i = 0; i < p->jsonld->len; i++)
		find_typed(lw_jtree_root(p->jsonld->pdata[i]), match, out);
	return out;
}

static const char *str_member(const struct lw_jv *o, const char *name)
{
	return lw_jv_string(lw_jv_member(o, name));
}

/* liveBlogUpdate as a list of objects (array or a single object). */
static GPtrArray *updates_of(const struct lw_jv *posting)
{
	GPtrArray *out = g_ptr_array_new();
	const struct lw_jv *u = lw_jv_member(posting, "liveBlogUpdate");
	if (!u)
		return out;
	if (u->type == LW_J_OBJECT) {
		g_ptr_array_add(out, (gpointer)u);
	} else if (u->type == LW_J_ARRAY) {
		for (guint i = 0; i < u->n; i++)
			if (u->u.items[i].type == LW_J_OBJECT)
				g_ptr_array_add(out, (gpointer)&u->u.items[i]);
	}
	return out;
}

bool lw_jsonld_has_updates(struct lw_page *p)
{
	g_autoptr(GPtrArray) postings = find_all(p, is_liveblog);
	for (guint i = 0; i < postings->len; i++) {
		g_autoptr(GPtrArray) u = updates_of(postings->pdata[i]);
		if (u->len > 0)
			return true;
	}
	return false;
}

static bool is_hex24(const char *s)
{
	if (strlen(s) != 24)
		return false;
	for (; *s; s++)
		if (!g_ascii_isxdigit(*s))
			return false;
	return true;
}

/* The update's id: @id (its #fragment when it is a url), else the url's
 * #fragment; Guardian bare hex ids get the "block-" the HTML uses. */
static char *update_id(struct lw_page *p, const struct lw_jv *u)
{
	const char *id = str_member(u, "@id");
	if (id && strchr(id, '#'))
		id = strrchr(id, '#') + 1;
	if (!id || !*id) {
		const char *url = str_member(u, "url");
		id = url && strchr(url, '#') ? strrchr(url, '#') + 1 : NULL;
	}
	if (!id || !*id)
		return NULL;
	if (p->guardian_markup && is_hex24(id))
		return g_strconcat("block-", id, NULL);
	return g_strdup(id);
}

static char *one_line(const char *s)
{
	if (!s)
		return NULL;
	g_autofree char *t = lw_text_from_html(s, -1, 64 * 1024);
	return lw_text_collapse(t, -1);
}

static char *author_names(const struct lw_jv *n)
{
	if (!n)
		return NULL;
	if (n->type == LW_J_STRING)
		return one_line(n->u.s);
	if (n->type == LW_J_OBJECT)
		return one_line(str_member(n, "name"));
	if (n->type != LW_J_ARRAY)
		return NULL;
	GString *all = g_string_new(NULL);
	for (guint i = 0; i < n->n && i < 20; i++) {
		const struct lw_jv *e = &n->u.items[i];
		if (e->type == LW_J_ARRAY)
			continue;
		g_autofree char *name = author_names(e);
		if (!name || !*name)
			continue;
		if (all->len)
			g_string_append(all, ", ");
		g_string_append(all, name);
	}
	return g_string_free(all, FALSE);
}

/* The posting's own headline and dates, which some publishers repeat in
 * every update; an update field equal to them says nothing about it. */
struct page_level {
	char *headline;
	char *shared;     /* the one headline every update has, when several do
	                     (the Independent gives each the blog's short title) */
	char *published;
	char *modified;
	char *author;
};

static void page_level_init(struct page_level *pl, const struct lw_jv *posting)
{
	pl->headline = one_line(str_member(posting, "headline"));
	pl->published = lw_text_time_utc(str_member(posting, "datePublished"));
	pl->modified = lw_text_time_utc(str_member(posting, "dateModified"));
	pl->author = author_names(lw_jv_member(posting, "author"));
	pl->shared = NULL;
	g_autoptr(GPtrArray) updates = updates_of(posting);
	for (guint i = 0; updates->len >= 2 && i < updates->len; i++) {
		g_autofree char *h = one_line(str_member(updates->pdata[i], "headline"));
		if (!h || !*h || (pl->shared && strcmp(h, pl->shared))) {
			g_clear_pointer(&pl->shared, g_free);
			break;
		}
		if (!pl->shared)
			pl->shared = g_steal_pointer(&h);
	}
}

static void page_level_clear(struct page_level *pl)
{
	g_free(pl->headline);
	g_free(pl->shared);
	g_free(pl->published);
	g_free(pl->modified);
	g_free(pl->author);
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Fills e's empty fields from update u.  `html_first` says the entry came
 * from the page's markup: then page-level dates are not the post's. */
static void fill_entry(struct lw_page *p, struct lw_entry *e, const struct lw_jv *u,
                       const struct page_level *pl, bool html_first)
{
	if (!e->title[0]) {
		g_autofree char *t = one_line(str_member(u, "headline"));
		if (t && !same(t, pl->headline) && !same(t, pl->shared))
			lw_entry_set(&e->title, t);
	}
	if (!e->body[0]) {
		const char *b = str_member(u, "articleBody");
		if (!b)
			b = str_member(u, "text");
		if (b) {
			g_free(e->body);
			e->body = lw_text_from_html(b, -1, p->opts.max_entry_bytes);
		}
	}
	if (!e->published[0]) {
		g_autofree char *t = lw_text_time_utc(str_member(u, "datePublished"));
		if (t && !(html_first && same(t, pl->published)))
			lw_entry_set(&e->published, t);
	}
	if (!e->updated[0]) {
		g_autofree char *t = lw_text_time_utc(str_member(u, "dateModified"));
		if (t && !(html_first && same(t, pl->modified)))
			lw_entry_set(&e->updated, t);
	}
	if (!e->url[0]) {
		const char *url = str_member(u, "url");
		const char *at_id = str_member(u, "@id");
		if (lw_url_is_http(url))
			lw_entry_set(&e->url, url);
		else if (lw_url_is_http(at_id) && strchr(at_id, '#'))
			lw_entry_set(&e->url, at_id);
	}
	if (!e->author[0]) {
		g_autofree char *a = author_names(lw_jv_member(u, "author"));
		if (a && !(html_first && same(a, pl->author)))
			lw_entry_set(&e->author, a);
	}
}

static void set_page_fields(struct lw_snapshot *s, const struct lw_jv *posting, bool force)
{
	g_autofree char *headline = one_line(str_member(posting, "headline"));
	if (headline && *headline && (force || !s->page_title[0]))
		lw_entry_set(&s->page_title, headline);
	g_autofree char *end = lw_text_time_utc(str_member(posting, "coverageEndTime"));
	if (end && (force || !s->coverage_end[0]))
		lw_entry_set(&s->coverage_end, end);
	const struct lw_jv *live = lw_jv_member(posting, "isLive");
	if (live && live->type == LW_J_BOOL && (force || s->live < 0))
		s->live = live->u.b ? 1 : 0;
}

/* "isLive": true / false in JSON text, without parsing it: 1, 0, or -1. */
static int find_is_live(const char *text)
{
	const char *p = strstr(text, "\"isLive\"");
	if (!p)
		return -1;
	p += strlen("\"isLive\"");
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':')
		p++;
	return g_str_has_prefix(p, "true") ? 1 : g_str_has_prefix(p, "false") ? 0 : -1;
}

void lw_jsonld_page_fields(struct lw_page *p, struct lw_snapshot *s)
{
	lw_page_scan(p);
	for (guint i = 0; i < p->ldjson_scripts->len && !s->coverage_end[0]; i++) {
		xmlChar *text = xmlNodeGetContent(p->ldjson_scripts->pdata[i]);
		if (!text)
			continue;
		if (strstr((const char *)text, "LiveBlogPosting")) {
			g_autofree char *raw = lw_json_find_string((const char *)text,
			                                           "coverageEndTime", LW_JSONLD_PAGE_FIELD_MAX);
			g_autofree char *end = lw_text_time_utc(raw);
			if (end)
				lw_entry_set(&s->coverage_end, end);
			if (s->live < 0)
				s->live = find_is_live((const char *)text);
			if (!s->page_title[0]) {
				g_autofree char *h = lw_json_find_string((const char *)text, "headline",
				                                           LW_JSONLD_PAGE_FIELD_MAX);
				g_autofree char *line = one_line(h);
				if (line && *line)
					lw_entry_set(&s->page_title, line);
			}
		}
		xmlFree(text);
	}
}

int lw_extract_jsonld(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	g_autoptr(GPtrArray) postings = find_all(p, is_liveblog);
	if (postings->len == 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
		            "no JSON-LD LiveBlogPosting in page");
		return -1;
	}
	for (guint i = 0; i < postings->len; i++) {
		const struct lw_jv *posting = postings->pdata[i];
		if (i == 0)
			set_page_fields(s, posting, true);
		if (!p->base[0]) {
			/* permalinks hang off the posting's own address */
			static const char *const keys[] = { "url", "mainEntityOfPage", "@id" };
			for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
				const char *base = str_member(posting, keys[k]);
				if (lw_url_is_http(base)) {
					g_free(p->base);
					p->base = g_strdup(base);
					break;
				}
			}
		}
		struct page_level pl;
		page_level_init(&pl, posting);
		g_autoptr(GPtrArray) updates = updates_of(posting);
		int rc = 0;
		for (guint j = 0; j < updates->len && rc == 0; j++) {
			const struct lw_jv *u = updates->pdata[j];
			struct lw_entry *e = lw_entry_new();
			g_autofree char *id = update_id(p, u);
			lw_entry_set(&e->id, id);
			fill_entry(p, e, u, &pl, false);
			rc = lw_page_add_entry(p, s, e, error);
		}
		page_level_clear(&pl);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The first words of a text, for telling whether two sources hold the
 * same post: lower-case letters and digits only, so markup, spacing and
 * punctuation differences between the sources do not matter. */
#define KEY_CHARS 60

static char *text_key(const char *text)
{
	GString *k = g_string_new(NULL);
	for (const char *c = text; *c && k->len < KEY_CHARS; c = g_utf8_next_char(c)) {
		gunichar u = g_utf8_get_char(c);
		if (g_unichar_isalnum(u))
			g_string_append_unichar(k, g_unichar_tolower(u));
	}
	return g_string_free(k, FALSE);
}

/* The HTML entry an update with an unknown id stands for: the one entry
 * (not matched yet) whose text starts the same way; NULL when none or
 * several do, or when the text is too short to tell. */
static struct lw_entry *match_by_text(struct lw_page *p, struct lw_snapshot *s,
                                      GHashTable *matched, const struct lw_jv *u)
{
	const char *b = str_member(u, "articleBody");
	if (!b)
		b = str_member(u, "text");
	if (!b)
		return NULL;
	g_autofree char *text = lw_text_from_html(b, -1, 4096);
	g_autofree char *key = text_key(text);
	if (g_utf8_strlen(key, -1) < 20)
		return NULL;
	struct lw_entry *found = NULL;
	for (guint i = 0; i < s->entries->len; i++) {
		struct lw_entry *e = s->entries->pdata[i];
		if (g_hash_table_contains(matched, e))
			continue;
		g_autofree char *ek = text_key(e->body);
		gsize n = MIN(strlen(ek), strlen(key));
		if (n < 20 || strncmp(ek, key, n) != 0)
			continue;
		if (found)
			return NULL;
		found = e;
	}
	(void)p;
	return found;
}

void lw_jsonld_enrich(struct lw_page *p, struct lw_snapshot *s)
{
	g_autoptr(GPtrArray) postings = find_all(p, is_liveblog);
	g_autoptr(GHashTable) matched = g_hash_table_new(NULL, NULL);
	g_autoptr(GPtrArray) unmatched = g_ptr_array_new();
	g_autoptr(GPtrArray) unmatched_pl = g_ptr_array_new();
	struct page_level *pls = g_new0(struct page_level, postings->len ? postings->len : 1);
	for (guint i = 0; i < postings->len; i++) {
		const struct lw_jv *posting = postings->pdata[i];
		if (i == 0)
			set_page_fields(s, posting, true);
		page_level_init(&pls[i], posting);
		g_autoptr(GPtrArray) updates = updates_of(posting);
		for (guint j = 0; j < updates->len; j++) {
			const struct lw_jv *u = updates->pdata[j];
			g_autofree char *raw = update_id(p, u);
			g_autofree char *id = lw_entry_sanitize_id(raw);
			struct lw_entry *e = id ? g_hash_table_lookup(p->ids, id) : NULL;
			if (e) {
				fill_entry(p, e, u, &pls[i], true);
				g_hash_table_add(matched, e);
			} else if (unmatched->len < LW_JSONLD_MAX_TEXT_MATCHES) {
				g_ptr_array_add(unmatched, (gpointer)u);
				g_ptr_array_add(unmatched_pl, &pls[i]);
			}
		}
	}
	if (g_hash_table_size(matched) < s->entries->len) {
		for (guint j = 0; j < unmatched->len; j++) {
			struct lw_entry *e = match_by_text(p, s, matched, unmatched->pdata[j]);
			if (!e)
				continue;
			fill_entry(p, e, unmatched->pdata[j], unmatched_pl->pdata[j], true);
			g_hash_table_add(matched, e);
		}
	}
	for (guint i = 0; i < postings->len; i++)
		page_level_clear(&pls[i]);
	g_free(pls);
}

void lw_jsonld_article_dates(struct lw_page *p, char **published, char **modified)
{
	*published = NULL;
	*modified = NULL;
	g_autoptr(GPtrArray) articles = find_all(p, is_article);
	if (articles->len == 0)
		return;
	const struct lw_jv *a = articles->pdata[0];
	*published = lw_text_time_utc(str_member(a, "datePublished"));
	*modified = lw_text_time_utc(str_member(a, "dateModified"));
}
