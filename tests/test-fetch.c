/* Fetching against tests/lwhttpd.py, a loopback server with fault modes.
 * One server serves the whole run; each case sets its own routes. */
#include "error.h"
#include "fetch.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static GPid server_pid;
static int server_stdin = -1;
static char *server_dir;
static guint16 server_port;

static char *url_for(const char *path)
{
	return g_strdup_printf("http://127.0.0.1:%u%s", server_port, path);
}

static void server_start(void)
{
	const char *src = g_getenv("LW_SRCDIR");
	const char *python = g_getenv("PYTHON");
	g_autofree char *script = src ?
		g_build_filename(src, "tests", "lwhttpd.py", NULL) :
		g_build_filename(LW_TEST_DATA, "..", "lwhttpd.py", NULL);
	g_autoptr(GError) error = NULL;

	server_dir = g_dir_make_tmp("lw-test-fetch-XXXXXX", &error);
	g_assert_no_error(error);
	g_autofree char *port_file = g_build_filename(server_dir, "port", NULL);

	/* Its stdin is a pipe: if this test dies, the server exits too.
	 * (Plain g_spawn rather than GSubprocess: no GLib worker thread for
	 * valgrind to report.) */
	const char *argv[] = { python && *python ? python : "python3", script,
	                       "--port-file", port_file, NULL };
	g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
	                         G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
	                         NULL, NULL, &server_pid, &server_stdin,
	                         NULL, NULL, &error);
	g_assert_no_error(error);

	for (int i = 0; i < 200; i++) {
		g_autofree char *text = NULL;
		if (g_file_get_contents(port_file, &text, NULL, NULL)) {
			server_port = (guint16)g_ascii_strtoull(text, NULL, 10);
			break;
		}
		g_usleep(50 * 1000);
	}
	g_assert_cmpuint(server_port, >, 0);
	g_unlink(port_file);
}

