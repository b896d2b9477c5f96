#!/usr/bin/env python3
"""Whole-process cost of `livewatch extract --json PAGE` against
`xmllint --html --noout PAGE` (libxml2-utils), side by side in one run.

Each round runs both, alternating which goes first, and takes each
process's CPU time (user + sys, from os.wait4) and, with --callgrind,
its instruction count under valgrind (steady where CPU time is not).
Process start, the JSON-LD, the bodies' HTML and the output are all
included: it is what a user pays per page.  Prints the medians and the
ratio; exits 1 when the ratio is above --goal (default 2.0).

  python3 tests/bench/extract-vs-xmllint.py build/daemon/livewatch [PAGE] [--rounds 20]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PAGE = os.path.join(HERE, '..', '..', '..', 'shared', 'fixtures', 'real',
                            'mirror-liveblog-2024-08-05-uk-riots.html')


def cpu_of(argv):
    """CPU seconds (user + sys) of one run of argv, stdout discarded."""
    with open(os.devnull, 'wb') as null:
        proc = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit('%s: exit status %d\n%s' % (' '.join(argv), proc.returncode,
                                                    err.decode(errors='replace')))
    return ru.ru_utime + ru.ru_stime


def instructions_of(argv, tmp):
    out = os.path.join(tmp, 'cg.out')
    subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out] + argv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    with open(out, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = re.match(r'summary:\s+(\d+)', line) or re.match(r'totals:\s+(\d+)', line)
            if m:
                return int(m.group(1))
    raise SystemExit('callgrind gave no total for %s' % ' '.join(argv))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('bin', nargs='?', default=os.environ.get('LW_BIN', 'build/daemon/livewatch'))
    ap.add_argument('page', nargs='?', default=DEFAULT_PAGE)
    ap.add_argument('--rounds', type=int, default=20)
    ap.add_argument('--goal', type=float, default=2.0)
    ap.add_argument('--callgrind', action='store_true',
                    help='also count instructions (one run each under valgrind)')
    args = ap.parse_args()
    xmllint = shutil.which('xmllint')
    if not xmllint:
        raise SystemExit('no xmllint (apt-get install libxml2-utils)')
    ours = [args.bin, 'extract', '--json', args.page]
    theirs = [xmllint, '--html', '--noout', args.page]
    cpu_of(ours), cpu_of(theirs)          # warm the page cache
    a, b = [], []
    for r in range(args.rounds):
        pair = [(ours, a), (theirs, b)]
        for argv, into in (pair if r % 2 == 0 else pair[::-1]):
            into.append(cpu_of(argv))
    ma, mb = statistics.median(a), statistics.median(b)
    fig = {'page': os.path.basename(args.page), 'rounds': args.rounds,
           'livewatch_cpu_ms': round(ma * 1000, 2), 'xmllint_cpu_ms': round(mb * 1000, 2),
           'ratio': round(ma / mb, 3) if mb else None,
           'best_ratio': round(min(a) / min(b), 3) if min(b) else None}
    print('%-30s %10s %10s' % ('', 'livewatch', 'xmllint'))
    print('%-30s %10.2f %10.2f' % ('median CPU ms', ma * 1000, mb * 1000))
    print('%-30s %10.2f %10.2f' % ('fastest CPU ms', min(a) * 1000, min(b) * 1000))
    print('ratio (median) %.2f, (fastest) %.2f; goal <= %.1f'
          % (fig['ratio'], fig['best_ratio'], args.goal))
    if args.callgrind and shutil.which('valgrind'):
        tmp = tempfile.mkdtemp(prefix='lw-xbench-')
        try:
            ia, ib = instructions_of(ours, tmp), instructions_of(theirs, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        fig.update(livewatch_instructions=ia, xmllint_instructions=ib,
                   instruction_ratio=round(ia / ib, 3))
        print('instructions %.1fM / %.1fM = %.2f' % (ia / 1e6, ib / 1e6, ia / ib))
    print(json.dumps(fig))
    return 0 if fig['ratio'] is not None and fig['ratio'] <= args.goal else 1


if __name__ == '__main__':
    sys.exit(main())
