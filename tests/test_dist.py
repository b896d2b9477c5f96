#!/usr/bin/env python3
"""The release tarball (`meson dist`) stands on its own.

- `meson dist --no-tests` of this build's checkout makes
  livewatch-VERSION.tar.xz holding exactly the files git has at HEAD;
- unpacked in a temporary folder (no .git, no ../shared beside it), it
  configures, builds and installs (DESTDIR) everything the checkout
  installs, and its tests that read ../shared or the demo run there
  (skipping the real-page fixtures, saying so).

The full check, every test from the tarball, is `meson dist -C build`
(README, "Building and testing by hand"); this one keeps to what a
missing file would break, in a few minutes.  Skips outside a git
checkout (the tarball itself) and without meson or git.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lwtest import SRCDIR, Skip, check, eq, run_tests  # noqa: E402

BUILDDIR = os.environ.get('LW_BUILDDIR', os.path.join(HERE, '..', 'build'))
# Tests worth running from the tarball: the real-page fixtures (absent
# there), the demo and the command line, the extraction cases as data.
TESTS = ('extract', 'integration-cli', 'extract-cases', 'demo-pages')
state = {}


def run(cmd, what, timeout=900, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, **kw)
    check(p.returncode == 0, '%s: `%s` exited %d:\n%s'
          % (what, ' '.join(cmd), p.returncode, p.stdout[-6000:]))
    return p.stdout


def clean_env():
    """This environment less what meson test set for the checkout's build."""
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(('LW_', 'MESON_')) or k in ('MALLOC_PERTURB_', 'G_DEBUG'):
            del env[k]
    return env


def project():
    out = run(['meson', 'introspect', '--projectinfo', BUILDDIR], 'meson introspect')
    info = json.loads(out)
    return info['descriptive_name'], info['version']


def unpacked():
    if 'src' not in state:
        raise Skip('no tarball (see test_tarball)')
    return state['src']


def test_tarball():
    if not os.path.exists(os.path.join(SRCDIR, '.git')):
        raise Skip('%s is not a git checkout (a release tarball itself)' % SRCDIR)
    for tool in ('meson', 'git', 'ninja'):
        if not shutil.which(tool):
            raise Skip('%s not installed' % tool)
    name, version = project()
    for _ in range(3):  # a commit landing meanwhile (a shared checkout) moves HEAD
        commit = run(['git', '-C', SRCDIR, 'rev-parse', 'HEAD'], 'git rev-parse').strip()
        run(['meson', 'dist', '-C', BUILDDIR, '--no-tests', '--allow-dirty',
             '--formats', 'xztar'], 'meson dist', env=clean_env())
        if run(['git', '-C', SRCDIR, 'rev-parse', 'HEAD'], 'git rev-parse').strip() == commit:
            break
    tarball = os.path.join(BUILDDIR, 'meson-dist', '%s-%s.tar.xz' % (name, version))
    check(os.path.exists(tarball), tarball + ' not made')
    top = '%s-%s' % (name, version)
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
        files = sorted(m.name[len(top) + 1:] for m in members if not m.isdir())
        check(all(m.name == top or m.name.startswith(top + '/') for m in members),
              'a tarball member outside %s/' % top)
        tmp = tempfile.mkdtemp(prefix='lw-dist-')
        state['tmp'] = tmp
        tar.extractall(tmp)
    head = run(['git', '-C', SRCDIR, 'ls-tree', '-r', '-z', '--name-only', commit],
               'git ls-tree')
    eq(files, sorted(filter(None, head.split('\0'))),
       'tarball files against git commit ' + commit[:12])
    for must in ('LICENSE', 'debian/changelog', 'meson.build'):
        check(must in files, 'the tarball has no ' + must)
    state['src'] = os.path.join(tmp, top)


def test_build_and_install():
    src = unpacked()
    build = os.path.join(state['tmp'], 'build')
    env = clean_env()
    run(['meson', 'setup', build, src, '-Dfuzz=false', '--prefix=/usr'], 'meson setup',
        env=env)
    run(['ninja', '-C', build], 'ninja', timeout=1800, env=env)
    dest = os.path.join(state['tmp'], 'dest')
    run(['meson', 'install', '-C', build, '--destdir', dest, '--quiet'], 'meson install',
        env=env)
    with open(os.path.join(build, 'meson-info', 'intro-installed.json')) as f:
        promised = sorted(json.load(f).values())
    check(promised, 'the tarball installs nothing')
    for path in promised:
        check(os.path.isfile(dest + path), 'meson install made no %s' % path)
    state['build'] = build


def test_tests_from_tarball():
    unpacked()
    check('build' in state, 'not built (see test_build_and_install)')
    out = run(['meson', 'test', '-C', state['build'], '--no-rebuild', '--print-errorlogs']
              + list(TESTS), 'meson test from the tarball', timeout=1200, env=clean_env())
    for line in out.splitlines():
        print('# ' + line, flush=True)


def cleanup():
    if 'tmp' in state:
        shutil.rmtree(state['tmp'], ignore_errors=True)


if __name__ == '__main__':
    try:
        status = run_tests(globals())
    finally:
        cleanup()
    sys.exit(status)
