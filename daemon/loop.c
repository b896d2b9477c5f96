/* `livewatch run`: the event loop, the blogs' cycles and the daemon's life.
 *
 * One GLib main loop drives everything: the fetcher (fetcher.h: curl's
 * multi interface, the request queue, host politeness), the blogs' clock
 * (one timer for every blog), unix signals, the systemd watchdog and the
 * packer's timer (packer.h: git's index caught up, the history packed).
 * Fetches never block; parsing, diffing and committing one page runs
 * synchronously in the loop (milliseconds), between transfers.
 *
 * A blog's poll is a cycle: [fetch the followed series page] -> fetch the
 * blog's page(s) through a struct lw_poll_job -> finish (commit, outbox,
 * state) -> report -> schedule the next cycle, at the delay the policy
 * in schedule.h computes from the facts this file gathers.  Alerts go to
 * the courier (courier.h), which delivers them on threads of its own, so
 * no webhook or hook ever holds up the loop.
 *
 * Configuration is reference counted (struct app_ref): a cycle keeps the
 * configuration it started with until it ends, so SIGHUP can swap in a
 * new one at any moment.  The store (and its lock) belongs to the loop.
 *
 * Why one file of some 890 lines: the blogs' cycles, the hand-over of
 * alerts to the courier, the status line and the signal handlers all act
 * on one state (L below) that only the loop's thread touches; the parts
 * with a noun of their own have moved out (fetcher.c, packer.c,
 * courier.c, src/schedule.c), and cutting the rest apart would only
 * spread L over a private header. */
#include "cli.h"
#include "clock.h"
#include "courier.h"
#include "error.h"
#include "fetcher.h"
#include "follow.h"
#include "log.h"
#include "memory.h"
#include "notify.h"
#include "packer.h"
#include "schedule.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>

#define SLOW_STEP_MS 250
/* How long stopping waits for a delivery in progress (SIGTERM must end
 * the daemon within 10 s). */
#define COURIER_WAIT_MS 5000

struct app_ref {
	struct lw_app *app;
	int refs;
};

struct blog {
	char *name;
	char *sig;                  /* what of its config matters (reload: changed?) */
	struct lw_clock_slot next;  /* the next cycle, on L.clock */
	bool busy;                  /* a cycle is running */
	bool removed;               /* dropped by a reload: freed when the cycle ends */
	struct app_ref *ar;         /* the cycle's configuration */
	const struct lw_blog_config *cfg;   /* in ar */
	struct lw_fetcher_req *req; /* queued or in flight */
	bool req_follow;            /* req is the series page, not the blog's own */
	struct lw_poll_job *job;
	GRegex *follow_re;
	/* What scheduling needs, loaded from the state when the blog starts. */
	int failures;
	gint64 failing_since;       /* unix seconds, 0 = healthy */
	gint64 last_change;         /* unix seconds, 0 = never */
	gint64 coverage_end;        /* unix seconds of the last coverageEndTime seen, 0 = none */
	bool not_live;              /* the page last read said isLive false */
	char *follow_on;            /* the blog the page last read points on to, or NULL */
	bool page_unchanged;        /* the last poll's answer was 304 */
	char *follow_url;           /* page the series led to, or NULL: cfg->url */
	char *follow_from;
	bool follow_failing;
	bool over;
	gint64 page_due;            /* over and following: unix seconds of the next page fetch */
	bool forced;
};

static struct {
	GMainLoop *main;
	struct app_ref *cur;
	struct lw_store *store;
	GHashTable *blogs;          /* name -> struct blog * */
	struct lw_clock *clock;     /* when each blog's next cycle is due */
	struct lw_fetcher *fetcher;
	guint watchdog;
	struct lw_courier *courier;
	bool retry_queued;          /* a retry job is with the courier */
	guint sending;              /* alerts with the courier, not delivered yet */
	bool stopping;
	guint failing;
	char last_change[96];
	gint64 max_step_us;         /* longest synchronous page step so far */
	char *status;               /* last STATUS= sent */
} L;

/* ---- configuration references ---- */

