/* Packing the history repository, and the busy marker every write to it
 * holds (gc.h).  Recovering after a crash is gc-recover.c; what objects/
 * holds, gc-inventory.c.
 *
 * A new pack is written by libgit2's packbuilder into a temporary folder
 * in the state dir, synced, checked against what it must hold, and only
 * then moved into objects/pack (.pack first, then .idx, the order git
 * uses, so an .idx never names a missing pack).  Only after that are the
 * loose objects it holds, and on a full repack the old packs, deleted.
 * A kill at any point leaves either the old objects or the new pack, and
 * at worst both.  The bigger packs a geometric run takes are then merged
 * with the new one by copying (pack-write.c's lw_pack_merge): their
 * deltas are kept, not searched for again.
 *
 * Why some 740 lines: one run is one sequence of steps that must stay in
 * their order (inventory, pack, verify, move in, merge, delete, reopen),
 * with the walk that names objects for the packbuilder beside it. */
#include "gc-private.h"
#include "pack-write.h"
#include "error.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the busy marker ---- */

/* Begins and ends are counted per state dir within the process: a repack
 * on a thread and a commit on the main loop may overlap, and the marker
 * must stay until the last of them ends.  Only one process (the flock
 * holder) writes a repository, so a process-wide count is enough. */
G_LOCK_DEFINE_STATIC(busy);
static GHashTable *busy_counts; /* state dir -> count (GUINT_TO_POINTER) */

char *gc_busy_path(const char *state_dir)
{
	return g_build_filename(state_dir, "busy", NULL);
}

int lw_gc_busy_begin(const char *state_dir, GError **error)
{
	int ret = 0;
	G_LOCK(busy);
	if (!busy_counts)
		busy_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(busy_counts, state_dir));
	if (n == 0) {
		g_autofree char *path = gc_busy_path(state_dir);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot create '%s': %s", path,
				    g_strerror(errno));
			ret = -1;
			goto out;
		}
		char pid[32];
		int len = g_snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		/* Its content is only a hint for people; the name is the marker. */
		if (write(fd, pid, (size_t)len) != len) {
			/* a marker that exists is all that matters */
		}
		close(fd);
	}
	g_hash_table_insert(busy_counts, g_strdup(state_dir), GUINT_TO_POINTER(n + 1));
out:
	G_UNLOCK(busy);
	return ret;
}

void lw_gc_busy_end(const char *state_dir)
{
	G_LOCK(busy);
	guint n = busy_counts ? GPOINTER_TO_UINT(g_hash_table_lookup(busy_counts, state_dir)) : 0;
	if (n <= 1) {
		g_autofree char *path = gc_busy_path(state_dir);
		g_unlink(path);
		if (busy_counts)
			g_hash_table_remove(busy_counts, state_dir);
	} else {
		g_hash_table_insert(busy_counts, g_strdup(state_dir), GUINT_TO_POINTER(n - 1));
	}
	G_UNLOCK(busy);
}

bool gc_busy_held_here(const char *state_dir)
{
	G_LOCK(busy);
	bool held = busy_counts && g_hash_table_lookup(busy_counts, state_dir);
	G_UNLOCK(busy);
	return held;
}

/* ---- shared by the parts of gc ---- */

/* The repository as people name it: the folder holding .git. */
char *gc_repo_name(const char *git_dir)
{
	g_autofree char *base = g_path_get_basename(git_dir);
	if (!strcmp(base, ".git"))
		return g_path_get_dirname(git_dir);
	return g_strdup(git_dir);
}

/* Removes a file or a whole folder; 0 on success. */
int gc_remove_tree(const char *path)
{
	GStatBuf sb;
	if (g_lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(sb.st_mode)) {
		GDir *d = g_dir_open(path, 0, NULL);
		if (d) {
			const char *name;
			while ((name = g_dir_read_name(d))) {
				g_autofree char *sub = g_build_filename(path, name, NULL);
				gc_remove_tree(sub);
			}
			g_dir_close(d);
		}
		return g_rmdir(path);
	}
	return g_unlink(path);
}

/* ---- packing ---- */

