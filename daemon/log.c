#include "log.h"

#include <stdio.h>
#include <unistd.h>

static enum lw_log_level max_level = LW_LOG_INFO;
static int journal = -1;
static bool timestamps;

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
	if (journal < 0)
		journal = g_getenv("JOURNAL_STREAM") != NULL;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (journal) {
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
