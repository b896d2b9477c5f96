#!/usr/bin/env python3
"""How long `livewatch report` takes on a big history, and whether
Chromium opens the page it writes without stalling.

The history is written with `git fast-import` in livewatch's layout and
commit format (day folders, Livewatch-* trailers): one blog, --posts
posts (default 10,000) and --versions versions in all (default 30,000:
every post's first version, edits, some of them stealth, a removal now
and then), a poll every ten minutes, alerts on some polls.  Then:

  - `livewatch report -o FILE`: CPU time (user + sys, os.wait4), wall
    time, peak RSS (GNU time), file size;
  - headless Chromium, each run with a fresh profile, --runs times (the
    median is kept): DOMContentLoaded and load by the page's own clock,
    the elements the DOM has at DOMContentLoaded, the wall time of a
    screenshot (start, load, style, layout of the first screen) next to
    that of an empty page (Chromium's own start); then, every day of
    the report opened as a reader would, the posts and versions in the
    DOM, which must equal what `livewatch log --json` counts.

Goals (issue 12, "a few seconds", "a file a browser opens without
stalling"): the report in under 10 s of CPU and under 16 MB;
DOMContentLoaded under 3 s and a screenshot under 5 s of wall time on
the shared 2-core machine.

    python3 tests/bench/report-bench.py build/daemon/livewatch
    python3 tests/bench/report-bench.py build/daemon/livewatch --posts 1000 --versions 3000
"""

import argparse
from html import unescape as html_unescape
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import PLACES, finish, paragraph, print_rows, run_measured  # noqa: E402

GOAL_CPU = 10.0
GOAL_MB = 16.0
GOAL_DCL = 3.0
GOAL_SHOT = 5.0


