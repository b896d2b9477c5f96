/* One poll of one blog, start to end: fetch, extract, diff, match rules,
 * commit, alert.  Shared by `livewatch poll` and the daemon; reports what
 * happened in struct lw_poll_result and never logs.
 *
 * Order of effects, so that a crash loses no alert and a broken fetch
 * never rewrites history:
 *   1. a fetch error, HTTP >= 400, an unparsable or unhealthy page: count the
 *      failure in the blog's state; nothing committed, nothing alerted,
 *      ETag/Last-Modified not advanced (the next poll re-reads the page);
 *   2. alerts are appended to the outbox (fsync'd);
 *   3. one commit with every change;
 *   4. state saved (ETag, Last-Modified, removed ids, baseline);
 *   5. alerts delivered to the sinks (or handed to ctx->dispatch), then
 *      removed from the outbox. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "alert.h"
#include "config.h"
#include "diff.h"
#include "fetch.h"
#include "outbox.h"
#include "rules.h"
#include "sink.h"
#include "store.h"

/* Everything a poll needs that outlives it.  Borrowed pointers: the
 * caller keeps cfg, store, rules and sinks alive while polling. */
struct lw_poll_ctx {
	const struct lw_config *cfg;
	struct lw_store *store;
	const struct lw_ruleset *rules;   /* [livewatch] rules */
	GHashTable *blog_rules;           /* blog name -> struct lw_ruleset * (blog's own), or NULL */
	GPtrArray *sinks;                 /* struct lw_sink * */
	/* When set, a poll does not deliver its alerts itself: it hands them
	 * (in the outbox by then) to dispatch, which must deliver them and
	 * then lw_outbox_remove() them, e.g. on another thread, so that a
	 * slow webhook never holds up the next poll.  dispatch takes a
	 * reference to the array if it keeps it. */
	void (*dispatch)(void *data, GPtrArray *alerts);
	void *dispatch_data;
	/* Set by a caller that batches commits (lw_poll_job_record()): the
	 * outbox is its business, for the whole batch at once. */
	bool batch;
};

enum lw_poll_outcome {
	LW_POLL_CHANGED,        /* a commit was made */
	LW_POLL_UNCHANGED,      /* page fetched and parsed, nothing changed */
	LW_POLL_NOT_MODIFIED,   /* 304: nothing parsed */
	LW_POLL_FAILED,         /* fetch error or unhealthy page: see error */
};

struct lw_poll_result {
	enum lw_poll_outcome outcome;
	char *error;             /* LW_POLL_FAILED: what went wrong, naming the url */
	int failures;            /* consecutive failures now */
	bool started_failing;    /* this poll turned a healthy blog into a failing one */
	bool recovered;          /* this poll ended a run of failures */
	long retry_after;        /* seconds from a 429/503 Retry-After, else -1 */
	bool baseline;           /* first recorded snapshot of the blog, or of its new
	                            url: alerts suppressed */
	char *url_changed_from;  /* the [blog] url changed since the last good poll:
	                            the old one (this poll is a new baseline, and
	                            what the old page showed is not removed), or NULL */
	char *format;            /* extractor used */
	guint entries;           /* entries on the page */
	struct lw_diff *diff;    /* the changes, or NULL */
	struct lw_snapshot *snapshot;
	struct lw_record *record;   /* what HEAD held for the page (the diff borrows from it) */
	char commit[41];         /* commit id, "" when none */
	GPtrArray *alerts;       /* struct lw_alert *: fired (delivered or not) */
	GPtrArray *sink_errors;  /* char *: "sink 'x': ..." one per failed delivery */
	char *coverage_end;      /* JSON-LD coverageEndTime, or NULL */
	int live;                /* JSON-LD isLive: 1, 0, or -1 when the page does not say */
	char *follow_on;         /* the newer blog of the series the page's newest post
	                            links to (follow.h lw_follow_on_find), or NULL; on a
	                            304, the one of the page as last read (state.h) */
};

void lw_poll_result_init(struct lw_poll_result *r);
void lw_poll_result_clear(struct lw_poll_result *r);
/* Frees what only the poll's own steps needed (the page's snapshot, the
 * recorded versions, the diff's list of changes), keeping what a report
 * of it says (outcome, counts, commit, alerts, errors): for a caller that
 * holds many results until their batch ends (lw_poll_job_record()). */
void lw_poll_result_slim(struct lw_poll_result *r);

/* One poll of one blog, possibly several pages, as a state machine the
 * blocking `poll` command and the event loop both drive:
 *
 *   job = lw_poll_job_new(ctx, blog, NULL, &err);
 *   while ((url = lw_poll_job_url(job)))
 *       ... fetch url with lw_poll_job_cond(job) ...
 *       lw_poll_job_feed(job, &result_or_NULL, fetch_error_or_NULL, now);
 *   lw_poll_job_finish(job, &out, &err);
 *   lw_poll_job_free(job);
 *
 * Only the first page is fetched conditionally; with `pages` > 1 or "all"
 * the job follows the page's own link to older pages (snapshot next_url),
 * never the same url twice, up to max_pages.  Any failed page fails the
 * whole poll: nothing from a broken response is recorded. */
struct lw_poll_job;

