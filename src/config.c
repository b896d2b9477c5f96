#include "config.h"
#include "error.h"
#include "ini-file.h"
#include "url.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_INTERVAL 120
#define DEFAULT_TIMEOUT 30
#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_MAX_SIZE (20u * 1024 * 1024)
#define DEFAULT_MAX_REDIRECTS 5
#define DEFAULT_MAX_ENTRIES 5000

enum section_kind { SEC_NONE, SEC_MAIN, SEC_BLOG, SEC_SINK, SEC_HOST };

struct loader {
	struct lw_config *cfg;
	char *dir;                         /* folder of the config file */
	enum section_kind kind;
	struct lw_config_section *cur;     /* section being filled, or NULL for [livewatch] */
	GHashTable *main_lines;            /* key -> line, for messages about [livewatch] */
};

static const char *const main_keys[] = {
	"repo", "rules", "interval", "user_agent", "timeout", "connect_timeout", "max_size",
	"max_redirects", "max_entries", "alert_on_first_poll", "concurrency", "delay",
	"max_backoff", "adaptive", "max_interval", "max_parse_time", "health_alerts", "pages",
	"max_pages", NULL,
};
static const char *const blog_keys[] = {
	"url", "format", "interval", "rules", "alert_on_first_poll", "follow", "follow_match",
	"pages", "max_pages", "health_alerts", "entry", "id", "time", "updated", "title", "body",
	NULL,
};

static void section_init(struct lw_config_section *sec, const char *name, const char *file,
                         int line)
{
	sec->name = g_strdup(name);
	sec->file = g_strdup(file);
	sec->line = line;
	sec->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	sec->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void section_clear(struct lw_config_section *sec)
{
	g_free(sec->name);
	g_free(sec->file);
	if (sec->keys)
		g_hash_table_unref(sec->keys);
	if (sec->lines)
		g_hash_table_unref(sec->lines);
}

const char *lw_config_section_get(const struct lw_config_section *sec, const char *key)
{
	return g_hash_table_lookup(sec->keys, key);
}

int lw_config_section_line(const struct lw_config_section *sec, const char *key)
{
	int line = GPOINTER_TO_INT(g_hash_table_lookup(sec->lines, key));
	return line ? line : sec->line;
}

static void blog_free(struct lw_blog_config *b)
{
	section_clear(&b->sec);
	g_free(b->follow);
	g_free(b->follow_match);
	g_free(b->xpath.entry);
	g_free(b->xpath.id);
	g_free(b->xpath.time);
	g_free(b->xpath.updated);
	g_free(b->xpath.title);
	g_free(b->xpath.body);
	g_free(b->url);
	g_free(b->format);
	g_strfreev(b->rules);
	g_free(b);
}

static void sink_free(struct lw_sink_config *s)
{
	section_clear(&s->sec);
	g_free(s->type);
	g_free(s);
}

static void host_free(struct lw_host_config *h)
{
	section_clear(&h->sec);
	g_free(h);
}

void lw_config_free(struct lw_config *c)
{
	if (!c)
		return;
	g_free(c->path);
	g_free(c->repo);
	g_strfreev(c->rules);
	g_free(c->user_agent);
	g_ptr_array_unref(c->blogs);
	g_ptr_array_unref(c->sinks);
	g_ptr_array_unref(c->hosts);
	g_free(c);
}

static struct lw_config *config_new(void)
{
	struct lw_config *c = g_new0(struct lw_config, 1);
	c->path = g_strdup("");
	c->interval = DEFAULT_INTERVAL;
	c->timeout = DEFAULT_TIMEOUT;
	c->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
	c->max_size = DEFAULT_MAX_SIZE;
	c->max_redirects = DEFAULT_MAX_REDIRECTS;
	c->max_entries = DEFAULT_MAX_ENTRIES;
	c->concurrency = 8;
	c->host_delay = 1.0;
	c->max_backoff = 1800;
	c->adaptive = true;
	c->max_interval = 900;
	c->max_parse_time = 5.0;
	c->pages = 1;
	c->max_pages = 20;
	c->blogs = g_ptr_array_new_with_free_func((GDestroyNotify)blog_free);
	c->sinks = g_ptr_array_new_with_free_func((GDestroyNotify)sink_free);
	c->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)host_free);
	return c;
}

