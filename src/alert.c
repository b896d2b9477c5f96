#include "alert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "error.h"
#include "sink-private.h"

static const char empty[] = "";

struct lw_alert *lw_alert_new(void)
{
	struct lw_alert *a = g_new0(struct lw_alert, 1);
	a->id = g_strdup(empty);
	a->rule = g_strdup(empty);
	a->blog = g_strdup(empty);
	a->entry = g_strdup(empty);
	a->change = g_strdup(empty);
	a->title = g_strdup(empty);
	a->url = g_strdup(empty);
	a->published = g_strdup(empty);
	a->urgency = g_strdup(empty);
	a->matched = g_new0(char *, 1);
	a->snippet = g_strdup(empty);
	a->fetched = g_strdup(empty);
	return a;
}

void lw_alert_free(struct lw_alert *a)
{
	if (!a)
		return;
	g_free(a->id);
	g_free(a->rule);
	g_free(a->blog);
	g_free(a->entry);
	g_free(a->change);
	g_free(a->title);
	g_free(a->url);
	g_free(a->published);
	g_free(a->urgency);
	g_strfreev(a->matched);
	g_free(a->snippet);
	g_free(a->fetched);
	g_free(a);
}

static char *dup_or_empty(const char *s)
{
	return g_strdup(s ? s : empty);
}

struct lw_alert *lw_alert_dup(const struct lw_alert *a)
{
	struct lw_alert *d = g_new0(struct lw_alert, 1);
	d->id = dup_or_empty(a->id);
	d->rule = dup_or_empty(a->rule);
	d->blog = dup_or_empty(a->blog);
	d->entry = dup_or_empty(a->entry);
	d->change = dup_or_empty(a->change);
	d->title = dup_or_empty(a->title);
	d->url = dup_or_empty(a->url);
	d->published = dup_or_empty(a->published);
	d->urgency = dup_or_empty(a->urgency);
	d->matched = a->matched ? g_strdupv(a->matched) : g_new0(char *, 1);
	d->snippet = dup_or_empty(a->snippet);
	d->fetched = dup_or_empty(a->fetched);
	return d;
}

/* The string fields in DESIGN.md order; "matched" goes after "urgency". */
#define ALERT_FIELDS(X) \
	X(rule) X(blog) X(entry) X(change) X(title) X(url) X(published) X(urgency)

static void add_string(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, value ? value : empty);
}

/* The JSON of a; without "id" when id is NULL. */
static char *alert_json(const struct lw_alert *a, const char *id)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	if (id)
		add_string(b, "id", id);
#define X(f) add_string(b, #f, a->f);
	ALERT_FIELDS(X)
#undef X
	json_builder_set_member_name(b, "matched");
	json_builder_begin_array(b);
	for (char **m = a->matched; m && *m; m++)
		json_builder_add_string_value(b, *m);
	json_builder_end_array(b);
	add_string(b, "snippet", a->snippet);
	add_string(b, "fetched", a->fetched);
	json_builder_end_object(b);

	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autoptr(JsonGenerator) gen = json_generator_new();
	json_generator_set_pretty(gen, FALSE);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

void lw_alert_set_id(struct lw_alert *a, const char *version)
{
	g_free(a->id);
	a->id = g_strdup_printf("%s/%s/%s/%s", a->blog ? a->blog : empty,
				a->entry ? a->entry : empty, a->rule ? a->rule : empty,
				version ? version : empty);
}

char *lw_alert_id(const struct lw_alert *a)
{
	if (a->id && *a->id)
		return g_strdup(a->id);
	/* Every field but the id goes into the hash: the same alert read
	 * twice gets the same id, two alerts of one entry and rule (an edit
	 * that fired again, "unreachable" then "recovered") different ones. */
	g_autofree char *json = alert_json(a, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, json, -1);
	return g_strdup_printf("%s/%s/%s/%.12s", a->blog ? a->blog : empty,
			       a->entry ? a->entry : empty, a->rule ? a->rule : empty, sum);
}

char *lw_alert_to_json(const struct lw_alert *a)
{
	g_autofree char *id = lw_alert_id(a);
	return alert_json(a, id);
}

