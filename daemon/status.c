/* `livewatch status [--json]`: how each blog is doing, from the state the
 * daemon and poll keep beside the history (<repo>/.git/livewatch), read
 * without the repository's lock: a running daemon and a stopped one both
 * answer. */
#include "cli.h"
#include "log.h"
#include "schedule.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>


/* The pid holding the repository's lock (a daemon, or a poll), 0 when
 * none does. */
static long lock_holder(const char *state_dir)
{
	g_autofree char *path = g_build_filename(state_dir, "lock", NULL);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	long pid = 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		char buf[32];
		ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[r > 0 ? r : 0] = '\0';
		pid = MAX(1, (long)g_ascii_strtoll(buf, NULL, 10));
	}
	close(fd);
	return pid;
}

static guint count_lines(const char *path)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &text, &len, NULL))
		return 0;
	guint n = 0;
	for (gsize i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* Alerts kept for a retry, per sink (<state>/retry/<name, %XX>/outbox.jsonl). */
static void retry_counts(const char *state_dir, GHashTable *out)
{
	g_autofree char *root = g_build_filename(state_dir, "retry", NULL);
	GDir *d = g_dir_open(root, 0, NULL);
	if (!d)
		return;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *file = g_build_filename(root, name, "outbox.jsonl", NULL);
		guint n = count_lines(file);
		char *sink = g_uri_unescape_string(name, NULL);
		if (n > 0 && sink)
			g_hash_table_insert(out, sink, GUINT_TO_POINTER(n));
		else
			g_free(sink);
	}
	g_dir_close(d);
}

static char *when(gint64 t, gint64 now)
{
	if (!t)
		return g_strdup("never");
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);
	g_autofree char *s = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S");
	gint64 ago = now - t;
	if (ago < 0)
		return g_strdup_printf("%s (in %" G_GINT64_FORMAT " s)", s, -ago);
	if (ago < 120)
		return g_strdup_printf("%s (%" G_GINT64_FORMAT " s ago)", s, ago);
	if (ago < 7200)
		return g_strdup_printf("%s (%" G_GINT64_FORMAT " min ago)", s, ago / 60);
	return g_strdup_printf("%s (%" G_GINT64_FORMAT " h ago)", s, ago / 3600);
}

/* When the next poll is due by the daemon's policy (schedule.h), from the
 * state alone: an estimate (the daemon adds jitter, and knows the page's
 * coverage); 0 when the blog was never polled. */
static gint64 next_poll(const struct lw_config *cfg, const struct lw_blog_config *b,
                        const struct lw_blog_state *st, gint64 now)
{
	if (!st->last_poll)
		return 0;
	struct lw_schedule_facts f = {
		.now = now, .interval = b->interval, .max_backoff = cfg->max_backoff,
		.adaptive = cfg->adaptive, .max_interval = cfg->max_interval,
		.last_change = st->last_change, .follow = b->follow != NULL,
	};
	const char *why;
	if (st->failures > 0)
		return st->last_poll + lw_schedule_failed_ms(&f, st->failures, 0, 1.0, &why) / 1000;
	gint64 s = lw_schedule_healthy(&f, NULL, &why);
	if (st->over && !b->follow)
		s = MAX(s, LW_SCHEDULE_HOURLY);
	return st->last_poll + s;
}

static void add_time(JsonBuilder *j, const char *key, gint64 t)
{
	json_builder_set_member_name(j, key);
	if (!t) {
		json_builder_add_null_value(j);
		return;
	}
	g_autofree char *s = lw_time_rfc3339(t);
	json_builder_add_string_value(j, s);
}

const char lw_status_usage[] =
	"usage: livewatch [-c CONFIG] status [--json]\n"
	"\n"
	"Per blog: the last poll, the last success and the last change, failures\n"
	"in a row and the last error, the next poll (estimated), the page a\n"
	"series led to, whether the blog is over; then the alerts waiting for a\n"
	"retry, per sink.  Read from the history's state: a running daemon and a\n"
	"stopped one both answer.  --json: one object.\n";

