/* Tests for src/gc.c: packing the history and recovering after a crash.
 *
 * Each test makes its own repository with libgit2 the way the store
 * writes one (a commit per poll, loose objects, day folders), and checks
 * the result with the real git command (`git fsck --full`).
 *
 * Besides the tests, two helpers for measuring by hand:
 *   test-gc make DIR COMMITS [NEW_PER_COMMIT]   write a history of COMMITS polls
 *   test-gc gc DIR [full|auto|incremental]      pack it, say what it took
 *   test-gc simulate DIR COMMITS [CHECK]        write COMMITS polls of one new
 *       entry each, packing when due every CHECK commits, as the daemon does
 *
 * Why one file of some 1,200 lines: a third of it is the one fixture every
 * case and both helpers share (a history written the way the store
 * writes it), and `test-gc make` is what tests/test_gc.py runs. */
#include <glib.h>
#include <glib/gstdio.h>
#include <git2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "gc.h"
#include "gc-private.h"
#include "pack-write.h"

/* ---- a history like the store's ---- */

struct hist {
	git_repository *repo;
	GRand *rand;
	GPtrArray *words;        /* char *: the vocabulary */
	GArray *versions;        /* guint per entry number: edits so far */
	guint entries;           /* entries recorded */
	guint commits;
	gint64 time;             /* fetch time of the next poll */
	GHashTable *day_trees;   /* "YYYY-MM-DD" -> git_oid * */
	git_oid entries_tree;
	bool have_entries;
};

#define POSTS_PER_DAY 100

static void hist_free(struct hist *h)
{
	git_repository_free(h->repo);
	g_rand_free(h->rand);
	g_ptr_array_unref(h->words);
	g_array_unref(h->versions);
	g_hash_table_unref(h->day_trees);
	g_free(h);
}

static struct hist *hist_new(const char *path, guint32 seed)
{
	struct hist *h = g_new0(struct hist, 1);
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	io.flags = GIT_REPOSITORY_INIT_MKPATH;
	io.initial_head = "main";
	g_assert_cmpint(git_repository_init_ext(&h->repo, path, &io), ==, 0);
	h->rand = g_rand_new_with_seed(seed);
	h->words = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < 3000; i++) {
		guint len = (guint)g_rand_int_range(h->rand, 2, 11);
		char *w = g_malloc(len + 1);
		for (guint k = 0; k < len; k++)
			w[k] = (char)('a' + g_rand_int_range(h->rand, 0, 26));
		w[len] = '\0';
		g_ptr_array_add(h->words, w);
	}
	h->versions = g_array_new(FALSE, TRUE, sizeof(guint));
	h->day_trees = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	h->time = 1672531200; /* 2023-01-01 */
	return h;
}

/* Words with a skewed frequency, like text. */
static void add_words(struct hist *h, GRand *r, GString *out, guint n)
{
	for (guint i = 0; i < n; i++) {
		double x = g_rand_double(r);
		guint k = (guint)(x * x * x * h->words->len);
		g_string_append(out, h->words->pdata[k]);
		g_string_append_c(out, i + 1 == n ? '.' : ' ');
	}
}

static char *day_of(guint entry)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(1672531200 + (gint64)(entry / POSTS_PER_DAY) * 86400);
	return g_date_time_format(d, "%Y-%m-%d");
}

/* An entry file: the same bytes for the same entry and version. */
static char *entry_md(struct hist *h, guint entry, guint version)
{
	g_autoptr(GRand) r = g_rand_new_with_seed(entry * 7919u + 17);
	GString *s = g_string_new("# ");
	add_words(h, r, s, 8);
	g_autofree char *day = day_of(entry);
	g_string_append_printf(s, "\n\n- id: block-%08x\n- published: %sT12:00:00Z\n- url: https://example.org/live#block-%08x\n\n",
			       entry, day, entry);
	guint paras = (guint)g_rand_int_range(r, 3, 8);
	for (guint p = 0; p < paras; p++) {
		add_words(h, r, s, (guint)g_rand_int_range(r, 40, 110));
		g_string_append(s, "\n\n");
	}
	for (guint v = 0; v < version; v++) {
		g_string_append(s, "Update: ");
		add_words(h, r, s, 30);
		g_string_append(s, "\n\n");
	}
	return g_string_free(s, FALSE);
}

static void write_blob(struct hist *h, git_treebuilder *tb, const char *name, const char *text)
{
	git_oid oid;
	g_assert_cmpint(git_blob_create_from_buffer(&oid, h->repo, text, strlen(text)), ==, 0);
	g_assert_cmpint(git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_BLOB), ==, 0);
}

static git_treebuilder *builder(struct hist *h, const git_oid *from)
{
	git_tree *t = NULL;
	git_treebuilder *tb = NULL;
	if (from)
		g_assert_cmpint(git_tree_lookup(&t, h->repo, from), ==, 0);
	g_assert_cmpint(git_treebuilder_new(&tb, h->repo, t), ==, 0);
	git_tree_free(t);
	return tb;
}

/* One poll: `fresh` new entries, an edit of a recent one now and then,
 * index.md, one commit on main. */
static void hist_commit(struct hist *h, guint fresh)
{
	GHashTable *touched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free); /* day, name, text triples */
	for (guint i = 0; i < fresh; i++) {
		guint e = h->entries++;
		guint zero = 0;
		g_array_append_val(h->versions, zero);
		g_ptr_array_add(files, day_of(e));
		g_ptr_array_add(files, g_strdup_printf("block-%08x.md", e));
		g_ptr_array_add(files, entry_md(h, e, 0));
	}
	if (h->entries > 5 && g_rand_int_range(h->rand, 0, 3) == 0) {
		guint e = h->entries - 1 - (guint)g_rand_int_range(h->rand, 0, MIN(h->entries, 60));
		guint v = ++g_array_index(h->versions, guint, e);
		g_ptr_array_add(files, day_of(e));
		g_ptr_array_add(files, g_strdup_printf("block-%08x.md", e));
		g_ptr_array_add(files, entry_md(h, e, v));
	}
	for (guint i = 0; i < files->len; i += 3)
		g_hash_table_add(touched, g_strdup(files->pdata[i]));

	git_treebuilder *te = builder(h, h->have_entries ? &h->entries_tree : NULL);
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, touched);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		git_treebuilder *td = builder(h, g_hash_table_lookup(h->day_trees, key));
		for (guint i = 0; i < files->len; i += 3)
			if (!strcmp(files->pdata[i], key))
				write_blob(h, td, files->pdata[i + 1], files->pdata[i + 2]);
		git_oid *oid = g_new(git_oid, 1);
		g_assert_cmpint(git_treebuilder_write(oid, td), ==, 0);
		git_treebuilder_free(td);
		g_assert_cmpint(git_treebuilder_insert(NULL, te, key, oid, GIT_FILEMODE_TREE), ==, 0);
		g_hash_table_insert(h->day_trees, g_strdup(key), oid);
	}
	g_assert_cmpint(git_treebuilder_write(&h->entries_tree, te), ==, 0);
	h->have_entries = true;
	git_treebuilder_free(te);

	git_treebuilder *tb = builder(h, NULL);
	g_assert_cmpint(git_treebuilder_insert(NULL, tb, "entries", &h->entries_tree, GIT_FILEMODE_TREE), ==, 0);
	GString *index = g_string_new("# blog\n\nThe page as last seen, newest first\n\n");
	for (guint e = h->entries; e > 0 && e + 60 > h->entries; e--) {
		g_autofree char *day = day_of(e - 1);
		g_string_append_printf(index, "- %s 12:00 [post %u](entries/%s/block-%08x.md)\n", day, e - 1, day, e - 1);
	}
	write_blob(h, tb, "index.md", index->str);
	g_string_free(index, TRUE);
	git_oid blog, root, commit;
	g_assert_cmpint(git_treebuilder_write(&blog, tb), ==, 0);
	git_treebuilder_free(tb);
	tb = builder(h, NULL);
	write_blob(h, tb, "README.md", "# livewatch history\n");
	g_assert_cmpint(git_treebuilder_insert(NULL, tb, "blog", &blog, GIT_FILEMODE_TREE), ==, 0);
	g_assert_cmpint(git_treebuilder_write(&root, tb), ==, 0);
	git_treebuilder_free(tb);

	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_oid head;
	if (git_reference_name_to_id(&head, h->repo, "HEAD") == 0)
		g_assert_cmpint(git_commit_lookup(&parent, h->repo, &head), ==, 0);
	git_error_clear();
	g_assert_cmpint(git_tree_lookup(&tree, h->repo, &root), ==, 0);
	g_assert_cmpint(git_signature_new(&sig, "livewatch", "livewatch@localhost", h->time, 0), ==, 0);
	g_autofree char *msg = g_strdup_printf("blog: %u new\n", fresh);
	const git_commit *parents[1] = { parent };
	g_assert_cmpint(git_commit_create(&commit, h->repo, "HEAD", sig, sig, NULL, msg, tree,
					  parent ? 1 : 0, parents), ==, 0);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	h->commits++;
	h->time += 600;
	g_ptr_array_unref(files);
	g_hash_table_unref(touched);
}

