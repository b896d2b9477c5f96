/* (daemon/publish.c) Pushing the history to `push =` (src/push.h) without holding up
 * recording: in the daemon each push runs on a thread of its own, and
 * commits made while one runs go out together in the next (batched); a
 * remote that fails is retried with a growing delay (30 s doubling to
 * 10 min) and said once until it works again; a remote whose branch
 * moved is said once and pushing stops.  Out of a main loop (`livewatch
 * poll`) a push runs at once, after the commit. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "config.h"

struct lw_pusher;

/* NULL when cfg has no `push =`.  Copies what it needs of cfg. */
struct lw_pusher *lw_pusher_new(const struct lw_config *cfg);
/* True when p pushes where cfg says (push, branch, token, CA and known_hosts alike). */
bool lw_pusher_same(const struct lw_pusher *p, const struct lw_config *cfg);
/* Drops the pusher; a push on its thread finishes on its own. */
void lw_pusher_free(struct lw_pusher *p);

/* A commit was made: push it (now, or when the running push is done). */
void lw_pusher_kick(struct lw_pusher *p);

/* A commit was made: rewrite the `publish =` folder (src/publish.h) when
 * cfg has one.  In the daemon on a thread, one at a time, commits made
 * meanwhile in the next; out of a main loop at once.  Failures are
 * logged; recording goes on. */
void lw_publisher_kick(const struct lw_config *cfg);
