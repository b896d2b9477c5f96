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
#include "state.h"

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
/* How many packs this store's commits wrote (one a commit, store-pack.c)
 * since it was opened or the count was taken; take = true resets it.  A
 * daemon packs them together after LW_GC_SMALL_MAX (gc.h) rather than
 * wait for its next look at the repository: every pack more is another
 * index to search and another file held open. */
guint lw_store_packs_written(struct lw_store *s, bool take);

/* Moves the non-fatal problems the store met since the last call (a
 * stale index.lock removed, a working tree that could not follow a
 * commit, the move to day folders) into warnings, one message each,
 * oldest first (error.h, "Warnings"): the caller logs them. */
void lw_store_take_warnings(struct lw_store *s, GPtrArray *warnings);

/* Loads a blog's whole history: every entry file parsed (tests and tools;
 * polls use lw_store_load_page).  An unknown blog gives an empty history.
 * A malformed entry file is an error naming it ("<blog>/entries/X.md: ..."). */
struct lw_record *lw_store_load(struct lw_store *s, const char *blog, GError **error);

/* What a poll of `page` needs of the history, at a cost that depends on the
 * page and never on how much the blog has recorded:
 *   all     the recorded version of every entry of the page that has a file
 *           (an entry whose rendering is byte for byte its file is not read:
 *           a copy of the page's entry stands for it), and of every entry of
 *           the previous window;
 *   window  the previous window, as lw_store_load() gives it.
 * lw_diff_compute() gives the same answer on this as on lw_store_load(). */
struct lw_record *lw_store_load_page(struct lw_store *s, const char *blog,
                                      const struct lw_snapshot *page, GError **error);

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

/* Blog names and ids must be valid names (name.h: lw_name_valid(), the
 * rule the config applies to blog names too); anything else fails with LW_ERROR_STORE naming it,
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

/* Batches of commits, for a `poll` of many blogs.  Between _begin() and
 * _end(), lw_store_commit() makes its commit in memory: its objects stay
 * there, HEAD moves for this store's readers only (lw_store_load_page(),
 * the next commit), and the working tree waits.  _end() writes every
 * commit's objects as one pack, synced, moves the ref once from where it
 * was to the newest commit (a reflog line for the batch), syncs the ref,
 * then brings the working tree in step: one pack and two syncs of the ref
 * for the batch, not for each commit.  Nothing of a batch is on the disk
 * before _end(): a process killed before it, or an _end() that fails
 * (-1, LW_ERROR_STORE, HEAD where it was), has recorded none of its
 * commits, and the caller must not act on them (save fetch state,
 * deliver their alerts).  _drop() ends a batch recording nothing of it,
 * as lw_store_free() does with a batch not ended.  _bytes(): what the
 * batch's objects hold in memory, for a caller that ends batches by
 * size. */
void lw_store_batch_begin(struct lw_store *s);
gsize lw_store_batch_bytes(struct lw_store *s);
int lw_store_batch_end(struct lw_store *s, GError **error);
void lw_store_batch_drop(struct lw_store *s);

/* git's index lists every file of the repository and is rewritten whole,
 * so commits do not write it: they write the working tree's files and note
 * the paths.  lw_store_flush() brings the index up to date with them (so
 * `git status` is clean): at once when the index is small (under 256 KB,
 * about 2,500 files) or with force, else when it is a minute old or more,
 * so a poll never pays more than a small index's rewrite.  `livewatch
 * poll` calls it before it exits, the daemon once a minute, and both (with
 * force) when they stop for good: `gc`, the daemon's exit. */
int lw_store_flush(struct lw_store *s, bool force, GError **error);
