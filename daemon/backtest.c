/* `livewatch alerts` (the alerts that fired, from the Livewatch-Alert
 * trailers of the history's commits) and `livewatch match QUERY --history`
 * (what a query finds among the recorded posts): trying rules against
 * what was recorded. */
#include "cli.h"
#include "alert.h"
#include "entry.h"
#include "error.h"
#include "history.h"
#include "log.h"
#include "query.h"
#include "readout.h"

#include <stdio.h>
#include <string.h>


/* Reads "--since T" / "--since=T" at argv[*i]; true when it was one
 * (then *since is set, or *bad when T is missing or wrong, said). */
static bool since_option(const char *cmd, int argc, char **argv, int *i, gint64 *since,
                         const char **text, bool *bad)
{
	const char *t;
	if (!strcmp(argv[*i], "--since") && *i + 1 < argc)
		t = argv[++*i];
	else if (!strncmp(argv[*i], "--since=", 8))
		t = argv[*i] + 8;
	else if (!strcmp(argv[*i], "--since"))
		t = NULL;
	else
		return false;
	if (!t) {
		lw_error("%s: --since needs a time (2023-02-14, RFC 3339, 30m, 2h, 3d, 1w)", cmd);
		*bad = true;
		return true;
	}
	*since = lw_readout_since(cmd, t, g_get_real_time() / G_USEC_PER_SEC);
	if (*since < 0)
		*bad = true;
	*text = t;
	return true;
}

/* ---- alerts ---- */

struct alerts_state {
	bool json;
	guint shown, unreadable;
};

static bool on_poll_alerts(const struct lw_history_poll *p, void *data)
{
	struct alerts_state *st = data;
	for (guint i = 0; i < p->alerts->len; i++) {
		const char *json = p->alerts->pdata[i];
		struct lw_alert *a = lw_alert_from_json(json, NULL);
		if (!a) {
			st->unreadable++;
			continue;
		}
		if (st->json) {
			g_autofree char *line = lw_alert_to_json(a);
			puts(line);
		} else {
			g_autofree char *when = lw_readout_local_time(p->time, "%Y-%m-%d %H:%M");
			printf("%s  ", when);
			lw_readout_put_str(a->blog);
			fputs("  ", stdout);
			lw_readout_put_str(a->rule);
			printf(" (%s)  %s%s  ", a->urgency, a->change, a->stealth ? " (stealth)" : "");
			lw_readout_put_str(a->entry);
			fputs("  ", stdout);
			lw_readout_put_str(a->title);
			fputs("\n    ", stdout);
			lw_readout_put_str(a->snippet);
			putchar('\n');
		}
		st->shown++;
		lw_alert_free(a);
	}
	return !ferror(stdout);
}