static void git_fail(GError **error, const char *repo, const char *what)
{
	const git_error *ge = git_error_last();
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': %s: %s", repo, what,
		    ge && ge->message ? ge->message : "unknown libgit2 error");
}

static int insert_cb(const git_oid *id, void *payload)
{
	return git_packbuilder_insert(payload, id, NULL);
}

/* The packbuilder pairs objects for deltas after sorting them by a hash
 * of their path, so every tree and blob is inserted with its path
 * ("blog/entries/2023-02-14"): the versions of one day's folder, of
 * index.md, of one post, sit side by side.  (libgit2's own
 * git_packbuilder_insert_walk names no tree, and trees, rewritten by
 * every commit, are most of what a history of small files holds.)
 * Commits go first, newest first, for the pack's write order. */
struct walker {
	git_repository *repo;
	git_packbuilder *pb;
	GHashTable *seen;      /* git_oid *: commits and trees visited */
	GHashTable *loose;     /* NULL: walk everything; else only these (loose) objects */
	GString *path;
};

static GHashTable *oid_set_new(void)
{
	return g_hash_table_new_full(lw_oid_hash, lw_oid_equal, g_free, NULL);
}

/* Adds id to set; false when it was there already. */
static bool oid_set_add(GHashTable *set, const git_oid *id)
{
	if (g_hash_table_contains(set, id))
		return false;
	g_hash_table_add(set, g_memdup2(id, sizeof(*id)));
	return true;
}

static bool wanted(const struct walker *w, const git_oid *id)
{
	return !w->loose || g_hash_table_contains(w->loose, id);
}

static int walk_tree(struct walker *w, const git_oid *id)
{
	if (!oid_set_add(w->seen, id) || !wanted(w, id))
		return 0;
	git_tree *tree = NULL;
	int rc = git_packbuilder_insert(w->pb, id, w->path->len ? w->path->str : NULL);
	if (rc == 0)
		rc = git_tree_lookup(&tree, w->repo, id);
	gsize len = w->path->len;
	for (size_t i = 0; rc == 0 && tree && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const git_oid *eid = git_tree_entry_id(e);
		if (len)
			g_string_append_c(w->path, '/');
		g_string_append(w->path, git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			rc = walk_tree(w, eid);
		else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB && wanted(w, eid))
			rc = git_packbuilder_insert(w->pb, eid, w->path->str);
		g_string_truncate(w->path, len);
	}
	git_tree_free(tree);
	return rc;
}

/* Every commit from the tips down, each with its tree; with w->loose,
 * a commit that is packed already ends the walk down its line (what it
 * reaches went into a pack with it, or before it). */
static int walk_commits(struct walker *w, GArray *stack)
{
	int rc = 0;
	while (rc == 0 && stack->len > 0) {
		git_oid id = g_array_index(stack, git_oid, stack->len - 1);
		g_array_set_size(stack, stack->len - 1);
		if (!oid_set_add(w->seen, &id) || !wanted(w, &id))
			continue;
		git_commit *c = NULL;
		rc = git_packbuilder_insert(w->pb, &id, NULL);
		if (rc == 0)
			rc = git_commit_lookup(&c, w->repo, &id);
		if (rc == 0) {
			g_string_truncate(w->path, 0);
			rc = walk_tree(w, git_commit_tree_id(c));
			/* first parent last: it comes off the stack next */
			for (unsigned int i = git_commit_parentcount(c); rc == 0 && i > 0; i--)
				g_array_append_val(stack, *git_commit_parent_id(c, i - 1));
		}
		git_commit_free(c);
	}
	return rc;
}

/* The commits the refs and HEAD point at. */
static int tips(git_repository *repo, GArray *stack)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_oid head;
	int rc;

	if (git_reference_iterator_new(&it, repo) < 0)
		return -1;
	while ((rc = git_reference_next(&ref, it)) == 0) {
		git_object *obj = NULL;
		if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0)
			g_array_append_val(stack, *git_object_id(obj));
		git_object_free(obj);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER)
		return -1;
	/* HEAD last, so its history is walked first */
	if (git_reference_name_to_id(&head, repo, "HEAD") == 0)
		g_array_append_val(stack, head);
	git_error_clear();
	return 0;
}

