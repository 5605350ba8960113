#!/usr/bin/env python3
"""Checks that bad scenarios fail the way a user needs them to; prints TAP (meson 'tap').

    check_scenario_errors.py SYNLAB broken DIR      each DIR/*.scn must not parse
    check_scenario_errors.py SYNLAB wrong DIR [--update]
                                                    each DIR/*.scn must run and fail

broken: `synlab check FILE` exits 2 and its first line of stderr is exactly
"FILE:LINE:COL: error: MESSAGE", where the scenario's own first comment line says
"# error: LINE:COL: MESSAGE". The caret line under the source line must point at COL.

wrong: `synlab run FILE` exits 1, and the failure report it prints (from the
"file:line:col: error:" line to the last line before the "N passed, N failed" summary) equals
DIR/NAME.expected word for word, with the folder's path written as "DIR/". --update rewrites
the .expected files (review the diff: these are the messages users will read).

Exit status: 0 all as expected, 1 something was not, 2 bad arguments.
"""
import re
import subprocess
import sys
from pathlib import Path


def tap(results):
    print(f"1..{len(results)}")
    ok_all = True
    for i, (name, ok, details) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        for d in details:
            print(f"# {d}")
        ok_all &= ok
    return 0 if ok_all else 1


def check_broken(synlab, folder):
    results = []
    for scn in sorted(folder.glob("*.scn")):
        text = scn.read_text()
        m = re.search(r"^# error: (\d+):(\d+): (.*)$", text, re.M)
        if not m:
            results.append((scn.name, False, ["no '# error: LINE:COL: MESSAGE' line in the file"]))
            continue
        line, col, message = m.group(1), m.group(2), m.group(3)
        p = subprocess.run([synlab, "check", str(scn)], capture_output=True, text=True, timeout=60)
        err = p.stderr.splitlines()
        want = f"{scn}:{line}:{col}: error: {message}"
        details = []
        if p.returncode != 2:
            details.append(f"exit status {p.returncode}, expected 2")
        if not err or err[0] != want:
            details.append(f"expected: {want}")
            details.append(f"got:      {err[0] if err else '(nothing on stderr)'}")
        elif len(err) < 3 or "^" not in err[2]:
            details.append("no source line and caret under the message")
        else:
            # The caret line repeats the source line's tabs, so count columns in characters.
            caret = err[2].index("^") + 1
            source = err[1]
            if source.strip() and caret > len(source) + 1:
                details.append(f"caret at column {caret}, past the end of the source line")
        results.append((scn.name, not details, details + ([] if not details else ["stderr:"] + err)))
    return results


def failure_report(stdout, folder):
    lines = stdout.replace(str(folder) + "/", "DIR/").splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(r"^\s*DIR/\S+:\d+:\d+: error: ", l)), None)
    if start is None:
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = len(lines)
    while end > start and (not lines[end - 1].strip() or re.match(r"^\d+ passed, \d+ failed", lines[end - 1])):
        end -= 1
    return "\n".join(l[indent:] if l[:indent].isspace() else l for l in lines[start:end]) + "\n"


def check_wrong(synlab, folder, update):
    results = []
    for scn in sorted(folder.glob("*.scn")):
        expected_file = scn.with_suffix(".expected")
        p = subprocess.run([synlab, "run", "--color", "never", str(scn)], capture_output=True, text=True,
                           timeout=120)
        report = failure_report(p.stdout, folder)
        details = []
        if p.returncode != 1:
            details.append(f"exit status {p.returncode}, expected 1")
        if report is None:
            details.append("no 'file:line:col: error:' report in the output")
        elif update:
            expected_file.write_text(report)
        elif not expected_file.exists():
            details.append(f"no {expected_file.name} (run with --update and review it)")
        elif expected_file.read_text() != report:
            details.append(f"the report differs from {expected_file.name}:")
            details += ["expected:"] + expected_file.read_text().splitlines()
            details += ["got:"] + report.splitlines()
        if details:
            details += ["output:"] + p.stdout.splitlines() + p.stderr.splitlines()
        results.append((scn.name, not details, details))
    return results


def main(argv):
    args = [a for a in argv[1:] if a != "--update"]
    if len(args) != 3 or args[1] not in ("broken", "wrong"):
        print(__doc__, file=sys.stderr)
        return 2
    synlab, kind, folder = args[0], args[1], Path(args[2]).resolve()
    if kind == "broken":
        return tap(check_broken(synlab, folder))
    return tap(check_wrong(synlab, folder, "--update" in argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
