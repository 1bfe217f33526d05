#!/usr/bin/env python3
"""Writes the fuzzer's seed inputs: typical Mobility Headers and tunnel frames.

Each seed goes to Fuzz/Seeds/NAME.bin (the start of the corpus) and to
Tests/GLMWireTests/Regressions/seed-NAME.bin (so RegressionInputTests always has
inputs). The two signed vectors are the ones in AuthenticationTests.swift; the others
are built here from the layouts in RFC 6275 §6.1-6.2, RFC 5847 §5, RFC 5846 §8,
RFC 5844 §3.3 and RFC 5845 §7, padded the way the encoder pads, and signed (where the
name says so) as Docs/protocol.md defines: HMAC over sender | receiver | the Mobility
Header through the SPI with the checksum zero. Keys and addresses match the fuzz
target's fixed security associations, so signed seeds reach the verified path.

Run from the repository root: python3 Fuzz/make-seeds.py
"""
import hashlib
import hmac
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "Fuzz", "Seeds")
REGRESSIONS = os.path.join(ROOT, "Tests", "GLMWireTests", "Regressions")

SITE = bytes([198, 18, 1, 2])
HOME = bytes([198, 18, 0, 2])
SHA256_KEY = bytes(range(32))         # SPI 0x100, HMAC-SHA-256-128
SHA1_KEY = bytes(range(100, 120))     # SPI 0x200, HMAC-SHA1-96
VM = bytes.fromhex("525400123456")
TIMESTAMP = struct.pack(">Q", 1_795_000_000 << 16 | 0x8000)

# Option Type octet alignment "xn+y" (RFC 6275 §6.2 and each option's RFC).
ALIGNMENT = {27: (8, 2), 25: (8, 2), 28: (4, 2), 9: (4, 1), 33: (4, 0), 36: (4, 0), 37: (4, 0), 38: (4, 0)}


def padding(count):
    """Pad1 for one octet, PadN otherwise."""
    if count == 0:
        return b""
    if count == 1:
        return b"\x00"
    return bytes([1, count - 2]) + bytes(count - 2)


def message(mh_type, fixed, options, sign=None):
    """A Mobility Header: 6-octet header, 6 octets of fixed fields, aligned options."""
    body = bytearray([59, 0, mh_type, 0, 0, 0]) + fixed
    for option_type, data in options:
        multiple, offset = ALIGNMENT.get(option_type, (1, 0))
        body += padding((offset - len(body) % multiple) % multiple)
        body += bytes([option_type, len(data)]) + data
    if sign is None:
        body += padding((8 - len(body) % 8) % 8)
        body[1] = len(body) // 8 - 1
        return bytes(body)
    spi, key, digest, length, sender, receiver = sign
    option_length = 7 + length
    here = len(body)
    start = here + (1 - here % 4) % 4
    while (start + option_length) % 8 != 0:
        start += 4
    body += padding(start - here)
    total = start + option_length
    body[1] = total // 8 - 1
    body += bytes([9, option_length - 2, 1]) + struct.pack(">I", spi)
    covered = bytes(body[:4]) + b"\x00\x00" + bytes(body[6:])
    body += hmac.new(key, sender + receiver + covered, digest).digest()[:length]
    return bytes(body)


SHA256_SITE = (0x100, SHA256_KEY, hashlib.sha256, 16, SITE, HOME)
SHA1_HOME = (0x200, SHA1_KEY, hashlib.sha1, 12, HOME, SITE)

PBU_OPTIONS = [
    (8, b"\x05" + VM),                    # MN-ID, EUI-48
    (23, b"\x00\x03"),                    # Handoff Indicator: MAG-to-MAG
    (24, b"\x00\x01"),                    # Access Technology Type: virtual
    (27, TIMESTAMP),                      # Timestamp
    (36, b"\x00\x00" + bytes(4)),         # IPv4 HoA Request: allocate
]
PBA_OPTIONS = [
    (8, b"\x05" + VM),
    (27, TIMESTAMP),
    (37, bytes([0, 24 << 2, 10, 10, 0, 50])),   # IPv4 HoA Reply: success, /24
    (38, b"\x00\x00" + bytes([10, 10, 0, 1])),  # IPv4 Default Router
    (33, b"\x00\x00" + bytes.fromhex("00010203")),  # GRE Key
]

