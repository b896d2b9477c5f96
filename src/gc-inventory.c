/* What is in objects/: loose objects and packs, whether packing is due
 * (gc.h lw_gc_due), and which packs an incremental run merges. */
#include "gc-private.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* lw_gc_due() reads this many of the 256 objects/XX folders, spread over
 * the range, and scales: at the threshold that is ~30 objects seen, so the
 * estimate is within a few tens of percent. */
#define DUE_SAMPLE_DIRS 8

void gc_inventory_clear(struct inventory *inv)
{
	if (inv->loose)
		g_array_unref(inv->loose);
	if (inv->packs)
		g_ptr_array_unref(inv->packs);
	if (inv->small)
		g_ptr_array_unref(inv->small);
	if (inv->in_small)
		g_array_unref(inv->in_small);
}

static guint64 file_size(const char *path)
{
	GStatBuf sb;
	return g_stat(path, &sb) == 0 ? (guint64)sb.st_size : 0;
}

static bool is_hex(const char *s, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return s[n] == '\0';
}

static void list_loose(const char *objects, guint fan, struct inventory *inv)
{
	char dname[3];
	g_snprintf(dname, sizeof(dname), "%02x", fan);
	g_autofree char *dir = g_build_filename(objects, dname, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		if (strlen(name) != GIT_OID_HEXSZ - 2 || !is_hex(name, GIT_OID_HEXSZ - 2))
			continue;
		char hex[GIT_OID_HEXSZ + 1];
		memcpy(hex, dname, 2);
		memcpy(hex + 2, name, GIT_OID_HEXSZ - 2);
		hex[GIT_OID_HEXSZ] = '\0';
		git_oid oid;
		if (git_oid_fromstr(&oid, hex) < 0)
			continue;
		if (inv->loose)
			g_array_append_val(inv->loose, oid);
		g_autofree char *p = g_build_filename(dir, name, NULL);
		inv->bytes += file_size(p);
	}
	g_dir_close(d);
}

/* How many objects a pack's .idx lists (version 2: the last entry of
 * its fan-out table); G_MAXUINT when it cannot be read. */
guint gc_idx_objects(const char *idx)
{
	unsigned char head[8 + 256 * 4];
	int fd = open(idx, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return G_MAXUINT;
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, "\377tOc\0\0\0\2", 8))
		return G_MAXUINT;
	const unsigned char *last = head + 8 + 255 * 4;
	return (guint)last[0] << 24 | (guint)last[1] << 16 | (guint)last[2] << 8 | last[3];
}

/* Whether pack holds its objects stored, not compressed: the store's own
 * packs (pack-write.c writes each object whole, deflate level 0, for gc
 * to compress later), whatever their number of objects (a `poll`'s batch
 * can hold thousands).  Read from its first entry: a whole object (not a
 * delta) whose zlib stream starts with a stored block. */
