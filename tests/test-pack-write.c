/* Tests for src/pack-write.c: packs written from objects in memory are
 * what git itself accepts (git verify-pack, which inflates and hashes
 * every object and checks both checksums) and what libgit2 reads back,
 * byte for byte, at the sizes where the formats change shape. */
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "error.h"
#include "pack-write.h"

static char *tmp_dir(void)
{
	g_autoptr(GError) err = NULL;
	char *d = g_dir_make_tmp("lw-pack-XXXXXX", &err);
	g_assert_no_error(err);
	return d;
}

static void rm_rf(const char *path)
{
	const char *argv[] = {"rm", "-rf", path, NULL};
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
		     NULL);
}

static guint count_names(const char *dir, const char *prefix)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	g_assert_nonnull(d);
	guint n = 0;
	const char *name;
	while ((name = g_dir_read_name(d)))
		n += g_str_has_prefix(name, prefix);
	g_dir_close(d);
	return n;
}

struct obj {
	struct lw_pack_object o;
	GBytes *bytes;
};

static void obj_set(struct obj *x, git_object_t type, GBytes *bytes)
{
	x->bytes = bytes;
	x->o.type = type;
	x->o.data = g_bytes_get_data(bytes, &x->o.len);
	g_assert_cmpint(git_odb_hash(&x->o.id, x->o.data, x->o.len, type), ==, 0);
}

/* Blobs at every size where the object header gains a byte (4, 11, 18
 * bits), empty, text that deflates well and bytes that do not; a tree
 * and a commit naming them. */
static guint make_objects(struct obj *objs)
{
	static const gsize sizes[] = {0, 1, 15, 16, 2047, 2048, 262143, 262144, 3 << 20};
	guint n = 0;
	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		guint8 *data = g_malloc(sizes[i] + 1);
		GRand *r = g_rand_new_with_seed(i);
		for (gsize k = 0; k < sizes[i]; k++)
			data[k] = i % 2 ? (guint8)g_rand_int(r) : (guint8)("Bakhmut held.\n"[k % 14]);
		g_rand_free(r);
		obj_set(&objs[n++], GIT_OBJECT_BLOB, g_bytes_new_take(data, sizes[i]));
	}
	GByteArray *tree = g_byte_array_new();
	g_byte_array_append(tree, (const guint8 *)"100644 a.md", 12);   /* with its NUL */
	g_byte_array_append(tree, objs[4].o.id.id, GIT_OID_RAWSZ);
	obj_set(&objs[n++], GIT_OBJECT_TREE, g_byte_array_free_to_bytes(tree));
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &objs[n - 1].o.id);
	char *commit = g_strdup_printf("tree %s\nauthor A <a@example.org> 1676399460 +0000\n"
				       "committer A <a@example.org> 1676399460 +0000\n\nb: 1 new\n",
				       hex);
	obj_set(&objs[n++], GIT_OBJECT_COMMIT, g_bytes_new_take(commit, strlen(commit)));
	return n;
}

static void test_git_reads_it(void)
{
	g_autofree char *dir = tmp_dir();
	struct obj objs[16];
	guint n = make_objects(objs);
	struct lw_pack_object po[16];
	for (guint i = 0; i < n; i++)
		po[i] = objs[i].o;

	g_autoptr(GError) err = NULL;
	char name[GIT_OID_HEXSZ + 1];
	g_assert_cmpint(lw_pack_write(dir, po, n, name, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpuint(strlen(name), ==, GIT_OID_HEXSZ);
	g_assert_cmpuint(count_names(dir, "tmp_"), ==, 0);
	g_assert_cmpuint(count_names(dir, "pack-"), ==, 2);

	g_autofree char *idx = g_strdup_printf("%s/pack-%s.idx", dir, name);
	g_autofree char *pack = g_strdup_printf("%s/pack-%s.pack", dir, name);
	GStatBuf st;
	g_assert_cmpint(g_stat(pack, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0444);

	/* git checks the checksums, inflates every object and hashes it */
	const char *argv[] = {"git", "verify-pack", "-v", idx, NULL};
	g_autofree char *out = NULL, *errout = NULL;
	int status;
	g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
				   &errout, &status, NULL));
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("git verify-pack: %s", errout);
	for (guint i = 0; i < n; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &objs[i].o.id);
		g_assert_nonnull(strstr(out, hex));
	}
	g_autofree char *summary = g_strdup_printf("non delta: %u objects", n);
	g_assert_nonnull(strstr(out, summary));

	/* and libgit2 reads each one back, byte for byte */
	git_odb_backend *be = NULL;
	g_assert_cmpint(git_odb_backend_one_pack(&be, idx), ==, 0);
	git_odb *odb = NULL;
	g_assert_cmpint(git_odb_new(&odb), ==, 0);
	g_assert_cmpint(git_odb_add_backend(odb, be, 1), ==, 0);
	for (guint i = 0; i < n; i++) {
		git_odb_object *o = NULL;
		g_assert_cmpint(git_odb_read(&o, odb, &objs[i].o.id), ==, 0);
		g_assert_cmpint(git_odb_object_type(o), ==, objs[i].o.type);
		g_assert_cmpuint(git_odb_object_size(o), ==, objs[i].o.len);
		g_assert_true(memcmp(git_odb_object_data(o), objs[i].o.data, objs[i].o.len) == 0);
		git_odb_object_free(o);
		g_bytes_unref(objs[i].bytes);
	}
	git_odb_free(odb);
	rm_rf(dir);
}

