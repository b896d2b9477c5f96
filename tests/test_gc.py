#!/usr/bin/env python3
"""Integration: `livewatch gc`, and the packing `poll` and `run` do by
themselves when the history has piled up loose objects.

Histories are made by tests/test-gc.c's helper (`test-gc make DIR N`),
which writes N commits the way the store does: loose objects, day folders.
"""

import fcntl
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import LW_BIN, check, eq, run_tests, wait_for, with_sandbox  # noqa: E402

BUILDDIR = os.environ.get('LW_BUILDDIR', os.path.join(os.path.dirname(LW_BIN), '..'))
MAKER = os.path.join(BUILDDIR, 'tests', 'test-gc')
LINE = re.compile(r'^gc: (\d+) loose objects? and (\d+) packs? -> (\d+) packs?, '
                  r'(\d+\.\d) MB -> (\d+\.\d) MB$')


def make_history(sb, commits):
    subprocess.run([MAKER, 'make', sb.repo, str(commits)], check=True,
                   stdout=subprocess.DEVNULL, env=sb.env)


def objects(sb):
    """git count-objects -v as a dict of ints."""
    out = sb.git('count-objects', '-v')
    return {k: int(v) for k, v in (line.split(': ') for line in out.splitlines())}


def fsck(sb):
    p = subprocess.run(['git', '-C', sb.repo, 'fsck', '--full', '--no-dangling'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=sb.env)
    eq((p.returncode, p.stderr), (0, ''), 'git fsck --full')


def serve(sb):
    posts = [Post(published='2023-02-14T%02d:00:00Z' % h, title='Post at %d' % h,
                  paras=['Something happened at %d.' % h], seed=h) for h in (12, 11, 10)]
    sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))


@with_sandbox
def test_gc_packs_everything(sb):
    make_history(sb, 150)
    loose = objects(sb)['count']
    check(loose > 1000, 'loose objects made: %d' % loose)
    head = sb.git('rev-parse', 'HEAD')
    p = sb.livewatch('gc', check=0)
    m = LINE.match(p.stdout.strip())
    check(m, 'gc line: %r' % p.stdout)
    eq(int(m.group(1)), loose, 'loose objects said')
    eq((m.group(2), m.group(3)), ('0', '1'), 'packs before and after')
    check(float(m.group(5)) < float(m.group(4)), 'smaller: %s' % p.stdout)
    o = objects(sb)
    eq((o['count'], o['packs']), (0, 1), 'loose objects and packs after gc')
    eq(sb.git('rev-parse', 'HEAD'), head, 'HEAD')
    fsck(sb)
    # again: nothing left to do, still one line
    p = sb.livewatch('gc', check=0)
    check(LINE.match(p.stdout.strip()).group(1) == '0', p.stdout)
    eq(objects(sb)['packs'], 1, 'packs after a second gc')


@with_sandbox
def test_gc_usage_and_lock(sb):
    p = sb.livewatch('gc', '--help', check=0)
    check(p.stdout.startswith('usage: livewatch [-c CONFIG] gc'), p.stdout)
    p = sb.livewatch('gc', 'now', check=2)
    check("unexpected argument 'now'" in p.stderr, p.stderr)
    check('gc' in sb.livewatch('--help', check=0).stdout, 'gc in the usage')
    make_history(sb, 5)
    state = os.path.join(sb.repo, '.git', 'livewatch')
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, 'lock'), 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write('4242\n')
        f.flush()
        p = sb.livewatch('gc', check=1)
        check('in use by livewatch' in p.stderr, p.stderr)
    sb.livewatch('gc', check=0)


@with_sandbox
def test_poll_packs_when_due(sb):
    make_history(sb, 150)
    serve(sb)
    before = sb.commits()
    p = sb.poll()
    eq(sb.commits(), before + 1, 'commits after the poll')
    o = objects(sb)
    check(o['count'] < 100, 'loose objects after the poll: %d' % o['count'])
    eq(o['packs'], 1, 'packs after the poll')
    check('gc:' not in p.stdout + p.stderr, 'poll is quiet about packing: %r' % p.stderr)
    fsck(sb)
    # not due any more: nothing changes
    sb.poll()
    eq(objects(sb)['packs'], 1, 'packs after a poll with nothing due')


@with_sandbox
def test_daemon_packs_when_due(sb):
    make_history(sb, 150)
    serve(sb)
    d = sb.start_daemon(args=['-v'])
    wait_for(lambda: objects(sb)['count'], 'loose objects to be packed with the daemon running',
             lambda n: n <= 100, timeout=60)
    d.wait_log(r'gc: \d+ loose objects and \d+ packs? -> 1 pack, .* MB in [\d.]+ s', timeout=20)
    rc, _ = d.stop(15)
    eq(rc, 0, 'daemon exit status; log:\n' + d.log())
    check(not os.path.exists(os.path.join(sb.repo, '.git', 'livewatch', 'busy')), 'busy marker gone')
    fsck(sb)


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
