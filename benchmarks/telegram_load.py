"""Load and soak runs on the real Telegram application: many users against the fake Bot API.

    .venv/bin/python benchmarks/telegram_load.py [--users 50] [--messages 1000] [--timeout 120]
    .venv/bin/python benchmarks/telegram_load.py --soak [--users 100] [--messages 20] \
        [--think 0.5 4] [--timeout 600] [--tracemalloc]
    .venv/bin/python benchmarks/telegram_load.py --users 50 --messages 50 --before main

BotApiTestServer runs in this process and the bot in a thread of it, started by
``bot.telegram.app.run_bot`` as ``python -m bot run`` starts it (``tests.harness.bot_running``).
``--before REVISION`` first runs this benchmark as it was at that git revision, on the bot as
it was then, with the same options, so that one command shows the figures before and after.
Every simulated user writes like a person: one message, wait for the reply, the next message.
The mix is clear questions from the FAQ, off-topic questions (a referral, stored in SQLite)
and small talk, each checked against the core so the mix is what it claims.

Two uses, two presets; ``--users``, ``--messages``, ``--think``, ``--timeout``, ``--seed`` and
``--tracemalloc`` override either:

* **Load** (the default): 50 users send 1,000 messages in total, without pausing, so the
  bot is as busy as it can be. Shows throughput and latency under pressure.
* **Soak** (``--soak``): 100 users × 20 messages each (``--messages`` counts per user here),
  thinking 0.5-4 s before each message, and exactly one urgent message per user somewhere in
  the conversation. The run lasts over a minute by construction: each answer is one
  rate-limited request and AIORateLimiter allows about 30 requests a second, so 2,000
  messages need at least 2,000 / 30 ≈ 67 s; the thinking pauses alone take about 45 s per
  user. Also prints resident memory at the start, after the
  warm-up (the first tenth of the answers) and at the end; ``--tracemalloc`` shows where
  memory grew after the warm-up.

Latency is the time from a message being queued at the fake Telegram to the last part of the
bot's reply reaching it (the server's recorded call time). The bot keeps to Telegram's flood
limits with AIORateLimiter (30 requests a second in all, after a first burst of 30), which
bounds throughput: the bot sends no "typing" action, which would count too. "Wrong"
compares each reply with the core's reply to that message, so this measures the Telegram
layer, not the matcher. Exits 1 when a message is lost, answered twice
or wrongly, a question that should be stored is not, or the timeout was reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import os
import random
import statistics
import subprocess
import sys
import tarfile
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
FIRST_USER = 900_001
OFF_TOPIC = (
    "wat is de hoofdstad van frankrijk",
    "hoe laat gaat de bus naar utrecht",
    "kun je een pizza voor me bestellen",
    "wie wint het wk voetbal",
    "wat kost een nieuwe fiets",
    "hoe repareer ik mijn wasmachine",
    "wat is het weer morgen in groningen",
    "hoe oud is de koning",
)
SMALLTALK = ("hallo", "goedemorgen", "dank je wel", "bedankt", "hoi")
URGENT = (
    "ik wil er niet meer zijn",
    "ik denk aan zelfmoord",
    "ik wil dood",
    "ik trek het niet meer",
    "ik heb 30 tabletten ingenomen",
)
MIX = (("clear", 0.6), ("off_topic", 0.25), ("smalltalk", 0.15))
PRESETS = {
    # messages: in total for the load run, per user for the soak run
    "load": {"users": 50, "messages": 1000, "think": (0.0, 0.0), "timeout": 120.0},
    "soak": {"users": 100, "messages": 20, "think": (0.5, 4.0), "timeout": 600.0},
}
WARM_UP_FRACTION = 0.1
REPLY_TIMEOUT = 60.0  # seconds one user waits for a reply before the rest counts as lost


def resident_mb() -> float:
    """Resident set size of this process, from /proc/self/statm (second field, in pages)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def pools(helpdesk: Helpdesk, urgent: bool) -> dict[str, list[str]]:
    """Messages per kind, each checked against the core so the mix is what it claims."""

    def gets(texts, *outcomes):
        return [t for t in texts if helpdesk.respond(t, NOW).outcome in outcomes]

    found = {
        "clear": [
            e.question
            for e in helpdesk.knowledge.entries
            if (r := helpdesk.respond(e.question, NOW)).outcome is Outcome.ANSWER
            and r.faq_id == e.id
        ],
        "off_topic": gets(OFF_TOPIC, Outcome.REFERRAL, Outcome.CLARIFY),
        "smalltalk": gets(SMALLTALK, Outcome.SMALLTALK),
    }
    if urgent:
        found["urgent"] = gets(URGENT, Outcome.URGENT)
    empty = [kind for kind, texts in found.items() if not texts]
    if empty:
        raise SystemExit(f"no message of kind {empty} gets that outcome with this knowledge")
    return found


