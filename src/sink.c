/* Sinks (sink.h): the type table and what every sink shares (config
 * keys, batches, cancelling), keeping and retrying what failed, and the
 * delivery policy.  The types are sink-*.c. */
#include "sink.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "outbox.h"
#include "sink-private.h"

static const struct lw_sink_ops *const sink_types[] = {
	&lw_sink_desktop_ops,
	&lw_sink_exec_ops,
	&lw_sink_file_ops,
	&lw_sink_webhook_ops,
};

const char *lw_sink_cfg_get(const struct lw_sink_config *cfg, const char *key)
{
	if (!cfg || !cfg->sec.keys)
		return NULL;
	return g_hash_table_lookup(cfg->sec.keys, key);
}

static int cfg_line(const struct lw_sink_config *cfg, const char *key)
{
	if (key && cfg->sec.lines && g_hash_table_contains(cfg->sec.lines, key))
		return GPOINTER_TO_INT(g_hash_table_lookup(cfg->sec.lines, key));
	return cfg->sec.line;
}

void lw_sink_cfg_error(GError **error, const struct lw_sink_config *cfg, const char *key,
		       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!cfg) {
		g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "sink 'desktop': %s", msg);
		return;
	}
	g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "%s:%d: sink '%s': %s",
		    cfg->sec.file ? cfg->sec.file : "(config)", cfg_line(cfg, key),
		    cfg->sec.name ? cfg->sec.name : "", msg);
}

/* The config file's folder, absolute, or NULL. */
static char *cfg_dir(const struct lw_sink_config *cfg)
{
	g_autofree char *abs = cfg && cfg->sec.file ? g_canonicalize_filename(cfg->sec.file, NULL) : NULL;
	return abs ? g_path_get_dirname(abs) : NULL;
}

char *lw_sink_cfg_path(const struct lw_sink_config *cfg, const char *path)
{
	g_autofree char *dir = cfg_dir(cfg);
	return lw_value_path(path, dir);
}

int lw_sink_cfg_read(const struct lw_sink_config *cfg, const struct lw_value_key *keys,
		     void *opts, GError **error)
{
	if (!cfg)
		return 0;
	g_autofree char *dir = cfg_dir(cfg);
	g_autofree char *prefix = g_strdup_printf("sink '%s': ", cfg->sec.name ? cfg->sec.name : "");
	const struct lw_value_src src = { .file = cfg->sec.file, .dir = dir, .prefix = prefix };
	return lw_value_read(keys, &cfg->sec, opts, &src, NULL, error);
}

static char *type_list(void)
{
	GString *s = g_string_new(NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(sink_types); i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", sink_types[i]->type);
	return g_string_free(s, FALSE);
}

static bool key_known(const struct lw_sink_ops *ops, const char *key)
{
	return !strcmp(key, "type") || lw_value_find(ops->keys, key);
}

static struct lw_sink *sink_create(const struct lw_sink_ops *ops, const char *name,
				   const struct lw_sink_config *cfg, GError **error)
{
	struct lw_sink *s = g_new0(struct lw_sink, 1);
	s->name = g_strdup(name);
	s->ops = ops;
	if (ops->setup(s, cfg, error) < 0) {
		lw_sink_free(s);
		return NULL;
	}
	return s;
}

struct lw_sink *lw_sink_new(const struct lw_sink_config *cfg, GError **error)
{
	g_autofree char *types = type_list();
	const char *type = cfg->type ? cfg->type : lw_sink_cfg_get(cfg, "type");
	if (!type || !*type) {
		lw_sink_cfg_error(error, cfg, "type", "no type (one of: %s)", types);
		return NULL;
	}
	const struct lw_sink_ops *ops = NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(sink_types); i++)
		if (!strcmp(sink_types[i]->type, type))
			ops = sink_types[i];
	if (!ops) {
		lw_sink_cfg_error(error, cfg, "type", "unknown type '%s' (one of: %s)", type, types);
		return NULL;
	}

	if (cfg->sec.keys) {
		/* Report the first unknown key in file order, not hash order. */
		const char *bad = NULL;
		int bad_line = G_MAXINT;
		GHashTableIter it;
		gpointer k;
		g_hash_table_iter_init(&it, cfg->sec.keys);
		while (g_hash_table_iter_next(&it, &k, NULL)) {
			if (key_known(ops, k))
				continue;
			int line = cfg_line(cfg, k);
			if (!bad || line < bad_line ||
			    (line == bad_line && strcmp(k, bad) < 0)) {
				bad = k;
				bad_line = line;
			}
		}
		if (bad) {
			g_autofree char *keys = lw_value_key_names(ops->keys);
			lw_sink_cfg_error(error, cfg, bad, "unknown key '%s' for type %s (keys: %s)",
					  bad, ops->type, keys);
			return NULL;
		}
	}
	return sink_create(ops, cfg->sec.name ? cfg->sec.name : "", cfg, error);
}

