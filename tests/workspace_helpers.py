"""Shared by the workspace tests: a workspace on a copy of the knowledge, and logging in."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.holder import HelpdeskHolder
from bot.store import QuestionStore
from bot.workspace.auth import Editor, LoginTokens
from bot.workspace.server import Workspace
from tests.harness import EVENING, copy_knowledge, helpdesk_for

EDITOR = Editor(4_240_001, "Anna")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BASE = re.compile(r'name="base" value="([^"]*)"')


@dataclass
class Opened:
    workspace: Workspace
    client: TestClient
    knowledge: Path
    store: QuestionStore


@asynccontextmanager
async def workspace_running(
    tmp_path: Path, development: Path | None = None
) -> AsyncIterator[Opened]:
    """A workspace on a copy of the knowledge; the test set's messages are compared only
    when ``development`` is given (they take a second or two on every check)."""
    knowledge = copy_knowledge(tmp_path / "knowledge")
    store = QuestionStore(tmp_path / "q.sqlite3")
    workspace = Workspace(
        knowledge=knowledge,
        holder=HelpdeskHolder(helpdesk_for(knowledge), knowledge),
        tokens=LoginTokens(),
        editors=frozenset({EDITOR.user_id}),
        store=store,
        history=tmp_path / "geschiedenis",
        clock=lambda: EVENING,
        own_holder=True,
        development=development,
    )
    client = TestClient(TestServer(workspace.app()))
    await client.start_server()
    try:
        yield Opened(workspace, client, knowledge, store)
    finally:
        await client.close()
        store.close()


async def log_in(opened: Opened, editor: Editor = EDITOR) -> None:
    token = opened.workspace.tokens.issue(editor)
    response = await opened.client.post("/inloggen", data={"token": token}, allow_redirects=False)
    assert response.status == 303, await response.text()


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def base_of(html: str) -> str:
    match = BASE.search(html)
    assert match, "no base version in the page"
    return match.group(1)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
