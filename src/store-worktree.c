/* The working tree after a commit (store.h): the touched files written
 * directly, the paths git's index must catch up with noted for
 * lw_store_flush(), or the whole of HEAD checked out. */
#include "store-private.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

void store_wt_change_free(gpointer p)
{
	struct wt_change *c = p;
	g_free(c->path);
	g_free(c->text);
	g_free(c);
}

void store_wt_add(GPtrArray *changes, char *path, char *text, gsize len, const git_oid *blob)
{
	struct wt_change *c = g_new0(struct wt_change, 1);
	c->path = path;
	c->text = text;
	c->len = len;
	if (blob)
		git_oid_cpy(&c->blob, blob);
	g_ptr_array_add(changes, c);
}

/* Writes one file of the working tree (or deletes it, and its folder when
 * that is left empty).  Returns errno, 0 when done. */
static int wt_apply(struct lw_store *s, const struct wt_change *c)
{
	g_autofree char *full = g_build_filename(s->path, c->path, NULL);
	if (!c->text) {
		if (g_unlink(full) < 0 && errno != ENOENT)
			return errno;
		g_autofree char *dir = g_path_get_dirname(full);
		g_rmdir(dir);   /* only succeeds when empty: a day folder with no entry left */
		return 0;
	}
	g_autofree char *dir = g_path_get_dirname(full);
	if (g_mkdir_with_parents(dir, 0755) < 0)
		return errno;
	/* Written in place, no temporary file and no fsync: the working
	 * tree is a copy of HEAD, written inside the busy marker, and a
	 * livewatch killed half-way checks HEAD out again (lw_store_lock). */
	int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ELOOP) {
		/* a symlink someone put there is replaced, never written through */
		g_unlink(full);
		fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	}
	if (fd < 0)
		return errno;
	if (lw_file_write_all(fd, c->text, c->len) < 0) {
		int e = errno;
		close(fd);
		return e;
	}
	return close(fd) < 0 ? errno : 0;
}

/* The paths git's index must catch up with, one "+<blob id> path" or "-path" a line,
 * appended after each commit; lw_store_flush() applies and removes it. */
char *store_pending_path(struct lw_store *s)
{
	return g_build_filename(s->state_dir, "index-pending", NULL);
}

static void note_pending(struct lw_store *s, GPtrArray *changes)
{
	GString *lines = g_string_new(NULL);
	for (guint i = 0; i < changes->len; i++) {
		const struct wt_change *c = changes->pdata[i];
		char hex[GIT_OID_HEXSZ + 1];
		if (c->text)
			g_string_append_printf(lines, "+%s %s\n", git_oid_tostr(hex, sizeof(hex), &c->blob),
					       c->path);
		else
			g_string_append_printf(lines, "-%s\n", c->path);
	}
	g_autofree char *p = store_pending_path(s);
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || lw_file_write_all(fd, lines->str, lines->len) < 0)
		store_set_warning(s, g_strdup_printf("repository '%s': cannot note the paths git's index "
					       "must catch up with in '%s': %s", s->path, p,
					       g_strerror(errno)));
	if (fd >= 0)
		close(fd);
	g_string_free(lines, TRUE);
}

/* The whole working tree and index as HEAD has them (after a crash, or a
 * migration); the paths waiting for the index are then done. */
int store_checkout_head(struct lw_store *s)
{
	/* The checkout compares HEAD with the index as it was: files the
	 * index still lists that HEAD no longer has go (the move to day
	 * folders).  Then the index becomes HEAD's tree (entries whose blob
	 * did not change keep their stat data): a checkout alone leaves out
	 * of the index a file the working tree already holds as HEAD has it,
	 * which is what a kill between a commit and the index leaves. */
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_head(s->repo, &co) < 0)
		return -1;
	git_index *idx = NULL;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	int rc = store_head_tree(s, &head, &tree, NULL);
	if (rc == 0 && tree && (git_repository_index(&idx, s->repo) < 0 ||
				git_index_read(idx, false) < 0 ||
				git_index_read_tree(idx, tree) < 0 || git_index_write(idx) < 0))
		rc = -1;
	git_index_free(idx);
	git_tree_free(tree);
	git_commit_free(head);
	if (rc < 0)
		return -1;
	g_autofree char *p = store_pending_path(s);
	g_unlink(p);
	return 0;
}

void store_wt_follow(struct lw_store *s, const git_oid *commit_oid, GPtrArray *changes)
{
	for (guint i = 0; changes && i < changes->len; i++) {
		const struct wt_change *c = changes->pdata[i];
		int e = wt_apply(s, c);
		if (e) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), commit_oid);
			store_set_warning(s, g_strdup_printf("repository '%s': recorded commit %s but cannot "
						       "update '%s' in the working tree: %s",
						       s->path, hex, c->path, g_strerror(e)));
		}
	}
	if (changes && changes->len)
		note_pending(s, changes);
	if (!changes && store_checkout_head(s) < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), commit_oid);
		store_set_warning(s, g_strdup_printf("repository '%s': recorded commit %s but cannot "
					       "update the working tree: %s", s->path, hex,
					       git_error_last() ? git_error_last()->message : "unknown error"));
	}
}
