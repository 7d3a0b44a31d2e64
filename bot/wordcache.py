"""Per-word results kept between messages, but only for words anybody could have written.

People write names, medicines and details of their health. A word that the knowledge does
not use and that is no ordinary Dutch ('ropinirol', a surname, a rare typo) is worked out
again each time it comes, rather than kept in memory for as long as the bot runs. The words
that may be kept are the knowledge's and the Dutch word list's, so the cache cannot grow
past those either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class WordCache(dict[str, V], Generic[V]):
    """A dict (so looking up stays as fast as a dict's) that only takes allowed words."""

    def __init__(self, may_keep: Callable[[str], bool]) -> None:
        super().__init__()
        self._may_keep = may_keep

    def put(self, word: str, value: V) -> V:
        if self._may_keep(word):
            self[word] = value
        return value
