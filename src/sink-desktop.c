/* The desktop sink: libnotify notifications, bursts coalesced.
 *
 * libnotify talks to org.freedesktop.Notifications with synchronous D-Bus
 * calls that wait up to 25 s.  Before the first one (and after a failure
 * has been forgotten) we ask the bus, with a 2 s timeout, whether anyone
 * owns or can be started for that name; a failure is remembered for a
 * minute so a desktop-less machine costs one quick check per minute, not
 * one per alert.  A server that owns the name and then hangs can still
 * stall a delivery; nothing short of bypassing libnotify avoids that.
 *
 * A click (the "default" action) opens the alert's url: with the program
 * in $LIVEWATCH_BROWSER when set (read when the sink is made), else with
 * the desktop's default browser (GIO).  libnotify reports the click in the thread-default main context
 * in which the notification was shown, so it is handled only while that
 * context runs: the daemon's courier lanes run theirs all the time. */
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include <libnotify/notify.h>

#include "error.h"
#include "sink-private.h"
#include "url.h"

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define CHECK_TIMEOUT_MS 2000
#define REMEMBER_US (60 * G_USEC_PER_SEC)
#define SUMMARY_LINES 5
#define KEEP_ALIVE 16   /* notifications kept so their click still works */
#define BROWSER_ENV "LIVEWATCH_BROWSER"

struct desktop_sink {
	int timeout_ms;           /* NOTIFY_EXPIRES_DEFAULT unless set */
	gint64 coalesce_us;       /* 0: only batches coalesce */
	guint burst;
	bool actions;
	char **open;              /* argv of $LIVEWATCH_BROWSER, the url goes last; NULL: GIO */

	/* the current burst */
	guint count;
	guint more;               /* alerts held back for the summary */
	guint summary_more;       /* `more` as the summary last showed it */
	NotifyUrgency more_urgency;
	GPtrArray *more_lines;    /* of char *, markup, at most SUMMARY_LINES */
	gint64 last;
	NotifyNotification *summary;

	GQueue recent;            /* of NotifyNotification *, with actions */
	GMainContext *shown_in;   /* where libnotify reports on them, or NULL */
};

/* The notification server is per session, hence per process. */
static struct {
	gint64 checked_at;        /* last successful check or show */
	gint64 failed_at;
	char *failure;            /* why, while remembered */
} server;

struct desktop_opts {
	long timeout;     /* seconds; -1: the server's */
	long coalesce;
	int burst;
	bool actions;
};

static const struct lw_value_key desktop_keys[] = {
	{ .key = "timeout", .type = LW_VALUE_SECONDS, LW_VALUE_AT(struct desktop_opts, timeout),
	  .min = 0, .max = 86400 },
	{ .key = "coalesce", .type = LW_VALUE_SECONDS, LW_VALUE_AT(struct desktop_opts, coalesce),
	  .min = 0, .max = 3600 },
	{ .key = "burst", .type = LW_VALUE_INT, LW_VALUE_AT(struct desktop_opts, burst),
	  .min = 1, .max = 1000 },
	{ .key = "actions", .type = LW_VALUE_BOOL, LW_VALUE_AT(struct desktop_opts, actions) },
	{ NULL },
};

static int desktop_setup(struct lw_sink *s, const struct lw_sink_config *cfg, GError **error)
{
	const char *v;
	struct desktop_opts o = { .timeout = -1, .coalesce = 10, .burst = 3, .actions = true };
	if (lw_sink_cfg_read(cfg, desktop_keys, &o, error) < 0)
		return -1;
	long timeout = o.timeout, coalesce = o.coalesce;
	int burst = o.burst;
	bool actions = o.actions;

	g_auto(GStrv) open = NULL;
	if ((v = g_getenv(BROWSER_ENV)) && *v) {
		g_autoptr(GError) perr = NULL;
		if (!g_shell_parse_argv(v, NULL, &open, &perr)) {
			g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "%s: cannot parse '%s': %s",
				    BROWSER_ENV, v, perr->message);
			return -1;
		}
	}

	struct desktop_sink *d = g_new0(struct desktop_sink, 1);
	d->timeout_ms = timeout < 0 ? NOTIFY_EXPIRES_DEFAULT : (int)MIN(timeout * 1000, G_MAXINT);
	d->coalesce_us = (gint64)coalesce * G_USEC_PER_SEC;
	d->burst = (guint)burst;
	d->actions = actions;
	d->open = g_steal_pointer(&open);
	d->more_lines = g_ptr_array_new_with_free_func(g_free);
	g_queue_init(&d->recent);
	s->priv = d;
	return 0;
}

