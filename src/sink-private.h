/* The interface between sink.c (generic sink handling) and the sink
 * implementations in sink-*.c.  Not installed, not for other modules. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include "sink.h"
#include "config.h"
#include "value.h"

struct lw_sink;

struct lw_sink_ops {
	const char *type;
	/* Keys the type accepts besides "type", with their types (value.h);
	 * ends with { NULL }. */
	const struct lw_value_key *keys;
	/* Reads the type's keys (cfg is NULL for the implicit desktop sink)
	 * and sets s->priv.  Errors: LW_ERROR_CONFIG "FILE:LINE: ...". */
	int (*setup)(struct lw_sink *s, const struct lw_sink_config *cfg, GError **error);
	int (*deliver)(struct lw_sink *s, const struct lw_alert *a, GError **error);
	/* Optional; NULL for sinks that do not coalesce. */
	void (*begin_batch)(struct lw_sink *s);
	int (*end_batch)(struct lw_sink *s, GError **error);
	void (*free_priv)(void *priv);
	/* Optional: whether the sink can deliver now, without delivering
	 * (lw_sink_probe). */
	int (*probe)(struct lw_sink *s, GError **error);
	/* A failed delivery is worth another try later (a server or a
	 * program that comes back): see lw_sink_keep(). */
	bool retry;
};

struct lw_sink {
	char *name;
	const struct lw_sink_ops *ops;
	void *priv;
	bool in_batch;
	gint64 retry_at;        /* unix seconds: kept alerts are not tried before */
	long retry_delay;       /* seconds, after a failed retry; 0 after a good one */
	long retry_after;       /* seconds the server asked for (Retry-After) with its
	                           last refusal, else 0: set by deliver() */
	bool timed_out;         /* the failure deliver() just reported was a timeout:
	                           set by deliver() */
	bool holding;           /* its last failure was a timeout: see lw_sink_holding() */
	GCancellable *cancel;   /* a delivery in progress stops when it is cancelled,
	                           failing with G_IO_ERROR_CANCELLED; or NULL */
};

extern const struct lw_sink_ops lw_sink_file_ops;
extern const struct lw_sink_ops lw_sink_desktop_ops;
extern const struct lw_sink_ops lw_sink_exec_ops;
extern const struct lw_sink_ops lw_sink_webhook_ops;

/* Value of key in the sink's section, or NULL (cfg may be NULL). */
const char *lw_sink_cfg_get(const struct lw_sink_config *cfg, const char *key);
/* Sets LW_ERROR_CONFIG "FILE:LINE: sink 'NAME': ..." at key's line (the
 * section header's line when key is NULL or absent). */
void lw_sink_cfg_error(GError **error, const struct lw_sink_config *cfg, const char *key,
		       const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Reads the section's keys that keys names into opts (value.h; a key
 * that is not set leaves its field alone; paths are taken from the config
 * file's folder): 0, or -1 with "FILE:LINE: sink 'NAME': 'KEY' must be
 * ..., not 'V'".  cfg may be NULL (nothing is read). */
int lw_sink_cfg_read(const struct lw_sink_config *cfg, const struct lw_value_key *keys,
		     void *opts, GError **error);
/* path as the config means it: lw_value_path() from the config file's
 * folder (cfg may be NULL: the current folder).  New string. */
char *lw_sink_cfg_path(const struct lw_sink_config *cfg, const char *path);

/* The desktop notification for an alert (exposed for tests): summary
 * "RULE · BLOG" (+ " (edited)" / " (restored)"), body the escaped title
 * and the snippet as body markup with the hit in <b></b>.  New strings. */
char *lw_sink_desktop_summary(const struct lw_alert *a);
char *lw_sink_desktop_body(const struct lw_alert *a);