def entry_md(eid, title, body, published, updated=''):
    return ('# %s\n\n- id: %s\n- published: %s\n- updated: %s\n'
            '- url: https://example.org/live#%s\n\n%s\n' % (title, eid, published, updated, eid, body))


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def build(repo, posts, versions, seed=12, step=600):
    """The history, a poll every step seconds, oldest commit first;
    returns what it made (counts)."""
    rng = random.Random(seed)
    edits_total = versions - posts - posts // 30        # removals take a tenth-ish
    removals_total = posts // 30
    polls = max(1, posts // 3)
    start = int(time.time()) - polls * step
    live = {}                                           # id -> (path, title, body, published)
    out = [b'']
    made = {'new': 0, 'edits': 0, 'removals': 0, 'alerts': 0, 'stealth': 0}
    for k in range(polls):
        when = start + k * step
        files, lines, stealth, alerts = {}, [], [], []
        n_new = posts * (k + 1) // polls - posts * k // polls
        for j in range(n_new):
            eid = 'block-%06d' % (made['new'])
            title = 'Post %d about %s' % (made['new'], rng.choice(PLACES))
            body = '\n\n'.join(paragraph(rng, rng.randint(150, 400)) for _ in range(rng.randint(1, 3)))
            day = time.strftime('%Y-%m-%d', time.gmtime(when))
            path = 'live/entries/%s/%s.md' % (day, eid)
            live[eid] = (path, title, body, iso(when))
            files[path] = entry_md(eid, title, body, iso(when))
            lines.append('+ %s' % title)
            made['new'] += 1
            if 'Bakhmut' in title:
                alerts.append((eid, title, 'new'))
        n_edit = edits_total * (k + 1) // polls - edits_total * k // polls
        for eid in rng.sample(sorted(live), min(n_edit, len(live))):
            path, title, body, pub = live[eid]
            body = body + ' ' + paragraph(rng, 60)
            live[eid] = (path, title, body, pub)
            quiet = rng.random() < 0.3
            files[path] = entry_md(eid, title, body, pub, '' if quiet else iso(when))
            lines.append('~ %s (+10 words%s)' % (title, ', stealth' if quiet else ''))
            if quiet:
                stealth.append(eid)
            made['edits'] += 1
        n_rm = removals_total * (k + 1) // polls - removals_total * k // polls
        for eid in rng.sample(sorted(live), min(n_rm, len(live))):
            path, title, _, _ = live.pop(eid)
            files[path] = None
            lines.append('- %s' % title)
            made['removals'] += 1
        made['stealth'] += len(stealth)
        trailers = 'Livewatch-Blog: live\nLivewatch-Url: https://example.org/live\n'
        if stealth:
            trailers += 'Livewatch-Stealth: %s\n' % ' '.join(stealth)
        if alerts:
            trailers += 'Livewatch-Alerts: bakhmut=%d\n' % len(alerts)
            for eid, title, change in alerts:
                trailers += 'Livewatch-Alert: %s\n' % json.dumps({
                    'id': 'live/%s/bakhmut/000000000000' % eid, 'rule': 'bakhmut', 'blog': 'live',
                    'entry': eid, 'change': change, 'title': title, 'url': '', 'published': '',
                    'urgency': 'normal', 'matched': ['Bakhmut'], 'snippet': '…about «Bakhmut»',
                    'fetched': iso(when)}, ensure_ascii=False)
            made['alerts'] += len(alerts)
        msg = ('live: %d changes\n\n%s\n\n%s' % (len(files), '\n'.join(lines), trailers)).encode()
        out.append(b'commit refs/heads/main\nmark :%d\n' % (k + 1))
        out.append(b'committer livewatch <livewatch@localhost> %d +0000\n' % when)
        out.append(b'data %d\n%s\n' % (len(msg), msg))
        if k:
            out.append(b'from :%d\n' % k)
        for path, text in files.items():
            if text is None:
                out.append(b'D %s\n' % path.encode())
            else:
                data = text.encode()
                out.append(b'M 100644 inline %s\ndata %d\n%s\n' % (path.encode(), len(data), data))
    subprocess.run(['git', 'init', '-q', '-b', 'main', repo], check=True)
    subprocess.run(['git', '-C', repo, 'fast-import', '--quiet'], input=b''.join(out), check=True)
    subprocess.run(['git', '-C', repo, 'checkout', '-q', '-f', 'main'], check=True)
    made['polls'] = polls
    made['versions'] = made['new'] + made['edits'] + made['removals']
    return made


# Put first in <head>: when the page's DOMContentLoaded and load come
# (ms since the navigation started, the page's own clock) and how many
# elements the DOM has then, written into the page at load (--dump-dom
# dumps it right after).
PROBE_TIME = r"""<script>(function(){var o={};
document.addEventListener('DOMContentLoaded',function(){o.dcl=Math.round(performance.now());
o.elements=document.getElementsByTagName('*').length});
window.addEventListener('load',function(){o.load=Math.round(performance.now());
var p=document.createElement('pre');p.id='lw-bench';p.textContent=JSON.stringify(o);
document.body.appendChild(p)})})();</script>"""

# Every day opened, as a reader would (the page makes a closed day's
# posts elements on its toggle event): the posts and versions the DOM
# holds.  Run under --virtual-time-budget, so its timer runs before the
# dump.
PROBE_COUNT = r"""<script>(function(){
function n(s){return document.querySelectorAll(s).length}
window.addEventListener('load',function(){
document.querySelectorAll('details.day').forEach(function(d){d.open=true});
setTimeout(function(){var o={posts:n('article.post'),versions:n('.version')};
var p=document.createElement('pre');p.id='lw-bench';p.textContent=JSON.stringify(o);
document.body.appendChild(p)},500)})})();</script>"""


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def browse(tmp, page, *args):
    """Wall seconds of one headless Chromium run on page (a fresh
    profile), and its stdout."""
    prof = tempfile.mkdtemp(dir=tmp)
    cmd = [chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
           '--user-data-dir=' + prof, '--window-size=1200,900'] + list(args) + ['file://' + page]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, HOME=tmp))
    wall = time.monotonic() - t0
    shutil.rmtree(prof, ignore_errors=True)
    return wall, r.stdout


