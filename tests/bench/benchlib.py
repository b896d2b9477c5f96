"""What the benchmarks in tests/bench/ share, in one place: the synthetic
live blogs they serve (make_post, Blogs), and what every benchmark prints
at its end: the figures as an aligned table, the goals missed (or "all
goals met"), the figures as JSON (to a file with --json, and as the last
line of stdout), and the temporary folder removed unless --keep."""

import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lwblog import Post, render_blog  # noqa: E402

# ---- running a measured process ----

GNU_TIME = '/usr/bin/time'


def run_measured(argv, env=None, stdout=None, stderr=None):
    """Runs argv; returns (exit status, CPU seconds, peak RSS kB, wall s).

    CPU is user + sys from os.wait4 (the process and what it waited for).
    The peak RSS is NOT ru_maxrss from os.wait4: the kernel keeps the
    largest RSS a process ever had, and a child of this Python process
    was a copy of it (fork, or vfork's shared memory) until its exec, so
    its ru_maxrss is at least this interpreter's own RSS (25-100 MB) however
    small the program run.  GNU time (package `time`) is a small C program
    that forks and execs argv from its own few hundred kB, so its %M is
    the program's own peak.  Without it this fails rather than report the
    interpreter's size as the program's."""
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit('%s is missing (apt-get install time): it measures peak RSS' % GNU_TIME)
    with tempfile.NamedTemporaryFile('r', suffix='.rss') as rss:
        t0 = time.monotonic()
        proc = subprocess.Popen([GNU_TIME, '-f', '%M', '-o', rss.name] + list(argv), env=env,
                                stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        lines = rss.read().split()
    rc = os.waitstatus_to_exitcode(status)
    # GNU time says "Command exited with non-zero status N" before %M
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return rc, ru.ru_utime + ru.ru_stime, peak, wall


# ---- synthetic live blogs ----



START = datetime.datetime(2023, 1, 1, 6, 0, tzinfo=datetime.timezone.utc)
STEP = datetime.timedelta(minutes=15)

WORDS = ('the of and to in a said on that was for with as by at from it its has '
         'have were be are after an his their which they not but had this been '
         'who more also would than over into said one two three four five days '
         'forces troops city region front line attack shelling drones missile '
         'air defence officials governor minister president government ministry '
         'army military soldiers civilians residents villages towns east south '
         'north west border river bridge power water heating electricity grid '
         'repair crews night morning evening overnight weekend statement briefing '
         'reported confirmed denied claimed according sources intelligence update '
         'Ukraine Ukrainian Russia Russian Kyiv Moscow Kharkiv Kherson Odesa Lviv '
         'Zaporizhzhia Dnipro Donetsk Luhansk Crimea Mykolaiv Sumy Poltava Chernihiv '
         'Nato EU UN Brussels Washington London Berlin Paris Warsaw talks aid '
         'package sanctions exports grain ports shipping corridor tanks artillery '
         'ammunition shells rockets systems supplies winter spring summer autumn '
         'refugees evacuation humanitarian corridor hospital school station market '
         'killed wounded injured damaged destroyed restored launched intercepted '
         'shot down struck hit targeted advanced retreated held captured liberated '
         'negotiations ceasefire prisoners exchange return agreement deal meeting '
         'summit leaders parliament vote budget billion million dollars euros').split()
PLACES = ['Bakhmut', 'Kherson', 'Kharkiv', 'Zaporizhzhia', 'Odesa', 'Lviv', 'Mykolaiv',
          'Dnipro', 'Sumy', 'Kramatorsk', 'Avdiivka', 'Vuhledar']


def sentence(rng):
    n = rng.randint(12, 28)
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return ' '.join(words) + '.'


def paragraph(rng, size):
    out = []
    while sum(len(s) + 1 for s in out) < size:
        out.append(sentence(rng))
    return ' '.join(out)


def make_post(blog, n, body_bytes):
    """Post n (0 = oldest) of blog: deterministic, about body_bytes of text."""
    rng = random.Random('%d/%d' % (blog, n))
    when = START + n * STEP + datetime.timedelta(seconds=blog)
    place = PLACES[rng.randrange(len(PLACES))]
    paras = []
    left = body_bytes
    while left > 0:
        p = paragraph(rng, min(left, rng.randint(500, 900)))
        paras.append(p)
        left -= len(p) + 1
    paras[0] = 'Officials in %s said: %s' % (place, paras[0])
    return Post(published=when.strftime('%Y-%m-%dT%H:%M:%SZ'),
                title=('%s: %s' % (place, sentence(rng)[:60])) if n % 3 else None,
                paras=paras, seed=blog)


class Blogs:
    """count synthetic live blogs on a loopback server, each showing its
    newest `page` posts of about body_bytes each."""

    def __init__(self, server, count, page, body_bytes):
        self.server = server
        self.count = count
        self.page = page
        self.body_bytes = body_bytes
        self.total = [0] * count       # posts published so far per blog
        self.shown = [[] for _ in range(count)]
        self.served_ids = [set() for _ in range(count)]
        self.sizes = []                # bytes of every page served
        self.page_bytes = 0            # of the last one

    def path(self, b):
        return '/blog%02d/live' % b

    def name(self, b):
        return 'blog%02d' % b

    def publish(self, b, n):
        """n new posts on blog b."""
        new = [make_post(b, self.total[b] + i, self.body_bytes) for i in range(n)]
        self.total[b] += n
        self.shown[b] = (list(reversed(new)) + self.shown[b])[:self.page]
        for p in new:
            self.served_ids[b].add(p.id)
        html = render_blog(self.shown[b], page_url=self.server.url(self.path(b)),
                           headline='Russia-Ukraine war live: blog %d' % b,
                           relative_times=False).encode('utf-8')
        self.page_bytes = len(html)
        self.sizes.append(len(html))
        self.server.set(self.path(b), body=html, auto_etag=True)


# ---- the end of a run ----

def print_rows(rows, title=None):
    """rows: (label, text) pairs, printed as '  label  text' with the
    labels aligned."""
    if title:
        print(title)
    w = max(len(k) for k, _ in rows)
    for k, v in rows:
        print('  %-*s  %s' % (w, k, v))


def finish(fig, failures, json_path=None, tmp=None, keep=False):
    """Ends a benchmark: says which goals were missed, writes fig (with
    its failures) to json_path when given, removes tmp unless keep, prints
    fig as one JSON line.  Returns the exit status: 1 when a goal was
    missed."""
    fig['failures'] = failures
    if failures:
        print('MISSED:')
        for m in failures:
            print('  - ' + m)
    else:
        print('all goals met')
    if json_path:
        with open(json_path, 'w') as f:
            json.dump(fig, f, indent=1)
            f.write('\n')
    if tmp:
        if keep:
            print('  kept %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(fig), flush=True)
    return 1 if failures else 0
