/* file.h: the durable writes. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "file.h"

static char *tmp_dir(void)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("lw-file-XXXXXX", &err);
	g_assert_no_error(err);
	return dir;
}

static char *slurp(const char *path)
{
	char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static guint count_files(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

static void test_atomic(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *path = g_build_filename(dir, "state.json", NULL);
	GError *err = NULL;
	g_assert_cmpint(lw_file_write_atomic(path, "one\n", 4, &err), ==, 0);
	g_assert_cmpint(lw_file_write_atomic(path, "two\n", 4, &err), ==, 0);
	g_assert_no_error(err);
	g_autofree char *text = slurp(path);
	g_assert_cmpstr(text, ==, "two\n");
	g_assert_cmpuint(count_files(dir), ==, 1);   /* no .tmp- left */

	/* a folder that is not there: an error naming the file, nothing made */
	g_autofree char *bad = g_build_filename(dir, "nope", "x.json", NULL);
	g_assert_cmpint(lw_file_write_atomic(bad, "x", 1, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, bad));
	g_clear_error(&err);
	g_unlink(path);
	g_rmdir(dir);
}

static void test_append(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *path = g_build_filename(dir, "outbox.jsonl", NULL);
	GError *err = NULL;
	g_assert_cmpint(lw_file_append(path, "a\n", 2, &err), ==, 0);
	g_assert_cmpint(lw_file_append(path, "b\n", 2, &err), ==, 0);
	g_assert_no_error(err);
	g_autofree char *text = slurp(path);
	g_assert_cmpstr(text, ==, "a\nb\n");
	GStatBuf st;
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_unlink(path);
	g_rmdir(dir);
}

static void test_append_whole(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *path = g_build_filename(dir, "alerts.jsonl", NULL);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(lw_file_append_whole(fd, "0123456789", 10, 0), ==, 0);

	/* A write cut short (the file size limit stands in for a full disk):
	 * a failure, and the torn part is taken back. */
	struct rlimit old, small = { 15, 15 };
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
	small.rlim_max = old.rlim_max;
	void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
	int rc = lw_file_append_whole(fd, "abcdefghijklmnopqrst", 20, 10);
	int e = errno;
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, was);
	g_assert_cmpint(rc, ==, -1);
	g_assert_cmpint(e, ==, ENOSPC);
	close(fd);
	g_autofree char *text = slurp(path);
	g_assert_cmpstr(text, ==, "0123456789");

	/* a pipe and /dev/null cannot be synced, and that is fine */
	int p[2];
	g_assert_cmpint(pipe(p), ==, 0);
	g_assert_cmpint(lw_file_append_whole(p[1], "x\n", 2, -1), ==, 0);
	char buf[4] = "";
	g_assert_cmpint(read(p[0], buf, sizeof(buf)), ==, 2);
	close(p[0]);
	close(p[1]);
	int null = open("/dev/null", O_WRONLY | O_APPEND | O_CLOEXEC);
	g_assert_cmpint(lw_file_append_whole(null, "x\n", 2, -1), ==, 0);
	close(null);
	/* a full device is an error */
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full >= 0) {
		g_assert_cmpint(lw_file_append_whole(full, "x\n", 2, -1), ==, -1);
		g_assert_cmpint(errno, ==, ENOSPC);
		close(full);
	}
	g_unlink(path);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/file/atomic", test_atomic);
	g_test_add_func("/file/append", test_append);
	g_test_add_func("/file/append-whole", test_append_whole);
	return g_test_run();
}
