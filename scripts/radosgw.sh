#!/usr/bin/env bash
# A real S3 server for tests and benchmarks: a one-node Ceph cluster (monitor, one memstore OSD,
# radosgw) under one directory, bound to 127.0.0.1 only, up in ~3 s. Packages: ceph-mon ceph-osd
# radosgw ceph-common uuid-runtime (scripts/setup-test-env.sh installs them). Object Lock,
# versioning and delete markers behave as on AWS.
#
#   scripts/radosgw.sh start DIR [ACCESS_KEY SECRET_KEY]
#       brings the cluster up under DIR (which must not hold one already) on a free port block,
#       creates the S3 user and prints (and writes to DIR/env, chmod 600):
#         ENDPOINT=http://127.0.0.1:PORT
#         ACCESS_KEY=...
#         SECRET_KEY=...
#       Without keys radosgw-admin makes fresh random ones. The daemons run detached (their own
#       session, output in DIR/log), pid files in DIR/run. On failure (or INT/TERM) everything
#       started is stopped again.
#   scripts/radosgw.sh stop DIR
#       kills radosgw, the OSD and the monitor (by their pid files; in that order) and waits until
#       each process is gone. Safe on a stopped or half-started cluster.
#
# Two runs on one machine at once: ports come from a random block below the kernel's ephemeral
# range, checked free with ss; blocks are chosen under a machine-wide lock held until the new
# cluster has bound its ports, and a start that still hits a taken port retries on a new block.
#
# What the configuration has to get right on these machines:
#   - auth is off, and then radosgw hangs at its start unless `ms mon client mode = crc secure`;
#     it starts under `timeout` (and `rgw init timeout`) so a hang is a failure, not a block
#   - every path (logs, the cluster log, pid files, sockets, data) lies under DIR
#   - `mon data avail warn = 1`: no low-disk warning on a full-ish shared disk
#   - memstore (data in RAM) and `paxos propose interval = 0.1`: ~3 s to an endpoint, not ~13 s
#
# Environment (optional): RADOSGW_START_TIMEOUT seconds for the whole start (default 60),
# RADOSGW_VERBOSE=1 logs the time of each step.
set -euo pipefail

PORT_LOCK=/tmp/backup-tui-radosgw-ports.lock
BLOCK=20        # ports per cluster: mon v2, mon v1, beast, then the OSD's ms bind range
PORT_LO=10000   # blocks lie in [PORT_LO, PORT_HI): below the ephemeral range (32768+)
PORT_HI=32000
ATTEMPTS=4
BIND_ERRORS='address already in use|unable to bind|failed to bind'
START_TIMEOUT=${RADOSGW_START_TIMEOUT:-60}

log() { printf '[radosgw] %s\n' "$*" >&2; }
die() { printf '[radosgw] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: $0 start DIR [ACCESS_KEY SECRET_KEY] | stop DIR"; }

now_ms() { date +%s%3N; }
# step WHAT: with RADOSGW_VERBOSE set, logs how long since the start the step was reached
step() { [ -z "${RADOSGW_VERBOSE:-}" ] || log "$(($(now_ms) - T0)) ms: $*"; }

# pid_of NAME: the pid in DIR/run/NAME.pid, if that process still runs as a ceph daemon
pid_of() {
  local f=$D/run/$1.pid pid comm
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  case "$comm" in ceph-mon | ceph-osd | radosgw) echo "$pid" ;; *) return 1 ;; esac
}

# state PID: the process state letter (R, S, Z, ...), empty when gone
state() { sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true; }

# stop_one NAME: TERM (KILL after 10 s), then waits until it has exited; adds its pid to STOPPED
stop_one() {
  local name=$1 pid i t0
  pid=$(pid_of "$name") || return 0
  t0=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 200); do
    case "$(state "$pid")" in "" | Z) break ;; esac
    [ "$i" -eq 100 ] && { log "$name (pid $pid) ignores TERM; sending KILL"; kill -KILL "$pid" 2>/dev/null || true; }
    sleep 0.05
  done
  case "$(state "$pid")" in "" | Z) ;; *) die "$name (pid $pid) is still running" ;; esac
  [ -z "${RADOSGW_VERBOSE:-}" ] || log "$name exited in $(($(now_ms) - t0)) ms"
  rm -f "$D/run/$name.pid"
  STOPPED+=("$pid")
}

