#include "rindex.h"
#include "words.h"

#include <string.h>

/* A byte string with its length: stored keys own s, lookups borrow it,
 * so probing a word's base or leading bytes copies nothing. */
struct key {
	char *s;
	gsize len;
};

struct lw_rindex {
	guint n;              /* 1 + the largest id added */
	GHashTable *words;    /* struct key * -> GArray of guint ids */
	GHashTable *prefixes;
	GHashTable *typos;    /* deletion variants of typo bases */
	GHashTable *pairs;    /* "base base": neighbours in a phrase */
	GArray *prefix_lens;  /* guint: distinct prefix lengths, ascending */
	GArray *typo_lens;    /* gboolean by code points: a typo base that long */
	GArray *always;       /* guint ids */
};

static guint key_hash(gconstpointer p)
{
	const struct key *k = p;
	guint h = 5381;
	for (gsize i = 0; i < k->len; i++)
		h = h * 33 + (guchar)k->s[i];
	return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	const struct key *x = a, *y = b;
	return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
}

static void key_free(gpointer p)
{
	struct key *k = p;
	g_free(k->s);
	g_free(k);
}

static GHashTable *table_new(void)
{
	return g_hash_table_new_full(key_hash, key_equal, key_free,
	                             (GDestroyNotify)g_array_unref);
}

struct lw_rindex *lw_rindex_new(void)
{
	struct lw_rindex *ix = g_new0(struct lw_rindex, 1);
	ix->words = table_new();
	ix->prefixes = table_new();
	ix->typos = table_new();
	ix->pairs = table_new();
	ix->prefix_lens = g_array_new(FALSE, FALSE, sizeof(guint));
	ix->typo_lens = g_array_new(FALSE, TRUE, sizeof(gboolean));
	ix->always = g_array_new(FALSE, FALSE, sizeof(guint));
	return ix;
}

void lw_rindex_free(struct lw_rindex *ix)
{
	if (!ix)
		return;
	g_hash_table_unref(ix->words);
	g_hash_table_unref(ix->prefixes);
	g_hash_table_unref(ix->typos);
	g_hash_table_unref(ix->pairs);
	g_array_unref(ix->prefix_lens);
	g_array_unref(ix->typo_lens);
	g_array_unref(ix->always);
	g_free(ix);
}

guint lw_rindex_always_count(const struct lw_rindex *ix)
{
	return ix ? ix->always->len : 0;
}

static void file_under(GHashTable *t, const char *s, gsize len, guint id)
{
	struct key k = { .s = (char *)s, .len = len };
	GArray *ids = g_hash_table_lookup(t, &k);
	if (!ids) {
		struct key *own = g_new(struct key, 1);
		own->s = g_strndup(s, len);
		own->len = len;
		ids = g_array_new(FALSE, FALSE, sizeof(guint));
		g_hash_table_insert(t, own, ids);
	}
	/* ids come in increasing order: a repeat is the last one */
	if (ids->len == 0 || g_array_index(ids, guint, ids->len - 1) != id)
		g_array_append_val(ids, id);
}

static void add_prefix_len(GArray *lens, guint len)
{
	guint i = 0;
	while (i < lens->len && g_array_index(lens, guint, i) < len)
		i++;
	if (i == lens->len || g_array_index(lens, guint, i) != len)
		g_array_insert_val(lens, i, len);
}

/* The string s (len bytes of valid UTF-8) with the code point at byte
 * offset at (of at_len bytes) left out, into buf. */
static void without(GString *buf, const char *s, gsize len, gsize at, gsize at_len)
{
	g_string_truncate(buf, 0);
	g_string_append_len(buf, s, (gssize)at);
	g_string_append_len(buf, s + at + at_len, (gssize)(len - at - at_len));
}

