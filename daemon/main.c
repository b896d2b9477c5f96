/* livewatch: the command line.
 *
 * Over 700 lines on purpose: the table of commands and, for each, its
 * usage text and option parsing next to the few lines that call the
 * library; a command with logic of its own has its own file (app.c,
 * history.c, match.c, backtest.c, demo.c, loop.c). */
#include "alert.h"
#include "check.h"
#include "cli.h"
#include "error.h"
#include "extract.h"
#include "fetch.h"
#include "gc.h"
#include "log.h"
#include "outbox.h"
#include "readout.h"
#include "query.h"
#include "url.h"

#include <getopt.h>
#include <git2.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>



#define LW_GIT_CACHE_MAX (16 * 1024 * 1024)

static const char usage[] =
	"usage: livewatch [-c CONFIG] [-v|-q] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  run                        watch every blog (the daemon; foreground)\n"
	"  poll [--json] [BLOG...]    poll once, record, alert, exit; one line per blog\n"
	"  check [--online]           validate config and rules (--online: fetch each blog once)\n"
	"  log [BLOG] [--since T] [--json]\n"
	"                             what changed, when (T: 2023-02-14, RFC 3339, 30m, 2h, 3d, 1w)\n"
	"  show BLOG ID               every version of one entry, with word diffs\n"
	"                             (ID may be a unique prefix)\n"
	"  extract [--format F] [--json] [--explain] [--profile] [--entry X --body X ...] FILE|URL\n"
	"                             show the entries of one page (--explain: what auto chose\n"
	"                             and why; --profile: that choice as an xpath profile)\n"
	"  match QUERY [FILE...]      try a rule query on text (stdin without FILE)\n"
	"  match QUERY --history [BLOG] [--since T]\n"
	"                             which recorded posts a query finds, newest first\n"
	"  alerts [BLOG] [--since T] [--json]\n"
	"                             the alerts that fired, from the history\n"
	"  report [BLOG] [--since T] [-o FILE]\n"
	"                             the history as one self-contained HTML page\n"
	"  status [--json]            per blog: last poll, success, change, failures, next poll\n"
	"  test-alert [SINK]          one marked sample alert through a sink (or all)\n"
	"  gc                         pack the history now (poll and run do it when due)\n"
	"  demo                       replay a bundled live blog, offline\n"
	"\n"
	"options:\n"
	"  -c, --config FILE   config file (default $XDG_CONFIG_HOME/livewatch/config.ini)\n"
	"  -v, --verbose       more detail (repeat for debug)\n"
	"  -q, --quiet         warnings and errors only\n"
	"  -h, --help          this text\n"
	"  -V, --version       print the version\n"
	"\n"
	"exit status: 0 ok, 1 runtime failure, 2 bad usage or bad config\n";

static const char gc_usage[] =
	"usage: livewatch [-c CONFIG] gc\n"
	"\n"
	"Packs the history repository now: every object into one pack, loose\n"
	"objects and older packs removed.  poll and run do this by themselves\n"
	"when enough loose objects or packs pile up.  Also brings git's index\n"
	"up to date (poll and run do that at once while it is small, else once\n"
	"a minute).\n";

