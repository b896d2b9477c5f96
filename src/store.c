/* The history repository (libgit2): opening, locking, recovering, and the
 * one way a commit is made (store_commit_tree) and reaches the working tree.
 * The rest of the store is in store-ids.c (where entries live),
 * store-read.c (what a poll reads), store-write.c (what a poll commits),
 * store-migrate.c (the move to day folders) and store-index.c (git's
 * index); store-private.h is what they share.
 *
 * A poll costs what its page and its changes cost, never what the blog
 * has recorded over the years:
 *
 * - Entry files live in day folders, <blog>/entries/<YYYY-MM-DD>/<id>.md,
 *   so a commit rewrites one small folder per touched day, the entries/
 *   folder (one name a day) and the two trees above it.
 * - Which day folder holds an id is kept in a per-blog id index
 *   (<state_dir>/<blog>.ids, "id day" lines), valid for the entries tree
 *   its last "@ <tree id>" line names; appended to after every commit,
 *   rebuilt from the trees (no blob read) when it does not match.
 * - lw_store_load_page() compares the page's freshly rendered entries with
 *   the recorded ones by blob id, and parses a recorded file only when it
 *   differs (an edit) or when the page no longer shows it (the removal
 *   window).
 * - After a commit, the touched files are written to the working tree
 *   directly.  git's index (a list of every file, rewritten whole) is
 *   brought up to date by lw_store_flush(), from a list of the touched
 *   paths (<state_dir>/index-pending), at most once a minute.
 *
 * Commits are built from HEAD's tree with tree builders; untouched
 * subtrees are reused by id, and the new objects go to the disk as one
 * small pack (store-pack.c).  The ref moves last, after every object is
 * written and synced, so a full or read-only disk (or a power cut) leaves
 * HEAD as it was.  Every write to git happens inside gc.h's busy marker,
 * so a livewatch killed mid-write is recognised and cleaned up after
 * (lw_store_lock). */
#include "store-private.h"
#include "error.h"
#include "file.h"
#include "gc.h"
#include "git-init.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void lw_store_git_error(GError **error, const char *what, ...)
{
	va_list ap;
	va_start(ap, what);
	g_autofree char *msg = g_strdup_vprintf(what, ap);
	va_end(ap);
	const git_error *ge = git_error_last();
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: %s", msg,
		    ge && ge->message ? ge->message : "unknown libgit2 error");
}

const char *lw_store_state_dir(const struct lw_store *s)
{
	return s->state_dir;
}

const char *lw_store_path(const struct lw_store *s)
{
	return s->path;
}

const char *lw_store_git_dir(const struct lw_store *s)
{
	return s->git_dir;
}

git_repository *lw_store_repo(struct lw_store *s)
{
	return s->repo;
}

void lw_store_take_warnings(struct lw_store *s, GPtrArray *warnings)
{
	for (guint i = 0; i < s->warnings->len; i++)
		g_ptr_array_add(warnings, g_steal_pointer(&s->warnings->pdata[i]));
	g_ptr_array_set_size(s->warnings, 0);
}

void store_set_warning(struct lw_store *s, char *msg)
{
	g_ptr_array_add(s->warnings, msg);
}

static git_signature *make_signature(struct lw_store *s, gint64 when, GError **error)
{
	git_config *cfg = NULL, *local = NULL;
	git_buf name = { 0 }, email = { 0 };
	git_signature *sig = NULL;

	/* Only the repository's own config may change the signature: a
	 * CI machine or a system account has no user.name, and a person's
	 * global identity does not belong on livewatch's commits. */
	if (git_repository_config(&cfg, s->repo) == 0 &&
	    git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) == 0) {
		git_config_get_string_buf(&name, local, "user.name");
		git_config_get_string_buf(&email, local, "user.email");
	}
	git_error_clear();
	if (git_signature_new(&sig, name.ptr && *name.ptr ? name.ptr : "livewatch",
			      email.ptr && *email.ptr ? email.ptr : "livewatch@localhost",
			      (git_time_t)when, 0) < 0)
		lw_store_git_error(error, "repository '%s': cannot make the commit signature", s->path);
	git_buf_dispose(&name);
	git_buf_dispose(&email);
	git_config_free(local);
	git_config_free(cfg);
	return sig;
}

