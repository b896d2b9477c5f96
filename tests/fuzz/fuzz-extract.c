/* libFuzzer target for one extractor; FUZZ_FORMAT picks it ("guardian",
 * "jsonld", "feed", "xpath", "auto").  Any input must give a snapshot
 * or an error, never a crash, a leak or undefined behaviour, and every
 * entry must keep the snapshot's promises (valid UTF-8, sane ids). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <libxml/parser.h>

#include "entry.h"
#include "extract.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT "auto"
#endif

static const struct lw_xpath_profile profile = {
	.entry = "//*[contains(@class,'post')]",
	.id = "@data-id | .//a/@href",
	.time = ".//time/@datetime",
	.updated = "string(.//*[@class='upd'])",
	.title = ".//h2",
	.body = ".//p | .//blockquote",
};

static void check(const struct lw_snapshot *s)
{
	for (guint i = 0; i < s->entries->len; i++) {
		const struct lw_entry *e = s->entries->pdata[i];
		const char *f[] = { e->id, e->published, e->updated, e->title, e->body, e->url, e->author };
		for (size_t k = 0; k < G_N_ELEMENTS(f); k++)
			if (!f[k] || !g_utf8_validate(f[k], -1, NULL))
				abort();
		if (!e->id[0] || strlen(e->id) > LW_ENTRY_ID_MAX || e->id[0] == '.')
			abort();
		for (const char *c = e->id; *c; c++)
			if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	const char *fmt = FUZZ_FORMAT;
	GString *page = g_string_sized_new(size + 64);
	/* JSON-LD is reached through its script element */
	if (strcmp(fmt, "jsonld") == 0)
		g_string_append(page, "<script type=\"application/ld+json\">");
	g_string_append_len(page, (const char *)data, (gssize)size);
	if (strcmp(fmt, "jsonld") == 0)
		g_string_append(page, "</script>");
	struct lw_extract_opts o = LW_EXTRACT_OPTS_DEFAULT;
	o.format = fmt;
	o.xpath = &profile;
	o.max_entries = 500;
	o.max_entry_bytes = 4096;
	o.base_url = "https://fuzz.example/live?page=2";
	GError *err = NULL;
	struct lw_snapshot *s = lw_extract(page->str, page->len, &o, &err);
	if (s) {
		check(s);
		lw_snapshot_free(s);
	} else if (!err) {
		abort();
	}
	g_clear_error(&err);
	g_string_free(page, TRUE);
	return 0;
}
