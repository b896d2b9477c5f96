/* Tests for src/text.c: rendering HTML to plain text, collapsing,
 * volatile lines, dates. */
#include <string.h>
#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "text.h"

static void test_text_render(void)
{
	const char *html =
		"<div class='x'><p>One  <b>bold</b>\n word</p>"
		"<ul><li>first</li><li>second<br>continued</li></ul>"
		"<blockquote>\n <p>Quoted one.</p>\n <p>Quoted two.</p>\n</blockquote>"
		"<script>var x = 1;</script><style>p{}</style>"
		"<p>Updated at 12.08 BST</p><p><span>4m ago</span></p>"
		"<p>Updated: the toll has risen.</p>"
		"<figure><img src='a.jpg' alt='alt text'><figcaption>A caption.</figcaption></figure>"
		"<nav>Menu</nav><button>Play</button><aside>Aside</aside>"
		"<p>Time <time>15 May</time> stays, <time data-relativeformat='med'>2h ago</time>not.</p>"
		"<h3>Sub&shy;head&#8203;ing &amp; more</h3>"
		"<p>a&nbsp;&nbsp;b\tc</p><p>   </p>"
		"<footer>Share on Facebook</footer></div>";
	g_autofree char *text = lw_text_from_html(html, -1, 0);
	g_assert_cmpstr(text, ==,
		"One bold word\n"
		"- first\n"
		"- second\n"
		"continued\n"
		"> Quoted one.\n"
		"> Quoted two.\n"
		"Updated: the toll has risen.\n"
		"A caption.\n"
		"Time 15 May stays, not.\n"
		"Subheading & more\n"
		"a b c");

	/* a plain string keeps its lines; entities are decoded */
	g_autofree char *plain = lw_text_from_html("one\n\n  two  \nthree", -1, 0);
	g_assert_cmpstr(plain, ==, "one\ntwo\nthree");
	g_autofree char *ent = lw_text_from_html("fish &amp; chips\nmore", -1, 0);
	g_assert_cmpstr(ent, ==, "fish & chips\nmore");

	/* truncation stays on a character boundary */
	bool cut = false;
	htmlDocPtr doc = htmlReadMemory("<p>\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9</p>", 11, NULL, "UTF-8",
	                                HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	g_autofree char *small = lw_text_from_node(xmlDocGetRootElement(doc), 5, &cut);
	xmlFreeDoc(doc);
	g_assert_true(cut);
	g_assert_cmpstr(small, ==, "\xc3\xa9\xc3\xa9");
}

static void test_text_helpers(void)
{
	g_autofree char *c = lw_text_collapse("  a\xc2\xa0\xc2\xa0" "b\xc2\xad" "c\xe2\x80\x8b" "d\n\te\xef\xbb\xbf  ", -1);
	g_assert_cmpstr(c, ==, "a bcd e");
	g_autofree char *bad = lw_text_collapse("ok\xff\xfe", -1);
	g_assert_true(g_utf8_validate(bad, -1, NULL));
	g_autofree char *null = lw_text_collapse(NULL, -1);
	g_assert_cmpstr(null, ==, "");

	static const struct { const char *in, *out; } times[] = {
		{ "2023-05-15T11:50:54.000Z", "2023-05-15T11:50:54Z" },
		{ "2023-05-15T11:50:54+0000", "2023-05-15T11:50:54Z" },
		{ "2023-05-15T12:50:54+01:00", "2023-05-15T11:50:54Z" },
		{ "2023-05-15T06:50:54.5-0500", "2023-05-15T11:50:54Z" },
		{ "2023-05-15 11:50", "2023-05-15T11:50:00Z" },
		{ "2023-05-15", "2023-05-15T00:00:00Z" },
		{ "yesterday", NULL },
		{ "", NULL },
		{ "2023-13-45T99:00:00Z", NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(times); i++) {
		g_autofree char *t = lw_text_time_utc(times[i].in);
		g_assert_cmpstr(t, ==, times[i].out);
	}
	g_assert_null(lw_text_time_utc(NULL));

	g_assert_true(lw_text_is_volatile("4m ago"));
	g_assert_true(lw_text_is_volatile("From 49m ago"));
	g_assert_true(lw_text_is_volatile("2 hours ago"));
	g_assert_true(lw_text_is_volatile("Updated at 12.08 BST"));
	g_assert_true(lw_text_is_volatile("Last updated: 15 May 2023 10:02"));
	g_assert_false(lw_text_is_volatile("Updated: the death toll has risen to 12."));
	g_assert_false(lw_text_is_volatile("Two years ago the bridge closed."));
}

/* 50,000 levels built directly (no parser depth limit in the way): the
 * walker must not recurse. */
static void test_text_deep_tree(void)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *)"div");
	xmlDocSetRootElement(doc, root);
	xmlNodePtr n = root;
	for (int i = 0; i < 50000; i++) {
		const char *name = i % 3 == 0 ? "blockquote" : i % 3 == 1 ? "li" : "div";
		n = xmlNewChild(n, NULL, (const xmlChar *)name, NULL);
	}
	xmlNodeAddContent(n, (const xmlChar *)"deep text");
	g_autofree char *text = lw_text_from_node(root, 0, NULL);
	g_assert_cmpstr(text, ==, "> - deep text");
	/* unlink level by level: some libxml2 versions free recursively */
	while (root->children) {
		xmlNodePtr c = root->children;
		xmlUnlinkNode(c);
		xmlNodePtr next = c->children;
		if (next)
			xmlUnlinkNode(next);
		xmlFreeNode(c);
		if (next)
			xmlAddChild(root, next);
	}
	xmlFreeDoc(doc);
}

