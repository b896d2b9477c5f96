/* Sinks: the configured destinations of alerts (DESIGN.md "Alerts"),
 * the registry of their types, retrying what failed, and the delivery
 * policy a poll uses (batches, retries, holding after a timeout).  The
 * types themselves are sink-*.c behind sink-private.h. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include "alert.h"
#include "config.h"
#include "caps.h"

/* A sink: one configured destination.  Opaque. */
struct lw_sink;

/* Creates the sink a [sink "NAME"] section describes, validating its keys
 * (errors "FILE:LINE: ..." for unknown type, missing path, ...).  Nothing
 * is connected or opened yet.
 *
 *   type = file      path = FILE (required; its folder, or the nearest
 *                    one that exists, must be writable now: the first
 *                    delivery creates what is missing).  A relative path is taken
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

/* Whether s can deliver now, asked without delivering anything: the
 * desktop sink looks for a notification server on the session bus (at
 * most about two seconds); the other types say 0 (their problems are
 * found when the config is read, or are the server's).  -1 with
 * LW_ERROR_SINK naming the sink and why.  For `check`: a warning. */
int lw_sink_probe(struct lw_sink *s, GError **error);

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
 * phone push is not lost to a minute's outage; so does a file sink that
 * cannot write (a full disk, a folder gone for a while); the desktop sink
 * doesn't (lw_sink_retries()).
 *
 * lw_sink_keep() appends the alert to the sink's own queue, an outbox
 * (outbox.h: format, crash safety and limits) in
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

/* Delivery policy.  Which sinks an alert goes to is the caller's to say:
 * wants(data, s, a) is true when a's rule wants sink s (the poll answers
 * from its rules; a rule that is gone wants every sink). */
typedef bool lw_sink_wants_fn(void *data, const struct lw_sink *s, const struct lw_alert *a);

/* Delivers alerts (struct lw_alert *; NULL: none) that s is wanted for
 * as one batch, after the alerts s kept when their retry is due
 * (lw_sink_retry, with now the wall clock).  A sink that is holding
 * (lw_sink_holding) keeps each alert without trying it; one that retries
 * keeps an alert it failed to deliver.  A cancelled delivery ends the
 * batch: what was not delivered stays in the outbox.  Adds "sink 'x':
 * ..." messages to errors (may be NULL). */
void lw_sink_deliver_batch(struct lw_sink *s, const char *state_dir, GPtrArray *alerts,
                           lw_sink_wants_fn *wants, void *data, GPtrArray *errors);
