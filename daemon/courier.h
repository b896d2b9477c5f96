/* The courier: the daemon's alert deliveries, on a thread of their own.
 *
 * A webhook may take up to its timeout to answer and a hook up to its
 * own; the event loop must not wait on either, or one slow server would
 * hold up every blog's polls.  The loop hands each poll's alerts (already
 * in the outbox, see poll.h) to the courier, which gives every sink a
 * thread of its own (a lane) running a GLib main loop: each sink gets
 * the jobs in the order they were sent, a sink that hangs holds up only
 * itself, and what a sink waits for between alerts (a click on a desktop
 * notification) is handled when it comes.  Once every sink had its go,
 * the job's alerts are taken out of the outbox.
 *
 * Threads: only its lane touches a sink (the loop never delivers itself;
 * a sink's own callbacks, like a click, run on its lane), and every
 * `done` callback runs on the thread that made the courier, in its main
 * context, so reference counts and logging stay single-threaded there.
 * The job's ctx (and its sinks) must stay alive until `done` ran. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "poll.h"

struct lw_courier;

enum lw_courier_after {
	LW_COURIER_KEEP_OUTBOX,   /* the alerts are not in the outbox (health alerts) */
	LW_COURIER_REMOVE,        /* lw_outbox_remove() them once delivered */
	LW_COURIER_OUTBOX_DONE,   /* they were claimed at start: lw_outbox_done() */
};

/* errors: char * messages about failed deliveries (not yet logged);
 * cancelled: the courier stopped before the job was done, and what was
 * not delivered is still in the outbox. */
typedef void (*lw_courier_done_fn)(void *data, GPtrArray *errors, bool cancelled);

/* `done` callbacks run in the calling thread's default main context.
 * Lanes start with the first job for their sink. */
struct lw_courier *lw_courier_new(void);

/* Queues a job: deliver alerts (a reference is taken) to ctx's sinks, in
 * one batch, after the sinks' kept alerts that are due; alerts NULL:
 * only the kept alerts that are due (lw_poll_retry).  Then `after`, then
 * done(data, ...) on the owner's thread. */
void lw_courier_send(struct lw_courier *c, struct lw_poll_ctx *ctx, GPtrArray *alerts,
                     enum lw_courier_after after, lw_courier_done_fn done, void *data);

/* Stops: cancels the deliveries in progress (see lw_sink_set_cancellable),
 * skips the jobs still queued (their `done` runs, cancelled), and waits
 * up to wait_ms for the lanes to end.  Returns false when it did not
 * end in time (a notification server that does not answer): the courier
 * is then left as it is, and so must the contexts of its jobs be. */
bool lw_courier_stop(struct lw_courier *c, guint wait_ms);
