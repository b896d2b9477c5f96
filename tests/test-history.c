/* Tests for src/history*.c: --since parsing, reading a real repository
 * made by the store (log walk, versions, id resolution), and one built
 * here commit by commit in both layouts: flat entries/, the writer's move
 * into day folders, then day folders. */
#include <git2.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "entry.h"
#include "error.h"
#include "history.h"
#include "store.h"

static void test_parse_since(void)
{
	const gint64 now = 1676400000;   /* 2023-02-14T18:40:00Z */
	g_setenv("TZ", "UTC", TRUE);
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(lw_history_parse_since("30m", now, &err), ==, now - 1800);
	g_assert_cmpint(lw_history_parse_since("2h", now, &err), ==, now - 7200);
	g_assert_cmpint(lw_history_parse_since("3d", now, &err), ==, now - 3 * 86400);
	g_assert_cmpint(lw_history_parse_since("1w", now, &err), ==, now - 7 * 86400);
	g_assert_cmpint(lw_history_parse_since("45s", now, &err), ==, now - 45);
	g_assert_cmpint(lw_history_parse_since("2023-02-14", now, &err), ==, 1676332800);
	g_assert_cmpint(lw_history_parse_since("2023-02-14T18:00:00Z", now, &err), ==, 1676397600);
	g_assert_cmpint(lw_history_parse_since("2023-02-14T19:00:00+01:00", now, &err), ==,
	                1676397600);
	g_assert_no_error(err);
	static const char *const bad[] = { "", "h", "2x", "-2h", "yesterday", "2023-02-30",
	                                   "2023-2-14", "2023-02-14T25:00:00Z", "99999999999d" };
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(lw_history_parse_since(bad[i], now, &err), ==, -1);
		g_assert_error(err, LW_ERROR, LW_ERROR_FAILED);
		g_autofree char *quoted = g_strdup_printf("'%s'", bad[i]);
		g_assert_nonnull(strstr(err->message, quoted));
		g_clear_error(&err);
	}
}

/* ---- a real repository ---- */

static struct lw_entry *mk(const char *id, const char *title, const char *body)
{
	struct lw_entry *e = lw_entry_new();
	lw_entry_set(&e->id, id);
	lw_entry_set(&e->title, title);
	lw_entry_set(&e->body, body);
	lw_entry_set(&e->published, "2023-02-14T18:31:00Z");
	lw_entry_set(&e->url, "https://example.org/live");
	return e;
}

static void commit(struct lw_store *s, const char *blog, struct lw_entry *write,
                   const char *remove, const char *message, gint64 when)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func((GDestroyNotify)lw_entry_free);
	g_autoptr(GPtrArray) rm = g_ptr_array_new();
	if (write)
		g_ptr_array_add(w, write);
	if (remove)
		g_ptr_array_add(rm, (char *)remove);
	struct lw_commit c = { .blog = blog, .write = w, .remove = rm, .message = message,
	                       .time = when };
	char hex[41];
	g_assert_cmpint(lw_store_commit(s, &c, hex, &err), ==, 0);
	g_assert_no_error(err);
}

static bool collect(const struct lw_history_poll *p, void *data)
{
	GString *s = data;
	g_string_append_printf(s, "%" G_GINT64_FORMAT " %s%s", p->time, p->blog,
	                       p->livewatch ? "" : " (other)");
	for (guint i = 0; i < p->changes->len; i++) {
		const struct lw_history_change *c = p->changes->pdata[i];
		g_string_append_printf(s, " %c%s:%s", c->kind, c->id, c->title);
	}
	for (guint i = 0; i < p->alert_rules->len; i++)
		g_string_append_printf(s, " !%s=%u", (char *)p->alert_rules->pdata[i],
		                       g_array_index(p->alert_counts, guint, i));
	g_string_append_c(s, '\n');
	return true;
}

static bool stop_after_one(const struct lw_history_poll *p, void *data)
{
	(*(int *)data)++;
	return false;
}

