#include "rules.h"
#include "caps.h"
#include "error.h"
#include "ini-file.h"
#include "rindex.h"
#include "value.h"

#include <string.h>

struct lw_ruleset {
	GPtrArray *rules;      /* struct lw_rule *, in file order */
	GHashTable *by_name;   /* name -> struct lw_rule * (borrowed) */
	struct lw_rindex *index;  /* built once every rule is loaded */
};

struct load {
	struct lw_ruleset *rs;
	const char *path;
	guint first;           /* index of this file's first rule */
	struct lw_rule *cur;   /* the rule being read, or NULL */
	bool bad_header;       /* cur is NULL because its header was bad (said once) */
	GHashTable *keys;      /* keys seen in cur */
	GHashTable *queried;   /* rules with a query line, good or bad: no "has no query" */
};

const char *lw_urgency_name(enum lw_urgency u)
{
	switch (u) {
	case LW_URGENCY_LOW:
		return "low";
	case LW_URGENCY_CRITICAL:
		return "critical";
	case LW_URGENCY_NORMAL:
	default:
		return "normal";
	}
}

static void rule_free(struct lw_rule *r)
{
	if (!r)
		return;
	g_free(r->name);
	g_free(r->query_text);
	lw_query_free(r->query);
	g_strfreev(r->sinks);
	g_strfreev(r->blogs);
	g_free(r->file);
	g_free(r);
}

struct lw_ruleset *lw_ruleset_new_empty(void)
{
	struct lw_ruleset *rs = g_new0(struct lw_ruleset, 1);
	rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	rs->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	rs->index = lw_rindex_new();
	return rs;
}

void lw_ruleset_free(struct lw_ruleset *rs)
{
	if (!rs)
		return;
	lw_rindex_free(rs->index);
	g_hash_table_unref(rs->by_name);
	g_ptr_array_unref(rs->rules);
	g_free(rs);
}

guint lw_ruleset_count(const struct lw_ruleset *rs)
{
	return rs ? rs->rules->len : 0;
}

const struct lw_rule *lw_ruleset_get(const struct lw_ruleset *rs, guint i)
{
	return rs && i < rs->rules->len ? rs->rules->pdata[i] : NULL;
}

const struct lw_rule *lw_ruleset_find(const struct lw_ruleset *rs, const char *name)
{
	return rs && name ? g_hash_table_lookup(rs->by_name, name) : NULL;
}

static bool in_list(char *const *list, const char *s)
{
	if (!list)
		return true;
	for (; *list; list++)
		if (s && strcmp(*list, s) == 0)
			return true;
	return false;
}

bool lw_rule_applies_to_blog(const struct lw_rule *r, const char *blog)
{
	return in_list(r->blogs, blog);
}

bool lw_rule_uses_sink(const struct lw_rule *r, const char *sink)
{
	return in_list(r->sinks, sink);
}

static bool bad_name_char(gunichar c)
{
	return g_unichar_isspace(c) || g_unichar_iscntrl(c) || c == '=' || c == ',' ||
	       c == '"' || c == '\'';
}

static int on_section(const char *section, int line, void *user, GError **error)
{
	struct load *ld = user;
	ld->cur = NULL;
	ld->bad_header = true;
	g_hash_table_remove_all(ld->keys);
	if (!*section) {
		lw_ini_error(error, ld->path, line, "empty rule name");
		return -1;
	}
	for (const char *p = section; *p; p = g_utf8_next_char(p)) {
		if (bad_name_char(g_utf8_get_char(p))) {
			lw_ini_error(error, ld->path, line,
			             "rule name '%s' may not contain spaces, quotes, '=' or ','", section);
			return -1;
		}
	}
	const struct lw_rule *old = g_hash_table_lookup(ld->rs->by_name, section);
	if (old) {
		lw_ini_error(error, ld->path, line, "duplicate rule '%s' (first defined at %s:%d)",
		             section, old->file, old->line);
		return -1;
	}
	if (ld->rs->rules->len >= LW_RULES_MAX) {
		lw_ini_error(error, ld->path, line, "too many rules (more than %d)", LW_RULES_MAX);
		return -1;
	}
	struct lw_rule *r = g_new0(struct lw_rule, 1);
	r->name = g_strdup(section);
	r->file = g_strdup(ld->path);
	r->line = line;
	r->urgency = LW_URGENCY_NORMAL;
	r->on = LW_ON_MATCH;
	g_ptr_array_add(ld->rs->rules, r);
	g_hash_table_insert(ld->rs->by_name, r->name, r);
	ld->cur = r;
	ld->bad_header = false;
	return 0;
}

