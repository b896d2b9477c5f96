#!/usr/bin/env python3
"""Integration: `livewatch log` and `livewatch show` read back a history
made by the real `livewatch poll` against blogs served on loopback, plus
commits made by hand, an empty and a missing repository, a closed pipe,
hostile entry files and large generated histories, in the flat layout
(entries/<id>.md), in day folders (entries/<YYYY-MM-DD>/<id>.md) and
across the writer's move from one to the other.

Why one file of some 800 lines: log and show read the same histories,
built by the same helpers (a served blog polled for real, fast-import for
the large and hand-made ones), and are checked against the same git
commands."""

import datetime
import json
import os
import pty
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import LW_BIN, check, eq, run_tests, with_sandbox  # noqa: E402

HEADLINE = 'Ukraine war live: talks in Brussels as fighting continues'
JSON_KEYS = ['commit', 'time', 'blog', 'livewatch', 'summary', 'new', 'restored', 'edited', 'removed',
             'alerts']


def post(hour, minute=0, title=None, text=None, **kw):
    published = '2023-02-14T%02d:%02d:00Z' % (hour, minute)
    if text is None:
        text = 'Report filed at %02d:%02d about the day in Ukraine.' % (hour, minute)
    return Post(published=published, title=title, paras=kw.pop('paras', [text]), **kw)


def base_posts():
    return [post(13, title='Zelenskiy addresses parliament'),
            post(12, text='Air raid sirens sounded across the east of the country.'),
            post(11, title='EU ministers meet', text='Ministers met in Brussels to discuss aid.'),
            post(10, text='Officials gave a briefing on the situation.'),
            post(9, text='Grain exports continued through the Black Sea ports.')]


def serve(sb, posts, path='/live'):
    sb.server.set(path, body=render_blog(posts, page_url=sb.url(path), headline=HEADLINE,
                                         now=None))


# Times in UTC, whatever the machine's zone; colour as on a terminal
# without NO_COLOR.
UTC = {'TZ': 'UTC', 'NO_COLOR': None}


def blocks(text):
    """Human log output as a list of (header, [lines])."""
    out = []
    for chunk in text.strip('\n').split('\n\n'):
        lines = chunk.split('\n')
        out.append((lines[0], lines[1:]))
    return out


def json_lines(text):
    res = []
    for line in text.splitlines():
        obj = json.loads(line)
        eq(list(obj.keys()), JSON_KEYS, 'json keys')
        res.append(obj)
    return res


class History:
    """A history of two blogs made by real polls: baseline, new + edit,
    removal, restoration, a second blog's news, and hand-made commits."""

    def __init__(self, sb):
        self.sb = sb
        self.posts = base_posts()
        self.second = [post(8, title='Second blog opens', text='The second blog starts.'),
                       post(7, text='An early post on the second blog.')]
        serve(sb, self.posts)
        serve(sb, self.second, '/second')
        sb.poll()                                              # baseline of both blogs
        self.fresh = post(14, 30, title='Fighting around Bakhmut intensifies',
                          text='Heavy shelling was reported near Bakhmut on Tuesday.')
        self.edited = self.posts[3].copy(
            paras=['Officials gave a long briefing on the military situation.',
                   'Germany confirmed it would deliver Leopard tanks.'])
        self.page = [self.fresh] + self.posts[:3] + [self.edited] + self.posts[4:]
        serve(sb, self.page)
        sb.poll('live')                                        # 1 new, 1 edited
        self.gone = self.posts[2]
        serve(sb, [p for p in self.page if p is not self.gone])
        sb.poll('live')                                        # 1 removed
        serve(sb, self.page)
        sb.poll('live')                                        # 1 restored
        self.second_new = post(9, title='Second blog news', text='Something on blog two.')
        serve(sb, [self.second_new] + self.second, '/second')
        sb.poll('second')                                      # second: 1 new
        # A person's commits: notes outside any blog (not shown), then an
        # edit of an entry file of the second blog (shown, marked).
        with open(os.path.join(sb.repo, 'NOTES.md'), 'w') as f:
            f.write('my notes\n')
        self.user_commit('NOTES.md', 'add my notes')
        name = entry_file(sb, 'second', self.second[1].id)
        path = os.path.join(sb.repo, name)
        text = sb.git('show', 'HEAD:' + name)
        with open(path, 'w') as f:
            f.write(text.replace('An early post', 'An early, hand-corrected post'))
        self.user_commit(path, 'fix a typo by hand')
        self.commits = sb.git('rev-list', 'HEAD').split()

    def user_commit(self, path, message):
        env = dict(self.sb.env, GIT_AUTHOR_NAME='A Person', GIT_AUTHOR_EMAIL='p@example.org',
                   GIT_COMMITTER_NAME='A Person', GIT_COMMITTER_EMAIL='p@example.org')
        for args in (['add', path], ['commit', '-q', '-m', message]):
            subprocess.run(['git', '-C', self.sb.repo] + args, check=True, env=env)


