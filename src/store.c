/* The history repository (libgit2) and the fetch state beside it.
 *
 * Commits are built from HEAD's tree with tree builders, so a poll only
 * writes the blobs of the entries it changed and the trees above them;
 * untouched subtrees are reused by id.  The ref moves last, after every
 * object is written and synced, so a full or read-only disk (or a power
 * cut) leaves HEAD as it was.
 * After the ref moved, the touched paths are checked out (index and
 * working tree) so people can read the files and `git status` is clean. */
#include "store.h"
#include "error.h"

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
#define STATE_FILE_MAX (64 * 1024 * 1024)
#define NAME_MAX_LEN 120

struct lw_store {
	git_repository *repo;
	char *path;       /* as given to lw_store_open */
	char *git_dir;    /* <repo>/.git, no trailing slash */
	char *state_dir;  /* <repo>/.git/livewatch */
	char *lock_path;
	int lock_fd;      /* >= 0 while we hold the store lock */
	char *warning;    /* last non-fatal problem, "" when none */
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

/* Removes <git_dir>/index.lock: only call this when no livewatch can be
 * writing the index (we hold the store lock, or could take it). */
static void remove_stale_index_lock(struct lw_store *s)
{
	g_autofree char *p = g_build_filename(s->git_dir, "index.lock", NULL);
	if (g_unlink(p) == 0)
		set_warning(s, g_strdup_printf("repository '%s': removed a stale index.lock", s->path));
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

/* Writes a new commit of `tree` on HEAD (parent: HEAD's commit, if any),
 * then brings the index and working tree in step for `paths`. */
static int commit_tree(struct lw_store *s, git_commit *parent, git_tree *old_tree,
		       const git_oid *tree_oid, const char *message, gint64 when,
		       GPtrArray *paths, char *oid_hex, GError **error)
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
	const git_commit *parents[1] = { parent };
	if (git_commit_create(&commit_oid, s->repo, NULL, sig, sig, NULL, message,
			      tree, parent ? 1 : 0, parents) < 0) {
		lw_store_git_error(error, "repository '%s': cannot commit", s->path);
		goto out;
	}
	if (sync_git_dir(s, error) < 0 ||
	    move_head(s, &commit_oid, parent ? git_commit_id(parent) : NULL, message, error) < 0)
		goto out;
	sync_git_dir(s, NULL);
	if (oid_hex)
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &commit_oid);
	ret = 0;

	/* History is recorded; a working tree that cannot follow is only a
	 * warning (failing here would make the caller think the poll was
	 * lost and drop its alerts). */
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
	co.baseline = old_tree;
	co.paths.strings = (char **)paths->pdata;
	co.paths.count = paths->len;
	if (git_checkout_tree(s->repo, (git_object *)tree, &co) < 0) {
		const git_error *ge = git_error_last();
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &commit_oid);
		set_warning(s, g_strdup_printf("repository '%s': recorded commit %s but cannot update the working tree: %s",
					       s->path, hex, ge && ge->message ? ge->message : "unknown error"));
	}
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
	g_autoptr(GPtrArray) paths = g_ptr_array_new();

	if (git_blob_create_from_buffer(&blob, s->repo, readme_text, strlen(readme_text)) < 0 ||
	    git_treebuilder_new(&tb, s->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "README.md", &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree, tb) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write README.md", s->path);
		goto out;
	}
	g_ptr_array_add(paths, "README.md");
	ret = commit_tree(s, NULL, NULL, &tree, "livewatch: start the history\n",
			  g_get_real_time() / G_USEC_PER_SEC, paths, NULL, error);
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
	s->warning = g_strdup("");
	git_libgit2_init();

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

	/* A stale index.lock (crash mid-checkout) is only ours to remove
	 * when no livewatch holds the store lock. */
	int probe = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (probe >= 0) {
		if (flock(probe, LOCK_EX | LOCK_NB) == 0)
			remove_stale_index_lock(s);
		close(probe);
	}

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
	remove_stale_index_lock(s);
	return 0;
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

