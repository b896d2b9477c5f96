/* The daemon's memory: what bounds it besides the library's own caps.
 *
 * `livewatch run` is meant to stay small for months (issue 9: under
 * 30 MB with 100 blogs, under 50 MB with 1,000), so what it holds must
 * follow the blogs it polls, not how long it has run.  The library caps
 * what it buffers (caps.h) and what libgit2 caches for any command
 * (lw_store_open); the daemon also decides how glibc's allocator keeps
 * memory it was given back, and keeps libgit2's object cache smaller
 * than a one-shot command would.  Loop thread only. */
#pragma once

/* libgit2's object cache for the daemon, in bytes (lw_store_open sets
 * 8 MB).  The cache counts an object's raw size, not what a parsed
 * tree or a small object costs: with 8 MB heaptrack found 7.7-9.3 MB
 * live in libgit2, with 2 MB 5 MB.  What it saves is small here: a tree
 * that is not cached is read again from a pack the store wrote seconds
 * ago, stored, and parsed in microseconds. */
#define LW_MEMORY_GIT_CACHE (1024 * 1024)
/* Pack file windows libgit2 keeps mapped (lw_store_open: 8 MB, in 1 MB
 * windows); unused ones are unmapped past this. */
#define LW_MEMORY_GIT_MAPPED (4 * 1024 * 1024)

/* Call once, after the store is open and before other threads start:
 * at most two malloc arenas (the loop's, and one every other thread
 * shares: packing, deliveries), a fixed mmap threshold, and libgit2's
 * object cache and pack windows at LW_MEMORY_GIT_CACHE and
 * LW_MEMORY_GIT_MAPPED. */
void lw_memory_init(void);

/* Gives memory freed since the last call back to the system (glibc
 * keeps freed pages of its heaps otherwise).  A few milliseconds: call
 * it after something big was freed (a packing, git's index), not after
 * every poll. */
void lw_memory_trim(void);
