/* The file sink: one JSON line per alert appended to `path`, never one
 * whose id the file's recent lines already hold.
 *
 * The file is the user's, shared with tail -f, logrotate and other
 * livewatch processes, so the append is file.h's single-write one
 * (lw_file_append_whole: a short write fails rather than retrying, a torn
 * line is taken back, a pipe or /dev/null is not synced) under flock(). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "file.h"
#include "sink-private.h"

/* One line of the file's window, oldest first. */
struct seen {
	char *id;       /* NULL for a line that is not an alert */
	gsize len;      /* bytes, newline included */
};

struct file_sink {
	char *path;     /* absolute */
	/* What the sink knows of the file: the ids of its last
	 * LW_FILE_SINK_WINDOW bytes, up to `end`.  known is false until the
	 * first delivery reads the tail, and again after a failure. */
	bool known;
	dev_t dev;
	ino_t ino;
	off_t end;
	GQueue lines;          /* struct seen * */
	gsize bytes;           /* sum of their len */
	GHashTable *ids;       /* id -> number of lines holding it */
};

struct file_opts {
	char *path;
};

static const struct lw_value_key file_keys[] = {
	{ .key = "path", .type = LW_VALUE_PATH, LW_VALUE_AT(struct file_opts, path) },
	{ NULL },
};

static int file_setup(struct lw_sink *s, const struct lw_sink_config *cfg, GError **error)
{
	struct file_opts o = { NULL };
	if (lw_sink_cfg_read(cfg, file_keys, &o, error) < 0)
		return -1;
	if (!o.path) {
		lw_sink_cfg_error(error, cfg, "path", "type file needs 'path = FILE'");
		return -1;
	}
	/* the file and its folder may come later (the first delivery makes
	 * them), but the nearest folder that exists must be able to take them */
	g_autofree char *dir = g_path_get_dirname(o.path);
	while (!g_file_test(dir, G_FILE_TEST_EXISTS)) {
		char *up = g_path_get_dirname(dir);
		g_free(dir);
		dir = up;
	}
	const char *why = !g_file_test(dir, G_FILE_TEST_IS_DIR) ? "is not a folder" :
	                  access(dir, W_OK | X_OK) < 0 ? g_strerror(errno) : NULL;
	if (why) {
		lw_sink_cfg_error(error, cfg, "path", "cannot write '%s': '%s' %s%s", o.path, dir,
		                  g_file_test(dir, G_FILE_TEST_IS_DIR) ? "is not writable: " : "",
		                  why);
		g_free(o.path);
		return -1;
	}
	struct file_sink *f = g_new0(struct file_sink, 1);
	g_queue_init(&f->lines);
	f->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	f->path = o.path;
	s->priv = f;
	return 0;
}

static void seen_free(struct seen *l)
{
	g_free(l->id);
	g_free(l);
}

static void forget_first(struct file_sink *f)
{
	struct seen *l = g_queue_pop_head(&f->lines);
	f->bytes -= l->len;
	if (l->id) {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(f->ids, l->id));
		if (n > 1)
			g_hash_table_insert(f->ids, g_strdup(l->id), GUINT_TO_POINTER(n - 1));
		else
			g_hash_table_remove(f->ids, l->id);
	}
	seen_free(l);
}

static void forget_all(struct file_sink *f)
{
	while (!g_queue_is_empty(&f->lines))
		forget_first(f);
	f->known = false;
}

/* Takes id (may be NULL); the oldest lines go once the window is full,
 * the newest always stays. */
static void remember(struct file_sink *f, char *id, gsize len)
{
	struct seen *l = g_new0(struct seen, 1);
	l->id = id;
	l->len = len;
	g_queue_push_tail(&f->lines, l);
	f->bytes += len;
	if (id) {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(f->ids, id));
		g_hash_table_insert(f->ids, g_strdup(id), GUINT_TO_POINTER(n + 1));
	}
	while (f->bytes > LW_FILE_SINK_WINDOW && f->lines.length > 1)
		forget_first(f);
}

/* The id of one line of the file, or NULL when it is no alert.  Lines
 * this sink wrote begin {"id":"…", and an id holds no quote or
 * backslash (alert.h), so it is read without parsing the line (reading a
 * megabyte of alerts through a JSON parser costs more than a poll); a
 * line written before alerts had ids is parsed, and its id derived. */
