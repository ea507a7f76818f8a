"""All configuration in one typed object, read from `RTC_*` environment variables and CLI flags."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, CliImplicitFlag, NoDecode, SettingsConfigDict

from rtc_server.languages import LanguageCode

UrlList = Annotated[list[str], NoDecode]
LanguageList = Annotated[list[LanguageCode], NoDecode]

DEFAULT_LANGUAGES = "en,de,es,fr,it,pt,nl,pl,ru,uk,tr,ar,hi,zh,ja,ko"
MAX_TOKEN_TTL_S = 30 * 24 * 3600


class Settings(BaseSettings):
    """Every option of the server: `--kebab-case` on the CLI, `RTC_UPPER_CASE` in the env."""

    model_config = SettingsConfigDict(
        env_prefix="RTC_",
        cli_prog_name="python -m rtc_server",
        cli_kebab_case=True,
        cli_implicit_flags=True,
        extra="ignore",
        env_ignore_empty=True,  # `RTC_X=` in a compose .env means "not set"
    )

    # Server
    host: str = Field("127.0.0.1", description="Address to listen on (0.0.0.0: every interface).")
    port: int = Field(5000, ge=1, le=65535, description="TCP port for HTTP and WebSocket.")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = Field(
        "text", description="json: one JSON object per line, with session and room ids."
    )
    frontend_dir: Path | None = Field(
        None, description="Built UI to serve at /; default: frontend/dist/*/browser if present."
    )
    prepare_model: CliImplicitFlag[bool] = Field(
        False, description="Assemble/download the Whisper model into the cache and exit."
    )
    shutdown_timeout_s: float = Field(
        10.0, gt=0.0, description="On SIGTERM, time to finish the last captions and hang up."
    )

    # Speech recognition
    whisper_model: str = Field(
        "base", description="base (bundled), tiny.en (bundled), a model folder, or a hub name."
    )
    whisper_device: Literal["auto", "cpu", "cuda"] = "auto"
    whisper_compute_type: str = Field("auto", description="auto: float16 on CUDA, int8 on CPU.")
    whisper_cpu_threads: int = Field(0, ge=0, description="0 uses every core.")
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "rtc_server" / "models",
        description="Where bundled models are assembled.",
    )
    recognition: bool = Field(
        True, description="Recognize speech; false only receives and decodes audio (benchmarks)."
    )
    asr_workers: int = Field(1, ge=1, le=16, description="Concurrent Whisper inference jobs.")
    vad_threshold: float = Field(0.5, gt=0.0, lt=1.0, description="Silero speech probability.")
    endpoint_silence_ms: int = Field(
        500, ge=100, le=5000, description="Silence that ends an utterance."
    )
    partial_interval_ms: int = Field(
        1000, ge=100, le=10000, description="Minimum time between partial captions."
    )
    commit_after_s: float = Field(
        5.0, ge=1.0, description="Long speech: commit the stable prefix after this long."
    )
    max_utterance_s: float = Field(
        15.0, ge=2.0, le=29.0, description="Hard cap on audio kept for one utterance."
    )
    final_beam_size: int = Field(2, ge=1, le=10, description="Beam size for final captions.")
    max_lag_s: float = Field(
        2.0, gt=0.0, description="Drop received audio to catch up when behind by this much."
    )
    languages: LanguageList = Field(
        default_factory=lambda: DEFAULT_LANGUAGES.split(","),
        description="Languages offered in the UI (comma-separated ISO 639-1).",
    )

    # Translation
    translator: Literal["auto", "openai", "whisper", "none"] = Field(
        "auto", description="auto: openai when an API key is set, else whisper (to English)."
    )
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = Field(
        None, description="Any OpenAI-compatible server, e.g. http://localhost:11434/v1."
    )
    openai_model: str = "gpt-4o-mini"
    openai_timeout_s: float = Field(10.0, gt=0.0)
    openai_temperature: float = Field(0.0, ge=0.0, le=2.0)
    openai_max_retries: int = Field(3, ge=0, le=10)
    glossary: dict[str, str] = Field(
        default_factory=dict, description='JSON {"term": "fixed rendering"}.'
    )
    translation_retry_pause_s: float = Field(
        30.0, gt=0.0, description="After the service refuses, wait this long before trying again."
    )
    translation_context: int = Field(
        3, ge=0, le=20, description="Earlier sentences of the speaker sent as context."
    )

    # ICE / TURN
    stun_urls: UrlList = Field(default_factory=list, description="STUN URLs (comma-separated).")
    turn_urls: UrlList = Field(
        default_factory=list, description="TURN URLs handed to browsers (comma-separated)."
    )
    server_turn_urls: UrlList | None = Field(
        None, description="TURN URLs for the server's own peers; default: turn-urls."
    )
    turn_secret: SecretStr | None = Field(None, description="coturn static-auth-secret.")
    turn_ttl_s: int = Field(
        3600, ge=60, description="Lifetime of TURN credentials (checked when relaying starts)."
    )
    ice_relay_only: bool = Field(False, description="Server peers use TURN relay candidates only.")
    browser_ice_relay_only: bool = Field(
        False,
        description="Tell browsers to use TURN relay candidates only too (relay to relay); "
        "off, they reach the server's relay address directly.",
    )
    ice_connect_timeout_s: float = Field(
        30.0, gt=0.0, description="Give up on a peer whose media has not connected by then."
    )
    ice_disconnect_timeout_s: float = Field(
        10.0,
        gt=0.0,
        description="End a session whose peer sent nothing (not even 4-6 s ICE checks) this long.",
    )
    ice_host_addresses: UrlList = Field(
        default_factory=list,
        description="Local addresses offered as host candidates (default: every interface).",
    )

    # Capacity
    max_sessions: int = Field(200, ge=1, description="Open signaling connections at most.")
    max_speakers: int = Field(
        8, ge=1, description="Microphones transcribed at once; more join as listeners only."
    )
    delay_notice_s: float = Field(
        3.0, gt=0.0, description="Tell a speaker its captions are late past this backlog."
    )

    # Rooms
    max_room_size: int = Field(
        32,
        ge=1,
        le=100,
        description="People in one meeting (bench.room_capacity: 32 hold); captions-only "
        "viewers are not counted (max_sessions bounds them on each instance).",
    )
    audio_relay: bool = Field(True, description="Send each participant the others' audio.")
    forward_speakers: int = Field(
        3, ge=1, le=16, description="Voices relayed to each participant: the latest speakers."
    )
    history_size: int = Field(50, ge=0, le=1000, description="Captions replayed to late joiners.")
    resume_window_s: float = Field(
        30.0,
        ge=0.0,
        description="How long a participant whose WebSocket dropped can resume (0: never).",
    )
    data_dir: Path = Field(
        Path.home() / ".local" / "share" / "rtc_server",
        description="Where every room's transcript is kept (an SQLite file).",
    )
    retention_days: int = Field(
        30, ge=0, description="Forget captions older than this many days; 0 keeps them forever."
    )
    database_url: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host:port/database: keep transcripts in "
        "PostgreSQL (migrated at start-up) instead of the SQLite file in data-dir.",
    )

    # Cluster
    redis_url: SecretStr | None = Field(
        None,
        description="redis://host:port/db: run as one instance of a cluster sharing rooms, "
        "load and captions through Redis (needs instance_url, and database_url for shared "
        "transcripts).",
    )
    instance_url: str | None = Field(
        None,
        description="How the cluster's other instances reach this one, e.g. http://10.0.0.5:5000.",
    )
    cluster_lease_s: float = Field(
        6.0,
        ge=1.0,
        le=60.0,
        description="Instance and room leases in Redis: a dead instance's rooms move after this.",
    )

    # Access
    auth: Literal["auto", "open", "token"] = Field(
        "auto", description="auto: open on a loopback host, else join tokens are required."
    )
    admin_secret: SecretStr | None = Field(
        None, description="Bearer secret for POST /api/rooms; also signs join tokens."
    )
    token_ttl_s: int = Field(
        24 * 3600, ge=60, le=MAX_TOKEN_TTL_S, description="Default lifetime of join tokens."
    )
    public_url: str | None = Field(
        None, description="Base of invite links, e.g. https://captions.example.com."
    )
    allowed_origins: UrlList = Field(
        default_factory=list,
        description="Web origins allowed to open /ws (comma-separated, * for any); "
        "default: the server's own origin.",
    )
    max_connections_per_ip: int = Field(
        50, ge=0, description="Concurrent WebSocket connections per client address (0: no limit)."
    )
    max_messages_per_s: float = Field(
        20.0, gt=0.0, description="Sustained signaling messages per connection."
    )
    message_burst: int = Field(60, ge=1, description="Messages a connection may send at once.")
    trusted_proxies: UrlList = Field(
        default_factory=list,
        description="Proxy addresses/networks whose X-Forwarded-For is believed (comma-separated).",
    )

    @field_validator(
        "allowed_origins",
        "trusted_proxies",
        "languages",
        "stun_urls",
        "turn_urls",
        "server_turn_urls",
        "ice_host_addresses",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("use postgresql://user:password@host:port/database")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("use redis://host:port/db")
        return value

    @field_validator("admin_secret")
    @classmethod
    def _check_secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 characters (openssl rand -hex 32)")
        return value

    @model_validator(mode="after")
    def _check_access(self) -> Settings:
        if self.auth_mode == "token" and self.admin_secret is None:
            if self.auth == "token":
                raise ValueError("auth=token needs admin_secret (RTC_ADMIN_SECRET)")
            raise ValueError(
                f"host {self.host} is not a loopback address, so rooms need join tokens: "
                "set RTC_ADMIN_SECRET (openssl rand -hex 32), or RTC_AUTH=open to let anyone in"
            )
        return self

    @model_validator(mode="after")
    def _check_cluster(self) -> Settings:
        if self.redis_url is not None and not self.instance_url:
            raise ValueError(
                "redis_url needs instance_url (RTC_INSTANCE_URL): how the other instances "
                "reach this one, e.g. http://10.0.0.5:5000"
            )
        return self

    @model_validator(mode="after")
    def _check_turn(self) -> Settings:
        if (self.turn_urls or self.server_turn_urls) and self.turn_secret is None:
            raise ValueError("turn_urls need turn_secret (coturn static-auth-secret)")
        if self.ice_relay_only and not self.effective_server_turn_urls:
            raise ValueError("ice_relay_only needs turn_urls or server_turn_urls")
        if self.browser_ice_relay_only and not self.turn_urls:
            raise ValueError("browser_ice_relay_only needs turn_urls (the browsers' TURN)")
        if self.translator == "openai" and self.openai_api_key is None:
            raise ValueError("translator=openai needs openai_api_key")
        return self

    @property
    def listens_on_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False  # a host name: it may resolve to anything

    @property
    def auth_mode(self) -> Literal["open", "token"]:
        if self.auth == "auto":
            return "open" if self.listens_on_loopback else "token"
        return self.auth

    @property
    def effective_server_turn_urls(self) -> list[str]:
        return self.turn_urls if self.server_turn_urls is None else self.server_turn_urls


def load_settings(argv: list[str] | None = None) -> Settings:
    """Parse env and CLI; on a bad value print one line per problem and exit with status 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        return Settings(_cli_parse_args=args)  # type: ignore[call-arg]
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "settings"
            print(f"rtc_server: invalid setting {where}: {problem['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
