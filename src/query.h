/* The query language of rules (DESIGN.md "Rules").
 *
 * Grammar (precedence low to high):
 *   query   := or
 *   or      := and ( "OR" and )*
 *   and     := near ( ["AND"] near )*        -- AND is also implicit
 *   near    := unary ( "NEAR/" n unary )*
 *   unary   := ("NOT" | "-") unary | primary
 *   primary := "(" or ")" | [field ":"] atom
 *   atom    := word | word"*" | word"~" | "\"phrase\"" | "/regex/"
 * Words match on word boundaries, case- and accent-insensitively, and a
 * word also matches its plural and possessive (Leopard ~ Leopards,
 * Leopard's, not Leopardstown); words.h gives the exact rule.
 *
 * Details:
 * - AND, OR, NOT and NEAR/n are keywords only in upper case; "and" is a
 *   word.  '-' directly before a term is NOT.
 * - A bare token that holds several words ("F-16", "U.S.") is the phrase
 *   of those words.  Phrases match consecutive words, whatever
 *   punctuation lies between them ("Leopard 2" matches "Leopard-2").
 * - word* matches words beginning with word; word~ also matches words at
 *   Damerau-Levenshtein distance 1 (the query word needs >= 4 letters).
 * - A NEAR/n B: a hit of A and a hit of B in the same field with at most
 *   n words between them, either order (NEAR/0: adjacent).  Both sides
 *   must be positive terms.
 * - title:X / body:X restrict X (an atom or a parenthesised group) to one
 *   field; otherwise terms match in either.
 * - /regex/ is a GRegex (PCRE2, caseless, UTF-8) matched on the raw text
 *   of each field; `\/` stands for a slash.  No flags after the slash.
 * - A query that could match with no positive hit (only NOT terms, or
 *   `a OR -b`) is an error: "query matches only by absence".
 * - Limits: 4096 bytes, nesting (parentheses and NOTs) 64 deep, NEAR/1000.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

struct lw_query;

/* Parses text.  On error returns NULL with LW_ERROR_QUERY and a message
 * such as "column 12: expected ')'" (1-based column, in characters). */
struct lw_query *lw_query_parse(const char *text, GError **error);
void lw_query_free(struct lw_query *q);

/* A canonical, fully parenthesised rendering, for tests and `check -v`:
 * e.g. (AND "leopard" (OR "tank" "tanks")). */
char *lw_query_to_string(const struct lw_query *q);

/* Text prepared once for matching many queries (tokenised, folded). */
struct lw_doc;
struct lw_doc *lw_doc_new(const char *title, const char *body);
void lw_doc_free(struct lw_doc *d);

/* Where a query matched: the distinct matched words/phrases as they
 * appear in the text (surface form, in order of first appearance), and
 * the first positive hit (field "title" or "body", byte offset and
 * length in that field's original text) for snippets. */
struct lw_match {
	GPtrArray *terms;     /* char *, owned; NULL before lw_match_init */
	const char *field;    /* "title", "body" or NULL */
	gsize offset;
	gsize length;
};
void lw_match_init(struct lw_match *m);
void lw_match_clear(struct lw_match *m);

/* True when q matches d.  When m is not NULL (and initialised) it is
 * filled with the positive hits that made the query true. */
bool lw_query_eval(const struct lw_query *q, const struct lw_doc *d, struct lw_match *m);

/* The words of one field of d (0: title, 1: body), struct lw_word in text
 * order, exactly as lw_query_eval sees them; owned by d. */
const GArray *lw_doc_words(const struct lw_doc *d, int field);

/* What a query needs, for indexing rules (rindex.h).  A term matches a
 * folded text word W when:
 *   WORD    lw_word_match(base(W), fold[0..len)), len the base's bytes;
 *   PREFIX  W's whole fold begins with fold (len = strlen(fold));
 *   TYPO    WORD does, or lw_word_match_typo does (len as for WORD);
 *   PAIR    W and the next word of the same field match fold and fold2
 *           as WORD does (two neighbours of a phrase).
 * fold and fold2 are borrowed from the query. */
enum lw_query_term_kind {
	LW_QUERY_TERM_WORD, LW_QUERY_TERM_PREFIX, LW_QUERY_TERM_TYPO, LW_QUERY_TERM_PAIR,
};
struct lw_query_term {
	enum lw_query_term_kind kind;
	const char *fold;
	gsize len;
	const char *fold2;    /* PAIR only */
	gsize len2;
};

/* Fills terms (struct lw_query_term; emptied first) with terms such that
 * q matches a document only if some word of the document matches one of
 * them: an over-approximation, so a document with none of them cannot
 * match.  Of an AND or a NEAR it takes the cheapest side; of an OR,
 * every side; of a phrase, its longest pair of neighbours.  Returns false (terms
 * empty) when no such set exists: a regex, or a NOT, where the query
 * needs it (`a OR /x/`, `-a` on its own). */
bool lw_query_needs(const struct lw_query *q, GArray *terms);