static struct app_ref *app_ref(struct app_ref *ar)
{
	ar->refs++;
	return ar;
}

static void app_unref(struct app_ref *ar)
{
	if (!ar || --ar->refs > 0)
		return;
	/* The store is the loop's, not the configuration's. */
	ar->app->store = NULL;
	ar->app->ctx.store = NULL;
	lw_app_free(ar->app);
	g_free(ar);
}

/* ---- deliveries (courier.h) ---- */

static void update_status(void);

/* A job holds its configuration (sinks, rules) until it is done. */
struct sent {
	struct app_ref *ar;
	guint alerts;
};

static struct sent *sent_new(struct app_ref *ar, GPtrArray *alerts)
{
	struct sent *s = g_new(struct sent, 1);
	s->ar = app_ref(ar);
	s->alerts = alerts ? alerts->len : 0;
	L.sending += s->alerts;
	return s;
}

static void delivered(void *data, GPtrArray *errors, bool cancelled)
{
	struct sent *s = data;
	L.sending -= s->alerts;
	lw_app_warn_once(s->ar->app, errors);
	app_unref(s->ar);
	g_free(s);
	if (!L.stopping)
		update_status();
}

static void deliver(struct app_ref *ar, GPtrArray *alerts, enum lw_courier_after after)
{
	lw_courier_send(L.courier, &ar->app->ctx, alerts, after, delivered, sent_new(ar, alerts));
	update_status();
}

/* ctx->dispatch of every configuration: a poll's alerts, in the outbox */
static void dispatch(void *data, GPtrArray *alerts)
{
	deliver(data, alerts, LW_COURIER_REMOVE);
}

static void retried(void *data, GPtrArray *errors, bool cancelled)
{
	L.retry_queued = false;
	delivered(data, errors, cancelled);
}

/* The alerts webhooks and hooks kept, when their retry is due: one job
 * at a time is enough. */
static void retry_kept(void)
{
	if (L.retry_queued || L.stopping)
		return;
	L.retry_queued = true;
	lw_courier_send(L.courier, &L.cur->app->ctx, NULL, LW_COURIER_KEEP_OUTBOX, retried,
	                sent_new(L.cur, NULL));
}

static void flushed(void *data, GPtrArray *errors, bool cancelled)
{
	if (!cancelled)
		lw_notice("delivered the alerts left from an interrupted run");
	delivered(data, errors, cancelled);
}

/* Alerts a crashed run left in the outbox: claimed before the first
 * poll appends its own, delivered first. */
static void flush_outbox(void)
{
	GError *err = NULL;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *left = lw_poll_claim_outbox(&L.cur->app->ctx, warnings, &err);
	for (guint i = 0; i < warnings->len; i++)
		lw_warn("%s", (char *)warnings->pdata[i]);
	if (!left) {
		lw_warn("%s", err->message);
		g_error_free(err);
		return;
	}
	if (left->len > 0) {
		lw_info("delivering %u alert%s left from an interrupted run", left->len,
		        left->len == 1 ? "" : "s");
		lw_courier_send(L.courier, &L.cur->app->ctx, left, LW_COURIER_OUTBOX_DONE, flushed,
		                sent_new(L.cur, left));
	}
	g_ptr_array_unref(left);
}

static struct app_ref *app_ref_new(struct lw_app *app)
{
	struct app_ref *ar = g_new0(struct app_ref, 1);
	ar->app = app;
	app->store = L.store;
	app->ctx.store = L.store;
	app->ctx.dispatch = dispatch;
	app->ctx.dispatch_data = ar;
	ar->refs = 1;
	return ar;
}

static const struct lw_config *cur_cfg(void)
{
	return L.cur->app->cfg;
}

/* ---- status ---- */

static void update_status(void)
{
	guint n = L.blogs ? g_hash_table_size(L.blogs) : 0;
	g_autofree char *sending = L.sending ? g_strdup_printf(", %u alert%s being delivered",
	                                                       L.sending, L.sending == 1 ? "" : "s")
	                                     : g_strdup("");
	g_autofree char *s = g_strdup_printf("STATUS=%u blog%s, %u failing%s%s%s", n,
	                                     n == 1 ? "" : "s", L.failing,
	                                     L.last_change[0] ? ", last change " : "",
	                                     L.last_change, sending);
	if (!g_strcmp0(s, L.status))
		return;
	g_free(L.status);
	L.status = g_steal_pointer(&s);
	lw_notify(L.status);
}

