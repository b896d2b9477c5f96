#include "json-scan.h"

#include <errno.h>
#include <math.h>
#include <string.h>

const char *lw_json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': just past the closing quote, or NULL. */
static const char *string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* ---- strict JSON into a json-glib tree ----
 *
 * json-glib's parser reads a character at a time through a GScanner and
 * cost 130 instructions a byte on a live blog's JSON-LD (840 KB, a
 * quarter of a page's extraction).  Strict JSON (RFC 8259, valid UTF-8)
 * is built here into the same tree json-glib would build (a later
 * duplicate member replaces an earlier one; integers are gint64, other
 * numbers double); anything else returns NULL and is left to json-glib. */

static int hex4(const char *p, const char *end)
{
	if (end - p < 4)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* p at '"': the string decoded into out (replacing it), returns just past
 * the closing quote, or NULL when it is not strict JSON. */
static const char *decode_string(const char *p, const char *end, GString *out)
{
	g_string_truncate(out, 0);
	const char *run = ++p;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			g_string_append_len(out, run, p - run);
			return p + 1;
		}
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		g_string_append_len(out, run, p - run);
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"': case '\\': case '/':
			g_string_append_c(out, *p);
			break;
		case 'b': g_string_append_c(out, '\b'); break;
		case 'f': g_string_append_c(out, '\f'); break;
		case 'n': g_string_append_c(out, '\n'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'u': {
			int u = hex4(p + 1, end);
			if (u <= 0)
				return NULL;  /* \u0000 and bad hex: json-glib's call */
			p += 4;
			gunichar ch = (gunichar)u;
			if (u >= 0xD800 && u <= 0xDBFF) {
				int lo = end - p >= 7 && p[1] == '\\' && p[2] == 'u' ? hex4(p + 3, end) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return NULL;
				ch = 0x10000 + (((gunichar)u - 0xD800) << 10) + ((gunichar)lo - 0xDC00);
				p += 6;
			} else if (u >= 0xDC00 && u <= 0xDFFF) {
				return NULL;
			}
			g_string_append_unichar(out, ch);
			break;
		}
		default:
			return NULL;
		}
		run = p + 1;
	}
	return NULL;
}

struct build {
	GString *buf;      /* scratch for strings */
	guint depth, max_depth;
	bool too_deep;
};

static JsonNode *build_value(const char **pos, const char *end, struct build *b);

static JsonNode *build_object(const char **pos, const char *end, struct build *b)
{
	GString *buf = b->buf;
	const char *p = lw_json_ws(*pos + 1, end);
	JsonObject *o = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, o);
	if (p < end && *p == '}') {
		*pos = p + 1;
		return node;
	}
	for (;;) {
		if (p >= end || *p != '"')
			goto fail;
		p = decode_string(p, end, buf);
		if (!p)
			goto fail;
		g_autofree char *key = g_strndup(buf->str, buf->len);
		if (strlen(key) != buf->len)
			goto fail;
		p = lw_json_ws(p, end);
		if (p >= end || *p != ':')
			goto fail;
		p = lw_json_ws(p + 1, end);
		JsonNode *v = build_value(&p, end, b);
		if (!v)
			goto fail;
		json_object_set_member(o, key, v);
		p = lw_json_ws(p, end);
		if (p < end && *p == ',') {
			p = lw_json_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			*pos = p + 1;
			return node;
		}
		goto fail;
	}
fail:
	json_node_unref(node);
	return NULL;
}

