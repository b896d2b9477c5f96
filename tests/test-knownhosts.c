/* known_hosts lookups (src/knownhosts.h): plain and [host]:port names,
 * wildcards and negations, hashed names as `ssh-keygen -H` writes them,
 * changed keys, keys of another type, @revoked, missing files. */
#include "knownhosts.h"

#include <glib/gstdio.h>
#include <string.h>

/* ssh-ed25519 key blobs: bytes 0..31, and 1..32 as "another" key. */
#define KEY_A "AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"

static guchar *blob(const char *b64, gsize *len)
{
	return g_base64_decode(b64, len);
}

static guchar *other_key(gsize *len)
{
	guchar *k = blob(KEY_A, len);
	k[*len - 1] ^= 0x55;
	return k;
}

struct fx {
	char *dir, *file;
};

static char *write_file(struct fx *f, const char *text)
{
	g_free(f->file);
	f->file = g_build_filename(f->dir, "known_hosts", NULL);
	g_assert_true(g_file_set_contents(f->file, text, -1, NULL));
	return f->file;
}

static void fx_setup(struct fx *f, gconstpointer data)
{
	(void)data;
	f->dir = g_dir_make_tmp("lw-kh-XXXXXX", NULL);
	f->file = NULL;
}

static void fx_teardown(struct fx *f, gconstpointer data)
{
	(void)data;
	if (f->file)
		g_unlink(f->file);
	g_rmdir(f->dir);
	g_free(f->file);
	g_free(f->dir);
}

static enum lw_known_host check(struct fx *f, const char *host, int port, const guchar *key,
                                gsize len, char **message)
{
	const char *files[] = { f->file, NULL };
	GError *err = NULL;
	enum lw_known_host rc = lw_known_hosts_check(files, host, port, key, len, &err);
	g_assert_true((rc == LW_KNOWN_HOST_OK) == (err == NULL));
	if (message)
		*message = err ? g_strdup(err->message) : NULL;
	g_clear_error(&err);
	return rc;
}

static void test_names(void)
{
	g_autofree char *a = lw_known_hosts_name("Example.ORG", 22);
	g_autofree char *b = lw_known_hosts_name("127.0.0.1", 2222);
	g_assert_cmpstr(a, ==, "example.org");
	g_assert_cmpstr(b, ==, "[127.0.0.1]:2222");
}

static void test_plain_and_port(struct fx *f, gconstpointer data)
{
	(void)data;
	gsize len;
	g_autofree guchar *key = blob(KEY_A, &len);
	write_file(f, "# a comment\n\n"
	           "example.org,192.0.2.7 ssh-ed25519 " KEY_A " me@laptop\n"
	           "[127.0.0.1]:2222   ssh-ed25519\t" KEY_A "\r\n");
	g_assert_cmpint(check(f, "example.org", 22, key, len, NULL), ==, LW_KNOWN_HOST_OK);
	g_assert_cmpint(check(f, "EXAMPLE.org", 22, key, len, NULL), ==, LW_KNOWN_HOST_OK);
	g_assert_cmpint(check(f, "192.0.2.7", 22, key, len, NULL), ==, LW_KNOWN_HOST_OK);
	g_assert_cmpint(check(f, "127.0.0.1", 2222, key, len, NULL), ==, LW_KNOWN_HOST_OK);
	/* the port is part of the name: another port is another host */
	g_autofree char *msg = NULL;
	g_assert_cmpint(check(f, "127.0.0.1", 2223, key, len, &msg), ==, LW_KNOWN_HOST_UNKNOWN);
	g_assert_nonnull(strstr(msg, "[127.0.0.1]:2223"));
	g_assert_nonnull(strstr(msg, "ssh-keyscan -t ssh-ed25519 -p 2223 127.0.0.1"));
	g_assert_nonnull(strstr(msg, "SHA256:"));
	g_assert_cmpint(check(f, "example.org", 2222, key, len, NULL), ==, LW_KNOWN_HOST_UNKNOWN);
}

static void test_patterns(struct fx *f, gconstpointer data)
{
	(void)data;
	gsize len;
	g_autofree guchar *key = blob(KEY_A, &len);
	write_file(f, "*.example.org,!evil.example.org ssh-ed25519 " KEY_A "\n");
	g_assert_cmpint(check(f, "git.example.org", 22, key, len, NULL), ==, LW_KNOWN_HOST_OK);
	g_assert_cmpint(check(f, "evil.example.org", 22, key, len, NULL), ==,
	                LW_KNOWN_HOST_UNKNOWN);
	g_assert_cmpint(check(f, "example.org", 22, key, len, NULL), ==, LW_KNOWN_HOST_UNKNOWN);
}

