"""Which language a speaker on auto speaks, and where long speech is cut into finals: the
policies alone, with a scripted recognizer."""

from __future__ import annotations

import numpy as np
import pytest

from rtc_server.asr.language_id import (
    DECIDE_AFTER_S,
    LanguageChoice,
    choose_language,
    restrict,
    script_fits,
)
from rtc_server.asr.recognizer import SAMPLE_RATE, DecodeRequest, Hypothesis, Priority, Word
from rtc_server.asr.stream import (
    MIN_COMMIT_WORDS,
    RecognizeStream,
    SpeechEventType,
    StreamOptions,
    commit_boundary,
)
from tests.support.recognize_stream import of_type, recording, stream_through


def test_detection_is_restricted_to_the_candidates_and_renormalized() -> None:
    detected = [("th", 0.6), ("de", 0.3), ("en", 0.1)]
    kept = restrict(detected, {"de", "en"})
    assert [code for code, _ in kept] == ["de", "en"]
    assert [p for _, p in kept] == pytest.approx([0.75, 0.25])
    assert [code for code, _ in restrict(detected, set())] == ["th", "de", "en"]
    assert restrict(detected, {"ko"}) == []


def test_a_first_language_is_decided_only_on_enough_audio() -> None:
    ranked = [("de", 0.9), ("en", 0.1)]
    assert choose_language(ranked, None, 1.0) == LanguageChoice("de", False)  # shown, not kept
    assert choose_language(ranked, None, DECIDE_AFTER_S).decided
    assert not choose_language([("de", 0.4), ("en", 0.35)], None, 5.0).decided


def test_a_known_language_gives_way_only_to_confident_evidence() -> None:
    # A second of German after English is not enough, however sure detection looks.
    assert choose_language([("de", 0.95), ("en", 0.05)], "en", 1.0).language == "en"
    # Three seconds that are only perhaps German: English stays.
    assert choose_language([("de", 0.55), ("en", 0.45)], "en", 3.0).language == "en"
    switched = choose_language([("de", 0.9), ("en", 0.1)], "en", 3.0)
    assert switched.language == "de" and switched.decided


@pytest.mark.parametrize(
    ("text", "language", "fits"),
    [
        ("Guten Morgen, Straße!", "de", True),
        ("買うのことを 責任することを", "de", False),
        ("アイフ", "de", False),
        ("Привет", "de", False),
        ("買うのことを 責任することを", "ja", True),
        ("ラーメン", "ja", True),
        ("안녕하세요 여러분, Zoom 회의", "ko", True),
        ("你好\uff0c世界", "zh", True),  # a full-width comma
        ("안녕하세요", "zh", False),
        ("Привет, мир", "ru", True),
        ("2,5 %", "fr", True),
    ],
)
def test_text_in_a_script_the_language_does_not_use_is_caught(
    text: str, language: str, fits: bool
) -> None:
    assert script_fits(text, language) is fits


def words(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end) for text, start, end in spec]


def test_commits_fall_at_the_last_sentence_end_then_clause_then_pause() -> None:
    spoken = words(
        (" Good", 0.0, 0.3),
        (" morning,", 0.3, 0.6),
        (" everyone.", 0.6, 1.0),
        (" Today", 1.1, 1.4),
        (" we", 1.4, 1.5),
        (" talk,", 1.5, 1.8),
        (" about", 2.4, 2.7),
    )
    assert commit_boundary(spoken[:6], spoken[6:]) == (3, 1.05)  # "everyone." beats "talk,"
    assert commit_boundary(spoken[3:6], spoken[6:]) == (3, 2.1)  # a clause end
    # Word timestamps stretch "four" over the silence before it; the detector heard the pause.
    no_punctuation = words(
        (" one", 0.0, 0.2), (" two", 0.2, 0.4), (" three", 0.4, 0.6), (" four", 0.6, 1.4)
    )
    pause = [(0.62, 1.0)]
    assert commit_boundary(no_punctuation[:3], no_punctuation[3:], pause) == (3, 0.81)
    assert commit_boundary(no_punctuation[:4], [], pause) == (3, 0.81)
    assert commit_boundary(no_punctuation[:3], no_punctuation[3:]) == (0, 0.0)  # wait


def test_no_commit_leaves_a_fragment_of_fewer_than_three_words() -> None:
    spoken = words((" And", 0.0, 0.2), (" so,", 0.2, 0.5), (" my", 0.9, 1.1), (" fellow", 1.1, 1.4))
    assert MIN_COMMIT_WORDS == 3
    assert commit_boundary(spoken[:3], spoken[3:]) == (0, 0.0)  # "And so," is too short