static bool get_string(JsonObject *o, const char *key, char **out, GError **error)
{
	JsonNode *n = json_object_get_member(o, key);
	if (!n) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: missing '%s'", key);
		return false;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: '%s' is not a string", key);
		return false;
	}
	g_free(*out);
	*out = g_strdup(json_node_get_string(n));
	return true;
}

static bool get_matched(JsonObject *o, char ***out, GError **error)
{
	JsonNode *n = json_object_get_member(o, "matched");
	if (!n) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: missing 'matched'");
		return false;
	}
	if (!JSON_NODE_HOLDS_ARRAY(n))
		goto bad;
	JsonArray *arr = json_node_get_array(n);
	guint len = json_array_get_length(arr);
	for (guint i = 0; i < len; i++) {
		JsonNode *e = json_array_get_element(arr, i);
		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
			goto bad;
	}
	char **v = g_new0(char *, len + 1);
	for (guint i = 0; i < len; i++)
		v[i] = g_strdup(json_array_get_string_element(arr, i));
	g_strfreev(*out);
	*out = v;
	return true;
bad:
	g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: 'matched' is not an array of strings");
	return false;
}

struct lw_alert *lw_alert_from_json(const char *json, GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) jerr = NULL;
	if (!json_parser_load_from_data(p, json, -1, &jerr)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: %s", jerr->message);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: not an object");
		return NULL;
	}
	JsonObject *o = json_node_get_object(root);
	struct lw_alert *a = lw_alert_new();
	bool has_id = json_object_has_member(o, "id");
	if (has_id && !get_string(o, "id", &a->id, error))
		goto err;
	if (has_id && !*a->id) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: 'id' is empty");
		goto err;
	}
#define X(f) if (!get_string(o, #f, &a->f, error)) goto err;
	ALERT_FIELDS(X)
#undef X
	if (!get_matched(o, &a->matched, error))
		goto err;
	if (!get_string(o, "snippet", &a->snippet, error))
		goto err;
	if (!get_string(o, "fetched", &a->fetched, error))
		goto err;
	/* a line from before ids existed */
	if (!has_id) {
		char *id = lw_alert_id(a);
		g_free(a->id);
		a->id = id;
	}
	return a;
err:
	lw_alert_free(a);
	return NULL;
}

/* ---- snippets ---- */

/* text with every run of whitespace made one space, trimmed, invalid
 * bytes replaced, and the "- " / "> " that mark list items and quotes at
 * the start of a body line dropped (a snippet is one line of prose);
 * *hs and *he (byte offsets into text, on character starts) are mapped to
 * offsets into the result. */
static GString *normalize(const char *text, gsize tlen, gsize *hs, gsize *he)
{
	GString *n = g_string_sized_new(tlen);
	gsize s = *hs, e = *he;
	bool space = false, line_start = true;
	const char *p = text, *end = text + tlen;
	while (p <= end) {
		gsize at = (gsize)(p - text);
		/* A pending space is written before the hit start only when
		 * the hit does not start the text; it belongs to the context. */
		if (at == s)
			*hs = n->len + (space && n->len > 0 ? 1 : 0);
		if (at == e)
			*he = n->len;
		if (p == end)
			break;
		gunichar c = g_utf8_get_char_validated(p, end - p);
		gsize step;
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			c = 0xFFFD;
			step = 1;
		} else {
			step = (gsize)(g_utf8_next_char(p) - p);
		}
		bool marker = line_start && (c == '-' || c == '>') && p + 1 < end && p[1] == ' ' &&
		              at != s;
		if (c == '\n')
			line_start = true;
		else if (!g_unichar_isspace(c))
			line_start = false;
		if (g_unichar_isspace(c) || c == 0 || marker) {
			space = true;
		} else {
			if (space && n->len > 0)
				g_string_append_c(n, ' ');
			space = false;
			g_string_append_unichar(n, c);
		}
		p += step;
	}
	/* a hit made only of whitespace, or one ending in it */
	if (*hs > n->len)
		*hs = n->len;
	if (*he > n->len)
		*he = n->len;
	if (*he < *hs)
		*he = *hs;
	while (*hs < *he && n->str[*hs] == ' ')
		(*hs)++;
	while (*he > *hs && n->str[*he - 1] == ' ')
		(*he)--;
	return n;
}

