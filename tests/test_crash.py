#!/usr/bin/env python3
"""Adversarial: SIGKILL livewatch at hundreds of random moments and check
that nothing recorded or alerted is lost, duplicated or blocked.

Two live blogs on loopback gain posts round after round; some posts
mention Leopard tanks, which a rule sends to a file sink.  Each round
starts a livewatch process and kills it (SIGKILL) at a random moment:

  1. `livewatch poll`: at a random delay over the whole run (fetch,
     extract, commit, alert, pack), or right after the server has answered
     (to hit the commit and what follows more often);
  2. `livewatch run` (interval 1 s) after a random time, while posts arrive;
  3. `livewatch gc` at a random delay over its run (the repack).

Every few rounds of phases 1 and 2 and most rounds of phase 3, a couple of
thousand unreachable loose objects are written into the repository first
(what a long history leaves behind), so that packing is due and a kill
lands inside it.  After every kill `livewatch poll` runs to completion and
the test asserts: exit status 0; `git fsck --full` clean; every post the
server has ever served is at HEAD and in the working tree
(`<blog>/entries/*/<id>.md`, or the flat `<blog>/entries/<id>.md`), and the
working tree is in step with HEAD.  At the end: in the file sink no alert
id appears twice, every alert carries an id, and every post served after
the baseline that matches the rule has exactly one alert.

About 3 minutes on a 2-core machine (300 kills, ~270 of them while
livewatch runs).  Deterministic in what it asserts; the moments are seeded
(LW_CRASH_SEED, default 9) but where a kill lands depends on timing, so
the delays are scaled to the measured length of an uninterrupted run.
LW_CRASH_KILLS (default 300) sets the number of kills; a sanitizer build
makes a third of them.  LW_CRASH_KEEP=1 keeps the sandbox (repository,
config, alerts) for a look afterwards.  Standard library only; TAP via lwtest.
"""

import glob
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lwhttpd  # noqa: E402
from lwblog import Post, render_blog  # noqa: E402
from lwtest import LW_BIN, Sandbox, check, eq, run_tests, sanitized  # noqa: E402

