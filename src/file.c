/* Durable file writes (file.h). */
#include "file.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

int lw_file_write_atomic(const char *path, const char *text, gsize len, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path, g_strerror(errno));
		return -1;
	}
	gsize done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto err;
		done += (gsize)w;
	}
	if (fsync(fd) < 0)
		goto err;
	if (close(fd) < 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (g_rename(tmp, path) < 0)
		goto err;
	/* the rename itself must reach the disk too */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
err:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	g_unlink(tmp);
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path, g_strerror(e));
	return -1;
}
