#include "json-scan.h"
#include "charset.h"

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

/* ---- the arena tree ---- */

struct lw_jtree {
	GPtrArray *blocks;
	char *cur;
	gsize left;
	struct lw_jv root;
};

#define ARENA_BLOCK (64 * 1024)

static void *arena_alloc(struct lw_jtree *t, gsize size)
{
	size = (size + 7) & ~(gsize)7;
	if (size > t->left) {
		gsize bs = MAX(size, ARENA_BLOCK);
		char *block = g_malloc(bs);
		g_ptr_array_add(t->blocks, block);
		t->cur = block;
		t->left = bs;
	}
	void *r = t->cur;
	t->cur += size;
	t->left -= size;
	return r;
}

static const char *arena_str(struct lw_jtree *t, const char *s, gsize len)
{
	char *d = arena_alloc(t, len + 1);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

struct build {
	struct lw_jtree *t;
	GString *buf;      /* scratch for strings */
	GPtrArray *levels; /* GArray * of children per depth, reused */
	guint depth, max_depth;
	bool too_deep;
};

static GArray *level(struct build *b, gsize elem)
{
	while (b->levels->len <= b->depth)
		g_ptr_array_add(b->levels, NULL);
	GArray **a = (GArray **)&b->levels->pdata[b->depth];
	if (*a && g_array_get_element_size(*a) != elem)
		g_clear_pointer(a, g_array_unref);
	if (!*a)
		*a = g_array_new(FALSE, FALSE, (guint)elem);
	g_array_set_size(*a, 0);
	return *a;
}

static bool build_value(const char **pos, const char *end, struct build *b, struct lw_jv *out);

/* A key given twice keeps its first place and takes the last value. */
static guint dedupe(struct lw_jmember *m, guint n)
{
	if (n < 2)
		return n;
	g_autoptr(GHashTable) at = n > 16 ? g_hash_table_new(g_str_hash, g_str_equal) : NULL;
	guint kept = 0;
	for (guint i = 0; i < n; i++) {
		gint found = -1;
		if (at) {
			gpointer v;
			if (g_hash_table_lookup_extended(at, m[i].key, NULL, &v))
				found = GPOINTER_TO_INT(v);
		} else {
			for (guint k = 0; k < kept && found < 0; k++)
				if (strcmp(m[k].key, m[i].key) == 0)
					found = (gint)k;
		}
		if (found >= 0) {
			m[found].val = m[i].val;
			continue;
		}
		m[kept] = m[i];
		if (at)
			g_hash_table_insert(at, (gpointer)m[kept].key, GINT_TO_POINTER(kept));
		kept++;
	}
	return kept;
}

static bool build_object(const char **pos, const char *end, struct build *b, struct lw_jv *out)
{
	const char *p = lw_json_ws(*pos + 1, end);
	GArray *ms = level(b, sizeof(struct lw_jmember));
	if (p < end && *p == '}')
		goto done;
	for (;;) {
		if (p >= end || *p != '"')
			return false;
		p = decode_string(p, end, b->buf);
		if (!p || strlen(b->buf->str) != b->buf->len)
			return false;
		struct lw_jmember m = { arena_str(b->t, b->buf->str, b->buf->len), { 0 } };
		p = lw_json_ws(p, end);
		if (p >= end || *p != ':')
			return false;
		p = lw_json_ws(p + 1, end);
		if (!build_value(&p, end, b, &m.val))
			return false;
		/* the children's level may have moved the array: look it up again */
		ms = b->levels->pdata[b->depth];
		g_array_append_val(ms, m);
		p = lw_json_ws(p, end);
		if (p < end && *p == ',') {
			p = lw_json_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		return false;
	}
done:
	ms = b->levels->pdata[b->depth];
	out->type = LW_J_OBJECT;
	out->n = dedupe((struct lw_jmember *)(void *)ms->data, ms->len);
	struct lw_jmember *copy = arena_alloc(b->t, out->n * sizeof(*copy) + 1);
	if (out->n)
		memcpy(copy, ms->data, out->n * sizeof(*copy));
	out->u.members = copy;
	*pos = p + 1;
	return true;
}

static bool build_array(const char **pos, const char *end, struct build *b, struct lw_jv *out)
{
	const char *p = lw_json_ws(*pos + 1, end);
	GArray *vs = level(b, sizeof(struct lw_jv));
	if (p < end && *p == ']')
		goto done;
	for (;;) {
		struct lw_jv v = { 0 };
		if (!build_value(&p, end, b, &v))
			return false;
		vs = b->levels->pdata[b->depth];
		g_array_append_val(vs, v);
		p = lw_json_ws(p, end);
		if (p < end && *p == ',') {
			p = lw_json_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']')
			break;
		return false;
	}
done:
	vs = b->levels->pdata[b->depth];
	out->type = LW_J_ARRAY;
	out->n = vs->len;
	struct lw_jv *copy = arena_alloc(b->t, vs->len * sizeof(*copy) + 1);
	if (vs->len)
		memcpy(copy, vs->data, vs->len * sizeof(*copy));
	out->u.items = copy;
	*pos = p + 1;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool build_number(const char **pos, const char *end, struct lw_jv *out)
{
	const char *p = *pos, *s = p;
	bool frac = false;
	if (p < end && *p == '-')
		p++;
	if (p >= end || !g_ascii_isdigit(*p))
		return false;
	if (*p == '0')
		p++;
	else
		while (p < end && g_ascii_isdigit(*p))
			p++;
	if (p < end && *p == '.') {
		frac = true;
		if (++p >= end || !g_ascii_isdigit(*p))
			return false;
		while (p < end && g_ascii_isdigit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		frac = true;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !g_ascii_isdigit(*p))
			return false;
		while (p < end && g_ascii_isdigit(*p))
			p++;
	}
	if (p - s > 30)
		return false;
	char num[32];
	memcpy(num, s, (gsize)(p - s));
	num[p - s] = '\0';
	if (frac) {
		double v = g_ascii_strtod(num, NULL);
		if (!isfinite(v))
			return false;  /* "1e400": json-glib's call */
		out->type = LW_J_DOUBLE;
		out->u.d = v;
	} else {
		errno = 0;
		gint64 v = g_ascii_strtoll(num, NULL, 10);
		if (errno)
			return false;
		out->type = LW_J_INT;
		out->u.i = v;
	}
	*pos = p;
	return true;
}

static bool build_value(const char **pos, const char *end, struct build *b, struct lw_jv *out)
{
	const char *p = lw_json_ws(*pos, end);
	*pos = p;
	if (p >= end)
		return false;
	switch (*p) {
	case '{':
	case '[': {
		if (++b->depth > b->max_depth) {
			b->too_deep = true;
			return false;
		}
		bool ok = *p == '{' ? build_object(pos, end, b, out) : build_array(pos, end, b, out);
		b->depth--;
		return ok;
	}
	case '"': {
		const char *q = decode_string(p, end, b->buf);
		if (!q || strlen(b->buf->str) != b->buf->len)
			return false;
		out->type = LW_J_STRING;
		out->u.s = arena_str(b->t, b->buf->str, b->buf->len);
		*pos = q;
		return true;
	}
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4) != 0)
			return false;
		out->type = LW_J_BOOL;
		out->u.b = TRUE;
		*pos = p + 4;
		return true;
	case 'f':
		if (end - p < 5 || memcmp(p, "false", 5) != 0)
			return false;
		out->type = LW_J_BOOL;
		out->u.b = FALSE;
		*pos = p + 5;
		return true;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4) != 0)
			return false;
		out->type = LW_J_NULL;
		*pos = p + 4;
		return true;
	default:
		return build_number(pos, end, out);
	}
}

