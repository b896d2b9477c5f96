#include "poll.h"
#include "error.h"
#include "extract.h"

#include <string.h>

void lw_poll_result_init(struct lw_poll_result *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->alerts = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	r->sink_errors = g_ptr_array_new_with_free_func(g_free);
}

void lw_poll_result_clear(struct lw_poll_result *r)
{
	/* The diff borrows from the snapshot and the history: free it first. */
	lw_diff_free(r->diff);
	lw_snapshot_free(r->snapshot);
	lw_history_free(r->history);
	g_free(r->error);
	g_free(r->format);
	g_free(r->coverage_end);
	if (r->alerts)
		g_ptr_array_unref(r->alerts);
	if (r->sink_errors)
		g_ptr_array_unref(r->sink_errors);
	memset(r, 0, sizeof(*r));
}

char *lw_time_rfc3339(gint64 unix_seconds)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_seconds);
	return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

int lw_poll_prepare(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                    struct lw_blog_state **st, struct lw_fetch_cond *cond, GError **error)
{
	struct lw_blog_state *s = lw_store_load_state(ctx->store, blog->sec.name, error);
	if (!s)
		return -1;
	cond->etag = NULL;
	cond->last_modified = NULL;
	/* Validators belong to the url they came from, and are only worth
	 * sending once a good snapshot is recorded. */
	if (s->baseline && s->url && !strcmp(s->url, blog->url)) {
		cond->etag = s->etag;
		cond->last_modified = s->last_modified;
	}
	*st = s;
	return 0;
}

/* Rules that apply to blog, from the global set and the blog's own. */
static GPtrArray *rules_for(struct lw_poll_ctx *ctx, const char *blog)
{
	GPtrArray *out = g_ptr_array_new();
	const struct lw_ruleset *sets[2] = {
		ctx->rules,
		ctx->blog_rules ? g_hash_table_lookup(ctx->blog_rules, blog) : NULL,
	};
	for (int s = 0; s < 2; s++) {
		if (!sets[s])
			continue;
		for (guint i = 0; i < lw_ruleset_count(sets[s]); i++) {
			const struct lw_rule *r = lw_ruleset_get(sets[s], i);
			if (lw_rule_applies_to_blog(r, blog))
				g_ptr_array_add(out, (gpointer)r);
		}
	}
	return out;
}

