"""Recognition across languages: errors, language labels, scripts, fragments and final delay.

For each model, a fresh local server; for each language, one speaker streams a paragraph in
real time over loopback WebRTC (the shared human recordings for English, espeak-ng otherwise),
with its spoken language set to `auto` and set to the right language. On `auto` it also streams
paragraphs that switch language mid-stream (`--switches de-en`: German, then English, read in
one go), to see whether the label follows within one utterance. Runs go one at a time: parallel
speakers slow each other down and skew the delays. English-only models (`*.en`) get English.

    .venv/bin/python -m bench.languages --models base,tiny.en --out bench/results/languages
    .venv/bin/python -m bench.languages --models base --languages de,ko --modes auto

Per run: `wer` (`cer` for languages written without word spaces: characters, spaces and
punctuation removed) of all finals against the reference; `label_share`, the finals labelled
with the language spoken in the audio they cover; `script_mismatches`, finals not written in
that language's script; `fragment_rate`, finals under three words (the paragraphs are
continuous speech; the human recordings have pauses); `final_delay_p50_s`/`_p95_s`, the end of
the speech a final covers to its arrival. Writes OUT.json and OUT.md; the last line printed is
a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.language_metrics import (
    error_rate,
    fragment_rate,
    script_mismatch,
    spoken_language,
)
from bench.live import (
    ENDPOINT_PAUSE_MS,
    GAP_S,
    SHARED,
    Options,
    Recording,
    Server,
    program,
    serve,
    speak,
)
from bench.paragraphs import PARAGRAPHS, synthesize
from bench.scoring import Span, final_delays, percentile, score
from bench.speech import LEAD_S, utterances
from bench.sweep import stamp
from tests.support.client import RATE, load_audio, silence

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Part:
    language: str
    audio: np.ndarray  # 48 kHz mono int16
    reference: str


@dataclass(frozen=True)
class Sample:
    """What one speaker says in one run: parts joined by `gap_s` of silence."""

    name: str
    parts: tuple[Part, ...]
    gap_s: float
    continuous: bool  # sentences read without long pauses

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(part.language for part in self.parts))

    def recording(self, endpoint_pause_s: float) -> tuple[Recording, list[tuple[Span, str]]]:
        """The joined audio with its utterances, and where each language is spoken in it."""
        pieces: list[np.ndarray] = []
        spoken: list[tuple[Span, str]] = []
        at = 0.0
        for part in self.parts:
            if pieces:
                pieces.append(silence(self.gap_s))
                at += self.gap_s
            pieces.append(part.audio)
            spoken.append((Span(at, at + part.audio.size / RATE), part.language))
            at += part.audio.size / RATE
        audio = np.concatenate(pieces)
        reference = " ".join(part.reference for part in self.parts)
        return Recording(self.name, audio, reference, utterances(audio, endpoint_pause_s)), spoken


def samples(languages: Sequence[str], switches: Sequence[tuple[str, str]]) -> list[Sample]:
    needed = {*languages, *(code for pair in switches for code in pair)}
    speech = {code: Part(code, synthesize(code), PARAGRAPHS[code]) for code in needed}
    chosen = []
    if "en" in languages:
        human = tuple(
            Part("en", load_audio(path, channel=channel), reference)
            for path, channel, reference in SHARED
            if reference
        )
        chosen.append(Sample("en (human)", human, GAP_S, continuous=False))
    chosen += [Sample(f"{code} (espeak)", (speech[code],), 0.0, True) for code in languages]
    chosen += [
        Sample(f"{first}→{second} (espeak)", (speech[first], speech[second]), 0.0, True)
        for first, second in switches
    ]
    return chosen


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


async def run(server: Server, sample: Sample, mode: str, endpoint_pause_s: float) -> dict[str, Any]:
    recording, spoken_parts = sample.recording(endpoint_pause_s)
    said = program(recording, duration_s=0)
    language = "auto" if mode == "auto" else sample.languages[0]
    spoken = await speak(server, 0, said, Options(language=language))
    origin = spoken.started_at + LEAD_S  # where the recording starts on the benchmark's clock
    parts = [(Span(origin + s.start, origin + s.end), code) for s, code in spoken_parts]
    finals = [c for c in spoken.captions if c.final]
    expected = [spoken_language(c.span, parts) for c in finals]
    metric, rate = error_rate(sample.languages, said.reference or "", spoken.transcript)
    delays = final_delays(spoken.utterances, finals)
    right = [c.language == code for c, code in zip(finals, expected, strict=True)]
    return {
        "sample": sample.name,
        "mode": mode,
        "languages": sample.languages,
        "continuous": sample.continuous,
        "audio_s": round(said.seconds, 1),
        "lost": spoken.lost,
        "finals": len(finals),
        metric: round(rate, 4),
        "label_share": _round(sum(right) / len(right) if right else None),
        "label_share_by_language": {
            code: _round(
                sum(ok for ok, e in zip(right, expected, strict=True) if e == code)
                / expected.count(code)
                if code in expected
                else None
            )
            for code in sample.languages
        },
        "labels": dict(Counter(c.language or "?" for c in finals)),
        "script_mismatches": sum(
            script_mismatch(c.text, code) for c, code in zip(finals, expected, strict=True)
        ),
        "fragment_rate": _round(fragment_rate([c.text for c in finals])),
        "final_delay_p50_s": _round(percentile(delays, 50)),
        "final_delay_p95_s": _round(percentile(delays, 95)),
        "missed_utterances": sum(
            s.final_at is None for s in score(spoken.utterances, spoken.captions)
        ),
        "transcript": spoken.transcript,
    }


async def run_model(
    server: Server, model: str, chosen: list[Sample], modes: Sequence[str], pause_s: float
) -> list[dict[str, Any]]:
    runs = []
    for sample in chosen:
        if model.endswith(".en") and sample.languages != ["en"]:
            continue
        for mode in modes:
            if mode == "set" and len(sample.languages) > 1:
                continue  # a switch is only a question for detection
            figures = {"model": model} | await run(server, sample, mode, pause_s)
            print(json.dumps({k: v for k, v in figures.items() if k != "transcript"}), flush=True)
            runs.append(figures)
    return runs


COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], object]], ...] = (
    ("model", lambda r: r["model"]),
    ("sample", lambda r: r["sample"]),
    ("spoken language", lambda r: r["mode"]),
    ("finals", lambda r: r["finals"]),
    ("WER / CER", lambda r: f"{r['cer']} CER" if "cer" in r else r["wer"]),
    ("labelled right", lambda r: r["label_share"]),
    ("labels", lambda r: ", ".join(f"{k} {v}" for k, v in r["labels"].items())),
    ("script mismatches", lambda r: r["script_mismatches"]),
    ("fragments (<3 words)", lambda r: r["fragment_rate"]),
    ("final delay p50 / p95 (s)", lambda r: f"{r['final_delay_p50_s']} / {r['final_delay_p95_s']}"),
    ("missed", lambda r: r["missed_utterances"]),
)  # fmt: skip


def markdown(results: dict[str, Any]) -> str:
    head = results["stamp"]
    lines = [
        f"Measured {head['date']} on {head['cpu']} ({head['cores']} cores), compute type "
        f"`{head['compute_type']}`; one speaker at a time, in real time over loopback WebRTC.",
        "",
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for figures in results["runs"]:
        cells = ("-" if (v := value(figures)) is None else str(v) for _, value in COLUMNS)
        lines.append("| " + " | ".join(cells) + " |")
    lines += [f"\n`{model}` did not start: {error}" for model, error in results["errors"].items()]
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join((__doc__ or "").splitlines()[1:]),
    )
    parser.add_argument(
        "--models", default="base,tiny.en", help="RTC_WHISPER_MODEL values, comma-separated"
    )
    parser.add_argument("--languages", default=",".join(PARAGRAPHS))
    parser.add_argument("--modes", default="auto,set", help="auto and/or set")
    parser.add_argument(
        "--switches", default="de-en", help="FIRST-SECOND pairs for `auto` ('' for none)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "languages", help="OUT.json, OUT.md")
    parser.add_argument(
        "--env", action="append", default=[], help="RTC_X=value for the local servers"
    )
    return parser


def switch(pair: str) -> tuple[str, str]:
    first, _, second = pair.partition("-")
    return first, second


def main() -> None:
    arguments = parser().parse_args()
    env = dict(item.split("=", 1) for item in arguments.env)
    models = arguments.models.split(",")
    modes = arguments.modes.split(",")
    if not set(modes) <= {"auto", "set"}:
        raise SystemExit("--modes takes auto and/or set")
    languages = arguments.languages.split(",")
    switches = [switch(pair) for pair in arguments.switches.split(",") if pair]
    if unknown := {*languages, *(c for pair in switches for c in pair)} - set(PARAGRAPHS):
        raise SystemExit(f"no paragraph for {sorted(unknown)}; there are {sorted(PARAGRAPHS)}")
    if "auto" not in modes:
        switches = []
    pause_s = int(env.get("RTC_ENDPOINT_SILENCE_MS", ENDPOINT_PAUSE_MS)) / 1000
    chosen = samples(languages, switches)
    started = time.monotonic()
    runs: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for model in models:
        with contextlib.ExitStack() as stack:
            settings = env | {"RTC_WHISPER_MODEL": model}
            try:
                server = stack.enter_context(serve(None, None, Options(), settings))
            except (RuntimeError, TimeoutError) as error:  # a model that cannot load
                errors[model] = str(error).splitlines()[0]
                continue
            runs += asyncio.run(run_model(server, model, chosen, modes, pause_s))
    results = {
        "stamp": stamp(", ".join(models), env.get("RTC_WHISPER_COMPUTE_TYPE", "auto")),
        "settings": env,
        "references": {s.name: " ".join(p.reference for p in s.parts) for s in chosen},
        "runs": runs,
        "errors": errors,
        "wall_s": round(time.monotonic() - started),
    }
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    arguments.out.with_suffix(".md").write_text(table)
    print(table)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