static void set_failing(struct blog *b, int failures)
{
	if (!b->failures && failures)
		L.failing++;
	else if (b->failures && !failures && L.failing)
		L.failing--;
	b->failures = failures;
}

/* ---- requests (fetcher.h) ---- */

static void fetched(void *data, const struct lw_fetch_result *fr, const GError *err);

static void enqueue(struct blog *b, const char *url, bool follow)
{
	const struct lw_config *cfg = b->ar->app->cfg;
	struct lw_fetch_opts fo = lw_poll_fetch_opts(cfg);
	const struct lw_fetch_cond *cond = follow ? NULL : lw_poll_job_cond(b->job);
	b->req_follow = follow;
	b->req = lw_fetcher_queue(L.fetcher, url, &fo, cond, b->name, fetched, b);
	lw_fetcher_pump(L.fetcher);
}
/* ---- blogs ---- */

static void cycle_start(struct blog *b);

static void on_blog_due(void *item, void *data)
{
	cycle_start(item);
}

static void schedule_ms(struct blog *b, gint64 ms)
{
	if (L.stopping || b->removed)
		lw_clock_unset(L.clock, &b->next);
	else
		lw_clock_set(L.clock, &b->next, b, ms);
}

static double jitter(void)
{
	return g_random_double_range(1.0 - LW_SCHEDULE_JITTER, 1.0 + LW_SCHEDULE_JITTER);
}

static gint64 jitter_ms(gint64 seconds)
{
	return lw_schedule_jitter_ms(seconds, jitter());
}

/* What the scheduling policy (schedule.h) looks at, now. */
static struct lw_schedule_facts facts(const struct blog *b, const struct lw_config *cfg,
                                      const struct lw_blog_config *c)
{
	return (struct lw_schedule_facts){
		.now = g_get_real_time() / G_USEC_PER_SEC,
		.interval = c->interval,
		.max_backoff = cfg->max_backoff,
		.adaptive = cfg->adaptive,
		.max_interval = cfg->max_interval,
		.last_change = b->last_change,
		.coverage_end = b->coverage_end,
		.not_live = b->not_live,
		.follow_on = b->follow_on,
		.over_unchanged = b->over && b->page_unchanged,
		.over_never = c->over == 1,
		.follow = c->follow != NULL,
	};
}

static char *blog_sig(const struct lw_blog_config *c)
{
	g_autofree char *rules = c->rules ? g_strjoinv("\n", c->rules) : g_strdup("");
	return g_strdup_printf("%s|%s|%d|%s|%s|%d|%d|%d|%d|%s|%s|%s|%s|%s|%s|%s", c->url, c->format,
	                       c->interval, c->follow ? c->follow : "",
	                       c->follow_match ? c->follow_match : "", c->pages, c->max_pages,
	                       c->health_alerts, c->alert_on_first_poll, rules,
	                       c->xpath.entry ? c->xpath.entry : "",
	                       c->xpath.id ? c->xpath.id : "", c->xpath.time ? c->xpath.time : "",
	                       c->xpath.updated ? c->xpath.updated : "",
	                       c->xpath.title ? c->xpath.title : "",
	                       c->xpath.body ? c->xpath.body : "");
}

static void blog_load_state(struct blog *b)
{
	GError *err = NULL;
	struct lw_blog_state *st = lw_store_load_state(L.store, b->name, &err);
	if (!st) {
		lw_warn("%s: %s", b->name, err->message);
		g_error_free(err);
		return;
	}
	set_failing(b, st->failures);
	b->failing_since = st->failing_since;
	b->last_change = st->last_change;
	b->over = st->over;
	g_free(b->follow_url);
	g_free(b->follow_from);
	b->follow_url = *st->follow_url ? g_strdup(st->follow_url) : NULL;
	b->follow_from = *st->follow_from ? g_strdup(st->follow_from) : NULL;
	lw_blog_state_free(st);
}

