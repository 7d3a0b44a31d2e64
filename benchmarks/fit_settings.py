"""The decision's settings (knowledge/settings.yaml, matching:) fit by a written procedure.

    .venv/bin/python benchmarks/fit_settings.py [--passes 2]

The procedure, so that nobody tunes a threshold by hand for one message:

1. The measure is the development parts' utility: right answers, minus COST for every wrong
   answer and every near miss answered as if it were asked. A confident wrong answer is the
   worst thing the bot can do; one weighs as much as COST right answers lost.
2. Coordinate ascent from the values in settings.yaml: each setting in turn is tried at the
   values of its grid that keep the order the loader asks (the others kept), and moves to
   the value with the highest utility.
   A tie keeps the current value, so a setting only moves for a real gain.
3. Passes repeat until none moves, at most ``--passes`` times.

It prints every value tried and the values it found; whoever keeps settings.yaml copies
them there. The held-out parts are not read at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import Helpdesk  # noqa: E402
from bot.knowledge import Knowledge, MatchSettings  # noqa: E402
from bot.loader import DEFAULT_KNOWLEDGE_DIR, MATCHING_ORDER, load_knowledge  # noqa: E402
from tests.testset import (  # noqa: E402
    CRISIS_NOW,
    PARTS,
    Case,
    Figures,
    evaluate,
    is_held_out,
    load_cases,
    responder,
)

COST = 3
# The settings of core.decide and the values each may take.
GRID: dict[str, tuple[float, ...]] = {
    "answer_threshold": (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8),
    "strict_threshold": (0.6, 0.7, 0.8, 0.9, 1.0),
    "detail_threshold": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "confirmed_threshold": (0.2, 0.25, 0.3, 0.35, 0.4),
    "clarify_threshold": (0.35, 0.4, 0.45, 0.5),
    "long_message_words": (7, 9, 12, 15),
    "long_message_threshold": (0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.25),
    "answer_margin": (0.02, 0.05, 0.08, 0.1),
    "out_of_scope_margin": (-0.1, -0.05, 0.0, 0.05),
    "tie_margin": (0.0, 0.005, 0.01, 0.02),
    "confirmed_out_of_scope_slack": (0.0, 0.05, 0.1, 0.15, 0.2),
    "other_subject_weight": (0.7, 0.8, 0.85, 0.9, 0.95, 1.0),
}


def in_order(settings: MatchSettings) -> bool:
    """Whether the settings keep the order the loader asks of them (a lower threshold where
    two views agree, a higher one beside an unknown word)."""
    return all(getattr(settings, a) <= getattr(settings, b) for a, b, _ in MATCHING_ORDER)


def utility(f: Figures) -> int:
    return f.right_answer - COST * (f.wrong_answer + f.near_miss_answered)


def figures(knowledge: Knowledge, settings: MatchSettings, cases: list[Case]) -> Figures:
    helpdesk = Helpdesk(dataclasses.replace(knowledge, settings=settings))
    return evaluate(cases, responder(helpdesk, CRISIS_NOW))


def fit(knowledge: Knowledge, cases: list[Case], passes: int) -> MatchSettings:
    """Coordinate ascent over GRID, as the module's docstring says."""
    settings = knowledge.settings
    seen: dict[MatchSettings, Figures] = {}

    def measured(s: MatchSettings) -> Figures:
        if s not in seen:
            seen[s] = figures(knowledge, s, cases)
        return seen[s]

    for number in range(1, passes + 1):
        moved = False
        for name, values in GRID.items():
            current = getattr(settings, name)
            tried = {
                v: measured(candidate)
                for v in values
                if in_order(candidate := dataclasses.replace(settings, **{name: v}))
            }
            tried.setdefault(current, measured(settings))
            best = max(tried, key=lambda v: (utility(tried[v]), v == current))
            row = "  ".join(
                f"{v:g}:{utility(f)}{'*' if v == best else ''}" for v, f in sorted(tried.items())
            )
            print(f"pass {number} {name:<30} {row}", flush=True)
            if best != current:
                settings = dataclasses.replace(settings, **{name: best})
                moved = True
        if not moved:
            break
    return settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    knowledge = load_knowledge(DEFAULT_KNOWLEDGE_DIR).knowledge
    cases = [c for part in PARTS if not is_held_out(part) for c in load_cases(part)]
    before = figures(knowledge, knowledge.settings, cases)
    found = fit(knowledge, cases, args.passes)
    after = figures(knowledge, found, cases)
    for name, f in (("settings.yaml", before), ("fit", after)):
        print(
            f"{name:<14} utility {utility(f)}: right {f.right_answer}/{f.answerable}, "
            f"wrong {f.wrong_answer}, near misses answered {f.near_miss_answered}/{f.unanswerable}"
        )
    for name in GRID:
        old, new = getattr(knowledge.settings, name), getattr(found, name)
        print(f"  {name}: {new:g}" + (f"   (settings.yaml: {old:g})" if new != old else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
