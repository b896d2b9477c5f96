#!/usr/bin/env python3
"""Integration: what alerts fire and how they are recorded, with the real
`livewatch poll` against a blog served on loopback: stealth edits,
rules' `on =` (match, edit, stealth, removal), a removal alert's last
text, the Livewatch-Alert trailers of each commit read back by
`livewatch alerts`, and `livewatch match QUERY --history`."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import check, eq, run_tests, with_sandbox  # noqa: E402

UTC = {'TZ': 'UTC', 'NO_COLOR': None}

RULES = ('[bakhmut]\nquery = Bakhmut\n\n'
         '[watch]\nquery = Bakhmut\non = edit, removal\nurgency = critical\n\n'
         '[quiet-edits]\nquery = Bakhmut OR Soledar\non = stealth\n')


def post(hour, text, title=None, **kw):
    return Post(published='2023-02-14T%02d:00:00Z' % hour, title=title, paras=[text], **kw)


def serve(sb, posts):
    sb.server.set('/live', body=render_blog(posts, page_url=sb.url('/live'),
                                            headline='Ukraine war live', now=None))


def alerts_file(sb):
    if not os.path.exists(sb.alerts_path):
        return []
    with open(sb.alerts_path) as f:
        return [json.loads(line) for line in f]


def fired(alerts):
    return sorted((a['rule'], a['change'], a['entry']) for a in alerts)


class Story:
    """Five posts; the one at 11:00 mentions Bakhmut.  Then: a stealth
    edit of it and an edit adding Bakhmut to another, an edit the page
    owns up to (a new "updated" time), and its removal."""

    def __init__(self, sb):
        self.sb = sb
        self.posts = [post(13, 'Talks continue in Brussels.'),
                      post(12, 'Air raid sirens sounded in the east.'),
                      post(11, 'Heavy fighting near Bakhmut overnight.', title='Bakhmut'),
                      post(10, 'Grain exports continued.'),
                      post(9, 'Officials gave a briefing.')]
        self.hot = self.posts[2]
        serve(sb, self.posts)
        sb.poll('live')                                  # baseline: nothing fires
        self.batches = [alerts_file(sb)]
        # a quiet rewrite of the Bakhmut post, and Bakhmut added to another
        self.hot2 = self.hot.copy(paras=['Heavy fighting near Bakhmut and Soledar overnight.'])
        self.grain = self.posts[3].copy(paras=['Grain exports continued despite Bakhmut.'])
        serve(sb, self.posts[:2] + [self.hot2, self.grain] + self.posts[4:])
        sb.poll('live')
        self.batches.append(alerts_file(sb))
        # an edit the page owns up to
        self.hot3 = self.hot2.copy(paras=['Fighting near Bakhmut eased by the morning.'],
                                   updated='2023-02-14T14:10:00Z')
        serve(sb, self.posts[:2] + [self.hot3, self.grain] + self.posts[4:])
        sb.poll('live')
        self.batches.append(alerts_file(sb))
        # and then it is gone
        serve(sb, self.posts[:2] + [self.grain] + self.posts[4:])
        sb.poll('live')
        self.batches.append(alerts_file(sb))

    def new_in(self, i):
        return self.batches[i][len(self.batches[i - 1]):]


@with_sandbox(rules=RULES, env=UTC)
def test_stealth_and_on(sb):
    s = Story(sb)
    eq(s.batches[0], [], 'the first poll is the baseline')

    got = s.new_in(1)
    eq(fired(got), sorted([
        ('bakhmut', 'edited', s.grain.id),        # became matching
        ('watch', 'edited', s.grain.id),          # an edit of a matching entry
        ('watch', 'edited', s.hot.id),
        ('quiet-edits', 'edited', s.grain.id),    # both edits are stealth
        ('quiet-edits', 'edited', s.hot.id),
    ]), 'a stealth edit: match, edit and stealth rules')
    check(all(a['stealth'] is True for a in got), got)
    msg = sb.git('log', '-1', '--format=%B', 'HEAD~2')
    check('(+2 words, stealth)' in msg, msg)
    stealth = sb.git('log', '-1', '--format=%(trailers:key=Livewatch-Stealth,valueonly)',
                     'HEAD~2').split()
    eq(sorted(stealth), sorted([s.hot.id, s.grain.id]), 'the trailer lists both')

    got = s.new_in(2)
    eq(fired(got), [('watch', 'edited', s.hot.id)],
       'a new "updated" time: not stealth, and it matched before')
    check('stealth' not in got[0], got[0])
    check('stealth' not in sb.git('log', '-1', '--format=%B', 'HEAD~1'), 'no stealth flag')
    p = sb.livewatch('log', 'live', '--json', check=0)
    objs = [json.loads(line) for line in p.stdout.splitlines()]
    eq([[e['stealth'] for e in o['edited']] for o in objs], [[], [False], [True, True], []],
       'log --json flags each edit')

    got = s.new_in(3)
    eq(fired(got), [('watch', 'removed', s.hot.id)], 'on = removal')
    a = got[0]
    check(a['text'].startswith('Bakhmut\n'), a['text'])
    check('Fighting near Bakhmut eased by the morning.' in a['text'], 'the last text: ' + a['text'])
    check(a['id'].endswith('-removed'), a['id'])
    eq(a['urgency'], 'critical')
    ids = [x['id'] for x in s.batches[3]]
    eq(len(set(ids)), len(ids), 'every alert id is different')


@with_sandbox(rules=RULES, env=UTC)
def test_show_marks_stealth(sb):
    s = Story(sb)
    p = sb.livewatch('show', 'live', s.hot.id, check=0)
    heads = [line for line in p.stdout.splitlines() if line.startswith('== ')]
    eq([h.split(' at ')[0] for h in heads],
       ['== new', '== edited (stealth: no new "updated" time)', '== edited', '== removed'],
       p.stdout)
    p = sb.livewatch('log', 'live', check=0)
    check('1 edited (1 stealth)' not in p.stdout and '2 edited (2 stealth)' in p.stdout, p.stdout)
    check('(stealth edit)' in p.stdout, p.stdout)


@with_sandbox(rules=RULES, env=UTC)
def test_alerts_command(sb):
    s = Story(sb)
    fired_all = s.batches[-1]
    p = sb.livewatch('alerts', '--json', check=0)
    got = [json.loads(line) for line in p.stdout.splitlines()]
    # newest commit first; within a commit, the order they fired in
    want = s.new_in(3) + s.new_in(2) + s.new_in(1)
    for a in want:
        a.pop('text', None)   # the commit holds the last text, not the trailer
    eq(got, want, 'alerts --json: every alert as the file sink got it, newest first')
    eq(len(got), len(fired_all))
    trailers = sb.git('log', '--format=%(trailers:key=Livewatch-Alert,valueonly)').split('\n')
    eq(len([t for t in trailers if t.strip()]), len(fired_all), 'one trailer per alert')

    p = sb.livewatch('alerts', check=0)
    lines = p.stdout.splitlines()
    eq(len(lines), 2 * len(fired_all), p.stdout)
    check(' live  watch (critical)  removed  %s  Bakhmut' % s.hot.id in lines[0], lines[0])
    check('quiet-edits (normal)  edited (stealth)' in p.stdout, p.stdout)
    check(lines[1].startswith('    ') and '«' in lines[1], lines[1])

    # --since: commits are at the fetch time, which is now
    p = sb.livewatch('alerts', '--since', '2000-01-01', '--json', check=0)
    eq(len(p.stdout.splitlines()), len(fired_all))
    p = sb.livewatch('alerts', '--since', '2099-01-01', check=0)
    eq(p.stdout, '')
    check('no alerts recorded since 2099-01-01' in p.stderr, p.stderr)
    p = sb.livewatch('alerts', '--since', 'yesterday-ish', check=2)
    check("alerts: " in p.stderr and 'yesterday-ish' in p.stderr, p.stderr)
    p = sb.livewatch('alerts', 'nosuchblog', check=2)
    check("no blog 'nosuchblog'" in p.stderr, p.stderr)


@with_sandbox(rules=RULES, env=UTC)
def test_match_history(sb):
    s = Story(sb)
    p = sb.livewatch('match', 'Bakhmut', '--history', check=0)
    lines = p.stdout.splitlines()
    # the Bakhmut post was removed; the grain post now mentions it
    eq(lines, ['live/%s  2023-02-14T10:00:00Z  Grain exports continued despite Bakhmut.'
               % s.grain.id,
               '    [Bakhmut] Grain exports continued despite «Bakhmut».'], p.stdout)
    check('1 of 4 recorded posts match' in p.stderr, p.stderr)
    p = sb.livewatch('match', 'briefing OR sirens OR Brussels', '--history', 'live', check=0)
    eq([l.split('  ')[1] for l in p.stdout.splitlines() if not l.startswith(' ')],
       ['2023-02-14T13:00:00Z', '2023-02-14T12:00:00Z', '2023-02-14T09:00:00Z'],
       'newest first')
    p = sb.livewatch('match', 'briefing OR sirens', '--history', '--since',
                     '2023-02-14T11:00:00Z', check=0)
    eq(len(p.stdout.splitlines()), 2, '--since leaves the 09:00 post out: ' + p.stdout)
    p = sb.livewatch('match', 'Mariupol', '--history', check=1)
    eq(p.stdout, '')
    p = sb.livewatch('match', 'Bakhmut AND (', '--history', check=2)
    check("query 'Bakhmut AND ('" in p.stderr, p.stderr)
    p = sb.livewatch('match', 'Bakhmut', '--history', 'nope', check=2)
    check("no blog 'nope'" in p.stderr, p.stderr)


@with_sandbox(rules='[x]\nquery = Bakhmut\non = match, deleted\n', env=UTC)
def test_bad_on(sb):
    p = sb.livewatch('check', check=2)
    check("test.rules:3: rule 'x': unknown 'on' value 'deleted'" in p.stderr, p.stderr)


if __name__ == '__main__':
    run_tests(globals())
