/* The scheduling policy (schedule.h): every case gives the facts and
 * checks the delay; no clock, no waiting. */
#include <glib.h>

#include "schedule.h"

#define NOW ((gint64)1700000000)
#define HOUR ((gint64)3600)

static struct lw_schedule_facts facts(void)
{
	return (struct lw_schedule_facts){
		.now = NOW,
		.interval = 120,
		.max_backoff = 1800,
		.adaptive = true,
		.max_interval = 900,
	};
}

static void test_fresh_blog_uses_its_interval(void)
{
	struct lw_schedule_facts f = facts();
	const char *why = NULL;
	bool over = true;
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 120);
	g_assert_cmpstr(why, ==, "");
	g_assert_false(over);
	/* a change a minute ago: still the interval */
	f.last_change = NOW - 60;
	g_assert_cmpint(lw_schedule_healthy(&f, NULL, &why), ==, 120);
	g_assert_cmpstr(why, ==, "");
}

static void test_quiet_blog_slows_down(void)
{
	struct lw_schedule_facts f = facts();
	const char *why;
	/* quiet for 2 h: a tenth of that */
	f.last_change = NOW - 2 * HOUR;
	g_assert_cmpint(lw_schedule_healthy(&f, NULL, &why), ==, 720);
	g_assert_cmpstr(why, ==, " (quiet)");
	/* quiet for 5 h: capped at max_interval */
	f.last_change = NOW - 5 * HOUR;
	g_assert_cmpint(lw_schedule_healthy(&f, NULL, &why), ==, 900);
	g_assert_cmpstr(why, ==, " (quiet)");
	/* quiet, but a tenth of it is still below the interval */
	f.last_change = NOW - 1000;
	g_assert_cmpint(lw_schedule_healthy(&f, NULL, &why), ==, 120);
	g_assert_cmpstr(why, ==, "");
	/* a max_interval below the interval never speeds a blog up */
	f.last_change = NOW - 5 * HOUR;
	f.interval = 1200;
	f.max_interval = 300;
	g_assert_cmpint(lw_schedule_healthy(&f, NULL, &why), ==, 1200);
	g_assert_cmpstr(why, ==, " (quiet)");
	/* adaptive = no */
	f = facts();
	f.adaptive = false;
	f.last_change = NOW - 5 * HOUR;
	g_assert_cmpint(lw_schedule_healthy(&f, NULL, &why), ==, 120);
	g_assert_cmpstr(why, ==, "");
}

/* A quiet day alone is not the end of a live blog: nights are quiet. */
static void test_quiet_is_not_over(void)
{
	struct lw_schedule_facts f = facts();
	const char *why;
	bool over = true;
	f.last_change = NOW - 72 * HOUR;
	g_assert_false(lw_schedule_over(&f));
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 900);
	g_assert_false(over);
	g_assert_cmpstr(why, ==, " (quiet)");
	f.adaptive = false;
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 120);
	g_assert_false(over);
}

static void test_over_when_coverage_ended(void)
{
	struct lw_schedule_facts f = facts();
	const char *why;
	bool over = false;
	/* the Guardian's end is its newest post while live: three quiet hours
	 * at night, or right after a post, are not the end */
	f.last_change = NOW - 4 * HOUR;
	f.coverage_end = NOW - 4 * HOUR;
	g_assert_false(lw_schedule_over(&f));
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 900);
	g_assert_false(over);
	g_assert_cmpstr(why, ==, " (quiet)");
	f.last_change = NOW - 60;
	f.coverage_end = NOW - 30 * HOUR;
	g_assert_false(lw_schedule_over(&f));
	/* an end long past and a day without change: over, hourly */
	f.last_change = NOW - 24 * HOUR + 1;
	g_assert_false(lw_schedule_over(&f));
	f.last_change = NOW - 24 * HOUR;
	g_assert_true(lw_schedule_over(&f));
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, HOUR);
	g_assert_true(over);
	g_assert_cmpstr(why, ==, " (over)");
	g_autofree char *ev = lw_schedule_over_evidence(&f);
	g_assert_cmpstr(ev, ==, "the page says it is no longer live (coverageEndTime 30 h ago), "
	                "no change for 24 h");
	/* over, adaptive off: hourly too */
	f.adaptive = false;
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, HOUR);
	/* an interval longer than an hour stays */
	f.interval = 2 * HOUR;
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 2 * HOUR);
	/* a new post: live again at once */
	f.interval = 120;
	f.last_change = NOW;
	g_assert_false(lw_schedule_over(&f));
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 120);
	g_assert_false(over);
	/* an end in the future */
	f.last_change = NOW - 48 * HOUR;
	f.coverage_end = NOW + HOUR;
	g_assert_false(lw_schedule_over(&f));
}

