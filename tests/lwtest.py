"""The helpers of livewatch's Python integration tests, in one place
(stdlib only; it also runs under Debian's /usr/bin/python3).

Tests are plain functions named test_*; run_tests() runs them in order and
speaks TAP (Tap, the one writer), which meson reads.  Each test gets a
fresh Sandbox (with_sandbox): its own temporary folder, config,
repository and loopback server, and the daemons it starts (Daemon).
What a daemon or a sink does in the background is waited for until a
deadline (wait_until, wait_for, wait_eq), never sampled once.
"""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
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


def scratch(prefix='lw-test-'):
    """A temporary folder for a test that needs no Sandbox, removed when
    the test program exits (however the test ended)."""
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, True)
    return d


class Sandbox:
    """env: variables to set for livewatch (None: unset)."""

    def __init__(self, rules=None, sinks=True, extra_main='', blogs=None, env=None):
        self.dir = tempfile.mkdtemp(prefix='lw-it-')
        self.cleanups = []   # called last first by close(), before the server stops
        self.daemons = 0
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
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = v
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
        for fn in reversed(self.cleanups):
            fn()
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def add_server(self, **kw):
        """Another loopback server (a webhook's, another host's), stopped
        with the sandbox."""
        srv = LiveServer(**kw).start()
        self.cleanups.append(srv.stop)
        return srv

    def start_daemon(self, config_text=None, args=(), env=None, journal=False):
        """`livewatch run` on this sandbox (config_text replaces the
        config when given), closed with the sandbox."""
        d = Daemon(self, config_text, args, env, journal)
        self.cleanups.append(d.close)
        return d

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


# The local time `run` starts its lines with, unless stderr is the journal.
LOG_STAMP = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ', re.M)


