#include "check.h"
#include "cli.h"
#include "pusher.h"
#include "error.h"
#include "fetch.h"
#include "follow.h"
#include "state.h"
#include "log.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static void ruleset_free0(gpointer p)
{
	lw_ruleset_free(p);
}

static void sink_free0(gpointer p)
{
	lw_sink_free(p);
}

void lw_app_free(struct lw_app *app)
{
	GError *err = NULL;
	if (!app)
		return;
	/* git's index catches up with this process's commits (store.h:
	 * at once while it is small, else once a minute; the daemon's store
	 * is its loop's) */
	if (app->store && lw_store_flush(app->store, false, &err) < 0)
		lw_warn("%s", err->message);
	g_clear_error(&err);
	lw_store_free(app->store);
	lw_ruleset_free(app->rules);
	if (app->blog_rules)
		g_hash_table_unref(app->blog_rules);
	if (app->sinks)
		g_ptr_array_unref(app->sinks);
	if (app->warned)
		g_hash_table_unref(app->warned);
	lw_config_free(app->cfg);
	g_free(app);
}

/* The rule set of paths, or NULL with its problems added: paths that
 * do not exist or hold no rule are said with the config's FILE:LINE. */
static struct lw_ruleset *load_rules(const struct lw_config_section *sec, char *const *paths,
                                     GPtrArray *problems)
{
	if (lw_check_rule_paths(sec, paths, problems) > 0)
		return NULL;
	GError *err = NULL;
	struct lw_ruleset *rs = lw_ruleset_load((const char *const *)paths, &err);
	if (!rs) {
		g_ptr_array_add(problems, g_strdup(err->message));
		g_error_free(err);
	}
	return rs;
}

struct lw_app *lw_app_new(struct lw_config *cfg, gboolean open_store, GError **error)
{
	struct lw_app *app = g_new0(struct lw_app, 1);
	app->cfg = cfg;
	app->warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	app->blog_rules = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, ruleset_free0);
	app->sinks = g_ptr_array_new_with_free_func(sink_free0);

	/* every problem of the set-up (check.h), not only the first */
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	lw_check_config(cfg, problems);
	GError *err = NULL;
	for (guint i = 0; i < cfg->sinks->len; i++) {
		struct lw_sink *s = lw_sink_new(cfg->sinks->pdata[i], &err);
		if (!s) {
			g_ptr_array_add(problems, g_strdup(err->message));
			g_clear_error(&err);
			continue;
		}
		g_ptr_array_add(app->sinks, s);
	}
	g_autoptr(GPtrArray) sink_names = g_ptr_array_new();
	for (guint i = 0; i < cfg->sinks->len; i++)
		g_ptr_array_add(sink_names, ((struct lw_sink_config *)cfg->sinks->pdata[i])->sec.name);
	if (cfg->sinks->len == 0) {
		g_ptr_array_add(app->sinks, lw_sink_new_default_desktop());
		g_ptr_array_add(sink_names, "desktop");
	}
	g_ptr_array_add(sink_names, NULL);
	char *const *sinks = (char *const *)sink_names->pdata;

	app->rules = load_rules(&cfg->sec, cfg->rules, problems);
	lw_check_rule_names(app->rules, cfg, sinks, problems);
	for (guint i = 0; i < cfg->blogs->len; i++) {
		struct lw_blog_config *b = cfg->blogs->pdata[i];
		if (!b->rules || !b->rules[0])
			continue;
		struct lw_ruleset *rs = load_rules(&b->sec, b->rules, problems);
		if (!rs)
			continue;
		lw_check_rule_names(rs, cfg, sinks, problems);
		g_hash_table_insert(app->blog_rules, b->sec.name, rs);
	}
	if (problems->len > 0) {
		/* one problem a line: check prints them one by one */
		g_autoptr(GString) all = g_string_new(NULL);
		for (guint i = 0; i < problems->len; i++)
			g_string_append_printf(all, "%s%s", i ? "\n" : "", (char *)problems->pdata[i]);
		g_set_error_literal(error, LW_ERROR, LW_ERROR_CONFIG, all->str);
		goto err;
	}

	if (open_store) {
		app->store = lw_store_open(cfg->repo, error);
		if (!app->store || lw_store_lock(app->store, error) < 0)
			goto err;
	}
	app->ctx.cfg = cfg;
	app->ctx.store = app->store;
	app->ctx.rules = app->rules;
	app->ctx.blog_rules = app->blog_rules;
	app->ctx.sinks = app->sinks;
	return app;
err:
	lw_app_free(app);
	return NULL;
}

