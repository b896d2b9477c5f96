#!/usr/bin/env python3
"""Integration: the webhook and exec alert sinks, through the real
`livewatch poll` and `livewatch check`, against a loopback HTTP server that
records what it is sent and against real scripts."""

import email.header
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwtest import (Sandbox, check, eq, json_file, run_tests, wait_eq,  # noqa: E402
                    wait_for)
from test_poll import base_posts, post, serve  # noqa: E402

BAKHMUT = post(14, 30, title='Fighting around Bakhmut intensifies',
               text='Heavy shelling was reported near Bakhmut on Tuesday morning.')


def with_sinks(sinks_text):
    """A Sandbox with a file sink plus the [sink] sections given; the test
    gets the sandbox and a second loopback server for the webhooks."""
    def deco(fn):
        def wrapper():
            sb = Sandbox()
            try:
                hooks = sb.add_server()
                text = sinks_text(sb, hooks) if callable(sinks_text) else sinks_text
                with open(sb.config, 'a') as f:
                    f.write('\n' + text)
                fn(sb, hooks)
            finally:
                sb.close()
        wrapper.__name__ = fn.__name__
        return wrapper
    return deco


def baseline_then_alert(sb, extra=()):
    """Polls the baseline, then a page with one new matching post; returns
    the second poll's process."""
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    serve(sb, [BAKHMUT] + list(extra) + posts)
    return sb.poll()


def outbox_alert(sb, **fields):
    """Puts a hand-made alert in the outbox (as a crash would leave it), so
    the next poll delivers it first: how hostile fields reach the sinks."""
    a = {'rule': 'bakhmut', 'blog': 'live', 'entry': 'block-x', 'change': 'new',
         'title': 'Left over', 'url': sb.url() + '#block-x', 'published': '',
         'urgency': 'normal', 'matched': ['Bakhmut'], 'snippet': 'near «Bakhmut»',
         'fetched': '2023-02-14T13:00:00Z'}
    a.update(fields)
    with open(os.path.join(sb.repo, '.git', 'livewatch', 'outbox.jsonl'), 'a') as f:
        f.write(json.dumps(a, ensure_ascii=False) + '\n')
    return a


def held_for(stderr, sink, alerts=1):
    """The seconds a sink holding after a timeout says its next try is
    away ("sink 'x': 1 alert kept for its next try in 59 s, after a
    timeout"): counted down from when the alert was kept, so a loaded
    machine may show less than the 60 s it started at.  None if not said."""
    m = re.search(r"sink '%s': %d alerts? kept for its next try in (\d+) s, after a timeout"
                  % (re.escape(sink), alerts), stderr)
    return int(m.group(1)) if m else None


def write_script(sb, name, body):
    path = os.path.join(sb.dir, name)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + body + '\n')
    os.chmod(path, 0o755)
    return path


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- webhook ----

@with_sinks(lambda sb, h: (
    '[sink "hook-json"]\ntype = webhook\nurl = %s\nheader = Authorization: Bearer s3cret\n'
    'header2 = X-Extra: 1\n\n'
    '[sink "hook-ntfy"]\ntype = webhook\nformat = ntfy\nurl = %s\n\n'
    '[sink "hook-slack"]\ntype = webhook\nformat = slack\nurl = %s\n'
    % (h.url('/json'), h.url('/ntfy'), h.url('/slack'))))
