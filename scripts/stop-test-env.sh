#!/usr/bin/env bash
# Stops the dockerd that scripts/setup-test-env.sh started (and only that one:
# a daemon that was already running when setup ran is left alone).
set -euo pipefail

PIDFILE=/run/backup-tui-test-dockerd.pid

pid=$(cat "$PIDFILE" 2>/dev/null || true)
if [ -z "$pid" ]; then
  echo "no dockerd started by setup-test-env.sh"
  exit 0
fi
if [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = dockerd ]; then
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    [ -d "/proc/$pid" ] || break
    sleep 0.5
  done
  if [ -d "/proc/$pid" ]; then
    echo "dockerd (pid $pid) still running after 30s; sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  echo "stopped dockerd (pid $pid)"
else
  echo "dockerd (pid $pid) was not running"
fi
rm -f "$PIDFILE"
