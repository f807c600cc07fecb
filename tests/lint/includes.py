#!/usr/bin/env python3
"""Include circles among the project's own headers.

Reads every #include "x.h" of the .c and .h files in the folders given
(default: daemon), builds the graph "module a includes module b" (a module
is a .c with its .h, so a.c including b.h is the edge a -> b), and prints
each strongly connected component of more than one module: a circle.

    tests/lint/includes.py [--max N] [DIR...]

With --max N, exits 1 when a circle has more than N modules (make check
runs it with --max 2: a phase file and its private helper at most).
"""
import os
import re
import sys

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def graph(dirs):
    mods, edges = set(), {}
    for d in dirs:
        for f in sorted(os.listdir(d)):
            if not f.endswith(('.c', '.h')):
                continue
            mod = f[:-2]
            mods.add(mod)
            with open(os.path.join(d, f), encoding='utf-8') as fp:
                for inc in INC.findall(fp.read()):
                    if inc != mod:
                        edges.setdefault(mod, set()).add(inc)
    return mods, {a: {b for b in bs if b in mods} for a, bs in edges.items()}


def sccs(mods, edges):
    """Tarjan's algorithm, iterative."""
    index, low, onstack, stack, out, n = {}, {}, set(), [], [], 0
    for root in sorted(mods):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = n
        n += 1
        stack.append(root)
        onstack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = n
                    n += 1
                    stack.append(w)
                    onstack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in onstack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        onstack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out


def main(argv):
    limit = None
    if argv[:1] == ['--max']:
        limit, argv = int(argv[1]), argv[2:]
    dirs = argv or ['daemon']
    mods, edges = graph(dirs)
    circles = sorted((c for c in sccs(mods, edges) if len(c) > 1),
                     key=len, reverse=True)
    for c in circles:
        print('circle of %d: %s' % (len(c), ' '.join(c)))
    biggest = len(circles[0]) if circles else 1
    print('includes: %d modules in %s; %d circle(s); the biggest has %d' %
          (len(mods), ' '.join(dirs), len(circles), biggest))
    if limit is not None and biggest > limit:
        print('includes: a circle of %d modules (at most %d allowed)' %
              (biggest, limit), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
