/* The dispatcher: option defaults and limits, the choice of format
 * (named, or "auto" from the page's evidence), and what every format's
 * result gets afterwards (the JSON-LD's fields, the next page).  Page
 * handling lives in page.c, each format in its extract-*.c. */
#include "extract.h"
#include "extract-private.h"
#include "error.h"

#include <stdarg.h>
#include <string.h>

#define DEFAULT_PARSE_TIME 5.0

static const struct {
	const char *name;
	lw_extract_fn fn;
} extractors[] = {
	{ "guardian", lw_extract_guardian },
	{ "jsonld", lw_extract_jsonld },
	{ "feed", lw_extract_feed },
	{ "xpath", lw_extract_xpath },
	{ "generic", lw_extract_generic },
	{ "article", lw_extract_article },
};

#define KNOWN_FORMATS "auto, guardian, jsonld, feed, xpath, generic, article"

gboolean lw_extract_format_known(const char *name)
{
	if (!name || strcmp(name, "auto") == 0)
		return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(extractors); i++)
		if (strcmp(name, extractors[i].name) == 0)
			return TRUE;
	return FALSE;
}

/* True when every entry has the content fields JSON-LD could supply
 * (a Guardian update's headline in JSON-LD is the page's, never the post's). */
static bool markup_complete(const struct lw_snapshot *s)
{
	for (guint i = 0; i < s->entries->len; i++) {
		const struct lw_entry *e = s->entries->pdata[i];
		if (!e->published[0] || !e->body[0] || !e->url[0])
			return false;
	}
	return true;
}

