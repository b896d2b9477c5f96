/* One entry through time: its versions, and the id a user typed
 * (history.h lw_history_versions, lw_history_resolve_id). */
#include "history-private.h"
#include "error.h"
#include "store.h"

#include <string.h>

static void version_free(gpointer p)
{
	struct lw_history_version *v = p;
	g_free(v->text);
	g_free(v);
}

/* Finds one entry's file commit after commit, in entries/ or in any day
 * folder.  The place it was last found is tried first (an entry never
 * moves but once, from entries/ into its day folder); otherwise only the
 * day folders whose ids differ from those of the entries/ tree of the
 * last lookup are read: that lookup found the file at place (tried
 * already) or nowhere, so an unchanged folder cannot hold it. */
struct locator {
	struct lw_history_reader *r;
	char *dir;          /* "<blog>/entries" */
	char *file;         /* "<id>.md" */
	git_tree *base;     /* entries/ of the last lookup, or NULL: search everything */
	bool found;         /* the answer for base */
	git_oid blob;
	char place[11];     /* day folder of the last hit, "" for entries/ itself */
	bool placed;        /* place is set (it stays set when the file is gone) */
};

static void locator_init(struct locator *loc, struct lw_history_reader *r, const char *blog,
                         const char *id)
{
	*loc = (struct locator){ .r = r };
	loc->dir = g_strconcat(blog, "/entries", NULL);
	loc->file = g_strconcat(id, ".md", NULL);
}

static void locator_clear(struct locator *loc)
{
	git_tree_free(loc->base);
	g_free(loc->dir);
	g_free(loc->file);
}

/* "<blog>/entries/[<day>/]<id>.md" where the last lookup found the file. */
static char *locator_path(const struct locator *loc)
{
	return g_strconcat(loc->dir, "/", loc->place, *loc->place ? "/" : "", loc->file, NULL);
}

/* Looks for the file in entries/<day> (day "": entries/ itself): 1 found
 * (its blob id in *out), 0 not there, -1 on a tree that cannot be read. */
static int find_in(struct locator *loc, const git_tree *entries, const char *day, git_oid *out,
                   GError **error)
{
	const git_tree_entry *te;
	git_tree *sub = NULL;
	int ret = 0;
	if (*day) {
		te = git_tree_entry_byname(entries, day);
		if (!te || git_tree_entry_type(te) != GIT_OBJECT_TREE)
			return 0;
		if (git_tree_lookup(&sub, loc->r->repo, git_tree_entry_id(te)) < 0) {
			lw_store_git_error(error, "repository '%s': cannot read '%s/%s'", loc->r->path,
					   loc->dir, day);
			return -1;
		}
		entries = sub;
	}
	te = git_tree_entry_byname(entries, loc->file);
	if (te && git_tree_entry_type(te) == GIT_OBJECT_BLOB) {
		git_oid_cpy(out, git_tree_entry_id(te));
		ret = 1;
	}
	git_tree_free(sub);
	return ret;
}

/* Whether commit c holds the file (its blob id in *out).  -1 with an
 * error when a tree on the way cannot be read. */
static int locate(struct locator *loc, git_commit *c, bool *found, git_oid *out, GError **error)
{
	git_tree *root = NULL, *entries = NULL;
	git_tree_entry *te = NULL;
	int ret = -1;
	*found = false;
	if (git_commit_tree(&root, c) < 0)
		goto unreadable;
	int rc = git_tree_entry_bypath(&te, root, loc->dir);
	if (rc == GIT_ENOTFOUND || (rc == 0 && git_tree_entry_type(te) != GIT_OBJECT_TREE)) {
		/* no entries/ at all: the next lookup starts afresh */
		git_error_clear();
		git_tree_free(loc->base);
		loc->base = NULL;
		loc->found = false;
		ret = 0;
		goto out;
	}
	if (rc < 0)
		goto unreadable;
	if (loc->base && git_oid_equal(git_tree_entry_id(te), git_tree_id(loc->base))) {
		*found = loc->found;
		git_oid_cpy(out, &loc->blob);
		ret = 0;
		goto out;
	}
	if (git_tree_lookup(&entries, loc->r->repo, git_tree_entry_id(te)) < 0)
		goto unreadable;
	/* the place it was last seen, then entries/ itself, then the day
	 * folders that changed */
	rc = loc->placed ? find_in(loc, entries, loc->place, out, error) : 0;
	if (rc == 0 && (!loc->placed || *loc->place)) {
		rc = find_in(loc, entries, "", out, error);
		if (rc > 0) {
			loc->place[0] = '\0';
			loc->placed = true;
		}
	}
	for (size_t i = 0, n = git_tree_entrycount(entries); rc == 0 && i < n; i++) {
		const git_tree_entry *day = git_tree_entry_byindex(entries, i);
		const char *name = git_tree_entry_name(day);
		if (!history_is_day_folder(day) || (loc->placed && !strcmp(name, loc->place)))
			continue;
		const git_tree_entry *before = loc->base ? git_tree_entry_byname(loc->base, name) : NULL;
		if (before && git_oid_equal(git_tree_entry_id(before), git_tree_entry_id(day)))
			continue;
		rc = find_in(loc, entries, name, out, error);
		if (rc > 0) {
			g_strlcpy(loc->place, name, sizeof(loc->place));
			loc->placed = true;
		}
	}
	if (rc < 0)
		goto out;
	*found = rc > 0;
	git_tree_free(loc->base);
	loc->base = g_steal_pointer(&entries);
	loc->found = *found;
	if (*found)
		git_oid_cpy(&loc->blob, out);
	ret = 0;
	goto out;
unreadable:
	{
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		lw_store_git_error(error, "repository '%s': cannot read '%s' in commit %s",
				   loc->r->path, loc->dir, hex);
	}
out:
	git_tree_entry_free(te);
	git_tree_free(entries);
	git_tree_free(root);
	return ret;
}

