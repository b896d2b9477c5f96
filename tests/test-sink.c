/* Sinks (src/sink.c): the registry and its config checks, and the file
 * sink.  The exec sink and retrying are test-sink-exec.c. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "alert-fixtures.h"
#include "error.h"
#include "sink-private.h"

/* ---- sink config ---- */

static void expect_cfg_error(struct lw_sink_config *c, const char *msg)
{
	g_autoptr(GError) err = NULL;
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_null(s);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	if (strcmp(err->message, msg))
		g_error("expected '%s', got '%s'", msg, err->message);
	free_cfg(c);
}

static void test_sink_config(void)
{
	expect_cfg_error(make_cfg("/etc/lw.ini", 10, "out", "type", "file", NULL),
		"/etc/lw.ini:10: sink 'out': type file needs 'path = FILE'");
	expect_cfg_error(make_cfg("/etc/lw.ini", 10, "out", "type", "file", "path", "/tmp/x",
				  "colour", "red", NULL),
		"/etc/lw.ini:13: sink 'out': unknown key 'colour' for type file (keys: path)");
	expect_cfg_error(make_cfg("/etc/lw.ini", 4, "pager", "type", "carrier-pigeon", NULL),
		"/etc/lw.ini:5: sink 'pager': unknown type 'carrier-pigeon' (one of: desktop, exec, file, webhook)");
	expect_cfg_error(make_cfg("/etc/lw.ini", 7, "x", "path", "/tmp/y", NULL),
		"/etc/lw.ini:7: sink 'x': no type (one of: desktop, exec, file, webhook)");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "coalesce", "soon", NULL),
		"c.ini:3: sink 'd': 'coalesce' must be a number of seconds from 0 to 3600 (like 90, 5m, 1h), not 'soon'");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "actions", "maybe", NULL),
		"c.ini:3: sink 'd': 'actions' must be yes or no, not 'maybe'");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "burst", "0", NULL),
		"c.ini:3: sink 'd': 'burst' must be a number from 1 to 1000, not '0'");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "timeout", "-5", NULL),
		"c.ini:3: sink 'd': 'timeout' must be a number of seconds from 0 to 86400 (like 90, 5m, 1h), not '-5'");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "path", "/x", NULL),
		"c.ini:3: sink 'd': unknown key 'path' for type desktop (keys: timeout, coalesce, burst, actions)");

	g_autoptr(GError) err = NULL;
	struct lw_sink_config *c = make_cfg("c.ini", 1, "notify", "type", "desktop", "timeout", "30",
					    "coalesce", "2m", "burst", "5", "actions", "no", NULL);
	/* the forms [livewatch] takes: "timeout = 1min" is a minute here too */
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "timeout", "1min",
				  "coalesce", "1.5", NULL),
		"c.ini:4: sink 'd': 'coalesce' must be a number of seconds from 0 to 3600 (like 90, 5m, 1h), not '1.5'");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command", "true",
				  "timeout", "1min", "format", "JSON", NULL),
		"c.ini:5: sink 'hook': 'format' must be json, not 'JSON'");
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(lw_sink_name(s), ==, "notify");
	g_assert_cmpstr(lw_sink_type(s), ==, "desktop");
	lw_sink_free(s);
	free_cfg(c);

	s = lw_sink_new_default_desktop();
	g_assert_cmpstr(lw_sink_name(s), ==, "desktop");
	g_assert_cmpstr(lw_sink_type(s), ==, "desktop");
	lw_sink_free(s);
	lw_sink_free(NULL);
}


/* ---- exec and webhook sinks: config ---- */

