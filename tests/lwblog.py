#!/usr/bin/env python3
"""Render live blog pages in the Guardian's "dotcom-rendering" (DCR) markup.

Standard library only.  Tests use it to serve realistic, controllable live
blogs from the loopback server; demo/make-pages.py uses it to write the
bundled demo pages.  (Why one file of some 1,200 lines: it is one page's
markup, every part of which the extractor meets on the real page, plus
its self-test.)  The structure imitates a real page (2023): page chrome,
a JSON-LD LiveBlogPosting, a key-events carousel (twice: desktop and mobile),
`div#liveblog-body` holding an optional `div#pinned-post` (a copy of a post
in an `<article>` without id), then one `<article id="block-…">` per post,
newest first, and the pagination `nav#liveblog-navigation`.

    from lwblog import Post, render_blog

    p = Post(published='2023-02-14T18:31:00Z', title='Headline or None',
             paras=['A paragraph with **bold** and [a link](https://x/).',
                    ('quote', ['Quoted paragraph.', 'Another.']),
                    ('list', ['First point.', 'Second point.']),
                    ('figure', 'Caption text.', 'Reuters'),
                    ('tweet', 'Tweet text.', 'SomeHandle'),
                    ('html', '<p>raw markup, inserted as is</p>')],
             updated=None, key_event=False, author=None, seed=0)
    html = render_blog([newest, ..., oldest],
                       page_url='http://127.0.0.1:PORT/live',
                       headline='Ukraine war live: ...',
                       pinned=p,              # or None
                       relative_times=True, now='2023-02-14T19:00:00Z',
                       classes_seed=0, page_size=None, older_link=None,
                       jsonld=True)

Post:
    id          'block-' + 24 hex digits; when None it is derived from
                `published` and `seed` (so an edited copy keeps its id:
                use post.copy(paras=..., updated=...)).
    published   RFC 3339 UTC ('...Z'); `updated` likewise or None.  An
                updated post gets the footer "Updated at HH.MM GMT".
    paras       body elements (see above).  Text is plain text (escaped on
                output) with two inline marks: **bold** and [text](url).
    key_event   listed in the key-events carousels.
    summary     marks a summary block in the carousel props.
    author      byline shown in the post header, or None.

    post.text_lines() / post.body_text() give the body as livewatch's
    DESIGN.md says an extractor should produce it: one paragraph per line,
    quotes as "> " lines, list items as "- " lines, captions kept.

render_blog:
    posts           newest first; every post is on the page unless
                    page_size cuts the list to the newest N (older posts
                    "page out": the Next/Oldest links point at them).
    pinned          a Post (normally one of posts) copied into
                    div#pinned-post, without id and without a <time>.
    relative_times  write "4m ago" style texts computed from `now`; two
                    renders with different `now` differ only in these
                    volatile texts (post times, carousel, "Updated 4m ago",
                    the pinned "From 49m ago").  When False, the same
                    elements carry absolute dates instead.
    now             defaults to 4 minutes after the newest time of any post.
    classes_seed    0 writes class names seen on the real page; any other
                    value derives other dcr-xxxx names and, deterministically,
                    reorders attributes and adds whitespace between block
                    elements: a site redeploy that changes no content.
    older_link      href of the "Next" (older) pagination link; None makes
                    one from the first post that paged out.
    jsonld          include the <script type="application/ld+json">.  As on
                    the real site, its updates carry a bare hex @id and the
                    PAGE's headline and dates, and articleBody is cut at
                    1000 characters.
    site_name, standfirst, authors: page chrome.

Output is deterministic: the same arguments give the same bytes.
"""

import dataclasses
import datetime as _dt
import hashlib
import html as _html
import json
import random
import re
import urllib.parse

__all__ = ['Post', 'render_blog', 'relative_time', 'uk_clock']

# ---------------------------------------------------------------------------
# time helpers


def _parse_time(s):
    if isinstance(s, _dt.datetime):
        d = s
    else:
        t = s.strip()
        if t.endswith('Z'):
            t = t[:-1] + '+00:00'
        d = _dt.datetime.fromisoformat(t)
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d.astimezone(_dt.timezone.utc)