struct lw_sink *lw_sink_new_default_desktop(void)
{
	/* Cannot fail: the implicit sink has no keys to get wrong. */
	return sink_create(&lw_sink_desktop_ops, "desktop", NULL, NULL);
}

void lw_sink_free(struct lw_sink *s)
{
	if (!s)
		return;
	if (s->priv && s->ops->free_priv)
		s->ops->free_priv(s->priv);
	g_clear_object(&s->cancel);
	g_free(s->name);
	g_free(s);
}

const char *lw_sink_name(const struct lw_sink *s)
{
	return s->name;
}

const char *lw_sink_type(const struct lw_sink *s)
{
	return s->ops->type;
}

void lw_sink_set_cancellable(struct lw_sink *s, GCancellable *cancel)
{
	if (cancel)
		g_object_ref(cancel);
	g_clear_object(&s->cancel);
	s->cancel = cancel;
}

int lw_sink_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	s->retry_after = 0;
	s->timed_out = false;
	if (g_cancellable_set_error_if_cancelled(s->cancel, error))
		return -1;
	int rc = s->ops->deliver(s, a, error);
	/* it works again: what it kept need not wait for its retry time */
	if (rc == 0 && s->ops->retry) {
		s->retry_at = 0;
		s->retry_delay = 0;
	}
	if (rc == 0)
		s->holding = false;
	else if (s->timed_out && s->ops->retry)
		s->holding = true;
	return rc;
}

void lw_sink_begin_batch(struct lw_sink *s)
{
	if (s->in_batch)
		return;
	s->in_batch = true;
	if (s->ops->begin_batch)
		s->ops->begin_batch(s);
}

int lw_sink_end_batch(struct lw_sink *s, GError **error)
{
	if (!s->in_batch)
		return 0;
	s->in_batch = false;
	if (s->ops->end_batch)
		return s->ops->end_batch(s, error);
	return 0;
}

int lw_sink_probe(struct lw_sink *s, GError **error)
{
	return s->ops->probe ? s->ops->probe(s, error) : 0;
}

/* ---- retrying ---- */

bool lw_sink_retries(const struct lw_sink *s)
{
	return s->ops->retry;
}

gint64 lw_sink_retry_at(const struct lw_sink *s)
{
	return s->retry_at;
}

/* <state_dir>/retry/<name>, the name's bytes outside [A-Za-z0-9_-] as %XX
 * (a sink's name is free text; its folder must stay one file name). */
static char *retry_dir(const struct lw_sink *s, const char *state_dir)
{
	g_autoptr(GString) n = g_string_new(NULL);
	for (const char *c = s->name; *c; c++) {
		if (g_ascii_isalnum(*c) || *c == '_' || *c == '-')
			g_string_append_c(n, *c);
		else
			g_string_append_printf(n, "%%%02X", (guchar)*c);
	}
	if (n->len == 0)
		g_string_append(n, "%");
	return g_build_filename(state_dir, "retry", n->str, NULL);
}

