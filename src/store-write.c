/* One commit for one poll of one blog (store.h lw_store_commit): tree
 * builders for the touched day folders only. */
#include "store-private.h"
#include "error.h"
#include "file.h"
#include "gc.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* One line of index.md, without markdown-breaking characters. */
static void append_index_text(GString *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t')
			g_string_append_c(out, ' ');
		else if (*s == '[' || *s == ']' || *s == '\\')
			g_string_append_printf(out, "\\%c", *s);
		else
			g_string_append_c(out, *s);
	}
}

/* Nothing time-dependent goes in: an unchanged page gives the same bytes. */
static char *index_md(const char *blog, const struct lw_snapshot *page, struct blog_ids *ix)
{
	GString *out = g_string_new(NULL);
	g_string_append_printf(out, "# %s\n\n", blog);
	if (*page->page_title) {
		append_index_text(out, page->page_title);
		g_string_append(out, "\n\n");
	}
	g_string_append(out, "The page as last seen, newest first");
	if (*page->page_url) {
		g_string_append(out, ": <");
		append_index_text(out, page->page_url);
		g_string_append_c(out, '>');
	}
	g_string_append(out, "\n\n");
	for (guint i = 0; i < page->entries->len; i++) {
		const struct lw_entry *e = page->entries->pdata[i];
		g_autofree char *heading = lw_entry_heading(e);
		g_string_append(out, "- ");
		const char *p = e->published;
		if (strlen(p) >= 16 && p[10] == 'T') {
			g_string_append_len(out, p, 10);
			g_string_append_c(out, ' ');
			g_string_append_len(out, p + 11, 5);
			g_string_append_c(out, ' ');
		} else if (*p) {
			append_index_text(out, p);
			g_string_append_c(out, ' ');
		}
		g_string_append_c(out, '[');
		append_index_text(out, heading);
		char day[11];
		if (store_ids_lookup(ix, e->id, day) && *day)
			g_string_append_printf(out, "](entries/%s/%s.md)\n", day, e->id);
		else
			g_string_append_printf(out, "](entries/%s.md)\n", e->id);
	}
	return g_string_free(out, FALSE);
}

static bool ids_valid(const char *blog, const struct lw_commit *c, GError **error)
{
	if (!lw_name_valid(c->blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", c->blog);
		return false;
	}
	const GPtrArray *lists[] = { c->write, c->page ? c->page->entries : NULL };
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; lists[l] && i < lists[l]->len; i++) {
			const struct lw_entry *e = lists[l]->pdata[i];
			if (!lw_name_valid(e->id)) {
				g_set_error(error, LW_ERROR, LW_ERROR_STORE,
					    "%s: invalid entry id '%s'", blog, e->id);
				return false;
			}
		}
	}
	for (guint i = 0; c->remove && i < c->remove->len; i++) {
		const char *id = c->remove->pdata[i];
		if (!lw_name_valid(id)) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: invalid entry id '%s'", blog, id);
			return false;
		}
	}
	return true;
}


void store_folders_clear(struct folders *f)
{
	if (f->days)
		g_hash_table_unref(f->days);
	git_treebuilder_free(f->entries);
}

/* The builder for one day folder ("" is entries/ itself, the flat layout). */
git_treebuilder *store_folder(struct folders *f, const char *blog, const char *day,
			       GError **error)
{
	if (!*day)
		return f->entries;
	git_treebuilder *tb = g_hash_table_lookup(f->days, day);
	if (tb)
		return tb;
	git_tree *dtree = NULL;
	const git_tree_entry *te = git_treebuilder_get(f->entries, day);
	if (te && git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&dtree, f->s->repo, git_tree_entry_id(te)) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s/entries/%s'",
				   f->s->path, blog, day);
		return NULL;
	}
	int rc = git_treebuilder_new(&tb, f->s->repo, dtree);
	git_tree_free(dtree);
	if (rc < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s/entries/%s'",
				   f->s->path, blog, day);
		return NULL;
	}
	g_hash_table_insert(f->days, g_strdup(day), tb);
	return tb;
}

/* Writes the touched day folders into entries/ (an emptied one goes). */
int store_folders_write(struct folders *f, const char *blog, GError **error)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, f->days);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		git_oid oid;
		int rc;
		if (git_treebuilder_entrycount(v) > 0)
			rc = git_treebuilder_write(&oid, v) < 0 ||
			     git_treebuilder_insert(NULL, f->entries, k, &oid, GIT_FILEMODE_TREE) < 0;
		else
			rc = git_treebuilder_get(f->entries, k) && git_treebuilder_remove(f->entries, k) < 0;
		if (rc) {
			lw_store_git_error(error, "repository '%s': cannot write '%s/entries/%s'",
					   f->s->path, blog, (char *)k);
			return -1;
		}
	}
	return 0;
}

/* Puts `oid` (or nothing) as `name` into tb, dropping an emptied folder. */
int store_set_subtree(git_treebuilder *tb, const char *name, git_treebuilder *sub)
{
	git_oid oid;
	if (git_treebuilder_entrycount(sub) > 0)
		return git_treebuilder_write(&oid, sub) < 0 ||
		       git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_TREE) < 0 ? -1 : 0;
	return git_treebuilder_get(tb, name) && git_treebuilder_remove(tb, name) < 0 ? -1 : 0;
}

