"""What a draft would do: the knowledge with one file changed, loaded and checked exactly as
the bot and ``python -m bot check`` do, and answered by the same Helpdesk.

A draft lives in a temporary copy of knowledge/ under the same folder name, so every
problem names the same file and line as the check on the real folder would.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from bot.checks import extra_checks
from bot.core import Helpdesk
from bot.loader import LoadResult, load_knowledge
from bot.problems import Problem, ProblemList, Severity
from bot.replies import Outcome, Reply
from bot.yamlfile import YamlMap, read_yaml

# The development messages of the test set, when the source tree is there (never the
# held-out parts: those are only measured, and never shown).
DEVELOPMENT_MESSAGES = Path(__file__).resolve().parents[2] / "tests" / "data"
DEVELOPMENT_PATTERN = "testset_dev*.yaml"

# Words in a problem that say which field of the entry it is about, most telling first.
FIELD_WORDS = (
    ("'related'", "related"),
    ("voorbeeld", "examples"),
    ("'examples'", "examples"),
    ("formulering", "phrasings"),
    ("'phrasings'", "phrasings"),
    ("nagekeken", "reviewed"),
    ("'reviewed'", "reviewed"),
    ("tekens lang", "answer"),
    ("leest de bot als noodgeval", "phrasings"),
)


@dataclass(frozen=True)
class Evaluation:
    """The draft's knowledge (None when it has errors) and its problems, placed."""

    result: LoadResult
    problems: tuple[Problem, ...]
    helpdesk: Helpdesk | None
    at_field: dict[str, list[Problem]] = field(default_factory=dict)
    elsewhere: list[Problem] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)


def evaluate(
    live: Path,
    changes: dict[str, str],
    entry_id: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Load and check ``live`` with ``changes`` (relative path → new text) applied."""
    with tempfile.TemporaryDirectory(prefix="werkplek-") as tmp:
        folder = Path(tmp) / live.name
        shutil.copytree(live, folder, ignore=shutil.ignore_patterns(".*"))
        for relative, text in changes.items():
            (folder / relative).write_text(text, encoding="utf-8")
        result = load_knowledge(folder)
        problems = (*result.problems, *extra_checks(result, today, now))
        helpdesk = Helpdesk(result.knowledge) if result.knowledge is not None else None
        at_field, elsewhere = place_problems(folder, problems, entry_id, changes)
    return Evaluation(result, problems, helpdesk, at_field, elsewhere)


def place_problems(
    folder: Path, problems: Iterable[Problem], entry_id: str | None, changes: dict[str, str]
) -> tuple[dict[str, list[Problem]], list[Problem]]:
    """Each problem of the entry at its field; the draft's errors elsewhere, and warnings that
    name the entry, in a list of their own. Other warnings were there before the draft."""
    span = _entry_span(folder, entry_id, changes) if entry_id else None
    at_field: dict[str, list[Problem]] = {}
    elsewhere: list[Problem] = []
    for problem in problems:
        name = _field_of(problem, span) if span else None
        if name is not None:
            at_field.setdefault(name, []).append(problem)
        elif problem.severity is Severity.ERROR or (
            entry_id and f"'{entry_id}'" in problem.message
        ):
            elsewhere.append(problem)
    return at_field, elsewhere


@dataclass(frozen=True)
class _Span:
    file: str
    start: int
    end: int  # the line where the next entry starts (or a very large number)
    key_lines: tuple[tuple[int, str], ...]


def _entry_span(folder: Path, entry_id: str, changes: dict[str, str]) -> _Span | None:
    for relative in changes:
        path = folder / relative
        shown = str(Path(folder.name) / relative)
        data = read_yaml(path, shown, ProblemList())
        entries = data.get("entries") if isinstance(data, YamlMap) else None
        if not isinstance(entries, list):
            continue
        for i, item in enumerate(entries):
            if isinstance(item, YamlMap) and item.get("id") == entry_id:
                start = entries.line_of(i)
                end = entries.line_of(i + 1) if i + 1 < len(entries) else 10**9
                keys = tuple(sorted((item.line_of(k), str(k)) for k in item))
                return _Span(shown, start, end, keys)
    return None


def _field_of(problem: Problem, span: _Span) -> str | None:
    if problem.file != span.file or problem.line is None:
        return None
    if not span.start <= problem.line < span.end:
        return None
    if problem.line > span.start or not span.key_lines:
        # A problem on a line of its own belongs to the field that line is in.
        before = [key for line, key in span.key_lines if line <= problem.line]
        if before:
            return before[-1]
    for words, name in FIELD_WORDS:
        if words in problem.message:
            return name
    return "id"


# -- what the draft answers -------------------------------------------------------------------


@dataclass(frozen=True)
class ChangedAnswer:
    message: str
    where: str  # 'voorbeeld bij x' or the test set file
    before: str
    after: str


def describe(reply: Reply) -> str:
    """A reply in a few words, for the list of changes."""
    if reply.outcome is Outcome.ANSWER:
        return f"antwoord '{reply.faq_id}'"
    if reply.outcome is Outcome.CLARIFY:
        return "keuze uit " + ", ".join(f"'{s.faq_id}'" for s in reply.suggestions)
    names = {
        Outcome.REFERRAL: "doorverwijzing naar de hulplijn",
        Outcome.URGENT: "noodbericht",
        Outcome.SMALLTALK: "praatje",
    }
    return names.get(reply.outcome, str(reply.outcome))


def check_messages(
    *helpdesks: Helpdesk | None, development: Path | None = DEVELOPMENT_MESSAGES
) -> list[tuple[str, str]]:
    """(message, where it comes from): the examples of the knowledge, and the development
    messages of the test set if present."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for desk in helpdesks:
        if desk is None:
            continue
        for entry in desk.knowledge.entries:
            for example in entry.examples:
                if example not in seen:
                    seen.add(example)
                    out.append((example, f"voorbeeld bij '{entry.id}'"))
    for path in sorted(development.glob(DEVELOPMENT_PATTERN)) if development else ():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for items in data.values():
            for item in items or ():
                text = item if isinstance(item, str) else item.get("text", "")
                if text and text not in seen:
                    seen.add(text)
                    out.append((text, f"testset {path.stem.removeprefix('testset_')}"))
    return out


class LiveAnswers:
    """What the bot in use answers to the check messages, worked out once per knowledge
    (a Helpdesk is immutable) instead of on every check of a draft. Which answer a message
    gets does not depend on the time, so the answers stay valid until the knowledge changes."""

    def __init__(self) -> None:
        self._for: tuple[Helpdesk, dict[str, str]] | None = None

    def describe(self, live: Helpdesk, message: str, now: datetime) -> str:
        if self._for is None or self._for[0] is not live:
            self._for = (live, {})
        known = self._for[1]
        if message not in known:
            known[message] = describe(live.respond(message, now))
        return known[message]


def changed_answers(
    live: Helpdesk,
    draft: Helpdesk,
    now: datetime,
    cache: LiveAnswers | None = None,
    development: Path | None = DEVELOPMENT_MESSAGES,
) -> list[ChangedAnswer]:
    """Every check message that the draft answers differently from the bot now."""
    cache = cache or LiveAnswers()
    changed = []
    for message, where in check_messages(live, draft, development=development):
        before, after = cache.describe(live, message, now), describe(draft.respond(message, now))
        if before != after:
            changed.append(ChangedAnswer(message, where, before, after))
    return changed