static void test_sink_config_exec_webhook(void)
{
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", NULL),
		"c.ini:1: sink 'hook': type exec needs 'command = PROGRAM [ARGS]'");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command", "sh -c 'echo", NULL),
		"c.ini:3: sink 'hook': cannot parse command 'sh -c 'echo': Text ended before matching quote was found for '. (The text was “sh -c 'echo”)");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command",
				  "lw-no-such-program --flag", NULL),
		"c.ini:3: sink 'hook': program 'lw-no-such-program' not found in PATH");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command",
				  "/nonexistent/hook.sh", NULL),
		"c.ini:3: sink 'hook': program '/nonexistent/hook.sh' not found or not executable");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command", "true",
				  "format", "yaml", NULL),
		"c.ini:4: sink 'hook': 'format' must be json, not 'yaml'");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command", "true",
				  "timeout", "0", NULL),
		"c.ini:4: sink 'hook': 'timeout' must be a number of seconds from 1 to 120 (like 90, 5m, 1h), not '0'");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command", "true",
				  "url", "http://x/", NULL),
		"c.ini:4: sink 'hook': unknown key 'url' for type exec (keys: command, timeout, format)");

	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", NULL),
		"c.ini:1: sink 'push': type webhook needs 'url = http(s)://...'");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "ftp://x/y", NULL),
		"c.ini:3: sink 'push': 'url' must be an http:// or https:// URL, not 'ftp://x/y'");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http:///path", NULL),
		"c.ini:3: sink 'push': 'url' must be an http:// or https:// URL, not 'http:///path'");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/a b", NULL),
		"c.ini:3: sink 'push': url 'http://x/a b' has spaces, control or non-ASCII characters (percent-encode them)");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "format", "xml", NULL),
		"c.ini:4: sink 'push': 'format' must be one of json, ntfy or slack, not 'xml'");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "timeout", "soon", NULL),
		"c.ini:4: sink 'push': 'timeout' must be a number of seconds from 1 to 120 (like 90, 5m, 1h), not 'soon'");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "priority", "2,3,5", NULL),
		"c.ini:4: sink 'push': 'priority' is only for format = ntfy");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "format", "ntfy", "priority", "2,3,9", NULL),
		"c.ini:5: sink 'push': bad priority '2,3,9' (three ntfy priorities 1-5 for low, normal, critical: '2, 3, 5')");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "header", "Bearer abc", NULL),
		"c.ini:4: sink 'push': 'header' must be 'Name: value' with a header name made of letters, digits and -");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "header2", "X Y: z", NULL),
		"c.ini:4: sink 'push': 'header2' must be 'Name: value' with a header name made of letters, digits and -");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "header", "X-A: 1", "header3", "x-a: 2", NULL),
		"c.ini:5: sink 'push': header 'x-a' given twice");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "header10", "X-A: 1", NULL),
		"c.ini:4: sink 'push': unknown key 'header10' for type webhook (keys: url, format, timeout, priority, header, header2, header3, header4, header5, header6, header7, header8, header9)");

	g_autoptr(GError) err = NULL;
	struct lw_sink_config *c = make_cfg("c.ini", 1, "push", "type", "webhook",
					    "url", "https://ntfy.example/topic", "format", "ntfy",
					    "timeout", "5", "priority", "1, 3,4",
					    "header", "Authorization: Bearer s3cret", NULL);
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(lw_sink_type(s), ==, "webhook");
	lw_sink_free(s);
	free_cfg(c);
}

/* ---- file sink ---- */

static void test_file_sink(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *path = g_build_filename(dir, "alerts.jsonl", NULL);
	g_autofree char *cfgfile = g_build_filename(dir, "config.ini", NULL);
	struct lw_alert *a = sample_alert("block-1");
	struct lw_alert *b = sample_alert("block-2");
	g_autofree char *ja = lw_alert_to_json(a);
	g_autofree char *jb = lw_alert_to_json(b);
	g_autoptr(GError) err = NULL;

	struct lw_sink *s = file_sink(cfgfile, "alerts-file", path);
	g_assert_cmpstr(lw_sink_type(s), ==, "file");
	lw_sink_begin_batch(s);
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_sink_end_batch(s, &err), ==, 0);
	g_assert_cmpint(lw_sink_deliver(s, b, &err), ==, 0);
	g_assert_no_error(err);
	/* the same alert again (a re-delivery after a crash): not appended */
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, 0);
	g_assert_no_error(err);
	lw_sink_free(s);

	/* a second instance (a restart) reads the file's tail: the same
	 * again is not appended, a new alert is */
	struct lw_alert *c = sample_alert("block-3");
	g_autofree char *jc = lw_alert_to_json(c);
	s = file_sink(cfgfile, "alerts-file", path);
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_sink_deliver(s, c, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_sink_deliver(s, c, &err), ==, 0);
	g_assert_no_error(err);
	lw_sink_free(s);

	g_autofree char *got = read_file(path);
	g_autofree char *want = g_strdup_printf("%s\n%s\n%s\n", ja, jb, jc);
	g_assert_cmpstr(got, ==, want);
	lw_alert_free(c);

	/* a relative path is taken from the config file's folder */
	s = file_sink(cfgfile, "rel", "rel.jsonl");
	g_assert_cmpint(lw_sink_deliver(s, b, &err), ==, 0);
	g_assert_no_error(err);
	lw_sink_free(s);
	g_autofree char *rel = g_build_filename(dir, "rel.jsonl", NULL);
	g_autofree char *got2 = read_file(rel);
	g_autofree char *want2 = g_strdup_printf("%s\n", jb);
	g_assert_cmpstr(got2, ==, want2);

	lw_alert_free(a);
	lw_alert_free(b);
	rm_rf(dir);
}

