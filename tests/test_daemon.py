#!/usr/bin/env python3
"""Integration: the real `livewatch run` daemon against misbehaving loopback
servers, driven by signals, watched through a NOTIFY_SOCKET the test binds,
the servers' request logs, the daemon's log and the git history."""

import json
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lwhttpd  # noqa: E402
from lwblog import Post, render_blog  # noqa: E402
from lwtest import (check, eq, lines_of, run_tests, sanitized, wait_eq,  # noqa: E402
                    wait_for, wait_until, with_sandbox)

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


def config(sb, main='', blogs=(), extra=''):
    """blogs: (name, url, {key: value}); main's keys replace the defaults
    (a key set twice is an error)."""
    given = {line.split('=')[0].strip() for line in main.splitlines() if '=' in line}
    defaults = [k + ' = ' + v for k, v in (('timeout', '5'), ('connect_timeout', '2'))
                if k not in given]
    out = ['[livewatch]', 'repo = history', 'rules = test.rules'] + defaults + [main, '']
    for name, url, keys in blogs:
        out.append('[blog "%s"]' % name)
        out.append('url = %s' % url)
        for k, v in keys.items():
            out.append('%s = %s' % (k, v))
        out.append('')
    out.append('[sink "file"]\ntype = file\npath = %s\n' % sb.alerts_path)
    out.append(extra)
    return '\n'.join(out)


def count(server, path, since=0):
    """Polls of path since a time (a redirect's later hops not counted)."""
    return len([r for r in server.requests(path) if r['time'] >= since and r['target'] == path])


def times(server, path):
    return [r['time'] for r in server.requests(path)]


def settle(d, srv, names, timeout=20):
    """Waits until every poll the servers saw of these blogs has ended
    in the daemon (started with -vv: a cycle ends with "NAME: next poll
    in"): SIGUSR1 skips a blog whose poll is still running."""
    def pending():
        log = d.log()
        return [n for n in names if len(re.findall(r'^%s: next poll in ' % re.escape(n), log,
                                                    re.M)) < count(srv, '/' + n)]
    left = wait_until(pending, lambda p: not p, timeout)
    check(not left, 'polls of %r still running:\n%s' % (left, d.log()))


def blog_commits(sb, blog):
    if not os.path.isdir(os.path.join(sb.repo, '.git')):
        return 0
    out = sb.git('log', '--format=%H', '--', blog + '/')
    return len(out.split())


# ---------------------------------------------------------------------------


@with_sandbox(blogs={})
def test_notify_protocol_journal_and_watchdog(sb):
    """READY=1, a live STATUS=, WATCHDOG=1 at half the period, journald
    priority prefixes, STOPPING=1 and exit 0 on SIGTERM."""
    srv = sb.server
    url = srv.url('/a')
    srv.set('/a', body=page(url, posts()))
    srv.set('/b', status=500, body='down')
    d = sb.start_daemon(config(sb, 'interval = 1\nmax_backoff = 1', [
        ('alpha', url, {}), ('broken', srv.url('/b'), {})]),
        env={'WATCHDOG_USEC': '400000'}, journal=True)
    d.wait_note(lambda n: n == 'READY=1')
    d.wait_note(lambda n: n.startswith('STATUS=2 blogs, 1 failing, last change ')
                and n.endswith(' alpha'))
    def pings():
        with d.notes_lock:
            return [t for t, note in d.note_times if note == 'WATCHDOG=1']
    # 0.2 s period: four pings within about 0.6 s; a loose bound.
    wd = wait_until(pings, lambda p: len(p) >= 4, timeout=10)
    check(len(wd) >= 4, 'too few WATCHDOG=1: %d' % len(wd))
    check(wd[3] - wd[0] < 1.5, 'WATCHDOG=1 too far apart: %r' % wd[:4])
    rc, took = d.stop()
    eq(rc, 0, 'exit status; log:\n' + d.log())
    check('STOPPING=1' in d.notifications(), 'no STOPPING=1')
    log = d.log()
    lines = [line for line in log.splitlines() if line]
    check(lines and all(re.match(r'<[3-7]>', line) for line in lines),
          'lines without a priority prefix:\n' + log)
    eq(len(re.findall(r'^<4>broken: ', log, re.M)), 1, 'one warning for the failing blog')


