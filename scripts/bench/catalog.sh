#!/usr/bin/env bash
# Snapshot-catalog benchmark: backup-tui's SQLite catalog vs asking restic, on a real restic
# repository of >= 10,000 snapshots shaped like backup-tui's.
#
#   bash scripts/bench/catalog.sh            full: the cached 10k repository, hyperfine (warmup, >= 5 runs)
#   bash scripts/bench/catalog.sh --smoke    ~50 snapshots in a temp dir, 2 runs each, < 60 s
#
# Options: --no-build (use bin/backup-tui as it is), --rebuild-repo (full: build the cached
# repository again), --cache-dir DIR (default /var/cache/backup-tui-bench), --keep (keep the work dir).
# Environment: BACKUP_TUI_BIN (benchmark this binary instead of bin/backup-tui).
#
# The repository (full mode: DIR/catalog-10k/{repo,password,meta.json}) is built once and reused while
# its snapshot count matches meta.json. Building it one `restic backup` per snapshot would take hours
# (~0.7 s of scrypt per restic invocation), so:
#   1. real `restic backup --time` runs, in parallel, of a few content variants per stack (host A);
#   2. one `restic rewrite --new-host B` gives host B the same variants;
#   3. `restic rewrite --new-time T ID...` (parallel, append lock) stamps one variant of every stack
#      and host at each point of a 6-hourly timeline: 40 new snapshots per restic invocation, each
#      point in time distinct, trees real (the variant's);
#   4. one `restic tag --remove rewrite` drops the marker tag rewrite adds; `restic check` last.
# Result tables go to stdout; progress and hyperfine's own output to stderr. Any failed command
# (build, untimed run, sanity check or measured run) prints FAILED and exits non-zero.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODE=full BUILD_BIN=1 REBUILD_REPO=0 KEEP=0
CACHE_DIR=/var/cache/backup-tui-bench
while (($#)); do
  case $1 in
    --smoke) MODE=smoke ;;
    --no-build) BUILD_BIN=0 ;;
    --rebuild-repo) REBUILD_REPO=1 ;;
    --keep) KEEP=1 ;;
    --cache-dir) CACHE_DIR=${2:?--cache-dir needs a directory}; shift ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "FAILED: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---------------------------------------------------------------------------------------------
# Shape of the fixture and of the measurements.
ALL_STACKS=(nextcloud gitea vaultwarden immich paperless jellyfin homeassistant grafana prometheus traefik
            postgres redis minio wikijs miniflux uptime-kuma mosquitto n8n outline authentik)
export HOST_A=docker-01 HOST_B=docker-02
export STEP=$((6 * 3600))          # one backup run every 6 hours
if [[ $MODE == smoke ]]; then
  NSTACKS=3 NORMAL_VARIANTS=1 TIMES=6 MIN_SNAPSHOTS=50
  FAST_WARMUP=1 FAST_RUNS=2 SLOW_WARMUP=0 SLOW_RUNS=2
else
  NSTACKS=20 NORMAL_VARIANTS=4 TIMES=250 MIN_SNAPSHOTS=10000
  FAST_WARMUP=3 FAST_RUNS=15 SLOW_WARMUP=1 SLOW_RUNS=5
fi
STACKS=("${ALL_STACKS[@]:0:NSTACKS}")
export NORMAL_VARIANTS TIMES
VARIANTS="$(for ((v = 0; v < NORMAL_VARIANTS; v++)); do printf 'v%d ' "$v"; done)hot prot"
export VARIANTS
X=${STACKS[1]}                     # the stack the per-stack figures use
TARGET=0.2                         # seconds, catalog listings
PAR=$(($(nproc) + 1))