static void deliver_once(struct lw_sink *s, const struct lw_alert *a)
{
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, 0);
	g_assert_no_error(err);
}

static guint count_lines(const char *path)
{
	g_autofree char *text = read_file(path);
	guint n = 0;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

/* Two sinks on one file (two processes, or a reload's old and new sink):
 * each sees what the other appended.  And the limits: the window, a
 * rotated file, a line from before ids existed. */
static void test_file_sink_once(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *path = g_build_filename(dir, "alerts.jsonl", NULL);
	g_autofree char *cfgfile = g_build_filename(dir, "config.ini", NULL);
	struct lw_alert *a = sample_alert("block-1");
	struct lw_alert *b = sample_alert("block-2");

	struct lw_sink *s1 = file_sink(cfgfile, "one", path);
	struct lw_sink *s2 = file_sink(cfgfile, "two", path);
	deliver_once(s1, a);
	deliver_once(s2, b);
	deliver_once(s1, b);
	deliver_once(s2, a);
	g_assert_cmpuint(count_lines(path), ==, 2);

	/* another version of the same entry is another alert */
	struct lw_alert *a2 = sample_alert("block-1");
	lw_alert_set_id(a2, "0123456789ab");
	deliver_once(s2, a2);
	deliver_once(s1, a2);
	g_assert_cmpuint(count_lines(path), ==, 3);

	/* a line written before ids existed: its alert, read back from an
	 * old outbox, is recognised */
	struct lw_alert *old = sample_alert("block-old");
	g_autofree char *jold = lw_alert_to_json(old);
	const char *rest = strstr(jold, "\"rule\"");
	g_assert_nonnull(rest);
	g_autofree char *old_line = g_strconcat("{", rest, "\n", NULL);
	g_autoptr(GError) err = NULL;
	g_assert_true(g_file_set_contents(path, old_line, -1, &err));
	g_assert_no_error(err);
	struct lw_alert *from_outbox = lw_alert_from_json(old_line, &err);
	g_assert_no_error(err);
	deliver_once(s1, from_outbox);
	deliver_once(s2, from_outbox);
	struct lw_sink *s3 = file_sink(cfgfile, "three", path);
	deliver_once(s3, from_outbox);
	g_assert_cmpuint(count_lines(path), ==, 1);
	/* that was a new file (replaced): a is not in it */
	deliver_once(s1, a);
	g_assert_cmpuint(count_lines(path), ==, 2);

	/* rotated: the new file does not hold it */
	g_autofree char *rotated = g_build_filename(dir, "alerts.jsonl.1", NULL);
	g_assert_cmpint(g_rename(path, rotated), ==, 0);
	deliver_once(s1, a);
	deliver_once(s2, a);
	g_assert_cmpuint(count_lines(path), ==, 1);

	/* Only the last LW_FILE_SINK_WINDOW bytes are looked at: a is
	 * followed by more than that (other writers' lines, a torn one). */
	FILE *fp = fopen(path, "a");
	g_assert_nonnull(fp);
	fputs("not json\n{\"rule\":\"x\"}\n", fp);
	for (guint n = 0; n < LW_FILE_SINK_WINDOW / 1000 + 10; n++)
		fprintf(fp, "{\"filler\":\"%0990u\"}\n", n);
	fclose(fp);
	guint lines = count_lines(path);
	struct lw_sink *s4 = file_sink(cfgfile, "four", path);
	deliver_once(s4, a);
	deliver_once(s1, a);
	g_assert_cmpuint(count_lines(path), ==, lines + 1);
	deliver_once(s2, b);
	deliver_once(s4, b);
	deliver_once(s1, b);
	deliver_once(s3, b);
	g_assert_cmpuint(count_lines(path), ==, lines + 2);

	lw_sink_free(s1);
	lw_sink_free(s2);
	lw_sink_free(s3);
	lw_sink_free(s4);
	lw_alert_free(a);
	lw_alert_free(a2);
	lw_alert_free(b);
	lw_alert_free(old);
	lw_alert_free(from_outbox);
	rm_rf(dir);
}

/* Not regular files: written to, nothing looked for. */
static void test_file_sink_special(void)
{
	struct lw_alert *a = sample_alert("block-1");
	struct lw_sink *s = file_sink("/etc/lw.ini", "null", "/dev/null");
	deliver_once(s, a);
	deliver_once(s, a);
	lw_sink_free(s);
	lw_alert_free(a);
}

static void expect_sink_error(const char *path, const char *reason)
{
	g_autoptr(GError) err = NULL;
	struct lw_alert *a = sample_alert("block-1");
	struct lw_sink *s = file_sink("/etc/lw.ini", "alerts-file", path);
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_SINK);
	g_autofree char *prefix = g_strdup_printf("sink 'alerts-file': cannot ");
	g_autofree char *quoted = g_strdup_printf("'%s': %s", path, reason);
	if (!g_str_has_prefix(err->message, prefix) || !strstr(err->message, quoted))
		g_error("unexpected message '%s'", err->message);
	lw_sink_free(s);
	lw_alert_free(a);
}

