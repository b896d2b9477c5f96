/* Alerts (DESIGN.md "Alerts"): the object, its JSON and its snippet.
 * The sinks that carry them are sink.h; the outbox that keeps them until
 * every sink had its go is outbox.h.
 *
 * An alert is one JSON object, the same for every sink:
 *   {"id","rule","blog","entry","change","title","url","published",
 *    "urgency","matched":[...],"snippet","fetched"}
 * and, only when they apply, "stealth": true (a stealth edit) and "text"
 * (a removal: the post's last text).
 * The log line for each alert is the daemon's business; the sinks are
 * "file" (JSON lines appended), "desktop" (libnotify), "webhook" (HTTP
 * POST) and "exec" (a program per alert).
 *
 * Exactly once where the sink allows it.  An alert's id is stable for one
 * rule firing on one version of one entry:
 *   "<blog>/<entry id>/<rule>/<version>"
 * where version is lw_entry_version() of the entry as recorded (for a
 * removal: as last recorded, followed by "-removed", so that it differs
 * from the id of a match on that version).  The outbox makes delivery at least once (a
 * crash re-delivers what was in flight); the id lets a sink drop the
 * twin: the file sink never appends an id the file holds (see
 * lw_sink_new in sink.h), a webhook gets it as the Idempotency-Key
 * header, an exec hook as LIVEWATCH_ALERT_ID.  The desktop sink cannot tell. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

struct lw_alert {
	char *id;          /* "<blog>/<entry>/<rule>/<version>"; "" until set: see
	                      lw_alert_id() */
	char *rule;
	char *blog;
	char *entry;       /* entry id */
	char *change;      /* "new", "edited", "restored", "removed" */
	char *title;       /* entry heading */
	char *url;
	char *published;
	char *urgency;     /* "low", "normal", "critical" */
	char **matched;    /* NULL-terminated surface forms */
	char *snippet;     /* "…near «Bakhmut» on Monday…" */
	char *fetched;     /* RFC 3339 UTC */
	bool stealth;      /* an edit the page showed no new "updated" time for:
	                      "stealth": true in the JSON (absent when false) */
	char *text;        /* a removal: the post's last recorded text (heading,
	                      then body), "text" in the JSON; "" (and absent) else */
};

/* A new alert: every string "" and matched an empty vector.  Fields are
 * owned by the alert and freed with g_free()/g_strfreev(); readers treat
 * a NULL string as "" and a NULL matched as empty. */
struct lw_alert *lw_alert_new(void);
void lw_alert_free(struct lw_alert *a);
struct lw_alert *lw_alert_dup(const struct lw_alert *a);

/* Sets a->id to "<blog>/<entry>/<rule>/<version>" (version: see above;
 * any string, "" when unknown). */
void lw_alert_set_id(struct lw_alert *a, const char *version);

/* The alert's id, a new string, never "": a->id when it is set, else one
 * derived from the alert's other fields, "<blog>/<entry>/<rule>/" and
 * the first 12 hex digits of the SHA-1 of its JSON without "id".  That
 * covers alerts that are about no entry version (health alerts, the
 * sample of test-alert) and alerts written before ids existed (an old
 * outbox or retry queue): the same alert always gets the same id, two
 * different ones never the same. */
char *lw_alert_id(const struct lw_alert *a);

/* One line of JSON, no trailing newline, keys in the order above ("id"
 * as lw_alert_id() gives it).  Non-ASCII text is written as UTF-8;
 * control characters are escaped. */
char *lw_alert_to_json(const struct lw_alert *a);
/* Parses one such object.  Strict: every key above must be there with
 * the right type (strings; matched an array of strings), else NULL and
 * LW_ERROR_PARSE "alert json: missing 'rule'" (or "... 'matched' is not
 * an array of strings").  The one exception is "id", which lines written
 * before ids existed lack: a missing id is derived (lw_alert_id()), so
 * those alerts are still delivered; a present one must be a non-empty
 * string.  Unknown keys are ignored (newer writers). */
struct lw_alert *lw_alert_from_json(const char *json, GError **error);

/* A snippet of text around [off, off+len): about `width` characters of
 * context, cut on word boundaries, the hit between « », "…" where text
 * was cut, newlines as spaces.  UTF-8 safe.
 *
 * off and len are byte offsets into text; they are clamped to the text
 * and widened to whole characters when they fall inside one.  Runs of
 * whitespace (newlines included) become one space.  A hit longer than
 * `width` characters is cut to `width` characters and "…".  An empty hit
 * gives context without « ».  Returns a new string, never NULL. */
char *lw_alert_snippet(const char *text, gsize off, gsize len, guint width);
