"""Starting the real bot and the ``python -m bot`` command, shared by tests and benchmarks.

A plain module, no pytest in it: ``tests/conftest.py`` builds its fixtures on it, and
``benchmarks/`` use ``bot_running`` directly.

``bot_running`` starts the Bot API test server (or takes one) and runs the bot the way
``python -m bot run`` does: the settings are read by ``bot.config.load_config`` from
environment variables, and ``bot.telegram.app.run_bot`` runs in a thread until its
``stop`` event is set. ``run_bot`` here runs ``python -m bot`` in a subprocess, bounded by
a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.config import Config, load_config
from bot.core import Helpdesk, load_helpdesk
from bot.holder import HelpdeskHolder
from bot.loader import DEFAULT_KNOWLEDGE_DIR
from bot.store import QuestionStore
from bot.telegram import app
from tests.botapi_server import BotApiTestServer

ROOT = Path(__file__).resolve().parent.parent
# Tuesday 25 November 2025, 19:30 in Amsterdam: a working day, the phone line is open.
EVENING = datetime(2025, 11, 25, 18, 30, tzinfo=UTC)
ADMIN_ID = 5_550_001
BOT_TIMEOUT = 60  # seconds for one ``python -m bot`` command
START_TIMEOUT = 15.0  # seconds for the bot to start answering, and to stop


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
    clock: Clock

    @property
    def holder(self) -> HelpdeskHolder:
        return self.application.bot_data["holder"]

    @property
    def store(self) -> QuestionStore:
        return self.application.bot_data["store"]


def copy_knowledge(target: Path) -> Path:
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


_HELPDESKS: dict[tuple[str, int], Helpdesk] = {}


def helpdesk_for(folder: Path, retention_days: int = Config.retention_days) -> Helpdesk:
    """Load once per distinct content: a Helpdesk is immutable, so tests can share it."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.y*ml")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    key = (digest.hexdigest(), retention_days)
    if key not in _HELPDESKS:
        _HELPDESKS[key] = load_helpdesk(folder, retention_days)
    return _HELPDESKS[key]


def bot_settings(server: BotApiTestServer, tmp_path: Path, **variables: str) -> dict[str, str]:
    """The environment variables of a bot that talks to ``server`` and keeps its database
    in ``tmp_path``; ``variables`` add to them or replace them."""
    return {
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_BASE_URL": server.base_url,
        "TELEGRAM_BASE_FILE_URL": server.base_file_url,
        "DATABASE_PATH": str(tmp_path / "q.sqlite3"),
        **variables,
    }


@contextlib.asynccontextmanager
async def bot_running(
    tmp_path: Path,
    *,
    knowledge_dir: Path | None = None,
    admin_chat_ids: Iterable[int] = (ADMIN_ID,),
    reload_seconds: float = 30.0,
    clock: Clock | None = None,
    log_messages: bool = False,
    database: Path | None = None,
    settings: Mapping[str, str] | None = None,
    server: BotApiTestServer | None = None,
    **server_options: Any,
) -> AsyncIterator[RunningBot]:
    """Start the server and ``run_bot`` with these settings; stop both on the way out.

    Without ``knowledge_dir`` the bot gets a copy of knowledge/ in ``tmp_path``; the
    database is ``tmp_path / "q.sqlite3"`` unless ``database`` is given. ``settings`` are
    more environment variables (``RETENTION_DAYS``, ``WEBHOOK_URL`` …). A ``server`` given
    is used and left running; otherwise one is started with ``server_options``.
    """
    if knowledge_dir is None:
        knowledge_dir = copy_knowledge(tmp_path / "knowledge")
    async with contextlib.AsyncExitStack() as stack:
        if server is None:
            server = await stack.enter_async_context(BotApiTestServer(**server_options))
        env = bot_settings(
            server,
            tmp_path,
            KNOWLEDGE_DIR=str(knowledge_dir),
            ADMIN_CHAT_IDS=",".join(map(str, admin_chat_ids)),
            RELOAD_INTERVAL=str(reload_seconds),
            LOG_MESSAGES="1" if log_messages else "0",
            **({"DATABASE_PATH": str(database)} if database else {}),
            **(settings or {}),
        )
        config, problems = load_config(env=env, env_file=None)
        assert not problems, problems
        clock = clock or Clock()
        async with run_in_thread(
            config, helpdesk_for(knowledge_dir, config.retention_days), clock
        ) as (application):
            yield RunningBot(server, application, config, clock)


@contextlib.asynccontextmanager
async def run_in_thread(
    config: Config, helpdesk: Helpdesk, clock: Clock
) -> AsyncIterator[Application]:
    """``run_bot`` in a thread of its own, with its own event loop, as in production; set
    its ``stop`` event on the way out and wait until it has stopped."""
    stop = threading.Event()
    started: list[Application] = []
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(
                app.run_bot(
                    config, helpdesk=helpdesk, clock=clock, stop=stop, started=started.append
                )
            )
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, name="bot", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (started and started[0].running):
            if outcome or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start: {outcome or 'timeout'}")
            await asyncio.sleep(0.01)
        yield started[0]
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, START_TIMEOUT)
    assert not thread.is_alive(), "the bot did not stop"
    assert outcome == [0], f"run_bot ended with {outcome}"


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
