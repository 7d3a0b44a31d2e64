"""Per-word results kept between messages, but only for words anybody could have written.

People write names, medicines and details of their health. A word that the knowledge does
not use and that is no ordinary Dutch ('ropinirol', a rare typo) is worked out again each
time it comes, rather than kept in memory for as long as the bot runs. The words that may
be kept are the knowledge's and the Dutch word list's, so the cache cannot grow past those
either. The Dutch word list has names too ('jan', 'vries', 'kerkstraat'): a word that may be
a name or a street (bot/personal.py, knowledge/namen.txt) is never kept, whatever list it
is on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from bot.personal import is_personal_word

V = TypeVar("V")


class WordCache(dict[str, V], Generic[V]):
    """A dict (so looking up stays as fast as a dict's) that only takes allowed words."""

    def __init__(self, may_keep: Callable[[str], bool]) -> None:
        super().__init__()
        self._may_keep = may_keep

    def put(self, word: str, value: V) -> V:
        if self._may_keep(word) and not is_personal_word(word):
            self[word] = value
        return value
