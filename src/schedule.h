/* When the daemon polls a blog next: the scheduling policy, as pure
 * functions.
 *
 * Every function takes the facts (a "now" in unix seconds, the blog's
 * interval, its failures, what the server asked for, when the blog last
 * changed...) and returns a delay; none reads a clock, draws a random
 * number or touches anything else, so the policy is tested without
 * waiting (tests/test-schedule.c), the way OpenBSD ntpd computes its next
 * poll.  The event loop (daemon/loop.c) gathers the facts and arms the
 * timers. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* A blog that is over is polled this often (seconds), and so is the page
 * of a followed series that is over. */
#define LW_SCHEDULE_HOURLY 3600
/* A blog the page says is over must also not have changed for this long
 * (seconds) before it is polled as over. */
#define LW_SCHEDULE_OVER_AFTER (24 * 3600)
/* A blog whose newest post links to the blog that follows it (follow.h
 * lw_follow_on_find) is over once it has not changed for this long
 * (seconds): the closing post is the last, and a live blog that only
 * pointed at another one goes on posting. */
#define LW_SCHEDULE_FOLLOW_ON_QUIET 3600
/* The Guardian sets coverageEndTime to its newest post's time while the
 * blog is still live, so an end counts only once it is this far past. */
#define LW_SCHEDULE_COVERAGE_GRACE (3 * 3600)
/* A server's Retry-After is obeyed up to this many seconds. */
#define LW_SCHEDULE_MAX_RETRY_AFTER (24 * 3600)
/* Delays are spread by ±this fraction so blogs started together drift
 * apart: the caller draws a factor in [1 - J, 1 + J]. */
#define LW_SCHEDULE_JITTER 0.1

/* What the policy looks at; a plain struct the caller fills. */
struct lw_schedule_facts {
	gint64 now;              /* unix seconds */
	gint64 interval;         /* the blog's interval, seconds (> 0) */
	gint64 max_backoff;      /* cap of the failure backoff, seconds */
	bool adaptive;           /* quiet blogs are polled less often */
	gint64 max_interval;     /* cap of the adaptive slowing, seconds */
	gint64 last_change;      /* unix seconds of the blog's last change, 0 = never */
	gint64 coverage_end;     /* unix seconds of the page's coverageEndTime, 0 = none */
	bool not_live;           /* the page says it is no longer live (JSON-LD isLive false) */
	const char *follow_on;   /* the newer blog of the series the page's newest post
	                            links to, or NULL */
	bool over_unchanged;     /* the blog was over and its page has not changed since
	                            (HTTP 304): what made it over still holds */
	bool over_never;         /* the blog's `over = never`: never over */
	bool follow;             /* the blog follows a series page */
};

/* Whether the blog is over, on strong evidence only: its newest post
 * links to the blog that follows it and it has not changed for
 * LW_SCHEDULE_FOLLOW_ON_QUIET; or the page says so (isLive false, or a
 * coverageEndTime more than LW_SCHEDULE_COVERAGE_GRACE past) *and* the
 * blog has not changed for LW_SCHEDULE_OVER_AFTER; or it was over and its
 * page is unchanged.  A quiet night, a coverageEndTime that is only the
 * newest post's time, a restart: none is enough.  A change ends it at
 * once (last_change is now, and a new post is newer than the one with
 * the link).  Never with over_never. */
bool lw_schedule_over(const struct lw_schedule_facts *f);
/* The evidence for lw_schedule_over(), for the log: "the page says it is
 * no longer live (isLive false), no change for 26 h", or "its newest post
 * links to the blog that follows it, 'URL', no change for 1 h"; newly
 * allocated. */
char *lw_schedule_over_evidence(const struct lw_schedule_facts *f);

/* Seconds until the next poll of a blog whose last poll succeeded: the
 * interval; a tenth of the quiet time when adaptive and that is longer
 * (up to max_interval, never below the interval); at least hourly once
 * the blog is over, unless it follows a series (the next day's page
 * appears there, so the series is read at the usual pace).
 * *over (may be NULL) is lw_schedule_over(f); *why is "" or a note for
 * the log (" (quiet)", " (over)"), a static string, never NULL. */
gint64 lw_schedule_healthy(const struct lw_schedule_facts *f, bool *over, const char **why);

/* Milliseconds until the next poll after `failures` (>= 1) failed polls
 * in a row: the interval doubled per failure after the first, capped by
 * max_backoff (never below the interval), times `jitter` (the caller's
 * random factor, see LW_SCHEDULE_JITTER); a Retry-After of retry_after
 * seconds (0: none; capped at LW_SCHEDULE_MAX_RETRY_AFTER) makes it
 * longer, never shorter.  *why: "" or " (Retry-After)", never NULL. */
gint64 lw_schedule_failed_ms(const struct lw_schedule_facts *f, int failures,
                             gint64 retry_after, double jitter, const char **why);

/* Seconds before the next try after an error of livewatch's own while
 * recording a poll (repository, disk): the interval, at least a minute,
 * at most max_backoff. */
gint64 lw_schedule_store_error(const struct lw_schedule_facts *f);

/* Seconds before the next try when a poll could not even start (its
 * state cannot be read): the interval, at least a minute. */
gint64 lw_schedule_start_error(const struct lw_schedule_facts *f);

/* Unix seconds before which the page of an over, followed blog is not
 * fetched again while its series stays where it is. */
gint64 lw_schedule_page_due(const struct lw_schedule_facts *f);

/* seconds * 1000 * jitter, the jitter factor drawn by the caller. */
gint64 lw_schedule_jitter_ms(gint64 seconds, double jitter);
