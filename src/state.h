/* Per-blog fetch state: ETag, Last-Modified, failures, removed ids.  Not
 * history: it lives in the store's state folder (<repo>/.git/livewatch/),
 * never in a commit. */
#pragma once

#include <glib.h>
#include <stdbool.h>

struct lw_store;

/* Per-blog fetch state, saved as JSON in the state dir (<blog>.json),
 * replaced atomically (write, fsync, rename). */
struct lw_blog_state {
	char *url;              /* the url etag/last_modified belong to */
	char *blog_url;         /* the [blog] url of the last good snapshot: another
	                           one is a new baseline; "" before one (or in a state
	                           file older than this field) */
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
	bool over;              /* polled as over (schedule.h), saved when that changes */
	char *follow_on;        /* the newer blog the page's newest post linked to when the
	                           page was last read (poll.h), "" when none; a 304 says
	                           the same again */
};
struct lw_blog_state *lw_blog_state_new(void);
void lw_blog_state_free(struct lw_blog_state *st);

/* A missing file gives a fresh state; a corrupt one is an error naming it.
 * The store lock is not needed to read state; only its holder should save. */
struct lw_blog_state *lw_store_load_state(struct lw_store *s, const char *blog, GError **error);
/* The same from a state folder (<repo>/.git/livewatch) without opening
 * the repository: for readers such as `livewatch status`. */
struct lw_blog_state *lw_state_load(const char *state_dir, const char *blog, GError **error);
int lw_store_save_state(struct lw_store *s, const char *blog, const struct lw_blog_state *st, GError **error);
