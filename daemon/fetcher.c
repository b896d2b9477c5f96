/* The fetcher (fetcher.h): curl multi in the GLib loop, the request
 * queue and host politeness. */
#include "fetcher.h"

#include <curl/curl.h>
#include <glib-unix.h>
#include <string.h>

#include "log.h"
#include "url.h"

struct host {
	char *name;
	int inflight;
	gint64 next_ok;             /* monotonic µs before which nothing starts */
};

struct lw_fetcher_req {
	char *url;
	char *who;
	struct lw_fetch_opts fo;
	const struct lw_fetch_cond *cond;
	lw_fetcher_done_fn done;
	void *data;
	struct host *host;
	struct lw_fetch *fetch;     /* non-NULL while in flight */
	gint64 started;             /* monotonic µs */
};

struct lw_fetcher {
	const struct lw_config *cfg;
	GHashTable *hosts;          /* name -> struct host * */
	GQueue queue;               /* struct lw_fetcher_req *, waiting */
	int inflight;
	CURLM *multi;
	guint curl_timer;
	guint pump_timer;
	gint64 pump_at;
	bool stopping;
	bool cleaning;              /* inside curl_multi_cleanup: the handle is going */
};

/* ---- hosts ---- */

static struct host *host_get(struct lw_fetcher *f, const char *url)
{
	g_autofree char *name = lw_url_host(url);
	if (!name)
		name = g_strdup("");
	struct host *h = g_hash_table_lookup(f->hosts, name);
	if (!h) {
		h = g_new0(struct host, 1);
		h->name = g_steal_pointer(&name);
		g_hash_table_insert(f->hosts, h->name, h);
	}
	return h;
}

static void host_free(gpointer p)
{
	struct host *h = p;
	g_free(h->name);
	g_free(h);
}

static void host_limits(struct lw_fetcher *f, const struct host *h, int *concurrency,
                        double *delay)
{
	const struct lw_host_config *hc = lw_config_find_host(f->cfg, h->name);
	*concurrency = hc ? hc->concurrency : 1;
	*delay = hc ? hc->delay : f->cfg->host_delay;
}

/* No request to h starts before its delay has passed from now. */
static void host_hold(struct lw_fetcher *f, struct host *h, gint64 now)
{
	int conc;
	double delay;
	host_limits(f, h, &conc, &delay);
	h->next_ok = MAX(h->next_ok, now + (gint64)(delay * G_USEC_PER_SEC));
}

/* ---- curl multi in the GLib loop ---- */

struct sock {
	struct lw_fetcher *f;
	curl_socket_t fd;
	guint source;
};

static void check_done(struct lw_fetcher *f);

static gboolean on_socket(gint fd, GIOCondition cond, gpointer data)
{
	struct lw_fetcher *f = data;
	int ev = 0;
	if (cond & G_IO_IN)
		ev |= CURL_CSELECT_IN;
	if (cond & G_IO_OUT)
		ev |= CURL_CSELECT_OUT;
	if (cond & (G_IO_ERR | G_IO_HUP))
		ev |= CURL_CSELECT_ERR;
	int running;
	curl_multi_socket_action(f->multi, fd, ev, &running);
	check_done(f);
	return G_SOURCE_CONTINUE;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct lw_fetcher *f = userp;
	struct sock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			if (s->source)
				g_source_remove(s->source);
			g_free(s);
			if (!f->cleaning)
				curl_multi_assign(f->multi, fd, NULL);
		}
		return 0;
	}
	if (!s) {
		s = g_new0(struct sock, 1);
		s->f = f;
		s->fd = fd;
		curl_multi_assign(f->multi, fd, s);
	}
	if (s->source)
		g_source_remove(s->source);
	GIOCondition cond = G_IO_ERR | G_IO_HUP;
	if (what & CURL_POLL_IN)
		cond |= G_IO_IN;
	if (what & CURL_POLL_OUT)
		cond |= G_IO_OUT;
	s->source = g_unix_fd_add(fd, cond, on_socket, f);
	return 0;
}

static gboolean on_curl_timeout(gpointer data)
{
	struct lw_fetcher *f = data;
	f->curl_timer = 0;
	int running;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(f);
	return G_SOURCE_REMOVE;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct lw_fetcher *f = userp;
	if (f->curl_timer) {
		g_source_remove(f->curl_timer);
		f->curl_timer = 0;
	}
	if (timeout_ms >= 0)
		f->curl_timer = g_timeout_add((guint)timeout_ms, on_curl_timeout, f);
	return 0;
}

/* ---- requests ---- */

static void req_free(struct lw_fetcher *f, struct lw_fetcher_req *q)
{
	if (!q)
		return;
	if (q->fetch) {
		curl_multi_remove_handle(f->multi, lw_fetch_handle(q->fetch));
		lw_fetch_free(q->fetch);
		q->host->inflight--;
		f->inflight--;
	}
	g_free(q->url);
	g_free(q->who);
	g_free(q);
}

/* Hands the result to the requester; the request is gone first, so the
 * callback may queue the next one. */
static void finish(struct lw_fetcher *f, struct lw_fetcher_req *q,
                   const struct lw_fetch_result *fr, const GError *err)
{
	lw_fetcher_done_fn done = q->done;
	void *data = q->data;
	req_free(f, q);
	done(data, fr, err);
}