static int set_list(char ***out, const struct lw_ini_item *it, const char *what, struct load *ld,
                    GError **error)
{
	char **v = lw_ini_split_list(it->value);
	if (!v[0]) {
		g_strfreev(v);
		lw_ini_error(error, ld->path, it->line,
		             "rule '%s': '%s' is empty; leave it out to mean every %s", ld->cur->name,
		             it->key, what);
		return -1;
	}
	*out = v;
	return 0;
}

/* In the order of enum lw_urgency. */
static const char *const urgencies[] = { "low", "normal", "critical", NULL };
static const struct lw_value_key urgency_key = {
	.key = "urgency", .type = LW_VALUE_ENUM, .offset = 0, .field = LW_FIELD_INT,
	.names = urgencies,
};

/* In the order of the enum lw_rule_on bits. */
static const char *const on_words[] = { "match", "edit", "stealth", "removal", NULL };

static int set_on(struct lw_rule *r, const struct lw_ini_item *it, struct load *ld,
                  GError **error)
{
	g_auto(GStrv) v = lw_ini_split_list(it->value);
	if (!v[0]) {
		lw_ini_error(error, ld->path, it->line,
		             "rule '%s': 'on' is empty; leave it out to mean 'match'", r->name);
		return -1;
	}
	unsigned on = 0;
	for (char **w = v; *w; w++) {
		guint i = 0;
		while (on_words[i] && strcmp(on_words[i], *w))
			i++;
		if (!on_words[i]) {
			lw_ini_error(error, ld->path, it->line,
			             "rule '%s': unknown 'on' value '%s' (match, edit, stealth, "
			             "removal)", r->name, *w);
			return -1;
		}
		on |= 1u << i;
	}
	r->on = on;
	return 0;
}

static int on_item(const struct lw_ini_item *it, void *user, GError **error)
{
	struct load *ld = user;
	struct lw_rule *r = ld->cur;
	if (!r && ld->bad_header)
		return 0;
	if (!r) {
		lw_ini_error(error, ld->path, it->line,
		             "'%s' outside a rule; start the rule with a [name] line", it->key);
		return -1;
	}
	if (g_hash_table_contains(ld->keys, it->key)) {
		lw_ini_error(error, ld->path, it->line, "duplicate key '%s' in rule '%s'", it->key,
		             r->name);
		return -1;
	}

	if (strcmp(it->key, "query") == 0) {
		g_hash_table_add(ld->queried, r->name);
		GError *qerr = NULL;
		struct lw_query *q = lw_query_parse(it->value, &qerr);
		if (!q) {
			lw_ini_error(error, ld->path, it->line, "rule '%s': %s", r->name, qerr->message);
			g_error_free(qerr);
			return -1;
		}
		r->query = q;
		r->query_text = g_strdup(it->value);
	} else if (strcmp(it->key, "urgency") == 0) {
		g_autofree char *prefix = g_strdup_printf("rule '%s': ", r->name);
		const struct lw_value_src src = { .file = ld->path, .prefix = prefix };
		int u;
		if (lw_value_set(&urgency_key, it->value, &u, &src, it->line, error) < 0)
			return -1;
		r->urgency = (enum lw_urgency)u;
	} else if (strcmp(it->key, "sinks") == 0) {
		if (set_list(&r->sinks, it, "sink", ld, error) < 0)
			return -1;
		r->sinks_line = it->line;
	} else if (strcmp(it->key, "on") == 0) {
		if (set_on(r, it, ld, error) < 0)
			return -1;
	} else if (strcmp(it->key, "blogs") == 0) {
		if (set_list(&r->blogs, it, "blog", ld, error) < 0)
			return -1;
		r->blogs_line = it->line;
	} else {
		lw_ini_error(error, ld->path, it->line, "unknown key '%s' in rule '%s'", it->key,
		             r->name);
		return -1;
	}
	g_hash_table_add(ld->keys, g_strdup(it->key));
	return 0;
}