# ---------------------------------------------------------------------------------------------
START_ALL=$(date +%s.%N)
log() { printf '[catalog-bench %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $START_ALL" | bc)" "$*" >&2; }
die() { echo "FAILED: $*" >&2; exit 1; }
trap 'rc=$?; echo "FAILED: line $LINENO: $BASH_COMMAND (exit $rc)" >&2' ERR
since() { printf '%.2f' "$(echo "$(date +%s.%N) - $1" | bc)"; }

for tool in restic hyperfine jq bc; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
unset RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND RESTIC_REPOSITORY_FILE RESTIC_REPOSITORY RESTIC_PASSWORD_FILE

WORK=$(mktemp -d "${TMPDIR:-/tmp}/btui-catalog-bench.XXXXXX")
cleanup() { if ((KEEP)); then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
log "mode $MODE, work dir $WORK"

# ---------------------------------------------------------------------------------------------
# The binary: built through npm (Node 26 from node_modules) when missing or older than the sources,
# then copied so that a concurrent rebuild of bin/backup-tui cannot change it under the measurements.
SRC_BIN=${BACKUP_TUI_BIN:-$ROOT/bin/backup-tui}
if ((BUILD_BIN)) && [[ -z ${BACKUP_TUI_BIN:-} ]]; then
  newest=$(find "$ROOT/src" "$ROOT/scripts/build.mjs" -type f -printf '%T@\n' | sort -n | tail -1)
  if [[ ! -x $SRC_BIN ]] || (($(echo "$(stat -c %Y "$SRC_BIN") < ${newest%.*}" | bc))); then
    log "building bin/backup-tui (npm run build)"
    (cd "$ROOT" && npm run build --silent) >&2 || die "npm run build"
  fi
fi
[[ -x $SRC_BIN ]] || die "no executable at $SRC_BIN (run npm run build)"
BIN=$WORK/backup-tui
cp "$SRC_BIN" "$BIN"
log "binary: $SRC_BIN ($("$BIN" --version 2>/dev/null || echo '?'), built $(date -u -r "$SRC_BIN" +%FT%TZ))"

# ---------------------------------------------------------------------------------------------
# Building the fixture repository.
time_of() { TZ=UTC date -d "@$((T0 - $1 * STEP))" '+%Y-%m-%d %H:%M:%S'; }
variant_for_time() {
  local j=$1
  if ((j % 40 == 5)); then echo prot        # now and then a manual, protected snapshot
  elif ((j % 25 == 3)); then echo hot       # a hot-pass snapshot left by an interrupted run
  else echo "v$((j % NORMAL_VARIANTS))"; fi # j = 0 (newest) is v0, the variant with the needle
}
write_content() {
  local dir=$1 s=$2 k=$3 v=$4
  rm -rf "$dir"
  mkdir -p "$dir/data/db" "$dir/data/uploads" "$dir/config"
  printf 'services:\n  %s:\n    image: registry.example/%s:latest\n    volumes:\n      - ./data:/data\n      - ./config:/config:ro\n' "$s" "$s" >"$dir/compose.yaml"
  printf 'TZ=UTC\nAPP_NAME=%s\n' "$s" >"$dir/.env"
  printf '[%s]\nvariant = %s\n' "$s" "$v" >"$dir/config/app.ini"
  printf '{"stack":"%s","variant":"%s","seq":%d}\n' "$s" "$v" "$k" >"$dir/data/db/state.json"
  head -c 1536 /dev/urandom | base64 >"$dir/data/uploads/blob-$v.txt"
  if [[ $v == v0 ]]; then echo "needle of $s" >"$dir/data/uploads/needle-$k.txt"; fi
}
# One stack: every variant backed up for real on host A (sequential: they share /srv/<stack>).
base_job() {
  local k=$1 s=$2 dir="$SRV_ROOT/$2" vi=0 v kind trig id
  for v in $VARIANTS; do
    write_content "$dir" "$s" "$k" "$v"
    kind=stack trig=scheduled
    local extra=()
    if [[ $v == hot ]]; then kind=hot; fi
    if [[ $v == prot ]]; then trig=manual extra=(--tag protected); fi
    id=$(restic backup --json --no-cache --host "$HOST_A" --time "$(time_of $((TIMES + vi)))" \
      --tag backup-tui --tag "stack:$s" --tag "vol:${s}_data" --tag "kind:$kind" --tag "trigger:$trig" "${extra[@]}" "$dir" |
      jq -r 'select(.message_type == "summary") | .snapshot_id')
    [[ -n $id ]] || { echo "FAILED: restic backup of $s ($v)" >&2; return 1; }
    echo "$id" >>"$IDS_DIR/$v"
    vi=$((vi + 1))
  done
}
# One point in time: the variant of every stack and host stamped with that time.
time_job() {
  local j=$1
  # shellcheck disable=SC2046
  restic rewrite -q --no-cache --new-time "$(time_of "$j")" $(cat "$IDS_DIR/$(variant_for_time "$j")") >/dev/null
}
export -f time_of variant_for_time write_content base_job time_job

build_repo() {
  local dest=$1 t phase
  local -A took
  t=$(date +%s.%N)
  rm -rf "$dest"
  mkdir -p "$dest/ids"
  head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$dest/password"
  chmod 600 "$dest/password"
  export RESTIC_REPOSITORY=$dest/repo RESTIC_PASSWORD_FILE=$dest/password IDS_DIR=$dest/ids TZ=UTC
  export T0=$(($(date +%s) / 3600 * 3600))  # newest point: this hour
  local nvar; nvar=$(wc -w <<<"$VARIANTS")
  local expected=$((NSTACKS * nvar * 2 + TIMES * NSTACKS * 2))
  log "building $expected snapshots at $dest: $NSTACKS stacks x 2 hosts, $nvar content variants, $TIMES points 6 h apart"
  restic init -q >/dev/null

  phase=$(date +%s.%N)
  local list; list=$(for ((k = 0; k < NSTACKS; k++)); do echo "$k ${STACKS[k]}"; done)
  if [[ $(id -u) == 0 ]] && unshare -m --propagation private true 2>/dev/null; then
    # Snapshots hold /srv/<stack>/...: a private tmpfs over /srv in a mount namespace, nothing on the host.
    SRV_ROOT=/srv unshare -m --propagation private bash -c '
      set -euo pipefail
      mount -t tmpfs -o size=64m bench-srv /srv
      xargs -P "$1" -L 1 bash -c '\''set -euo pipefail; base_job "$@"'\'' _ <<<"$2"' _ "$PAR" "$list"
  else
    log "no mount namespace (needs root): snapshot paths are under $dest/srv instead of /srv"
    SRV_ROOT=$dest/srv bash -c 'set -euo pipefail; xargs -P "$1" -L 1 bash -c '\''set -euo pipefail; base_job "$@"'\'' _ <<<"$2"' _ "$PAR" "$list"
  fi
  took[base]=$(since "$phase")
  log "  $((NSTACKS * nvar)) restic backups (host $HOST_A): ${took[base]} s"

  phase=$(date +%s.%N)
  # shellcheck disable=SC2046
  restic rewrite -q --no-cache --new-host "$HOST_B" $(cat "$IDS_DIR"/*) >/dev/null
  restic snapshots --json --no-lock --no-cache | jq -r '.[] | select(.original != null) | "\(.id) \(.original)"' >"$dest/pairs"
  for v in $VARIANTS; do
    awk 'NR == FNR { want[$1] = 1; print; next } ($2 in want) { print $1 }' "$IDS_DIR/$v" "$dest/pairs" >"$IDS_DIR/$v.both"
    mv "$IDS_DIR/$v.both" "$IDS_DIR/$v"
    [[ $(wc -l <"$IDS_DIR/$v") == $((NSTACKS * 2)) ]] || die "variant $v: expected $((NSTACKS * 2)) base snapshots"
  done
  took[host]=$(since "$phase")
  log "  host $HOST_B by one restic rewrite --new-host: ${took[host]} s"

  phase=$(date +%s.%N)
  seq 0 $((TIMES - 1)) | xargs -P "$PAR" -n 1 bash -c 'set -euo pipefail; time_job "$1"' _
  took[times]=$(since "$phase")
  log "  $TIMES restic rewrite --new-time (x $((NSTACKS * 2)) snapshots each): ${took[times]} s"

  phase=$(date +%s.%N)
  restic tag -q --no-cache --remove rewrite >/dev/null
  took[untag]=$(since "$phase")
  log "  restic tag --remove rewrite (all): ${took[untag]} s"

  phase=$(date +%s.%N)
  local n; n=$(restic snapshots --json --no-lock --no-cache | jq length)
  [[ $n == "$expected" ]] || die "the new repository has $n snapshots, expected $expected"
  if [[ $MODE == full ]]; then restic check -q --no-cache >&2 || die "restic check of the new repository"; fi
  took[verify]=$(since "$phase")
  log "  count$([[ $MODE == full ]] && echo " + restic check"): ${took[verify]} s"
  rm -rf "$dest/pairs" "$dest/ids" "$dest/srv"

  local total; total=$(since "$t")
  jq -n --argjson n "$n" --arg total "$total" --arg base "${took[base]}" --arg host "${took[host]}" --arg times "${took[times]}" \
    --arg untag "${took[untag]}" --arg verify "${took[verify]}" --arg newest "$(TZ=UTC date -d "@$T0" +%FT%TZ)" \
    --arg built "$(date -u +%FT%TZ)" --arg restic "$(restic version | head -1)" --argjson nb "$((NSTACKS * nvar))" \
    --argjson times_n "$TIMES" --arg stacks "${STACKS[*]}" --arg hosts "$HOST_A $HOST_B" --argjson par "$PAR" \
    '{snapshots: $n, newest: $newest, step_hours: 6, stacks: ($stacks | split(" ")), hosts: ($hosts | split(" ")),
      built_at: $built, restic: $restic, parallel: $par, build_seconds: ($total | tonumber),
      phases: {backups: {count: $nb, seconds: ($base | tonumber)}, rewrite_host: ($host | tonumber),
               rewrite_times: {count: $times_n, seconds: ($times | tonumber)}, untag: ($untag | tonumber), verify: ($verify | tonumber)}}' \
    >"$dest/meta.json"
  unset RESTIC_REPOSITORY RESTIC_PASSWORD_FILE
  log "built $n snapshots in $total s"
}

valid_repo() {
  local dir=$1 want n
  [[ -f $dir/meta.json && -s $dir/password && -f $dir/repo/config ]] || return 1
  want=$(jq -r .snapshots "$dir/meta.json") || return 1
  ((want >= MIN_SNAPSHOTS)) || return 1
  n=$(RESTIC_REPOSITORY=$dir/repo RESTIC_PASSWORD_FILE=$dir/password restic snapshots --json --no-lock --no-cache 2>/dev/null | jq length) || return 1
  [[ $n == "$want" ]] || { log "cached repository at $dir has $n snapshots, meta.json says $want: rebuilding"; return 1; }
}

if [[ $MODE == smoke ]]; then
  FIX=$WORK/fixture
  build_repo "$FIX"
else
  FIX=$CACHE_DIR/catalog-10k
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/catalog-10k.lock"
  flock 9 # exclusive while building or checking: one builder at a time
  if ((REBUILD_REPO)) || ! valid_repo "$FIX"; then
    tmp=$FIX.building
    build_repo "$tmp"
    rm -rf "$FIX"
    mv "$tmp" "$FIX"
  else
    log "reusing $FIX: $(jq -r '"\(.snapshots) snapshots, built \(.built_at) in \(.build_seconds | floor) s"' "$FIX/meta.json")"
  fi
  flock -s 9 # shared while measuring: a concurrent --rebuild-repo waits for us
fi
META=$FIX/meta.json
NSNAP=$(jq -r .snapshots "$META")
BUILD_SECONDS=$(jq -r .build_seconds "$META")
NEWEST=$(jq -r .newest "$META")
SINCE=$(date -u -d "$NEWEST - 7 days" +%FT%TZ)   # "--since 7d" as of the newest snapshot (stable on a cached repository)
UNTIL=$(date -u -d "$NEWEST - 14 days" +%FT%TZ)
SINCE2=$(date -u -d "$NEWEST - 21 days" +%FT%TZ)

# ---------------------------------------------------------------------------------------------
# The measured world: a config file (0600) naming the repository and its password file, a fresh state dir.
STATE=$WORK/state
CONFIG=$WORK/config.ini
mkdir -p "$WORK/stacks"
cat >"$CONFIG" <<EOF
[docker]
DOCKER_STACKS_DIR=$WORK/stacks
[local_backup]
RESTIC_REPOSITORY=$FIX/repo
RESTIC_PASSWORD_FILE=$FIX/password
HOSTNAME=$HOST_A
EOF
chmod 600 "$CONFIG"
export BACKUP_TUI_CONFIG=$CONFIG BACKUP_TUI_STATE_DIR=$STATE NO_COLOR=1
# Raw restic gets the same repository and password file, and a cache of its own (warmed like backup-tui's).
export RESTIC_REPOSITORY=$FIX/repo RESTIC_PASSWORD_FILE=$FIX/password RESTIC_CACHE_DIR=$WORK/restic-cache

# Untimed run that must succeed; its stdout is kept for the sanity checks.
must() {
  local label=$1; shift
  local out=$WORK/out.$RANDOM
  local rc=0
  "$@" >"$out" 2>"$out.err" || rc=$?
  if ((rc)); then
    echo "FAILED: $label: $* exited $rc" >&2
    tail -20 "$out.err" >&2
    exit 1
  fi
  cat "$out"
  rm -f "$out" "$out.err"
}

log "untimed: backup-tui snapshots --refresh (empty catalog and restic cache -> $NSNAP snapshots)"
t=$(date +%s.%N)
must "first refresh" "$BIN" snapshots --refresh >/dev/null
REFRESH_FIRST=$(since "$t")
log "  first refresh: $REFRESH_FIRST s"
n=$(must "catalog count" "$BIN" --json snapshots --all | jq '.snapshots | length')
[[ $n == "$NSNAP" ]] || die "the catalog holds $n snapshots after the refresh, the repository $NSNAP"

log "untimed: backup-tui find 'needle*' --stack $X (indexes the newest snapshots' trees)"
t=$(date +%s.%N)
must "first find" "$BIN" find 'needle*' --stack "$X" >/dev/null
FIND_FIRST=$(since "$t")
log "  first find (indexing): $FIND_FIRST s"

# ---------------------------------------------------------------------------------------------
# Measurements. Each row: id|label|kind|command (kind: catalog = target applies, cli, restic).
B=$BIN
ROWS=(
  "startup|backup-tui --version (start-up floor)|cli|$B --version"
  "list|backup-tui snapshots --stack $X|catalog|$B snapshots --stack $X"
  "rlist|restic snapshots --json --tag stack:$X|restic|restic snapshots --json --tag stack:$X"
  "since|backup-tui snapshots --stack $X --since 7d|catalog|$B snapshots --stack $X --since $SINCE"
  "range|backup-tui snapshots --since 21d --until 14d (all stacks)|catalog|$B snapshots --since $SINCE2 --until $UNTIL"
  "default|backup-tui snapshots (newest 5 per stack)|catalog|$B snapshots"
  "tag|backup-tui snapshots --host $HOST_B --tag protected|catalog|$B snapshots --host $HOST_B --tag protected"
  "allx|backup-tui snapshots --stack $X --all|catalog|$B snapshots --stack $X --all"
  "json|backup-tui --json snapshots --all (every snapshot)|catalog|$B --json snapshots --all"
  "find|backup-tui find 'needle*' --stack $X (indexed)|catalog|$B find 'needle*' --stack $X"
  "rfind|restic find 'needle*' --tag stack:$X|restic|restic find 'needle*' --tag stack:$X"
  "ls|backup-tui ls latest /srv/$X --stack $X|catalog|$B ls latest /srv/$X --stack $X"
  "refresh|backup-tui snapshots --refresh (nothing new)|cli|$B snapshots --refresh"
  "rall|restic snapshots --json (what --refresh runs)|restic|restic snapshots --json"
)

# Sanity: every command once, untimed, must exit 0; what it returned becomes the "rows" column.
declare -A COUNT
for row in "${ROWS[@]}"; do
  IFS='|' read -r id label kind cmd <<<"$row"
  case $id in
    startup) must "$label" $cmd >/dev/null; COUNT[$id]=- ;;
    list|since|range|default|tag|allx)
      COUNT[$id]=$(must "$label" $B --json ${cmd#"$B "} | jq '.snapshots | length') ;;
    json) COUNT[$id]=$(must "$label" $cmd | jq '.snapshots | length') ;;
    find) COUNT[$id]=$(must "$label" $B --json find 'needle*' --stack "$X" | jq '.matches | length') ;;
    ls) COUNT[$id]=$(must "$label" $B --json ls latest "/srv/$X" --stack "$X" | jq '.entries | length') ;;
    rlist|rall) COUNT[$id]=$(must "$label" $cmd | jq length) ;;
    rfind) COUNT[$id]=$(must "$label" restic find 'needle*' --tag "stack:$X" | grep -c 'needle-' || true) ;;
    refresh) must "$label" $cmd >/dev/null; COUNT[$id]=$NSNAP ;;
  esac
done
((COUNT[list] > 0)) || die "backup-tui snapshots --stack $X listed nothing"
((COUNT[since] > 0)) || die "backup-tui snapshots --since listed nothing"
((COUNT[find] > 0)) || die "backup-tui find found no needle in stack $X"
((COUNT[rfind] > 0)) || die "restic find found no needle in stack $X"
[[ ${COUNT[json]} == "$NSNAP" ]] || die "--all listed ${COUNT[json]} of $NSNAP snapshots"
[[ ${COUNT[rlist]} == $((NSNAP / NSTACKS)) ]] || die "restic listed ${COUNT[rlist]} snapshots of $X, expected $((NSNAP / NSTACKS))"

declare -A MEAN MIN MAX SD RUNS CPU
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for row in "${ROWS[@]}"; do
  IFS='|' read -r id label kind cmd <<<"$row"
  if [[ $kind == restic || $id == refresh ]]; then w=$SLOW_WARMUP r=$SLOW_RUNS; else w=$FAST_WARMUP r=$FAST_RUNS; fi
  log "hyperfine: $label (warmup $w, runs $r)"
  if ! hyperfine -N --style basic --warmup "$w" --runs "$r" --export-json "$WORK/$id.json" -n "$label" "$cmd" >&2; then
    die "measured command failed: $cmd"
  fi
  read -r MEAN[$id] MIN[$id] MAX[$id] SD[$id] RUNS[$id] CPU[$id] < <(jq -r '.results[0] | "\(.mean) \(.min) \(.max) \(.stddev // 0) \(.times | length) \(.user + .system)"' "$WORK/$id.json")
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
f() { printf '%.3f' "$1"; }
pct() { printf '%.1f' "$(echo "scale=3; 100 * $1 / $2" | bc)"; }
verdict() { if (($(echo "$1 < $TARGET" | bc))); then echo "ok"; else echo "MISSED"; fi; }
echo
echo "## Snapshot catalog vs restic ($MODE)"
echo
echo "Repository: $NSNAP snapshots ($NSTACKS stacks x 2 hosts, 6-hourly, newest $NEWEST) at $FIX; built in $(printf '%.0f' "$BUILD_SECONDS") s ($(jq -r '"\(.phases.backups.count) restic backups \(.phases.backups.seconds | floor) s, \(.phases.rewrite_times.count) restic rewrite --new-time \(.phases.rewrite_times.seconds | floor) s, tag/check \((.phases.untag + .phases.verify + .phases.rewrite_host) | floor) s"' "$META"))."
echo "backup-tui $("$BIN" --version), $(restic version | cut -d' ' -f1-2), hyperfine $(hyperfine --version | cut -d' ' -f2), $(nproc) cores. Stack X = $X; 7d/14d/21d are counted back from the newest snapshot."
echo
echo "| benchmark | rows | mean (s) | min (s) | max (s) | σ (s) | σ/mean | CPU (s) | runs | target < $TARGET s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
maxnoise=0
for row in "${ROWS[@]}"; do
  IFS='|' read -r id label kind cmd <<<"$row"
  noise=$(pct "${SD[$id]}" "${MEAN[$id]}")
  if (($(echo "$noise > $maxnoise" | bc))); then maxnoise=$noise; fi
  tgt=-
  [[ $kind == catalog ]] && tgt=$(verdict "${MEAN[$id]}")
  echo "| \`$label\` | ${COUNT[$id]} | $(f "${MEAN[$id]}") | $(f "${MIN[$id]}") | $(f "${MAX[$id]}") | $(f "${SD[$id]}") | $noise% | $(f "${CPU[$id]}") | ${RUNS[$id]} | $tgt |"
done
echo
echo "Untimed, once: first \`snapshots --refresh\` into an empty catalog (restic cache empty too) $(f "$REFRESH_FIRST") s; first \`find 'needle*' --stack $X\` (indexes $(jq -r '.searched' < <("$B" --json find 'needle*' --stack "$X")) snapshot trees with restic ls) $(f "$FIND_FIRST") s."
echo "Speed-up, catalog vs restic: listing $(printf '%.1f' "$(echo "scale=3; ${MEAN[rlist]} / ${MEAN[list]}" | bc)")x, find $(printf '%.1f' "$(echo "scale=3; ${MEAN[rfind]} / ${MEAN[find]}" | bc)")x (restic find searches all ${COUNT[rlist]} snapshots of $X, backup-tui the newest 3 per stack)."
echo "Noise: σ/mean up to $maxnoise%; load average $LOAD_BEFORE before the measurements, $LOAD_AFTER after ($(nproc) cores; CPU = user + system of the process tree, mean, less sensitive to other load than wall time). Start-up floor $(f "${MEAN[startup]}") s of every backup-tui figure."
missed=()
for row in "${ROWS[@]}"; do
  IFS='|' read -r id label kind cmd <<<"$row"
  if [[ $kind == catalog && $(verdict "${MEAN[$id]}") == MISSED ]]; then missed+=("$label $(f "${MEAN[$id]}") s"); fi
done
if ((${#missed[@]})); then
  echo "Target < $TARGET s missed: $(IFS=';'; echo "${missed[*]}" | sed 's/;/; /g')."
else
  echo "Target < $TARGET s met by every catalog figure."
fi
log "done"
