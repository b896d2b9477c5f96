/* The exec sink with real children (timeouts, signals, hostile hooks),
 * and keeping and retrying (src/sink.c), which a hook that fails on
 * purpose drives. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "alert-fixtures.h"
#include "error.h"
#include "outbox.h"
#include "sink-private.h"

/* ---- exec sink: real children ---- */

struct hook {
	char *dir;
	char *script;
	struct lw_sink *sink;
};

/* Writes `body` as an executable sh script in a fresh folder and makes
 * an exec sink running it with `args` (already quoted for the command
 * line); timeout in seconds, 0 for the default. */
static void hook_init(struct hook *h, const char *body, const char *args, int timeout)
{
	h->dir = make_tmpdir();
	h->script = g_build_filename(h->dir, "hook script.sh", NULL);
	g_autofree char *text = g_strdup_printf("#!/bin/sh\n%s\n", body);
	g_assert_true(g_file_set_contents(h->script, text, -1, NULL));
	g_assert_cmpint(g_chmod(h->script, 0755), ==, 0);
	g_autofree char *quoted = g_shell_quote(h->script);
	g_autofree char *cmd = args ? g_strdup_printf("%s %s", quoted, args) : g_strdup(quoted);
	g_autofree char *t = g_strdup_printf("%d", timeout);
	struct lw_sink_config *c = make_cfg("c.ini", 1, "hook", "type", "exec", "command", cmd,
					    timeout ? "timeout" : NULL, t, NULL);
	g_autoptr(GError) err = NULL;
	h->sink = lw_sink_new(c, &err);
	g_assert_no_error(err);
	free_cfg(c);
}

static void hook_clear(struct hook *h)
{
	lw_sink_free(h->sink);
	rm_rf(h->dir);
	g_free(h->dir);
	g_free(h->script);
}