/* After a commit: the push of `push =`, when set.  One pusher for the
 * process, kept across reloads (a push may be running on its thread)
 * unless the remote or branch changed. */
static void push(struct lw_app *app)
{
	static struct lw_pusher *pusher;
	if (pusher && !lw_pusher_same(pusher, app->cfg))
		g_clear_pointer(&pusher, lw_pusher_free);
	if (!pusher)
		pusher = lw_pusher_new(app->cfg);
	lw_pusher_kick(pusher);
}

guint lw_app_report(struct lw_app *app, const char *blog, const struct lw_poll_result *r)
{
	if (r->url_changed_from) {
		const struct lw_blog_config *b = lw_config_find_blog(app->cfg, blog);
		lw_notice("%s: url changed from '%s' to '%s': a new baseline, no alerts for what the "
		          "new page shows", blog, r->url_changed_from, b ? b->url : "?");
	}
	switch (r->outcome) {
	case LW_POLL_FAILED:
		if (r->started_failing)
			lw_warn("%s: %s", blog, r->error);
		else
			lw_info("%s: %s (%d failures in a row)", blog, r->error, r->failures);
		break;
	case LW_POLL_NOT_MODIFIED:
		lw_info("%s: not modified", blog);
		break;
	case LW_POLL_UNCHANGED:
		lw_info("%s: %u entries (%s), nothing changed%s", blog, r->entries, r->format,
		        r->diff && r->diff->n_paged_out ? ", older entries paged out" : "");
		break;
	case LW_POLL_CHANGED:
		lw_notice("%s: %u new, %u edited, %u removed, %u restored%s (commit %.12s)", blog,
		          r->diff->n_new, r->diff->n_edited, r->diff->n_removed,
		          r->diff->n_restored,
		          r->url_changed_from ? " (new url: baseline)" :
		          r->baseline ? " (first poll: baseline)" : "",
		          r->commit);
		lw_publisher_kick(app->cfg);
		push(app);
		break;
	}
	if (r->recovered)
		lw_notice("%s: recovered", blog);
	for (guint i = 0; i < r->alerts->len; i++) {
		const struct lw_alert *a = r->alerts->pdata[i];
		g_autofree char *terms = g_strjoinv(", ", a->matched);
		lw_notice("alert %s: %s %s: %s [%s] %s", a->rule, a->blog, a->change, a->title,
		          terms, a->url);
	}
	if (app->store) {
		g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
		lw_store_take_warnings(app->store, warnings);
		lw_app_warn_once(app, warnings);
	}
	lw_app_warn_once(app, r->sink_errors);
	return r->alerts->len;
}

void lw_app_summary(const char *blog, const struct lw_poll_result *r, const char *error,
                    bool json)
{
	static const char *const outcomes[] = {
		[LW_POLL_FAILED] = "failed", [LW_POLL_NOT_MODIFIED] = "not modified",
		[LW_POLL_UNCHANGED] = "unchanged", [LW_POLL_CHANGED] = "changed",
	};
	const char *outcome = r ? outcomes[r->outcome] : "failed";
	const char *why = r ? r->error : error;
	const struct lw_diff *d = r && r->outcome == LW_POLL_CHANGED ? r->diff : NULL;
	guint alerts = r ? r->alerts->len : 0;
	if (json) {
		g_autoptr(JsonBuilder) j = json_builder_new();
		json_builder_begin_object(j);
		json_builder_set_member_name(j, "blog");
		json_builder_add_string_value(j, blog);
		json_builder_set_member_name(j, "outcome");
		json_builder_add_string_value(j, outcome);
		if (r && r->outcome != LW_POLL_FAILED && r->outcome != LW_POLL_NOT_MODIFIED) {
			json_builder_set_member_name(j, "posts");
			json_builder_add_int_value(j, r->entries);
			json_builder_set_member_name(j, "format");
			json_builder_add_string_value(j, r->format ? r->format : "");
		}
		if (d) {
			const struct { const char *k; guint v; } n[] = {
				{ "new", d->n_new }, { "edited", d->n_edited },
				{ "removed", d->n_removed }, { "restored", d->n_restored },
			};
			for (gsize i = 0; i < G_N_ELEMENTS(n); i++) {
				json_builder_set_member_name(j, n[i].k);
				json_builder_add_int_value(j, n[i].v);
			}
			json_builder_set_member_name(j, "commit");
			json_builder_add_string_value(j, r->commit);
			json_builder_set_member_name(j, "baseline");
			json_builder_add_boolean_value(j, r->baseline);
		}
		json_builder_set_member_name(j, "alerts");
		json_builder_add_int_value(j, alerts);
		if (why) {
			json_builder_set_member_name(j, "error");
			json_builder_add_string_value(j, why);
		}
		json_builder_end_object(j);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autoptr(JsonNode) root = json_builder_get_root(j);
		json_generator_set_root(gen, root);
		g_autofree char *text = json_generator_to_data(gen, NULL);
		puts(text);
	} else if (d) {
		printf("%s: changed: %u new, %u edited, %u removed, %u restored, %u alert%s%s "
		       "(commit %.12s)\n", blog, d->n_new, d->n_edited, d->n_removed, d->n_restored,
		       alerts, alerts == 1 ? "" : "s", r->baseline ? ", baseline" : "", r->commit);
	} else if (r && r->outcome == LW_POLL_UNCHANGED) {
		printf("%s: unchanged: %u post%s\n", blog, r->entries, r->entries == 1 ? "" : "s");
	} else if (r && r->outcome == LW_POLL_NOT_MODIFIED) {
		printf("%s: not modified\n", blog);
	} else {
		printf("%s: failed: %s\n", blog, why ? why : "?");
	}
	fflush(stdout);
}

