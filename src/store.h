/* The history repository (libgit2) and the fetch state beside it.
 *
 * Layout (DESIGN.md "The history repository"):
 *   README.md                  written once, when the repository is created
 *   <blog>/index.md            the page as last seen, newest first, one line an entry
 *   <blog>/entries/<id>.md     one file per entry ever seen (lw_entry_to_md)
 *
 * Fetch state (ETag, Last-Modified, failure counts, removed ids, the alert
 * outbox) is not history: it lives in <repo>/.git/livewatch/, never in a
 * commit.  The working tree and index are kept in step with HEAD so people
 * can read the files directly. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "entry.h"

struct lw_store;

/* Opens the repository at path, creating it (and its parents, and
 * README.md in a first commit) when it does not exist.  A stale
 * index.lock left by a crash is removed when no livewatch process holds
 * the store lock. */
struct lw_store *lw_store_open(const char *path, GError **error);
void lw_store_free(struct lw_store *s);

/* Takes the one-process-per-repository lock (flock on
 * .git/livewatch/lock, holding our pid).  Fails with LW_ERROR_LOCKED and
 * "repository 'PATH' is in use by livewatch (pid N)" when another
 * process holds it.  Released by lw_store_free(). */
int lw_store_lock(struct lw_store *s, GError **error);

/* The directory for state files: <repo>/.git/livewatch (exists after open). */
const char *lw_store_state_dir(const struct lw_store *s);
const char *lw_store_path(const struct lw_store *s);
/* The .git folder (no trailing slash) and libgit2's repository, for the
 * modules that maintain the repository (gc.c); borrowed. */
const char *lw_store_git_dir(const struct lw_store *s);
struct git_repository *lw_store_repo(struct lw_store *s);

/* The last non-fatal problem the store met, for the caller to log: a
 * stale index.lock removed, a working tree that could not follow a
 * commit.  "" when none; owned by the store, valid until the next call
 * on it. */
const char *lw_store_warning(const struct lw_store *s);

/* What the repository holds for one blog at HEAD. */
struct lw_history {
	GPtrArray *window;  /* struct lw_entry * in <blog>/index.md order: the page as last seen */
	GHashTable *all;    /* id -> struct lw_entry *: every file in <blog>/entries/ (owns the entries;
	                       window points into it) */
};
void lw_history_free(struct lw_history *h);

/* Loads a blog's history; an unknown blog gives an empty history.  A
 * malformed entry file is an error naming it ("<blog>/entries/X.md: ..."). */
struct lw_history *lw_store_load(struct lw_store *s, const char *blog, GError **error);

/* One commit for one poll of one blog. */
struct lw_commit {
	const char *blog;
	GPtrArray *write;                /* struct lw_entry *: files to (re)write */
	GPtrArray *remove;               /* char * ids whose files are deleted */
	const struct lw_snapshot *page;  /* the page as seen now: becomes index.md (NULL: index.md kept) */
	const char *message;             /* whole commit message */
	gint64 time;                     /* fetch time, unix seconds (author and committer time) */
};

/* Sets LW_ERROR_STORE "WHAT: <libgit2's last error>" (for store.c and
 * history.c, the modules that speak libgit2). */
void lw_store_git_error(GError **error, const char *what, ...) G_GNUC_PRINTF(2, 3);

/* True when name may be a blog name or an entry id: [A-Za-z0-9._-]+,
 * no leading dot, at most 120 bytes (so it never leaves its folder). */
bool lw_store_name_valid(const char *name);

/* Blog names and ids must be [A-Za-z0-9._-]+ without a leading dot (at
 * most 120 bytes); anything else fails with LW_ERROR_STORE naming it,
 * before anything is written.  `write` and `remove` may be NULL; removing
 * an id that has no file is not an error.
 *
 * index.md lists the page newest first, one line an entry:
 *   - 2023-02-14 18:31 [heading](entries/<id>.md)
 * and holds nothing time-dependent, so an unchanged page gives the same
 * bytes.  lw_store_load() reads the window back from the link targets.
 *
 * Writes the files, the index and one commit on HEAD (signature
 * "livewatch <livewatch@localhost>" unless the repository config says
 * otherwise), updates the working tree.  Fills oid_hex (41 bytes) when not
 * NULL.  Nothing is committed when nothing differs from HEAD (returns 0
 * with oid_hex ""). */
int lw_store_commit(struct lw_store *s, const struct lw_commit *c, char *oid_hex, GError **error);

/* Per-blog fetch state, saved as JSON in the state dir (<blog>.json),
 * replaced atomically (write, fsync, rename). */
struct lw_blog_state {
	char *url;              /* the url etag/last_modified belong to */
	char *etag;
	char *last_modified;
	int failures;           /* consecutive failed polls */
	char *last_error;       /* "" when healthy */
	gint64 last_poll;       /* unix seconds, 0 = never; not saved for a 304 of a
	                           healthy blog (nothing else changed) */
	gint64 last_success;
	gint64 last_change;
	bool baseline;          /* true once a first good snapshot was recorded */
	GHashTable *removed;    /* set of ids removed from the page (for "restored"); the table
	                           owns its keys: g_hash_table_add(st->removed, g_strdup(id)) */
	/* The daemon's (livewatch run), kept across restarts; never NULL after
	 * lw_blog_state_new/load, poll jobs carry them through unchanged. */
	char *follow_url;       /* page a followed series led to, "" when none */
	char *follow_from;      /* the [blog] follow url follow_url was found on */
	gint64 failing_since;   /* unix seconds of the first failure of the current run, 0 = healthy */
};
struct lw_blog_state *lw_blog_state_new(void);
void lw_blog_state_free(struct lw_blog_state *st);

/* A missing file gives a fresh state; a corrupt one is an error naming it.
 * The store lock is not needed to read state; only its holder should save. */
struct lw_blog_state *lw_store_load_state(struct lw_store *s, const char *blog, GError **error);
int lw_store_save_state(struct lw_store *s, const char *blog, const struct lw_blog_state *st, GError **error);
