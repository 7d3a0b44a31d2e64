"""Load knowledge/ into an immutable Knowledge, or explain exactly what to fix."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.crisis_model import ModelSettings
from bot.knowledge import (
    Entry,
    Helpline,
    Knowledge,
    MatchSettings,
    OutOfScopeGroup,
    SmalltalkIntent,
    Topic,
    Urgency,
    UrgentPattern,
)
from bot.problems import Problem, ProblemList
from bot.schema import (
    BOOL,
    DATE,
    ID_PATTERN,
    LIST,
    MAPPING,
    MAX_TEXT_CHARS,
    NUMBER,
    TEXT,
    TEXTS,
    WHOLE,
    Field,
    check_fields,
    check_placeholders,
)
from bot.text import normalise
from bot.yamlfile import ReadBudget, YamlList, YamlMap, read_yaml

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

# Every text the bot says itself; the words live in knowledge/messages.yaml.
MESSAGE_KEYS = (
    "welcome",
    "help",
    "disclaimer",
    "privacy",
    "privacy_nothing_stored",
    "contact",
    "referral",
    "not_understood",
    "clarify",
    "non_text",
    "urgent",
    "urgent_suicide",
    "care_note",
    "doctor_advice",
    "source_line",
    "related_intro",
    "open_now",
    "closed_now",
    "when_today",
    "when_tomorrow",
    "when_weekday",
    "when_date",
    "topics_intro",
    "topic_intro",
    "unknown_button",
    "error",
    "group_hint",
    "button_useful",
    "button_not_useful",
    "button_topics",
    "feedback_thanks",
    "not_admin",
    "private_only",
    "reload_done",
    "reload_refused",
    "reload_unchanged",
    "stats_unavailable",
    "command_start",
    "command_help",
    "command_onderwerpen",
    "command_contact",
    "command_privacy",
    "partial",
    "partial_dose",
    "partial_known",
    "workspace_link",
    "workspace_not_editor",
    "workspace_private_only",
    "workspace_off",
)
LIST_MESSAGE_KEYS = ("day_names", "month_names")
PLACEHOLDERS = frozenset(
    {"naam", "email", "telefoon", "openingstijden", "tijd", "sluit", "dag", "datum", "wanneer"}
    | {"bron", "onderwerp", "aantal", "fouten"}
)
# Limits well above today's knowledge (28 questions, 1,255 phrasings, at most 55 per
# question) and the 10,000-phrasing FAQ of the benchmark (500 questions of 20): more would
# make loading and answering slow, and is a mistake or an attack rather than knowledge.
MAX_FAQ_FILES = 100
MAX_ENTRIES = 2000
MAX_PER_ENTRY = 200  # phrasings, and examples, of one question
MAX_PHRASINGS = 20_000  # phrasings of all questions together
MAX_OUT_OF_SCOPE = 5000
MAX_ID_LENGTH = 48  # a button's data holds 'a:' + id within Telegram's 64 bytes
DAY_NAMES = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")

ENTRY_FIELDS = {
    "id": Field(TEXT),
    "question": Field(TEXT),
    "answer": Field(TEXT),
    "phrasings": Field(TEXTS),
    "examples": Field(TEXTS, required=False),
    "related": Field(TEXTS, required=False),
    "source": Field(TEXT),
    "doctor_advice": Field(BOOL, required=False),
    "opening_state": Field(BOOL, required=False),
    "treatment": Field(BOOL, required=False),
    "reviewed": Field(DATE, required=False),
    "reviewed_by": Field(TEXT, required=False),
}
FAQ_FILE_FIELDS = {
    "topic": Field(TEXT),
    "order": Field(WHOLE, required=False),
    "entries": Field(LIST),
}
HELPLINE_FIELDS = {
    "name": Field(TEXT),
    "email": Field(TEXT),
    "phone": Field(TEXT),
    "timezone": Field(TEXT),
    "holidays": Field(TEXT),
    "days": Field(TEXTS),
    "opens": Field(TEXT),
    "closes": Field(TEXT),
    "hours_text": Field(TEXT),
}
MATCHING_FIELDS = {
    "answer_threshold": Field(NUMBER),
    "strict_threshold": Field(NUMBER),
    "confirmed_threshold": Field(NUMBER),
    "clarify_threshold": Field(NUMBER),
    "long_message_words": Field(WHOLE),
    "long_message_threshold": Field(NUMBER),
    "answer_margin": Field(NUMBER),
    "max_choices": Field(WHOLE),
    "out_of_scope_margin": Field(NUMBER),
    "unknown_word_weight": Field(NUMBER),
    "smalltalk_similarity": Field(NUMBER),
    "tie_margin": Field(NUMBER, required=False),
    "confirmed_out_of_scope_slack": Field(NUMBER, required=False),
    "choice_window": Field(NUMBER, required=False),
    "detail_threshold": Field(NUMBER, required=False),
    "other_subject_weight": Field(NUMBER, required=False),
    "learned_smoothing": Field(NUMBER, required=False),
}


@dataclass(frozen=True)
class Range:
    """The values a setting may have; ``above`` excludes the lowest value itself."""

    low: float
    high: float
    above: bool = False

    def holds(self, value: float) -> bool:
        low_ok = value > self.low if self.above else value >= self.low
        return low_ok and value <= self.high  # also False for .nan

    def text(self) -> str:
        low = f"groter dan {_number(self.low)}" if self.above else f"minstens {_number(self.low)}"
        return f"{low} en hoogstens {_number(self.high)}"


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


# Each threshold is a score from 0 to 1; the margins a difference of scores.
MATCHING_RANGES = {
    "answer_threshold": Range(0, 1, above=True),
    "strict_threshold": Range(0, 1, above=True),
    "confirmed_threshold": Range(0, 1, above=True),
    "clarify_threshold": Range(0, 1, above=True),
    "long_message_words": Range(1, 1000),
    "long_message_threshold": Range(0, 1, above=True),
    "detail_threshold": Range(0, 1, above=True),
    "answer_margin": Range(0, 1),
    "max_choices": Range(1, 10),
    "out_of_scope_margin": Range(-1, 1),
    "unknown_word_weight": Range(0, 50),
    "smalltalk_similarity": Range(60, 100),  # rapidfuzz 0-100; lower takes questions for greetings
    "tie_margin": Range(0, 0.5),
    "confirmed_out_of_scope_slack": Range(0, 1),
    "choice_window": Range(0, 1),
    "other_subject_weight": Range(0, 1),
    "learned_smoothing": Range(0, 10, above=True),
}
# (lower, higher, why): settings whose order matters for decide() in bot/core.py.
MATCHING_ORDER = (
    ("answer_threshold", "strict_threshold", "een onbekend woord vraagt juist een hogere score"),
    (
        "confirmed_threshold",
        "answer_threshold",
        "kiezen beide blikken hetzelfde, dan is minder genoeg",
    ),
    ("long_message_threshold", "answer_threshold", "een lang verhaal verdunt de score"),
    ("clarify_threshold", "answer_threshold", "daaronder vraagt de bot: bedoel je een van deze?"),
    (
        "detail_threshold",
        "strict_threshold",
        "een onbekend woord dat alleen een detail is, vraagt niet meer dan een onbekend onderwerp",
    ),
)
REVIEW_RANGES = {"max_age_days": Range(1, 36_500), "max_answer_chars": Range(100, MAX_TEXT_CHARS)}
REVIEW_FIELDS = {"max_age_days": Field(WHOLE), "max_answer_chars": Field(WHOLE)}
STOPWORD_FIELDS = {
    "stopwords": Field(TEXTS),
    "openers": Field(TEXTS, required=False),
    "refer_back": Field(TEXTS, required=False),
    "question_cues": Field(TEXTS, required=False),
}
SYNONYM_FIELDS = {
    "synonyms": Field(MAPPING),
    "abbreviations": Field(MAPPING, required=False),
    "unless_next_to": Field(TEXTS, required=False),
}
SETTINGS_FIELDS = {"matching": Field(MAPPING), "review": Field(MAPPING, required=False)}
URGENT_FIELDS = {
    "words": Field(MAPPING, required=False),
    "clause_words": Field(TEXTS),
    "turns": Field(TEXTS, required=False),
    "window": Field(WHOLE, required=False),
    "patterns": Field(LIST),
    "calm": Field(LIST, required=False),
    "model": Field(MAPPING, required=False),
}
URGENT_GROUP_FIELDS = {
    "name": Field(TEXT),
    "reply": Field(TEXT, required=False),
    "scope": Field(TEXT, required=False),
    "phrases": Field(TEXTS),
}
MODEL_FIELDS = {
    "smoothing": Field(NUMBER),
    "false_alarms": Field(NUMBER),
    "care_notes": Field(NUMBER, required=False),
}
# Each file of urgent_examples/ holds one or more of these kinds; together they hold them all.
EXAMPLE_FIELDS = {
    "urgent_suicide": Field(TEXTS, required=False),
    "urgent": Field(TEXTS, required=False),
    "ordinary": Field(TEXTS, required=False),
    "stories": Field(TEXTS, required=False),
}
EXAMPLES_FOLDER = "urgent_examples"
CALM_GROUP_FIELDS = {
    "name": Field(TEXT),
    "quiets": Field(TEXTS, required=False),
    "scope": Field(TEXT, required=False),
    "phrases": Field(TEXTS),
}
# Where a group's phrases hold (or, for a calm group, quiet the alarm): in one sentence, or in
# the whole message.
CALM_SCOPES = ("zin", "bericht")
# The urgent replies, and what each must always say, whatever a volunteer writes: an emergency
# reply without 112, or a reply to thoughts of suicide without 113, must never reach anyone.
URGENT_REPLIES = {"urgent": ("112", "0800-0113"), "urgent_suicide": ("113", "0800-0113", "112")}
# The note below a reply to someone who may be thinking of suicide names 113 just as surely.
MUST_SAY = {**URGENT_REPLIES, "care_note": ("113", "0800-0113")}
OUT_OF_SCOPE_FIELDS = {"phrasings": Field(TEXTS), "groups": Field(LIST, required=False)}
OUT_OF_SCOPE_GROUP_FIELDS = {
    "subject": Field(TEXT),
    "message": Field(TEXT, required=False),
    "words": Field(TEXTS, required=False),
    "near": Field(TEXTS, required=False),
    "instead": Field(TEXT, required=False),
    "phrasings": Field(TEXTS),
}
_GROUP_LISTS = ("phrasings", "words", "near")
PARTIAL_MESSAGES = ("partial", "partial_dose")  # what a group in out_of_scope.yaml may say
SMALLTALK_FIELDS = {"intents": Field(LIST)}
INTENT_FIELDS = {"name": Field(TEXT), "phrasings": Field(TEXTS), "reply": Field(TEXT)}


@cache
def _holiday_countries() -> frozenset[str]:
    """The country codes the holidays library knows, asked once per process."""
    return frozenset(holidays.list_supported_countries())


@dataclass(frozen=True)
class ReviewSettings:
    max_age_days: int = 730
    max_answer_chars: int = 900


class WordMap(NamedTuple):
    """What synonyms.yaml and stopwords.yaml say about words."""

    synonyms: dict[str, str]
    stopwords: frozenset[str]
    openers: frozenset[str]
    abbreviations: dict[str, str]
    guards: frozenset[str]
    refer_back: frozenset[str]
    question_cues: tuple[str, ...]


@dataclass(frozen=True)
class LoadResult:
    """The knowledge if it has no errors (None otherwise), and every problem found."""

    knowledge: Knowledge | None
    problems: tuple[Problem, ...]
    review: ReviewSettings = ReviewSettings()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "fout"]


class _Reader:
    """Reads one knowledge folder; each method handles one file and records its problems."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems = ProblemList()
        # Files that could not be read (missing, broken YAML, empty): already reported once.
        self.unreadable: set[str] = set()
        # Entries that could not be loaded: links to them are not reported as unknown.
        self.broken_ids: set[str] = set()
        self.faq_complete = True
        self.budget = ReadBudget()  # bytes all files together may still take

    def shown(self, path: Path) -> str:
        try:
            return str(Path(self.folder.name) / path.relative_to(self.folder))
        except ValueError:
            return str(path)

    def read(self, name: str) -> tuple[Any, str]:
        path = self.folder / name
        shown = self.shown(path)
        if not os.path.lexists(path):
            self.problems.error(shown, None, "Dit bestand ontbreekt.", "Zet het bestand terug.")
            self.unreadable.add(shown)
            return None, shown
        data = self.parse(path, shown)
        if data is None and shown not in self.unreadable:
            self.problems.error(shown, 1, "Dit bestand is leeg.", "Zet de inhoud terug.")
            self.unreadable.add(shown)
        return data, shown

    def parse(self, path: Path, shown: str) -> Any:
        """The file's data; None (and ``shown`` marked unreadable) when it could not be read."""
        before = len(self.problems.items)
        data = read_yaml(path, shown, self.problems, self.folder, self.budget)
        if data is None and len(self.problems.items) > before:
            self.unreadable.add(shown)
        return data

    def parse_part(self, path: Path, what: str) -> tuple[Any, str, bool]:
        """One file of a folder of several (faq/, urgent_examples/): its data, its name, and
        whether it is empty. An empty one may simply go, so it is only a warning."""
        file = self.shown(path)
        data = self.parse(path, file)
        empty = data is None and file not in self.unreadable
        if empty:
            self.problems.warning(
                file, 1, "Dit bestand is leeg.", f"Zet {what} terug, of verwijder het bestand."
            )
        return data, file, empty

    def fields(self, data: Any, fields: dict[str, Field], file: str, what: str) -> bool:
        """check_fields for a whole file, without a second report for a file already reported."""
        if data is None and file in self.unreadable:
            return False
        return check_fields(data, fields, file, self.problems, what)

    # -- the files ---------------------------------------------------------------------------

    def settings(self) -> tuple[MatchSettings | None, ReviewSettings]:
        data, file = self.read("settings.yaml")
        review = ReviewSettings()
        if not self.fields(data, SETTINGS_FIELDS, file, "settings.yaml"):
            return None, review
        matching = data["matching"]
        ok = check_fields(matching, MATCHING_FIELDS, file, self.problems, "'matching'")
        if (
            "review" in data
            and check_fields(data["review"], REVIEW_FIELDS, file, self.problems, "'review'")
            and self.in_range(data["review"], REVIEW_RANGES, file)
        ):
            review = ReviewSettings(**{k: data["review"][k] for k in REVIEW_FIELDS})
        if not ok or not self.in_range(matching, MATCHING_RANGES, file):
            return None, review
        for lower, higher, why in MATCHING_ORDER:
            if lower in matching and higher in matching and matching[lower] > matching[higher]:
                self.problems.error(
                    file,
                    matching.line_of(lower),
                    f"'{lower}' ({_number(matching[lower])}) mag niet hoger zijn dan "
                    f"'{higher}' ({_number(matching[higher])}): {why}.",
                    f"Maak '{lower}' lager of '{higher}' hoger; zet bij twijfel de vorige "
                    "waarden terug.",
                )
                ok = False
        if not ok:
            return None, review
        return MatchSettings(**{k: matching[k] for k in MATCHING_FIELDS if k in matching}), review

    def in_range(self, block: YamlMap, ranges: dict[str, Range], file: str) -> bool:
        """Every number of the block within its range (the fields are already checked)."""
        ok = True
        for name, allowed in ranges.items():
            if name in block and not allowed.holds(block[name]):
                self.problems.error(
                    file,
                    block.line_of(name),
                    f"'{name}' is {_number(block[name])}, maar moet {allowed.text()} zijn.",
                    "Zet bij twijfel de vorige waarde terug; kijk in de uitleg erboven.",
                )
                ok = False
        return ok

    def helpline(self) -> Helpline | None:
        data, file = self.read("helpline.yaml")
        if isinstance(data, YamlMap):
            for key in ("opens", "closes"):
                value = data.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    # Without quotes YAML reads 19:00 as a number of minutes (1140).
                    data[key] = f"{value // 60:02d}:{value % 60:02d}"
                    self.problems.error(
                        file,
                        data.line_of(key),
                        f"De tijd bij '{key}' staat niet tussen aanhalingstekens, en wordt dan "
                        "als getal gelezen.",
                        f'Schrijf de tijd tussen aanhalingstekens: {key}: "{data[key]}"',
                    )
        if not self.fields(data, HELPLINE_FIELDS, file, "helpline.yaml"):
            return None
        ok = True
        try:
            ZoneInfo(data["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            self.problems.error(
                file,
                data.line_of("timezone"),
                f"De tijdzone '{data['timezone']}' bestaat niet.",
                "Gebruik Europe/Amsterdam.",
            )
            ok = False
        if data["holidays"] not in _holiday_countries():
            self.problems.error(
                file, data.line_of("holidays"), "Onbekend land voor feestdagen.", "Gebruik NL."
            )
            ok = False
        days = []
        for i, day in enumerate(data["days"]):
            if str(day).lower() in DAY_NAMES:
                days.append(DAY_NAMES.index(str(day).lower()))
            else:
                self.problems.error(
                    file,
                    data["days"].line_of(i),
                    f"'{day}' is geen dag.",
                    f"Gebruik {', '.join(DAY_NAMES)}.",
                )
                ok = False
        opens, closes = self._time(data, "opens", file), self._time(data, "closes", file)
        if opens is None or closes is None:
            return None
        if opens >= closes:
            self.problems.error(
                file, data.line_of("closes"), "De lijn sluit eerder dan hij opengaat."
            )
            ok = False
        for name in ("opens", "closes"):
            if data[name] not in data["hours_text"]:
                self.problems.warning(
                    file,
                    data.line_of("hours_text"),
                    f"hours_text noemt {data[name]} niet; klopt de tekst nog met de tijden?",
                )
        if not ok:
            return None
        return Helpline(
            name=data["name"],
            email=data["email"].strip(),
            phone=str(data["phone"]).strip(),
            timezone=data["timezone"],
            holidays_country=data["holidays"],
            open_days=frozenset(days),
            opens=opens,
            closes=closes,
            hours_text=data["hours_text"].strip(),
        )

    def _time(self, data: YamlMap, key: str, file: str) -> time | None:
        try:
            return datetime.strptime(str(data[key]).strip(), "%H:%M").time()
        except ValueError:
            self.problems.error(
                file,
                data.line_of(key),
                f"'{data[key]}' is geen tijd.",
                'Schrijf de tijd als "19:00", tussen aanhalingstekens.',
            )
            return None

    def messages(self) -> tuple[dict[str, str], dict[str, tuple[str, ...]]] | None:
        data, file = self.read("messages.yaml")
        fields = {k: Field(TEXT) for k in MESSAGE_KEYS} | {
            k: Field(TEXTS) for k in LIST_MESSAGE_KEYS
        }
        if isinstance(data, YamlMap):
            for key in data:
                if key not in fields:
                    self.problems.warning(
                        file,
                        data.line_of(key),
                        f"Het bericht '{key}' wordt nergens gebruikt.",
                        "Kijk of de naam goed gespeld is.",
                    )
            fields |= {k: Field(TEXT) for k in data if k not in fields}
        if not self.fields(data, fields, file, "messages.yaml"):
            return None
        for key in MESSAGE_KEYS:
            check_placeholders(data[key], PLACEHOLDERS, file, data.line_of(key), self.problems)
        for key, musts in MUST_SAY.items():
            missing = [must for must in musts if must not in data[key]]
            if missing:
                self.problems.error(
                    file,
                    data.line_of(key),
                    f"Het bericht '{key}' noemt {' en '.join(missing)} niet.",
                    "Wie in nood is, moet deze nummers altijd te zien krijgen. Zet ze terug.",
                )
        names = {}
        for key, size in (("day_names", 7), ("month_names", 12)):
            if len(data[key]) != size:
                self.problems.error(
                    file, data.line_of(key), f"'{key}' moet precies {size} namen hebben."
                )
                return None
            names[key] = tuple(str(v) for v in data[key])
        return {k: data[k].strip() for k in MESSAGE_KEYS}, names

    def word_map(self) -> WordMap | None:
        """Synonyms, stop words, abbreviations with their guards, words that refer back and
        words that open a question."""
        synonyms_data, syn_file = self.read("synonyms.yaml")
        stop_data, stop_file = self.read("stopwords.yaml")
        ok = self.fields(synonyms_data, SYNONYM_FIELDS, syn_file, "synonyms.yaml")
        ok &= self.fields(stop_data, STOPWORD_FIELDS, stop_file, "stopwords.yaml")
        if not ok:
            return None
        synonyms: dict[str, str] = {}
        seen_at: dict[str, str] = {}
        table = synonyms_data["synonyms"]
        for canonical, variants in table.items():
            line = table.line_of(canonical)
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                self.problems.error(
                    syn_file,
                    line,
                    f"Bij '{canonical}' hoort een lijst met woorden.",
                    "Schrijf bijvoorbeeld: rls: [rusteloze benen, onrustige benen]",
                )
                ok = False
                continue
            target = normalise(canonical)
            for variant in variants:
                key = normalise(variant)
                if key in seen_at and seen_at[key] != target:
                    self.problems.error(
                        syn_file,
                        line,
                        f"'{variant}' staat als synoniem bij zowel '{seen_at[key]}' als "
                        f"'{canonical}'.",
                        "Een woord hoort bij één begrip; haal het bij een van de twee weg.",
                    )
                    ok = False
                seen_at[key] = target
                if key and key != target:
                    synonyms[key] = target
        stopwords = frozenset(normalise(str(w)) for w in stop_data["stopwords"])
        abbreviations = {
            normalise(str(k)): normalise(str(v))
            for k, v in (synonyms_data.get("abbreviations") or {}).items()
        }
        guards = frozenset(normalise(str(w)) for w in synonyms_data.get("unless_next_to") or ())
        refer_back = frozenset(normalise(str(w)) for w in stop_data.get("refer_back") or ())
        openers = frozenset(normalise(str(w)) for w in stop_data.get("openers") or ())
        cues = tuple(
            dict.fromkeys(
                c for w in stop_data.get("question_cues") or () if (c := normalise(str(w)))
            )
        )
        return (
            WordMap(synonyms, stopwords, openers, abbreviations, guards, refer_back, cues)
            if ok
            else None
        )

    def urgency(self) -> Urgency | None:
        data, file = self.read("urgent.yaml")
        if not self.fields(data, URGENT_FIELDS, file, "urgent.yaml"):
            return None
        lists = self._word_lists(data.get("words"), file)
        patterns = self._urgent_groups(data["patterns"], file, "patroon", "reply", lists)
        if not patterns:
            self.problems.error(file, data.line, "Er staan geen bruikbare noodpatronen in.")
            return None
        calm = self._urgent_groups(data.get("calm") or [], file, "rustig", "quiets", lists)
        model = ModelSettings()
        if data.get("model") is not None and check_fields(
            data["model"], MODEL_FIELDS, file, self.problems, "model", data.line_of("model")
        ):
            model = ModelSettings(**{k: float(v) for k, v in data["model"].items()})
            for key, low, high in (
                ("smoothing", 0.01, 10.0),
                ("false_alarms", 0.0, 0.2),
                ("care_notes", 0.0, 0.5),
            ):
                if not low <= getattr(model, key) <= high:
                    self.problems.error(
                        file,
                        data["model"].line_of(key),
                        f"'{key}' moet tussen {low} en {high} liggen.",
                    )
        window = int(data.get("window") or 0)
        if not 0 <= window <= 100:
            self.problems.error(
                file, data.line_of("window"), "'window' moet tussen 0 en 100 liggen."
            )
            window = 0
        return Urgency(
            tuple(patterns),
            frozenset(normalise(str(w)) for w in data["clause_words"]),
            tuple(calm),
            self.urgent_examples(),
            model,
            window,
            frozenset(normalise(str(w)) for w in data.get("turns") or ()),
        )

    def urgent_examples(self) -> dict[str, tuple[str, ...]]:
        """Optional: example messages the learned view of emergencies is trained on, in the
        files of urgent_examples/ (one per kind, so that no file outgrows what the bot reads
        of one file), or in one urgent_examples.yaml as before."""
        folder = self.folder / EXAMPLES_FOLDER
        paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        if (self.folder / "urgent_examples.yaml").is_file():
            paths.insert(0, self.folder / "urgent_examples.yaml")
        found: dict[str, list[str]] = {kind: [] for kind in EXAMPLE_FIELDS}
        for path in paths:
            data, file, empty = self.parse_part(path, "de voorbeelden")
            if empty:
                continue
            if self.fields(data, EXAMPLE_FIELDS, file, "Een bestand met voorbeelden"):
                for kind in EXAMPLE_FIELDS:
                    found[kind].extend(str(t) for t in data.get(kind) or ())
        return {kind: tuple(texts) for kind, texts in found.items()} if paths else {}

    def _word_lists(self, data: object, file: str) -> dict[str, tuple[str, ...]]:
        """Named lists of words ('@dood' in a phrase stands for every word of the list dood),
        so a crisis lexicon is kept by concept and grows in one place."""
        if not data:
            return {}
        if not isinstance(data, YamlMap):
            self.problems.error(file, getattr(data, "line", None), "words moet een blok zijn.")
            return {}
        lists = {}
        for name, words in data.items():
            if not isinstance(words, list) or not words:
                self.problems.error(
                    file, data.line_of(name), f"Bij '{name}' hoort een lijst met woorden."
                )
                continue
            lists[str(name)] = tuple("_".join(str(w).lower().split()) for w in words)
        return lists

    def _not_one_of(self, file: str, line: int | None, wrong: str, allowed: Iterable[str]) -> None:
        """A value that must be one of a few names is not: say which it may be."""
        self.problems.error(file, line, wrong, f"Kies uit: {', '.join(allowed)}.")

    def _urgent_groups(
        self,
        groups: list,
        file: str,
        what: str,
        tier_field: str,
        lists: dict[str, tuple[str, ...]],
    ) -> list[UrgentPattern]:
        """The phrases of each group, with the urgent reply they give (patterns) or quiet
        (calm groups: a sentence that is no emergency although it has heavy words)."""
        fields = URGENT_GROUP_FIELDS if tier_field == "reply" else CALM_GROUP_FIELDS
        found: list[UrgentPattern] = []
        for i, group in enumerate(groups):
            line = groups.line_of(i) if isinstance(groups, YamlList) else None
            if not check_fields(group, fields, file, self.problems, f"{what} {i + 1}", line):
                continue
            tiers = group.get(tier_field) or ["urgent"]
            tiers = [tiers] if isinstance(tiers, str) else [str(t) for t in tiers]
            unknown = [t for t in tiers if t not in URGENT_REPLIES]
            if unknown:
                wrong = f"'{unknown[0]}' is geen noodbericht."
                self._not_one_of(file, group.line_of(tier_field), wrong, URGENT_REPLIES)
                continue
            scope = str(group.get("scope") or "zin")
            if scope not in CALM_SCOPES:
                self._not_one_of(
                    file, group.line_of("scope"), f"'{scope}' is geen bereik.", CALM_SCOPES
                )
                continue
            for j, phrase in enumerate(group["phrases"]):
                unknown_lists = {
                    name
                    for name in re.findall(r"@([a-z0-9-]+)", str(phrase).lower())
                    if name not in lists
                }
                if unknown_lists:
                    self.problems.error(
                        file,
                        group["phrases"].line_of(j),
                        f"De woordenlijst '@{sorted(unknown_lists)[0]}' bestaat niet.",
                        f"Bekend onder words: {', '.join('@' + n for n in lists) or 'geen'}.",
                    )
                    continue
                terms = tuple(
                    tuple(a for alt in term.split("|") if alt for a in _with_lists(alt, lists))
                    for term in str(phrase).lower().split()
                )
                if (
                    not terms
                    or any(not alt.strip("*$") for term in terms for alt in term)
                    or any(not t for t in terms)
                ):
                    self.problems.error(
                        file,
                        group["phrases"].line_of(j),
                        f"Het patroon '{phrase}' is leeg of onjuist.",
                    )
                    continue
                found.extend(
                    UrgentPattern(group["name"], terms, str(phrase), t, scope == "bericht")
                    for t in tiers
                )
        return found

    def smalltalk(self) -> tuple[SmalltalkIntent, ...] | None:
        data, file = self.read("smalltalk.yaml")
        if not self.fields(data, SMALLTALK_FIELDS, file, "smalltalk.yaml"):
            return None
        intents = []
        for i, item in enumerate(data["intents"]):
            line = data["intents"].line_of(i)
            if check_fields(item, INTENT_FIELDS, file, self.problems, f"intent {i + 1}", line):
                check_placeholders(
                    item["reply"], PLACEHOLDERS, file, item.line_of("reply"), self.problems
                )
                phrasings = tuple(str(p) for p in item["phrasings"])
                intents.append(SmalltalkIntent(item["name"], phrasings, item["reply"].strip()))
        return tuple(intents)

    def out_of_scope(self) -> tuple[tuple[str, ...], tuple[OutOfScopeGroup, ...]]:
        """Optional: phrasings of questions the article does not answer, loose and in
        groups with a subject; every phrasing, grouped or not, in the first tuple."""
        if not os.path.lexists(self.folder / "out_of_scope.yaml"):
            return (), ()
        data, file = self.read("out_of_scope.yaml")
        if not check_fields(data, OUT_OF_SCOPE_FIELDS, file, self.problems, "out_of_scope.yaml"):
            return (), ()
        groups = []
        for item in data.get("groups") or ():
            what = "een groep in out_of_scope.yaml"
            if check_fields(item, OUT_OF_SCOPE_GROUP_FIELDS, file, self.problems, what):
                texts = {k: tuple(str(v).strip() for v in item.get(k) or ()) for k in _GROUP_LISTS}
                message = str(item.get("message") or "partial")
                if message not in PARTIAL_MESSAGES:
                    wrong = f"Het bericht '{message}' bestaat niet voor een groep."
                    self._not_one_of(file, item.line_of("message"), wrong, PARTIAL_MESSAGES)
                    continue
                subject = str(item["subject"]).strip()
                instead = str(item.get("instead") or "").strip()
                groups.append(OutOfScopeGroup(subject, **texts, message=message, instead=instead))
        loose = tuple(str(p).strip() for p in data["phrasings"])
        every = loose + tuple(p for g in groups for p in g.phrasings)
        if len(every) > MAX_OUT_OF_SCOPE:
            self.problems.error(
                file,
                data.line_of("phrasings"),
                f"Er staan {len(every)} vragen in; de bot neemt er hoogstens {MAX_OUT_OF_SCOPE}.",
                "Haal vragen weg die er dubbel of niet in horen.",
            )
            return (), ()
        return every, tuple(groups)

    def jargon(self) -> tuple[tuple[str, str], ...]:
        """Optional: hard words the check warns about, each with plainer words to use."""
        if not (self.folder / "jargon.yaml").is_file():
            return ()
        data, file = self.read("jargon.yaml")
        if not self.fields(data, {"jargon": Field(MAPPING)}, file, "jargon.yaml"):
            return ()
        table = data["jargon"]
        words = []
        for word, instead in table.items():
            if not str(word).strip() or not isinstance(instead, str) or not instead.strip():
                self.problems.error(
                    file,
                    table.line_of(word),
                    f"Bij het moeilijke woord '{word}' hoort een tekst met gewone woorden.",
                    "Schrijf bijvoorbeeld: suppletie: supplementen, of extra magnesium slikken",
                )
                continue
            words.append((normalise(str(word)), instead.strip()))
        return tuple(words)

    def faq(self) -> tuple[tuple[Entry, ...], tuple[Topic, ...]]:
        folder = self.folder / "faq"
        files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        if not files:
            self.problems.error(
                self.shown(folder),
                None,
                "Er staan geen vragen (faq/*.yaml).",
                "Zet de vragenbestanden (zoals tekort.yaml) terug in deze map.",
            )
        if len(files) > MAX_FAQ_FILES:
            self.problems.error(
                self.shown(folder),
                None,
                f"In faq/ staan {len(files)} bestanden; de bot leest er hoogstens {MAX_FAQ_FILES}.",
                "Haal bestanden weg die er niet in horen, of voeg onderwerpen samen.",
            )
            self.faq_complete = False
            files = []
        entries: list[Entry] = []
        topics: list[tuple[int, str, Topic]] = []
        phrasings = 0
        full = False  # a limit was reached: the rest is not read
        for path in files:
            if full:
                break
            data, file, empty = self.parse_part(path, "de vragen")
            if empty:
                continue
            if not self.fields(data, FAQ_FILE_FIELDS, file, "het bestand"):
                self.faq_complete = False
                continue
            ids = []
            for i, item in enumerate(data["entries"]):
                line = data["entries"].line_of(i)
                entry = self.entry(item, data["topic"], file, line, i)
                if entry and not self.room_for(entry, len(entries), phrasings):
                    full, self.faq_complete = True, False
                    break
                if entry:
                    phrasings += len(entry.phrasings)
                    entries.append(entry)
                    ids.append(entry.id)
                elif isinstance(item, YamlMap) and isinstance(item.get("id"), str):
                    self.broken_ids.add(item["id"])
                else:
                    self.faq_complete = False
            topics.append((data.get("order", 100), file, Topic(data["topic"].strip(), tuple(ids))))
        self.cross_check(entries)
        return tuple(entries), tuple(t for _, _, t in sorted(topics, key=lambda t: t[:2]))

    def room_for(self, entry: Entry, entries: int, phrasings: int) -> bool:
        """False (and the error) when this entry is one too many: the rest is not read."""
        if entries < MAX_ENTRIES and phrasings + len(entry.phrasings) <= MAX_PHRASINGS:
            return True
        what = (
            f"meer dan {MAX_ENTRIES} vragen"
            if entries >= MAX_ENTRIES
            else f"meer dan {MAX_PHRASINGS} formuleringen"
        )
        self.problems.error(
            entry.file,
            entry.line,
            f"Met '{entry.id}' staan er in faq/ samen {what}; meer neemt de bot niet. "
            "Vanaf hier zijn de vragen niet gelezen.",
            "Haal vragen of formuleringen weg die er niet in horen, zoals een dubbele kopie.",
        )
        return False

    def entry(self, item: Any, topic: str, file: str, line: int, index: int) -> Entry | None:
        what = f"vraag {index + 1}"
        if isinstance(item, YamlMap) and isinstance(item.get("id"), str):
            what = f"vraag '{item['id']}'"
        if not check_fields(item, ENTRY_FIELDS, file, self.problems, what, line):
            return None
        if not ID_PATTERN.match(item["id"]) or len(item["id"]) > MAX_ID_LENGTH:
            self.problems.error(
                file,
                item.line_of("id"),
                f"Het id '{item['id']}' mag alleen kleine letters, cijfers en streepjes bevatten "
                f"(hoogstens {MAX_ID_LENGTH} tekens).",
                "Bijvoorbeeld: id: magnesium-en-slaap",
            )
            return None
        check_placeholders(
            item["answer"], PLACEHOLDERS, file, item.line_of("answer"), self.problems
        )
        for name in ("phrasings", "examples"):
            count = len(item.get(name) or ())
            if count > MAX_PER_ENTRY:
                self.problems.error(
                    file,
                    item.line_of(name),
                    f"{what} heeft {count} regels bij '{name}'; de bot neemt er hoogstens "
                    f"{MAX_PER_ENTRY} per vraag.",
                    "Houd de regels die het meest van elkaar verschillen, of maak er twee "
                    "vragen van.",
                )
                return None
        reviewed = item.get("reviewed")
        return Entry(
            id=item["id"],
            topic=topic.strip(),
            question=item["question"].strip(),
            answer=item["answer"].strip(),
            phrasings=tuple(str(p).strip() for p in item["phrasings"]),
            examples=tuple(str(p).strip() for p in item.get("examples") or ()),
            related=tuple(str(r).strip() for r in item.get("related") or ()),
            source=item["source"].strip(),
            doctor_advice=bool(item.get("doctor_advice", False)),
            opening_state=bool(item.get("opening_state", False)),
            treatment=bool(item.get("treatment", False)),
            reviewed=reviewed,
            reviewed_by=(item.get("reviewed_by") or "").strip(),
            file=file,
            line=item.line or line,
        )

    def cross_check(self, entries: list[Entry]) -> None:
        """Checks that need all entries: duplicate ids and phrasings, links to unknown ids."""
        first: dict[str, Entry] = {}
        for entry in entries:
            if entry.id in first:
                other = first[entry.id]
                self.problems.error(
                    entry.file,
                    entry.line,
                    f"Het id '{entry.id}' bestaat al ({other.file}:{other.line}).",
                    "Geef een van de twee vragen een ander, uniek id.",
                )
            else:
                first[entry.id] = entry
        owner: dict[str, Entry] = {}
        for entry in entries:
            for text in (entry.question, *entry.phrasings):
                key = normalise(text)
                other = owner.get(key)
                if other is not None and other.id != entry.id:
                    self.problems.error(
                        entry.file,
                        entry.line,
                        f"De formulering '{text}' staat bij '{entry.id}' én bij '{other.id}' "
                        f"({other.file}:{other.line}).",
                        "Laat hem staan bij de vraag waar hij het best past en haal hem bij de "
                        "andere weg.",
                    )
                owner.setdefault(key, entry)
        if not self.faq_complete:
            # A file or an entry without id could not be read: which ids exist is unknown,
            # and reporting every link into it would bury the real error.
            return
        for entry in entries:
            for related in entry.related:
                if related not in first and related not in self.broken_ids:
                    self.problems.error(
                        entry.file,
                        entry.line,
                        f"'{entry.id}' verwijst in 'related' naar '{related}', maar die vraag "
                        "bestaat niet.",
                        "Controleer de spelling van het id, of haal de verwijzing weg.",
                    )


def load_knowledge(folder: Path | str = DEFAULT_KNOWLEDGE_DIR) -> LoadResult:
    """Read and check every file in the folder; never raises for problems in the files."""
    folder = Path(folder)
    reader = _Reader(folder)
    if not folder.is_dir():
        reader.problems.error(str(folder), None, "Deze map bestaat niet of is niet leesbaar.")
        return LoadResult(None, tuple(reader.problems.items))
    settings, review = reader.settings()
    helpline = reader.helpline()
    messages = reader.messages()
    word_map = reader.word_map()
    urgency = reader.urgency()
    smalltalk = reader.smalltalk()
    entries, topics = reader.faq()
    out_of_scope, out_of_scope_groups = reader.out_of_scope()
    jargon = reader.jargon()
    problems = tuple(reader.problems.items)
    parts = (settings, helpline, messages, word_map, urgency, smalltalk)
    if reader.problems.errors or any(p is None for p in parts):
        return LoadResult(None, problems, review)
    texts, names = messages
    knowledge = Knowledge(
        entries=entries,
        topics=topics,
        helpline=helpline,
        messages=texts,
        day_names=names["day_names"],
        month_names=names["month_names"],
        synonyms=word_map.synonyms,
        abbreviations=word_map.abbreviations,
        abbreviation_guards=word_map.guards,
        stopwords=word_map.stopwords,
        openers=word_map.openers,
        refer_back=word_map.refer_back,
        urgency=urgency,
        smalltalk=smalltalk,
        settings=settings,
        out_of_scope=out_of_scope,
        jargon=jargon,
        out_of_scope_groups=out_of_scope_groups,
        question_cues=word_map.question_cues,
    )
    return LoadResult(knowledge, problems, review)


def _with_lists(alternative: str, lists: dict[str, tuple[str, ...]]) -> list[str]:
    """'@dood' → every word of the list; 'wil_@dood' → 'wil_dood', 'wil_sterven', …"""
    if "@" not in alternative:
        return [alternative]
    negated = alternative.startswith("!")
    at_end = alternative.endswith("$")
    parts = alternative.lstrip("!").rstrip("$").split("_")
    options = [lists[p[1:]] if p.startswith("@") else (p,) for p in parts]
    return [
        ("!" if negated else "") + "_".join(combo) + ("$" if at_end else "")
        for combo in itertools.product(*options)
    ]
