/* What the alert, outbox and sink tests share: a sample alert, a sink
 * section as config.c fills it, temporary folders.  Each test file uses
 * some of these; G_GNUC_UNUSED keeps the others quiet. */
#pragma once

#include <stdarg.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "alert.h"
#include "config.h"
#include "sink.h"

G_GNUC_UNUSED static struct lw_alert *sample_alert(const char *entry)
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

G_GNUC_UNUSED static void assert_alert_eq(const struct lw_alert *a, const struct lw_alert *b)
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
G_GNUC_UNUSED static struct lw_sink_config *make_cfg(const char *file, int line, const char *name, ...)
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

G_GNUC_UNUSED static void free_cfg(struct lw_sink_config *c)
{
	g_free(c->sec.name);
	g_free(c->sec.file);
	g_hash_table_unref(c->sec.keys);
	g_hash_table_unref(c->sec.lines);
	g_free(c->type);
	g_free(c);
}

G_GNUC_UNUSED static char *make_tmpdir(void)
{
	g_autoptr(GError) err = NULL;
	char *dir = g_dir_make_tmp("lw-alert-XXXXXX", &err);
	g_assert_no_error(err);
	return dir;
}

G_GNUC_UNUSED static void rm_rf(const char *dir)
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

G_GNUC_UNUSED static char *read_file(const char *path)
{
	char *s = NULL;
	g_autoptr(GError) err = NULL;
	g_file_get_contents(path, &s, NULL, &err);
	g_assert_no_error(err);
	return s;
}

/* A file sink writing to path, from a section of cfgfile. */
G_GNUC_UNUSED static struct lw_sink *file_sink(const char *cfgfile, const char *name, const char *path)
{
	g_autoptr(GError) err = NULL;
	struct lw_sink_config *c = make_cfg(cfgfile, 20, name, "type", "file", "path", path, NULL);
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_no_error(err);
	g_assert_nonnull(s);
	free_cfg(c);
	return s;
}
