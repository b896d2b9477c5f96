#!/usr/bin/python3
"""Desktop notifications against python3-dbusmock's notification daemon.

meson runs this inside its own session bus:

    dbus-run-session -- /usr/bin/python3 tests/test_desktop.py

It starts the mock org.freedesktop.Notifications server on that bus, runs
the C case `test-alert -p /alert/desktop/live` (which delivers alerts
through the desktop sink), then reads back what the server received with
the mock's GetCalls and checks it.  Output is TAP.

End-to-end cases that drive the real binary (`$LW_BIN -c CONFIG poll`)
belong in the section marked END-TO-END below.  The click case has the
mock emit ActionInvoked itself (dbusmock's EmitSignal) and points
LIVEWATCH_BROWSER at a script that records the url.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import Sandbox, Tap, lines_of, skip_all, wait_until  # noqa: E402

MOCK_NAME = 'org.freedesktop.Notifications'
MOCK_PATH = '/org/freedesktop/Notifications'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'


try:
    import dbus
    import dbusmock  # noqa: F401  (only needed by the spawned server)
except ImportError:
    skip_all('python3-dbusmock not installed')


def start_mock(bus):
    """Spawns the notification_daemon template; returns the process."""
    proc = subprocess.Popen(
        [sys.executable, '-m', 'dbusmock', '--template', 'notification_daemon',
         '--parameters', '{"capabilities": "body body-markup actions"}'],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if wait_until(lambda: bus.name_has_owner(MOCK_NAME) or proc.poll() is not None):
        if proc.poll() is None:
            return proc
        raise RuntimeError('dbusmock exited: ' + proc.stderr.read().decode(errors='replace'))
    proc.kill()
    raise RuntimeError('dbusmock did not take ' + MOCK_NAME + ' within 20 s')


def notify_calls(bus):
    """The Notify calls the mock received, as dicts, oldest first."""
    mock = dbus.Interface(bus.get_object(MOCK_NAME, MOCK_PATH), MOCK_IFACE)
    calls = []
    for _stamp, method, args in mock.GetCalls():
        if method != 'Notify':
            continue
        app, replaces, icon, summary, body, actions, hints, timeout = args
        calls.append({
            'app': str(app), 'replaces': int(replaces), 'summary': str(summary),
            'body': str(body), 'actions': [str(a) for a in actions],
            'hints': {str(k): v for k, v in hints.items()}, 'timeout': int(timeout),
        })
    return calls


def clear_calls(bus):
    mock = dbus.Interface(bus.get_object(MOCK_NAME, MOCK_PATH), MOCK_IFACE)
    mock.ClearCalls()


# ---- the library, through the C test cases ----

def check_no_server(tap, builddir):
    """Before the mock runs: a bus, but no notification server."""
    exe = os.path.join(builddir, 'tests', 'test-alert')
    env = dict(os.environ, LW_TEST_DBUS_NO_SERVER='1')
    r = subprocess.run([exe, '-p', '/alert/desktop/no-server'], env=env,
                       capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    tap.check(r.returncode == 0 and 'SKIP' not in out,
              'no server on the bus: delivery fails quickly with a clear error', out)


def check_library(tap, bus, builddir):
    exe = os.path.join(builddir, 'tests', 'test-alert')
    if not tap.check(os.access(exe, os.X_OK), 'test-alert is built', exe):
        return
    clear_calls(bus)
    env = dict(os.environ, LW_TEST_DBUS_NOTIFY='1')
    t0 = time.monotonic()
    r = subprocess.run([exe, '-p', '/alert/desktop/live'], env=env,
                       capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    out = r.stdout + r.stderr
    tap.check(r.returncode == 0 and 'SKIP' not in out,
              'test-alert /alert/desktop/live delivers through the sink', out)
    tap.check(took < 10, f'deliveries are quick ({took:.1f} s)')

    calls = notify_calls(bus)
    if not tap.equal(len(calls), 11, 'Notify called 11 times (2 single, 3+1 batch, 3+2 stream)'):
        for c in calls:
            print('# ', c['summary'], '|', c['body'])
        return

    first = calls[0]
    tap.equal(first['app'], 'livewatch', 'app name is livewatch')
    tap.equal(first['summary'], 'bakhmut · guardian-ukraine', 'summary names rule and blog')
    tap.equal(first['body'],
              'Shelling near Bakhmut &amp; &quot;Soledar&quot;\n'
              '…shelling near <b>Bakhmut</b> &lt;today&gt;…',
              'body is the escaped title and the highlighted snippet')
    tap.equal(int(first['hints'].get('urgency', -1)), 2, 'critical alert has urgency byte 2')
    tap.equal(str(first['hints'].get('desktop-entry')), 'livewatch', 'desktop-entry hint')
    tap.check('category' in first['hints'], 'category hint is set')
    tap.check(first['actions'][:1] == ['default'], 'a default action opens the entry',
              first['actions'])
    tap.equal(first['timeout'], 7000, 'timeout = 7 s becomes 7000 ms')

    second = calls[1]
    tap.equal(second['summary'], 'leopard · guardian-ukraine (edited)',
              'an edit is marked in the summary')
    tap.equal(second['body'], '<b>Leopard</b> tanks', 'no title: the body is the snippet')
    tap.equal(int(second['hints'].get('urgency', -1)), 0, 'low alert has urgency byte 0')
    tap.equal(second['actions'], [], 'a url that is not http(s) gets no click action')

    batch = calls[2:6]
    tap.equal([c['body'].split('\n')[0] for c in batch[:3]],
              ['Batch post 0', 'Batch post 1', 'Batch post 2'],
              'a batch shows its first three alerts one by one')
    tap.equal(batch[3]['summary'], '… and 7 more alerts', 'then one summary for the other 7')
    tap.check('batch · guardian-ukraine: Batch post 3' in batch[3]['body'],
              'the summary lists the held-back alerts', batch[3]['body'])
    tap.equal(int(batch[3]['hints'].get('urgency', -1)), 1, 'summary urgency is the highest held back')

    stream = calls[6:]
    tap.equal([c['summary'] for c in stream],
              ['stream · guardian-ukraine'] * 3 + ['… and 1 more alert', '… and 2 more alerts'],
              'alerts in quick succession are coalesced without a batch')
    tap.equal(stream[3]['replaces'], 0, 'the first summary is a new notification')
    tap.check(stream[4]['replaces'] != 0, 'later ones update it in place', stream[4]['replaces'])


# ---- END-TO-END: the real binary ----

def check_end_to_end(tap, bus):
    """`livewatch poll` with no [sink]: the implicit desktop sink notifies."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    from lwblog import Post, render_blog
    from lwhttpd import LiveServer
    import shutil
    import tempfile

    lw_bin = os.environ.get('LW_BIN')
    if not tap.check(lw_bin and os.access(lw_bin, os.X_OK), 'livewatch is built', lw_bin):
        return
    d = tempfile.mkdtemp(prefix='lw-desktop-')
    srv = LiveServer()
    srv.start()
    try:
        rules = os.path.join(d, 'r.rules')
        with open(rules, 'w') as f:
            f.write('[bakhmut]\nquery = Bakhmut\nurgency = critical\n\n'
                    '[aid]\nquery = aid\nurgency = low\n')
        cfg = os.path.join(d, 'config.ini')
        with open(cfg, 'w') as f:
            f.write('[livewatch]\nrepo = %s/h\nrules = %s\n\n[blog "live"]\nurl = %s\n'
                    % (d, rules, srv.url('/live')))
        posts = [Post(published='2023-02-14T10:00:00Z', title='Morning', paras=['Quiet night.'])]
        srv.set('/live', body=render_blog(posts, page_url=srv.url('/live'), headline='Live'))
        env = dict(os.environ, HOME=d)
        r = subprocess.run([lw_bin, '-c', cfg, 'poll'], env=env, capture_output=True,
                           text=True, timeout=60)
        tap.equal(r.returncode, 0, 'e2e: baseline poll succeeds')
        clear_calls(bus)
        hot = Post(published='2023-02-14T11:00:00Z', title='Shelling near Bakhmut',
                   paras=['Shelling continued near Bakhmut & Soledar overnight.'])
        srv.set('/live', body=render_blog([hot] + posts, page_url=srv.url('/live'),
                                          headline='Live'))
        r = subprocess.run([lw_bin, '-c', cfg, 'poll'], env=env, capture_output=True,
                           text=True, timeout=60)
        tap.equal(r.returncode, 0, 'e2e: poll with a matching post succeeds')
        tap.check('alert bakhmut' in r.stderr, 'e2e: the alert is logged', r.stderr)
        calls = notify_calls(bus)
        if not tap.equal(len(calls), 1, 'e2e: one notification'):
            return
        c = calls[0]
        tap.equal(c['app'], 'livewatch', 'e2e: app name')
        tap.check('bakhmut' in c['summary'] and 'live' in c['summary'],
                  'e2e: summary names the rule and the blog', c['summary'])
        tap.check(c['body'].startswith('Shelling near Bakhmut'), 'e2e: body starts with the title',
                  c['body'])
        tap.check('<b>Bakhmut</b>' in c['body'] and '&amp;' in c['body'],
                  'e2e: body has the highlighted, escaped snippet', c['body'])
        tap.equal(int(c['hints'].get('urgency', -1)), 2, 'e2e: critical urgency')
        # A headless machine: no notification server is one warning, and
        # recording goes on.
        newer = Post(published='2023-02-14T12:00:00Z', title='More on Bakhmut',
                     paras=['Bakhmut again, and aid.'])
        srv.set('/live', body=render_blog([newer, hot] + posts, page_url=srv.url('/live'),
                                          headline='Live'))
        env2 = dict(env, DBUS_SESSION_BUS_ADDRESS='unix:path=%s/no-bus' % d)
        r = subprocess.run([lw_bin, '-c', cfg, 'poll'], env=env2, capture_output=True,
                           text=True, timeout=60)
        tap.equal(r.returncode, 0, 'e2e: no notification server is not a failure')
        warnings = [l for l in r.stderr.splitlines() if l.startswith('warning:')]
        tap.equal(len(warnings), 1, 'e2e: exactly one warning without a server')
        log = subprocess.run(['git', '-C', d + '/h', 'log', '-1', '--format=%s'],
                             capture_output=True, text=True).stdout
        tap.check('1 new' in log, 'e2e: the post is recorded anyway', log)
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)