static char *xdg_dir(const char *env, const char *fallback)
{
	const char *v = g_getenv(env);
	if (v && g_path_is_absolute(v))
		return g_strdup(v);
	return g_build_filename(g_get_home_dir(), fallback, NULL);
}

char *lw_config_default_path(void)
{
	g_autofree char *base = xdg_dir("XDG_CONFIG_HOME", ".config");
	return g_build_filename(base, "livewatch", "config.ini", NULL);
}

char *lw_config_default_repo(void)
{
	g_autofree char *base = xdg_dir("XDG_DATA_HOME", ".local/share");
	return g_build_filename(base, "livewatch", "history", NULL);
}

long lw_config_parse_seconds(const char *s)
{
	char *end;
	if (!s || !g_ascii_isdigit(*s))
		return -1;
	guint64 v = g_ascii_strtoull(s, &end, 10);
	while (*end == ' ')
		end++;
	guint64 mul = 1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mul = 1;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mul = 60;
	else if (!strcmp(end, "h"))
		mul = 3600;
	else if (!strcmp(end, "d"))
		mul = 86400;
	else
		return -1;
	if (v > G_MAXINT32 / mul)
		return -1;
	return (long)(v * mul);
}

gsize lw_config_parse_size(const char *s)
{
	char *end;
	if (!s || !g_ascii_isdigit(*s))
		return 0;
	guint64 v = g_ascii_strtoull(s, &end, 10);
	while (*end == ' ')
		end++;
	guint64 mul;
	if (!*end || !g_ascii_strcasecmp(end, "b"))
		mul = 1;
	else if (!g_ascii_strcasecmp(end, "k") || !g_ascii_strcasecmp(end, "kb"))
		mul = 1024;
	else if (!g_ascii_strcasecmp(end, "m") || !g_ascii_strcasecmp(end, "mb"))
		mul = 1024 * 1024;
	else if (!g_ascii_strcasecmp(end, "g") || !g_ascii_strcasecmp(end, "gb"))
		mul = 1024 * 1024 * 1024;
	else
		return 0;
	if (v == 0 || v > G_MAXSIZE / mul)
		return 0;
	return (gsize)(v * mul);
}

int lw_config_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	for (int i = 0; yes[i]; i++) {
		if (!g_ascii_strcasecmp(s, yes[i]))
			return 1;
		if (!g_ascii_strcasecmp(s, no[i]))
			return 0;
	}
	return -1;
}

static bool valid_name(const char *name)
{
	if (!*name || *name == '.' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("._-", *p))
			return false;
	return true;
}

/* "blog \"NAME\"" -> kind and NAME (inih hands us the text between [ ]). */
static enum section_kind parse_header(const char *section, char **name)
{
	static const struct { const char *word; enum section_kind kind; } kinds[] = {
		{ "blog", SEC_BLOG }, { "sink", SEC_SINK }, { "host", SEC_HOST },
	};
	*name = NULL;
	if (!strcmp(section, "livewatch"))
		return SEC_MAIN;
	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
		gsize wl = strlen(kinds[i].word);
		if (strncmp(section, kinds[i].word, wl) || section[wl] != ' ')
			continue;
		const char *q = section + wl;
		while (*q == ' ')
			q++;
		gsize l = strlen(q);
		if (l >= 2 && q[0] == '"' && q[l - 1] == '"')
			*name = g_strndup(q + 1, l - 2);
		else
			*name = g_strdup(q);
		return kinds[i].kind;
	}
	return SEC_NONE;
}

