/* The daemon's memory (memory.h). */
#include "memory.h"

#include <git2.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

void lw_memory_init(void)
{
#ifdef __GLIBC__
	/* Each thread that allocates while another holds the lock gets an
	 * arena of its own (up to 8 per core), and an arena keeps what it
	 * grew to.  The packing thread alone would keep a merge's peak. */
	mallopt(M_ARENA_MAX, 2);
#endif
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)LW_MEMORY_GIT_CACHE);
}

void lw_memory_trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
