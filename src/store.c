/* The history repository (libgit2) and the fetch state beside it.
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
 * subtrees are reused by id.  The ref moves last, after every object is
 * written and synced, so a full or read-only disk (or a power cut) leaves
 * HEAD as it was.  Every write to git happens inside gc.h's busy marker,
 * so a livewatch killed mid-write is recognised and cleaned up after
 * (lw_store_lock). */
#include "store.h"
#include "error.h"
#include "file.h"
#include "gc.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Caps on what we read back: an entry file, index.md, a state file. */
#define ENTRY_FILE_MAX (16 * 1024 * 1024)
#define NAME_MAX_LEN 120
/* A big index catches up with HEAD at most this often (seconds), unless
 * forced; one under INDEX_SMALL bytes (about 2,500 files) at once. */
#define INDEX_FLUSH_EVERY 60
#define INDEX_SMALL (256 * 1024)
/* How long a git lock held by another program is waited for (ms). */
#define FOREIGN_LOCK_WAIT_MS 3000

/* Where each id of one blog lives: "YYYY-MM-DD", or "" for a file still
 * in the flat layout.  Removed ids stay, so a restored entry comes back to
 * its old folder.  The ids the file held sorted when it was read are looked
 * up in place, by binary search in the mapped file; the rest (its tail,
 * this process's additions) are in a hash table. */
struct blog_ids {
	GMappedFile *map;    /* <blog>.ids as read, or NULL */
	const char *base;    /* its sorted "id day\n" lines, inside map */
	gsize base_len;
	GHashTable *day;     /* id -> day, ids not in base (keys and values owned) */
	git_oid entries;     /* the <blog>/entries tree this describes (zero: none) */
	guint tail;          /* lines after base in the file: compacted when many */
};

struct lw_store {
	git_repository *repo;
	char *path;       /* as given to lw_store_open */
	char *git_dir;    /* <repo>/.git, no trailing slash */
	char *state_dir;  /* <repo>/.git/livewatch */
	char *lock_path;
	int lock_fd;      /* >= 0 while we hold the store lock */
	char *warning;    /* last non-fatal problem, "" when none */
	GHashTable *ids;  /* blog -> struct blog_ids * */
};

static const char readme_text[] =
	"# livewatch history\n"
	"\n"
	"This repository is written by livewatch, a daemon that watches news live\n"
	"blogs.  Every poll of a blog that changed anything is one commit, made at\n"
	"the time the page was fetched, touching only what changed.\n"
	"\n"
	"Layout:\n"
	"\n"
	"- `<blog>/index.md`: the page as last seen, newest entry first\n"
	"- `<blog>/entries/<YYYY-MM-DD>/<id>.md`: one file per entry ever seen, in\n"
	"  the folder of the day it was first recorded (it never moves)\n"
	"\n"
	"An entry file is its heading, a short list (id, published, updated, url)\n"
	"and the text, one paragraph after another.  A file deleted in a commit\n"
	"is an entry the page removed; entries the page merely paged out stay.\n"
	"\n"
	"Reading it:\n"
	"\n"
	"    git log --stat -- <blog>/                    what changed, poll by poll\n"
	"    git diff --name-status HEAD~1 HEAD           A = new, M = edited, D = removed\n"
	"    git log -p -- '<blog>/entries/*/<id>.md'     one entry's whole life\n"
	"\n"
	"The working tree is kept in step with the last commit; edits made here\n"
	"by hand are overwritten.  Fetch state lives in .git/livewatch/, outside\n"
	"the history.\n";

/* README.md as livewatch wrote it before day folders: replaced when the
 * repository is moved to day folders (a README someone edited is kept). */
static const char readme_text_flat[] =
	"# livewatch history\n"
	"\n"
	"This repository is written by livewatch, a daemon that watches news live\n"
	"blogs.  Every poll of a blog that changed anything is one commit, made at\n"
	"the time the page was fetched, touching only what changed.\n"
	"\n"
	"Layout:\n"
	"\n"
	"- `<blog>/index.md`: the page as last seen, newest entry first\n"
	"- `<blog>/entries/<id>.md`: one file per entry ever seen\n"
	"\n"
	"An entry file is its heading, a short list (id, published, updated, url)\n"
	"and the text, one paragraph after another.  A file deleted in a commit\n"
	"is an entry the page removed; entries the page merely paged out stay.\n"
	"\n"
	"Reading it:\n"
	"\n"
	"    git log --stat -- <blog>/              what changed, poll by poll\n"
	"    git diff --name-status HEAD~1 HEAD     A = new, M = edited, D = removed\n"
	"    git log -p -- <blog>/entries/<id>.md   one entry's whole life\n"
	"\n"
	"The working tree is kept in step with the last commit; edits made here\n"
	"by hand are overwritten.  Fetch state lives in .git/livewatch/, outside\n"
	"the history.\n";

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

