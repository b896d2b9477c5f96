/* Typed values of livewatch's INI files: one parser per type, and the
 * tables that say which key of a section is which type (like mako's
 * types.h).  [livewatch], [blog], [host], every [sink] type and the
 * rules' settings read their values through here, so "1min", "20MB" or
 * "yes" mean the same in every section.
 *
 * Accepted forms:
 *   seconds   a number and an optional unit: 90, 90s, 5m, 5min, 2h, 1d
 *             (a space may come before the unit); LW_VALUE_SECONDS keys
 *             want whole seconds (1.5m is 90), LW_VALUE_DELAY keys take
 *             fractions too (0.5, 1.5s)
 *   size      bytes, or a number with b, k, kb, m, mb, g, gb (any case;
 *             k = 1024)
 *   bool      yes/no, true/false, on/off, 1/0 (any case)
 *   int       a decimal number, optionally one word that stands for 0
 *             ("all")
 *   enum      one of the key's words, exactly
 *   url       an http:// or https:// URL with a host (url.h)
 *   path      "~" or "~/..." is the home folder, a relative path is
 *             taken from the config file's folder (lw_value_path)
 *   regex     a GRegex (PCRE) that compiles
 *
 * Errors are LW_ERROR_CONFIG "FILE:LINE: PREFIX'KEY' must be ..., not
 * 'VALUE'", naming the accepted forms and the range. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The parsers: 0 and *out set, or -1 and *out untouched. */
int lw_value_seconds(const char *s, double *out);
int lw_value_size(const char *s, guint64 *out);
int lw_value_bool(const char *s, bool *out);

/* path as an absolute, canonical path: "~" and "~/x" from the home
 * folder, a relative path from dir (the current folder when dir is
 * NULL).  The one resolver of paths written in config files.  New
 * string. */
char *lw_value_path(const char *path, const char *dir);

enum lw_value_type {
	LW_VALUE_STRING,   /* copied as written */
	LW_VALUE_BOOL,
	LW_VALUE_INT,      /* min..max, or the word `zero` for 0 */
	LW_VALUE_SECONDS,  /* whole seconds, min..max */
	LW_VALUE_DELAY,    /* seconds with fractions, min..max */
	LW_VALUE_SIZE,     /* bytes, min..max */
	LW_VALUE_ENUM,     /* the index of the value in `names` */
	LW_VALUE_URL,      /* http(s) */
	LW_VALUE_REGEX,
	LW_VALUE_PATH,     /* absolute (lw_value_path); never empty */
	LW_VALUE_PATHS,    /* comma-separated paths: char **, each absolute */
};

/* The C type of the field a key fills, found by LW_VALUE_AT. */
enum lw_value_field {
	LW_FIELD_BOOL, LW_FIELD_INT, LW_FIELD_UINT, LW_FIELD_LONG, LW_FIELD_SIZE,
	LW_FIELD_DOUBLE, LW_FIELD_STR, LW_FIELD_STRV,
};

#define LW_VALUE_FIELD_OF(x) _Generic((x), \
	bool: LW_FIELD_BOOL, int: LW_FIELD_INT, unsigned int: LW_FIELD_UINT, \
	long: LW_FIELD_LONG, unsigned long: LW_FIELD_SIZE, double: LW_FIELD_DOUBLE, \
	char *: LW_FIELD_STR, char **: LW_FIELD_STRV)

/* In a table: the field of struct T this key fills. */
#define LW_VALUE_AT(T, f) .offset = offsetof(T, f), .field = LW_VALUE_FIELD_OF(((T *)0)->f)

/* One key of a section.  A table is an array ending with { NULL }. */
struct lw_value_key {
	const char *key;
	enum lw_value_type type;
	gsize offset;
	enum lw_value_field field;
	double min, max;            /* INT, SECONDS, DELAY, SIZE */
	const char *const *names;   /* ENUM: the words, NULL-terminated */
	const char *zero;           /* INT: a word meaning 0 ("all"), or NULL */
};

const struct lw_value_key *lw_value_find(const struct lw_value_key *table, const char *key);
/* "a, b, c": the table's keys, for messages.  New string. */
char *lw_value_key_names(const struct lw_value_key *table);

/* Where values come from, for paths and messages. */
struct lw_value_src {
	const char *file;    /* the config file, as named */
	const char *dir;     /* its folder, absolute (relative paths), or NULL */
	const char *prefix;  /* put before messages ("sink 'x': "), or NULL */
};

/* Parses value as k says into the field of base that k names (a string
 * field's old value is freed).  Errors as above, at line. */
int lw_value_set(const struct lw_value_key *k, const char *value, void *base,
                 const struct lw_value_src *src, int line, GError **error);

/* Frees the string and string-vector fields of base that table names
 * (and sets them to NULL): what a struct filled by a table owns. */
void lw_value_clear(const struct lw_value_key *table, void *base);

/* Sets every key of sec that table names, in file order.  A key the
 * table lacks is an error "unknown key 'K' in WHERE (keys: ...)" when
 * where is given, and is left to the caller when it is NULL.  Every bad
 * key is said, one a line of the error's message; the good ones are set
 * all the same. */
int lw_value_read(const struct lw_value_key *table, const struct lw_config_section *sec,
                  void *base, const struct lw_value_src *src, const char *where,
                  GError **error);
