/* One poll of one blog (poll.h): the job's steps, and what a poll
 * returns.  Which rules fire and where alerts go is poll-alerts.c. */
#include "poll.h"
#include "poll-private.h"
#include "error.h"
#include "extract.h"
#include "follow.h"

#include <string.h>

void lw_poll_result_init(struct lw_poll_result *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->live = -1;
	r->alerts = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	r->sink_errors = g_ptr_array_new_with_free_func(g_free);
}

void lw_poll_result_clear(struct lw_poll_result *r)
{
	/* The diff borrows from the snapshot and the history: free it first. */
	lw_diff_free(r->diff);
	lw_snapshot_free(r->snapshot);
	lw_record_free(r->record);
	g_free(r->error);
	g_free(r->format);
	g_free(r->coverage_end);
	g_free(r->follow_on);
	g_free(r->url_changed_from);
	if (r->alerts)
		g_ptr_array_unref(r->alerts);
	if (r->sink_errors)
		g_ptr_array_unref(r->sink_errors);
	memset(r, 0, sizeof(*r));
}

void lw_poll_result_slim(struct lw_poll_result *r)
{
	if (r->diff)
		g_ptr_array_set_size(r->diff->changes, 0);   /* borrowed from what goes */
	g_clear_pointer(&r->snapshot, lw_snapshot_free);
	g_clear_pointer(&r->record, lw_record_free);
}

char *lw_time_rfc3339(gint64 unix_seconds)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_seconds);
	return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
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

struct lw_poll_job {
	struct lw_poll_ctx *ctx;
	const struct lw_blog_config *blog;
	struct lw_blog_state *st;
	char *url;                  /* the blog's page (first page) */
	char *next;                 /* url to fetch now, NULL when done */
	struct lw_fetch_cond cond;
	guint pages;                /* pages fed so far */
	struct lw_snapshot *snap;   /* entries of every page fed, in page order */
	GHashTable *ids;            /* ids in snap */
	GHashTable *visited;        /* page urls fetched (pagination loops) */
	char *error;                /* first failure, or NULL */
	bool not_modified;
	long retry_after;
	long status;
	char *etag, *last_modified; /* validators of the first page */
	char *follow_on;            /* the first page's follow-on, or NULL */
	gint64 now;                 /* time of the first fetch */
};

struct lw_poll_job *lw_poll_job_new(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                                    const char *url, GError **error)
{
	struct lw_blog_state *st = lw_store_load_state(ctx->store, blog->sec.name, error);
	if (!st)
		return NULL;
	struct lw_poll_job *j = g_new0(struct lw_poll_job, 1);
	j->ctx = ctx;
	j->blog = blog;
	j->st = st;
	j->url = g_strdup(url ? url : blog->url);
	j->next = g_strdup(j->url);
	j->retry_after = -1;
	j->ids = g_hash_table_new(g_str_hash, g_str_equal);
	j->visited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* Validators belong to the url they came from, and are only worth
	 * sending once a good snapshot is recorded. */
	if (st->baseline && st->url && !strcmp(st->url, j->url)) {
		j->cond.etag = st->etag;
		j->cond.last_modified = st->last_modified;
	}
	return j;
}

void lw_poll_job_free(struct lw_poll_job *j)
{
	if (!j)
		return;
	lw_blog_state_free(j->st);
	g_free(j->url);
	g_free(j->next);
	lw_snapshot_free(j->snap);
	g_hash_table_unref(j->ids);
	g_hash_table_unref(j->visited);
	g_free(j->error);
	g_free(j->etag);
	g_free(j->last_modified);
	g_free(j->follow_on);
	g_free(j);
}

const char *lw_poll_job_url(const struct lw_poll_job *j)
{
	return j->next;
}

const struct lw_fetch_cond *lw_poll_job_cond(const struct lw_poll_job *j)
{
	return j->pages == 0 ? &j->cond : NULL;
}

const struct lw_blog_config *lw_poll_job_blog(const struct lw_poll_job *j)
{
	return j->blog;
}

/* The newer blog of the series the page's newest post links to (the
 * post with the latest time; the first when none says), or NULL. */
