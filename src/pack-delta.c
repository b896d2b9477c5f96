/* The store's own packs packed again with deltas between the versions of
 * a path (pack-write.h lw_pack_repack_stored).
 *
 * A commit's objects go to the disk stored whole (pack-write.c), and gc
 * packs them again.  libgit2's packbuilder would search every object
 * against ten others for a delta, and its indexer read the new pack back
 * an object at a time (a mapping and an unmapping each): most of a
 * daemon's packing time.  Here the base of each object is known from the
 * history itself: the same path in the parent commit.  A tree gains a
 * name, a page list a line, a post an edit: what the two versions share
 * at their start and end is copied, the rest inserted. */
#include "pack-write.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

struct obj {
	git_oid id;
	git_object_t type;
	guint8 *data;     /* while needed: a commit or tree until paired, then when written */
	size_t len;
	guint src;        /* where it is read again: the pack (stems[src]) */
	guint32 off, end; /* and its entry there */
	gssize base;      /* index of its previous version in the set, or -1 */
	gssize at;        /* its place in the new pack, or -1 */
	guint depth;      /* of the delta chain ending here */
};

struct set {
	GArray *objs;         /* struct obj */
	GHashTable *by_id;    /* git_oid * (inside objs' data: the array never grows after) -> index + 1 */
};

static gssize find(const struct set *s, const git_oid *id)
{
	return (gssize)GPOINTER_TO_SIZE(g_hash_table_lookup(s->by_id, id)) - 1;
}

static guint32 be32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static int damaged(const char *path, const char *what, GError **error)
{
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "pack '%s' is damaged: %s", path, what);
	return -1;
}

static int by_u32(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
	return x < y ? -1 : x > y;
}

/* Inflates the whole object stored in the entry buf[0..len): its type and
 * size from the header, its bytes into a new *data.  0, 1 (a delta or too
 * big), or -1 (damaged: what in *what). */
static int inflate_entry(z_stream *z, const guint8 *pk, gsize len, git_object_t *type_out,
			 size_t *size_out, guint8 **data, const char **what)
{
	gsize at = 0;
	guint8 c = pk[at++];
	unsigned type = (c >> 4) & 7;
	guint64 size = c & 15;
	for (unsigned shift = 4; c & 0x80; shift += 7) {
		if (at >= len || shift > 57) {
			*what = "an object's header runs off its end";
			return -1;
		}
		c = pk[at++];
		size |= (guint64)(c & 0x7f) << shift;
	}
	if (type < GIT_OBJECT_COMMIT || type > GIT_OBJECT_TAG || size > G_MAXUINT32)
		return 1;
	*data = g_malloc(size ? size : 1);
	inflateReset(z);
	z->next_in = (Bytef *)(pk + at);
	z->avail_in = (uInt)(len - at);
	z->next_out = *data;
	z->avail_out = (uInt)size;
	if (inflate(z, Z_FINISH) != Z_STREAM_END || z->total_out != size) {
		g_clear_pointer(data, g_free);
		*what = "an object does not inflate to its size";
		return -1;
	}
	*type_out = (git_object_t)type;
	*size_out = (size_t)size;
	return 0;
}

/* Every object of STEM.pack into objs (duplicates of earlier ones left
 * out), inflated and checked against its id.  The pack is read an entry
 * at a time (pread), not whole: only the objects stay in memory.  1:
 * not a pack of whole objects this reads. */
