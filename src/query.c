#include "query.h"
#include "error.h"
#include "words.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_MAX_BYTES 4096
#define QUERY_MAX_DEPTH 64
#define NEAR_MAX 1000
/* Hits one atom may record in one field: enough for any snippet. */
#define HITS_PER_ATOM 1000

enum field_bit { F_TITLE = 1, F_BODY = 2, F_ALL = 3 };
static const char *const field_names[] = { "title", "body" };

enum kind { N_WORD, N_PREFIX, N_TYPO, N_PHRASE, N_REGEX, N_AND, N_OR, N_NOT, N_NEAR, N_FIELD };

struct qword {
	char *fold;
	gsize base_len;
};

struct node {
	enum kind kind;
	struct qword w;        /* WORD, PREFIX, TYPO */
	gunichar *ucs;         /* TYPO: base as code points */
	glong ucs_len;
	GArray *phrase;        /* PHRASE: struct qword */
	GRegex *re;            /* REGEX */
	char *re_src;
	GPtrArray *kids;       /* AND, OR: n; NOT, FIELD: 1; NEAR: 2 */
	guint near;
	unsigned fields;       /* FIELD */
};

struct lw_query {
	struct node *root;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	g_free(n->w.fold);
	g_free(n->ucs);
	if (n->phrase)
		g_array_unref(n->phrase);
	if (n->re)
		g_regex_unref(n->re);
	g_free(n->re_src);
	if (n->kids)
		g_ptr_array_unref(n->kids);
	g_free(n);
}

static struct node *node_new(enum kind k)
{
	struct node *n = g_new0(struct node, 1);
	n->kind = k;
	if (k == N_AND || k == N_OR || k == N_NOT || k == N_NEAR || k == N_FIELD)
		n->kids = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
	return n;
}

static void qword_clear(gpointer p)
{
	g_free(((struct qword *)p)->fold);
}

/* ---- lexer ---- */

enum tok_kind {
	T_END, T_LPAREN, T_RPAREN, T_WORD, T_PHRASE, T_REGEX,
	T_AND, T_OR, T_NOT, T_MINUS, T_NEAR, T_FIELD,
};

struct tok {
	enum tok_kind kind;
	gsize pos;         /* byte offset in the query */
	char *text;        /* WORD, PHRASE, REGEX: the inside; others: as written */
	guint near;
	unsigned field;
};

struct parser {
	const char *src;
	GArray *toks;      /* struct tok */
	guint i;
	int depth;
	GError **error;
};

static void tok_clear(gpointer p)
{
	g_free(((struct tok *)p)->text);
}

static int column(const char *src, gsize pos)
{
	return (int)g_utf8_strlen(src, (gssize)pos) + 1;
}

