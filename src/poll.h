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
 *   5. alerts delivered to the sinks, outbox emptied. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "alert.h"
#include "config.h"
#include "diff.h"
#include "fetch.h"
#include "rules.h"
#include "store.h"

/* Everything a poll needs that outlives it.  Borrowed pointers: the
 * caller keeps cfg, store, rules and sinks alive while polling. */
struct lw_poll_ctx {
	const struct lw_config *cfg;
	struct lw_store *store;
	const struct lw_ruleset *rules;   /* [livewatch] rules */
	GHashTable *blog_rules;           /* blog name -> struct lw_ruleset * (blog's own), or NULL */
	GPtrArray *sinks;                 /* struct lw_sink * */
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
	bool baseline;           /* first recorded snapshot of the blog: alerts suppressed */
	char *format;            /* extractor used */
	guint entries;           /* entries on the page */
	struct lw_diff *diff;    /* the changes, or NULL */
	struct lw_snapshot *snapshot;
	struct lw_history *history;
	char commit[41];         /* commit id, "" when none */
	GPtrArray *alerts;       /* struct lw_alert *: fired (delivered or not) */
	GPtrArray *sink_errors;  /* char *: "sink 'x': ..." one per failed delivery */
	char *coverage_end;      /* JSON-LD coverageEndTime, or NULL */
};

void lw_poll_result_init(struct lw_poll_result *r);
void lw_poll_result_clear(struct lw_poll_result *r);

/* The conditional-GET state for the next fetch of blog (ETag etc. from
 * its state), to pass to the fetcher.  The strings are owned by *st. */
int lw_poll_prepare(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                    struct lw_blog_state **st, struct lw_fetch_cond *cond, GError **error);

/* Processes a finished fetch (fr, or fetch_error when the transfer
 * failed) at time `now` (unix seconds).  Consumes st.  Returns 0, or -1
 * with error only for problems of our own (repository, disk), which are
 * not the blog's fault: the blog's own faults are LW_POLL_FAILED. */
int lw_poll_finish(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                   struct lw_blog_state *st, const struct lw_fetch_result *fr,
                   const GError *fetch_error, gint64 now, struct lw_poll_result *out,
                   GError **error);

/* prepare + blocking lw_fetch_page + finish. */
int lw_poll_blog(struct lw_poll_ctx *ctx, const struct lw_blog_config *blog,
                 struct lw_poll_result *out, GError **error);

/* Delivers alerts left in the outbox by a crash.  Returns how many were
 * delivered; errors go to sink_errors (char *) when not NULL. */
int lw_poll_flush_outbox(struct lw_poll_ctx *ctx, GPtrArray *sink_errors, GError **error);

/* Delivers alerts as one batch per sink (the desktop sink coalesces a
 * burst into a summary); errors as for lw_poll_deliver. */
void lw_poll_deliver_all(struct lw_poll_ctx *ctx, GPtrArray *alerts, GPtrArray *errors);

/* Delivers one alert to every sink its rule wants (all when rule is
 * NULL); adds "sink 'x': ..." messages to errors. */
void lw_poll_deliver(struct lw_poll_ctx *ctx, const struct lw_alert *a, GPtrArray *errors);

/* Current time as RFC 3339 UTC ("2023-02-14T18:31:00Z"). */
char *lw_time_rfc3339(gint64 unix_seconds);