# Sequence 7, flags A|P, lifetime 75 units.
PBU_FIXED = struct.pack(">HHH", 7, 0x8200, 75)
PBA_FIXED = struct.pack(">BBHH", 0, 0x20, 7, 75)


def ipv4_udp(source, destination):
    """A 28-octet IPv4/UDP packet with no payload."""
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28, 0, 0x4000, 64, 17, 0, source, destination)
    return header + struct.pack(">HHHH", 12345, 53, 8, 0)


def tlv(next_header, payload):
    return struct.pack(">BBH", 0, next_header, len(payload)) + payload


INNER = ipv4_udp(bytes([10, 10, 0, 50]), bytes([10, 10, 0, 1]))

SEEDS_BY_NAME = {
    "pbu": message(5, PBU_FIXED, PBU_OPTIONS),
    "pbu-sha256": message(5, PBU_FIXED, PBU_OPTIONS, SHA256_SITE),
    "pba-sha1": message(6, PBA_FIXED, PBA_OPTIONS, SHA1_HOME),
    "pbu-nai-unknown-option": message(5, struct.pack(">HHH", 0xFFFF, 0x8380, 0), [
        (8, b"\x01" + b"vm-42@tenant.example"),
        (25, b"\x00\x00" + VM),
        (33, b"\x00\x00"),
        (23, b"\x00\x01"),
        (200, b"\x01\x02\x03"),
    ]),
    "pba-refused": message(6, struct.pack(">BBHH", 146, 0x20, 1, 0), []),
    "heartbeat": message(13, struct.pack(">HI", 0, 0xDEADBEEF), [(28, struct.pack(">I", 3))]),
    "heartbeat-response-sha256": message(13, struct.pack(">HI", 1, 1), [(28, struct.pack(">I", 9))], SHA256_SITE),
    "bri": message(16, struct.pack(">BBHH", 1, 2, 42, 0x8000), [(8, b"\x05" + VM), (27, TIMESTAMP)]),
    "bri-sha256": message(16, struct.pack(">BBHH", 1, 2, 42, 0x8000), [(8, b"\x05" + VM), (27, TIMESTAMP)], SHA256_SITE),
    "bra": message(16, struct.pack(">BBHH", 2, 0, 42, 0x8000), [(8, b"\x05" + VM)]),
    "tunnel-bare": INNER,
    "tunnel-tlv": tlv(4, INNER),
    "tunnel-gre-key": tlv(47, struct.pack(">HHI", 0x2000, 0x0800, 0x00010203) + INNER),
    "tunnel-gre": tlv(47, struct.pack(">HH", 0, 0x0800) + INNER),
}

# The independently computed vectors of AuthenticationTests.swift must come out the same.
assert SEEDS_BY_NAME["pbu-sha256"].hex() == (
    "3b090500000000078200004b080705525400123456170200031802000101030000001b0800006afd86c08000"
    "240600000000000001030000000915010000010034a8ce90ebe165bd1cbbaae38c012c37")
assert SEEDS_BY_NAME["pba-sha1"].hex() == (
    "3b090600000000200007004b08070552540012345601030000001b0800006afd86c08000250600600a0a0032"
    "260600000a0a000121060000000102030009110100000200daf83755af5e0b4f31720da9")

for name, data in SEEDS_BY_NAME.items():
    for path in (os.path.join(SEEDS, name + ".bin"), os.path.join(REGRESSIONS, "seed-" + name + ".bin")):
        with open(path, "wb") as f:
            f.write(data)
    print(f"{name:28} {len(data):3} octets")