char *lw_alert_snippet(const char *text, gsize off, gsize len, guint width)
{
	if (!text)
		text = empty;
	gsize tlen = strlen(text);
	gsize hs = MIN(off, tlen);
	gsize he = len > tlen - hs ? tlen : hs + len;
	while (hs > 0 && (text[hs] & 0xC0) == 0x80)
		hs--;
	while (he < tlen && (text[he] & 0xC0) == 0x80)
		he++;

	g_autoptr(GString) n = normalize(text, tlen, &hs, &he);
	const char *s = n->str;
	gsize nlen = n->len;

	glong hit_chars = g_utf8_strlen(s + hs, (gssize)(he - hs));
	bool hit_cut = false;
	if (width > 0 && hit_chars > (glong)width) {
		he = (gsize)(g_utf8_offset_to_pointer(s + hs, width) - s);
		hit_cut = true;
		hit_chars = width;
	}
	glong budget = (glong)width > hit_chars ? (glong)width - hit_chars : 0;
	glong before_avail = g_utf8_strlen(s, (gssize)hs);
	glong after_avail = g_utf8_strlen(s + he, (gssize)(nlen - he));
	glong before = budget / 2, after = budget - before;
	if (before > before_avail) {
		after += before - before_avail;
		before = before_avail;
	}
	if (after > after_avail) {
		before = MIN(before_avail, before + (after - after_avail));
		after = after_avail;
	}

	gsize cs = (gsize)(g_utf8_offset_to_pointer(s + hs, -before) - s);
	if (cs > 0 && s[cs - 1] != ' ') {
		/* mid-word: drop the partial word */
		while (cs < hs && s[cs] != ' ')
			cs++;
	}
	while (cs < hs && s[cs] == ' ')
		cs++;
	gsize ce = (gsize)(g_utf8_offset_to_pointer(s + he, after) - s);
	if (ce < nlen && s[ce] != ' ') {
		while (ce > he && s[ce - 1] != ' ')
			ce--;
	}
	while (ce > he && s[ce - 1] == ' ')
		ce--;
	if (hit_cut) {
		/* the rest of a cut hit is not context */
		ce = he;
	}

	GString *out = g_string_sized_new(ce - cs + 16);
	if (cs > 0)
		g_string_append(out, "…");
	g_string_append_len(out, s + cs, (gssize)(hs - cs));
	if (he > hs || hit_cut) {
		g_string_append(out, "«");
		g_string_append_len(out, s + hs, (gssize)(he - hs));
		if (hit_cut)
			g_string_append(out, "…");
		g_string_append(out, "»");
	}
	g_string_append_len(out, s + he, (gssize)(ce - he));
	if (ce < nlen && !hit_cut)
		g_string_append(out, "…");
	return g_string_free(out, FALSE);
}

/* ---- sinks ---- */

static const struct lw_sink_ops *const sink_types[] = {
	&lw_sink_desktop_ops,
	&lw_sink_exec_ops,
	&lw_sink_file_ops,
	&lw_sink_webhook_ops,
};

const char *lw_sink_cfg_get(const struct lw_sink_config *cfg, const char *key)
{
	if (!cfg || !cfg->sec.keys)
		return NULL;
	return g_hash_table_lookup(cfg->sec.keys, key);
}

static int cfg_line(const struct lw_sink_config *cfg, const char *key)
{
	if (key && cfg->sec.lines && g_hash_table_contains(cfg->sec.lines, key))
		return GPOINTER_TO_INT(g_hash_table_lookup(cfg->sec.lines, key));
	return cfg->sec.line;
}

void lw_sink_cfg_error(GError **error, const struct lw_sink_config *cfg, const char *key,
		       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!cfg) {
		g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "sink 'desktop': %s", msg);
		return;
	}
	g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "%s:%d: sink '%s': %s",
		    cfg->sec.file ? cfg->sec.file : "(config)", cfg_line(cfg, key),
		    cfg->sec.name ? cfg->sec.name : "", msg);
}

