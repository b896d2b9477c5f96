/* The generic extractor's insides, shared by extract-generic.c (finding
 * the stream of posts), extract-generic-plan.c (writing it as an xpath
 * profile, running it, explaining it) and extract-generic-time.c (clocks
 * and day headings read from text).  Nothing outside these files uses it. */
#pragma once

#include "extract-private.h"

enum lw_gen_kind { LW_GEN_NONE, LW_GEN_AMP, LW_GEN_MICRODATA, LW_GEN_RUN, LW_GEN_HEADINGS };

/* One candidate stream: `items` children of `parent` of one kind (tag and
 * first class token), `timed` of them with a time, `text` bytes of text. */
struct lw_gen_cand {
	enum lw_gen_kind kind;
	xmlNode *parent;
	const xmlChar *tag;  /* borrowed from the document */
	char *cls;           /* owned; NULL for none */
	guint items, timed;
	gsize text;
};

/* A clock at the start of a text: "11:04", "11.04 Uhr", "9.15am", "21h30". */
struct lw_gen_clock {
	int hour, minute;
	gsize len;           /* bytes of the text it took, separator after it included */
};

/* A calendar day and a UTC offset, each optional. */
struct lw_gen_date {
	int year, month, day;   /* year 0: unknown; month 0: no date */
	int offset_min;         /* minutes east of UTC */
	bool has_offset;
};

struct lw_generic {
	bool found;
	struct lw_gen_cand best, second;
	char *reject;                   /* why nothing, or the runner-up, was taken */
	struct lw_xpath_profile prof;   /* the plan (owned strings) */
	char *note;                     /* what the profile cannot carry, or NULL */
	bool text_clock;                /* times are read from text */
	struct lw_gen_date page_date;   /* the page's own date and offset */
	struct lw_gen_date day;         /* the day of the post read last (runs) */
	GString *why;                   /* where each field came from */
	GHashTable *entry_nodes;        /* xmlNode * of the posts (a set) */
	guint shown;                    /* of them, those with any text */
	GPtrArray *articles;            /* xmlNode *: article, itemprop=articleBody */
};

extern const char *const lw_gen_kind_names[];

/* extract-generic.c */
bool lw_gen_is(const xmlNode *n, const char *name);
int lw_gen_heading_level(const xmlNode *n);
char *lw_gen_first_class(const xmlNode *n);
char *lw_gen_first_text(xmlNode *n);
gsize lw_gen_text_len(xmlNode *root, gsize cap);

/* extract-generic-plan.c: fills g->prof from g->best; false when the
 * candidate gives no usable profile. */
bool lw_gen_plan(struct lw_page *p, struct lw_generic *g);
void lw_gen_profile_clear(struct lw_xpath_profile *prof);

/* extract-generic-time.c */
bool lw_gen_parse_clock(const char *s, struct lw_gen_clock *out);
/* A day heading: "Dienstag, 27. August 2024", "Thursday 18 July",
 * "18 July 2024", "July 18, 2024", "27.08.2024"; short text with no
 * clock.  The year is default_year when the text has none. */
bool lw_gen_parse_day(const char *s, int default_year, struct lw_gen_date *out);
/* The page's own date and UTC offset: article:published_time, the JSON-LD
 * article's datePublished, the first time/@datetime. */
void lw_gen_page_date(struct lw_page *p, struct lw_gen_date *out);
/* day + clock in the day's offset, as RFC 3339 UTC; NULL without a day. */
char *lw_gen_clock_utc(const struct lw_gen_date *day, const struct lw_gen_clock *clk);