class LanguageScript:
    """Answers every request with one language, recording what each request asked for."""

    def __init__(self, language: str, text: str = "Guten Morgen zusammen") -> None:
        self.language = language
        self.text = text
        self.requests: list[DecodeRequest] = []

    async def recognize(
        self, request: DecodeRequest, priority: Priority, key: object | None = None
    ) -> Hypothesis | None:
        self.requests.append(request)
        decided = request.audio.size >= DECIDE_AFTER_S * SAMPLE_RATE
        return Hypothesis(self.text, self.language, language_decided=decided)


def two_utterances() -> np.ndarray:
    speech = recording("jfk.flac")[: 3 * SAMPLE_RATE]
    pause = np.zeros(SAMPLE_RATE, np.float32)
    return np.concatenate([speech, pause, speech, pause])


async def test_a_speaker_on_auto_keeps_the_decided_language_and_prompts_only_in_it() -> None:
    recognizer = LanguageScript("de")
    candidates = frozenset({"de", "en", "ko"})
    stream = RecognizeStream(recognizer, None, candidates=lambda: candidates)
    events = await stream_through(stream, two_utterances(), real_time=False)
    finals = of_type(events, SpeechEventType.FINAL)
    assert [f.language for f in finals] == ["de", "de"]
    first, later = recognizer.requests[0], recognizer.requests[-1]
    assert first.language is None and first.current_language is None
    assert first.candidates == candidates
    # The second utterance is detected knowing the speaker speaks German so far, and its
    # prompt (the first final) is marked German, to be used only for a German decode.
    assert later.language is None and later.current_language == "de"
    assert later.prompt == "Guten Morgen zusammen" and later.prompt_language == "de"


async def test_a_set_language_is_never_detected() -> None:
    recognizer = LanguageScript("en")
    stream = RecognizeStream(recognizer, "en", candidates=lambda: frozenset({"de"}))
    await stream_through(stream, two_utterances(), real_time=False)
    assert {(r.language, r.candidates) for r in recognizer.requests} == {("en", frozenset())}


class GrowingSpeech:
    """A speaker who goes on and on: each decode hears more words, one every 0.5 s of audio,
    a sentence end after every fifth; the newest word is sometimes still missing."""

    def __init__(self) -> None:
        self.calls = 0

    async def recognize(
        self, request: DecodeRequest, priority: Priority, key: object | None = None
    ) -> Hypothesis | None:
        self.calls += 1
        seconds = request.audio.size / SAMPLE_RATE
        offset = self.offset(request)
        heard = [
            Word(f" w{n}." if n % 5 == 4 else f" w{n}", n * 0.5 - offset, n * 0.5 - offset + 0.4)
            for n in range(int((offset + seconds) / 0.5))
            if n * 0.5 >= offset - 0.01
        ]
        if self.calls % 3 == 0 and len(heard) > 1:
            heard = heard[:-1]  # the live edge is not always heard yet
        text = "".join(w.text for w in heard)
        return Hypothesis(text, "en", tuple(heard) if request.word_timestamps else ())

    def offset(self, request: DecodeRequest) -> float:
        """Where the request's audio starts in the speech: after the words its prompt holds."""
        if not request.prompt:
            return 0.0
        last = request.prompt.split()[-1].strip(".")  # "w9." → word 9; the cut is 0.05 s on
        return (int(last[1:]) + 1) * 0.5 - 0.05


async def test_long_speech_is_committed_at_sentence_ends_with_nothing_lost_or_repeated() -> None:
    recognizer = GrowingSpeech()
    options = StreamOptions(endpoint_silence_s=5.0, commit_after_s=3.0, max_utterance_s=20.0)
    speech = recording("jfk.flac")[: 10 * SAMPLE_RATE]
    audio = np.concatenate([np.tile(speech, 2), np.zeros(6 * SAMPLE_RATE, np.float32)])
    stream = RecognizeStream(recognizer, "en", options)
    events = await stream_through(stream, audio, real_time=False)
    finals = of_type(events, SpeechEventType.FINAL)
    continued = [f for f in finals if f.continued]
    assert continued, "nothing was committed while the speaker went on"
    for final in continued:
        assert len(final.text.split()) >= MIN_COMMIT_WORDS, final.text
    # Cut at sentence ends where they were agreed on, else at the recording's own pauses.
    assert any(final.text.endswith(".") for final in continued), continued
    said = " ".join(f.text for f in finals).split()
    assert len(said) == len(set(said)), said  # no word in two captions
    shown: dict[int, int] = {}
    for event in of_type(events, SpeechEventType.PARTIAL):
        assert len(event.text.split()) >= shown.get(event.utterance, 0), event
        shown[event.utterance] = len(event.text.split())
    stream_end = audio.size / SAMPLE_RATE
    for event in [*finals, *of_type(events, SpeechEventType.PARTIAL)]:
        assert 0 <= event.start <= event.end <= stream_end, event
