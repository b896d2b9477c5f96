/* Alerts and the sinks that carry them (DESIGN.md "Alerts").
 *
 * An alert is one JSON object, the same for every sink:
 *   {"id","rule","blog","entry","change","title","url","published",
 *    "urgency","matched":[...],"snippet","fetched"}
 * The log line for each alert is the daemon's business; sinks here are
 * "file" (JSON lines appended), "desktop" (libnotify), "webhook" (HTTP
 * POST) and "exec" (a program per alert).
 *
 * Exactly once where the sink allows it.  An alert's id is stable for one
 * rule firing on one version of one entry:
 *   "<blog>/<entry id>/<rule>/<version>"
 * where version is lw_entry_version() of the entry as recorded (for a
 * removal: as last recorded).  The outbox makes delivery at least once (a
 * crash re-delivers what was in flight); the id lets a sink drop the
 * twin: the file sink never appends an id the file holds (see
 * lw_sink_new), a webhook gets it as the Idempotency-Key header, an exec
 * hook as LIVEWATCH_ALERT_ID.  The desktop sink cannot tell. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include "config.h"

struct lw_alert {
	char *id;          /* "<blog>/<entry>/<rule>/<version>"; "" until set: see
	                      lw_alert_id() */
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

/* A sink: one configured destination.  Opaque. */
struct lw_sink;

/* Creates the sink a [sink "NAME"] section describes, validating its keys
 * (errors "FILE:LINE: ..." for unknown type, missing path, ...).  Nothing
 * is connected or opened yet.
 *
 *   type = file      path = FILE (required).  A relative path is taken
 *                    relative to the config file's folder, "~/" is the
 *                    home folder.  One JSON line per alert, appended with
 *                    a single write() and fsync'd, under an flock(), and
 *                    only when the file does not already hold its id:
 *                    the sink keeps the ids of the file's last
 *                    LW_FILE_SINK_WINDOW bytes in memory (read from the
 *                    file's tail at its first delivery, then updated with
 *                    its own appends and with what other processes
 *                    appended since), which is where the twin of an alert
 *                    re-delivered after a crash is.  An id further back
 *                    than that is not looked for: a year of alerts is
 *                    never read.  A rotated or truncated file is a new
 *                    file.
 *   type = desktop   timeout = seconds a notification stays (default: the
 *                    server's; 0 = until dismissed), coalesce = seconds
 *                    (default 10, 0 = off), burst = alerts shown one by
 *                    one before the rest are summed up (default 3),
 *                    actions = yes|no (default yes: a click opens the
 *                    entry; needs a running GLib main loop).
 *   type = webhook   url = http(s) URL (required), format = json|ntfy|slack
 *                    (default json), timeout = seconds for the whole
 *                    delivery, retry included (default 10, 1..120),
 *                    header, header2 .. header9 = "Name: value" (replace a
 *                    built-in header of that name), priority = three ntfy
 *                    priorities for low, normal, critical (ntfy only,
 *                    default "2, 3, 5").  A connection failure, 429 or 5xx
 *                    is retried once; redirects are not followed.
 *                    Every POST carries "Idempotency-Key: <alert id>"
 *                    (bytes outside printable ASCII and '%' as %XX).
 *   type = exec      command = PROGRAM ARGS (required; split by
 *                    g_shell_parse_argv, never run by a shell; the program
 *                    must be found now: in PATH when it has no '/', a
 *                    relative path from the config's folder, "~/" home),
 *                    timeout = seconds before the child's process group is
 *                    killed (default 10, 1..120; SIGTERM, SIGKILL a second
 *                    later), format = json (the only one).  The child gets
 *                    the alert JSON line on stdin and LIVEWATCH_* variables
 *                    (LIVEWATCH_ALERT_ID: the alert's id).
 *
 * Errors are LW_ERROR_CONFIG. */
struct lw_sink *lw_sink_new(const struct lw_sink_config *cfg, GError **error);
#define LW_FILE_SINK_WINDOW (1u << 20)
/* The implicit desktop sink used when the config has no [sink]. */
struct lw_sink *lw_sink_new_default_desktop(void);
void lw_sink_free(struct lw_sink *s);
const char *lw_sink_name(const struct lw_sink *s);
const char *lw_sink_type(const struct lw_sink *s);

