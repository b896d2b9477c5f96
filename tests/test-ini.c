#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "error.h"
#include "ini-file.h"

struct seen {
	GString *log;
};

static int on_section(const char *section, int line, void *user, GError **error)
{
	struct seen *s = user;
	g_string_append_printf(s->log, "[%s]@%d\n", section, line);
	return 0;
}

static int on_item(const struct lw_ini_item *it, void *user, GError **error)
{
	struct seen *s = user;
	g_string_append_printf(s->log, "%s.%s=%s@%d\n", it->section, it->key, it->value, it->line);
	if (!strcmp(it->key, "fail")) {
		lw_ini_error(error, "x.ini", it->line, "bad value '%s'", it->value);
		return -1;
	}
	return 0;
}

static char *write_tmp(const char *text)
{
	char *path = NULL;
	int fd = g_file_open_tmp("lw-ini-XXXXXX.ini", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return path;
}

static char *parse(const char *text, GError **error, int *rc, char **path_out)
{
	struct seen s = { g_string_new(NULL) };
	char *path = write_tmp(text);
	*rc = lw_ini_parse(path, on_section, on_item, &s, error);
	if (path_out)
		*path_out = g_strdup(path);
	g_unlink(path);
	g_free(path);
	return g_string_free(s.log, FALSE);
}

static void test_basic(void)
{
	GError *err = NULL;
	int rc;
	g_autofree char *log = parse("top = 1\n[a]\nx = 1 ; comment\n# c\n\n[b \"q\"]\ny: two words \n",
	                             &err, &rc, NULL);
	g_assert_no_error(err);
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpstr(log, ==, ".top=1@1\n[a]@2\na.x=1@3\n[b \"q\"]@6\nb \"q\".y=two words@7\n");
}

static void test_continuation(void)
{
	GError *err = NULL;
	int rc;
	g_autofree char *log = parse("[r]\nquery = Bakhmut OR\n   Artemivsk\n\tOR Soledar\nnext = 2\n",
	                             &err, &rc, NULL);
	g_assert_no_error(err);
	g_assert_cmpstr(log, ==, "[r]@1\nr.query=Bakhmut OR Artemivsk OR Soledar@2\nr.next=2@5\n");
}

static void test_long_line(void)
{
	GError *err = NULL;
	int rc;
	g_autofree char *path = NULL;
	GString *t = g_string_new("[r]\nok = 1\nquery = ");
	for (int i = 0; i < 40; i++)
		g_string_append(t, "word ");
	g_string_append(t, "\n");
	g_autofree char *log = parse(t->str, &err, &rc, &path);
	g_string_free(t, TRUE);
	g_assert_cmpint(rc, <, 0);
	g_assert_error(err, LW_ERROR, LW_ERROR_CONFIG);
	g_autofree char *want = g_strdup_printf("%s:3: line too long; continue it on an indented next line", path);
	g_assert_cmpstr(err->message, ==, want);
	/* the good lines are still read, for their own problems; the file is bad */
	g_assert_cmpint(rc, ==, LW_INI_BAD_LINES);
	g_assert_cmpstr(log, ==, "[r]@1\nr.ok=1@2\n");
	g_error_free(err);
}

static void test_syntax(void)
{
	GError *err = NULL;
	int rc;
	g_autofree char *path = NULL;
	g_autofree char *log = parse("[a]\nx = 1\nthis line has no equals\n", &err, &rc, &path);
	g_assert_cmpint(rc, <, 0);
	g_autofree char *want = g_strdup_printf("%s:3: expected 'key = value' or '[section]'", path);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
	g_free(path);
	path = NULL;
	g_free(parse("[a\nx = 1\n", &err, &rc, &path));
	g_autofree char *want2 = g_strdup_printf("%s:1: section header without closing ']'", path);
	g_assert_cmpstr(err->message, ==, want2);
	g_clear_error(&err);
}

static void test_callback_error(void)
{
	GError *err = NULL;
	int rc;
	g_autofree char *log = parse("[a]\nfail = yes\nafter = 1\nfail = again\n", &err, &rc,
	                             NULL);
	g_assert_cmpint(rc, ==, -1);
	/* every callback error, not only the first; the parse goes on */
	g_assert_cmpstr(err->message, ==, "x.ini:2: bad value 'yes'\nx.ini:4: bad value 'again'");
	g_assert_nonnull(strstr(log, "a.after=1@3"));
	g_error_free(err);
}

/* Every syntax error inih finds, in line order, then the callbacks'
 * errors; the lines around the bad ones read as they would without them. */
static void test_every_problem(void)
{
	GError *err = NULL;
	int rc;
	g_autofree char *path = NULL;
	GString *t = g_string_new("[a\n"                     /* 1: no ']' */
	                          "x = 1\n"                   /* 2: in it */
	                          "no equals here\n"          /* 3 */
	                          "[b]\n"                     /* 4 */
	                          "fail = first\n"            /* 5: the callback's */
	                          "long = ");                  /* 6: too long */
	for (int i = 0; i < 40; i++)
		g_string_append(t, "word ");
	g_string_append(t, "\n"
	                   "y = 2\n"                         /* 7 */
	                   "  continued\n"                   /* 8: y's continuation */
	                   "  [not a header]\n"              /* 9: y's continuation too */
	                   "also no equals\n"                /* 10 */
	                   "[c ; comment]\n"                 /* 11: inih ends the header at ';' */
	                   "z = 3\n"                         /* 12: under it, not said */
	                   "[d]\n"                           /* 13 */
	                   "fail = second\n");               /* 14 */
	g_autofree char *log = parse(t->str, &err, &rc, &path);
	g_string_free(t, TRUE);
	g_assert_cmpint(rc, ==, LW_INI_BAD_LINES);
	g_autofree char *want = g_strdup_printf(
		"%s:1: section header without closing ']'\n"
		"%s:3: expected 'key = value' or '[section]'\n"
		"%s:6: line too long; continue it on an indented next line\n"
		"%s:10: expected 'key = value' or '[section]'\n"
		"%s:11: section header without closing ']'\n"
		"x.ini:5: bad value 'first'\n"
		"x.ini:14: bad value 'second'", path, path, path, path, path);
	g_assert_cmpstr(err->message, ==, want);
	/* x is under the broken header: not handed on */
	g_assert_cmpstr(log, ==, "[b]@4\nb.fail=first@5\nb.y=2 continued [not a header]@7\n"
	                         "[d]@13\nd.fail=second@14\n");
	g_clear_error(&err);
}

/* A garbage file: at most LW_INI_PROBLEMS_MAX said, then how many more. */
static void test_many_problems(void)
{
	GError *err = NULL;
	int rc;
	g_autofree char *path = NULL;
	GString *t = g_string_new("[a]\n");
	for (int i = 0; i < LW_INI_PROBLEMS_MAX + 20; i++)
		g_string_append(t, "garbage\n");
	g_autofree char *log = parse(t->str, &err, &rc, &path);
	g_string_free(t, TRUE);
	g_assert_cmpint(rc, ==, LW_INI_BAD_LINES);
	g_auto(GStrv) lines = g_strsplit(err->message, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, LW_INI_PROBLEMS_MAX + 1);
	g_autofree char *first = g_strdup_printf("%s:2: expected 'key = value' or '[section]'", path);
	g_assert_cmpstr(lines[0], ==, first);
	g_autofree char *last = g_strdup_printf("%s: more problems not shown (only the first %d are)",
	                                        path, LW_INI_PROBLEMS_MAX);
	g_assert_cmpstr(lines[LW_INI_PROBLEMS_MAX], ==, last);
	g_clear_error(&err);
}

static void test_bad_files(void)
{
	GError *err = NULL;
	struct seen s = { g_string_new(NULL) };
	g_assert_cmpint(lw_ini_parse("/nonexistent/x.ini", NULL, on_item, &s, &err), <, 0);
	g_assert_nonnull(strstr(err->message, "cannot read '/nonexistent/x.ini'"));
	g_clear_error(&err);
	int rc;
	g_autofree char *path = NULL;
	g_free(parse("[a]\nx = caf\xe9\n", &err, &rc, &path));
	g_autofree char *want = g_strdup_printf("%s:2: not valid UTF-8", path);
	g_assert_cmpstr(err->message, ==, want);
	g_clear_error(&err);
	g_string_free(s.log, TRUE);
}

static void test_split(void)
{
	char **v = lw_ini_split_list(" a, b ,,c ");
	g_assert_cmpuint(g_strv_length(v), ==, 3);
	g_assert_cmpstr(v[0], ==, "a");
	g_assert_cmpstr(v[1], ==, "b");
	g_assert_cmpstr(v[2], ==, "c");
	g_strfreev(v);
	v = lw_ini_split_list("");
	g_assert_cmpuint(g_strv_length(v), ==, 0);
	g_strfreev(v);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ini/basic", test_basic);
	g_test_add_func("/ini/continuation", test_continuation);
	g_test_add_func("/ini/long-line", test_long_line);
	g_test_add_func("/ini/syntax", test_syntax);
	g_test_add_func("/ini/callback-error", test_callback_error);
	g_test_add_func("/ini/every-problem", test_every_problem);
	g_test_add_func("/ini/many-problems", test_many_problems);
	g_test_add_func("/ini/bad-files", test_bad_files);
	g_test_add_func("/ini/split", test_split);
	return g_test_run();
}
