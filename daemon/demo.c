/* `livewatch demo`: replays a bundled live blog, offline.
 *
 * The pages (demo/page-*.html, embedded at build time) are successive
 * versions of one invented live blog.  Each goes through the same
 * pipeline as a real poll (lw_poll_finish) with a made-up fetch time, into
 * a fresh repository in a temporary folder, with the shipped rules. */
#include "cli.h"
#include "demo-pages.h"
#include "error.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define DEMO_BLOG "ukraine-live"
#define DEMO_URL "https://demo.livewatch.invalid/world/live/ukraine-war-live"
/* When each version was "fetched" on the demo's day, 2023-02-14 (UTC):
 * 10:52, 12:07, 13:43, 15:30, 18:55 (demo/expected.json). */
static const gint64 demo_fetched[] = {
	1676371920, 1676376420, 1676382180, 1676388600, 1676400900,
};

static int write_file(const char *dir, const char *name, const void *data, gsize len,
                      GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	return g_file_set_contents(path, data, (gssize)len, error) ? 0 : -1;
}

static int setup(const char *dir, GError **error)
{
	g_autofree char *rules = g_build_filename(dir, "rules", NULL);
	if (g_mkdir_with_parents(rules, 0700) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "cannot create '%s'", rules);
		return -1;
	}
	for (unsigned i = 0; i < lw_demo_n_rules; i++)
		if (write_file(rules, lw_demo_rules[i].name, lw_demo_rules[i].data,
		               lw_demo_rules[i].len, error) < 0)
			return -1;
	g_autofree char *alerts = g_build_filename(dir, "alerts.jsonl", NULL);
	g_autofree char *ini = g_strdup_printf(
		"; written by `livewatch demo`\n"
		"[livewatch]\n"
		"repo = history\n"
		"rules = rules\n"
		"\n"
		"[blog \"" DEMO_BLOG "\"]\n"
		"url = " DEMO_URL "\n"
		"\n"
		"[sink \"alerts-file\"]\n"
		"type = file\n"
		"path = %s\n"
		"%s",
		alerts,
		g_getenv("DBUS_SESSION_BUS_ADDRESS") ?
			"\n[sink \"desktop\"]\ntype = desktop\n" : "");
	return write_file(dir, "config.ini", ini, strlen(ini), error);
}

static void print_result(unsigned version, gint64 when, const struct lw_poll_result *r)
{
	g_autofree char *t = lw_time_rfc3339(when);
	printf("\n== version %u of %u, fetched %s ==\n", version, lw_demo_n_pages, t);
	switch (r->outcome) {
	case LW_POLL_FAILED:
		printf("not recorded: %s\n", r->error);
		return;
	case LW_POLL_NOT_MODIFIED:
	case LW_POLL_UNCHANGED:
		printf("%u entries, nothing changed: no commit\n", r->entries);
		return;
	case LW_POLL_CHANGED:
		break;
	}
	g_autofree char *msg = lw_diff_message(r->diff, DEMO_BLOG, DEMO_URL, NULL);
	/* The summary and the change lines, without the trailers. */
	char *trailers = strstr(msg, "\n\nLivewatch-Blog:");
	if (trailers)
		*trailers = '\0';
	printf("commit %.12s  %s\n", r->commit, msg);
	if (r->diff->n_paged_out)
		printf("  (%u older entr%s paged out: kept, not removed)\n", r->diff->n_paged_out,
		       r->diff->n_paged_out == 1 ? "y" : "ies");
	if (r->baseline)
		printf("  (first poll: this is the baseline, no alerts)\n");
	for (guint i = 0; i < r->alerts->len; i++) {
		const struct lw_alert *a = r->alerts->pdata[i];
		g_autofree char *terms = g_strjoinv(", ", a->matched);
		printf("ALERT [%s, %s] %s: %s\n        matched %s: %s\n", a->rule, a->urgency,
		       a->change, a->title, terms, a->snippet);
	}
}

