#!/usr/bin/env python3
"""How long `livewatch report` takes on a big history, and whether
Chromium opens the page it writes without stalling.

The history is written with `git fast-import` in livewatch's layout and
commit format (day folders, Livewatch-* trailers): one blog, --posts
posts (default 10,000) and --versions versions in all (default 30,000:
every post's first version, edits, some of them stealth, a removal now
and then), a poll every ten minutes, alerts on some polls.  Then:

  - `livewatch report -o FILE`: CPU time (user + sys, os.wait4), wall
    time, peak RSS, file size;
  - headless Chromium: the wall time of a screenshot of the page (load,
    style, layout of the first screen) and of `--dump-dom` (the whole DOM
    built and serialised), each with its own fresh profile.

Goals (issue 12, "a few seconds"): the report in under 10 s of CPU; Chromium's screenshot
in under 15 s of wall time on the shared 2-core machine.

    python3 tests/bench/report-bench.py build/daemon/livewatch
    python3 tests/bench/report-bench.py build/daemon/livewatch --posts 1000 --versions 3000
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import PLACES, finish, paragraph, print_rows  # noqa: E402

GOAL_CPU = 10.0
GOAL_BROWSER = 15.0


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


def run_measured(cmd, env=None):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors='replace')
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024, err


def browser(tmp, html, what):
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        exe = shutil.which(name)
        if exe:
            break
    else:
        return None
    prof = tempfile.mkdtemp(dir=tmp)
    args = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
            '--user-data-dir=' + prof, '--window-size=1200,900']
    args += ['--screenshot=' + os.path.join(tmp, 'shot.png')] if what == 'screenshot' else ['--dump-dom']
    t0 = time.monotonic()
    subprocess.run(args + ['file://' + html], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600, env=dict(os.environ, HOME=tmp))
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('bin', nargs='?', default=os.environ.get('LW_BIN', 'build/daemon/livewatch'))
    ap.add_argument('--posts', type=int, default=10000)
    ap.add_argument('--versions', type=int, default=30000)
    ap.add_argument('--json', dest='json_path')
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='lw-report-bench-')
    repo = os.path.join(tmp, 'history')
    t0 = time.monotonic()
    made = build(repo, a.posts, a.versions)
    built = time.monotonic() - t0
    cfg = os.path.join(tmp, 'config.ini')
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrepo = %s\n\n[blog "live"]\nurl = https://example.org/live\n' % repo)
    out = os.path.join(tmp, 'report.html')
    rc, cpu, wall, rss, err = run_measured([os.path.abspath(a.bin), '-c', cfg, 'report', '-o', out])
    if rc != 0:
        print(err)
        return 1
    size = os.path.getsize(out)
    shot = browser(tmp, out, 'screenshot')
    dom = browser(tmp, out, 'dump-dom')
    fig = {'posts': made['new'], 'versions': made['versions'], 'polls': made['polls'],
           'stealth': made['stealth'], 'alerts': made['alerts'], 'removals': made['removals'],
           'history_build_s': round(built, 1), 'report_cpu_s': round(cpu, 2),
           'report_wall_s': round(wall, 2), 'report_peak_rss_mb': round(rss, 1),
           'report_mb': round(size / 1e6, 1),
           'chromium_screenshot_s': shot and round(shot, 1),
           'chromium_dump_dom_s': dom and round(dom, 1)}
    print_rows([
        ('history', '%d posts, %d versions (%d stealth edits, %d removals), %d polls, %d alerts'
         % (made['new'], made['versions'], made['stealth'], made['removals'], made['polls'],
            made['alerts'])),
        ('report', '%.2f s CPU, %.2f s wall (noisy), %.0f MB peak RSS, %.1f MB of HTML'
         % (cpu, wall, rss, size / 1e6)),
        ('chromium', 'screenshot %s, whole DOM %s (wall, noisy)'
         % ('%.1f s' % shot if shot else 'skipped', '%.1f s' % dom if dom else 'skipped')),
    ], 'livewatch report on a big history')
    failures = []
    if cpu > GOAL_CPU:
        failures.append('report took %.2f s of CPU (goal %.0f s)' % (cpu, GOAL_CPU))
    if shot and shot > GOAL_BROWSER:
        failures.append('Chromium took %.1f s to show the page (goal %.0f s)' % (shot, GOAL_BROWSER))
    return finish(fig, failures, a.json_path, tmp, a.keep)


if __name__ == '__main__':
    sys.exit(main())