static void hist_commits(struct hist *h, guint n, guint fresh)
{
	for (guint i = 0; i < n; i++)
		hist_commit(h, fresh);
}

/* ---- fixture ---- */

struct fx {
	char *tmp;
	char *path;      /* the work tree */
	char *git_dir;
	char *state_dir;
	struct hist *h;
};

static void rm_rf(const char *path)
{
	const char *argv[] = { "rm", "-rf", path, NULL };
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void fx_setup(struct fx *f, gconstpointer data)
{
	(void)data;
	GError *err = NULL;
	f->tmp = g_dir_make_tmp("lw-gc-XXXXXX", &err);
	g_assert_no_error(err);
	f->path = g_build_filename(f->tmp, "history", NULL);
	f->git_dir = g_build_filename(f->path, ".git", NULL);
	f->state_dir = g_build_filename(f->git_dir, "livewatch", NULL);
	f->h = hist_new(f->path, 42);
	g_assert_cmpint(g_mkdir_with_parents(f->state_dir, 0755), ==, 0);
}

static void fx_teardown(struct fx *f, gconstpointer data)
{
	(void)data;
	hist_free(f->h);
	rm_rf(f->tmp);
	g_free(f->tmp);
	g_free(f->path);
	g_free(f->git_dir);
	g_free(f->state_dir);
}

/* Runs git in the repository: its exit status, stdout in *out. */
static int git_run(struct fx *f, const char *args, char **out, char **errout)
{
	g_autoptr(GError) err = NULL;
	g_auto(GStrv) argv = NULL;
	g_autofree char *cmd = g_strconcat("git ", args, NULL);
	g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
	int status;
	g_assert_true(g_spawn_sync(f->path, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   out, errout, &status, &err));
	g_assert_no_error(err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void assert_fsck(struct fx *f)
{
	g_autofree char *out = NULL, *errout = NULL;
	int rc = git_run(f, "fsck --full --no-dangling", &out, &errout);
	if (rc != 0 || *errout)
		g_test_message("git fsck --full: %d\n%s%s", rc, out, errout);
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpstr(errout, ==, "");
}

static int collect_cb(const git_oid *id, void *payload)
{
	g_array_append_val((GArray *)payload, *id);
	return 0;
}

/* Every object the repository holds now. */
static GArray *all_objects(struct fx *f)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(git_oid));
	git_odb *odb = NULL;
	g_autofree char *objects = g_build_filename(f->git_dir, "objects", NULL);
	g_assert_cmpint(git_odb_open(&odb, objects), ==, 0);
	g_assert_cmpint(git_odb_foreach(odb, collect_cb, ids), ==, 0);
	git_odb_free(odb);
	return ids;
}

/* Every one of ids reads back from a freshly opened repository. */
static void assert_readable(struct fx *f, GArray *ids)
{
	git_repository *r = NULL;
	git_odb *odb = NULL;
	g_assert_cmpint(git_repository_open(&r, f->path), ==, 0);
	g_assert_cmpint(git_repository_odb(&odb, r), ==, 0);
	for (guint i = 0; i < ids->len; i++) {
		git_odb_object *o = NULL;
		int rc = git_odb_read(&o, odb, &g_array_index(ids, git_oid, i));
		if (rc != 0) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &g_array_index(ids, git_oid, i));
			g_test_message("object %s is gone", hex);
		}
		g_assert_cmpint(rc, ==, 0);
		git_odb_object_free(o);
	}
	git_odb_free(odb);
	git_repository_free(r);
}

static guint count_suffix(const char *dir, const char *prefix, const char *suffix)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	const char *name;
	while (d && (name = g_dir_read_name(d)))
		n += g_str_has_prefix(name, prefix) && g_str_has_suffix(name, suffix);
	if (d)
		g_dir_close(d);
	return n;
}

static guint count_packs(struct fx *f)
{
	g_autofree char *dir = g_build_filename(f->git_dir, "objects", "pack", NULL);
	return count_suffix(dir, "pack-", ".pack");
}

static guint count_loose(struct fx *f)
{
	guint n = 0;
	for (guint i = 0; i < 256; i++) {
		char sub[3];
		g_snprintf(sub, sizeof(sub), "%02x", i);
		g_autofree char *dir = g_build_filename(f->git_dir, "objects", sub, NULL);
		n += count_suffix(dir, "", "");
	}
	return n;
}

static void run_gc(struct fx *f, bool full, struct lw_gc_stats *st)
{
	GError *err = NULL;
	int rc = lw_gc_run(f->h->repo, f->git_dir, f->state_dir, full, st, &err);
	g_assert_no_error(err);
	g_assert_cmpint(rc, ==, 0);
}

/* ---- tests ---- */

static bool exists(const char *dir, const char *name)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	return g_file_test(p, G_FILE_TEST_EXISTS);
}


