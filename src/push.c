/* Pushing the history (push.h) with libgit2. */
#include "push.h"
#include "error.h"

#include <git2.h>
#include <string.h>

gboolean lw_push_branch_valid(const char *name)
{
	if (!name || !*name)
		return FALSE;
	g_autofree char *ref = g_strconcat("refs/heads/", name, NULL);
	int valid = 0;
	return git_reference_name_is_valid(&valid, ref) == 0 && valid;
}

struct push_cb {
	const struct lw_push_opts *o;
	char *rejected;       /* the remote's status for our ref, when it refused it */
	int attempts;
};

static int credentials(git_credential **out, const char *url, const char *user,
                       unsigned int allowed, void *payload)
{
	struct push_cb *cb = payload;
	(void)url;
	/* libgit2 asks again after a refusal: once per kind is enough */
	if (cb->attempts++ > 2)
		return GIT_EUSER;
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out, user ? user : "git");
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && cb->o->token_file) {
		g_autofree char *token = NULL;
		if (!g_file_get_contents(cb->o->token_file, &token, NULL, NULL))
			return GIT_EUSER;
		g_strstrip(token);
		return git_credential_userpass_plaintext_new(out, user ? user : "livewatch", token);
	}
	return GIT_PASSTHROUGH;
}

static int update_reference(const char *refname, const char *status, void *payload)
{
	struct push_cb *cb = payload;
	(void)refname;
	if (status && !cb->rejected)
		cb->rejected = g_strdup(status);
	return 0;
}

enum lw_push_result lw_push_run(const struct lw_push_opts *o, char pushed[41], GError **error)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_reference *head = NULL;
	enum lw_push_result rc = LW_PUSH_FAILED;
	struct push_cb cb = { .o = o };
	g_autofree char *refspec = NULL;
	const char *branch = o->branch;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, o->repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_repository_head(&head, repo) < 0) {
		const git_error *e = git_error_last();
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot push '%s': %s", o->repo,
		            e ? e->message : "no commit yet");
		goto out;
	}
	if (!branch)
		branch = git_reference_shorthand(head);
	if (!lw_push_branch_valid(branch)) {
		g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "cannot push to '%s': '%s' is not a "
		            "valid branch name", o->url, branch);
		goto out;
	}
	if (pushed)
		git_oid_tostr(pushed, 41, git_reference_target(head));
	/* no leading '+': never forced */
	refspec = g_strdup_printf("%s:refs/heads/%s", git_reference_name(head), branch);
	/* Without the insteadOf lookup: libgit2 1.5 leaks the pcre2 match
	 * data of each config regex it tries (once per push, in the daemon
	 * every commit); the url is used as written. */
	git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, o->url, &ro) < 0) {
		const git_error *e = git_error_last();
		g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "cannot push to '%s': %s", o->url,
		            e ? e->message : "bad url");
		goto out;
	}
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	po.callbacks.credentials = credentials;
	po.callbacks.push_update_reference = update_reference;
	po.callbacks.payload = &cb;
	char *specs[] = { refspec };
	git_strarray arr = { specs, 1 };
	int err = git_remote_push(remote, &arr, &po);
	if (err == GIT_ENONFASTFORWARD || (err == 0 && cb.rejected &&
	                                   (strstr(cb.rejected, "non-fast-forward") ||
	                                    strstr(cb.rejected, "fetch first")))) {
		g_set_error(error, LW_ERROR, LW_ERROR_STORE, "cannot push to '%s': branch '%s' has "
		            "moved (it holds commits this history does not have; someone else "
		            "writes it): stopped pushing, nothing was forced; give this livewatch a "
		            "branch of its own with 'branch ='", o->url, branch);
		rc = LW_PUSH_MOVED;
	} else if (err < 0) {
		const git_error *e = git_error_last();
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH, "cannot push to '%s' (branch '%s'): %s",
		            o->url, branch, e ? e->message : "failed");
	} else if (cb.rejected) {
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH, "cannot push to '%s': the remote "
		            "refused branch '%s': %s", o->url, branch, cb.rejected);
	} else {
		rc = LW_PUSH_OK;
	}
out:
	g_free(cb.rejected);
	git_remote_free(remote);
	git_reference_free(head);
	git_repository_free(repo);
	git_error_clear();
	git_libgit2_shutdown();
	return rc;
}
