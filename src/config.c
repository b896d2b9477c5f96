#include "config.h"
#include "caps.h"
#include "error.h"
#include "ini-file.h"
#include "name.h"
#include "value.h"

#include <string.h>

#define DEFAULT_INTERVAL 120
#define DEFAULT_TIMEOUT 30
#define DEFAULT_CONNECT_TIMEOUT 10

enum section_kind { SEC_NONE, SEC_MAIN, SEC_BLOG, SEC_SINK, SEC_HOST };

struct loader {
	struct lw_config *cfg;
	char *dir;                         /* folder of the config file */
	enum section_kind kind;
	struct lw_config_section *cur;     /* section being filled, NULL after a bad header
	                                      (its keys are not said again) */
	bool bad_header;                   /* the last header was an unknown section */
};

#define OPEN_MAX G_MAXINT32   /* seconds: no upper bound but what an int holds */

/* A key of one of the tables below (value.h): name, type, field, range. */
#define KEY(T, k, type_, f, lo, hi) \
	{ .key = k, .type = type_, LW_VALUE_AT(T, f), .min = lo, .max = hi }

/* [livewatch] */
static const struct lw_value_key main_keys[] = {
	KEY(struct lw_config, "repo", LW_VALUE_PATH, repo, 0, 0),
	KEY(struct lw_config, "rules", LW_VALUE_PATHS, rules, 0, 0),
	KEY(struct lw_config, "interval", LW_VALUE_SECONDS, interval, 1, OPEN_MAX),
	KEY(struct lw_config, "user_agent", LW_VALUE_STRING, user_agent, 0, 0),
	KEY(struct lw_config, "timeout", LW_VALUE_SECONDS, timeout, 1, OPEN_MAX),
	KEY(struct lw_config, "connect_timeout", LW_VALUE_SECONDS, connect_timeout, 1, OPEN_MAX),
	KEY(struct lw_config, "max_size", LW_VALUE_SIZE, max_size, 1, 1e15),
	KEY(struct lw_config, "max_redirects", LW_VALUE_INT, max_redirects, 0, 100),
	KEY(struct lw_config, "max_entries", LW_VALUE_INT, max_entries, 1, 100000),
	KEY(struct lw_config, "alert_on_first_poll", LW_VALUE_BOOL, alert_on_first_poll, 0, 0),
	KEY(struct lw_config, "concurrency", LW_VALUE_INT, concurrency, 1, 256),
	KEY(struct lw_config, "delay", LW_VALUE_DELAY, host_delay, 0, 3600),
	KEY(struct lw_config, "max_backoff", LW_VALUE_SECONDS, max_backoff, 1, OPEN_MAX),
	KEY(struct lw_config, "adaptive", LW_VALUE_BOOL, adaptive, 0, 0),
	KEY(struct lw_config, "max_interval", LW_VALUE_SECONDS, max_interval, 1, OPEN_MAX),
	KEY(struct lw_config, "max_parse_time", LW_VALUE_DELAY, max_parse_time, 0.01, 600),
	KEY(struct lw_config, "health_alerts", LW_VALUE_BOOL, health_alerts, 0, 0),
	{ .key = "pages", .type = LW_VALUE_INT, LW_VALUE_AT(struct lw_config, pages), .min = 1,
	  .max = 1000, .zero = "all" },
	KEY(struct lw_config, "max_pages", LW_VALUE_INT, max_pages, 1, 1000),
	KEY(struct lw_config, "publish", LW_VALUE_PATH, publish, 0, 0),
	KEY(struct lw_config, "push", LW_VALUE_STRING, push, 0, 0),
	KEY(struct lw_config, "branch", LW_VALUE_STRING, branch, 0, 0),
	KEY(struct lw_config, "push_token", LW_VALUE_PATH, push_token, 0, 0),
	KEY(struct lw_config, "push_ca", LW_VALUE_PATH, push_ca, 0, 0),
	KEY(struct lw_config, "push_known_hosts", LW_VALUE_PATH, push_known_hosts, 0, 0),
	{ NULL },
};

static const char *const over_names[] = { "auto", "never", NULL };

