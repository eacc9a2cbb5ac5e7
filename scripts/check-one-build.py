#!/usr/bin/env python3
"""Checks that every test build compiles DataFusion once (issue #27).

`cargo nextest run -p CRATE` resolves features for CRATE alone, the workspace's build for
every member together. Where the two give a package in DataFusion's dependency tree
different features, the per-crate build compiles that package, and everything above it up
to DataFusion, again. crates/unify depends on those packages with the workspace's features
so that every member's build asks for the same; this check lists any package that still
differs, with the features each side asks for, and exits 1. It runs `cargo tree` only
(no build), in `make lint`.
"""
import subprocess
import sys


def tree(*selection):
    """{package: the feature sets it is built with} as `cargo tree` resolves them for the
    selection, tests included (a package built for the host, for a proc macro or a build
    script, and for the target can have two)."""
    out = subprocess.run(
        ["cargo", "tree", *selection, "-e", "normal,build,dev", "--prefix", "none",
         "-f", "{p}|{f}"],
        check=True, capture_output=True, text=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        line = line.replace(" (*)", "").replace(" (proc-macro)", "")
        if "|" not in line:
            continue
        package, features = line.split("|", 1)
        if "/work/" in package or "(/" in package:
            # Our own crates (members, or vendored copies) are compiled per build anyway.
            if "vendor/" not in package:
                continue
        found.setdefault(package.strip(), set()).add(
            frozenset(f for f in features.split(",") if f))
    return found


def closure(package):
    """The packages DataFusion is built from (itself included)."""
    out = subprocess.run(
        ["cargo", "tree", "-p", package, "-e", "normal,build", "--prefix", "none",
         "-f", "{p}"],
        check=True, capture_output=True, text=True,
    ).stdout
    return {l.replace(" (*)", "").replace(" (proc-macro)", "").strip() for l in out.splitlines() if l.strip()}


def members():
    out = subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1"],
                         check=True, capture_output=True, text=True).stdout
    import json
    return [p["name"] for p in json.loads(out)["packages"]]


def main():
    workspace = tree("--workspace")
    datafusion = next(p for p in workspace if p.startswith("datafusion v"))
    shared = closure(datafusion.split()[0] + "@" + datafusion.split()[1][1:])
    problems = []
    for member in members():
        alone = tree("-p", member)
        if datafusion not in alone:
            continue  # a crate without DataFusion: its own build never compiles it
        for package, features in sorted(alone.items()):
            if package not in shared:
                continue
            # A package can be built twice, for the host (proc macros, build scripts) and
            # for the target, and `cargo tree` does not say which line is which: demand
            # the same feature sets on both sides.
            theirs = workspace.get(package, set())
            if features != theirs:
                show = lambda sets: " and ".join("[" + ",".join(sorted(s)) + "]" for s in sets)
                problems.append(f"{member}: {package} gets {show(features)} alone but "
                                f"{show(theirs)} in the workspace")
    if problems:
        print("`cargo nextest run -p CRATE` would compile DataFusion again:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        print("Add the package to crates/unify/Cargo.toml with the workspace's features.",
              file=sys.stderr)
        return 1
    print(f"one build: every member resolves the {len(shared)} packages DataFusion is built "
          "from with the workspace's features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