/* Saves the daemon's own fields of the state (between jobs only: a job
 * loads and saves the whole state itself). */
static void blog_save_state(struct blog *b)
{
	GError *err = NULL;
	struct lw_blog_state *st = lw_store_load_state(L.store, b->name, &err);
	if (st) {
		lw_entry_set(&st->follow_url, b->follow_url ? b->follow_url : "");
		lw_entry_set(&st->follow_from, b->follow_from ? b->follow_from : "");
		st->failing_since = b->failing_since;
		st->over = b->over;
		if (lw_store_save_state(L.store, b->name, st, &err) == 0)
			goto out;
	}
	lw_warn("%s: %s", b->name, err->message);
	g_error_free(err);
out:
	lw_blog_state_free(st);
}

static void blog_set_config(struct blog *b, const struct lw_blog_config *c)
{
	g_free(b->sig);
	b->sig = blog_sig(c);
	if (b->follow_re)
		g_regex_unref(b->follow_re);
	b->follow_re = NULL;
	if (c->follow) {
		b->follow_re = g_regex_new(c->follow_match ? c->follow_match : LW_FOLLOW_MATCH_DEFAULT,
		                           0, 0, NULL);
		/* Another series: the page it led to is no longer ours. */
		if (b->follow_from && strcmp(b->follow_from, c->follow))
			g_clear_pointer(&b->follow_url, g_free);
	} else {
		g_clear_pointer(&b->follow_url, g_free);
	}
}

/* Lets go of what a cycle holds: its job, and the app and config it ran
 * with (a reload may have replaced both). */
static void cycle_release(struct blog *b)
{
	lw_poll_job_free(b->job);
	b->job = NULL;
	app_unref(b->ar);
	b->ar = NULL;
	b->cfg = NULL;
	b->busy = false;
}

/* Drops the cycle in progress without recording anything. */
static void cycle_cancel(struct blog *b)
{
	lw_fetcher_cancel(L.fetcher, b->req);
	b->req = NULL;
	cycle_release(b);
}

static void blog_free(struct blog *b)
{
	if (!b)
		return;
	lw_clock_unset(L.clock, &b->next);
	cycle_cancel(b);
	if (b->follow_re)
		g_regex_unref(b->follow_re);
	g_free(b->name);
	g_free(b->sig);
	g_free(b->follow_url);
	g_free(b->follow_from);
	g_free(b->follow_on);
	g_free(b);
}

static void blog_free0(gpointer p)
{
	blog_free(p);
}

static void cycle_end(struct blog *b, gint64 next_ms)
{
	cycle_release(b);
	b->forced = false;
	if (b->removed) {
		blog_free(b);
		return;
	}
	schedule_ms(b, next_ms);
	update_status();
}

/* Seconds until the next poll of a healthy blog (schedule.h); sets
 * b->over. */
static gint64 healthy_interval(struct blog *b, const struct lw_config *cfg,
                               const struct lw_blog_config *c, const char **why)
{
	struct lw_schedule_facts f = facts(b, cfg, c);
	return lw_schedule_healthy(&f, &b->over, why);
}

static void health_alert(struct blog *b, const char *change, const char *title)
{
	struct lw_alert *a = lw_alert_new();
	lw_entry_set(&a->rule, "health");
	lw_entry_set(&a->blog, b->name);
	lw_entry_set(&a->change, change);
	lw_entry_set(&a->title, title);
	lw_entry_set(&a->url, b->cfg->url);
	lw_entry_set(&a->urgency, "normal");
	g_autofree char *now = lw_time_rfc3339(g_get_real_time() / G_USEC_PER_SEC);
	lw_entry_set(&a->fetched, now);
	g_autoptr(GPtrArray) alerts = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	g_ptr_array_add(alerts, a);
	/* in the outbox first, like a poll's alerts: a stop does not lose it */
	GError *err = NULL;
	if (lw_outbox_append(lw_store_state_dir(L.store), alerts, &err) == 0) {
		deliver(b->ar, alerts, LW_COURIER_REMOVE);
		return;
	}
	lw_warn("%s", err->message);
	g_error_free(err);
	deliver(b->ar, alerts, LW_COURIER_KEEP_OUTBOX);
}

