#!/usr/bin/env python3
"""Counts the log lines of each output of bench/debug-pkg.sh, per pod, in
and out of the window [FROM, TO), and checks kubetac's package against the
node files (the truth) and against kubectl's output.

Usage:
  count.py nodes FROM TO NODES_DIR > nodes.json
      the in-window lines on the simulated nodes, per pod (taken at the
      window's end: the kubelet deletes the logs of instances older than
      the previous one, so later the nodes hold less of the window)
  count.py compare FROM TO nodes.json KUBETAC_PKG NAME=KUBECTL.tar.gz...
      FROM, TO     whole seconds, RFC 3339 (2026-11-29T06:50:00Z)
      KUBETAC_PKG  the package directory (its logs/<node>/*.tar.gz are read)
      Prints a JSON object: for each source its lines, lines in the window,
      uncompressed bytes and pods; and the comparisons.
"""
import gzip
import json
import os
import sys
import tarfile
from collections import Counter


def window(frm, to):
    lo, hi = frm[:19].encode(), to[:19].encode()
    # Whole-second bounds: a line's time is in [lo, hi) exactly when its
    # first 19 characters (to the second) are; no fraction parsing needed.
    return lambda ts: lo <= ts[:19] < hi


class Tally:
    def __init__(self):
        self.lines = 0
        self.in_window = 0
        self.bytes = 0
        self.per_pod = Counter()
        self.per_pod_all = Counter()

    def as_dict(self):
        return {
            "lines": self.lines,
            "in_window": self.in_window,
            "bytes": self.bytes,
            "pods": len(self.per_pod_all),
        }


def count_lines(f, key, t, inw, cri=False):
    for line in f:
        t.bytes += len(line)
        if cri:
            # <time> <stream> <P|F> <text>: a P entry is part of a line.
            parts = line.split(b" ", 3)
            if len(parts) < 3 or parts[2] == b"P":
                continue
        t.lines += 1
        t.per_pod_all[key] += 1
        if inw(line):
            t.in_window += 1
            t.per_pod[key] += 1


def nodes(root, inw):
    """Every container log file on the simulated nodes, rotated and gzipped
    ones too (var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log*)."""
    t = Tally()
    for node in sorted(os.listdir(root)):
        pods = os.path.join(root, node, "var/log/pods")
        if not os.path.isdir(pods):
            continue
        for d in os.listdir(pods):
            ns, pod = d.split("_")[:2]
            for c in os.listdir(os.path.join(pods, d)):
                cdir = os.path.join(pods, d, c)
                for name in os.listdir(cdir):
                    if ".log" not in name:
                        continue
                    p = os.path.join(cdir, name)
                    opener = gzip.open if name.endswith(".gz") else open
                    with opener(p, "rb") as f:
                        count_lines(f, (ns, pod), t, inw, cri=True)
    return t


def kubetac(pkg, inw):
    """containers/<ns>/<pod>/<container>.log in every node's archive."""
    t = Tally()
    logs = os.path.join(pkg, "logs")
    for node in sorted(os.listdir(logs)):
        for a in os.listdir(os.path.join(logs, node)):
            with tarfile.open(os.path.join(logs, node, a), "r|gz") as tf:
                for m in tf:
                    parts = m.name.split("/")
                    if not m.isfile() or len(parts) != 5 or parts[1] != "containers":
                        continue
                    count_lines(tf.extractfile(m), (parts[2], parts[3]), t, inw)
    return t


def kubectl(archive, inw):
    """<top>/<ns>/<pod>.log and <pod>.previous.log."""
    t = Tally()
    with tarfile.open(archive, "r|gz") as tf:
        for m in tf:
            parts = m.name.split("/")
            if not m.isfile() or len(parts) != 3:
                continue
            pod = parts[2].removesuffix(".log").removesuffix(".previous")
            count_lines(tf.extractfile(m), (parts[1], pod), t, inw)
    return t


def short(pods):
    return ["{}/{} ({} < {})".format(ns, p, a, b) for (ns, p), a, b in pods[:10]]


def main():
    if sys.argv[1] == "nodes":
        frm, to, nodes_dir = sys.argv[2:5]
        t = nodes(nodes_dir, window(frm, to))
        d = t.as_dict()
        d["per_pod"] = {"/".join(k): n for k, n in t.per_pod.items()}
        json.dump(d, sys.stdout)
        return
    frm, to, nodes_json, pkg = sys.argv[2:6]
    inw = window(frm, to)
    d = json.load(open(nodes_json))
    truth = Tally()
    truth.per_pod.update({tuple(k.split("/", 1)): n for k, n in d.pop("per_pod").items()})
    kt = kubetac(pkg, inw)
    out = {"nodes": d, "kubetac": kt.as_dict()}
    # kubetac against the node files: every in-window line, per pod.
    missing = [
        (k, kt.per_pod[k], n) for k, n in sorted(truth.per_pod.items()) if kt.per_pod[k] < n
    ]
    out["kubetac_vs_nodes"] = {
        "pods_with_fewer_lines": len(missing),
        "examples": short(missing),
        "extra_lines": sum(max(0, kt.per_pod[k] - truth.per_pod[k]) for k in kt.per_pod),
    }
    for arg in sys.argv[6:]:
        name, path = arg.split("=", 1)
        kc = kubectl(path, inw)
        out[name] = kc.as_dict()
        fewer = [
            (k, kt.per_pod[k], n) for k, n in sorted(kc.per_pod.items()) if kt.per_pod[k] < n
        ]
        both = set(kc.per_pod_all) & set(kt.per_pod_all)
        out["kubetac_vs_" + name] = {
            "pods_in_both": len(both),
            "in_window_kubetac_same_pods": sum(kt.per_pod[k] for k in both),
            "in_window_kubectl_same_pods": sum(kc.per_pod[k] for k in both),
            "pods_where_kubetac_has_fewer": len(fewer),
            "examples": short(fewer),
            "pods_only_kubectl": sorted("/".join(k) for k in set(kc.per_pod_all) - set(kt.per_pod_all))[:10],
            "pods_only_kubetac": sorted("/".join(k) for k in set(kt.per_pod_all) - set(kc.per_pod_all))[:10],
        }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
