/* The webhook sink: one HTTP POST per alert, as JSON (the alert object),
 * ntfy (plain text body, metadata in headers) or slack (incoming-webhook
 * {"text": ...}).  Synchronous: the whole delivery, retry included, ends
 * within `timeout` seconds, or within about a second of the sink's
 * cancellable being cancelled (the daemon stopping). */
#include <string.h>
#include <curl/curl.h>
#include <json-glib/json-glib.h>

#include "error.h"
#include "caps.h"
#include "fetch.h"
#include "sink-private.h"
#include "url.h"

#define USER_AGENT "livewatch/" LW_VERSION " (+https://github.com/livewatch/livewatch)"
#define DEFAULT_TIMEOUT_S 10
/* Pause before the one retry, and the least time worth retrying with. */
#define RETRY_PAUSE_MS 200
#define RETRY_MIN_MS 500

enum format { FORMAT_JSON, FORMAT_NTFY, FORMAT_SLACK };  /* as in formats[] */

struct webhook_sink {
	char *url;
	char *shown_url;          /* url without user:password and query */
	enum format format;
	long timeout_ms;
	char **header_names;      /* user headers, NULL-terminated */
	char **header_lines;      /* "Name: value", same order */
	int priority[3];          /* ntfy: low, normal, critical */
	CURL *curl;               /* kept for connection reuse */
	GString *reply;
	gsize reply_read;
	/* Within a batch, after a timeout or a failed connection: why.  The
	 * rest of the batch is not tried, so a dead server costs one timeout
	 * per poll, not one per alert, of the daemon's loop. */
	char *batch_failure;
	bool in_batch;
	char errbuf[CURL_ERROR_SIZE];
};

/* The keys as read; the headers and the priorities are checked by
 * parse_header() and parse_priority(). */
struct webhook_opts {
	char *url;
	int format;               /* enum format */
	long timeout;
	char *priority;
	char *header[LW_WEBHOOK_MAX_HEADERS];
};

static const char *const formats[] = { "json", "ntfy", "slack", NULL };

static const struct lw_value_key webhook_keys[] = {
	{ .key = "url", .type = LW_VALUE_URL, LW_VALUE_AT(struct webhook_opts, url) },
	{ .key = "format", .type = LW_VALUE_ENUM, LW_VALUE_AT(struct webhook_opts, format),
	  .names = formats },
	{ .key = "timeout", .type = LW_VALUE_SECONDS, LW_VALUE_AT(struct webhook_opts, timeout),
	  .min = 1, .max = 120 },
	{ .key = "priority", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, priority) },
	{ .key = "header", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[0]) },
	{ .key = "header2", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[1]) },
	{ .key = "header3", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[2]) },
	{ .key = "header4", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[3]) },
	{ .key = "header5", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[4]) },
	{ .key = "header6", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[5]) },
	{ .key = "header7", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[6]) },
	{ .key = "header8", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[7]) },
	{ .key = "header9", .type = LW_VALUE_STRING, LW_VALUE_AT(struct webhook_opts, header[8]) },
	{ NULL },
};

static void opts_clear(struct webhook_opts *o)
{
	lw_value_clear(webhook_keys, o);
}

/* RFC 7230 tchar */
static bool is_token(const char *s, gsize len)
{
	if (len == 0)
		return false;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i]))
			return false;
	return true;
}

static int parse_header(GPtrArray *names, GPtrArray *lines, const struct lw_sink_config *cfg,
			const char *key, const char *v, GError **error)
{
	if (!v)
		return 0;
	const char *colon = strchr(v, ':');
	gsize nlen = colon ? (gsize)(colon - v) : 0;
	while (nlen > 0 && v[nlen - 1] == ' ')
		nlen--;
	if (!colon || !is_token(v, nlen)) {
		lw_sink_cfg_error(error, cfg, key, "'%s' must be 'Name: value' with a header name "
				  "made of letters, digits and -", key);
		return -1;
	}
	const char *val = colon + 1;
	while (*val == ' ' || *val == '\t')
		val++;
	for (const char *c = val; *c; c++) {
		if ((unsigned char)*c < 0x20 && *c != '\t') {
			lw_sink_cfg_error(error, cfg, key, "'%s' has a control character in its value",
					  key);
			return -1;
		}
	}
	char *name = g_strndup(v, nlen);
	for (guint i = 0; i < names->len; i++) {
		if (!g_ascii_strcasecmp(names->pdata[i], name)) {
			lw_sink_cfg_error(error, cfg, key, "header '%s' given twice", name);
			g_free(name);
			return -1;
		}
	}
	g_ptr_array_add(names, name);
	/* "Name;" is how curl sends a header with an empty value. */
	g_ptr_array_add(lines, *val ? g_strdup_printf("%s: %s", name, val)
				    : g_strdup_printf("%s;", name));
	return 0;
}

