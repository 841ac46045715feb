#!/usr/bin/env bash
# Load test of the ops center (`kubetac serve`): SSH sessions and concurrent
# downloads while a debug package is being created, in one run.
#
#   1. a simulated cluster: the guide's smf scenario with every container
#      logging 40 lines a second and 20 minutes of that history written at
#      start (~370 MB of logs on the nodes), plus --prometheus when
#      Prometheus is installed (so the metrics gatherer has work);
#   2. `kubetac serve` (release build) on loopback, its store and every other
#      file of the run on a tmpfs mounted for the run: the machine's disk
#      stays out of the figures, and the store's disk guard (creates are
#      refused below 20 % free) looks at a filesystem that has room;
#   3. package 1 (`tac-debug-pkg create from T-25m to T`, every gatherer) is
#      created first, alone, so there is something to download;
#   4. then, for DURATION seconds, all at once:
#      - package 2, the same command, is created by the server;
#      - SESSIONS SSH sessions (OpenSSH with sshpass, one ControlMaster
#        connection each, logged in 0.2 s apart before the run) each run
#        `show pods -n smf-data | count`, `tac-debug-pkg status`,
#        `show running-config`, `tac-debug-pkg list` in turn, THINK seconds
#        apart; a command fails on a non-zero exit or when its output is not
#        what it must be (the pod count, the package list with package 1...);
#      - DOWNLOADS download loops of package 1: ARCHIVES of `<id>.tar.gz`
#        with curl, each entry's SHA-256 checked against manifest.json as it
#        streams (503 + Retry-After is honoured: the server makes at most 4
#        archives at once), MIRRORS of `wget -r -np` mirrors (every file
#        checked), and the rest single files picked at random (curl, checked);
#   5. package 2 must complete; it is mirrored and checked afterwards.
#
# The sessions are spread over USERS users (the server allows 16 sessions
# per user) and are opened before the run, 0.2 s apart: the SSH server
# resets connections beyond 16 that are still logging in (like OpenSSH's
# MaxStartups), and 20 logins in the same instant lose some.
#
# Figures: per-command and per-download latency percentiles, failures,
# MB/s, 503s seen; the server's peak RSS (VmHWM, and of the child that
# creates the package), its CPU time during the run (its own, and that of
# the `kubetac` children it runs for each CLI command and the create).
#
# Usage: bench/ops-center-load.sh [DURATION]   (seconds, default 60)
# Environment: SESSIONS (20), DOWNLOADS (50), ARCHIVES (10), MIRRORS (4),
# THINK (0.5), USERS (5), KUBETAC (a kubetac binary: skips the build),
# SERVE_ENV (VAR=VALUE... for the server, e.g. MALLOC_MMAP_THRESHOLD_=1048576),
# BENCH_KEEP=DIR (keep logs, records and failures there).
# Needs root (or sudo) for the tmpfs, sshpass, ssh, curl, wget, python3;
# installs the missing Debian packages. TMPFS_SIZE (4g). Prints Markdown;
# exits 1 on any failure. Takes DURATION + ~40 s after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-60}
SESSIONS=${SESSIONS:-20}
DOWNLOADS=${DOWNLOADS:-50}
ARCHIVES=${ARCHIVES:-10}
MIRRORS=${MIRRORS:-4}
FILES=$((DOWNLOADS - ARCHIVES - MIRRORS))
THINK=${THINK:-0.5}
NUSERS=${USERS:-5}
MAX_ATTEMPTS=30
HERE=$PWD/bench/ops-center-load
SCENARIO=$PWD/crates/kubesim/scenarios/smf.yaml
started=$(date +%s)

sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
missing=""
for p in sshpass:sshpass ssh:openssh-client curl:curl wget:wget; do
    command -v "${p%%:*}" >/dev/null || missing+=" ${p#*:}"
done
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq $missing >/dev/null 2>&1 ||
        { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null; }
fi
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
if [ -n "${KUBETAC:-}" ]; then
    BIN=$KUBETAC
else
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/kubetac-target}
    cargo build --release -q -p kubetac
    BIN=$CARGO_TARGET_DIR/release/kubetac
