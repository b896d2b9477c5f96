/* A commit's objects written as one pack (store-private.h).
 *
 * libgit2 writes each new object as a loose file: a changed page costs
 * seven new files (the post, its day folder, entries/, the blog's folder,
 * the root, index.md, the commit), each a new inode, a fan-out folder now
 * and then, and later a repack that reads them all back and deletes
 * them.  Instead the store puts an in-memory object backend in front
 * of the object database: a commit's objects collect there, and before
 * the ref moves they are written as one small pack (pack-write.c: a
 * .pack and its .idx, synced with their folder, without libgit2's
 * delta search and re-hashing), then dropped from memory.  gc.c later
 * merges these small packs into bigger ones, as it does loose objects.
 *
 * gc.c replaces the repository's object database after it deleted packs
 * (lw_gc_reopen): a commit that finds another database than the one the
 * store made builds its own again (compose_odb). */
#include "store-private.h"
#include "error.h"
#include "file.h"
#include "pack-write.h"

#include <errno.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Backends are asked in decreasing priority: the objects of the commit
 * being made, the packs, the loose objects (libgit2's own order). */
#define MEM_PRIORITY 1000
#define PACK_PRIORITY 2
#define LOOSE_PRIORITY 1

/* (libgit2's own mempack cannot serve: its dump packs every commit with
 * its whole tree, the blog's entire snapshot, not the new objects.) */
struct mem_object {
	git_oid id;
	git_object_t type;
	size_t len;
	char data[];
};

struct mem_backend {
	git_odb_backend parent;
	GHashTable *objects; /* git_oid * (inside the value) -> struct mem_object * */
	GPtrArray *order;    /* the objects in the order written */
	gsize bytes;         /* their sizes, summed */
};

static struct mem_object *mem_get(git_odb_backend *b, const git_oid *id)
{
	return g_hash_table_lookup(((struct mem_backend *)b)->objects, id);
}

static int mem_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
		    const git_oid *id)
{
	const struct mem_object *o = mem_get(b, id);
	if (!o)
		return GIT_ENOTFOUND;
	*data = git_odb_backend_data_alloc(b, o->len ? o->len : 1);
	if (!*data)
		return -1;
	memcpy(*data, o->data, o->len);
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	const struct mem_object *o = mem_get(b, id);
	if (!o)
		return GIT_ENOTFOUND;
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_write(git_odb_backend *b, const git_oid *id, const void *data, size_t len,
		     git_object_t type)
{
	struct mem_backend *m = (struct mem_backend *)b;
	if (g_hash_table_contains(m->objects, id))
		return 0;
	struct mem_object *o = g_malloc(sizeof(*o) + len);
	git_oid_cpy(&o->id, id);
	o->type = type;
	o->len = len;
	memcpy(o->data, data, len);
	g_hash_table_insert(m->objects, &o->id, o);
	g_ptr_array_add(m->order, o);
	m->bytes += len;
	return 0;
}

static int mem_exists(git_odb_backend *b, const git_oid *id)
{
	return mem_get(b, id) != NULL;
}

static int mem_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *payload)
{
	struct mem_backend *m = (struct mem_backend *)b;
	for (guint i = 0; i < m->order->len; i++) {
		int rc = cb(&((struct mem_object *)m->order->pdata[i])->id, payload);
		if (rc)
			return rc;
	}
	return 0;
}

static void mem_reset(struct mem_backend *m)
{
	g_hash_table_remove_all(m->objects);
	g_ptr_array_set_size(m->order, 0);
	m->bytes = 0;
}

static void mem_free(git_odb_backend *b)
{
	struct mem_backend *m = (struct mem_backend *)b;
	g_hash_table_unref(m->objects);
	g_ptr_array_unref(m->order);
	g_free(m);
}

static git_odb_backend *mem_new(void)
{
	struct mem_backend *m = g_new0(struct mem_backend, 1);
	git_odb_init_backend(&m->parent, GIT_ODB_BACKEND_VERSION);
	m->parent.read = mem_read;
	m->parent.read_header = mem_read_header;
	m->parent.write = mem_write;
	m->parent.exists = mem_exists;
	m->parent.foreach = mem_foreach;
	m->parent.free = mem_free;
	m->objects = g_hash_table_new(lw_oid_hash, lw_oid_equal);
	m->order = g_ptr_array_new_with_free_func(g_free);
	return &m->parent;
}

/* The object database the store commits through, built by hand: the
 * in-memory backend, the packs (store-packs.c), and the loose objects.  libgit2's own database rescans objects/pack/ before it writes
 * any new object (to see whether someone else wrote it meanwhile): with a
 * pack a commit, that is a directory read per object, growing with every
 * commit until gc.  Here a new pack is added to the packs backend, and
 * nothing is rescanned; gc, which deletes packs, gives the repository a
 * fresh database (lw_gc_reopen) and the next commit builds this again. */