/* A folder it cannot write to: an error naming the file, nothing left */
static void test_unwritable(void)
{
	g_autofree char *dir = tmp_dir();
	g_autofree char *missing = g_build_filename(dir, "gone", NULL);
	struct obj objs[16];
	guint n = make_objects(objs);
	struct lw_pack_object po[16];
	for (guint i = 0; i < n; i++)
		po[i] = objs[i].o;
	g_autoptr(GError) err = NULL;
	char name[GIT_OID_HEXSZ + 1];
	g_assert_cmpint(lw_pack_write(missing, po, n, name, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, "cannot write '"));
	g_assert_nonnull(strstr(err->message, missing));
	g_assert_cmpuint(count_names(dir, ""), ==, 0);
	for (guint i = 0; i < n; i++)
		g_bytes_unref(objs[i].bytes);
	rm_rf(dir);
}


/* Runs a shell command in dir; returns its stdout, asserts success. */
static char *sh(const char *dir, const char *cmd)
{
	const char *argv[] = {"sh", "-c", cmd, NULL};
	g_autofree char *errout = NULL;
	char *out = NULL;
	int status;
	g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
				   &errout, &status, NULL));
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("%s: %s", cmd, errout);
	return out;
}

/* The packs (stems) in a repository's objects/pack, sorted. */
static GPtrArray *packs_in(const char *pack_dir)
{
	GPtrArray *stems = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(pack_dir, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".pack"))
			g_ptr_array_add(stems, g_strdup_printf("%s/%.*s", pack_dir,
							       (int)strlen(name) - 5, name));
	if (d)
		g_dir_close(d);
	g_ptr_array_sort(stems, (GCompareFunc)g_strcmp0);
	return stems;
}

/* A repository whose history sits in three packs that git made: one with
 * offset deltas, one with ref deltas, one of whole objects, plus one
 * that lw_pack_write() made. */
static char *repo_with_packs(void)
{
	char *dir = tmp_dir();
	g_free(sh(dir, "git init -q . && git config user.name T && git config user.email t@example.org && "
		       "seq 1 400 > a && git add a && git commit -qm one && "
		       "for i in 2 3 4 5; do sed -i \"s/^$i\\$/$i edited/\" a && git commit -qam v$i; done && "
		       "git repack -q -d"));
	g_free(sh(dir, "for i in 6 7 8; do sed -i \"s/^$i\\$/$i edited/\" a && git commit -qam v$i; done && "
		       "git -c repack.useDeltaBaseOffset=false repack -q -d"));
	g_free(sh(dir, "echo tail >> a && git commit -qam tail && git repack -q -d --depth=0 --window=0"));
	return dir;
}

/* Packs git made (offset and ref deltas) and one of ours merge into one
 * that git verifies and reads the whole history from. */
