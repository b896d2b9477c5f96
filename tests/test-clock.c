/* The blogs' clock (daemon/clock.h): one timer for many things due.
 * Each case runs the real main loop until what it waits for has fired,
 * up to a deadline; only lower bounds are checked against the clock. */
#include <glib.h>

#include "clock.h"

struct thing {
	const char *name;
	struct lw_clock_slot slot;
	int fired;
	gint64 set_at;              /* monotonic µs of the last set */
	gint64 fired_at;
	int again;                  /* fire() sets it again, now, this many times */
};

struct run {
	struct lw_clock *clock;
	GString *order;             /* names, in the order they fired */
};

static void fire(void *item, void *data)
{
	struct thing *t = item;
	struct run *r = data;
	t->fired++;
	t->fired_at = g_get_monotonic_time();
	g_string_append(r->order, t->name);
	g_assert_null(t->slot.it);
	if (t->again > 0) {
		t->again--;
		t->set_at = g_get_monotonic_time();
		lw_clock_set(r->clock, &t->slot, t, 0);
	}
}

static void setup(struct run *r)
{
	r->order = g_string_new("");
	r->clock = lw_clock_new(fire, r);
}

static void teardown(struct run *r)
{
	lw_clock_free(r->clock);
	g_string_free(r->order, TRUE);
}

static void set(struct run *r, struct thing *t, gint64 ms)
{
	t->set_at = g_get_monotonic_time();
	lw_clock_set(r->clock, &t->slot, t, ms);
}

/* Turns the loop until `order` is `want` (fails past 10 s). */
static void run_until(struct run *r, const char *want)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (strcmp(r->order->str, want)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_assert_cmpuint(r->order->len, <, strlen(want) + 1);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(500);
	}
}

/* Turns the loop for `ms` milliseconds. */
static void run_for(gint64 ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;
	while (g_get_monotonic_time() < end) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(500);
	}
}

static void test_fires_in_order_of_due(void)
{
	struct run r;
	setup(&r);
	struct thing a = {.name = "a"}, b = {.name = "b"}, c = {.name = "c"}, d = {.name = "d"};
	set(&r, &a, 60);
	set(&r, &b, 20);
	set(&r, &c, 40);
	set(&r, &d, 20);
	g_assert_cmpuint(lw_clock_count(r.clock), ==, 4);
	/* by the moments they were given ("bdca" unless a stall of 20 ms
	 * came between two of the calls above): due, then first set */
	struct thing *by[] = {&b, &d, &c, &a};
	for (int i = 1; i < 4; i++)
		for (int j = i; j > 0 && (by[j]->slot.due < by[j - 1]->slot.due ||
		                          (by[j]->slot.due == by[j - 1]->slot.due &&
		                           by[j]->slot.ticket < by[j - 1]->slot.ticket)); j--) {
			struct thing *t = by[j];
			by[j] = by[j - 1];
			by[j - 1] = t;
		}
	char want[5] = {by[0]->name[0], by[1]->name[0], by[2]->name[0], by[3]->name[0], 0};
	run_until(&r, want);
	/* never early: a timer is rounded up, not down */
	g_assert_cmpint(a.fired_at - a.set_at, >=, 60 * 1000);
	g_assert_cmpint(c.fired_at - c.set_at, >=, 40 * 1000);
	g_assert_cmpint(b.fired_at - b.set_at, >=, 20 * 1000);
	g_assert_cmpuint(lw_clock_count(r.clock), ==, 0);
	/* each fired once, and nothing is left to fire */
	run_for(30);
	g_assert_cmpstr(r.order->str, ==, want);
	teardown(&r);
}

static void test_same_moment_first_set_first_fired(void)
{
	struct run r;
	setup(&r);
	struct thing t[6];
	const char *names[] = {"1", "2", "3", "4", "5", "6"};
	for (int i = 0; i < 6; i++) {
		t[i] = (struct thing){.name = names[i]};
		set(&r, &t[i], -5);     /* negative: now */
	}
	run_until(&r, "123456");
	teardown(&r);
}

