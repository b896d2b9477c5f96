/* Reading the history back: log walk, versions of one entry, word diff. */
#include "history.h"
#include "entry.h"
#include "error.h"
#include "store.h"

#include <git2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Same cap as the store's: an entry file is never read past it. */
#define ENTRY_FILE_MAX (16 * 1024 * 1024)

struct lw_history_reader {
	git_repository *repo;
	char *path;
	const char *message;  /* of the livewatch commit being diffed, else NULL */
};

struct lw_history_reader *lw_history_reader_open(const char *path, GError **error)
{
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "no history at '%s' (nothing has been recorded yet)", path);
		return NULL;
	}
	git_libgit2_init();
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
		git_libgit2_shutdown();
	}
	g_free(r->path);
	g_free(r);
}

/* HEAD's tree, or NULL (an unborn HEAD is not an error: *tree stays NULL). */
static int head_tree(struct lw_history_reader *r, git_tree **tree, GError **error)
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
static git_tree *tree_at(struct lw_history_reader *r, const git_tree *root, const char *path)
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
	if (!lw_store_name_valid(blog) || head_tree(r, &root, NULL) < 0 || !root)
		return false;
	g_autofree char *p = g_strconcat(blog, "/entries", NULL);
	git_tree *t = tree_at(r, root, p);
	bool found = t != NULL;
	git_tree_free(t);
	git_tree_free(root);
	return found;
}

/* ---- the log walk ---- */

static void change_free(gpointer p)
{
	struct lw_history_change *c = p;
	g_free(c->id);
	g_free(c->title);
	g_free(c->published);
	g_free(c);
}

static struct lw_history_poll *poll_new(const char *blog)
{
	struct lw_history_poll *p = g_new0(struct lw_history_poll, 1);
	p->blog = g_strdup(blog);
	p->changes = g_ptr_array_new_with_free_func(change_free);
	p->alert_rules = g_ptr_array_new_with_free_func(g_free);
	p->alert_counts = g_array_new(FALSE, FALSE, sizeof(guint));
	return p;
}

static void poll_free(gpointer data)
{
	struct lw_history_poll *p = data;
	g_free((char *)p->blog);
	g_ptr_array_unref(p->changes);
	g_ptr_array_unref(p->alert_rules);
	g_array_unref(p->alert_counts);
	g_free(p);
}

static int kind_rank(char k)
{
	return k == 'A' ? 0 : k == 'R' ? 1 : k == 'M' ? 2 : 3;
}

static gint change_cmp(gconstpointer a, gconstpointer b)
{
	const struct lw_history_change *x = *(struct lw_history_change *const *)a;
	const struct lw_history_change *y = *(struct lw_history_change *const *)b;
	if (kind_rank(x->kind) != kind_rank(y->kind))
		return kind_rank(x->kind) - kind_rank(y->kind);
	int c = strcmp(y->published, x->published);  /* RFC 3339 UTC sorts as text */
	return c ? c : strcmp(x->id, y->id);
}

/* Title and published time of an entry blob; "" for what cannot be read
 * (a hand-written file is no reason to stop the log). */
/* Reads c's title and published time from the file; returns the heading
 * livewatch gives the entry (its title, or its first words), or NULL. */
static char *read_heading(struct lw_history_reader *r, const git_oid *oid, const char *path,
                          struct lw_history_change *c)
{
	char *heading = NULL;
	git_blob *b = NULL;
	c->title = NULL;
	c->published = NULL;
	if (git_blob_lookup(&b, r->repo, oid) == 0 && git_blob_rawsize(b) <= ENTRY_FILE_MAX) {
		struct lw_entry *e = lw_entry_from_md(git_blob_rawcontent(b),
						      (gsize)git_blob_rawsize(b), path, NULL);
		if (e) {
			c->readable = true;
			c->title = g_strdup(e->title);
			c->published = g_strdup(e->published);
			heading = lw_entry_heading(e);
			lw_entry_free(e);
		}
	}
	git_error_clear();
	git_blob_free(b);
	if (!c->title)
		c->title = g_strdup("");
	if (!c->published)
		c->published = g_strdup("");
	return heading;
}

