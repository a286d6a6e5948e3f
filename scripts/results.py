#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""results.py - verdicts from a guest run, for check.sh and check-debug.sh.

  results.py tap OUTPUT PREFIX      the userspace tests' output of one boot
  results.py kunit KERNEL_LOG PREFIX  the KUnit results in its kernel log

Both hand the TAP or KTAP text to the kernel's own parser, kunit.py parse
--json (KUNIT_PY names it), and turn its JSON into one line per test case:
"PASS: NAME", "FAIL: NAME" or "SKIP: NAME", then "TALLY passed failed
skipped" last.  In tap mode each "# binary: PATH" ... "# exit: PATH STATUS"
block of pagelab-guest-tests is one TAP document, its cases named
"PREFIXBINARY: CASE"; a binary that exits non-zero with no failed case (a
crash) fails on its own, and so does one whose TAP the parser finds
incomplete.  The runner's own "ok - NAME" / "not ok - NAME" lines outside
the blocks count as they are.  In kunit mode the log is read from
pagelab's marker on (a kernel with KUnit built in prints an empty KTAP
block of its own at boot), and no case at all is a failure.
"""
import json
import os
import re
import subprocess
import sys
import tempfile


class Tally:
    """The verdict lines printed so far, counted."""

    def __init__(self):
        self.counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}

    def add(self, verdict, name):
        self.counts[verdict] += 1
        print(f'{verdict}: {name}')

    def close(self):
        c = self.counts
        print(f"TALLY {c['PASS']} {c['FAIL']} {c['SKIP']}")


def parse(lines):
    """kunit.py parse --json over LINES: (the errors it counted, the JSON or None)."""
    kunit_py = os.environ['KUNIT_PY']
    with tempfile.TemporaryDirectory() as tmp:
        log, out = os.path.join(tmp, 'log'), os.path.join(tmp, 'json')
        with open(log, 'w', encoding='utf-8') as f:
            f.writelines(lines)
        run = subprocess.run([sys.executable, kunit_py, 'parse', f'--json={out}', log],
                             capture_output=True, text=True, check=False)
        # Its summary line: "Testing complete. Ran N tests: ..., errors: E".
        m = re.search(r'errors: (\d+)', run.stdout)
        errors = int(m.group(1)) if m else 0
        try:
            with open(out, encoding='utf-8') as f:
                return errors, json.load(f)
        except (OSError, ValueError):
            return errors, None


def cases(group, path=()):
    """(name, status) of every leaf test case of a kunit_json group."""
    for case in group.get('test_cases', []):
        yield '.'.join(path + (case['name'],)), case['status']
    for sub in group.get('sub_groups', []):
        yield from cases(sub, path + (sub['name'],))


VERDICT = {'PASS': 'PASS', 'SKIP': 'SKIP'}   # FAIL and ERROR: FAIL


def record_cases(tally, doc, prefix):
    """Record DOC's cases: (how many failed, how many the TAP never reported).

    kunit.py stands a nameless crashed case in for each one a plan promised
    and the text never reported (a binary that died mid-run).
    """
    failed = missing = 0
    for name, status in cases(doc or {}):
        verdict = VERDICT.get(status, 'FAIL')
        if not name.rpartition('.')[2]:
            missing += 1
            continue
        failed += verdict == 'FAIL'
        tally.add(verdict, prefix + name)
    return failed, missing


def named(line, block):
    """LINE, with its case's name put back if it is a nameless result line.

    The kselftest harness prints a skipped case as "ok N # SKIP why", with
    no name, which kunit.py's parser takes for a crash: the name comes from
    the case's "#  RUN name ..." line before it.
    """
    m = re.match(r'(not ok|ok) (\d+) (# .*)', line)
    if not m:
        return line
    for prev in reversed(block):
        run = re.match(r'#\s+RUN\s+(\S+) \.\.\.', prev)
        if run:
            return f'{m.group(1)} {m.group(2)} {run.group(1)} {m.group(3)}\n'
    return f'{m.group(1)} {m.group(2)} case_{m.group(2)} {m.group(3)}\n'


def tap(path, prefix):
    """The userspace tests: one TAP document per binary block."""
    tally = Tally()
    block, binary = None, None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = re.match(r'# binary: (\S+)', line)
            if m:
                binary, block = os.path.basename(m.group(1)), []
                continue
            m = re.match(r'# exit: (\S+) (-?\d+)', line)
            if m and block is not None:
                errors, doc = parse(block)
                failed, missing = record_cases(tally, doc, f'{prefix}{binary}: ')
                if m.group(2) != '0' and not failed:
                    tally.add('FAIL', f'{prefix}userspace: {m.group(1)} exited non-zero '
                              'with no failed test')
                elif (errors or missing) and not failed:
                    tally.add('FAIL', f'{prefix}{binary}: its TAP is incomplete '
                              '(kunit.py parse found errors)')
                block = None
                continue
            if block is not None:
                block.append(named(line, block))
                continue
            m = re.match(r'(not ok|ok) - (.*)', line.rstrip('\n'))
            if m:
                tally.add('PASS' if m.group(1) == 'ok' else 'FAIL', prefix + m.group(2))
    if block is not None:
        tally.add('FAIL', f'{prefix}userspace: {binary} never finished (no "# exit:" line)')
    tally.close()


def kunit(path, prefix):
    """The KUnit suites in a guest's kernel log."""
    tally = Tally()
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        if 'pagelab-kunit-start' in line:
            lines = lines[i:]
            break
    errors, doc = parse(lines)
    failed, missing = record_cases(tally, doc, f'{prefix}kunit: ')
    if not sum(1 for _ in cases(doc or {})):
        tally.add('FAIL', f"{prefix}kunit: no KTAP results in the guest's kernel log")
    elif (errors or missing) and not failed:
        tally.add('FAIL', f'{prefix}kunit: kunit.py reports {errors} errors')
    tally.close()


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ('tap', 'kunit'):
        print(__doc__, file=sys.stderr if len(sys.argv) > 1 and sys.argv[1] != '--help'
              else sys.stdout)
        return 0 if sys.argv[1:2] == ['--help'] else 2
    (tap if sys.argv[1] == 'tap' else kunit)(sys.argv[2], sys.argv[3])
    return 0


if __name__ == '__main__':
    sys.exit(main())