/* Each command's own usage, printed by `livewatch COMMAND --help`. */
static const struct command_usage {
	const char *name;
	const char *text;
} command_usages[] = {
	{ "run", "usage: livewatch [-c CONFIG] run\n"
	  "\n"
	  "Watches every blog of the config until stopped (SIGTERM, SIGINT);\n"
	  "SIGHUP re-reads the config and the rules.  Runs in the foreground\n"
	  "(systemd Type=notify).\n" },
	{ "poll", "usage: livewatch [-c CONFIG] poll [--json] [BLOG...]\n"
	  "\n"
	  "Polls each blog (or the ones named) once, records what changed in the\n"
	  "history, sends the alerts, and exits.  A blog with `follow =` moves to\n"
	  "the newest blog of its series first, as run does.  Prints one line per\n"
	  "blog on stdout (--json: one JSON object per blog, one a line):\n"
	  "  BLOG: changed: 2 new, 1 edited, 0 removed, 0 restored, 1 alert (commit ...)\n"
	  "  BLOG: unchanged: 27 posts | not modified | failed: REASON\n" },
	{ "check", "usage: livewatch [-c CONFIG] check [--online]\n"
	  "\n"
	  "Validates the config, the rules and the sinks, and says every problem\n"
	  "it finds as FILE:LINE: problem.  Exit status 2 when there is one.\n"
	  "--online: then fetches each blog once, recording nothing, and prints\n"
	  "its format, its posts, the newest one and the rules that match a post\n"
	  "on it now; flags a page with no posts or that reads as an article\n"
	  "(exit status 1 when a page cannot be fetched or read).\n" },
	{ "log", "usage: livewatch [-c CONFIG] log [BLOG] [--since T] [--json]\n"
	  "\n"
	  "What changed, when, newest first.  T: 2023-02-14, RFC 3339, 30m, 2h,\n"
	  "3d, 1w.  --json: one object per poll.\n" },
	{ "show", "usage: livewatch [-c CONFIG] show BLOG ID\n"
	  "\n"
	  "Every version of one entry, with word diffs (ID may be a unique prefix;\n"
	  "livewatch log lists them).\n" },
	{ "extract", "usage: livewatch extract [--format F] [--json] [--explain] [--profile]\n"
	  "                         [--entry X --body X [--id X] [--time X] [--updated X]\n"
	  "                          [--title X]] FILE|URL\n"
	  "\n"
	  "The entries of one page.  F: auto, guardian, jsonld, feed, xpath, generic,\n"
	  "article.  --json: JSON lines, one entry a line; --explain: which structure\n"
	  "auto chose and why; --profile: that choice as an xpath profile to paste;\n"
	  "--entry ... --title: an xpath profile to try (format xpath).\n" },
	{ "match", "usage: livewatch match [--title TEXT] QUERY [FILE...]\n"
	  "       livewatch [-c CONFIG] match QUERY --history [BLOG] [--since T]\n"
	  "\n"
	  "Tries a rule query on each FILE (stdin without one), or with --history\n"
	  "on every post the history holds (of BLOG, published since T), newest\n"
	  "first with snippets.  A FILE that is an entry file of the history\n"
	  "(<blog>/entries/<day>/<id>.md) is read as that post: its heading is\n"
	  "the title, for title: queries; --title TEXT gives the text a title.\n"
	  "Exit status 0 when something matched, 1 when nothing did.\n" },
	{ "alerts", "usage: livewatch [-c CONFIG] alerts [BLOG] [--since T] [--json]\n"
	  "\n"
	  "The alerts that fired, newest first, read from the history (each commit\n"
	  "records its alerts).  --json: one alert object a line, as sinks get it.\n" },
	{ "report", "usage: livewatch [-c CONFIG] report [BLOG] [--since T] [-o FILE]\n"
	  "\n"
	  "The history (of BLOG, from T on) as one self-contained HTML page, to FILE\n"
	  "or stdout: a timeline, every post newest first with its versions and word\n"
	  "diffs, removals, stealth edits and the alerts that fired.\n" },
	{ "gc", gc_usage },
	{ "status", lw_status_usage },
	{ "test-alert", lw_test_alert_usage },
	{ "demo", "usage: livewatch demo\n"
	  "\n"
	  "Replays a bundled live blog offline, into a temporary history.\n" },
};

static const char *usage_of(const char *cmd)
{
	for (gsize i = 0; i < G_N_ELEMENTS(command_usages); i++)
		if (!strcmp(command_usages[i].name, cmd))
			return command_usages[i].text;
	return NULL;
}

/* Options of a command that takes only -h/--help besides operands:
 * 0 with *first the index of the first operand, 1 when the usage was
 * printed (exit 0), -1 on a bad option (said; exit 2). */
static int parse_plain(const char *cmd, int argc, char **argv, int *first, bool *flag)
{
	/* check --online, poll --json: the one flag of its command */
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "online", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	/* argv[0] is the command: getopt starts after it */
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_of(cmd), stdout);
			return 1;
		}
		if ((c == 'o' && !strcmp(cmd, "check")) || (c == 'j' && !strcmp(cmd, "poll"))) {
			*flag = true;
			continue;
		}
		lw_error("%s: unknown option '%s'\n%s", cmd, argv[optind - 1], usage_of(cmd));
		return -1;
	}
	*first = optind;
	return 0;
}

/* Commands that parse their own options (extract, match, log, show,
 * demo) are asked for help first: -h or --help before any "--". */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

