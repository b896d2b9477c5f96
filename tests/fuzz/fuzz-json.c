/* libFuzzer target for the tree-less JSON reader in src/json-scan.c
 * (lw_json_skip, lw_json_next_member, lw_json_next_element,
 * lw_json_string) and the strict builder behind lw_json_parse_bounded,
 * checked against json-glib: whatever json-glib parses
 * as one value, the reader must step through, finding at least as many
 * members and elements (json-glib drops duplicate members); on any input it must stay inside
 * the bytes and never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "json-scan.h"

/* Counts the members and elements of the value at *pos, descending at
 * most depth levels (deeper values are skipped whole). */
static bool walk(const char **pos, const char *end, int depth, gsize *count)
{
	const char *p = *pos;
	while (p < end && strchr(" \t\n\r", *p) && *p)
		p++;
	*pos = p;
	if (p >= end)
		return false;
	bool done;
	if (depth > 0 && *p == '{') {
		const char *key;
		gsize key_len;
		while (lw_json_next_member(pos, end, &key, &key_len, &done)) {
			if (key < p || key + key_len > end)
				abort();
			(*count)++;
			if (!walk(pos, end, depth - 1, count))
				return false;
		}
		return done;
	}
	if (depth > 0 && *p == '[') {
		while (lw_json_next_element(pos, end, &done)) {
			(*count)++;
			if (!walk(pos, end, depth - 1, count))
				return false;
		}
		return done;
	}
	if (*p == '"') {
		const char *q = p;
		char *s = lw_json_string(&q, end);
		if (q > end)
			abort();
		g_free(s);
	}
	return lw_json_skip(pos, end);
}

static gsize count_tree(JsonNode *n, int depth)
{
	gsize c = 0;
	if (depth <= 0)
		return 0;
	if (JSON_NODE_HOLDS_OBJECT(n)) {
		JsonObject *o = json_node_get_object(n);
		GList *members = json_object_get_members(o);
		for (GList *l = members; l; l = l->next)
			c += 1 + count_tree(json_object_get_member(o, l->data), depth - 1);
		g_list_free(members);
	} else if (JSON_NODE_HOLDS_ARRAY(n)) {
		JsonArray *a = json_node_get_array(n);
		for (guint i = 0; i < json_array_get_length(a); i++)
			c += 1 + count_tree(json_array_get_element(a, i), depth - 1);
	}
	return c;
}

/* json-glib's scanner takes more than JSON: comments, single quotes,
 * "$1F" hex numbers, "- 1", a "\u" escape with fewer than four hex
 * digits (which then swallows a quote); inputs with those are not
 * compared. */
static bool quirky(const char *text, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (strchr("/'$", text[i]) && text[i])
			return true;
		if (text[i] == '\0')
			return true;
		if (text[i] == '-' && i + 1 < size && strchr(" \t\n\r", text[i + 1]))
			return true;
		if (text[i] == '\\' && i + 1 < size && text[i + 1] == 'u') {
			for (size_t k = i + 2; k < i + 6; k++)
				if (k >= size || !g_ascii_isxdigit(text[k]))
					return true;
		}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	/* a copy exactly as long as the input, so reading past it is caught */
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	const char *end = text + size;

	const char *pos = text;
	bool skipped = lw_json_skip(&pos, end);
	if (pos < text || pos > end)
		abort();
	pos = text;
	gsize count = 0;
	bool walked = walk(&pos, end, 4, &count);
	if (pos < text || pos > end)
		abort();

	bool plain = size > 0 && !quirky(text, size) &&
	             g_utf8_validate(text, (gssize)size, NULL);
	if (plain) {
		JsonParser *parser = json_parser_new();
		if (json_parser_load_from_data(parser, text, (gssize)size, NULL)) {
			JsonNode *root = json_parser_get_root(parser);
			if (root && JSON_NODE_TYPE(root) != JSON_NODE_NULL) {
				/* (json-glib ignores some trailing bytes, "{}[]":
				 * where the reader stops is not compared) */
				if (!skipped || !walked)
					abort();
				/* json-glib keeps one of duplicate members: never more */
				if (count < count_tree(root, 4))
					abort();
			}
			/* the strict builder gives json-glib's own tree */
			JsonNode *ours = lw_json_parse_bounded(text, size, 64, 1 << 20);
			if (ours && root) {
				char *a = json_to_string(ours, FALSE);
				char *b = json_to_string(root, FALSE);
				if (strcmp(a, b) != 0)
					abort();
				g_free(a);
				g_free(b);
			}
			if (ours)
				json_node_unref(ours);
		}
		g_object_unref(parser);
	}
	free(text);
	return 0;
}
