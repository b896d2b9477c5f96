/* Moving a history written in the flat layout into day folders, in one
 * commit (DESIGN.md "The history repository"). */
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

const char store_readme_text[] =
	"# livewatch history\n"
	"\n"
	"This repository is written by livewatch, a daemon that watches news live\n"
	"blogs.  Every poll of a blog that changed anything is one commit, made at\n"
	"the time the page was fetched, touching only what changed.\n"
	"\n"
	"Layout:\n"
	"\n"
	"- `<blog>/index.md`: the page as last seen, newest entry first\n"
	"- `<blog>/entries/<YYYY-MM-DD>/<id>.md`: one file per entry ever seen, in\n"
	"  the folder of the day it was first recorded (it never moves)\n"
	"\n"
	"An entry file is its heading, a short list (id, published, updated, url)\n"
	"and the text, one paragraph after another.  A file deleted in a commit\n"
	"is an entry the page removed; entries the page merely paged out stay.\n"
	"\n"
	"Reading it:\n"
	"\n"
	"    git log --stat -- <blog>/                    what changed, poll by poll\n"
	"    git diff --name-status HEAD~1 HEAD           A = new, M = edited, D = removed\n"
	"    git log -p -- '<blog>/entries/*/<id>.md'     one entry's whole life\n"
	"\n"
	"The working tree is kept in step with the last commit; edits made here\n"
	"by hand are overwritten.  Fetch state lives in .git/livewatch/, outside\n"
	"the history.\n";

/* The blob of README.md as livewatch wrote it before day folders (the
 * flat layout's text, at e3bb431 and before): replaced when the repository
 * is moved to day folders; a README someone edited is kept. */
static const char readme_flat_blob[] = "9d61ed0af54f5b7fe1b9fff6dad1aa03ff980d26";

/* Rewrites index.md's links "(entries/<id>.md)" to "(entries/<day>/<id>.md)". */
static char *index_to_days(const char *text, gsize len, GHashTable *day_of)
{
	static const char pre[] = "(entries/", post[] = ".md)";
	g_autofree char *copy = g_strndup(text, len);
	GString *out = g_string_sized_new(len + 1024);
	char **lines = g_strsplit(copy, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (l != lines)
			g_string_append_c(out, '\n');
		gsize n = strlen(*l);
		char *start = g_strrstr(*l, pre);
		if (!strncmp(*l, "- ", 2) && start && n >= sizeof(post) &&
		    !strcmp(*l + n - (sizeof(post) - 1), post)) {
			g_autofree char *id = g_strndup(start + sizeof(pre) - 1,
							(gsize)(*l + n - (sizeof(post) - 1) - (start + sizeof(pre) - 1)));
			const char *day = g_hash_table_lookup(day_of, id);
			if (day && !strchr(id, '/')) {
				g_string_append_len(out, *l, start - *l);
				g_string_append_printf(out, "(entries/%s/%s.md)", day, id);
				continue;
			}
		}
		g_string_append(out, *l);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

/* Moves one blog's flat entry files into day folders, in tb_b (the blog
 * folder's builder).  *moved counts the files. */
static int migrate_blog(struct lw_store *s, const char *blog, git_tree *btree, gint64 when,
			git_treebuilder *tb_b, guint *moved, GError **error)
{
	git_tree *etree = NULL;
	struct folders f = { .s = s };
	g_autoptr(GHashTable) day_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	int ret = -1;
	g_autofree char *entries_name = g_strconcat(blog, "/entries", NULL);

	if (store_subtree(s, btree, "entries", entries_name, &etree, error) < 0)
		return -1;
	if (!etree)
		return 0;
	f.days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				       (GDestroyNotify)git_treebuilder_free);
	if (git_treebuilder_new(&f.entries, s->repo, etree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, entries_name);
		goto out;
	}
	size_t n = git_tree_entrycount(etree);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(etree, i);
		const char *name = git_tree_entry_name(te);
		if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || !g_str_has_suffix(name, ".md"))
			continue;
		g_autofree char *id = g_strndup(name, strlen(name) - 3);
		if (!lw_name_valid(id))
			continue;
		/* the day of its published time, else of the last poll */
		char day[11];
		struct lw_entry *e = NULL;
		git_blob *b = NULL;
		if (git_blob_lookup(&b, s->repo, git_tree_entry_id(te)) == 0 &&
		    git_blob_rawsize(b) <= LW_ENTRY_FILE_MAX)
			e = lw_entry_from_md(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b), name, NULL);
		git_blob_free(b);
		git_error_clear();
		if (!e)
			e = lw_entry_new();
		store_entry_day(e, when, day);
		lw_entry_free(e);
		git_treebuilder *tb = store_folder(&f, blog, day, error);
		if (!tb)
			goto out;
		if (git_treebuilder_insert(NULL, tb, name, git_tree_entry_id(te), GIT_FILEMODE_BLOB) < 0 ||
		    git_treebuilder_remove(f.entries, name) < 0) {
			lw_store_git_error(error, "repository '%s': cannot move '%s/%s'", s->path,
					   entries_name, name);
			goto out;
		}
		g_hash_table_replace(day_of, g_steal_pointer(&id), g_strdup(day));
	}
	if (g_hash_table_size(day_of) == 0) {
		ret = 0;
		goto out;
	}
	if (store_folders_write(&f, blog, error) < 0)
		goto out;
	if (store_set_subtree(tb_b, "entries", f.entries) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, entries_name);
		goto out;
	}
	const git_tree_entry *ie = git_tree_entry_byname(btree, "index.md");
	if (ie && git_tree_entry_type(ie) == GIT_OBJECT_BLOB) {
		g_autofree char *shown = g_strconcat(blog, "/index.md", NULL);
		git_blob *b = store_read_blob(s, git_tree_entry_id(ie), shown, error);
		if (!b)
			goto out;
		g_autofree char *text = index_to_days(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b),
						      day_of);
		git_blob_free(b);
		git_oid oid;
		if (git_blob_create_from_buffer(&oid, s->repo, text, strlen(text)) < 0 ||
		    git_treebuilder_insert(NULL, tb_b, "index.md", &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, shown);
			goto out;
		}
	}
	*moved += g_hash_table_size(day_of);
	ret = 0;
