"""One vote per reply: which answers got their "Nuttig" or "Niet nuttig" already.

A reply is its chat and message id. They are kept only in memory, only as a keyed hash
(the key is random per process, so the hashes cannot be traced back to a chat), and only
for a bounded time and number: long enough to catch a double tap or a press repeated by
a modified client, and never written anywhere.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

REMEMBER_SECONDS = 7 * 24 * 3600.0
MAX_REMEMBERED = 200_000  # about 15 MB at most


class VoteMemory:
    def __init__(
        self,
        seconds: float = REMEMBER_SECONDS,
        limit: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._limit = limit
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, chat_id: int, message_id: int) -> bytes:
        reply = f"{chat_id}:{message_id}".encode()
        return hashlib.blake2b(reply, key=self._key, digest_size=16).digest()

    def first_vote(self, chat_id: int, message_id: int) -> bool:
        """True the first time a reply is voted on (within the time kept), False after."""
        digest = self._digest(chat_id, message_id)
        now = self._clock()
        with self._lock:
            while self._seen and (
                len(self._seen) >= self._limit
                or next(iter(self._seen.values())) < now - self._seconds
            ):
                self._seen.popitem(last=False)
            if digest in self._seen:
                return False
            self._seen[digest] = now
            return True

    def __len__(self) -> int:
        return len(self._seen)