static void test_set_again_moves_it(void)
{
	struct run r;
	setup(&r);
	struct thing a = {.name = "a"}, b = {.name = "b"};
	set(&r, &a, 10);
	set(&r, &b, 40);
	set(&r, &a, 80);            /* later than b now */
	g_assert_cmpuint(lw_clock_count(r.clock), ==, 2);
	run_until(&r, "ba");
	g_assert_cmpint(a.fired, ==, 1);
	g_assert_cmpint(a.fired_at - a.set_at, >=, 80 * 1000);
	/* and earlier: the timer follows the new first */
	struct thing c = {.name = "c"}, d = {.name = "d"};
	set(&r, &c, 60000);
	set(&r, &d, 60000);
	set(&r, &c, 10);
	run_until(&r, "bac");
	lw_clock_unset(r.clock, &d.slot);
	teardown(&r);
}

static void test_unset_never_fires(void)
{
	struct run r;
	setup(&r);
	struct thing a = {.name = "a"}, b = {.name = "b"};
	set(&r, &a, 10);
	set(&r, &b, 50);
	lw_clock_unset(r.clock, &a.slot);
	g_assert_null(a.slot.it);
	lw_clock_unset(r.clock, &a.slot);       /* twice: nothing happens */
	g_assert_cmpuint(lw_clock_count(r.clock), ==, 1);
	run_until(&r, "b");
	run_for(30);
	g_assert_cmpint(a.fired, ==, 0);
	teardown(&r);
}

/* A thing that sets itself due now from its own fire() fires again at
 * the next turn of the loop, not in the same one: other sources run in
 * between, and the loop is never held. */
static guint turns;

static gboolean count_turn(gpointer data)
{
	turns++;
	return G_SOURCE_CONTINUE;
}

static void test_set_from_fire_waits_for_the_next_turn(void)
{
	struct run r;
	setup(&r);
	struct thing a = {.name = "a", .again = 4}, b = {.name = "b"};
	guint idle = g_idle_add_full(G_PRIORITY_DEFAULT, count_turn, NULL, NULL);
	turns = 0;
	set(&r, &a, 0);
	set(&r, &b, 0);
	run_until(&r, "abaaaa");
	g_assert_cmpint(a.fired, ==, 5);
	/* between two of a's fires the other source ran at least once */
	g_assert_cmpuint(turns, >=, 4);
	g_source_remove(idle);
	teardown(&r);
}

static void test_free_with_things_due(void)
{
	struct run r;
	setup(&r);
	struct thing a = {.name = "a"}, b = {.name = "b"};
	set(&r, &a, 10);
	set(&r, &b, 20);
	lw_clock_free(r.clock);
	g_assert_null(a.slot.it);
	g_assert_null(b.slot.it);
	/* its timer went with it */
	run_for(50);
	g_assert_cmpint(a.fired + b.fired, ==, 0);
	g_string_free(r.order, TRUE);
}

/* Many things, set in random order, some set again, some unset: they
 * fire by due, each once, and the unset never. */
static void test_many(void)
{
	struct run r;
	setup(&r);
	enum { N = 400 };
	static struct thing t[N];
	static char names[N][2];
	GRand *rand = g_rand_new_with_seed(9);
	for (int i = 0; i < N; i++) {
		names[i][0] = (char)('!' + i % 90);
		t[i] = (struct thing){.name = names[i]};
		set(&r, &t[i], g_rand_int_range(rand, 0, 120));
	}
	for (int i = 0; i < N; i += 7)
		set(&r, &t[i], g_rand_int_range(rand, 0, 120));
	int unset = 0;
	for (int i = 3; i < N; i += 11, unset++)
		lw_clock_unset(r.clock, &t[i].slot);
	g_assert_cmpuint(lw_clock_count(r.clock), ==, N - unset);
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (lw_clock_count(r.clock)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(500);
	}
	g_assert_cmpuint(r.order->len, ==, N - unset);
	for (int i = 0; i < N; i++) {
		g_assert_cmpint(t[i].fired, ==, i % 11 == 3 ? 0 : 1);
		if (t[i].fired)
			g_assert_cmpint(t[i].fired_at, >=, t[i].slot.due);
	}
	g_rand_free(rand);
	teardown(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/clock/fires-in-order-of-due", test_fires_in_order_of_due);
	g_test_add_func("/clock/same-moment-first-set-first-fired",
	                test_same_moment_first_set_first_fired);
	g_test_add_func("/clock/set-again-moves-it", test_set_again_moves_it);
	g_test_add_func("/clock/unset-never-fires", test_unset_never_fires);
	g_test_add_func("/clock/set-from-fire-waits-for-the-next-turn",
	                test_set_from_fire_waits_for_the_next_turn);
	g_test_add_func("/clock/free-with-things-due", test_free_with_things_due);
	g_test_add_func("/clock/many", test_many);
	return g_test_run();
}