/* HEAD's commit and tree; both NULL (and 0 returned) when HEAD is unborn. */
int store_head_tree(struct lw_store *s, git_commit **commit, git_tree **tree, GError **error)
{
	git_oid oid;
	*commit = NULL;
	*tree = NULL;
	int rc = 0;
	if (s->batch && s->batch->commits)
		git_oid_cpy(&oid, &s->batch->head);   /* a batch's HEAD is in memory */
	else
		rc = git_reference_name_to_id(&oid, s->repo, "HEAD");
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || git_commit_lookup(commit, s->repo, &oid) < 0 ||
	    git_commit_tree(tree, *commit) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD", s->path);
		git_commit_free(*commit);
		*commit = NULL;
		return -1;
	}
	return 0;
}

/* The subtree `name` of parent (NULL parent or missing name: *out =
 * NULL).  A non-tree of that name is an error. */
int store_subtree(struct lw_store *s, const git_tree *parent, const char *name,
		   const char *shown, git_tree **out, GError **error)
{
	*out = NULL;
	if (!parent)
		return 0;
	const git_tree_entry *te = git_tree_entry_byname(parent, name);
	if (!te)
		return 0;
	if (git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "repository '%s': '%s' is a file, not a folder", s->path, shown);
		return -1;
	}
	if (git_tree_lookup(out, s->repo, git_tree_entry_id(te)) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, shown);
		return -1;
	}
	return 0;
}

/* Every object of a commit must be on the disk before the ref names it
 * (after a power cut, a ref to an empty object is a broken history).
 * One syncfs() for the whole commit instead of libgit2's fsync per object:
 * the first poll of a big blog writes thousands of blobs. */
static int sync_git_dir(struct lw_store *s, GError **error)
{
	int fd = open(s->git_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot sync to disk: %s",
			    s->path, g_strerror(err));
		return -1;
	}
	close(fd);
	return 0;
}

/* After the ref moved: the commit is recorded once the ref's file and
 * its folder are on the disk.  With the objects in a synced pack that is
 * two fsyncs; syncfs() would also flush whatever else the file system
 * holds dirty (the working tree, other programs' files), and did cost
 * most of a poll's system time.  Loose objects (packed == 0) were synced
 * with the whole file system before the ref moved; the ref goes the same
 * way.  Best effort: the commit is made, and a failure here only leaves
 * it less durable, as git itself does. */