# Daemons that daemonized are init's children: wait (up to 10 s) until it has reaped them.
wait_reaped() {
  local pid i
  for pid in "${STOPPED[@]}"; do
    for i in $(seq 1 200); do
      [ -n "$(state "$pid")" ] || break
      sleep 0.05
    done
    [ -z "$(state "$pid")" ] || log "pid $pid exited but its parent has not reaped it yet"
  done
}

cmd_stop() {
  [ -d "$D" ] || return 0
  local f
  STOPPED=()
  stop_one client.rgw.gw
  for f in "$D"/run/osd.*.pid; do
    [ -e "$f" ] || continue
    stop_one "$(basename "$f" .pid)"
  done
  stop_one mon.a
  wait_reaped
}

# ports_free FIRST COUNT: no TCP socket (listening or connected) uses a port in the range
ports_free() {
  [ -z "$(ss -Htan "( sport >= :$1 and sport <= :$(($1 + $2 - 1)) )" 2>/dev/null)" ]
}

pick_block() {
  local base i
  for i in $(seq 1 100); do
    base=$((PORT_LO + (RANDOM * 32768 + RANDOM) % ((PORT_HI - PORT_LO) / BLOCK) * BLOCK))
    if ports_free "$base" "$BLOCK"; then echo "$base"; return 0; fi
  done
  return 1
}

write_conf() {
  local base=$1 fsid=$2
  MON_V2=$base MON_V1=$((base + 1)) RGW_PORT=$((base + 2))
  cat >"$D/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = $((base + 3))
ms bind port max = $((base + BLOCK - 1))
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
crash dir = $D/crash
mon cluster log file = $D/log/cluster.log
mon data = $D/mon/\$id
osd data = $D/osd/\$id
osd objectstore = memstore
memstore device bytes = 4294967296
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
paxos propose interval = 0.1
mon data avail warn = 1
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $D/rgw
rgw init timeout = $START_TIMEOUT
EOF
}

# A daemon, detached: its own session, no stdin, output to DIR/log, none of our fds (the port lock).
daemon() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$D/log/$name.out" 2>&1 9>&-
}

ceph_q() { timeout 20 "$@" --connect-timeout 10 >/dev/null 2>&1; }

# wait_until MS_DEADLINE NAME WHAT COMMAND...: polls COMMAND every 50 ms; gives up at the
# deadline, or at once when daemon NAME has died or logged that it could not bind its port
wait_until() {
  local deadline=$1 name=$2 what=$3
  shift 3
  until "$@"; do
    if [ -s "$D/run/$name.pid" ] && ! pid_of "$name" >/dev/null; then
      log "$name died while waiting for $what"
      return 1
    fi
    if grep -qsiE "$BIND_ERRORS" "$D/log/$name.log" "$D/log/$name.out"; then
      log "$name could not bind its port"
      return 1
    fi
    [ "$(now_ms)" -lt "$deadline" ] || { log "timed out waiting for $what"; return 1; }
    sleep 0.05
  done
}

osd_up() { ceph "${C[@]}" osd dump 2>/dev/null | grep -q "^osd\.$OSD_ID up"; }
rgw_answers() { curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$RGW_PORT/"; }
mon_answers() { ceph_q ceph "${C[@]}" mon stat; }

# One attempt on one port block; returns 1 (after stopping what it started) on any failure.
try_start() {
  local base=$1 deadline fsid osd_uuid
  deadline=$(($(now_ms) + START_TIMEOUT * 1000))
  rm -rf "$D/run" "$D/log" "$D/mon" "$D/osd" "$D/rgw" "$D/crash" "$D/monmap" "$D/env"
  mkdir -p "$D/run" "$D/log" "$D/mon" "$D/osd" "$D/rgw" "$D/crash"
  fsid=$(uuidgen)
  write_conf "$base" "$fsid"
  C=(-c "$D/ceph.conf")
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]" "$D/monmap" >/dev/null ||
    return 1
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" >>"$D/log/mkfs.out" 2>&1 || return 1
  daemon mon.a ceph-mon "${C[@]}" -i a || return 1
  step "monitor started"
  wait_until "$deadline" mon.a "the monitor" mon_answers || return 1
  step "monitor answers"
  osd_uuid=$(uuidgen)
  OSD_ID=$(timeout 20 ceph "${C[@]}" --connect-timeout 10 osd new "$osd_uuid" 2>>"$D/log/mkfs.out") || return 1
  mkdir -p "$D/osd/$OSD_ID"
  ceph-osd "${C[@]}" -i "$OSD_ID" --mkfs --osd-uuid "$osd_uuid" >>"$D/log/mkfs.out" 2>&1 || return 1
  daemon "osd.$OSD_ID" ceph-osd "${C[@]}" -i "$OSD_ID" || return 1
  step "osd.$OSD_ID started"
  wait_until "$deadline" "osd.$OSD_ID" "osd.$OSD_ID up" osd_up || return 1
  step "osd.$OSD_ID up"
  # radosgw can hang for good in its start (S3.md); the timeout makes that a failure.
  daemon client.rgw.gw timeout "$START_TIMEOUT" radosgw "${C[@]}" -n client.rgw.gw || return 1
  step "radosgw started"
  wait_until "$deadline" client.rgw.gw "radosgw on 127.0.0.1:$RGW_PORT" rgw_answers || return 1
  step "radosgw answers"
}

