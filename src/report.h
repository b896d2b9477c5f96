/* The history as one self-contained HTML page (`livewatch report`, the
 * `publish =` folder): a timeline (inline SVG) of every poll's new posts,
 * edits, stealth edits, removals and alerts; then every post, newest
 * published first, a day (UTC) at a time, with its versions and word
 * diffs, removals with the last text, stealth edits flagged, the alerts
 * that fired on it.  Inline CSS and a little script; no external
 * request, and everything readable without the script.
 *
 * Sized for long histories (tests/bench/README-report.md): each post's
 * text is shown once, and only for the newest LW_REPORT_TEXT_POSTS
 * posts (and removed ones); edits are word diffs of the changed lines
 * with LW_REPORT_CONTEXT words around each change, never versions in
 * full.  The days of the newest posts are open <details class="day">;
 * older days are closed and hold their posts in a <noscript>, so that
 * where script runs the browser keeps them as one string until the day
 * is opened (the script then makes them elements; a link into such a
 * day, or a filter that finds a post there, opens it), and where it
 * does not they are ordinary markup.
 *
 * Anchors: a day is id="YYYY-MM-DD", a post id="<blog>/<id>", its n-th
 * version (1 = first) id="<blog>/<id>/v<n>".  Classes the tests and a
 * reader's style sheet may rely on: details.day, article.post
 * (.removed, .stealth, .alerted) with pre.text (its text, when shown),
 * .version (an li of ol.versions, or a span for a post's only version;
 * .k-new, .k-edited, .k-removed, .k-restored, .stealth) with
 * pre.diff, li.alert, svg.timeline rect.mark (.k-new, .k-edited,
 * .k-stealth, .k-removed, .k-alert; data-x: the column,
 * 0..LW_REPORT_COLUMNS-1, of the polls it counts; data-n: how many). */
#pragma once

#include <glib.h>
#include "history.h"

#define LW_REPORT_COLUMNS 960
/* The newest this many posts are shown with their text; older ones with
 * their heading, alerts and word diffs (a removed one with its last text). */
#define LW_REPORT_TEXT_POSTS 500
/* Words of unchanged text around a change in the report's word diffs. */
#define LW_REPORT_CONTEXT 4

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
 * went and what came, as `livewatch show` marks them.  context: the
 * words of unchanged text kept on each side of a change in a changed
 * line ("…" for the rest); 0: the whole line. */
void lw_report_word_diff(GString *out, const char *old, gsize olen, const char *now, gsize nlen,
                         guint context);
