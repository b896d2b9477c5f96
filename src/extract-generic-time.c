/* Clocks and day headings as live blogs write them in text, for the
 * generic extractor: "11:04", "11.04 Uhr", "9.15am", "21h30"; "Dienstag,
 * 27. August 2024", "Thursday 18 July", "27.08.2024".  English and
 * German month names (and their common short forms). */
#include "extract-generic.h"
#include "text.h"

#include <string.h>

bool lw_gen_parse_clock(const char *s, struct lw_gen_clock *out)
{
	const char *p = s;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	int h = 0, digits = 0;
	while (g_ascii_isdigit(*p) && digits < 3)
		h = h * 10 + (*p++ - '0'), digits++;
	if (digits < 1 || digits > 2 || (*p != ':' && *p != '.' && *p != 'h'))
		return false;
	p++;
	if (!g_ascii_isdigit(p[0]) || !g_ascii_isdigit(p[1]) || g_ascii_isdigit(p[2]))
		return false;
	int m = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	/* "27.08.2024" is a date, "11:04:30" has seconds */
	if ((*p == '.' || *p == ':') && g_ascii_isdigit(p[1])) {
		if (*p == '.')
			return false;
		p++;
		while (g_ascii_isdigit(*p))
			p++;
	}
	const char *q = p;
	while (*q == ' ')
		q++;
	bool pm = false, am = false;
	if (!g_ascii_strncasecmp(q, "pm", 2) || !g_ascii_strncasecmp(q, "p.m.", 4)) {
		pm = true;
		p = q + (q[1] == '.' ? 4 : 2);
	} else if (!g_ascii_strncasecmp(q, "am", 2) || !g_ascii_strncasecmp(q, "a.m.", 4)) {
		am = true;
		p = q + (q[1] == '.' ? 4 : 2);
	} else if (!strncmp(q, "Uhr", 3)) {
		p = q + 3;
	}
	if (g_ascii_isalnum(*p))
		return false;
	if ((am || pm) && (h < 1 || h > 12))
		return false;
	if (pm && h < 12)
		h += 12;
	if (am && h == 12)
		h = 0;
	if (h > 23 || m > 59)
		return false;
	/* the separator between the clock and a title */
	while (*p == ' ' || *p == ':' || *p == '|' || *p == '-' || *p == ',')
		p++;
	if (!strncmp(p, "\xe2\x80\x93", 3) || !strncmp(p, "\xe2\x80\x94", 3)) /* – — */
		p += 3;
	while (*p == ' ')
		p++;
	out->hour = h;
	out->minute = m;
	out->len = (gsize)(p - s);
	return true;
}

static const struct {
	const char *name;
	int month;
} months[] = {
	{ "january", 1 }, { "jan", 1 }, { "januar", 1 }, { "jänner", 1 },
	{ "february", 2 }, { "feb", 2 }, { "februar", 2 },
	{ "march", 3 }, { "mar", 3 }, { "märz", 3 }, { "maerz", 3 },
	{ "april", 4 }, { "apr", 4 },
	{ "may", 5 }, { "mai", 5 },
	{ "june", 6 }, { "jun", 6 }, { "juni", 6 },
	{ "july", 7 }, { "jul", 7 }, { "juli", 7 },
	{ "august", 8 }, { "aug", 8 },
	{ "september", 9 }, { "sep", 9 }, { "sept", 9 },
	{ "october", 10 }, { "oct", 10 }, { "oktober", 10 }, { "okt", 10 },
	{ "november", 11 }, { "nov", 11 },
	{ "december", 12 }, { "dec", 12 }, { "dezember", 12 }, { "dez", 12 },
};

static int month_of(const char *word)
{
	g_autofree char *low = g_utf8_strdown(word, -1);
	for (gsize i = 0; i < G_N_ELEMENTS(months); i++)
		if (strcmp(low, months[i].name) == 0)
			return months[i].month;
	return 0;
}