/* "bakhmut=1 leopard=2" into the poll's alert arrays; malformed words are skipped. */
static void parse_alerts(struct lw_history_poll *p, const char *value)
{
	g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
	for (char **w = words; *w; w++) {
		char *eq = strrchr(*w, '=');
		if (!eq || eq == *w || !g_utf8_validate(*w, -1, NULL))
			continue;
		char *end = NULL;
		guint64 n = g_ascii_strtoull(eq + 1, &end, 10);
		if (!eq[1] || *end || n > G_MAXUINT)
			continue;
		guint count = (guint)n;
		g_ptr_array_add(p->alert_rules, g_strndup(*w, (gsize)(eq - *w)));
		g_array_append_val(p->alert_counts, count);
	}
}

struct trailers {
	char *blog;    /* NULL: not a livewatch commit */
	char *alerts;
	bool migration;  /* a Livewatch-Migration trailer: the writer moved files, nothing changed */
};

static void read_trailers(const char *message, struct trailers *t)
{
	git_message_trailer_array arr = { 0 };
	t->blog = t->alerts = NULL;
	t->migration = false;
	if (!message || git_message_trailers(&arr, message) < 0) {
		git_error_clear();
		return;
	}
	for (size_t i = 0; i < arr.count; i++) {
		if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Blog") && !t->blog)
			t->blog = g_strstrip(g_strdup(arr.trailers[i].value));
		else if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Alerts") && !t->alerts)
			t->alerts = g_strdup(arr.trailers[i].value);
		else if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Migration"))
			t->migration = true;
	}
	git_message_trailer_array_free(&arr);
}

/* The message line lw_diff_message() writes for a restored entry:
 * "+ HH:MM heading (restored)". */
static bool listed_restored(const char *message, const struct lw_history_change *c,
                            const char *heading)
{
	const char *pub = c->published;
	g_autofree char *line = g_strdup_printf("\n+ %.5s%s%s (restored)\n",
						strlen(pub) >= 16 && pub[10] == 'T' ? pub + 11 : "",
						strlen(pub) >= 16 && pub[10] == 'T' ? " " : "", heading);
	return strstr(message, line) != NULL;
}

/* te is the file <id>.md in entries/<day>/ (day NULL: in entries/ itself). */
static void add_change(struct lw_history_reader *r, GHashTable *polls, const char *blog,
                       char kind, const git_tree_entry *te, const char *day)
{
	const char *name = git_tree_entry_name(te);
	g_autofree char *id = g_strndup(name, strlen(name) - 3);
	struct lw_history_poll *p = g_hash_table_lookup(polls, blog);
	if (!p) {
		p = poll_new(blog);
		g_hash_table_insert(polls, (char *)p->blog, p);
	}
	struct lw_history_change *ch = g_new0(struct lw_history_change, 1);
	ch->kind = kind;
	g_autofree char *path = g_strdup_printf("%s/entries/%s%s%s", blog, day ? day : "",
						day ? "/" : "", name);
	g_autofree char *heading = read_heading(r, git_tree_entry_id(te), path, ch);
	ch->id = g_steal_pointer(&id);
	g_ptr_array_add(p->changes, ch);
	if (kind == 'A' && heading && r->message && listed_restored(r->message, ch, heading)) {
		ch->kind = 'R';
		p->n_restored++;
	} else if (kind == 'A')
		p->n_new++;
	else if (kind == 'M')
		p->n_edited++;
	else
		p->n_removed++;
}

/* An entry file: a blob "<id>.md" with a valid id, in entries/ or in a day folder of it. */
static bool is_entry_file(const git_tree_entry *te)
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
	return lw_store_name_valid(id);
}

/* A day folder's name: "YYYY-MM-DD" (DESIGN.md "The history repository"). */
static bool is_day_name(const char *name)
{
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? name[i] != '-' : !g_ascii_isdigit(name[i]))
			return false;
	return name[10] == '\0';
}

static bool is_day_folder(const git_tree_entry *te)
{
	return git_tree_entry_type(te) == GIT_OBJECT_TREE && is_day_name(git_tree_entry_name(te));
}