static char *clock_of(gint64 t)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
	return d ? g_date_time_format(d, "%H:%M") : g_strdup("?");
}

static void job_done(struct blog *b)
{
	struct lw_app *app = b->ar->app;
	const struct lw_config *cfg = app->cfg;
	const struct lw_blog_config *c = b->cfg;
	struct lw_poll_result r;
	lw_poll_result_init(&r);
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();
	int rc = lw_poll_job_finish(b->job, &r, &err);
	gint64 took = g_get_monotonic_time() - t0;
	L.max_step_us = MAX(L.max_step_us, took);
	if (took / 1000 >= SLOW_STEP_MS)
		lw_info("%s: recording the page took %" G_GINT64_FORMAT " ms", b->name, took / 1000);
	struct lw_schedule_facts f = facts(b, cfg, c);
	gint64 now = f.now;
	gint64 next_s;
	const char *why = "";
	if (rc < 0) {
		/* Our own fault (repository, disk): say so every time, it needs a person. */
		next_s = lw_schedule_store_error(&f);
		lw_error("%s: %s, retrying in %" G_GINT64_FORMAT " s", b->name, err->message, next_s);
		g_error_free(err);
		lw_poll_result_clear(&r);
		cycle_end(b, jitter_ms(next_s));
		return;
	}
	if (r.outcome == LW_POLL_FAILED) {
		gint64 ms = lw_schedule_failed_ms(&f, r.failures, r.retry_after, jitter(), &why);
		next_s = (ms + 500) / 1000;
		if (r.started_failing || !b->failing_since) {
			b->failing_since = now;
			blog_save_state(b);
		}
		set_failing(b, r.failures);
		if (r.started_failing) {
			lw_warn("%s: %s, retrying in %" G_GINT64_FORMAT " s%s", b->name, r.error,
			        next_s, why);
			if (c->health_alerts) {
				g_autofree char *hm = clock_of(b->failing_since);
				g_autofree char *title = g_strdup_printf("%s unreachable since %s: %s",
				                                         b->name, hm, r.error);
				health_alert(b, "unreachable", title);
			}
		} else {
			lw_info("%s: %s (%d failures in a row), retrying in %" G_GINT64_FORMAT " s%s",
			        b->name, r.error, r.failures, next_s, why);
		}
		lw_poll_result_clear(&r);
		cycle_end(b, ms);
		return;
	}

	if (r.recovered || b->failing_since) {
		g_autofree char *hm = clock_of(b->failing_since ? b->failing_since : now);
		lw_notice("%s: recovered (failing since %s)", b->name, hm);
		if (c->health_alerts && b->failing_since) {
			g_autofree char *title = g_strdup_printf("%s reachable again (unreachable since %s)",
			                                         b->name, hm);
			health_alert(b, "recovered", title);
		}
		b->failing_since = 0;
		blog_save_state(b);
	}
	set_failing(b, 0);
	r.recovered = false;     /* said above, with more to say */
	/* what the page says of its end, when it was read (not on a 304) */
	b->page_unchanged = r.outcome == LW_POLL_NOT_MODIFIED;
	if (r.coverage_end) {
		g_autoptr(GDateTime) end = g_date_time_new_from_iso8601(r.coverage_end, NULL);
		b->coverage_end = end ? g_date_time_to_unix(end) : 0;
	}
	if (!b->page_unchanged)
		b->not_live = r.live == 0;
	g_free(b->follow_on);
	b->follow_on = g_steal_pointer(&r.follow_on);
	if (r.outcome == LW_POLL_CHANGED) {
		b->last_change = now;
		g_autofree char *hm = clock_of(now);
		g_snprintf(L.last_change, sizeof(L.last_change), "%s %s", hm, b->name);
	} else if (!b->last_change) {
		/* Quiet time counts from the first good poll. */
		b->last_change = now;
	}
	lw_app_report(app, b->name, &r);
	lw_poll_result_clear(&r);
	retry_kept();
	bool was_over = b->over;
	next_s = healthy_interval(b, cfg, c, &why);
	if (b->over && !was_over) {
		struct lw_schedule_facts fe = facts(b, cfg, c);
		g_autofree char *evidence = lw_schedule_over_evidence(&fe);
		lw_notice("%s: the blog is over (%s), polling it %s%s", b->name, evidence,
		          c->follow ? "only when its series moves on (or hourly)" : "hourly",
		          b->follow_on && !c->follow ? "; to watch the blog that follows it, give "
		          "it a [blog] of its own or set 'follow ='" : "");
		blog_save_state(b);
	} else if (was_over && !b->over) {
		lw_notice("%s: the blog is live again, polling it every %" G_GINT64_FORMAT " s",
		          b->name, next_s);
		blog_save_state(b);
	}
	if (b->over && c->follow)
		b->page_due = lw_schedule_page_due(&f);
	lw_debug("%s: next poll in %" G_GINT64_FORMAT " s%s", b->name, next_s, why);
	cycle_end(b, jitter_ms(next_s));
}

