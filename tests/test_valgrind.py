#!/usr/bin/env python3
"""valgrind memcheck over real `livewatch poll` runs: a baseline, a poll
with new, edited and removed posts and alerts, a 304, and a failing fetch.
No memory errors and no definite leaks are allowed."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import LW_BIN, Sandbox, Skip, check, run_tests  # noqa: E402



def memcheck(sb, *args):
    log = os.path.join(sb.dir, 'vg-%d.log' % len(os.listdir(sb.dir)))
    cmd = ['valgrind', '--tool=memcheck', '--leak-check=full', '--errors-for-leak-kinds=definite',
           '--show-leak-kinds=definite', '--error-exitcode=99', '--log-file=' + log,
           LW_BIN, '-c', sb.config] + list(args)
    env = dict(sb.env, G_SLICE='always-malloc', G_DEBUG='gc-friendly')
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    with open(log) as f:
        text = f.read()
    m = re.search(r'ERROR SUMMARY: (\d+) errors', text)
    check(m, 'valgrind summary missing:\n' + text[-2000:])
    check(p.returncode != 99 and m.group(1) == '0',
          'memcheck found problems in `livewatch %s`:\n%s' % (' '.join(args), text[-6000:]))
    return p


def test_poll_under_memcheck():
    if not shutil.which('valgrind'):
        raise Skip('valgrind not installed')
    sb = Sandbox()
    try:
        posts = [Post(published='2023-02-14T%02d:00:00Z' % h, title='Post %d' % h,
                      paras=['Text of post %d.' % h, ('quote', ['A quote.'])]) for h in range(15, 8, -1)]
        sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'),
                      etag='"a"')
        memcheck(sb, 'poll')
        hot = Post(published='2023-02-14T16:00:00Z', title='Bakhmut',
                   paras=['Leopard tanks near Bakhmut.'])
        edited = posts[1].copy(paras=['Changed text mentioning Artemivsk.'])
        page = [hot, posts[0], edited] + posts[3:]
        sb.server.set('/live', body=render_blog(page, page_url=sb.url(), headline='Live'),
                      etag='"b"')
        memcheck(sb, 'poll')
        check(len(sb.alerts()) == 3, 'alerts: %r' % sb.alerts())
        memcheck(sb, 'poll')          # 304
        sb.server.set('/live', mode='truncate', body='<html>' + 'x' * 5000)
        memcheck(sb, 'poll')          # failure path
        # reading the history back
        for args in (['log'], ['log', '--json'], ['log', 'live', '--since', '1h'],
                     ['show', 'live', edited.id], ['show', 'live', posts[2].id],
                     ['show', 'live', 'block-'], ['show', 'live', '../x']):
            memcheck(sb, *args)
    finally:
        sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
