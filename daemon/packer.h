/* The packer: keeps the history packed while `livewatch run` runs.
 *
 * A timer in the thread's default main context (first after 10 s, then
 * once a minute) catches git's index up with the last minute's commits
 * (lw_store_flush) and, when gc.h says packing is due, packs the history
 * on a thread of its own (one at a time; after a failure, not again for
 * an hour).  It logs what it did.  Single instance, loop thread only. */
#pragma once

#include <stdbool.h>
#include "store.h"

/* Arms the timer.  The store must outlive lw_packer_stop(); while
 * *stopping is true, the timer neither flushes nor starts packing. */
void lw_packer_start(struct lw_store *store, const bool *stopping);

/* Removes the timer; a packing in progress stops at its next step and
 * deletes nothing (what it wrote so far is removed). */
void lw_packer_stop(void);
