/* The file sink: one JSON line per alert appended to `path`. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "sink-private.h"

struct file_sink {
	char *path;     /* absolute */
};

static const char *const file_keys[] = { "path", NULL };

static int file_setup(struct lw_sink *s, const struct lw_sink_config *cfg, GError **error)
{
	const char *path = lw_sink_cfg_get(cfg, "path");
	if (!path || !*path) {
		lw_sink_cfg_error(error, cfg, "path", "type file needs 'path = FILE'");
		return -1;
	}
	struct file_sink *f = g_new0(struct file_sink, 1);
	if (path[0] == '~' && (path[1] == '/' || !path[1])) {
		f->path = g_build_filename(g_get_home_dir(), path + 1, NULL);
	} else if (g_path_is_absolute(path)) {
		f->path = g_canonicalize_filename(path, NULL);
	} else {
		/* Like the config's other relative paths: from its folder. */
		g_autofree char *dir = cfg->sec.file ? g_path_get_dirname(cfg->sec.file) : NULL;
		f->path = g_canonicalize_filename(path, dir);
	}
	s->priv = f;
	return 0;
}

static void file_free(void *priv)
{
	struct file_sink *f = priv;
	g_free(f->path);
	g_free(f);
}

static int file_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	struct file_sink *f = s->priv;
	g_autofree char *json = lw_alert_to_json(a);
	g_autofree char *line = g_strconcat(json, "\n", NULL);
	gsize len = strlen(line);
	const char *what = "open";
	int err = 0;

	/* Opened per alert: alerts are rare, and a rotated file (logrotate)
	 * is picked up without a reload. */
	int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	struct stat st;
	off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
	what = "write";
	/* One write() so that readers (tail -f) and other appenders never see
	 * half a line; a short write is a failure, not a retry, because the
	 * retried rest could land after someone else's line. */
	ssize_t n;
	do {
		n = write(fd, line, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (gsize)n != len) {
		err = n < 0 ? errno : ENOSPC;
		/* Take a torn line back when nobody appended after it. */
		if (n > 0 && before >= 0 && fstat(fd, &st) == 0 && st.st_size == before + n)
			(void)!ftruncate(fd, before);
		close(fd);
		goto fail;
	}
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
		/* EINVAL: a pipe or a character device such as /dev/null. */
		err = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		err = errno;
		goto fail;
	}
	return 0;
fail:
	g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': cannot %s '%s': %s", s->name,
		    what, f->path, g_strerror(err));
	return -1;
}

const struct lw_sink_ops lw_sink_file_ops = {
	.type = "file",
	.keys = file_keys,
	.setup = file_setup,
	.deliver = file_deliver,
	.free_priv = file_free,
};
