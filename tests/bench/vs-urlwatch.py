#!/usr/bin/env python3
"""Benchmark: livewatch side by side with urlwatch, per changed page.

    python3 tests/bench/vs-urlwatch.py [BINARY] [--rounds 10] [--blogs 30]
                                       [--urlwatch /usr/bin/urlwatch] [--json FILE]

BINARY defaults to build/daemon/livewatch (also --bin, or $LW_BIN).
urlwatch is Debian 12's 2.25 and the html2text module its docs' example
uses (`apt-get install -y urlwatch python3-html2text`).

Serves BLOGS live blogs of about 88 KB each (tests/lwblog.py, the
Guardian's markup: 17 posts of ~4.5 KB, newest first) from one loopback
server (tests/lwhttpd.py), with ETags.  Every round, each blog gains one
post (the oldest pages out), then both tools check all blogs once, in the
same round, on the same bytes, each as a fresh process:

  - livewatch: `livewatch -c CONFIG poll` (all blogs; the shipped rules
    and a file sink), recording into its git repository;
  - urlwatch: `urlwatch --urls --config --cache --hooks` with its own files
    under the temporary folder, one job per blog filtered the way the
    example job in urlwatch's introduction does it: an `xpath` filter on
    the live blog body (div#liveblog-body), then `html2text` with method
    `pyhtml2text` and the example's options (`--html2text-method re` uses
    the filter's lighter default instead); only the stdout reporter (no
    network), output discarded.

The order of the two alternates from round to round.  Round 0 is both
tools' baseline (first sight of every page) and is excluded.  Measured for
each tool from os.wait4 of its process: CPU (user + sys, including
anything it waited for) per changed page = CPU over rounds 1..N / (N x
BLOGS), and peak RSS = the largest of any round, taken by GNU time
(benchlib.run_measured: os.wait4's ru_maxrss of a child of Python
counts the interpreter's own RSS from before the exec, which inflated
livewatch's figure to the harness's ~30 MB until December 2026).  CPU time, not
wall time: the machine is shared and wall time moves with its load.

Goals: livewatch at most 0.2x urlwatch's CPU and 0.25x its peak RSS.
Next to livewatch's peak RSS it reports the floor under it: the peak RSS
of tests/bench/rss-floor.c (build/tests/rss-floor-libs and
rss-floor-linked), which fetches one blog's page with libcurl, parses it
with libxml2 and reads the history's HEAD with libgit2, and nothing more.
Also checked: livewatch made one commit per blog per round and urlwatch
reported every blog changed.  Prints a table and, last, one JSON line.
Standard library only (urlwatch runs under its own /usr/bin/python3).
"""

import argparse
import re
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
SRCDIR = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

import benchlib  # noqa: E402
from benchlib import Blogs  # noqa: E402
from lwhttpd import LiveServer  # noqa: E402


URLWATCH_CONFIG = """\
display:
  new: true
  error: true
  unchanged: false
report:
  text:
    line_length: 75
    details: true
    footer: false
    minimal: false
  stdout:
    enabled: true
    color: false
  html:
    diff: unified
  markdown:
    details: true
    footer: false
    minimal: false
"""

# The job, as the example in urlwatch's introduction (docs 2.25) picks
# part of a page and makes it text: the live blog's body (every post),
# then html2text.
URLWATCH_JOB = """\
name: "{name}"
url: "{url}"
filter:
  - xpath: '//div[@id="liveblog-body"]'
{html2text}---
"""
HTML2TEXT = {
    'pyhtml2text': """\
  - html2text:
      method: pyhtml2text
      unicode_snob: true
      body_width: 0
      inline_links: false
      ignore_links: true
      ignore_images: true
      pad_tables: false
      single_line_break: true
""",
    're': "  - html2text\n",
}


def run(argv, env):
    """(exit status, cpu seconds, peak RSS kB, wall seconds, output)."""
    out = tempfile.TemporaryFile()
    rc, cpu, peak, wall = benchlib.run_measured(argv, env, stdout=out, stderr=subprocess.STDOUT)
    out.seek(0)
    text = out.read().decode('utf-8', 'replace')
    out.close()
    return rc, cpu, peak, wall, text


