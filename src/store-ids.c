/* Where each entry of a blog lives (store-private.h): day folders and the
 * per-blog id index <state_dir>/<blog>.ids. */
#include "store-private.h"
#include "error.h"
#include "file.h"
#include "gc.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- where entries live ---- */

/* "YYYY-MM-DD": the name of a day folder. */
bool store_is_day(const char *name)
{
	static const char shape[] = "dddd-dd-dd";
	for (gsize i = 0; i < sizeof(shape) - 1; i++)
		if (!name[i] || (shape[i] == 'd' ? !g_ascii_isdigit(name[i]) : name[i] != '-'))
			return false;
	return name[sizeof(shape) - 1] == '\0';
}

/* The day folder a new entry goes to: the UTC date of its published
 * time, else of the fetch. */
void store_entry_day(const struct lw_entry *e, gint64 when, char out[11])
{
	g_autoptr(GDateTime) dt = NULL;
	if (*e->published) {
		g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
		dt = g_date_time_new_from_iso8601(e->published, utc);
	}
	if (!dt)
		dt = g_date_time_new_from_unix_utc(when);
	g_autoptr(GDateTime) u = dt ? g_date_time_to_utc(dt) : NULL;
	g_autofree char *day = u ? g_date_time_format(u, "%Y-%m-%d") : NULL;
	g_strlcpy(out, day && store_is_day(day) ? day : "1970-01-01", 11);
}

/* "<blog>/entries/<day>/<id>.md", or the flat "<blog>/entries/<id>.md". */
char *store_entry_path(const char *blog, const char *day, const char *id)
{
	return *day ? g_strdup_printf("%s/entries/%s/%s.md", blog, day, id)
		    : g_strdup_printf("%s/entries/%s.md", blog, id);
}

void store_blog_ids_free(gpointer p)
{
	struct blog_ids *ix = p;
	if (!ix)
		return;
	if (ix->map)
		g_mapped_file_unref(ix->map);
	g_hash_table_unref(ix->day);
	g_free(ix);
}

static struct blog_ids *blog_ids_new(void)
{
	struct blog_ids *ix = g_new0(struct blog_ids, 1);
	ix->day = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return ix;
}

static char *ids_path(struct lw_store *s, const char *blog)
{
	g_autofree char *fname = g_strconcat(blog, ".ids", NULL);
	return g_build_filename(s->state_dir, fname, NULL);
}

/* Adds every entry file of an entries tree (day folders and flat files). */
static int ids_scan(struct lw_store *s, const char *blog, const git_tree *etree,
		    struct blog_ids *ix, GError **error)
{
	size_t n = etree ? git_tree_entrycount(etree) : 0;
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(etree, i);
		const char *name = git_tree_entry_name(te);
		if (git_tree_entry_type(te) == GIT_OBJECT_BLOB) {
			if (!g_str_has_suffix(name, ".md"))
				continue;
			char *id = g_strndup(name, strlen(name) - 3);
			if (lw_name_valid(id))
				g_hash_table_replace(ix->day, id, g_strdup(""));
			else
				g_free(id);
			continue;
		}
		if (git_tree_entry_type(te) != GIT_OBJECT_TREE || !store_is_day(name))
			continue;
		git_tree *day = NULL;
		if (git_tree_lookup(&day, s->repo, git_tree_entry_id(te)) < 0) {
			lw_store_git_error(error, "repository '%s': cannot read '%s/entries/%s'",
					   s->path, blog, name);
			return -1;
		}
		size_t m = git_tree_entrycount(day);
		for (size_t j = 0; j < m; j++) {
			const git_tree_entry *fe = git_tree_entry_byindex(day, j);
			const char *fname = git_tree_entry_name(fe);
			if (git_tree_entry_type(fe) != GIT_OBJECT_BLOB || !g_str_has_suffix(fname, ".md"))
				continue;
			char *id = g_strndup(fname, strlen(fname) - 3);
			if (lw_name_valid(id))
				g_hash_table_replace(ix->day, id, g_strdup(name));
			else
				g_free(id);
		}
		git_tree_free(day);
	}
	ix->entries = etree ? *git_tree_id(etree) : (git_oid){ { 0 } };
	return 0;
}

