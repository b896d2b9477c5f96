#!/usr/bin/env python3
"""Integration: what erodes trust (issue 10): a page cut off in transfer is
never recorded nor alerted, ..."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import LW_BIN, check, eq, run_tests, wait_for, with_sandbox  # noqa: E402


def post(hour, text, title=None):
    return Post(published='2023-02-14T%02d:00:00Z' % hour, title=title, paras=[text],
                seed=hour)


@with_sandbox
def test_a_page_cut_off_in_transfer_is_unhealthy(sb):
    # the oldest post, last on the page, mentions Bakhmut in its last words:
    # cut short, it would read as an edit, and the full page as an edit
    # that adds Bakhmut (an alert)
    posts = [post(12, 'Air raid sirens sounded across the east.'),
             post(11, 'Ministers met in Brussels to discuss aid.', title='EU ministers'),
             post(10, 'Officials gave a briefing on the front line and said the '
                      'fighting was heaviest near Bakhmut.')]
    html = render_blog(posts, page_url=sb.url(), headline='Live').encode()
    sb.server.set('/live', body=html)
    sb.poll()
    commits = sb.commits()
    eq(sb.alerts(), [], 'baseline')
    first = html.index(b'Air raid')
    end = html.rindex(b'</body>')
    offsets = sorted({first + (end - first) * k // 12 for k in range(12)} |
                     {html.index(b'near Bakhmut'), end - 1})
    for framing in ('close', 'chunked'):
        for at in offsets:
            sb.server.set('/live', body=html, mode='cut', at=at, framing=framing, chunk=777)
            p = sb.livewatch('poll')
            eq(p.returncode, 1, '%s cut at %d of %d: %s' % (framing, at, len(html), p.stderr))
            check('cut off' in p.stderr, p.stderr)
            eq(sb.commits(), commits, '%s cut at %d: nothing recorded' % (framing, at))
    # chunked and never finished: the transfer itself failed
    sb.server.set('/live', body=html, mode='cut', at=end - 1, framing='chunked',
                  terminate=False)
    eq(sb.livewatch('poll').returncode, 1)
    # the whole page again, chunked: nothing changed, nothing fires
    sb.server.set('/live', body=html, mode='cut', framing='chunked')
    sb.poll()
    eq(sb.commits(), commits, 'the whole page is the same page')
    eq(sb.alerts(), [], 'no alert from a cut page')


@with_sandbox
def test_the_file_sink_keeps_what_it_cannot_write(sb):
    posts = [post(10, 'Officials gave a briefing.')]
    sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))
    sb.poll()
    # the alerts file cannot be opened (a folder stands in its way)
    os.mkdir(sb.alerts_path)
    fresh = post(11, 'Shelling was reported near Bakhmut overnight.')
    sb.server.set('/live', body=render_blog([fresh] + posts, page_url=sb.url(),
                                            headline='Live'))
    p = sb.livewatch('poll')
    check("sink 'file': cannot" in p.stderr, p.stderr)
    os.rmdir(sb.alerts_path)
    # the next poll, with nothing new, delivers the alert kept
    sb.poll()
    eq([(a['rule'], a['entry']) for a in sb.alerts()], [('bakhmut', fresh.id)])
    sb.poll()
    eq(len(sb.alerts()), 1, 'delivered once')

    # a path no folder can take is a config error check reports
    with open(sb.config) as f:
        text = f.read()
    blocker = os.path.join(sb.dir, 'a-file')
    open(blocker, 'w').close()
    missing = os.path.join(blocker, 'sub', 'alerts.jsonl')
    with open(sb.config, 'w') as f:
        f.write(text.replace(sb.alerts_path, missing))
    line = text[:text.index(sb.alerts_path)].count('\n') + 1
    p = sb.livewatch('check')
    eq(p.returncode, 2, p.stderr)
    check("%s:%d: sink 'file': cannot write '%s': '%s' is not a folder"
          % (sb.config, line, missing, blocker) in p.stderr, p.stderr)
    # folders not there yet are made by the first alert
    later = os.path.join(sb.dir, 'new', 'folder', 'alerts.jsonl')
    with open(sb.config, 'w') as f:
        f.write(text.replace(sb.alerts_path, later))
    sb.livewatch('check', check=0)
    fresh2 = post(12, 'More shelling near Bakhmut.')
    sb.server.set('/live', body=render_blog([fresh2, fresh] + posts, page_url=sb.url(),
                                            headline='Live'))
    sb.poll()
    with open(later) as f:
        eq(len(f.read().splitlines()), 1)


@with_sandbox
def test_a_new_url_is_a_new_baseline(sb):
    old = [post(9, 'Officials gave a briefing.'), post(8, 'Talks went on.')]
    sb.server.set('/live', body=render_blog(old, page_url=sb.url(), headline='Live'))
    sb.poll()
    # the blog moves to another page, where posts already name Bakhmut
    other = [post(h, 'Fighting near Bakhmut and Leopard tanks, report %d.' % h)
             for h in (14, 13, 12, 11, 10)]
    sb.server.set('/other', body=render_blog(other, page_url=sb.url('/other'),
                                             headline='Live, day 2'))
    with open(sb.config) as f:
        text = f.read()
    with open(sb.config, 'w') as f:
        f.write(text.replace(sb.url('/live'), sb.url('/other')))
    p = sb.livewatch('poll', check=0)
    eq(sb.alerts(), [], 'no alert flood: ' + p.stderr)
    eq(p.stderr.count('url changed from'), 1, p.stderr)
    check("url changed from '%s' to '%s'" % (sb.url('/live'), sb.url('/other')) in p.stderr,
          p.stderr)
    eq(sb.last_changes(), {('A', x.id) for x in other}, 'recorded, nothing removed')
    p = sb.livewatch('poll', check=0)
    check('url changed' not in p.stderr, 'said once: ' + p.stderr)
    # and then it is an ordinary blog again
    fresh = post(15, 'Shelling near Bakhmut overnight.')
    sb.server.set('/other', body=render_blog([fresh] + other, page_url=sb.url('/other'),
                                             headline='Live, day 2'))
    sb.poll()
    eq([(a['rule'], a['entry']) for a in sb.alerts()], [('bakhmut', fresh.id)])


@with_sandbox
def test_poll_follows_the_series(sb):
    srv = sb.server
    day = {d: '/world/live/2023/feb/%d/russia-ukraine-war-day-%d' % (d, d) for d in (13, 14)}
    for d, path in day.items():
        srv.set(path, body=render_blog([Post(published='2023-02-%dT1%d:00:00Z' % (d, i),
                                             paras=['Day %d, post %d.' % (d, i)],
                                             seed=d * 10 + i) for i in (2, 1)],
                                       page_url=srv.url(path), headline='Day %d' % d))

    def series(days):
        links = ''.join('<li><a href="%s">day %d</a></li>' % (day[x], x)
                        for x in sorted(days, reverse=True))
        srv.set('/series', body='<html><body><ul>%s</ul></body></html>' % links)

    with open(sb.config) as f:
        text = f.read()
    with open(sb.config, 'w') as f:
        f.write(text.replace('url = %s\n' % sb.url('/live'),
                             'url = %s\nfollow = %s\n' % (srv.url(day[13]), srv.url('/series'))))
    series([13])
    p = sb.poll()
    check('now following' not in p.stderr, p.stderr)
    series([13, 14])
    p = sb.poll()
    eq(p.stderr.count("live: now following '%s' (was '%s')"
                      % (srv.url(day[14]), srv.url(day[13]))), 1, p.stderr)
    msg = sb.git('log', '-1', '--format=%B')
    check('Livewatch-Url: %s\n' % srv.url(day[14]) in msg, msg)
    eq({s for s, _ in sb.last_changes()}, {'A'}, 'the switch only adds')
    # the page followed is kept: the next poll stays on it without a word
    p = sb.poll()
    check('now following' not in p.stderr, p.stderr)
    eq(len(srv.requests(day[14])), 2)
    # a series that cannot be read: a warning, and the page followed
    srv.set('/series', status=500, body='down')
    p = sb.poll()
    check("warning: live: cannot follow the series" in p.stderr and
          "staying on '%s'" % srv.url(day[14]) in p.stderr, p.stderr)
    eq(len(srv.requests(day[14])), 3)


@with_sandbox
def test_status_says_how_each_blog_is_doing(sb):
    import json
    p = sb.livewatch('status', check=0)
    check('live: never polled' in p.stdout and 'livewatch: not running' in p.stdout, p.stdout)
    posts = [post(10, 'Officials gave a briefing.')]
    sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))
    sb.poll()
    p = sb.livewatch('status', '--json', check=0)
    st = json.loads(p.stdout)
    eq(st['running'], None)
    b = st['blogs'][0]
    eq((b['blog'], b['url'], b['failures'], b['last_error'], b['over']),
       ('live', sb.url(), 0, '', False))
    check(b['last_poll'] and b['last_poll'] == b['last_success'] == b['last_change'], b)
    check(b['next_poll'] > b['last_poll'], b)
    # a failing blog, and an alert kept for a retry
    os.mkdir(sb.alerts_path)
    fresh = post(11, 'Shelling near Bakhmut overnight.')
    sb.server.set('/live', body=render_blog([fresh] + posts, page_url=sb.url(),
                                            headline='Live'))
    sb.livewatch('poll')
    sb.server.set('/live', status=503, body='busy')
    sb.livewatch('poll', check=1)
    p = sb.livewatch('status', check=0)
    check('live: failing' in p.stdout, p.stdout)
    check('failures      1 in a row: cannot fetch' in p.stdout, p.stdout)
    check("sink 'file': 1 alert waiting for a retry" in p.stdout, p.stdout)
    st = json.loads(sb.livewatch('status', '--json', check=0).stdout)
    eq(st['retry'], {'file': 1})
    eq(st['blogs'][0]['failures'], 1)
    # a running daemon answers too, and is named
    d = sb.start_daemon()
    d.wait_note(lambda n: n == 'READY=1')
    st = json.loads(sb.livewatch('status', '--json', check=0).stdout)
    eq(st['running'], d.proc.pid)
    d.stop()


@with_sandbox
def test_test_alert_goes_through_each_sink_and_says_what_it_answered(sb):
    import json
    srv = sb.server
    srv.set('/hook', body='ok')
    srv.set('/down', status=500, body='broken')
    with open(sb.config, 'a') as f:
        f.write('\n[sink "hook"]\ntype = webhook\nurl = %s\n\n'
                '[sink "down"]\ntype = webhook\nurl = %s\n' % (srv.url('/hook'), srv.url('/down')))
    p = sb.livewatch('test-alert')
    eq(p.returncode, 1, p.stderr)
    lines = p.stdout.splitlines()
    eq(len(lines), 3, p.stdout)
    check(re.match(r"^sink 'file' \(file\): delivered livewatch/test-alert/livewatch-test/", lines[0]),
          lines[0])
    check(lines[1].startswith("sink 'hook' (webhook): delivered"), lines[1])
    check(lines[2].startswith("sink 'down' (webhook): failed: ") and 'HTTP 500' in lines[2],
          lines[2])
    a = sb.alerts()
    eq([(x['rule'], x['blog']) for x in a], [('livewatch-test', 'livewatch')])
    check('test alert' in a[0]['title'], a[0])
    hook = json.loads(srv.requests('/hook')[0]['body'])
    eq(hook['rule'], 'livewatch-test')
    # one sink; a second test is not taken for a duplicate
    p = sb.livewatch('test-alert', 'file', check=0)
    eq(len(p.stdout.splitlines()), 1, p.stdout)
    eq(len(sb.alerts()), 2)
    eq(len(srv.requests('/hook')), 1, 'only the sink named')
    p = sb.livewatch('test-alert', 'fiel', check=2)
    check("no sink 'fiel'" in p.stderr and 'sinks: file, hook, down' in p.stderr, p.stderr)
    eq(sb.commits(), 0, 'nothing recorded')


@with_sandbox(blogs={'live': '/live', 'story': '/story', 'gone': '/gone'})
def test_check_online_and_poll_summary(sb):
    import json
    srv = sb.server
    posts = [post(12, 'Fighting near Bakhmut went on.', title='Bakhmut'),
             post(11, 'Leopard tanks arrived.'), post(10, 'Talks in Brussels.')]
    srv.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))
    srv.set('/story', body='<html><head><title>A story</title></head><body><article><h1>A story'
                           '</h1><p>One long paragraph of an ordinary article about the '
                           'weather, with nothing live in it at all, not one post.</p>'
                           '</article></body></html>')
    srv.set('/gone', status=404, body='no')
    p = sb.livewatch('check', '--online')
    eq(p.returncode, 1, p.stderr)
    out = p.stdout
    check(re.search(r'^live: format guardian, 3 posts, newest 2023-02-14T12:00:00Z "Bakhmut"$',
                    out, re.M), out)
    check('  rules matching now: bakhmut (1 post), leopard (1 post)\n' in out, out)
    check(re.search(r'^story: format article, 1 post', out, re.M), out)
    check('warning: the page reads as an article' in out, out)
    check("gone: cannot fetch '%s': HTTP 404" % srv.url('/gone') in out, out)
    eq(sb.commits(), 0, 'nothing recorded')

    p = sb.livewatch('poll', 'live', 'story')
    eq(p.stdout.splitlines()[0][:len('live: changed: 3 new')], 'live: changed: 3 new', p.stdout)
    check(re.match(r'^live: changed: 3 new, 0 edited, 0 removed, 0 restored, 0 alerts, '
                   r'baseline \(commit [0-9a-f]{12}\)$', p.stdout.splitlines()[0]), p.stdout)
    eq(len(p.stdout.splitlines()), 2, p.stdout)
    fresh = post(13, 'Shelling near Bakhmut overnight.')
    srv.set('/live', body=render_blog([fresh] + posts, page_url=sb.url(), headline='Live'))
    p = sb.livewatch('poll', '--json', check=1)
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    eq([r['blog'] for r in rows], ['live', 'story', 'gone'])
    eq((rows[0]['outcome'], rows[0]['new'], rows[0]['alerts'], rows[0]['posts']),
       ('changed', 1, 1, 4))
    eq(rows[1]['outcome'], 'unchanged')
    eq(rows[2]['outcome'], 'failed')
    check('HTTP 404' in rows[2]['error'], rows[2])


@with_sandbox
def test_match_tries_titles_and_warns_about_lowercase_operators(sb):
    posts = [post(10, 'Shelling went on overnight.', title='Bakhmut under fire')]
    sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))
    sb.poll()
    entry = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(sb.repo, 'live', 'entries'))
             for f in fs][0]
    p = sb.livewatch('match', 'title:Bakhmut', entry, check=0)
    eq(p.stdout, '%s: match [Bakhmut] title: \u00abBakhmut\u00bb under fire\n' % entry)
    p = sb.livewatch('match', 'body:Bakhmut', entry, check=1)
    check('no match' in p.stdout, p.stdout)
    p = subprocess.run([LW_BIN, 'match', '--title', 'Leopard tanks arrive', 'title:tank'],
                       input='Germany sent more.', stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 0, p.stderr)
    check('-: match [tanks] title:' in p.stdout, p.stdout)
    p = subprocess.run([LW_BIN, 'match', 'Bakhmut or Soledar'], input='Soledar fell.',
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 1, 'or is a word: nothing matched')
    eq(p.stderr, "warning: 'or' is searched as a word; write OR to mean either side\n")
    rules = os.path.join(sb.dir, 'test.rules')
    with open(rules, 'a') as f:
        f.write('\n[soledar]\nquery = Soledar and "the or" near/3 Bakhmut\n')
    p = sb.livewatch('check', check=0)
    check("%s:8: rule 'soledar': 'and' is searched as a word; write AND" % rules in p.stderr,
          p.stderr)
    check("'near/3' is searched as words; write NEAR/3" in p.stderr, p.stderr)
    check("'or'" not in p.stderr, 'a quoted or is text: ' + p.stderr)


@with_sandbox(sinks=False)
def test_check_warns_of_a_desktop_without_notification_server(sb):
    sb.env['XDG_RUNTIME_DIR'] = sb.dir     # no bus socket there
    p = sb.livewatch('check', check=0)
    eq(p.stderr, "warning: sink 'desktop': no notification server (no session bus: "
                 "DBUS_SESSION_BUS_ADDRESS is not set): its alerts will only be logged\n")
    check('ok: 1 blog' in p.stdout, p.stdout)


def run_piped(sb, journal=None, env=None, until='watching 1 blog'):
    """`livewatch run` with stderr a pipe, from its start to its stop
    (SIGTERM once a line matches until): its lines.  journal: 'same' sets JOURNAL_STREAM to the pipe's device
    and inode (stderr is the journal, as systemd sets it), 'other' to
    another file's (a variable inherited by a process whose stderr is
    not the journal)."""
    r, w = os.pipe()
    e = dict(sb.env)
    e.update(env or {})
    if journal:
        st = os.fstat(w) if journal == 'same' else os.stat(sb.config)
        e['JOURNAL_STREAM'] = '%d:%d' % (st.st_dev, st.st_ino)
    p = subprocess.Popen([LW_BIN, '-c', sb.config, 'run'], env=e, stdout=subprocess.DEVNULL,
                         stderr=w)
    os.close(w)
    lines = []

    def read():
        with os.fdopen(r) as f:
            for line in f:
                lines.append(line.rstrip('\n'))
    reader = threading.Thread(target=read)
    reader.start()
    try:
        wait_for(lambda: [x for x in lines if re.search(until, x)], until, timeout=30)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        reader.join(timeout=20)
    return lines


STAMP = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ')


@with_sandbox
def test_run_log_lines_carry_the_time_unless_stderr_is_the_journal(sb):
    posts = [post(10, 'Officials gave a briefing.')]
    sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))
    # a pipe (a script, a pager, `2>file`): every line says when
    lines = run_piped(sb, until='live: 1 new')
    check(any(re.match(STAMP.pattern + r'watching 1 blog', x) for x in lines), lines)
    check(any(re.match(STAMP.pattern + r'live: 1 new', x) for x in lines), lines)
    check(lines and all(STAMP.match(x) for x in lines), lines)
    # stderr is the journal: it stamps lines itself; priorities instead
    lines = run_piped(sb, journal='same')
    check(lines and all(re.match(r'<[3-7]>', x) and not STAMP.search(x[3:]) for x in lines),
          lines)
    check('<5>stopped' in lines, lines)
    # JOURNAL_STREAM names another file: not the journal
    lines = run_piped(sb, journal='other')
    check(lines and all(STAMP.match(x) for x in lines), lines)
    check(not any(x.startswith('<') for x in lines), lines)
    # LIVEWATCH_LOG_TIME=0 turns it off
    lines = run_piped(sb, env={'LIVEWATCH_LOG_TIME': '0'})
    check(lines and not any(STAMP.match(x) for x in lines), lines)
    check('stopped' in lines, lines)
    # the daemon helper sees the same: a log file is not the journal
    d = sb.start_daemon()
    d.wait_note(lambda n: n == 'READY=1')
    d.stop()
    check(re.search(STAMP.pattern + 'stopped$', d.raw_log(), re.M), d.raw_log())
    d = sb.start_daemon(journal=True)
    d.wait_note(lambda n: n == 'READY=1')
    d.stop()
    check(re.search(r'^<5>stopped$', d.raw_log(), re.M), d.raw_log())


BROKEN_CONFIG = """[livewatch]
repo = history
rules = test.rules
interval = soon
[blog "live"
url = {url}
[blog "other"]
format guardian
speed = 3
[weird]
"""

BROKEN_RULES = """[bakhmut]
query = Bakhmut
colour = red
[tanks
query = Leopard
[leopard]
query Leopard
on = deletion
"""


@with_sandbox
def test_check_says_every_syntax_error_of_config_and_rules(sb):
    good = open(sb.config).read()
    cfg = sb.config
    with open(cfg, 'w') as f:
        f.write(BROKEN_CONFIG.format(url=sb.url()))
    want = [
        "error: %s:5: section header without closing ']'" % cfg,
        "error: %s:8: expected 'key = value' or '[section]'" % cfg,
        "error: %s:10: unknown section '[weird]' (expected [livewatch], [blog \"NAME\"], "
        "[sink \"NAME\"] or [host \"NAME\"])" % cfg,
        "error: %s:4: 'interval' must be a number of seconds >= 1 (like 90, 5m, 1h), "
        "not 'soon'" % cfg,
    ]
    for cmd in ('check', 'poll'):
        p = sb.livewatch(cmd, check=2)
        lines = p.stderr.splitlines()
        eq(lines[:4], want, cmd)
        eq(len(lines), 5, p.stderr)
        check(lines[4].startswith("error: %s:9: unknown key 'speed' in [blog \"other\"]" % cfg),
              p.stderr)
    eq(sb.commits(), 0, 'nothing recorded')

    rules = os.path.join(sb.dir, 'test.rules')
    with open(cfg, 'w') as f:
        f.write(good)
    with open(rules, 'w') as f:
        f.write(BROKEN_RULES)
    p = sb.livewatch('check', check=2)
    eq(p.stderr.splitlines(), [
        "error: %s:4: section header without closing ']'" % rules,
        "error: %s:7: expected 'key = value' or '[section]'" % rules,
        "error: %s:3: unknown key 'colour' in rule 'bakhmut'" % rules,
        "error: %s:8: rule 'leopard': unknown 'on' value 'deletion' (match, edit, stealth, "
        "removal)" % rules], p.stderr)

    # a reload says them all too, and keeps the old configuration
    with open(rules, 'w') as f:
        f.write('[bakhmut]\nquery = Bakhmut\n')
    d = sb.start_daemon()
    d.wait_note(lambda n: n == 'READY=1')
    with open(rules, 'w') as f:
        f.write(BROKEN_RULES)
    d.kill(signal.SIGHUP)
    d.wait_log(r"^error: %s:8: rule 'leopard'" % re.escape(rules))
    log = d.log()
    check(re.search(r"^error: reload failed, keeping the old configuration: %s:4: section "
                    r"header without closing '\]'$" % re.escape(rules), log, re.M), log)
    check(re.search(r"^error: %s:7: expected 'key = value'" % re.escape(rules), log, re.M), log)
    check(re.search(r"^error: %s:3: unknown key 'colour'" % re.escape(rules), log, re.M), log)
    d.stop()


REAL = os.environ.get('LW_FIXTURES_REAL', os.path.join(os.path.dirname(__file__), '..', '..',
                                                        'shared', 'fixtures', 'real'))
GUARDIAN = os.path.join(REAL, 'guardian-dcr-liveblog-2023-05-15-russia-ukraine-war.html')
# its newest post, the first <article> of the blog
NEWEST = '<article id="block-646219928f08e408b758af95" class="block dcr-1r02hz5">'


def closing_post(hour, next_url):
    return Post(published='2023-02-14T%02d:00:00Z' % hour, title=None,
                paras=['This blog is now closed. You can find our latest coverage '
                       '[here](%s).' % next_url], seed=hour)


def set_quiet(sb, names, seconds):
    """As if nothing had changed on these blogs for so long."""
    now = int(time.time())
    for name in names:
        path = os.path.join(sb.repo, '.git', 'livewatch', name + '.json')
        with open(path) as f:
            st = json.load(f)
        st['last_change'] = now - seconds
        with open(path, 'w') as f:
            json.dump(st, f)


@with_sandbox(blogs={})
def test_a_blog_that_links_to_its_follow_on_is_over(sb):
    """No `follow =`: a blog whose newest post links to the next blog of
    its series ("This blog is now closed; you can find our latest
    coverage here") is over once quiet for an hour: said once with the
    link, polled hourly, still over while the page answers 304; a new
    post makes it live again at once; `over = never` turns it off; a link
    in an older post, or another series', is no evidence."""
    srv = sb.server
    day = '/world/live/2023/feb/%d/russia-ukraine-war-day-%d'
    closed, nxt = day % (14, 356), day % (15, 357)
    older = [post(h, 'Shelling went on near Bakhmut at %d.' % h) for h in (10, 9, 8)]
    closing = closing_post(11, srv.url(nxt))
    srv.set(closed, body=render_blog([closing] + older, page_url=srv.url(closed),
                                     headline='Live'), auto_etag=True)
    srv.set('/world/live/2023/feb/14/never', body=render_blog(
        [closing] + older, page_url=srv.url('/world/live/2023/feb/14/never'), headline='Live'))
    # the link in an older post: the blog went on after it
    srv.set('/world/live/2023/feb/14/went-on', body=render_blog(
        [post(12, 'Talks in Brussels.'), closing] + older,
        page_url=srv.url('/world/live/2023/feb/14/went-on'), headline='Live'))
    # the newest post points to another series
    other = closing_post(11, srv.url('/politics/live/2023/feb/15/uk-politics'))
    srv.set('/world/live/2023/feb/14/other', body=render_blog(
        [other] + older, page_url=srv.url('/world/live/2023/feb/14/other'), headline='Live'))
    blogs = [('closed', srv.url(closed), {}),
             ('never', srv.url('/world/live/2023/feb/14/never'), {'over': 'never'}),
             ('went-on', srv.url('/world/live/2023/feb/14/went-on'), {}),
             ('other', srv.url('/world/live/2023/feb/14/other'), {})]
    real = os.path.exists(GUARDIAN)
    if real:
        # the real Guardian page, its newest post turned into the closing one
        with open(GUARDIAN, encoding='utf-8') as f:
            html = f.read()
        check(html.count(NEWEST) == 1, 'the real page changed')
        real_path = '/world/live/2023/may/15/russia-ukraine-war-latest-live'
        real_next = '/world/live/2023/may/16/russia-ukraine-war-live-news'
        srv.set(real_path, body=html.replace(NEWEST, NEWEST + (
            '<p>This blog is now closed. You can find our latest coverage <a href="%s">here'
            '</a>.</p>' % real_next)))
        srv.set('/world/live/2023/may/15/as-published', body=html)
        blogs += [('real', srv.url(real_path), {}),
                  ('real-live', srv.url('/world/live/2023/may/15/as-published'), {})]
    else:
        print('# skip the real Guardian page: %s absent' % GUARDIAN)
    text = '\n'.join(['[livewatch]', 'repo = history', 'rules = test.rules', 'interval = 1',
                      'max_interval = 5', 'delay = 0', 'timeout = 5', ''] +
                     ['[blog "%s"]\nurl = %s\n%s' % (n, u, ''.join('%s = %s\n' % kv
                                                                 for kv in k.items()))
                      for n, u, k in blogs])
    with open(sb.config, 'w') as f:
        f.write(text)
    sb.poll()
    names = [n for n, _, _ in blogs]
    # quiet for half an hour: not yet
    set_quiet(sb, names, 1800)
    d = sb.start_daemon(args=['-vv'])
    d.wait_log(r'^closed: next poll in 5 s \(quiet\)$')
    d.stop()
    check('the blog is over' not in d.log(), d.log())

    set_quiet(sb, names, 7200)
    d = sb.start_daemon(args=['-vv'])
    d.wait_log(r"^closed: the blog is over \(its newest post links to the blog that follows it, "
               r"'%s', no change for 2 h\), polling it hourly; to watch the blog that follows "
               r"it, give it a \[blog\] of its own or set 'follow ='$" % re.escape(srv.url(nxt)))
    d.wait_log(r'^closed: next poll in 3600 s \(over\)$')
    if real:
        d.wait_log(r"^real: the blog is over \(its newest post links to the blog that follows "
                   r"it, '%s', no change for 2 h\)" % re.escape(srv.url(real_next)))
        d.wait_log(r'^real-live: next poll in 5 s \(quiet\)$')
    for name in ('never', 'went-on', 'other'):
        d.wait_log(r'^%s: next poll in 5 s \(quiet\)$' % name)
    # polled now, the page unchanged (304): still over, nothing said
    n = len(srv.requests(closed))
    d.kill(signal.SIGUSR1)
    wait_for(lambda: [r for r in srv.requests(closed)[n:] if 'if-none-match' in r['headers']],
             'a conditional poll of the closed blog')
    d.wait_log(r'^closed: next poll in 3600 s \(over\)$', count=2)
    # a post after the closing one: live again at once
    srv.set(closed, body=render_blog([post(12, 'One more thing.'), closing] + older,
                                     page_url=srv.url(closed), headline='Live'), auto_etag=True)
    d.kill(signal.SIGUSR1)
    d.wait_log(r'^closed: the blog is live again, polling it every 1 s$')
    d.wait_log(r'^closed: next poll in 1 s$')
    d.stop()
    log = d.log()
    eq(log.count('closed: the blog is over'), 1, log)
    for name in ('never', 'went-on', 'other', 'real-live'):
        check('%s: the blog is over' % name not in log, log)


if __name__ == '__main__':
    run_tests(globals())
