/* A pack and its index, written straight from objects held in memory.
 *
 * For the store's one pack a commit (store-pack.c): a handful of new
 * objects whose ids are already known.  libgit2's packbuilder would
 * search them for deltas and its indexer would inflate and hash every
 * object again; here each object is stored (deflate level 0), whole, and the
 * index is written from the ids given.  gc.c later merges these packs
 * with delta compression.
 *
 * Formats: git's pack version 2 and .idx version 2 (gitformat-pack(5)). */
#pragma once

#include <git2.h>
#include <glib.h>

/* git_oid keys in GLib hash tables (the packers' and gc's object sets):
 * the hash is the id's first four bytes, already uniform. */
guint lw_oid_hash(gconstpointer id);
gboolean lw_oid_equal(gconstpointer a, gconstpointer b);

struct lw_pack_object {
	git_oid id;          /* the object's id, trusted: not hashed again */
	git_object_t type;   /* commit, tree, blob or tag */
	const void *data;
	size_t len;
	/* lw_pack_write_delta(): 1 + the index of an earlier object of the
	 * same array this one may be written as a delta of; 0: none */
	size_t base;
};

/* Writes the n objects (ids distinct) to DIR/pack-NAME.pack and
 * DIR/pack-NAME.idx, NAME being the pack's SHA-1 trailer in hex, which
 * goes to name.  Each file is written under a temporary name
 * (tmp_pack_*, tmp_idx_*, which gc's recovery removes), fsynced, made
 * read-only and renamed, the pack before its index; then DIR is
 * fsynced.  So a reader that finds the .idx finds the whole pack, and a
 * crash leaves at worst a temporary file.  Fails with LW_ERROR_STORE
 * naming the file, leaving no final name behind. */
int lw_pack_write(const char *dir, const struct lw_pack_object *objs, size_t n,
		  char name[GIT_OID_HEXSZ + 1], GError **error);

/* As lw_pack_write(), deflated at `level` (zlib's), and each object
 * that names a base written as an offset delta of it when that is less
 * than half its size: the delta copies what the two share at their
 * start and at their end and inserts the rest (a tree with one name
 * added or changed, a page list with a line added, a post edited in one
 * place), with no search. */
/* Where lw_pack_write_delta() finds the objects' bytes when they are not
 * all in memory (objs[i].data unused): get() gives object i's (len as in
 * objs[i]), NULL when it cannot; put() says they are not needed until
 * the next get().  A NULL reader: objs[i].data. */
struct lw_pack_reader {
	const void *(*get)(void *ctx, size_t i);
	void (*put)(void *ctx, size_t i);
	void *ctx;
};
int lw_pack_write_delta(const char *dir, const struct lw_pack_object *objs, size_t n, int level,
			const struct lw_pack_reader *r, char name[GIT_OID_HEXSZ + 1], GError **error);

/* Packs again, as one pack with deltas, packs whose objects are all
 * stored whole (the store's: lw_pack_write()).  Each object's base is its
 * previous version at the same path: the commits in the packs are
 * followed from parent to child and each one's tree compared with its
 * parent's, name by name, as far as both are in the packs; objects
 * without one are written whole.  Every object is inflated and hashed
 * (a damaged pack is an error naming it, and nothing is written), and
 * deltas are at most LW_PACK_DELTA_DEPTH deep.  Returns 0 with the new
 * pack's name; 1, writing nothing, when a pack holds a delta or is not
 * one this can read (pack them with libgit2 instead); -1 with
 * LW_ERROR_STORE. */
#define LW_PACK_DELTA_DEPTH 50
int lw_pack_repack_stored(const char *dir, char *const *stems, guint n,
			  char name[GIT_OID_HEXSZ + 1], GError **error);

/* Merges whole packs into one by copying their entries: no object is
 * inflated, deflated or searched for deltas again (libgit2's packbuilder
 * does all three for every object it packs).  Each pack's entries are
 * copied in their order, so an offset delta finds its base at the same
 * distance back and a ref delta its base in the same new pack; every
 * entry's bytes are checked against the CRC its .idx holds, which the
 * new .idx keeps.  stems: the n packs' paths without ".pack" / ".idx".
 * The new pack is written as lw_pack_write() writes one (temporary
 * names, synced, the pack before its index, then DIR), its name in name.
 * Returns 0; 1, writing nothing, when two of the packs hold the same
 * object (a pack cannot hold one twice: pack them with libgit2 instead);
 * -1 with LW_ERROR_STORE naming a pack that is unreadable or damaged, or
 * the file that could not be written. */
int lw_pack_merge(const char *dir, char *const *stems, guint n, char name[GIT_OID_HEXSZ + 1],
		  GError **error);