/* Full: everything reachable, named, then every other object in the
 * repository (nothing is ever dropped).  Incremental: the loose objects,
 * named where a walk from the tips finds them, then the rest of them. */
static int insert_objects(git_repository *repo, git_packbuilder *pb, const struct inventory *inv,
			  bool full)
{
	struct walker w = { repo, pb, oid_set_new(), NULL, g_string_new(NULL) };
	GArray *stack = g_array_new(FALSE, FALSE, sizeof(git_oid));
	git_odb *odb = NULL;
	int rc;

	if (!full) {
		w.loose = oid_set_new();
		for (guint i = 0; i < inv->loose->len; i++)
			oid_set_add(w.loose, &g_array_index(inv->loose, git_oid, i));
		for (guint i = 0; i < inv->in_small->len; i++)
			oid_set_add(w.loose, &g_array_index(inv->in_small, git_oid, i));
	}
	rc = tips(repo, stack);
	if (rc == 0)
		rc = walk_commits(&w, stack);
	if (rc == 0 && full) {
		/* the objects on the disk: the repository's own database may
		 * have the store's in-memory backend in front, which holds
		 * none between commits */
		g_autofree char *objects = g_build_filename(git_repository_path(repo), "objects", NULL);
		rc = git_odb_open(&odb, objects);
		if (rc == 0)
			rc = git_odb_foreach(odb, insert_cb, pb);
	}
	for (guint i = 0; rc == 0 && !full && i < inv->loose->len; i++)
		rc = git_packbuilder_insert(pb, &g_array_index(inv->loose, git_oid, i), NULL);
	for (guint i = 0; rc == 0 && !full && i < inv->in_small->len; i++)
		rc = git_packbuilder_insert(pb, &g_array_index(inv->in_small, git_oid, i), NULL);
	git_odb_free(odb);
	g_array_unref(stack);
	g_string_free(w.path, TRUE);
	g_hash_table_unref(w.seen);
	if (w.loose)
		g_hash_table_unref(w.loose);
	return rc;
}

/* Checks that the pack at idx holds every loose object listed and, on a
 * full repack, every object of the old packs: nothing is deleted that
 * the new pack would not give back. */
struct verify {
	git_odb *fresh;
	guint missing;
	git_oid first_missing;
};

static int verify_cb(const git_oid *id, void *payload)
{
	struct verify *v = payload;
	if (!git_odb_exists(v->fresh, id)) {
		if (v->missing++ == 0)
			git_oid_cpy(&v->first_missing, id);
	}
	return 0;
}

static int add_oid_cb(const git_oid *id, void *payload)
{
	g_array_append_val((GArray *)payload, *id);
	return 0;
}

/* inv->in_small := every object of the small packs. */
static int list_small_objects(struct inventory *inv, const char *repo, GError **error)
{
	inv->in_small = g_array_new(FALSE, FALSE, sizeof(git_oid));
	for (guint i = 0; i < inv->small->len; i++) {
		g_autofree char *idx = g_strconcat(inv->small->pdata[i], ".idx", NULL);
		git_odb *one = NULL;
		git_odb_backend *be = NULL;
		int rc = git_odb_new(&one);
		if (rc == 0)
			rc = git_odb_backend_one_pack(&be, idx);
		if (rc == 0 && (rc = git_odb_add_backend(one, be, 1)) < 0)
			be->free(be);
		if (rc == 0)
			rc = git_odb_foreach(one, add_oid_cb, inv->in_small);
		git_odb_free(one);
		if (rc < 0) {
			git_fail(error, repo, "cannot read a pack to pack it again");
			return -1;
		}
	}
	return 0;
}