def test_webhook_formats(sb, hooks):
    for path in ('/json', '/ntfy', '/slack'):
        hooks.set(path, body='ok', content_type='text/plain')
    leopard = post(14, 10, text='Germany confirmed it would deliver Leopard tanks.')
    baseline_then_alert(sb, extra=[leopard])
    alerts = sb.alerts()
    eq([a['rule'] for a in alerts], ['bakhmut', 'leopard'])
    alert = alerts[0]

    reqs = hooks.requests('/json')
    eq([json.loads(r['body']) for r in reqs], alerts, 'one POST per alert, in order')
    eq(reqs[0]['client'], reqs[1]['client'], 'the connection is reused')
    r = reqs[0]
    eq(r['method'], 'POST')
    eq(r['headers']['content-type'], 'application/json')
    eq(r['headers']['authorization'], 'Bearer s3cret')
    eq(r['headers']['x-extra'], '1')
    check(r['headers']['user-agent'].startswith('livewatch/'), r['headers']['user-agent'])
    eq(json.loads(r['body']), alert, 'json body is the alert')
    eq(list(json.loads(r['body']))[0], 'id', 'the id comes first')
    # every format carries the alert's id as Idempotency-Key
    for path in ('/json', '/ntfy', '/slack'):
        eq([q['headers'].get('idempotency-key') for q in hooks.requests(path)],
           [a['id'] for a in alerts], 'Idempotency-Key of ' + path)

    r, r2 = hooks.requests('/ntfy')
    eq(r2['headers']['priority'], '3', 'normal is ntfy priority 3')
    h = r['headers']
    title = str(email.header.make_header(email.header.decode_header(h['title'])))
    eq(title, 'bakhmut · live', 'ntfy title (RFC 2047)')
    check(h['title'].startswith('=?UTF-8?B?'), 'non-ASCII title is an encoded word: ' + h['title'])
    eq(h['priority'], '5', 'critical is ntfy priority 5')
    eq(h['click'], alert['url'])
    eq(h['tags'], 'livewatch,bakhmut')
    eq(h['content-type'], 'text/plain; charset=utf-8')
    eq(r['body'], alert['title'] + '\n' + alert['snippet'])

    r = hooks.requests('/slack')[0]
    eq(r['headers']['content-type'], 'application/json')
    text = json.loads(r['body'])['text']
    eq(text, '*bakhmut* · live\n<%s|%s>\n%s' % (alert['url'], alert['title'], alert['snippet']))


@with_sinks(lambda sb, h: (
    '[sink "ntfy"]\ntype = webhook\nformat = ntfy\nurl = %s\npriority = 1, 2, 4\n'
    'header = Tags: fixed\n\n'
    '[sink "ntfy-plain"]\ntype = webhook\nformat = ntfy\nurl = %s\n\n'
    '[sink "slack"]\ntype = webhook\nformat = slack\nurl = %s\n'
    % (h.url('/ntfy'), h.url('/ntfy-plain'), h.url('/slack'))))
def test_webhook_hostile_fields(sb, hooks):
    hooks.set('/ntfy', body='ok')
    hooks.set('/ntfy-plain', body='ok')
    hooks.set('/slack', body='ok')
    serve(sb, base_posts())
    sb.poll()
    outbox_alert(sb, rule='evil\r\nX-Injected: rule', urgency='low',
                 title='Title\r\nX-Injected: title <b>&</b>',
                 url='https://example.org/a b\r\nX-Injected: url|<x>',
                 snippet='a < b && c > d')
    outbox_alert(sb, rule='Бахмут ' * 30, blog='live', urgency='critical', change='edited',
                 url='javascript:alert(1)', title='')
    sb.poll()
    plain = hooks.requests('/ntfy-plain')
    eq(len(plain), 2)
    eq(plain[0]['headers']['tags'], 'livewatch,evil X-Injected: rule')
    reqs = hooks.requests('/ntfy')
    eq(len(reqs), 2)
    for r in reqs + plain:
        check(not any(k.startswith('x-injected') for k in r['headers']),
              'no injected header: %r' % r['headers'])
        for k, v in r['headers'].items():
            check(all(0x20 <= ord(c) < 0x7f for c in v), 'header %s not printable ASCII: %r' % (k, v))
    h0, h1 = reqs[0]['headers'], reqs[1]['headers']
    title0 = str(email.header.make_header(email.header.decode_header(h0['title'])))
    eq(title0, 'evil X-Injected: rule · live')
    eq(h0['priority'], '1', 'low with priority = 1, 2, 4')
    eq(h0['click'], 'https://example.org/a%20b%0D%0AX-Injected:%20url%7C%3Cx%3E')
    eq(h0['tags'], 'fixed', 'a configured header replaces the built-in one')
    eq(reqs[0]['body'], 'Title\r\nX-Injected: title <b>&</b>\na < b && c > d',
       'the body carries the text as it is')
    title1 = str(email.header.make_header(email.header.decode_header(h1['title'])))
    check(title1.startswith('Бахмут Бахмут'), title1)
    check(len(title1) <= 200, 'title cut to 200 characters: %r' % title1)
    eq(h1['priority'], '4')
    check('click' not in h1, 'no Click for a non-http url')
    check(len(h1['title']) < 1000, 'title header bounded')

    reqs = hooks.requests('/slack')
    eq(len(reqs), 2)
    text = json.loads(reqs[0]['body'])['text']
    eq(text, '*evil\r\nX-Injected: rule* · live\n'
             '<https://example.org/a%20b%0D%0AX-Injected:%20url%7C%3Cx%3E|'
             'Title\r\nX-Injected: title &lt;b&gt;&amp;&lt;/b&gt;>\na &lt; b &amp;&amp; c &gt; d')
    text = json.loads(reqs[1]['body'])['text']
    check(text.endswith(' · live (edited)\nblock-x\nnear «Bakhmut»'), text)


