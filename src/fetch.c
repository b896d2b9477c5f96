#include "fetch.h"
#include "caps.h"

#include "error.h"
#include "url.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define DEFAULT_USER_AGENT \
	"livewatch/" LW_VERSION " (+https://github.com/livewatch/livewatch)"

#define MIB (1024u * 1024u)
#define KIB 1024u

/* A stalled or dripping server is dropped before the total timeout when
 * the transfer averages under LOW_SPEED_BYTES/s for low_speed_time_s. */
#define LOW_SPEED_BYTES 64L
#define LOW_SPEED_TIME_S 20L

struct lw_fetch {
	CURL *curl;
	char *url;
	struct curl_slist *req_headers;
	void *data;

	long connect_timeout_s;
	long timeout_s;
	gsize max_size;
	long max_redirects;
	long low_speed_time_s;

	GByteArray *body;
	bool too_big;
	gsize header_bytes;
	bool headers_too_big;
	bool headers_ended;
	bool finished;

	/* Headers of the latest response; reset on each status line so that
	 * only the final response of a redirect chain counts. */
	char *content_type;
	char *etag;
	char *last_modified;
	char *location;
	long retry_after_s;

	char errbuf[CURL_ERROR_SIZE];
};

static GOnce global_once = G_ONCE_INIT;

static gpointer global_init_once(gpointer unused)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return NULL;
}

void lw_fetch_global_init(void)
{
	g_once(&global_once, global_init_once, NULL);
}

void lw_fetch_result_clear(struct lw_fetch_result *r)
{
	if (!r)
		return;
	g_free(r->effective_url);
	g_free(r->content_type);
	g_free(r->charset);
	g_free(r->etag);
	g_free(r->last_modified);
	if (r->body)
		g_bytes_unref(r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after_s = -1;
}

static void reset_response_headers(struct lw_fetch *f)
{
	g_clear_pointer(&f->content_type, g_free);
	g_clear_pointer(&f->etag, g_free);
	g_clear_pointer(&f->last_modified, g_free);
	g_clear_pointer(&f->location, g_free);
	f->retry_after_s = -1;
}

/* Seconds from now, or -1 when the value is neither a number nor a date. */
static long parse_retry_after(const char *v)
{
	if (!*v)
		return -1;
	if (g_ascii_isdigit(*v)) {
		char *end;
		guint64 n = g_ascii_strtoull(v, &end, 10);
		if (*end)
			return -1;
		return n > G_MAXINT32 ? G_MAXINT32 : (long)n;
	}
	time_t when = curl_getdate(v, NULL);
	if (when == (time_t)-1)
		return -1;
	time_t now = time(NULL);
	if (when <= now)
		return 0;
	return when - now > G_MAXINT32 ? G_MAXINT32 : (long)(when - now);
}

static void set_header(char **field, const char *value, size_t len)
{
	g_free(*field);
	*field = g_strndup(value, len);
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct lw_fetch *f = userp;
	size_t len = size * n;

	f->header_bytes += len;
	if (f->header_bytes > LW_FETCH_MAX_HEADER_BYTES) {
		f->headers_too_big = true;
		return 0;
	}
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		reset_response_headers(f);
		f->headers_ended = false;
		return len;
	}
	/* curl 7.88 takes a connection closed mid-headers as a whole
	 * response; the blank line tells the two apart. */
	if ((len == 2 && data[0] == '\r' && data[1] == '\n') ||
	    (len == 1 && data[0] == '\n')) {
		f->headers_ended = true;
		return len;
	}

	const char *colon = memchr(data, ':', len);
	if (!colon)
		return len;
	size_t name_len = colon - data;
	const char *v = colon + 1;
	const char *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && g_ascii_isspace(end[-1]))
		end--;
	size_t vlen = end - v;
	if (vlen > LW_FETCH_MAX_HEADER_VALUE)
		return len;