def make_plans(
    texts: dict[str, list[str]], per_user: list[int], urgent: bool, rng: random.Random
) -> dict[int, list[str]]:
    """What each user will write; with ``urgent``, exactly one urgent message per user."""
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    plans = {}
    for i, n in enumerate(per_user):
        plan = [rng.choice(texts[rng.choices(kinds, weights)[0]]) for _ in range(n - urgent)]
        if urgent:
            plan.insert(rng.randrange(n), rng.choice(texts["urgent"]))
        plans[FIRST_USER + i] = plan
    return plans


class Replies:
    """Follows the server's recorded calls once, and wakes the user a reply is for."""

    def __init__(self, server: BotApiTestServer) -> None:
        self.server = server
        self.times: dict[int, list[float]] = defaultdict(list)  # chat -> time of each message
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
                    self.times[chat].append(call.time)
                    self.events[chat].set()
            await asyncio.sleep(0.001)

    async def wait(self, chat: int, count: int, timeout: float) -> float:
        """Time of the chat's ``count``-th message from the bot."""
        async with asyncio.timeout(timeout):
            while len(self.times[chat]) < count:
                self.events[chat].clear()
                await self.events[chat].wait()
        return self.times[chat][count - 1]


async def run(
    users: int,
    messages: int,
    timeout: float,
    seed: int,
    think: tuple[float, float] = (0.0, 0.0),
    soak: bool = False,
    trace: bool = False,
) -> int:
    memory = {"start": resident_mb()}
    snapshots: list[tracemalloc.Snapshot] = []
    if trace:
        tracemalloc.start()
    helpdesk = helpdesk_for(DEFAULT_KNOWLEDGE_DIR)  # the very one the bot gets
    texts = pools(helpdesk, urgent=soak)
    rng = random.Random(seed)
    if soak:
        per_user = [messages] * users
    else:
        per_user = [messages // users + (i < messages % users) for i in range(users)]
    plans = make_plans(texts, [n for n in per_user if n], soak, rng)
    # How many Telegram messages each reply takes (a long answer is sent in parts).
    parts = {
        t: len(split_message(to_html(helpdesk.respond(t, NOW))))
        for t in set(itertools.chain(*plans.values()))
    }
    sent = sum(len(p) for p in plans.values())
    warm_up_after = max(1, int(sent * WARM_UP_FRACTION))
    latencies: list[float] = []
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
            replies = Replies(server)
            following = asyncio.create_task(replies.follow())

            async def user(user_id: int, plan: list[str]) -> None:
                expected = 0
                for text in plan:
                    if think[1] > 0:
                        await asyncio.sleep(rng.uniform(*think))
                    expected += parts[text]
                    queued = time.monotonic()
                    server.user_sends_text(text, user_id=user_id)
                    try:
                        arrived = await replies.wait(user_id, expected, REPLY_TIMEOUT)
                    except TimeoutError:
                        return  # this and the rest of the plan count as lost
                    latencies.append(arrived - queued)
                    if soak and len(latencies) == warm_up_after:
                        memory["after warm-up"] = resident_mb()
                        if trace:
                            snapshots.append(tracemalloc.take_snapshot())

            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.gather(*(user(u, p) for u, p in plans.items()))
                wall = time.monotonic() - started
                await server.wait_until_consumed(timeout=5)
                await asyncio.sleep(2.0 if soak else 1.0)  # time for a late duplicate to show up
            except TimeoutError:
                wall = time.monotonic() - started
                timed_out = True
                print(f"Overall timeout of {timeout:.0f} s reached.", file=sys.stderr)
            finally:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following

        # Bot and server have stopped; the server keeps what it recorded.
        answered = twice = wrong = 0
        for user_id, plan in plans.items():
            got = server.sent_messages(user_id)
            twice += max(0, len(got) - sum(parts[t] for t in plan))
            position = 0
            for text in plan:
                if position + parts[text] > len(got):
                    break
                answered += 1
                expected_text = helpdesk.respond(text, NOW).text
                if parts[text] > 1:  # only the first part is compared, from its start
                    expected_text = expected_text[:200]
                wrong += not got[position]["text"].startswith(expected_text)
                position += parts[text]
        lost = sent - answered
        stored = len(running.store.questions())
        failures = len(server.failures)
        limited = sum(c.method in ("sendMessage", "sendChatAction") for c in server.calls)
    memory["end"] = resident_mb()
    if trace and snapshots:
        growth = tracemalloc.take_snapshot().compare_to(snapshots[0], "filename")
        print("memory growth after warm-up by file (tracemalloc):")
        for stat in growth[:6]:
            print(f"    {stat.size_diff / 2**20:+6.2f} MB  {stat.traceback[0].filename}")

    counts = {kind: sum(t in texts[kind] for p in plans.values() for t in p) for kind in texts}
    outcomes = Counter(helpdesk.respond(t, NOW).outcome.value for p in plans.values() for t in p)
    to_store = outcomes["referral"] + outcomes["clarify"]
    print(f"users:            {users}" + (f" × {messages} messages" if soak else ""))
    print(f"messages sent:    {sent}  ({', '.join(f'{k} {v}' for k, v in counts.items())})")
    print(f"answered:         {answered}")
    print(f"lost:             {lost}")
    print(f"answered twice:   {twice}")
    print(f"wrong answers:    {wrong}")
    print(f"core outcomes:    {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}")
    print(f"stored questions: {stored} (expected {to_store}: every referral and choice)")
    print(f"API errors:       {failures}")
    if soak:
        print(
            "resident memory:  "
            + ", ".join(f"{k} {v:.1f} MB" for k, v in memory.items())
            + f" (after warm-up {memory['end'] - memory.get('after warm-up', memory['end']):+.1f}"
            " MB)"
        )
    if latencies:
        print(
            f"latency:          p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms"
        )
    print(f"wall time:        {wall:.1f} s ({answered / wall:.1f} answers/s)")
    print(
        f"rate-limited calls: {limited} sendMessage + sendChatAction "
        f"({limited / wall:.1f}/s; AIORateLimiter allows 30/s after a first burst of 30)"
    )
    ok = not timed_out and lost == twice == wrong == 0 and stored == to_store
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--soak",
        action="store_true",
        help="soak preset: 100 users x 20 messages, thinking 0.5-4 s, one urgent message "
        "per user, resident memory reported",
    )
    parser.add_argument("--users", type=int, help="default 50, with --soak 100")
    parser.add_argument(
        "--messages", type=int, help="in total (default 1000), with --soak per user (default 20)"
    )
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        metavar=("MIN", "MAX"),
        help="pause before each message, in seconds (default 0 0, with --soak 0.5 4)",
    )
    parser.add_argument(
        "--timeout", type=float, help="overall bound in seconds (default 120, with --soak 600)"
    )
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="show where memory grew after the warm-up"
    )
    parser.add_argument(
        "--before",
        metavar="REVISION",
        help="first run the same benchmark on this git revision of the bot (e.g. main), "
        "then on the working tree, so both figures come from one command",
    )
    args = parser.parse_args()
    if args.before:
        forwarded = [a for a in sys.argv[1:] if a not in ("--before", args.before)]
        print(f"== before: {args.before}", flush=True)
        before = run_revision(args.before, forwarded)
        print("\n== after: this working tree", flush=True)
    preset = PRESETS["soak" if args.soak else "load"]
    after = asyncio.run(
        run(
            args.users if args.users is not None else preset["users"],
            args.messages if args.messages is not None else preset["messages"],
            args.timeout if args.timeout is not None else preset["timeout"],
            args.seed,
            tuple(args.think) if args.think is not None else preset["think"],
            soak=args.soak,
            trace=args.tracemalloc,
        )
    )
    return max(after, before) if args.before else after


def run_revision(revision: str, argv: list[str]) -> int:
    """This benchmark as it was at ``revision``, on the bot as it was then, in a subprocess
    (its own folder comes first on its import path)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        script = Path(tmp) / "benchmarks" / "telegram_load.py"
        return subprocess.run([sys.executable, str(script), *argv], cwd=tmp).returncode


if __name__ == "__main__":
    raise SystemExit(main())
