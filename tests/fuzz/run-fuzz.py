#!/usr/bin/env python3
"""Smoke run of one libFuzzer target: run-fuzz.py FUZZER SEED_DIR [RUNS].

The seeds are SEED_DIR's files plus the test pages its SEEDS file names
(one a line, in tests/data/extract/, so fixtures are not kept twice).
New inputs go to a temporary folder (the seed corpus in the source tree is
never written); a crash, leak or sanitizer report fails the test."""
import os
import shutil
import subprocess
import sys
import tempfile

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'extract')


def gather(seed_dir, into):
    for name in os.listdir(seed_dir):
        path = os.path.join(seed_dir, name)
        if name == 'SEEDS':
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if line:
                        shutil.copy(os.path.join(DATA, line), into)
        elif os.path.isfile(path):
            shutil.copy(path, into)


def main():
    fuzzer, seeds = sys.argv[1], sys.argv[2]
    runs = sys.argv[3] if len(sys.argv) > 3 else '2000'
    with tempfile.TemporaryDirectory(prefix='lw-fuzz-') as tmp:
        corpus = os.path.join(tmp, 'seeds')
        os.mkdir(corpus)
        gather(seeds, corpus)
        new = os.path.join(tmp, 'new')
        os.mkdir(new)
        p = subprocess.run([fuzzer, '-runs=' + runs, '-max_total_time=60',
                            '-max_len=65536', '-timeout=20', '-rss_limit_mb=2048',
                            # libFuzzer's own failure code, 77, is meson's "skipped"
                            '-error_exitcode=1', '-timeout_exitcode=1',
                            '-artifact_prefix=' + tmp + '/', new, corpus],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = p.stdout.splitlines()
        print('\n'.join(out[-15:]))
        return p.returncode


if __name__ == '__main__':
    sys.exit(main())