/* Names that become path components: [A-Za-z0-9._-], no leading dot. */
static bool name_ok(const char *s)
{
	gsize n = strlen(s);
	if (n == 0 || n > NAME_MAX_LEN || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return false;
	return true;
}

bool lw_store_name_valid(const char *name)
{
	return name_ok(name);
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

const char *lw_store_warning(const struct lw_store *s)
{
	return s->warning;
}

static void set_warning(struct lw_store *s, char *msg)
{
	g_free(s->warning);
	s->warning = msg;
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
static int head_tree(struct lw_store *s, git_commit **commit, git_tree **tree, GError **error)
{
	git_oid oid;
	*commit = NULL;
	*tree = NULL;
	int rc = git_reference_name_to_id(&oid, s->repo, "HEAD");
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
static int subtree(struct lw_store *s, const git_tree *parent, const char *name,
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

/* Moves HEAD's branch (or a detached HEAD) from `old` (NULL: unborn) to
 * `id`; fails if someone else moved it meanwhile. */
static int move_head(struct lw_store *s, const git_oid *id, const git_oid *old,
		     const char *message, GError **error)
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
	ret = 0;
out:
	git_reference_free(moved);
	git_reference_free(head);
	return ret;
}

/* One file of the working tree to bring in step after a commit. */
struct wt_change {
	char *path;   /* relative to the repository */
	char *text;   /* the file's bytes; NULL: the file is deleted */
	gsize len;
	git_oid blob; /* the blob of text */
};

static void wt_change_free(gpointer p)
{
	struct wt_change *c = p;
	g_free(c->path);
	g_free(c->text);
	g_free(c);
}

static void wt_add(GPtrArray *changes, char *path, char *text, gsize len, const git_oid *blob)
{
	struct wt_change *c = g_new0(struct wt_change, 1);
	c->path = path;
	c->text = text;
	c->len = len;
	if (blob)
		git_oid_cpy(&c->blob, blob);
	g_ptr_array_add(changes, c);
}

/* Writes one file of the working tree (or deletes it, and its folder when
 * that is left empty).  Returns errno, 0 when done. */
static int wt_apply(struct lw_store *s, const struct wt_change *c)
{
	g_autofree char *full = g_build_filename(s->path, c->path, NULL);
	if (!c->text) {
		if (g_unlink(full) < 0 && errno != ENOENT)
			return errno;
		g_autofree char *dir = g_path_get_dirname(full);
		g_rmdir(dir);   /* only succeeds when empty: a day folder with no entry left */
		return 0;
	}
	g_autofree char *dir = g_path_get_dirname(full);
	if (g_mkdir_with_parents(dir, 0755) < 0)
		return errno;
	/* Written in place, no temporary file and no fsync: the working
	 * tree is a copy of HEAD, written inside the busy marker, and a
	 * livewatch killed half-way checks HEAD out again (lw_store_lock). */
	int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ELOOP) {
		/* a symlink someone put there is replaced, never written through */
		g_unlink(full);
		fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	}
	if (fd < 0)
		return errno;
	gsize done = 0;
	while (done < c->len) {
		ssize_t w = write(fd, c->text + done, c->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			return e;
		}
		done += (gsize)w;
	}
	return close(fd) < 0 ? errno : 0;
}

/* The paths git's index must catch up with, one "+<blob id> path" or "-path" a line,
 * appended after each commit; lw_store_flush() applies and removes it. */
static char *pending_path(struct lw_store *s)
{
	return g_build_filename(s->state_dir, "index-pending", NULL);
}

static void note_pending(struct lw_store *s, GPtrArray *changes)
{
	GString *lines = g_string_new(NULL);
	for (guint i = 0; i < changes->len; i++) {
		const struct wt_change *c = changes->pdata[i];
		char hex[GIT_OID_HEXSZ + 1];
		if (c->text)
			g_string_append_printf(lines, "+%s %s\n", git_oid_tostr(hex, sizeof(hex), &c->blob),
					       c->path);
		else
			g_string_append_printf(lines, "-%s\n", c->path);
	}
	g_autofree char *p = pending_path(s);
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, lines->str, lines->len) != (ssize_t)lines->len)
		set_warning(s, g_strdup_printf("repository '%s': cannot note the paths git's index "
					       "must catch up with in '%s': %s", s->path, p,
					       g_strerror(errno)));
	if (fd >= 0)
		close(fd);
	g_string_free(lines, TRUE);
}

/* The whole working tree and index as HEAD has them (after a crash, or a
 * migration); the paths waiting for the index are then done. */
static int checkout_head(struct lw_store *s)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_head(s->repo, &co) < 0)
		return -1;
	g_autofree char *p = pending_path(s);
	g_unlink(p);
	return 0;
}

/* Writes a new commit of `tree` on HEAD (parent: HEAD's commit, if any),
 * then brings the working tree in step for `changes` (struct wt_change *;
 * NULL: the whole of HEAD is checked out, index included). */
static int commit_tree(struct lw_store *s, git_commit *parent, const git_oid *tree_oid,
		       const char *message, gint64 when, GPtrArray *changes, char *oid_hex,
		       git_oid *out, GError **error)
{
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid commit_oid;
	int ret = -1;

	if (git_tree_lookup(&tree, s->repo, tree_oid) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read the new tree", s->path);
		goto out;
	}
	sig = make_signature(s, when, error);
	if (!sig)
		goto out;
	if (lw_gc_busy_begin(s->state_dir, error) < 0)
		goto out;
	const git_commit *parents[1] = { parent };
	if (git_commit_create(&commit_oid, s->repo, NULL, sig, sig, NULL, message,
			      tree, parent ? 1 : 0, parents) < 0) {
		lw_store_git_error(error, "repository '%s': cannot commit", s->path);
		goto busy;
	}
	if (sync_git_dir(s, error) < 0 ||
	    move_head(s, &commit_oid, parent ? git_commit_id(parent) : NULL, message, error) < 0)
		goto busy;
	sync_git_dir(s, NULL);
	if (oid_hex)
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &commit_oid);
	if (out)
		git_oid_cpy(out, &commit_oid);
	ret = 0;

	/* History is recorded; a working tree that cannot follow is only a
	 * warning (failing here would make the caller think the poll was
	 * lost and drop its alerts). */
	for (guint i = 0; changes && i < changes->len; i++) {
		const struct wt_change *c = changes->pdata[i];
		int e = wt_apply(s, c);
		if (e) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &commit_oid);
			set_warning(s, g_strdup_printf("repository '%s': recorded commit %s but cannot "
						       "update '%s' in the working tree: %s",
						       s->path, hex, c->path, g_strerror(e)));
		}
	}
	if (changes && changes->len)
		note_pending(s, changes);
	if (!changes && checkout_head(s) < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &commit_oid);
		set_warning(s, g_strdup_printf("repository '%s': recorded commit %s but cannot "
					       "update the working tree: %s", s->path, hex,
					       git_error_last() ? git_error_last()->message : "unknown error"));
	}
busy:
	lw_gc_busy_end(s->state_dir);
out:
	git_signature_free(sig);
	git_tree_free(tree);
	return ret;
}

