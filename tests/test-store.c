/* Tests for src/store.c: the history repository and the fetch state.
 * Each test works in its own temporary directory, which is also HOME and
 * XDG_CONFIG_HOME, so no global git config is read (a CI machine has no
 * user.name either).  The real git command checks what was recorded.
 *
 * Why one file of some 970 lines: the cases share one fixture (a store in
 * a sandbox, entries, commits read back with git) and run in one process,
 * as the store's one object does in livewatch. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "entry.h"
#include "error.h"
#include "store.h"
#include "gc.h"
#include "store-private.h"

struct fx {
	char *tmp;
	char *repo;
};

static void rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", path, NULL };
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void fx_setup(struct fx *f, gconstpointer data)
{
	GError *err = NULL;
	f->tmp = g_dir_make_tmp("lw-store-XXXXXX", &err);
	g_assert_no_error(err);
	g_setenv("HOME", f->tmp, TRUE);
	g_setenv("XDG_CONFIG_HOME", f->tmp, TRUE);
	g_setenv("GIT_CONFIG_NOSYSTEM", "1", TRUE);
	g_unsetenv("GIT_DIR");
	g_unsetenv("GIT_WORK_TREE");
	f->repo = g_build_filename(f->tmp, "a", "b", "history", NULL);
}

static void fx_teardown(struct fx *f, gconstpointer data)
{
	rm_rf(f->tmp);
	g_free(f->tmp);
	g_free(f->repo);
}

/* Runs git in the repository; returns its stdout, asserts success. */
static char *git(struct fx *f, const char *args)
{
	g_autoptr(GError) err = NULL;
	g_auto(GStrv) argv = NULL;
	g_autofree char *cmd = g_strconcat("git ", args, NULL);
	g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
	char *out = NULL, *errout = NULL;
	int status;
	g_assert_true(g_spawn_sync(f->repo, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   &out, &errout, &status, &err));
	g_assert_no_error(err);
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_test_message("git %s: %s", args, errout);
		g_assert_not_reached();
	}
	g_free(errout);
	return out;
}

static int commit_count(struct fx *f)
{
	g_autofree char *n = git(f, "rev-list --count HEAD");
	return atoi(n);
}

static struct lw_entry *mk(const char *id, const char *title, const char *body, const char *published)
{
	struct lw_entry *e = lw_entry_new();
	lw_entry_set(&e->id, id);
	lw_entry_set(&e->title, title);
	lw_entry_set(&e->body, body);
	lw_entry_set(&e->published, published);
	g_autofree char *url = g_strconcat("https://example.org/live#", id, NULL);
	lw_entry_set(&e->url, url);
	return e;
}

static struct lw_store *open_ok(struct fx *f)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = lw_store_open(f->repo, &err);
	g_assert_no_error(err);
	g_assert_nonnull(s);
	return s;
}

/* Commits `write` (copied), removes `remove` (NULL-terminated ids), and
 * makes the page from `page_ids` (NULL-terminated, looked up in write
 * or given as fresh entries). */
static char *do_commit(struct lw_store *s, const char *blog, GPtrArray *write,
		       const char *const *remove, struct lw_snapshot *page,
		       const char *message, gint64 when, GError **error)
{
	char hex[41] = "unset";
	g_autoptr(GPtrArray) rm = g_ptr_array_new();
	for (; remove && *remove; remove++)
		g_ptr_array_add(rm, (char *)*remove);
	struct lw_commit c = {
		.blog = blog,
		.write = write,
		.remove = rm,
		.page = page,
		.message = message,
		.time = when,
	};
	if (lw_store_commit(s, &c, hex, error) < 0)
		return NULL;
	return g_strdup(hex);
}

static struct lw_snapshot *page_of(GPtrArray *entries)
{
	struct lw_snapshot *p = lw_snapshot_new();
	lw_entry_set(&p->page_url, "https://example.org/live");
	lw_entry_set(&p->page_title, "Example war – live");
	for (guint i = 0; i < entries->len; i++)
		g_ptr_array_add(p->entries, lw_entry_dup(entries->pdata[i]));
	return p;
}

static GPtrArray *entries_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)lw_entry_free);
}

static void test_create(struct fx *f, gconstpointer data)
{
	struct lw_store *s = open_ok(f);
	g_assert_cmpstr(lw_store_path(s), ==, f->repo);
	g_assert_true(g_file_test(lw_store_state_dir(s), G_FILE_TEST_IS_DIR));
	g_assert_true(g_str_has_suffix(lw_store_state_dir(s), ".git/livewatch"));
	g_autofree char *readme = g_build_filename(f->repo, "README.md", NULL);
	g_assert_true(g_file_test(readme, G_FILE_TEST_IS_REGULAR));

	g_assert_cmpint(commit_count(f), ==, 1);
	g_autofree char *who = git(f, "log -1 --format=%an%x20<%ae>%x20%cn");
	g_assert_cmpstr(who, ==, "livewatch <livewatch@localhost> livewatch\n");
	g_autofree char *files = git(f, "ls-tree --name-only HEAD");
	g_assert_cmpstr(files, ==, "README.md\n");
	g_autofree char *status = git(f, "status --porcelain");
	g_assert_cmpstr(status, ==, "");
	g_autofree char *text = git(f, "show HEAD:README.md");
	g_assert_nonnull(strstr(text, "git log -p"));
	lw_store_free(s);

	/* reopening makes no second first commit */
	s = open_ok(f);
	g_assert_cmpint(commit_count(f), ==, 1);
	lw_store_free(s);
}

static void test_open_refuses(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	/* a folder with files that is not a repository is not ours */
	g_assert_cmpint(g_mkdir_with_parents(f->repo, 0755), ==, 0);
	g_autofree char *p = g_build_filename(f->repo, "notes.txt", NULL);
	g_assert_true(g_file_set_contents(p, "mine", -1, NULL));
	g_assert_null(lw_store_open(f->repo, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, f->repo));
	g_clear_error(&err);

	/* a path that is a file */
	g_assert_null(lw_store_open(p, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, p));
}

