/* Embedded tweets, Instagram and Facebook posts, YouTube and TikTok
 * videos, for the text renderer (text.c): each is kept as a line
 * "LABEL: URL" after the text the page quotes of it. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/tree.h>

/* Cheap test: could n be an embed (iframe, blockquote, amp-*, div with
 * attributes)?  Only then is lw_text_embed_line() worth calling. */
bool lw_text_may_embed(const xmlNode *n);

/* "Tweet: URL", "Instagram post: URL", "Facebook post: URL", "YouTube
 * video: URL" or "TikTok video: URL" for an embed element (newly
 * allocated), or NULL when n is none.  *descend says whether n's own
 * text (a tweet's blockquote) is rendered, the line coming after it,
 * or n is replaced by the line (an iframe). */
char *lw_text_embed_line(xmlNode *n, bool *descend);
