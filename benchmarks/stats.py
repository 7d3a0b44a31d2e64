"""How long /stats takes on a full database, and how long the bot stalls meanwhile.

    .venv/bin/python benchmarks/stats.py [--questions 6000] [--seed 1]

Fills a real SQLite database (in a temporary folder) with that many unanswered questions,
made of ordinary Dutch words (so nearly all of them differ: the hard case for grouping),
then builds the report in a thread as /stats does, while the event loop ticks every 10 ms.
Prints the time of the report, the groups it found, and the longest pause of the event
loop: how long another user's reply would wait.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.lexicon import frequency_buckets
from bot.report import build_report
from bot.store import QuestionStore


def questions(count: int, seed: int) -> list[str]:
    """Four to nine words each, from the middle of the Dutch frequency list."""
    rng = random.Random(seed)
    words = [w for bucket in frequency_buckets()[150:450] for w in bucket if w.isalpha()]
    return [" ".join(rng.sample(words, rng.randint(4, 9))) + "?" for _ in range(count)]


async def measure(store: QuestionStore) -> tuple[float, int, float]:
    longest = 0.0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            longest = max(longest, now - last - 0.01)
            last = now

    ticker = asyncio.create_task(tick())
    start = time.perf_counter()
    report = await asyncio.to_thread(build_report, store)
    took = time.perf_counter() - start
    done.set()
    await ticker
    return took, len(report.groups), longest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = QuestionStore(Path(folder) / "q.sqlite3")
        start = datetime.now(UTC) - timedelta(days=30)
        texts = questions(args.questions, args.seed)
        for i, text in enumerate(texts):
            store.record_question(text, "referral", start + timedelta(seconds=i * 400))
        took, groups, longest = asyncio.run(measure(store))
        store.close()
    print(f"{args.questions} questions: report in {took:.2f} s, {groups} groups")
    print(f"longest pause of the event loop meanwhile: {longest * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
