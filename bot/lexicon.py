"""How common a word is in Dutch: ordinary words are no typos, and say little on their own.

Without this, 'zwager' would be 'repaired' to 'zwanger' and 'vader' to 'vaker'. The list
is wordfreq's small Dutch list (about 29,000 words), loaded once per process and keyed
the way our normaliser writes words (no accents: 'vegetariër' → 'vegetarier'). The large
list's rarer words ('logeerkamer') only say that a word is Dutch people write
(``is_rare_dutch``): they are read the first time they are asked for.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
from functools import lru_cache
from pathlib import Path

import msgpack

from bot.text import without_accents

_ENDINGS = ("end", "ende", "tjes", "jes", "tje", "je", "en", "de", "te", "s", "e", "t")


def frequency_buckets(
    language: str = "nl", size: str = "small", first: int = 0, last: int | None = None
) -> list[list[str]]:
    """wordfreq's small (or large) list of a language, buckets ``first`` to ``last``: bucket
    i holds the words whose frequency is -i centibels.

    Read straight from wordfreq's data file, in the format its ``read_cBpack`` documents (a
    header, then one list of words per centibel), one bucket at a time, so that the buckets
    not asked for (most of the large list's million words) are never held in memory:
    importing wordfreq itself also loads its tokenisers and language tables, about 250 ms
    and 14 MB that the bot never uses. Should the file not be where or what we expect,
    wordfreq reads it.
    """
    spec = importlib.util.find_spec("wordfreq")
    if spec is not None and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "data" / f"{size}_{language}.msgpack.gz"
        try:
            with gzip.open(path, "rb") as file:
                unpacker = msgpack.Unpacker(file, raw=False)
                count = unpacker.read_array_header() - 1  # the header, then the buckets
                if unpacker.unpack() == {"format": "cB", "version": 1}:
                    buckets = []
                    for index in range(count if last is None else min(count, last + 1)):
                        if index < first:
                            unpacker.skip()
                        else:
                            buckets.append(unpacker.unpack())
                    return buckets
        except (OSError, ValueError, msgpack.UnpackException):
            pass
    from wordfreq import get_frequency_list

    return get_frequency_list(language, wordlist=size)[first : None if last is None else last + 1]


@lru_cache(maxsize=2)
def _zipf_table(language: str = "nl") -> dict[str, float]:
    """Read bucket by bucket (the words of one frequency), so each frequency is converted
    to the Zipf scale once rather than for each of the 29,000 words."""
    table: dict[str, float] = {}
    for index, bucket in enumerate(frequency_buckets(language)):
        frequency = 10 ** (-index / 100)  # wordfreq's cB_to_freq: what it gives each word
        zipf = math.log10(frequency) + 9 if frequency > 0 else 0.0
        for word in bucket:
            key = word if word.isascii() else without_accents(word.casefold())
            if zipf > table.get(key, 0.0):
                table[key] = zipf
    return table


def commonness(word: str) -> float:
    """How common the word is in Dutch, on the Zipf scale: 0 for unlisted words (names,
    jargon, typos), about 3 for 'nierstenen', 5 to 6 for 'kort' or 'goed'. Common words
    say little about what a question is about; rare ones say a lot. Inflected forms
    ('gillend', 'krampjes') count as their base word."""
    table = _zipf_table()
    found = table.get(word, 0.0)
    if found > 0:
        return found
    for end in _ENDINGS:
        if word.endswith(end) and len(word) - len(end) >= 3:
            base = table.get(word[: -len(end)], 0.0)
            if base > 0:
                return base
    return 0.0


_MIN_COMPOUND_PART = 4
_SHORT_TAIL, _SHORT_TAIL_ZIPF = 3, 5.0  # ...but a very common short tail will do ('gek', 'dag')
_COMPOUND_RARER = 1.0  # a compound is rarer than its parts


def compound_commonness(word: str) -> float:
    """A word the list lacks but made of two listed words ('stapelgek', 'nachtrust') is
    ordinary Dutch too, as Dutch makes new compounds freely: about as common as its rarer
    part, a step rarer. 0 when it is no such compound."""
    if not word.isalpha():
        return 0.0
    table = _zipf_table()
    for cut in range(_MIN_COMPOUND_PART, len(word) - _SHORT_TAIL + 1):
        head = table.get(word[:cut], 0.0)  # the head as listed; only the tail is inflected
        if head > 0:
            tail = commonness(word[cut:])
            short = len(word) - cut < _MIN_COMPOUND_PART
            if tail > 0 and (not short or tail >= _SHORT_TAIL_ZIPF):
                return max(min(head, tail) - _COMPOUND_RARER, 0.01)
    return 0.0


def is_dutch_word(word: str) -> bool:
    return commonness(word) > 0


ENGLISH_MIN_ZIPF = 3.0  # rarer English words are as likely a Dutch typo or a name


def english_commonness(word: str) -> float:
    """How common the word is in English, for words that are no Dutch: people mix English in
    ('always tired lately', 'heard about a study'), and an everyday English word is part of
    the story, not a subject the FAQ lacks. 0 for rare or unlisted words."""
    found = _zipf_table("en").get(word, 0.0)
    return found if found >= ENGLISH_MIN_ZIPF else 0.0


RARE_DUTCH_ZIPF = 2.0  # about once in 10 million words: rarer than this, a typo or a name


@lru_cache(maxsize=1)
def _rare_dutch() -> tuple[str, dict[str, tuple[int, int]]]:
    """The words of wordfreq's large Dutch list that the small one lacks, down to
    RARE_DUTCH_ZIPF: about 75,000 words, read once per process, the first time one is asked.
    Kept as one sorted text, each word between newlines, with where the words of each first
    two letters begin and end (about 1 MB, where a set of strings takes about 9 MB): a lookup
    searches only the words that start alike."""
    first = round((9 - 3.0) * 100)  # the small list ends at Zipf 3
    last = round((9 - RARE_DUTCH_ZIPF) * 100)
    words = sorted(
        w if w.isascii() else without_accents(w.casefold())
        for bucket in frequency_buckets("nl", "large", first, last)
        for w in bucket
    )
    kept: list[str] = []  # without the words twice ('cafe' and 'café' fold alike)
    ranges: dict[str, tuple[int, int]] = {}
    at = 0
    for word in words:
        if kept and kept[-1] == word:
            continue
        kept.append(word)
        begin, _ = ranges.get(word[:2], (at, at))
        at += len(word) + 1
        ranges[word[:2]] = (begin, at + 1)
    del words
    return "\n" + "\n".join(kept) + "\n", ranges


def is_rare_dutch(word: str) -> bool:
    """Whether a word the small list lacks is still Dutch that people write ('logeerkamer',
    'mantelzorger', 'fabeltje', 'goeiendag'): part of someone's story, not a subject the FAQ
    lacks. Only for that: it does not stop typo repair, nor make a name ordinary."""
    text, ranges = _rare_dutch()
    found = ranges.get(word[:2])
    return found is not None and text.find(f"\n{word}\n", *found) >= 0
