#!/usr/bin/env python3
"""Benchmark: does a poll cost the same on day 400 as on day 1?

    python3 tests/bench/history-growth.py [BINARY] [--polls 120] [--blogs 3]
                                          [--page 60] [--new 50] [--json FILE]

BINARY defaults to build/daemon/livewatch (also --bin, or $LW_BIN).

Serves BLOGS live blogs from one loopback HTTP server (tests/lwhttpd.py),
rendered in the Guardian's markup by tests/lwblog.py: PAGE posts of about
4.5 KB on each page (newest first; older posts page out), and before every
poll after the first each blog gains NEW posts (a post is ~1 KB of text in
a few paragraphs; with its markup and its JSON-LD update ~4.5 KB of page).  Posts are 15 minutes
apart (96 a day, a daily series' pace), so 18,000 posts span about two
months of day folders.  Runs `livewatch poll` POLLS times, each a fresh
process, and takes its CPU time (user + sys, from os.wait4: the child and
anything it waited for) as the cost of the poll.  CPU time, not wall time:
the machine is shared and wall time moves with its load.

Reports:
  - poll CPU early (mean of polls 2-11: poll 1 is the baseline) and late
    (mean of the last 10), and late / early (goal <= 1.3);
  - loose objects and .git size (`git count-objects -v`, du of .git);
  - `.git` size (the sum of its files' sizes; du's disk usage is printed
    too) over that of a copy after `git gc --aggressive --prune=now`
    (goal <= 2.0).
With --instructions N, polls 2..N+1 and the last N run under valgrind's
callgrind and the goal is judged on their instruction counts instead:
the same for the same work whatever else the machine is doing (CPU time
on a shared, loaded machine moves by tens of percent).
Prints progress every 10 polls, a table, and as the last line one JSON
object with every figure.  Exit status 1 when a goal is missed or a poll
fails.  Standard library only.
"""

import argparse
import os
import re
import shutil
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

def run_poll(binary, config, env, callgrind=False):
    """One `livewatch poll`: (exit status, cpu seconds, wall seconds, output).
    With callgrind, under valgrind's callgrind: the output then ends with
    its "Collected : N" line, the instructions the poll ran."""
    out = tempfile.TemporaryFile()
    pre = ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null'] if callgrind else []
    # peak RSS through GNU time (benchlib.run_measured says why)
    rc, cpu, peak, wall = benchlib.run_measured(pre + [binary, '-c', config, 'poll'], env,
                                                stdout=out, stderr=subprocess.STDOUT)
    out.seek(0)
    text = out.read().decode('utf-8', 'replace')
    out.close()
    return rc, cpu, wall, text, peak