static void test_commit_cycle(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("block-3", "Third", "Newest text.\nSecond paragraph.", "2023-02-14T18:31:00Z"));
	g_ptr_array_add(w, mk("block-2", "", "An untitled post about Leopard tanks", "2023-02-14T18:12:00Z"));
	g_ptr_array_add(w, mk("block-1", "First", "Oldest.", "2023-02-14T16:05:00Z"));
	struct lw_snapshot *page = page_of(w);
	const char *msg = "blog: 3 new\n\n+ 18:31 Third\n  indented line  \n\nLivewatch-Blog: blog\n";
	g_autofree char *hex = do_commit(s, "blog", w, NULL, page, msg, 1676399460, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(strlen(hex), ==, 40);
	g_autofree char *head = git(f, "rev-parse HEAD");
	g_assert_true(g_str_has_prefix(head, hex));

	g_autofree char *ns = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns, ==,
			"A\tblog/entries/2023-02-14/block-1.md\n"
			"A\tblog/entries/2023-02-14/block-2.md\n"
			"A\tblog/entries/2023-02-14/block-3.md\n"
			"A\tblog/index.md\n");
	g_autofree char *times = git(f, "log -1 --format=%at%x20%ct%x20%ai");
	g_assert_cmpstr(times, ==, "1676399460 1676399460 2023-02-14 18:31:00 +0000\n");
	/* the message is kept byte for byte */
	g_autofree char *raw = git(f, "cat-file commit HEAD");
	const char *body = strstr(raw, "\n\n");
	g_assert_nonnull(body);
	g_assert_cmpstr(body + 2, ==, msg);

	/* the working tree follows at once, git's index when flushed */
	g_assert_cmpint(lw_store_flush(s, true, &err), ==, 0);
	g_autofree char *status = git(f, "status --porcelain");
	g_assert_cmpstr(status, ==, "");
	g_autofree char *path = g_build_filename(f->repo, "blog", "entries", "2023-02-14", "block-3.md", NULL);
	g_autofree char *onfile = NULL;
	g_assert_true(g_file_get_contents(path, &onfile, NULL, NULL));
	g_autofree char *want = lw_entry_to_md(w->pdata[0]);
	g_assert_cmpstr(onfile, ==, want);
	g_autofree char *index = git(f, "show HEAD:blog/index.md");
	g_assert_nonnull(strstr(index, "# blog\n"));
	g_assert_nonnull(strstr(index, "<https://example.org/live>"));
	g_assert_nonnull(strstr(index, "- 2023-02-14 18:31 [Third](entries/2023-02-14/block-3.md)\n"));
	g_assert_true(strstr(index, "block-3.md") < strstr(index, "block-2.md"));
	g_assert_true(strstr(index, "block-2.md") < strstr(index, "block-1.md"));

	/* edit one: M */
	g_autoptr(GPtrArray) w2 = entries_new();
	struct lw_entry *edited = lw_entry_dup(w->pdata[1]);
	lw_entry_set(&edited->body, "An untitled post about Leopard 2 tanks, updated");
	g_ptr_array_add(w2, edited);
	lw_entry_set(&((struct lw_entry *)page->entries->pdata[1])->body, edited->body);
	g_autofree char *hex2 = do_commit(s, "blog", w2, NULL, page, "edit\n", 1676400000, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(hex2, !=, hex);
	g_autofree char *ns2 = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns2, ==, "M\tblog/entries/2023-02-14/block-2.md\nM\tblog/index.md\n");

	/* remove one: D, and the file leaves the working tree */
	const char *rm[] = { "block-3", "never-existed", NULL };
	g_ptr_array_remove_index(page->entries, 0);
	g_autofree char *hex3 = do_commit(s, "blog", NULL, rm, page, "remove\n", 1676400060, &err);
	g_assert_no_error(err);
	g_autofree char *ns3 = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns3, ==, "D\tblog/entries/2023-02-14/block-3.md\nM\tblog/index.md\n");
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpint(lw_store_flush(s, true, &err), ==, 0);
	g_autofree char *status3 = git(f, "status --porcelain");
	g_assert_cmpstr(status3, ==, "");

	/* nothing changed: no commit */
	int before = commit_count(f);
	g_autofree char *hex4 = do_commit(s, "blog", w2, rm, page, "nothing\n", 1676400120, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(hex4, ==, "");
	g_assert_cmpint(commit_count(f), ==, before);

	/* restored: A again */
	g_autoptr(GPtrArray) w3 = entries_new();
	g_ptr_array_add(w3, lw_entry_dup(w->pdata[0]));
	g_autofree char *hex5 = do_commit(s, "blog", w3, NULL, NULL, "restore\n", 1676400180, &err);
	g_assert_no_error(err);
	g_autofree char *ns5 = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns5, ==, "A\tblog/entries/2023-02-14/block-3.md\n");
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

	lw_snapshot_free(page);
	lw_store_free(s);
}

static void test_load(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);

	struct lw_record *h = lw_store_load(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(h->window->len, ==, 0);
	g_assert_cmpuint(g_hash_table_size(h->all), ==, 0);
	lw_record_free(h);

	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("c", "Gamma [with] brackets", "Three\nlines\nhere", "2023-02-14T18:31:00Z"));
	g_ptr_array_add(w, mk("b", "", "No title, just words", ""));
	g_ptr_array_add(w, mk("a", "Alpha\nsplit", "One", "2023-02-14T10:00:00Z"));
	((struct lw_entry *)w->pdata[0])->pinned = true;
	lw_entry_set(&((struct lw_entry *)w->pdata[0])->author, "Reporter");
	/* the page shows only c and a, a before c */
	g_autoptr(GPtrArray) shown = g_ptr_array_new();
	g_ptr_array_add(shown, w->pdata[2]);
	g_ptr_array_add(shown, w->pdata[0]);
	struct lw_snapshot *page = page_of(shown);
	g_autofree char *hex = do_commit(s, "blog", w, NULL, page, "m\n", 1676399460, &err);
	g_assert_no_error(err);

	/* what a person does to the working tree does not matter */
	g_autofree char *p = g_build_filename(f->repo, "blog", "entries", "2023-02-14", "c.md", NULL);
	g_assert_true(g_file_set_contents(p, "garbage", -1, NULL));

	h = lw_store_load(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(h->all), ==, 3);
	for (guint i = 0; i < w->len; i++) {
		const struct lw_entry *e = w->pdata[i];
		const struct lw_entry *got = g_hash_table_lookup(h->all, e->id);
		g_assert_nonnull(got);
		g_assert_false(lw_entry_content_differs(e, got));
		g_assert_cmpstr(got->id, ==, e->id);
		g_assert_cmpstr(got->author, ==, e->author);
		g_assert_cmpint(got->pinned, ==, e->pinned);
	}
	g_assert_cmpuint(h->window->len, ==, 2);
	g_assert_cmpstr(((struct lw_entry *)h->window->pdata[0])->id, ==, "a");
	g_assert_cmpstr(((struct lw_entry *)h->window->pdata[1])->id, ==, "c");
	g_assert_true(h->window->pdata[0] == g_hash_table_lookup(h->all, "a"));
	lw_record_free(h);

	/* another blog in the same repository is separate */
	h = lw_store_load(s, "other", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(h->all), ==, 0);
	lw_record_free(h);

	/* an unchanged page gives the same index.md, so no commit */
	g_autoptr(GPtrArray) none = entries_new();
	g_autofree char *again = do_commit(s, "blog", none, NULL, page, "m\n", 1676399999, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(again, ==, "");

	lw_snapshot_free(page);
	lw_store_free(s);
}

