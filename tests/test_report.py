#!/usr/bin/env python3
"""Integration: `livewatch report` read by headless Chromium.

A history of two blogs is made by the real `livewatch poll` against
blogs served on loopback: new posts, a stealth edit, an edit with a new
"updated" time, a removal, a restoration, a removal for good, alerts.
The report is opened in Chromium (file://, through a recording proxy so
that any request it made would be seen) and a probe script counts what
the browser's DOM holds.  It must equal what `livewatch log --json`
says; there is no console message and no network request; the timeline
has a mark of each kind in the column of each poll that had one; the
page reads without JavaScript; a screenshot is not blank.  Skips, saying
why, without Chromium."""

import html
import importlib.util
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import Skip, check, eq, run_tests, with_sandbox  # noqa: E402

UTC = {'TZ': 'UTC', 'NO_COLOR': None}
RULES = ('[bakhmut]\nquery = Bakhmut\n\n'
         '[watch]\nquery = Bakhmut OR Soledar\non = edit, removal\n')

PROBE = r'''
<script>
(function () {
  function n(sel) { return document.querySelectorAll(sel).length; }
  var loaded = { posts: n('article.post'), versions: n('.version'), days: n('details.day'),
                 closed: n('details.day:not([open])'), later: n('details.day > noscript') };
  // every day opened, as a reader would: the page makes the closed days'
  // posts elements when they open (toggle events come as tasks)
  document.querySelectorAll('details.day').forEach(function (d) { d.open = true; });
  setTimeout(function () {
  var out = {
    loaded: loaded,
    posts: n('article.post'), versions: n('.version'),
    removed: n('article.post.removed'), stealth: n('.version.stealth'),
    alerts: n('li.alert'), details: n('article.post details'),
    texts: n('article.post > pre.text'), left: n('details.day > noscript'),
    kinds: {}, marks: [], ids: [], version_ids: [], multi: 0,
    filter_shown: !document.getElementById('filter').hidden,
    counted: document.getElementById('shown').textContent,
    summary: {}
  };
  ['new', 'edited', 'removed', 'restored'].forEach(function (k) {
    out.kinds[k] = n('.version.k-' + k);
  });
  document.querySelectorAll('svg.timeline rect.mark').forEach(function (r) {
    var k = r.getAttribute('class').replace('mark k-', '');
    out.marks.push([k, +r.dataset.x, +r.dataset.n, r.getBBox().height > 0]);
  });
  var svg = document.querySelector('svg.timeline');
  out.tmin = +svg.dataset.tmin; out.tmax = +svg.dataset.tmax; out.columns = +svg.dataset.columns;
  document.querySelectorAll('article.post').forEach(function (a) {
    out.ids.push(a.id);
    out.multi += a.querySelectorAll('.version').length > 1;
  });
  document.querySelectorAll('.version').forEach(function (s) { out.version_ids.push(s.id); });
  ['posts', 'versions', 'polls', 'removed', 'stealth', 'alerts'].forEach(function (k) {
    out.summary[k] = +document.getElementById('n-' + k).textContent;
  });
  var pre = document.createElement('pre');
  pre.id = 'lw-out';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
  }, 100);
})();
</script>
'''


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    raise Skip('no chromium on PATH')


class Proxy:
    """A loopback 'proxy' that answers nothing and records the first line
    of every request made to it."""

    # Chromium's own traffic (clock, updates, accounts), not the page's:
    # the page names none of these hosts (checked on its text), and its
    # Content-Security-Policy would refuse them.
    BACKGROUND = re.compile(r'^(GET|POST|CONNECT) (http://)?[a-z0-9.-]*\.(google\.com|googleapis\.com|'
                            r'gstatic\.com|gvt1\.com)[:/ ]')

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.seen = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(2)
            try:
                self.seen.append(c.recv(4096).split(b'\r\n', 1)[0].decode(errors='replace'))
            except OSError:
                pass
            c.close()

    def page_requests(self):
        return [r for r in self.seen if not self.BACKGROUND.match(r)]

    def close(self):
        self.sock.close()


def run_chromium(tmp, url, *args, proxy=None):
    cmd = [chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
           '--user-data-dir=' + os.path.join(tmp, 'profile'), '--enable-logging=stderr',
           '--v=0', '--virtual-time-budget=3000', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-default-browser-check',
           '--no-pings', '--disable-client-side-phishing-detection']
    if proxy:
        cmd += ['--proxy-server=http://127.0.0.1:%d' % proxy.port,
                '--proxy-bypass-list=<-loopback>']
    r = subprocess.run(cmd + list(args) + [url], capture_output=True, timeout=180,
                       env=dict(os.environ, HOME=tmp))
    return r.stdout.decode('utf-8', 'replace'), r.stderr.decode('utf-8', 'replace')


