"""A second, learned view on emergencies, beside the patterns of urgent.yaml: it can only add
urgency, never take it away.

Patterns catch what was foreseen; people in crisis often say it in words nobody foresaw ('ik
ga slapen, voor altijd hopelijk'). This view is naive Bayes over the word stems and pairs of
stems of a message, trained when the knowledge loads on knowledge/urgent_examples/:
messages about suicide or self-harm, about bodily danger now, and ordinary messages with
heavy words; the FAQ's phrasings, the questions the article does not answer and smalltalk
count as ordinary too. A message's score for a kind is the sum of its features' log-ratios
(that kind against ordinary), divided by the square root of their number, so that a long story
is not urgent for its length alone.

The threshold of each kind is fit on the examples themselves: every ordinary example with heavy
words is scored as if it had not been trained on (leave-one-out, exact for naive Bayes), and
the thresholds are set so that at most ``false_alarms`` of them would raise an alarm of either
kind (and at most a quarter of that of the plain ones: stories, phrasings, smalltalk). Adding
examples retunes it; there is nothing to fit by hand. ``explain`` names the words that weighed
most, so every alarm can be explained.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

from bot.text import normalise

SUICIDE, ACUTE = "urgent_suicide", "urgent"
# The most ordinary messages taken from the knowledge (the article's FAQ has about 2,100): a
# FAQ of 10,000 phrasings would otherwise make the model several times larger and slower to
# train for words that say nothing about an emergency. Taken evenly, so every topic counts.
MAX_ORDINARY = 4000
_KINDS = (SUICIDE, ACUTE)
MANY = 10  # a number at least this large is many ('30 tabletten'), as in urgent.yaml's '#'
# A message with fewer known features than this is too short for the learned view to judge:
# one rare word seen in a single crisis example ('aub' in 'niet bellen aub') would decide it
# alone. The patterns still read every short message.
MIN_KNOWN_FEATURES = 3
_stemmer = Stemmer.Stemmer("dutch")


def features(text: str) -> frozenset[str]:
    """The stems of a message's words, and each pair of neighbouring stems. A number counts
    by its size only: '30 pillen' and '40 pillen' are alike, '2 tabletten' is not."""
    words = [_size(w) if w.isdigit() else w for w in normalise(text).split()]
    stems = _stemmer.stemWords(words)
    return frozenset(stems).union(map(" ".join, itertools.pairwise(stems)))


def _size(number: str) -> str:
    return "#veel" if int(number) >= MANY else "#weinig"


@dataclass(frozen=True)
class ModelSettings:
    smoothing: float = 0.25  # added to every count, so that one example does not decide
    false_alarms: float = 0.02  # the share of ordinary examples with heavy words let through
    # The share of them that may get the care note instead: their own reply, with 113 below it.
    care_notes: float = 0.1


@dataclass(frozen=True)
class CrisisModel:
    # kind → feature → log-ratio against ordinary, for the features seen in that kind's
    # examples. A feature seen only in ordinary messages weighs unseen[kind] + ordinary[f]
    # for every kind: one table for both kinds instead of two of the same size.
    weights: dict[str, dict[str, float]]
    unseen: dict[str, float]
    ordinary: dict[str, float]  # feature → -log(its ordinary count + smoothing), if seen twice
    thresholds: dict[str, float]
    # The share of ordinary examples with heavy words that, each scored as if it had not been
    # trained on, would raise an alarm of either kind: at most ModelSettings.false_alarms.
    left_out_alarms: float = 0.0
    # Per kind, the share of its examples that, each scored as if it had not been trained on,
    # would still raise its alarm: what ``smoothing`` is chosen by (benchmarks/urgent.py --fit).
    left_out_recall: dict[str, float] = field(default_factory=dict)
    # Below the alarm, a suicide score above this gets the care note (113 below the reply):
    # fit like the thresholds, so that at most ModelSettings.care_notes of the ordinary
    # examples with heavy words would get it.
    care_threshold: float = math.inf
    # The share of the suicide examples that, scored as if not trained on, would get at
    # least the care note.
    left_out_care_recall: float = 0.0

    def weight(self, kind: str, feature: str) -> float | None:
        """The feature's log-ratio for ``kind``; None if no example has it."""
        found = self.weights[kind].get(feature)
        if found is None and feature in self.ordinary:
            return self.unseen[kind] + self.ordinary[feature]
        return found

    def scores(self, text: str) -> dict[str, float]:
        found = features(text)
        return {kind: self._score(kind, found) for kind in _KINDS}

    def _score(self, kind: str, found: Iterable[str]) -> float:
        return _evidence(w for f in found if (w := self.weight(kind, f)) is not None)

    def find(self, text: str) -> str | None:
        """The reply the message needs (urgent_suicide or urgent), or None."""
        return self.verdict(self.scores(text))

    def verdict(self, scores: dict[str, float]) -> str | None:
        over = {k: s - self.thresholds[k] for k, s in scores.items()}
        kind = max(over, key=over.__getitem__)
        return kind if over[kind] > 0 else None

    def cares_at(self, scores: dict[str, float]) -> bool:
        """Whether a message with these scores, though no alarm, sounds enough like thoughts
        of suicide that its reply should say where to talk about them."""
        return scores[SUICIDE] > self.care_threshold

    def explain(self, text: str, kind: str = SUICIDE, top: int = 5) -> list[tuple[str, float]]:
        """The features of the message that weighed most towards ``kind``."""
        found = [(f, w) for f in features(text) if (w := self.weight(kind, f)) is not None]
        return sorted(found, key=lambda item: -item[1])[:top]