/* A path no folder can take (under a file, or a read-only folder) is a
 * config error, said at the path's line: check and poll see it before
 * any alert is lost.  why: what is wrong with `where`. */
static void expect_setup_error(const char *path, const char *where, const char *why)
{
	g_autoptr(GError) err = NULL;
	struct lw_sink_config *c = make_cfg("/etc/lw.ini", 20, "alerts-file", "type", "file", "path",
	                                    path, NULL);
	g_assert_null(lw_sink_new(c, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_autofree char *want = g_strdup_printf("sink 'alerts-file': cannot write '%s': '%s' %s",
	                                        path, where, why);
	if (!g_str_has_prefix(err->message, "/etc/lw.ini:") || !strstr(err->message, want))
		g_error("unexpected message '%s'", err->message);
	free_cfg(c);
}

static void test_file_sink_errors(void)
{
	expect_setup_error("/dev/null/alerts.jsonl", "/dev/null", "is not a folder");
	expect_setup_error("/dev/null/sub/alerts.jsonl", "/dev/null", "is not a folder");
	/* folders that are not there yet: the first delivery makes them */
	g_autofree char *top = make_tmpdir();
	g_autofree char *deep = g_build_filename(top, "a", "b", "alerts.jsonl", NULL);
	struct lw_sink *s = file_sink("/etc/lw.ini", "alerts-file", deep);
	g_assert_true(lw_sink_retries(s));
	struct lw_alert *a = sample_alert("block-1");
	deliver_once(s, a);
	g_assert_true(g_file_test(deep, G_FILE_TEST_IS_REGULAR));
	lw_sink_free(s);
	/* the file's place taken by a folder: a delivery that fails, kept
	 * for a retry (lw_sink_retries) */
	g_autofree char *blocked = g_build_filename(top, "blocked", NULL);
	g_assert_cmpint(g_mkdir(blocked, 0755), ==, 0);
	s = file_sink("/etc/lw.ini", "alerts-file", blocked);
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_SINK);
	g_assert_nonnull(strstr(err->message, g_strerror(EISDIR)));
	lw_alert_free(a);
	lw_sink_free(s);
	rm_rf(top);
	/* a full disk */
	if (g_file_test("/dev/full", G_FILE_TEST_EXISTS))
		expect_sink_error("/dev/full", g_strerror(ENOSPC));
	/* a folder */
	expect_sink_error("/", g_strerror(EISDIR));

	if (getuid() == 0) {
		g_test_message("running as root: skipping the permission-denied case");
		return;
	}
	g_autofree char *dir = make_tmpdir();
	g_autofree char *ro = g_build_filename(dir, "ro", NULL);
	g_assert_cmpint(g_mkdir(ro, 0500), ==, 0);
	g_autofree char *path = g_build_filename(ro, "alerts.jsonl", NULL);
	g_autofree char *why = g_strdup_printf("is not writable: %s", g_strerror(EACCES));
	expect_setup_error(path, ro, why);
	rm_rf(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sink/config", test_sink_config);
	g_test_add_func("/sink/config-exec-webhook", test_sink_config_exec_webhook);
	g_test_add_func("/sink/file", test_file_sink);
	g_test_add_func("/sink/file-once", test_file_sink_once);
	g_test_add_func("/sink/file-special", test_file_sink_special);
	g_test_add_func("/sink/file-errors", test_file_sink_errors);
	return g_test_run();
}
