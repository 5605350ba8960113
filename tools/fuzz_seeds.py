#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora from the tree (never copied into the repository).

  fuzz_seeds.py OUT_DIR [--root ROOT] [--packetdrill DIR] [TARGET ...]   (default: every target)

OUT_DIR/scenario_parser/  the bundled scenarios and tests/bad-input/ but its .pkt files (under 1 MB)
OUT_DIR/capture_reader/   the golden captures in pcaps/
OUT_DIR/wire_receive/     every frame of every golden capture, twice: to the server and to the
                          client, in wire_receive's input format (fuzz/wire_receive.cc):
                          u8 flags (4: set the destination MAC; 6: and deliver to the client),
                          u16 big-endian length, the frame
OUT_DIR/packetdrill_parser/  every .pkt script of the packetdrill corpus (--packetdrill, by
                          default ROOT/../shared/conformance/packetdrill; read from there, never
                          copied into the repository; none from there when it is absent) and
                          the malformed scripts of tests/bad-input/
"""
import argparse
import hashlib
import pathlib
import shutil
import struct
import sys


def pcapng_frames(data):
    """The packet data of every Enhanced/Simple Packet Block of a pcapng file."""
    frames = []
    i = 0
    endian = "<"
    while i + 12 <= len(data):
        btype = struct.unpack_from(endian + "I", data, i)[0]
        if btype == 0x0A0D0D0A:  # section header: read its byte-order magic
            magic = data[i + 8:i + 12]
            endian = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack_from(endian + "I", data, i + 4)[0]
        if blen < 12 or i + blen > len(data):
            break
        if btype == 6:
            caplen = struct.unpack_from(endian + "I", data, i + 20)[0]
            frames.append(data[i + 28:i + 28 + caplen])
        elif btype == 3:
            origlen = struct.unpack_from(endian + "I", data, i + 8)[0]
            frames.append(data[i + 12:i + 12 + min(origlen, blen - 16)])
        i += blen
    return frames


def write(out, payload):
    name = hashlib.sha1(payload).hexdigest()[:16]
    (out / name).write_bytes(payload)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent))
    ap.add_argument("--packetdrill", help="the packetdrill corpus (default: ROOT/../shared/conformance/packetdrill)")
    ap.add_argument("targets", nargs="*",
                    default=["scenario_parser", "capture_reader", "wire_receive", "packetdrill_parser"])
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    packetdrill = pathlib.Path(args.packetdrill) if args.packetdrill else root.parent / "shared" / "conformance" / "packetdrill"
    out = pathlib.Path(args.out)
    counts = {}
    for target in args.targets:
        d = out / target
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True, exist_ok=True)
        counts[target] = 0
    bad_input = sorted((root / "tests" / "bad-input").rglob("*"))
    for f in sorted((root / "scenarios").rglob("*.scn")) + [b for b in bad_input if b.suffix != ".pkt"]:
        if "scenario_parser" in counts and f.is_file() and f.stat().st_size < (1 << 20):
            write(out / "scenario_parser", f.read_bytes())
            counts["scenario_parser"] += 1
    for f in sorted((root / "pcaps").rglob("*.pcapng")):
        data = f.read_bytes()
        if "capture_reader" in counts:
            write(out / "capture_reader", data)
            counts["capture_reader"] += 1
        if "wire_receive" not in counts:
            continue
        for frame in pcapng_frames(data):
            if len(frame) > 0xFFFF:
                continue
            for flags in (4, 6):
                write(out / "wire_receive", bytes([flags]) + struct.pack(">H", len(frame)) + frame)
                counts["wire_receive"] += 1
    if "packetdrill_parser" in counts:
        corpus = sorted(packetdrill.rglob("*.pkt")) if packetdrill.is_dir() else []
        for f in corpus + [b for b in bad_input if b.suffix == ".pkt"]:
            if f.is_file() and f.stat().st_size < (1 << 20):
                write(out / "packetdrill_parser", f.read_bytes())
                counts["packetdrill_parser"] += 1
    for t, n in counts.items():
        print(f"{t}: {n} seeds in {out / t}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
