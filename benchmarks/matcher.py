"""Speed, memory and accuracy of the matcher beside a naive baseline, measured in one run.

    .venv/bin/python benchmarks/matcher.py [--phrasings 10000] [--repeats 5]
        [--development-only] [--speed-only]
    .venv/bin/python benchmarks/matcher.py --rules          # what each rule is worth
    .venv/bin/python benchmarks/matcher.py --fit-learned    # the phrasing model's smoothing

The baseline is what a first attempt would do: rapidfuzz.process.extractOne with WRatio over
all phrasings, answering when the score reaches BASELINE_CUTOFF and referring otherwise.
Figures are printed as ratios to the baseline as well, because these machines are noisy.
The messages timed are the development parts' (the held-out parts are only counted); the
figures are printed per part, then for the development parts and the held-out parts apart.

Each knowledge is measured in a fresh process of its own, so its first load really is the
first (the Dutch word list is read then too) and its peak memory is its own, not the sum of
everything measured before. Each responder answers all messages in its own pass: timed in
turns, each would run with the other's data in the processor's caches, and both look slower
than either is.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import RULES, Helpdesk, load_helpdesk  # noqa: E402
from bot.crisis_model import forget_trained  # noqa: E402
from bot.loader import DEFAULT_KNOWLEDGE_DIR, load_knowledge  # noqa: E402
from bot.phrasing_model import forget_trained as forget_phrasings  # noqa: E402
from bot.phrasing_model import leave_one_out_accuracy, training_texts  # noqa: E402
from tests.generated_faq import generated_knowledge  # noqa: E402
from tests.testset import (  # noqa: E402
    PARTS,
    UNTUNED_BY_RULES,
    Figures,
    evaluate,
    is_held_out,
    load_cases,
    responder,
)

BASELINE_CUTOFF = 80
LEARNED_SMOOTHINGS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def baseline_best(text: str, phrasings: list[str]) -> tuple[str, float, int] | None:
    """The naive baseline: the phrasing WRatio likes best, with its score and place."""
    return process.extractOne(text, phrasings, scorer=fuzz.WRatio, processor=utils.default_process)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(folder: Path, messages: list[str], repeats: int) -> dict[str, float]:
    """Load times, time per message (ours, then the baseline's) and resident memory."""
    load_times = []
    for _ in range(repeats + 1):
        gc.collect()
        started = time.perf_counter()
        knowledge = load_knowledge(folder).knowledge
        helpdesk = Helpdesk(knowledge)
        load_times.append(time.perf_counter() - started)
    relearn_times = []  # a reload after a phrasing or example changed: the learned views train
    for _ in range(repeats):
        gc.collect()
        forget_trained()
        forget_phrasings()
        started = time.perf_counter()
        Helpdesk(load_knowledge(folder).knowledge)
        relearn_times.append(time.perf_counter() - started)
    phrasings = [p for e in knowledge.entries for p in (e.question, *e.phrasings)]
    gc.collect()  # the loads above leave garbage; collect it before timing messages
    ours = []
    for message in messages:
        started = time.perf_counter()
        helpdesk.respond(message, NOW)
        ours.append(time.perf_counter() - started)
    base = []
    for message in messages:
        started = time.perf_counter()
        baseline_best(message, phrasings)
        base.append(time.perf_counter() - started)
    return {
        "phrasings": len(phrasings),
        "first_load_ms": load_times[0] * 1000,
        "load_ms": statistics.median(load_times[1:] or load_times) * 1000,
        "relearn_ms": statistics.median(relearn_times or load_times) * 1000,
        "p50_ms": percentile(ours, 0.5) * 1000,
        "p99_ms": percentile(ours, 0.99) * 1000,
        "base_p50_ms": percentile(base, 0.5) * 1000,
        "base_p99_ms": percentile(base, 0.99) * 1000,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_apart(folder: Path, repeats: int) -> dict[str, float]:
    """``measure`` in a fresh Python process (this script with --measure)."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(folder), "--repeats", str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def timed_messages() -> list[str]:
    """The development parts' messages: the held-out ones are only counted, never used else."""
    messages = [c.text for part in PARTS if not is_held_out(part) for c in load_cases(part)]
    return messages * max(1, 1000 // len(messages))


def baseline_responder(phrasings: list[str], owners: list[str]):
    def respond(text: str) -> tuple[str, str | None]:
        best = baseline_best(text, phrasings)
        if best is None or best[1] < BASELINE_CUTOFF:
            return "referral", None
        return "answer", owners[best[2]]

    return respond


def _short(f: Figures) -> str:
    return (
        f"right {f.right_answer}/{f.answerable}, wrong {f.wrong_answer}, "
        f"near misses handled {f.referred}/{f.unanswerable}, answered {f.near_miss_answered}"
    )


def rules() -> int:
    """Each rule of core.decide left out in turn, on the development parts only: the parts
    it was tuned on, and apart the part none of them was tuned on."""
    knowledge = load_knowledge(DEFAULT_KNOWLEDGE_DIR).knowledge
    development = [p for p in PARTS if not is_held_out(p)]
    cases = {part: load_cases(part) for part in development}
    for left_out in ((), *((rule,) for rule in RULES)):
        respond = responder(Helpdesk(knowledge, without_rules=frozenset(left_out)), NOW)
        tuned, untuned = Figures(), Figures()
        for part in development:
            found = evaluate(cases[part], respond)
            (untuned if part in UNTUNED_BY_RULES else tuned).add(found, with_misses=False)
        name = f"without {left_out[0]}" if left_out else "all rules"
        print(f"{name:<24} tuned on: {_short(tuned)}")
        print(f"{'':<24} {'+'.join(UNTUNED_BY_RULES)}: {_short(untuned)}")
    return 0


def fit_learned() -> int:
    """Leave-one-out accuracy of the phrasing model on the entries' own phrasings, for each
    smoothing of a grid: the best is learned_smoothing in knowledge/settings.yaml."""
    texts = training_texts(load_helpdesk().knowledge)
    for smoothing in LEARNED_SMOOTHINGS:
        print(f"smoothing {smoothing:<5} {leave_one_out_accuracy(texts, smoothing):.2%}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrasings", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--development-only", action="store_true", help="leave the held-out parts out"
    )
    parser.add_argument("--speed-only", action="store_true", help="no accuracy figures")
    parser.add_argument(
        "--rules", action="store_true", help="what each rule of the decision is worth"
    )
    parser.add_argument(
        "--fit-learned", action="store_true", help="the phrasing model's smoothing, fit"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the fresh process
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, timed_messages(), args.repeats)))
        return 0
    if args.rules:
        return rules()
    if args.fit_learned:
        return fit_learned()
    print(f"messages timed per knowledge: {len(timed_messages())}, in a process of its own")

    article = measure_apart(DEFAULT_KNOWLEDGE_DIR, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        big = measure_apart(generated_knowledge(args.phrasings, Path(tmp)), args.repeats)

    print()
    print(
        f"{'knowledge':<18}{'phrasings':>10}{'1st load':>9}{'load ms':>9}{'relearn':>8}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'base p50':>9}{'base p99':>9}{'p99/base':>9}{'peak MB':>8}"
    )
    for name, m in (("article FAQ", article), (f"generated {args.phrasings}", big)):
        print(
            f"{name:<18}{m['phrasings']:>10}{m['first_load_ms']:>9.1f}{m['load_ms']:>9.1f}"
            f"{m['relearn_ms']:>8.1f}"
            f"{m['p50_ms']:>8.3f}{m['p99_ms']:>8.3f}{m['base_p50_ms']:>9.3f}"
            f"{m['base_p99_ms']:>9.3f}{m['p99_ms'] / m['base_p99_ms']:>9.2f}{m['peak_mb']:>8.1f}"
        )
    print("targets: p99 <= 2 ms (article), <= 20 ms (10,000 phrasings), load <= 300 ms,")
    print("peak resident memory < 100 MB")
    print("1st load: the first in its process, which also reads the Dutch word list once;")
    print("load ms: the median of the reloads after it (what a change to an answer or a")
    print("message costs); relearn: the same when a phrasing or an urgent example changed, so")
    print("that the learned view of emergencies trains again;")
    print("peak MB: the most resident memory of that process: loads, answers and baseline")

    if args.speed_only:
        return 0
    print()
    helpdesk = Helpdesk(load_knowledge(DEFAULT_KNOWLEDGE_DIR).knowledge)
    knowledge = helpdesk.knowledge
    phrasings = [p for e in knowledge.entries for p in (e.question, *e.phrasings)]
    owners = [e.id for e in knowledge.entries for _ in (e.question, *e.phrasings)]
    baseline = baseline_responder(phrasings, owners)
    responders = (
        ("matcher ", responder(helpdesk, NOW)),
        ("baseline", baseline),
    )
    # Development and held-out parts are counted apart and never pooled: the held-out ones
    # only ever show these counts.
    parts = [p for p in PARTS if not (args.development_only and is_held_out(p))]
    cases = {part: load_cases(part) for part in parts}
    for name, respond in responders:
        development, held_out = Figures(), Figures()
        for part in parts:
            found = evaluate(cases[part], respond)
            print(f"{part:<13} {name}: {found.summary()}")
            (held_out if is_held_out(part) else development).add(found, with_misses=False)
        print(f"{'development':<13} {name}: {development.summary()}")
        if held_out.answerable:
            print(f"{'held-out':<13} {name}: {held_out.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
