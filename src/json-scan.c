#include "json-scan.h"

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

JsonNode *lw_json_parse_bounded(const char *text, gsize len, guint max_depth,
                                gsize max_bytes)
{
	if (len > max_bytes || len > G_MAXSSIZE)
		return NULL;
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
	JsonParser *parser = json_parser_new();
	JsonNode *root = NULL;
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