/* [blog "NAME"] */
static const struct lw_value_key blog_keys[] = {
	KEY(struct lw_blog_config, "url", LW_VALUE_URL, url, 0, 0),
	KEY(struct lw_blog_config, "format", LW_VALUE_STRING, format, 0, 0),
	KEY(struct lw_blog_config, "interval", LW_VALUE_SECONDS, interval, 1, OPEN_MAX),
	KEY(struct lw_blog_config, "rules", LW_VALUE_PATHS, rules, 0, 0),
	KEY(struct lw_blog_config, "alert_on_first_poll", LW_VALUE_BOOL, alert_on_first_poll, 0, 0),
	KEY(struct lw_blog_config, "follow", LW_VALUE_URL, follow, 0, 0),
	KEY(struct lw_blog_config, "follow_match", LW_VALUE_REGEX, follow_match, 0, 0),
	{ .key = "pages", .type = LW_VALUE_INT, LW_VALUE_AT(struct lw_blog_config, pages),
	  .min = 1, .max = 1000, .zero = "all" },
	KEY(struct lw_blog_config, "max_pages", LW_VALUE_INT, max_pages, 1, 1000),
	KEY(struct lw_blog_config, "health_alerts", LW_VALUE_BOOL, health_alerts, 0, 0),
	{ .key = "over", .type = LW_VALUE_ENUM, LW_VALUE_AT(struct lw_blog_config, over),
	  .names = over_names },
	KEY(struct lw_blog_config, "entry", LW_VALUE_STRING, xpath.entry, 0, 0),
	KEY(struct lw_blog_config, "id", LW_VALUE_STRING, xpath.id, 0, 0),
	KEY(struct lw_blog_config, "time", LW_VALUE_STRING, xpath.time, 0, 0),
	KEY(struct lw_blog_config, "updated", LW_VALUE_STRING, xpath.updated, 0, 0),
	KEY(struct lw_blog_config, "title", LW_VALUE_STRING, xpath.title, 0, 0),
	KEY(struct lw_blog_config, "body", LW_VALUE_STRING, xpath.body, 0, 0),
	{ NULL },
};

/* [host "NAME"] */
static const struct lw_value_key host_keys[] = {
	KEY(struct lw_host_config, "concurrency", LW_VALUE_INT, concurrency, 1, 64),
	KEY(struct lw_host_config, "delay", LW_VALUE_DELAY, delay, 0, 3600),
	{ NULL },
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
	lw_value_clear(blog_keys, b);
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
	section_clear(&c->sec);
	lw_value_clear(main_keys, c);
	g_ptr_array_unref(c->blogs);
	g_ptr_array_unref(c->sinks);
	g_ptr_array_unref(c->hosts);
	g_free(c);
}