bool lw_gen_parse_day(const char *s, int default_year, struct lw_gen_date *out)
{
	if (!s || strlen(s) > 60)
		return false;
	struct lw_gen_clock clk;
	/* a clock anywhere makes it a post's heading, not a day's */
	for (const char *p = s; *p; p++)
		if (g_ascii_isdigit(*p) && (p == s || !g_ascii_isdigit(p[-1])) &&
		    lw_gen_parse_clock(p, &clk))
			return false;
	int y = 0, m = 0, d = 0;
	int nums[3], nn = 0;
	/* numeric: 27.08.2024 or 27.08. */
	const char *p = s;
	while (*p && !g_ascii_isdigit(*p))
		p++;
	if (*p && sscanf(p, "%d.%d.%d", &nums[0], &nums[1], &nums[2]) >= 2 &&
	    strchr(p, '.') && g_ascii_isdigit(strchr(p, '.')[1])) {
		d = nums[0];
		m = nums[1];
		const char *second = strchr(strchr(p, '.') + 1, '.');
		y = second && g_ascii_isdigit(second[1]) ? nums[2] : 0;
	} else {
		/* words: a month name, a day number, maybe a year */
		char **words = g_regex_split_simple("[^\\p{L}\\p{N}]+", s, 0, 0);
		for (char **w = words; *w; w++) {
			if (!**w)
				continue;
			if (g_ascii_isdigit(**w)) {
				int v = atoi(*w);
				if (strlen(*w) == 4 && v > 1900)
					y = v;
				else if (v >= 1 && v <= 31 && nn < 3)
					nums[nn++] = v;
				else {
					nn = 99;
					break;
				}
			} else if (!m) {
				m = month_of(*w);
			}
		}
		g_strfreev(words);
		if (nn != 1 || !m)
			return false;
		d = nums[0];
	}
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	if (y && y < 100)
		y += 2000;
	out->year = y ? y : default_year;
	out->month = m;
	out->day = d;
	return out->year > 0;
}

/* A page date from an RFC 3339-ish string as the page wrote it: the day,
 * and the offset it was written in. */
static bool date_from(const char *raw, struct lw_gen_date *out)
{
	int y, m, d;
	if (!raw || sscanf(raw, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return false;
	out->year = y;
	out->month = m;
	out->day = d;
	out->has_offset = false;
	out->offset_min = 0;
	const char *t = strchr(raw, 'T');
	if (!t)
		return true;
	gsize len = strlen(t);
	if (t[len - 1] == 'Z') {
		out->has_offset = true;
	} else if (len >= 6 && (t[len - 6] == '+' || t[len - 6] == '-') && t[len - 3] == ':') {
		int oh = atoi(t + len - 5), om = atoi(t + len - 2);
		out->offset_min = (t[len - 6] == '-' ? -1 : 1) * (oh * 60 + om);
		out->has_offset = true;
	} else if (len >= 5 && (t[len - 5] == '+' || t[len - 5] == '-')) {
		int v = atoi(t + len - 4);
		out->offset_min = (t[len - 5] == '-' ? -1 : 1) * ((v / 100) * 60 + v % 100);
		out->has_offset = true;
	}
	return true;
}

void lw_gen_page_date(struct lw_page *p, struct lw_gen_date *out)
{
	memset(out, 0, sizeof(*out));
	if (p->xml)
		return;
	g_autofree char *meta = lw_page_head_value(p, "meta", "property",
	                                           "article:published_time", false, "content");
	if (date_from(meta, out))
		return;
	g_autofree char *jp = NULL, *jm = NULL;
	lw_jsonld_article_dates(p, &jp, &jm);
	g_autofree char *dt = lw_page_string(p, "(//time/@datetime)[1]", NULL);
	/* the JSON-LD's dates are UTC by now: its day, a <time>'s offset */
	struct lw_gen_date other = { 0 };
	if (date_from(jp, out)) {
		if (date_from(dt, &other) && other.has_offset) {
			out->offset_min = other.offset_min;
			out->has_offset = true;
		}
		return;
	}
	date_from(dt, out);
}

char *lw_gen_clock_utc(const struct lw_gen_date *day, const struct lw_gen_clock *clk)
{
	if (!day || !day->month || !day->year)
		return NULL;
	g_autoptr(GDateTime) local = g_date_time_new_utc(day->year, day->month, day->day,
	                                                 clk->hour, clk->minute, 0);
	if (!local)
		return NULL;
	g_autoptr(GDateTime) utc = g_date_time_add_minutes(local, -day->offset_min);
	return utc ? g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}