/* err's message as one more line of all; clears err. */
static void note(GString *all, GError **err)
{
	g_string_append_printf(all, "%s%s", all->len ? "\n" : "", (*err)->message);
	g_clear_error(err);
}

/* Every problem of the file, one a line, added to all. */
static void load_file(struct lw_ruleset *rs, const char *path, GString *all)
{
	struct load ld = {
		.rs = rs,
		.path = path,
		.first = rs->rules->len,
		.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.queried = g_hash_table_new(g_str_hash, g_str_equal),
	};
	GError *err = NULL;
	int rc = lw_ini_parse(path, on_section, on_item, &ld, &err);
	if (rc < 0)
		note(all, &err);
	/* a query on a line that could not be read is not missing */
	for (guint i = ld.first; rc != LW_INI_BAD_LINES && i < rs->rules->len; i++) {
		const struct lw_rule *r = rs->rules->pdata[i];
		if (!r->query && !g_hash_table_contains(ld.queried, r->name)) {
			lw_ini_error(&err, path, r->line, "rule '%s' has no query", r->name);
			note(all, &err);
		}
	}
	g_hash_table_unref(ld.queried);
	g_hash_table_unref(ld.keys);
}

static int cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(struct lw_ruleset *rs, const char *path, GString *all)
{
	GError *ioerr = NULL;
	GDir *dir = g_dir_open(path, 0, &ioerr);
	if (!dir) {
		g_set_error(&ioerr, LW_ERROR, LW_ERROR_CONFIG, "cannot read rule folder '%s': %s",
		            path, ioerr->message);
		note(all, &ioerr);
		return;
	}
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(dir))) {
		/* hidden files are editor droppings (.#x.rules), not rules */
		if (name[0] != '.' && g_str_has_suffix(name, ".rules"))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_dir_close(dir);
	g_ptr_array_sort(names, cmp_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *file = g_build_filename(path, names->pdata[i], NULL);
		load_file(rs, file, all);
	}
}

struct lw_ruleset *lw_ruleset_load(const char *const *paths, GError **error)
{
	struct lw_ruleset *rs = lw_ruleset_new_empty();
	g_autoptr(GString) all = g_string_new(NULL);
	for (; paths && *paths; paths++) {
		const char *p = *paths;
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			load_dir(rs, p, all);
		else if (g_file_test(p, G_FILE_TEST_EXISTS))
			load_file(rs, p, all);
		else
			g_string_append_printf(all, "%scannot read rules '%s': no such file or folder",
			                       all->len ? "\n" : "", p);
	}
	if (all->len) {
		g_set_error_literal(error, LW_ERROR, LW_ERROR_CONFIG, all->str);
		lw_ruleset_free(rs);
		return NULL;
	}
	for (guint i = 0; i < rs->rules->len; i++)
		lw_rindex_add(rs->index, i, ((const struct lw_rule *)rs->rules->pdata[i])->query);
	return rs;
}

void lw_ruleset_candidates(const struct lw_ruleset *rs, const struct lw_doc *d, GArray *out)
{
	if (rs)
		lw_rindex_candidates(rs->index, d, out);
}