/* The config at path (NULL: the default one), or NULL after saying why. */
static struct lw_config *load_config(const char *path)
{
	g_autofree char *def = NULL;
	if (!path)
		path = def = lw_config_default_path();
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		lw_error("no config at '%s' (copy config.ini.example there, or use -c FILE)", path);
		return NULL;
	}
	GError *err = NULL;
	struct lw_config *cfg = lw_config_load(path, &err);
	if (!cfg) {
		lw_log_lines(LW_LOG_ERROR, err->message);
		g_error_free(err);
	}
	return cfg;
}

static void warn_query_words(const struct lw_ruleset *rs)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < lw_ruleset_count(rs); i++) {
		const struct lw_rule *r = lw_ruleset_get(rs, i);
		g_autofree char *what = g_strdup_printf("%s:%d: rule '%s': ", r->file, r->line, r->name);
		lw_check_query_words(r->query_text, what, warnings);
	}
	for (guint i = 0; i < warnings->len; i++)
		lw_warn("%s", (char *)warnings->pdata[i]);
}

static int cmd_check(const char *config_path, bool online)
{
	GError *err = NULL;
	struct lw_config *cfg = load_config(config_path);
	if (!cfg)
		return EXIT_USAGE;
	g_autofree char *path = g_strdup(cfg->path);
	/* the repository too, which poll and run find out by opening it */
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	lw_check_repo(cfg, problems);
	struct lw_app *app = lw_app_new(cfg, FALSE, &err);
	for (guint i = 0; i < problems->len; i++)
		lw_error("%s", (char *)problems->pdata[i]);
	if (!app || problems->len) {
		if (!app)
			lw_log_lines(LW_LOG_ERROR, err->message);
		g_clear_error(&err);
		lw_app_free(app);
		return EXIT_USAGE;
	}
	/* a desktop with no notification server: alerts would only be logged */
	for (guint i = 0; i < app->sinks->len; i++) {
		if (lw_sink_probe(app->sinks->pdata[i], &err) < 0) {
			lw_warn("%s: its alerts will only be logged", err->message);
			g_clear_error(&err);
		}
	}
	/* a push's files, missing: a warning, the history is recorded anyway */
	g_autoptr(GPtrArray) push_warnings = g_ptr_array_new_with_free_func(g_free);
	lw_check_push_files(app->cfg, push_warnings);
	for (guint i = 0; i < push_warnings->len; i++)
		lw_warn("%s", (char *)push_warnings->pdata[i]);
	/* queries that say "or" where they mean OR: a warning, they are valid */
	warn_query_words(app->rules);
	GHashTableIter bi;
	gpointer bv;
	g_hash_table_iter_init(&bi, app->blog_rules);
	while (g_hash_table_iter_next(&bi, NULL, &bv))
		warn_query_words(bv);
	guint nrules = lw_ruleset_count(app->rules);
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, app->blog_rules);
	while (g_hash_table_iter_next(&it, NULL, &v))
		nrules += lw_ruleset_count(v);
	printf("%s: ok: %u blog%s, %u rule%s, %u sink%s\n", path, app->cfg->blogs->len,
	       app->cfg->blogs->len == 1 ? "" : "s", nrules, nrules == 1 ? "" : "s",
	       app->sinks->len, app->sinks->len == 1 ? "" : "s");
	int status = online && lw_check_online(app) < 0 ? EXIT_RUNTIME : EXIT_OK;
	lw_app_free(app);
	return status;
}

/* poll: packs the history when due, quietly (poll's output is the
 * blogs'); a failure is only a warning, the poll itself went fine. */
static void gc_when_due(struct lw_app *app)
{
	struct lw_store *s = app->store;
	if (!lw_gc_due(lw_store_repo(s), lw_store_git_dir(s)))
		return;
	GError *err = NULL;
	struct lw_gc_stats st;
	/* one thread: a second one would search deltas no cheaper, only
	 * sooner, and bring its own malloc arena (poll's peak memory) */
	struct lw_gc_opts o = { .full = false, .threads = 1 };
	if (lw_gc_run_opts(lw_store_repo(s), lw_store_git_dir(s), lw_store_state_dir(s), &o, &st,
			   &err) < 0) {
		lw_warn("%s", err->message);
		g_error_free(err);
		return;
	}
	g_autofree char *what = lw_gc_stats_describe(&st);
	lw_debug("gc: %s", what);
}


