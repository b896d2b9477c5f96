/* The history as one self-contained HTML page (`livewatch report`, the
 * `publish =` folder): a timeline (inline SVG) of every poll's new posts,
 * edits, stealth edits, removals and alerts; then every post, newest
 * published first, with its versions and word diffs, removals with the
 * last text, stealth edits flagged, the alerts that fired on it.  Inline
 * CSS and a few lines of script for filtering; no external request, and
 * everything readable without the script.
 *
 * Anchors: a post is id="<blog>/<id>", its n-th version (1 = first)
 * id="<blog>/<id>/v<n>".  Classes the tests and a reader's style sheet
 * may rely on: article.post (.removed, .stealth, .alerted),
 * section.version (.k-new, .k-edited, .k-removed, .k-restored, .stealth),
 * li.alert, svg.timeline rect.mark (.k-new, .k-edited, .k-stealth,
 * .k-removed, .k-alert; data-x: the column, 0..LW_REPORT_COLUMNS-1, of
 * the polls it counts; data-n: how many). */
#pragma once

#include <glib.h>
#include "history.h"

#define LW_REPORT_COLUMNS 960

struct lw_report_opts {
	const char *blog;    /* NULL: every blog */
	gint64 since;        /* unix seconds; 0: the whole history */
	const char *title;   /* the page's title; NULL: "livewatch report" */
	gint64 now;          /* "made at", unix seconds */
};

struct lw_report_stats {
	guint posts, versions, polls, removed, stealth, alerts;
};

/* The page, a new string (its length in *len when len is not NULL);
 * stats (may be NULL) says what it holds.  NULL with an error when the
 * history cannot be read (an empty history is a page saying so). */
char *lw_report_html(struct lw_history_reader *r, const struct lw_report_opts *o, gsize *len,
                     struct lw_report_stats *stats, GError **error);

/* Appends s (len bytes; -1: up to its NUL) to out with < > & " ' escaped
 * for HTML and XML, control characters as '?'. */
void lw_report_escape(GString *out, const char *s, gssize len);

/* Appends the word diff of two versions' texts as <pre class="diff">:
 * changed lines only ("⋮" for the others), <del> and <ins> marking what
 * went and what came, as `livewatch show` marks them. */
void lw_report_word_diff(GString *out, const char *old, gsize olen, const char *now, gsize nlen);
