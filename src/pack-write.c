/* A pack and its index, written straight from objects in memory
 * (pack-write.h). */
#include "pack-write.h"
#include "error.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* A commit's pack lives until gc merges it (at 32 such packs), and the
 * merge deflates every object again: so the objects are stored, not
 * compressed.  Under callgrind, level 1 cost 1.8 M instructions a commit
 * (zlib's hash table cleared for each object, then the search), 7 % of a
 * poll; stored, 0.3 M.  On the disk a commit's pack stays a few blocks.
 * The smallest memLevel makes each object's deflateReset() cheap. */
#define PACK_LEVEL Z_NO_COMPRESSION
#define PACK_MEMLEVEL 1

struct packed {
	const struct lw_pack_object *o;
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
	return git_oid_cmp(&((const struct packed *)a)->o->id, &((const struct packed *)b)->o->id);
}

static GByteArray *make_pack(const struct lw_pack_object *objs, size_t n, struct packed *out)
{
	GByteArray *b = g_byte_array_sized_new(4096);
	g_byte_array_append(b, (const guint8 *)"PACK", 4);
	put_be32(b, 2);
	put_be32(b, (guint32)n);
	z_stream z = {0};
	if (deflateInit2(&z, PACK_LEVEL, Z_DEFLATED, 15, PACK_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		g_byte_array_unref(b);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		out[i].o = &objs[i];
		out[i].offset = b->len;
		put_header(b, objs[i].type, objs[i].len);
		if (deflate_into(&z, b, objs[i].data, objs[i].len) < 0) {
			deflateEnd(&z);
			g_byte_array_unref(b);
			return NULL;
		}
		out[i].crc = (guint32)crc32(0, b->data + out[i].offset,
					    (uInt)(b->len - out[i].offset));
	}
	deflateEnd(&z);
	put_sha1(b);
	return b;
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
		while (i < n && sorted[i].o->id.id[0] == first)
			i++;
		put_be32(b, (guint32)i);
	}
	for (i = 0; i < n; i++)
		g_byte_array_append(b, sorted[i].o->id.id, GIT_OID_RAWSZ);
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

int lw_pack_write(const char *dir, const struct lw_pack_object *objs, size_t n,
		  char name[GIT_OID_HEXSZ + 1], GError **error)
{
	if (n > G_MAXUINT32 / 2) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot pack %zu objects in '%s'", n, dir);
		return -1;
	}
	g_autofree struct packed *entries = g_new(struct packed, n ? n : 1);
	g_autoptr(GByteArray) pack = make_pack(objs, n, entries);
	if (!pack) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "cannot pack new objects in '%s': an object is too large to deflate", dir);
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
	/* both names on the disk before any ref can name what they hold */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot sync '%s' to disk: %s", dir,
			    g_strerror(e));
		return -1;
	}
	close(fd);
	return 0;
}