@with_sandbox(blogs={'live': '/live', 'second': '/second'}, env=UTC)
def test_log_human(sb):
    h = History(sb)
    p = sb.livewatch('log', check=0)
    eq(p.stderr, '', 'stderr')
    bl = blocks(p.stdout)
    heads = [re.sub(r'^\d{4}-\d\d-\d\d \d\d:\d\d  ', '', b[0]) for b in bl]
    check(all(re.match(r'^\d{4}-\d\d-\d\d \d\d:\d\d  ', b[0]) for b in bl), p.stdout)
    eq(heads, ['second  1 edited  (commit %s, not by livewatch: "fix a typo by hand")'
               % h.commits[0][:8],
               'second  1 new',
               'live  1 restored',
               'live  1 removed',
               'live  1 new, 1 edited (1 stealth)',
               'second  2 new',
               'live  5 new'], 'block headers, newest first; notes commit and README skipped')
    lines = dict((b[0].split('  ', 1)[1], b[1]) for b in bl)
    # the page shows no "updated" time for the edit: a stealth edit
    edit = 'live  1 new, 1 edited (1 stealth)'
    eq(lines[edit],
       ['  + %s 14:30 Fighting around Bakhmut intensifies' % h.fresh.id,
        '  ~ %s 10:00 Officials gave a long briefing on the military situation.%s'
        % (h.edited.id, lines[edit][1].split('situation.', 1)[1]),
        '  alerts: bakhmut=1 leopard=1'], 'new, edited, alerts')
    eq(lines['live  1 removed'], ['  - %s 11:00 EU ministers meet' % h.gone.id], 'removed')
    eq(lines['live  1 restored'], ['  + %s 11:00 EU ministers meet (restored)' % h.gone.id],
       'restored')
    eq(len(lines['live  5 new']), 5)
    check(lines['live  5 new'][0].startswith('  + %s 13:00 Zelenskiy' % h.posts[0].id),
          lines['live  5 new'])

    # one blog
    p = sb.livewatch('log', 'second', check=0)
    eq([b[0].split('  ', 1)[1].split('  (')[0] for b in blocks(p.stdout)],
       ['second  1 edited', 'second  1 new', 'second  2 new'], 'log second')
    p = sb.livewatch('log', 'live', check=0)
    eq(len(blocks(p.stdout)), 4, 'log live')
    check('second' not in p.stdout, p.stdout)


