"""The test set of real-sounding messages, and how well a responder does on it.

Shared by the accuracy test and the benchmark, so both count the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bot.core import Helpdesk
from bot.replies import Outcome

DATA = Path(__file__).parent / "data"
CRISIS_DEVELOPMENT = (
    "crisis_dev",
    "crisis_dev2",
    "crisis_dev3",
    "crisis_dev4",
    "crisis_dev5",
    "crisis_dev6",
    "crisis_dev7",
    "crisis_dev8",
    "crisis_dev9",
    "crisis_dev10",
    "crisis_dev11",
    "crisis_dev12",
    "crisis_dev13",
    "crisis_dev14",
    "crisis_dev15",
    "crisis_dev16",
    "crisis_dev17",
    "crisis_dev18",
    "crisis_dev19",
    "crisis_dev20",
    "crisis_dev21",
    "crisis_dev22",
    "crisis_dev23",
    "crisis_dev24",
    "crisis_dev25",
)
CRISIS_HELD_OUT = (
    "crisis_heldout",
    "crisis_heldout2",
    "crisis_heldout3",
    "crisis_heldout4",
    "crisis_heldout5",
    "crisis_heldout6",
    "crisis_heldout7",
    "crisis_heldout8",
    "crisis_heldout9",
    "crisis_heldout10",
    "crisis_heldout11",
    "crisis_heldout12",
    "crisis_heldout13",
    "crisis_heldout14",
    "crisis_heldout15",
    "crisis_heldout16",
)
CRISIS_NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
PARTS = (
    "dev",
    "dev2",
    "dev3",
    "dev4",
    "dev5",
    "dev6",
    "dev7",
    "dev8",
    "dev9",
    "dev10",
    "dev11",
    "dev12",
    "dev13",
    "dev14",
    "dev15",
    "dev16",
    "dev17",
    "dev18",
    "dev19",
    "dev20",
    "dev21",
    "dev22",
    "dev23",
    "dev24",
    "dev25",
    "dev26",
    "dev27",
    "heldout",
    "heldout2",
    "heldout3",
    "heldout4",
    "heldout5",
    "heldout6",
    "heldout7",
    "heldout8",
    "heldout9",
    "heldout10",
    "heldout11",
    "heldout12",
    "heldout13",
    "heldout14",
    "heldout15",
    "heldout16",
)

# Development parts written blind after the decision's rules were, none of which was written
# for them: where a rule must earn its place (benchmarks/matcher.py --rules,
# benchmarks/decision.py). The rules' settings are fit on every development part
# (benchmarks/fit_settings.py).
UNTUNED_BY_RULES = ("dev5", "dev6", "dev7", "dev8")


def is_held_out(part: str) -> bool:
    """Held-out parts are only measured: never tuned on, their messages never printed."""
    return part.startswith("heldout")


@dataclass(frozen=True)
class Case:
    text: str
    kind: str  # answerable, unanswerable, urgent, not_urgent, smalltalk
    expect: tuple[str, ...]  # entry ids, or ("referral",)


def load_cases(part: str) -> list[Case]:
    data = yaml.safe_load((DATA / f"testset_{part}.yaml").read_text(encoding="utf-8"))
    cases = []
    for kind, items in data.items():
        for item in items:
            if isinstance(item, str):
                text, expect = item, ()
            else:
                text, expect = item["text"], item.get("expect", ())
                expect = tuple(expect) if isinstance(expect, list) else (expect,)
            cases.append(Case(text, kind, expect))
    return cases


@dataclass
class Figures:
    answerable: int = 0
    right_answer: int = 0
    wrong_answer: int = 0
    partial: int = 0  # answerable, yet told the article does not cover it
    unanswerable: int = 0
    referred: int = 0  # referred, or told plainly that the article does not cover it
    near_miss_answered: int = 0  # answered as if it were a question of the FAQ
    urgent: int = 0
    urgent_found: int = 0
    ordinary: int = 0
    false_urgent: int = 0
    smalltalk: int = 0
    smalltalk_found: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Figures, with_misses: bool = True) -> None:
        """Count another part's figures in; its misses too, unless they must stay unseen."""
        for name in vars(self):
            if name != "misses":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        if with_misses:
            self.misses.extend(other.misses)

    def rate(self, part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    def summary(self) -> str:
        return (
            f"right answer {self.rate(self.right_answer, self.answerable):.1%} "
            f"({self.right_answer}/{self.answerable}), "
            f"wrong answer {self.rate(self.wrong_answer, self.answerable):.1%} "
            f"({self.wrong_answer}), partial {self.partial}, "
            f"near misses referred or partial {self.rate(self.referred, self.unanswerable):.1%} "
            f"({self.referred}/{self.unanswerable}), "
            f"answered {self.rate(self.near_miss_answered, self.unanswerable):.1%} "
            f"({self.near_miss_answered}), "
            f"urgent found {self.urgent_found}/{self.urgent}, "
            f"false urgent {self.false_urgent}/{self.ordinary}, "
            f"smalltalk {self.smalltalk_found}/{self.smalltalk}"
        )


# A responder maps a message to (outcome, faq_id).
Responder = Callable[[str], tuple[str, str | None]]


# kind → the outcome it must get, the count of its messages and the count that got it
# A near miss is handled well by a referral, or by a partial answer that says the article
# does not cover it (and then perhaps what it does say beside it).
_MUST_GET = {
    "unanswerable": (("referral", "partial"), "unanswerable", "referred"),
    "not_urgent": (("referral", "partial"), "unanswerable", "referred"),  # expecting no entry
    "urgent": (("urgent",), "urgent", "urgent_found"),
    "smalltalk": (("smalltalk",), "smalltalk", "smalltalk_found"),
}


def responder(desk: Helpdesk, now: datetime) -> Responder:
    """What the bot replies, as evaluate reads it: (outcome, faq_id)."""

    def respond(text: str) -> tuple[str, str | None]:
        reply = desk.respond(text, now)
        return reply.outcome.value, reply.faq_id

    return respond


def evaluate(cases: list[Case], respond: Responder) -> Figures:
    f = Figures()
    for case in cases:
        outcome, faq_id = respond(case.text)
        if case.kind != "urgent":
            f.ordinary += 1
            if outcome == "urgent":
                f.false_urgent += 1
                f.misses.append(f"false urgent: {case.text!r}")
        expects_answer = case.kind == "answerable" or (
            case.kind == "not_urgent" and case.expect != ("referral",)
        )
        if expects_answer:
            f.answerable += 1
            if outcome == "answer" and faq_id in case.expect:
                f.right_answer += 1
            else:
                if outcome == "answer":
                    f.wrong_answer += 1
                elif outcome == "partial":  # a miss, not a wrong answer: it says what it lacks
                    f.partial += 1
                f.misses.append(f"{outcome} {faq_id} != {case.expect}: {case.text!r}")
        elif case.kind in _MUST_GET:
            wanted, total, got = _MUST_GET[case.kind]
            setattr(f, total, getattr(f, total) + 1)
            if outcome in wanted:
                setattr(f, got, getattr(f, got) + 1)
            else:
                if total == "unanswerable" and outcome == "answer":
                    f.near_miss_answered += 1
                f.misses.append(f"{outcome} {faq_id} != {'/'.join(wanted)}: {case.text!r}")
    return f


@dataclass
class Tally:
    found: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.found / self.total if self.total else 1.0


def crisis_part(part: str) -> dict[str, list[str]]:
    """A crisis part's messages by kind: suicide, acute, ordinary."""
    return yaml.safe_load((DATA / f"{part}.yaml").read_text(encoding="utf-8"))


def measure_crisis(desk: Helpdesk, parts: tuple[str, ...]) -> dict[str, Tally]:
    """Per kind (suicide, acute, false_alarm): how many of the parts' messages got it right.
    Beside them: thoughts of suicide that read 113 at all, first or in the care note below
    another reply (suicide_113), and ordinary messages that got the care note (care_note)."""
    suicide_reply = desk.composer.message("urgent_suicide")
    kinds = ("suicide", "acute", "false_alarm", "suicide_113", "care_note")
    tallies = {kind: Tally() for kind in kinds}
    for part in parts:
        for kind, messages in crisis_part(part).items():
            for text in messages:
                reply = desk.respond(text, CRISIS_NOW)
                urgent = reply.outcome is Outcome.URGENT
                tally = tallies["false_alarm" if kind == "ordinary" else kind]
                tally.total += 1
                # Thoughts of suicide count only with the reply that puts 113 first.
                hit = {
                    "suicide": urgent and reply.text == suicide_reply,
                    "acute": urgent,
                    "ordinary": urgent,
                }[kind]
                tally.found += hit
                if hit == (kind == "ordinary"):
                    tally.misses.append(text)
                if kind == "suicide":
                    tallies["suicide_113"].total += 1
                    tallies["suicide_113"].found += hit or reply.care_note
                elif kind == "ordinary":
                    tallies["care_note"].total += 1
                    tallies["care_note"].found += reply.care_note
    return tallies