static int compose_odb(struct lw_store *s, git_odb **out, git_odb_backend **mem,
		       git_odb_backend **packs_out)
{
	g_autofree char *objects = g_build_filename(s->git_dir, "objects", NULL);
	g_autofree char *packs = g_build_filename(objects, "pack", NULL);
	git_odb *odb = NULL;
	git_odb_backend *be = NULL;
	if (git_odb_new(&odb) < 0)
		return -1;
	if (git_odb_backend_loose(&be, objects, -1, 0, 0, 0) < 0 ||
	    git_odb_add_backend(odb, be, LOOSE_PRIORITY) < 0)
		goto err;
	be = NULL;
	git_odb_backend *all = store_packs_new();
	if (git_odb_add_backend(odb, all, PACK_PRIORITY) < 0) {
		all->free(all);
		goto err;
	}
	GDir *d = g_dir_open(packs, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		if (!g_str_has_prefix(name, "pack-") || !g_str_has_suffix(name, ".idx"))
			continue;
		g_autofree char *idx = g_build_filename(packs, name, NULL);
		g_autofree char *pack = g_strndup(idx, strlen(idx) - 4);
		char *full = g_strconcat(pack, ".pack", NULL);
		bool whole = g_file_test(full, G_FILE_TEST_EXISTS);
		g_free(full);
		if (!whole)
			continue;   /* half-written: recovery's business */
		if (store_packs_add(all, idx) < 0) {
			g_dir_close(d);
			goto err;
		}
	}
	if (d)
		g_dir_close(d);
	be = mem_new();
	if (git_odb_add_backend(odb, be, MEM_PRIORITY) < 0)
		goto err;
	*mem = be;
	*packs_out = all;
	*out = odb;
	return 0;
err:
	if (be)
		be->free(be);
	git_odb_free(odb);
	return -1;
}

int store_objects_begin(struct lw_store *s, GError **error)
{
	git_odb *odb = NULL;
	if (git_repository_odb(&odb, s->repo) < 0) {
		lw_store_git_error(error, "repository '%s': cannot open the object database", s->path);
		return -1;
	}
	git_odb_free(odb);
	if (odb == s->odb) {
		/* what a failed commit left there is referenced by nothing; a
		 * batch's earlier commits are, and stay (store_objects_truncate
		 * drops a failed one's) */
		if (!s->batch)
			mem_reset((struct mem_backend *)s->mem);
		return 0;
	}
	if (s->batch && s->batch->commits) {
		/* gc replaced the database under a batch: its objects are gone */
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "repository '%s': the object database changed during a batch of commits",
			    s->path);
		return -1;
	}
	git_odb_backend *mem = NULL, *packs = NULL;
	if (compose_odb(s, &odb, &mem, &packs) < 0) {
		lw_store_git_error(error, "repository '%s': cannot open the object database", s->path);
		return -1;
	}
	git_repository_set_odb(s->repo, odb);
	/* the old database (and the backend it owns) goes with our reference */
	git_odb_free(s->odb);
	s->odb = odb;
	s->mem = mem;
	s->packs = packs;
	return 0;
}

guint store_objects_mark(struct lw_store *s)
{
	return s->mem ? ((struct mem_backend *)s->mem)->order->len : 0;
}

void store_objects_truncate(struct lw_store *s, guint mark)
{
	struct mem_backend *m = (struct mem_backend *)s->mem;
	if (!m)
		return;
	while (m->order->len > mark) {
		struct mem_object *o = m->order->pdata[m->order->len - 1];
		m->bytes -= o->len;
		g_hash_table_remove(m->objects, &o->id);
		g_ptr_array_set_size(m->order, m->order->len - 1);
	}
}

gsize store_objects_bytes(struct lw_store *s)
{
	return s->mem ? ((struct mem_backend *)s->mem)->bytes : 0;
}

guint lw_store_packs_written(struct lw_store *s, bool take)
{
	guint n = s->packs_written;
	if (take)
		s->packs_written = 0;
	return n;
}

int store_objects_write(struct lw_store *s, GError **error)
{
	git_odb *odb = NULL;
	if (git_repository_odb(&odb, s->repo) < 0) {
		lw_store_git_error(error, "repository '%s': cannot open the object database", s->path);
		return -1;
	}
	git_odb_free(odb);
	if (!s->mem || odb != s->odb)
		return 0;   /* no store_objects_begin(): the objects were written loose */
	struct mem_backend *m = (struct mem_backend *)s->mem;
	if (m->order->len == 0)
		return 1;

	g_autofree char *dir = g_build_filename(s->git_dir, "objects", "pack", NULL);
	if (g_mkdir_with_parents(dir, 0755) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot create '%s': %s",
			    s->path, dir, g_strerror(errno));
		return -1;
	}
	g_autofree struct lw_pack_object *objs = g_new(struct lw_pack_object, m->order->len);
	for (guint i = 0; i < m->order->len; i++) {
		const struct mem_object *o = m->order->pdata[i];
		objs[i] = (struct lw_pack_object){o->id, o->type, o->data, o->len};
	}
	char name[GIT_OID_HEXSZ + 1];
	if (lw_pack_write(dir, objs, m->order->len, name, error) < 0) {
		g_prefix_error(error, "repository '%s': ", s->path);
		return -1;
	}
	g_autofree char *p_idx = g_strconcat(dir, "/pack-", name, ".idx", NULL);
	/* the new pack is read from before the copies in memory go */
	if (store_packs_add(s->packs, p_idx) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read the new pack", s->path);
		return -1;
	}
	mem_reset(m);
	s->packs_written++;
	return 1;
}