static void sync_ref(struct lw_store *s, const char *ref, int packed)
{
	if (packed == 0) {
		sync_git_dir(s, NULL);
		return;
	}
	g_autofree char *path = g_build_filename(s->git_dir, ref, NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	lw_file_sync(path);
	lw_file_sync_dir(dir);
}

/* Moves HEAD's branch (or a detached HEAD) from `old` (NULL: unborn) to
 * `id`, and names in *ref the reference it moved ("refs/heads/main");
 * fails if someone else moved it meanwhile. */
static int move_head(struct lw_store *s, const git_oid *id, const git_oid *old,
		     const char *message, char **ref, GError **error)
{
	git_reference *head = NULL, *moved = NULL;
	int ret = -1;
	if (git_reference_lookup(&head, s->repo, "HEAD") < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD", s->path);
		return -1;
	}
	const char *name = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC ?
		git_reference_symbolic_target(head) : "HEAD";
	const char *nl = strchr(message, '\n');
	g_autofree char *first = g_strndup(message, nl ? (gsize)(nl - message) : strlen(message));
	g_autofree char *log = g_strconcat(old ? "commit: " : "commit (initial): ", first, NULL);
	if (git_reference_create_matching(&moved, s->repo, name, id, 1, old, log) < 0) {
		lw_store_git_error(error, "repository '%s': cannot move %s", s->path, name);
		goto out;
	}
	*ref = g_strdup(name);
	ret = 0;
out:
	git_reference_free(moved);
	git_reference_free(head);
	return ret;
}


/* Writes a new commit of `tree` on HEAD (parent: HEAD's commit, if any),
 * then brings the working tree in step for `changes` (struct wt_change *;
 * NULL: the whole of HEAD is checked out, index included). */
int store_commit_tree(struct lw_store *s, git_commit *parent, const git_oid *tree_oid,
		       const char *message, gint64 when, GPtrArray *changes, char *oid_hex,
		       git_oid *out, GError **error)
{
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid commit_oid;
	g_autofree char *ref = NULL;
	int ret = -1;

	if (git_tree_lookup(&tree, s->repo, tree_oid) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read the new tree", s->path);
		goto out;
	}
	sig = make_signature(s, when, error);
	if (!sig)
		goto out;
	if (store_busy_hold(s, error) < 0)
		goto out;
	const git_commit *parents[1] = { parent };
	if (git_commit_create(&commit_oid, s->repo, NULL, sig, sig, NULL, message,
			      tree, parent ? 1 : 0, parents) < 0) {
		lw_store_git_error(error, "repository '%s': cannot commit", s->path);
		goto out;
	}
	if (s->batch && changes) {
		/* held back: the objects stay in memory, HEAD moves in the
		 * batch, and the working tree follows when it ends */
		struct store_batch *b = s->batch;
		if (b->commits == 0) {
			b->born = parent != NULL;
			if (parent)
				git_oid_cpy(&b->base, git_commit_id(parent));
		}
		git_oid_cpy(&b->head, &commit_oid);
		b->commits++;
		g_free(b->first);
		const char *nl = strchr(message, '\n');
		b->first = g_strndup(message, nl ? (gsize)(nl - message) : strlen(message));
		for (guint i = 0; i < changes->len; i++)
			g_ptr_array_add(b->changes, changes->pdata[i]);
		g_ptr_array_set_free_func(changes, NULL);
		g_ptr_array_set_size(changes, 0);
		if (oid_hex)
			git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &commit_oid);
		if (out)
			git_oid_cpy(out, &commit_oid);
		ret = 0;
		goto out;
	}
	if (s->batch) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "repository '%s': a checkout cannot be part of a batch of commits", s->path);
		goto out;
	}
	int packed = store_objects_write(s, error);
	if (packed < 0 || (packed == 0 && sync_git_dir(s, error) < 0) ||
	    move_head(s, &commit_oid, parent ? git_commit_id(parent) : NULL, message, &ref,
		      error) < 0)
		goto out;
	sync_ref(s, ref, packed);
	if (oid_hex)
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &commit_oid);
	if (out)
		git_oid_cpy(out, &commit_oid);
	ret = 0;
	store_wt_follow(s, &commit_oid, changes);
out:
	git_signature_free(sig);
	git_tree_free(tree);
	return ret;
}


static void batch_free(struct store_batch *b)
{
	if (!b)
		return;
	g_free(b->first);
	g_ptr_array_unref(b->changes);
	g_free(b);
}

void lw_store_batch_begin(struct lw_store *s)
{
	if (s->batch)
		return;
	struct store_batch *b = g_new0(struct store_batch, 1);
	b->changes = g_ptr_array_new_with_free_func(store_wt_change_free);
	s->batch = b;
}

gsize lw_store_batch_bytes(struct lw_store *s)
{
	return s->batch && s->batch->commits ? store_objects_bytes(s) : 0;
}

void lw_store_batch_drop(struct lw_store *s)
{
	if (s->batch && s->batch->commits)
		store_objects_truncate(s, 0);
	batch_free(g_steal_pointer(&s->batch));
}

int lw_store_batch_end(struct lw_store *s, GError **error)
{
	struct store_batch *b = s->batch;
	if (!b)
		return 0;
	s->batch = NULL;
	if (!b->commits) {
		batch_free(b);
		return 0;
	}
	int ret = -1;
	g_autofree char *ref = NULL;
	g_autofree char *log = b->commits == 1 ? g_strdup(b->first) :
		g_strdup_printf("%s (the newest of %u commits)", b->first, b->commits);
	int packed = store_objects_write(s, error);
	if (packed < 0 || (packed == 0 && sync_git_dir(s, error) < 0) ||
	    move_head(s, &b->head, b->born ? &b->base : NULL, log, &ref, error) < 0) {
		/* nothing of the batch is recorded, HEAD is where it was */
		store_objects_truncate(s, 0);
		goto out;
	}
	sync_ref(s, ref, packed);
	ret = 0;
	store_wt_follow(s, &b->head, b->changes);
out:
	batch_free(b);
	return ret;
}

