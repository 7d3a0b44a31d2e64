"""What people asked that we could not answer, and how useful the answers were.

Only what volunteers need to improve the FAQ is kept: the text of a message that got a
referral or a choice, with its time, and counts per entry. Never a user id, chat id or
name: names, addresses and other personal details in the text are replaced first. Rows
older than the retention period are deleted; a retention of 0 keeps nothing.
A database failure never stops the bot: it is logged once and answering goes on.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.personal import scrub

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unanswered_asked_at ON unanswered (asked_at);
CREATE TABLE IF NOT EXISTS entry_counts (
    day TEXT NOT NULL,
    faq_id TEXT NOT NULL,
    given INTEGER NOT NULL DEFAULT 0,
    useful INTEGER NOT NULL DEFAULT 0,
    not_useful INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, faq_id)
);
"""
MAX_TEXT_CHARS = 1000


@dataclass(frozen=True)
class EntryStats:
    faq_id: str
    given: int
    useful: int
    not_useful: int


class QuestionStore:
    def __init__(self, path: Path | str, retention_days: int = 90) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._failing: str | None = None
        self._connection: sqlite3.Connection | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and not self.path.exists():
            self._connection.close()  # the file was deleted: start a new one
            self._connection = None
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=0.5, check_same_thread=False)
            connection.executescript(SCHEMA)
            self._connection = connection
        return self._connection

    def _write(self, what: str, sql: str, *params: object) -> bool:
        with self._lock:
            try:
                connection = self._connect()
                with connection:
                    connection.execute(sql, params)
            except (sqlite3.Error, OSError) as exc:
                if self._failing is None:
                    log.error("Database %s failed (%s); the bot keeps answering.", what, exc)
                self._failing = what
                self._connection = None
                return False
            if self._failing is not None:
                log.info("Database works again.")
                self._failing = None
            return True

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- writing ----------------------------------------------------------------------------

    def record_question(self, text: str, outcome: str, when: datetime) -> bool:
        """Keep the question's text for the volunteers, without personal details (names,
        addresses, numbers: see personal.py) and as valid text (a client can send anything,
        lone surrogates included)."""
        if self.retention_days <= 0:
            return False
        return self._write(
            "write",
            "INSERT INTO unanswered (asked_at, outcome, text) VALUES (?, ?, ?)",
            when.astimezone(UTC).isoformat(timespec="seconds"),
            outcome,
            scrub(text.strip()[:MAX_TEXT_CHARS]),
        )

    def _count(self, faq_id: str, column: str, when: datetime) -> bool:
        return self._write(
            "count",
            f"INSERT INTO entry_counts (day, faq_id, {column}) VALUES (?, ?, 1) "
            f"ON CONFLICT (day, faq_id) DO UPDATE SET {column} = {column} + 1",
            when.astimezone(UTC).date().isoformat(),
            faq_id,
        )

    def record_answer(self, faq_id: str, when: datetime) -> bool:
        return self._count(faq_id, "given", when)

    def record_feedback(self, faq_id: str, useful: bool, when: datetime) -> bool:
        return self._count(faq_id, "useful" if useful else "not_useful", when)

    def delete_questions(self, texts: Iterable[str]) -> bool:
        """Forget these questions: a volunteer dealt with them (bot/workspace/)."""
        ok = True
        for text in set(texts):
            ok = self._write("delete", "DELETE FROM unanswered WHERE text = ?", text) and ok
        return ok

    def purge(self, now: datetime) -> bool:
        """Delete the questions older than the retention period (all of them when it is 0)."""
        cutoff = now - timedelta(days=max(self.retention_days, 0))
        return self._write(
            "purge",
            "DELETE FROM unanswered WHERE asked_at < ?",
            cutoff.astimezone(UTC).isoformat(timespec="seconds"),
        )

    # -- reading ----------------------------------------------------------------------------

    def questions(self, since: datetime | None = None) -> list[tuple[str, str, str]]:
        """(asked_at, outcome, text), oldest first."""
        with self._lock:
            connection = self._connect()
            rows = connection.execute(
                "SELECT asked_at, outcome, text FROM unanswered WHERE asked_at >= ? "
                "ORDER BY asked_at, id",
                ((since or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat(),),
            ).fetchall()
        return [(a, o, t) for a, o, t in rows]

    def entry_stats(self, since: datetime | None = None) -> list[EntryStats]:
        day = (since or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).date().isoformat()
        with self._lock:
            connection = self._connect()
            rows = connection.execute(
                "SELECT faq_id, SUM(given), SUM(useful), SUM(not_useful) FROM entry_counts "
                "WHERE day >= ? GROUP BY faq_id ORDER BY SUM(given) DESC, faq_id",
                (day,),
            ).fetchall()
        return [EntryStats(*row) for row in rows]
