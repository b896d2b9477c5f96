/* Words: UTF-8 text cut into words and folded for matching.
 *
 * A word is a run of letters and digits (g_unichar_isalnum) with the
 * combining marks that follow them, and with apostrophes (' ’ ʼ) kept when
 * they sit between two such characters: "Leopard's" and "don't" are one
 * word each.  Everything else separates words, hyphens included
 * ("F-16" is "F" and "16").
 *
 * Folding makes matching case- and accent-insensitive: the word is case
 * folded (g_utf8_casefold, so ß is "ss"), decomposed (NFD) and stripped
 * of combining marks (Chișinău is "chisinau", Бахмут is "бахмут": scripts
 * are never transliterated), ’ and ʼ become ', and a few letters without
 * a decomposition are spelled out (ł l, ø o, đ d, ħ h, ı i, æ ae, œ oe,
 * þ th, ð d).
 *
 * The base of a folded word drops a trailing possessive "'s"
 * ("leopard's" -> "leopard").
 *
 * Matching (lw_word_match): a text word T matches a query word Q when
 * base(Q) is one of the stems of base(T) (lw_word_stems):
 *   T itself, T without "s", T without "es" (tanks, churches, boxes);
 *   consonant + "ies" <-> consonant + "y", both ways (casualties,
 *   casualty; allies, ally; not days/day, which is the "s" rule);
 *   "ves" <-> "f" / "fe" for the nouns that really make it (leaf, loaf,
 *   thief, sheaf, shelf, self, wolf, calf, half, elf, knife, wife, life,
 *   scarf, wharf, dwarf, hoof, and compounds ending in them: bookshelf),
 *   both ways; most -f words take -s (chief, chiefs; belief is not
 *   matched by "believes");
 *   "men" <-> "man" (policemen, women), both ways;
 *   child/children, person/people, foot/feet, tooth/teeth, mouse/mice,
 *   goose/geese, both ways.
 * So the query "Leopard" matches Leopard, leopards, Leopard's and
 * Leopards' (the trailing apostrophe is not part of the word) but not
 * Leopardstown; "tank" matches "tanks".  The plain "s" / "es" rule is
 * one-way: a query word ending in "s" is not stripped, so the query
 * "news" does not match "new" (and "tanks" does not match "tank": write
 * `tank` to get both). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "caps.h"

/* Words beyond LW_WORDS_MAX (caps.h) in one text are ignored. */

struct lw_word {
	gsize offset;     /* byte offset of the word in the original text */
	gsize length;     /* its length in bytes */
	char *fold;       /* folded form (owned, never NULL, never "") */
	gsize base_len;   /* bytes of fold that make its base (<= strlen(fold)) */
};

/* Cuts len bytes of text (len < 0: up to the NUL) into words, in text
 * order.  text must be valid UTF-8 (invalid input yields the words found
 * before the first invalid byte).  Returns a new array of struct lw_word
 * whose clear function frees each fold; free it with g_array_unref(). */
GArray *lw_words_split(const char *text, gssize len);

/* The folded form of len bytes of valid UTF-8 (len < 0: up to the NUL),
 * newly allocated.  Apply it to a single word: separators are folded
 * too, not removed. */
char *lw_word_fold(const char *word, gssize len);

/* The number of leading bytes of a folded word that make its base. */
gsize lw_word_base_len(const char *fold);

/* One stem of a text word: its base's first len bytes, then tail. */
struct lw_word_stem {
	gsize len;
	const char *tail;     /* static, "" for none */
};
#define LW_WORD_STEMS_MAX 8

/* The stems of a text word's base b (n bytes, folded), the base itself
 * first: the query bases lw_word_match accepts for it.  Returns how many
 * were written to out. */
guint lw_word_stems(const char *b, gsize n, struct lw_word_stem out[LW_WORD_STEMS_MAX]);

/* The rule described above; bases are given with their lengths. */
bool lw_word_match(const char *text_base, gsize text_len, const char *query_base,
                   gsize query_len);

/* True when the folded text word begins with the folded prefix. */
bool lw_word_match_prefix(const char *text_fold, const char *prefix_fold);

/* Damerau-Levenshtein distance (optimal string alignment) between two
 * strings of code points, or limit + 1 when it is larger than limit. */
guint lw_word_distance(const gunichar *a, glong alen, const gunichar *b, glong blen,
                       guint limit);

/* One typo: the base of the text word (or that base without a plural "s"
 * or "es") is within Damerau-Levenshtein distance 1 of the query base,
 * given as code points (qlen >= 1). */
bool lw_word_match_typo(const char *text_base, gsize text_len, const gunichar *query,
                        glong qlen);
