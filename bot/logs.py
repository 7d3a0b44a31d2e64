"""Logging that never reveals the bot token (the HTTP client logs URLs that contain it)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "[verborgen]"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes every secret from the whole line, tracebacks included."""

    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL (with the token) at INFO; the formatter hides it anyway.
    logging.getLogger("httpx").setLevel(logging.WARNING)