def _iso_ms(d):
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (d.microsecond // 1000)


def _ms(d):
    return int(d.timestamp()) * 1000 + d.microsecond // 1000


def _last_sunday(year, month):
    if month == 12:
        d = _dt.date(year, 12, 31)
    else:
        d = _dt.date(year, month + 1, 1) - _dt.timedelta(days=1)
    return d - _dt.timedelta(days=(d.weekday() + 1) % 7)


def _uk_local(d):
    """UK civil time of a UTC datetime: (local datetime, 'GMT' or 'BST')."""
    start = _dt.datetime.combine(_last_sunday(d.year, 3), _dt.time(1),
                                 _dt.timezone.utc)
    end = _dt.datetime.combine(_last_sunday(d.year, 10), _dt.time(1),
                               _dt.timezone.utc)
    if start <= d < end:
        return d + _dt.timedelta(hours=1), 'BST'
    return d, 'GMT'


def uk_clock(d, nbsp=True):
    """'18.31 GMT' as the Guardian writes a post's time (with a no-break space)."""
    loc, zone = _uk_local(_parse_time(d))
    return '%02d.%02d%s%s' % (loc.hour, loc.minute,
                              '\u00a0' if nbsp else ' ', zone)


def _long_utc(d):
    """'Tuesday, 14 February 2023 at 18:31 Coordinated Universal Time'."""
    return '%s, %d %s at %02d:%02d Coordinated Universal Time' % (
        d.strftime('%A'), d.day, d.strftime('%B %Y'), d.hour, d.minute)


def _dateline(d):
    """'Tue 14 Feb 2023 18.31 GMT'."""
    loc, zone = _uk_local(d)
    return '%s %d %s %02d.%02d %s' % (loc.strftime('%a'), loc.day,
                                      loc.strftime('%b %Y'), loc.hour,
                                      loc.minute, zone)


def _js_date(d):
    """JavaScript's Date.toString(), which the page puts in a dateTime."""
    return d.strftime('%a %b %d %Y %H:%M:%S') + \
        ' GMT+0000 (Coordinated Universal Time)'


def relative_time(then, now):
    """The 'med' relative format: 'now', '4m ago', '2h ago', '3d ago'."""
    secs = (_parse_time(now) - _parse_time(then)).total_seconds()
    if secs < 60:
        return 'now'
    mins = int(secs // 60)
    if mins < 60:
        return '%dm ago' % mins
    hours = mins // 60
    if hours < 24:
        return '%dh ago' % hours
    return '%dd ago' % (hours // 24)


# ---------------------------------------------------------------------------
# posts

_INLINE = re.compile(r'\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)')


def _plain(s):
    """Inline marks removed: what a reader sees."""
    return _INLINE.sub(lambda m: m.group(1) if m.group(1) is not None
                       else m.group(2), s)


def _collapse(s):
    return ' '.join(s.split())


@dataclasses.dataclass
class Post:
    id: str = None
    published: str = '2023-02-14T12:00:00Z'
    title: str = None
    paras: list = dataclasses.field(default_factory=list)
    updated: str = None
    key_event: bool = False
    summary: bool = False
    author: str = None
    seed: object = 0

    def __post_init__(self):
        if isinstance(self.paras, (str, tuple)):
            self.paras = [self.paras]
        self.paras = list(self.paras)
        if self.id is None:
            d = _parse_time(self.published)
            h = hashlib.sha1(('%s|%s' % (_iso_ms(d), self.seed))
                             .encode()).hexdigest()
            self.id = 'block-%08x%s' % (int(d.timestamp()) & 0xffffffff,
                                        h[:16])
        # Any string is allowed (tests feed hostile ids such as
        # '../../x'); it is escaped wherever it is written.
        if not isinstance(self.id, str) or not self.id:
            raise ValueError('post id must be a non-empty string')

    @property
    def hex_id(self):
        return self.id[6:] if self.id.startswith('block-') else self.id

    def copy(self, **changes):
        """A copy with some fields changed and the same id."""
        return dataclasses.replace(self, **changes)

    def text_lines(self):
        """The body as an extractor should give it, one paragraph a line."""
        out = []
        for el in self.paras:
            if isinstance(el, str):
                out.append(_collapse(_plain(el)))
                continue
            kind = el[0]
            if kind == 'quote':
                out.extend('> ' + _collapse(_plain(p)) for p in el[1])
            elif kind == 'list':
                out.extend('- ' + _collapse(_plain(p)) for p in el[1])
            elif kind == 'figure':
                cap = _collapse(_plain(el[1]))
                if len(el) > 2 and el[2]:
                    cap += ' Photograph: ' + el[2]
                out.append(cap)
            elif kind == 'tweet':
                out.append('> ' + _collapse(_plain(el[1])))
            elif kind == 'html':
                txt = _collapse(_html.unescape(re.sub(r'<[^>]*>', ' ', el[1])))
                if txt:
                    out.append(txt)
            else:
                raise ValueError('unknown body element %r' % (kind,))
        return [line for line in out if line]

    def body_text(self):
        return '\n'.join(self.text_lines())

    def plain_text(self):
        """All body text on one line, as JSON-LD's articleBody has it."""
        parts = []
        for line in self.text_lines():
            if line.startswith(('> ', '- ')):
                line = line[2:]
            parts.append(line)
        return ' '.join(parts)


# ---------------------------------------------------------------------------
# a tiny element tree with a seeded serializer

_VOID = {'img', 'input', 'source', 'meta', 'link', 'br', 'path'}
_BLOCK = {'html', 'head', 'body', 'div', 'article', 'header', 'footer', 'ul',
          'section', 'main', 'nav', 'figure', 'details', 'aside', 'picture'}


class Raw(str):
    """Markup written as is."""


class E:
    __slots__ = ('tag', 'attrs', 'kids')

    def __init__(self, tag, attrs=None, *kids):
        self.tag = tag
        self.attrs = list(attrs.items()) if isinstance(attrs, dict) \
            else list(attrs or [])
        self.kids = [k for k in kids if k is not None]


def _attr_escape(v):
    return v.replace('&', '&amp;').replace('"', '&quot;').replace('<', '&lt;')


class _Writer:
    def __init__(self, seed):
        self.seed = seed
        self.rng = random.Random(seed) if seed else None
        self.parts = []

    def cls(self, role, real):
        """Class name for a role: the real page's, or one derived from seed."""
        if not self.seed:
            return real
        h = hashlib.sha1(('%s|%s' % (self.seed, role)).encode()).digest()
        alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'
        n = int.from_bytes(h[:8], 'big')
        name = ''
        for _ in range(6 + h[8] % 2):
            n, r = divmod(n, 36)
            name += alphabet[r]
        return 'dcr-' + name

    def write(self, node, depth=0):
        p = self.parts
        if isinstance(node, Raw):
            p.append(node)
            return
        if isinstance(node, str):
            p.append(_html.escape(node, quote=False))
            return
        attrs = list(node.attrs)
        if self.rng is not None and len(attrs) > 1:
            self.rng.shuffle(attrs)
        p.append('<' + node.tag)
        for k, v in attrs:
            if v is None:
                p.append(' ' + k)
            else:
                p.append(' %s="%s"' % (k, _attr_escape(str(v))))
        if node.tag in _VOID and not node.kids:
            p.append('/>')
            return
        p.append('>')
        block = node.tag in _BLOCK
        for kid in node.kids:
            if block and self.rng is not None and isinstance(kid, E) \
                    and self.rng.random() < 0.5:
                p.append('\n' + ' ' * (2 * (depth + 1) % 24))
            self.write(kid, depth + 1)
        if block and self.rng is not None and self.rng.random() < 0.3:
            p.append('\n' + ' ' * (2 * depth % 24))
        p.append('</%s>' % node.tag)

    def text(self):
        return ''.join(self.parts)


def _inline(s):
    """Body text with its inline marks as markup."""
    out = []
    pos = 0
    for m in _INLINE.finditer(s):
        out.append(_html.escape(s[pos:m.start()], quote=False))
        if m.group(1) is not None:
            out.append('<strong>%s</strong>' %
                       _html.escape(m.group(1), quote=False))
        else:
            out.append('<a href="%s" data-link-name="in body link">%s</a>' %
                       (_attr_escape(m.group(3)),
                        _html.escape(m.group(2), quote=False)))
        pos = m.end()
    out.append(_html.escape(s[pos:], quote=False))
    return Raw(''.join(out))


def _uuid(*parts):
    h = hashlib.sha1('|'.join(str(p) for p in parts).encode()).hexdigest()
    return '%s-%s-4%s-a%s-%s' % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])


_SVG_QUOTE = Raw(
    '<svg viewBox="4 4 24 16" class="dcr-cumn2r"><path d="M9.3 8H14C13.5 '
    '12.5 13 17 12.7 22H4C4.8 17.1 6.5 12.5 9.3 8ZM20.4 8H25.1C24.6 12.5 '
    '24 17 23.8 22H15.1C16 17.1 17.6 12.5 20.4 8Z"></path></svg>')
_SVG_FB = Raw(
    '<svg width="32" height="32" viewBox="-2 -2 32 32"><path d="M17.9 '
    '14h-3v8H12v-8h-2v-2.9h2V8.7C12 6.8 13.1 5 16 5c1.2 0 2 .1 2 .1v3h-1.8c-1'
    ' 0-1.2.5-1.2 1.3v1.8h3l-.1 2.8z"></path></svg>')
_SVG_TW = Raw(
    '<svg width="32" height="32" viewBox="-2 -2 32 32"><path d="M21.3 '
    '10.5v.5c0 4.7-3.5 10.1-9.9 10.1-2 0-3.8-.6-5.3-1.6.3 0 .6.1.8.1 1.6 0 '
    '3.1-.6 4.3-1.5-1.5 0-2.8-1-3.3-2.4.2 0 .4.1.7.1l.9-.1z"></path></svg>')
_SVG_MAIL = Raw(
    '<svg width="32" height="32" viewBox="-2 -2 32 32"><path d="M6 9h20v1'
    '4H6z"></path></svg>')
_SVG_PIN = Raw(
    '<svg viewBox="-3 -3 30 30" xmlns="http://www.w3.org/2000/svg" '
    'aria-hidden="true"><path d="M18.3 14a7.1 7.1 0 0 0-3.6-3.5l-.6-6.9A7 7 '
    '0 0 0 16.9 2H7.1a6.8 6.8 0 0 0 2.8 1.7l-.6 6.9A7.1 7.1 0 0 0 5.7 '
    '14H11v6l1 4 1-4v-6h5.3Z"></path></svg>')
_SVG_CAMERA = Raw(
    '<svg width="18" height="13" viewBox="0 0 18 13"><path d="M18 3.5v8l-1.5 '
    '1.5h-15l-1.5-1.5v-8l1.5-1.5h3.5l2-2h4l2 2h3.5l1.5 1.5z"/></svg>')
_SVG_CHEVRON = Raw(
    '<svg viewBox="-3 -3 30 30" xmlns="http://www.w3.org/2000/svg" '
    'aria-hidden="true"><path fill-rule="evenodd" clip-rule="evenodd" '
    'd="M16.7 1 6.3 11.5v1L16.7 23l1-1L9.3 12l8.4-10z"></path></svg>')


# ---------------------------------------------------------------------------
# page


class _Page:
    def __init__(self, w, page_url, headline, now, relative, site_name):
        self.w = w
        self.url = page_url
        self.headline = headline
        self.now = now
        self.relative = relative
        self.site_name = site_name
        u = urllib.parse.urlsplit(page_url)
        self.root = '%s://%s' % (u.scheme, u.netloc)
        self.path = u.path
        self.assets = 'https://assets.%s.invalid' % \
            (re.sub(r'[^a-z0-9-]', '-', u.hostname or 'site'))

    def c(self, role, real):
        return self.w.cls(role, real)

    def rel(self, d, prefix=''):
        if self.relative:
            return prefix + relative_time(d, self.now)
        return prefix + _dateline(d)

    def permalink(self, post):
        sep = '&' if '?' in self.url else '?'
        return '%s%spage=with:%s#%s' % (self.url, sep, post.id, post.id)

    def share_url(self, cmp, post=None):
        u = '%s?CMP=%s' % (self.url, cmp)
        if post is not None:
            # the real page quotes the colon twice: page%3Dwith%253Ablock-…
            u += '&page=with%%3A%s#%s' % (post.id, post.id)
        return urllib.parse.quote(u, safe='')

    def share_list(self, post, li_role, li_real, mail=False):
        fb = ('https://www.facebook.com/dialog/share?app_id=180444840287'
              '&href=' + self.share_url('share_btn_fb', post))
        tw = ('https://twitter.com/intent/tweet?text=' +
              urllib.parse.quote_plus(self.headline) + '&url=' +
              self.share_url('share_btn_tw', post))
        items = [(fb, 'Share on Facebook', _SVG_FB),
                 (tw, 'Share on Twitter', _SVG_TW)]
        if mail:
            items.append(('mailto:?subject=' +
                          urllib.parse.quote(self.headline) + '&body=' +
                          self.share_url('share_btn_link'),
                          'Share via Email', _SVG_MAIL))
        lis = []
        for href, label, svg in items:
            lis.append(E('li', {'class': self.c(li_role, li_real)},
                         E('a', [('href', href), ('role', 'button'),
                                 ('aria-label', label), ('target', '_blank'),
                                 ('rel', 'noreferrer'),
                                 ('data-ignore', 'global-link-styling')],
                           E('span', {'class': self.c('share-icon',
                                                      'dcr-nviu7f')}, svg))))
        return E('ul', {'class': self.c('share-ul', 'dcr-155lzd6')}, *lis)

    # -- post body -------------------------------------------------------

    def element(self, post, i, el):
        if isinstance(el, str):
            return E('p', {'class': self.c('p', 'dcr-n6w1lc')}, _inline(el))
        kind = el[0]
        if kind == 'quote':
            kids = [Raw('\n ')]
            for j, para in enumerate(el[1]):
                svg = Raw(_SVG_QUOTE.replace(
                    'dcr-cumn2r', self.c('quote-svg', 'dcr-cumn2r')))
                kids.append(E('p', None, svg if j == 0 else None,
                              _inline(para)))
                kids.append(Raw('\n' if j == len(el[1]) - 1 else '\n '))
            return E('blockquote', {'class': self.c('quote', 'dcr-27353m')},
                     *kids)
        if kind == 'list':
            kids = [Raw('\n')]
            for item in el[1]:
                kids.append(Raw(' '))
                kids.append(E('li', None, E('p', None, _inline(item))))
                kids.append(Raw('\n'))
            return E('ul', None, *kids)
        if kind == 'figure':
            cap = el[1]
            credit = el[2] if len(el) > 2 else None
            h = hashlib.sha1((post.id + str(i)).encode()).hexdigest()
            src = '%s/img/media/%s/0_0_4000_2667/master/4000.jpg' % (
                self.assets.replace('assets.', 'i.'), h)
            sources = [E('source', [('srcSet', src + '?width=%d&quality=%d'
                                     '&dpr=%d&s=none' % (wd, q, dpr)),
                                    ('media', media)])
                       for wd, q, dpr, media in (
                           (700, 45, 2, '(min-width: 660px) and '
                            '(-webkit-min-device-pixel-ratio: 1.25)'),
                           (700, 85, 1, '(min-width: 660px)'),
                           (465, 85, 1, '(min-width: 320px)'))]
            img = E('img', [('alt', _plain(cap)),
                            ('src', src + '?width=465&quality=85&dpr=1&s=none'),
                            ('width', '465'), ('height', '310'),
                            ('loading', 'lazy'),
                            ('class', self.c('picture', 'dcr-evn1e9'))])
            figcap = E('figcaption', {'class': self.c('figcap', 'dcr-1d1r6yi')},
                       E('span', {'class': self.c('figcap-icon',
                                                  'dcr-17eagbs')}, _SVG_CAMERA),
                       E('span', {'class': self.c('figcap-text',
                                                  'dcr-1y4fm6e')}, _inline(cap)),
                       (' Photograph: ' + credit) if credit else None)
            return E('figure', [
                ('id', _uuid(post.id, i)),
                ('data-spacefinder-role', 'inline'),
                ('data-spacefinder-type',
                 'model.dotcomrendering.pageElements.ImageBlockElement'),
                ('class', ' ' + self.c('figure', 'dcr-173mewl'))],
                E('div', {'class': self.c('figure-div', 'dcr-1t8m8f2')},
                  E('picture', {'class': self.c('picture', 'dcr-evn1e9')},
                    *sources, img)),
                figcap)
        if kind == 'tweet':
            text, handle = el[1], (el[2] if len(el) > 2 else 'someone')
            eid = _uuid(post.id, i)
            status = int(hashlib.sha1(eid.encode()).hexdigest()[:15], 16)
            turl = 'https://twitter.com/%s/status/%d' % (handle, status)
            inner = ('<blockquote class="nojs-tweet"><p lang="en" dir="ltr">'
                     '%s</p>&mdash; %s (@%s) <a href="%s">%s</a></blockquote>'
                     % (_html.escape(_plain(text), quote=False), handle,
                        handle, turl, _parse_time(post.published)
                        .strftime('%B %d, %Y')))
            props = {'element': {
                '_type': 'model.dotcomrendering.pageElements.TweetBlockElement',
                'html': inner, 'url': turl, 'id': str(status),
                'hasMedia': False, 'role': 'inline',
                'isThirdPartyTracking': False, 'source': 'Twitter',
                'elementId': eid}}
            return E('figure', [
                ('id', eid), ('data-spacefinder-role', 'inline'),
                ('data-spacefinder-type',
                 'model.dotcomrendering.pageElements.TweetBlockElement'),
                ('class', ' ' + self.c('figure', 'dcr-173mewl'))],
                E('gu-island', [('name', 'TweetBlockComponent'),
                                ('deferUntil', 'visible'),
                                ('props', _json(props))],
                  E('div', [('id', 'tweet-container-' + eid),
                            ('class', self.c('tweet', 'dcr-kuntzf'))],
                    Raw(inner))))
        if kind == 'html':
            return Raw(el[1])
        raise ValueError('unknown body element %r' % (kind,))

    def element_html(self, post, i, el):
        """Element markup as CAPI gives it (for carousel props)."""
        w = _Writer(0)
        w.write(self.element(post, i, el))
        out = re.sub(r' class="dcr-[^"]*"', '', w.text())
        out = out.replace('<blockquote>', '<blockquote class="quoted">')
        return re.sub(r'<svg.*?</svg>', '', out)

    def article(self, post, pinned=False):
        pub = _parse_time(post.published)
        link_kids = []
        if not pinned:
            link_kids.append(E('time', [('dateTime', _iso_ms(pub)),
                                        ('data-relativeformat', 'med'),
                                        ('class', self.c('time',
                                                         'dcr-1rl1qsn'))],
                               self.rel(pub)))
        link_kids.append(E('span', {'class': self.c('clock', 'dcr-11d479j')},
                           uk_clock(pub)))
        header = [E('div', {'class': self.c('header-time', 'dcr-1aolral')},
                    E('a', [('href', self.permalink(post)),
                            ('data-ignore', 'global-link-styling'),
                            ('class', self.c('permalink', 'dcr-18ove8v'))],
                      *link_kids))]
        if post.author:
            slug = re.sub(r'[^a-z0-9]+', '-', post.author.lower()).strip('-')
            header.append(E('div', {'class': self.c('byline', 'dcr-dzkvsd')},
                            E('div', {'class': self.c('byline-img',
                                                      'dcr-uae6pk')},
                              E('img', [('src', '%s/img/uploads/%s.png'
                                         '?width=300&quality=85' %
                                         (self.assets.replace('assets.',
                                                              'i.'), slug)),
                                        ('alt', post.author),
                                        ('class', self.c('byline-i',
                                                         'dcr-1gn8rvs'))])),
                            E('span', {'class': self.c('byline-name',
                                                       'dcr-17bj29p')},
                              post.author)))
        if post.title:
            header.append(E('h2', {'class': self.c('h2', 'dcr-e6uddv')},
                            post.title))
        body = [self.element(post, i, el) for i, el in enumerate(post.paras)]
        foot = [self.share_list(post, 'share-li', 'dcr-16rssu9')]
        if post.updated:
            upd = _parse_time(post.updated)
            foot.append(E('div', {'class': self.c('updated', 'dcr-5cfmtg')},
                          E('time', [('dateTime', _iso_ms(upd)),
                                     ('title', 'Last updated ' +
                                      _long_utc(upd))],
                            'Updated at ' + uk_clock(upd))))
        attrs = [] if pinned else [('id', post.id)]
        attrs.append(('class', 'block ' + (
            self.c('pinned-article', 'dcr-v4n3a3') if pinned
            else self.c('article', 'dcr-1r02hz5'))))
        return E('article', attrs,
                 E('header', {'class': self.c('header', 'dcr-88va8u')},
                   *header),
                 *body,
                 E('footer', {'class': self.c('footer', 'dcr-3i7iba')},
                   *foot))

    def pinned(self, post):
        pub = _parse_time(post.published)
        return [
            E('gu-island', [('name', 'EnhancePinnedPost'),
                            ('deferUntil', 'idle'), ('props', '{}'),
                            ('clientOnly', None)]),
            E('div', [('id', 'pinned-post'),
                      ('data-gu-marker', 'pinned-post'),
                      ('data-component', 'pinned-post'),
                      ('class', self.c('pinned', 'dcr-x2q1t5'))],
              E('input', [('type', 'checkbox'), ('id', 'pinned-post-checkbox'),
                          ('name', 'pinned-post-checkbox'),
                          ('tabIndex', '-1'),
                          ('class', self.c('pinned-cb', 'dcr-11n52fl'))]),
              E('div', {'class': self.c('pinned-head', 'dcr-q710xs')},
                _SVG_PIN,
                E('time', [('data-relativeformat', 'med'),
                           ('class', self.c('pinned-time', 'dcr-1pwugab'))],
                  self.rel(pub, 'From '))),
              E('div', [('id', 'collapsible-body'),
                        ('class', self.c('pinned-body', 'dcr-1axsptg'))],
                self.article(post, pinned=True)),
              E('div', [('id', 'pinned-post-overlay'),
                        ('class', self.c('pinned-ov', 'dcr-1aa19p5'))]),
              E('label', [('for', 'pinned-post-checkbox'),
                          ('id', 'pinned-post-button'),
                          ('class', self.c('pinned-btn', 'dcr-xytiqj'))],
                E('span', [('id', 'svgminus'),
                           ('class', self.c('pinned-svg', 'dcr-yhdhkr'))],
                  _SVG_CHEVRON),
                E('span', [('id', 'svgplus'),
                           ('class', self.c('pinned-svg', 'dcr-yhdhkr'))],
                  _SVG_CHEVRON)))]

    # -- key events -------------------------------------------------------

    def key_events(self, posts, which):
        kes = [p for p in posts if p.key_event]
        if not kes:
            return None
        first = min(_parse_time(p.published) for p in posts)
        last = max(_newest(p) for p in posts)
        props = {'keyEvents': [], 'filterKeyEvents': False,
                 'format': {'display': 0, 'theme': 0, 'design': 10}}
        cards = []
        for n, p in enumerate(kes):
            pub = _parse_time(p.published)
            upd = _parse_time(p.updated) if p.updated else pub
            title = p.title or (_plain(p.paras[0])[:60]
                                if p.paras and isinstance(p.paras[0], str)
                                else 'Key event')
            props['keyEvents'].append({
                'id': p.hex_id,
                'elements': [{
                    '_type': 'model.dotcomrendering.pageElements.' + (
                        'BlockquoteBlockElement'
                        if not isinstance(el, str) and el[0] == 'quote'
                        else 'TextBlockElement'),
                    'html': self.element_html(p, i, el),
                    'elementId': _uuid(p.id, 'el', i)}
                    for i, el in enumerate(p.paras)
                    if isinstance(el, str) or el[0] in ('quote', 'list')],
                'attributes': {'pinned': False, 'keyEvent': True,
                               'summary': bool(p.summary)},
                'blockCreatedOn': _ms(pub) - 120000,
                'blockCreatedOnDisplay': uk_clock(pub - _dt.timedelta(
                    minutes=2)),
                'blockLastUpdated': _ms(upd),
                'blockLastUpdatedDisplay': uk_clock(upd),
                'blockFirstPublished': _ms(pub),
                'blockFirstPublishedDisplay': uk_clock(pub),
                'blockFirstPublishedDisplayNoTimezone':
                    uk_clock(pub).split('\u00a0')[0],
                'title': title,
                'contributors': [],
                'primaryDateLine': _dateline(last),
                'secondaryDateLine': 'First published on ' + _dateline(first),
            })
            cards.append(E('li', {'class': self.c('ke-li', 'dcr-4y0299')},
                           E('a', [('href', '?filterKeyEvents=false&page=with:'
                                    '%s#%s' % (p.id, p.id)),
                                   ('data-link-name', 'key event card | %d of '
                                    '%d' % (n, len(kes))),
                                   ('class', self.c('ke-a', 'dcr-9cuhvc'))],
                             E('time', [('dateTime', _iso_ms(pub)),
                                        ('data-relativeformat', 'med'),
                                        ('title', _long_utc(pub)),
                                        ('class', self.c('ke-time',
                                                         'dcr-1kz62i8'))],
                               self.rel(pub)),
                             E('div', {'class': self.c('ke-title',
                                                       'dcr-1mv3fpl')},
                               title))))
        props['id'] = 'key-events-carousel-' + which
        buttons = E('span', {'class': self.c('ke-buttons', 'dcr-14f8c26')},
                    *[E('button', [('type', 'button'),
                                   ('aria-live', 'polite'),
                                   ('aria-label', 'Move key events carousel '
                                    + d),
                                   ('data-link-name', 'key event carousel %s '
                                    'chevron' % side),
                                   ('class', self.c('ke-btn-' + side,
                                                    'dcr-dnk1w9'))],
                              E('span', {'class': self.c('sr', 'dcr-sy54ny')}),
                              _SVG_CHEVRON)
                      for d, side in (('backwards', 'left'),
                                      ('forwards', 'right'))])
        attrs = [('name', 'KeyEventsCarousel')]
        if which == 'mobile':
            attrs.append(('deferUntil', 'visible'))
        attrs.append(('props', _json(props)))
        return E('gu-island', attrs,
                 E('span', {'id': 'key-events-carousel-' + which}),
                 E('span', {'class': self.c('ke-label-wrap', 'dcr-90inr0')},
                   E('div', {'class': self.c('ke-label', 'dcr-1wa91kd')},
                     'Key events')),
                 E('div', [('id', 'key-events-carousel'),
                           ('class', self.c('ke-carousel', 'dcr-1bj6yr8'))],
                   E('ul', {'class': self.c('ke-ul', 'dcr-1mdwrhd')}, *cards),
                   buttons))

    def filter_toggle(self, which, n):
        comp = 'src-component-%d' % (2340672 + n)
        return E('gu-island', [('name', 'FilterKeyEventsToggle'),
                               ('deferUntil', 'visible'),
                               ('props', _json({'filterKeyEvents': False,
                                                'id': 'filter-toggle-' +
                                                which}))],
                 E('span', {'id': 'filter-toggle-' + which}),
                 E('div', {'class': self.c('ft', 'dcr-7qqxv')},
                   E('label', [('id', comp + '_description'),
                               ('data-component', 'filter-key-events'),
                               ('data-link-name', 'filter-key-events-on'),
                               ('class', self.c('ft-label', 'dcr-1y0318b'))],
                     E('button', [('id', comp), ('role', 'switch'),
                                  ('aria-checked', 'false'),
                                  ('aria-labelledby', comp + '_description'),
                                  ('class', self.c('ft-btn', 'dcr-1ek8ihj'))]),
                     'Show key events only',
                     E('div', {'class': 'tooltiptext ' +
                               self.c('ft-tip', 'dcr-1fk4yb1')},
                       E('span', None, 'Please turn on JavaScript to use '
                         'this feature')))))

    def pagination(self, shown, older, older_link):
        total_pages = 1
        if older:
            total_pages += (len(older) + len(shown) - 1) // max(len(shown), 1)
        nav_a = self.c('nav-a', 'dcr-1l69x7')

        def label(text):
            return E('span', {'class': self.c('sr', 'dcr-sy54ny')}, text)

        newer = E('section', {'class': self.c('nav-sec', 'dcr-1wrpvxi')},
                  E('span', {'class': self.c('nav-wide', 'dcr-1r17n9t')},
                    E('a', {'class': nav_a}, label('Newest'), _SVG_CHEVRON)),
                  E('div', {'class': self.c('nav-gap', 'dcr-1b2jyad')}),
                  E('a', {'class': nav_a}, label('Previous'), _SVG_CHEVRON))
        count = E('section', {'class': self.c('nav-mid', 'dcr-1sjq17q')},
                  E('div', {'class': self.c('nav-count', 'dcr-9h4nom')},
                    E('div', {'class': self.c('nav-n', 'dcr-j2fgfz')}, '1'),
                    E('span', None, ' of '),
                    E('div', {'class': self.c('nav-n', 'dcr-j2fgfz')},
                      str(total_pages))))
        older_kids = []
        if older or older_link:
            nxt = older_link or ('?page=with:%s&filterKeyEvents=false' %
                                 older[0].id)
            oldest = ('?page=with:%s&filterKeyEvents=false' % older[-1].id
                      if older else nxt)
            older_kids = [
                E('a', [('href', nxt), ('class', nav_a)], label('Next'),
                  _SVG_CHEVRON),
                E('div', {'class': self.c('nav-gap', 'dcr-1b2jyad')}),
                E('span', {'class': self.c('nav-wide', 'dcr-1r17n9t')},
                  E('a', [('href', oldest), ('class', nav_a)],
                    label('Oldest'), _SVG_CHEVRON))]
        return E('nav', [('id', 'liveblog-navigation'),
                         ('class', self.c('nav', 'dcr-ga285w'))],
                 newer, count,
                 E('section', {'class': self.c('nav-mid', 'dcr-1sjq17q')},
                   *older_kids))


def _json(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(',', ':'))


def _newest(p):
    t = _parse_time(p.published)
    if p.updated:
        t = max(t, _parse_time(p.updated))
    return t


def _publisher(site_name, root, assets):
    return {'@type': 'Organization', '@context': 'https://schema.org',
            '@id': root + '#publisher', 'name': site_name, 'url': root + '/',
            'logo': {'@type': 'ImageObject',
                     'url': assets + '/logo.png', 'width': 190, 'height': 60}}


def render_blog(posts, page_url, headline, pinned=None, relative_times=True,
                now=None, classes_seed=0, page_size=None, older_link=None,
                jsonld=True, site_name='The Guardian', standfirst=None,
                authors=None, section='World news', series='Ukraine war live'):
    """Return the page as a str (UTF-8 when encoded).  See the module doc."""
    posts = list(posts)
    ids = [p.id for p in posts]
    if len(set(ids)) != len(ids):
        raise ValueError('duplicate post ids')
    if not posts:
        raise ValueError('a live blog needs at least one post')
    all_posts = posts
    shown, older = posts, []
    if page_size is not None and len(posts) > page_size:
        shown, older = posts[:page_size], posts[page_size:]
    newest = max(_newest(p) for p in all_posts)
    first = min(_parse_time(p.published) for p in all_posts)
    now = _parse_time(now) if now is not None else \
        newest + _dt.timedelta(minutes=4)
    w = _Writer(classes_seed)
    pg = _Page(w, page_url, headline, now, relative_times, site_name)
    c = pg.c
    authors = list(authors or sorted({p.author for p in all_posts
                                      if p.author}) or ['Staff'])
    if standfirst is None:
        standfirst = 'Latest updates as they happen'

    # -- head ---------------------------------------------------------------
    ld = None
    if jsonld:
        publisher = _publisher(site_name, pg.root, pg.assets)
        image = [pg.assets.replace('assets.', 'i.') + '/img/media/lead.jpg'
                 '?width=1200&height=630']
        author = [{'@type': 'Person', 'name': a,
                   'sameAs': '%s/profile/%s' % (
                       pg.root, re.sub(r'[^a-z0-9]+', '-', a.lower()))}
                  for a in authors]
        page_date = _iso_ms(newest)
        common = {'isAccessibleForFree': True, 'image': image,
                  'author': author, 'datePublished': page_date,
                  'headline': headline, 'dateModified': page_date,
                  'mainEntityOfPage': page_url}
        updates = []
        for p in shown:
            u = {'@type': 'BlogPosting', '@context': 'http://schema.org',
                 '@id': p.hex_id, 'publisher': publisher}
            u.update(common)
            u['articleBody'] = p.plain_text()[:1000]
            updates.append(u)
        lbp = {'@type': 'LiveBlogPosting', '@context': 'http://schema.org',
               '@id': page_url, 'publisher': publisher}
        lbp.update(common)
        lbp['coverageStartTime'] = newest.strftime('%Y-%m-%dT%H:%M:%S+0000')
        lbp['coverageEndTime'] = newest.strftime('%Y-%m-%dT%H:%M:%S+0000')
        lbp['liveBlogUpdate'] = updates
        webpage = {'@type': 'WebPage', '@context': 'https://schema.org',
                   '@id': page_url,
                   'potentialAction': {'@type': 'ViewAction',
                                       'target': 'android-app://'
                                       'com.example/' + page_url}}
        ld = _json([lbp, webpage]).replace('</', '<\\/')

    config = {'config': {'isDotcomRendering': True, 'stage': 'PROD',
                         'page': {'contentType': 'LiveBlog',
                                  'headline': headline,
                                  'pageId': pg.path.strip('/'),
                                  'section': 'world',
                                  'webPublicationDate': _ms(first),
                                  'isLive': True}}}
    head = E('head', None,
             Raw('\n'),
             E('title', None, '%s | %s | %s' % (headline, 'Ukraine',
                                                site_name)),
             E('meta', [('name', 'description'), ('content', standfirst)]),
             E('link', [('rel', 'canonical'), ('href', page_url)]),
             E('meta', [('charset', 'utf-8')]),
             E('meta', [('name', 'viewport'),
                        ('content', 'width=device-width,minimum-scale=1,'
                         'initial-scale=1')]),
             E('meta', [('name', 'theme-color'), ('content', '#052962')]),
             E('link', [('rel', 'preconnect'), ('href', pg.assets + '/')]),
             (E('script', [('type', 'application/ld+json')],
                Raw('\n                    \t\t\t' + ld + '\n'))
              if ld else None),
             E('meta', [('property', 'og:url'), ('content', page_url)]),
             E('meta', [('property', 'og:title'), ('content', headline)]),
             E('meta', [('property', 'og:description'),
                        ('content', standfirst)]),
             E('meta', [('property', 'og:type'), ('content', 'article')]),
             E('meta', [('property', 'og:site_name'), ('content', site_name)]),
             E('meta', [('property', 'article:published_time'),
                        ('content', _iso_ms(first))]),
             E('meta', [('property', 'article:modified_time'),
                        ('content', _iso_ms(newest))]),
             E('meta', [('property', 'article:section'), ('content', section)]),
             E('meta', [('name', 'robots'), ('content', 'max-image-preview:'
                                                        'large')]),
             E('script', None, Raw('\n                    window.guardian = '
                                   + _json(config).replace('</', '<\\/') +
                                   ';\n                ')),
             E('script', None, Raw('(()=>{try{const k="bork-fcp-";const h='
                                   'window.location.hash.substring(1);if(h.'
                                   'startsWith(k)){window.__fcp=h}}catch(e)'
                                   '{}})();')),
             E('style', None, Raw(
                 'body{margin:0 auto;max-width:760px;font-family:Georgia,'
                 'serif;padding:0 12px}svg{width:16px;height:16px;'
                 'vertical-align:middle}nav ul,footer ul,#key-events-carousel'
                 ' ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;'
                 'gap:10px}#key-events-carousel li{max-width:170px}'
                 '.block{border-top:1px solid #052962;margin:14px 0;'
                 'padding:4px 0}time{color:#707070;margin-right:6px}'
                 'blockquote{color:#333;margin-left:1em}'
                 'article header img{width:32px;height:32px}'
                 'figure img{display:block;width:100%;height:auto;'
                 'min-height:120px;background:#dcdcdc}'
                 'figcaption{font-size:14px;color:#555}'
                 '#pinned-post{border:2px solid #052962;padding:6px}'
                 '#pinned-post input,#pinned-post label,button{display:none}'
                 'h1{font-size:32px}')))

    # -- body chrome --------------------------------------------------------
    skip = c('skip', 'dcr-vg6br7')
    sections = ['News', 'Opinion', 'Sport', 'Culture', 'Lifestyle']
    nav = E('nav', {'class': c('nav-top', 'dcr-qmgzha')},
            E('div', [('data-component', 'nav2'),
                      ('class', c('nav2', 'dcr-1d2nshl'))],
              E('ul', {'class': c('nav-ul', 'dcr-1i6hdme')},
                *[E('li', {'class': c('nav-li', 'dcr-1q8eqvh')},
                    E('a', [('href', '%s/%s' % (pg.root, s.lower())),
                            ('data-link-name', 'nav2 : primary : ' + s),
                            ('class', c('nav-link', 'dcr-m8ce6r'))], s))
                  for s in sections])))
    top = E('div', [('data-print-layout', 'hide')],
            E('div', {'class': c('top', 'dcr-96qguc')},
              E('header', {'class': c('top-header', 'dcr-1uyetce')},
                E('div', {'class': c('top-bar', 'dcr-1s8spa1')},
                  E('a', [('href', pg.root + '/'),
                          ('data-link-name', 'nav3 : logo')],
                    E('span', {'class': c('sr', 'dcr-sy54ny')},
                      site_name + ' - Back to home')))),
              nav))

    byline = []
    for i, a in enumerate(authors):
        if i:
            byline.append(E('span', None,
                            ' and ' if i == len(authors) - 1 else ', '))
        byline.append(E('a', [('rel', 'author'),
                              ('data-link-name', 'auto tag link'),
                              ('href', '%s/profile/%s' % (
                                  pg.root, re.sub(r'[^a-z0-9]+', '-',
                                                  a.lower())))], a))
    last_upd = E('div', [('data-gu-name', 'lastupdated'),
                         ('class', c('lastupd', 'dcr-1jnl7o3'))],
                 E('span', {'class': c('ke-buttons', 'dcr-14f8c26')},
                   E('div', {'class': c('live', 'dcr-1o1toi9')},
                     E('span', {'class': c('live-label', 'dcr-lraoxj')},
                       E('span', [('data-flashing-dot-hydrated', 'false'),
                                  ('data-animate', 'false'),
                                  ('class', c('dot', 'dcr-vvl2on'))]),
                       'LIVE'),
                     ' Updated ',
                     E('time', [('dateTime', _js_date(newest)),
                                ('data-relativeformat', 'med'),
                                ('data-gu-marker', 'liveblog-last-updated')],
                       pg.rel(newest)))))
    heading = E('section', {'class': c('heading', 'dcr-is76fz')},
                E('div', {'class': c('heading-in', 'dcr-udx7os')},
                  E('div', [('data-gu-name', 'title'),
                            ('class', c('title', 'dcr-ien304'))],
                    E('a', [('href', pg.root + '/world/series/ukraine-live'),
                            ('data-component', 'series'),
                            ('data-link-name', 'article series'),
                            ('class', c('series', 'dcr-qe05oz'))],
                      E('span', None, series))),
                  E('div', [('data-gu-name', 'headline'),
                            ('class', c('headline', 'dcr-1djovmt'))],
                    E('h1', {'class': c('h1', 'dcr-19yp156')}, headline))))
    meta = E('section', {'class': c('meta-sec', 'dcr-jtnoyd')},
             E('div', {'class': c('heading-in', 'dcr-udx7os')},
               E('div', [('data-gu-name', 'standfirst'),
                         ('class', c('standfirst', 'dcr-1yi1cnj'))],
                 E('div', {'class': ' ' + c('standfirst-in', 'dcr-10fotlp')},
                   E('p', None, standfirst))),
               last_upd,
               E('div', [('data-gu-name', 'meta'),
                         ('class', c('meta', 'dcr-1rbr3jc'))],
                 E('address', [('aria-label', 'Contributor info'),
                               ('data-component', 'meta-byline'),
                               ('data-link-name', 'byline')],
                   E('div', {'class': ' ' + c('byline-wrap', 'dcr-3vwzu1')},
                     *byline)),
                 E('details', {'class': c('dates', 'dcr-ckbr6x')},
                   E('summary', {'class': c('dates-s', 'dcr-1ybxn6r')},
                     E('span', {'class': c('dates-d', 'dcr-u0h1qy')},
                       _dateline(newest))),
                   'First published on ' + _dateline(first)),
                 E('div', [('data-print-layout', 'hide'),
                           ('class', c('meta-share', 'dcr-9dgpdq'))],
                   pg.share_list(None, 'meta-share-li', 'dcr-1431toe',
                                 mail=True)))))
    desktop_ke = pg.key_events(all_posts, 'desktop')
    ke_section = E('section', {'class': c('ke-sec', 'dcr-nosp2s')},
                   E('div', {'class': c('ke-sec-in', 'dcr-1v397f0')},
                     E('span', {'class': c('ke-buttons', 'dcr-14f8c26')},
                       desktop_ke))) if desktop_ke else None

    blog = []
    if pinned is not None:
        blog.extend(pg.pinned(pinned))
    mobile_ke = pg.key_events(all_posts, 'mobile')
    blog.append(E('span', {'class': c('ke-label-wrap', 'dcr-90inr0')},
                  mobile_ke, pg.filter_toggle('mobile', 2)))
    blog.append(E('div', {'id': 'top-of-blog'}))
    blog.extend(pg.article(p) for p in shown)
    blog.append(E('gu-island', [('name', 'LiveBlogEpic'),
                                ('props', _json({'section': 'world',
                                                 'pageId': pg.path.strip('/')
                                                 })),
                                ('clientOnly', None)]))
    liveblog = E('div', [('id', 'liveblog-body'),
                         ('class', 'js-liveblog-body ' +
                          c('liveblog', 'dcr-3f6611'))], *blog)

    feed = E('details', [('open', None), ('class', c('feed', 'dcr-1m9o5vo'))],
             E('summary', {'class': c('feed-s', 'dcr-egdqt0')},
               E('h2', {'class': c('feed-h2', 'dcr-18a36k3')}, 'Live feed')),
             E('div', {'class': c('feed-1', 'dcr-re5y45')},
               E('div', {'class': c('feed-2', 'dcr-g28ixu')},
                 liveblog,
                 pg.pagination(shown, older, older_link))))
    liveness = E('gu-island', [('name', 'Liveness'), ('deferUntil', 'idle'),
                               ('props', _json({
                                   'pageId': pg.path.strip('/'),
                                   'webTitle': headline,
                                   'filterKeyEvents': False,
                                   'onFirstPage': True,
                                   'webURL': page_url,
                                   'mostRecentBlockId': shown[0].id,
                                   'hasPinnedPost': pinned is not None})),
                               ('clientOnly', None)])
    body_sec = E('section', {'class': c('body-sec', 'dcr-1mvzvvf')},
                 E('div', [('data-gu-name', 'body'),
                           ('class', c('body', 'dcr-6ufhd0'))],
                   E('div', [('id', 'maincontent'),
                             ('class', c('maincontent', 'dcr-1bh5dtb'))],
                     E('span', {'class': c('ke-buttons', 'dcr-14f8c26')},
                       pg.filter_toggle('desktop', 1)),
                     feed)),
                 E('div', [('data-gu-name', 'right-column'),
                           ('class', c('right', 'dcr-1a7vyu'))]))
    onwards = E('section', [('data-link-name', 'more-on-this-story'),
                            ('class', c('onwards', 'dcr-1o2ayvo'))],
                E('h2', None, 'More on this story'),
                E('ul', None,
                  *[E('li', None,
                      E('a', [('href', '%s/world/%s' % (pg.root, slug))],
                        E('span', None, text)),
                      E('time', [('dateTime', _iso_ms(first -
                                                      _dt.timedelta(days=d)))],
                        '%dd ago' % d))
                    for d, slug, text in (
                        (1, 'yesterday-live', 'What happened yesterday'),
                        (2, 'explainer', 'The war at a glance'))]))
    main = E('main', [('data-layout', 'LiveLayout')],
             heading, meta, ke_section,
             E('div', None, E('div', {'id': 'toast-root'}), liveness,
               body_sec, onwards))
    footer = E('footer', {'class': c('footer-page', 'dcr-7uij7i')},
               E('div', [('data-link-name', 'footer'),
                         ('data-component', 'footer'),
                         ('class', c('footer-in', 'dcr-1qjgw7t'))],
                 E('ul', None,
                   *[E('li', None, E('a', [('href', '%s/%s' % (pg.root, s))],
                                     t))
                     for s, t in (('about', 'About us'),
                                  ('help', 'Help'),
                                  ('privacy', 'Privacy policy'))]),
                 E('div', {'class': c('copyright', 'dcr-1j9f4wx')},
                   '\u00a9 %d %s' % (newest.year, site_name))))
    scripts = [E('script', [('type', 'module'),
                            ('src', pg.assets + '/assets/index.modern.js')]),
               E('script', [('defer', None), ('nomodule', None),
                            ('src', pg.assets + '/assets/index.legacy.js')])]
    body = E('body', None,
             Raw('\n                '),
             E('a', [('href', '#maincontent'), ('class', skip)],
               'Skip to main content'),
             E('gu-island', [('name', 'FocusStyles'), ('deferUntil', 'idle'),
                             ('props', '{}'), ('clientOnly', None)]),
             E('a', [('href', '#key-events-carousel'), ('class', skip)],
               'Skip to key events'),
             top, main, footer, *scripts)
    doc = E('html', [('lang', 'en')], head, body)
    w.write(doc)
    return '<!doctype html>\n        ' + w.text() + '\n'


def _self_test():
    """TAP self-test: python3 tests/lwblog.py --self-test"""
    from html.parser import HTMLParser

    class Tree(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.articles, self.errors = [], [], []
            self.ld = []
            self._in_ld = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            ids = [x[1].get('id') for x in self.stack]
            if tag == 'article':
                self.articles.append((a.get('id'), 'pinned-post' in ids,
                                      'liveblog-body' in ids))
            self._in_ld = tag == 'script' and \
                a.get('type') == 'application/ld+json'
            if tag not in _VOID:
                self.stack.append((tag, a))

        def handle_data(self, data):
            if self._in_ld:
                self.ld.append(data)

        def handle_endtag(self, tag):
            self._in_ld = False
            if tag in _VOID:
                return
            if not self.stack or self.stack[-1][0] != tag:
                self.errors.append('</%s> at %s' % (tag, self.getpos()))
                return
            self.stack.pop()

    def parse(text):
        t = Tree()
        t.feed(text)
        t.close()
        return t

    rel = re.compile(r'>(From )?(now|\d+[mhd] ago)<')
    posts = [Post(published='2023-02-14T%02d:%02d:00Z' % (8 + m // 60, m % 60),
                  seed=m, title=('Title %d' % m) if m % 2 else None,
                  paras=['Para **%d** & <b>not markup</b>.' % m,
                         ('quote', ['Q1', 'Q2']), ('list', ['a', 'b']),
                         ('figure', 'Cap', 'Agency'), ('tweet', 'Hi', 'h')],
                  key_event=m % 3 == 0,
                  updated=('2023-02-14T18:00:00Z' if m == 105 else None))
             for m in range(600, 0, -45)]
    url = 'http://127.0.0.1:1/live'
    from lwtest import Tap
    tap = Tap()

    def check(name, cond):
        tap.result(bool(cond), name)

    a = render_blog(posts, url, 'H', now='2023-02-14T19:00:00Z')
    b = render_blog(posts, url, 'H', now='2023-02-14T21:30:00Z')
    check('deterministic',
          a == render_blog(posts, url, 'H', now='2023-02-14T19:00:00Z'))
    check('only relative times differ with now',
          a != b and rel.sub('>X<', a) == rel.sub('>X<', b))
    ta = parse(a)
    check('balanced tags', not ta.errors and not ta.stack)
    check('articles in order',
          [x[0] for x in ta.articles] == [p.id for p in posts])
    check('articles inside liveblog-body', all(x[2] for x in ta.articles))
    check('ids look like guardian ids',
          all(re.fullmatch(r'block-[0-9a-f]{24}', p.id) for p in posts))
    check('text escaped', '&lt;b&gt;not markup&lt;/b&gt;' in a and
          '<strong>600</strong>' in a)
    check('updated footer', 'Updated at 18.00\u00a0GMT' in a)
    ld = json.loads(''.join(ta.ld))[0]
    check('json-ld quirks', [u['@id'] for u in ld['liveBlogUpdate']] ==
          [p.hex_id for p in posts] and
          all(u['headline'] == 'H' and u['datePublished'] ==
              ld['datePublished'] for u in ld['liveBlogUpdate']))
    c = render_blog(posts, url, 'H', now='2023-02-14T19:00:00Z',
                    classes_seed=7)
    tc = parse(c)
    check('classes_seed changes markup only',
          c != a and not tc.errors and tc.articles == ta.articles and
          re.findall(r'>([^<>]+)<', c.replace('\n', '').replace(' ', ''))
          == re.findall(r'>([^<>]+)<', a.replace('\n', '').replace(' ', ''))
          and set(re.findall(r'dcr-[0-9a-z]+', c)).isdisjoint(
              re.findall(r'dcr-[0-9a-z]+', a)))
    p = render_blog(posts, url, 'H', pinned=posts[3], page_size=5)
    tp = parse(p)
    check('page_size keeps the newest',
          [x[0] for x in tp.articles if x[0]] == [q.id for q in posts[:5]])
    check('pinned copy has no id',
          [x for x in tp.articles if x[1]] == [(None, True, True)])
    check('older link', '?page=with:%s&amp;filterKeyEvents=false' %
          posts[5].id in p)
    odd = render_blog([Post(id='../"x"<', paras=['z'])], url, 'H')
    check('hostile id escaped', 'id="../&quot;x&quot;&lt;"' in odd)
    check('body_text', posts[0].text_lines() ==
          ['Para 600 & <b>not markup</b>.', '> Q1', '> Q2', '- a', '- b',
           'Cap Photograph: Agency', '> Hi'])
    check('clock', uk_clock('2023-07-01T11:05:00Z', nbsp=False) ==
          '12.05 BST' and uk_clock('2023-02-14T11:05:00Z', nbsp=False) ==
          '11.05 GMT')
    check('relative', [relative_time('2023-02-14T10:00:00Z', n) for n in (
        '2023-02-14T10:00:30Z', '2023-02-14T10:04:59Z',
        '2023-02-14T12:59:00Z', '2023-02-16T10:00:00Z')] ==
        ['now', '4m ago', '2h ago', '2d ago'])
    return tap.finish()


if __name__ == '__main__':
    # A quick look: python3 tests/lwblog.py > /tmp/blog.html
    import sys
    if sys.argv[1:] == ['--self-test']:
        sys.exit(_self_test())
    ps = [Post(published='2023-02-14T10:%02d:00Z' % m, seed=m,
               title='Post at minute %d' % m if m % 2 else None,
               paras=['Paragraph for minute %d.' % m,
                      ('quote', ['A quoted line.'])],
               key_event=(m == 30))
          for m in (50, 40, 30, 20, 10)]
    sys.stdout.write(render_blog(ps, 'http://127.0.0.1:8000/live',
                                 'Example live blog', pinned=ps[2],
                                 page_size=4))