long lw_sink_parse_seconds(const char *s)
{
	if (!s || !g_ascii_isdigit(*s))
		return -1;
	char *end;
	errno = 0;
	guint64 v = g_ascii_strtoull(s, &end, 10);
	if (errno || v > 1000000)
		return -1;
	if (*end == 's' && !end[1])
		return (long)v;
	if (*end == 'm' && !end[1])
		return (long)v * 60;
	return *end ? -1 : (long)v;
}

int lw_sink_cfg_seconds(const struct lw_sink_config *cfg, const char *key, long min, long max,
			long *out, GError **error)
{
	const char *v = lw_sink_cfg_get(cfg, key);
	if (!v)
		return 0;
	long t = lw_sink_parse_seconds(v);
	if (t < min || t > max) {
		lw_sink_cfg_error(error, cfg, key, "bad %s '%s' (seconds, %ld to %ld)", key, v, min, max);
		return -1;
	}
	*out = t;
	return 0;
}

int lw_sink_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (gsize i = 0; s && i < G_N_ELEMENTS(yes); i++) {
		if (!g_ascii_strcasecmp(s, yes[i]))
			return 1;
		if (!g_ascii_strcasecmp(s, no[i]))
			return 0;
	}
	return -1;
}

static char *type_list(void)
{
	GString *s = g_string_new(NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(sink_types); i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", sink_types[i]->type);
	return g_string_free(s, FALSE);
}

static bool key_known(const struct lw_sink_ops *ops, const char *key)
{
	if (!strcmp(key, "type"))
		return true;
	for (const char *const *k = ops->keys; *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

static struct lw_sink *sink_create(const struct lw_sink_ops *ops, const char *name,
				   const struct lw_sink_config *cfg, GError **error)
{
	struct lw_sink *s = g_new0(struct lw_sink, 1);
	s->name = g_strdup(name);
	s->ops = ops;
	if (ops->setup(s, cfg, error) < 0) {
		lw_sink_free(s);
		return NULL;
	}
	return s;
}

struct lw_sink *lw_sink_new(const struct lw_sink_config *cfg, GError **error)
{
	g_autofree char *types = type_list();
	const char *type = cfg->type ? cfg->type : lw_sink_cfg_get(cfg, "type");
	if (!type || !*type) {
		lw_sink_cfg_error(error, cfg, "type", "no type (one of: %s)", types);
		return NULL;
	}
	const struct lw_sink_ops *ops = NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(sink_types); i++)
		if (!strcmp(sink_types[i]->type, type))
			ops = sink_types[i];
	if (!ops) {
		lw_sink_cfg_error(error, cfg, "type", "unknown type '%s' (one of: %s)", type, types);
		return NULL;
	}

	if (cfg->sec.keys) {
		/* Report the first unknown key in file order, not hash order. */
		const char *bad = NULL;
		int bad_line = G_MAXINT;
		GHashTableIter it;
		gpointer k;
		g_hash_table_iter_init(&it, cfg->sec.keys);
		while (g_hash_table_iter_next(&it, &k, NULL)) {
			if (key_known(ops, k))
				continue;
			int line = cfg_line(cfg, k);
			if (!bad || line < bad_line ||
			    (line == bad_line && strcmp(k, bad) < 0)) {
				bad = k;
				bad_line = line;
			}
		}
		if (bad) {
			GString *keys = g_string_new(NULL);
			for (const char *const *kk = ops->keys; *kk; kk++)
				g_string_append_printf(keys, "%s%s", keys->len ? ", " : "", *kk);
			lw_sink_cfg_error(error, cfg, bad, "unknown key '%s' for type %s (keys: %s)",
					  bad, ops->type, keys->str);
			g_string_free(keys, TRUE);
			return NULL;
		}
	}
	return sink_create(ops, cfg->sec.name ? cfg->sec.name : "", cfg, error);
}

struct lw_sink *lw_sink_new_default_desktop(void)
{
	/* Cannot fail: the implicit sink has no keys to get wrong. */
	return sink_create(&lw_sink_desktop_ops, "desktop", NULL, NULL);
}

void lw_sink_free(struct lw_sink *s)
{
	if (!s)
		return;
	if (s->priv && s->ops->free_priv)
		s->ops->free_priv(s->priv);
	g_clear_object(&s->cancel);
	g_free(s->name);
	g_free(s);
}

const char *lw_sink_name(const struct lw_sink *s)
{
	return s->name;
}

const char *lw_sink_type(const struct lw_sink *s)
{
	return s->ops->type;
}

void lw_sink_set_cancellable(struct lw_sink *s, GCancellable *cancel)
{
	if (cancel)
		g_object_ref(cancel);
	g_clear_object(&s->cancel);
	s->cancel = cancel;
}

int lw_sink_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	s->retry_after = 0;
	s->timed_out = false;
	if (g_cancellable_set_error_if_cancelled(s->cancel, error))
		return -1;
	int rc = s->ops->deliver(s, a, error);
	/* it works again: what it kept need not wait for its retry time */
	if (rc == 0 && s->ops->retry) {
		s->retry_at = 0;
		s->retry_delay = 0;
	}
	if (rc == 0)
		s->holding = false;
	else if (s->timed_out && s->ops->retry)
		s->holding = true;
	return rc;
}

void lw_sink_begin_batch(struct lw_sink *s)
{
	if (s->in_batch)
		return;
	s->in_batch = true;
	if (s->ops->begin_batch)
		s->ops->begin_batch(s);
}

int lw_sink_end_batch(struct lw_sink *s, GError **error)
{
	if (!s->in_batch)
		return 0;
	s->in_batch = false;
	if (s->ops->end_batch)
		return s->ops->end_batch(s, error);
	return 0;
}

/* ---- the outbox ---- */

/* One process may append (the poll) while another thread removes (the
 * daemon's deliveries): every outbox operation holds this lock.  Other
 * processes are kept out by the repository's lock. */
static GMutex outbox_lock;

static void set_errno_error(GError **error, int err, const char *what, const char *path)
{
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot %s '%s': %s", what, path,
		    g_strerror(err));
}

