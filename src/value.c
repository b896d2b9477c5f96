#include "value.h"
#include "error.h"
#include "ini-file.h"
#include "url.h"

#include <math.h>
#include <string.h>

/* A decimal number ("90", "1.5") at s; *end after it.  -1 when s does
 * not start with one. */
static int number(const char *s, double *out, const char **end)
{
	const char *p = s;
	while (g_ascii_isdigit(*p))
		p++;
	if (p == s)
		return -1;
	if (*p == '.' && g_ascii_isdigit(p[1]))
		for (p++; g_ascii_isdigit(*p); p++)
			;
	/* a dozen digits is more than any value here; strtod cannot overflow */
	if (p - s > 15)
		return -1;
	*out = g_ascii_strtod(s, NULL);
	while (*p == ' ')
		p++;
	*end = p;
	return 0;
}

int lw_value_seconds(const char *s, double *out)
{
	static const struct { const char *unit; double mul; } units[] = {
		{ "", 1 }, { "s", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 }, { "d", 86400 },
	};
	double v;
	const char *unit;
	if (!s || number(s, &v, &unit) < 0)
		return -1;
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
		if (!strcmp(unit, units[i].unit)) {
			*out = v * units[i].mul;
			return 0;
		}
	}
	return -1;
}

int lw_value_size(const char *s, guint64 *out)
{
	static const struct { const char *unit; guint64 mul; } units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1u << 10 }, { "kb", 1u << 10 }, { "m", 1u << 20 },
		{ "mb", 1u << 20 }, { "g", 1u << 30 }, { "gb", 1u << 30 },
	};
	double v;
	const char *unit;
	if (!s || number(s, &v, &unit) < 0 || v != floor(v))
		return -1;
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
		if (!g_ascii_strcasecmp(unit, units[i].unit)) {
			if (v > (double)(G_MAXUINT64 / units[i].mul))
				return -1;
			*out = (guint64)v * units[i].mul;
			return 0;
		}
	}
	return -1;
}

