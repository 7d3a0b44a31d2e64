"""Dutch text normalisation shared by the matcher, the urgent check, smalltalk and the checks."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_DIGIT_LETTER = re.compile(r"(?<=[0-9])(?=[a-z])|(?<=[a-z])(?=[0-9])")
_SENTENCE_END = re.compile(r"[.!?;\n]+")
MAX_CHARS = 2000  # longer messages are cut: no real question needs more, and time stays bounded


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Lower case, no accents, no emoji or punctuation, single spaces: 'Cafeïne!!' → 'cafeine'."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS].casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text)
    text = _NOT_WORD.sub(" ", text)
    text = _DIGIT_LETTER.sub(" ", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return normalise(text).split()


def sentences(text: str) -> list[str]:
    """The message cut at sentence ends, each normalised; empty pieces dropped."""
    parts = (normalise(p) for p in _SENTENCE_END.split(text[:MAX_CHARS]))
    return [p for p in parts if p]