static int on_section(const char *section, int line, void *user, GError **error)
{
	struct loader *ld = user;
	struct lw_config *cfg = ld->cfg;
	g_autofree char *name = NULL;
	ld->kind = parse_header(section, &name);
	ld->cur = NULL;
	switch (ld->kind) {
	case SEC_NONE:
		lw_ini_error(error, cfg->path, line,
		             "unknown section '[%s]' (expected [livewatch], [blog \"NAME\"], "
		             "[sink \"NAME\"] or [host \"NAME\"])", section);
		return -1;
	case SEC_MAIN:
		return 0;
	default:
		break;
	}
	if (ld->kind == SEC_HOST ? !*name || strchr(name, '/') : !valid_name(name)) {
		lw_ini_error(error, cfg->path, line,
		             "bad name '%s' (use letters, digits, '.', '_' and '-')", name);
		return -1;
	}
	GPtrArray *list = ld->kind == SEC_BLOG ? cfg->blogs :
	                  ld->kind == SEC_SINK ? cfg->sinks : cfg->hosts;
	for (guint i = 0; i < list->len; i++) {
		struct lw_config_section *other = list->pdata[i];
		if (!strcmp(other->name, name)) {
			lw_ini_error(error, cfg->path, line, "'[%s]' already defined at line %d",
			             section, other->line);
			return -1;
		}
	}
	struct lw_config_section *sec;
	if (ld->kind == SEC_BLOG) {
		struct lw_blog_config *b = g_new0(struct lw_blog_config, 1);
		b->format = g_strdup("auto");
		b->interval = -1;
		b->alert_on_first_poll = false;
		b->pages = -1;
		b->max_pages = -1;
		sec = &b->sec;
	} else if (ld->kind == SEC_SINK) {
		struct lw_sink_config *sk = g_new0(struct lw_sink_config, 1);
		sec = &sk->sec;
	} else {
		struct lw_host_config *h = g_new0(struct lw_host_config, 1);
		h->concurrency = 1;
		h->delay = -1;
		sec = &h->sec;
	}
	section_init(sec, name, cfg->path, line);
	g_ptr_array_add(list, sec);
	ld->cur = sec;
	return 0;
}

static bool in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

static char *resolve(const struct loader *ld, const char *path)
{
	g_autofree char *expanded = NULL;
	if (path[0] == '~' && (path[1] == '/' || !path[1]))
		path = expanded = g_build_filename(g_get_home_dir(), path + 1, NULL);
	if (g_path_is_absolute(path))
		return g_canonicalize_filename(path, NULL);
	return g_canonicalize_filename(path, ld->dir);
}

static char **resolve_list(const struct loader *ld, const char *value)
{
	char **items = lw_ini_split_list(value);
	for (char **p = items; *p; p++) {
		char *abs = resolve(ld, *p);
		g_free(*p);
		*p = abs;
	}
	return items;
}

static int seconds_value(const struct loader *ld, const struct lw_ini_item *it, long min,
                         long *out, GError **error)
{
	long v = lw_config_parse_seconds(it->value);
	if (v < min) {
		lw_ini_error(error, ld->cfg->path, it->line,
		             "'%s' must be a number of seconds >= %ld (like 90, 5m, 1h), not '%s'",
		             it->key, min, it->value);
		return -1;
	}
	*out = v;
	return 0;
}

static int bool_value(const struct loader *ld, const struct lw_ini_item *it, bool *out,
                      GError **error)
{
	int v = lw_config_parse_bool(it->value);
	if (v < 0) {
		lw_ini_error(error, ld->cfg->path, it->line, "'%s' must be yes or no, not '%s'",
		             it->key, it->value);
		return -1;
	}
	*out = v;
	return 0;
}

