"""Language codes in one place: ISO 639-1 on the wire, Whisper's codes inside, names for the UI."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

NAMES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "as": "Assamese", "az": "Azerbaijani",
    "ba": "Bashkir", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "bo": "Tibetan",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fo": "Faroese",
    "fr": "French", "gl": "Galician", "gu": "Gujarati", "ha": "Hausa", "haw": "Hawaiian",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian",
    "hy": "Armenian", "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada",
    "ko": "Korean", "la": "Latin", "lb": "Luxembourgish", "ln": "Lingala", "lo": "Lao",
    "lt": "Lithuanian", "lv": "Latvian", "mg": "Malagasy", "mi": "Maori", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian",
    "oc": "Occitan", "pa": "Punjabi", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sa": "Sanskrit", "sd": "Sindhi", "si": "Sinhala",
    "sk": "Slovak", "sl": "Slovenian", "sn": "Shona", "so": "Somali", "sq": "Albanian",
    "sr": "Serbian", "su": "Sundanese", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "te": "Telugu", "tg": "Tajik", "th": "Thai", "tk": "Turkmen", "tl": "Tagalog",
    "tr": "Turkish", "tt": "Tatar", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "yi": "Yiddish", "yo": "Yoruba", "zh": "Chinese", "yue": "Cantonese",
}  # fmt: skip

# Codes people (and browsers) use that differ from ours.
ALIASES = {"iw": "he", "jw": "jv", "nb": "no", "fil": "tl", "in": "id", "ji": "yi"}
# Where Whisper's code differs from the protocol's.
TO_WHISPER = {"jv": "jw"}
FROM_WHISPER = {whisper: ours for ours, whisper in TO_WHISPER.items()}


def normalize_language(code: str) -> str:
    """`pt-BR` → `pt`, `zh_Hans_CN` → `zh`, `EN` → `en`; unknown codes raise ValueError."""
    base = code.strip().replace("_", "-").split("-")[0].lower()
    base = ALIASES.get(base, base)
    if base not in NAMES:
        raise ValueError(f"unknown language code {code!r}")
    return base


def from_whisper(code: str) -> str:
    return FROM_WHISPER.get(code, code)


def to_whisper(code: str) -> str:
    return TO_WHISPER.get(code, code)


def display_name(code: str) -> str:
    return NAMES.get(code, code)


def normalize_spoken(code: str) -> str:
    """A spoken language may also be `auto`: detected for each utterance."""
    return "auto" if code.strip().lower() == "auto" else normalize_language(code)


LanguageCode = Annotated[str, AfterValidator(normalize_language)]
SpokenLanguage = Annotated[str, AfterValidator(normalize_spoken)]