@with_sinks(lambda sb, h: (
    '[sink "flaky"]\ntype = webhook\nurl = %s\n\n'
    '[sink "broken"]\ntype = webhook\nurl = %s\n\n'
    '[sink "busy"]\ntype = webhook\nurl = %s\ntimeout = 3\n\n'
    '[sink "refused"]\ntype = webhook\nurl = http://user:s3cr3tpw@127.0.0.1:%d/x?token=t0k3nv4lue\n'
    % (h.url('/flaky'), h.url('/broken'), h.url('/busy'), free_port())))
def test_webhook_failures(sb, hooks):
    hooks.set('/flaky', body='ok', statuses=[500])
    hooks.set('/broken', body='no such hook\nsecond line', status=404)
    hooks.set('/busy', body='later', status=503, headers={'Retry-After': '600'})
    t0 = time.monotonic()
    p = baseline_then_alert(sb)
    took = time.monotonic() - t0
    check(took < 10, 'failing webhooks are quick: %.1f s' % took)

    eq(len(sb.alerts()), 1, 'the file sink still got the alert')
    eq(sb.commits(), 3, 'the poll still records its commit')
    flaky = hooks.requests('/flaky')
    eq(len(flaky), 2, '500, then a retry that succeeds')
    eq(flaky[0]['body'], flaky[1]['body'])
    check("sink 'flaky'" not in p.stderr, 'a retried success is not an error: ' + p.stderr)

    eq(len(hooks.requests('/broken')), 1, 'a 404 is not retried')
    check("sink 'broken': POST '%s': HTTP 404 (no such hook)" % hooks.url('/broken') in p.stderr,
          p.stderr)
    eq(len(hooks.requests('/busy')), 2, 'a 503 is retried once')
    check("sink 'busy': POST '%s': HTTP 503 (later), after a retry" % hooks.url('/busy')
          in p.stderr, p.stderr)
    check(re.search(r"^warning: sink 'refused': POST 'http://127\.0\.0\.1:\d+/x\?…': [^\n]*"
                    r"(?i:connect)[^\n]*, after a retry; kept to retry in 60 s$", p.stderr, re.M),
          p.stderr)
    check('/x?…' in p.stderr, 'query shown as …: ' + p.stderr)
    check('s3cr3tpw' not in p.stderr and 'token' not in p.stderr and 't0k3nv4lue' not in p.stderr,
          'no secrets in messages: ' + p.stderr)
    check('s3cret' not in p.stderr)
    eq(sb.git('status', '--porcelain'), '', 'working tree in step with HEAD')
    # The failed deliveries were kept: the next poll tries them again,
    # and once the servers are back they arrive, once.
    check(p.stderr.count('; kept to retry in ') == 3, 'broken, busy, refused kept: ' + p.stderr)
    check("HTTP 503 (later), after a retry; kept to retry in 600 s" in p.stderr,
          'Retry-After honoured: ' + p.stderr)
    check("HTTP 404 (no such hook); kept to retry in 60 s" in p.stderr, p.stderr)
    hooks.clear_requests()
    p = sb.poll()
    eq(sorted(r['path'] for r in hooks.requests()), ['/broken', '/busy', '/busy'],
       'kept alerts tried again (the 503 twice), not the delivered ones')
    check('1 alert kept, next try in 60 s' in p.stderr, p.stderr)
    hooks.set('/broken', body='ok')
    hooks.set('/busy', body='ok')
    hooks.clear_requests()
    p = sb.poll()
    eq(sorted(r['path'] for r in hooks.requests()), ['/broken', '/busy'], 'delivered at last')
    eq(json.loads(hooks.requests('/busy')[0]['body'])['title'],
       'Fighting around Bakhmut intensifies', 'the kept alert itself')
    check("sink 'broken'" not in p.stderr and "sink 'busy'" not in p.stderr, p.stderr)
    hooks.clear_requests()
    sb.poll()
    eq(hooks.requests(), [], 'nothing delivered twice')


