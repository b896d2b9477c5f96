#!/usr/bin/env python3
"""The Debian package (debian/), built, checked and installed for real.

- debian/changelog names meson.build's version (always runs).
- The rest needs root (dpkg -i) and the packaging tools; without them it
  skips, saying what is missing (under CI, where tools/bootstrap.sh test
  installs them, a missing tool fails instead):
  - the source tree as it is in the working tree (the files git tracks,
    uncommitted edits included, and new files git does not ignore; no build
    folder) is copied to a temporary folder and built with `dpkg-buildpackage -us -uc -b` in a
    clean environment (no CFLAGS, sanitizer or meson variables of this
    build leak into it);
  - lintian --pedantic on the .changes: any E: or W: fails;
  - dpkg -i; every file lands where the package promises; neither unit is
    enabled; `livewatch --version` is meson's; `livewatch demo` runs from
    the installed binary; `livewatch check` accepts the installed example
    config with the installed rules; systemd-analyze verify accepts both
    installed units (man pages included);
  - dpkg -r, then dpkg -P: no file is left behind and none that was there
    before is gone, in /usr, /etc and /var/lib (and /lib, /bin, /sbin
    where they are not links to /usr).

The package is purged at the end whatever happened.  tests/meson.build
registers this test only in builds without sanitizers (it does not use
the build's binary, and once per suite run is enough).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lwtest import SRCDIR, Skip, check, eq, run_tests  # noqa: E402

PKG = 'livewatch'
TOOLS = ('git', 'dpkg-buildpackage', 'dpkg-checkbuilddeps', 'dh', 'lintian', 'fakeroot',
         'systemd-analyze')
# What the package must install, and where (Debian 12 keeps system units in
# /lib/systemd/system).
PROMISED = (
    '/usr/bin/livewatch',
    '/lib/systemd/system/livewatch-system.service',
    '/usr/lib/systemd/user/livewatch.service',
    '/usr/share/man/man1/livewatch.1.gz',
    '/usr/share/man/man5/livewatch.ini.5.gz',
    '/usr/share/man/man5/livewatch.rules.5.gz',
    '/usr/share/doc/livewatch/examples/config.ini',
    '/usr/share/doc/livewatch/copyright',
    '/usr/share/doc/livewatch/changelog.gz',
    '/usr/share/livewatch/rules/ukraine.rules',
)
# Enabling either unit would leave these links.
ENABLED_LINKS = (
    '/etc/systemd/system/multi-user.target.wants/livewatch-system.service',
    '/etc/systemd/user/default.target.wants/livewatch.service',
)
# Where to look for files the package leaves behind.
WATCHED = ('/usr', '/etc', '/var/lib', '/lib', '/bin', '/sbin')
# A clean environment for the package build and the installed binary.
CLEAN_ENV = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8'}

state = {}


def meson_version():
    with open(os.path.join(SRCDIR, 'meson.build')) as f:
        m = re.search(r"project\([^)]*?\bversion\s*:\s*'([^']+)'", f.read(), re.S)
    check(m, 'meson.build: no version in project()')
    return m.group(1)


def changelog_version():
    with open(os.path.join(SRCDIR, 'debian', 'changelog')) as f:
        m = re.match(r'(\S+) \(([^)]+)\) ', f.readline())
    check(m, 'debian/changelog:1: not "livewatch (VERSION) DIST; urgency=..."')
    eq(m.group(1), PKG, 'debian/changelog:1 package name')
    return m.group(2)


def run(cmd, env=None, timeout=600, cwd=None):
    """Run cmd, output captured (stdout and stderr together)."""
    return subprocess.run(cmd, env=env or CLEAN_ENV, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def must(cmd, what, **kw):
    p = run(cmd, **kw)
    if p.returncode != 0:
        lines = p.stdout.splitlines()
        errors = [x for x in lines if re.search(r'error|FAILED|undefined reference', x, re.I)]
        raise AssertionError('%s: `%s` exited %d; its errors:\n%s\n... its last lines:\n%s'
                             % (what, ' '.join(cmd), p.returncode, '\n'.join(errors[:40]),
                                '\n'.join(lines[-15:])))
    return p.stdout


def unavailable(msg):
    """A missing tool skips the test, except under CI, where
    tools/bootstrap.sh test installs every one."""
    if os.environ.get('CI'):
        raise AssertionError(msg)
    raise Skip(msg)


def need_packaging():
    if os.geteuid() != 0:
        raise Skip('dpkg -i needs root (CI runs as root)')
    if not os.path.exists(os.path.join(SRCDIR, '.git')):
        raise Skip('%s is not a git checkout (a release tarball): git ls-files lists '
                   'what to package' % SRCDIR)
    missing = [t for t in TOOLS if not shutil.which(t, path=CLEAN_ENV['PATH'])]
    if missing:
        unavailable('missing %s (tools/bootstrap.sh test installs them)' % ', '.join(missing))
    p = run(['dpkg-checkbuilddeps', os.path.join(SRCDIR, 'debian', 'control')])
    if p.returncode != 0:
        unavailable('build dependencies missing: %s' % p.stdout.strip())


def installed_version():
    """The package's dpkg status and version ("ii 0.1.0", "rc 0.1.0"), or
    None when dpkg has no trace of it."""
    p = run(['dpkg-query', '-W', '-f=${db:Status-Abbrev}${Version}', PKG])
    if p.returncode != 0 or p.stdout[1:2] == 'n':
        return None
    return p.stdout


def dpkg(*args):
    """dpkg ARGS; waits (up to 5 minutes) while another dpkg or apt holds
    the lock instead of failing."""
    deadline = time.monotonic() + 300
    while True:
        p = run(['dpkg'] + list(args), timeout=300)
        if p.returncode == 0 or 'lock' not in p.stdout or time.monotonic() > deadline:
            check(p.returncode == 0, 'dpkg %s exited %d:\n%s'
                  % (' '.join(args), p.returncode, p.stdout))
            return p.stdout
        time.sleep(2)


def file_list():
    """Every path under WATCHED, links not followed; a folder that is a
    link (/lib -> usr/lib) is one entry."""
    paths = set()
    for top in WATCHED:
        if os.path.islink(top) or not os.path.isdir(top):
            continue
        for root, dirs, files in os.walk(top):
            paths.add(root)
            paths.update(os.path.join(root, n) for n in dirs + files)
    return paths


def built():
    if 'deb' not in state:
        raise Skip('the package was not built (see test_build)')
    return state['deb']


def copy_tree(dst):
    """The source as it is in the working tree: the files git tracks and the
    new files it does not ignore (build folders are ignored)."""
    out = subprocess.run(['git', '-C', SRCDIR, 'ls-files', '-z', '--cached', '--others',
                          '--exclude-standard'], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    for rel in filter(None, out.split('\0')):
        src = os.path.join(SRCDIR, rel)
        if not os.path.lexists(src):
            continue  # deleted in the working tree, not committed yet
        os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel), follow_symlinks=False)


def test_changelog_version():
    eq(changelog_version(), meson_version(), 'debian/changelog version against meson.build')


def test_build():
    need_packaging()
    have = installed_version()
    if have:
        raise Skip('%s is installed here (%s); this test installs and purges it, '
                   'so remove it first: dpkg -P %s' % (PKG, have, PKG))
    tmp = tempfile.mkdtemp(prefix='lw-deb-')
    state['tmp'] = tmp
    version = meson_version()
    src = os.path.join(tmp, '%s-%s' % (PKG, version))
    copy_tree(src)
    check(not any(n.startswith('build') for n in os.listdir(src)),
          'a build folder was copied: %s' % os.listdir(src))
    home = os.path.join(tmp, 'home')
    os.mkdir(home)
    env = dict(CLEAN_ENV, HOME=home, TMPDIR=tmp)
    t0 = time.monotonic()
    log = must(['dpkg-buildpackage', '-us', '-uc', '-b'], 'package build', env=env, cwd=src,
               timeout=1200)
    print('# dpkg-buildpackage took %.0f s' % (time.monotonic() - t0), flush=True)
    check('-fsanitize' not in log, 'the package build used sanitizer flags')
    arch = must(['dpkg', '--print-architecture'], 'dpkg').strip()
    deb = os.path.join(tmp, '%s_%s_%s.deb' % (PKG, version, arch))
    check(os.path.exists(deb), '%s not built; %s has %s' % (deb, tmp, os.listdir(tmp)))
    check(os.path.exists(os.path.join(tmp, '%s-dbgsym_%s_%s.deb' % (PKG, version, arch))),
          'no -dbgsym package')
    eq(must(['dpkg-deb', '-f', deb, 'Version'], 'dpkg-deb').strip(), version, '.deb Version')
    state['deb'] = deb
    state['changes'] = os.path.join(tmp, '%s_%s_%s.changes' % (PKG, version, arch))


def test_lintian():
    built()
    p = subprocess.run(['lintian', '--pedantic', '--display-info', '--info',
                        state['changes']], env=CLEAN_ENV, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    for line in (p.stdout + p.stderr).splitlines():
        print('# lintian: ' + line, flush=True)
    bad = [line for line in p.stdout.splitlines() if line.startswith(('E:', 'W:'))]
    eq(bad, [], 'lintian errors and warnings')
    check(p.returncode == 0, 'lintian exited %d:\n%s' % (p.returncode, p.stderr))


def test_install():
    deb = built()
    state['before'] = file_list()
    state['installed'] = True
    dpkg('-i', deb)
    listed = set(must(['dpkg', '-L', PKG], 'dpkg -L').split('\n'))
    for path in PROMISED:
        check(path in listed and os.path.isfile(path), 'the package has no %s' % path)
    for link in ENABLED_LINKS:
        check(not os.path.lexists(link), '%s: the unit was enabled on install' % link)

    eq(must(['livewatch', '--version'], 'installed binary').strip(),
       'livewatch ' + meson_version(), 'livewatch --version')

    tmp = tempfile.mkdtemp(prefix='lw-deb-run-')
    try:
        env = dict(CLEAN_ENV, HOME=tmp, TMPDIR=tmp)
        out = must(['livewatch', 'demo'], 'installed demo', env=env, timeout=120)
        check('ALERT [bakhmut' in out, 'demo printed no alert:\n' + out)
        repo = re.search(r'history: (\S+)', out).group(1)
        check(repo.startswith(tmp), 'demo history %s outside TMPDIR' % repo)
        with open(os.path.join(SRCDIR, 'demo', 'expected.json')) as f:
            versions = len(json.load(f)['versions'])
        eq(must(['git', '-C', repo, 'rev-list', '--count', 'HEAD'], 'git', env=env).strip(),
           str(1 + versions), 'demo commits (README + one a version)')

        # The example config names the installed rules; check reads both.
        example = '/usr/share/doc/livewatch/examples/config.ini'
        with open(example) as f:
            check('\nrules = /usr/share/livewatch/rules\n' in f.read(),
                  example + ': rules = is not /usr/share/livewatch/rules')
        must(['livewatch', '-c', example, 'check'], 'check of the example config', env=env)

        rt = os.path.join(tmp, 'runtime')
        os.mkdir(rt, 0o700)
        for unit, user in (('/lib/systemd/system/livewatch-system.service', False),
                           ('/usr/lib/systemd/user/livewatch.service', True)):
            cmd = ['systemd-analyze', '--no-pager'] + (['--user'] if user else []) + \
                  ['verify', unit]
            p = run(cmd, env=dict(env, XDG_RUNTIME_DIR=rt), timeout=120)
            # verify exits 0 on unknown keys; any output is a complaint.
            eq((p.returncode, p.stdout.strip()), (0, ''), ' '.join(cmd))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_remove_and_purge():
    built()
    check(state.get('installed'), 'not installed (see test_install)')
    dpkg('-r', PKG)
    for path in PROMISED:
        check(not os.path.lexists(path), 'dpkg -r left %s' % path)
    dpkg('-P', PKG)
    state['installed'] = False
    eq(installed_version(), None, 'dpkg still knows %s after -P' % PKG)
    after = file_list()
    before = state['before']
    eq(sorted(after - before), [], 'left behind after dpkg -P')
    eq(sorted(before - after), [], 'gone after dpkg -i, -r, -P')


def cleanup():
    if state.get('installed') and installed_version():
        subprocess.run(['dpkg', '-P', PKG], env=CLEAN_ENV, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if 'tmp' in state:
        shutil.rmtree(state['tmp'], ignore_errors=True)


if __name__ == '__main__':
    try:
        status = run_tests(globals())
    finally:
        cleanup()
    sys.exit(status)