static char *find_follow_on(const struct lw_snapshot *s, const char *data, gsize len,
                            const char *page_url)
{
	const struct lw_entry *newest = NULL;
	for (guint i = 0; i < s->entries->len; i++) {
		const struct lw_entry *e = s->entries->pdata[i];
		if (!newest || strcmp(e->published, newest->published) > 0)
			newest = e;
	}
	if (!newest || !strcmp(s->format, "feed") || !strcmp(s->format, "article"))
		return NULL;
	return lw_follow_on_find(data, len, page_url, newest->id, newest->url);
}

static void job_fail(struct lw_poll_job *j, char *message)
{
	g_free(j->error);
	j->error = message;
	g_clear_pointer(&j->next, g_free);
}

void lw_poll_job_feed(struct lw_poll_job *j, const struct lw_fetch_result *fr,
                      const GError *fetch_error, gint64 now)
{
	const struct lw_config *cfg = j->ctx->cfg;
	const struct lw_blog_config *blog = j->blog;
	g_autofree char *page = j->next;
	j->next = NULL;
	if (!page || j->error)
		return;
	if (j->pages == 0)
		j->now = now;
	g_hash_table_add(j->visited, g_strdup(page));
	if (fetch_error) {
		job_fail(j, g_strdup(fetch_error->message));
		return;
	}
	if (j->pages == 0) {
		j->retry_after = fr->retry_after_s;
		j->status = fr->status;
	}
	if (fr->status == 304 && j->pages == 0) {
		j->not_modified = true;
		return;
	}
	if (fr->status < 200 || fr->status >= 300) {
		job_fail(j, g_strdup_printf("cannot fetch '%s': HTTP %ld", page, fr->status));
		return;
	}
	if (j->pages == 0) {
		j->etag = g_strdup(fr->etag);
		j->last_modified = g_strdup(fr->last_modified);
	}

	struct lw_extract_opts xo = LW_EXTRACT_OPTS_DEFAULT;
	xo.format = blog->format;
	xo.charset = fr->charset;
	xo.base_url = fr->effective_url ? fr->effective_url : page;
	xo.max_entries = cfg->max_entries;
	xo.xpath = &blog->xpath;
	xo.max_parse_time = cfg->max_parse_time;
	gsize len = 0;
	const char *data = fr->body ? g_bytes_get_data(fr->body, &len) : NULL;
	GError *err = NULL;
	struct lw_snapshot *s = lw_extract(data ? data : "", len, &xo, &err);
	if (!s) {
		job_fail(j, g_strdup_printf("cannot read '%s': %s", page, err->message));
		g_error_free(err);
		return;
	}
	j->pages++;
	if (!j->snap) {
		j->snap = s;
		for (guint i = 0; i < s->entries->len; i++)
			g_hash_table_add(j->ids, ((struct lw_entry *)s->entries->pdata[i])->id);
		j->follow_on = find_follow_on(s, data, len, xo.base_url);
	} else {
		/* Older pages: their posts follow; a post shown on two pages
		 * (the blog moved on between fetches) counts once. */
		for (guint i = 0; i < s->entries->len; i++) {
			struct lw_entry *e = s->entries->pdata[i];
			if (g_hash_table_contains(j->ids, e->id))
				continue;
			s->entries->pdata[i] = NULL;
			g_ptr_array_add(j->snap->entries, e);
			g_hash_table_add(j->ids, e->id);
		}
		g_ptr_array_set_free_func(s->entries, NULL);
		for (guint i = 0; i < s->entries->len; i++)
			lw_entry_free(s->entries->pdata[i]);
		lw_entry_set(&j->snap->next_url, s->next_url);
		lw_snapshot_free(s);
	}
	if (j->snap->entries->len > cfg->max_entries) {
		job_fail(j, g_strdup_printf("cannot read '%s': more than %u entries", j->url,
		                            cfg->max_entries));
		return;
	}
	/* Follow the blog's own navigation to older pages when asked to. */
	guint want = blog->pages == 0 ? (guint)blog->max_pages : (guint)blog->pages;
	const char *nu = j->snap->next_url;
	if (j->pages < want && *nu && !g_hash_table_contains(j->visited, nu))
		j->next = g_strdup(nu);
}