@with_sandbox(blogs={})
def test_slow_deliveries_hold_nothing_up(sb):
    """A webhook that never answers (timeout 60 s) and a hook that sleeps:
    other blogs are still polled on time, the watchdog is fed, SIGTERM
    stops the daemon within seconds, and the alerts caught in the slow
    deliveries are delivered by the next start."""
    srv = sb.server
    url = srv.url('/a')
    srv.set('/a', body=page(url, posts(prefix='Shelling near Bakhmut, report')))
    srv.set('/b', body=page(srv.url('/b'), posts(prefix='Weather')))
    srv.set('/hook', mode='stall', seconds=120)
    hook_out = os.path.join(sb.dir, 'hook.out')
    sinks = ('[sink "hang"]\ntype = webhook\nurl = %s\ntimeout = 60\n\n'
             '[sink "sleepy"]\ntype = exec\ntimeout = 60\n'
             'command = /bin/sh -c "sleep 30; cat >> %s"\n' % (srv.url('/hook'), hook_out))
    text = config(sb, 'interval = 1\nalert_on_first_poll = yes',
                  [('alpha', url, {'interval': '600'}), ('beta', srv.url('/b'), {})],
                  extra=sinks)
    d = sb.start_daemon(text, env={'WATCHDOG_USEC': '1000000'})
    check(wait_until(lambda: srv.requests('/hook')), 'the webhook was never called:\n' + d.log())
    t0 = time.time()
    t0_mono = time.monotonic()
    # the file sink has its own lane: it takes them while the others hang
    wait_eq(lambda: len(sb.alerts()), 4, 'alerts in the file sink', timeout=10)
    time.sleep(max(0, t0_mono + 5 - time.monotonic()))
    n = count(srv, '/b', t0)
    check(n >= 3, 'beta polled %d times in 5 s while a delivery hung:\n%s' % (n, d.log()))
    with d.notes_lock:
        pings = [t for t, note in d.note_times if note == 'WATCHDOG=1' and t >= t0_mono]
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    check(len(pings) >= 6 and max(gaps) < 1.5, 'the watchdog went unfed: %r' % pings)

    # systemctl status shows what is waiting
    d.wait_note(lambda n: n.startswith('STATUS=2 blogs, 0 failing')
                and n.endswith(', 4 alerts being delivered'))
    outbox = os.path.join(sb.repo, '.git', 'livewatch', 'outbox.jsonl')
    check(os.path.exists(outbox), 'the undelivered alerts are not in the outbox')
    rc, took = d.stop()
    eq(rc, 0, 'exit status; log:\n' + d.log())
    check(took < 5, 'stopping took %.1f s with a delivery in progress' % took)
    check(os.path.exists(outbox), 'stopping lost the outbox')
    eq(len(open(outbox).read().splitlines()), 4, 'alerts left in the outbox')
    check(not os.path.exists(hook_out), 'the killed hook ran to its end')

    # Both come back quick: the next start delivers what was left.
    srv.set('/hook', body='ok')
    before = len(srv.requests('/hook'))
    text = text.replace('sleep 30; ', '')
    d2 = sb.start_daemon(text)
    d2.wait_log(r'delivered the alerts left from an interrupted run', timeout=20)
    wait_eq(lambda: len([r for r in srv.requests('/hook')[before:]
                         if json.loads(r['body']).get('rule')]),
            4, 'alerts posted after the restart')
    wait_eq(lambda: len(lines_of(hook_out)), 4, 'alerts the hook got after the restart')
    wait_eq(lambda: [line for line in lines_of(outbox) if line.strip()], [],
            'alerts left in the outbox')
    # Every sink had its go again; the file already held those ids.
    eq(len(sb.alerts()), 4, 'alerts in the file sink after the restart (no twins)')
    eq(len({a['id'] for a in sb.alerts()}), 4, 'distinct alert ids')
    keys = {r['headers'].get('idempotency-key') for r in srv.requests('/hook')}
    eq(keys, {a['id'] for a in sb.alerts()}, 'the webhook got each id as Idempotency-Key')
    d2.wait_note(lambda n: n.startswith('STATUS=') and 'being delivered' not in n)
    rc, took = d2.stop()
    eq(rc, 0, 'exit status; log:\n' + d2.log())


