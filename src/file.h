/* Durable file writes: the one way livewatch replaces a file it must not
 * lose or leave half-written (state, id indexes). */
#pragma once

#include <glib.h>

/* Replaces path with len bytes of text: writes PATH.tmp-XXXXXX, fsyncs it,
 * renames it over path and fsyncs the folder, so a crash leaves either the
 * old file or the new one (and at worst a stray .tmp- file, which
 * lw_gc_recover() removes).  Fails with LW_ERROR_STORE "cannot write
 * 'PATH': REASON", leaving path as it was. */
int lw_file_write_atomic(const char *path, const char *text, gsize len, GError **error);
