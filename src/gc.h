/* Keeping the history repository packed, and recovering what a killed
 * livewatch left in it.
 *
 * Packing (lw_gc_run) uses libgit2's packbuilder: loose objects go into
 * one new pack; when there are too many packs (or on request) everything
 * reachable goes into one pack and the old packs are deleted.  The new
 * .pack and .idx are complete and on the disk before anything they hold
 * is deleted, so a kill at any moment loses no object.
 *
 * Recovery (lw_gc_recover) relies on the busy marker: <state_dir>/busy
 * exists exactly while livewatch writes to git (lock files, loose objects,
 * packs).  Found at start, under livewatch's own flock, it means the
 * previous livewatch died mid-write, so git lock files and half-written
 * objects are its leftovers and safe to remove.  Without it, a git lock
 * file belongs to someone else (a git command running now) and is never
 * deleted.
 *
 * None of these functions logs; messages name the repository and file. */
#pragma once

#include <glib.h>
#include <stdbool.h>

struct git_repository;

/* Creates <state_dir>/busy (content: our pid), synced, before livewatch
 * writes to git.  Fails with LW_ERROR_STORE naming the file.  Nesting is
 * not counted: one begin, one end. */
int lw_gc_busy_begin(const char *state_dir, GError **error);
/* Removes <state_dir>/busy (no error when it is gone). */
void lw_gc_busy_end(const char *state_dir);

/* Called by the store right after it took livewatch's own flock on the
 * repository (so no other livewatch is running).  Recovers what a killed
 * livewatch left:
 *
 * - if <state_dir>/busy exists, the previous livewatch died mid-write:
 *   removes git lock files (HEAD.lock, index.lock, packed-refs.lock,
 *   config.lock, refs/ and logs/ ... *.lock), libgit2's temporary objects
 *   (objects/??/tmp_object_git2_*), half-written packs
 *   (objects/pack/pack_git2_*, tmp_pack_*, tmp_idx_*, and a .pack without
 *   its .idx), sets *dirty = true (the caller should check the working tree
 *   out again), then removes busy;
 * - always removes livewatch's own temporary files in state_dir (names
 *   containing ".tmp-", in subfolders too);
 * - without busy, a git lock file belongs to a live git process: waits up
 *   to wait_ms for it to go, then fails with LW_ERROR_LOCKED
 *   "repository 'P': 'P/.git/index.lock' is held by another program;
 *   livewatch will not remove it".  It is never deleted.
 *
 * While this process itself holds the busy marker (lw_gc_busy_begin
 * without its end, say a repack on another thread), does nothing.
 *
 * *dirty is only ever set to true (never cleared); dirty may be NULL.
 * Each removal adds one line (char *, owned by the array: give it a
 * g_free free func) to warnings, which may be NULL. */
int lw_gc_recover(const char *git_dir, const char *state_dir, guint wait_ms, bool *dirty,
		  GPtrArray *warnings, GError **error);

/* Thresholds.  The store writes each commit's objects as one small pack
 * (store-pack.c), or a `poll`'s commits as one: a pack of fewer than
 * LW_GC_SMALL_OBJECTS objects, or one whose objects are stored
 * uncompressed as the store writes them, is "small", and small packs are
 * packed again together, as loose objects are.  lw_gc_due() is true from LW_GC_LOOSE_MAX loose objects (an
 * estimate), LW_GC_SMALL_MAX small packs or LW_GC_PACKS_MAX other packs;
 * an incremental run packs the loose objects and small packs together with
 * the smallest other packs, keeping their sizes a geometric series (so a
 * long history is never packed whole again on its own); lw_gc_run() makes
 * a full repack when asked or when there are LW_GC_PACKS_MAX other packs
 * or more. */
#define LW_GC_LOOSE_MAX 1000
#define LW_GC_SMALL_OBJECTS 128
#define LW_GC_SMALL_MAX 32
#define LW_GC_PACKS_MAX 20

