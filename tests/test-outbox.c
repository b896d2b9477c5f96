/* The durable alert queue (src/outbox.c): append, claim, done, take,
 * remove, and the lines it rejects. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "alert-fixtures.h"
#include "error.h"
#include "outbox.h"

/* ---- outbox ---- */

static GPtrArray *alerts_of(int n, const char *prefix)
{
	GPtrArray *v = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	for (int i = 0; i < n; i++) {
		g_autofree char *id = g_strdup_printf("%s-%d", prefix, i);
		g_ptr_array_add(v, sample_alert(id));
	}
	return v;
}

static void test_outbox(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *box = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autofree char *taking = g_build_filename(dir, "outbox.taking", NULL);
	g_autoptr(GError) err = NULL;

	/* nothing there */
	GPtrArray *got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 0);
	g_ptr_array_unref(got);
	g_autofree char *nodir = g_build_filename(dir, "missing", NULL);
	got = lw_outbox_take(nodir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 0);
	g_ptr_array_unref(got);

	GPtrArray *one = alerts_of(2, "a");
	GPtrArray *two = alerts_of(1, "b");
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_outbox_append(dir, two, &err), ==, 0);
	g_assert_cmpint(lw_outbox_append(dir, NULL, &err), ==, 0);
	g_assert_true(g_file_test(box, G_FILE_TEST_EXISTS));

	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 3);
	assert_alert_eq(got->pdata[0], one->pdata[0]);
	assert_alert_eq(got->pdata[1], one->pdata[1]);
	assert_alert_eq(got->pdata[2], two->pdata[0]);
	g_ptr_array_unref(got);
	g_assert_false(g_file_test(box, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(taking, G_FILE_TEST_EXISTS));

	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 0);
	g_ptr_array_unref(got);

	/* claim without done (a crash while delivering): the next claim
	 * returns the same alerts, plus what was appended meanwhile */
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	got = lw_outbox_claim(dir, NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 2);
	g_ptr_array_unref(got);
	g_assert_true(g_file_test(taking, G_FILE_TEST_EXISTS));
	g_assert_cmpint(lw_outbox_append(dir, two, &err), ==, 0);
	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 3);
	assert_alert_eq(got->pdata[0], one->pdata[0]);
	assert_alert_eq(got->pdata[2], two->pdata[0]);
	g_ptr_array_unref(got);
	g_assert_false(g_file_test(taking, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(box, G_FILE_TEST_EXISTS));

	/* a .taking left alone by a crash is recovered */
	g_autofree char *j = lw_alert_to_json(two->pdata[0]);
	g_autofree char *line = g_strconcat(j, "\n", NULL);
	g_assert_true(g_file_set_contents(taking, line, -1, NULL));
	got = lw_outbox_take(dir, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 1);
	assert_alert_eq(got->pdata[0], two->pdata[0]);
	g_ptr_array_unref(got);
	g_assert_false(g_file_test(taking, G_FILE_TEST_EXISTS));

	g_ptr_array_unref(one);
	g_ptr_array_unref(two);
	rm_rf(dir);
}

/* Removing some alerts leaves every other line as it was: alerts a
 * later poll appended, identical copies beyond the count asked, lines
 * nobody can read. */