/* Walks oldest first; with stop_at_first, returns after the first version. */
static GPtrArray *versions(struct lw_history_reader *r, const char *blog, const char *id,
                           bool stop_at_first, GError **error)
{
	struct locator loc;
	GPtrArray *out = g_ptr_array_new_with_free_func(version_free);
	git_revwalk *walk = NULL;
	git_oid oid, prev_commit, prev_blob, last_blob;
	bool seen = false, have_prev = false, prev_has = false, last_has = false;

	locator_init(&loc, r, blog, id);
	if (git_revwalk_new(&walk, r->repo) < 0) {
		lw_store_git_error(error, "repository '%s': cannot walk the history", r->path);
		goto err;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE);
	int rc = git_repository_head_unborn(r->repo) == 1 ? GIT_EUNBORNBRANCH :
	         git_revwalk_push_head(walk);
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		git_error_clear();
		goto done;
	}
	if (rc < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD", r->path);
		goto err;
	}
	while ((rc = git_revwalk_next(&oid, walk)) == 0 && out->len < LW_HISTORY_VERSIONS_MAX) {
		git_commit *c = NULL, *parent = NULL;
		if (git_commit_lookup(&c, r->repo, &oid) < 0) {
			lw_store_git_error(error, "repository '%s': cannot read a commit", r->path);
			goto err;
		}
		git_oid now, before;
		bool has_now = false, had = false;
		const git_oid *pid = git_commit_parentcount(c) > 0 ? git_commit_parent_id(c, 0) : NULL;
		if (pid && have_prev && git_oid_equal(pid, &prev_commit)) {
			/* the usual case: the parent was the commit before */
			had = prev_has;
			git_oid_cpy(&before, &prev_blob);
		} else if (pid) {
			/* the parent first, so that c is then looked up against it */
			if (git_commit_lookup(&parent, r->repo, pid) < 0) {
				lw_store_git_error(error, "repository '%s': cannot read a commit", r->path);
				git_commit_free(c);
				goto err;
			}
			rc = locate(&loc, parent, &had, &before, error);
			git_commit_free(parent);
			if (rc < 0) {
				git_commit_free(c);
				goto err;
			}
		}
		if (locate(&loc, c, &has_now, &now, error) < 0) {
			git_commit_free(c);
			goto err;
		}
		have_prev = true;
		git_oid_cpy(&prev_commit, &oid);
		prev_has = has_now;
		if (has_now)
			git_oid_cpy(&prev_blob, &now);
		/* A version is a change against the first parent that is also a
		 * change against the last version listed: a merge bringing in a
		 * file already seen on its branch is not a new version.  The
		 * file is followed by id, so its move into a day folder is none. */
		bool same_as_parent = has_now == had && (!has_now || git_oid_equal(&now, &before));
		bool same_as_last = has_now == last_has && (!has_now || git_oid_equal(&now, &last_blob));
		if (same_as_parent || same_as_last) {
			git_commit_free(c);
			continue;
		}
		last_has = has_now;
		if (has_now)
			git_oid_cpy(&last_blob, &now);
		struct lw_history_version *v = g_new0(struct lw_history_version, 1);
		git_oid_tostr(v->commit, sizeof(v->commit), &oid);
		v->time = (gint64)git_commit_time(c);
		g_ptr_array_add(out, v);
		if (!has_now) {
			git_commit_free(c);
			v->kind = LW_VERSION_REMOVED;
			continue;
		}
		v->kind = had && seen ? LW_VERSION_EDITED : seen ? LW_VERSION_RESTORED : LW_VERSION_ADDED;
		v->stealth = v->kind == LW_VERSION_EDITED &&
		             history_trailer_lists(git_commit_message(c), "Livewatch-Stealth", id);
		git_commit_free(c);
		seen = true;
		git_blob *b = NULL;
		g_autofree char *path = locator_path(&loc);
		if (git_blob_lookup(&b, r->repo, &now) < 0) {
			lw_store_git_error(error, "%s/%s: cannot read version %s", r->path, path, v->commit);
			goto err;
		}
		if (git_blob_rawsize(b) > LW_ENTRY_FILE_MAX) {
			g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "%s/%s: version %s is larger "
				    "than %d bytes", r->path, path, v->commit, LW_ENTRY_FILE_MAX);
			git_blob_free(b);
			goto err;
		}
		/* a NUL byte (never written by livewatch) ends the text */
		v->text = g_strndup(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b));
		v->len = strlen(v->text);
		git_blob_free(b);
		if (stop_at_first)
			break;
	}
	if (rc < 0 && rc != GIT_ITEROVER) {
		lw_store_git_error(error, "repository '%s': cannot walk the history", r->path);
		goto err;
	}
	git_error_clear();