/* The blog moved to another page: the posts of the old one are missing
 * because it is another page, not removed; they count as paged out. */
static void keep_old_page(struct lw_diff *d)
{
	for (guint i = d->changes->len; i-- > 0;) {
		const struct lw_change *c = d->changes->pdata[i];
		if (c->kind == LW_CHANGE_REMOVED)
			g_ptr_array_remove_index(d->changes, i);
	}
	d->n_paged_out += d->n_removed;
	d->n_removed = 0;
}

int lw_poll_job_record(struct lw_poll_job *j, struct lw_poll_result *out, GError **error)
{
	struct lw_poll_ctx *ctx = j->ctx;
	const struct lw_blog_config *blog = j->blog;
	struct lw_blog_state *st = j->st;
	const char *name = blog->sec.name;
	gint64 now = j->now ? j->now : g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *fetched = lw_time_rfc3339(now);
	GError *err = NULL;

	out->retry_after = j->retry_after;
	if (j->error) {
		fail(out, st, now, g_strdup(j->error));
		return 1;
	}
	if (j->not_modified) {
		out->outcome = LW_POLL_NOT_MODIFIED;
		/* the page as last read: its follow-on still */
		if (*st->follow_on)
			out->follow_on = g_strdup(st->follow_on);
		bool was_failing = st->failures > 0;
		succeed(out, st, now);
		/* The common case of a daemon: nothing but the poll time changed,
		 * which is not worth a write and two fsyncs per poll. */
		if (!was_failing)
			return 0;
		return 1;
	}
	if (!j->snap) {
		fail(out, st, now, g_strdup_printf("cannot fetch '%s': nothing was fetched", j->url));
		return 1;
	}
	out->snapshot = g_steal_pointer(&j->snap);
	out->format = g_strdup(out->snapshot->format);
	out->entries = out->snapshot->entries->len;
	if (*out->snapshot->coverage_end)
		out->coverage_end = g_strdup(out->snapshot->coverage_end);
	out->live = out->snapshot->live;
	out->follow_on = g_steal_pointer(&j->follow_on);

	out->record = lw_store_load_page(ctx->store, name, out->snapshot, error);
	if (!out->record)
		return -1;
	/* A live blog that suddenly reads as an ordinary page is an error page
	 * or a redesign we do not understand, not a blog of one new entry. */
	if (!strcmp(out->snapshot->format, "article") && out->record->window->len > 1) {
		fail(out, st, now, g_strdup_printf("ignoring '%s': the page has no live blog "
		                                   "entries any more (it reads as an ordinary page)",
		                                   j->url));
		return 1;
	}
	out->diff = lw_diff_compute(out->record, st->removed, out->snapshot, &err);
	if (!out->diff) {
		fail(out, st, now, g_strdup_printf("ignoring '%s': %s", j->url, err->message));
		g_clear_error(&err);
		return 1;
	}

	out->baseline = !st->baseline;
	if (st->baseline && *st->blog_url && strcmp(st->blog_url, blog->url) != 0) {
		/* another page: a baseline, as a first poll, and the old page's
		 * posts are not removed by its absence */
		out->url_changed_from = g_strdup(st->blog_url);
		out->baseline = true;
		keep_old_page(out->diff);
	}
	if (!out->baseline || blog->alert_on_first_poll)
		poll_match_rules(ctx, name, out->diff, fetched, out->alerts);

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
		g_autofree char *trailer = poll_alerts_trailer(out->alerts);
		g_autofree char *msg = poll_alert_trailers(lw_diff_message(out->diff, name, j->url, trailer),
		                                      out->alerts);
		struct lw_commit commit = {
			.blog = name,
			.write = write,
			.remove = remove,
			.page = out->snapshot,
			.message = msg,
			.time = now,
		};
		/* (a batch's caller puts its alerts in the outbox before the
		 * batch reaches the disk) */
		if (out->alerts->len && !ctx->batch &&
		    lw_outbox_append(lw_store_state_dir(ctx->store), out->alerts, error) < 0)
			return -1;
		if (lw_store_commit(ctx->store, &commit, out->commit, error) < 0) {
			/* Nothing was recorded: the alerts must not go out either. */
			if (!ctx->batch)
				lw_outbox_remove(lw_store_state_dir(ctx->store), out->alerts, NULL);
			g_ptr_array_set_size(out->alerts, 0);
			return -1;
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
	lw_entry_set(&st->url, j->url);
	lw_entry_set(&st->blog_url, blog->url);
	lw_entry_set(&st->etag, j->etag);
	lw_entry_set(&st->last_modified, j->last_modified);
	lw_entry_set(&st->follow_on, out->follow_on ? out->follow_on : "");
	return 1;
}

int lw_poll_job_complete(struct lw_poll_job *j, struct lw_poll_result *out, GError **error)
{
	struct lw_poll_ctx *ctx = j->ctx;
	if (lw_store_save_state(ctx->store, j->blog->sec.name, j->st, error) < 0)
		return -1;
	if (out->alerts->len && ctx->dispatch) {
		ctx->dispatch(ctx->dispatch_data, out->alerts);
	} else if (out->alerts->len) {
		/* deliver, then take ours out of the outbox (a batch's caller
		 * takes the whole batch's out at once) */
		lw_poll_deliver_all(ctx, out->alerts, out->sink_errors);
		if (!ctx->batch &&
		    lw_outbox_remove(lw_store_state_dir(ctx->store), out->alerts, error) < 0)
			return -1;
	}
	return 0;
}

struct lw_fetch_opts lw_poll_fetch_opts(const struct lw_config *cfg)
{
	struct lw_fetch_opts fo = LW_FETCH_OPTS_DEFAULT;
	fo.user_agent = cfg->user_agent;
	fo.connect_timeout_s = cfg->connect_timeout;
	fo.timeout_s = cfg->timeout;
	fo.max_size = cfg->max_size;
	fo.max_redirects = cfg->max_redirects;
	return fo;
}

void lw_poll_job_abandon(struct lw_poll_job *j, struct lw_poll_result *out, const GError *why)
{
	(void)j;
	g_ptr_array_set_size(out->alerts, 0);
	out->commit[0] = '\0';
	out->outcome = LW_POLL_FAILED;
	out->started_failing = true;
	g_free(out->error);
	out->error = g_strdup_printf("not recorded: %s", why ? why->message : "unknown error");
}

int lw_poll_job_finish(struct lw_poll_job *j, struct lw_poll_result *out, GError **error)
{
	int rc = lw_poll_job_record(j, out, error);
	return rc > 0 ? lw_poll_job_complete(j, out, error) : rc;
}

void lw_poll_job_fetch(struct lw_poll_job *j)
{
	const struct lw_config *cfg = j->ctx->cfg;
	struct lw_fetch_opts fo = lw_poll_fetch_opts(cfg);
	bool first = true;
	const char *url;
	while ((url = lw_poll_job_url(j))) {
		/* Later pages of one blog: the host's politeness delay between them. */
		if (!first)
			g_usleep((gulong)(cfg->host_delay * G_USEC_PER_SEC));
		first = false;
		struct lw_fetch_result fr;
		memset(&fr, 0, sizeof(fr));
		GError *ferr = NULL;
		gint64 now = g_get_real_time() / G_USEC_PER_SEC;
		bool ok = lw_fetch_page(&fr, url, &fo, lw_poll_job_cond(j), &ferr) == 0;
		lw_poll_job_feed(j, ok ? &fr : NULL, ferr, now);
		if (ok)
			lw_fetch_result_clear(&fr);
		g_clear_error(&ferr);
	}
}

int lw_poll_blog(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog, const char *url,
                 struct lw_poll_result *out, GError **error)
{
	struct lw_poll_job *j = lw_poll_job_new(ctx, blog, url, error);
	if (!j)
		return -1;
	lw_poll_job_fetch(j);
	int rc = lw_poll_job_finish(j, out, error);
	lw_poll_job_free(j);
	return rc;
}
