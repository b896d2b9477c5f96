#!/usr/bin/env python3
"""Recall and precision of `livewatch extract` (format auto, no profile)
on every page of tests/data/extract/expected-posts.json: the posts a
reader sees on each page, written down by reading it (an id where the
page gives one, else a phrase of the post).

An entry matches an expected post when it has the post's id, or when the
phrase is in its title or body (whitespace collapsed); each entry and each
post match at most once.  recall = matched posts / expected posts,
precision = matched entries / entries; both must be at least 0.95 on
every page.  Pages under real/ come from ../shared/fixtures/real/ and are
skipped, saying so, when that folder is absent.  Prints one line per
page: `PAGE: N entries, M expected, recall R, precision P`."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwtest import LW_BIN, SRCDIR, Skip, run_tests  # noqa: E402

DATA = os.path.join(SRCDIR, 'tests', 'data', 'extract')
REAL = os.environ.get('LW_FIXTURES_REAL',
                      os.path.join(SRCDIR, '..', 'shared', 'fixtures', 'real'))
GOAL = 0.95


def path_of(page):
    where, name = page.split('/', 1)
    return os.path.join(REAL if where == 'real' else DATA, name)


def norm(s):
    return ' '.join((s or '').split())


def score(entries, posts):
    """(recall, precision, unmatched posts, unmatched entries)"""
    used = set()
    missing = []
    for post in posts:
        hit = None
        for i, e in enumerate(entries):
            if i in used:
                continue
            if 'id' in post and e['id'] == post['id']:
                hit = i
            elif 'text' in post and norm(post['text']) in norm(e['title'] + ' ' + e['body']):
                hit = i
            if hit is not None:
                break
        if hit is None:
            missing.append(post)
        else:
            used.add(hit)
    extra = [e['id'] for i, e in enumerate(entries) if i not in used]
    recall = (len(posts) - len(missing)) / len(posts) if posts else 1.0
    precision = len(used) / len(entries) if entries else 0.0
    return recall, precision, missing, extra


def make(page, posts):
    def test():
        path = path_of(page)
        if not os.path.exists(path):
            raise Skip('%s: no such page (real pages live in %s)' % (page, REAL))
        r = subprocess.run([LW_BIN, 'extract', '--json', path], capture_output=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError('%s: exit status %d: %s' % (
                page, r.returncode, r.stderr.decode(errors='replace')))
        entries = [json.loads(line) for line in r.stdout.decode().splitlines()]
        recall, precision, missing, extra = score(entries, posts)
        print('# %s: %d entries, %d expected, recall %.3f, precision %.3f'
              % (page, len(entries), len(posts), recall, precision))
        if recall < GOAL or precision < GOAL:
            raise AssertionError('%s: recall %.3f, precision %.3f (goal %.2f)\n'
                                 'missed: %s\nnot posts: %s'
                                 % (page, recall, precision, GOAL, missing[:10], extra[:10]))
    return test


def tests():
    with open(os.path.join(DATA, 'expected-posts.json'), encoding='utf-8') as f:
        pages = json.load(f)['pages']
    return {'test_' + p['page'].replace('/', '_'): make(p['page'], p['posts']) for p in pages}


if __name__ == '__main__':
    sys.exit(run_tests(tests()))
