/* libgit2's global state, started without parsing the system's TLS
 * certificates until a TLS connection needs them.
 *
 * libgit2 built with mbedTLS (Debian's) parses the whole CA bundle
 * (/etc/ssl/certs/ca-certificates.crt, some 140 certificates) inside
 * git_libgit2_init(): 56 M instructions, about 10 ms, in every livewatch
 * process, for `livewatch log` most of its time and 8 % of a `poll` of
 * 30 blogs.  Only a push over https ever uses them.
 *
 * So the program defines (and exports, see daemon/meson.build) two
 * mbedTLS functions of its own that the dynamic linker gives libgit2 in
 * place of mbedTLS's: while lw_git_init() runs, parsing the bundle is
 * only noted; the first mbedtls_ssl_setup() (the start of any TLS
 * connection libgit2 makes) parses it into the same certificate chain
 * libgit2 configured, before the handshake.  Any other parse (a CA file
 * set with GIT_OPT_SET_SSL_CERT_LOCATIONS) goes straight through and
 * drops the pending one, whose chain libgit2 then frees.  With a libgit2
 * built on OpenSSL or WinHTTP nothing calls these, and nothing changes.
 *
 * Thread-safe: a mutex guards the pending parse. */
#pragma once

#include <stdbool.h>

/* git_libgit2_init() with the CA bundle's parse deferred.  Returns what
 * git_libgit2_init() returns (the number of initialisations, or < 0). */
int lw_git_init(void);

/* git_libgit2_shutdown(); the last one forgets a pending parse (libgit2
 * freed its chain). */
int lw_git_shutdown(void);

/* For tests: whether a parse is pending, and how many times the real
 * mbedTLS parse ran on the bundle's behalf since the process started
 * (with its last result in *last_rc when not NULL). */
bool lw_git_tls_pending(void);
unsigned lw_git_tls_loads(int *last_rc);