#define IS(name) (name_len == sizeof(name) - 1 && \
		  g_ascii_strncasecmp(data, name, name_len) == 0)
	if (IS("content-type")) {
		set_header(&f->content_type, v, vlen);
	} else if (IS("etag")) {
		set_header(&f->etag, v, vlen);
	} else if (IS("last-modified")) {
		set_header(&f->last_modified, v, vlen);
	} else if (IS("location")) {
		set_header(&f->location, v, vlen);
	} else if (IS("retry-after")) {
		g_autofree char *s = g_strndup(v, vlen);
		f->retry_after_s = parse_retry_after(s);
	}
#undef IS
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct lw_fetch *f = userp;
	size_t len = size * n;

	if (len > f->max_size - f->body->len) {
		f->too_big = true;
		return 0;
	}
	g_byte_array_append(f->body, (const guint8 *)data, len);
	return len;
}

/* The charset= parameter of a Content-Type value, lowercased, or NULL. */
static char *parse_charset(const char *content_type)
{
	g_auto(GStrv) params = g_strsplit(content_type, ";", 16);
	for (int i = 1; params[i]; i++) {
		char *p = g_strstrip(params[i]);
		if (g_ascii_strncasecmp(p, "charset", 7) != 0)
			continue;
		p = g_strchug(p + 7);
		if (*p != '=')
			continue;
		p = g_strstrip(p + 1);
		size_t len = strlen(p);
		if (len >= 2 && (p[0] == '"' || p[0] == '\'') && p[len - 1] == p[0]) {
			p[len - 1] = '\0';
			p++;
			len -= 2;
		}
		if (len == 0 || len > LW_FETCH_MAX_CHARSET)
			return NULL;
		for (const char *c = p; *c; c++)
			if (!g_ascii_isalnum(*c) && !strchr("-_.:+", *c))
				return NULL;
		return g_ascii_strdown(p, -1);
	}
	return NULL;
}

static bool safe_header_value(const char *v)
{
	if (!v || !*v || strlen(v) > LW_FETCH_MAX_COND_VALUE)
		return false;
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return false;
	return true;
}

static bool add_header(struct lw_fetch *f, const char *name, const char *value)
{
	g_autofree char *line = g_strdup_printf("%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(f->req_headers, line);
	if (!l)
		return false;
	f->req_headers = l;
	return true;
}

struct lw_fetch *lw_fetch_setup(const char *url,
                                const struct lw_fetch_opts *opts,
                                const struct lw_fetch_cond *cond,
                                GError **error)
{
	static const struct lw_fetch_opts defaults = LW_FETCH_OPTS_DEFAULT;
	struct lw_fetch *f = NULL;
	CURLcode rc = CURLE_OK;

	lw_fetch_global_init();
	if (!opts)
		opts = &defaults;

	if (!lw_url_is_http(url)) {
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH,
		            "cannot fetch '%s': not an http or https url",
		            url ? url : "(null)");
		return NULL;
	}

	f = g_new0(struct lw_fetch, 1);
	f->url = g_strdup(url);
	f->body = g_byte_array_new();
	f->retry_after_s = -1;
	f->connect_timeout_s = opts->connect_timeout_s > 0 ?
		opts->connect_timeout_s : defaults.connect_timeout_s;
	f->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : defaults.timeout_s;
	f->max_size = opts->max_size > 0 ? opts->max_size : defaults.max_size;
	f->max_redirects = opts->max_redirects >= 0 ?
		opts->max_redirects : defaults.max_redirects;
	f->low_speed_time_s = MIN(opts->low_speed_time_s > 0 ?
		opts->low_speed_time_s : LOW_SPEED_TIME_S, f->timeout_s);
	const char *ua = opts->user_agent && *opts->user_agent ?
		opts->user_agent : DEFAULT_USER_AGENT;

	f->curl = curl_easy_init();
	if (!f->curl)
		goto err_oom;

	if (cond && safe_header_value(cond->etag) &&
	    !add_header(f, "If-None-Match", cond->etag))
		goto err_oom;
	if (cond && safe_header_value(cond->last_modified) &&
	    !add_header(f, "If-Modified-Since", cond->last_modified))
		goto err_oom;

	CURL *c = f->curl;
#define SET(opt, val) do { \
		rc = curl_easy_setopt(c, opt, val); \
		if (rc != CURLE_OK) \
			goto err_curl; \
	} while (0)
	SET(CURLOPT_URL, f->url);
	SET(CURLOPT_PRIVATE, f);
	SET(CURLOPT_ERRORBUFFER, f->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, f->max_redirects);
	SET(CURLOPT_CONNECTTIMEOUT, f->connect_timeout_s);
	SET(CURLOPT_TIMEOUT, f->timeout_s);
	SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, f->low_speed_time_s);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_size);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_HTTPHEADER, f->req_headers);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, f);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, f);