static void reset_burst(struct desktop_sink *d)
{
	d->count = 0;
	d->more = 0;
	d->summary_more = 0;
	d->more_urgency = NOTIFY_URGENCY_LOW;
	g_ptr_array_set_size(d->more_lines, 0);
	g_clear_object(&d->summary);
}

static void unref_all(gpointer q)
{
	g_queue_free_full(q, g_object_unref);
}

static gboolean nothing(gpointer data)
{
	return G_SOURCE_REMOVE;
}

static void desktop_free(void *priv)
{
	struct desktop_sink *d = priv;
	/* A click is reported in the context the notification was shown in,
	 * maybe on another thread right now: the notifications go there to
	 * die (or with that context, when nothing runs it any more). */
	GQueue *dying = g_queue_new();
	if (d->summary)
		g_queue_push_tail(dying, g_steal_pointer(&d->summary));
	for (GList *l = d->recent.head; l; l = l->next)
		g_queue_push_tail(dying, l->data);
	g_queue_clear(&d->recent);
	if (d->shown_in) {
		g_main_context_invoke_full(d->shown_in, G_PRIORITY_DEFAULT, nothing, dying, unref_all);
		g_main_context_unref(d->shown_in);
	} else {
		unref_all(dying);
	}
	reset_burst(d);
	g_ptr_array_unref(d->more_lines);
	g_strfreev(d->open);
	g_free(d);
}

static void remember_failure(const char *why)
{
	g_free(server.failure);
	server.failure = g_strdup(why);
	server.failed_at = g_get_monotonic_time();
	server.checked_at = 0;
}

static bool bus_has_name(GDBusConnection *bus, const char *method, GError **error)
{
	g_autoptr(GVariant) r = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus", method,
		!strcmp(method, "NameHasOwner") ? g_variant_new("(s)", NOTIFY_NAME) : NULL,
		NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, CHECK_TIMEOUT_MS, NULL, error);
	if (!r)
		return false;
	if (g_variant_is_of_type(r, G_VARIANT_TYPE("(b)"))) {
		gboolean has;
		g_variant_get(r, "(b)", &has);
		return has;
	}
	if (g_variant_is_of_type(r, G_VARIANT_TYPE("(as)"))) {
		g_autofree const char **names = NULL;
		g_variant_get(r, "(^a&s)", &names);
		return names && g_strv_contains(names, NOTIFY_NAME);
	}
	return false;
}

/* Why there is no usable notification server, or NULL when there is one.
 * Never waits more than about 2 * CHECK_TIMEOUT_MS. */
static char *check_server(void)
{
	/* Without an address GLib would try X11 autolaunch: slow, and wrong
	 * for a daemon. */
	if (!g_getenv("DBUS_SESSION_BUS_ADDRESS")) {
		g_autofree char *sock = g_build_filename(g_get_user_runtime_dir(), "bus", NULL);
		if (!g_file_test(sock, G_FILE_TEST_EXISTS))
			return g_strdup("no session bus: DBUS_SESSION_BUS_ADDRESS is not set");
	}
	g_autoptr(GError) err = NULL;
	g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err);
	if (!bus)
		return g_strdup_printf("cannot connect to the session bus: %s", err->message);
	if (bus_has_name(bus, "NameHasOwner", &err))
		return NULL;
	/* Desktops often start their notification daemon on demand. */
	if (!err && bus_has_name(bus, "ListActivatableNames", &err))
		return NULL;
	if (err)
		return g_strdup_printf("session bus: %s", err->message);
	return g_strdup("nothing provides " NOTIFY_NAME " on the session bus");
}

static int server_error(struct lw_sink *s, GError **error)
{
	g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': no notification server (%s)",
		    s->name, server.failure);
	return -1;
}

static int ensure_server(struct lw_sink *s, GError **error)
{
	gint64 now = g_get_monotonic_time();
	if (server.failure && now - server.failed_at < REMEMBER_US)
		return server_error(s, error);
	if (server.checked_at && now - server.checked_at < REMEMBER_US)
		return 0;
	g_autofree char *why = check_server();
	if (why) {
		remember_failure(why);
		return server_error(s, error);
	}
	g_clear_pointer(&server.failure, g_free);
	if (!notify_is_initted() && !notify_init("livewatch")) {
		remember_failure("libnotify could not start");
		return server_error(s, error);
	}
	server.checked_at = g_get_monotonic_time();
	return 0;
}