struct lw_gc_stats {
	guint loose_before, loose_after;   /* loose objects */
	guint packs_before, packs_after;   /* .pack files */
	guint64 bytes_before, bytes_after; /* bytes under objects/ */
	bool full;                         /* a full repack was made */
};

/* "N loose objects and M packs -> K pack(s), X MB -> Y MB", for the
 * caller's message; g_free() it. */
char *lw_gc_stats_describe(const struct lw_gc_stats *st);

/* True when maintenance is worth doing now: more loose objects than
 * LW_GC_LOOSE_MAX (estimated, like `git gc --auto`, from a couple of the
 * objects/XX fan-out folders), or LW_GC_PACKS_MAX packs or more.  Cheap:
 * a few readdirs.  repo may be NULL (only git_dir is read). */
bool lw_gc_due(struct git_repository *repo, const char *git_dir);

/* Packs the repository.  Incremental: every loose object into one new
 * pack, then the loose objects it holds are deleted.  Full (full = true,
 * or LW_GC_PACKS_MAX packs or more): every object reachable from the refs
 * and HEAD (and every loose object, reachable or not, so nothing a
 * concurrent writer just made is lost) into one pack with deltas, then
 * the loose objects and the old packs are deleted.  A repository with
 * nothing to pack is left as it is (returns 0).
 *
 * Kill-safe: the new .pack and .idx are complete and fsync'd before
 * anything is deleted; the whole run is inside the busy marker.  The
 * caller must hold livewatch's lock on the repository.  Fills stats
 * (when not NULL) on success. */
int lw_gc_run(struct git_repository *repo, const char *git_dir, const char *state_dir, bool full,
	      struct lw_gc_stats *stats, GError **error);

/* lw_gc_run() with more control, for the daemon: */
struct lw_gc_opts {
	bool full;            /* as lw_gc_run's full */
	guint threads;        /* threads searching for deltas; 0: one per core */
	const gint *cancel;   /* NULL, or set non-zero (g_atomic_int_set) from any thread
	                         to stop a run early: it fails with LW_ERROR_FAILED
	                         "... packing cancelled" and deletes nothing */
	guint max_objects;    /* 0: no bound.  Else an incremental run packs at most this
	                         many objects with libgit2's packbuilder (the loose
	                         objects and two small packs are always taken; the
	                         small packs left wait for the next run), and
	                         LW_GC_PACKS_MAX packs or more no longer make it full:
	                         it merges the smallest packs that fit max_copied
	                         instead.  What the packbuilder holds grows with the
	                         objects it packs (1.5-2.5 KB each, measured: its
	                         entries and the caches of the packs it reads and
	                         writes), so this bounds a daemon's peak.  Ignored
	                         when full is set. */
	guint max_copied;     /* 0: no bound.  Else the bigger packs merged by copying
	                         (lw_pack_merge, ~80 bytes an object) are taken only
	                         while the merge holds at most this many objects; the
	                         packs left are merged by a full run (`livewatch gc`). */
	GPtrArray *doomed;    /* NULL: the packs the new pack replaces are deleted;
	                         else their paths without suffix (char *, give the
	                         array a g_free free func) are added here, for the
	                         thread that uses the repository's other handles to
	                         delete with lw_gc_delete_packs() and then reopen:
	                         a handle that lists a pack but has not opened its
	                         .pack yet cannot read it once it is gone */
};

/* Deletes the packs named in doomed (as lw_gc_opts.doomed lists them). */
void lw_gc_delete_packs(const char *git_dir, GPtrArray *doomed);
int lw_gc_run_opts(struct git_repository *repo, const char *git_dir, const char *state_dir,
		   const struct lw_gc_opts *opts, struct lw_gc_stats *stats, GError **error);

/* Gives repo a fresh object database.  After a repack made through
 * another handle (a thread with its own git_repository), repo still has
 * the deleted packs open, and their disk space held, until this is
 * called (from the thread that uses repo).  lw_gc_run() does it for the
 * handle it is given. */
int lw_gc_reopen(struct git_repository *repo, const char *git_dir, GError **error);