#undef SET
	return f;

err_oom:
	g_set_error(error, LW_ERROR, LW_ERROR_FETCH,
	            "cannot fetch '%s': out of memory setting up curl", url);
	lw_fetch_free(f);
	return NULL;
err_curl:
	g_set_error(error, LW_ERROR, LW_ERROR_FETCH,
	            "cannot fetch '%s': curl refused an option: %s",
	            url, curl_easy_strerror(rc));
	lw_fetch_free(f);
	return NULL;
}

CURL *lw_fetch_handle(struct lw_fetch *f)
{
	return f->curl;
}

struct lw_fetch *lw_fetch_from_handle(CURL *handle)
{
	char *p = NULL;
	if (curl_easy_getinfo(handle, CURLINFO_PRIVATE, &p) != CURLE_OK)
		return NULL;
	return (struct lw_fetch *)p;
}

const char *lw_fetch_url(const struct lw_fetch *f)
{
	return f->url;
}

void lw_fetch_set_data(struct lw_fetch *f, void *data)
{
	f->data = data;
}

void *lw_fetch_get_data(const struct lw_fetch *f)
{
	return f->data;
}

void lw_fetch_free(struct lw_fetch *f)
{
	if (!f)
		return;
	if (f->curl)
		curl_easy_cleanup(f->curl);
	curl_slist_free_all(f->req_headers);
	if (f->body)
		g_byte_array_unref(f->body);
	reset_response_headers(f);
	g_free(f->url);
	g_free(f);
}

static char *format_size(gsize n)
{
	if (n >= MIB && n % MIB == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " MB", n / MIB);
	if (n >= KIB && n % KIB == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " KB", n / KIB);
	return g_strdup_printf("%" G_GSIZE_FORMAT " bytes", n);
}

/* curl's own words for what went wrong, lowercased like ours. */
static char *curl_detail(const struct lw_fetch *f, CURLcode code)
{
	const char *s = f->errbuf[0] ? f->errbuf : curl_easy_strerror(code);
	char *d = g_strdup(s);
	g_strchomp(d);
	if (g_ascii_isupper(d[0]) && !g_ascii_isupper(d[1]))
		d[0] = g_ascii_tolower(d[0]);
	return d;
}

static char *os_error(CURL *c)
{
	long err = 0;
	if (curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &err) != CURLE_OK || err == 0)
		return NULL;
	char *s = g_strdup(g_strerror((int)err));
	if (g_ascii_isupper(s[0]) && !g_ascii_isupper(s[1]))
		s[0] = g_ascii_tolower(s[0]);
	return s;
}