class Daemon:
    """`livewatch run` as a subprocess, with a notify socket (read all the
    time, as systemd does) and a log file.  journal=True sets
    JOURNAL_STREAM to the log file's device and inode, as systemd does
    for a service whose stderr is the journal."""

    def __init__(self, sb, config_text=None, args=(), env=None, journal=False):
        self.sb = sb
        if config_text is not None:
            with open(sb.config, 'w') as f:
                f.write(config_text)
        sb.daemons += 1
        self.sock_path = os.path.join(sb.dir, 'notify-%d.sock' % sb.daemons)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(0.1)
        self.notes = []
        self.notes_lock = threading.Lock()
        self.note_times = []
        self.reading = True
        self.reader = threading.Thread(target=self._read_notes, daemon=True)
        self.reader.start()
        self.log_path = os.path.join(sb.dir, 'daemon-%d.log' % sb.daemons)
        e = dict(sb.env)
        e['NOTIFY_SOCKET'] = self.sock_path
        e.update(env or {})
        self.logf = open(self.log_path, 'w')
        if journal:
            st = os.fstat(self.logf.fileno())
            e['JOURNAL_STREAM'] = '%d:%d' % (st.st_dev, st.st_ino)
        self.proc = subprocess.Popen([LW_BIN, '-c', sb.config] + list(args) + ['run'],
                                     env=e, stdout=self.logf, stderr=subprocess.STDOUT)
        self.t0 = time.time()

    def _read_notes(self):
        # A full socket buffer would make the daemon drop notifications.
        while self.reading:
            try:
                note = self.sock.recv(65536).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.notes_lock:
                self.notes.append(note)
                self.note_times.append((time.monotonic(), note))

    def notifications(self):
        with self.notes_lock:
            return list(self.notes)

    def wait_note(self, pred, timeout=10, after=0):
        """The first notification (from the after-th on) pred accepts."""
        found = wait_until(lambda: [n for n in self.notifications()[after:] if pred(n)],
                           timeout=timeout)
        if not found:
            raise AssertionError('no notification matched; got %r\nlog:\n%s'
                                 % (self.notifications(), self.log()))
        return found[0]

    def raw_log(self):
        with open(self.log_path) as f:
            return f.read()

    def log(self):
        """The log without the time each line starts with (LOG_STAMP), so
        that patterns anchor on what the line says."""
        return LOG_STAMP.sub('', self.raw_log())

    def wait_log(self, pattern, timeout=10, count=1):
        """Until the log has count lines matching pattern; fails at once
        when the daemon dies."""
        def seen():
            check(self.proc.poll() is None, 'daemon died: %s' % self.log())
            return len(re.findall(pattern, self.log(), re.M)) >= count
        if not wait_until(seen, timeout=timeout):
            raise AssertionError('log never matched %r:\n%s' % (pattern, self.log()))

    def kill(self, sig):
        self.proc.send_signal(sig)

    def rss_kb(self):
        with open('/proc/%d/status' % self.proc.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        return 0

    def stop(self, timeout=10):
        """SIGTERM; (exit status, seconds it took)."""
        t = time.time()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError('daemon did not stop within %d s:\n%s' % (timeout, self.log()))
        return rc, time.time() - t

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        self.reading = False
        self.reader.join(2)
        self.sock.close()


def with_sandbox(fn=None, **sandbox_args):
    """@with_sandbox or @with_sandbox(blogs=..., env=...): the test gets a
    fresh Sandbox, closed after it with all it started."""
    def deco(f):
        def wrapper():
            sb = Sandbox(**sandbox_args)
            try:
                f(sb)
            finally:
                sb.close()
        wrapper.__name__ = f.__name__
        wrapper.__doc__ = f.__doc__
        return wrapper
    return deco(fn) if fn else deco


def wait_until(get, pred=bool, timeout=20):
    """get() polled until pred holds for its value or the deadline passes;
    returns the last value.  What the daemon, a sink or a child may still
    be doing is read this way, never sampled once."""
    end = time.monotonic() + timeout
    value = get()
    while not pred(value) and time.monotonic() < end:
        time.sleep(0.05)
        value = get()
    return value


def wait_for(get, what, pred=bool, timeout=20):
    """wait_until(), failing the test (naming what, with the last value)
    when the deadline passes first."""
    value = wait_until(get, pred, timeout)
    if not pred(value):
        raise AssertionError('timed out after %g s waiting for %s (last: %r)'
                             % (timeout, what, value))
    return value


def wait_eq(get, want, what, timeout=20):
    eq(wait_until(get, lambda v: v == want, timeout), want, what)


def lines_of(path):
    """The lines of a file, [] while it does not exist."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def json_file(path):
    """The JSON object in path, or None while it is missing or being
    written."""
    try:
        with open(path) as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


def check(cond, msg='check failed'):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=''):
    if got != want:
        raise AssertionError('%s: got %r, want %r' % (what or 'value', got, want))


class Tap:
    """The one TAP writer: a line per result as it comes, the plan first
    when it is known (planned), else last.  finish() gives the exit
    status: 1 when anything failed."""

    def __init__(self, planned=None):
        self.n = 0
        self.failed = 0
        self.planned = planned is not None
        if self.planned:
            print('1..%d' % planned, flush=True)

    def result(self, ok, what, detail=None, skip=None):
        self.n += 1
        line = '%sok %d - %s' % ('' if ok else 'not ', self.n, what)
        if skip:
            line += ' # SKIP %s' % skip
        print(line, flush=True)
        if not ok:
            self.failed += 1
            for d in str(detail or '').splitlines():
                print('# ' + d, flush=True)
        return ok

    def check(self, ok, what, detail=None):
        return self.result(ok, what, detail)

    def equal(self, got, want, what):
        return self.result(got == want, what, 'got %r, want %r' % (got, want))

    def finish(self):
        if not self.planned:
            print('1..%d' % self.n, flush=True)
        return 1 if self.failed else 0


def skip_all(reason):
    """Nothing can run here (a tool or module missing): says so, exits 0."""
    print('1..0 # SKIP %s' % reason, flush=True)
    sys.exit(0)


def run_tests(module_globals):
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith('test_') and callable(f)]
    only = os.environ.get('LW_TEST_ONLY')
    if only:
        tests = [(n, f) for n, f in tests if only in n]
    tap = Tap(len(tests))
    for name, fn in tests:
        try:
            fn()
            tap.result(True, name)
        except Skip as e:
            tap.result(True, name, skip=str(e) or 'skipped')
        except Exception:
            tap.result(False, name, traceback.format_exc())
    return tap.finish()