static int parse_priority(const char *v, int out[3])
{
	g_auto(GStrv) parts = g_strsplit(v, ",", 4);
	if (g_strv_length(parts) != 3)
		return -1;
	for (int i = 0; i < 3; i++) {
		char *p = g_strstrip(parts[i]);
		if (strlen(p) != 1 || p[0] < '1' || p[0] > '5')
			return -1;
		out[i] = p[0] - '0';
	}
	return 0;
}

/* The url for messages: scheme://host[:port]/path, without the password
 * a user:password@ may carry or the query (tokens live there). */
static char *shown_url(const char *url)
{
	g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);
	if (!u)
		return g_strdup(url);
	const char *query = g_uri_get_query(u);
	g_autofree char *base = g_uri_join(G_URI_FLAGS_ENCODED, g_uri_get_scheme(u), NULL,
					   g_uri_get_host(u), g_uri_get_port(u), g_uri_get_path(u),
					   NULL, NULL);
	return query ? g_strconcat(base, "?…", NULL) : g_steal_pointer(&base);
}

static void webhook_free(void *priv)
{
	struct webhook_sink *w = priv;
	if (w->curl)
		curl_easy_cleanup(w->curl);
	g_free(w->url);
	g_free(w->shown_url);
	g_free(w->batch_failure);
	g_strfreev(w->header_names);
	g_strfreev(w->header_lines);
	if (w->reply)
		g_string_free(w->reply, TRUE);
	g_free(w);
}

static int webhook_setup(struct lw_sink *s, const struct lw_sink_config *cfg, GError **error)
{
	struct webhook_opts o __attribute__((cleanup(opts_clear))) = { .format = FORMAT_JSON, .timeout = DEFAULT_TIMEOUT_S };
	if (lw_sink_cfg_read(cfg, webhook_keys, &o, error) < 0)
		return -1;
	const char *url = o.url;
	if (!url) {
		lw_sink_cfg_error(error, cfg, "url", "type webhook needs 'url = http(s)://...'");
		return -1;
	}
	for (const char *c = url; *c; c++) {
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) {
			lw_sink_cfg_error(error, cfg, "url", "url '%s' has spaces, control or "
					  "non-ASCII characters (percent-encode them)", url);
			return -1;
		}
	}

	struct webhook_sink *w = g_new0(struct webhook_sink, 1);
	s->priv = w;
	w->url = g_strdup(url);
	w->shown_url = shown_url(url);
	w->reply = g_string_new(NULL);
	w->timeout_ms = o.timeout * 1000L;
	w->format = (enum format)o.format;
	w->priority[0] = 2;
	w->priority[1] = 3;
	w->priority[2] = 5;

	const char *prio = o.priority;
	if (prio) {
		if (w->format != FORMAT_NTFY) {
			lw_sink_cfg_error(error, cfg, "priority", "'priority' is only for format = ntfy");
			return -1;
		}
		if (parse_priority(prio, w->priority) < 0) {
			lw_sink_cfg_error(error, cfg, "priority", "bad priority '%s' (three ntfy "
					  "priorities 1-5 for low, normal, critical: '2, 3, 5')", prio);
			return -1;
		}
	}

	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	for (int i = 1; i <= LW_WEBHOOK_MAX_HEADERS; i++) {
		g_autofree char *key = i == 1 ? g_strdup("header") : g_strdup_printf("header%d", i);
		if (parse_header(names, lines, cfg, key, o.header[i - 1], error) < 0)
			return -1;
	}
	g_ptr_array_add(names, NULL);
	g_ptr_array_add(lines, NULL);
	w->header_names = (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
	w->header_lines = (char **)g_ptr_array_free(g_steal_pointer(&lines), FALSE);
	return 0;
}

/* ---- bodies and headers ---- */

static bool user_has_header(const struct webhook_sink *w, const char *name)
{
	for (char **n = w->header_names; *n; n++)
		if (!g_ascii_strcasecmp(*n, name))
			return true;
	return false;
}

