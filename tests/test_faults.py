"""Faults around the bot, end to end through the fake Bot API: Telegram unreachable or
throttling, the knowledge folder vanishing, the database locked, full or gone, a handler
raising. In every case people keep getting answers, and each failure is logged once.

Each test is bounded to a few seconds: waits use explicit timeouts, never open-ended polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from bot.replies import Outcome
from tests.conftest import ADMIN_ID, TIMEOUT, USER, RunningBot, bot_running, say
from tests.test_telegram_e2e import (
    CLEAR,
    CLEAR_ID,
    OFF_TOPIC,
    eventually,
    set_answer,
    starts_with_bold,
    unanswered,
    write_atomically,
)

# Off-topic questions, and words no one knows: each gets a referral or a choice, so each
# becomes a row in the database (whichever do with the matcher in use).
MAYBE_STORED = (
    OFF_TOPIC,
    "hoe laat gaat de bus naar utrecht",
    "wie wint het wk voetbal",
    "hoe repareer ik mijn wasmachine",
    "wat is het weer morgen in groningen",
    "hoe oud is de koning",
    *(f"xyzzy plugh {n}" for n in range(1, 7)),
)
SMALLTALK = "hallo"


def records(caplog: pytest.LogCaptureFixture, logger: str, needle: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and needle in r.getMessage()]


def stored_questions(running: RunningBot, count: int) -> list[str]:
    """``count`` messages that get a referral or a choice, so are stored."""
    desk, moment = running.holder.current, running.clock()
    stored = (Outcome.REFERRAL, Outcome.CLARIFY)
    found = [t for t in MAYBE_STORED if desk.respond(t, moment).outcome in stored]
    assert len(found) >= count, f"only {found} are stored; the test needs {count}"
    return found[:count]


def expected_first_line(running: RunningBot, text: str) -> str:
    reply = running.holder.current.respond(text, running.clock())
    return (reply.title or reply.body).splitlines()[0]


# -- Telegram unreachable ---------------------------------------------------------------------


OUTAGES = ["bad_gateway", "drop"]  # Telegram's nginx answers 502, or the connection breaks


@pytest.mark.parametrize("mode", OUTAGES)
async def test_an_outage_is_retried_with_back_off_and_everything_is_answered_once(tmp_path, mode):
    async with bot_running(tmp_path) as running:
        server = running.server
        await say(server, SMALLTALK)  # polling runs
        users = [USER + 1 + i for i in range(4)]
        texts = [CLEAR, OFF_TOPIC, SMALLTALK]

        server.go_offline(mode)
        await eventually(lambda: server.failures, "a failed long poll")
        offline_at = server.failures[0].time
        for text in texts:  # queued at Telegram while the bot cannot reach it
            for user in users:
                server.user_sends_text(text, user_id=user)
        await asyncio.sleep(2.5)
        polls = [f.time for f in server.failures if f.method == "getUpdates"]
        assert all(server.sent_messages(u) == [] for u in users)
        server.go_online()

        for user in users:
            await server.wait_for_message(user, count=len(texts), timeout=TIMEOUT * 2)
        await server.wait_until_consumed(timeout=TIMEOUT)
        await asyncio.sleep(0.3)  # room for a late duplicate to show up
        per_chat = Counter(c.params["chat_id"] for c in server.calls_of("sendMessage"))

    # Back-off: a few retries during 2.5 s, each pause longer than the one before,
    # instead of hammering a server that is down.
    gaps = [b - a for a, b in zip([offline_at, *polls], polls, strict=False) if b > a]
    assert 2 <= len(polls) <= 5, polls
    assert all(gap >= 0.5 for gap in gaps), gaps
    assert gaps == sorted(gaps), gaps
    assert all(per_chat[u] == len(texts) for u in users), per_chat
    for user in users:
        got = sorted(m["text"].splitlines()[0] for m in server.sent_messages(user))
        assert got == sorted(expected_first_line(running, t) for t in texts)


@pytest.mark.parametrize("mode", OUTAGES)
async def test_a_reply_in_flight_when_the_outage_starts_still_arrives_once(tmp_path, mode):
    async with bot_running(tmp_path) as running:
        server = running.server
        await say(server, SMALLTALK)
        server.latency = 0.5  # every answer from Telegram takes half a second
        server.user_sends_text(CLEAR)
        await server.wait_for("sendMessage", count=2, timeout=TIMEOUT)  # the reply, in flight
        server.go_offline(mode)  # the reply fails
        await asyncio.sleep(1.5)
        server.latency = 0.0
        server.go_online()
        reply = await server.wait_for_message(USER, count=2, timeout=TIMEOUT * 2)
        await asyncio.sleep(0.5)
        sent = server.sent_messages(USER)
    assert starts_with_bold(reply, running.holder.current.knowledge.by_id[CLEAR_ID].question)
    assert len(sent) == 2  # the first "hallo" answer and this one, nothing twice
    assert any(f.method == "sendMessage" for f in server.failures)


async def test_flood_control_is_waited_out_and_the_reply_arrives_once(tmp_path):
    async with bot_running(tmp_path) as running:
        server = running.server
        server.fail_next("sendMessage", 429, retry_after=1)
        reply = await say(server, CLEAR)
        other = await say(server, OFF_TOPIC, USER + 1)
        await asyncio.sleep(0.3)
        sends = server.calls_of("sendMessage")
    assert starts_with_bold(reply, running.holder.current.knowledge.by_id[CLEAR_ID].question)
    assert other["text"].startswith(expected_first_line(running, OFF_TOPIC))
    assert [(f.method, f.error_code) for f in server.failures] == [("sendMessage", 429)]
    assert sends[1].time - sends[0].time >= 1.0  # retried only after retry_after
    assert len(server.sent_messages(USER)) == 1 and len(server.sent_messages(USER + 1)) == 1


# -- the knowledge folder disappears ----------------------------------------------------------


def rename_away(folder: Path) -> Callable[[], None]:
    away = folder.with_name(folder.name + ".weg")
    folder.rename(away)
    return lambda: away.rename(folder)


def directory_instead_of(path: Path) -> Callable[[], None]:
    content = path.read_bytes()
    path.unlink()
    path.mkdir()
    (path / "inhoud.txt").write_text("geen yaml")

    def restore() -> None:
        shutil.rmtree(path)
        path.write_bytes(content)

    return restore


def folder_deleted(folder: Path) -> Callable[[], None]:
    backup = folder.with_name(folder.name + ".kopie")
    shutil.copytree(folder, backup)
    shutil.rmtree(folder)
    return lambda: backup.rename(folder)


BREAKAGES = {
    "folder-renamed": lambda k: rename_away(k),
    "folder-deleted": lambda k: folder_deleted(k),
    "messages-is-a-directory": lambda k: directory_instead_of(k / "messages.yaml"),
    "faq-file-is-a-directory": lambda k: directory_instead_of(k / "faq" / "tekort.yaml"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
async def test_knowledge_gone_at_run_time_keeps_the_last_good_answers(tmp_path, caplog, breakage):
    caplog.set_level(logging.INFO, logger="bot")
    async with bot_running(tmp_path, reload_seconds=0.2) as running:
        server = running.server
        folder = running.config.knowledge_dir
        before = running.holder.current
        first_line = before.knowledge.by_id[CLEAR_ID].answer.splitlines()[0]
        watcher = running.application.bot_data["background"][0]
        await say(server, "/start", ADMIN_ID)  # admins hear of refused and applied changes

        restore = BREAKAGES[breakage](folder)
        await eventually(
            lambda: records(caplog, "bot.holder", "refused"), "the refusal in the log", 2.0
        )
        for _ in range(3):  # several messages, several watcher rounds: still the old answers
            answer = await say(server, CLEAR)
            assert first_line in answer["text"]
            await asyncio.sleep(0.1)
        assert running.holder.current is before
        assert len(records(caplog, "bot.holder", "refused")) == 1  # not once per round
        assert not watcher.done()
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

        restore()
        set_answer(folder, CLEAR_ID, "Hersteld antwoord: de map is terug.")
        await server.wait_for_message(
            ADMIN_ID, text_contains="De nieuwe kennis is geladen", timeout=TIMEOUT
        )
        assert "Hersteld antwoord: de map is terug." in (await say(server, CLEAR))["text"]
        assert not watcher.done()
    refusals = [m for m in server.sent_messages(ADMIN_ID) if "NIET" in m["text"]]
    assert len(refusals) == 1


async def test_a_file_cut_off_mid_write_is_refused_and_the_repair_picked_up(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    async with bot_running(tmp_path, reload_seconds=0.2) as running:
        server = running.server
        await say(server, "/start", ADMIN_ID)
        path = running.config.knowledge_dir / "faq" / "tekort.yaml"
        original = path.read_bytes()
        first_line = running.holder.current.knowledge.by_id[CLEAR_ID].answer.splitlines()[0]
        path.write_bytes(original[: len(original) // 2] + b"\xff\xfe\x00 garbage: [")
        await eventually(lambda: records(caplog, "bot.holder", "refused"), "the refusal", 2.0)
        assert first_line in (await say(server, CLEAR))["text"]
        write_atomically(path, original.decode().replace(first_line, first_line + " (weer)", 1))
        await server.wait_for_message(ADMIN_ID, text_contains="De nieuwe kennis", timeout=TIMEOUT)
        assert first_line + " (weer)" in (await say(server, CLEAR))["text"]


# -- the database -----------------------------------------------------------------------------


def store_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return records(caplog, "bot.store", "failed")


def store_recoveries(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return records(caplog, "bot.store", "works again")


def fill_up(connection: sqlite3.Connection) -> None:
    """Take every free byte of the database and forbid it to grow (max_page_count)."""
    (pages,) = connection.execute("PRAGMA page_count").fetchone()
    connection.execute(f"PRAGMA max_page_count = {pages}")
    for size in (900, 100, 10, 1):
        with contextlib.suppress(sqlite3.OperationalError):
            while True:
                with connection:
                    connection.execute(
                        "INSERT INTO unanswered (asked_at, outcome, text) VALUES (?, ?, ?)",
                        ("2025-11-25T18:30:00+00:00", "vulsel", "x" * size),
                    )


def stored_texts(path: Path) -> set[str]:
    return {text for _, text in unanswered(path)}


async def test_a_locked_database_is_logged_once_and_storing_resumes(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    async with bot_running(tmp_path) as running:
        server, path = running.server, running.config.database
        first, *locked_out, after = stored_questions(running, 5)
        await say(server, first)
        await eventually(lambda: first in stored_texts(path), "the first stored question")

        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            for text in locked_out:
                reply = await say(server, text)
                assert reply["text"].startswith(expected_first_line(running, text))
            await eventually(lambda: store_errors(caplog), "the database error in the log")
            # Each write waits 0.5 s for the lock; give at least three of them time to fail.
            await asyncio.sleep(max(0.0, 1.7 - (loop.time() - started)))
        finally:
            blocker.rollback()
            blocker.close()

        await say(server, after)
        await eventually(lambda: after in stored_texts(path), "storing after the lock")
        await eventually(lambda: store_recoveries(caplog), "'works again' in the log")
        stored = stored_texts(path)
    lost = [t for t in locked_out if t not in stored]
    assert len(lost) >= 2, "the lock should have cost at least two writes"
    assert len(store_errors(caplog)) == 1, [r.getMessage() for r in store_errors(caplog)]
    assert "locked" in store_errors(caplog)[0].getMessage()
    assert len(store_recoveries(caplog)) == 1


async def test_a_full_database_does_not_stop_the_answers(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    async with bot_running(tmp_path) as running:
        server, store = running.server, running.store
        first, *rest = stored_questions(running, 4)
        await say(server, first)
        await eventually(lambda: first in stored_texts(running.config.database), "a stored row")
        # The disk is full: the bot's own connection may not grow the file, and every
        # byte left in its pages is taken. The next insert hits SQLITE_FULL.
        connection = store._connection
        assert connection is not None
        fill_up(connection)
        reply = await say(server, rest[0])
        assert reply["text"].startswith(expected_first_line(running, rest[0]))
        await eventually(lambda: store_errors(caplog), "the database error in the log")
        for text in rest[1:]:
            reply = await say(server, text)
            assert reply["text"].startswith(expected_first_line(running, text))
        # max_page_count belongs to the connection; the store reconnects after a failure,
        # so the simulated disk is "emptied" and storing goes on by itself.
        await eventually(lambda: rest[-1] in stored_texts(running.config.database), "storing")
    assert len(store_errors(caplog)) == 1
    assert "full" in store_errors(caplog)[0].getMessage()
    assert len(store_recoveries(caplog)) == 1


async def test_a_database_whose_folder_cannot_be_made_is_logged_once(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    folder = tmp_path / "data"
    path = folder / "q.sqlite3"
    async with bot_running(tmp_path, database=path) as running:
        server = running.server
        first, *during, after = stored_questions(running, 5)
        await say(server, first)
        await eventually(lambda: first in stored_texts(path), "the first stored question")

        shutil.rmtree(folder)  # the database with its folder deleted while running ...
        folder.write_text("een bestand waar de map hoort")  # ... and no folder can be made
        for text in during:
            reply = await say(server, text)
            assert reply["text"].startswith(expected_first_line(running, text))
        await eventually(lambda: store_errors(caplog), "the database error in the log")
        await asyncio.sleep(0.3)  # the last write is off the event loop
        assert len(store_errors(caplog)) == 1, [r.getMessage() for r in store_errors(caplog)]

        folder.unlink()
        await say(server, after)
        await eventually(lambda: after in stored_texts(path), "storing in a new database")
        await eventually(lambda: store_recoveries(caplog), "'works again' in the log")
    assert stored_texts(path) == {after}  # a fresh file: what came before is gone
    assert len(store_recoveries(caplog)) == 1


async def test_a_database_file_deleted_while_running_is_made_anew(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    async with bot_running(tmp_path) as running:
        server, path = running.server, running.config.database
        first, second, third = stored_questions(running, 3)
        await say(server, first)
        await eventually(lambda: first in stored_texts(path), "the first stored question")
        os.remove(path)
        for text in (second, CLEAR, third):
            reply = await say(server, text)
            assert reply["text"].startswith(expected_first_line(running, text))
        await eventually(lambda: stored_texts(path) == {second, third}, "a new database")
        await eventually(lambda: running.store.entry_stats(), "the answer counted")
    assert [s.faq_id for s in running.store.entry_stats()] == [CLEAR_ID]
    assert store_errors(caplog) == []


# -- a handler raising ------------------------------------------------------------------------


async def test_a_handler_that_raises_gives_the_error_message_then_normal_answers(
    tmp_path, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="bot")
    async with bot_running(tmp_path) as running:
        server = running.server
        helpdesk = running.holder.current
        respond = helpdesk.respond
        failed: list[str] = []

        def fails_once(message: str, moment: datetime):
            if not failed:
                failed.append(message)
                raise RuntimeError("simulated failure in the core")
            return respond(message, moment)

        monkeypatch.setattr(helpdesk, "respond", fails_once)
        error = await say(server, CLEAR)
        answer = await say(server, CLEAR)
        await asyncio.sleep(0.2)
        sent = server.sent_messages(USER)
    helpline = helpdesk.knowledge.helpline
    assert error["text"] == helpdesk.composer.message("error")
    assert helpline.phone in error["text"]
    assert starts_with_bold(answer, helpdesk.knowledge.by_id[CLEAR_ID].question)
    assert len(sent) == 2
    logged = [r for r in caplog.records if r.name == "bot.telegram.handlers" and r.exc_info]
    assert len(logged) == 1 and "simulated failure" in str(logged[0].exc_info[1])
    assert CLEAR not in logged[0].getMessage()  # the user's text stays out of the log