struct lw_fetcher_req *lw_fetcher_queue(struct lw_fetcher *f, const char *url,
                                        const struct lw_fetch_opts *fo,
                                        const struct lw_fetch_cond *cond, const char *who,
                                        lw_fetcher_done_fn done, void *data)
{
	struct lw_fetcher_req *q = g_new0(struct lw_fetcher_req, 1);
	q->url = g_strdup(url);
	q->who = g_strdup(who);
	q->fo = *fo;
	q->cond = cond;
	q->done = done;
	q->data = data;
	q->host = host_get(f, url);
	g_queue_push_tail(&f->queue, q);
	return q;
}

void lw_fetcher_cancel(struct lw_fetcher *f, struct lw_fetcher_req *q)
{
	if (!q)
		return;
	g_queue_remove(&f->queue, q);
	req_free(f, q);
}

static void start(struct lw_fetcher *f, struct lw_fetcher_req *q)
{
	GError *err = NULL;
	q->fetch = lw_fetch_setup(q->url, &q->fo, q->cond, &err);
	gint64 now = g_get_monotonic_time();
	host_hold(f, q->host, now);
	if (!q->fetch) {
		finish(f, q, NULL, err);
		g_error_free(err);
		return;
	}
	lw_fetch_set_data(q->fetch, q);
	q->started = now;
	q->host->inflight++;
	f->inflight++;
	lw_debug("%s: fetching '%s'", q->who, q->url);
	curl_multi_add_handle(f->multi, lw_fetch_handle(q->fetch));
}

static gboolean on_pump_timer(gpointer data)
{
	struct lw_fetcher *f = data;
	f->pump_timer = 0;
	lw_fetcher_pump(f);
	return G_SOURCE_REMOVE;
}

void lw_fetcher_pump(struct lw_fetcher *f)
{
	if (f->stopping)
		return;
	gint64 now = g_get_monotonic_time();
	gint64 wake = 0;
	int limit = f->cfg->concurrency;
again:
	for (GList *l = f->queue.head; l && f->inflight < limit; l = l->next) {
		struct lw_fetcher_req *q = l->data;
		int conc;
		double delay;
		host_limits(f, q->host, &conc, &delay);
		if (q->host->inflight >= conc)
			continue;
		if (q->host->next_ok > now) {
			if (!wake || q->host->next_ok < wake)
				wake = q->host->next_ok;
			continue;
		}
		g_queue_delete_link(&f->queue, l);
		start(f, q);
		/* start() may have finished a request whose callback queued more. */
		goto again;
	}
	if (wake && (!f->pump_timer || wake < f->pump_at)) {
		if (f->pump_timer)
			g_source_remove(f->pump_timer);
		f->pump_at = wake;
		f->pump_timer = g_timeout_add((guint)((wake - now + 999) / 1000), on_pump_timer, f);
	}
}

static void check_done(struct lw_fetcher *f)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(f->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		struct lw_fetch *lf = lw_fetch_from_handle(easy);
		struct lw_fetcher_req *q = lw_fetch_get_data(lf);
		curl_multi_remove_handle(f->multi, easy);
		q->fetch = NULL;
		q->host->inflight--;
		f->inflight--;
		gint64 now = g_get_monotonic_time();
		/* The pause between requests to a host runs from the end of the last. */
		host_hold(f, q->host, now);
		struct lw_fetch_result fr;
		memset(&fr, 0, sizeof(fr));
		GError *err = NULL;
		bool ok = lw_fetch_finish(lf, code, &fr, &err) == 0;
		lw_fetch_free(lf);
		lw_debug("%s: '%s' %s in %.2f s", q->who, q->url, ok ? "fetched" : "failed",
		         (double)(now - q->started) / G_USEC_PER_SEC);
		finish(f, q, ok ? &fr : NULL, err);
		if (ok)
			lw_fetch_result_clear(&fr);
		g_clear_error(&err);
	}
	lw_fetcher_pump(f);
}

/* ---- life ---- */

struct lw_fetcher *lw_fetcher_new(void)
{
	struct lw_fetcher *f = g_new0(struct lw_fetcher, 1);
	g_queue_init(&f->queue);
	f->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, host_free);
	f->multi = curl_multi_init();
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
}

void lw_fetcher_set_config(struct lw_fetcher *f, const struct lw_config *cfg)
{
	f->cfg = cfg;
	/* Keep one idle connection per blog (hosts at most): curl's default
	 * cache is small, and reconnecting (a TLS handshake) each poll is the
	 * cost politeness is meant to avoid. */
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)MAX(cfg->blogs->len, 8u));
}

void lw_fetcher_stop(struct lw_fetcher *f)
{
	f->stopping = true;
}

void lw_fetcher_free(struct lw_fetcher *f)
{
	if (!f)
		return;
	while (!g_queue_is_empty(&f->queue))
		req_free(f, g_queue_pop_head(&f->queue));
	if (f->pump_timer)
		g_source_remove(f->pump_timer);
	if (f->curl_timer)
		g_source_remove(f->curl_timer);
	f->cleaning = true;
	curl_multi_cleanup(f->multi);
	g_hash_table_unref(f->hosts);
	g_free(f);
}