static void add_header(struct curl_slist **list, const struct webhook_sink *w,
		       const char *name, const char *value)
{
	if (user_has_header(w, name))
		return;
	g_autofree char *line = g_strdup_printf("%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(*list, line);
	if (l)
		*list = l;
}

/* Text from a page made fit for one header line: valid UTF-8, every
 * control character (C0, DEL, C1, line and paragraph separators) a space,
 * runs of spaces one, at most max_chars characters.  Non-ASCII results are
 * written as RFC 2047 encoded words (=?UTF-8?B?...?=), which ntfy decodes;
 * the header then holds printable ASCII only, so nothing a page says can
 * end the line and start another header. */
static char *header_text(const char *in, glong max_chars)
{
	g_autofree char *valid = g_utf8_make_valid(in ? in : "", -1);
	GString *s = g_string_new(NULL);
	bool space = false, ascii = true;
	glong chars = 0;
	for (const char *p = valid; *p && chars < max_chars; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029 ||
		    g_unichar_isspace(c)) {
			space = s->len > 0;
			continue;
		}
		if (space) {
			g_string_append_c(s, ' ');
			chars++;
			space = false;
		}
		if (c >= 0x80)
			ascii = false;
		g_string_append_unichar(s, c);
		chars++;
	}
	if (ascii)
		return g_string_free(s, FALSE);
	/* Encoded words of at most 75 characters: 45 bytes of whole
	 * characters give 60 of base64. */
	GString *out = g_string_new(NULL);
	const char *p = s->str, *end = s->str + s->len;
	while (p < end) {
		const char *q = p;
		while (q < end && g_utf8_next_char(q) - p <= 45)
			q = g_utf8_next_char(q);
		g_autofree char *b64 = g_base64_encode((const guchar *)p, (gsize)(q - p));
		g_string_append_printf(out, "%s=?UTF-8?B?%s?=", out->len ? " " : "", b64);
		p = q;
	}
	g_string_free(s, TRUE);
	return g_string_free(out, FALSE);
}

/* An http(s) url as printable ASCII: bytes outside it percent-encoded;
 * NULL when it is not an http(s) url or too long. */
static char *header_url(const char *url)
{
	const char *scheme = url ? g_uri_peek_scheme(url) : NULL;
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https")))
		return NULL;
	GString *s = g_string_new(NULL);
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>' ||
		    *p == '\\' || *p == '^' || *p == '`' || *p == '{' || *p == '|' || *p == '}')
			g_string_append_printf(s, "%%%02X", *p);
		else
			g_string_append_c(s, (char)*p);
	}
	if (s->len > LW_WEBHOOK_MAX_CLICK_BYTES) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

/* The alert's id for the Idempotency-Key header: printable ASCII, the
 * bytes outside it (a rule or blog name is free text) and '%' as %XX, so
 * two different ids never give the same key. */
static char *idempotency_key(const struct lw_alert *a)
{
	g_autofree char *id = lw_alert_id(a);
	GString *s = g_string_new(NULL);
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%')
			g_string_append_printf(s, "%%%02X", *p);
		else
			g_string_append_c(s, (char)*p);
	}
	return g_string_free(s, FALSE);
}

/* s cut to at most max bytes on a character boundary (s is valid UTF-8). */
static void truncate_utf8(GString *s, gsize max)
{
	if (s->len <= max)
		return;
	gsize n = max;
	while (n > 0 && (s->str[n] & 0xC0) == 0x80)
		n--;
	g_string_truncate(s, n);
}

static int urgency_index(const char *urgency)
{
	if (urgency && !strcmp(urgency, "low"))
		return 0;
	if (urgency && !strcmp(urgency, "critical"))
		return 2;
	return 1;
}

static char *ntfy_body(const struct lw_alert *a)
{
	GString *s = g_string_new(NULL);
	if (a->title && *a->title)
		g_string_append(s, a->title);
	if (a->snippet && *a->snippet) {
		if (s->len)
			g_string_append_c(s, '\n');
		g_string_append(s, a->snippet);
	}
	if (!s->len)
		g_string_append(s, a->entry ? a->entry : "");
	char *valid = g_utf8_make_valid(s->str, (gssize)s->len);
	g_string_assign(s, valid);
	g_free(valid);
	truncate_utf8(s, LW_NTFY_MAX_BODY);
	return g_string_free(s, FALSE);
}

static void ntfy_headers(struct curl_slist **h, const struct webhook_sink *w,
			 const struct lw_alert *a)
{
	g_autofree char *summary = lw_sink_desktop_summary(a);
	g_autofree char *title = header_text(summary, LW_NTFY_MAX_TITLE_CHARS);
	add_header(h, w, "Title", title);
	g_autofree char *prio = g_strdup_printf("%d", w->priority[urgency_index(a->urgency)]);
	add_header(h, w, "Priority", prio);
	g_autofree char *click = header_url(a->url);
	if (click)
		add_header(h, w, "Click", click);
	/* Tags are a comma-separated list; rule names cannot hold commas but
	 * are made safe anyway. */
	g_autofree char *rule = header_text(a->rule, 64);
	g_strdelimit(rule, ",", ' ');
	g_autofree char *tags = g_strdup_printf("livewatch,%s", rule);
	add_header(h, w, "Tags", tags);
}

