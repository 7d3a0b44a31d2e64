"""A second, independent view of a message: its letter patterns against each entry's.

The word matcher ranks entries; this view checks the ranking. Character n-grams (3 to 5
letters) see what words miss: inflections ('kriebels'/'kriebelen'), compounds and typos.
Each entry (and the out-of-scope questions together) gets one profile: the TF-IDF vector
of all its phrasings' n-grams, kept to its most telling n-grams so memory stays small at
10,000 phrasings. When both views pick the same entry, a lower word score is enough to
answer; only the few candidates are compared, so it stays fast at any size of FAQ.
"""

from __future__ import annotations

import heapq
import math
import sys
from collections import Counter
from collections.abc import Iterable

SIZES = (3, 4, 5)
GRAM_BUDGET = 200_000  # n-grams kept over all profiles, so memory stays flat at any size
MIN_PROFILE, MAX_PROFILE = 300, 3000

Vector = dict[str, float]


def ngrams(words: Iterable[str], shared: bool = False) -> Counter[str]:
    """The n-grams of the words; ``shared`` interns them, so the many profiles built from
    the knowledge hold each n-gram string once."""
    pieces = [
        padded[i : i + n]
        for padded in (f" {word} " for word in words)
        for n in SIZES
        for i in range(len(padded) - n + 1)
    ]
    return Counter(map(sys.intern, pieces) if shared else pieces)


def _normalised(vector: Vector) -> Vector:
    norm = math.sqrt(sum(x * x for x in vector.values())) or 1.0
    return {g: x / norm for g, x in vector.items()}


class CharProfiles:
    def __init__(self, documents: Iterable[tuple[int, list[str]]]) -> None:
        """``documents``: (owner, content words) for every phrasing."""
        counts: dict[int, Counter[str]] = {}
        for owner, words in documents:
            counts.setdefault(owner, Counter()).update(ngrams(words, shared=True))
        frequency = Counter(g for grams in counts.values() for g in grams)
        n = max(len(counts), 1)
        self.unseen_idf = math.log(n + 1)
        self.idf = {g: math.log((n + 1) / df) for g, df in frequency.items()}
        size = max(MIN_PROFILE, min(MAX_PROFILE, GRAM_BUDGET // n))
        self.profiles: dict[int, Vector] = {}
        for owner, grams in counts.items():
            weighted = {g: (1 + math.log(c)) * self.idf[g] for g, c in grams.items()}
            kept = heapq.nlargest(size, weighted.items(), key=lambda kv: kv[1])
            self.profiles[owner] = _normalised(dict(kept))

    def similarities(self, words: list[str], owners: Iterable[int]) -> dict[int, float]:
        """Cosine similarity of the message to each named owner's profile."""
        grams = ngrams(words)
        vector = _normalised(
            {g: (1 + math.log(c)) * self.idf.get(g, self.unseen_idf) for g, c in grams.items()}
        )
        result = {}
        for owner in owners:
            profile = self.profiles.get(owner, {})
            result[owner] = sum(x * profile.get(g, 0.0) for g, x in vector.items())
        return result
