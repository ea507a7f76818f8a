"""`python -m rtc_server`: parse settings, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

from aiohttp import web

from rtc_server import logs
from rtc_server.app import create_app
from rtc_server.asr.model import resolve_model
from rtc_server.settings import load_settings


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
    # run_app turns SIGTERM into a graceful shutdown: sessions close, then the model.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
