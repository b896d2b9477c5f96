#include <glib.h>
#include <string.h>

#include "diff.h"
#include "error.h"

static struct lw_entry *mk(const char *id, const char *published, const char *title,
                           const char *body)
{
	struct lw_entry *e = lw_entry_new();
	lw_entry_set(&e->id, id);
	lw_entry_set(&e->published, published);
	lw_entry_set(&e->title, title);
	lw_entry_set(&e->body, body);
	g_autofree char *url = g_strdup_printf("https://example.org/live#%s", id);
	lw_entry_set(&e->url, url);
	return e;
}

/* A record whose window is the given entries (newest first). */
static struct lw_record *record(struct lw_entry **entries, int n)
{
	struct lw_record *h = lw_record_new();
	for (int i = 0; i < n; i++) {
		g_ptr_array_add(h->window, entries[i]);
		g_hash_table_insert(h->all, entries[i]->id, entries[i]);
	}
	return h;
}

static struct lw_snapshot *snap(struct lw_entry **entries, int n)
{
	struct lw_snapshot *s = lw_snapshot_new();
	for (int i = 0; i < n; i++)
		g_ptr_array_add(s->entries, entries[i]);
	return s;
}

/* Ten posts, one an hour, newest first: p9 (18:00) ... p0 (09:00). */
static struct lw_entry **ten(void)
{
	struct lw_entry **v = g_new0(struct lw_entry *, 10);
	for (int i = 0; i < 10; i++) {
		g_autofree char *id = g_strdup_printf("block-p%d", 9 - i);
		g_autofree char *t = g_strdup_printf("2023-02-14T%02d:00:00Z", 18 - i);
		g_autofree char *body = g_strdup_printf("Post number %d about the war.", 9 - i);
		v[i] = mk(id, t, "", body);
	}
	return v;
}

static struct lw_entry **dup_all(struct lw_entry **v, int n)
{
	struct lw_entry **d = g_new0(struct lw_entry *, (gsize)n);
	for (int i = 0; i < n; i++)
		d[i] = lw_entry_dup(v[i]);
	return d;
}

static const char *kinds(const struct lw_diff *d)
{
	static char buf[256];
	buf[0] = '\0';
	for (guint i = 0; i < d->changes->len; i++) {
		const struct lw_change *c = d->changes->pdata[i];
		g_strlcat(buf, i ? " " : "", sizeof(buf));
		g_strlcat(buf, lw_change_kind_name(c->kind), sizeof(buf));
		g_strlcat(buf, ":", sizeof(buf));
		g_strlcat(buf, c->entry->id, sizeof(buf));
	}
	return buf;
}

