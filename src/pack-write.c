/* A pack and its index, written straight from objects in memory
 * (pack-write.h). */
#include "pack-write.h"
#include "error.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

guint lw_oid_hash(gconstpointer id)
{
	guint h;
	memcpy(&h, ((const git_oid *)id)->id, sizeof(h));
	return h;
}

gboolean lw_oid_equal(gconstpointer a, gconstpointer b)
{
	return git_oid_equal(a, b);
}

/* A commit's pack lives until gc merges it (at 32 such packs), and the
 * merge deflates every object again: so the objects are stored, not
 * compressed.  Under callgrind, level 1 cost 1.8 M instructions a commit
 * (zlib's hash table cleared for each object, then the search), 7 % of a
 * poll; stored, 0.3 M.  On the disk a commit's pack stays a few blocks.
 * The smallest memLevel makes each object's deflateReset() cheap. */
#define PACK_LEVEL Z_NO_COMPRESSION
#define PACK_MEMLEVEL 1

struct packed {
	git_oid id;
	guint64 offset;   /* of its header in the pack */
	guint32 crc;      /* of its header and deflated data */
};

static void put_be32(GByteArray *b, guint32 v)
{
	guint8 p[4] = {v >> 24, v >> 16, v >> 8, v};
	g_byte_array_append(b, p, 4);
}

static void put_be64(GByteArray *b, guint64 v)
{
	put_be32(b, (guint32)(v >> 32));
	put_be32(b, (guint32)v);
}

/* The object's type and inflated size: 3 bits of type and 4 of size in
 * the first byte, then 7 bits of size a byte, least significant first,
 * the high bit saying another byte follows. */
static void put_header(GByteArray *b, git_object_t type, size_t len)
{
	guint8 h[16];
	size_t n = 0;
	guint8 c = (guint8)((type << 4) | (len & 15));
	len >>= 4;
	while (len) {
		h[n++] = c | 0x80;
		c = len & 0x7f;
		len >>= 7;
	}
	h[n++] = c;
	g_byte_array_append(b, h, (guint)n);
}

static int deflate_into(z_stream *z, GByteArray *b, const void *data, size_t len)
{
	if (len > UINT_MAX || deflateReset(z) != Z_OK)
		return -1;
	uLong bound = deflateBound(z, (uLong)len);
	guint at = b->len;
	if (bound > G_MAXUINT - at)
		return -1;
	g_byte_array_set_size(b, at + (guint)bound);
	z->next_in = (Bytef *)data;
	z->avail_in = (uInt)len;
	z->next_out = b->data + at;
	z->avail_out = (uInt)bound;
	int rc = deflate(z, Z_FINISH);
	g_byte_array_set_size(b, at + (guint)(bound - z->avail_out));
	return rc == Z_STREAM_END ? 0 : -1;
}

static void put_sha1(GByteArray *b)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(sum, b->data, b->len);
	guint8 digest[GIT_OID_RAWSZ];
	gsize n = sizeof(digest);
	g_checksum_get_digest(sum, digest, &n);
	g_byte_array_append(b, digest, GIT_OID_RAWSZ);
}

static int by_id(gconstpointer a, gconstpointer b)
{
	return git_oid_cmp(&((const struct packed *)a)->id, &((const struct packed *)b)->id);
}

/* ---- deltas (gitformat-pack(5), "Deltified representation") ---- */

static void put_varint(GByteArray *b, size_t v)
{
	do {
		guint8 c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		g_byte_array_append(b, &c, 1);
	} while (v);
}

static void put_copy(GByteArray *b, size_t off, size_t len)
{
	while (len) {
		size_t n = MIN(len, 0xffff);   /* a size of 0 would mean 0x10000 */
		guint8 op[8];
		guint k = 1;
		op[0] = 0x80;
		for (int i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				op[0] |= (guint8)(1 << i);
				op[k++] = (guint8)(off >> (8 * i));
			}
		for (int i = 0; i < 2; i++)
			if ((n >> (8 * i)) & 0xff) {
				op[0] |= (guint8)(0x10 << i);
				op[k++] = (guint8)(n >> (8 * i));
			}
		g_byte_array_append(b, op, k);
		off += n;
		len -= n;
	}
}

