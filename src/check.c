#include "check.h"
#include "extract.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* "FILE:LINE: " as the config gives it: a key set nowhere has no line. */
G_GNUC_PRINTF(4, 5)
static void add(GPtrArray *problems, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		g_ptr_array_add(problems, g_strdup_printf("%s:%d: %s", file, line, msg));
	else
		g_ptr_array_add(problems, g_strdup_printf("%s: %s", file, msg));
}

static int key_line(const struct lw_config_section *sec, const char *key)
{
	return lw_config_section_line(sec, key);
}

/* xpath profile errors name the key: point at its line. */
static int profile_line(const struct lw_blog_config *b, const char *message)
{
	static const char *const keys[] = { "entry", "id", "time", "updated", "title", "body" };
	for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
		g_autofree char *quoted = g_strdup_printf("'%s'", keys[k]);
		if (strstr(message, quoted) && g_hash_table_contains(b->sec.lines, keys[k]))
			return key_line(&b->sec, keys[k]);
	}
	return b->sec.line;
}

void lw_check_repo(const struct lw_config *cfg, GPtrArray *problems)
{
	int line = g_hash_table_contains(cfg->sec.lines, "repo") ? key_line(&cfg->sec, "repo") : 0;
	if (g_file_test(cfg->repo, G_FILE_TEST_EXISTS)) {
		if (!g_file_test(cfg->repo, G_FILE_TEST_IS_DIR))
			add(problems, cfg->path, line, "repository '%s' is not a folder", cfg->repo);
		else if (access(cfg->repo, W_OK | X_OK) < 0)
			add(problems, cfg->path, line, "repository '%s' is not writable: %s", cfg->repo,
			    g_strerror(errno));
		return;
	}
	/* it will be created: the nearest folder that exists must take it */
	g_autofree char *dir = g_path_get_dirname(cfg->repo);
	while (!g_file_test(dir, G_FILE_TEST_EXISTS)) {
		char *up = g_path_get_dirname(dir);
		g_free(dir);
		dir = up;
	}
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		add(problems, cfg->path, line, "repository '%s' cannot be created: '%s' is not a folder",
		    cfg->repo, dir);
	else if (access(dir, W_OK | X_OK) < 0)
		add(problems, cfg->path, line, "repository '%s' cannot be created in '%s': %s",
		    cfg->repo, dir, g_strerror(errno));
}

static void check_push_file(const struct lw_config *cfg, const char *key, const char *path,
                            GPtrArray *warnings)
{
	if (!path || !*path)
		return;
	int line = key_line(&cfg->sec, key);
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		add(warnings, cfg->path, line, "%s '%s': no such file: every push will fail", key,
		    path);
	else if (g_file_test(path, G_FILE_TEST_IS_DIR) && strcmp(key, "push_ca") != 0)
		add(warnings, cfg->path, line, "%s '%s' is a folder, not a file: every push will fail",
		    key, path);
	else if (access(path, R_OK) < 0)
		add(warnings, cfg->path, line, "%s '%s' cannot be read (%s): every push will fail",
		    key, path, g_strerror(errno));
}

void lw_check_push_files(const struct lw_config *cfg, GPtrArray *warnings)
{
	if (!cfg->push)
		return;
	check_push_file(cfg, "push_token", cfg->push_token, warnings);
	check_push_file(cfg, "push_ca", cfg->push_ca, warnings);
	check_push_file(cfg, "push_known_hosts", cfg->push_known_hosts, warnings);
}

void lw_check_config(const struct lw_config *cfg, GPtrArray *problems)
{
	if (cfg->blogs->len == 0)
		add(problems, cfg->path, 0, "no [blog \"NAME\"] to watch (see config.ini.example)");
	for (guint i = 0; i < cfg->blogs->len; i++) {
		const struct lw_blog_config *b = cfg->blogs->pdata[i];
		if (!lw_extract_format_known(b->format)) {
			add(problems, b->sec.file, key_line(&b->sec, "format"),
			    "unknown format '%s' (auto, guardian, jsonld, feed, xpath, "
			    "generic, article)", b->format);
			continue;
		}
		GError *err = NULL;
		if (!strcmp(b->format, "xpath") && lw_extract_check_profile(&b->xpath, &err) < 0) {
			add(problems, b->sec.file, profile_line(b, err->message), "[blog \"%s\"] %s",
			    b->sec.name, err->message);
			g_error_free(err);
		}
	}
}