static void job_start(struct blog *b)
{
	GError *err = NULL;
	b->job = lw_poll_job_new(&b->ar->app->ctx, b->cfg, b->follow_url, &err);
	if (!b->job) {
		struct lw_schedule_facts f = facts(b, b->ar->app->cfg, b->cfg);
		gint64 next_s = lw_schedule_start_error(&f);
		lw_error("%s: %s, retrying in %" G_GINT64_FORMAT " s", b->name, err->message, next_s);
		g_error_free(err);
		cycle_end(b, jitter_ms(next_s));
		return;
	}
	enqueue(b, lw_poll_job_url(b->job), false);
}

static void follow_done(struct blog *b, const struct lw_fetch_result *fr, const GError *ferr)
{
	const struct lw_blog_config *c = b->cfg;
	g_autofree char *problem = NULL;
	g_autofree char *found = NULL;
	if (ferr) {
		problem = g_strdup(ferr->message);
	} else if (fr->status < 200 || fr->status >= 300) {
		problem = g_strdup_printf("cannot fetch '%s': HTTP %ld", c->follow, fr->status);
	} else {
		gsize len = 0;
		const char *data = fr->body ? g_bytes_get_data(fr->body, &len) : NULL;
		GError *err = NULL;
		const char *base = fr->effective_url ? fr->effective_url : c->follow;
		found = lw_follow_find(data, len, fr->content_type, base, b->follow_re, &err);
		if (!found) {
			problem = g_strdup(err->message);
			g_error_free(err);
		}
	}
	if (problem) {
		if (!b->follow_failing)
			lw_warn("%s: cannot follow the series: %s; staying on '%s'", b->name, problem,
			        b->follow_url ? b->follow_url : c->url);
		b->follow_failing = true;
	} else if (b->follow_failing) {
		lw_notice("%s: the series '%s' reads again", b->name, c->follow);
		b->follow_failing = false;
	}
	bool moved = false;
	const char *now_url = b->follow_url ? b->follow_url : c->url;
	if (found && strcmp(found, now_url)) {
		lw_notice("%s: now following '%s' (was '%s')", b->name, found, now_url);
		g_free(b->follow_url);
		b->follow_url = g_steal_pointer(&found);
		g_free(b->follow_from);
		b->follow_from = g_strdup(c->follow);
		blog_save_state(b);
		b->coverage_end = 0;
		b->not_live = false;
		g_clear_pointer(&b->follow_on, g_free);
		b->over = false;
		moved = true;
	}
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	if (b->over && !moved && !b->forced && now < b->page_due) {
		const char *why;
		gint64 next_s = healthy_interval(b, b->ar->app->cfg, c, &why);
		lw_debug("%s: over, series unchanged; next look in %" G_GINT64_FORMAT " s",
		         b->name, next_s);
		cycle_end(b, jitter_ms(next_s));
		return;
	}
	job_start(b);
}