static int show(struct lw_sink *s, NotifyNotification *n, GError **error)
{
	struct desktop_sink *d = s->priv;
	if (!d->shown_in)
		d->shown_in = g_main_context_ref_thread_default();
	g_autoptr(GError) err = NULL;
	if (!notify_notification_show(n, &err)) {
		g_autofree char *why = g_strdup_printf("cannot show a notification: %s",
						       err ? err->message : "unknown error");
		remember_failure(why);
		return server_error(s, error);
	}
	server.checked_at = g_get_monotonic_time();
	return 0;
}

static NotifyUrgency urgency_of(const char *u)
{
	if (u && !strcmp(u, "low"))
		return NOTIFY_URGENCY_LOW;
	if (u && !strcmp(u, "critical"))
		return NOTIFY_URGENCY_CRITICAL;
	return NOTIFY_URGENCY_NORMAL;
}

static bool is_hit(const char *text, gsize len, char **matched)
{
	if (!matched || !*matched)
		return true;
	g_autofree char *t = g_utf8_casefold(text, (gssize)len);
	for (char **m = matched; *m; m++) {
		g_autofree char *f = g_utf8_casefold(*m, -1);
		if (*f && strstr(t, f))
			return true;
	}
	return false;
}

static void append_escaped(GString *out, const char *text, gssize len)
{
	g_autofree char *e = g_markup_escape_text(text, len);
	g_string_append(out, e);
}

/* The snippet as notification body markup: escaped, the hit in <b></b>
 * instead of « ».  Guillemets that were in the text itself (common in
 * Ukrainian and Russian quotes) stay: only pairs around a matched term
 * are taken for hits, or the first pair when none is. */
/* The next «…» pair at or after p: *a at «, *b at », false when none. */
static bool next_pair(const char *p, const char **a, const char **b)
{
	*a = strstr(p, "«");
	*b = *a ? strstr(*a + strlen("«"), "»") : NULL;
	return *b != NULL;
}

static void append_snippet_markup(GString *out, const char *snippet, char **matched)
{
	const gsize ol = strlen("«"), cl = strlen("»");
	const char *p, *a, *b;
	bool any_hit = false;
	for (p = snippet; !any_hit && next_pair(p, &a, &b); p = b + cl)
		any_hit = is_hit(a + ol, (gsize)(b - a - ol), matched);

	int i = 0;
	for (p = snippet; next_pair(p, &a, &b); p = b + cl, i++) {
		append_escaped(out, p, a - p);
		const char *in = a + ol;
		gsize in_len = (gsize)(b - in);
		if (any_hit ? is_hit(in, in_len, matched) : i == 0) {
			g_string_append(out, "<b>");
			append_escaped(out, in, (gssize)in_len);
			g_string_append(out, "</b>");
		} else {
			append_escaped(out, a, (gssize)(b + cl - a));
		}
	}
	append_escaped(out, p, -1);
}

char *lw_sink_desktop_summary(const struct lw_alert *a)
{
	const char *c = a->change ? a->change : "";
	const char *note = !strcmp(c, "edited") ? " (edited)" :
			   !strcmp(c, "restored") ? " (restored)" : "";
	return g_strdup_printf("%s · %s%s", a->rule ? a->rule : "", a->blog ? a->blog : "", note);
}

char *lw_sink_desktop_body(const struct lw_alert *a)
{
	GString *b = g_string_new(NULL);
	if (a->title && *a->title) {
		append_escaped(b, a->title, -1);
		if (a->snippet && *a->snippet)
			g_string_append_c(b, '\n');
	}
	if (a->snippet)
		append_snippet_markup(b, a->snippet, a->matched);
	return g_string_free(b, FALSE);
}

/* What a click opens, and with what: its own copy, as the notification
 * may outlive the sink. */
struct click {
	char **open;
	char *url;
};

static void click_free(gpointer p)
{
	struct click *k = p;
	g_strfreev(k->open);
	g_free(k->url);
	g_free(k);
}

static void open_url(NotifyNotification *n, char *action, gpointer data)
{
	struct click *k = data;
	/* Nobody to tell if it fails: the user clicked and nothing opened. */
	if (!k->open) {
		g_app_info_launch_default_for_uri(k->url, NULL, NULL);
		return;
	}
	guint len = g_strv_length(k->open);
	g_autofree char **argv = g_new0(char *, len + 2);
	memcpy(argv, k->open, len * sizeof(char *));
	argv[len] = k->url;
	/* not reaped by us: GLib's intermediate child makes init its parent */
	g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL);
}