static void test_outbox_remove(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *box = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autoptr(GError) err = NULL;
	struct lw_alert *a = sample_alert("first");
	struct lw_alert *b = sample_alert("second");
	struct lw_alert *c = sample_alert("third");
	g_autofree char *ja = lw_alert_to_json(a);
	g_autofree char *jb = lw_alert_to_json(b);
	g_autofree char *jc = lw_alert_to_json(c);
	/* a twice, b, a torn line, c */
	g_autofree char *text = g_strdup_printf("%s\n%s\n%s\n{\"rule\":\"tor\n%s\n", ja, ja, jb, jc);
	g_assert_true(g_file_set_contents(box, text, -1, NULL));

	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	g_ptr_array_add(gone, a);
	g_ptr_array_add(gone, c);
	g_assert_cmpint(lw_outbox_remove(dir, gone, &err), ==, 0);
	g_assert_no_error(err);
	g_autofree char *left = NULL;
	g_assert_true(g_file_get_contents(box, &left, NULL, NULL));
	g_autofree char *want = g_strdup_printf("%s\n%s\n{\"rule\":\"tor\n", ja, jb);
	g_assert_cmpstr(left, ==, want);

	/* an alert that is not there (any more): nothing changes */
	g_ptr_array_remove_index(gone, 0);
	g_assert_cmpint(lw_outbox_remove(dir, gone, &err), ==, 0);
	g_autofree char *same = NULL;
	g_assert_true(g_file_get_contents(box, &same, NULL, NULL));
	g_assert_cmpstr(same, ==, want);

	/* the last ones out: no file left (the torn line stays until a claim
	 * moves it to outbox.rejected) */
	g_ptr_array_set_size(gone, 0);
	g_ptr_array_add(gone, a);
	g_ptr_array_add(gone, b);
	g_assert_cmpint(lw_outbox_remove(dir, gone, &err), ==, 0);
	g_autofree char *torn = NULL;
	g_assert_true(g_file_get_contents(box, &torn, NULL, NULL));
	g_assert_cmpstr(torn, ==, "{\"rule\":\"tor\n");
	g_assert_cmpint(g_unlink(box), ==, 0);
	g_autoptr(GPtrArray) one = g_ptr_array_new();
	g_ptr_array_add(one, a);
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	g_assert_cmpint(lw_outbox_remove(dir, one, &err), ==, 0);
	g_assert_false(g_file_test(box, G_FILE_TEST_EXISTS));
	/* no outbox at all */
	g_assert_cmpint(lw_outbox_remove(dir, one, &err), ==, 0);
	g_assert_no_error(err);

	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
	rm_rf(dir);
}

static void test_outbox_corrupt(void)
{
	g_autofree char *dir = make_tmpdir();
	g_autofree char *box = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autofree char *rejected = g_build_filename(dir, "outbox.rejected", NULL);
	g_autoptr(GError) err = NULL;
	struct lw_alert *a = sample_alert("good-1");
	struct lw_alert *b = sample_alert("good-2");
	g_autofree char *ja = lw_alert_to_json(a);
	g_autofree char *jb = lw_alert_to_json(b);
	/* good, garbage, blank, good, missing key, torn last line */
	g_autofree char *text = g_strdup_printf("%s\nnot json at all\n\n%s\n{\"rule\":\"x\"}\n{\"rule\":\"bakh",
						ja, jb);
	g_assert_true(g_file_set_contents(box, text, -1, NULL));

	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *got = lw_outbox_claim(dir, warnings, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, 2);
	assert_alert_eq(got->pdata[0], a);
	assert_alert_eq(got->pdata[1], b);
	g_assert_cmpuint(warnings->len, ==, 3);
	g_autofree char *w0 = g_strdup_printf("%s:2: ", box);
	g_autofree char *w1 = g_strdup_printf("%s:5: missing 'blog'; moved to outbox.rejected", box);
	g_autofree char *w2 = g_strdup_printf("%s:6: ", box);
	g_assert_true(g_str_has_prefix(warnings->pdata[0], w0));
	g_assert_cmpstr(warnings->pdata[1], ==, w1);
	g_assert_true(g_str_has_prefix(warnings->pdata[2], w2));
	g_ptr_array_set_size(warnings, 0);
	g_ptr_array_unref(got);
	g_assert_cmpint(lw_outbox_done(dir, &err), ==, 0);

	g_autofree char *bad = read_file(rejected);
	g_assert_cmpstr(bad, ==, "not json at all\n{\"rule\":\"x\"}\n{\"rule\":\"bakh\n");

	/* all good: no warnings */
	GPtrArray *one = alerts_of(1, "c");
	g_assert_cmpint(lw_outbox_append(dir, one, &err), ==, 0);
	got = lw_outbox_claim(dir, warnings, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(warnings->len, ==, 0);
	g_assert_cmpuint(got->len, ==, 1);
	g_ptr_array_unref(got);
	g_ptr_array_unref(one);

	lw_alert_free(a);
	lw_alert_free(b);
	rm_rf(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/outbox/round-trip", test_outbox);
	g_test_add_func("/outbox/corrupt", test_outbox_corrupt);
	g_test_add_func("/outbox/remove", test_outbox_remove);
	return g_test_run();
}
