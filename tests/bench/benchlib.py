"""What every benchmark in tests/bench/ prints at its end, in one place:
the figures as an aligned table, the goals missed (or "all goals met"),
the figures as JSON (to a file with --json, and as the last line of
stdout), and the temporary folder removed unless --keep."""

import json
import shutil


def print_rows(rows, title=None):
    """rows: (label, text) pairs, printed as '  label  text' with the
    labels aligned."""
    if title:
        print(title)
    w = max(len(k) for k, _ in rows)
    for k, v in rows:
        print('  %-*s  %s' % (w, k, v))


def finish(fig, failures, json_path=None, tmp=None, keep=False):
    """Ends a benchmark: says which goals were missed, writes fig (with
    its failures) to json_path when given, removes tmp unless keep, prints
    fig as one JSON line.  Returns the exit status: 1 when a goal was
    missed."""
    fig['failures'] = failures
    if failures:
        print('MISSED:')
        for m in failures:
            print('  - ' + m)
    else:
        print('all goals met')
    if json_path:
        with open(json_path, 'w') as f:
            json.dump(fig, f, indent=1)
            f.write('\n')
    if tmp:
        if keep:
            print('  kept %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(fig), flush=True)
    return 1 if failures else 0