static void test_incremental(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	hist_commits(f->h, 150, 3);
	guint loose = count_loose(f);
	g_assert_cmpuint(loose, >, LW_GC_LOOSE_MAX);
	g_assert_true(lw_gc_due(f->h->repo, f->git_dir));
	g_autoptr(GArray) before = all_objects(f);

	run_gc(f, false, &st);
	g_assert_false(st.full);
	g_assert_cmpuint(st.loose_before, ==, loose);
	g_assert_cmpuint(st.loose_after, ==, 0);
	g_assert_cmpuint(st.packs_before, ==, 0);
	g_assert_cmpuint(st.packs_after, ==, 1);
	g_assert_cmpuint(st.bytes_after, <, st.bytes_before);
	g_assert_cmpuint(count_loose(f), ==, 0);
	g_assert_cmpuint(count_packs(f), ==, 1);
	g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
	/* the emptied objects/XX folders are gone too */
	g_autofree char *objects = g_build_filename(f->git_dir, "objects", NULL);
	g_assert_false(exists(objects, "00"));
	g_assert_false(exists(objects, "ff"));
	assert_fsck(f);
	assert_readable(f, before);

	/* the same repository handle goes on writing and reading */
	hist_commits(f->h, 20, 3);
	g_autoptr(GArray) more = all_objects(f);
	run_gc(f, false, &st);
	g_assert_cmpuint(st.packs_after, ==, 2);
	g_assert_cmpuint(st.loose_after, ==, 0);
	assert_fsck(f);
	assert_readable(f, more);

	/* no busy marker or working folder is left */
	g_autofree char *busy = g_build_filename(f->state_dir, "busy", NULL);
	g_assert_false(g_file_test(busy, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(count_suffix(f->state_dir, "", ""), ==, 0);
}

static void pack_loose_alone(struct fx *f);

static void test_full(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	/* three packs (an incremental run would merge them) and loose objects */
	for (int i = 0; i < 3; i++) {
		hist_commits(f->h, 30, 3);
		pack_loose_alone(f);
	}
	hist_commits(f->h, 30, 3);
	g_assert_cmpuint(count_packs(f), ==, 3);
	g_autoptr(GArray) before = all_objects(f);

	run_gc(f, true, &st);
	g_assert_true(st.full);
	g_assert_cmpuint(st.packs_before, ==, 3);
	g_assert_cmpuint(st.packs_after, ==, 1);
	g_assert_cmpuint(st.loose_after, ==, 0);
	g_assert_cmpuint(count_packs(f), ==, 1);
	g_autofree char *pack_dir = g_build_filename(f->git_dir, "objects", "pack", NULL);
	g_assert_cmpuint(count_suffix(pack_dir, "pack-", ".idx"), ==, 1);
	g_assert_cmpuint(st.bytes_after, <, st.bytes_before);
	assert_fsck(f);
	assert_readable(f, before);

	/* packed already: nothing to do, nothing touched */
	run_gc(f, true, &st);
	g_assert_cmpuint(st.packs_after, ==, 1);
	g_assert_cmpuint(st.bytes_after, ==, st.bytes_before);
	g_assert_false(st.full);

	/* and the handle that packed reads everything, old packs gone */
	hist_commits(f->h, 5, 3);
	assert_fsck(f);
}

/* Objects no ref reaches (a commit a kill interrupted) are kept too. */
static void test_full_keeps_unreachable(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	hist_commits(f->h, 20, 3);
	git_oid lone;
	const char text[] = "written, never committed\n";
	g_assert_cmpint(git_blob_create_from_buffer(&lone, f->h->repo, text, sizeof(text) - 1), ==, 0);
	run_gc(f, false, &st);
	hist_commits(f->h, 20, 3);
	run_gc(f, true, &st);
	g_assert_cmpuint(count_packs(f), ==, 1);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(git_oid));
	g_array_append_val(ids, lone);
	assert_readable(f, ids);
}

static void test_many_packs(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	/* packs of LW_GC_SMALL_OBJECTS objects or more (not small ones),
	 * made outside gc, which would have merged them */
	for (int i = 0; i < LW_GC_PACKS_MAX; i++) {
		hist_commit(f->h, LW_GC_SMALL_OBJECTS);
		pack_loose_alone(f);
	}
	g_assert_cmpuint(count_packs(f), ==, LW_GC_PACKS_MAX);
	g_assert_cmpuint(count_loose(f), ==, 0);
	g_assert_true(lw_gc_due(f->h->repo, f->git_dir));
	g_autoptr(GArray) before = all_objects(f);
	/* too many packs: an incremental run consolidates */
	run_gc(f, false, &st);
	g_assert_true(st.full);
	g_assert_cmpuint(count_packs(f), ==, 1);
	g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
	assert_fsck(f);
	assert_readable(f, before);
}

static int add_loose_cb(const git_oid *id, void *payload)
{
	g_array_append_val((GArray *)payload, *id);
	return 0;
}

/* The repository's loose objects: their ids, and in *loose_odb (when
 * not NULL) an object database that reads only them. */
static GArray *loose_ids(struct fx *f, git_odb **loose_odb)
{
	g_autofree char *objects = g_build_filename(f->git_dir, "objects", NULL);
	git_odb *odb = NULL;
	git_odb_backend *loose = NULL;
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(git_oid));
	g_assert_cmpint(git_odb_new(&odb), ==, 0);
	g_assert_cmpint(git_odb_backend_loose(&loose, objects, -1, 0, 0, 0), ==, 0);
	g_assert_cmpint(git_odb_add_backend(odb, loose, 1), ==, 0);
	g_assert_cmpint(git_odb_foreach(odb, add_loose_cb, ids), ==, 0);
	if (loose_odb)
		*loose_odb = odb;
	else
		git_odb_free(odb);
	return ids;
}

/* Deletes the loose files of ids (packed by now) and has the
 * repository look at its packs again. */
static void drop_loose(struct fx *f, GArray *ids)
{
	g_autofree char *objects = g_build_filename(f->git_dir, "objects", NULL);
	for (guint i = 0; i < ids->len; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &g_array_index(ids, git_oid, i));
		char sub[3] = { hex[0], hex[1], '\0' };
		g_autofree char *path = g_build_filename(objects, sub, hex + 2, NULL);
		g_assert_cmpint(g_unlink(path), ==, 0);
	}
	git_odb *odb = NULL;
	g_assert_cmpint(git_repository_odb(&odb, f->h->repo), ==, 0);
	g_assert_cmpint(git_odb_refresh(odb), ==, 0);
	git_odb_free(odb);
}

/* What the store did after each commit before its own pack writer: the
 * loose objects as one pack of their own (libgit2's), the loose files
 * gone. */
static void pack_loose_alone(struct fx *f)
{
	g_autofree char *pack_dir = g_build_filename(f->git_dir, "objects", "pack", NULL);
	g_autoptr(GArray) ids = loose_ids(f, NULL);
	git_packbuilder *pb = NULL;
	g_assert_cmpint(git_packbuilder_new(&pb, f->h->repo), ==, 0);
	for (guint i = 0; i < ids->len; i++)
		g_assert_cmpint(git_packbuilder_insert(pb, &g_array_index(ids, git_oid, i), NULL), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(pack_dir, 0755), ==, 0);
	g_assert_cmpint(git_packbuilder_write(pb, pack_dir, 0, NULL, NULL), ==, 0);
	git_packbuilder_free(pb);
	drop_loose(f, ids);
}

/* The store's one pack a commit: due at LW_GC_SMALL_MAX of them, and an
 * incremental run makes them one pack (test_geometric: with which other
 * packs). */
