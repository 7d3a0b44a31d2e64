"""Small async handlers: each turns one kind of update into a call to the core."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape

import httpx
from telegram import CallbackQuery, MaybeInaccessibleMessage, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot.core import Helpdesk
from bot.holder import HelpdeskHolder
from bot.replies import Outcome, Reply
from bot.store import QuestionStore
from bot.telegram.render import (
    ANSWER,
    FEEDBACK,
    TOPIC,
    TOPICS,
    reply_keyboard,
    split_message,
    to_html,
    topic_keyboard,
    topics_keyboard,
)

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
STORED_OUTCOMES = (Outcome.REFERRAL, Outcome.CLARIFY)
# Pauses before sending a reply again when Telegram could not be reached: half a minute.
SEND_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0)


# -- what every handler needs ---------------------------------------------------------------


def holder(context: Context) -> HelpdeskHolder:
    return context.bot_data["holder"]


def desk(context: Context) -> Helpdesk:
    return holder(context).current


def now(context: Context) -> datetime:
    clock: Callable[[], datetime] = context.bot_data.get("clock") or (lambda: datetime.now(UTC))
    return clock()


def store(context: Context) -> QuestionStore | None:
    return context.bot_data.get("store")


async def in_background(call: Callable[..., object], *args: object) -> None:
    """Database work off the event loop; the store logs its own failures."""
    await asyncio.to_thread(call, *args)


async def send_html(
    message: MaybeInaccessibleMessage,
    html: str,
    keyboard: object | None = None,
    quote: bool = False,
) -> None:
    """Send into the chat of ``message``; also for an old message Telegram no longer shows."""
    chunks = split_message(html)
    for i, chunk in enumerate(chunks):
        markup = keyboard if i == len(chunks) - 1 else None
        if isinstance(message, Message):
            send = functools.partial(
                message.reply_text,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                do_quote=quote and i == 0,
            )
        else:
            send = functools.partial(
                message.get_bot().send_message,
                message.chat.id,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        await with_retries(send)


def not_delivered(exc: TelegramError) -> bool:
    """Telegram was not reached (no connection, its gateway down) or the connection broke
    before it answered: sending again risks at worst a rare double message, not sending
    loses the answer. A refused request (BadRequest) stays refused, and a read timeout is
    left alone: Telegram is then slow, and has most likely got the message.
    """
    if isinstance(exc, BadRequest):
        return False
    if isinstance(exc, TimedOut):
        return isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
    return isinstance(exc, NetworkError)


async def with_retries(send: Callable[[], Awaitable[object]]) -> None:
    """Send; while Telegram is unreachable, try again with growing pauses, so an answer
    that was ready when the connection broke is not lost. (Flood control is waited out
    by the rate limiter.)"""
    for delay in SEND_RETRY_DELAYS:
        try:
            await send()
            return
        except NetworkError as exc:
            if not not_delivered(exc):
                raise
            log.info("Telegram not reachable (%s); sending again in %.0f s.", exc, delay)
        await asyncio.sleep(delay)
    await send()


async def send_reply(
    message: MaybeInaccessibleMessage, reply: Reply, context: Context, quote: bool = False
) -> None:
    await send_html(message, to_html(reply), reply_keyboard(reply, desk(context).composer), quote)
    s = store(context)
    if s is not None and reply.outcome is Outcome.ANSWER and reply.faq_id:
        await in_background(s.record_answer, reply.faq_id, now(context))


# -- commands -----------------------------------------------------------------------------


def in_group(message: Message) -> bool:
    return message.chat.type != ChatType.PRIVATE


def with_group_hint(text: str, message: Message, context: Context) -> str:
    """In a group, also say how to address the bot there."""
    if not in_group(message):
        return text
    return f"{text}\n\n{desk(context).composer.message('group_hint')}"


async def start(update: Update, context: Context) -> None:
    d = desk(context)
    message = update.effective_message
    text = with_group_hint(d.composer.welcome(), message, context)
    await send_html(message, escape(text, quote=False), topics_keyboard(d.knowledge))


async def help_command(update: Update, context: Context) -> None:
    message = update.effective_message
    text = with_group_hint(desk(context).composer.message("help"), message, context)
    await send_html(message, escape(text, quote=False))


async def topics_command(update: Update, context: Context) -> None:
    d = desk(context)
    await send_html(
        update.effective_message,
        escape(d.composer.message("topics_intro"), quote=False),
        topics_keyboard(d.knowledge),
    )


async def contact_command(update: Update, context: Context) -> None:
    text = desk(context).composer.contact_text(now(context))
    await send_html(update.effective_message, escape(text, quote=False))


async def privacy_command(update: Update, context: Context) -> None:
    await send_html(update.effective_message, escape(desk(context).composer.privacy(), quote=False))


# -- messages -----------------------------------------------------------------------------


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The text meant for the bot: all of it in a private chat; in a group only when the
    bot is mentioned or its message is replied to (then without the mention)."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{bot_username}".lower()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    if mention in text.lower():
        start = text.lower().index(mention)
        return (text[:start] + text[start + len(mention) :]).strip()
    return None


async def on_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = addressed_text(message, context.bot.username, context.bot.id)
    if text is None:
        return
    group = in_group(message)
    if not text.strip():  # "@rls_hulp_bot" alone: say what the bot is and how to ask
        await start(update, context)
        return
    # No "typing…" first: the answer is ready in a millisecond, and under Telegram's limit of
    # 30 requests a second that action would halve the replies a second.
    moment = now(context)
    reply = desk(context).respond(text, moment)
    if context.bot_data.get("log_messages"):
        log.info("message %r -> %s %s", text, reply.outcome, reply.faq_id)
    else:
        log.info("message -> %s %s", reply.outcome, reply.faq_id)
    await send_reply(message, reply, context, quote=group)
    s = store(context)
    if s is not None and reply.outcome in STORED_OUTCOMES:
        await in_background(s.record_question, text, reply.outcome.value, moment)


async def on_other(update: Update, context: Context) -> None:
    """Photos, voice, stickers, locations…: say kindly that only text can be read."""
    message = update.effective_message
    if message is None:
        return
    if message.chat.type != ChatType.PRIVATE and (
        message.reply_to_message is None
        or message.reply_to_message.from_user is None
        or message.reply_to_message.from_user.id != context.bot.id
    ):
        return
    await send_html(message, escape(desk(context).composer.message("non_text"), quote=False))


# -- buttons ------------------------------------------------------------------------------


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    d = desk(context)
    kind, _, rest = (query.data or "").partition(":")
    message = query.message  # None, or only chat and id when Telegram no longer shows it
    if kind == FEEDBACK and rest.count(":") == 1:
        faq_id, useful = rest.split(":")
        await _answer_query(query, d.composer.message("feedback_thanks"))
        s = store(context)
        if s is not None and faq_id in d.knowledge.by_id:
            await in_background(s.record_feedback, faq_id, useful == "1", now(context))
        if isinstance(message, Message):
            await _drop_feedback_row(message, context)
        return
    await _answer_query(query)
    if message is None:
        return
    if kind == ANSWER:
        reply = d.answer_for(rest, now(context))
        if reply is not None:
            await send_reply(message, reply, context)
            return
    elif kind == TOPIC and rest.isdigit() and int(rest) < len(d.knowledge.topics):
        topic = d.knowledge.topics[int(rest)]
        text = d.composer.message("topic_intro", onderwerp=topic.name)
        await _edit_or_send(
            message, escape(text, quote=False), topic_keyboard(d.knowledge, int(rest), d.composer)
        )
        return
    elif kind == TOPICS and not rest:
        text = d.composer.message("topics_intro")
        await _edit_or_send(message, escape(text, quote=False), topics_keyboard(d.knowledge))
        return
    await send_html(message, escape(d.composer.message("unknown_button"), quote=False))


async def _answer_query(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner. A press handled late (after a restart, say) can no longer
    be answered; the user should still get what the button promised."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.info("Could not answer a button press (%s); handling it anyway.", exc)


async def _edit_or_send(message: MaybeInaccessibleMessage, html: str, keyboard: object) -> None:
    if isinstance(message, Message):
        try:
            await message.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=keyboard)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # a double tap: the message shows this already
            # too old to edit: send it anew
    await send_html(message, html, keyboard)


async def _drop_feedback_row(message: Message, context: Context) -> None:
    """After feedback, keep the related-question buttons but remove the thumbs."""
    markup = message.reply_markup
    if markup is None:
        return
    rows = [
        row
        for row in markup.inline_keyboard
        if not any((b.callback_data or "").startswith(FEEDBACK + ":") for b in row)
    ]
    # The thanks was shown already; an old message may no longer be editable.
    with contextlib.suppress(TelegramError):
        await message.edit_reply_markup(reply_markup=type(markup)(rows) if rows else None)


# -- errors -------------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
    """Log the failure (not the user's text) and tell the user, with the helpline."""
    log.error("Handling an update failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            text = desk(context).composer.message("error")
            await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError:
            log.warning("Could not tell the user about the failure.")
