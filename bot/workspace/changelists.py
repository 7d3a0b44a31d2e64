"""The list of answers a draft changes, worked out beside the page instead of before it.

Answering every example and development message twice (the bot now, the draft) takes
seconds; the check itself (errors, preview) takes one. So a check starts the list, waits
a moment for it, and otherwise shows the page at once with an address where the list
follows (the page's script fetches it; without scripts it is a link).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.workspace.drafts import ChangedAnswer
from bot.workspace.yamledit import digest

KEEP = 16  # lists of the most recent checks, for the pages that still wait for one


class ChangeLists:
    """Running and finished lists of changed answers, by a key that names the draft."""

    def __init__(self, keep: int = KEEP) -> None:
        # The thread's own futures: cancelling one that has not started takes effect at once,
        # where an asyncio wrapper would pass the cancel on only when the loop next runs.
        self._tasks: OrderedDict[str, Future[list[ChangedAnswer]]] = OrderedDict()
        self._keep = keep
        # One list at a time: each takes seconds of the interpreter, which the bot beside
        # the workspace needs to answer people. A list nobody waits for any more is dropped
        # before it starts.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="veranderingen")
        # The latest list of each place (a volunteer's page of one file): a newer check there
        # replaces the page that waited for the older list, which then need not be made.
        self._latest: dict[str, str] = {}

    @staticmethod
    def key(*parts: object) -> str:
        return digest("\0".join(map(str, parts)))[:32]

    def start(self, key: str, work: Callable[[], list[ChangedAnswer]], place: str = "") -> None:
        """Work the list out in a thread, once per key. A list of the same ``place`` that has
        not started yet is dropped: nobody waits for it any more."""
        if place:
            older = self._latest.get(place)
            self._latest[place] = key
            # cancel() is False once the older list runs: then it finishes, and is kept.
            if older not in (None, key) and older in self._tasks and self._tasks[older].cancel():
                del self._tasks[older]
        if key in self._tasks:
            self._tasks.move_to_end(key)
            return
        self._tasks[key] = self._worker.submit(work)
        while len(self._tasks) > self._keep:
            _, oldest = self._tasks.popitem(last=False)
            oldest.cancel()  # not started: never starts; running: finishes unread

    async def wait(self, key: str, seconds: float) -> list[ChangedAnswer] | None:
        """The list, if it is (or becomes) ready within ``seconds``; None otherwise, and
        None for a key that is not (or no longer) known."""
        task = self._tasks.get(key)
        if task is None or task.cancelled():
            return None
        waiting = asyncio.wrap_future(task)
        done, _ = await asyncio.wait({waiting}, timeout=seconds)
        return waiting.result() if done and not waiting.cancelled() else None
