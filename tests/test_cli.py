#!/usr/bin/env python3
"""Integration: the command line (exit codes, check, extract, match, demo)."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import LW_BIN, SRCDIR, Sandbox, Skip, check, eq, run_tests, scratch  # noqa: E402


def lw(*args, env=None, input=None, timeout=120):
    e = dict(os.environ)
    e.pop('DBUS_SESSION_BUS_ADDRESS', None)
    if env:
        e.update(env)
    return subprocess.run([LW_BIN] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, input=input,
                          timeout=timeout, env=e)


def test_help_and_version():
    p = lw('--help')
    eq(p.returncode, 0)
    for cmd in ('run', 'poll', 'check', 'extract', 'match', 'demo'):
        check(cmd in p.stdout, 'help mentions %s' % cmd)
    p = lw('--version')
    eq(p.returncode, 0)
    check(re.match(r'^livewatch \d+\.\d+\.\d+\n$', p.stdout), p.stdout)
    eq(lw().returncode, 2, 'no command')
    eq(lw('frobnicate').returncode, 2, 'unknown command')
    eq(lw('--bogus', 'poll').returncode, 2, 'unknown option')


def test_every_command_has_its_own_help():
    # No config anywhere: a command that ran instead of printing its usage
    # would fail for want of one (or start the daemon).
    env = {'XDG_CONFIG_HOME': scratch('lw-cli-help-')}
    for cmd in ('run', 'poll', 'check', 'log', 'show', 'extract', 'match', 'gc', 'demo'):
        for flag in ('-h', '--help'):
            p = lw(cmd, flag, env=env, timeout=20)
            eq(p.returncode, 0, '%s %s: %s' % (cmd, flag, p.stderr))
            check(p.stdout.startswith('usage: livewatch') and (' %s' % cmd) in p.stdout.split('\n')[0],
                  '%s %s: %r' % (cmd, flag, p.stdout))
            eq(p.stderr, '', '%s %s' % (cmd, flag))
    # after operands too, and an unknown option is bad usage naming it
    p = lw('poll', 'some-blog', '--help', env=env, timeout=20)
    eq(p.returncode, 0, p.stderr)
    check(p.stdout.startswith('usage: livewatch [-c CONFIG] poll'), p.stdout)
    p = lw('run', '--frobnicate', env=env, timeout=20)
    eq(p.returncode, 2)
    check("unknown option '--frobnicate'" in p.stderr, p.stderr)
    p = lw('check', 'extra', env=env, timeout=20)
    eq(p.returncode, 2)
    check("unexpected argument 'extra'" in p.stderr, p.stderr)


def test_check_good_and_bad_configs():
    d = scratch('lw-cli-')
    cfg = os.path.join(d, 'config.ini')
    rules = os.path.join(SRCDIR, 'rules')
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrules = %s\nrepo = %s/h\n\n[blog "a"]\nurl = https://example.org/live\n'
                % (rules, d))
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 0, p.stderr)
    check('ok: 1 blog' in p.stdout, p.stdout)
    check(not os.path.exists(os.path.join(d, 'h')), 'check does not create the repository')

    with open(cfg, 'w') as f:
        f.write('[livewatch]\ninterval = fast\n')
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 2)
    check('%s:2:' % cfg in p.stderr, p.stderr)

    bad_rules = os.path.join(d, 'bad.rules')
    with open(bad_rules, 'w') as f:
        f.write('[ok]\nquery = Bakhmut\n\n[broken]\nquery = (Leopard OR\n')
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrules = %s\n\n[blog "a"]\nurl = https://example.org/live\n' % bad_rules)
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 2)
    check('%s:5:' % bad_rules in p.stderr, p.stderr)

    with open(cfg, 'w') as f:
        f.write('[blog "a"]\nurl = https://example.org/live\nformat = rss-maybe\n')
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 2)
    check('%s:3: unknown format' % cfg in p.stderr, p.stderr)

    p = lw('-c', os.path.join(d, 'missing.ini'), 'check')
    eq(p.returncode, 2)
    check('missing.ini' in p.stderr, p.stderr)

    # The default config path follows XDG_CONFIG_HOME.
    p = lw('check', env={'XDG_CONFIG_HOME': os.path.join(d, 'xdg')})
    eq(p.returncode, 2)
    check(os.path.join(d, 'xdg', 'livewatch', 'config.ini') in p.stderr, p.stderr)


def test_check_says_every_problem_of_a_setup_that_cannot_work():
    d = scratch('lw-cli-')
    cfg = os.path.join(d, 'config.ini')
    rules = os.path.join(d, 'r.rules')
    with open(rules, 'w') as f:
        f.write('[typo]\nquery = Bakhmut\nblogs = guardian\n\n'
                '[case]\nquery = Leopard\nblogs = A\nsinks = alerts\n\n'
                '[phone]\nquery = tanks\nsinks = phone\n')
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrepo = %s/h\nrules = %s\n\n'
                '[blog "guardian-ukraine"]\nurl = https://example.org/live\n\n'
                '[blog "a"]\nurl = https://example.org/a\nformat = nonsense\n\n'
                '[sink "alerts"]\ntype = file\npath = %s/alerts.jsonl\n' % (d, rules, d))
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 2, p.stdout)
    check("%s:3: rule 'typo': no blog 'guardian' (did you mean 'guardian-ukraine'?)" % rules
          in p.stderr, p.stderr)
    check("%s:7: rule 'case': no blog 'A' (did you mean 'a'?)" % rules in p.stderr, p.stderr)
    check("%s:12: rule 'phone': no sink 'phone'" % rules in p.stderr, p.stderr)
    check("%s:10: unknown format 'nonsense'" % cfg in p.stderr, p.stderr)
    eq(len([l for l in p.stderr.splitlines() if l.startswith('error: ')]), 4, p.stderr)

    # poll refuses what check refuses, before fetching anything
    p = lw('-c', cfg, 'poll')
    eq(p.returncode, 2, p.stderr)
    check("unknown format 'nonsense'" in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(d, 'h')), 'nothing recorded')
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrepo = %s/h\n\n[blog "x"]\nurl = https://example.org/x\n'
                'format = xpath\nentry = //article[\nbody = .\n' % d)
    for cmd in ('check', 'poll'):
        p = lw('-c', cfg, cmd)
        eq(p.returncode, 2, cmd + ': ' + p.stderr)
        check('%s:7: [blog "x"]' % cfg in p.stderr, cmd + ': ' + p.stderr)

    # every bad value of the config, not only the first
    with open(cfg, 'w') as f:
        f.write('[livewatch]\ninterval = fast\n\n[blog "a"]\nurl = ftp://x.org/\n\n'
                '[blog "b"]\npages = many\n')
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 2)
    for line in (2, 5, 7, 8):
        check('error: %s:%d: ' % (cfg, line) in p.stderr, '%d in %s' % (line, p.stderr))
    eq(len(p.stderr.splitlines()), 4, p.stderr)

    # no blog, an empty rules folder, a rules path that is not there, a
    # repository that cannot be created: all at once, with FILE:LINE
    empty = os.path.join(d, 'empty-rules')
    os.mkdir(empty)
    blocker = os.path.join(d, 'a-file')
    open(blocker, 'w').close()
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrepo = %s/h\nrules = %s, %s/missing.rules\n'
                % (blocker, empty, d))
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 2, p.stdout)
    check('%s: no [blog "NAME"] to watch' % cfg in p.stderr, p.stderr)
    check("%s:3: rule folder '%s' holds no *.rules file" % (cfg, empty) in p.stderr, p.stderr)
    check("%s:3: rules '%s/missing.rules': no such file or folder" % (cfg, d) in p.stderr,
          p.stderr)
    check("%s:2: repository '%s/h' cannot be created: '%s' is not a folder"
          % (cfg, blocker, blocker) in p.stderr, p.stderr)

    # the files a push reads, said now rather than at the first push
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrepo = %s/h\npush = %s/shared.git\npush_token = %s/token\n'
                'push_ca = %s/ca.pem\npush_known_hosts = %s\n\n'
                '[blog "x"]\nurl = https://example.org/x\n' % (d, d, d, d, empty))
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 0, p.stderr)   # warnings: the history is recorded anyway
    check("warning: %s:4: push_token '%s/token': no such file: every push will fail"
          % (cfg, d) in p.stderr, p.stderr)
    check("warning: %s:5: push_ca '%s/ca.pem': no such file" % (cfg, d) in p.stderr, p.stderr)
    check("warning: %s:6: push_known_hosts '%s' is a folder, not a file" % (cfg, empty)
          in p.stderr, p.stderr)
    # without push =, they are not read
    with open(cfg, 'w') as f:
        f.write('[livewatch]\nrepo = %s/h\npush_ca = %s/ca.pem\n\n'
                '[blog "x"]\nurl = https://example.org/x\n' % (d, d))
    p = lw('-c', cfg, 'check')
    eq(p.returncode, 0, p.stderr)
    check('push_ca' not in p.stderr, p.stderr)


def test_poll_usage_errors():
    sb = Sandbox()
    try:
        p = sb.livewatch('poll', 'no-such-blog')
        eq(p.returncode, 2)
        check("no-such-blog" in p.stderr, p.stderr)
        # An unreachable blog is a runtime failure, not bad usage.
        sb.server.stop()
        p = sb.livewatch('poll')
        eq(p.returncode, 1, p.stderr)
        check("warning: live: cannot fetch '%s': connection refused\n" % sb.url() in p.stderr,
              p.stderr)
    finally:
        sb.close()


def test_extract_json_lines():
    posts = [Post(published='2023-02-14T12:00:00Z', title='Second', paras=['Two.'], seed=2),
             Post(published='2023-02-14T11:00:00Z', title=None,
                  paras=['One.', ('quote', ['Quoted.']), ('list', ['a', 'b'])], seed=1)]
    html = render_blog(posts, page_url='https://example.org/live', headline='Live')
    d = scratch('lw-cli-')
    path = os.path.join(d, 'page.html')
    with open(path, 'w') as f:
        f.write(html)
    p = lw('extract', '--json', path)
    eq(p.returncode, 0, p.stderr)
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    eq([r['id'] for r in rows], [p_.id for p_ in posts], 'page order')
    for key in ('id', 'title', 'body', 'published', 'updated', 'url'):
        check(key in rows[0], 'key %s' % key)
    eq(rows[0]['title'], 'Second')
    eq(rows[1]['body'], posts[1].body_text())
    eq(rows[1]['published'], '2023-02-14T11:00:00Z')
    p = lw('extract', path)
    eq(p.returncode, 0)
    check('format guardian, 2 entries' in p.stdout, p.stdout)
    p = lw('extract', '--format', 'nonsense', path)
    eq(p.returncode, 2)
    p = lw('extract', os.path.join(d, 'missing.html'))
    eq(p.returncode, 1)
    check('missing.html' in p.stderr, p.stderr)


def test_extract_url():
    sb = Sandbox()
    try:
        posts = [Post(published='2023-02-14T12:00:00Z', title='Over HTTP', paras=['Text.'])]
        sb.server.set('/live', body=render_blog(posts, page_url=sb.url(), headline='Live'))
        p = lw('extract', '--json', sb.url())
        eq(p.returncode, 0, p.stderr)
        eq(json.loads(p.stdout.splitlines()[0])['title'], 'Over HTTP')
        sb.server.set('/gone', status=404, body='no')
        eq(lw('extract', sb.url('/gone')).returncode, 1)
    finally:
        sb.close()


def test_match():
    p = lw('match', 'Bakhmut~', input='Heavy shelling near Bahkmut overnight.\n')
    eq(p.returncode, 0, p.stderr)
    check('Bahkmut' in p.stdout, p.stdout)
    p = lw('match', 'Leopard', input='A day at Leopardstown races.\n')
    eq(p.returncode, 1)
    check('no match' in p.stdout)
    p = lw('match', '(Leopard OR')
    eq(p.returncode, 2)
    check('column' in p.stderr, p.stderr)


def test_demo():
    path = os.path.join(SRCDIR, 'demo', 'expected.json')
    with open(path) as f:
        expected = json.load(f)
    p = lw('demo', env={'TMPDIR': scratch('lw-demo-')})
    eq(p.returncode, 0, p.stderr + p.stdout)
    m = re.search(r'history: (\S+)', p.stdout)
    check(m, p.stdout)
    repo = m.group(1)
    check('git -C %s log' % repo in p.stdout, 'prints the git commands')
    count = int(subprocess.run(['git', '-C', repo, 'rev-list', '--count', 'HEAD'],
                               stdout=subprocess.PIPE, text=True, check=True).stdout)
    eq(count, 1 + len(expected['versions']), 'one commit per version plus README')
    alerts_path = os.path.join(os.path.dirname(repo), 'alerts.jsonl')
    alerts = []
    if os.path.exists(alerts_path):
        with open(alerts_path) as f:
            alerts = [json.loads(line) for line in f]
    want_alerts = []
    n = len(expected['versions'])
    for i, v in enumerate(expected['versions']):
        rev = 'HEAD~%d' % (n - 1 - i)
        out = subprocess.run(['git', '-C', repo, 'diff', '--name-status', rev + '~1', rev,
                              '--', 'ukraine-live/entries/'],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        got = set()
        for line in out.splitlines():
            st, f = line.split('\t')
            got.add((st, os.path.basename(f)[:-3]))
        want = {('A', x) for x in v['new']} | {('M', x) for x in v['edited']} | \
               {('D', x) for x in v['removed']}
        eq(got, want, 'version %d changes' % (i + 1))
        when = subprocess.run(['git', '-C', repo, 'log', '-1', '--format=%aI', rev],
                              stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        eq(when.replace('+00:00', 'Z'), v['fetched'], 'commit time = fetch time')
        want_alerts += [(a['rule'], a['entry']) for a in v['alerts']]
    eq(sorted((a['rule'], a['entry']) for a in alerts), sorted(want_alerts), 'alerts')
    check('ALERT [bakhmut' in p.stdout, p.stdout)


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
