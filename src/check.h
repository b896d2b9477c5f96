/* The checks of a set-up that no single part can make alone: the config's
 * blogs against the extractors, its rule paths, its repository, and the
 * rules' `blogs =` and `sinks =` against the config's names.  The one
 * place of these checks: lw_app_new() (daemon/app.c) runs them for
 * check, poll, run and reload alike, so that what `check` rejects, no
 * command accepts (but lw_check_repo(), below).
 *
 * Each function appends one newly allocated message (char *) per problem
 * to problems, "FILE:LINE: problem" (or "FILE: problem" when the config
 * has no line for it), and goes on past it: a caller sees every problem,
 * not only the first.  The array needs a g_free free func. */
#pragma once

#include <glib.h>
#include "config.h"
#include "rules.h"

/* No blog at all, an unknown format, a broken xpath profile. */
void lw_check_config(const struct lw_config *cfg, GPtrArray *problems);

/* A repository that can neither be written nor created (nothing is
 * created here: the nearest existing folder must be writable).  For
 * `check` only: poll and run open the repository, and one they cannot
 * write is a runtime failure of theirs (exit status 1), not bad config. */
void lw_check_repo(const struct lw_config *cfg, GPtrArray *problems);

/* The rule paths of sec (the `rules` key of [livewatch] or of a [blog]):
 * each must exist, and a folder must hold at least one *.rules file.
 * Returns the number of problems added. */
guint lw_check_rule_paths(const struct lw_config_section *sec, char *const *paths,
                          GPtrArray *problems);

/* Every rule of rs whose `blogs =` names no [blog] of cfg, or whose
 * `sinks =` names no sink (sinks: the names of the sinks in use, the
 * implicit "desktop" when the config has no [sink]), with "did you mean"
 * when a known name is close (case, a typo or two). */
void lw_check_rule_names(const struct lw_ruleset *rs, const struct lw_config *cfg,
                         char *const *sinks, GPtrArray *problems);

/* Words of a query that look like operators but are searched as words:
 * a lowercase (or mixed-case) and, or, not, near/N outside quotes and
 * regexes.  Appends one message per word, "'or' is searched as a word;
 * write OR to mean either side", to warnings.  what prefixes each
 * message ("FILE:LINE: rule 'x': ", or ""). */
/* The files a push reads (push_token, push_ca, push_known_hosts), when
 * `push =` is set: one missing, a folder or unreadable is a warning
 * (FILE:LINE) in warnings, for `check` to say now rather than at the
 * first push; the push itself reports it too, and the history is
 * recorded either way. */
void lw_check_push_files(const struct lw_config *cfg, GPtrArray *warnings);

void lw_check_query_words(const char *query, const char *what, GPtrArray *warnings);

/* The known name closest to name (a different case, or at most about a
 * third of its letters wrong), else the only known name that begins
 * with it, or NULL; owned by known. */
const char *lw_check_closest(const char *name, char *const *known);
