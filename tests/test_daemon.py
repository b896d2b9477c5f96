#!/usr/bin/env python3
"""Integration: the real `livewatch run` daemon against misbehaving loopback
servers, driven by signals, watched through a NOTIFY_SOCKET the test binds,
the servers' request logs, the daemon's log and the git history."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lwhttpd  # noqa: E402
from lwblog import Post, render_blog  # noqa: E402
from lwhttpd import LiveServer  # noqa: E402
from lwtest import LW_BIN, Sandbox, check, eq, run_tests  # noqa: E402

HEADLINE = 'Ukraine war live: talks in Brussels as fighting continues'

# Every transfer's start and end, across all servers of this process, so
# tests can see overlap (lwhttpd's own log has no end time).
SPANS = []
SPANS_LOCK = threading.Lock()
_orig_dispatch = lwhttpd.Handler._dispatch


def _timed_dispatch(self):
    start = time.time()
    try:
        _orig_dispatch(self)
    finally:
        if not self.path.startswith('/_lw/'):
            with SPANS_LOCK:
                SPANS.append((self.server.live.host, self.path.split('?')[0],
                              start, time.time()))


lwhttpd.Handler._dispatch = _timed_dispatch


def posts(day=None, n=4, prefix='Report'):
    """n posts, newest first, an hour apart; today's (a live blog whose
    JSON-LD coverageEndTime is recent) unless day (of February 2023)."""
    if day is None:
        t0 = int(time.time()) // 60 * 60 - 60
    else:
        t0 = int(time.mktime((2023, 2, day, 13, 0, 0, 0, 0, 0)) - time.timezone)
    out = []
    for i in range(n):
        t = t0 - i * 3600
        stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))
        out.append(Post(published=stamp, title=None,
                        paras=['%s filed at %s about the war.' % (prefix, stamp)],
                        seed=day or 0))
    return out


def page(url, ps, **kw):
    kw.setdefault('now', None)
    return render_blog(ps, page_url=url, headline=HEADLINE, **kw)


class Daemon:
    """The real binary as a subprocess, with a notify socket and a log file."""

    def __init__(self, sb, config_text, args=(), env=None):
        self.sb = sb
        with open(sb.config, 'w') as f:
            f.write(config_text)
        self.sock_path = os.path.join(sb.dir, 'notify.sock')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(0.1)
        self.notes = []
        self.notes_lock = threading.Lock()
        self.reading = True
        self.reader = threading.Thread(target=self._read_notes, daemon=True)
        self.reader.start()
        self.log_path = os.path.join(sb.dir, 'daemon.log')
        e = dict(sb.env)
        e['NOTIFY_SOCKET'] = self.sock_path
        e.update(env or {})
        self.logf = open(self.log_path, 'w')
        self.proc = subprocess.Popen([LW_BIN, '-c', sb.config] + list(args) + ['run'],
                                     env=e, stdout=self.logf, stderr=subprocess.STDOUT)
        self.t0 = time.time()

    def _read_notes(self):
        # Drained all the time, as systemd does: a full socket buffer
        # would make the daemon drop notifications.
        while self.reading:
            try:
                note = self.sock.recv(65536).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.notes_lock:
                self.notes.append(note)

    def notifications(self):
        with self.notes_lock:
            return list(self.notes)

    def wait_note(self, pred, timeout=10, after=0):
        end = time.time() + timeout
        while time.time() < end:
            for n in self.notifications()[after:]:
                if pred(n):
                    return n
            time.sleep(0.05)
        raise AssertionError('no notification matched; got %r\nlog:\n%s'
                             % (self.notes, self.log()))

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, timeout=10, count=1):
        end = time.time() + timeout
        while time.time() < end:
            if len(re.findall(pattern, self.log(), re.M)) >= count:
                return
            check(self.proc.poll() is None, 'daemon died: %s' % self.log())
            time.sleep(0.05)
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


def with_sandbox(fn):
    def wrapper():
        sb = Sandbox(blogs={})
        sb.extra = []
        try:
            fn(sb)
        finally:
            for d in sb.extra:
                d.close()
            sb.close()
    wrapper.__name__ = fn.__name__
    return wrapper


def config(sb, main='', blogs=(), extra=''):
    """blogs: (name, url, {key: value})."""
    out = ['[livewatch]', 'repo = history', 'rules = test.rules', 'timeout = 5',
           'connect_timeout = 2', main, '']
    for name, url, keys in blogs:
        out.append('[blog "%s"]' % name)
        out.append('url = %s' % url)
        for k, v in keys.items():
            out.append('%s = %s' % (k, v))
        out.append('')
    out.append('[sink "file"]\ntype = file\npath = %s\n' % sb.alerts_path)
    out.append(extra)
    return '\n'.join(out)


def start(sb, text, args=(), env=None):
    d = Daemon(sb, text, args, env)
    sb.extra.append(d)
    return d


def count(server, path, since=0):
    """Polls of path since a time (a redirect's later hops not counted)."""
    return len([r for r in server.requests(path) if r['time'] >= since and r['target'] == path])


def times(server, path):
    return [r['time'] for r in server.requests(path)]


def blog_commits(sb, blog):
    if not os.path.isdir(os.path.join(sb.repo, '.git')):
        return 0
    out = sb.git('log', '--format=%H', '--', blog + '/')
    return len(out.split())


# ---------------------------------------------------------------------------


@with_sandbox
def test_notify_protocol_journal_and_watchdog(sb):
    """READY=1, a live STATUS=, WATCHDOG=1 at half the period, journald
    priority prefixes, STOPPING=1 and exit 0 on SIGTERM."""
    srv = sb.server
    url = srv.url('/a')
    srv.set('/a', body=page(url, posts()))
    srv.set('/b', status=500, body='down')
    d = start(sb, config(sb, 'interval = 1\nmax_backoff = 1', [
        ('alpha', url, {}), ('broken', srv.url('/b'), {})]),
        env={'JOURNAL_STREAM': '8:1234', 'WATCHDOG_USEC': '400000'})
    d.wait_note(lambda n: n == 'READY=1')
    d.wait_note(lambda n: n.startswith('STATUS=2 blogs, 1 failing, last change ')
                and n.endswith(' alpha'))
    time.sleep(1.2)
    wd = [n for n in d.notifications() if n == 'WATCHDOG=1']
    # 0.2 s period over >= 1.2 s: about 6; a loose lower bound.
    check(len(wd) >= 4, 'too few WATCHDOG=1: %d' % len(wd))
    rc, took = d.stop()
    eq(rc, 0, 'exit status')
    check('STOPPING=1' in d.notifications(), 'no STOPPING=1')
    log = d.log()
    lines = [line for line in log.splitlines() if line]
    check(lines and all(re.match(r'<[3-7]>', line) for line in lines),
          'lines without a priority prefix:\n' + log)
    eq(len(re.findall(r'^<4>broken: ', log, re.M)), 1, 'one warning for the failing blog')


@with_sandbox
def test_faults_do_not_disturb_healthy_blogs(sb):
    """Many blogs on their own hosts, most of them broken in a different
    way: the healthy ones keep their schedule, nothing broken is recorded,
    each failure is logged once, back-off and Retry-After are honoured,
    memory stays flat."""
    servers = {}
    blogs = []
    faults = {
        'stall': dict(mode='stall', seconds=30),
        'drip': dict(mode='drip', interval=1.0, body='x' * 100),
        'trunc': dict(mode='truncate', body='<html><body><p>half'),
        'huge': dict(mode='huge'),
        'closehdr': dict(mode='close-headers'),
        'loop': dict(mode='redirect-loop'),
        'tofile': dict(mode='redirect-file'),
        'e500': dict(status=500, body='oops'),
        'e404': dict(status=404, body='gone'),
        'e429': dict(mode='retry-after', status=429, retry_after='4'),
        'e503': dict(mode='retry-after', status=503, retry_after='3'),
    }
    names = ['ok1', 'ok2', 'badutf'] + list(faults)
    for i, name in enumerate(names):
        srv = LiveServer(host='127.0.0.%d' % (i + 2)).start()
        servers[name] = srv
        sb.extra.append(srv_closer(srv))
        url = srv.url('/live')
        if name.startswith('ok'):
            srv.set('/live', body=page(url, posts()), auto_etag=(name == 'ok2'))
        elif name == 'badutf':
            html = page(url, posts(prefix='Caf\u00e9 report')).encode('utf-8')
            html = html.replace('Caf\u00e9'.encode('utf-8'), b'Caf\xe9\xff')
            srv.set('/live', body=html, content_type='text/html; charset=utf-8')
        else:
            srv.set('/live', **faults[name])
        blogs.append((name, url, {}))
    d = start(sb, config(sb, 'interval = 1\nmax_backoff = 8\nmax_size = 4MB\n'
                             'health_alerts = yes', blogs), args=os.environ.get('LW_DAEMON_ARGS', '').split())
    d.wait_note(lambda n: n == 'READY=1')
    time.sleep(5)
    rss0 = d.rss_kb()
    t_mid = time.time()
    time.sleep(9)
    rss1 = d.rss_kb()
    t_end = time.time()
    check(d.proc.poll() is None, 'daemon died:\n' + d.log())

    # Healthy blogs: interval 1 s (+-10%) plus the fetch: about 8 polls in 9 s.
    for name in ('ok1', 'ok2', 'badutf'):
        n = count(servers[name], '/live', t_mid)
        check(n >= 6, '%s polled %d times in %.1f s while others misbehaved\n%s'
              % (name, n, t_end - t_mid, d.log()))
    # ok2 sends an ETag: later polls are conditional.
    check(any('if-none-match' in r['headers'] for r in servers['ok2'].requests('/live')),
          'no conditional request')
    # Back-off: 1, 2, 4, 8, 8 s ... at most a handful in 14 s.
    for name in ('e500', 'e404', 'trunc', 'closehdr', 'loop', 'tofile'):
        n = count(servers[name], '/live')
        check(1 <= n <= 5, '%s: %d requests, expected back-off' % (name, n))
    # Retry-After: never sooner than the server asked.
    for name, ra in (('e503', 3), ('e429', 4)):
        t = times(servers[name], '/live')
        check(len(t) >= 2, '%s: %d requests' % (name, len(t)))
        gaps = [b - a for a, b in zip(t, t[1:])]
        check(min(gaps) >= ra - 0.05, '%s: Retry-After %d s not honoured: %r' % (name, ra, gaps))
    # Growth between two samples after every fault had its go.
    check(rss1 - rss0 < 6000, 'RSS grew from %d to %d kB' % (rss0, rss1))

    rc, took = d.stop()
    eq(rc, 0, 'exit status')
    check(took < 10, 'took %.1f s to stop' % took)
    log = d.log()
    for name in faults:
        if name in ('stall', 'drip'):
            continue
        eq(len(re.findall(r'^warning: %s: ' % name, log, re.M)), 1,
           'warnings for %s in\n%s' % (name, log))
    # Nothing from a broken response is recorded.
    for name in faults:
        eq(blog_commits(sb, name), 0, 'commits for ' + name)
        check(not os.path.exists(os.path.join(sb.repo, name)), name + ' recorded')
    for name in ('ok1', 'ok2', 'badutf'):
        eq(blog_commits(sb, name), 1, 'commits for ' + name)
    for fn in os.listdir(os.path.join(sb.repo, 'badutf', 'entries')):
        with open(os.path.join(sb.repo, 'badutf', 'entries', fn), 'rb') as f:
            f.read().decode('utf-8')
    # One health alert per blog that started failing, none per poll.
    alerts = [a for a in sb.alerts() if a['rule'] == 'health']
    failing = sorted(a['blog'] for a in alerts if a['change'] == 'unreachable')
    eq(len(failing), len(set(failing)), 'one alert per failing blog')
    check({'e500', 'e404', 'e503', 'e429', 'huge', 'trunc'} <= set(failing),
          'missing health alerts: %r' % failing)
    a = [a for a in alerts if a['blog'] == 'e500'][0]
    check(re.match(r'e500 unreachable since \d\d:\d\d: ', a['title']), a['title'])


class srv_closer:
    def __init__(self, srv):
        self.srv = srv

    def close(self):
        self.srv.stop()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
