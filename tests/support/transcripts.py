"""What the test recordings say, and how recognized text is compared with it."""

from __future__ import annotations

import itertools
import re

import jiwer

JFK = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
LEFT = (
    "He began a confused complaint against the wizard, "
    "who had vanished behind the curtain on the left."
)
RIGHT = "The horizon seems extremely distant."


def normalized_wer(reference: str, hypothesis: str) -> float:
    transform = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    return float(
        jiwer.wer(
            reference,
            hypothesis,
            reference_transform=transform,
            hypothesis_transform=transform,
        )
    )


def consecutive_duplicates(text: str) -> list[str]:
    words = re.findall(r"[\w']+", text.lower())
    return [a for a, b in itertools.pairwise(words) if a == b]