def no_script_dom(tmp, page):
    """What the page's DOM holds where script does not run.  Chromium's
    --dump-dom needs script itself, so the page is given to it as a
    browser without script reads it: its script taken out and each
    <noscript>'s content parsed as the markup it is (HTML's parsing
    rules with the scripting flag off)."""
    with open(page, encoding='utf-8') as f:
        text = f.read()
    text = re.sub(r'<script>.*?</script>', '', text, flags=re.S)
    text = text.replace('<noscript>', '').replace('</noscript>', '')
    path = os.path.join(tmp, 'nojs.html')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    dom, _ = run_chromium(tmp, 'file://' + path, '--dump-dom')
    check('</html>' in dom, 'a DOM came back: ' + dom[-300:])
    return {'posts': len(re.findall(r'<article class="post', dom)),
            'versions': len(re.findall(r'<(?:li|span) class="version ', dom)),
            'texts': len(re.findall(r'<pre class="text">', dom)),
            'filter_hidden': '<form id="filter" hidden=""' in dom, 'dom': dom}


def png_pixels(path):
    """(width, height, rows of RGBA/RGB byte strings) of an 8-bit PNG."""
    with open(path, 'rb') as f:
        data = f.read()
    check(data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG: ' + path)
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        ln, typ = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + ln]
        if typ == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', chunk[:10])
            eq(depth, 8, 'PNG depth')
            bpp = {2: 3, 6: 4}[ctype]
        elif typ == b'IDAT':
            idat += chunk
        pos += 12 + ln
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def post(hour, text, title=None, **kw):
    return Post(published='2023-02-14T%02d:00:00Z' % hour, title=title, paras=[text], **kw)


def serve(sb, posts, path='/live'):
    sb.server.set(path, body=render_blog(posts, page_url=sb.url(path), headline='Live', now=None))


def make_history(sb):
    live = [post(13, 'Talks continue in Brussels.', title='Talks'),
            post(12, 'Air raid sirens sounded in the east.'),
            post(11, 'Heavy fighting near Bakhmut overnight.', title='Bakhmut'),
            post(10, 'Grain exports continued.'),
            post(9, 'Officials gave a briefing.')]
    other = [post(8, 'The second blog opens.'), post(7, 'An early post on blog two.')]
    serve(sb, live)
    serve(sb, other, '/second')
    sb.poll()
    hot = live[2].copy(paras=['Heavy fighting near Bakhmut and Soledar overnight.'])
    fresh = post(14, 'Shelling reported near Bakhmut again <b>today</b> & "tonight".')
    serve(sb, [fresh] + live[:2] + [hot] + live[3:])
    sb.poll('live')                         # 1 new (alert), 1 stealth edit (alert)
    hot2 = hot.copy(paras=['Fighting near Bakhmut eased.'], updated='2023-02-14T15:00:00Z')
    page = [fresh] + live[:2] + [hot2] + live[3:]
    serve(sb, page)
    sb.poll('live')                         # an owned-up edit
    serve(sb, [p for p in page if p is not live[1]])
    sb.poll('live')                         # a removal
    serve(sb, page)
    sb.poll('live')                         # restored
    serve(sb, [p for p in page if p is not hot2])
    sb.poll('live')                         # removed for good (alert)
    serve(sb, [post(9, 'Second blog news.')] + other, '/second')
    sb.poll('second')


def log_facts(sb, *args):
    p = sb.livewatch('log', '--json', *args, check=0)
    objs = [json.loads(line) for line in p.stdout.splitlines()]
    facts = {'posts': set(), 'versions': 0, 'stealth': 0, 'alerts': 0, 'last': {},
             'kinds': {'new': 0, 'edited': 0, 'removed': 0, 'restored': 0}, 'polls': objs}
    for o in objs:                          # newest first
        for k in ('new', 'restored', 'edited', 'removed'):
            for e in o[k]:
                key = o['blog'] + '/' + e['id']
                facts['posts'].add(key)
                facts['versions'] += 1
                facts['kinds'][k] += 1
                facts['stealth'] += bool(e.get('stealth'))
                facts['last'].setdefault(key, k)
        facts['alerts'] += sum(o['alerts'].values())
    facts['removed'] = sum(1 for k in facts['last'].values() if k == 'removed')
    return facts


