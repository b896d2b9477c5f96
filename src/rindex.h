/* Rule index: which queries a document may match, without evaluating
 * every query against every word.
 *
 * Each query is filed under the terms it needs (lw_query_needs: words,
 * prefixes, typo words, neighbours in a phrase); a query that has no such terms
 * (a regex, or a NOT that it needs) goes into a small set that is always
 * a candidate.  For a document, one pass over its distinct folded words
 * looks up:
 *   - words: a hash of the query words' bases, probed with the text
 *     word's base and that base without a plural "s" / "es";
 *   - prefixes: the same hash idea, probed with the text word's leading
 *     bytes at each length some prefix has;
 *   - phrases: a hash of "base base", probed with each two neighbouring
 *     words of a field (each as its base or without "s" / "es");
 *   - typos: symmetric deletion (SymSpell): a typo query is filed under
 *     its base and the base with any one letter deleted; a text word
 *     (and it without "s" / "es") within Damerau-Levenshtein distance 1
 *     shares one of those, so the same is probed for each text word.
 *
 * The candidates are a superset of the queries that match: evaluating
 * only them with lw_query_eval gives what evaluating every query gives.
 */
#pragma once

#include <glib.h>
#include "query.h"

struct lw_rindex;

struct lw_rindex *lw_rindex_new(void);
void lw_rindex_free(struct lw_rindex *ix);

/* Files query q under id.  Ids must be added in increasing order (a
 * rule's index in its set); q is only read during the call. */
void lw_rindex_add(struct lw_rindex *ix, guint id, const struct lw_query *q);

/* Appends to out (guint) the ids, in increasing order and each once, of
 * the queries that may match d: every added query that matches d is
 * among them. */
void lw_rindex_candidates(const struct lw_rindex *ix, const struct lw_doc *d, GArray *out);

/* How many queries are always candidates (for tests and `check`). */
guint lw_rindex_always_count(const struct lw_rindex *ix);
