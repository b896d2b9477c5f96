#!/usr/bin/env python3
"""Writes tests/data/flat-history.tar.gz for tests/test_migrate.py: the
history a livewatch of the flat layout (commit e3bb431 or older) records
from test_migrate.SCENARIO's pages.

    git worktree add /tmp/flat e3bb431 && meson setup /tmp/flat/build /tmp/flat \
        && ninja -C /tmp/flat/build
    LW_BIN=/tmp/flat/build/daemon/livewatch tests/data/make-flat-history.py

The tarball holds history/ (the repository, with its .git/livewatch
state) and alerts.jsonl (what the file sink received)."""

import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))

import test_migrate  # noqa: E402
from lwtest import Sandbox  # noqa: E402


def main():
    pages, _ = test_migrate.scenario()
    sb = Sandbox(rules=test_migrate.RULES)
    try:
        for page in pages:
            test_migrate.serve(sb, page)
            sb.poll()
        out = os.path.join(HERE, 'flat-history.tar.gz')
        with tarfile.open(out, 'w:gz') as t:
            t.add(sb.repo, arcname='history')
            t.add(sb.alerts_path, arcname='alerts.jsonl')
        print(out, sb.commits(), 'commits')
    finally:
        sb.close()


if __name__ == '__main__':
    main()
