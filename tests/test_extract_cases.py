#!/usr/bin/env python3
"""Extraction cases as data: for each tests/data/extract/NAME.jsonl, the
page NAME.html (or NAME.xml) must give exactly those entries, in that
order, from `livewatch extract --json` (one JSON object a line).
NAME.args, when present, holds the options for `extract` on one line,
as shell words (`--format feed`, an xpath profile's `--entry ...`).

Adding a case is adding files.  LW_WRITE_CASES=NAME writes NAME.jsonl
from what livewatch prints now: read it through before committing it,
it is what the test will hold the extractor to."""

import json
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwtest import LW_BIN, SRCDIR, run_tests  # noqa: E402

CASES = os.path.join(SRCDIR, 'tests', 'data', 'extract')
FIELDS = ('id', 'title', 'body', 'published', 'updated', 'url', 'author',
          'pinned', 'key_event')


def page_of(name):
    for ext in ('.html', '.xml'):
        path = os.path.join(CASES, name + ext)
        if os.path.exists(path):
            return path
    raise AssertionError('%s.jsonl: no %s.html or %s.xml beside it' % (name, name, name))


def extract(name):
    """The lines `livewatch extract --json` prints for the case's page."""
    args = []
    args_path = os.path.join(CASES, name + '.args')
    if os.path.exists(args_path):
        with open(args_path, encoding='utf-8') as f:
            args = shlex.split(f.read())
    cmd = [LW_BIN, 'extract', '--json'] + args + [page_of(name)]
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError('%s: exit status %d, want 0\n%s' % (
            ' '.join(cmd), r.returncode, r.stderr.decode(errors='replace')))
    return r.stdout.decode('utf-8').splitlines()


def compare(name, got_lines, want_lines):
    got = [json.loads(line) for line in got_lines]
    want = [json.loads(line) for line in want_lines if line.strip()]
    problems = []
    for i, (g, w) in enumerate(zip(got, want)):
        for field in FIELDS + tuple(sorted((set(g) | set(w)) - set(FIELDS))):
            if g.get(field) != w.get(field):
                problems.append('entry %d (%s) %s: got %r, want %r' % (
                    i + 1, w.get('id'), field, g.get(field), w.get(field)))
    for i in range(len(want), len(got)):
        problems.append('entry %d (%s): not expected' % (i + 1, got[i].get('id')))
    for i in range(len(got), len(want)):
        problems.append('entry %d (%s): missing' % (i + 1, want[i].get('id')))
    if problems:
        raise AssertionError('%s: %d difference(s)\n%s' % (
            name, len(problems), '\n'.join(problems)))


def make_case(name):
    def case():
        got = extract(name)
        path = os.path.join(CASES, name + '.jsonl')
        if os.environ.get('LW_WRITE_CASES') == name:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(''.join(line + '\n' for line in got))
        with open(path, encoding='utf-8') as f:
            compare(name, got, f.read().splitlines())
    return case


def cases():
    names = sorted(f[:-len('.jsonl')] for f in os.listdir(CASES) if f.endswith('.jsonl'))
    if not names:
        raise SystemExit('no cases (*.jsonl) in %s' % CASES)
    return {'test_' + name: make_case(name) for name in names}


if __name__ == '__main__':
    sys.exit(run_tests(cases()))
