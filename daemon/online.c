/* `livewatch check --online`: each blog fetched once, nothing recorded:
 * what livewatch sees on it now. */
#include "cli.h"
#include "extract.h"
#include "fetch.h"
#include "log.h"
#include "query.h"

#include <stdio.h>
#include <string.h>

/* Counts, per rule name, the posts of s a rule of rs that applies to blog
 * matches now. */
static void count_matches(const struct lw_ruleset *rs, const char *blog,
                          const struct lw_snapshot *s, GHashTable *hits, GPtrArray *order)
{
	for (guint i = 0; rs && i < lw_ruleset_count(rs); i++) {
		const struct lw_rule *r = lw_ruleset_get(rs, i);
		if (!lw_rule_applies_to_blog(r, blog))
			continue;
		guint n = 0;
		for (guint e = 0; e < s->entries->len; e++) {
			const struct lw_entry *en = s->entries->pdata[e];
			struct lw_doc *d = lw_doc_new(en->title, en->body);
			n += lw_query_eval(r->query, d, NULL);
			lw_doc_free(d);
		}
		if (n) {
			g_hash_table_insert(hits, r->name, GUINT_TO_POINTER(n));
			g_ptr_array_add(order, r->name);
		}
	}
}

/* One blog: 0, or -1 when its page could not be fetched or read. */
static int look(struct lw_app *app, const struct lw_blog_config *b)
{
	GError *err = NULL;
	struct lw_fetch_opts fo = lw_poll_fetch_opts(app->cfg);
	struct lw_fetch_result fr;
	memset(&fr, 0, sizeof(fr));
	if (lw_fetch_page(&fr, b->url, &fo, NULL, &err) < 0) {
		printf("%s: %s\n", b->sec.name, err->message);
		g_error_free(err);
		lw_fetch_result_clear(&fr);
		return -1;
	}
	if (fr.status >= 400) {
		printf("%s: cannot fetch '%s': HTTP %ld\n", b->sec.name, b->url, fr.status);
		lw_fetch_result_clear(&fr);
		return -1;
	}
	struct lw_extract_opts xo = LW_EXTRACT_OPTS_DEFAULT;
	xo.format = b->format;
	xo.charset = fr.charset;
	xo.base_url = fr.effective_url ? fr.effective_url : b->url;
	xo.max_entries = app->cfg->max_entries;
	xo.xpath = &b->xpath;
	xo.max_parse_time = app->cfg->max_parse_time;
	gsize len = 0;
	const char *data = fr.body ? g_bytes_get_data(fr.body, &len) : "";
	struct lw_snapshot *s = lw_extract(data ? data : "", len, &xo, &err);
	lw_fetch_result_clear(&fr);
	if (!s) {
		printf("%s: cannot read '%s': %s\n", b->sec.name, b->url, err->message);
		g_error_free(err);
		return -1;
	}
	guint n = s->entries->len;
	printf("%s: format %s, %u post%s", b->sec.name, s->format, n, n == 1 ? "" : "s");
	/* the newest by published time (pinned posts come first on a page) */
	const struct lw_entry *newest = NULL;
	for (guint i = 0; i < n; i++) {
		const struct lw_entry *e = s->entries->pdata[i];
		if (!newest || strcmp(e->published, newest->published) > 0)
			newest = e;
	}
	if (newest) {
		g_autofree char *line = g_strdup(*newest->title ? newest->title : newest->body);
		g_strdelimit(line, "\n", ' ');
		if (g_utf8_strlen(line, -1) > 70) {
			char *cut = g_utf8_offset_to_pointer(line, 70);
			strcpy(cut, "\u2026");
		}
		printf(", newest %s \"%s\"", *newest->published ? newest->published : "(no time)",
		       line);
	}
	printf("\n");
	if (n == 0)
		printf("  warning: no posts: is this the live blog's page, and its format right?\n");
	else if (!strcmp(s->format, "article"))
		printf("  warning: the page reads as an article, not a live blog (one post); "
		       "try 'livewatch extract --explain %s'\n", b->url);
	g_autoptr(GHashTable) hits = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	count_matches(app->rules, b->sec.name, s, hits, order);
	count_matches(g_hash_table_lookup(app->blog_rules, b->sec.name), b->sec.name, s, hits,
	              order);
	if (order->len == 0) {
		printf("  no rule matches a post on it now\n");
	} else {
		printf("  rules matching now:");
		for (guint i = 0; i < order->len; i++) {
			guint k = GPOINTER_TO_UINT(g_hash_table_lookup(hits, order->pdata[i]));
			printf("%s %s (%u post%s)", i ? "," : "", (char *)order->pdata[i], k,
			       k == 1 ? "" : "s");
		}
		printf("\n");
	}
	lw_snapshot_free(s);
	return 0;
}

int lw_check_online(struct lw_app *app)
{
	int failed = 0;
	lw_fetch_global_init();
	for (guint i = 0; i < app->cfg->blogs->len; i++)
		failed |= look(app, app->cfg->blogs->pdata[i]) < 0;
	return failed ? -1 : 0;
}
