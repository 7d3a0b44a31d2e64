"""What volunteers need to improve the FAQ: unanswered questions grouped, and entry use."""

from __future__ import annotations

import argparse
import csv
import io
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.config import Config, sqlite_problem
from bot.loader import load_knowledge
from bot.store import EntryStats, QuestionStore
from bot.text import normalise

SIMILAR = 72  # token_set_ratio from which two questions count as the same question
MAX_GROUPS_SHOWN = 30


@dataclass
class QuestionGroup:
    example: str
    count: int
    variants: list[str]
    last_asked: str
    texts: set[str] = field(default_factory=set)  # every text in the group, to act on all


def group_questions(rows: list[tuple[str, str, str]]) -> list[QuestionGroup]:
    """Group alike questions (token_set_ratio of at least SIMILAR); most asked first.

    A question joins the first group it is like enough, as when comparing it with every
    group, but only the groups that share a word (or a word's first letters, for a typo)
    with it are compared, and each word leads to its first MAX_PER_KEY groups only: the
    time grows with the number of questions, not with its square.
    """
    groups: list[QuestionGroup] = []
    keys: list[str] = []  # the normalised text each group started with
    exact: dict[str, int] = {}
    by_key: dict[str, list[int]] = {}
    for asked_at, _, text in rows:
        key = normalise(text)
        index = exact.get(key)
        if index is None:
            index = _alike_group(key, keys, by_key)
        if index is None:
            index = len(groups)
            groups.append(QuestionGroup(text, 0, [], asked_at))
            keys.append(key)
            for k in _index_keys(key):
                postings = by_key.setdefault(k, [])
                if len(postings) < MAX_PER_KEY:
                    postings.append(index)
        exact.setdefault(key, index)
        group = groups[index]
        group.count += 1
        group.texts.add(text)
        group.last_asked = max(group.last_asked, asked_at)
        if len(group.variants) < 3 and text not in group.variants:
            group.variants.append(text)
    return sorted(groups, key=lambda g: (-g.count, g.example))


MAX_PER_KEY = 32
_PREFIX = 4


def _index_keys(key: str) -> set[str]:
    words = key.split()
    return set(words) | {w[:_PREFIX] + "…" for w in words if len(w) > _PREFIX}


def _alike_group(key: str, keys: list[str], by_key: dict[str, list[int]]) -> int | None:
    """The first group (in the order they were made) whose text is like ``key``."""
    candidates = sorted({i for k in _index_keys(key) for i in by_key.get(k, ())})
    if not candidates:
        return None
    found = process.extract(
        key,
        [keys[i] for i in candidates],
        scorer=fuzz.token_set_ratio,
        score_cutoff=SIMILAR,
        limit=None,
    )
    return min((candidates[position] for _, _, position in found), default=None)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a quote before
    it (as OWASP advises against CSV injection), so '=HYPERLINK(...)' typed in a question
    is not run when a volunteer opens the file in Excel."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


@dataclass(frozen=True)
class Report:
    since: datetime | None
    groups: list[QuestionGroup]
    entries: list[EntryStats]

    def text(self, questions: dict[str, str] | None = None) -> str:
        questions = questions or {}
        since = f" sinds {self.since.date().isoformat()}" if self.since else ""
        lines = [f"Vragen zonder (zeker) antwoord{since}: {sum(g.count for g in self.groups)}"]
        for group in self.groups[:MAX_GROUPS_SHOWN]:
            lines.append(f"{group.count:>4}×  {group.example}")
            lines.extend(f"       ook: {v}" for v in group.variants[1:])
        if len(self.groups) > MAX_GROUPS_SHOWN:
            lines.append(f"   … en nog {len(self.groups) - MAX_GROUPS_SHOWN} andere vragen")
        lines.append("")
        lines.append("Antwoorden: gegeven / nuttig / niet nuttig")
        for e in self.entries:
            label = questions.get(e.faq_id, e.faq_id)
            lines.append(f"{e.given:>4} / {e.useful:>3} / {e.not_useful:>3}  {label}")
        if not self.entries:
            lines.append("   (nog geen antwoorden gegeven)")
        return "\n".join(lines)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["soort", "aantal", "tekst", "nuttig", "niet_nuttig", "laatst"])
        for g in self.groups:
            example = spreadsheet_safe(g.example)
            writer.writerow(["onbeantwoord", g.count, example, "", "", g.last_asked])
        for e in self.entries:
            faq_id = spreadsheet_safe(e.faq_id)
            writer.writerow(["antwoord", e.given, faq_id, e.useful, e.not_useful, ""])
        return out.getvalue()


def build_report(store: QuestionStore, since: datetime | None = None) -> Report:
    return Report(since, group_questions(store.questions(since)), store.entry_stats(since))


def _date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is geen datum; schrijf jjjj-mm-dd, bijvoorbeeld 2026-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", type=_date, metavar="DATUM", help="alleen vanaf deze datum (jjjj-mm-dd)"
    )
    parser.add_argument("--csv", action="store_true", help="als CSV, voor een spreadsheet")
    parser.add_argument(
        "--database",
        type=Path,
        metavar="BESTAND",
        help="het databasebestand (standaard: DATABASE_PATH)",
    )


def main(args: argparse.Namespace, config: Config) -> int:
    """The report on the database of ``--database``, else that of the settings."""
    path: Path = args.database or config.database
    problem = sqlite_problem(path) or (None if path.is_file() else f"{path} bestaat niet.")
    if problem is None:
        store = QuestionStore(path, config.retention_days)
        try:
            report = build_report(store, args.since)
        except sqlite3.Error as error:
            problem = f"{path} is niet te lezen als database ({error})."
        finally:
            store.close()
    if problem is not None:
        print(
            f"Geen overzicht: {problem} Geef de database met --database BESTAND.", file=sys.stderr
        )
        return 1
    if args.csv:
        print(report.csv(), end="")
    else:
        knowledge = load_knowledge(args.knowledge).knowledge
        questions = {e.id: e.question for e in knowledge.entries} if knowledge else {}
        print(report.text(questions))
    return 0
