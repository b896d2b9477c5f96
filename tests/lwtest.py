"""Small helpers for livewatch's Python integration tests (stdlib only).

Tests are plain functions named test_*; run_tests() runs them in order and
speaks TAP, which meson reads.  Each test gets a fresh Sandbox: its own
temporary folder, config, repository and loopback server.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lwhttpd import LiveServer  # noqa: E402

LW_BIN = os.environ.get('LW_BIN') or os.path.join(
    os.environ.get('LW_BUILDDIR', os.path.join(HERE, '..', 'build')), 'daemon', 'livewatch')
SRCDIR = os.environ.get('LW_SRCDIR', os.path.join(HERE, '..'))


class Skip(Exception):
    pass


def sanitized():
    """True when the binary was built with -Db_sanitize (ASan/UBSan):
    valgrind and strace cannot run it, and ASan's quarantine holds memory
    on purpose."""
    return os.environ.get('LW_SANITIZE', 'none') not in ('', 'none')


class Sandbox:
    def __init__(self, rules=None, sinks=True, extra_main='', blogs=None):
        self.dir = tempfile.mkdtemp(prefix='lw-it-')
        self.repo = os.path.join(self.dir, 'history')
        self.alerts_path = os.path.join(self.dir, 'alerts.jsonl')
        self.server = LiveServer()
        self.server.start()
        self.config = os.path.join(self.dir, 'config.ini')
        self.env = dict(os.environ)
        self.env['HOME'] = self.dir
        self.env['XDG_CONFIG_HOME'] = os.path.join(self.dir, 'config')
        self.env['XDG_DATA_HOME'] = os.path.join(self.dir, 'data')
        self.env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        self.env.pop('JOURNAL_STREAM', None)
        rules_path = os.path.join(self.dir, 'test.rules')
        with open(rules_path, 'w') as f:
            f.write(rules if rules is not None else
                    '[bakhmut]\nquery = Bakhmut~ OR Artemivsk\nurgency = critical\n\n'
                    '[leopard]\nquery = Leopard AND (tank OR tanks)\n')
        self.blogs = blogs or {'live': '/live'}
        with open(self.config, 'w') as f:
            f.write('[livewatch]\nrepo = history\nrules = test.rules\n'
                    'timeout = 5\nconnect_timeout = 2\n' + extra_main + '\n')
            for name, path in self.blogs.items():
                f.write('[blog "%s"]\nurl = %s\n\n' % (name, self.server.url(path)))
            if sinks:
                f.write('[sink "file"]\ntype = file\npath = %s\n' % self.alerts_path)

    def close(self):
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, path='/live'):
        return self.server.url(path)

    def livewatch(self, *args, check=None, timeout=60):
        p = subprocess.run([LW_BIN, '-c', self.config] + list(args), env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, text=True)
        if check is not None and p.returncode != check:
            raise AssertionError('livewatch %s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s'
                                 % (' '.join(args), p.returncode, check, p.stdout, p.stderr))
        return p

    def poll(self, *blogs, check=0):
        return self.livewatch('poll', *blogs, check=check)

    def git(self, *args):
        return subprocess.run(['git', '-C', self.repo] + list(args), check=True,
                              stdout=subprocess.PIPE, text=True, env=self.env).stdout

    def commits(self):
        if not os.path.isdir(os.path.join(self.repo, '.git')):
            return 0
        return int(self.git('rev-list', '--count', 'HEAD').strip())

    def last_changes(self, blog='live'):
        """git diff --name-status HEAD~1 HEAD for the blog's entries, as a set."""
        out = self.git('diff', '--name-status', 'HEAD~1', 'HEAD', '--', blog + '/entries/')
        res = set()
        for line in out.splitlines():
            st, path = line.split('\t', 1)
            res.add((st, os.path.basename(path)[:-3]))
        return res

    def alerts(self):
        if not os.path.exists(self.alerts_path):
            return []
        with open(self.alerts_path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def entry_path(self, entry_id, blog='live'):
        """The working-tree path of an entry's file, in whichever day
        folder holds it (None when there is none)."""
        return entry_path(self.repo, entry_id, blog)

    def entry_ids(self, blog='live'):
        """Ids of every entry file in the working tree, sorted."""
        return entry_ids(self.repo, blog)

    def entry_file(self, entry_id, blog='live'):
        path = self.entry_path(entry_id, blog)
        if path is None:
            raise FileNotFoundError('%s/entries/*/%s.md' % (blog, entry_id))
        with open(path) as f:
            return f.read()


def entry_path(repo, entry_id, blog='live'):
    """<repo>/<blog>/entries/<YYYY-MM-DD>/<id>.md (or the flat layout's
    <blog>/entries/<id>.md), or None."""
    top = os.path.join(repo, blog, 'entries')
    flat = os.path.join(top, entry_id + '.md')
    if os.path.exists(flat):
        return flat
    for day in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        path = os.path.join(top, day, entry_id + '.md')
        if os.path.exists(path):
            return path
    return None


def entry_ids(repo, blog='live'):
    top = os.path.join(repo, blog, 'entries')
    ids = []
    for _, _, files in os.walk(top):
        ids += [f[:-3] for f in files if f.endswith('.md')]
    return sorted(ids)


def check(cond, msg='check failed'):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=''):
    if got != want:
        raise AssertionError('%s: got %r, want %r' % (what or 'value', got, want))


def run_tests(module_globals):
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith('test_') and callable(f)]
    only = os.environ.get('LW_TEST_ONLY')
    if only:
        tests = [(n, f) for n, f in tests if only in n]
    print('1..%d' % len(tests), flush=True)
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print('ok %d - %s' % (i, name), flush=True)
        except Skip as e:
            print('ok %d - %s # SKIP %s' % (i, name, e), flush=True)
        except Exception:
            failed += 1
            print('not ok %d - %s' % (i, name), flush=True)
            for line in traceback.format_exc().splitlines():
                print('# ' + line, flush=True)
    return 1 if failed else 0
