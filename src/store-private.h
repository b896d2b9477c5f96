/* What the store's files share (store.c, store-ids.c, store-read.c,
 * store-write.c, store-migrate.c, store-index.c).  Not for other modules. */
#pragma once

#include <git2.h>
#include <glib.h>
#include <stdbool.h>
#include "store.h"
#include "caps.h"
#include "name.h"

/* A big index catches up with HEAD at most this often (seconds), unless
 * forced; one under INDEX_SMALL bytes (about 2,500 files) at once. */
#define INDEX_FLUSH_EVERY 60
#define INDEX_SMALL (256 * 1024)
/* How long a git lock held by another program is waited for (ms). */
#define FOREIGN_LOCK_WAIT_MS 3000

/* Where each id of one blog lives: "YYYY-MM-DD", or "" for a file still
 * in the flat layout.  Removed ids stay, so a restored entry comes back to
 * its old folder.  The ids the file held sorted when it was read are looked
 * up in place, by binary search in the mapped file; the rest (its tail,
 * this process's additions) are in a hash table. */
struct blog_ids {
	GMappedFile *map;    /* <blog>.ids as read, or NULL */
	const char *base;    /* its sorted "id day\n" lines, inside map */
	gsize base_len;
	GHashTable *day;     /* id -> day, ids not in base (keys and values owned) */
	git_oid entries;     /* the <blog>/entries tree this describes (zero: none) */
	guint tail;          /* lines after base in the file: compacted when many */
};

struct lw_store {
	git_repository *repo;
	char *path;       /* as given to lw_store_open */
	char *git_dir;    /* <repo>/.git, no trailing slash */
	char *state_dir;  /* <repo>/.git/livewatch */
	char *lock_path;
	int lock_fd;      /* >= 0 while we hold the store lock */
	GPtrArray *warnings;  /* char *: problems since the last lw_store_take_warnings() */
	GHashTable *ids;  /* blog -> struct blog_ids * */
	bool busy_held;   /* gc.h's busy marker taken by store_busy_hold() */
	git_odb *odb;             /* the object database `mem` is in (a reference) */
	git_odb_backend *mem;     /* owned by odb: where new objects collect (store-pack.c) */
	guint packs_written;      /* lw_store_packs_written() */
	git_odb_backend *packs;   /* owned by odb: the packs (store-packs.c) */
	struct store_batch *batch; /* lw_store_batch_begin() until _end(), else NULL */
};

/* Commits held back between lw_store_batch_begin() and _end(): their
 * objects stay in the in-memory backend, HEAD moves only here. */
struct store_batch {
	git_oid base;        /* the parent of its first commit: HEAD on the disk */
	bool born;           /* false: HEAD was unborn */
	git_oid head;        /* the batch's newest commit */
	guint commits;
	char *first;         /* the newest commit's first line (the reflog's) */
	GPtrArray *changes;  /* struct wt_change *, every commit's, in order */
};

/* A tree builder per folder touched by one commit. */
struct folders {
	struct lw_store *s;
	git_tree *etree;          /* <blog>/entries at HEAD, or NULL */
	git_treebuilder *entries; /* <blog>/entries */
	GHashTable *days;         /* day ("" = entries/ itself) -> git_treebuilder * */
};

/* One file of the working tree to bring in step after a commit. */
struct wt_change {
	char *path;   /* relative to the repository */
	char *text;   /* the file's bytes; NULL: the file is deleted */
	gsize len;
	git_oid blob; /* the blob of text */
};

extern const char store_readme_text[];

void store_set_warning(struct lw_store *s, char *msg);
/* The busy marker (gc.h) from before a commit's first object is written
 * until the batch of commits ends (lw_store_flush, lw_store_free): one
 * marker file for a whole `poll` or a daemon's minute, not one a commit. */
int store_busy_hold(struct lw_store *s, GError **error);
/* store-pack.c: a commit's objects as one pack.  _begin() puts the
 * in-memory backend in front of the repository's object database (again,
 * when gc replaced it) and empties it; every writer calls it first.
 * _write() writes what collected as one pack, synced, before the ref
 * moves: 1 when it did, 0 when the objects went loose instead (the caller
 * syncs them), -1 on error. */
