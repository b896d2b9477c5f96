/* Plain text from HTML, and the small normalisations every extractor
 * shares (DESIGN.md "Entries and snapshots").
 *
 * The rendering rules: one paragraph a line; block elements (p, div, li,
 * h1-h6, figcaption, blockquote, tr, ...) and br end a line; whitespace
 * is collapsed (NBSP and other Unicode spaces are spaces), soft hyphens
 * and zero-width characters are removed; lines inside a blockquote start
 * with "> ", the first line of a list item with "- "; script, style, svg,
 * noscript, button, iframe, form, nav, aside, footer, template and
 * elements marked hidden or as share/social widgets are dropped, as are
 * <time> elements showing a relative time ("4m ago") and lines that are
 * an "Updated at ..." stamp or a relative time.  An embedded tweet,
 * Instagram or Facebook post, YouTube or TikTok video (its blockquote,
 * iframe or amp-* element) is kept as a line "Tweet: URL" ("Instagram
 * post", "Facebook post", "YouTube video", "TikTok video") after the text
 * the page quotes of it.  Lines are joined with
 * one "\n": no blank lines, no trailing newline.  Class names, attribute
 * order and whitespace between blocks never change the result.
 *
 * Every function returns newly allocated, valid UTF-8 that the caller
 * frees with g_free(), never NULL unless said otherwise.  The walker is
 * iterative, so any depth of nesting is safe. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/tree.h>

/* Renders `node` and everything below it.  The result holds at most
 * max_bytes bytes (0 means no limit), cut at a UTF-8 boundary; *truncated
 * (may be NULL) says whether it was cut. */
char *lw_text_from_node(xmlNode *node, gsize max_bytes, bool *truncated);

/* A renderer that takes several sibling subtrees in turn (a post's
 * content between its header and its footer). */
struct lw_text_render;
struct lw_text_render *lw_text_render_new(gsize max_bytes);
void lw_text_render_node(struct lw_text_render *r, xmlNode *node);
/* Ends the line being built (as a block element would). */
void lw_text_render_break(struct lw_text_render *r);
/* Adds plain text, each of its lines a line of the result. */
void lw_text_render_text(struct lw_text_render *r, const char *text);
/* Returns the text and frees r. */
char *lw_text_render_finish(struct lw_text_render *r, bool *truncated);

/* The text of `node` on one line (a title): rendered, then lines joined
 * with a space. */
char *lw_text_line_from_node(xmlNode *node);

/* Text from an HTML fragment found outside the page's markup (a JSON
 * string): tags are rendered as above, entities decoded.  A fragment
 * without any tag keeps its newlines as line breaks.  `len` < 0 means
 * NUL-terminated.  max_bytes as for lw_text_from_node(). */
char *lw_text_from_html(const char *html, gssize len, gsize max_bytes);

/* Plain text (no markup): each line collapsed, empty and volatile lines
 * dropped.  `len` < 0 means NUL-terminated; s may be NULL (gives "").
 * max_bytes as for lw_text_from_node(). */
char *lw_text_from_plain(const char *s, gssize len, gsize max_bytes);

/* `s` on one line: whitespace runs (any Unicode space, control
 * characters, newlines) become one space, soft hyphens and zero-width
 * characters go, ends are trimmed, invalid UTF-8 is repaired.  `len` < 0
 * means NUL-terminated; s may be NULL (gives ""). */
char *lw_text_collapse(const char *s, gssize len);

/* The value of n's attribute `name` as xmlGetProp() gives it, without
 * copying it when the parser stored it as one text node (nearly always):
 * the result is borrowed from the tree, or from *owned, which is set
 * (else NULL) when the value had to be assembled and which the caller
 * frees with xmlFree().  NULL when n has no such attribute. */
const char *lw_text_attr(const xmlNode *n, const char *name, xmlChar **owned);

/* Whether s contains needle, ASCII letters in any case (needle
 * lowercase or not: both sides are folded). */
bool lw_text_has_nocase(const char *s, const char *needle);

/* Cuts s (in place) to at most max bytes at a UTF-8 character boundary.
 * Returns true when it cut. */
bool lw_text_truncate(char *s, gsize max);

/* A date-time as the page wrote it ("2023-05-15T11:50:54.000Z",
 * "2023-05-15T11:50:54+0100", "2023-05-15 11:50", "2023-05-15") as RFC
 * 3339 UTC without fractions ("2023-05-15T11:50:54Z"); also RFC 822 as
 * feeds write it ("Mon, 15 May 2023 12:50:54 +0100", "... GMT", "EST").
 * A time without zone is taken as UTC.  Returns NULL when s is NULL or not a date.
 *
 * ISO 8601 goes through GLib (g_date_time_new_from_iso8601), RFC 822
 * through curl_getdate(), which decides these edges: the weekday and the
 * seconds are optional, so is the time (midnight); a two-digit year is
 * 20xx up to 70 and 19xx from 71 (RFC 2822 pivots at 50); years 1583 to
 * 9999; zones are +hhmm / -hhmm, GMT, UT, UTC, Z, the US zones, BST, CET,
 * CEST, EET, JST and the other names curl knows, and a military letter as
 * RFC 822 wrote it (A = -0100); a trailing "(comment)" is ignored; an
 * unknown zone name, "+01:00" or a day past 31 is not a date, while a day
 * the month lacks rolls over ("31 Feb" is 3 March). */
char *lw_text_time_utc(const char *s);

/* Replaces *field (freed) with lw_text_time_utc(raw) when raw is a date;
 * leaves it alone otherwise.  Returns whether it replaced it. */
bool lw_text_set_time(char **field, const char *raw);

/* True when the line is volatile page furniture, not content: a relative
 * time ("4m ago", "From 49m ago", "2 hours ago") or an "Updated at 12.08
 * BST" stamp. */
bool lw_text_is_volatile(const char *line);
