/* Logging for the command line and the daemon.  It lives in daemon/ so
 * that the library (src/), which never logs, cannot include it.
 *
 * When stderr is the journal (lw_log_journal()) each line starts with a
 * syslog priority prefix "<3>".."<7>" so the journal keeps priorities;
 * otherwise lines are plain, on stderr. */
#pragma once

#include <glib.h>
#include <stdbool.h>

enum lw_log_level {
	LW_LOG_ERROR = 3,
	LW_LOG_WARNING = 4,
	LW_LOG_NOTICE = 5,
	LW_LOG_INFO = 6,
	LW_LOG_DEBUG = 7,
};

/* Lines above this level are dropped (default LW_LOG_INFO). */
void lw_log_set_level(enum lw_log_level max);
enum lw_log_level lw_log_get_level(void);

void lw_log(enum lw_log_level level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Whether stderr is the journal: $JOURNAL_STREAM names stderr's device
 * and inode (systemd.exec(5)); a JOURNAL_STREAM that names another file
 * (stderr redirected since) is not the journal.  Read once. */
bool lw_log_journal(void);

/* Start each line with the local time ("2023-02-14 18:31:02 "), except
 * under the journal, which has its own.  `run` turns it on unless
 * LIVEWATCH_LOG_TIME=0 (the journal never gets it). */
void lw_log_set_timestamps(bool on);

/* text of several lines (every problem of a config, one a line) as one
 * log line each, each with its level. */
void lw_log_lines(enum lw_log_level level, const char *text);

#define lw_error(...) lw_log(LW_LOG_ERROR, __VA_ARGS__)
#define lw_warn(...) lw_log(LW_LOG_WARNING, __VA_ARGS__)
#define lw_notice(...) lw_log(LW_LOG_NOTICE, __VA_ARGS__)
#define lw_info(...) lw_log(LW_LOG_INFO, __VA_ARGS__)
#define lw_debug(...) lw_log(LW_LOG_DEBUG, __VA_ARGS__)