@with_sinks(lambda sb, h: (
    '[sink "stalled"]\ntype = webhook\nurl = %s\ntimeout = 2\n'
    'header = Authorization: Bearer s3cret\n\n'
    '[sink "moved"]\ntype = webhook\nurl = %s\n\n'
    '[sink "chatty"]\ntype = webhook\nurl = %s\ntimeout = 30\n'
    % (h.url('/stall'), h.url('/moved'), h.url('/chatty'))))
def test_webhook_bounded_time(sb, hooks):
    hooks.set('/stall', mode='stall', seconds=30)
    hooks.set('/chatty', mode='huge', size=100 << 30)
    hooks.set('/moved', mode='redirect', location=hooks.url('/elsewhere'))
    hooks.set('/elsewhere', body='ok')
    posts = base_posts()
    serve(sb, posts)
    sb.poll()
    leopard = post(14, 10, text='Germany confirmed it would deliver Leopard tanks.')
    serve(sb, [BAKHMUT, leopard] + posts)
    t0 = time.monotonic()
    p = sb.poll()
    took = time.monotonic() - t0
    check(took < 6, 'a stalled server costs its timeout once, an endless reply is cut: %.1f s'
          % took)
    eq(len(hooks.requests('/stall')), 1, 'a timeout is not retried, nor the next alert tried')
    check("sink 'stalled': POST '%s': no answer within 2 s" % hooks.url('/stall') in p.stderr,
          p.stderr)
    wait = held_for(p.stderr, 'stalled')
    check(wait is not None and 50 <= wait <= 60, 'held for the 60 s retry: %s' % p.stderr)
    eq(len(hooks.requests('/chatty')), 2, 'other sinks get both alerts')
    check('s3cret' not in p.stderr)
    check("sink 'moved': POST '%s': HTTP 302, redirects are not followed" % hooks.url('/moved')
          in p.stderr, p.stderr)
    eq(hooks.requests('/elsewhere'), [], 'redirect not followed')
    check("sink 'chatty'" not in p.stderr, 'a 200 with an endless body is delivered: ' + p.stderr)
    eq(len(sb.alerts()), 2)
    # The next poll (a new process: the retry is due at once) retries the
    # kept alerts (one timeout: the other is skipped); its own new alert
    # is not tried after that timeout, but kept behind them, in order.
    serve(sb, [post(15, text='More fighting near Bakhmut.'), BAKHMUT, leopard] + posts)
    t0 = time.monotonic()
    p = sb.poll()
    took = time.monotonic() - t0
    eq(len(hooks.requests('/stall')), 2, 'kept alerts tried again, the new one not')
    check(took < 5, 'one timeout at most: %.1f s' % took)
    check("no answer within 2 s; 2 alerts kept, next try in 60 s" in p.stderr, p.stderr)
    # still the first poll's retry, counted down (the timeout alone took 2 s)
    wait = held_for(p.stderr, 'stalled')
    check(wait is not None and 30 <= wait <= 58, 'held until the first retry: %s' % p.stderr)
    queue = os.path.join(sb.repo, '.git', 'livewatch', 'retry', 'stalled', 'outbox.jsonl')
    with open(queue) as f:
        kept = [json.loads(line)['entry'] for line in f]
    eq(len(kept), 3, 'alerts kept for the stalled server')
    eq(kept[-1], sb.alerts()[-1]['entry'], 'the newest kept last')
    eq(sb.commits(), 4, 'every poll recorded its commit')