static void test_repository(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *tmp = g_dir_make_tmp("lw-history-XXXXXX", &err);
	g_assert_no_error(err);
	g_setenv("HOME", tmp, TRUE);
	g_setenv("XDG_CONFIG_HOME", tmp, TRUE);
	g_autofree char *path = g_build_filename(tmp, "history", NULL);

	/* missing: an error, and nothing created */
	g_assert_null(lw_history_reader_open(path, &err));
	g_assert_nonnull(strstr(err->message, "no history at"));
	g_clear_error(&err);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

	struct lw_store *s = lw_store_open(path, &err);
	g_assert_no_error(err);
	const gint64 t0 = 1676400000;
	commit(s, "live", mk("block-1", "First", "one two three"),
	       NULL, "live: 1 new\n\nLivewatch-Blog: live\nLivewatch-Alerts: bakhmut=2 x=1\n", t0);
	commit(s, "other", mk("block-1", "Other blog", "elsewhere"),
	       NULL, "other: 1 new\n\nLivewatch-Blog: other\n", t0 + 60);
	commit(s, "live", mk("block-1", "First", "one two 2.5 three"),
	       NULL, "live: 1 edited\n\nLivewatch-Blog: live\n", t0 + 120);
	commit(s, "live", NULL, "block-1", "live: 1 removed\n\nLivewatch-Blog: live\n", t0 + 180);
	commit(s, "live", mk("block-1", "First", "one two 2.5 three"),
	       NULL, "live: 1 restored\n\nLivewatch-Blog: live\n", t0 + 240);
	commit(s, "live", mk("block-2", "Second", "x"),
	       NULL, "a person's own commit\n", t0 + 300);
	commit(s, "live", mk("block-10", "Tenth", "y"),
	       NULL, "live: 1 new\n\nLivewatch-Blog: live\n", t0 + 360);
	lw_store_free(s);

	struct lw_history_reader *r = lw_history_reader_open(path, &err);
	g_assert_no_error(err);
	g_assert_true(lw_history_has_blog(r, "live"));
	g_assert_true(lw_history_has_blog(r, "other"));
	g_assert_false(lw_history_has_blog(r, "nope"));
	g_assert_false(lw_history_has_blog(r, ".."));

	GString *got = g_string_new(NULL);
	g_assert_cmpint(lw_history_walk(r, NULL, collect, got, &err), ==, 7);
	g_assert_no_error(err);
	g_assert_cmpstr(got->str, ==,
	                "1676400360 live Ablock-10:Tenth\n"
	                "1676400300 live (other) Ablock-2:Second\n"
	                "1676400240 live Ablock-1:First\n"
	                "1676400180 live Dblock-1:First\n"
	                "1676400120 live Mblock-1:First\n"
	                "1676400060 other Ablock-1:Other blog\n"
	                "1676400000 live Ablock-1:First !bakhmut=2 !x=1\n");
	g_string_truncate(got, 0);
	struct lw_history_filter f = { .blog = "other" };
	g_assert_cmpint(lw_history_walk(r, &f, collect, got, &err), ==, 1);
	g_assert_cmpstr(got->str, ==, "1676400060 other Ablock-1:Other blog\n");
	g_string_truncate(got, 0);
	f = (struct lw_history_filter){ .blog = "live", .since = t0 + 240 };
	g_assert_cmpint(lw_history_walk(r, &f, collect, got, &err), ==, 3);
	g_string_free(got, TRUE);
	int calls = 0;
	g_assert_cmpint(lw_history_walk(r, NULL, stop_after_one, &calls, &err), ==, 1);
	g_assert_cmpint(calls, ==, 1);
	f = (struct lw_history_filter){ .blog = "../x" };
	g_assert_cmpint(lw_history_walk(r, &f, collect, NULL, &err), ==, -1);
	g_clear_error(&err);

	g_autoptr(GPtrArray) vs = lw_history_versions(r, "live", "block-1", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(vs->len, ==, 4);
	static const enum lw_version_kind kinds[] = { LW_VERSION_ADDED, LW_VERSION_EDITED,
	                                              LW_VERSION_REMOVED, LW_VERSION_RESTORED };
	for (guint i = 0; i < vs->len; i++) {
		const struct lw_history_version *v = vs->pdata[i];
		g_assert_cmpint(v->kind, ==, kinds[i]);
		g_assert_cmpint(v->time, ==, t0 + (i + 1) * 60 + (i == 0 ? -60 : 0));
		g_assert_true((v->text == NULL) == (v->kind == LW_VERSION_REMOVED));
	}
	g_assert_nonnull(strstr(((struct lw_history_version *)vs->pdata[1])->text, "2.5"));

	/* ids: exact, unique prefix, ambiguous prefix, unknown, hostile */
	g_autofree char *id = lw_history_resolve_id(r, "live", "block-1", &err);
	g_assert_cmpstr(id, ==, "block-1");
	g_autofree char *id2 = lw_history_resolve_id(r, "live", "block-2", &err);
	g_assert_cmpstr(id2, ==, "block-2");
	g_assert_null(lw_history_resolve_id(r, "live", "block", &err));
	g_assert_nonnull(strstr(err->message, "ambiguous"));
	g_assert_nonnull(strstr(err->message, "block-1, block-10, block-2"));
	g_clear_error(&err);
	g_assert_null(lw_history_resolve_id(r, "live", "block-9", &err));
	g_assert_cmpstr(err->message, ==, "no entry 'block-9' in blog 'live'");
	g_clear_error(&err);
	g_assert_null(lw_history_resolve_id(r, "live", "ock-10", &err));
	g_assert_nonnull(strstr(err->message, "did you mean block-10?"));
	g_clear_error(&err);
	static const char *const hostile[] = { "../x", "..", ".git", "a/b", "", "a b", "x\n" };
	for (gsize i = 0; i < G_N_ELEMENTS(hostile); i++) {
		g_assert_null(lw_history_resolve_id(r, "live", hostile[i], &err));
		g_assert_nonnull(strstr(err->message, "invalid entry id"));
		g_clear_error(&err);
		g_assert_null(lw_history_versions(r, "live", hostile[i], &err));
		g_clear_error(&err);
	}
	g_assert_null(lw_history_versions(r, "..", "README", &err));
	g_assert_nonnull(strstr(err->message, "invalid blog name '..'"));
	g_clear_error(&err);
	lw_history_reader_free(r);

	const char *argv[] = { "rm", "-rf", tmp, NULL };
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* ---- a repository built here: flat, migrated, then in day folders ---- */

/* One change of a hand-built commit: text NULL removes path. */
struct op {
	const char *path;
	const char *text;
};

#define OPS_MAX 8

/* Commits ops on top of HEAD with libgit2 alone (no store: its layout
 * is what these tests fix, not what the writer of the day does). */
static void put(git_repository *repo, const char *message, gint64 when, const struct op *ops,
                gsize n)
{
	git_oid oid, blobs[OPS_MAX];
	git_tree_update up[OPS_MAX];
	git_tree *base = NULL, *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	g_assert_cmpuint(n, <=, OPS_MAX);
	if (git_repository_head_unborn(repo) == 1) {
		git_treebuilder *tb = NULL;
		g_assert_cmpint(git_treebuilder_new(&tb, repo, NULL), ==, 0);
		g_assert_cmpint(git_treebuilder_write(&oid, tb), ==, 0);
		git_treebuilder_free(tb);
	} else {
		g_assert_cmpint(git_reference_name_to_id(&oid, repo, "HEAD"), ==, 0);
		g_assert_cmpint(git_commit_lookup(&parent, repo, &oid), ==, 0);
		git_oid_cpy(&oid, git_commit_tree_id(parent));
	}
	g_assert_cmpint(git_tree_lookup(&base, repo, &oid), ==, 0);
	for (gsize i = 0; i < n; i++) {
		up[i] = (git_tree_update){ .action = GIT_TREE_UPDATE_REMOVE, .path = ops[i].path };
		if (!ops[i].text)
			continue;
		g_assert_cmpint(git_blob_create_from_buffer(&blobs[i], repo, ops[i].text,
							    strlen(ops[i].text)), ==, 0);
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].filemode = GIT_FILEMODE_BLOB;
		git_oid_cpy(&up[i].id, &blobs[i]);
	}
	g_assert_cmpint(git_tree_create_updated(&oid, repo, base, n, up), ==, 0);
	g_assert_cmpint(git_tree_lookup(&tree, repo, &oid), ==, 0);
	g_assert_cmpint(git_signature_new(&sig, "livewatch", "livewatch@localhost", when, 0), ==, 0);
	const git_commit *parents[] = { parent };
	g_assert_cmpint(git_commit_create(&oid, repo, "HEAD", sig, sig, NULL, message, tree,
					  parent ? 1 : 0, parents), ==, 0);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
}

/* The file text of an entry (freed by the caller). */
static char *md(const char *id, const char *title, const char *body)
{
	struct lw_entry *e = mk(id, title, body);
	char *text = lw_entry_to_md(e);
	lw_entry_free(e);
	return text;
}

/* Kinds of the versions as letters (a d e r: added, edited, removed,
 * restored) and their times after t0 in minutes: "a0 e1 e5". */
static char *version_list(struct lw_history_reader *r, const char *blog, const char *id,
                          gint64 t0)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) vs = lw_history_versions(r, blog, id, &err);
	g_assert_no_error(err);
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < vs->len; i++) {
		const struct lw_history_version *v = vs->pdata[i];
		g_string_append_printf(s, "%s%c%" G_GINT64_FORMAT, i ? " " : "", "aedr"[v->kind],
				       (v->time - t0) / 60);
		g_assert_true((v->text == NULL) == (v->kind == LW_VERSION_REMOVED));
	}
	return g_string_free(s, FALSE);
}

