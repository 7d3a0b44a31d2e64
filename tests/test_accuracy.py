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
    def respond(text: str) -> tuple[str, str | None]:
        reply = helpdesk.respond(text, NOW)
        return reply.outcome.value, reply.faq_id

    total = Figures()
    for part in PARTS:
        found = evaluate(load_cases(part), respond)
        for name in vars(total):
            if name != "misses":
                setattr(total, name, getattr(total, name) + getattr(found, name))
        # The held-out part's messages are never shown, so they cannot be tuned towards.
        total.misses.extend(found.misses if part != "heldout" else ())
    return total


def test_the_set_is_large_enough(figures: Figures) -> None:
    assert figures.answerable >= 120
    assert figures.unanswerable >= 40
    assert figures.urgent >= 25


def test_answerable_questions_get_the_right_answer(figures: Figures) -> None:
    assert figures.right_answer / figures.answerable >= 0.92, (figures.summary(), figures.misses)


def test_hardly_any_wrong_answer(figures: Figures) -> None:
    assert figures.wrong_answer / figures.answerable <= 0.02, figures.summary()


def test_unanswerable_questions_are_referred(figures: Figures) -> None:
    assert figures.referred / figures.unanswerable >= 0.92, figures.summary()


def test_every_urgent_message_is_urgent(figures: Figures) -> None:
    assert figures.urgent_found == figures.urgent, [
        m for m in figures.misses if m.startswith("missed urgent")
    ]


def test_no_ordinary_message_is_urgent(figures: Figures) -> None:
    assert figures.false_urgent == 0, [m for m in figures.misses if "false urgent" in m]
