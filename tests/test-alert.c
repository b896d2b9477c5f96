#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "alert.h"
#include "config.h"
#include "entry.h"
#include "error.h"
#include "outbox.h"
#include "sink-private.h"

/* ---- helpers ---- */

static struct lw_alert *sample_alert(const char *entry)
{
	struct lw_alert *a = lw_alert_new();
	lw_alert_free(NULL);
	g_free(a->rule); a->rule = g_strdup("bakhmut");
	g_free(a->blog); a->blog = g_strdup("guardian-ukraine");
	g_free(a->entry); a->entry = g_strdup(entry);
	g_free(a->change); a->change = g_strdup("new");
	g_free(a->title); a->title = g_strdup("Fighting continues");
	g_free(a->url); a->url = g_strdup_printf("https://example.org/live#%s", entry);
	g_free(a->published); a->published = g_strdup("2023-02-14T18:31:00Z");
	g_free(a->urgency); a->urgency = g_strdup("critical");
	g_strfreev(a->matched);
	a->matched = g_strsplit("Bakhmut,Бахмут", ",", -1);
	g_free(a->snippet); a->snippet = g_strdup("…near «Bakhmut» on Monday…");
	g_free(a->fetched); a->fetched = g_strdup("2023-02-14T18:32:05Z");
	lw_alert_set_id(a, "3f2a9c01b7de");
	return a;
}

static void assert_alert_eq(const struct lw_alert *a, const struct lw_alert *b)
{
	g_assert_cmpstr(a->id, ==, b->id);
	g_assert_cmpstr(a->rule, ==, b->rule);
	g_assert_cmpstr(a->blog, ==, b->blog);
	g_assert_cmpstr(a->entry, ==, b->entry);
	g_assert_cmpstr(a->change, ==, b->change);
	g_assert_cmpstr(a->title, ==, b->title);
	g_assert_cmpstr(a->url, ==, b->url);
	g_assert_cmpstr(a->published, ==, b->published);
	g_assert_cmpstr(a->urgency, ==, b->urgency);
	g_assert_cmpstrv(a->matched, b->matched);
	g_assert_cmpstr(a->snippet, ==, b->snippet);
	g_assert_cmpstr(a->fetched, ==, b->fetched);
}

/* A [sink "NAME"] section as config.c would fill it: header at `line`,
 * then key, value pairs, each on the next line.  NULL-terminated. */
static struct lw_sink_config *make_cfg(const char *file, int line, const char *name, ...)
{
	struct lw_sink_config *c = g_new0(struct lw_sink_config, 1);
	c->sec.name = g_strdup(name);
	c->sec.file = g_strdup(file);
	c->sec.line = line;
	c->sec.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c->sec.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	va_list ap;
	va_start(ap, name);
	const char *k;
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		line++;
		g_hash_table_insert(c->sec.keys, g_strdup(k), g_strdup(v));
		g_hash_table_insert(c->sec.lines, g_strdup(k), GINT_TO_POINTER(line));
		if (!strcmp(k, "type"))
			c->type = g_strdup(v);
	}
	va_end(ap);
	return c;
}

static void free_cfg(struct lw_sink_config *c)
{
	g_free(c->sec.name);
	g_free(c->sec.file);
	g_hash_table_unref(c->sec.keys);
	g_hash_table_unref(c->sec.lines);
	g_free(c->type);
	g_free(c);
}

static char *make_tmpdir(void)
{
	g_autoptr(GError) err = NULL;
	char *dir = g_dir_make_tmp("lw-alert-XXXXXX", &err);
	g_assert_no_error(err);
	return dir;
}

static void rm_rf(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return;
	const char *n;
	while ((n = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, n, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			g_chmod(p, 0700);
			rm_rf(p);
		} else {
			g_unlink(p);
		}
	}
	g_dir_close(d);
	g_rmdir(dir);
}

static char *read_file(const char *path)
{
	char *s = NULL;
	g_autoptr(GError) err = NULL;
	g_file_get_contents(path, &s, NULL, &err);
	g_assert_no_error(err);
	return s;
}

/* ---- JSON ---- */

static void test_json_order(void)
{
	struct lw_alert *a = sample_alert("block-63eb");
	g_autofree char *json = lw_alert_to_json(a);
	g_assert_cmpstr(a->id, ==, "guardian-ukraine/block-63eb/bakhmut/3f2a9c01b7de");
	g_assert_cmpstr(json, ==,
		"{\"id\":\"guardian-ukraine/block-63eb/bakhmut/3f2a9c01b7de\","
		"\"rule\":\"bakhmut\",\"blog\":\"guardian-ukraine\",\"entry\":\"block-63eb\","
		"\"change\":\"new\",\"title\":\"Fighting continues\","
		"\"url\":\"https://example.org/live#block-63eb\","
		"\"published\":\"2023-02-14T18:31:00Z\",\"urgency\":\"critical\","
		"\"matched\":[\"Bakhmut\",\"Бахмут\"],\"snippet\":\"…near «Bakhmut» on Monday…\","
		"\"fetched\":\"2023-02-14T18:32:05Z\"}");

	g_autoptr(GError) err = NULL;
	struct lw_alert *b = lw_alert_from_json(json, &err);
	g_assert_no_error(err);
	assert_alert_eq(a, b);

	struct lw_alert *c = lw_alert_dup(b);
	assert_alert_eq(a, c);
	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
}

static void test_json_escaping(void)
{
	struct lw_alert *a = sample_alert("e1");
	g_free(a->title);
	a->title = g_strdup("He said \"stop\" \\ then\nleft\ttoday\x01 — Київ 🚀 </script>");
	g_strfreev(a->matched);
	a->matched = g_strsplit("\"q\"|a\nb", "|", -1);
	g_autofree char *json = lw_alert_to_json(a);
	g_assert_null(strchr(json, '\n'));
	g_assert_null(strchr(json, '\t'));
	g_assert_null(strchr(json, '\x01'));
	g_assert_nonnull(strstr(json, "\\\"stop\\\""));
	g_assert_nonnull(strstr(json, "\\\\ then\\nleft\\ttoday"));
	g_assert_nonnull(strstr(json, "Київ 🚀"));
	g_assert_true(g_utf8_validate(json, -1, NULL));

	g_autoptr(GError) err = NULL;
	struct lw_alert *b = lw_alert_from_json(json, &err);
	g_assert_no_error(err);
	assert_alert_eq(a, b);
	lw_alert_free(a);
	lw_alert_free(b);

	/* NULL fields read as "" and [], and the id is derived (///hash) */
	struct lw_alert *n = g_new0(struct lw_alert, 1);
	g_autofree char *nj = lw_alert_to_json(n);
	g_assert_true(g_str_has_prefix(nj, "{\"id\":\"///"));
	g_assert_cmpstr(strstr(nj, "\",\"rule\""), ==, "\",\"rule\":\"\",\"blog\":\"\",\"entry\":\"\",\"change\":\"\","
			"\"title\":\"\",\"url\":\"\",\"published\":\"\",\"urgency\":\"\","
			"\"matched\":[],\"snippet\":\"\",\"fetched\":\"\"}");
	lw_alert_free(n);
}

static void expect_bad_json(const char *json, const char *msg)
{
	g_autoptr(GError) err = NULL;
	struct lw_alert *a = lw_alert_from_json(json, &err);
	g_assert_null(a);
	g_assert_error(err, LW_ERROR, LW_ERROR_PARSE);
	if (!strstr(err->message, msg))
		g_error("'%s': expected '%s' in '%s'", json, msg, err->message);
}

