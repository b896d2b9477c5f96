/* Durable file writes: the one way livewatch replaces a file it must not
 * lose or leave half-written (state, id indexes, the outbox), and appends
 * to one (the outbox, the file sink). */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* Replaces path with len bytes of text: writes PATH.tmp-XXXXXX, fsyncs it,
 * renames it over path and fsyncs the folder, so a crash leaves either the
 * old file or the new one (and at worst a stray .tmp- file, which
 * lw_gc_recover() removes).  Fails with LW_ERROR_STORE "cannot write
 * 'PATH': REASON", leaving path as it was. */
int lw_file_write_atomic(const char *path, const char *text, gsize len, GError **error);

/* Appends len bytes of text to path (created 0600 when missing) and
 * fsyncs it and its folder before returning, retrying short writes.  For
 * a file whose readers take whole lines and skip a torn last one (the
 * outbox): a crash may leave part of the text, never a reordered file.
 * Fails with LW_ERROR_STORE "cannot open|write 'PATH': REASON". */
int lw_file_append(const char *path, const char *text, gsize len, GError **error);

/* Appends text to fd (opened O_APPEND, and locked by the caller when
 * other processes append too) with a single write(), so that readers
 * (tail -f) and other appenders never see half of it: a short write is
 * a failure, not a retry, because the rest could land after someone
 * else's text, and the torn part is cut off again when the file is
 * still the size it had then (before: its size before the write, or -1
 * when unknown).  Then fsyncs fd; a pipe or a character device (which
 * cannot be synced) is not an error.  For the file sink's JSON lines.
 * -1 with errno set (ENOSPC for a short write). */
int lw_file_append_whole(int fd, const char *text, gsize len, off_t before);

/* Writes all of text to fd, retrying short writes (signals); with
 * O_APPEND the rest still lands at the end.  No fsync: for copies and
 * caches that a crash may lose.  -1 with errno set on failure. */
int lw_file_write_all(int fd, const char *text, gsize len);

/* fsyncs the file or folder at path (a file libgit2 wrote, say).  -1
 * with errno set when it cannot be opened or synced. */
int lw_file_sync(const char *path);

/* Makes a name created, renamed or removed in dir durable: fsyncs the
 * folder.  Best effort: some file systems refuse it. */
void lw_file_sync_dir(const char *dir);
