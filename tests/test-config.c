#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "name.h"
#include "value.h"
#include "url.h"

static char *tmpdir;

static char *write_cfg(const char *name, const char *text)
{
	char *path = g_build_filename(tmpdir, name, NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void test_full(void)
{
	g_autofree char *path = write_cfg("full.ini",
		"[livewatch]\n"
		"repo = hist\n"
		"rules = rules, /etc/lw/more.rules\n"
		"interval = 5m\n"
		"user_agent = test-agent/1\n"
		"timeout = 20\n"
		"max_size = 2MB\n"
		"max_entries = 300\n"
		"alert_on_first_poll = yes\n"
		"\n"
		"[blog \"guardian-ukraine\"]\n"
		"url = https://www.theguardian.com/world/live/x\n"
		"interval = 30\n"
		"\n"
		"[blog \"bbc\"]\n"
		"url = http://127.0.0.1:8080/live\n"
		"format = jsonld\n"
		"alert_on_first_poll = no\n"
		"\n"
		"[sink \"alerts-file\"]\n"
		"type = file\n"
		"path = /tmp/alerts.jsonl\n"
		"\n"
		"[host \"www.theguardian.com\"]\n"
		"delay = 2.5\n"
		"concurrency = 2\n");
	GError *err = NULL;
	struct lw_config *c = lw_config_load(path, &err);
	g_assert_no_error(err);
	g_assert_nonnull(c);
	g_autofree char *repo = g_build_filename(tmpdir, "hist", NULL);
	g_assert_cmpstr(c->repo, ==, repo);
	g_assert_cmpuint(g_strv_length(c->rules), ==, 2);
	g_autofree char *rules = g_build_filename(tmpdir, "rules", NULL);
	g_assert_cmpstr(c->rules[0], ==, rules);
	g_assert_cmpstr(c->rules[1], ==, "/etc/lw/more.rules");
	g_assert_cmpint(c->interval, ==, 300);
	g_assert_cmpstr(c->user_agent, ==, "test-agent/1");
	g_assert_cmpint(c->timeout, ==, 20);
	g_assert_cmpuint(c->max_size, ==, 2 * 1024 * 1024);
	g_assert_cmpuint(c->max_entries, ==, 300);
	g_assert_cmpuint(c->blogs->len, ==, 2);
	const struct lw_blog_config *g = lw_config_find_blog(c, "guardian-ukraine");
	g_assert_nonnull(g);
	g_assert_cmpint(g->interval, ==, 30);
	g_assert_cmpstr(g->format, ==, "auto");
	g_assert_true(g->alert_on_first_poll);
	const struct lw_blog_config *b = lw_config_find_blog(c, "bbc");
	g_assert_cmpint(b->interval, ==, 300);
	g_assert_cmpstr(b->format, ==, "jsonld");
	g_assert_false(b->alert_on_first_poll);
	g_assert_null(lw_config_find_blog(c, "nope"));
	g_assert_cmpuint(c->sinks->len, ==, 1);
	const struct lw_sink_config *s = c->sinks->pdata[0];
	g_assert_cmpstr(s->sec.name, ==, "alerts-file");
	g_assert_cmpstr(s->type, ==, "file");
	g_assert_cmpstr(lw_config_section_get(&s->sec, "path"), ==, "/tmp/alerts.jsonl");
	g_assert_cmpint(lw_config_section_line(&s->sec, "path"), ==, 22);
	const struct lw_host_config *h = c->hosts->pdata[0];
	g_assert_cmpfloat(h->delay, ==, 2.5);
	g_assert_cmpint(h->concurrency, ==, 2);
	lw_config_free(c);
}

static void test_defaults(void)
{
	g_autofree char *path = write_cfg("min.ini", "[blog \"a\"]\nurl = https://example.org/\n");
	g_setenv("XDG_DATA_HOME", "/xdg/data", TRUE);
	GError *err = NULL;
	struct lw_config *c = lw_config_load(path, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(c->repo, ==, "/xdg/data/livewatch/history");
	g_assert_cmpint(c->interval, ==, 120);
	g_assert_cmpint(c->timeout, ==, 30);
	g_assert_cmpuint(c->max_size, ==, 20u * 1024 * 1024);
	g_assert_cmpuint(g_strv_length(c->rules), ==, 0);
	g_assert_cmpint(((struct lw_blog_config *)c->blogs->pdata[0])->interval, ==, 120);
	lw_config_free(c);
}

struct bad_case {
	const char *text;
	int line;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{ "[livewatch]\ninterval = 0\n", 2, "'interval' must be a number of seconds >= 1 (like 90, 5m, 1h), not '0'" },
	{ "[livewatch]\ninterval = soon\n", 2, "'interval' must be a number of seconds >= 1 (like 90, 5m, 1h), not 'soon'" },
	{ "[livewatch]\ncolour = red\n", 2, "unknown key 'colour' in [livewatch] (keys: repo, rules, interval, user_agent, timeout, connect_timeout, max_size, max_redirects, max_entries, alert_on_first_poll, concurrency, delay, max_backoff, adaptive, max_interval, max_parse_time, health_alerts, pages, max_pages, publish, push, branch, push_token, push_ca, push_known_hosts)" },
	{ "repo = x\n", 1, "'repo' outside any section (start with [livewatch])" },
	{ "[weird]\n", 1, "unknown section '[weird]' (expected [livewatch], [blog \"NAME\"], [sink \"NAME\"] or [host \"NAME\"])" },
	{ "[blog \"a\"]\nformat = auto\n", 1, "[blog \"a\"] has no 'url'" },
	{ "[blog \"a\"]\nurl = file:///etc/passwd\n", 2, "'url' must be an http:// or https:// URL, not 'file:///etc/passwd'" },
	{ "[blog \"a\"]\nurl = https://x.org/\nurl = https://y.org/\n", 3, "'url' set twice (first at line 2)" },
	{ "[blog \"../etc\"]\nurl = https://x.org/\n", 1, "bad name '../etc' (use letters, digits, '.', '_' and '-')" },
	{ "[blog \"a\"]\nurl = https://x.org/\n[blog \"a\"]\n", 3, "'[blog \"a\"]' already defined at line 1" },
	{ "[blog \"a\"]\nurl = https://x.org/\nspeed = 3\n", 3, "unknown key 'speed' in [blog \"a\"] (keys: url, format, interval, rules, alert_on_first_poll, follow, follow_match, pages, max_pages, health_alerts, over, entry, id, time, updated, title, body)" },
	{ "[blog \"a\"]\nurl = https://x.org/\nover = sometimes\n", 3, "'over' must be one of auto or never, not 'sometimes'" },
	{ "[sink \"s\"]\npath = /x\n", 1, "[sink \"s\"] has no 'type'" },
	{ "[livewatch]\nmax_size = lots\n", 2, "'max_size' must be a size like 20MB or 512k, not 'lots'" },
	{ "[livewatch]\nalert_on_first_poll = maybe\n", 2, "'alert_on_first_poll' must be yes or no, not 'maybe'" },
	{ "[host \"h\"]\nconcurrency = 0\n", 2, "'concurrency' must be a number from 1 to 64, not '0'" },
	{ "[livewatch]\ngarbage line\n", 2, "expected 'key = value' or '[section]'" },
	/* every section's values through the same typed parser */
	{ "[livewatch]\ninterval = 1.5\n", 2, "'interval' must be a number of seconds >= 1 (like 90, 5m, 1h), not '1.5'" },
	{ "[blog \"a\"]\nurl = https://x.org/\ninterval = 2 days\n", 3, "'interval' must be a number of seconds >= 1 (like 90, 5m, 1h), not '2 days'" },
	{ "[livewatch]\nmax_redirects = 101\n", 2, "'max_redirects' must be a number from 0 to 100, not '101'" },
	{ "[livewatch]\npages = none\n", 2, "'pages' must be 'all' or a number from 1 to 1000, not 'none'" },
	{ "[blog \"a\"]\nurl = https://x.org/\npages = 0\n", 3, "'pages' must be 'all' or a number from 1 to 1000, not '0'" },
	{ "[livewatch]\ndelay = -1\n", 2, "'delay' must be a number of seconds from 0 to 3600 (like 0.5, 2, 1m), not '-1'" },
	{ "[host \"h\"]\ndelay = 2h\n", 2, "'delay' must be a number of seconds from 0 to 3600 (like 0.5, 2, 1m), not '2h'" },
	{ "[host \"h\"]\nspeed = 2\n", 2, "unknown key 'speed' in [host \"h\"] (keys: concurrency, delay)" },
	{ "[livewatch]\nrepo =\n", 2, "'repo' is empty" },
	{ "[blog \"a\"]\nurl = https://x.org/\nfollow = https://x.org/%zz\n", 3, "'follow' must be an http:// or https:// URL, not 'https://x.org/%zz'" },
	{ "[blog \"a\"]\nurl = https:///nohost\n", 2, "'url' must be an http:// or https:// URL, not 'https:///nohost'" },
	{ "[sink \".x\"]\ntype = file\n", 1, "bad name '.x' (use letters, digits, '.', '_' and '-')" },
};

static void test_bad(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autofree char *path = write_cfg("bad.ini", bad_cases[i].text);
		GError *err = NULL;
		struct lw_config *c = lw_config_load(path, &err);
		g_assert_null(c);
		g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
		g_autofree char *want = g_strdup_printf("%s:%d: %s", path, bad_cases[i].line,
		                                        bad_cases[i].message);
		g_assert_cmpstr(err->message, ==, want);
		g_error_free(err);
	}
}

/* Every problem of a file, not only the first: inih's syntax errors
 * (in line order), then the sections' and keys' problems, then the
 * values'; the keys under a broken header are not said again, and no key
 * is said missing when a line could not be read. */
static void test_every_problem(void)
{
	g_autofree char *path = write_cfg("many.ini",
		"[livewatch]\n"                 /* 1 */
		"interval = soon\n"             /* 2: a bad value */
		"[blog \"a\"\n"                 /* 3: no ']' */
		"url = nonsense\n"              /* 4: under the broken header */
		"[blog \"b\"]\n"                /* 5 */
		"interval 60\n"                 /* 6: no '=' */
		"speed = 3\n"                   /* 7: unknown key */
		"[weird]\n"                     /* 8: unknown section */
		"colour = red\n"                /* 9: in it */
		"[blog \"c\"]\n"                /* 10 */
		"url = https://c.org/\n"        /* 11 */
		"url = https://d.org/\n");      /* 12: twice */
	GError *err = NULL;
	g_assert_null(lw_config_load(path, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_autofree char *want = g_strdup_printf(
		"%s:3: section header without closing ']'\n"
		"%s:6: expected 'key = value' or '[section]'\n"
		"%s:8: unknown section '[weird]' (expected [livewatch], [blog \"NAME\"], "
		"[sink \"NAME\"] or [host \"NAME\"])\n"
		"%s:12: 'url' set twice (first at line 11)\n"
		"%s:2: 'interval' must be a number of seconds >= 1 (like 90, 5m, 1h), not 'soon'\n"
		"%s:7: unknown key 'speed' in [blog \"b\"] (keys: url, format, interval, rules, "
		"alert_on_first_poll, follow, follow_match, pages, max_pages, health_alerts, over, "
		"entry, id, time, updated, title, body)", path, path, path, path, path, path);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
}

static void test_daemon_keys(void)
{
	g_autofree char *path = write_cfg("daemon.ini",
		"[livewatch]\nconcurrency = 4\ndelay = 0.5\nmax_backoff = 10m\nadaptive = no\n"
		"health_alerts = yes\npages = all\nmax_pages = 7\n\n"
		"[blog \"a\"]\nurl = https://www.example.org/live\n"
		"follow = https://www.example.org/series/rss\nfollow_match = /live/\\d+\n\n"
		"[blog \"b\"]\nurl = https://x.org/\npages = 3\nhealth_alerts = no\nformat = xpath\n"
		"entry = //div[@class='post']\nbody = .//p\ntitle = .//h2\n\n"
		"[host \"www.example.org\"]\nconcurrency = 2\n");
	GError *err = NULL;
	struct lw_config *c = lw_config_load(path, &err);
	g_assert_no_error(err);
	g_assert_cmpint(c->concurrency, ==, 4);
	g_assert_cmpfloat(c->host_delay, ==, 0.5);
	g_assert_cmpint(c->max_backoff, ==, 600);
	g_assert_false(c->adaptive);
	const struct lw_blog_config *a = lw_config_find_blog(c, "a");
	g_assert_cmpint(a->pages, ==, 0);
	g_assert_cmpint(a->max_pages, ==, 7);
	g_assert_true(a->health_alerts);
	g_assert_cmpstr(a->follow, ==, "https://www.example.org/series/rss");
	g_assert_cmpstr(a->follow_match, ==, "/live/\\d+");
	const struct lw_blog_config *b = lw_config_find_blog(c, "b");
	g_assert_cmpint(b->pages, ==, 3);
	g_assert_false(b->health_alerts);
	g_assert_cmpstr(b->xpath.entry, ==, "//div[@class='post']");
	g_assert_cmpstr(b->xpath.title, ==, ".//h2");
	g_autofree char *host = lw_url_host(a->url);
	g_assert_cmpstr(host, ==, "www.example.org");
	const struct lw_host_config *h = lw_config_find_host(c, host);
	g_assert_nonnull(h);
	g_assert_cmpint(h->concurrency, ==, 2);
	g_assert_cmpfloat(h->delay, ==, 0.5);
	g_assert_null(lw_config_find_host(c, "x.org"));
	lw_config_free(c);

	g_autofree char *bad = write_cfg("bad2.ini", "[blog \"a\"]\nurl = https://x.org/\nfollow_match = (\n");
	g_assert_null(lw_config_load(bad, &err));
	g_assert_nonnull(strstr(err->message, ":3: bad 'follow_match' regex"));
	g_clear_error(&err);
	g_autofree char *bad3 = write_cfg("bad3.ini", "[blog \"a\"]\nurl = https://x.org/\nformat = xpath\n");
	g_assert_null(lw_config_load(bad3, &err));
	g_assert_nonnull(strstr(err->message, ":1: [blog \"a\"] format = xpath needs 'entry' and 'body'"));
	g_clear_error(&err);
}

static void test_missing(void)
{
	GError *err = NULL;
	g_assert_null(lw_config_load("/nonexistent/config.ini", &err));
	g_assert_nonnull(strstr(err->message, "'/nonexistent/config.ini'"));
	g_error_free(err);
}

static void test_parsers(void)
{
	static const struct { const char *in; double out; } seconds[] = {
		{ "90", 90 }, { "90s", 90 }, { "5m", 300 }, { "1min", 60 }, { "5 m", 300 },
		{ "2h", 7200 }, { "1d", 86400 }, { "0.5", 0.5 }, { "1.5m", 90 }, { "0", 0 },
		{ "-1", -1 }, { "1x", -1 }, { "", -1 }, { "m", -1 }, { ".5", -1 }, { "1.", -1 },
		{ "5 min ago", -1 }, { "99999999999999999", -1 },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(seconds); i++) {
		double v = -1;
		int rc = lw_value_seconds(seconds[i].in, &v);
		g_assert_cmpint(rc, ==, seconds[i].out < 0 ? -1 : 0);
		g_assert_cmpfloat(v, ==, seconds[i].out);
	}
	static const struct { const char *in; guint64 out; int rc; } sizes[] = {
		{ "512k", 512 * 1024, 0 }, { "20MB", 20 * 1024 * 1024, 0 }, { "1 gb", 1u << 30, 0 },
		{ "1048576", 1048576, 0 }, { "7b", 7, 0 }, { "0", 0, 0 }, { "12 parsecs", 0, -1 },
		{ "1.5k", 0, -1 }, { "-1", 0, -1 }, { "99999999999999G", 0, -1 },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
		guint64 v = 0;
		g_assert_cmpint(lw_value_size(sizes[i].in, &v), ==, sizes[i].rc);
		g_assert_cmpuint(v, ==, sizes[i].out);
	}
	bool b = false;
	g_assert_cmpint(lw_value_bool("Yes", &b), ==, 0);
	g_assert_true(b);
	g_assert_cmpint(lw_value_bool("off", &b), ==, 0);
	g_assert_false(b);
	g_assert_cmpint(lw_value_bool("2", &b), ==, -1);
	g_assert_cmpint(lw_value_bool(NULL, &b), ==, -1);

	/* the one path resolver */
	g_autofree char *home = lw_value_path("~/a/../b", "/etc");
	g_autofree char *want_home = g_build_filename(g_get_home_dir(), "b", NULL);
	g_assert_cmpstr(home, ==, want_home);
	g_autofree char *rel = lw_value_path("x/./y", "/etc/livewatch");
	g_assert_cmpstr(rel, ==, "/etc/livewatch/x/y");
	g_autofree char *abs = lw_value_path("/var//lib/", "/etc");
	g_assert_cmpstr(abs, ==, "/var/lib");
	g_autofree char *tilde_name = lw_value_path("~user", "/etc");
	g_assert_cmpstr(tilde_name, ==, "/etc/~user");

	/* the one name rule */
	g_assert_true(lw_name_valid("guardian-ukraine.2_x"));
	g_autofree char *longest = g_strnfill(LW_NAME_MAX, 'a');
	g_assert_true(lw_name_valid(longest));
	g_autofree char *too_long = g_strnfill(LW_NAME_MAX + 1, 'a');
	g_assert_false(lw_name_valid(too_long));
	g_assert_false(lw_name_valid(""));
	g_assert_false(lw_name_valid(NULL));
	g_assert_false(lw_name_valid(".hidden"));
	g_assert_false(lw_name_valid(".."));
	g_assert_false(lw_name_valid("a/b"));
	g_assert_false(lw_name_valid("a b"));
	g_assert_false(lw_name_valid("Bahmut\xd0\x91"));
}

static void test_example(void)
{
	/* The shipped example must always load. */
	const char *src = g_getenv("LW_SRCDIR");
	if (!src) {
		g_test_skip("LW_SRCDIR not set");
		return;
	}
	g_autofree char *path = g_build_filename(src, "config.ini.example", NULL);
	GError *err = NULL;
	struct lw_config *c = lw_config_load(path, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(c->blogs->len, >=, 1);
	lw_config_free(c);
}

/* The forms value.h accepts work in every section, and paths are taken
 * from the config's folder or the home folder. */
static void test_value_forms(void)
{
	g_autofree char *name = g_strnfill(LW_NAME_MAX, 'b');
	g_autofree char *text = g_strdup_printf(
		"[livewatch]\ntimeout = 1min\nconnect_timeout = 1.5m\nmax_size = 1 GB\n"
		"repo = ~/hist\nrules = a.rules, ~/r, /abs/x\nuser_agent =\n\n"
		"[blog \"%s\"]\nurl = https://x.org/\ninterval = 2h\nrules = ../up\n\n"
		"[host \"x.org\"]\ndelay = 1.5s\n", name);
	g_autofree char *path = write_cfg("forms.ini", text);
	g_autofree char *dir = g_path_get_dirname(path);
	GError *err = NULL;
	struct lw_config *c = lw_config_load(path, &err);
	g_assert_no_error(err);
	g_assert_cmpint(c->timeout, ==, 60);
	g_assert_cmpint(c->connect_timeout, ==, 90);
	g_assert_cmpuint(c->max_size, ==, 1u << 30);
	g_assert_null(c->user_agent);
	g_autofree char *repo = g_build_filename(g_get_home_dir(), "hist", NULL);
	g_assert_cmpstr(c->repo, ==, repo);
	g_autofree char *r0 = g_build_filename(dir, "a.rules", NULL);
	g_autofree char *r1 = g_build_filename(g_get_home_dir(), "r", NULL);
	g_assert_cmpstr(c->rules[0], ==, r0);
	g_assert_cmpstr(c->rules[1], ==, r1);
	g_assert_cmpstr(c->rules[2], ==, "/abs/x");
	const struct lw_blog_config *b = lw_config_find_blog(c, name);
	g_assert_nonnull(b);
	g_assert_cmpint(b->interval, ==, 7200);
	g_autofree char *parent = g_path_get_dirname(dir);
	g_autofree char *up = g_build_filename(parent, "up", NULL);
	g_assert_cmpstr(b->rules[0], ==, up);
	g_assert_cmpfloat(lw_config_find_host(c, "x.org")->delay, ==, 1.5);
	lw_config_free(c);

	/* one byte more than the name rule allows */
	g_autofree char *long_text = g_strdup_printf("[blog \"%sb\"]\nurl = https://x.org/\n", name);
	g_autofree char *long_path = write_cfg("long.ini", long_text);
	g_assert_null(lw_config_load(long_path, &err));
	g_assert_nonnull(strstr(err->message, ":1: bad name"));
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("lw-config-XXXXXX", NULL);
	g_test_add_func("/config/full", test_full);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/bad", test_bad);
	g_test_add_func("/config/missing", test_missing);
	g_test_add_func("/config/every-problem", test_every_problem);
	g_test_add_func("/config/daemon-keys", test_daemon_keys);
	g_test_add_func("/config/parsers", test_parsers);
	g_test_add_func("/config/value-forms", test_value_forms);
	g_test_add_func("/config/example", test_example);
	int rc = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = 1;
	g_free(tmpdir);
	return rc;
}
