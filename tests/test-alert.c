/* The alert object (src/alert.c): its JSON, its id, its snippet; and the
 * desktop sink's cases, which tests/test_desktop.py runs from this
 * binary by their /alert/desktop/ paths under a private session bus
 * (they move to test-sink.c together with that script). */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "alert-fixtures.h"
#include "entry.h"
#include "error.h"
#include "sink-private.h"

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

/* "stealth" and "text" appear only when they apply, and read back. */
static void test_json_stealth_text(void)
{
	struct lw_alert *a = lw_alert_new();
	lw_entry_set(&a->rule, "r");
	lw_entry_set(&a->change, "edited");
	g_autofree char *plain = lw_alert_to_json(a);
	g_assert_null(strstr(plain, "stealth"));
	g_assert_null(strstr(plain, "\"text\""));
	a->stealth = true;
	lw_entry_set(&a->text, "# Heading\n\nThe last words.");
	g_autofree char *js = lw_alert_to_json(a);
	g_assert_nonnull(strstr(js, "\"fetched\":\"\",\"stealth\":true,\"text\":\"# Heading\\n"));
	GError *err = NULL;
	struct lw_alert *b = lw_alert_from_json(js, &err);
	g_assert_no_error(err);
	g_assert_true(b->stealth);
	g_assert_cmpstr(b->text, ==, "# Heading\n\nThe last words.");
	struct lw_alert *c = lw_alert_dup(b);
	g_assert_true(c->stealth);
	g_assert_cmpstr(c->text, ==, b->text);
	g_assert_null(lw_alert_from_json("{\"rule\":\"r\",\"blog\":\"\",\"entry\":\"\",\"change\":\"\","
	                                 "\"title\":\"\",\"url\":\"\",\"published\":\"\",\"urgency\":\"\","
	                                 "\"matched\":[],\"snippet\":\"\",\"fetched\":\"\",\"stealth\":1}", &err));
	g_assert_cmpstr(err->message, ==, "alert json: 'stealth' is not a boolean");
	g_clear_error(&err);
	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
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


/* ---- entry versions ---- */

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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/alert/json/order", test_json_order);
	g_test_add_func("/alert/json/escaping", test_json_escaping);
	g_test_add_func("/alert/json/strict", test_json_strict);
	g_test_add_func("/alert/json/id", test_json_id);
	g_test_add_func("/alert/json/stealth-text", test_json_stealth_text);
	g_test_add_func("/alert/snippet/basic", test_snippet_basic);
	g_test_add_func("/alert/snippet/whitespace", test_snippet_whitespace);
	g_test_add_func("/alert/snippet/multibyte", test_snippet_multibyte);
	g_test_add_func("/alert/snippet/midword", test_snippet_midword);
	g_test_add_func("/alert/snippet/long", test_snippet_long);
	g_test_add_func("/alert/snippet/limits", test_snippet_limits);
	g_test_add_func("/alert/entry-version", test_entry_version);
	g_test_add_func("/alert/desktop/markup", test_desktop_markup);
	g_test_add_func("/alert/desktop/live", test_desktop_live);
	g_test_add_func("/alert/desktop/no-bus", test_desktop_no_bus);
	g_test_add_func("/alert/desktop/no-server", test_desktop_no_server);
	return g_test_run();
}