/* The day of an "id day" line's day field ("-": flat). */
static bool parse_day(const char *p, gsize n, char out[11])
{
	if (n == 1 && *p == '-') {
		out[0] = '\0';
		return true;
	}
	if (n != 10)
		return false;
	memcpy(out, p, 10);
	out[10] = '\0';
	return store_is_day(out);
}

/* Looks id up; false when the blog never recorded it. */
bool store_ids_lookup(const struct blog_ids *ix, const char *id, char day[11])
{
	const char *d = g_hash_table_lookup(ix->day, id);
	if (d) {
		g_strlcpy(day, d, 11);
		return true;
	}
	/* binary search over the sorted lines of base */
	gsize idlen = strlen(id);
	const char *lo = ix->base, *hi = ix->base ? ix->base + ix->base_len : NULL;
	while (lo && lo < hi) {
		const char *mid = lo + (hi - lo) / 2;
		while (mid > lo && mid[-1] != '\n')
			mid--;
		const char *nl = memchr(mid, '\n', (gsize)(hi - mid));
		const char *sp = nl ? memchr(mid, ' ', (gsize)(nl - mid)) : NULL;
		if (!sp)
			return false;   /* damaged: ids_read checked the shape */
		gsize n = (gsize)(sp - mid);
		int c = memcmp(id, mid, MIN(idlen, n));
		if (c == 0)
			c = idlen < n ? -1 : idlen > n ? 1 : 0;
		if (c == 0)
			return parse_day(sp + 1, (gsize)(nl - sp - 1), day);
		if (c < 0)
			hi = mid;
		else
			lo = nl + 1;
	}
	return false;
}

void store_ids_add(struct blog_ids *ix, const char *id, const char *day)
{
	g_hash_table_replace(ix->day, g_strdup(id), g_strdup(day));
}

/* Calls fn for every id (base first, then the table). */
void store_ids_foreach(const struct blog_ids *ix, void (*fn)(const char *id, const char *day, void *),
			void *data)
{
	const char *p = ix->base, *end = ix->base ? ix->base + ix->base_len : NULL;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *sp = nl ? memchr(p, ' ', (gsize)(nl - p)) : NULL;
		if (!sp)
			break;
		g_autofree char *id = g_strndup(p, (gsize)(sp - p));
		char day[11];
		if (!g_hash_table_contains(ix->day, id) && parse_day(sp + 1, (gsize)(nl - sp - 1), day))
			fn(id, day, data);
		p = nl + 1;
	}
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, ix->day);
	while (g_hash_table_iter_next(&it, &k, &v))
		fn(k, v, data);
}

/* Reads <blog>.ids when it describes `want`; false when it is missing,
 * damaged (a torn append) or out of date: the caller then rescans.
 *
 *   livewatch-ids 2 <bytes of sorted lines>
 *   <id> <day or ->          sorted by id (bytes), looked up in place
 *   ...
 *   <id> <day or ->          appended since, in any order
 *   @ <entries tree id>      after each commit's appends
 *
 * Only the header and the tail are parsed: the cost of reading it does
 * not grow with the blog's history, only with the appends since the
 * last compaction (at most LW_IDS_TAIL_MAX lines). */
#define LW_IDS_TAIL_MAX 4096
static bool ids_read(struct lw_store *s, const char *blog, const git_oid *want, struct blog_ids *ix)
{
	g_autofree char *p = ids_path(s, blog);
	GMappedFile *map = g_mapped_file_new(p, FALSE, NULL);
	if (!map)
		return false;
	const char *text = g_mapped_file_get_contents(map);
	gsize len = g_mapped_file_get_length(map);
	static const char magic[] = "livewatch-ids 2 ";
	const char *nl = text ? memchr(text, '\n', MIN(len, 64)) : NULL;
	if (!nl || len < sizeof(magic) || memcmp(text, magic, sizeof(magic) - 1)) {
		g_mapped_file_unref(map);
		return false;
	}
	char *endp = NULL;
	guint64 base_len = g_ascii_strtoull(text + sizeof(magic) - 1, &endp, 10);
	const char *base = nl + 1;
	if (endp != nl || base_len > (guint64)(text + len - base) ||
	    (base_len && base[base_len - 1] != '\n')) {
		g_mapped_file_unref(map);
		return false;
	}
	git_oid last = { { 0 } };
	bool have_mark = false, ok = true;
	guint tail = 0;
	const char *line = base + base_len, *end = text + len;
	while (line < end && ok) {
		const char *lnl = memchr(line, '\n', (gsize)(end - line));
		if (!lnl) {
			ok = false;   /* torn: the append did not finish */
			break;
		}
		const char *sp = memchr(line, ' ', (gsize)(lnl - line));
		g_autofree char *id = sp ? g_strndup(line, (gsize)(sp - line)) : NULL;
		char day[11];
		tail++;
		if (id && !strcmp(id, "@")) {
			g_autofree char *hex = g_strndup(sp + 1, (gsize)(lnl - sp - 1));
			ok = git_oid_fromstr(&last, hex) == 0;
			have_mark = true;
		} else if (id && lw_name_valid(id) && parse_day(sp + 1, (gsize)(lnl - sp - 1), day)) {
			store_ids_add(ix, id, day);
		} else {
			ok = false;
		}
		line = lnl + 1;
	}
	if (!ok || !have_mark || !git_oid_equal(&last, want)) {
		g_mapped_file_unref(map);
		g_hash_table_remove_all(ix->day);
		return false;
	}
	ix->map = map;
	ix->base = base;
	ix->base_len = (gsize)base_len;
	ix->entries = last;
	ix->tail = tail;
	return true;
}