/* Writes all of buf to fd with O_APPEND already set; retries short writes
 * (signals), which cannot interleave with our own other writers. */
static int write_all(int fd, const char *buf, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (gsize)n;
	}
	return 0;
}

static void fsync_dir(const char *dir)
{
	/* Makes a created or renamed name durable; best effort (some file
	 * systems refuse fsync on directories). */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int append_file(const char *path, const char *dir, const char *buf, gsize len,
		       GError **error)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_errno_error(error, errno, "open", path);
		return -1;
	}
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		int err = errno;
		close(fd);
		set_errno_error(error, err, "write", path);
		return -1;
	}
	if (close(fd) < 0) {
		set_errno_error(error, errno, "write", path);
		return -1;
	}
	fsync_dir(dir);
	return 0;
}

int lw_outbox_append(const char *state_dir, GPtrArray *alerts, GError **error)
{
	if (!alerts || alerts->len == 0)
		return 0;
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *path = g_build_filename(state_dir, "outbox.jsonl", NULL);
	g_autoptr(GString) buf = g_string_new(NULL);
	for (guint i = 0; i < alerts->len; i++) {
		g_autofree char *line = lw_alert_to_json(g_ptr_array_index(alerts, i));
		g_string_append(buf, line);
		g_string_append_c(buf, '\n');
	}
	return append_file(path, state_dir, buf->str, buf->len, error);
}

/* Reads path (missing: *out = NULL, returns 0), capped. */
static int read_capped(const char *path, char **out, gsize *len, GError **error)
{
	*out = NULL;
	*len = 0;
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		set_errno_error(error, errno, "read", path);
		return -1;
	}
	if (st.st_size > (off_t)LW_OUTBOX_MAX_BYTES) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG,
			    "outbox '%s' is larger than %u MB; left as it is", path,
			    LW_OUTBOX_MAX_BYTES >> 20);
		return -1;
	}
	g_autoptr(GError) gerr = NULL;
	if (!g_file_get_contents(path, out, len, &gerr)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s", gerr->message);
		return -1;
	}
	return 0;
}

