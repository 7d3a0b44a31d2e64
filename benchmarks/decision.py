"""The decision's rules (core.decide) beside a decision fit on data: a logistic regression over
the same signals of the matcher, fit by leave-one-part-out on the development parts.

    .venv/bin/python benchmarks/decision.py [--threshold 0.5 0.6 0.7]

For each development part in turn, the logistic decision is fit on the other parts and then
answers that part's best entry when its probability of being right is at least the threshold.
The rules are scored on the same messages. The parts the rules were not tuned on (dev5 to dev8)
are printed apart: there the two compete on equal terms. Held-out parts are not used.
Only messages that reach the matcher count (no emergency, no smalltalk).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core import Helpdesk, decide, load_helpdesk
from bot.matcher import MatchResult
from bot.text import visible_text
from tests.testset import PARTS, UNTUNED_BY_RULES, is_held_out, load_cases


@dataclass(frozen=True)
class Row:
    part: str
    answerable: bool
    signals: tuple[float, ...]
    best_is_right: bool
    rules_answer: str | None
    expect: tuple[str, ...]


def signals(match: MatchResult) -> tuple[float, ...]:
    """What the rules look at, as numbers: scores, leads, the two views, foreign words."""
    scores = [c.score for c in match.candidates[:3]] + [0.0, 0.0]
    best = scores[0]
    return (
        1.0,
        best,
        best - scores[1],
        best - scores[2],
        match.out_of_scope - best,
        float(match.confirmed),
        float(match.substituted),
        float(bool(match.foreign_words)),
        min(match.length, 30) / 30,
        float(match.letter_choice == match.candidates[0].entry_id),
        float(bool(match.subjects)),
    )


def rows_of(desk: Helpdesk, part: str) -> list[Row]:
    rows = []
    for case in load_cases(part):
        if case.kind not in ("answerable", "unanswerable"):
            continue
        text = visible_text(case.text)
        if desk.urgency.find(text) or desk.smalltalk.find(text):
            continue
        match = desk.matcher.match(text)
        if not match.candidates:
            continue
        right = case.kind == "answerable" and match.candidates[0].entry_id in case.expect
        rules = decide(match, desk.knowledge).answer_id
        rows.append(Row(part, case.kind == "answerable", signals(match), right, rules, case.expect))
    return rows


def fit(rows: list[Row], rounds: int = 800, rate: float = 0.5, l2: float = 1e-3) -> list[float]:
    """Logistic regression by gradient descent: few signals, a few thousand messages."""
    weights = [0.0] * len(rows[0].signals)
    for _ in range(rounds):
        gradient = [0.0] * len(weights)
        for row in rows:
            error = probability(weights, row.signals) - row.best_is_right
            for i, x in enumerate(row.signals):
                gradient[i] += error * x
        weights = [
            w - rate * (g / len(rows) + l2 * w) for w, g in zip(weights, gradient, strict=True)
        ]
    return weights


def probability(weights: list[float], x: tuple[float, ...]) -> float:
    return 1 / (1 + math.exp(-sum(w * v for w, v in zip(weights, x, strict=True))))


@dataclass
class Count:
    right: int = 0
    wrong: int = 0
    near_miss_answered: int = 0
    answerable: int = 0
    near_misses: int = 0

    def __str__(self) -> str:
        return (
            f"right {self.right}/{self.answerable}, wrong {self.wrong}, "
            f"near misses answered {self.near_miss_answered}/{self.near_misses}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    args = parser.parse_args()
    desk = load_helpdesk()
    parts = [p for p in PARTS if not is_held_out(p)]
    rows = {part: rows_of(desk, part) for part in parts}
    models = {
        part: fit([r for other in parts if other != part for r in rows[other]]) for part in parts
    }
    for label, chosen in (
        ("all development parts", parts),
        ("+".join(UNTUNED_BY_RULES), UNTUNED_BY_RULES),
    ):
        rules = Count()
        fitted = {t: Count() for t in args.threshold}
        for part in chosen:
            for row in rows[part]:
                answers = {t: probability(models[part], row.signals) >= t for t in fitted}
                for count, answered, right in (
                    (rules, row.rules_answer is not None, row.rules_answer in row.expect),
                    *((fitted[t], answers[t], row.best_is_right) for t in fitted),
                ):
                    if row.answerable:
                        count.answerable += 1
                        count.right += answered and right
                        count.wrong += answered and not right
                    else:
                        count.near_misses += 1
                        count.near_miss_answered += answered
        print(f"{label}:")
        print(f"  rules of core.decide:          {rules}")
        for t, count in fitted.items():
            print(f"  logistic, answer at p >= {t:.2f}: {count}")


if __name__ == "__main__":
    main()
