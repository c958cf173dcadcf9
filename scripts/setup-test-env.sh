#!/usr/bin/env bash
# Installs and starts what backup-tui's integration tests need on a Debian 12
# test machine (root, reaching only Debian's archive and the npm registry):
#
#   - bookworm packages: busybox-static, tmux, sqlite3, jq, psmisc, procps, curl,
#     mmdebstrap, uuid-runtime and Ceph's ceph-mon, ceph-osd, radosgw, ceph-common (a real S3
#     server for the tests: scripts/radosgw.sh) (required) and hyperfine, btrfs-progs (optional)
#   - a Docker engine that answers (scripts/lib/docker-engine.sh, as quickstart.sh):
#     the one that answers; else a stopped one started (docker.service, or dockerd in
#     the background); else docker.io installed and started; DOCKER_HOST never overridden
#   - restic (current, from sid) as /usr/local/bin/restic
#   - restic 0.14 (bookworm) side by side as /opt/restic-0.14/restic
#   - rclone (current, from sid) as /usr/local/bin/rclone
#   - Compose v2 as /usr/local/lib/docker/cli-plugins/docker-compose
#   - a local image local/busybox:latest made with `docker import`
#   - a local image local/db-test:latest (PostgreSQL 15, MariaDB 10.11) made with mmdebstrap
#
# Idempotent: every step is skipped when its result is already in place, so a
# second run takes seconds and changes nothing. Safe with no stdin (CI).
# The system's apt sources are never changed: newer suites are read through a
# private sources file and private lists under $STATE_DIR.
#
# scripts/stop-test-env.sh stops the dockerd that this script started.
#
# Environment (all optional):
#   BACKUP_TUI_TEST_ENV_STATE   state/cache dir   (default /var/cache/backup-tui-test-env)
#   BACKUP_TUI_TEST_ENV_REFRESH=1  re-fetch restic/rclone/compose from sid even if present
set -euo pipefail

STATE_DIR=${BACKUP_TUI_TEST_ENV_STATE:-/var/cache/backup-tui-test-env}
DOCKERD_LOG=/var/log/backup-tui-test-dockerd.log
DOCKERD_PIDFILE=/run/backup-tui-test-dockerd.pid
LOCK_FILE=/run/backup-tui-test-env.lock
APT_MAX_AGE_MIN=1440 # refresh apt lists older than a day

RESTIC_MIN=0.18.0   # "current" restic: sid carries 0.19.x, trixie 0.18.x
RCLONE_MIN=1.70.0   # "current" rclone: sid carries 1.7x
COMPOSE_MIN=2.0.0   # Compose v2
RESTIC_OLD_DIR=/opt/restic-0.14
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
BUSYBOX_IMAGE=local/busybox:latest
DB_IMAGE=local/db-test:latest # PostgreSQL 15 + MariaDB 10.11 from bookworm, for the dump tests

# Ceph (~93 packages, 64 MB download) gives the tests a real S3 server: scripts/radosgw.sh.
# Its packages start no daemon here (policy-rc.d below; no systemd on these machines).
CEPH_PKGS=(ceph-mon ceph-osd radosgw ceph-common)
REQUIRED_PKGS=(busybox-static tmux sqlite3 jq psmisc procps curl mmdebstrap uuid-runtime "${CEPH_PKGS[@]}")
OPTIONAL_PKGS=(hyperfine btrfs-progs)

export DEBIAN_FRONTEND=noninteractive
exec </dev/null

log() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"

START_TS=$(date +%s)
mkdir -p "$STATE_DIR"

# One run at a time (CI and a developer may both call us). fd 9 is closed
# before dockerd starts so the daemon never holds this lock.
exec 9>"$LOCK_FILE"
flock -w 900 9 || die "another setup-test-env.sh run holds $LOCK_FILE"

