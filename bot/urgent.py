"""Spot messages that signal danger (suicide, overdose, an emergency) before anything else.

Patterns come from knowledge/urgent.yaml: words that must appear together in one sentence,
in any order, each tolerant of a small typo. Missing an emergency is the worst failure this
bot can have, so the patterns lean towards a false alarm.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.crisis_model import SUICIDE, train_once
from bot.knowledge import Urgency, UrgentPattern
from bot.lexicon import is_dutch_word
from bot.text import MAX_CHARS, normalise
from bot.wordcache import WordCache

_SENTENCE = re.compile(r"[.!?;\n]+")
_CLAUSE = re.compile(r"[,:()\-–—]+|\s+-\s+")
# An ellipsis before a word in small letters does not end the sentence ('ik wil niet meer...
# die capsules slikken' goes on; 'ik wil niet meer... Ik ben op' ends).
_GOES_ON = re.compile(r"(?:\.{2,}|…)\s*(?=[a-zà-ÿ])")
# The first half of a pair of compounds ('dood- en doodmoe', 'dood- of doodziek') is no word
# of its own: 'dood' there is no wish to die.
_ELIDED = re.compile(r"\b(\w+)-\s+(?:en|of|tot)\s+(?=\1)", re.IGNORECASE)
_FUZZY_MIN_LENGTH = 5
LEARNED = "geleerd"  # the name of a 'pattern' found by the learned view
MANY = 10  # '#' in a pattern: a number at least this large ('30 tabletten')
_YEARS = (1930, 2100)  # '#jaartal': a number that reads as a year ('in 2019')


class _Sentence(NamedTuple):
    tokens: list[str]
    clause_ends: set[int]  # the tokens a clause ends with (for 'woord$')
    positions: dict[str, set[int]]  # pattern word → where it stands, typos forgiven


def _is_negated(term: tuple[str, ...]) -> bool:
    """'!lachen': the pattern holds only if the word is absent ('ik stik' but not 'stik van
    het lachen')."""
    return term[0].startswith("!")


def _key_words(pattern: UrgentPattern) -> frozenset[str]:
    """The first words of the pattern's most selective (longest-worded) required term."""
    required = [t for t in pattern.terms if not _is_negated(t)]
    term = max(required, key=lambda t: min(len(a) for a in t))
    return frozenset(alt.rstrip("$").split("_")[0] for alt in term)


def _words_of(patterns: tuple[UrgentPattern, ...]) -> set[str]:
    alternatives = {alt for p in patterns for term in p.terms for alt in term}
    return {w for alt in alternatives for w in alt.strip("!").rstrip("$").split("_")}


def _max_typos(word: str) -> int:
    return 2 if len(word) >= 10 else 1


@dataclass(frozen=True)
class Assessment:
    """What a message needs: an urgent reply (``pattern``), or its own reply with the care
    note below it (113, for someone who may be thinking of suicide), or neither."""

    pattern: UrgentPattern | None
    care_note: bool = False


class UrgencyDetector:
    """Compiled urgent and calm patterns, and the learned view; ``find`` gives the pattern
    whose reply a message needs: thoughts of suicide anywhere in it first."""

    def __init__(
        self,
        urgency: Urgency,
        real_words: frozenset[str] = frozenset(),
        ordinary: tuple[str, ...] = (),
    ) -> None:
        # A correctly spelled ordinary word is no typo: 'slikken' must not become 'stikken'.
        self.real_words = real_words
        self.patterns = _PatternSet(
            tuple(p for p in urgency.patterns if not p.whole_message), urgency.window, urgency.turns
        )
        # Groups of scope 'bericht': their words may stand in neighbouring sentences ('Ik heb
        # 20 tabletten genomen. Niet per ongeluk.'), still within the window of each other.
        self.message_patterns = _PatternSet(
            tuple(p for p in urgency.patterns if p.whole_message), urgency.window
        )
        # The learned view, trained on the examples; ``ordinary`` are more messages that are
        # no emergency (the FAQ's phrasings and the like).
        self.model = train_once(urgency.examples, ordinary, urgency.model)
        # What the knowledge itself calls ordinary (a phrasing, an ordinary example a volunteer
        # added after a false alarm) is never an alarm of the learned view, which may still
        # score one of its own ordinary examples above its threshold; the patterns still apply.
        self.known_ordinary = frozenset(
            normalise(t)
            for t in (
                *ordinary,
                *urgency.examples.get("ordinary", ()),
                *urgency.examples.get("stories", ()),
            )
        )
        self.calm = _PatternSet(
            tuple(c for c in urgency.calm if not c.whole_message), urgency.window
        )
        self.message_calm = _PatternSet(tuple(c for c in urgency.calm if c.whole_message))
        self.clause_words = urgency.clause_words
        words = _words_of(urgency.patterns)
        # Typos are forgiven in the words that raise an alarm, not in those that calm one.
        self.fuzzy_words = sorted(w for w in words if len(w) >= _FUZZY_MIN_LENGTH and "*" not in w)
        words |= _words_of(urgency.calm)
        self.exact_words = frozenset(w for w in words if not w.endswith("*"))
        self.prefixes = sorted(w[:-1] for w in words if w.endswith("*"))
        # token → the pattern words it may be
        self._like: WordCache[tuple[str, ...]] = WordCache(
            lambda token: token in self.real_words or is_dutch_word(token)
        )

    def find(self, message: str) -> UrgentPattern | None:
        """The pattern the message matches; thoughts of suicide anywhere in it come first, so
        that they always get the reply with 113."""
        return self.assess(message).pattern

    def assess(self, message: str) -> Assessment:
        """The pattern the message matches, and, when none does, whether it still needs the
        care note: a thought of suicide that a calm group quieted, or a learned score for
        suicide just below the alarm. The calm groups of scope 'bericht' quiet both views:
        they judge the whole message."""
        sentences = self._sentences(message)
        whole = self._as_one(sentences)
        quieted: set[str] = set()
        found = list(self._matches(sentences, quieted))
        found += self.message_patterns.holding(*whole)
        model = None if normalise(message) in self.known_ordinary else self.model
        scores = model.scores(message) if model is not None else {}
        learned = model.verdict(scores) if model is not None else None
        if found or learned is not None:
            quiet = {c.reply for c in self.message_calm.holding(*whole)}
            quieted |= {p.reply for p in found if p.reply in quiet}
            found = [p for p in found if p.reply not in quiet]
            if learned in quiet:
                quieted.add(learned)
                learned = None
        suicide = next((p for p in found if p.reply == SUICIDE), None)
        if suicide is not None:
            return Assessment(suicide)
        if learned == SUICIDE or (learned is not None and not found):
            return Assessment(UrgentPattern(LEARNED, (), "", learned))
        if found:
            return Assessment(found[0])
        cares = SUICIDE in quieted or (model is not None and model.cares_at(scores))
        return Assessment(None, care_note=cares)

    def _sentences(self, message: str) -> list[_Sentence]:
        sentences = []
        for sentence in _SENTENCE.split(_GOES_ON.sub(" ", _ELIDED.sub("", message[:MAX_CHARS]))):
            tokens, clause_ends = self._tokens(sentence)
            if tokens:
                sentences.append(_Sentence(tokens, clause_ends, self._positions(tokens)))
        return sentences

    def _matches(
        self, sentences: list[_Sentence], quieted: set[str] | None = None
    ) -> Iterator[UrgentPattern]:
        """The patterns that hold in a sentence, less those its calm patterns quiet (whose
        replies go into ``quieted``)."""
        for tokens, clause_ends, positions in sentences:
            found = list(self.patterns.holding(positions, clause_ends, tokens))
            if found:
                quiet = {c.reply for c in self.calm.holding(positions, clause_ends, tokens)}
                if quieted is not None:
                    quieted |= {p.reply for p in found if p.reply in quiet}
                yield from (p for p in found if p.reply not in quiet)

    @staticmethod
    def _as_one(
        sentences: list[_Sentence],
    ) -> tuple[dict[str, set[int]], set[int], list[str]]:
        """The whole message read as one sentence (positions, clause ends, tokens): for the
        groups of scope 'bericht', whose '!' words are looked for everywhere."""
        tokens: list[str] = []
        ends: set[int] = set()
        positions: dict[str, set[int]] = defaultdict(set)
        for words, clause_ends, places in sentences:
            offset = len(tokens)
            ends |= {offset + end for end in clause_ends}
            for word, at in places.items():
                positions[word] |= {offset + i for i in at}
            tokens.extend(words)
        return positions, ends, tokens

    def _tokens(self, sentence: str) -> tuple[list[str], set[int]]:
        tokens: list[str] = []
        clause_ends: set[int] = set()
        for clause in _CLAUSE.split(sentence):
            words = normalise(clause).split()
            tokens.extend(words)
            if words:
                clause_ends.add(len(tokens) - 1)
        for i in range(len(tokens) - 1):
            if tokens[i + 1] in self.clause_words:
                clause_ends.add(i)
        return tokens, clause_ends

    def _positions(self, tokens: list[str]) -> dict[str, set[int]]:
        """Where each pattern word (or 'prefix*') occurs, typos forgiven."""
        found: dict[str, set[int]] = defaultdict(set)
        for i, token in enumerate(tokens):
            like = self._like.get(token)
            if like is None:
                like = self._like.put(token, tuple(self._words_like(token)))
            for word in like:
                found[word].add(i)
        return found

    def _words_like(self, token: str) -> list[str]:
        like = [token] if token in self.exact_words else []
        if token.isdigit() and int(token) >= MANY:
            like.append("#")
            if len(token) == 4 and _YEARS[0] <= int(token) <= _YEARS[1]:
                like.append("#jaartal")
        # A correctly spelled word is no typo: 'stukken' is not 'stikken'.
        if (
            len(token) >= _FUZZY_MIN_LENGTH
            and token not in self.real_words
            and not is_dutch_word(token)
        ):
            near = process.extract(
                token,
                self.fuzzy_words,
                scorer=Levenshtein.distance,
                score_cutoff=_max_typos(token),
                limit=None,
            )
            like.extend(w for w, _, _ in near if w != token)
        for prefix in self.prefixes:
            head = token[: len(prefix)]
            if head == prefix or (
                len(prefix) >= 6 and Levenshtein.distance(head, prefix, score_cutoff=1) <= 1
            ):
                like.append(prefix + "*")
        return like


class _PatternSet:
    """Patterns indexed by their key words, so a sentence only visits those it may match."""

    def __init__(
        self,
        patterns: tuple[UrgentPattern, ...],
        window: int = 0,
        turns: frozenset[str] = frozenset(),
    ) -> None:
        self.patterns = patterns
        self.window = window  # 0: the words may lie anywhere in the sentence
        # A pattern that ends a clause ('wil niet meer$') is a saying of one stretch: none of
        # its words stands before a turn ('maar', 'want') that comes before its last word,
        # or after it ('ik wil mailen maar weet het adres niet meer' is none).
        self.turns = turns
        # Per pattern, the first words of one of its terms: unless one of them is in the
        # sentence, the pattern cannot hold, and is not checked further.
        self.by_key: dict[str, list[int]] = {}
        for index, pattern in enumerate(patterns):
            for key in _key_words(pattern):
                self.by_key.setdefault(key, []).append(index)

    def holding(
        self, positions: dict[str, set[int]], clause_ends: set[int], tokens: list[str]
    ) -> Iterator[UrgentPattern]:
        """The patterns that hold in one sentence, in the order they were written."""
        candidates = {i for word in positions for i in self.by_key.get(word, ())}
        for i in sorted(candidates):
            pattern = self.patterns[i]
            found = []
            end = None  # which of found is the first term that ends a clause ('meer$')
            for term in pattern.terms:
                at = _term_positions(term, positions, clause_ends, tokens)
                if _is_negated(term):
                    if at:
                        break
                elif not at:
                    break
                else:
                    if end is None and any(alt.endswith("$") for alt in term):
                        end = len(found)
                    found.append(at)
            else:
                if end is not None and not _in_one_stretch(found, end, tokens, self.turns):
                    continue
                if _near_each_other(found, self.window):
                    yield pattern


def _in_one_stretch(
    found: list[set[int]], end: int, tokens: list[str], turns: frozenset[str]
) -> bool:
    """Whether, for a place of the clause-ending term ``found[end]``, every term has a place
    at or before it and after the last turn word before it."""
    for last in found[end]:
        start = max((k for k in range(last) if tokens[k] in turns), default=-1)
        if all(any(start < p <= last for p in places) for places in found):
            return True
    return False


def _near_each_other(found: list[set[int]], window: int) -> bool:
    """Whether one stretch of ``window`` words holds a place of every term: in a long
    sentence without stops (a message spoken in), words far apart say nothing together."""
    if len(found) < 2 or window <= 0:
        return True
    return any(
        all(any(start <= p < start + window for p in places) for places in found)
        for start in set().union(*found)
    )


def _term_positions(
    term: tuple[str, ...],
    positions: dict[str, set[int]],
    clause_ends: set[int],
    tokens: list[str],
) -> set[int]:
    """Where in the sentence one of the term's alternatives starts."""
    places = set()
    for alt in term:
        at_end = alt.endswith("$")
        parts = alt.lstrip("!").rstrip("$").split("_")
        for start in positions.get(parts[0], ()):
            last = start + len(parts) - 1
            if last >= len(tokens):
                continue
            if all(start + k in positions.get(p, ()) for k, p in enumerate(parts)) and (
                not at_end or last in clause_ends
            ):
                places.add(start)
    return places