static void test_json_strict(void)
{
	struct lw_alert *a = sample_alert("e1");
	g_autofree char *json = lw_alert_to_json(a);
	lw_alert_free(a);

	/* drop each key in turn: the error names it */
	static const char *const keys[] = { "rule", "blog", "entry", "change", "title", "url",
		"published", "urgency", "matched", "snippet", "fetched" };
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autofree char *pat = g_strdup_printf("\"%s\":", keys[i]);
		g_autofree char *renamed = g_strdup_printf("\"x%s\":", keys[i]);
		g_auto(GStrv) parts = g_strsplit(json, pat, 2);
		g_assert_nonnull(parts[1]);
		g_autofree char *broken = g_strjoin(renamed, parts[0], parts[1], NULL);
		g_autofree char *msg = g_strdup_printf("missing '%s'", keys[i]);
		expect_bad_json(broken, msg);
	}
	expect_bad_json("", "alert json");
	expect_bad_json("[1,2]", "not an object");
	expect_bad_json("{\"rule\":", "alert json");
	expect_bad_json("{\"rule\":1}", "'rule' is not a string");

	g_autofree char *m1 = g_strdup(json);
	char *p = strstr(m1, "[\"Bakhmut\"");
	g_assert_nonnull(p);
	memcpy(p, "[1        ", 10);
	expect_bad_json(m1, "'matched' is not an array of strings");

	/* unknown keys are fine */
	g_autofree char *extra = g_strconcat("{\"future\":{\"x\":1},", json + 1, NULL);
	g_autoptr(GError) err = NULL;
	struct lw_alert *b = lw_alert_from_json(extra, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(b->rule, ==, "bakhmut");
	lw_alert_free(b);
}

/* An alert written before ids existed still reads, with an id derived
 * from its fields: the same for the same line, different for another. */
static void test_json_id(void)
{
	struct lw_alert *a = sample_alert("e1");
	g_autofree char *json = lw_alert_to_json(a);
	g_autofree char *idpart = g_strdup_printf("{\"id\":\"%s\",", a->id);
	g_assert_true(g_str_has_prefix(json, idpart));
	g_autofree char *old = g_strconcat("{", json + strlen(idpart), NULL);

	g_autoptr(GError) err = NULL;
	struct lw_alert *b = lw_alert_from_json(old, &err);
	g_assert_no_error(err);
	g_assert_true(g_str_has_prefix(b->id, "guardian-ukraine/e1/bakhmut/"));
	g_assert_cmpuint(strlen(b->id), ==, strlen("guardian-ukraine/e1/bakhmut/") + 12);
	g_assert_cmpstr(b->id, !=, a->id);
	struct lw_alert *c = lw_alert_from_json(old, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(c->id, ==, b->id);
	/* what lw_alert_id() derives for an alert with no id set */
	g_free(c->id);
	c->id = g_strdup("");
	g_autofree char *derived = lw_alert_id(c);
	g_assert_cmpstr(derived, ==, b->id);
	/* written again, it keeps that id */
	g_autofree char *again = lw_alert_to_json(c);
	struct lw_alert *d = lw_alert_from_json(again, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(d->id, ==, b->id);
	/* another alert of the same entry and rule: another id */
	g_free(c->fetched);
	c->fetched = g_strdup("2023-02-14T19:00:00Z");
	g_autofree char *other = lw_alert_id(c);
	g_assert_cmpstr(other, !=, b->id);
	g_autofree char *kept = lw_alert_id(a);
	g_assert_cmpstr(kept, ==, a->id);

	/* an id that is there must be a non-empty string */
	g_autofree char *num = g_strconcat("{\"id\":1,", old + 1, NULL);
	expect_bad_json(num, "'id' is not a string");
	g_autofree char *none = g_strconcat("{\"id\":\"\",", old + 1, NULL);
	expect_bad_json(none, "'id' is empty");
	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
	lw_alert_free(d);
}

/* ---- snippets ---- */

static char *snip(const char *text, const char *hit, guint width)
{
	const char *at = strstr(text, hit);
	g_assert_nonnull(at);
	char *s = lw_alert_snippet(text, (gsize)(at - text), strlen(hit), width);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	return s;
}

static void test_snippet_basic(void)
{
	const char *t = "Russian forces have intensified their attacks near Bakhmut on Monday, "
			"according to the general staff of Ukraine's armed forces.";
	g_autofree char *s = snip(t, "Bakhmut", 40);
	g_assert_cmpstr(s, ==, "…attacks near «Bakhmut» on Monday,…");

	/* hit at the start: no leading ellipsis */
	g_autofree char *s2 = snip(t, "Russian", 30);
	g_assert_cmpstr(s2, ==, "«Russian» forces have…");

	/* hit at the end: no trailing ellipsis */
	g_autofree char *s3 = snip(t, "forces.", 30);
	g_assert_true(g_str_has_suffix(s3, "armed «forces.»"));
	g_assert_true(g_str_has_prefix(s3, "…"));

	/* whole text shorter than the width */
	g_autofree char *s4 = snip("near Bakhmut today", "Bakhmut", 200);
	g_assert_cmpstr(s4, ==, "near «Bakhmut» today");

	/* width 0: only the hit */
	g_autofree char *s5 = snip(t, "Bakhmut", 0);
	g_assert_cmpstr(s5, ==, "…«Bakhmut»…");
}

static void test_snippet_whitespace(void)
{
	const char *t = "  First paragraph.\n\nSecond   paragraph\tnear\r\nBakhmut\n\n"
			"> a quote\n- a list item\n";
	g_autofree char *s = snip(t, "Bakhmut", 200);
	/* quote and list markers at line starts are dropped; mid-line they stay */
	g_assert_cmpstr(s, ==, "First paragraph. Second paragraph near «Bakhmut» a quote a list item");
	g_autofree char *s1 = snip("- Aid: 5 - 7 tanks > expected near\n> Bakhmut", "Bakhmut", 200);
	g_assert_cmpstr(s1, ==, "Aid: 5 - 7 tanks > expected near «Bakhmut»");

	/* a hit that spans a line break is joined too */
	g_autofree char *s2 = snip("the town of\nBakhmut fell", "of\nBakhmut", 100);
	g_assert_cmpstr(s2, ==, "the town «of Bakhmut» fell");

	/* a hit of only whitespace gives context without marks */
	g_autofree char *s3 = lw_alert_snippet("one two", 3, 1, 100);
	g_assert_null(strstr(s3, "«»"));
	g_assert_cmpstr(s3, ==, "one two");
}

static void test_snippet_multibyte(void)
{
	const char *t = "Українські військові продовжують оборону Бахмута, повідомляє Генштаб ЗСУ "
			"у своєму ранковому зведенні.";
	g_autofree char *s = snip(t, "Бахмута", 30);
	g_assert_nonnull(strstr(s, "«Бахмута»"));

	/* offsets that fall inside a character are widened to whole ones */
	const char *at = strstr(t, "Бахмута");
	gsize hit = strlen("Бахмута");
	g_autofree char *s2 = lw_alert_snippet(t, (gsize)(at - t) + 1, hit - 2, 30);
	g_assert_true(g_utf8_validate(s2, -1, NULL));
	g_assert_nonnull(strstr(s2, "«Бахмута»"));

	/* every start and length on a mixed text: valid UTF-8 with one « » */
	const char *m = "Chișinău — «Київ» and 東京: 🚀 lift-off, naïve café";
	gsize ml = strlen(m);
	for (gsize off = 0; off <= ml; off++) {
		for (gsize len = 0; len <= 7; len++) {
			for (guint w = 0; w <= 40; w += 8) {
				g_autofree char *x = lw_alert_snippet(m, off, len, w);
				if (!g_utf8_validate(x, -1, NULL))
					g_error("invalid UTF-8 for off %zu len %zu width %u", off, len, w);
			}
		}
	}

	/* invalid bytes in the text do not leak into the snippet */
	const char *bad = "bad \xff\xfe bytes near Bakhmut \xc3";
	g_autofree char *s3 = lw_alert_snippet(bad, (gsize)(strstr(bad, "Bakhmut") - bad), 7, 100);
	g_assert_true(g_utf8_validate(s3, -1, NULL));
	g_assert_nonnull(strstr(s3, "«Bakhmut»"));
}

static void test_snippet_midword(void)
{
	/* a hit inside a word is marked as given; context words stay whole */
	const char *t = "shelling around the Bakhmut-Soledar road intensified overnight";
	const char *at = strstr(t, "khmut");
	g_autofree char *s = lw_alert_snippet(t, (gsize)(at - t), 5, 20);
	g_assert_nonnull(strstr(s, "Ba«khmut»-Soledar"));
	g_assert_true(g_utf8_validate(s, -1, NULL));
}

static void test_snippet_long(void)
{
	/* 5000 five-character words; every word of the snippet is whole */
	GString *t = g_string_new(NULL);
	for (int i = 0; i < 5000; i++)
		g_string_append_printf(t, "%sw%04d", i ? " " : "", i);
	const char *at = strstr(t->str, "w2500");
	g_autofree char *s = lw_alert_snippet(t->str, (gsize)(at - t->str), 5, 60);
	g_assert_true(g_str_has_prefix(s, "…"));
	g_assert_true(g_str_has_suffix(s, "…"));
	g_assert_nonnull(strstr(s, "«w2500»"));
	glong chars = g_utf8_strlen(s, -1);
	g_assert_cmpint(chars, <=, 60 + 4);
	g_assert_cmpint(chars, >=, 40);

	g_autofree char *inner = g_strndup(s + strlen("…"), strlen(s) - 2 * strlen("…"));
	g_auto(GStrv) words = g_strsplit(inner, " ", -1);
	for (char **w = words; *w; w++) {
		const char *word = *w;
		if (g_str_has_prefix(word, "«"))
			word += strlen("«");
		g_assert_cmpuint(strlen(word), >=, 5);
		g_assert_true(word[0] == 'w' && g_ascii_isdigit(word[1]) && g_ascii_isdigit(word[4]));
	}

	/* a hit longer than the width is cut inside the marks */
	g_autofree char *s2 = lw_alert_snippet(t->str, 0, t->len, 30);
	g_assert_true(g_str_has_prefix(s2, "«w0000"));
	g_assert_true(g_str_has_suffix(s2, "…»"));
	g_assert_cmpint(g_utf8_strlen(s2, -1), ==, 30 + 3);

	/* one enormous word: no context rather than half a word */
	g_autofree char *big = g_strnfill(10000, 'x');
	g_autofree char *t2 = g_strconcat(big, " Bakhmut ", big, NULL);
	g_autofree char *s3 = snip(t2, "Bakhmut", 40);
	g_assert_cmpstr(s3, ==, "…«Bakhmut»…");
	g_string_free(t, TRUE);
}

static void test_snippet_limits(void)
{
	g_autofree char *a = lw_alert_snippet("", 0, 0, 40);
	g_assert_cmpstr(a, ==, "");
	g_autofree char *b = lw_alert_snippet("short", 999, 5, 40);
	g_assert_cmpstr(b, ==, "short");
	g_autofree char *c = lw_alert_snippet("short text", 6, G_MAXSIZE, 40);
	g_assert_cmpstr(c, ==, "short «text»");
	g_autofree char *d = lw_alert_snippet(NULL, 0, 0, 40);
	g_assert_cmpstr(d, ==, "");
}

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
		"c.ini:3: sink 'd': bad coalesce 'soon' (seconds, 0 to 3600)");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "actions", "maybe", NULL),
		"c.ini:3: sink 'd': actions: 'maybe' is not yes or no");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "burst", "0", NULL),
		"c.ini:3: sink 'd': burst: '0' is not a number from 1 to 1000");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "timeout", "-5", NULL),
		"c.ini:3: sink 'd': bad timeout '-5' (seconds, 0 to 86400)");
	expect_cfg_error(make_cfg("c.ini", 1, "d", "type", "desktop", "path", "/x", NULL),
		"c.ini:3: sink 'd': unknown key 'path' for type desktop (keys: timeout, coalesce, burst, actions)");

	g_autoptr(GError) err = NULL;
	struct lw_sink_config *c = make_cfg("c.ini", 1, "notify", "type", "desktop", "timeout", "30",
					    "coalesce", "2m", "burst", "5", "actions", "no", NULL);
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

