#!/usr/bin/env python3
"""Integration: a full disk and a read-only repository.  Nothing recorded
is lost or rewritten, the error names the repository, and the next poll
after the disk has room records the change and alerts once."""

import contextlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import Sandbox, Skip, check, eq, run_tests  # noqa: E402


def posts_at(*hours):
    return [Post(published='2023-02-14T%02d:00:00Z' % h, title='Post at %d' % h,
                 paras=['Text of the post published at %d o\'clock.' % h]) for h in hours]


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    if os.geteuid() != 0:
        raise Skip('needs root to mount a small tmpfs')
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s' % size, 'tmpfs', path],
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Skip('cannot mount a tmpfs here: ' + r.stderr.strip())


@contextlib.contextmanager
def repository_on_a_small_disk(sb, size='2m'):
    """Moves the sandbox's repository (not yet made) onto a tmpfs of size,
    mounted at sb.dir/small, which this yields; unmounts it and closes the
    sandbox on the way out."""
    mnt = os.path.join(sb.dir, 'small')
    try:
        mount_tmpfs(mnt, size)
    except Skip:
        sb.close()
        raise
    try:
        with open(sb.config) as f:
            cfg = f.read().replace('repo = history', 'repo = %s/history' % mnt)
        with open(sb.config, 'w') as f:
            f.write(cfg)
        sb.repo = os.path.join(mnt, 'history')
        yield mnt
    finally:
        subprocess.run(['umount', '-l', mnt])
        sb.close()


def fill(mnt):
    """Writes a file at mnt until the disk is full; returns its path."""
    filler = os.path.join(mnt, 'filler')
    with open(filler, 'wb') as f:
        try:
            while True:
                f.write(b'\0' * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_disk_full_loses_nothing():
    sb = Sandbox()
    with repository_on_a_small_disk(sb) as mnt:
        base = posts_at(12, 11, 10, 9)
        sb.server.set('/live', body=render_blog(base, page_url=sb.url(), headline='Live'))
        sb.poll()
        head = sb.git('rev-parse', 'HEAD').strip()

        # Fill the disk, then a page with a new matching post arrives.
        filler = fill(mnt)
        hot = Post(published='2023-02-14T13:00:00Z', title='Shelling near Bakhmut',
                   paras=['Shelling near Bakhmut was reported.'])
        sb.server.set('/live', body=render_blog([hot] + base, page_url=sb.url(),
                                                headline='Live'))
        p = sb.poll(check=1)
        check(mnt in p.stderr, 'error names the repository: %s' % p.stderr)
        eq(sb.git('rev-parse', 'HEAD').strip(), head, 'HEAD untouched on a full disk')
        eq(sb.alerts(), [], 'no alert for what could not be recorded')
        for p_ in base:
            check(sb.entry_path(p_.id) is not None,
                  'recorded files kept')

        # Room again: the change is recorded and alerted exactly once.
        os.unlink(filler)
        sb.poll()
        eq(sb.last_changes(), {('A', hot.id)})
        eq([a['entry'] for a in sb.alerts()], [hot.id], 'one alert after recovery')
        out = sb.git('fsck', '--no-progress')
        check('error' not in out.lower(), 'repository is sound: ' + out)


def test_disk_full_during_a_poll_of_many_blogs():
    # A poll's commits reach the disk together (one pack, one move of the
    # branch): when that cannot be written, none of them is recorded, no
    # alert goes out and no blog's state is saved, and each blog says so;
    # the next poll with room records every change and alerts once.
    names = ('a', 'b', 'c')
    sb = Sandbox(blogs={n: '/' + n for n in names})
    with repository_on_a_small_disk(sb) as mnt:
        pages = {n: posts_at(12, 11, 10, 9) for n in names}

        def serve_all():
            for n in names:
                sb.server.set('/' + n, body=render_blog(pages[n], page_url=sb.url('/' + n),
                                                        headline='Live ' + n), auto_etag=True)

        serve_all()
        sb.poll()
        head = sb.git('rev-parse', 'HEAD').strip()
        filler = fill(mnt)
        for n in names:
            title = 'Shelling near Bakhmut' if n == 'b' else 'Aid for ' + n
            pages[n].insert(0, Post(published='2023-02-14T13:00:00Z', title=title,
                                    paras=['%s, reported at one.' % title]))
        serve_all()
        p = sb.poll(check=1)
        eq(sb.git('rev-parse', 'HEAD').strip(), head, 'HEAD untouched on a full disk')
        eq(sb.alerts(), [], 'no alert for what could not be recorded')
        for n in names:
            check(('%s: ' % n) in p.stderr and mnt in p.stderr,
                  'each blog says why, naming the repository:\n' + p.stderr)

        os.unlink(filler)
        p = sb.poll()
        eq(p.stdout.count('changed'), len(names), 'every change recorded:\n' + p.stdout)
        eq(int(sb.git('rev-list', '--count', 'HEAD')), 1 + 2 * len(names), 'a commit a blog')
        for n in names:
            files = sb.git('ls-tree', '-r', '--name-only', 'HEAD', n + '/entries')
            check(pages[n][0].id + '.md' in files, 'the new post of %s at HEAD' % n)
        eq([a['entry'] for a in sb.alerts()], [pages['b'][0].id], 'one alert after recovery')
        sb.poll()
        eq(len(sb.alerts()), 1, 'and only one')
        out = sb.git('fsck', '--no-progress')
        check('error' not in out.lower(), 'repository is sound: ' + out)


def test_read_only_repository():
    if os.geteuid() == 0:
        # root ignores permission bits; use a read-only bind mount instead.
        pass
    sb = Sandbox()
    try:
        base = posts_at(12, 11, 10, 9)
        sb.server.set('/live', body=render_blog(base, page_url=sb.url(), headline='Live'))
        sb.poll()
        head = sb.git('rev-parse', 'HEAD').strip()
        if os.geteuid() == 0:
            r = subprocess.run(['mount', '--bind', '-o', 'ro', sb.repo, sb.repo],
                               stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise Skip('cannot bind-mount read-only: ' + r.stderr.strip())
            r = subprocess.run(['mount', '-o', 'remount,bind,ro', sb.repo],
                               stderr=subprocess.PIPE, text=True)
        else:
            subprocess.run(['chmod', '-R', 'a-w', sb.repo], check=True)
        try:
            new = posts_at(13)
            sb.server.set('/live', body=render_blog(new + base, page_url=sb.url(),
                                                    headline='Live'))
            p = sb.poll(check=1)
            check(sb.repo in p.stderr, 'error names the repository: %s' % p.stderr)
            eq(sb.git('rev-parse', 'HEAD').strip(), head, 'HEAD untouched')
        finally:
            if os.geteuid() == 0:
                subprocess.run(['umount', '-l', sb.repo])
            else:
                subprocess.run(['chmod', '-R', 'u+w', sb.repo])
        sb.poll()
        eq(sb.last_changes(), {('A', new[0].id)}, 'recorded once writable again')
    finally:
        sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
