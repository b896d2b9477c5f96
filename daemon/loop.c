/* `livewatch run`: the event loop and scheduler.
 *
 * One GLib main loop; each blog has its own timer.  Polls currently run
 * one at a time through the blocking fetcher (a poll is bounded by the
 * fetch timeouts); the curl multi integration comes with the daemon work
 * of a later milestone. */
#include "cli.h"
#include "error.h"
#include "fetch.h"
#include "log.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define MAX_BACKOFF 1800

struct sched {
	char *name;
	guint timer;
	int failures;
};

struct loop {
	GMainLoop *main;
	struct lw_app *app;
	char *config_path;
	GHashTable *blogs;     /* name -> struct sched * */
	char last_change[64];
	guint failing;
};

static struct loop L;

static void notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void update_status(void)
{
	g_autofree char *s = g_strdup_printf("STATUS=%u blog%s, %u failing%s%s",
	                                     L.app->cfg->blogs->len,
	                                     L.app->cfg->blogs->len == 1 ? "" : "s", L.failing,
	                                     L.last_change[0] ? ", last change " : "",
	                                     L.last_change);
	notify(s);
}

static void sched_free(gpointer p)
{
	struct sched *s = p;
	if (s->timer)
		g_source_remove(s->timer);
	g_free(s->name);
	g_free(s);
}

static gboolean on_timer(gpointer data);

static void schedule(struct sched *s, int seconds)
{
	if (s->timer)
		g_source_remove(s->timer);
	/* ±10% jitter so blogs started together drift apart. */
	int jitter = seconds / 10;
	int delay = seconds + (jitter ? g_random_int_range(-jitter, jitter + 1) : 0);
	if (delay < 1)
		delay = 1;
	s->timer = g_timeout_add_seconds((guint)delay, on_timer, s);
}

static void poll_one(struct sched *s)
{
	const struct lw_blog_config *b = lw_config_find_blog(L.app->cfg, s->name);
	if (!b)
		return;
	struct lw_poll_result r;
	lw_poll_result_init(&r);
	GError *err = NULL;
	int next = b->interval;
	if (lw_poll_blog(&L.app->ctx, b, &r, &err) < 0) {
		lw_error("%s: %s", s->name, err->message);
		g_error_free(err);
	} else {
		lw_app_report(L.app, s->name, &r);
		if (r.outcome == LW_POLL_FAILED) {
			if (s->failures++ == 0)
				L.failing++;
			int backoff = b->interval;
			for (int i = 1; i < s->failures && backoff < MAX_BACKOFF; i++)
				backoff *= 2;
			next = MIN(backoff, MAX_BACKOFF);
			if (r.retry_after > next)
				next = (int)MIN(r.retry_after, 6 * 3600);
		} else {
			if (s->failures) {
				s->failures = 0;
				L.failing--;
			}
			if (r.outcome == LW_POLL_CHANGED) {
				g_autoptr(GDateTime) now = g_date_time_new_now_local();
				g_autofree char *hm = g_date_time_format(now, "%H:%M");
				g_snprintf(L.last_change, sizeof(L.last_change), "%s %s", hm, s->name);
			}
		}
	}
	lw_poll_result_clear(&r);
	schedule(s, next);
	update_status();
}

static gboolean on_timer(gpointer data)
{
	struct sched *s = data;
	s->timer = 0;
	poll_one(s);
	return G_SOURCE_REMOVE;
}

static gboolean first_round(gpointer data)
{
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, L.blogs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct sched *s = v;
		if (s->timer)
			g_source_remove(s->timer);
		s->timer = 0;
		poll_one(s);
	}
	return G_SOURCE_REMOVE;
}

