/* What the parts of gc share (gc.c, gc-recover.c, gc-inventory.c); not
 * for use outside them. */
#pragma once

#include <git2.h>
#include <stdbool.h>
#include "gc.h"

/* The busy marker's file: STATE/busy (newly allocated). */
char *gc_busy_path(const char *state_dir);
/* True while this process holds the busy marker of state_dir. */
bool gc_busy_held_here(const char *state_dir);

/* The repository as people name it: the folder holding .git (newly allocated). */
char *gc_repo_name(const char *git_dir);
/* Removes a file or a whole folder; 0 on success. */
int gc_remove_tree(const char *path);

struct inventory {
	GArray *loose;       /* git_oid */
	GPtrArray *packs;    /* char *: pack-<hex> stems (full paths, no suffix), without .keep */
	GPtrArray *small;    /* the same for small packs (LW_GC_SMALL_OBJECTS), not in packs; an
	                        incremental run moves the packs it merges too here */
	GArray *in_small;    /* git_oid: the objects of the small packs, when listed */
	guint kept;          /* packs with a .keep: never repacked or deleted */
	guint64 bytes;       /* loose objects and every pack file */
};

void gc_inventory_clear(struct inventory *inv);
/* How many objects a pack's .idx (version 2) lists; G_MAXUINT when it
 * cannot be read. */
guint gc_idx_objects(const char *idx);
/* Whether a .pack holds its objects stored, as the store writes them
 * (gc-inventory.c): such a pack is packed again like a small one. */
bool gc_pack_stored(const char *pack);
/* Every loose object and pack of git_dir/objects into inv (zeroed or cleared). */
void gc_take_inventory(const char *git_dir, struct inventory *inv);
/* Which other packs an incremental run merges: moves them from
 * inv->packs to inv->small, geometrically (gc-inventory.c says how),
 * the small packs up to max_objects and the whole merge up to
 * max_copied (0: no bound), which may also leave some small packs out;
 * crowded takes the smallest that fit, geometric or not.
 * Returns how many of inv->small are small packs; the packs taken
 * follow them (gc.c merges those by copying). */
guint gc_take_geometric(struct inventory *inv, guint64 max_objects, guint64 max_copied,
			bool crowded);