def _evidence(ratios: Iterable[float]) -> float:
    """The sum of a message's log-ratios over the square root of their number, so that a long
    story is not urgent for its length alone."""
    known = list(ratios)
    return sum(known) / math.sqrt(len(known)) if len(known) >= MIN_KNOWN_FEATURES else 0.0


def _score(weights: dict[str, float], found: Iterable[str]) -> float:
    # map(weights.get) looks every feature up once, in C: this runs for each example at load.
    return _evidence([w for w in map(weights.get, found) if w is not None])


def train_once(
    examples: dict[str, tuple[str, ...]], ordinary: tuple[str, ...], settings: ModelSettings
) -> CrisisModel | None:
    """``train``, unless the last model was trained on the very same texts and settings: a
    reload that changes an answer or a message, not what the learned view learns from,
    keeps the model instead of training it again (most of the time a reload takes)."""
    return _train_cached(tuple(sorted(examples.items())), ordinary, settings)


def forget_trained() -> None:
    """Let the next ``train_once`` train anew: what a reload after a changed phrasing or
    example costs (benchmarks/matcher.py times it)."""
    _train_cached.cache_clear()


@lru_cache(maxsize=1)
def _train_cached(
    examples: tuple[tuple[str, tuple[str, ...]], ...],
    ordinary: tuple[str, ...],
    settings: ModelSettings,
) -> CrisisModel | None:
    # Keeps the texts it was called with, which the knowledge in use holds anyway.
    return train(dict(examples), list(ordinary), settings)


