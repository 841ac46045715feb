#!/usr/bin/env bash
# Benchmark of `kubetac cluster logs` against `kubectl logs -f -l ... --prefix`
# and kubetail, in one run, on one simulated cluster of 500 pods that each
# write 20 lines a second (`kubetac sim --nodes 10 --pods 500 --log-rate 20`).
#
# Each tool follows the pods for the same time, writing into a counting sink
# (bench/cluster-logs/sink.py) that measures delivered lines, when the last
# pod printed its first line, and lost/repeated lines from the ` seq=<n>`
# every simulated line ends with. CPU time (user+system of every process
# the tool started, children included) and peak RSS (sum of VmHWM) come
# from /proc, read just before the tool is stopped; "steady" figures leave
# out the first third of the run (start-up, kubectl's client-side throttling).
#
# kubectl has no --all-namespaces for logs: it runs once per namespace (all
# at once, the brief's flags each time) and the figures are the sums.
# kubetail starts one kubectl (~48 MB) and one shell loop per container:
# 500 pods would need ~24 GB, so it follows one namespace (cdl-data, 48
# pods) and its per-line figures are what compare. Debian's kubetail 1.6.5
# breaks under bash 5.2 (`&` in ${var/pattern/&} became special), so it is
# run with `shopt -u patsub_replacement`.
#
# Usage: bench/cluster-logs.sh [SECONDS]   (default 30). Prints a Markdown
# table; needs kubectl and python3; installs kubetail if missing. With
# BENCH_KEEP=DIR each tool's stderr is kept there.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-30}
WARM=$((DUR / 3))
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/kubetac-target}
SINK=$PWD/bench/cluster-logs/sink.py

command -v kubectl >/dev/null || { echo "kubectl is needed" >&2; exit 1; }
if ! command -v kubetail >/dev/null; then
    apt-get install -y kubetail >/dev/null 2>&1 ||
        { apt-get update >/dev/null && apt-get install -y kubetail >/dev/null; }
fi
cargo build --release -q -p kubetac
BIN=$CARGO_TARGET_DIR/release/kubetac

WORK=$(mktemp -d)
SIM=
cleanup() {
    [ -n "$SIM" ] && kill -INT "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" sim --nodes 10 --pods 500 --log-rate 20 \
    --state-dir "$WORK/state" --kubeconfig-out "$WORK/kubeconfig" >"$WORK/sim.log" 2>&1 &
SIM=$!
for _ in $(seq 600); do grep -q serving "$WORK/sim.log" && break; sleep 0.1; done
export KUBECONFIG=$WORK/kubeconfig
NAMESPACES=$(kubectl get ns -o jsonpath='{.items[*].metadata.name}')
sleep 3 # let every writer get going

# Sums over the processes of session $1: CPU ticks (with reaped children)
# and VmHWM in KiB.
session_cpu() {
    local t=0 p v
    for p in $(ps -eo sid=,pid= | awk -v s="$1" '$1==s{print $2}'); do
        v=$(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null) || continue
        t=$((t + ${v:-0}))
    done
    echo "$t"
}
session_hwm() {
    local h=0 p v
    for p in $(ps -eo sid=,pid= | awk -v s="$1" '$1==s{print $2}'); do
        v=$(awk '/^VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null) || continue
        h=$((h + ${v:-0}))
    done
    echo "$h"
}

# measure NAME COMMAND: runs COMMAND (a shell snippet) in a session of its
# own for $DUR seconds into the sink; appends a result line to results.
measure() {
    local name=$1 cmd=$2 start sid c0 c1 hwm hz
    hz=$(getconf CLK_TCK)
    start=$(date +%s.%N)
    setsid bash -c "echo \$\$ >'$WORK/$name.sid'; exec 2>>'$WORK/$name.err'; $cmd" |
        python3 "$SINK" "$start" "$WARM" >"$WORK/$name.json" &
    local pipeline=$!
    sleep 1
    sid=$(cat "$WORK/$name.sid")
    sleep $((WARM - 1))
    c0=$(session_cpu "$sid")
    sleep $((DUR - WARM))
    c1=$(session_cpu "$sid")
    hwm=$(session_hwm "$sid")
    kill -INT -- "-$sid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$sid" 2>/dev/null || true
    wait "$pipeline" 2>/dev/null || true
    if [ -n "${BENCH_KEEP:-}" ]; then cp "$WORK/$name.err" "$BENCH_KEEP/$name.stderr"; fi
    python3 - "$name" "$WORK/$name.json" "$c0" "$c1" "$hz" "$hwm" "$DUR" "$WARM" <<'EOF' >>"$WORK/results"
import json, sys
name, path, c0, c1, hz, hwm, dur, warm = sys.argv[1:]
r = json.load(open(path))
c0, c1, hz, dur, warm = int(c0), int(c1), int(hz), int(dur), int(warm)
cpu, steady_cpu = c1 / hz, (c1 - c0) / hz
steady_lines = r["lines"] - r["lines_before_warm"]
print("| {} | {} | {} | {:,.0f} | {:.1f} | {:,.0f} | {:.0f} | {} / {} | {} / {} |".format(
    name, r["pods"], r["containers"], r["lines"] / dur,
    cpu / (r["lines"] / 1e6) if r["lines"] else float("nan"),
    steady_lines / steady_cpu if steady_cpu else float("nan"),
    int(hwm) / 1024, r["p99_first_line_s"], r["last_first_line_s"],
    r["lost"], r["repeated"]))
with open(path + ".slow", "w") as f:
    print("{}: slowest first lines: {}".format(name, ", ".join(r["slowest"])), file=f)
EOF
    cat "$WORK/$name.json.slow" >>"$WORK/slowest"
}

measure kubetac "exec '$BIN' cluster logs . -A --tail 0"
kubectl_all=""
for ns in $NAMESPACES; do
    kubectl_all+="kubectl logs -f -l app -n $ns --prefix --max-log-requests=500 --all-containers=false --tail=0 & "
done
measure kubectl "$kubectl_all wait"
measure kubetail "shopt -u patsub_replacement; set -- . -e regex -n cdl-data --since 1s -k false; source /usr/bin/kubetail"

echo "Run of $(date -u +%Y-%m-%dT%H:%MZ), ${DUR}s per tool, $(nproc) CPUs, simulator: kubetac sim --nodes 10 --pods 500 --log-rate 20"
echo
echo "| tool | pods | streams | lines/s | CPU s per million lines | lines per CPU-second (steady) | peak RSS MiB | first line of 99 % / all pods (s) | lost / repeated |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$WORK/results"
echo
sed 's/^/- /' "$WORK/slowest"
