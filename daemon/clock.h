/* The blogs' clock: many things, each due at a moment, and one GLib timer
 * for the first of them.
 *
 * A timer source per blog would do the same, but GLib's main loop visits
 * every source at each wake-up: with 1,000 blogs at 60 s, perf put 5 % of
 * `livewatch run`'s CPU in g_source_ref and g_main_context_prepare/check
 * (daemon-bench 1000x60).  Here the things wait in one queue ordered by
 * when they are due (O(log n) to set), and the loop sees one timer.
 *
 * Things due at the same moment fire in the order they were set.  A fire
 * callback may set or unset anything, itself included; what it sets to a
 * moment already past fires at the next turn of the loop, never within
 * the same one.  Loop thread only (the thread-default main context of
 * the thread that made the clock). */
#pragma once

#include <glib.h>

/* Lives in the thing that is due; all zero = not due.  Read-only outside
 * clock.c. */
struct lw_clock_slot {
	GSequenceIter *it;          /* its place in the queue, NULL when not due */
	gint64 due;                 /* monotonic µs (g_get_monotonic_time), while due */
	guint64 ticket;             /* first set, first fired among equal `due` */
	void *item;                 /* what fire() is given */
};

struct lw_clock;

typedef void (*lw_clock_fire_fn)(void *item, void *data);

struct lw_clock *lw_clock_new(lw_clock_fire_fn fire, void *data);

/* Nothing fires after this; slots still set become not due. */
void lw_clock_free(struct lw_clock *clock);

/* Makes `item` due `ms` milliseconds from now (negative: now), in place
 * of any moment it was due before. */
void lw_clock_set(struct lw_clock *clock, struct lw_clock_slot *slot, void *item, gint64 ms);

/* Makes it not due (nothing happens if it was not). */
void lw_clock_unset(struct lw_clock *clock, struct lw_clock_slot *slot);

/* How many things are due. */
guint lw_clock_count(const struct lw_clock *clock);