static int verify_pack(const char *idx, const struct inventory *inv, bool full,
		       const char *repo, GError **error)
{
	git_odb_backend *be = NULL;
	struct verify v = { 0 };
	int ret = -1;

	if (git_odb_new(&v.fresh) < 0 || git_odb_backend_one_pack(&be, idx) < 0 ||
	    git_odb_add_backend(v.fresh, be, 1) < 0) {
		if (be && v.fresh)
			be->free(be);
		git_fail(error, repo, "cannot read the new pack");
		goto out;
	}
	git_error_clear();
	for (guint i = 0; i < inv->loose->len; i++)
		verify_cb(&g_array_index(inv->loose, git_oid, i), &v);
	for (guint i = 0; i < inv->in_small->len; i++)
		verify_cb(&g_array_index(inv->in_small, git_oid, i), &v);
	for (guint i = 0; full && i < inv->packs->len + inv->small->len; i++) {
		const char *stem = i < inv->packs->len ? inv->packs->pdata[i] :
				   inv->small->pdata[i - inv->packs->len];
		g_autofree char *old_idx = g_strconcat(stem, ".idx", NULL);
		git_odb *old = NULL;
		git_odb_backend *ob = NULL;
		if (git_odb_new(&old) < 0 || git_odb_backend_one_pack(&ob, old_idx) < 0 ||
		    git_odb_add_backend(old, ob, 1) < 0 || git_odb_foreach(old, verify_cb, &v) < 0) {
			git_odb_free(old);
			git_fail(error, repo, "cannot read an old pack to check the new one");
			goto out;
		}
		git_odb_free(old);
	}
	if (v.missing) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &v.first_missing);
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "repository '%s': the new pack lacks %u object%s (%s ...); nothing deleted",
			    repo, v.missing, v.missing == 1 ? "" : "s", hex);
		goto out;
	}
	ret = 0;
out:
	git_odb_free(v.fresh);
	return ret;
}

/* Fault injection for tests/test-gc.c: LW_GC_TEST_KILL_AT=N kills the
 * process with SIGKILL at point N of a run: 1 working folder made, 2 pack
 * written, 3 .pack moved in, 4 .idx moved in, 5 half the loose objects
 * deleted, 6 an old pack's .idx deleted, 7 loose objects deleted, 8 old
 * packs deleted. */
static void crash_point(int n)
{
	const char *at = g_getenv("LW_GC_TEST_KILL_AT");
	if (at && atoi(at) == n)
		raise(SIGKILL);
}

static void delete_loose(const char *objects, const GArray *loose)
{
	for (guint i = 0; i < loose->len; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &g_array_index(loose, git_oid, i));
		char sub[3] = { hex[0], hex[1], '\0' };
		g_autofree char *p = g_build_filename(objects, sub, hex + 2, NULL);
		g_unlink(p);
		if (i == loose->len / 2)
			crash_point(5);
	}
}

/* Removes the emptied objects/XX folders (a folder that held thousands
 * of names keeps its size on ext4 until it goes).  libgit2 makes the
 * folder and then the object in it, so this must not run while this
 * process writes objects elsewhere: with the busy lock held and no
 * other writer counted, no write is under way and none can start. */
static void prune_fanout(const char *objects, const char *state_dir)
{
	G_LOCK(busy);
	guint writers = busy_counts ? GPOINTER_TO_UINT(g_hash_table_lookup(busy_counts, state_dir)) : 0;
	if (writers <= 1) {
		for (guint fan = 0; fan < 256; fan++) {
			char sub[3];
			g_snprintf(sub, sizeof(sub), "%02x", fan);
			g_autofree char *dir = g_build_filename(objects, sub, NULL);
			g_rmdir(dir); /* fails, as it should, when not empty */
		}
	}
	G_UNLOCK(busy);
}

/* An old pack goes .idx first: a kill half-way leaves a .pack without
 * .idx, which nothing reads and recovery removes. */
static void delete_pack(const char *stem)
{
	static const char *const first[] = { ".idx", ".rev", ".bitmap", ".promisor", ".mtimes" };
	for (gsize i = 0; i < G_N_ELEMENTS(first); i++) {
		g_autofree char *p = g_strconcat(stem, first[i], NULL);
		g_unlink(p);
		crash_point(6);
	}
	g_autofree char *p = g_strconcat(stem, ".pack", NULL);
	g_unlink(p);
}

void lw_gc_delete_packs(const char *git_dir, GPtrArray *doomed)
{
	for (guint i = 0; i < doomed->len; i++)
		delete_pack(doomed->pdata[i]);
	g_autofree char *pack_dir = g_build_filename(git_dir, "objects", "pack", NULL);
	lw_file_sync(pack_dir);
}

