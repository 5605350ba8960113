#!/usr/bin/env python3
"""Checks that bad scenarios fail the way a user needs them to; prints TAP (meson 'tap').

    check_scenario_errors.py SYNLAB broken DIR      each DIR/*.scn and DIR/*.pkt must not parse
    check_scenario_errors.py SYNLAB wrong DIR [--update]
                                                    each DIR/*.scn must run and fail

broken: `synlab check FILE` exits 2 within 20 s (SYNLAB_TIME_SCALE times that, e.g. under sanitizers) and its first line of stderr is exactly
"FILE:LINE:COL: error: MESSAGE". The expectation "LINE:COL: MESSAGE" comes from the sidecar
DIR/NAME.error (its first line) when there is one, else from the scenario's first comment line
"# error: LINE:COL: MESSAGE" (in a packetdrill script, "// error: LINE:COL: MESSAGE"). Use a sidecar for inputs that cannot carry a trailing comment:
binary data, NUL bytes, invalid UTF-8, no final newline, an unterminated comment or bracket.
The next stderr line must be the source line and the one after it a caret line whose '^' is
not past the end of the source line (columns count characters; tabs are copied).
After DIR's files come the generated cases (GENERATED below): inputs too big to keep in the
repository (a 10 MB line, 100000 nested brackets, a 10000-digit number, a million lines, one
event past the limit), written to a temporary folder and checked the same way, each a TAP point named "generated/NAME".

wrong: `synlab run FILE` exits 1, and the failure report it prints (from the
"file:line:col: error:" line to the last line before the "N passed, N failed" summary) equals
DIR/NAME.expected word for word, with the folder's path written as "DIR/". --update rewrites
the .expected files (review the diff: these are the messages users will read).

Exit status: 0 all as expected, 1 something was not, 2 bad arguments.
"""
import os
import re
import subprocess
import sys
import tempfile
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


# Seconds; a parser that takes longer on any input fails the case. Sanitizer builds run several
# times slower, so CI's ASan run sets SYNLAB_TIME_SCALE.
BROKEN_TIMEOUT = 20 * float(os.environ.get("SYNLAB_TIME_SCALE", "1"))

# The first lines of a scenario with two hosts, a link and one event (line 5 is the event).
_HEAD = ("title: generated\nhost client 10.0.0.1/24\nhost server 10.0.0.2/24\n"
         "link client server delay 1ms\n0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n")
_MB10 = 10_000_000


def _cut(text):
    """How the parser quotes a long word in a message: its first 48 characters, then '...'."""
    return text[:48] + "..."


# Generated broken cases: (name, text of the scenario, expected "LINE:COL: MESSAGE").
GENERATED = [
    ("ten-mb-line-error-at-end",
     _HEAD + "+0 client: close(3) = 0" + " " * _MB10 + "EBADF\n",
     f"6:{23 + _MB10 + 1}: an errno is only checked with the result -1"),
    ("ten-mb-note-then-error",
     _HEAD + "+0 note " + "x" * _MB10 + "\n+0 clinet: close(3) = 0\n",
     "7:4: unknown host 'clinet' (hosts: client, server)"),
    ("ten-mb-word",
     _HEAD + "+0 client: close(" + "x" * _MB10 + ") = 0\n",
     f"6:18: unknown name '{_cut('x' * _MB10)}': not a symbol or a host (hosts: client, server)"),
    ("nested-brackets-100000",
     _HEAD + "+0 client: close(" + "[" * 100_000 + "3" + "]" * 100_000 + ") = 0\n",
     f"6:{17 + 33}: expression nested too deeply (more than 32 levels)"),
    ("nested-brackets-unclosed",
     _HEAD + "+0 client: close(" + "[" * 100_000,
     f"6:{17 + 33}: expression nested too deeply (more than 32 levels)"),
    ("nested-repeats-100000",
     _HEAD + "".join(f"repeat V{i} = 1..2\n" for i in range(100_000)) + "+0 note x\n" + "end\n" * 100_000,
     "14:1: 'repeat' nested too deeply (more than 8 levels) (in repeat "
     + " ".join(f"V{i}=1" for i in range(8)) + ")"),
    ("number-10000-digits",
     _HEAD + "+0 client: close(" + "9" * 10_000 + ") = 0\n",
     f"6:18: number '{_cut('9' * 10_000)}' is out of range"),
    ("time-10000-digits",
     _HEAD + "1" * 10_000 + " end\n",
     f"6:1: time '{_cut('1' * 10_000)}' is too large"),
    # 1 + 999,999 events is the most a scenario may have; the line after them is still read.
    ("million-lines",
     _HEAD + "0 note x\n" * 999_999 + "0 clinet: close(3) = 0\n",
     "1000005:3: unknown host 'clinet' (hosts: client, server)"),
    # A packetdrill script (a name ending in .pkt) with a 10 MB line.
    ("drill-ten-mb-line.pkt",
     "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(" + "x" * _MB10 + ") = 0\n",
     f"2:1: event too long ({_MB10 + 14} characters; at most 65536)"),
    # One event past the limit, with no 'repeat' anywhere: the message must not blame one.
    ("million-and-one-lines",
     _HEAD + "0 note x\n" * 1_000_001,
     "1000005:1: too many events (more than 1000000)"),
]


