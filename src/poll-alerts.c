/* What a poll's changes fire and where the alerts go: the rules matched
 * through each set's index, the alerts made (their ids, snippets and
 * trailers for the commit), and the sinks each alert's rule wants. */
#include "poll.h"
#include "poll-private.h"

#include <string.h>

/* The rule sets a blog's entries are matched against: the global set,
 * then the blog's own (either may be NULL). */
static void blog_sets(const struct lw_poll_ctx *ctx, const char *blog,
                      const struct lw_ruleset *sets[2])
{
	sets[0] = ctx->rules;
	sets[1] = ctx->blog_rules ? g_hash_table_lookup(ctx->blog_rules, blog) : NULL;
}

/* The rule an alert of blog names, found as poll_match_rules() found it; NULL
 * when a reload took it away. */
static const struct lw_rule *find_rule(struct lw_poll_ctx *ctx, const char *blog,
                                       const char *name)
{
	const struct lw_ruleset *sets[2];
	blog_sets(ctx, blog, sets);
	for (int s = 0; s < 2; s++) {
		const struct lw_rule *r = lw_ruleset_find(sets[s], name);
		if (r && lw_rule_applies_to_blog(r, blog))
			return r;
	}
	return NULL;
}

static struct lw_alert *make_alert(const struct lw_rule *rule, const char *blog,
                                   const struct lw_change *c, const struct lw_match *m,
                                   const char *fetched)
{
	struct lw_alert *a = lw_alert_new();
	const struct lw_entry *e = c->entry;
	lw_entry_set(&a->rule, rule->name);
	lw_entry_set(&a->blog, blog);
	lw_entry_set(&a->entry, e->id);
	lw_entry_set(&a->change, lw_change_kind_name(c->kind));
	a->stealth = c->stealth;
	g_free(a->title);
	a->title = lw_entry_heading(e);
	lw_entry_set(&a->url, e->url);
	lw_entry_set(&a->published, e->published);
	lw_entry_set(&a->urgency, lw_urgency_name(rule->urgency));
	GPtrArray *terms = g_ptr_array_new();
	for (guint i = 0; m->terms && i < m->terms->len; i++)
		g_ptr_array_add(terms, g_strdup(m->terms->pdata[i]));
	g_ptr_array_add(terms, NULL);
	g_strfreev(a->matched);
	a->matched = (char **)g_ptr_array_free(terms, FALSE);
	/* The title is shown anyway: when the hit is there, show the body
	 * around a hit of the same query if it has one. */
	const char *text = e->body;
	gsize off = 0, len = 0;
	if (m->field && !strcmp(m->field, "body")) {
		off = m->offset;
		len = m->length;
	} else if (m->field) {
		struct lw_doc *body = lw_doc_new("", e->body);
		struct lw_match bm;
		lw_match_init(&bm);
		if (lw_query_eval(rule->query, body, &bm) && bm.field) {
			off = bm.offset;
			len = bm.length;
		} else {
			text = e->title;
			off = m->offset;
			len = m->length;
		}
		lw_match_clear(&bm);
		lw_doc_free(body);
	}
	g_free(a->snippet);
	a->snippet = lw_alert_snippet(text, off, len, 160);
	lw_entry_set(&a->fetched, fetched);
	/* The version the commit records: the entry's file as written now
	 * (for a removal, c->entry is the text last recorded). */
	char version[LW_ENTRY_VERSION_LEN + 1];
	lw_entry_version(e, version);
	if (c->kind == LW_CHANGE_REMOVED) {
		/* the removal of the version a match alert may have named */
		g_autofree char *gone = g_strconcat(version, "-removed", NULL);
		lw_alert_set_id(a, gone);
		g_free(a->text);
		a->text = g_strconcat(a->title, "\n\n", e->body, NULL);
	} else {
		lw_alert_set_id(a, version);
	}
	return a;
}

/* Whether rule fires for change c whose entry (c->entry: now, or the last
 * version of a removed one) matches (DESIGN.md "Rules", `on =`);
 * `before` is the previous version of an edit, made on demand. */
static bool fires(const struct lw_rule *rule, const struct lw_change *c, struct lw_doc **before)
{
	switch (c->kind) {
	case LW_CHANGE_NEW:
	case LW_CHANGE_RESTORED:
		return rule->on & LW_ON_MATCH;
	case LW_CHANGE_REMOVED:
		return rule->on & LW_ON_REMOVAL;
	case LW_CHANGE_EDITED:
		if ((rule->on & LW_ON_EDIT) || ((rule->on & LW_ON_STEALTH) && c->stealth))
			return true;
		if (!(rule->on & LW_ON_MATCH))
			return false;
		if (!*before)
			*before = lw_doc_new(c->old->title, c->old->body);
		return !lw_query_eval(rule->query, *before, NULL);
	}
	return false;
}