/* git's order of tree entries: by name, a folder's name as if it ended in '/'. */
static int entry_cmp(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	size_t la = strlen(a), lb = strlen(b), n = MIN(la, lb);
	int c = memcmp(a, b, n);
	if (c)
		return c;
	int ca = la > n ? (guchar)a[n] : git_tree_entry_type(x) == GIT_OBJECT_TREE ? '/' : 0;
	int cb = lb > n ? (guchar)b[n] : git_tree_entry_type(y) == GIT_OBJECT_TREE ? '/' : 0;
	return ca - cb;
}

/* The entries/ tree of a blog in root, or NULL. */
static git_tree *entries_tree(struct lw_history_reader *r, const git_tree *root, const char *blog)
{
	if (!root)
		return NULL;
	g_autofree char *path = g_strconcat(blog, "/entries", NULL);
	return tree_at(r, root, path);
}

/* An entry file that differs between two entries/ trees, before moves are paired. */
struct raw_change {
	char kind;                  /* 'A', 'M', 'D'; 0 once paired into a move */
	const git_tree_entry *te;   /* the file (the old one for D), owned by a tree in held */
	const char *day;            /* its day folder, NULL in entries/ itself */
};

/* A subtree of a tree being diffed, kept in held until the diff is done. */
static int subtree(struct lw_history_reader *r, const git_tree_entry *te, const char *blog,
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

/* Merge-walks two entries/ trees (day NULL) or two folders of one day
 * (either side may be NULL), collecting the entry files that differ.  A
 * day folder whose id is the same on both sides is not read. */
static int diff_entries(struct lw_history_reader *r, const char *blog, const git_tree *a,
                        const git_tree *b, const char *day, GArray *raws, GPtrArray *held,
                        GError **error)
{
	size_t na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		const git_tree_entry *x = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *y = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int cmp = !x ? 1 : !y ? -1 : entry_cmp(x, y);
		const git_tree_entry *was = cmp <= 0 ? x : NULL, *now = cmp >= 0 ? y : NULL;
		i += cmp <= 0;
		j += cmp >= 0;
		if (was && now && git_oid_equal(git_tree_entry_id(was), git_tree_entry_id(now)))
			continue;
		if (!day && ((was && is_day_folder(was)) || (now && is_day_folder(now)))) {
			/* both are day folders when either is: equal names sort apart
			 * when only one is a folder */
			git_tree *da = NULL, *db = NULL;
			if ((was && subtree(r, was, blog, held, &da, error) < 0) ||
			    (now && subtree(r, now, blog, held, &db, error) < 0) ||
			    diff_entries(r, blog, da, db, git_tree_entry_name(was ? was : now), raws,
					 held, error) < 0)
				return -1;
			continue;
		}
		bool old_file = was && is_entry_file(was), new_file = now && is_entry_file(now);
		struct raw_change rc = { .day = day };
		if (old_file && new_file)
			rc.kind = 'M', rc.te = now;
		else if (old_file)
			rc.kind = 'D', rc.te = was;
		else if (new_file)
			rc.kind = 'A', rc.te = now;
		else
			continue;
		g_array_append_val(raws, rc);
	}
	return 0;
}

/* The changes to one blog's entry files between two root trees (either
 * may be NULL).  Comparing ids of trees first skips what did not change,
 * as git does: a commit usually touches one blog, one or two day folders
 * and a few files.  An id removed from one place and added at another
 * (flat to a day folder) was moved, which changes nothing. */