void lw_app_warn_once(struct lw_app *app, GPtrArray *messages)
{
	for (guint i = 0; i < messages->len; i++) {
		const char *msg = messages->pdata[i];
		if (g_hash_table_contains(app->warned, msg))
			continue;
		g_hash_table_add(app->warned, g_strdup(msg));
		lw_warn("%s", msg);
	}
}

char *lw_app_follow(struct lw_app *app, const struct lw_blog_config *b)
{
	GError *err = NULL;
	if (!b->follow || !app->store)
		return NULL;
	struct lw_blog_state *st = lw_store_load_state(app->store, b->sec.name, &err);
	if (!st) {
		lw_warn("%s: %s", b->sec.name, err->message);
		g_error_free(err);
		return NULL;
	}
	/* what another series led to is not this one's */
	char *was = *st->follow_url && !strcmp(st->follow_from, b->follow) ?
	            g_strdup(st->follow_url) : NULL;
	g_autoptr(GRegex) re = g_regex_new(b->follow_match ? b->follow_match :
	                                   LW_FOLLOW_MATCH_DEFAULT, G_REGEX_OPTIMIZE, 0, NULL);
	struct lw_fetch_opts fo = lw_poll_fetch_opts(app->cfg);
	struct lw_fetch_result fr;
	memset(&fr, 0, sizeof(fr));
	g_autofree char *found = NULL;
	if (lw_fetch_page(&fr, b->follow, &fo, NULL, &err) < 0) {
		;
	} else if (fr.status < 200 || fr.status >= 300) {
		g_set_error(&err, LW_ERROR, LW_ERROR_HTTP, "cannot fetch '%s': HTTP %ld", b->follow,
		            fr.status);
	} else {
		gsize len = 0;
		const char *data = fr.body ? g_bytes_get_data(fr.body, &len) : NULL;
		found = lw_follow_find(data, len, fr.content_type,
		                       fr.effective_url ? fr.effective_url : b->follow, re, &err);
	}
	lw_fetch_result_clear(&fr);
	if (!found) {
		lw_warn("%s: cannot follow the series: %s; staying on '%s'", b->sec.name,
		        err ? err->message : "?", was ? was : b->url);
		g_clear_error(&err);
	} else if (strcmp(found, was ? was : b->url)) {
		lw_notice("%s: now following '%s' (was '%s')", b->sec.name, found, was ? was : b->url);
		g_free(was);
		was = g_steal_pointer(&found);
		lw_entry_set(&st->follow_url, was);
		lw_entry_set(&st->follow_from, b->follow);
		if (lw_store_save_state(app->store, b->sec.name, st, &err) < 0) {
			lw_warn("%s: %s", b->sec.name, err->message);
			g_clear_error(&err);
		}
	}
	lw_blog_state_free(st);
	return was;
}

void lw_app_flush_outbox(struct lw_app *app)
{
	GError *err = NULL;
	g_autoptr(GPtrArray) errs = g_ptr_array_new_with_free_func(g_free);
	int n = lw_poll_flush_outbox(&app->ctx, errs, &err);
	if (n < 0) {
		lw_warn("%s", err->message);
		g_error_free(err);
	} else if (n > 0) {
		lw_notice("delivered %d alert%s left from an interrupted run", n, n == 1 ? "" : "s");
	}
	/* and what webhooks and hooks could not take last time */
	lw_poll_retry(&app->ctx, errs);
	for (guint i = 0; i < errs->len; i++)
		lw_warn("%s", (char *)errs->pdata[i]);
}