static void fetched(void *data, const struct lw_fetch_result *fr, const GError *err)
{
	struct blog *b = data;
	bool follow = b->req_follow;
	b->req = NULL;
	gint64 t0 = g_get_monotonic_time();
	if (follow) {
		follow_done(b, fr, err);
	} else {
		lw_poll_job_feed(b->job, fr, err, g_get_real_time() / G_USEC_PER_SEC);
		const char *next = lw_poll_job_url(b->job);
		if (next)
			enqueue(b, next, false);
		else
			job_done(b);
	}
	gint64 took = g_get_monotonic_time() - t0;
	L.max_step_us = MAX(L.max_step_us, took);
}

static void cycle_start(struct blog *b)
{
	if (b->busy || L.stopping || b->removed)
		return;
	const struct lw_blog_config *c = lw_config_find_blog(cur_cfg(), b->name);
	if (!c)
		return;
	b->busy = true;
	b->ar = app_ref(L.cur);
	b->cfg = c;
	if (c->follow)
		enqueue(b, c->follow, true);
	else
		job_start(b);
}

/* Makes the running set of blogs match the configuration: new ones
 * start now, removed ones stop, changed ones restart; others go on. */
static void sync_blogs(void)
{
	const struct lw_config *cfg = cur_cfg();
	GHashTable *want = g_hash_table_new(g_str_hash, g_str_equal);
	guint added = 0, changed = 0, removed = 0;
	for (guint i = 0; i < cfg->blogs->len; i++) {
		const struct lw_blog_config *c = cfg->blogs->pdata[i];
		g_hash_table_add(want, c->sec.name);
		struct blog *b = g_hash_table_lookup(L.blogs, c->sec.name);
		if (!b) {
			b = g_new0(struct blog, 1);
			b->name = g_strdup(c->sec.name);
			g_hash_table_insert(L.blogs, b->name, b);
			blog_load_state(b);
			blog_set_config(b, c);
			schedule_ms(b, 0);
			added++;
			continue;
		}
		g_autofree char *sig = blog_sig(c);
		if (strcmp(sig, b->sig)) {
			blog_set_config(b, c);
			if (!b->busy)
				schedule_ms(b, 0);
			changed++;
		}
	}
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, L.blogs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (g_hash_table_contains(want, k))
			continue;
		struct blog *b = v;
		g_hash_table_iter_steal(&it);
		set_failing(b, 0);
		removed++;
		b->removed = true;
		/* In flight: dropped (nothing recorded), the blog is gone. */
		blog_free(b);
	}
	g_hash_table_unref(want);
	if (added + changed + removed)
		lw_info("blogs: %u added, %u changed, %u removed", added, changed, removed);
}

/* ---- signals ---- */

