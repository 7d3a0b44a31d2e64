"""Build and run the Telegram application: one Application.builder(), a main entry point."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.config import Config
from bot.core import Helpdesk, load_helpdesk
from bot.holder import HelpdeskHolder
from bot.store import QuestionStore
from bot.telegram import admin, handlers, webhook, workspace

log = logging.getLogger(__name__)
COMMANDS = ("start", "help", "onderwerpen", "contact", "privacy")
PURGE_EVERY_SECONDS = 3600
STOP_POLL_SECONDS = 0.05
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)


def build_application(
    config: Config,
    holder: HelpdeskHolder,
    store: QuestionStore | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Application:
    builder = (
        Application.builder()
        .token(config.token or "")
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(64)
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if config.base_url:
        builder = builder.base_url(config.base_url)
    if config.base_file_url:
        builder = builder.base_file_url(config.base_file_url)
    application = builder.build()
    application.bot_data.update(
        holder=holder,
        store=store,
        clock=clock or (lambda: datetime.now(UTC)),
        config=config,
        log_messages=config.log_messages,
    )
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler(["help", "hulp"], handlers.help_command))
    application.add_handler(CommandHandler("onderwerpen", handlers.topics_command))
    application.add_handler(CommandHandler("contact", handlers.contact_command))
    application.add_handler(CommandHandler("privacy", handlers.privacy_command))
    application.add_handler(CommandHandler("reload", admin.reload_command))
    application.add_handler(CommandHandler("stats", admin.stats_command))
    application.add_handler(CommandHandler("werkplek", workspace.workspace_command))
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED, handlers.on_text
        )
    )
    application.add_handler(
        MessageHandler(
            ~filters.TEXT & ~filters.StatusUpdate.ALL & ~filters.UpdateType.EDITED,
            handlers.on_other,
        )
    )
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_error_handler(handlers.on_error)


async def _post_init(application: Application) -> None:
    desk: Helpdesk = application.bot_data["holder"].current
    # The menu is a nicety: a hiccup at Telegram must not keep the bot from answering.
    try:
        await application.bot.set_my_commands(
            [BotCommand(name, desk.composer.message(f"command_{name}")) for name in COMMANDS]
        )
    except TelegramError as exc:
        log.warning("Could not set the command menu (%s); answering anyway.", exc)
    config: Config = application.bot_data["config"]
    tasks = [
        asyncio.create_task(admin.watch_knowledge(application, config.reload_seconds)),
        asyncio.create_task(_housekeeping(application)),
    ]
    # Before ``started`` is told: a started bot serves its workspace too (when it has one).
    await workspace.start_beside(application)
    for call in application.bot_data.get("on_started", ()):
        result = call(application)
        if asyncio.iscoroutine(result):
            tasks.append(asyncio.create_task(result))
    application.bot_data["background"] = tasks


async def _post_stop(application: Application) -> None:
    await workspace.stop_beside(application)
    for task in application.bot_data.pop("background", ()):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    store: QuestionStore | None = application.bot_data.get("store")
    if store is not None:
        store.close()


async def _housekeeping(application: Application) -> None:
    """Delete old questions every hour, and keep the heartbeat file fresh for the health check."""
    config: Config = application.bot_data["config"]
    store: QuestionStore | None = application.bot_data.get("store")
    clock = application.bot_data["clock"]
    last_purge: float | None = None  # purge at start, whatever the monotonic clock reads
    loop = asyncio.get_running_loop()
    while True:
        due = last_purge is None or loop.time() - last_purge >= PURGE_EVERY_SECONDS
        if store is not None and due:
            await asyncio.to_thread(store.purge, clock())
            last_purge = loop.time()
        if config.heartbeat_file is not None:
            with contextlib.suppress(OSError):
                config.heartbeat_file.write_text(clock().isoformat(), encoding="utf-8")
        await asyncio.sleep(min(config.reload_seconds * 5, 30))


def run_bot(
    config: Config,
    *,
    helpdesk: Helpdesk | None = None,
    clock: Callable[[], datetime] | None = None,
    stop: threading.Event | None = None,
    started: Callable[[Application], None] | None = None,
) -> int:
    """Run the bot on Telegram until SIGINT or SIGTERM, or until ``stop`` is set.

    ``helpdesk`` is the knowledge loaded already from ``config`` (the command line loads it
    first, to report its problems); ``clock`` the time replies are written for; ``started``
    is called with the application when it has started up, before the first update is
    fetched. Without ``stop`` the bot stops on the signals; with it, only when it is set,
    so that it can run in a thread of another program (the tests do).
    """
    if helpdesk is None:
        helpdesk = load_helpdesk(config.knowledge_dir, config.retention_days)
    holder = HelpdeskHolder(helpdesk, config.knowledge_dir, config.retention_days)
    store = QuestionStore(config.database, config.retention_days)
    application = build_application(config, holder, store, clock)
    application.bot_data["on_started"] = [
        *([started] if started else []),
        *([functools.partial(_stop_when_set, stop)] if stop else []),
    ]
    log.info("Starting with %d questions.", len(helpdesk.knowledge.entries))
    signals = () if stop is not None else STOP_SIGNALS
    try:
        if config.webhook_url:
            webhook.guard(config.webhook_secret or "")
            path = urlparse(config.webhook_url).path.strip("/") or "telegram"
            application.run_webhook(
                listen=config.webhook_listen,
                port=config.webhook_port,
                url_path=path,
                webhook_url=config.webhook_url,
                secret_token=config.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                bootstrap_retries=-1,
                stop_signals=signals,
            )
        else:
            application.run_polling(
                allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1, stop_signals=signals
            )
    except InvalidToken:
        print(
            "Configuratie: Telegram kent TELEGRAM_BOT_TOKEN niet (ingetrokken of niet volledig "
            "overgenomen?). Vraag het token opnieuw op bij @BotFather.",
            file=sys.stderr,
        )
        return 2
    return 0


async def _stop_when_set(stop: threading.Event, application: Application) -> None:
    """Stop as a signal would, once ``stop`` (set from another thread) is set; if it is set
    while the bot is still starting, once it has started."""
    while not (stop.is_set() and application.running):
        await asyncio.sleep(STOP_POLL_SECONDS)
    application.stop_running()
