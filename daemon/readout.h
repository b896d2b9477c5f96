/* What the commands that read the history share (daemon/history.c):
 * log, show, alerts, match --history, report. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "config.h"
#include "history.h"

/* Appends s[0..len) to out with control characters (C0 but tab and, when
 * newline_ok, newline; DEL; C1 in UTF-8) shown as '?', so recorded text
 * cannot drive the terminal. */
void lw_readout_append_clean(GString *out, const char *s, gsize len, bool newline_ok);
/* The same, to stdout; put_str: a one-line string. */
void lw_readout_put_clean(const char *s, gsize len, bool newline_ok);
void lw_readout_put_str(const char *s);

/* t (unix seconds) in local time, formatted with fmt; "?" when out of range. */
char *lw_readout_local_time(gint64 t, const char *fmt);

/* Flushes stdout: status, or 1 after saying why the output failed (a
 * closed pipe is not a failure). */
int lw_readout_finish(int status);

/* True when the config or the history knows blog; says why not. */
bool lw_readout_blog_known(const struct lw_config *cfg, struct lw_history_reader *r,
                           const char *blog);

/* The config's history, opened for reading to stdout (SIGPIPE ignored);
 * NULL after saying why. */
struct lw_history_reader *lw_readout_open(const struct lw_config *cfg);
/* The same, with blog (when not NULL) known to the history or the
 * config; NULL after saying why, with the exit status to return in
 * *status (EXIT_RUNTIME: no history to read; EXIT_USAGE: no such blog). */
struct lw_history_reader *lw_readout_open_blog(const struct lw_config *cfg, const char *blog,
                                               int *status);

/* --since's text for cmd as unix seconds, now being the present; -1
 * after saying why it is not a time. */
gint64 lw_readout_since(const char *cmd, const char *text, gint64 now);

/* `livewatch alerts [BLOG] [--since T] [--json]` and `livewatch match
 * QUERY --history [BLOG] [--since T]` (daemon/backtest.c), reading
 * cfg->repo; they return the exit status. */
int lw_alerts_main(const struct lw_config *cfg, int argc, char **argv);
int lw_match_history_main(const struct lw_config *cfg, int argc, char **argv);

/* `livewatch report [BLOG] [--since T] [-o FILE]` (daemon/publish.c). */
int lw_report_main(const struct lw_config *cfg, int argc, char **argv);
