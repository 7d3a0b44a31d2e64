"""Turn Dutch text into the terms the matcher compares: the knowledge's own vocabulary.

Steps, each because people type that way: normalise (case, accents, emoji), repair typos
against the words the knowledge uses, split compounds ('magnesiumtekort'), map synonyms
('rusteloze benen' → 'rls'), drop stop words and stem ('tabletten' → 'tablet').
A word the knowledge does not know stays marked as unknown: it is the strongest sign that
a question is about something the FAQ does not cover.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge import Knowledge
from bot.lexicon import (
    commonness,
    compound_commonness,
    english_commonness,
    is_dutch_word,
    is_rare_dutch,
)
from bot.text import words
from bot.verbs import join_separable
from bot.wordcache import WordCache

_LINKERS = ("", "s", "e", "en")
_MIN_PART = 3
_MIN_REPAIR_LENGTH = 6
# '30 weken zwanger', 'sinds 3 maanden': a number of these is how long, part of the story;
# not 'jaar', which also gives an age ('een kind van 6 jaar'), a sign of another question.
_DURATIONS = frozenset({"dag", "dagen", "week", "weken", "maand", "maanden", "days", "weeks"})
_MIN_SYNONYM_STEM = 5  # shorter words have too many forms that mean something else


_STEMMER = Stemmer.Stemmer("dutch")


def _stem(word: str) -> str:
    """Snowball's Dutch stemmer: 'tabletten' → 'tablet', 'bananen' and 'banaan' → 'banaan'."""
    return _STEMMER.stemWord(word) if word.isalpha() else word


@dataclass(frozen=True)
class Term:
    stem: str
    known: bool
    ordinary: bool = False  # ordinary Dutch ('buurvrouw', 'kapot'), not a name or jargon
    commonness: float = 0.0  # Zipf frequency in Dutch; 0 when not listed


def _diminutive_base(word: str) -> str | None:
    for end in ("etjes", "tjes", "jes", "etje", "tje", "je"):
        if word.endswith(end) and len(word) - len(end) >= 3:
            return word[: -len(end)]
    return None


def _same_sound(word: str, known: Callable[[str], bool]) -> str | None:
    """'wijnig' → 'weinig', 'bleif' → 'blijf': ij and ei sound the same, and people mix them
    up; one such mix-up is no typo but the word itself. A known or ordinary Dutch word only."""
    for here, there in (("ij", "ei"), ("ei", "ij"), ("y", "ij")):
        start = word.find(here)
        while start >= 0:
            other = word[:start] + there + word[start + len(here) :]
            if known(other) or is_dutch_word(other):
                return other
            start = word.find(here, start + 1)
    return None


def _max_edits(word: str) -> int:
    return 1 if len(word) < 9 else 2