/* ---- file sink ---- */

static struct lw_sink *file_sink(const char *cfgfile, const char *name, const char *path)
{
	g_autoptr(GError) err = NULL;
	struct lw_sink_config *c = make_cfg(cfgfile, 20, name, "type", "file", "path", path, NULL);
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_no_error(err);
	g_assert_nonnull(s);
	free_cfg(c);
	return s;
}

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

/* The version in an alert id is git's blob id of the entry file. */
static void test_entry_version(void)
{
	struct lw_entry *e = lw_entry_new();
	lw_entry_set(&e->id, "block-63eb");
	lw_entry_set(&e->title, "Fighting continues");
	lw_entry_set(&e->body, "Shelling near Bakhmut.\nКиїв said so.");
	lw_entry_set(&e->published, "2023-02-14T18:31:00Z");
	lw_entry_set(&e->url, "https://example.org/live#block-63eb");
	char v[LW_ENTRY_VERSION_LEN + 1];
	lw_entry_version(e, v);
	g_assert_cmpuint(strlen(v), ==, 12);
	g_autofree char *git = g_find_program_in_path("git");
	if (!git) {
		g_test_skip("no git");
		lw_entry_free(e);
		return;
	}
	g_autofree char *dir = make_tmpdir();
	g_autofree char *path = g_build_filename(dir, "e.md", NULL);
	g_autofree char *md = lw_entry_to_md(e);
	g_autoptr(GError) err = NULL;
	g_assert_true(g_file_set_contents(path, md, -1, &err));
	const char *argv[] = { git, "hash-object", "--no-filters", path, NULL };
	g_autofree char *out = NULL;
	int status;
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
				   NULL, &status, &err));
	g_assert_no_error(err);
	g_assert_cmpint(strlen(out), ==, 41);
	g_assert_cmpmem(v, 12, out, 12);
	/* another text, another version */
	lw_entry_set(&e->body, "Shelling near Bakhmut.\nКиїв said so!");
	char v2[LW_ENTRY_VERSION_LEN + 1];
	lw_entry_version(e, v2);
	g_assert_cmpstr(v, !=, v2);
	lw_entry_free(e);
	rm_rf(dir);
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

static void test_file_sink_errors(void)
{
	expect_sink_error("/nonexistent-lw-dir/sub/alerts.jsonl", g_strerror(ENOENT));
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
	expect_sink_error(path, g_strerror(EACCES));
	rm_rf(dir);
}

