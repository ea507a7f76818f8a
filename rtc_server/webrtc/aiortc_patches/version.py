"""The aiortc release every module of this package was written against."""

from __future__ import annotations

import aiortc

AIORTC_VERSION = "1.16."  # the series these workarounds were written and tested for


class AiortcChanged(RuntimeError):
    """aiortc no longer has an internal one of these workarounds relies on."""


def check_aiortc() -> None:
    if not aiortc.__version__.startswith(AIORTC_VERSION):
        raise AiortcChanged(
            f"rtc_server.webrtc.aiortc_patches was written for aiortc {AIORTC_VERSION}x, "
            f"found {aiortc.__version__}: review each workaround, then update AIORTC_VERSION"
        )
