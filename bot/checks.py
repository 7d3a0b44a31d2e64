"""Checks beyond 'does it load': what makes the bot answer worse, for `python -m bot check`.

All are warnings (the knowledge still works), in Dutch for the volunteers, each at the
file:line of the entry concerned and with a hint what to do:

* phrasings of two different entries so alike that the matcher will confuse them;
* an entry without `examples`, or with fewer than three phrasings;
* an answer not reviewed for longer than settings.yaml allows (or never), or too long;
* an example that the bot does not answer with its own entry;
* an answer on supplements or treatment (`treatment: true`) without the caveat that it is
  not proven that magnesium helps against RLS, or without the doctor line;
* a hard word from knowledge/jargon.yaml in a question or answer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from rapidfuzz import fuzz, process

from bot.analyzer import Analyzer
from bot.core import Helpdesk
from bot.knowledge import Entry, Knowledge
from bot.loader import LoadResult, ReviewSettings
from bot.problems import Problem, ProblemList
from bot.replies import Outcome, Reply
from bot.text import normalise
from bot.urgent import LEARNED

MIN_PHRASINGS = 3
SIMILAR_TEXT = 92  # rapidfuzz token_sort_ratio (0-100) from which two phrasings look the same

_CONFUSED_HINT = (
    "De bot kan deze twee vragen door elkaar halen. Haal de formulering weg bij de vraag "
    "waar hij het minst bij past, of maak hem specifieker."
)


def extra_checks(
    result: LoadResult, today: date | None = None, now: datetime | None = None
) -> list[Problem]:
    """Every warning below for knowledge that loaded; nothing when it has errors."""
    knowledge = result.knowledge
    if knowledge is None:
        return []
    helpdesk = Helpdesk(knowledge)
    problems = [
        *confusable_problems(knowledge, helpdesk.analyzer),
        *entry_problems(knowledge, result.review, today or date.today()),
        *example_problems(helpdesk, now or datetime.now(UTC)),
        *urgent_phrasing_problems(helpdesk),
        *out_of_scope_phrasing_problems(helpdesk, now or datetime.now(UTC)),
        *editorial_problems(knowledge),
    ]
    # Grouped per file and entry, so a volunteer can work through them top to bottom.
    return sorted(problems, key=lambda p: (p.file, p.line or 0))


# -- (a) phrasings the matcher will confuse ---------------------------------------------------


def confusable_problems(knowledge: Knowledge, analyzer: Analyzer | None = None) -> list[Problem]:
    """Phrasings (the question counts as one) of different entries that the matcher sees as
    the same words, or that read almost the same; each pair reported once.

    Phrasings with equal words are found by grouping on their sorted stems, and reported once
    per group and pair of entries (five phrasings of one entry against one of another are one
    warning). Similar texts are compared with rapidfuzz with a cut-off, so that also thousands
    of phrasings take well under a second.
    """
    analyzer = analyzer or Analyzer(knowledge)
    # One item per distinct (entry, normalised text): a question and its own phrasing that
    # normalise the same would otherwise report every pair twice.
    items: list[tuple[Entry, str, str]] = []  # entry, text as written, normalised
    seen: set[tuple[str, str]] = set()
    for entry in knowledge.entries:
        for text in (entry.question, *entry.phrasings):
            key = normalise(text)
            if key and (entry.id, key) not in seen:
                seen.add((entry.id, key))
                items.append((entry, text, key))

    out = ProblemList()
    reported: set[tuple[int, int]] = set()  # pairs of item indices, smaller first

    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, (_, text, _) in enumerate(items):
        stems = tuple(sorted({term.stem for term in analyzer.terms(text)}))
        if stems:
            groups[stems].append(index)
    for stems, group in groups.items():
        per_entry: dict[str, list[int]] = defaultdict(list)
        for index in group:
            per_entry[items[index][0].id].append(index)
        ids = list(per_entry)  # in the order of the knowledge
        for n, first_id in enumerate(ids):
            for second_id in ids[n + 1 :]:
                a, b = per_entry[first_id], per_entry[second_id]
                reported.update((min(i, j), max(i, j)) for i in a for j in b)
                # Reported where the fewest of them are: most likely the one out of place.
                here, there = (a, b) if len(a) < len(b) else (b, a)
                entry, other = items[here[0]][0], items[there[0]][0]
                out.warning(
                    entry.file,
                    entry.line,
                    f"{_texts(items, here, 'De formulering')} bij '{entry.id}' bestaat voor de "
                    f"bot uit dezelfde woorden ({', '.join(stems)}) als "
                    f"{_texts(items, there)} bij '{other.id}' ({other.file}:{other.line}).",
                    _CONFUSED_HINT,
                )

    # token_sort_ratio is the ratio of the texts with their words sorted: sort them once.
    keys = [" ".join(sorted(key.split())) for _, _, key in items]
    for i, key in enumerate(keys):
        similar = process.extract(
            key, keys, scorer=fuzz.ratio, processor=None, score_cutoff=SIMILAR_TEXT, limit=None
        )
        for _, score, j in sorted(similar, key=lambda hit: hit[2]):
            if j <= i or (i, j) in reported or items[i][0].id == items[j][0].id:
                continue
            reported.add((i, j))
            (other, text_a, _), (entry, text_b, _) = items[i], items[j]
            out.warning(
                entry.file,
                entry.line,
                f"De formulering '{text_b}' bij '{entry.id}' lijkt voor {score:.0f}% op "
                f"'{text_a}' bij '{other.id}' ({other.file}:{other.line}).",
                _CONFUSED_HINT,
            )
    return out.items


def _texts(items: list[tuple[Entry, str, str]], indices: list[int], lead: str = "") -> str:
    """'De formulering 'x'' or ''x' (en nog 2 formuleringen)'."""
    text = f"'{items[indices[0]][1]}'"
    if len(indices) > 1:
        text += f" (en nog {len(indices) - 1} formulering{'en' if len(indices) > 2 else ''})"
    return f"{lead} {text}" if lead else text


# -- (b)-(e) one entry at a time --------------------------------------------------------------


def entry_problems(knowledge: Knowledge, review: ReviewSettings, today: date) -> list[Problem]:
    out = ProblemList()
    for e in knowledge.entries:
        if not e.examples:
            out.warning(
                e.file,
                e.line,
                f"'{e.id}' heeft geen voorbeelden ('examples').",
                "Zet onder 'examples:' een paar vragen zoals mensen ze echt stellen, in andere "
                "woorden dan bij 'phrasings'; de check kijkt dan of de bot ze goed beantwoordt.",
            )
        if len(e.phrasings) < MIN_PHRASINGS:
            out.warning(
                e.file,
                e.line,
                f"'{e.id}' heeft maar {len(e.phrasings)} formulering(en) bij 'phrasings'.",
                f"Voeg er meer toe (minstens {MIN_PHRASINGS}): korte en lange, met andere "
                "woorden, zoals mensen de vraag zouden typen.",
            )
        if e.reviewed is None:
            out.warning(
                e.file,
                e.line,
                f"Bij '{e.id}' staat niet wanneer het antwoord is nagekeken ('reviewed').",
                "Laat het antwoord nakijken en zet de datum erbij, bijvoorbeeld: "
                f"reviewed: {today.isoformat()}",
            )
        elif (today - e.reviewed).days > review.max_age_days:
            out.warning(
                e.file,
                e.line,
                f"Het antwoord van '{e.id}' is voor het laatst nagekeken op "
                f"{e.reviewed.isoformat()}, meer dan {review.max_age_days} dagen geleden.",
                "Kijk na of het antwoord nog klopt met het artikel, en zet dan de nieuwe datum "
                f"bij 'reviewed:' (bijvoorbeeld {today.isoformat()}).",
            )
        if len(e.answer) > review.max_answer_chars:
            out.warning(
                e.file,
                e.line,
                f"Het antwoord van '{e.id}' is {len(e.answer)} tekens lang; meer dan "
                f"{review.max_answer_chars} is lastig te lezen op een telefoon.",
                "Maak het antwoord korter, of verdeel het over twee vragen die naar elkaar "
                "verwijzen met 'related'.",
            )
    return out.items


# -- (f) examples must reach their own entry --------------------------------------------------


def _reached(reply: Reply) -> str:
    if reply.outcome is Outcome.ANSWER:
        what = f"het antwoord van '{reply.faq_id}'"
    elif reply.outcome is Outcome.CLARIFY:
        choices = ", ".join(f"'{s.faq_id}'" for s in reply.suggestions)
        what = f"een keuzevraag ({choices})"
    else:
        names = {
            Outcome.REFERRAL: "een doorverwijzing",
            Outcome.PARTIAL: "een doorverwijzing met wat het artikel wel zegt",
            Outcome.URGENT: "het noodbericht",
            Outcome.SMALLTALK: "een praatje",
        }
        what = names.get(reply.outcome, str(reply.outcome))
    return f"{what} (uitkomst {reply.outcome}, faq_id {reply.faq_id}, score {reply.score:.2f})"


def example_problems(helpdesk: Helpdesk, now: datetime) -> list[Problem]:
    """Each example of an entry must be answered with that entry, and nothing else. A
    partial answer that shows the entry counts too ('ik neem 500 mg, is dat te veel': no
    personal dose, and then the upper limit)."""
    out = ProblemList()
    for entry in helpdesk.knowledge.entries:
        for example in entry.examples:
            reply = helpdesk.respond(example, now)
            shown = reply.outcome in (Outcome.ANSWER, Outcome.PARTIAL)
            if shown and reply.faq_id == entry.id:
                continue
            out.warning(
                entry.file,
                entry.line,
                f"Het voorbeeld '{example}' bij '{entry.id}' krijgt niet dit antwoord, maar "
                f"{_reached(reply)}.",
                "Voeg bij 'phrasings' een formulering toe die op dit voorbeeld lijkt, of zet "
                "het voorbeeld bij de vraag waar het echt bij hoort.",
            )
    return out.items


def urgent_phrasing_problems(helpdesk: Helpdesk) -> list[Problem]:
    """A phrasing that reads as an emergency can never reach its entry: the urgent reply
    always comes first. Usually the phrasing is better left out."""
    out = ProblemList()
    for entry in helpdesk.knowledge.entries:
        for text in (entry.question, *entry.phrasings, *entry.examples):
            pattern = helpdesk.urgency.find(text)
            if pattern is None:
                continue
            if pattern.name == LEARNED:
                why = "de voorbeelden in urgent_examples/"
                fix = "Zet deze zin bij 'ordinary' in urgent_examples/ordinary.yaml."
            else:
                why = f"patroon '{pattern.text}'"
                fix = "Haal deze formulering weg, of schrijf hem zonder woorden die op nood wijzen."
            out.warning(
                entry.file,
                entry.line,
                f"'{text}' bij '{entry.id}' leest de bot als noodgeval ({why}), dus die "
                "krijgt altijd het noodbericht.",
                fix,
            )
    return out.items


def out_of_scope_phrasing_problems(helpdesk: Helpdesk, now: datetime) -> list[Problem]:
    """A phrasing that uses a word of a group in out_of_scope.yaml may not reach its entry:
    the bot says the article does not cover that subject, and does not show the entry.
    Usually a volunteer added the phrasing after the word went into the group, or the other
    way round. Only phrasings with such a word are answered, so the check stays quick."""
    out = ProblemList()
    matcher, groups = helpdesk.matcher, helpdesk.knowledge.out_of_scope_groups
    for entry in helpdesk.knowledge.entries:
        for text in (entry.question, *entry.phrasings):
            subjects = matcher.subjects(text)
            if not subjects:
                continue
            reply = helpdesk.respond(text, now)
            if reply.outcome is not Outcome.PARTIAL or reply.faq_id == entry.id:
                continue
            names = " en ".join(f"'{groups[i].subject}'" for i in subjects)
            out.warning(
                entry.file,
                entry.line,
                f"De formulering '{text}' bij '{entry.id}' gebruikt een woord van {names} in "
                "out_of_scope.yaml. Dan zegt de bot dat het artikel daar niets over zegt, en "
                "geeft hij dit antwoord niet.",
                "Gaat het artikel er wel over? Haal het woord dan weg bij die groep in "
                "out_of_scope.yaml. Anders hoort deze formulering hier niet.",
            )
    return out.items


# -- (g) what a reader must always read, and words a reader may not know -----------------------

# The article's caveat: "Toch is niet bewezen dat magnesium effectief is tegen RLS."
CAVEAT = "niet bewezen"


def editorial_problems(knowledge: Knowledge) -> list[Problem]:
    """An answer on supplements or treating RLS must say that it is not proven and carry the
    doctor line, or it reads as advice to take magnesium; hard words must be explained."""
    out = ProblemList()
    for e in knowledge.entries:
        if e.treatment and CAVEAT not in normalise(e.answer):
            out.warning(
                e.file,
                e.line,
                f"Het antwoord van '{e.id}' gaat over supplementen of behandeling "
                "('treatment: true'), maar zegt niet dat het niet bewezen is dat magnesium "
                "helpt tegen RLS.",
                "Zet er een zin bij zoals: 'Het is niet bewezen dat magnesium helpt tegen "
                "RLS.' Anders leest het als advies om magnesium te nemen tegen RLS.",
            )
        if e.treatment and not e.doctor_advice:
            out.warning(
                e.file,
                e.line,
                f"Het antwoord van '{e.id}' gaat over supplementen of behandeling "
                "('treatment: true'), maar de bot zet er niet onder dat je met je arts "
                "overlegt.",
                "Zet 'doctor_advice: true'. Schrijf die zin dan niet zelf in het antwoord: "
                "de bot zet hem eronder.",
            )
        text = f" {normalise(e.question)} {normalise(e.answer)} "
        for word, instead in knowledge.jargon:
            if word and word in text:
                out.warning(
                    e.file,
                    e.line,
                    f"In '{e.id}' staat het moeilijke woord '{word}'.",
                    f"Schrijf het in gewone woorden, bijvoorbeeld: {instead}. "
                    "(De lijst met moeilijke woorden staat in jargon.yaml.)",
                )
    return out.items
