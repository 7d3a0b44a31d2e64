"""Tests of the fake Bot API server, driven only by python-telegram-bot itself.

Why: the end-to-end tests trust this server to behave like Telegram; these tests pin
that behaviour using PTB's own client (never the project's code), so a wrong shape or
a missing error shows up here first.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
import warnings

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.botapi_server import (
    BOT_USERNAME,
    DEFAULT_GROUP_ID,
    DEFAULT_TOKEN,
    DEFAULT_USER_ID,
    BotApiTestServer,
)

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Ja", callback_data="yes"),
            InlineKeyboardButton("Nee", callback_data="no"),
        ]
    ]
)


def _seconds(obj: object, attribute: str) -> float:
    """Read a PTB duration whether it is still an int or already a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = getattr(obj, attribute)
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


@pytest.fixture
async def server():
    async with BotApiTestServer() as srv:
        yield srv


@pytest.fixture
async def bot(server):
    async with Bot(
        DEFAULT_TOKEN, base_url=server.base_url, base_file_url=server.base_file_url
    ) as b:
        yield b


@pytest.fixture
def user_chat(server) -> int:
    """A private chat exists only after the user wrote to the bot, as on Telegram."""
    server.user_sends_text("hallo")
    return DEFAULT_USER_ID


async def test_get_me_returns_bot_user(server, bot):
    me = await bot.get_me()
    assert isinstance(me, User)
    assert me.is_bot is True
    assert me.username == BOT_USERNAME
    assert me.can_join_groups is True
    assert server.calls_of("getMe")