def recorded_version(sb, entry):
    """The first 12 hex digits of the blob id git holds for the entry's
    file at HEAD (whatever folder it is in)."""
    for line in sb.git('ls-tree', '-r', 'HEAD').splitlines():
        meta, path = line.split('\t', 1)
        if path.startswith('live/entries/') and path.endswith('/' + entry + '.md') \
                or path == 'live/entries/' + entry + '.md':
            return meta.split()[2][:12]
    raise AssertionError('no file for %s' % entry)


@with_sinks(lambda sb, h: (
    '[sink "hook"]\ntype = webhook\nurl = %s\n\n'
    '[sink "run"]\ntype = exec\ncommand = %s\n'
    % (h.url('/hook'), write_script(sb, 'ids.sh',
                                    'echo "$LIVEWATCH_ALERT_ID" >> "%s/ids"' % sb.dir))))
def test_alerts_exactly_once(sb, hooks):
    """An alert's id names blog, entry, rule and the version git recorded;
    the same alert delivered again (as after a crash, by another process)
    is not appended to the file again, and the webhook and the hook get
    the same id again to tell."""
    hooks.set('/hook', body='ok')
    baseline_then_alert(sb)
    [alert] = sb.alerts()
    entry = alert['entry']
    eq(alert['id'], 'live/%s/bakhmut/%s' % (entry, recorded_version(sb, entry)), 'alert id')
    with open(os.path.join(sb.dir, 'ids')) as f:
        eq(f.read(), alert['id'] + '\n', 'LIVEWATCH_ALERT_ID')
    eq(hooks.requests('/hook')[0]['headers']['idempotency-key'], alert['id'])

    # An edit that makes it match another rule: a new version, a new id,
    # while the first alert's id stays what it was.
    edited = post(14, 30, title=BAKHMUT.title,
                  text=BAKHMUT.paras[0] + ' Leopard tanks were seen.')
    serve(sb, [edited] + base_posts())
    sb.poll()
    alerts = sb.alerts()
    eq([a['rule'] for a in alerts], ['bakhmut', 'leopard'])
    eq(alerts[1]['id'], 'live/%s/leopard/%s' % (entry, recorded_version(sb, entry)))
    check(alerts[1]['id'].rsplit('/', 1)[1] != alert['id'].rsplit('/', 1)[1],
          'the edit is another version')

    # The first alert again, as a crash between delivery and outbox
    # removal leaves it, delivered by two more processes.
    outbox = os.path.join(sb.repo, '.git', 'livewatch', 'outbox.jsonl')
    with open(sb.alerts_path) as f:
        first_line = f.readline()
    for _ in range(2):
        with open(outbox, 'a') as f:
            f.write(first_line)
        sb.poll()
    eq(sb.alerts(), alerts, 'the file sink appended no twin')
    keys = [r['headers']['idempotency-key'] for r in hooks.requests('/hook')]
    eq(keys, [alert['id'], alerts[1]['id'], alert['id'], alert['id']],
       'the webhook got it again, with the same key')
    with open(os.path.join(sb.dir, 'ids')) as f:
        eq(f.read().split(), keys, 'the hook got it again, with the same id')

    # An outbox line written before ids existed: still delivered, once.
    old = outbox_alert(sb, entry='block-old', title='From an older livewatch')
    check('id' not in old, 'an old line')
    sb.poll()
    outbox_alert(sb, entry='block-old', title='From an older livewatch')
    sb.poll()
    got = [a for a in sb.alerts() if a['entry'] == 'block-old']
    eq(len(got), 1, 'the old alert, appended once')
    check(got[0]['id'].startswith('live/block-old/bakhmut/'), got[0]['id'])
    eq([r['headers']['idempotency-key'] for r in hooks.requests('/hook')][-2:],
       [got[0]['id']] * 2, 'the same derived key both times')


# ---- exec ----

@with_sinks(lambda sb, h: (
    '[sink "hook"]\ntype = exec\ncommand = %s "%s" \'arg two\' "it\'s" $HOME && | > x `id`\n'
    % (write_script(sb, 'hook.sh',
                    'out="$1"; shift\n'
                    'cat > "$out/stdin.json"\n'
                    'for a in "$@"; do printf "[%s]\\n" "$a"; done > "$out/args"\n'
                    'env > "$out/env"'), sb.dir)))