static int int_value(const struct loader *ld, const struct lw_ini_item *it, long min, long max,
                     int *out, GError **error)
{
	char *end;
	gint64 n = g_ascii_strtoll(it->value, &end, 10);
	if (!*it->value || *end || n < min || n > max) {
		lw_ini_error(error, ld->cfg->path, it->line,
		             "'%s' must be a number from %ld to %ld, not '%s'", it->key, min, max,
		             it->value);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int real_value(const struct loader *ld, const struct lw_ini_item *it, double min,
                      double max, double *out, GError **error)
{
	char *end;
	double d = g_ascii_strtod(it->value, &end);
	if (!*it->value || *end || !(d >= min && d <= max)) {
		lw_ini_error(error, ld->cfg->path, it->line,
		             "'%s' must be seconds from %g to %g, not '%s'", it->key, min, max,
		             it->value);
		return -1;
	}
	*out = d;
	return 0;
}

/* pages = 1..max_pages, or "all" (0). */
static int pages_value(const struct loader *ld, const struct lw_ini_item *it, int *out,
                       GError **error)
{
	if (!g_ascii_strcasecmp(it->value, "all")) {
		*out = 0;
		return 0;
	}
	if (int_value(ld, it, 1, 1000, out, NULL) == 0)
		return 0;
	lw_ini_error(error, ld->cfg->path, it->line, "'pages' must be 'all' or a number, not '%s'",
	             it->value);
	return -1;
}

static int main_item(struct loader *ld, const struct lw_ini_item *it, GError **error)
{
	struct lw_config *cfg = ld->cfg;
	const char *k = it->key;
	long v;
	if (!in_list(main_keys, k)) {
		lw_ini_error(error, cfg->path, it->line, "unknown key '%s' in [livewatch]", k);
		return -1;
	}
	g_hash_table_insert(ld->main_lines, g_strdup(k), GINT_TO_POINTER(it->line));
	if (!strcmp(k, "repo")) {
		if (!*it->value) {
			lw_ini_error(error, cfg->path, it->line, "'repo' is empty");
			return -1;
		}
		g_free(cfg->repo);
		cfg->repo = resolve(ld, it->value);
	} else if (!strcmp(k, "rules")) {
		g_strfreev(cfg->rules);
		cfg->rules = resolve_list(ld, it->value);
	} else if (!strcmp(k, "interval")) {
		if (seconds_value(ld, it, 1, &v, error))
			return -1;
		cfg->interval = (int)v;
	} else if (!strcmp(k, "user_agent")) {
		g_free(cfg->user_agent);
		cfg->user_agent = *it->value ? g_strdup(it->value) : NULL;
	} else if (!strcmp(k, "timeout")) {
		if (seconds_value(ld, it, 1, &cfg->timeout, error))
			return -1;
	} else if (!strcmp(k, "connect_timeout")) {
		if (seconds_value(ld, it, 1, &cfg->connect_timeout, error))
			return -1;
	} else if (!strcmp(k, "max_size")) {
		cfg->max_size = lw_config_parse_size(it->value);
		if (!cfg->max_size) {
			lw_ini_error(error, cfg->path, it->line,
			             "'max_size' must be a size like 20MB or 512k, not '%s'", it->value);
			return -1;
		}
	} else if (!strcmp(k, "max_redirects") || !strcmp(k, "max_entries")) {
		char *end;
		guint64 n = g_ascii_strtoull(it->value, &end, 10);
		if (!*it->value || *end || n > 100000 || (!strcmp(k, "max_entries") && n == 0)) {
			lw_ini_error(error, cfg->path, it->line, "'%s' must be a small number, not '%s'",
			             k, it->value);
			return -1;
		}
		if (!strcmp(k, "max_redirects"))
			cfg->max_redirects = (long)n;
		else
			cfg->max_entries = (guint)n;
	} else if (!strcmp(k, "alert_on_first_poll")) {
		return bool_value(ld, it, &cfg->alert_on_first_poll, error);
	} else if (!strcmp(k, "concurrency")) {
		return int_value(ld, it, 1, 256, &cfg->concurrency, error);
	} else if (!strcmp(k, "delay")) {
		return real_value(ld, it, 0, 3600, &cfg->host_delay, error);
	} else if (!strcmp(k, "max_backoff") || !strcmp(k, "max_interval")) {
		if (seconds_value(ld, it, 1, &v, error))
			return -1;
		*(!strcmp(k, "max_backoff") ? &cfg->max_backoff : &cfg->max_interval) = (int)v;
	} else if (!strcmp(k, "adaptive")) {
		return bool_value(ld, it, &cfg->adaptive, error);
	} else if (!strcmp(k, "health_alerts")) {
		return bool_value(ld, it, &cfg->health_alerts, error);
	} else if (!strcmp(k, "max_parse_time")) {
		return real_value(ld, it, 0.01, 600, &cfg->max_parse_time, error);
	} else if (!strcmp(k, "pages")) {
		return pages_value(ld, it, &cfg->pages, error);
	} else if (!strcmp(k, "max_pages")) {
		return int_value(ld, it, 1, 1000, &cfg->max_pages, error);
	}
	return 0;
}

static int url_value(const struct loader *ld, const struct lw_ini_item *it, char **out,
                     GError **error)
{
	if (!lw_url_is_http(it->value)) {
		lw_ini_error(error, ld->cfg->path, it->line,
		             "'%s' must be an http:// or https:// URL, not '%s'", it->key, it->value);
		return -1;
	}
	g_free(*out);
	*out = g_strdup(it->value);
	return 0;
}

static int blog_item(struct loader *ld, struct lw_blog_config *b, const struct lw_ini_item *it,
                     GError **error)
{
	const char *k = it->key;
	long v;
	if (!in_list(blog_keys, k)) {
		lw_ini_error(error, ld->cfg->path, it->line, "unknown key '%s' in [blog \"%s\"]", k,
		             b->sec.name);
		return -1;
	}
	char **xp = !strcmp(k, "entry") ? &b->xpath.entry : !strcmp(k, "id") ? &b->xpath.id :
	            !strcmp(k, "time") ? &b->xpath.time : !strcmp(k, "updated") ? &b->xpath.updated :
	            !strcmp(k, "title") ? &b->xpath.title : !strcmp(k, "body") ? &b->xpath.body :
	            NULL;
	if (xp) {
		g_free(*xp);
		*xp = g_strdup(it->value);
		return 0;
	}
	if (!strcmp(k, "url") || !strcmp(k, "follow")) {
		return url_value(ld, it, !strcmp(k, "url") ? &b->url : &b->follow, error);
	} else if (!strcmp(k, "follow_match")) {
		GError *rerr = NULL;
		GRegex *re = g_regex_new(it->value, 0, 0, &rerr);
		if (!re) {
			lw_ini_error(error, ld->cfg->path, it->line, "bad 'follow_match' regex: %s",
			             rerr->message);
			g_error_free(rerr);
			return -1;
		}
		g_regex_unref(re);
		g_free(b->follow_match);
		b->follow_match = g_strdup(it->value);
	} else if (!strcmp(k, "pages")) {
		return pages_value(ld, it, &b->pages, error);
	} else if (!strcmp(k, "max_pages")) {
		return int_value(ld, it, 1, 1000, &b->max_pages, error);
	} else if (!strcmp(k, "health_alerts")) {
		return bool_value(ld, it, &b->health_alerts, error);
	} else if (!strcmp(k, "format")) {
		g_free(b->format);
		b->format = g_strdup(it->value);
	} else if (!strcmp(k, "interval")) {
		if (seconds_value(ld, it, 1, &v, error))
			return -1;
		b->interval = (int)v;
	} else if (!strcmp(k, "rules")) {
		g_strfreev(b->rules);
		b->rules = resolve_list(ld, it->value);
	} else if (!strcmp(k, "alert_on_first_poll")) {
		return bool_value(ld, it, &b->alert_on_first_poll, error);
	}
	return 0;
}

static int host_item(struct loader *ld, struct lw_host_config *h, const struct lw_ini_item *it,
                     GError **error)
{
	char *end;
	if (!strcmp(it->key, "concurrency")) {
		guint64 n = g_ascii_strtoull(it->value, &end, 10);
		if (!*it->value || *end || n < 1 || n > 64) {
			lw_ini_error(error, ld->cfg->path, it->line,
			             "'concurrency' must be a number from 1 to 64, not '%s'", it->value);
			return -1;
		}
		h->concurrency = (int)n;
	} else if (!strcmp(it->key, "delay")) {
		double d = g_ascii_strtod(it->value, &end);
		if (!*it->value || *end || d < 0 || d > 3600) {
			lw_ini_error(error, ld->cfg->path, it->line,
			             "'delay' must be seconds from 0 to 3600, not '%s'", it->value);
			return -1;
		}
		h->delay = d;
	} else {
		lw_ini_error(error, ld->cfg->path, it->line, "unknown key '%s' in [host \"%s\"]",
		             it->key, h->sec.name);
		return -1;
	}
	return 0;
}

static int on_item(const struct lw_ini_item *it, void *user, GError **error)
{
	struct loader *ld = user;
	struct lw_config_section *sec = ld->cur;
	if (ld->kind == SEC_NONE) {
		lw_ini_error(error, ld->cfg->path, it->line,
		             "'%s' outside any section (start with [livewatch])", it->key);
		return -1;
	}
	if (sec) {
		if (g_hash_table_contains(sec->keys, it->key)) {
			lw_ini_error(error, ld->cfg->path, it->line, "'%s' set twice (first at line %d)",
			             it->key, lw_config_section_line(sec, it->key));
			return -1;
		}
		g_hash_table_insert(sec->keys, g_strdup(it->key), g_strdup(it->value));
		g_hash_table_insert(sec->lines, g_strdup(it->key), GINT_TO_POINTER(it->line));
	}
	switch (ld->kind) {
	case SEC_MAIN:
		return main_item(ld, it, error);
	case SEC_BLOG:
		return blog_item(ld, (struct lw_blog_config *)sec, it, error);
	case SEC_SINK:
		if (!strcmp(it->key, "type")) {
			struct lw_sink_config *s = (struct lw_sink_config *)sec;
			g_free(s->type);
			s->type = g_strdup(it->value);
		}
		/* Other keys belong to the sink type; the alert module checks them. */
		return 0;
	case SEC_HOST:
		return host_item(ld, (struct lw_host_config *)sec, it, error);
	default:
		return 0;
	}
}

static int validate(struct loader *ld, GError **error)
{
	struct lw_config *cfg = ld->cfg;
	for (guint i = 0; i < cfg->blogs->len; i++) {
		struct lw_blog_config *b = cfg->blogs->pdata[i];
		if (!b->url) {
			lw_ini_error(error, cfg->path, b->sec.line, "[blog \"%s\"] has no 'url'",
			             b->sec.name);
			return -1;
		}
		if (b->interval < 0)
			b->interval = cfg->interval;
		if (!g_hash_table_contains(b->sec.keys, "alert_on_first_poll"))
			b->alert_on_first_poll = cfg->alert_on_first_poll;
		if (!g_hash_table_contains(b->sec.keys, "health_alerts"))
			b->health_alerts = cfg->health_alerts;
		if (b->pages < 0)
			b->pages = cfg->pages;
		if (b->max_pages < 0)
			b->max_pages = cfg->max_pages;
		if (!strcmp(b->format, "xpath") && (!b->xpath.entry || !b->xpath.body)) {
			lw_ini_error(error, cfg->path, b->sec.line,
			             "[blog \"%s\"] format = xpath needs 'entry' and 'body' expressions",
			             b->sec.name);
			return -1;
		}
	}
	for (guint i = 0; i < cfg->hosts->len; i++) {
		struct lw_host_config *h = cfg->hosts->pdata[i];
		if (h->delay < 0)
			h->delay = cfg->host_delay;
	}
	for (guint i = 0; i < cfg->sinks->len; i++) {
		struct lw_sink_config *s = cfg->sinks->pdata[i];
		if (!s->type || !*s->type) {
			lw_ini_error(error, cfg->path, s->sec.line, "[sink \"%s\"] has no 'type'",
			             s->sec.name);
			return -1;
		}
	}
	return 0;
}

struct lw_config *lw_config_load(const char *path, GError **error)
{
	struct lw_config *cfg = config_new();
	g_free(cfg->path);
	cfg->path = g_strdup(path);
	g_autofree char *abs = g_canonicalize_filename(path, NULL);
	struct loader ld = {
		.cfg = cfg,
		.dir = g_path_get_dirname(abs),
		.kind = SEC_NONE,
		.main_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	};
	int rc = lw_ini_parse(path, on_section, on_item, &ld, error);
	if (rc == 0)
		rc = validate(&ld, error);
	if (rc == 0 && !cfg->repo)
		cfg->repo = lw_config_default_repo();
	if (rc == 0 && !cfg->rules)
		cfg->rules = g_new0(char *, 1);
	g_free(ld.dir);
	g_hash_table_unref(ld.main_lines);
	if (rc < 0) {
		lw_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct lw_config *lw_config_new_default(void)
{
	struct lw_config *cfg = config_new();
	cfg->repo = lw_config_default_repo();
	cfg->rules = g_new0(char *, 1);
	return cfg;
}

const struct lw_host_config *lw_config_find_host(const struct lw_config *c, const char *host)
{
	for (guint i = 0; host && i < c->hosts->len; i++) {
		const struct lw_host_config *h = c->hosts->pdata[i];
		if (!g_ascii_strcasecmp(h->sec.name, host))
			return h;
	}
	return NULL;
}

const struct lw_blog_config *lw_config_find_blog(const struct lw_config *c, const char *name)
{
	for (guint i = 0; i < c->blogs->len; i++) {
		const struct lw_blog_config *b = c->blogs->pdata[i];
		if (!strcmp(b->sec.name, name))
			return b;
	}
	return NULL;
}
