/* The word diff between two versions of an entry (wdiff.h). */
#include "wdiff.h"

#include <string.h>

struct token {
	gsize ws;      /* where the whitespace before the word starts */
	gsize start;
	gsize len;
	guint hash;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Cuts text into words; stops (returning false) past LW_WDIFF_MAX_WORDS. */
static bool tokenize(const char *text, gsize len, GArray *out)
{
	gsize i = 0, prev_end = 0;
	while (i < len) {
		while (i < len && is_space(text[i]))
			i++;
		if (i == len)
			break;
		if (out->len >= LW_WDIFF_MAX_WORDS)
			return false;
		struct token t = { .ws = prev_end, .start = i, .hash = 5381 };
		while (i < len && !is_space(text[i]))
			t.hash = t.hash * 33 + (guchar)text[i++];
		t.len = i - t.start;
		prev_end = i;
		g_array_append_val(out, t);
	}
	return true;
}

static bool tok_eq(const struct token *a, const char *at, const struct token *b, const char *bt)
{
	return a->hash == b->hash && a->len == b->len && !memcmp(at + a->start, bt + b->start, a->len);
}

/* Myers' O((N+M)D) diff of a[0..n) against b[0..m), marking del[] and
 * ins[]; false when more than LW_WDIFF_MAX_EDITS edits are needed. */
static bool myers(const struct token *a, const char *at, gsize n, const struct token *b,
                  const char *bt, gsize m, bool *del, bool *ins)
{
	const glong max = MIN((glong)(n + m), LW_WDIFF_MAX_EDITS);
	const glong off = max + 1;
	g_autofree glong *v = g_new0(glong, 2 * (gsize)max + 3);
	g_autoptr(GPtrArray) trace = g_ptr_array_new_with_free_func(g_free);
	glong found = -1;

	v[off + 1] = 0;
	for (glong d = 0; d <= max && found < 0; d++) {
		for (glong k = -d; k <= d; k += 2) {
			glong x;
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			glong y = x - k;
			while (x < (glong)n && y < (glong)m && tok_eq(&a[x], at, &b[y], bt))
				x++, y++;
			v[off + k] = x;
			if (x >= (glong)n && y >= (glong)m) {
				found = d;
				break;
			}
		}
		/* v for k in -d..d after step d */
		g_ptr_array_add(trace, g_memdup2(v + off - d, sizeof(glong) * (gsize)(2 * d + 1)));
	}
	if (found < 0)
		return false;
	glong x = (glong)n, y = (glong)m;
	for (glong d = found; d > 0; d--) {
		const glong *pv = trace->pdata[d - 1];  /* k in -(d-1)..d-1 at index k + d - 1 */
		glong k = x - y, pk;
		if (k == -d || (k != d && pv[k - 1 + d - 1] < pv[k + 1 + d - 1]))
			pk = k + 1;
		else
			pk = k - 1;
		glong px = pv[pk + d - 1], py = px - pk;
		if (pk == k + 1)
			ins[py] = true;    /* down: b[py] inserted, then the snake */
		else
			del[px] = true;    /* right: a[px] deleted */
		x = px;
		y = py;
	}
	return true;
}

static void add_span(GArray *spans, enum lw_wdiff_op op, const char *text, gsize len)
{
	if (len == 0)
		return;
	if (spans->len > 0) {
		struct lw_wdiff_span *last = &g_array_index(spans, struct lw_wdiff_span, spans->len - 1);
		if (last->op == op && last->text + last->len == text) {
			last->len += len;
			return;
		}
	}
	struct lw_wdiff_span s = { op, text, len };
	g_array_append_val(spans, s);
}

struct lw_wdiff *lw_wdiff_compute(const char *old, gsize old_len, const char *new_text,
                                  gsize new_len)
{
	struct lw_wdiff *d = g_new0(struct lw_wdiff, 1);
	d->spans = g_array_new(FALSE, FALSE, sizeof(struct lw_wdiff_span));
	g_autoptr(GArray) ta = g_array_new(FALSE, FALSE, sizeof(struct token));
	g_autoptr(GArray) tb = g_array_new(FALSE, FALSE, sizeof(struct token));
	g_autofree bool *del = NULL, *ins = NULL;

	if (!tokenize(old, old_len, ta) || !tokenize(new_text, new_len, tb))
		goto whole;
	const struct token *a = (const struct token *)(void *)ta->data;
	const struct token *b = (const struct token *)(void *)tb->data;
	gsize n = ta->len, m = tb->len, pre = 0, suf = 0;
	while (pre < n && pre < m && tok_eq(&a[pre], old, &b[pre], new_text))
		pre++;
	while (suf < n - pre && suf < m - pre &&
	       tok_eq(&a[n - 1 - suf], old, &b[m - 1 - suf], new_text))
		suf++;
	del = g_new0(bool, n + 1);
	ins = g_new0(bool, m + 1);
	if (!myers(a + pre, old, n - pre - suf, b + pre, new_text, m - pre - suf, del + pre, ins + pre))
		goto whole;

	gsize i = 0, j = 0, pos = 0;   /* pos: new text emitted up to here */
	while (i < n || j < m) {
		if (i < n && del[i]) {
			gsize i2 = i;
			while (i2 < n && del[i2])
				i2++;
			/* Where the removed words go in the new text's whitespace
			 * [ws, ws_end): inline after it; at the end of the line
			 * when they ended an old line; on lines of their own,
			 * with their old line breaks, when they started one. */
			gsize ws = j < m ? b[j].ws : m ? b[m - 1].start + b[m - 1].len : 0;
			gsize ws_end = j < m ? b[j].start : new_len;
			const char *nl = memchr(new_text + ws, '\n', ws_end - ws);
			gsize del_end = a[i2 - 1].start + a[i2 - 1].len;
			gsize upto = ws_end;
			if (nl && i > 0 && !memchr(old + a[i].ws, '\n', a[i].start - a[i].ws)) {
				upto = (gsize)(nl - new_text);
			} else if (nl) {
				gsize old_ws_end = i2 < n ? a[i2].start : old_len;
				for (gsize k = del_end; k < old_ws_end; k++)
					if (old[k] == '\n')
						del_end = k + 1;
			}
			if (upto > pos) {
				add_span(d->spans, LW_WDIFF_SAME, new_text + pos, upto - pos);
				pos = upto;
			}
			add_span(d->spans, LW_WDIFF_DEL, old + a[i].start, del_end - a[i].start);
			d->removed += (guint)(i2 - i);
			i = i2;
		} else if (j < m && ins[j]) {
			gsize j2 = j;
			while (j2 < m && ins[j2])
				j2++;
			add_span(d->spans, LW_WDIFF_SAME, new_text + pos, b[j].start - pos);
			pos = b[j2 - 1].start + b[j2 - 1].len;
			add_span(d->spans, LW_WDIFF_INS, new_text + b[j].start, pos - b[j].start);
			d->added += (guint)(j2 - j);
			j = j2;
		} else {
			/* a word in both: its text is emitted with the next span */
			i++;
			j++;
		}
	}
	add_span(d->spans, LW_WDIFF_SAME, new_text + pos, new_len - pos);
	return d;

whole:
	g_array_set_size(d->spans, 0);
	d->whole = true;
	d->added = tb->len;
	d->removed = ta->len;
	add_span(d->spans, LW_WDIFF_DEL, old, old_len);
	add_span(d->spans, LW_WDIFF_INS, new_text, new_len);
	return d;
}

void lw_wdiff_free(struct lw_wdiff *d)
{
	if (!d)
		return;
	g_array_unref(d->spans);
	g_free(d);
}
