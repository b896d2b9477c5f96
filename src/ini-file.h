/* INI files through inih, with the fixes every livewatch file needs.
 *
 * Debian's inih stops a line at 199 bytes and reports it as an error
 * (after handing the pieces to the handler); values are only valid during
 * the callback; indented continuation lines arrive as extra values of the
 * same key.  lw_ini_parse() gives callers whole items instead: the
 * continuation lines joined with a space, values copied, and every error
 * as "FILE:LINE: problem". */
#pragma once

#include <glib.h>

struct lw_ini_item {
	const char *section;  /* "" before the first section */
	const char *key;
	const char *value;    /* continuations joined with ' ', trimmed */
	int line;             /* line of the key */
};

/* Called once per key (after its continuation lines are joined).  Return
 * 0 to go on, or -1 with *error set (the callback should use
 * lw_ini_error() so the message names FILE:LINE). */
typedef int (*lw_ini_cb)(const struct lw_ini_item *item, void *user, GError **error);

/* Called once per section header, in file order (may be NULL). */
typedef int (*lw_ini_section_cb)(const char *section, int line, void *user, GError **error);

int lw_ini_parse(const char *path, lw_ini_section_cb on_section, lw_ini_cb on_item,
                 void *user, GError **error);

/* Sets error to LW_ERROR_CONFIG "FILE:LINE: " + the formatted text. */
void lw_ini_error(GError **error, const char *file, int line, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* Splits "a, b ,c" into a NULL-terminated vector of trimmed non-empty items. */
char **lw_ini_split_list(const char *value);