static void set_common(struct desktop_sink *d, NotifyNotification *n, NotifyUrgency u)
{
	notify_notification_set_app_name(n, "livewatch");
	notify_notification_set_urgency(n, u);
	notify_notification_set_category(n, "im.received");
	notify_notification_set_hint(n, "desktop-entry", g_variant_new_string("livewatch"));
	notify_notification_set_timeout(n, d->timeout_ms);
}

static int show_alert(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	struct desktop_sink *d = s->priv;
	g_autofree char *summary = lw_sink_desktop_summary(a);
	g_autofree char *body = lw_sink_desktop_body(a);
	NotifyNotification *n = notify_notification_new(summary, body, NULL);
	set_common(d, n, urgency_of(a->urgency));
	/* Urls come from pages: only ever hand http(s) to the launcher. */
	bool keep = d->actions && lw_url_is_http(a->url);
	if (keep) {
		struct click *k = g_new0(struct click, 1);
		k->open = g_strdupv(d->open);
		k->url = g_strdup(a->url);
		notify_notification_add_action(n, "default", "Open", open_url, k, click_free);
	}
	int r = show(s, n, error);
	if (r == 0 && keep) {
		g_queue_push_tail(&d->recent, n);
		if (g_queue_get_length(&d->recent) > KEEP_ALIVE)
			g_object_unref(g_queue_pop_head(&d->recent));
	} else {
		g_object_unref(n);
	}
	return r;
}

static int show_summary(struct lw_sink *s, GError **error)
{
	struct desktop_sink *d = s->priv;
	if (d->more == d->summary_more)
		return 0;
	g_autofree char *summary = d->more == 1 ? g_strdup("… and 1 more alert") :
				   g_strdup_printf("… and %u more alerts", d->more);
	GString *body = g_string_new(NULL);
	for (guint i = 0; i < d->more_lines->len; i++)
		g_string_append_printf(body, "%s%s", i ? "\n" : "",
				       (char *)g_ptr_array_index(d->more_lines, i));
	if (d->more > d->more_lines->len)
		g_string_append(body, "\n…");
	if (d->summary)
		notify_notification_update(d->summary, summary, body->str, NULL);
	else
		d->summary = notify_notification_new(summary, body->str, NULL);
	g_string_free(body, TRUE);
	set_common(d, d->summary, d->more_urgency);
	d->summary_more = d->more;
	return show(s, d->summary, error);
}

static int desktop_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	struct desktop_sink *d = s->priv;
	if (ensure_server(s, error) < 0)
		return -1;
	gint64 now = g_get_monotonic_time();
	if (!s->in_batch && (d->coalesce_us == 0 || now - d->last > d->coalesce_us))
		reset_burst(d);
	d->last = now;
	if (++d->count <= d->burst)
		return show_alert(s, a, error);

	d->more++;
	d->more_urgency = MAX(d->more_urgency, urgency_of(a->urgency));
	if (d->more_lines->len < SUMMARY_LINES) {
		g_autofree char *what = g_strdup_printf("%s · %s: %s", a->rule ? a->rule : "",
			a->blog ? a->blog : "", a->title && *a->title ? a->title :
			a->snippet ? a->snippet : "");
		g_ptr_array_add(d->more_lines, g_markup_escape_text(what, -1));
	}
	if (s->in_batch)
		return 0;
	return show_summary(s, error);
}

static void desktop_begin_batch(struct lw_sink *s)
{
	struct desktop_sink *d = s->priv;
	gint64 now = g_get_monotonic_time();
	if (d->coalesce_us == 0 || now - d->last > d->coalesce_us)
		reset_burst(d);
}

static int desktop_end_batch(struct lw_sink *s, GError **error)
{
	struct desktop_sink *d = s->priv;
	d->last = g_get_monotonic_time();
	if (d->more == d->summary_more)
		return 0;
	if (ensure_server(s, error) < 0)
		return -1;
	return show_summary(s, error);
}

static int desktop_probe(struct lw_sink *s, GError **error)
{
	g_autofree char *why = check_server();
	if (!why)
		return 0;
	g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': no notification server (%s)",
	            s->name, why);
	return -1;
}

const struct lw_sink_ops lw_sink_desktop_ops = {
	.type = "desktop",
	.keys = desktop_keys,
	.setup = desktop_setup,
	.deliver = desktop_deliver,
	.begin_batch = desktop_begin_batch,
	.end_batch = desktop_end_batch,
	.free_priv = desktop_free,
	.probe = desktop_probe,
};