/* Syncs the pack written in tmp, checks it, moves it into pack_dir;
 * returns its path without suffix. */
static char *move_in(git_packbuilder *pb, const char *tmp, const char *pack_dir,
		     const struct inventory *inv, bool full, const char *name, GError **error)
{
	const char *hex = git_packbuilder_name(pb);
	g_autofree char *base = g_strconcat("pack-", hex, NULL);
	g_autofree char *tmp_pack = g_strconcat(tmp, "/", base, ".pack", NULL);
	g_autofree char *tmp_idx = g_strconcat(tmp, "/", base, ".idx", NULL);
	g_autofree char *stem = g_build_filename(pack_dir, base, NULL);
	g_autofree char *new_pack = g_strconcat(stem, ".pack", NULL);
	g_autofree char *new_idx = g_strconcat(stem, ".idx", NULL);
	if (lw_file_sync(tmp_pack) < 0 || lw_file_sync(tmp_idx) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot sync the new pack: %s",
			    name, g_strerror(errno));
		return NULL;
	}
	if (verify_pack(tmp_idx, inv, full, name, error) < 0)
		return NULL;
	int rc = g_mkdir_with_parents(pack_dir, 0755);
	if (rc == 0)
		rc = g_rename(tmp_pack, new_pack);
	crash_point(3);
	if (rc == 0)
		rc = g_rename(tmp_idx, new_idx);
	if (rc == 0)
		rc = lw_file_sync(pack_dir);
	if (rc < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot move the new pack into '%s': %s",
			    name, pack_dir, g_strerror(errno));
		return NULL;
	}
	crash_point(4);
	return g_steal_pointer(&stem);
}

struct cancel {
	const gint *flag;
};

static int pb_progress(int stage, uint32_t current, uint32_t total, void *payload)
{
	(void)stage;
	(void)current;
	(void)total;
	const struct cancel *c = payload;
	return c->flag && g_atomic_int_get(c->flag) ? -1 : 0;
}

static int idx_progress(const git_indexer_progress *stats, void *payload)
{
	(void)stats;
	return pb_progress(0, 0, 0, payload);
}

int lw_gc_reopen(struct git_repository *repo, const char *git_dir, GError **error)
{
	g_autofree char *objects = g_build_filename(git_dir, "objects", NULL);
	g_autofree char *name = gc_repo_name(git_dir);
	git_odb *odb = NULL;
	if (git_odb_open(&odb, objects) < 0 || git_repository_set_odb(repo, odb) < 0) {
		git_odb_free(odb);
		git_fail(error, name, "cannot reopen the object database");
		return -1;
	}
	git_odb_free(odb);
	return 0;
}

static void stats_unchanged(struct lw_gc_stats *st)
{
	st->loose_after = st->loose_before;
	st->packs_after = st->packs_before;
	st->bytes_after = st->bytes_before;
}

int lw_gc_run(struct git_repository *repo, const char *git_dir, const char *state_dir, bool full,
	      struct lw_gc_stats *stats, GError **error)
{
	struct lw_gc_opts o = { .full = full };
	return lw_gc_run_opts(repo, git_dir, state_dir, &o, stats, error);
}

static bool all_stored(const struct inventory *inv)
{
	for (guint i = 0; i < inv->small->len; i++) {
		g_autofree char *pack = g_strconcat(inv->small->pdata[i], ".pack", NULL);
		if (!gc_pack_stored(pack))
			return false;
	}
	return true;
}