/* Delivers one alert.  Returns 0, or -1 with LW_ERROR_SINK naming the
 * sink ("sink 'alerts-file': cannot write '/x': No space left on device").
 * The desktop sink with no notification server returns -1 once with a
 * clear message; callers treat it as a warning.  It remembers the failure
 * for a minute (per process): deliveries in that minute fail at once with
 * the same message, so the caller can report it once, and no delivery
 * waits on D-Bus for more than about two seconds to find out.
 * Timeouts are at most 120 s.
 * The webhook and exec sinks block for at most their timeout (exec: plus
 * the second between SIGTERM and SIGKILL) and never print header values.
 * Inside a batch, after a webhook timeout or failed connection, or an exec
 * timeout, they fail the rest of the batch at once ("... skipped for the
 * rest of this poll after: ..."), so a dead server or a hanging hook
 * costs one timeout per batch (and after a timeout the sink is holding:
 * see lw_sink_holding()).  Their messages name the sink and the url
 * or command:
 * "sink 'phone': POST 'https://ntfy.sh/x': HTTP 503 (busy), after a retry",
 * "sink 'hook': '/bin/on-alert' exited with status 3: LAST STDERR LINE",
 * "... killed by signal 9", "... timed out after 10 s, killed". */
int lw_sink_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error);

/* Deliveries made while cancel (may be NULL; a reference is kept) is
 * cancelled stop as soon as they can: a webhook's transfer within about a
 * second, an exec hook's child (killed), and lw_sink_deliver() fails with
 * G_IO_ERROR_CANCELLED.  The daemon cancels its deliveries this way when
 * it stops; what was not delivered is still in the outbox. */
void lw_sink_set_cancellable(struct lw_sink *s, GCancellable *cancel);

/* Bursts.  A busy poll or a restart that drains the outbox can produce
 * dozens of alerts at once; the desktop would drown in them.  Wrap the
 * deliveries of one poll (or one outbox drain) in a batch:
 *
 *	lw_sink_begin_batch(s);
 *	for (...) lw_sink_deliver(s, alert, &err);
 *	lw_sink_end_batch(s, &err);
 *
 * The desktop sink shows the first `burst` alerts (default 3) of a batch
 * one by one and the rest as one summary notification ("… and 7 more
 * alerts"), shown by lw_sink_end_batch().  Outside a batch it coalesces
 * alerts that arrive less than `coalesce` seconds (default 10) apart the
 * same way, updating one summary notification in place as more arrive.
 * Sinks that do not coalesce (file) deliver every alert at once and treat
 * batches as no-ops.  Batches do not nest: a second begin is ignored.
 * lw_sink_end_batch() returns -1 with LW_ERROR_SINK when the summary
 * could not be shown; an alert held back for the summary counts as
 * delivered (lw_sink_deliver returned 0 for it). */
void lw_sink_begin_batch(struct lw_sink *s);
int lw_sink_end_batch(struct lw_sink *s, GError **error);

/* Retrying.  A webhook or exec sink whose delivery fails (the server is
 * down, the program failed) keeps the alert and tries again later, so a
 * phone push is not lost to a minute's outage; desktop and file sinks
 * don't (lw_sink_retries()).
 *
 * lw_sink_keep() appends the alert to the sink's own queue, an outbox
 * (format, crash safety and limits as below) in
 * <state_dir>/retry/<sink name>/, and puts the next try at least
 * LW_SINK_RETRY_MIN seconds away (or as long as the server's Retry-After
 * asked, up to LW_SINK_RETRY_MAX).  lw_sink_retry() delivers the kept
 * alerts, oldest first, once that time has come (at once for a queue
 * found on disk by a new process); the ones that fail again stay, and
 * the wait doubles up to LW_SINK_RETRY_MAX; any delivery that works
 * ends the wait.  An alert fetched more than
 * LW_SINK_RETRY_FOR seconds ago is dropped instead of kept again.
 * Messages about failures and drops are appended to errors (char *,
 * "sink 'NAME': ..."); the return value is the number delivered.
 * lw_sink_retry() does not batch: callers wrap it in a batch with the
 * deliveries of the same moment. */