static int write_readme(struct lw_store *s, GError **error)
{
	git_treebuilder *tb = NULL;
	git_oid blob, tree;
	int ret = -1;
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(store_wt_change_free);

	if (git_blob_create_from_buffer(&blob, s->repo, store_readme_text, strlen(store_readme_text)) < 0 ||
	    git_treebuilder_new(&tb, s->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "README.md", &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree, tb) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write README.md", s->path);
		goto out;
	}
	store_wt_add(changes, g_strdup("README.md"), g_strdup(store_readme_text), strlen(store_readme_text), &blob);
	ret = store_commit_tree(s, NULL, &tree, "livewatch: start the history\n",
			  g_get_real_time() / G_USEC_PER_SEC, changes, NULL, NULL, error);
	if (ret == 0)
		lw_store_flush(s, true, NULL);
out:
	git_treebuilder_free(tb);
	return ret;
}

/* True when dir exists and has anything in it. */
static bool dir_has_files(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return false;
	bool any = g_dir_read_name(d) != NULL;
	g_dir_close(d);
	return any;
}

struct lw_store *lw_store_open(const char *path, GError **error)
{
	struct lw_store *s = g_new0(struct lw_store, 1);
	s->lock_fd = -1;
	s->path = g_strdup(path);
	s->warnings = g_ptr_array_new_with_free_func(g_free);
	lw_git_init();
	/* A daemon reads trees and commits for years: keep what libgit2
	 * caches and maps of them small (its defaults are 256 MB of objects
	 * and gigabytes of pack windows), so memory follows the pages being
	 * polled, not the size of the history. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(8 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(1 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(8 << 20));
	/* pack files held open (the least recently used are closed): small
	 * packs pile up between two packings, and a daemon also holds a
	 * socket a blog */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, (unsigned int)64);
	/* livewatch writes every tree and commit from objects it has just
	 * written, and reads objects it wrote: like git itself, skip
	 * re-hashing every object read (SHA-1 with collision detection, the
	 * largest cost of reading a tree) and looking each entry of a new
	 * tree up again.  `livewatch gc` still verifies every pack it makes. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);

	if (g_mkdir_with_parents(path, 0755) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot create repository '%s': %s",
			    path, g_strerror(errno));
		goto err;
	}
	int rc = git_repository_open_ext(&s->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		if (dir_has_files(path)) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE,
				    "'%s' is not a git repository and not empty; refusing to make it livewatch's history",
				    path);
			goto err;
		}
		git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
		io.flags = GIT_REPOSITORY_INIT_MKPATH;
		io.initial_head = "main";
		io.description = "livewatch history";
		rc = git_repository_init_ext(&s->repo, path, &io);
		if (rc < 0) {
			lw_store_git_error(error, "cannot create repository '%s'", path);
			goto err;
		}
	} else if (rc < 0) {
		lw_store_git_error(error, "cannot open repository '%s'", path);
		goto err;
	}
	if (git_repository_is_bare(s->repo)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE,
			    "repository '%s' is bare; livewatch needs a working tree", path);
		goto err;
	}

	s->git_dir = g_strdup(git_repository_path(s->repo));
	gsize n = strlen(s->git_dir);
	if (n > 1 && s->git_dir[n - 1] == '/')
		s->git_dir[n - 1] = '\0';
	s->state_dir = g_build_filename(s->git_dir, "livewatch", NULL);
	s->lock_path = g_build_filename(s->state_dir, "lock", NULL);
	if (g_mkdir_with_parents(s->state_dir, 0755) < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot create '%s': %s",
			    path, s->state_dir, g_strerror(errno));
		goto err;
	}

	s->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, store_blog_ids_free);

	if (store_objects_begin(s, error) < 0 ||
	    (git_repository_head_unborn(s->repo) == 1 && write_readme(s, error) < 0))
		goto err;
	git_error_clear();
	return s;
err:
	lw_store_free(s);
	return NULL;
}

int store_busy_hold(struct lw_store *s, GError **error)
{
	if (s->busy_held)
		return 0;
	if (lw_gc_busy_begin(s->state_dir, error) < 0)
		return -1;
	s->busy_held = true;
	return 0;
}

void store_busy_release(struct lw_store *s)
{
	if (!s->busy_held)
		return;
	lw_gc_busy_end(s->state_dir);
	s->busy_held = false;
}

void lw_store_free(struct lw_store *s)
{
	if (!s)
		return;
	/* a batch not ended is not recorded */
	batch_free(g_steal_pointer(&s->batch));
	if (s->state_dir)
		store_busy_release(s);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	git_repository_free(s->repo);
	git_odb_free(s->odb);
	lw_git_shutdown();
	g_free(s->path);
	g_free(s->git_dir);
	g_free(s->state_dir);
	g_free(s->lock_path);
	if (s->warnings)
		g_ptr_array_unref(s->warnings);
	if (s->ids)
		g_hash_table_unref(s->ids);
	g_free(s);
}

