#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""results_test.py - results.py against made-up guest output whose verdicts are known.

Run by check.sh (KUNIT_PY set); prints "ok - ..." or "not ok - ..." per case.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

TAP_RUN = """PAGELAB-READY
# binary: /usr/bin/a_test
TAP version 13
1..3
#  RUN           a.one ...
#            OK  a.one
ok 1 a.one
#  RUN           a.two ...
# a_test.c:10:two:Expected 1 == 2
#          FAIL  a.two
not ok 2 a.two
#  RUN           a.three ...
#      SKIP      no zram
ok 3 # SKIP no zram
# exit: /usr/bin/a_test 1
# binary: /usr/bin/b_test
TAP version 13
1..2
#  RUN           b.one ...
ok 1 b.one
#  RUN           b.two ...
# exit: /usr/bin/b_test 139
ok - module: no pages held after the tests
not ok - module: rmmod pagelab
# binary: /usr/bin/c_test
TAP version 13
1..1
"""

TAP_WANT = [
    'PASS: x: a_test: a.one',
    'FAIL: x: a_test: a.two',
    'SKIP: x: a_test: a.three',
    'PASS: x: b_test: b.one',
    'FAIL: x: userspace: /usr/bin/b_test exited non-zero with no failed test',
    'PASS: x: module: no pages held after the tests',
    'FAIL: x: module: rmmod pagelab',
    'FAIL: x: userspace: c_test never finished (no "# exit:" line)',
    'TALLY 3 4 1',
]

NO_TAP_RUN = """# binary: /usr/bin/pagelab-fault-injection
ok - fault: site a
not ok - fault: site b left 3 pages
ok - fault: site c # SKIP not on this kernel
# exit: /usr/bin/pagelab-fault-injection 1
"""

NO_TAP_WANT = [
    'PASS: x: pagelab-fault-injection: fault: site a',
    'FAIL: x: pagelab-fault-injection: fault: site b left 3 pages',
    'SKIP: x: pagelab-fault-injection: fault: site c',
    'TALLY 1 1 1',
]

PAST_PLAN_RUN = """# binary: /usr/bin/d_test
TAP version 13
1..2
ok 1 d.one
ok 2 d.two
not ok 3 d.three
# exit: /usr/bin/d_test 0
"""

PAST_PLAN_WANT = [
    'PASS: x: d_test: d.one',
    'PASS: x: d_test: d.two',
    'FAIL: x: d_test: 1 result lines (1 failed) past its plan or outside its TAP',
    'TALLY 2 1 0',
]

KTAP_LOG = """[    1.0] Run /init as init process
[    2.0] pagelab-kunit-start
[    2.0] KTAP version 1
[    2.1] 1..2
[    2.1]     KTAP version 1
[    2.1]     # Subtest: s1
[    2.1]     1..2
[    2.2]     ok 1 c1
[    2.2]     not ok 2 c2
[    2.3] not ok 1 s1
[    2.3]     KTAP version 1
[    2.3]     # Subtest: s2
[    2.3]     1..1
[    2.4]     ok 1 c3 # SKIP no device
[    2.4] ok 2 s2 # SKIP
"""

KTAP_WANT = [
    'PASS: k: kunit: s1.c1',
    'FAIL: k: kunit: s1.c2',
    'SKIP: k: kunit: s2.c3',
    'TALLY 1 1 1',
]


def check(name, mode, text, want, kunit_py=None):
    with tempfile.NamedTemporaryFile('w', suffix='.log', delete=False) as f:
        f.write(text)
    try:
        env = dict(os.environ, KUNIT_PY=kunit_py) if kunit_py else None
        got = subprocess.run([sys.executable, os.path.join(HERE, 'results.py'), mode, f.name,
                              'x: ' if mode == 'tap' else 'k: '],
                             capture_output=True, text=True, check=False,
                             env=env).stdout.splitlines()
    finally:
        os.unlink(f.name)
    if got == want:
        print(f'ok - harness: results.py: {name}')
        return True
    print(f'not ok - harness: results.py: {name}')
    for line in got:
        print(f'#   got:  {line}')
    for line in want:
        print(f'#   want: {line}')
    return False


def main():
    ok = check('TAP: passes, failures, nameless skips, crashes, runner lines',
               'tap', TAP_RUN, TAP_WANT)
    ok &= check('KTAP: suites, a failure, a skip, from the marker on', 'kunit', KTAP_LOG,
                KTAP_WANT)
    ok &= check('KTAP: no results at all is a failure', 'kunit', 'nothing here\n',
                ["FAIL: k: kunit: no KTAP results in the guest's kernel log", 'TALLY 0 1 0'])
    ok &= check("a block without TAP: the script's own result lines", 'tap', NO_TAP_RUN,
                NO_TAP_WANT)
    ok &= check('results past the plan are a failure', 'tap', PAST_PLAN_RUN, PAST_PLAN_WANT)
    ok &= check('no parser is a failure, never a pass', 'tap', PAST_PLAN_RUN,
                ['FAIL: x: d_test: kunit.py could not parse its TAP', 'TALLY 0 1 0'],
                kunit_py='/nonexistent/kunit.py')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
