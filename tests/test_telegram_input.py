"""What people send the bot, whatever it is: odd text, forged buttons, repeated votes, and
admin reports that stay out of groups. The real bot on the Bot API test server, with SQLite."""

from __future__ import annotations

import asyncio

import pytest
from telegram.ext import Application

from bot.telegram.votes import VoteMemory
from tests.botapi_server import BOT_USERNAME, DEFAULT_GROUP_ID
from tests.conftest import ADMIN_ID, TIMEOUT, USER, exchange, press, say
from tests.test_telegram_e2e import (
    CLEAR,
    CLEAR_ID,
    OFF_TOPIC,
    button_data,
    db_path,
    desk,
    eventually,
    now,
    query_db,
    unanswered,
)


def counts(application: Application, faq_id: str) -> tuple[int, int, int]:
    rows = query_db(
        db_path(application),
        "SELECT SUM(given), SUM(useful), SUM(not_useful) FROM entry_counts WHERE faq_id = ?",
        faq_id,
    )
    return tuple(v or 0 for v in rows[0])


# -- odd text --------------------------------------------------------------------------------


async def test_a_lone_surrogate_gets_one_reply_and_is_stored_safely(running_bot):
    server, application = running_bot
    d = desk(application)
    text = f"{OFF_TOPIC} \ud800"
    server.user_sends_text(text)
    await server.wait_for_message(USER, timeout=TIMEOUT)
    path = db_path(application)
    await eventually(lambda: unanswered(path), "the stored question")
    await server.wait_until_consumed(timeout=TIMEOUT)
    await asyncio.sleep(0.2)
    replies = [m["text"] for m in server.sent_messages(USER)]
    assert len(replies) == 1 and replies[0].startswith(d.composer.message("referral"))
    assert unanswered(path) == [("referral", f"{OFF_TOPIC} \ufffd")]


# -- buttons -----------------------------------------------------------------------------------


FORGED = ["t:²", "t:١", "t:1\n", "t:0001", "f:bestaat-niet:1", "a:Hoofdletter", "a:x:y", "tt "]


@pytest.mark.parametrize("data", FORGED)
async def test_forged_button_data_gets_the_unknown_button_text(running_bot, data):
    server, application = running_bot
    start = await say(server, "/start")
    query, reply = await press(server, start, data, check_button=False)
    assert reply["text"] == desk(application).composer.message("unknown_button")
    assert query["id"] in server.callback_answers
    await asyncio.sleep(0.1)
    assert [m["text"] for m in server.sent_messages(USER)][-1] == reply["text"]
    assert not any(c.method == "sendMessage" and "mis" in c.params["text"] for c in server.calls)


# -- feedback ----------------------------------------------------------------------------------


async def test_five_taps_on_useful_count_one_vote(running_bot):
    server, application = running_bot
    answer = await say(server, CLEAR)
    taps = [server.user_presses_button(answer, f"f:{CLEAR_ID}:1") for _ in range(5)]
    await server.wait_for("answerCallbackQuery", count=5, timeout=TIMEOUT)
    await server.wait_until_consumed(timeout=TIMEOUT)
    await asyncio.sleep(0.3)
    assert all(t["id"] in server.callback_answers for t in taps)
    assert counts(application, CLEAR_ID) == (1, 1, 0)
    shown = server.message(USER, answer["message_id"])
    assert not any(data.startswith("f:") for data in button_data(shown))


async def test_forged_and_repeated_votes_do_not_count(running_bot):
    server, application = running_bot
    answer = await say(server, CLEAR)
    await press(server, answer, f"f:{CLEAR_ID}:1")
    start = await say(server, "/start")
    forged = [
        (answer, f"f:{CLEAR_ID}:0"),  # the thumbs are gone: pressed again by a modified client
        (answer, f"f:{CLEAR_ID}:1"),
        (start, f"f:{CLEAR_ID}:0"),  # a message that never had thumbs
        (start, f"f:{CLEAR_ID}:0"),
    ]
    for message, data in forged:
        server.user_presses_button(message, data, check_button=False)
    await server.wait_for("answerCallbackQuery", count=1 + len(forged), timeout=TIMEOUT)
    await server.wait_until_consumed(timeout=TIMEOUT)
    await asyncio.sleep(0.3)
    assert counts(application, CLEAR_ID) == (1, 1, 0)


async def test_a_vote_other_than_0_or_1_is_not_counted(running_bot):
    server, application = running_bot
    answer = await say(server, CLEAR)
    _, reply = await press(server, answer, f"f:{CLEAR_ID}:2", check_button=False)
    assert reply["text"] == desk(application).composer.message("unknown_button")
    await asyncio.sleep(0.1)
    assert counts(application, CLEAR_ID) == (1, 0, 0)
    # the real thumbs still work, once
    await press(server, answer, f"f:{CLEAR_ID}:0")
    assert counts(application, CLEAR_ID) == (1, 0, 1)


def test_the_vote_memory_is_bounded_in_time_and_size_and_holds_no_chat_id():
    moment = [0.0]
    votes = VoteMemory(seconds=60, limit=3, clock=lambda: moment[0])
    assert votes.first_vote(USER, 1) and not votes.first_vote(USER, 1)
    assert votes.first_vote(USER, 2) and votes.first_vote(USER + 1, 1)
    assert votes.first_vote(USER, 3) and len(votes) == 3  # the oldest made room
    moment[0] = 61.0
    assert votes.first_vote(USER, 1) and len(votes) == 1
    assert all(str(USER).encode() not in key for key in votes._seen)


# -- admin reports -----------------------------------------------------------------------------

SECRET_QUESTION = "ik ben een vraag die alleen de beheerder mag lezen, wat is de hoofdstad"


@pytest.mark.bot_options(admin_chat_ids=(ADMIN_ID, DEFAULT_GROUP_ID))
async def test_stats_are_sent_in_a_private_chat_only(running_bot):
    server, application = running_bot
    d = desk(application)
    store = application.bot_data["store"]
    store.record_question(SECRET_QUESTION, "referral", now(application))
    for user in (ADMIN_ID, USER):  # an admin, and anyone in a group that is an admin chat
        (reply,) = await exchange(
            server,
            lambda u=user: server.user_sends_text(
                f"/stats@{BOT_USERNAME}", user_id=u, chat_type="group"
            ),
            DEFAULT_GROUP_ID,
        )
        assert reply["text"] == d.composer.message("private_only")
    await server.wait_until_consumed(timeout=TIMEOUT)
    await asyncio.sleep(0.2)
    group = [m["text"] for m in server.sent_messages(DEFAULT_GROUP_ID)]
    assert len(group) == 2 and not any(SECRET_QUESTION in t for t in group)
    private = await say(server, "/stats", ADMIN_ID)
    assert SECRET_QUESTION in private["text"]


async def test_personal_details_in_a_question_are_not_stored(running_bot):
    server, application = running_bot
    text = f"ik ben jan de vries, bel me op 06-12345678, {OFF_TOPIC}"
    reply = await say(server, text)
    assert reply["text"].startswith(desk(application).composer.message("referral"))
    path = db_path(application)
    await eventually(lambda: unanswered(path), "the stored question")
    assert unanswered(path) == [
        ("referral", f"ik ben [naam], bel me op [telefoonnummer], {OFF_TOPIC}")
    ]
