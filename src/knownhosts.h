/* Checking an ssh server's host key against OpenSSH known_hosts files,
 * for pushes over ssh (push.h): libgit2 1.5 accepts any host key unless
 * its certificate_check callback refuses it, so this is what stands
 * between a push and a server pretending to be the remote.
 *
 * Lines read, as ssh(1) writes and reads them (sshd(8), "SSH_KNOWN_HOSTS
 * FILE FORMAT"): "PATTERNS KEYTYPE BASE64KEY [comment]", where PATTERNS
 * is a comma list of host names, `[host]:port` for a port other than 22,
 * `*` and `?` wildcards and `!` negations, or one hashed name
 * `|1|BASE64SALT|BASE64HMAC` (HMAC-SHA1 of the name, `ssh-keygen -H`).
 * A line marked `@revoked` refuses its key for the hosts it names;
 * `@cert-authority` lines are skipped (host certificates are not
 * checked).  Blank lines and `#` comments are ignored, as are lines
 * that do not parse.  Host names compare case-insensitively. */
#pragma once

#include <glib.h>

enum lw_known_host {
	LW_KNOWN_HOST_OK = 0,      /* a line names the host with exactly this key */
	LW_KNOWN_HOST_UNKNOWN = -1,/* no line names the host (or no file is there) */
	LW_KNOWN_HOST_OTHER_TYPE = -2, /* the host is known, but by keys of other types only */
	LW_KNOWN_HOST_CHANGED = -3,/* the host is known with another key of this type */
	LW_KNOWN_HOST_REVOKED = -4,/* an @revoked line names this key */
};

/* The name a known_hosts line gives host at port: "host", or
 * "[host]:port" when port is not 22.  A new string. */
char *lw_known_hosts_name(const char *host, int port);

/* Looks for host (at port) with key (the key blob in ssh wire format,
 * as a server sends it and known_hosts holds it base64-encoded; len
 * bytes) in each of files (NULL-terminated; missing files are skipped).
 * Returns how it stands; on anything but LW_KNOWN_HOST_OK, *error (may
 * be NULL) is set to a message that names the host, the key's type and
 * SHA256 fingerprint, the files read and what to do. */
enum lw_known_host lw_known_hosts_check(const char *const *files, const char *host, int port,
                                        const unsigned char *key, gsize len, GError **error);
