#include "error.h"
#include "rules.h"

#include <glib/gstdio.h>
#include <string.h>

static char *data_path(const char *name)
{
	return g_build_filename(LW_TEST_DATA, "rules", name, NULL);
}

static struct lw_ruleset *load_one(const char *name, GError **error)
{
	g_autofree char *p = data_path(name);
	const char *paths[] = { p, NULL };
	return lw_ruleset_load(paths, error);
}

static bool matches(const struct lw_rule *r, const char *title, const char *body)
{
	struct lw_doc *d = lw_doc_new(title, body);
	bool ok = lw_query_eval(r->query, d, NULL);
	lw_doc_free(d);
	return ok;
}

static void test_good(void)
{
	g_autoptr(GError) err = NULL;
	struct lw_ruleset *rs = load_one("good.rules", &err);
	g_assert_no_error(err);
	g_assert_nonnull(rs);
	g_assert_cmpuint(lw_ruleset_count(rs), ==, 3);

	const struct lw_rule *r = lw_ruleset_get(rs, 0);
	g_assert_cmpstr(r->name, ==, "bakhmut");
	g_assert_cmpstr(r->query_text, ==, "Bakhmut~ OR Artemivsk OR Бахмут");
	g_assert_cmpint(r->urgency, ==, LW_URGENCY_CRITICAL);
	g_assert_cmpstr(lw_urgency_name(r->urgency), ==, "critical");
	g_assert_cmpint(r->line, ==, 3);
	g_assert_true(g_str_has_suffix(r->file, "good.rules"));
	g_assert_nonnull(r->sinks);
	g_assert_cmpuint(g_strv_length(r->sinks), ==, 2);
	g_assert_cmpstr(r->sinks[1], ==, "phone");
	g_assert_true(lw_rule_uses_sink(r, "desktop"));
	g_assert_true(lw_rule_uses_sink(r, "phone"));
	g_assert_false(lw_rule_uses_sink(r, "webhook"));
	g_assert_false(lw_rule_uses_sink(r, NULL));
	g_assert_true(lw_rule_applies_to_blog(r, "guardian-ukraine"));
	g_assert_false(lw_rule_applies_to_blog(r, "bbc-ukraine"));
	g_assert_cmpuint(r->on, ==, LW_ON_MATCH | LW_ON_STEALTH | LW_ON_REMOVAL);

	/* continued over three lines, joined with spaces */
	r = lw_ruleset_get(rs, 1);
	g_assert_cmpstr(r->name, ==, "leopard-tanks");
	g_assert_cmpstr(r->query_text, ==, "Leopard NEAR/8 (tank OR tanks OR \"Leopard 2\")");
	g_autofree char *canon = lw_query_to_string(r->query);
	g_assert_cmpstr(canon, ==, "(NEAR/8 \"leopard\" (OR \"tank\" \"tanks\" (PHRASE \"leopard\" \"2\")))");
	g_assert_cmpint(r->urgency, ==, LW_URGENCY_NORMAL);
	g_assert_null(r->sinks);
	g_assert_null(r->blogs);
	g_assert_cmpuint(r->on, ==, LW_ON_MATCH);
	g_assert_true(lw_rule_uses_sink(r, "anything"));
	g_assert_true(lw_rule_applies_to_blog(r, "anything"));

	r = lw_ruleset_find(rs, "quiet");
	g_assert_nonnull(r);
	g_assert_cmpint(r->urgency, ==, LW_URGENCY_LOW);
	g_assert_true(matches(r, "", "talks in Chisinau"));
	g_assert_null(lw_ruleset_find(rs, "nope"));
	g_assert_null(lw_ruleset_get(rs, 3));
	lw_ruleset_free(rs);
}