static void G_GNUC_PRINTF(4, 5) fail(GError **error, const char *src, gsize pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, LW_ERROR, LW_ERROR_QUERY, "column %d: %s", column(src, pos), msg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Characters that end a bare word. */
static bool is_stop(char c)
{
	return c == '\0' || is_space(c) || c == '(' || c == ')' || c == '"';
}

static void push(GArray *toks, enum tok_kind k, gsize pos, char *text)
{
	struct tok t = { .kind = k, .pos = pos, .text = text };
	g_array_append_val(toks, t);
}

static int lex_bare(struct parser *ps, gsize *ppos)
{
	const char *s = ps->src;
	gsize start = *ppos, p = start;

	/* title: / body: directly in front of a term */
	while (!is_stop(s[p]) && s[p] != ':')
		p++;
	if (s[p] == ':') {
		gsize n = p - start;
		unsigned field = 0;
		if (n == 5 && g_ascii_strncasecmp(s + start, "title", 5) == 0)
			field = F_TITLE;
		else if (n == 4 && g_ascii_strncasecmp(s + start, "body", 4) == 0)
			field = F_BODY;
		if (field) {
			if (is_space(s[p + 1]) || s[p + 1] == '\0' || s[p + 1] == ')') {
				fail(ps->error, s, start, "expected a term right after '%.*s:'",
				     (int)n, s + start);
				return -1;
			}
			struct tok t = { .kind = T_FIELD, .pos = start, .field = field,
			                 .text = g_strndup(s + start, n + 1) };
			g_array_append_val(ps->toks, t);
			*ppos = p + 1;
			return 0;
		}
	}
	while (!is_stop(s[p]))
		p++;
	gsize n = p - start;
	char *text = g_strndup(s + start, n);
	*ppos = p;

	if (strcmp(text, "AND") == 0) {
		push(ps->toks, T_AND, start, text);
	} else if (strcmp(text, "OR") == 0) {
		push(ps->toks, T_OR, start, text);
	} else if (strcmp(text, "NOT") == 0) {
		push(ps->toks, T_NOT, start, text);
	} else if (strcmp(text, "NEAR") == 0 || g_str_has_prefix(text, "NEAR/")) {
		const char *d = text + 4;
		char *end = NULL;
		unsigned long v = 0;
		if (*d == '/' && g_ascii_isdigit(d[1]))
			v = strtoul(d + 1, &end, 10);
		if (!end || *end) {
			fail(ps->error, s, start, "NEAR needs a distance, as in NEAR/5");
			g_free(text);
			return -1;
		}
		if (v > NEAR_MAX) {
			fail(ps->error, s, start, "NEAR distance above %d", NEAR_MAX);
			g_free(text);
			return -1;
		}
		struct tok t = { .kind = T_NEAR, .pos = start, .text = text, .near = (guint)v };
		g_array_append_val(ps->toks, t);
	} else {
		push(ps->toks, T_WORD, start, text);
	}
	return 0;
}

static int lex(struct parser *ps)
{
	const char *s = ps->src;
	gsize p = 0;
	for (;;) {
		while (is_space(s[p]))
			p++;
		char c = s[p];
		if (!c)
			break;
		if (c == '(' || c == ')') {
			push(ps->toks, c == '(' ? T_LPAREN : T_RPAREN, p, g_strndup(s + p, 1));
			p++;
		} else if (c == '"') {
			const char *close = strchr(s + p + 1, '"');
			if (!close) {
				fail(ps->error, s, p, "unterminated phrase");
				return -1;
			}
			push(ps->toks, T_PHRASE, p, g_strndup(s + p + 1, (gsize)(close - s) - p - 1));
			p = (gsize)(close - s) + 1;
		} else if (c == '/') {
			gsize q = p + 1;
			while (s[q] && s[q] != '/') {
				if (s[q] == '\\' && s[q + 1])
					q++;
				q++;
			}
			if (!s[q]) {
				fail(ps->error, s, p, "unterminated regex");
				return -1;
			}
			if (!is_stop(s[q + 1])) {
				fail(ps->error, s, q + 1, "expected a space after the regex");
				return -1;
			}
			push(ps->toks, T_REGEX, p, g_strndup(s + p + 1, q - p - 1));
			p = q + 1;
		} else if (c == '-' && s[p + 1] && !is_space(s[p + 1]) && s[p + 1] != ')') {
			push(ps->toks, T_MINUS, p, g_strdup("-"));
			p++;
		} else if (c == '-') {
			fail(ps->error, s, p, "'-' must be directly followed by a term");
			return -1;
		} else if (lex_bare(ps, &p) < 0) {
			return -1;
		}
	}
	push(ps->toks, T_END, p, NULL);
	return 0;
}

/* ---- parser ---- */

static struct tok *peek(struct parser *ps)
{
	return &g_array_index(ps->toks, struct tok, ps->i);
}

static struct node *parse_or(struct parser *ps);

static bool starts_term(enum tok_kind k)
{
	return k == T_LPAREN || k == T_WORD || k == T_PHRASE || k == T_REGEX || k == T_NOT ||
	       k == T_MINUS || k == T_FIELD;
}

/* Can the node be true only through something present in the text? */
static bool positive(const struct node *n)
{
	switch (n->kind) {
	case N_NOT:
		return false;
	case N_AND:
		for (guint i = 0; i < n->kids->len; i++)
			if (positive(n->kids->pdata[i]))
				return true;
		return false;
	case N_OR:
		for (guint i = 0; i < n->kids->len; i++)
			if (!positive(n->kids->pdata[i]))
				return false;
		return true;
	case N_FIELD:
		return positive(n->kids->pdata[0]);
	default:
		return true;
	}
}

static struct node *word_atom(struct parser *ps, const struct tok *t)
{
	const char *s = t->text;
	gsize n = strlen(s);
	enum kind k = N_WORD;
	if (n > 0 && (s[n - 1] == '*' || s[n - 1] == '~')) {
		k = s[n - 1] == '*' ? N_PREFIX : N_TYPO;
		n--;
	}
	if (memchr(s, '*', n) || memchr(s, '~', n)) {
		fail(ps->error, ps->src, t->pos, "'*' and '~' go only at the end of a word: '%s'", s);
		return NULL;
	}
	g_autoptr(GArray) words = lw_words_split(s, (gssize)n);
	if (words->len == 0) {
		fail(ps->error, ps->src, t->pos, "'%s' has no letters or digits", s);
		return NULL;
	}
	if (words->len > 1) {
		if (k != N_WORD) {
			fail(ps->error, ps->src, t->pos, "'%s': '%c' needs a single word", s, s[n]);
			return NULL;
		}
		/* "F-16" or "U.S." as written: the words in a row. */
		struct node *ph = node_new(N_PHRASE);
		ph->phrase = g_array_new(FALSE, FALSE, sizeof(struct qword));
		g_array_set_clear_func(ph->phrase, qword_clear);
		for (guint i = 0; i < words->len; i++) {
			struct lw_word *w = &g_array_index(words, struct lw_word, i);
			struct qword q = { .fold = g_steal_pointer(&w->fold), .base_len = w->base_len };
			g_array_append_val(ph->phrase, q);
		}
		return ph;
	}
	struct lw_word *w = &g_array_index(words, struct lw_word, 0);
	struct node *a = node_new(k);
	a->w.fold = g_steal_pointer(&w->fold);
	a->w.base_len = k == N_PREFIX ? strlen(a->w.fold) : w->base_len;
	if (k == N_TYPO) {
		a->ucs = g_utf8_to_ucs4_fast(a->w.fold, (glong)a->w.base_len, &a->ucs_len);
		if (a->ucs_len < 4) {
			fail(ps->error, ps->src, t->pos,
			     "'%s': typo matching needs a word of at least 4 letters", s);
			node_free(a);
			return NULL;
		}
	}
	return a;
}

static struct node *phrase_atom(struct parser *ps, const struct tok *t)
{
	GArray *words = lw_words_split(t->text, -1);
	if (words->len == 0) {
		fail(ps->error, ps->src, t->pos, "empty phrase");
		g_array_unref(words);
		return NULL;
	}
	struct node *ph = node_new(N_PHRASE);
	ph->phrase = g_array_new(FALSE, FALSE, sizeof(struct qword));
	g_array_set_clear_func(ph->phrase, qword_clear);
	for (guint i = 0; i < words->len; i++) {
		struct lw_word *w = &g_array_index(words, struct lw_word, i);
		struct qword q = { .fold = g_steal_pointer(&w->fold), .base_len = w->base_len };
		g_array_append_val(ph->phrase, q);
	}
	g_array_unref(words);
	return ph;
}

static struct node *regex_atom(struct parser *ps, const struct tok *t)
{
	if (!*t->text) {
		fail(ps->error, ps->src, t->pos, "empty regex");
		return NULL;
	}
	GError *err = NULL;
	GRegex *re = g_regex_new(t->text, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &err);
	if (!re) {
		fail(ps->error, ps->src, t->pos, "bad regex: %s", err->message);
		g_error_free(err);
		return NULL;
	}
	struct node *n = node_new(N_REGEX);
	n->re = re;
	n->re_src = g_strdup(t->text);
	return n;
}

/* A term was expected at the current token but there is none. */
static void missing_term(struct parser *ps)
{
	const struct tok *t = peek(ps);
	const struct tok *prev = ps->i > 0 ? &g_array_index(ps->toks, struct tok, ps->i - 1) : NULL;
	if (prev && prev->kind == T_LPAREN && t->kind == T_RPAREN)
		fail(ps->error, ps->src, prev->pos, "empty parentheses");
	else if (prev && (prev->kind == T_AND || prev->kind == T_OR || prev->kind == T_NOT ||
	                  prev->kind == T_NEAR || prev->kind == T_MINUS))
		fail(ps->error, ps->src, prev->pos, "'%s' without a term after it", prev->text);
	else if (t->kind == T_AND || t->kind == T_OR || t->kind == T_NEAR)
		fail(ps->error, ps->src, t->pos, "'%s' without a term before it", t->text);
	else if (t->kind == T_RPAREN)
		fail(ps->error, ps->src, t->pos, "unexpected ')'");
	else
		fail(ps->error, ps->src, t->pos, "expected a term");
}

static struct node *parse_primary(struct parser *ps)
{
	struct tok *t = peek(ps);
	switch (t->kind) {
	case T_LPAREN: {
		if (++ps->depth > QUERY_MAX_DEPTH) {
			fail(ps->error, ps->src, t->pos, "nested deeper than %d", QUERY_MAX_DEPTH);
			return NULL;
		}
		ps->i++;
		if (peek(ps)->kind == T_RPAREN) {
			missing_term(ps);
			return NULL;
		}
		struct node *n = parse_or(ps);
		if (!n)
			return NULL;
		if (peek(ps)->kind != T_RPAREN) {
			fail(ps->error, ps->src, peek(ps)->pos, "expected ')'");
			node_free(n);
			return NULL;
		}
		ps->i++;
		ps->depth--;
		return n;
	}
	case T_FIELD: {
		if (++ps->depth > QUERY_MAX_DEPTH) {
			fail(ps->error, ps->src, t->pos, "nested deeper than %d", QUERY_MAX_DEPTH);
			return NULL;
		}
		ps->i++;
		enum tok_kind next = peek(ps)->kind;
		if (next != T_LPAREN && next != T_WORD && next != T_PHRASE && next != T_REGEX) {
			fail(ps->error, ps->src, t->pos, "'%s' must be followed by a word, phrase, regex or '('",
			     t->text);
			return NULL;
		}
		struct node *kid = parse_primary(ps);
		if (!kid)
			return NULL;
		ps->depth--;
		struct node *f = node_new(N_FIELD);
		f->fields = t->field;
		g_ptr_array_add(f->kids, kid);
		return f;
	}
	case T_WORD:
		ps->i++;
		return word_atom(ps, t);
	case T_PHRASE:
		ps->i++;
		return phrase_atom(ps, t);
	case T_REGEX:
		ps->i++;
		return regex_atom(ps, t);
	default:
		missing_term(ps);
		return NULL;
	}
}

static struct node *parse_unary(struct parser *ps)
{
	struct tok *t = peek(ps);
	if (t->kind != T_NOT && t->kind != T_MINUS)
		return parse_primary(ps);
	if (++ps->depth > QUERY_MAX_DEPTH) {
		fail(ps->error, ps->src, t->pos, "nested deeper than %d", QUERY_MAX_DEPTH);
		return NULL;
	}
	ps->i++;
	struct node *kid = parse_unary(ps);
	if (!kid)
		return NULL;
	ps->depth--;
	struct node *n = node_new(N_NOT);
	g_ptr_array_add(n->kids, kid);
	return n;
}

static struct node *parse_near(struct parser *ps)
{
	struct node *left = parse_unary(ps);
	while (left && peek(ps)->kind == T_NEAR) {
		struct tok *op = peek(ps);
		ps->i++;
		struct node *right = parse_unary(ps);
		if (!right) {
			node_free(left);
			return NULL;
		}
		struct node *n = node_new(N_NEAR);
		n->near = op->near;
		g_ptr_array_add(n->kids, left);
		g_ptr_array_add(n->kids, right);
		left = n;
		if (!positive(n->kids->pdata[0]) || !positive(n->kids->pdata[1])) {
			fail(ps->error, ps->src, op->pos, "'%s' needs a positive term on each side", op->text);
			node_free(left);
			return NULL;
		}
	}
	return left;
}

/* Appends right to left's children when left is already that operator. */
static struct node *join(enum kind k, struct node *left, struct node *right)
{
	struct node *n = left;
	if (left->kind != k) {
		n = node_new(k);
		g_ptr_array_add(n->kids, left);
	}
	if (right->kind == k) {
		for (guint i = 0; i < right->kids->len; i++)
			g_ptr_array_add(n->kids, g_steal_pointer(&right->kids->pdata[i]));
		g_ptr_array_set_size(right->kids, 0);
		node_free(right);
	} else {
		g_ptr_array_add(n->kids, right);
	}
	return n;
}

static struct node *parse_and(struct parser *ps)
{
	struct node *left = parse_near(ps);
	while (left) {
		enum tok_kind k = peek(ps)->kind;
		if (k == T_AND)
			ps->i++;
		else if (!starts_term(k))
			break;
		struct node *right = parse_near(ps);
		if (!right) {
			node_free(left);
			return NULL;
		}
		left = join(N_AND, left, right);
	}
	return left;
}

static struct node *parse_or(struct parser *ps)
{
	struct node *left = parse_and(ps);
	while (left && peek(ps)->kind == T_OR) {
		ps->i++;
		struct node *right = parse_and(ps);
		if (!right) {
			node_free(left);
			return NULL;
		}
		left = join(N_OR, left, right);
	}
	return left;
}

struct lw_query *lw_query_parse(const char *text, GError **error)
{
	if (!text)
		text = "";
	gsize len = strlen(text);
	if (len > QUERY_MAX_BYTES) {
		g_set_error(error, LW_ERROR, LW_ERROR_QUERY, "column 1: query longer than %d bytes",
		            QUERY_MAX_BYTES);
		return NULL;
	}
	const char *bad;
	if (!g_utf8_validate(text, (gssize)len, &bad)) {
		g_set_error(error, LW_ERROR, LW_ERROR_QUERY, "column %d: not valid UTF-8",
		            column(text, (gsize)(bad - text)));
		return NULL;
	}

	struct parser ps = { .src = text, .toks = g_array_new(FALSE, FALSE, sizeof(struct tok)),
	                     .error = error };
	g_array_set_clear_func(ps.toks, tok_clear);
	struct node *root = NULL;
	if (lex(&ps) < 0)
		goto out;
	if (peek(&ps)->kind == T_END) {
		g_set_error(error, LW_ERROR, LW_ERROR_QUERY, "column 1: empty query");
		goto out;
	}
	root = parse_or(&ps);
	if (!root)
		goto out;
	if (peek(&ps)->kind != T_END) {
		/* only ')' can stop parse_or early */
		fail(error, text, peek(&ps)->pos, "unexpected ')'");
		goto err;
	}
	if (!positive(root)) {
		g_set_error(error, LW_ERROR, LW_ERROR_QUERY,
		            "column 1: query matches only by absence; add a word it must contain");
		goto err;
	}
	goto out;
err:
	node_free(root);
	root = NULL;
out:
	g_array_unref(ps.toks);
	if (!root)
		return NULL;
	struct lw_query *q = g_new0(struct lw_query, 1);
	q->root = root;
	return q;
}

void lw_query_free(struct lw_query *q)
{
	if (!q)
		return;
	node_free(q->root);
	g_free(q);
}

/* ---- canonical form ---- */

static void render(GString *out, const struct node *n)
{
	switch (n->kind) {
	case N_WORD:
		g_string_append_printf(out, "\"%s\"", n->w.fold);
		return;
	case N_PREFIX:
		g_string_append_printf(out, "\"%s\"*", n->w.fold);
		return;
	case N_TYPO:
		g_string_append_printf(out, "\"%s\"~", n->w.fold);
		return;
	case N_PHRASE:
		g_string_append(out, "(PHRASE");
		for (guint i = 0; i < n->phrase->len; i++)
			g_string_append_printf(out, " \"%s\"", g_array_index(n->phrase, struct qword, i).fold);
		g_string_append_c(out, ')');
		return;
	case N_REGEX:
		g_string_append_printf(out, "/%s/", n->re_src);
		return;
	case N_AND:
		g_string_append(out, "(AND");
		break;
	case N_OR:
		g_string_append(out, "(OR");
		break;
	case N_NOT:
		g_string_append(out, "(NOT");
		break;
	case N_NEAR:
		g_string_append_printf(out, "(NEAR/%u", n->near);
		break;
	case N_FIELD:
		g_string_append_printf(out, "(%s", n->fields == F_TITLE ? "title" : "body");
		break;
	}
	for (guint i = 0; i < n->kids->len; i++) {
		g_string_append_c(out, ' ');
		render(out, n->kids->pdata[i]);
	}
	g_string_append_c(out, ')');
}

char *lw_query_to_string(const struct lw_query *q)
{
	GString *out = g_string_new(NULL);
	if (q)
		render(out, q->root);
	return g_string_free(out, FALSE);
}

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

/* ---- what a query needs (for rindex.c) ---- */

/* A guess at how many rules a term makes candidates for a document:
 * short words and prefixes are common, typos cost more to probe. */
static guint term_cost(enum lw_query_term_kind k, gsize len)
{
	switch (k) {
	case LW_QUERY_TERM_WORD:
		return len >= 3 ? 2 : 8;
	case LW_QUERY_TERM_PREFIX:
		return len >= 4 ? 3 : 16;
	case LW_QUERY_TERM_PAIR:
		return 1;
	case LW_QUERY_TERM_TYPO:
	default:
		return 4;
	}
}

static void add_term(GArray *terms, guint *cost, enum lw_query_term_kind k, const char *fold,
                     gsize len)
{
	struct lw_query_term t = { .kind = k, .fold = fold, .len = len };
	g_array_append_val(terms, t);
	*cost += term_cost(k, len);
}

/* Appends n's terms to terms and adds their cost; false when n can be
 * true with no term present (terms is then left as it was). */
static bool needs(const struct node *n, GArray *terms, guint *cost)
{
	guint saved = terms->len;
	switch (n->kind) {
	case N_WORD:
		add_term(terms, cost, LW_QUERY_TERM_WORD, n->w.fold, n->w.base_len);
		return true;
	case N_PREFIX:
		add_term(terms, cost, LW_QUERY_TERM_PREFIX, n->w.fold, n->w.base_len);
		return true;
	case N_TYPO:
		add_term(terms, cost, LW_QUERY_TERM_TYPO, n->w.fold, n->w.base_len);
		return true;
	case N_PHRASE: {
		/* every pair of neighbours in a phrase must be there: the longest
		 * is the rarest ("47th brigade" is, "brigade" is not) */
		const GArray *ph = n->phrase;
		const struct qword *w0 = &g_array_index(ph, struct qword, 0);
		if (ph->len == 1) {
			add_term(terms, cost, LW_QUERY_TERM_WORD, w0->fold, w0->base_len);
			return true;
		}
		guint best = 0;
		gsize best_len = 0;
		for (guint i = 0; i + 1 < ph->len; i++) {
			gsize l = g_array_index(ph, struct qword, i).base_len +
			          g_array_index(ph, struct qword, i + 1).base_len;
			if (l > best_len) {
				best = i;
				best_len = l;
			}
		}
		const struct qword *a = &g_array_index(ph, struct qword, best);
		const struct qword *b = &g_array_index(ph, struct qword, best + 1);
		struct lw_query_term t = { .kind = LW_QUERY_TERM_PAIR, .fold = a->fold,
		                           .len = a->base_len, .fold2 = b->fold, .len2 = b->base_len };
		g_array_append_val(terms, t);
		*cost += term_cost(LW_QUERY_TERM_PAIR, best_len);
		return true;
	}
	case N_REGEX:
	case N_NOT:
		return false;
	case N_FIELD:
		return needs(n->kids->pdata[0], terms, cost);
	case N_OR:
		for (guint i = 0; i < n->kids->len; i++) {
			if (!needs(n->kids->pdata[i], terms, cost)) {
				g_array_set_size(terms, saved);
				return false;
			}
		}
		return true;
	case N_AND:
	case N_NEAR: {
		/* every side must match: any one side's terms will do */
		g_autoptr(GArray) best = NULL;
		guint best_cost = 0;
		for (guint i = 0; i < n->kids->len; i++) {
			GArray *t = g_array_new(FALSE, FALSE, sizeof(struct lw_query_term));
			guint c = 0;
			if (needs(n->kids->pdata[i], t, &c) && (!best || c < best_cost)) {
				if (best)
					g_array_unref(best);
				best = t;
				best_cost = c;
			} else {
				g_array_unref(t);
			}
		}
		if (!best)
			return false;
		g_array_append_vals(terms, best->data, best->len);
		*cost += best_cost;
		return true;
	}
	}
	return false;
}

bool lw_query_needs(const struct lw_query *q, GArray *terms)
{
	g_array_set_size(terms, 0);
	guint cost = 0;
	return q && needs(q->root, terms, &cost);
}
