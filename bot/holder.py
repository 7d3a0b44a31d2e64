"""Keep the helpdesk in use, and swap in a new one when knowledge/ changes without errors.

A reload builds a complete new Helpdesk first and then replaces one reference, so no message
is ever answered from half-loaded files; a change with errors is refused and the last good
knowledge stays in use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.core import Helpdesk
from bot.loader import LoadResult, load_knowledge
from bot.problems import Problem

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class ReloadOutcome:
    changed: bool  # the files differ from what is in use
    applied: bool  # the new knowledge is now in use
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "fout"]


def fingerprint(folder: Path) -> Fingerprint:
    """Names, sizes and modification times of the YAML files: cheap to compare."""
    try:
        files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    except OSError:
        return ()


class HelpdeskHolder:
    def __init__(self, helpdesk: Helpdesk, folder: Path, retention_days: int = 90) -> None:
        self.current = helpdesk
        self.folder = Path(folder)
        self.retention_days = retention_days
        self._fingerprint = fingerprint(self.folder)
        self._refused: Fingerprint | None = None

    def has_changed(self) -> bool:
        now = fingerprint(self.folder)
        return now != self._fingerprint and now != self._refused

    def reload(self, force: bool = False) -> ReloadOutcome:
        """Load the folder again; blocking (run it in a thread from async code)."""
        seen = fingerprint(self.folder)
        changed = seen != self._fingerprint
        if not force and (not changed or seen == self._refused):
            return ReloadOutcome(False, False)
        result: LoadResult = load_knowledge(self.folder)
        if result.knowledge is None:
            self._refused = seen
            log.warning(
                "Knowledge change refused; still answering from the last good knowledge:\n%s",
                "\n".join(str(p) for p in result.errors),
            )
            return ReloadOutcome(changed, False, result.problems)
        self.current = Helpdesk(result.knowledge, self.retention_days)
        self._fingerprint = seen
        self._refused = None
        log.info("Knowledge reloaded: %d entries.", len(result.knowledge.entries))
        return ReloadOutcome(changed, True, result.problems)