static char *hook_file(struct hook *h, const char *name)
{
	g_autofree char *path = g_build_filename(h->dir, name, NULL);
	char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* The delivery's error message, which must exist; also checks that
 * delivering took at most max_ms. */
static char *hook_fail(struct hook *h, const struct lw_alert *a, gint64 max_ms)
{
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(lw_sink_deliver(h->sink, a, &err), ==, -1);
	gint64 ms = (g_get_monotonic_time() - t0) / 1000;
	g_assert_error(err, LW_ERROR, LW_ERROR_SINK);
	if (ms > max_ms)
		g_error("delivery took %" G_GINT64_FORMAT " ms, more than %" G_GINT64_FORMAT,
			ms, max_ms);
	char *msg = g_strdup(err->message);
	g_error_free(err);
	return msg;
}

/* The state letter of a process in /proc (0 when there is none), and
 * its parent. */
static char proc_state(int pid, int *ppid)
{
	g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *stat = NULL;
	if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
		return 0;
	const char *close_paren = strrchr(stat, ')');
	g_assert_nonnull(close_paren);
	*ppid = atoi(close_paren + 4);
	return close_paren[2];
}

static void expect_gone(const char *pidfile_text)
{
	/* Reaped (no zombie left in our process) and not running.  A process
	 * SIGKILLed with its group dies when the kernel gets to it: waited
	 * for, up to a deadline, never assumed after a fixed sleep. */
	int pid = atoi(pidfile_text), ppid = 0;
	g_assert_cmpint(pid, >, 0);
	gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char state;
	while ((state = proc_state(pid, &ppid)) && state != 'Z' && g_get_monotonic_time() < end)
		g_usleep(10 * 1000);
	if (!state)
		return;
	/* Only a grandchild could still show, as init's zombie; never ours. */
	g_assert_cmpint(state, ==, 'Z');
	g_assert_cmpint(ppid, !=, getpid());
}

static void test_exec_sink(void)
{
	struct hook h;
	hook_init(&h, "cat > \"$1/stdin\"\n"
		      "shift\n"
		      "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > \"$(dirname \"$0\")/args\"\n"
		      "env | grep '^LIVEWATCH_' | LC_ALL=C sort > \"$(dirname \"$0\")/env\"\n"
		      "printf '%s' \"$LIVEWATCH_TITLE\" > \"$(dirname \"$0\")/title\"\n"
		      "echo to stdout; echo to stderr >&2",
		  "\"$DIR\" 'arg two' \"it's\" '$HOME' '|' cat '>' /tmp/x ';' \"a\\\"b\"", 0);
	/* "$DIR" is not expanded (no shell): the script gets a literal
	 * "$DIR"; give it that folder through a symlink named so. */
	g_autofree char *cwd = g_get_current_dir();
	g_assert_cmpint(chdir(h.dir), ==, 0);
	g_assert_cmpint(symlink(".", "$DIR"), ==, 0);

	g_autoptr(GError) err = NULL;
	struct lw_alert *a = sample_alert("block-1");
	g_free(a->title);
	a->title = g_strdup("Line one\nLine two; rm -rf / `id` $(id)");
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(chdir(cwd), ==, 0);

	g_autofree char *json = lw_alert_to_json(a);
	g_autofree char *want_stdin = g_strconcat(json, "\n", NULL);
	g_autofree char *got_stdin = hook_file(&h, "stdin");
	g_assert_cmpstr(got_stdin, ==, want_stdin);
	g_autofree char *args = hook_file(&h, "args");
	g_assert_cmpstr(args, ==, "[arg two]\n[it's]\n[$HOME]\n[|]\n[cat]\n[>]\n[/tmp/x]\n[;]\n[a\"b]\n");
	g_autofree char *env = hook_file(&h, "env");
	g_assert_nonnull(strstr(env, "LIVEWATCH_BLOG=guardian-ukraine\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_CHANGE=new\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_ENTRY=block-1\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_MATCHED=Bakhmut,Бахмут\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_PUBLISHED=2023-02-14T18:31:00Z\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_RULE=bakhmut\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_SNIPPET=…near «Bakhmut» on Monday…\n"));
	g_autofree char *title = hook_file(&h, "title");
	g_assert_cmpstr(title, ==, a->title);
	g_assert_nonnull(strstr(env, "LIVEWATCH_URGENCY=critical\n"));
	g_assert_nonnull(strstr(env, "LIVEWATCH_URL=https://example.org/live#block-1\n"));
	lw_alert_free(a);
	hook_clear(&h);
}

/* Retrying: a hook that fails while the file "down" exists.  Failed
 * alerts are kept in the state folder, tried again only when due, in
 * order, with a doubling wait; a working delivery ends the wait; alerts
 * too old are dropped, saying so. */
static void test_sink_retry(void)
{
	struct hook h;
	hook_init(&h, "d=$(dirname \"$0\"); [ -e \"$d/down\" ] && { echo down >&2; exit 1; }\n"
		      "sed -n 's/.*\"entry\":\"\\([^\"]*\\)\".*/\\1/p' >> \"$d/got\"", NULL, 0);
	g_assert_true(lw_sink_retries(h.sink));
	g_autofree char *state = g_build_filename(h.dir, "state", NULL);
	g_autofree char *down = g_build_filename(h.dir, "down", NULL);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	g_assert_true(g_file_set_contents(down, "", 0, NULL));
	gint64 now = 1700000000;
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now);
	g_autofree char *fresh = g_date_time_format_iso8601(t);

	/* nothing kept: nothing to do */
	g_assert_cmpint(lw_sink_retry(h.sink, state, now, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);

	GError *err = NULL;
	for (int i = 1; i <= 3; i++) {
		g_autofree char *id = g_strdup_printf("block-%d", i);
		struct lw_alert *a = sample_alert(id);
		g_free(a->fetched);
		a->fetched = g_strdup(i == 1 ? "2023-02-14T18:32:05Z" : fresh);  /* 1: long ago */
		g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, -1);
		g_clear_error(&err);
		g_assert_cmpint(lw_sink_keep(h.sink, state, a, now, &err), ==, 0);
		g_assert_no_error(err);
		lw_alert_free(a);
	}
	g_autofree char *queue = g_build_filename(state, "retry", "hook", "outbox.jsonl", NULL);
	g_assert_true(g_file_test(queue, G_FILE_TEST_EXISTS));

	/* not due before LW_SINK_RETRY_MIN */
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + LW_SINK_RETRY_MIN - 1, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);
	/* due, still down: the old one is dropped, two kept, the wait doubles */
	now += LW_SINK_RETRY_MIN;
	g_assert_cmpint(lw_sink_retry(h.sink, state, now, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 2);
	g_assert_cmpstr(errors->pdata[0], ==, "sink 'hook': gave up on 1 alert fetched more than 24 h ago");
	g_assert_nonnull(strstr(errors->pdata[1], "exited with status 1: down; 2 alerts kept, next try in 60 s"));
	g_ptr_array_set_size(errors, 0);
	now += LW_SINK_RETRY_MIN;
	g_assert_cmpint(lw_sink_retry(h.sink, state, now, errors), ==, 0);
	g_assert_nonnull(strstr(errors->pdata[0], "2 alerts kept, next try in 120 s"));
	g_ptr_array_set_size(errors, 0);
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + 119, errors), ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);

	/* back up: a new alert goes through and ends the wait; the kept ones
	 * follow at the next retry, in order, once */
	g_assert_cmpint(g_unlink(down), ==, 0);
	struct lw_alert *a = sample_alert("block-4");
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	lw_alert_free(a);
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + 1, errors), ==, 2);
	g_assert_cmpuint(errors->len, ==, 0);
	g_autofree char *got = hook_file(&h, "got");
	g_assert_cmpstr(got, ==, "block-4\nblock-2\nblock-3\n");
	g_assert_false(g_file_test(queue, G_FILE_TEST_EXISTS));
	g_assert_cmpint(lw_sink_retry(h.sink, state, now + 10000, errors), ==, 0);

	/* file sinks retry too (a full disk, a folder gone for a while);
	 * desktop sinks do not */
	g_autofree char *path = g_build_filename(h.dir, "alerts.jsonl", NULL);
	struct lw_sink *f = file_sink("c.ini", "f", path);
	g_assert_true(lw_sink_retries(f));
	lw_sink_free(f);
	struct lw_sink *d = lw_sink_new_default_desktop();
	g_assert_false(lw_sink_retries(d));
	lw_sink_free(d);
	hook_clear(&h);
}

