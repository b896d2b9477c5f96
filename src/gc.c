/* Packing the history repository and recovering after a crash (gc.h). */
#include "gc.h"
#include "error.h"

#include <git2.h>

int lw_gc_busy_begin(const char *state_dir, GError **error)
{
	(void)state_dir;
	(void)error;
	return 0;
}

void lw_gc_busy_end(const char *state_dir)
{
	(void)state_dir;
}

int lw_gc_recover(const char *git_dir, const char *state_dir, guint wait_ms, bool *dirty,
		  GPtrArray *warnings, GError **error)
{
	(void)git_dir; (void)state_dir; (void)wait_ms; (void)dirty; (void)warnings; (void)error;
	return 0;
}

bool lw_gc_due(struct git_repository *repo, const char *git_dir)
{
	(void)repo; (void)git_dir;
	return false;
}

int lw_gc_run(struct git_repository *repo, const char *git_dir, const char *state_dir, bool full,
	      struct lw_gc_stats *stats, GError **error)
{
	(void)repo; (void)git_dir; (void)state_dir; (void)full; (void)error;
	if (stats)
		*stats = (struct lw_gc_stats){ 0 };
	return 0;
}