int lw_gc_run_opts(struct git_repository *repo, const char *git_dir, const char *state_dir,
		   const struct lw_gc_opts *opts, struct lw_gc_stats *stats, GError **error)
{
	g_autofree char *name = gc_repo_name(git_dir);
	g_autofree char *objects = g_build_filename(git_dir, "objects", NULL);
	g_autofree char *pack_dir = g_build_filename(objects, "pack", NULL);
	g_autofree char *tmp = NULL;
	g_autofree char *stem = NULL;
	struct inventory inv = { 0 };
	struct lw_gc_stats st = { 0 };
	struct cancel cancel = { opts->cancel };
	git_packbuilder *pb = NULL;
	g_autoptr(GPtrArray) doomed = NULL;
	g_autoptr(GPtrArray) bigger = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) merge_err = NULL;
	g_autofree char *merged = NULL;
	bool full = opts->full;
	bool busy = false;
	int ret = -1;

	gc_take_inventory(git_dir, &inv);
	st.loose_before = inv.loose->len;
	st.packs_before = inv.packs->len + inv.small->len + inv.kept;
	st.bytes_before = inv.bytes;
	/* too many packs: a full run, unless a bound forbids it (then the
	 * smallest packs that fit it are merged) */
	bool crowded = !full && opts->max_objects && inv.packs->len >= LW_GC_PACKS_MAX;
	if (inv.packs->len >= LW_GC_PACKS_MAX && !opts->max_objects)
		full = true;
	/* nothing to gain: no loose object, at most one small pack, and at
	 * most one pack in all to merge */
	if (!crowded && inv.loose->len == 0 && inv.small->len <= 1 &&
	    (!full || inv.packs->len + inv.small->len <= 1)) {
		stats_unchanged(&st);
		ret = 0;
		goto out;
	}
	st.full = full;
	/* The bigger packs an incremental run takes were packed with deltas
	 * already: they are merged by copying (lw_pack_merge), not packed
	 * again.  libgit2's packbuilder gets the loose objects and the small
	 * packs (one a commit, stored whole), whose deltas it finds. */
	if (!full) {
		guint small = gc_take_geometric(&inv, opts->max_objects, opts->max_copied, crowded);
		for (guint i = small; i < inv.small->len; i++)
			g_ptr_array_add(bigger, g_strdup(inv.small->pdata[i]));
		g_ptr_array_set_size(inv.small, small);
	}
	/* a crowded run that found no two packs to merge within the bound */
	if (crowded && inv.loose->len == 0 && inv.small->len + bigger->len <= 1) {
		stats_unchanged(&st);
		ret = 0;
		goto out;
	}
	if (full)
		inv.in_small = g_array_new(FALSE, FALSE, sizeof(git_oid));
	else if (list_small_objects(&inv, name, error) < 0)
		goto out;

	if (lw_gc_busy_begin(state_dir, error) < 0)
		goto out;
	busy = true;
	/* The store's packs alone (no loose object): packed again with the
	 * deltas their history names (pack-delta.c), without libgit2's
	 * search; anything else, or a pack that one cannot read, goes to
	 * libgit2. */
	if (!full && inv.loose->len == 0 && inv.small->len >= 1 && all_stored(&inv)) {
		char hex[GIT_OID_HEXSZ + 1];
		int rc = lw_pack_repack_stored(pack_dir, (char *const *)inv.small->pdata, inv.small->len,
					       hex, error);
		if (rc < 0) {
			g_prefix_error(error, "repository '%s': ", name);
			goto out;
		}
		if (rc == 0)
			stem = g_strconcat(pack_dir, "/pack-", hex, NULL);
		crash_point(2);
	}
	if (!stem && (full || inv.loose->len || inv.small->len)) {
		tmp = g_build_filename(state_dir, "gc.tmp-XXXXXX", NULL);
		if (!g_mkdtemp(tmp)) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot create '%s': %s",
				    name, tmp, g_strerror(errno));
			g_clear_pointer(&tmp, g_free);
			goto out;
		}
		crash_point(1);

		if (git_packbuilder_new(&pb, repo) < 0) {
			git_fail(error, name, "cannot start a pack");
			goto out;
		}
		git_packbuilder_set_threads(pb, opts->threads);
		git_packbuilder_set_callbacks(pb, pb_progress, &cancel);
		int rc = insert_objects(repo, pb, &inv, full);
		if (rc == 0)
			rc = git_packbuilder_write(pb, tmp, 0, idx_progress, &cancel);
		if (opts->cancel && g_atomic_int_get(opts->cancel)) {
			g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "repository '%s': packing cancelled", name);
			goto out;
		}
		if (rc < 0) {
			git_fail(error, name, "cannot write a pack");
			goto out;
		}
		crash_point(2);

		stem = move_in(pb, tmp, pack_dir, &inv, full, name, error);
		if (!stem)
			goto out;
	}

	/* the bigger packs taken, with the new one, into one pack by
	 * copying; when two of them hold one object (a pack cannot), they
	 * stay as they are until a full run */
	if (bigger->len && bigger->len + (stem != NULL) >= 2) {
		g_autoptr(GPtrArray) parts = g_ptr_array_new();
		if (stem)
			g_ptr_array_add(parts, stem);
		for (guint i = 0; i < bigger->len; i++)
			g_ptr_array_add(parts, bigger->pdata[i]);
		char hex[GIT_OID_HEXSZ + 1];
		if (lw_pack_merge(pack_dir, (char *const *)parts->pdata, parts->len, hex, &merge_err) == 0)
			merged = g_strconcat(pack_dir, "/pack-", hex, NULL);
	}

	/* The new pack is whole and on the disk: what it holds may go. */
	delete_loose(objects, inv.loose);
	prune_fanout(objects, state_dir);
	crash_point(7);
	/* the packs the new one replaces: every other on a full run, the
	 * small ones otherwise */
	doomed = g_ptr_array_new_with_free_func(g_free);
	const char *kept = merged ? merged : stem;
	for (guint i = 0; i < inv.small->len; i++)
		if (g_strcmp0(inv.small->pdata[i], kept))
			g_ptr_array_add(doomed, g_strdup(inv.small->pdata[i]));
	for (guint i = 0; merged && i < bigger->len; i++)
		if (strcmp(bigger->pdata[i], merged))
			g_ptr_array_add(doomed, g_strdup(bigger->pdata[i]));
	if (merged && stem && strcmp(stem, merged))
		g_ptr_array_add(doomed, g_strdup(stem));
	for (guint i = 0; full && i < inv.packs->len; i++)
		if (strcmp(inv.packs->pdata[i], stem))
			g_ptr_array_add(doomed, g_strdup(inv.packs->pdata[i]));
	if (full) {
		/* it would name the packs about to go */
		g_autofree char *midx = g_build_filename(pack_dir, "multi-pack-index", NULL);
		g_unlink(midx);
	}
	if (opts->doomed) {
		for (guint i = 0; i < doomed->len; i++)
			g_ptr_array_add(opts->doomed, g_strdup(doomed->pdata[i]));
	} else if (doomed->len) {
		lw_gc_delete_packs(git_dir, doomed);
		/* The handle still has the deleted packs open (and their disk
		 * space held): give it a fresh object database.  Loose objects
		 * gone, libgit2 finds the new pack by itself. */
		lw_gc_reopen(repo, git_dir, NULL);
	}
	lw_file_sync(pack_dir);
	crash_point(8);
	git_error_clear();

	struct inventory after = { 0 };
	gc_take_inventory(git_dir, &after);
	st.loose_after = after.loose->len;
	st.packs_after = after.packs->len + after.small->len + after.kept;
	st.bytes_after = after.bytes;
	if (opts->doomed) {
		/* as they will be once the caller deleted them */
		for (guint i = 0; i < doomed->len; i++) {
			g_autofree char *pk = g_strconcat(doomed->pdata[i], ".pack", NULL);
			g_autofree char *ix = g_strconcat(doomed->pdata[i], ".idx", NULL);
			GStatBuf sb;
			guint64 b = 0;
			if (g_stat(pk, &sb) == 0)
				b += (guint64)sb.st_size;
			if (g_stat(ix, &sb) == 0)
				b += (guint64)sb.st_size;
			st.bytes_after -= MIN(b, st.bytes_after);
			if (st.packs_after)
				st.packs_after--;
		}
	}
	gc_inventory_clear(&after);
	ret = 0;
	if (merge_err) {
		/* the new packs are in, the small ones gone: only the merge
		 * of the bigger ones failed (a damaged pack, a full disk) */
		g_propagate_error(error, g_steal_pointer(&merge_err));
		ret = -1;
	}
out:
	git_packbuilder_free(pb);
	if (tmp)
		gc_remove_tree(tmp);
	if (busy)
		lw_gc_busy_end(state_dir);
	gc_inventory_clear(&inv);
	if (ret == 0 && stats)
		*stats = st;
	return ret;
}
