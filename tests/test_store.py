"""What the bot keeps: message texts without identifiers, for a limited time, in real SQLite."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import load_helpdesk
from bot.report import build_report, group_questions
from bot.store import QuestionStore

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_only_text_outcome_and_time_are_kept(tmp_path: Path) -> None:
    store = QuestionStore(tmp_path / "q.sqlite3", retention_days=90)
    assert store.record_question("helpt ijzer tegen rls?", "referral", NOW)
    store.close()
    assert columns(tmp_path / "q.sqlite3", "unanswered") == ["id", "asked_at", "outcome", "text"]
    assert columns(tmp_path / "q.sqlite3", "entry_counts") == [
        "day",
        "faq_id",
        "given",
        "useful",
        "not_useful",
    ]
    with sqlite3.connect(tmp_path / "q.sqlite3") as db:
        rows = db.execute("SELECT asked_at, outcome, text FROM unanswered").fetchall()
    assert rows == [("2026-11-25T12:00:00+00:00", "referral", "helpt ijzer tegen rls?")]


def test_old_questions_are_deleted_after_the_retention_period(tmp_path: Path) -> None:
    store = QuestionStore(tmp_path / "q.sqlite3", retention_days=90)
    store.record_question("heel oud", "referral", NOW - timedelta(days=91))
    store.record_question("net op tijd", "clarify", NOW - timedelta(days=89))
    store.record_question("vandaag", "referral", NOW)
    assert store.purge(NOW)
    assert [text for _, _, text in store.questions()] == ["net op tijd", "vandaag"]


def test_a_retention_of_zero_keeps_nothing(tmp_path: Path) -> None:
    store = QuestionStore(tmp_path / "q.sqlite3", retention_days=0)
    assert not store.record_question("helpt ijzer tegen rls?", "referral", NOW)
    assert store.questions() == []
    keeping = QuestionStore(tmp_path / "q.sqlite3", retention_days=90)
    keeping.record_question("van vroeger", "referral", NOW - timedelta(days=1))
    assert store.purge(NOW)
    assert store.questions() == []


def test_privacy_text_follows_the_retention(tmp_path: Path) -> None:
    kept = load_helpdesk(retention_days=30).composer.privacy()
    assert "Na 30 dagen worden ze gewist" in kept
    nothing = load_helpdesk(retention_days=0).composer.privacy()
    assert "Ik bewaar geen berichten" in nothing and "dagen" not in nothing


def test_answers_and_feedback_are_counted_per_entry(tmp_path: Path) -> None:
    store = QuestionStore(tmp_path / "q.sqlite3")
    for _ in range(3):
        store.record_answer("lid-worden", NOW)
    store.record_feedback("lid-worden", True, NOW)
    store.record_feedback("lid-worden", False, NOW)
    store.record_answer("bronnen", NOW - timedelta(days=40))
    stats = {s.faq_id: (s.given, s.useful, s.not_useful) for s in store.entry_stats()}
    assert stats == {"lid-worden": (3, 1, 1), "bronnen": (1, 0, 0)}
    recent = store.entry_stats(since=NOW - timedelta(days=7))
    assert [s.faq_id for s in recent] == ["lid-worden"]


def test_the_report_groups_alike_questions_most_asked_first(tmp_path: Path) -> None:
    rows = [
        ("2026-11-01T10:00:00+00:00", "referral", "helpt ijzer tegen rls?"),
        ("2026-11-02T10:00:00+00:00", "referral", "helpt ijzer tegen rusteloze benen"),
        ("2026-11-03T10:00:00+00:00", "referral", "Helpt ijzer tegen RLS"),
        ("2026-11-04T10:00:00+00:00", "clarify", "waar koop ik magnesium"),
    ]
    groups = group_questions(rows)
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].example == "helpt ijzer tegen rls?"
    assert groups[0].last_asked == "2026-11-03T10:00:00+00:00"

    store = QuestionStore(tmp_path / "q.sqlite3")
    for asked_at, outcome, text in rows:
        store.record_question(text, outcome, datetime.fromisoformat(asked_at))
    report = build_report(store)
    assert report.text().startswith("Vragen zonder (zeker) antwoord: 4")
    assert "3×  helpt ijzer tegen rls?" in report.text()
    csv_lines = report.csv().splitlines()
    assert csv_lines[0] == "soort,aantal,tekst,nuttig,niet_nuttig,laatst"
    assert csv_lines[1].startswith("onbeantwoord,3,helpt ijzer tegen rls?")
