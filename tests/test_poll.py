#!/usr/bin/env python3
"""Integration: the real `livewatch poll` against live blogs served on
loopback, asserting on the git history, the alert file and exit codes."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import Sandbox, Skip, check, eq, run_tests, with_sandbox  # noqa: E402

HEADLINE = 'Ukraine war live: talks in Brussels as fighting continues'


def post(hour, minute=0, title=None, text=None, seed=0, **kw):
    published = '2023-02-14T%02d:%02d:00Z' % (hour, minute)
    if text is None:
        text = 'Report filed at %02d:%02d about the day in Ukraine.' % (hour, minute)
    paras = kw.pop('paras', [text])
    return Post(published=published, title=title, paras=paras, seed=seed, **kw)


def base_posts():
    """Six posts, newest first, 13:00 back to 08:00."""
    return [post(13, title='Zelenskiy addresses parliament'),
            post(12, text='Air raid sirens sounded across the east of the country.'),
            post(11, title='EU ministers meet', text='Ministers met in Brussels to discuss aid.'),
            post(10, paras=['Officials gave a briefing.', ('quote', ['We will keep going.'])]),
            post(9, text='Grain exports continued through the Black Sea ports.'),
            post(8, title='Summary', paras=[('list', ['Talks continue.', 'Aid arrives.'])])]


def serve(sb, posts, **kw):
    kw.setdefault('now', None)
    html = render_blog(posts, page_url=sb.url(), headline=HEADLINE, **kw)
    sb.server.set('/live', body=html, auto_etag=kw.pop('etag', False))
    return html


def ids(posts):
    return [p.id for p in posts]


@with_sandbox
def test_baseline_then_new_posts_alert(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    eq(sb.commits(), 2, 'commits after baseline (README + first poll)')
    eq(sb.last_changes(), {('A', i) for i in ids(posts)}, 'baseline files')
    eq(sb.alerts(), [], 'no alerts on the baseline')
    check(os.path.exists(os.path.join(sb.repo, 'live', 'index.md')), 'index.md written')

    fresh = [post(14, 30, title='Fighting around Bakhmut intensifies',
                  text='Heavy shelling was reported near Bakhmut on Tuesday morning.'),
             post(14, text='Norway said it would send more humanitarian aid.')]
    serve(sb, fresh + posts)
    sb.poll()
    eq(sb.commits(), 3)
    eq(sb.last_changes(), {('A', i) for i in ids(fresh)}, 'new posts')
    alerts = sb.alerts()
    eq(len(alerts), 1, 'one alert')
    a = alerts[0]
    eq(a['rule'], 'bakhmut')
    eq(a['blog'], 'live')
    eq(a['entry'], fresh[0].id)
    eq(a['change'], 'new')
    eq(a['urgency'], 'critical')
    eq(a['title'], 'Fighting around Bakhmut intensifies')
    check('Bakhmut' in a['matched'], 'matched term: %r' % a['matched'])
    check('Bakhmut' in a['snippet'], 'snippet: %r' % a['snippet'])
    check(a['url'].endswith('#' + fresh[0].id), 'url %r' % a['url'])
    eq(list(a.keys()), ['id', 'rule', 'blog', 'entry', 'change', 'title', 'url', 'published',
                        'urgency', 'matched', 'snippet', 'fetched'], 'alert keys')
    check(re.fullmatch(r'live/%s/bakhmut/[0-9a-f]{12}' % re.escape(fresh[0].id), a['id']),
          'alert id %r' % a['id'])
    msg = sb.git('log', '-1', '--format=%B')
    check(msg.startswith('live: 2 new\n\n'), 'commit message: %r' % msg)
    check('+ 14:30 Fighting around Bakhmut intensifies\n' in msg, msg)
    check('Livewatch-Blog: live\n' in msg and 'Livewatch-Alerts: bakhmut=1' in msg, msg)
    check('Livewatch-Url: %s' % sb.url() in msg, msg)
    body = sb.entry_file(fresh[0].id)
    check(body.startswith('# Fighting around Bakhmut intensifies\n'), body)
    check('- id: %s\n' % fresh[0].id in body, body)
    check('- published: 2023-02-14T14:30:00Z\n' in body, body)
    # Nothing new: no commit, no alert.
    sb.poll()
    eq(sb.commits(), 3, 'unchanged page makes no commit')
    eq(len(sb.alerts()), 1)
    eq(sb.git('status', '--porcelain'), '', 'working tree in step with HEAD')


@with_sandbox
def test_edit_and_alert_on_becoming_matching(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    edited = posts[2].copy(paras=['Ministers met in Brussels to discuss aid.',
                                  'Germany confirmed it would deliver Leopard tanks.'],
                           updated='2023-02-14T13:30:00Z')
    posts2 = posts[:2] + [edited] + posts[3:]
    serve(sb, posts2)
    sb.poll()
    eq(sb.last_changes(), {('M', edited.id)}, 'edit is M')
    alerts = sb.alerts()
    eq([(a['rule'], a['change'], a['entry']) for a in alerts],
       [('leopard', 'edited', edited.id)], 'alert on becoming matching')
    diff = sb.git('log', '-1', '-p', '--format=%s')
    check('+Germany confirmed it would deliver Leopard tanks.' in diff, diff)
    check('live: 1 edited' in diff, diff)
    # A typo fix in an entry that already matched fires nothing.
    edited2 = edited.copy(paras=['Ministers met in Brussels to discuss military aid.',
                                 'Germany confirmed it would deliver Leopard tanks.'])
    serve(sb, posts[:2] + [edited2] + posts[3:])
    sb.poll()
    eq(sb.last_changes(), {('M', edited.id)})
    eq(len(sb.alerts()), 1, 'no second alert')


@with_sandbox
def test_typo_fix_in_matching_post_no_second_alert(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    typo = post(15, text='Russian forces pressed on towards Bahkmut overnight.')
    serve(sb, [typo] + posts)
    sb.poll()
    eq([a['rule'] for a in sb.alerts()], ['bakhmut'], 'typo matches Bakhmut~')
    fixed = typo.copy(paras=['Russian forces pressed on towards Bakhmut overnight.'])
    serve(sb, [fixed] + posts)
    sb.poll()
    eq(sb.last_changes(), {('M', typo.id)})
    eq(len(sb.alerts()), 1, 'fixing the typo fires nothing')


@with_sandbox
def test_deleted_inside_window_is_removed(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    gone = posts[2]
    serve(sb, posts[:2] + posts[3:])
    sb.poll()
    eq(sb.last_changes(), {('D', gone.id)}, 'deletion is D')
    check(sb.entry_path(gone.id) is None)
    msg = sb.git('log', '-1', '--format=%B')
    check(msg.startswith('live: 1 removed\n'), msg)
    # It comes back: restored, its file re-added.
    serve(sb, posts)
    sb.poll()
    eq(sb.last_changes(), {('A', gone.id)}, 'restored is A')
    check('1 restored' in sb.git('log', '-1', '--format=%s'))


@with_sandbox
def test_paging_out_is_not_removal(sb):
    posts = base_posts()
    serve(sb, posts, page_size=6)
    sb.poll()
    newer = [post(16, text='Post sixteen.'), post(15, text='Post fifteen.'),
             post(14, text='Post fourteen.')]
    serve(sb, newer + posts, page_size=6)
    sb.poll()
    eq(sb.last_changes(), {('A', i) for i in ids(newer)}, 'only the new posts')
    for p in posts[3:]:
        check(sb.entry_path(p.id) is not None,
              'paged-out file stays')
    # Another poll of the same page: nothing.
    before = sb.commits()
    sb.poll()
    eq(sb.commits(), before)


@with_sandbox
def test_pinned_copy_is_not_a_duplicate(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    serve(sb, posts, pinned=posts[4])
    before = sb.commits()
    sb.poll()
    eq(sb.commits(), before, 'pinning a post changes nothing')
    files = sb.entry_ids()
    eq(len(files), len(posts), 'one file per post')


@with_sandbox
def test_relative_times_are_not_edits(sb):
    posts = base_posts()
    serve(sb, posts, now='2023-02-14T13:05:00Z')
    sb.poll()
    before = sb.commits()
    serve(sb, posts, now='2023-02-14T15:47:00Z')
    sb.poll()
    eq(sb.commits(), before, '"5m ago" -> "2h ago" is not an edit')
    # A re-render with other class names and attribute order is not an edit either.
    serve(sb, posts, classes_seed=7)
    sb.poll()
    eq(sb.commits(), before, 're-rendered markup is not an edit')


@with_sandbox
def test_not_modified_costs_no_commit(sb):
    posts = base_posts()
    html = render_blog(posts, page_url=sb.url(), headline=HEADLINE)
    sb.server.set('/live', body=html, etag='"v1"', last_modified='Tue, 14 Feb 2023 13:00:00 GMT')
    sb.poll()
    before = sb.commits()
    sb.server.clear_requests()
    p = sb.livewatch('-v', 'poll', check=0)
    reqs = sb.server.requests('/live')
    eq(len(reqs), 1)
    eq(reqs[0]['headers'].get('if-none-match'), '"v1"', 'conditional GET')
    eq(reqs[0]['status'] if 'status' in reqs[0] else 304, 304)
    check('not modified' in p.stderr, p.stderr)
    eq(sb.commits(), before)


# What a broken fetch may look like, and the one line `poll` says for it
# (URL: the blog's page; {n}: a number).  None of them may commit or alert anything.
FAULTS = [
    ('http-503', dict(status=503, body='<html>down</html>'), "cannot fetch 'URL': HTTP 503"),
    ('http-429', dict(mode='retry-after', status=429, retry_after='60'),
     "cannot fetch 'URL': HTTP 429"),
    ('http-404', dict(status=404, body='not found'), "cannot fetch 'URL': HTTP 404"),
    ('empty-body', dict(body=''), "cannot read 'URL': 'URL': empty page"),
    ('no-entries', dict(body='<html><body><h1>Maintenance</h1></body></html>'),
     "ignoring 'URL': the page has no live blog entries any more (it reads as an ordinary page)"),
    ('truncated', dict(mode='truncate'),
     "cannot fetch 'URL': body cut short: connection closed after {n} bytes"),
    ('closed', dict(mode='close-headers'),
     "cannot fetch 'URL': connection closed in the middle of the headers"),
]


def test_faults_commit_and_alert_nothing():
    for name, route, says in FAULTS:
        sb = Sandbox()
        try:
            posts = base_posts()
            serve(sb, posts)
            sb.poll()
            before = sb.commits()
            if route.get('mode') == 'truncate':
                route = dict(route, body=render_blog(posts[:2], page_url=sb.url(),
                                                     headline=HEADLINE))
            sb.server.set('/live', **route)
            try:
                p = sb.poll(check=1)
            except AssertionError as e:
                raise AssertionError('%s: %s' % (name, e))
            eq(sb.commits(), before, '%s: no commit' % name)
            eq(sb.alerts(), [], '%s: no alert' % name)
            line = '^warning: live: %s\n$' % re.escape(says).replace(
                'URL', re.escape(sb.url())).replace(r'\{n\}', r'\d+')
            check(re.match(line, p.stderr), '%s: want %r, got %r' % (name, line, p.stderr))
            # The next good poll compares against the last good snapshot:
            # one new post, and no false removal.
            fresh = post(17, text='Talks about Bakhmut resumed in the evening.')
            serve(sb, [fresh] + posts)
            sb.poll()
            eq(sb.last_changes(), {('A', fresh.id)}, '%s: recovery' % name)
            eq([a['entry'] for a in sb.alerts()], [fresh.id], '%s: alert after recovery' % name)
        finally:
            sb.close()


@with_sandbox
def test_collapsed_page_is_not_a_mass_removal(sb):
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    before = sb.commits()
    serve(sb, posts[:1] + posts[-1:])
    p = sb.poll(check=1)
    eq(sb.commits(), before, 'no commit for a collapsed page')
    check('collapsed' in p.stderr, p.stderr)


@with_sandbox
def test_first_failure_then_baseline(sb):
    sb.server.set('/live', status=500, body='oops')
    sb.poll(check=1)
    eq(sb.commits(), 1, 'only the README commit')
    serve(sb, base_posts())
    sb.poll()
    eq(sb.alerts(), [], 'first good poll is still the baseline')


def test_real_guardian_page():
    fixtures = os.environ.get('LW_FIXTURES_REAL', '')
    path = os.path.join(fixtures, 'guardian-dcr-liveblog-2023-05-15-russia-ukraine-war.html')
    if not os.path.exists(path):
        raise Skip('real fixtures not available (%s)' % fixtures)
    sb = Sandbox()
    try:
        with open(path, 'rb') as f:
            sb.server.set('/live', body=f.read())
        sb.poll()
        files = sb.entry_ids()
        eq(len(files), 10, 'ten posts on page 1')
        check(all(f.startswith('block-') for f in files), files)
        text = sb.entry_file('block-646219928f08e408b758af95')
        check('- published: 2023-05-15T11:50:54Z' in text, text[:400])
        check('ago' not in text.split('\n\n', 2)[-1][:40], 'no relative time in body')
    finally:
        sb.close()


@with_sandbox
def test_second_process_is_refused_while_locked(sb):
    import fcntl
    serve(sb, base_posts())
    sb.poll()
    lock = os.path.join(sb.repo, '.git', 'livewatch', 'lock')
    with open(lock, 'r+') as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        f.seek(0)
        f.truncate()
        f.write('%d\n' % os.getpid())
        f.flush()
        p = sb.poll(check=1)
        check('in use' in p.stderr and str(os.getpid()) in p.stderr, p.stderr)


@with_sandbox
def test_recovers_after_a_crash(sb):
    # What a SIGKILL mid-poll leaves behind: the busy marker of a write to
    # git, a stale index.lock and an alert in the outbox that no sink
    # received yet.
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    git_dir = os.path.join(sb.repo, '.git')
    open(os.path.join(git_dir, 'index.lock'), 'w').close()
    with open(os.path.join(git_dir, 'livewatch', 'busy'), 'w') as f:
        f.write('99999\n')
    pending = {'rule': 'bakhmut', 'blog': 'live', 'entry': posts[0].id, 'change': 'new',
               'title': 'Left over', 'url': sb.url() + '#x', 'published': '', 'urgency': 'normal',
               'matched': ['Bakhmut'], 'snippet': 'near «Bakhmut»', 'fetched': '2023-02-14T13:00:00Z'}
    import json
    with open(os.path.join(git_dir, 'livewatch', 'outbox.jsonl'), 'w') as f:
        f.write(json.dumps(pending, ensure_ascii=False) + '\n')
        f.write('{"rule": "torn li')          # a line torn by the crash
    fresh = post(14, text='Aid convoy reached Kharkiv.')
    serve(sb, [fresh] + posts)
    p = sb.poll()
    eq([a['title'] for a in sb.alerts()], ['Left over'], 'outbox delivered after the crash')
    eq(sb.last_changes(), {('A', fresh.id)}, 'the poll after the crash records')
    check(not os.path.exists(os.path.join(git_dir, 'index.lock')), 'stale lock removed')
    check('outbox' in p.stderr, 'the torn line is reported: ' + p.stderr)
    sb.poll()
    eq(len(sb.alerts()), 1, 'the outbox is empty afterwards')


def test_a_poll_of_many_blogs_reaches_the_disk_at_once():
    # One pack and one move of the branch for every blog that changed,
    # one commit each as always (test_disk.py: a batch that cannot be
    # written).
    names = ('a', 'b', 'c')
    sb = Sandbox(blogs={n: '/' + n for n in names})
    try:
        pages = {n: base_posts() for n in names}

        def serve_all():
            for n in names:
                html = render_blog(pages[n], page_url=sb.url('/' + n), headline=HEADLINE + ' ' + n)
                sb.server.set('/' + n, body=html, auto_etag=True)

        def packs():
            d = os.path.join(sb.repo, '.git', 'objects', 'pack')
            return sorted(f for f in os.listdir(d) if f.endswith('.pack'))

        def reflog():
            return sb.git('reflog', 'show', '--format=%H', 'HEAD').split()

        serve_all()
        sb.poll()
        eq(sb.commits(), 1 + len(names), 'README and a baseline a blog')
        before, log_before = packs(), reflog()
        for i, n in enumerate(names):
            pages[n].insert(0, post(14, i, text='Shelling near Bakhmut, report %s.' % n if n == 'b'
                                    else 'Aid reached the city, report %s.' % n))
        serve_all()
        sb.poll()
        eq(sb.commits(), 1 + 2 * len(names), 'a commit a blog')
        eq(len(packs()), len(before) + 1, 'one pack for the poll: %r' % packs())
        eq(len(reflog()), len(log_before) + 1, 'one move of the branch')
        eq([a['blog'] for a in sb.alerts()], ['b'], 'the alert of the poll')
        for n in names:
            files = sb.git('ls-tree', '-r', '--name-only', 'HEAD', n + '/entries')
            check(pages[n][0].id + '.md' in files, 'the new post of %s at HEAD' % n)
            check(os.path.exists(sb.entry_path(pages[n][0].id, n)), 'and in the working tree')
        eq(sb.git('status', '--porcelain'), '', 'working tree and index follow HEAD')
        # states saved: the next poll sends the ETags and gets 304s
        p = sb.poll()
        eq(p.stdout.count('not modified'), len(names), 'not modified:\n' + p.stdout)

        sb.git('fsck', '--full', '--strict')
    finally:
        sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
