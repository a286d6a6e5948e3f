#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# heap-vectors.py - regenerate userspace/tests/heap_vectors.h: the answers
# of OSTEP's vm-freespace simulator for argument lists it draws, which
# heap_test checks `pagelab heap --as-malloc-py` against in the guest.
#
#   scripts/heap-vectors.py PATH/TO/malloc.py > userspace/tests/heap_vectors.h
#
# malloc.py is not part of this tree: take it from ostep-homework
# (vm-freespace/malloc.py; the vectors in the tree came from commit
# 11238fb).  Runs where malloc.py itself crashes are left out.
import random
import subprocess
import sys

POLICIES = ["BEST", "WORST", "FIRST"]
ORDERS = ["ADDRSORT", "SIZESORT+", "SIZESORT-", "INSERT-FRONT", "INSERT-BACK"]


def draw(rnd):
    args = ["-s", str(rnd.randint(0, 10**9)), "-n", str(rnd.randint(1, 40)),
            "-S", str(rnd.randint(20, 300)), "-b", str(rnd.randint(0, 5000)),
            "-H", str(rnd.choice([0, 0, 1, 2, 4, 8])),
            "-a", str(rnd.choice([-1, -1, 2, 4, 8])),
            "-p", rnd.choice(POLICIES), "-l", rnd.choice(ORDERS),
            "-r", str(rnd.randint(1, 50)), "-P", str(rnd.randint(10, 90))]
    if rnd.random() < 0.5:
        args.append("-C")
    if rnd.random() < 0.85:
        args.append("-c")
    if rnd.random() < 0.3:
        ops, c = [], 0
        for _ in range(rnd.randint(1, 25)):
            if c and rnd.random() < 0.4:
                ops.append("-%d" % rnd.randint(0, c - 1))
            else:
                ops.append("+%d" % rnd.randint(1, 40))
                c += 1
        args += ["-A", ",".join(ops)]
    return args


def c_string(s):
    out = []
    for line in s.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.append('\t  "%s"' % esc)
    return "\n".join(out) if out else '\t  ""'


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: heap-vectors.py PATH/TO/malloc.py")
    rnd = random.Random(20261205)
    vectors = []
    while len(vectors) < 32:
        args = draw(rnd)
        run = subprocess.run([sys.executable, sys.argv[1]] + args,
                             capture_output=True, text=True)
        if run.returncode == 0:
            vectors.append((args, run.stdout))
    print("/* SPDX-License-Identifier: GPL-2.0 */")
    print("/*")
    print(" * The answers of OSTEP's vm-freespace simulator (malloc.py, ostep-homework")
    print(" * 11238fb) for drawn argument lists: made by scripts/heap-vectors.py.")
    print(" */")
    print("static const struct heap_vector {")
    print("\tconst char *args;")
    print("\tconst char *out;")
    print("} heap_vectors[] = {")
    for args, out in vectors:
        print('\t{ "%s",' % " ".join(args))
        print(c_string(out) + " },")
    print("};")


main()