static gboolean on_hup(gpointer data)
{
	lw_notify_printf("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT, g_get_monotonic_time());
	GError *err = NULL;
	const char *path = cur_cfg()->path;
	struct lw_config *cfg = lw_config_load(path, &err);
	struct lw_app *fresh = NULL;
	if (cfg) {
		if (strcmp(cfg->repo, cur_cfg()->repo)) {
			g_set_error(&err, LW_ERROR, LW_ERROR_CONFIG,
			            "%s: 'repo' changed; restart livewatch to switch repositories",
			            cfg->path);
			lw_config_free(cfg);
		} else {
			fresh = lw_app_new(cfg, FALSE, &err);
		}
	}
	if (!fresh) {
		/* every problem one a line, the first on the line that says so */
		g_auto(GStrv) lines = g_strsplit(err->message, "\n", -1);
		lw_error("reload failed, keeping the old configuration: %s", lines[0] ? lines[0] : "");
		for (char **l = lines[0] ? lines + 1 : lines; *l; l++)
			lw_error("%s", *l);
		g_error_free(err);
	} else {
		struct app_ref *old = L.cur;
		L.cur = app_ref_new(fresh);
		lw_fetcher_set_config(L.fetcher, cur_cfg());
		app_unref(old);
		sync_blogs();
		lw_notice("configuration reloaded: %u blog%s", cur_cfg()->blogs->len,
		          cur_cfg()->blogs->len == 1 ? "" : "s");
		lw_fetcher_pump(L.fetcher);
	}
	lw_notify("READY=1");
	update_status();
	return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer data)
{
	if (L.stopping)
		return G_SOURCE_CONTINUE;
	lw_notice("stopping");
	lw_notify("STOPPING=1");
	/* Commits run synchronously in this loop, so none is half done here:
	 * dropping what is queued or in flight loses nothing recorded. */
	L.stopping = true;
	lw_fetcher_stop(L.fetcher);
	g_main_loop_quit(L.main);
	return G_SOURCE_CONTINUE;
}

static gboolean on_usr1(gpointer data)
{
	lw_notice("polling every blog now");
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, L.blogs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct blog *b = v;
		if (b->busy)
			continue;
		b->forced = true;
		schedule_ms(b, 0);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_watchdog(gpointer data)
{
	lw_notify("WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

int lw_run_main(struct lw_config *cfg, const char *config_path)
{
	GError *err = NULL;
	memset(&L, 0, sizeof(L));
	lw_notify_init();
	struct lw_app *app = lw_app_new(cfg, TRUE, &err);
	if (!app) {
		lw_log_lines(LW_LOG_ERROR, err->message);
		int code = err->code == LW_ERROR_LOCKED || err->code == LW_ERROR_STORE ? 1 : 2;
		g_error_free(err);
		return code;
	}
	L.store = app->store;
	L.cur = app_ref_new(app);
	lw_memory_init();
	lw_fetch_global_init();
	L.courier = lw_courier_new();
	flush_outbox();
	retry_kept();

	L.fetcher = lw_fetcher_new();
	lw_fetcher_set_config(L.fetcher, cur_cfg());
	L.main = g_main_loop_new(NULL, FALSE);
	L.clock = lw_clock_new(on_blog_due, NULL);
	L.blogs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, blog_free0);
	sync_blogs();
	guint sig[4] = {
		g_unix_signal_add(SIGHUP, on_hup, NULL),
		g_unix_signal_add(SIGTERM, on_term, NULL),
		g_unix_signal_add(SIGINT, on_term, NULL),
		g_unix_signal_add(SIGUSR1, on_usr1, NULL),
	};
	lw_packer_start(L.store, &L.stopping);
	guint64 wd = lw_notify_watchdog_usec();
	if (wd)
		L.watchdog = g_timeout_add((guint)MAX(wd / 2000, 1), on_watchdog, NULL);
	lw_notice("watching %u blog%s, history in '%s'", cur_cfg()->blogs->len,
	          cur_cfg()->blogs->len == 1 ? "" : "s", cur_cfg()->repo);
	lw_notify("READY=1");
	update_status();
	g_main_loop_run(L.main);

	/* Stopping: nothing new starts; what is queued or in flight is dropped
	 * (see on_term), the state of every finished poll is already saved,
	 * and alerts not yet delivered wait in the outbox for the next start. */
	lw_packer_stop();
	bool courier_ended = lw_courier_stop(L.courier, COURIER_WAIT_MS);
	if (!courier_ended)
		lw_warn("a delivery did not stop within %d s; its alert is delivered again at "
		        "the next start", COURIER_WAIT_MS / 1000);
	g_hash_table_unref(L.blogs);
	lw_clock_free(L.clock);
	for (guint i = 0; i < G_N_ELEMENTS(sig); i++)
		g_source_remove(sig[i]);
	if (L.watchdog)
		g_source_remove(L.watchdog);
	lw_fetcher_free(L.fetcher);
	g_main_loop_unref(L.main);
	lw_debug("longest page step: %" G_GINT64_FORMAT " ms", L.max_step_us / 1000);
	/* A delivery still running uses the configuration and the store. */
	if (courier_ended) {
		app_unref(L.cur);
		GError *ferr = NULL;
		if (lw_store_flush(L.store, true, &ferr) < 0) {
			lw_warn("%s", ferr->message);
			g_error_free(ferr);
		}
		lw_store_free(L.store);
	}
	g_free(L.status);
	lw_notice("stopped");
	return 0;
}