static void parse_lines(const char *path, const char *data, gsize len, GPtrArray *alerts,
			GString *rejected, GPtrArray *warnings)
{
	const char *p = data, *end = data + len;
	int lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *eol = nl ? nl : end;
		const char *start = p;
		gsize n = (gsize)(eol - p);
		lineno++;
		g_autofree char *line = g_strndup(p, n);
		p = nl ? nl + 1 : end;
		if (n == 0 || strspn(line, " \t\r") == n)
			continue;
		g_autoptr(GError) err = NULL;
		struct lw_alert *a = NULL;
		if (n > LW_OUTBOX_MAX_LINE || strlen(line) != n)
			g_set_error(&err, LW_ERROR, LW_ERROR_TOO_BIG, "line too long or binary");
		else
			a = lw_alert_from_json(line, &err);
		if (a) {
			g_ptr_array_add(alerts, a);
			continue;
		}
		g_string_append_len(rejected, start, (gssize)n);
		g_string_append_c(rejected, '\n');
		const char *msg = err->message;
		if (g_str_has_prefix(msg, "alert json: "))
			msg += strlen("alert json: ");
		g_ptr_array_add(warnings, g_strdup_printf("%s:%d: %s; moved to outbox.rejected",
							  path, lineno, msg));
	}
}

GPtrArray *lw_outbox_claim(const char *state_dir, char ***warnings, GError **error)
{
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *path = g_build_filename(state_dir, "outbox.jsonl", NULL);
	g_autofree char *taking = g_build_filename(state_dir, "outbox.taking", NULL);
	g_autofree char *rejected_path = g_build_filename(state_dir, "outbox.rejected", NULL);

	/* Move the outbox aside.  A .taking left by a crashed take is kept
	 * and the outbox appended to it, so neither is lost; the worst a crash
	 * here does is return some alerts twice. */
	bool merged = g_file_test(taking, G_FILE_TEST_EXISTS);
	if (merged) {
		g_autofree char *data = NULL;
		gsize len;
		if (read_capped(path, &data, &len, error) < 0)
			return NULL;
		if (data) {
			if (len > 0 && append_file(taking, state_dir, data, len, error) < 0)
				return NULL;
			if (unlink(path) < 0 && errno != ENOENT) {
				set_errno_error(error, errno, "remove", path);
				return NULL;
			}
		}
	} else if (rename(path, taking) < 0) {
		if (errno != ENOENT) {
			set_errno_error(error, errno, "rename", path);
			return NULL;
		}
	} else {
		fsync_dir(state_dir);
	}

	g_autofree char *data = NULL;
	gsize len;
	if (read_capped(taking, &data, &len, error) < 0)
		return NULL;

	GPtrArray *alerts = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	g_autoptr(GString) rejected = g_string_new(NULL);
	g_autoptr(GPtrArray) warn = g_ptr_array_new_with_free_func(g_free);
	if (data)
		parse_lines(merged ? taking : path, data, len, alerts, rejected, warn);
	if (rejected->len > 0 &&
	    append_file(rejected_path, state_dir, rejected->str, rejected->len, error) < 0) {
		g_ptr_array_unref(alerts);
		return NULL;
	}
	if (warnings) {
		*warnings = NULL;
		if (warn->len > 0) {
			g_ptr_array_add(warn, NULL);
			*warnings = (char **)g_ptr_array_free(g_steal_pointer(&warn), FALSE);
		}
	}
	return alerts;
}

int lw_outbox_done(const char *state_dir, GError **error)
{
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *taking = g_build_filename(state_dir, "outbox.taking", NULL);
	if (unlink(taking) < 0 && errno != ENOENT) {
		set_errno_error(error, errno, "remove", taking);
		return -1;
	}
	fsync_dir(state_dir);
	return 0;
}

