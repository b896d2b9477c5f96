/* git's index, brought up to date after the commits (store.h lw_store_flush). */
#include "store-private.h"
#include "error.h"
#include "file.h"
#include "gc.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- git's index ---- */

/* Adds "<blob id> <path>" to the index with the working tree file's stat
 * data, without reading the file: we wrote it, with that blob's bytes.
 * -1 when the line is damaged or the file is gone. */
static int index_add(struct lw_store *s, git_index *idx, const char *line)
{
	git_index_entry ie;
	struct stat st;
	memset(&ie, 0, sizeof(ie));
	if (strlen(line) < GIT_OID_HEXSZ + 2 || line[GIT_OID_HEXSZ] != ' ' ||
	    git_oid_fromstrn(&ie.id, line, GIT_OID_HEXSZ) < 0)
		return -1;
	const char *path = line + GIT_OID_HEXSZ + 1;
	g_autofree char *full = g_build_filename(s->path, path, NULL);
	if (lstat(full, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	ie.ctime.seconds = (int32_t)st.st_ctim.tv_sec;
	ie.ctime.nanoseconds = (uint32_t)st.st_ctim.tv_nsec;
	ie.mtime.seconds = (int32_t)st.st_mtim.tv_sec;
	ie.mtime.nanoseconds = (uint32_t)st.st_mtim.tv_nsec;
	ie.dev = (uint32_t)st.st_dev;
	ie.ino = (uint32_t)st.st_ino;
	ie.mode = GIT_FILEMODE_BLOB;
	ie.uid = st.st_uid;
	ie.gid = st.st_gid;
	ie.file_size = (uint32_t)st.st_size;
	ie.path = path;
	return git_index_add(idx, &ie);
}

int lw_store_flush(struct lw_store *s, bool force, GError **error)
{
	/* the batch of commits ends here: nothing is half-written now */
	store_busy_release(s);
	g_autofree char *p = store_pending_path(s);
	g_autofree char *text = NULL;
	gsize len;
	if (!g_file_test(p, G_FILE_TEST_EXISTS))
		return 0;
	if (!force) {
		/* a small index costs little to rewrite: at once; a big one
		 * (every file of a long history) at most once a minute */
		g_autofree char *ipath = g_build_filename(s->git_dir, "index", NULL);
		GStatBuf sb;
		if (g_stat(ipath, &sb) == 0 && sb.st_size > INDEX_SMALL &&
		    g_get_real_time() / G_USEC_PER_SEC - sb.st_mtime < INDEX_FLUSH_EVERY)
			return 0;
	}
	if (!g_file_get_contents(p, &text, &len, NULL))
		return 0;
	git_index *idx = NULL;
	int ret = -1;
	if (lw_gc_busy_begin(s->state_dir, error) < 0)
		return -1;
	/* its own handle on the index file, freed when done: the repository's
	 * would keep every file's entry in memory between flushes */
	g_autofree char *ipath = g_build_filename(s->git_dir, "index", NULL);
	if (git_index_open(&idx, ipath) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read git's index", s->path);
		goto out;
	}
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *path = *l + 1;
		if (!**l || !*path)
			continue;
		if (**l == '+') {
			if (index_add(s, idx, path) == 0)
				continue;
			const char *sp = strchr(path, ' ');
			path = sp ? sp + 1 : path;
		}
		git_index_remove_bypath(idx, path);   /* gone since (or never written) */
		git_error_clear();
	}
	g_strfreev(lines);
	if (git_index_write(idx) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write git's index", s->path);
		goto out;
	}
	g_unlink(p);
	ret = 0;
out:
	git_index_free(idx);
	lw_gc_busy_end(s->state_dir);
	return ret;
}