static void sync_blogs(void)
{
	GHashTable *want = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < L.app->cfg->blogs->len; i++) {
		const struct lw_blog_config *b = L.app->cfg->blogs->pdata[i];
		g_hash_table_add(want, b->sec.name);
		if (!g_hash_table_contains(L.blogs, b->sec.name)) {
			struct sched *s = g_new0(struct sched, 1);
			s->name = g_strdup(b->sec.name);
			g_hash_table_insert(L.blogs, s->name, s);
			s->timer = g_timeout_add_seconds(0, on_timer, s);
		}
	}
	GHashTableIter it;
	gpointer k;
	g_hash_table_iter_init(&it, L.blogs);
	while (g_hash_table_iter_next(&it, &k, NULL))
		if (!g_hash_table_contains(want, k))
			g_hash_table_iter_remove(&it);
	g_hash_table_unref(want);
}

static gboolean on_hup(gpointer data)
{
	notify("RELOADING=1");
	GError *err = NULL;
	struct lw_config *cfg = lw_config_load(L.app->cfg->path, &err);
	struct lw_app *fresh = NULL;
	if (cfg) {
		if (strcmp(cfg->repo, L.app->cfg->repo)) {
			g_set_error(&err, LW_ERROR, LW_ERROR_CONFIG,
			            "%s: 'repo' changed; restart livewatch to switch repositories",
			            cfg->path);
			lw_config_free(cfg);
		} else {
			fresh = lw_app_new(cfg, FALSE, &err);
		}
	}
	if (!fresh) {
		lw_error("reload failed, keeping the old configuration: %s", err->message);
		g_error_free(err);
	} else {
		/* The store (and its lock) carries over to the new configuration. */
		fresh->store = L.app->store;
		fresh->ctx.store = fresh->store;
		L.app->store = NULL;
		lw_app_free(L.app);
		L.app = fresh;
		sync_blogs();
		lw_notice("configuration reloaded: %u blogs", L.app->cfg->blogs->len);
	}
	notify("READY=1");
	update_status();
	return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer data)
{
	lw_notice("stopping");
	notify("STOPPING=1");
	g_main_loop_quit(L.main);
	return G_SOURCE_CONTINUE;
}

static gboolean on_usr1(gpointer data)
{
	lw_notice("polling every blog now");
	g_idle_add(first_round, NULL);
	return G_SOURCE_CONTINUE;
}

static gboolean on_watchdog(gpointer data)
{
	notify("WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

int lw_run_main(struct lw_config *cfg, const char *config_path)
{
	GError *err = NULL;
	memset(&L, 0, sizeof(L));
	L.app = lw_app_new(cfg, TRUE, &err);
	if (!L.app) {
		lw_error("%s", err->message);
		int code = err->code == LW_ERROR_LOCKED || err->code == LW_ERROR_STORE ? 1 : 2;
		g_error_free(err);
		return code;
	}
	lw_fetch_global_init();
	g_autoptr(GPtrArray) errs = g_ptr_array_new_with_free_func(g_free);
	int n = lw_poll_flush_outbox(&L.app->ctx, errs, &err);
	if (n < 0) {
		lw_warn("%s", err->message);
		g_clear_error(&err);
	}
	L.main = g_main_loop_new(NULL, FALSE);
	L.blogs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, sched_free);
	sync_blogs();
	g_unix_signal_add(SIGHUP, on_hup, NULL);
	g_unix_signal_add(SIGTERM, on_term, NULL);
	g_unix_signal_add(SIGINT, on_term, NULL);
	g_unix_signal_add(SIGUSR1, on_usr1, NULL);
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		g_timeout_add((guint)(usec / 2000), on_watchdog, NULL);
#endif
	lw_notice("watching %u blog%s, history in '%s'", L.app->cfg->blogs->len,
	          L.app->cfg->blogs->len == 1 ? "" : "s", L.app->cfg->repo);
	notify("READY=1");
	update_status();
	g_main_loop_run(L.main);
	g_hash_table_unref(L.blogs);
	g_main_loop_unref(L.main);
	lw_app_free(L.app);
	return 0;
}
