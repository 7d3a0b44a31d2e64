"""What the bot writes to its log: never the token, and not what people wrote (by default).

The bot runs end to end with every logger at DEBUG, where python-telegram-bot logs whole
updates and API calls and httpx logs request URLs, which contain the token.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.logs import REDACTED, setup_logging
from tests.botapi_server import DEFAULT_TOKEN, BotApiTestServer
from tests.conftest import ADMIN_ID, bot_running, press, say
from tests.harness import bot_process
from tests.test_telegram_e2e import CLEAR, CLEAR_ID, OFF_TOPIC, URGENT

NAME = "Geheimnaam"
USER_ID = 246_813_579
USER_TEXTS = (CLEAR, OFF_TOPIC, URGENT, "boem, gaat het mis?", "dank je wel voor de hulp")


@pytest.fixture
def log_capture() -> Iterator[Callable[..., io.StringIO]]:
    """Set up logging as ``run`` does, into a StringIO; every logger at DEBUG."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    saved_levels = {lg.name: lg.level for lg in loggers}

    def start(log_messages: bool = False) -> io.StringIO:
        stream = io.StringIO()
        setup_logging("DEBUG", [DEFAULT_TOKEN], log_messages, stream=stream)
        for lg in [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]:
            lg.setLevel(logging.DEBUG)  # httpx too, although setup_logging quietens it
        return stream

    yield start
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(saved_levels.get(name, logging.NOTSET))


async def converse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_messages: bool) -> None:
    """A conversation with a question, a referral, an emergency, buttons and a failure."""
    async with bot_running(tmp_path, log_messages=log_messages) as running:
        server = running.server
        server.add_user(USER_ID, first_name=NAME)
        helpdesk = running.holder.current
        respond = helpdesk.respond

        def failing(message: str, moment: datetime):
            if message.startswith("boem"):
                raise RuntimeError("simulated failure in the core")
            return respond(message, moment)

        monkeypatch.setattr(helpdesk, "respond", failing)
        await say(server, "/start", USER_ID)
        answer = await say(server, CLEAR, USER_ID)
        await press(server, answer, f"f:{CLEAR_ID}:1", chat_id=USER_ID)
        for text in USER_TEXTS[1:]:
            await say(server, text, USER_ID)
        await say(server, "/stats", ADMIN_ID)
        await server.wait_until_consumed(timeout=3)
        await asyncio.sleep(0.1)
    logging.getLogger("tests").info("conversation over")


async def test_log_has_no_token_and_no_user_text_at_debug(tmp_path, monkeypatch, log_capture):
    stream = log_capture()
    await converse(tmp_path, monkeypatch, log_messages=False)
    log = stream.getvalue()
    lines = log.splitlines()
    # The capture really saw everything: PTB's API calls, httpx's URLs, the failure.
    assert any("Calling Bot API endpoint `sendMessage`" in line for line in lines)
    assert any("httpx" in line and "HTTP Request" in line for line in lines)
    assert "Handling an update failed" in log and "RuntimeError" in log
    assert f"/bot{REDACTED}/getUpdates" in log

    token_secret = DEFAULT_TOKEN.split(":", 1)[1]
    assert [line for line in lines if token_secret in line] == []
    for text in (*USER_TEXTS, NAME):
        assert [line for line in lines if text.lower() in line.lower()] == [], text
    assert [line for line in lines if str(USER_ID) in line] == []


async def test_log_messages_on_shows_what_people_wrote(tmp_path, monkeypatch, log_capture):
    stream = log_capture(log_messages=True)
    await converse(tmp_path, monkeypatch, log_messages=True)
    log = stream.getvalue()
    assert repr(OFF_TOPIC) in log
    assert DEFAULT_TOKEN.split(":", 1)[1] not in log


# -- python -m bot run: configuration mistakes in one line ---------------------------------


def run_bot_command(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "SYSTEMROOT", "PYTHONPATH")
    }
    env.update(DATABASE_PATH=str(tmp_path / "q.sqlite3"), **variables)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,  # no .env of a developer in the way
        env=env,
        timeout=30,
    )


def test_run_with_a_malformed_token_says_so_in_one_line(tmp_path):
    result = run_bot_command(tmp_path, TELEGRAM_BOT_TOKEN="12345:kort")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "BotFather" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert "kort" not in result.stderr  # not even a malformed token is printed


def test_run_without_a_token_explains_what_to_set(tmp_path):
    result = run_bot_command(tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "TELEGRAM_BOT_TOKEN ontbreekt" in result.stderr
    assert "BotFather" in result.stderr


async def test_run_with_a_token_telegram_refuses_stops_without_traceback(tmp_path):
    wrong = f"{DEFAULT_TOKEN.split(':')[0]}:AAThisTokenWasRevokedByBotFather_0042"
    async with BotApiTestServer() as server:
        env = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "PYTHONPATH")
        }
        env.update(
            TELEGRAM_BOT_TOKEN=wrong,
            TELEGRAM_BASE_URL=server.base_url,
            DATABASE_PATH=str(tmp_path / "q.sqlite3"),
        )
        async with bot_process(tmp_path, env) as process:
            out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    stderr = err.decode("utf-8")
    assert process.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "Telegram kent TELEGRAM_BOT_TOKEN niet" in stderr
    assert wrong.split(":", 1)[1] not in stderr + out.decode("utf-8")