int lw_outbox_remove(const char *state_dir, GPtrArray *alerts, GError **error)
{
	if (!alerts || alerts->len == 0)
		return 0;
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *path = g_build_filename(state_dir, "outbox.jsonl", NULL);
	g_autofree char *data = NULL;
	gsize len;
	if (read_capped(path, &data, &len, error) < 0)
		return -1;
	if (!data)
		return 0;

	/* line -> how many copies of it to remove */
	g_autoptr(GHashTable) gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < alerts->len; i++) {
		char *line = lw_alert_to_json(alerts->pdata[i]);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(gone, line));
		g_hash_table_replace(gone, line, GUINT_TO_POINTER(n + 1));
	}
	g_autoptr(GString) rest = g_string_sized_new(len);
	gboolean changed = FALSE;
	for (const char *p = data, *end = data + len; p < end;) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *eol = nl ? nl : end;
		g_autofree char *line = g_strndup(p, (gsize)(eol - p));
		gpointer key, count;
		if (g_hash_table_lookup_extended(gone, line, &key, &count)) {
			guint n = GPOINTER_TO_UINT(count);
			if (n > 1)
				g_hash_table_insert(gone, g_strdup(line), GUINT_TO_POINTER(n - 1));
			else
				g_hash_table_remove(gone, line);
			changed = TRUE;
		} else {
			/* other alerts, and lines we cannot read: kept verbatim */
			g_string_append_len(rest, p, (gssize)(eol - p));
			g_string_append_c(rest, '\n');
		}
		p = nl ? nl + 1 : end;
	}
	if (!changed)
		return 0;
	if (rest->len == 0) {
		if (unlink(path) < 0 && errno != ENOENT) {
			set_errno_error(error, errno, "remove", path);
			return -1;
		}
		fsync_dir(state_dir);
		return 0;
	}
	/* the rest replaces the outbox in one rename: a crash leaves the old
	 * outbox or the new one, never a torn one */
	g_autofree char *tmp = g_build_filename(state_dir, "outbox.jsonl.new", NULL);
	if (unlink(tmp) < 0 && errno != ENOENT) {
		set_errno_error(error, errno, "remove", tmp);
		return -1;
	}
	if (append_file(tmp, state_dir, rest->str, rest->len, error) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		set_errno_error(error, errno, "rename", tmp);
		unlink(tmp);
		return -1;
	}
	fsync_dir(state_dir);
	return 0;
}

GPtrArray *lw_outbox_take(const char *state_dir, GError **error)
{
	GPtrArray *alerts = lw_outbox_claim(state_dir, NULL, error);
	if (!alerts)
		return NULL;
	if (lw_outbox_done(state_dir, error) < 0) {
		g_ptr_array_unref(alerts);
		return NULL;
	}
	return alerts;
}

/* ---- retrying ---- */

bool lw_sink_retries(const struct lw_sink *s)
{
	return s->ops->retry;
}

gint64 lw_sink_retry_at(const struct lw_sink *s)
{
	return s->retry_at;
}

/* <state_dir>/retry/<name>, the name's bytes outside [A-Za-z0-9_-] as %XX
 * (a sink's name is free text; its folder must stay one file name). */
static char *retry_dir(const struct lw_sink *s, const char *state_dir)
{
	g_autoptr(GString) n = g_string_new(NULL);
	for (const char *c = s->name; *c; c++) {
		if (g_ascii_isalnum(*c) || *c == '_' || *c == '-')
			g_string_append_c(n, *c);
		else
			g_string_append_printf(n, "%%%02X", (guchar)*c);
	}
	if (n->len == 0)
		g_string_append(n, "%");
	return g_build_filename(state_dir, "retry", n->str, NULL);
}

bool lw_sink_holding(const struct lw_sink *s, gint64 now)
{
	return s->holding && now < s->retry_at;
}

int lw_sink_hold(struct lw_sink *s, const char *state_dir, const struct lw_alert *a,
                 GError **error)
{
	g_autofree char *dir = retry_dir(s, state_dir);
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		set_errno_error(error, errno, "create", dir);
		return -1;
	}
	g_autoptr(GPtrArray) one = g_ptr_array_new();
	g_ptr_array_add(one, (gpointer)a);
	return lw_outbox_append(dir, one, error);
}

