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
	/* glibc raises its mmap threshold to the largest block freed (up
	 * to 32 MB), after which a page or a pack buffer comes from the
	 * heap and pins it; fixed, such blocks go back when freed. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)LW_MEMORY_GIT_CACHE);
	/* pack windows mapped at once: they count in RSS as they are read */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)LW_MEMORY_GIT_MAPPED);
}

void lw_memory_trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
