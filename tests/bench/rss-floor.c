/* The memory floor under a `livewatch poll`: what the libraries it is
 * built on cost a process before livewatch does anything of its own.
 *
 *     rss-floor URL REPO
 *
 * Fetches URL once with libcurl, parses the body with libxml2's HTML
 * parser, opens the git repository REPO with libgit2 and reads its HEAD
 * commit and tree, then exits: one of each thing a poll does, through the
 * same libraries as Debian ships them, with nothing kept.  tests/bench/
 * vs-urlwatch.py runs it next to `livewatch poll` under GNU time and
 * reports its peak RSS as the floor that livewatch's own figure sits on.
 *
 * libgit2 is started as livewatch starts it, with the CA bundle's parse
 * deferred (src/git-init.c), so the floor holds nothing livewatch avoids.
 *
 * Built twice (tests/meson.build): rss-floor-libs links only libcurl,
 * libxml2, libgit2 and GLib (which git-init.c needs); rss-floor-linked
 * (RSS_FLOOR_LINKED) also links and calls once every other library the
 * livewatch binary links (GIO, json-glib, libnotify, inih), so the
 * difference between the two is the price of those. */
#include "git-init.h"

#include <curl/curl.h>
#include <git2.h>
#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RSS_FLOOR_LINKED
#include <glib.h>
#include <gio/gio.h>
#include <ini.h>
#include <json-glib/json-glib.h>
#include <libnotify/notify.h>
#endif

struct body {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
	struct body *b = userdata;
	char *grown = realloc(b->data, b->len + size * n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, p, size * n);
	b->data = grown;
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static int fetch_and_parse(const char *url)
{
	struct body b = { 0 };
	CURL *h = curl_easy_init();
	if (!h)
		return 1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK || !b.data) {
		fprintf(stderr, "rss-floor: %s: %s\n", url, curl_easy_strerror(rc));
		free(b.data);
		return 1;
	}
	htmlDocPtr doc = htmlReadMemory(b.data, (int)b.len, url, NULL,
	                                HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
	                                        HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	free(b.data);
	if (!doc) {
		fprintf(stderr, "rss-floor: %s: not parsed\n", url);
		return 1;
	}
	xmlFreeDoc(doc);
	return 0;
}

static int read_head(const char *path)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid head;
	int rc = git_repository_open(&repo, path);
	if (rc == 0)
		rc = git_reference_name_to_id(&head, repo, "HEAD");
	if (rc == 0)
		rc = git_commit_lookup(&commit, repo, &head);
	if (rc == 0)
		rc = git_commit_tree(&tree, commit);
	if (rc < 0)
		fprintf(stderr, "rss-floor: %s: %s\n", path, git_error_last()->message);
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	return rc < 0;
}

#ifdef RSS_FLOOR_LINKED
static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	return 1;
}

/* One call into each library livewatch links besides the three, so that
 * the linker keeps them and their constructors run as they do there. */
static void touch_the_others(void)
{
	g_autoptr(JsonNode) node = json_from_string("{\"a\":1}", NULL);
	g_autofree char *dir = g_get_current_dir();
	g_autoptr(GFile) file = g_file_new_for_path(dir);
	ini_parse_string("[a]\nb = c\n", on_ini, NULL);
	if (notify_is_initted())
		notify_uninit();
}
#endif

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: rss-floor URL REPO\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
	lw_git_init();
#ifdef RSS_FLOOR_LINKED
	touch_the_others();
#endif
	int failed = fetch_and_parse(argv[1]) | read_head(argv[2]);
	lw_git_shutdown();
	xmlCleanupParser();
	curl_global_cleanup();
	return failed;
}