@with_sandbox(blogs={'live': '/live', 'second': '/second'}, env=UTC)
def test_log_json(sb):
    h = History(sb)
    p = sb.livewatch('log', '--json', check=0)
    objs = json_lines(p.stdout)
    eq([o['commit'] for o in objs if o['commit'] != h.commits[1]], h.commits[:1] + h.commits[2:-1],
       'one object per commit, newest first (not the notes nor the README commit)')
    eq([o['livewatch'] for o in objs], [False] + [True] * 6)
    eq(objs[0]['blog'], 'second')
    eq(objs[0]['summary'], 'fix a typo by hand')
    eq(objs[0]['edited'][0]['id'], h.second[1].id)
    both = objs[4]
    eq(both['blog'], 'live')
    eq(both['new'], [{'id': h.fresh.id, 'title': 'Fighting around Bakhmut intensifies',
                      'published': '2023-02-14T14:30:00Z'}])
    eq([e['id'] for e in both['edited']], [h.edited.id])
    eq(both['edited'][0]['stealth'], True, 'no new "updated" time: stealth')
    eq(objs[0]['edited'][0]['stealth'], False, 'a hand edit is not flagged')
    eq(both['removed'], [])
    eq(both['alerts'], {'bakhmut': 1, 'leopard': 1})
    eq(objs[3]['removed'][0]['id'], h.gone.id)
    eq([e['id'] for e in objs[2]['restored']], [h.gone.id], 'the restoration')
    eq(sb.git('log', '-1', '--format=%(trailers:key=Livewatch-Restored,valueonly)',
              objs[2]['commit']).strip(), h.gone.id, 'the trailer that says so')
    eq(objs[2]['new'], [])
    eq(sum(len(o['restored']) for o in objs), 1, 'restorations')
    for o in objs:
        check(re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', o['time']), o['time'])
        stamp = sb.git('show', '-s', '--format=%ct', o['commit']).strip()
        eq(datetime.datetime.strptime(o['time'], '%Y-%m-%dT%H:%M:%SZ')
           .replace(tzinfo=datetime.timezone.utc).timestamp(), float(stamp), 'time is commit time')
        # the tree diff is the truth: compare with git itself
        st = sb.git('diff', '--name-status', o['commit'] + '~1', o['commit'], '--',
                    o['blog'] + '/entries/')
        want = sorted((s, os.path.basename(f)[:-3]) for s, f in
                      (l.split('\t') for l in st.splitlines()))
        got = sorted([('A', e['id']) for e in o['new'] + o['restored']] +
                     [('M', e['id']) for e in o['edited']] +
                     [('D', e['id']) for e in o['removed']])
        eq(got, want, 'changes of %s' % o['commit'])
    p = sb.livewatch('log', 'second', '--json', check=0)
    eq([o['blog'] for o in json_lines(p.stdout)], ['second'] * 3)


@with_sandbox(blogs={'live': '/live', 'second': '/second'}, env=UTC)
def test_show_versions_and_word_diff(sb):
    h = History(sb)
    p = sb.livewatch('show', 'live', h.edited.id, check=0)
    out = p.stdout
    check(out.startswith('live/%s: 2 versions\n' % h.edited.id), out)
    heads = re.findall(r'^== (\w+)( \(stealth[^)]*\))? at (\S+ \S+) \(commit ([0-9a-f]{8})\)$',
                       out, re.M)
    eq([k for k, _, _, _ in heads], ['new', 'edited'])
    eq([bool(s) for _, s, _, _ in heads], [False, True], 'the edit is a stealth edit')
    heads = [(k, t, c) for k, _, t, c in heads]
    eq(heads[1][2], sb.git('log', '-1', '--format=%h', '--abbrev=8', '--',
                           entry_file(sb, 'live', h.edited.id)).strip())
    first, second = out.split('\n== ')[1:3]
    check('# Officials gave a briefing on the situation.\n\n- id: %s\n' % h.edited.id
          in first, first)
    check('\nOfficials gave a briefing on the situation.\n' in first, 'body in full')
    check('Officials gave a {+long+} briefing on the {+military+} situation.\n' in second, second)
    check('{+Germany confirmed it would deliver Leopard tanks.+}\n' in second, second)
    check('- id:' not in second, 'unchanged lines are left out of a diff')
    check('\x1b' not in out, 'no colour on a pipe')

    p = sb.livewatch('show', 'live', h.gone.id, check=0)
    heads = re.findall(r'^== (\w+) at', p.stdout, re.M)
    eq(heads, ['new', 'removed', 'restored'], 'removal and restoration')
    check(p.stdout.rstrip().endswith('(same text as before)'), p.stdout)

    # The hand edit shows as a version too.
    p = sb.livewatch('show', 'second', h.second[1].id, check=0)
    check('An [-early-]{+early, hand-corrected+} post' in p.stdout, p.stdout)


@with_sandbox(env=UTC)
def test_show_ids(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    target = posts[0].id
    # the shortest prefix that is unique
    ids = [p.id for p in posts]
    n = next(n for n in range(1, len(target) + 1)
             if sum(i.startswith(target[:n]) for i in ids) == 1)
    p = sb.livewatch('show', 'live', target[:n], check=0)
    check(p.stdout.startswith('live/%s: 1 version\n' % target), p.stdout)
    # ambiguous: every Guardian id starts with "block-"
    p = sb.livewatch('show', 'live', 'block-', check=2)
    check("entry id 'block-' is ambiguous in blog 'live': " in p.stderr, p.stderr)
    for i in ids:
        check(i in p.stderr, 'candidate %s listed' % i)
    eq(p.stdout, '')
    p = sb.livewatch('show', 'live', 'block-nothing', check=2)
    check("no entry 'block-nothing' in blog 'live'" in p.stderr, p.stderr)
    p = sb.livewatch('show', 'live', target[6:], check=2)
    check('did you mean %s?' % target in p.stderr, p.stderr)
    for bad in ['../x', '../../README', '..', '.git', 'a/b', '', 'x;rm -rf ~', '$(id)', 'a\nb']:
        p = sb.livewatch('show', 'live', bad, check=2)
        # a control character is shown escaped: it starts no line of its own
        check("invalid entry id '%s'" % bad.replace('\n', '\\n') in p.stderr, p.stderr)
        eq(len(p.stderr.splitlines()), 1, 'one line for %r: %r' % (bad, p.stderr))
        eq(p.stdout, '')
    p = sb.livewatch('show', 'nope', target, check=2)
    check("no blog 'nope' in '%s'" % sb.config in p.stderr, p.stderr)
    sb.livewatch('show', 'live', check=2)
    sb.livewatch('show', 'live', target, 'extra', check=2)
    p = sb.livewatch('log', 'nope', check=2)
    check("no blog 'nope'" in p.stderr, p.stderr)
    p = sb.livewatch('log', '../live', check=2)
    check("no blog '../live'" in p.stderr, p.stderr)
    sb.livewatch('log', 'live', 'second', check=2)
    sb.livewatch('log', '--frobnicate', check=2)


@with_sandbox(env=UTC)
def test_log_since(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    time.sleep(1.2)
    boundary = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    time.sleep(1.2)
    serve(sb, [post(15, title='Later post')] + posts)
    sb.poll()
    stamp = boundary.strftime('%Y-%m-%dT%H:%M:%SZ')
    p = sb.livewatch('log', '--since', stamp, check=0)
    eq([b[0][18:] for b in blocks(p.stdout)], ['live  1 new'], '--since RFC 3339')
    p = sb.livewatch('log', '--since=' + boundary.astimezone(
        datetime.timezone(datetime.timedelta(hours=5))).isoformat(), '--json', check=0)
    eq(len(json_lines(p.stdout)), 1, 'offset time')
    for since in ['1h', '30m', '2d', '1w', '300s', boundary.strftime('%Y-%m-%d')]:
        p = sb.livewatch('log', 'live', '--since', since, check=0)
        eq(len(blocks(p.stdout)), 2, '--since %s' % since)
    p = sb.livewatch('log', '--since', '2099-01-01', check=0)
    eq(p.stdout, '')
    check("no changes recorded since 2099-01-01 in '%s'" % sb.repo in p.stderr, p.stderr)
    for bad in ['yesterday', '2h ago', '2023-13-01', '']:
        p = sb.livewatch('log', '--since', bad, check=2)
        check("bad time '%s'" % bad in p.stderr, p.stderr)
    sb.livewatch('log', '--since', check=2)


@with_sandbox(env=UTC)
def test_missing_and_empty_repository(sb):
    p = sb.livewatch('log', check=1)
    check("no history at '%s'" % sb.repo in p.stderr, p.stderr)
    eq(p.stdout, '')
    check(not os.path.exists(sb.repo), 'log creates nothing')
    p = sb.livewatch('show', 'live', 'block-1', check=1)
    check("no history at '%s'" % sb.repo in p.stderr, p.stderr)
    # not a repository
    os.makedirs(sb.repo)
    p = sb.livewatch('log', check=1)
    check("'%s' is not a git repository" % sb.repo in p.stderr, p.stderr)
    # an empty repository (unborn HEAD)
    subprocess.run(['git', 'init', '-q', sb.repo], check=True, env=sb.env)
    p = sb.livewatch('log', check=0)
    eq(p.stdout, '')
    check("no changes recorded in '%s'" % sb.repo in p.stderr, p.stderr)
    p = sb.livewatch('log', '--json', check=0)
    eq(p.stdout, '')
    p = sb.livewatch('log', 'live', check=0)      # in the config, never polled
    check("no changes recorded for 'live'" in p.stderr, p.stderr)
    p = sb.livewatch('show', 'live', 'block-1', check=2)
    check("no entry 'block-1' in blog 'live'" in p.stderr, p.stderr)
    # -q keeps quiet about it
    p = sb.livewatch('-q', 'log', check=0)
    eq(p.stderr, '')


@with_sandbox(env=UTC)
def test_default_repository_without_a_config(sb):
    """No -c and no default config: log and show read the default
    repository ($XDG_DATA_HOME/livewatch/history)."""
    serve = [post(13, title='Zelenskiy addresses parliament'), post(12)]
    sb.server.set('/live', body=render_blog(serve, page_url=sb.url('/live'), headline=HEADLINE))
    sb.poll('live')
    data = os.path.join(sb.dir, 'xdg-data')
    os.makedirs(os.path.join(data, 'livewatch'))
    os.symlink(sb.repo, os.path.join(data, 'livewatch', 'history'))
    env = dict(sb.env, XDG_CONFIG_HOME=os.path.join(sb.dir, 'no-config'), XDG_DATA_HOME=data)
    p = subprocess.run([LW_BIN, 'log'], env=env, capture_output=True, text=True)
    eq(p.returncode, 0, p.stderr)
    check('live  2 new' in p.stdout, p.stdout)
    p = subprocess.run([LW_BIN, 'show', 'live', serve[0].id], env=env, capture_output=True,
                       text=True)
    eq(p.returncode, 0, p.stderr)
    check('Zelenskiy addresses parliament' in p.stdout, p.stdout)
    p = subprocess.run([LW_BIN, 'log', 'nosuch'], env=env, capture_output=True, text=True)
    eq(p.returncode, 2)
    check("no blog 'nosuch' in the history at '%s'" % os.path.join(data, 'livewatch', 'history')
          in p.stderr, p.stderr)
    # an explicit -c that does not exist is still an error
    p = subprocess.run([LW_BIN, '-c', os.path.join(sb.dir, 'nope.ini'), 'log'], env=env,
                       capture_output=True, text=True)
    eq(p.returncode, 2)
    check('no config at' in p.stderr, p.stderr)


ENTRY_PATH = re.compile(r'^([A-Za-z0-9_-][A-Za-z0-9._-]*)/entries/(?:(\d{4}-\d\d-\d\d)/)?'
                        r'([A-Za-z0-9_-][A-Za-z0-9._-]*)\.md$')

MIGRATION = 'livewatch: move entries into day folders\n\nLivewatch-Migration: day-folders\n'


def entry_file(sb, blog, entry_id):
    """The path of an entry's file at HEAD, in whichever layout the
    writer used."""
    found = [f for f in sb.git('ls-tree', '-r', '--name-only', 'HEAD', '--',
                               '%s/entries/' % blog).splitlines()
             for m in [ENTRY_PATH.match(f)] if m and m.group(3) == entry_id]
    eq(len(found), 1, 'one file for %s in %s' % (entry_id, blog))
    return found[0]


def entry_md(entry_id, title, body, published='2023-02-14T18:31:00Z'):
    return ('# %s\n\n- id: %s\n- published: %s\n- updated:\n- url: https://example.org/live#%s\n'
            '\n%s\n' % (title, entry_id, published, entry_id, body))


def fast_import(repo, commits, env):
    """commits: list of (time, message, {path: text or None}) oldest first."""
    subprocess.run(['git', 'init', '-q', '-b', 'master', repo], check=True, env=env)
    out = []
    for n, (when, message, files) in enumerate(commits, 1):
        msg = message.encode()
        out.append(b'commit refs/heads/master\nmark :%d\n' % n)
        out.append(b'committer livewatch <livewatch@localhost> %d +0000\n' % when)
        out.append(b'data %d\n%s\n' % (len(msg), msg))
        if n > 1:
            out.append(b'from :%d\n' % (n - 1))
        for path, text in files.items():
            if text is None:
                out.append(b'D %s\n' % path.encode())
            else:
                data = text.encode()
                out.append(b'M 100644 inline %s\ndata %d\n%s\n' % (path.encode(), len(data), data))
    subprocess.run(['git', '-C', repo, 'fast-import', '--quiet'], input=b''.join(out),
                   check=True, env=env)
    subprocess.run(['git', '-C', repo, 'checkout', '-q', '-f', 'master'], check=True, env=env)


def big_history(sb, n=500, layout='flat'):
    """n livewatch commits, ten minutes apart, ending 30 s ago: two new
    entries each, one entry edited every time, one removal every tenth.
    layout: 'flat' (entries/<id>.md), 'days' (entries/<day>/<id>.md, the
    UTC day of the commit that first wrote the entry) or 'migrated' (flat,
    then half way the writer's migration commit, then day folders)."""
    now = int(time.time())
    commits = []
    body = 'The hot post starts here.'
    paths, texts, born = {}, {}, {}     # by id: file path, text, first commit time
    in_days = layout == 'days'

    def day_path(eid):
        day = datetime.datetime.fromtimestamp(born[eid], datetime.timezone.utc)
        return 'live/entries/%s/%s.md' % (day.strftime('%Y-%m-%d'), eid)

    for k in range(n):
        when = now - (n - 1 - k) * 600 - 30
        if layout == 'migrated' and k == n // 2:
            moves = {}
            for eid, path in sorted(paths.items()):
                moves[path] = None
                paths[eid] = day_path(eid)
                moves[paths[eid]] = texts[eid]
            commits.append((when - 1, MIGRATION, moves))
            in_days = True
        files = {}

        def write(eid, text):
            if eid not in paths:
                born[eid] = when
                paths[eid] = day_path(eid) if in_days else 'live/entries/%s.md' % eid
            files[paths[eid]] = texts[eid] = text

        for j in range(2):
            eid = 'block-%04d-%d' % (k, j)
            write(eid, entry_md(eid, 'Post %d.%d' % (k, j), 'Body of post %d %d.' % (k, j)))
        body += ' word%d' % k
        write('block-hot', entry_md('block-hot', 'The hot post', body))
        removed = 0
        if k % 10 == 9:
            files[paths.pop('block-%04d-0' % (k - 5))] = None
            removed = 1
        msg = 'live: 2 new, 1 edited%s\n\n+ Post\n\nLivewatch-Blog: live\nLivewatch-Url: x\n' % (
            ', 1 removed' if removed else '')
        if k == 0:
            msg = 'live: 3 new\n\nLivewatch-Blog: live\n'
        commits.append((when, msg, files))
    fast_import(sb.repo, commits, sb.env)


def large_history_checks(sb, layout):
    big_history(sb, 500, layout)
    t0 = time.monotonic()
    p = sb.livewatch('log', check=0)
    t_log = time.monotonic() - t0
    bl = blocks(p.stdout)
    eq(len(bl), 500, 'one block per commit')
    check(bl[0][0].endswith('live  2 new, 1 edited, 1 removed'), bl[0][0])
    eq(len(bl[0][1]), 4)
    check('day folders' not in p.stdout, 'no block for the migration')
    t0 = time.monotonic()
    p = sb.livewatch('log', '--json', check=0)
    t_json = time.monotonic() - t0
    objs = json_lines(p.stdout)
    eq(len(objs), 500)
    eq(sum(len(o['removed']) for o in objs), 50)
    eq(sum(len(o['new']) for o in objs), 1000 + 1)
    eq(sum(len(o['edited']) for o in objs), 499)
    t0 = time.monotonic()
    p = sb.livewatch('log', 'live', '--since', '1h', check=0)
    t_since = time.monotonic() - t0
    eq(len(blocks(p.stdout)), 6, 'commits of the last hour (ten minutes apart)')
    t0 = time.monotonic()
    p = sb.livewatch('show', 'live', 'block-hot', check=0)
    t_show = time.monotonic() - t0
    check(p.stdout.startswith('live/block-hot: 500 versions\n'), p.stdout[:200])
    eq(p.stdout.count('{+word'), 499)
    eq(re.findall(r'^== (\w+) at', p.stdout, re.M), ['new'] + ['edited'] * 499)
    # an entry removed before the end, found in the past by its exact id
    p = sb.livewatch('show', 'live', 'block-0004-0', check=0)
    eq(re.findall(r'^== (\w+) at', p.stdout, re.M), ['new', 'removed'])
    print('# 500 commits (%s): log %.3f s, log --json %.3f s, log --since 1h %.3f s, '
          'show (500 versions) %.3f s' % (layout, t_log, t_json, t_since, t_show), flush=True)


@with_sandbox(env=UTC)
def test_large_history(sb):
    large_history_checks(sb, 'flat')


@with_sandbox(env=UTC)
def test_large_history_in_day_folders(sb):
    large_history_checks(sb, 'days')
    files = sb.git('ls-files').splitlines()
    check(len(set(f.split('/')[2] for f in files)) >= 3, 'several day folders')
    check(all(ENTRY_PATH.match(f).group(2) for f in files), 'no flat file')


@with_sandbox(env=UTC)
def test_large_history_migrated(sb):
    large_history_checks(sb, 'migrated')
    eq(sb.git('log', '--format=%s', '--grep=Livewatch-Migration').strip(),
       'livewatch: move entries into day folders', 'the migration commit is there')


@with_sandbox(env=UTC)
def test_closed_pipe(sb):
    big_history(sb, 500)
    for args in (['log'], ['log', '--json'], ['show', 'live', 'block-hot']):
        proc = subprocess.Popen([LW_BIN, '-c', sb.config] + args, env=sb.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        rc = proc.wait(timeout=60)
        check(first, 'a first line')
        eq(err, b'', 'stderr with %s' % args)
        eq(rc, 0, 'exit status with %s' % args)
    # the same through a shell pipe into head
    p = subprocess.run('"%s" -c "%s" log | head -1' % (LW_BIN, sb.config), shell=True,
                       env=sb.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    eq(p.stderr, '')
    eq(len(p.stdout.splitlines()), 1)


@with_sandbox(env=UTC)
def test_hostile_entry_files(sb):
    esc = '\x1b]0;owned\x07\x1b[31m'
    commits = [
        (1676400000, 'live: 1 new\n\nLivewatch-Blog: live\nLivewatch-Alerts: a=1 b=x =2\n',
         {'live/entries/block-evil.md': entry_md('block-evil', 'Evil %s title\\nsecond' % esc,
                                                 'Body with %s escapes\u0085 and C1 \u009b.' % esc),
          'live/entries/not-an-entry.txt': 'x\n',
          'live/entries/broken.md': 'no heading at all\n',
          'live/entries/sub/deep.md': entry_md('deep', 'Deep', 'x'),
          'live/entries/2023-02-14/day.md': entry_md('day', 'In a day folder', 'x'),
          'live/entries/2023-02-14/.hidden.md': entry_md('hidden', 'Hidden', 'x'),
          'live/entries/2023-02-14/deeper/deep.md': entry_md('deep', 'Deep', 'x'),
          'live/entries/2023-2-14/notaday.md': entry_md('notaday', 'Not a day', 'x'),
          'live/index.md': '- x\n'}),
        (1676400060, 'evil\n\nLivewatch-Blog: ../../etc\n',
         {'live/entries/block-evil.md': entry_md('block-evil', 'Evil', 'Body changed %s.' % esc)}),
    ]
    fast_import(sb.repo, commits, sb.env)
    p = sb.livewatch('log', check=0)
    check('\x1b' not in p.stdout and '\x07' not in p.stdout and '\u009b' not in p.stdout,
          repr(p.stdout))
    bl = blocks(p.stdout)
    eq(len(bl), 2, p.stdout)
    check('not by livewatch' in bl[0][0], 'a bad Livewatch-Blog trailer is not livewatch\'s')
    eq(bl[1][0][18:], 'live  3 new')
    check(any('block-evil' in l and 'Evil ?]0;owned??[31m title?second' in l for l in bl[1][1]),
          bl[1][1])
    check(any('broken (unreadable entry file)' in l for l in bl[1][1]), bl[1][1])
    eq(len([line for line in bl[1][1] if line.startswith('  +')]), 3,
       'only .md files directly in entries/ or in a day folder of it count')
    check(any(' day 18:31 In a day folder' in line for line in bl[1][1]), bl[1][1])
    check('  alerts: a=1' in p.stdout and 'b=' not in p.stdout, 'malformed alert counts skipped')
    objs = json_lines(sb.livewatch('log', '--json', check=0).stdout)
    check(esc in objs[1]['new'][1]['title'] or esc in objs[1]['new'][0]['title'],
          'JSON keeps the text, escaped by JSON')
    p = sb.livewatch('show', 'live', 'block-evil', check=0)
    check('\x1b' not in p.stdout and '\x07' not in p.stdout and '\u009b' not in p.stdout,
          repr(p.stdout))
    check('# Evil[-?]0;owned??[31m title\\nsecond-]\n' in p.stdout, p.stdout)


def check_against_git(sb, objs):
    """Each JSON object's changes are git's own name-status against the
    first parent, for entry files of its blog (flat or in a day folder),
    less moves: an id deleted at one path and added at another."""
    for o in objs:
        c = o['commit']
        parents = sb.git('show', '-s', '--format=%P', c).split()
        base = parents[0] if parents else '4b825dc642cb6eb9a060e54bf8d69288fbee4904'  # empty tree
        st = sb.git('diff', '--no-renames', '--name-status', base, c)
        changed = [(s, m.group(3)) for s, f in (line.split('\t') for line in st.splitlines())
                   for m in [ENTRY_PATH.match(f)] if m and m.group(1) == o['blog']]
        moved = ({i for s, i in changed if s == 'A'} & {i for s, i in changed if s == 'D'})
        want = sorted((s, i) for s, i in changed if i not in moved)
        got = sorted([('A', e['id']) for e in o['new'] + o['restored']] +
                     [('M', e['id']) for e in o['edited']] +
                     [('D', e['id']) for e in o['removed']])
        eq(got, want, 'changes of %s (%s)' % (c, o['summary']))


@with_sandbox(env=UTC)
def test_tree_diff_matches_git(sb):
    md = entry_md
    fast_import(sb.repo, [
        (1676400000, 'start\n', {'live/entries/a.md': md('a', 'A', 'a'),
                                 'live/entries/b.md': md('b', 'B', 'b'),
                                 'other/entries/c.md': md('c', 'C', 'c'),
                                 'other/entries/c.md.orig': 'x\n',
                                 'other/index.md': 'x\n'}),
        (1676400060, 'drop other\n', {'other': None}),
        (1676400120, 'b becomes a folder\n', {'live/entries/b.md': None,
                                              'live/entries/b.md/x.md': md('x', 'X', 'x'),
                                              'live/entries/a.md': md('a', 'A2', 'a2')}),
        (1676400180, 'entries becomes a file\n', {'live/entries': None, 'live/entries.md': 'x\n'}),
        (1676400240, 'back\n', {'live/entries.md': None,
                                'live/entries/a.md': md('a', 'A3', 'a3'),
                                'live/entries/.hidden.md': md('h', 'H', 'h'),
                                'live/entries/Z.md': md('Z', 'Z', 'z'),
                                'live/entries/a-.md': md('a-', 'A-', 'a-'),
                                'live/entries/a.b.md': md('a.b', 'AB', 'ab'),
                                'live/entries/a0.md': md('a0', 'A0', 'a0')}),
    ], sb.env)
    objs = json_lines(sb.livewatch('log', '--json', check=0).stdout)
    eq([(o['blog'], o['summary']) for o in objs],
       [('live', 'back'), ('live', 'entries becomes a file'), ('live', 'b becomes a folder'),
        ('other', 'drop other'), ('live', 'start'), ('other', 'start')], 'one object per blog')
    check_against_git(sb, objs)
    eq(sorted(e['id'] for e in objs[0]['new']), ['Z', 'a', 'a-', 'a.b', 'a0'], 'no hidden file')
    # a merge is diffed against its first parent
    env = dict(sb.env, GIT_AUTHOR_NAME='P', GIT_AUTHOR_EMAIL='p@x', GIT_COMMITTER_NAME='P',
               GIT_COMMITTER_EMAIL='p@x')
    def g(*args):
        subprocess.run(['git', '-C', sb.repo] + list(args), check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g('checkout', '-q', '-b', 'side')
    with open(os.path.join(sb.repo, 'live', 'entries', 'side.md'), 'w') as f:
        f.write(md('side', 'Side', 'from a branch'))
    g('add', '-A')
    g('commit', '-q', '-m', 'side branch')
    g('checkout', '-q', 'master')
    g('merge', '-q', '--no-ff', '-m', 'merge side', 'side')
    objs = json_lines(sb.livewatch('log', '--json', check=0).stdout)
    eq(objs[0]['summary'], 'merge side')
    check_against_git(sb, objs)
    eq([e['id'] for e in objs[0]['new']], ['side'])
    p = sb.livewatch('show', 'live', 'side', check=0)
    check(p.stdout.startswith('live/side: 1 version\n'), p.stdout)


@with_sandbox(blogs={'live': '/live', 'second': '/second'}, env=UTC)
def test_flat_then_day_folders(sb):
    """A history begun in the flat layout, moved into day folders by the
    writer's migration commit, then carried on in day folders."""
    md = entry_md
    day = 'live/entries/2023-02-14/'
    alpha = [md('block-a', 'Alpha', 'First report.'), md('block-a', 'Alpha', 'First report, edited.'),
             md('block-a', 'Alpha', 'First report, edited twice.')]
    bravo = md('block-b', 'Bravo', 'Second report.')
    sierra = md('block-s', 'Sierra', 'On the second blog.', published='2023-02-13T09:00:00Z')
    charlie = md('block-c', 'Charlie', 'A new day.', published='2023-02-15T08:00:00Z')
    fast_import(sb.repo, [
        (1676400000, 'live: 2 new\n\nLivewatch-Blog: live\n',
         {'live/entries/block-a.md': alpha[0], 'live/entries/block-b.md': bravo,
          'live/index.md': '- [Alpha](entries/block-a.md)\n- [Bravo](entries/block-b.md)\n'}),
        (1676400060, 'second: 1 new\n\nLivewatch-Blog: second\n',
         {'second/entries/block-s.md': sierra}),
        (1676400120, 'live: 1 edited\n\nLivewatch-Blog: live\n',
         {'live/entries/block-a.md': alpha[1]}),
        (1676400180, MIGRATION,
         {'live/entries/block-a.md': None, day + 'block-a.md': alpha[1],
          'live/entries/block-b.md': None, day + 'block-b.md': bravo,
          'second/entries/block-s.md': None, 'second/entries/2023-02-13/block-s.md': sierra,
          'live/index.md': '- [Alpha](entries/2023-02-14/block-a.md)\n'
                           '- [Bravo](entries/2023-02-14/block-b.md)\n'}),
        (1676400240, 'live: 1 new, 1 edited\n\nLivewatch-Blog: live\nLivewatch-Alerts: x=1\n',
         {'live/entries/2023-02-15/block-c.md': charlie, day + 'block-a.md': alpha[2]}),
        (1676400300, 'live: 1 removed\n\nLivewatch-Blog: live\n', {day + 'block-b.md': None}),
        (1676400360, 'live: 1 restored\n\n+ 18:31 Bravo (restored)\n\nLivewatch-Blog: live\n',
         {day + 'block-b.md': bravo}),
    ], sb.env)
    commits = sb.git('rev-list', 'HEAD').split()
    migration = commits[3]
    eq(sb.git('show', '-s', '--format=%s', migration).strip(),
       'livewatch: move entries into day folders')

    objs = json_lines(sb.livewatch('log', '--json', check=0).stdout)
    eq([o['commit'] for o in objs], [c for c in commits if c != migration],
       'every commit but the migration')
    eq([(o['blog'], o['summary']) for o in objs],
       [('live', 'live: 1 restored'), ('live', 'live: 1 removed'),
        ('live', 'live: 1 new, 1 edited'), ('live', 'live: 1 edited'),
        ('second', 'second: 1 new'), ('live', 'live: 2 new')])
    check_against_git(sb, objs)
    eq([e['id'] for e in objs[0]['restored']], ['block-b'], 'restored in its day folder')
    eq(objs[2]['new'], [{'id': 'block-c', 'title': 'Charlie',
                         'published': '2023-02-15T08:00:00Z'}])
    eq([e['id'] for e in objs[2]['edited']], ['block-a'])
    eq(objs[2]['alerts'], {'x': 1})
    p = sb.livewatch('log', check=0)
    check('day folders' not in p.stdout and migration[:8] not in p.stdout, p.stdout)
    eq([b[0][18:] for b in blocks(p.stdout)],
       ['live  1 restored', 'live  1 removed', 'live  1 new, 1 edited', 'live  1 edited',
        'second  1 new', 'live  2 new'])
    eq(len(json_lines(sb.livewatch('log', 'second', '--json', check=0).stdout)), 1)

    # one entry's life reads on through the move
    p = sb.livewatch('show', 'live', 'block-a', check=0)
    check(p.stdout.startswith('live/block-a: 3 versions\n'), p.stdout)
    heads = re.findall(r'^== (\w+) at \S+ \S+ \(commit ([0-9a-f]{8})\)$', p.stdout, re.M)
    eq(heads, [('new', commits[6][:8]), ('edited', commits[4][:8]), ('edited', commits[2][:8])])
    check('First report, edited {+twice.+}' in p.stdout or
          'First report, [-edited.-]{+edited twice.+}' in p.stdout, p.stdout)
    p = sb.livewatch('show', 'live', 'block-b', check=0)
    eq(re.findall(r'^== (\w+) at', p.stdout, re.M), ['new', 'removed', 'restored'])
    check(p.stdout.rstrip().endswith('(same text as before)'), p.stdout)
    p = sb.livewatch('show', 'second', 'block-s', check=0)
    check(p.stdout.startswith('second/block-s: 1 version\n'), p.stdout)

    # ids: prefixes over the day folders, never a folder's name
    p = sb.livewatch('show', 'live', 'block-c', check=0)
    check(p.stdout.startswith('live/block-c: 1 version\n'), p.stdout)
    p = sb.livewatch('show', 'live', 'block-', check=2)
    check("entry id 'block-' is ambiguous in blog 'live': block-a, block-b, block-c"
          in p.stderr, p.stderr)
    p = sb.livewatch('show', 'second', 'block', check=0)
    check(p.stdout.startswith('second/block-s: 1 version\n'), p.stdout)
    p = sb.livewatch('show', 'live', '2023-02-14', check=2)
    check("no entry '2023-02-14' in blog 'live'" in p.stderr, p.stderr)


@with_sandbox(env=UTC)
def test_flat_history_polled(sb):
    """A flat history left by an older livewatch, then polled: whether the
    writer moves it into day folders first or not, log and show read the
    same story."""
    posts = base_posts()
    fast_import(sb.repo, [
        (1676400000, 'live: 5 new\n\nLivewatch-Blog: live\n',
         {'live/entries/%s.md' % p.id: entry_md(p.id, 'Old %d' % i, 'Old text.', p.published)
          for i, p in enumerate(posts)})], sb.env)
    serve(sb, posts)
    sb.poll()
    moved = sb.git('log', '--format=%H', '--grep=^Livewatch-Migration:').split()
    print('# the writer %s the flat history' % ('moved' if moved else 'kept'), flush=True)
    objs = json_lines(sb.livewatch('log', '--json', check=0).stdout)
    eq([(o['summary'], len(o['new']), len(o['edited']), len(o['removed'])) for o in objs],
       [('live: 5 edited', 0, 5, 0), ('live: 5 new', 5, 0, 0)], 'log')
    check_against_git(sb, objs)
    check(all(o['commit'] not in moved for o in objs), 'no object for the migration')
    for p in posts:
        out = sb.livewatch('show', 'live', p.id, check=0).stdout
        eq(re.findall(r'^== (\w+)(?: \(stealth[^)]*\))? at', out, re.M), ['new', 'edited'], p.id)
        check('[-Old text.-]' in out, out)
    out = sb.livewatch('show', 'live', posts[0].id[:-3], check=0).stdout
    check(out.startswith('live/%s: 2 versions\n' % posts[0].id), out)


def test_help_names_log_and_show():
    p = subprocess.run([LW_BIN, '--help'], stdout=subprocess.PIPE, text=True, check=True)
    check('  log [BLOG] [--since T] [--json]\n' in p.stdout, p.stdout)
    check('  show BLOG ID ' in p.stdout, p.stdout)


def run_on_tty(sb, *args, env=None):
    """Runs livewatch with stdout on a pseudo-terminal; returns (rc, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([LW_BIN, '-c', sb.config] + list(args), env=env or sb.env,
                            stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b''
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:          # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=60), out.decode()


@with_sandbox(env=UTC)
def test_show_colour_on_a_terminal(sb):
    fast_import(sb.repo, [
        (1676400000, 'live: 1 new\n\nLivewatch-Blog: live\n',
         {'live/entries/block-1.md': entry_md('block-1', 'Title', 'the cat sat on the mat')}),
        (1676400060, 'live: 1 edited\n\nLivewatch-Blog: live\n',
         {'live/entries/block-1.md': entry_md('block-1', 'Title', 'the dog sat on the mat')}),
    ], sb.env)
    rc, out = run_on_tty(sb, 'show', 'live', 'block-1')
    eq(rc, 0)
    check('the \x1b[31mcat\x1b[m\x1b[32mdog\x1b[m sat on the mat' in out, repr(out))
    check('[-' not in out and '{+' not in out, repr(out))
    rc, out = run_on_tty(sb, 'show', 'live', 'block-1', env=dict(sb.env, NO_COLOR='1'))
    check('the [-cat-]{+dog+} sat on the mat' in out and '\x1b' not in out, repr(out))


@with_sandbox(env=UTC)
def test_show_huge_entry_falls_back(sb):
    words = ['w%d' % (i % 1000) for i in range(60000)]
    other = ['v%d' % i for i in range(1500)]
    fast_import(sb.repo, [
        (1676400000, 'live: 1 new\n\nLivewatch-Blog: live\n',
         {'live/entries/big.md': entry_md('big', 'Big', ' '.join(words)),
          'live/entries/far.md': entry_md('far', 'Far', ' '.join('u%d' % i for i in range(1500)))}),
        (1676400060, 'live: 2 edited\n\nLivewatch-Blog: live\n',
         {'live/entries/big.md': entry_md('big', 'Big', ' '.join(words[:-1] + ['changed'])),
          'live/entries/far.md': entry_md('far', 'Far', ' '.join(other))}),
    ], sb.env)
    t0 = time.monotonic()
    p = sb.livewatch('show', 'live', 'big', check=0)
    elapsed = time.monotonic() - t0
    check('whole text replaced' in p.stdout, p.stdout[-300:])
    check('{+# Big+}' in p.stdout and '[-# Big-]' in p.stdout, 'whole old and new text')
    p = sb.livewatch('show', 'live', 'far', check=0)
    check('whole text replaced' in p.stdout, p.stdout[-300:])
    check('\n[-# Far-]\n' in p.stdout and '\n{+# Far+}\n' in p.stdout, p.stdout[:300])
    check('\n[-u0 u1 u2 ' in p.stdout and '\n{+v0 v1 v2 ' in p.stdout, 'old and new bodies')
    print('# show of a 60000-word entry: %.3f s' % elapsed, flush=True)


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