static void test_load_malformed(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	lw_store_free(s);

	/* a bad file committed by hand */
	g_autofree char *dir = g_build_filename(f->repo, "blog", "entries", NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_autofree char *p = g_build_filename(dir, "bad.md", NULL);
	g_assert_true(g_file_set_contents(p, "# Title\n\nnot a list\n", -1, NULL));
	g_free(git(f, "add blog"));
	g_free(git(f, "-c user.name=t -c user.email=t@t commit -q -m hand"));

	s = open_ok(f);
	struct lw_record *h = lw_store_load(s, "blog", &err);
	g_assert_null(h);
	g_assert_error(err, LW_ERROR, LW_ERROR_PARSE);
	g_assert_nonnull(strstr(err->message, "blog/entries/bad.md: line 3:"));
	g_clear_error(&err);

	/* a blog whose name is a file */
	h = lw_store_load(s, "README.md", &err);
	g_assert_null(h);
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_clear_error(&err);
	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("x", "X", "x", ""));
	g_assert_null(do_commit(s, "README.md", w, NULL, NULL, "m\n", 1, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_autofree char *readme = git(f, "cat-file -t HEAD:README.md");
	g_assert_cmpstr(readme, ==, "blob\n");
	lw_store_free(s);
}

static void test_bad_names(struct fx *f, gconstpointer data)
{
	struct lw_store *s = open_ok(f);
	const char *ids[] = { "../escape", "a/b", ".hidden", "", "..", "x\n", "sp ace" };
	for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_autoptr(GError) err = NULL;
		g_autoptr(GPtrArray) w = entries_new();
		g_ptr_array_add(w, mk("ok", "fine", "fine", ""));
		g_ptr_array_add(w, mk(ids[i], "evil", "evil", ""));
		g_assert_null(do_commit(s, "blog", w, NULL, NULL, "m\n", 1, &err));
		g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
		g_autofree char *quoted = g_strdup_printf("'%s'", ids[i]);
		g_assert_nonnull(strstr(err->message, quoted));
		g_clear_error(&err);

		const char *rm[] = { ids[i], NULL };
		g_assert_null(do_commit(s, "blog", NULL, rm, NULL, "m\n", 1, &err));
		g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	}
	const char *blogs[] = { "../up", "a/b", ".git", "", "x y" };
	for (gsize i = 0; i < G_N_ELEMENTS(blogs); i++) {
		g_autoptr(GError) err = NULL;
		g_autoptr(GPtrArray) w = entries_new();
		g_ptr_array_add(w, mk("ok", "fine", "fine", ""));
		g_assert_null(do_commit(s, blogs[i], w, NULL, NULL, "m\n", 1, &err));
		g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
		g_clear_error(&err);
		g_assert_null(lw_store_load(s, blogs[i], &err));
		g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
		g_clear_error(&err);
		g_assert_null(lw_store_load_state(s, blogs[i], &err));
		g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	}
	g_assert_cmpint(commit_count(f), ==, 1);
	lw_store_free(s);
}

static void test_lock(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *a = open_ok(f);
	struct lw_store *b = open_ok(f);
	g_assert_cmpint(lw_store_lock(a, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_store_lock(a, &err), ==, 0);

	/* flock is per open file description: a second open conflicts even
	 * in the same process, as another daemon would */
	g_assert_cmpint(lw_store_lock(b, &err), <, 0);
	g_assert_error(err, LW_ERROR, LW_ERROR_LOCKED);
	g_autofree char *want = g_strdup_printf("repository '%s' is in use by livewatch (pid %d)",
						f->repo, (int)getpid());
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);

	/* and another process, as a second daemon (a subprocess running
	 * /store/lock-child, which expects this message) */
	g_setenv("LW_TEST_LOCK_REPO", f->repo, TRUE);
	g_setenv("LW_TEST_LOCK_WANT", want, TRUE);
	g_test_trap_subprocess("/store/lock-child", 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();

	lw_store_free(a);
	g_assert_cmpint(lw_store_lock(b, &err), ==, 0);
	g_assert_no_error(err);
	lw_store_free(b);
}

static void test_lock_child(void)
{
	if (!g_test_subprocess()) {
		g_test_skip("only run from /store/lock");
		return;
	}
	g_autoptr(GError) err = NULL;
	struct lw_store *c = lw_store_open(g_getenv("LW_TEST_LOCK_REPO"), &err);
	g_assert_no_error(err);
	g_assert_cmpint(lw_store_lock(c, &err), <, 0);
	g_assert_error(err, LW_ERROR, LW_ERROR_LOCKED);
	g_assert_cmpstr(err->message, ==, g_getenv("LW_TEST_LOCK_WANT"));
	lw_store_free(c);
}

static void test_stale_index_lock(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	lw_store_take_warnings(s, warnings);
	g_assert_cmpuint(warnings->len, ==, 0);
	lw_store_free(s);
	g_autofree char *lock = g_build_filename(f->repo, ".git", "index.lock", NULL);
	g_autofree char *ref = git(f, "symbolic-ref HEAD");
	g_strchomp(ref);
	g_autofree char *reflock = g_strdup_printf("%s/.git/%s.lock", f->repo, ref);
	g_autofree char *busy = g_build_filename(f->repo, ".git", "livewatch", "busy", NULL);

	/* a lock file without livewatch's busy marker belongs to a program
	 * running now (git): waited for, then reported, never removed */
	g_assert_true(g_file_set_contents(lock, "", 0, NULL));
	s = open_ok(f);
	g_assert_cmpint(lw_store_lock(s, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_LOCKED);
	g_assert_nonnull(strstr(err->message, lock));
	g_assert_true(g_file_test(lock, G_FILE_TEST_EXISTS));
	g_clear_error(&err);
	lw_store_free(s);

	/* a livewatch killed mid-commit: busy marker, the branch's lock, the
	 * index lock and a working tree behind HEAD; the next one to lock the
	 * store cleans up and checks HEAD out again */
	g_assert_true(g_file_set_contents(busy, "12345\n", -1, NULL));
	g_assert_true(g_file_set_contents(reflock, "", 0, NULL));
	g_autofree char *readme = g_build_filename(f->repo, "README.md", NULL);
	g_assert_cmpint(g_unlink(lock), ==, 0);
	g_free(git(f, "rm --cached -q README.md"));   /* the index lost it too */
	g_assert_cmpint(g_unlink(readme), ==, 0);
	g_assert_true(g_file_set_contents(lock, "", 0, NULL));
	s = open_ok(f);
	g_assert_cmpint(lw_store_lock(s, &err), ==, 0);
	g_autofree char *clean = git(f, "status --porcelain");
	g_assert_cmpstr(clean, ==, "");
	g_assert_no_error(err);
	g_assert_false(g_file_test(lock, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(reflock, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(busy, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(readme, G_FILE_TEST_EXISTS));
	lw_store_take_warnings(s, warnings);
	g_autoptr(GString) said = g_string_new(NULL);
	for (guint i = 0; i < warnings->len; i++)
		g_string_append_printf(said, "%s\n", (char *)warnings->pdata[i]);
	g_assert_nonnull(strstr(said->str, "index.lock"));
	g_assert_nonnull(strstr(said->str, "checked out again after a crash"));
	g_ptr_array_set_size(warnings, 0);
	lw_store_take_warnings(s, warnings);
	g_assert_cmpuint(warnings->len, ==, 0);   /* taken: the store keeps none */

	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("x", "X", "x", ""));
	g_autofree char *hex = do_commit(s, "blog", w, NULL, NULL, "m\n", 1676399460, &err);
	g_assert_no_error(err);
	g_assert_cmpint(lw_store_flush(s, true, &err), ==, 0);
	g_autofree char *status = git(f, "status --porcelain");
	g_assert_cmpstr(status, ==, "");
	lw_store_free(s);
}

/* Day folders: the UTC day of the published time, else of the fetch;
 * fixed when first recorded, through edits, removals and restores. */
static void test_day_folders(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("late", "Late", "x", "2023-02-13T23:59:00Z"));
	g_ptr_array_add(w, mk("undated", "Undated", "y", ""));
	struct lw_snapshot *page = page_of(w);
	/* fetched 2023-02-15 10:00 UTC */
	g_autofree char *hex = do_commit(s, "blog", w, NULL, page, "m\n", 1676455200, &err);
	g_assert_no_error(err);
	g_autofree char *files = git(f, "ls-tree -r --name-only HEAD blog");
	g_assert_cmpstr(files, ==, "blog/entries/2023-02-13/late.md\n"
				   "blog/entries/2023-02-15/undated.md\n"
				   "blog/index.md\n");
	g_autofree char *index = git(f, "show HEAD:blog/index.md");
	g_assert_nonnull(strstr(index, "[Late](entries/2023-02-13/late.md)\n"));
	g_assert_nonnull(strstr(index, "[Undated](entries/2023-02-15/undated.md)\n"));

	/* an edit that moves the published time keeps the folder */
	g_autoptr(GPtrArray) w2 = entries_new();
	struct lw_entry *moved = lw_entry_dup(w->pdata[0]);
	lw_entry_set(&moved->published, "2023-02-20T08:00:00Z");
	g_ptr_array_add(w2, moved);
	g_free(do_commit(s, "blog", w2, NULL, NULL, "edit\n", 1676455260, &err));
	g_assert_no_error(err);
	g_autofree char *ns = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns, ==, "M\tblog/entries/2023-02-13/late.md\n");

	/* removed, then restored (in another process): same folder; an
	 * emptied day folder leaves the working tree */
	const char *rm[] = { "late", NULL };
	g_free(do_commit(s, "blog", NULL, rm, NULL, "rm\n", 1676455320, &err));
	g_assert_no_error(err);
	g_autofree char *dir = g_build_filename(f->repo, "blog", "entries", "2023-02-13", NULL);
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
	lw_store_free(s);
	s = open_ok(f);
	g_free(do_commit(s, "blog", w2, NULL, NULL, "restore\n", 1676999999, &err));
	g_assert_no_error(err);
	g_autofree char *ns2 = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns2, ==, "A\tblog/entries/2023-02-13/late.md\n");
	g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));

	/* the id index is a cache: a damaged one is rebuilt from the trees */
	g_autofree char *ids = g_build_filename(lw_store_state_dir(s), "blog.ids", NULL);
	g_assert_true(g_file_test(ids, G_FILE_TEST_IS_REGULAR));
	lw_store_free(s);
	g_assert_true(g_file_set_contents(ids, "livewatch-ids 1\nlate 2023-0", -1, NULL));
	s = open_ok(f);
	struct lw_record *h = lw_store_load(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(h->all), ==, 2);
	lw_record_free(h);
	lw_snapshot_free(page);
	lw_store_free(s);
}

