"""Load on the real Telegram application: many users at once against the fake Bot API.

    .venv/bin/python benchmarks/telegram_load.py [--users 50] [--messages 1000] [--timeout 120]

BotApiTestServer and the application built by ``bot.telegram.app.build_application`` run in
this one process, started the way ``run_polling`` starts them (``tests.harness.bot_running``).
Every simulated user writes like a person: one message, wait for the reply, the next message.
The mix is clear questions from the FAQ, off-topic questions (a referral, stored in SQLite)
and small talk.

Latency is the time from a message being queued at the fake Telegram to the bot's reply
reaching it (the server's recorded call time). The bot keeps to Telegram's flood limits with
AIORateLimiter (30 requests a second in all; "typing" counts too), which bounds throughput.
"Wrong" compares each reply with the core's reply to that message, so this measures the
Telegram layer, not the matcher. Exits 1 when a message is lost, answered twice or wrongly,
or a question that should be stored is not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Config  # noqa: E402
from bot.loader import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from bot.replies import Outcome  # noqa: E402
from tests.botapi_server import BotApiTestServer, RecordedCall  # noqa: E402
from tests.harness import Clock, bot_running, helpdesk_for  # noqa: E402

NOW = datetime(2025, 11, 25, 18, 30, tzinfo=UTC)  # a Tuesday evening: the phone line is open
FIRST_USER = 900_001
OFF_TOPIC = [
    "wat is de hoofdstad van frankrijk",
    "hoe laat gaat de bus naar utrecht",
    "kun je een pizza voor me bestellen",
    "wie wint het wk voetbal",
    "wat kost een nieuwe fiets",
    "hoe repareer ik mijn wasmachine",
]
SMALLTALK = ["hallo", "goedemorgen", "dank je wel", "bedankt", "hoi"]
MIX = (("clear", 0.6), ("off_topic", 0.25), ("smalltalk", 0.15))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Replies:
    """Follows the server's recorded calls once, and wakes the user a reply is for."""

    def __init__(self, server: BotApiTestServer) -> None:
        self.server = server
        self.by_chat: dict[int, list[RecordedCall]] = defaultdict(list)
        self.events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def follow(self) -> None:
        seen = 0
        while True:
            calls = self.server.calls
            while seen < len(calls):
                call = calls[seen]
                seen += 1
                if call.method == "sendMessage":
                    chat = call.params.get("chat_id")
                    self.by_chat[chat].append(call)
                    self.events[chat].set()
            await asyncio.sleep(0.001)

    async def wait(self, chat: int, count: int, timeout: float) -> RecordedCall | None:
        async with asyncio.timeout(timeout):
            while len(self.by_chat[chat]) < count:
                self.events[chat].clear()
                await self.events[chat].wait()
        return self.by_chat[chat][count - 1]


async def run(users: int, messages: int, timeout: float, seed: int) -> int:
    helpdesk = helpdesk_for(DEFAULT_KNOWLEDGE_DIR)  # the very one the bot gets
    clear = [
        e.question
        for e in helpdesk.knowledge.entries
        if (r := helpdesk.respond(e.question, NOW)).outcome is Outcome.ANSWER and r.faq_id == e.id
    ]
    pools = {"clear": clear, "off_topic": OFF_TOPIC, "smalltalk": SMALLTALK}
    rng = random.Random(seed)
    per_user = [messages // users + (1 if i < messages % users else 0) for i in range(users)]
    plans = {
        FIRST_USER + i: [
            rng.choice(pools[rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]])
            for _ in range(n)
        ]
        for i, n in enumerate(per_user)
    }
    latencies: list[float] = []
    lost = 0

    with tempfile.TemporaryDirectory() as tmp:
        async with bot_running(
            Path(tmp),
            knowledge_dir=DEFAULT_KNOWLEDGE_DIR,
            admin_chat_ids=(),
            reload_seconds=Config.reload_seconds,
            clock=Clock(NOW),
        ) as running:
            server = running.server
            replies = Replies(server)
            follower = asyncio.create_task(replies.follow())

            async def user(user_id: int, texts: list[str]) -> None:
                nonlocal lost
                for k, text in enumerate(texts, start=1):
                    queued = time.monotonic()
                    server.user_sends_text(text, user_id=user_id)
                    try:
                        call = await replies.wait(user_id, k, timeout=30)
                    except TimeoutError:
                        lost += len(texts) - k + 1
                        return
                    latencies.append(call.time - queued)

            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.gather(*(user(u, t) for u, t in plans.items()))
                wall = time.monotonic() - started
                await server.wait_until_consumed(timeout=5)
                await asyncio.sleep(1.0)  # time for a late duplicate to show up
            except TimeoutError:
                wall = time.monotonic() - started
                print(f"Overall timeout of {timeout:.0f} s reached.", file=sys.stderr)
            finally:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower

        # Bot and server have stopped; the server keeps what it recorded.
        sent = sum(len(t) for t in plans.values())
        answered = twice = wrong = 0
        for user_id, texts in plans.items():
            got = server.sent_messages(user_id)
            answered += min(len(got), len(texts))
            twice += max(0, len(got) - len(texts))
            for text, message in zip(texts, got, strict=False):
                expected = helpdesk.respond(text, NOW).text
                wrong += not message["text"].startswith(expected)
        lost = sent - answered
        stored = len(running.store.questions())
        failures = len(server.failures)
        limited = sum(c.method in ("sendMessage", "sendChatAction") for c in server.calls)

    counts = {kind: sum(t in pools[kind] for ts in plans.values() for t in ts) for kind in pools}
    outcomes = Counter(helpdesk.respond(t, NOW).outcome.value for ts in plans.values() for t in ts)
    to_store = outcomes["referral"] + outcomes["clarify"]
    print(f"users:            {users}")
    print(f"messages sent:    {sent}  ({', '.join(f'{k} {v}' for k, v in counts.items())})")
    print(f"answered:         {answered}")
    print(f"lost:             {lost}")
    print(f"answered twice:   {twice}")
    print(f"wrong answers:    {wrong}")
    print(f"core outcomes:    {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}")
    print(f"stored questions: {stored} (expected {to_store}: every referral and choice)")
    print(f"API errors:       {failures}")
    if latencies:
        print(
            f"latency:          p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms"
        )
    print(f"wall time:        {wall:.1f} s ({answered / wall:.1f} answers/s)")
    print(
        f"rate-limited calls: {limited} sendMessage + sendChatAction "
        f"({limited / wall:.1f}/s; AIORateLimiter allows 30/s)"
    )
    return 0 if lost == twice == wrong == 0 and stored == to_store else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=120.0, help="overall bound in seconds")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    return asyncio.run(run(args.users, args.messages, args.timeout, args.seed))


if __name__ == "__main__":
    raise SystemExit(main())
