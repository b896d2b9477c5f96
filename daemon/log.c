#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static enum lw_log_level max_level = LW_LOG_INFO;
static int journal = -1;
static bool timestamps;

/* As systemd.exec(5) says: $JOURNAL_STREAM is "DEVICE:INODE" of the
 * stream systemd connected, and stderr is the journal only while it is
 * still that file (a child whose stderr was redirected inherits the
 * variable, not the journal). */
bool lw_log_journal(void)
{
	if (journal >= 0)
		return journal;
	journal = 0;
	const char *v = g_getenv("JOURNAL_STREAM");
	struct stat st;
	if (!v || fstat(STDERR_FILENO, &st) < 0)
		return false;
	char *end;
	guint64 dev = g_ascii_strtoull(v, &end, 10);
	if (end == v || *end != ':')
		return false;
	const char *ino_text = end + 1;
	guint64 ino = g_ascii_strtoull(ino_text, &end, 10);
	if (end == ino_text || *end)
		return false;
	journal = dev == (guint64)st.st_dev && ino == (guint64)st.st_ino;
	return journal;
}

void lw_log_set_timestamps(bool on)
{
	timestamps = on;
}

void lw_log_set_level(enum lw_log_level max)
{
	max_level = max;
}

enum lw_log_level lw_log_get_level(void)
{
	return max_level;
}

void lw_log(enum lw_log_level level, const char *fmt, ...)
{
	if (level > max_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (lw_log_journal()) {
		fprintf(stderr, "<%d>%s\n", (int)level, msg);
	} else {
		const char *tag = level <= LW_LOG_ERROR ? "error: " :
		                  level == LW_LOG_WARNING ? "warning: " : "";
		char stamp[32] = "";
		if (timestamps) {
			g_autoptr(GDateTime) now = g_date_time_new_now_local();
			g_autofree char *t = g_date_time_format(now, "%Y-%m-%d %H:%M:%S ");
			g_strlcpy(stamp, t ? t : "", sizeof(stamp));
		}
		fprintf(stderr, "%s%s%s\n", stamp, tag, msg);
	}
	fflush(stderr);
}

void lw_log_lines(enum lw_log_level level, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		lw_log(level, "%s", *l);
}