static void put_insert(GByteArray *b, const guint8 *p, size_t len)
{
	while (len) {
		guint8 n = (guint8)MIN(len, 127);
		g_byte_array_append(b, &n, 1);
		g_byte_array_append(b, p, n);
		p += n;
		len -= n;
	}
}

/* target as a delta of source: what they share at the start and at the
 * end copied, the middle inserted.  NULL when that is not less than
 * half of target, or the source is beyond a copy's 32-bit offset. */
static GByteArray *prefix_suffix_delta(const guint8 *src, size_t slen, const guint8 *dst,
				       size_t dlen)
{
	if (slen > G_MAXUINT32 || dlen < 32)
		return NULL;
	size_t most = MIN(slen, dlen), p = 0, q = 0;
	while (p < most && src[p] == dst[p])
		p++;
	while (q < most - p && src[slen - 1 - q] == dst[dlen - 1 - q])
		q++;
	size_t middle = dlen - p - q;
	if (middle + middle / 127 + 24 >= dlen / 2)
		return NULL;
	GByteArray *d = g_byte_array_sized_new((guint)(middle + middle / 127 + 32));
	put_varint(d, slen);
	put_varint(d, dlen);
	put_copy(d, 0, p);
	put_insert(d, dst + p, middle);
	put_copy(d, slen - q, q);
	return d;
}

/* The offset delta's distance back to its base: 7 bits a byte, most
 * significant first, each continuation adding one (gitformat-pack). */
static void put_ofs(GByteArray *b, guint64 rel)
{
	guint8 buf[16];
	size_t pos = sizeof(buf) - 1;
	buf[pos] = rel & 127;
	while (rel >>= 7)
		buf[--pos] = (guint8)(128 | (--rel & 127));
	g_byte_array_append(b, buf + pos, (guint)(sizeof(buf) - pos));
}

static const void *bytes_of(const struct lw_pack_object *objs, const struct lw_pack_reader *r,
			    size_t i)
{
	return r ? r->get(r->ctx, i) : objs[i].data;
}

