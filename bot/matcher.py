"""Score a message against every FAQ entry and say how sure we are.

Each entry is a set of documents: its question and phrasings (compared with a weighted
Dice score, so both the message and the phrasing must be mostly covered) and its answer
(which only needs to cover the message, at a discount). Words are weighted by how rare
they are across entries; a word the knowledge does not know weighs heavily, so "helpt
magnesium bij hoofdpijn?" does not reach the entry about RLS. A long message is also
scored sentence by sentence, so a story around the question does not drown it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from bot.analyzer import Analyzer, Term
from bot.knowledge import Knowledge
from bot.text import sentences

ANSWER_DISCOUNT = 0.75


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    candidates: tuple[Candidate, ...]  # best first, one per entry
    unknown_words: tuple[str, ...]
    has_content: bool

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class _Doc:
    entry_index: int
    weight: float  # total weight of its terms
    is_answer: bool


class Matcher:
    """Built once per knowledge (an inverted index keeps it fast at 10,000 phrasings)."""

    def __init__(self, knowledge: Knowledge, analyzer: Analyzer | None = None) -> None:
        self.knowledge = knowledge
        self.settings = knowledge.settings
        self.analyzer = analyzer or Analyzer(knowledge)
        entry_docs: list[list[tuple[set[str], bool]]] = []
        document_frequency: dict[str, int] = defaultdict(int)
        for entry in knowledge.entries:
            docs = [
                ({t.stem for t in self.analyzer.terms(text)}, False)
                for text in (entry.question, *entry.phrasings)
            ]
            docs.append(({t.stem for t in self.analyzer.terms(entry.answer)}, True))
            entry_docs.append(docs)
            for stem in set().union(*(d for d, _ in docs)):
                document_frequency[stem] += 1
        n = max(len(knowledge.entries), 1)
        self.weights = {s: math.log(1 + n / df) for s, df in document_frequency.items()}
        self.docs: list[_Doc] = []
        self.index: dict[str, list[int]] = defaultdict(list)
        for entry_index, docs in enumerate(entry_docs):
            for stems, is_answer in docs:
                if not stems:
                    continue
                doc_id = len(self.docs)
                self.docs.append(_Doc(entry_index, sum(self.weights[s] for s in stems), is_answer))
                for stem in stems:
                    self.index[stem].append(doc_id)
        self.index = dict(self.index)

    def weight(self, term: Term) -> float:
        if not term.known:
            return self.settings.unknown_word_weight
        return self.weights.get(term.stem, self.settings.unknown_word_weight)

    def _score(self, terms: list[Term], scores: dict[int, float]) -> None:
        """Raise ``scores[entry_index]`` to this piece of text's score where it is higher."""
        unique = {t.stem: t for t in terms}
        message_weight = sum(self.weight(t) for t in unique.values())
        if message_weight <= 0:
            return
        overlap: dict[int, float] = defaultdict(float)
        for stem, term in unique.items():
            if term.known:
                w = self.weight(term)
                for doc_id in self.index.get(stem, ()):
                    overlap[doc_id] += w
        for doc_id, shared in overlap.items():
            doc = self.docs[doc_id]
            if doc.is_answer:
                score = ANSWER_DISCOUNT * shared / message_weight
            else:
                score = 2 * shared / (message_weight + doc.weight)
            if score > scores.get(doc.entry_index, 0.0):
                scores[doc.entry_index] = score

    def match(self, message: str) -> MatchResult:
        whole = self.analyzer.terms(message)
        scores: dict[int, float] = {}
        self._score(whole, scores)
        parts = sentences(message)
        if len(parts) > 1:
            for part in parts[:20]:
                self._score(self.analyzer.terms(part), scores)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        entries = self.knowledge.entries
        candidates = tuple(Candidate(entries[i].id, round(s, 4)) for i, s in ranked[:10])
        unknown = tuple(dict.fromkeys(t.stem for t in whole if not t.known))
        return MatchResult(candidates, unknown, bool(whole))
