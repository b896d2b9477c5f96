#!/usr/bin/env python3
"""Recall and precision of `livewatch extract` (format auto, no profile)
on every page of tests/data/extract/expected-posts.json: the posts a
reader sees on each page, written down by reading it (an id where the
page gives one, else a phrase of the post; an ordinary article is one
entry, whatever its id).  Pages under pages/ are gzipped real pages
(tests/data/pages/SOURCES.md).

An entry matches an expected post when it has the post's id, or when the
phrase is in its title or body (whitespace collapsed); each entry and each
post match at most once.  recall = matched posts / expected posts,
precision = matched entries / entries; both must be at least 0.95 on
every page.  Pages under real/ come from ../shared/fixtures/real/ and are
skipped, saying so, when that folder is absent.  Prints one line per
page: `PAGE: N entries, M expected, recall R, precision P`."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwtest import LW_BIN, SRCDIR, Sandbox, Skip, check, eq, run_tests  # noqa: E402

DATA = os.path.join(SRCDIR, 'tests', 'data', 'extract')
REAL = os.environ.get('LW_FIXTURES_REAL',
                      os.path.join(SRCDIR, '..', 'shared', 'fixtures', 'real'))
GOAL = 0.95


PAGES = os.path.join(SRCDIR, 'tests', 'data', 'pages')


def path_of(page):
    where, name = page.split('/', 1)
    return os.path.join({'real': REAL, 'pages': PAGES}.get(where, DATA), name)


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
            if post.get('article'):
                hit = i
            elif 'id' in post and e['id'] == post['id']:
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
        tmp = None
        if path.endswith('.gz'):
            tmp = tempfile.mkdtemp(prefix='lw-recall-')
            plain = os.path.join(tmp, os.path.basename(path)[:-3])
            with gzip.open(path, 'rb') as src, open(plain, 'wb') as dst:
                shutil.copyfileobj(src, dst)
            path = plain
        try:
            r = subprocess.run([LW_BIN, 'extract', '--json', path], capture_output=True,
                               timeout=60)
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
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


def entry_fields(text):
    """id, published, title (the heading) and body of an entry file."""
    head, _, body = text.partition('\n\n- id: ')
    meta, _, rest = body.partition('\n\n')
    fields = {'heading': head.lstrip('# ').strip(), 'body': rest.strip()}
    for line in ('- id: ' + meta).splitlines():
        key, _, value = line[2:].partition(': ')
        fields[key] = value
    return fields


def make_profile_test(name):
    """`extract --profile` pasted into the blog's section, then `poll`:
    the recorded entries are the ones auto extraction finds."""
    def test():
        with open(os.path.join(DATA, name), 'rb') as f:
            page = f.read()
        box = Sandbox(sinks=False)
        try:
            box.server.set('/live', body=page, headers={'Content-Type': 'text/html; charset=utf-8'})
            auto = box.livewatch('extract', '--json', box.url(), check=0).stdout
            want = [json.loads(line) for line in auto.splitlines()]
            prof = box.livewatch('extract', '--profile', box.url(), check=0).stdout
            check('format  = xpath' in prof, '%s: no xpath profile:\n%s' % (name, prof))
            with open(box.config, 'a') as f:
                f.write(prof)
            box.livewatch('check', check=0)
            box.poll()
            eq(box.entry_ids(), sorted(e['id'] for e in want), '%s: recorded ids' % name)
            for e in want:
                got = entry_fields(box.entry_file(e['id']))
                eq(got.get('published', ''), e['published'], '%s %s: published' % (name, e['id']))
                if e['title']:
                    eq(got['heading'], e['title'], '%s %s: title' % (name, e['id']))
                eq(got['body'].split(), e['body'].split(), '%s %s: body' % (name, e['id']))
        finally:
            box.close()
    return test


def tests():
    with open(os.path.join(DATA, 'expected-posts.json'), encoding='utf-8') as f:
        pages = json.load(f)['pages']
    t = {'test_' + p['page'].replace('/', '_'): make(p['page'], p['posts']) for p in pages}
    for name in ('generic-sports-microdata.html', 'generic-amp-live-list.html'):
        t['test_profile_' + name] = make_profile_test(name)
    return t


if __name__ == '__main__':
    sys.exit(run_tests(tests()))