static GByteArray *make_pack(const struct lw_pack_object *objs, size_t n, struct packed *out,
			     int level, bool deltas, const struct lw_pack_reader *r)
{
	GByteArray *b = g_byte_array_sized_new(4096);
	g_byte_array_append(b, (const guint8 *)"PACK", 4);
	put_be32(b, 2);
	put_be32(b, (guint32)n);
	z_stream z = {0};
	if (deflateInit2(&z, level, Z_DEFLATED, 15, level == PACK_LEVEL ? PACK_MEMLEVEL : 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		g_byte_array_unref(b);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		git_oid_cpy(&out[i].id, &objs[i].id);
		out[i].offset = b->len;
		size_t base = deltas && objs[i].base && objs[i].base <= i ? objs[i].base - 1 : n;
		const void *data = bytes_of(objs, r, i);
		const void *from = base < n ? bytes_of(objs, r, base) : NULL;
		if (!data || (base < n && !from))
			goto fail;
		g_autoptr(GByteArray) d = from ?
			prefix_suffix_delta(from, objs[base].len, data, objs[i].len) : NULL;
		int rc;
		if (d) {
			put_header(b, (git_object_t)6 /* OFS_DELTA */, d->len);
			put_ofs(b, out[i].offset - out[base].offset);
			rc = deflate_into(&z, b, d->data, d->len);
		} else {
			put_header(b, objs[i].type, objs[i].len);
			rc = deflate_into(&z, b, data, objs[i].len);
		}
		if (r) {
			r->put(r->ctx, i);
			if (base < n)
				r->put(r->ctx, base);
		}
		if (rc < 0)
			goto fail;
		out[i].crc = (guint32)crc32(0, b->data + out[i].offset,
					    (uInt)(b->len - out[i].offset));
	}
	deflateEnd(&z);
	put_sha1(b);
	return b;
fail:
	deflateEnd(&z);
	g_byte_array_unref(b);
	return NULL;
}

/* sorted: the objects by id; trailer: the pack's SHA-1 */
static GByteArray *make_idx(const struct packed *sorted, size_t n, const guint8 *trailer)
{
	GByteArray *b = g_byte_array_sized_new((guint)(1072 + n * 28 + 40));
	static const guint8 magic[4] = {0xff, 't', 'O', 'c'};
	g_byte_array_append(b, magic, 4);
	put_be32(b, 2);
	size_t i = 0;
	for (guint first = 0; first < 256; first++) {
		while (i < n && sorted[i].id.id[0] == first)
			i++;
		put_be32(b, (guint32)i);
	}
	for (i = 0; i < n; i++)
		g_byte_array_append(b, sorted[i].id.id, GIT_OID_RAWSZ);
	for (i = 0; i < n; i++)
		put_be32(b, sorted[i].crc);
	guint32 large = 0;
	for (i = 0; i < n; i++)
		put_be32(b, sorted[i].offset < 0x80000000u ? (guint32)sorted[i].offset
							   : 0x80000000u | large++);
	for (i = 0; i < n; i++)
		if (sorted[i].offset >= 0x80000000u)
			put_be64(b, sorted[i].offset);
	g_byte_array_append(b, trailer, GIT_OID_RAWSZ);
	put_sha1(b);
	return b;
}

/* Writes data under DIR/TEMPLATE, synced and read-only, then renames it
 * to path. */
static int write_file(const char *dir, const char *template, const char *path,
		      const GByteArray *data, GError **error)
{
	g_autofree char *tmp = g_build_filename(dir, template, NULL);
	int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0444);
	if (fd < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path,
			    g_strerror(errno));
		return -1;
	}
	if (lw_file_write_all(fd, (const char *)data->data, data->len) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		g_unlink(tmp);
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path,
			    g_strerror(e));
		return -1;
	}
	if (close(fd) < 0 || g_rename(tmp, path) < 0) {
		int e = errno;
		g_unlink(tmp);
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path,
			    g_strerror(e));
		return -1;
	}
	return 0;
}

/* Both names on the disk (DIR synced) before any ref or deletion counts
 * on them; when DIR cannot be synced, the pack and its index go again. */
static int sync_names(const char *dir, const char *pack, const char *idx, GError **error)
{
	if (lw_file_sync(dir) == 0)
		return 0;
	int e = errno;
	g_unlink(idx);
	g_unlink(pack);
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot sync '%s' to disk: %s", dir,
		    g_strerror(e));
	return -1;
}

static int write_pack(const char *dir, const struct lw_pack_object *objs, size_t n, int level,
		      bool deltas, const struct lw_pack_reader *r, char name[GIT_OID_HEXSZ + 1],
		      GError **error)
{
	if (n > G_MAXUINT32 / 2) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot pack %zu objects in '%s'", n, dir);
		return -1;
	}
	g_autofree struct packed *entries = g_new(struct packed, n ? n : 1);
	g_autoptr(GByteArray) pack = make_pack(objs, n, entries, level, deltas, r);
	if (!pack) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "cannot pack new objects in '%s': an object is too large to deflate%s", dir,
			    r ? " or cannot be read again" : "");
		return -1;
	}
	const guint8 *trailer = pack->data + pack->len - GIT_OID_RAWSZ;
	qsort(entries, n, sizeof(*entries), by_id);
	g_autoptr(GByteArray) idx = make_idx(entries, n, trailer);

	git_oid hash;
	git_oid_fromraw(&hash, trailer);
	git_oid_tostr(name, GIT_OID_HEXSZ + 1, &hash);
	g_autofree char *base = g_strconcat(dir, "/pack-", name, NULL);
	g_autofree char *p_pack = g_strconcat(base, ".pack", NULL);
	g_autofree char *p_idx = g_strconcat(base, ".idx", NULL);
	if (write_file(dir, "tmp_pack_XXXXXX", p_pack, pack, error) < 0)
		return -1;
	if (write_file(dir, "tmp_idx_XXXXXX", p_idx, idx, error) < 0) {
		g_unlink(p_pack);
		return -1;
	}
	return sync_names(dir, p_pack, p_idx, error);
}