static int write_readme(struct lw_store *s, GError **error)
{
	git_treebuilder *tb = NULL;
	git_oid blob, tree;
	int ret = -1;
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(wt_change_free);

	if (git_blob_create_from_buffer(&blob, s->repo, readme_text, strlen(readme_text)) < 0 ||
	    git_treebuilder_new(&tb, s->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "README.md", &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree, tb) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write README.md", s->path);
		goto out;
	}
	wt_add(changes, g_strdup("README.md"), g_strdup(readme_text), strlen(readme_text), &blob);
	ret = commit_tree(s, NULL, &tree, "livewatch: start the history\n",
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

static void blog_ids_free(gpointer p);
static int recover(struct lw_store *s, GError **error);
static int migrate(struct lw_store *s, GError **error);

struct lw_store *lw_store_open(const char *path, GError **error)
{
	struct lw_store *s = g_new0(struct lw_store, 1);
	s->lock_fd = -1;
	s->path = g_strdup(path);
	s->warning = g_strdup("");
	git_libgit2_init();
	/* A daemon reads trees and commits for years: keep what libgit2
	 * caches and maps of them small (its defaults are 256 MB of objects
	 * and gigabytes of pack windows), so memory follows the pages being
	 * polled, not the size of the history. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(8 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(1 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(16 << 20));

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

	s->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, blog_ids_free);

	if (git_repository_head_unborn(s->repo) == 1 && write_readme(s, error) < 0)
		goto err;
	git_error_clear();
	return s;
err:
	lw_store_free(s);
	return NULL;
}

void lw_store_free(struct lw_store *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	git_repository_free(s->repo);
	git_libgit2_shutdown();
	g_free(s->path);
	g_free(s->git_dir);
	g_free(s->state_dir);
	g_free(s->lock_path);
	g_free(s->warning);
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
	return recover(s, error) < 0 || migrate(s, error) < 0 ? -1 : 0;
}

void lw_history_free(struct lw_history *h)
{
	if (!h)
		return;
	if (h->window)
		g_ptr_array_unref(h->window);
	if (h->all)
		g_hash_table_unref(h->all);
	g_free(h);
}

static struct lw_history *history_new(void)
{
	struct lw_history *h = g_new0(struct lw_history, 1);
	h->window = g_ptr_array_new();
	h->all = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)lw_entry_free);
	return h;
}

/* A blob's bytes (capped); NULL with an error naming `shown`. */
static git_blob *read_blob(struct lw_store *s, const git_oid *oid, const char *shown, GError **error)
{
	git_blob *b = NULL;
	if (git_blob_lookup(&b, s->repo, oid) < 0) {
		lw_store_git_error(error, "%s/%s: cannot read", s->path, shown);
		return NULL;
	}
	if (git_blob_rawsize(b) > ENTRY_FILE_MAX) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "%s/%s: larger than %d bytes",
			    s->path, shown, ENTRY_FILE_MAX);
		git_blob_free(b);
		return NULL;
	}
	return b;
}

/* ---- where entries live ---- */

/* "YYYY-MM-DD": the name of a day folder. */
static bool is_day(const char *name)
{
	static const char shape[] = "dddd-dd-dd";
	for (gsize i = 0; i < sizeof(shape) - 1; i++)
		if (!name[i] || (shape[i] == 'd' ? !g_ascii_isdigit(name[i]) : name[i] != '-'))
			return false;
	return name[sizeof(shape) - 1] == '\0';
}

/* The day folder a new entry goes to: the UTC date of its published
 * time, else of the fetch. */
static void entry_day(const struct lw_entry *e, gint64 when, char out[11])
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
	g_strlcpy(out, day && is_day(day) ? day : "1970-01-01", 11);
}

/* "<blog>/entries/<day>/<id>.md", or the flat "<blog>/entries/<id>.md". */
static char *entry_path(const char *blog, const char *day, const char *id)
{
	return *day ? g_strdup_printf("%s/entries/%s/%s.md", blog, day, id)
		    : g_strdup_printf("%s/entries/%s.md", blog, id);
}

static void blog_ids_free(gpointer p)
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
			if (name_ok(id))
				g_hash_table_replace(ix->day, id, g_strdup(""));
			else
				g_free(id);
			continue;
		}
		if (git_tree_entry_type(te) != GIT_OBJECT_TREE || !is_day(name))
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
			if (name_ok(id))
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
	return is_day(out);
}

/* Looks id up; false when the blog never recorded it. */
static bool ids_lookup(const struct blog_ids *ix, const char *id, char day[11])
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

static void ids_add(struct blog_ids *ix, const char *id, const char *day)
{
	g_hash_table_replace(ix->day, g_strdup(id), g_strdup(day));
}

/* Calls fn for every id (base first, then the table). */
static void ids_foreach(const struct blog_ids *ix, void (*fn)(const char *id, const char *day, void *),
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
		} else if (id && name_ok(id) && parse_day(sp + 1, (gsize)(lnl - sp - 1), day)) {
			ids_add(ix, id, day);
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

static void ids_line(GString *out, const char *id, const char *day)
{
	g_string_append_printf(out, "%s %s\n", id, *day ? day : "-");
}

static void ids_mark(GString *out, const git_oid *tree)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), tree);
	g_string_append_printf(out, "@ %s\n", hex);
}

static void collect(const char *id, const char *day, void *data)
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
	ids_foreach(ix, collect, lines);
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
static void ids_append(struct lw_store *s, const char *blog, struct blog_ids *ix, GString *lines)
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
	if (fd < 0 || write(fd, lines->str, lines->len) != (ssize_t)lines->len)
		g_unlink(p);
	if (fd >= 0)
		close(fd);
}

/* The id index of blog for the entries tree etree (NULL: none). */
static struct blog_ids *ids_get(struct lw_store *s, const char *blog, const git_tree *etree,
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
			blog_ids_free(ix);
			return NULL;
		}
		ids_write(s, blog, ix);
	}
	g_hash_table_replace(s->ids, g_strdup(blog), ix);
	return ix;
}

/* ---- reading a blog's history ---- */

/* index.md lines are "- [time ]<heading>](entries/[<day>/]<id>.md)"; the
 * id is taken from the end of the line, so the heading may hold anything.
 * Adds the ids, in order, without repeats, to ids. */
static void parse_index(const char *text, gsize len, GPtrArray *ids)
{
	static const char pre[] = "(entries/", post[] = ".md)";
	g_autofree char *copy = g_strndup(text, len);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	char **lines = g_strsplit(copy, "\n", -1);
	for (char **l = lines; *l; l++) {
		gsize n = strlen(*l);
		if (n > 0 && (*l)[n - 1] == '\r')
			(*l)[--n] = '\0';
		if (strncmp(*l, "- ", 2) || n < sizeof(post) || strcmp(*l + n - (sizeof(post) - 1), post))
			continue;
		(*l)[n - (sizeof(post) - 1)] = '\0';
		char *start = g_strrstr(*l, pre);
		if (!start)
			continue;
		const char *id = start + sizeof(pre) - 1;
		const char *slash = strrchr(id, '/');
		if (slash)
			id = slash + 1;
		if (!name_ok(id) || g_hash_table_contains(seen, id))
			continue;
		char *copy_id = g_strdup(id);
		g_hash_table_add(seen, copy_id);
		g_ptr_array_add(ids, copy_id);
	}
	g_strfreev(lines);
}

