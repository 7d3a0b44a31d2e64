"""Is a word ordinary Dutch? Then it is no typo, even when a knowledge word looks like it.

Without this, 'zwager' would be 'repaired' to 'zwanger' and 'vader' to 'vaker'. The list
is wordfreq's small Dutch list (about 29,000 words), loaded once per process.
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency

_ENDINGS = ("end", "ende", "tjes", "jes", "tje", "je", "en", "de", "te", "s", "e", "t")


def _listed(word: str) -> bool:
    return zipf_frequency(word, "nl", wordlist="small") > 0


@lru_cache(maxsize=65536)
def commonness(word: str) -> float:
    """How common the word is in Dutch, on the Zipf scale: 0 for unlisted words (names,
    jargon, typos), about 3 for 'nierstenen', 5 to 6 for 'kort' or 'goed'. Common words
    say little about what a question is about; rare ones say a lot."""
    found = zipf_frequency(word, "nl", wordlist="small")
    if found > 0:
        return found
    for end in _ENDINGS:
        if word.endswith(end) and len(word) - len(end) >= 3:
            base = zipf_frequency(word[: -len(end)], "nl", wordlist="small")
            if base > 0:
                return base
    return 0.0


@lru_cache(maxsize=65536)
def is_dutch_word(word: str) -> bool:
    """In the list, or an inflection of a listed word ('gillend', 'woelen', 'krampjes')."""
    if _listed(word):
        return True
    return any(
        word.endswith(end) and len(word) - len(end) >= 3 and _listed(word[: -len(end)])
        for end in _ENDINGS
    )