static int load(const char *stem, guint src, GArray *objs, GHashTable *seen, GError **error)
{
	g_autofree char *ipath = g_strconcat(stem, ".idx", NULL);
	g_autofree char *ppath = g_strconcat(stem, ".pack", NULL);
	g_autofree char *idx = NULL;
	gsize ilen = 0;
	GError *err = NULL;
	if (!g_file_get_contents(ipath, &idx, &ilen, &err)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot read pack '%s': %s", stem,
			    err->message);
		g_error_free(err);
		return -1;
	}
	int fd = open(ppath, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot read pack '%s': %s", ppath,
			    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	const guint8 *ix = (const guint8 *)idx;
	guint8 head[12];
	guint32 n = 0;
	guint64 plen = (guint64)sb.st_size;
	int ret = 0;
	if (ilen < 8 + 1024 + 40 || memcmp(ix, "\377tOc\0\0\0\2", 8)) {
		close(fd);
		return 1;
	}
	n = be32(ix + 8 + 255 * 4);
	if (ilen < 8 + 1024 + (gsize)n * 28 + 40 || plen < 32 || pread(fd, head, 12, 0) != 12 ||
	    memcmp(head, "PACK\0\0\0\2", 8) || be32(head + 8) != n) {
		close(fd);
		return damaged(ppath, "its index does not match it", error);
	}
	const guint8 *ids = ix + 8 + 1024, *offs = ids + (gsize)n * 24;
	/* where each entry ends: the next one's start, or the trailer */
	g_autofree guint32 *starts = g_new(guint32, n + 1);
	for (guint32 k = 0; k < n; k++) {
		starts[k] = be32(offs + (gsize)k * 4);
		if (starts[k] & 0x80000000u || starts[k] >= plen - 20) {
			close(fd);
			return 1;   /* a big pack: not one the store wrote */
		}
	}
	starts[n] = (guint32)(plen - 20);
	qsort(starts, n + 1, sizeof(*starts), by_u32);
	z_stream z = {0};
	if (inflateInit(&z) != Z_OK) {
		close(fd);
		return damaged(ppath, "cannot inflate", error);
	}
	GByteArray *buf = g_byte_array_new();
	for (guint32 k = 0; k < n && ret == 0; k++) {
		guint32 off = be32(offs + (gsize)k * 4);
		guint32 *next = bsearch(&off, starts, n + 1, sizeof(*starts), by_u32);
		guint32 end = next && next < starts + n ? next[1] : (guint32)(plen - 20);
		g_byte_array_set_size(buf, end - off);
		if (end <= off || pread(fd, buf->data, end - off, off) != (ssize_t)(end - off)) {
			ret = damaged(ppath, "an object cannot be read", error);
			break;
		}
		git_oid id;
		git_oid_fromraw(&id, ids + (gsize)k * 20);
		if (g_hash_table_contains(seen, &id))
			continue;
		struct obj o = { .id = id, .base = -1, .at = -1, .src = src, .off = off, .end = end };
		const char *what = NULL;
		ret = inflate_entry(&z, buf->data, end - off, &o.type, &o.len, &o.data, &what);
		if (ret < 0)
			ret = damaged(ppath, what, error);
		if (ret)
			break;
		/* its id, hashed again: nothing damaged reaches the new pack */
		git_oid check;
		if (git_odb_hash(&check, o.data, o.len, o.type) < 0 || !git_oid_equal(&check, &o.id)) {
			g_free(o.data);
			ret = damaged(ppath, "an object does not match its id", error);
			break;
		}
		/* a blob is read again when written; commits and trees are
		 * read now, to pair the versions of each path */
		if (o.type != GIT_OBJECT_COMMIT && o.type != GIT_OBJECT_TREE)
			g_clear_pointer(&o.data, g_free);
		g_array_append_val(objs, o);
		g_hash_table_add(seen, g_memdup2(&o.id, sizeof(o.id)));
	}
	g_byte_array_unref(buf);
	inflateEnd(&z);
	close(fd);
	return ret;
}

/* "tree <hex>\n" and the first "parent <hex>\n" of a commit. */
static bool commit_links(const struct obj *c, git_oid *tree, git_oid *parent, bool *has_parent)
{
	const char *p = (const char *)c->data, *end = p + c->len;
	*has_parent = false;
	if (c->len < 46 || memcmp(p, "tree ", 5) || git_oid_fromstrn(tree, p + 5, 40) < 0)
		return false;
	p += 46;
	if (end - p >= 48 && !memcmp(p, "parent ", 7) && git_oid_fromstrn(parent, p + 7, 40) == 0)
		*has_parent = true;
	return true;
}

/* A tree's entries: calls fn for each (name, id, is a tree). */
static void tree_each(const struct obj *t,
		      void (*fn)(const char *name, gsize nlen, const git_oid *id, bool tree, void *),
		      void *data)
{
	const guint8 *p = t->data, *end = p + t->len;
	while (p < end) {
		const guint8 *sp = memchr(p, ' ', (size_t)(end - p));
		if (!sp)
			return;
		const guint8 *nul = memchr(sp, '\0', (size_t)(end - sp));
		if (!nul || end - nul < 21)
			return;
		git_oid id;
		git_oid_fromraw(&id, nul + 1);
		bool tree = sp - p == 5 && !memcmp(p, "40000", 5);
		fn((const char *)sp + 1, (gsize)(nul - sp - 1), &id, tree, data);
		p = nul + 21;
	}
}

