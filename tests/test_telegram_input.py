"""What people send the bot, whatever it is: odd text, forged buttons, repeated votes, and
admin reports that stay out of groups. The real bot on the Bot API test server, with SQLite."""

from __future__ import annotations

import asyncio

from telegram.ext import Application

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
