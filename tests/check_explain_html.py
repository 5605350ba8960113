#!/usr/bin/env python3
"""`synlab explain --format svg|html` checked in a real browser; prints TAP (meson protocol 'tap').

    check_explain_html.py SYNLAB SCENARIOS_DIR

For each of a few bundled scenarios it writes the SVG and the HTML page and asserts:
  * the SVG is well-formed XML: an <svg> in the SVG namespace with width, height and viewBox;
  * the HTML page is self-contained: no URL other than XML namespace names, no src=, no
    <link>, no url(...), no @import;
  * headless Chromium renders it: the screenshot is a PNG that is not blank (decoded here with
    zlib and struct: many distinct colours, a fair share of non-white pixels);
  * the DOM Chromium built holds what a reader needs: the host names, the first SYN in script
    syntax ("S 0:0(0)"), the errno names and their meanings, the state names, the stable hooks
    (section.ladder, svg.ladder-svg, table.calls, table.states).
And once with two personalities: two ladder sections and a differences section.

Chromium runs with HOME and the XDG directories in a temporary directory (it writes there),
--no-sandbox (tests run as root in CI) and a 60 s timeout per invocation.

Exit status: 0 all passed, 1 something failed, 77 (meson's "skipped") when Chromium is not
installed (./dev installs it, so CI runs this for real), 2 bad arguments. CHROMIUM in the
environment overrides where the browser is found.
"""
import html
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

SVG_NS = "http://www.w3.org/2000/svg"
TIMEOUT = 60

# Scenario, then the strings its page must show (besides its host names). "@meaning:ERRNO"
# stands for the one-line meaning synlab gives that errno, read from the text ladder.
CASES = [
    ("refused/blocking", ["S 0:0(0)", "R. 0:0(0) ack 1", "ECONNREFUSED", "@meaning:ECONNREFUSED",
                          "SYN_SENT", "CLOSE", "NO_SOCKET"]),
    ("backlog/ack-overflow-retry", ["S 0:0(0)", "S. 0:0(0) ack 1", "SYN_SENT", "ESTABLISHED",
                                    "LISTEN", "EINPROGRESS", "retransmission 1"]),
    ("timeout/blackhole-syn2", ["S 0:0(0)", "ETIMEDOUT", "@meaning:ETIMEDOUT", "SYN_SENT",
                                "retransmission 5", "NETFILTER_DROP"]),
    ("handshake/basic", ["S 0:0(0)", "SYN_SENT", "ESTABLISHED"]),
    ("udp/connect", ["UDP", "ICMP", "ENOTCONN", "EDESTADDRREQ", "@meaning:EDESTADDRREQ"]),
]
# The EADDRNOTAVAIL (linux) / EADDRINUSE (bsd) difference, both runs passing.
COMPARE = ("addresses/reuseaddr-collision-bsd", "linux,bsd")
PAGE_CHECKS = 6  # TAP points per page (check_page)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, title, details=(), info=()):
        """One test point; `details` are printed when it fails, `info` always."""
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {title}", flush=True)
        for line in list(info) + ([] if ok else list(details)):
            for part in str(line).splitlines():
                print(f"# {part}")
        return ok


def find_chromium():
    override = os.environ.get("CHROMIUM")
    if override:
        return override if shutil.which(override) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def host_names(scenario_file):
    with open(scenario_file, encoding="utf-8") as f:
        return [m.group(1) for m in re.finditer(r"^host\s+(\S+)", f.read(), re.M)]


