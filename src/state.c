/* Per-blog fetch state (store.h "Fetch state"): JSON files in the
 * store's state folder, beside the history and never in it. */
#include "store.h"
#include "caps.h"
#include "error.h"
#include "file.h"
#include "name.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

static void removed_free(gpointer p)
{
	g_free(p);
}

struct lw_blog_state *lw_blog_state_new(void)
{
	struct lw_blog_state *st = g_new0(struct lw_blog_state, 1);
	st->url = g_strdup("");
	st->blog_url = g_strdup("");
	st->etag = g_strdup("");
	st->last_modified = g_strdup("");
	st->last_error = g_strdup("");
	st->follow_url = g_strdup("");
	st->follow_from = g_strdup("");
	st->follow_on = g_strdup("");
	st->removed = g_hash_table_new_full(g_str_hash, g_str_equal, removed_free, NULL);
	return st;
}

void lw_blog_state_free(struct lw_blog_state *st)
{
	if (!st)
		return;
	g_free(st->url);
	g_free(st->blog_url);
	g_free(st->etag);
	g_free(st->last_modified);
	g_free(st->last_error);
	g_free(st->follow_url);
	g_free(st->follow_from);
	g_free(st->follow_on);
	if (st->removed)
		g_hash_table_unref(st->removed);
	g_free(st);
}

static char *state_path(const char *dir, const char *blog, GError **error)
{
	if (!lw_name_valid(blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", blog);
		return NULL;
	}
	g_autofree char *fname = g_strconcat(blog, ".json", NULL);
	return g_build_filename(dir, fname, NULL);
}

static bool get_string(JsonObject *o, const char *key, char **field)
{
	JsonNode *n = json_object_get_member(o, key);
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return false;
	lw_entry_set(field, json_node_get_string(n));
	return true;
}

static bool get_int(JsonObject *o, const char *key, gint64 *field)
{
	JsonNode *n = json_object_get_member(o, key);
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return false;
	*field = json_node_get_int(n);
	return true;
}

struct lw_blog_state *lw_store_load_state(struct lw_store *s, const char *blog, GError **error)
{
	return lw_state_load(lw_store_state_dir(s), blog, error);
}

struct lw_blog_state *lw_state_load(const char *state_dir, const char *blog, GError **error)
{
	g_autofree char *path = state_path(state_dir, blog, error);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonParser) parser = NULL;
	gsize len;
	const char *bad = NULL;
	GStatBuf sb;

	if (!path)
		return NULL;
	if (g_stat(path, &sb) < 0 && errno == ENOENT)
		return lw_blog_state_new();
	if (g_stat(path, &sb) == 0 && sb.st_size > LW_STATE_FILE_MAX) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "%s: larger than %d bytes", path, LW_STATE_FILE_MAX);
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &len, &err)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: %s", path, err->message);
		return NULL;
	}
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: corrupt state file: %s", path, err->message);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: corrupt state file: not a JSON object", path);
		return NULL;
	}
	JsonObject *o = json_node_get_object(root);
	struct lw_blog_state *st = lw_blog_state_new();
	gint64 failures = 0;
	if (!get_string(o, "url", &st->url))
		bad = "url";
	else if (!get_string(o, "blog_url", &st->blog_url))
		bad = "blog_url";
	else if (!get_string(o, "etag", &st->etag))
		bad = "etag";
	else if (!get_string(o, "last_modified", &st->last_modified))
		bad = "last_modified";
	else if (!get_string(o, "last_error", &st->last_error))
		bad = "last_error";
	else if (!get_int(o, "failures", &failures) || failures < 0 || failures > G_MAXINT)
		bad = "failures";
	else if (!get_int(o, "last_poll", &st->last_poll))
		bad = "last_poll";
	else if (!get_int(o, "last_success", &st->last_success))
		bad = "last_success";
	else if (!get_int(o, "last_change", &st->last_change))
		bad = "last_change";
	else if (!get_string(o, "follow_url", &st->follow_url))
		bad = "follow_url";
	else if (!get_string(o, "follow_from", &st->follow_from))
		bad = "follow_from";
	else if (!get_string(o, "follow_on", &st->follow_on))
		bad = "follow_on";
	else if (!get_int(o, "failing_since", &st->failing_since))
		bad = "failing_since";
	st->failures = (int)failures;

	JsonNode *n = json_object_get_member(o, "baseline");
	if (!bad && n && !JSON_NODE_HOLDS_NULL(n)) {
		if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
			st->baseline = json_node_get_boolean(n);
		else
			bad = "baseline";
	}
	n = json_object_get_member(o, "over");
	if (!bad && n && !JSON_NODE_HOLDS_NULL(n)) {
		if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
			st->over = json_node_get_boolean(n);
		else
			bad = "over";
	}
	n = json_object_get_member(o, "removed");
	if (!bad && n && !JSON_NODE_HOLDS_NULL(n)) {
		if (!JSON_NODE_HOLDS_ARRAY(n)) {
			bad = "removed";
		} else {
			JsonArray *a = json_node_get_array(n);
			guint count = json_array_get_length(a);
			for (guint i = 0; i < count && !bad; i++) {
				JsonNode *m = json_array_get_element(a, i);
				if (!JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_STRING)
					bad = "removed";
				else
					g_hash_table_add(st->removed, g_strdup(json_node_get_string(m)));
			}
		}
	}
	if (bad) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: corrupt state file: bad value for '%s'", path, bad);
		lw_blog_state_free(st);
		return NULL;
	}
	return st;
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(a, b);
}

