/* The history as one HTML page (report.h). */
#include "report.h"
#include "alert.h"
#include "entry.h"
#include "error.h"

#include <string.h>

struct rver {
	char kind;            /* 'A', 'R', 'M', 'D' (history.h) */
	bool stealth;
	gint64 time;
	char commit[41];
	char blob[41];
};

struct rpost {
	char *key;            /* "<blog>/<id>": the anchor */
	char *blog, *id;
	char *title, *published;
	gint64 first_seen;
	char *sort;           /* published, else the first fetch, RFC 3339 */
	GArray *versions;     /* struct rver, newest first while walking */
	GPtrArray *alerts;    /* struct lw_alert *, newest first */
	guint n_stealth;
};

enum { K_NEW, K_EDITED, K_STEALTH, K_REMOVED, K_ALERT, K_N };
static const char *const kind_class[K_N] = { "new", "edited", "stealth", "removed", "alert" };
static const char *const kind_colour[K_N] = { "#2b7bb9", "#888", "#d98b00", "#c0392b", "#7b2cbf" };
static const char *const kind_label[K_N] = {
	"new posts", "edits", "stealth edits", "removals", "alerts",
};

struct rpoll {
	gint64 time;
	guint n[K_N];
};

struct collect {
	GHashTable *posts;    /* key -> struct rpost * */
	GArray *polls;        /* struct rpoll, newest first */
};

static char *utc(gint64 t);

static void rpost_free(gpointer p)
{
	struct rpost *x = p;
	g_free(x->key);
	g_free(x->blog);
	g_free(x->id);
	g_free(x->title);
	g_free(x->published);
	g_free(x->sort);
	g_array_unref(x->versions);
	g_ptr_array_unref(x->alerts);
	g_free(x);
}

static struct rpost *post_of(struct collect *c, const char *blog, const char *id)
{
	g_autofree char *key = g_strconcat(blog, "/", id, NULL);
	struct rpost *p = g_hash_table_lookup(c->posts, key);
	if (p)
		return p;
	p = g_new0(struct rpost, 1);
	p->key = g_steal_pointer(&key);
	p->blog = g_strdup(blog);
	p->id = g_strdup(id);
	p->versions = g_array_new(FALSE, FALSE, sizeof(struct rver));
	p->alerts = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	g_hash_table_insert(c->posts, p->key, p);
	return p;
}

static bool on_poll(const struct lw_history_poll *hp, void *data)
{
	struct collect *c = data;
	struct rpoll rp = { .time = hp->time };
	for (guint i = 0; i < hp->changes->len; i++) {
		const struct lw_history_change *ch = hp->changes->pdata[i];
		struct rpost *p = post_of(c, hp->blog, ch->id);
		/* the walk goes newest first: the first heading seen is the last */
		if (!p->title && ch->readable && *ch->title)
			p->title = g_strdup(ch->title);
		if (!p->published && ch->readable && *ch->published)
			p->published = g_strdup(ch->published);
		p->first_seen = hp->time;
		struct rver v = { .kind = ch->kind, .stealth = ch->stealth, .time = hp->time };
		memcpy(v.commit, hp->commit, sizeof(v.commit));
		memcpy(v.blob, ch->blob, sizeof(v.blob));
		g_array_append_val(p->versions, v);
		p->n_stealth += ch->stealth;
		rp.n[ch->kind == 'D' ? K_REMOVED : ch->kind == 'M' ? (ch->stealth ? K_STEALTH : K_EDITED)
		                                                   : K_NEW]++;
	}
	for (guint i = 0; i < hp->alerts->len; i++) {
		struct lw_alert *a = lw_alert_from_json(hp->alerts->pdata[i], NULL);
		if (!a)
			continue;
		g_autofree char *key = g_strconcat(a->blog, "/", a->entry, NULL);
		struct rpost *p = g_hash_table_lookup(c->posts, key);
		if (!p) {
			lw_alert_free(a);
			continue;
		}
		g_ptr_array_add(p->alerts, a);
		rp.n[K_ALERT]++;
	}
	g_array_append_val(c->polls, rp);
	return true;
}

/* Newest published first (a post without a time by when it was first
 * seen), then by key. */
static gint post_cmp(gconstpointer a, gconstpointer b)
{
	const struct rpost *x = *(struct rpost *const *)a, *y = *(struct rpost *const *)b;
	int c = strcmp(y->sort, x->sort);
	return c ? c : strcmp(x->key, y->key);
}