async def test_unknown_token_is_unauthorized(server):
    other = f"{DEFAULT_TOKEN.split(':')[0]}:AAThisTokenIsNotKnownToTheServer_999"
    async with Bot(DEFAULT_TOKEN, base_url=server.base_url) as ok_bot:
        assert (await ok_bot.get_me()).is_bot
    wrong = Bot(other, base_url=server.base_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.base_url}{other}/getMe") as resp,
    ):
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_raw_protocol_methods_params_and_404(server, user_chat):
    """Method names are case-insensitive; JSON, form and query parameters all work."""
    url = f"{server.base_url}{DEFAULT_TOKEN}"
    markup = {"inline_keyboard": [[{"text": "Ja", "callback_data": "yes"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/SENDMESSAGE", json={"chat_id": user_chat, "text": "a", "reply_markup": markup}
        ) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["ok"] is True
            assert body["result"]["reply_markup"] == markup
            assert isinstance(body["result"]["date"], int)
        form = {"chat_id": str(user_chat), "text": "b", "reply_markup": '{"inline_keyboard": []}'}
        async with http.post(f"{url}/sendmessage", data=form) as resp:
            assert (await resp.json())["result"]["text"] == "b"
        async with http.get(
            f"{url}/sendMessage", params={"chat_id": user_chat, "text": "c"}
        ) as resp:
            assert (await resp.json())["result"]["message_id"] == 4
        async with http.post(f"{url}/sendMessagez", json={}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [c.method for c in server.calls_of("sendMessage")] == ["sendMessage"] * 3
    assert server.calls_of("sendMessage")[1].params["chat_id"] == user_chat


async def test_send_message_round_trip_with_inline_keyboard(server, bot, user_chat):
    sent = await bot.send_message(
        user_chat, "Kies <b>iets</b>", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert isinstance(sent, Message)
    assert sent.text == "Kies iets"
    assert sent.entities[0].type == "bold"
    assert sent.from_user.id == bot.id
    assert sent.message_id == 2  # the user's "hallo" was message 1 in this chat
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "no"
    recorded = server.sent_messages(user_chat)
    assert recorded[-1]["reply_markup"] == KEYBOARD.to_dict()
    assert server.calls_of("sendMessage")[0].params["reply_markup"] == KEYBOARD.to_dict()


async def test_send_message_errors_look_like_telegram(bot, user_chat):
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(987654321, "hoi")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(user_chat, "")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user_chat, "x" * 4097)
    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(user_chat, "hoi", reply_markup=too_long_data)
    assert (await bot.send_message(user_chat, "x" * 4096)).text == "x" * 4096


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("<b>vet", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>alinea</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("R&D", "Unescaped '&'"),
    ],
    ids=["unclosed", "unsupported-tag", "unmatched", "stray-lt", "stray-amp"],
)
async def test_bad_html_is_refused_with_400(server, bot, user_chat, html, fragment):
    with pytest.raises(BadRequest, match="Can't parse entities") as excinfo:
        await bot.send_message(user_chat, html, parse_mode="HTML")
    assert fragment.lower() in str(excinfo.value).lower()  # PTB re-capitalises the text
    assert server.failures[-1].error_code == 400
    assert server.sent_messages() == []


async def test_good_html_and_markdown_v2_give_entities(bot, user_chat):
    sent = await bot.send_message(
        user_chat,
        '<b>vet</b> &amp; <a href="https://rls.nl">site</a> 😀 <i>é</i>',
        parse_mode="HTML",
    )
    assert sent.text == "vet & site 😀 é"
    types = [(e.type, e.offset, e.length) for e in sent.entities]
    assert types == [("bold", 0, 3), ("text_link", 6, 4), ("italic", 14, 1)]  # UTF-16 offsets
    assert sent.entities[1].url == "https://rls.nl/"
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(user_chat, "Klaar.", parse_mode="MarkdownV2")
    assert (
        await bot.send_message(user_chat, "*Klaar*\\.", parse_mode="MarkdownV2")
    ).text == "Klaar."


async def test_get_updates_long_poll_and_offset(server, bot):
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await server.wait_for("getUpdates", timeout=2)
    started = time.monotonic()
    sent = server.user_sends_text("Wat is RLS?")
    updates = await asyncio.wait_for(poll, timeout=2)
    assert time.monotonic() - started < 1.5  # returned early, not after the 3 s timeout
    assert len(updates) == 1 and isinstance(updates[0], Update)
    assert updates[0].message.text == "Wat is RLS?"
    assert updates[0].message.message_id == sent["message_id"]
    first_id = updates[0].update_id
    again = await bot.get_updates(timeout=0)  # not confirmed yet -> delivered again
    assert [u.update_id for u in again] == [first_id]
    server.user_sends_text("tweede")
    after = await bot.get_updates(offset=first_id + 1, timeout=0)
    assert [u.message.text for u in after] == ["tweede"]
    assert after[0].update_id == first_id + 1
    assert await bot.get_updates(offset=first_id + 2, timeout=0) == ()
    assert server.pending_updates == []


async def test_long_poll_waits_for_timeout_when_idle(bot):
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2.5


async def test_application_echo_handler_answers(server):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"Echo: {update.message.text}")

    application = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            asked = server.user_sends_text("Helpt magnesium?")
            reply = await server.wait_for_message(DEFAULT_USER_ID, text_contains="Echo", timeout=5)
            await server.wait_until_consumed(timeout=5)
        finally:
            await application.updater.stop()
            await application.stop()
    assert reply["text"] == "Echo: Helpt magnesium?"
    assert reply["chat"]["id"] == asked["chat"]["id"] == DEFAULT_USER_ID
    assert server.calls_of("deleteWebhook")  # PTB's bootstrap ran against the fake
    assert server.pending_updates == []
    assert server.failures == []  # the long poll PTB cancelled on stop is not an error


async def test_callback_query_round_trip(server, bot, user_chat):
    sent = await bot.send_message(user_chat, "Kies", reply_markup=KEYBOARD)
    with pytest.raises(ValueError, match="no button"):
        server.user_presses_button(sent.to_dict(), "maybe")
    query = server.user_presses_button(server.last_sent_message(user_chat), "yes")
    assert query["chat_instance"] and query["message"]["message_id"] == sent.message_id
    *_, update = await bot.get_updates(timeout=1)  # after the user's "hallo"
    assert update.callback_query.data == "yes"
    assert update.callback_query.from_user.id == DEFAULT_USER_ID
    assert update.callback_query.message.reply_markup == KEYBOARD
    assert await update.callback_query.answer("Genoteerd") is True
    assert server.callback_answers[query["id"]]["text"] == "Genoteerd"
    with pytest.raises(BadRequest, match="Query is too old"):
        await update.callback_query.answer()


async def test_application_callback_handler_edits_message(server):
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"Gekozen: {update.callback_query.data}")

    application = ApplicationBuilder().token(DEFAULT_TOKEN).base_url(server.base_url).build()
    application.add_handler(CallbackQueryHandler(on_button))
    server.user_sends_text("start")
    async with application:
        sent = await application.bot.send_message(DEFAULT_USER_ID, "Kies", reply_markup=KEYBOARD)
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            server.user_presses_button(sent.to_dict(), "no")
            edited = await server.wait_for_message(text_contains="Gekozen", timeout=5)
        finally:
            await application.updater.stop()
            await application.stop()
    assert edited["text"] == "Gekozen: no"
    assert edited["message_id"] == sent.message_id
    assert "reply_markup" not in edited  # editing text without markup drops the keyboard
    assert isinstance(edited["edit_date"], int)
    assert server.calls_of("answerCallbackQuery")


async def test_edit_delete_and_chat_action(server, bot, user_chat):
    sent = await bot.send_message(user_chat, "eerst", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("eerst", user_chat, sent.message_id, reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "daarna", user_chat, sent.message_id, reply_markup=KEYBOARD
    )
    assert edited.text == "daarna" and edited.edit_date is not None
    bare = await bot.edit_message_reply_markup(user_chat, sent.message_id)
    assert bare.reply_markup is None
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", user_chat, 999)
    assert await bot.send_chat_action(user_chat, "typing") is True
    assert await bot.delete_message(user_chat, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user_chat, sent.message_id)
    assert [m["text"] for m in server.sent_messages(user_chat)] == ["eerst", "daarna", "daarna"]
    assert server.message(user_chat, sent.message_id) is None


async def test_bot_commands_round_trip(server, bot):
    assert await bot.get_my_commands() == ()
    await bot.set_my_commands([("start", "Begin"), ("help", "Hulp")], language_code="nl")
    commands = await bot.get_my_commands(language_code="nl")
    assert [(c.command, c.description) for c in commands] == [("start", "Begin"), ("help", "Hulp")]
    assert await bot.get_my_commands() == ()  # other language scope stays empty
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Start Nu", "fout")])
    assert await bot.delete_my_commands(language_code="nl") is True
    assert server.commands(language_code="nl") == []


async def test_retry_after_surfaces_as_retry_after(server, bot, user_chat):
    server.fail_next("sendMessage", error_code=429, retry_after=3)
    with warnings.catch_warnings(), pytest.raises(RetryAfter) as excinfo:
        warnings.simplefilter("ignore")  # PTB's int -> timedelta deprecation notice
        await bot.send_message(user_chat, "hoi")
    assert _seconds(excinfo.value, "retry_after") == 3
    assert server.failures[-1].error_code == 429
    assert (await bot.send_message(user_chat, "hoi")).text == "hoi"  # only the next call fails


async def test_offline_gives_network_error_then_recovers(server, bot):
    for mode in ("bad_gateway", "drop"):
        server.go_offline(mode)
        with pytest.raises(NetworkError):
            await bot.get_me()
        server.go_online()
        assert (await bot.get_me()).username == BOT_USERNAME
    assert [f.error_code for f in server.failures] == [502, 0]


async def test_going_offline_ends_a_running_long_poll(server, bot):
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await server.wait_for("getUpdates", timeout=2)
    server.go_offline()
    with pytest.raises(NetworkError):
        await asyncio.wait_for(poll, timeout=2)


async def test_second_poller_terminates_the_first_with_conflict(server, bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await server.wait_for("getUpdates", timeout=2)
    async with Bot(DEFAULT_TOKEN, base_url=server.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, timeout=2)


async def test_shutdown_ends_long_poll_promptly():
    async with BotApiTestServer() as srv:
        bot = Bot(DEFAULT_TOKEN, base_url=srv.base_url)
        poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
        await srv.wait_for("getUpdates", timeout=2)
        started = time.monotonic()
    assert await asyncio.wait_for(poll, timeout=3) == ()
    assert time.monotonic() - started < 2


async def test_wait_for_times_out_with_clear_message(server):
    with pytest.raises(TimeoutError, match="sendMessage"):
        await server.wait_for("sendMessage", timeout=0.2)


async def test_group_privacy_mentions_and_replies(server, bot):
    server.user_sends_text("gewoon gepraat", chat_type="group")
    assert server.pending_updates == [] and len(server.undelivered_messages) == 1
    mention = server.user_mentions_bot("wat helpt tegen RLS?")
    assert mention["entities"] == [{"type": "mention", "offset": 0, "length": 13}]
    (update,) = await bot.get_updates(timeout=1)
    assert update.message.chat.type == "group" and update.message.chat.title
    assert update.message.chat.id == DEFAULT_GROUP_ID
    answer = await bot.send_message(DEFAULT_GROUP_ID, "Magnesium misschien")
    reply = server.user_replies_to(answer.to_dict(), "Dank je")
    assert reply["reply_to_message"]["from"]["id"] == bot.id
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=1)
    assert [u.message.text for u in updates] == ["Dank je"]
    assert updates[0].message.message_id == answer.message_id + 1  # ids grow per chat


async def test_user_media_and_file_download(server, bot):
    photo = server.user_sends("photo", content=b"\x89PNG-fake")
    server.user_sends("location")
    server.user_sends("voice", duration=7)
    updates = await bot.get_updates(timeout=1)
    assert updates[0].message.photo[-1].width == 800
    assert updates[1].message.location.latitude == pytest.approx(52.0907)
    assert _seconds(updates[2].message.voice, "duration") == 7
    file = await bot.get_file(photo["photo"][-1]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"\x89PNG-fake"


async def test_blocked_user_gives_forbidden(server, bot, user_chat):
    server.user_blocks_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user_chat, "hoi")
    (_, blocked) = await bot.get_updates(timeout=0)
    assert blocked.my_chat_member.new_chat_member.status == "kicked"


async def test_webhook_setup_conflict_and_delivery(server, bot):
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    local_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
            await bot.set_webhook("http://example.org/hook")
        assert await bot.set_webhook("https://example.org/hook", secret_token="s3cret") is True
        info = await bot.get_webhook_info()
        assert info.url == "https://example.org/hook" and info.pending_update_count == 0
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        server.user_sends_text("via webhook")
        assert await server.flush_to_webhook(local_url) == [200]
        assert received[0][0] == "s3cret"
        assert received[0][1]["message"]["text"] == "via webhook"
        assert (
            await server.deliver_to_webhook(
                local_url, {"message": received[0][1]["message"]}, secret_token=""
            )
            == 200
        )
        assert received[1][0] is None and received[1][1]["update_id"] > received[0][1]["update_id"]
        assert await bot.delete_webhook() is True
        assert await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()
