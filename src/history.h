/* Reading the history repository back: what changed when (`livewatch
 * log`, history-walk.c), every version of one entry (`livewatch show`,
 * history-versions.c).  The word diff between two versions is wdiff.h.
 *
 * The tree diff of <blog>/entries/ between a commit and its first parent
 * is the source of truth (DESIGN.md "The history repository"): A is a new
 * (or restored) entry, M an edited one, D a removed one.  Both layouts are
 * read: an entry file is <blog>/entries/<YYYY-MM-DD>/<id>.md (a day
 * folder: a folder of entries/ named like a date) or, in a repository
 * from before day folders, <blog>/entries/<id>.md; files deeper down or
 * in other folders are not entries.  The commit message is only read for
 * its Livewatch-Blog, Livewatch-Restored, Livewatch-Stealth, Livewatch-Alerts,
 * Livewatch-Alert and
 * Livewatch-Migration trailers (and, in a livewatch commit from before
 * Livewatch-Restored, for its "(restored)" lines).
 * Nothing here writes to the repository or needs its lock. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "caps.h"

struct lw_history_reader;

/* Opens the existing repository at path (never creates one: a missing
 * path fails with LW_ERROR_STORE "no history at 'PATH'"). */
struct lw_history_reader *lw_history_reader_open(const char *path, GError **error);
void lw_history_reader_free(struct lw_history_reader *r);

/* True when <blog>/entries/ exists at HEAD (in either layout). */
bool lw_history_has_blog(struct lw_history_reader *r, const char *blog);

/* One entry file touched by a commit. */
struct lw_history_change {
	char kind;        /* 'A' new, 'R' restored, 'M' edited, 'D' removed.  The
	                     tree tells A from M from D; an A is an R when the
	                     livewatch commit's Livewatch-Restored trailer lists
	                     it (or, in a commit without that trailer, when its
	                     message lists it as "(restored)") */
	char *id;
	char *title;      /* heading of the file (the new version; the old one for D) */
	char *published;  /* RFC 3339 from the file, or "" */
	bool readable;    /* false when the file is not an entry file (a hand-written
	                     one, over 16 MB): title and published are then "" */	char blob[41];    /* hex id of the file's blob: the new version (the old one
	                     for D); lw_history_read_blob() reads it */
	char old_blob[41];  /* for M: the blob before the edit; "" otherwise */
	bool stealth;     /* an M the commit's Livewatch-Stealth trailer lists: the
	                     page showed no new "updated" time for the edit */
};

/* What one commit did to one blog.  A commit made by livewatch gives one
 * of these for the blog of its Livewatch-Blog trailer (with no change at
 * all when only index.md moved); a commit made by someone else gives one
 * per blog whose entry files it touched, and none when it touched no
 * entry file (the README commit, a user's notes).  An id whose file
 * leaves one place and appears at another in the same commit (entries/
 * to a day folder) was moved: no change, even when the text differs.
 * The writer's migration to day folders (a commit with a
 * Livewatch-Migration trailer) gives no poll at all. */
struct lw_history_poll {
	char commit[41];      /* hex oid */
	gint64 time;          /* committer time, unix seconds (the fetch time) */
	const char *blog;
	bool livewatch;       /* the commit carries a Livewatch-Blog trailer */
	const char *summary;  /* first line of the message */
	GPtrArray *changes;   /* struct lw_history_change *: A, R, M, then D; newest
	                         published first within each */
	guint n_new, n_restored, n_edited, n_removed;
	guint n_stealth;          /* of the edits, the stealth ones */
	GPtrArray *alert_rules;   /* char *: rules of the Livewatch-Alerts trailer ("rule=N"
	                             words; malformed or non-UTF-8 ones are skipped) */
	GArray *alert_counts;     /* guint, one per rule */
	GPtrArray *alerts;        /* char *: each Livewatch-Alert trailer's value, the
	                             JSON of one alert that fired (alert.h), as written;
	                             empty for commits from before those trailers */
};

struct lw_history_filter {
	const char *blog;   /* NULL: every blog */
	gint64 since;       /* unix seconds; commits older than this end the walk; 0: all */
};

/* Called once per poll, newest commit first; the poll and everything in
 * it is valid only during the call.  Return false to stop the walk (for
 * instance when stdout was closed). */
