"""Keep the helpdesk in use, and swap in a new one when knowledge/ changes without errors.

A reload builds a complete new Helpdesk first and then replaces one reference, so no message
is ever answered from half-loaded files; a change with errors is refused and the last good
knowledge stays in use. Reloads (the file watcher and an admin's /reload) take turns under a
lock; answering only reads ``current`` and never waits for a build. A build runs in a daemon
thread, so the event loop keeps answering and a stopping bot does not wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core import Helpdesk
from bot.loader import LoadResult, load_knowledge
from bot.problems import Problem, Severity

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]
WAIT_STEP = 0.2  # seconds between looks at whether a reload is still wanted


@dataclass(frozen=True)
class ReloadOutcome:
    changed: bool  # the files differ from what is in use
    applied: bool  # the new knowledge is now in use
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "fout"]


def fingerprint(folder: Path) -> Fingerprint:
    """Names, sizes and modification times of the YAML files: cheap to compare, and no
    file is opened (a FIFO or a device named *.yaml is only looked at)."""
    try:
        files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))
        return tuple((str(p), *_times(p)) for p in files)
    except OSError:
        return ()


def _times(path: Path) -> tuple[int, int]:
    """What a link points to (a replaced target is a change), or the link when broken."""
    try:
        info = path.stat()
    except OSError:
        info = path.lstat()
    return info.st_mtime_ns, info.st_size


class HelpdeskHolder:
    def __init__(self, helpdesk: Helpdesk, folder: Path, retention_days: int = 90) -> None:
        self.current = helpdesk
        self.folder = Path(folder)
        self.retention_days = retention_days
        self._lock = threading.Lock()  # one reload at a time; answering never takes it
        self._fingerprint = fingerprint(self.folder)
        self._refused: Fingerprint | None = None

    def reload(self, force: bool = False) -> ReloadOutcome:
        """Load the folder again; blocking (from async code use ``reload_in_background``).

        Never raises: whatever the files do, the outcome is applied or refused, and a
        refused version is logged (and reported) once, not at every check.
        """
        with self._lock:
            seen = fingerprint(self.folder)
            changed = seen != self._fingerprint
            if not force and (not changed or seen == self._refused):
                return ReloadOutcome(False, False)
            try:
                result: LoadResult = load_knowledge(self.folder)
                helpdesk = None
                if result.knowledge is not None:
                    log.info(
                        "Knowledge read (%d entries); building the helpdesk.",
                        len(result.knowledge.entries),
                    )
                    helpdesk = Helpdesk(result.knowledge, self.retention_days)
            except Exception as exc:  # a bug must not stop the watcher, nor repeat every round
                log.exception("Loading the knowledge failed; still answering from the last good.")
                self._refused = seen
                problem = Problem(
                    Severity.ERROR,
                    self.folder.name,
                    None,
                    "De kennis kon niet geladen worden door een fout in de bot "
                    f"({type(exc).__name__}).",
                    "Vraag de beheerder van de bot om in het log te kijken.",
                )
                return ReloadOutcome(changed, False, (problem,))
            if helpdesk is None:
                self._refused = seen
                log.warning(
                    "Knowledge change refused; still answering from the last good knowledge:\n%s",
                    "\n".join(str(p) for p in result.errors),
                )
                return ReloadOutcome(changed, False, result.problems)
            self.current = helpdesk  # one reference: answering sees the old or the new
            self._fingerprint = seen
            self._refused = None
        log.info("Knowledge reloaded: %d entries.", len(helpdesk.knowledge.entries))
        return ReloadOutcome(changed, True, result.problems)

    async def reload_in_background(
        self, force: bool = False, wanted: Callable[[], bool] | None = None
    ) -> ReloadOutcome | None:
        """``reload`` in a daemon thread, so the event loop keeps answering meanwhile.

        A stopping bot does not wait for an unfinished build: the thread is a daemon (a
        thread of ``asyncio.to_thread`` is waited for at exit), cancelling ends the wait at
        once, and when ``wanted()`` turns False (the application stops) the wait ends
        within WAIT_STEP seconds with None.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[ReloadOutcome] = loop.create_future()

        def deliver(outcome: ReloadOutcome) -> None:
            if not done.done():
                done.set_result(outcome)

        def work() -> None:
            outcome = self.reload(force)
            # RuntimeError: the loop closed while building, so nobody waits any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, outcome)

        threading.Thread(target=work, name="knowledge-reload", daemon=True).start()
        while wanted is not None:
            try:
                return await asyncio.wait_for(asyncio.shield(done), WAIT_STEP)
            except TimeoutError:
                if not wanted():
                    return None
        return await done
