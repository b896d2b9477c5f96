/* Reading JSON found in pages: a bounded parse into a tree in one arena
 * (lw_jtree, what the JSON-LD is read from) or into a json-glib tree, and
 * a scanner that reads a few values out of large JSON without building
 * its tree (a Guardian carousel's props, a JSON-LD block's page fields).
 * Strict JSON is parsed here; anything else json-glib reads (its tree is
 * then copied), so both trees hold what json-glib would make of the text.
 *
 * The scanner never reads outside [*pos, end): every function returns
 * false (or NULL) when it cannot step through the text there, with *pos
 * anywhere inside the range.  It is iterative: any depth is safe. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* Parses JSON text unless it is larger than max_bytes or nested deeper
 * than max_depth (checked before parsing, so json-glib never recurses
 * deeper).  Returns a new root node or NULL. */
JsonNode *lw_json_parse_bounded(const char *text, gsize len, guint max_depth,
                                gsize max_bytes);

/* p moved past JSON whitespace (space, tab, newline, carriage return);
 * at most end. */
const char *lw_json_ws(const char *p, const char *end);

/* lw_json_skip: past one value, found by its brackets, strings and
 *   bare words: what stands between them is not checked ({"a" 1} is
 *   skipped whole), a value cut short or unbalanced is false.
 * lw_json_next_member: *pos at '{' or just past a member's value; moves
 *   past the next member's key and ':' and sets key/key_len to the key's
 *   raw bytes (escapes undecoded); false at the object's end ('}' consumed,
 *   *done set) or on an error (*done clear).
 * lw_json_next_element: the same for an array's elements ('[' or after
 *   an element), leaving *pos at the element.
 * lw_json_string: the string value at *pos (after whitespace), decoded,
 *   newly allocated; NULL when *pos is not at a string. */
bool lw_json_skip(const char **pos, const char *end);
bool lw_json_next_member(const char **pos, const char *end, const char **key,
                         gsize *key_len, bool *done);
bool lw_json_next_element(const char **pos, const char *end, bool *done);
char *lw_json_string(const char **pos, const char *end);

/* The string value of the first "key" in text (a NUL-terminated JSON
 * document), when a ':' and a string of at most max_bytes (as written,
 * between its quotes) follow it:
 * decoded and newly allocated, else NULL.  Not a walk of the structure:
 * the first "key" anywhere, at any depth, is the one read. */
char *lw_json_find_string(const char *text, const char *key, gsize max_bytes);

/* ---- a JSON tree in one arena ----
 *
 * What lw_json_parse_bounded() gives, in a form that costs a fraction to
 * build and to free: every value, string and member list of a tree sits
 * in one arena, freed at once by lw_jtree_free().  An object keeps its
 * members in order; a key given twice keeps its first place and its last
 * value, as json-glib does.  Values are read-only and live as long as
 * their tree. */
enum lw_jtype { LW_J_NULL, LW_J_BOOL, LW_J_INT, LW_J_DOUBLE, LW_J_STRING, LW_J_ARRAY,
                LW_J_OBJECT };

struct lw_jmember;

struct lw_jv {
	enum lw_jtype type;
	guint n;                        /* elements of an array, members of an object */
	union {
		gboolean b;
		gint64 i;
		double d;
		const char *s;                   /* NUL-terminated UTF-8 */
		const struct lw_jv *items;       /* n elements */
		const struct lw_jmember *members; /* n members */
	} u;
};

struct lw_jmember {
	const char *key;
	struct lw_jv val;
};

struct lw_jtree;

/* As lw_json_parse_bounded() (the same limits and the same answer: what
 * json-glib would not parse, or parses from more than strict JSON, is
 * read through json-glib), as a tree; NULL when not JSON. */
struct lw_jtree *lw_jtree_parse(const char *text, gsize len, guint max_depth,
                                gsize max_bytes);
const struct lw_jv *lw_jtree_root(const struct lw_jtree *t);
void lw_jtree_free(struct lw_jtree *t);

/* The member `key` of an object (NULL when v is not an object or has
 * none); the string of a string value (else NULL). */
const struct lw_jv *lw_jv_member(const struct lw_jv *v, const char *key);
const char *lw_jv_string(const struct lw_jv *v);
