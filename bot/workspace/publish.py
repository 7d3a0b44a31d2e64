"""Publishing: write the checked draft into knowledge/ and record who changed what.

The file is replaced atomically, so the bot (which watches knowledge/ and reloads it)
never reads half a file. A file that changed since the form was opened is not overwritten:
the editor sees the other change instead. Each publication is recorded: as a git commit
when knowledge/ is in a git repository, otherwise as a line in a history file.
"""

from __future__ import annotations

import difflib
import json
import subprocess
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.workspace.auth import Editor
from bot.workspace.yamledit import digest, write_atomically

HISTORY_FILE = "geschiedenis.jsonl"
GIT_TIMEOUT = 20.0


class Versions:
    """The texts of files as forms saw them, by digest: to show the other change on a
    conflict. Bounded; a form older than what is kept gets the current file only."""

    def __init__(self, keep: int = 64) -> None:
        self.keep = keep
        self._texts: OrderedDict[str, str] = OrderedDict()

    def remember(self, text: str) -> str:
        version = digest(text)
        self._texts[version] = text
        self._texts.move_to_end(version)
        while len(self._texts) > self.keep:
            self._texts.popitem(last=False)
        return version

    def text(self, version: str) -> str | None:
        return self._texts.get(version)


@dataclass(frozen=True)
class Conflict:
    """The file changed since the form was opened; ``other_change`` is what changed."""

    file: str
    other_change: str


def other_change(versions: Versions, base: str, current: str, file: str) -> Conflict:
    seen = versions.text(base)
    if seen is None:
        return Conflict(file, "")
    lines = difflib.unified_diff(
        seen.splitlines(keepends=True),
        current.splitlines(keepends=True),
        f"{file} (toen je begon)",
        f"{file} (nu)",
    )
    return Conflict(file, "".join(lines))


def diff(before: str, after: str, file: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), file, file
        )
    )


def publish(
    knowledge: Path,
    relative: str,
    base: str,
    text: str,
    editor: Editor,
    what: str,
    versions: Versions,
    history: Path,
    now: datetime | None = None,
) -> Conflict | None:
    """Write ``text`` to ``knowledge/relative`` if the file is still at version ``base``;
    otherwise return the conflict and leave the file alone."""
    path = knowledge / relative
    current = path.read_text(encoding="utf-8")
    if digest(current) != base:
        return other_change(versions, base, current, relative)
    write_atomically(path, text)
    versions.remember(text)
    record(knowledge, relative, current, text, editor, what, history, now or datetime.now(UTC))
    return None


def _git(knowledge: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(knowledge), *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )


def in_git(knowledge: Path) -> bool:
    try:
        return _git(knowledge, "rev-parse", "--is-inside-work-tree").stdout.strip() == "true"
    except (OSError, subprocess.SubprocessError):
        return False


def record(
    knowledge: Path,
    relative: str,
    before: str,
    after: str,
    editor: Editor,
    what: str,
    history: Path,
    now: datetime,
) -> str:
    """Who published what and when: a git commit of just this file, or a history line.
    Returns where it was recorded ('git' or the history file)."""
    message = f"Werkplek: {what}\n\nGepubliceerd door {editor.label} op {now.isoformat()}."
    if in_git(knowledge):
        author = f"{editor.name} <telegram-{editor.user_id}@werkplek.invalid>"
        done = _git(
            knowledge,
            "-c",
            f"user.name={editor.name}",
            "-c",
            f"user.email=telegram-{editor.user_id}@werkplek.invalid",
            "commit",
            "--quiet",
            f"--author={author}",
            "-m",
            message,
            "--",
            relative,
        )
        if done.returncode == 0:
            return "git"
    history.mkdir(parents=True, exist_ok=True)
    line = {
        "when": now.isoformat(timespec="seconds"),
        "who": editor.label,
        "user_id": editor.user_id,
        "file": relative,
        "what": what,
        "diff": diff(before, after, relative),
    }
    with (history / HISTORY_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return str(history / HISTORY_FILE)
