/* Pushing the history (push.h) with libgit2. */
#include "push.h"
#include "error.h"
#include "knownhosts.h"

#include <git2.h>
#include <stdbool.h>
#include <string.h>

/* What libgit2 (Debian's, with mbedTLS) trusts when told nothing. */
#define LW_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

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
	char *why;            /* why a callback refused, said instead of libgit2's words */
	int port;             /* ssh: the port known_hosts names the server by */
	int agent_tries, token_tries;
};

static void say(struct push_cb *cb, char *why)
{
	if (!cb->why)
		cb->why = why;
	else
		g_free(why);
}

/* Each kind of credential is offered once: libgit2 asks again after the
 * server refuses one, and offering the same again would loop. */
static int credentials(git_credential **out, const char *url, const char *user,
                       unsigned int allowed, void *payload)
{
	struct push_cb *cb = payload;
	(void)url;
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user ? user : g_get_user_name());
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const char *login = user ? user : g_get_user_name();
		if (!g_getenv("SSH_AUTH_SOCK")) {
			say(cb, g_strdup("no ssh-agent to take a key from (SSH_AUTH_SOCK is not set; "
			                 "start ssh-agent and ssh-add the key the server knows)"));
			return GIT_EUSER;
		}
		if (cb->agent_tries++) {
			say(cb, g_strdup_printf("the server accepted none of ssh-agent's keys for user "
			                        "'%s' (ssh-add -l lists them)", login));
			return GIT_EUSER;
		}
		return git_credential_ssh_key_from_agent(out, login);
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		const char *file = cb->o->token_file;
		if (!file) {
			say(cb, g_strdup("the server asks for a login: name a file holding a token with "
			                 "'push_token ='"));
			return GIT_EUSER;
		}
		if (g_ascii_strncasecmp(cb->o->url, "https://", 8)) {
			say(cb, g_strdup("the server asks for a login, but the token is only sent over "
			                 "https"));
			return GIT_EUSER;
		}
		if (cb->token_tries++) {
			say(cb, g_strdup_printf("the server refused the token in '%s' (user '%s')", file,
			                        user ? user : "livewatch"));
			return GIT_EUSER;
		}
		g_autofree char *token = NULL;
		GError *err = NULL;
		if (!g_file_get_contents(file, &token, NULL, &err)) {
			say(cb, g_strdup_printf("cannot read the push_token file: %s", err->message));
			g_error_free(err);
			return GIT_EUSER;
		}
		g_strstrip(token);
		if (!*token || strchr(token, '\n')) {
			say(cb, g_strdup_printf("the push_token file '%s' should hold one token on one "
			                        "line", file));
			return GIT_EUSER;
		}
		return git_credential_userpass_plaintext_new(out, user ? user : "livewatch", token);
	}
	say(cb, g_strdup("the server asks for a kind of login livewatch cannot give (ssh keys "
	                 "come from ssh-agent, https takes a token from 'push_token =')"));
	return GIT_EUSER;
}

/* The server's identity: an ssh host key must be in known_hosts; an
 * https certificate must be trusted (mbedTLS said so in valid). */
static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	struct push_cb *cb = payload;
	if (cert->cert_type == GIT_CERT_X509) {
		if (valid)
			return 0;
		const char *ca = cb->o->ca_file ? cb->o->ca_file : g_getenv("GIT_SSL_CAINFO") ?
		                 g_getenv("GIT_SSL_CAINFO") : g_getenv("SSL_CERT_FILE");
		say(cb, g_strdup_printf("the certificate of '%s' is not trusted (not signed by an "
		                        "authority in %s%s%s, or not for this host): refused; if a "
		                        "certificate authority of your own signed it, name its PEM "
		                        "file with 'push_ca ='", host, ca ? "'" : "",
		                        ca ? ca : "the system's certificate authorities",
		                        ca ? "'" : ""));
		return GIT_ECERTIFICATE;
	}
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		say(cb, g_strdup_printf("libgit2 gave no host key of '%s' to check: refused", host));
		return GIT_ECERTIFICATE;
	}
	g_autofree char *mine = NULL, *global = NULL;
	const char *files[3] = { NULL };
	if (cb->o->known_hosts) {
		files[0] = cb->o->known_hosts;
	} else {
		files[0] = mine = g_build_filename(g_get_home_dir(), ".ssh", "known_hosts", NULL);
		files[1] = global = g_strdup("/etc/ssh/ssh_known_hosts");
	}
	GError *err = NULL;
	if (lw_known_hosts_check(files, host, cb->port, (const unsigned char *)hk->hostkey,
	                         hk->hostkey_len, &err) == LW_KNOWN_HOST_OK)
		return 0;
	say(cb, g_strdup(err->message));
	g_error_free(err);
	return GIT_ECERTIFICATE;
}

/* The port an ssh url names (ssh://host:port/…), 22 for user@host:path. */
static int ssh_port(const char *url)
{
	if (!strstr(url, "://"))
		return 22;
	int port = -1;
	if (!g_uri_split_network(url, G_URI_FLAGS_NON_DNS, NULL, NULL, &port, NULL))
		return 22;
	return port > 0 ? port : 22;
}

/* The certificate authorities an https push trusts.  libgit2 keeps them
 * process-wide: set them before each push, and put the system's back
 * when a reload took push_ca away. */
static int set_ca(const struct lw_push_opts *o, GError **error)
{
	static bool ours;
	const char *ca = o->ca_file;
	if (!ca)
		ca = g_getenv("GIT_SSL_CAINFO") ? g_getenv("GIT_SSL_CAINFO") : g_getenv("SSL_CERT_FILE");
	if (ca && *ca) {
		if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca, NULL) < 0) {
			const git_error *e = git_error_last();
			g_set_error(error, LW_ERROR, LW_ERROR_CONFIG, "cannot push to '%s': cannot read "
			            "the certificate authorities in '%s': %s", o->url, ca,
			            e ? e->message : "failed");
			return -1;
		}
		ours = true;
	} else if (ours) {
		if (g_file_test(LW_SYSTEM_CA_FILE, G_FILE_TEST_EXISTS))
			git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, LW_SYSTEM_CA_FILE, NULL);
		ours = false;
	}
	return 0;
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
	if (g_str_has_prefix(o->url, "https://") && set_ca(o, error) < 0)
		goto out;
	cb.port = ssh_port(o->url);
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	po.callbacks.credentials = credentials;
	po.callbacks.certificate_check = certificate_check;
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
		            o->url, branch, cb.why ? cb.why : e ? e->message : "failed");
	} else if (cb.rejected) {
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH, "cannot push to '%s': the remote "
		            "refused branch '%s': %s", o->url, branch, cb.rejected);
	} else {
		rc = LW_PUSH_OK;
	}
out:
	g_free(cb.rejected);
	g_free(cb.why);
	git_remote_free(remote);
	git_reference_free(head);
	git_repository_free(repo);
	git_error_clear();
	git_libgit2_shutdown();
	return rc;
}
