"""What people read, checked on the real knowledge/ and the replies as the bot composes them.

An answer on supplements or on magnesium against RLS must not read as a recommendation: it
says that it is not proven that magnesium helps against RLS, and it tells the reader once,
not twice, to consult their doctor. The bot puts that doctor line under the answer itself
(messages.yaml), so an answer that ends with its own "overleg met je arts" says it twice.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.core import Helpdesk, load_helpdesk
from bot.replies import Outcome
from bot.text import normalise, split_sentences

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CAVEAT = "niet bewezen"
# A sentence that tells the reader to consult their doctor. "Vraag je arts hoeveel jij nodig
# hebt" is not one: it names what to ask, which the doctor line does not.
DOCTOR_ADVICE = re.compile(r"\b(overleg\w*|samenspraak|bespreek\w*|in gesprek)\b.*\barts\b")

# Questions on supplements or on magnesium against RLS, as people write them. Whatever entry
# answers them, the reply must carry the caveat.
SUPPLEMENT_OR_TREATMENT_QUESTIONS = (
    "welke magnesium helpt het best bij onrustige benen",
    "magnesiumcitraat tegen rls",
    "is het verstandig om magnesium te nemen voor mijn rls",
    "do you recommend magnesium",
    "is magnesium bloedverdunnend",
    "ik ben doodmoe door mijn slechte nachten, helpt magnesium",
    "helpt magnesium tegen rls",
    "welk magnesiumsupplement is het beste",
    "hoeveel magnesium mag ik per dag",
    "wat is de bovengrens voor magnesium",
    "ik ben zwanger en heb rusteloze benen, helpt magnesium",
    "mag ik mijn rls medicijnen vervangen door magnesium",
)


@pytest.fixture(scope="module")
def desk() -> Helpdesk:
    return load_helpdesk()


def doctor_lines(text: str) -> list[str]:
    return [s for s, _ in split_sentences(text) if DOCTOR_ADVICE.search(normalise(s))]


def answer(desk: Helpdesk, message: str) -> str:
    reply = desk.respond(message, NOW)
    assert reply.outcome is Outcome.ANSWER, (message, reply.outcome, reply.faq_id)
    return reply.text


@pytest.mark.parametrize("message", SUPPLEMENT_OR_TREATMENT_QUESTIONS)
def test_a_question_on_supplements_or_treatment_reads_not_proven(
    desk: Helpdesk, message: str
) -> None:
    text = answer(desk, message)
    assert CAVEAT in normalise(text), text
    assert len(doctor_lines(text)) == 1, text


def test_which_magnesium_helps_best_against_restless_legs_is_not_a_recommendation(
    desk: Helpdesk,
) -> None:
    text = answer(desk, "welke magnesium helpt het best bij onrustige benen")
    body = text.split("\n\n", 1)[1]
    # The caveat comes before the names of the supplements, not after them.
    assert normalise(body).index(CAVEAT) < normalise(body).index("magnesiumcitraat")


def test_the_advice_puts_not_proven_first_and_says_how_to_reach_the_foundation(
    desk: Helpdesk,
) -> None:
    text = answer(desk, "is het verstandig om magnesium te nemen voor mijn rls")
    first_line = text.split("\n\n", 1)[1].splitlines()[0]
    assert CAVEAT in normalise(first_line), first_line
    helpline = desk.knowledge.helpline
    assert helpline.email in text and helpline.phone in text
    assert "specialist bij jou in de buurt" in text


def test_the_medicines_answer_does_not_name_medicines_and_sends_to_the_doctor(
    desk: Helpdesk,
) -> None:
    text = answer(desk, "geven rls medicijnen een magnesiumtekort")
    assert "staat niet in ons artikel" in text
    assert "Vraag je arts of het voor jouw medicijnen geldt" in text


@pytest.mark.parametrize("faq_id", ["dagelijkse-hoeveelheid", "bovengrens"])
def test_dose_answers_are_general_figures_per_day_not_a_personal_dose(
    desk: Helpdesk, faq_id: str
) -> None:
    reply = desk.answer_for(faq_id, NOW)
    assert reply is not None
    assert "Gezondheidsraad" in reply.text and "per dag" in reply.text
    assert "geen persoonlijke dosis" in reply.text
    assert "Vraag je arts hoeveel jij" in reply.text
    assert reply.title != "Hoeveel magnesium is te veel?"


def test_every_answer_has_the_doctor_line_once_where_it_needs_one(desk: Helpdesk) -> None:
    line = desk.composer.message("doctor_advice")
    for entry in desk.knowledge.entries:
        reply = desk.answer_for(entry.id, NOW)
        assert reply is not None
        expected = 1 if entry.doctor_advice else 0
        assert reply.text.count(line) == expected, entry.id
        assert len(doctor_lines(reply.text)) == expected, (entry.id, doctor_lines(reply.text))


def test_every_answer_on_supplements_or_treatment_reads_not_proven(desk: Helpdesk) -> None:
    marked = [e for e in desk.knowledge.entries if e.treatment]
    assert len(marked) >= 10
    for entry in marked:
        reply = desk.answer_for(entry.id, NOW)
        assert reply is not None and CAVEAT in normalise(reply.text), entry.id
        assert entry.doctor_advice, entry.id


def test_every_title_is_a_question(desk: Helpdesk) -> None:
    statements = [e.id for e in desk.knowledge.entries if not e.question.endswith("?")]
    assert statements == []


def test_no_answer_points_at_this_article_or_leaves_out_how(desk: Helpdesk) -> None:
    """In a chat, 'dit artikel' points at nothing; joining needs a way to do it."""
    for entry in desk.knowledge.entries:
        assert "dit artikel" not in entry.answer, entry.id
    reply = desk.answer_for("lid-worden", NOW)
    assert reply is not None
    assert desk.knowledge.helpline.email in reply.text
    assert desk.knowledge.helpline.phone in reply.text


def test_goodbye_is_not_answered_with_youre_welcome(desk: Helpdesk) -> None:
    reply = desk.respond("doei", NOW)
    assert reply.outcome is Outcome.SMALLTALK
    assert "graag gedaan" not in reply.text.lower()