/* The app of a command that writes the history (store opened and
 * locked); NULL after saying why, with the exit status in *code. */
static struct lw_app *open_app(struct lw_config *cfg, int *code)
{
	GError *err = NULL;
	struct lw_app *app = lw_app_new(cfg, TRUE, &err);
	if (!app) {
		/* a config's problems are one a line */
		if (err->code == LW_ERROR_CONFIG)
			lw_log_lines(LW_LOG_ERROR, err->message);
		else
			lw_error("%s", err->message);
		*code = err->code == LW_ERROR_CONFIG || err->code == LW_ERROR_QUERY ?
		        EXIT_USAGE : EXIT_RUNTIME;
		g_error_free(err);
	}
	return app;
}

static int cmd_gc(const char *config_path, int argc, char **argv)
{
	if (argc > 0) {
		lw_error("gc: unexpected argument '%s'\n%s", argv[0], gc_usage);
		return EXIT_USAGE;
	}
	struct lw_config *cfg = load_config(config_path);
	if (!cfg)
		return EXIT_USAGE;
	GError *err = NULL;
	int code;
	struct lw_app *app = open_app(cfg, &code);
	if (!app)
		return code;
	struct lw_store *s = app->store;
	struct lw_gc_stats st;
	int status = EXIT_OK;
	if (lw_gc_run(lw_store_repo(s), lw_store_git_dir(s), lw_store_state_dir(s), true, &st, &err) < 0) {
		lw_error("%s", err->message);
		g_error_free(err);
		status = EXIT_RUNTIME;
	} else {
		g_autofree char *what = lw_gc_stats_describe(&st);
		printf("gc: %s\n", what);
	}
	/* and git's index catches up, however big it is */
	if (lw_store_flush(s, true, &err) < 0) {
		lw_error("%s", err->message);
		g_clear_error(&err);
		status = EXIT_RUNTIME;
	}
	lw_app_free(app);
	return status;
}

/* A poll's commits go to the disk in batches (store.h
 * lw_store_batch_begin): one pack, one move of the ref and its two syncs
 * for every blog that changed, not for each.  A batch ends once its new
 * objects hold this much memory (a first poll of many big blogs), and at
 * the end of the poll. */
#define POLL_BATCH_BYTES (1024 * 1024)

/* One blog's poll, from its record to its report. */
struct polled {
	const struct lw_blog_config *blog;
	struct lw_poll_job *job;     /* NULL: it failed before its record */
	struct lw_poll_result r;
	int rc;                      /* lw_poll_job_record(); -1 with err */
	GError *err;
};

/* Ends the batch, then each blog of it in order: its state saved and
 * its alerts delivered once its commit is on the disk, or taken back
 * when the batch failed; then its report and summary line.  The batch's
 * alerts go to the outbox first, in one write, so that a crash once the
 * ref moved delivers them at the next start, and leave it in one write
 * once delivered. */
static int poll_settle(struct lw_app *app, GPtrArray *polled, bool json)
{
	const char *dir = lw_store_state_dir(app->store);
	GError *berr = NULL;
	g_autoptr(GPtrArray) queued = g_ptr_array_new();   /* alerts, borrowed */
	for (guint i = 0; i < polled->len; i++) {
		struct polled *p = polled->pdata[i];
		for (guint k = 0; p->rc > 0 && k < p->r.alerts->len; k++)
			g_ptr_array_add(queued, p->r.alerts->pdata[k]);
	}
	bool recorded;
	if (lw_outbox_append(dir, queued, &berr) < 0) {
		lw_store_batch_drop(app->store);
		recorded = false;
	} else {
		recorded = lw_store_batch_end(app->store, &berr) == 0;
		if (!recorded)
			lw_outbox_remove(dir, queued, NULL);
	}
	int status = EXIT_OK;
	g_autoptr(GPtrArray) delivered = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	for (guint i = 0; i < polled->len; i++) {
		struct polled *p = polled->pdata[i];
		const char *name = p->blog->sec.name;
		if (p->rc > 0 && !recorded && (p->r.commit[0] || p->r.alerts->len))
			lw_poll_job_abandon(p->job, &p->r, berr);
		else if (p->rc > 0 && lw_poll_job_complete(p->job, &p->r, &p->err) < 0)
			p->rc = -1;
		if (p->rc < 0) {
			lw_error("%s: %s", name, p->err->message);
			lw_app_summary(name, NULL, p->err->message, json);
			status = EXIT_RUNTIME;
		} else {
			lw_app_report(app, name, &p->r);
			lw_app_summary(name, &p->r, NULL, json);
			if (p->r.outcome == LW_POLL_FAILED)
				status = EXIT_RUNTIME;
		}
		/* delivered (or kept by its sinks for a retry): out of the outbox */
		if (recorded && p->rc > 0)
			for (guint k = 0; k < p->r.alerts->len; k++)
				g_ptr_array_add(delivered, g_steal_pointer(&p->r.alerts->pdata[k]));
		lw_poll_result_clear(&p->r);
		lw_poll_job_free(p->job);
		g_clear_error(&p->err);
		g_free(p);
	}
	g_ptr_array_set_size(polled, 0);
	GError *oerr = NULL;
	if (delivered->len && lw_outbox_remove(dir, delivered, &oerr) < 0) {
		lw_error("%s", oerr->message);
		g_error_free(oerr);
		status = EXIT_RUNTIME;
	}
	g_clear_error(&berr);
	return status;
}

