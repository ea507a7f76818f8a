"""JSON log lines: the message, level and logger, and the exception a record carries."""

from __future__ import annotations

import json
import logging
import sys

from rtc_server.observability.logs import JsonFormatter


def test_json_log_lines_carry_the_exception() -> None:
    try:
        raise ValueError("bad things")
    except ValueError:
        record = logging.LogRecord(
            "rtc.test", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["message"] == "failed x" and line["level"] == "ERROR" and line["logger"] == "rtc.test"
    )
    assert "ValueError: bad things" in line["exception"]
    assert "session" not in line  # outside any session
