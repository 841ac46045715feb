#!/usr/bin/env bash
# Benchmark: `kubetac pods -A` and `kubetac triage -A` against
# `kubectl get pods -A` on the generated 100,000-pod / 5,000-node cluster,
# side by side in one run: wall time (hyperfine) and peak RSS (GNU time).
# Usage: bench/inspect.sh [NODES] [PODS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-5000}
pods=${2:-100000}
runs=${3:-3}

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kubetac-target}"
cargo build --release -q -p kubetac
bin="$CARGO_TARGET_DIR/release/kubetac"
work=$(mktemp -d)
trap 'kill $sim_pid 2>/dev/null; wait $sim_pid 2>/dev/null; rm -rf "$work"' EXIT

# A slow crash loop keeps the world still while it is measured.
"$bin" sim --nodes "$nodes" --pods "$pods" --crash-period 2h --state-dir "$work/state" \
  --kubeconfig-out "$work/kubeconfig" > "$work/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 1 600); do grep -q serving "$work/sim.out" 2>/dev/null && break; sleep 1; done
grep -q serving "$work/sim.out" || { cat "$work/sim.out"; echo "simulator did not start" >&2; exit 1; }
export KUBECONFIG="$work/kubeconfig"

echo "## inspect: $pods pods on $nodes nodes ($(nproc) cores, $(date -u +%Y-%m-%d))"
echo
hyperfine --runs "$runs" --warmup 1 --export-markdown "$work/times.md" \
  -n "kubetac pods -A" "$bin pods -A > /dev/null" \
  -n "kubetac triage -A" "$bin triage -A > /dev/null" \
  -n "kubectl get pods -A" "kubectl get pods -A > /dev/null" >&2
cat "$work/times.md"
echo
echo "| command | peak RSS |"
echo "|:---|---:|"
for c in "$bin pods -A" "$bin triage -A" "kubectl get pods -A"; do
  rss=$( { /usr/bin/time -f '%M' sh -c "$c > /dev/null" ; } 2>&1 | tail -1 )
  name=${c/#$bin/kubetac}
  echo "| \`$name\` | $((rss / 1024)) MiB |"
done
