/* Rule sets: INI files of rules (DESIGN.md "Rules").
 *
 *   [bakhmut]
 *   query   = Bakhmut OR Artemivsk
 *   urgency = critical          ; low | normal | critical
 *   sinks   = desktop, phone    ; default: every sink
 *   blogs   = guardian-ukraine  ; default: every blog
 *   on      = match, removal    ; default: match
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "entry.h"
#include "query.h"

enum lw_urgency { LW_URGENCY_LOW, LW_URGENCY_NORMAL, LW_URGENCY_CRITICAL };
const char *lw_urgency_name(enum lw_urgency u);

/* What a rule fires on (`on =`, a comma list; DESIGN.md "Rules"). */
enum lw_rule_on {
	LW_ON_MATCH = 1 << 0,    /* the entry's current version matches, its previous
	                            one did not (or it is new / restored) */
	LW_ON_EDIT = 1 << 1,     /* any edit of an entry that matches now */
	LW_ON_STEALTH = 1 << 2,  /* a stealth edit of an entry that matches now */
	LW_ON_REMOVAL = 1 << 3,  /* an entry whose last version matched is removed */
};

struct lw_rule {
	char *name;           /* section name */
	char *query_text;
	struct lw_query *query;
	enum lw_urgency urgency;
	char **sinks;         /* NULL = every sink */
	char **blogs;         /* NULL = every blog */
	unsigned on;          /* enum lw_rule_on bits; LW_ON_MATCH when not set */
	char *file;           /* where it was defined, for messages */
	int line;
	int sinks_line;       /* line of `sinks =` / `blogs =`, 0 when not set */
	int blogs_line;
};

struct lw_ruleset;

/* Loads every path: a file, or a folder whose *.rules files are read in
 * name order.  Errors are "FILE:LINE: problem" (bad syntax, unknown key,
 * bad query with its column, duplicate rule name, missing query).  A path
 * that does not exist is an error naming it.  Every problem of every
 * file is said, one a line in error's message (ini-file.h), not only
 * the first; with any problem, no rule set is returned. */
struct lw_ruleset *lw_ruleset_load(const char *const *paths, GError **error);
struct lw_ruleset *lw_ruleset_new_empty(void);
void lw_ruleset_free(struct lw_ruleset *rs);

guint lw_ruleset_count(const struct lw_ruleset *rs);
const struct lw_rule *lw_ruleset_get(const struct lw_ruleset *rs, guint i);
/* The rule called name, or NULL; owned by rs. */
const struct lw_rule *lw_ruleset_find(const struct lw_ruleset *rs, const char *name);

/* Appends to out (guint) the indices, ascending, of the rules whose query
 * may match d (rindex.h): every rule that matches d is among them, so
 * evaluating only these finds what evaluating every rule finds.  The
 * index behind it is built once, when the set is loaded. */
void lw_ruleset_candidates(const struct lw_ruleset *rs, const struct lw_doc *d, GArray *out);

/* True when the rule's blogs / sinks list names it (or there is no list). */
bool lw_rule_applies_to_blog(const struct lw_rule *r, const char *blog);
bool lw_rule_uses_sink(const struct lw_rule *r, const char *sink);