static JsonNode *build_array(const char **pos, const char *end, struct build *b)
{
	const char *p = lw_json_ws(*pos + 1, end);
	JsonArray *a = json_array_new();
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(node, a);
	if (p < end && *p == ']') {
		*pos = p + 1;
		return node;
	}
	for (;;) {
		JsonNode *v = build_value(&p, end, b);
		if (!v)
			goto fail;
		json_array_add_element(a, v);
		p = lw_json_ws(p, end);
		if (p < end && *p == ',') {
			p = lw_json_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']') {
			*pos = p + 1;
			return node;
		}
		goto fail;
	}
fail:
	json_node_unref(node);
	return NULL;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static JsonNode *build_number(const char **pos, const char *end)
{
	const char *p = *pos, *s = p;
	bool frac = false;
	if (p < end && *p == '-')
		p++;
	if (p >= end || !g_ascii_isdigit(*p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && g_ascii_isdigit(*p))
			p++;
	if (p < end && *p == '.') {
		frac = true;
		if (++p >= end || !g_ascii_isdigit(*p))
			return NULL;
		while (p < end && g_ascii_isdigit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		frac = true;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !g_ascii_isdigit(*p))
			return NULL;
		while (p < end && g_ascii_isdigit(*p))
			p++;
	}
	if (p - s > 30)
		return NULL;
	char num[32];
	memcpy(num, s, (gsize)(p - s));
	num[p - s] = '\0';
	JsonNode *n = json_node_alloc();
	if (frac) {
		double v = g_ascii_strtod(num, NULL);
		if (!isfinite(v)) {
			/* "1e400": json-glib's call */
			json_node_unref(n);
			return NULL;
		}
		json_node_init_double(n, v);
	} else {
		errno = 0;
		gint64 v = g_ascii_strtoll(num, NULL, 10);
		if (errno) {
			json_node_unref(n);
			return NULL;
		}
		json_node_init_int(n, v);
	}
	*pos = p;
	return n;
}

static JsonNode *build_value(const char **pos, const char *end, struct build *b)
{
	GString *buf = b->buf;
	const char *p = lw_json_ws(*pos, end);
	*pos = p;
	if (p >= end)
		return NULL;
	switch (*p) {
	case '{':
	case '[': {
		if (++b->depth > b->max_depth) {
			b->too_deep = true;
			return NULL;
		}
		JsonNode *n = *p == '{' ? build_object(pos, end, b) : build_array(pos, end, b);
		b->depth--;
		return n;
	}
	case '"': {
		const char *q = decode_string(p, end, buf);
		if (!q || strlen(buf->str) != buf->len)
			return NULL;
		*pos = q;
		return json_node_init_string(json_node_alloc(), buf->str);
	}
	case 't':
		if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			*pos = p + 4;
			return json_node_init_boolean(json_node_alloc(), TRUE);
		}
		return NULL;
	case 'f':
		if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
			*pos = p + 5;
			return json_node_init_boolean(json_node_alloc(), FALSE);
		}
		return NULL;
	case 'n':
		if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			*pos = p + 4;
			return json_node_init_null(json_node_alloc());
		}
		return NULL;
	default:
		return build_number(pos, end);
	}
}

/* *too_deep is set when the text nests deeper than max_depth (then
 * json-glib is not asked either). */
static JsonNode *build_strict(const char *text, gsize len, guint max_depth, bool *too_deep)
{
	if (!g_utf8_validate_len(text, len, NULL))
		return NULL;
	const char *p = text, *end = text + len;
	struct build b = { g_string_new(NULL), 0, max_depth, false };
	JsonNode *root = build_value(&p, end, &b);
	g_string_free(b.buf, TRUE);
	*too_deep = b.too_deep;
	if (root && lw_json_ws(p, end) != end)
		g_clear_pointer(&root, json_node_unref);
	return root;
}

JsonNode *lw_json_parse_bounded(const char *text, gsize len, guint max_depth,
                                gsize max_bytes)
{
	if (len > max_bytes || len > G_MAXSSIZE)
		return NULL;
	bool too_deep = false;
	JsonNode *root = build_strict(text, len, max_depth, &too_deep);
	if (root || too_deep)
		return root;
	guint depth = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		char c = *p;
		if (c == '"') {
			p = string_end(p, end);
			if (!p)
				break;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return NULL;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
		p++;
	}
	/* anything but strict JSON (raw newlines in strings, "var x = ...",
	 * bad UTF-8): json-glib decides what it makes of it */
	JsonParser *parser = json_parser_new();
	if (json_parser_load_from_data(parser, text, (gssize)len, NULL))
		root = json_parser_steal_root(parser);
	g_object_unref(parser);
	return root;
}