/* index.md lines are "- [time ]<heading>](entries/<id>.md)"; the id is
 * taken from the end of the line, so the heading may hold anything. */
static void parse_index(struct lw_history *h, const char *text, gsize len)
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
		struct lw_entry *e = g_hash_table_lookup(h->all, id);
		/* ids whose file is gone (a hand edit) or repeated are skipped:
		 * the window is what the page showed, files are the truth */
		if (!e || g_hash_table_contains(seen, e->id))
			continue;
		g_hash_table_add(seen, e->id);
		g_ptr_array_add(h->window, e);
	}
	g_strfreev(lines);
}

struct lw_history *lw_store_load(struct lw_store *s, const char *blog, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL, *btree = NULL, *etree = NULL;
	struct lw_history *h = NULL;

	if (!name_ok(blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", blog);
		return NULL;
	}
	g_autofree char *entries_name = g_strconcat(blog, "/entries", NULL);
	if (head_tree(s, &head, &root, error) < 0 ||
	    subtree(s, root, blog, blog, &btree, error) < 0 ||
	    subtree(s, btree, "entries", entries_name, &etree, error) < 0)
		goto err;

	h = history_new();
	size_t count = etree ? git_tree_entrycount(etree) : 0;
	for (size_t i = 0; i < count; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(etree, i);
		const char *fname = git_tree_entry_name(te);
		if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || !g_str_has_suffix(fname, ".md"))
			continue;
		g_autofree char *id = g_strndup(fname, strlen(fname) - 3);
		if (!name_ok(id))
			continue;
		g_autofree char *shown = g_strdup_printf("%s/entries/%s", blog, fname);
		git_blob *b = read_blob(s, git_tree_entry_id(te), shown, error);
		if (!b)
			goto err;
		g_autofree char *full = g_strdup_printf("%s/%s", s->path, shown);
		struct lw_entry *e = lw_entry_from_md(git_blob_rawcontent(b), (gsize)git_blob_rawsize(b),
						      full, error);
		git_blob_free(b);
		if (!e)
			goto err;
		/* the file name is the id that matters: it is what diffs and
		 * `git log -- <file>` know the entry by */
		lw_entry_set(&e->id, id);
		g_hash_table_replace(h->all, e->id, e);
	}

	const git_tree_entry *ie = btree ? git_tree_entry_byname(btree, "index.md") : NULL;
	if (ie && git_tree_entry_type(ie) == GIT_OBJECT_BLOB) {
		g_autofree char *shown = g_strconcat(blog, "/index.md", NULL);
		git_blob *b = read_blob(s, git_tree_entry_id(ie), shown, error);
		if (!b)
			goto err;
		parse_index(h, git_blob_rawcontent(b), (gsize)git_blob_rawsize(b));
		git_blob_free(b);
	}
	goto out;
err:
	lw_history_free(h);
	h = NULL;
out:
	git_tree_free(etree);
	git_tree_free(btree);
	git_tree_free(root);
	git_commit_free(head);
	return h;
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
static char *index_md(const char *blog, const struct lw_snapshot *page)
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
		g_string_append_printf(out, "](entries/%s.md)\n", e->id);
	}
	return g_string_free(out, FALSE);
}