struct entry {
	git_oid id;
	bool tree;
};

static void collect(const char *name, gsize nlen, const git_oid *id, bool tree, void *data)
{
	struct entry *e = g_new(struct entry, 1);
	e->id = *id;
	e->tree = tree;
	g_hash_table_insert(data, g_strndup(name, nlen), e);
}

struct pairing {
	struct set *s;
	GHashTable *old;   /* name -> struct entry * */
	guint level;
};

static void pair(struct set *s, gssize from, gssize to, guint level);

static void pair_entry(const char *name, gsize nlen, const git_oid *id, bool tree, void *data)
{
	struct pairing *pg = data;
	g_autofree char *key = g_strndup(name, nlen);
	const struct entry *was = g_hash_table_lookup(pg->old, key);
	if (!was || was->tree != tree || git_oid_equal(&was->id, id))
		return;
	pair(pg->s, find(pg->s, &was->id), find(pg->s, id), pg->level + 1);
}

/* `to` is the next version of `from` (the same path, a commit later):
 * from becomes its base, and their entries are paired name by name. */
static void pair(struct set *s, gssize from, gssize to, guint level)
{
	if (from < 0 || to < 0 || from == to || level > 64)
		return;
	struct obj *o = &g_array_index(s->objs, struct obj, to);
	const struct obj *was = &g_array_index(s->objs, struct obj, from);
	if (o->base < 0 && was->type == o->type)
		o->base = from;
	if (o->type != GIT_OBJECT_TREE || was->type != GIT_OBJECT_TREE)
		return;
	g_autoptr(GHashTable) old = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	tree_each(was, collect, old);
	struct pairing pg = { s, old, level };
	tree_each(o, pair_entry, &pg);
}

/* The new pack's order: an object after its base. */
static void place(struct set *s, gssize i, GArray *order)
{
	struct obj *o = &g_array_index(s->objs, struct obj, i);
	if (o->at >= 0)
		return;
	o->at = -2;   /* on the way: a cycle of bases ends here */
	if (o->base >= 0) {
		const struct obj *b = &g_array_index(s->objs, struct obj, o->base);
		if (b->at == -2) {
			o->base = -1;
		} else {
			place(s, o->base, order);
			b = &g_array_index(s->objs, struct obj, o->base);
			o->depth = b->depth + 1;
			if (o->depth > LW_PACK_DELTA_DEPTH) {
				o->base = -1;
				o->depth = 0;
			}
		}
	}
	o->at = (gssize)order->len;
	g_array_append_val(order, i);
}

/* The objects read again for the writer (pack-write.h lw_pack_reader). */
struct again {
	struct set *s;
	GArray *order;        /* place in the new pack -> index in s */
	char *const *stems;
	guint n;
	int *fds;             /* each pack's, opened when first needed */
	z_stream z;
	GByteArray *buf;
};

static const void *again_get(void *ctx, size_t i)
{
	struct again *a = ctx;
	struct obj *o = &g_array_index(a->s->objs, struct obj, g_array_index(a->order, gssize, i));
	if (o->data)
		return o->data;
	if (a->fds[o->src] < 0) {
		g_autofree char *p = g_strconcat(a->stems[o->src], ".pack", NULL);
		a->fds[o->src] = open(p, O_RDONLY | O_CLOEXEC);
		if (a->fds[o->src] < 0)
			return NULL;
	}
	g_byte_array_set_size(a->buf, o->end - o->off);
	if (pread(a->fds[o->src], a->buf->data, o->end - o->off, o->off) != (ssize_t)(o->end - o->off))
		return NULL;
	git_object_t type;
	size_t len;
	const char *what;
	if (inflate_entry(&a->z, a->buf->data, o->end - o->off, &type, &len, &o->data, &what) != 0)
		return NULL;
	if (type != o->type || len != o->len) {
		g_clear_pointer(&o->data, g_free);
		return NULL;
	}
	return o->data;
}

static void again_put(void *ctx, size_t i)
{
	struct again *a = ctx;
	struct obj *o = &g_array_index(a->s->objs, struct obj, g_array_index(a->order, gssize, i));
	g_clear_pointer(&o->data, g_free);
}

