#!/usr/bin/env python3
"""Integration: a history written by livewatch before day folders (the
flat layout, <blog>/entries/<id>.md) keeps working.

tests/data/flat-history.tar.gz is a repository written by the livewatch
of commit e3bb431 (the last one with the flat layout), by
tests/data/make-flat-history.py, from the SCENARIO below: a baseline,
new posts (one matching a rule), an edit and a removal, over two days.
This livewatch must move it to day folders in one commit the first time
it polls, find every recorded entry there (nothing recorded comes back
as new, no alert fires twice), and `log` and `show` must read across the
move."""

import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import Sandbox, check, eq, run_tests  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, 'data', 'flat-history.tar.gz')


def post(day, hour, text, title=None):
    return Post(published='2023-02-%02dT%02d:00:00Z' % (day, hour), title=title, paras=[text])


def scenario():
    """The pages the fixture saw, oldest first, then the page of today."""
    a = post(13, 22, 'Late-night shelling reported in Kharkiv.')
    b = post(14, 8, 'Morning briefing from the defence ministry.', title='Briefing')
    c = post(14, 9, 'Grain ships left Odesa.')
    d = post(14, 10, 'Talks in Brussels continue.')
    e = post(14, 11, 'Fighting around Bakhmut intensifies.', title='Bakhmut')
    c2 = c.copy(paras=['Grain ships left Odesa and Chornomorsk.'])
    f = post(15, 7, 'A new day of coverage begins.')
    pages = [
        [d, c, b, a],            # baseline
        [e, d, c, b, a],         # e new (matches the rule)
        [e, d, c2, a],           # c edited, b removed
    ]
    today = [f, e, d, c2, a]     # after the move: f new
    return pages, today


RULES = '[bakhmut]\nquery = Bakhmut\n'


def serve(sb, posts, page_url=None):
    """The page at sb.url(), its permalinks on page_url (the fixture's
    server had another port, and a post whose url changed is an edit)."""
    sb.server.set('/live', body=render_blog(posts, page_url=page_url or sb.url(),
                                            headline='Ukraine war live', now=None))


def test_flat_history_moves_to_day_folders():
    pages, today = scenario()
    sb = Sandbox(rules=RULES)
    try:
        with tarfile.open(FIXTURE) as t:
            t.extractall(sb.dir)
        with open(os.path.join(sb.dir, 'alerts.jsonl')) as f:
            before_alerts = f.read()
        flat = sorted(n for n in os.listdir(os.path.join(sb.repo, 'live', 'entries')))
        eq(flat, sorted(p.id + '.md' for p in [pages[0][0], pages[0][1], pages[0][3], pages[1][0]]),
           'the fixture is in the flat layout')
        head_before = sb.git('rev-parse', 'HEAD').strip()
        commits_before = sb.commits()

        with open(os.path.join(sb.repo, '.git', 'livewatch', 'live.json')) as f:
            old_url = json.load(f)['url']
        serve(sb, today, page_url=old_url)
        p = sb.poll()
        check('day folders' in p.stderr, 'the move is reported: ' + p.stderr)
        eq(sb.commits(), commits_before + 2, 'one commit moves, one records the poll')
        moved = sb.git('log', '-1', '--format=%B', 'HEAD~1')
        check(moved.startswith('livewatch: move entries into day folders\n'), moved)
        check('Livewatch-Migration: day-folders' in moved, moved)
        eq(sb.git('rev-parse', 'HEAD~2').strip(), head_before, 'history before the move kept')
        # the move only renames: every blob is the same
        ns = sb.git('diff', '-M', '--name-status', 'HEAD~2', 'HEAD~1', '--', 'live/entries')
        for line in ns.splitlines():
            check(line.startswith('R100\t'), 'a pure rename: ' + line)
        files = sorted(sb.git('ls-tree', '-r', '--name-only', 'HEAD', 'live/entries').split())
        want = sorted('live/entries/%s/%s.md' % (x.published[:10], x.id)
                      for x in [today[0], today[1], today[2], today[3], today[4]])
        eq(files, want, 'every entry in the day folder of its published time')
        eq(sb.last_changes(), {('A', today[0].id)}, 'only the new post is new')
        readme = sb.git('show', 'HEAD:README.md')
        check('entries/<YYYY-MM-DD>/<id>.md' in readme, 'README.md tells the new layout: ' + readme)
        eq(sb.git('status', '--porcelain'), '', 'working tree and index in step')
        with open(os.path.join(sb.dir, 'alerts.jsonl')) as f:
            eq(f.read(), before_alerts, 'no alert fires again after the move')
        fsck = sb.git('fsck', '--full', '--no-progress')
        eq(fsck.strip(), '', 'git fsck is clean')

        # log reads across the move, and does not show the move as a change
        out = sb.livewatch('log', '--json', check=0).stdout
        polls = [json.loads(line) for line in out.splitlines() if line.strip()]
        news = sum(len(x.get('new', [])) for x in polls)
        eq(news, 6, 'new over the whole history: 4 + 1 before, 1 after the move: %r' % polls)
        # show follows the edited entry through the move
        c2 = today[3]
        shown = sb.livewatch('show', 'live', c2.id, check=0).stdout
        check('Chornomorsk' in shown and shown.count('Grain ships left Odesa') >= 2, shown)

        # the next poll needs no move, and costs no commit when nothing changed
        p = sb.poll()
        eq(sb.commits(), commits_before + 2, 'nothing changed: no commit')
        check('day folders' not in p.stderr, p.stderr)
    finally:
        sb.close()


if __name__ == '__main__':
    run_tests(globals())
