/* Alerts and the sinks that carry them (DESIGN.md "Alerts").
 *
 * An alert is one JSON object, the same for every sink:
 *   {"rule","blog","entry","change","title","url","published","urgency",
 *    "matched":[...],"snippet","fetched"}
 * The log line for each alert is the daemon's business; sinks here are
 * "file" (JSON lines appended) and "desktop" (libnotify). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "config.h"

struct lw_alert {
	char *rule;
	char *blog;
	char *entry;       /* entry id */
	char *change;      /* "new", "edited", "restored" */
	char *title;       /* entry heading */
	char *url;
	char *published;
	char *urgency;     /* "low", "normal", "critical" */
	char **matched;    /* NULL-terminated surface forms */
	char *snippet;     /* "…near «Bakhmut» on Monday…" */
	char *fetched;     /* RFC 3339 UTC */
};

struct lw_alert *lw_alert_new(void);
void lw_alert_free(struct lw_alert *a);

/* One line of JSON, no trailing newline, keys in the order above. */
char *lw_alert_to_json(const struct lw_alert *a);
struct lw_alert *lw_alert_from_json(const char *json, GError **error);

/* A snippet of text around [off, off+len): about `width` characters of
 * context, cut on word boundaries, the hit between « », "…" where text
 * was cut, newlines as spaces.  UTF-8 safe. */
char *lw_alert_snippet(const char *text, gsize off, gsize len, guint width);

/* A sink: one configured destination.  Opaque. */
struct lw_sink;

/* Creates the sink a [sink "NAME"] section describes, validating its keys
 * (errors "FILE:LINE: ..." for unknown type, missing path, ...).  Nothing
 * is connected or opened yet. */
struct lw_sink *lw_sink_new(const struct lw_sink_config *cfg, GError **error);
/* The implicit desktop sink used when the config has no [sink]. */
struct lw_sink *lw_sink_new_default_desktop(void);
void lw_sink_free(struct lw_sink *s);
const char *lw_sink_name(const struct lw_sink *s);
const char *lw_sink_type(const struct lw_sink *s);

/* Delivers one alert.  Returns 0, or -1 with LW_ERROR_SINK naming the
 * sink ("sink 'alerts-file': cannot write '/x': No space left on device").
 * The desktop sink with no notification server returns -1 once with a
 * clear message; callers treat it as a warning. */
int lw_sink_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error);

/* The alert outbox: alerts are appended (fsync'd) before the commit that
 * produces them and removed once every sink had its go, so a crash loses
 * no alert.  The file is <state_dir>/outbox.jsonl. */
int lw_outbox_append(const char *state_dir, GPtrArray *alerts /* struct lw_alert * */, GError **error);
/* Takes every alert in the outbox (removing the file).  NULL on error. */
GPtrArray *lw_outbox_take(const char *state_dir, GError **error);
