/* Evaluating a parsed query against a document (query.h lw_query_eval). */
#include "query-private.h"
#include "words.h"

#include <string.h>

/* Hits one atom may record in one field: enough for any snippet. */
#define HITS_PER_ATOM 1000

static const char *const field_names[] = { "title", "body" };

/* ---- documents ---- */

struct field {
	char *text;
	GArray *words;     /* struct lw_word */
};

struct lw_doc {
	struct field f[2];
};

static void field_init(struct field *f, const char *text)
{
	text = text ? text : "";
	g_autofree char *valid = g_utf8_validate(text, -1, NULL) ? NULL : g_utf8_make_valid(text, -1);
	if (valid)
		text = valid;
	/* PCRE2's JIT reads the subject 16 bytes at a time: pad the copy so
	 * those reads stay inside it (and valgrind stays quiet). */
	gsize len = strlen(text);
	f->text = g_malloc0(len + 16);
	memcpy(f->text, text, len);
	f->words = lw_words_split(f->text, -1);
}

struct lw_doc *lw_doc_new(const char *title, const char *body)
{
	struct lw_doc *d = g_new0(struct lw_doc, 1);
	field_init(&d->f[0], title);
	field_init(&d->f[1], body);
	return d;
}

void lw_doc_free(struct lw_doc *d)
{
	if (!d)
		return;
	for (int i = 0; i < 2; i++) {
		g_free(d->f[i].text);
		g_array_unref(d->f[i].words);
	}
	g_free(d);
}

/* ---- evaluation ---- */

struct hit {
	int field;
	gsize off, len;
	guint w0, w1;      /* first and last word index covered */
};

static void add_hit(GArray *hits, const struct field *f, int field, guint w0, guint w1)
{
	const struct lw_word *a = &g_array_index(f->words, struct lw_word, w0);
	const struct lw_word *b = &g_array_index(f->words, struct lw_word, w1);
	struct hit h = { .field = field, .off = a->offset, .len = b->offset + b->length - a->offset,
	                 .w0 = w0, .w1 = w1 };
	g_array_append_val(hits, h);
}

static bool word_matches(const struct node *n, const struct lw_word *w)
{
	switch (n->kind) {
	case N_WORD:
		return lw_word_match(w->fold, w->base_len, n->w.fold, n->w.base_len);
	case N_PREFIX:
		return lw_word_match_prefix(w->fold, n->w.fold);
	case N_TYPO:
		return lw_word_match(w->fold, w->base_len, n->w.fold, n->w.base_len) ||
		       lw_word_match_typo(w->fold, w->base_len, n->ucs, n->ucs_len);
	default:
		return false;
	}
}

