/* `livewatch log` and `livewatch show`: the history read back. */
#include "cli.h"
#include "error.h"
#include "history.h"
#include "wdiff.h"
#include "log.h"
#include "readout.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <sys/poll.h>   /* not <poll.h>: src/poll.h is first on the path */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


/* Writes text to stdout with control characters (C0 but tab and newline,
 * DEL, and C1 in UTF-8) shown as '?', so an entry cannot drive the
 * terminal. */
void lw_readout_append_clean(GString *out, const char *s, gsize len, bool newline_ok)
{
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)s[i];
		if ((c < 0x20 && c != '\t' && !(c == '\n' && newline_ok)) || c == 0x7f) {
			g_string_append_c(out, '?');
		} else if (c == 0xc2 && i + 1 < len && (guchar)s[i + 1] >= 0x80 &&
		           (guchar)s[i + 1] <= 0x9f) {
			g_string_append_c(out, '?');
			i++;
		} else {
			g_string_append_c(out, (char)c);
		}
	}
}

void lw_readout_put_clean(const char *s, gsize len, bool newline_ok)
{
	GString *out = g_string_sized_new(len);
	lw_readout_append_clean(out, s, len, newline_ok);
	fwrite(out->str, 1, out->len, stdout);
	g_string_free(out, TRUE);
}

void lw_readout_put_str(const char *s)
{
	lw_readout_put_clean(s, strlen(s), false);
}

char *lw_readout_local_time(gint64 t, const char *fmt)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);
	return dt ? g_date_time_format(dt, fmt) : g_strdup("?");
}

/* "18:31" in local time from an RFC 3339 time, or "" */
static char *published_hhmm(const char *published)
{
	if (!*published)
		return g_strdup("");
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(published, utc);
	if (!dt)
		return g_strdup("");
	g_autoptr(GDateTime) local = g_date_time_to_local(dt);
	return g_date_time_format(local, "%H:%M");
}

/* False once stdout is gone (a closed pipe): the walk stops quietly. */
static bool out_ok(void)
{
	return !ferror(stdout);
}

/* True when nobody reads stdout any more (the reader of a pipe is gone):
 * errno may no longer say EPIPE by the time we look. */
static bool stdout_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* Flushes stdout; a closed pipe is not an error worth a word. */
int lw_readout_finish(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	if (errno == EPIPE || stdout_gone())
		return status;
	lw_error("cannot write the output: %s", g_strerror(errno));
	return EXIT_RUNTIME;
}

/* Looks the blog up in the config and the repository; says why when neither knows it. */
bool lw_readout_blog_known(const struct lw_config *cfg, struct lw_history_reader *r, const char *blog)
{
	if (lw_config_find_blog(cfg, blog) || lw_history_has_blog(r, blog))
		return true;
	if (*cfg->path)
		lw_error("no blog '%s' in '%s' or in the history at '%s'", blog, cfg->path, cfg->repo);
	else
		lw_error("no blog '%s' in the history at '%s'", blog, cfg->repo);
	return false;
}

/* The config's history, for reading to stdout: a closed pipe (`| head`)
 * ends the output quietly instead of killing us.  NULL, said, when there
 * is none. */
struct lw_history_reader *lw_readout_open(const struct lw_config *cfg)
{
	GError *err = NULL;
	signal(SIGPIPE, SIG_IGN);
	struct lw_history_reader *r = lw_history_reader_open(cfg->repo, &err);
	if (!r) {
		lw_error("%s", err->message);
		g_error_free(err);
	}
	return r;
}

struct lw_history_reader *lw_readout_open_blog(const struct lw_config *cfg, const char *blog,
                                               int *status)
{
	struct lw_history_reader *r = lw_readout_open(cfg);
	if (!r) {
		*status = EXIT_RUNTIME;
		return NULL;
	}
	if (blog && !lw_readout_blog_known(cfg, r, blog)) {
		lw_history_reader_free(r);
		*status = EXIT_USAGE;
		return NULL;
	}
	return r;
}

