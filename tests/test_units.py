#!/usr/bin/env python3
"""The systemd units: they verify, the system unit's sandbox is tight, and
the daemon keeps the promises the units make about it.

- systemd-analyze verify on both units, rendered with the built binary as
  ExecStart (verify checks that the binary exists), with no output at all:
  verify exits 0 on unknown keys, so a warning must fail the test too.
- systemd-analyze security --offline=true of the system unit: exposure at
  most 2.0; an unhardened copy must score worse, so the check can fail.
- meson installs the units where pkg-config's systemd puts them.
- every system call the daemon makes through a poll, a reload and a stop
  is allowed by the unit's SystemCallFilter (strace; skipped without it).
- the notify protocol Type=notify relies on, and history landing in
  $XDG_DATA_HOME/livewatch/history as the system unit's Environment= says.

Skips (saying so) only when systemd-analyze is missing.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lwtest import (LW_BIN, Sandbox, Skip, check, eq, run_tests, sanitized,  # noqa: E402
                    wait_for)
from lwblog import Post, render_blog  # noqa: E402

BUILDDIR = os.environ.get('LW_BUILDDIR', os.path.join(HERE, '..', 'build'))
UNITS = {'livewatch.service': 'user', 'livewatch-system.service': 'system'}
MAX_EXPOSURE = 2.0
ANALYZE = shutil.which('systemd-analyze')


def need_analyze():
    if not ANALYZE:
        raise Skip('systemd-analyze not installed (tools/bootstrap.sh test installs systemd)')


def built_unit(name):
    path = os.path.join(BUILDDIR, 'systemd', name)
    check(os.path.exists(path), '%s not generated in the build dir' % path)
    with open(path) as f:
        return f.read()


def settings(text):
    """{key: [values]} of a unit file (sections merged; keys are distinct)."""
    res = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in '#;[':
            continue
        k, _, v = line.partition('=')
        res.setdefault(k.strip(), []).append(v.strip())
    return res


def exec_start_binary(text):
    return settings(text)['ExecStart'][0].split()[0]


def render_for_test(name, tmp):
    """The built unit with ExecStart pointing at the built binary."""
    text = built_unit(name)
    text = text.replace(exec_start_binary(text), os.path.abspath(LW_BIN))
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def analyze(args, user=False, tmp=None):
    env = dict(os.environ)
    cmd = [ANALYZE, '--no-pager']
    if user:
        # The user manager that verify sets up wants a runtime dir; CI
        # machines and containers have no login session.
        rt = os.path.join(tmp, 'runtime')
        os.makedirs(rt, mode=0o700, exist_ok=True)
        env['XDG_RUNTIME_DIR'] = rt
        cmd.append('--user')
    return subprocess.run(cmd + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env, timeout=60)


def verify(path, user):
    # --man=no: the man pages are not installed where man(1) looks during
    # a build; test_rendered_units checks Documentation= names ours.
    return analyze(['--man=no', 'verify', path], user=user, tmp=os.path.dirname(path))


def exposure(path):
    p = analyze(['security', '--offline=true', path])
    m = re.search(r'Overall exposure level for \S+: (\d+\.\d+)', p.stdout)
    check(m, 'no exposure level in systemd-analyze security output:\n' + p.stdout)
    return float(m.group(1)), p.stdout


def test_rendered_units():
    for name, kind in UNITS.items():
        text = built_unit(name)
        check(not re.search(r'@[a-z_]+@', text), '%s: unsubstituted @var@' % name)
        s = settings(text)
        binary = exec_start_binary(text)
        check(os.path.isabs(binary) and binary.endswith('/bin/livewatch'),
              '%s: ExecStart binary %r' % (name, binary))
        check(s['ExecStart'][0].endswith(' run'), '%s: ExecStart is not `run`' % name)
        eq(s.get('Type'), ['notify'], name + ' Type')
        eq(s.get('ExecReload'), ['/bin/kill -HUP $MAINPID'], name + ' ExecReload')
        check(int(s['TimeoutStopSec'][0]) >= 10, name + ': TimeoutStopSec below 10 s')
        check('man:livewatch(1)' in s['Documentation'][0], name + ': Documentation')
        check(os.path.exists(os.path.join(HERE, '..', 'doc', 'livewatch.1.scd')),
              'doc/livewatch.1.scd missing')
        eq(s.get('WantedBy'), ['default.target' if kind == 'user' else 'multi-user.target'],
           name + ' WantedBy')
    s = settings(built_unit('livewatch-system.service'))
    for key, want in (('DynamicUser', 'yes'), ('StateDirectory', 'livewatch'),
                      ('ConfigurationDirectory', 'livewatch'), ('ProtectSystem', 'strict'),
                      ('ProtectHome', 'yes'), ('PrivateTmp', 'yes'), ('PrivateDevices', 'yes'),
                      ('NoNewPrivileges', 'yes'), ('MemoryDenyWriteExecute', 'yes'),
                      ('SystemCallFilter', '@system-service')):
        check(want in s.get(key, []), 'system unit: %s=%s missing' % (key, want))
    eq(sorted(s['RestrictAddressFamilies'][0].split()), ['AF_INET', 'AF_INET6', 'AF_UNIX'],
       'RestrictAddressFamilies')
    # The config is read from the ConfigurationDirectory, history goes to
    # the StateDirectory: the two must agree with the paths the unit uses.
    check('-c /etc/livewatch/config.ini run' in s['ExecStart'][0], 'system ExecStart config')
    check('XDG_DATA_HOME=/var/lib' in s['Environment'], 'system unit XDG_DATA_HOME')


def test_install_dirs():
    with open(os.path.join(BUILDDIR, 'meson-info', 'intro-installed.json')) as f:
        installed = json.load(f)
    with open(os.path.join(BUILDDIR, 'meson-info', 'intro-buildoptions.json')) as f:
        prefix = [o['value'] for o in json.load(f) if o['name'] == 'prefix'][0]
    root_prefix = '' if prefix == '/usr' else prefix
    want = {}
    pc = shutil.which('pkg-config')
    for name, var, define in (('livewatch.service', 'systemduserunitdir', 'prefix=' + prefix),
                              ('livewatch-system.service', 'systemdsystemunitdir',
                               'root_prefix=' + root_prefix)):
        d = None
        if pc:
            p = subprocess.run([pc, '--define-variable=' + define, '--variable=' + var, 'systemd'],
                               stdout=subprocess.PIPE, text=True)
            d = p.stdout.strip() if p.returncode == 0 else None
        if not d:
            d = os.path.join(prefix, 'lib', 'systemd', 'user' if 'user' in var else 'system')
        want[name] = os.path.join(d, name)
    for name, dest in want.items():
        got = installed.get(os.path.join(os.path.abspath(BUILDDIR), 'systemd', name))
        eq(got, dest, name + ' install path')
    if prefix == '/usr/local':
        # systemd must find them there.
        for name, kind in UNITS.items():
            d = os.path.dirname(want[name])
            check(d in ('/usr/local/lib/systemd/user', '/usr/local/lib/systemd/system'),
                  '%s installs to %s, outside systemd\'s search path' % (name, d))


def test_verify_units():
    need_analyze()
    tmp = tempfile.mkdtemp(prefix='lw-units-')
    try:
        for name, kind in UNITS.items():
            path = render_for_test(name, tmp)
            p = verify(path, kind == 'user')
            eq((p.returncode, p.stdout.strip()), (0, ''), 'systemd-analyze verify ' + name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_verify_can_fail():
    """The verify check above is only worth something if verify complains."""
    need_analyze()
    tmp = tempfile.mkdtemp(prefix='lw-units-')
    try:
        path = render_for_test('livewatch-system.service', tmp)
        with open(path) as f:
            good = f.read()
        with open(path, 'w') as f:
            f.write(good.replace('ProtectHome=yes', 'ProtectHom=yes'))
        p = verify(path, False)
        check('ProtectHom' in p.stdout, 'verify did not report a misspelt key:\n' + p.stdout)
        with open(path, 'w') as f:
            f.write(good.replace(os.path.abspath(LW_BIN), '/nonexistent/livewatch'))
        p = verify(path, False)
        check(p.returncode != 0 and '/nonexistent/livewatch' in p.stdout,
              'verify accepted a missing ExecStart binary:\n' + p.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_security_exposure():
    need_analyze()
    tmp = tempfile.mkdtemp(prefix='lw-units-')
    try:
        path = render_for_test('livewatch-system.service', tmp)
        level, out = exposure(path)
        check(level <= MAX_EXPOSURE, 'exposure %.1f > %.1f:\n%s' % (level, MAX_EXPOSURE, out))
        print('# livewatch-system.service exposure %.1f' % level)
        # Without the sandbox the same unit must score worse, or the
        # threshold proves nothing.
        with open(path) as f:
            text = f.read()
        keep = ('Type', 'ExecStart', 'ExecReload', 'Environment', 'Description',
                'WantedBy', 'Restart', 'StateDirectory', 'ConfigurationDirectory')
        bare = '\n'.join(line for line in text.splitlines()
                         if not re.match(r'\w+=', line) or line.split('=')[0] in keep)
        with open(path, 'w') as f:
            f.write(bare + '\n')
        level_bare, out = exposure(path)
        check(level_bare > MAX_EXPOSURE, 'an unhardened unit scored %.1f' % level_bare)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def syscall_group(name, seen=None):
    """The system calls of a systemd-analyze syscall-filter group, nested
    groups expanded."""
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    p = analyze(['syscall-filter', name])
    check(p.returncode == 0, 'syscall-filter %s: %s' % (name, p.stdout))
    res = set()
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or line == name:
            continue
        if line.startswith('@'):
            res |= syscall_group(line, seen)
        else:
            res.add(line)
    return res


def blog_page(server, n):
    posts = [Post(published='2023-02-14T%02d:%02d:00Z' % (10 + i // 60, i % 60),
                  title='Post %d' % i, paras=['Heavy shelling reported in sector %d.' % i])
             for i in range(n, 0, -1)]
    return render_blog(posts, page_url=server.url('/live'), headline='Live: test',
                       relative_times=False)


def system_unit_env(sb):
    """The environment the system unit gives the daemon, rooted in sb.dir."""
    env = dict(sb.env)
    env['XDG_DATA_HOME'] = os.path.join(sb.dir, 'var', 'lib')
    env.pop('NOTIFY_SOCKET', None)
    env.pop('WATCHDOG_USEC', None)
    env.pop('WATCHDOG_PID', None)
    return env


def unit_config(sb):
    """Like the server's /etc/livewatch/config.ini: no repo key."""
    with open(sb.config, 'w') as f:
        f.write('[livewatch]\nrules = test.rules\ntimeout = 5\ninterval = 60\n\n'
                '[blog "live"]\nurl = %s\n\n[sink "file"]\ntype = file\npath = %s\n'
                % (sb.url('/live'), sb.alerts_path))