int lw_pack_repack_stored(const char *dir, char *const *stems, guint n,
			  char name[GIT_OID_HEXSZ + 1], GError **error)
{
	struct set s = {
		g_array_new(FALSE, FALSE, sizeof(struct obj)),
		g_hash_table_new(lw_oid_hash, lw_oid_equal),
	};
	g_autoptr(GHashTable) seen = g_hash_table_new_full(lw_oid_hash, lw_oid_equal, g_free, NULL);
	g_autoptr(GArray) order = g_array_new(FALSE, FALSE, sizeof(gssize));
	g_autoptr(GHashTable) child = g_hash_table_new(lw_oid_hash, lw_oid_equal);   /* parent -> commit index + 1 */
	g_autoptr(GArray) roots = g_array_new(FALSE, FALSE, sizeof(gssize));
	g_autofree struct lw_pack_object *objs = NULL;
	int ret = 0;
	for (guint i = 0; i < n && ret == 0; i++)
		ret = load(stems[i], i, s.objs, seen, error);
	if (ret != 0)
		goto out;
	for (guint i = 0; i < s.objs->len; i++) {
		struct obj *o = &g_array_index(s.objs, struct obj, i);
		g_hash_table_insert(s.by_id, &o->id, GSIZE_TO_POINTER((gsize)i + 1));
	}

	/* Commits from parent to child: each one's tree paired with its
	 * parent's when both are here. */
	for (guint i = 0; i < s.objs->len; i++) {
		struct obj *o = &g_array_index(s.objs, struct obj, i);
		git_oid tree, parent;
		bool has_parent;
		if (o->type != GIT_OBJECT_COMMIT || !commit_links(o, &tree, &parent, &has_parent))
			continue;
		gssize pi = has_parent ? find(&s, &parent) : -1;
		if (pi >= 0 && !g_hash_table_contains(child, &g_array_index(s.objs, struct obj, pi).id))
			g_hash_table_insert(child, &g_array_index(s.objs, struct obj, pi).id,
					    GSIZE_TO_POINTER((gsize)i + 1));
		else
			g_array_append_val(roots, (gssize){ (gssize)i });
	}
	for (guint r = 0; r < roots->len; r++) {
		gssize c = g_array_index(roots, gssize, r);
		gssize prev_tree = -1;
		guint steps = 0;
		while (c >= 0 && steps++ <= s.objs->len) {
			struct obj *o = &g_array_index(s.objs, struct obj, c);
			git_oid tree, parent;
			bool has_parent;
			commit_links(o, &tree, &parent, &has_parent);
			gssize ti = find(&s, &tree);
			pair(&s, prev_tree, ti, 0);
			prev_tree = ti;
			c = (gssize)GPOINTER_TO_SIZE(g_hash_table_lookup(child, &o->id)) - 1;
		}
	}
	for (guint i = 0; i < s.objs->len; i++)
		place(&s, (gssize)i, order);

	/* paired: every object is read again when it is written, and let go
	 * after, so that memory holds a few objects and the new pack, not
	 * every object of the packs */
	for (guint i = 0; i < s.objs->len; i++)
		g_clear_pointer(&g_array_index(s.objs, struct obj, i).data, g_free);
	objs = g_new0(struct lw_pack_object, order->len ? order->len : 1);
	for (guint k = 0; k < order->len; k++) {
		const struct obj *o = &g_array_index(s.objs, struct obj, g_array_index(order, gssize, k));
		objs[k] = (struct lw_pack_object){ o->id, o->type, NULL, o->len, 0 };
		if (o->base >= 0)
			objs[k].base = (size_t)g_array_index(s.objs, struct obj, o->base).at + 1;
	}
	struct again a = { &s, order, stems, n, g_new0(int, n), {0}, g_byte_array_new() };
	for (guint i = 0; i < n; i++)
		a.fds[i] = -1;
	if (inflateInit(&a.z) != Z_OK) {
		ret = damaged(dir, "cannot inflate", error);
	} else {
		struct lw_pack_reader r = { again_get, again_put, &a };
		ret = lw_pack_write_delta(dir, objs, order->len, Z_DEFAULT_COMPRESSION, &r, name, error);
		inflateEnd(&a.z);
	}
	for (guint i = 0; i < n; i++)
		if (a.fds[i] >= 0)
			close(a.fds[i]);
	g_free(a.fds);
	g_byte_array_unref(a.buf);
out:
	for (guint i = 0; i < s.objs->len; i++)
		g_free(g_array_index(s.objs, struct obj, i).data);
	g_array_unref(s.objs);
	g_hash_table_unref(s.by_id);
	return ret;
}