int lw_store_commit(struct lw_store *s, const struct lw_commit *c, char *oid_hex, GError **error)
{
	git_commit *head = NULL;
	git_tree *root = NULL, *btree = NULL, *etree = NULL;
	git_treebuilder *tb_e = NULL, *tb_b = NULL, *tb_r = NULL;
	git_oid oid, root_oid;
	int ret = -1;
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

	if (!name_ok(c->blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", c->blog);
		return -1;
	}
	for (guint i = 0; c->write && i < c->write->len; i++) {
		const struct lw_entry *e = c->write->pdata[i];
		if (!name_ok(e->id)) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE,
				    "%s: invalid entry id '%s'", c->blog, e->id);
			return -1;
		}
	}
	for (guint i = 0; c->remove && i < c->remove->len; i++) {
		const char *id = c->remove->pdata[i];
		if (!name_ok(id)) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE,
				    "%s: invalid entry id '%s'", c->blog, id);
			return -1;
		}
	}
	for (guint i = 0; c->page && i < c->page->entries->len; i++) {
		const struct lw_entry *e = c->page->entries->pdata[i];
		if (!name_ok(e->id)) {
			g_set_error(error, LW_ERROR, LW_ERROR_STORE,
				    "%s: invalid entry id '%s'", c->blog, e->id);
			return -1;
		}
	}

	g_autofree char *entries_name = g_strconcat(c->blog, "/entries", NULL);
	if (head_tree(s, &head, &root, error) < 0 ||
	    subtree(s, root, c->blog, c->blog, &btree, error) < 0 ||
	    subtree(s, btree, "entries", entries_name, &etree, error) < 0)
		goto out;

	if (git_treebuilder_new(&tb_e, s->repo, etree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, entries_name);
		goto out;
	}
	for (guint i = 0; c->write && i < c->write->len; i++) {
		const struct lw_entry *e = c->write->pdata[i];
		g_autofree char *md = lw_entry_to_md(e);
		g_autofree char *fname = g_strconcat(e->id, ".md", NULL);
		if (git_blob_create_from_buffer(&oid, s->repo, md, strlen(md)) < 0 ||
		    git_treebuilder_insert(NULL, tb_e, fname, &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s/%s'",
				      s->path, entries_name, fname);
			goto out;
		}
		g_ptr_array_add(paths, g_strdup_printf("%s/%s", entries_name, fname));
	}
	for (guint i = 0; c->remove && i < c->remove->len; i++) {
		g_autofree char *fname = g_strconcat(c->remove->pdata[i], ".md", NULL);
		if (!git_treebuilder_get(tb_e, fname))
			continue;
		if (git_treebuilder_remove(tb_e, fname) < 0) {
			lw_store_git_error(error, "repository '%s': cannot remove '%s/%s'",
				      s->path, entries_name, fname);
			goto out;
		}
		g_ptr_array_add(paths, g_strdup_printf("%s/%s", entries_name, fname));
	}

	if (git_treebuilder_new(&tb_b, s->repo, btree) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read '%s'", s->path, c->blog);
		goto out;
	}
	int rc;
	if (git_treebuilder_entrycount(tb_e) > 0)
		rc = git_treebuilder_write(&oid, tb_e) < 0 ||
		     git_treebuilder_insert(NULL, tb_b, "entries", &oid, GIT_FILEMODE_TREE) < 0;
	else
		rc = git_treebuilder_get(tb_b, "entries") && git_treebuilder_remove(tb_b, "entries") < 0;
	if (rc) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, entries_name);
		goto out;
	}
	if (c->page) {
		g_autofree char *text = index_md(c->blog, c->page);
		if (git_blob_create_from_buffer(&oid, s->repo, text, strlen(text)) < 0 ||
		    git_treebuilder_insert(NULL, tb_b, "index.md", &oid, GIT_FILEMODE_BLOB) < 0) {
			lw_store_git_error(error, "repository '%s': cannot write '%s/index.md'", s->path, c->blog);
			goto out;
		}
		g_ptr_array_add(paths, g_strconcat(c->blog, "/index.md", NULL));
	}

	if (git_treebuilder_new(&tb_r, s->repo, root) < 0) {
		lw_store_git_error(error, "repository '%s': cannot read HEAD's tree", s->path);
		goto out;
	}
	if (git_treebuilder_entrycount(tb_b) > 0)
		rc = git_treebuilder_write(&oid, tb_b) < 0 ||
		     git_treebuilder_insert(NULL, tb_r, c->blog, &oid, GIT_FILEMODE_TREE) < 0;
	else
		rc = git_treebuilder_get(tb_r, c->blog) && git_treebuilder_remove(tb_r, c->blog) < 0;
	if (rc || git_treebuilder_write(&root_oid, tb_r) < 0) {
		lw_store_git_error(error, "repository '%s': cannot write '%s'", s->path, c->blog);
		goto out;
	}

	if (root && git_oid_equal(&root_oid, git_tree_id(root))) {
		if (oid_hex)
			oid_hex[0] = '\0';
		ret = 0;
		goto out;
	}
	g_ptr_array_add(paths, NULL);
	paths->len--;
	ret = commit_tree(s, head, root, &root_oid, c->message ? c->message : "", c->time,
			  paths, oid_hex, error);
