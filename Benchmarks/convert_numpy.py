#!/usr/bin/env python3
"""The Python path for the convert benchmark: header read the way safetensors does,
np.memmap of the file, BF16 widened to F32 per tensor (numpy has no bfloat16, so
uint16 → uint32 << 16 → view float32 — the fastest numpy route). Prints JSON."""
import json
import resource
import struct
import sys
import time

import numpy as np


def convert_pass(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    checksum = 0.0
    total = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end].view(np.uint16)
        out = (raw.astype(np.uint32) << 16).view(np.float32)
        checksum += float(out[out.size // 2])
        total += end - begin
        del out
    del data
    return checksum, total


def main(path, passes=3):
    rates = []
    for _ in range(int(passes)):
        t0 = time.perf_counter()
        _, total = convert_pass(path)
        rates.append(total / (time.perf_counter() - t0) / 1e9)
    rates.sort()
    print(json.dumps({"impl": "numpy", "input_bytes": total, "best_gbps": rates[-1], "median_gbps": rates[len(rates) // 2],
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main(*sys.argv[1:])
