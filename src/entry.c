#include "entry.h"

#include <string.h>

static const char empty[] = "";

struct lw_entry *lw_entry_new(void)
{
	struct lw_entry *e = g_new0(struct lw_entry, 1);
	e->id = g_strdup(empty);
	e->published = g_strdup(empty);
	e->updated = g_strdup(empty);
	e->title = g_strdup(empty);
	e->body = g_strdup(empty);
	e->url = g_strdup(empty);
	e->author = g_strdup(empty);
	return e;
}

void lw_entry_free(struct lw_entry *e)
{
	if (!e)
		return;
	g_free(e->id);
	g_free(e->published);
	g_free(e->updated);
	g_free(e->title);
	g_free(e->body);
	g_free(e->url);
	g_free(e->author);
	g_free(e);
}

struct lw_entry *lw_entry_dup(const struct lw_entry *e)
{
	struct lw_entry *d = g_new0(struct lw_entry, 1);
	d->id = g_strdup(e->id);
	d->published = g_strdup(e->published);
	d->updated = g_strdup(e->updated);
	d->title = g_strdup(e->title);
	d->body = g_strdup(e->body);
	d->url = g_strdup(e->url);
	d->author = g_strdup(e->author);
	d->pinned = e->pinned;
	d->key_event = e->key_event;
	return d;
}

void lw_entry_set(char **field, const char *value)
{
	char *old = *field;
	*field = g_strdup(value ? value : empty);
	g_free(old);
}

char *lw_entry_sanitize_id(const char *raw)
{
	if (!raw)
		return NULL;
	GString *s = g_string_sized_new(strlen(raw));
	for (const char *p = raw; *p && s->len < LW_ENTRY_ID_MAX; p++) {
		char c = *p;
		bool ok = g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
		if (!ok)
			c = '-';
		if (c == '-' && s->len > 0 && s->str[s->len - 1] == '-')
			continue;
		g_string_append_c(s, c);
	}
	while (s->len > 0 && s->str[s->len - 1] == '-')
		g_string_truncate(s, s->len - 1);
	/* No hidden files and no "." or "..": the id becomes a file name. */
	while (s->len > 0 && (s->str[0] == '-' || s->str[0] == '.'))
		g_string_erase(s, 0, 1);
	if (s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

/* The first `max` bytes of text, cut after a whole word (UTF-8 safe). */
static char *first_words(const char *text, gsize max, bool *cut)
{
	gsize len = strlen(text);
	const char *nl = strchr(text, '\n');
	if (nl)
		len = (gsize)(nl - text);
	*cut = nl != NULL;
	if (len <= max)
		return g_strndup(text, len);
	*cut = true;
	gsize end = max;
	while (end > 0 && text[end] != ' ')
		end--;
	if (end == 0) {
		end = max;
		while (end > 0 && (text[end] & 0xC0) == 0x80)
			end--;
	}
	while (end > 0 && strchr(" ,;:-", text[end - 1]))
		end--;
	return g_strndup(text, end);
}

char *lw_entry_hash_id(const char *published, const char *title, const char *body)
{
	bool cut;
	g_autofree char *words = first_words(*title ? title : body, 200, &cut);
	g_autofree char *key = g_strconcat(published ? published : "", "\n", words, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, key, -1);
	return g_strdup_printf("h-%.16s", sum);
}

char *lw_entry_heading(const struct lw_entry *e)
{
	if (e->title[0])
		return g_strdup(e->title);
	const char *b = e->body;
	while (*b == '>' || *b == '-' || *b == ' ')
		b++;
	if (!*b)
		return g_strdup("(no text)");
	bool cut;
	char *w = first_words(b, 80, &cut);
	if (!cut)
		return w;
	char *h = g_strconcat(w, "…", NULL);
	g_free(w);
	return h;
}

bool lw_entry_content_differs(const struct lw_entry *a, const struct lw_entry *b)
{
	if (strcmp(a->body, b->body) || strcmp(a->published, b->published) ||
	    strcmp(a->url, b->url))
		return true;
	g_autofree char *ha = lw_entry_heading(a);
	g_autofree char *hb = lw_entry_heading(b);
	return strcmp(ha, hb) != 0;
}

int lw_entry_word_count(const struct lw_entry *e)
{
	int n = 0;
	bool in = false;
	for (const char *p = e->body; *p; p++) {
		bool sp = *p == ' ' || *p == '\n' || *p == '\t';
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

struct lw_snapshot *lw_snapshot_new(void)
{
	struct lw_snapshot *s = g_new0(struct lw_snapshot, 1);
	s->entries = g_ptr_array_new_with_free_func((GDestroyNotify)lw_entry_free);
	s->format = g_strdup(empty);
	s->page_url = g_strdup(empty);
	s->page_title = g_strdup(empty);
	s->coverage_end = g_strdup(empty);
	s->live = -1;
	s->next_url = g_strdup(empty);
	return s;
}

void lw_snapshot_free(struct lw_snapshot *s)
{
	if (!s)
		return;
	g_ptr_array_unref(s->entries);
	g_free(s->format);
	g_free(s->page_url);
	g_free(s->page_title);
	g_free(s->coverage_end);
	g_free(s->next_url);
	g_free(s);
}

struct lw_record *lw_record_new(void)
{
	struct lw_record *r = g_new0(struct lw_record, 1);
	r->window = g_ptr_array_new();
	r->all = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)lw_entry_free);
	return r;
}

void lw_record_free(struct lw_record *r)
{
	if (!r)
		return;
	if (r->window)
		g_ptr_array_unref(r->window);
	if (r->all)
		g_hash_table_unref(r->all);
	g_free(r);
}

struct lw_entry *lw_snapshot_find(const struct lw_snapshot *s, const char *id)
{
	for (guint i = 0; i < s->entries->len; i++) {
		struct lw_entry *e = s->entries->pdata[i];
		if (strcmp(e->id, id) == 0)
			return e;
	}
	return NULL;
}
