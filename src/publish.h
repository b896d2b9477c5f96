/* `[livewatch] publish = DIR`: after each commit DIR/index.html (the
 * report of every blog, report.h) and DIR/changes.atom (an Atom feed,
 * RFC 4287, of the latest changes: one entry per new, edited, removed or
 * restored post, with its word diff or text and the alerts it fired) are
 * rewritten, each atomically (file.h), so any web server or feed reader
 * can follow the history. */
#pragma once

#include <glib.h>
#include "history.h"

/* The feed holds the newest this many changes. */
#define LW_PUBLISH_FEED_ENTRIES 200

/* The Atom feed of the history's newest changes, a new string (its
 * length in *len).  Entry ids are "tag:livewatch.invalid,2023:BLOG/ID/COMMIT"
 * (one per change), links go to the post's own url and to
 * "index.html#BLOG/ID".  NULL with an error when the history cannot be
 * read. */
char *lw_publish_feed(struct lw_history_reader *r, const char *title, gint64 now, gsize *len,
                      GError **error);

/* Writes dir/index.html and dir/changes.atom from the history at repo,
 * creating dir when it is missing.  -1 with an error naming the file or
 * the repository; files already there are then left as they were (each
 * file is replaced whole or not at all). */
int lw_publish(const char *repo, const char *dir, gint64 now, GError **error);
