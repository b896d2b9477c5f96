#include "words.h"

#include <string.h>

static bool is_apostrophe(gunichar c)
{
	return c == '\'' || c == 0x2019 || c == 0x02BC;
}

static void word_clear(gpointer p)
{
	struct lw_word *w = p;
	g_free(w->fold);
}

GArray *lw_words_split(const char *text, gssize len)
{
	GArray *words = g_array_new(FALSE, FALSE, sizeof(struct lw_word));
	g_array_set_clear_func(words, word_clear);
	if (!text)
		return words;
	const char *end = len < 0 ? text + strlen(text) : text + len;
	const char *start = NULL;
	const char *p = text;

	while (p < end && words->len < LW_WORDS_MAX) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2)
			break;
		const char *next = g_utf8_next_char(p);
		bool in_word;
		if (g_unichar_isalnum(c)) {
			in_word = true;
		} else if (start && g_unichar_ismark(c)) {
			in_word = true;
		} else if (start && is_apostrophe(c) && next < end) {
			gunichar n = g_utf8_get_char_validated(next, end - next);
			in_word = n != (gunichar)-1 && n != (gunichar)-2 && g_unichar_isalnum(n);
		} else {
			in_word = false;
		}
		if (in_word && !start)
			start = p;
		if (!in_word && start) {
			struct lw_word w = { .offset = (gsize)(start - text), .length = (gsize)(p - start) };
			w.fold = lw_word_fold(start, p - start);
			w.base_len = lw_word_base_len(w.fold);
			g_array_append_val(words, w);
			start = NULL;
		}
		p = next;
	}
	if (start && words->len < LW_WORDS_MAX) {
		struct lw_word w = { .offset = (gsize)(start - text), .length = (gsize)(p - start) };
		w.fold = lw_word_fold(start, p - start);
		w.base_len = lw_word_base_len(w.fold);
		g_array_append_val(words, w);
	}
	return words;
}

/* Letters that NFD leaves alone but readers treat as accented. */
static const char *spell_out(gunichar c)
{
	switch (c) {
	case 0x0142: return "l";   /* ł */
	case 0x00F8: return "o";   /* ø */
	case 0x0111: return "d";   /* đ */
	case 0x0127: return "h";   /* ħ */
	case 0x0131: return "i";   /* ı */
	case 0x00E6: return "ae";  /* æ */
	case 0x0153: return "oe";  /* œ */
	case 0x00FE: return "th";  /* þ */
	case 0x00F0: return "d";   /* ð */
	default: return NULL;
	}
}

