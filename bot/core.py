"""The helpdesk: one message in, one Reply out. Knows nothing of Telegram or consoles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.analyzer import Analyzer
from bot.knowledge import Knowledge
from bot.loader import DEFAULT_KNOWLEDGE_DIR, LoadResult, load_knowledge
from bot.matcher import Matcher, MatchResult
from bot.replies import Composer, Reply
from bot.smalltalk import SmalltalkDetector
from bot.text import each_text_once, visible_text
from bot.urgent import UrgencyDetector

CONFIRMED_OOS_SLACK = 0.1
CONFIRMED_MIN_MARGIN = 0.005  # in a dead heat of words, confirming is not enough (see below)


@dataclass(frozen=True)
class Decision:
    """What the matcher's scores mean: which entry to answer, or which to offer."""

    answer_id: str | None
    choice_ids: tuple[str, ...]
    score: float


def decide(match: MatchResult, knowledge: Knowledge) -> Decision:
    s = knowledge.settings
    if not match.candidates:
        return Decision(None, (), 0.0)
    best = match.candidates[0]
    # In a long story, a word that only the out-of-scope questions know ('botten', 'hart')
    # is more likely part of the story than the question: that check is for short messages.
    long_story = match.length >= s.long_message_words
    if match.out_of_scope >= best.score - s.out_of_scope_margin or (
        match.out_of_scope_explains and not long_story
    ):
        return Decision(None, (), best.score)
    # 'hoeveel ijzer per dag': another subject in the place of the entry's own words, and
    # the letter view does not vouch for the entry either.
    if match.substituted and not match.confirmed:
        return Decision(None, (), best.score)
    runner_up = match.candidates[1].score if len(match.candidates) > 1 else 0.0
    # A word the FAQ does not know, and that is no ordinary Dutch ('ropinirol', 'plms'), is
    # the strongest sign of a near miss: then only a very close match is answered. Unless
    # it is a detail beside the question ('magnesiumoxide van de kruidvat, is dat goed
    # spul'): both views agree on the entry, no other subject stands in the place of its
    # own words, and the questions the article does not answer fit less well.
    incidental = match.confirmed and not match.substituted and match.out_of_scope < best.score
    threshold = s.strict_threshold if match.foreign_words and not incidental else s.answer_threshold
    if best.score >= threshold and best.score - runner_up >= s.answer_margin:
        return Decision(best.entry_id, (), best.score)
    # Two independent views (words and letter patterns) agreeing is confidence too.
    if (
        match.confirmed
        and best.score - runner_up >= CONFIRMED_MIN_MARGIN
        and not match.foreign_words
        and best.score >= s.confirmed_threshold
        and match.out_of_scope < best.score + s.out_of_scope_margin + CONFIRMED_OOS_SLACK
    ):
        return Decision(best.entry_id, (), best.score)
    # A long story dilutes the words of its question ('mijn kleinzoon moest een spreekbeurt
    # houden en vroeg hoeveel magnesium je lichaam heeft...'): when both views agree on the
    # entry, no other subject stands in its place and the questions the article does not
    # answer fit less well, a lower score is enough, even beside a word the FAQ does not
    # know ('bloeddruk'); as on the path above, more than a dead heat of words will do.
    # On the development parts: four more right answers, none wrong.
    if (
        long_story
        and incidental
        and best.score >= s.long_message_threshold
        and best.score - runner_up >= CONFIRMED_MIN_MARGIN
    ):
        return Decision(best.entry_id, (), best.score)
    # The best two close together (and the best at least confirmed_threshold): the letter
    # view may choose between them (matcher.letter_choice), unless a word the FAQ does not
    # know is about or the questions the article does not answer fit as well. On the
    # development parts: five more right answers, no more wrong ones.
    if (
        match.letter_choice is not None
        and not match.foreign_words
        and match.out_of_scope < best.score
    ):
        return Decision(match.letter_choice, (), best.score)
    if best.score >= max(threshold, s.clarify_threshold) or (
        best.score >= s.clarify_threshold and not match.foreign_words
    ):
        floor = max(s.clarify_threshold, best.score - 0.2)
        choices = tuple(c.entry_id for c in match.candidates if c.score >= floor)
        return Decision(None, choices[: s.max_choices], best.score)
    return Decision(None, (), best.score)


def ordinary_messages(knowledge: Knowledge) -> tuple[str, ...]:
    """What people ask that is no emergency: every phrasing of the knowledge."""
    return (
        *(p for entry in knowledge.entries for p in entry.phrasings),
        *knowledge.out_of_scope,
        *(p for intent in knowledge.smalltalk for p in intent.phrasings),
    )


class Helpdesk:
    """Everything built from one Knowledge; immutable, so a reload simply swaps in a new one."""

    def __init__(self, knowledge: Knowledge, retention_days: int = 90) -> None:
        self.knowledge = knowledge
        with each_text_once():  # the analyzer and the matcher both read every phrasing
            self.analyzer = Analyzer(knowledge)
            self.matcher = Matcher(knowledge, self.analyzer)
            self.urgency = UrgencyDetector(
                knowledge.urgency,
                self.analyzer.vocabulary | knowledge.stopwords,
                ordinary_messages(knowledge),
            )
            self.smalltalk = SmalltalkDetector(knowledge)
        self.composer = Composer(knowledge, retention_days)

    def respond(self, message: str, now: datetime) -> Reply:
        """The reply to one message; its texts are normalised once and then forgotten."""
        with each_text_once():
            return self._respond(visible_text(message), now)

    def _respond(self, message: str, now: datetime) -> Reply:
        pattern = self.urgency.find(message)
        if pattern is not None:
            return self.composer.urgent(pattern.reply)
        intent = self.smalltalk.find(message)
        if intent is not None:
            return self.composer.smalltalk(intent)
        match = self.matcher.match(message)
        if not match.has_content:
            return self.composer.referral(now, understood=False)
        decision = decide(match, self.knowledge)
        if decision.answer_id is not None:
            entry = self.knowledge.by_id[decision.answer_id]
            return self.composer.answer(entry, now, decision.score)
        if decision.choice_ids:
            return self.composer.clarify(list(decision.choice_ids), decision.score)
        return self.composer.referral(now, decision.score)

    def answer_for(self, faq_id: str, now: datetime) -> Reply | None:
        """The answer of one entry, for a pressed button; None if the entry is gone."""
        entry = self.knowledge.by_id.get(faq_id)
        return self.composer.answer(entry, now) if entry else None


class KnowledgeError(Exception):
    def __init__(self, result: LoadResult) -> None:
        self.result = result
        super().__init__("\n".join(str(p) for p in result.errors))


def load_helpdesk(folder: Path | str = DEFAULT_KNOWLEDGE_DIR, retention_days: int = 90) -> Helpdesk:
    """Load, check and build; raises KnowledgeError with every problem when the files are wrong."""
    result = load_knowledge(folder)
    if result.knowledge is None:
        raise KnowledgeError(result)
    return Helpdesk(result.knowledge, retention_days)
