/* Entries and snapshots: the data every stage passes along.
 *
 * An entry is one post of a live blog (DESIGN.md "Entries and snapshots").
 * These are plain data structs: anyone may read or set the fields.  Every
 * string field is owned by the entry, is valid UTF-8 and is never NULL
 * (an unknown value is ""); lw_entry_free() frees them with g_free(). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "caps.h"

/* An id becomes a file name: at most LW_ENTRY_ID_MAX bytes (caps.h) of
 * [A-Za-z0-9._-]. */

struct lw_entry {
	char *id;         /* stable, sanitised (lw_entry_sanitize_id) */
	char *published;  /* RFC 3339 UTC ("2023-02-14T18:31:00Z") or "" */
	char *updated;    /* RFC 3339 UTC or "" */
	char *title;      /* may be "" */
	char *body;       /* plain text: one paragraph a line, see DESIGN.md */
	char *url;        /* absolute permalink */
	char *author;     /* "" when unknown */
	bool pinned;
	bool key_event;
};

/* A new entry with every string field "". */
struct lw_entry *lw_entry_new(void);
void lw_entry_free(struct lw_entry *e);
struct lw_entry *lw_entry_dup(const struct lw_entry *e);

/* Replaces *field (g_free'ing the old value) with a copy of value;
 * NULL stores "". */
void lw_entry_set(char **field, const char *value);

/* Returns a newly allocated id made of raw: characters outside
 * [A-Za-z0-9._-] become '-', runs of '-' collapse, leading dots are
 * dropped (no "." / ".." / hidden files), at most LW_ENTRY_ID_MAX bytes.
 * Returns NULL when nothing usable is left. */
char *lw_entry_sanitize_id(const char *raw);

/* A fallback id for entries the page gives none: "h-" + 16 hex digits of
 * a hash of published time and the first words of title/body. */
char *lw_entry_hash_id(const char *published, const char *title, const char *body);

/* The heading of the entry file: the title, or when there is none the
 * first words of the body (at most ~80 bytes, cut on a word, "…" added). */
char *lw_entry_heading(const struct lw_entry *e);

/* True when a and b differ in content (DESIGN.md "edited"): heading,
 * body, published time or url.  `updated`, author and flags are not
 * content. */
bool lw_entry_content_differs(const struct lw_entry *a, const struct lw_entry *b);

/* Number of words in the body (for "+23 words" in commit messages). */
int lw_entry_word_count(const struct lw_entry *e);

/* A snapshot: the ordered entries one fetch of one blog produced, in page
 * order (newest first on a live blog). */
struct lw_snapshot {
	GPtrArray *entries;   /* of struct lw_entry *, owned */
	char *format;         /* extractor that produced it: "guardian", "jsonld", "article", ... */
	char *page_url;       /* the url the page was fetched from (after redirects) */
	char *page_title;     /* the page's headline, or "" */
	char *coverage_end;   /* JSON-LD coverageEndTime as RFC 3339, or "" */
	int live;             /* JSON-LD isLive: 1 true, 0 false, -1 when not said */
	char *next_url;       /* absolute url of the next (older) page of the blog, or "" */
};

struct lw_snapshot *lw_snapshot_new(void);
void lw_snapshot_free(struct lw_snapshot *s);

/* Looks an id up (linear; snapshots are at most a few thousand entries). */
struct lw_entry *lw_snapshot_find(const struct lw_snapshot *s, const char *id);

/* What the history holds for one blog at HEAD (store.h lw_store_load and
 * lw_store_load_page fill it; diff.h compares a snapshot against it).
 * Plain data, like the snapshot. */
struct lw_record {
	GPtrArray *window;  /* struct lw_entry * in <blog>/index.md order: the page as last seen;
	                       borrowed from all */
	GHashTable *all;    /* id -> struct lw_entry *: every recorded entry loaded (owns them) */
};

/* An empty record (window and all allocated, all owning its entries). */
struct lw_record *lw_record_new(void);
void lw_record_free(struct lw_record *r);

/* Entry files (DESIGN.md "The history repository"), in src/entry-md.c.
 *
 * lw_entry_to_md() renders the file text: "# heading", a blank line, the
 * "- key: value" list (id, published, updated, url, and author / pinned /
 * key_event only when set), a blank line, then the body with a blank line
 * between paragraphs, ending in one newline.
 *
 * lw_entry_from_md() parses such text back; `name` (the file name, for
 * messages) is used in errors.  Round trip: from_md(to_md(e)) gives an
 * entry whose content equals e's (lw_entry_content_differs() is false);
 * the title comes back as the heading when e had no title. */
char *lw_entry_to_md(const struct lw_entry *e);
struct lw_entry *lw_entry_from_md(const char *text, gsize len, const char *name, GError **error);

/* The version of an entry as livewatch records it: the first
 * LW_ENTRY_VERSION_LEN hex digits of the git blob id of its file, i.e. of
 * the SHA-1 of "blob <len>\0" followed by lw_entry_to_md(e), the way
 * `git log --raw` abbreviates it.  Alert ids end in it (alert.h).  out
 * gets the digits and a NUL. */
#define LW_ENTRY_VERSION_LEN 12
void lw_entry_version(const struct lw_entry *e, char out[LW_ENTRY_VERSION_LEN + 1]);