int store_objects_begin(struct lw_store *s, GError **error);
int store_objects_write(struct lw_store *s, GError **error);
/* The in-memory objects: how many (a mark to go back to when a commit of
 * a batch fails: _truncate() drops those written after it), and how
 * many bytes they hold. */
guint store_objects_mark(struct lw_store *s);
void store_objects_truncate(struct lw_store *s, guint mark);
gsize store_objects_bytes(struct lw_store *s);
/* store-packs.c: the packs as one backend that finds an object's pack by
 * searching the .idx files itself, newest first.  _add() maps idx_path
 * (a version 2 .idx beside its .pack) and puts the pack first; -1 with a
 * libgit2 error when it cannot. */
git_odb_backend *store_packs_new(void);
int store_packs_add(git_odb_backend *packs, const char *idx_path);
void store_busy_release(struct lw_store *s);
int store_head_tree(struct lw_store *s, git_commit **commit, git_tree **tree, GError **error);
int store_subtree(struct lw_store *s, const git_tree *parent, const char *name,
		  const char *shown, git_tree **out, GError **error);
int store_blog_trees(struct lw_store *s, const char *blog, git_commit **head, git_tree **root,
		     git_tree **btree, git_tree **etree, GError **error);
git_blob *store_read_blob(struct lw_store *s, const git_oid *oid, const char *shown, GError **error);

/* the working tree */
void store_wt_change_free(gpointer p);
void store_wt_add(GPtrArray *changes, char *path, char *text, gsize len, const git_oid *blob);
char *store_pending_path(struct lw_store *s);
int store_checkout_head(struct lw_store *s);
/* History is recorded (commit_oid is HEAD): the working tree follows,
 * for `changes` (NULL: the whole of HEAD is checked out).  One that
 * cannot is only a warning (failing here would make the caller think the
 * poll was lost and drop its alerts). */
void store_wt_follow(struct lw_store *s, const git_oid *commit_oid, GPtrArray *changes);
int store_commit_tree(struct lw_store *s, git_commit *parent, const git_oid *tree_oid,
		      const char *message, gint64 when, GPtrArray *changes, char *oid_hex,
		      git_oid *out, GError **error);

/* tree builders for one commit */
git_treebuilder *store_folder(struct folders *f, const char *blog, const char *day, GError **error);
int store_folders_write(struct folders *f, const char *blog, GError **error);
void store_folders_clear(struct folders *f);
int store_set_subtree(git_treebuilder *tb, const char *name, git_treebuilder *sub);

/* day folders and the id index (store-ids.c) */
bool store_is_day(const char *name);
void store_entry_day(const struct lw_entry *e, gint64 when, char out[11]);
char *store_entry_path(const char *blog, const char *day, const char *id);
void store_blog_ids_free(gpointer p);
struct blog_ids *store_ids_get(struct lw_store *s, const char *blog, const git_tree *etree,
			       GError **error);
bool store_ids_lookup(const struct blog_ids *ix, const char *id, char day[11]);
void store_ids_add(struct blog_ids *ix, const char *id, const char *day);
void store_ids_foreach(const struct blog_ids *ix,
		       void (*fn)(const char *id, const char *day, void *), void *data);
void store_ids_collect(const char *id, const char *day, void *data);  /* "id day\n" into a GPtrArray */
void store_ids_line(GString *out, const char *id, const char *day);
void store_ids_append(struct lw_store *s, const char *blog, struct blog_ids *ix, GString *lines);

/* reflogs: past this size, trimmed to their newest lines when the store is locked */
#define REFLOG_MAX_BYTES (1 << 20)
#define REFLOG_KEEP 1000
void store_trim_reflogs(struct lw_store *s, goffset max_bytes, size_t keep);

/* after a crash, and the move from the flat layout */
int store_recover(struct lw_store *s, GError **error);
int store_migrate(struct lw_store *s, GError **error);
