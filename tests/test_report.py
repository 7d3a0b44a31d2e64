"""The report for volunteers: safe to open in a spreadsheet, and quick on many questions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

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
