"""Reference paragraphs per language, spoken by espeak-ng where no human recording exists.

Each paragraph is four or five sentences of everyday narration (15-20 s of speech), without digits
or names, so that a correct transcript matches the reference word for word.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tests.support.client import load_audio
from tests.support.client import synthesize as espeak

PARAGRAPHS: dict[str, str] = {
    "en": (
        "The weather was calm when we left the harbour early in the morning. "
        "A few fishing boats were already coming back with their nets full. "
        "We sailed along the coast until the wind grew stronger after lunch. "
        "Then we turned around and reached home before it got dark. "
        "Everyone agreed that it had been a wonderful day on the water."
    ),
    "de": (
        "Am Samstag sind wir früh aufgestanden und mit dem Zug in die Berge gefahren. "
        "Das Wetter war klar, und von der Hütte aus konnte man bis zum See sehen. "
        "Nach dem Mittagessen sind wir langsam ins Tal zurückgewandert. "
        "Am Abend waren alle müde, aber sehr zufrieden. "
        "Im Herbst möchten wir unbedingt noch einmal dorthin fahren."
    ),
    "es": (
        "El sábado por la mañana fuimos al mercado del barrio para comprar fruta fresca. "
        "Había mucha gente y los vendedores hablaban en voz alta. "
        "Después tomamos un café en una pequeña plaza llena de árboles. "
        "Por la tarde volvimos a casa y preparamos la cena juntos. "
        "Fue un día tranquilo y muy agradable para todos."
    ),
    "fr": (
        "Ce matin, nous avons pris le train pour aller voir nos amis à la campagne. "
        "Le voyage était calme et le paysage changeait lentement derrière la fenêtre. "
        "Après le déjeuner, nous sommes allés nous promener au bord de la rivière. "
        "Le soir, nous sommes rentrés fatigués mais très contents de notre journée. "
        "Nous espérons y retourner bientôt."
    ),
    "ko": (
        "오늘 아침에는 날씨가 맑아서 공원까지 걸어갔습니다. "
        "공원에는 산책하는 사람들과 뛰어노는 아이들이 많았습니다. "
        "우리는 나무 아래 벤치에 앉아서 따뜻한 커피를 마셨습니다. "
        "점심을 먹고 나서 천천히 집으로 돌아왔습니다."
    ),
}
ESPEAK_PACE = 175  # espeak-ng's own default, words per minute
VOICES = {"en": "en-us", "de": "de", "es": "es", "fr": "fr-fr", "ko": "ko"}


def synthesize(language: str) -> np.ndarray:
    """The language's paragraph read in one go by espeak-ng (at its own pace), as 48 kHz mono
    int16."""
    with tempfile.TemporaryDirectory(prefix="espeak-") as folder:
        voice, text = VOICES[language], PARAGRAPHS[language]
        return load_audio(espeak(voice, text, Path(folder), words_per_minute=ESPEAK_PACE))
