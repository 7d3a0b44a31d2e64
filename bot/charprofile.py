"""A second, independent view of a message: its letter patterns against each entry's.

The word matcher ranks entries; this view checks the ranking. Character n-grams (3 to 5
letters) see what words miss: inflections ('kriebels'/'kriebelen'), compounds and typos.
Each entry (and the out-of-scope questions together) gets one profile: the normalised
sum of its phrasings' TF-IDF vectors. When both views pick the same entry, a lower word
score is enough to answer; only the few candidates are compared, so it stays fast at any
size of FAQ.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

SIZES = (3, 4, 5)

Vector = dict[str, float]


def ngrams(words: Iterable[str]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for n in SIZES:
            grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _normalised(vector: Vector) -> Vector:
    norm = math.sqrt(sum(x * x for x in vector.values())) or 1.0
    return {g: x / norm for g, x in vector.items()}


class CharProfiles:
    def __init__(self, documents: list[tuple[int, list[str]]]) -> None:
        """``documents``: (owner, content words) for every phrasing."""
        counted = [(owner, ngrams(words)) for owner, words in documents]
        frequency = Counter(g for _, grams in counted for g in grams)
        n = max(len(counted), 1)
        self.idf = {g: math.log(n / df) for g, df in frequency.items()}
        self.unseen_idf = math.log(n)
        sums: dict[int, Vector] = defaultdict(lambda: defaultdict(float))
        for owner, grams in counted:
            for g, x in self._vector(grams).items():
                sums[owner][g] += x
        self.profiles = {owner: _normalised(v) for owner, v in sums.items()}

    def _vector(self, grams: Counter[str]) -> Vector:
        return _normalised(
            {g: (1 + math.log(c)) * self.idf.get(g, self.unseen_idf) for g, c in grams.items()}
        )

    def similarities(self, words: list[str], owners: Iterable[int]) -> dict[int, float]:
        """Cosine similarity of the message to each named owner's profile."""
        vector = self._vector(ngrams(words))
        result = {}
        for owner in owners:
            profile = self.profiles.get(owner, {})
            result[owner] = sum(x * profile.get(g, 0.0) for g, x in vector.items())
        return result
