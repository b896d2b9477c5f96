/* Errors reported by the livewatch library.
 *
 * Every function that can fail takes a trailing `GError **error` and
 * fills it with LW_ERROR and one of these codes.  The message names the
 * input that was wrong (FILE:LINE, URL, entry id) so that the caller can
 * print it as is; the library itself never logs.
 *
 * Warnings: a function that meets problems it can go on past (a corrupt
 * line set aside, a stale lock file removed) takes a `GPtrArray *warnings`
 * before its error and adds one newly allocated message (char *) per
 * problem; the caller gives the array a g_free free func, or passes NULL
 * when it does not want them.  That is the one way warnings come up from
 * the library. */
#pragma once

#include <glib.h>

#define LW_ERROR (lw_error_quark())
GQuark lw_error_quark(void);

enum lw_error_code {
	LW_ERROR_FAILED,     /* anything else */
	LW_ERROR_CONFIG,     /* bad config or rule file: message is FILE:LINE: problem */
	LW_ERROR_QUERY,      /* bad query text: message says where in the query */
	LW_ERROR_FETCH,      /* transport failure: DNS, connect, timeout, short body */
	LW_ERROR_HTTP,       /* server answered with an HTTP status >= 400 */
	LW_ERROR_TOO_BIG,    /* a limit was exceeded (page size, entries, depth) */
	LW_ERROR_PARSE,      /* page could not be split into entries */
	LW_ERROR_STORE,      /* git repository or state problem */
	LW_ERROR_LOCKED,     /* another process holds the repository */
	LW_ERROR_SINK,       /* an alert sink could not deliver */
};
