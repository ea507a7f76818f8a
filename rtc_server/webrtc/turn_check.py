"""Whether a TURN server gives an allocation, and if not, why.

aioice drops the error when a TURN allocation fails during candidate gathering: the server is
left with no relay candidate and no reason. Asking the TURN server once more, ourselves, names
the cause (credentials refused, unreachable) for the participant and the operator.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass

from aioice import stun
from aioice.turn import create_turn_endpoint
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcicetransport import connection_kwargs

from rtc_server.observability import metrics

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0
REFUSAL_CODES = frozenset({401, 403, 437, 441})  # unauthorized, forbidden, mismatch, wrong creds


class TurnProblem(enum.Enum):
    REFUSED = "turn_refused"
    UNREACHABLE = "turn_unreachable"
    FAILED = "turn_failed"


@dataclass(frozen=True)
class TurnTrouble:
    problem: TurnProblem
    detail: str

    def describe(self) -> str:
        if self.problem is TurnProblem.REFUSED:
            return f"the TURN server refused the server's credentials ({self.detail})"
        if self.problem is TurnProblem.UNREACHABLE:
            return f"the TURN server did not answer ({self.detail})"
        return f"the TURN server gave no relay address ({self.detail})"


async def check_turn(
    configuration: RTCConfiguration, timeout_s: float = CHECK_TIMEOUT_S
) -> TurnTrouble | None:
    """Allocate on the configuration's TURN server and release at once; None when it works
    (or there is no TURN server)."""
    servers: list[RTCIceServer] = configuration.iceServers or []
    options = connection_kwargs(servers)
    if "turn_server" not in options:
        return None
    try:
        transport, _ = await asyncio.wait_for(
            create_turn_endpoint(
                asyncio.DatagramProtocol,
                server_addr=options["turn_server"],
                username=options.get("turn_username"),
                password=options.get("turn_password"),
                ssl=options.get("turn_ssl", False),
                transport=options.get("turn_transport", "udp"),
            ),
            timeout_s,
        )
    except stun.TransactionFailed as error:
        code = error.response.error_code
        problem = TurnProblem.REFUSED if code in REFUSAL_CODES else TurnProblem.FAILED
        return _found(problem, str(error))
    except (TimeoutError, stun.TransactionTimeout):
        return _found(TurnProblem.UNREACHABLE, f"no answer within {timeout_s:g} s")
    except OSError as error:
        return _found(TurnProblem.UNREACHABLE, str(error))
    transport.close()
    return None


def _found(problem: TurnProblem, detail: str) -> TurnTrouble:
    metrics.TURN_PROBLEMS.labels(problem.value).inc()
    trouble = TurnTrouble(problem, detail)
    log.warning(
        "TURN: %s; check RTC_TURN_URLS, RTC_SERVER_TURN_URLS and RTC_TURN_SECRET",
        trouble.describe(),
    )
    return trouble
