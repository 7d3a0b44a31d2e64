"""The bot on messages written the way people really write (tests/data/testset_*.yaml).

Forty-three parts, each written by someone who had not seen the matcher: twenty-seven
development parts (the fourth first measured as a held-out part) and sixteen held-out parts
that are only measured and whose messages are never printed. The two are never pooled.

The development parts together are held to floors a few messages below what they reach, so
that one message more or less is no failure but a real step back is: right answers, wrong
answers, near misses referred (or told plainly what the article does not cover: a partial
answer), near misses answered as if they were asked. A partial answer to an answerable
question is a miss, not a wrong answer. Every urgent message is found, hardly any ordinary
message raises a false alarm, and every greeting, thanks or question about the bot gets small talk.

The held-out parts are held only to a loose floor with a clear margin; a failure there says
the counts, never the messages. benchmarks/matcher.py prints each part and both totals.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core import Helpdesk, load_helpdesk
from tests.testset import PARTS, Figures, evaluate, is_held_out, load_cases, responder

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
# The targets for a fresh set are 90% right, 2% wrong, 95% of near misses referred or partial
# and 3% of them answered. The development parts (twenty-seven; the hardest two first seen at
# 78.7% and 70.1% right) reach 85.3% right, 1.7% wrong, 96.5% and 2.3%: the last three are held to
# the targets themselves, right answers to a floor a margin below what they reach, and the 90%
# target stays a strict expected failure until it is met.
TARGETS = {"right": 0.90, "wrong": 0.02, "near_miss": 0.95, "near_miss_answered": 0.03}
DEVELOPMENT = {**TARGETS, "right": 0.82}
HELD_OUT = {"right": 0.80, "wrong": 0.05, "near_miss": 0.80, "near_miss_answered": 0.20}


@pytest.fixture(scope="module")
def helpdesk() -> Helpdesk:
    return load_helpdesk()


def _figures(helpdesk: Helpdesk, held_out: bool) -> Figures:
    respond = responder(helpdesk, NOW)
    total = Figures()
    for part in PARTS:
        if is_held_out(part) == held_out:
            # The held-out parts' messages are never shown, so they cannot be tuned towards.
            total.add(evaluate(load_cases(part), respond), with_misses=not held_out)
    return total


@pytest.fixture(scope="module")
def development(helpdesk: Helpdesk) -> Figures:
    return _figures(helpdesk, held_out=False)


@pytest.fixture(scope="module")
def held_out(helpdesk: Helpdesk) -> Figures:
    return _figures(helpdesk, held_out=True)


def test_the_parts_are_large_enough(development: Figures, held_out: Figures) -> None:
    assert development.answerable >= 600 and development.unanswerable >= 250
    assert development.urgent >= 100
    assert held_out.answerable >= 500 and held_out.unanswerable >= 200


def test_development_answerable_questions_get_the_right_answer(development: Figures) -> None:
    rate = development.rate(development.right_answer, development.answerable)
    assert rate >= DEVELOPMENT["right"], (development.summary(), development.misses)


@pytest.mark.xfail(strict=True, reason="the development parts reach 85%, not yet the target")
def test_development_answerable_questions_reach_the_target(development: Figures) -> None:
    rate = development.rate(development.right_answer, development.answerable)
    assert rate >= TARGETS["right"], development.summary()


def test_development_hardly_any_wrong_answer(development: Figures) -> None:
    rate = development.rate(development.wrong_answer, development.answerable)
    assert rate <= DEVELOPMENT["wrong"], (development.summary(), development.misses)


def test_development_near_misses_are_referred_or_partial(development: Figures) -> None:
    rate = development.rate(development.referred, development.unanswerable)
    assert rate >= DEVELOPMENT["near_miss"], (development.summary(), development.misses)


def test_development_near_misses_are_hardly_ever_answered(development: Figures) -> None:
    rate = development.rate(development.near_miss_answered, development.unanswerable)
    assert rate <= DEVELOPMENT["near_miss_answered"], (development.summary(), development.misses)


def test_held_out_parts_stay_above_a_loose_floor(held_out: Figures) -> None:
    """Counts only: the held-out messages and their misses are never shown."""
    f = held_out
    assert f.rate(f.right_answer, f.answerable) >= HELD_OUT["right"], f.summary()
    assert f.rate(f.wrong_answer, f.answerable) <= HELD_OUT["wrong"], f.summary()
    assert f.rate(f.referred, f.unanswerable) >= HELD_OUT["near_miss"], f.summary()
    answered = f.rate(f.near_miss_answered, f.unanswerable)
    assert answered <= HELD_OUT["near_miss_answered"], f.summary()


def test_every_urgent_message_is_urgent(development: Figures, held_out: Figures) -> None:
    assert development.urgent_found == development.urgent, [
        m for m in development.misses if "!= urgent" in m
    ]
    assert held_out.urgent_found == held_out.urgent, held_out.summary()


# Emergencies lean towards a false alarm (the target is at most 2%): when the learned view of
# emergencies came in, 2 of the development parts' ordinary messages raised one, and 5 of 873
# of the held-out parts'.
FALSE_URGENT_CEILING = {"development": 0.005, "held_out": 0.01}


def test_hardly_any_ordinary_message_is_urgent(development: Figures, held_out: Figures) -> None:
    false_urgent = [m for m in development.misses if "false urgent" in m]
    rate = development.false_urgent / development.ordinary
    assert rate <= FALSE_URGENT_CEILING["development"], false_urgent
    rate = held_out.false_urgent / held_out.ordinary
    assert rate <= FALSE_URGENT_CEILING["held_out"], held_out.summary()


def test_greetings_thanks_and_questions_about_the_bot_are_smalltalk(
    development: Figures, held_out: Figures
) -> None:
    assert development.smalltalk_found == development.smalltalk, [
        m for m in development.misses if "!= smalltalk" in m
    ]
    assert held_out.smalltalk_found == held_out.smalltalk, held_out.summary()
