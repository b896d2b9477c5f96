/* The word diff between two versions of an entry (`livewatch show`, the
 * report): words are runs of non-whitespace bytes, as git's --word-diff
 * has them; whitespace is carried with the new text.  Pure: no I/O,
 * never fails. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "caps.h"

enum lw_wdiff_op {
	LW_WDIFF_SAME,    /* text of the new version (words and whitespace) */
	LW_WDIFF_DEL,     /* words of the old version, from the first to the last removed word
	                     (and the old line breaks after them when they were whole lines) */
	LW_WDIFF_INS,     /* words of the new version, from the first to the last added word */
};

struct lw_wdiff_span {
	enum lw_wdiff_op op;
	const char *text;     /* points into old (DEL) or new (SAME, INS) */
	gsize len;
};

/* Above LW_WDIFF_MAX_WORDS words on either side, or LW_WDIFF_MAX_EDITS
 * edits (caps.h), the diff is not computed word by word: the whole old
 * text is deleted and the whole new one inserted, and lw_wdiff.whole is
 * set. */
struct lw_wdiff {
	GArray *spans;    /* struct lw_wdiff_span; SAME and INS concatenated give new exactly */
	bool whole;       /* the limits above were hit: one DEL and one INS */
	guint added, removed;  /* words */
};

/* Diffs old against new (both borrowed: free the result before them).
 * The edit script is minimal (Myers) after the common prefix and suffix
 * are stripped.  Never fails. */
struct lw_wdiff *lw_wdiff_compute(const char *old, gsize old_len, const char *new_text,
                                  gsize new_len);
void lw_wdiff_free(struct lw_wdiff *d);