bool gc_pack_stored(const char *pack)
{
	unsigned char b[12 + 16 + 3];
	int fd = open(pack, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = pread(fd, b, sizeof(b), 0);
	close(fd);
	if (n != (ssize_t)sizeof(b) || memcmp(b, "PACK\0\0\0\2", 8))
		return false;
	guint at = 12;
	unsigned type = (b[at] >> 4) & 7;
	while (b[at] & 0x80 && at < 12 + 10)
		at++;
	at++;
	if (type < 1 || type > 4 || at + 3 > sizeof(b))
		return false;
	/* zlib: CM 8, FLEVEL 0 (what level 0 writes), then BTYPE 00 */
	return b[at] == 0x78 && b[at + 1] == 0x01 && (b[at + 2] & 0x06) == 0;
}

/* Packs with both .pack and .idx; the rest is recovery's business. */
static void list_packs(const char *objects, struct inventory *inv)
{
	g_autofree char *dir = g_build_filename(objects, "pack", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		if (!g_str_has_prefix(name, "pack-") || !g_str_has_suffix(name, ".pack"))
			continue;
		g_autofree char *p = g_build_filename(dir, name, NULL);
		char *stem = g_strndup(p, strlen(p) - 5);
		g_autofree char *idx = g_strconcat(stem, ".idx", NULL);
		g_autofree char *keep = g_strconcat(stem, ".keep", NULL);
		if (!g_file_test(idx, G_FILE_TEST_EXISTS)) {
			g_free(stem);
			continue;
		}
		inv->bytes += file_size(p) + file_size(idx);
		if (g_file_test(keep, G_FILE_TEST_EXISTS)) {
			inv->kept++;
			g_free(stem);
		} else if (gc_idx_objects(idx) < LW_GC_SMALL_OBJECTS || gc_pack_stored(p)) {
			g_ptr_array_add(inv->small, stem);
		} else {
			g_ptr_array_add(inv->packs, stem);
		}
	}
	g_dir_close(d);
}

void gc_take_inventory(const char *git_dir, struct inventory *inv)
{
	g_autofree char *objects = g_build_filename(git_dir, "objects", NULL);
	inv->loose = g_array_new(FALSE, FALSE, sizeof(git_oid));
	inv->packs = g_ptr_array_new_with_free_func(g_free);
	inv->small = g_ptr_array_new_with_free_func(g_free);
	inv->kept = 0;
	inv->bytes = 0;
	for (guint fan = 0; fan < 256; fan++)
		list_loose(objects, fan, inv);
	list_packs(objects, inv);
}

static gint by_objects(gconstpointer a, gconstpointer b, gpointer counts)
{
	guint ca = GPOINTER_TO_UINT(g_hash_table_lookup(counts, *(char *const *)a));
	guint cb = GPOINTER_TO_UINT(g_hash_table_lookup(counts, *(char *const *)b));
	return ca < cb ? -1 : ca > cb;
}

/* Which of the other packs an incremental run merges too, so that packs
 * keep growing geometrically (as git's `repack --geometric=2`): from the
 * smallest up, a pack holding fewer than twice the objects gathered so
 * far (loose, small packs, the packs taken before it) is taken; the first
 * that holds more ends it, and every pack left holds more than twice the
 * objects of all smaller ones together.  So a run rewrites about as many
 * objects as it packs new ones, and the history stays in a handful of
 * packs without ever being packed whole again (lw_gc_run's full does that,
 * as `livewatch gc`).  max_objects bounds the small packs taken (at
 * least two), max_copied the merge with the other packs; crowded (too
 * many packs, and a bound that forbids a full run) takes the smallest
 * packs that fit, geometric or not. */
guint gc_take_geometric(struct inventory *inv, guint64 max_objects, guint64 max_copied,
			bool crowded)
{
	g_autoptr(GHashTable) counts = g_hash_table_new(g_str_hash, g_str_equal);
	guint64 acc = inv->loose->len;
	for (guint i = 0; i < inv->small->len; i++) {
		g_autofree char *idx = g_strconcat(inv->small->pdata[i], ".idx", NULL);
		guint n = gc_idx_objects(idx);
		n = n == G_MAXUINT ? 0 : n;
		/* a burst of commits (a thousand blogs' first polls) leaves
		 * hundreds of small packs: the next run takes the rest */
		if (max_objects && i >= 2 && acc + n > max_objects) {
			g_ptr_array_remove_range(inv->small, i, inv->small->len - i);
			break;
		}
		acc += n;
	}
	for (guint i = 0; i < inv->packs->len; i++) {
		g_autofree char *idx = g_strconcat(inv->packs->pdata[i], ".idx", NULL);
		g_hash_table_insert(counts, inv->packs->pdata[i], GUINT_TO_POINTER(gc_idx_objects(idx)));
	}
	guint small = inv->small->len;
	g_ptr_array_sort_with_data(inv->packs, by_objects, counts);
	while (inv->packs->len) {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, inv->packs->pdata[0]));
		if (!crowded && (guint64)n >= 2 * acc)
			break;
		if (max_copied && acc + n > max_copied)
			break;
		acc += n;
		g_ptr_array_add(inv->small, g_ptr_array_steal_index(inv->packs, 0));
	}
	return small;
}

bool lw_gc_due(struct git_repository *repo, const char *git_dir)
{
	(void)repo;
	g_autofree char *objects = g_build_filename(git_dir, "objects", NULL);
	struct inventory inv = { 0 };
	inv.packs = g_ptr_array_new_with_free_func(g_free);
	inv.small = g_ptr_array_new_with_free_func(g_free);
	/* inv.loose stays NULL: count only */
	guint seen = 0;
	for (guint i = 0; i < DUE_SAMPLE_DIRS; i++) {
		g_autofree char *dname = g_strdup_printf("%02x", 0x17 + i * (256 / DUE_SAMPLE_DIRS));
		g_autofree char *dir = g_build_filename(objects, dname, NULL);
		GDir *d = g_dir_open(dir, 0, NULL);
		if (!d)
			continue;
		const char *name;
		while ((name = g_dir_read_name(d)))
			if (strlen(name) == GIT_OID_HEXSZ - 2)
				seen++;
		g_dir_close(d);
	}
	list_packs(objects, &inv);
	bool due = (guint64)seen * (256 / DUE_SAMPLE_DIRS) > LW_GC_LOOSE_MAX ||
		   inv.small->len >= LW_GC_SMALL_MAX || inv.packs->len >= LW_GC_PACKS_MAX;
	gc_inventory_clear(&inv);
	return due;
}

char *lw_gc_stats_describe(const struct lw_gc_stats *st)
{
	return g_strdup_printf("%u loose object%s and %u pack%s -> %u pack%s, %.1f MB -> %.1f MB",
			       st->loose_before, st->loose_before == 1 ? "" : "s",
			       st->packs_before, st->packs_before == 1 ? "" : "s",
			       st->packs_after, st->packs_after == 1 ? "" : "s",
			       (double)st->bytes_before / 1e6, (double)st->bytes_after / 1e6);
}