void lw_report_escape(GString *out, const char *s, gssize len)
{
	const char *end = s + (len < 0 ? (gssize)strlen(s) : len);
	for (const char *p = s; p < end; p++) {
		switch (*p) {
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '&': g_string_append(out, "&amp;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			/* control characters (never written by livewatch) are not text */
			if (((guchar)*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
				g_string_append_c(out, '?');
			else
				g_string_append_c(out, *p);
		}
	}
}

static char *utc(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
	return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

/* "2023-02-14 18:31 UTC" from unix seconds. */
static void when(GString *out, gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
	g_autofree char *s = dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M UTC") : g_strdup("?");
	g_autofree char *iso = utc(t);
	g_string_append_printf(out, "<time datetime=\"%s\">%s</time>", iso, s);
}

static const char css[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;"
	"color:#1a1a1a;background:#fff}"
	"h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin:0;display:inline}"
	"h3{font-size:1rem;margin:0}article p{margin:.15rem 0}"
	".meta,.summary,h2 small,.note{color:#555;font-size:.85rem;font-weight:normal}"
	"svg.timeline{width:100%;height:auto;border:1px solid #ddd;background:#fafafa}"
	".mark.k-new{fill:#2b7bb9}.mark.k-edited{fill:#888}.mark.k-stealth{fill:#d98b00}"
	".mark.k-removed{fill:#c0392b}.mark.k-alert{fill:#7b2cbf}"
	".axis{font-size:11px;fill:#555}"
	".legend span{display:inline-block;margin-right:1em;font-size:.85rem}"
	".legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-1px}"
	"details.day{border-top:2px solid #bbb;margin-top:.6rem}"
	"details.day>summary{padding:.4rem 0;cursor:pointer}"
	"article.post{border-top:1px solid #ddd;padding:.5rem 0;content-visibility:auto;"
	"contain-intrinsic-size:auto 5rem}"
	"article.removed h3{text-decoration:line-through;color:#8a2a20}"
	".flag{display:inline-block;font-size:.75rem;border-radius:3px;padding:0 .35em;"
	"margin-left:.3em;color:#fff;font-weight:normal}"
	".flag.removed{background:#c0392b}.flag.stealth{background:#d98b00}"
	".flag.alerted{background:#7b2cbf}"
	"pre{white-space:pre-wrap;word-wrap:break-word;font:13px/1.4 ui-monospace,monospace;"
	"background:#f6f6f6;padding:.3rem .6rem;margin:.2rem 0}"
	"pre.text{font:inherit;background:none;padding:0;margin:.3rem 0}"
	"ins{background:#d4f4d4;color:#064;text-decoration:none}"
	"del{background:#fbd6d2;color:#900}"
	"mark{background:#ffe58a}"
	"ul.alerts{margin:.3rem 0;padding-left:1.2rem;font-size:.9rem}"
	"ol.versions{margin:.2rem 0;padding-left:1.2rem;font-size:.85rem;list-style:none}"
	".version.stealth{color:#b36f00}.version.k-removed{color:#c0392b}"
	"h3 a{color:inherit;text-decoration:none}"
	".version>a{color:#999;cursor:pointer}.version>code{color:#777;font-size:.8rem}"
	"#filter{margin:.6rem 0;font-size:.9rem}#filter input[type=search]{width:16rem}"
	".hidden{display:none}";

/* Filtering by text and by flags, and the days a link points into
 * opened; the page reads the same without it. */
static const char script[] =
	"(function(){var f=document.getElementById('filter');f.hidden=false;"
	"var q=document.getElementById('q'),posts=document.getElementsByClassName('post'),"
	"shown=document.getElementById('shown'),timer=0,"
	"total=document.getElementById('n-posts').textContent;shown.textContent=total;"
	"function grow(d){var n=d.querySelector('noscript');if(n){n.remove();"
	"d.insertAdjacentHTML('beforeend',n.textContent)}}"
	"var days=document.querySelectorAll('details.day');days.forEach(function(d){"
	"d.addEventListener('toggle',function(){if(d.open)grow(d)})});"
	"function raw(d,s){var n=d.querySelector('noscript');return n&&"
	"n.textContent.toLowerCase().indexOf(s)>=0}"
	"function open(e){for(;e;e=e.parentElement)if(e.tagName=='DETAILS'){grow(e);e.open=true}}"
	"function go(){var id=decodeURIComponent(location.hash.slice(1)),t;if(!id)return;"
	"days.forEach(function(d){if(raw(d,'id=\"'+id.toLowerCase()+'\"'))grow(d)});"
	"t=document.getElementById(id);if(t){open(t);t.scrollIntoView()}}"
	"window.addEventListener('hashchange',go);go();"
	"document.addEventListener('click',function(e){var v=e.target.parentElement;"
	"if(e.target.tagName=='A'&&v&&v.classList.contains('version'))location.hash=v.id});"
	"function run(){var t=q.value.toLowerCase(),need=[],n=0;"
	"f.querySelectorAll('input[type=checkbox]').forEach(function(c){if(c.checked)"
	"need.push(c.value)});if(t||need.length)days.forEach(function(d){if((!t||raw(d,t))&&"
	"need.every(function(c){return raw(d,'class=\"flag '+c)}))grow(d)});for(var i=0;i<posts.length;i++){var p=posts[i],ok=need.every("
	"function(c){return p.classList.contains(c)})&&(!t||p.textContent.toLowerCase()"
	".indexOf(t)>=0);p.classList.toggle('hidden',!ok);n+=ok;if(ok&&(t||need.length))"
	"open(p.parentElement)}shown.textContent=t||need.length?n:total}"
	"f.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(run,250)})"
	"})();";

static void timeline(GString *out, const struct collect *c)
{
	gint64 tmin = G_MAXINT64, tmax = G_MININT64;
	for (guint i = 0; i < c->polls->len; i++) {
		const struct rpoll *p = &g_array_index(c->polls, struct rpoll, i);
		tmin = MIN(tmin, p->time);
		tmax = MAX(tmax, p->time);
	}
	if (c->polls->len == 0)
		return;
	/* one column per time slice: a year of polls stays a few thousand marks */
	guint *cols = g_new0(guint, (gsize)K_N * LW_REPORT_COLUMNS);
	gint64 span = tmax > tmin ? tmax - tmin : 1;
	for (guint i = 0; i < c->polls->len; i++) {
		const struct rpoll *p = &g_array_index(c->polls, struct rpoll, i);
		gint64 x = (p->time - tmin) * (LW_REPORT_COLUMNS - 1) / span;
		for (int k = 0; k < K_N; k++)
			cols[k * LW_REPORT_COLUMNS + x] += p->n[k];
	}
	const int left = 90, row = 22, width = LW_REPORT_COLUMNS + left + 10;
	g_string_append_printf(out, "<svg class=\"timeline\" viewBox=\"0 0 %d %d\" role=\"img\" "
	                       "aria-label=\"timeline\" data-tmin=\"%" G_GINT64_FORMAT
	                       "\" data-tmax=\"%" G_GINT64_FORMAT "\" data-columns=\"%d\" "
	                       "xmlns=\"http://www.w3.org/2000/svg\">", width, row * K_N + 24,
	                       tmin, tmax, LW_REPORT_COLUMNS);
	for (int k = 0; k < K_N; k++) {
		int y = 4 + k * row;
		g_string_append_printf(out, "<text class=\"axis\" x=\"4\" y=\"%d\">%s</text>",
		                       y + 14, kind_label[k]);
		guint top = 1;
		for (int x = 0; x < LW_REPORT_COLUMNS; x++)
			top = MAX(top, cols[k * LW_REPORT_COLUMNS + x]);
		for (int x = 0; x < LW_REPORT_COLUMNS; x++) {
			guint n = cols[k * LW_REPORT_COLUMNS + x];
			if (!n)
				continue;
			/* height grows with the count, but a single change stays visible */
			int h = 4 + (int)(14.0 * n / top);
			g_autofree char *t0 = utc(tmin + span * x / (LW_REPORT_COLUMNS - 1));
			g_string_append_printf(out, "<rect class=\"mark k-%s\" data-x=\"%d\" data-n=\"%u\" "
			                       "x=\"%d\" y=\"%d\" width=\"2\" height=\"%d\"><title>%s: %u "
			                       "%s</title></rect>", kind_class[k], x, n, left + x,
			                       y + row - 4 - h, h, t0, n, kind_label[k]);
		}
	}
	g_autofree char *a = utc(tmin), *b = utc(tmax);
	int ya = row * K_N + 18;
	g_string_append_printf(out, "<text class=\"axis\" x=\"%d\" y=\"%d\">%s</text>"
	                       "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
	                       "</svg>\n", left, ya, a, width - 10, ya, b);
	g_free(cols);
}

/* A snippet "…near «Bakhmut» on…" with the hit marked. */
static void snippet(GString *out, const char *s)
{
	const char *a = strstr(s, "«"), *b = a ? strstr(a, "»") : NULL;
	if (!a || !b) {
		lw_report_escape(out, s, -1);
		return;
	}
	lw_report_escape(out, s, a - s);
	g_string_append(out, "<mark>");
	lw_report_escape(out, a + strlen("«"), b - a - (gssize)strlen("«"));
	g_string_append(out, "</mark>");
	lw_report_escape(out, b + strlen("»"), -1);
}

static const char *const version_kind[] = { ['A'] = "new", ['R'] = "restored",
                                            ['M'] = "edited", ['D'] = "removed" };

/* "2023-02-14 18:31" from unix seconds. */
static void minute(GString *out, gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
	g_autofree char *s = dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("?");
	g_string_append(out, s);
}

static void anchor_link(GString *out, const char *key, const char *text)
{
	g_string_append(out, "<a href=\"#");
	lw_report_escape(out, key, -1);
	g_string_append(out, "\">");
	lw_report_escape(out, text, -1);
	g_string_append(out, "</a>");
}

/* An entry file without the lines that change with every owned-up edit
 * and say nothing a reader compares ("- updated:"), or never change
 * ("- id:"): what the report's word diffs are taken of. */
static char *diffable(const char *text, gsize len, gsize *out_len)
{
	GString *o = g_string_sized_new(len);
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *stop = nl ? nl + 1 : end;
		if (!g_str_has_prefix(p, "- updated: ") && !g_str_has_prefix(p, "- id: "))
			g_string_append_len(o, p, stop - p);
		p = stop;
	}
	*out_len = o->len;
	return g_string_free(o, FALSE);
}

/* One version: its kind, time and commit; the word diff from the one
 * before (prev, NULL for the first) when it has a text. */
static void version(GString *out, const char *elem, const struct rpost *p, guint i,
                    const struct rver *v, const char *prev, gsize prev_len, const char *text,
                    gsize len)
{
	g_string_append_printf(out, "<%s class=\"version k-%s%s\" id=\"", elem,
	                       version_kind[(int)v->kind], v->stealth ? " stealth" : "");
	lw_report_escape(out, p->key, -1);
	g_string_append_printf(out, "/v%u\"><a>v%u</a> %s%s ", i + 1, i + 1,
	                       version_kind[(int)v->kind], v->stealth ? " (stealth)" : "");
	minute(out, v->time);
	g_string_append_printf(out, " <code>%.7s</code>", v->commit);
	if (prev && text)
		lw_report_word_diff(out, prev, prev_len, text, len, LW_REPORT_CONTEXT);
	g_string_append_printf(out, "</%s>", elem);
}

/* The versions of a post of several: each one's kind, time and commit,
 * and the word diff from the version before it (the first one's text is
 * not shown again: the post shows its current text, or the diffs lead
 * to it); folded: in a <details> under the post's text. */
static int versions(GString *out, struct lw_history_reader *r, const struct rpost *p,
                    const char *last_text, gsize last_len, bool folded,
                    struct lw_report_stats *st, GError **error)
{
	guint n = p->versions->len;
	const struct rver *last = &g_array_index(p->versions, struct rver, n - 1);
	if (folded)
		g_string_append_printf(out, "<details><summary>%u versions</summary>", n);
	g_string_append(out, "<ol class=\"versions\">");
	g_autofree char *prev = NULL;
	gsize prev_len = 0;
	for (guint i = 0; i < n; i++) {
		const struct rver *v = &g_array_index(p->versions, struct rver, i);
		g_autofree char *text = NULL;
		gsize len = 0;
		if (v->kind != 'D') {
			g_autofree char *raw = NULL;
			gsize raw_len = 0;
			if (strcmp(v->blob, last->blob) &&
			    lw_history_read_blob(r, v->blob, &raw, &raw_len, error) < 0)
				return -1;
			text = raw ? diffable(raw, raw_len, &len) : diffable(last_text, last_len, &len);
		}
		version(out, "li", p, i, v, prev, prev_len, text, len);
		st->versions++;
		st->stealth += v->stealth;
		if (text) {
			g_free(prev);
			prev = g_steal_pointer(&text);
			prev_len = len;
		}
	}
	g_string_append(out, folded ? "</ol></details>" : "</ol>");
	return 0;
}

/* One post; with_text: its current text in full (a removed post's last
 * text is always there) and its versions folded under it; else the
 * versions, and their diffs, are what it shows. */
static int post(GString *out, struct lw_history_reader *r, struct rpost *p, bool with_text,
                bool several_blogs, struct lw_report_stats *st, GError **error)
{
	guint n = p->versions->len;
	const struct rver *last = &g_array_index(p->versions, struct rver, n - 1);
	bool removed = last->kind == 'D';
	g_autofree char *last_text = NULL;
	gsize last_len = 0;
	if (lw_history_read_blob(r, last->blob, &last_text, &last_len, error) < 0)
		return -1;
	struct lw_entry *e = lw_entry_from_md(last_text, last_len, p->key, NULL);
	g_string_append(out, "<article class=\"post");
	if (removed)
		g_string_append(out, " removed");
	if (p->n_stealth)
		g_string_append(out, " stealth");
	if (p->alerts->len)
		g_string_append(out, " alerted");
	g_string_append(out, "\" id=\"");
	lw_report_escape(out, p->key, -1);
	g_string_append(out, "\"><h3>");
	anchor_link(out, p->key, p->title ? p->title : p->id);
	if (removed) {
		g_string_append(out, "<span class=\"flag removed\">removed ");
		minute(out, last->time);
		g_string_append(out, "</span>");
	}
	if (p->n_stealth)
		g_string_append_printf(out, "<span class=\"flag stealth\">%u stealth edit%s</span>",
		                       p->n_stealth, p->n_stealth == 1 ? "" : "s");
	if (p->alerts->len)
		g_string_append_printf(out, "<span class=\"flag alerted\">%u alert%s</span>",
		                       p->alerts->len, p->alerts->len == 1 ? "" : "s");
	g_string_append(out, "</h3><p class=\"meta\">");
	if (several_blogs) {
		lw_report_escape(out, p->blog, -1);
		g_string_append(out, " \u00b7 ");
	}
	/* the day is the heading's: its time is enough */
	if (p->published && strlen(p->published) >= 16 && p->published[10] == 'T') {
		g_string_append(out, "published ");
		lw_report_escape(out, p->published + 11, 5);
	} else {
		g_string_append(out, "first seen ");
		minute(out, p->first_seen);
	}
	if (n == 1) {
		/* one version: said here, nothing to expand */
		g_string_append(out, " \u00b7 ");
		version(out, "span", p, 0, last, NULL, 0, NULL, 0);
		st->versions++;
	}
	if (e && g_str_has_prefix(e->url, "http")) {
		/* (no rel: the page's referrer policy is no-referrer) */
		g_string_append(out, " \u00b7 <a href=\"");
		lw_report_escape(out, e->url, -1);
		g_string_append(out, "\">original</a>");
	}
	g_string_append(out, "</p>");
	if (p->alerts->len) {
		g_string_append(out, "<ul class=\"alerts\">");
		for (guint i = 0; i < p->alerts->len; i++) {
			const struct lw_alert *a = p->alerts->pdata[i];
			g_string_append(out, "<li class=\"alert\"><b>");
			lw_report_escape(out, a->rule, -1);
			g_string_append(out, "</b> (");
			lw_report_escape(out, a->urgency, -1);
			g_string_append(out, ", ");
			lw_report_escape(out, a->change, -1);
			g_string_append(out, a->stealth ? ", stealth) " : ") ");
			snippet(out, a->snippet);
			g_string_append(out, "</li>");
		}
		g_string_append(out, "</ul>");
	}
	if (removed)
		g_string_append(out, "<p class=\"meta\">Last text before it was removed:</p>");
	if (with_text || removed) {
		g_string_append(out, "<pre class=\"text\">");
		if (e)
			lw_report_escape(out, e->body, -1);
		else
			lw_report_escape(out, last_text, (gssize)last_len);
		g_string_append(out, "</pre>");
	}
	lw_entry_free(e);
	if (n > 1 && versions(out, r, p, last_text, last_len, with_text, st, error) < 0)
		return -1;
	g_string_append(out, "</article>\n");
	st->posts++;
	st->removed += removed;
	st->alerts += p->alerts->len;
	return 0;
}

static void head(GString *out, const char *title, gint64 now, const struct lw_report_stats *st,
                 const struct lw_report_opts *o)
{
	g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	                "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	                "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
	                "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	lw_report_escape(out, title, -1);
	g_string_append_printf(out, "</title><style>%s</style></head>\n<body>\n<h1>", css);
	lw_report_escape(out, title, -1);
	g_string_append(out, "</h1>\n<p class=\"summary\">");
	if (o->blog) {
		g_string_append(out, "Blog ");
		lw_report_escape(out, o->blog, -1);
		g_string_append(out, " · ");
	}
	if (o->since) {
		g_string_append(out, "since ");
		when(out, o->since);
		g_string_append(out, " · ");
	}
	g_string_append_printf(out, "<span id=\"n-posts\">%u</span> posts, "
	                       "<span id=\"n-versions\">%u</span> versions, "
	                       "<span id=\"n-polls\">%u</span> polls that changed something, "
	                       "<span id=\"n-removed\">%u</span> removed, "
	                       "<span id=\"n-stealth\">%u</span> stealth edits, "
	                       "<span id=\"n-alerts\">%u</span> alerts · made ",
	                       st->posts, st->versions, st->polls, st->removed, st->stealth,
	                       st->alerts);
	when(out, now);
	g_string_append(out, " by livewatch; times are UTC</p>\n<p class=\"legend\">");
	for (int k = 0; k < K_N; k++)
		g_string_append_printf(out, "<span><i style=\"background:%s\"></i>%s</span>",
		                       kind_colour[k], kind_label[k]);
	g_string_append(out, "</p>\n");
}

/* What one day's heading counts. */
struct day_count {
	guint posts, edits, stealth, removed, alerts;
};

/* day: YYYY-MM-DD (also its anchor), or NULL for posts without a date. */
static void day_open(GString *out, const char *day, const struct day_count *d, bool open)
{
	g_string_append(out, "<details class=\"day\"");
	if (day)
		g_string_append_printf(out, " id=\"%s\"", day);
	g_string_append_printf(out, "%s><summary><h2>%s <small>%u post%s", open ? " open" : "",
	                       day ? day : "undated", d->posts, d->posts == 1 ? "" : "s");
	if (d->edits)
		g_string_append_printf(out, " \u00b7 %u edit%s", d->edits, d->edits == 1 ? "" : "s");
	if (d->stealth)
		g_string_append_printf(out, " (%u stealth)", d->stealth);
	if (d->removed)
		g_string_append_printf(out, " \u00b7 %u removed", d->removed);
	if (d->alerts)
		g_string_append_printf(out, " \u00b7 %u alert%s", d->alerts, d->alerts == 1 ? "" : "s");
	g_string_append(out, "</small></h2></summary>\n");
}

/* The posts, a day (UTC, of their sort time) at a time, newest first:
 * the days of the newest LW_REPORT_TEXT_POSTS posts open, those posts
 * with their text; older days closed, their posts with heading, flags,
 * alerts and versions. */
static int days(GString *out, struct lw_history_reader *r, GPtrArray *posts, bool several_blogs,
                struct lw_report_stats *st, GError **error)
{
	GString *day = g_string_new(NULL);
	struct day_count d = { 0 };
	int rc = 0;
	for (guint i = 0; i <= posts->len && rc == 0; i++) {
		struct rpost *p = i < posts->len ? posts->pdata[i] : NULL;
		struct rpost *prev = i ? posts->pdata[i - 1] : NULL;
		if (prev && (!p || strncmp(p->sort, prev->sort, 10))) {
			g_autofree char *name = g_strndup(prev->sort, 10);
			guint first = i - d.posts;
			if (!g_regex_match_simple("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", name, 0, 0))
				g_clear_pointer(&name, g_free);
			bool open = first < LW_REPORT_TEXT_POSTS;
			day_open(out, name, &d, open);
			/* A closed day's posts are in <noscript>: where script runs,
			 * the browser keeps them as one string (the script makes
			 * them elements when the day is opened), so a long history
			 * does not become a DOM of a million nodes at load; without
			 * script they are ordinary HTML. */
			if (!open)
				g_string_append(out, "<noscript>");
			g_string_append_len(out, day->str, (gssize)day->len);
			g_string_append(out, open ? "</details>\n" : "</noscript></details>\n");
			g_string_truncate(day, 0);
			memset(&d, 0, sizeof(d));
		}
		if (!p)
			break;
		struct lw_report_stats before = *st;
		rc = post(day, r, p, i < LW_REPORT_TEXT_POSTS, several_blogs, st, error);
		d.posts++;
		d.stealth += st->stealth - before.stealth;
		d.removed += st->removed - before.removed;
		d.alerts += st->alerts - before.alerts;
		for (guint k = 0; k < p->versions->len; k++)
			d.edits += g_array_index(p->versions, struct rver, k).kind == 'M';
	}
	g_string_free(day, TRUE);
	return rc;
}

char *lw_report_html(struct lw_history_reader *r, const struct lw_report_opts *o, gsize *len,
                     struct lw_report_stats *stats, GError **error)
{
	struct collect c = {
		.posts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, rpost_free),
		.polls = g_array_new(FALSE, FALSE, sizeof(struct rpoll)),
	};
	struct lw_history_filter f = { .blog = o->blog, .since = o->since };
	struct lw_report_stats st = { 0 };
	GString *out = NULL, *body = NULL;
	GPtrArray *posts = NULL;
	bool several_blogs = false;
	if (lw_history_walk(r, &f, on_poll, &c, error) < 0)
		goto out;
	posts = g_ptr_array_sized_new(g_hash_table_size(c.posts));
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, c.posts);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(posts, value);
	for (guint i = 0; i < posts->len; i++) {
		struct rpost *p = posts->pdata[i];
		/* versions oldest first */
		GArray *v = p->versions;
		for (guint a = 0, b = v->len - 1; a < b; a++, b--) {
			struct rver t = g_array_index(v, struct rver, a);
			g_array_index(v, struct rver, a) = g_array_index(v, struct rver, b);
			g_array_index(v, struct rver, b) = t;
		}
		p->sort = p->published ? g_strdup(p->published) : utc(p->first_seen);
		several_blogs |= strcmp(p->blog, ((struct rpost *)posts->pdata[0])->blog) != 0;
	}
	g_ptr_array_sort(posts, post_cmp);
	body = g_string_sized_new(1 << 16);
	if (days(body, r, posts, several_blogs, &st, error) < 0)
		goto out;
	st.polls = c.polls->len;
	out = g_string_sized_new(body->len + (1 << 16));
	head(out, o->title ? o->title : "livewatch report", o->now, &st, o);
	timeline(out, &c);
	g_string_append(out, "<form id=\"filter\" hidden><input type=\"search\" id=\"q\" "
	                "placeholder=\"filter posts\" aria-label=\"filter posts\"> "
	                "<label><input type=\"checkbox\" value=\"removed\"> removed</label> "
	                "<label><input type=\"checkbox\" value=\"stealth\"> stealth edits</label> "
	                "<label><input type=\"checkbox\" value=\"alerted\"> alerts</label> "
	                "<span class=\"meta\"><span id=\"shown\"></span> shown</span></form>\n");
	if (posts->len == 0)
		g_string_append(out, "<p>Nothing recorded in this range.</p>\n");
	else if (posts->len > LW_REPORT_TEXT_POSTS)
		g_string_append_printf(out, "<p class=\"note\">The newest %u posts are shown with "
		                       "their text; older ones (in the days further down) with their "
		                       "heading, alerts and each edit's word diff, and removed ones "
		                       "with their last text. <code>livewatch show BLOG ID</code> "
		                       "prints any post whole.</p>\n", LW_REPORT_TEXT_POSTS);
	g_string_append_len(out, body->str, (gssize)body->len);
	g_string_append_printf(out, "<script>%s</script>\n</body></html>\n", script);
out:
	if (body)
		g_string_free(body, TRUE);
	if (posts)
		g_ptr_array_unref(posts);
	g_hash_table_unref(c.posts);
	g_array_unref(c.polls);
	if (!out)
		return NULL;
	if (stats)
		*stats = st;
	if (len)
		*len = out->len;
	return g_string_free(out, FALSE);
}