fi
built=$(date +%s)

WORK=$(mktemp -d /tmp/kubetac-ocload.XXXXXX)
SIM= SERVE= PROM= SAMPLER=
# Every background job gets a process group of its own (set -m), so one
# kill of the group ends a worker and the curl/ssh/wget it runs.
set -m
cleanup() {
    set +e
    touch "$WORK/stop" 2>/dev/null
    for j in $(jobs -p); do
        case $j in "$SIM" | "$SERVE" | "$SAMPLER") ;; *) kill -TERM -- "-$j" 2>/dev/null ;; esac
    done
    for f in "$WORK"/ctl/*.pid; do
        [ -f "$f" ] && ssh -S "${f%.pid}" -O exit x@127.0.0.1 >/dev/null 2>&1
    done
    for j in $(jobs -p); do
        case $j in "$SIM" | "$SERVE" | "$SAMPLER") ;; *) wait "$j" 2>/dev/null ;; esac
    done
    [ -n "$SAMPLER" ] && wait "$SAMPLER" 2>/dev/null
    # The server's group: a package being created is a child of the server
    # that outlives it otherwise.
    if [ -n "$SERVE" ]; then kill -TERM -- "-$SERVE" 2>/dev/null; wait "$SERVE" 2>/dev/null; fi
    if [ -n "$SIM" ]; then
        kill -INT "$SIM" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$SIM" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SIM" 2>/dev/null
        wait "$SIM" 2>/dev/null
    fi
    # The simulator stops its Prometheus; make sure of it.
    if [ -n "$PROM" ] && [ "$(cat "/proc/$PROM/comm" 2>/dev/null)" = prometheus ]; then
        kill -TERM "$PROM" 2>/dev/null
    fi
    if [ -n "${BENCH_KEEP:-}" ]; then
        mkdir -p "$BENCH_KEEP"
        cp -r "$WORK"/*.log "$WORK"/rec "$WORK"/fail "$WORK"/facts "$WORK"/*.json \
            "$WORK"/samples "$BENCH_KEEP"/ 2>/dev/null
        cp "$WORK/store/.last-create.log" "$BENCH_KEEP/last-create.log" 2>/dev/null
    fi
    cd /
    if mountpoint -q "$WORK"; then $sudo umount "$WORK" 2>/dev/null || $sudo umount -l "$WORK"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
$sudo mount -t tmpfs -o "size=${TMPFS_SIZE:-4g},mode=0700" tmpfs "$WORK"
mkdir -p "$WORK/rec" "$WORK/fail" "$WORK/ctl" "$WORK/mirror" "$WORK/tmp"
: >"$WORK/facts"
fact() { echo "$1=$2" >>"$WORK/facts"; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# --- the cluster: every container of the smf scenario logs every 25 ms,
# with 20 minutes of history.
sed -E 's/interval: [0-9]+s(, history: [0-9a-z]+)?\}/interval: 25ms, history: 20m}/' \
    "$SCENARIO" >"$WORK/busy.yaml"
prom_flag=()
command -v prometheus >/dev/null && command -v promtool >/dev/null && prom_flag=(--prometheus)
"$BIN" sim --scenario "$WORK/busy.yaml" --log-max-size 10Mi "${prom_flag[@]}" \
    --state-dir "$WORK/state" --kubeconfig-out "$WORK/kubeconfig" >"$WORK/sim.log" 2>&1 &
SIM=$!
for _ in $(seq 1200); do grep -q serving "$WORK/sim.log" && break; kill -0 "$SIM" 2>/dev/null || break; sleep 0.1; done
grep -q serving "$WORK/sim.log" || { cat "$WORK/sim.log" >&2; echo "simulator did not start" >&2; exit 1; }
# Prometheus runs under a guard shell of the simulator's.
for g in $(ps -o pid= --ppid "$SIM"); do
    for p in $g $(ps -o pid= --ppid "$g"); do
        if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = prometheus ]; then PROM=$p; fi
    done
done

# --- users and the ops center
pw() { echo "pw-$1-$(printf %s "$WORK" | sha256sum | cut -c1-12)"; }
USERLIST=(admin)
for i in $(seq 1 "$NUSERS"); do USERLIST+=("oper$i"); done
for u in "${USERLIST[@]}"; do
    pw "$u" | "$BIN" user add "$u" --users "$WORK/users" --password-stdin >>"$WORK/users.log" 2>&1 ||
        { cat "$WORK/users.log" >&2; exit 1; }
done
mkdir "$WORK/store"
# shellcheck disable=SC2086
env ${SERVE_ENV:-} KUBECONFIG="$WORK/kubeconfig" "$BIN" serve --ssh-addr 127.0.0.1:0 --https-addr 127.0.0.1:0 \
    --store "$WORK/store" --users "$WORK/users" >"$WORK/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 300); do grep -q '^https: listening' "$WORK/serve.log" && break; kill -0 "$SERVE" 2>/dev/null || break; sleep 0.1; done
SSH_PORT=$(sed -n 's/^ssh: *listening on [0-9.]*:\([0-9]*\).*/\1/p' "$WORK/serve.log")
HTTPS=$(sed -n 's/^https: *listening on \([0-9.:]*\).*/\1/p' "$WORK/serve.log")
[ -n "$SSH_PORT" ] && [ -n "$HTTPS" ] || { cat "$WORK/serve.log" >&2; echo "serve did not start" >&2; exit 1; }
BASE=https://$HTTPS
SSHO=(-p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)

