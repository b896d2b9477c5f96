/* Durable file writes (file.h). */
#include "file.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

int lw_file_write_all(int fd, const char *text, gsize len)
{
	while (len > 0) {
		ssize_t w = write(fd, text, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		text += w;
		len -= (gsize)w;
	}
	return 0;
}

int lw_file_write_atomic(const char *path, const char *text, gsize len, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path, g_strerror(errno));
		return -1;
	}
	if (lw_file_write_all(fd, text, len) < 0 || fsync(fd) < 0)
		goto err;
	if (close(fd) < 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (g_rename(tmp, path) < 0)
		goto err;
	/* the rename itself must reach the disk too */
	lw_file_sync_dir(dir);
	return 0;
err:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	g_unlink(tmp);
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path, g_strerror(e));
	return -1;
}

int lw_file_sync(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

void lw_file_sync_dir(const char *dir)
{
	lw_file_sync(dir);
}

int lw_file_append(const char *path, const char *text, gsize len, GError **error)
{
	const char *what = "open";
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		goto err;
	what = "write";
	if (lw_file_write_all(fd, text, len) < 0 || fsync(fd) < 0)
		goto err;
	int rc = close(fd);
	fd = -1;
	if (rc < 0)
		goto err;
	char *dir = g_path_get_dirname(path);
	lw_file_sync_dir(dir);
	g_free(dir);
	return 0;
err:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot %s '%s': %s", what, path, g_strerror(e));
	return -1;
}

int lw_file_append_whole(int fd, const char *text, gsize len, off_t before)
{
	ssize_t n;
	do {
		n = write(fd, text, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (gsize)n != len) {
		int e = n < 0 ? errno : ENOSPC;
		struct stat st;
		if (n > 0 && before >= 0 && fstat(fd, &st) == 0 && st.st_size == before + n)
			(void)!ftruncate(fd, before);
		errno = e;
		return -1;
	}
	/* EINVAL: a pipe or a character device such as /dev/null. */
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}
