"""The bot as it is run: its settings reach the parts that need them.

Each test starts the real bot through ``run_bot`` (``tests.harness.bot_running``) or as
``python -m bot run`` in its own process, against the Bot API test server on 127.0.0.1:
webhook mode with its secret, the retention of questions, the hourly purge, and the
commands' texts from the knowledge shown as text, not as HTML.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.core import load_helpdesk
from bot.store import QuestionStore
from bot.telegram.webhook import MAX_BODY
from tests.botapi_server import BotApiTestServer
from tests.conftest import ADMIN_ID, EVENING, TIMEOUT, USER, say
from tests.harness import bot_process, bot_running, bot_settings, copy_knowledge, env_without_token
from tests.test_telegram_e2e import CLEAR, OFF_TOPIC

SECRET = "Geheim_van-de-Stichting-2025"
WEBHOOK_URL = "https://bot.example.nl/telegram"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


async def eventually(check, what: str, timeout: float = TIMEOUT) -> None:
    """Wait, bounded, until ``check()`` is true."""
    try:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {timeout} s: {what}") from None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- webhook mode -----------------------------------------------------------------------------


async def test_webhook_mode_registers_the_secret_and_refuses_posts_without_it(tmp_path):
    port = free_port()
    settings = {
        "WEBHOOK_URL": WEBHOOK_URL,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }
    async with bot_running(tmp_path, settings=settings) as running:
        server = running.server
        hook = server.webhook_info
        assert hook["url"] == WEBHOOK_URL
        assert hook["secret_token"] == SECRET
        local = f"http://127.0.0.1:{port}/telegram"

        server.user_sends_text(CLEAR)
        assert await server.flush_to_webhook(local, secret_token="") == [403]
        assert await server.flush_to_webhook(local, secret_token="fout-geheim") == [403]
        await asyncio.sleep(0.2)
        assert server.sent_messages(USER) == []  # refused: nothing was answered

        for secret in ("", "fout-geheim"):  # answered before the body is even sent
            assert await first_line_before_the_body(port, secret) == "HTTP/1.1 403 Forbidden"

        assert await server.flush_to_webhook(local) == [200]  # with the registered secret
        reply = await server.wait_for_message(USER, count=1, timeout=TIMEOUT)
        assert "magnesium" in reply["text"].lower()

        # An update padded far beyond any real one is refused before it is read, even with
        # the secret; then the same update, as Telegram sends it, is answered.
        server.user_sends_text(CLEAR)
        update = json.dumps(server.pending_updates[0])
        huge = update[:-1] + " " * MAX_BODY + "}"
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session,
                session.post(local, data=huge.encode(), headers=headers) as response,
            ):
                status = response.status
        except aiohttp.ClientError:
            status = None  # the connection was closed on the sender: refused as well
        assert status is None or status >= 400, status
        assert await server.flush_to_webhook(local) == [200]
        await server.wait_for_message(USER, count=2, timeout=TIMEOUT)
        await asyncio.sleep(0.2)
        assert len(server.sent_messages(USER)) == 2


async def first_line_before_the_body(port: int, secret: str) -> str:
    """Send only the headers of a post that announces half a megabyte, and read the first
    line of the answer: only a server that checks the secret first answers at all."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                "POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nContent-Length: 500000\r\n"
                + (f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n" if secret else "")
                + "\r\n"
            ).encode()
        )
        await writer.drain()
        async with asyncio.timeout(TIMEOUT):
            return (await reader.readline()).decode().strip()
    finally:
        writer.close()


# -- retention --------------------------------------------------------------------------------


async def test_the_running_bot_deletes_questions_older_than_the_retention(tmp_path):
    database = tmp_path / "q.sqlite3"
    before = QuestionStore(database, retention_days=30)
    before.record_question("een vraag van lang geleden", "referral", EVENING - timedelta(days=31))
    before.record_question("een vraag van vorige week", "referral", EVENING - timedelta(days=7))
    before.close()
    async with bot_running(tmp_path, settings={"RETENTION_DAYS": "30"}) as running:
        store = running.store
        await eventually(
            lambda: [text for _, _, text in store.questions()] == ["een vraag van vorige week"],
            "the old question purged at start, the recent one kept",
        )


async def test_a_retention_of_zero_keeps_nothing_and_privacy_says_so(tmp_path):
    """``python -m bot run`` with RETENTION_DAYS=0: /privacy says nothing is kept, and a
    question without an answer is indeed not stored."""
    nothing = load_helpdesk(retention_days=0).composer.privacy()
    kept = load_helpdesk(retention_days=90).composer.privacy()
    assert nothing != kept
    database = tmp_path / "q.sqlite3"
    async with BotApiTestServer() as server:
        env = env_without_token(**bot_settings(server, tmp_path, RETENTION_DAYS="0"))
        async with bot_process(tmp_path, env) as process:
            await server.wait_for("getUpdates", timeout=STARTUP_TIMEOUT)
            privacy = await say(server, "/privacy")
            assert privacy["text"] == nothing
            referral = await say(server, OFF_TOPIC)
            assert "0900" in referral["text"]  # a referral: the kind of question that is kept
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), STOP_TIMEOUT)
            assert process.returncode == 0, (out + err).decode(errors="replace")[-2000:]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM unanswered").fetchone() == (0,)


# -- /stats -----------------------------------------------------------------------------------


async def test_stats_on_an_unreadable_database_says_so_and_the_bot_goes_on(tmp_path, caplog):
    async with bot_running(tmp_path) as running:
        server = running.server
        await say(server, OFF_TOPIC)
        await eventually(lambda: running.store.questions(), "the stored question")
        with running.config.database.open("r+b") as file:  # overwritten by something else
            file.write(b"dit is geen database meer " * 200)
        reply = await say(server, "/stats", ADMIN_ID)
        assert reply["text"] == running.holder.current.composer.message("stats_unavailable")
        assert "0900" in (await say(server, OFF_TOPIC))["text"]  # still answering
    assert any("/stats" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


# -- texts of the commands --------------------------------------------------------------------

MARKUP = "<b>Let op</b> & 1 < 2 > 0"


def with_markup_in_every_command_text(folder: Path) -> None:
    """Every text a command shows starts with characters that mean something in HTML."""
    path = folder / "messages.yaml"
    text = path.read_text(encoding="utf-8")
    for key in ("welcome", "help", "privacy", "contact"):
        text = text.replace(f"\n{key}: |-\n  ", f"\n{key}: |-\n  {MARKUP}\n  ", 1)
    text = text.replace('\ntopics_intro: "', f'\ntopics_intro: "{MARKUP} ', 1)
    assert text.count(MARKUP) == 5
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("command", ["/start", "/help", "/onderwerpen", "/contact", "/privacy"])
async def test_command_texts_with_html_characters_reach_the_user_as_written(tmp_path, command):
    folder = copy_knowledge(tmp_path / "kennis")
    with_markup_in_every_command_text(folder)
    async with bot_running(tmp_path, knowledge_dir=folder) as running:
        reply = await say(running.server, command)
        failures = list(running.server.failures)
    assert failures == []
    assert reply["text"].startswith(MARKUP), reply["text"]
    detected = ("bot_command", "url", "email", "mention")  # found in plain text by Telegram
    assert [e for e in reply.get("entities", []) if e["type"] not in detected] == []
