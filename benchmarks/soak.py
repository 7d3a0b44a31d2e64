"""Soak run: many people chatting with the real bot for minutes, through the fake Bot API.

    .venv/bin/python benchmarks/soak.py [--users 100] [--messages 20] [--timeout 600]

BotApiTestServer and the application from ``bot.telegram.app.build_application`` run in
this one process, started the way ``run_polling`` starts them (``tests.harness.bot_running``).
Each simulated user writes ``--messages`` messages like a person: think a moment (0.5-4 s),
send, wait for the answer, and so on. Per user the mix is clear FAQ questions, off-topic
questions, small talk, and exactly one urgent message somewhere in the conversation.

The run lasts well over a minute by construction: each answer costs two rate-limited
requests (the "typing" action and the message) and AIORateLimiter allows about 30 requests
a second, so 2,000 messages need at least 2,000 / 15 ≈ 133 s; the thinking pauses alone
take about 45 s per user. ``--timeout`` bounds the whole run.

Printed: messages sent, answered, lost and answered twice (both must be 0), wrong answers
(compared with the core's own reply), resident memory at the start, after the warm-up
(the first tenth of the answers) and at the end, and p50/p99 reply time (from the message
being queued at the fake Telegram to the last part of the reply reaching it). Exits 1 when
a message is lost, answered twice or wrongly, or the timeout was reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Config  # noqa: E402
from bot.core import Helpdesk  # noqa: E402
from bot.loader import DEFAULT_KNOWLEDGE_DIR  # noqa: E402
from bot.replies import Outcome  # noqa: E402
from bot.telegram.render import split_message, to_html  # noqa: E402
from tests.botapi_server import BotApiTestServer  # noqa: E402
from tests.harness import Clock, bot_running, helpdesk_for  # noqa: E402

NOW = datetime(2025, 11, 25, 18, 30, tzinfo=UTC)  # a Tuesday evening: the phone line is open
FIRST_USER = 910_001
OFF_TOPIC = (
    "wie wint het wk voetbal",
    "hoe repareer ik mijn wasmachine",
    "wat is het weer morgen in groningen",
    "hoe oud is de koning",
    "kun je een pizza voor me bestellen",
    "wat kost een nieuwe fiets",
)
SMALLTALK = ("hallo", "goedemorgen", "dank je wel", "bedankt", "hoi")
URGENT = (
    "ik wil er niet meer zijn",
    "ik denk aan zelfmoord",
    "ik wil dood",
    "ik trek het niet meer",
    "ik heb 30 tabletten ingenomen",
)
MIX = (("clear", 0.55), ("off_topic", 0.25), ("smalltalk", 0.20))
THINK_SECONDS = (0.5, 4.0)
WARM_UP_FRACTION = 0.1


def resident_mb() -> float:
    """Resident set size of this process, from /proc/self/statm (second field, in pages)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def pools(helpdesk: Helpdesk) -> dict[str, list[str]]:
    """Messages per kind, each checked against the core so the mix is what it claims."""

    def gets(texts, outcome):
        return [t for t in texts if helpdesk.respond(t, NOW).outcome is outcome]

    clear = [
        e.question
        for e in helpdesk.knowledge.entries
        if (r := helpdesk.respond(e.question, NOW)).outcome is Outcome.ANSWER and r.faq_id == e.id
    ]
    found = {
        "clear": clear,
        "off_topic": [
            t
            for t in OFF_TOPIC
            if helpdesk.respond(t, NOW).outcome in (Outcome.REFERRAL, Outcome.CLARIFY)
        ],
        "smalltalk": gets(SMALLTALK, Outcome.SMALLTALK),
        "urgent": gets(URGENT, Outcome.URGENT),
    }
    empty = [kind for kind, texts in found.items() if not texts]
    if empty:
        raise SystemExit(f"no message of kind {empty} gets that outcome with this knowledge")
    return found


class Follower:
    """Reads the server's recorded calls once, and wakes the user a message is for."""

    def __init__(self, server: BotApiTestServer) -> None:
        self.server = server
        self.times: dict[int, list[float]] = defaultdict(list)  # chat -> time of each message
        self.changed: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def follow(self) -> None:
        seen = 0
        while True:
            calls = self.server.calls
            while seen < len(calls):
                call = calls[seen]
                seen += 1
                if call.method == "sendMessage":
                    chat = call.params.get("chat_id")
                    self.times[chat].append(call.time)
                    self.changed[chat].set()
            await asyncio.sleep(0.002)

    async def wait(self, chat: int, count: int, timeout: float) -> float:
        """Time of the chat's ``count``-th message from the bot."""
        async with asyncio.timeout(timeout):
            while len(self.times[chat]) < count:
                self.changed[chat].clear()
                await self.changed[chat].wait()
        return self.times[chat][count - 1]


