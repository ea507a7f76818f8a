"""The yardstick for live accuracy: faster-whisper on whole files, with the server's model,
compute type and final beam size, and its real-time factor on this machine."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from rtc_server.asr.model import pick_compute_type, pick_device, resolve_model
from rtc_server.asr.recognizer import SAMPLE_RATE
from rtc_server.settings import Settings
from tests.support.client import load_audio
from tests.support.transcripts import normalized_wer


@dataclass(frozen=True)
class Transcribed:
    reference: str
    text: str
    audio_s: float
    compute_s: float


@dataclass(frozen=True)
class Offline:
    model: str
    compute_type: str
    beam_size: int
    by_recording: dict[str, Transcribed]

    @property
    def scored(self) -> set[str]:
        return set(self.by_recording)

    def wer(self, names: list[str]) -> float:
        """Over these recordings taken together (a name may repeat)."""
        picked = [self.by_recording[name] for name in names]
        return normalized_wer(
            " ".join(t.reference for t in picked), " ".join(t.text for t in picked)
        )

    @property
    def real_time_factor(self) -> float:
        runs = self.by_recording.values()
        return sum(t.compute_s for t in runs) / sum(t.audio_s for t in runs)


def transcribe(
    recordings: list[tuple[str, Path, int | None, str]], settings: Settings, language: str
) -> Offline:
    choice = resolve_model(settings.whisper_model, settings.model_cache_dir)
    device = pick_device(settings.whisper_device)
    compute_type = pick_compute_type(settings.whisper_compute_type, device)
    model = WhisperModel(
        choice.path_or_hub_name,
        device=device,
        compute_type=compute_type,
        cpu_threads=settings.whisper_cpu_threads,
    )
    results = {}
    for name, path, channel, reference in recordings:
        audio = load_audio(path, channel=channel, rate=SAMPLE_RATE).astype(np.float32) / 32768
        started = time.perf_counter()
        segments, _ = model.transcribe(
            audio,
            language=language,
            beam_size=settings.final_beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
        )
        text = " ".join(segment.text.strip() for segment in segments)
        results[name] = Transcribed(
            reference, text, audio.size / SAMPLE_RATE, time.perf_counter() - started
        )
    return Offline(choice.name, compute_type, settings.final_beam_size, results)
