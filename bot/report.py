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

from rapidfuzz import fuzz

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
    """Greedy grouping by similarity; most asked first."""
    groups: list[tuple[str, QuestionGroup]] = []
    for asked_at, _, text in rows:
        key = normalise(text)
        for group_key, group in groups:
            if fuzz.token_set_ratio(key, group_key) >= SIMILAR:
                group.count += 1
                group.texts.add(text)
                group.last_asked = max(group.last_asked, asked_at)
                if len(group.variants) < 3 and text not in group.variants:
                    group.variants.append(text)
                break
        else:
            groups.append((key, QuestionGroup(text, 1, [text], asked_at, {text})))
    return sorted((g for _, g in groups), key=lambda g: (-g.count, g.example))


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
            writer.writerow(["onbeantwoord", g.count, g.example, "", "", g.last_asked])
        for e in self.entries:
            writer.writerow(["antwoord", e.given, e.faq_id, e.useful, e.not_useful, ""])
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
