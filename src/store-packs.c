/* The store's packs as one object backend (store-private.h).
 *
 * Each pack is read through libgit2's own one-pack backend, but which pack
 * holds an object is found here, by a binary search of the packs' .idx
 * files (mapped), newest pack first.  libgit2 asks its packs in turn and
 * formats an error message, object id and all, for every pack that does
 * not hold the object: with a pack a commit (store-pack.c) that was most
 * of a daemon's time.  A pack asked here in vain costs a few compares.
 *
 * The .idx format read is git's version 2: "\377tOc", version 2, a
 * 256-entry fan-out table of big-endian counts, then the sorted ids. */
#include "store-private.h"

#include <git2/sys/odb_backend.h>
#include <string.h>

struct one_pack {
	GMappedFile *idx;
	const unsigned char *ids;   /* n sorted raw ids */
	const unsigned char *fan;   /* the fan-out table */
	guint32 n;
	git_odb_backend *be;        /* libgit2's backend for this pack */
};

struct packs_backend {
	git_odb_backend parent;
	GPtrArray *packs;           /* struct one_pack *, newest last */
};

static guint32 be32(const unsigned char *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static bool pack_has(const struct one_pack *p, const git_oid *id)
{
	const unsigned char *raw = id->id;
	guint32 lo = raw[0] ? be32(p->fan + 4 * (raw[0] - 1)) : 0;
	guint32 hi = be32(p->fan + 4 * raw[0]);
	if (hi > p->n)
		return false;
	while (lo < hi) {
		guint32 mid = lo + (hi - lo) / 2;
		int c = memcmp(p->ids + (gsize)mid * GIT_OID_RAWSZ, raw, GIT_OID_RAWSZ);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static struct one_pack *find(git_odb_backend *b, const git_oid *id)
{
	GPtrArray *packs = ((struct packs_backend *)b)->packs;
	for (guint i = packs->len; i > 0; i--)
		if (pack_has(packs->pdata[i - 1], id))
			return packs->pdata[i - 1];
	return NULL;
}

static int packs_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	struct one_pack *p = find(b, id);
	return p ? p->be->read(data, len, type, p->be, id) : GIT_ENOTFOUND;
}

static int packs_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	struct one_pack *p = find(b, id);
	return p ? p->be->read_header(len, type, p->be, id) : GIT_ENOTFOUND;
}

static int packs_exists(git_odb_backend *b, const git_oid *id)
{
	return find(b, id) != NULL;
}

/* Abbreviated ids (rare here): each pack's own search. */
static int packs_read_prefix(git_oid *out, void **data, size_t *len, git_object_t *type,
			     git_odb_backend *b, const git_oid *short_id, size_t n)
{
	GPtrArray *packs = ((struct packs_backend *)b)->packs;
	for (guint i = packs->len; i > 0; i--) {
		git_odb_backend *be = ((struct one_pack *)packs->pdata[i - 1])->be;
		int rc = be->read_prefix(out, data, len, type, be, short_id, n);
		if (rc != GIT_ENOTFOUND)
			return rc;
	}
	git_error_clear();
	return GIT_ENOTFOUND;
}

static int packs_exists_prefix(git_oid *out, git_odb_backend *b, const git_oid *short_id, size_t n)
{
	GPtrArray *packs = ((struct packs_backend *)b)->packs;
	for (guint i = packs->len; i > 0; i--) {
		git_odb_backend *be = ((struct one_pack *)packs->pdata[i - 1])->be;
		int rc = be->exists_prefix(out, be, short_id, n);
		if (rc != GIT_ENOTFOUND)
			return rc;
	}
	git_error_clear();
	return GIT_ENOTFOUND;
}

static int packs_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *payload)
{
	GPtrArray *packs = ((struct packs_backend *)b)->packs;
	for (guint i = 0; i < packs->len; i++) {
		git_odb_backend *be = ((struct one_pack *)packs->pdata[i])->be;
		int rc = be->foreach(be, cb, payload);
		if (rc)
			return rc;
	}
	return 0;
}

static void one_pack_free(gpointer data)
{
	struct one_pack *p = data;
	if (p->be)
		p->be->free(p->be);
	if (p->idx)
		g_mapped_file_unref(p->idx);
	g_free(p);
}

static void packs_free(git_odb_backend *b)
{
	g_ptr_array_unref(((struct packs_backend *)b)->packs);
	g_free(b);
}

git_odb_backend *store_packs_new(void)
{
	struct packs_backend *pb = g_new0(struct packs_backend, 1);
	git_odb_init_backend(&pb->parent, GIT_ODB_BACKEND_VERSION);
	pb->parent.read = packs_read;
	pb->parent.read_header = packs_read_header;
	pb->parent.read_prefix = packs_read_prefix;
	pb->parent.exists = packs_exists;
	pb->parent.exists_prefix = packs_exists_prefix;
	pb->parent.foreach = packs_foreach;
	pb->parent.free = packs_free;
	pb->packs = g_ptr_array_new_with_free_func(one_pack_free);
	return &pb->parent;
}

int store_packs_add(git_odb_backend *b, const char *idx_path)
{
	struct one_pack *p = g_new0(struct one_pack, 1);
	p->idx = g_mapped_file_new(idx_path, FALSE, NULL);
	gsize size = p->idx ? g_mapped_file_get_length(p->idx) : 0;
	const unsigned char *m = p->idx ? (const unsigned char *)g_mapped_file_get_contents(p->idx) : NULL;
	if (!m || size < 8 + 1024 || memcmp(m, "\377tOc\0\0\0\2", 8)) {
		one_pack_free(p);
		git_error_set_str(GIT_ERROR_ODB, "not a version 2 pack index");
		return -1;
	}
	p->fan = m + 8;
	p->n = be32(p->fan + 4 * 255);
	p->ids = p->fan + 1024;
	if ((guint64)size < 8 + 1024 + (guint64)p->n * GIT_OID_RAWSZ ||
	    git_odb_backend_one_pack(&p->be, idx_path) < 0) {
		p->be = NULL;
		one_pack_free(p);
		if (!git_error_last())
			git_error_set_str(GIT_ERROR_ODB, "truncated pack index");
		return -1;
	}
	g_ptr_array_add(((struct packs_backend *)b)->packs, p);
	return 0;
}