static void test_hashed(struct fx *f, gconstpointer data)
{
	(void)data;
	gsize len;
	g_autofree guchar *key = blob(KEY_A, &len);
	/* written by ssh-keygen -H from "[127.0.0.1]:2222" and "example.org" */
	write_file(f, "|1|iZORS3Qg/Lh4KpZYclrldE77p80=|sBh6tgJiOJW55iGBAOoIOWM8HrI= ssh-ed25519 "
	           KEY_A "\n|1|P7ELFIC5dHsb12nqYj8Uw0USunk=|sPYLsX39BCrdC/qq6RWyOshqNMk= "
	           "ssh-ed25519 " KEY_A "\n|1|broken ssh-ed25519 " KEY_A "\n");
	g_assert_cmpint(check(f, "127.0.0.1", 2222, key, len, NULL), ==, LW_KNOWN_HOST_OK);
	g_assert_cmpint(check(f, "example.org", 22, key, len, NULL), ==, LW_KNOWN_HOST_OK);
	g_assert_cmpint(check(f, "example.com", 22, key, len, NULL), ==, LW_KNOWN_HOST_UNKNOWN);
	g_assert_cmpint(check(f, "127.0.0.1", 22, key, len, NULL), ==, LW_KNOWN_HOST_UNKNOWN);
}

static void test_changed_and_other_type(struct fx *f, gconstpointer data)
{
	(void)data;
	gsize len, olen;
	g_autofree guchar *key = blob(KEY_A, &len);
	g_autofree guchar *other = other_key(&olen);
	g_autofree char *other64 = g_base64_encode(other, olen);
	g_autofree char *text = g_strdup_printf("example.org ssh-ed25519 %s\n"
	                                        "example.org ecdsa-sha2-nistp256 AAAAE2VjZHNh\n",
	                                        other64);
	write_file(f, text);
	g_autofree char *msg = NULL;
	g_assert_cmpint(check(f, "example.org", 22, key, len, &msg), ==, LW_KNOWN_HOST_CHANGED);
	g_assert_nonnull(strstr(msg, "CHANGED"));
	g_assert_nonnull(strstr(msg, f->file));
	write_file(f, "example.org ecdsa-sha2-nistp256 AAAAE2VjZHNh\n");
	g_autofree char *msg2 = NULL;
	g_assert_cmpint(check(f, "example.org", 22, key, len, &msg2), ==, LW_KNOWN_HOST_OTHER_TYPE);
	g_assert_nonnull(strstr(msg2, "ecdsa-sha2-nistp256"));
	g_assert_nonnull(strstr(msg2, "ssh-ed25519"));
}

static void test_revoked_and_markers(struct fx *f, gconstpointer data)
{
	(void)data;
	gsize len;
	g_autofree guchar *key = blob(KEY_A, &len);
	write_file(f, "@cert-authority *.example.org ssh-ed25519 " KEY_A "\n");
	g_assert_cmpint(check(f, "git.example.org", 22, key, len, NULL), ==, LW_KNOWN_HOST_UNKNOWN);
	write_file(f, "git.example.org ssh-ed25519 " KEY_A "\n"
	           "@revoked * ssh-ed25519 " KEY_A "\n");
	g_assert_cmpint(check(f, "git.example.org", 22, key, len, NULL), ==, LW_KNOWN_HOST_REVOKED);
}

static void test_missing_file(struct fx *f, gconstpointer data)
{
	(void)data;
	gsize len;
	g_autofree guchar *key = blob(KEY_A, &len);
	f->file = g_build_filename(f->dir, "none", NULL);
	g_autofree char *msg = NULL;
	g_assert_cmpint(check(f, "example.org", 22, key, len, &msg), ==, LW_KNOWN_HOST_UNKNOWN);
	g_assert_nonnull(strstr(msg, "not known"));
	g_clear_pointer(&f->file, g_free);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/knownhosts/names", test_names);
	g_test_add("/knownhosts/plain-and-port", struct fx, NULL, fx_setup, test_plain_and_port,
	           fx_teardown);
	g_test_add("/knownhosts/patterns", struct fx, NULL, fx_setup, test_patterns, fx_teardown);
	g_test_add("/knownhosts/hashed", struct fx, NULL, fx_setup, test_hashed, fx_teardown);
	g_test_add("/knownhosts/changed-and-other-type", struct fx, NULL, fx_setup,
	           test_changed_and_other_type, fx_teardown);
	g_test_add("/knownhosts/revoked-and-markers", struct fx, NULL, fx_setup,
	           test_revoked_and_markers, fx_teardown);
	g_test_add("/knownhosts/missing-file", struct fx, NULL, fx_setup, test_missing_file,
	           fx_teardown);
	return g_test_run();
}
