#!/usr/bin/env python3
"""Counting sink for bench/cluster-logs.sh: reads merged log lines on stdin
(kubetac `[pod] line` / `[pod container] line`, kubectl --prefix
`[pod/NAME/CONTAINER] line`, kubetail's coloured `[pod] line`), and on EOF
prints one JSON object: lines, distinct pods and containers, when the last
pod printed its first line (seconds after START), and the lines lost and
repeated according to the ` seq=<n>` each simulator line ends with.

Usage: tool | sink.py START_EPOCH_SECONDS [WARM_SECONDS] > result.json
(lines_before_warm counts the lines that came in the first WARM seconds).
"""
import json
import re
import sys
import time

ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]|\x1b\(B")
start = float(sys.argv[1])
warm_until = start + float(sys.argv[2]) if len(sys.argv) > 2 else start
lines = 0
before_warm = 0
first = {}          # pod -> seconds after start of its first line
last_seq = {}       # (pod, container) -> last seq
lost = repeated = 0
for raw in sys.stdin.buffer:
    if b"\x1b" in raw:
        raw = ANSI.sub(b"", raw)
    if not raw.startswith(b"["):
        continue
    end = raw.find(b"] ")
    if end < 0:
        continue
    who = raw[1:end]
    if who.startswith(b"pod/"):
        _, pod, container = who.split(b"/", 2)
    else:
        pod, _, container = who.partition(b" ")
    lines += 1
    if pod not in first:
        first[pod] = time.time() - start
    if before_warm == lines - 1 and time.time() < warm_until:
        before_warm = lines
    i = raw.rfind(b" seq=")
    if i < 0:
        continue
    try:
        seq = int(raw[i + 5:].split()[0])
    except (ValueError, IndexError):
        continue
    key = (pod, container)
    prev = last_seq.get(key)
    if prev is not None:
        if seq <= prev:
            repeated += 1
        elif seq > prev + 1:
            lost += seq - prev - 1
    if prev is None or seq > prev:
        last_seq[key] = seq
print(json.dumps({
    "lines": lines,
    "lines_before_warm": before_warm,
    "pods": len(first),
    "containers": len(last_seq),
    "last_first_line_s": round(max(first.values()), 2) if first else None,
    # Pods that start writing late (a crash loop in back-off) set the
    # maximum; 99 % says how fast the followed pods were reached.
    "p99_first_line_s": round(sorted(first.values())[int(0.99 * (len(first) - 1))], 2) if first else None,
    "slowest": [f"{p.decode(errors='replace')} {t:.2f}s" for p, t in
                sorted(first.items(), key=lambda kv: -kv[1])[:3]],
    "lost": lost,
    "repeated": repeated,
}))