async def run(
    users: int,
    messages: int,
    timeout: float,
    seed: int,
    think: tuple[float, float] = THINK_SECONDS,
    trace: bool = False,
) -> int:
    memory = {"start": resident_mb()}
    snapshots: list[tracemalloc.Snapshot] = []
    if trace:
        tracemalloc.start()
    helpdesk = helpdesk_for(DEFAULT_KNOWLEDGE_DIR)  # the very one the bot gets
    texts = pools(helpdesk)
    rng = random.Random(seed)
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    plans: dict[int, list[str]] = {}
    for i in range(users):
        plan = [rng.choice(texts[rng.choices(kinds, weights)[0]]) for _ in range(messages - 1)]
        plan.insert(rng.randrange(messages), rng.choice(texts["urgent"]))
        plans[FIRST_USER + i] = plan
    # How many Telegram messages each reply takes (a long answer is sent in parts).
    parts = {
        t: len(split_message(to_html(helpdesk.respond(t, NOW))))
        for t in set(itertools.chain(*plans.values()))
    }
    sent = sum(len(p) for p in plans.values())
    warm_up_after = max(1, int(sent * WARM_UP_FRACTION))
    latencies: list[float] = []
    answered = 0
    timed_out = False

    with tempfile.TemporaryDirectory() as tmp:
        async with bot_running(
            Path(tmp),
            knowledge_dir=DEFAULT_KNOWLEDGE_DIR,
            admin_chat_ids=(),
            reload_seconds=Config.reload_seconds,
            clock=Clock(NOW),
        ) as running:
            server = running.server
            follower = Follower(server)
            following = asyncio.create_task(follower.follow())

            async def user(user_id: int, plan: list[str]) -> None:
                nonlocal answered
                expected = 0
                for text in plan:
                    await asyncio.sleep(rng.uniform(*think))
                    expected += parts[text]
                    queued = time.monotonic()
                    server.user_sends_text(text, user_id=user_id)
                    try:
                        arrived = await follower.wait(user_id, expected, timeout=60)
                    except TimeoutError:
                        return  # this and the rest of the plan count as lost
                    latencies.append(arrived - queued)
                    answered += 1
                    if answered == warm_up_after:
                        memory["after warm-up"] = resident_mb()
                        if trace:
                            snapshots.append(tracemalloc.take_snapshot())

            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.gather(*(user(u, p) for u, p in plans.items()))
                wall = time.monotonic() - started
                await server.wait_until_consumed(timeout=5)
                await asyncio.sleep(2.0)  # time for a late duplicate to show up
            except TimeoutError:
                wall = time.monotonic() - started
                timed_out = True
                print(f"Overall timeout of {timeout:.0f} s reached.", file=sys.stderr)
            finally:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following

        # Bot and server have stopped; the server keeps what it recorded.
        twice = wrong = 0
        for user_id, plan in plans.items():
            got = server.sent_messages(user_id)
            twice += max(0, len(got) - sum(parts[t] for t in plan))
            position = 0
            for text in plan:
                if position >= len(got):
                    break
                reply = helpdesk.respond(text, NOW)
                wrong += not got[position]["text"].startswith(reply.title or reply.body[:200])
                position += parts[text]
        stored = len(running.store.questions())
        failures = len(server.failures)
    memory["end"] = resident_mb()
    if trace and snapshots:
        growth = tracemalloc.take_snapshot().compare_to(snapshots[0], "filename")
        print("memory growth after warm-up by file (tracemalloc):")
        for stat in growth[:6]:
            print(f"    {stat.size_diff / 2**20:+6.2f} MB  {stat.traceback[0].filename}")

    mix = Counter()
    for plan in plans.values():
        for text in plan:
            mix[next(kind for kind in texts if text in texts[kind])] += 1
    outcomes = Counter(helpdesk.respond(t, NOW).outcome.value for p in plans.values() for t in p)
    print(f"users:              {users} × {messages} messages")
    print(f"messages sent:      {sent}  ({', '.join(f'{k} {v}' for k, v in mix.items())})")
    print(f"answered:           {answered}")
    print(f"lost:               {sent - answered}")
    print(f"answered twice:     {twice}")
    print(f"wrong answers:      {wrong}")
    print(f"core outcomes:      {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}")
    print(
        f"stored questions:   {stored} "
        f"(expected {outcomes['referral'] + outcomes['clarify']}: every referral and choice)"
    )
    print(f"API errors:         {failures}")
    print(
        "resident memory:    "
        + ", ".join(f"{k} {v:.1f} MB" for k, v in memory.items())
        + f" (after warm-up {memory['end'] - memory.get('after warm-up', memory['end']):+.1f} MB)"
    )
    if latencies:
        print(
            f"reply time:         p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )
    print(f"wall time:          {wall:.1f} s ({answered / wall:.1f} answers/s)")
    to_store = outcomes["referral"] + outcomes["clarify"]
    ok = not timed_out and sent == answered and twice == wrong == 0 and stored == to_store
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20, help="per user")
    parser.add_argument("--timeout", type=float, default=600.0, help="overall bound in seconds")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=THINK_SECONDS,
        metavar=("MIN", "MAX"),
        help="pause before each message, in seconds (default 0.5 4)",
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="show where memory grew after the warm-up"
    )
    args = parser.parse_args()
    return asyncio.run(
        run(
            args.users,
            args.messages,
            args.timeout,
            args.seed,
            tuple(args.think),
            args.tracemalloc,
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