/* lw_store_load_page reads what the page needs and gives the diff the
 * same answer as the whole history. */
static void test_load_page(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_autoptr(GPtrArray) w = entries_new();
	for (int i = 9; i >= 0; i--) {
		g_autofree char *id = g_strdup_printf("p%d", i);
		g_autofree char *when = g_strdup_printf("2023-02-14T1%d:00:00Z", i);
		g_autofree char *body = g_strdup_printf("Post %d.", i);
		g_ptr_array_add(w, mk(id, "", body, when));
	}
	struct lw_snapshot *page = page_of(w);
	g_free(do_commit(s, "blog", w, NULL, page, "m\n", 1676399460, &err));
	g_assert_no_error(err);

	/* now: p9 edited, p8 gone (removed: inside the window), p0 gone
	 * (paged out), a new one on top */
	struct lw_snapshot *now = lw_snapshot_new();
	g_ptr_array_add(now->entries, mk("p10", "", "Post 10.", "2023-02-14T20:00:00Z"));
	for (guint i = 0; i < 9; i++) {
		struct lw_entry *e = lw_entry_dup(w->pdata[i]);
		if (!strcmp(e->id, "p8")) {
			lw_entry_free(e);
			continue;
		}
		if (!strcmp(e->id, "p9"))
			lw_entry_set(&e->body, "Post 9, corrected.");
		g_ptr_array_add(now->entries, e);
	}
	struct lw_record *full = lw_store_load(s, "blog", &err);
	g_assert_no_error(err);
	struct lw_record *part = lw_store_load_page(s, "blog", now, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(full->all), ==, 10);
	/* page entries that have a file (8), plus the window's gone ones (p8, p0) */
	g_assert_cmpuint(g_hash_table_size(part->all), ==, 10);
	g_assert_cmpuint(part->window->len, ==, full->window->len);
	const struct lw_entry *old9 = g_hash_table_lookup(part->all, "p9");
	g_assert_cmpstr(old9->body, ==, "Post 9.");
	lw_record_free(part);
	lw_record_free(full);

	/* ten thousand entries recorded: a page of ten reads only its own */
	g_autoptr(GPtrArray) many = entries_new();
	for (int i = 0; i < 10000; i++) {
		g_autofree char *id = g_strdup_printf("old%05d", i);
		g_autofree char *when = g_strdup_printf("2022-%02d-%02dT10:00:00Z", 1 + i % 12, 1 + i % 28);
		g_ptr_array_add(many, mk(id, "", "Old post.", when));
	}
	g_free(do_commit(s, "blog", many, NULL, NULL, "many\n", 1676399500, &err));
	g_assert_no_error(err);
	part = lw_store_load_page(s, "blog", now, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(part->all), ==, 10);
	lw_record_free(part);

	/* another process reads the id index from its file: sorted and
	 * searched in place, appends after it */
	lw_store_free(s);
	s = open_ok(f);
	g_autoptr(GPtrArray) one = entries_new();
	g_ptr_array_add(one, mk("zz-last", "", "Appended.", "2023-03-01T10:00:00Z"));
	g_ptr_array_add(one, lw_entry_dup(many->pdata[4321]));
	lw_entry_set(&((struct lw_entry *)one->pdata[1])->body, "Old post, edited.");
	g_free(do_commit(s, "blog", one, NULL, NULL, "two\n", 1676399600, &err));
	g_assert_no_error(err);
	g_autofree char *ns = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns, ==, "M\tblog/entries/2022-02-10/old04321.md\n"
				"A\tblog/entries/2023-03-01/zz-last.md\n");
	lw_store_free(s);
	s = open_ok(f);
	part = lw_store_load_page(s, "blog", now, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(part->all), ==, 10);
	lw_record_free(part);
	full = lw_store_load(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(full->all), ==, 10011);
	g_assert_cmpstr(((struct lw_entry *)g_hash_table_lookup(full->all, "old04321"))->body, ==,
			"Old post, edited.");
	lw_record_free(full);

	lw_snapshot_free(now);
	lw_snapshot_free(page);
	lw_store_free(s);
}

