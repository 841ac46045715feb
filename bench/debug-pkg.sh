#!/usr/bin/env bash
# Benchmark: a debug package of the logs of ~PODS pods with heavy logs,
# `kubetac tac-debug-pkg create from T0 to T1 logs`, against the guide's
# manual way with kubectl (bench/debug-pkg/kubectl-pkg.sh: `kubectl logs
# --all-containers --timestamps --since-time=T0` pod after pod, `--previous`
# for restarted ones, then `tar czf`), in one run on one simulated cluster:
# wall time, CPU and peak RSS (GNU time), the simulator's CPU spent serving
# each tool, output size, lines, and whether kubetac's package holds every
# line of the window (checked against the node files and kubectl's output).
#
# The cluster: `kubetac sim --nodes PODS/20 --pods PODS --log-rate RATE
# --log-max-size 10Mi`: every running container writes RATE lines a second
# (~190 bytes each) and keeps writing while the tools run. The window is
# T0 = simulator start - 10 min (the scenario's back-filled history) to
# T1 = simulator start + SECONDS. At T1 the window's lines on the node
# files are counted (5-20 s), then the tools run one after the other.
#
# Order: kubetac (logs only), kubectl one pod after the other, kubectl with
# `xargs -P PARALLEL` (PARALLEL=0 leaves it out), then kubetac with every
# gatherer (reported apart). kubectl cannot end its output at T1: what it
# prints includes the lines written up to the moment it reads each pod, so
# its "lines" are more than the window's; "in window" counts lines with
# T0 <= time < T1.
#
# Usage: bench/debug-pkg.sh [PODS] [SECONDS]   (defaults 200 and 120)
# Environment: RATE (100 lines/s per container), PARALLEL (8),
# LOG_MAX_SIZE (10Mi), BENCH_KEEP=DIR (keep the outputs and logs there).
# Prints Markdown; needs kubectl and python3; installs GNU time if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PODS=${1:-200}
SECS=${2:-120}
RATE=${RATE:-100}
PARALLEL=${PARALLEL:-8}
LOG_MAX_SIZE=${LOG_MAX_SIZE:-10Mi}
NODES=$(((PODS + 19) / 20))
HERE=$PWD/bench/debug-pkg

command -v kubectl >/dev/null || { echo "kubectl is needed" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y -qq time >/dev/null 2>&1 ||
        { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq time >/dev/null; }
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/kubetac-target}
cargo build --release -q -p kubetac
BIN=$CARGO_TARGET_DIR/release/kubetac
started=$(date +%s)