int lw_sink_keep(struct lw_sink *s, const char *state_dir, const struct lw_alert *a,
                 gint64 now, GError **error)
{
	if (lw_sink_hold(s, state_dir, a, error) < 0)
		return -1;
	gint64 wait = MAX(MAX(LW_SINK_RETRY_MIN, s->retry_delay), s->retry_after);
	s->retry_after = 0;
	if (s->retry_at < now + wait)
		s->retry_at = now + wait;
	return 0;
}

static gint64 fetched_at(const struct lw_alert *a)
{
	g_autoptr(GDateTime) t = a->fetched && *a->fetched ?
				 g_date_time_new_from_iso8601(a->fetched, NULL) : NULL;
	return t ? g_date_time_to_unix(t) : 0;
}

int lw_sink_retry(struct lw_sink *s, const char *state_dir, gint64 now, GPtrArray *errors)
{
	if (!s->ops->retry || now < s->retry_at)
		return 0;
	g_autofree char *dir = retry_dir(s, state_dir);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		return 0;
	GError *err = NULL;
	char **warnings = NULL;
	g_autoptr(GPtrArray) kept = lw_outbox_claim(dir, &warnings, &err);
	for (char **w = warnings; w && *w; w++)
		g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, *w));
	g_strfreev(warnings);
	if (!kept) {
		g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
		g_error_free(err);
		s->retry_at = now + LW_SINK_RETRY_MAX;
		return 0;
	}
	if (kept->len == 0) {
		lw_outbox_done(dir, NULL);
		return 0;
	}
	g_autoptr(GPtrArray) again = g_ptr_array_new();
	g_autofree char *why = NULL;
	int delivered = 0;
	guint dropped = 0;
	bool cancelled = false;
	for (guint i = 0; i < kept->len; i++) {
		const struct lw_alert *a = kept->pdata[i];
		if (cancelled) {
			g_ptr_array_add(again, (gpointer)a);
			continue;
		}
		if (lw_sink_deliver(s, a, &err) == 0) {
			delivered++;
			continue;
		}
		if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			/* stopping: the rest stays as it was, due as it was */
			cancelled = true;
			g_clear_error(&err);
			g_ptr_array_add(again, (gpointer)a);
			continue;
		}
		if (!why)
			why = g_strdup(err->message);
		g_clear_error(&err);
		if (now - fetched_at(a) > LW_SINK_RETRY_FOR)
			dropped++;
		else
			g_ptr_array_add(again, (gpointer)a);
	}
	if (dropped)
		g_ptr_array_add(errors, g_strdup_printf(
			"sink '%s': gave up on %u alert%s fetched more than %d h ago", s->name,
			dropped, dropped == 1 ? "" : "s", LW_SINK_RETRY_FOR / 3600));
	if (again->len == 0) {
		s->retry_delay = 0;
	} else if (cancelled && !why) {
		if (lw_outbox_append(dir, again, &err) < 0) {
			g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
			g_error_free(err);
			return delivered;
		}
	} else {
		s->retry_delay = s->retry_delay ? MIN(s->retry_delay * 2, LW_SINK_RETRY_MAX) :
				 LW_SINK_RETRY_MIN;
		s->retry_delay = MAX(s->retry_delay, s->retry_after);
		s->retry_after = 0;
		s->retry_at = now + s->retry_delay;
		if (lw_outbox_append(dir, again, &err) < 0) {
			/* .taking stays: the next claim takes them back */
			g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
			g_error_free(err);
			return delivered;
		}
		g_ptr_array_add(errors, g_strdup_printf(
			"%s; %u alert%s kept, next try in %ld s", why, again->len,
			again->len == 1 ? "" : "s", s->retry_delay));
	}
	if (lw_outbox_done(dir, &err) < 0) {
		g_ptr_array_add(errors, g_strdup_printf("sink '%s': %s", s->name, err->message));
		g_error_free(err);
	}
	return delivered;
}