/* Holding: a hook that hangs (while "hang" exists) times out once; the
 * alerts after it are not tried until the retry, and go behind the kept
 * one, in order.  A hook that fails fast is not held: each new alert is
 * tried. */
static void test_sink_hold(void)
{
	struct hook h;
	hook_init(&h, "d=$(dirname \"$0\"); [ -e \"$d/hang\" ] && exec sleep 30\n"
		      "[ -e \"$d/down\" ] && exit 1\n"
		      "sed -n 's/.*\"entry\":\"\\([^\"]*\\)\".*/\\1/p' >> \"$d/got\"", NULL, 1);
	g_autofree char *state = g_build_filename(h.dir, "state", NULL);
	g_autofree char *hang = g_build_filename(h.dir, "hang", NULL);
	g_autofree char *down = g_build_filename(h.dir, "down", NULL);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	GError *err = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	/* fails fast: not holding */
	g_assert_true(g_file_set_contents(down, "", 0, NULL));
	struct lw_alert *a = sample_alert("block-1");
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, -1);
	g_clear_error(&err);
	g_assert_cmpint(lw_sink_keep(h.sink, state, a, now, &err), ==, 0);
	g_assert_false(lw_sink_holding(h.sink, now));
	g_assert_cmpint(g_unlink(down), ==, 0);

	/* hangs: a timeout, and holding until the retry */
	g_assert_true(g_file_set_contents(hang, "", 0, NULL));
	struct lw_alert *b = sample_alert("block-2");
	g_assert_cmpint(lw_sink_deliver(h.sink, b, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "timed out after 1 s"));
	g_clear_error(&err);
	g_assert_cmpint(lw_sink_keep(h.sink, state, b, now, &err), ==, 0);
	gint64 due = lw_sink_retry_at(h.sink);
	g_assert_cmpint(due, ==, now + LW_SINK_RETRY_MIN);
	g_assert_true(lw_sink_holding(h.sink, now));
	g_assert_true(lw_sink_holding(h.sink, due - 1));
	g_assert_false(lw_sink_holding(h.sink, due));
	struct lw_alert *c = sample_alert("block-3");
	g_assert_cmpint(lw_sink_hold(h.sink, state, c, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint(lw_sink_retry_at(h.sink), ==, due);   /* the retry does not move */

	/* back: the retry delivers all three, in order, and holding ends */
	g_assert_cmpint(g_unlink(hang), ==, 0);
	g_assert_cmpint(lw_sink_retry(h.sink, state, due, errors), ==, 3);
	g_assert_cmpuint(errors->len, ==, 0);
	g_autofree char *got = hook_file(&h, "got");
	g_assert_cmpstr(got, ==, "block-1\nblock-2\nblock-3\n");
	g_assert_false(lw_sink_holding(h.sink, due));
	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
	hook_clear(&h);
}

static void test_exec_sink_failures(void)
{
	struct lw_alert *a = sample_alert("block-2");
	struct hook h;

	hook_init(&h, "echo 'first line' >&2\nprintf 'boom:\\tdisk \\033[31mfull\\n\\n' >&2\nexit 3",
		  NULL, 0);
	g_autofree char *q = g_shell_quote(h.script);
	g_autofree char *m1 = hook_fail(&h, a, 5000);
	g_autofree char *w1 = g_strdup_printf("sink 'hook': '%s' exited with status 3: "
					      "boom: disk  [31mfull", q);
	g_assert_cmpstr(m1, ==, w1);
	hook_clear(&h);

	hook_init(&h, "kill -9 $$", NULL, 0);
	g_autofree char *m2 = hook_fail(&h, a, 5000);
	g_assert_true(g_str_has_suffix(m2, "' killed by signal 9"));
	hook_clear(&h);

	/* Ignores SIGTERM (and so do its children): SIGKILL after the grace
	 * second; the background child dies with the group. */
	hook_init(&h, "trap '' TERM\necho $$ > \"$(dirname \"$0\")/pid\"\n"
		      "sleep 60 & echo $! > \"$(dirname \"$0\")/child\"\n"
		      "echo 'still busy' >&2\nwhile :; do sleep 0.05; done", NULL, 1);
	g_autofree char *m3 = hook_fail(&h, a, 4000);
	g_assert_true(g_str_has_suffix(m3, "' timed out after 1 s, killed: still busy"));
	g_autofree char *pid = hook_file(&h, "pid");
	expect_gone(pid);
	g_autofree char *child = hook_file(&h, "child");
	expect_gone(child);
	hook_clear(&h);

	/* In a batch, a timeout skips the rest of the batch at once; the
	 * next batch runs the hook again. */
	hook_init(&h, "echo run >> \"$(dirname \"$0\")/runs\"\nexec sleep 30", NULL, 1);
	lw_sink_begin_batch(h.sink);
	g_autofree char *b1 = hook_fail(&h, a, 3000);
	g_assert_true(g_str_has_suffix(b1, "' timed out after 1 s, killed"));
	g_autofree char *b2 = hook_fail(&h, a, 100);
	g_assert_true(g_str_has_suffix(b2, "' skipped for the rest of this poll after timing out"));
	g_assert_cmpint(lw_sink_end_batch(h.sink, NULL), ==, 0);
	g_autofree char *b3 = hook_fail(&h, a, 3000);
	g_assert_true(g_str_has_suffix(b3, "' timed out after 1 s, killed"));
	g_autofree char *runs = hook_file(&h, "runs");
	g_assert_cmpstr(runs, ==, "run\nrun\n");
	hook_clear(&h);

	/* Dies on SIGTERM but leaves a child holding stderr open: delivery
	 * must not wait for that child. */
	hook_init(&h, "sleep 30 >&2 &\nsleep 30", NULL, 1);
	g_autofree char *m4 = hook_fail(&h, a, 3500);
	g_assert_true(g_str_has_suffix(m4, "' timed out after 1 s, killed"));
	hook_clear(&h);

	/* Exits 0 at once while a child keeps stderr open: delivered. */
	hook_init(&h, "(sleep 5; echo late >&2) &\nexit 0", NULL, 10);
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpint((g_get_monotonic_time() - t0) / 1000, <, 3000);
	hook_clear(&h);

	/* The program disappears after the config was read. */
	hook_init(&h, "exit 0", NULL, 0);
	g_assert_cmpint(unlink(h.script), ==, 0);
	g_autofree char *m5 = hook_fail(&h, a, 1000);
	g_autofree char *q5 = g_shell_quote(h.script);
	g_autofree char *w5 = g_strdup_printf("sink 'hook': cannot run '%s': program '%s' not "
					      "found or not executable", q5, h.script);
	g_assert_cmpstr(m5, ==, w5);
	hook_clear(&h);

	/* Not a program the kernel can run. */
	hook_init(&h, "exit 0", NULL, 0);
	g_assert_true(g_file_set_contents(h.script, "\x7f" "ELF garbage", -1, NULL));
	g_autofree char *m6 = hook_fail(&h, a, 1000);
	g_assert_true(g_str_has_prefix(m6, "sink 'hook': cannot run '"));
	hook_clear(&h);
	lw_alert_free(a);
}

static void test_exec_sink_quick(void)
{
	/* A child that is gone (reaped by GLib's worker thread) before the
	 * sink looks at it: many times over, to meet the race. */
	struct lw_sink_config *c = make_cfg("c.ini", 1, "quick", "type", "exec", "command", "true",
					    NULL);
	g_autoptr(GError) err = NULL;
	struct lw_sink *s = lw_sink_new(c, &err);
	g_assert_no_error(err);
	struct lw_alert *a = sample_alert("block-q");
	for (int i = 0; i < 200; i++) {
		g_assert_cmpint(lw_sink_deliver(s, a, &err), ==, 0);
		g_assert_no_error(err);
	}
	lw_alert_free(a);
	lw_sink_free(s);
	free_cfg(c);
}

static void test_exec_sink_hostile(void)
{
	/* A 1 MB title (more than a pipe holds) to a child that closes its
	 * stdin without reading: no hang, no SIGPIPE for us, delivered. */
	struct lw_alert *a = sample_alert("block-3");
	g_free(a->title);
	a->title = g_strnfill(1 << 20, 'T');
	struct hook h;
	hook_init(&h, "exec 0<&-\nsleep 0.3\n"
		      "printf '%s' \"${#LIVEWATCH_TITLE}\" > \"$(dirname \"$0\")/len\"", NULL, 5);
	/* GIO ignores SIGPIPE process-wide once GSocket is used; the sink
	 * must not depend on that. */
	signal(SIGPIPE, SIG_DFL);
	GError *err = NULL;
	g_assert_cmpint(lw_sink_deliver(h.sink, a, &err), ==, 0);
	g_assert_no_error(err);
	g_autofree char *len = hook_file(&h, "len");
	g_assert_cmpstr(len, ==, "8192");
	hook_clear(&h);

	/* Floods stdout and stderr: the daemon keeps the tail only. */
	hook_init(&h, "head -c 50000000 /dev/zero\n"
		      "head -c 20000000 /dev/zero | tr '\\0' x >&2\n"
		      "echo >&2\necho 'last words' >&2\nexit 1", NULL, 20);
	g_autofree char *m = hook_fail(&h, a, 15000);
	g_assert_true(g_str_has_suffix(m, "' exited with status 1: last words"));
	hook_clear(&h);

	/* One long stderr line without a newline: cut for the message. */
	hook_init(&h, "head -c 100000 /dev/zero | tr '\\0' y >&2\nexit 2", NULL, 5);
	g_autofree char *m2 = hook_fail(&h, a, 5000);
	g_assert_cmpuint(strlen(m2), <, 1000);
	g_assert_true(g_str_has_suffix(m2, "yyyy"));
	hook_clear(&h);
	lw_alert_free(a);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sink/exec", test_exec_sink);
	g_test_add_func("/sink/exec-failures", test_exec_sink_failures);
	g_test_add_func("/sink/exec-quick", test_exec_sink_quick);
	g_test_add_func("/sink/exec-hostile", test_exec_sink_hostile);
	g_test_add_func("/sink/retry", test_sink_retry);
	g_test_add_func("/sink/hold", test_sink_hold);
	return g_test_run();
}
