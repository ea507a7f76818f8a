"""Whisper decoding with the encoder window fitted to the audio.

faster-whisper's `transcribe` pads every request to Whisper's 30 s window, and the encoder's
cost grows faster than linearly with the window: int8 on this project's 2-core reference
machine, 3000 frames (30 s) take 0.96 CPU-s, 1000 frames (10 s) 0.14 CPU-s. Live utterances
last a few seconds, so the encoder here sees the audio, at least `PAD_S` of silence after it,
and no less than `MIN_WINDOW_S` in all. Tighter windows make Whisper repeat the text into the
silence: over prefixes (1.5 s and up, every 0.5 s) of the shared recordings, audio + 1 s
repeated itself in 11 of 42 decodes, audio + 2 s in 4, the 10 s minimum window in none.
The token budget bounds a loop if one starts anyway.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens, merge_punctuations

from rtc_server.asr.language_id import LanguageChoice, choose_language, restrict, script_fits
from rtc_server.asr.recognizer import Audio, DecodeRequest, Word
from rtc_server.languages import from_whisper, to_whisper
from rtc_server.observability import metrics

PAD_S = 2.0
MIN_WINDOW_S = 10.0
FRAMES_PER_S = 100  # Whisper's mel frames: one per 10 ms
WINDOW_STEP_FRAMES = 100  # round windows up to whole seconds: fewer distinct shapes to run
FULL_WINDOW_FRAMES = 3000
TOKENS_PER_S = 20  # generous even for scripts with one token per character; bounds loops
MIN_TOKENS = 24
# Punctuation glued to the neighbouring word, as faster-whisper's own word timestamps do.
_TRANSCRIBE_DEFAULTS = inspect.signature(WhisperModel.transcribe).parameters
PREPEND_PUNCTUATION: str = _TRANSCRIBE_DEFAULTS["prepend_punctuations"].default
APPEND_PUNCTUATION: str = _TRANSCRIBE_DEFAULTS["append_punctuations"].default


@dataclass(frozen=True)
class Decoded:
    text: str
    language: str
    language_decided: bool
    avg_logprob: float
    no_speech_prob: float
    words: tuple[Word, ...]


def window_frames(samples: int) -> int:
    """Encoder frames for `samples` of 16 kHz audio, in whole seconds."""
    needed = max(samples / 160 + PAD_S * FRAMES_PER_S, MIN_WINDOW_S * FRAMES_PER_S)
    frames = math.ceil(needed / WINDOW_STEP_FRAMES) * WINDOW_STEP_FRAMES
    return min(frames, FULL_WINDOW_FRAMES)


def decode(model: WhisperModel, request: DecodeRequest) -> Decoded:
    """One greedy or beam decode of `request.audio` (at most 30 s), temperature 0, in the
    request's language or, without one, the language `language_id` picks. A decode whose text
    is in a script the language does not use is retried once in the next likeliest language,
    then rejected (empty text)."""
    encoder_output = model.encode(_features(model, request.audio))
    seconds = request.audio.size / 16_000
    ranked: list[tuple[str, float]] = []
    if not model.model.is_multilingual:
        choice = LanguageChoice("en", True)
    elif request.language:
        choice = LanguageChoice(request.language, True)
    else:
        ranked = restrict(_detect_language(model, encoder_output), request.candidates)
        choice = choose_language(ranked, request.current_language, seconds)
    decoded = _generate(model, request, encoder_output, choice)
    if script_fits(decoded.text, choice.language):
        return decoded
    metrics.ASR_SCRIPT_MISMATCHES.inc()
    fallback = next((code for code, _ in ranked if code != choice.language), None)
    if fallback is not None:
        decoded = _generate(model, request, encoder_output, LanguageChoice(fallback, False))
        if script_fits(decoded.text, fallback):
            return decoded
        metrics.ASR_SCRIPT_MISMATCHES.inc()
    return replace(decoded, text="", words=())


def _generate(
    model: WhisperModel, request: DecodeRequest, encoder_output: Any, choice: LanguageChoice
) -> Decoded:
    tokenizer = Tokenizer(
        model.hf_tokenizer,
        model.model.is_multilingual,
        task=request.task,
        language=to_whisper(choice.language),
    )
    # A prompt in another language pulls the decode towards that language: used only in its own.
    same_language = request.prompt_language in (None, choice.language)
    previous = (
        tokenizer.encode(" " + request.prompt.strip()) if request.prompt and same_language else []
    )
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=True)
    seconds = request.audio.size / 16_000
    budget = MIN_TOKENS + int(TOKENS_PER_S * seconds)
    result = model.model.generate(
        encoder_output,
        [prompt],
        beam_size=request.beam_size,
        max_length=min(model.max_length, len(prompt) + budget),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
    )[0]
    tokens = [token for token in result.sequences_ids[0] if token < tokenizer.eot]
    avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)  # as faster-whisper
    words: tuple[Word, ...] = ()
    if request.word_timestamps and tokens:
        words = _align(model, tokenizer, tokens, encoder_output, request.audio.size // 160)
    return Decoded(
        text=tokenizer.decode(tokens),
        language=choice.language,
        language_decided=choice.decided,
        avg_logprob=float(avg_logprob),
        no_speech_prob=float(result.no_speech_prob),
        words=words,
    )


def _features(model: WhisperModel, audio: Audio) -> np.ndarray[Any, np.dtype[np.float32]]:
    frames = window_frames(audio.size)
    features = model.feature_extractor(audio, padding=frames * 160)[:, :frames]
    return np.ascontiguousarray(features, dtype=np.float32)


def _detect_language(model: WhisperModel, encoder_output: Any) -> list[tuple[str, float]]:
    """Every language's probability, in the protocol's codes ("<|de|>" → "de")."""
    return [
        (from_whisper(str(token[2:-2])), float(probability))
        for token, probability in model.model.detect_language(encoder_output)[0]
    ]


def _align(
    model: WhisperModel, tokenizer: Tokenizer, tokens: list[int], encoder_output: Any, frames: int
) -> tuple[Word, ...]:
    alignment = model.find_alignment(tokenizer, [tokens], encoder_output, frames)[0]
    merge_punctuations(alignment, PREPEND_PUNCTUATION, APPEND_PUNCTUATION)
    return tuple(
        Word(str(w["word"]), float(w["start"]), float(w["end"]))
        for w in alignment
        if str(w["word"]).strip()
    )
