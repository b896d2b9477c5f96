/* Reading a blog's history back for a poll (store.h lw_store_load_page):
 * what the page needs, never the whole history. */
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

/* A blob's bytes (capped); NULL with an error naming `shown`. */
git_blob *store_read_blob(struct lw_store *s, const git_oid *oid, const char *shown, GError **error)
{
	git_blob *b = NULL;
	if (git_blob_lookup(&b, s->repo, oid) < 0) {
		lw_store_git_error(error, "%s/%s: cannot read", s->path, shown);
		return NULL;
	}
	if (git_blob_rawsize(b) > LW_ENTRY_FILE_MAX) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "%s/%s: larger than %d bytes",
			    s->path, shown, LW_ENTRY_FILE_MAX);
		git_blob_free(b);
		return NULL;
	}
	return b;
}

/* ---- reading a blog's history ---- */

/* index.md lines are "- [time ]<heading>](entries/[<day>/]<id>.md)"; the
 * id is taken from the end of the line, so the heading may hold anything.
 * Adds the ids, in order, without repeats, to ids. */
static void parse_index(const char *text, gsize len, GPtrArray *ids)
{
	static const char pre[] = "(entries/", post[] = ".md)";
	g_autofree char *copy = g_strndup(text, len);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	char **lines = g_strsplit(copy, "\n", -1);
	for (char **l = lines; *l; l++) {
		gsize n = strlen(*l);
		if (n > 0 && (*l)[n - 1] == '\r')
			(*l)[--n] = '\0';
		if (strncmp(*l, "- ", 2) || n < sizeof(post) || strcmp(*l + n - (sizeof(post) - 1), post))
			continue;
		(*l)[n - (sizeof(post) - 1)] = '\0';
		char *start = g_strrstr(*l, pre);
		if (!start)
			continue;
		const char *id = start + sizeof(pre) - 1;
		const char *slash = strrchr(id, '/');
		if (slash)
			id = slash + 1;
		if (!lw_name_valid(id) || g_hash_table_contains(seen, id))
			continue;
		char *copy_id = g_strdup(id);
		g_hash_table_add(seen, copy_id);
		g_ptr_array_add(ids, copy_id);
	}
	g_strfreev(lines);
}

/* The entries tree of one blog at HEAD, with the day folders read so far
 * (libgit2 does not cache trees of more than 4 KB, and a day folder of a
 * busy blog is bigger: one read per folder per poll, not per entry). */
struct etree {
	git_tree *tree;      /* <blog>/entries, or NULL */
	GHashTable *days;    /* day -> git_tree * (NULL value: no such folder) */
};

static void etree_clear(struct etree *t)
{
	if (t->days)
		g_hash_table_unref(t->days);
	t->days = NULL;
}

static void tree_free0(gpointer p)
{
	git_tree_free(p);
}

/* The tree entry of id's file, or NULL (no file at HEAD). */
static const git_tree_entry *etree_file(struct lw_store *s, struct etree *t, struct blog_ids *ix,
					const char *id)
{
	char day[11];
	if (!t->tree || !store_ids_lookup(ix, id, day))
		return NULL;
	g_autofree char *fname = g_strconcat(id, ".md", NULL);
	const git_tree *folder = t->tree;
	if (*day) {
		if (!t->days)
			t->days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, tree_free0);
		gpointer got;
		if (!g_hash_table_lookup_extended(t->days, day, NULL, &got)) {
			const git_tree_entry *de = git_tree_entry_byname(t->tree, day);
			git_tree *dt = NULL;
			if (de && git_tree_entry_type(de) == GIT_OBJECT_TREE &&
			    git_tree_lookup(&dt, s->repo, git_tree_entry_id(de)) < 0) {
				git_error_clear();
				dt = NULL;
			}
			g_hash_table_insert(t->days, g_strdup(day), dt);
			got = dt;
		}
		folder = got;
	}
	if (!folder)
		return NULL;
	const git_tree_entry *te = git_tree_entry_byname(folder, fname);
	return te && git_tree_entry_type(te) == GIT_OBJECT_BLOB ? te : NULL;
}

/* The recorded entry `id` of blog, parsed; NULL with *error unset when
 * there is no such file at HEAD. */
static struct lw_entry *load_entry(struct lw_store *s, const char *blog, struct etree *t,
				   struct blog_ids *ix, const char *id, GError **error)
{
	const git_tree_entry *te = etree_file(s, t, ix, id);
	if (!te)
		return NULL;   /* removed from the page: the id is remembered, the file gone */
	char day[11];
	store_ids_lookup(ix, id, day);
	g_autofree char *shown = *day ? g_strdup_printf("%s/entries/%s/%s.md", blog, day, id)
				      : g_strdup_printf("%s/entries/%s.md", blog, id);
	git_blob *b = store_read_blob(s, git_tree_entry_id(te), shown, error);
	if (!b)
		return NULL;
	g_autofree char *full = g_strdup_printf("%s/%s", s->path, shown);
	struct lw_entry *e = lw_entry_from_md(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b),
					      full, error);
	git_blob_free(b);
	/* the file name is the id that matters: it is what diffs and
	 * `git log -- <file>` know the entry by */
	if (e)
		lw_entry_set(&e->id, id);
	return e;
}