static void test_small_packs(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	hist_commit(f->h, LW_GC_SMALL_OBJECTS);
	run_gc(f, false, &st);
	g_assert_cmpuint(count_packs(f), ==, 1);
	for (int i = 0; i < LW_GC_SMALL_MAX - 1; i++) {
		hist_commit(f->h, 2);
		pack_loose_alone(f);
	}
	g_assert_cmpuint(count_loose(f), ==, 0);
	g_assert_cmpuint(count_packs(f), ==, LW_GC_SMALL_MAX);
	g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
	hist_commit(f->h, 2);
	pack_loose_alone(f);
	g_assert_true(lw_gc_due(f->h->repo, f->git_dir));
	g_autoptr(GArray) before = all_objects(f);

	run_gc(f, false, &st);
	g_assert_false(st.full);
	g_assert_cmpuint(st.packs_before, ==, LW_GC_SMALL_MAX + 1);
	/* the first pack holds fewer than twice their objects: merged too */
	g_assert_cmpuint(st.packs_after, ==, 1);
	g_assert_cmpuint(count_packs(f), ==, 1);
	g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
	assert_fsck(f);
	assert_readable(f, before);

	/* and the same handle goes on committing and reading */
	hist_commit(f->h, 2);
	pack_loose_alone(f);
	g_autoptr(GArray) more = all_objects(f);
	assert_readable(f, more);
	run_gc(f, true, &st);
	g_assert_cmpuint(count_packs(f), ==, 1);
	assert_fsck(f);
	assert_readable(f, more);
}

static bool pack_exists(const char *stem)
{
	g_autofree char *p = g_strconcat(stem, ".pack", NULL);
	return g_file_test(p, G_FILE_TEST_EXISTS);
}

/* The newest pack in objects/pack (full path without suffix). */
static char *newest_pack(struct fx *f, GPtrArray *known)
{
	g_autofree char *dir = g_build_filename(f->git_dir, "objects", "pack", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	char *found = NULL;
	while (d && (name = g_dir_read_name(d))) {
		if (!g_str_has_suffix(name, ".pack"))
			continue;
		g_autofree char *stem = g_strndup(name, strlen(name) - 5);
		char *full = g_build_filename(dir, stem, NULL);
		bool seen = false;
		for (guint i = 0; i < known->len && !seen; i++)
			seen = !strcmp(known->pdata[i], full);
		if (!seen) {
			g_ptr_array_add(known, full);
			found = full;
		} else {
			g_free(full);
		}
	}
	if (d)
		g_dir_close(d);
	return found;
}

/* An incremental run merges the small packs with the smaller of the
 * other packs, up to one that holds more than twice what it gathered:
 * that one (the old history) is not rewritten. */
static void test_geometric(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	g_autoptr(GPtrArray) known = g_ptr_array_new_with_free_func(g_free);
	hist_commit(f->h, 2000);
	pack_loose_alone(f);
	const char *old = newest_pack(f, known);
	hist_commit(f->h, 140);
	pack_loose_alone(f);
	const char *mid = newest_pack(f, known);
	g_assert_nonnull(old);
	g_assert_nonnull(mid);
	for (int i = 0; i < LW_GC_SMALL_MAX; i++) {
		hist_commit(f->h, 4);
		pack_loose_alone(f);
	}
	g_assert_true(lw_gc_due(f->h->repo, f->git_dir));
	g_autoptr(GArray) before = all_objects(f);
	run_gc(f, false, &st);
	g_assert_false(st.full);
	g_assert_true(pack_exists(old));
	g_assert_false(pack_exists(mid));
	g_assert_cmpuint(count_packs(f), ==, 2);
	g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
	assert_fsck(f);
	assert_readable(f, before);
}

/* How many objects the .idx of stem lists (version 2: the fan-out
 * table's last count). */
static guint pack_objects(const char *stem)
{
	g_autofree char *idx = g_strconcat(stem, ".idx", NULL);
	g_autofree char *data = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(idx, &data, &len, NULL));
	g_assert_cmpuint(len, >=, 8 + 256 * 4);
	const unsigned char *last = (const unsigned char *)data + 8 + 255 * 4;
	return (guint)last[0] << 24 | (guint)last[1] << 16 | (guint)last[2] << 8 | last[3];
}

static void run_gc_bounded(struct fx *f, guint max_objects, struct lw_gc_stats *st)
{
	GError *err = NULL;
	struct lw_gc_opts o = { .max_objects = max_objects, .max_copied = max_objects };
	int rc = lw_gc_run_opts(f->h->repo, f->git_dir, f->state_dir, &o, st, &err);
	g_assert_no_error(err);
	g_assert_cmpint(rc, ==, 0);
}

/* The daemon bounds what one packing merges (lw_gc_opts.max_objects and
 * max_copied, here the same):
 * the geometric merge stops before a pack that would take it past the
 * bound, and too many packs no longer make a full run, only a merge of
 * the smallest ones that fit.  Every new pack holds at most the bound
 * (beyond the loose objects and small packs, always taken). */
static void test_bounded(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	g_autoptr(GPtrArray) known = g_ptr_array_new_with_free_func(g_free);
	/* test_geometric's history: there, mid is merged with the small packs */
	hist_commit(f->h, 2000);
	pack_loose_alone(f);
	char *old = g_strdup(newest_pack(f, known));
	hist_commit(f->h, 140);
	pack_loose_alone(f);
	char *mid = g_strdup(newest_pack(f, known));
	guint small = 0;
	for (int i = 0; i < LW_GC_SMALL_MAX; i++) {
		hist_commit(f->h, 4);
		pack_loose_alone(f);
		small += pack_objects(newest_pack(f, known));
	}
	g_assert_cmpuint(pack_objects(mid), <, 2 * small);
	g_autoptr(GArray) before = all_objects(f);
	run_gc_bounded(f, small + pack_objects(mid) - 1, &st);
	g_assert_false(st.full);
	g_assert_true(pack_exists(old));
	g_assert_true(pack_exists(mid));
	g_assert_cmpuint(count_packs(f), ==, 3);
	const char *merged = newest_pack(f, known);
	g_assert_nonnull(merged);
	g_assert_cmpuint(pack_objects(merged), ==, small);
	assert_fsck(f);
	assert_readable(f, before);

	/* crowded: LW_GC_PACKS_MAX packs in all; a bound that two of the
	 * smallest fit makes one pack of them, not a full run */
	while (count_packs(f) < LW_GC_PACKS_MAX) {
		hist_commit(f->h, LW_GC_SMALL_OBJECTS);
		pack_loose_alone(f);
		(void)newest_pack(f, known);
	}
	g_assert_true(lw_gc_due(f->h->repo, f->git_dir));
	g_autoptr(GArray) crowded = all_objects(f);
	guint bound = pack_objects(mid) + small;
	run_gc_bounded(f, bound, &st);
	g_assert_false(st.full);
	g_assert_cmpuint(count_packs(f), <, LW_GC_PACKS_MAX);
	g_assert_cmpuint(count_packs(f), >, 2);
	g_assert_true(pack_exists(old));
	merged = newest_pack(f, known);
	g_assert_nonnull(merged);
	g_assert_cmpuint(pack_objects(merged), <=, bound);
	assert_fsck(f);
	assert_readable(f, crowded);

	/* a burst of small packs past the bound: two at least, and no more
	 * than fit, are merged; the rest wait for the next run */
	guint burst = 0;
	for (int i = 0; i < LW_GC_SMALL_MAX; i++) {
		hist_commit(f->h, 4);
		pack_loose_alone(f);
		burst += pack_objects(newest_pack(f, known));
	}
	guint before_burst = count_packs(f);
	g_autoptr(GArray) all = all_objects(f);
	run_gc_bounded(f, burst / 2, &st);
	merged = newest_pack(f, known);
	g_assert_nonnull(merged);
	g_assert_cmpuint(pack_objects(merged), <=, burst / 2);
	g_assert_cmpuint(count_packs(f), >, before_burst - LW_GC_SMALL_MAX + 1);
	g_assert_cmpuint(count_packs(f), <, before_burst);
	assert_fsck(f);
	assert_readable(f, all);
	run_gc_bounded(f, burst, &st);
	g_assert_cmpuint(count_packs(f), <=, before_burst - LW_GC_SMALL_MAX + 2);
	assert_readable(f, all);

	/* nothing two packs fit: left as it is, and not an error */
	guint packs = count_packs(f);
	run_gc_bounded(f, LW_GC_SMALL_OBJECTS, &st);
	g_assert_cmpuint(count_packs(f), ==, packs);
	g_assert_cmpuint(st.packs_after, ==, st.packs_before);
	/* `livewatch gc` still packs everything, bound or not */
	run_gc(f, true, &st);
	g_assert_true(st.full);
	g_assert_cmpuint(count_packs(f), ==, 1);
	assert_fsck(f);
	assert_readable(f, all);
	g_free(old);
	g_free(mid);
}

