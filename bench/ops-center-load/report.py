#!/usr/bin/env python3
"""Summarises a run of bench/ops-center-load.sh as Markdown.

Usage: report.py FACTS RECORDS...
  FACTS    KEY=VALUE lines written by the script (server CPU and memory,
           package timings, /metrics counts, ...)
  RECORDS  tab-separated lines, one per operation:
    login   USER  START_US  SECS_US  -  OK|FAIL  DETAIL
    ssh     NAME  START_US  SECS_US  RC  OK|FAIL  DETAIL
    dl      KIND  START_US  SECS_US  TRANSFER_S  CODE  BYTES  ATTEMPTS  N503  OK|FAIL  DETAIL
Exit status 1 when any operation failed.
"""
import sys
from collections import defaultdict


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ms(s):
    return f"{s * 1000:,.0f}"


def main():
    facts = {}
    for line in open(sys.argv[1]):
        k, _, v = line.rstrip("\n").partition("=")
        if k:
            facts[k] = v
    logins, cmds, dls, base = [], defaultdict(list), defaultdict(list), defaultdict(list)
    for path in sys.argv[2:]:
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if f[0] == "login":
                logins.append((int(f[3]) / 1e6, f[5] == "OK", f[6] if len(f) > 6 else ""))
            elif f[0] == "base":
                base[f[1]].append(int(f[3]) / 1e6)
            elif f[0] == "ssh":
                cmds[f[1]].append((int(f[3]) / 1e6, f[5] == "OK", f[6] if len(f) > 6 else ""))
            elif f[0] == "dl":
                dls[f[1]].append(dict(
                    secs=int(f[3]) / 1e6, transfer=float(f[4]), code=f[5], bytes=int(f[6]),
                    attempts=int(f[7]), n503=int(f[8]), ok=f[9] == "OK",
                    detail=f[10] if len(f) > 10 else ""))
    failures = []
    wall = float(facts["load_wall_s"])

    print("| SSH (OpenSSH + sshpass, one multiplexed connection per session) | count | failures | p50 ms | p95 ms | p99 ms | max ms | alone, p50 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def ssh_row(name, rows, alone):
        secs = [s for s, _, _ in rows]
        bad = [d for _, ok, d in rows if not ok]
        failures.extend(f"{name}: {d}" for d in bad)
        print(f"| {name} | {len(rows):,} | {len(bad)} | {ms(pct(secs, 50))} | {ms(pct(secs, 95))} | "
              f"{ms(pct(secs, 99))} | {ms(max(secs) if secs else float('nan'))} | "
              f"{ms(pct(alone, 50)) if alone else '-'} |")

    ssh_row("login (password, Argon2)", logins, [])
    labels = {"show-pods-count": r"`show pods -n smf-data \| count`",
              "pkg-status": "`tac-debug-pkg status`",
              "running-config": "`show running-config`",
              "pkg-list": "`tac-debug-pkg list`"}
    for name in sorted(cmds):
        ssh_row(labels.get(name, f"`{name}`"), cmds[name], base.get(name, []))
    ssh_row("all commands", [r for rows in cmds.values() for r in rows],
            [s for v in base.values() for s in v])
    n_cmds = sum(len(r) for r in cmds.values())
    print()
    print(f"{n_cmds:,} commands in {wall:.0f} s: {n_cmds / wall:.1f} commands/s over "
          f"{facts['sessions']} sessions.")
    print()

    print("| downloads (HTTPS, Basic auth) | done | failures | MB | MB/s (of the run) | 503s | p50 s | p95 s | max s | transfer p50 s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = {"archive": "`<id>.tar.gz` (curl, every entry's SHA-256 checked)",
             "file": "single files (curl, SHA-256 checked)",
             "mirror": "`wget -r -np` mirrors (every file checked)"}

    def dl_row(label, rows):
        secs = [r["secs"] for r in rows]
        bad = [r for r in rows if not r["ok"]]
        failures.extend(f"{label}: {r['code']} {r['detail']}" for r in bad)
        mb = sum(r["bytes"] for r in rows if r["ok"]) / 1e6
        print(f"| {label} | {len(rows):,} | {len(bad)} | {mb:,.0f} | {mb / wall:,.1f} | "
              f"{sum(r['n503'] for r in rows)} | {pct(secs, 50):.2f} | {pct(secs, 95):.2f} | "
              f"{max(secs) if secs else float('nan'):.2f} | "
              f"{pct([r['transfer'] for r in rows], 50):.2f} |")

    for kind in ("archive", "file", "mirror"):
        if dls.get(kind):
            dl_row(names[kind], dls[kind])
    dl_row("all", [r for rows in dls.values() for r in rows])
    arch = dls.get("archive", [])
    retried = [r for r in arch if r["n503"]]
    print()
    print(f"Archives: {sum(r['n503'] for r in arch)} answers 503 (Retry-After: 10) to "
          f"{len(retried)} of {len(arch)} downloads, which waited and then all "
          f"{'succeeded' if all(r['ok'] for r in retried) else 'did NOT all succeed'} "
          f"(at most {max([r['attempts'] for r in arch] or [0])} attempts); the server counted "
          f"{facts.get('metrics_archive_503', '?')} archive 503s and "
          f"{facts.get('metrics_archive_200', '?')} archives sent.")
    print()

    print("| ops center (`kubetac serve`) | value |")
    print("|---|---|")
    v = facts.get("pkg2_verify", "")
    verified = (f"mirrored after the run: all {v.split()[1]} files match its manifest"
                if v.startswith("ok ") else f"mirrored after the run: {v}")
    rows = [
        ("package created during the load", f"{facts['pkg2_state']} in {float(facts['pkg2_s']):.1f} s "
         f"({facts['pkg2_size']}; the same package alone before the load: {float(facts['pkg1_s']):.1f} s, "
         f"{facts['pkg1_size']}); {verified}"),
        ("serve peak RSS (VmHWM)", f"{int(facts['serve_hwm_kb']) / 1024:.0f} MiB"),
        ("package-creating child peak RSS (VmHWM)", f"{int(facts['create_hwm_kb']) / 1024:.0f} MiB"),
        ("serve + children, peak sum of RSS", f"{int(facts['tree_peak_kb']) / 1024:.0f} MiB"),
        ("serve CPU during the load (own / its command children)",
         f"{float(facts['serve_cpu_s']):.1f} s / {float(facts['children_cpu_s']):.1f} s "
         f"({(float(facts['serve_cpu_s']) + float(facts['children_cpu_s'])) / float(facts['cpu_wall_s']):.2f} cores "
         f"over {float(facts['cpu_wall_s']):.0f} s)"),
        ("machine CPU busy during the load", f"{float(facts['machine_busy_pct']):.0f} % of {facts['cpus']} cores: "
         f"{float(facts['machine_cpu_s']):.0f} CPU-s, of which the ops center "
         f"{float(facts['serve_cpu_s']) + float(facts['children_cpu_s']):.0f}, the simulator (and its Prometheus) "
         f"{float(facts['sim_cpu_s']):.0f}, the clients and the rest "
         f"{float(facts['machine_cpu_s']) - float(facts['serve_cpu_s']) - float(facts['children_cpu_s']) - float(facts['sim_cpu_s']):.0f}"),
        ("server warnings logged", facts.get("serve_warnings", "?")),
    ]
    for k, v in rows:
        print(f"| {k} | {v} |")
    print()
    if facts.get("pkg2_state") != "complete":
        failures.append(f"package {facts.get('pkg2_id')} {facts.get('pkg2_state')}")
    if not facts.get("pkg2_verify", "").startswith("ok"):
        failures.append(f"package {facts.get('pkg2_id')} download: {facts.get('pkg2_verify')}")
    print(f"Failures: {len(failures)}")
    for f in failures[:20]:
        print(f"- {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