WORK=$(mktemp -d)
SIM=
cleanup() {
    if [ -n "$SIM" ]; then kill -INT "$SIM" 2>/dev/null && wait "$SIM" 2>/dev/null; fi
    if [ -n "${BENCH_KEEP:-}" ]; then
        mkdir -p "$BENCH_KEEP"
        cp -r "$WORK"/*.time "$WORK"/*.out "$WORK"/*.err "$WORK"/*.errors "$WORK"/*.json \
            "$WORK"/*.sim "$WORK"/*.tar.gz "$WORK/store" "$BENCH_KEEP"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

sim_start=$(date -u +%s)
"$BIN" sim --nodes "$NODES" --pods "$PODS" --log-rate "$RATE" --log-max-size "$LOG_MAX_SIZE" \
    --state-dir "$WORK/state" --kubeconfig-out "$WORK/kubeconfig" >"$WORK/sim.out" 2>&1 &
SIM=$!
for _ in $(seq 600); do grep -q serving "$WORK/sim.out" && break; sleep 0.1; done
grep -q serving "$WORK/sim.out" || { cat "$WORK/sim.out" >&2; echo "simulator did not start" >&2; exit 1; }
export KUBECONFIG=$WORK/kubeconfig
t1=$(($(date -u +%s) + SECS))
t0=$((sim_start - 600))
T0=$(date -u -d "@$t0" +%Y-%m-%dT%H:%M:%SZ)
T1=$(date -u -d "@$t1" +%Y-%m-%dT%H:%M:%SZ)
G0=$(date -u -d "@$t0" +%Y-%m-%d_%H:%M:%S) # the guide's form
G1=$(date -u -d "@$t1" +%Y-%m-%d_%H:%M:%S)
echo "simulator up ($(head -1 "$WORK/sim.out" | sed 's/ serving.*//')); logging until $T1" >&2
# The simulator's own CPU for writing the logs, per second, measured over
# the second half of the logging: subtracted from its CPU during each tool.
sleep $((SECS / 2))
b0=$(awk '{print $14+$15}' "/proc/$SIM/stat")
n0=$(date +%s.%N)
sleep $((t1 - $(date -u +%s) + 2))
sim_rate=$(awk -v a="$b0" -v b="$(awk '{print $14+$15}' "/proc/$SIM/stat")" -v n0="$n0" -v n1="$(date +%s.%N)" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz/(n1-n0)}')
nodes_bytes=$(du -sb "$WORK/state/nodes" | cut -f1)
# The window's lines on the nodes now, before the crash loops' kubelet
# clean-up removes old instances' files: what the package should hold.
echo "counting the window's lines on the nodes" >&2
python3 "$HERE/count.py" nodes "$T0" "$T1" "$WORK/state/nodes" >"$WORK/nodes.json"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# time_it NAME COMMAND...: GNU time into NAME.time, output into NAME.out/.err,
# the simulator's CPU seconds meanwhile into NAME.sim.
sim_ticks() { awk '{print $14+$15}' "/proc/$SIM/stat"; }
time_it() {
    local name=$1 s0
    shift
    echo "running $name" >&2
    s0=$(sim_ticks)
    /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
        echo "$name exited with status $? (see its stderr: BENCH_KEEP)" >&2
    awk -v a="$s0" -v b="$(sim_ticks)" -v hz="$(getconf CLK_TCK)" -v r="$sim_rate" -v w="$(wall "$name")" \
        'BEGIN{x=(b-a)/hz-r*w; printf "%.1f", x<0?0:x}' >"$WORK/$name.sim"
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.1f", s}' "$WORK/$1.time"; }
rss_mib() { awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$WORK/$1.time"; }
cpu_s() { awk -F': ' '/User time|System time/{s+=$2} END{printf "%.1f", s}' "$WORK/$1.time"; }
newest_pkg() { ls -1t "$WORK/store" | grep -E '^[0-9]+$' | head -1; }

# The store shares the disk with the simulator's files and kubectl's output;
# the 20 % free-space guard is lowered so that a fullish disk (the project's
# CI machine has ~23 % free) does not refuse the run; it costs nothing.
KT=("$BIN" tac-debug-pkg --store "$WORK/store" create --min-free-percent 5)

time_it kubetac "${KT[@]}" from "$G0" to "$G1" logs
PKG=$WORK/store/$(newest_pkg)
time_it kubectl "$HERE/kubectl-pkg.sh" "$T0" "$WORK/kubectl.tar.gz" 1
tools=(kubectl)
if [ "$PARALLEL" -gt 1 ]; then
    time_it kubectl-xargs python3 "$HERE/rss.py" "$WORK/kubectl-xargs.rss" -- \
        "$HERE/kubectl-pkg.sh" "$T0" "$WORK/kubectl-xargs.tar.gz" "$PARALLEL"
    tools+=(kubectl-xargs)
fi
time_it kubetac-full "${KT[@]}" from "$G0" to "$G1"
FULL=$WORK/store/$(newest_pkg)

echo "counting lines" >&2
args=()
for t in "${tools[@]}"; do args+=("$t=$WORK/$t.tar.gz"); done
python3 "$HERE/count.py" compare "$T0" "$T1" "$WORK/nodes.json" "$PKG" "${args[@]}" >"$WORK/count.json"
cp "$PKG/manifest.json" "$WORK/kubetac-manifest.json"
cp "$FULL/manifest.json" "$WORK/kubetac-full-manifest.json"
q() { python3 -c "import json,sys; d=json.load(open('$WORK/count.json')); print(eval(sys.argv[1]))" "$1"; }
mib() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1048576}'; }

echo "## Debug packages: $PODS pods, ${SECS}s at $RATE lines/s per container ($(nproc) cores, $(date -u +%Y-%m-%d))"
echo
echo "Simulator: \`kubetac sim --nodes $NODES --pods $PODS --log-rate $RATE --log-max-size $LOG_MAX_SIZE\`;"
echo "window $G0 to $G1 ($(((t1 - t0) / 60)) min, of which ${SECS}s of heavy logging)."
echo "On the nodes at T1: $(mib "$nodes_bytes") MiB under nodes/; in the window:"
echo "$(q 'd["nodes"]["in_window"]') lines of $(q 'd["nodes"]["pods"]') pods, $(mib "$(q 'd["nodes"]["bytes"]')") MiB of CRI files read."
echo "Load average (1/5/15 min) before the tools: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "The simulator's own log writing costs $sim_rate CPU s a second; the simulator column is its CPU"
echo "while the tool ran minus that: what serving the tool cost it."
echo
echo "| tool | wall s | CPU s | simulator CPU s (serving) | peak RSS MiB | output MiB (.tar.gz) | uncompressed MiB | lines | lines in window |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
row() { # NAME LABEL RSS_MIB ARCHIVE_BYTES COUNT_KEY
    echo "| $2 | $(wall "$1") | $(cpu_s "$1") | $(cat "$WORK/$1.sim") | $3 | $(mib "$4") | $(mib "$(q "d['$5']['bytes']")") | $(q "d['$5']['lines']") | $(q "d['$5']['in_window']") |"
}
row kubetac "kubetac tac-debug-pkg (logs)" "$(rss_mib kubetac)" "$(du -sb "$PKG" | cut -f1)" kubetac
row kubectl "kubectl logs loop + tar czf" "$(rss_mib kubectl)" "$(stat -c %s "$WORK/kubectl.tar.gz")" kubectl
if [ "$PARALLEL" -gt 1 ]; then
    row kubectl-xargs "same, xargs -P $PARALLEL" "$(awk '{printf "%.0f", $1/1024}' "$WORK/kubectl-xargs.rss") (sum)" \
        "$(stat -c %s "$WORK/kubectl-xargs.tar.gz")" kubectl-xargs
fi
echo
k=$(wall kubetac)
for t in "${tools[@]}"; do
    echo "- $t / kubetac wall time: $(awk -v a="$(wall "$t")" -v b="$k" 'BEGIN{printf "%.1f", a/b}')× ($(grep -h '^kubectl-pkg:' "$WORK/$t.err" | sed 's/kubectl-pkg: //'))"
done
echo "- kubetac full package (every gatherer): $(wall kubetac-full) s wall, $(cpu_s kubetac-full) s CPU ($(cat "$WORK/kubetac-full.sim") s of the simulator), peak RSS $(rss_mib kubetac-full) MiB, $(mib "$(du -sb "$FULL" | cut -f1)") MiB"
python3 - "$WORK/kubetac-manifest.json" "$WORK/kubetac-full-manifest.json" <<'EOF'
import json, sys
for label, path in (("logs only", sys.argv[1]), ("full", sys.argv[2])):
    m = json.load(open(path))
    for name, g in m["gatherers"].items():
        errs = g.get("errors") or []
        print("- manifest ({}): {} {} in {:.1f} s: {}{}".format(
            label, name, g["state"], g.get("durationMs", 0) / 1000, g.get("detail", ""),
            "; {} error(s), first: {}".format(len(errs), errs[0]) if errs else ""))
EOF
echo "- kubetac vs the node files at T1: $(q 'd["kubetac_vs_nodes"]["pods_with_fewer_lines"]') pods with fewer in-window lines than on the nodes $(q 'd["kubetac_vs_nodes"]["examples"] or ""'), $(q 'd["kubetac_vs_nodes"]["extra_lines"]') lines more than the nodes"
for t in "${tools[@]}"; do
    echo "- kubetac vs $t, same $(q "d['kubetac_vs_$t']['pods_in_both']") pods: in-window lines $(q "d['kubetac_vs_$t']['in_window_kubetac_same_pods']") vs $(q "d['kubetac_vs_$t']['in_window_kubectl_same_pods']"); pods where kubetac has fewer: $(q "d['kubetac_vs_$t']['pods_where_kubetac_has_fewer']") $(q "d['kubetac_vs_$t']['examples'] or ''"); pods only in kubectl's: $(q "d['kubetac_vs_$t']['pods_only_kubectl'] or 'none'"); kubectl errors: $(grep -c . "$WORK/$t.tar.gz.errors" || true) ($(sort -u "$WORK/$t.tar.gz.errors" | head -5 | sed 's/^Error from server ([A-Za-z]*): //' | paste -sd ';' - | sed 's/;/; /g'))"
done
echo
echo "Script time (after the build): $(($(date +%s) - started)) s."