def desktop_sandbox(sinks=''):
    """A Sandbox on this private bus, rule bakhmut, one blog showing a post
    of an hour ago (an old blog counts as over and is polled hourly), a
    poll a second; sinks: [sink] sections (none: the desktop default)."""
    sb = Sandbox(rules='[bakhmut]\nquery = Bakhmut\nurgency = critical\n', sinks=False,
                 extra_main='interval = 1',
                 env={'DBUS_SESSION_BUS_ADDRESS': os.environ['DBUS_SESSION_BUS_ADDRESS']})
    with open(sb.config, 'a') as f:
        f.write('\n' + sinks)
    sb.posts = [Post(published=stamp(3600), title='Morning', paras=['Quiet night.'])]
    sb.server.set('/live', body=render_blog(sb.posts, page_url=sb.url(), headline='Live'))
    return sb


def stamp(ago):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - ago))


def post_hot(sb):
    """After the baseline: a post that matches the rule."""
    wait_until(lambda: len(sb.server.requests('/live')) >= 2, timeout=15)
    hot = Post(published=stamp(60), title='Shelling near Bakhmut',
               paras=['Shelling continued near Bakhmut overnight.'])
    sb.server.set('/live', body=render_blog([hot] + sb.posts, page_url=sb.url(),
                                            headline='Live'))


