/* The `publish =` folder (publish.h): the report and an Atom feed. */
#include "publish.h"
#include "alert.h"
#include "entry.h"
#include "error.h"
#include "file.h"
#include "history.h"
#include "report.h"

#include <errno.h>
#include <string.h>

struct feed {
	struct lw_history_reader *r;
	GString *out;
	guint entries;
	gint64 newest;
	GError *error;
};

static char *rfc3339(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
	return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("1970-01-01T00:00:00Z");
}

static const char *kind_word(char k)
{
	return k == 'A' ? "new" : k == 'R' ? "restored" : k == 'M' ? "edited" : "removed";
}

/* One <entry> for one change of one poll. */
static int feed_entry(struct feed *f, const struct lw_history_poll *p,
                      const struct lw_history_change *c)
{
	g_autofree char *text = NULL, *old = NULL;
	gsize len = 0, olen = 0;
	if (lw_history_read_blob(f->r, c->blob, &text, &len, &f->error) < 0)
		return -1;
	if (*c->old_blob && lw_history_read_blob(f->r, c->old_blob, &old, &olen, &f->error) < 0)
		return -1;
	struct lw_entry *e = lw_entry_from_md(text, len, c->id, NULL);
	g_autofree char *when = rfc3339(p->time);
	GString *o = f->out;
	g_string_append(o, "<entry>\n<id>tag:livewatch.invalid,2023:");
	lw_report_escape(o, p->blog, -1);
	g_string_append_c(o, '/');
	lw_report_escape(o, c->id, -1);
	g_string_append_printf(o, "/%s</id>\n<title>", p->commit);
	lw_report_escape(o, p->blog, -1);
	g_string_append_printf(o, ": %s%s: ", kind_word(c->kind), c->stealth ? " (stealth)" : "");
	lw_report_escape(o, *c->title ? c->title : c->id, -1);
	g_string_append_printf(o, "</title>\n<updated>%s</updated>\n", when);
	if (e && g_str_has_prefix(e->url, "http")) {
		g_string_append(o, "<link rel=\"alternate\" type=\"text/html\" href=\"");
		lw_report_escape(o, e->url, -1);
		g_string_append(o, "\"/>\n");
	}
	g_string_append_printf(o, "<link rel=\"related\" type=\"text/html\" href=\"index.html#");
	lw_report_escape(o, p->blog, -1);
	g_string_append_c(o, '/');
	lw_report_escape(o, c->id, -1);
	g_string_append(o, "\"/>\n<category term=\"");
	g_string_append(o, kind_word(c->kind));
	g_string_append(o, "\"/>\n");
	if (c->stealth)
		g_string_append(o, "<category term=\"stealth\"/>\n");

	/* the content: the diff of an edit, the text of the rest, then the alerts */
	GString *html = g_string_new(NULL);
	if (old) {
		lw_report_word_diff(html, old, olen, text, len, 0);
	} else {
		if (c->kind == 'D')
			g_string_append(html, "<p>Removed. Its last text:</p>");
		g_string_append(html, "<pre>");
		lw_report_escape(html, e ? e->body : text, -1);
		g_string_append(html, "</pre>");
	}
	for (guint i = 0; i < p->alerts->len; i++) {
		struct lw_alert *a = lw_alert_from_json(p->alerts->pdata[i], NULL);
		if (a && !strcmp(a->entry, c->id)) {
			g_string_append(html, "<p>Alert <b>");
			lw_report_escape(html, a->rule, -1);
			g_string_append(html, "</b>: ");
			lw_report_escape(html, a->snippet, -1);
			g_string_append(html, "</p>");
			g_string_append(o, "<category term=\"alert\"/>\n");
		}
		lw_alert_free(a);
	}
	g_string_append(o, "<content type=\"html\">");
	lw_report_escape(o, html->str, (gssize)html->len);
	g_string_append(o, "</content>\n</entry>\n");
	g_string_free(html, TRUE);
	lw_entry_free(e);
	f->entries++;
	return 0;
}

static bool on_poll(const struct lw_history_poll *p, void *data)
{
	struct feed *f = data;
	if (!f->newest)
		f->newest = p->time;
	for (guint i = 0; i < p->changes->len && f->entries < LW_PUBLISH_FEED_ENTRIES; i++)
		if (feed_entry(f, p, p->changes->pdata[i]) < 0)
			return false;
	return f->entries < LW_PUBLISH_FEED_ENTRIES;
}

char *lw_publish_feed(struct lw_history_reader *r, const char *title, gint64 now, gsize *len,
                      GError **error)
{
	GString *body = g_string_new(NULL);
	struct feed f = { .r = r, .out = body };
	struct lw_history_filter filter = { 0 };
	if (lw_history_walk(r, &filter, on_poll, &f, error) < 0 || f.error) {
		if (f.error)
			g_propagate_error(error, f.error);
		g_string_free(body, TRUE);
		return NULL;
	}
	g_autofree char *updated = rfc3339(f.newest ? f.newest : now);
	GString *o = g_string_sized_new(body->len + 1024);
	g_string_append(o, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	                "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
	                "<id>tag:livewatch.invalid,2023:changes</id>\n<title>");
	lw_report_escape(o, title, -1);
	g_string_append_printf(o, "</title>\n<updated>%s</updated>\n"
	                       "<author><name>livewatch</name></author>\n"
	                       "<generator>livewatch</generator>\n"
	                       "<link rel=\"self\" href=\"changes.atom\"/>\n"
	                       "<link rel=\"alternate\" type=\"text/html\" href=\"index.html\"/>\n",
	                       updated);
	g_string_append_len(o, body->str, (gssize)body->len);
	g_string_append(o, "</feed>\n");
	g_string_free(body, TRUE);
	if (len)
		*len = o->len;
	return g_string_free(o, FALSE);
}

int lw_publish(const char *repo, const char *dir, gint64 now, GError **error)
{
	if (g_mkdir_with_parents(dir, 0755) < 0) {
		int e = errno;
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot create '%s': %s", dir,
		            g_strerror(e));
		return -1;
	}
	struct lw_history_reader *r = lw_history_reader_open(repo, error);
	if (!r)
		return -1;
	int rc = -1;
	gsize hlen = 0, flen = 0;
	struct lw_report_opts o = { .title = "livewatch: every blog", .now = now };
	g_autofree char *html = lw_report_html(r, &o, &hlen, NULL, error);
	g_autofree char *feed = html ? lw_publish_feed(r, "livewatch: changes", now, &flen,
	                                               error) : NULL;
	g_autofree char *index = g_build_filename(dir, "index.html", NULL);
	g_autofree char *atom = g_build_filename(dir, "changes.atom", NULL);
	if (feed && lw_file_write_atomic(index, html, hlen, error) == 0 &&
	    lw_file_write_atomic(atom, feed, flen, error) == 0)
		rc = 0;
	lw_history_reader_free(r);
	return rc;
}
