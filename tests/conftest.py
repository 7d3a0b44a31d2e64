"""The real bot, started by ``bot.telegram.app.run_bot`` as ``python -m bot run`` starts it,
against the Bot API test server.

``running_bot`` yields ``(server, application)``; the holder, store, clock and config are
in ``application.bot_data``. Options per test come from the ``bot_options`` marker, e.g.
``@pytest.mark.bot_options(reload_seconds=0.2, privacy_mode=False, edit_knowledge=fn)``.
Starting and stopping is ``tests.harness.bot_running``, which the benchmarks use as well.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from tests.botapi_server import DEFAULT_USER_ID, BotApiTestServer
from tests.harness import (
    ADMIN_ID,
    EVENING,
    Clock,
    RunningBot,
    bot_running,
    copy_knowledge,
    helpdesk_for,
)

# Tests import these from here; they live in tests/harness.py, which benchmarks use too.
__all__ = [
    "ADMIN_ID",
    "EVENING",
    "TIMEOUT",
    "USER",
    "Clock",
    "RunningBot",
    "bot_running",
    "copy_knowledge",
    "exchange",
    "helpdesk_for",
    "press",
    "say",
]

TIMEOUT = 3.0  # seconds for any one reply
USER = DEFAULT_USER_ID


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bot_options(**kwargs): options for the running_bot fixture (see conftest)"
    )


@pytest.fixture
async def running_bot(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[BotApiTestServer, Application]]:
    marker = request.node.get_closest_marker("bot_options")
    options = dict(marker.kwargs) if marker else {}
    edit: Callable[[Path], None] | None = options.pop("edit_knowledge", None)
    knowledge_dir = copy_knowledge(tmp_path / "knowledge")
    if edit is not None:
        edit(knowledge_dir)
    async with bot_running(tmp_path, knowledge_dir=knowledge_dir, **options) as running:
        yield running.server, running.application


# -- chatting as a user --------------------------------------------------------------------


async def exchange(
    server: BotApiTestServer, action: Callable[[], object], chat_id: int = USER, replies: int = 1
) -> list[dict[str, Any]]:
    """Do what the user does, then wait for the bot's next ``replies`` messages in that chat."""
    before = len(server.sent_messages(chat_id))
    action()
    await server.wait_for_message(chat_id, count=before + replies, timeout=TIMEOUT)
    return server.sent_messages(chat_id)[before:]


async def say(server: BotApiTestServer, text: str, user_id: int = USER, **kw: Any) -> dict:
    (reply,) = await exchange(server, lambda: server.user_sends_text(text, user_id, **kw), user_id)
    return reply


async def press(
    server: BotApiTestServer, message: dict, data: str, chat_id: int = USER, **kw: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Press a button; returns (the callback query, the bot's next message or edit)."""
    pressed: dict[str, Any] = {}

    def action() -> None:
        pressed.update(server.user_presses_button(message, data, **kw))

    (reply,) = await exchange(server, action, chat_id)
    await server.wait_for(
        lambda c: (
            c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == pressed["id"]
        ),
        timeout=TIMEOUT,
    )
    return pressed, reply