static void say(struct lw_page *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(struct lw_page *p, const char *fmt, ...)
{
	if (!p->opts.report)
		return;
	if (!p->opts.report->explain)
		p->opts.report->explain = g_string_new(NULL);
	va_list ap;
	va_start(ap, fmt);
	g_string_append_vprintf(p->opts.report->explain, fmt, ap);
	va_end(ap);
	g_string_append_c(p->opts.report->explain, '\n');
}

/* The generic extractor's findings into the report. */
static void report_generic(struct lw_page *p)
{
	struct lw_extract_report *r = p->opts.report;
	if (!r || !p->generic)
		return;
	if (!r->explain)
		r->explain = g_string_new(NULL);
	lw_generic_explain(p, r->explain);
	lw_generic_profile(p, &r->profile, &r->note);
}

/* "auto": a feed, else Guardian markup, else JSON-LD updates, else a
 * generic stream of posts, else an article.  Returns the format used,
 * or NULL with error set. */
static const char *run_auto(struct lw_page *p, struct lw_snapshot *s, GError **error)
{
	if (p->xml) {
		say(p, "format feed: the root element is rss, feed or rdf:RDF");
		return lw_extract_feed(p, s, error) < 0 ? NULL : "feed";
	}
	if (p->guardian_markup) {
		say(p, "format guardian: the Guardian's live blog markup (div#liveblog-body, "
		       "article[id^=block-] or div.block[id^=block-])");
		if (lw_extract_guardian(p, s, error) < 0)
			return NULL;
		if (s->entries->len > 0 && markup_complete(s)) {
			/* The JSON-LD could only repeat what the markup said (the
			 * Guardian's updates carry the page's headline and times):
			 * skip building its tree, the costliest part of a page. */
			lw_jsonld_page_fields(p, s);
			return "guardian";
		}
		if (s->entries->len > 0 || !lw_jsonld_has_updates(p)) {
			say(p, "fields the markup left empty: from the JSON-LD updates");
			lw_jsonld_enrich(p, s);
			return "guardian";
		}
		say(p, "the markup has no posts (rendered by script): the JSON-LD has them");
	}
	if (lw_jsonld_has_updates(p)) {
		if (lw_extract_jsonld(p, s, error) < 0)
			return NULL;
		/* JSON-LD that lags behind the page: the markup shows more posts */
		guint shown = lw_generic_bound(p) > s->entries->len && lw_generic_detect(p) ?
		              lw_generic_count(p) : 0;
		if (shown <= s->entries->len) {
			say(p, "format jsonld: a schema.org LiveBlogPosting with %u liveBlogUpdate "
			       "items%s", s->entries->len, shown ? " (as many as the markup shows, or more)" : "");
			return "jsonld";
		}
		say(p, "format generic: the markup shows %u posts, the JSON-LD only %u updates; "
		       "fields the markup lacks come from the JSON-LD", shown, s->entries->len);
		g_ptr_array_set_size(s->entries, 0);
		g_hash_table_remove_all(p->ids);
		report_generic(p);
		if (lw_extract_generic(p, s, error) < 0)
			return NULL;
		lw_jsonld_enrich(p, s);
		return "generic";
	}
	bool generic = lw_generic_detect(p);
	if (generic) {
		say(p, "format generic: no feed, Guardian markup or JSON-LD updates; "
		       "the page's structure has a stream of posts");
		report_generic(p);
		if (lw_extract_generic(p, s, error) < 0)
			return NULL;
		if (s->entries->len > 0)
			return "generic";
		/* a plan that finds nothing after all: the page is an article */
		say(p, "generic: the profile found no posts");
	}
	say(p, "format article: no feed, Guardian markup, JSON-LD updates or stream of "
	       "posts with times: the page is one entry");
	if (!generic)
		report_generic(p);
	return lw_extract_article(p, s, error) < 0 ? NULL : "article";
}

static int run_format(struct lw_page *p, const char *format,
                      struct lw_snapshot *s, GError **error)
{
	if (strcmp(format, "auto") == 0) {
		format = run_auto(p, s, error);
		if (!format)
			return -1;
	} else {
		say(p, "format %s: as asked", format);
		int rc = 0;
		for (gsize i = 0; i < G_N_ELEMENTS(extractors); i++)
			if (strcmp(format, extractors[i].name) == 0)
				rc = extractors[i].fn(p, s, error);
		if (strcmp(format, "generic") == 0)
			report_generic(p);
		if (rc < 0)
			return -1;
		/* the markup's posts, with what the JSON-LD knows better */
		if (!p->xml && strcmp(format, "xpath") == 0)
			lw_jsonld_enrich(p, s);
	}
	lw_entry_set(&s->format, format);
	if (!s->next_url[0] && !p->xml) {
		char *next = strcmp(format, "guardian") == 0 ? lw_guardian_next_url(p) : NULL;
		if (!next)
			next = lw_page_generic_next(p);
		else if (!next[0])
			g_clear_pointer(&next, g_free);
		lw_entry_set(&s->next_url, next);
		g_free(next);
	}
	/* a fragment names a place in a page, not another page */
	char *hash = strchr(s->next_url, '#');
	if (hash)
		*hash = '\0';
	return lw_page_check_time(p, error);
}

/* Where the ASCII tag start `tag` ("</html") first occurs in data,
 * case-insensitive, or NULL. */
static const char *find_tag(const char *data, gsize len, const char *tag)
{
	gsize n = strlen(tag);
	const char *p = data, *end = data + len;
	while ((p = memchr(p, '<', (gsize)(end - p))) && (gsize)(end - p) >= n) {
		if (!g_ascii_strncasecmp(p, tag, n)) {
			char c = (gsize)(end - p) > n ? p[n] : '>';
			if (c == '>' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/')
				return p;
		}
		p++;
	}
	return NULL;
}

/* A document cut off in transfer: it opens <html> or <body> (or a feed's
 * root) and never closes it.  A body ending without its length known
 * (chunked, or read until the connection closed) may stop anywhere, and
 * recovering parsers close what is open, so the last post would read as
 * edited.  Fragments without those tags are not judged; nor is UTF-16. */
static const char *cut_short(const char *data, gsize len, bool xml)
{
	static const char *const html[][3] = { { "<html", "</html", "</body" },
	                                       { "<body", "</body", "</html" } };
	static const char *const feeds[][2] = { { "<rss", "</rss" }, { "<feed", "</feed" },
	                                        { "<rdf:RDF", "</rdf:RDF" } };
	if (len >= 2 && ((guchar)data[0] == 0xFF || (guchar)data[0] == 0xFE))
		return NULL;
	gsize head = MIN(len, (gsize)65536);
	if (xml) {
		for (gsize i = 0; i < G_N_ELEMENTS(feeds); i++)
			if (find_tag(data, head, feeds[i][0]))
				return find_tag(data, len, feeds[i][1]) ? NULL : feeds[i][1] + 1;
		return NULL;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(html); i++) {
		const char *open = find_tag(data, head, html[i][0]);
		if (!open)
			continue;
		gsize rest = len - (gsize)(open - data);
		if (find_tag(open, rest, html[i][1]) || find_tag(open, rest, html[i][2]))
			return NULL;
		return html[i][1] + 1;
	}
	return NULL;
}

struct lw_snapshot *lw_extract(const char *data, gsize len,
                               const struct lw_extract_opts *opts,
                               GError **error)
{
	static const struct lw_extract_opts defaults = LW_EXTRACT_OPTS_DEFAULT;
	struct lw_page page = { 0 };
	struct lw_snapshot *s = NULL;
	page.opts = opts ? *opts : defaults;
	if (!page.opts.format)
		page.opts.format = "auto";
	if (!page.opts.max_entries)
		page.opts.max_entries = defaults.max_entries;
	if (!page.opts.max_entry_bytes)
		page.opts.max_entry_bytes = defaults.max_entry_bytes;
	if (!page.opts.max_json_depth)
		page.opts.max_json_depth = defaults.max_json_depth;
	if (!(page.opts.max_parse_time > 0))
		page.opts.max_parse_time = DEFAULT_PARSE_TIME;
	const char *where = page.opts.base_url ? page.opts.base_url : "page";
	page.where = where;

	if (!lw_extract_format_known(page.opts.format)) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
		            "unknown extract format '%s' (known: " KNOWN_FORMATS ")",
		            page.opts.format);
		return NULL;
	}
	if (strcmp(page.opts.format, "xpath") == 0 &&
	    lw_extract_check_profile(page.opts.xpath, error) < 0)
		return NULL;
	if (!data || len == 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "'%s': empty page", where);
		return NULL;
	}
	if (len > G_MAXINT) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG,
		            "'%s': page of %" G_GSIZE_FORMAT " bytes is too big to parse",
		            where, len);
		return NULL;
	}

	const char *fmt = page.opts.format;
	page.xml = strcmp(fmt, "feed") == 0 ||
	           ((strcmp(fmt, "auto") == 0 || strcmp(fmt, "xpath") == 0) &&
	            lw_feed_sniff(data, len));
	const char *missing = cut_short(data, len, page.xml);
	if (missing) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
		            "'%s': page ends before its closing <%s> (cut off in transfer?)", where,
		            missing);
		return NULL;
	}
	if (lw_page_load(&page, data, len, error) < 0)
		goto out;
	page.guardian_markup = !page.xml && lw_guardian_detect(&page);

	s = lw_snapshot_new();
	lw_entry_set(&s->page_url, page.opts.base_url);
	if (run_format(&page, page.opts.format, s, error) < 0) {
		if (error && *error && page.opts.base_url &&
		    !strstr((*error)->message, page.opts.base_url))
			g_prefix_error(error, "'%s': ", page.opts.base_url);
		lw_snapshot_free(s);
		s = NULL;
	}
out:
	lw_generic_free(&page);
	lw_page_clear(&page);
	return s;
}

void lw_extract_report_clear(struct lw_extract_report *r)
{
	if (!r)
		return;
	if (r->explain)
		g_string_free(r->explain, TRUE);
	g_free(r->profile.entry);
	g_free(r->profile.id);
	g_free(r->profile.time);
	g_free(r->profile.updated);
	g_free(r->profile.title);
	g_free(r->profile.body);
	g_free(r->note);
	memset(r, 0, sizeof(*r));
}
