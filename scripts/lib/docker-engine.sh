# shellcheck shell=bash
# A Docker engine that answers, decided from what answers rather than from what is on
# PATH. Sourced by scripts/quickstart.sh and scripts/setup-test-env.sh, so both behave
# the same; `backup-tui doctor` says the same sentences for the same situations
# (src/docker/engine-words.ts, src/docker/engine-facts.ts; test/unit/docker/engine-detect.test.ts
# holds them equal).
#
#   engine_ensure     the engine answers (return 0), or one sentence says why not (return 1):
#                     1. `docker version` answers: use it, start and install nothing;
#                     2. DOCKER_HOST set, or a docker context other than "default": that
#                        engine does not answer; it is never overridden;
#                     3. the socket is there but this user may not use it;
#                     4. a dockerd runs but does not answer yet: wait for it;
#                     5. systemd is PID 1 and docker.service exists: systemctl start it;
#                     6. a dockerd binary: start it detached, its output in $ENGINE_LOG;
#                     7. no engine binary at all: install docker.io (docker-ce beside a
#                        docker-ce-cli, which docker.io conflicts with), then 5 or 6.
#   engine_diagnose   sets ENGINE_SITUATION=(kind args...) from the host (no side effects)
#   engine_words      KIND ARGS...: prints the detail line, then the hint line
#
# Set by the caller (all optional):
#   ENGINE_LOG      where a dockerd started here writes      (default /var/log/dockerd.log)
#   ENGINE_PIDFILE  where to record the pid of a dockerd started here (default: not recorded)
# For tests only:
#   BACKUP_TUI_ENGINE_ROOT    prefixes /proc, /run, /var/run, /usr/sbin... (default: none)
#   BACKUP_TUI_ENGINE_WAIT_S  how long a started engine may take to answer (default 60)

ENGINE_ROOT=${BACKUP_TUI_ENGINE_ROOT:-}
ENGINE_WAIT_S=${BACKUP_TUI_ENGINE_WAIT_S:-60}
ENGINE_LOG=${ENGINE_LOG:-/var/log/dockerd.log}
ENGINE_PIDFILE=${ENGINE_PIDFILE:-}
ENGINE_DEFAULT_HOST=unix:///var/run/docker.sock
ENGINE_SITUATION=()

# The sentences: the same as engineWords() in src/docker/engine-words.ts.
engine_words() {
  local d h
  case $1 in
    ok) d="Docker $2, API $3 at $4" h="" ;;
    host-down)
      d="the Docker engine at DOCKER_HOST=$2 does not answer"
      h="DOCKER_HOST is set, so only that engine is used (none is started or installed here): start it, or unset DOCKER_HOST to use a local one." ;;
    context-down)
      d="the Docker engine of the docker context \"$2\" does not answer"
      h="That context is in use, so only its engine is used (none is started or installed here): start it, or run \`docker context use default\`." ;;
    permission-denied)
      d="permission denied on $2: this user may not use the Docker engine"
      h="Run as root, or add this user to the docker group (usermod -aG docker USER) and log in again." ;;
    dockerd-hung)
      d="dockerd is running (pid $2) but does not answer at $3"
      h="Read its log (journalctl -u docker.service, or the file it writes to), then restart it." ;;
    unit-stopped) d="the Docker engine is installed (docker.service) but not running" h="Start it: systemctl start docker.service" ;;
    dockerd-stopped)
      d="the Docker engine is installed ($2) but not running"
      h="Start it as root, detached with a log file: setsid $2 </dev/null >>/var/log/dockerd.log 2>&1 &" ;;
    no-engine)
      d="no Docker engine is installed: no dockerd on PATH, no docker.service"
      h="Install one (Debian/Ubuntu: apt-get install docker.io), or set DOCKER_HOST to an engine elsewhere." ;;
    start-failed) d="$2 was started but did not come up" h="Read $3 for why." ;;
    no-client) d="the docker command is not installed, though a Docker engine is" h="Install the docker client (Debian/Ubuntu: apt-get install docker.io)." ;;
    no-installer)
      d="no Docker engine is installed, and there is no apt-get here to install $2"
      h="Install a Docker engine (https://docs.docker.com/engine/install/), or set DOCKER_HOST to an engine elsewhere." ;;
    install-needs-root) d="no Docker engine is installed, and installing $2 needs root" h="Run as root, or install $2 yourself." ;;
    install-failed) d="apt-get could not install $2" h="Read apt-get's messages above; fix the package sources and run again." ;;
    *) d="unknown engine situation: $1" h="" ;;
  esac
  printf '%s\n%s\n' "$d" "$h"
}

