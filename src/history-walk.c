/* The log walk: what each commit did to each blog's entry files
 * (history.h lw_history_walk). */
#include "history-private.h"
#include "name.h"
#include "entry.h"
#include "error.h"
#include "store.h"

#include <string.h>

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
	p->alerts = g_ptr_array_new_with_free_func(g_free);
	return p;
}

static void poll_free(gpointer data)
{
	struct lw_history_poll *p = data;
	g_free((char *)p->blog);
	g_ptr_array_unref(p->changes);
	g_ptr_array_unref(p->alert_rules);
	g_array_unref(p->alert_counts);
	g_ptr_array_unref(p->alerts);
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
	if (git_blob_lookup(&b, r->repo, oid) == 0 && git_blob_rawsize(b) <= LW_ENTRY_FILE_MAX) {
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
	char *blog;      /* NULL: not a livewatch commit */
	char *alerts;
	char **restored; /* ids of the Livewatch-Restored trailer, or NULL when it has none */
	char **stealth;  /* ids of the Livewatch-Stealth trailer, or NULL */
	GPtrArray *alert_json;  /* char *: the value of each Livewatch-Alert trailer */
	bool migration;  /* a Livewatch-Migration trailer: the writer moved files, nothing changed */
	const char *message;  /* the whole message, borrowed from the commit */
};

static void trailers_clear(struct trailers *t)
{
	g_free(t->blog);
	g_free(t->alerts);
	g_strfreev(t->restored);
	g_strfreev(t->stealth);
	if (t->alert_json)
		g_ptr_array_unref(t->alert_json);
}

static void read_trailers(const char *message, struct trailers *t)
{
	git_message_trailer_array arr = { 0 };
	*t = (struct trailers){ .message = message };
	if (!message || git_message_trailers(&arr, message) < 0) {
		git_error_clear();
		return;
	}
	for (size_t i = 0; i < arr.count; i++) {
		if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Blog") && !t->blog)
			t->blog = g_strstrip(g_strdup(arr.trailers[i].value));
		else if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Alerts") && !t->alerts)
			t->alerts = g_strdup(arr.trailers[i].value);
		else if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Restored") && !t->restored)
			t->restored = g_strsplit_set(arr.trailers[i].value, " \t", -1);
		else if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Stealth") && !t->stealth)
			t->stealth = g_strsplit_set(arr.trailers[i].value, " \t", -1);
		else if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Alert")) {
			if (!t->alert_json)
				t->alert_json = g_ptr_array_new_with_free_func(g_free);
			if (g_utf8_validate(arr.trailers[i].value, -1, NULL))
				g_ptr_array_add(t->alert_json, g_strdup(arr.trailers[i].value));
		}
		else if (!g_ascii_strcasecmp(arr.trailers[i].key, "Livewatch-Migration"))
			t->migration = true;
	}
	git_message_trailer_array_free(&arr);
}

/* Whether a file added to blog by the livewatch commit of t (NULL: not
 * one) brings a removed entry back.  The tree cannot tell (both are A):
 * the commit's Livewatch-Restored trailer lists the ids.  A commit from
 * before that trailer only says so in its message, in the line
 * lw_diff_message() wrote: "+ HH:MM heading (restored)". */
static bool is_restored(const struct trailers *t, const char *blog,
                        const struct lw_history_change *c, const char *heading)
{
	if (!t || !t->blog || strcmp(t->blog, blog))
		return false;
	if (t->restored)
		return g_strv_contains((const char *const *)t->restored, c->id);
	if (!heading || !t->message)
		return false;
	const char *pub = c->published;
	g_autofree char *line = g_strdup_printf("\n+ %.5s%s%s (restored)\n",
						strlen(pub) >= 16 && pub[10] == 'T' ? pub + 11 : "",
						strlen(pub) >= 16 && pub[10] == 'T' ? " " : "", heading);
	return strstr(t->message, line) != NULL;
}

/* te is the file <id>.md in entries/<day>/ (day NULL: in entries/ itself);
 * t: the trailers of a livewatch commit, else NULL. */
