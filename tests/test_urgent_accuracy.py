"""Emergencies on messages written by people who had seen neither knowledge/urgent.yaml nor
the matcher (tests/data/crisis_*.yaml), in three kinds: thoughts of suicide or self-harm (they
must get the reply with 113 and 0800-0113), bodily danger now (an urgent reply), and ordinary
messages with heavy words, idioms, jokes and past events (no urgent reply).

The development parts are held to the targets: every emergency found, at most 2% false alarms.
The held-out part is only measured, its messages never shown; its floors are what it reached
when first measured after the detector was built, less a margin, and the targets themselves are
strict expected failures there until the detector reaches them on text it has never seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.core import Helpdesk, load_helpdesk
from bot.replies import Outcome

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DATA = Path(__file__).parent / "data"
DEVELOPMENT = ("crisis_dev",)
HELD_OUT = ("crisis_heldout",)
FALSE_ALARM_TARGET = 0.02


@dataclass
class Tally:
    found: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.found / self.total if self.total else 1.0


def measure(desk: Helpdesk, parts: tuple[str, ...]) -> dict[str, Tally]:
    suicide_reply = desk.composer.message("urgent_suicide")
    tallies = {kind: Tally() for kind in ("suicide", "acute", "false_alarm")}
    for part in parts:
        data = yaml.safe_load((DATA / f"{part}.yaml").read_text(encoding="utf-8"))
        for kind, messages in data.items():
            for text in messages:
                reply = desk.respond(text, NOW)
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
    return tallies


@pytest.fixture(scope="module")
def desk() -> Helpdesk:
    return load_helpdesk()


@pytest.fixture(scope="module")
def development(desk: Helpdesk) -> dict[str, Tally]:
    return measure(desk, DEVELOPMENT)


@pytest.fixture(scope="module")
def held_out(desk: Helpdesk) -> dict[str, Tally]:
    tallies = measure(desk, HELD_OUT)
    for tally in tallies.values():
        tally.misses = []  # never shown
    return tallies


def test_the_parts_are_large_enough(development, held_out) -> None:
    for tallies in (development, held_out):
        assert tallies["suicide"].total + tallies["acute"].total >= 100
        assert tallies["false_alarm"].total >= 200


@pytest.mark.parametrize("kind", ["suicide", "acute"])
def test_every_emergency_in_the_development_parts_is_found(development, kind) -> None:
    assert development[kind].rate == 1.0, development[kind].misses


def test_few_false_alarms_in_the_development_parts(development) -> None:
    tally = development["false_alarm"]
    assert tally.rate <= FALSE_ALARM_TARGET, tally.misses


# What the held-out part reached when first measured with this detector (suicide 37/58,
# acute 40/50, false alarms 35/241), less a margin: a floor against losing ground, not a target.
HELD_OUT_FLOORS = {"suicide": 0.55, "acute": 0.7}
HELD_OUT_FALSE_ALARM_CEILING = 0.2


@pytest.mark.parametrize("kind", ["suicide", "acute"])
def test_the_held_out_part_keeps_its_floor(held_out, kind) -> None:
    assert held_out[kind].rate >= HELD_OUT_FLOORS[kind], held_out[kind].rate


def test_the_held_out_part_keeps_its_false_alarm_ceiling(held_out) -> None:
    assert held_out["false_alarm"].rate <= HELD_OUT_FALSE_ALARM_CEILING


@pytest.mark.xfail(strict=True, reason="the target on text nobody has seen is not reached yet")
@pytest.mark.parametrize("kind", ["suicide", "acute"])
def test_every_emergency_in_the_held_out_part_is_found(held_out, kind) -> None:
    assert held_out[kind].rate == 1.0


@pytest.mark.xfail(strict=True, reason="the target on text nobody has seen is not reached yet")
def test_few_false_alarms_in_the_held_out_part(held_out) -> None:
    assert held_out["false_alarm"].rate <= FALSE_ALARM_TARGET
