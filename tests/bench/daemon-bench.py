#!/usr/bin/env python3
"""Benchmark `livewatch run`: many live blogs, one loopback address each.

    python3 tests/bench/daemon-bench.py [BINARY] [--scenario 100x5|1000x60]
                                        [--duration 120] [--blogs 100]
                                        [--interval 5] [--json FILE]

The two scenarios of issue 9 (each sets blogs, interval, changes, goals
and duration; explicit options given after it still win):

    --scenario 100x5    100 blogs at 5 s, each gaining a post every 20 s;
                        goals < 5% of a core, < 30 MB; 150 s
    --scenario 1000x60  1,000 blogs at 60 s, each gaining a post every
                        120 s; goals < 10% of a core, < 50 MB; 300 s

Without --scenario it runs as it always did: 100 blogs at 5 s, three blogs
(round robin) gaining a post every 20 s.

Serves one live blog (tests/lwblog.py, 30 posts, ~90 KB, with an ETag) on
each of 127.0.0.2 ... 127.0.0.(1+N), from one single-threaded selector loop
in this process (100 threaded lwhttpd servers would cost more CPU than the
daemon on a 2-core machine).  Writes a config with N blogs at `interval`
seconds, the shipped rules and a file sink, runs `livewatch -c CONFIG run`
for `duration` seconds and, every `--change-every` seconds, adds a post to
a few blogs (or, with --blog-change-every P, to every blog every P seconds,
the blogs' turns spread evenly over P).  Meanwhile it samples the daemon's CPU time and memory from
/proc.  The warm-up (every blog's first poll: N baseline commits) is
measured apart from the steady state that follows.

Goals (exit status 1 when one is missed):
  - steady-state CPU under 5% of one core;
  - peak RSS (VmHWM) under 30 MB;
  - every blog polled on schedule: no interval between two polls of a blog
    longer than interval * 1.1 (the daemon's jitter) + --slack seconds,
    and no blog missing polls;
  - exactly one commit per page version served with 200 (baselines plus
    changes), none for 304s, and no 200 for a page that had not changed.
"""

import argparse
import datetime
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
SRCDIR = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

import benchlib  # noqa: E402
from lwblog import Post, render_blog  # noqa: E402

CLK_TCK = os.sysconf('SC_CLK_TCK')
# Post i of the 30 a blog starts with is 3*i minutes after EPOCH: the
# newest is a minute old when the run starts, new posts are newer still.
EPOCH = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
         - datetime.timedelta(minutes=91))
MAX_HEAD = 64 * 1024
PAGE_POSTS = 30
SCENARIOS = {
    # name: (blogs, interval, per-blog change period, cpu goal %, rss goal MB, duration)
    '100x5': (100, 5, 20, 5.0, 30.0, 150),
    '1000x60': (1000, 60, 120, 10.0, 50.0, 300),
}
PLACES = ['Bakhmut', 'Kherson', 'Kharkiv', 'Zaporizhzhia', 'Odesa', 'Lviv', 'Mykolaiv',
          'Dnipro', 'Sumy', 'Kramatorsk']


# -- the blogs ---------------------------------------------------------

class Blog:
    def __init__(self, idx, host, port):
        self.idx = idx
        self.name = 'blog%03d' % idx
        self.host = host
        self.port = port
        self.url = 'http://%s:%d/live' % (host, port)
        self.posts = []
        for i in range(30, 0, -1):
            self.posts.append(self._post(i))
        self.versions = 0
        self.added = 0
        self.page = None       # (etag, body): replaced whole, never mutated
        self.render()

    def _post(self, i):
        # Dated around now: the daemon slows to hourly polls for a blog
        # whose coverage ended hours ago.  Posts added during the run are
        # dated when they are added.
        when = EPOCH + datetime.timedelta(minutes=3 * i, seconds=self.idx)
        if i > 30:
            when = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        place = PLACES[(i + self.idx) % len(PLACES)]
        return Post(published=when.strftime('%Y-%m-%dT%H:%M:%SZ'),
                    title='Update %d from %s' % (i, place),
                    paras=['Officials in %s said on Tuesday that the situation remained '
                           'difficult after overnight attacks; blog %d, post %d.'
                           % (place, self.idx, i),
                           'Residents described long queues for water and power, and '
                           'repair crews worked through the night to restore supplies.']
                    + (['Norway said it would send eight Leopard 2 tanks, the defence '
                        'ministry confirmed.'] if i > 30 else []),
                    seed='%d/%d' % (self.idx, i))

    def render(self):
        body = render_blog(self.posts, page_url=self.url,
                           headline='Live: benchmark blog %d' % self.idx,
                           relative_times=False).encode('utf-8')
        self.versions += 1
        self.page = ('"v%d-%d"' % (self.idx, self.versions), body)

    def add_post(self):
        self.added += 1
        self.posts.insert(0, self._post(30 + self.added))
        del self.posts[PAGE_POSTS:]        # the oldest pages out
        self.render()