static void set_transfer_error(struct lw_fetch *f, CURLcode code, GError **error)
{
	g_autofree char *why = NULL;
	int domain_code = LW_ERROR_FETCH;

	switch (code) {
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (code == CURLE_FILESIZE_EXCEEDED || f->too_big) {
			g_autofree char *cap = format_size(f->max_size);
			why = g_strdup_printf("body larger than %s", cap);
			domain_code = LW_ERROR_TOO_BIG;
		}
		break;
	case CURLE_OPERATION_TIMEDOUT: {
		curl_off_t connect_us = 0, total_us = 0;
		curl_easy_getinfo(f->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
		curl_easy_getinfo(f->curl, CURLINFO_TOTAL_TIME_T, &total_us);
		long low_speed_s = f->low_speed_time_s;
		if (connect_us == 0 && total_us < f->timeout_s * G_USEC_PER_SEC)
			why = g_strdup_printf("connect timeout after %ld s",
			                      f->connect_timeout_s);
		else if (low_speed_s < f->timeout_s &&
		         total_us + G_USEC_PER_SEC / 2 < f->timeout_s * G_USEC_PER_SEC)
			why = g_strdup_printf("too slow: under %ld bytes/s for %ld s",
			                      LOW_SPEED_BYTES, low_speed_s);
		else
			why = g_strdup_printf("timeout after %ld s", f->timeout_s);
		break;
	}
	case CURLE_PARTIAL_FILE: {
		curl_off_t got = 0;
		curl_easy_getinfo(f->curl, CURLINFO_SIZE_DOWNLOAD_T, &got);
		why = g_strdup_printf("body cut short: connection closed after %"
		                      CURL_FORMAT_CURL_OFF_T " bytes", got);
		break;
	}
	case CURLE_TOO_MANY_REDIRECTS:
		if (f->max_redirects == 0)
			why = g_strdup("redirected, but redirects are not allowed");
		else
			why = g_strdup_printf("too many redirects (more than %ld)",
			                      f->max_redirects);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (f->location)
			why = g_strdup_printf("redirect to '%s' refused: only http and https are followed",
			                      f->location);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		why = g_strdup("cannot resolve host name");
		break;
	case CURLE_COULDNT_CONNECT:
		why = os_error(f->curl);
		break;
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		if (f->headers_too_big) {
			g_autofree char *cap = format_size(LW_FETCH_MAX_HEADER_BYTES);
			why = g_strdup_printf("response headers larger than %s", cap);
			domain_code = LW_ERROR_TOO_BIG;
		}
		break;
	default:
		break;
	}
	if (!why && f->headers_too_big) {
		g_autofree char *cap = format_size(LW_FETCH_MAX_HEADER_BYTES);
		why = g_strdup_printf("response headers larger than %s", cap);
		domain_code = LW_ERROR_TOO_BIG;
	}
	if (!why)
		why = curl_detail(f, code);
	g_set_error(error, LW_ERROR, domain_code, "cannot fetch '%s': %s",
	            f->url, why);
}

int lw_fetch_finish(struct lw_fetch *f, CURLcode code,
                    struct lw_fetch_result *out, GError **error)
{
	long status = 0;
	char *eff = NULL;
	double total = 0;

	if (f->finished) {
		g_set_error(error, LW_ERROR, LW_ERROR_FAILED,
		            "cannot fetch '%s': transfer already finished", f->url);
		return -1;
	}
	f->finished = true;

	if (code != CURLE_OK) {
		set_transfer_error(f, code, error);
		return -1;
	}
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(f->curl, CURLINFO_EFFECTIVE_URL, &eff);
	curl_easy_getinfo(f->curl, CURLINFO_TOTAL_TIME, &total);
	if (status < 100) {
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH,
		            "cannot fetch '%s': no http response", f->url);
		return -1;
	}
	if (!f->headers_ended) {
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH,
		            "cannot fetch '%s': connection closed in the middle of the headers",
		            f->url);
		return -1;
	}

	memset(out, 0, sizeof(*out));
	out->status = status;
	out->effective_url = g_strdup(eff ? eff : f->url);
	out->content_type = g_steal_pointer(&f->content_type);
	out->charset = out->content_type ? parse_charset(out->content_type) : NULL;
	out->etag = g_steal_pointer(&f->etag);
	out->last_modified = g_steal_pointer(&f->last_modified);
	out->retry_after_s = f->retry_after_s;
	out->total_time_s = total;

	/* Keep a NUL past the end so that text parsers may read it as a string. */
	gsize len = f->body->len;
	const guint8 nul = 0;
	g_byte_array_append(f->body, &nul, 1);
	guint8 *data = g_byte_array_free(f->body, FALSE);
	f->body = NULL;
	out->body = g_bytes_new_take(data, len);
	return 0;
}

int lw_fetch_page(struct lw_fetch_result *out, const char *url,
                  const struct lw_fetch_opts *opts,
                  const struct lw_fetch_cond *cond, GError **error)
{
	struct lw_fetch *f = lw_fetch_setup(url, opts, cond, error);
	if (!f)
		return -1;
	CURLcode code = curl_easy_perform(f->curl);
	int ret = lw_fetch_finish(f, code, out, error);
	lw_fetch_free(f);
	return ret;
}