def check_one(synlab, scn, expected):
    """Runs `synlab check` on scn; returns the details of what is wrong ([] when all is right)."""
    try:
        p = subprocess.run([synlab, "check", str(scn)], capture_output=True, timeout=BROKEN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return [f"took more than {BROKEN_TIMEOUT} s (a hang, or far too slow)"]
    err = p.stderr.decode("utf-8", "replace").splitlines()
    line, col, message = expected
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
    if details:
        details += ["stderr:"] + [e if len(e) <= 300 else e[:300] + "..." for e in err[:10]]
    return details


def expectation(scn):
    """(LINE, COL, MESSAGE) from NAME.error if present, else from the '# error:' line; or None."""
    sidecar = scn.with_suffix(".error")
    if sidecar.exists():
        text = sidecar.read_text(encoding="utf-8")
        m = re.match(r"(\d+):(\d+): (.*?)\r?$", text.splitlines()[0] if text else "")
    else:
        text = scn.read_bytes().decode("utf-8", "replace")
        comment = "//" if scn.suffix == ".pkt" else "#"  # packetdrill scripts comment with //
        m = re.search(rf"^{comment} error: (\d+):(\d+): (.*?)\r?$", text, re.M)
    return m.groups() if m else None


def check_broken(synlab, folder):
    results = []
    for scn in sorted([*folder.glob("*.scn"), *folder.glob("*.pkt")]):
        expected = expectation(scn)
        if expected is None:
            sidecar = scn.with_suffix(".error").name
            results.append((scn.name, False, [f"no 'LINE:COL: MESSAGE' line in {sidecar}"
                                              if scn.with_suffix(".error").exists() else
                                              f"no '{'//' if scn.suffix == '.pkt' else '#'} error: LINE:COL: MESSAGE' line in the file and no {sidecar}"]))
            continue
        details = check_one(synlab, scn, expected)
        results.append((scn.name, not details, details))
    for error in sorted(folder.glob("*.error")):
        if not error.with_suffix(".scn").exists() and not error.with_suffix(".pkt").exists():
            results.append((error.name, False, [f"no {error.with_suffix('.scn').name} or .pkt beside it"]))
    with tempfile.TemporaryDirectory(prefix="synlab-bad-input-") as tmp:
        for name, text, expected in GENERATED:
            scn = Path(tmp) / (name if name.endswith(".pkt") else f"{name}.scn")
            scn.write_text(text, encoding="utf-8")
            m = re.match(r"(\d+):(\d+): (.*)$", expected)
            details = check_one(synlab, scn, m.groups())
            scn.unlink()
            results.append((f"generated/{name}", not details, details))
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