@with_sandbox(blogs={})
def test_killed_during_a_delivery(sb):
    """SIGKILL while a webhook hangs: nothing is cut short cleanly, yet the
    next start delivers every alert, and the outbox ends empty."""
    srv = sb.server
    url = srv.url('/a')
    srv.set('/a', body=page(url, posts(prefix='Shelling near Bakhmut, report')))
    srv.set('/hook', mode='stall', seconds=120)
    text = config(sb, 'interval = 1\nalert_on_first_poll = yes', [('alpha', url, {})],
                  extra='[sink "hang"]\ntype = webhook\nurl = %s\ntimeout = 60\n'
                  % srv.url('/hook'))
    d = sb.start_daemon(text)
    check(wait_until(lambda: srv.requests('/hook')), 'the webhook was never called:\n' + d.log())
    d.kill(signal.SIGKILL)
    d.proc.wait(10)
    outbox = os.path.join(sb.repo, '.git', 'livewatch', 'outbox.jsonl')
    eq(len(open(outbox).read().splitlines()), 4, 'alerts in the outbox after the kill')

    srv.set('/hook', body='ok')
    before = len(srv.requests('/hook'))
    d2 = sb.start_daemon(text)
    d2.wait_log(r'delivered the alerts left from an interrupted run', timeout=20)
    wait_eq(lambda: len(srv.requests('/hook')[before:]), 4, 'alerts posted after the restart')
    for name in ('outbox.jsonl', 'outbox.taking'):
        path = os.path.join(sb.repo, '.git', 'livewatch', name)
        wait_eq(lambda: [line for line in lines_of(path) if line.strip()], [],
                name + ' not emptied')
    rc, took = d2.stop()
    eq(rc, 0, 'exit status; log:\n' + d2.log())


@with_sandbox(blogs={})
def test_reload_during_a_hanging_delivery(sb):
    """SIGHUP while a webhook hangs: the new configuration (without the
    webhook) takes over, its alerts arrive, the old delivery keeps what it
    needs until it is cut short by SIGTERM."""
    srv = sb.server
    url = srv.url('/a')
    ps = posts(prefix='Shelling near Bakhmut, report')
    srv.set('/a', body=page(url, ps[1:]))
    srv.set('/hook', mode='stall', seconds=120)
    hang = '[sink "hang"]\ntype = webhook\nurl = %s\ntimeout = 60\n' % srv.url('/hook')
    text = config(sb, 'interval = 1\nalert_on_first_poll = yes', [('alpha', url, {})],
                  extra=hang)
    d = sb.start_daemon(text)
    check(wait_until(lambda: srv.requests('/hook')), 'the webhook was never called:\n' + d.log())
    # the file lane may still be writing when the webhook is first called
    wait_eq(lambda: len(sb.alerts()), 3, 'alerts before the reload')
    with open(sb.config, 'w') as f:
        f.write(text.replace(hang, ''))
    d.kill(signal.SIGHUP)
    d.wait_log(r'configuration reloaded')
    srv.set('/a', body=page(url, ps))
    wait_eq(lambda: len(sb.alerts()), 4, 'alerts after the reload')
    eq(len(srv.requests('/hook')), 1, 'posts to the removed webhook')
    rc, took = d.stop()
    eq(rc, 0, 'exit status; log:\n' + d.log())
    check(took < 5, 'stopping took %.1f s' % took)


