/* Entry files: the text of <blog>/entries/<id>.md.
 *
 *     # <heading>
 *
 *     - id: block-1
 *     - published: 2023-02-14T18:31:00Z
 *     - updated:
 *     - url: https://example.org/live#block-1
 *     - author: Jane Doe          (only when set)
 *     - pinned: yes               (only when set)
 *     - key-event: yes            (only when set)
 *
 *     first paragraph
 *
 *     second paragraph
 *
 * id, published, updated and url are always written, even when empty, so
 * every file has the same shape.  A value that is empty is written as
 * "- key:" with nothing after the colon.
 *
 * The heading and the values are one line each: in them a backslash, a
 * newline and a carriage return are written as \\, \n and \r.  The body
 * is written as is, paragraphs (the lines of e->body) separated by a
 * blank line; an empty paragraph gives two blank lines more, so any body
 * comes back unchanged.  An empty body ends the file after the list.
 * The file ends in exactly one newline (more only when the body itself
 * ends in empty paragraphs, which extractors do not produce). */
#include "entry.h"
#include "error.h"

#include <string.h>

static void append_escaped(GString *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
}

static void append_field(GString *out, const char *key, const char *value)
{
	g_string_append_printf(out, "- %s:", key);
	if (*value) {
		g_string_append_c(out, ' ');
		append_escaped(out, value);
	}
	g_string_append_c(out, '\n');
}