/* The entries tree of one blog at HEAD, with the day folders read so far
 * (libgit2 does not cache trees of more than 4 KB, and a day folder of a
 * busy blog is bigger: one read per folder per poll, not per entry). */
struct etree {
	git_tree *tree;      /* <blog>/entries, or NULL */
	GHashTable *days;    /* day -> git_tree * (NULL value: no such folder) */
};

static void etree_clear(struct etree *t)
{
	if (t->days)
		g_hash_table_unref(t->days);
	t->days = NULL;
}

static void tree_free0(gpointer p)
{
	git_tree_free(p);
}

/* The tree entry of id's file, or NULL (no file at HEAD). */
static const git_tree_entry *etree_file(struct lw_store *s, struct etree *t, struct blog_ids *ix,
					const char *id)
{
	char day[11];
	if (!t->tree || !ids_lookup(ix, id, day))
		return NULL;
	g_autofree char *fname = g_strconcat(id, ".md", NULL);
	const git_tree *folder = t->tree;
	if (*day) {
		if (!t->days)
			t->days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, tree_free0);
		gpointer got;
		if (!g_hash_table_lookup_extended(t->days, day, NULL, &got)) {
			const git_tree_entry *de = git_tree_entry_byname(t->tree, day);
			git_tree *dt = NULL;
			if (de && git_tree_entry_type(de) == GIT_OBJECT_TREE &&
			    git_tree_lookup(&dt, s->repo, git_tree_entry_id(de)) < 0) {
				git_error_clear();
				dt = NULL;
			}
			g_hash_table_insert(t->days, g_strdup(day), dt);
			got = dt;
		}
		folder = got;
	}
	if (!folder)
		return NULL;
	const git_tree_entry *te = git_tree_entry_byname(folder, fname);
	return te && git_tree_entry_type(te) == GIT_OBJECT_BLOB ? te : NULL;
}

/* The recorded entry `id` of blog, parsed; NULL with *error unset when
 * there is no such file at HEAD. */
static struct lw_entry *load_entry(struct lw_store *s, const char *blog, struct etree *t,
				   struct blog_ids *ix, const char *id, GError **error)
{
	const git_tree_entry *te = etree_file(s, t, ix, id);
	if (!te)
		return NULL;   /* removed from the page: the id is remembered, the file gone */
	char day[11];
	ids_lookup(ix, id, day);
	g_autofree char *shown = *day ? g_strdup_printf("%s/entries/%s/%s.md", blog, day, id)
				      : g_strdup_printf("%s/entries/%s.md", blog, id);
	git_blob *b = read_blob(s, git_tree_entry_id(te), shown, error);
	if (!b)
		return NULL;
	g_autofree char *full = g_strdup_printf("%s/%s", s->path, shown);
	struct lw_entry *e = lw_entry_from_md(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b),
					      full, error);
	git_blob_free(b);
	/* the file name is the id that matters: it is what diffs and
	 * `git log -- <file>` know the entry by */
	if (e)
		lw_entry_set(&e->id, id);
	return e;
}

/* The <blog> and <blog>/entries trees at HEAD (either may come back NULL). */
static int blog_trees(struct lw_store *s, const char *blog, git_commit **head, git_tree **root,
		      git_tree **btree, git_tree **etree, GError **error)
{
	g_autofree char *entries_name = g_strconcat(blog, "/entries", NULL);
	*btree = *etree = NULL;
	if (head_tree(s, head, root, error) < 0 ||
	    subtree(s, *root, blog, blog, btree, error) < 0 ||
	    subtree(s, *btree, "entries", entries_name, etree, error) < 0)
		return -1;
	return 0;
}

static struct lw_history *load(struct lw_store *s, const char *blog,
			       const struct lw_snapshot *page, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL, *btree = NULL, *etree = NULL;
	struct etree t = { 0 };
	struct lw_history *h = NULL;
	g_autoptr(GPtrArray) window = g_ptr_array_new_with_free_func(g_free);

	if (!name_ok(blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", blog);
		return NULL;
	}
	if (blog_trees(s, blog, &head, &root, &btree, &etree, error) < 0)
		goto err;
	struct blog_ids *ix = ids_get(s, blog, etree, error);
	if (!ix)
		goto err;
	t.tree = etree;
	h = history_new();

	const git_tree_entry *ie = btree ? git_tree_entry_byname(btree, "index.md") : NULL;
	if (ie && git_tree_entry_type(ie) == GIT_OBJECT_BLOB) {
		g_autofree char *shown = g_strconcat(blog, "/index.md", NULL);
		git_blob *b = read_blob(s, git_tree_entry_id(ie), shown, error);
		if (!b)
			goto err;
		parse_index(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b), window);
		git_blob_free(b);
	}

	if (!page) {
		/* everything (tests, tools): every recorded file parsed */
		g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
		ids_foreach(ix, collect, ids);
		for (guint i = 0; i < ids->len; i++) {
			char *line = ids->pdata[i];
			*strchr(line, ' ') = '\0';
			GError *e2 = NULL;
			struct lw_entry *e = load_entry(s, blog, &t, ix, line, &e2);
			if (e2) {
				g_propagate_error(error, e2);
				goto err;
			}
			if (e)
				g_hash_table_replace(h->all, e->id, e);
		}
	} else {
		/* What the page needs: an entry the page shows whose rendering
		 * is byte for byte the recorded file is unchanged, and its
		 * file is not read; the others are read to be compared. */
		for (guint i = 0; i < page->entries->len; i++) {
			const struct lw_entry *pe = page->entries->pdata[i];
			git_oid now;
			const git_tree_entry *rec = g_hash_table_contains(h->all, pe->id) ? NULL :
				etree_file(s, &t, ix, pe->id);
			if (!rec)
				continue;
			g_autofree char *md = lw_entry_to_md(pe);
			struct lw_entry *e = NULL;
			if (git_odb_hash(&now, md, strlen(md), GIT_OBJECT_BLOB) == 0 &&
			    git_oid_equal(&now, git_tree_entry_id(rec))) {
				e = lw_entry_dup(pe);
			} else {
				GError *e2 = NULL;
				e = load_entry(s, blog, &t, ix, pe->id, &e2);
				if (e2) {
					g_propagate_error(error, e2);
					goto err;
				}
			}
			if (e)
				g_hash_table_replace(h->all, e->id, e);
		}
		/* the previous window: what is gone from the page is read to
		 * tell a removal from paging */
		for (guint i = 0; i < window->len; i++) {
			const char *id = window->pdata[i];
			if (g_hash_table_contains(h->all, id))
				continue;
			GError *e2 = NULL;
			struct lw_entry *e = load_entry(s, blog, &t, ix, id, &e2);
			if (e2) {
				g_propagate_error(error, e2);
				goto err;
			}
			if (e)
				g_hash_table_replace(h->all, e->id, e);
		}
	}
	/* ids whose file is gone (a hand edit) are skipped: the window is
	 * what the page showed, files are the truth */
	for (guint i = 0; i < window->len; i++) {
		struct lw_entry *e = g_hash_table_lookup(h->all, window->pdata[i]);
		if (e)
			g_ptr_array_add(h->window, e);
	}
	goto out;
err:
	lw_history_free(h);
	h = NULL;
out:
	etree_clear(&t);
	git_tree_free(etree);
	git_tree_free(btree);
	git_tree_free(root);
	git_commit_free(head);
	return h;
}