SEED = int(os.environ.get('LW_CRASH_SEED', '9'))
KILLS = int(os.environ.get('LW_CRASH_KILLS', '300'))
if sanitized():
    KILLS = max(30, KILLS // 3)
# Share of the kills per phase: poll, run, gc.
SPLIT = (0.6, 0.17, 0.23)
# Wall-time budget (seconds), shared by the phases as SPLIT: a phase that
# would overrun its share stops early (said in a TAP comment, not a
# failure) so that a slow machine stays inside meson's timeout.
BUDGET = float(os.environ.get('LW_CRASH_BUDGET', '240'))

BLOGS = ('alpha', 'beta')
PAGE = 20                 # posts a page shows; older ones page out
RULES = '[leopard]\nquery = Leopard\nurgency = critical\n'
GARBAGE = 1500            # loose objects written to make packing due (gc.h: 1000)
START = time.mktime((2023, 2, 14, 6, 0, 0, 0, 0, 0)) - time.timezone
STEP = 7 * 60             # posts are 7 minutes apart: days go by


# A killed livewatch resets its connection: not worth a traceback on stderr.
_handle_error = lwhttpd._Server.handle_error


def _quiet_handle_error(self, request, client_address):
    if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
        _handle_error(self, request, client_address)


lwhttpd._Server.handle_error = _quiet_handle_error


def note(msg):
    for line in msg.splitlines() or ['']:
        print('# ' + line, flush=True)


class World:
    """The blogs as served, everything served, and the repository."""

    def __init__(self, sb, rng):
        self.sb = sb
        self.rng = rng
        self.posts = {b: [] for b in BLOGS}      # newest first, all ever published
        self.served = {b: set() for b in BLOGS}  # ids that were on a page served
        self.matching = {b: set() for b in BLOGS}  # ids that match, after the baseline
        self.n = 0
        self.baseline_done = False
        self.git_dir = os.path.join(sb.repo, '.git')
        self.stats = {}
        self.failures = []      # (what, message) of rounds that failed a check

    def add(self, blog, count):
        for _ in range(count):
            self.n += 1
            t = START + self.n * STEP
            stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))
            match = self.rng.random() < 0.3
            text = ('Norway said it would send %d more Leopard tanks, the ministry confirmed.'
                    % self.n if match else
                    'Report %d: shelling continued overnight near the front line.' % self.n)
            p = Post(published=stamp, title='Update %d' % self.n if self.n % 2 else None,
                     paras=[text, 'Officials gave a briefing on the situation (%s).' % blog],
                     seed=blog)
            self.posts[blog].insert(0, p)
            if match and self.baseline_done:
                self.matching[blog].add(p.id)
        self.serve(blog)

    def serve(self, blog):
        self.served[blog].update(q.id for q in self.posts[blog][:PAGE])
        html = render_blog(self.posts[blog][:PAGE], page_url=self.sb.url('/' + blog),
                           headline='Live: %s' % blog, relative_times=False)
        self.sb.server.set('/' + blog, body=html, auto_etag=True)

    def add_round(self):
        for b in BLOGS:
            k = self.rng.choice((0, 1, 1, 2, 3))
            if k:
                self.add(b, k)

    # -- the repository ----------------------------------------------------

    def garbage(self, count):
        """Writes count unreachable loose objects (zlib'd blobs), as git would."""
        for _ in range(count):
            data = ('garbage %d %r\n' % (self.rng.getrandbits(64), self.rng.random())).encode()
            raw = b'blob %d\0' % len(data) + data
            sha = hashlib.sha1(raw).hexdigest()
            d = os.path.join(self.git_dir, 'objects', sha[:2])
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, sha[2:])
            if not os.path.exists(path):
                with open(path, 'wb') as f:
                    f.write(zlib.compress(raw, 1))

    def leftovers(self):
        """What a killed livewatch left behind (for the statistics only)."""
        found = []
        if os.path.exists(os.path.join(self.git_dir, 'livewatch', 'busy')):
            found.append('busy')
        for root, dirs, files in os.walk(self.git_dir):
            if root.startswith(os.path.join(self.git_dir, 'objects')) and \
                    not root.endswith('pack'):
                dirs[:] = []
                continue
            for f in files:
                if f.endswith('.lock'):
                    found.append('lock')
                elif f.startswith(('tmp_pack', 'tmp_idx', 'pack_git2')) or '.tmp-' in f:
                    found.append('tmp')
        return sorted(set(found))

    def head_ids(self):
        out = self.sb.git('ls-tree', '-r', '--name-only', 'HEAD', '--', *BLOGS)
        ids = {b: set() for b in BLOGS}
        for line in out.splitlines():
            parts = line.split('/')
            if len(parts) >= 3 and parts[1] == 'entries' and parts[-1].endswith('.md'):
                ids[parts[0]].add(parts[-1][:-3])
        return ids

    def tree_ids(self, blog):
        ids = set()
        for path in glob.glob(os.path.join(self.sb.repo, blog, 'entries', '*.md')) + \
                glob.glob(os.path.join(self.sb.repo, blog, 'entries', '*', '*.md')):
            ids.add(os.path.basename(path)[:-3])
        return ids

    def verify(self, what):
        """verify_once, recording a failure and going on (a broken round is
        reported with the others at the end, so one run shows them all)."""
        try:
            self.verify_once(what)
        except AssertionError as e:
            self.failures.append((what, str(e)))
            lines = str(e).split('\n')
            note('FAILED ' + ' | '.join(x[:200] for x in lines[:4])
                 + (' | (%d lines)' % len(lines) if len(lines) > 4 else ''))
            if len(self.failures) >= 20:
                raise AssertionError('stopping after 20 failed rounds:\n' + '\n'.join(
                    m.split('\n')[0] for _, m in self.failures))

    def verify_once(self, what):
        """After a kill: a full poll, then the repository must be whole."""
        p = self.sb.livewatch('poll', timeout=120)
        if p.returncode != 0:
            raise AssertionError('%s: the next poll exited %d\nstdout:\n%s\nstderr:\n%s'
                                 % (what, p.returncode, p.stdout, p.stderr))
        fsck = subprocess.run(['git', '-C', self.sb.repo, 'fsck', '--full', '--no-dangling',
                               '--no-progress'], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=self.sb.env)
        if fsck.returncode != 0 or fsck.stdout.strip():
            raise AssertionError('%s: git fsck --full exited %d:\n%s'
                                 % (what, fsck.returncode, fsck.stdout[-3000:]))
        head = self.head_ids()
        for b in BLOGS:
            served = self.served[b]
            missing = served - head[b]
            if missing:
                raise AssertionError('%s: %d served posts of %s are not at HEAD: %s'
                                     % (what, len(missing), b, sorted(missing)[:5]))
            missing = served - self.tree_ids(b)
            if missing:
                raise AssertionError('%s: %d served posts of %s have no file in the working '
                                     'tree: %s' % (what, len(missing), b, sorted(missing)[:5]))
        # git's index too: a poll brings it up to date at once while it is
        # small (under ~2,500 files, as here; a big one may lag a minute).
        status = self.sb.git('status', '--porcelain', '--untracked-files=no')
        if status.strip():
            raise AssertionError('%s: working tree differs from HEAD after the poll:\n%s'
                                 % (what, status[:2000]))

    def check_alerts(self):
        alerts = self.sb.alerts()
        no_id = [a for a in alerts if not a.get('id')]
        check(not no_id, '%d of %d alerts carry no "id": %r'
              % (len(no_id), len(alerts), no_id[:1]))
        seen = {}
        for a in alerts:
            seen[a['id']] = seen.get(a['id'], 0) + 1
        twice = {k: v for k, v in seen.items() if v > 1}
        check(not twice, 'alert ids appended more than once: %r' % list(twice.items())[:5])
        per_entry = {}
        for a in alerts:
            key = (a.get('blog'), a.get('entry'), a.get('rule'))
            per_entry.setdefault(key, []).append(a)
        want = {(b, i, 'leopard') for b in BLOGS for i in self.matching[b] & self.served[b]}
        missing = want - set(per_entry)
        check(not missing, '%d of %d expected alerts missing, e.g. %r'
              % (len(missing), len(want), sorted(missing)[:3]))
        extra = set(per_entry) - want
        check(not extra, 'alerts for posts that should not alert: %r' % sorted(extra)[:3])
        dup = {k: [a.get('id') for a in v] for k, v in per_entry.items() if len(v) > 1}
        check(not dup, 'posts alerted more than once (one version each): %r'
              % list(dup.items())[:3])
        return len(alerts), len(want)