static int diff_blog(struct lw_history_reader *r, const git_tree *old_root,
                     const git_tree *new_root, const char *blog, GHashTable *polls,
                     GError **error)
{
	git_tree *a = entries_tree(r, old_root, blog), *b = entries_tree(r, new_root, blog);
	g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func((GDestroyNotify)git_tree_free);
	g_autoptr(GArray) raws = g_array_new(FALSE, FALSE, sizeof(struct raw_change));
	if (a)
		g_ptr_array_add(held, a);
	if (b)
		g_ptr_array_add(held, b);
	if (a && b && git_oid_equal(git_tree_id(a), git_tree_id(b)))
		return 0;
	if (diff_entries(r, blog, a, b, NULL, raws, held, error) < 0)
		return -1;
	g_autoptr(GHashTable) removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint k = 0; k < raws->len; k++) {
		struct raw_change *rc = &g_array_index(raws, struct raw_change, k);
		const char *name = git_tree_entry_name(rc->te);
		if (rc->kind == 'D')
			g_hash_table_insert(removed, g_strndup(name, strlen(name) - 3), rc);
	}
	for (guint k = 0; k < raws->len && g_hash_table_size(removed) > 0; k++) {
		struct raw_change *rc = &g_array_index(raws, struct raw_change, k);
		const char *name = git_tree_entry_name(rc->te);
		if (rc->kind != 'A')
			continue;
		g_autofree char *id = g_strndup(name, strlen(name) - 3);
		struct raw_change *gone = g_hash_table_lookup(removed, id);
		if (gone) {
			gone->kind = rc->kind = 0;
			g_hash_table_remove(removed, id);
		}
	}
	for (guint k = 0; k < raws->len; k++) {
		const struct raw_change *rc = &g_array_index(raws, struct raw_change, k);
		if (rc->kind)
			add_change(r, polls, blog, rc->kind, rc->te, rc->day);
	}
	return 0;
}

/* Groups the entry changes of one commit (against its first parent) by blog. */
static int diff_commit(struct lw_history_reader *r, git_commit *c, const char *only_blog,
                       GHashTable *polls, GError **error)
{
	git_tree *tree = NULL, *ptree = NULL;
	git_commit *parent = NULL;
	int ret = -1;

	if (git_commit_tree(&tree, c) < 0 ||
	    (git_commit_parentcount(c) > 0 &&
	     (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0))) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		lw_store_git_error(error, "repository '%s': cannot read commit %s", r->path, hex);
		goto out;
	}
	if (only_blog) {
		if (diff_blog(r, ptree, tree, only_blog, polls, error) < 0)
			goto out;
	} else if (!ptree || !git_oid_equal(git_tree_id(ptree), git_tree_id(tree))) {
		/* every top-level folder that differs, in either tree */
		const git_tree *roots[2] = { tree, ptree };
		g_autoptr(GHashTable) done = g_hash_table_new(g_str_hash, g_str_equal);
		for (int side = 0; side < 2; side++) {
			size_t n = roots[side] ? git_tree_entrycount(roots[side]) : 0;
			for (size_t i = 0; i < n; i++) {
				const git_tree_entry *te = git_tree_entry_byindex(roots[side], i);
				const char *name = git_tree_entry_name(te);
				if (git_tree_entry_type(te) != GIT_OBJECT_TREE || !lw_store_name_valid(name) ||
				    g_hash_table_contains(done, name))
					continue;
				g_hash_table_add(done, (char *)name);
				const git_tree_entry *other = roots[1 - side] ?
					git_tree_entry_byname(roots[1 - side], name) : NULL;
				if (other && git_oid_equal(git_tree_entry_id(te), git_tree_entry_id(other)))
					continue;
				if (diff_blog(r, ptree, tree, name, polls, error) < 0)
					goto out;
			}
		}
	}
	ret = 0;
out:
	git_tree_free(ptree);
	git_commit_free(parent);
	git_tree_free(tree);
	return ret;
}

