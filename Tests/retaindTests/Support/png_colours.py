#!/usr/bin/env python3
"""Counts the pixels and connected blobs of given colours in a PNG screenshot.

Usage: png_colours.py FILE.png RRGGBB [RRGGBB ...]
Prints JSON: {"width": w, "height": h, "nonwhite": n,
              "colours": {"rrggbb": {"pixels": n, "blobs": [sizes, largest first]}}}.
A pixel matches a colour within 2 per channel (anti-aliased edges do not, interiors do);
blobs are 4-connected. Standard library only (zlib), so any CI with python3 runs it.
"""
import json
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise SystemExit(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read (got depth {depth}, type {colour_type})")
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def main():
    path, wanted = sys.argv[1], [c.lower().lstrip("#") for c in sys.argv[2:]]
    width, height, bpp, rows = decode(path)
    targets = {}
    for index, hex_colour in enumerate(wanted):
        r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
        for dr in range(-2, 3):
            for dg in range(-2, 3):
                for db in range(-2, 3):
                    targets[(r + dr, g + dg, b + db)] = index
    matched = [dict() for _ in wanted]  # colour index -> {(x, y)}
    nonwhite = 0
    for y, row in enumerate(rows):
        for x in range(width):
            o = x * bpp
            pixel = (row[o], row[o + 1], row[o + 2])
            if pixel != (255, 255, 255):
                nonwhite += 1
                index = targets.get(pixel)
                if index is not None:
                    matched[index][(x, y)] = True
    result = {}
    for index, hex_colour in enumerate(wanted):
        pixels = matched[index]
        seen, blobs = set(), []
        for start in pixels:
            if start in seen:
                continue
            seen.add(start)
            stack, size = [start], 0
            while stack:
                x, y = stack.pop()
                size += 1
                for n in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if n in pixels and n not in seen:
                        seen.add(n)
                        stack.append(n)
            blobs.append(size)
        result[hex_colour] = {"pixels": len(pixels), "blobs": sorted(blobs, reverse=True)}
    print(json.dumps({"width": width, "height": height, "nonwhite": nonwhite, "colours": result}))


if __name__ == "__main__":
    main()