/* The <blog> and <blog>/entries trees at HEAD (either may come back NULL). */
int store_blog_trees(struct lw_store *s, const char *blog, git_commit **head, git_tree **root,
		      git_tree **btree, git_tree **etree, GError **error)
{
	g_autofree char *entries_name = g_strconcat(blog, "/entries", NULL);
	*btree = *etree = NULL;
	if (store_head_tree(s, head, root, error) < 0 ||
	    store_subtree(s, *root, blog, blog, btree, error) < 0 ||
	    store_subtree(s, *btree, "entries", entries_name, etree, error) < 0)
		return -1;
	return 0;
}

/* Adds the recorded version of id to h->all (nothing when it has no
 * file at HEAD); -1 when its file cannot be read or parsed. */
static int add_recorded(struct lw_store *s, const char *blog, struct etree *t,
			struct blog_ids *ix, struct lw_record *h, const char *id, GError **error)
{
	GError *err = NULL;
	struct lw_entry *e = load_entry(s, blog, t, ix, id, &err);
	if (err) {
		g_propagate_error(error, err);
		return -1;
	}
	if (e)
		g_hash_table_replace(h->all, e->id, e);
	return 0;
}

static struct lw_record *load(struct lw_store *s, const char *blog,
			       const struct lw_snapshot *page, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL, *btree = NULL, *etree = NULL;
	struct etree t = { 0 };
	struct lw_record *h = NULL;
	g_autoptr(GPtrArray) window = g_ptr_array_new_with_free_func(g_free);

	if (!lw_name_valid(blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", blog);
		return NULL;
	}
	if (store_blog_trees(s, blog, &head, &root, &btree, &etree, error) < 0)
		goto err;
	struct blog_ids *ix = store_ids_get(s, blog, etree, error);
	if (!ix)
		goto err;
	t.tree = etree;
	h = lw_record_new();

	const git_tree_entry *ie = btree ? git_tree_entry_byname(btree, "index.md") : NULL;
	if (ie && git_tree_entry_type(ie) == GIT_OBJECT_BLOB) {
		g_autofree char *shown = g_strconcat(blog, "/index.md", NULL);
		git_blob *b = store_read_blob(s, git_tree_entry_id(ie), shown, error);
		if (!b)
			goto err;
		parse_index(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b), window);
		git_blob_free(b);
	}

	if (!page) {
		/* everything (tests, tools): every recorded file parsed */
		g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
		store_ids_foreach(ix, store_ids_collect, ids);
		for (guint i = 0; i < ids->len; i++) {
			char *line = ids->pdata[i];
			*strchr(line, ' ') = '\0';
			if (add_recorded(s, blog, &t, ix, h, line, error) < 0)
				goto err;
		}
	} else {
		/* What the page needs: an entry the page shows whose rendering
		 * is byte for byte the recorded file is unchanged, and its
		 * file is not read; the others are read to be compared. */
		for (guint i = 0; i < page->entries->len; i++) {
			const struct lw_entry *pe = page->entries->pdata[i];
			git_oid now;
			const git_tree_entry *rec = g_hash_table_contains(h->all, pe->id) ? NULL :
				etree_file(s, &t, ix, pe->id);
			if (!rec)
				continue;
			g_autofree char *md = lw_entry_to_md(pe);
			if (git_odb_hash(&now, md, strlen(md), GIT_OBJECT_BLOB) == 0 &&
			    git_oid_equal(&now, git_tree_entry_id(rec))) {
				struct lw_entry *e = lw_entry_dup(pe);
				g_hash_table_replace(h->all, e->id, e);
			} else if (add_recorded(s, blog, &t, ix, h, pe->id, error) < 0) {
				goto err;
			}
		}
		/* the previous window: what is gone from the page is read to
		 * tell a removal from paging */
		for (guint i = 0; i < window->len; i++) {
			const char *id = window->pdata[i];
			if (g_hash_table_contains(h->all, id))
				continue;
			if (add_recorded(s, blog, &t, ix, h, id, error) < 0)
				goto err;
		}
	}
	/* ids whose file is gone (a hand edit) are skipped: the window is
	 * what the page showed, files are the truth */
	for (guint i = 0; i < window->len; i++) {
		struct lw_entry *e = g_hash_table_lookup(h->all, window->pdata[i]);
		if (e)
			g_ptr_array_add(h->window, e);
	}
	goto out;
err:
	lw_record_free(h);
	h = NULL;
out:
	etree_clear(&t);
	git_tree_free(etree);
	git_tree_free(btree);
	git_tree_free(root);
	git_commit_free(head);
	return h;
}

struct lw_record *lw_store_load(struct lw_store *s, const char *blog, GError **error)
{
	return load(s, blog, NULL, error);
}

struct lw_record *lw_store_load_page(struct lw_store *s, const char *blog,
				      const struct lw_snapshot *page, GError **error)
{
	return load(s, blog, page, error);
}