def test_exec_through_poll(sb, hooks):
    sb.env['NOTIFY_SOCKET'] = os.path.join(sb.dir, 'notify.sock')
    sb.env['WATCHDOG_USEC'] = '1000000'
    baseline_then_alert(sb)
    alert = sb.alerts()[0]
    with open(os.path.join(sb.dir, 'stdin.json')) as f:
        raw = f.read()
    check(raw.endswith('\n') and raw.count('\n') == 1, 'one line: %r' % raw)
    eq(json.loads(raw), alert)
    with open(os.path.join(sb.dir, 'args')) as f:
        eq(f.read(), "[arg two]\n[it's]\n[$HOME]\n[&&]\n[|]\n[>]\n[x]\n[`id`]\n")
    check(not os.path.exists(os.path.join(sb.dir, 'x')), 'no redirection happened')
    env = {}
    with open(os.path.join(sb.dir, 'env')) as f:
        for line in f:
            if '=' in line:
                k, v = line.rstrip('\n').split('=', 1)
                env[k] = v
    eq(env['LIVEWATCH_ALERT_ID'], alert['id'])
    eq(env['LIVEWATCH_RULE'], 'bakhmut')
    eq(env['LIVEWATCH_BLOG'], 'live')
    eq(env['LIVEWATCH_ENTRY'], alert['entry'])
    eq(env['LIVEWATCH_CHANGE'], 'new')
    eq(env['LIVEWATCH_TITLE'], alert['title'])
    eq(env['LIVEWATCH_URL'], alert['url'])
    eq(env['LIVEWATCH_URGENCY'], 'critical')
    eq(env['LIVEWATCH_PUBLISHED'], alert['published'])
    eq(env['LIVEWATCH_SNIPPET'], alert['snippet'])
    eq(env['LIVEWATCH_MATCHED'], ','.join(alert['matched']))
    eq(env['HOME'], sb.dir, "the daemon's environment is passed on")
    check('NOTIFY_SOCKET' not in env and 'WATCHDOG_USEC' not in env,
          "systemd's variables for the daemon are not")


@with_sinks(lambda sb, h: (
    '[sink "fails"]\ntype = exec\ncommand = %s\n\n'
    '[sink "sleeps"]\ntype = exec\ncommand = %s\ntimeout = 1\n\n'
    '[sink "deaf"]\ntype = exec\ncommand = %s\n\n'
    '[sink "loud"]\ntype = exec\ncommand = %s\n'
    % (write_script(sb, 'fails.sh', 'cat >/dev/null; echo "cannot reach pager" >&2; exit 3'),
       write_script(sb, 'sleeps.sh', 'echo $$ >> "%s/sleeps.pid"; exec sleep 30' % sb.dir),
       write_script(sb, 'deaf.sh', 'exec 0<&-; echo ok > "%s/deaf.ran"' % sb.dir),
       write_script(sb, 'loud.sh', 'head -c 30000000 /dev/zero; '
                                   'head -c 3000000 /dev/zero | tr "\\0" z >&2; exit 0'))))
def test_exec_failures_through_poll(sb, hooks):
    t0 = time.monotonic()
    leopard = post(14, 10, text='Germany confirmed it would deliver Leopard tanks.')
    p = baseline_then_alert(sb, extra=[leopard])
    took = time.monotonic() - t0
    check(took < 10, 'bounded: %.1f s' % took)
    eq(len(sb.alerts()), 2, 'the file sink still got the alerts')
    eq(sb.commits(), 3, 'the poll still records its commit')
    check("sink 'fails': '%s' exited with status 3: cannot reach pager"
          % os.path.join(sb.dir, 'fails.sh') in p.stderr, p.stderr)
    check("sink 'sleeps': '%s' timed out after 1 s, killed" % os.path.join(sb.dir, 'sleeps.sh')
          in p.stderr, p.stderr)
    check(os.path.exists(os.path.join(sb.dir, 'deaf.ran')), 'the deaf hook ran')
    check("sink 'deaf'" not in p.stderr and "sink 'loud'" not in p.stderr, p.stderr)
    wait = held_for(p.stderr, 'sleeps')
    check(wait is not None and 50 <= wait <= 60, 'held for the 60 s retry: %s' % p.stderr)
    with open(os.path.join(sb.dir, 'sleeps.pid')) as f:
        pids = f.read().split()
    eq(len(pids), 1, 'the hook that timed out is not run for the second alert')
    pid = int(pids[0])
    check(not os.path.exists('/proc/%d' % pid), 'the timed-out hook is gone')