int lw_alerts_main(const struct lw_config *cfg, int argc, char **argv)
{
	struct alerts_state st = { 0 };
	struct lw_history_filter f = { 0 };
	const char *since_text = NULL;
	for (int i = 0; i < argc; i++) {
		bool bad = false;
		if (!strcmp(argv[i], "--json")) {
			st.json = true;
		} else if (since_option("alerts", argc, argv, &i, &f.since, &since_text, &bad)) {
			if (bad)
				return EXIT_USAGE;
		} else if (argv[i][0] == '-') {
			lw_error("alerts: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!f.blog) {
			f.blog = argv[i];
		} else {
			lw_error("alerts: one BLOG at a time");
			return EXIT_USAGE;
		}
	}
	int status = EXIT_OK;
	struct lw_history_reader *r = lw_readout_open_blog(cfg, f.blog, &status);
	if (!r)
		return status;
	GError *err = NULL;
	if (lw_history_walk(r, &f, on_poll_alerts, &st, &err) < 0) {
		lw_error("%s", err->message);
		g_error_free(err);
		status = EXIT_RUNTIME;
		goto out;
	}
	if (st.unreadable)
		lw_warn("%u recorded alert%s could not be read, ignoring", st.unreadable,
		           st.unreadable == 1 ? "" : "s");
	if (st.shown == 0)
		lw_notice("no alerts recorded%s%s in '%s'", since_text ? " since " : "",
		          since_text ? since_text : "", cfg->repo);
out:
	lw_history_reader_free(r);
	return lw_readout_finish(status);
}

/* ---- match --history ---- */

struct hit {
	char *blog, *id, *published, *heading, *terms, *snippet;
};

static void hit_free(gpointer p)
{
	struct hit *h = p;
	g_free(h->blog);
	g_free(h->id);
	g_free(h->published);
	g_free(h->heading);
	g_free(h->terms);
	g_free(h->snippet);
	g_free(h);
}

struct match_state {
	const struct lw_query *q;
	const char *blog;
	const char *since;   /* RFC 3339 UTC, or NULL */
	GPtrArray *hits;
	guint searched;
};

static bool on_entry(const struct lw_entry *e, void *data)
{
	struct match_state *st = data;
	if (st->since && strcmp(e->published, st->since) < 0)
		return true;   /* "" (no time) sorts first too: left out with --since */
	st->searched++;
	struct lw_doc *d = lw_doc_new(e->title, e->body);
	struct lw_match m;
	lw_match_init(&m);
	if (lw_query_eval(st->q, d, &m)) {
		struct hit *h = g_new0(struct hit, 1);
		h->blog = g_strdup(st->blog);
		h->id = g_strdup(e->id);
		h->published = g_strdup(e->published);
		h->heading = lw_entry_heading(e);
		GString *terms = g_string_new(NULL);
		for (guint t = 0; m.terms && t < m.terms->len; t++)
			g_string_append_printf(terms, "%s%s", t ? ", " : "", (char *)m.terms->pdata[t]);
		h->terms = g_string_free(terms, FALSE);
		bool in_title = m.field && !strcmp(m.field, "title");
		h->snippet = lw_alert_snippet(in_title ? e->title : e->body, m.offset, m.length, 120);
		g_ptr_array_add(st->hits, h);
	}
	lw_match_clear(&m);
	lw_doc_free(d);
	return true;
}

/* Newest published first; posts without a time last; then by blog and id. */
static gint hit_cmp(gconstpointer a, gconstpointer b)
{
	const struct hit *x = *(struct hit *const *)a, *y = *(struct hit *const *)b;
	int c = strcmp(y->published, x->published);
	if (c)
		return c;
	c = strcmp(x->blog, y->blog);
	return c ? c : strcmp(x->id, y->id);
}

int lw_match_history_main(const struct lw_config *cfg, int argc, char **argv)
{
	const char *query = NULL, *blog = NULL, *since_text = NULL;
	gint64 since = 0;
	for (int i = 0; i < argc; i++) {
		bool bad = false;
		if (!strcmp(argv[i], "--history")) {
			continue;
		} else if (since_option("match", argc, argv, &i, &since, &since_text, &bad)) {
			if (bad)
				return EXIT_USAGE;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			lw_error("match: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!query) {
			query = argv[i];
		} else if (!blog) {
			blog = argv[i];
		} else {
			lw_error("match: --history takes QUERY and at most one BLOG");
			return EXIT_USAGE;
		}
	}
	if (!query) {
		lw_error("match: missing QUERY");
		return EXIT_USAGE;
	}
	GError *err = NULL;
	struct lw_query *q = lw_query_parse(query, &err);
	if (!q) {
		lw_error("query '%s': %s", query, err->message);
		g_error_free(err);
		return EXIT_USAGE;
	}
	int status = EXIT_OK;
	struct lw_history_reader *r = lw_readout_open_blog(cfg, blog, &status);
	if (!r) {
		lw_query_free(q);
		return status;
	}
	g_autofree char *since_utc = since ? lw_time_rfc3339(since) : NULL;
	struct match_state st = { .q = q, .since = since_utc,
	                          .hits = g_ptr_array_new_with_free_func(hit_free) };
	g_autoptr(GPtrArray) blogs = g_ptr_array_new();
	if (blog) {
		g_ptr_array_add(blogs, (gpointer)blog);
	} else {
		for (guint i = 0; i < cfg->blogs->len; i++) {
			const struct lw_blog_config *b = cfg->blogs->pdata[i];
			if (lw_history_has_blog(r, b->sec.name))
				g_ptr_array_add(blogs, (gpointer)b->sec.name);
		}
	}
	guint skipped = 0;
	for (guint i = 0; i < blogs->len; i++) {
		st.blog = blogs->pdata[i];
		if (lw_history_entries(r, st.blog, on_entry, &st, &skipped, &err) < 0) {
			lw_error("%s", err->message);
			g_clear_error(&err);
			status = EXIT_RUNTIME;
			goto out;
		}
	}
	g_ptr_array_sort(st.hits, hit_cmp);
	for (guint i = 0; i < st.hits->len && !ferror(stdout); i++) {
		const struct hit *h = st.hits->pdata[i];
		lw_readout_put_str(h->blog);
		putchar('/');
		lw_readout_put_str(h->id);
		printf("  %s  ", *h->published ? h->published : "(no time)");
		lw_readout_put_str(h->heading);
		fputs("\n    [", stdout);
		lw_readout_put_str(h->terms);
		fputs("] ", stdout);
		lw_readout_put_str(h->snippet);
		putchar('\n');
	}
	if (skipped)
		lw_warn("%u entry file%s could not be read, ignoring", skipped,
		           skipped == 1 ? "" : "s");
	lw_notice("%u of %u recorded post%s match", st.hits->len, st.searched,
	          st.searched == 1 ? "" : "s");
	if (st.hits->len == 0)
		status = EXIT_RUNTIME;
out:
	g_ptr_array_unref(st.hits);
	lw_query_free(q);
	lw_history_reader_free(r);
	return lw_readout_finish(status);
}