static void test_rfc822(void)
{
	const char *cases[][2] = {
		{ "Mon, 15 May 2023 12:50:54 +0100", "2023-05-15T11:50:54Z" },
		{ "15 May 2023 11:50 GMT", "2023-05-15T11:50:00Z" },
		{ "Tue, 3 Jan 23 08:00:00 EST", "2023-01-03T13:00:00Z" },
		{ "Sun, 31 Dec 2023 23:30:00 -0130", "2024-01-01T01:00:00Z" },
		{ "Mon, 32 May 2023 12:50:54 +0100", NULL },
		{ "yesterday", NULL },
		/* no weekday, no seconds, no time */
		{ "15 May 2023 12:50 +0100", "2023-05-15T11:50:00Z" },
		{ "15 May 2023", "2023-05-15T00:00:00Z" },
		{ "15 May 2023 12:50", "2023-05-15T12:50:00Z" },
		/* obsolete zones: names, UT, military letters as RFC 822 wrote them */
		{ "Fri, 13 Feb 2009 23:31:30 PST", "2009-02-14T07:31:30Z" },
		{ "Mon, 15 May 2023 12:50:54 EDT", "2023-05-15T16:50:54Z" },
		{ "15 May 2023 11:50 BST", "2023-05-15T10:50:00Z" },
		{ "15 May 2023 11:50 CEST", "2023-05-15T09:50:00Z" },
		{ "15 May 2023 11:50 UT", "2023-05-15T11:50:00Z" },
		{ "15 May 2023 11:50 Z", "2023-05-15T11:50:00Z" },
		{ "15 May 2023 11:50 A", "2023-05-15T12:50:00Z" },
		{ "15 May 2023 12:50:54 +0100 (BST)", "2023-05-15T11:50:54Z" },
		/* two-digit years: 20xx up to 70, 19xx from 71 */
		{ "Mon, 15 May 00 12:00:00 GMT", "2000-05-15T12:00:00Z" },
		{ "Mon, 15 May 70 12:00:00 GMT", "2070-05-15T12:00:00Z" },
		{ "Mon, 15 May 71 12:00:00 GMT", "1971-05-15T12:00:00Z" },
		{ "Mon, 15 May 99 12:00:00 GMT", "1999-05-15T12:00:00Z" },
		{ "31 Dec 9999 23:59:59 GMT", "9999-12-31T23:59:59Z" },
		/* a day the month lacks rolls over, as in curl */
		{ "31 Feb 2023 10:00 GMT", "2023-03-03T10:00:00Z" },
		/* garbage */
		{ "15 May 2023 11:50 XYZ", NULL },
		{ "Mon, 15 May 2023 12:50:54 +01:00", NULL },
		{ "Mon, 15 May 2023 12:50:54 +2500", NULL },
		{ "15 May 2023 25:00 GMT", NULL },
		{ "15 May 2023 11:50:61 GMT", NULL },
		{ "1 Jan 10000 00:00 GMT", NULL },
		{ "15 May 1500 11:00 GMT", NULL },
		{ "Updated 10.08 BST", NULL },
		{ "Monday 5", NULL },
		{ "15 mayo 2023", NULL },
		{ "(", NULL },
		{ ")", NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *t = lw_text_time_utc(cases[i][0]);
		g_assert_cmpstr(t, ==, cases[i][1]);
	}
}

/* Text with character references but no tags is decoded without a
 * parse; it must read as libxml2's parse reads it (a tag in front makes
 * lw_text_from_html() parse). */
static void test_refs_without_tags(void)
{
	static const char *const texts[] = {
		"He said &quot;no&quot; &amp; left &#x201C;quietly&#x201D; at 5&#8211;6pm",
		"caf&eacute; cr&egrave;me &nbsp; &copy; 2024 &euro;5",
		"&apos;quoted&apos; and &unknown; and a bare & sign",
		"&#0; &#x110000; &#128; &#xD800; numbers at the edge",
		"&amp &lt no semicolons &#65 &#x41",
		"just &AMP; &Amp; case",
		"  spaced   &#160;  out  ",
		"4m ago",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autofree char *fast = lw_text_from_html(texts[i], -1, 0);
		g_autofree char *tagged = g_strconcat("<span></span>", texts[i], NULL);
		g_autofree char *parsed = lw_text_from_html(tagged, -1, 0);
		g_assert_cmpstr(fast, ==, parsed);
	}
	/* lines are kept; a reference to a newline is not a line break */
	g_autofree char *two = lw_text_from_html("one &amp; two\nthree&#10;four", -1, 0);
	g_assert_cmpstr(two, ==, "one & two\nthree four");
	g_autofree char *cut = lw_text_from_html("&eacute;&eacute;&eacute;", -1, 3);
	g_assert_cmpstr(cut, ==, "\xc3\xa9");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/text/render", test_text_render);
	g_test_add_func("/text/helpers", test_text_helpers);
	g_test_add_func("/text/deep-tree", test_text_deep_tree);
	g_test_add_func("/text/rfc822", test_rfc822);
	g_test_add_func("/text/refs-without-tags", test_refs_without_tags);
	return g_test_run();
}