char *lw_entry_to_md(const struct lw_entry *e)
{
	g_autofree char *heading = lw_entry_heading(e);
	GString *out = g_string_sized_new(strlen(e->body) + 256);

	g_string_append(out, "# ");
	append_escaped(out, heading);
	g_string_append(out, "\n\n");
	append_field(out, "id", e->id);
	append_field(out, "published", e->published);
	append_field(out, "updated", e->updated);
	append_field(out, "url", e->url);
	if (*e->author)
		append_field(out, "author", e->author);
	if (e->pinned)
		append_field(out, "pinned", "yes");
	if (e->key_event)
		append_field(out, "key-event", "yes");
	if (*e->body) {
		g_string_append_c(out, '\n');
		for (const char *p = e->body; *p; p++) {
			if (*p == '\n')
				g_string_append(out, "\n\n");
			else
				g_string_append_c(out, *p);
		}
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

/* Undoes append_escaped(); an unknown escape is an error. */
static char *unescape(const char *s, gsize len, const char **bad)
{
	GString *out = g_string_sized_new(len);
	for (gsize i = 0; i < len; i++) {
		if (s[i] != '\\') {
			g_string_append_c(out, s[i]);
			continue;
		}
		char c = i + 1 < len ? s[i + 1] : '\0';
		if (c == '\\')
			g_string_append_c(out, '\\');
		else if (c == 'n')
			g_string_append_c(out, '\n');
		else if (c == 'r')
			g_string_append_c(out, '\r');
		else {
			*bad = c ? "unknown escape" : "backslash at end of line";
			g_string_free(out, TRUE);
			return NULL;
		}
		i++;
	}
	return g_string_free(out, FALSE);
}

/* One line of the header part: [start, end) without the newline.  A
 * carriage return before the newline is dropped (we never write a raw
 * one there; a person's editor might). */
struct line {
	const char *start;
	gsize len;
};

static bool next_line(const char **p, const char *end, struct line *l)
{
	if (*p >= end)
		return false;
	const char *nl = memchr(*p, '\n', (gsize)(end - *p));
	const char *stop = nl ? nl : end;
	l->start = *p;
	l->len = (gsize)(stop - *p);
	if (l->len > 0 && l->start[l->len - 1] == '\r')
		l->len--;
	*p = nl ? nl + 1 : end;
	return true;
}

static bool parse_yes(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false") || !*v) {
		*out = false;
		return true;
	}
	return false;
}

struct lw_entry *lw_entry_from_md(const char *text, gsize len, const char *name, GError **error)
{
	const char *p = text, *end = text + len;
	const char *bad = NULL;
	struct line l;
	int lineno = 1;
	bool have_id = false;

	if (!name)
		name = "entry";
	if (memchr(text, '\0', len)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "%s: contains a NUL byte", name);
		return NULL;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "%s: not valid UTF-8", name);
		return NULL;
	}

	struct lw_entry *e = lw_entry_new();

	if (!next_line(&p, end, &l) || l.len < 2 || memcmp(l.start, "# ", 2)) {
		bad = "expected '# heading'";
		goto err;
	}
	char *title = unescape(l.start + 2, l.len - 2, &bad);
	if (!title)
		goto err;
	g_free(e->title);
	e->title = title;

	lineno++;
	if (!next_line(&p, end, &l) || l.len != 0) {
		bad = "expected a blank line after the heading";
		goto err;
	}

	for (;;) {
		lineno++;
		if (!next_line(&p, end, &l) || l.len == 0)
			break;
		const char *colon = memchr(l.start, ':', l.len);
		if (l.len < 3 || memcmp(l.start, "- ", 2) || !colon) {
			bad = "expected '- key: value'";
			goto err;
		}
		g_autofree char *key = g_strndup(l.start + 2, (gsize)(colon - l.start - 2));
		const char *v = colon + 1;
		gsize vlen = l.len - (gsize)(v - l.start);
		if (vlen > 0 && *v == ' ') {
			v++;
			vlen--;
		}
		g_autofree char *value = unescape(v, vlen, &bad);
		if (!value)
			goto err;
		if (!strcmp(key, "id")) {
			lw_entry_set(&e->id, value);
			have_id = true;
		} else if (!strcmp(key, "published")) {
			lw_entry_set(&e->published, value);
		} else if (!strcmp(key, "updated")) {
			lw_entry_set(&e->updated, value);
		} else if (!strcmp(key, "url")) {
			lw_entry_set(&e->url, value);
		} else if (!strcmp(key, "author")) {
			lw_entry_set(&e->author, value);
		} else if (!strcmp(key, "pinned")) {
			if (!parse_yes(value, &e->pinned)) {
				bad = "pinned is not yes or no";
				goto err;
			}
		} else if (!strcmp(key, "key-event")) {
			if (!parse_yes(value, &e->key_event)) {
				bad = "key-event is not yes or no";
				goto err;
			}
		}
		/* other keys: written by a newer livewatch, ignored */
	}
	if (!have_id) {
		lineno = 3;
		bad = "no '- id:' line";
		goto err;
	}

	/* The body: everything after the blank line, less the final
	 * newline; paragraphs are separated by "\n\n". */
	gsize blen = (gsize)(end - p);
	if (blen > 0 && p[blen - 1] == '\n')
		blen--;
	GString *body = g_string_sized_new(blen);
	for (gsize i = 0; i < blen; i++) {
		if (p[i] == '\n' && i + 1 < blen && p[i + 1] == '\n') {
			g_string_append_c(body, '\n');
			i++;
		} else {
			g_string_append_c(body, p[i]);
		}
	}
	g_free(e->body);
	e->body = g_string_free(body, FALSE);
	return e;

err:
	g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "%s: line %d: %s", name, lineno, bad);
	lw_entry_free(e);
	return NULL;
}

void lw_entry_version(const struct lw_entry *e, char out[LW_ENTRY_VERSION_LEN + 1])
{
	g_autofree char *md = lw_entry_to_md(e);
	gsize len = strlen(md);
	/* git's object header, NUL included */
	g_autofree char *header = g_strdup_printf("blob %" G_GSIZE_FORMAT, len);
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(sum, (const guchar *)header, (gssize)strlen(header) + 1);
	g_checksum_update(sum, (const guchar *)md, (gssize)len);
	g_strlcpy(out, g_checksum_get_string(sum), LW_ENTRY_VERSION_LEN + 1);
}