gint64 lw_readout_since(const char *cmd, const char *text, gint64 now)
{
	GError *err = NULL;
	gint64 since = lw_history_parse_since(text, now, &err);
	if (since < 0) {
		lw_error("%s: %s", cmd, err->message);
		g_error_free(err);
	}
	return since;
}

static void print_counts(const struct lw_history_poll *p)
{
	const struct { guint n; const char *what; } parts[] = {
		{ p->n_new, "new" }, { p->n_restored, "restored" }, { p->n_edited, "edited" },
		{ p->n_removed, "removed" },
	};
	bool first = true;
	for (gsize i = 0; i < G_N_ELEMENTS(parts); i++) {
		if (!parts[i].n)
			continue;
		printf("%s%u %s", first ? "" : ", ", parts[i].n, parts[i].what);
		first = false;
		if (parts[i].n == p->n_edited && p->n_stealth && !strcmp(parts[i].what, "edited"))
			printf(" (%u stealth)", p->n_stealth);
	}
	if (first)
		fputs("no entry changed", stdout);
}

struct log_state {
	bool json;
	guint shown;
};

static bool print_poll_text(const struct lw_history_poll *p, struct log_state *st)
{
	g_autofree char *when = lw_readout_local_time(p->time, "%Y-%m-%d %H:%M");
	if (st->shown)
		putchar('\n');
	printf("%s  ", when);
	lw_readout_put_str(p->blog);
	fputs("  ", stdout);
	print_counts(p);
	if (!p->livewatch) {
		printf("  (commit %.8s, not by livewatch: \"", p->commit);
		lw_readout_put_str(p->summary);
		fputs("\")", stdout);
	}
	putchar('\n');
	for (guint i = 0; i < p->changes->len; i++) {
		const struct lw_history_change *c = p->changes->pdata[i];
		g_autofree char *t = published_hhmm(c->published);
		printf("  %c ", c->kind == 'M' ? '~' : c->kind == 'D' ? '-' : '+');
		lw_readout_put_str(c->id);
		printf("%s%s ", *t ? " " : "", t);
		lw_readout_put_str(!c->readable ? "(unreadable entry file)" : *c->title ? c->title : "(no heading)");
		puts(c->kind == 'R' ? " (restored)" : c->stealth ? " (stealth edit)" : "");
	}
	if (p->alert_rules->len > 0) {
		fputs("  alerts:", stdout);
		for (guint i = 0; i < p->alert_rules->len; i++) {
			putchar(' ');
			lw_readout_put_str(p->alert_rules->pdata[i]);
			printf("=%u", g_array_index(p->alert_counts, guint, i));
		}
		putchar('\n');
	}
	return true;
}

