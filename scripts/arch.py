#!/usr/bin/env python3
"""The shape of src/: which module imports which (and any cycle), the longest functions, the lines.

    python3 scripts/arch.py            # a report
    python3 scripts/arch.py --check    # exit 1 on an import cycle, an import that points up
                                       # (LAYERS, or between a module and its parent), a mod.rs
                                       # with more than mod and pub use lines, a function over
                                       # 50 lines or a file over 500, unit tests aside
                                       # (tests/layout.rs runs this)

Imports point one way: a module imports only from its own top-level module (without a cycle)
and from the top-level modules before it in LAYERS. Below everything, the stop a signal asks
for (signals); then the blog's rooms (data, model),
then train's numerics (exact, fast), train itself, the forecasters a run is scored by, then what
serves a run (files; the pipeline the commands share; figures), and the commands on top. lib.rs and docs/architecture.md
say the same. Within a folder, a child imports its siblings, never its parent, and a parent
(mod.rs) only declares and re-exports its children: an arrow between a module and any of its
ancestors, either way, counts as pointing up.

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
    for m in re.finditer(r"use (crate|super|vanilla_rnn)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", text):
        prefix = m.group(2).strip(":").split("::") if m.group(2) else []
        if m.group(1) == "super":
            prefix = here[:-1] + prefix
        for part in re.split(r",(?![^{]*\})", m.group(3)):
            first = part.strip().split("::")[0].strip("{} ")
            cand = "::".join(prefix + [first]) if first else None
            if cand in names and cand != name:
                found.add(cand)
            elif first and "::".join(prefix) in names and "::".join(prefix) != name:
                found.add("::".join(prefix))  # an item of the module the braces open
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


LONGEST = 50
LONGEST_FILE = 500
LAYERS = ["signals", "data", "model", "exact", "fast", "train", "forecasters", "files", "pipeline", "figures", "commands", "main"]


def upward(graph):
    """Imports from a top-level module that is not before the importer's in LAYERS, and imports
    between a module and one of its ancestors (a child of its parent, or a parent of its child)."""
    top = lambda m: m.split("::")[0]
    kin = lambda a, b: a.startswith(b + "::") or b.startswith(a + "::")
    return sorted((a, b) for a, deps in graph.items() for b in deps
                  if (top(a) != top(b) and LAYERS.index(top(b)) > LAYERS.index(top(a))) or kin(a, b))


def busy_parents(names):
    """mod.rs files that hold more than doc comments, `mod` and `pub use` lines."""
    out = []
    for name, path in names.items():
        if not path.endswith("mod.rs"):
            continue
        text = strip_tests(open(path).read())
        # a `pub use` may run over several lines: join each statement
        for stmt in re.sub(r"//[^\n]*", "", text).split(";"):
            stmt = " ".join(stmt.split())
            if stmt and not re.match(r"^(#\[[^\]]*\] )*(pub )?(mod [a-z_0-9]+|use [^{]*(\{[^}]*\})?[^{]*)$", stmt):
                out.append((name, stmt[:60]))
                break
    return sorted(out)


def long_files(names):
    """Files over LONGEST_FILE lines, unit tests aside."""
    out = []
    for name, path in names.items():
        n = len(strip_tests(open(path).read()).rstrip().split("\n"))
        if n > LONGEST_FILE:
            out.append((n, name))
    return sorted(out, reverse=True)


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
        text = strip_tests(open(path).read())
        if path.endswith("mod.rs"):
            # a parent's `pub mod child;` and `pub use child::...;` declare, they do not import
            text = re.sub(r"pub use [^;]*;", "", text)
        graph[name] = imports(name, text, names)
    for name in graph:
        graph[name] = {d for d in graph[name] if d != "lib"}
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
        long = [f for f in fns if f[0] > LONGEST]
        for n, f, line, _ in long:
            print(f"{f} (line {line}) is {n} lines, over {LONGEST}")
        files = long_files(names)
        for n, f in files:
            print(f"{f} is {n} lines outside its unit tests, over {LONGEST_FILE}")
        busy = busy_parents(names)
        for f, stmt in busy:
            print(f"{f} is a parent (mod.rs) with more than mod and pub use lines: {stmt}")
        sys.exit(1 if found or up or long or files or busy else 0)
    print("imports (module: what it imports):")
    for name in sorted(graph):
        print(f"  {name}: {', '.join(sorted(graph[name])) or '-'}")
    print(f"cycles: {len(found)}" + "".join(f"\n  {' <-> '.join(c)}" for c in found))
    print(f"imports pointing up {' > '.join(LAYERS)}, or between kin: {len(up)}" + "".join(f"\n  {a} -> {b}" for a, b in up))
    print("longest functions:")
    for n, f, line, _ in fns[:5]:
        print(f"  {n:4d}  {f} (line {line})")
    total = sum(len(open(p).read().split("\n")) - 1 for p in names.values())
    code = sum(len(strip_tests(open(p).read()).rstrip().split("\n")) for p in names.values())
    print(f"lines in src/: {total} in {len(names)} files, {code} of them outside the unit tests")


main()
