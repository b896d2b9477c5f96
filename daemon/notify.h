/* The systemd notification protocol (sd_notify(3)), written out: one
 * datagram of "KEY=VALUE\n" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET ("@name" for the abstract namespace).  Without
 * NOTIFY_SOCKET every call is a no-op; failures are ignored, as
 * systemd's own client does: a daemon must not die because its
 * supervisor went away. */
#pragma once

#include <glib.h>

/* Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (once; later calls
 * are no-ops).  The environment is left as it is, so a child we spawn
 * (exec sink) would see it: sinks do not pass these on. */
void lw_notify_init(void);

/* Sends state ("READY=1", "STATUS=...", several lines joined by \n).
 * Returns TRUE when a datagram was sent. */
gboolean lw_notify(const char *state);
gboolean lw_notify_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* The watchdog period in microseconds when systemd asked for keep-alive
 * pings for this process (WATCHDOG_USEC set, WATCHDOG_PID unset or ours),
 * else 0. */
guint64 lw_notify_watchdog_usec(void);
