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
 * 0, or -1 with *error set (the callback should use lw_ini_error() so
 * the message names FILE:LINE).  An error does not stop the parse: the
 * callbacks see every good line, so that every problem is said. */
typedef int (*lw_ini_cb)(const struct lw_ini_item *item, void *user, GError **error);

/* Called once per section header, in file order (may be NULL); an error
 * is said like an item's, and the items of that section still come. */
typedef int (*lw_ini_section_cb)(const char *section, int line, void *user, GError **error);

/* Reads path and hands its sections and items to the callbacks, in file
 * order.
 *
 * Every problem of the file is said, not only the first: each line too
 * long for inih, each line inih rejects ("[section" without "]", a line
 * without "=" or ":"), then each error a callback returns; one
 * "FILE:LINE: problem" a line, the syntax errors in line order first, at
 * most LW_INI_PROBLEMS_MAX (caps.h) and then that there are more.  What is a
 * syntax error is inih's word, not a second grammar: inih returns only
 * the first bad line, so that line is handed to it empty (which changes
 * nothing else it reads) and the file read again, until it takes the
 * file.  The callbacks then see the good lines, even of a file with
 * syntax errors, so their problems are said too; such a file is bad all
 * the same.
 *
 * Returns 0, or a negative number with *error (LW_ERROR_CONFIG) holding
 * every message joined by '\n': LW_INI_BAD_LINES when some lines could
 * not be read (too long, or rejected by inih), so that a key missing from
 * a section may be on one of them and should not be said missing too;
 * -1 for other problems.  A file that cannot be read, holds a NUL byte or
 * is not UTF-8 is one message (-1), and no callback runs. */
#define LW_INI_BAD_LINES (-2)
int lw_ini_parse(const char *path, lw_ini_section_cb on_section, lw_ini_cb on_item,
                 void *user, GError **error);

/* Sets error to LW_ERROR_CONFIG "FILE:LINE: " + the formatted text. */
void lw_ini_error(GError **error, const char *file, int line, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* Splits "a, b ,c" into a NULL-terminated vector of trimmed non-empty items. */
char **lw_ini_split_list(const char *value);
