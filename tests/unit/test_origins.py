"""Which Origin headers may open the signaling WebSocket."""

from __future__ import annotations

from rtc_server.access.origins import origin_allowed


def test_origin_rules() -> None:
    assert origin_allowed(None, "captions.example", [], open_mode=False)  # not a browser
    assert origin_allowed("https://captions.example", "captions.example", [], False)
    assert origin_allowed("http://captions.example:4200", "captions.example:4200", [], False)
    assert not origin_allowed("http://captions.example:4200", "captions.example", [], False)
    assert not origin_allowed("https://evil.example", "captions.example", [], False)
    assert not origin_allowed("http://localhost:4200", "captions.example", [], False)
    assert origin_allowed("http://localhost:4200", "captions.example", [], True)
    allowed = ["https://app.example", "http://localhost:4200"]
    assert origin_allowed("https://APP.example:443", "backend:5000", allowed, False)
    assert not origin_allowed("https://captions.example", "captions.example", allowed, False)
    assert origin_allowed("https://anything.example", "x", ["*"], False)
    assert not origin_allowed("null", "captions.example", [], True)