@with_sandbox(blogs={})
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
        srv = sb.add_server(host='127.0.0.%d' % (i + 2))
        servers[name] = srv
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
    d = sb.start_daemon(config(sb, 'interval = 1\nmax_backoff = 8\nmax_size = 4MB\n'
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
    if not sanitized():  # ASan's quarantine keeps freed memory on purpose
        check(rss1 - rss0 < 6000, 'RSS grew from %d to %d kB' % (rss0, rss1))

    # the health alerts of the blogs that failed: written by the file lane
    # by now, or soon
    must_fail = {'e500', 'e404', 'e503', 'e429', 'huge', 'trunc'}
    wait_until(lambda: {a['blog'] for a in sb.alerts()
                        if a['rule'] == 'health' and a['change'] == 'unreachable'},
               lambda failing: must_fail <= failing, timeout=10)

    rc, took = d.stop()
    eq(rc, 0, 'exit status; log:\n' + d.log())
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
    for top, _, files in os.walk(os.path.join(sb.repo, 'badutf', 'entries')):
        for fn in files:
            with open(os.path.join(top, fn), 'rb') as f:
                f.read().decode('utf-8')
    # One health alert per blog that started failing, none per poll.
    alerts = [a for a in sb.alerts() if a['rule'] == 'health']
    failing = sorted(a['blog'] for a in alerts if a['change'] == 'unreachable')
    eq(len(failing), len(set(failing)), 'one alert per failing blog')
    check(must_fail <= set(failing), 'missing health alerts: %r' % failing)
    a = [a for a in alerts if a['blog'] == 'e500'][0]
    check(re.match(r'e500 unreachable since \d\d:\d\d: ', a['title']), a['title'])



def spans(hosts, since=0):
    with SPANS_LOCK:
        return sorted((s for s in SPANS if s[0] in hosts and s[2] >= since),
                      key=lambda s: s[2])


def max_overlap(sp):
    events = sorted([(s[2], 1) for s in sp] + [(s[3], -1) for s in sp])
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


@with_sandbox(blogs={})
def test_host_politeness_and_global_limit(sb):
    """Two blogs on one host: one request at a time, delay seconds apart.
    Four slow blogs elsewhere: never more than `concurrency` in flight."""
    t0 = time.time()
    srv = sb.server
    srv.set('/p1', mode='stall', seconds=0.6)
    srv.set('/p2', mode='stall', seconds=0.6)
    blogs = [('p1', srv.url('/p1'), {}), ('p2', srv.url('/p2'), {})]
    slow_hosts = []
    for i in range(4):
        s = sb.add_server(host='127.0.1.%d' % (i + 1))
        s.set('/live', mode='stall', seconds=1.5)
        slow_hosts.append(s.host)
        blogs.append(('slow%d' % i, s.url('/live'), {}))
    d = sb.start_daemon(config(sb, 'interval = 1\nmax_backoff = 1\nconcurrency = 3', blogs,
                         extra='[host "127.0.0.1"]\ndelay = 1.5\n'))
    d.wait_note(lambda n: n == 'READY=1')
    time.sleep(9)
    d.stop()
    polite = spans({'127.0.0.1'}, t0)
    paths = [s[1] for s in polite]
    check(paths.count('/p1') >= 2 and paths.count('/p2') >= 2,
          'both blogs on the host polled: %r' % paths)
    for a, b in zip(polite, polite[1:]):
        check(b[2] >= a[3] - 0.01, 'two requests to one host at once: %r %r' % (a, b))
        check(b[2] - a[3] >= 1.4, 'only %.2f s between requests to one host' % (b[2] - a[3]))
    every = spans({'127.0.0.1'} | set(slow_hosts), t0)
    eq(max_overlap(every), 3, 'transfers in flight at most (concurrency = 3)')


@with_sandbox(blogs={})
def test_usr1_reload_and_one_daemon_per_repo(sb):
    srv = sb.server
    for p in ('/a', '/b'):
        srv.set(p, body=page(srv.url(p), posts(prefix=p)))
    text = config(sb, 'interval = 60\ndelay = 0', [('a', srv.url('/a'), {})])
    d = sb.start_daemon(text, args=['-vv'])
    d.wait_note(lambda n: n == 'READY=1')
    d.wait_log(r'^a: 4 new')
    eq(count(srv, '/a'), 1, 'polls of a')

    # SIGUSR1 polls everything now (every blog whose poll is not running).
    settle(d, srv, ['a'])
    d.kill(signal.SIGUSR1)
    wait_eq(lambda: count(srv, '/a'), 2, 'polls of a after SIGUSR1', timeout=10)

    # A second daemon on the same repository names the holder.
    p = sb.livewatch('run', timeout=20)
    eq(p.returncode, 1, 'second run exit status')
    check('pid %d' % d.proc.pid in p.stderr, 'holder not named: ' + p.stderr)

    # SIGHUP with a blog added: it starts, a is left alone.
    with open(sb.config, 'w') as f:
        f.write(config(sb, 'interval = 60\ndelay = 0',
                       [('a', srv.url('/a'), {}), ('b', srv.url('/b'), {})]))
    n0 = len(d.notifications())
    d.kill(signal.SIGHUP)
    d.wait_note(lambda n: n.startswith('RELOADING=1'), after=n0)
    d.wait_note(lambda n: n == 'READY=1', after=n0)
    d.wait_log(r'^b: 4 new')
    d.wait_log(r'configuration reloaded: 2 blogs')
    time.sleep(0.5)
    eq(count(srv, '/a'), 2, 'polls of a after a reload that did not change it')

    # A broken config: logged with FILE:LINE, the old one keeps running.
    with open(sb.config, 'w') as f:
        f.write('[livewatch]\nrepo = history\ninterval = banana\n')
    d.kill(signal.SIGHUP)
    d.wait_log(r'reload failed, keeping the old configuration: %s:3: '
               % re.escape(sb.config))
    settle(d, srv, ['a', 'b'])
    d.kill(signal.SIGUSR1)
    wait_eq(lambda: (count(srv, '/a'), count(srv, '/b')), (3, 2),
            'polls of a and b: the old config still runs', timeout=10)

    # Removing a blog stops it.
    with open(sb.config, 'w') as f:
        f.write(config(sb, 'interval = 60\ndelay = 0', [('a', srv.url('/a'), {})]))
    d.kill(signal.SIGHUP)
    d.wait_log(r'configuration reloaded: 1 blog$')
    settle(d, srv, ['a'])
    d.kill(signal.SIGUSR1)
    wait_eq(lambda: count(srv, '/a'), 4, 'polls of a', timeout=10)
    time.sleep(0.5)
    eq(count(srv, '/b'), 2, 'polls of a removed blog')
    rc, _ = d.stop()
    eq(rc, 0, 'exit status; log:\n' + d.log())


@with_sandbox(blogs={})
def test_sigterm_with_a_stalled_transfer(sb):
    srv = sb.server
    srv.set('/s', mode='stall', seconds=60)
    # Another host: the stalled one holds its own host's only slot.
    other = sb.add_server(host='127.0.0.2')
    other.set('/ok', body=page(other.url('/ok'), posts()))
    d = sb.start_daemon(config(sb, 'interval = 1\ntimeout = 60\ndelay = 0',
                         [('s', srv.url('/s'), {}), ('ok', other.url('/ok'), {})]))
    d.wait_log(r'^ok: 4 new')
    wait_for(lambda: srv.requests('/s'), 'the stalled blog to be requested', timeout=5)
    time.sleep(0.5)
    rc, took = d.stop()
    eq(rc, 0, 'exit status; log:\n' + d.log())
    check(took < 10, 'stopping took %.1f s' % took)
    eq(blog_commits(sb, 's'), 0, 'commits of the stalled blog')
    eq(blog_commits(sb, 'ok'), 1, 'commits of the healthy blog')


@with_sandbox(blogs={})
def test_failure_logged_once_then_recovery(sb):
    srv = sb.server
    srv.set('/f', status=500, body='down')
    d = sb.start_daemon(config(sb, 'interval = 1\nmax_backoff = 1\ndelay = 0\nhealth_alerts = yes',
                         [('f', srv.url('/f'), {})]))
    d.wait_note(lambda n: n.startswith('STATUS=1 blog, 1 failing'))
    wait_for(lambda: count(srv, '/f'), 'four polls of the failing blog', lambda n: n >= 4,
             timeout=10)
    srv.set('/f', body=page(srv.url('/f'), posts()))
    d.wait_log(r'^f: recovered')
    d.wait_note(lambda n: n.startswith('STATUS=1 blog, 0 failing, last change'))

    def health():
        return [(a['change'], a['title']) for a in sb.alerts() if a['rule'] == 'health']
    wait_for(health, 'the failing and recovered health alerts', lambda h: len(h) >= 2)
    outbox = os.path.join(sb.repo, '.git', 'livewatch', 'outbox.jsonl')
    wait_for(lambda: [line for line in lines_of(outbox) if line.strip()], 'an empty outbox',
             lambda v: not v)
    time.sleep(1.5)
    d.stop()
    log = d.log()
    eq(len(re.findall(r'^warning: f: cannot fetch .*HTTP 500, retrying in 1 s$', log, re.M)),
       1, 'warnings in\n' + log)
    eq(len(re.findall(r'^f: recovered', log, re.M)), 1, 'recovery lines in\n' + log)
    eq(len([line for line in log.splitlines() if line.startswith(('f:', 'warning: f:'))]), 3,
       'lines about f (warning, recovered, first snapshot) in\n' + log)
    got = health()
    eq(len(got), 2, 'health alerts %r' % got)
    check(got[0][0] == 'unreachable' and
          re.match(r'f unreachable since \d\d:\d\d: cannot fetch .* HTTP 500$', got[0][1]),
          got[0])
    eq(got[1][0], 'recovered', 'second health alert')
    # through the outbox like every alert, and out of it once delivered
    check(not os.path.exists(outbox) or not open(outbox).read().strip(),
          'alerts left in the outbox')


@with_sandbox(blogs={})
def test_follow_a_series(sb):
    """A series page whose newest /live/ link moves: the blog follows it,
    every day's posts land in one entries/ folder, the commit says so."""
    srv = sb.server
    day = {d: '/world/live/2023/feb/%d/russia-ukraine-war-day-%d' % (d, d) for d in (13, 14, 15)}
    for d_, path in day.items():
        srv.set(path, body=page(srv.url(path), posts(day=d_, prefix='Day %d' % d_)))

    def series(days):
        links = ''.join('<li><a href="%s">day %d</a></li>' % (day[x], x)
                        for x in sorted(days, reverse=True))
        srv.set('/series', body='<html><body><a href="/world/2023/feb/16/other">x</a>'
                                '<ul>%s</ul></body></html>' % links)

    series([13, 14])
    text = config(sb, 'interval = 1\ndelay = 0', [
        ('ukraine', srv.url(day[13]), {'follow': srv.url('/series')})])
    d = sb.start_daemon(text)
    d.wait_log(r"^ukraine: now following '%s'" % re.escape(srv.url(day[14])))
    d.wait_log(r'^ukraine: 4 new')
    msg = sb.git('log', '-1', '--format=%B')
    check('Livewatch-Url: %s\n' % srv.url(day[14]) in msg, msg)
    eq(count(srv, day[13]), 0, 'polls of the page the series moved away from')

    series([13, 14, 15])
    d.wait_log(r"^ukraine: now following '%s'" % re.escape(srv.url(day[15])))
    d.wait_log(r'^ukraine: 4 new', count=2)
    msg = sb.git('log', '-1', '--format=%B')
    check('Livewatch-Url: %s\n' % srv.url(day[15]) in msg, msg)
    # Yesterday's posts paged out: still there, one folder for the series.
    eq(len([f for _, _, fs in os.walk(os.path.join(sb.repo, 'ukraine', 'entries'))
            for f in fs if f.endswith('.md')]), 8, 'entry files')
    eq(sb.last_changes('ukraine') and {s for s, _ in sb.last_changes('ukraine')}, {'A'},
       'the switch only adds')
    d.stop()
    # The page followed survives a restart: no second switch.
    d2 = sb.start_daemon(text)
    d2.wait_note(lambda n: n == 'READY=1')
    time.sleep(2)
    d2.stop()
    check('now following' not in d2.log(), d2.log())


@with_sandbox(blogs={})
def test_adaptive_polling_and_over(sb):
    srv = sb.server
    srv.set('/quiet', body=page(srv.url('/quiet'), posts()))
    srv.set('/day', body=page(srv.url('/day'), posts()))
    srv.set('/ended', body=page(srv.url('/ended'), posts(day=14)))
    srv.set('/never', body=page(srv.url('/never'), posts(day=14)))
    blogs = [('quiet', srv.url('/quiet'), {}), ('day', srv.url('/day'), {}),
             ('ended', srv.url('/ended'), {}), ('never', srv.url('/never'), {'over': 'never'})]
    text = config(sb, 'interval = 1\nmax_interval = 5\ndelay = 0', blogs)
    with open(sb.config, 'w') as f:
        f.write(text)
    sb.poll()
    now = int(time.time())
    # Unchanged for 100 s, and for a day and a bit.
    for name, quiet in (('quiet', 100), ('day', 90000), ('ended', 90000), ('never', 90000)):
        path = os.path.join(sb.repo, '.git', 'livewatch', name + '.json')
        with open(path) as f:
            st = json.load(f)
        st['last_change'] = now - quiet
        with open(path, 'w') as f:
            json.dump(st, f)
    d = sb.start_daemon(text, args=['-vv'])
    d.wait_log(r'^quiet: next poll in 5 s \(quiet\)$')
    # a quiet day whose page is still live (coverageEndTime now) is not over
    d.wait_log(r'^day: next poll in 5 s \(quiet\)$')
    # coverageEndTime of February 2023 and a day without change: over, said
    # once with the evidence
    d.wait_log(r'^ended: the blog is over \(the page says it is no longer live '
               r'\(coverageEndTime \d+ h ago\), no change for 25 h\), polling it hourly$')
    d.wait_log(r'^ended: next poll in 3600 s \(over\)$')
    d.wait_log(r'^never: next poll in 5 s \(quiet\)$')
    # a new post on the ended blog: live again at once
    srv.set('/ended', body=page(srv.url('/ended'), posts()))
    d.kill(signal.SIGUSR1)
    d.wait_log(r'^ended: the blog is live again, polling it every 1 s$')
    d.wait_log(r'^ended: next poll in 1 s$')
    d.stop()
    log = d.log()
    check('day: the blog is over' not in log, log)
    check('never: the blog is over' not in log, log)
    eq(log.count('ended: the blog is over'), 1, log)


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