/* ---- outbox ---- */

static GPtrArray *alerts_of(int n, const char *prefix)
{
	GPtrArray *v = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	for (int i = 0; i < n; i++) {
		g_autofree char *id = g_strdup_printf("%s-%d", prefix, i);
		g_ptr_array_add(v, sample_alert(id));
	}
	return v;
}

static void test_outbox(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *box = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autofree char *taking = g_build_filename(dir, "outbox.taking", NULL);
	g_autoptr(GError) err = NULL;

	/* nothing there */
	GPtrArray *got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 0);
	g_ptr_array_unref(got);
	g_autofree char *nodir = g_build_filename(dir, "missing", NULL);
	got = lw_outbox_take(nodir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 0);
	g_ptr_array_unref(got);

	GPtrArray *one = alerts_of(2, "a");
	GPtrArray *two = alerts_of(1, "b");
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_outbox_append(dir, two, &err), ==, 0);
	g_assert_cmpint(lw_outbox_append(dir, NULL, &err), ==, 0);
	g_assert_true(g_file_test(box, G_FILE_TEST_EXISTS));

	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 3);
	assert_alert_eq(got->pdata[0], one->pdata[0]);
	assert_alert_eq(got->pdata[1], one->pdata[1]);
	assert_alert_eq(got->pdata[2], two->pdata[0]);
	g_ptr_array_unref(got);
	g_assert_false(g_file_test(box, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(taking, G_FILE_TEST_EXISTS));

	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 0);
	g_ptr_array_unref(got);

	/* claim without done (a crash while delivering): the next claim
	 * returns the same alerts, plus what was appended meanwhile */
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	got = lw_outbox_claim(dir, NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 2);
	g_ptr_array_unref(got);
	g_assert_true(g_file_test(taking, G_FILE_TEST_EXISTS));
	g_assert_cmpint(lw_outbox_append(dir, two, &err), ==, 0);
	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 3);
	assert_alert_eq(got->pdata[0], one->pdata[0]);
	assert_alert_eq(got->pdata[2], two->pdata[0]);
	g_ptr_array_unref(got);
	g_assert_false(g_file_test(taking, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(box, G_FILE_TEST_EXISTS));

	/* a .taking left alone by a crash is recovered */
	g_autofree char *j = lw_alert_to_json(two->pdata[0]);
	g_autofree char *line = g_strconcat(j, "\n", NULL);
	g_assert_true(g_file_set_contents(taking, line, -1, NULL));
	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 1);
	assert_alert_eq(got->pdata[0], two->pdata[0]);
	g_ptr_array_unref(got);
	g_assert_false(g_file_test(taking, G_FILE_TEST_EXISTS));

	g_ptr_array_unref(one);
	g_ptr_array_unref(two);
	rm_rf(dir);
}

/* Removing some alerts leaves every other line as it was: alerts a
 * later poll appended, identical copies beyond the count asked, lines
 * nobody can read. */
static void test_outbox_remove(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *box = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autoptr(GError) err = NULL;
	struct lw_alert *a = sample_alert("first");
	struct lw_alert *b = sample_alert("second");
	struct lw_alert *c = sample_alert("third");
	g_autofree char *ja = lw_alert_to_json(a);
	g_autofree char *jb = lw_alert_to_json(b);
	g_autofree char *jc = lw_alert_to_json(c);
	/* a twice, b, a torn line, c */
	g_autofree char *text = g_strdup_printf("%s\n%s\n%s\n{\"rule\":\"tor\n%s\n", ja, ja, jb, jc);
	g_assert_true(g_file_set_contents(box, text, -1, NULL));

	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	g_ptr_array_add(gone, a);
	g_ptr_array_add(gone, c);
	g_assert_cmpint(lw_outbox_remove(dir, gone, &err), ==, 0);
	g_assert_no_error(err);
	g_autofree char *left = NULL;
	g_assert_true(g_file_get_contents(box, &left, NULL, NULL));
	g_autofree char *want = g_strdup_printf("%s\n%s\n{\"rule\":\"tor\n", ja, jb);
	g_assert_cmpstr(left, ==, want);

	/* an alert that is not there (any more): nothing changes */
	g_ptr_array_remove_index(gone, 0);
	g_assert_cmpint(lw_outbox_remove(dir, gone, &err), ==, 0);
	g_autofree char *same = NULL;
	g_assert_true(g_file_get_contents(box, &same, NULL, NULL));
	g_assert_cmpstr(same, ==, want);

	/* the last ones out: no file left (the torn line stays until a claim
	 * moves it to outbox.rejected) */
	g_ptr_array_set_size(gone, 0);
	g_ptr_array_add(gone, a);
	g_ptr_array_add(gone, b);
	g_assert_cmpint(lw_outbox_remove(dir, gone, &err), ==, 0);
	g_autofree char *torn = NULL;
	g_assert_true(g_file_get_contents(box, &torn, NULL, NULL));
	g_assert_cmpstr(torn, ==, "{\"rule\":\"tor\n");
	g_assert_cmpint(g_unlink(box), ==, 0);
	g_autoptr(GPtrArray) one = g_ptr_array_new();
	g_ptr_array_add(one, a);
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	g_assert_cmpint(lw_outbox_remove(dir, one, &err), ==, 0);
	g_assert_false(g_file_test(box, G_FILE_TEST_EXISTS));
	/* no outbox at all */
	g_assert_cmpint(lw_outbox_remove(dir, one, &err), ==, 0);
	g_assert_no_error(err);

	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
	rm_rf(dir);
}

static void test_outbox_corrupt(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *box = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autofree char *rejected = g_build_filename(dir, "outbox.rejected", NULL);
	g_autoptr(GError) err = NULL;
	struct lw_alert *a = sample_alert("good-1");
	struct lw_alert *b = sample_alert("good-2");
	g_autofree char *ja = lw_alert_to_json(a);
	g_autofree char *jb = lw_alert_to_json(b);
	/* good, garbage, blank, good, missing key, torn last line */
	g_autofree char *text = g_strdup_printf("%s\nnot json at all\n\n%s\n{\"rule\":\"x\"}\n{\"rule\":\"bakh",
						ja, jb);
	g_assert_true(g_file_set_contents(box, text, -1, NULL));

	char **warnings = NULL;
	GPtrArray *got = lw_outbox_claim(dir, &warnings, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 2);
	assert_alert_eq(got->pdata[0], a);
	assert_alert_eq(got->pdata[1], b);
	g_assert_nonnull(warnings);
	g_assert_cmpuint(g_strv_length(warnings), ==, 3);
	g_autofree char *w0 = g_strdup_printf("%s:2: ", box);
	g_autofree char *w1 = g_strdup_printf("%s:5: missing 'blog'; moved to outbox.rejected", box);
	g_autofree char *w2 = g_strdup_printf("%s:6: ", box);
	g_assert_true(g_str_has_prefix(warnings[0], w0));
	g_assert_cmpstr(warnings[1], ==, w1);
	g_assert_true(g_str_has_prefix(warnings[2], w2));
	g_strfreev(warnings);
	g_ptr_array_unref(got);
	g_assert_cmpint(lw_outbox_done(dir, &err), ==, 0);

	g_autofree char *bad = read_file(rejected);
	g_assert_cmpstr(bad, ==, "not json at all\n{\"rule\":\"x\"}\n{\"rule\":\"bakh\n");

	/* all good: no warnings */
	GPtrArray *one = alerts_of(1, "c");
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	warnings = (char **)"sentinel";
	got = lw_outbox_claim(dir, &warnings, &err);
	g_assert_no_error(err);
	g_assert_null(warnings);
	g_assert_cmpuint(got->len, ==, 1);
	g_ptr_array_unref(got);
	g_ptr_array_unref(one);

	lw_alert_free(a);
	lw_alert_free(b);
	rm_rf(dir);
}