def server_sinks_config(sb):
    """unit_config() plus an exec and a webhook sink, and a rule that the
    post blog_page(sb.server, 4) adds fires: returns the file the hook
    writes the alert to."""
    sb.server.set('/live', body=blog_page(sb.server, 3), auto_etag=True)
    sb.server.set('/hook', body='ok')
    unit_config(sb)
    hook_out = os.path.join(sb.dir, 'hook.json')
    with open(os.path.join(sb.dir, 'test.rules'), 'w') as f:
        f.write('[shelling]\nquery = shelling\n')
    with open(sb.config, 'a') as f:
        f.write('\n[sink "hook"]\ntype = exec\ncommand = /bin/sh -c \'cat > "$0"\' %s\n'
                '\n[sink "push"]\ntype = webhook\nurl = %s\n' % (hook_out, sb.url('/hook')))
    return hook_out


def traced_child(pid):
    """The daemon strace started: strace forks short-lived children of its
    own first to probe ptrace, so look for the one running our binary."""
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return None
    for k in kids:
        try:
            if os.path.samefile('/proc/%d/exe' % k, LW_BIN):
                return k
        except OSError:
            pass
    return None


# Calls outside the unit's filter that the daemon may make and that work
# out when refused with EPERM (test_refused_calls_handled proves it).
REFUSED_AND_HANDLED = {
    'sched_setattr': 'GLib 2.74 probes whether it may copy the scheduler settings to '
                     'the threads of its pools (GTask, used by the exec sink); refused, '
                     'it starts them from a spawner thread instead',
}


