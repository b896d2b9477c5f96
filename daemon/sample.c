/* `livewatch test-alert [SINK]`: one clearly marked sample alert through
 * a sink (or every sink), and what each one answered, so a webhook, a
 * script or the desktop can be set up without waiting for news. */
#include "cli.h"
#include "error.h"
#include "log.h"

#include <stdio.h>
#include <string.h>


const char lw_test_alert_usage[] =
	"usage: livewatch [-c CONFIG] test-alert [SINK]\n"
	"\n"
	"Sends one sample alert, marked as a test (rule \"livewatch-test\", title\n"
	"\"livewatch test alert\"), through the sink named, or through every sink,\n"
	"and says what each answered.  Nothing is recorded, nothing is kept for\n"
	"a retry.  Exit status 1 when a sink failed.\n";

static struct lw_alert *sample(const char *sink)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	struct lw_alert *a = lw_alert_new();
	lw_entry_set(&a->rule, "livewatch-test");
	lw_entry_set(&a->blog, "livewatch");
	lw_entry_set(&a->entry, "test-alert");
	lw_entry_set(&a->change, "new");
	g_autofree char *title = g_strdup_printf("livewatch test alert for sink '%s': it works", sink);
	lw_entry_set(&a->title, title);
	lw_entry_set(&a->url, "https://example.org/livewatch-test-alert");
	g_autofree char *t = lw_time_rfc3339(now);
	lw_entry_set(&a->published, t);
	lw_entry_set(&a->fetched, t);
	lw_entry_set(&a->urgency, "normal");
	g_strfreev(a->matched);
	a->matched = g_strsplit("test", ",", -1);
	lw_entry_set(&a->snippet, "This is a «test» alert sent by livewatch test-alert; "
	             "no live blog said anything.");
	/* a new id each time: a file sink does not skip the second test */
	g_autofree char *version = g_strdup_printf("%" G_GINT64_FORMAT "-%08x", now,
	                                           g_random_int());
	lw_alert_set_id(a, version);
	return a;
}

int lw_test_alert_main(struct lw_config *cfg, int argc, char **argv)
{
	if (argc > 1) {
		lw_error("test-alert: one SINK at a time\n%s", lw_test_alert_usage);
		lw_config_free(cfg);
		return EXIT_USAGE;
	}
	GError *err = NULL;
	struct lw_app *app = lw_app_new(cfg, FALSE, &err);
	if (!app) {
		lw_log_lines(LW_LOG_ERROR, err->message);
		g_error_free(err);
		return EXIT_USAGE;
	}
	int status = EXIT_OK;
	guint tried = 0;
	for (guint i = 0; i < app->sinks->len; i++) {
		struct lw_sink *s = app->sinks->pdata[i];
		const char *name = lw_sink_name(s);
		if (argc == 1 && strcmp(argv[0], name))
			continue;
		tried++;
		struct lw_alert *a = sample(name);
		lw_sink_begin_batch(s);
		int rc = lw_sink_deliver(s, a, &err);
		if (rc == 0)
			rc = lw_sink_end_batch(s, &err);
		else
			lw_sink_end_batch(s, NULL);
		if (rc == 0) {
			printf("sink '%s' (%s): delivered %s\n", name, lw_sink_type(s), a->id);
		} else {
			printf("sink '%s' (%s): failed: %s\n", name, lw_sink_type(s), err->message);
			g_clear_error(&err);
			status = EXIT_RUNTIME;
		}
		lw_alert_free(a);
	}
	if (argc == 1 && tried == 0) {
		GString *names = g_string_new(NULL);
		for (guint i = 0; i < app->sinks->len; i++)
			g_string_append_printf(names, "%s%s", i ? ", " : "",
			                       lw_sink_name(app->sinks->pdata[i]));
		lw_error("test-alert: no sink '%s' in '%s' (sinks: %s)", argv[0], app->cfg->path,
		         names->str);
		g_string_free(names, TRUE);
		status = EXIT_USAGE;
	}
	lw_app_free(app);
	return status;
}
