"""Dutch text normalisation shared by the matcher, the urgent check, smalltalk and the checks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_REPEATED = re.compile(r"([a-z])\1{2,}")  # 'heeeelp' → 'heelp': Dutch never triples a letter
_DIGIT_LETTER = re.compile(r"(?<=[0-9])(?=[a-z])|(?<=[a-z])(?=[0-9])")
# Cheap searches that tell when the two above have anything to do (seldom): they are slow
# on long texts such as answers, where they mostly find nothing.
_TRIPLE = re.compile(r"([a-z])\1\1")
_DIGIT = re.compile(r"[0-9]")
MAX_CHARS = 2000  # longer messages are cut: no real question needs more, and time stays bounded


def visible_text(text: str) -> str:
    """What a person sees of a message: no invisible format characters, compatibility forms folded.

    A soft hyphen or zero-width space inside 'zelf\u00admoord' is invisible on a phone but
    splits the word for every check; so do bidi controls and a byte-order mark (Unicode
    category Cf). NFKC then folds full-width letters, ligatures and the like into plain ones.
    Every message goes through this once, in Helpdesk.respond, before anything reads it.
    """
    if text.isascii():  # plain ASCII has nothing to remove or fold
        return text
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFKC", text)


def without_accents(text: str) -> str:
    """'cafeïne' → 'cafeine', 'vegetariër' → 'vegetarier'."""
    if text.isascii():  # plain ASCII has no accents to take off
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# The texts normalised during one piece of work (answering one message, or building from the
# knowledge), each normalised once however often it is asked for; forgotten when the work is
# done, so that nothing a person wrote stays behind in memory. One per thread or task.
_ONCE: ContextVar[dict[str, str] | None] = ContextVar("normalised_once", default=None)


@contextmanager
def each_text_once() -> Iterator[None]:
    """Within this block, normalise each text once; after it, remember none of them."""
    if _ONCE.get() is not None:  # already inside one
        yield
        return
    token = _ONCE.set({})
    try:
        yield
    finally:
        _ONCE.reset(token)


def normalise(text: str) -> str:
    """Lower case, no accents, no emoji or punctuation, single spaces: 'Cafeïne!!' → 'cafeine'."""
    done = _ONCE.get()
    if done is None:
        return _normalise(text)
    found = done.get(text)
    if found is None:
        found = done[text] = _normalise(text)
    return found


def _normalise(text: str) -> str:
    text = without_accents(text[:MAX_CHARS].casefold())
    text = _APOSTROPHES.sub("", text)
    text = _NOT_WORD.sub(" ", text)
    if _TRIPLE.search(text):
        text = _REPEATED.sub(r"\1\1", text)
    if _DIGIT.search(text):
        text = _DIGIT_LETTER.sub(" ", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return normalise(text).split()


# On a phone an emoji often ends a sentence instead of a full stop ('die benen 😩 wat helpt').
_ENDS = ".!?;\n\u2600-\u27bf\U0001f300-\U0001faff"
_SENTENCE = re.compile(f"[^{_ENDS}]+[{_ENDS}]*")


def split_sentences(text: str) -> list[tuple[str, bool]]:
    """The message cut into sentences, each with whether it ends in a question mark."""
    result = []
    for match in _SENTENCE.finditer(text[:MAX_CHARS]):
        piece = match.group(0)
        if normalise(piece):
            result.append((piece, "?" in piece))
    return result