TMP=$(mktemp -d)
chmod 755 "$TMP" # apt-get download runs as _apt and must reach its folder
POLICY_RC_CREATED=0
cleanup() {
  rm -rf "$TMP"
  if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

# true when FILE is missing or older than APT_MAX_AGE_MIN minutes
stale() { [ ! -e "$1" ] || [ -n "$(find "$1" -mmin +"$APT_MAX_AGE_MIN" 2>/dev/null)" ]; }

version_ge() { [ -n "$1" ] && dpkg --compare-versions "$1" ge "$2"; }

APT_GET=(apt-get -q -y -o DPkg::Lock::Timeout=300 -o APT::Install-Recommends=false)

# ---------------------------------------------------------------------------
# 1. bookworm packages
# ---------------------------------------------------------------------------
SYS_APT_MARKER=$STATE_DIR/apt-update.stamp
SYS_APT_UPDATED=0
system_apt_update() {
  # $1=force: update even if the marker is fresh (a download/install failed)
  if [ "${1:-}" = force ] || stale "$SYS_APT_MARKER"; then
    if [ "$SYS_APT_UPDATED" = 1 ]; then return 0; fi
    log "apt-get update (system sources)"
    "${APT_GET[@]}" update
    touch "$SYS_APT_MARKER"
    SYS_APT_UPDATED=1
  fi
}

pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

apt_install() {
  # Never let a package's maintainer script start a service (dockerd is
  # started below, detached, on our terms). Most of these machines already
  # have a policy-rc.d that says so; add one only for this run if missing.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  "${APT_GET[@]}" install "$@"
}

missing_required=()
missing_optional=()
for p in "${REQUIRED_PKGS[@]}"; do pkg_installed "$p" || missing_required+=("$p"); done
for p in "${OPTIONAL_PKGS[@]}"; do pkg_installed "$p" || missing_optional+=("$p"); done

# An optional package that failed to install once is not retried for a day,
# so the second run stays fast.
OPT_FAIL_MARKER=$STATE_DIR/optional-failed.stamp
if [ ${#missing_required[@]} -eq 0 ] && [ ${#missing_optional[@]} -gt 0 ] && ! stale "$OPT_FAIL_MARKER"; then
  missing_optional=()
fi

if [ ${#missing_required[@]} -gt 0 ] || [ ${#missing_optional[@]} -gt 0 ]; then
  log "installing: ${missing_required[*]} ${missing_optional[*]}"
  system_apt_update
  if ! apt_install "${missing_required[@]}" "${missing_optional[@]}"; then
    if [ ${#missing_required[@]} -gt 0 ]; then
      # Try again with fresh lists (a stale list 404s), required ones first.
      system_apt_update force
      apt_install "${missing_required[@]}" || die "could not install ${missing_required[*]}"
    fi
    for p in "${missing_optional[@]}"; do
      apt_install "$p" || { warn "optional package $p not installed"; touch "$OPT_FAIL_MARKER"; }
    done
  fi
else
  log "bookworm packages already installed"
fi
[ -x /bin/busybox ] || die "/bin/busybox not found after installing busybox-static"
for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph uuidgen; do
  command -v "$b" >/dev/null || die "$b not found after installing ${CEPH_PKGS[*]} uuid-runtime"
done

# ---------------------------------------------------------------------------
# 2. a Docker engine that answers: scripts/lib/docker-engine.sh, as in quickstart.sh
#    (an engine that answers is used; DOCKER_HOST is never overridden; a stopped one is
#    started; docker.io is installed only when no engine is). A dockerd started here is
#    recorded in $DOCKERD_PIDFILE for scripts/stop-test-env.sh.
# ---------------------------------------------------------------------------
ENGINE_LOG=$DOCKERD_LOG
ENGINE_PIDFILE=$DOCKERD_PIDFILE
# shellcheck source=lib/docker-engine.sh
. "$(dirname "$0")/lib/docker-engine.sh"
engine_ensure || die "no Docker engine answers (see above)"

# ---------------------------------------------------------------------------
# 3. restic, rclone, Compose v2 from Debian's newer suites (private apt config)
# ---------------------------------------------------------------------------
restic_version() { "$1" version 2>/dev/null | sed -n 's/^restic \([0-9][0-9.]*\).*/\1/p' | head -n1; }
rclone_version() { "$1" version 2>/dev/null | sed -n 's/^rclone v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -n1; }
compose_version() { docker compose version --short 2>/dev/null | sed 's/^v//' | head -n1; }

# The mirror the system already uses for bookworm (deb822 or one-line format).
system_mirror() {
  local m="" line uris="" suites="" f
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: paragraphs separated by blank lines; take the URIs of the
    # paragraph whose Suites include plain "bookworm".
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        [Uu][Rr][Ii][Ss]:*) uris=${line#*:} ;;
        [Ss][Uu][Ii][Tt][Ee][Ss]:*) suites=" ${line#*:} " ;;
        "" | [[:space:]]*)
          if [ -z "${line//[[:space:]]/}" ]; then uris="" suites=""; fi
          continue ;;
      esac
      if [ -n "$uris" ] && [[ "$suites" =~ [[:space:]]bookworm[[:space:]] ]]; then
        read -r m _ <<<"$uris"
        break
      fi
    done </etc/apt/sources.list.d/debian.sources
  fi
  if [ -z "$m" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$f" ] || continue
      m=$(sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z]+:\/\/[^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' "$f" | head -n1)
      [ -z "$m" ] || break
    done
  fi
  [ -n "$m" ] || die "cannot find the system's Debian mirror in /etc/apt/sources.list.d/debian.sources"
  echo "${m%/}"
}

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SUITE_UPDATED=" "

# private apt-get for SUITE: own sources file, own lists, own cache; the
# system's sources, lists and caches are not touched
suite_apt_opts() {
  local d=$STATE_DIR/apt-$1
  printf '%s\n' -o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=- \
    -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o "Dir::Cache::Archives=$d/cache/archives" \
    -o DPkg::Lock::Timeout=300
}

# suite_update SUITE [force]: refresh the private lists (at most daily)
suite_update() {
  local suite=$1 d=$STATE_DIR/apt-$1 mirror opts
  case "$SUITE_UPDATED" in *" $suite "*) return 0 ;; esac
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  if stale "$d/lists.stamp" || [ "${2:-}" = force ]; then
    mirror=$(system_mirror)
    echo "deb [signed-by=$KEYRING] $mirror $suite main" >"$d/sources.list"
    mapfile -t opts < <(suite_apt_opts "$suite")
    log "apt-get update ($suite, private lists in $d)"
    if ! apt-get -q "${opts[@]}" update; then
      # The Release signature could not be checked with the system keyring
      # (say, a signing key newer than the machine's debian-archive-keyring).
      # Accept it unauthenticated for this private source only; the system's
      # own sources are untouched.
      warn "$suite: Release signature not verifiable with $KEYRING; using the private $suite list unauthenticated"
      echo "deb [trusted=yes] $mirror $suite main" >"$d/sources.list"
      apt-get -q "${opts[@]}" -o Acquire::AllowInsecureRepositories=true update ||
        { warn "apt-get update for $suite failed"; return 1; }
    fi
    touch "$d/lists.stamp"
  fi
  SUITE_UPDATED="$SUITE_UPDATED$suite "
}

# fetch_deb SUITE PKG: extracts PKG's .deb from SUITE into $TMP/PKG and prints
# its version (everything else goes to stderr)
fetch_deb() {
  local suite=$1 pkg=$2 opts dl=$TMP/dl-$1-$2 f
  {
    suite_update "$suite" || return 1
    mapfile -t opts < <(suite_apt_opts "$suite")
    mkdir -p "$dl"
    chown _apt:root "$dl" 2>/dev/null || true # apt downloads as _apt
    if ! (cd "$dl" && apt-get -q "${opts[@]}" download "$pkg"); then
      # outdated lists (the .deb moved on): refresh once and retry
      SUITE_UPDATED=${SUITE_UPDATED/ $suite / }
      suite_update "$suite" force || return 1
      (cd "$dl" && apt-get -q "${opts[@]}" download "$pkg") || return 1
    fi
    f=$(ls "$dl/${pkg}"_*.deb 2>/dev/null | head -n1)
    [ -n "$f" ] || return 1
    rm -rf "${TMP:?}/$pkg"
    dpkg-deb -x "$f" "$TMP/$pkg"
  } >&2
  dpkg-deb -f "$f" Version
}

# install_file SRC DEST: atomic replace of an executable
install_file() {
  local dest=$2
  mkdir -p "$(dirname "$dest")"
  install -m 0755 "$1" "$dest.new.$$"
  mv -f "$dest.new.$$" "$dest"
}

REFRESH=${BACKUP_TUI_TEST_ENV_REFRESH:-0}

# current restic
if [ "$REFRESH" != 1 ] && version_ge "$(restic_version /usr/local/bin/restic)" "$RESTIC_MIN"; then
  log "restic $(restic_version /usr/local/bin/restic) already at /usr/local/bin/restic"
else
  got=""
  for suite in sid trixie; do
    if v=$(fetch_deb "$suite" restic) && [ -x "$TMP/restic/usr/bin/restic" ]; then got=$v; break; fi
    warn "restic not fetched from $suite"
  done
  [ -n "$got" ] || die "could not fetch restic from sid or trixie"
  install_file "$TMP/restic/usr/bin/restic" /usr/local/bin/restic
  log "installed restic $got (deb) as /usr/local/bin/restic"
fi
v=$(restic_version /usr/local/bin/restic)
version_ge "$v" "$RESTIC_MIN" || die "/usr/local/bin/restic is '${v:-?}', want >= $RESTIC_MIN"

# current rclone
if [ "$REFRESH" != 1 ] && version_ge "$(rclone_version /usr/local/bin/rclone)" "$RCLONE_MIN"; then
  log "rclone $(rclone_version /usr/local/bin/rclone) already at /usr/local/bin/rclone"
else
  got=""
  for suite in sid trixie; do
    if v=$(fetch_deb "$suite" rclone) && [ -x "$TMP/rclone/usr/bin/rclone" ] &&
      version_ge "$(rclone_version "$TMP/rclone/usr/bin/rclone")" "$RCLONE_MIN"; then
      got=$v; break
    fi
    warn "no rclone >= $RCLONE_MIN from $suite"
  done
  [ -n "$got" ] || die "could not fetch rclone >= $RCLONE_MIN"
  install_file "$TMP/rclone/usr/bin/rclone" /usr/local/bin/rclone
  log "installed rclone $got (deb) as /usr/local/bin/rclone"
fi

# Compose v2 plugin
if [ "$REFRESH" != 1 ] && version_ge "$(compose_version)" "$COMPOSE_MIN"; then
  log "docker compose $(compose_version) already answers"
else
  got=""
  for suite in sid trixie; do
    if v=$(fetch_deb "$suite" docker-compose) && [ -x "$TMP/docker-compose/usr/libexec/docker/cli-plugins/docker-compose" ]; then
      got=$v; break
    fi
    warn "no Compose v2 plugin from $suite"
  done
  [ -n "$got" ] || die "could not fetch the Compose v2 plugin (docker-compose) from sid or trixie"
  install_file "$TMP/docker-compose/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN_DIR/docker-compose"
  log "installed docker-compose $got (deb) as $PLUGIN_DIR/docker-compose"
fi
v=$(compose_version)
version_ge "$v" "$COMPOSE_MIN" || die "'docker compose version' answers '${v:-nothing}', want >= $COMPOSE_MIN"

# restic 0.14 from bookworm, side by side (never into /usr/bin)
case "$(restic_version "$RESTIC_OLD_DIR/restic")" in
  0.14.*) log "restic $(restic_version "$RESTIC_OLD_DIR/restic") already at $RESTIC_OLD_DIR/restic" ;;
  *)
    dl=$TMP/dl-bookworm
    mkdir -p "$dl"
    chown _apt:root "$dl" 2>/dev/null || true
    system_apt_update
    if ! (cd "$dl" && apt-get -q -o DPkg::Lock::Timeout=300 download restic/bookworm); then
      system_apt_update force
      (cd "$dl" && apt-get -q -o DPkg::Lock::Timeout=300 download restic/bookworm) || die "could not download bookworm's restic"
    fi
    f=$(ls "$dl"/restic_*.deb | head -n1)
    dpkg-deb -x "$f" "$TMP/restic-old"
    install_file "$TMP/restic-old/usr/bin/restic" "$RESTIC_OLD_DIR/restic"
    log "installed restic $(dpkg-deb -f "$f" Version) (bookworm) as $RESTIC_OLD_DIR/restic"
    ;;
esac
case "$(restic_version "$RESTIC_OLD_DIR/restic")" in
  0.14.*) ;;
  *) die "$RESTIC_OLD_DIR/restic is not restic 0.14" ;;
esac

# ---------------------------------------------------------------------------
# 4. local/busybox:latest
# ---------------------------------------------------------------------------
if docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
  log "image $BUSYBOX_IMAGE already present"
else
  log "building $BUSYBOX_IMAGE from busybox-static"
  root=$TMP/busybox-root
  mkdir -p "$root"/{bin,etc,tmp,root,var/tmp,usr/bin,proc,sys,dev}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  # `busybox --install -s` semantics: a link for every applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  ln -sf ../../bin/env "$root/usr/bin/env"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  # sed reads to the end: `| head -n1` would close the pipe early and (pipefail) kill the script with 141.
  bb_version=$(/bin/busybox 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
  tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
    docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["sh"]' \
      -c "LABEL org.backup-tui.test-image=busybox org.backup-tui.busybox-version=${bb_version:-unknown}" \
      -m "busybox-static ${bb_version:-} for backup-tui tests" \
      - "$BUSYBOX_IMAGE" >/dev/null
  docker run --rm "$BUSYBOX_IMAGE" sh -c 'true' || die "$BUSYBOX_IMAGE does not run"
fi

# The database image: a bookworm root with postgresql and mariadb-server made by mmdebstrap
# (apt's parallel downloads: ~1 min; debootstrap fetches one package at a time, ~13 min here).
if docker image inspect "$DB_IMAGE" >/dev/null 2>&1; then
  log "image $DB_IMAGE already present"
else
  log "building $DB_IMAGE (postgresql, mariadb-server) with mmdebstrap"
  mmdebstrap --quiet --variant=minbase --include=postgresql,mariadb-server \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$TMP/db-root.tar" "$(system_mirror)" </dev/null || die "mmdebstrap could not build the database root"
  docker import \
    -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["sh"]' \
    -c "LABEL org.backup-tui.test-image=db" \
    "$TMP/db-root.tar" "$DB_IMAGE" >/dev/null
  rm -f "$TMP/db-root.tar"
  docker run --rm "$DB_IMAGE" sh -c 'command -v pg_dumpall && command -v mariadb-dump' >/dev/null || die "$DB_IMAGE lacks pg_dumpall or mariadb-dump"
fi

# ---------------------------------------------------------------------------
# 5. summary
# ---------------------------------------------------------------------------
first() { "$@" 2>/dev/null | head -n1 || true; }
echo
echo "backup-tui test environment ready ($(($(date +%s) - START_TS))s):"
printf '  %-22s %s\n' \
  "docker client" "$(docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?')" \
  "docker daemon" "$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?') ($(docker info --format '{{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null || echo '?'))" \
  "docker compose" "$(compose_version)" \
  "restic" "$(restic_version /usr/local/bin/restic) (/usr/local/bin/restic)" \
  "restic (oldest)" "$(restic_version "$RESTIC_OLD_DIR/restic") ($RESTIC_OLD_DIR/restic)" \
  "rclone" "$(rclone_version /usr/local/bin/rclone) (/usr/local/bin/rclone)" \
  "busybox image" "$BUSYBOX_IMAGE $(docker image inspect -f '{{.Id}}' "$BUSYBOX_IMAGE" 2>/dev/null | cut -c1-19)" \
  "database image" "$DB_IMAGE $(docker image inspect -f '{{.Id}}' "$DB_IMAGE" 2>/dev/null | cut -c1-19)" \
  "tmux" "$(first tmux -V)" \
  "sqlite3" "$(first sqlite3 --version | cut -d' ' -f1)" \
  "jq" "$(first jq --version)" \
  "radosgw (S3)" "$(first radosgw --version | awk '{print $3}') (scripts/radosgw.sh)" \
  "hyperfine" "$(first hyperfine --version || echo 'not installed')" \
  "dockerd started by us" "$(if [ -s "$DOCKERD_PIDFILE" ]; then echo "pid $(cat "$DOCKERD_PIDFILE") (stop: scripts/stop-test-env.sh)"; else echo no; fi)"