static void test_over_when_not_live(void)
{
	struct lw_schedule_facts f = facts();
	f.not_live = true;
	f.last_change = NOW - 2 * HOUR;
	g_assert_false(lw_schedule_over(&f));
	f.last_change = NOW - 25 * HOUR;
	g_assert_true(lw_schedule_over(&f));
	g_autofree char *ev = lw_schedule_over_evidence(&f);
	g_assert_cmpstr(ev, ==, "the page says it is no longer live (isLive false), "
	                "no change for 25 h");
	/* over = never */
	f.over_never = true;
	f.coverage_end = NOW - 100 * HOUR;
	g_assert_false(lw_schedule_over(&f));
}

/* The page's newest post links to the blog that follows it: over once
 * nothing has changed for LW_SCHEDULE_FOLLOW_ON_QUIET, whatever isLive
 * and coverageEndTime say; a change (a post after the closing one) ends
 * it; over = never turns it off. */
static void test_over_when_followed_on(void)
{
	struct lw_schedule_facts f = facts();
	const char *why;
	bool over = false;
	const char *next = "https://www.theguardian.com/world/live/2023/may/16/day-447";
	f.follow_on = next;
	f.coverage_end = NOW + HOUR;    /* the page says it is live */
	f.last_change = NOW - LW_SCHEDULE_FOLLOW_ON_QUIET + 60;
	g_assert_false(lw_schedule_over(&f));
	f.last_change = NOW - LW_SCHEDULE_FOLLOW_ON_QUIET;
	g_assert_true(lw_schedule_over(&f));
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, HOUR);
	g_assert_true(over);
	g_assert_cmpstr(why, ==, " (over)");
	g_autofree char *ev = lw_schedule_over_evidence(&f);
	g_assert_cmpstr(ev, ==, "its newest post links to the blog that follows it, "
	                "'https://www.theguardian.com/world/live/2023/may/16/day-447', "
	                "no change for 1 h");
	/* a change: live again at once */
	f.last_change = NOW;
	g_assert_false(lw_schedule_over(&f));
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 120);
	g_assert_false(over);
	/* no follow-on: quiet, not over */
	f.last_change = NOW - 5 * HOUR;
	f.follow_on = NULL;
	g_assert_false(lw_schedule_over(&f));
	/* over = never */
	f.follow_on = next;
	f.over_never = true;
	g_assert_false(lw_schedule_over(&f));
}

/* An over blog whose page answers 304 stays over: nothing was read, so
 * nothing new says otherwise (after a restart too, when the evidence
 * itself was not kept). */
static void test_over_stays_while_unchanged(void)
{
	struct lw_schedule_facts f = facts();
	f.last_change = NOW - 2 * HOUR;
	g_assert_false(lw_schedule_over(&f));
	f.over_unchanged = true;
	g_assert_true(lw_schedule_over(&f));
	f.over_never = true;
	g_assert_false(lw_schedule_over(&f));
}

static void test_over_followed_series_keeps_its_pace(void)
{
	struct lw_schedule_facts f = facts();
	const char *why;
	bool over = false;
	f.follow = true;
	f.last_change = NOW - 25 * HOUR;
	f.not_live = true;
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 900);
	g_assert_true(over);
	g_assert_cmpstr(why, ==, " (quiet)");
	f.adaptive = false;
	g_assert_cmpint(lw_schedule_healthy(&f, &over, &why), ==, 120);
	g_assert_cmpstr(why, ==, "");
	/* its page: hourly while the series stays */
	g_assert_cmpint(lw_schedule_page_due(&f), ==, NOW + HOUR);
}