struct lw_history *lw_store_load(struct lw_store *s, const char *blog, GError **error)
{
	return load(s, blog, NULL, error);
}

struct lw_history *lw_store_load_page(struct lw_store *s, const char *blog,
				      const struct lw_snapshot *page, GError **error)
{
	return load(s, blog, page, error);
}

/* One line of index.md, without markdown-breaking characters. */
static void append_index_text(GString *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t')
			g_string_append_c(out, ' ');
		else if (*s == '[' || *s == ']' || *s == '\\')
			g_string_append_printf(out, "\\%c", *s);
		else
			g_string_append_c(out, *s);
	}
}

/* Nothing time-dependent goes in: an unchanged page gives the same bytes. */
static char *index_md(const char *blog, const struct lw_snapshot *page, struct blog_ids *ix)
{
	GString *out = g_string_new(NULL);
	g_string_append_printf(out, "# %s\n\n", blog);
	if (*page->page_title) {
		append_index_text(out, page->page_title);
		g_string_append(out, "\n\n");
	}
	g_string_append(out, "The page as last seen, newest first");
	if (*page->page_url) {
		g_string_append(out, ": <");
		append_index_text(out, page->page_url);
		g_string_append_c(out, '>');
	}
	g_string_append(out, "\n\n");
	for (guint i = 0; i < page->entries->len; i++) {
		const struct lw_entry *e = page->entries->pdata[i];
		g_autofree char *heading = lw_entry_heading(e);
		g_string_append(out, "- ");
		const char *p = e->published;
		if (strlen(p) >= 16 && p[10] == 'T') {
			g_string_append_len(out, p, 10);
			g_string_append_c(out, ' ');
			g_string_append_len(out, p + 11, 5);
			g_string_append_c(out, ' ');
		} else if (*p) {
			append_index_text(out, p);
			g_string_append_c(out, ' ');
		}
		g_string_append_c(out, '[');
		append_index_text(out, heading);
		char day[11];
		if (ids_lookup(ix, e->id, day) && *day)
			g_string_append_printf(out, "](entries/%s/%s.md)\n", day, e->id);
		else
			g_string_append_printf(out, "](entries/%s.md)\n", e->id);
	}
	return g_string_free(out, FALSE);
}

static bool ids_valid(const char *blog, const struct lw_commit *c, GError **error)
{
	if (!name_ok(c->blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", c->blog);
		return false;
	}
	const GPtrArray *lists[] = { c->write, c->page ? c->page->entries : NULL };
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; lists[l] && i < lists[l]->len; i++) {
			const struct lw_entry *e = lists[l]->pdata[i];
			if (!name_ok(e->id)) {
				g_set_error(error, LW_ERROR, LW_ERROR_STORE,
					    "%s: invalid entry id '%s'", blog, e->id);
				return false;
			}
		}
	}
	for (guint i = 0; c->remove && i < c->remove->len; i++) {
		const char *id = c->remove->pdata[i];
		if (!name_ok(id)) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: invalid entry id '%s'", blog, id);
			return false;
		}
	}
	return true;
}

/* A tree builder per folder touched by one commit. */
struct folders {
	struct lw_store *s;
	git_tree *etree;          /* <blog>/entries at HEAD, or NULL */
	git_treebuilder *entries; /* <blog>/entries */
	GHashTable *days;         /* day ("" = entries/ itself) -> git_treebuilder * */
};

static void folders_clear(struct folders *f)
{
	if (f->days)
		g_hash_table_unref(f->days);
	git_treebuilder_free(f->entries);
}

/* The builder for one day folder ("" is entries/ itself, the flat layout). */
static git_treebuilder *folder(struct folders *f, const char *blog, const char *day,
			       GError **error)
{
	if (!*day)
		return f->entries;
	git_treebuilder *tb = g_hash_table_lookup(f->days, day);
	if (tb)
		return tb;
	git_tree *dtree = NULL;
	const git_tree_entry *te = git_treebuilder_get(f->entries, day);
	if (te && git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&dtree, f->s->repo, git_tree_entry_id(te)) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s/entries/%s'",
				   f->s->path, blog, day);
		return NULL;
	}
	int rc = git_treebuilder_new(&tb, f->s->repo, dtree);
	git_tree_free(dtree);
	if (rc < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s/entries/%s'",
				   f->s->path, blog, day);
		return NULL;
	}
	g_hash_table_insert(f->days, g_strdup(day), tb);
	return tb;
}

