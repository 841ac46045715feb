#!/usr/bin/env bash
# The guide's manual way of collecting logs for a support case, as an
# operator would script it with kubectl: every namespace, every pod,
# `kubectl logs --all-containers --timestamps --since-time=FROM` into a file
# (plus `--previous` for pods whose containers restarted), then `tar czf`.
#
# Usage: kubectl-pkg.sh FROM OUT.tar.gz [PARALLEL]
#   FROM      RFC 3339 start of the window (kubectl has no end: lines up to
#             the moment each pod is read are included)
#   PARALLEL  1 (default): one pod after the other, as an operator's loop;
#             N > 1: `xargs -P N`
# Errors of kubectl (pods that never started, evicted, ...) go to
# OUT.errors; the script goes on, as the operator's loop would.
set -uo pipefail
since=$1
out=$2
par=${3:-1}

tmp=$(mktemp -d "$(dirname "$out")/kubectl-pkg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$out" .tar.gz)
export DIR=$tmp/$name SINCE=$since ERRORS=$out.errors
mkdir -p "$DIR"
: >"$ERRORS"

# one NS POD RESTARTS...: the pod's logs, and the previous instances' when a
# container restarted.
one() {
    local ns=$1 pod=$2 r
    shift 2
    mkdir -p "$DIR/$ns"
    kubectl logs -n "$ns" "$pod" --all-containers --timestamps --since-time="$SINCE" \
        </dev/null >"$DIR/$ns/$pod.log" 2>>"$ERRORS"
    for r in "$@"; do
        if [ "$r" -gt 0 ]; then
            kubectl logs -n "$ns" "$pod" --all-containers --timestamps --since-time="$SINCE" \
                --previous </dev/null >"$DIR/$ns/$pod.previous.log" 2>>"$ERRORS"
            break
        fi
    done
    return 0
}
export -f one

# The pods, namespace by namespace, with their containers' restart counts.
list() {
    local ns
    for ns in $(kubectl get ns -o jsonpath='{.items[*].metadata.name}'); do
        kubectl get pods -n "$ns" -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name} {.status.containerStatuses[*].restartCount} {.status.initContainerStatuses[*].restartCount}{"\n"}{end}'
    done | sed 's/ *$//' # a trailing blank would join lines in xargs -L
}

t0=$(date +%s.%N)
if [ "$par" -le 1 ]; then
    list | while read -r ns pod restarts; do
        # shellcheck disable=SC2086 # restart counts are words
        one "$ns" "$pod" $restarts
    done
else
    list | xargs -P "$par" -L 1 bash -c 'one "$@"' _
fi

t1=$(date +%s.%N)
tar czf "$out" -C "$tmp" "$name"
t2=$(date +%s.%N)
# Where the time went, for the benchmark's reading.
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN{printf "kubectl-pkg: logs %.1f s, tar czf %.1f s\n", b-a, c-b}' >&2