guint lw_check_rule_paths(const struct lw_config_section *sec, char *const *paths,
                          GPtrArray *problems)
{
	guint before = problems->len;
	int line = key_line(sec, "rules");
	for (; paths && *paths; paths++) {
		const char *p = *paths;
		if (!g_file_test(p, G_FILE_TEST_EXISTS)) {
			add(problems, sec->file, line, "rules '%s': no such file or folder", p);
			continue;
		}
		if (!g_file_test(p, G_FILE_TEST_IS_DIR))
			continue;
		GError *err = NULL;
		GDir *dir = g_dir_open(p, 0, &err);
		if (!dir) {
			add(problems, sec->file, line, "cannot read rule folder '%s': %s", p, err->message);
			g_error_free(err);
			continue;
		}
		bool any = false;
		const char *name;
		while (!any && (name = g_dir_read_name(dir)))
			any = name[0] != '.' && g_str_has_suffix(name, ".rules");
		g_dir_close(dir);
		if (!any)
			add(problems, sec->file, line, "rule folder '%s' holds no *.rules file", p);
	}
	return problems->len - before;
}

/* Levenshtein distance of a and b (bytes, case-folded ASCII), capped. */
static guint distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return G_MAXUINT;
	guint row[65];
	for (gsize j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (gsize i = 1; i <= la; i++) {
		guint diag = row[0];
		row[0] = (guint)i;
		for (gsize j = 1; j <= lb; j++) {
			guint up = row[j];
			guint cost = g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]);
			guint best = MIN(row[j] + 1, row[j - 1] + 1);
			row[j] = MIN(best, diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

const char *lw_check_closest(const char *name, char *const *known)
{
	const char *best = NULL;
	guint best_d = MAX(1, (guint)strlen(name) / 3) + 1;
	for (char *const *k = known; k && *k; k++) {
		guint d = distance(name, *k);
		if (d < best_d) {
			best = *k;
			best_d = d;
		}
	}
	if (best || !*name)
		return best;
	/* or the one name that begins with it: guardian for guardian-ukraine */
	g_autofree char *low = g_ascii_strdown(name, -1);
	for (char *const *k = known; k && *k; k++) {
		g_autofree char *klow = g_ascii_strdown(*k, -1);
		if (g_str_has_prefix(klow, low)) {
			if (best)
				return NULL;
			best = *k;
		}
	}
	return best;
}

static void check_names(const struct lw_rule *r, char *const *names, int line, const char *what,
                        char *const *known, GPtrArray *problems)
{
	for (; names && *names; names++) {
		if (known && g_strv_contains((const char *const *)known, *names))
			continue;
		const char *close = lw_check_closest(*names, known);
		g_autofree char *hint = close ? g_strdup_printf(" (did you mean '%s'?)", close) :
		                        g_strdup("");
		g_autofree char *list = known && *known ? g_strjoinv(", ", (char **)known) :
		                        g_strdup("none");
		add(problems, r->file, line ? line : r->line, "rule '%s': no %s '%s'%s; %ss: %s",
		    r->name, what, *names, hint, what, list);
	}
}

void lw_check_rule_names(const struct lw_ruleset *rs, const struct lw_config *cfg,
                         char *const *sinks, GPtrArray *problems)
{
	g_autoptr(GPtrArray) blogs = g_ptr_array_new();
	for (guint i = 0; i < cfg->blogs->len; i++)
		g_ptr_array_add(blogs, ((struct lw_blog_config *)cfg->blogs->pdata[i])->sec.name);
	g_ptr_array_add(blogs, NULL);
	for (guint i = 0; rs && i < lw_ruleset_count(rs); i++) {
		const struct lw_rule *r = lw_ruleset_get(rs, i);
		check_names(r, r->blogs, r->blogs_line, "blog", (char *const *)blogs->pdata, problems);
		check_names(r, r->sinks, r->sinks_line, "sink", sinks, problems);
	}
}

void lw_check_query_words(const char *query, const char *what, GPtrArray *warnings)
{
	static const struct { const char *word, *op, *means; } ops[] = {
		{ "and", "AND", "both sides" }, { "or", "OR", "either side" },
		{ "not", "NOT", "without the next term" },
	};
	const char *p = query;
	while (*p) {
		/* phrases and regexes are text, not operators */
		if (*p == '"' || *p == '/') {
			const char *end = strchr(p + 1, *p);
			p = end ? end + 1 : p + strlen(p);
			continue;
		}
		if (g_ascii_isspace(*p) || *p == '(' || *p == ')') {
			p++;
			continue;
		}
		const char *start = p;
		while (*p && !g_ascii_isspace(*p) && *p != '(' && *p != ')' && *p != '"')
			p++;
		gsize n = (gsize)(p - start);
		g_autofree char *word = g_strndup(start, n);
		for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
			if (g_ascii_strcasecmp(word, ops[i].word) || !strcmp(word, ops[i].op))
				continue;
			g_ptr_array_add(warnings, g_strdup_printf("%s'%s' is searched as a word; write %s "
			                                          "to mean %s", what, word, ops[i].op,
			                                          ops[i].means));
		}
		if (!g_ascii_strncasecmp(word, "near/", 5) && strncmp(word, "NEAR/", 5))
			g_ptr_array_add(warnings, g_strdup_printf("%s'%s' is searched as words; write "
			                                          "NEAR/%s for words that close",
			                                          what, word, word + 5));
	}
}
