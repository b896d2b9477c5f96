/* Embeds in a post (text.h, "Embedded posts and videos"): what the text
 * renderer writes for a tweet, an Instagram or Facebook post, a YouTube or
 * TikTok video. */
#include "text-embed.h"
#include "text.h"

#include <string.h>

static bool name_is(const xmlNode *n, const char *name)
{
	return n->name && g_ascii_strcasecmp((const char *)n->name, name) == 0;
}

static bool class_has(const xmlNode *n, const char *word)
{
	xmlChar *owned;
	const char *v = lw_text_attr(n, "class", &owned);
	bool found = v && lw_text_has_nocase(v, word);
	xmlFree(owned);
	return found;
}

/* Embedded posts and videos are content: a line "Tweet: URL" (Instagram
 * post, Facebook post, YouTube video, TikTok video) after what the page
 * quotes of them.  *descend says whether the element's own text (a
 * tweet's blockquote) is rendered before that line. */
static const char *embed_label(const char *url)
{
	static const struct { const char *host, *label; } hosts[] = {
		{ "twitter.com/", "Tweet" }, { "//x.com/", "Tweet" },
		{ "instagram.com/", "Instagram post" }, { "facebook.com/", "Facebook post" },
		{ "youtube.com/", "YouTube video" }, { "youtube-nocookie.com/", "YouTube video" },
		{ "youtu.be/", "YouTube video" }, { "tiktok.com/", "TikTok video" },
	};
	for (gsize i = 0; url && i < G_N_ELEMENTS(hosts); i++)
		if (lw_text_has_nocase(url, hosts[i].host))
			return hosts[i].label;
	return NULL;
}

static char *attr_dup(const xmlNode *n, const char *name)
{
	xmlChar *owned;
	const char *v = lw_text_attr(n, name, &owned);
	char *s = v && *v ? lw_text_collapse(v, -1) : NULL;
	xmlFree(owned);
	if (s && !s[0])
		g_clear_pointer(&s, g_free);
	return s;
}

/* The embed's own address from an iframe's src: a YouTube player is its
 * video, a Facebook plugin names its post in ?href=, a Twitter frame its
 * status in ?id=. */
static char *embed_from_src(const char *src)
{
	g_autofree char *abs = g_str_has_prefix(src, "//") ? g_strconcat("https:", src, NULL)
	                                                   : g_strdup(src);
	const char *yt = strstr(abs, "/embed/");
	if (yt && lw_text_has_nocase(abs, "youtube")) {
		gsize n = strcspn(yt + 7, "?&#/");
		return g_strdup_printf("https://www.youtube.com/watch?v=%.*s", (int)n, yt + 7);
	}
	const char *q = strchr(abs, '?');
	const char *key = lw_text_has_nocase(abs, "facebook.com/plugins") ? "href=" :
	                  lw_text_has_nocase(abs, "platform.twitter.com") ? "id=" : NULL;
	for (const char *k = q; key && k && *k; k = strchr(k + 1, '&')) {
		if (strncmp(k + 1, key, strlen(key)) != 0)
			continue;
		gsize n = strcspn(k + 1 + strlen(key), "&#");
		g_autofree char *v = g_uri_unescape_segment(k + 1 + strlen(key),
		                                            k + 1 + strlen(key) + n, NULL);
		if (!v)
			break;
		return key[0] == 'i' ? g_strdup_printf("https://twitter.com/i/status/%s", v)
		                     : g_strdup(v);
	}
	return g_steal_pointer(&abs);
}

/* The last link below n that embed_label() knows. */
static char *embed_last_link(xmlNode *root)
{
	char *found = NULL;
	for (xmlNode *n = root; n; ) {
		if (n->type == XML_ELEMENT_NODE && name_is(n, "a")) {
			char *href = attr_dup(n, "href");
			if (href && embed_label(href) && !lw_text_has_nocase(href, "/hashtag/")) {
				g_free(found);
				found = href;
			} else {
				g_free(href);
			}
		}
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n != root && !n->next)
			n = n->parent;
		if (n == root)
			break;
		n = n->next;
	}
	return found;
}

/* "LABEL: URL" for an embed, or NULL. */
char *lw_text_embed_line(xmlNode *n, bool *descend)
{
	const char *name = (const char *)n->name;
	char *url = NULL;
	*descend = true;
	if (name_is(n, "iframe")) {
		g_autofree char *src = attr_dup(n, "src");
		if (!src)
			src = attr_dup(n, "data-src");
		if (src && embed_label(src))
			url = embed_from_src(src);
		*descend = false;
	} else if (g_ascii_strncasecmp(name, "amp-", 4) == 0) {
		g_autofree char *id = NULL;
		if (name_is(n, "amp-twitter") && (id = attr_dup(n, "data-tweetid")))
			url = g_strdup_printf("https://twitter.com/i/status/%s", id);
		else if (name_is(n, "amp-youtube") && (id = attr_dup(n, "data-videoid")))
			url = g_strdup_printf("https://www.youtube.com/watch?v=%s", id);
		else if (name_is(n, "amp-instagram") && (id = attr_dup(n, "data-shortcode")))
			url = g_strdup_printf("https://www.instagram.com/p/%s/", id);
		else if (name_is(n, "amp-facebook"))
			url = attr_dup(n, "data-href");
	} else if (name_is(n, "blockquote") || name_is(n, "div")) {
		if (class_has(n, "twitter-tweet") || class_has(n, "nojs-tweet") ||
		    class_has(n, "instagram-media") || class_has(n, "tiktok-embed") ||
		    class_has(n, "fb-post") || class_has(n, "fb-video")) {
			url = attr_dup(n, "data-instgrm-permalink");
			if (!url)
				url = attr_dup(n, "data-href");
			if (!url)
				url = attr_dup(n, "cite");
			if (!url)
				url = embed_last_link(n);
		}
	}
	const char *label = embed_label(url);
	if (!label) {
		g_free(url);
		return NULL;
	}
	/* a tweet's or Instagram post's query is tracking (?ref_src=, ?utm_source=) */
	if (label[0] == 'T' || label[0] == 'I') {
		char *q = strchr(url, '?');
		if (q)
			*q = '\0';
	}
	char *line = g_strdup_printf("%s: %s", label, url);
	g_free(url);
	return line;
}

bool lw_text_may_embed(const xmlNode *n)
{
	const char *name = (const char *)n->name;
	return name && (name_is(n, "iframe") || name_is(n, "blockquote") ||
	                g_ascii_strncasecmp(name, "amp-", 4) == 0 ||
	                (name_is(n, "div") && n->properties));
}