int lw_pack_write(const char *dir, const struct lw_pack_object *objs, size_t n,
		  char name[GIT_OID_HEXSZ + 1], GError **error)
{
	return write_pack(dir, objs, n, PACK_LEVEL, false, NULL, name, error);
}

int lw_pack_write_delta(const char *dir, const struct lw_pack_object *objs, size_t n, int level,
			const struct lw_pack_reader *r, char name[GIT_OID_HEXSZ + 1], GError **error)
{
	return write_pack(dir, objs, n, level, true, r, name, error);
}

/* ---- merging packs by copying ---- */

/* A pack's bytes are read, not mapped: a mapped pack counts in the
 * process's RSS as far as it is read, and a merge reads every byte. */
#define COPY_CHUNK (1u << 20)

struct source {
	char *stem;
	GMappedFile *idx_map;
	const guint8 *idx;
	gsize idx_len;
	int fd;
	guint64 pack_len;
	guint32 n;
};

#define IDX_HEAD (8 + 256 * 4)   /* magic, version, fan-out */

static guint32 get_be32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void source_clear(struct source *s)
{
	if (s->idx_map)
		g_mapped_file_unref(s->idx_map);
	if (s->fd >= 0)
		close(s->fd);
	g_free(s->stem);
}

static int damaged(const struct source *s, const char *what, GError **error)
{
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "pack '%s.pack': %s", s->stem, what);
	return -1;
}

static int source_open(struct source *s, const char *stem, GError **error)
{
	s->stem = g_strdup(stem);
	g_autofree char *idx = g_strconcat(stem, ".idx", NULL);
	g_autofree char *pack = g_strconcat(stem, ".pack", NULL);
	GError *err = NULL;
	s->idx_map = g_mapped_file_new(idx, FALSE, &err);
	if (!s->idx_map) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot read pack '%s': %s", stem,
			    err->message);
		g_error_free(err);
		return -1;
	}
	guint8 head[12];
	GStatBuf st;
	s->fd = open(pack, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st) < 0 || pread(s->fd, head, 12, 0) != 12) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot read pack '%s': %s", pack,
			    g_strerror(errno ? errno : EIO));
		return -1;
	}
	s->pack_len = (guint64)st.st_size;
	s->idx = (const guint8 *)g_mapped_file_get_contents(s->idx_map);
	s->idx_len = g_mapped_file_get_length(s->idx_map);
	if (s->idx_len < IDX_HEAD + 2 * GIT_OID_RAWSZ || memcmp(s->idx, "\377tOc", 4) ||
	    get_be32(s->idx + 4) != 2)
		return damaged(s, "its .idx is not a version 2 index", error);
	s->n = get_be32(s->idx + IDX_HEAD - 4);
	if (s->n > (s->idx_len - IDX_HEAD - 2 * GIT_OID_RAWSZ) / 28)
		return damaged(s, "its .idx is cut short", error);
	if (s->pack_len < 12 + GIT_OID_RAWSZ || memcmp(head, "PACK", 4) ||
	    (get_be32(head + 4) != 2 && get_be32(head + 4) != 3) || get_be32(head + 8) != s->n)
		return damaged(s, "not a pack of the objects its .idx lists", error);
	return 0;
}

