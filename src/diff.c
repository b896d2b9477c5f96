#include "diff.h"
#include "error.h"

#include <string.h>

const char *lw_change_kind_name(enum lw_change_kind k)
{
	switch (k) {
	case LW_CHANGE_NEW:
		return "new";
	case LW_CHANGE_EDITED:
		return "edited";
	case LW_CHANGE_REMOVED:
		return "removed";
	case LW_CHANGE_RESTORED:
		return "restored";
	}
	return "?";
}

void lw_diff_free(struct lw_diff *d)
{
	if (!d)
		return;
	g_ptr_array_unref(d->changes);
	g_free(d);
}

/* An edit the page does not own up to: no "updated" time, or the one
 * recorded with the previous version. */
static bool is_stealth(const struct lw_entry *old, const struct lw_entry *e)
{
	return !*e->updated || !strcmp(e->updated, old->updated);
}

static void add(struct lw_diff *d, enum lw_change_kind kind, const struct lw_entry *e,
                const struct lw_entry *old)
{
	struct lw_change *c = g_new0(struct lw_change, 1);
	c->kind = kind;
	c->entry = e;
	c->old = old;
	if (kind == LW_CHANGE_EDITED && old && is_stealth(old, e)) {
		c->stealth = true;
		d->n_stealth++;
	}
	g_ptr_array_add(d->changes, c);
	switch (kind) {
	case LW_CHANGE_NEW:
		d->n_new++;
		break;
	case LW_CHANGE_EDITED:
		d->n_edited++;
		break;
	case LW_CHANGE_REMOVED:
		d->n_removed++;
		break;
	case LW_CHANGE_RESTORED:
		d->n_restored++;
		break;
	}
}

/* The oldest published time among the entries the page shows, ignoring
 * pinned posts (a pinned post can be old without widening the window). */
static const char *window_floor(const struct lw_snapshot *now)
{
	const char *floor = NULL;
	for (guint i = 0; i < now->entries->len; i++) {
		const struct lw_entry *e = now->entries->pdata[i];
		if (e->pinned || !*e->published)
			continue;
		if (!floor || strcmp(e->published, floor) < 0)
			floor = e->published;
	}
	return floor;
}

struct lw_diff *lw_diff_compute(const struct lw_record *prev, GHashTable *removed,
                                const struct lw_snapshot *now, GError **error)
{
	if (now->entries->len == 0) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE, "page has no entries");
		return NULL;
	}
	struct lw_diff *d = g_new0(struct lw_diff, 1);
	d->changes = g_ptr_array_new_with_free_func(g_free);

	GHashTable *present = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < now->entries->len; i++) {
		const struct lw_entry *e = now->entries->pdata[i];
		g_hash_table_add(present, e->id);
		const struct lw_entry *old = prev ? g_hash_table_lookup(prev->all, e->id) : NULL;
		if (!old) {
			bool back = removed && g_hash_table_contains(removed, e->id);
			add(d, back ? LW_CHANGE_RESTORED : LW_CHANGE_NEW, e, NULL);
		} else if (lw_entry_content_differs(old, e)) {
			add(d, LW_CHANGE_EDITED, e, old);
		}
	}

	/* Position of the oldest entry of the previous page that is still shown:
	 * entries above it that vanished were removed, those below paged out. */
	guint window = prev ? prev->window->len : 0;
	int last_kept = -1;
	for (guint i = 0; i < window; i++) {
		const struct lw_entry *e = prev->window->pdata[i];
		if (g_hash_table_contains(present, e->id))
			last_kept = (int)i;
	}
	const char *floor = window_floor(now);
	guint gone_in_window = 0;
	for (guint i = 0; i < window; i++) {
		const struct lw_entry *e = prev->window->pdata[i];
		if (g_hash_table_contains(present, e->id))
			continue;
		bool inside;
		if (floor && *e->published && !e->pinned)
			inside = strcmp(e->published, floor) > 0;
		else
			inside = (int)i < last_kept;
		if (inside) {
			add(d, LW_CHANGE_REMOVED, e, NULL);
			gone_in_window++;
		} else {
			d->n_paged_out++;
		}
	}
	g_hash_table_unref(present);

	guint gone = gone_in_window + d->n_paged_out;
	if (window >= 4 && gone * 2 > window && d->n_new + d->n_restored == 0 &&
	    (gone_in_window > 0 || now->entries->len * 2 < window)) {
		g_set_error(error, LW_ERROR, LW_ERROR_PARSE,
		            "page collapsed: %u of the %u entries shown before are gone and "
		            "nothing is new", gone, window);
		lw_diff_free(d);
		return NULL;
	}
	return d;
}