static int cmd_poll(const char *config_path, int argc, char **argv, bool json)
{
	struct lw_config *cfg = load_config(config_path);
	if (!cfg)
		return EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		if (!lw_config_find_blog(cfg, argv[i])) {
			lw_error("no blog '%s' in '%s'", argv[i], cfg->path);
			lw_config_free(cfg);
			return EXIT_USAGE;
		}
	}
	int code;
	struct lw_app *app = open_app(cfg, &code);
	if (!app)
		return code;
	lw_fetch_global_init();
	int status = EXIT_OK;
	lw_app_flush_outbox(app);
	g_autoptr(GPtrArray) polled = g_ptr_array_new();
	app->ctx.batch = true;
	lw_store_batch_begin(app->store);
	for (guint i = 0; i < app->cfg->blogs->len; i++) {
		const struct lw_blog_config *b = app->cfg->blogs->pdata[i];
		bool wanted = argc == 0;
		for (int a = 0; a < argc && !wanted; a++)
			wanted = !strcmp(argv[a], b->sec.name);
		if (!wanted)
			continue;
		struct polled *p = g_new0(struct polled, 1);
		p->blog = b;
		lw_poll_result_init(&p->r);
		g_ptr_array_add(polled, p);
		g_autofree char *url = lw_app_follow(app, b);
		p->job = lw_poll_job_new(&app->ctx, b, url, &p->err);
		if (!p->job) {
			p->rc = -1;
			continue;
		}
		lw_poll_job_fetch(p->job);
		p->rc = lw_poll_job_record(p->job, &p->r, &p->err);
		lw_poll_result_slim(&p->r);   /* a poll of many blogs holds their results */
		if (lw_store_batch_bytes(app->store) < POLL_BATCH_BYTES)
			continue;
		if (poll_settle(app, polled, json) != EXIT_OK)
			status = EXIT_RUNTIME;
		lw_store_batch_begin(app->store);
		/* a poll of many blogs packs its commits' packs as it goes */
		if (lw_store_packs_written(app->store, false) >= LW_GC_SMALL_MAX) {
			lw_store_packs_written(app->store, true);
			gc_when_due(app);
		}
	}
	if (poll_settle(app, polled, json) != EXIT_OK)
		status = EXIT_RUNTIME;
	gc_when_due(app);
	lw_app_free(app);
	return status;
}

/* s as a JSON string, escaped as json-glib escapes it (the output is the
 * same bytes a JsonGenerator wrote, without building a tree per entry). */
static void append_json_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		switch (c) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\b': g_string_append(out, "\\b"); break;
		case '\f': g_string_append(out, "\\f"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (c < 0x20)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_c(out, (char)c);
		}
	}
	g_string_append_c(out, '"');
}

static void print_entry_json(const struct lw_entry *e)
{
	const struct { const char *k; const char *v; } f[] = {
		{ "id", e->id }, { "title", e->title }, { "body", e->body },
		{ "published", e->published }, { "updated", e->updated }, { "url", e->url },
		{ "author", e->author },
	};
	GString *out = g_string_sized_new(strlen(e->body) + 512);
	g_string_append_c(out, '{');
	for (gsize i = 0; i < G_N_ELEMENTS(f); i++) {
		g_string_append_printf(out, "%s\"%s\":", i ? "," : "", f[i].k);
		append_json_string(out, f[i].v);
	}
	g_string_append_printf(out, ",\"pinned\":%s,\"key_event\":%s}",
	                       e->pinned ? "true" : "false", e->key_event ? "true" : "false");
	puts(out->str);
	g_string_free(out, TRUE);
}