/* Writes the touched day folders into entries/ (an emptied one goes). */
static int folders_write(struct folders *f, const char *blog, GError **error)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, f->days);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		git_oid oid;
		int rc;
		if (git_treebuilder_entrycount(v) > 0)
			rc = git_treebuilder_write(&oid, v) < 0 ||
			     git_treebuilder_insert(NULL, f->entries, k, &oid, GIT_FILEMODE_TREE) < 0;
		else
			rc = git_treebuilder_get(f->entries, k) && git_treebuilder_remove(f->entries, k) < 0;
		if (rc) {
			lw_store_git_error(error, "repository '%s': cannot write '%s/entries/%s'",
					   f->s->path, blog, (char *)k);
			return -1;
		}
	}
	return 0;
}

/* Puts `oid` (or nothing) as `name` into tb, dropping an emptied folder. */
static int set_subtree(git_treebuilder *tb, const char *name, git_treebuilder *sub)
{
	git_oid oid;
	if (git_treebuilder_entrycount(sub) > 0)
		return git_treebuilder_write(&oid, sub) < 0 ||
		       git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_TREE) < 0 ? -1 : 0;
	return git_treebuilder_get(tb, name) && git_treebuilder_remove(tb, name) < 0 ? -1 : 0;
}

int lw_store_commit(struct lw_store *s, const struct lw_commit *c, char *oid_hex, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL, *btree = NULL;
	git_treebuilder *tb_b = NULL, *tb_r = NULL;
	struct folders f = { .s = s };
	git_oid oid, root_oid;
	int ret = -1;
	g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(wt_change_free);
	g_autoptr(GString) new_ids = g_string_new(NULL);
	g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);   /* ids new to the index */
	const char *blog = c->blog;

	if (!ids_valid(blog, c, error))
		return -1;
	g_autofree char *entries_name = g_strconcat(blog, "/entries", NULL);
	if (blog_trees(s, blog, &head, &root, &btree, &f.etree, error) < 0)
		goto out;
	struct blog_ids *ix = ids_get(s, blog, f.etree, error);
	if (!ix)
		goto out;
	f.days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				       (GDestroyNotify)git_treebuilder_free);
	if (git_treebuilder_new(&f.entries, s->repo, f.etree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, entries_name);
		goto out;
	}

	for (guint i = 0; c->write && i < c->write->len; i++) {
		const struct lw_entry *e = c->write->pdata[i];
		char day[11] = "";
		if (!ids_lookup(ix, e->id, day)) {
			entry_day(e, c->time, day);
			ids_add(ix, e->id, day);
			g_ptr_array_add(added, g_strdup(e->id));
			ids_line(new_ids, e->id, day);
		}
		git_treebuilder *tb = folder(&f, blog, day, error);
		if (!tb)
			goto undo;
		char *md = lw_entry_to_md(e);
		gsize len = strlen(md);
		char *path = entry_path(blog, day, e->id);
		g_autofree char *fname = g_strconcat(e->id, ".md", NULL);
		if (git_blob_create_from_buffer(&oid, s->repo, md, len) < 0 ||
		    git_treebuilder_insert(NULL, tb, fname, &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, path);
			g_free(md);
			g_free(path);
			goto undo;
		}
		wt_add(changes, path, md, len, &oid);
	}
	for (guint i = 0; c->remove && i < c->remove->len; i++) {
		const char *id = c->remove->pdata[i];
		char day[11];
		if (!ids_lookup(ix, id, day))
			continue;
		git_treebuilder *tb = folder(&f, blog, day, error);
		if (!tb)
			goto undo;
		g_autofree char *fname = g_strconcat(id, ".md", NULL);
		if (!git_treebuilder_get(tb, fname))
			continue;
		char *path = entry_path(blog, day, id);
		if (git_treebuilder_remove(tb, fname) < 0) {
			lw_store_git_error(error, "repository '%s': cannot remove '%s'", s->path, path);
			g_free(path);
			goto undo;
		}
		wt_add(changes, path, NULL, 0, NULL);
	}
	if (folders_write(&f, blog, error) < 0)
		goto undo;

	if (git_treebuilder_new(&tb_b, s->repo, btree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, blog);
		goto undo;
	}
	if (set_subtree(tb_b, "entries", f.entries) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, entries_name);
		goto undo;
	}
	if (c->page) {
		/* an entry of the page that has no file yet (only callers that
		 * skip the diff do this) is linked where it would go */
		for (guint i = 0; i < c->page->entries->len; i++) {
			const struct lw_entry *e = c->page->entries->pdata[i];
			char day[11];
			if (!ids_lookup(ix, e->id, day)) {
				entry_day(e, c->time, day);
				ids_add(ix, e->id, day);
				g_ptr_array_add(added, g_strdup(e->id));
				ids_line(new_ids, e->id, day);
			}
		}
		char *text = index_md(blog, c->page, ix);
		gsize len = strlen(text);
		if (git_blob_create_from_buffer(&oid, s->repo, text, len) < 0 ||
		    git_treebuilder_insert(NULL, tb_b, "index.md", &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s/index.md'", s->path, blog);
			g_free(text);
			goto undo;
		}
		wt_add(changes, g_strconcat(blog, "/index.md", NULL), text, len, &oid);
	}

	if (git_treebuilder_new(&tb_r, s->repo, root) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD's tree", s->path);
		goto undo;
	}
	if (set_subtree(tb_r, blog, tb_b) < 0 || git_treebuilder_write(&root_oid, tb_r) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, blog);
		goto undo;
	}

	if (root && git_oid_equal(&root_oid, git_tree_id(root))) {
		if (oid_hex)
			oid_hex[0] = '\0';
		ret = 0;
		goto undo;   /* nothing recorded: nothing new in the index either */
	}
	if (commit_tree(s, head, &root_oid, c->message ? c->message : "", c->time,
			changes, oid_hex, NULL, error) < 0)
		goto undo;
	ret = 0;

	/* the id index follows the new entries tree */
	{
		git_tree *nroot = NULL;
		git_tree_entry *te = NULL;
		if (git_tree_lookup(&nroot, s->repo, &root_oid) == 0 &&
		    git_tree_entry_bypath(&te, nroot, entries_name) == 0)
			ix->entries = *git_tree_entry_id(te);
		else
			memset(&ix->entries, 0, sizeof(ix->entries));
		git_error_clear();
		git_tree_entry_free(te);
		git_tree_free(nroot);
		ids_append(s, blog, ix, new_ids);
	}
	goto out;
undo:
	/* the ids this commit would have added were never recorded */
	for (guint i = 0; i < added->len; i++)
		g_hash_table_remove(ix->day, added->pdata[i]);