bool lw_json_skip(const char **pos, const char *end)
{
	const char *p = lw_json_ws(*pos, end);
	gsize depth = 0;
	do {
		p = lw_json_ws(p, end);
		if (p >= end)
			return false;
		if (*p == '"') {
			p = string_end(p, end);
			if (!p)
				return false;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
			continue;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return false;
			depth--;
			p++;
		} else if (*p == ',' || *p == ':') {
			if (depth == 0)
				return false;
			p++;
			continue;
		} else {
			/* a number, true, false or null */
			const char *s = p;
			while (p < end && (g_ascii_isalnum(*p) || *p == '-' || *p == '+' || *p == '.'))
				p++;
			if (p == s)
				return false;
		}
	} while (depth > 0);
	*pos = p;
	return true;
}

/* *pos at the opening bracket (the first call), or just past a value:
 * moves to the next value (true), or past the closing bracket (false,
 * *done set). */
static bool next_value(const char **pos, const char *end, char open, char close, bool *done)
{
	const char *p = lw_json_ws(*pos, end);
	*done = false;
	if (p >= end)
		return false;
	if (*p == open) {
		p = lw_json_ws(p + 1, end);
		if (p < end && *p == close) {
			*pos = p + 1;
			*done = true;
			return false;
		}
	} else if (*p == ',') {
		p = lw_json_ws(p + 1, end);
	} else if (*p == close) {
		*pos = p + 1;
		*done = true;
		return false;
	} else {
		return false;
	}
	if (p >= end)
		return false;
	*pos = p;
	return true;
}

bool lw_json_next_member(const char **pos, const char *end, const char **key,
                         gsize *key_len, bool *done)
{
	if (!next_value(pos, end, '{', '}', done))
		return false;
	const char *p = *pos;
	if (*p != '"')
		return false;
	const char *k_end = string_end(p, end);
	if (!k_end)
		return false;
	*key = p + 1;
	*key_len = (gsize)(k_end - p - 2);
	p = lw_json_ws(k_end, end);
	if (p >= end || *p != ':')
		return false;
	*pos = lw_json_ws(p + 1, end);
	return *pos < end;
}

bool lw_json_next_element(const char **pos, const char *end, bool *done)
{
	return next_value(pos, end, '[', ']', done);
}

char *lw_json_string(const char **pos, const char *end)
{
	const char *p = lw_json_ws(*pos, end);
	if (p >= end || *p != '"')
		return NULL;
	const char *s_end = string_end(p, end);
	if (!s_end)
		return NULL;
	*pos = s_end;
	if (!memchr(p, '\\', (gsize)(s_end - p)))
		return g_strndup(p + 1, (gsize)(s_end - p - 2));
	/* escapes: json-glib decodes the one token */
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json_parser_load_from_data(parser, p, s_end - p, NULL))
		return NULL;
	JsonNode *root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_VALUE(root) || json_node_get_value_type(root) != G_TYPE_STRING)
		return NULL;
	return g_strdup(json_node_get_string(root));
}

char *lw_json_find_string(const char *text, const char *key, gsize max_bytes)
{
	g_autofree char *needle = g_strdup_printf("\"%s\"", key);
	const char *q = strstr(text, needle);
	if (!q)
		return NULL;
	q += strlen(needle);
	const char *end = q + strlen(q);
	q = lw_json_ws(q, end);
	if (q >= end || *q != ':')
		return NULL;
	q = lw_json_ws(q + 1, end);
	/* the quotes around the value do not count */
	if ((gsize)(end - q) > max_bytes + 2)
		end = q + max_bytes + 2;
	return lw_json_string(&q, end);
}