static struct lw_jtree *tree_new(void)
{
	struct lw_jtree *t = g_new0(struct lw_jtree, 1);
	t->blocks = g_ptr_array_new_with_free_func(g_free);
	return t;
}

void lw_jtree_free(struct lw_jtree *t)
{
	if (!t)
		return;
	g_ptr_array_unref(t->blocks);
	g_free(t);
}

const struct lw_jv *lw_jtree_root(const struct lw_jtree *t)
{
	return &t->root;
}

/* *too_deep is set when the text nests deeper than max_depth (then
 * json-glib is not asked either). */
static struct lw_jtree *build_strict(const char *text, gsize len, guint max_depth,
                                     bool *too_deep)
{
	if (!lw_charset_valid_utf8(text, len))
		return NULL;
	const char *p = text, *end = text + len;
	struct lw_jtree *t = tree_new();
	struct build b = { t, g_string_new(NULL), g_ptr_array_new(), 0, max_depth, false };
	bool ok = build_value(&p, end, &b, &t->root) && lw_json_ws(p, end) == end;
	for (guint i = 0; i < b.levels->len; i++)
		if (b.levels->pdata[i])
			g_array_unref(b.levels->pdata[i]);
	g_ptr_array_unref(b.levels);
	g_string_free(b.buf, TRUE);
	*too_deep = b.too_deep;
	if (!ok)
		g_clear_pointer(&t, lw_jtree_free);
	return t;
}

