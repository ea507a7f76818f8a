"""Per-connection message rates: a token bucket's burst and refill."""

from __future__ import annotations

from rtc_server.access.limits import TokenBucket


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5  # one message's worth
    assert [bucket.take() for _ in range(2)] == [True, False]
    now[0] += 100  # refills to the burst, not beyond
    assert sum(bucket.take() for _ in range(10)) == 3
