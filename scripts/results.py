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

PARSE_TIMEOUT = 120


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
    """kunit.py parse --json over LINES: (the errors it counted, the JSON or None).

    None also when kunit.py fails, gives no JSON or runs past PARSE_TIMEOUT
    seconds (some malformed TAP makes it loop): the caller fails the text.
    """
    kunit_py = os.environ['KUNIT_PY']
    with tempfile.TemporaryDirectory() as tmp:
        log, out = os.path.join(tmp, 'log'), os.path.join(tmp, 'json')
        with open(log, 'w', encoding='utf-8') as f:
            f.writelines(lines)
        try:
            run = subprocess.run([sys.executable, kunit_py, 'parse', f'--json={out}', log],
                                 capture_output=True, text=True, check=False,
                                 timeout=PARSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return 0, None
        # Its summary line: "Testing complete. Ran N tests: ..., errors: E".
        m = re.search(r'Testing complete\..*errors: (\d+)', run.stdout)
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


RESULT = re.compile(r'(not ok|ok)(?: \d+)?(?: -)? (.*?)(?: # (SKIP|skip)\b.*)?$')


def plain(tally, line, prefix):
    """A result line of a script's own ("ok - NAME", "not ok 3 NAME # SKIP why")."""
    m = RESULT.match(line.rstrip('\n'))
    if not m:
        return
    verdict = 'SKIP' if m.group(3) else 'PASS' if m.group(1) == 'ok' else 'FAIL'
    tally.add(verdict, prefix + (m.group(2) or 'a result with no name'))


def block_verdicts(tally, block, binary, status, prefix):
    """One binary's block: its TAP through kunit.py, checked against its own lines."""
    raw_fail = sum(1 for line in block if line.startswith('not ok'))
    raw_all = sum(1 for line in block if RESULT.match(line) and not line.startswith('#'))
    if not any(re.match(r'\s*K?TAP version', line) for line in block):
        # No TAP document: a script's own "ok - NAME" lines (the fault-injection sweep).
        for line in block:
            plain(tally, line, f'{prefix}{binary}: ')
        failed, recorded, ok = raw_fail, raw_all, True
        incomplete = False
    else:
        errors, doc = parse(block)
        failed, missing = record_cases(tally, doc, f'{prefix}{binary}: ')
        recorded = sum(1 for _ in cases(doc or {})) - missing
        ok = doc is not None
        if not ok:
            tally.add('FAIL', f'{prefix}{binary}: kunit.py could not parse its TAP')
        incomplete = ok and (errors or missing) and not failed
    if status != '0' and not failed:
        tally.add('FAIL', f'{prefix}userspace: /usr/bin/{binary} exited non-zero '
                  'with no failed test')
    elif incomplete:
        tally.add('FAIL', f'{prefix}{binary}: its TAP is incomplete '
                  '(kunit.py parse found errors)')
    elif ok and (raw_fail > failed or raw_all > recorded):
        tally.add('FAIL', f'{prefix}{binary}: {raw_all - recorded} result lines '
                  f'({raw_fail - failed} failed) past its plan or outside its TAP')


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
                block_verdicts(tally, block, binary, m.group(2), prefix)
                block = None
                continue
            if block is not None:
                block.append(named(line, block))
                continue
            plain(tally, line, prefix)
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
    if doc is None and any('KTAP version' in line for line in lines):
        tally.add('FAIL', f'{prefix}kunit: kunit.py could not parse the KTAP')
    elif not sum(1 for _ in cases(doc or {})):
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
