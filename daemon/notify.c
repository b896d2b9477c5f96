/* sd_notify without libsystemd: the protocol is one datagram.  The socket
 * is non-blocking: a supervisor that stops reading must not stall the loop
 * (a lost STATUS= is harmless; the next one replaces it). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct {
	gboolean inited;
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	guint64 watchdog_usec;
} N = { .fd = -1 };

void lw_notify_init(void)
{
	if (N.inited)
		return;
	N.inited = TRUE;
	const char *wd = g_getenv("WATCHDOG_USEC");
	const char *wpid = g_getenv("WATCHDOG_PID");
	if (wd && (!wpid || g_ascii_strtoull(wpid, NULL, 10) == (guint64)getpid()))
		N.watchdog_usec = g_ascii_strtoull(wd, NULL, 10);

	const char *path = g_getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return;
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(N.addr.sun_path))
		return;
	memset(&N.addr, 0, sizeof(N.addr));
	N.addr.sun_family = AF_UNIX;
	memcpy(N.addr.sun_path, path, len);
	if (path[0] == '@')
		N.addr.sun_path[0] = '\0';
	/* Abstract names are exact lengths, filesystem ones NUL-terminated. */
	N.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	                         (path[0] == '/' ? 1 : 0));
	N.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

gboolean lw_notify(const char *state)
{
	lw_notify_init();
	if (N.fd < 0)
		return FALSE;
	ssize_t n;
	do
		n = sendto(N.fd, state, strlen(state), MSG_NOSIGNAL,
		           (const struct sockaddr *)&N.addr, N.addr_len);
	while (n < 0 && errno == EINTR);
	return n >= 0;
}

gboolean lw_notify_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return lw_notify(s);
}

guint64 lw_notify_watchdog_usec(void)
{
	lw_notify_init();
	return N.watchdog_usec;
}