int lw_history_walk(struct lw_history_reader *r, const struct lw_history_filter *f,
                    lw_history_poll_fn fn, void *data, GError **error)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int count = 0;
	const char *only = f && f->blog ? f->blog : NULL;
	gint64 since = f ? f->since : 0;

	if (only && !lw_store_name_valid(only)) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "invalid blog name '%s'", only);
		return -1;
	}
	if (git_revwalk_new(&walk, r->repo) < 0) {
		lw_store_git_error(error, "repository '%s': cannot walk the history", r->path);
		return -1;
	}
	/* topological first: commits of one second must not swap */
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	int rc = git_repository_head_unborn(r->repo) == 1 ? GIT_EUNBORNBRANCH :
	         git_revwalk_push_head(walk);
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		git_error_clear();
		git_revwalk_free(walk);
		return 0;
	}
	if (rc < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD", r->path);
		git_revwalk_free(walk);
		return -1;
	}
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->repo, &oid) < 0) {
			lw_store_git_error(error, "repository '%s': cannot read a commit", r->path);
			count = -1;
			break;
		}
		gint64 when = (gint64)git_commit_time(c);
		if (since && when < since) {
			git_commit_free(c);
			break;
		}
		struct trailers t;
		read_trailers(git_commit_message(c), &t);
		if (t.migration) {
			/* the writer moving entry files into day folders: nothing
			 * changed, and its diff would read every folder of every blog */
			g_free(t.blog);
			g_free(t.alerts);
			git_commit_free(c);
			continue;
		}
		bool lw = t.blog && lw_store_name_valid(t.blog);
		g_autoptr(GHashTable) polls = g_hash_table_new_full(g_str_hash, g_str_equal,
								    NULL, poll_free);
		bool keep_going = true;
		/* A livewatch commit of another blog is skipped without a diff. */
		r->message = lw ? git_commit_message(c) : NULL;
		int diffed = !(lw && only && strcmp(t.blog, only)) ?
			     diff_commit(r, c, only, polls, error) : 0;
		r->message = NULL;
		if (diffed < 0) {
			count = -1;
			keep_going = false;
		}
		if (count >= 0 && lw && (!only || !strcmp(t.blog, only)) &&
		    !g_hash_table_contains(polls, t.blog)) {
			struct lw_history_poll *p = poll_new(t.blog);
			g_hash_table_insert(polls, (char *)p->blog, p);
		}
		/* the commit's own blog first, then the others by name */
		g_autoptr(GList) blogs = g_list_sort(g_hash_table_get_keys(polls), (GCompareFunc)strcmp);
		if (lw && g_hash_table_contains(polls, t.blog)) {
			GList *own = g_list_find_custom(blogs, t.blog, (GCompareFunc)strcmp);
			blogs = g_list_remove_link(blogs, own);
			blogs = g_list_concat(own, blogs);
		}
		const char *msg = git_commit_message(c);
		g_autofree char *summary = g_strndup(msg ? msg : "", msg ? strcspn(msg, "\n") : 0);
		for (GList *l = blogs; l && keep_going && count >= 0; l = l->next) {
			struct lw_history_poll *p = g_hash_table_lookup(polls, l->data);
			git_oid_tostr(p->commit, sizeof(p->commit), &oid);
			p->time = when;
			p->summary = summary;
			p->livewatch = lw && !strcmp(p->blog, t.blog);
			if (p->livewatch && t.alerts)
				parse_alerts(p, t.alerts);
			g_ptr_array_sort(p->changes, change_cmp);
			count++;
			keep_going = fn(p, data);
		}
		g_free(t.blog);
		g_free(t.alerts);
		git_commit_free(c);
		if (!keep_going || count < 0)
			break;
	}
	if (rc < 0 && rc != GIT_ITEROVER && count >= 0) {
		lw_store_git_error(error, "repository '%s': cannot walk the history", r->path);
		count = -1;
	}
	git_error_clear();
	git_revwalk_free(walk);
	return count;
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

/* ---- one entry through time ---- */

