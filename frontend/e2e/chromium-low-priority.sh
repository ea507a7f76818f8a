#!/bin/sh
# The browsers in the tests stand in for participants' own computers, which in real use never
# take CPU from the server. Here they share its cores, so they run at a lower priority than the
# server under test. As root, Chromium would also raise its own audio, WebRTC and network threads
# to nice -8, which no user's browser may do: without CAP_SYS_NICE it cannot.
# CHROMIUM_GID (optional): the group it runs as, so that a test's firewall rule can cut this one
# browser off the network (iptables' owner match).
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ "$(id -u)" != 0 ]; then
  exec nice -n 10 "$CHROMIUM" "$@"
fi
if [ -n "$CHROMIUM_GID" ]; then
  set -- --regid="$CHROMIUM_GID" --clear-groups -- nice -n 10 "$CHROMIUM" "$@"
else
  set -- -- nice -n 10 "$CHROMIUM" "$@"
fi
exec setpriv --bounding-set=-sys_nice "$@"