# launch NAME USER: one SSH connection (ControlMaster), a child of this
# shell, that the session's commands go through. await NAME USER
# [RECORDS]: waits until it is logged in and records the login time.
launch() {
    now_us >"$WORK/ctl/$1.t0"
    SSHPASS=$(pw "$2") sshpass -e ssh "${SSHO[@]}" -n -N -M -S "$WORK/ctl/$1" \
        "$2@127.0.0.1" 2>"$WORK/ctl/$1.err" &
    echo $! >"$WORK/ctl/$1.pid"
}
await() {
    local name=$1 user=$2 t1 ok=FAIL
    for _ in $(seq 600); do
        if ssh "${SSHO[@]}" -S "$WORK/ctl/$name" -O check "$user@127.0.0.1" 2>/dev/null; then ok=OK; break; fi
        kill -0 "$(cat "$WORK/ctl/$name.pid")" 2>/dev/null || break
        sleep 0.05
    done
    t1=$(now_us)
    printf 'login\t%s\t%s\t%s\t-\t%s\t%s\n' "$user" "$(cat "$WORK/ctl/$name.t0")" \
        $((t1 - $(cat "$WORK/ctl/$name.t0"))) "$ok" \
        "$(tr '\n' ' ' <"$WORK/ctl/$name.err")" >>"$WORK/${3:-rec/login}"
    [ $ok = OK ]
}
# on NAME USER COMMAND: one command through NAME's connection.
on() {
    timeout 120 ssh "${SSHO[@]}" -n -o BatchMode=yes -o ControlMaster=no -S "$WORK/ctl/$1" "$2@127.0.0.1" "$3"
}
window() { # the guide's times: T-25m and T
    echo "from $(date -u -d '-25 min' +%Y-%m-%d_%H:%M:%S) to $(date -u +%Y-%m-%d_%H:%M:%S)"
}
# create: starts a package; prints its id and, once no create is active,
# the seconds it took (`tac-debug-pkg status` polled every 0.5 s).
create() {
    local out id t0 t1
    t0=$(now_us)
    out=$(on admin admin "tac-debug-pkg create $(window)")
    id=$(sed -n 's/.*tac-debug pkg ID : *\([0-9]*\).*/\1/p' <<<"$out")
    [ -n "$id" ] || { echo "create failed: $out" >&2; return 1; }
    for _ in $(seq 1200); do
        on admin admin 'tac-debug-pkg status' | grep -q 'No active tac debug session' && break
        sleep 0.5
    done
    t1=$(now_us)
    echo "$id $(((t1 - t0) / 1000))"
}
pkg_line() { on admin admin 'tac-debug-pkg list' | awk -v id="$1" '$1==id'; }
launch admin admin
await admin admin admin.login || { echo "admin login failed" >&2; exit 1; }
NPODS=$(on admin admin 'show pods -n smf-data | count' | sed -n 's/^Count: \([0-9]*\) lines.*/\1/p')
[ -n "$NPODS" ] || { echo "show pods failed" >&2; exit 1; }
ready=$(date +%s)