int lw_store_save_state(struct lw_store *s, const char *blog, const struct lw_blog_state *st, GError **error)
{
	g_autofree char *path = state_path(lw_store_state_dir(s), blog, error);
	if (!path)
		return -1;
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "url");
	json_builder_add_string_value(b, st->url ? st->url : "");
	json_builder_set_member_name(b, "blog_url");
	json_builder_add_string_value(b, st->blog_url ? st->blog_url : "");
	json_builder_set_member_name(b, "etag");
	json_builder_add_string_value(b, st->etag ? st->etag : "");
	json_builder_set_member_name(b, "last_modified");
	json_builder_add_string_value(b, st->last_modified ? st->last_modified : "");
	json_builder_set_member_name(b, "failures");
	json_builder_add_int_value(b, st->failures);
	json_builder_set_member_name(b, "last_error");
	json_builder_add_string_value(b, st->last_error ? st->last_error : "");
	json_builder_set_member_name(b, "last_poll");
	json_builder_add_int_value(b, st->last_poll);
	json_builder_set_member_name(b, "last_success");
	json_builder_add_int_value(b, st->last_success);
	json_builder_set_member_name(b, "last_change");
	json_builder_add_int_value(b, st->last_change);
	json_builder_set_member_name(b, "follow_url");
	json_builder_add_string_value(b, st->follow_url ? st->follow_url : "");
	json_builder_set_member_name(b, "follow_from");
	json_builder_add_string_value(b, st->follow_from ? st->follow_from : "");
	json_builder_set_member_name(b, "follow_on");
	json_builder_add_string_value(b, st->follow_on ? st->follow_on : "");
	json_builder_set_member_name(b, "failing_since");
	json_builder_add_int_value(b, st->failing_since);
	json_builder_set_member_name(b, "over");
	json_builder_add_boolean_value(b, st->over);
	json_builder_set_member_name(b, "baseline");
	json_builder_add_boolean_value(b, st->baseline);
	json_builder_set_member_name(b, "removed");
	json_builder_begin_array(b);
	if (st->removed) {
		/* sorted, so an unchanged state gives the same file */
		GList *ids = g_list_sort(g_hash_table_get_keys(st->removed), cmp_str);
		for (GList *l = ids; l; l = l->next)
			json_builder_add_string_value(b, l->data);
		g_list_free(ids);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autoptr(JsonGenerator) gen = json_generator_new();
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	gsize len;
	g_autofree char *text = json_generator_to_data(gen, &len);
	g_autofree char *withnl = g_strconcat(text, "\n", NULL);
	return lw_file_write_atomic(path, withnl, len + 1, error);
}
