#!/usr/bin/env bash
# One command from a fresh clone to a first backup on the embedded default:
#   installs what is missing (Debian/Ubuntu: restic, rclone, a Docker engine and
#   Compose — only where none is present), builds bin/backup-tui, starts a small
#   demo stack, enables ONLY that stack, backs it up into a local repository under
#   the state directory, and lists the snapshots. No other stack is ever stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO_DIR=${BACKUP_TUI_DEMO_DIR:-$ROOT/.demo/hello}
log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
exec </dev/null

# 1. System tools, only the missing ones.
need=()
command -v restic >/dev/null || need+=(restic)
command -v rclone >/dev/null || need+=(rclone)
command -v dockerd >/dev/null || command -v docker >/dev/null || need+=(docker.io)
command -v docker >/dev/null && { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; } || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "please install: ${need[*]} (no apt-get here)"
  [ "$(id -u)" -eq 0 ] || die "installing ${need[*]} needs root: run as root, or install them yourself"
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! timeout 15 docker info >/dev/null 2>&1; then
  log "starting the Docker engine"
  if [ -d /run/systemd/system ]; then systemctl start docker
  else
    (cd / && exec setsid dockerd </dev/null >>/var/log/dockerd.log 2>&1) &
  fi
  for _ in $(seq 1 60); do timeout 5 docker info >/dev/null 2>&1 && break; sleep 1; done
  timeout 15 docker info >/dev/null 2>&1 || die "the Docker engine does not answer (see /var/log/dockerd.log)"
fi
compose() { if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi; }

# 2. The executable.
log "building bin/backup-tui"
[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent build

# 3. A demo stack: one service writing into a named volume. Its image is made
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

# 4. The main job, on the embedded default (no config file): enable the demo
#    stack only, back it up, list the snapshots.
BIN=$ROOT/bin/backup-tui
stack=$(basename "$DEMO_DIR")
log "backup-tui dirlist enable $stack"
"$BIN" dirlist enable "$stack"
log "backup-tui backup"
"$BIN" backup
log "backup-tui snapshots"
"$BIN" snapshots
log "done: try '$BIN stacks', '$BIN status', '$BIN --help'. Remove the demo with: (cd $DEMO_DIR && docker compose down -v)"
