/* known_hosts lookups (knownhosts.h). */
#include "knownhosts.h"
#include "error.h"

#include <stdbool.h>
#include <string.h>

char *lw_known_hosts_name(const char *host, int port)
{
	if (port <= 0 || port == 22)
		return g_ascii_strdown(host, -1);
	g_autofree char *h = g_ascii_strdown(host, -1);
	return g_strdup_printf("[%s]:%d", h, port);
}

/* The type name at the start of a key blob ("ssh-ed25519"), or NULL. */
static char *blob_type(const unsigned char *key, gsize len)
{
	if (len < 4)
		return NULL;
	guint32 n = (guint32)key[0] << 24 | (guint32)key[1] << 16 | (guint32)key[2] << 8 | key[3];
	if (n == 0 || n > 64 || n > len - 4)
		return NULL;
	return g_strndup((const char *)key + 4, n);
}

static char *fingerprint(const unsigned char *key, gsize len)
{
	guint8 digest[32];
	gsize dlen = sizeof(digest);
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(c, key, len);
	g_checksum_get_digest(c, digest, &dlen);
	g_checksum_free(c);
	char *b64 = g_base64_encode(digest, dlen);
	char *eq = strchr(b64, '=');
	if (eq)
		*eq = '\0';
	char *out = g_strconcat("SHA256:", b64, NULL);
	g_free(b64);
	return out;
}

/* `|1|salt|hash`: HMAC-SHA1 of name keyed by salt. */
static bool hashed_match(const char *pattern, const char *name)
{
	g_auto(GStrv) parts = g_strsplit(pattern + 3, "|", 3);
	if (!parts[0] || !parts[1] || parts[2])
		return false;
	gsize slen = 0, hlen = 0;
	g_autofree guchar *salt = g_base64_decode(parts[0], &slen);
	g_autofree guchar *want = g_base64_decode(parts[1], &hlen);
	if (slen != 20 || hlen != 20)
		return false;
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA1, salt, slen);
	g_hmac_update(h, (const guchar *)name, (gssize)strlen(name));
	guint8 got[20];
	gsize glen = sizeof(got);
	g_hmac_get_digest(h, got, &glen);
	g_hmac_unref(h);
	return glen == 20 && memcmp(got, want, 20) == 0;
}

/* Whether a line's PATTERNS name name: a negation that matches wins. */
static bool patterns_match(const char *patterns, const char *name)
{
	if (g_str_has_prefix(patterns, "|1|"))
		return hashed_match(patterns, name);
	g_auto(GStrv) list = g_strsplit(patterns, ",", -1);
	bool hit = false;
	for (char **p = list; *p; p++) {
		bool neg = **p == '!';
		g_autofree char *pat = g_ascii_strdown(*p + neg, -1);
		if (!*pat || !g_pattern_match_simple(pat, name))
			continue;
		if (neg)
			return false;
		hit = true;
	}
	return hit;
}

struct verdict {
	bool named, same, changed, revoked;
	GString *types;       /* the types on record for the host */
};

static void scan(const char *file, const char *name, const char *type, const unsigned char *key,
                 gsize len, struct verdict *v)
{
	g_autofree char *text = NULL;
	if (!g_file_get_contents(file, &text, NULL, NULL))
		return;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit_set(g_strstrip(*l), " \t", -1);
		/* the fields, without the empty ones runs of blanks make */
		const char *fld[5];
		guint n = 0;
		for (char **p = f; *p && n < G_N_ELEMENTS(fld); p++)
			if (**p)
				fld[n++] = *p;
		if (n == 0 || fld[0][0] == '#')
			continue;
		guint at = 0;
		bool revoked = false;
		if (fld[0][0] == '@') {
			if (strcmp(fld[0], "@revoked"))
				continue;           /* @cert-authority: not checked */
			revoked = true;
			at = 1;
		}
		if (n < at + 3 || !patterns_match(fld[at], name))
			continue;
		gsize klen = 0;
		g_autofree guchar *k = g_base64_decode(fld[at + 2], &klen);
		bool same = klen == len && memcmp(k, key, len) == 0;
		if (revoked) {
			v->revoked |= same;
			continue;
		}
		v->named = true;
		if (same) {
			v->same = true;
		} else if (!type || !strcmp(fld[at + 1], type)) {
			v->changed = true;
		} else {
			if (!strstr(v->types->str, fld[at + 1]))
				g_string_append_printf(v->types, "%s%s", v->types->len ? ", " : "",
				                       fld[at + 1]);
		}
	}
}

enum lw_known_host lw_known_hosts_check(const char *const *files, const char *host, int port,
                                        const unsigned char *key, gsize len, GError **error)
{
	g_autofree char *name = lw_known_hosts_name(host, port);
	g_autofree char *type = blob_type(key, len);
	struct verdict v = { .types = g_string_new(NULL) };
	g_autoptr(GString) where = g_string_new(NULL);
	for (const char *const *f = files; *f; f++) {
		scan(*f, name, type, key, len, &v);
		g_string_append_printf(where, "%s'%s'", where->len ? ", " : "", *f);
	}
	g_autofree char *fp = fingerprint(key, len);
	const char *t = type ? type : "unknown";
	g_autofree char *scan_cmd = port > 0 && port != 22 ?
		g_strdup_printf("ssh-keyscan -t %s -p %d %s", t, port, host) :
		g_strdup_printf("ssh-keyscan -t %s %s", t, host);
	enum lw_known_host rc;
	if (v.revoked) {
		rc = LW_KNOWN_HOST_REVOKED;
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH, "the %s host key of %s (%s) is marked "
		            "@revoked in %s: refused", t, name, fp, where->str);
	} else if (v.same) {
		rc = LW_KNOWN_HOST_OK;
	} else if (v.changed) {
		rc = LW_KNOWN_HOST_CHANGED;
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH, "the %s host key of %s has CHANGED: the "
		            "server sent %s, which is not the key %s holds for it; someone may be "
		            "pretending to be the server: refused (if the server's key really "
		            "changed, replace its line)", t, name, fp, where->str);
	} else if (v.named) {
		rc = LW_KNOWN_HOST_OTHER_TYPE;
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH, "%s knows %s by its %s key only, but the "
		            "server offered its %s key (%s): refused; check the key and add it ('%s')",
		            where->str, name, v.types->str, t, fp, scan_cmd);
	} else {
		rc = LW_KNOWN_HOST_UNKNOWN;
		g_set_error(error, LW_ERROR, LW_ERROR_FETCH, "the host key of %s is not known (%s key "
		            "%s; looked in %s): refused; check the key and add it ('%s >> %s', or "
		            "connect once with ssh)", name, t, fp, where->len ? where->str : "no file",
		            scan_cmd, files[0] ? files[0] : "~/.ssh/known_hosts");
	}
	g_string_free(v.types, TRUE);
	return rc;
}
