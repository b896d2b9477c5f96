#!/usr/bin/env python3
"""Extraction against a real browser: headless Chromium reads the same
pages and says what a reader sees in each post; livewatch's entries must
agree with it.

For every entry `livewatch extract --json` finds on a page, a script
injected into the page finds the post in Chromium's DOM by its id and
takes the innerText (the text as rendered: CSS-hidden parts left out,
HTML5 parsing, the browser's own charset decoding) of the post's content,
with any post nested inside it hidden.  Then, word by word:

  - the entries are the posts the browser sees (article#block-… and
    div.block#block-… outside the pinned post), in the same order;
  - the entry's body is a subsequence of the browser's text: livewatch
    never invents, reorders or mis-decodes a word;
  - it covers at least 97% of the browser's words: nothing a reader sees
    is lost (video durations and the like may be left out);
  - the title is a subsequence of the text the browser shows in the post.

Pages: the real Guardian live blog (when ../shared is there), our own
fixtures of each HTML markup, and broken markup where libxml2 and an
HTML5 parser could disagree.  Skips, saying why, without Chromium.
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import difflib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lwblog import Post, render_blog  # noqa: E402
from lwtest import LW_BIN, Skip, check, eq, run_tests  # noqa: E402

DATA = os.path.join(HERE, 'data', 'extract')
REAL = os.environ.get('LW_FIXTURES_REAL', os.path.join(HERE, '..', '..', 'shared', 'fixtures', 'real'))
MIN_COVERAGE = 0.97

# Runs at the end of the page: for each id, the post's rendered text.
PROBE = r'''
<script>
(function () {
  var ids = JSON.parse(document.getElementById('lw-ids').textContent);
  var out = {};
  function region(a) {
    var be = a.querySelector('.block-elements');
    if (be) return [be];
    var header = null, footer = null, c;
    for (c = a.firstElementChild; c; c = c.nextElementSibling) {
      if (!header && c.tagName == 'HEADER') header = c;
      else if (!footer && c.tagName == 'FOOTER') footer = c;
    }
    if (!header && !footer) return [a];
    var nodes = [];
    for (c = header ? header.nextSibling : a.firstChild; c && c != footer; c = c.nextSibling)
      nodes.push(c);
    return nodes;
  }
  ids.forEach(function (id) {
    var a = document.getElementById(id);
    if (!a) { out[id] = null; return; }
    var hidden = [];
    ids.forEach(function (other) {
      var o = document.getElementById(other);
      if (o && o !== a && a.contains(o)) { hidden.push([o, o.style.display]); o.style.display = 'none'; }
    });
    var parts = region(a).map(function (n) {
      return n.nodeType == 1 ? n.innerText : (n.nodeType == 3 ? n.textContent : '');
    });
    out[id] = { body: parts.join('\n'), whole: a.innerText };
    hidden.forEach(function (h) { h[0].style.display = h[1]; });
  });
  out['\u0000page'] = document.body.innerText;
  out['\u0000posts'] = Array.prototype.filter.call(
      document.querySelectorAll('article[id^="block-"], div.block[id^="block-"]'),
      function (a) { return !a.closest('#pinned-post'); }
  ).map(function (a) { return a.id; });
  var pre = document.createElement('pre');
  pre.id = 'lw-out';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
'''


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    return None


def extract(path):
    r = subprocess.run([LW_BIN, 'extract', '--json', path], capture_output=True, timeout=60)
    eq(r.returncode, 0, 'livewatch extract %s: %s' % (path, r.stderr.decode(errors='replace')))
    return [json.loads(line) for line in r.stdout.decode().splitlines()]


def browse(path, ids, tmp):
    """What Chromium shows of each post of the page at path."""
    with open(path, 'rb') as f:
        raw = f.read()
    probe = ('<script type="application/json" id="lw-ids">%s</script>%s'
             % (json.dumps(ids).replace('</', '<\\/'), PROBE)).encode('ascii')
    # after the last </body>, or at the end: either way, after the posts
    cut = raw.rfind(b'</body>')
    page = raw[:cut] + probe + raw[cut:] if cut >= 0 else raw + probe
    probed = os.path.join(tmp, 'probed-' + os.path.basename(path))
    with open(probed, 'wb') as f:
        f.write(page)
    r = subprocess.run([chromium(), '--headless', '--no-sandbox', '--disable-gpu',
                        '--no-first-run', '--user-data-dir=' + os.path.join(tmp, 'profile'),
                        '--virtual-time-budget=2000', '--dump-dom', 'file://' + probed],
                       capture_output=True, timeout=120, env=dict(os.environ, HOME=tmp))
    dom = r.stdout.decode('utf-8', 'replace')
    m = re.search(r'<pre id="lw-out">(.*?)</pre>', dom, re.S)
    check(m, 'Chromium gave no answer for %s (status %d): %s'
          % (path, r.returncode, r.stderr.decode(errors='replace')[-2000:]))
    return json.loads(html.unescape(m.group(1)))


INVISIBLE = dict.fromkeys(map(ord, '\u00ad\u200b\u200c\u200d\u2060\ufeff'))


EMBED_LINE = re.compile(r'^(Tweet|Instagram post|Facebook post|YouTube video|TikTok video): '
                        r'https?://\S+$', re.M)


def words(text):
    # livewatch's own line marks for quotes and list items, and its lines
    # naming an embed's link (a reader sees the embed, not its address);
    # characters nobody sees (soft hyphens, zero-width spaces), which
    # livewatch drops
    text = EMBED_LINE.sub('', text or '')
    text = re.sub(r'^(> |- |\d+\. )', '', text, flags=re.M)
    return text.translate(INVISIBLE).split()


def is_subsequence(small, big):
    it = iter(big)
    return all(w in it for w in small)


def show_diff(ours, theirs):
    d = difflib.unified_diff(theirs, ours, 'browser', 'livewatch', lineterm='', n=3)
    return '\n'.join(list(d)[:60])


def compare(path, coverage=True, same_ids=True):
    """Checks livewatch's entries of path against Chromium's view of it."""
    entries = extract(path)
    check(entries, '%s: no entries' % path)
    tmp = tempfile.mkdtemp(prefix='lw-browser-')
    try:
        seen = browse(path, [e['id'] for e in entries], tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    page_words = words(seen['\u0000page'])
    if seen['\u0000posts'] and same_ids:
        eq([e['id'] for e in entries], seen['\u0000posts'],
           '%s: the posts, in order, as the browser sees them' % path)
    for e in entries:
        got = seen.get(e['id'])
        ours = words(e['body'])
        if got is None:
            # an entry without an element (an article's canonical id):
            # its text is still the page's text
            check(is_subsequence(ours, page_words),
                  '%s: entry %s: text the browser does not show:\n%s'
                  % (path, e['id'], show_diff(ours, page_words)))
            continue
        theirs = words(got['body'])
        check(is_subsequence(ours, theirs),
              '%s: entry %s: words the browser does not show there:\n%s'
              % (path, e['id'], show_diff(ours, theirs)))
        if coverage and theirs:
            share = len(ours) / len(theirs)
            check(share >= MIN_COVERAGE,
                  '%s: entry %s: %d of the browser\'s %d words (%.1f%%):\n%s'
                  % (path, e['id'], len(ours), len(theirs), 100 * share,
                     show_diff(ours, theirs)))
        check(is_subsequence(words(e['title']), words(got['whole'])),
              '%s: entry %s: title %r is not what the browser shows'
              % (path, e['id'], e['title']))
    return entries


def need_browser():
    if not chromium():
        raise Skip('no Chromium (tools/bootstrap.sh test installs it)')


def test_real_guardian_live_blog():
    need_browser()
    path = os.path.join(REAL, 'guardian-dcr-liveblog-2023-05-15-russia-ukraine-war.html')
    if not os.path.exists(path):
        raise Skip('no real pages in %s' % REAL)
    entries = compare(path)
    eq(len(entries), 10, 'posts on the real page')


def test_real_articles():
    need_browser()
    names = ['guardian-dcr-article-2024-02-24-valencia-fire.html',
             'bbc-article-2024-08-01-obr-explainer.html']
    paths = [os.path.join(REAL, n) for n in names if os.path.exists(os.path.join(REAL, n))]
    if not paths:
        raise Skip('no real pages in %s' % REAL)
    for p in paths:
        eq(len(compare(p)), 1, '%s: one entry' % p)


def test_our_fixtures():
    need_browser()
    for name in ('dcr-liveblog.html', 'dcr-liveblog-rerendered.html', 'frontend-liveblog.html',
                 'lwblog-seed0.html', 'lwblog-seed5.html'):
        compare(os.path.join(DATA, name))
    # the demo's pages
    demo = os.path.join(HERE, '..', 'demo')
    for name in ('page-1.html', 'page-5.html'):
        compare(os.path.join(demo, name))
    # ids repeated and hostile: livewatch's own ids differ on purpose
    compare(os.path.join(DATA, 'dup-ids.html'), same_ids=False)


def test_generic_structures():
    """Pages read by their structure (issue 11): each post's words are
    words the browser shows there (or, for posts without an element id,
    on the page), in order, and the page gives as many posts as it has."""
    need_browser()
    counts = {'generic-heading-ticker.html': 5, 'generic-sports-microdata.html': 4,
              'embeds.html': 5, 'generic-wp-liveblog-amp.html': 3,
              'generic-div-run.html': 5, 'generic-amp-live-list.html': 3,
              'generic-clock-am.html': 4, 'generic-article-comments.html': 1}
    for name, n in sorted(counts.items()):
        eq(len(compare(os.path.join(DATA, name), coverage=False)), n, '%s: posts' % name)


def test_charsets():
    """Pages in Windows-1252, declared in a meta tag: the browser decodes
    them its way, livewatch must read the same words."""
    need_browser()
    for name in ('cp1252.html', 'cp1252-metacharset.html'):
        compare(os.path.join(DATA, name), coverage=False)


def test_broken_markup():
    """Unclosed paragraphs, list items, quotes and emphasis, stray end
    tags, a post left open: an HTML5 parser and libxml2 must still give
    the same words in each post."""
    need_browser()
    stamp = '2023-02-14T%02d:00:00Z'
    posts = [
        Post(published=stamp % 12, title='Unclosed everything',
             paras=[('html', '<p>First paragraph never closed<p>Second one <b>bold <i>both</b> '
                             'italic only</i> then plain<ul><li>one<li>two<li>three</ul>'
                             '<blockquote><p>A quote left open</blockquote><p>After the quote')]),
        Post(published=stamp % 11, title='Stray end tags',
             paras=[('html', '<p>Text</span></div> goes on</p></p><p>Next &amp; last &copy; 2023')]),
        Post(published=stamp % 10, title='Table soup',
             paras=[('html', '<table><tr><td>cell one<td>cell two<tr><td>row two</table>'
                             '<p>Tail text')]),
    ]
    tmp = tempfile.mkdtemp(prefix='lw-broken-')
    try:
        path = os.path.join(tmp, 'broken.html')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(render_blog(posts, page_url='https://example.com/live', headline='Broken'))
        entries = compare(path)
        eq(len(entries), 3, 'posts on the broken page')

        # the newest post left open: both parsers nest the others in it
        html_text = render_blog(posts, page_url='https://example.com/live', headline='Open')
        html_text = html_text.replace('</article>', '', 1)
        path = os.path.join(tmp, 'open.html')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(html_text)
        entries = compare(path)
        eq(len(entries), 3, 'posts on the page with a post left open')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run_tests(globals())