/* url: the page to poll, NULL for blog->url (the daemon passes the page it
 * follows).  Loads the blog's state; NULL with error when it cannot. */
struct lw_poll_job *lw_poll_job_new(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                                    const char *url, GError **error);
void lw_poll_job_free(struct lw_poll_job *j);

/* The url to fetch now, or NULL when the job needs no more pages. */
const char *lw_poll_job_url(const struct lw_poll_job *j);
/* Conditional-GET validators for the current fetch, or NULL (valid until
 * the next feed). */
const struct lw_fetch_cond *lw_poll_job_cond(const struct lw_poll_job *j);
const struct lw_blog_config *lw_poll_job_blog(const struct lw_poll_job *j);

/* Gives the job the outcome of fetching lw_poll_job_url(): fr for a
 * complete response, or fetch_error when the transfer failed.  `now` is
 * the fetch time (unix seconds); the first page's becomes the commit time. */
void lw_poll_job_feed(struct lw_poll_job *j, const struct lw_fetch_result *fr,
                      const GError *fetch_error, gint64 now);

/* Diffs, commits, alerts and saves the state (see the order above):
 * lw_poll_job_record() then lw_poll_job_complete().  Returns 0, or -1
 * with error only for problems of our own (repository, disk): the blog's
 * own faults are LW_POLL_FAILED in out. */
int lw_poll_job_finish(struct lw_poll_job *j, struct lw_poll_result *out, GError **error);

/* The two halves of lw_poll_job_finish(), for a caller that batches
 * commits (store.h lw_store_batch_begin, ctx->batch set): _record()
 * diffs, matches rules and commits; it returns 1 when the state must be
 * saved and the alerts delivered, which _complete() does, 0 when nothing
 * is left to do, -1 as above.  The caller puts every job's alerts in the
 * outbox before it ends the batch (so that a crash after the ref moved
 * delivers them at the next start), calls _complete() for each job once
 * the batch is on the disk, then takes the delivered alerts out of the
 * outbox.  When the batch could not be written, lw_poll_job_abandon()
 * makes a job whose commit was in it (out->commit set) LW_POLL_FAILED
 * with why's message and no alerts, its state not saved, so the next
 * poll sees the same change again (the caller takes its alerts back out
 * of the outbox).  Without ctx->batch, _record() and _complete() see to
 * the outbox themselves, one job at a time. */
int lw_poll_job_record(struct lw_poll_job *j, struct lw_poll_result *out, GError **error);
int lw_poll_job_complete(struct lw_poll_job *j, struct lw_poll_result *out, GError **error);
void lw_poll_job_abandon(struct lw_poll_job *j, struct lw_poll_result *out, const GError *why);

/* Fetches every page the job needs with the blocking fetcher, feeding
 * each to it (the host's delay between a blog's pages). */
void lw_poll_job_fetch(struct lw_poll_job *j);

/* The fetch options the config asks for (user agent, timeouts, limits). */
struct lw_fetch_opts lw_poll_fetch_opts(const struct lw_config *cfg);

/* A whole poll with the blocking fetcher; url as for lw_poll_job_new(). */
int lw_poll_blog(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog, const char *url,
                 struct lw_poll_result *out, GError **error);

/* Claims the alerts a crash left in the outbox (lw_outbox_claim), and
 * when there are none, is done with it (lw_outbox_done): the caller
 * delivers what it returns, then calls lw_outbox_done().  Rejected lines
 * go to warnings (may be NULL).  NULL with an error when the outbox
 * cannot be read. */
GPtrArray *lw_poll_claim_outbox(struct lw_poll_ctx *ctx, GPtrArray *warnings, GError **error);

/* Delivers alerts left in the outbox by a crash, on this thread (claim,
 * every sink, done).  Returns how many were delivered; rejected lines and
 * delivery errors go to sink_errors (char *) when not NULL. */
int lw_poll_flush_outbox(struct lw_poll_ctx *ctx, GPtrArray *sink_errors, GError **error);

/* Delivers alerts as one batch per sink (the desktop sink coalesces a
 * burst into a summary), after the alerts sinks kept from failed
 * deliveries when their retry is due.  One sink after the other, each
 * getting the whole batch; each alert goes to the sinks its rule wants
 * (all when its rule is gone).  Adds "sink 'x': ..." messages to errors
 * (may be NULL).  A sink that retries (webhook, exec) keeps an alert it
 * failed to deliver. */
void lw_poll_deliver_all(struct lw_poll_ctx *ctx, GPtrArray *alerts, GPtrArray *errors);

/* The same for one sink of ctx (alerts NULL: only its kept alerts that
 * are due), for callers that give each sink its own thread: the policy
 * is lw_sink_deliver_batch() (sink.h), the sinks each alert goes to are
 * its rule's. */
void lw_poll_deliver_to(struct lw_poll_ctx *ctx, struct lw_sink *s, GPtrArray *alerts,
                        GPtrArray *errors);

/* Retries the kept alerts of every sink whose retry is due (sink.h,
 * "Retrying"); cheap when none is.  Errors as for lw_poll_deliver_all. */
void lw_poll_retry(struct lw_poll_ctx *ctx, GPtrArray *errors);


/* Current time as RFC 3339 UTC ("2023-02-14T18:31:00Z"). */
char *lw_time_rfc3339(gint64 unix_seconds);
