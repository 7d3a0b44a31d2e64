"""The bot on messages written the way people really write (tests/data/testset_*.yaml).

The development part was written before any tuning; the held-out part was written apart
from it and is only measured. Both together must meet the targets.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core import Helpdesk, load_helpdesk
from tests.testset import PARTS, Figures, evaluate, load_cases

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def helpdesk() -> Helpdesk:
    return load_helpdesk()


@pytest.fixture(scope="module")
def figures(helpdesk: Helpdesk) -> Figures:
    cases = [case for part in PARTS for case in load_cases(part)]

    def respond(text: str) -> tuple[str, str | None]:
        reply = helpdesk.respond(text, NOW)
        return reply.outcome.value, reply.faq_id

    return evaluate(cases, respond)


def test_the_set_is_large_enough(figures: Figures) -> None:
    assert figures.answerable >= 120
    assert figures.unanswerable >= 40
    assert figures.urgent >= 25


def test_answerable_questions_get_the_right_answer(figures: Figures) -> None:
    assert figures.right_answer / figures.answerable >= 0.92, figures.summary()


def test_hardly_any_wrong_answer(figures: Figures) -> None:
    assert figures.wrong_answer / figures.answerable <= 0.02, figures.summary()


def test_unanswerable_questions_are_referred(figures: Figures) -> None:
    assert figures.referred / figures.unanswerable >= 0.92, figures.summary()


def test_every_urgent_message_is_urgent(figures: Figures) -> None:
    missed = [m for m in figures.misses if m.startswith("missed urgent")]
    assert not missed, missed


def test_no_ordinary_message_is_urgent(figures: Figures) -> None:
    assert figures.false_urgent == 0, [m for m in figures.misses if "false urgent" in m]
