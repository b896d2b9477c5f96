/* Reading the history back: the reader, and what its parts share
 * (history-walk.c: the log walk; history-versions.c: one entry through
 * time). */
#include "history-private.h"
#include "name.h"
#include "entry.h"
#include "error.h"
#include "git-init.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

struct lw_history_reader *lw_history_reader_open(const char *path, GError **error)
{
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "no history at '%s' (nothing has been recorded yet)", path);
		return NULL;
	}
	lw_git_init();
	/* Walking the history reads each tree twice (as a commit's and as its
	 * child's parent's); libgit2 caches no tree over 4 kB by default, and
	 * <blog>/entries/ of a long-running blog is far bigger. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)4 << 20);
	struct lw_history_reader *r = g_new0(struct lw_history_reader, 1);
	r->path = g_strdup(path);
	int rc = git_repository_open_ext(&r->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "'%s' is not a git repository", path);
		goto err;
	}
	if (rc < 0) {
		lw_store_git_error(error, "cannot open repository '%s'", path);
		goto err;
	}
	return r;
err:
	lw_history_reader_free(r);
	return NULL;
}

void lw_history_reader_free(struct lw_history_reader *r)
{
	if (!r)
		return;
	if (r->repo) {
		git_repository_free(r->repo);
		lw_git_shutdown();
	}
	g_free(r->path);
	g_free(r);
}

/* HEAD's tree, or NULL (an unborn HEAD is not an error: *tree stays NULL). */
int history_head_tree(struct lw_history_reader *r, git_tree **tree, GError **error)
{
	git_oid oid;
	git_commit *c = NULL;
	*tree = NULL;
	int rc = git_repository_head_unborn(r->repo) == 1 ? GIT_EUNBORNBRANCH :
	         git_reference_name_to_id(&oid, r->repo, "HEAD");
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_commit_lookup(&c, r->repo, &oid) < 0 || git_commit_tree(tree, c) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD", r->path);
		git_commit_free(c);
		return -1;
	}
	git_commit_free(c);
	return 0;
}

/* The tree at path under root, or NULL when there is none. */
git_tree *history_tree_at(struct lw_history_reader *r, const git_tree *root, const char *path)
{
	git_tree_entry *te = NULL;
	git_tree *t = NULL;
	if (!root || git_tree_entry_bypath(&te, root, path) < 0) {
		git_error_clear();
		return NULL;
	}
	if (git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&t, r->repo, git_tree_entry_id(te)) < 0) {
		git_error_clear();
		t = NULL;
	}
	git_tree_entry_free(te);
	return t;
}

bool lw_history_has_blog(struct lw_history_reader *r, const char *blog)
{
	git_tree *root = NULL;
	if (!lw_name_valid(blog) || history_head_tree(r, &root, NULL) < 0 || !root)
		return false;
	g_autofree char *p = g_strconcat(blog, "/entries", NULL);
	git_tree *t = history_tree_at(r, root, p);
	bool found = t != NULL;
	git_tree_free(t);
	git_tree_free(root);
	return found;
}

/* An entry file: a blob "<id>.md" with a valid id, in entries/ or in a day folder of it. */
bool history_is_entry_file(const git_tree_entry *te)
{
	const char *name = git_tree_entry_name(te);
	gsize n = strlen(name);
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || n < 4 || strcmp(name + n - 3, ".md"))
		return false;
	char id[LW_ENTRY_ID_MAX + 1];
	if (n - 3 > LW_ENTRY_ID_MAX)
		return false;
	memcpy(id, name, n - 3);
	id[n - 3] = '\0';
	return lw_name_valid(id);
}

/* A day folder's name: "YYYY-MM-DD" (DESIGN.md "The history repository"). */
static bool is_day_name(const char *name)
{
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? name[i] != '-' : !g_ascii_isdigit(name[i]))
			return false;
	return name[10] == '\0';
}

bool history_is_day_folder(const git_tree_entry *te)
{
	return git_tree_entry_type(te) == GIT_OBJECT_TREE && is_day_name(git_tree_entry_name(te));
}

/* A subtree of a tree being diffed, kept in held until the diff is done. */
int history_subtree(struct lw_history_reader *r, const git_tree_entry *te, const char *blog,
                   GPtrArray *held, git_tree **out, GError **error)
{
	if (git_tree_lookup(out, r->repo, git_tree_entry_id(te)) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s/entries/%s'", r->path,
				   blog, git_tree_entry_name(te));
		return -1;
	}
	g_ptr_array_add(held, *out);
	return 0;
}

/* What the user typed, for a message: control characters escaped (C
 * style), so that a hostile name cannot start a line of its own in a
 * log; other bytes as they are. */
static char *shown(const char *typed)
{
	char keep[129];
	for (int i = 0; i < 128; i++)
		keep[i] = (char)(0x80 + i);
	keep[128] = '\0';
	return g_strescape(typed, keep);
}

bool history_valid_names(const char *blog, const char *id, GError **error)
{
	if (!lw_name_valid(blog)) {
		g_autofree char *b = shown(blog);
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "invalid blog name '%s'", b);
		return false;
	}
	if (!lw_name_valid(id)) {
		g_autofree char *i = shown(id);
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
			    "invalid entry id '%s' (ids are letters, digits, '.', '_' and '-', "
			    "not starting with '.')", i);
		return false;
	}
	return true;
}