out:
	git_treebuilder_free(tb_r);
	git_treebuilder_free(tb_b);
	git_treebuilder_free(tb_e);
	git_tree_free(etree);
	git_tree_free(btree);
	git_tree_free(root);
	git_commit_free(head);
	return ret;
}

/* ---- fetch state ---- */

static void removed_free(gpointer p)
{
	g_free(p);
}

struct lw_blog_state *lw_blog_state_new(void)
{
	struct lw_blog_state *st = g_new0(struct lw_blog_state, 1);
	st->url = g_strdup("");
	st->etag = g_strdup("");
	st->last_modified = g_strdup("");
	st->last_error = g_strdup("");
	st->follow_url = g_strdup("");
	st->follow_from = g_strdup("");
	st->removed = g_hash_table_new_full(g_str_hash, g_str_equal, removed_free, NULL);
	return st;
}

void lw_blog_state_free(struct lw_blog_state *st)
{
	if (!st)
		return;
	g_free(st->url);
	g_free(st->etag);
	g_free(st->last_modified);
	g_free(st->last_error);
	g_free(st->follow_url);
	g_free(st->follow_from);
	if (st->removed)
		g_hash_table_unref(st->removed);
	g_free(st);
}

static char *state_path(struct lw_store *s, const char *blog, GError **error)
{
	if (!name_ok(blog)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "invalid blog name '%s'", blog);
		return NULL;
	}
	g_autofree char *fname = g_strconcat(blog, ".json", NULL);
	return g_build_filename(s->state_dir, fname, NULL);
}

static bool get_string(JsonObject *o, const char *key, char **field)
{
	JsonNode *n = json_object_get_member(o, key);
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return false;
	lw_entry_set(field, json_node_get_string(n));
	return true;
}

static bool get_int(JsonObject *o, const char *key, gint64 *field)
{
	JsonNode *n = json_object_get_member(o, key);
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return false;
	*field = json_node_get_int(n);
	return true;
}

struct lw_blog_state *lw_store_load_state(struct lw_store *s, const char *blog, GError **error)
{
	g_autofree char *path = state_path(s, blog, error);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonParser) parser = NULL;
	gsize len;
	const char *bad = NULL;
	GStatBuf sb;

	if (!path)
		return NULL;
	if (g_stat(path, &sb) < 0 && errno == ENOENT)
		return lw_blog_state_new();
	if (g_stat(path, &sb) == 0 && sb.st_size > STATE_FILE_MAX) {
		g_set_error(error, LW_ERROR, LW_ERROR_TOO_BIG, "%s: larger than %d bytes", path, STATE_FILE_MAX);
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &len, &err)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: %s", path, err->message);
		return NULL;
	}
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: corrupt state file: %s", path, err->message);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: corrupt state file: not a JSON object", path);
		return NULL;
	}
	JsonObject *o = json_node_get_object(root);
	struct lw_blog_state *st = lw_blog_state_new();
	gint64 failures = 0;
	if (!get_string(o, "url", &st->url))
		bad = "url";
	else if (!get_string(o, "etag", &st->etag))
		bad = "etag";
	else if (!get_string(o, "last_modified", &st->last_modified))
		bad = "last_modified";
	else if (!get_string(o, "last_error", &st->last_error))
		bad = "last_error";
	else if (!get_int(o, "failures", &failures) || failures < 0 || failures > G_MAXINT)
		bad = "failures";
	else if (!get_int(o, "last_poll", &st->last_poll))
		bad = "last_poll";
	else if (!get_int(o, "last_success", &st->last_success))
		bad = "last_success";
	else if (!get_int(o, "last_change", &st->last_change))
		bad = "last_change";
	else if (!get_string(o, "follow_url", &st->follow_url))
		bad = "follow_url";
	else if (!get_string(o, "follow_from", &st->follow_from))
		bad = "follow_from";
	else if (!get_int(o, "failing_since", &st->failing_since))
		bad = "failing_since";
	st->failures = (int)failures;

	JsonNode *n = json_object_get_member(o, "baseline");
	if (!bad && n && !JSON_NODE_HOLDS_NULL(n)) {
		if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
			st->baseline = json_node_get_boolean(n);
		else
			bad = "baseline";
	}
	n = json_object_get_member(o, "removed");
	if (!bad && n && !JSON_NODE_HOLDS_NULL(n)) {
		if (!JSON_NODE_HOLDS_ARRAY(n)) {
			bad = "removed";
		} else {
			JsonArray *a = json_node_get_array(n);
			guint count = json_array_get_length(a);
			for (guint i = 0; i < count && !bad; i++) {
				JsonNode *m = json_array_get_element(a, i);
				if (!JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_STRING)
					bad = "removed";
				else
					g_hash_table_add(st->removed, g_strdup(json_node_get_string(m)));
			}
		}
	}
	if (bad) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "%s: corrupt state file: bad value for '%s'", path, bad);
		lw_blog_state_free(st);
		return NULL;
	}
	return st;
}