def meaning_of(synlab, scenario, errno_name):
    """The errno's meaning as the text ladder states it ("ECONNREFUSED: nobody accepted ...")."""
    proc = subprocess.run([synlab, "explain", scenario, "--width", "400", "--color", "never"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    m = re.search(rf"(?:^|[\s|]){re.escape(errno_name)}: (.+)$", proc.stdout, re.M)
    return m.group(1).strip() if m else None


# --- PNG, decoded by hand --------------------------------------------------------------------

def png_pixels(path, max_rows=None):
    """(width, height, rows of bytes, bytes per pixel) of an 8-bit RGB/RGBA/grey PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG signature")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise ValueError("no IHDR chunk")
    width, height, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    bpp, stride = channels, width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height if max_rows is None else min(height, max_rows)):
        start = y * (stride + 1)
        ftype, cur = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if ftype == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 0xFF
        elif ftype == 2:
            cur = bytearray((a + b) & 0xFF for a, b in zip(cur, prev))
        elif ftype == 3:
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (cur[i] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad filter type {ftype} on row {y}")
        rows.append(bytes(cur))
        prev = cur
    return width, height, rows, bpp


def colour_stats(rows, bpp):
    """(distinct colours, share of pixels that are not white-ish)."""
    colours, ink, total = set(), 0, 0
    for row in rows:
        for i in range(0, len(row), bpp):
            px = row[i:i + min(bpp, 3)]
            colours.add(px)
            total += 1
            if min(px) < 235:
                ink += 1
    return len(colours), (ink / total if total else 0.0)


# --- the checks ------------------------------------------------------------------------------

class Hooks(html.parser.HTMLParser):
    """Counts the stable hooks a test (or a style sheet) relies on."""

    def __init__(self):
        super().__init__()
        self.found = {}
        self.personalities = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        for key in ("ladder", "differences", "ladder-svg", "calls", "states", "summary"):
            if key in classes:
                self.found[f"{tag}.{key}"] = self.found.get(f"{tag}.{key}", 0) + 1
        if tag == "section" and "ladder" in classes:
            self.personalities.append(a.get("data-personality"))


def external_references(text):
    """URLs and loads that would make the page depend on something else."""
    stripped = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", text)
    problems = []
    for pattern in (r"https?:", r"\ssrc\s*=", r"<link\b", r"url\(", r"@import", r"<iframe\b", r"<object\b",
                    r"<embed\b", r'href\s*=\s*"(?!#)'):
        for m in re.finditer(pattern, stripped, re.I):
            problems.append(stripped[max(0, m.start() - 40):m.end() + 40].replace("\n", " "))
    return problems


def shows(markup, s):
    """Whether `s` is in the markup's text (tags removed, references decoded) or its attributes."""
    return s in html.unescape(re.sub(r"<[^>]*>", "", markup)) or s in html.unescape(markup)


def run(cmd, env=None):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, -9, e.stdout or b"", (e.stderr or b"") + b"\n(timed out)")


def chromium_env(home):
    env = dict(os.environ)
    env["HOME"] = home
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_RUNTIME_DIR", "runtime")):
        env[var] = os.path.join(home, sub)
        os.makedirs(env[var], mode=0o700, exist_ok=True)
    return env


def chromium_cmd(chromium, home, *extra):
    return [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
            f"--user-data-dir={os.path.join(home, 'profile')}", "--window-size=1200,2000", *extra]


def check_page(tap, synlab, chromium, home, tmp, scen_file, name, expected, personality=None):
    slug = name.replace("/", "-") + ("-" + personality.replace(",", "-") if personality else "")
    html_path = os.path.join(tmp, slug + ".html")
    extra = ["--personality", personality] if personality else []
    proc = run([synlab, "explain", scen_file, "--format", "html", "-o", html_path, *extra])
    # Compared, a personality the scenario was not written for may fail it (exit 1, still drawn).
    written = proc.returncode in ((0, 1) if personality else (0,)) and os.path.isfile(html_path) and os.path.getsize(html_path) > 0
    if not tap.check(written, f"{slug}: synlab explain --format html writes the page",
                     [f"exit status {proc.returncode}", proc.stderr.decode(errors="replace")[-2000:]]):
        for _ in range(PAGE_CHECKS - 1):
            tap.check(False, f"{slug}: (not checked: no page)")
        return
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    ext = external_references(page)
    tap.check(not ext, f"{slug}: the page is self-contained", ext[:5])
    hooks = Hooks()
    hooks.feed(page)
    want = {"section.ladder": 2 if personality else 1, "svg.ladder-svg": 2 if personality else 1,
            "table.calls": 2 if personality else 1, "table.states": 2 if personality else 1}
    if personality:
        want["section.differences"] = 1
    missing = [f"{k}: want {v}, found {hooks.found.get(k, 0)}" for k, v in want.items() if hooks.found.get(k, 0) != v]
    if personality and hooks.personalities != personality.split(","):
        missing.append(f"section.ladder data-personality {hooks.personalities}, want {personality.split(',')}")
    tap.check(not missing, f"{slug}: the page has its sections and tables", missing)

    env = chromium_env(home)
    url = "file://" + os.path.abspath(html_path)
    shot = os.path.join(tmp, slug + ".png")
    proc = run(chromium_cmd(chromium, home, f"--screenshot={shot}", url), env)
    if tap.check(os.path.isfile(shot) and os.path.getsize(shot) > 0, f"{slug}: chromium takes a screenshot",
                 [f"exit status {proc.returncode}", proc.stderr.decode(errors="replace")[-1500:]]):
        try:
            width, height, rows, bpp = png_pixels(shot, max_rows=1000)
            colours, ink = colour_stats(rows, bpp)
            tap.check(width == 1200 and colours >= 40 and ink >= 0.02, f"{slug}: the screenshot is not blank",
                      info=[f"{width}x{height}, {colours} distinct colours in the top {len(rows)} rows, "
                            f"{ink:.1%} of the pixels not white"])
        except (ValueError, zlib.error, struct.error) as e:
            tap.check(False, f"{slug}: the screenshot is not blank", [f"cannot decode {shot}: {e}"])
    else:
        tap.check(False, f"{slug}: the screenshot is not blank", ["no screenshot"])

    proc = run(chromium_cmd(chromium, home, "--dump-dom", url), env)
    dom = proc.stdout.decode("utf-8", errors="replace")
    absent = [s for s in expected if not shows(dom, s)]
    tap.check(proc.returncode == 0 and not absent, f"{slug}: the rendered DOM shows {len(expected)} expected labels",
              [f"exit status {proc.returncode}, {len(dom)} characters of DOM"]
              + [f"missing: {s!r}" for s in absent]
              + ([proc.stderr.decode(errors="replace")[-1500:]] if proc.returncode else []))


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    synlab, scenarios = sys.argv[1], sys.argv[2]
    chromium = find_chromium()
    if chromium is None:
        print("1..0 # SKIP chromium not installed")
        return 77
    if not os.access(synlab, os.X_OK) or not os.path.isdir(scenarios):
        print(f"Bail out! {synlab} is not an executable or {scenarios} is not a directory", flush=True)
        return 2

    tap = Tap()
    # 2 (SVG) + a page per case, and the comparison's page.
    print(f"1..{(2 + PAGE_CHECKS) * len(CASES) + PAGE_CHECKS}", flush=True)
    with tempfile.TemporaryDirectory(prefix="synlab-explain-html-") as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        for name, wanted in CASES:
            scen_file = os.path.join(scenarios, name + ".scn")
            expected = list(host_names(scen_file))
            for w in wanted:
                if w.startswith("@meaning:"):
                    errno_name = w.split(":", 1)[1]
                    meaning = meaning_of(synlab, scen_file, errno_name)
                    expected.append(meaning if meaning else f"(no meaning for {errno_name} in the text ladder)")
                else:
                    expected.append(w)

            svg_path = os.path.join(tmp, name.replace("/", "-") + ".svg")
            proc = run([synlab, "explain", scen_file, "--format", "svg", "-o", svg_path])
            problems = []
            if proc.returncode != 0 or not os.path.isfile(svg_path):
                problems = [f"exit status {proc.returncode}", proc.stderr.decode(errors="replace")[-2000:]]
            else:
                try:
                    root = ET.parse(svg_path).getroot()
                    if root.tag != f"{{{SVG_NS}}}svg":
                        problems.append(f"root element {root.tag}, want {{{SVG_NS}}}svg")
                    for attr in ("width", "height", "viewBox"):
                        if not root.get(attr):
                            problems.append(f"no {attr} on <svg>")
                except ET.ParseError as e:
                    problems.append(f"not well-formed XML: {e}")
            tap.check(not problems, f"{name}: the SVG is well-formed XML with width, height and viewBox", problems)
            if not problems:
                with open(svg_path, encoding="utf-8") as f:
                    svg_text = f.read()
                absent = [s for s in expected if not shows(svg_text, s)]
                tap.check(not absent, f"{name}: the SVG shows the expected labels", [f"missing: {s!r}" for s in absent])
            else:
                tap.check(False, f"{name}: the SVG shows the expected labels", ["no SVG"])

            check_page(tap, synlab, chromium, home, tmp, scen_file, name, expected)

        name, personalities = COMPARE
        scen_file = os.path.join(scenarios, name + ".scn")
        check_page(tap, synlab, chromium, home, tmp, scen_file, name,
                   host_names(scen_file) + ["Differences", "EADDRNOTAVAIL", "EADDRINUSE", "SYN_SENT"], personalities)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
