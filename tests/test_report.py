"""The report for volunteers: safe to open in a spreadsheet, and quick on many questions."""

from __future__ import annotations

import csv
import io
import random
import string
from datetime import UTC, datetime
from pathlib import Path

from bot.report import group_questions
from bot.store import QuestionStore
from tests.harness import run_bot

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
FORMULAS = [
    '=HYPERLINK("hulp-voorbeeld";"Klik hier voor hulp")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+31 zei mijn dokter, klopt dat",
    "-2 graden en mijn benen trekken",
    "=1+1\tmet een tab erin",
]


def test_the_csv_report_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    store = QuestionStore(path)
    for text in [*FORMULAS, "helpt ijzer tegen rls?"]:
        store.record_question(text, "referral", NOW)
    store.close()
    result = run_bot("report", "--csv", "--database", str(path))
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    texts = {row[2] for row in rows[1:] if row[0] == "onbeantwoord"}
    assert texts == {"'" + f for f in FORMULAS} | {"helpt ijzer tegen rls?"}


def test_alike_questions_are_grouped_however_many_others_came_between() -> None:
    rng = random.Random(3)
    words = ["".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(3000)]

    def other() -> tuple[str, str, str]:
        return ("2026-11-01T10:00:00+00:00", "referral", " ".join(rng.sample(words, 5)))

    rows = [other() for _ in range(300)]
    rows.append(("2026-11-02T10:00:00+00:00", "referral", "helpt ijzer tegen rls?"))
    rows += [other() for _ in range(3000)]
    rows.append(("2026-11-03T10:00:00+00:00", "referral", "Helpt ijzer tegen RLS"))
    rows.append(("2026-11-04T10:00:00+00:00", "referral", "helpt ijzr tegen rls"))
    groups = group_questions(rows)
    assert sum(g.count for g in groups) == len(rows)
    assert (groups[0].example, groups[0].count) == ("helpt ijzer tegen rls?", 3)
    assert groups[0].last_asked == "2026-11-04T10:00:00+00:00"
