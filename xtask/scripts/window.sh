#!/usr/bin/env bash
# Runs the app on the (virtual) display this script was started on. With DEALDESK_SCREENSHOT set,
# waits for the window, saves a screenshot of the screen there, and quits.
set -u
app="$1"; shift
"$app" "$@" &
pid=$!
if [ -z "${DEALDESK_SCREENSHOT:-}" ]; then
  wait "$pid"
  exit $?
fi
sleep "${DEALDESK_SCREENSHOT_DELAY:-6}"
import -window root "$DEALDESK_SCREENSHOT"
status=$?
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit $status
