#!/usr/bin/env python3
"""Integration: `[livewatch] publish = DIR`.  After each `livewatch poll`
that commits, DIR/index.html is the report of every blog and
DIR/changes.atom an Atom feed of the changes, both replaced atomically.
The feed is parsed with xml.etree and checked against what RFC 4287
requires of a feed and its entries (ids, titles, updated times, links,
content), and its entries against `livewatch log --json`; the daemon
publishes too."""

import datetime
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import check, eq, run_tests, wait_until, with_sandbox  # noqa: E402

A = '{http://www.w3.org/2005/Atom}'
UTC = {'TZ': 'UTC', 'NO_COLOR': None}
RULES = '[bakhmut]\nquery = Bakhmut\non = match, removal\n'


def post(hour, text, title=None, **kw):
    return Post(published='2023-02-14T%02d:00:00Z' % hour, title=title, paras=[text], **kw)


def serve(sb, posts):
    sb.server.set('/live', body=render_blog(posts, page_url=sb.url('/live'), headline='Live',
                                            now=None))


def rfc3339(text, what):
    check(re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)', text or ''),
          '%s: not an RFC 3339 date: %r' % (what, text))
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def validate_atom(path):
    """The feed parsed, with what RFC 4287 section 4 requires checked;
    returns its entries as dicts."""
    root = ET.parse(path).getroot()
    eq(root.tag, A + 'feed', 'root element')
    for req in ('id', 'title', 'updated'):
        eq(len(root.findall(A + req)), 1, 'feed has one atom:' + req)
    rfc3339(root.findtext(A + 'updated'), 'feed updated')
    check(root.find(A + 'author') is not None and root.find(A + 'author').findtext(A + 'name'),
          'a feed whose entries have no author has one itself')
    check(any(l.get('rel') == 'self' for l in root.findall(A + 'link')), 'a self link')
    entries = []
    ids = set()
    for e in root.findall(A + 'entry'):
        for req in ('id', 'title', 'updated'):
            eq(len(e.findall(A + req)), 1, 'entry has one atom:' + req)
        eid = e.findtext(A + 'id')
        check(re.match(r'^[a-z][a-z0-9+.-]*:', eid), 'entry id is an IRI: %r' % eid)
        check(eid not in ids, 'entry ids are unique: ' + eid)
        ids.add(eid)
        links = e.findall(A + 'link')
        check(all(l.get('href') for l in links), 'links have href')
        alt = [l for l in links if l.get('rel', 'alternate') == 'alternate']
        check(len(alt) <= 1, 'at most one alternate link of a type')
        content = e.find(A + 'content')
        check(content is not None or alt, 'an entry without content has an alternate link')
        eq(content.get('type'), 'html')
        entries.append({'id': eid, 'title': e.findtext(A + 'title'),
                        'updated': rfc3339(e.findtext(A + 'updated'), eid),
                        'terms': [c.get('term') for c in e.findall(A + 'category')],
                        'html': content.text or '', 'related': [l.get('href') for l in links
                                                               if l.get('rel') == 'related']})
    return entries


@with_sandbox(rules=RULES, extra_main='publish = site', env=UTC)
def test_publish_after_each_commit(sb):
    site = os.path.join(sb.dir, 'site')
    posts = [post(13, 'Talks in Brussels.'), post(12, 'Sirens in the east.'),
             post(11, 'Fighting near Bakhmut.', title='Bakhmut'), post(10, 'Grain exports.')]
    serve(sb, posts)
    sb.poll()
    check(os.path.exists(os.path.join(site, 'index.html')), 'index.html after the first commit')
    first = validate_atom(os.path.join(site, 'changes.atom'))
    eq(len(first), 4, 'the baseline: four new posts')
    edited = posts[1].copy(paras=['Sirens in the east & <west>.'])
    serve(sb, [post(14, 'More from Bakhmut.')] + [posts[0], edited, posts[2]])
    sb.poll()
    entries = validate_atom(os.path.join(site, 'changes.atom'))
    eq(len(entries), 6)
    newest = entries[:2]
    eq(sorted(e['terms'][0] for e in newest), ['edited', 'new'], 'newest changes first')
    ed = [e for e in newest if 'edited' in e['terms']][0]
    check('stealth' in ed['terms'] and '(stealth)' in ed['title'], ed)
    check('<ins>' in ed['html'] and '&amp; &lt;west&gt;' in ed['html'], 'the diff: ' + ed['html'])
    nw = [e for e in newest if 'new' in e['terms']][0]
    check('alert' in nw['terms'] and 'bakhmut' in nw['html'], 'the alert: ' + nw['html'])
    check(nw['updated'] >= entries[-1]['updated'], 'times descend')
    # every entry points into the report, where its anchor is
    with open(os.path.join(site, 'index.html')) as f:
        page = f.read()
    for e in entries:
        eq(len(e['related']), 1)
        anchor = e['related'][0].split('#', 1)[1]
        check('id="%s"' % anchor in page, 'anchor %s in index.html' % anchor)
    # the feed agrees with log --json
    p = sb.livewatch('log', '--json', check=0)
    log = [json.loads(line) for line in p.stdout.splitlines()]
    eq(len(entries), sum(len(o[k]) for o in log for k in ('new', 'restored', 'edited', 'removed')))
    # a removal carries the last text
    serve(sb, [post(14, 'More from Bakhmut.'), posts[0], edited, posts[3]])
    sb.poll()
    rm = validate_atom(os.path.join(site, 'changes.atom'))[0]
    eq(rm['terms'][:1], ['removed'])
    check('Fighting near Bakhmut.' in rm['html'] and 'alert' in rm['terms'], rm)
    check(not [f for f in os.listdir(site) if f not in ('index.html', 'changes.atom')],
          'no temporary file left: %r' % os.listdir(site))


@with_sandbox(extra_main='publish = site', env=UTC)
def test_publish_failure_does_not_stop_recording(sb):
    with open(os.path.join(sb.dir, 'site'), 'w') as f:
        f.write('a file where the folder should be')
    serve(sb, [post(13, 'Talks.'), post(12, 'Sirens.')])
    p = sb.poll()
    check("cannot publish to '%s'" % os.path.join(sb.dir, 'site') in p.stderr, p.stderr)
    eq(sb.commits() >= 2, True, 'the poll was recorded all the same')


@with_sandbox(extra_main='publish = site\ninterval = 1', env=UTC)
def test_daemon_publishes(sb):
    serve(sb, [post(13, 'Talks.'), post(12, 'Sirens.')])
    sb.start_daemon()
    atom = os.path.join(sb.dir, 'site', 'changes.atom')
    wait_until(lambda: os.path.exists(atom), timeout=30)
    eq(len(validate_atom(atom)), 2)
    serve(sb, [post(14, 'News.'), post(13, 'Talks.'), post(12, 'Sirens.')])
    got = wait_until(lambda: os.path.exists(atom) and len(validate_atom(atom)), lambda n: n == 3,
                     timeout=30)
    eq(got, 3, 'the daemon published the second commit')


if __name__ == '__main__':
    run_tests(globals())