static void test_folder(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = data_path("good-dir");
	g_autofree char *file = data_path("good.rules");
	const char *paths[] = { file, dir, NULL };
	struct lw_ruleset *rs = lw_ruleset_load(paths, &err);
	g_assert_no_error(err);
	/* good.rules, then 10-war.rules, 20-peace.rules; README and hidden
	 * files are not rule files */
	g_assert_cmpuint(lw_ruleset_count(rs), ==, 5);
	g_assert_cmpstr(lw_ruleset_get(rs, 3)->name, ==, "wagner");
	g_assert_cmpstr(lw_ruleset_get(rs, 4)->name, ==, "talks");
	const struct lw_rule *talks = lw_ruleset_get(rs, 4);
	g_assert_true(lw_rule_applies_to_blog(talks, "bbc-ukraine"));
	g_assert_false(lw_rule_applies_to_blog(talks, "bbc"));
	g_assert_true(matches(talks, "Peace talks", ""));
	lw_ruleset_free(rs);

	/* no paths: an empty set */
	rs = lw_ruleset_load(NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(lw_ruleset_count(rs), ==, 0);
	lw_ruleset_free(rs);
	rs = lw_ruleset_new_empty();
	g_assert_cmpuint(lw_ruleset_count(rs), ==, 0);
	lw_ruleset_free(rs);
	lw_ruleset_free(NULL);
}

struct bad {
	const char *file;
	const char *msg;  /* after "<data>/rules/" */
};

static void test_bad_files(void)
{
	const struct bad rows[] = {
		{ "syntax.rules", "syntax.rules:3: expected 'key = value' or '[section]'" },
		{ "unknown-key.rules", "unknown-key.rules:3: unknown key 'colour' in rule 'bakhmut'" },
		{ "bad-query.rules", "bad-query.rules:3: rule 'bakhmut': column 20: expected ')'" },
		{ "missing-query.rules", "missing-query.rules:4: rule 'bakhmut' has no query" },
		{ "outside.rules",
		  "outside.rules:2: 'query' outside a rule; start the rule with a [name] line" },
		{ "bad-urgency.rules",
		  "bad-urgency.rules:3: rule 'bakhmut': 'urgency' must be one of low, normal or critical, not 'urgent'" },
		{ "empty-list.rules",
		  "empty-list.rules:3: rule 'bakhmut': 'sinks' is empty; leave it out to mean every sink" },
		{ "bad-on.rules",
		  "bad-on.rules:3: rule 'bakhmut': unknown 'on' value 'deletion' (match, edit, stealth, removal)" },
		{ "dup-key.rules", "dup-key.rules:3: duplicate key 'query' in rule 'bakhmut'" },
		{ "bad-name.rules",
		  "bad-name.rules:1: rule name 'two words' may not contain spaces, quotes, '=' or ','" },
		{ "long-line.rules",
		  "long-line.rules:2: line too long; continue it on an indented next line" },
		{ "latin1.rules", "latin1.rules:2: not valid UTF-8" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GError) err = NULL;
		struct lw_ruleset *rs = load_one(rows[i].file, &err);
		if (rs)
			g_error("%s loaded", rows[i].file);
		g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
		g_autofree char *want = g_strdup_printf("%s/rules/%s", LW_TEST_DATA, rows[i].msg);
		g_assert_cmpstr(err->message, ==, want);
	}
}

static void test_duplicates(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = data_path("dup-dir");
	const char *paths[] = { dir, NULL };
	struct lw_ruleset *rs = lw_ruleset_load(paths, &err);
	g_assert_null(rs);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_autofree char *want = g_strdup_printf("%s/b.rules:4: duplicate rule 'bakhmut' "
	                                        "(first defined at %s/a.rules:4)", dir, dir);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);

	/* the same file twice is a duplicate too */
	g_autofree char *file = data_path("good.rules");
	const char *twice[] = { file, file, NULL };
	rs = lw_ruleset_load(twice, &err);
	g_assert_null(rs);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	/* every rule of the second reading, each said once */
	want = (g_free(want), g_strdup_printf("%s:3: duplicate rule 'bakhmut' (first defined at %s:3)\n"
	                                      "%s:10: duplicate rule 'leopard-tanks' (first defined at %s:10)\n"
	                                      "%s:16: duplicate rule 'quiet' (first defined at %s:16)",
	                                      file, file, file, file, file, file));
	g_assert_cmpstr(err->message, ==, want);
}

/* A file with several problems says each of them (syntax first, each
 * with its line), and those of the next file too; no rule set. */
static void test_every_problem(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *many = data_path("many-problems.rules");
	g_autofree char *bad = data_path("outside.rules");
	const char *paths[] = { many, bad, NULL };
	struct lw_ruleset *rs = lw_ruleset_load(paths, &err);
	g_assert_null(rs);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_autofree char *want = g_strdup_printf(
		"%s:5: section header without closing ']'\n"
		"%s:8: expected 'key = value' or '[section]'\n"
		"%s:3: unknown key 'colour' in rule 'bakhmut'\n"
		"%s:4: rule 'bakhmut': 'urgency' must be one of low, normal or critical, not 'urgent'\n"
		"%s:9: rule 'tanks': unknown 'on' value 'deletion' (match, edit, stealth, removal)\n"
		"%s:11: rule name 'two words' may not contain spaces, quotes, '=' or ','\n"
		"%s:2: 'query' outside a rule; start the rule with a [name] line\n"
		"%s:3: duplicate rule 'bakhmut' (first defined at %s:1)", many, many, many, many,
		many, many, bad, bad, many);
	g_assert_cmpstr(err->message, ==, want);
}