/* ---- desktop ---- */

static void test_desktop_markup(void)
{
	struct lw_alert *a = sample_alert("block-1");
	g_free(a->title);
	a->title = g_strdup("Shelling near Bakhmut & \"Soledar\"");
	g_free(a->snippet);
	a->snippet = g_strdup("…Zelensky called it «fortress» <b>near</b> «Bakhmut» today…");
	g_autofree char *sum = lw_sink_desktop_summary(a);
	g_assert_cmpstr(sum, ==, "bakhmut · guardian-ukraine");
	g_autofree char *body = lw_sink_desktop_body(a);
	g_assert_cmpstr(body, ==, "Shelling near Bakhmut &amp; &quot;Soledar&quot;\n"
			"…Zelensky called it «fortress» &lt;b&gt;near&lt;/b&gt; <b>Bakhmut</b> today…");

	/* no matched terms known: the first pair is the hit */
	g_free(a->title);
	a->title = g_strdup("");
	g_strfreev(a->matched);
	a->matched = g_new0(char *, 1);
	g_free(a->change);
	a->change = g_strdup("edited");
	g_free(a->snippet);
	a->snippet = g_strdup("«Leopard» tanks «x");
	g_autofree char *body2 = lw_sink_desktop_body(a);
	g_assert_cmpstr(body2, ==, "<b>Leopard</b> tanks «x");
	g_autofree char *sum2 = lw_sink_desktop_summary(a);
	g_assert_cmpstr(sum2, ==, "bakhmut · guardian-ukraine (edited)");
	lw_alert_free(a);
}

static void test_desktop_no_bus(void)
{
	if (g_strcmp0(g_getenv("LW_TEST_DBUS_NOTIFY"), "1") == 0) {
		g_test_skip("a notification server is running (LW_TEST_DBUS_NOTIFY=1)");
		return;
	}
	g_setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
	struct lw_alert *a = sample_alert("block-1");
	struct lw_sink *s = lw_sink_new_default_desktop();
	for (int i = 0; i < 3; i++) {
		g_autoptr(GError) err = NULL;
		gint64 t0 = g_get_monotonic_time();
		int r = lw_sink_deliver(s, a, &err);
		gint64 took = g_get_monotonic_time() - t0;
		g_assert_cmpint(r, ==, -1);
		g_assert_error(err, LW_ERROR, LW_ERROR_SINK);
		g_assert_true(g_str_has_prefix(err->message, "sink 'desktop': no notification server ("));
		g_assert_nonnull(strstr(err->message, "session bus"));
		g_assert_cmpint(took, <, 3 * G_USEC_PER_SEC);
		if (i > 0)   /* remembered: no second attempt */
			g_assert_cmpint(took, <, G_USEC_PER_SEC / 10);
	}
	/* a batch with nothing held back has nothing to show */
	g_autoptr(GError) err = NULL;
	lw_sink_begin_batch(s);
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, -1);
	g_clear_error(&err);
	g_assert_cmpint(lw_sink_end_batch(s, &err), ==, 0);
	g_assert_no_error(err);
	lw_sink_free(s);
	lw_alert_free(a);
}

/* A session bus with nobody on org.freedesktop.Notifications: run by
 * tests/test_desktop.py inside dbus-run-session before it starts the
 * mock server. */
static void test_desktop_no_server(void)
{
	if (g_strcmp0(g_getenv("LW_TEST_DBUS_NO_SERVER"), "1") != 0) {
		g_test_skip("needs an empty session bus; run by tests/test_desktop.py");
		return;
	}
	struct lw_alert *a = sample_alert("block-1");
	struct lw_sink *s = lw_sink_new_default_desktop();
	for (int i = 0; i < 2; i++) {
		g_autoptr(GError) err = NULL;
		gint64 t0 = g_get_monotonic_time();
		g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, -1);
		g_assert_cmpint(g_get_monotonic_time() - t0, <, 3 * G_USEC_PER_SEC);
		g_assert_error(err, LW_ERROR, LW_ERROR_SINK);
		g_assert_cmpstr(err->message, ==, "sink 'desktop': no notification server "
				"(nothing provides org.freedesktop.Notifications on the session bus)");
	}
	lw_sink_free(s);
	lw_alert_free(a);
}

/* Driven by tests/test_desktop.py, which runs this case against
 * python3-dbusmock's notification daemon and then checks what it got.
 * Keep the two in step. */
static struct lw_alert *live_alert(const char *rule, const char *title, const char *snippet,
				   const char *urgency, const char *change, int i)
{
	g_autofree char *id = g_strdup_printf("block-%d", i);
	struct lw_alert *a = sample_alert(id);
	g_free(a->rule); a->rule = g_strdup(rule);
	g_free(a->title); a->title = g_strdup(title);
	g_free(a->snippet); a->snippet = g_strdup(snippet);
	g_free(a->urgency); a->urgency = g_strdup(urgency);
	g_free(a->change); a->change = g_strdup(change);
	return a;
}

static void deliver_ok(struct lw_sink *s, struct lw_alert *a)
{
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, 0);
	g_assert_no_error(err);
	lw_alert_free(a);
}

static void test_desktop_live(void)
{
	if (g_strcmp0(g_getenv("LW_TEST_DBUS_NOTIFY"), "1") != 0) {
		g_test_skip("needs a notification server; run by tests/test_desktop.py");
		return;
	}
	g_autoptr(GError) err = NULL;
	struct lw_sink_config *c = make_cfg("live.ini", 1, "desk-a", "type", "desktop",
					    "coalesce", "0", "timeout", "7", NULL);
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_no_error(err);
	free_cfg(c);

	/* 1, 2: single alerts */
	deliver_ok(s, live_alert("bakhmut", "Shelling near Bakhmut & \"Soledar\"",
				 "…shelling near «Bakhmut» <today>…", "critical", "new", 1));
	struct lw_alert *a = live_alert("leopard", "", "«Leopard» tanks", "low", "edited", 2);
	g_strfreev(a->matched);
	a->matched = g_strsplit("Leopard", ",", -1);
	g_free(a->url);
	a->url = g_strdup("javascript:alert(1)");   /* no click action for this */
	deliver_ok(s, a);

	/* 3..6: a batch of 10 → 3 shown, then "… and 7 more alerts" */
	lw_sink_begin_batch(s);
	for (int i = 0; i < 10; i++) {
		g_autofree char *title = g_strdup_printf("Batch post %d", i);
		deliver_ok(s, live_alert("batch", title, "«x»", "normal", "new", 10 + i));
	}
	g_assert_cmpint(lw_sink_end_batch(s, &err), ==, 0);
	g_assert_no_error(err);
	lw_sink_free(s);

	/* 7..11: no batch, five in a row within the coalesce window: three
	 * shown, then one summary updated in place */
	s = lw_sink_new_default_desktop();
	for (int i = 0; i < 5; i++) {
		g_autofree char *title = g_strdup_printf("Stream post %d", i);
		deliver_ok(s, live_alert("stream", title, "«y»", "normal", "new", 30 + i));
	}
	lw_sink_free(s);
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
		"c.ini:4: sink 'hook': unknown format 'yaml' (exec has only json)");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command", "true",
				  "timeout", "0", NULL),
		"c.ini:4: sink 'hook': bad timeout '0' (seconds, 1 to 120)");
	expect_cfg_error(make_cfg("c.ini", 1, "hook", "type", "exec", "command", "true",
				  "url", "http://x/", NULL),
		"c.ini:4: sink 'hook': unknown key 'url' for type exec (keys: command, timeout, format)");

	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", NULL),
		"c.ini:1: sink 'push': type webhook needs 'url = http(s)://...'");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "ftp://x/y", NULL),
		"c.ini:3: sink 'push': url 'ftp://x/y' is not an http or https url");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http:///path", NULL),
		"c.ini:3: sink 'push': url 'http:///path' is not an http or https url");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/a b", NULL),
		"c.ini:3: sink 'push': url 'http://x/a b' has spaces, control or non-ASCII characters (percent-encode them)");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "format", "xml", NULL),
		"c.ini:4: sink 'push': unknown format 'xml' (json, ntfy or slack)");
	expect_cfg_error(make_cfg("c.ini", 1, "push", "type", "webhook", "url", "http://x/",
				  "timeout", "soon", NULL),
		"c.ini:4: sink 'push': bad timeout 'soon' (seconds, 1 to 120)");
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