out:
	store_folders_clear(&f);
	git_tree_free(etree);
	return ret;
}

/* A repository in the flat layout (<blog>/entries/<id>.md) is moved to day
 * folders in one commit (DESIGN.md "The history repository"). */
int store_migrate(struct lw_store *s, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL;
	git_treebuilder *tb_r = NULL;
	int ret = -1;
	guint moved = 0, blogs = 0;
	g_autofree char *msg = NULL;

	if (store_head_tree(s, &head, &root, error) < 0)
		return -1;
	if (!root)
		return 0;
	gint64 when = (gint64)git_commit_time(head);
	if (git_treebuilder_new(&tb_r, s->repo, root) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD's tree", s->path);
		goto out;
	}
	size_t n = git_tree_entrycount(root);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(root, i);
		const char *blog = git_tree_entry_name(te);
		if (git_tree_entry_type(te) != GIT_OBJECT_TREE || !lw_name_valid(blog))
			continue;
		git_tree *btree = NULL;
		git_treebuilder *tb_b = NULL;
		if (git_tree_lookup(&btree, s->repo, git_tree_entry_id(te)) < 0 ||
		    git_treebuilder_new(&tb_b, s->repo, btree) < 0) {
			lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, blog);
			git_tree_free(btree);
			goto out;
		}
		guint before = moved;
		int rc = migrate_blog(s, blog, btree, when, tb_b, &moved, error);
		if (rc == 0 && moved > before) {
			blogs++;
			rc = store_set_subtree(tb_r, blog, tb_b);
			if (rc < 0)
				lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, blog);
		}
		git_treebuilder_free(tb_b);
		git_tree_free(btree);
		if (rc < 0)
			goto out;
	}
	if (moved == 0) {
		ret = 0;
		goto out;
	}
	const git_tree_entry *rm = git_tree_entry_byname(root, "README.md");
	git_oid old_readme, new_readme;
	if (rm && git_oid_fromstr(&old_readme, readme_flat_blob) == 0 &&
	    git_oid_equal(&old_readme, git_tree_entry_id(rm)) &&
	    (git_blob_create_from_buffer(&new_readme, s->repo, store_readme_text, strlen(store_readme_text)) < 0 ||
	     git_treebuilder_insert(NULL, tb_r, "README.md", &new_readme, GIT_FILEMODE_BLOB) < 0)) {
		lw_store_git_error(error, "repository '%s': cannot write README.md", s->path);
		goto out;
	}
	git_oid root_oid;
	if (git_treebuilder_write(&root_oid, tb_r) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write the moved tree", s->path);
		goto out;
	}
	msg = g_strdup_printf("livewatch: move entries into day folders\n\n"
					       "%u entr%s of %u blog%s moved to "
					       "<blog>/entries/<YYYY-MM-DD>/<id>.md; no entry changed.\n\n"
					       "Livewatch-Migration: day-folders\n",
					       moved, moved == 1 ? "y" : "ies", blogs, blogs == 1 ? "" : "s");
	if (store_commit_tree(s, head, &root_oid, msg, g_get_real_time() / G_USEC_PER_SEC, NULL, NULL,
			NULL, error) < 0)
		goto out;
	g_hash_table_remove_all(s->ids);
	store_set_warning(s, g_strdup_printf("repository '%s': moved %u entr%s into day folders "
				       "(one commit, no entry changed)", s->path, moved,
				       moved == 1 ? "y" : "ies"));
	ret = 0;
out:
	git_treebuilder_free(tb_r);
	git_tree_free(root);
	git_commit_free(head);
	return ret;
}