def median(xs):
    return sorted(xs)[len(xs) // 2]


def measure_browser(tmp, html, runs):
    """Chromium on the page: the median of runs of (DOMContentLoaded,
    load, a screenshot's wall time), the wall time of a screenshot of an
    empty page (Chromium's own start), and the DOM counts."""
    with open(html, encoding='utf-8') as f:
        text = f.read()
    pages = {}
    for name, probe in (('time', PROBE_TIME), ('count', PROBE_COUNT)):
        pages[name] = os.path.join(tmp, 'probed-%s.html' % name)
        with open(pages[name], 'w', encoding='utf-8') as f:
            f.write(text.replace('<head>', '<head>' + probe, 1))
    empty = os.path.join(tmp, 'empty.html')
    with open(empty, 'w') as f:
        f.write('<!DOCTYPE html><title>empty</title><p>empty</p>')
    shot = os.path.join(tmp, 'shot.png')

    def figures(page, *args):
        _, out = browse(tmp, page, '--dump-dom', *args)
        m = re.search(r'<pre id="lw-bench">(.*?)</pre>', out, re.S)
        if not m:
            raise SystemExit('Chromium gave no figures for %s' % page)
        return json.loads(html_unescape(m.group(1)))
    got, shots, idle = [], [], []
    for _ in range(runs):
        got.append(figures(pages['time']))
        shots.append(browse(tmp, html, '--screenshot=' + shot)[0])
        idle.append(browse(tmp, empty, '--screenshot=' + shot)[0])
    counts = figures(pages['count'], '--virtual-time-budget=10000')
    return {'dcl_s': median([g['dcl'] for g in got]) / 1000,
            'load_s': median([g['load'] for g in got]) / 1000,
            'elements_at_load': got[0]['elements'],
            'dom_posts': counts['posts'], 'dom_versions': counts['versions'],
            'screenshot_s': median(shots), 'empty_screenshot_s': median(idle)}


def log_counts(binary, cfg):
    """Posts and versions as `livewatch log --json` counts them."""
    r = subprocess.run([binary, '-c', cfg, 'log', '--json'], capture_output=True, text=True,
                       check=True)
    posts, versions = set(), 0
    for line in r.stdout.splitlines():
        o = json.loads(line)
        for k in ('new', 'restored', 'edited', 'removed'):
            for e in o[k]:
                posts.add(e['id'])
                versions += 1
    return len(posts), versions


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('bin', nargs='?', default=os.environ.get('LW_BIN', 'build/daemon/livewatch'))
    ap.add_argument('--posts', type=int, default=10000)
    ap.add_argument('--versions', type=int, default=30000)
    ap.add_argument('--runs', type=int, default=3, help='Chromium runs (the median is kept)')
    ap.add_argument('--json', dest='json_path')
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix='lw-report-bench-')
    repo = os.path.join(tmp, 'history')
    t0 = time.monotonic()
    made = build(repo, a.posts, a.versions)
    built = time.monotonic() - t0
    cfg = os.path.join(tmp, 'config.ini')
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrepo = %s\n\n[blog "live"]\nurl = https://example.org/live\n' % repo)
    out = os.path.join(tmp, 'report.html')
    with open(os.path.join(tmp, 'report.err'), 'w+') as err:
        rc, cpu, rss, wall = run_measured([binary, '-c', cfg, 'report', '-o', out],
                                          stdout=subprocess.DEVNULL, stderr=err)
        err.seek(0)
        if rc != 0:
            print(err.read())
            return 1
    size = os.path.getsize(out)
    posts, versions = log_counts(binary, cfg)
    b = measure_browser(tmp, out, a.runs) if chromium() else None
    fig = {'posts': posts, 'versions': versions, 'polls': made['polls'],
           'stealth': made['stealth'], 'alerts': made['alerts'], 'removals': made['removals'],
           'history_build_s': round(built, 1), 'report_cpu_s': round(cpu, 2),
           'report_wall_s': round(wall, 2), 'report_peak_rss_mb': round(rss / 1024, 1),
           'report_mb': round(size / 1e6, 1)}
    if b:
        fig.update({'chromium_' + k: round(v, 2) if isinstance(v, float) else v
                    for k, v in b.items()})
    rows = [
        ('history', '%d posts, %d versions (log --json; %d stealth edits, %d removals), '
         '%d polls, %d alerts' % (posts, versions, made['stealth'], made['removals'],
                                  made['polls'], made['alerts'])),
        ('report', '%.2f s CPU, %.2f s wall (noisy), %.0f MB peak RSS, %.1f MB of HTML'
         % (cpu, wall, rss / 1024, size / 1e6)),
    ]
    if b:
        rows += [
            ('chromium', 'DOMContentLoaded %.2f s, load %.2f s, %d elements at load '
             '(medians of %d)' % (b['dcl_s'], b['load_s'], b['elements_at_load'], a.runs)),
            ('', 'screenshot %.1f s wall (an empty page: %.1f s)'
             % (b['screenshot_s'], b['empty_screenshot_s'])),
            ('', 'every day opened: %d posts, %d versions in the DOM'
             % (b['dom_posts'], b['dom_versions'])),
        ]
    else:
        rows.append(('chromium', 'skipped: no Chromium'))
    print_rows(rows, 'livewatch report on a big history')
    failures = []
    if cpu > GOAL_CPU:
        failures.append('report took %.2f s of CPU (goal %.0f s)' % (cpu, GOAL_CPU))
    if size > GOAL_MB * 1e6:
        failures.append('the report is %.1f MB (goal %.0f MB)' % (size / 1e6, GOAL_MB))
    if b:
        if b['dcl_s'] > GOAL_DCL:
            failures.append('DOMContentLoaded after %.1f s (goal %.0f s)' % (b['dcl_s'], GOAL_DCL))
        if b['screenshot_s'] > GOAL_SHOT:
            failures.append('a screenshot took %.1f s (goal %.0f s)' % (b['screenshot_s'], GOAL_SHOT))
        if (b['dom_posts'], b['dom_versions']) != (posts, versions):
            failures.append('the DOM holds %d posts and %d versions, log --json says %d and %d'
                            % (b['dom_posts'], b['dom_versions'], posts, versions))
    return finish(fig, failures, a.json_path, tmp, a.keep)


if __name__ == '__main__':
    sys.exit(main())