static bool valid_names(const char *blog, const char *id, GError **error)
{
	if (!lw_store_name_valid(blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED, "invalid blog name '%s'", blog);
		return false;
	}
	if (!lw_store_name_valid(id)) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
			    "invalid entry id '%s' (ids are letters, digits, '.', '_' and '-', "
			    "not starting with '.')", id);
		return false;
	}
	return true;
}

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
		if (!is_day_folder(day) || (loc->placed && !strcmp(name, loc->place)))
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
		git_commit_free(c);
		g_ptr_array_add(out, v);
		if (!has_now) {
			v->kind = LW_VERSION_REMOVED;
			continue;
		}
		v->kind = had && seen ? LW_VERSION_EDITED : seen ? LW_VERSION_RESTORED : LW_VERSION_ADDED;
		seen = true;
		git_blob *b = NULL;
		g_autofree char *path = locator_path(&loc);
		if (git_blob_lookup(&b, r->repo, &now) < 0) {
			lw_store_git_error(error, "%s/%s: cannot read version %s", r->path, path, v->commit);
			goto err;
		}
		if (git_blob_rawsize(b) > ENTRY_FILE_MAX) {
			g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "%s/%s: version %s is larger "
				    "than %d bytes", r->path, path, v->commit, ENTRY_FILE_MAX);
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
	if (!valid_names(blog, id, error))
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
		if (!is_entry_file(te))
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

	if (!valid_names(blog, id, error))
		return NULL;
	if (head_tree(r, &root, error) < 0)
		return NULL;
	dir = g_strconcat(blog, "/entries", NULL);
	entries = tree_at(r, root, dir);
	git_tree_free(root);
	file = g_strconcat(id, ".md", NULL);
	if (entries) {
		g_ptr_array_add(held, entries);
		match_ids(entries, id, file, &found, listed, prefixed, similar);
	}
	for (size_t i = 0, n = entries ? git_tree_entrycount(entries) : 0; i < n && !found; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(entries, i);
		git_tree *day = NULL;
		if (!is_day_folder(te))
			continue;
		if (subtree(r, te, blog, held, &day, error) < 0)
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

/* ---- the word diff ---- */

struct token {
	gsize ws;      /* where the whitespace before the word starts */
	gsize start;
	gsize len;
	guint hash;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Cuts text into words; stops (returning false) past LW_WDIFF_MAX_WORDS. */
static bool tokenize(const char *text, gsize len, GArray *out)
{
	gsize i = 0, prev_end = 0;
	while (i < len) {
		while (i < len && is_space(text[i]))
			i++;
		if (i == len)
			break;
		if (out->len >= LW_WDIFF_MAX_WORDS)
			return false;
		struct token t = { .ws = prev_end, .start = i, .hash = 5381 };
		while (i < len && !is_space(text[i]))
			t.hash = t.hash * 33 + (guchar)text[i++];
		t.len = i - t.start;
		prev_end = i;
		g_array_append_val(out, t);
	}
	return true;
}

static bool tok_eq(const struct token *a, const char *at, const struct token *b, const char *bt)
{
	return a->hash == b->hash && a->len == b->len && !memcmp(at + a->start, bt + b->start, a->len);
}

/* Myers' O((N+M)D) diff of a[0..n) against b[0..m), marking del[] and
 * ins[]; false when more than LW_WDIFF_MAX_EDITS edits are needed. */
static bool myers(const struct token *a, const char *at, gsize n, const struct token *b,
                  const char *bt, gsize m, bool *del, bool *ins)
{
	const glong max = MIN((glong)(n + m), LW_WDIFF_MAX_EDITS);
	const glong off = max + 1;
	g_autofree glong *v = g_new0(glong, 2 * (gsize)max + 3);
	g_autoptr(GPtrArray) trace = g_ptr_array_new_with_free_func(g_free);
	glong found = -1;

	v[off + 1] = 0;
	for (glong d = 0; d <= max && found < 0; d++) {
		for (glong k = -d; k <= d; k += 2) {
			glong x;
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			glong y = x - k;
			while (x < (glong)n && y < (glong)m && tok_eq(&a[x], at, &b[y], bt))
				x++, y++;
			v[off + k] = x;
			if (x >= (glong)n && y >= (glong)m) {
				found = d;
				break;
			}
		}
		/* v for k in -d..d after step d */
		g_ptr_array_add(trace, g_memdup2(v + off - d, sizeof(glong) * (gsize)(2 * d + 1)));
	}
	if (found < 0)
		return false;
	glong x = (glong)n, y = (glong)m;
	for (glong d = found; d > 0; d--) {
		const glong *pv = trace->pdata[d - 1];  /* k in -(d-1)..d-1 at index k + d - 1 */
		glong k = x - y, pk;
		if (k == -d || (k != d && pv[k - 1 + d - 1] < pv[k + 1 + d - 1]))
			pk = k + 1;
		else
			pk = k - 1;
		glong px = pv[pk + d - 1], py = px - pk;
		if (pk == k + 1)
			ins[py] = true;    /* down: b[py] inserted, then the snake */
		else
			del[px] = true;    /* right: a[px] deleted */
		x = px;
		y = py;
	}
	return true;
}

static void add_span(GArray *spans, enum lw_wdiff_op op, const char *text, gsize len)
{
	if (len == 0)
		return;
	if (spans->len > 0) {
		struct lw_wdiff_span *last = &g_array_index(spans, struct lw_wdiff_span, spans->len - 1);
		if (last->op == op && last->text + last->len == text) {
			last->len += len;
			return;
		}
	}
	struct lw_wdiff_span s = { op, text, len };
	g_array_append_val(spans, s);
}

struct lw_wdiff *lw_wdiff_compute(const char *old, gsize old_len, const char *new_text,
                                  gsize new_len)
{
	struct lw_wdiff *d = g_new0(struct lw_wdiff, 1);
	d->spans = g_array_new(FALSE, FALSE, sizeof(struct lw_wdiff_span));
	g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(struct token));
	g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(struct token));
	g_autofree bool *del = NULL, *ins = NULL;

	if (!tokenize(old, old_len, ta) || !tokenize(new_text, new_len, tb))
		goto whole;
	const struct token *a = (const struct token *)(void *)ta->data;
	const struct token *b = (const struct token *)(void *)tb->data;
	gsize n = ta->len, m = tb->len, pre = 0, suf = 0;
	while (pre < n && pre < m && tok_eq(&a[pre], old, &b[pre], new_text))
		pre++;
	while (suf < n - pre && suf < m - pre &&
	       tok_eq(&a[n - 1 - suf], old, &b[m - 1 - suf], new_text))
		suf++;
	del = g_new0(bool, n + 1);
	ins = g_new0(bool, m + 1);
	if (!myers(a + pre, old, n - pre - suf, b + pre, new_text, m - pre - suf, del + pre, ins + pre))
		goto whole;

	gsize i = 0, j = 0, pos = 0;   /* pos: new text emitted up to here */
	while (i < n || j < m) {
		if (i < n && del[i]) {
			gsize i2 = i;
			while (i2 < n && del[i2])
				i2++;
			/* Where the removed words go in the new text's whitespace
			 * [ws, ws_end): inline after it; at the end of the line
			 * when they ended an old line; on lines of their own,
			 * with their old line breaks, when they started one. */
			gsize ws = j < m ? b[j].ws : m ? b[m - 1].start + b[m - 1].len : 0;
			gsize ws_end = j < m ? b[j].start : new_len;
			const char *nl = memchr(new_text + ws, '\n', ws_end - ws);
			gsize del_end = a[i2 - 1].start + a[i2 - 1].len;
			gsize upto = ws_end;
			if (nl && i > 0 && !memchr(old + a[i].ws, '\n', a[i].start - a[i].ws)) {
				upto = (gsize)(nl - new_text);
			} else if (nl) {
				gsize old_ws_end = i2 < n ? a[i2].start : old_len;
				for (gsize k = del_end; k < old_ws_end; k++)
					if (old[k] == '\n')
						del_end = k + 1;
			}
			if (upto > pos) {
				add_span(d->spans, LW_WDIFF_SAME, new_text + pos, upto - pos);
				pos = upto;
			}
			add_span(d->spans, LW_WDIFF_DEL, old + a[i].start, del_end - a[i].start);
			d->removed += (guint)(i2 - i);
			i = i2;
		} else if (j < m && ins[j]) {
			gsize j2 = j;
			while (j2 < m && ins[j2])
				j2++;
			add_span(d->spans, LW_WDIFF_SAME, new_text + pos, b[j].start - pos);
			pos = b[j2 - 1].start + b[j2 - 1].len;
			add_span(d->spans, LW_WDIFF_INS, new_text + b[j].start, pos - b[j].start);
			d->added += (guint)(j2 - j);
			j = j2;
		} else {
			/* a word in both: its text is emitted with the next span */
			i++;
			j++;
		}
	}
	add_span(d->spans, LW_WDIFF_SAME, new_text + pos, new_len - pos);
	return d;

whole:
	g_array_set_size(d->spans, 0);
	d->whole = true;
	d->added = tb->len;
	d->removed = ta->len;
	add_span(d->spans, LW_WDIFF_DEL, old, old_len);
	add_span(d->spans, LW_WDIFF_INS, new_text, new_len);
	return d;
}

void lw_wdiff_free(struct lw_wdiff *d)
{
	if (!d)
		return;
	g_array_unref(d->spans);
	g_free(d);
}
