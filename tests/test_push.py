#!/usr/bin/env python3
"""Integration: `push =` and `branch =` against real remotes started by
the test: a bare repository given as a path, and the same served by
`git daemon` on loopback (git://, receive-pack enabled).  Pushes arrive;
a remote that is down never stops recording and is caught up once it is
back; two livewatches on two branches share one remote and a clone sees
both; a branch that moved under us stops pushing with one clear error
and is never forced."""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import Sandbox, check, eq, run_tests, wait_until, with_sandbox  # noqa: E402


def post(hour, text):
    return Post(published='2023-02-14T%02d:00:00Z' % hour, paras=[text])


def serve(sb, n, path='/live'):
    posts = [post(h, 'Post number %d of %s.' % (h, path)) for h in range(9 + n, 9, -1)]
    sb.server.set(path, body=render_blog(posts, page_url=sb.url(path), headline='Live', now=None))


def git(*args, cwd=None):
    return subprocess.run(['git'] + list(args), cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def bare(sb, name='remote.git'):
    path = os.path.join(sb.dir, name)
    git('init', '-q', '--bare', path)
    return path


def remote_head(path, branch):
    p = subprocess.run(['git', '--git-dir', path, 'rev-parse', '--verify', '-q',
                        'refs/heads/' + branch], capture_output=True, text=True)
    return p.stdout.strip() or None


def commits(sb):
    """sb.commits(), 0 while the daemon is still creating the repository."""
    try:
        return sb.commits()
    except subprocess.CalledProcessError:
        return 0


def local_head(sb):
    return sb.git('rev-parse', 'HEAD').strip()


def local_branch(sb):
    return sb.git('symbolic-ref', '--short', 'HEAD').strip()


class GitDaemon:
    def __init__(self, base):
        self.base = base
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ['git', 'daemon', '--reuseaddr', '--listen=127.0.0.1', '--port=%d' % self.port,
             '--base-path=' + self.base, '--export-all', '--enable=receive-pack', self.base],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            try:
                socket.create_connection(('127.0.0.1', self.port), 0.2).close()
                return True
            except OSError:
                return False
        check(wait_until(up, timeout=10), 'git daemon listens')

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def url(self, name):
        return 'git://127.0.0.1:%d/%s' % (self.port, name)


SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'lsan-libgit2.supp')


def set_push(sb, url, branch=None):
    # a sanitizer build: libgit2's own leak on a refused connection
    sb.env['LSAN_OPTIONS'] = (sb.env.get('LSAN_OPTIONS', '') + ':suppressions=' + SUPP).lstrip(':')
    # (whole stacks, so that the suppression sees the libgit2 function)
    sb.env['ASAN_OPTIONS'] = (sb.env.get('ASAN_OPTIONS', '') + ':fast_unwind_on_malloc=0').lstrip(':')
    with open(sb.config) as f:
        text = f.read()
    extra = 'push = %s\n' % url + ('branch = %s\n' % branch if branch else '')
    with open(sb.config, 'w') as f:
        f.write(text.replace('[livewatch]\n', '[livewatch]\n' + extra, 1))


@with_sandbox
def test_push_to_a_path(sb):
    remote = bare(sb)
    set_push(sb, remote)
    serve(sb, 3)
    sb.poll()
    eq(remote_head(remote, local_branch(sb)), local_head(sb), 'the first commit arrived')
    serve(sb, 4)
    sb.poll()
    eq(remote_head(remote, local_branch(sb)), local_head(sb), 'and the next')


