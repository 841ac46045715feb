#!/usr/bin/env bash
# Installs what kubetac's tests need (idempotent: only what is missing) and
# runs the whole suite: format, lints, unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the integration tests drive as real clients (prometheus
# also provides promtool, for the simulator's backfilled Prometheus).
packages=(ca-certificates wget curl openssh-client prometheus chromium sshpass)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v kubectl >/dev/null || missing+=(kubectl)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v kubectl >/dev/null || { echo "test.sh: kubectl (v1.32) is required and could not be installed" >&2; exit 1; }

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