static void add_typo(struct lw_rindex *ix, const char *base, gsize len, guint id)
{
	glong cps = g_utf8_strlen(base, (gssize)len);
	if ((guint)cps + 2 > ix->typo_lens->len)
		g_array_set_size(ix->typo_lens, (guint)cps + 2);
	g_array_index(ix->typo_lens, gboolean, cps) = TRUE;
	file_under(ix->typos, base, len, id);
	g_autoptr(GString) buf = g_string_new(NULL);
	for (const char *p = base; p < base + len; p = g_utf8_next_char(p)) {
		gsize at = (gsize)(p - base);
		without(buf, base, len, at, (gsize)(g_utf8_next_char(p) - p));
		file_under(ix->typos, buf->str, buf->len, id);
	}
}

void lw_rindex_add(struct lw_rindex *ix, guint id, const struct lw_query *q)
{
	g_return_if_fail(ix && q && id >= ix->n);
	ix->n = id + 1;
	g_autoptr(GArray) terms = g_array_new(FALSE, FALSE, sizeof(struct lw_query_term));
	if (!lw_query_needs(q, terms)) {
		g_array_append_val(ix->always, id);
		return;
	}
	for (guint i = 0; i < terms->len; i++) {
		const struct lw_query_term *t = &g_array_index(terms, struct lw_query_term, i);
		switch (t->kind) {
		case LW_QUERY_TERM_WORD:
			file_under(ix->words, t->fold, t->len, id);
			break;
		case LW_QUERY_TERM_PREFIX:
			file_under(ix->prefixes, t->fold, t->len, id);
			add_prefix_len(ix->prefix_lens, (guint)t->len);
			break;
		case LW_QUERY_TERM_TYPO:
			add_typo(ix, t->fold, t->len, id);
			break;
		case LW_QUERY_TERM_PAIR: {
			/* a folded word holds no space */
			g_autofree char *k = g_strdup_printf("%.*s %.*s", (int)t->len, t->fold,
			                                     (int)t->len2, t->fold2);
			file_under(ix->pairs, k, strlen(k), id);
			break;
		}
		}
	}
}

struct probe {
	const struct lw_rindex *ix;
	guint64 *marks;       /* one bit per id */
	GString *buf;
};

static void mark(struct probe *pr, GHashTable *t, const char *s, gsize len)
{
	struct key k = { .s = (char *)s, .len = len };
	GArray *ids = g_hash_table_lookup(t, &k);
	for (guint i = 0; ids && i < ids->len; i++) {
		guint id = g_array_index(ids, guint, i);
		pr->marks[id / 64] |= G_GUINT64_CONSTANT(1) << (id % 64);
	}
}

static void probe_typos(struct probe *pr, const char *s, gsize len)
{
	const struct lw_rindex *ix = pr->ix;
	glong cps = g_utf8_strlen(s, (gssize)len);
	/* a typo base within one letter of this length? */
	bool near = false;
	for (glong l = cps > 0 ? cps - 1 : 0; l <= cps + 1 && !near; l++)
		near = (guint)l < ix->typo_lens->len && g_array_index(ix->typo_lens, gboolean, l);
	if (!near)
		return;
	mark(pr, ix->typos, s, len);
	for (const char *p = s; p < s + len; p = g_utf8_next_char(p)) {
		without(pr->buf, s, len, (gsize)(p - s), (gsize)(g_utf8_next_char(p) - p));
		mark(pr, ix->typos, pr->buf->str, pr->buf->len);
	}
}

/* Appends stem st of the folded word w to buf. */
static void append_stem(GString *buf, const char *w, const struct lw_word_stem *st)
{
	g_string_append_len(buf, w, (gssize)st->len);
	g_string_append(buf, st->tail);
}

