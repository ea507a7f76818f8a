"""SDP adjustments that let aiortc's renegotiation offers through browsers."""

from __future__ import annotations

import re

EXTMAP = re.compile(r"^a=extmap:(\d+)(/\w+)? (\S+)(.*)$")
MAX_ONE_BYTE_ID = 14


def keep_extension_ids(offer: str, negotiated: dict[str, int]) -> str:
    """Give a renegotiation offer's RTP header extensions the ids negotiated before.

    aiortc offers its own default ids every time; Chromium rejects an offer that moves an
    extension to another id ("RTP extension ID reassignment not supported"). Extensions not
    negotiated before keep their id unless it is taken.
    """
    if not negotiated:
        return offer
    taken = set(negotiated.values())
    assigned = dict(negotiated)

    def id_for(uri: str, offered: int) -> int:
        if uri in assigned:
            return assigned[uri]
        chosen = offered
        free = iter(i for i in range(1, MAX_ONE_BYTE_ID + 1) if i not in taken)
        while chosen in taken:
            chosen = next(free)
        taken.add(chosen)
        assigned[uri] = chosen
        return chosen

    lines = []
    for line in offer.split("\r\n"):
        match = EXTMAP.match(line)
        if match:
            number, direction, uri, rest = match.groups()
            line = f"a=extmap:{id_for(uri, int(number))}{direction or ''} {uri}{rest}"
        lines.append(line)
    return "\r\n".join(lines)