#define LW_SINK_RETRY_MIN 60
#define LW_SINK_RETRY_MAX 1800
#define LW_SINK_RETRY_FOR (24 * 3600)
bool lw_sink_retries(const struct lw_sink *s);
/* When the kept alerts are tried next (unix seconds; 0: at once). */
gint64 lw_sink_retry_at(const struct lw_sink *s);
int lw_sink_keep(struct lw_sink *s, const char *state_dir, const struct lw_alert *a,
                 gint64 now, GError **error);
/* A sink whose last delivery timed out (a server or a program that hangs
 * rather than refuses) is holding until its next retry: trying each new
 * alert would cost a whole timeout each, and would get them there before
 * the older kept ones.  lw_sink_hold() appends an alert to the kept ones
 * without trying it and without moving the retry time; the retry then
 * delivers them all, in order, and a delivery that works ends the
 * holding.  A sink that only ever failed fast (refused, HTTP 503, exit
 * status 1) is not holding: each new alert is tried, which is how its
 * coming back is noticed at once. */
bool lw_sink_holding(const struct lw_sink *s, gint64 now);
int lw_sink_hold(struct lw_sink *s, const char *state_dir, const struct lw_alert *a,
                 GError **error);
/* A cancelled retry (lw_sink_set_cancellable) keeps what it did not
 * deliver, due as before. */
int lw_sink_retry(struct lw_sink *s, const char *state_dir, gint64 now, GPtrArray *errors);

/* The alert outbox: alerts are appended (fsync'd) before the commit that
 * produces them and removed once every sink had its go, so a crash loses
 * no alert.  The file is <state_dir>/outbox.jsonl. */
int lw_outbox_append(const char *state_dir, GPtrArray *alerts /* struct lw_alert * */, GError **error);
/* Takes every alert in the outbox (removing the file).  NULL on error.
 * The returned array owns its alerts (free func lw_alert_free); no outbox
 * is an empty array.  Same as lw_outbox_claim() + lw_outbox_done().
 *
 * Corrupt lines (a line torn by a crash during append, a hand edit) do
 * not make the take fail: one bad line must not hold every other alert
 * back forever.  They are moved, verbatim, to <state_dir>/outbox.rejected
 * (nothing is thrown away) and described in `warnings` of
 * lw_outbox_claim(): "STATE/outbox.jsonl:3: missing 'rule'". */
GPtrArray *lw_outbox_take(const char *state_dir, GError **error);

/* The two halves of a take, for at-least-once delivery: claim moves the
 * outbox aside to <state_dir>/outbox.taking (merging it into a .taking
 * left over by a crash) and returns its alerts without deleting them;
 * done deletes outbox.taking once every sink had its go.  A crash in
 * between means the next claim returns those alerts again (DESIGN.md
 * allows duplicates for alerts in flight at a crash).  warnings, when
 * not NULL, receives a NULL-terminated list of messages about rejected
 * lines (or NULL when there were none); the caller frees it with
 * g_strfreev().  At most LW_OUTBOX_MAX_BYTES are read: a bigger outbox
 * is an LW_ERROR_TOO_BIG error and stays where it is. */
#define LW_OUTBOX_MAX_BYTES (64u << 20)
#define LW_OUTBOX_MAX_LINE (1u << 20)
GPtrArray *lw_outbox_claim(const char *state_dir, char ***warnings, GError **error);
int lw_outbox_done(const char *state_dir, GError **error);
/* Removes these alerts (one line each, as lw_outbox_append wrote them)
 * from <state_dir>/outbox.jsonl, keeping every other line as it is, by
 * one atomic rename.  For a daemon that delivers one poll's alerts while
 * the next poll appends its own.  Every outbox function is safe to call
 * from several threads of one process. */
int lw_outbox_remove(const char *state_dir, GPtrArray *alerts, GError **error);