# --- package 1, alone
read -r ID1 PKG1_MS < <(create)
line=$(pkg_line "$ID1")
[ "$(awk '{print $2}' <<<"$line")" = complete ] || { echo "package 1: $line" >&2; cat "$WORK/store/.last-create.log" >&2; exit 1; }
fact pkg1_s "$(awk -v m="$PKG1_MS" 'BEGIN{print m/1000}')"
fact pkg1_size "$(awk '{print $(NF-2), $(NF-1)}' <<<"$line")"
U1=oper1; P1=$(pw oper1)
curl -sSk --fail -u "$U1:$P1" -o "$WORK/manifest1.json" "$BASE/tac/$ID1/manifest.json"
python3 "$HERE/verify.py" list "$WORK/manifest1.json" >"$WORK/files.lst"

# --- the sessions log in, 0.2 s apart
LOGINS=()
for i in $(seq 0 $((SESSIONS - 1))); do
    launch "s$i" "oper$((i % NUSERS + 1))"
    await "s$i" "oper$((i % NUSERS + 1))" &
    LOGINS+=($!)
    sleep 0.2
done
for j in "${LOGINS[@]}"; do wait "$j" || true; done
logins_ok=$(grep -c $'\tOK\t' "$WORK/rec/login" || true)

# --- the workers
ssh_session() { # IDX USER
    set +e
    local idx=$1 user=$2 i=$1 k out rc t0 t1 ok
    local names=(show-pods-count pkg-status running-config pkg-list)
    local cmds=("show pods -n smf-data | count" "tac-debug-pkg status" "show running-config" "tac-debug-pkg list")
    while [ "$(date +%s)" -lt "$END" ]; do
        k=$((i % 4)); i=$((i + 1))
        t0=$(now_us)
        out=$(on "s$idx" "$user" "${cmds[k]}" 2>&1); rc=$?
        t1=$(now_us)
        ok=FAIL
        if [ $rc = 0 ]; then
            case $k in
            0) [ "$out" = "Count: $NPODS lines" ] && ok=OK ;;
            1) grep -q '^response : ' <<<"$out" &&
                grep -Eq 'No active tac debug session|Tac id: [0-9]+' <<<"$out" && ok=OK ;;
            2) grep -q '^logging level application' <<<"$out" && ok=OK ;;
            3) grep -Eq "^$ID1 +complete " <<<"$out" && ok=OK ;;
            esac
        fi
        printf 'ssh\t%s\t%s\t%s\t%s\t%s\t%s\n' "${names[k]}" "$t0" $((t1 - t0)) $rc $ok \
            "$([ $ok = OK ] || echo "s$idx rc=$rc: $(head -c 300 <<<"$out" | tr '\n\t' '  ')")" >>"$WORK/rec/ssh$idx"
        [ $ok = OK ] || printf '%s\n--- %s rc=%s at %s\n%s\n' "" "${cmds[k]}" $rc "$t0" "$out" >>"$WORK/fail/ssh$idx"
        sleep "$THINK"
    done
}

mapfile -t FILES_LST <"$WORK/files.lst"
dl_user() { local u="oper$(($1 % NUSERS + 1))"; echo "$u $(pw "$u")"; }
# The `-w` line curl writes after a transfer: code, bytes, seconds.
wline() { sed -n 's/^W //p' "$1" | tail -1; }