def train(
    examples: dict[str, tuple[str, ...]], ordinary: list[str], settings: ModelSettings
) -> CrisisModel | None:
    """``examples``: urgent_suicide, urgent, ordinary (with heavy words) and stories (long,
    plain); ``ordinary``: more messages that are no emergency. None without enough examples."""
    hard = [features(t) for t in examples.get("ordinary", ())]
    step = max(1, -(-len(ordinary) // MAX_ORDINARY))  # the ceiling of len / MAX_ORDINARY
    plain = [features(t) for t in (*examples.get("stories", ()), *ordinary[::step])]
    docs = {kind: [features(t) for t in examples.get(kind, ())] for kind in _KINDS}
    docs["ordinary"] = hard + plain
    if any(len(d) < 10 for d in docs.values()) or len(hard) < 10:
        return None
    counts = {kind: Counter(f for doc in d for f in doc) for kind, d in docs.items()}
    size, ordinary_size = {k: len(docs[k]) for k in _KINDS}, len(docs["ordinary"])
    a = settings.smoothing
    log = [math.log(n + a) for n in range(max(size.values()) + ordinary_size + 1)]

    def left_out_ratios(kind: str) -> dict[str, float]:
        """Each ordinary feature's log-ratio with one ordinary example taken away from its
        count: to score an ordinary example as if it had not been trained on."""
        in_kind = counts[kind].get
        base = math.log(ordinary_size - 1 + 2 * a) - math.log(size[kind] + 2 * a)
        return {
            f: log[k] - log[o - 1] + base
            for f, o in counts["ordinary"].items()
            # not of the left-out example alone
            if (k := in_kind(f, 0)) + o > 1
        }

    def left_out_score(kind: str, doc: frozenset[str]) -> float:
        """An example of ``kind`` scored as if it had not been trained on (exact for naive
        Bayes: its own features counted once less)."""
        in_kind, in_ordinary = counts[kind].get, counts["ordinary"].get
        base = math.log(ordinary_size + 2 * a) - math.log(size[kind] - 1 + 2 * a)
        return _evidence(
            log[k - 1] - log[o] + base
            for f in doc
            if (k := in_kind(f, 0)) + (o := in_ordinary(f, 0)) > 1
        )

    weights = {}
    unseen = {}
    hard_scores, plain_scores = {}, {}
    in_ordinary = counts["ordinary"].get
    for kind in _KINDS:
        base = math.log(ordinary_size + 2 * a) - math.log(size[kind] + 2 * a)
        weights[kind] = {f: log[k] - log[in_ordinary(f, 0)] + base for f, k in counts[kind].items()}
        unseen[kind] = log[0] + base
        left_out = left_out_ratios(kind)  # exact leave-one-out for every ordinary example
        hard_scores[kind] = [_score(left_out, doc) for doc in hard]
        plain_scores[kind] = [_score(left_out, doc) for doc in plain]
    # Heavy words may raise an alarm now and then: at most false_alarms of them, of either
    # kind; plain messages four times less often. Each kind's share is lowered step by step
    # until both together stay within it.
    share = settings.false_alarms
    while True:
        thresholds = {
            kind: max(
                _quantile(hard_scores[kind], share),
                _quantile(plain_scores[kind], settings.false_alarms / 4),
            )
            for kind in _KINDS
        }
        alarms = {
            i
            for kind in _KINDS
            for i, score in enumerate(hard_scores[kind])
            if score > thresholds[kind]
        }
        if len(alarms) <= settings.false_alarms * len(hard) or share <= 0:
            break
        share = max(0.0, share - 0.001)
    # Each example of a kind scored once as if not trained on: for its recall at the alarm,
    # and for suicide also at the care note.
    left_out = {kind: [left_out_score(kind, doc) for doc in docs[kind]] for kind in _KINDS}
    recall = {
        kind: sum(score > thresholds[kind] for score in left_out[kind]) / size[kind]
        for kind in _KINDS
    }
    care = min(
        thresholds[SUICIDE],
        max(
            _quantile(hard_scores[SUICIDE], settings.care_notes),
            _quantile(plain_scores[SUICIDE], settings.care_notes / 4),
        ),
    )
    care_recall = sum(score > care for score in left_out[SUICIDE]) / size[SUICIDE]
    # A feature of one ordinary example only is left out, as it is when that example's own
    # threshold is fit (left-out scores skip what only the left-out example has): a third of
    # the table, and the same replies on every development part.
    in_a_kind = counts[SUICIDE].keys() | counts[ACUTE].keys()
    ordinary_weights = {
        f: -log[o] for f, o in counts["ordinary"].items() if o > 1 or f in in_a_kind
    }
    return CrisisModel(
        weights,
        unseen,
        ordinary_weights,
        thresholds,
        len(alarms) / len(hard),
        recall,
        care,
        care_recall,
    )


def _quantile(scores: list[float], share: float) -> float:
    """The threshold that lets at most ``share`` of ``scores`` lie above it."""
    ordered = sorted(scores)
    return ordered[len(ordered) - 1 - int(len(ordered) * share)]
