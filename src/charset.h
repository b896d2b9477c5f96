/* Which charset a page's bytes are in, and the one conversion libxml2
 * cannot be trusted with (windows-1252).  Reads bytes only: no tree. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* The charset to parse data with, newly allocated: http (the HTTP
 * Content-Type's charset, NULL or "" when none), else a <meta> charset in
 * the first 4 KB, else a byte order mark, else UTF-8.  Latin-1 labels
 * (and ASCII) mean windows-1252, as on the web (HTML5); a name libxml2
 * does not know gives "UTF-8"; UTF-8 (labelled or assumed) whose bytes
 * are mostly not UTF-8 gives "windows-1252".  Never NULL. */
char *lw_charset_choose(const char *http, const char *data, gsize len);

/* data read as windows-1252 as the WHATWG Encoding Standard defines it
 * (every byte maps, so no page makes it fail), as newly allocated UTF-8
 * of *out_len bytes.  Never NULL. */
char *lw_charset_cp1252_to_utf8(const char *data, gsize len, gsize *out_len);

/* What g_utf8_validate_len(data, len, NULL) says (valid UTF-8, no NUL
 * byte), eight ASCII bytes at a time: a fraction of its cost on text
 * that is mostly ASCII. */
bool lw_charset_valid_utf8(const char *data, gsize len);
