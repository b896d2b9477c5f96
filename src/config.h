/* The configuration file (DESIGN.md "Command line", config.ini.example).
 *
 *   [livewatch]   repo, rules, interval, user_agent, timeout, connect_timeout,
 *                 max_size, max_redirects, max_entries, alert_on_first_poll,
 *                 concurrency, delay, max_backoff, adaptive, max_interval,
 *                 max_parse_time, health_alerts, pages, max_pages
 *   [blog "NAME"] url, format, interval, rules, alert_on_first_poll, follow,
 *                 follow_match, pages, max_pages, health_alerts, over,
 *                 entry, id, time, updated, title, body (format = xpath)
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

/* format = xpath: where the entries are, as XPath 1.0 expressions.
 * `entry` selects the entry nodes on the page; the others are evaluated
 * relative to each entry node (string value of the first node, or of the
 * expression).  NULL when not set. */
struct lw_xpath_profile {
	char *entry;
	char *id;
	char *time;
	char *updated;
	char *title;
	char *body;
};

struct lw_blog_config {
	struct lw_config_section sec;
	char *url;
	char *format;               /* "auto" unless set */
	int interval;               /* seconds */
	char **rules;               /* extra rule paths for this blog, or NULL */
	bool alert_on_first_poll;
	char *follow;               /* series page or feed to follow, or NULL */
	char *follow_match;         /* regex on link urls, or NULL for the default */
	int pages;                  /* pages per poll: 1 (default), 0 = all (up to max_pages) */
	int max_pages;              /* default 20 */
	bool health_alerts;         /* alert the sinks when the blog starts failing */
	int over;                   /* `over =`: 0 auto (on strong evidence), 1 never */
	struct lw_xpath_profile xpath;
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
	char *publish;              /* absolute folder for index.html and changes.atom
	                               (publish.h), NULL: publish nothing */
	char *push;                 /* remote url or path (push.h), NULL: no pushing */
	char *branch;               /* the remote branch; NULL: the local branch's name */
	char *push_token;           /* absolute path of a token file for https, or NULL */
	char *push_ca;              /* https: absolute path of a CA file to trust, or NULL */
	char *push_known_hosts;     /* ssh: absolute path of a known_hosts file, or NULL */
	char **rules;               /* rule files / folders, absolute, NULL-terminated */
	int interval;               /* default 120 */
	char *user_agent;           /* NULL: the fetcher's default */
	long timeout;               /* seconds, default 30 */
	long connect_timeout;       /* seconds, default 10 */
	gsize max_size;             /* bytes, default 20 MB */
	long max_redirects;         /* default 5 */
	guint max_entries;          /* default 5000 */
	bool alert_on_first_poll;   /* default false: the first poll is the baseline */
	int concurrency;            /* transfers in flight at once, default 8 */
	double host_delay;          /* default seconds between requests to one host, default 1 */
	int max_backoff;            /* cap of the failure backoff, seconds, default 1800 */
	bool adaptive;              /* poll quiet blogs less often, default yes */
	int max_interval;           /* cap of adaptive slowing, seconds, default 900 */
	double max_parse_time;      /* seconds of extraction per page, default 5 */
	bool health_alerts;         /* default for [blog] health_alerts, default no */
	int pages;                  /* default for [blog] pages */
	int max_pages;              /* default for [blog] max_pages */
	GPtrArray *blogs;           /* struct lw_blog_config * */
	GPtrArray *sinks;           /* struct lw_sink_config * */
	GPtrArray *hosts;           /* struct lw_host_config * */
	struct lw_config_section sec;  /* [livewatch] as written (name "livewatch") */
};

/* Loads path: first every section and key as written (syntax, unknown
 * sections, names, keys set twice), then each key's value through the
 * section's table of typed keys (value.h: the accepted forms, paths
 * relative to the file's folder), then what needs several keys (a blog
 * without url, defaults a blog inherits).  Blog and sink names follow
 * lw_name_valid() (name.h).  Errors: LW_ERROR_CONFIG "FILE:LINE: problem";
 * past the syntax (which stops at its first error), every bad value and
 * every missing key is said, one "FILE:LINE: problem" a line. */
struct lw_config *lw_config_load(const char *path, GError **error);
void lw_config_free(struct lw_config *c);
/* The built-in defaults (path "", the default repository, no blog, no
 * rule, no sink), as if an empty file had been read. */
struct lw_config *lw_config_new_default(void);

/* $XDG_CONFIG_HOME/livewatch/config.ini; the caller frees. */
char *lw_config_default_path(void);
/* $XDG_DATA_HOME/livewatch/history */
char *lw_config_default_repo(void);

const struct lw_blog_config *lw_config_find_blog(const struct lw_config *c, const char *name);

/* The [host] section for host, or NULL. */
const struct lw_host_config *lw_config_find_host(const struct lw_config *c, const char *host);