out:
	git_treebuilder_free(tb_r);
	git_treebuilder_free(tb_b);
	folders_clear(&f);
	git_tree_free(f.etree);
	git_tree_free(btree);
	git_tree_free(root);
	git_commit_free(head);
	return ret;
}

/* ---- keeping up after a crash and across versions ---- */

static int recover(struct lw_store *s, GError **error)
{
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	bool dirty = false;
	if (lw_gc_recover(s->git_dir, s->state_dir, FOREIGN_LOCK_WAIT_MS, &dirty, warnings, error) < 0)
		return -1;
	if (dirty && git_repository_head_unborn(s->repo) == 0) {
		if (checkout_head(s) < 0)
			g_ptr_array_add(warnings, g_strdup_printf("repository '%s': cannot check out HEAD "
						  "after a crash: %s", s->path,
						  git_error_last() ? git_error_last()->message : "unknown error"));
		else
			g_ptr_array_add(warnings, g_strdup_printf("repository '%s': working tree and "
						  "index checked out again after a crash", s->path));
	}
	git_error_clear();
	if (warnings->len) {
		g_ptr_array_add(warnings, NULL);
		set_warning(s, g_strjoinv("; ", (char **)warnings->pdata));
	}
	return 0;
}

/* Rewrites index.md's links "(entries/<id>.md)" to "(entries/<day>/<id>.md)". */
static char *index_to_days(const char *text, gsize len, GHashTable *day_of)
{
	static const char pre[] = "(entries/", post[] = ".md)";
	g_autofree char *copy = g_strndup(text, len);
	GString *out = g_string_sized_new(len + 1024);
	char **lines = g_strsplit(copy, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (l != lines)
			g_string_append_c(out, '\n');
		gsize n = strlen(*l);
		char *start = g_strrstr(*l, pre);
		if (!strncmp(*l, "- ", 2) && start && n >= sizeof(post) &&
		    !strcmp(*l + n - (sizeof(post) - 1), post)) {
			g_autofree char *id = g_strndup(start + sizeof(pre) - 1,
							(gsize)(*l + n - (sizeof(post) - 1) - (start + sizeof(pre) - 1)));
			const char *day = g_hash_table_lookup(day_of, id);
			if (day && !strchr(id, '/')) {
				g_string_append_len(out, *l, start - *l);
				g_string_append_printf(out, "(entries/%s/%s.md)", day, id);
				continue;
			}
		}
		g_string_append(out, *l);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

/* Moves one blog's flat entry files into day folders, in tb_b (the blog
 * folder's builder).  *moved counts the files. */
static int migrate_blog(struct lw_store *s, const char *blog, git_tree *btree, gint64 when,
			git_treebuilder *tb_b, guint *moved, GError **error)
{
	git_tree *etree = NULL;
	struct folders f = { .s = s };
	g_autoptr(GHashTable) day_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	int ret = -1;
	g_autofree char *entries_name = g_strconcat(blog, "/entries", NULL);

	if (subtree(s, btree, "entries", entries_name, &etree, error) < 0)
		return -1;
	if (!etree)
		return 0;
	f.days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				       (GDestroyNotify)git_treebuilder_free);
	if (git_treebuilder_new(&f.entries, s->repo, etree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, entries_name);
		goto out;
	}
	size_t n = git_tree_entrycount(etree);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(etree, i);
		const char *name = git_tree_entry_name(te);
		if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || !g_str_has_suffix(name, ".md"))
			continue;
		g_autofree char *id = g_strndup(name, strlen(name) - 3);
		if (!name_ok(id))
			continue;
		/* the day of its published time, else of the last poll */
		char day[11];
		struct lw_entry *e = NULL;
		git_blob *b = NULL;
		if (git_blob_lookup(&b, s->repo, git_tree_entry_id(te)) == 0 &&
		    git_blob_rawsize(b) <= ENTRY_FILE_MAX)
			e = lw_entry_from_md(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b), name, NULL);
		git_blob_free(b);
		git_error_clear();
		if (!e)
			e = lw_entry_new();
		entry_day(e, when, day);
		lw_entry_free(e);
		git_treebuilder *tb = folder(&f, blog, day, error);
		if (!tb)
			goto out;
		if (git_treebuilder_insert(NULL, tb, name, git_tree_entry_id(te), GIT_FILEMODE_BLOB) < 0 ||
		    git_treebuilder_remove(f.entries, name) < 0) {
			lw_store_git_error(error, "repository '%s': cannot move '%s/%s'", s->path,
					   entries_name, name);
			goto out;
		}
		g_hash_table_replace(day_of, g_steal_pointer(&id), g_strdup(day));
	}
	if (g_hash_table_size(day_of) == 0) {
		ret = 0;
		goto out;
	}
	if (folders_write(&f, blog, error) < 0)
		goto out;
	if (set_subtree(tb_b, "entries", f.entries) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, entries_name);
		goto out;
	}
	const git_tree_entry *ie = git_tree_entry_byname(btree, "index.md");
	if (ie && git_tree_entry_type(ie) == GIT_OBJECT_BLOB) {
		g_autofree char *shown = g_strconcat(blog, "/index.md", NULL);
		git_blob *b = read_blob(s, git_tree_entry_id(ie), shown, error);
		if (!b)
			goto out;
		g_autofree char *text = index_to_days(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b),
						      day_of);
		git_blob_free(b);
		git_oid oid;
		if (git_blob_create_from_buffer(&oid, s->repo, text, strlen(text)) < 0 ||
		    git_treebuilder_insert(NULL, tb_b, "index.md", &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, shown);
			goto out;
		}
	}
	*moved += g_hash_table_size(day_of);
	ret = 0;
out:
	folders_clear(&f);
	git_tree_free(etree);
	return ret;
}

/* A repository in the flat layout (<blog>/entries/<id>.md) is moved to day
 * folders in one commit (DESIGN.md "The history repository"). */