/* The k-th object of the index (in id order): its id, offset and CRC. */
static int source_entry(const struct source *s, guint32 k, struct packed *e, GError **error)
{
	const guint8 *ids = s->idx + IDX_HEAD;
	const guint8 *crcs = ids + (gsize)s->n * GIT_OID_RAWSZ;
	const guint8 *offs = crcs + (gsize)s->n * 4;
	git_oid_fromraw(&e->id, ids + (gsize)k * GIT_OID_RAWSZ);
	e->crc = get_be32(crcs + (gsize)k * 4);
	guint32 off = get_be32(offs + (gsize)k * 4);
	if (off & 0x80000000u) {
		const guint8 *large = offs + (gsize)s->n * 4 + (gsize)(off & 0x7fffffffu) * 8;
		if (large + 8 > s->idx + s->idx_len - 2 * GIT_OID_RAWSZ)
			return damaged(s, "its .idx names an offset it does not hold", error);
		e->offset = (guint64)get_be32(large) << 32 | get_be32(large + 4);
	} else {
		e->offset = off;
	}
	if (e->offset < 12 || e->offset >= s->pack_len - GIT_OID_RAWSZ)
		return damaged(s, "its .idx names an object outside the pack", error);
	return 0;
}

static int by_offset(gconstpointer a, gconstpointer b)
{
	guint64 x = ((const struct packed *)a)->offset, y = ((const struct packed *)b)->offset;
	return x < y ? -1 : x > y;
}

/* Copies the source's entries (all its bytes between header and
 * trailer) to fd, each entry's bytes checked against the CRC its index
 * holds on the way: a damaged pack is not copied on.  es: its entries. */
static int source_copy(const struct source *s, const struct packed *es, int fd, GChecksum *sum,
		       guint8 *buf, GError **error)
{
	g_autofree struct packed *by_off = g_memdup2(es, sizeof(*es) * (s->n ? s->n : 1));
	qsort(by_off, s->n, sizeof(*by_off), by_offset);
	guint64 body_end = s->pack_len - GIT_OID_RAWSZ;
	if (s->n == 0 ? body_end != 12 : by_off[0].offset != 12)
		return damaged(s, "its objects do not start where a pack's do", error);
	guint32 k = 0;
	guint64 at = 12;
	guint64 entry_end = s->n > 1 ? by_off[1].offset : body_end;
	uLong crc = crc32(0, Z_NULL, 0);
	while (at < body_end) {
		ssize_t got = pread(s->fd, buf, (size_t)MIN(body_end - at, (guint64)COPY_CHUNK), (off_t)at);
		if (got <= 0) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot read pack '%s.pack': %s",
				    s->stem, got < 0 ? g_strerror(errno) : "cut short");
			return -1;
		}
		for (gsize p = 0; p < (gsize)got;) {
			if (entry_end <= at + p)
				return damaged(s, "two objects at one offset", error);
			gsize take = (gsize)MIN((guint64)got - p, entry_end - (at + p));
			crc = crc32(crc, buf + p, (uInt)take);
			p += take;
			if (at + p < entry_end)
				continue;
			if ((guint32)crc != by_off[k].crc) {
				char hex[GIT_OID_HEXSZ + 1];
				git_oid_tostr(hex, sizeof(hex), &by_off[k].id);
				g_autofree char *what = g_strdup_printf("object %s does not match its CRC",
									hex);
				return damaged(s, what, error);
			}
			k++;
			entry_end = k + 1 < s->n ? by_off[k + 1].offset : body_end;
			crc = crc32(0, Z_NULL, 0);
		}
		g_checksum_update(sum, buf, got);
		if (lw_file_write_all(fd, (const char *)buf, (gsize)got) < 0) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write a pack: %s",
				    g_strerror(errno));
			return -1;
		}
		at += (guint64)got;
	}
	return 0;
}