int lw_store_commit(struct lw_store *s, const struct lw_commit *c, char *oid_hex, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL, *btree = NULL;
	git_treebuilder *tb_b = NULL, *tb_r = NULL;
	struct folders f = { .s = s };
	git_oid oid, root_oid;
	int ret = -1;
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(store_wt_change_free);
	g_autoptr(GString) new_ids = g_string_new(NULL);
	g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);   /* ids new to the index */
	const char *blog = c->blog;

	if (!ids_valid(blog, c, error) || store_busy_hold(s, error) < 0 ||
	    store_objects_begin(s, error) < 0)
		return -1;
	guint mark = store_objects_mark(s);   /* a batch's earlier commits end there */
	g_autofree char *entries_name = g_strconcat(blog, "/entries", NULL);
	if (store_blog_trees(s, blog, &head, &root, &btree, &f.etree, error) < 0)
		goto out;
	struct blog_ids *ix = store_ids_get(s, blog, f.etree, error);
	if (!ix)
		goto out;
	f.days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				       (GDestroyNotify)git_treebuilder_free);
	if (git_treebuilder_new(&f.entries, s->repo, f.etree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, entries_name);
		goto out;
	}

	for (guint i = 0; c->write && i < c->write->len; i++) {
		const struct lw_entry *e = c->write->pdata[i];
		char day[11] = "";
		if (!store_ids_lookup(ix, e->id, day)) {
			store_entry_day(e, c->time, day);
			store_ids_add(ix, e->id, day);
			g_ptr_array_add(added, g_strdup(e->id));
			store_ids_line(new_ids, e->id, day);
		}
		git_treebuilder *tb = store_folder(&f, blog, day, error);
		if (!tb)
			goto undo;
		char *md = lw_entry_to_md(e);
		gsize len = strlen(md);
		char *path = store_entry_path(blog, day, e->id);
		g_autofree char *fname = g_strconcat(e->id, ".md", NULL);
		if (git_blob_create_from_buffer(&oid, s->repo, md, len) < 0 ||
		    git_treebuilder_insert(NULL, tb, fname, &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, path);
			g_free(md);
			g_free(path);
			goto undo;
		}
		store_wt_add(changes, path, md, len, &oid);
	}
	for (guint i = 0; c->remove && i < c->remove->len; i++) {
		const char *id = c->remove->pdata[i];
		char day[11];
		if (!store_ids_lookup(ix, id, day))
			continue;
		git_treebuilder *tb = store_folder(&f, blog, day, error);
		if (!tb)
			goto undo;
		g_autofree char *fname = g_strconcat(id, ".md", NULL);
		if (!git_treebuilder_get(tb, fname))
			continue;
		char *path = store_entry_path(blog, day, id);
		if (git_treebuilder_remove(tb, fname) < 0) {
			lw_store_git_error(error, "repository '%s': cannot remove '%s'", s->path, path);
			g_free(path);
			goto undo;
		}
		store_wt_add(changes, path, NULL, 0, NULL);
	}
	if (store_folders_write(&f, blog, error) < 0)
		goto undo;

	if (git_treebuilder_new(&tb_b, s->repo, btree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, blog);
		goto undo;
	}
	if (store_set_subtree(tb_b, "entries", f.entries) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, entries_name);
		goto undo;
	}
	if (c->page) {
		/* an entry of the page that has no file yet (only callers that
		 * skip the diff do this) is linked where it would go */
		for (guint i = 0; i < c->page->entries->len; i++) {
			const struct lw_entry *e = c->page->entries->pdata[i];
			char day[11];
			if (!store_ids_lookup(ix, e->id, day)) {
				store_entry_day(e, c->time, day);
				store_ids_add(ix, e->id, day);
				g_ptr_array_add(added, g_strdup(e->id));
				store_ids_line(new_ids, e->id, day);
			}
		}
		char *text = index_md(blog, c->page, ix);
		gsize len = strlen(text);
		if (git_blob_create_from_buffer(&oid, s->repo, text, len) < 0 ||
		    git_treebuilder_insert(NULL, tb_b, "index.md", &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s/index.md'", s->path, blog);
			g_free(text);
			goto undo;
		}
		store_wt_add(changes, g_strconcat(blog, "/index.md", NULL), text, len, &oid);
	}

	if (git_treebuilder_new(&tb_r, s->repo, root) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD's tree", s->path);
		goto undo;
	}
	if (store_set_subtree(tb_r, blog, tb_b) < 0 || git_treebuilder_write(&root_oid, tb_r) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, blog);
		goto undo;
	}

	if (root && git_oid_equal(&root_oid, git_tree_id(root))) {
		if (oid_hex)
			oid_hex[0] = '\0';
		ret = 0;
		goto undo;   /* nothing recorded: nothing new in the index either */
	}
	if (store_commit_tree(s, head, &root_oid, c->message ? c->message : "", c->time,
			changes, oid_hex, NULL, error) < 0)
		goto undo;
	ret = 0;

	/* the id index follows the new entries tree */
	{
		git_tree *nroot = NULL;
		git_tree_entry *te = NULL;
		if (git_tree_lookup(&nroot, s->repo, &root_oid) == 0 &&
		    git_tree_entry_bypath(&te, nroot, entries_name) == 0)
			ix->entries = *git_tree_entry_id(te);
		else
			memset(&ix->entries, 0, sizeof(ix->entries));
		git_error_clear();
		git_tree_entry_free(te);
		git_tree_free(nroot);
		store_ids_append(s, blog, ix, new_ids);
	}
	goto out;
undo:
	/* the ids this commit would have added were never recorded, nor
	 * its objects */
	for (guint i = 0; i < added->len; i++)
		g_hash_table_remove(ix->day, added->pdata[i]);
	store_objects_truncate(s, mark);
out:
	git_treebuilder_free(tb_r);
	git_treebuilder_free(tb_b);
	store_folders_clear(&f);
	git_tree_free(f.etree);
	git_tree_free(btree);
	git_tree_free(root);
	git_commit_free(head);
	return ret;
}
