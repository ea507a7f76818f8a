"""Offer host candidates only on chosen addresses (a multi-homed server, or loopback).

aioice has no option for this, so its address lookup is replaced process-wide.
"""

from __future__ import annotations

import aioice.ice


def restrict_host_addresses(addresses: list[str]) -> None:
    if addresses:
        chosen = list(addresses)
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: chosen
