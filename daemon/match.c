/* `livewatch match [--title TEXT] QUERY [FILE...]`: a rule query tried on
 * text, so a rule can be tested before it goes live. */
#include "alert.h"
#include "check.h"
#include "cli.h"
#include "entry.h"
#include "log.h"
#include "query.h"

#include <stdio.h>
#include <string.h>


static char *read_stdin(gsize *len)
{
	GString *s = g_string_new(NULL);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0 && s->len < 64u << 20)
		g_string_append_len(s, buf, (gssize)n);
	*len = s->len;
	return g_string_free(s, FALSE);
}

/* One text: the title and body an entry file holds, else the text as
 * the body with the --title given.  Prints the verdict; true on a match. */
static bool try_text(const struct lw_query *q, const char *name, char *text, gsize len,
                     const char *title)
{
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		char *valid = g_utf8_make_valid(text, (gssize)len);
		g_free(text);
		text = valid;
		len = strlen(text);
	}
	struct lw_entry *e = NULL;
	if (g_str_has_prefix(text, "# ") && strstr(text, "\n- id: "))
		e = lw_entry_from_md(text, len, name, NULL);
	const char *t = e ? e->title : title;
	const char *body = e ? e->body : text;
	struct lw_doc *d = lw_doc_new(t, body);
	struct lw_match m;
	lw_match_init(&m);
	bool hit = lw_query_eval(q, d, &m);
	if (hit) {
		const char *field = m.field && !strcmp(m.field, "title") ? t : body;
		g_autofree char *snip = lw_alert_snippet(field, m.offset, m.length, 120);
		GString *terms = g_string_new(NULL);
		for (guint i = 0; m.terms && i < m.terms->len; i++)
			g_string_append_printf(terms, "%s%s", i ? ", " : "", (char *)m.terms->pdata[i]);
		printf("%s: match [%s] %s%s\n", name, terms->str,
		       m.field && !strcmp(m.field, "title") ? "title: " : "", snip);
		g_string_free(terms, TRUE);
	} else {
		printf("%s: no match\n", name);
	}
	lw_match_clear(&m);
	lw_doc_free(d);
	lw_entry_free(e);
	g_free(text);
	return hit;
}

int lw_match_main(int argc, char **argv)
{
	const char *title = "";
	g_autoptr(GPtrArray) rest = g_ptr_array_new();
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--title") && i + 1 < argc)
			title = argv[++i];
		else if (!strncmp(argv[i], "--title=", 8))
			title = argv[i] + 8;
		else if (!strcmp(argv[i], "--title")) {
			lw_error("match: --title needs a TEXT");
			return EXIT_USAGE;
		} else
			g_ptr_array_add(rest, argv[i]);
	}
	if (rest->len < 1) {
		lw_error("match: missing QUERY (livewatch match --help)");
		return EXIT_USAGE;
	}
	const char *text_q = rest->pdata[0];
	GError *err = NULL;
	struct lw_query *q = lw_query_parse(text_q, &err);
	if (!q) {
		lw_error("query '%s': %s", text_q, err->message);
		g_error_free(err);
		return EXIT_USAGE;
	}
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	lw_check_query_words(text_q, "", warnings);
	for (guint i = 0; i < warnings->len; i++)
		lw_warn("%s", (char *)warnings->pdata[i]);
	int matched = 0, status = EXIT_OK;
	guint nfiles = rest->len - 1;
	for (guint i = 0; i < (nfiles ? nfiles : 1); i++) {
		const char *name = nfiles ? rest->pdata[i + 1] : "-";
		char *text = NULL;
		gsize len = 0;
		if (!strcmp(name, "-")) {
			text = read_stdin(&len);
		} else if (!g_file_get_contents(name, &text, &len, &err)) {
			lw_error("cannot read '%s': %s", name, err->message);
			g_clear_error(&err);
			status = EXIT_USAGE;
			continue;
		}
		matched += try_text(q, name, text, len, title);
	}
	lw_query_free(q);
	if (status != EXIT_OK)
		return status;
	return matched ? EXIT_OK : EXIT_RUNTIME;
}
