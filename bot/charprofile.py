"""A second, independent view of a message: its letter patterns against each entry's.

The word matcher ranks entries; this view checks the ranking. Character n-grams (3 to 5
letters) see what words miss: inflections ('kriebels'/'kriebelen'), compounds and typos.
Each entry (and the out-of-scope questions together) gets one profile: the TF-IDF vector
of all its phrasings' n-grams, kept to its most telling n-grams so memory stays small at
10,000 phrasings. When both views pick the same entry, a lower word score is enough to
answer; only the few candidates are compared, so it stays fast at any size of FAQ.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import Counter
from collections.abc import Iterable
from itertools import chain, repeat
from operator import itemgetter, mul, truediv
from typing import NamedTuple

SIZES = (3, 4, 5)
GRAM_BUDGET = 100_000  # n-grams kept over all profiles, so memory stays flat at any size
MIN_PROFILE, MAX_PROFILE = 150, 3000

Vector = dict[str, float]
_POSITIONS = tuple(range(MAX_PROFILE + 1))  # one int object per position, shared by profiles


class Profile(NamedTuple):
    """A normalised vector stored compactly: 200,000 float objects would take 5 MB at
    10,000 phrasings, an array of them a third of that."""

    positions: dict[str, int]  # n-gram → its place in weights
    weights: array[float]  # the weights in the vector's order, then 0.0 for other n-grams

    @classmethod
    def of(cls, vector: Vector) -> Profile:
        positions = dict(zip(vector, _POSITIONS, strict=False))
        return cls(positions, array("d", [*vector.values(), 0.0]))

    def dot(self, vector: Vector) -> float:
        """Σ x · weight of each n-gram, in the vector's order, without a Python loop."""
        absent = len(self.weights) - 1
        places = map(self.positions.get, vector.keys(), repeat(absent))
        return sum(map(mul, vector.values(), map(self.weights.__getitem__, places)))


_EMPTY = Profile.of({})


def _pieces(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + n] for n in SIZES for i in range(len(padded) - n + 1)]


def ngrams(words: Iterable[str]) -> Counter[str]:
    """The n-grams of the words, each as often as it occurs."""
    pieces: list[str] = []
    for word in words:
        pieces += _pieces(word)
    return Counter(pieces)


def _normalised(vector: Vector) -> Vector:
    """The vector at length 1; the same sums and divisions as a loop, run by map."""
    norm = math.sqrt(sum(map(mul, vector.values(), vector.values()))) or 1.0
    return dict(zip(vector.keys(), map(truediv, vector.values(), repeat(norm)), strict=True))


class CharProfiles:
    def __init__(self, documents: Iterable[tuple[int, list[str]]]) -> None:
        """``documents``: (owner, content words) for every phrasing."""
        # All words of an owner together have the n-grams of its phrasings; the knowledge
        # repeats its words, so each word is cut into n-grams once, and they are interned so
        # the many profiles hold each n-gram string once.
        words_of: dict[int, list[str]] = {}
        for owner, words in documents:
            words_of.setdefault(owner, []).extend(words)
        pieces_of: dict[str, list[str]] = {}
        # owner → its n-grams (first seen first) and how often each occurs, as a tuple and an
        # array: every owner's counts are needed at once, and as Counters they took 5 times
        # the memory.
        counts: dict[int, tuple[tuple[str, ...], array[int]]] = {}
        for owner, words in words_of.items():
            grams: list[str] = []
            for word in words:
                pieces = pieces_of.get(word)
                if pieces is None:
                    pieces = pieces_of[word] = [sys.intern(p) for p in _pieces(word)]
                grams += pieces
            counted = Counter(grams)
            counts[owner] = (tuple(counted), array("I", counted.values()))
        del words_of, pieces_of
        frequency = Counter(chain.from_iterable(grams for grams, _ in counts.values()))
        n = max(len(counts), 1)
        self.unseen_idf = math.log(n + 1)
        self.idf = {g: math.log((n + 1) / df) for g, df in frequency.items()}
        size = max(MIN_PROFILE, min(MAX_PROFILE, GRAM_BUDGET // n))
        self.profiles: dict[int, Profile] = {}
        idf = self.idf
        most = max((max(times) for _, times in counts.values() if times), default=0)
        tf = [0.0] + [1 + math.log(c) for c in range(1, most + 1)]  # by count within the owner
        for owner in list(counts):
            grams, times = counts.pop(owner)  # let each owner's counts go once it has a profile
            # The most telling n-grams; sorting is stable, so ties keep their first-seen order.
            weights = map(mul, map(tf.__getitem__, times), map(idf.__getitem__, grams))  # tf·idf
            weighted = sorted(zip(grams, weights, strict=True), key=itemgetter(1), reverse=True)
            self.profiles[owner] = Profile.of(_normalised(dict(weighted[:size])))

    def similarities(self, words: list[str], owners: Iterable[int]) -> dict[int, float]:
        """Cosine similarity of the message to each named owner's profile."""
        grams = ngrams(words)
        idf, unseen, log = self.idf, self.unseen_idf, math.log
        vector = _normalised({g: (1 + log(c)) * idf.get(g, unseen) for g, c in grams.items()})
        return {owner: self.profiles.get(owner, _EMPTY).dot(vector) for owner in owners}