int lw_status_main(const struct lw_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	/* getopt wants the command's name first */
	g_autofree char **av = g_new0(char *, (gsize)argc + 2);
	av[0] = (char *)"status";
	memcpy(av + 1, argv, sizeof(char *) * (gsize)argc);
	argv = av;
	argc++;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "hj", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(lw_status_usage, stdout);
			return EXIT_OK;
		} else if (c == 'j') {
			json = true;
		} else {
			lw_error("status: unknown option '%s'\n%s", argv[optind - 1], lw_status_usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		lw_error("status: unexpected argument '%s'\n%s", argv[optind], lw_status_usage);
		return EXIT_USAGE;
	}
	g_autofree char *state_dir = g_build_filename(cfg->repo, ".git", "livewatch", NULL);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	long pid = lock_holder(state_dir);
	g_autoptr(GHashTable) retry = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	retry_counts(state_dir, retry);
	g_autofree char *outbox = g_build_filename(state_dir, "outbox.jsonl", NULL);
	guint in_flight = count_lines(outbox);

	g_autoptr(JsonBuilder) j = json_builder_new();
	json_builder_begin_object(j);
	json_builder_set_member_name(j, "repo");
	json_builder_add_string_value(j, cfg->repo);
	json_builder_set_member_name(j, "running");
	if (pid)
		json_builder_add_int_value(j, pid);
	else
		json_builder_add_null_value(j);
	json_builder_set_member_name(j, "blogs");
	json_builder_begin_array(j);
	if (!json && pid)
		printf("history: %s\nlivewatch: running (pid %ld)\n", cfg->repo, pid);
	else if (!json)
		printf("history: %s\nlivewatch: not running\n", cfg->repo);
	int status = EXIT_OK;
	for (guint i = 0; i < cfg->blogs->len; i++) {
		const struct lw_blog_config *b = cfg->blogs->pdata[i];
		GError *err = NULL;
		struct lw_blog_state *st = lw_state_load(state_dir, b->sec.name, &err);
		if (!st) {
			lw_error("%s: %s", b->sec.name, err->message);
			g_error_free(err);
			status = EXIT_RUNTIME;
			continue;
		}
		gint64 next = next_poll(cfg, b, st, now);
		const char *page = *st->follow_url ? st->follow_url : b->url;
		if (json) {
			json_builder_begin_object(j);
			json_builder_set_member_name(j, "blog");
			json_builder_add_string_value(j, b->sec.name);
			json_builder_set_member_name(j, "url");
			json_builder_add_string_value(j, page);
			add_time(j, "last_poll", st->last_poll);
			add_time(j, "last_success", st->last_success);
			add_time(j, "last_change", st->last_change);
			json_builder_set_member_name(j, "failures");
			json_builder_add_int_value(j, st->failures);
			json_builder_set_member_name(j, "last_error");
			json_builder_add_string_value(j, st->last_error);
			add_time(j, "next_poll", next);
			json_builder_set_member_name(j, "follows");
			json_builder_add_string_value(j, b->follow ? b->follow : "");
			json_builder_set_member_name(j, "over");
			json_builder_add_boolean_value(j, st->over);
			json_builder_end_object(j);
		} else {
			g_autofree char *lp = when(st->last_poll, now);
			g_autofree char *ls = when(st->last_success, now);
			g_autofree char *lc = when(st->last_change, now);
			g_autofree char *np = next ? when(next, now) : g_strdup("at the first run");
			printf("\n%s: %s%s\n", b->sec.name,
			       !st->last_poll ? "never polled" : st->failures ? "failing" : "ok",
			       st->over ? ", over (polled hourly)" : "");
			printf("  page          %s\n", page);
			if (b->follow)
				printf("  follows       %s\n", b->follow);
			printf("  last poll     %s\n  last success  %s\n  last change   %s\n", lp, ls, lc);
			if (st->failures)
				printf("  failures      %d in a row: %s\n", st->failures, st->last_error);
			printf("  next poll     %s, estimated\n", np);
		}
		lw_blog_state_free(st);
	}
	json_builder_end_array(j);
	json_builder_set_member_name(j, "outbox");
	json_builder_add_int_value(j, in_flight);
	json_builder_set_member_name(j, "retry");
	json_builder_begin_object(j);
	g_autoptr(GList) names = g_list_sort(g_hash_table_get_keys(retry), (GCompareFunc)strcmp);
	for (GList *l = names; l; l = l->next) {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(retry, l->data));
		json_builder_set_member_name(j, l->data);
		json_builder_add_int_value(j, n);
		if (!json)
			printf("%ssink '%s': %u alert%s waiting for a retry\n", l == names ? "\n" : "",
			       (char *)l->data, n, n == 1 ? "" : "s");
	}
	json_builder_end_object(j);
	json_builder_end_object(j);
	if (json) {
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autoptr(JsonNode) root = json_builder_get_root(j);
		json_generator_set_root(gen, root);
		g_autofree char *text = json_generator_to_data(gen, NULL);
		puts(text);
	} else if (in_flight) {
		printf("\n%u alert%s in the outbox, being delivered\n", in_flight,
		       in_flight == 1 ? "" : "s");
	}
	return status;
}
