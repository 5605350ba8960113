#!/usr/bin/env python3
"""Keeps docs/lessons/ true: fills each lesson's explain blocks from `synlab explain`.

A lesson is a hand-written Markdown file, docs/lessons/NN-TOPIC.md, one per topic folder of the
bundled suite (scenarios/TOPIC/). Inside it, each scenario of the folder has a block

    <!-- explain: TOPIC/NAME -->
    ...generated: the ladder, as `synlab explain TOPIC/NAME --width 100 --color never` prints it...
    <!-- end explain -->

  lessons.py SYNLAB --update   rewrites the blocks in place
  lessons.py SYNLAB --check    prints TAP: one point per lesson file (blocks current, every
                               scenario of the folder has a block, no block names a missing
                               scenario) and one for "every topic folder has a lesson"

Exit status: 0 all current (or updated), 1 something stale or missing, 2 bad arguments.
"""
import argparse
import pathlib
import re
import subprocess
import sys

BLOCK = re.compile(r"<!-- explain: (?P<name>[\w./-]+) -->\n(?P<body>.*?)<!-- end explain -->", re.S)
WIDTH = 100


def explain(synlab, scenarios, name):
    p = subprocess.run([synlab, "explain", str(scenarios / (name + ".scn")), "--width", str(WIDTH), "--color", "never"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"synlab explain {name}: exit {p.returncode}: {p.stderr.strip()}")
    # Paths in the output are relative to the repository, whatever the working directory.
    out = p.stdout.replace(str(scenarios) + "/", "scenarios/")
    return "```text\n" + out + "```\n"


def render(synlab, scenarios, text):
    return BLOCK.sub(lambda m: f"<!-- explain: {m['name']} -->\n{explain(synlab, scenarios, m['name'])}<!-- end explain -->",
                     text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("synlab")
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent))
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    scenarios = (root / "scenarios").resolve()
    lessons = sorted((root / "docs" / "lessons").glob("[0-9][0-9]-*.md"))
    topics = sorted(d.name for d in scenarios.iterdir() if d.is_dir())
    covered = {}
    bad = 0
    if args.check:
        print(f"1..{len(lessons) + 1}")
    for n, f in enumerate(lessons, 1):
        text = f.read_text()
        topic = f.stem.split("-", 1)[1]
        covered[topic] = f
        problems = []
        names = [m["name"] for m in BLOCK.finditer(text)]
        want = sorted(f"{topic}/{p.stem}" for p in (scenarios / topic).glob("*.scn")) if (scenarios / topic).is_dir() else []
        if not want:
            problems.append(f"no scenario folder scenarios/{topic}/")
        for w in want:
            if w not in names:
                problems.append(f"no explain block for {w}")
        for name in names:
            if not (scenarios / (name + ".scn")).exists():
                problems.append(f"explain block for {name}, which is not a bundled scenario")
        new = render(args.synlab, scenarios, text) if not problems else text
        if args.update:
            if new != text:
                f.write_text(new)
                print(f"updated {f.relative_to(root)}")
            for p in problems:
                print(f"{f.relative_to(root)}: {p}", file=sys.stderr)
            bad += bool(problems)
            continue
        if new != text:
            problems.append("stale explain output: run tools/lessons.py build/synlab --update (./dev update-lessons)")
        bad += bool(problems)
        print(f"{'not ok' if problems else 'ok'} {n} - {f.relative_to(root)}")
        for p in problems:
            print(f"# {p}")
    missing = [t for t in topics if t not in covered]
    if args.check:
        print(f"{'not ok' if missing else 'ok'} {len(lessons) + 1} - every topic folder has a lesson")
        for t in missing:
            print(f"# no lesson for scenarios/{t}/")
    elif missing:
        print("no lesson for: " + ", ".join(missing), file=sys.stderr)
    return 1 if bad or missing else 0


if __name__ == "__main__":
    sys.exit(main())
