/* Sharing the history: `livewatch report` (the history as one HTML page,
 * src/report.h) and the background pushes of `push =` (pusher.h). */
#include "cli.h"
#include "error.h"
#include "file.h"
#include "history.h"
#include "log.h"
#include "publish.h"
#include "push.h"
#include "pusher.h"
#include "readout.h"
#include "report.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>


int lw_report_main(const struct lw_config *cfg, int argc, char **argv)
{
	const char *blog = NULL, *since_text = NULL, *outfile = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
			outfile = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			outfile = a + 9;
		} else if (!strcmp(a, "--since") && i + 1 < argc) {
			since_text = argv[++i];
		} else if (!strncmp(a, "--since=", 8)) {
			since_text = a + 8;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--since")) {
			lw_error("report: %s needs a value", a);
			return EXIT_USAGE;
		} else if (a[0] == '-' && a[1]) {
			lw_error("report: unknown option '%s'", a);
			return EXIT_USAGE;
		} else if (!blog) {
			blog = a;
		} else {
			lw_error("report: one BLOG at a time");
			return EXIT_USAGE;
		}
	}
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	struct lw_report_opts o = { .blog = blog, .now = now };
	GError *err = NULL;
	if (since_text) {
		o.since = lw_readout_since("report", since_text, now);
		if (o.since < 0)
			return EXIT_USAGE;
	}
	int status = EXIT_OK;
	struct lw_history_reader *r = lw_readout_open_blog(cfg, blog, &status);
	if (!r)
		return status;
	g_autofree char *title = NULL, *html = NULL;
	title = blog ? g_strdup_printf("livewatch: %s", blog) : g_strdup("livewatch: every blog");
	o.title = title;
	struct lw_report_stats st;
	gsize len = 0;
	gint64 t0 = g_get_monotonic_time();
	html = lw_report_html(r, &o, &len, &st, &err);
	if (!html) {
		lw_error("report: %s", err->message);
		g_error_free(err);
		status = EXIT_RUNTIME;
		goto out;
	}
	if (outfile && strcmp(outfile, "-")) {
		if (lw_file_write_atomic(outfile, html, len, &err) < 0) {
			lw_error("report: %s", err->message);
			g_error_free(err);
			status = EXIT_RUNTIME;
			goto out;
		}
	} else {
		fwrite(html, 1, len, stdout);
	}
	lw_info("report: %u posts, %u versions, %u polls, %u removed, %u stealth edits, %u alerts "
	        "(%.1f MB in %.2f s)%s%s", st.posts, st.versions, st.polls, st.removed, st.stealth,
	        st.alerts, len / 1e6, (g_get_monotonic_time() - t0) / 1e6,
	        outfile ? " to " : "", outfile ? outfile : "");
out:
	lw_history_reader_free(r);
	return lw_readout_finish(status);
}

/* ---- push ---- */

#define RETRY_FIRST 30
#define RETRY_MAX 600

struct lw_pusher {
	gint refs;            /* the owner's, and one per running push */
	bool gone;            /* the owner freed it: finish quietly */
	bool running, dirty, stopped, failing;
	guint retry;          /* seconds before the next try after a failure */
	guint timer;          /* the retry's source, or 0 */
	char *repo, *url, *branch, *token_file, *ca_file, *known_hosts;
};

static struct lw_pusher *ref(struct lw_pusher *p)
{
	p->refs++;
	return p;
}

static void unref(struct lw_pusher *p)
{
	if (--p->refs > 0)
		return;
	g_free(p->repo);
	g_free(p->url);
	g_free(p->branch);
	g_free(p->token_file);
	g_free(p->ca_file);
	g_free(p->known_hosts);
	g_free(p);
}

struct lw_pusher *lw_pusher_new(const struct lw_config *cfg)
{
	if (!cfg->push)
		return NULL;
	struct lw_pusher *p = g_new0(struct lw_pusher, 1);
	p->refs = 1;
	p->repo = g_strdup(cfg->repo);
	p->url = g_strdup(cfg->push);
	p->branch = g_strdup(cfg->branch);
	p->token_file = g_strdup(cfg->push_token);
	p->ca_file = g_strdup(cfg->push_ca);
	p->known_hosts = g_strdup(cfg->push_known_hosts);
	p->retry = RETRY_FIRST;
	return p;
}

void lw_pusher_free(struct lw_pusher *p)
{
	if (!p)
		return;
	p->gone = true;
	if (p->timer)
		g_source_remove(p->timer);
	p->timer = 0;
	unref(p);
}

static void start(struct lw_pusher *p);

static gboolean on_retry(gpointer data)
{
	struct lw_pusher *p = data;
	p->timer = 0;
	start(p);
	return G_SOURCE_REMOVE;
}

/* What a push came to, said on the loop thread: once per outage. */
static void done(struct lw_pusher *p, enum lw_push_result rc, const char *pushed,
                 const GError *err)
{
	if (rc == LW_PUSH_OK) {
		if (p->failing)
			lw_notice("pushed to '%s' again (commit %.12s)", p->url, pushed);
		else
			lw_info("pushed commit %.12s to '%s'", pushed, p->url);
		p->failing = false;
		p->retry = RETRY_FIRST;
		return;
	}
	if (rc == LW_PUSH_MOVED) {
		lw_error("%s", err->message);
		p->stopped = true;
		return;
	}
	if (!p->failing)
		lw_warn("%s, retrying in %u s", err->message, p->retry);
	else
		lw_info("%s, retrying in %u s", err->message, p->retry);
	p->failing = true;
	p->dirty = true;
	if (g_main_depth() > 0 && !p->timer)
		p->timer = g_timeout_add_seconds(p->retry, on_retry, p);
	p->retry = MIN(p->retry * 2, RETRY_MAX);
}