def check_daemon(tap, bus):
    """`livewatch run` notifies from its delivery thread, keeps polling,
    and stops at once on SIGTERM."""
    if not os.environ.get('LW_BIN'):
        return
    sb = desktop_sandbox()
    try:
        clear_calls(bus)
        d = sb.start_daemon()
        post_hot(sb)
        got = wait_until(lambda: len(notify_calls(bus)) >= 1, timeout=15)
        if tap.check(got, 'run: the daemon shows a notification', d.log()):
            c = notify_calls(bus)[0]
            tap.check('bakhmut' in c['summary'], 'run: summary names the rule', c['summary'])
        n = len(sb.server.requests('/live'))
        tap.check(wait_until(lambda: len(sb.server.requests('/live')) >= n + 2, timeout=10),
                  'run: polling goes on after the notification')
        rc, took = d.stop(15)
        tap.equal(rc, 0, 'run: exit status after SIGTERM')
        tap.check(took < 5, 'run: stops within 5 s')
        tap.equal(len(notify_calls(bus)), 1, 'run: one notification for one post')
    finally:
        sb.close()


def check_click(tap, bus):
    """`livewatch run`: a click on a notification (the server's
    ActionInvoked for the "default" action) opens the entry's url with the
    program in $LIVEWATCH_BROWSER at once, with no alert coming after it."""
    if not os.environ.get('LW_BIN'):
        return
    sb = desktop_sandbox()
    try:
        opened = os.path.join(sb.dir, 'opened')
        opener = os.path.join(sb.dir, 'opener')
        with open(opener, 'w') as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$1" >> %s\n' % opened)
        os.chmod(opener, 0o755)
        with open(sb.config, 'a') as f:
            f.write('[sink "desk"]\ntype = desktop\n\n'
                    '[sink "file"]\ntype = file\npath = %s\n' % sb.alerts_path)
        clear_calls(bus)
        d = sb.start_daemon(env={'LIVEWATCH_BROWSER': opener})
        post_hot(sb)
        got = wait_until(lambda: len(notify_calls(bus)) >= 1 and len(sb.alerts()) >= 1,
                         timeout=15)
        if not tap.check(got, 'click: the daemon shows the alert', d.log()):
            return
        calls = notify_calls(bus)
        tap.check(calls[0]['actions'][:1] == ['default'], 'click: the notification has a '
                  'default action', calls[0]['actions'])
        url = sb.alerts()[0]['url']
        tap.check(url.startswith(sb.url()), 'click: the alert has the entry url', url)
        # the id the mock gave that notification: its last one
        mock = dbus.Interface(bus.get_object(MOCK_NAME, MOCK_PATH), MOCK_IFACE)
        mock.AddMethod(MOCK_NAME, 'LastId', '', 'u', 'ret = self.next_id - 1')
        last_id = dbus.Interface(bus.get_object(MOCK_NAME, MOCK_PATH), MOCK_NAME).LastId()
        tap.check(not lines_of(opened), 'click: nothing opened before the click',
                  lines_of(opened))
        t = time.monotonic()
        mock.EmitSignal(MOCK_NAME, 'ActionInvoked', 'us', [dbus.UInt32(last_id), 'default'])
        ok = wait_until(lambda: lines_of(opened), timeout=1.0)
        took = time.monotonic() - t
        tap.check(ok, 'click: the url is opened within a second (%.2f s)' % took, d.log())
        tap.equal(lines_of(opened), [url], 'click: the opener got the entry url')
        tap.equal(len(notify_calls(bus)), 1, 'click: no notification came after the alert')
        tap.equal(len(sb.alerts()), 1, 'click: no alert came after the first')
        rc, _ = d.stop(15)
        tap.equal(rc, 0, 'click: exit status after SIGTERM')
    finally:
        sb.close()


def main():
    if not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
        skip_all('no private session bus (run under dbus-run-session)')
    builddir = os.environ.get('LW_BUILDDIR')
    if not builddir:
        skip_all('LW_BUILDDIR not set (run through meson test)')
    bus = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])
    tap = Tap()
    if bus.name_has_owner(MOCK_NAME):
        tap.check(False, 'the private bus has no notification server yet',
                  'something already owns ' + MOCK_NAME)
    else:
        check_no_server(tap, builddir)
    try:
        mock = start_mock(bus)
    except Exception as e:  # noqa: BLE001 - reported as a TAP failure
        tap.check(False, 'start the dbusmock notification daemon', e)
        return tap.finish()
    try:
        check_library(tap, bus, builddir)
        check_end_to_end(tap, bus)
        check_daemon(tap, bus)
        check_click(tap, bus)
    finally:
        mock.terminate()
        try:
            mock.wait(timeout=5)
        except subprocess.TimeoutExpired:
            mock.kill()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