static void test_not_due(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	hist_commits(f->h, 5, 3);
	g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
	g_assert_false(lw_gc_due(NULL, f->git_dir));
	/* a fresh repository: nothing to pack is not an error */
	rm_rf(f->path);
	hist_free(f->h);
	f->h = hist_new(f->path, 1);
	g_assert_cmpint(g_mkdir_with_parents(f->state_dir, 0755), ==, 0);
	run_gc(f, true, &st);
	g_assert_cmpuint(st.packs_after, ==, 0);
	g_assert_cmpuint(st.loose_after, ==, 0);
}

static void touch(const char *dir, const char *name)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	g_autofree char *d = g_path_get_dirname(p);
	g_assert_cmpint(g_mkdir_with_parents(d, 0755), ==, 0);
	g_assert_true(g_file_set_contents(p, "x", 1, NULL));
}


static void test_recover_crashed(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	hist_commits(f->h, 10, 2);
	run_gc(f, false, &st);
	g_autoptr(GArray) before = all_objects(f);
	static const char *const stale_git[] = {
		"HEAD.lock", "index.lock", "packed-refs.lock", "config.lock",
		"refs/heads/main.lock", "refs/tags/deep/v1.lock", "logs/HEAD.lock",
		"logs/refs/heads/main.lock",
		"objects/ab/tmp_object_git2_a1b2c3", "objects/pack/pack_git2_Zx9",
		"objects/pack/tmp_pack_12345", "objects/pack/tmp_idx_12345",
		"objects/pack/pack-0123456789abcdef0123456789abcdef01234567.pack",
	};
	static const char *const stale_own[] = {
		"blog.json.tmp-Ab12Cd", "retry/web/alerts.jsonl.tmp-x1", "gc.tmp-QwErTy/pack-1.pack",
	};
	static const char *const kept[] = { "blog.json", "retry/web/alerts.jsonl", "outbox.jsonl" };
	for (gsize i = 0; i < G_N_ELEMENTS(stale_git); i++)
		touch(f->git_dir, stale_git[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(stale_own); i++)
		touch(f->state_dir, stale_own[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(kept); i++)
		touch(f->state_dir, kept[i]);
	touch(f->state_dir, "busy");

	bool dirty = false;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	GError *err = NULL;
	g_assert_cmpint(lw_gc_recover(f->git_dir, f->state_dir, 1000, &dirty, warnings, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_true(dirty);
	for (gsize i = 0; i < G_N_ELEMENTS(stale_git); i++) {
		if (exists(f->git_dir, stale_git[i]))
			g_test_message("%s is still there", stale_git[i]);
		g_assert_false(exists(f->git_dir, stale_git[i]));
	}
	g_assert_false(exists(f->state_dir, "blog.json.tmp-Ab12Cd"));
	g_assert_false(exists(f->state_dir, "retry/web/alerts.jsonl.tmp-x1"));
	g_assert_false(exists(f->state_dir, "gc.tmp-QwErTy"));
	g_assert_false(exists(f->state_dir, "busy"));
	for (gsize i = 0; i < G_N_ELEMENTS(kept); i++)
		g_assert_true(exists(f->state_dir, kept[i]));
	g_assert_true(exists(f->git_dir, "HEAD"));
	g_assert_cmpuint(count_packs(f), ==, 1);
	/* one line per file removed, each naming it */
	g_assert_cmpuint(warnings->len, ==, G_N_ELEMENTS(stale_git) + G_N_ELEMENTS(stale_own));
	for (guint i = 0; i < warnings->len; i++) {
		const char *w = warnings->pdata[i];
		g_assert_true(g_str_has_prefix(w, "repository '"));
		g_assert_nonnull(strstr(w, "removed"));
		g_assert_null(strchr(w, '\n'));
	}
	bool named = false;
	for (guint i = 0; i < warnings->len; i++)
		named |= strstr(warnings->pdata[i], "refs/heads/main.lock") != NULL;
	g_assert_true(named);
	assert_fsck(f);
	assert_readable(f, before);

	/* and the history goes on */
	hist_commits(f->h, 2, 2);
	assert_fsck(f);
}

static gpointer unlink_later(gpointer path)
{
	g_usleep(150 * 1000);
	g_unlink(path);
	return NULL;
}

static void test_recover_foreign_lock(struct fx *f, gconstpointer data)
{
	(void)data;
	hist_commits(f->h, 2, 2);
	touch(f->git_dir, "index.lock");
	touch(f->state_dir, "x.json.tmp-1");
	/* a running git's (or libgit2 program's) objects in the making */
	touch(f->git_dir, "objects/ab/tmp_object_git2_q1");
	touch(f->git_dir, "objects/pack/pack_git2_q2");
	bool dirty = false;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(lw_gc_recover(f->git_dir, f->state_dir, 300, &dirty, warnings, &err), <, 0);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 300 * 1000);
	g_assert_error(err, LW_ERROR, LW_ERROR_LOCKED);
	g_autofree char *want = g_strdup_printf("repository '%s': '%s/index.lock' is held by another program; "
						"livewatch will not remove it", f->path, f->git_dir);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
	g_assert_true(exists(f->git_dir, "index.lock"));
	g_assert_true(exists(f->git_dir, "objects/ab/tmp_object_git2_q1"));
	g_assert_true(exists(f->git_dir, "objects/pack/pack_git2_q2"));
	g_assert_false(dirty);
	/* our own temporary files go regardless */
	g_assert_false(exists(f->state_dir, "x.json.tmp-1"));
	g_assert_cmpuint(warnings->len, ==, 1);

	/* a lock that goes while we wait is fine */
	g_autofree char *lock = g_build_filename(f->git_dir, "index.lock", NULL);
	GThread *t = g_thread_new("unlink", unlink_later, lock);
	g_assert_cmpint(lw_gc_recover(f->git_dir, f->state_dir, 5000, &dirty, NULL, &err), ==, 0);
	g_assert_no_error(err);
	g_thread_join(t);
	g_assert_false(dirty);

	/* nothing to do */
	g_ptr_array_set_size(warnings, 0);
	g_assert_cmpint(lw_gc_recover(f->git_dir, f->state_dir, 0, &dirty, warnings, &err), ==, 0);
	g_assert_cmpuint(warnings->len, ==, 0);
	g_assert_false(dirty);
}

static void test_busy(struct fx *f, gconstpointer data)
{
	(void)data;
	GError *err = NULL;
	g_assert_cmpint(lw_gc_busy_begin(f->state_dir, &err), ==, 0);
	g_assert_true(exists(f->state_dir, "busy"));
	g_assert_cmpint(lw_gc_busy_begin(f->state_dir, &err), ==, 0);
	lw_gc_busy_end(f->state_dir);
	g_assert_true(exists(f->state_dir, "busy"));
	/* our own marker is no crash: what we are writing stays */
	bool dirty = false;
	touch(f->git_dir, "index.lock");
	touch(f->state_dir, "gc.tmp-ours/pack-1.pack");
	g_assert_cmpint(lw_gc_recover(f->git_dir, f->state_dir, 0, &dirty, NULL, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_false(dirty);
	g_assert_true(exists(f->git_dir, "index.lock"));
	g_assert_true(exists(f->state_dir, "gc.tmp-ours/pack-1.pack"));
	lw_gc_busy_end(f->state_dir);
	g_assert_false(exists(f->state_dir, "busy"));
	lw_gc_busy_end(f->state_dir);

	g_autofree char *gone = g_build_filename(f->tmp, "no", "such", NULL);
	g_assert_cmpint(lw_gc_busy_begin(gone, &err), <, 0);
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, "no/such/busy"));
	g_clear_error(&err);
}

/* Runs lw_gc_run in a child killed at crash point `at` (0: none);
 * returns its wait status. */
static int gc_child(struct fx *f, bool full, int at)
{
	pid_t pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		if (at > 0) {
			char n[16];
			g_snprintf(n, sizeof(n), "%d", at);
			g_setenv("LW_GC_TEST_KILL_AT", n, TRUE);
		}
		git_repository *repo = NULL;
		if (git_repository_open(&repo, f->path) < 0)
			_exit(3);
		int rc = lw_gc_run(repo, f->git_dir, f->state_dir, full, NULL, NULL);
		git_repository_free(repo);
		_exit(rc < 0 ? 4 : 0);
	}
	return pid;
}

/* After a kill: recovery, then git finds the repository whole, with every
 * object it had and HEAD where it was. */
static void assert_recovers(struct fx *f, GArray *before, const char *head_before, bool crashed)
{
	GError *err = NULL;
	bool dirty = false;
	g_assert_cmpint(lw_gc_recover(f->git_dir, f->state_dir, 0, &dirty, NULL, &err), ==, 0);
	g_assert_no_error(err);
	if (crashed)
		g_assert_true(dirty);
	g_assert_false(exists(f->state_dir, "busy"));
	g_assert_cmpuint(count_suffix(f->state_dir, "", ""), ==, 0);
	g_autofree char *pack_dir = g_build_filename(f->git_dir, "objects", "pack", NULL);
	g_assert_cmpuint(count_suffix(pack_dir, "pack-", ".pack"), ==, count_suffix(pack_dir, "pack-", ".idx"));
	assert_fsck(f);
	assert_readable(f, before);
	g_autofree char *head_after = NULL;
	git_run(f, "rev-parse HEAD", &head_after, NULL);
	g_assert_cmpstr(head_after, ==, head_before);
}

/* A kill at each step of a run, incremental and full. */
static void test_crash_points(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	for (int full = 0; full < 2; full++) {
		for (int at = 1; at <= 8; at++) {
			/* a small pack and loose objects: every step has work */
			hist_commits(f->h, 4, 2);
			run_gc(f, false, &st);
			hist_commits(f->h, 4, 2);
			g_autoptr(GArray) before = all_objects(f);
			g_autofree char *head = NULL;
			git_run(f, "rev-parse HEAD", &head, NULL);
			int status;
			pid_t pid = gc_child(f, full, at);
			g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
			g_test_message("full %d, crash point %d: %s", full, at,
				       WIFSIGNALED(status) ? "killed" : "finished");
			/* every point is reached, point 6 (deleting a pack)
			 * too: the full run's old packs, the incremental run's
			 * small one (what the first run made) */
			g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
			assert_recovers(f, before, head, true);
		}
		run_gc(f, true, &st);
		g_assert_cmpuint(count_packs(f), ==, 1);
		g_assert_cmpuint(count_loose(f), ==, 0);
	}
}

/* SIGKILL a repack at random moments; after each, recovery leaves a
 * repository git finds whole, with every object it had. */
static void test_kill(struct fx *f, gconstpointer data)
{
	(void)data;
	const char *env = g_getenv("LW_GC_KILL_SEED");
	guint32 seed = env ? (guint32)g_ascii_strtoull(env, NULL, 10) : 20240601u;
	const char *rounds_env = g_getenv("LW_GC_KILL_ROUNDS");
	int rounds = rounds_env ? atoi(rounds_env) : 30;
	g_test_message("seed %u (LW_GC_KILL_SEED), %d rounds (LW_GC_KILL_ROUNDS)", seed, rounds);
	g_autoptr(GRand) r = g_rand_new_with_seed(seed);

	hist_commits(f->h, 200, 3);
	/* how long an undisturbed run takes, to aim the kills; kept up to
	 * date from the runs that finish before their kill */
	gint64 t0 = g_get_monotonic_time();
	struct lw_gc_stats st;
	run_gc(f, true, &st);
	gint64 span[2] = { 20000, MAX(g_get_monotonic_time() - t0, 20000) };
	g_test_message("a full repack of %u objects takes %" G_GINT64_FORMAT " ms", st.loose_before,
		       span[1] / 1000);

	guint killed = 0;
	for (int round = 0; round < rounds; round++) {
		hist_commits(f->h, 10, 3);
		bool full = g_rand_int_range(r, 0, 3) == 0;
		g_autoptr(GArray) before = all_objects(f);
		g_autofree char *head_before = NULL;
		git_run(f, "rev-parse HEAD", &head_before, NULL);

		gint64 start = g_get_monotonic_time();
		pid_t pid = gc_child(f, full, 0);
		g_usleep((gulong)g_rand_int_range(r, 0, (gint32)MIN(span[full] * 5 / 4, G_MAXINT32)));
		int status;
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == 0) {
			kill(pid, SIGKILL);
			g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
			/* aim later next time, until a run finishes first */
			span[full] = span[full] * 3 / 2;
		} else {
			g_assert_cmpint(done, ==, pid);
			span[full] = MAX(g_get_monotonic_time() - start, 5000);
		}
		if (WIFSIGNALED(status))
			killed++;
		else
			g_assert_cmpint(WEXITSTATUS(status), ==, 0);

		assert_recovers(f, before, head_before, false);
	}
	g_test_message("%u of %d runs killed", killed, rounds);
	g_assert_cmpuint(killed, >=, (guint)rounds / 4);
	/* and a run that is not killed finishes the job */
	run_gc(f, true, &st);
	g_assert_cmpuint(count_packs(f), ==, 1);
	g_assert_cmpuint(count_loose(f), ==, 0);
	assert_fsck(f);
}

static guint64 du(const char *dir);

/* The loose objects as one pack written the way the store writes its
 * own (pack-write.c: every object stored, not deflated). */
static void pack_loose_stored(struct fx *f)
{
	g_autofree char *pack_dir = g_build_filename(f->git_dir, "objects", "pack", NULL);
	git_odb *odb = NULL;
	g_autoptr(GArray) ids = loose_ids(f, &odb);
	g_autofree struct lw_pack_object *objs = g_new0(struct lw_pack_object, ids->len);
	g_autofree git_odb_object **read = g_new0(git_odb_object *, ids->len);
	for (guint i = 0; i < ids->len; i++) {
		const git_oid *id = &g_array_index(ids, git_oid, i);
		g_assert_cmpint(git_odb_read(&read[i], odb, id), ==, 0);
		objs[i] = (struct lw_pack_object){ *id, git_odb_object_type(read[i]),
						   git_odb_object_data(read[i]),
						   git_odb_object_size(read[i]) };
	}
	g_autoptr(GError) err = NULL;
	char name[GIT_OID_HEXSZ + 1];
	g_assert_cmpint(g_mkdir_with_parents(pack_dir, 0755), ==, 0);
	g_assert_cmpint(lw_pack_write(pack_dir, objs, ids->len, name, &err), ==, 0);
	g_assert_no_error(err);
	for (guint i = 0; i < ids->len; i++)
		git_odb_object_free(read[i]);
	git_odb_free(odb);
	drop_loose(f, ids);
}

/* A `poll` writes all its commits as one pack, stored as the store
 * writes each object: however many objects it holds, it is packed again
 * like a small pack (with deltas, into the geometric series), never
 * counted among the packed ones (20 of which would make every run a
 * full repack of the whole history). */
static void test_stored_packs(struct fx *f, gconstpointer data)
{
	(void)data;
	struct lw_gc_stats st;
	hist_commit(f->h, LW_GC_SMALL_OBJECTS + 50);
	pack_loose_alone(f);
	g_autoptr(GPtrArray) known = g_ptr_array_new_with_free_func(g_free);
	const char *first = newest_pack(f, known);   /* known owns it */
	g_autofree char *first_pack = g_strconcat(first, ".pack", NULL);
	g_assert_false(gc_pack_stored(first_pack));   /* deflated by libgit2 */
	for (int i = 0; i < LW_GC_SMALL_MAX; i++) {
		g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
		hist_commit(f->h, LW_GC_SMALL_OBJECTS);
		pack_loose_stored(f);
		const char *stem = newest_pack(f, known);
		g_assert_cmpuint(pack_objects(stem), >, LW_GC_SMALL_OBJECTS);
		g_autofree char *pack = g_strconcat(stem, ".pack", NULL);
		g_assert_true(gc_pack_stored(pack));
	}
	g_assert_true(lw_gc_due(f->h->repo, f->git_dir));
	g_autoptr(GArray) before = all_objects(f);
	g_autofree char *log_before = NULL, *log_after = NULL;
	g_assert_cmpint(git_run(f, "log -p --format=%H%n%B", &log_before, NULL), ==, 0);
	guint64 stored_bytes = du(f->git_dir);
	run_gc(f, false, &st);
	g_assert_false(st.full);
	g_assert_cmpuint(st.packs_before, ==, LW_GC_SMALL_MAX + 1);
	g_assert_cmpuint(st.packs_after, <=, 2);
	g_assert_cmpuint(du(f->git_dir) * 4, <, stored_bytes * 3);   /* deflated, deltas found */
	g_assert_false(lw_gc_due(f->h->repo, f->git_dir));
	assert_fsck(f);
	assert_readable(f, before);
	g_assert_cmpint(git_run(f, "log -p --format=%H%n%B", &log_after, NULL), ==, 0);
	g_assert_cmpstr(log_after, ==, log_before);
	/* the versions of a path are deltas of each other (pack-delta.c),
	 * and git reads every one of them */
	g_autofree char *pack_dir = g_build_filename(f->git_dir, "objects", "pack", NULL);
	GDir *d = g_dir_open(pack_dir, 0, NULL);
	const char *fname;
	guint deltas = 0;
	while (d && (fname = g_dir_read_name(d))) {
		if (!g_str_has_suffix(fname, ".idx"))
			continue;
		g_autofree char *cmd = g_strdup_printf("verify-pack -v %s/%s", pack_dir, fname);
		g_autofree char *out = NULL;
		g_assert_cmpint(git_run(f, cmd, &out, NULL), ==, 0);
		g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
		for (char **l = lines; *l; l++) {
			g_auto(GStrv) w = g_strsplit_set(*l, " \t", -1);
			guint nw = 0;
			for (char **x = w; *x; x++)
				nw += **x != '\0';
			/* "id type size size-in-pack offset depth base" */
			deltas += nw == 7 && (strstr(*l, " tree ") || strstr(*l, " blob "));
		}
	}
	if (d)
		g_dir_close(d);
	g_assert_cmpuint(deltas, >, LW_GC_SMALL_MAX);
}

/* A stored pack damaged on the disk: the run stops naming it, writes
 * nothing and deletes nothing. */
static void test_stored_damaged(struct fx *f, gconstpointer data)
{
	(void)data;
	g_autoptr(GPtrArray) known = g_ptr_array_new_with_free_func(g_free);
	hist_commit(f->h, 20);
	pack_loose_stored(f);
	const char *a = newest_pack(f, known);
	hist_commit(f->h, 20);
	pack_loose_stored(f);
	const char *b = newest_pack(f, known);
	g_assert_nonnull(a);
	g_assert_nonnull(b);
	g_autofree char *pack = g_strconcat(b, ".pack", NULL);
	g_autofree char *bytes = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(pack, &bytes, &len, NULL));
	bytes[len / 2] ^= 0x20;   /* inside some object's stored text */
	g_assert_cmpint(g_chmod(pack, 0644), ==, 0);
	g_assert_true(g_file_set_contents(pack, bytes, (gssize)len, NULL));
	guint packs = count_packs(f);
	GError *err = NULL;
	struct lw_gc_stats st;
	g_assert_cmpint(lw_gc_run(f->h->repo, f->git_dir, f->state_dir, false, &st, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, pack));
	g_assert_nonnull(strstr(err->message, "damaged"));
	g_clear_error(&err);
	g_assert_cmpuint(count_packs(f), ==, packs);
}