int lw_value_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (gsize i = 0; s && i < G_N_ELEMENTS(yes); i++) {
		if (!g_ascii_strcasecmp(s, yes[i]) || !g_ascii_strcasecmp(s, no[i])) {
			*out = !g_ascii_strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return -1;
}

char *lw_value_path(const char *path, const char *dir)
{
	if (path[0] == '~' && (path[1] == '/' || !path[1])) {
		g_autofree char *home = g_build_filename(g_get_home_dir(), path + 1, NULL);
		return g_canonicalize_filename(home, NULL);
	}
	return g_canonicalize_filename(path, g_path_is_absolute(path) ? NULL : dir);
}

const struct lw_value_key *lw_value_find(const struct lw_value_key *table, const char *key)
{
	for (; table->key; table++)
		if (!strcmp(table->key, key))
			return table;
	return NULL;
}

char *lw_value_key_names(const struct lw_value_key *table)
{
	GString *s = g_string_new(NULL);
	for (; table->key; table++)
		g_string_append_printf(s, "%s%s", s->len ? ", " : "", table->key);
	return g_string_free(s, FALSE);
}

/* "a, b or c" */
static char *word_list(const char *const *names)
{
	GString *s = g_string_new(NULL);
	for (gsize i = 0; names[i]; i++)
		g_string_append_printf(s, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ",
		                       names[i]);
	return g_string_free(s, FALSE);
}

static char *size_text(double bytes)
{
	return g_format_size_full((guint64)bytes, G_FORMAT_SIZE_IEC_UNITS);
}

/* What k accepts, for "'KEY' must be ..., not 'V'". */
static char *accepted(const struct lw_value_key *k)
{
	bool open_max = k->max >= (double)G_MAXINT32;
	switch (k->type) {
	case LW_VALUE_BOOL:
		return g_strdup("yes or no");
	case LW_VALUE_INT:
		return g_strdup_printf("%s%s%sa number from %.0f to %.0f", k->zero ? "'" : "",
		                       k->zero ? k->zero : "", k->zero ? "' or " : "", k->min, k->max);
	case LW_VALUE_SECONDS:
		if (open_max)
			return g_strdup_printf("a number of seconds >= %.0f (like 90, 5m, 1h)", k->min);
		return g_strdup_printf("a number of seconds from %.0f to %.0f (like 90, 5m, 1h)",
		                       k->min, k->max);
	case LW_VALUE_DELAY:
		return g_strdup_printf("a number of seconds from %g to %g (like 0.5, 2, 1m)", k->min,
		                       k->max);
	case LW_VALUE_SIZE: {
		if (k->max >= 1e15)
			return g_strdup("a size like 20MB or 512k");
		g_autofree char *lo = size_text(k->min), *hi = size_text(k->max);
		return g_strdup_printf("a size like 20MB or 512k, from %s to %s", lo, hi);
	}
	case LW_VALUE_ENUM: {
		g_autofree char *words = word_list(k->names);
		return g_strdup_printf("%s%s", k->names[1] ? "one of " : "", words);
	}
	case LW_VALUE_URL:
		return g_strdup("an http:// or https:// URL");
	case LW_VALUE_PATH:
	case LW_VALUE_PATHS:
		return g_strdup("a path");
	case LW_VALUE_STRING:
	case LW_VALUE_REGEX:
	default:
		return g_strdup("a value");
	}
}

static void store_number(const struct lw_value_key *k, void *field, double v)
{
	switch (k->field) {
	case LW_FIELD_BOOL:
		*(bool *)field = v != 0;
		break;
	case LW_FIELD_INT:
		*(int *)field = (int)v;
		break;
	case LW_FIELD_UINT:
		*(unsigned int *)field = (unsigned int)v;
		break;
	case LW_FIELD_LONG:
		*(long *)field = (long)v;
		break;
	case LW_FIELD_SIZE:
		*(gsize *)field = (gsize)v;
		break;
	case LW_FIELD_DOUBLE:
		*(double *)field = v;
		break;
	default:
		g_assert_not_reached();
	}
}

static void store_string(void *field, char *s)
{
	g_free(*(char **)field);
	*(char **)field = s;
}

/* The value as a number in k's range, or -1. */
static int numeric(const struct lw_value_key *k, const char *value, double *out)
{
	double v;
	guint64 bytes;
	bool b;
	switch (k->type) {
	case LW_VALUE_BOOL:
		if (lw_value_bool(value, &b) < 0)
			return -1;
		*out = b;
		return 0;
	case LW_VALUE_INT:
		if (k->zero && !g_ascii_strcasecmp(value, k->zero)) {
			*out = 0;
			return 0;
		}
		if (number(value, &v, &value) < 0 || *value || v != floor(v))
			return -1;
		break;
	case LW_VALUE_SECONDS:
		if (lw_value_seconds(value, &v) < 0 || v != floor(v))
			return -1;
		break;
	case LW_VALUE_DELAY:
		if (lw_value_seconds(value, &v) < 0)
			return -1;
		break;
	case LW_VALUE_SIZE:
		if (lw_value_size(value, &bytes) < 0)
			return -1;
		v = (double)bytes;
		break;
	case LW_VALUE_ENUM:
		for (gsize i = 0; k->names[i]; i++) {
			if (!strcmp(value, k->names[i])) {
				*out = (double)i;
				return 0;
			}
		}
		return -1;
	default:
		return -1;
	}
	if (!(v >= k->min && v <= k->max))
		return -1;
	*out = v;
	return 0;
}

int lw_value_set(const struct lw_value_key *k, const char *value, void *base,
                 const struct lw_value_src *src, int line, GError **error)
{
	void *field = (char *)base + k->offset;
	const char *file = src->file ? src->file : "(config)";
	const char *prefix = src->prefix ? src->prefix : "";
	double v;
	switch (k->type) {
	case LW_VALUE_STRING:
		store_string(field, g_strdup(value));
		return 0;
	case LW_VALUE_URL:
		if (!lw_url_is_http(value))
			break;
		store_string(field, g_strdup(value));
		return 0;
	case LW_VALUE_REGEX: {
		g_autoptr(GError) rerr = NULL;
		g_autoptr(GRegex) re = g_regex_new(value, 0, 0, &rerr);
		if (!re) {
			lw_ini_error(error, file, line, "%sbad '%s' regex: %s", prefix, k->key,
			             rerr->message);
			return -1;
		}
		store_string(field, g_strdup(value));
		return 0;
	}
	case LW_VALUE_PATH:
		if (!*value) {
			lw_ini_error(error, file, line, "%s'%s' is empty", prefix, k->key);
			return -1;
		}
		store_string(field, lw_value_path(value, src->dir));
		return 0;
	case LW_VALUE_PATHS: {
		char **items = lw_ini_split_list(value);
		for (char **p = items; *p; p++) {
			char *abs = lw_value_path(*p, src->dir);
			g_free(*p);
			*p = abs;
		}
		g_strfreev(*(char ***)field);
		*(char ***)field = items;
		return 0;
	}
	default:
		if (numeric(k, value, &v) < 0)
			break;
		store_number(k, field, v);
		return 0;
	}
	g_autofree char *forms = accepted(k);
	lw_ini_error(error, file, line, "%s'%s' must be %s, not '%s'", prefix, k->key, forms, value);
	return -1;
}

void lw_value_clear(const struct lw_value_key *table, void *base)
{
	for (; table->key; table++) {
		void *field = (char *)base + table->offset;
		if (table->field == LW_FIELD_STR)
			g_clear_pointer((char **)field, g_free);
		else if (table->field == LW_FIELD_STRV)
			g_clear_pointer((char ***)field, g_strfreev);
	}
}

static gint by_line(gconstpointer a, gconstpointer b, gpointer sec)
{
	int la = lw_config_section_line(sec, *(const char *const *)a);
	int lb = lw_config_section_line(sec, *(const char *const *)b);
	return la != lb ? (la < lb ? -1 : 1) : strcmp(*(const char *const *)a, *(const char *const *)b);
}

int lw_value_read(const struct lw_value_key *table, const struct lw_config_section *sec,
                  void *base, const struct lw_value_src *src, const char *where,
                  GError **error)
{
	if (!sec->keys)
		return 0;
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer kp;
	g_hash_table_iter_init(&it, sec->keys);
	while (g_hash_table_iter_next(&it, &kp, NULL))
		g_ptr_array_add(keys, kp);
	g_ptr_array_sort_with_data(keys, by_line, (gpointer)sec);
	/* every bad key of the section, one a line, not only the first */
	g_autoptr(GString) all = g_string_new(NULL);
	GError *err = NULL;
	for (guint i = 0; i < keys->len; i++) {
		const char *key = keys->pdata[i];
		int line = lw_config_section_line(sec, key);
		const struct lw_value_key *k = lw_value_find(table, key);
		if (!k && where) {
			g_autofree char *names = lw_value_key_names(table);
			lw_ini_error(&err, src->file ? src->file : "(config)", line,
			             "%sunknown key '%s' in %s (keys: %s)", src->prefix ? src->prefix : "",
			             key, where, names);
		} else if (k) {
			lw_value_set(k, g_hash_table_lookup(sec->keys, key), base, src, line, &err);
		}
		if (err) {
			g_string_append_printf(all, "%s%s", all->len ? "\n" : "", err->message);
			g_clear_error(&err);
		}
	}
	if (!all->len)
		return 0;
	g_set_error_literal(error, LW_ERROR, LW_ERROR_CONFIG, all->str);
	return -1;
}
