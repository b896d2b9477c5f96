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
from lwtest import LW_BIN, Sandbox, Skip, check, run_tests, sanitized  # noqa: E402



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


def need_memcheck():
    if sanitized():
        raise Skip('built with a sanitizer, which valgrind cannot run')
    if not shutil.which('valgrind'):
        raise Skip('valgrind not installed')


def test_poll_under_memcheck():
    need_memcheck()
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


def test_sinks_under_memcheck():
    """The webhook and exec sinks: success, retry, HTTP error, refused
    connection, a failing and a timed-out child."""
    need_memcheck()
    from lwhttpd import LiveServer
    sb = Sandbox()
    hooks = LiveServer().start()
    try:
        ok = os.path.join(sb.dir, 'ok.sh')
        slow = os.path.join(sb.dir, 'slow.sh')
        with open(ok, 'w') as f:
            f.write('#!/bin/sh\ncat >/dev/null; echo failing >&2; exit "$1"\n')
        with open(slow, 'w') as f:
            f.write('#!/bin/sh\nexec sleep 30\n')
        os.chmod(ok, 0o755)
        os.chmod(slow, 0o755)
        with open(sb.config, 'a') as f:
            for fmt in ('json', 'ntfy', 'slack'):
                f.write('\n[sink "%s"]\ntype = webhook\nformat = %s\nurl = %s\n'
                        'header = Authorization: Bearer x\n' % (fmt, fmt, hooks.url('/' + fmt)))
            f.write('\n[sink "gone"]\ntype = webhook\nurl = %s\n' % hooks.url('/none'))
            f.write('\n[sink "refused"]\ntype = webhook\nurl = http://127.0.0.1:9/\n')
            f.write('\n[sink "run-ok"]\ntype = exec\ncommand = %s 0\n' % ok)
            f.write('\n[sink "run-fail"]\ntype = exec\ncommand = %s 4\n' % ok)
            f.write('\n[sink "run-slow"]\ntype = exec\ncommand = %s\ntimeout = 1\n' % slow)
        hooks.set('/json', body='ok', statuses=[500])
        hooks.set('/ntfy', body='ok')
        hooks.set('/slack', body='ok')
        posts = [Post(published='2023-02-14T%02d:00:00Z' % h, title='Post %d' % h,
                      paras=['Text of post %d.' % h]) for h in range(15, 12, -1)]
        sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))
        memcheck(sb, 'poll')
        hot = Post(published='2023-02-14T16:00:00Z', title='Bakhmut',
                   paras=['Leopard tanks near Bakhmut.'])
        sb.server.set('/live', body=render_blog([hot] + posts, page_url=sb.url(),
                                                headline='Live'))
        p = memcheck(sb, 'poll')
        check(len(sb.alerts()) == 2, 'alerts: %r' % sb.alerts())
        check(len(hooks.requests('/json')) == 3, 'json: 2 alerts, one retried')
        check(len(hooks.requests('/ntfy')) == 2 and len(hooks.requests('/slack')) == 2)
        for what in ("sink 'gone'", "sink 'refused'", "sink 'run-fail'", "timed out after 1 s"):
            check(what in p.stderr, '%s missing in %s' % (what, p.stderr))
        check("sink 'run-ok'" not in p.stderr, p.stderr)
        memcheck(sb, 'check')
    finally:
        hooks.stop()
        sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