/* The text of the version made by the commit at t0 + minutes. */
static bool version_has(struct lw_history_reader *r, const char *id, gint64 when,
                        const char *needle)
{
	g_autoptr(GPtrArray) vs = lw_history_versions(r, "live", id, NULL);
	for (guint i = 0; vs && i < vs->len; i++) {
		const struct lw_history_version *v = vs->pdata[i];
		if (v->time == when)
			return v->text && strstr(v->text, needle);
	}
	return false;
}

static char *resolve(struct lw_history_reader *r, const char *blog, const char *typed)
{
	g_autoptr(GError) err = NULL;
	char *id = lw_history_resolve_id(r, blog, typed, &err);
	return id ? id : g_strdup_printf("error: %s", err->message);
}

static char *walk(struct lw_history_reader *r, const char *blog, gint64 since, int *count)
{
	g_autoptr(GError) err = NULL;
	GString *got = g_string_new(NULL);
	struct lw_history_filter f = { .blog = blog, .since = since };
	*count = lw_history_walk(r, &f, collect, got, &err);
	if (*count < 0)
		g_string_append_printf(got, "error: %s", err->message);
	return g_string_free(got, FALSE);
}

/* The loose object file of the tree at path in HEAD's tree. */
static char *loose_tree_file(git_repository *repo, const char *path)
{
	git_oid oid;
	git_commit *c = NULL;
	git_tree *root = NULL;
	git_tree_entry *te = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	g_assert_cmpint(git_reference_name_to_id(&oid, repo, "HEAD"), ==, 0);
	g_assert_cmpint(git_commit_lookup(&c, repo, &oid), ==, 0);
	g_assert_cmpint(git_commit_tree(&root, c), ==, 0);
	g_assert_cmpint(git_tree_entry_bypath(&te, root, path), ==, 0);
	g_assert_cmpint(git_tree_entry_type(te), ==, GIT_OBJECT_TREE);
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(te));
	git_tree_entry_free(te);
	git_tree_free(root);
	git_commit_free(c);
	return g_strdup_printf("%sobjects/%.2s/%s", git_repository_path(repo), hex, hex + 2);
}

