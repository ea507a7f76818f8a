"""The speed sweep behind the README's figures (`make bench`, about 12 minutes on 2 cores).

Offline faster-whisper on the shared recordings (the accuracy yardstick), then the live
benchmark with 1, 2, 4 and 8 speakers (the 4-speaker point runs five minutes, to show drift),
then the media path alone. Writes bench/results/latest.json, latest.md and latency.png.

    .venv/bin/python -m bench.sweep [--env RTC_WHISPER_MODEL=tiny.en ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import live, offline
from rtc_server.settings import load_settings

RESULTS = Path(__file__).resolve().parent / "results"
POINTS = ((1, 90.0), (2, 60.0), (4, 300.0), (8, 60.0))  # speakers, seconds of audio each
MEDIA_STREAMS, MEDIA_SECONDS = 8, 60.0
STAGGER_S = 1.0
LANGUAGE = "en"
FLAT_S_PER_MIN = 0.1  # "no drift": final latency grows by at most this much per minute


@dataclass(frozen=True)
class Target:
    what: str
    limit: str
    value: Callable[[dict[str, Any]], float | None]
    met: Callable[[float], bool]
    # A server that fell behind spends less CPU because it skips work: its cost is no pass.
    judged: Callable[[dict[str, Any]], bool] = lambda results: True


def point(results: dict[str, Any], speakers: int) -> dict[str, Any]:
    return next(p for p in results["points"] if p["speakers"] == speakers)


def wer_margin(speakers: int) -> Callable[[dict[str, Any]], float | None]:
    def margin(results: dict[str, Any]) -> float | None:
        figures = point(results, speakers)
        if figures.get("wer") is None:
            return None
        return round(100 * (float(figures["wer"]) - float(figures["offline_wer"])), 1)

    return margin


def kept_up(speakers: int) -> Callable[[dict[str, Any]], bool]:
    def check(results: dict[str, Any]) -> bool:
        figures = point(results, speakers)
        return not figures.get("missed_utterances") and not figures.get("audio_dropped_s")

    return check


def figure(speakers: int, name: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda results: point(results, speakers).get(name)


TARGETS = (
    Target("1 speaker: final latency p50", "≤ 0.8 s", figure(1, "final_latency_p50_s"),
           lambda v: v <= 0.8),
    Target("1 speaker: final latency p95", "≤ 1.5 s", figure(1, "final_latency_p95_s"),
           lambda v: v <= 1.5),
    Target("1 speaker: first partial p50", "≤ 1.0 s", figure(1, "first_partial_s"),
           lambda v: v <= 1.0),
    Target("4 speakers: final latency p95", "≤ 2.5 s", figure(4, "final_latency_p95_s"),
           lambda v: v <= 2.5),
    Target("4 speakers: missed utterances", "0", figure(4, "missed_utterances"),
           lambda v: v == 0),
    Target("4 speakers: drift over 5 min (s per min)", f"≤ {FLAT_S_PER_MIN}",
           figure(4, "drift_s_per_min"), lambda v: v <= FLAT_S_PER_MIN),
    Target("1 speaker: WER minus offline WER (points)", "≤ 2", wer_margin(1), lambda v: v <= 2),
    Target("4 speakers: WER minus offline WER (points)", "≤ 2", wer_margin(4), lambda v: v <= 2),
    Target("1 speaker: CPU-s per audio-s", "≤ 0.35", figure(1, "server_cpu_s_per_audio_s"),
           lambda v: v <= 0.35, kept_up(1)),
    Target("4 speakers: CPU-s per audio-s per speaker", "≤ 0.35",
           figure(4, "server_cpu_s_per_audio_s"), lambda v: v <= 0.35, kept_up(4)),
    Target("media path: CPU-s per audio-s per stream", "≤ 0.02",
           lambda r: r["media_path"].get("server_cpu_s_per_audio_s"), lambda v: v <= 0.02),
    Target("4 speakers: server RSS", "≤ 700 MB", figure(4, "server_rss_mb"),
           lambda v: v <= 700),
)  # fmt: skip


def stamp(model: str, compute_type: str) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": names[0] if names else cpu,
        "cores": os.cpu_count(),
        "model": model,
        "compute_type": compute_type,
    }


def run_live(options: live.Options, env: dict[str, str]) -> dict[str, Any]:
    """One point; a point that fails (say, a client cannot connect) is reported, not fatal."""
    try:
        with live.serve(None, None, options, env) as server:
            figures = asyncio.run(live.measure(server, options))
    except (ConnectionError, TimeoutError, RuntimeError) as error:
        figures = {"speakers": options.speakers, "error": f"{type(error).__name__}: {error}"}
    print(json.dumps(figures), flush=True)
    return figures


def sweep(env: dict[str, str]) -> dict[str, Any]:
    os.environ.update(env)  # the offline yardstick uses the same settings as the servers
    settings = load_settings([])
    pause_ms = settings.endpoint_silence_ms
    names = [live.recording_name(path, channel) for path, channel, _ in live.SHARED]
    recordings = [
        (name, path, channel, reference)
        for name, (path, channel, reference) in zip(names, live.SHARED, strict=True)
        if reference is not None
    ]
    print("offline faster-whisper on the recordings ...", flush=True)
    yardstick = offline.transcribe(recordings, settings, LANGUAGE)
    points = []
    for speakers, seconds in POINTS:
        print(f"{speakers} speaker(s), {seconds:.0f} s each ...", flush=True)
        options = live.Options(speakers, STAGGER_S, seconds, LANGUAGE, endpoint_pause_ms=pause_ms)
        figures = run_live(options, env)
        figures["offline_wer"] = round(
            yardstick.wer(
                [n for i in range(speakers) if (n := names[i % len(names)]) in yardstick.scored]
            ),
            4,
        )
        points.append(figures)
    print(f"media path: {MEDIA_STREAMS} streams, recognition off ...", flush=True)
    media = run_live(
        live.Options(MEDIA_STREAMS, STAGGER_S, MEDIA_SECONDS, LANGUAGE, recognition=False), env
    )
    results: dict[str, Any] = {
        "stamp": stamp(yardstick.model, yardstick.compute_type),
        "settings": env,
        "points": points,
        "media_path": media,
        "offline": {
            "wer": round(yardstick.wer([n for n in names if n in yardstick.scored]), 4),
            "real_time_factor": round(yardstick.real_time_factor, 3),
            "beam_size": yardstick.beam_size,
            "texts": {name: t.text for name, t in yardstick.by_recording.items()},
        },
    }
    results["targets"] = judge(results)
    return results


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and pass (None: not measured or not judged)."""
    verdicts = []
    for target in TARGETS:
        value = target.value(results)
        judged = value is not None and target.judged(results)
        verdicts.append(
            {
                "what": target.what,
                "target": target.limit,
                "value": value,
                "pass": target.met(value) if judged and value is not None else None,
            }
        )
    return verdicts


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def markdown(results: dict[str, Any]) -> str:
    s = results["stamp"]
    lines = [
        f"Measured {s['date']} on {s['cpu']} ({s['cores']} cores), model `{s['model']}` "
        f"({s['compute_type']}), settings: {results['settings'] or 'defaults'}. One room per "
        "speaker; the benchmark's clients run on the same machine.",
        "",
        "| speakers | audio per speaker (s) | WER (offline) | first partial p50 (s) "
        "| final p50 / p95 / max (s) | missed | drift (s/min) | CPU-s per audio-s per speaker "
        "| server CPU (cores) | RSS (MB) | partials shed | audio dropped (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in results["points"]:
        if "error" in p:
            lines.append(f"| {p['speakers']} | failed: {p['error'][:200]} |" + " |" * 10)
            continue
        lost = f" ({p['speakers_lost']} speakers lost)" if p.get("speakers_lost") else ""
        lines.append(
            f"| {p['speakers']} | {p['audio_s_per_speaker']} "
            f"| {_cell(p['wer'])} ({p['offline_wer']}) | {_cell(p['first_partial_s'])} "
            f"| {_cell(p['final_latency_p50_s'])} / {_cell(p['final_latency_p95_s'])} / "
            f"{_cell(p['final_latency_max_s'])} "
            f"| {p['missed_utterances']} of {p['utterances']}{lost} "
            f"| {_cell(p['drift_s_per_min'])} | {_cell(p['server_cpu_s_per_audio_s'])} "
            f"| {_cell(p['server_cpu_cores'])} | {_cell(p['server_rss_mb'])} "
            f"| {_cell(p['partials_shed'])} | {_cell(p['audio_dropped_s'])} |"
        )
    m, o = results["media_path"], results["offline"]
    lines += [
        "",
        f"Media path alone (`RTC_RECOGNITION=false`), {m['speakers']} streams: "
        f"{_cell(m.get('server_cpu_s_per_audio_s'))} CPU-s per audio-s per stream, "
        f"RSS {_cell(m.get('server_rss_mb'))} MB.",
        f"Offline faster-whisper (whole files, beam {o['beam_size']}): WER {o['wer']}, "
        f"real-time factor {o['real_time_factor']}.",
        "",
        "| target | limit | measured | pass |",
        "|---|---|---|---|",
    ]
    for t in results["targets"]:
        verdict = {True: "pass", False: "FAIL", None: "-"}[t["pass"]]
        if t["pass"] is None and t["value"] is not None:
            verdict = "not judged: the server fell behind"
        lines.append(f"| {t['what']} | {t['target']} | {_cell(t['value'])} | {verdict} |")
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [p for p in results["points"] if "error" not in p]
    speakers = [p["speakers"] for p in points]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for key, label, marker in (
        ("final_latency_p50_s", "final p50", "o"),
        ("final_latency_p95_s", "final p95", "s"),
        ("first_partial_s", "first partial p50", "^"),
    ):
        values = [float("nan") if p[key] is None else p[key] for p in points]
        axes.plot(speakers, values, marker=marker, label=label)
    for level, label, color in (
        (0.8, "target: final p50, 1 speaker", "C0"),
        (1.5, "target: final p95, 1 speaker", "C1"),
        (1.0, "target: first partial, 1 speaker", "C2"),
        (2.5, "target: final p95, 4 speakers", "C3"),
    ):
        axes.axhline(level, color=color, linestyle="--", linewidth=0.8, label=label)
    s = results["stamp"]
    axes.set_xscale("log", base=2)
    axes.set_xticks(speakers, [str(n) for n in speakers])
    axes.set_xlabel("simultaneous speakers (one room each)")
    axes.set_ylabel("seconds (log scale)")
    axes.set_yscale("log")  # the targets stay readable next to an overloaded point
    axes.set_title(
        f"{s['model']} ({s['compute_type']}), {s['cpu']}, {s['cores']} cores, {s['date'][:10]}",
        fontsize=9,
    )
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--env", action="append", default=[], help="RTC_X=value for the server")
    parser.add_argument("--out", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    results = sweep(dict(item.split("=", 1) for item in arguments.env))
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (arguments.out / "latest.md").write_text(table)
    plot(results, arguments.out / "latency.png")
    print(table)


if __name__ == "__main__":
    main()