cmd_start() {
  local ak=${1:-} sk=${2:-} attempt base ok=0
  command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null &&
    command -v uuidgen >/dev/null || die "Ceph is not installed (run scripts/setup-test-env.sh)"
  if [ -e "$D/run" ] && { pid_of mon.a >/dev/null || pid_of client.rgw.gw >/dev/null; }; then
    die "a cluster already runs under $D (stop it first: $0 stop $D)"
  fi
  mkdir -p "$D"
  D=$(cd "$D" && pwd)
  T0=$(now_ms)
  trap 'cmd_stop; exit 1' INT TERM
  exec 9>"$PORT_LOCK"
  flock -w 120 9 || die "could not take $PORT_LOCK"
  for attempt in $(seq 1 "$ATTEMPTS"); do
    if [ "$attempt" = 1 ] && [ -n "${RADOSGW_PORT_BASE:-}" ]; then
      base=$RADOSGW_PORT_BASE # tests of the collision retry
    else
      base=$(pick_block) || die "no free block of $BLOCK ports in $PORT_LO-$PORT_HI"
    fi
    if try_start "$base"; then ok=1; break; fi
    cmd_stop
    if grep -qsiE "$BIND_ERRORS" "$D"/log/*; then
      log "attempt $attempt: a port in $base-$((base + BLOCK - 1)) was taken; trying another block"
      continue
    fi
    log "start failed; last log lines:"
    tail -n 5 "$D"/log/*.log "$D"/log/*.out 2>/dev/null | sed 's/^/    /' >&2 || true
    break
  done
  exec 9>&-
  [ "$ok" = 1 ] || die "the cluster did not start (logs in $D/log)"
  # The S3 user. Given keys reach radosgw-admin on its argv (its only way in); without them
  # radosgw-admin makes fresh ones, read back from its JSON so no argv ever holds them.
  local key_args=()
  [ -z "$ak" ] || key_args=(--access-key="$ak" --secret-key="$sk")
  if ! timeout 30 radosgw-admin "${C[@]}" user create --uid=test --display-name=test "${key_args[@]}" \
    >"$D/user.json" 2>>"$D/log/mkfs.out"; then
    cmd_stop
    die "radosgw-admin user create failed (see $D/log/mkfs.out)"
  fi
  chmod 600 "$D/user.json"
  ak=$(sed -n 's/^ *"access_key": "\(.*\)",\{0,1\}$/\1/p' "$D/user.json" | sed -n 1p)
  sk=$(sed -n 's/^ *"secret_key": "\(.*\)",\{0,1\}$/\1/p' "$D/user.json" | sed -n 1p)
  [ -n "$ak" ] && [ -n "$sk" ] || { cmd_stop; die "no keys in radosgw-admin's answer ($D/user.json)"; }
  (
    umask 077
    printf 'ENDPOINT=http://127.0.0.1:%s\nACCESS_KEY=%s\nSECRET_KEY=%s\n' "$RGW_PORT" "$ak" "$sk" >"$D/env"
  )
  trap - INT TERM
  cat "$D/env"
  log "up in $(($(now_ms) - T0)) ms under $D (ports $base-$((base + BLOCK - 1)))"
}

[ $# -ge 2 ] || usage
ACTION=$1
D=$2
shift 2
case "$ACTION" in
  start) [ $# -eq 0 ] || [ $# -eq 2 ] || usage; cmd_start "$@" ;;
  stop) [ $# -eq 0 ] || usage; t0=$(now_ms); cmd_stop; log "stopped in $(($(now_ms) - t0)) ms" ;;
  *) usage ;;
esac
