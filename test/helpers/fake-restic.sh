#!/bin/sh
# Fault injection: delegates to the real restic, except when the arguments contain
# $FAKE_RESTIC_HANG_ON: then it writes its pid to $FAKE_RESTIC_MARKER and hangs
# (ignoring TERM when $FAKE_RESTIC_IGNORE_TERM is set), or exits with $FAKE_RESTIC_EXIT.
if [ -n "$FAKE_RESTIC_HANG_ON" ]; then
  case " $* " in
    *"$FAKE_RESTIC_HANG_ON"*)
      echo $$ > "$FAKE_RESTIC_MARKER"
      if [ -n "$FAKE_RESTIC_EXIT" ]; then echo "fake restic: failing on purpose" >&2; exit "$FAKE_RESTIC_EXIT"; fi
      [ -n "$FAKE_RESTIC_IGNORE_TERM" ] && trap '' TERM INT
      while :; do sleep 1; done
      ;;
  esac
fi
exec "${REAL_RESTIC:-/usr/local/bin/restic}" "$@"