char *lw_word_fold(const char *word, gssize len)
{
	gsize n = len < 0 ? strlen(word) : (gsize)len;
	bool ascii = true;
	for (gsize i = 0; i < n && ascii; i++)
		ascii = !((unsigned char)word[i] & 0x80);
	if (ascii)
		return g_ascii_strdown(word, (gssize)n);

	g_autofree char *cf = g_utf8_casefold(word, (gssize)n);
	g_autofree char *nfd = g_utf8_normalize(cf, -1, G_NORMALIZE_NFD);
	if (!nfd)
		return g_steal_pointer(&cf);
	GString *out = g_string_sized_new(strlen(nfd));
	for (const char *p = nfd; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		const char *s;
		if (g_unichar_ismark(c))
			continue;
		if (is_apostrophe(c))
			g_string_append_c(out, '\'');
		else if ((s = spell_out(c)))
			g_string_append(out, s);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

gsize lw_word_base_len(const char *fold)
{
	gsize n = strlen(fold);
	if (n > 2 && fold[n - 2] == '\'' && fold[n - 1] == 's')
		return n - 2;
	while (n > 1 && fold[n - 1] == '\'')
		n--;
	return n;
}

/* Nouns whose plural is in -ves (leaf, leaves; knife, knives): only
 * these, since most words in -f take -s (chief, chiefs) and "believes" is
 * no plural of "belief". */
static const char *const ves_nouns[] = {
	"calf", "elf", "half", "hoof", "knife", "leaf", "life", "loaf", "scarf", "self",
	"sheaf", "shelf", "thief", "wharf", "wife", "wolf", "dwarf",
};

/* Irregular plurals, both ways; words in -man/-men are a rule below. */
static const char *const irregular[][2] = {
	{ "child", "children" }, { "person", "people" }, { "foot", "feet" },
	{ "tooth", "teeth" }, { "mouse", "mice" }, { "goose", "geese" },
};

static bool is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static bool ends(const char *w, gsize n, const char *suffix, gsize *stem)
{
	gsize l = strlen(suffix);
	if (n <= l || memcmp(w + n - l, suffix, l) != 0)
		return false;
	*stem = n - l;
	return true;
}

static bool ves_noun(const char *w, gsize stem, const char *tail)
{
	/* the singular w[0, stem) + tail is one, or a compound ending in one
	 * (bookshelf, midwife) */
	gsize tl = strlen(tail), cl = stem + tl;
	for (gsize i = 0; i < G_N_ELEMENTS(ves_nouns); i++) {
		const char *v = ves_nouns[i];
		gsize vl = strlen(v);
		if (vl < tl || cl < vl || strcmp(v + vl - tl, tail) != 0)
			continue;
		if (!memcmp(w + cl - vl, v, vl - tl))
			return true;
	}
	return false;
}

static void add_stem(struct lw_word_stem *out, guint *n, gsize len, const char *tail)
{
	if (*n < LW_WORD_STEMS_MAX)
		out[(*n)++] = (struct lw_word_stem){ len, tail };
}

guint lw_word_stems(const char *b, gsize n, struct lw_word_stem out[LW_WORD_STEMS_MAX])
{
	guint k = 0;
	gsize st;
	add_stem(out, &k, n, "");
	if (n > 1 && b[n - 1] == 's')
		add_stem(out, &k, n - 1, "");
	if (n > 2 && b[n - 1] == 's' && b[n - 2] == 'e')
		add_stem(out, &k, n - 2, "");
	/* casualties, casualty; allies, ally; not days (day + s) */
	if (ends(b, n, "ies", &st) && st >= 2 && !is_vowel(b[st - 1]))
		add_stem(out, &k, st, "y");
	else if (ends(b, n, "y", &st) && st >= 2 && !is_vowel(b[st - 1]))
		add_stem(out, &k, st, "ies");
	/* wolves, wolf; knives, knife */
	if (ends(b, n, "ves", &st)) {
		if (ves_noun(b, st, "f"))
			add_stem(out, &k, st, "f");
		if (ves_noun(b, st, "fe"))
			add_stem(out, &k, st, "fe");
	} else if ((ends(b, n, "fe", &st) && ves_noun(b, st, "fe")) ||
	           (ends(b, n, "f", &st) && ves_noun(b, st, "f"))) {
		add_stem(out, &k, st, "ves");
	}
	/* men, man; policemen, policeman; women, woman */
	if (ends(b, n, "men", &st))
		add_stem(out, &k, st, "man");
	else if (ends(b, n, "man", &st))
		add_stem(out, &k, st, "men");
	for (gsize i = 0; i < G_N_ELEMENTS(irregular); i++) {
		for (int way = 0; way < 2; way++) {
			const char *from = irregular[i][way], *to = irregular[i][!way];
			if (strlen(from) == n && !memcmp(b, from, n))
				add_stem(out, &k, 0, to);
		}
	}
	return k;
}

bool lw_word_match(const char *text_base, gsize text_len, const char *query_base,
                   gsize query_len)
{
	struct lw_word_stem st[LW_WORD_STEMS_MAX];
	guint n = lw_word_stems(text_base, text_len, st);
	for (guint i = 0; i < n; i++) {
		gsize tl = strlen(st[i].tail);
		if (st[i].len + tl == query_len && !memcmp(text_base, query_base, st[i].len) &&
		    !memcmp(query_base + st[i].len, st[i].tail, tl))
			return true;
	}
	return false;
}

bool lw_word_match_prefix(const char *text_fold, const char *prefix_fold)
{
	return g_str_has_prefix(text_fold, prefix_fold);
}

guint lw_word_distance(const gunichar *a, glong alen, const gunichar *b, glong blen,
                       guint limit)
{
	glong diff = alen > blen ? alen - blen : blen - alen;
	if ((gulong)diff > limit)
		return limit + 1;
	/* Three rows of the optimal-string-alignment table. */
	guint *prev2 = g_new(guint, blen + 1);
	guint *prev = g_new(guint, blen + 1);
	guint *cur = g_new(guint, blen + 1);
	for (glong j = 0; j <= blen; j++)
		prev[j] = (guint)j;
	for (glong i = 1; i <= alen; i++) {
		cur[0] = (guint)i;
		guint row_min = cur[0];
		for (glong j = 1; j <= blen; j++) {
			guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
			guint v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
			if (v < row_min)
				row_min = v;
		}
		guint *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
		if (row_min > limit) {
			prev[blen] = limit + 1;
			break;
		}
	}
	guint d = prev[blen] > limit ? limit + 1 : prev[blen];
	g_free(prev2);
	g_free(prev);
	g_free(cur);
	return d;
}

static bool typo_one(const char *s, gsize len, const gunichar *q, glong qlen)
{
	glong n = 0;
	gunichar *u = g_utf8_to_ucs4_fast(s, (glong)len, &n);
	bool ok = lw_word_distance(u, n, q, qlen, 1) <= 1;
	g_free(u);
	return ok;
}

bool lw_word_match_typo(const char *text_base, gsize text_len, const gunichar *query,
                        glong qlen)
{
	/* Cheap reject: a code point is 1-4 bytes, and the lengths differ by
	 * at most one code point plus a plural ending. */
	if (text_len + 1 < (gsize)qlen || text_len > ((gsize)qlen + 3) * 4)
		return false;
	if (typo_one(text_base, text_len, query, qlen))
		return true;
	if (text_len > 1 && text_base[text_len - 1] == 's' &&
	    typo_one(text_base, text_len - 1, query, qlen))
		return true;
	if (text_len > 2 && text_base[text_len - 1] == 's' && text_base[text_len - 2] == 'e' &&
	    typo_one(text_base, text_len - 2, query, qlen))
		return true;
	return false;
}