void store_ids_line(GString *out, const char *id, const char *day)
{
	g_string_append_printf(out, "%s %s\n", id, *day ? day : "-");
}

static void ids_mark(GString *out, const git_oid *tree)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), tree);
	g_string_append_printf(out, "@ %s\n", hex);
}

void store_ids_collect(const char *id, const char *day, void *data)
{
	GPtrArray *lines = data;
	g_ptr_array_add(lines, g_strdup_printf("%s %s\n", id, *day ? day : "-"));
}

static int cmp_lines(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	/* by id: the space ends it, and sorts before every id character */
	return strcmp(x, y);
}

/* Rewrites <blog>.ids whole, sorted (a cache: failing to write it costs a
 * rescan next time, nothing more). */
static void ids_write(struct lw_store *s, const char *blog, struct blog_ids *ix)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	store_ids_foreach(ix, store_ids_collect, lines);
	g_ptr_array_sort(lines, cmp_lines);
	GString *body = g_string_new(NULL);
	for (guint i = 0; i < lines->len; i++)
		g_string_append(body, lines->pdata[i]);
	GString *out = g_string_new(NULL);
	g_string_append_printf(out, "livewatch-ids 2 %" G_GSIZE_FORMAT "\n", body->len);
	g_string_append_len(out, body->str, (gssize)body->len);
	ids_mark(out, &ix->entries);
	ix->tail = 1;
	g_autofree char *p = ids_path(s, blog);
	if (lw_file_write_atomic(p, out->str, out->len, NULL) < 0)
		g_unlink(p);
	g_string_free(out, TRUE);
	g_string_free(body, TRUE);
}

/* Appends what a commit added; on any failure the file goes (and is
 * rebuilt from the trees by the next process that needs it). */
void store_ids_append(struct lw_store *s, const char *blog, struct blog_ids *ix, GString *lines)
{
	ids_mark(lines, &ix->entries);
	for (const char *c = lines->str; *c; c++)
		ix->tail += *c == '\n';
	g_autofree char *p = ids_path(s, blog);
	if (ix->tail > LW_IDS_TAIL_MAX) {
		ids_write(s, blog, ix);
		return;
	}
	int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || lw_file_write_all(fd, lines->str, lines->len) < 0)
		g_unlink(p);
	if (fd >= 0)
		close(fd);
}

/* The id index of blog for the entries tree etree (NULL: none). */
struct blog_ids *store_ids_get(struct lw_store *s, const char *blog, const git_tree *etree,
				GError **error)
{
	git_oid want = etree ? *git_tree_id(etree) : (git_oid){ { 0 } };
	struct blog_ids *ix = g_hash_table_lookup(s->ids, blog);
	if (ix && git_oid_equal(&ix->entries, &want))
		return ix;
	ix = blog_ids_new();
	if (!ids_read(s, blog, &want, ix)) {
		g_hash_table_remove_all(ix->day);
		if (ids_scan(s, blog, etree, ix, error) < 0) {
			store_blog_ids_free(ix);
			return NULL;
		}
		ids_write(s, blog, ix);
	}
	g_hash_table_replace(s->ids, g_strdup(blog), ix);
	return ix;
}
