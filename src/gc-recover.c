/* Recovering after a crash: stale lock files and half-written objects
 * (gc.h lw_gc_recover). */
#include "gc-private.h"
#include "error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often lw_gc_recover() looks again for a lock file to go. */
#define LOCK_POLL_MS 50

/* Appends to out every *.lock under dir (recursively when recurse). */
static void find_locks(const char *dir, bool recurse, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		if (recurse && g_file_test(path, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
			find_locks(path, true, out);
			g_free(path);
		} else if (g_str_has_suffix(name, ".lock") &&
			   g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
			g_ptr_array_add(out, path);
		} else {
			g_free(path);
		}
	}
	g_dir_close(d);
}

/* Every git lock file: <git_dir>/NAME.lock (HEAD, index, packed-refs,
 * config, ...), and every .lock under refs/ and logs/. */
static GPtrArray *git_locks(const char *git_dir)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	find_locks(git_dir, false, out);
	g_autofree char *refs = g_build_filename(git_dir, "refs", NULL);
	g_autofree char *logs = g_build_filename(git_dir, "logs", NULL);
	find_locks(refs, true, out);
	find_locks(logs, true, out);
	return out;
}

static void removed(GPtrArray *warnings, const char *repo, const char *path, const char *what)
{
	if (warnings)
		g_ptr_array_add(warnings, g_strdup_printf("repository '%s': removed %s '%s' left by a killed livewatch",
							  repo, what, path));
}

/* livewatch's own temporary files: anything named *.tmp-* in the state
 * dir, at any depth (retry/ folders, the repack's working folder). */
static void remove_own_temp(const char *dir, const char *repo, GPtrArray *warnings)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		if (strstr(name, ".tmp-")) {
			if (gc_remove_tree(path) == 0)
				removed(warnings, repo, path, "a temporary file");
		} else if (g_file_test(path, G_FILE_TEST_IS_DIR) &&
			   !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
			remove_own_temp(path, repo, warnings);
		}
	}
	g_dir_close(d);
}

/* libgit2's half-written objects and packs. */
static void remove_git_temp(const char *git_dir, const char *repo, GPtrArray *warnings)
{
	g_autofree char *objects = g_build_filename(git_dir, "objects", NULL);
	GDir *d = g_dir_open(objects, 0, NULL);
	if (d) {
		const char *name;
		while ((name = g_dir_read_name(d))) {
			if (strlen(name) != 2 || !g_ascii_isxdigit(name[0]) || !g_ascii_isxdigit(name[1]))
				continue;
			g_autofree char *sub = g_build_filename(objects, name, NULL);
			GDir *s = g_dir_open(sub, 0, NULL);
			if (!s)
				continue;
			const char *f;
			while ((f = g_dir_read_name(s))) {
				if (!g_str_has_prefix(f, "tmp_object_git2_"))
					continue;
				g_autofree char *p = g_build_filename(sub, f, NULL);
				if (g_unlink(p) == 0)
					removed(warnings, repo, p, "a half-written object");
			}
			g_dir_close(s);
		}
		g_dir_close(d);
	}

	g_autofree char *pack = g_build_filename(objects, "pack", NULL);
	d = g_dir_open(pack, 0, NULL);
	if (!d)
		return;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(pack, name, NULL);
		bool half = g_str_has_prefix(name, "pack_git2_") || g_str_has_prefix(name, "tmp_pack_") ||
			    g_str_has_prefix(name, "tmp_idx_");
		if (!half && g_str_has_prefix(name, "pack-") && g_str_has_suffix(name, ".pack")) {
			/* moved in, but killed before its .idx followed */
			g_autofree char *stem = g_strndup(p, strlen(p) - 5);
			g_autofree char *idx = g_strconcat(stem, ".idx", NULL);
			half = !g_file_test(idx, G_FILE_TEST_EXISTS);
		}
		if (!half && g_str_has_prefix(name, "pack-") && g_str_has_suffix(name, ".idx")) {
			/* libgit2's indexer moves the .idx in first, then the .pack */
			g_autofree char *stem = g_strndup(p, strlen(p) - 4);
			g_autofree char *pk = g_strconcat(stem, ".pack", NULL);
			half = !g_file_test(pk, G_FILE_TEST_EXISTS);
		}
		if (half && g_unlink(p) == 0)
			removed(warnings, repo, p, "a half-written pack");
	}
	g_dir_close(d);
}

int lw_gc_recover(const char *git_dir, const char *state_dir, guint wait_ms, bool *dirty,
		  GPtrArray *warnings, GError **error)
{
	g_autofree char *repo = gc_repo_name(git_dir);
	g_autofree char *busy = gc_busy_path(state_dir);
	/* This process is writing (a repack on a thread): nothing here is
	 * anyone's leftover, and its locks and files are in use. */
	if (gc_busy_held_here(state_dir))
		return 0;
	bool crashed = g_file_test(busy, G_FILE_TEST_EXISTS);

	remove_own_temp(state_dir, repo, warnings);

	g_autoptr(GPtrArray) locks = git_locks(git_dir);
	if (crashed) {
		for (guint i = 0; i < locks->len; i++)
			if (g_unlink(locks->pdata[i]) == 0)
				removed(warnings, repo, locks->pdata[i], "a stale lock");
		remove_git_temp(git_dir, repo, warnings);
		if (dirty)
			*dirty = true;
		/* only once everything it covered is gone */
		g_unlink(busy);
		return 0;
	}

	/* Someone else's git is writing: give it time, never take its lock. */
	gint64 deadline = g_get_monotonic_time() + (gint64)wait_ms * 1000;
	while (locks->len > 0) {
		if (g_get_monotonic_time() >= deadline) {
			g_set_error(error, LW_ERROR, LW_ERROR_LOCKED,
				    "repository '%s': '%s' is held by another program; livewatch will not remove it",
				    repo, (char *)locks->pdata[0]);
			return -1;
		}
		g_usleep(LOCK_POLL_MS * 1000);
		g_ptr_array_unref(locks);
		locks = git_locks(git_dir);
	}
	return 0;
}
