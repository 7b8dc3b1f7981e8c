#!/usr/bin/env python3
"""The shape of src/: which module imports which (and any cycle), the longest functions, the lines.

    python3 scripts/arch.py            # a report
    python3 scripts/arch.py --check    # exit 1 on an import cycle, an import that points up
                                       # LAYERS, or a function over 60 lines without a comment
                                       # above it saying why it is long (tests/layout.rs runs this)

Imports point one way: a module imports only from its own top-level module (without a cycle)
and from the top-level modules before it in LAYERS. The blog's rooms (data, model) come first,
then train's numerics (exact, fast), train itself, then what serves a run (files, figures), and
the commands on top. lib.rs and docs/architecture.md say the same.

A module is a file under src/ (src/a/b.rs and src/a/b/mod.rs are `a::b`); an import is any
`crate::a::b` path, `use super::...` included, resolved to the longest module it names. A
module's own submodules (`mod.rs` declaring `pub mod x`) are not imports.
"""
import os
import re
import sys

SRC = os.path.join(os.environ.get("ARCH_ROOT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")), "src")


def modules():
    out = {}
    for root, _, files in os.walk(SRC):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), SRC)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            if rel in (["lib"], ["main"]):
                name = rel[0]
            else:
                name = "::".join(rel)
            out[name] = os.path.join(root, f)
    return out


def strip_tests(text):
    """The text before `#[cfg(test)]`: what the tests import is not the architecture."""
    return text.split("#[cfg(test)]")[0]


def imports(name, text, names):
    found = set()
    here = [] if name in ("lib", "main") else name.split("::")
    for m in re.finditer(r"\b(crate|super|vanilla_rnn)((?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
        head, path = m.group(1), m.group(2).strip(":").split("::")
        if head == "super":
            path = here[:-1] + path
        best = None
        for k in range(len(path), 0, -1):
            cand = "::".join(path[:k])
            if cand in names:
                best = cand
                break
        if best and best != name:
            found.add(best)
    # `use crate::a::{b, c::{d}}` groups: the names right inside the braces
    for m in re.finditer(r"use (crate|vanilla_rnn)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", text):
        prefix = m.group(2).strip(":").split("::") if m.group(2) else []
        for part in re.split(r",(?![^{]*\})", m.group(3)):
            first = part.strip().split("::")[0].strip("{} ")
            cand = "::".join(prefix + [first]) if first else None
            if cand in names and cand != name:
                found.add(cand)
    return found


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


LONGEST = 60
LAYERS = ["data", "model", "exact", "fast", "train", "files", "figures", "commands", "main"]


def upward(graph):
    """Imports from a top-level module that is not before the importer's in LAYERS."""
    top = lambda m: m.split("::")[0]
    return sorted((a, b) for a, deps in graph.items() for b in deps
                  if top(a) != top(b) and LAYERS.index(top(b)) > LAYERS.index(top(a)))


def functions(path):
    """(lines, name, line number, says why it is long) of every fn outside the tests, measured
    from `fn` to its closing brace; the comments right above it may say why it is long."""
    lines = strip_tests(open(path).read()).split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"\s*(pub(\([a-z]+\))? )?(unsafe )?fn ([a-z_0-9]+)", line)
        if not m or line.rstrip().endswith(";"):
            continue
        depth, seen = 0, False
        for j in range(i, len(lines)):
            depth += lines[j].count("{") - lines[j].count("}")
            seen = seen or "{" in lines[j]
            if seen and depth <= 0:
                above, k = [], i - 1
                while k >= 0 and lines[k].strip().startswith(("//", "#[")):
                    above.append(lines[k])
                    k -= 1
                out.append((j - i + 1, m.group(4), i + 1, "long" in " ".join(above).lower()))
                break
    return out


def main():
    names = modules()
    graph = {}
    for name, path in names.items():
        if name == "lib":
            continue
        graph[name] = imports(name, strip_tests(open(path).read()), names)
    # a parent module's `pub mod child;` is not an import; neither is lib's list
    for name in graph:
        graph[name] = {d for d in graph[name] if not d.startswith(name + "::") and d != "lib"}
    found = cycles(graph)
    up = upward(graph)
    fns = []
    for name, path in names.items():
        fns += [(n, f"{name}::{f}", line, why) for n, f, line, why in functions(path)]
    fns.sort(reverse=True)
    if "--check" in sys.argv:
        for c in found:
            print("modules importing each other in a cycle: " + ", ".join(c))
        for a, b in up:
            print(f"{a} imports {b}, which comes after it in LAYERS ({', '.join(LAYERS)})")
        long = [f for f in fns if f[0] > LONGEST and not f[3]]
        for n, f, line, _ in long:
            print(f"{f} (line {line}) is {n} lines, over {LONGEST}, and no comment above it says why it is long")
        sys.exit(1 if found or up or long else 0)
    print("imports (module: what it imports):")
    for name in sorted(graph):
        print(f"  {name}: {', '.join(sorted(graph[name])) or '-'}")
    print(f"cycles: {len(found)}" + "".join(f"\n  {' <-> '.join(c)}" for c in found))
    print(f"imports pointing up {' > '.join(LAYERS)}: {len(up)}" + "".join(f"\n  {a} -> {b}" for a, b in up))
    print("longest functions:")
    for n, f, line, _ in fns[:5]:
        print(f"  {n:4d}  {f} (line {line})")
    total = sum(len(open(p).read().split("\n")) - 1 for p in names.values())
    code = sum(len(strip_tests(open(p).read()).rstrip().split("\n")) for p in names.values())
    print(f"lines in src/: {total} in {len(names)} files, {code} of them outside the unit tests")


main()
