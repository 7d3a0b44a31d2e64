"""The real bot, started the way ``run_polling`` starts it, against the fake Bot API server.

``running_bot`` yields ``(server, application)``; the holder, store, clock and config are
in ``application.bot_data``. Options per test come from the ``bot_options`` marker, e.g.
``@pytest.mark.bot_options(reload_seconds=0.2, privacy_mode=False, edit_knowledge=fn)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.config import Config
from bot.core import Helpdesk, load_helpdesk
from bot.holder import HelpdeskHolder
from bot.loader import DEFAULT_KNOWLEDGE_DIR
from bot.store import QuestionStore
from bot.telegram.app import build_application
from tests.botapi_server import DEFAULT_USER_ID, BotApiTestServer

TIMEOUT = 3.0  # seconds for any one reply
USER = DEFAULT_USER_ID
# Tuesday 25 November 2025, 19:30 in Amsterdam: a working day, the phone line is open.
EVENING = datetime(2025, 11, 25, 18, 30, tzinfo=UTC)
ADMIN_ID = 5_550_001


class Clock:
    """A fixed moment that a test may move."""

    def __init__(self, moment: datetime = EVENING) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class RunningBot:
    server: BotApiTestServer
    application: Application
    config: Config
    holder: HelpdeskHolder
    store: QuestionStore
    clock: Clock


def copy_knowledge(target: Path) -> Path:
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


_HELPDESKS: dict[str, Helpdesk] = {}


def helpdesk_for(folder: Path) -> Helpdesk:
    """Load once per distinct content: a Helpdesk is immutable, so tests can share it."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.y*ml")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()
    if key not in _HELPDESKS:
        _HELPDESKS[key] = load_helpdesk(folder)
    return _HELPDESKS[key]


@contextlib.asynccontextmanager
async def bot_running(
    tmp_path: Path,
    *,
    knowledge_dir: Path | None = None,
    admin_chat_ids: Iterable[int] = (ADMIN_ID,),
    reload_seconds: float = 30.0,
    clock: Clock | None = None,
    log_messages: bool = False,
    store: QuestionStore | None = None,
    server: BotApiTestServer | None = None,
    **server_options: Any,
) -> AsyncIterator[RunningBot]:
    """Start server and bot; stop both, in the order ``Application.run_polling`` uses."""
    if knowledge_dir is None:
        knowledge_dir = copy_knowledge(tmp_path / "knowledge")
    async with contextlib.AsyncExitStack() as stack:
        if server is None:
            server = await stack.enter_async_context(BotApiTestServer(**server_options))
        config = Config(
            token=server.token,
            base_url=server.base_url,
            base_file_url=server.base_file_url,
            admin_chat_ids=frozenset(admin_chat_ids),
            database=tmp_path / "q.sqlite3",
            knowledge_dir=knowledge_dir,
            reload_seconds=reload_seconds,
            log_messages=log_messages,
        )
        holder = HelpdeskHolder(helpdesk_for(knowledge_dir), knowledge_dir)
        store = store or QuestionStore(config.database)
        clock = clock or Clock()
        application = build_application(config, holder, store, clock)
        async with application:  # initialize() ... shutdown()
            # run_polling calls post_init after initialize() and post_stop after stop();
            # a manual start has to do the same.
            await application.post_init(application)
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=1)
            try:
                yield RunningBot(server, application, config, holder, store, clock)
            finally:
                if application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()
                await application.post_stop(application)


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