bool lw_sink_holding(const struct lw_sink *s, gint64 now)
{
	return s->holding && now < s->retry_at;
}

int lw_sink_hold(struct lw_sink *s, const char *state_dir, const struct lw_alert *a,
                 GError **error)
{
	g_autofree char *dir = retry_dir(s, state_dir);
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot create '%s': %s", dir,
			    g_strerror(errno));
		return -1;
	}
	g_autoptr(GPtrArray) one = g_ptr_array_new();
	g_ptr_array_add(one, (gpointer)a);
	return lw_outbox_append(dir, one, error);
}

int lw_sink_keep(struct lw_sink *s, const char *state_dir, const struct lw_alert *a,
                 gint64 now, GError **error)
{
	if (lw_sink_hold(s, state_dir, a, error) < 0)
		return -1;
	gint64 wait = MAX(MAX(LW_SINK_RETRY_MIN, s->retry_delay), s->retry_after);
	s->retry_after = 0;
	if (s->retry_at < now + wait)
		s->retry_at = now + wait;
	return 0;
}

static gint64 fetched_at(const struct lw_alert *a)
{
	g_autoptr(GDateTime) t = a->fetched && *a->fetched ?
				 g_date_time_new_from_iso8601(a->fetched, NULL) : NULL;
	return t ? g_date_time_to_unix(t) : 0;
}

int lw_sink_retry(struct lw_sink *s, const char *state_dir, gint64 now, GPtrArray *errors)
{
	if (!s->ops->retry || now < s->retry_at)
		return 0;
	g_autofree char *dir = retry_dir(s, state_dir);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		return 0;
	GError *err = NULL;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) kept = lw_outbox_claim(dir, warnings, &err);
	for (guint i = 0; i < warnings->len; i++)
		g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name,
							(char *)warnings->pdata[i]));
	if (!kept) {
		g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
		g_error_free(err);
		s->retry_at = now + LW_SINK_RETRY_MAX;
		return 0;
	}
	if (kept->len == 0) {
		lw_outbox_done(dir, NULL);
		return 0;
	}
	g_autoptr(GPtrArray) again = g_ptr_array_new();
	g_autofree char *why = NULL;
	int delivered = 0;
	guint dropped = 0;
	bool cancelled = false;
	for (guint i = 0; i < kept->len; i++) {
		const struct lw_alert *a = kept->pdata[i];
		if (cancelled) {
			g_ptr_array_add(again, (gpointer)a);
			continue;
		}
		if (lw_sink_deliver(s, a, &err) == 0) {
			delivered++;
			continue;
		}
		if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			/* stopping: the rest stays as it was, due as it was */
			cancelled = true;
			g_clear_error(&err);
			g_ptr_array_add(again, (gpointer)a);
			continue;
		}
		if (!why)
			why = g_strdup(err->message);
		g_clear_error(&err);
		if (now - fetched_at(a) > LW_SINK_RETRY_FOR)
			dropped++;
		else
			g_ptr_array_add(again, (gpointer)a);
	}
	if (dropped)
		g_ptr_array_add(errors, g_strdup_printf(
			"sink '%s': gave up on %u alert%s fetched more than %d h ago", s->name,
			dropped, dropped == 1 ? "" : "s", LW_SINK_RETRY_FOR / 3600));
	if (again->len == 0) {
		s->retry_delay = 0;
	} else if (cancelled && !why) {
		if (lw_outbox_append(dir, again, &err) < 0) {
			g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
			g_error_free(err);
			return delivered;
		}
	} else {
		s->retry_delay = s->retry_delay ? MIN(s->retry_delay * 2, LW_SINK_RETRY_MAX) :
				 LW_SINK_RETRY_MIN;
		s->retry_delay = MAX(s->retry_delay, s->retry_after);
		s->retry_after = 0;
		s->retry_at = now + s->retry_delay;
		if (lw_outbox_append(dir, again, &err) < 0) {
			/* .taking stays: the next claim takes them back */
			g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
			g_error_free(err);
			return delivered;
		}
		g_ptr_array_add(errors, g_strdup_printf(
			"%s; %u alert%s kept, next try in %ld s", why, again->len,
			again->len == 1 ? "" : "s", s->retry_delay));
	}
	if (lw_outbox_done(dir, &err) < 0) {
		g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
		g_error_free(err);
	}
	return delivered;
}