/* A tree object taken out of the repository, to see that it is not read. */
struct hidden {
	char *file;
	char *bytes;
	gsize len;
};

static struct hidden hide_tree(git_repository *repo, const char *path)
{
	struct hidden h = { .file = loose_tree_file(repo, path) };
	g_assert_true(g_file_get_contents(h.file, &h.bytes, &h.len, NULL));
	g_assert_cmpint(g_unlink(h.file), ==, 0);
	return h;
}

static void unhide(struct hidden *h)
{
	g_assert_true(g_file_set_contents(h->file, h->bytes, (gssize)h->len, NULL));
	g_free(h->file);
	g_free(h->bytes);
}

/* An empty repository made with libgit2 alone in a new temporary folder
 * (*tmp; the repository is *path, its "history" folder). */
static git_repository *new_repo(char **tmp, char **path)
{
	g_autoptr(GError) err = NULL;
	git_repository *repo = NULL;
	*tmp = g_dir_make_tmp("lw-history-XXXXXX", &err);
	g_assert_no_error(err);
	*path = g_build_filename(*tmp, "history", NULL);
	git_libgit2_init();
	g_assert_cmpint(git_repository_init(&repo, *path, false), ==, 0);
	return repo;
}

static void repo_done(git_repository *repo, const char *tmp)
{
	git_repository_free(repo);
	git_libgit2_shutdown();
	const char *argv[] = { "rm", "-rf", tmp, NULL };
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

#define MIGRATION "livewatch: move entries into day folders\n\nLivewatch-Migration: day-folders\n"

static void test_day_folders(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *tmp = NULL, *path = NULL;
	git_repository *repo = new_repo(&tmp, &path);

	const gint64 t0 = 1676400000, m = 60;
	g_autofree char *a1 = md("a-1", "A one", "first text");
	g_autofree char *a2 = md("a-1", "A one", "first text, corrected");
	g_autofree char *a3 = md("a-1", "A one", "first text, corrected again");
	g_autofree char *b1 = md("b-1", "B one", "bee");
	g_autofree char *c1 = md("c-1", "C one", "sea");
	g_autofree char *d1 = md("d-1", "D one", "dee");
	g_autofree char *d2 = md("d-2", "D two", "dee two");
	g_autofree char *e1 = md("e-1", "E one", "by hand");
	g_autofree char *e1b = md("e-1", "E one", "by hand, moved and changed");
	g_autofree char *x1 = md("x-1", "X one", "other blog");
	g_autofree char *old1 = md("old-1", "Old one", "never changes");

	/* the flat layout */
	put(repo, "live: 2 new\n\nLivewatch-Blog: live\nLivewatch-Alerts: bakhmut=1\n", t0,
	    (struct op[]){ { "live/entries/a-1.md", a1 }, { "live/entries/b-1.md", b1 },
			   { "live/entries/old-1.md", old1 },
			   { "live/index.md", "- [A one](entries/a-1.md)\n" } }, 4);
	put(repo, "live: 1 edited\n\nLivewatch-Blog: live\n", t0 + 1 * m,
	    (struct op[]){ { "live/entries/a-1.md", a2 } }, 1);
	put(repo, "live: 1 removed\n\nLivewatch-Blog: live\n", t0 + 2 * m,
	    (struct op[]){ { "live/entries/b-1.md", NULL } }, 1);
	put(repo, "other: 1 new\n\nLivewatch-Blog: other\n", t0 + 3 * m,
	    (struct op[]){ { "other/entries/x-1.md", x1 } }, 1);
	/* the writer's migration: every blog, one commit, files only moved */
	put(repo, MIGRATION, t0 + 4 * m,
	    (struct op[]){ { "live/entries/a-1.md", NULL }, { "live/entries/2023-02-14/a-1.md", a2 },
			   { "live/index.md", "- [A one](entries/2023-02-14/a-1.md)\n" },
			   { "other/entries/x-1.md", NULL },
			   { "other/entries/2023-02-13/x-1.md", x1 },
			   { "live/entries/old-1.md", NULL },
			   { "live/entries/2023-02-10/old-1.md", old1 } }, 7);
	/* day folders */
	put(repo, "live: 1 new, 1 edited\n\nLivewatch-Blog: live\n", t0 + 5 * m,
	    (struct op[]){ { "live/entries/2023-02-15/c-1.md", c1 },
			   { "live/entries/2023-02-14/a-1.md", a3 } }, 2);
	put(repo, "live: 1 restored\n\n+ 18:31 B one (restored)\n\nLivewatch-Blog: live\n",
	    t0 + 6 * m, (struct op[]){ { "live/entries/2023-02-14/b-1.md", b1 } }, 1);
	put(repo, "live: 1 removed\n\nLivewatch-Blog: live\n", t0 + 7 * m,
	    (struct op[]){ { "live/entries/2023-02-15/c-1.md", NULL } }, 1);
	put(repo, "live: 2 new\n\nLivewatch-Blog: live\n", t0 + 8 * m,
	    (struct op[]){ { "live/entries/2023-02-15/d-1.md", d1 },
			   { "live/entries/2023-02-16/d-2.md", d2 } }, 2);
	/* a person's commits: a flat file after the migration, then moves by
	 * hand (one with its text changed), which change no entry */
	put(repo, "add an entry by hand\n", t0 + 9 * m,
	    (struct op[]){ { "live/entries/e-1.md", e1 } }, 1);
	put(repo, "move by hand\n", t0 + 10 * m,
	    (struct op[]){ { "live/entries/e-1.md", NULL }, { "live/entries/2023-02-17/e-1.md", e1b },
			   { "other/entries/2023-02-13/x-1.md", NULL },
			   { "other/entries/2023-02-12/x-1.md", x1 } }, 4);

	struct lw_history_reader *r = lw_history_reader_open(path, &err);
	g_assert_no_error(err);
	g_assert_true(lw_history_has_blog(r, "live"));
	g_assert_true(lw_history_has_blog(r, "other"));
	g_assert_false(lw_history_has_blog(r, "2023-02-14"));

	/* log: no poll for the migration nor for the moves by hand */
	int n;
	g_autofree char *all = walk(r, NULL, 0, &n);
	g_assert_cmpstr(all, ==,
			"1676400540 live (other) Ae-1:E one\n"
			"1676400480 live Ad-1:D one Ad-2:D two\n"
			"1676400420 live Dc-1:C one\n"
			"1676400360 live Rb-1:B one\n"
			"1676400300 live Ac-1:C one Ma-1:A one\n"
			"1676400180 other Ax-1:X one\n"
			"1676400120 live Db-1:B one\n"
			"1676400060 live Ma-1:A one\n"
			"1676400000 live Aa-1:A one Ab-1:B one Aold-1:Old one !bakhmut=1\n");
	g_assert_cmpint(n, ==, 9);
	g_autofree char *other = walk(r, "other", 0, &n);
	g_assert_cmpstr(other, ==, "1676400180 other Ax-1:X one\n");
	g_assert_cmpint(n, ==, 1);
	g_autofree char *recent = walk(r, "live", t0 + 4 * m, &n);
	g_assert_cmpint(n, ==, 5);

	/* show: one entry's life reads on through the migration */
	g_autofree char *va = version_list(r, "live", "a-1", t0);
	g_assert_cmpstr(va, ==, "a0 e1 e5");
	g_assert_true(version_has(r, "a-1", t0 + 5 * m, "corrected again"));
	g_autofree char *vb = version_list(r, "live", "b-1", t0);
	g_assert_cmpstr(vb, ==, "a0 d2 r6");
	g_autofree char *vc = version_list(r, "live", "c-1", t0);
	g_assert_cmpstr(vc, ==, "a5 d7");
	g_autofree char *vd = version_list(r, "live", "d-2", t0);
	g_assert_cmpstr(vd, ==, "a8");
	g_autofree char *ve = version_list(r, "live", "e-1", t0);
	g_assert_cmpstr(ve, ==, "a9 e10");    /* moved with a new text: the text is a version */
	g_assert_true(version_has(r, "e-1", t0 + 10 * m, "moved and changed"));
	g_autofree char *vx = version_list(r, "other", "x-1", t0);
	g_assert_cmpstr(vx, ==, "a3");        /* moved twice, never changed */
	g_autofree char *vn = version_list(r, "live", "2023-02-14", t0);
	g_assert_cmpstr(vn, ==, "");

	/* ids in day folders, flat ones, and prefixes across days */
	static const struct { const char *blog, *typed, *want; } ids[] = {
		{ "live", "a-", "a-1" },
		{ "live", "b-1", "b-1" },
		{ "live", "e", "e-1" },
		{ "live", "c-1", "c-1" },          /* only in the past */
		{ "live", "d-", "error: entry id 'd-' is ambiguous in blog 'live': d-1, d-2" },
		{ "live", "-", "error: no entry '-' in blog 'live'" },
		{ "live", "2023-02-14", "error: no entry '2023-02-14' in blog 'live'" },
		{ "live", "x-1", "error: no entry 'x-1' in blog 'live'" },
		{ "other", "x", "x-1" },
		{ "live", "old", "old-1" },
		{ "live", "../index", "error: invalid entry id '../index' (ids are letters, digits, "
				      "'.', '_' and '-', not starting with '.')" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autofree char *got = resolve(r, ids[i].blog, ids[i].typed);
		g_assert_cmpstr(got, ==, ids[i].want);
	}
	lw_history_reader_free(r);

	/* Cost, seen by hiding trees that must not be read.  The migration
	 * commit is not even diffed: only its diff would read the day folder
	 * it made for old-1, never touched since. */
	struct hidden h = hide_tree(repo, "live/entries/2023-02-10");
	r = lw_history_reader_open(path, &err);
	g_assert_no_error(err);
	g_autofree char *all_again = walk(r, NULL, 0, &n);
	g_assert_cmpstr(all_again, ==, all);
	lw_history_reader_free(r);
	unhide(&h);

	/* Looking for an entry that left its day folder reads only the day
	 * folders that changed: 2023-02-14 is unchanged since c-1 left. */
	h = hide_tree(repo, "live/entries/2023-02-14");
	r = lw_history_reader_open(path, &err);
	g_assert_no_error(err);
	g_autofree char *vc2 = version_list(r, "live", "c-1", t0);
	g_assert_cmpstr(vc2, ==, "a5 d7");
	g_autofree char *since7 = walk(r, "live", t0 + 7 * m, &n);
	g_assert_cmpint(n, ==, 3);
	lw_history_reader_free(r);
	unhide(&h);

	/* The log skips day folders that did not change; an entry is looked
	 * for first where it was.  With 2023-02-16 gone, log of what came
	 * after it and show of an entry of another day still work; reading
	 * everything does not. */
	h = hide_tree(repo, "live/entries/2023-02-16");
	r = lw_history_reader_open(path, &err);
	g_assert_no_error(err);
	g_autofree char *after = walk(r, NULL, t0 + 9 * m, &n);
	g_assert_cmpstr(after, ==, "1676400540 live (other) Ae-1:E one\n");
	g_autofree char *after_live = walk(r, "live", t0 + 9 * m, &n);
	g_assert_cmpint(n, ==, 1);
	g_autofree char *va2 = version_list(r, "live", "a-1", t0);
	g_assert_cmpstr(va2, ==, "a0 e1 e5");
	g_autofree char *broken = walk(r, NULL, 0, &n);
	g_assert_cmpint(n, ==, -1);
	g_assert_nonnull(strstr(broken, "live/entries/2023-02-16"));
	g_autoptr(GPtrArray) none = lw_history_versions(r, "live", "e-1", &err);
	g_assert_null(none);
	g_assert_nonnull(strstr(err->message, "live/entries/2023-02-16"));
	g_clear_error(&err);
	lw_history_reader_free(r);
	unhide(&h);

	repo_done(repo, tmp);
}

/* A restored entry is an A in the tree, like a new one: the commit says
 * which.  Today's commits carry a Livewatch-Restored trailer; commits
 * from before it only list "+ HH:MM heading (restored)" in the message,
 * and existing histories must still read as they did. */
static void test_restored(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *tmp = NULL, *path = NULL;
	git_repository *repo = new_repo(&tmp, &path);

	const gint64 t0 = 1676400000, m = 60;
	const char *day = "live/entries/2023-02-14/";
	g_autofree char *a1 = md("a-1", "A one", "first text");
	g_autofree char *b1 = md("b-1", "B one", "bee");
	g_autofree char *c1 = md("c-1", "C one", "sea");
	g_autofree char *a = g_strconcat(day, "a-1.md", NULL);
	g_autofree char *b = g_strconcat(day, "b-1.md", NULL);
	g_autofree char *c = g_strconcat(day, "c-1.md", NULL);
	put(repo, "live: 2 new\n\nLivewatch-Blog: live\n", t0,
	    (struct op[]){ { a, a1 }, { b, b1 } }, 2);
	put(repo, "live: 2 removed\n\nLivewatch-Blog: live\n", t0 + m,
	    (struct op[]){ { a, NULL }, { b, NULL } }, 2);
	/* old style: the message line alone */
	put(repo, "live: 1 restored\n\n+ 18:31 B one (restored)\n\nLivewatch-Blog: live\n",
	    t0 + 2 * m, (struct op[]){ { b, b1 } }, 1);
	/* new style: the trailer decides, whatever the lines say */
	put(repo, "live: 1 new, 1 restored\n\n+ 18:31 C one (restored)\n+ 18:31 A one\n\n"
	    "Livewatch-Blog: live\nLivewatch-Url: u\nLivewatch-Restored: a-1\n", t0 + 3 * m,
	    (struct op[]){ { a, a1 }, { c, c1 } }, 2);
	/* a trailer is the commit's own blog's: not another blog's ids */
	put(repo, "x: 1 restored\n\nLivewatch-Blog: x\nLivewatch-Restored: c-1\n", t0 + 4 * m,
	    (struct op[]){ { "live/entries/2023-02-14/d-1.md", c1 } }, 1);

	struct lw_history_reader *r = lw_history_reader_open(path, &err);
	g_assert_no_error(err);
	int n;
	g_autofree char *all = walk(r, NULL, 0, &n);
	g_assert_cmpstr(all, ==,
			"1676400240 x\n"
			"1676400240 live (other) Ad-1:C one\n"
			"1676400180 live Ac-1:C one Ra-1:A one\n"
			"1676400120 live Rb-1:B one\n"
			"1676400060 live Da-1:A one Db-1:B one\n"
			"1676400000 live Aa-1:A one Ab-1:B one\n");
	g_assert_cmpint(n, ==, 6);
	g_autofree char *va = version_list(r, "live", "a-1", t0);
	g_assert_cmpstr(va, ==, "a0 d1 r3");
	lw_history_reader_free(r);

	repo_done(repo, tmp);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/history/parse-since", test_parse_since);
	g_test_add_func("/history/repository", test_repository);
	g_test_add_func("/history/day-folders", test_day_folders);
	g_test_add_func("/history/restored", test_restored);
	return g_test_run();
}
