/* The fetcher: the daemon's HTTP requests, in the GLib main loop.
 *
 * curl's multi "socket" interface runs inside the thread-default main
 * context of the thread that made the fetcher (its sockets and its
 * timeout become GLib sources, as in curl's docs/examples/ghiper.c), so
 * no fetch ever blocks the loop.  Every request waits in one FIFO queue
 * until the global limit (`concurrency`), its host's concurrency and its
 * host's delay (`[host]`, `delay`) allow it to start; the pause between
 * two requests to a host runs from the end of the first.
 *
 * Single-threaded: every function, and every `done` callback, runs on
 * the loop's thread.  The fetcher logs at debug level only. */
#pragma once

#include <glib.h>
#include "config.h"
#include "fetch.h"

struct lw_fetcher;
struct lw_fetcher_req;

/* A request ended: fr is the response (NULL on failure), err why it
 * failed (NULL on success).  Both belong to the fetcher and are gone
 * when the callback returns; so is the request.  The callback may queue
 * new requests and cancel others. */
typedef void (*lw_fetcher_done_fn)(void *data, const struct lw_fetch_result *fr,
                                   const GError *err);

/* An idle fetcher; lw_fetcher_set_config() must follow before the first
 * request.  lw_fetch_global_init() must have run. */
struct lw_fetcher *lw_fetcher_new(void);

/* The limits (global and per host) and the size of the connection cache
 * come from cfg from now on.  cfg must outlive its use: set the next
 * configuration before the old one goes.  Starts nothing: see
 * lw_fetcher_pump(). */
void lw_fetcher_set_config(struct lw_fetcher *f, const struct lw_config *cfg);

/* Queues a GET of url with the options fo (copied) and the conditions
 * cond (may be NULL; must stay valid until the request starts or is
 * cancelled); lw_fetcher_pump() starts it when the limits allow.  `who`
 * names the requester in debug lines.  `done` runs exactly once unless
 * the request is cancelled, from lw_fetcher_pump() when the request
 * cannot even be set up, else from the main loop.  The request stays
 * valid until `done` runs or it is cancelled. */
struct lw_fetcher_req *lw_fetcher_queue(struct lw_fetcher *f, const char *url,
                                        const struct lw_fetch_opts *fo,
                                        const struct lw_fetch_cond *cond, const char *who,
                                        lw_fetcher_done_fn done, void *data);

/* Drops a queued or running request; its `done` never runs.  NULL: no-op. */
void lw_fetcher_cancel(struct lw_fetcher *f, struct lw_fetcher_req *q);

/* Starts every waiting request the limits allow, oldest first, and arms
 * a timer for the earliest host delay still holding one back. */
void lw_fetcher_pump(struct lw_fetcher *f);

/* From now on nothing new starts (the daemon is stopping). */
void lw_fetcher_stop(struct lw_fetcher *f);

/* Drops every request left (no `done` runs) and frees the fetcher.
 * NULL: no-op. */
void lw_fetcher_free(struct lw_fetcher *f);
