"""The knowledge the bot answers from: immutable, built once per (re)load from knowledge/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from types import MappingProxyType

from bot.crisis_model import ModelSettings


@dataclass(frozen=True)
class Entry:
    """One curated question with its answer, written from the foundation's article."""

    id: str
    topic: str
    question: str
    answer: str
    phrasings: tuple[str, ...]
    examples: tuple[str, ...]
    related: tuple[str, ...]
    source: str
    doctor_advice: bool
    opening_state: bool
    reviewed: date | None
    reviewed_by: str
    file: str
    line: int
    # About supplements or treating RLS: the check wants the 'niet bewezen' caveat and the
    # doctor line, so no answer reads as advice to take magnesium against RLS.
    treatment: bool = False


@dataclass(frozen=True)
class Topic:
    name: str
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class Helpline:
    """Where people can reach a person, and when."""

    name: str
    email: str
    phone: str
    timezone: str
    holidays_country: str
    open_days: frozenset[int]  # 0 = Monday
    opens: time
    closes: time
    hours_text: str


@dataclass(frozen=True)
class UrgentPattern:
    """Words that together, in one sentence and in any order, signal an emergency."""

    name: str
    terms: tuple[tuple[str, ...], ...]  # each term: alternatives; 'x*' prefix, 'x$' clause end
    text: str
    reply: str = "urgent"  # the message in messages.yaml it gets: urgent or urgent_suicide
    # Calm patterns only: it quiets the whole message, not just its own sentence ('het bleek
    # een paniekaanval' after the story); its '!' words are then looked for in every sentence.
    whole_message: bool = False


@dataclass(frozen=True)
class Urgency:
    patterns: tuple[UrgentPattern, ...]
    clause_words: frozenset[str]
    # Sentences that are no emergency although they have heavy words ('vorig jaar had ik een
    # hartinfarct'): each quiets the patterns of its reply in the sentence it is found in.
    calm: tuple[UrgentPattern, ...] = ()
    # Examples for the learned view (bot/crisis_model.py): urgent_suicide, urgent, ordinary.
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    model: ModelSettings = field(default_factory=ModelSettings)
    # The words of a pattern must lie within this many words of each other (0: anywhere in
    # the sentence): a message spoken in has no full stops.
    window: int = 0
    # Words where a sentence turns ('maar', 'want'): a pattern with 'woord$' holds within
    # one stretch between them.
    turns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SmalltalkIntent:
    name: str
    phrasings: tuple[str, ...]
    reply: str


@dataclass(frozen=True)
class OutOfScopeGroup:
    """Questions on one subject the article does not cover ('alcohol'), and the words that
    name it: a message that uses them gets told so plainly, beside what the article does say."""

    subject: str  # as the bot names it: "Over {subject} staat niets in mijn informatie."
    phrasings: tuple[str, ...]
    words: tuple[str, ...] = ()  # words or short phrases that name the subject
    near: tuple[str, ...] = ()  # only beside these entries (none: beside any)
    instead: str = ""  # the article's word for it, read in its place for the rest ('medicijn')
    message: str = "partial"  # the text in messages.yaml that says so


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the matcher; volunteers tune them in knowledge/settings.yaml."""

    answer_threshold: float
    strict_threshold: float
    confirmed_threshold: float
    clarify_threshold: float
    long_message_words: int
    long_message_threshold: float
    answer_margin: float
    max_choices: int
    out_of_scope_margin: float
    unknown_word_weight: float
    smalltalk_similarity: float
    tie_margin: float = 0.005  # more than a dead heat of words, where two views agree
    confirmed_out_of_scope_slack: float = 0.1  # how far the out-of-scope questions may lead
    choice_window: float = 0.2  # a choice offers the entries this close to the best
    detail_threshold: float = 0.5  # beside an unknown word that is only a detail
    # An out-of-scope phrasing about a subject the message does not name counts this much.
    other_subject_weight: float = 1.0
    # Smoothing of the learned view on the phrasings (bot/phrasing_model.py).
    learned_smoothing: float = 0.1


@dataclass(frozen=True)
class Knowledge:
    entries: tuple[Entry, ...]
    topics: tuple[Topic, ...]
    helpline: Helpline
    messages: Mapping[str, str]
    day_names: tuple[str, ...]  # Monday first
    month_names: tuple[str, ...]
    synonyms: Mapping[str, str]  # variant (normalised) -> canonical (normalised)
    stopwords: frozenset[str]
    openers: frozenset[str]  # 'beste': said nothing as the first word ('Beste stichting, ...')
    refer_back: frozenset[str]  # 'daar', 'dat': a question with these needs the sentence before
    abbreviations: Mapping[str, str]  # 'mag' → 'magnesium', unless a guard word stands next to it
    abbreviation_guards: frozenset[str]
    urgency: Urgency
    smalltalk: tuple[SmalltalkIntent, ...]
    settings: MatchSettings
    out_of_scope: tuple[str, ...] = ()  # questions the article does not answer: refer
    # Hard words the check warns about, each with plainer words to use: (word, instead).
    jargon: tuple[tuple[str, str], ...] = ()
    out_of_scope_groups: tuple[OutOfScopeGroup, ...] = ()  # ...those of them with a subject
    # 'ik vraag me af': what follows is a question, also inside a story without punctuation
    question_cues: tuple[str, ...] = ()
    by_id: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", MappingProxyType({e.id: e for e in self.entries}))
