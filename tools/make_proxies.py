#!/usr/bin/env python3
"""Writes two small text proxies from files every Debian machine has, for manual checks
on a real model: a retain proxy of license prose and a forget proxy of Python source.

  python3 tools/make_proxies.py OUT_DIR   ->  OUT_DIR/retain.jsonl, OUT_DIR/forget.jsonl
"""
import glob
import inspect
import json
import os
import sys


def paragraphs(text, min_chars=200):
    out, cur = [], ""
    for block in text.split("\n\n"):
        cur = (cur + "\n\n" + block).strip()
        if len(cur) >= min_chars:
            out.append(cur)
            cur = ""
    return out


def main(out):
    os.makedirs(out, exist_ok=True)
    prose = ""
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            with open(path, errors="ignore") as f:
                prose += f.read() + "\n\n"
    import argparse as m1, json as m2, inspect as m3, email.parser as m4
    code = "\n\n".join(inspect.getsource(m) for m in (m1, m2, m3, m4))
    for name, text in (("retain", prose), ("forget", code)):
        with open(os.path.join(out, f"{name}.jsonl"), "w") as f:
            for para in paragraphs(text):
                f.write(json.dumps({"text": para}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