# -- one selector loop, many listening sockets -------------------------

class Conn:
    def __init__(self, sock, blog):
        self.sock = sock
        self.blog = blog
        self.inbuf = b''
        self.out = b''
        self.close_after = False


class Servers:
    """HTTP/1.1 (keep-alive, conditional GET) on one socket per blog."""

    def __init__(self, blogs):
        self.blogs = blogs
        self.sel = selectors.DefaultSelector()
        self.log = []           # (time, blog idx, status, bytes)
        self.stop_flag = False
        self.cpu = 0.0
        self.accepted = 0
        for b in blogs:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((b.host, b.port))
            s.listen(64)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, ('listen', b))
        self.thread = threading.Thread(target=self.run, name='servers', daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_flag = True
        self.thread.join(5)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()

    def run(self):
        t0 = time.thread_time()
        while not self.stop_flag:
            for key, ev in self.sel.select(0.2):
                kind = key.data
                if isinstance(kind, tuple):
                    self._accept(key.fileobj, kind[1])
                else:
                    self._io(kind, ev)
            self.cpu = time.thread_time() - t0

    def _accept(self, lsock, blog):
        try:
            s, _ = lsock.accept()
        except OSError:
            return
        self.accepted += 1
        s.setblocking(False)
        c = Conn(s, blog)
        self.sel.register(s, selectors.EVENT_READ, c)

    def _close(self, c):
        self.sel.unregister(c.sock)
        c.sock.close()

    def _io(self, c, ev):
        if ev & selectors.EVENT_READ:
            try:
                data = c.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                data = b''
            if data == b'':
                self._close(c)
                return
            if data:
                c.inbuf += data
                if len(c.inbuf) > MAX_HEAD and b'\r\n\r\n' not in c.inbuf:
                    self._close(c)
                    return
                while b'\r\n\r\n' in c.inbuf:
                    head, c.inbuf = c.inbuf.split(b'\r\n\r\n', 1)
                    self._answer(c, head)
        if c.out:
            try:
                n = c.sock.send(c.out)
                c.out = c.out[n:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._close(c)
                return
        if not c.out and c.close_after:
            self._close(c)
            return
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if c.out else 0)
        self.sel.modify(c.sock, want, c)

    def _answer(self, c, head):
        lines = head.decode('latin-1').split('\r\n')
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(':')
            headers[k.strip().lower()] = v.strip()
        etag, body = c.blog.page
        inm = headers.get('if-none-match')
        if inm is not None and etag in [t.strip() for t in inm.split(',')]:
            status = 304
            c.out += ('HTTP/1.1 304 Not Modified\r\nETag: %s\r\n\r\n' % etag).encode()
            sent = 0
        else:
            status = 200
            c.out += ('HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n'
                      'ETag: %s\r\nContent-Length: %d\r\n\r\n' % (etag, len(body))).encode()
            c.out += body
            sent = len(body)
        if headers.get('connection', '').lower() == 'close' or lines[0].endswith('HTTP/1.0'):
            c.close_after = True
        self.log.append((time.time(), c.blog.idx, status, sent, etag))


def loopback_hosts(n):
    """n addresses 127.0.0.2 and up (Linux routes all of 127/8 to lo),
    skipping .0 and .255 in the last byte."""
    out = []
    i = 2
    while len(out) < n:
        a, b, c = (i >> 16) & 255, (i >> 8) & 255, i & 255
        if c not in (0, 255):
            out.append('127.%d.%d.%d' % (a, b, c))
        i += 1
    return out


def bind_port(hosts):
    """One port free on every address, so the URLs read alike."""
    for _ in range(20):
        s = socket.socket()
        s.bind((hosts[0], 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for h in hosts:
            t = socket.socket()
            try:
                t.bind((h, port))
            except OSError:
                ok = False
            finally:
                t.close()
            if not ok:
                break
        if ok:
            return port
    raise SystemExit('daemon-bench: no common free port on the loopback addresses')


# -- measuring the daemon ----------------------------------------------

def proc_sample(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK      # utime + stime
    rss = hwm = 0
    threads = 0
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                rss = int(line.split()[1])
            elif line.startswith('VmHWM:'):
                hwm = int(line.split()[1])
            elif line.startswith('Threads:'):
                threads = int(line.split()[1])
    return time.time(), cpu, rss, hwm, threads


def pct(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def git(repo, *args):
    return subprocess.run(['git', '-C', repo] + list(args), check=True,
                          stdout=subprocess.PIPE, text=True).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('binary', nargs='?', default=None,
                    help='the livewatch binary (default: build/daemon/livewatch)')
    ap.add_argument('--bin', default=None, help='the same as BINARY')
    ap.add_argument('--scenario', choices=sorted(SCENARIOS),
                    help="one of issue 9's scenarios (sets the options below)")
    ap.add_argument('--duration', type=float, default=None, help='seconds (120)')
    ap.add_argument('--blogs', type=int, default=None, help='(100)')
    ap.add_argument('--interval', type=int, default=None, help='seconds (5)')
    ap.add_argument('--change-every', type=float, default=20,
                    help='seconds between rounds of new posts (0: never)')
    ap.add_argument('--change-count', type=int, default=3,
                    help='blogs that get a new post each round')
    ap.add_argument('--blog-change-every', type=float, default=None,
                    help='instead: every blog gains a post every this many seconds, '
                    'turns spread evenly')
    ap.add_argument('--slack', type=float, default=1.5,
                    help='seconds a poll may be late beyond interval + 10%% jitter')
    ap.add_argument('--cpu-goal', type=float, default=None, help='%% of one core (5)')
    ap.add_argument('--rss-goal', type=float, default=None, help='MB (30)')
    ap.add_argument('--adaptive', action='store_true',
                    help='leave the daemon\'s adaptive slowing on (schedule goal off)')
    ap.add_argument('--json', help='write the figures here too')
    ap.add_argument('--keep', action='store_true', help='keep the temporary folder')
    args = ap.parse_args()
    preset = SCENARIOS.get(args.scenario, (100, 5, None, 5.0, 30.0, 120))
    for key, value in zip(('blogs', 'interval', 'blog_change_every', 'cpu_goal', 'rss_goal',
                           'duration'), preset):
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not (1 <= args.blogs <= 4000):
        ap.error('--blogs must be 1..4000 (addresses 127.0.0.2 and up)')
    binary = os.path.abspath(args.binary or args.bin or os.environ.get('LW_BIN') or
                             os.path.join(SRCDIR, 'build', 'daemon', 'livewatch'))
    if not os.access(binary, os.X_OK):
        ap.error('no livewatch binary at %s (build first, or pass it)' % binary)

    hosts = loopback_hosts(args.blogs)
    port = bind_port(hosts)
    blogs = [Blog(i, h, port) for i, h in enumerate(hosts)]
    servers = Servers(blogs)
    servers.start()

    tmp = tempfile.mkdtemp(prefix='lw-bench-')
    repo = os.path.join(tmp, 'history')
    alerts = os.path.join(tmp, 'alerts.jsonl')
    config = os.path.join(tmp, 'config.ini')
    with open(config, 'w') as f:
        # adaptive = no: the goal is every blog on its 5 s schedule, not
        # the slower pace the daemon would pick for a quiet blog.
        f.write('[livewatch]\nrepo = %s\nrules = %s\ninterval = %d\ntimeout = 10\n'
                'adaptive = %s\n\n' % (repo, os.path.join(SRCDIR, 'rules'), args.interval,
                                       'yes' if args.adaptive else 'no'))
        for b in blogs:
            f.write('[blog "%s"]\nurl = %s\ninterval = %d\n\n' % (b.name, b.url, args.interval))
        f.write('[sink "file"]\ntype = file\npath = %s\n' % alerts)
    env = dict(os.environ)
    for k in ('NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'DBUS_SESSION_BUS_ADDRESS',
              'JOURNAL_STREAM'):
        env.pop(k, None)
    env['HOME'] = tmp
    env['XDG_CONFIG_HOME'] = os.path.join(tmp, 'config')
    env['XDG_DATA_HOME'] = os.path.join(tmp, 'data')
    log_path = os.path.join(tmp, 'daemon.log')
    logf = open(log_path, 'w')

    samples = []
    changes = []                # (time, blog idx)
    start = time.time()
    proc = subprocess.Popen([binary, '-c', config, 'run'], env=env, stdout=logf,
                            stderr=subprocess.STDOUT)
    bench_cpu0 = time.process_time()
    next_change = start + args.change_every if args.change_every > 0 else float('inf')
    per_blog_next = []
    if args.blog_change_every:
        next_change = float('inf')
        p = args.blog_change_every
        per_blog_next = [start + p * (i + 1) / len(blogs) for i in range(len(blogs))]
    turn = 0
    try:
        while time.time() - start < args.duration:
            if proc.poll() is not None:
                break
            samples.append(proc_sample(proc.pid))
            now = time.time()
            for i, t in enumerate(per_blog_next):
                if now >= t:
                    blogs[i].add_post()
                    changes.append((time.time(), i))
                    per_blog_next[i] = t + args.blog_change_every
            if now >= next_change:
                for _ in range(args.change_count):
                    b = blogs[turn % len(blogs)]
                    turn += 1
                    b.add_post()
                    changes.append((time.time(), b.idx))
                next_change += args.change_every
            time.sleep(1.0 - (time.time() - start) % 1.0)
        final = proc_sample(proc.pid) if proc.poll() is None else None
    finally:
        t_stop = time.time()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        stop_took = time.time() - t_stop
        logf.close()
        bench_cpu = time.process_time() - bench_cpu0
        servers.stop()

    failures = []
    if final is None:
        failures.append('the daemon exited early with status %s' % proc.returncode)
        final = samples[-1] if samples else (time.time(), 0, 0, 0, 0)
    if proc.returncode not in (0, None):
        failures.append('the daemon exited %s on SIGTERM' % proc.returncode)

    # -- polls -----------------------------------------------------------
    log = list(servers.log)
    per_blog = {b.idx: [] for b in blogs}
    for t, idx, status, sent, etag in log:
        per_blog[idx].append((t, status, etag))
    firsts = [v[0][0] for v in per_blog.values() if v]
    warm_end = max(firsts) if len(firsts) == len(blogs) else None
    if warm_end is None:
        failures.append('%d of %d blogs never polled' % (len(blogs) - len(firsts), len(blogs)))
        warm_end = start + args.duration
    # Steady state: from one interval after the last first poll, so the
    # baseline commits are behind us.
    steady_from = warm_end + args.interval
    steady = [s for s in samples + [final] if s[0] >= steady_from]

    late_allow = args.interval * 1.1 + args.slack
    intervals = []
    lateness = []
    missing = 0
    worst = (0.0, None)
    for idx, reqs in per_blog.items():
        times = [t for t, _, _ in reqs]
        for a, b in zip(times, times[1:]):
            d = b - a
            intervals.append(d)
            lateness.append(max(0.0, d - args.interval * 1.1))
            if d > worst[0]:
                worst = (d, idx)
        if times:
            last_gap = t_stop - times[-1]
            if last_gap > late_allow:
                missing += 1
                lateness.append(last_gap - args.interval * 1.1)
    late_polls = sum(1 for x in lateness if x > args.slack)

    statuses = [s for _, _, s, _, _ in log]
    steady_log = [e for e in log if e[0] >= steady_from]
    n200 = sum(1 for e in steady_log if e[2] == 200)
    n304 = sum(1 for e in steady_log if e[2] == 304)
    other = sorted({s for s in statuses if s not in (200, 304)})

    # -- commits ---------------------------------------------------------
    served = {}                 # blog idx -> distinct etags served with 200
    wasted = 0                  # 200s for a version this blog had already got
    for idx, reqs in per_blog.items():
        seen = set()
        for t, status, etag in reqs:
            if status == 200:
                if etag in seen:
                    wasted += 1
                seen.add(etag)
        served[idx] = seen
    want_commits = {blogs[i].name: len(v) for i, v in served.items()}
    got_commits = {b.name: 0 for b in blogs}
    total_commits = other_commits = 0
    if os.path.isdir(os.path.join(repo, '.git')):
        for subject in git(repo, 'log', '--format=%s').splitlines():
            name = subject.split(':', 1)[0]
            if name in got_commits:
                got_commits[name] += 1
                total_commits += 1
            else:
                other_commits += 1      # the repository's README, written once
    bad_commits = {n: (got_commits[n], want_commits[n]) for n in want_commits
                   if got_commits[n] != want_commits[n]}
    changes_seen = sum(len(v) - 1 for v in served.values() if v)
    alerts_n = 0
    if os.path.exists(alerts):
        with open(alerts) as f:
            alerts_n = sum(1 for line in f if line.strip())
    with open(log_path) as f:
        daemon_log = f.read().splitlines()
    problems = [line for line in daemon_log if line.lower().startswith(('error', 'warning'))]

    # -- CPU and memory --------------------------------------------------
    if len(steady) >= 2:
        cpu_steady = 100.0 * (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0])
        steady_secs = steady[-1][0] - steady[0][0]
    else:
        cpu_steady, steady_secs = float('nan'), 0.0
        failures.append('no steady state measured: run longer (--duration)')
    warm = [s for s in samples if s[0] <= steady_from]
    cpu_warm = warm[-1][1] if warm else 0.0
    rss_steady_max = max((s[2] for s in steady), default=0) / 1024.0
    rss_end = final[2] / 1024.0
    # VmHWM lags VmRSS a little (the kernel syncs per-thread counters
    # lazily): the peak is whichever is higher.
    hwm = max([final[3]] + [s[2] for s in samples + [final]]) / 1024.0
    wall = final[0] - start

    figures = {
        'bench': 'daemon', 'scenario': args.scenario, 'binary': binary,
        'blog_change_every_s': args.blog_change_every,
        'blogs': len(blogs), 'interval_s': args.interval, 'duration_s': round(wall, 1),
        'warmup_s': round(warm_end - start, 2), 'warmup_cpu_s': round(cpu_warm, 2),
        'steady_s': round(steady_secs, 1), 'steady_cpu_pct': round(cpu_steady, 2),
        'total_cpu_s': round(final[1], 2),
        'rss_end_mb': round(rss_end, 1), 'rss_steady_max_mb': round(rss_steady_max, 1),
        'vmhwm_mb': round(hwm, 1), 'threads': final[4],
        'requests': len(log), 'connections': servers.accepted, 'steady_200': n200, 'steady_304': n304,
        'steady_304_ratio': round(n304 / max(1, n200 + n304), 4),
        'other_statuses': other,
        'interval_mean_s': round(statistics.mean(intervals), 3) if intervals else None,
        'interval_p50_s': round(pct(intervals, 50), 3),
        'interval_p95_s': round(pct(intervals, 95), 3),
        'interval_max_s': round(worst[0], 3),
        'lateness_p95_s': round(pct(lateness, 95), 3),
        'late_polls': late_polls, 'blogs_missing_polls': missing,
        'polls_per_blog_min': min(len(v) for v in per_blog.values()),
        'polls_per_blog_max': max(len(v) for v in per_blog.values()),
        'page_changes': len(changes), 'changes_fetched': changes_seen,
        'commits': total_commits, 'commits_expected': sum(want_commits.values()),
        'wasted_200': wasted, 'alerts': alerts_n,
        'daemon_warnings': len(problems), 'stop_s': round(stop_took, 2),
        'bench_cpu_s': round(bench_cpu, 2), 'server_cpu_s': round(servers.cpu, 2),
    }

    if not cpu_steady < args.cpu_goal:
        failures.append('steady-state CPU %.2f%% of one core, goal < %.1f%%'
                        % (cpu_steady, args.cpu_goal))
    if not hwm < args.rss_goal:
        failures.append('peak RSS (VmHWM) %.1f MB, goal < %.1f MB' % (hwm, args.rss_goal))
    if late_polls or missing:
        failures.append('%d polls later than %.1f s + %.1f s slack (worst interval %.2f s, '
                        'blog%03d); %d blogs stopped being polled'
                        % (late_polls, args.interval * 1.1, args.slack, worst[0],
                           worst[1] if worst[1] is not None else -1, missing))
    if bad_commits:
        some = ', '.join('%s %d/%d' % (n, g, w) for n, (g, w) in sorted(bad_commits.items())[:5])
        failures.append('commits differ from page versions served for %d blogs '
                        '(got/expected: %s)' % (len(bad_commits), some))
    if wasted:
        failures.append('%d full (200) fetches of a page the daemon already had' % wasted)
    if other:
        failures.append('unexpected HTTP statuses %s' % other)
    # Every change made after a blog's first poll and at least one
    # (late-allowed) interval before the end must have been fetched.
    first_poll = {idx: reqs[0][0] for idx, reqs in per_blog.items() if reqs}
    due = sum(1 for t, idx in changes
              if idx in first_poll and first_poll[idx] < t < t_stop - late_allow)
    figures['changes_due'] = due
    if changes and changes_seen < due:
        failures.append('only %d of %d page changes were fetched' % (changes_seen, due))

    rows = [
        ('binary', binary),
        ('blogs x interval', '%d x %d s, %.0f s run' % (len(blogs), args.interval, wall)),
        ('warm-up', '%.1f s until every blog was polled, %.2f CPU s (%d baseline commits)'
         % (warm_end - start, cpu_warm, len(blogs))),
        ('steady CPU', '%.2f %% of one core over %.0f s (goal < %.1f %%)'
         % (cpu_steady, steady_secs, args.cpu_goal)),
        ('RSS', 'end %.1f MB, steady max %.1f MB, VmHWM %.1f MB (goal < %.0f MB)'
         % (rss_end, rss_steady_max, hwm, args.rss_goal)),
        ('polls', '%d requests over %d connections; per blog %d..%d'
         % (len(log), servers.accepted, figures['polls_per_blog_min'],
            figures['polls_per_blog_max'])),
        ('intervals', 'mean %.2f s, p50 %.2f, p95 %.2f, max %.2f (schedule %d s +-10%%)'
         % (figures['interval_mean_s'] or 0, figures['interval_p50_s'],
            figures['interval_p95_s'], figures['interval_max_s'], args.interval)),
        ('lateness', 'p95 %.2f s beyond +10%% jitter; %d polls over %.1f s slack'
         % (figures['lateness_p95_s'], late_polls, args.slack)),
        ('responses (steady)', '%d x 304, %d x 200: %.1f %% not modified'
         % (n304, n200, 100.0 * figures['steady_304_ratio'])),
        ('changes', '%d new posts served (%s), %d fetched (%d due), %d alerts'
         % (len(changes), 'each blog every %g s' % args.blog_change_every
            if args.blog_change_every else '%d blogs every %g s' % (args.change_count,
                                                                      args.change_every),
            changes_seen, figures.get('changes_due', 0), alerts_n)),
        ('commits', '%d, expected %d (one per version served with 200; +%d not per blog), '
         '%d wasted 200s' % (total_commits, figures['commits_expected'], other_commits, wasted)),
        ('stop', 'SIGTERM to exit %.2f s, status %s' % (stop_took, proc.returncode)),
        ('load generator', 'servers %.2f CPU s, whole bench %.2f CPU s'
         % (servers.cpu, bench_cpu)),
        ('daemon warnings', '%d (log: %s)' % (len(problems), log_path if args.keep else
                                              'use --keep to keep it')),
    ]
    benchlib.print_rows(rows, 'livewatch run benchmark')
    for p in problems[:5]:
        print('  | ' + p)
    return benchlib.finish(figures, failures, args.json, tmp, args.keep)


if __name__ == '__main__':
    sys.exit(main())