def column(t, tmin, tmax, cols):
    span = tmax - tmin if tmax > tmin else 1
    return (t - tmin) * (cols - 1) // span


@with_sandbox(rules=RULES, blogs={'live': '/live', 'second': '/second'}, env=UTC)
def test_report_in_chromium(sb):
    chromium()
    make_history(sb)
    tmp = tempfile.mkdtemp(prefix='lw-report-')
    sb.cleanups.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    out = os.path.join(tmp, 'report.html')
    p = sb.livewatch('report', '-o', out, check=0)
    eq(p.stdout, '', 'with -o nothing on stdout')
    with open(out, encoding='utf-8') as f:
        page = f.read()
    outside = re.findall(r'\b(src|href)="([^"#][^"]*)"', page)
    eq([a for a, _ in outside if a != 'href'], [], 'nothing loaded from outside')
    check(outside and all(re.match(r'https?://127\.0\.0\.1', u) for _, u in outside),
          'the only links out are the posts\' own: %r' % outside[:3])
    check('<b>today</b>' not in page and '&lt;b&gt;today&lt;/b&gt; &amp; &quot;tonight&quot;' in page,
          'recorded text is escaped')

    probed = os.path.join(tmp, 'probed.html')
    with open(probed, 'w', encoding='utf-8') as f:
        f.write(page.replace('</body>', PROBE + '</body>'))
    proxy = Proxy()
    sb.cleanups.append(proxy.close)
    dom, err = run_chromium(tmp, 'file://' + probed, '--dump-dom', proxy=proxy)
    m = re.search(r'<pre id="lw-out">(.*?)</pre>', dom, re.S)
    check(m, 'Chromium gave no answer: ' + err[-2000:])
    got = json.loads(html.unescape(m.group(1)))
    consoles = [line for line in err.splitlines() if 'CONSOLE' in line]
    eq(consoles, [], 'no console message (errors, CSP violations, exceptions)')
    eq(proxy.page_requests(), [], 'no network request')
    check(not re.search(r'google|gstatic|gvt1', page), 'the page names no host Chromium calls')
    # the proxy does see what a page asks for
    bait = os.path.join(tmp, 'bait.html')
    with open(bait, 'w') as f:
        f.write('<p>x</p><img src="http://bait.example/x.png">')
    run_chromium(tmp, 'file://' + bait, '--dump-dom', proxy=proxy)
    check(any('bait.example' in r for r in proxy.page_requests()), proxy.seen)

    want = log_facts(sb)
    eq(got['posts'], len(want['posts']), 'posts = distinct ids in log --json')
    eq(sorted(got['ids']), sorted(want['posts']), 'one article per post, id = BLOG/ID')
    eq(got['versions'], want['versions'], 'versions = changes in log --json')
    eq(got['kinds'], want['kinds'], 'versions by kind')
    eq(got['removed'], want['removed'], 'posts whose last change is a removal')
    eq(got['stealth'], want['stealth'], 'stealth edits')
    check(got['stealth'] >= 1 and got['removed'] >= 1 and got['kinds']['restored'] == 1, got)
    eq(got['alerts'], want['alerts'], 'alerts = the counts log --json gives')
    check(got['alerts'] >= 3, got['alerts'])
    eq(got['details'], got['multi'], 'every post of several versions expands to them')
    eq(got['texts'], got['posts'], 'a short history: every post with its text')
    eq(got['loaded']['closed'], 0, 'a short history: every day open')
    eq(got['summary'], {'posts': got['posts'], 'versions': got['versions'],
                        'polls': len(want['polls']), 'removed': got['removed'],
                        'stealth': got['stealth'], 'alerts': got['alerts']}, 'the summary line')
    check(all(re.fullmatch(re.escape(v.rsplit('/v', 1)[0]) + r'/v\d+', v) for v in got['version_ids']),
          'version anchors are BLOG/ID/vN')
    eq(len(set(got['version_ids'])), len(got['version_ids']), 'anchors are unique')
    check(got['filter_shown'] and got['counted'] == str(got['posts']), 'the filter script ran')

    # the timeline: a mark of each kind in the column of each poll with one
    times = [int(__import__('calendar').timegm(__import__('time').strptime(o['time'], '%Y-%m-%dT%H:%M:%SZ')))
             for o in want['polls']]
    eq((got['tmin'], got['tmax']), (min(times), max(times)), 'the timeline spans the polls')
    marks = {(k, x): n for k, x, n, visible in got['marks'] if visible}
    eq(len(marks), len(got['marks']), 'every mark has a height')
    expect = {}
    for o, t in zip(want['polls'], times):
        x = column(t, got['tmin'], got['tmax'], got['columns'])
        stealth = sum(1 for e in o['edited'] if e['stealth'])
        for k, n in (('new', len(o['new']) + len(o['restored'])),
                     ('edited', len(o['edited']) - stealth), ('stealth', stealth),
                     ('removed', len(o['removed'])), ('alert', sum(o['alerts'].values()))):
            if n:
                expect[(k, x)] = expect.get((k, x), 0) + n
    eq(marks, expect, 'timeline marks = the polls of log --json')

    # without JavaScript: every post is there, the filter is not
    eq(page.count('<script>'), 1, 'one script')
    nojs = no_script_dom(tmp, out)
    eq(nojs['posts'], got['posts'], 'posts without script')
    eq(nojs['versions'], got['versions'], 'versions without script')
    check(nojs['filter_hidden'], 'no filter without script')

    # a screenshot that is not blank
    shot = os.path.join(tmp, 'shot.png')
    run_chromium(tmp, 'file://' + out, '--screenshot=' + shot, '--window-size=1000,900',
                 '--hide-scrollbars')
    w, h, bpp, rows = png_pixels(shot)
    eq((w, h), (1000, 900), 'screenshot size')
    colours, inked = set(), 0
    for row in rows:
        for i in range(0, len(row), bpp * 4):
            px = row[i:i + 3]
            colours.add(px)
            inked += px != b'\xff\xff\xff'
    check(inked > len(rows) * w // bpp // 4 // 50 and len(colours) > 20,
          'screenshot has ink (%d pixels, %d colours)' % (inked, len(colours)))
    if os.environ.get('LW_REPORT_SHOT'):
        shutil.copy(shot, os.environ['LW_REPORT_SHOT'])