static void server_stop(void)
{
	int status = 0;

	kill(server_pid, SIGTERM);
	close(server_stdin);
	g_assert_cmpint(waitpid(server_pid, &status, 0), ==, server_pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_spawn_close_pid(server_pid);
	g_rmdir(server_dir);
	g_free(server_dir);
}

static size_t discard(char *data, size_t size, size_t n, void *userp)
{
	return size * n;
}

/* Sets what the server answers at path; spec is the JSON of LiveServer.set. */
static void route(const char *path, const char *spec)
{
	g_autofree char *ctl = g_strdup_printf("/_lw/route?path=%s", path);
	g_autofree char *url = url_for(ctl);
	CURL *c = curl_easy_init();
	long status = 0;

	g_assert_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, spec);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	g_assert_cmpint(curl_easy_perform(c), ==, CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	g_assert_cmpint(status, ==, 200);
}

/* The server's log of requests to path, as a JSON array (free it). */
static JsonNode *requests(const char *path)
{
	g_autofree char *ctl = g_strdup_printf("/_lw/requests?path=%s", path);
	g_autofree char *url = url_for(ctl);
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(r.status, ==, 200);
	JsonNode *node = json_from_string(g_bytes_get_data(r.body, NULL), &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_ARRAY(node));
	lw_fetch_result_clear(&r);
	return node;
}

static JsonObject *last_request(JsonNode *log)
{
	JsonArray *a = json_node_get_array(log);
	g_assert_cmpuint(json_array_get_length(a), >, 0);
	return json_array_get_object_element(a, json_array_get_length(a) - 1);
}

static const char *request_header(JsonObject *req, const char *name)
{
	JsonObject *h = json_object_get_object_member(req, "headers");
	return json_object_has_member(h, name) ?
		json_object_get_string_member(h, name) : NULL;
}

static const char *body_str(const struct lw_fetch_result *r)
{
	return g_bytes_get_data(r->body, NULL);
}

static void assert_mentions(const GError *error, const char *url, const char *what)
{
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	if (!strstr(error->message, url) || !strstr(error->message, what))
		g_error("message '%s' should mention '%s' and '%s'",
		        error->message, url, what);
	g_assert_true(g_str_has_prefix(error->message, "cannot fetch '"));
}

static void test_ok(void)
{
	route("/ok", "{\"body\": \"<html>h\\u00e9llo</html>\","
	             " \"etag\": \"\\\"v1\\\"\","
	             " \"last_modified\": \"Tue, 14 Feb 2023 18:31:00 GMT\","
	             " \"content_type\": \"text/html; Charset=\\\"UTF-8\\\"\"}");
	g_autofree char *url = url_for("/ok");
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(r.status, ==, 200);
	g_assert_cmpstr(body_str(&r), ==, "<html>h\xc3\xa9llo</html>");
	g_assert_cmpuint(g_bytes_get_size(r.body), ==, 19);
	g_assert_cmpstr(r.effective_url, ==, url);
	g_assert_cmpstr(r.etag, ==, "\"v1\"");
	g_assert_cmpstr(r.last_modified, ==, "Tue, 14 Feb 2023 18:31:00 GMT");
	g_assert_cmpstr(r.content_type, ==, "text/html; Charset=\"UTF-8\"");
	g_assert_cmpstr(r.charset, ==, "utf-8");
	g_assert_cmpint(r.retry_after_s, ==, -1);
	g_assert_cmpfloat(r.total_time_s, >, 0);
	lw_fetch_result_clear(&r);
	g_assert_null(r.body);
	g_assert_cmpint(r.retry_after_s, ==, -1);

	g_autoptr(JsonNode) log = requests("/ok");
	JsonObject *req = last_request(log);
	g_assert_cmpstr(json_object_get_string_member(req, "method"), ==, "GET");
	const char *ua = request_header(req, "user-agent");
	g_assert_nonnull(ua);
	g_assert_true(g_str_has_prefix(ua, "livewatch/" LW_VERSION " "));
	const char *ae = request_header(req, "accept-encoding");
	g_assert_nonnull(ae);
	g_assert_nonnull(strstr(ae, "gzip"));
	g_assert_null(request_header(req, "if-none-match"));
	g_assert_null(request_header(req, "if-modified-since"));
}

static void test_user_agent_option(void)
{
	route("/ua", "{\"body\": \"x\"}");
	g_autofree char *url = url_for("/ua");
	struct lw_fetch_opts opts = LW_FETCH_OPTS_DEFAULT;
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	opts.user_agent = "custom-agent/2";
	g_assert_cmpint(lw_fetch_page(&r, url, &opts, NULL, &error), ==, 0);
	lw_fetch_result_clear(&r);
	g_autoptr(JsonNode) log = requests("/ua");
	g_assert_cmpstr(request_header(last_request(log), "user-agent"), ==,
	                "custom-agent/2");
}

static void test_not_found_is_a_response(void)
{
	g_autofree char *url = url_for("/nowhere");
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(r.status, ==, 404);
	g_assert_nonnull(r.body);
	lw_fetch_result_clear(&r);
}

static void test_conditional(void)
{
	route("/cond", "{\"body\": \"page v1\", \"auto_etag\": true,"
	               " \"last_modified\": \"Tue, 14 Feb 2023 18:31:00 GMT\"}");
	route("/cond-lm", "{\"body\": \"page v1\","
	                  " \"last_modified\": \"Tue, 14 Feb 2023 18:31:00 GMT\"}");
	g_autofree char *url = url_for("/cond");
	g_autofree char *url_lm = url_for("/cond-lm");
	struct lw_fetch_result first = { 0 }, r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&first, url, NULL, NULL, &error), ==, 0);
	g_assert_cmpint(first.status, ==, 200);
	g_assert_nonnull(first.etag);
	g_assert_nonnull(first.last_modified);

	struct lw_fetch_cond cond = { first.etag, first.last_modified };
	g_assert_cmpint(lw_fetch_page(&r, url, NULL, &cond, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(r.status, ==, 304);
	g_assert_nonnull(r.body);
	g_assert_cmpuint(g_bytes_get_size(r.body), ==, 0);
	g_assert_cmpstr(r.etag, ==, first.etag);
	lw_fetch_result_clear(&r);

	g_autoptr(JsonNode) log = requests("/cond");
	JsonObject *req = last_request(log);
	g_assert_cmpstr(request_header(req, "if-none-match"), ==, first.etag);
	g_assert_cmpstr(request_header(req, "if-modified-since"), ==,
	                first.last_modified);

	/* A stale ETag gets the page again. */
	struct lw_fetch_cond stale = { "\"old\"", NULL };
	g_assert_cmpint(lw_fetch_page(&r, url, NULL, &stale, &error), ==, 0);
	g_assert_cmpint(r.status, ==, 200);
	g_assert_cmpstr(body_str(&r), ==, "page v1");
	lw_fetch_result_clear(&r);

	/* Last-Modified alone; "" etag sends no If-None-Match. */
	struct lw_fetch_cond lm = { "", "Tue, 14 Feb 2023 18:31:00 GMT" };
	g_assert_cmpint(lw_fetch_page(&r, url_lm, NULL, &lm, &error), ==, 0);
	g_assert_cmpint(r.status, ==, 304);
	lw_fetch_result_clear(&r);
	g_autoptr(JsonNode) log_lm = requests("/cond-lm");
	g_assert_null(request_header(last_request(log_lm), "if-none-match"));

	/* A stored value with a line break must not inject a header. */
	struct lw_fetch_cond evil = { "\"x\"\r\nX-Evil: 1", NULL };
	g_assert_cmpint(lw_fetch_page(&r, url, NULL, &evil, &error), ==, 0);
	g_assert_cmpint(r.status, ==, 200);
	lw_fetch_result_clear(&r);
	g_autoptr(JsonNode) log2 = requests("/cond");
	g_assert_null(request_header(last_request(log2), "x-evil"));
	g_assert_null(request_header(last_request(log2), "if-none-match"));

	lw_fetch_result_clear(&first);
}

static void test_redirect(void)
{
	g_autofree char *target = url_for("/plain");
	g_autofree char *spec = g_strdup_printf(
		"{\"mode\": \"redirect\", \"location\": \"%s\","
		" \"headers\": {\"ETag\": \"\\\"from-redirect\\\"\", \"Retry-After\": \"5\"}}",
		target);
	route("/plain", "{\"body\": \"landed\", \"content_type\": \"text/plain\"}");
	route("/r1", spec);
	route("/r2", "{\"mode\": \"redirect\", \"status\": 301, \"location\": \"/r1\"}");
	g_autofree char *url = url_for("/r2");
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(r.status, ==, 200);
	g_assert_cmpstr(r.effective_url, ==, target);
	g_assert_cmpstr(body_str(&r), ==, "landed");
	/* Headers are those of the final response only. */
	g_assert_null(r.etag);
	g_assert_cmpint(r.retry_after_s, ==, -1);
	g_assert_cmpstr(r.content_type, ==, "text/plain");
	g_assert_null(r.charset);
	lw_fetch_result_clear(&r);

	/* Two hops with max_redirects 1 is an error. */
	struct lw_fetch_opts opts = LW_FETCH_OPTS_DEFAULT;
	opts.max_redirects = 1;
	g_assert_cmpint(lw_fetch_page(&r, url, &opts, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_FETCH);
	assert_mentions(error, url, "too many redirects (more than 1)");
	g_assert_null(r.body);
	g_clear_error(&error);

	opts.max_redirects = 0;
	g_assert_cmpint(lw_fetch_page(&r, url, &opts, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_FETCH);
	assert_mentions(error, url, "redirects are not allowed");
}

/* A chain of redirects within the limit is followed to its end (one
 * over it is a fault, in the table below). */
static void test_redirect_chain(void)
{
	struct lw_fetch_opts opts = LW_FETCH_OPTS_DEFAULT;
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	opts.max_redirects = 3;
	route("/short", "{\"mode\": \"redirect-loop\", \"limit\": 3, \"body\": \"end\"}");
	g_autofree char *short_url = url_for("/short");
	g_autofree char *end_url = url_for("/short?hop=3");
	g_assert_cmpint(lw_fetch_page(&r, short_url, &opts, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(r.effective_url, ==, end_url);
	g_assert_cmpstr(body_str(&r), ==, "end");
	lw_fetch_result_clear(&r);
}

static void test_redirect_other_scheme(void)
{
	route("/to-file", "{\"mode\": \"redirect-file\"}");
	g_autofree char *ftp = g_strdup_printf(
		"{\"mode\": \"redirect\", \"location\": \"ftp://127.0.0.1:%u/x\"}",
		server_port);
	route("/to-ftp", ftp);
	g_autofree char *url = url_for("/to-file");
	g_autofree char *url_ftp = url_for("/to-ftp");
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_FETCH);
	assert_mentions(error, url, "file:///etc/passwd");
	g_assert_null(r.body);
	g_clear_error(&error);

	g_assert_cmpint(lw_fetch_page(&r, url_ftp, NULL, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_FETCH);
	assert_mentions(error, url_ftp, "ftp://");
	g_clear_error(&error);

	/* Nor may the first url be anything else. */
	g_assert_cmpint(lw_fetch_page(&r, "file:///etc/passwd", NULL, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_FETCH);
	assert_mentions(error, "file:///etc/passwd", "http");
	g_clear_error(&error);
	g_assert_cmpint(lw_fetch_page(&r, "not a url", NULL, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_FETCH);
}

/* Waits until the server has finished the last request to path and
 * returns the bytes of body it managed to send. */
static gint64 bytes_sent(const char *path)
{
	for (int i = 0; i < 100; i++) {
		g_autoptr(JsonNode) log = requests(path);
		JsonObject *req = last_request(log);
		if (json_object_get_boolean_member(req, "done"))
			return json_object_get_int_member(req, "sent");
		g_usleep(50 * 1000);
	}
	g_error("server never finished sending %s", path);
	return -1;
}

/* Exactly at the size cap is fine; a byte over is not. */
static void test_size_cap(void)
{
	struct lw_fetch_opts opts = LW_FETCH_OPTS_DEFAULT;
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	route("/at-cap", "{\"mode\": \"huge\", \"size\": 4096}");
	g_autofree char *at_cap = url_for("/at-cap");
	opts.max_size = 4096;
	g_assert_cmpint(lw_fetch_page(&r, at_cap, &opts, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(g_bytes_get_size(r.body), ==, 4096);
	lw_fetch_result_clear(&r);
	opts.max_size = 4095;
	g_assert_cmpint(lw_fetch_page(&r, at_cap, &opts, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_TOO_BIG);
	assert_mentions(error, at_cap, "body larger than 4095 bytes");
}

static void test_gzip(void)
{
	GString *page = g_string_new("<html><body>");
	for (int i = 0; i < 2000; i++)
		g_string_append_printf(page, "<p>Entry %d: Bakhmut</p>", i);
	g_string_append(page, "</body></html>");
	g_autofree char *spec = g_strdup_printf("{\"mode\": \"gzip\", \"body\": \"%s\"}",
	                                        page->str);
	route("/gz", spec);
	g_autofree char *url = url_for("/gz");
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(r.status, ==, 200);
	g_assert_cmpuint(g_bytes_get_size(r.body), ==, page->len);
	g_assert_cmpstr(body_str(&r), ==, page->str);
	lw_fetch_result_clear(&r);

	/* The cap applies to the decoded size: a small gzip bomb is stopped. */
	struct lw_fetch_opts opts = LW_FETCH_OPTS_DEFAULT;
	opts.max_size = 16 * 1024;
	g_assert_cmpint(lw_fetch_page(&r, url, &opts, NULL, &error), ==, -1);
	g_assert_error(error, LW_ERROR, LW_ERROR_TOO_BIG);
	assert_mentions(error, url, "body larger than 16 KB");
	g_string_free(page, TRUE);
}

static char *http_date(gint64 unix_time)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_time);
	return g_strdup_printf("%s, %02d %s %d %02d:%02d:%02d GMT",
	                       days[g_date_time_get_day_of_week(t) - 1],
	                       g_date_time_get_day_of_month(t),
	                       months[g_date_time_get_month(t) - 1],
	                       g_date_time_get_year(t), g_date_time_get_hour(t),
	                       g_date_time_get_minute(t), g_date_time_get_second(t));
}

static void test_retry_after(void)
{
	g_autofree char *later = http_date(g_get_real_time() / G_USEC_PER_SEC + 300);
	g_autofree char *spec = g_strdup_printf(
		"{\"mode\": \"retry-after\", \"status\": 429, \"retry_after\": \"%s\"}", later);
	route("/busy", "{\"mode\": \"retry-after\", \"retry_after\": \"120\","
	               " \"body\": \"come back later\"}");
	route("/busy-date", spec);
	route("/busy-junk", "{\"mode\": \"retry-after\", \"retry_after\": \"soon\"}");
	route("/busy-past", "{\"mode\": \"retry-after\","
	                    " \"retry_after\": \"Tue, 14 Feb 2023 18:31:00 GMT\"}");
	g_autofree char *url = url_for("/busy");
	g_autofree char *url_date = url_for("/busy-date");
	g_autofree char *url_junk = url_for("/busy-junk");
	g_autofree char *url_past = url_for("/busy-past");
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(r.status, ==, 503);
	g_assert_cmpint(r.retry_after_s, ==, 120);
	g_assert_cmpstr(body_str(&r), ==, "come back later");
	lw_fetch_result_clear(&r);

	g_assert_cmpint(lw_fetch_page(&r, url_date, NULL, NULL, &error), ==, 0);
	g_assert_cmpint(r.status, ==, 429);
	g_assert_cmpint(r.retry_after_s, >=, 290);
	g_assert_cmpint(r.retry_after_s, <=, 300);
	lw_fetch_result_clear(&r);

	g_assert_cmpint(lw_fetch_page(&r, url_junk, NULL, NULL, &error), ==, 0);
	g_assert_cmpint(r.retry_after_s, ==, -1);
	lw_fetch_result_clear(&r);

	g_assert_cmpint(lw_fetch_page(&r, url_past, NULL, NULL, &error), ==, 0);
	g_assert_cmpint(r.retry_after_s, ==, 0);
	lw_fetch_result_clear(&r);
}

static void test_charset(void)
{
	route("/latin1", "{\"mode\": \"bytes\", \"body\": \"caf\\u00e9\","
	                 " \"content_type\": \"text/html;charset=ISO-8859-1\"}");
	route("/quoted", "{\"body\": \"x\","
	                 " \"content_type\": \"text/html; foo=bar; CHARSET = 'Windows-1252' \"}");
	route("/bogus", "{\"body\": \"x\","
	                " \"content_type\": \"text/html; charset=<utf 8>\"}");
	route("/none", "{\"body\": \"x\", \"content_type\": null}");
	g_autofree char *url = url_for("/latin1");
	g_autofree char *url_quoted = url_for("/quoted");
	g_autofree char *url_none = url_for("/none");
	g_autofree char *url_bogus = url_for("/bogus");
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(lw_fetch_page(&r, url, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(body_str(&r), ==, "caf\xe9");
	g_assert_cmpstr(r.charset, ==, "iso-8859-1");
	lw_fetch_result_clear(&r);

	g_assert_cmpint(lw_fetch_page(&r, url_quoted, NULL, NULL, &error), ==, 0);
	g_assert_cmpstr(r.charset, ==, "windows-1252");
	lw_fetch_result_clear(&r);

	g_assert_cmpint(lw_fetch_page(&r, url_bogus, NULL, NULL, &error), ==, 0);
	g_assert_cmpstr(r.content_type, ==, "text/html; charset=<utf 8>");
	g_assert_null(r.charset);
	lw_fetch_result_clear(&r);

	g_assert_cmpint(lw_fetch_page(&r, url_none, NULL, NULL, &error), ==, 0);
	g_assert_null(r.content_type);
	g_assert_null(r.charset);
	lw_fetch_result_clear(&r);
}

/* ---- faults: every way a server can fail a fetch, one row each ---- */

struct fault {
	const char *name;
	const char *route;          /* what the server answers (LiveServer.set's JSON);
	                               NULL: a port that refuses connections */
	struct lw_fetch_opts opts;  /* zero fields: the defaults */
	int code;                   /* LW_ERROR_* */
	const char *says;           /* the message after "cannot fetch 'URL': " */
	int min_s, max_s;           /* it fails after at least / within (0: not timed) */
	guint requests;             /* requests the server saw (0: not checked) */
	bool bounded;               /* a body the server would make huge: it sent under 20 MB */
};

static const struct fault faults[] = {
	{ "stall", "{\"mode\": \"stall\", \"seconds\": 20}",
	  { .connect_timeout_s = 1, .timeout_s = 2 },
	  LW_ERROR_FETCH, "timeout after 2 s", 1, 5 },
	{ "drip", "{\"mode\": \"drip\", \"body\": \"<html>a slow page</html>\", \"interval\": 0.5}",
	  { .timeout_s = 2 }, LW_ERROR_FETCH, "timeout after 2 s", 0, 5 },
	{ "too-slow", "{\"mode\": \"drip\", \"body\": \"<html>a slow page</html>\", \"interval\": 0.5}",
	  { .timeout_s = 20, .low_speed_time_s = 1 },
	  LW_ERROR_FETCH, "too slow: under 64 bytes/s for 1 s", 0, 5 },
	{ "redirect-loop", "{\"mode\": \"redirect-loop\", \"body\": \"end\"}",
	  { .max_redirects = 3 }, LW_ERROR_FETCH, "too many redirects (more than 3)",
	  .requests = 4 },
	{ "huge-headers", "fat-headers", { 0 },
	  LW_ERROR_TOO_BIG, "response headers larger than 256 KB" },
	{ "truncated", "{\"mode\": \"truncate\", \"body\": \"<html>half a pa\"}", { 0 },
	  LW_ERROR_FETCH, "body cut short: connection closed after 15 bytes" },
	{ "close-mid-headers", "{\"mode\": \"close-headers\"}", { 0 },
	  LW_ERROR_FETCH, "connection closed in the middle of the headers" },
	{ "huge-chunked", "{\"mode\": \"huge\"}", { .max_size = 1024 * 1024 },
	  LW_ERROR_TOO_BIG, "body larger than 1 MB", .bounded = true },
	{ "huge-declared", "{\"mode\": \"huge\", \"declare_length\": true}",
	  { .max_size = 1024 * 1024 }, LW_ERROR_TOO_BIG, "body larger than 1 MB", .bounded = true },
	{ "refused", NULL, { 0 }, LW_ERROR_FETCH, "connection refused" },
};

/* 40 headers of 8 KB: past curl's 256 KB of headers. */
static char *fat_headers(void)
{
	GString *spec = g_string_new("{\"body\": \"x\", \"headers\": {");
	g_autofree char *value = g_strnfill(8000, 'h');
	for (int i = 0; i < 40; i++)
		g_string_append_printf(spec, "%s\"X-Filler-%d\": \"%s\"", i ? ", " : "", i, value);
	g_string_append(spec, "}}");
	return g_string_free(spec, FALSE);
}

/* A loopback url nothing listens on: bound, not listening, so a connect
 * is refused (and no other test can take the port meanwhile). */
static char *refusing_url(GSocket **keep)
{
	g_autoptr(GError) error = NULL;
	*keep = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
			     &error);
	g_assert_no_error(error);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_assert_true(g_socket_bind(*keep, any, FALSE, &error));
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(*keep, &error);
	guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return g_strdup_printf("http://127.0.0.1:%u/", port);
}

static void test_fault(gconstpointer data)
{
	const struct fault *f = data;
	g_autoptr(GSocket) keep = NULL;
	g_autofree char *path = g_strconcat("/fault-", f->name, NULL);
	g_autofree char *url = NULL;
	if (f->route) {
		g_autofree char *spec = strcmp(f->route, "fat-headers") ? g_strdup(f->route) :
		                        fat_headers();
		route(path, spec);
		url = url_for(path);
	} else {
		url = refusing_url(&keep);
	}
	struct lw_fetch_opts opts = LW_FETCH_OPTS_DEFAULT;
	if (f->opts.connect_timeout_s)
		opts.connect_timeout_s = f->opts.connect_timeout_s;
	if (f->opts.timeout_s)
		opts.timeout_s = f->opts.timeout_s;
	if (f->opts.low_speed_time_s)
		opts.low_speed_time_s = f->opts.low_speed_time_s;
	if (f->opts.max_redirects)
		opts.max_redirects = f->opts.max_redirects;
	if (f->opts.max_size)
		opts.max_size = f->opts.max_size;
	struct lw_fetch_result r = { 0 };
	g_autoptr(GError) error = NULL;

	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(lw_fetch_page(&r, url, &opts, NULL, &error), ==, -1);
	gint64 elapsed = g_get_monotonic_time() - t0;
	g_assert_error(error, LW_ERROR, f->code);
	g_autofree char *want = g_strdup_printf("cannot fetch '%s': %s", url, f->says);
	g_assert_cmpstr(error->message, ==, want);
	g_assert_null(r.body);
	if (f->min_s)
		g_assert_cmpint(elapsed, >=, f->min_s * G_USEC_PER_SEC);
	if (f->max_s)
		g_assert_cmpint(elapsed, <, f->max_s * G_USEC_PER_SEC);
	if (f->requests) {
		g_autoptr(JsonNode) log = requests(path);
		g_assert_cmpuint(json_array_get_length(json_node_get_array(log)), ==, f->requests);
	}
	if (f->bounded)
		g_assert_cmpint(bytes_sent(path), <, 20 * 1024 * 1024);
}

/* The same setup through curl's multi interface, as the daemon uses it. */
static void test_multi(void)
{
	route("/m1", "{\"body\": \"one\"}");
	route("/m2", "{\"body\": \"two\", \"status\": 503}");
	g_autofree char *u1 = url_for("/m1");
	g_autofree char *u2 = url_for("/m2");
	g_autoptr(GError) error = NULL;
	CURLM *multi = curl_multi_init();
	struct lw_fetch *f1 = lw_fetch_setup(u1, NULL, NULL, &error);
	struct lw_fetch *f2 = lw_fetch_setup(u2, NULL, NULL, &error);
	int running = 0, done = 0, tag = 2;

	g_assert_no_error(error);
	g_assert_true(lw_fetch_from_handle(lw_fetch_handle(f1)) == f1);
	g_assert_cmpstr(lw_fetch_url(f2), ==, u2);
	lw_fetch_set_data(f2, &tag);
	g_assert_true(lw_fetch_get_data(f2) == &tag);
	g_assert_null(lw_fetch_get_data(f1));
	curl_multi_add_handle(multi, lw_fetch_handle(f1));
	curl_multi_add_handle(multi, lw_fetch_handle(f2));
	while (done < 2) {
		CURLMsg *msg;
		int left;
		g_assert_cmpint(curl_multi_perform(multi, &running), ==, CURLM_OK);
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct lw_fetch *f = lw_fetch_from_handle(msg->easy_handle);
			struct lw_fetch_result r = { 0 };
			curl_multi_remove_handle(multi, msg->easy_handle);
			g_assert_cmpint(lw_fetch_finish(f, msg->data.result, &r, &error), ==, 0);
			g_assert_no_error(error);
			if (f == f1) {
				g_assert_cmpint(r.status, ==, 200);
				g_assert_cmpstr(body_str(&r), ==, "one");
			} else {
				g_assert_cmpint(r.status, ==, 503);
				g_assert_cmpstr(body_str(&r), ==, "two");
			}
			lw_fetch_result_clear(&r);
			/* A second finish is refused, not a crash. */
			g_assert_cmpint(lw_fetch_finish(f, CURLE_OK, &r, &error), ==, -1);
			g_clear_error(&error);
			done++;
		}
		if (done < 2)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	lw_fetch_free(f1);
	lw_fetch_free(f2);
	lw_fetch_free(NULL);
	lw_fetch_result_clear(NULL);
	curl_multi_cleanup(multi);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	lw_fetch_global_init();
	lw_fetch_global_init();
	server_start();

	g_test_add_func("/fetch/ok", test_ok);
	g_test_add_func("/fetch/user-agent-option", test_user_agent_option);
	g_test_add_func("/fetch/not-found-is-a-response", test_not_found_is_a_response);
	g_test_add_func("/fetch/conditional", test_conditional);
	g_test_add_func("/fetch/redirect", test_redirect);
	g_test_add_func("/fetch/redirect-chain", test_redirect_chain);
	g_test_add_func("/fetch/redirect-other-scheme", test_redirect_other_scheme);
	g_test_add_func("/fetch/size-cap", test_size_cap);
	g_test_add_func("/fetch/gzip", test_gzip);
	g_test_add_func("/fetch/retry-after", test_retry_after);
	g_test_add_func("/fetch/charset", test_charset);
	g_test_add_func("/fetch/multi", test_multi);
	for (gsize i = 0; i < G_N_ELEMENTS(faults); i++) {
		g_autofree char *name = g_strconcat("/fetch/fault/", faults[i].name, NULL);
		g_test_add_data_func(name, &faults[i], test_fault);
	}

	int ret = g_test_run();
	server_stop();
	curl_global_cleanup();
	return ret;
}
