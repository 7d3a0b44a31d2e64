"""Admin commands (/reload, /stats) and the watcher that reloads knowledge/ when it changes."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from html import escape

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.holder import HelpdeskHolder, ReloadOutcome
from bot.report import build_report
from bot.telegram.handlers import Context, desk, holder, send_html
from bot.telegram.render import MAX_MESSAGE_CHARS, split_message

log = logging.getLogger(__name__)
MAX_ERRORS_SHOWN = 10


def is_admin(update: Update, context: Context) -> bool:
    admins = context.bot_data["config"].admin_chat_ids
    user = update.effective_user
    chat = update.effective_chat
    return bool(admins) and (
        (user is not None and user.id in admins) or (chat is not None and chat.id in admins)
    )


def outcome_text(outcome: ReloadOutcome, h: HelpdeskHolder) -> str:
    composer = h.current.composer
    if not outcome.changed:
        return composer.message("reload_unchanged")
    if outcome.applied:
        return composer.message("reload_done", aantal=str(len(h.current.knowledge.entries)))
    errors = "\n".join(str(p) for p in outcome.errors[:MAX_ERRORS_SHOWN])
    return composer.message("reload_refused", fouten=errors)


async def admin_message(update: Update, context: Context) -> Message | None:
    """The message of an admin command, or None after telling a non-admin it is not theirs."""
    message = update.effective_message
    if message is None:
        return None
    if not is_admin(update, context):
        await send_html(message, escape(desk(context).composer.message("not_admin"), quote=False))
        return None
    return message


async def reload_command(update: Update, context: Context) -> None:
    message = await admin_message(update, context)
    if message is None:
        return
    h = holder(context)
    outcome = await asyncio.to_thread(h.reload, True)
    await send_html(message, escape(outcome_text(outcome, h), quote=False))


async def stats_command(update: Update, context: Context) -> None:
    message = await admin_message(update, context)
    if message is None:
        return
    store = context.bot_data.get("store")
    if store is None:
        return
    try:
        report = await asyncio.to_thread(build_report, store)
    except (sqlite3.Error, OSError) as exc:
        log.error("The database cannot be read for /stats (%s).", exc)
        await send_html(
            message, escape(desk(context).composer.message("stats_unavailable"), quote=False)
        )
        return
    questions = {e.id: e.question for e in desk(context).knowledge.entries}
    # Split the text first and wrap every part: a <pre> cut in two is refused by Telegram.
    room = MAX_MESSAGE_CHARS - len("<pre></pre>")
    for part in split_message(escape(report.text(questions), quote=False), room):
        await send_html(message, f"<pre>{part}</pre>")


async def tell_admins(application: Application, text: str) -> None:
    for chat_id in application.bot_data["config"].admin_chat_ids:
        try:
            await application.bot.send_message(chat_id, text)
        except TelegramError as exc:
            log.warning("Could not reach admin chat %s: %s", chat_id, exc)


async def watch_knowledge(application: Application, every: float) -> None:
    """Notice changes in knowledge/ within seconds; apply good ones, refuse broken ones."""
    h: HelpdeskHolder = application.bot_data["holder"]
    while True:
        await asyncio.sleep(every)
        try:
            if not h.has_changed():
                continue
            outcome = await asyncio.to_thread(h.reload)
        except Exception:  # the watcher must survive anything the files can do
            log.exception("Checking the knowledge folder failed; keeping the current knowledge.")
            continue
        if outcome.changed:
            await tell_admins(application, outcome_text(outcome, h))
