/* What changed between the history of a blog and a new snapshot
 * (DESIGN.md "What counts as a change"). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "entry.h"

enum lw_change_kind {
	LW_CHANGE_NEW,
	LW_CHANGE_EDITED,
	LW_CHANGE_REMOVED,
	LW_CHANGE_RESTORED,
};

/* "new", "edited", "removed", "restored" */
const char *lw_change_kind_name(enum lw_change_kind k);

struct lw_change {
	enum lw_change_kind kind;
	const struct lw_entry *entry;  /* the entry now (new, edited, restored) or as last
	                                  recorded (removed); borrowed from the inputs */
	const struct lw_entry *old;    /* previous version of an edited entry, else NULL */
	bool stealth;                  /* an edit whose entry shows no new "updated" time:
	                                  the page's marker is absent or the same as the
	                                  recorded one (DESIGN.md "stealth edit") */
};

struct lw_diff {
	GPtrArray *changes;   /* struct lw_change *: page order, removals last */
	guint n_new, n_edited, n_removed, n_restored;
	guint n_stealth;      /* of the edits, the stealth ones */
	guint n_paged_out;    /* missing but older than the page's window: not a change */
};

void lw_diff_free(struct lw_diff *d);

/* Compares now against prev (the blog's history at HEAD).  `removed` is
 * the set of ids removed earlier (for "restored"); may be NULL.
 *
 * Removed vs paged out: a known id missing from now is removed when it is
 * newer than the oldest entry now shows (by published time when both have
 * one, else by its position in the previous index), otherwise paged out.
 *
 * Returns NULL with LW_ERROR_PARSE when the snapshot is unhealthy: it has
 * no entries, or it collapsed (more than half of a window of 4 or more
 * entries gone and nothing new).  The returned diff borrows from prev and
 * now: free it before them. */
struct lw_diff *lw_diff_compute(const struct lw_record *prev, GHashTable *removed,
                                const struct lw_snapshot *now, GError **error);

/* The commit message of DESIGN.md: "BLOG: 2 new, 1 edited, 1 removed",
 * one line per change, then the trailers: Livewatch-Blog, Livewatch-Url,
 * Livewatch-Restored (the restored ids, space-separated, when there are
 * any), Livewatch-Stealth (the ids of stealth edits, likewise) and
 * Livewatch-Alerts (when alerts is not NULL or empty).  A stealth edit's
 * line reads "~ 17:40 heading (+3 words, stealth)". */
char *lw_diff_message(const struct lw_diff *d, const char *blog, const char *url,
                      const char *alerts);