int lw_demo_main(int argc, char **argv)
{
	GError *err = NULL;
	int status = 1;
	if (argc > 0) {
		lw_error("demo takes no arguments");
		return 2;
	}
	g_autofree char *dir = g_dir_make_tmp("livewatch-demo-XXXXXX", &err);
	if (!dir || setup(dir, &err) < 0) {
		lw_error("demo: %s", err->message);
		g_error_free(err);
		return 1;
	}
	g_autofree char *cfg_path = g_build_filename(dir, "config.ini", NULL);
	g_autofree char *self = NULL;
	struct lw_config *cfg = lw_config_load(cfg_path, &err);
	struct lw_app *app = cfg ? lw_app_new(cfg, TRUE, &err) : NULL;
	if (!app) {
		lw_error("demo: %s", err->message);
		g_error_free(err);
		return 1;
	}
	const struct lw_blog_config *blog = lw_config_find_blog(app->cfg, DEMO_BLOG);
	printf("livewatch demo: replaying %u versions of an invented live blog\n"
	       "  config:  %s\n  history: %s\n", lw_demo_n_pages, cfg_path, app->cfg->repo);

	const char *edited = NULL;
	g_autofree char *edited_id = NULL;
	for (unsigned v = 0; v < lw_demo_n_pages; v++) {
		struct lw_poll_job *job = lw_poll_job_new(&app->ctx, blog, NULL, &err);
		if (!job)
			goto fail;
		struct lw_fetch_result fr;
		memset(&fr, 0, sizeof(fr));
		fr.status = 200;
		fr.effective_url = (char *)DEMO_URL;
		fr.charset = (char *)"utf-8";
		fr.retry_after_s = -1;
		fr.body = g_bytes_new_static(lw_demo_pages[v].data, lw_demo_pages[v].len);
		gint64 when = v < G_N_ELEMENTS(demo_fetched) ? demo_fetched[v] :
		              demo_fetched[G_N_ELEMENTS(demo_fetched) - 1] + (gint64)v * 3600;
		struct lw_poll_result r;
		lw_poll_result_init(&r);
		lw_poll_job_feed(job, &fr, NULL, when);
		int rc = lw_poll_job_finish(job, &r, &err);
		lw_poll_job_free(job);
		g_bytes_unref(fr.body);
		if (rc < 0) {
			lw_poll_result_clear(&r);
			goto fail;
		}
		print_result(v + 1, when, &r);
		for (guint i = 0; r.diff && i < r.diff->changes->len && !edited; i++) {
			const struct lw_change *c = r.diff->changes->pdata[i];
			if (c->kind == LW_CHANGE_EDITED)
				edited = edited_id = g_strdup(c->entry->id);
		}
		for (guint i = 0; i < r.sink_errors->len; i++)
			printf("  (note: %s)\n", (char *)r.sink_errors->pdata[i]);
		lw_poll_result_clear(&r);
	}

	const char *repo = app->cfg->repo;
	/* the binary as run: after a build it is not on PATH yet */
	self = g_file_read_link("/proc/self/exe", NULL);
	const char *bin = self ? self : "livewatch";
	printf("\nRead it back with livewatch:\n"
	       "  %s -c %s log\n"
	       "  %s -c %s show %s %s\n",
	       bin, cfg_path, bin, cfg_path, DEMO_BLOG, edited ? edited : "ID");
	printf("\nThe history is a git repository; try:\n"
	       "  git -C %s log --stat\n"
	       "  git -C %s log -p -- %s/entries/%s.md\n"
	       "  git -C %s diff --name-status HEAD~1 HEAD\n"
	       "  cat %s/%s/index.md\n"
	       "  cat %s/alerts.jsonl\n",
	       repo, repo, DEMO_BLOG, edited ? edited : "*", repo, repo, DEMO_BLOG, dir);
	status = 0;
	goto out;
fail:
	lw_error("demo: %s", err->message);
	g_error_free(err);
out:
	lw_app_free(app);
	return status;
}
