#include "charset.h"
#include "caps.h"

#include <stdbool.h>
#include <string.h>
#include <libxml/encoding.h>

/* The value after "charset=" in one <meta ...> tag, or NULL. */
static char *meta_charset(const char *tag, gsize len)
{
	g_autofree char *low = g_ascii_strdown(tag, (gssize)len);
	const char *c = strstr(low, "charset");
	if (!c)
		return NULL;
	c += strlen("charset");
	while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
		c++;
	if (*c != '=')
		return NULL;
	c++;
	while (*c == ' ' || *c == '"' || *c == '\'')
		c++;
	gsize n = strcspn(c, " \t\r\n\"';/>");
	if (n == 0 || n > 40)
		return NULL;
	return g_strndup(c, n);
}

static char *sniff_meta_charset(const char *data, gsize len)
{
	gsize n = MIN(len, LW_CHARSET_SNIFF_BYTES);
	for (gsize i = 0; i + 5 < n; i++) {
		if (data[i] != '<' || g_ascii_strncasecmp(data + i, "<meta", 5) != 0)
			continue;
		const char *end = memchr(data + i, '>', n - i);
		if (!end)
			break;
		char *cs = meta_charset(data + i, (gsize)(end - (data + i)));
		if (cs)
			return cs;
	}
	return NULL;
}

static const char *bom_charset(const char *data, gsize len)
{
	const guchar *u = (const guchar *)data;
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return "UTF-8";
	if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE)
		return "UTF-16LE";
	if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF)
		return "UTF-16BE";
	return NULL;
}

/* Bytes labelled (or taken as) UTF-8 that are not: more invalid bytes
 * than valid multi-byte characters means a single-byte page (the CMS
 * that writes windows-1252 under a UTF-8 <meta>); a few stray bytes in a
 * UTF-8 page do not. */
static bool looks_like_cp1252(const char *data, gsize len)
{
	/* One pass: a page is mostly ASCII, which costs a comparison per
	 * eight bytes here, far less than g_utf8_validate_len() spends; valid
	 * UTF-8 counts no invalid byte. */
	gsize valid = 0, invalid = 0;
	const char *p = data, *end = data + len;
	while (p < end) {
		/* eight ASCII bytes at a time */
		guint64 w;
		while (end - p >= 8 && (memcpy(&w, p, 8), (w & G_GUINT64_CONSTANT(0x8080808080808080)) == 0))
			p += 8;
		if (p >= end)
			break;
		if ((guchar)*p < 0x80) {
			p++;
			continue;
		}
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			invalid++;
			p++;
		} else {
			valid++;
			p = g_utf8_next_char(p);
		}
	}
	return invalid > valid;
}

char *lw_charset_choose(const char *http, const char *data, gsize len)
{
	char *cs = NULL;
	if (http && *http)
		cs = g_strdup(http);
	if (!cs)
		cs = sniff_meta_charset(data, len);
	if (!cs && bom_charset(data, len))
		cs = g_strdup(bom_charset(data, len));
	if (!cs)
		return g_strdup(looks_like_cp1252(data, len) ? "windows-1252" : "UTF-8");
	g_strstrip(cs);
	static const char *const latin1[] = {
		"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii",
		"l1", "cp819", "ibm819", "iso_8859-1", NULL,
	};
	for (const char *const *l = latin1; *l; l++) {
		if (g_ascii_strcasecmp(cs, *l) == 0) {
			g_free(cs);
			return g_strdup("windows-1252");
		}
	}
	if (g_ascii_strcasecmp(cs, "utf-8") == 0 || g_ascii_strcasecmp(cs, "utf8") == 0) {
		g_free(cs);
		return g_strdup(looks_like_cp1252(data, len) ? "windows-1252" : "UTF-8");
	}
	xmlCharEncodingHandler *h = xmlFindCharEncodingHandler(cs);
	if (!h) {
		g_free(cs);
		return g_strdup("UTF-8");
	}
	xmlCharEncCloseFunc(h);
	return cs;
}

/* The five bytes windows-1252 leaves unassigned map to C1 controls,
 * where iconv's windows-1252 would fail the whole page. */
char *lw_charset_cp1252_to_utf8(const char *data, gsize len, gsize *out_len)
{
	static const guint16 high[32] = {
		0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
		0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
	};
	GString *out = g_string_sized_new(len + len / 8 + 16);
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)data[i];
		if (c < 0x80)
			g_string_append_c(out, (char)c);
		else if (c < 0xA0)
			g_string_append_unichar(out, high[c - 0x80]);
		else
			g_string_append_unichar(out, c);
	}
	*out_len = out->len;
	return g_string_free(out, FALSE);
}

bool lw_charset_valid_utf8(const char *data, gsize len)
{
	const char *p = data, *end = data + len;
	const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
	const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
	while (p < end) {
		/* eight ASCII bytes, none of them NUL, at a time */
		guint64 w;
		while (end - p >= 8 && (memcpy(&w, p, 8), !(w & high) && !((w - ones) & ~w & high)))
			p += 8;
		if (p >= end)
			break;
		guchar c = (guchar)*p;
		if (c == 0)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		gunichar u = g_utf8_get_char_validated(p, end - p);
		if (u == (gunichar)-1 || u == (gunichar)-2)
			return false;
		p = g_utf8_next_char(p);
	}
	return true;
}