/* The first words of a body, on one line, cut on a word. */
static char *first_words(const char *body, gsize max)
{
	g_autofree char *line = g_strdup(body);
	g_strdelimit(line, "\n", ' ');
	if (strlen(line) <= max)
		return g_steal_pointer(&line);
	gsize end = max;
	while (end > 0 && line[end] != ' ')
		end--;
	if (end == 0) {
		end = max;
		while (end > 0 && ((guchar)line[end] & 0xC0) == 0x80)
			end--;
	}
	return g_strdup_printf("%.*s\u2026", (int)end, line);
}

/* One profile key as an ini line, continued on indented lines so that no
 * line passes inih's 199 bytes: cut at a space or before a '[' outside
 * quotes (the config joins continuation lines with one space, and XPath
 * allows a space between any two tokens). */
static void print_profile_key(const char *key, const char *value)
{
	if (!value)
		return;
	printf("%-7s = ", key);
	gsize col = 10, len = strlen(value), start = 0, cut = 0;
	char quote = 0;
	for (gsize i = 0; i < len; i++) {
		char c = value[i];
		if (quote) {
			quote = c == quote ? 0 : quote;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if ((c == ' ' || c == '[') && i > start) {
			cut = i;
		}
		if (col + (i - start) >= 120 && cut > start) {
			printf("%.*s\n    ", (int)(cut - start), value + start);
			start = value[cut] == ' ' ? cut + 1 : cut;
			col = 4;
		}
	}
	printf("%s\n", value + start);
}

static void print_profile(const struct lw_extract_report *r, const char *format)
{
	if (!r->profile.entry) {
		printf("; format %s is built in: pin it by its name\nformat = %s\n", format, format);
		return;
	}
	printf("; livewatch extract --profile: paste into the page's [blog \"NAME\"] section\n");
	if (r->note)
		printf("; note: %s\n", r->note);
	printf("format  = xpath\n");
	print_profile_key("entry", r->profile.entry);
	print_profile_key("id", r->profile.id);
	print_profile_key("time", r->profile.time);
	print_profile_key("updated", r->profile.updated);
	print_profile_key("title", r->profile.title);
	print_profile_key("body", r->profile.body);
}

static int cmd_extract(int argc, char **argv)
{
	gboolean explain = FALSE, profile = FALSE;
	const char *format = NULL;
	gboolean json = FALSE;
	const char *src = NULL;
	struct lw_xpath_profile prof = { 0 };
	const struct { const char *opt; char **field; } xp[] = {
		{ "--entry", &prof.entry }, { "--id", &prof.id }, { "--time", &prof.time },
		{ "--updated", &prof.updated }, { "--title", &prof.title }, { "--body", &prof.body },
	};
	bool any_xpath = false;
	for (int i = 0; i < argc; i++) {
		bool done = false;
		for (gsize k = 0; k < G_N_ELEMENTS(xp) && !done; k++) {
			gsize n = strlen(xp[k].opt);
			if (!strcmp(argv[i], xp[k].opt) && i + 1 < argc) {
				*xp[k].field = argv[++i];
				done = true;
			} else if (!strncmp(argv[i], xp[k].opt, n) && argv[i][n] == '=') {
				*xp[k].field = argv[i] + n + 1;
				done = true;
			}
		}
		if (done) {
			any_xpath = true;
		} else if (!strcmp(argv[i], "--json")) {
			json = TRUE;
		} else if (!strcmp(argv[i], "--explain")) {
			explain = TRUE;
		} else if (!strcmp(argv[i], "--profile")) {
			profile = TRUE;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			format = argv[++i];
		} else if (!strncmp(argv[i], "--format=", 9)) {
			format = argv[i] + 9;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			lw_error("extract: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!src) {
			src = argv[i];
		} else {
			lw_error("extract: one FILE or URL at a time");
			return EXIT_USAGE;
		}
	}
	if (!src) {
		lw_error("extract: missing FILE or URL\n%s", usage);
		return EXIT_USAGE;
	}
	/* profile options alone mean format xpath */
	if (!format)
		format = any_xpath ? "xpath" : "auto";
	if (!lw_extract_format_known(format)) {
		lw_error("extract: unknown format '%s' (auto, guardian, jsonld, feed, xpath, generic, article)",
		         format);
		return EXIT_USAGE;
	}

	GError *err = NULL;
	if (!strcmp(format, "xpath") && lw_extract_check_profile(&prof, &err) < 0) {
		lw_error("extract: %s (give --entry and --body, and --id, --time, --updated, "
		         "--title as needed)", err->message);
		g_error_free(err);
		return EXIT_USAGE;
	}
	g_autofree char *data = NULL;
	gsize len = 0;
	struct lw_fetch_result fr;
	memset(&fr, 0, sizeof(fr));
	bool fetched = false;
	struct lw_extract_opts xo = LW_EXTRACT_OPTS_DEFAULT;
	xo.format = format;
	xo.xpath = &prof;
	struct lw_extract_report report = { 0 };
	if (explain || profile)
		xo.report = &report;
	if (lw_url_is_http(src)) {
		lw_fetch_global_init();
		struct lw_fetch_opts fo = LW_FETCH_OPTS_DEFAULT;
		if (lw_fetch_page(&fr, src, &fo, NULL, &err) < 0) {
			lw_error("%s", err->message);
			g_error_free(err);
			return EXIT_RUNTIME;
		}
		fetched = true;
		if (fr.status >= 400) {
			lw_error("cannot fetch '%s': HTTP %ld", src, fr.status);
			lw_fetch_result_clear(&fr);
			return EXIT_RUNTIME;
		}
		data = g_memdup2(g_bytes_get_data(fr.body, &len), g_bytes_get_size(fr.body) + 1);
		xo.charset = fr.charset;
		xo.base_url = fr.effective_url ? fr.effective_url : src;
	} else if (!g_file_get_contents(src, &data, &len, &err)) {
		lw_error("cannot read '%s': %s", src, err->message);
		g_error_free(err);
		return EXIT_RUNTIME;
	}
	struct lw_snapshot *snap = lw_extract(data, len, &xo, &err);
	int status = EXIT_OK;
	if (explain && report.explain)
		fputs(report.explain->str, json ? stderr : stdout);
	if (!snap) {
		lw_error("%s: %s", src, err->message);
		g_error_free(err);
		status = EXIT_RUNTIME;
		goto out;
	}
	if (profile) {
		print_profile(&report, snap->format);
	} else if (json) {
		for (guint i = 0; i < snap->entries->len; i++)
			print_entry_json(snap->entries->pdata[i]);
	} else {
		printf("%s: format %s, %u entr%s\n", src, snap->format, snap->entries->len,
		       snap->entries->len == 1 ? "y" : "ies");
		if (*snap->page_title)
			printf("title: %s\n", snap->page_title);
		if (*snap->next_url)
			printf("older page: %s\n", snap->next_url);
		for (guint i = 0; i < snap->entries->len; i++) {
			const struct lw_entry *e = snap->entries->pdata[i];
			g_autofree char *words = first_words(e->body, 100);
			printf("\n%s%s%s\n  published %s%s%s\n", e->id, e->pinned ? " (pinned)" : "",
			       e->key_event ? " (key event)" : "",
			       *e->published ? e->published : "-",
			       *e->updated ? ", updated " : "", e->updated);
			if (*e->title)
				printf("  title: %s\n", e->title);
			printf("  %s\n", *words ? words : "(no text)");
		}
	}
	lw_snapshot_free(snap);
out:
	lw_extract_report_clear(&report);
	if (fetched)
		lw_fetch_result_clear(&fr);
	return status;
}

/* log and show: the config says where the repository is; without -c and
 * without a default config, the default repository. */
static int cmd_history(const char *config_path,
                       int (*fn)(const struct lw_config *, int, char **), int argc, char **argv)
{
	g_autofree char *def = config_path ? NULL : lw_config_default_path();
	struct lw_config *cfg = def && !g_file_test(def, G_FILE_TEST_EXISTS) ?
				lw_config_new_default() : load_config(config_path);
	if (!cfg)
		return EXIT_USAGE;
	int status = fn(cfg, argc, argv);
	lw_config_free(cfg);
	return status;
}

static int cmd_run(const char *config_path)
{
	/* whoever reads the daemon's lines (a terminal, a file, a pipe) wants
	 * to know when; the journal stamps them itself (log.h) */
	const char *t = g_getenv("LIVEWATCH_LOG_TIME");
	lw_log_set_timestamps(!t || strcmp(t, "0"));
	struct lw_config *cfg = load_config(config_path);
	if (!cfg)
		return EXIT_USAGE;
	return lw_run_main(cfg, config_path);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/* libgit2 keeps up to 256 MB of the trees and commits it has read.  A
	 * poll reads a handful, but packing reads every one once, and on a
	 * year of history the cache alone took 270 MB of a repack's 460. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)LW_GIT_CACHE_MAX);
	const char *config_path = NULL;
	int verbosity = 0;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "livewatch: %s needs a FILE\n", a);
				return EXIT_USAGE;
			}
			config_path = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			config_path = a + 9;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbosity++;
		} else if (!strcmp(a, "-vv")) {
			verbosity += 2;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			verbosity = -1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("livewatch %s\n", LW_VERSION);
			return EXIT_OK;
		} else if (a[0] == '-') {
			fprintf(stderr, "livewatch: unknown option '%s'\n%s", a, usage);
			return EXIT_USAGE;
		} else {
			break;
		}
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[i++];
	/* One-shot commands say what each blog did; the daemon only what matters. */
	if (verbosity == 0 && strcmp(cmd, "run"))
		verbosity = 1;
	lw_log_set_level(verbosity < 0 ? LW_LOG_WARNING : verbosity == 0 ? LW_LOG_NOTICE :
	                 verbosity == 1 ? LW_LOG_INFO : LW_LOG_DEBUG);
	if (!strcmp(cmd, "help"))
		return fputs(usage, stdout), EXIT_OK;
	if (!usage_of(cmd)) {
		fprintf(stderr, "livewatch: unknown command '%s'\n%s", cmd, usage);
		return EXIT_USAGE;
	}
	/* the command's own arguments, argv[0] being its name */
	int cargc = argc - i + 1;
	char **cargv = argv + i - 1;
	if (!strcmp(cmd, "poll") || !strcmp(cmd, "check") || !strcmp(cmd, "run") ||
	    !strcmp(cmd, "gc")) {
		int first = 0;
		bool flag = false;
		int rc = parse_plain(cmd, cargc, cargv, &first, &flag);
		if (rc != 0)
			return rc > 0 ? EXIT_OK : EXIT_USAGE;
		int rest = cargc - first;
		char **args = cargv + first;
		if (!strcmp(cmd, "poll"))
			return cmd_poll(config_path, rest, args, flag);
		if (!strcmp(cmd, "gc"))
			return cmd_gc(config_path, rest, args);
		if (rest > 0) {
			lw_error("%s: unexpected argument '%s'\n%s", cmd, args[0], usage_of(cmd));
			return EXIT_USAGE;
		}
		return !strcmp(cmd, "run") ? cmd_run(config_path) : cmd_check(config_path, flag);
	}
	if (wants_help(cargc, cargv)) {
		fputs(usage_of(cmd), stdout);
		return EXIT_OK;
	}
	int rest = cargc - 1;
	char **args = cargv + 1;
	if (!strcmp(cmd, "extract"))
		return cmd_extract(rest, args);
	if (!strcmp(cmd, "match")) {
		for (int k = 0; k < rest && strcmp(args[k], "--"); k++)
			if (!strcmp(args[k], "--history"))
				return cmd_history(config_path, lw_match_history_main, rest, args);
		return lw_match_main(rest, args);
	}
	if (!strcmp(cmd, "demo"))
		return lw_demo_main(rest, args);
	if (!strcmp(cmd, "log"))
		return cmd_history(config_path, lw_history_log_main, rest, args);
	if (!strcmp(cmd, "status"))
		return cmd_history(config_path, lw_status_main, rest, args);
	if (!strcmp(cmd, "test-alert")) {
		struct lw_config *cfg = load_config(config_path);
		return cfg ? lw_test_alert_main(cfg, rest, args) : EXIT_USAGE;
	}
	if (!strcmp(cmd, "alerts"))
		return cmd_history(config_path, lw_alerts_main, rest, args);
	if (!strcmp(cmd, "report"))
		return cmd_history(config_path, lw_report_main, rest, args);
	return cmd_history(config_path, lw_history_show_main, rest, args);
}
