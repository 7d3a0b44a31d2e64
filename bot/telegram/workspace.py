"""/werkplek: an editor gets a one-time login link for the volunteers' workspace, which
runs beside the bot on the same event loop when WORKSPACE_URL is set."""

from __future__ import annotations

import functools
import logging
from html import escape

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application

from bot.config import Config
from bot.telegram.handlers import Context, desk, in_group, send_html, with_retries
from bot.workspace.auth import Editor, LoginTokens
from bot.workspace.service import build_workspace, shared_tokens, start_site

log = logging.getLogger(__name__)


async def workspace_command(update: Update, context: Context) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None:
        return
    config: Config = context.bot_data["config"]
    composer = desk(context).composer
    tokens: LoginTokens | None = context.bot_data.get("login_tokens")
    if in_group(message):
        await send_html(message, escape(composer.message("workspace_private_only"), quote=False))
        return
    if user is None or user.id not in config.editors:
        await send_html(message, escape(composer.message("workspace_not_editor"), quote=False))
        return
    if tokens is None or not config.workspace_url:
        await send_html(message, escape(composer.message("workspace_off"), quote=False))
        return
    token = tokens.issue(Editor(user.id, user.first_name or str(user.id)))
    link = escape(f"{config.workspace_url}/inloggen?token={token}")
    text = (
        f'{escape(composer.message("workspace_link"), quote=False)}\n\n<a href="{link}">{link}</a>'
    )
    # No link preview: fetching the page for a preview must not be mistaken for the editor.
    await with_retries(
        functools.partial(
            message.reply_text,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    )


async def start_beside(application: Application) -> None:
    """Give the bot its login tokens, and serve the workspace on this event loop when it is
    meant to run beside the bot. A workspace that cannot start never stops the bot."""
    config: Config = application.bot_data["config"]
    if not config.workspace_url:
        return
    tokens = shared_tokens(config)
    application.bot_data["login_tokens"] = tokens
    if not config.workspace_beside_bot:
        return
    workspace = build_workspace(
        config,
        application.bot_data["holder"],
        tokens,
        application.bot_data.get("store"),
        application.bot_data.get("clock"),
    )
    try:
        runner = await start_site(workspace, config.workspace_listen, config.workspace_port)
    except OSError as exc:
        log.error("The workspace could not start (%s); the bot answers as usual.", exc)
        return
    application.bot_data["workspace_runner"] = runner


async def stop_beside(application: Application) -> None:
    runner = application.bot_data.pop("workspace_runner", None)
    if runner is not None:
        await runner.cleanup()
