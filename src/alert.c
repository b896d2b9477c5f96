/* Alerts (alert.h): the object, its JSON and its snippet. */
#include "alert.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "error.h"

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
	a->text = g_strdup(empty);
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
	g_free(a->text);
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
	d->stealth = a->stealth;
	d->text = dup_or_empty(a->text);
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
	if (a->stealth) {
		json_builder_set_member_name(b, "stealth");
		json_builder_add_boolean_value(b, TRUE);
	}
	if (a->text && *a->text)
		add_string(b, "text", a->text);
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
	/* optional: only present when they apply */
	JsonNode *st = json_object_get_member(o, "stealth");
	if (st) {
		if (!JSON_NODE_HOLDS_VALUE(st) || json_node_get_value_type(st) != G_TYPE_BOOLEAN) {
			g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "alert json: 'stealth' is not a boolean");
			goto err;
		}
		a->stealth = json_node_get_boolean(st);
	}
	if (json_object_has_member(o, "text") && !get_string(o, "text", &a->text, error))
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
