/* What a query needs for a document to match it, for the rule index
 * (query.h lw_query_needs). */
#include "query-private.h"

#include <string.h>

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