static const struct lw_rule *find_rule(struct lw_poll_ctx *ctx, const char *blog,
                                       const char *name)
{
	g_autoptr(GPtrArray) rules = rules_for(ctx, blog);
	for (guint i = 0; i < rules->len; i++) {
		const struct lw_rule *r = rules->pdata[i];
		if (!strcmp(r->name, name))
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
	return a;
}

/* Alerts for the entries that became matching (DESIGN.md "Rules"): the
 * current version matches and the previous one did not, or it is new. */
static void match_rules(struct lw_poll_ctx *ctx, const char *blog, const struct lw_diff *d,
                        const char *fetched, GPtrArray *alerts)
{
	g_autoptr(GPtrArray) rules = rules_for(ctx, blog);
	if (rules->len == 0)
		return;
	for (guint i = 0; i < d->changes->len; i++) {
		const struct lw_change *c = d->changes->pdata[i];
		if (c->kind == LW_CHANGE_REMOVED)
			continue;
		struct lw_doc *now = lw_doc_new(c->entry->title, c->entry->body);
		struct lw_doc *before = c->old ? lw_doc_new(c->old->title, c->old->body) : NULL;
		for (guint r = 0; r < rules->len; r++) {
			const struct lw_rule *rule = rules->pdata[r];
			struct lw_match m;
			lw_match_init(&m);
			if (lw_query_eval(rule->query, now, &m) &&
			    !(before && lw_query_eval(rule->query, before, NULL)))
				g_ptr_array_add(alerts, make_alert(rule, blog, c, &m, fetched));
			lw_match_clear(&m);
		}
		lw_doc_free(now);
		lw_doc_free(before);
	}
}

/* "bakhmut=1 leopard=2" for the Livewatch-Alerts trailer. */
static char *alerts_trailer(GPtrArray *alerts)
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

void lw_poll_deliver(struct lw_poll_ctx *ctx, const struct lw_alert *a, GPtrArray *errors)
{
	const struct lw_rule *rule = find_rule(ctx, a->blog, a->rule);
	for (guint i = 0; i < ctx->sinks->len; i++) {
		struct lw_sink *s = ctx->sinks->pdata[i];
		if (rule && !lw_rule_uses_sink(rule, lw_sink_name(s)))
			continue;
		GError *err = NULL;
		if (lw_sink_deliver(s, a, &err) < 0) {
			if (errors)
				g_ptr_array_add(errors, g_strdup(err->message));
			g_error_free(err);
		}
	}
}

void lw_poll_deliver_all(struct lw_poll_ctx *ctx, GPtrArray *alerts, GPtrArray *errors)
{
	if (!alerts || alerts->len == 0)
		return;
	for (guint i = 0; i < ctx->sinks->len; i++)
		lw_sink_begin_batch(ctx->sinks->pdata[i]);
	for (guint i = 0; i < alerts->len; i++)
		lw_poll_deliver(ctx, alerts->pdata[i], errors);
	for (guint i = 0; i < ctx->sinks->len; i++) {
		GError *err = NULL;
		if (lw_sink_end_batch(ctx->sinks->pdata[i], &err) < 0) {
			if (errors)
				g_ptr_array_add(errors, g_strdup(err->message));
			g_error_free(err);
		}
	}
}

int lw_poll_flush_outbox(struct lw_poll_ctx *ctx, GPtrArray *sink_errors, GError **error)
{
	const char *dir = lw_store_state_dir(ctx->store);
	char **warnings = NULL;
	GPtrArray *left = lw_outbox_claim(dir, &warnings, error);
	if (!left)
		return -1;
	for (char **w = warnings; w && *w; w++)
		if (sink_errors)
			g_ptr_array_add(sink_errors, g_strdup(*w));
	g_strfreev(warnings);
	lw_poll_deliver_all(ctx, left, sink_errors);
	int n = (int)left->len;
	g_ptr_array_unref(left);
	if (lw_outbox_done(dir, error) < 0)
		return -1;
	return n;
}

static void fail(struct lw_poll_result *out, struct lw_blog_state *st, gint64 now,
                 char *message)
{
	out->outcome = LW_POLL_FAILED;
	out->error = message;
	out->started_failing = st->failures == 0;
	st->failures++;
	out->failures = st->failures;
	lw_entry_set(&st->last_error, message);
	st->last_poll = now;
}

static void succeed(struct lw_poll_result *out, struct lw_blog_state *st, gint64 now)
{
	out->recovered = st->failures > 0;
	st->failures = 0;
	out->failures = 0;
	lw_entry_set(&st->last_error, "");
	st->last_poll = now;
	st->last_success = now;
}

int lw_poll_finish(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                   struct lw_blog_state *st, const struct lw_fetch_result *fr,
                   const GError *fetch_error, gint64 now, struct lw_poll_result *out,
                   GError **error)
{
	const struct lw_config *cfg = ctx->cfg;
	const char *name = blog->sec.name;
	g_autofree char *fetched = lw_time_rfc3339(now);
	GError *err = NULL;
	int rc = -1;

	if (fetch_error) {
		fail(out, st, now, g_strdup(fetch_error->message));
		goto save;
	}
	out->retry_after = fr->retry_after_s;
	if (fr->status == 304) {
		out->outcome = LW_POLL_NOT_MODIFIED;
		succeed(out, st, now);
		goto save;
	}
	if (fr->status >= 400 || fr->status < 200 || fr->status >= 300) {
		fail(out, st, now, g_strdup_printf("cannot fetch '%s': HTTP %ld", blog->url,
		                                   fr->status));
		goto save;
	}

	struct lw_extract_opts xo = LW_EXTRACT_OPTS_DEFAULT;
	xo.format = blog->format;
	xo.charset = fr->charset;
	xo.base_url = fr->effective_url ? fr->effective_url : blog->url;
	xo.max_entries = cfg->max_entries;
	gsize len = 0;
	const char *data = g_bytes_get_data(fr->body, &len);
	out->snapshot = lw_extract(data ? data : "", len, &xo, &err);
	if (!out->snapshot) {
		fail(out, st, now, g_strdup_printf("cannot read '%s': %s", blog->url, err->message));
		g_clear_error(&err);
		goto save;
	}
	out->format = g_strdup(out->snapshot->format);
	out->entries = out->snapshot->entries->len;
	if (*out->snapshot->coverage_end)
		out->coverage_end = g_strdup(out->snapshot->coverage_end);

	out->history = lw_store_load(ctx->store, name, error);
	if (!out->history)
		goto out;
	/* A live blog that suddenly reads as an ordinary page is an error page
	 * or a redesign we do not understand, not a blog of one new entry. */
	if (!strcmp(out->snapshot->format, "article") && out->history->window->len > 1) {
		fail(out, st, now, g_strdup_printf("ignoring '%s': the page has no live blog "
		                                   "entries any more (it reads as an ordinary page)",
		                                   blog->url));
		goto save;
	}
	out->diff = lw_diff_compute(out->history, st->removed, out->snapshot, &err);
	if (!out->diff) {
		fail(out, st, now, g_strdup_printf("ignoring '%s': %s", blog->url, err->message));
		g_clear_error(&err);
		goto save;
	}

	out->baseline = !st->baseline;
	if (!out->baseline || blog->alert_on_first_poll)
		match_rules(ctx, name, out->diff, fetched, out->alerts);

	if (out->diff->changes->len > 0) {
		g_autoptr(GPtrArray) write = g_ptr_array_new();
		g_autoptr(GPtrArray) remove = g_ptr_array_new();
		for (guint i = 0; i < out->diff->changes->len; i++) {
			const struct lw_change *c = out->diff->changes->pdata[i];
			if (c->kind == LW_CHANGE_REMOVED)
				g_ptr_array_add(remove, c->entry->id);
			else
				g_ptr_array_add(write, (gpointer)c->entry);
		}
		g_autofree char *trailer = alerts_trailer(out->alerts);
		g_autofree char *msg = lw_diff_message(out->diff, name, blog->url, trailer);
		struct lw_commit commit = {
			.blog = name,
			.write = write,
			.remove = remove,
			.page = out->snapshot,
			.message = msg,
			.time = now,
		};
		if (out->alerts->len &&
		    lw_outbox_append(lw_store_state_dir(ctx->store), out->alerts, error) < 0)
			goto out;
		if (lw_store_commit(ctx->store, &commit, out->commit, error) < 0) {
			/* Nothing was recorded: the alerts must not go out either. */
			GPtrArray *ours = lw_outbox_take(lw_store_state_dir(ctx->store), NULL);
			if (ours)
				g_ptr_array_unref(ours);
			goto out;
		}
		for (guint i = 0; i < out->diff->changes->len; i++) {
			const struct lw_change *c = out->diff->changes->pdata[i];
			if (c->kind == LW_CHANGE_REMOVED)
				g_hash_table_add(st->removed, g_strdup(c->entry->id));
			else
				g_hash_table_remove(st->removed, c->entry->id);
		}
		st->last_change = now;
	}
	out->outcome = out->commit[0] ? LW_POLL_CHANGED : LW_POLL_UNCHANGED;
	st->baseline = true;
	succeed(out, st, now);
	lw_entry_set(&st->url, blog->url);
	lw_entry_set(&st->etag, fr->etag);
	lw_entry_set(&st->last_modified, fr->last_modified);

save:
	if (lw_store_save_state(ctx->store, name, st, error) < 0)
		goto out;
	if (out->alerts->len) {
		/* Ours are the only alerts in the outbox now (leftovers of a crash
		 * are delivered when the program starts): deliver, then clear it. */
		lw_poll_deliver_all(ctx, out->alerts, out->sink_errors);
		GPtrArray *sent = lw_outbox_take(lw_store_state_dir(ctx->store), error);
		if (!sent)
			goto out;
		g_ptr_array_unref(sent);
	}
	rc = 0;
out:
	lw_blog_state_free(st);
	return rc;
}

int lw_poll_blog(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                 struct lw_poll_result *out, GError **error)
{
	struct lw_blog_state *st = NULL;
	struct lw_fetch_cond cond;
	if (lw_poll_prepare(ctx, blog, &st, &cond, error) < 0)
		return -1;
	const struct lw_config *cfg = ctx->cfg;
	struct lw_fetch_opts fo = LW_FETCH_OPTS_DEFAULT;
	fo.user_agent = cfg->user_agent;
	fo.connect_timeout_s = cfg->connect_timeout;
	fo.timeout_s = cfg->timeout;
	fo.max_size = cfg->max_size;
	fo.max_redirects = cfg->max_redirects;
	struct lw_fetch_result fr;
	memset(&fr, 0, sizeof(fr));
	GError *ferr = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	bool ok = lw_fetch_page(&fr, blog->url, &fo, &cond, &ferr) == 0;
	int rc = lw_poll_finish(ctx, blog, st, ok ? &fr : NULL, ferr, now, out, error);
	if (ok)
		lw_fetch_result_clear(&fr);
	g_clear_error(&ferr);
	return rc;
}