class Analyzer:
    """Built once per knowledge; maps any text to a list of Terms."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.stopwords = knowledge.stopwords
        self.openers = knowledge.openers
        self.synonyms = knowledge.synonyms
        self.abbreviations = knowledge.abbreviations
        self.abbreviation_guards = knowledge.abbreviation_guards
        self._repairs: WordCache[tuple[str, ...]] = WordCache(self._may_keep)
        self._terms: WordCache[Term] = WordCache(self._may_keep)
        self.max_synonym_words = max((len(k.split()) for k in self.synonyms), default=1)
        self.synonym_starts = frozenset(k.split()[0] for k in self.synonyms if " " in k)
        # Another form of a one-word synonym is that synonym too: 'bereik' as 'bereiken'.
        # Of two variants with one stem the shortest, the closest to the bare verb: 'bereik'
        # is 'bereiken' (contact), not 'bereikbaar' (opening hours).
        self.synonym_stems: dict[str, str] = {}
        for variant in self.synonyms:
            if variant.isalpha() and len(variant) >= _MIN_SYNONYM_STEM:
                stem = _stem(variant)
                kept = self.synonym_stems.get(stem)
                if kept is None or len(variant) < len(kept):
                    self.synonym_stems[stem] = variant
        counts: Counter[str] = Counter()
        texts = [t for e in knowledge.entries for t in (e.question, *e.phrasings, e.answer)]
        for text in (*texts, *knowledge.out_of_scope):
            counts.update(w for w in words(text) if w not in self.stopwords)
        for variant, canonical in self.synonyms.items():
            counts.update(variant.split())
            counts.update(canonical.split())
        self._typos_in_knowledge(counts)
        self.vocabulary = frozenset(counts)
        self._learn_compound_parts(counts)
        # Most frequent first, so a typo close to two words is repaired to the common one.
        self._repair_choices = [
            w
            for w, _ in counts.most_common()
            if len(w) >= _MIN_REPAIR_LENGTH - 1 and not w.isdigit()
        ] + sorted(self.learned_parts)
        self._choice_rank = {w: i for i, w in enumerate(self._repair_choices)}
        self._choices_by_length: dict[int, list[str]] = {}
        self._choices_cache: dict[tuple[int, int], list[str]] = {}
        for w in self._repair_choices:
            self._choices_by_length.setdefault(len(w), []).append(w)
        self.known_stems = frozenset(self.stem(w) for w in self.vocabulary | self.learned_parts)
        self.compound_parts = {
            w: parts for w in self.vocabulary if (parts := self._known_parts(w)) is not None
        }

    def _typos_in_knowledge(self, counts: Counter[str]) -> None:
        """Phrasings may hold typos on purpose ('magnesuim'): those are not words of their
        own but the common word they resemble, so they are taken out of the vocabulary and
        repaired like a user's typo."""
        common = [w for w, c in counts.most_common() if c >= 3 and len(w) >= _MIN_REPAIR_LENGTH]
        for word, count in list(counts.items()):
            if len(word) < _MIN_REPAIR_LENGTH or is_dutch_word(word):
                continue
            near = [
                w
                for w, _, _ in process.extract(
                    word, common, scorer=OSA.distance, score_cutoff=1, limit=3
                )
                if w != word
            ]
            if near and counts[near[0]] >= 10 * count:
                del counts[word]

    def _learn_compound_parts(self, counts: Counter[str]) -> None:
        """'magnesiumcitraat' in the knowledge teaches that 'citraat' is a known word too."""
        heads = {w for w in counts if len(w) >= 5 and w.isalpha()}
        learned = set()
        for word in counts:
            for cut in range(len(word) - 4, 4, -1):  # the longest known head first
                if word[:cut] in heads:
                    rest = word[cut:]
                    learned.add(rest)
                    for linker in _LINKERS:
                        if linker and rest.startswith(linker) and len(rest) - len(linker) >= 4:
                            learned.add(rest[len(linker) :])
                    break
        self.learned_parts = frozenset(learned - self.vocabulary)

    def _known_parts(self, word: str) -> tuple[str, str] | None:
        """A known compound as two known parts: 'magnesiumcarbonaat' → magnesium, carbonaat.

        Both sides of a comparison are split the same way, so 'magnesium carbonaat' and
        'magnesiumcarbonaat' share their words. An ordinary word is no compound of ours:
        'onderzoek' is not 'onder' + 'zoek'.
        """
        if is_dutch_word(word):
            return None
        for cut in range(len(word) - 4, 4, -1):
            head, rest = word[:cut], word[cut:]
            if head in self.vocabulary:
                for linker in _LINKERS:
                    part = rest[len(linker) :]
                    if rest.startswith(linker) and len(part) >= 4 and self.is_known(part):
                        return head, part
        return None

    @staticmethod
    def stem(word: str) -> str:
        return _stem(word)

    def is_known(self, word: str) -> bool:
        return word in self.vocabulary or word in self.learned_parts

    def _may_keep(self, word: str) -> bool:
        """Only a word of the knowledge or of ordinary Dutch is cached (see wordcache)."""
        return self.is_known(word) or is_dutch_word(word)

    # -- one word ---------------------------------------------------------------------------

    def _split(self, word: str) -> tuple[str, ...] | None:
        """A compound as two parts; the modifier may be unknown ('slaap' + 'medicatie')."""
        best: tuple[str, ...] | None = None
        for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
            head, tail = word[:cut], word[cut:]
            for linker in _LINKERS:
                if linker and not tail.startswith(linker):
                    continue
                rest = tail[len(linker) :]
                if len(rest) < _MIN_PART + 1:
                    continue
                if self.is_known(head) and self.is_known(rest):
                    return (head, rest)
                if best is None and self.is_known(rest) and len(rest) >= 5:
                    best = (head, rest)
        if best is None:
            for cut in range(len(word) - 4, 4, -1):
                if self.is_known(word[:cut]) and len(word) - cut >= 4:
                    return (word[:cut], word[cut:])
        return best

    def _closest(self, word: str, max_edits: int) -> str | None:
        """The nearest knowledge word within ``max_edits`` typing errors (a swap of two
        letters counts as one). Short words are left alone: 'vader' is no typo of 'vaker'."""
        if len(word) < _MIN_REPAIR_LENGTH:
            return None
        choices = self._choices_within(len(word), max_edits)
        near = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=max_edits)
        return near[0] if near is not None else None

    def _choices_within(self, length: int, max_edits: int) -> list[str]:
        """Only words of a length within reach, still the most frequent first; made once
        per length, as every word of that length needs the same list."""
        key = (length, max_edits)
        choices = self._choices_cache.get(key)
        if choices is None:
            reach = range(length - max_edits, length + max_edits + 1)
            choices = sorted(
                (w for n in reach for w in self._choices_by_length.get(n, ())),
                key=self._choice_rank.__getitem__,
            )
            self._choices_cache[key] = choices
        return choices

    def _repair(self, word: str) -> tuple[str, ...]:
        """The word as the knowledge would spell it, or unchanged when nothing is close.

        One typo is tried first ('supplemeten' is not 'supplem' + 'meten'), then a compound
        split (each part repaired), then a wider typo margin for long words.
        """
        cached = self._repairs.get(word)
        if cached is not None:
            return cached
        result: tuple[str, ...] = (word,)
        base = _diminutive_base(word)
        if not self.is_known(word) and base is not None and self.is_known(base):
            result = (base,)  # 'krampjes', 'tabletjes': the small form of a known word
        elif not self.is_known(word) and not word.isdigit() and word not in self.stopwords:
            real = is_dutch_word(word)
            sound = None if real else _same_sound(word, self.is_known)
            one_typo = sound or (None if real else self._closest(word, 1))
            parts = self._split(word) if not real and one_typo is None and len(word) >= 7 else None
            if one_typo is not None:
                result = (one_typo,)
            elif parts:
                result = tuple(p if self.is_known(p) else (self._closest(p, 1) or p) for p in parts)
            elif not real:
                result = (self._closest(word, _max_edits(word)) or word,)
        return self._repairs.put(word, result)

    # -- whole texts ----------------------------------------------------------------------------

    def surface_words(self, text: str) -> list[str]:
        """Words after typo repair and compound splitting, before synonyms."""
        out: list[str] = []
        for word in words(text):
            for repaired in self._repair(word):
                out.append(repaired)
                out.extend(self.compound_parts.get(repaired, ()))
        return out

    def _expand_abbreviations(self, tokens: list[str]) -> list[str]:
        """'werkt mag bij rls' means magnesium; 'mag ik' stays the verb."""
        if self.abbreviations.keys().isdisjoint(tokens):
            return tokens
        out = list(tokens)
        for i, token in enumerate(tokens):
            full = self.abbreviations.get(token)
            if full is None:
                continue
            around = tokens[max(i - 1, 0) : i] + tokens[i + 1 : i + 2]
            # Only an abbreviation that is also a word ('mag') needs its neighbours checked.
            if not is_dutch_word(token) or not any(w in self.abbreviation_guards for w in around):
                out[i] = full
        return out

    def _apply_synonyms(self, tokens: list[str]) -> list[str]:
        """Longest synonym first: 'rusteloze benen' → 'rls' before 'benen' alone; a word
        the knowledge does not use may be another form of a synonym ('bereik')."""
        tokens = [
            t if self._knows_whole(t) else self.synonym_stems.get(_stem(t), t)
            for t in self._expand_abbreviations(tokens)
        ]
        if self.synonym_starts.isdisjoint(tokens) and self.synonyms.keys().isdisjoint(tokens):
            return tokens  # most texts: no word starts a synonym
        out: list[str] = []
        i = 0
        while i < len(tokens):
            longest = min(self.max_synonym_words, len(tokens) - i)
            if tokens[i] not in self.synonym_starts:
                longest = 1
            for size in range(longest, 0, -1):
                phrase = tokens[i] if size == 1 else " ".join(tokens[i : i + size])
                canonical = self.synonyms.get(phrase)
                if canonical is not None:
                    out.extend(canonical.split())
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out

    def _knows_whole(self, word: str) -> bool:
        return word in self.vocabulary or word in self.synonyms

    def _without_opener(self, surface: list[str]) -> list[str]:
        """The surface words without an opening 'Beste' ('Beste stichting, ...'), which
        further on means something ('het beste magnesium')."""
        for i, word in enumerate(surface):
            if word in self.openers:
                return surface[:i] + surface[i + 1 :]
            if word not in self.stopwords:
                break
        return surface

    def content_words(self, text: str) -> list[str]:
        """The words that carry meaning, as the knowledge spells them (synonyms applied)."""
        return self.content_words_of(self.surface_words(text))

    def content_words_of(self, surface: list[str]) -> list[str]:
        """content_words of a text whose surface_words are already known."""
        joined = join_separable(self._without_opener(surface), self._knows_whole, self.stopwords)
        tokens = self._apply_synonyms(joined)
        return [
            t
            for i, t in enumerate(tokens)
            if t not in self.stopwords
            and not (t.isdigit() and i + 1 < len(tokens) and tokens[i + 1] in _DURATIONS)
        ]

    def terms(self, text: str) -> list[Term]:
        return self.terms_of(self.content_words(text))

    def terms_of(self, content_words: list[str]) -> list[Term]:
        return [self._term(token) for token in content_words]

    def _term(self, token: str) -> Term:
        """A word's Term depends on the word alone, and the knowledge repeats its words."""
        term = self._terms.get(token)
        if term is None:
            stem = self.stem(token)
            # Not is_dutch_word: a compound of ours ('kuitkramp') must still be split.
            common = commonness(token) or compound_commonness(token) or english_commonness(token)
            ordinary = common > 0 or is_rare_dutch(token)
            term = self._terms.put(token, Term(stem, stem in self.known_stems, ordinary, common))
        return term
