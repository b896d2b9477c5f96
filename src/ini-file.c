#include "ini-file.h"
#include "caps.h"
#include "error.h"

#include <stdbool.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

/* Items are collected during ini_parse and replayed afterwards, so that
 * continuation lines (which inih reports as repeated keys) can be joined
 * and every syntax error found before anything is acted on. */
struct item {
	char *section;
	char *key;
	GString *value;
	int line;
};

/* One problem: its line (for the order) and its message. */
struct problem {
	int line;
	char *message;
};

struct parse {
	const char *path;
	GArray *items;        /* struct item */
	GPtrArray *sections;  /* char *, with line in sect_lines */
	GArray *sect_lines;
	char **lines;         /* the file's lines, to tell continuations apart */
	bool *blank;          /* lines handed to inih empty: too long, or said already */
	guint n_lines;
	int cur_line;
	bool prev_key;        /* inih's prev_name is set: an indented line continues it */
	GArray *bad_headers;  /* int: lines of "[section" without "]", in order */
};

static void item_clear(struct item *it)
{
	g_free(it->section);
	g_free(it->key);
	g_string_free(it->value, TRUE);
}

static void problem_clear(struct problem *pr)
{
	g_free(pr->message);
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
	const char *l = p->blank[p->cur_line] ? "" : p->lines[p->cur_line];
	g_strlcpy(str, l, (gsize)num);
	p->cur_line++;
	/* Debian's inih does not call the handler for a new section, so
	 * headers are noted here, the way inih reads them: "[name]", unless
	 * the line is indented under a key, which makes it a continuation. */
	const char *start = l;
	while (*l == ' ' || *l == '\t')
		l++;
	if (p->prev_key && l > start)
		return str;
	const char *close = *l == '[' ? strchr(l, ']') : NULL;
	if (close) {
		g_autofree char *name = g_strndup(l + 1, (gsize)(close - l - 1));
		g_ptr_array_add(p->sections, g_strdup(g_strstrip(name)));
		g_array_append_val(p->sect_lines, p->cur_line);
		p->prev_key = false;
	}
	return str;
}

