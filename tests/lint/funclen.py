#!/usr/bin/env python3
"""The longest functions of the C files in the folders given.

The code is written in the OpenBSD style: a function's name starts a line
and its body opens with "{" alone in column 0 and ends with "}" in
column 0. Counts the lines from the name's line to the closing brace.

    tests/lint/funclen.py [--top N] [--max N] DIR...

With --max N, exits 1 when a function is longer than N lines.
"""
import os
import re
import sys

NAME = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)\(')


def functions(path):
    with open(path, encoding='utf-8') as fp:
        lines = fp.read().split('\n')
    name, start = None, 0
    for i, line in enumerate(lines):
        m = NAME.match(line)
        if m:
            name, start = m.group(1), i
        elif line == '{' and name is not None:
            body = i
        elif line == '}' and name is not None:
            yield name, path, start + 1, i - start + 1
            name = None


def main(argv):
    top, limit = 10, None
    while argv[:1] in (['--top'], ['--max']):
        if argv[0] == '--top':
            top = int(argv[1])
        else:
            limit = int(argv[1])
        argv = argv[2:]
    found = []
    for d in argv:
        for f in sorted(os.listdir(d)):
            if f.endswith('.c'):
                found.extend(functions(os.path.join(d, f)))
    found.sort(key=lambda x: -x[3])
    for name, path, line, n in found[:top]:
        print('%5d  %s  %s:%d' % (n, name, path, line))
    if limit is not None:
        over = [x for x in found if x[3] > limit]
        if over:
            print('funclen: %d function(s) over %d lines' %
                  (len(over), limit), file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