static struct lw_config *config_new(void)
{
	struct lw_config *c = g_new0(struct lw_config, 1);
	c->path = g_strdup("");
	section_init(&c->sec, "livewatch", "", 0);
	c->interval = DEFAULT_INTERVAL;
	c->timeout = DEFAULT_TIMEOUT;
	c->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
	c->max_size = LW_DEFAULT_MAX_SIZE;
	c->max_redirects = LW_DEFAULT_MAX_REDIRECTS;
	c->max_entries = LW_DEFAULT_MAX_ENTRIES;
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
	ld->bad_header = ld->kind == SEC_NONE;
	switch (ld->kind) {
	case SEC_NONE:
		lw_ini_error(error, cfg->path, line,
		             "unknown section '[%s]' (expected [livewatch], [blog \"NAME\"], "
		             "[sink \"NAME\"] or [host \"NAME\"])", section);
		return -1;
	case SEC_MAIN:
		ld->cur = &cfg->sec;
		return 0;
	default:
		break;
	}
	if (ld->kind == SEC_HOST ? !*name || strchr(name, '/') : !lw_name_valid(name)) {
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

static int on_item(const struct lw_ini_item *it, void *user, GError **error)
{
	struct loader *ld = user;
	struct lw_config_section *sec = ld->cur;
	if (!sec && ld->kind != SEC_NONE)
		return 0;   /* a bad header, said once */
	if (ld->kind == SEC_NONE && ld->bad_header)
		return 0;
	if (ld->kind == SEC_NONE) {
		lw_ini_error(error, ld->cfg->path, it->line,
		             "'%s' outside any section (start with [livewatch])", it->key);
		return -1;
	}
	if (g_hash_table_contains(sec->keys, it->key)) {
		lw_ini_error(error, ld->cfg->path, it->line, "'%s' set twice (first at line %d)",
		             it->key, lw_config_section_line(sec, it->key));
		return -1;
	}
	g_hash_table_insert(sec->keys, g_strdup(it->key), g_strdup(it->value));
	g_hash_table_insert(sec->lines, g_strdup(it->key), GINT_TO_POINTER(it->line));
	return 0;
}

/* Problems of values and of keys together, every one of them: check says
 * them all, one a line, not only the first. */
static void note(GString *all, GError **err)
{
	if (!*err)
		return;
	g_string_append_printf(all, "%s%s", all->len ? "\n" : "", (*err)->message);
	g_clear_error(err);
}

/* Every section's values through its table (value.h), in file order;
 * a sink's keys other than `type` belong to its type (sink.c). */
static void read_values(struct loader *ld, GString *all)
{
	struct lw_config *cfg = ld->cfg;
	const struct lw_value_src src = { .file = cfg->path, .dir = ld->dir };
	GError *err = NULL;
	lw_value_read(main_keys, &cfg->sec, cfg, &src, "[livewatch]", &err);
	note(all, &err);
	if (cfg->user_agent && !*cfg->user_agent)
		g_clear_pointer(&cfg->user_agent, g_free);
	for (guint i = 0; i < cfg->blogs->len; i++) {
		struct lw_blog_config *b = cfg->blogs->pdata[i];
		g_autofree char *where = g_strdup_printf("[blog \"%s\"]", b->sec.name);
		lw_value_read(blog_keys, &b->sec, b, &src, where, &err);
		note(all, &err);
	}
	for (guint i = 0; i < cfg->hosts->len; i++) {
		struct lw_host_config *h = cfg->hosts->pdata[i];
		g_autofree char *where = g_strdup_printf("[host \"%s\"]", h->sec.name);
		lw_value_read(host_keys, &h->sec, h, &src, where, &err);
		note(all, &err);
	}
	for (guint i = 0; i < cfg->sinks->len; i++) {
		struct lw_sink_config *s = cfg->sinks->pdata[i];
		s->type = g_strdup(lw_config_section_get(&s->sec, "type"));
	}
}

/* say_missing: say keys that are missing (false when some lines could
 * not be read: the key may be on one of them, said already). */
static void validate(struct loader *ld, bool say_missing, GString *all)
{
	struct lw_config *cfg = ld->cfg;
	GError *err = NULL;
	for (guint i = 0; i < cfg->blogs->len; i++) {
		struct lw_blog_config *b = cfg->blogs->pdata[i];
		/* a url set but bad was said above */
		if (say_missing && !b->url && !g_hash_table_contains(b->sec.keys, "url")) {
			lw_ini_error(&err, cfg->path, b->sec.line, "[blog \"%s\"] has no 'url'",
			             b->sec.name);
			note(all, &err);
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
		if (say_missing && b->format && !strcmp(b->format, "xpath") &&
		    (!b->xpath.entry || !b->xpath.body)) {
			lw_ini_error(&err, cfg->path, b->sec.line,
			             "[blog \"%s\"] format = xpath needs 'entry' and 'body' expressions",
			             b->sec.name);
			note(all, &err);
		}
	}
	for (guint i = 0; i < cfg->hosts->len; i++) {
		struct lw_host_config *h = cfg->hosts->pdata[i];
		if (h->delay < 0)
			h->delay = cfg->host_delay;
	}
	for (guint i = 0; i < cfg->sinks->len; i++) {
		struct lw_sink_config *s = cfg->sinks->pdata[i];
		if (say_missing && (!s->type || !*s->type)) {
			lw_ini_error(&err, cfg->path, s->sec.line, "[sink \"%s\"] has no 'type'",
			             s->sec.name);
			note(all, &err);
		}
	}
}

struct lw_config *lw_config_load(const char *path, GError **error)
{
	struct lw_config *cfg = config_new();
	g_free(cfg->path);
	cfg->path = g_strdup(path);
	g_free(cfg->sec.file);
	cfg->sec.file = g_strdup(path);
	g_autofree char *abs = g_canonicalize_filename(path, NULL);
	struct loader ld = {
		.cfg = cfg,
		.dir = g_path_get_dirname(abs),
		.kind = SEC_NONE,
	};
	/* the file's syntax and keys, then what the values say: every
	 * problem, in that order, of a file that is never taken when it has one */
	GError *err = NULL;
	g_autoptr(GString) all = g_string_new(NULL);
	int rc = lw_ini_parse(path, on_section, on_item, &ld, &err);
	if (rc < 0 && !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_propagate_error(error, err);
	} else {
		note(all, &err);
		read_values(&ld, all);
		validate(&ld, rc != LW_INI_BAD_LINES, all);
		if (all->len) {
			g_set_error_literal(error, LW_ERROR, LW_ERROR_CONFIG, all->str);
			rc = -1;
		}
	}
	if (rc == 0 && !cfg->repo)
		cfg->repo = lw_config_default_repo();
	if (rc == 0 && !cfg->rules)
		cfg->rules = g_new0(char *, 1);
	g_free(ld.dir);
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