typedef bool (*lw_history_poll_fn)(const struct lw_history_poll *p, void *data);

/* Walks the commits reachable from HEAD newest first (topological order,
 * then committer time), diffing each against its first parent (a merge
 * shows what it brought into the first parent's line).  Only top-level
 * folders, entries/ trees and day folders whose ids differ are read, as
 * git does; the migration commit is not diffed.  An empty repository
 * calls fn never and returns 0.  Returns the number of polls given to fn,
 * or -1 with an error (a tree that differs and cannot be read). */
int lw_history_walk(struct lw_history_reader *r, const struct lw_history_filter *f,
                    lw_history_poll_fn fn, void *data, GError **error);

/* "2023-02-14T18:31:00Z", "2023-02-14T18:31:00+01:00", a date "2023-02-14"
 * (midnight, local time), or a duration back from now: "30m", "2h", "3d",
 * "1w", "45s".  Returns unix seconds, or -1 with LW_ERROR_FAILED naming
 * the text. */
gint64 lw_history_parse_since(const char *text, gint64 now, GError **error);
/* (a duration reaching before 1970 gives 0: everything) */

/* Resolves what the user typed as an entry id of blog: an exact id
 * (present at HEAD or only in the past), or a prefix of exactly one id
 * at HEAD (in entries/ or any of its day folders).  Returns the id (newly allocated) or NULL: an id that is not
 * a valid entry name ("../x") fails with LW_ERROR_FAILED; an unknown id
 * fails naming blog and id; an ambiguous prefix fails listing the
 * candidates.  Never reads outside <blog>/entries/. */
char *lw_history_resolve_id(struct lw_history_reader *r, const char *blog, const char *id,
                            GError **error);

/* The blob of hex id `blob` (an entry file, lw_history_change.blob):
 * its text, NUL-terminated, into *out and *len.  -1 with an error naming
 * it when it cannot be read or is over LW_ENTRY_FILE_MAX bytes. */
int lw_history_read_blob(struct lw_history_reader *r, const char *blob, char **out, gsize *len,
                         GError **error);

/* Calls fn for each entry file of blog at HEAD (either layout), in no
 * particular order, with the entry parsed from it; an entry file that
 * does not parse is skipped and counted in *skipped (may be NULL).
 * Returns the number of entries given to fn, or -1 with an error.  fn
 * returns false to stop; the entry is valid during the call only. */
struct lw_entry;
typedef bool (*lw_history_entry_fn)(const struct lw_entry *e, void *data);
int lw_history_entries(struct lw_history_reader *r, const char *blog, lw_history_entry_fn fn,
                       void *data, guint *skipped, GError **error);

enum lw_version_kind {
	LW_VERSION_ADDED,     /* first appearance */
	LW_VERSION_EDITED,
	LW_VERSION_REMOVED,   /* text is NULL */
	LW_VERSION_RESTORED,  /* back after a removal */
};

struct lw_history_version {
	enum lw_version_kind kind;
	char commit[41];
	gint64 time;
	char *text;           /* the file, NUL-terminated; NULL when removed */
	bool stealth;         /* an edit its commit's Livewatch-Stealth trailer lists */
	gsize len;
};

/* At most LW_HISTORY_VERSIONS_MAX (caps.h) versions of one entry are
 * returned (the oldest). */

/* Every version of the entry file of id (<blog>/entries/<day>/<id>.md, or
 * <blog>/entries/<id>.md) in the commits reachable from HEAD, oldest
 * first: each commit whose tree holds a different blob (or none) than
 * both its first parent's and the last version listed (so a merge
 * bringing in a version already listed adds nothing).  The file is
 * followed by id, wherever it is: its move into a day folder is no
 * version (unless the text changed with it).  Each commit's file is
 * looked for first where the previous one's was, and day folders are
 * only read when they changed.  Returns an array of struct lw_history_version * (free with
 * g_ptr_array_unref), empty when the file never existed; NULL with an
 * error for an invalid blog or id or an unreadable repository.  A file
 * over 16 MB is an error naming it. */
GPtrArray *lw_history_versions(struct lw_history_reader *r, const char *blog, const char *id,
                               GError **error);