# ---- inside the daemon's loop ----

def test_daemon_retries_kept_alerts():
    """In the daemon, an alert a webhook refused is kept; the next
    delivery that works ends the wait, and the kept alert follows after
    that poll, once."""
    sb = Sandbox(extra_main='alert_on_first_poll = yes\n')
    try:
        hooks = sb.add_server()
        with open(sb.config, 'a') as f:
            f.write('\n[sink "web"]\ntype = webhook\nurl = %s\n' % hooks.url('/hook'))
        hooks.set('/hook', body='ok', statuses=[503, 503])   # the first alert and its quick retry
        serve(sb, [BAKHMUT] + base_posts())
        d = sb.start_daemon()
        wait_eq(lambda: len(hooks.requests('/hook')), 2, 'the first alert, refused twice')
        kept = os.path.join(sb.repo, '.git', 'livewatch', 'retry', 'web', 'outbox.jsonl')
        wait_for(lambda: os.path.exists(kept) and os.path.getsize(kept) > 0,
                 'the refused alert to be kept')
        later = post(15, title='Bakhmut defenders hold', text='Bakhmut is still held.')
        serve(sb, [later, BAKHMUT] + base_posts())
        d.kill(signal.SIGUSR1)
        wait_eq(lambda: len(hooks.requests('/hook')), 4, 'the new alert, then the kept one')
        wait_for(lambda: not os.path.exists(kept) or os.path.getsize(kept) == 0,
                 'the queue to be emptied')
        time.sleep(0.5)   # nothing more comes
        rc, _ = d.stop(20)
        text = d.log()
        eq(rc, 0, 'exit status after SIGTERM; log:\n' + text)
        titles = [json.loads(r['body'])['title'] for r in hooks.requests('/hook')]
        eq(titles, [BAKHMUT.title, BAKHMUT.title, later.title, BAKHMUT.title],
           'deliveries in order')
        check("sink 'web'" in text and 'kept to retry' in text, text)
        check(not os.path.exists(kept) or os.path.getsize(kept) == 0, 'the queue is empty')
    finally:
        sb.close()


def test_sinks_in_the_daemon():
    """`livewatch run` delivers through webhook and exec sinks from its
    GLib loop (the exec sink runs a private context inside it), keeps
    running when one fails, and stops cleanly on SIGTERM."""
    sb = Sandbox(extra_main='alert_on_first_poll = yes\n')
    try:
        hooks = sb.add_server()
        hook = write_script(sb, 'hook.sh', 'cat > "%s/got.json"' % sb.dir)
        bad = write_script(sb, 'bad.sh', 'echo nope >&2; exit 7')
        with open(sb.config, 'a') as f:
            f.write('\n[sink "web"]\ntype = webhook\nurl = %s\n'
                    '\n[sink "run"]\ntype = exec\ncommand = %s\n'
                    '\n[sink "bad"]\ntype = exec\ncommand = %s\n'
                    % (hooks.url('/hook'), hook, bad))
        hooks.set('/hook', body='ok')
        serve(sb, [BAKHMUT] + base_posts())
        d = sb.start_daemon()
        got = os.path.join(sb.dir, 'got.json')
        wait_for(lambda: hooks.requests('/hook') and json_file(got) and sb.alerts()
                 and "sink 'bad'" in d.log(), 'every sink to have its go')
        time.sleep(0.3)
        check(d.proc.poll() is None, 'the daemon keeps running (%r):\n%s'
              % (d.proc.poll(), d.log()))
        rc, _ = d.stop(20)
        text = d.log()
        eq(rc, 0, 'exit status after SIGTERM; log:\n' + text)
        [r] = hooks.requests('/hook')
        alert = sb.alerts()[0]
        eq(json.loads(r['body']), alert)
        eq(json_file(got), alert)
        check("sink 'bad': '%s' exited with status 7: nope" % bad in text, text)
    finally:
        sb.close()


