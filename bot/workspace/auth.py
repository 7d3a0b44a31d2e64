"""Who may use the workspace: one-time login links from the bot, sessions, CSRF tokens.

No passwords. An editor (EDITOR_CHAT_IDS or ADMIN_CHAT_IDS) asks the bot for a link with
/werkplek; the link holds a random token that works once, for ten minutes. Only a hash of
the token is kept, so a copy of the memory or the file does not let anyone in.

Beside the bot, the bot and the workspace share one ``LoginTokens`` in memory. When the
workspace runs as its own process (``python -m bot workspace``), both open the same small
SQLite file next to the database instead, so a link made by the bot works there too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TOKEN_SECONDS = 600.0  # a login link works ten minutes
SESSION_SECONDS = 8 * 3600.0  # a working day; then ask the bot for a new link
TOKENS_FILE = "werkplek-tokens.sqlite3"


@dataclass(frozen=True)
class Editor:
    """Who is logged in: their Telegram user id and first name, for the history."""

    user_id: int
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} (Telegram {self.user_id})"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LoginTokens:
    """One-time login tokens: in memory (``path`` None) or in a SQLite file shared by the
    bot's and the workspace's processes."""

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._memory: dict[str, tuple[Editor, float]] = {}

    def _db(self) -> sqlite3.Connection:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=2.0)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL,"
            " name TEXT NOT NULL, expires REAL NOT NULL)"
        )
        return connection

    def issue(self, editor: Editor) -> str:
        """A new token for ``editor``; it works once, within TOKEN_SECONDS."""
        token = secrets.token_urlsafe(32)
        expires = self.clock() + TOKEN_SECONDS
        with self._lock:
            if self.path is None:
                self._memory = {h: v for h, v in self._memory.items() if v[1] > self.clock()}
                self._memory[_hash(token)] = (editor, expires)
            else:
                connection = self._db()
                try:
                    with connection:
                        connection.execute("DELETE FROM tokens WHERE expires <= ?", (self.clock(),))
                        connection.execute(
                            "INSERT INTO tokens VALUES (?, ?, ?, ?)",
                            (_hash(token), editor.user_id, editor.name, expires),
                        )
                finally:
                    connection.close()
        return token

    def redeem(self, token: str) -> Editor | None:
        """The editor of a valid token, which is used up; None when unknown, used or late."""
        key = _hash(token)
        with self._lock:
            if self.path is None:
                found = self._memory.pop(key, None)
            else:
                connection = self._db()
                try:
                    with connection:
                        row = connection.execute(
                            "DELETE FROM tokens WHERE hash = ? RETURNING user_id, name, expires",
                            (key,),
                        ).fetchone()
                finally:
                    connection.close()
                found = (Editor(row[0], row[1]), row[2]) if row else None
        if found is None or found[1] <= self.clock():
            return None
        return found[0]


@dataclass(frozen=True)
class Session:
    editor: Editor
    csrf: str
    expires: float


class Sessions:
    """Logged-in editors, by a random session id kept in an HttpOnly cookie."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._sessions: dict[str, Session] = {}

    def start(self, editor: Editor) -> str:
        now = self.clock()
        self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
        session_id = secrets.token_urlsafe(32)
        self._sessions[_hash(session_id)] = Session(
            editor, secrets.token_urlsafe(32), now + SESSION_SECONDS
        )
        return session_id

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._sessions.get(_hash(session_id))
        if session is None or session.expires <= self.clock():
            return None
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(_hash(session_id), None)


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")