static void test_missing_path(void)
{
	g_autoptr(GError) err = NULL;
	const char *paths[] = { "/nonexistent/livewatch.rules", NULL };
	struct lw_ruleset *rs = lw_ruleset_load(paths, &err);
	g_assert_null(rs);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_assert_cmpstr(err->message, ==,
	                "cannot read rules '/nonexistent/livewatch.rules': no such file or folder");
}

/* Files written on the fly: NUL bytes, CRLF, empty files. */
static void test_odd_files(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_dir_make_tmp("lw-rules-XXXXXX", &err);
	g_assert_no_error(err);
	g_autofree char *crlf = g_build_filename(dir, "crlf.rules", NULL);
	g_autofree char *empty = g_build_filename(dir, "empty.rules", NULL);
	g_autofree char *nul = g_build_filename(dir, "nul.rules", NULL);
	g_assert_true(g_file_set_contents(crlf, "[kyiv]\r\nquery = Kyiv\r\nurgency = low\r\n", -1, NULL));
	g_assert_true(g_file_set_contents(empty, "", 0, NULL));
	g_assert_true(g_file_set_contents(nul, "[a]\nquery = a\0b\n", 15, NULL));

	const char *p1[] = { crlf, empty, NULL };
	struct lw_ruleset *rs = lw_ruleset_load(p1, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(lw_ruleset_count(rs), ==, 1);
	g_assert_cmpint(lw_ruleset_get(rs, 0)->urgency, ==, LW_URGENCY_LOW);
	g_assert_cmpstr(lw_ruleset_get(rs, 0)->query_text, ==, "Kyiv");
	lw_ruleset_free(rs);

	const char *p2[] = { nul, NULL };
	rs = lw_ruleset_load(p2, &err);
	g_assert_null(rs);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_clear_error(&err);

	g_unlink(crlf);
	g_unlink(empty);
	g_unlink(nul);
	g_rmdir(dir);
}

/* The rule sets livewatch ships, and the sentences the demo relies on. */
static void test_shipped(void)
{
	const char *src = g_getenv("LW_SRCDIR");
	if (!src) {
		g_test_skip("LW_SRCDIR not set");
		return;
	}
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_build_filename(src, "rules", NULL);
	const char *paths[] = { dir, NULL };
	struct lw_ruleset *rs = lw_ruleset_load(paths, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(lw_ruleset_count(rs), >=, 4);

	struct {
		const char *rule, *title, *body;
		bool match;
	} rows[] = {
		{ "bakhmut", "", "Fighting continues around Bakhmut, the governor said.", true },
		{ "bakhmut", "", "Fighting near Bahkmut overnight", true },
		{ "bakhmut", "Бои за Бахмут", "", true },
		{ "bakhmut", "", "Heavy shelling in Kharkiv", false },
		{ "leopard-tanks", "Norway to send eight Leopard 2 tanks", "", true },
		{ "leopard-tanks", "", "Norway to send eight Leopard 2 tanks to Ukraine", true },
		{ "leopard-tanks", "", "Germany approves Leopard tanks for Kyiv", true },
		{ "leopard-tanks", "", "A leopard was seen at the zoo", false },
		{ "leopard-tanks", "", "Tanks rolled past Leopardstown racecourse", false },
		{ "wagner", "", "Wagner group fighters withdraw", true },
		{ "wagner", "", "Yevgeny Prigozhin said", true },
		{ "wagner", "", "Richard Wagner's opera at the Bolshoi", false },
		{ "zaporizhzhia-nuclear", "", "IAEA inspectors reach the Zaporizhzhia nuclear plant", true },
		{ "zaporizhzhia-nuclear", "", "Shelling in Zaporizhzhia city", false },
		{ "fighter-jets", "", "Netherlands will send F-16 jets", true },
		{ "power-grid", "Blackouts across Kyiv", "", true },
		{ "power-grid", "", "Blackouts across Kyiv", false },
	};
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		const struct lw_rule *r = lw_ruleset_find(rs, rows[i].rule);
		g_assert_nonnull(r);
		if (matches(r, rows[i].title, rows[i].body) != rows[i].match)
			g_error("rule %s on '%s%s': expected %d", rows[i].rule, rows[i].title,
			        rows[i].body, rows[i].match);
	}
	g_assert_cmpint(lw_ruleset_find(rs, "bakhmut")->urgency, ==, LW_URGENCY_CRITICAL);
	lw_ruleset_free(rs);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rules/good", test_good);
	g_test_add_func("/rules/folder", test_folder);
	g_test_add_func("/rules/bad-files", test_bad_files);
	g_test_add_func("/rules/duplicates", test_duplicates);
	g_test_add_func("/rules/every-problem", test_every_problem);
	g_test_add_func("/rules/missing-path", test_missing_path);
	g_test_add_func("/rules/odd-files", test_odd_files);
	g_test_add_func("/rules/shipped", test_shipped);
	return g_test_run();
}
