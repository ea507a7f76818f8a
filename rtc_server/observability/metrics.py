"""Process-wide Prometheus metrics, served at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# 2.5 s and 2 s are the service levels' limits (docs/deployment.md#service-levels).
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0)

SESSIONS = Gauge("rtc_sessions", "Open signaling sessions")
PEER_CONNECTIONS = Gauge("rtc_peer_connections", "Open aiortc peer connections")
TASKS = Gauge("rtc_asyncio_tasks", "Tasks alive on the server's event loop")
EVENT_LOOP_LAG = Histogram(
    "rtc_event_loop_lag_seconds",
    "How much later than scheduled the event loop ran a timer, sampled every 0.25 s",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
ROOMS = Gauge("rtc_rooms", "Rooms with at least one participant")
SPEAKERS = Gauge("rtc_speakers", "Sessions whose microphone is being transcribed")
TRANSCRIPT_STORE_HEALTHY = Gauge(
    "rtc_transcript_store_healthy",
    "1 while the transcript store writes; 0 while it cannot and finals wait (captions_paused)",
)
DELAY_NOTICES = Counter(
    "rtc_captions_delayed_total", "Times a speaker was told recognition is running late"
)
AUDIO_RECEIVED_SECONDS = Counter(
    "rtc_audio_received_seconds_total", "Speaker audio received over WebRTC"
)

ASR_QUEUE = Gauge("rtc_asr_queue_jobs", "Inference jobs waiting for a worker")
ASR_LAG = Gauge(
    "rtc_asr_lag_seconds",
    "Age of the oldest unfinished inference job: how far recognition is behind real time",
)
ASR_SECONDS = Histogram(
    "rtc_asr_inference_seconds", "Whisper inference time per job", ["kind"], buckets=LATENCY_BUCKETS
)
ASR_PARTIALS_SHED = Counter("rtc_asr_partials_shed_total", "Partial jobs replaced before running")
ASR_SCRIPT_MISMATCHES = Counter(
    "rtc_asr_script_mismatches_total",
    "Decodes whose text was in a script their language does not use (retried or rejected)",
)
TURN_PROBLEMS = Counter(
    "rtc_turn_problems_total",
    "TURN allocations the server could not get, by cause",
    ["reason"],
)
BROWSER_ICE_FAILURES = Counter(
    "rtc_browser_ice_failures_total",
    "Browsers whose ICE gathering found no candidate at all (ice_failed), by cause",
    ["cause"],
)
LANGUAGE_SWITCHES = Counter(
    "rtc_language_switches_total", "Speakers on auto whose language changed to another"
)
CAPTIONS = Counter("rtc_captions_total", "Captions produced", ["kind"])
FINAL_DELAY = Histogram(
    "rtc_final_delay_seconds",
    "From the end of the speech (last voiced audio) to its final caption going out",
    buckets=LATENCY_BUCKETS,
)
AUDIO_GAP_SECONDS = Counter("rtc_audio_gap_seconds_total", "Missing audio filled with silence")
AUDIO_DROPPED_SECONDS = Counter(
    "rtc_audio_dropped_seconds_total", "Received audio skipped to catch up with real time"
)

CAPTION_MESSAGES_DROPPED = Counter(
    "rtc_caption_messages_dropped_total",
    "Data-channel caption messages not sent: channel_closed, slow_listener, send_failed",
    ["reason"],
)

TRANSLATION_CALLS = Counter(
    "rtc_translation_calls_total",
    "Translation requests by outcome: ok, or the error kind (transient, refused)",
    ["backend", "outcome"],
)
TRANSLATIONS_FAILED = Counter(
    "rtc_translations_failed_total",
    "Final captions left untranslated for a language: refused, gave_up, paused",
    ["reason"],
)
TRANSLATION_DELIVERY = Histogram(
    "rtc_translation_delivery_seconds",
    "From a final caption to its complete translation reaching listeners (retries included)",
    buckets=LATENCY_BUCKETS,
)
TRANSLATION_FIRST_TOKEN = Histogram(
    "rtc_translation_first_token_seconds",
    "From request to the first translated text",
    ["backend"],
    buckets=LATENCY_BUCKETS,
)
TRANSLATION_SECONDS = Histogram(
    "rtc_translation_seconds",
    "From request to complete translation",
    ["backend"],
    buckets=LATENCY_BUCKETS,
)
TRANSLATION_CHARACTERS = Counter(
    "rtc_translation_characters_total", "Characters translated", ["backend", "direction"]
)
FORWARDED_PACKETS = Counter(
    "rtc_forwarded_packets_total", "Opus packets forwarded from a speaker to a listener"
)
FORWARDED_PACKETS_DROPPED = Counter(
    "rtc_forwarded_packets_dropped_total",
    "Forwarded packets dropped because a listener's connection did not keep up",
)
HEARING_NOTICES = Counter(
    "rtc_hearing_notices_total",
    "Speakers told their audio stopped arriving, came back, or yields no caption",
    ["code"],
)
SIGNALING_ERRORS = Counter(
    "rtc_signaling_errors_total",
    "Errors answered on /ws, by code (documented in docs/protocol.md; internal: a server fault)",
    ["code"],
)

# Cluster mode (RTC_REDIS_URL)
CLUSTER_REDIS_UP = Gauge(
    "rtc_cluster_redis_up", "1 while this instance reaches the cluster's Redis"
)
ROOMS_HOSTED = Gauge("rtc_cluster_rooms_hosted", "Rooms whose media and recognition run here")
JOINS_FORWARDED = Counter(
    "rtc_cluster_joins_forwarded_total", "Joins passed on to the instance hosting their room"
)
CLUSTER_CAPTIONS_DROPPED = Counter(
    "rtc_cluster_captions_dropped_total",
    "Deliveries for other instances dropped because Redis stayed away too long",
)
