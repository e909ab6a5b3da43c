#!/usr/bin/env python3
"""Extracts the Diameter messages of a loopback capture as hex, one file each.

Used to refresh the codec's fixtures in ims-bridge/tests/captures/ from a
run of the end-to-end test with real Kamailio (see ims-bridge/README.md,
"Captures"):

    tcpdump -i lo -s 0 -w /tmp/cx.pcap tcp &
    cargo test --release -p ims-bridge --test kamailio
    python3 scripts/diameter-captures.py /tmp/cx.pcap ims-bridge/tests/captures

TCP payloads are reassembled per direction (loopback delivers them in
order); a stream is kept when it starts with a Diameter header whose
command is a base or Cx one. The first message of each kind (command,
request or answer, sender; for MAR the scheme, for SAR the assignment
type) is written as <sender>-<command>[-<kind>]-<R|A>.hex,
64 hex digits a line. Nothing else of the capture is written.
"""
import struct
import sys
from pathlib import Path

COMMANDS = {257: "cer", 280: "dwr", 282: "dpr", 300: "uar", 301: "sar", 302: "lir", 303: "mar", 304: "rtr"}


def packets(path):
    data = Path(path).read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    offset = 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        if linktype == 1:  # Ethernet
            frame = frame[14:]
        elif linktype == 113:  # Linux cooked
            frame = frame[16:]
        if not frame or frame[0] >> 4 != 4 or frame[9] != 6:
            continue
        ihl = (frame[0] & 15) * 4
        tcp = frame[ihl:]
        src = (frame[12:16], struct.unpack(">H", tcp[0:2])[0])
        dst = (frame[16:20], struct.unpack(">H", tcp[2:4])[0])
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            yield src, dst, payload


GROUPED = {260, 612, 628, 603}  # VSAI, SIP-Auth-Data-Item, Supported-Features, Server-Capabilities
SAR_TYPES = {0: "no-assignment", 1: "registration", 2: "re-registration", 3: "unregistered-user",
             5: "user-deregistration", 8: "deregistration-too-much-data", 11: "administrative-deregistration"}


def avps(data, offset=0):
    """(code, value) of every AVP, grouped ones entered too."""
    while offset + 8 <= len(data):
        code, flags, length = struct.unpack(">IB3s", data[offset:offset + 8])
        length = int.from_bytes(length, "big")
        header = 12 if flags & 0x80 else 8
        if length < header or offset + length > len(data):
            return
        value = data[offset + header:offset + length]
        yield code, value
        if code in GROUPED:
            yield from avps(value)
        offset += (length + 3) & ~3


def describe(message):
    """Who sent it (icscf, scscf or hss) and what kind of request it is."""
    found = dict(avps(message, 20))
    host = found.get(264, b"").decode(errors="replace").split(".")[0]
    sender = host if host in ("icscf", "scscf") else "hss"
    detail = ""
    if 608 in found:  # SIP-Authentication-Scheme
        detail = "-" + found[608].decode(errors="replace").lower()
    if 614 in found:  # Server-Assignment-Type
        detail = "-" + SAR_TYPES.get(int.from_bytes(found[614], "big"), "other")
    if 610 in found:  # SIP-Authorization: an AKA resynchronisation
        detail += "-resync"
    return sender, detail


def main(pcap, out):
    streams = {}
    for src, dst, payload in packets(pcap):
        streams.setdefault((src, dst), bytearray()).extend(payload)
    seen = {}
    for stream in streams.values():
        offset = 0
        while offset + 20 <= len(stream):
            version = stream[offset]
            length = int.from_bytes(stream[offset + 1:offset + 4], "big")
            code = int.from_bytes(stream[offset + 5:offset + 8], "big")
            if version != 1 or code not in COMMANDS or length < 20 or offset + length > len(stream):
                break
            message = bytes(stream[offset:offset + length])
            kind = "R" if stream[offset + 4] & 0x80 else "A"
            sender, detail = describe(message)
            seen.setdefault(f"{sender}-{COMMANDS[code]}{detail if kind == 'R' else ''}-{kind}", message)
            offset += length
    Path(out).mkdir(parents=True, exist_ok=True)
    for name, message in sorted(seen.items()):
        text = message.hex()
        lines = [text[i:i + 64] for i in range(0, len(text), 64)]
        (Path(out) / f"{name}.hex").write_text("\n".join(lines) + "\n")
        print(f"{name}.hex: {len(message)} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: diameter-captures.py CAPTURE.pcap OUT_DIR")
    main(sys.argv[1], sys.argv[2])
