"""Logging that never reveals the bot token, nor (by default) what people wrote.

The HTTP client logs URLs that contain the token; python-telegram-bot logs whole updates
and API parameters at DEBUG, i.e. every message and reply with names and chat ids.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

REDACTED = "[verborgen]"
# python-telegram-bot logs the raw JSON of webhook calls as a plain string.
PAYLOAD_TEMPLATES = ("Webhook received data: %s",)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes every secret from the whole line, tracebacks included."""

    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        found: list[str] = []
        for secret in secrets:
            if not secret:
                continue
            found.append(secret)
            # The part after "bot id:" is the real secret; hide it also when it shows up
            # alone, e.g. URL-encoded as "123%3AABC…".
            _, colon, rest = secret.partition(":")
            if colon and len(rest) >= 16:
                found.append(rest)
        self.secrets = sorted(set(found), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def _hide(value: Any) -> Any:
    """An argument of a python-telegram-bot log call, without what people wrote."""
    update_id = getattr(value, "update_id", None)
    if isinstance(update_id, int):
        return f"update {update_id}"
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return value  # update ids: "Getting updates: [100001, 100002]"
    if isinstance(value, Mapping | list | tuple | set):
        return REDACTED
    if type(value).__module__.startswith("telegram"):
        return REDACTED
    return value


class ConversationFilter(logging.Filter):
    """Keeps messages, replies, names and chat ids out of python-telegram-bot's DEBUG lines;
    the endpoint names and update ids stay, so the log still shows what happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("telegram") or not record.args:
            return True
        if isinstance(record.args, Mapping):
            record.args = {key: _hide(value) for key, value in record.args.items()}
        elif record.msg in PAYLOAD_TEMPLATES:
            record.args = tuple(REDACTED for _ in record.args)
        else:
            record.args = tuple(_hide(value) for value in record.args)
        return True


class QuietInvalidToken(logging.Filter):
    """A token Telegram refuses is reported in one clear line by ``run``; no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and type(record.exc_info[1]).__name__ == "InvalidToken":
            record.exc_info = None
            record.exc_text = None
        return True


def setup_logging(
    level: str,
    secrets: Iterable[str],
    log_messages: bool = False,
    stream: TextIO | None = None,
) -> logging.Handler:
    """One handler on the root logger; returns it (tests read what it wrote)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(QuietInvalidToken())
    if not log_messages:
        handler.addFilter(ConversationFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL (with the token) at INFO; the formatter hides it anyway.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
