#!/usr/bin/env python3
"""Smoke run of one libFuzzer target: run-fuzz.py FUZZER SEED_DIR [RUNS].

New inputs go to a temporary folder (the seed corpus in the source tree is
never written); a crash, leak or sanitizer report fails the test."""
import subprocess
import sys
import tempfile


def main():
    fuzzer, seeds = sys.argv[1], sys.argv[2]
    runs = sys.argv[3] if len(sys.argv) > 3 else '2000'
    with tempfile.TemporaryDirectory(prefix='lw-fuzz-') as tmp:
        p = subprocess.run([fuzzer, '-runs=' + runs, '-max_total_time=60',
                            '-max_len=65536', '-timeout=20', '-rss_limit_mb=2048',
                            '-artifact_prefix=' + tmp + '/', tmp, seeds],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = p.stdout.splitlines()
        print('\n'.join(out[-15:]))
        return p.returncode


if __name__ == '__main__':
    sys.exit(main())
