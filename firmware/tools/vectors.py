#!/usr/bin/env python3
"""Golden-vector generator for firmware/PROTOCOL.md, independent of both implementations.

It knows the message layouts only from the spec (written out again below, by hand), packs
them with `struct`, takes the CRC from `binascii.crc_hqx` (CRC-16/CCITT with initial value
0xFFFF is CRC-16/CCITT-FALSE) and stuffs bytes with its own COBS. It shares no code with the
TypeScript (src/protocol) or C (firmware/components/esp_live_core) encoders, so a vector it
writes is a second opinion, not an echo of the code under test.

    python3 firmware/tools/vectors.py          # check every vector in PROTOCOL.md
    python3 firmware/tools/vectors.py --write  # fill in `msg TODO` / `frame TODO` lines
"""
import binascii
import json
import re
import struct
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "PROTOCOL.md"

FORMAT = [("sampleRateHz", "u32"), ("sampleFormat", "u8"), ("channels", "u8"), ("codecs", "u8")]
ENTRY = [("key", "u8"), ("flags", "u8"), ("value", "str8")]

# type name -> (type byte, fields in wire order). Fields after "?" are optional trailing fields
# (v1.1): written only when present in the JSON.
LAYOUT = {
    "hello": (0x01, [("protocolVersion", "u16"), ("features", "u32"), ("playbackBufferSamples", "u32"),
                     ("maxMessageBytes", "u16"), ("mic", "format"), ("speaker", "format"), ("toolCount", "u8"),
                     ("deviceId", "str8"), ("name", "str8"), ("firmwareVersion", "str8"), "?", ("protocolRevision", "u8")]),
    "tool": (0x02, [("index", "u8"), ("name", "str8"), ("description", "str16"), ("parametersSchema", "str16")]),
    "welcome": (0x03, [("protocolVersion", "u16"), ("sessionId", "u32"), ("features", "u32"), ("micCodec", "u8"),
                       ("speakerCodec", "u8"), ("frameMs", "u16"), "?", ("protocolRevision", "u8")]),
    "helloRequest": (0x04, []),
    "audioIn": (0x10, [("seq", "u32"), ("captureTimeUs", "u32"), ("payload", "hex16")]),
    "audioOut": (0x11, [("seq", "u32"), ("generation", "u16"), ("payload", "hex16")]),
    "credit": (0x12, [("generation", "u16"), ("releasedSamples", "u32"), ("playedSamples", "u32"),
                      ("bufferedSamples", "u32"), ("underruns", "u16"), ("overflows", "u16"), ("staleFrames", "u16")]),
    "replyEnd": (0x13, [("generation", "u16")]),
    "flush": (0x20, [("generation", "u16")]),
    "setVolume": (0x21, [("volumePercent", "u8")]),
    "state": (0x22, [("state", "u8")]),
    "event": (0x23, [("event", "u8"), ("timeUs", "u32")]),
    "toolCall": (0x30, [("callId", "u16"), ("name", "str8"), ("argsJson", "str16")]),
    "toolResult": (0x31, [("callId", "u16"), ("status", "u8"), ("resultJson", "str16")]),
    "ping": (0x40, [("nonce", "u32"), ("timeUs", "u32")]),
    "pong": (0x41, [("nonce", "u32"), ("pingTimeUs", "u32"), ("timeUs", "u32")]),
    "log": (0x50, [("level", "u8"), ("text", "str16")]),
    "error": (0x51, [("code", "u16"), ("message", "str16")]),
    "goodbye": (0x52, [("reason", "u8")]),
    "configSet": (0x60, [("key", "u8"), ("value", "str8")]),
    "configGet": (0x61, []),
    "configReport": (0x62, [("entries", "entries")]),
}


def pack_field(kind, value):
    if kind == "u8":
        return struct.pack("<B", value)
    if kind == "u16":
        return struct.pack("<H", value)
    if kind == "u32":
        return struct.pack("<I", value)
    if kind in ("str8", "str16"):
        raw = value.encode("utf-8")
        return struct.pack("<B" if kind == "str8" else "<H", len(raw)) + raw
    if kind == "hex16":
        raw = bytes.fromhex(value)
        return struct.pack("<H", len(raw)) + raw
    if kind == "format":
        return b"".join(pack_field(k, value[n]) for n, k in FORMAT)
    if kind == "entries":
        return struct.pack("<B", len(value)) + b"".join(
            b"".join(pack_field(k, e[n]) for n, k in ENTRY) for e in value)
    raise ValueError(kind)


def pack(message):
    """Returns the message as a list of byte groups: type byte, then one group per field."""
    code, fields = LAYOUT[message["type"]]
    groups = [bytes([code])]
    optional = False
    for f in fields:
        if f == "?":
            optional = True
            continue
        name, kind = f
        if name not in message:
            if optional:
                break
            raise KeyError(f"{message['type']}.{name} missing")
        groups.append(pack_field(kind, message[name]))
    return groups


def cobs(data):
    out = bytearray()
    block = bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255)
                out += block
                block = bytearray()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def frame(msg):
    crc = binascii.crc_hqx(msg, 0xFFFF)
    return cobs(msg + struct.pack("<H", crc)) + b"\x00"


def hexs(b):
    return " ".join(f"{x:02x}" for x in b)


BLOCK = re.compile(r"^```vector (\S+)(.*)\n([\s\S]*?)^```", re.M)


def main():
    write = "--write" in sys.argv
    assert binascii.crc_hqx(b"123456789", 0xFFFF) == 0x29B1
    text = DOC.read_text(encoding="utf-8")
    problems = 0
    out = []
    last = 0
    for m in BLOCK.finditer(text):
        name, body = m.group(1), m.group(3)
        fields = {line.split(None, 1)[0]: line.split(None, 1)[1] for line in body.splitlines() if line.strip()}
        groups = pack(json.loads(fields["json"]))
        msg = b"".join(groups)
        want_msg = " | ".join(hexs(g) for g in groups)
        want_frame = hexs(frame(msg))
        if write and fields["msg"].strip() == "TODO":
            body = body.replace("msg   TODO", "msg   " + want_msg).replace("frame TODO", "frame " + want_frame)
            print(f"{name}: written")
        else:
            got_msg = bytes.fromhex(fields["msg"].replace("|", " ").replace(" ", ""))
            got_frame = bytes.fromhex(fields["frame"].replace(" ", ""))
            if got_msg != msg or got_frame != frame(msg):
                problems += 1
                print(f"{name}: MISMATCH\n  msg   {want_msg}\n  frame {want_frame}")
            else:
                print(f"{name}: ok")
        out.append(text[last:m.start(3)] + body)
        last = m.end(3)
    out.append(text[last:])
    if write:
        DOC.write_text("".join(out), encoding="utf-8")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
