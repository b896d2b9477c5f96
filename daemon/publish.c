/* `livewatch report`: the history as one HTML page (src/report.h). */
#include "cli.h"
#include "error.h"
#include "file.h"
#include "history.h"
#include "log.h"
#include "readout.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

int lw_report_main(const struct lw_config *cfg, int argc, char **argv)
{
	const char *blog = NULL, *since_text = NULL, *outfile = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
			outfile = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			outfile = a + 9;
		} else if (!strcmp(a, "--since") && i + 1 < argc) {
			since_text = argv[++i];
		} else if (!strncmp(a, "--since=", 8)) {
			since_text = a + 8;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--since")) {
			lw_error("report: %s needs a value", a);
			return EXIT_USAGE;
		} else if (a[0] == '-' && a[1]) {
			lw_error("report: unknown option '%s'", a);
			return EXIT_USAGE;
		} else if (!blog) {
			blog = a;
		} else {
			lw_error("report: one BLOG at a time");
			return EXIT_USAGE;
		}
	}
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	struct lw_report_opts o = { .blog = blog, .now = now };
	GError *err = NULL;
	if (since_text) {
		o.since = lw_history_parse_since(since_text, now, &err);
		if (o.since < 0) {
			lw_error("report: %s", err->message);
			g_error_free(err);
			return EXIT_USAGE;
		}
	}
	struct lw_history_reader *r = lw_readout_open(cfg);
	if (!r)
		return EXIT_RUNTIME;
	int status = EXIT_OK;
	g_autofree char *title = NULL, *html = NULL;
	if (blog && !lw_readout_blog_known(cfg, r, blog)) {
		status = EXIT_USAGE;
		goto out;
	}
	title = blog ? g_strdup_printf("livewatch: %s", blog) : g_strdup("livewatch: every blog");
	o.title = title;
	struct lw_report_stats st;
	gsize len = 0;
	gint64 t0 = g_get_monotonic_time();
	html = lw_report_html(r, &o, &len, &st, &err);
	if (!html) {
		lw_error("report: %s", err->message);
		g_error_free(err);
		status = EXIT_RUNTIME;
		goto out;
	}
	if (outfile && strcmp(outfile, "-")) {
		if (lw_file_write_atomic(outfile, html, len, &err) < 0) {
			lw_error("report: %s", err->message);
			g_error_free(err);
			status = EXIT_RUNTIME;
			goto out;
		}
	} else {
		fwrite(html, 1, len, stdout);
	}
	lw_info("report: %u posts, %u versions, %u polls, %u removed, %u stealth edits, %u alerts "
	        "(%.1f MB in %.2f s)%s%s", st.posts, st.versions, st.polls, st.removed, st.stealth,
	        st.alerts, len / 1e6, (g_get_monotonic_time() - t0) / 1e6,
	        outfile ? " to " : "", outfile ? outfile : "");
out:
	lw_history_reader_free(r);
	return lw_readout_finish(status);
}
