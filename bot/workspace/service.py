"""Start the workspace: beside the bot (sharing its event loop, knowledge holder, store and
login tokens in memory) or on its own with ``python -m bot workspace``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from bot.config import Config
from bot.holder import HelpdeskHolder
from bot.store import QuestionStore
from bot.workspace.auth import TOKENS_FILE, LoginTokens
from bot.workspace.server import Workspace

log = logging.getLogger(__name__)
HISTORY_FOLDER = "werkplek-geschiedenis"


def shared_tokens(config: Config) -> LoginTokens:
    """The login tokens of the bot and the workspace: in memory when they run in one
    process, otherwise in a small file beside the database that both open."""
    if config.workspace_beside_bot:
        return LoginTokens()
    return LoginTokens(config.database.parent / TOKENS_FILE)


def build_workspace(
    config: Config,
    holder: HelpdeskHolder,
    tokens: LoginTokens,
    store: QuestionStore | None = None,
    clock: Callable[[], datetime] | None = None,
    own_holder: bool = False,
) -> Workspace:
    return Workspace(
        knowledge=holder.folder,
        holder=holder,
        tokens=tokens,
        editors=config.editors,
        store=store,
        public_url=config.workspace_url,
        history=config.database.parent / HISTORY_FOLDER,
        clock=clock,
        own_holder=own_holder,
    )


async def start_site(workspace: Workspace, host: str, port: int) -> web.AppRunner:
    """Serve on the running event loop; the caller cleans the runner up."""
    runner = web.AppRunner(workspace.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("Workspace listening on http://%s:%d (public: %s)", host, port, workspace.root or "/")
    return runner


def serve(workspace: Workspace, host: str, port: int) -> None:
    """Run until Ctrl-C or SIGTERM (``python -m bot workspace``)."""
    web.run_app(
        workspace.app(),
        host=host,
        port=port,
        access_log=None,
        print=lambda _: print(
            f"De werkplek draait op http://{host}:{port} (stop met Ctrl-C).", flush=True
        ),
    )