/* Slack's "mrkdwn" text escapes only these three. */
static void slack_escape(GString *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		default: g_string_append_c(out, *s);
		}
	}
}

static char *slack_body(const struct lw_alert *a)
{
	g_autoptr(GString) text = g_string_new("*");
	slack_escape(text, a->rule);
	g_string_append(text, "* · ");
	slack_escape(text, a->blog);
	if (a->change && (!strcmp(a->change, "edited") || !strcmp(a->change, "restored")))
		g_string_append_printf(text, " (%s)", a->change);
	g_string_append(text, "\n");
	g_autofree char *url = header_url(a->url);
	const char *title = a->title && *a->title ? a->title : a->entry;
	if (url) {
		/* <url|label>: a '|' in the url is percent-encoded already. */
		g_string_append_c(text, '<');
		slack_escape(text, url);
		g_string_append_c(text, '|');
		slack_escape(text, title);
		g_string_append_c(text, '>');
	} else {
		slack_escape(text, title);
	}
	if (a->snippet && *a->snippet) {
		g_string_append(text, "\n");
		slack_escape(text, a->snippet);
	}
	g_autofree char *valid = g_utf8_make_valid(text->str, (gssize)text->len);

	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, valid);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autoptr(JsonGenerator) gen = json_generator_new();
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

/* ---- delivery ---- */

static size_t on_reply(char *data, size_t size, size_t n, void *userp)
{
	struct webhook_sink *w = userp;
	size_t len = size * n;
	w->reply_read += len;
	if (w->reply_read > LW_WEBHOOK_MAX_REPLY_READ)
		return 0;
	if (w->reply->len < LW_WEBHOOK_MAX_REPLY)
		g_string_append_len(w->reply, data, (gssize)MIN(len, LW_WEBHOOK_MAX_REPLY - w->reply->len));
	return len;
}

/* The first line of a reply, printable ASCII only, for a message. */
static char *reply_line(const GString *reply)
{
	GString *s = g_string_new(NULL);
	for (gsize i = 0; i < reply->len && s->len < 100; i++) {
		char c = reply->str[i];
		if (c == '\n' || c == '\r')
			break;
		g_string_append_c(s, c >= 0x20 && c < 0x7f ? c : '?');
	}
	g_strstrip(s->str);
	s->len = strlen(s->str);
	return g_string_free(s, FALSE);
}

static char *lower_first(const char *s)
{
	char *d = g_strdup(s);
	g_strchomp(d);
	if (g_ascii_isupper(d[0]) && !g_ascii_isupper(d[1]))
		d[0] = g_ascii_tolower(d[0]);
	return d;
}

/* curl calls this at least once a second, also while it waits. */
static int on_progress(void *cancel, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	return g_cancellable_is_cancelled(cancel) ? 1 : 0;
}

static CURLcode post_once(struct webhook_sink *w, const char *body, struct curl_slist *headers,
			  long budget_ms, GCancellable *cancel, long *status)
{
	CURL *c = w->curl;
	CURLcode rc;
	*status = 0;
	g_string_truncate(w->reply, 0);
	w->reply_read = 0;
	w->errbuf[0] = '\0';
#define SET(opt, val) do { \
		rc = curl_easy_setopt(c, opt, val); \
		if (rc != CURLE_OK) \
			return rc; \
	} while (0)
	SET(CURLOPT_URL, w->url);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A redirect is an answer, not a detour: the headers may carry a
	 * token that must not go to another host. */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_ERRORBUFFER, w->errbuf);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_TIMEOUT_MS, budget_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, budget_ms);
	SET(CURLOPT_WRITEFUNCTION, on_reply);
	SET(CURLOPT_WRITEDATA, w);
	SET(CURLOPT_NOPROGRESS, cancel ? 0L : 1L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, cancel);
#undef SET
	rc = curl_easy_perform(c);
	/* A reply that goes on and on is cut; its status stands. */
	if (rc == CURLE_WRITE_ERROR && w->reply_read > LW_WEBHOOK_MAX_REPLY_READ)
		rc = CURLE_OK;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	return rc;
}

static bool retryable(CURLcode rc, long status)
{
	if (rc == CURLE_OK)
		return status >= 500 || status == 429;
	/* Not a timeout: that spent the budget.  A reused connection the
	 * server had closed shows as a send/receive error or no reply. */
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_SEND_ERROR ||
	       rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
	       rc == CURLE_COULDNT_RESOLVE_HOST;
}

