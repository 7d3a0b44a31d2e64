"""The real command, `python -m bot run`, stops cleanly on SIGTERM and SIGINT.

The bot runs as its own process against the Bot API test server on 127.0.0.1, exactly as
in production: what a user sent before the signal is answered, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.botapi_server import BotApiTestServer
from tests.harness import bot_process, env_without_token

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def bot_env(server: BotApiTestServer, tmp_path: Path) -> dict[str, str]:
    return env_without_token(
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_BASE_URL=server.base_url,
        DATABASE_PATH=str(tmp_path / "q.sqlite3"),
        HEARTBEAT_FILE=str(tmp_path / "heartbeat"),
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_stops_the_bot_after_it_answered(stop: signal.Signals, tmp_path: Path):
    async with (
        BotApiTestServer() as server,
        bot_process(tmp_path, bot_env(server, tmp_path)) as process,
    ):
        await server.wait_for("getUpdates", timeout=STARTUP_TIMEOUT)
        server.user_sends_text("hoeveel magnesium heb ik per dag nodig", user_id=4242)
        await server.wait_for_message(4242, text_contains="300-350 mg", timeout=10)
        process.send_signal(stop)
        out, err = await asyncio.wait_for(process.communicate(), STOP_TIMEOUT)
        output = (out + err).decode(errors="replace")
        assert process.returncode == 0, output[-2000:]
        assert len(server.sent_messages(4242)) == 1
        assert server.token.split(":")[1] not in output
        assert os.path.exists(tmp_path / "heartbeat")
