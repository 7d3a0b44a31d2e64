"""Build and run the Telegram application: one Application.builder(), a main entry point."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
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

from bot.config import Config, load_config
from bot.core import Helpdesk, load_helpdesk
from bot.holder import HelpdeskHolder
from bot.logs import setup_logging
from bot.store import QuestionStore
from bot.telegram import admin, handlers, workspace

log = logging.getLogger(__name__)
COMMANDS = ("start", "help", "onderwerpen", "contact", "privacy")
PURGE_EVERY_SECONDS = 3600


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
    application.bot_data["background"] = tasks
    await workspace.start_beside(application)


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


def run_bot(knowledge_dir: Path | None = None) -> int:
    """Start the bot on Telegram with the configuration from the environment."""
    config, problems = load_config(env_file=Path(".env"))
    if knowledge_dir is not None:
        config = Config(**{**config.__dict__, "knowledge_dir": Path(knowledge_dir)})
    if not config.token:
        problems.insert(
            0, "TELEGRAM_BOT_TOKEN ontbreekt: maak een bot bij @BotFather en zet het token."
        )
    if problems:
        for problem in problems:
            print(f"Configuratie: {problem}", file=sys.stderr)
        return 2
    setup_logging(
        config.log_level, [config.token or "", config.webhook_secret or ""], config.log_messages
    )
    helpdesk = load_helpdesk(config.knowledge_dir, config.retention_days)
    holder = HelpdeskHolder(helpdesk, config.knowledge_dir, config.retention_days)
    store = QuestionStore(config.database, config.retention_days)
    application = build_application(config, holder, store)
    log.info("Starting with %d questions.", len(helpdesk.knowledge.entries))
    try:
        if config.webhook_url:
            path = urlparse(config.webhook_url).path.strip("/") or "telegram"
            application.run_webhook(
                listen=config.webhook_listen,
                port=config.webhook_port,
                url_path=path,
                webhook_url=config.webhook_url,
                secret_token=config.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                bootstrap_retries=-1,
            )
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
    except InvalidToken:
        print(
            "Configuratie: Telegram kent TELEGRAM_BOT_TOKEN niet (ingetrokken of niet volledig "
            "overgenomen?). Vraag het token opnieuw op bij @BotFather.",
            file=sys.stderr,
        )
        return 2
    return 0