/* ---- the delivery policy ---- */

/* One alert to one sink; false when the delivery was cancelled. */
static bool deliver_one(struct lw_sink *s, const char *state_dir, const struct lw_alert *a,
                        GPtrArray *errors, guint *held)
{
	GError *err = NULL;
	if (lw_sink_holding(s, g_get_real_time() / G_USEC_PER_SEC)) {
		/* after a timeout: not tried before its retry, kept in order */
		if (lw_sink_hold(s, state_dir, a, &err) == 0) {
			(*held)++;
		} else {
			if (errors)
				g_ptr_array_add(errors, g_strdup_printf("sink '%s': cannot keep an "
				                "alert to retry: %s", lw_sink_name(s), err->message));
			g_error_free(err);
		}
		return true;
	}
	if (lw_sink_deliver(s, a, &err) == 0)
		return true;
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		/* stopping: the alert stays in the outbox for the next start */
		g_error_free(err);
		return false;
	}
	char *msg = NULL;
	if (lw_sink_retries(s)) {
		GError *kerr = NULL;
		gint64 now = g_get_real_time() / G_USEC_PER_SEC;
		if (lw_sink_keep(s, state_dir, a, now, &kerr) == 0)
			msg = g_strdup_printf("%s; kept to retry in %" G_GINT64_FORMAT " s",
			                      err->message, lw_sink_retry_at(s) - now);
		else
			msg = g_strdup_printf("%s; cannot keep it to retry: %s",
			                      err->message, kerr->message);
		g_clear_error(&kerr);
	}
	if (errors)
		g_ptr_array_add(errors, msg ? msg : g_strdup(err->message));
	else
		g_free(msg);
	g_error_free(err);
	return true;
}

static void retry_due(struct lw_sink *s, const char *state_dir, GPtrArray *errors)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_autoptr(GPtrArray) dropped = errors ? NULL : g_ptr_array_new_with_free_func(g_free);
	lw_sink_retry(s, state_dir, now, errors ? errors : dropped);
}

static void end_batch(struct lw_sink *s, GPtrArray *errors)
{
	GError *err = NULL;
	if (lw_sink_end_batch(s, &err) < 0) {
		if (errors)
			g_ptr_array_add(errors, g_strdup(err->message));
		g_error_free(err);
	}
}

void lw_sink_deliver_batch(struct lw_sink *s, const char *state_dir, GPtrArray *alerts,
                           lw_sink_wants_fn *wants, void *data, GPtrArray *errors)
{
	guint held = 0;
	lw_sink_begin_batch(s);
	retry_due(s, state_dir, errors);
	for (guint i = 0; alerts && i < alerts->len; i++) {
		const struct lw_alert *a = alerts->pdata[i];
		if (wants && !wants(data, s, a))
			continue;
		if (!deliver_one(s, state_dir, a, errors, &held))
			break;
	}
	end_batch(s, errors);
	if (held && errors) {
		gint64 wait = lw_sink_retry_at(s) - g_get_real_time() / G_USEC_PER_SEC;
		g_ptr_array_add(errors, g_strdup_printf("sink '%s': %u alert%s kept for its next "
		                "try in %" G_GINT64_FORMAT " s, after a timeout", lw_sink_name(s),
		                held, held == 1 ? "" : "s", MAX(wait, 0)));
	}
}