/* ---- exec sink: real children ---- */

struct hook {
	char *dir;
	char *script;
	struct lw_sink *sink;
};

/* Writes `body` as an executable sh script in a fresh folder and makes
 * an exec sink running it with `args` (already quoted for the command
 * line); timeout in seconds, 0 for the default. */
static void hook_init(struct hook *h, const char *body, const char *args, int timeout)
{
	h->dir = make_tmpdir();
	h->script = g_build_filename(h->dir, "hook script.sh", NULL);
	g_autofree char *text = g_strdup_printf("#!/bin/sh\n%s\n", body);
	g_assert_true(g_file_set_contents(h->script, text, -1, NULL));
	g_assert_cmpint(g_chmod(h->script, 0755), ==, 0);
	g_autofree char *quoted = g_shell_quote(h->script);
	g_autofree char *cmd = args ? g_strdup_printf("%s %s", quoted, args) : g_strdup(quoted);
	g_autofree char *t = g_strdup_printf("%d", timeout);
	struct lw_sink_config *c = make_cfg("c.ini", 1, "hook", "type", "exec", "command", cmd,
					    timeout ? "timeout" : NULL, t, NULL);
	g_autoptr(GError) err = NULL;
	h->sink = lw_sink_new(c, &err);
	g_assert_no_error(err);
	free_cfg(c);
}

static void hook_clear(struct hook *h)
{
	lw_sink_free(h->sink);
	rm_rf(h->dir);
	g_free(h->dir);
	g_free(h->script);
}

static char *hook_file(struct hook *h, const char *name)
{
	g_autofree char *path = g_build_filename(h->dir, name, NULL);
	char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* The delivery's error message, which must exist; also checks that
 * delivering took at most max_ms. */
static char *hook_fail(struct hook *h, const struct lw_alert *a, gint64 max_ms)
{
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(lw_sink_deliver(h->sink, a, &err), ==, -1);
	gint64 ms = (g_get_monotonic_time() - t0) / 1000;
	g_assert_error(err, LW_ERROR, LW_ERROR_SINK);
	if (ms > max_ms)
		g_error("delivery took %" G_GINT64_FORMAT " ms, more than %" G_GINT64_FORMAT,
			ms, max_ms);
	char *msg = g_strdup(err->message);
	g_error_free(err);
	return msg;
}

static void expect_gone(const char *pidfile_text)
{
	/* Reaped (no zombie left in our process) and not running. */
	int pid = atoi(pidfile_text);
	g_assert_cmpint(pid, >, 0);
	g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *stat = NULL;
	if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
		return;
	/* Only a grandchild could still show, as init's zombie; never ours. */
	const char *close_paren = strrchr(stat, ')');
	g_assert_nonnull(close_paren);
	g_assert_cmpint(close_paren[2], ==, 'Z');
	int ppid = atoi(close_paren + 4);
	g_assert_cmpint(ppid, !=, getpid());
}

static void test_exec_sink(void)
{
	struct hook h;
	hook_init(&h, "cat > \"$1/stdin\"\n"
		      "shift\n"
		      "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > \"$(dirname \"$0\")/args\"\n"
		      "env | grep '^LIVEWATCH_' | LC_ALL=C sort > \"$(dirname \"$0\")/env\"\n"
		      "printf '%s' \"$LIVEWATCH_TITLE\" > \"$(dirname \"$0\")/title\"\n"
		      "echo to stdout; echo to stderr >&2",
		  "\"$DIR\" 'arg two' \"it's\" '$HOME' '|' cat '>' /tmp/x ';' \"a\\\"b\"", 0);
	/* "$DIR" is not expanded (no shell): the script gets a literal
	 * "$DIR"; give it that folder through a symlink named so. */
	g_autofree char *cwd = g_get_current_dir();
	g_assert_cmpint(chdir(h.dir), ==, 0);
	g_assert_cmpint(symlink(".", "$DIR"), ==, 0);

	g_autoptr(GError) err = NULL;
	struct lw_alert *a = sample_alert("block-1");
	g_free(a->title);
	a->title = g_strdup("Line one\nLine two; rm -rf / `id` $(id)");
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(chdir(cwd), ==, 0);

	g_autofree char *json = lw_alert_to_json(a);
	g_autofree char *want_stdin = g_strconcat(json, "\n", NULL);
	g_autofree char *got_stdin = hook_file(&h, "stdin");
	g_assert_cmpstr(got_stdin, ==, want_stdin);
	g_autofree char *args = hook_file(&h, "args");
	g_assert_cmpstr(args, ==, "[arg two]\n[it's]\n[$HOME]\n[|]\n[cat]\n[>]\n[/tmp/x]\n[;]\n[a\"b]\n");
	g_autofree char *env = hook_file(&h, "env");
	g_assert_nonnull(strstr(env, "LIVEWATCH_BLOG=guardian-ukraine\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_CHANGE=new\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_ENTRY=block-1\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_MATCHED=Bakhmut,Бахмут\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_PUBLISHED=2023-02-14T18:31:00Z\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_RULE=bakhmut\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_SNIPPET=…near «Bakhmut» on Monday…\n"));
	g_autofree char *title = hook_file(&h, "title");
	g_assert_cmpstr(title, ==, a->title);
	g_assert_nonnull(strstr(env, "LIVEWATCH_URGENCY=critical\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_URL=https://example.org/live#block-1\n"));
	lw_alert_free(a);
	hook_clear(&h);
}

/* Retrying: a hook that fails while the file "down" exists.  Failed
 * alerts are kept in the state folder, tried again only when due, in
 * order, with a doubling wait; a working delivery ends the wait; alerts
 * too old are dropped, saying so. */
static void test_sink_retry(void)
{
	struct hook h;
	hook_init(&h, "d=$(dirname \"$0\"); [ -e \"$d/down\" ] && { echo down >&2; exit 1; }\n"
		      "sed -n 's/.*\"entry\":\"\\([^\"]*\\)\".*/\\1/p' >> \"$d/got\"", NULL, 0);
	g_assert_true(lw_sink_retries(h.sink));
	g_autofree char *state = g_build_filename(h.dir, "state", NULL);
	g_autofree char *down = g_build_filename(h.dir, "down", NULL);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	g_assert_true(g_file_set_contents(down, "", 0, NULL));
	gint64 now = 1700000000;
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now);
	g_autofree char *fresh = g_date_time_format_iso8601(t);

	/* nothing kept: nothing to do */
	g_assert_cmpint(lw_sink_retry(h.sink, state, now, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);

	GError *err = NULL;
	for (int i = 1; i <= 3; i++) {
		g_autofree char *id = g_strdup_printf("block-%d", i);
		struct lw_alert *a = sample_alert(id);
		g_free(a->fetched);
		a->fetched = g_strdup(i == 1 ? "2023-02-14T18:32:05Z" : fresh);  /* 1: long ago */
		g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, -1);
		g_clear_error(&err);
		g_assert_cmpint(lw_sink_keep(h.sink, state, a, now, &err), ==, 0);
		g_assert_no_error(err);
		lw_alert_free(a);
	}
	g_autofree char *queue = g_build_filename(state, "retry", "hook", "outbox.jsonl", NULL);
	g_assert_true(g_file_test(queue, G_FILE_TEST_EXISTS));

	/* not due before LW_SINK_RETRY_MIN */
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + LW_SINK_RETRY_MIN - 1, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);
	/* due, still down: the old one is dropped, two kept, the wait doubles */
	now += LW_SINK_RETRY_MIN;
	g_assert_cmpint(lw_sink_retry(h.sink, state, now, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 2);
	g_assert_cmpstr(errors->pdata[0], ==, "sink 'hook': gave up on 1 alert fetched more than 24 h ago");
	g_assert_nonnull(strstr(errors->pdata[1], "exited with status 1: down; 2 alerts kept, next try in 60 s"));
	g_ptr_array_set_size(errors, 0);
	now += LW_SINK_RETRY_MIN;
	g_assert_cmpint(lw_sink_retry(h.sink, state, now, errors), ==, 0);
	g_assert_nonnull(strstr(errors->pdata[0], "2 alerts kept, next try in 120 s"));
	g_ptr_array_set_size(errors, 0);
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + 119, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);

	/* back up: a new alert goes through and ends the wait; the kept ones
	 * follow at the next retry, in order, once */
	g_assert_cmpint(g_unlink(down), ==, 0);
	struct lw_alert *a = sample_alert("block-4");
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	lw_alert_free(a);
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + 1, errors), ==, 2);
	g_assert_cmpuint(errors->len, ==, 0);
	g_autofree char *got = hook_file(&h, "got");
	g_assert_cmpstr(got, ==, "block-4\nblock-2\nblock-3\n");
	g_assert_false(g_file_test(queue, G_FILE_TEST_EXISTS));
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + 10000, errors), ==, 0);

	/* desktop and file sinks do not retry */
	g_autofree char *path = g_build_filename(h.dir, "alerts.jsonl", NULL);
	struct lw_sink *f = file_sink("c.ini", "f", path);
	g_assert_false(lw_sink_retries(f));
	lw_sink_free(f);
	hook_clear(&h);
}

