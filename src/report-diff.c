/* The report's word diffs (report.h): lw_report_word_diff() renders
 * wdiff.h's spans as HTML, changed lines only, with a few words of
 * context around each change. */
#include "report.h"
#include "wdiff.h"

#include <stdbool.h>
#include <string.h>

/* Appends the text of a SAME span between changes, keeping at most head
 * words after the change before it and tail words before the change
 * after it (0: none of that side), "…" for what is left out; ctx 0: all. */
static void same_text(GString *out, const char *p, gsize len, guint head, guint tail,
                      guint ctx)
{
	const char *end = p + len;
	if (ctx) {
		/* where the first head words end and the last tail words start */
		const char *a = p, *b = end;
		guint n = 0;
		while (a < end && n < head) {
			while (a < end && g_ascii_isspace(*a))
				a++;
			while (a < end && !g_ascii_isspace(*a))
				a++;
			n++;
		}
		n = 0;
		while (b > a && n < tail) {
			while (b > a && g_ascii_isspace(b[-1]))
				b--;
			while (b > a && !g_ascii_isspace(b[-1]))
				b--;
			n++;
		}
		/* worth cutting only when it leaves out more than a word or two */
		guint left_out = 0;
		for (const char *x = a; x < b; left_out++) {
			while (x < b && g_ascii_isspace(*x))
				x++;
			if (x == b)
				break;
			while (x < b && !g_ascii_isspace(*x))
				x++;
		}
		if (left_out > 2) {
			lw_report_escape(out, p, a - p);
			g_string_append(out, head && tail ? " \u2026 " : head ? " \u2026" : "\u2026 ");
			lw_report_escape(out, b, end - b);
			return;
		}
	}
	lw_report_escape(out, p, (gssize)len);
}

struct dline {
	GArray *segs;         /* struct lw_wdiff_span: the pieces of one line */
	bool changed;
};

static void flush_line(GString *out, struct dline *l, guint ctx)
{
	for (guint i = 0; i < l->segs->len; i++) {
		const struct lw_wdiff_span *s = &g_array_index(l->segs, struct lw_wdiff_span, i);
		if (s->op == LW_WDIFF_SAME) {
			bool before = i > 0, after = i + 1 < l->segs->len;
			same_text(out, s->text, s->len, before ? ctx : 0, after ? ctx : 0, ctx);
			continue;
		}
		const char *tag = s->op == LW_WDIFF_DEL ? "del" : "ins";
		g_string_append_printf(out, "<%s>", tag);
		lw_report_escape(out, s->text, (gssize)s->len);
		g_string_append_printf(out, "</%s>", tag);
	}
}

/* The word diff of two versions' texts, changed lines only ("⋮" between
 * them), insertions and deletions marked as `show` marks them. */
void lw_report_word_diff(GString *out, const char *old, gsize olen, const char *now, gsize nlen,
                         guint context)
{
	struct lw_wdiff *d = lw_wdiff_compute(old, olen, now, nlen);
	struct dline line = { .segs = g_array_new(FALSE, FALSE, sizeof(struct lw_wdiff_span)) };
	bool skipped = false;
	guint shown = 0;
	g_string_append(out, "<pre class=\"diff\">");
	for (guint i = 0; i < d->spans->len; i++) {
		const struct lw_wdiff_span *s = &g_array_index(d->spans, struct lw_wdiff_span, i);
		const char *p = s->text, *end = s->text + s->len;
		while (p <= end) {
			const char *nl = memchr(p, '\n', (gsize)(end - p));
			const char *stop = nl ? nl : end;
			if (stop > p) {
				struct lw_wdiff_span piece = { s->op, p, (gsize)(stop - p) };
				g_array_append_val(line.segs, piece);
				line.changed |= s->op != LW_WDIFF_SAME;
			}
			if (!nl)
				break;
			if (line.changed) {
				if (skipped && shown)
					g_string_append(out, "\u22ee\n");
				flush_line(out, &line, context);
				g_string_append_c(out, '\n');
				shown++;
				skipped = false;
			} else {
				skipped = true;
			}
			g_array_set_size(line.segs, 0);
			line.changed = false;
			p = nl + 1;
		}
	}
	if (line.changed) {
		if (skipped && shown)
			g_string_append(out, "\u22ee\n");
		flush_line(out, &line, context);
		shown++;
	}
	if (!shown)
		g_string_append(out, "(same text as before)");
	else if (out->str[out->len - 1] == '\n')
		g_string_truncate(out, out->len - 1);
	g_string_append(out, "</pre>");
	g_array_unref(line.segs);
	lw_wdiff_free(d);
}