/* json-glib's tree into the arena (for what only json-glib reads). */
static void from_node(struct lw_jtree *t, JsonNode *n, struct lw_jv *out)
{
	memset(out, 0, sizeof(*out));
	if (JSON_NODE_HOLDS_OBJECT(n)) {
		JsonObject *o = json_node_get_object(n);
		GList *keys = json_object_get_members(o);
		guint len = g_list_length(keys), i = 0;
		struct lw_jmember *m = arena_alloc(t, len * sizeof(*m) + 1);
		for (GList *k = keys; k; k = k->next, i++) {
			m[i].key = arena_str(t, k->data, strlen(k->data));
			from_node(t, json_object_get_member(o, k->data), &m[i].val);
		}
		g_list_free(keys);
		out->type = LW_J_OBJECT;
		out->n = len;
		out->u.members = m;
	} else if (JSON_NODE_HOLDS_ARRAY(n)) {
		JsonArray *a = json_node_get_array(n);
		guint len = json_array_get_length(a);
		struct lw_jv *v = arena_alloc(t, len * sizeof(*v) + 1);
		for (guint i = 0; i < len; i++)
			from_node(t, json_array_get_element(a, i), &v[i]);
		out->type = LW_J_ARRAY;
		out->n = len;
		out->u.items = v;
	} else if (JSON_NODE_HOLDS_VALUE(n)) {
		GType vt = json_node_get_value_type(n);
		if (vt == G_TYPE_STRING) {
			const char *str = json_node_get_string(n);
			out->type = LW_J_STRING;
			out->u.s = arena_str(t, str, strlen(str));
		} else if (vt == G_TYPE_BOOLEAN) {
			out->type = LW_J_BOOL;
			out->u.b = json_node_get_boolean(n);
		} else if (vt == G_TYPE_DOUBLE) {
			out->type = LW_J_DOUBLE;
			out->u.d = json_node_get_double(n);
		} else {
			out->type = LW_J_INT;
			out->u.i = json_node_get_int(n);
		}
	}
}

struct lw_jtree *lw_jtree_parse(const char *text, gsize len, guint max_depth,
                                gsize max_bytes)
{
	if (len > max_bytes || len > G_MAXSSIZE)
		return NULL;
	bool too_deep = false;
	struct lw_jtree *t = build_strict(text, len, max_depth, &too_deep);
	if (t || too_deep)
		return t;
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
	if (json_parser_load_from_data(parser, text, (gssize)len, NULL) &&
	    json_parser_get_root(parser)) {
		t = tree_new();
		from_node(t, json_parser_get_root(parser), &t->root);
	}
	g_object_unref(parser);
	return t;
}

const struct lw_jv *lw_jv_member(const struct lw_jv *v, const char *key)
{
	if (!v || v->type != LW_J_OBJECT)
		return NULL;
	for (guint i = 0; i < v->n; i++)
		if (strcmp(v->u.members[i].key, key) == 0)
			return &v->u.members[i].val;
	return NULL;
}

const char *lw_jv_string(const struct lw_jv *v)
{
	return v && v->type == LW_J_STRING ? v->u.s : NULL;
}

/* The arena tree as json-glib's. */
static JsonNode *to_node(const struct lw_jv *v)
{
	switch (v->type) {
	case LW_J_OBJECT: {
		JsonObject *o = json_object_new();
		for (guint i = 0; i < v->n; i++)
			json_object_set_member(o, v->u.members[i].key, to_node(&v->u.members[i].val));
		JsonNode *n = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(n, o);
		return n;
	}
	case LW_J_ARRAY: {
		JsonArray *a = json_array_sized_new(v->n);
		for (guint i = 0; i < v->n; i++)
			json_array_add_element(a, to_node(&v->u.items[i]));
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(n, a);
		return n;
	}
	case LW_J_STRING:
		return json_node_init_string(json_node_alloc(), v->u.s);
	case LW_J_INT:
		return json_node_init_int(json_node_alloc(), v->u.i);
	case LW_J_DOUBLE:
		return json_node_init_double(json_node_alloc(), v->u.d);
	case LW_J_BOOL:
		return json_node_init_boolean(json_node_alloc(), v->u.b);
	default:
		return json_node_init_null(json_node_alloc());
	}
}

JsonNode *lw_json_parse_bounded(const char *text, gsize len, guint max_depth,
                                gsize max_bytes)
{
	struct lw_jtree *t = lw_jtree_parse(text, len, max_depth, max_bytes);
	if (!t)
		return NULL;
	JsonNode *root = to_node(&t->root);
	lw_jtree_free(t);
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