def run_and_kill(world, argv, delay, after_served=None):
    """Starts livewatch, kills it after delay seconds (counted from when the
    server has answered every blog, when after_served).  True when it was
    still running at the kill."""
    sb = world.sb
    if after_served:
        sb.server.clear_requests()
    proc = subprocess.Popen([LW_BIN, '-c', sb.config] + argv, env=sb.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if after_served:
            t_end = time.monotonic() + 30
            while time.monotonic() < t_end and proc.poll() is None:
                got = {r['path'] for r in sb.server.requests() if r.get('done', True)}
                if all('/' + b in got for b in BLOGS):
                    break
                time.sleep(0.002)
        if delay > 0:
            time.sleep(delay)
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    return alive


def timed(world, argv):
    t0 = time.monotonic()
    p = world.sb.livewatch(*argv, timeout=120)
    return time.monotonic() - t0, p


def test_sigkill_at_random_moments():
    rng = random.Random(SEED)
    sb = Sandbox(rules=RULES, blogs={b: '/' + b for b in BLOGS},
                 extra_main='interval = 1\nadaptive = no\n')
    t_start = time.monotonic()
    try:
        world = World(sb, rng)
        for b in BLOGS:
            world.add(b, PAGE + 10)
        sb.poll()                                  # the baseline, whole
        world.baseline_done = True
        world.verify_once('baseline')
        eq(sb.alerts(), [], 'no alerts on the baseline')

        # How long an uninterrupted poll and gc take here: the delays
        # range over that, so that most kills land inside the run.
        samples = []
        for _ in range(3):
            world.add_round()
            samples.append(timed(world, ['poll'])[0])
        poll_s = min(samples)
        world.garbage(GARBAGE)
        world.add_round()
        busy_poll_s = max(timed(world, ['poll'])[0], poll_s)
        world.garbage(GARBAGE // 4)
        gc_s, p = timed(world, ['gc'])
        gc_ok = p.returncode == 0
        if not gc_ok:
            note('livewatch gc exited %d: %s' % (p.returncode,
                                                 (p.stderr or p.stdout).strip().split('\n')[0]))
        world.verify_once('calibration')
        note('seed %d, %d kills; a poll takes %.0f ms, a poll with packing due %.0f ms, '
             'gc %.0f ms' % (SEED, KILLS, poll_s * 1000, busy_poll_s * 1000, gc_s * 1000))

        n_poll = int(KILLS * SPLIT[0])
        n_run = int(KILLS * SPLIT[1])
        n_gc = KILLS - n_poll - n_run
        left = {}

        def tally(phase, alive):
            st = world.stats[phase]
            st['rounds'] += 1
            st['killed' if alive else 'finished'] += 1
            st['until'] = time.monotonic()
            for what in world.leftovers():
                left[(phase, what)] = left.get((phase, what), 0) + 1

        def over_budget(phase, i, n):
            # Each phase may run until its share of the budget, added to
            # what the phases before it left: a slow machine still gets
            # some rounds of every phase.
            if phase not in world.stats:
                world.stats[phase] = {'rounds': 0, 'killed': 0, 'finished': 0,
                                      'since': time.monotonic(), 'until': time.monotonic()}
            k = ('poll', 'run', 'gc').index(phase)
            deadline = t_start + BUDGET * sum(SPLIT[:k + 1])
            if time.monotonic() > deadline:
                note('%s: stopped after %d of %d rounds (its share of the %.0f s budget used)'
                     % (phase, i, n, BUDGET))
                return True
            return False

        # 1. poll
        for i in range(n_poll):
            if over_budget('poll', i, n_poll):
                break
            world.add_round()
            due = i % 12 == 3
            if due:
                world.garbage(GARBAGE)
            span = busy_poll_s if due else poll_s
            if rng.random() < 0.5:
                alive = run_and_kill(world, ['poll'], rng.uniform(0, span))
            else:
                alive = run_and_kill(world, ['poll'], rng.uniform(0, span * 0.6),
                                     after_served=True)
            tally('poll', alive)
            world.verify('poll kill %d' % (i + 1))

        # 2. run: the daemon polls every second while posts arrive.
        for i in range(n_run):
            if over_budget('run', i, n_run):
                break
            world.add_round()
            if i % 6 == 1:
                world.garbage(GARBAGE)
            sb.server.clear_requests()
            proc = subprocess.Popen([LW_BIN, '-c', sb.config, 'run'], env=sb.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(rng.uniform(0.05, 0.6))
                world.add_round()
                time.sleep(rng.uniform(0.0, 0.6))
                alive = proc.poll() is None
                if alive:
                    proc.send_signal(signal.SIGKILL)
            finally:
                proc.wait()
            tally('run', alive)
            world.verify('run kill %d' % (i + 1))

        # 3. gc: a repack killed at any moment.
        for i in range(n_gc):
            if over_budget('gc', i, n_gc):
                break
            world.add_round()       # recorded by the poll after the kill
            if i % 3:
                world.garbage(GARBAGE // 4)
            alive = run_and_kill(world, ['gc'], rng.uniform(0, gc_s))
            tally('gc', alive)
            world.verify('gc kill %d' % (i + 1))
        for phase, st in world.stats.items():
            note('%s: %d rounds, %d killed mid-run, %d had finished; %.0f s'
                 % (phase, st['rounds'], st['killed'], st['finished'],
                    st['until'] - st['since']))
        if left:
            note('left behind by kills (rounds): ' + ', '.join(
                '%s %s %d' % (ph, w, n) for (ph, w), n in sorted(left.items())))
        count = sb.git('count-objects', '-v')
        alerts = sb.alerts()
        note('end: %d posts served, %d commits, %d alerts; %s; %.0f s'
             % (sum(len(v) for v in world.served.values()), sb.commits(), len(alerts),
                ', '.join(line for line in count.splitlines()
                          if line.startswith(('count', 'packs'))),
                time.monotonic() - t_start))
        if world.failures:
            raise AssertionError('%d of %d rounds failed a check; the first:\n%s: %s'
                                 % (len(world.failures),
                                    sum(st['rounds'] for st in world.stats.values()),
                                    world.failures[0][0], world.failures[0][1]))
        n_alerts, n_want = world.check_alerts()
        note('alerts: %d, one for each of the %d matching posts served after the baseline'
             % (n_alerts, n_want))
        check(gc_ok, 'livewatch gc did not run (see the note above)')
        total = sum(st['killed'] for st in world.stats.values())
        check(total >= min(100, KILLS // 3),
              'only %d kills landed while livewatch ran' % total)
    finally:
        if os.environ.get('LW_CRASH_KEEP'):
            sb.server.stop()
            note('kept ' + sb.dir)
        else:
            sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
