/* The blogs' clock (clock.h). */
#include "clock.h"

struct lw_clock {
	GSequence *queue;           /* struct lw_clock_slot *, by (due, ticket) */
	guint timer;                /* the one timer source, or 0 */
	gint64 timer_at;            /* monotonic µs it fires at */
	guint64 tickets;
	lw_clock_fire_fn fire;
	void *data;
};

static gint by_due(gconstpointer a, gconstpointer b, gpointer data)
{
	const struct lw_clock_slot *x = a, *y = b;
	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->ticket < y->ticket ? -1 : x->ticket > y->ticket;
}

static void arm(struct lw_clock *clock);

static gboolean on_timer(gpointer data)
{
	struct lw_clock *clock = data;
	clock->timer = 0;
	gint64 now = g_get_monotonic_time();
	/* What a callback sets now has a later ticket: it waits for the next
	 * turn, so a thing that keeps setting itself due cannot starve the
	 * loop. */
	guint64 last = clock->tickets;
	GSequenceIter *it;
	while (!g_sequence_iter_is_end(it = g_sequence_get_begin_iter(clock->queue))) {
		struct lw_clock_slot *s = g_sequence_get(it);
		if (s->due > now || s->ticket >= last)
			break;
		g_sequence_remove(it);
		s->it = NULL;
		clock->fire(s->item, clock->data);
	}
	arm(clock);
	return G_SOURCE_REMOVE;
}

/* Sets the timer for the first thing due, unless it fires by then. */
static void arm(struct lw_clock *clock)
{
	GSequenceIter *first = g_sequence_get_begin_iter(clock->queue);
	if (g_sequence_iter_is_end(first))
		return;
	const struct lw_clock_slot *s = g_sequence_get(first);
	if (clock->timer && clock->timer_at <= s->due)
		return;
	if (clock->timer)
		g_source_remove(clock->timer);
	gint64 wait_us = MAX(s->due - g_get_monotonic_time(), 0);
	clock->timer_at = s->due;
	/* rounded up: when it fires, the first thing is due */
	clock->timer = g_timeout_add((guint)MIN((wait_us + 999) / 1000, G_MAXUINT), on_timer, clock);
}

struct lw_clock *lw_clock_new(lw_clock_fire_fn fire, void *data)
{
	struct lw_clock *clock = g_new0(struct lw_clock, 1);
	clock->queue = g_sequence_new(NULL);
	clock->fire = fire;
	clock->data = data;
	return clock;
}

void lw_clock_free(struct lw_clock *clock)
{
	if (!clock)
		return;
	if (clock->timer)
		g_source_remove(clock->timer);
	GSequenceIter *it = g_sequence_get_begin_iter(clock->queue);
	for (; !g_sequence_iter_is_end(it); it = g_sequence_iter_next(it))
		((struct lw_clock_slot *)g_sequence_get(it))->it = NULL;
	g_sequence_free(clock->queue);
	g_free(clock);
}

void lw_clock_unset(struct lw_clock *clock, struct lw_clock_slot *slot)
{
	if (!slot->it)
		return;
	g_sequence_remove(slot->it);
	slot->it = NULL;
}

void lw_clock_set(struct lw_clock *clock, struct lw_clock_slot *slot, void *item, gint64 ms)
{
	lw_clock_unset(clock, slot);
	ms = CLAMP(ms, 0, (gint64)G_MAXUINT);
	slot->due = g_get_monotonic_time() + ms * 1000;
	slot->ticket = clock->tickets++;
	slot->item = item;
	slot->it = g_sequence_insert_sorted(clock->queue, slot, by_due, NULL);
	arm(clock);
}

guint lw_clock_count(const struct lw_clock *clock)
{
	return (guint)g_sequence_get_length(clock->queue);
}