static void test_first_poll(void)
{
	struct lw_entry **v = ten();
	struct lw_snapshot *s = snap(v, 10);
	GError *err = NULL;
	struct lw_diff *d = lw_diff_compute(NULL, NULL, s, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(d->n_new, ==, 10);
	lw_diff_free(d);
	lw_snapshot_free(s);
	g_free(v);
}

static void test_unchanged_and_edit(void)
{
	struct lw_entry **old = ten();
	struct lw_record *h = record(old, 10);
	struct lw_entry **now = dup_all(old, 10);
	/* `updated` and flags are not content. */
	lw_entry_set(&now[2]->updated, "2023-02-14T19:00:00Z");
	now[3]->key_event = true;
	struct lw_snapshot *s = snap(now, 10);
	GError *err = NULL;
	struct lw_diff *d = lw_diff_compute(h, NULL, s, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(d->changes->len, ==, 0);
	lw_diff_free(d);

	lw_entry_set(&now[4]->body, "Post number 5 about the war.\nA new paragraph.");
	d = lw_diff_compute(h, NULL, s, &err);
	g_assert_cmpstr(kinds(d), ==, "edited:block-p5");
	g_assert_true(((struct lw_change *)d->changes->pdata[0])->old == old[4]);
	/* the page shows no "updated" time for it: a stealth edit */
	g_assert_true(((struct lw_change *)d->changes->pdata[0])->stealth);
	g_assert_cmpuint(d->n_stealth, ==, 1);
	g_autofree char *msg = lw_diff_message(d, "blog", "https://example.org/live", NULL);
	g_assert_cmpstr(msg, ==,
		"blog: 1 edited\n\n"
		"~ 14:00 Post number 5 about the war.… (+3 words, stealth)\n\n"
		"Livewatch-Blog: blog\nLivewatch-Url: https://example.org/live\n"
		"Livewatch-Stealth: block-p5\n");
	lw_diff_free(d);

	/* the same "updated" time as recorded: still stealth */
	lw_entry_set(&old[4]->updated, "2023-02-14T14:05:00Z");
	lw_entry_set(&now[4]->updated, "2023-02-14T14:05:00Z");
	d = lw_diff_compute(h, NULL, s, &err);
	g_assert_true(((struct lw_change *)d->changes->pdata[0])->stealth);
	lw_diff_free(d);
	/* a new "updated" time: an edit the page owns up to */
	lw_entry_set(&now[4]->updated, "2023-02-14T19:10:00Z");
	d = lw_diff_compute(h, NULL, s, &err);
	g_assert_cmpstr(kinds(d), ==, "edited:block-p5");
	g_assert_false(((struct lw_change *)d->changes->pdata[0])->stealth);
	g_assert_cmpuint(d->n_stealth, ==, 0);
	g_autofree char *msg2 = lw_diff_message(d, "blog", "u", NULL);
	g_assert_null(strstr(msg2, "stealth"));
	g_assert_nonnull(strstr(msg2, "(+3 words)\n"));
	lw_diff_free(d);
	lw_snapshot_free(s);
	lw_record_free(h);
	g_free(old);
	g_free(now);
}

static void test_new_removed_paged(void)
{
	struct lw_entry **old = ten();
	struct lw_record *h = record(old, 10);
	/* Page now: a new post on top, p9..p2 minus p6 (deleted inside the
	 * window); p1 and p0 paged out below the oldest post shown (p2). */
	struct lw_entry *e[9];
	int n = 0;
	e[n++] = mk("block-new", "2023-02-14T19:00:00Z", "Breaking: tanks", "Leopard tanks arrive.");
	for (int i = 0; i < 8; i++)
		if (i != 3)
			e[n++] = lw_entry_dup(old[i]);
	struct lw_snapshot *s = snap(e, n);
	GError *err = NULL;
	struct lw_diff *d = lw_diff_compute(h, NULL, s, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(kinds(d), ==, "new:block-new removed:block-p6");
	g_assert_cmpuint(d->n_paged_out, ==, 2);
	g_autofree char *msg = lw_diff_message(d, "blog", "u", "leopard=1");
	g_assert_cmpstr(msg, ==,
		"blog: 1 new, 1 removed\n\n"
		"+ 19:00 Breaking: tanks\n"
		"- 15:00 Post number 6 about the war.\n\n"
		"Livewatch-Blog: blog\nLivewatch-Url: u\nLivewatch-Alerts: leopard=1\n");
	lw_diff_free(d);
	lw_snapshot_free(s);
	lw_record_free(h);
	g_free(old);
}

static void test_restored(void)
{
	struct lw_entry **old = ten();
	struct lw_record *h = record(old, 9);
	struct lw_entry **now = dup_all(old, 10);
	lw_entry_free(old[9]);
	GHashTable *removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_add(removed, g_strdup("block-p0"));
	struct lw_snapshot *s = snap(now, 10);
	GError *err = NULL;
	struct lw_diff *d = lw_diff_compute(h, removed, s, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(kinds(d), ==, "restored:block-p0");
	/* the tree shows it as A, like a new entry: the trailer says which */
	g_autofree char *msg = lw_diff_message(d, "blog", "u", "x=1");
	g_assert_cmpstr(msg, ==,
		"blog: 1 restored\n\n"
		"+ 09:00 Post number 0 about the war. (restored)\n\n"
		"Livewatch-Blog: blog\nLivewatch-Url: u\nLivewatch-Restored: block-p0\n"
		"Livewatch-Alerts: x=1\n");
	lw_diff_free(d);
	lw_snapshot_free(s);
	lw_record_free(h);
	g_hash_table_unref(removed);
	g_free(old);
	g_free(now);
}

static void test_no_times_uses_positions(void)
{
	struct lw_entry *o[4] = {
		mk("d", "", "", "four"), mk("c", "", "", "three"),
		mk("b", "", "", "two"), mk("a", "", "", "one"),
	};
	struct lw_record *h = record(o, 4);
	/* c vanished between d and b: removed; a below the last kept: paged out. */
	struct lw_entry *n[3] = { mk("e", "", "", "five"), lw_entry_dup(o[0]), lw_entry_dup(o[2]) };
	struct lw_snapshot *s = snap(n, 3);
	GError *err = NULL;
	struct lw_diff *d = lw_diff_compute(h, NULL, s, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(kinds(d), ==, "new:e removed:c");
	g_assert_cmpuint(d->n_paged_out, ==, 1);
	lw_diff_free(d);
	lw_snapshot_free(s);
	lw_record_free(h);
}

static void test_unhealthy(void)
{
	struct lw_entry **old = ten();
	struct lw_record *h = record(old, 10);
	GError *err = NULL;
	struct lw_snapshot *empty = lw_snapshot_new();
	g_assert_null(lw_diff_compute(h, NULL, empty, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_PARSE);
	g_assert_cmpstr(err->message, ==, "page has no entries");
	g_clear_error(&err);
	lw_snapshot_free(empty);

	/* Only the newest post left and nothing new: a collapse, not 9 removals. */
	struct lw_entry *one[1] = { lw_entry_dup(old[0]) };
	struct lw_snapshot *s = snap(one, 1);
	g_assert_null(lw_diff_compute(h, NULL, s, &err));
	g_assert_error(err, LW_ERROR, LW_ERROR_PARSE);
	g_assert_nonnull(strstr(err->message, "collapsed"));
	g_clear_error(&err);
	lw_snapshot_free(s);

	/* Most of the window deleted from the middle, nothing new: collapse. */
	struct lw_entry *two[2] = { lw_entry_dup(old[0]), lw_entry_dup(old[9]) };
	s = snap(two, 2);
	g_assert_null(lw_diff_compute(h, NULL, s, &err));
	g_clear_error(&err);
	lw_snapshot_free(s);
	lw_record_free(h);
	g_free(old);
}

static void test_pinned_does_not_widen(void)
{
	struct lw_entry **old = ten();
	struct lw_record *h = record(old, 10);
	/* The page shows p9..p5 plus an old pinned post (p0) on top: the
	 * window is p9..p5, so p4..p1 paged out rather than removed. */
	struct lw_entry *n[6];
	n[0] = lw_entry_dup(old[9]);
	n[0]->pinned = true;
	for (int i = 0; i < 5; i++)
		n[i + 1] = lw_entry_dup(old[i]);
	n[5 - 0] = n[5];
	struct lw_entry *extra = mk("block-x", "2023-02-14T19:00:00Z", "", "new one");
	struct lw_snapshot *s = snap(n, 6);
	g_ptr_array_insert(s->entries, 1, extra);
	GError *err = NULL;
	struct lw_diff *d = lw_diff_compute(h, NULL, s, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(kinds(d), ==, "new:block-x");
	g_assert_cmpuint(d->n_paged_out, ==, 4);
	lw_diff_free(d);
	lw_snapshot_free(s);
	lw_record_free(h);
	g_free(old);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/diff/first-poll", test_first_poll);
	g_test_add_func("/diff/unchanged-and-edit", test_unchanged_and_edit);
	g_test_add_func("/diff/new-removed-paged", test_new_removed_paged);
	g_test_add_func("/diff/restored", test_restored);
	g_test_add_func("/diff/no-times", test_no_times_uses_positions);
	g_test_add_func("/diff/unhealthy", test_unhealthy);
	g_test_add_func("/diff/pinned", test_pinned_does_not_widen);
	return g_test_run();
}
