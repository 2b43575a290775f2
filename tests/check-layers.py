#!/usr/bin/env python3
"""Checks that no source file includes a header from a layer above its own.

The layers, their folders and what each may use come from the table in DESIGN.md (between the
`<!-- layers` and `<!-- /layers -->` marks), so the document and the check cannot drift apart.
A header is found by name in the layer folders; one found nowhere (a system header, a file the
build generates such as sm-resources.h) is not a layer's and is skipped.

usage: check-layers.py SOURCE_ROOT     exits 1 and names each upward include
       check-layers.py --self-test SOURCE_ROOT
                  the check run on a scratch tree with DESIGN.md's table: a clean tree must
                  pass, and one deliberate upward include (formats -> model) and one reach
                  around SmEngine (ui -> report) must each be caught
"""
import os
import re
import sys


def read_layers(root):
    text = open(os.path.join(root, "DESIGN.md"), encoding="utf-8").read()
    m = re.search(r"<!-- layers.*?-->(.*?)<!-- /layers -->", text, re.S)
    if not m:
        sys.exit("DESIGN.md has no layers table")
    layers = []   # (name, folder, [may use])
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("layer", "---") or set(cells[0]) <= set("- "):
            continue
        folder = cells[1].strip("`").rstrip("/")
        uses = [u.strip() for u in cells[2].split(",") if u.strip() not in ("", "–", "-")]
        layers.append((cells[0], folder, uses))
    return layers


def closure(layers):
    """What each layer may include: what it names and, transitively, what those may use;
    a name followed by "only" (the window's "engine only") adds that layer alone."""
    direct = {name: [u.removesuffix(" only").strip() for u in uses] for name, _, uses in layers}
    alone = {name: {u.removesuffix(" only").strip() for u in uses if u.endswith(" only")}
             for name, _, uses in layers}
    allowed = {}
    for name in direct:
        for u in direct[name]:
            if u not in direct:
                sys.exit(f"DESIGN.md: layer {name} may use unknown layer {u}")
        seen = {name} | alone[name]
        todo = [u for u in direct[name] if u not in alone[name]]
        while todo:
            u = todo.pop()
            if u not in seen:
                seen.add(u)
                todo.extend(direct[u])
        allowed[name] = seen
    return allowed


def files_of(root, folder, layer_folders):
    """The sources directly in @folder, not in a sub-folder that is a layer of its own."""
    base = os.path.join(root, folder)
    for dirpath, dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, root)
        if rel != folder and rel in layer_folders:
            dirnames[:] = []
            continue
        for f in filenames:
            if f.endswith((".c", ".h", ".inc")):
                yield os.path.join(dirpath, f)


def check(root):
    layers = read_layers(root)
    allowed = closure(layers)
    layer_folders = {folder for _, folder, _ in layers}
    owner = {}          # header name -> layer
    sources = {}        # layer -> [paths]
    for name, folder, _ in layers:
        sources[name] = list(files_of(root, folder, layer_folders))
        for path in sources[name]:
            if path.endswith(".h") or path.endswith(".inc"):
                owner.setdefault(os.path.basename(path), name)
    include = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    bad = []
    for name, paths in sources.items():
        for path in paths:
            for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                m = include.match(line)
                if not m:
                    continue
                header = os.path.basename(m.group(1))
                layer = owner.get(header)
                if layer is not None and layer not in allowed[name]:
                    bad.append(f"{os.path.relpath(path, root)}:{n}: {name} includes "
                               f"{header} from {layer}, a layer it may not use")
    checked = sum(len(p) for p in sources.values())
    return bad, checked, len(layers)


def self_test(root):
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(root, "DESIGN.md"), tmp)
        files = {
            "engine/model/sm-model.h": "",
            "engine/report/sm-export.h": "",
            "engine/sm-engine.h": '#include "sm-model.h"\n',
            "engine/formats/sm-gguf.c": '#include <glib.h>\n#include "sm-gguf.h"\n',
            "engine/formats/sm-gguf.h": "",
            "ui/sm-window.c": '#include "sm-engine.h"\n#include "sm-resources.h"\n',
        }
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            open(os.path.join(tmp, rel), "w").write(text)
        bad, _, _ = check(tmp)
        if bad:
            print("self-test: a clean tree was refused:", *bad, sep="\n  ")
            return 1
        with open(os.path.join(tmp, "engine/formats/sm-gguf.c"), "a") as f:
            f.write('#include "sm-model.h"\n')
        with open(os.path.join(tmp, "ui/sm-window.c"), "a") as f:
            f.write('#include "sm-export.h"\n')
        bad, _, _ = check(tmp)
        want = ["engine/formats/sm-gguf.c:3: formats includes sm-model.h from model",
                "ui/sm-window.c:3: ui includes sm-export.h from report"]
        missed = [w for w in want if not any(b.startswith(w) for b in bad)]
        if missed or len(bad) != len(want):
            print("self-test: expected", want, "got", bad)
            return 1
    print("self-test: a clean tree passes; both upward includes are caught")
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        return self_test(sys.argv[2] if len(sys.argv) > 2 else ".")
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad, checked, n_layers = check(root)
    for b in bad:
        print(b)
    print(f"{checked} files in {n_layers} layers checked, {len(bad)} upward includes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
