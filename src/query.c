/* Queries: the lexer and recursive-descent parser, the tree, and its
 * canonical form (query.h).  Evaluation is query-eval.c; the terms a
 * query needs, for the rule index, query-needs.c. */
#include "query-private.h"
#include "caps.h"
#include "error.h"
#include "words.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
		if (v > LW_QUERY_NEAR_MAX) {
			fail(ps->error, s, start, "NEAR distance above %d", LW_QUERY_NEAR_MAX);
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

/* A phrase node of words (struct lw_word, from lw_words_split), taking
 * their folded forms. */
static struct node *phrase_of(GArray *words)
{
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
		return phrase_of(words);
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
	struct node *ph = phrase_of(words);
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
		if (++ps->depth > LW_QUERY_MAX_DEPTH) {
			fail(ps->error, ps->src, t->pos, "nested deeper than %d", LW_QUERY_MAX_DEPTH);
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
		if (++ps->depth > LW_QUERY_MAX_DEPTH) {
			fail(ps->error, ps->src, t->pos, "nested deeper than %d", LW_QUERY_MAX_DEPTH);
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
	if (++ps->depth > LW_QUERY_MAX_DEPTH) {
		fail(ps->error, ps->src, t->pos, "nested deeper than %d", LW_QUERY_MAX_DEPTH);
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
	if (len > LW_QUERY_MAX_BYTES) {
		g_set_error(error, LW_ERROR, LW_ERROR_QUERY, "column 1: query longer than %d bytes",
		            LW_QUERY_MAX_BYTES);
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