static void run_push(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	struct lw_pusher *p = data;
	(void)source;
	(void)c;
	struct lw_push_opts o = { .repo = p->repo, .url = p->url, .branch = p->branch,
	                          .token_file = p->token_file, .ca_file = p->ca_file,
	                          .known_hosts = p->known_hosts };
	char *pushed = g_malloc0(41);
	GError *err = NULL;
	enum lw_push_result rc = lw_push_run(&o, pushed, &err);
	g_object_set_data_full(G_OBJECT(task), "pushed", pushed, g_free);
	if (err)
		g_object_set_data_full(G_OBJECT(task), "error", err, (GDestroyNotify)g_error_free);
	g_task_return_int(task, rc);
}

static void on_pushed(GObject *source, GAsyncResult *res, gpointer data)
{
	struct lw_pusher *p = data;
	(void)source;
	GTask *task = G_TASK(res);
	enum lw_push_result rc = (enum lw_push_result)g_task_propagate_int(task, NULL);
	p->running = false;
	if (!p->gone) {
		done(p, rc, g_object_get_data(G_OBJECT(task), "pushed"),
		     g_object_get_data(G_OBJECT(task), "error"));
		/* commits made meanwhile go out together, unless a retry is waiting */
		if (p->dirty && !p->timer && !p->stopped && rc == LW_PUSH_OK)
			start(p);
	}
	unref(p);
}

static void start(struct lw_pusher *p)
{
	if (p->stopped || p->running || p->gone)
		return;
	p->dirty = false;
	if (g_main_depth() == 0) {
		/* `livewatch poll`: no loop to come back to; the commit is made */
		struct lw_push_opts o = { .repo = p->repo, .url = p->url, .branch = p->branch,
		                          .token_file = p->token_file, .ca_file = p->ca_file,
		                          .known_hosts = p->known_hosts };
		char pushed[41] = "";
		GError *err = NULL;
		enum lw_push_result rc = lw_push_run(&o, pushed, &err);
		done(p, rc, pushed, err);
		g_clear_error(&err);
		return;
	}
	p->running = true;
	GTask *task = g_task_new(NULL, NULL, on_pushed, ref(p));
	g_task_set_task_data(task, p, NULL);
	g_task_run_in_thread(task, run_push);
	g_object_unref(task);
}

void lw_pusher_kick(struct lw_pusher *p)
{
	if (!p || p->stopped)
		return;
	p->dirty = true;
	/* a new commit tries at once, a waiting retry or not: it costs the
	 * loop nothing, and a remote back up gets it without delay */
	if (p->timer) {
		g_source_remove(p->timer);
		p->timer = 0;
	}
	if (!p->running)
		start(p);
}

bool lw_pusher_same(const struct lw_pusher *p, const struct lw_config *cfg)
{
	return !g_strcmp0(p->url, cfg->push) && !g_strcmp0(p->branch, cfg->branch) &&
	       !g_strcmp0(p->token_file, cfg->push_token) && !g_strcmp0(p->ca_file, cfg->push_ca) &&
	       !g_strcmp0(p->known_hosts, cfg->push_known_hosts);
}

/* ---- publish ---- */

/* One publish at a time; commits made while one runs are in the next.
 * The repository and folder of the latest config. */
static struct {
	bool running, dirty;
	char *repo, *dir;
} pub;

static void publish_thread(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	char **where = data;
	GError *err = NULL;
	(void)source;
	(void)c;
	if (lw_publish(where[0], where[1], g_get_real_time() / G_USEC_PER_SEC, &err) < 0)
		g_task_return_error(task, err);
	else
		g_task_return_boolean(task, TRUE);
}

static void publish_start(void);

static void on_published(GObject *source, GAsyncResult *res, gpointer data)
{
	char **where = data;
	GError *err = NULL;
	(void)source;
	if (!g_task_propagate_boolean(G_TASK(res), &err)) {
		lw_warn("cannot publish to '%s': %s", where[1], err->message);
		g_error_free(err);
	}
	pub.running = false;
	if (pub.dirty)
		publish_start();
}

static void publish_start(void)
{
	pub.dirty = false;
	pub.running = true;
	char **where = g_new0(char *, 3);
	where[0] = g_strdup(pub.repo);
	where[1] = g_strdup(pub.dir);
	GTask *task = g_task_new(NULL, NULL, on_published, where);
	g_task_set_task_data(task, where, (GDestroyNotify)g_strfreev);
	g_task_run_in_thread(task, publish_thread);
	g_object_unref(task);
}

void lw_publisher_kick(const struct lw_config *cfg)
{
	if (!cfg->publish)
		return;
	if (g_main_depth() == 0) {
		GError *err = NULL;
		if (lw_publish(cfg->repo, cfg->publish, g_get_real_time() / G_USEC_PER_SEC, &err) < 0) {
			lw_warn("cannot publish to '%s': %s", cfg->publish, err->message);
			g_error_free(err);
		}
		return;
	}
	g_free(pub.repo);
	g_free(pub.dir);
	pub.repo = g_strdup(cfg->repo);
	pub.dir = g_strdup(cfg->publish);
	pub.dirty = true;
	if (!pub.running)
		publish_start();
}
