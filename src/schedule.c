/* The scheduling policy (schedule.h): arithmetic on the facts given,
 * nothing else. */
#include "schedule.h"

static bool coverage_ended(const struct lw_schedule_facts *f)
{
	return f->coverage_end && f->coverage_end + LW_SCHEDULE_COVERAGE_GRACE < f->now;
}

static bool quiet_for(const struct lw_schedule_facts *f, gint64 seconds)
{
	return f->last_change && f->now - f->last_change >= seconds;
}

static bool followed_on(const struct lw_schedule_facts *f)
{
	return f->follow_on && quiet_for(f, LW_SCHEDULE_FOLLOW_ON_QUIET);
}

bool lw_schedule_over(const struct lw_schedule_facts *f)
{
	if (f->over_never)
		return false;
	if (f->over_unchanged || followed_on(f))
		return true;
	return (f->not_live || coverage_ended(f)) && quiet_for(f, LW_SCHEDULE_OVER_AFTER);
}

char *lw_schedule_over_evidence(const struct lw_schedule_facts *f)
{
	if (followed_on(f))
		return g_strdup_printf("its newest post links to the blog that follows it, '%s', "
		                       "no change for %" G_GINT64_FORMAT " h", f->follow_on,
		                       (f->now - f->last_change) / 3600);
	GString *s = g_string_new("the page says it is no longer live (");
	if (f->not_live)
		g_string_append(s, "isLive false");
	if (coverage_ended(f))
		g_string_append_printf(s, "%scoverageEndTime %" G_GINT64_FORMAT " h ago",
		                       f->not_live ? ", " : "", (f->now - f->coverage_end) / 3600);
	g_string_append_printf(s, "), no change for %" G_GINT64_FORMAT " h",
	                       f->last_change ? (f->now - f->last_change) / 3600 : 0);
	return g_string_free(s, FALSE);
}

gint64 lw_schedule_healthy(const struct lw_schedule_facts *f, bool *over, const char **why)
{
	gint64 base = f->interval;
	gint64 quiet = f->last_change ? f->now - f->last_change : 0;
	gint64 next = base;
	*why = "";
	if (f->adaptive && quiet / 10 > base) {
		/* Poll at a tenth of the quiet time, up to max_interval. */
		next = MIN(quiet / 10, MAX(base, f->max_interval));
		*why = " (quiet)";
	}
	bool is_over = lw_schedule_over(f);
	if (over)
		*over = is_over;
	/* A followed series is still read at the usual pace: the next day's
	 * page appears there, and only its page is worth reading. */
	if (is_over && !f->follow) {
		next = MAX(next, LW_SCHEDULE_HOURLY);
		*why = " (over)";
	}
	return next;
}

gint64 lw_schedule_failed_ms(const struct lw_schedule_facts *f, int failures,
                             gint64 retry_after, double jitter, const char **why)
{
	gint64 back = f->interval;
	for (int i = 1; i < failures && back < f->max_backoff; i++)
		back *= 2;
	back = MAX(f->interval, MIN(back, f->max_backoff));
	gint64 ms = lw_schedule_jitter_ms(back, jitter);
	*why = "";
	if (retry_after > 0) {
		gint64 ra = MIN(retry_after, LW_SCHEDULE_MAX_RETRY_AFTER);
		ms = MAX(ms, ra * 1000);
		*why = " (Retry-After)";
	}
	return ms;
}

gint64 lw_schedule_store_error(const struct lw_schedule_facts *f)
{
	return MIN(f->max_backoff, MAX(f->interval, 60));
}

gint64 lw_schedule_start_error(const struct lw_schedule_facts *f)
{
	return MAX(f->interval, 60);
}

gint64 lw_schedule_page_due(const struct lw_schedule_facts *f)
{
	return f->now + LW_SCHEDULE_HOURLY;
}

gint64 lw_schedule_jitter_ms(gint64 seconds, double jitter)
{
	return (gint64)((double)seconds * 1000.0 * jitter);
}