done:
	git_revwalk_free(walk);
	locator_clear(&loc);
	return out;
err:
	git_revwalk_free(walk);
	locator_clear(&loc);
	g_ptr_array_unref(out);
	return NULL;
}

GPtrArray *lw_history_versions(struct lw_history_reader *r, const char *blog, const char *id,
                               GError **error)
{
	if (!history_valid_names(blog, id, error))
		return NULL;
	return versions(r, blog, id, false, error);
}

static gint str_ptr_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Up to this many candidates are named in an error. */
#define CANDIDATES_SHOWN 10

static char *join_candidates(GPtrArray *c)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < c->len && i < CANDIDATES_SHOWN; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)c->pdata[i]);
	if (c->len > CANDIDATES_SHOWN)
		g_string_append_printf(s, " and %u more", c->len - CANDIDATES_SHOWN);
	return g_string_free(s, FALSE);
}

/* The ids of the entry files in one folder (entries/ or a day folder of
 * it) into the lists of resolve_id: exact (found), starting with id, or
 * holding it.  An id seen twice (in two places) is listed once. */
static void match_ids(const git_tree *t, const char *id, const char *file, bool *found,
                      GHashTable *listed, GPtrArray *prefixed, GPtrArray *similar)
{
	for (size_t i = 0, n = git_tree_entrycount(t); i < n && !*found; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(te);
		if (!history_is_entry_file(te))
			continue;
		if (!strcmp(name, file)) {
			*found = true;
		} else if (g_hash_table_contains(listed, name)) {
			continue;
		} else if (g_str_has_prefix(name, id)) {
			g_ptr_array_add(prefixed, g_strndup(name, strlen(name) - 3));
			g_hash_table_add(listed, (char *)name);
		} else if (strlen(id) >= 4 && strstr(name, id)) {
			g_ptr_array_add(similar, g_strndup(name, strlen(name) - 3));
			g_hash_table_add(listed, (char *)name);
		}
	}
}

char *lw_history_resolve_id(struct lw_history_reader *r, const char *blog, const char *id,
                            GError **error)
{
	git_tree *root = NULL, *entries = NULL;
	g_autoptr(GPtrArray) prefixed = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) similar = g_ptr_array_new_with_free_func(g_free);
	/* names borrowed from the trees in held */
	g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func((GDestroyNotify)git_tree_free);
	g_autofree char *file = NULL, *dir = NULL;
	bool found = false;

	if (!history_valid_names(blog, id, error))
		return NULL;
	if (history_head_tree(r, &root, error) < 0)
		return NULL;
	dir = g_strconcat(blog, "/entries", NULL);
	entries = history_tree_at(r, root, dir);
	git_tree_free(root);
	file = g_strconcat(id, ".md", NULL);
	if (entries) {
		g_ptr_array_add(held, entries);
		match_ids(entries, id, file, &found, listed, prefixed, similar);
	}
	for (size_t i = 0, n = entries ? git_tree_entrycount(entries) : 0; i < n && !found; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(entries, i);
		git_tree *day = NULL;
		if (!history_is_day_folder(te))
			continue;
		if (history_subtree(r, te, blog, held, &day, error) < 0)
			return NULL;
		match_ids(day, id, file, &found, listed, prefixed, similar);
	}
	if (found)
		return g_strdup(id);
	if (prefixed->len == 1)
		return g_strdup(prefixed->pdata[0]);
	if (prefixed->len > 1) {
		g_ptr_array_sort(prefixed, str_ptr_cmp);
		g_autofree char *list = join_candidates(prefixed);
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
			    "entry id '%s' is ambiguous in blog '%s': %s", id, blog, list);
		return NULL;
	}
	/* not at HEAD: an entry removed for good still has its past */
	g_autoptr(GPtrArray) past = versions(r, blog, id, true, error);
	if (!past)
		return NULL;
	if (past->len > 0)
		return g_strdup(id);
	if (similar->len > 0) {
		g_ptr_array_sort(similar, str_ptr_cmp);
		g_autofree char *list = join_candidates(similar);
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
			    "no entry '%s' in blog '%s' (did you mean %s?)", id, blog, list);
	} else {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "no entry '%s' in blog '%s'", id, blog);
	}
	return NULL;
}