static void probe_pairs(struct probe *pr, const GArray *ws)
{
	for (guint i = 0; i + 1 < ws->len; i++) {
		const struct lw_word *a = &g_array_index(ws, struct lw_word, i);
		const struct lw_word *b = &g_array_index(ws, struct lw_word, i + 1);
		struct lw_word_stem sa[LW_WORD_STEMS_MAX], sb[LW_WORD_STEMS_MAX];
		guint na = lw_word_stems(a->fold, a->base_len, sa);
		guint nb = lw_word_stems(b->fold, b->base_len, sb);
		for (guint x = 0; x < na; x++) {
			for (guint y = 0; y < nb; y++) {
				g_string_truncate(pr->buf, 0);
				append_stem(pr->buf, a->fold, &sa[x]);
				g_string_append_c(pr->buf, ' ');
				append_stem(pr->buf, b->fold, &sb[y]);
				mark(pr, pr->ix->pairs, pr->buf->str, pr->buf->len);
			}
		}
	}
}

static void probe_word(struct probe *pr, const struct lw_word *w)
{
	const struct lw_rindex *ix = pr->ix;
	const char *b = w->fold;
	/* the query bases lw_word_match accepts for w (words.h) */
	struct lw_word_stem st[LW_WORD_STEMS_MAX];
	guint nst = lw_word_stems(b, w->base_len, st);
	for (guint i = 0; i < nst; i++) {
		if (*st[i].tail) {
			g_string_truncate(pr->buf, 0);
			append_stem(pr->buf, b, &st[i]);
			mark(pr, ix->words, pr->buf->str, pr->buf->len);
			/* a typo query matches its word's plural too: filed under
			 * its base among the typos */
			mark(pr, ix->typos, pr->buf->str, pr->buf->len);
			continue;
		}
		mark(pr, ix->words, b, st[i].len);
		/* lw_word_match_typo: the base, without "s", without "es" */
		if (ix->typo_lens->len > 0)
			probe_typos(pr, b, st[i].len);
	}
	gsize full = strlen(w->fold);
	for (guint i = 0; i < ix->prefix_lens->len; i++) {
		guint l = g_array_index(ix->prefix_lens, guint, i);
		if (l > full)
			break;
		mark(pr, ix->prefixes, w->fold, l);
	}
}

static int cmp_fold(gconstpointer a, gconstpointer b)
{
	const struct lw_word *x = *(const struct lw_word *const *)a;
	const struct lw_word *y = *(const struct lw_word *const *)b;
	return strcmp(x->fold, y->fold);
}

void lw_rindex_candidates(const struct lw_rindex *ix, const struct lw_doc *d, GArray *out)
{
	if (!ix || !d || ix->n == 0)
		return;
	gsize nmarks = ix->n / 64 + 1;
	struct probe pr = { .ix = ix, .marks = g_new0(guint64, nmarks), .buf = g_string_new(NULL) };
	for (guint i = 0; i < ix->always->len; i++) {
		guint id = g_array_index(ix->always, guint, i);
		pr.marks[id / 64] |= G_GUINT64_CONSTANT(1) << (id % 64);
	}

	/* each distinct word once: a post says "the" a hundred times */
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	for (int f = 0; f < 2; f++) {
		const GArray *ws = lw_doc_words(d, f);
		for (guint i = 0; i < ws->len; i++)
			g_ptr_array_add(words, &g_array_index(ws, struct lw_word, i));
		if (g_hash_table_size(ix->pairs) > 0)
			probe_pairs(&pr, ws);
	}
	g_ptr_array_sort(words, cmp_fold);
	for (guint i = 0; i < words->len; i++) {
		const struct lw_word *w = words->pdata[i];
		if (i > 0 && strcmp(w->fold, ((const struct lw_word *)words->pdata[i - 1])->fold) == 0)
			continue;
		probe_word(&pr, w);
	}

	for (gsize i = 0; i < nmarks; i++) {
		guint64 m = pr.marks[i];
		while (m) {
			guint bit = (guint)__builtin_ctzll(m);
			guint id = (guint)(i * 64 + bit);
			g_array_append_val(out, id);
			m &= m - 1;
		}
	}
	g_string_free(pr.buf, TRUE);
	g_free(pr.marks);
}
