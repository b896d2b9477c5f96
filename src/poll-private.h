/* What poll.c and poll-alerts.c share; not for other modules. */
#pragma once

#include "poll.h"

/* Alerts for the changes of d the rules fire on (DESIGN.md "Rules"),
 * appended to alerts: by default an entry that became matching (its
 * current version matches and the previous one did not, or it is new);
 * `on =` adds any edit, stealth edits, removals.  fetched: the poll's
 * time, RFC 3339. */
void poll_match_rules(struct lw_poll_ctx *ctx, const char *blog, const struct lw_diff *d,
                      const char *fetched, GPtrArray *alerts);

/* "bakhmut=1 leopard=2" for the Livewatch-Alerts trailer; NULL when
 * alerts is empty. */
char *poll_alerts_trailer(GPtrArray *alerts);

/* msg (taken) with a "Livewatch-Alert: JSON" trailer per alert, so the
 * record says what fired (`livewatch alerts`); a removal's last text is
 * left out, the commit holds it. */
char *poll_alert_trailers(char *msg, GPtrArray *alerts);