gint64 lw_history_parse_since(const char *text, gint64 now, GError **error)
{
	gsize n = strlen(text);
	if (n >= 2 && n <= 10 && strchr("smhdw", text[n - 1])) {
		bool digits = true;
		for (gsize i = 0; i + 1 < n; i++)
			digits = digits && g_ascii_isdigit(text[i]);
		if (digits) {
			gint64 v = g_ascii_strtoll(text, NULL, 10);
			gint64 unit = text[n - 1] == 's' ? 1 : text[n - 1] == 'm' ? 60 :
			              text[n - 1] == 'h' ? 3600 : text[n - 1] == 'd' ? 86400 : 604800;
			return MAX(now - v * unit, 0);
		}
	}
	g_autoptr(GTimeZone) local = g_time_zone_new_local();
	g_autoptr(GDateTime) dt = NULL;
	bool date = n == 10 && text[4] == '-' && text[7] == '-';
	for (gsize i = 0; i < n && date; i++)
		date = i == 4 || i == 7 || g_ascii_isdigit(text[i]);
	if (date)
		dt = g_date_time_new(local, atoi(text), atoi(text + 5), atoi(text + 8), 0, 0, 0);
	else if (n >= 16 && (text[10] == 'T' || text[10] == 't'))
		dt = g_date_time_new_from_iso8601(text, local);
	if (!dt) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
			    "bad time '%s' (use 2023-02-14, 2023-02-14T18:00:00Z, or 30m, 2h, 3d, 1w "
			    "back from now)", text);
		return -1;
	}
	return g_date_time_to_unix(dt);
}

bool history_trailer_lists(const char *message, const char *key, const char *id)
{
	git_message_trailer_array arr = { 0 };
	if (!message || git_message_trailers(&arr, message) < 0) {
		git_error_clear();
		return false;
	}
	bool found = false;
	for (size_t i = 0; i < arr.count && !found; i++) {
		if (g_ascii_strcasecmp(arr.trailers[i].key, key))
			continue;
		g_auto(GStrv) words = g_strsplit_set(arr.trailers[i].value, " \t", -1);
		found = g_strv_contains((const char *const *)words, id);
	}
	git_message_trailer_array_free(&arr);
	return found;
}

int lw_history_read_blob(struct lw_history_reader *r, const char *blob, char **out, gsize *len,
                         GError **error)
{
	git_oid oid;
	git_blob *b = NULL;
	if (git_oid_fromstr(&oid, blob) < 0 || git_blob_lookup(&b, r->repo, &oid) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read blob %s", r->path, blob);
		return -1;
	}
	if (git_blob_rawsize(b) > LW_ENTRY_FILE_MAX) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "repository '%s': blob %s is larger "
			    "than %d bytes", r->path, blob, LW_ENTRY_FILE_MAX);
		git_blob_free(b);
		return -1;
	}
	/* a NUL byte (never written by livewatch) ends the text */
	*out = g_strndup(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b));
	*len = strlen(*out);
	git_blob_free(b);
	return 0;
}

/* The entry files of one entries/ tree or day folder into fn. */
struct entries_walk {
	lw_history_entry_fn fn;
	void *data;
	guint *skipped;
	bool stop;
};

static int entries_of(struct lw_history_reader *r, const char *blog, git_tree *t, bool top,
                      struct entries_walk *w, GError **error)
{
	int n = 0;
	size_t count = git_tree_entrycount(t);
	for (size_t i = 0; i < count && !w->stop; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		if (top && history_is_day_folder(te)) {
			git_tree *day = NULL;
			g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func((GDestroyNotify)git_tree_free);
			if (history_subtree(r, te, blog, held, &day, error) < 0)
				return -1;
			int k = entries_of(r, blog, day, false, w, error);
			if (k < 0)
				return -1;
			n += k;
			continue;
		}
		if (!history_is_entry_file(te))
			continue;
		g_autofree char *text = NULL;
		gsize len = 0;
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(te));
		struct lw_entry *e = NULL;
		if (lw_history_read_blob(r, hex, &text, &len, NULL) == 0)
			e = lw_entry_from_md(text, len, git_tree_entry_name(te), NULL);
		if (!e) {
			if (w->skipped)
				(*w->skipped)++;
			continue;
		}
		w->stop = !w->fn(e, w->data);
		lw_entry_free(e);
		n++;
	}
	return n;
}

int lw_history_entries(struct lw_history_reader *r, const char *blog, lw_history_entry_fn fn,
                       void *data, guint *skipped, GError **error)
{
	if (!lw_name_valid(blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "invalid blog name '%s'", blog);
		return -1;
	}
	git_tree *root = NULL;
	if (history_head_tree(r, &root, error) < 0)
		return -1;
	g_autofree char *p = g_strconcat(blog, "/entries", NULL);
	git_tree *t = root ? history_tree_at(r, root, p) : NULL;
	struct entries_walk w = { .fn = fn, .data = data, .skipped = skipped };
	int n = t ? entries_of(r, blog, t, true, &w, error) : 0;
	git_tree_free(t);
	git_tree_free(root);
	return n;
}