/* Holding: a hook that hangs (while "hang" exists) times out once; the
 * alerts after it are not tried until the retry, and go behind the kept
 * one, in order.  A hook that fails fast is not held: each new alert is
 * tried. */
static void test_sink_hold(void)
{
	struct hook h;
	hook_init(&h, "d=$(dirname \"$0\"); [ -e \"$d/hang\" ] && exec sleep 30\n"
		      "[ -e \"$d/down\" ] && exit 1\n"
		      "sed -n 's/.*\"entry\":\"\\([^\"]*\\)\".*/\\1/p' >> \"$d/got\"", NULL, 1);
	g_autofree char *state = g_build_filename(h.dir, "state", NULL);
	g_autofree char *hang = g_build_filename(h.dir, "hang", NULL);
	g_autofree char *down = g_build_filename(h.dir, "down", NULL);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	GError *err = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	/* fails fast: not holding */
	g_assert_true(g_file_set_contents(down, "", 0, NULL));
	struct lw_alert *a = sample_alert("block-1");
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, -1);
	g_clear_error(&err);
	g_assert_cmpint(lw_sink_keep(h.sink, state, a, now, &err), ==, 0);
	g_assert_false(lw_sink_holding(h.sink, now));
	g_assert_cmpint(g_unlink(down), ==, 0);

	/* hangs: a timeout, and holding until the retry */
	g_assert_true(g_file_set_contents(hang, "", 0, NULL));
	struct lw_alert *b = sample_alert("block-2");
	g_assert_cmpint(lw_sink_deliver(h.sink, b, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "timed out after 1 s"));
	g_clear_error(&err);
	g_assert_cmpint(lw_sink_keep(h.sink, state, b, now, &err), ==, 0);
	gint64 due = lw_sink_retry_at(h.sink);
	g_assert_cmpint(due, ==, now + LW_SINK_RETRY_MIN);
	g_assert_true(lw_sink_holding(h.sink, now));
	g_assert_true(lw_sink_holding(h.sink, due - 1));
	g_assert_false(lw_sink_holding(h.sink, due));
	struct lw_alert *c = sample_alert("block-3");
	g_assert_cmpint(lw_sink_hold(h.sink, state, c, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_sink_retry_at(h.sink), ==, due);   /* the retry does not move */

	/* back: the retry delivers all three, in order, and holding ends */
	g_assert_cmpint(g_unlink(hang), ==, 0);
	g_assert_cmpint(lw_sink_retry(h.sink, state, due, errors), ==, 3);
	g_assert_cmpuint(errors->len, ==, 0);
	g_autofree char *got = hook_file(&h, "got");
	g_assert_cmpstr(got, ==, "block-1\nblock-2\nblock-3\n");
	g_assert_false(lw_sink_holding(h.sink, due));
	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
	hook_clear(&h);
}