/* A repository in the flat layout, as livewatch wrote it before day
 * folders, is moved in one commit when a livewatch first locks it. */
static void test_migrate(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	lw_store_free(s);
	const char *ids[] = { "block-a", "block-b", "undated" };
	const char *published[] = { "2023-02-14T18:31:00Z", "2023-02-13T09:00:00Z", "" };
	g_autofree char *dir = g_build_filename(f->repo, "blog", "entries", NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	GString *index = g_string_new("# blog\n\nThe page as last seen, newest first\n\n");
	for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
		struct lw_entry *e = mk(ids[i], ids[i], "Text.", published[i]);
		g_autofree char *md = lw_entry_to_md(e);
		g_autofree char *fname = g_strconcat(ids[i], ".md", NULL);
		g_autofree char *p = g_build_filename(dir, fname, NULL);
		g_assert_true(g_file_set_contents(p, md, -1, NULL));
		g_string_append_printf(index, "- [%s](entries/%s.md)\n", ids[i], ids[i]);
		lw_entry_free(e);
	}
	g_autofree char *ip = g_build_filename(f->repo, "blog", "index.md", NULL);
	g_assert_true(g_file_set_contents(ip, index->str, -1, NULL));
	g_string_free(index, TRUE);
	g_free(git(f, "add -A"));
	g_free(git(f, "-c user.name=t -c user.email=t@t commit -q -m flat --date=2023-02-15T12:00:00Z"));
	g_setenv("GIT_COMMITTER_DATE", "2023-02-15T12:00:00Z", TRUE);
	g_free(git(f, "-c user.name=t -c user.email=t@t commit -q --amend --no-edit"));
	g_unsetenv("GIT_COMMITTER_DATE");
	int before = commit_count(f);

	/* reading needs no lock and moves nothing */
	s = open_ok(f);
	struct lw_record *h = lw_store_load(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(h->all), ==, 3);
	lw_record_free(h);
	g_assert_cmpint(commit_count(f), ==, before);

	g_assert_cmpint(lw_store_lock(s, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(commit_count(f), ==, before + 1);
	g_autofree char *files = git(f, "ls-tree -r --name-only HEAD blog");
	g_assert_cmpstr(files, ==, "blog/entries/2023-02-13/block-b.md\n"
				   "blog/entries/2023-02-14/block-a.md\n"
				   "blog/entries/2023-02-15/undated.md\n"
				   "blog/index.md\n");
	g_autofree char *msg = git(f, "log -1 --format=%B");
	g_assert_true(g_str_has_prefix(msg, "livewatch: move entries into day folders\n"));
	g_assert_nonnull(strstr(msg, "\nLivewatch-Migration: day-folders\n"));
	/* the blobs did not change: git sees renames */
	g_autofree char *ns = git(f, "diff -M --name-status HEAD~1 HEAD -- blog/entries");
	g_assert_nonnull(strstr(ns, "R100\tblog/entries/block-a.md\tblog/entries/2023-02-14/block-a.md"));
	g_autofree char *idx = git(f, "show HEAD:blog/index.md");
	g_assert_nonnull(strstr(idx, "- [block-a](entries/2023-02-14/block-a.md)\n"));
	g_autofree char *status = git(f, "status --porcelain");
	g_assert_cmpstr(status, ==, "");
	g_autofree char *flat = g_build_filename(dir, "block-a.md", NULL);
	g_assert_false(g_file_test(flat, G_FILE_TEST_EXISTS));

	/* the window reads back, and a poll's load finds the moved files */
	h = lw_store_load(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(h->window->len, ==, 3);
	lw_record_free(h);
	lw_store_free(s);

	/* once is enough */
	s = open_ok(f);
	g_assert_cmpint(lw_store_lock(s, &err), ==, 0);
	g_assert_cmpint(commit_count(f), ==, before + 1);
	lw_store_free(s);
}

static void test_ref_locked(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_autofree char *head = git(f, "rev-parse HEAD");
	g_autofree char *ref = git(f, "symbolic-ref HEAD");
	g_strchomp(ref);
	/* the branch cannot move (another writer, or a disk gone bad): the
	 * commit fails naming the repository and HEAD stays */
	g_autofree char *lock = g_strdup_printf("%s/.git/%s.lock", f->repo, ref);
	g_assert_true(g_file_set_contents(lock, "", 0, NULL));
	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("x", "X", "x", ""));
	g_assert_null(do_commit(s, "blog", w, NULL, NULL, "m\n", 1676399460, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, f->repo));
	g_clear_error(&err);
	g_autofree char *head2 = git(f, "rev-parse HEAD");
	g_assert_cmpstr(head2, ==, head);
	g_autofree char *files = git(f, "ls-files");
	g_assert_cmpstr(files, ==, "README.md\n");

	g_assert_cmpint(g_unlink(lock), ==, 0);
	g_autofree char *hex = do_commit(s, "blog", w, NULL, NULL, "m\n", 1676399460, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(strlen(hex), ==, 40);
	lw_store_free(s);
}

static void test_read_only(struct fx *f, gconstpointer data)
{
	if (geteuid() == 0) {
		g_test_skip("running as root: permissions do not stop root (see /store/ref-locked)");
		return;
	}
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_autofree char *head = git(f, "rev-parse HEAD");
	const char *argv[] = { "chmod", "-R", "a-w", f->repo, NULL };
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   NULL, NULL, NULL, NULL));
	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("x", "X", "x", ""));
	g_assert_null(do_commit(s, "blog", w, NULL, NULL, "m\n", 1676399460, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, f->repo));
	const char *back[] = { "chmod", "-R", "u+w", f->repo, NULL };
	g_assert_true(g_spawn_sync(NULL, (char **)back, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   NULL, NULL, NULL, NULL));
	g_autofree char *head2 = git(f, "rev-parse HEAD");
	g_assert_cmpstr(head2, ==, head);
	lw_store_free(s);
}