int lw_store_lock(struct lw_store *s, GError **error)
{
	if (s->lock_fd >= 0)
		return 0;
	int fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot open '%s': %s",
			    s->path, s->lock_path, g_strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		if (err == EWOULDBLOCK) {
			char buf[32];
			ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[r > 0 ? r : 0] = '\0';
			gint64 pid = g_ascii_strtoll(buf, NULL, 10);
			close(fd);
			if (pid > 0)
				g_set_error(error, LW_ERROR, LW_ERROR_LOCKED,
					    "repository '%s' is in use by livewatch (pid %" G_GINT64_FORMAT ")",
					    s->path, pid);
			else
				g_set_error(error, LW_ERROR, LW_ERROR_LOCKED,
					    "repository '%s' is in use by livewatch (pid unknown)", s->path);
			return -1;
		}
		close(fd);
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot lock '%s': %s",
			    s->path, s->lock_path, g_strerror(err));
		return -1;
	}
	char pid[32];
	int len = g_snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		int err = errno;
		close(fd);
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "repository '%s': cannot write '%s': %s",
			    s->path, s->lock_path, g_strerror(err));
		return -1;
	}
	s->lock_fd = fd;
	if (store_recover(s, error) < 0 || store_migrate(s, error) < 0)
		return -1;
	store_trim_reflogs(s, REFLOG_MAX_BYTES, REFLOG_KEEP);
	return 0;
}

/* Reflogs (HEAD's and its branch's) get one line a commit, for years, and
 * nothing else expires them: past max_bytes only the newest `keep` lines
 * stay.  Checked when the store is locked (a stat each); a failure only
 * leaves them long. */
void store_trim_reflogs(struct lw_store *s, goffset max_bytes, size_t keep)
{
	git_reference *head = NULL;
	const char *names[2] = { "HEAD", NULL };
	if (git_reference_lookup(&head, s->repo, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC)
		names[1] = git_reference_symbolic_target(head);
	for (gsize i = 0; i < G_N_ELEMENTS(names) && names[i]; i++) {
		g_autofree char *path = g_build_filename(s->git_dir, "logs", names[i], NULL);
		GStatBuf sb;
		if (g_stat(path, &sb) < 0 || sb.st_size <= max_bytes)
			continue;
		git_reflog *rl = NULL;
		if (lw_gc_busy_begin(s->state_dir, NULL) < 0)
			break;
		if (git_reflog_read(&rl, s->repo, names[i]) == 0) {
			size_t n = git_reflog_entrycount(rl);
			/* entry 0 is the newest */
			for (size_t k = n; k > keep; k--)
				git_reflog_drop(rl, k - 1, 0);
			if (n > keep)
				git_reflog_write(rl);
		}
		git_reflog_free(rl);
		lw_gc_busy_end(s->state_dir);
	}
	git_reference_free(head);
	git_error_clear();
}

/* ---- keeping up after a crash and across versions ---- */

int store_recover(struct lw_store *s, GError **error)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	bool dirty = false;
	if (lw_gc_recover(s->git_dir, s->state_dir, FOREIGN_LOCK_WAIT_MS, &dirty, warnings, error) < 0)
		return -1;
	if (dirty && git_repository_head_unborn(s->repo) == 0) {
		if (store_checkout_head(s) < 0)
			g_ptr_array_add(warnings, g_strdup_printf("repository '%s': cannot check out HEAD "
						  "after a crash: %s", s->path,
						  git_error_last() ? git_error_last()->message : "unknown error"));
		else
			g_ptr_array_add(warnings, g_strdup_printf("repository '%s': working tree and "
						  "index checked out again after a crash", s->path));
	}
	git_error_clear();
	for (guint i = 0; i < warnings->len; i++)
		store_set_warning(s, g_steal_pointer(&warnings->pdata[i]));
	return 0;
}
