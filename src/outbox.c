/* Durable queues of alerts (outbox.h): the alert outbox and every
 * retrying sink's kept alerts are the same file format and the same code. */
#include "outbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "error.h"
#include "file.h"

/* One process may append (the poll) while another thread removes (the
 * daemon's deliveries): every outbox operation holds this lock. */
static GMutex outbox_lock;

static void set_errno_error(GError **error, int err, const char *what, const char *path)
{
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot %s '%s': %s", what, path,
		    g_strerror(err));
}

int lw_outbox_append(const char *dir, GPtrArray *alerts, GError **error)
{
	if (!alerts || alerts->len == 0)
		return 0;
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *path = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autoptr(GString) buf = g_string_new(NULL);
	for (guint i = 0; i < alerts->len; i++) {
		g_autofree char *line = lw_alert_to_json(g_ptr_array_index(alerts, i));
		g_string_append(buf, line);
		g_string_append_c(buf, '\n');
	}
	return lw_file_append(path, buf->str, buf->len, error);
}

/* Reads path (missing: *out = NULL, returns 0), capped. */
static int read_capped(const char *path, char **out, gsize *len, GError **error)
{
	*out = NULL;
	*len = 0;
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		set_errno_error(error, errno, "read", path);
		return -1;
	}
	if (st.st_size > (off_t)LW_OUTBOX_MAX_BYTES) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG,
			    "outbox '%s' is larger than %u MB; left as it is", path,
			    LW_OUTBOX_MAX_BYTES >> 20);
		return -1;
	}
	g_autoptr(GError) gerr = NULL;
	if (!g_file_get_contents(path, out, len, &gerr)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s", gerr->message);
		return -1;
	}
	return 0;
}

static void parse_lines(const char *path, const char *data, gsize len, GPtrArray *alerts,
			GString *rejected, GPtrArray *warnings)
{
	const char *p = data, *end = data + len;
	int lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *eol = nl ? nl : end;
		const char *start = p;
		gsize n = (gsize)(eol - p);
		lineno++;
		g_autofree char *line = g_strndup(p, n);
		p = nl ? nl + 1 : end;
		if (n == 0 || strspn(line, " \t\r") == n)
			continue;
		g_autoptr(GError) err = NULL;
		struct lw_alert *a = NULL;
		if (n > LW_OUTBOX_MAX_LINE || strlen(line) != n)
			g_set_error(&err, LW_ERROR, LW_ERROR_TOO_BIG, "line too long or binary");
		else
			a = lw_alert_from_json(line, &err);
		if (a) {
			g_ptr_array_add(alerts, a);
			continue;
		}
		g_string_append_len(rejected, start, (gssize)n);
		g_string_append_c(rejected, '\n');
		const char *msg = err->message;
		if (g_str_has_prefix(msg, "alert json: "))
			msg += strlen("alert json: ");
		g_ptr_array_add(warnings, g_strdup_printf("%s:%d: %s; moved to outbox.rejected",
							  path, lineno, msg));
	}
}

