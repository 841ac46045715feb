#!/usr/bin/env python3
"""Runs a command in a session of its own and samples the sum of the
resident memory (VmRSS) of every process of that session every 50 ms:
the peak memory of a tool that runs several processes at once (xargs -P),
which GNU time's maximum RSS (the largest single process) does not show.

Usage: rss.py OUTFILE -- COMMAND...   (writes the peak sum in KiB to OUTFILE;
exits with the command's status)
"""
import os
import subprocess
import sys
import threading
import time


def session_rss(sid):
    total = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.getsid(int(p)) != sid:
                continue
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


def main():
    out = sys.argv[1]
    cmd = sys.argv[3:] if sys.argv[2] == "--" else sys.argv[2:]
    child = subprocess.Popen(cmd, start_new_session=True)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, session_rss(child.pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    rc = child.wait()
    done.set()
    t.join()
    with open(out, "w") as f:
        print(peak, file=f)
    sys.exit(rc)


if __name__ == "__main__":
    main()