static int write_file_atomic(const char *path, const char *text, gsize len, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path, g_strerror(errno));
		return -1;
	}
	gsize done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto err;
		done += (gsize)w;
	}
	if (fsync(fd) < 0)
		goto err;
	if (close(fd) < 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (g_rename(tmp, path) < 0)
		goto err;
	/* the rename itself must reach the disk too */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
err:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	g_unlink(tmp);
	g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot write '%s': %s", path, g_strerror(e));
	return -1;
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(a, b);
}

int lw_store_save_state(struct lw_store *s, const char *blog, const struct lw_blog_state *st, GError **error)
{
	g_autofree char *path = state_path(s, blog, error);
	if (!path)
		return -1;
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "url");
	json_builder_add_string_value(b, st->url ? st->url : "");
	json_builder_set_member_name(b, "etag");
	json_builder_add_string_value(b, st->etag ? st->etag : "");
	json_builder_set_member_name(b, "last_modified");
	json_builder_add_string_value(b, st->last_modified ? st->last_modified : "");
	json_builder_set_member_name(b, "failures");
	json_builder_add_int_value(b, st->failures);
	json_builder_set_member_name(b, "last_error");
	json_builder_add_string_value(b, st->last_error ? st->last_error : "");
	json_builder_set_member_name(b, "last_poll");
	json_builder_add_int_value(b, st->last_poll);
	json_builder_set_member_name(b, "last_success");
	json_builder_add_int_value(b, st->last_success);
	json_builder_set_member_name(b, "last_change");
	json_builder_add_int_value(b, st->last_change);
	json_builder_set_member_name(b, "follow_url");
	json_builder_add_string_value(b, st->follow_url ? st->follow_url : "");
	json_builder_set_member_name(b, "follow_from");
	json_builder_add_string_value(b, st->follow_from ? st->follow_from : "");
	json_builder_set_member_name(b, "failing_since");
	json_builder_add_int_value(b, st->failing_since);
	json_builder_set_member_name(b, "baseline");
	json_builder_add_boolean_value(b, st->baseline);
	json_builder_set_member_name(b, "removed");
	json_builder_begin_array(b);
	if (st->removed) {
		/* sorted, so an unchanged state gives the same file */
		GList *ids = g_list_sort(g_hash_table_get_keys(st->removed), cmp_str);
		for (GList *l = ids; l; l = l->next)
			json_builder_add_string_value(b, l->data);
		g_list_free(ids);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autoptr(JsonGenerator) gen = json_generator_new();
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	gsize len;
	g_autofree char *text = json_generator_to_data(gen, &len);
	g_autofree char *withnl = g_strconcat(text, "\n", NULL);
	return write_file_atomic(path, withnl, len + 1, error);
}