static void test_merge(void)
{
	g_autofree char *dir = repo_with_packs();
	g_autofree char *pack_dir = g_build_filename(dir, ".git", "objects", "pack", NULL);
	/* and one of ours: a blob nobody else holds */
	struct obj extra[1];
	obj_set(&extra[0], GIT_OBJECT_BLOB, g_bytes_new_static("ours\n", 5));
	char ours[GIT_OID_HEXSZ + 1];
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(lw_pack_write(pack_dir, &extra[0].o, 1, ours, &err), ==, 0);
	g_autoptr(GPtrArray) stems = packs_in(pack_dir);
	g_assert_cmpuint(stems->len, ==, 4);
	g_autofree char *before = sh(dir, "git log -p --format=%H%n%s | sha1sum");
	g_autofree char *deltas = sh(dir, "for i in .git/objects/pack/*.idx; do git verify-pack -v $i; done | "
				      "grep -c 'blob.* [0-9]* [0-9]* [0-9]* [0-9]* [0-9a-f]\\{40\\}' || true");
	g_assert_cmpint(atoi(deltas), >, 0);   /* there are deltas to keep */

	char name[GIT_OID_HEXSZ + 1];
	g_assert_cmpint(lw_pack_merge(pack_dir, (char *const *)stems->pdata, stems->len, name, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpuint(count_names(pack_dir, "tmp_"), ==, 0);
	g_autofree char *idx = g_strdup_printf("%s/pack-%s.idx", pack_dir, name);
	g_autofree char *cmd = g_strdup_printf("git verify-pack %s", idx);
	g_free(sh(dir, cmd));
	/* the merged pack alone holds the history, deltas and all */
	for (guint i = 0; i < stems->len; i++) {
		g_autofree char *c = g_strdup_printf("rm -f %s.pack %s.idx", (char *)stems->pdata[i],
						     (char *)stems->pdata[i]);
		g_free(sh(dir, c));
	}
	g_free(sh(dir, "git fsck --full --strict --no-dangling"));
	g_autofree char *after = sh(dir, "git log -p --format=%H%n%s | sha1sum");
	g_assert_cmpstr(after, ==, before);
	g_autofree char *show = sh(dir, "git cat-file -p $(printf 'ours\\n' | git hash-object --stdin)");
	g_assert_cmpstr(show, ==, "ours\n");
	g_autofree char *again = g_strdup_printf("git verify-pack -v %s | grep -c ' [0-9a-f]\\{40\\}$' || true", idx);
	g_autofree char *kept = sh(dir, again);
	g_assert_cmpint(atoi(kept), ==, atoi(deltas));
	g_bytes_unref(extra[0].bytes);
	rm_rf(dir);
}

/* Two packs holding one object: nothing written, the caller packs them
 * otherwise; a damaged pack: an error naming it, nothing written. */
static void test_merge_refuses(void)
{
	g_autofree char *dir = repo_with_packs();
	g_autofree char *pack_dir = g_build_filename(dir, ".git", "objects", "pack", NULL);
	g_autoptr(GPtrArray) stems = packs_in(pack_dir);
	g_ptr_array_add(stems, g_strdup(stems->pdata[0]));   /* the same pack twice */
	g_autoptr(GError) err = NULL;
	char name[GIT_OID_HEXSZ + 1];
	guint files = count_names(pack_dir, "");
	g_assert_cmpint(lw_pack_merge(pack_dir, (char *const *)stems->pdata, stems->len, name, &err), ==, 1);
	g_assert_no_error(err);
	g_assert_cmpuint(count_names(pack_dir, ""), ==, files);

	/* one byte of the first pack's data changed (flipped: a byte written
	 * over it could be the one already there, one time in 256): its CRC
	 * no longer holds */
	g_ptr_array_set_size(stems, stems->len - 1);
	g_autofree char *pack = g_strconcat(stems->pdata[0], ".pack", NULL);
	g_autofree char *bytes = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(pack, &bytes, &len, NULL));
	g_assert_cmpuint(len, >, 40);
	bytes[40] ^= 0xff;
	g_assert_cmpint(g_chmod(pack, 0644), ==, 0);
	g_assert_true(g_file_set_contents(pack, bytes, (gssize)len, NULL));
	g_assert_cmpint(lw_pack_merge(pack_dir, (char *const *)stems->pdata, stems->len, name, &err), ==, -1);
	g_assert_error(err, LW_ERROR, LW_ERROR_STORE);
	g_assert_nonnull(strstr(err->message, pack));
	g_assert_nonnull(strstr(err->message, "CRC"));
	g_assert_cmpuint(count_names(pack_dir, ""), ==, files);
	rm_rf(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	git_libgit2_init();
	g_test_add_func("/pack-write/git-reads-it", test_git_reads_it);
	g_test_add_func("/pack-write/unwritable", test_unwritable);
	g_test_add_func("/pack-write/merge", test_merge);
	g_test_add_func("/pack-write/merge-refuses", test_merge_refuses);
	int rc = g_test_run();
	git_libgit2_shutdown();
	return rc;
}
