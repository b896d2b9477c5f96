/* Durable queues of alerts: one JSON line per alert (lw_alert_to_json)
 * in DIR/outbox.jsonl.  One implementation serves two queues:
 *   - the alert outbox, DIR = the state folder: alerts are appended
 *     (fsync'd) before the commit that produces them and removed once
 *     every sink had its go, so a crash loses no alert;
 *   - each retrying sink's kept alerts, DIR = <state>/retry/<sink>
 *     (sink.h, "Retrying").
 * Every function here is safe to call from several threads of one
 * process (one process-wide lock); other processes are kept out by the
 * repository's lock. */
#pragma once

#include <glib.h>
#include "caps.h"

/* Appends alerts (struct lw_alert *) to DIR/outbox.jsonl in one fsync'd
 * write; NULL or empty: nothing to do. */
int lw_outbox_append(const char *dir, GPtrArray *alerts, GError **error);

/* Takes every alert in the outbox (removing the file).  NULL on error.
 * The returned array owns its alerts (free func lw_alert_free); no outbox
 * is an empty array.  Same as lw_outbox_claim() + lw_outbox_done().
 *
 * Corrupt lines (a line torn by a crash during append, a hand edit) do
 * not make the take fail: one bad line must not hold every other alert
 * back forever.  They are moved, verbatim, to DIR/outbox.rejected
 * (nothing is thrown away) and described in `warnings` of
 * lw_outbox_claim(): "STATE/outbox.jsonl:3: missing 'rule'". */
GPtrArray *lw_outbox_take(const char *dir, GError **error);

/* The two halves of a take, for at-least-once delivery: claim moves the
 * outbox aside to DIR/outbox.taking (merging it into a .taking left over
 * by a crash) and returns its alerts without deleting them; done deletes
 * outbox.taking once every sink had its go.  A crash in between means
 * the next claim returns those alerts again (DESIGN.md allows duplicates
 * for alerts in flight at a crash).  Each rejected line adds a message
 * (char *, owned by the array: give it a g_free free func) to warnings,
 * which may be NULL (error.h, "Warnings").  At most
 * LW_OUTBOX_MAX_BYTES (caps.h) are read: a bigger outbox is an LW_ERROR_TOO_BIG
 * error and stays where it is; a line longer than LW_OUTBOX_MAX_LINE is
 * rejected. */
GPtrArray *lw_outbox_claim(const char *dir, GPtrArray *warnings, GError **error);
int lw_outbox_done(const char *dir, GError **error);

/* Removes these alerts (one line each, as lw_outbox_append wrote them)
 * from DIR/outbox.jsonl, keeping every other line as it is, by one
 * atomic replace (lw_file_write_atomic).  For a daemon that delivers one
 * poll's alerts while the next poll appends its own. */
int lw_outbox_remove(const char *dir, GPtrArray *alerts, GError **error);