static void test_exec_sink_failures(void)
{
	struct lw_alert *a = sample_alert("block-2");
	struct hook h;

	hook_init(&h, "echo 'first line' >&2\nprintf 'boom:\\tdisk \\033[31mfull\\n\\n' >&2\nexit 3",
		  NULL, 0);
	g_autofree char *q = g_shell_quote(h.script);
	g_autofree char *m1 = hook_fail(&h, a, 5000);
	g_autofree char *w1 = g_strdup_printf("sink 'hook': '%s' exited with status 3: "
					      "boom: disk  [31mfull", q);
	g_assert_cmpstr(m1, ==, w1);
	hook_clear(&h);

	hook_init(&h, "kill -9 $$", NULL, 0);
	g_autofree char *m2 = hook_fail(&h, a, 5000);
	g_assert_true(g_str_has_suffix(m2, "' killed by signal 9"));
	hook_clear(&h);

	/* Ignores SIGTERM (and so do its children): SIGKILL after the grace
	 * second; the background child dies with the group. */
	hook_init(&h, "trap '' TERM\necho $$ > \"$(dirname \"$0\")/pid\"\n"
		      "sleep 60 & echo $! > \"$(dirname \"$0\")/child\"\n"
		      "echo 'still busy' >&2\nwhile :; do sleep 0.05; done", NULL, 1);
	g_autofree char *m3 = hook_fail(&h, a, 4000);
	g_assert_true(g_str_has_suffix(m3, "' timed out after 1 s, killed: still busy"));
	g_autofree char *pid = hook_file(&h, "pid");
	expect_gone(pid);
	g_usleep(200 * 1000);
	g_autofree char *child = hook_file(&h, "child");
	expect_gone(child);
	hook_clear(&h);

	/* In a batch, a timeout skips the rest of the batch at once; the
	 * next batch runs the hook again. */
	hook_init(&h, "echo run >> \"$(dirname \"$0\")/runs\"\nexec sleep 30", NULL, 1);
	lw_sink_begin_batch(h.sink);
	g_autofree char *b1 = hook_fail(&h, a, 3000);
	g_assert_true(g_str_has_suffix(b1, "' timed out after 1 s, killed"));
	g_autofree char *b2 = hook_fail(&h, a, 100);
	g_assert_true(g_str_has_suffix(b2, "' skipped for the rest of this poll after timing out"));
	g_assert_cmpint(lw_sink_end_batch(h.sink, NULL), ==, 0);
	g_autofree char *b3 = hook_fail(&h, a, 3000);
	g_assert_true(g_str_has_suffix(b3, "' timed out after 1 s, killed"));
	g_autofree char *runs = hook_file(&h, "runs");
	g_assert_cmpstr(runs, ==, "run\nrun\n");
	hook_clear(&h);

	/* Dies on SIGTERM but leaves a child holding stderr open: delivery
	 * must not wait for that child. */
	hook_init(&h, "sleep 30 >&2 &\nsleep 30", NULL, 1);
	g_autofree char *m4 = hook_fail(&h, a, 3500);
	g_assert_true(g_str_has_suffix(m4, "' timed out after 1 s, killed"));
	hook_clear(&h);

	/* Exits 0 at once while a child keeps stderr open: delivered. */
	hook_init(&h, "(sleep 5; echo late >&2) &\nexit 0", NULL, 10);
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint((g_get_monotonic_time() - t0) / 1000, <, 3000);
	hook_clear(&h);

	/* The program disappears after the config was read. */
	hook_init(&h, "exit 0", NULL, 0);
	g_assert_cmpint(unlink(h.script), ==, 0);
	g_autofree char *m5 = hook_fail(&h, a, 1000);
	g_autofree char *q5 = g_shell_quote(h.script);
	g_autofree char *w5 = g_strdup_printf("sink 'hook': cannot run '%s': program '%s' not "
					      "found or not executable", q5, h.script);
	g_assert_cmpstr(m5, ==, w5);
	hook_clear(&h);

	/* Not a program the kernel can run. */
	hook_init(&h, "exit 0", NULL, 0);
	g_assert_true(g_file_set_contents(h.script, "\x7f" "ELF garbage", -1, NULL));
	g_autofree char *m6 = hook_fail(&h, a, 1000);
	g_assert_true(g_str_has_prefix(m6, "sink 'hook': cannot run '"));
	hook_clear(&h);
	lw_alert_free(a);
}

static void test_exec_sink_quick(void)
{
	/* A child that is gone (reaped by GLib's worker thread) before the
	 * sink looks at it: many times over, to meet the race. */
	struct lw_sink_config *c = make_cfg("c.ini", 1, "quick", "type", "exec", "command", "true",
					    NULL);
	g_autoptr(GError) err = NULL;
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_no_error(err);
	struct lw_alert *a = sample_alert("block-q");
	for (int i = 0; i < 200; i++) {
		g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, 0);
		g_assert_no_error(err);
	}
	lw_alert_free(a);
	lw_sink_free(s);
	free_cfg(c);
}

static void test_exec_sink_hostile(void)
{
	/* A 1 MB title (more than a pipe holds) to a child that closes its
	 * stdin without reading: no hang, no SIGPIPE for us, delivered. */
	struct lw_alert *a = sample_alert("block-3");
	g_free(a->title);
	a->title = g_strnfill(1 << 20, 'T');
	struct hook h;
	hook_init(&h, "exec 0<&-\nsleep 0.3\n"
		      "printf '%s' \"${#LIVEWATCH_TITLE}\" > \"$(dirname \"$0\")/len\"", NULL, 5);
	/* GIO ignores SIGPIPE process-wide once GSocket is used; the sink
	 * must not depend on that. */
	signal(SIGPIPE, SIG_DFL);
	GError *err = NULL;
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	g_assert_no_error(err);
	g_autofree char *len = hook_file(&h, "len");
	g_assert_cmpstr(len, ==, "8192");
	hook_clear(&h);

	/* Floods stdout and stderr: the daemon keeps the tail only. */
	hook_init(&h, "head -c 50000000 /dev/zero\n"
		      "head -c 20000000 /dev/zero | tr '\\0' x >&2\n"
		      "echo >&2\necho 'last words' >&2\nexit 1", NULL, 20);
	g_autofree char *m = hook_fail(&h, a, 15000);
	g_assert_true(g_str_has_suffix(m, "' exited with status 1: last words"));
	hook_clear(&h);

	/* One long stderr line without a newline: cut for the message. */
	hook_init(&h, "head -c 100000 /dev/zero | tr '\\0' y >&2\nexit 2", NULL, 5);
	g_autofree char *m2 = hook_fail(&h, a, 5000);
	g_assert_cmpuint(strlen(m2), <, 1000);
	g_assert_true(g_str_has_suffix(m2, "yyyy"));
	hook_clear(&h);
	lw_alert_free(a);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/alert/json/order", test_json_order);
	g_test_add_func("/alert/json/escaping", test_json_escaping);
	g_test_add_func("/alert/json/strict", test_json_strict);
	g_test_add_func("/alert/json/id", test_json_id);
	g_test_add_func("/alert/snippet/basic", test_snippet_basic);
	g_test_add_func("/alert/snippet/whitespace", test_snippet_whitespace);
	g_test_add_func("/alert/snippet/multibyte", test_snippet_multibyte);
	g_test_add_func("/alert/snippet/midword", test_snippet_midword);
	g_test_add_func("/alert/snippet/long", test_snippet_long);
	g_test_add_func("/alert/snippet/limits", test_snippet_limits);
	g_test_add_func("/alert/sink/config", test_sink_config);
	g_test_add_func("/alert/sink/config-exec-webhook", test_sink_config_exec_webhook);
	g_test_add_func("/alert/sink/file", test_file_sink);
	g_test_add_func("/alert/sink/file-once", test_file_sink_once);
	g_test_add_func("/alert/sink/file-special", test_file_sink_special);
	g_test_add_func("/alert/entry-version", test_entry_version);
	g_test_add_func("/alert/sink/exec", test_exec_sink);
	g_test_add_func("/alert/sink/exec-failures", test_exec_sink_failures);
	g_test_add_func("/alert/sink/exec-quick", test_exec_sink_quick);
	g_test_add_func("/alert/sink/exec-hostile", test_exec_sink_hostile);
	g_test_add_func("/alert/sink/retry", test_sink_retry);
	g_test_add_func("/alert/sink/file-errors", test_file_sink_errors);
	g_test_add_func("/alert/outbox/round-trip", test_outbox);
	g_test_add_func("/alert/outbox/corrupt", test_outbox_corrupt);
	g_test_add_func("/alert/outbox/remove", test_outbox_remove);
	g_test_add_func("/alert/sink/hold", test_sink_hold);
	g_test_add_func("/alert/desktop/markup", test_desktop_markup);
	g_test_add_func("/alert/desktop/live", test_desktop_live);
	g_test_add_func("/alert/desktop/no-bus", test_desktop_no_bus);
	g_test_add_func("/alert/desktop/no-server", test_desktop_no_server);
	return g_test_run();
}