void poll_match_rules(struct lw_poll_ctx *ctx, const char *blog, const struct lw_diff *d,
                        const char *fetched, GPtrArray *alerts)
{
	/* Each set's index picks the rules that may match (rindex.h); only
	 * those are evaluated, which finds exactly what evaluating all would. */
	const struct lw_ruleset *sets[2];
	blog_sets(ctx, blog, sets);
	if (lw_ruleset_count(sets[0]) + lw_ruleset_count(sets[1]) == 0)
		return;
	g_autoptr(GArray) cand = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < d->changes->len; i++) {
		const struct lw_change *c = d->changes->pdata[i];
		struct lw_doc *now = lw_doc_new(c->entry->title, c->entry->body);
		struct lw_doc *before = NULL;   /* made when a rule matches now */
		for (int s = 0; s < 2; s++) {
			g_array_set_size(cand, 0);
			lw_ruleset_candidates(sets[s], now, cand);
			for (guint k = 0; k < cand->len; k++) {
				const struct lw_rule *rule = lw_ruleset_get(sets[s], g_array_index(cand, guint, k));
				if (!lw_rule_applies_to_blog(rule, blog))
					continue;
				struct lw_match m;
				lw_match_init(&m);
				if (lw_query_eval(rule->query, now, &m) && fires(rule, c, &before))
					g_ptr_array_add(alerts, make_alert(rule, blog, c, &m, fetched));
				lw_match_clear(&m);
			}
		}
		lw_doc_free(now);
		lw_doc_free(before);
	}
}

char *poll_alerts_trailer(GPtrArray *alerts)
{
	if (alerts->len == 0)
		return NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GHashTable) counts = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < alerts->len; i++) {
		const struct lw_alert *a = alerts->pdata[i];
		gpointer n = g_hash_table_lookup(counts, a->rule);
		if (!n)
			g_ptr_array_add(names, a->rule);
		g_hash_table_insert(counts, a->rule, GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
	}
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < names->len; i++)
		g_string_append_printf(s, "%s%s=%d", i ? " " : "", (char *)names->pdata[i],
		                       GPOINTER_TO_INT(g_hash_table_lookup(counts, names->pdata[i])));
	return g_string_free(s, FALSE);
}

char *poll_alert_trailers(char *msg, GPtrArray *alerts)
{
	GString *m = g_string_new(msg);
	g_free(msg);
	for (guint i = 0; i < alerts->len; i++) {
		struct lw_alert *a = lw_alert_dup(alerts->pdata[i]);
		lw_entry_set(&a->text, "");
		g_autofree char *json = lw_alert_to_json(a);
		g_string_append_printf(m, "Livewatch-Alert: %s\n", json);
		lw_alert_free(a);
	}
	return g_string_free(m, FALSE);
}

/* The rule an alert came from picks its sinks; a rule that is gone,
 * every sink. */
static bool rule_wants(void *data, const struct lw_sink *s, const struct lw_alert *a)
{
	const struct lw_rule *rule = find_rule(data, a->blog, a->rule);
	return !rule || lw_rule_uses_sink(rule, lw_sink_name(s));
}

void lw_poll_deliver_to(struct lw_poll_ctx *ctx, struct lw_sink *s, GPtrArray *alerts,
                        GPtrArray *errors)
{
	lw_sink_deliver_batch(s, lw_store_state_dir(ctx->store), alerts, rule_wants, ctx, errors);
}

void lw_poll_retry(struct lw_poll_ctx *ctx, GPtrArray *errors)
{
	for (guint i = 0; i < ctx->sinks->len; i++)
		lw_poll_deliver_to(ctx, ctx->sinks->pdata[i], NULL, errors);
}

void lw_poll_deliver_all(struct lw_poll_ctx *ctx, GPtrArray *alerts, GPtrArray *errors)
{
	if (!alerts || alerts->len == 0)
		return;
	for (guint i = 0; i < ctx->sinks->len; i++)
		lw_poll_deliver_to(ctx, ctx->sinks->pdata[i], alerts, errors);
}

GPtrArray *lw_poll_claim_outbox(struct lw_poll_ctx *ctx, GPtrArray *warnings, GError **error)
{
	const char *dir = lw_store_state_dir(ctx->store);
	GPtrArray *left = lw_outbox_claim(dir, warnings, error);
	if (left && left->len == 0 && lw_outbox_done(dir, error) < 0)
		g_clear_pointer(&left, g_ptr_array_unref);
	return left;
}

int lw_poll_flush_outbox(struct lw_poll_ctx *ctx, GPtrArray *sink_errors, GError **error)
{
	GPtrArray *left = lw_poll_claim_outbox(ctx, sink_errors, error);
	if (!left)
		return -1;
	int n = (int)left->len;
	if (n > 0) {
		lw_poll_deliver_all(ctx, left, sink_errors);
		if (lw_outbox_done(lw_store_state_dir(ctx->store), error) < 0)
			n = -1;
	}
	g_ptr_array_unref(left);
	return n;
}

