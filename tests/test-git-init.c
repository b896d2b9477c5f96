/* Tests for src/git-init.c: libgit2 starts without parsing the system's
 * CA bundle, and parses it, once, before its first TLS connection. */
#include <dlfcn.h>
#include <git2.h>
#include <glib.h>

#include "git-init.h"

/* Only a libgit2 built on mbedTLS calls the functions git-init.c
 * replaces: is mbedTLS in this process? */
static bool mbedtls_loaded(void)
{
	return dlsym(RTLD_NEXT, "mbedtls_ssl_setup") != NULL;
}

/* A connection to an https URL where nothing listens: it is refused,
 * but libgit2 has set up its TLS session first.  (A remote without a
 * repository: git_clone's failure leaks in libgit2 1.5's config regex.) */
static void try_https(void)
{
	git_remote *remote = NULL;
	g_assert_cmpint(git_remote_create_detached(&remote, "https://127.0.0.1:1/history.git"), ==, 0);
	int rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, NULL, NULL, NULL);
	g_assert_cmpint(rc, <, 0);
	g_test_message("connect: %s", git_error_last() ? git_error_last()->message : "?");
	git_remote_free(remote);
}

static void test_deferred(void)
{
	if (!mbedtls_loaded()) {
		g_test_skip("libgit2 is not built with mbedTLS: nothing to defer");
		return;
	}
	g_assert_cmpint(lw_git_init(), ==, 1);
	g_assert_true(lw_git_tls_pending());
	g_assert_cmpuint(lw_git_tls_loads(NULL), ==, 0);

	/* a second user of libgit2 changes nothing */
	g_assert_cmpint(lw_git_init(), ==, 2);
	g_assert_cmpint(lw_git_shutdown(), ==, 1);
	g_assert_true(lw_git_tls_pending());

	try_https();
	int rc = -1;
	g_assert_cmpuint(lw_git_tls_loads(&rc), ==, 1);
	g_assert_cmpint(rc, >=, 0);   /* certificates parsed (>= 0: how many failed) */
	g_assert_false(lw_git_tls_pending());
	try_https();
	g_assert_cmpuint(lw_git_tls_loads(NULL), ==, 1);   /* once */
	g_assert_cmpint(lw_git_shutdown(), ==, 0);
	g_assert_false(lw_git_tls_pending());
}

/* A CA location set by the program replaces the pending parse, whose
 * chain libgit2 frees: it must never be parsed into afterwards. */
static void test_location_replaces(void)
{
	if (!mbedtls_loaded()) {
		g_test_skip("libgit2 is not built with mbedTLS: nothing to defer");
		return;
	}
	unsigned before = lw_git_tls_loads(NULL);
	g_assert_cmpint(lw_git_init(), ==, 1);
	g_assert_true(lw_git_tls_pending());
	g_autofree char *ca = g_build_filename(LW_TEST_DATA, "no-such-ca.pem", NULL);
	git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca, NULL);   /* fails: no file */
	git_error_clear();
	g_assert_false(lw_git_tls_pending());
	try_https();
	g_assert_cmpuint(lw_git_tls_loads(NULL), ==, before);
	g_assert_cmpint(lw_git_shutdown(), ==, 0);

	/* libgit2 started by someone else parses at once, as before */
	g_assert_cmpint(git_libgit2_init(), ==, 1);
	g_assert_false(lw_git_tls_pending());
	g_assert_cmpint(git_libgit2_shutdown(), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_setenv("GIT_CONFIG_NOSYSTEM", "1", TRUE);
	g_test_add_func("/git-init/deferred", test_deferred);
	g_test_add_func("/git-init/location-replaces", test_location_replaces);
	return g_test_run();
}