file_worker() { # IDX
    set +e
    local idx=$1 u p pick path bytes sha t0 t1 sum rc code size tt ok err=$WORK/tmp/f$1
    read -r u p < <(dl_user "$idx")
    while [ "$(date +%s)" -lt "$END" ]; do
        pick=${FILES_LST[RANDOM % ${#FILES_LST[@]}]}
        read -r path bytes sha <<<"$pick"
        t0=$(now_us)
        sum=$(set -o pipefail; curl -sS -k --fail --max-time 300 -u "$u:$p" \
            -w '%{stderr}W %{http_code} %{size_download} %{time_total}\n' \
            "$BASE/tac/$ID1/$path" 2>"$err" | sha256sum | cut -d' ' -f1); rc=$?
        t1=$(now_us)
        read -r code size tt < <(wline "$err")
        ok=FAIL
        [ $rc = 0 ] && [ "$code" = 200 ] && [ "$size" = "$bytes" ] && [ "$sum" = "$sha" ] && ok=OK
        printf 'dl\tfile\t%s\t%s\t%s\t%s\t%s\t1\t0\t%s\t%s\n' "$t0" $((t1 - t0)) "${tt:-0}" "${code:-000}" \
            "${size:-0}" $ok "$([ $ok = OK ] || echo "$path rc=$rc sha=${sum:0:12} $(grep -v '^W ' "$err" | tr '\n' ' ')")" \
            >>"$WORK/rec/file$idx"
    done
}

archive_worker() { # IDX
    set +e
    local idx=$1 u p t0 t1 res rc code size tt ok attempts n503 ra
    local err=$WORK/tmp/a$1.err hdr=$WORK/tmp/a$1.hdr
    read -r u p < <(dl_user "$idx")
    while [ "$(date +%s)" -lt "$END" ]; do
        t0=$(now_us); attempts=0; n503=0
        while :; do
            attempts=$((attempts + 1))
            res=$(set -o pipefail; curl -sS -k --fail --max-time 300 -u "$u:$p" -D "$hdr" \
                -w '%{stderr}W %{http_code} %{size_download} %{time_total}\n' \
                "$BASE/tac/$ID1.tar.gz" 2>"$err" | python3 "$HERE/verify.py" tar "$WORK/manifest1.json"); rc=$?
            read -r code size tt < <(wline "$err")
            if [ "$code" = 503 ] && [ $attempts -lt $MAX_ATTEMPTS ]; then
                n503=$((n503 + 1))
                ra=$(tr -d '\r' <"$hdr" | sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' | tail -1)
                sleep "${ra:-10}"
                continue
            fi
            break
        done
        t1=$(now_us)
        ok=FAIL
        [ $rc = 0 ] && [ "$code" = 200 ] && [ "${res%% *}" = ok ] && ok=OK
        printf 'dl\tarchive\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t0" $((t1 - t0)) "${tt:-0}" "${code:-000}" \
            "${size:-0}" $attempts $n503 $ok "$([ $ok = OK ] || echo "rc=$rc $res $(grep -v '^W ' "$err" | tr '\n' ' ')")" \
            >>"$WORK/rec/archive$idx"
    done
}

mirror_worker() { # IDX
    set +e
    local idx=$1 u p n=0 d t0 t1 rc res bytes ok
    read -r u p < <(dl_user "$idx")
    while [ "$(date +%s)" -lt "$END" ]; do
        n=$((n + 1)); d=$WORK/mirror/$idx.$n
        t0=$(now_us)
        wget -r -np -nH -nv --no-check-certificate --http-user="$u" --http-password="$p" \
            -P "$d" "$BASE/tac/$ID1/" 2>"$d.log"; rc=$?
        t1=$(now_us)
        res=$(python3 "$HERE/verify.py" dir "$WORK/manifest1.json" "$d/tac/$ID1")
        bytes=$(du -sb "$d" 2>/dev/null | cut -f1)
        ok=FAIL
        [ $rc = 0 ] && [ "${res%% *}" = ok ] && ok=OK
        printf 'dl\tmirror\t%s\t%s\t%s\t%s\t%s\t1\t0\t%s\t%s\n' "$t0" $((t1 - t0)) \
            "$(awk -v u=$((t1 - t0)) 'BEGIN{print u/1e6}')" "$([ $rc = 0 ] && echo 200 || echo "wget$rc")" \
            "${bytes:-0}" $ok "$([ $ok = OK ] || echo "$res $(grep -iE 'error|fail' "$d.log" | head -3 | tr '\n' ' ')")" \
            >>"$WORK/rec/mirror$idx"
        rm -rf "$d" "$d.log"
    done
}

# CPU ticks of a process: own (utime+stime) and its reaped children's.
cpu_own() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_kids() { awk '{print $16 + $17}' "/proc/$1/stat"; }
machine_cpu() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; }
sampler() { # every 0.5 s: serve's RSS, its children's, the creating child's VmHWM
    set +e
    local t rss kids c kr hwm=0 h
    while [ ! -e "$WORK/stop" ] && [ ! -e "$WORK/stop-sampler" ]; do
        rss=$(awk '/^VmRSS/{print $2}' "/proc/$SERVE/status")
        kids=0
        for c in $(ps -o pid= --ppid "$SERVE"); do
            kr=$(awk '/^VmRSS/{print $2}' "/proc/$c/status" 2>/dev/null)
            kids=$((kids + ${kr:-0}))
            if cat "/proc/$c/cmdline" 2>/dev/null | tr '\0' ' ' | grep -q ' create '; then
                h=$(awk '/^VmHWM/{print $2}' "/proc/$c/status" 2>/dev/null)
                [ "${h:-0}" -gt $hwm ] && hwm=$h
            fi
        done
        echo "$(date +%s.%N) $rss $kids $hwm" >>"$WORK/samples"
        sleep 0.5
    done
}


# --- each command alone first, from one idle session: the latency without load
for _ in 1 2 3 4 5; do
    for k in 0 1 2 3; do
        names=(show-pods-count pkg-status running-config pkg-list)
        cmds=("show pods -n smf-data | count" "tac-debug-pkg status" "show running-config" "tac-debug-pkg list")
        t0=$(now_us); on s0 oper1 "${cmds[k]}" >/dev/null; t1=$(now_us)
        printf 'base\t%s\t%s\t%s\t0\tOK\n' "${names[k]}" "$t0" $((t1 - t0)) >>"$WORK/rec/base"
    done
done

# --- the run
hz=$(getconf CLK_TCK)
sampler &
SAMPLER=$!
sleep 0.6 # a first sample before the load
sim_cpu() { echo $(($(cpu_own "$SIM") + $([ -n "$PROM" ] && cpu_own "$PROM" 2>/dev/null || echo 0))); }
cpu0=$(cpu_own "$SERVE"); kids0=$(cpu_kids "$SERVE"); sim0=$(sim_cpu); read -r mtot0 midle0 < <(machine_cpu)
T0=$(now_us)
END=$(($(date +%s) + DUR))
create >"$WORK/pkg2" &
CREATOR=$!
WORKERS=()
for i in $(seq 0 $((SESSIONS - 1))); do ssh_session "$i" "oper$((i % NUSERS + 1))" & WORKERS+=($!); done
for i in $(seq 0 $((ARCHIVES - 1))); do archive_worker "$i" & WORKERS+=($!); done
for i in $(seq 0 $((MIRRORS - 1))); do mirror_worker "$i" & WORKERS+=($!); done
for i in $(seq 0 $((FILES - 1))); do file_worker "$i" & WORKERS+=($!); done
# Each worker stops starting new work at END; what it started runs to its end.
for j in "${WORKERS[@]}"; do wait "$j" || true; done
T1=$(now_us)
wait "$CREATOR" || true
T2=$(now_us)
cpu1=$(cpu_own "$SERVE"); kids1=$(cpu_kids "$SERVE"); sim1=$(sim_cpu); read -r mtot1 midle1 < <(machine_cpu)
touch "$WORK/stop-sampler"; wait "$SAMPLER" || true; SAMPLER=
serve_hwm=$(awk '/^VmHWM/{print $2}' "/proc/$SERVE/status")

# --- package 2: complete? mirrored and checked
read -r ID2 PKG2_MS <"$WORK/pkg2" || true
line2=$(pkg_line "${ID2:-none}")
fact pkg2_id "${ID2:-none}"
fact pkg2_state "$(awk '{print $2}' <<<"$line2")"
fact pkg2_s "$(awk -v m="${PKG2_MS:-0}" 'BEGIN{print m/1000}')"
fact pkg2_size "$(awk '{print $(NF-2), $(NF-1)}' <<<"$line2")"
verify2="not downloaded"
if [ -n "${ID2:-}" ] && curl -sSk --fail -u "$U1:$P1" -o "$WORK/manifest2.json" "$BASE/tac/$ID2/manifest.json"; then
    wget -r -np -nH -q --no-check-certificate --http-user="$U1" --http-password="$P1" \
        -P "$WORK/mirror/pkg2" "$BASE/tac/$ID2/" || true
    verify2="$(python3 "$HERE/verify.py" dir "$WORK/manifest2.json" "$WORK/mirror/pkg2/tac/$ID2")" || true
    rm -rf "$WORK/mirror/pkg2"
fi
fact pkg2_verify "$verify2"

# --- the server's own figures
metrics=$(curl -sSk "$BASE/metrics")
fact metrics_archive_503 "$(awk -F' ' '/^kubetac_http_requests_total\{class="archive",code="503"\}/{print $2}' <<<"$metrics")"
fact metrics_archive_200 "$(awk -F' ' '/^kubetac_http_requests_total\{class="archive",code="200"\}/{print $2}' <<<"$metrics")"
fact load_wall_s "$(awk -v a="$T0" -v b="$T1" 'BEGIN{print (b-a)/1e6}')"
fact cpu_wall_s "$(awk -v a="$T0" -v b="$T2" 'BEGIN{print (b-a)/1e6}')"
fact serve_cpu_s "$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" 'BEGIN{print (b-a)/hz}')"
fact children_cpu_s "$(awk -v a="$kids0" -v b="$kids1" -v hz="$hz" 'BEGIN{print (b-a)/hz}')"
fact sim_cpu_s "$(awk -v a="$sim0" -v b="$sim1" -v hz="$hz" 'BEGIN{print (b-a)/hz}')"
fact machine_cpu_s "$(awk -v t="$((mtot1 - mtot0))" -v i="$((midle1 - midle0))" -v hz="$hz" 'BEGIN{print (t-i)/hz}')"
fact machine_busy_pct "$(awk -v t="$((mtot1 - mtot0))" -v i="$((midle1 - midle0))" 'BEGIN{print 100*(t-i)/t}')"
fact cpus "$(nproc)"
fact serve_hwm_kb "$serve_hwm"
fact create_hwm_kb "$(awk 'BEGIN{m=0} $4>m{m=$4} END{print m}' "$WORK/samples")"
fact tree_peak_kb "$(awk 'BEGIN{m=0} $2+$3>m{m=$2+$3} END{print m}' "$WORK/samples")"
fact serve_warnings "$(grep -ci 'warn' "$WORK/serve.log" || true)"
fact sessions "$SESSIONS"

echo "Run of $(date -u +%Y-%m-%dT%H:%MZ) ($("$BIN" --version), $(git rev-parse --short HEAD 2>/dev/null || echo '?')): bench/ops-center-load.sh $DUR — $SESSIONS SSH sessions" \
    "(THINK=$THINK s, $NUSERS users) and $DOWNLOADS download loops ($ARCHIVES archive, $MIRRORS wget mirror," \
    "$FILES single-file) for ${DUR} s while package $ID2 was created; package 1 ($ID1) downloaded;" \
    "$(nproc) CPUs; simulator: smf scenario, 40 lines/s per container${prom_flag:+, --prometheus}."
echo
status=0
python3 "$HERE/report.py" "$WORK/facts" "$WORK"/rec/* || status=$?
echo
echo "($logins_ok of $SESSIONS sessions logged in; setup $((ready - built)) s, package 1 $(awk -v m="$PKG1_MS" 'BEGIN{printf "%.1f", m/1000}') s," \
    "run $(awk -v a="$T0" -v b="$T2" 'BEGIN{printf "%.0f", (b-a)/1e6}') s, whole script $(($(date +%s) - started)) s" \
    "of which build $((built - started)) s)"
exit $status
