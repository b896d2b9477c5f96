/* Sending the history to git hosting (`push =`, `branch =`; DESIGN.md
 * "Sharing and scaling out").  One push sends the repository's current
 * branch to refs/heads/<branch> of the remote, never forced: a remote
 * branch that holds commits we do not have (someone else wrote it) is
 * refused with LW_PUSH_MOVED and nothing is changed there.  Blocking;
 * the daemon runs it on a thread of its own (daemon/pusher.c), so a slow
 * or dead remote never holds up recording. */
#pragma once

#include <glib.h>

struct lw_push_opts {
	const char *repo;     /* the history repository */
	const char *url;      /* a path, file://, git://, ssh:// or user@host:path, https:// */
	const char *branch;   /* the remote branch; NULL: the name of the local one */
	const char *token_file; /* https: a file holding a token (sent as the password);
	                           NULL: none.  ssh: keys come from ssh-agent */
	const char *ca_file;  /* https: a PEM file of the certificate authorities to trust
	                         instead of the system's; NULL: $GIT_SSL_CAINFO, else
	                         $SSL_CERT_FILE, else the system's */
	const char *known_hosts; /* ssh: the known_hosts file the server's host key must
	                            be in (knownhosts.h); NULL: ~/.ssh/known_hosts and
	                            /etc/ssh/ssh_known_hosts */
};

enum lw_push_result {
	LW_PUSH_OK = 0,       /* the remote branch is at our commit (or already was) */
	LW_PUSH_FAILED = -1,  /* the remote could not be reached or refused: try again later */
	LW_PUSH_MOVED = -2,   /* the remote branch has commits we do not have: stop pushing */
};

/* True when name makes a valid branch name (refs/heads/<name>). */
gboolean lw_push_branch_valid(const char *name);

/* Pushes once.  *pushed (may be NULL) gets the hex id sent.  The error
 * names the url and the branch, and says why: a server whose host key
 * is unknown or changed, or whose certificate is not trusted, is refused
 * before anything is sent; a refused token or agent key is said as such
 * (each credential is offered once per push, never again in a loop).
 * The CA file is process-wide in libgit2: pushes must not run in
 * parallel (the daemon runs one at a time). */
enum lw_push_result lw_push_run(const struct lw_push_opts *o, char pushed[41], GError **error);