GPtrArray *lw_outbox_claim(const char *dir, GPtrArray *warnings, GError **error)
{
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *path = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autofree char *taking = g_build_filename(dir, "outbox.taking", NULL);
	g_autofree char *rejected_path = g_build_filename(dir, "outbox.rejected", NULL);

	/* Move the outbox aside.  A .taking left by a crashed take is kept
	 * and the outbox appended to it, so neither is lost; the worst a crash
	 * here does is return some alerts twice. */
	bool merged = g_file_test(taking, G_FILE_TEST_EXISTS);
	if (merged) {
		g_autofree char *data = NULL;
		gsize len;
		if (read_capped(path, &data, &len, error) < 0)
			return NULL;
		if (data) {
			if (len > 0 && lw_file_append(taking, data, len, error) < 0)
				return NULL;
			if (unlink(path) < 0 && errno != ENOENT) {
				set_errno_error(error, errno, "remove", path);
				return NULL;
			}
		}
	} else if (rename(path, taking) < 0) {
		if (errno != ENOENT) {
			set_errno_error(error, errno, "rename", path);
			return NULL;
		}
	} else {
		lw_file_sync_dir(dir);
	}

	g_autofree char *data = NULL;
	gsize len;
	if (read_capped(taking, &data, &len, error) < 0)
		return NULL;

	GPtrArray *alerts = g_ptr_array_new_with_free_func((GDestroyNotify)lw_alert_free);
	g_autoptr(GString) rejected = g_string_new(NULL);
	g_autoptr(GPtrArray) warn = g_ptr_array_new_with_free_func(g_free);
	if (data)
		parse_lines(merged ? taking : path, data, len, alerts, rejected, warn);
	if (rejected->len > 0 &&
	    lw_file_append(rejected_path, rejected->str, rejected->len, error) < 0) {
		g_ptr_array_unref(alerts);
		return NULL;
	}
	for (guint i = 0; warnings && i < warn->len; i++)
		g_ptr_array_add(warnings, g_steal_pointer(&warn->pdata[i]));
	return alerts;
}

int lw_outbox_done(const char *dir, GError **error)
{
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *taking = g_build_filename(dir, "outbox.taking", NULL);
	if (unlink(taking) < 0 && errno != ENOENT) {
		set_errno_error(error, errno, "remove", taking);
		return -1;
	}
	lw_file_sync_dir(dir);
	return 0;
}

int lw_outbox_remove(const char *dir, GPtrArray *alerts, GError **error)
{
	if (!alerts || alerts->len == 0)
		return 0;
	g_autoptr(GMutexLocker) locked = g_mutex_locker_new(&outbox_lock);
	g_autofree char *path = g_build_filename(dir, "outbox.jsonl", NULL);
	g_autofree char *data = NULL;
	gsize len;
	if (read_capped(path, &data, &len, error) < 0)
		return -1;
	if (!data)
		return 0;

	/* line -> how many copies of it to remove */
	g_autoptr(GHashTable) gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < alerts->len; i++) {
		char *line = lw_alert_to_json(alerts->pdata[i]);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(gone, line));
		g_hash_table_replace(gone, line, GUINT_TO_POINTER(n + 1));
	}
	g_autoptr(GString) rest = g_string_sized_new(len);
	gboolean changed = FALSE;
	for (const char *p = data, *end = data + len; p < end;) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *eol = nl ? nl : end;
		g_autofree char *line = g_strndup(p, (gsize)(eol - p));
		gpointer key, count;
		if (g_hash_table_lookup_extended(gone, line, &key, &count)) {
			guint n = GPOINTER_TO_UINT(count);
			if (n > 1)
				g_hash_table_insert(gone, g_strdup(line), GUINT_TO_POINTER(n - 1));
			else
				g_hash_table_remove(gone, line);
			changed = TRUE;
		} else {
			/* other alerts, and lines we cannot read: kept verbatim */
			g_string_append_len(rest, p, (gssize)(eol - p));
			g_string_append_c(rest, '\n');
		}
		p = nl ? nl + 1 : end;
	}
	if (!changed)
		return 0;
	if (rest->len == 0) {
		if (unlink(path) < 0 && errno != ENOENT) {
			set_errno_error(error, errno, "remove", path);
			return -1;
		}
		lw_file_sync_dir(dir);
		return 0;
	}
	/* a crash leaves the old outbox or the new one, never a torn one */
	return lw_file_write_atomic(path, rest->str, rest->len, error);
}

GPtrArray *lw_outbox_take(const char *dir, GError **error)
{
	GPtrArray *alerts = lw_outbox_claim(dir, NULL, error);
	if (!alerts)
		return NULL;
	if (lw_outbox_done(dir, error) < 0) {
		g_ptr_array_unref(alerts);
		return NULL;
	}
	return alerts;
}
