/* Shared pieces of the command line (daemon/main.c) and the demo. */
#pragma once

#include <glib.h>
#include "alert.h"
#include "config.h"
#include "poll.h"
#include "rules.h"
#include "store.h"

/* The command line's exit statuses (README "Exit status"). */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* What a running poll needs, built from a config. */
struct lw_app {
	struct lw_config *cfg;
	struct lw_store *store;
	struct lw_ruleset *rules;
	GHashTable *blog_rules;   /* name -> struct lw_ruleset * */
	GPtrArray *sinks;         /* struct lw_sink * */
	struct lw_poll_ctx ctx;
	GHashTable *warned;       /* sink error messages already logged */
};

/* Loads rules and sinks of cfg (taking ownership of cfg) and checks the
 * whole set-up (check.h); with open_store, also opens and locks the
 * repository.  NULL on error; a bad set-up is LW_ERROR_CONFIG with every
 * problem found, one "FILE:LINE: problem" a line. */
struct lw_app *lw_app_new(struct lw_config *cfg, gboolean open_store, GError **error);
void lw_app_free(struct lw_app *app);

/* Logs one poll's result the way `poll` and `run` do; returns the
 * number of alerts. */
guint lw_app_report(struct lw_app *app, const char *blog, const struct lw_poll_result *r);
/* Logs each of messages (char *) as a warning, once per configuration:
 * a sink that fails the same way at every poll is said once. */
void lw_app_warn_once(struct lw_app *app, GPtrArray *messages);

/* `poll` of a blog with `follow =`: fetches the series page and returns
 * the page to poll (newly allocated), saving it in the blog's state as
 * the daemon does, and saying when it moved; NULL for the blog's own url
 * (no follow, or nothing followed yet and the series cannot be read:
 * said as a warning). */
char *lw_app_follow(struct lw_app *app, const struct lw_blog_config *b);

/* Delivers alerts a crashed run left in the outbox, and the alerts webhook
 * and exec sinks kept from failed deliveries, logging what happened. */
void lw_app_flush_outbox(struct lw_app *app);

int lw_demo_main(int argc, char **argv);

/* `livewatch run`: takes ownership of cfg; returns the exit status. */
int lw_run_main(struct lw_config *cfg, const char *config_path);

/* `livewatch log [BLOG] [--since T] [--json]` and `livewatch show BLOG ID`
 * (daemon/history.c), reading cfg->repo; return the exit status. */
int lw_history_log_main(const struct lw_config *cfg, int argc, char **argv);
int lw_history_show_main(const struct lw_config *cfg, int argc, char **argv);

/* `livewatch status [--json]` (daemon/status.c): each blog's state, read
 * without the repository's lock; returns the exit status. */
extern const char lw_status_usage[];
int lw_status_main(const struct lw_config *cfg, int argc, char **argv);

/* `livewatch test-alert [SINK]` (daemon/sample.c): takes ownership of cfg;
 * returns the exit status. */
extern const char lw_test_alert_usage[];
int lw_test_alert_main(struct lw_config *cfg, int argc, char **argv);

/* `check --online` (daemon/online.c): fetches each blog of app once,
 * records nothing, prints what it sees; -1 when a page failed. */
int lw_check_online(struct lw_app *app);

/* poll's summary on stdout: one line per blog, or with json one object
 * per blog; r NULL with error for a poll that could not run. */
void lw_app_summary(const char *blog, const struct lw_poll_result *r, const char *error,
                    bool json);

/* `livewatch match [--title TEXT] QUERY [FILE...]` (daemon/match.c);
 * returns the exit status. */
int lw_match_main(int argc, char **argv);