engine_say() { printf '==> %s\n' "$*"; }

# Prints a situation as an error (detail, then hint) on stderr; returns 1.
engine_fail() {
  local w
  w=$(engine_words "$@")
  printf 'error: %s\n' "${w%%$'\n'*}" >&2
  [ -z "${w#*$'\n'}" ] || printf 'hint: %s\n' "${w#*$'\n'}" >&2
  return 1
}

engine_is_root() { [ "$(id -u)" = 0 ]; }

# "VERSION API" of the engine the docker CLI reaches, or failure.
engine_version() { timeout 15 docker version --format '{{.Server.Version}} {{.Server.APIVersion}}' 2>/dev/null; }
engine_answers() { engine_version >/dev/null; }

engine_context() {
  local name=${DOCKER_CONTEXT:-} file
  if [ -z "$name" ]; then
    file=${DOCKER_CONFIG:-${HOME:-~}/.docker}/config.json
    name=$(sed -n 's/.*"currentContext"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$file" 2>/dev/null | head -n1)
  fi
  [ -n "$name" ] && [ "$name" != default ] && printf '%s\n' "$name"
  return 0
}

engine_dockerd_pid() {
  local d
  for d in "$ENGINE_ROOT"/proc/[0-9]*; do
    if [ "$(cat "$d/comm" 2>/dev/null)" = dockerd ]; then
      printf '%s\n' "${d##*/}"
      return 0
    fi
  done
}

engine_systemd_unit() {
  local d
  [ -d "$ENGINE_ROOT/run/systemd/system" ] || return 1
  for d in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
    [ -e "$ENGINE_ROOT$d/docker.service" ] && return 0
  done
  return 1
}

engine_dockerd_binary() {
  local d
  if command -v dockerd 2>/dev/null; then return 0; fi
  for d in /usr/local/sbin /usr/sbin /sbin; do
    if [ -f "$ENGINE_ROOT$d/dockerd" ] && [ -x "$ENGINE_ROOT$d/dockerd" ]; then
      printf '%s\n' "$ENGINE_ROOT$d/dockerd"
      return 0
    fi
  done
  return 1
}

# Why no engine answers, most specific first: the order of diagnoseEngine() in src/docker/engine-facts.ts.
engine_diagnose() {
  local v socket=$ENGINE_ROOT/var/run/docker.sock
  if [ -n "${DOCKER_HOST:-}" ]; then ENGINE_SITUATION=(host-down "$DOCKER_HOST")
  elif v=$(engine_context) && [ -n "$v" ]; then ENGINE_SITUATION=(context-down "$v")
  elif [ -e "$socket" ] && [ ! -w "$socket" ]; then ENGINE_SITUATION=(permission-denied "$socket")
  elif v=$(engine_dockerd_pid) && [ -n "$v" ]; then ENGINE_SITUATION=(dockerd-hung "$v" "$ENGINE_DEFAULT_HOST")
  elif engine_systemd_unit; then ENGINE_SITUATION=(unit-stopped)
  elif v=$(engine_dockerd_binary); then ENGINE_SITUATION=(dockerd-stopped "$v")
  else ENGINE_SITUATION=(no-engine)
  fi
}

# Waits up to ENGINE_WAIT_S for an answer; gives up early when process $1 (if given) exits.
engine_wait() {
  local i
  for ((i = 0; i < ENGINE_WAIT_S; i++)); do
    engine_answers && return 0
    if [ -n "${1:-}" ] && ! kill -0 "$1" 2>/dev/null; then
      engine_answers
      return
    fi
    sleep 1
  done
  engine_answers
}

# Starts dockerd [ARGS] detached: its own session, stdin /dev/null, output to ENGINE_LOG,
# none of the caller's file descriptors (locks, pipes). Stops it again if it never answers.
engine_start_dockerd() {
  local dockerd=$1 launcher pid
  shift
  engine_say "starting dockerd (log: $ENGINE_LOG)"
  mkdir -p "$(dirname "$ENGINE_LOG")"
  (
    cd /
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$dockerd" "$@" </dev/null >>"$ENGINE_LOG" 2>&1
  ) &
  launcher=$! # no job control here, so setsid does not fork: this is dockerd's pid
  if engine_wait "$launcher"; then
    pid=$(cat "$ENGINE_ROOT/var/run/docker.pid" 2>/dev/null || echo "$launcher")
    if [ -n "$ENGINE_PIDFILE" ]; then echo "$pid" >"$ENGINE_PIDFILE"; fi
    return 0
  fi
  if kill -0 "$launcher" 2>/dev/null; then
    kill "$launcher" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.5; done
  fi
  return 1
}

engine_start_binary() {
  local dockerd=$1 log_size
  engine_is_root || { engine_fail dockerd-stopped "$dockerd"; return 1; }
  log_size=$(stat -c %s "$ENGINE_LOG" 2>/dev/null || echo 0)
  engine_start_dockerd "$dockerd" && return 0
  # A kernel without working netfilter makes dockerd fail at its iptables setup;
  # a host that needs no NAT can run without it.
  if tail -c +"$((log_size + 1))" "$ENGINE_LOG" 2>/dev/null | grep -qi iptables; then
    printf 'WARNING: dockerd failed at its iptables setup; retrying with --iptables=false\n' >&2
    engine_start_dockerd "$dockerd" --iptables=false && return 0
  fi
  tail -n 20 "$ENGINE_LOG" >&2 2>/dev/null || true
  engine_fail start-failed dockerd "$ENGINE_LOG"
}

engine_start_unit() {
  engine_is_root || { engine_fail unit-stopped; return 1; }
  engine_say "starting docker.service"
  if systemctl start docker.service && engine_wait; then return 0; fi
  engine_fail start-failed docker.service "journalctl -u docker.service"
}

# The package that brings an engine: Debian's docker.io, or docker-ce beside Docker's own CLI.
engine_package() {
  if [ "$(dpkg-query -W -f='${db:Status-Status}' docker-ce-cli 2>/dev/null)" = installed ]; then echo docker-ce; else echo docker.io; fi
}

# Installs the engine package; its maintainer scripts may not start it (we do, our way).
engine_install() {
  local pkg policy=$ENGINE_ROOT/usr/sbin/policy-rc.d created=0 rc=0
  pkg=$(engine_package)
  command -v apt-get >/dev/null 2>&1 || { engine_fail no-installer "$pkg"; return 1; }
  engine_is_root || { engine_fail install-needs-root "$pkg"; return 1; }
  engine_say "installing $pkg (no Docker engine is installed)"
  if [ ! -e "$policy" ]; then
    mkdir -p "$(dirname "$policy")"
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created=1
  fi
  local apt=(apt-get -q -y -o DPkg::Lock::Timeout=300 -o APT::Install-Recommends=false)
  # Lists are read only when the install cannot find the package (a fresh image has none).
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$pkg" ||
    { DEBIAN_FRONTEND=noninteractive "${apt[@]}" update && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$pkg"; } || rc=1
  if [ "$created" = 1 ]; then rm -f "$policy"; fi
  [ "$rc" = 0 ] || { engine_fail install-failed "$pkg"; return 1; }
  hash -r
}

engine_ok() {
  local v
  v=$(engine_version) || return 1
  engine_say "$(engine_words ok "${v% *}" "${v#* }" "${DOCKER_HOST:-$ENGINE_DEFAULT_HOST}" | head -n1)"
}

engine_ensure() {
  local installed=0 _
  if ! command -v docker >/dev/null 2>&1; then
    engine_diagnose
    case ${ENGINE_SITUATION[0]} in
      no-engine) engine_install || return 1; installed=1 ;;
      host-down | context-down) ;; # the docker command could not reach it either: said below
      *) engine_fail no-client; return 1 ;;
    esac
  fi
  # At most: install, start, answer.
  for _ in 1 2 3 4; do
    engine_ok && return 0
    engine_diagnose
    case ${ENGINE_SITUATION[0]} in
      host-down | context-down | permission-denied) break ;;
      dockerd-hung)
        engine_say "dockerd (pid ${ENGINE_SITUATION[1]}) runs: waiting for it to answer"
        engine_wait || break ;;
      unit-stopped) engine_start_unit || return 1 ;;
      dockerd-stopped) engine_start_binary "${ENGINE_SITUATION[1]}" || return 1 ;;
      no-engine)
        [ "$installed" = 0 ] || break
        engine_install || return 1
        installed=1 ;;
    esac
  done
  engine_ok && return 0
  engine_fail "${ENGINE_SITUATION[@]}"
}