static int migrate(struct lw_store *s, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL;
	git_treebuilder *tb_r = NULL;
	int ret = -1;
	guint moved = 0, blogs = 0;
	g_autofree char *msg = NULL;

	if (head_tree(s, &head, &root, error) < 0)
		return -1;
	if (!root)
		return 0;
	gint64 when = (gint64)git_commit_time(head);
	if (git_treebuilder_new(&tb_r, s->repo, root) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD's tree", s->path);
		goto out;
	}
	size_t n = git_tree_entrycount(root);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(root, i);
		const char *blog = git_tree_entry_name(te);
		if (git_tree_entry_type(te) != GIT_OBJECT_TREE || !name_ok(blog))
			continue;
		git_tree *btree = NULL;
		git_treebuilder *tb_b = NULL;
		if (git_tree_lookup(&btree, s->repo, git_tree_entry_id(te)) < 0 ||
		    git_treebuilder_new(&tb_b, s->repo, btree) < 0) {
			lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, blog);
			git_tree_free(btree);
			goto out;
		}
		guint before = moved;
		int rc = migrate_blog(s, blog, btree, when, tb_b, &moved, error);
		if (rc == 0 && moved > before) {
			blogs++;
			rc = set_subtree(tb_r, blog, tb_b);
			if (rc < 0)
				lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, blog);
		}
		git_treebuilder_free(tb_b);
		git_tree_free(btree);
		if (rc < 0)
			goto out;
	}
	if (moved == 0) {
		ret = 0;
		goto out;
	}
	const git_tree_entry *rm = git_tree_entry_byname(root, "README.md");
	git_oid old_readme, new_readme;
	if (rm && git_odb_hash(&old_readme, readme_text_flat, strlen(readme_text_flat), GIT_OBJECT_BLOB) == 0 &&
	    git_oid_equal(&old_readme, git_tree_entry_id(rm)) &&
	    (git_blob_create_from_buffer(&new_readme, s->repo, readme_text, strlen(readme_text)) < 0 ||
	     git_treebuilder_insert(NULL, tb_r, "README.md", &new_readme, GIT_FILEMODE_BLOB) < 0)) {
		lw_store_git_error(error, "repository '%s': cannot write README.md", s->path);
		goto out;
	}
	git_oid root_oid;
	if (git_treebuilder_write(&root_oid, tb_r) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write the moved tree", s->path);
		goto out;
	}
	msg = g_strdup_printf("livewatch: move entries into day folders\n\n"
					       "%u entr%s of %u blog%s moved to "
					       "<blog>/entries/<YYYY-MM-DD>/<id>.md; no entry changed.\n\n"
					       "Livewatch-Migration: day-folders\n",
					       moved, moved == 1 ? "y" : "ies", blogs, blogs == 1 ? "" : "s");
	if (commit_tree(s, head, &root_oid, msg, g_get_real_time() / G_USEC_PER_SEC, NULL, NULL,
			NULL, error) < 0)
		goto out;
	g_hash_table_remove_all(s->ids);
	set_warning(s, g_strdup_printf("repository '%s': moved %u entr%s into day folders "
				       "(one commit, no entry changed)", s->path, moved,
				       moved == 1 ? "y" : "ies"));
	ret = 0;
out:
	git_treebuilder_free(tb_r);
	git_tree_free(root);
	git_commit_free(head);
	return ret;
}

/* ---- git's index ---- */

/* Adds "<blob id> <path>" to the index with the working tree file's stat
 * data, without reading the file: we wrote it, with that blob's bytes.
 * -1 when the line is damaged or the file is gone. */
static int index_add(struct lw_store *s, git_index *idx, const char *line)
{
	git_index_entry ie;
	struct stat st;
	memset(&ie, 0, sizeof(ie));
	if (strlen(line) < GIT_OID_HEXSZ + 2 || line[GIT_OID_HEXSZ] != ' ' ||
	    git_oid_fromstrn(&ie.id, line, GIT_OID_HEXSZ) < 0)
		return -1;
	const char *path = line + GIT_OID_HEXSZ + 1;
	g_autofree char *full = g_build_filename(s->path, path, NULL);
	if (lstat(full, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	ie.ctime.seconds = (int32_t)st.st_ctim.tv_sec;
	ie.ctime.nanoseconds = (uint32_t)st.st_ctim.tv_nsec;
	ie.mtime.seconds = (int32_t)st.st_mtim.tv_sec;
	ie.mtime.nanoseconds = (uint32_t)st.st_mtim.tv_nsec;
	ie.dev = (uint32_t)st.st_dev;
	ie.ino = (uint32_t)st.st_ino;
	ie.mode = GIT_FILEMODE_BLOB;
	ie.uid = st.st_uid;
	ie.gid = st.st_gid;
	ie.file_size = (uint32_t)st.st_size;
	ie.path = path;
	return git_index_add(idx, &ie);
}

int lw_store_flush(struct lw_store *s, bool force, GError **error)
{
	g_autofree char *p = pending_path(s);
	g_autofree char *text = NULL;
	gsize len;
	if (!g_file_test(p, G_FILE_TEST_EXISTS))
		return 0;
	if (!force) {
		/* a small index costs little to rewrite: at once; a big one
		 * (every file of a long history) at most once a minute */
		g_autofree char *ipath = g_build_filename(s->git_dir, "index", NULL);
		GStatBuf sb;
		if (g_stat(ipath, &sb) == 0 && sb.st_size > INDEX_SMALL &&
		    g_get_real_time() / G_USEC_PER_SEC - sb.st_mtime < INDEX_FLUSH_EVERY)
			return 0;
	}
	if (!g_file_get_contents(p, &text, &len, NULL))
		return 0;
	git_index *idx = NULL;
	int ret = -1;
	if (lw_gc_busy_begin(s->state_dir, error) < 0)
		return -1;
	/* its own handle on the index file, freed when done: the repository's
	 * would keep every file's entry in memory between flushes */
	g_autofree char *ipath = g_build_filename(s->git_dir, "index", NULL);
	if (git_index_open(&idx, ipath) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read git's index", s->path);
		goto out;
	}
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *path = *l + 1;
		if (!**l || !*path)
			continue;
		if (**l == '+') {
			if (index_add(s, idx, path) == 0)
				continue;
			const char *sp = strchr(path, ' ');
			path = sp ? sp + 1 : path;
		}
		git_index_remove_bypath(idx, path);   /* gone since (or never written) */
		git_error_clear();
	}
	g_strfreev(lines);
	if (git_index_write(idx) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write git's index", s->path);
		goto out;
	}
	g_unlink(p);
	ret = 0;
out:
	git_index_free(idx);
	lw_gc_busy_end(s->state_dir);
	return ret;
}