@with_sandbox
def test_down_remote_is_caught_up(sb):
    base = os.path.join(sb.dir, 'srv')
    os.makedirs(base)
    remote = bare(sb, 'srv/remote.git')
    gd = GitDaemon(base)
    sb.cleanups.append(gd.stop)
    set_push(sb, gd.url('remote.git'))
    gd.start()
    serve(sb, 3)
    sb.poll()
    eq(remote_head(remote, local_branch(sb)), local_head(sb), 'pushed over git://')
    gd.stop()
    before = sb.commits()
    for n in (4, 5):
        serve(sb, n)
        t0 = time.monotonic()
        p = sb.poll()
        check(time.monotonic() - t0 < 20, 'a down remote does not hold the poll up')
        check("cannot push to '%s'" % gd.url('remote.git') in p.stderr, p.stderr)
    eq(sb.commits(), before + 2, 'recording went on while the remote was down')
    check(remote_head(remote, local_branch(sb)) != local_head(sb), 'not there yet')
    gd.start()
    serve(sb, 6)
    sb.poll()
    eq(remote_head(remote, local_branch(sb)), local_head(sb), 'caught up once it is back')
    eq(git('--git-dir', remote, 'rev-list', '--count', local_branch(sb)), str(sb.commits()),
       'every commit')


def test_two_livewatches_two_branches():
    one = Sandbox(blogs={'alpha': '/alpha'})
    two = Sandbox(blogs={'beta': '/beta'})
    try:
        remote = bare(one)
        set_push(one, remote, 'desk-1')
        set_push(two, remote, 'desk-2')
        serve(one, 3, '/alpha')
        serve(two, 2, '/beta')
        one.poll()
        two.poll()
        serve(one, 4, '/alpha')
        one.poll()
        eq(remote_head(remote, 'desk-1'), local_head(one))
        eq(remote_head(remote, 'desk-2'), local_head(two))
        clone = os.path.join(one.dir, 'reader')
        git('clone', '-q', remote, clone)
        names = git('log', '--all', '--format=%(trailers:key=Livewatch-Blog,valueonly)', cwd=clone)
        eq(sorted(set(n for n in names.split() if n)), ['alpha', 'beta'],
           'a reader who clones sees every branch\'s blogs')
    finally:
        one.close()
        two.close()


@with_sandbox
def test_moved_branch_stops_pushing(sb):
    remote = bare(sb)
    set_push(sb, remote, 'shared')
    serve(sb, 3)
    sb.poll()
    eq(remote_head(remote, 'shared'), local_head(sb))
    # someone else writes the branch
    other = os.path.join(sb.dir, 'other')
    git('clone', '-q', '-b', 'shared', remote, other)
    with open(os.path.join(other, 'NOTES.md'), 'w') as f:
        f.write('not livewatch\n')
    git('add', 'NOTES.md', cwd=other)
    git('-c', 'user.name=O', '-c', 'user.email=o@example.org', 'commit', '-q', '-m', 'theirs',
        cwd=other)
    git('push', '-q', 'origin', 'shared', cwd=other)
    theirs = remote_head(remote, 'shared')
    serve(sb, 4)
    p = sb.poll()
    eq(p.returncode, 0, 'the poll was recorded')
    check("branch 'shared' has moved" in p.stderr and 'nothing was forced' in p.stderr, p.stderr)
    eq(p.stderr.count('has moved'), 1, 'said once')
    eq(remote_head(remote, 'shared'), theirs, 'never forced')


@with_sandbox(extra_main='interval = 1')
def test_daemon_pushes_in_background(sb):
    base = os.path.join(sb.dir, 'srv')
    os.makedirs(base)
    remote = bare(sb, 'srv/remote.git')
    gd = GitDaemon(base)
    sb.cleanups.append(gd.stop)
    set_push(sb, gd.url('remote.git'))
    serve(sb, 3)
    d = sb.start_daemon()
    # the README commit, then the baseline
    wait_until(lambda: commits(sb), lambda n: n >= 2, timeout=30)
    serve(sb, 4)
    check(wait_until(lambda: commits(sb), lambda n: n >= 3, timeout=30) >= 3,
          'two polls: ' + open(d.log_path).read()[-3000:])
    check(remote_head(remote, 'main') is None and remote_head(remote, 'master') is None,
          'the remote is down: nothing pushed, recording went on')
    gd.start()
    serve(sb, 5)
    got = wait_until(lambda: (remote_head(remote, local_branch(sb)), local_head(sb)),
                     lambda v: v[0] == v[1], timeout=30)
    eq(got[0], got[1], 'the daemon caught the remote up')
    del d


if __name__ == '__main__':
    run_tests(globals())