static void test_state(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);

	struct lw_blog_state *st = lw_store_load_state(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(st->etag, ==, "");
	g_assert_cmpint(st->failures, ==, 0);
	g_assert_false(st->baseline);
	g_assert_cmpuint(g_hash_table_size(st->removed), ==, 0);

	lw_entry_set(&st->url, "https://example.org/live");
	lw_entry_set(&st->etag, "W/\"abc\"");
	lw_entry_set(&st->last_modified, "Tue, 14 Feb 2023 18:31:00 GMT");
	lw_entry_set(&st->last_error, "cannot fetch 'x': timeout «é»\n");
	st->failures = 3;
	st->last_poll = 1676399460;
	st->last_success = 1676399400;
	st->last_change = G_GINT64_CONSTANT(4102444800);
	st->baseline = true;
	g_hash_table_add(st->removed, g_strdup("block-2"));
	g_hash_table_add(st->removed, g_strdup("block-1"));
	g_assert_cmpint(lw_store_save_state(s, "blog", st, &err), ==, 0);
	g_assert_no_error(err);

	struct lw_blog_state *back = lw_store_load_state(s, "blog", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(back->url, ==, st->url);
	g_assert_cmpstr(back->etag, ==, st->etag);
	g_assert_cmpstr(back->last_modified, ==, st->last_modified);
	g_assert_cmpstr(back->last_error, ==, st->last_error);
	g_assert_cmpint(back->failures, ==, 3);
	g_assert_cmpint(back->last_poll, ==, st->last_poll);
	g_assert_cmpint(back->last_success, ==, st->last_success);
	g_assert_cmpint(back->last_change, ==, st->last_change);
	g_assert_true(back->baseline);
	g_assert_cmpuint(g_hash_table_size(back->removed), ==, 2);
	g_assert_true(g_hash_table_contains(back->removed, "block-1"));
	g_assert_true(g_hash_table_contains(back->removed, "block-2"));

	/* saving again gives the same bytes, and leaves no temporary file */
	g_autofree char *path = g_build_filename(lw_store_state_dir(s), "blog.json", NULL);
	g_autofree char *first = NULL, *second = NULL;
	g_assert_true(g_file_get_contents(path, &first, NULL, NULL));
	g_assert_cmpint(lw_store_save_state(s, "blog", back, &err), ==, 0);
	g_assert_true(g_file_get_contents(path, &second, NULL, NULL));
	g_assert_cmpstr(first, ==, second);
	GDir *d = g_dir_open(lw_store_state_dir(s), 0, NULL);
	const char *name;
	while ((name = g_dir_read_name(d)))
		g_assert_null(strstr(name, ".tmp"));
	g_dir_close(d);

	/* state is not history */
	g_autofree char *status = git(f, "status --porcelain");
	g_assert_cmpstr(status, ==, "");

	/* corrupt files are errors naming the file */
	const char *bad[] = {
		"{\"etag\": ", "[1,2]", "{\"failures\": \"many\"}", "{\"removed\": [1]}",
		"{\"baseline\": 1}", "", "\xff\xfe",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_true(g_file_set_contents(path, bad[i], -1, NULL));
		struct lw_blog_state *x = lw_store_load_state(s, "blog", &err);
		if (x) {
			g_test_message("accepted '%s'", bad[i]);
			g_assert_not_reached();
		}
		g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
		g_assert_nonnull(strstr(err->message, path));
		g_clear_error(&err);
	}
	lw_blog_state_free(st);
	lw_blog_state_free(back);
	lw_blog_state_free(NULL);
	lw_store_free(s);
}

static void test_many(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	const guint n = 2000;
	g_autoptr(GPtrArray) w = entries_new();
	for (guint i = 0; i < n; i++) {
		g_autofree char *id = g_strdup_printf("block-%05u", i);
		g_autofree char *body = g_strdup_printf("Entry %u says something.\nAnd more about %u.", i, i);
		g_ptr_array_add(w, mk(id, "", body, "2023-02-14T18:31:00Z"));
	}
	struct lw_snapshot *page = page_of(w);
	gint64 t0 = g_get_monotonic_time();
	g_autofree char *hex = do_commit(s, "big", w, NULL, page, "big: 2000 new\n", 1676399460, &err);
	g_assert_no_error(err);
	gint64 t1 = g_get_monotonic_time();
	struct lw_record *h = lw_store_load(s, "big", &err);
	g_assert_no_error(err);
	gint64 t2 = g_get_monotonic_time();
	g_test_message("commit %d ms, load %d ms", (int)((t1 - t0) / 1000), (int)((t2 - t1) / 1000));
	g_assert_cmpuint(g_hash_table_size(h->all), ==, n);
	g_assert_cmpuint(h->window->len, ==, n);
	g_assert_cmpstr(((struct lw_entry *)h->window->pdata[0])->id, ==, "block-00000");
	g_assert_cmpstr(((struct lw_entry *)h->window->pdata[n - 1])->id, ==, "block-01999");
	lw_record_free(h);

	/* one edit touches one file */
	g_autoptr(GPtrArray) w2 = entries_new();
	struct lw_entry *e = lw_entry_dup(w->pdata[1234]);
	lw_entry_set(&e->body, "Changed.");
	g_ptr_array_add(w2, e);
	g_autofree char *hex2 = do_commit(s, "big", w2, NULL, NULL, "big: 1 edited\n", 1676399520, &err);
	g_assert_no_error(err);
	g_autofree char *ns = git(f, "diff --name-status HEAD~1 HEAD");
	g_assert_cmpstr(ns, ==, "M\tbig/entries/2023-02-14/block-01234.md\n");
	g_assert_cmpint(lw_store_flush(s, true, &err), ==, 0);
	g_autofree char *status = git(f, "status --porcelain");
	g_assert_cmpstr(status, ==, "");
	lw_snapshot_free(page);
	lw_store_free(s);
}

static guint count_names(const char *dir, const char *suffix)
{
	guint n = 0;
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d)))
		if (!suffix || g_str_has_suffix(name, suffix))
			n++;
	if (d)
		g_dir_close(d);
	return n;
}

