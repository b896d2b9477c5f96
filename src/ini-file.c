#include "ini-file.h"
#include "error.h"

#include <stdbool.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

/* Items are collected during ini_parse and replayed afterwards, so that
 * continuation lines (which inih reports as repeated keys) can be joined
 * and a too-long line reported before anything is acted on. */
struct item {
	char *section;
	char *key;
	GString *value;
	int line;
};

struct parse {
	const char *path;
	GArray *items;        /* struct item */
	GPtrArray *sections;  /* char *, with line in sect_lines */
	GArray *sect_lines;
	char **lines;         /* the file's lines, to tell continuations apart */
	guint n_lines;
	int cur_line;
};

static void item_clear(struct item *it)
{
	g_free(it->section);
	g_free(it->key);
	g_string_free(it->value, TRUE);
}

void lw_ini_error(GError **error, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "%s:%d: %s", file, line, msg);
}

static bool is_continuation(const struct parse *p, int line)
{
	if (line < 1 || (guint)line > p->n_lines)
		return false;
	const char *l = p->lines[line - 1];
	if (!(*l == ' ' || *l == '\t'))
		return false;
	while (*l == ' ' || *l == '\t')
		l++;
	return *l && !strchr(";#", *l);
}

/* Debian's inih is built without INI_HANDLER_LINENO, so lines are counted
 * by feeding it through our own reader. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	if ((guint)p->cur_line >= p->n_lines)
		return NULL;
	const char *l = p->lines[p->cur_line];
	g_strlcpy(str, l, (gsize)num);
	p->cur_line++;
	/* Debian's inih does not call the handler for a new section, so
	 * headers are noted here, the way inih reads them: "[name]". */
	while (*l == ' ' || *l == '\t')
		l++;
	const char *close = *l == '[' ? strchr(l, ']') : NULL;
	if (close) {
		g_autofree char *name = g_strndup(l + 1, (gsize)(close - l - 1));
		g_ptr_array_add(p->sections, g_strdup(g_strstrip(name)));
		g_array_append_val(p->sect_lines, p->cur_line);
	}
	return str;
}

static int on_line(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	int lineno = p->cur_line;
	if (!name)
		return 1;
	struct item *last = p->items->len ? &g_array_index(p->items, struct item, p->items->len - 1) : NULL;
	if (last && is_continuation(p, lineno) && strcmp(last->key, name) == 0 &&
	    strcmp(last->section, section) == 0) {
		if (last->value->len)
			g_string_append_c(last->value, ' ');
		g_string_append(last->value, value);
		return 1;
	}
	struct item it = {
		.section = g_strdup(section),
		.key = g_strdup(name),
		.value = g_string_new(value),
		.line = lineno,
	};
	g_array_append_val(p->items, it);
	return 1;
}

int lw_ini_parse(const char *path, lw_ini_section_cb on_section, lw_ini_cb on_item,
                 void *user, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	GError *ioerr = NULL;
	if (!g_file_get_contents(path, &text, &len, &ioerr)) {
		g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "cannot read '%s': %s", path,
		            ioerr->message);
		g_error_free(ioerr);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "%s: not a text file (NUL byte)", path);
		return -1;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		const char *end;
		g_utf8_validate(text, (gssize)len, &end);
		int line = 1;
		for (const char *q = text; q < end; q++)
			line += *q == '\n';
		lw_ini_error(error, path, line, "not valid UTF-8");
		return -1;
	}

	struct parse p = {
		.path = path,
		.items = g_array_new(FALSE, FALSE, sizeof(struct item)),
		.sections = g_ptr_array_new_with_free_func(g_free),
		.sect_lines = g_array_new(FALSE, FALSE, sizeof(int)),
	};
	g_array_set_clear_func(p.items, (GDestroyNotify)item_clear);
	p.lines = g_strsplit(text, "\n", -1);
	p.n_lines = g_strv_length(p.lines);
	for (guint i = 0; i < p.n_lines; i++) {
		gsize l = strlen(p.lines[i]);
		if (l && p.lines[i][l - 1] == '\r')
			p.lines[i][l - 1] = '\0';
	}

	int rc = 0;
	/* inih's own limit is 200 bytes including the newline; check first so
	 * the message says what is wrong rather than "syntax error". */
	for (guint i = 0; i < p.n_lines; i++) {
		if (strlen(p.lines[i]) > 198) {
			lw_ini_error(error, path, (int)i + 1,
			             "line too long; continue it on an indented next line");
			rc = -1;
			goto out;
		}
	}

	/* A file ending without a newline gives one empty last element. */
	if (p.n_lines > 0 && p.lines[p.n_lines - 1][0] == '\0')
		p.n_lines--;
	int bad = ini_parse_stream(read_line, &p, on_line, &p);
	if (bad != 0) {
		const char *l = bad > 0 && (guint)bad <= p.n_lines ? p.lines[bad - 1] : "";
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '[')
			lw_ini_error(error, path, bad, "section header without closing ']'");
		else
			lw_ini_error(error, path, bad, "expected 'key = value' or '[section]'");
		rc = -1;
		goto out;
	}

	/* Replay in file order: sections and items interleaved by line. */
	guint si = 0;
	for (guint i = 0; i <= p.items->len && rc == 0; i++) {
		int item_line = i < p.items->len ? g_array_index(p.items, struct item, i).line : G_MAXINT;
		while (si < p.sections->len && g_array_index(p.sect_lines, int, si) < item_line) {
			if (on_section && on_section(p.sections->pdata[si],
			                             g_array_index(p.sect_lines, int, si), user, error) < 0) {
				rc = -1;
				break;
			}
			si++;
		}
		if (rc || i == p.items->len)
			break;
		struct item *it = &g_array_index(p.items, struct item, i);
		g_strstrip(it->value->str);
		it->value->len = strlen(it->value->str);
		struct lw_ini_item pub = {
			.section = it->section, .key = it->key, .value = it->value->str, .line = it->line,
		};
		if (on_item(&pub, user, error) < 0)
			rc = -1;
	}
out:
	g_array_unref(p.items);
	g_ptr_array_unref(p.sections);
	g_array_unref(p.sect_lines);
	g_strfreev(p.lines);
	return rc;
}

char **lw_ini_split_list(const char *value)
{
	GPtrArray *out = g_ptr_array_new();
	char **parts = g_strsplit(value ? value : "", ",", -1);
	for (char **q = parts; *q; q++) {
		g_strstrip(*q);
		if (**q)
			g_ptr_array_add(out, g_strdup(*q));
	}
	g_strfreev(parts);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}