static void webhook_begin_batch(struct lw_sink *s)
{
	struct webhook_sink *w = s->priv;
	w->in_batch = true;
	g_clear_pointer(&w->batch_failure, g_free);
}

static int webhook_end_batch(struct lw_sink *s, GError **error)
{
	struct webhook_sink *w = s->priv;
	w->in_batch = false;
	g_clear_pointer(&w->batch_failure, g_free);
	return 0;
}

static int webhook_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	struct webhook_sink *w = s->priv;
	if (w->batch_failure) {
		g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': POST '%s': skipped for the "
			    "rest of this poll after: %s", s->name, w->shown_url, w->batch_failure);
		return -1;
	}
	lw_fetch_global_init();
	if (!w->curl && !(w->curl = curl_easy_init())) {
		g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': POST '%s': out of memory",
			    s->name, w->shown_url);
		return -1;
	}

	g_autofree char *body = NULL;
	struct curl_slist *headers = NULL;
	switch (w->format) {
	case FORMAT_JSON:
		body = lw_alert_to_json(a);
		add_header(&headers, w, "Content-Type", "application/json");
		break;
	case FORMAT_NTFY:
		body = ntfy_body(a);
		add_header(&headers, w, "Content-Type", "text/plain; charset=utf-8");
		ntfy_headers(&headers, w, a);
		break;
	case FORMAT_SLACK:
		body = slack_body(a);
		add_header(&headers, w, "Content-Type", "application/json");
		break;
	}
	/* The same alert sent again (a retry, a re-delivery after a crash)
	 * has the same key, whatever the format: the receiver can drop it. */
	g_autofree char *key = idempotency_key(a);
	add_header(&headers, w, "Idempotency-Key", key);
	/* No "Expect: 100-continue" wait on bigger bodies. */
	struct curl_slist *l = curl_slist_append(headers, "Expect:");
	if (l)
		headers = l;
	for (char **h = w->header_lines; *h; h++) {
		l = curl_slist_append(headers, *h);
		if (l)
			headers = l;
	}

	gint64 deadline = g_get_monotonic_time() + w->timeout_ms * 1000;
	long status = 0;
	int tries = 0;
	CURLcode rc;
	for (;;) {
		long left = (long)((deadline - g_get_monotonic_time()) / 1000);
		rc = post_once(w, body, headers, MAX(left, 1), s->cancel, &status);
		tries++;
		if (rc == CURLE_OK && status >= 200 && status < 300)
			break;
		left = (long)((deadline - g_get_monotonic_time()) / 1000);
		if (tries > 1 || !retryable(rc, status) || left < RETRY_MIN_MS + RETRY_PAUSE_MS ||
		    g_cancellable_is_cancelled(s->cancel))
			break;
		g_usleep(RETRY_PAUSE_MS * 1000);
	}
	curl_slist_free_all(headers);
	/* The handle keeps no pointer into this delivery's body or headers. */
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, NULL);

	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	if (g_cancellable_set_error_if_cancelled(s->cancel, error))
		return -1;
	/* a 429 or 503 may say when to come back: the kept alert waits that long */
	curl_off_t after = 0;
	if (rc == CURLE_OK && (status == 429 || status == 503) &&
	    curl_easy_getinfo(w->curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
		s->retry_after = (long)MIN(after, (curl_off_t)LW_SINK_RETRY_MAX);
	const char *again = tries > 1 ? ", after a retry" : "";
	if (rc == CURLE_OK) {
		g_autofree char *why = reply_line(w->reply);
		g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': POST '%s': HTTP %ld%s%s%s%s",
			    s->name, w->shown_url, status, *why ? " (" : "", why, *why ? ")" : "",
			    status >= 300 && status < 400 ? ", redirects are not followed" : again);
		return -1;
	}
	g_autofree char *why = rc == CURLE_OPERATION_TIMEDOUT ?
		g_strdup_printf("no answer within %ld s", w->timeout_ms / 1000) :
		lower_first(w->errbuf[0] ? w->errbuf : curl_easy_strerror(rc));
	g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': POST '%s': %s%s", s->name,
		    w->shown_url, why, again);
	if (w->in_batch)
		w->batch_failure = g_steal_pointer(&why);
	s->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	return -1;
}

const struct lw_sink_ops lw_sink_webhook_ops = {
	.type = "webhook",
	.keys = webhook_keys,
	.retry = true,
	.setup = webhook_setup,
	.deliver = webhook_deliver,
	.begin_batch = webhook_begin_batch,
	.end_batch = webhook_end_batch,
	.free_priv = webhook_free,
};