def test_refused_calls_handled():
    """The exec sink, a webhook and a commit under a seccomp filter that
    refuses REFUSED_AND_HANDLED's calls with EPERM, as the unit does;
    GLib criticals are fatal here."""
    deny = os.path.join(BUILDDIR, 'tests', 'seccomp-deny')
    if sanitized():
        raise Skip('built with a sanitizer, whose runtime makes calls of its own')
    sb = Sandbox()
    try:
        hook_out = server_sinks_config(sb)
        env = dict(system_unit_env(sb), G_DEBUG='fatal-criticals')
        cmd = [deny, ','.join(REFUSED_AND_HANDLED), LW_BIN, '-c', sb.config, 'poll']
        for n in (3, 4):
            sb.server.set('/live', body=blog_page(sb.server, n), auto_etag=True)
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=60)
            eq(p.returncode, 0, 'poll under seccomp-deny; output:\n' + p.stdout)
            check('warning' not in p.stdout and 'CRITICAL' not in p.stdout,
                  'complaints under seccomp-deny:\n' + p.stdout)
        with open(hook_out) as f:
            eq(json.loads(f.read())['rule'], 'shelling', 'the alert the hook got')
        eq(len(sb.server.requests('/hook')), 1, 'webhook deliveries')
        # the filter does refuse: a probe of the same call fails with EPERM
        probe = subprocess.run([deny, 'setpriority', '/usr/bin/nice', '-n', '1', 'true'],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        check('Operation not permitted' in probe.stdout,
              'seccomp-deny did not refuse setpriority: %r' % probe.stdout)
    finally:
        sb.close()


def test_daemon_syscalls_allowed():
    need_analyze()
    if sanitized():
        raise Skip('built with a sanitizer: its runtime makes calls the daemon does not, '
                   'and cannot run under ptrace')
    strace = shutil.which('strace')
    if not strace:
        raise Skip('strace not installed: cannot check the SystemCallFilter')
    allowed = syscall_group('@system-service')
    for g in ('@privileged', '@resources'):
        allowed -= syscall_group(g)
    check(len(allowed) > 100, 'suspiciously few allowed system calls: %d' % len(allowed))
    sb = Sandbox()
    try:
        # The alert of the second poll goes through every kind of sink that
        # works on a server, so their system calls are traced too.
        hook_out = server_sinks_config(sb)
        env = system_unit_env(sb)
        trace = os.path.join(sb.dir, 'strace.out')
        p = subprocess.Popen([strace, '-f', '-qq', '-o', trace, LW_BIN, '-c', sb.config, 'run'],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Signals go to the daemon, not to strace (which would detach).
        pid = None
        try:
            pid = wait_for(lambda: traced_child(p.pid), 'strace to start the daemon', timeout=10)
            repo = os.path.join(env['XDG_DATA_HOME'], 'livewatch', 'history')
            wait_for(lambda: os.path.isdir(os.path.join(repo, 'live')), 'the first poll',
                     timeout=30)
            sb.server.set('/live', body=blog_page(sb.server, 4), auto_etag=True)
            os.kill(pid, signal.SIGHUP)
            time.sleep(1)
            os.kill(pid, signal.SIGUSR1)
            wait_for(lambda: len(sb.server.requests('/live')) >= 2, 'the second poll',
                     timeout=30)
            wait_for(lambda: os.path.exists(hook_out) and os.path.getsize(hook_out) > 0,
                     'the exec sink', timeout=30)
            wait_for(lambda: sb.server.requests('/hook'), 'the webhook sink', timeout=30)
            time.sleep(1)
        finally:
            if pid:
                os.kill(pid, signal.SIGTERM)
            else:
                p.kill()
            out = p.communicate(timeout=30)[0]
        eq(p.returncode, 0, 'exit status under strace; output:\n' + out)
        used = set()
        with open(trace) as f:
            for line in f:
                m = re.match(r'\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]', line)
                if m and m.group(1) not in ('exited', 'killed', 'resumed'):
                    used.add(m.group(1))
        # The trace starts with strace's own execve of the daemon.
        check('openat' in used and 'execve' in used, 'strace trace unreadable: %r' % sorted(used))
        print('# %d distinct system calls traced, %d allowed by the filter' % (len(used), len(allowed)))
        with open(hook_out) as f:
            eq(json.loads(f.read())['rule'], 'shelling', 'the alert the hook got')
        denied = sorted(used - allowed - set(REFUSED_AND_HANDLED))
        eq(denied, [], 'system calls the unit\'s SystemCallFilter would refuse (EPERM)')
    finally:
        sb.close()


def test_notify_protocol():
    """What Type=notify, ExecReload, WatchdogSec and TimeoutStopSec assume."""
    sb = Sandbox()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sb.server.set('/live', body=blog_page(sb.server, 3), auto_etag=True)
        unit_config(sb)
        env = system_unit_env(sb)
        addr = os.path.join(sb.dir, 'notify.sock')
        sock.bind(addr)
        sock.settimeout(0.2)
        env['NOTIFY_SOCKET'] = addr
        env['WATCHDOG_USEC'] = '1000000'
        got = []

        def expect(word, timeout):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                try:
                    msg = sock.recv(4096).decode()
                except socket.timeout:
                    continue
                got.append(msg)
                if word in msg.split('\n'):
                    return
            raise AssertionError('no %s within %s s; got %r' % (word, timeout, got))

        p = subprocess.Popen([LW_BIN, '-c', sb.config, 'run'], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            expect('READY=1', 20)
            expect('WATCHDOG=1', 3)
            repo = os.path.join(env['XDG_DATA_HOME'], 'livewatch', 'history')
            wait_for(lambda: os.path.isdir(os.path.join(repo, 'live', 'entries')),
                     'history in $XDG_DATA_HOME/livewatch/history', timeout=30)
            got.clear()
            p.send_signal(signal.SIGHUP)
            expect('RELOADING=1', 10)
            expect('READY=1', 10)
            got.clear()
            t0 = time.monotonic()
            p.send_signal(signal.SIGTERM)
            expect('STOPPING=1', 10)
            out = p.communicate(timeout=10)[0]
            took = time.monotonic() - t0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        eq(p.returncode, 0, 'exit status after SIGTERM; output:\n' + out)
        check(took < 10, 'stopped in %.1f s, the unit allows 10' % took)
        check(os.path.isdir(os.path.join(repo, '.git')), 'no repository at ' + repo)
    finally:
        sock.close()
        sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