def bench_history():
    """tests/bench/report-bench.py's history writer (git fast-import)."""
    spec = importlib.util.spec_from_file_location(
        'report_bench', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bench',
                                     'report-bench.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build


def probe_page(tmp, page, script, name, fragment=''):
    """Runs script (which must end by calling done(value)) in page once
    it has loaded; returns value."""
    with open(page, encoding='utf-8') as f:
        text = f.read()
    body = ('<script>(function(){function done(v){var p=document.createElement("pre");'
            'p.id="lw-out";p.textContent=JSON.stringify(v);document.body.appendChild(p)}'
            'window.addEventListener("load",function(){%s})})();</script>' % script)
    path = os.path.join(tmp, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text.replace('</body>', body + '</body>'))
    dom, err = run_chromium(tmp, 'file://' + path + fragment, '--dump-dom')
    m = re.search(r'<pre id="lw-out">(.*?)</pre>', dom, re.S)
    check(m, 'Chromium gave no answer: ' + err[-2000:])
    return json.loads(html.unescape(m.group(1)))


@with_sandbox(env=UTC)
def test_report_of_a_long_history(sb):
    """More posts than the report shows with text (LW_REPORT_TEXT_POSTS,
    500): the newest posts' days are open and their posts have their
    text; older days are closed and their posts, kept in <noscript>, are
    no elements until a day is opened; once every day is open the
    counts equal log --json, and without script they are all there
    from the start.  A link to a version in a closed day opens it; the
    filter finds a post in a closed day."""
    chromium()
    made = bench_history()(sb.repo, 700, 1600, step=3600)
    tmp = tempfile.mkdtemp(prefix='lw-report-long-')
    sb.cleanups.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    out = os.path.join(tmp, 'report.html')
    sb.livewatch('report', '-o', out, check=0)
    want = log_facts(sb)
    # (a post made and removed in one poll of the writer leaves no trace)
    check(made['new'] - made['removals'] <= len(want['posts']) <= made['new'],
          'the history has its posts: %d of %d' % (len(want['posts']), made['new']))
    probed = os.path.join(tmp, 'probed.html')
    with open(out, encoding='utf-8') as f:
        page = f.read()
    with open(probed, 'w', encoding='utf-8') as f:
        f.write(page.replace('</body>', PROBE + '</body>'))
    dom, err = run_chromium(tmp, 'file://' + probed, '--dump-dom')
    m = re.search(r'<pre id="lw-out">(.*?)</pre>', dom, re.S)
    check(m, 'Chromium gave no answer: ' + err[-2000:])
    got = json.loads(html.unescape(m.group(1)))
    loaded = got['loaded']
    check(loaded['closed'] > 0 and loaded['later'] == loaded['closed'],
          'older days closed, their posts in <noscript>: %r' % loaded)
    check(500 <= loaded['posts'] < got['posts'],
          'at load only the open days\' posts are elements: %r' % loaded)
    eq(got['left'], 0, 'every day opened')
    eq(got['posts'], len(want['posts']), 'posts = log --json')
    eq(sorted(got['ids']), sorted(want['posts']), 'one article per post')
    eq(got['versions'], want['versions'], 'versions = log --json')
    eq(got['kinds'], want['kinds'], 'versions by kind')
    eq(got['removed'], want['removed'], 'removed posts')
    eq(got['stealth'], want['stealth'], 'stealth edits')
    eq(got['alerts'], want['alerts'], 'alerts')
    eq(len(set(got['version_ids'])), got['versions'], 'version anchors unique')
    eq(got['summary']['versions'], want['versions'], 'the summary line')
    eq(got['counted'], str(got['posts']), 'the filter counts every post')

    texts = probe_page(tmp, out, """
      document.querySelectorAll('details.day').forEach(function (d) { d.open = true; });
      setTimeout(function () {
        done(Array.prototype.map.call(document.querySelectorAll('article.post'), function (a) {
          return [a.querySelector(':scope > pre.text') != null, a.classList.contains('removed')];
        }));
      }, 100);""", 'texts.html')
    eq(len(texts), got['posts'])
    check(all(t for t, _ in texts[:500]), 'the newest 500 posts have their text')
    eq([i for i, (t, r) in enumerate(texts[500:]) if t != r], [],
       'older posts: the text of removed ones only')
    # (every version in full, as before, was 4.4 kB a post)
    check(os.path.getsize(out) < 2000 * got['posts'],
          'a post costs the report less than 2 kB: %d bytes' % os.path.getsize(out))

    # without script: every post and version is an element from the start
    nojs = no_script_dom(tmp, out)
    eq((nojs['posts'], nojs['versions']), (got['posts'], got['versions']), 'without script')

    # a link to a version of a post in a closed day
    old = [v for v in got['version_ids'] if v.endswith('/v2')][-1]
    seen = probe_page(tmp, out, """
      setTimeout(function () {
        var t = document.getElementById(%s), d = t && t.closest('details.day');
        done({found: !!t, open: !!(d && d.open), top: t ? t.getBoundingClientRect().top : null,
              y: window.scrollY, height: window.innerHeight});
      }, 100);""" % json.dumps(old), 'anchor.html', '#' + old)
    check(seen['found'] and seen['open'] and seen['y'] > 0 and
          0 <= seen['top'] < seen['height'] - 20,
          'the link %s opened its day and scrolled to it: %r' % (old, seen))

    # the filter finds a post of a closed day by its heading
    first = sorted(want['posts'])[0]
    found = probe_page(tmp, out, """
      var q = document.getElementById('q');
      q.value = %s;
      q.dispatchEvent(new Event('input', {bubbles: true}));
      setTimeout(function () {
        var shown = Array.prototype.filter.call(document.querySelectorAll('article.post'),
          function (a) { return !a.classList.contains('hidden'); }).map(function (a) {
            return [a.id, a.closest('details.day').open]; });
        done({shown: shown, count: document.getElementById('shown').textContent});
      }, 600);""" % json.dumps('post %d about' % int(first.rsplit('-', 1)[1])), 'filter.html')
    eq(found['shown'], [[first, True]], 'the filter shows the one post, its day open')
    eq(found['count'], '1')


@with_sandbox(rules=RULES, blogs={'live': '/live', 'second': '/second'}, env=UTC)
def test_report_blog_since_and_errors(sb):
    make_history(sb)
    p = sb.livewatch('report', 'second', check=0)
    check(p.stdout.startswith('<!DOCTYPE html>'), p.stdout[:100])
    eq(len(re.findall(r'<article class="post', p.stdout)), len(log_facts(sb, 'second')['posts']))
    check('id="live/' not in p.stdout, 'only the blog asked for')
    p = sb.livewatch('report', '--since', '2099-01-01', check=0)
    check('Nothing recorded in this range.' in p.stdout, p.stdout[-500:])
    p = sb.livewatch('report', 'nope', check=2)
    check("no blog 'nope'" in p.stderr, p.stderr)
    p = sb.livewatch('report', '--since', 'soonish', check=2)
    check('soonish' in p.stderr, p.stderr)
    p = sb.livewatch('report', '-o', os.path.join(sb.dir, 'no', 'such', 'dir', 'r.html'), check=1)
    check("cannot write '%s" % os.path.join(sb.dir, 'no') in p.stderr, p.stderr)


if __name__ == '__main__':
    run_tests(globals())