def dir_bytes(path, disk=False):
    """Apparent size of the files under path (disk=True: blocks used, as du)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:
                continue
            total += st.st_blocks * 512 if disk else st.st_size
    return total


def count_objects(repo):
    out = subprocess.run(['git', '-C', repo, 'count-objects', '-v'], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    res = {}
    for line in out.splitlines():
        k, _, v = line.partition(':')
        res[k.strip()] = int(v.strip())
    return res


def entries_at_head(repo):
    out = subprocess.run(['git', '-C', repo, 'ls-tree', '-r', '--name-only', 'HEAD'],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    ids = {}
    for line in out.splitlines():
        parts = line.split('/')
        if len(parts) >= 3 and parts[1] == 'entries' and parts[-1].endswith('.md'):
            ids.setdefault(parts[0], set()).add(parts[-1][:-3])
    return ids


def mean(xs):
    return statistics.mean(xs) if xs else float('nan')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('binary', nargs='?', default=None)
    ap.add_argument('--bin', default=None)
    ap.add_argument('--polls', type=int, default=120)
    ap.add_argument('--blogs', type=int, default=3)
    ap.add_argument('--page', type=int, default=60, help='posts on each page')
    ap.add_argument('--new', type=int, default=50, help='new posts per blog per poll')
    ap.add_argument('--post-bytes', type=int, default=1000,
                    help='body text per post (with its markup and JSON-LD a post '
                    'is ~4.5 KB of the page)')
    ap.add_argument('--rules', default=os.path.join(SRCDIR, 'rules'),
                    help='rules for the config ("" for none)')
    ap.add_argument('--cpu-goal', type=float, default=1.3)
    ap.add_argument('--gc-goal', type=float, default=2.0)
    ap.add_argument('--instructions', type=int, default=0, metavar='N',
                    help='run polls 2..N+1 and the last N under callgrind and compare '
                         'their instruction counts (independent of the machine\'s load); '
                         'the goal is then judged on instructions')
    ap.add_argument('--json', help='write the figures here too')
    ap.add_argument('--keep', action='store_true', help='keep the temporary folder')
    args = ap.parse_args()
    binary = os.path.abspath(args.binary or args.bin or os.environ.get('LW_BIN') or
                             os.path.join(SRCDIR, 'build', 'daemon', 'livewatch'))
    if not os.access(binary, os.X_OK):
        ap.error('no livewatch binary at %s (build first, or pass it)' % binary)
    if args.polls < 12:
        ap.error('--polls must be at least 12 (early is polls 2-11)')

    tmp = tempfile.mkdtemp(prefix='lw-growth-')
    repo = os.path.join(tmp, 'history')
    config = os.path.join(tmp, 'config.ini')
    server = LiveServer().start()
    blogs = Blogs(server, args.blogs, args.page, args.post_bytes)
    with open(config, 'w') as f:
        f.write('[livewatch]\nrepo = %s\ntimeout = 30\n' % repo)
        if args.rules:
            f.write('rules = %s\n' % args.rules)
        f.write('\n')
        for b in range(args.blogs):
            f.write('[blog "%s"]\nurl = %s\n\n' % (blogs.name(b), server.url(blogs.path(b))))
        f.write('[sink "file"]\ntype = file\npath = %s\n' % os.path.join(tmp, 'alerts.jsonl'))
    env = dict(os.environ)
    for k in ('NOTIFY_SOCKET', 'DBUS_SESSION_BUS_ADDRESS', 'JOURNAL_STREAM'):
        env.pop(k, None)
    env['HOME'] = tmp
    env['XDG_CONFIG_HOME'] = os.path.join(tmp, 'config')
    env['XDG_DATA_HOME'] = os.path.join(tmp, 'data')

    polls = []          # dicts per poll
    failures = []
    print('history-growth: %s' % binary)
    print('  %d blogs, %d posts a page, %d new per blog per poll, %d polls; tmp %s'
          % (args.blogs, args.page, args.new, args.polls, tmp), flush=True)
    print('  %5s %8s %9s %9s %8s %8s' % ('poll', 'posts', 'cpu ms', 'wall ms',
                                         'loose', '.git MB'), flush=True)
    t_start = time.monotonic()
    try:
        for i in range(1, args.polls + 1):
            for b in range(args.blogs):
                blogs.publish(b, args.page if i == 1 else args.new)
            n_ins = args.instructions
            measured = n_ins > 0 and (2 <= i <= n_ins + 1 or i > args.polls - n_ins)
            rc, cpu, wall, out, maxrss = run_poll(binary, config, env, callgrind=measured)
            served = sum(blogs.total)
            rec = {'poll': i, 'posts': served, 'cpu_s': cpu, 'wall_s': wall,
                   'rc': rc, 'maxrss_kb': maxrss}
            if measured:
                m = re.search(r'Collected : (\d+)', out)
                rec['instructions'] = int(m.group(1)) if m else None
            polls.append(rec)
            if rc != 0:
                failures.append('poll %d exited %d: %s' % (i, rc, out.strip()[-400:]))
                print('  poll %d exited %d:\n%s' % (i, rc, out), flush=True)
                if len(failures) > 3:
                    break
            co = count_objects(repo)
            rec['loose'] = co['count']
            rec['packs'] = co.get('packs', 0)
            prev = polls[-2] if len(polls) > 1 else {'loose': 0, 'packs': 0}
            # A poll that packed: fewer loose objects than before it, or
            # another set of packs.
            rec['packed'] = rec['loose'] < prev['loose'] or rec['packs'] != prev['packs']
            if i == 1 or i % 10 == 0 or i == args.polls:
                gitmb = dir_bytes(os.path.join(repo, '.git')) / 1e6
                print('  %5d %8d %9.1f %9.1f %8d %8.1f'
                      % (i, served, cpu * 1000, wall * 1000, co['count'], gitmb), flush=True)
    finally:
        server.stop()
    elapsed = time.monotonic() - t_start

    cpus = [p['cpu_s'] for p in polls]
    early = cpus[1:11]
    late = cpus[-10:]
    ratio = mean(late) / mean(early) if early and late else float('nan')
    # The same without the polls that packed (packing is paid now and
    # then; the goal counts it, this shows what the rest costs).
    early_np = [p['cpu_s'] for p in polls[1:11] if not p['packed']]
    late_np = [p['cpu_s'] for p in polls[-10:] if not p['packed']]
    ratio_np = mean(late_np) / mean(early_np) if early_np and late_np else float('nan')
    packing = [p for p in polls if p['packed']]
    ins = {}
    if args.instructions:
        n_ins = args.instructions
        e = [p for p in polls[1:n_ins + 1] if p.get('instructions')]
        l = [p for p in polls[-n_ins:] if p.get('instructions')]
        def ratio_of(a, b):
            a = [p['instructions'] for p in a]
            b = [p['instructions'] for p in b]
            return (mean(b) / mean(a) if a and b else float('nan')), mean(a), mean(b)
        r, me, ml = ratio_of(e, l)
        rn, men, mln = ratio_of([p for p in e if not p['packed']], [p for p in l if not p['packed']])
        ins = {'ins_early': me, 'ins_late': ml, 'ins_late_over_early': r,
               'ins_early_nopack': men, 'ins_late_nopack': mln,
               'ins_late_over_early_nopack': rn}

    heads = entries_at_head(repo)
    at_head = sum(len(v) for v in heads.values())
    missing = 0
    for b in range(args.blogs):
        missing += len(blogs.served_ids[b] - heads.get(blogs.name(b), set()))
    if missing:
        failures.append('%d served posts are not at HEAD' % missing)

    co = count_objects(repo)
    git_dir = os.path.join(repo, '.git')
    git_bytes = dir_bytes(git_dir)
    git_disk = dir_bytes(git_dir, disk=True)
    objects_bytes = dir_bytes(os.path.join(git_dir, 'objects'))
    copy = os.path.join(tmp, 'gc-copy')
    shutil.copytree(repo, copy, symlinks=True)
    t0 = time.monotonic()
    subprocess.run(['git', '-C', copy, 'gc', '--aggressive', '--prune=now', '--quiet'],
                   check=True)
    gc_wall = time.monotonic() - t0
    gc_git_bytes = dir_bytes(os.path.join(copy, '.git'))
    gc_git_disk = dir_bytes(os.path.join(copy, '.git'), disk=True)
    gc_objects_bytes = dir_bytes(os.path.join(copy, '.git', 'objects'))
    gc_ratio = git_bytes / gc_git_bytes
    shutil.rmtree(copy, ignore_errors=True)
    commits = int(subprocess.run(['git', '-C', repo, 'rev-list', '--count', 'HEAD'],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout)

    fig = {
        'bench': 'history-growth', 'binary': binary,
        'blogs': args.blogs, 'page_posts': args.page, 'new_per_poll': args.new,
        'page_kb': round(blogs.page_bytes / 1024, 1),
        'polls': len(polls), 'posts_served': sum(blogs.total), 'posts_at_head': at_head,
        'commits': commits,
        'cpu_first_ms': round(cpus[0] * 1000, 1) if cpus else None,
        'cpu_early_ms': round(mean(early) * 1000, 1),
        'cpu_late_ms': round(mean(late) * 1000, 1),
        'cpu_late_over_early': round(ratio, 3),
        'cpu_max_ms': round(max(cpus) * 1000, 1) if cpus else None,
        'cpu_early_median_ms': round(statistics.median(early) * 1000, 1) if early else None,
        'cpu_late_median_ms': round(statistics.median(late) * 1000, 1) if late else None,
        'cpu_early_nopack_ms': round(mean(early_np) * 1000, 1),
        'cpu_late_nopack_ms': round(mean(late_np) * 1000, 1),
        'cpu_late_over_early_nopack': round(ratio_np, 3),
        'packing_polls': len(packing),
        'packing_poll_cpu_mean_ms': round(mean([p['cpu_s'] for p in packing]) * 1000, 1)
        if packing else None,
        'cpu_total_s': round(sum(cpus), 2),
        'wall_early_ms': round(mean([p['wall_s'] for p in polls[1:11]]) * 1000, 1),
        'wall_late_ms': round(mean([p['wall_s'] for p in polls[-10:]]) * 1000, 1),
        'maxrss_mb': round(max((p['maxrss_kb'] for p in polls), default=0) / 1024, 1),
        'loose_objects': co['count'], 'loose_mb': round(co['size'] / 1024, 1),
        'packed_objects': co.get('in-pack', 0), 'packs': co.get('packs', 0),
        'git_mb': round(git_bytes / 1e6, 2), 'objects_mb': round(objects_bytes / 1e6, 2),
        'git_disk_mb': round(git_disk / 1e6, 2), 'gc_aggressive_git_disk_mb': round(gc_git_disk / 1e6, 2),
        'gc_aggressive_git_mb': round(gc_git_bytes / 1e6, 2),
        'gc_aggressive_objects_mb': round(gc_objects_bytes / 1e6, 2),
        'git_over_gc': round(gc_ratio, 2), 'gc_aggressive_wall_s': round(gc_wall, 1),
        'run_wall_s': round(elapsed, 1),
    }
    fig.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in ins.items()})
    if args.instructions:
        # the polls under callgrind have no meaningful CPU time: judge on
        # their instructions (the same for the same work, whatever the load)
        if not ins['ins_late_over_early'] <= args.cpu_goal:
            failures.append('late/early poll instructions %.2f, goal <= %.2f'
                            % (ins['ins_late_over_early'], args.cpu_goal))
    elif not ratio <= args.cpu_goal:
        failures.append('late/early poll CPU %.2f, goal <= %.2f' % (ratio, args.cpu_goal))
    if not gc_ratio <= args.gc_goal:
        failures.append('.git is %.2f x its gc --aggressive size, goal <= %.1f'
                        % (gc_ratio, args.gc_goal))
    fig['failures'] = failures

    rows = [
        ('binary', binary),
        ('scenario', '%d blogs x %d posts a page (%.0f KB, %.1f KB a post), %d new per '
         'blog per poll' % (args.blogs, args.page, blogs.page_bytes / 1024,
                            blogs.page_bytes / 1024 / args.page, args.new)),
        ('polls', '%d, %d posts served, %d at HEAD, %d commits'
         % (len(polls), sum(blogs.total), at_head, commits)),
        ('poll CPU (user+sys)', 'first %.0f ms, early (2-11) %.1f ms, late (last 10) %.1f ms, '
         'max %.0f ms' % (fig['cpu_first_ms'], fig['cpu_early_ms'], fig['cpu_late_ms'],
                          fig['cpu_max_ms'])),
        ('late / early', '%.2f (goal <= %.1f)' % (ratio, args.cpu_goal)),
        ('  medians', 'early %.1f ms, late %.1f ms'
         % (fig['cpu_early_median_ms'], fig['cpu_late_median_ms'])),
        ('  without packing polls', 'early %.1f ms (%d polls), late %.1f ms (%d polls): %.2f'
         % (fig['cpu_early_nopack_ms'], len(early_np), fig['cpu_late_nopack_ms'], len(late_np),
            ratio_np)),
        ('  packing polls', '%d of %d, mean %s ms CPU'
         % (len(packing), len(polls), fig['packing_poll_cpu_mean_ms'])),
        ('poll wall (noisy)', 'early %.0f ms, late %.0f ms'
         % (fig['wall_early_ms'], fig['wall_late_ms'])),
        ('peak RSS of a poll', '%.1f MB' % fig['maxrss_mb']),
    ]
    if args.instructions:
        rows += [
            ('poll instructions', 'early %.0fM, late %.0fM: %.2f (goal <= %.1f); '
             'without packing polls %.0fM, %.0fM: %.2f'
             % (ins['ins_early'] / 1e6, ins['ins_late'] / 1e6, ins['ins_late_over_early'],
                args.cpu_goal, ins['ins_early_nopack'] / 1e6, ins['ins_late_nopack'] / 1e6,
                ins['ins_late_over_early_nopack'])),
        ]
    rows += [
        ('loose objects', '%d (%.1f MB); %d packed in %d packs'
         % (co['count'], co['size'] / 1024, fig['packed_objects'], fig['packs'])),
        ('.git', '%.1f MB of files (objects %.1f MB); %.1f MB on disk'
         % (git_bytes / 1e6, objects_bytes / 1e6, git_disk / 1e6)),
        ('copy after gc --aggressive', '%.1f MB of files (objects %.1f MB); %.1f MB on disk; '
         'took %.0f s' % (gc_git_bytes / 1e6, gc_objects_bytes / 1e6, gc_git_disk / 1e6,
                          gc_wall)),
        ('.git / gc --aggressive', '%.2f by file sizes (goal <= %.1f); %.2f on disk'
         % (gc_ratio, args.gc_goal, git_disk / gc_git_disk)),
        ('run', '%.0f s wall' % elapsed),
    ]
    print()
    benchlib.print_rows(rows)
    return benchlib.finish(fig, failures, args.json, tmp, args.keep)


if __name__ == '__main__':
    sys.exit(main())
