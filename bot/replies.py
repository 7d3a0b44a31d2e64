"""Compose every reply from the knowledge's own texts; one composer for every front end."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.hours import OpeningState, opening_state
from bot.knowledge import Entry, Knowledge, OutOfScopeGroup, SmalltalkIntent


class Outcome(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    REFERRAL = "referral"
    PARTIAL = "partial"  # the subject is not in the article: say so, refer, show what is
    URGENT = "urgent"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Suggestion:
    faq_id: str
    question: str


@dataclass(frozen=True)
class Reply:
    """Plain data: each front end renders it its own way (HTML, numbered lines, JSON)."""

    outcome: Outcome
    body: str
    title: str | None = None
    faq_id: str | None = None
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = ()
    suggestions_intro: str | None = None
    care_note: bool = False  # the body ends with the note that names 113

    @property
    def text(self) -> str:
        """Everything the user reads, as one text."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body


# The one reply kept in code as well: used only if the urgent text in messages.yaml cannot be
# filled in, so that a person in danger always reads where to get help.
URGENT_FALLBACK = (
    "Wat je schrijft klinkt ernstig. Zoek nu hulp:\n"
    "• Is er levensgevaar? Bel meteen 112.\n"
    "• Denk je aan zelfdoding? Bel 113 of gratis 0800-0113, dag en nacht, of chat via 113.nl.\n"
    "• Andere dringende medische hulp: bel je huisarts, of 's avonds, 's nachts, in het "
    "weekend en op feestdagen de huisartsenpost."
)


class _Fill(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Composer:
    def __init__(self, knowledge: Knowledge, retention_days: int = 90) -> None:
        self.knowledge = knowledge
        self.messages = knowledge.messages
        self.retention_days = retention_days
        h = knowledge.helpline
        self._base = {
            "naam": h.name,
            "email": h.email,
            "telefoon": h.phone,
            "openingstijden": h.hours_text,
            "aantal": str(retention_days),
        }

    def fill(self, template: str, **values: str) -> str:
        return template.format_map(_Fill(self._base, **values))

    def message(self, key: str, **values: str) -> str:
        return self.fill(self.messages[key], **values)

    # -- opening hours ------------------------------------------------------------------

    def when(self, state: OpeningState) -> str:
        opening = state.next_opening
        if opening is None:
            return ""
        days = (opening.date() - state.local_now.date()).days
        hhmm = opening.strftime("%H:%M")
        day = self.knowledge.day_names[opening.weekday()]
        if days == 0:
            return self.message("when_today", tijd=hhmm)
        if days == 1:
            return self.message("when_tomorrow", tijd=hhmm)
        if days < 7:
            return self.message("when_weekday", dag=day, tijd=hhmm)
        date_text = f"{opening.day} {self.knowledge.month_names[opening.month - 1]}"
        return self.message("when_date", dag=day, datum=date_text, tijd=hhmm)

    def opening_line(self, now: datetime) -> str:
        state = opening_state(self.knowledge.helpline, now)
        if state.is_open and state.closes_at is not None:
            return self.message("open_now", sluit=state.closes_at.strftime("%H:%M"))
        return self.message("closed_now", wanneer=self.when(state))

    def contact_text(self, now: datetime) -> str:
        return f"{self.message('contact')}\n{self.opening_line(now)}"

    # -- replies ------------------------------------------------------------------------

    def _suggest(self, ids: tuple[str, ...] | list[str]) -> tuple[Suggestion, ...]:
        by_id = self.knowledge.by_id
        return tuple(Suggestion(i, by_id[i].question) for i in ids if i in by_id)

    def answer(self, entry: Entry, now: datetime, score: float = 1.0) -> Reply:
        parts = [self.fill(entry.answer)]
        if entry.opening_state:
            parts.append(self.opening_line(now))
        if entry.doctor_advice:
            parts.append(self.message("doctor_advice"))
        parts.append(self.message("source_line", bron=entry.source))
        return Reply(
            Outcome.ANSWER,
            "\n\n".join(parts),
            title=entry.question,
            faq_id=entry.id,
            score=score,
            suggestions=self._suggest(entry.related),
            suggestions_intro=self.message("related_intro") if entry.related else None,
        )

    def clarify(self, entry_ids: list[str], score: float) -> Reply:
        return Reply(
            Outcome.CLARIFY,
            self.message("clarify"),
            score=score,
            suggestions=self._suggest(entry_ids),
        )

    def referral(self, now: datetime, score: float = 0.0, understood: bool = True) -> Reply:
        intro = self.message("referral" if understood else "not_understood")
        return Reply(Outcome.REFERRAL, f"{intro}\n\n{self.contact_text(now)}", score=score)

    def partial(
        self, group: OutOfScopeGroup, near: Entry | None, now: datetime, score: float = 0.0
    ) -> Reply:
        """'Over alcohol staat niets in mijn informatie', where to ask instead, and then
        what the article does say beside it (the nearest entry, with its source), if any."""
        intro = self.message(group.message, onderwerp=group.subject)
        parts = [f"{intro}\n\n{self.contact_text(now)}"]
        if near is not None:
            parts.append(
                f"{self.message('partial_known')}\n{near.question}\n\n{self.fill(near.answer)}"
            )
            parts.append(self.message("source_line", bron=near.source))
        return Reply(
            Outcome.PARTIAL,
            "\n\n".join(parts),
            faq_id=near.id if near is not None else None,
            score=score,
        )

    def urgent(self, reply: str = "urgent") -> Reply:
        """The emergency reply; should its text ever fail to fill in, the built-in one."""
        try:
            text = self.message(reply)
        except (KeyError, ValueError, IndexError, AttributeError):
            text = URGENT_FALLBACK
        return Reply(Outcome.URGENT, text, score=1.0)

    def with_care_note(self, reply: Reply) -> Reply:
        """The reply with the care note below it: for a message that may come from someone
        thinking of suicide, though it raised no alarm."""
        return replace(reply, body=f"{reply.body}\n\n{self.message('care_note')}", care_note=True)

    def smalltalk(self, intent: SmalltalkIntent) -> Reply:
        return Reply(Outcome.SMALLTALK, self.fill(intent.reply), score=1.0)

    # -- texts for commands ---------------------------------------------------------------

    def welcome(self) -> str:
        return f"{self.message('welcome')}\n\n{self.message('disclaimer')}"

    def privacy(self) -> str:
        """What the bot keeps, as configured: with a retention of 0 days it keeps no text."""
        return self.message("privacy" if self.retention_days > 0 else "privacy_nothing_stored")