/* ---- by hand ---- */

static guint64 du(const char *dir)
{
	guint64 n = 0;
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		GStatBuf sb;
		if (g_lstat(p, &sb) < 0)
			continue;
		n += S_ISDIR(sb.st_mode) ? du(p) : (guint64)sb.st_size;
	}
	if (d)
		g_dir_close(d);
	return n;
}

static int tool(int argc, char **argv)
{
	git_libgit2_init();
	/* LW_GC_CACHE_MB: libgit2's object cache limit, to see what it costs */
	const char *cache = g_getenv("LW_GC_CACHE_MB");
	if (cache)
		git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)atoi(cache) << 20);
	if (!strcmp(argv[1], "make") && argc >= 4) {
		struct hist *h = hist_new(argv[2], 42);
		guint n = (guint)atoi(argv[3]);
		guint fresh = argc > 4 ? (guint)atoi(argv[4]) : 3;
		gint64 t0 = g_get_monotonic_time();
		hist_commits(h, n, fresh);
		printf("%u commits, %u entries in %.1f s\n", h->commits, h->entries,
		       (double)(g_get_monotonic_time() - t0) / 1e6);
		hist_free(h);
		return 0;
	}
	if (!strcmp(argv[1], "simulate") && argc >= 4) {
		/* what the daemon does: a check every CHECK commits, packing when due */
		struct hist *h = hist_new(argv[2], 42);
		guint n = (guint)atoi(argv[3]);
		guint every = argc > 4 ? (guint)atoi(argv[4]) : 1;
		g_autofree char *git_dir = g_strdup(git_repository_path(h->repo));
		git_dir[strlen(git_dir) - 1] = '\0';
		g_autofree char *state = g_build_filename(git_dir, "livewatch", NULL);
		g_mkdir_with_parents(state, 0755);
		guint runs = 0, fulls = 0, max_loose = 0;
		double gc_s = 0, max_full_s = 0, max_incr_s = 0;
		for (guint i = 1; i <= n; i++) {
			hist_commit(h, 1);
			if (i % every)
				continue;
			if (!lw_gc_due(h->repo, git_dir))
				continue;
			struct lw_gc_stats st;
			GError *err = NULL;
			gint64 t0 = g_get_monotonic_time();
			if (lw_gc_run(h->repo, git_dir, state, false, &st, &err) < 0) {
				fprintf(stderr, "%s\n", err->message);
				return 1;
			}
			double took = (double)(g_get_monotonic_time() - t0) / 1e6;
			gc_s += took;
			runs++;
			fulls += st.full;
			max_loose = MAX(max_loose, st.loose_before);
			if (st.full)
				max_full_s = MAX(max_full_s, took);
			else
				max_incr_s = MAX(max_incr_s, took);
			if (st.full)
				printf("commit %u: full repack of %u packs, %.1f MB -> %.1f MB in %.1f s\n", i,
				       st.packs_before, (double)st.bytes_before / 1e6, (double)st.bytes_after / 1e6, took);
			fflush(stdout);
		}
		g_autofree char *dotgit = g_strdup(git_dir);
		printf("%u commits: %u runs (%u full), %.1f s packing, longest incremental %.2f s, longest full %.1f s, "
		       "most loose objects seen %u; .git %" G_GUINT64_FORMAT " bytes\n", n, runs, fulls, gc_s,
		       max_incr_s, max_full_s, max_loose, du(dotgit));
		hist_free(h);
		return 0;
	}
	if (!strcmp(argv[1], "gc") && argc >= 3) {
		git_repository *repo = NULL;
		if (git_repository_open(&repo, argv[2]) < 0) {
			fprintf(stderr, "%s\n", git_error_last()->message);
			return 1;
		}
		const char *mode = argc > 3 ? argv[3] : "full";
		g_autofree char *git_dir = g_strdup(git_repository_path(repo));
		git_dir[strlen(git_dir) - 1] = '\0';
		g_autofree char *state = g_build_filename(git_dir, "livewatch", NULL);
		g_mkdir_with_parents(state, 0755);
		struct lw_gc_stats st;
		GError *err = NULL;
		gint64 t0 = g_get_monotonic_time();
		bool due = lw_gc_due(repo, git_dir);
		gint64 t1 = g_get_monotonic_time();
		if (!strcmp(mode, "auto") && !due) {
			printf("not due (%.3f ms)\n", (double)(t1 - t0) / 1e3);
			return 0;
		}
		if (lw_gc_run(repo, git_dir, state, !strcmp(mode, "full"), &st, &err) < 0) {
			fprintf(stderr, "%s\n", err->message);
			return 1;
		}
		gint64 t2 = g_get_monotonic_time();
		g_autofree char *dotgit = g_strdup(git_dir);
		printf("due %d (%.3f ms); %s: %u loose, %u packs, %" G_GUINT64_FORMAT " bytes -> %u loose, %u packs, %"
		       G_GUINT64_FORMAT " bytes in %.2f s; .git %" G_GUINT64_FORMAT " bytes\n",
		       due, (double)(t1 - t0) / 1e3, st.full ? "full" : "incremental", st.loose_before,
		       st.packs_before, st.bytes_before, st.loose_after, st.packs_after, st.bytes_after,
		       (double)(t2 - t1) / 1e6, du(dotgit));
		git_repository_free(repo);
		return 0;
	}
	fprintf(stderr, "usage: test-gc make DIR COMMITS [NEW_PER_COMMIT] | test-gc gc DIR [full|auto|incremental]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "make") || !strcmp(argv[1], "gc") || !strcmp(argv[1], "simulate")))
		return tool(argc, argv);
	/* no git config of the person running the tests, set before any
	 * thread starts */
	g_autofree char *home = g_dir_make_tmp("lw-gc-home-XXXXXX", NULL);
	g_setenv("HOME", home, TRUE);
	g_setenv("XDG_CONFIG_HOME", home, TRUE);
	g_setenv("GIT_CONFIG_NOSYSTEM", "1", TRUE);
	g_unsetenv("GIT_DIR");
	g_unsetenv("GIT_WORK_TREE");
	g_test_init(&argc, &argv, NULL);
	git_libgit2_init();
#define ADD(name, fn) g_test_add(name, struct fx, NULL, fx_setup, fn, fx_teardown)
	ADD("/gc/incremental", test_incremental);
	ADD("/gc/full", test_full);
	ADD("/gc/full-keeps-unreachable", test_full_keeps_unreachable);
	ADD("/gc/many-packs", test_many_packs);
	ADD("/gc/small-packs", test_small_packs);
	ADD("/gc/stored-packs", test_stored_packs);
	ADD("/gc/stored-damaged", test_stored_damaged);
	ADD("/gc/geometric", test_geometric);
	ADD("/gc/bounded", test_bounded);
	ADD("/gc/not-due", test_not_due);
	ADD("/gc/recover-crashed", test_recover_crashed);
	ADD("/gc/recover-foreign-lock", test_recover_foreign_lock);
	ADD("/gc/busy", test_busy);
	ADD("/gc/crash-points", test_crash_points);
	ADD("/gc/kill", test_kill);
	int rc = g_test_run();
	git_libgit2_shutdown();
	g_rmdir(home);
	return rc;
}