static char *line_id(const char *line, gsize len)
{
	static const char head[] = "{\"id\":\"";
	if (len > sizeof(head) && !memcmp(line, head, sizeof(head) - 1)) {
		const char *id = line + sizeof(head) - 1, *end = line + len;
		const char *q = memchr(id, '"', (gsize)(end - id));
		if (q && q > id && !memchr(id, '\\', (gsize)(q - id)))
			return g_strndup(id, (gsize)(q - id));
	}
	if (len == 0 || *line != '{')
		return NULL;
	g_autofree char *copy = g_strndup(line, len);
	struct lw_alert *a = lw_alert_from_json(copy, NULL);
	char *id = a ? g_steal_pointer(&a->id) : NULL;
	lw_alert_free(a);
	return id;
}

/* Remembers the lines of [from, to) of the file.  A line cut by `from`
 * is skipped; so is a last line without its newline (a torn append
 * being made, or left by a crash: not an alert the file holds). */
static int read_lines(struct file_sink *f, int fd, off_t from, off_t to)
{
	/* one byte before, to see whether `from` starts a line */
	off_t at = from > 0 ? from - 1 : 0;
	gsize len = (gsize)(to - at);
	g_autofree char *buf = g_malloc(len + 1);
	gsize got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, at + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (gsize)n;
	}
	const char *p = buf, *end = buf + got;
	if (from > 0) {
		const char *nl = memchr(buf, '\n', got);
		p = nl ? nl + 1 : end;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		if (!nl)
			break;
		/* lines that are no alert still take their room in the window */
		char *id = line_id(p, (gsize)(nl - p));
		remember(f, id, (gsize)(nl + 1 - p));
		p = nl + 1;
	}
	return 0;
}

/* Brings what the sink knows up to the file's end: its tail the first
 * time (or when it is another file now, or shorter: rotated, truncated),
 * else what others appended since.  Called with the file locked. */
static void catch_up(struct file_sink *f, int fd, const struct stat *st)
{
	off_t size = st->st_size;
	if (!f->known || st->st_dev != f->dev || st->st_ino != f->ino || size < f->end ||
	    size - f->end > (off_t)LW_FILE_SINK_WINDOW) {
		forget_all(f);
		f->end = MAX(size - (off_t)LW_FILE_SINK_WINDOW, 0);
	}
	if (size > f->end && read_lines(f, fd, f->end, size) < 0) {
		/* unreadable: append without looking, try again next time */
		forget_all(f);
		return;
	}
	f->known = true;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->end = size;
}

static void file_free(void *priv)
{
	struct file_sink *f = priv;
	forget_all(f);
	g_hash_table_unref(f->ids);
	g_free(f->path);
	g_free(f);
}

static int file_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	struct file_sink *f = s->priv;
	g_autofree char *id = lw_alert_id(a);
	g_autofree char *json = lw_alert_to_json(a);
	g_autofree char *line = g_strconcat(json, "\n", NULL);
	gsize len = strlen(line);
	const char *what = "open";
	int err = 0;

	/* Opened per alert: alerts are rare, and a rotated file (logrotate)
	 * is picked up without a reload.  Read and write, to look for the id;
	 * a file we may only write to is still written to. */
	int flags = O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY;
	int fd = open(f->path, O_RDWR | flags, 0644);
	if (fd < 0 && errno == ENOENT) {
		/* its folder, as a first poll creates the repository's */
		g_autofree char *dir = g_path_get_dirname(f->path);
		if (g_mkdir_with_parents(dir, 0755) == 0)
			fd = open(f->path, O_RDWR | flags, 0644);
	}
	bool readable = fd >= 0;
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(f->path, O_WRONLY | flags, 0644);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	struct stat st;
	off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
	/* Only a regular file can hold ids; a pipe or /dev/null is written. */
	if (before >= 0 && S_ISREG(st.st_mode)) {
		/* Other livewatch processes (a reload's old sink, a `poll`
		 * beside the daemon's last deliveries) wait while this one
		 * looks and appends, so neither appends the other's twin. */
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
		if (readable && fstat(fd, &st) == 0) {
			before = st.st_size;
			catch_up(f, fd, &st);
		} else {
			forget_all(f);
		}
		if (f->known && g_hash_table_contains(f->ids, id)) {
			close(fd);
			return 0;
		}
	}
	what = "write";
	if (lw_file_append_whole(fd, line, len, before) < 0) {
		err = errno;
		close(fd);
		goto fail;
	}
	if (f->known && before == f->end) {
		remember(f, g_steal_pointer(&id), len);
		f->end += (off_t)len;
	}
	if (close(fd) < 0) {
		err = errno;
		goto fail;
	}
	/* A file this append created must be in its folder after a crash. */
	if (before == 0) {
		g_autofree char *dir = g_path_get_dirname(f->path);
		lw_file_sync_dir(dir);
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
	/* a full disk, a folder unmounted for a while: the alert waits */
	.retry = true,
};