static void add_change(struct lw_history_reader *r, GHashTable *polls, const char *blog,
                       char kind, const git_tree_entry *te, const git_tree_entry *old,
                       const char *day, const struct trailers *t)
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
	git_oid_tostr(ch->blob, sizeof(ch->blob), git_tree_entry_id(te));
	if (old)
		git_oid_tostr(ch->old_blob, sizeof(ch->old_blob), git_tree_entry_id(old));
	g_ptr_array_add(p->changes, ch);
	if (kind == 'A' && is_restored(t, blog, ch, heading)) {
		ch->kind = 'R';
		p->n_restored++;
	} else if (kind == 'A')
		p->n_new++;
	else if (kind == 'M')
		p->n_edited++;
	else
		p->n_removed++;
	if (kind == 'M' && t && t->stealth && t->blog && !strcmp(t->blog, blog) &&
	    g_strv_contains((const char *const *)t->stealth, ch->id)) {
		ch->stealth = true;
		p->n_stealth++;
	}
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
	return history_tree_at(r, root, path);
}

/* An entry file that differs between two entries/ trees, before moves are paired. */
struct raw_change {
	char kind;                  /* 'A', 'M', 'D'; 0 once paired into a move */
	const git_tree_entry *te;   /* the file (the old one for D), owned by a tree in held */
	const git_tree_entry *old;  /* for M: the file before */
	const char *day;            /* its day folder, NULL in entries/ itself */
};

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
		if (!day && ((was && history_is_day_folder(was)) || (now && history_is_day_folder(now)))) {
			/* both are day folders when either is: equal names sort apart
			 * when only one is a folder */
			git_tree *da = NULL, *db = NULL;
			if ((was && history_subtree(r, was, blog, held, &da, error) < 0) ||
			    (now && history_subtree(r, now, blog, held, &db, error) < 0) ||
			    diff_entries(r, blog, da, db, git_tree_entry_name(was ? was : now), raws,
					 held, error) < 0)
				return -1;
			continue;
		}
		bool old_file = was && history_is_entry_file(was), new_file = now && history_is_entry_file(now);
		struct raw_change rc = { .day = day };
		if (old_file && new_file)
			rc.kind = 'M', rc.te = now, rc.old = was;
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
                     const git_tree *new_root, const char *blog, const struct trailers *t,
                     GHashTable *polls, GError **error)
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
			add_change(r, polls, blog, rc->kind, rc->te, rc->old, rc->day, t);
	}
	return 0;
}

/* Groups the entry changes of one commit (against its first parent) by blog. */
static int diff_commit(struct lw_history_reader *r, git_commit *c, const char *only_blog,
                       const struct trailers *t, GHashTable *polls, GError **error)
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
		if (diff_blog(r, ptree, tree, only_blog, t, polls, error) < 0)
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
				if (git_tree_entry_type(te) != GIT_OBJECT_TREE || !lw_name_valid(name) ||
				    g_hash_table_contains(done, name))
					continue;
				g_hash_table_add(done, (char *)name);
				const git_tree_entry *other = roots[1 - side] ?
					git_tree_entry_byname(roots[1 - side], name) : NULL;
				if (other && git_oid_equal(git_tree_entry_id(te), git_tree_entry_id(other)))
					continue;
				if (diff_blog(r, ptree, tree, name, t, polls, error) < 0)
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

	if (only && !lw_name_valid(only)) {
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
			trailers_clear(&t);
			git_commit_free(c);
			continue;
		}
		bool lw = t.blog && lw_name_valid(t.blog);
		g_autoptr(GHashTable) polls = g_hash_table_new_full(g_str_hash, g_str_equal,
								    NULL, poll_free);
		bool keep_going = true;
		/* A livewatch commit of another blog is skipped without a diff. */
		int diffed = !(lw && only && strcmp(t.blog, only)) ?
			     diff_commit(r, c, only, lw ? &t : NULL, polls, error) : 0;
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
			for (guint k = 0; p->livewatch && t.alert_json && k < t.alert_json->len; k++)
				g_ptr_array_add(p->alerts, g_strdup(t.alert_json->pdata[k]));
			g_ptr_array_sort(p->changes, change_cmp);
			count++;
			keep_going = fn(p, data);
		}
		trailers_clear(&t);
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