static guint count_loose(struct fx *f)
{
	guint n = 0;
	for (guint i = 0; i < 256; i++) {
		g_autofree char *sub = g_strdup_printf("%s/.git/objects/%02x", f->repo, i);
		n += count_names(sub, NULL);
	}
	return n;
}

/* A commit's objects land as one pack, synced, no loose file; after gc
 * replaced the object database (and deleted packs), commits go on. */
static void test_one_pack_a_commit(struct fx *f, gconstpointer data)
{
	(void)data;
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_assert_cmpint(lw_store_lock(s, &err), ==, 0);
	g_autofree char *pack_dir = g_build_filename(f->repo, ".git", "objects", "pack", NULL);
	guint packs = count_names(pack_dir, ".pack");
	for (guint i = 0; i < 5; i++) {
		g_autoptr(GPtrArray) w = entries_new();
		g_autofree char *id = g_strdup_printf("block-%u", i);
		g_ptr_array_add(w, mk(id, "", "Something happened.", "2023-02-14T18:31:00Z"));
		struct lw_snapshot *page = page_of(w);
		g_autofree char *hex = do_commit(s, "b", w, NULL, page, "b: 1 new\n", 1676399460 + i, &err);
		g_assert_no_error(err);
		lw_snapshot_free(page);
		g_assert_cmpuint(count_names(pack_dir, ".pack"), ==, packs + i + 1);
		g_assert_cmpuint(count_names(pack_dir, ".idx"), ==, packs + i + 1);
		g_assert_cmpuint(count_loose(f), ==, 0);
	}
	g_autofree char *fsck = git(f, "fsck --strict --no-dangling");
	g_assert_cmpstr(fsck, ==, "");

	/* packed together: the store's handle gets a new object database */
	struct lw_gc_stats st;
	g_assert_cmpint(lw_gc_run(lw_store_repo(s), lw_store_git_dir(s), lw_store_state_dir(s), false,
				  &st, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpuint(count_names(pack_dir, ".pack"), ==, 1);
	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk("block-0", "", "Something else happened.", "2023-02-14T18:31:00Z"));
	g_autofree char *hex = do_commit(s, "b", w, NULL, NULL, "b: 1 edited\n", 1676399560, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(count_names(pack_dir, ".pack"), ==, 2);
	g_assert_cmpuint(count_loose(f), ==, 0);
	struct lw_record *h = lw_store_load(s, "b", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_hash_table_size(h->all), ==, 5);
	lw_record_free(h);
	g_autofree char *fsck2 = git(f, "fsck --strict --no-dangling");
	g_assert_cmpstr(fsck2, ==, "");
	g_autofree char *show = git(f, "show HEAD:b/entries/2023-02-14/block-0.md");
	g_assert_nonnull(strstr(show, "Something else happened."));
	lw_store_free(s);
}

/* The commits of a batch (a `poll` of many blogs) reach the disk
 * together at its end: one pack, one move of the ref; until then HEAD,
 * the packs and the working tree are as they were, while the store's own
 * reads see the batch.  A failed commit inside it leaves the others; a
 * batch whose end fails, or that is never ended, records nothing. */
static struct lw_snapshot *page_one(const char *id, const char *body)
{
	g_autoptr(GPtrArray) w = entries_new();
	g_ptr_array_add(w, mk(id, "", body, "2023-02-14T18:31:00Z"));
	return page_of(w);
}

static char *commit_page(struct lw_store *s, const char *blog, struct lw_snapshot *page,
			 gint64 when, GError **error)
{
	char *hex = do_commit(s, blog, page->entries, NULL, page, "m: 1 new\n", when, error);
	lw_snapshot_free(page);
	return hex;
}

static void test_batch(struct fx *f, gconstpointer data)
{
	(void)data;
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	g_assert_cmpint(lw_store_lock(s, &err), ==, 0);
	g_autofree char *pack_dir = g_build_filename(f->repo, ".git", "objects", "pack", NULL);
	guint packs = count_names(pack_dir, ".pack");
	g_autofree char *head0 = git(f, "rev-parse HEAD");
	g_autofree char *reflog0 = git(f, "reflog show --format=%H main");
	g_autofree char *a_file = g_build_filename(f->repo, "a", "entries", "2023-02-14", "a1.md", NULL);

	lw_store_batch_begin(s);
	g_assert_cmpuint(lw_store_batch_bytes(s), ==, 0);
	g_autofree char *c1 = commit_page(s, "a", page_one("a1", "First."), 1676399460, &err);
	g_assert_no_error(err);
	g_autofree char *c2 = commit_page(s, "b", page_one("b1", "Second."), 1676399470, &err);
	g_assert_no_error(err);
	/* a bad id fails its commit alone */
	g_autoptr(GPtrArray) bad = entries_new();
	g_ptr_array_add(bad, mk("../x", "", "x", ""));
	g_assert_null(do_commit(s, "a", bad, NULL, NULL, "m\n", 1676399475, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_clear_error(&err);
	/* the same page again: nothing to commit */
	g_autofree char *same = commit_page(s, "a", page_one("a1", "First."), 1676399478, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(same, ==, "");
	g_autofree char *c3 = commit_page(s, "a", page_one("a1", "First, edited."), 1676399480, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(lw_store_batch_bytes(s), >, 0);

	/* nothing on the disk yet, but the store reads its batch */
	g_autofree char *head_mid = git(f, "rev-parse HEAD");
	g_assert_cmpstr(head_mid, ==, head0);
	g_assert_cmpuint(count_names(pack_dir, ".pack"), ==, packs);
	g_assert_false(g_file_test(a_file, G_FILE_TEST_EXISTS));
	struct lw_record *r = lw_store_load(s, "a", &err);
	g_assert_no_error(err);
	const struct lw_entry *a1 = g_hash_table_lookup(r->all, "a1");
	g_assert_nonnull(a1);
	g_assert_cmpstr(a1->body, ==, "First, edited.");
	lw_record_free(r);

	g_assert_cmpint(lw_store_batch_end(s, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpuint(count_names(pack_dir, ".pack"), ==, packs + 1);
	g_assert_cmpuint(count_loose(f), ==, 0);
	g_autofree char *head1 = git(f, "rev-parse HEAD");
	g_assert_cmpstr(g_strchomp(head1), ==, c3);
	g_autofree char *log = git(f, "log --format=%H");
	g_autofree char *want = g_strdup_printf("%s\n%s\n%s\n%s", c3, c2, c1, head0);
	g_assert_cmpstr(log, ==, want);
	/* one reflog line for the batch */
	g_autofree char *reflog1 = git(f, "reflog show --format=%H main");
	g_autofree char *want_reflog = g_strdup_printf("%s\n%s", c3, reflog0);
	g_assert_cmpstr(reflog1, ==, want_reflog);
	g_autofree char *fsck = git(f, "fsck --full --strict --no-dangling");
	g_assert_cmpstr(fsck, ==, "");
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(a_file, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "First, edited."));
	g_assert_cmpint(lw_store_flush(s, true, &err), ==, 0);
	g_autofree char *status = git(f, "status --porcelain");
	g_assert_cmpstr(status, ==, "");

	/* an end that cannot move the ref records nothing of the batch */
	g_autofree char *ref = git(f, "symbolic-ref HEAD");
	g_strchomp(ref);
	g_autofree char *lock = g_strdup_printf("%s/.git/%s.lock", f->repo, ref);
	lw_store_batch_begin(s);
	g_autofree char *c4 = commit_page(s, "b", page_one("b2", "Lost."), 1676399490, &err);
	g_assert_no_error(err);
	g_assert_true(g_file_set_contents(lock, "", 0, NULL));
	g_assert_cmpint(lw_store_batch_end(s, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, f->repo));
	g_clear_error(&err);
	g_assert_cmpint(g_unlink(lock), ==, 0);
	g_autofree char *head2 = git(f, "rev-parse HEAD");
	g_assert_cmpstr(g_strchomp(head2), ==, head1);
	g_autofree char *b2 = g_build_filename(f->repo, "b", "entries", "2023-02-14", "b2.md", NULL);
	g_assert_false(g_file_test(b2, G_FILE_TEST_EXISTS));
	/* and the next commit starts from HEAD, not from the lost batch */
	g_autofree char *c5 = commit_page(s, "b", page_one("b3", "Kept."), 1676399500, &err);
	g_assert_no_error(err);
	g_autofree char *parent = git(f, "rev-parse HEAD^");
	g_assert_cmpstr(g_strchomp(parent), ==, head1);
	r = lw_store_load(s, "b", &err);
	g_assert_no_error(err);
	g_assert_null(g_hash_table_lookup(r->all, "b2"));
	g_assert_nonnull(g_hash_table_lookup(r->all, "b3"));
	lw_record_free(r);

	/* a batch never ended is dropped with the store */
	lw_store_batch_begin(s);
	g_free(commit_page(s, "b", page_one("b4", "Dropped."), 1676399510, &err));
	g_assert_no_error(err);
	guint packs_before = count_names(pack_dir, ".pack");
	g_autofree char *head3 = git(f, "rev-parse HEAD");
	lw_store_free(s);
	g_autofree char *head4 = git(f, "rev-parse HEAD");
	g_assert_cmpstr(head4, ==, head3);
	g_assert_cmpuint(count_names(pack_dir, ".pack"), ==, packs_before);
	g_autofree char *fsck2 = git(f, "fsck --full --strict --no-dangling");
	g_assert_cmpstr(fsck2, ==, "");
}

/* Reflogs get a line a commit for years: past a size, only the newest
 * lines stay (checked when the store is locked). */
static void test_reflog_trim(struct fx *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	struct lw_store *s = open_ok(f);
	for (int i = 0; i < 30; i++) {
		g_autoptr(GPtrArray) w = entries_new();
		g_autofree char *body = g_strdup_printf("Version %d.", i);
		g_ptr_array_add(w, mk("x", "X", body, "2023-02-14T10:00:00Z"));
		g_free(do_commit(s, "blog", w, NULL, NULL, "m\n", 1676399460 + i, &err));
		g_assert_no_error(err);
	}
	g_autofree char *head = git(f, "rev-parse HEAD");
	g_autofree char *before = git(f, "reflog show --format=%H main");
	g_auto(GStrv) all = g_strsplit(before, "\n", -1);
	g_assert_cmpuint(g_strv_length(all), ==, 32);  /* 31 lines and the "" after the last */
	store_trim_reflogs(s, 100, 5);
	g_autofree char *after = git(f, "reflog show --format=%H main");
	g_autofree char *after_head = git(f, "reflog show --format=%H HEAD");
	g_auto(GStrv) lines = g_strsplit(after, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 6);
	g_assert_cmpstr(after, ==, after_head);
	g_assert_true(g_str_has_prefix(before, after));   /* the newest ones */
	g_autofree char *head2 = git(f, "rev-parse HEAD");
	g_assert_cmpstr(head2, ==, head);
	g_free(git(f, "fsck --full --no-progress"));
	/* under the size: left alone */
	store_trim_reflogs(s, 1 << 20, 1);
	g_autofree char *same = git(f, "reflog show --format=%H main");
	g_assert_cmpstr(same, ==, after);
	lw_store_free(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, struct fx, NULL, fx_setup, fn, fx_teardown)
	ADD("/store/create", test_create);
	ADD("/store/open-refuses", test_open_refuses);
	ADD("/store/commit-cycle", test_commit_cycle);
	ADD("/store/load", test_load);
	ADD("/store/load-malformed", test_load_malformed);
	ADD("/store/bad-names", test_bad_names);
	ADD("/store/lock", test_lock);
	g_test_add_func("/store/lock-child", test_lock_child);
	ADD("/store/stale-index-lock", test_stale_index_lock);
	ADD("/store/day-folders", test_day_folders);
	ADD("/store/load-page", test_load_page);
	ADD("/store/migrate", test_migrate);
	ADD("/store/reflog-trim", test_reflog_trim);
	ADD("/store/ref-locked", test_ref_locked);
	ADD("/store/read-only", test_read_only);
	ADD("/store/state", test_state);
	ADD("/store/many", test_many);
	ADD("/store/one-pack-a-commit", test_one_pack_a_commit);
	ADD("/store/batch", test_batch);
	return g_test_run();
}
