/* libgit2 started without parsing the TLS certificates (git-init.h). */
#include "git-init.h"

#include <dlfcn.h>
#include <git2.h>
#include <glib.h>

/* mbedTLS's own types are opaque here: no mbedTLS headers are needed */
typedef int (*parse_file_fn)(void *chain, const char *path);
typedef int (*ssl_setup_fn)(void *ssl, const void *conf);

static GMutex lock;
static bool deferring;      /* inside lw_git_init() */
static void *pending_chain; /* libgit2's chain, still empty */
static char *pending_path;
static unsigned loads;
static int last_load_rc;

/* The definitions these two replace (looked up under the lock), in the libraries loaded after the
 * program (stored through a void * as POSIX's dlsym() page shows: ISO
 * C has no conversion from an object pointer to a function pointer). */
static parse_file_fn real_parse_file(void)
{
	static parse_file_fn fn;
	if (!fn)
		*(void **)&fn = dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
	return fn;
}

static ssl_setup_fn real_ssl_setup(void)
{
	static ssl_setup_fn fn;
	if (!fn)
		*(void **)&fn = dlsym(RTLD_NEXT, "mbedtls_ssl_setup");
	return fn;
}

/* The one mbedTLS error this may return itself: a function it cannot
 * find (MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE). */
#define NOT_AVAILABLE (-0x2080)

int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_ssl_setup(void *ssl, const void *conf);

int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	g_mutex_lock(&lock);
	if (deferring) {
		pending_chain = chain;
		g_free(pending_path);
		pending_path = g_strdup(path);
		g_mutex_unlock(&lock);
		return 0;
	}
	/* a new location replaces the chain the pending parse was for */
	pending_chain = NULL;
	parse_file_fn fn = real_parse_file();
	g_mutex_unlock(&lock);
	return fn ? fn(chain, path) : NOT_AVAILABLE;
}

int mbedtls_ssl_setup(void *ssl, const void *conf)
{
	g_mutex_lock(&lock);
	if (pending_chain) {
		parse_file_fn fn = real_parse_file();
		last_load_rc = fn ? fn(pending_chain, pending_path) : NOT_AVAILABLE;
		loads++;
		pending_chain = NULL;
	}
	ssl_setup_fn setup = real_ssl_setup();
	g_mutex_unlock(&lock);
	return setup ? setup(ssl, conf) : NOT_AVAILABLE;
}

int lw_git_init(void)
{
	g_mutex_lock(&lock);
	deferring = true;
	g_mutex_unlock(&lock);
	/* libgit2's own lock keeps a second initialiser waiting, so only
	 * the first, which parses, runs with deferring set */
	int n = git_libgit2_init();
	g_mutex_lock(&lock);
	deferring = false;
	g_mutex_unlock(&lock);
	return n;
}

int lw_git_shutdown(void)
{
	int n = git_libgit2_shutdown();
	if (n == 0) {
		g_mutex_lock(&lock);
		pending_chain = NULL;
		g_mutex_unlock(&lock);
	}
	return n;
}

bool lw_git_tls_pending(void)
{
	g_mutex_lock(&lock);
	bool p = pending_chain != NULL;
	g_mutex_unlock(&lock);
	return p;
}

unsigned lw_git_tls_loads(int *last_rc)
{
	g_mutex_lock(&lock);
	unsigned n = loads;
	if (last_rc)
		*last_rc = last_load_rc;
	g_mutex_unlock(&lock);
	return n;
}
