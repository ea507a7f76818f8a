#!/bin/sh
# The browsers in the tests stand in for participants' own computers, which in real use never
# take CPU from the server. Here they share its cores, so they run at a lower priority than the
# server under test. As root, Chromium would also raise its own audio, WebRTC and network threads
# to nice -8, which no user's browser may do: without CAP_SYS_NICE it cannot.
if [ "$(id -u)" = 0 ]; then
  exec setpriv --bounding-set=-sys_nice -- nice -n 10 "${CHROMIUM:-/usr/bin/chromium}" "$@"
fi
exec nice -n 10 "${CHROMIUM:-/usr/bin/chromium}" "$@"
