"""`python -m rtc_server`: parse settings, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from rtc_server.app import create_app
from rtc_server.asr.model import resolve_model
from rtc_server.observability import logs
from rtc_server.settings import Settings, load_settings
from rtc_server.shutdown import drain

log = logging.getLogger("rtc_server")

# After the drain, how long aiohttp waits for request handlers before cancelling them.
HANDLER_GRACE_S = 1.0


async def serve(settings: Settings) -> None:
    """Like aiohttp's run_app, except that on a signal the server drains while it still
    listens (new joins are refused with a clear error, /health says 503), then stops."""
    app = create_app(settings)
    runner = web.AppRunner(
        app, shutdown_timeout=HANDLER_GRACE_S, access_log_class=logs.AccessLogger
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("shutting down")
        await drain(app)
    finally:
        await runner.cleanup()


def main() -> None:
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    if settings.prepare_model:
        choice = resolve_model(settings.whisper_model, settings.model_cache_dir)
        if choice.path_or_hub_name == choice.name:  # a hub name: fetch it now, not at start-up
            from faster_whisper.utils import download_model

            download_model(choice.name)
        print(f"model {choice.name} ready")
        return
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
