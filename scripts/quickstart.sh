#!/usr/bin/env bash
# One command from a fresh clone to a first backup on the embedded default:
#   installs what is missing (Debian/Ubuntu: restic, rclone, a Docker engine and
#   Compose — only where none is present; scripts/lib/docker-engine.sh decides about the
#   engine from what answers), builds bin/backup-tui when a source changed, starts a small
#   demo stack, enables ONLY that stack, backs it up into a local repository under
#   the state directory, lists the snapshots, and prints the time it took and the next
#   commands to run. No other stack is ever stopped. A second run installs and builds nothing: seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO_DIR=${BACKUP_TUI_DEMO_DIR:-$ROOT/.demo/hello}
log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
exec </dev/null
START_TS=$(date +%s)

# 1. restic and rclone, only the missing ones.
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "please install: $* (no apt-get here)"
  [ "$(id -u)" -eq 0 ] || die "installing $* needs root: run as root, or install them yourself"
  log "installing $*"
  if [ "$APT_UPDATED" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
need=()
command -v restic >/dev/null || need+=(restic)
command -v rclone >/dev/null || need+=(rclone)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# 2. A Docker engine that answers (scripts/lib/docker-engine.sh: the one that answers,
#    else one that can be started, else docker.io installed; never another one than
#    DOCKER_HOST's), then Compose (the v2 plugin, or v1).
log "the Docker engine"
ENGINE_LOG=/var/log/dockerd.log ENGINE_PIDFILE="" # a dockerd started here is the user's: stop-test-env.sh leaves it
# shellcheck source=lib/docker-engine.sh
. "$ROOT/scripts/lib/docker-engine.sh"
engine_ensure || exit 1
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || apt_install docker-compose
compose() { if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi; }

# 3. The executable, rebuilt only when a source is newer than it.
[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund --loglevel=error
inputs=(src scripts/build.mjs package.json package-lock.json)
[ -e node_modules/.package-lock.json ] && inputs+=(node_modules/.package-lock.json)
if [ -x bin/backup-tui ] && [ -z "$(find -L "${inputs[@]}" -newer bin/backup-tui -print -quit 2>/dev/null)" ]; then
  log "bin/backup-tui is up to date"
else
  log "building bin/backup-tui"
  npm run --silent build
fi

# 4. A demo stack: one service writing into a named volume. Its image is made
#    locally from busybox-static when Docker Hub cannot be reached.
IMAGE=busybox:latest
if ! docker image inspect "$IMAGE" >/dev/null 2>&1 && ! docker pull -q "$IMAGE" >/dev/null 2>&1; then
  IMAGE=local/busybox:latest
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    [ -x /bin/busybox ] || { [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null; } || die "no busybox image and no busybox-static"
    rootfs=$(mktemp -d); mkdir -p "$rootfs/bin" "$rootfs/tmp"; cp /bin/busybox "$rootfs/bin/"
    for a in $(/bin/busybox --list); do [ -e "$rootfs/bin/$a" ] || ln -s busybox "$rootfs/bin/$a"; done
    tar -C "$rootfs" -c . | docker import -q -c 'ENV PATH=/bin' - "$IMAGE" >/dev/null; rm -rf "$rootfs"
  fi
fi
log "starting the demo stack in $DEMO_DIR"
mkdir -p "$DEMO_DIR"
cat >"$DEMO_DIR/compose.yaml" <<YAML
services:
  app:
    image: $IMAGE
    # 'sleep & wait' so the TERM trap runs at once: the stack stops in milliseconds.
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do date >> /data/clock.log; sleep 5 & wait \$\$!; done"]
    volumes: ["data:/data"]
volumes:
  data: {}
YAML
echo "GREETING=hello" >"$DEMO_DIR/.env"
(cd "$DEMO_DIR" && compose up -d)

# 5. The main job, on the embedded default (no config file) unless BACKUP_TUI_CONFIG
#    names one: enable the demo stack only, back it up, list the snapshots.
BT=("$ROOT/bin/backup-tui")
cfg=${BACKUP_TUI_CONFIG:-${BACKUP_CONFIG:-}}
[ -z "$cfg" ] || BT+=(--config "$(realpath -m "$cfg")")
stack=$(basename "$DEMO_DIR")
log "backup-tui dirlist enable $stack"
"${BT[@]}" dirlist enable "$stack"
log "backup-tui backup"
"${BT[@]}" backup
log "backup-tui snapshots"
"${BT[@]}" snapshots

# 6. What to run next, pasteable: the same config, state directory and engine as above.
prefix=""
for v in BACKUP_TUI_STATE_DIR XDG_STATE_HOME DOCKER_HOST; do
  [ -z "${!v:-}" ] || prefix+="$v=$(printf '%q' "${!v}") "
done
cmd() { local q; q=$(printf '%q ' "${BT[@]}" "$@"); printf '%s%s' "$prefix" "${q% }"; }
log "quickstart done in $(( $(date +%s) - START_TS )) s. Next:"
printf '  %s\n      %s\n' \
  "$(cmd)" "the TUI: stacks, snapshots, restore, schedules" \
  "$(cmd status)" "the last backup of each stack, and what is due" \
  "$(cmd schedule install --systemd)" "the scheduled jobs as systemd timers"
if "${BT[@]}" --json schedule list 2>/dev/null | grep -q '"jobs":\[\]'; then
  printf '      (none is configured yet: the embedded default has no [schedule]. First run\n       %s\n       and set BACKUP=0 3 * * * under [schedule] in the config.ini it writes.)\n' "$(cmd init)"
fi
printf '\nRemove the demo with: (cd %q && docker compose down -v)\n' "$DEMO_DIR"
