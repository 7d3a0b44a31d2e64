"""A third view on which entry a message asks for, beside the matcher's words and letters:
naive Bayes over the word stems and pairs of stems of every phrasing, trained when the
knowledge loads.

The word view scores how much of a message an entry's phrasings cover; in a long story most
words are the story's, so its best entry often scores too low to be answered, right or not.
This view reads the same story differently: every stem and pair of stems counts for the entry
whose phrasings use it most. When the two agree on a long message, the entry is the one asked
for far more often than not (of the long stories the bot referred in the development parts,
79 of 83 had the word view's best entry right when this view agreed, 76 of 283 when it did
not). So agreement counts as the confirmation the letter view gives a short question
(core.decide): on the development parts 45 more right answers, 3 more wrong and 5 more near
misses answered; on the held-out parts, measured once, 19 more right and 5 more wrong.

The questions the article does not answer (out_of_scope.yaml) are one class of their own: a
message this view puts there is confirmed for no entry. A volunteer's new phrasing retrains
it; its one setting, the smoothing, is fit by leave-one-out accuracy on the phrasings
themselves (``python benchmarks/matcher.py --fit-learned``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.crisis_model import features
from bot.knowledge import Knowledge

OUT_OF_SCOPE = ""  # the class of the questions the article does not answer


@dataclass(frozen=True)
class PhrasingModel:
    owners: tuple[str, ...]  # entry ids, and OUT_OF_SCOPE
    # Per owner, log P of a feature only other owners use: a message's score starts at its
    # number of known features times this...
    unseen: tuple[float, ...]
    # ...and each feature adds, for the owners whose phrasings use it, how much likelier it
    # is there: (owner, log P(feature | owner) - unseen). An index, so that a FAQ of 10,000
    # phrasings costs only the owners that share a message's features.
    postings: dict[str, tuple[tuple[int, float], ...]]

    def best(self, text: str) -> str | None:
        """The entry the message most likely asks for; None for a question the article does
        not answer, or when no feature of the message is known."""
        found = [f for f in features(text) if f in self.postings]
        if not found:
            return None
        scores = [len(found) * unseen for unseen in self.unseen]
        for feature in found:
            for owner, more in self.postings[feature]:
                scores[owner] += more
        return self.owners[max(range(len(scores)), key=scores.__getitem__)] or None


def _owned_texts(knowledge: Knowledge) -> tuple[tuple[str, str], ...]:
    """Each phrasing (and question) with its owner: an entry's id, or OUT_OF_SCOPE."""
    owned = [(e.id, t) for e in knowledge.entries for t in (e.question, *e.phrasings)]
    owned += [(OUT_OF_SCOPE, t) for t in knowledge.out_of_scope]
    return tuple(owned)


def training_texts(knowledge: Knowledge) -> list[tuple[str, frozenset[str]]]:
    """Each phrasing's features with its owner."""
    return _with_features(_owned_texts(knowledge))


def _with_features(owned: Iterable[tuple[str, str]]) -> list[tuple[str, frozenset[str]]]:
    return [(owner, features(text)) for owner, text in owned]


def _counts(texts: list[tuple[str, frozenset[str]]]) -> dict[str, Counter[str]]:
    """Per owner, in how many of its phrasings each feature stands."""
    counts: dict[str, Counter[str]] = {}
    for owner, found in texts:
        counts.setdefault(owner, Counter()).update(found)
    return counts


def model_for(knowledge: Knowledge, smoothing: float) -> PhrasingModel:
    """The model of the knowledge's phrasings, trained once: a reload that changes an answer
    or a message, not a phrasing, keeps it (as crisis_model.train_once does)."""
    return _trained(_owned_texts(knowledge), smoothing)


def forget_trained() -> None:
    """Let the next ``model_for`` train anew (benchmarks/matcher.py times it)."""
    _trained.cache_clear()


@lru_cache(maxsize=1)
def _trained(owned: tuple[tuple[str, str], ...], smoothing: float) -> PhrasingModel:
    return train(_with_features(owned), smoothing)


def train(texts: list[tuple[str, frozenset[str]]], smoothing: float) -> PhrasingModel:
    counts = _counts(texts)
    size = len(frozenset().union(*counts.values()))
    owners = tuple(counts)
    unseen = []
    postings: dict[str, list[tuple[int, float]]] = {}
    for index, counted in enumerate(counts.values()):
        total = math.log(sum(counted.values()) + smoothing * size)
        unseen.append(math.log(smoothing) - total)
        for feature, n in counted.items():
            more = math.log(n + smoothing) - math.log(smoothing)
            postings.setdefault(feature, []).append((index, more))
    return PhrasingModel(owners, tuple(unseen), {f: tuple(p) for f, p in postings.items()})


def leave_one_out_accuracy(texts: list[tuple[str, frozenset[str]]], smoothing: float) -> float:
    """The share of the entries' phrasings whose entry the model picks when trained on all
    other phrasings: what the smoothing is fit by."""
    counts = _counts(texts)
    users = Counter(f for counted in counts.values() for f in counted)
    size = len(users)
    totals = {owner: sum(counted.values()) for owner, counted in counts.items()}
    right = asked = 0
    for own, found in texts:
        if own == OUT_OF_SCOPE:
            continue
        # Its features as the others know them: one that only this phrasing uses is unknown.
        known = [f for f in found if users[f] > 1 or counts[own][f] > 1]
        best, best_score = None, -math.inf
        for owner, counted in counts.items():
            less = 1 if owner == own else 0
            total = math.log(totals[owner] - less * len(found) + smoothing * size)
            score = sum(math.log(counted[f] - less * (f in found) + smoothing) for f in known)
            score -= len(known) * total
            if score > best_score:
                best, best_score = owner, score
        right += best == own
        asked += 1
    return right / asked if asked else 0.0