static void json_changes(JsonBuilder *b, const struct lw_history_poll *p, char kind,
                         const char *key)
{
	json_builder_set_member_name(b, key);
	json_builder_begin_array(b);
	for (guint i = 0; i < p->changes->len; i++) {
		const struct lw_history_change *c = p->changes->pdata[i];
		if (c->kind != kind)
			continue;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, c->id);
		json_builder_set_member_name(b, "title");
		json_builder_add_string_value(b, c->title);
		json_builder_set_member_name(b, "published");
		json_builder_add_string_value(b, c->published);
		if (kind == 'M') {
			json_builder_set_member_name(b, "stealth");
			json_builder_add_boolean_value(b, c->stealth);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static bool print_poll_json(const struct lw_history_poll *p)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *when = lw_time_rfc3339(p->time);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "commit");
	json_builder_add_string_value(b, p->commit);
	json_builder_set_member_name(b, "time");
	json_builder_add_string_value(b, when);
	json_builder_set_member_name(b, "blog");
	json_builder_add_string_value(b, p->blog);
	json_builder_set_member_name(b, "livewatch");
	json_builder_add_boolean_value(b, p->livewatch);
	json_builder_set_member_name(b, "summary");
	json_builder_add_string_value(b, g_utf8_validate(p->summary, -1, NULL) ? p->summary : "");
	json_changes(b, p, 'A', "new");
	json_changes(b, p, 'R', "restored");
	json_changes(b, p, 'M', "edited");
	json_changes(b, p, 'D', "removed");
	json_builder_set_member_name(b, "alerts");
	json_builder_begin_object(b);
	for (guint i = 0; i < p->alert_rules->len; i++) {
		json_builder_set_member_name(b, p->alert_rules->pdata[i]);
		json_builder_add_int_value(b, g_array_index(p->alert_counts, guint, i));
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	g_autofree char *s = json_generator_to_data(g, NULL);
	puts(s);
	return true;
}

static bool on_poll(const struct lw_history_poll *p, void *data)
{
	struct log_state *st = data;
	if (st->json)
		print_poll_json(p);
	else
		print_poll_text(p, st);
	st->shown++;
	return out_ok();
}

int lw_history_log_main(const struct lw_config *cfg, int argc, char **argv)
{
	const char *blog = NULL, *since_text = NULL;
	struct log_state st = { 0 };
	GError *err = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			st.json = true;
		} else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			since_text = argv[++i];
		} else if (!strncmp(argv[i], "--since=", 8)) {
			since_text = argv[i] + 8;
		} else if (!strcmp(argv[i], "--since")) {
			lw_error("log: --since needs a time (2023-02-14, RFC 3339, 30m, 2h, 3d, 1w)");
			return EXIT_USAGE;
		} else if (argv[i][0] == '-') {
			lw_error("log: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!blog) {
			blog = argv[i];
		} else {
			lw_error("log: one BLOG at a time");
			return EXIT_USAGE;
		}
	}
	struct lw_history_filter f = { .blog = blog };
	if (since_text) {
		f.since = lw_readout_since("log", since_text, g_get_real_time() / G_USEC_PER_SEC);
		if (f.since < 0)
			return EXIT_USAGE;
	}
	int status = EXIT_OK;
	struct lw_history_reader *r = lw_readout_open_blog(cfg, blog, &status);
	if (!r)
		return status;
	int n = lw_history_walk(r, &f, on_poll, &st, &err);
	if (n < 0) {
		lw_error("%s", err->message);
		g_error_free(err);
		status = EXIT_RUNTIME;
	} else if (n == 0) {
		g_autofree char *for_blog = blog ? g_strdup_printf(" for '%s'", blog) : g_strdup("");
		g_autofree char *since = since_text ? g_strdup_printf(" since %s", since_text) :
		                         g_strdup("");
		lw_notice("no changes recorded%s%s in '%s'", for_blog, since, cfg->repo);
	}
	lw_history_reader_free(r);
	return lw_readout_finish(status);
}

/* ---- show ---- */

static const char *kind_name(enum lw_version_kind k)
{
	switch (k) {
	case LW_VERSION_ADDED:
		return "new";
	case LW_VERSION_EDITED:
		return "edited";
	case LW_VERSION_REMOVED:
		return "removed";
	case LW_VERSION_RESTORED:
		return "restored";
	}
	return "?";
}

struct render {
	bool color;
	GString *line;
	bool changed;      /* the line being built holds an insertion or deletion */
	guint shown, skipped;
};

static void flush_line(struct render *rd)
{
	if (rd->changed) {
		if (rd->skipped)
			fputs("  \u22ee\n", stdout);
		rd->skipped = 0;
		/* already clean: it holds our colour codes */
		fwrite(rd->line->str, 1, rd->line->len, stdout);
		putchar('\n');
		rd->shown++;
	} else {
		rd->skipped++;
	}
	g_string_truncate(rd->line, 0);
	rd->changed = false;
}

