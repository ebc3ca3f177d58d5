#!/usr/bin/env python3
# dump_parse.py FILE DIR [LABEL] [--dgram] [--count]: rebuild the bytes of
# one direction ('<' received, '>' sent) from a sockbox --hexdump file and
# write them to stdout; with LABEL only the chunks whose header names it
# ('-' for the chunks that name nothing). Every line must be exactly what
# the layout gives for its bytes, every header's size must match its
# lines, time must not go backwards in one label's chunks, and each (direction, label) stream's
# offsets must follow on (--dgram: each chunk starts at offset 0).
# --count prints the number of matching chunks instead. Exit 1 on the
# first inconsistency, with the line number.
import re
import sys

HEAD = re.compile(r"([<>]) (\d+) bytes \+(\d+)\.(\d{3})s(?: (\S+))?$")
LINE = re.compile(r"[0-9a-f]{8,16}  (.{49}) \|")


def layout(off, data):
    hexes = ""
    for k in range(16):
        hexes += ("%02x " % data[k]) if k < len(data) else "   "
        if k == 7:
            hexes += " "
    text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)
    return "%08x  %s |%s|" % (off, hexes, text)  # %08x widens as C's does


def fail(n, why):
    sys.stderr.write("dump_parse: line %d: %s\n" % (n, why))
    sys.exit(1)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dgram = "--dgram" in sys.argv
    count = "--count" in sys.argv
    path, want_dir = args[0], args[1]
    want_label = args[2] if len(args) > 2 else None
    lines = open(path, "rb").read().decode("latin-1").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out, chunks, offsets, last_t = bytearray(), 0, {}, {}
    i = 0
    while i < len(lines):
        m = HEAD.match(lines[i])
        if not m:
            fail(i + 1, "not a header: %r" % lines[i][:80])
        d, size, label = m.group(1), int(m.group(2)), m.group(5) or "-"
        t = int(m.group(3)) * 1000 + int(m.group(4))
        if t < last_t.get(label, 0):
            fail(i + 1, "time went back")
        last_t[label] = t
        off = 0 if dgram else offsets.get((d, label), 0)
        data = bytearray()
        i += 1
        while len(data) < size:
            if i >= len(lines):
                fail(i, "chunk cut short")
            lm = LINE.match(lines[i])
            if not lm:
                fail(i + 1, "not a hex line: %r" % lines[i][:80])
            piece = bytes(int(h, 16) for h in lm.group(1).split())
            if lines[i] != layout(off + len(data), piece):
                fail(i + 1, "bad line %r" % lines[i])
            data += piece
            i += 1
        if len(data) != size:
            fail(i, "%d bytes for a header of %d" % (len(data), size))
        offsets[(d, label)] = off + size
        if d == want_dir and (want_label is None or label == want_label):
            out += data
            chunks += 1
    if count:
        print(chunks)
    else:
        sys.stdout.buffer.write(out)


main()
