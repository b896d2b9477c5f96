/* The configuration file (DESIGN.md "Command line", config.ini.example).
 *
 *   [livewatch]   repo, rules, interval, user_agent, timeout, connect_timeout,
 *                 max_size, max_redirects, max_entries, alert_on_first_poll
 *   [blog "NAME"] url, format, interval, rules, alert_on_first_poll
 *   [sink "NAME"] type, and the keys of that type
 *   [host "NAME"] concurrency, delay
 *
 * Plain data: parse into a fresh struct, validate, then use or swap. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Keys of a section as written, for the module that owns the section's
 * meaning (a sink reads its own keys).  Values are copied. */
struct lw_config_section {
	char *name;           /* NAME of [kind "NAME"] */
	char *file;
	int line;             /* line of the section header */
	GHashTable *keys;     /* char * -> char * */
	GHashTable *lines;    /* char * -> GINT_TO_POINTER(line) */
};

/* Value of key in sec, or NULL. */
const char *lw_config_section_get(const struct lw_config_section *sec, const char *key);
int lw_config_section_line(const struct lw_config_section *sec, const char *key);

struct lw_blog_config {
	struct lw_config_section sec;
	char *url;
	char *format;               /* "auto" unless set */
	int interval;               /* seconds */
	char **rules;               /* extra rule paths for this blog, or NULL */
	bool alert_on_first_poll;
};

struct lw_sink_config {
	struct lw_config_section sec;
	char *type;                 /* "file", "desktop", ... */
};

struct lw_host_config {
	struct lw_config_section sec;
	int concurrency;
	double delay;               /* seconds between requests */
};

struct lw_config {
	char *path;                 /* the file read, or "" for built-in defaults */
	char *repo;                 /* absolute */
	char **rules;               /* rule files / folders, absolute, NULL-terminated */
	int interval;               /* default 120 */
	char *user_agent;           /* NULL: the fetcher's default */
	long timeout;               /* seconds, default 30 */
	long connect_timeout;       /* seconds, default 10 */
	gsize max_size;             /* bytes, default 20 MB */
	long max_redirects;         /* default 5 */
	guint max_entries;          /* default 5000 */
	bool alert_on_first_poll;   /* default false: the first poll is the baseline */
	GPtrArray *blogs;           /* struct lw_blog_config * */
	GPtrArray *sinks;           /* struct lw_sink_config * */
	GPtrArray *hosts;           /* struct lw_host_config * */
};

/* Loads path.  Relative paths in it (repo, rules) are taken relative to
 * the file's folder.  Errors: LW_ERROR_CONFIG "FILE:LINE: problem". */
struct lw_config *lw_config_load(const char *path, GError **error);
void lw_config_free(struct lw_config *c);

/* $XDG_CONFIG_HOME/livewatch/config.ini; the caller frees. */
char *lw_config_default_path(void);
/* $XDG_DATA_HOME/livewatch/history */
char *lw_config_default_repo(void);

const struct lw_blog_config *lw_config_find_blog(const struct lw_config *c, const char *name);

/* Parses "30", "30s", "5m", "2h" into seconds; -1 when invalid. */
long lw_config_parse_seconds(const char *s);
/* Parses "20MB", "512k", "1048576" into bytes; 0 when invalid. */
gsize lw_config_parse_size(const char *s);
/* "yes/no/true/false/on/off/1/0"; -1 when invalid. */
int lw_config_parse_bool(const char *s);