/* The words a byte range touches, for NEAR on regex hits. */
static void word_span(const struct field *f, gsize off, gsize len, guint *w0, guint *w1)
{
	guint n = f->words->len, lo = 0, hi = n;
	while (lo < hi) {  /* first word ending after off */
		guint mid = lo + (hi - lo) / 2;
		const struct lw_word *w = &g_array_index(f->words, struct lw_word, mid);
		if (w->offset + w->length <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	*w0 = lo;
	guint i = lo;
	while (i + 1 < n && g_array_index(f->words, struct lw_word, i + 1).offset < off + len)
		i++;
	*w1 = i < lo ? lo : i;
}

static bool eval_regex(const struct node *n, const struct field *f, int field, GArray *hits)
{
	bool any = false;
	guint count = 0;
	GMatchInfo *mi = NULL;
	g_regex_match(n->re, f->text, 0, &mi);
	while (g_match_info_matches(mi) && count < HITS_PER_ATOM) {
		int s, e;
		if (g_match_info_fetch_pos(mi, 0, &s, &e) && e > s) {
			struct hit h = { .field = field, .off = (gsize)s, .len = (gsize)(e - s) };
			word_span(f, h.off, h.len, &h.w0, &h.w1);
			g_array_append_val(hits, h);
			any = true;
			count++;
		}
		if (!g_match_info_next(mi, NULL))
			break;
	}
	g_match_info_free(mi);
	return any;
}

static bool eval_phrase(const struct node *n, const struct field *f, int field, GArray *hits)
{
	guint k = n->phrase->len, count = 0;
	bool any = false;
	for (guint i = 0; i + k <= f->words->len && count < HITS_PER_ATOM; i++) {
		guint j = 0;
		for (; j < k; j++) {
			const struct lw_word *w = &g_array_index(f->words, struct lw_word, i + j);
			const struct qword *q = &g_array_index(n->phrase, struct qword, j);
			if (!lw_word_match(w->fold, w->base_len, q->fold, q->base_len))
				break;
		}
		if (j == k) {
			add_hit(hits, f, field, i, i + k - 1);
			any = true;
			count++;
		}
	}
	return any;
}

static bool eval(const struct node *n, const struct lw_doc *d, unsigned mask, GArray *hits);

static guint gap(const struct hit *a, const struct hit *b)
{
	if (b->w0 > a->w1)
		return b->w0 - a->w1 - 1;
	if (a->w0 > b->w1)
		return a->w0 - b->w1 - 1;
	return 0;
}

static bool eval_near(const struct node *n, const struct lw_doc *d, unsigned mask, GArray *hits)
{
	g_autoptr(GArray) ha = g_array_new(FALSE, FALSE, sizeof(struct hit));
	g_autoptr(GArray) hb = g_array_new(FALSE, FALSE, sizeof(struct hit));
	if (!eval(n->kids->pdata[0], d, mask, ha) || !eval(n->kids->pdata[1], d, mask, hb))
		return false;
	g_autofree bool *used_b = g_new0(bool, hb->len);
	bool any = false;
	for (guint i = 0; i < ha->len; i++) {
		const struct hit *a = &g_array_index(ha, struct hit, i);
		bool used_a = false;
		for (guint j = 0; j < hb->len; j++) {
			const struct hit *b = &g_array_index(hb, struct hit, j);
			if (a->field == b->field && gap(a, b) <= n->near) {
				used_a = true;
				used_b[j] = true;
			}
		}
		if (used_a) {
			g_array_append_val(hits, *a);
			any = true;
		}
	}
	for (guint j = 0; j < hb->len; j++)
		if (used_b[j])
			g_array_append_val(hits, g_array_index(hb, struct hit, j));
	return any;
}

static bool eval(const struct node *n, const struct lw_doc *d, unsigned mask, GArray *hits)
{
	switch (n->kind) {
	case N_WORD:
	case N_PREFIX:
	case N_TYPO:
	case N_PHRASE:
	case N_REGEX: {
		bool any = false;
		for (int fi = 0; fi < 2; fi++) {
			if (!(mask & (1u << fi)))
				continue;
			const struct field *f = &d->f[fi];
			if (n->kind == N_REGEX) {
				any |= eval_regex(n, f, fi, hits);
			} else if (n->kind == N_PHRASE) {
				any |= eval_phrase(n, f, fi, hits);
			} else {
				guint count = 0;
				for (guint i = 0; i < f->words->len && count < HITS_PER_ATOM; i++) {
					if (word_matches(n, &g_array_index(f->words, struct lw_word, i))) {
						add_hit(hits, f, fi, i, i);
						count++;
					}
				}
				any |= count > 0;
			}
		}
		return any;
	}
	case N_AND: {
		guint saved = hits->len;
		for (guint i = 0; i < n->kids->len; i++) {
			if (!eval(n->kids->pdata[i], d, mask, hits)) {
				g_array_set_size(hits, saved);
				return false;
			}
		}
		return true;
	}
	case N_OR: {
		bool any = false;
		for (guint i = 0; i < n->kids->len; i++)
			any |= eval(n->kids->pdata[i], d, mask, hits);
		return any;
	}
	case N_NOT: {
		g_autoptr(GArray) scratch = g_array_new(FALSE, FALSE, sizeof(struct hit));
		return !eval(n->kids->pdata[0], d, mask, scratch);
	}
	case N_NEAR:
		return eval_near(n, d, mask, hits);
	case N_FIELD:
		return eval(n->kids->pdata[0], d, mask & n->fields, hits);
	}
	return false;
}

static int hit_cmp(gconstpointer pa, gconstpointer pb)
{
	const struct hit *a = pa, *b = pb;
	if (a->field != b->field)
		return a->field - b->field;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	if (a->len != b->len)
		return a->len > b->len ? -1 : 1;  /* longest first */
	return 0;
}

void lw_match_init(struct lw_match *m)
{
	m->terms = g_ptr_array_new_with_free_func(g_free);
	m->field = NULL;
	m->offset = 0;
	m->length = 0;
}

void lw_match_clear(struct lw_match *m)
{
	if (m->terms)
		g_ptr_array_unref(m->terms);
	m->terms = NULL;
	m->field = NULL;
	m->offset = 0;
	m->length = 0;
}

bool lw_query_eval(const struct lw_query *q, const struct lw_doc *d, struct lw_match *m)
{
	if (m) {
		if (m->terms)
			g_ptr_array_set_size(m->terms, 0);
		m->field = NULL;
		m->offset = 0;
		m->length = 0;
	}
	if (!q || !d)
		return false;
	g_autoptr(GArray) hits = g_array_new(FALSE, FALSE, sizeof(struct hit));
	bool ok = eval(q->root, d, F_ALL, hits);
	if (!ok || !m || hits->len == 0)
		return ok;

	g_array_sort(hits, hit_cmp);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	const struct hit *cover = NULL;  /* the hit the current one lies inside */
	for (guint i = 0; i < hits->len; i++) {
		const struct hit *h = &g_array_index(hits, struct hit, i);
		if (cover && cover->field == h->field && h->off + h->len <= cover->off + cover->len)
			continue;
		cover = h;
		if (!m->field) {
			m->field = field_names[h->field];
			m->offset = h->off;
			m->length = h->len;
		}
		if (!m->terms)
			continue;
		char *term = g_strndup(d->f[h->field].text + h->off, h->len);
		if (g_hash_table_contains(seen, term)) {
			g_free(term);
			continue;
		}
		g_ptr_array_add(m->terms, term);
		g_hash_table_add(seen, term);
	}
	return ok;
}

const GArray *lw_doc_words(const struct lw_doc *d, int field)
{
	g_return_val_if_fail(d && (field == 0 || field == 1), NULL);
	return d->f[field].words;
}