/* Adds a span, line by line, each changed piece marked on its own line. */
static void render_span(struct render *rd, const struct lw_wdiff_span *s)
{
	static const char *const open_plain[] = { "", "[-", "{+" };
	static const char *const close_plain[] = { "", "-]", "+}" };
	static const char *const open_color[] = { "", "\033[31m", "\033[32m" };
	const char *p = s->text, *end = s->text + s->len;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *stop = nl ? nl : end;
		if (stop > p) {
			if (s->op != LW_WDIFF_SAME) {
				g_string_append(rd->line, rd->color ? open_color[s->op] : open_plain[s->op]);
				rd->changed = true;
			}
			lw_readout_append_clean(rd->line, p, (gsize)(stop - p), false);
			if (s->op != LW_WDIFF_SAME)
				g_string_append(rd->line, rd->color ? "\033[m" : close_plain[s->op]);
		}
		if (!nl)
			break;
		flush_line(rd);
		p = nl + 1;
	}
}

/* The word diff of one version against the one before, changed lines only. */
static void print_wdiff(const struct lw_history_version *old, const struct lw_history_version *now,
                        bool color)
{
	struct lw_wdiff *d = lw_wdiff_compute(old->text, old->len, now->text, now->len);
	struct render rd = { .color = color, .line = g_string_new(NULL) };
	if (d->whole)
		printf("(too different for a word diff within %d words and %d edits: whole text "
		       "replaced)\n", LW_WDIFF_MAX_WORDS, LW_WDIFF_MAX_EDITS);
	for (guint i = 0; i < d->spans->len; i++)
		render_span(&rd, &g_array_index(d->spans, struct lw_wdiff_span, i));
	if (rd.line->len)
		flush_line(&rd);
	if (!rd.shown)
		puts(d->added || d->removed ? "(only line breaks changed)" : "(same text as before)");
	g_string_free(rd.line, TRUE);
	lw_wdiff_free(d);
}

int lw_history_show_main(const struct lw_config *cfg, int argc, char **argv)
{
	GError *err = NULL;
	if (argc != 2) {
		lw_error("show: give BLOG and ID (see livewatch log)");
		return EXIT_USAGE;
	}
	const char *blog = argv[0], *typed = argv[1];
	int status = EXIT_OK;
	struct lw_history_reader *r = lw_readout_open_blog(cfg, blog, &status);
	if (!r)
		return status;
	GPtrArray *vs = NULL;
	g_autofree char *id = NULL;
	id = lw_history_resolve_id(r, blog, typed, &err);
	if (!id) {
		lw_error("%s", err->message);
		status = err->code == LW_ERROR_STORE ? EXIT_RUNTIME : EXIT_USAGE;
		g_error_free(err);
		goto out;
	}
	vs = lw_history_versions(r, blog, id, &err);
	if (!vs) {
		lw_error("%s", err->message);
		g_error_free(err);
		status = EXIT_RUNTIME;
		goto out;
	}
	bool color = isatty(STDOUT_FILENO) && !g_getenv("NO_COLOR");
	printf("%s/%s: %u version%s\n", blog, id, vs->len, vs->len == 1 ? "" : "s");
	const struct lw_history_version *last = NULL;   /* last version with text */
	for (guint i = 0; i < vs->len && out_ok(); i++) {
		const struct lw_history_version *v = vs->pdata[i];
		g_autofree char *when = lw_readout_local_time(v->time, "%Y-%m-%d %H:%M:%S");
		printf("\n== %s%s at %s (commit %.8s)\n", kind_name(v->kind),
		       v->stealth ? " (stealth: no new \"updated\" time)" : "", when, v->commit);
		if (v->kind == LW_VERSION_REMOVED)
			continue;
		if (!last)
			lw_readout_put_clean(v->text, v->len, true);
		else
			print_wdiff(last, v, color);
		last = v;
	}
out:
	if (vs)
		g_ptr_array_unref(vs);
	lw_history_reader_free(r);
	return lw_readout_finish(status);
}