# ---- config errors: livewatch check exits 2 with FILE:LINE ----

def check_error(sink_text, want, line):
    sb = Sandbox()
    try:
        with open(sb.config) as f:
            before = f.read().count('\n')
        with open(sb.config, 'a') as f:
            f.write('\n' + sink_text)
        p = sb.livewatch('check', check=2)
        where = '%s:%d: ' % (sb.config, before + 1 + line)
        check(where + want in p.stderr, 'want %r in %r' % (where + want, p.stderr))
    finally:
        sb.close()


def test_config_errors():
    check_error('[sink "w"]\ntype = webhook\nurl = http://x/\ncolour = red\n',
                "sink 'w': unknown key 'colour' for type webhook", 4)
    check_error('[sink "w"]\ntype = webhook\n', "sink 'w': type webhook needs 'url = ", 1)
    check_error('[sink "w"]\ntype = webhook\nurl = file:///etc/passwd\n',
                "sink 'w': 'url' must be an http:// or https:// URL, not 'file:///etc/passwd'", 3)
    check_error('[sink "w"]\ntype = webhook\nurl = http://x/\nformat = teams\n',
                "sink 'w': 'format' must be one of json, ntfy or slack, not 'teams'", 4)
    check_error('[sink "w"]\ntype = webhook\nurl = http://x/\ntimeout = -1\n',
                "sink 'w': 'timeout' must be a number of seconds from 1 to 120 (like 90, 5m, 1h), not '-1'", 4)
    check_error('[sink "w"]\ntype = webhook\nurl = http://x/\nheader = nocolon\n',
                "sink 'w': 'header' must be 'Name: value'", 4)
    check_error('[sink "e"]\ntype = exec\n', "sink 'e': type exec needs 'command = ", 1)
    check_error('[sink "e"]\ntype = exec\ncommand = lw-no-such-hook --x\n',
                "sink 'e': program 'lw-no-such-hook' not found in PATH", 3)
    check_error('[sink "e"]\ntype = exec\ncommand = sh -c "echo\n',
                "sink 'e': cannot parse command 'sh -c \"echo'", 3)
    check_error('[sink "e"]\ntype = exec\ncommand = true\ntimeout = 10x\n',
                "sink 'e': 'timeout' must be a number of seconds from 1 to 120 (like 90, 5m, 1h), not '10x'", 4)
    check_error('[sink "e"]\ntype = exec\ncommand = true\nformat = text\n',
                "sink 'e': 'format' must be json, not 'text'", 4)
    check_error('[sink "e"]\ntype = exec\ncommand = true\npath = /x\n',
                "sink 'e': unknown key 'path' for type exec", 4)


def test_config_ok():
    sb = Sandbox()
    try:
        with open(sb.config, 'a') as f:
            f.write('\n[sink "w"]\ntype = webhook\nurl = https://ntfy.example/t\nformat = ntfy\n'
                    'priority = 1,3,5\ntimeout = 30s\nheader = Authorization: Bearer x\n\n'
                    '[sink "e"]\ntype = exec\ncommand = true "a b"\ntimeout = 1m\n\n'
                    '[sink "rel"]\ntype = exec\ncommand = hooks/rel.sh --x\n\n'
                    '[sink "home"]\ntype = exec\ncommand = ~/hooks/rel.sh\n')
        os.mkdir(os.path.join(sb.dir, 'hooks'))
        write_script(sb, 'hooks/rel.sh', 'exit 0')
        # run from elsewhere: relative is the config's folder, ~ is HOME
        p = sb.livewatch('check', check=0)
        check('5 sinks' in p.stdout, p.stdout)
        os.rename(os.path.join(sb.dir, 'hooks'), os.path.join(sb.dir, 'gone'))
        p = sb.livewatch('check', check=2)
        check("sink 'rel': program '%s/hooks/rel.sh' not found or not executable" % sb.dir
              in p.stderr, p.stderr)
    finally:
        sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