static int on_line(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	int lineno = p->cur_line;
	if (!name)
		return 1;
	p->prev_key = true;
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

static void add_problem(GArray *problems, int line, char *message)
{
	struct problem pr = { .line = line, .message = message };
	g_array_append_val(problems, pr);
}

static gint by_line(gconstpointer a, gconstpointer b)
{
	const struct problem *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

/* inih's word on which lines are bad: its first bad line is said, handed
 * to it empty (a blank line is a comment to inih: nothing it remembers
 * changes) and the file read again, until it takes the file or
 * LW_INI_PROBLEMS_MAX have been said.  inih reads on past a bad line, so
 * the last pass leaves the items and sections of every good line in p. */
static void find_syntax_errors(struct parse *p, GArray *problems, guint *said)
{
	for (;;) {
		g_array_set_size(p->items, 0);
		g_ptr_array_set_size(p->sections, 0);
		g_array_set_size(p->sect_lines, 0);
		p->cur_line = 0;
		p->prev_key = false;
		int bad = ini_parse_stream(read_line, p, on_line, p);
		if (bad <= 0 || (guint)bad > p->n_lines || p->blank[bad - 1])
			return;
		p->blank[bad - 1] = true;
		/* past the cap, no more passes: the last one read the good lines */
		if (++*said > LW_INI_PROBLEMS_MAX)
			return;
		const char *l = p->lines[bad - 1];
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '[')
			g_array_append_val(p->bad_headers, bad);
		const char *what = *l == '[' ? "section header without closing ']'" :
		                   "expected 'key = value' or '[section]'";
		add_problem(problems, bad, g_strdup_printf("%s:%d: %s", p->path, bad, what));
	}
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
		.bad_headers = g_array_new(FALSE, FALSE, sizeof(int)),
	};
	g_array_set_clear_func(p.items, (GDestroyNotify)item_clear);
	GArray *problems = g_array_new(FALSE, FALSE, sizeof(struct problem));
	g_array_set_clear_func(problems, (GDestroyNotify)problem_clear);
	guint said = 0;   /* problems found, said or not */
	p.lines = g_strsplit(text, "\n", -1);
	p.n_lines = g_strv_length(p.lines);
	for (guint i = 0; i < p.n_lines; i++) {
		gsize l = strlen(p.lines[i]);
		if (l && p.lines[i][l - 1] == '\r')
			p.lines[i][l - 1] = '\0';
	}
	/* A file ending without a newline gives one empty last element. */
	if (p.n_lines > 0 && p.lines[p.n_lines - 1][0] == '\0')
		p.n_lines--;
	p.blank = g_new0(bool, p.n_lines + 1);

	/* inih's own limit is 200 bytes including the newline; say it so
	 * rather than "syntax error", and hand inih the line empty. */
	for (guint i = 0; i < p.n_lines; i++) {
		if (strlen(p.lines[i]) <= 198)
			continue;
		p.blank[i] = true;
		if (++said <= LW_INI_PROBLEMS_MAX)
			add_problem(problems, (int)i + 1,
			            g_strdup_printf("%s:%u: line too long; continue it on an indented "
			                            "next line", path, i + 1));
	}
	find_syntax_errors(&p, problems, &said);
	g_array_sort(problems, by_line);

	/* Replay in file order: sections and items interleaved by line.  The
	 * keys under a broken header belong to a section that could not be
	 * read (inih gives them to the one before): they are not handed on. */
	GError *err = NULL;
	guint si = 0, bi = 0;
	int header = 0, bad_header = 0;
	for (guint i = 0; i <= p.items->len; i++) {
		int item_line = i < p.items->len ? g_array_index(p.items, struct item, i).line : G_MAXINT;
		while (si < p.sections->len && g_array_index(p.sect_lines, int, si) < item_line) {
			int sline = g_array_index(p.sect_lines, int, si);
			if (on_section && on_section(p.sections->pdata[si], sline, user, &err) < 0 &&
			    ++said <= LW_INI_PROBLEMS_MAX)
				add_problem(problems, sline, g_strdup(err ? err->message : "?"));
			g_clear_error(&err);
			header = sline;
			si++;
		}
		if (i == p.items->len)
			break;
		while (bi < p.bad_headers->len && g_array_index(p.bad_headers, int, bi) < item_line)
			bad_header = g_array_index(p.bad_headers, int, bi++);
		if (bad_header > header)
			continue;
		struct item *it = &g_array_index(p.items, struct item, i);
		g_strstrip(it->value->str);
		it->value->len = strlen(it->value->str);
		struct lw_ini_item pub = {
			.section = it->section, .key = it->key, .value = it->value->str, .line = it->line,
		};
		if (on_item(&pub, user, &err) < 0 && ++said <= LW_INI_PROBLEMS_MAX)
			add_problem(problems, it->line, g_strdup(err ? err->message : "?"));
		g_clear_error(&err);
	}

	int rc = 0;
	bool bad_lines = false;
	for (guint i = 0; i < p.n_lines; i++)
		bad_lines |= p.blank[i];
	if (said > 0) {
		g_autoptr(GString) all = g_string_new(NULL);
		for (guint i = 0; i < problems->len; i++)
			g_string_append_printf(all, "%s%s", i ? "\n" : "",
			                       g_array_index(problems, struct problem, i).message);
		if (said > problems->len)
			g_string_append_printf(all, "\n%s: more problems not shown (only the first %d "
			                       "are)", path, LW_INI_PROBLEMS_MAX);
		g_set_error_literal(error, LW_ERROR, LW_ERROR_CONFIG, all->str);
		rc = bad_lines ? LW_INI_BAD_LINES : -1;
	}
	g_array_unref(problems);
	g_array_unref(p.items);
	g_ptr_array_unref(p.sections);
	g_array_unref(p.sect_lines);
	g_array_unref(p.bad_headers);
	g_free(p.blank);
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