static void test_backoff_doubles_up_to_the_cap(void)
{
	struct lw_schedule_facts f = facts();
	const char *why = NULL;
	g_assert_cmpint(lw_schedule_failed_ms(&f, 1, 0, 1.0, &why), ==, 120000);
	g_assert_cmpstr(why, ==, "");
	g_assert_cmpint(lw_schedule_failed_ms(&f, 2, 0, 1.0, &why), ==, 240000);
	g_assert_cmpint(lw_schedule_failed_ms(&f, 3, 0, 1.0, &why), ==, 480000);
	g_assert_cmpint(lw_schedule_failed_ms(&f, 4, 0, 1.0, &why), ==, 960000);
	g_assert_cmpint(lw_schedule_failed_ms(&f, 5, 0, 1.0, &why), ==, 1800000);
	g_assert_cmpint(lw_schedule_failed_ms(&f, 500, 0, 1.0, &why), ==, 1800000);
	/* the jitter the caller drew scales it */
	g_assert_cmpint(lw_schedule_failed_ms(&f, 2, 0, 0.9, &why), ==, 216000);
	g_assert_cmpint(lw_schedule_failed_ms(&f, 5, 0, 1.1, &why), ==, 1980000);
	/* a cap below the interval: the interval */
	f.interval = 3600;
	g_assert_cmpint(lw_schedule_failed_ms(&f, 1, 0, 1.0, &why), ==, 3600000);
	g_assert_cmpint(lw_schedule_failed_ms(&f, 9, 0, 1.0, &why), ==, 3600000);
}

static void test_retry_after_lengthens_never_shortens(void)
{
	struct lw_schedule_facts f = facts();
	const char *why = NULL;
	/* shorter than the backoff: the backoff, but the log says why */
	g_assert_cmpint(lw_schedule_failed_ms(&f, 2, 30, 1.0, &why), ==, 240000);
	g_assert_cmpstr(why, ==, " (Retry-After)");
	g_assert_cmpint(lw_schedule_failed_ms(&f, 1, 600, 1.1, &why), ==, 600000);
	g_assert_cmpstr(why, ==, " (Retry-After)");
	/* a server asking for a week gets a day */
	g_assert_cmpint(lw_schedule_failed_ms(&f, 1, 7 * 24 * HOUR, 1.0, &why), ==,
	                24 * HOUR * 1000);
	/* none */
	g_assert_cmpint(lw_schedule_failed_ms(&f, 1, 0, 1.0, &why), ==, 120000);
	g_assert_cmpstr(why, ==, "");
}

static void test_errors_of_our_own(void)
{
	struct lw_schedule_facts f = facts();
	f.interval = 10;
	g_assert_cmpint(lw_schedule_store_error(&f), ==, 60);
	g_assert_cmpint(lw_schedule_start_error(&f), ==, 60);
	f.interval = 600;
	g_assert_cmpint(lw_schedule_store_error(&f), ==, 600);
	g_assert_cmpint(lw_schedule_start_error(&f), ==, 600);
	f.max_backoff = 300;
	g_assert_cmpint(lw_schedule_store_error(&f), ==, 300);
	g_assert_cmpint(lw_schedule_start_error(&f), ==, 600);
}

static void test_jitter(void)
{
	g_assert_cmpint(lw_schedule_jitter_ms(120, 1.0), ==, 120000);
	g_assert_cmpint(lw_schedule_jitter_ms(120, 1.0 - LW_SCHEDULE_JITTER), ==, 108000);
	g_assert_cmpint(lw_schedule_jitter_ms(120, 1.0 + LW_SCHEDULE_JITTER), ==, 132000);
	g_assert_cmpint(lw_schedule_jitter_ms(0, 1.1), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/schedule/fresh", test_fresh_blog_uses_its_interval);
	g_test_add_func("/schedule/quiet", test_quiet_blog_slows_down);
	g_test_add_func("/schedule/quiet-is-not-over", test_quiet_is_not_over);
	g_test_add_func("/schedule/over-not-live", test_over_when_not_live);
	g_test_add_func("/schedule/over-coverage", test_over_when_coverage_ended);
	g_test_add_func("/schedule/over-follow", test_over_followed_series_keeps_its_pace);
	g_test_add_func("/schedule/over-followed-on", test_over_when_followed_on);
	g_test_add_func("/schedule/over-unchanged", test_over_stays_while_unchanged);
	g_test_add_func("/schedule/backoff", test_backoff_doubles_up_to_the_cap);
	g_test_add_func("/schedule/retry-after", test_retry_after_lengthens_never_shortens);
	g_test_add_func("/schedule/own-errors", test_errors_of_our_own);
	g_test_add_func("/schedule/jitter", test_jitter);
	return g_test_run();
}
