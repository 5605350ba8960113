#!/usr/bin/env python3
"""Validates a capture file with capinfos and tshark; prints TAP (meson protocol 'tap').

    check_capture.py FILE [--packets N] [--format pcap|pcapng|nsecpcap]
                          [--require-comments] [--expect-flags FLAGS [FLAGS ...]]

What it asserts (../shared/reference/ecosystem.md §1.6):
  * capinfos reads it (step 0): its type and packet count, and that time never goes
    backwards. tshark's exit status alone proves nothing: it reads an empty file as "erf"
    and the word "garbage" as MP4, both with status 0.
  * tshark reads every frame, and with IP/TCP/UDP checksum validation on (it is off by
    default) finds no bad checksum (IPv4, TCP, UDP, ICMP, ICMPv6), no malformed packet and
    no expert error (step 1). Warnings are allowed: an RST is one.
  * --require-comments: every frame has a frame.comment (pcapng only has comments).
  * --expect-flags: the TCP flags of the frames that carry a TCP header (ICMP errors that
    quote one are skipped), in order, e.g. "SYN SYN+ACK ACK" or "0x0002 0x0012 0x0010".

tshark runs once, with TZ=UTC and a private, empty WIRESHARK_CONFIG_DIR so a user's
profile cannot change the result; its stderr (where, as root, it says "Running as user
root") is kept apart from the output it parses. Failures name the frames, numbered as
Wireshark numbers them.

Exit status: 0 all passed, 1 something failed, 77 (meson's "skipped") when capinfos or
tshark is not installed, 2 bad arguments. CAPINFOS and TSHARK in the environment override
where the tools are found.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

TCP_FLAG_NAMES = [("FIN", 0x01), ("SYN", 0x02), ("RST", 0x04), ("PSH", 0x08), ("ACK", 0x10),
                  ("URG", 0x20), ("ECE", 0x40), ("CWR", 0x80), ("NS", 0x100)]
ERROR_SEVERITY = 0x00800000  # _ws.expert.severity of "Error" (ecosystem.md §1.6)
CHECKSUM_FIELDS = [("ip", "IPv4 header"), ("tcp", "TCP"), ("udp", "UDP"),
                   ("icmp", "ICMP"), ("icmpv6", "ICMPv6")]


def parse_flags(text):
    """'SYN+ACK', 'syn-ack', '0x0012' or '18' -> 0x12."""
    try:
        return int(text, 0)
    except ValueError:
        pass
    names = dict(TCP_FLAG_NAMES)
    value = 0
    for part in text.upper().replace("-", "+").replace("|", "+").replace(",", "+").split("+"):
        if part not in names:
            raise argparse.ArgumentTypeError(
                f"unknown TCP flag {part!r} in {text!r} (use {', '.join(names)} or a number)")
        value |= names[part]
    return value


def flag_names(value):
    names = [n for n, bit in TCP_FLAG_NAMES if value & bit]
    return "+".join(names) if names else "none"


class Tap:
    def __init__(self, planned):
        self.n = 0
        self.failed = False
        print(f"1..{planned}", flush=True)

    def result(self, ok, title, details=()):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {title}")
        for line in details:
            print(f"# {line}")
        sys.stdout.flush()
        self.failed |= not ok

    def bail(self, reason):
        print(f"Bail out! {reason}", flush=True)
        sys.exit(1)


def run(cmd, env, tap):
    try:
        return subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              check=False)
    except OSError as e:
        tap.bail(f"cannot run {cmd[0]}: {e.strerror}")


def find_tool(name):
    """The tool named by $NAME (which must then exist), else the one on PATH, else None."""
    override = os.environ.get(name.upper())
    if override:
        found = shutil.which(override)
        if not found:
            print(f"Bail out! {name.upper()}={override} is not an executable", flush=True)
            sys.exit(1)
        return found
    return shutil.which(name)


def stderr_lines(proc):
    text = proc.stderr.decode("utf-8", "replace")
    return [l for l in text.splitlines() if l.strip() and "could be dangerous" not in l]


def capinfos_summary(capinfos, path, env, tap):
    # -T table, -r no header row, -t type, -E encapsulation, -c packets, -o in order, -M raw.
    proc = run([capinfos, "-T", "-r", "-t", "-E", "-c", "-o", "-M", path], env, tap)
    row = proc.stdout.decode("utf-8", "replace").rstrip("\n").split("\t")
    if proc.returncode != 0 or len(row) < 5:
        tap.result(False, f"capinfos reads {path}", stderr_lines(proc) or ["no output"])
        tap.bail(f"capinfos cannot read {path}")
    ftype, encap, count, ordered = row[-4:]
    try:
        packets = int(count)
    except ValueError:
        tap.bail(f"capinfos gave a packet count of {count!r}")
    # An empty file reads as "erf" with 0 packets: only these three are captures of ours.
    ours = ftype in ("pcap", "nsecpcap", "pcapng")
    tap.result(ours, f"capinfos reads {path}: {ftype}, {encap}, {packets} packets",
               [] if ours else [f"{ftype} is not pcap, nsecpcap or pcapng"])
    return ftype, packets, ordered


def dissect(tshark, path, env, tap):
    fields = ["frame.number", "frame.comment", "tcp.flags", "icmp.type", "icmpv6.type",
              "_ws.malformed", "_ws.expert.severity", "_ws.expert.message"]
    fields += [f"{proto}.checksum.status" for proto, _ in CHECKSUM_FIELDS]
    cmd = [tshark, "-n", "-r", path,
           "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE", "-T", "json"]
    for f in fields:
        cmd += ["-e", f]
    proc = run(cmd, env, tap)
    frames = []
    if proc.stdout.strip():
        try:
            packets = json.loads(proc.stdout.decode("utf-8", "replace"))
            frames = [p["_source"]["layers"] for p in packets]
        except (ValueError, KeyError, TypeError) as e:
            return proc, None, f"cannot parse tshark's JSON: {e}"
    return proc, frames, None


def frame_number(layers):
    return int(layers.get("frame.number", ["0"])[0])


def problems_of(layers):
    """What §1.6 step 1 forbids in one frame, in words."""
    found = []
    for proto, name in CHECKSUM_FIELDS:
        if "0" in layers.get(f"{proto}.checksum.status", []):  # 0 = Bad
            found.append(f"bad {name} checksum")
    if "_ws.malformed" in layers:
        found.append("malformed")
    severities = layers.get("_ws.expert.severity", [])
    messages = layers.get("_ws.expert.message", [])
    for i, severity in enumerate(severities):
        if int(severity, 0) >= ERROR_SEVERITY:
            message = messages[i] if i < len(messages) and len(messages) == len(severities) \
                else "(message not available)"
            found.append(f"expert error: {message}")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--packets", type=int, help="exact number of packets")
    ap.add_argument("--format", choices=["pcap", "pcapng", "nsecpcap"],
                    help="file type as capinfos names it")
    ap.add_argument("--require-comments", action="store_true",
                    help="every frame must have a frame.comment")
    ap.add_argument("--expect-flags", nargs="+", type=parse_flags, metavar="FLAGS",
                    help="TCP flags of each TCP frame, in order")
    args = ap.parse_args()

    capinfos = find_tool("capinfos")
    tshark = find_tool("tshark")
    if not capinfos or not tshark:
        print("1..0 # SKIP capinfos or tshark is not installed")
        return 77

    planned = 4 + (args.format is not None) + (args.packets is not None) \
        + args.require_comments + (args.expect_flags is not None)
    tap = Tap(planned)
    with tempfile.TemporaryDirectory(prefix="check_capture_") as config:
        env = dict(os.environ, TZ="UTC", WIRESHARK_CONFIG_DIR=config)
        ftype, packets, ordered = capinfos_summary(capinfos, args.file, env, tap)
        if args.format is not None:
            tap.result(ftype == args.format, f"format is {args.format}",
                       [] if ftype == args.format else [f"capinfos says {ftype}"])
        if args.packets is not None:
            tap.result(packets == args.packets, f"{args.packets} packets",
                       [] if packets == args.packets else [f"the file holds {packets}"])
        tap.result(ordered == "True" or packets <= 1, "timestamps never go backwards",
                   [] if ordered == "True" or packets <= 1
                   else [f"capinfos: in order = {ordered}"])

        proc, frames, parse_error = dissect(tshark, args.file, env, tap)
        read_ok = proc.returncode == 0 and frames is not None and len(frames) == packets
        details = []
        if proc.returncode != 0:
            details.append(f"tshark exited with status {proc.returncode}")
        if parse_error:
            details.append(parse_error)
        elif frames is not None and len(frames) != packets:
            details.append(f"tshark dissected {len(frames)} frames, capinfos counts {packets}")
        tap.result(read_ok, "tshark reads every frame", details + stderr_lines(proc))
        frames = frames or []

        broken = [(frame_number(l), problems_of(l)) for l in frames]
        broken = [(n, p) for n, p in broken if p]
        tap.result(not broken and read_ok,
                   "no bad checksums, malformed packets or expert errors",
                   [f"frame {n}: {'; '.join(p)}" for n, p in broken]
                   + ([] if read_ok else ["(not every frame could be checked)"]))

        if args.require_comments:
            bare = [frame_number(l) for l in frames if not l.get("frame.comment")]
            tap.result(not bare and read_ok, "every frame has a comment",
                       [f"frames without a comment: {', '.join(map(str, bare))}"] if bare else [])

        if args.expect_flags is not None:
            tcp = [(frame_number(l), int(l["tcp.flags"][0], 0)) for l in frames
                   if "tcp.flags" in l and "icmp.type" not in l and "icmpv6.type" not in l]
            want = args.expect_flags
            details = []
            for i in range(max(len(want), len(tcp))):
                if i >= len(tcp):
                    details.append(f"TCP frame {i + 1}: expected {flag_names(want[i])}, "
                                   "but there are no more TCP frames")
                elif i >= len(want):
                    details.append(f"frame {tcp[i][0]}: {flag_names(tcp[i][1])} was not expected "
                                   f"(only {len(want)} TCP frames were)")
                elif tcp[i][1] != want[i]:
                    details.append(f"frame {tcp[i][0]}: expected {flag_names(want[i])}, "
                                   f"got {flag_names(tcp[i][1])}")
            title = "TCP flags are " + " ".join(flag_names(f) for f in want)
            tap.result(not details and read_ok, title, details)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