/* "18:31" from an RFC 3339 UTC time, or NULL. */
static void hhmm(const char *published, char out[6])
{
	if (strlen(published) >= 16 && published[10] == 'T') {
		memcpy(out, published + 11, 5);
		out[5] = '\0';
	} else {
		out[0] = '\0';
	}
}

/* Appends " ID" for each change of kind (and stealth when `stealth`). */
static void append_ids(GString *m, const struct lw_diff *d, enum lw_change_kind kind,
                       bool stealth)
{
	for (guint i = 0; i < d->changes->len; i++) {
		const struct lw_change *c = d->changes->pdata[i];
		if (c->kind == kind && (!stealth || c->stealth))
			g_string_append_printf(m, " %s", c->entry->id);
	}
}

char *lw_diff_message(const struct lw_diff *d, const char *blog, const char *url,
                      const char *alerts)
{
	GString *m = g_string_new(blog);
	g_string_append(m, ":");
	const struct { guint n; const char *what; } parts[] = {
		{ d->n_new, "new" }, { d->n_edited, "edited" },
		{ d->n_removed, "removed" }, { d->n_restored, "restored" },
	};
	bool first = true;
	for (gsize i = 0; i < G_N_ELEMENTS(parts); i++) {
		if (!parts[i].n)
			continue;
		g_string_append_printf(m, "%s %u %s", first ? "" : ",", parts[i].n, parts[i].what);
		first = false;
	}
	if (first)
		g_string_append(m, " no entry changed");
	g_string_append(m, "\n\n");

	static const enum lw_change_kind order[] = {
		LW_CHANGE_NEW, LW_CHANGE_RESTORED, LW_CHANGE_EDITED, LW_CHANGE_REMOVED,
	};
	for (gsize k = 0; k < G_N_ELEMENTS(order); k++) {
		for (guint i = 0; i < d->changes->len; i++) {
			const struct lw_change *c = d->changes->pdata[i];
			if (c->kind != order[k])
				continue;
			char t[6];
			hhmm(c->entry->published, t);
			g_autofree char *heading = lw_entry_heading(c->entry);
			char sign = c->kind == LW_CHANGE_EDITED ? '~' :
			            c->kind == LW_CHANGE_REMOVED ? '-' : '+';
			g_string_append_printf(m, "%c %s%s%s", sign, t, *t ? " " : "", heading);
			if (c->kind == LW_CHANGE_RESTORED)
				g_string_append(m, " (restored)");
			if (c->kind == LW_CHANGE_EDITED) {
				int delta = lw_entry_word_count(c->entry) - lw_entry_word_count(c->old);
				if (delta)
					g_string_append_printf(m, " (%+d word%s", delta,
					                       delta == 1 || delta == -1 ? "" : "s");
				else
					g_string_append(m, " (reworded");
				g_string_append(m, c->stealth ? ", stealth)" : ")");
			}
			g_string_append_c(m, '\n');
		}
	}
	g_string_append_printf(m, "\nLivewatch-Blog: %s\nLivewatch-Url: %s\n", blog, url);
	if (d->n_restored) {
		/* for history-walk.c: the tree shows a restored entry as A, like a new one */
		g_string_append(m, "Livewatch-Restored:");
		append_ids(m, d, LW_CHANGE_RESTORED, false);
		g_string_append_c(m, '\n');
	}
	if (d->n_stealth) {
		/* for history-walk.c: the tree cannot tell a stealth edit */
		g_string_append(m, "Livewatch-Stealth:");
		append_ids(m, d, LW_CHANGE_EDITED, true);
		g_string_append_c(m, '\n');
	}
	if (alerts && *alerts)
		g_string_append_printf(m, "Livewatch-Alerts: %s\n", alerts);

	return g_string_free(m, FALSE);
}