FLOORS = (('libs', 'rss-floor-libs'), ('linked', 'rss-floor-linked'))


def measure_floors(folder, url, repo, env):
    """Peak RSS kB of tests/bench/rss-floor.c's two builds: one blog's
    page fetched and parsed and the history's HEAD read, by the libraries
    alone (the largest of 3 runs each); {} when they are not built."""
    floors = {}
    for name, exe in FLOORS:
        path = os.path.join(folder, exe)
        if not os.access(path, os.X_OK):
            print('  (no %s: the RSS floor is not measured)' % path)
            continue
        peaks = []
        for _ in range(3):
            rc, _, peak, _, out = run([path, url, repo], env)
            if rc != 0:
                raise SystemExit('%s failed (%d): %s' % (path, rc, out[-300:]))
            peaks.append(peak)
        floors[name] = max(peaks)
    return floors


def floor_row(fig):
    uw = fig['urlwatch_peak_rss_mb']
    if 'floor_libs_rss_mb' not in fig or not uw:
        return 'not measured'
    return ('libcurl + libxml2 + libgit2 + GLib alone %.1f MB (%.2fx urlwatch); with every '
            'library livewatch links %.1f MB (%.2fx); livewatch %.1f MB above that'
            % (fig['floor_libs_rss_mb'], fig['floor_libs_rss_mb'] / uw,
               fig['floor_linked_rss_mb'], fig['floor_linked_rss_mb'] / uw,
               fig['livewatch_peak_rss_mb'] - fig['floor_linked_rss_mb']))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('binary', nargs='?', default=None)
    ap.add_argument('--bin', default=None)
    ap.add_argument('--urlwatch', default='/usr/bin/urlwatch')
    ap.add_argument('--html2text-method', default='pyhtml2text', choices=sorted(HTML2TEXT),
                    help="urlwatch's html2text: the docs' example (pyhtml2text, default) "
                    "or the filter's own default (re)")
    ap.add_argument('--rounds', type=int, default=10, help='measured rounds after the baseline')
    ap.add_argument('--blogs', type=int, default=30)
    ap.add_argument('--page', type=int, default=17, help='posts on each page')
    ap.add_argument('--post-bytes', type=int, default=1000)
    ap.add_argument('--rules', default=os.path.join(SRCDIR, 'rules'))
    ap.add_argument('--cpu-goal', type=float, default=0.2)
    ap.add_argument('--rss-goal', type=float, default=0.25)
    ap.add_argument('--floor-dir', default=None,
                    help='where rss-floor-libs and rss-floor-linked are (default: the '
                    "binary's build folder's tests/)")
    ap.add_argument('--json', help='write the figures here too')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    binary = os.path.abspath(args.binary or args.bin or os.environ.get('LW_BIN') or
                             os.path.join(SRCDIR, 'build', 'daemon', 'livewatch'))
    if not os.access(binary, os.X_OK):
        ap.error('no livewatch binary at %s (build first, or pass it)' % binary)
    if not os.access(args.urlwatch, os.X_OK):
        ap.error('no urlwatch at %s (apt-get install -y urlwatch)' % args.urlwatch)
    uw_version = subprocess.run([args.urlwatch, '--version'], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True).stdout.strip()

    tmp = tempfile.mkdtemp(prefix='lw-vs-urlwatch-')
    server = LiveServer().start()
    blogs = Blogs(server, args.blogs, args.page, args.post_bytes)

    env = dict(os.environ)
    for k in ('NOTIFY_SOCKET', 'DBUS_SESSION_BUS_ADDRESS', 'JOURNAL_STREAM'):
        env.pop(k, None)
    env['HOME'] = tmp
    env['XDG_CONFIG_HOME'] = os.path.join(tmp, 'xdg-config')
    env['XDG_DATA_HOME'] = os.path.join(tmp, 'xdg-data')
    env['XDG_CACHE_HOME'] = os.path.join(tmp, 'xdg-cache')

    lw_dir = os.path.join(tmp, 'livewatch')
    os.makedirs(lw_dir)
    lw_config = os.path.join(lw_dir, 'config.ini')
    lw_repo = os.path.join(lw_dir, 'history')
    with open(lw_config, 'w') as f:
        f.write('[livewatch]\nrepo = %s\ntimeout = 30\n' % lw_repo)
        if args.rules:
            f.write('rules = %s\n' % args.rules)
        f.write('\n')
        for b in range(args.blogs):
            f.write('[blog "%s"]\nurl = %s\n\n' % (blogs.name(b), server.url(blogs.path(b))))
        f.write('[sink "file"]\ntype = file\npath = %s\n' % os.path.join(lw_dir, 'alerts.jsonl'))

    uw_dir = os.path.join(tmp, 'urlwatch')
    os.makedirs(uw_dir)
    uw_urls = os.path.join(uw_dir, 'urls.yaml')
    uw_config = os.path.join(uw_dir, 'urlwatch.yaml')
    uw_cache = os.path.join(uw_dir, 'cache.db')
    uw_hooks = os.path.join(uw_dir, 'hooks.py')
    with open(uw_urls, 'w') as f:
        for b in range(args.blogs):
            f.write(URLWATCH_JOB.format(name=blogs.name(b), url=server.url(blogs.path(b)),
                                        html2text=HTML2TEXT[args.html2text_method]))
    with open(uw_config, 'w') as f:
        f.write(URLWATCH_CONFIG)
    uw_argv = [args.urlwatch, '--urls', uw_urls, '--config', uw_config,
               '--cache', uw_cache, '--hooks', uw_hooks]
    lw_argv = [binary, '-c', lw_config, 'poll']

    res = {'livewatch': [], 'urlwatch': []}   # per round: (cpu, maxrss, wall)
    failures = []
    lw_commits_before = 0
    uw_changed = []
    print('vs-urlwatch: %s vs %s' % (binary, uw_version))
    print('  %d blogs, %d posts a page, one new post per blog per round, %d rounds + baseline'
          % (args.blogs, args.page, args.rounds), flush=True)
    print('  %5s %12s %12s %12s %12s' % ('round', 'lw cpu ms', 'uw cpu ms', 'lw rss MB',
                                         'uw rss MB'), flush=True)
    try:
        for r in range(args.rounds + 1):
            for b in range(args.blogs):
                blogs.publish(b, args.page if r == 0 else 1)
            order = ['livewatch', 'urlwatch'] if r % 2 == 0 else ['urlwatch', 'livewatch']
            row = {}
            for tool in order:
                rc, cpu, rss, wall, out = run(lw_argv if tool == 'livewatch' else uw_argv, env)
                if rc != 0:
                    failures.append('round %d: %s exited %d: %s' % (r, tool, rc, out[-400:]))
                if tool == 'urlwatch' and r > 0:
                    # Each changed job is named twice (summary, then details).
                    changed = set(re.findall(r'CHANGED: (\S+)', out))
                    uw_changed.append(len(changed))
                    if 'ERROR: ' in out:
                        failures.append('round %d: urlwatch reported errors: %s'
                                        % (r, out[out.index('ERROR: '):][:300]))
                row[tool] = (cpu, rss, wall)
                if r > 0:
                    res[tool].append((cpu, rss, wall))
            if r == 0:
                lw_commits_before = int(subprocess.run(
                    ['git', '-C', lw_repo, 'rev-list', '--count', 'HEAD'], check=True,
                    stdout=subprocess.PIPE, text=True).stdout)
            print('  %5s %12.1f %12.1f %12.1f %12.1f'
                  % ('base' if r == 0 else r, row['livewatch'][0] * 1000,
                     row['urlwatch'][0] * 1000, row['livewatch'][1] / 1024,
                     row['urlwatch'][1] / 1024), flush=True)
            if len(failures) > 5:
                break
        floors = measure_floors(args.floor_dir or
                                os.path.join(os.path.dirname(os.path.dirname(binary)), 'tests'),
                                server.url(blogs.path(0)), lw_repo, env)
    finally:
        server.stop()

    lw_commits = int(subprocess.run(['git', '-C', lw_repo, 'rev-list', '--count', 'HEAD'],
                                    check=True, stdout=subprocess.PIPE, text=True).stdout)
    rounds = len(res['livewatch'])
    pages = rounds * args.blogs
    fig = {'bench': 'vs-urlwatch', 'binary': binary, 'urlwatch': uw_version,
           'blogs': args.blogs, 'rounds': rounds,
           'page_kb': round(statistics.mean(blogs.sizes[-args.blogs:]) / 1024, 1),
           'html2text_method': args.html2text_method}
    for tool in ('livewatch', 'urlwatch'):
        cpu = sum(x[0] for x in res[tool])
        fig[tool + '_cpu_s'] = round(cpu, 3)
        fig[tool + '_cpu_per_page_ms'] = round(1000 * cpu / max(1, pages), 2)
        fig[tool + '_peak_rss_mb'] = round(max((x[1] for x in res[tool]), default=0) / 1024, 1)
        fig[tool + '_wall_per_round_s'] = round(statistics.mean(x[2] for x in res[tool]), 2) \
            if res[tool] else None
    cpu_ratio = fig['livewatch_cpu_s'] / fig['urlwatch_cpu_s'] if fig['urlwatch_cpu_s'] else \
        float('nan')
    rss_ratio = fig['livewatch_peak_rss_mb'] / fig['urlwatch_peak_rss_mb'] \
        if fig['urlwatch_peak_rss_mb'] else float('nan')
    fig['cpu_ratio'] = round(cpu_ratio, 3)
    fig['rss_ratio'] = round(rss_ratio, 3)
    for name, kb in floors.items():
        fig['floor_%s_rss_mb' % name] = round(kb / 1024, 1)
    fig['livewatch_commits'] = lw_commits - lw_commits_before
    fig['urlwatch_changed_reports'] = sum(uw_changed)

    if fig['livewatch_commits'] != pages:
        failures.append('livewatch made %d commits for %d changed pages'
                        % (fig['livewatch_commits'], pages))
    if sum(uw_changed) != pages:
        failures.append('urlwatch reported %d changes for %d changed pages'
                        % (sum(uw_changed), pages))
    if not cpu_ratio <= args.cpu_goal:
        failures.append('CPU per changed page %.2fx urlwatch\'s, goal <= %.2fx'
                        % (cpu_ratio, args.cpu_goal))
    if not rss_ratio <= args.rss_goal:
        failures.append('peak RSS %.2fx urlwatch\'s, goal <= %.2fx' % (rss_ratio, args.rss_goal))
    rows = [
        ('livewatch', binary),
        ('urlwatch', '%s (xpath on div#liveblog-body, html2text %s)'
         % (uw_version, fig['html2text_method'])),
        ('scenario', '%d blogs of %.0f KB, one new post each per round, %d rounds '
         '(baseline excluded): %d changed pages' % (args.blogs, fig['page_kb'], rounds, pages)),
        ('CPU per changed page', 'livewatch %.2f ms, urlwatch %.2f ms: %.2fx (goal <= %.2fx)'
         % (fig['livewatch_cpu_per_page_ms'], fig['urlwatch_cpu_per_page_ms'], cpu_ratio,
            args.cpu_goal)),
        ('peak RSS', 'livewatch %.1f MB, urlwatch %.1f MB: %.2fx (goal <= %.2fx)'
         % (fig['livewatch_peak_rss_mb'], fig['urlwatch_peak_rss_mb'], rss_ratio,
            args.rss_goal)),
        ('RSS floor', floor_row(fig)),
        ('wall per round (noisy)', 'livewatch %.2f s, urlwatch %.2f s'
         % (fig['livewatch_wall_per_round_s'] or 0, fig['urlwatch_wall_per_round_s'] or 0)),
        ('changes seen', 'livewatch %d commits, urlwatch %d CHANGED reports'
         % (fig['livewatch_commits'], fig['urlwatch_changed_reports'])),
    ]
    print()
    benchlib.print_rows(rows)
    return benchlib.finish(fig, failures, args.json, tmp, args.keep)


if __name__ == '__main__':
    sys.exit(main())
