"""Personal data out of what the bot keeps: a stored question is valid text without
names, addresses, phone numbers and the like.
"""

from __future__ import annotations


def valid_unicode(text: str) -> str:
    """The text with every lone surrogate (which no encoder accepts, and which a Telegram
    client can send) as U+FFFD; a pair of surrogates becomes the character it stands for."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
