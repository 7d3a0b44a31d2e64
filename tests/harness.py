"""Starting the real bot and the ``python -m bot`` command, shared by tests and benchmarks.

A plain module, no pytest in it: ``tests/conftest.py`` builds its fixtures on it, and
``benchmarks/`` use ``bot_running`` directly.

``bot_running`` starts the fake Bot API server (or takes one) and the application from
``bot.telegram.app.build_application``, the way ``Application.run_polling`` starts it, and
stops both in the order ``run_polling`` uses. ``run_bot`` runs ``python -m bot`` in a
subprocess, bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.config import Config
from bot.core import Helpdesk, load_helpdesk
from bot.holder import HelpdeskHolder
from bot.loader import DEFAULT_KNOWLEDGE_DIR
from bot.store import QuestionStore
from bot.telegram.app import build_application
from tests.botapi_server import BotApiTestServer

ROOT = Path(__file__).resolve().parent.parent
# Tuesday 25 November 2025, 19:30 in Amsterdam: a working day, the phone line is open.
EVENING = datetime(2025, 11, 25, 18, 30, tzinfo=UTC)
ADMIN_ID = 5_550_001
BOT_TIMEOUT = 60  # seconds for one ``python -m bot`` command


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
    config_options: Mapping[str, Any] | None = None,
    **server_options: Any,
) -> AsyncIterator[RunningBot]:
    """Start server and bot; stop both, in the order ``Application.run_polling`` uses.

    Without ``knowledge_dir`` the bot gets a copy of knowledge/ in ``tmp_path``; the
    database is ``tmp_path / "q.sqlite3"`` unless a ``store`` is given. A ``server`` given
    is used and left running; otherwise one is started with ``server_options``.
    ``config_options`` sets further fields of the Config (the workspace's, say).
    """
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
            **(config_options or {}),
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


# -- python -m bot ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bot_process(
    tmp_path: Path, env: Mapping[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot run`` as its own process, in ``tmp_path`` (so no .env of the project
    is read); killed on the way out if it is still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def env_without_token(**variables: str) -> dict[str, str]:
    """This process's environment without TELEGRAM_BOT_TOKEN, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(variables)
    return env


def run_bot(
    *args: str,
    stdin: str | None = "",
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = BOT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` in a subprocess, bounded by a timeout.

    ``stdin`` is the whole input (None: inherit this process's); ``env`` defaults to this
    process's environment without TELEGRAM_BOT_TOKEN.
    """
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=dict(env) if env is not None else env_without_token(),
        timeout=timeout,
    )