int lw_pack_merge(const char *dir, char *const *stems, guint n, char name[GIT_OID_HEXSZ + 1],
		  GError **error)
{
	g_autofree struct source *src = g_new0(struct source, n ? n : 1);
	g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(struct packed));
	g_autofree guint *first = g_new0(guint, n ? n : 1);   /* each source's entries in all */
	g_autofree char *tmp = NULL;
	g_autofree char *p_pack = NULL;
	g_autofree char *stem = NULL;
	g_autofree char *p_idx = NULL;
	g_autofree guint8 *buf = NULL;
	g_autoptr(GChecksum) sum = NULL;
	g_autoptr(GByteArray) idx = NULL;
	int fd = -1, ret = -1;

	for (guint i = 0; i < n; i++)
		src[i].fd = -1;
	for (guint i = 0; i < n; i++) {
		if (source_open(&src[i], stems[i], error) < 0)
			goto out;
		first[i] = all->len;
		g_array_set_size(all, first[i] + src[i].n);
		struct packed *es = &g_array_index(all, struct packed, first[i]);
		for (guint32 k = 0; k < src[i].n; k++)
			if (source_entry(&src[i], k, &es[k], error) < 0)
				goto out;
		if (all->len > G_MAXUINT32 / 2) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot merge %u objects in '%s'",
				    all->len, dir);
			goto out;
		}
	}
	{
		/* a pack cannot hold an object twice */
		g_autoptr(GArray) ids = g_array_sized_new(FALSE, FALSE, sizeof(struct packed), all->len);
		g_array_append_vals(ids, all->data, all->len);
		g_array_sort(ids, by_id);
		for (guint i = 1; i < ids->len; i++) {
			if (git_oid_equal(&g_array_index(ids, struct packed, i - 1).id,
					  &g_array_index(ids, struct packed, i).id)) {
				ret = 1;
				goto out;
			}
		}
	}

	/* the pack: the header, every pack's entries as they are, the trailer */
	tmp = g_build_filename(dir, "tmp_pack_XXXXXX", NULL);
	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0444);
	if (fd < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", tmp,
			    g_strerror(errno));
		g_clear_pointer(&tmp, g_free);
		goto out;
	}
	sum = g_checksum_new(G_CHECKSUM_SHA1);
	guint8 head[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
	head[8] = (guint8)(all->len >> 24);
	head[9] = (guint8)(all->len >> 16);
	head[10] = (guint8)(all->len >> 8);
	head[11] = (guint8)all->len;
	g_checksum_update(sum, head, sizeof(head));
	if (lw_file_write_all(fd, (const char *)head, sizeof(head)) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", tmp,
			    g_strerror(errno));
		goto out;
	}
	buf = g_malloc(COPY_CHUNK);
	guint64 base = 12;
	for (guint i = 0; i < n; i++) {
		struct packed *es = &g_array_index(all, struct packed, first[i]);
		if (source_copy(&src[i], es, fd, sum, buf, error) < 0)
			goto out;
		for (guint32 k = 0; k < src[i].n; k++)
			es[k].offset = es[k].offset - 12 + base;
		base += src[i].pack_len - 12 - GIT_OID_RAWSZ;
	}
	guint8 trailer[GIT_OID_RAWSZ];
	gsize tlen = sizeof(trailer);
	g_checksum_get_digest(sum, trailer, &tlen);
	if (lw_file_write_all(fd, (const char *)trailer, sizeof(trailer)) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0) {
		fd = -1;
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", tmp,
			    g_strerror(errno));
		goto out;
	}
	fd = -1;
	git_oid hash;
	git_oid_fromraw(&hash, trailer);
	git_oid_tostr(name, GIT_OID_HEXSZ + 1, &hash);
	stem = g_strconcat(dir, "/pack-", name, NULL);
	p_pack = g_strconcat(stem, ".pack", NULL);
	p_idx = g_strconcat(stem, ".idx", NULL);
	if (g_rename(tmp, p_pack) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", p_pack,
			    g_strerror(errno));
		g_clear_pointer(&p_pack, g_free);
		goto out;
	}
	g_clear_pointer(&tmp, g_free);

	g_array_sort(all, by_id);
	idx = make_idx((const struct packed *)all->data, all->len, trailer);
	if (write_file(dir, "tmp_idx_XXXXXX", p_idx, idx, error) < 0)
		goto out;
	if (sync_names(dir, p_pack, p_idx, error) < 0) {
		g_clear_pointer(&p_pack, g_free);   /* gone already */
		goto out;
	}
	g_clear_pointer(&p_pack, g_free);   /* whole: kept */
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		g_unlink(tmp);
	if (p_pack)
		g_unlink(p_pack);
	for (guint i = 0; i < n; i++)
		source_clear(&src[i]);
	return ret;
}
