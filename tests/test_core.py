"""The core on its own: each outcome, and the steps that make Dutch messages comparable."""

from __future__ import annotations

import dataclasses
import gc
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from bot.core import Helpdesk, load_helpdesk
from bot.crisis_model import SUICIDE
from bot.knowledge import Urgency, UrgentPattern
from bot.lexicon import compound_commonness, is_rare_dutch
from bot.matcher import _run_at
from bot.phrasing_model import leave_one_out_accuracy, training_texts
from bot.replies import Outcome
from bot.text import normalise, split_sentences
from bot.urgent import UrgencyDetector

NOON = datetime(2026, 11, 25, 11, tzinfo=UTC)  # a Wednesday, 12:00 in Amsterdam
REFERRED = (Outcome.REFERRAL, Outcome.PARTIAL)  # both give the helpline's e-mail and phone


@pytest.fixture(scope="module")
def desk() -> Helpdesk:
    return load_helpdesk()


def answered_by(desk: Helpdesk, message: str) -> str | None:
    """The entry whose answer the message gets; None for any other outcome."""
    reply = desk.respond(message, NOON)
    return reply.faq_id if reply.outcome is Outcome.ANSWER else None


def test_normalise_folds_case_accents_emoji_and_spaces() -> None:
    assert normalise("  Cafeïne!!  🙂 en   MAGNESIUM?? ") == "cafeine en magnesium"
    assert normalise("300mg") == "300 mg"
    assert normalise("heeeeelp") == "heelp"


def test_an_emoji_can_end_a_sentence(desk: Helpdesk) -> None:
    """On a phone an emoji often stands where a full stop would: the question after it is
    then read on its own, not drowned by the story before it."""
    pieces = split_sentences("die benen weer 😩 wat eet ik voor magnesium")
    assert [text.strip() for text, _ in pieces] == [
        "die benen weer 😩",
        "wat eet ik voor magnesium",
    ]
    assert (
        answered_by(desk, "ik word er gek van die benen 😩 wat moet ik eten voor magnesium")
        == "voeding-met-magnesium"
    )


def test_a_clear_question_gets_its_answer_with_source_and_related(desk: Helpdesk) -> None:
    reply = desk.respond("hoeveel magnesium heb ik per dag nodig", NOON)
    assert reply.outcome is Outcome.ANSWER
    assert reply.faq_id == "dagelijkse-hoeveelheid"
    assert "300-350 mg" in reply.text and "250-300 mg" in reply.text
    assert "Bron:" in reply.text
    assert reply.suggestions, "related questions are offered"


def test_typos_missing_accents_and_synonyms_reach_the_same_entry(desk: Helpdesk) -> None:
    for message in (
        "helpt magnesuim tegen rusteloze benen",
        "werkt magnesium bij restless legs?",
        "helpen magnesium tabletten tegen onrustige benen",
    ):
        assert answered_by(desk, message) == "helpt-magnesium-tegen-rls", message


def test_ij_and_ei_mixed_up_is_the_word_itself(desk: Helpdesk) -> None:
    """'wijnig' is 'weinig' (they sound the same), not the 'wijn' that is no subject here."""
    assert desk.analyzer.surface_words("te wijnig magnesium") == ["te", "weinig", "magnesium"]
    assert answered_by(desk, "heb ik te wijnig magnesium door mijn medicijnen") == (
        "medicijnen-en-magnesium"
    )


def test_does_magnesium_help_asks_about_rls_here(desk: Helpdesk) -> None:
    """At a helpline for RLS, 'helpt magnesium?' is the question of the helpline; the use
    of magnesium in general is asked with 'nut' or 'goed voor'."""
    for message, entry in (
        ("helpt magnesium?", "helpt-magnesium-tegen-rls"),
        ("heeft magnesium zin", "helpt-magnesium-tegen-rls"),
        ("wat is het nut van magnesium", "waar-is-magnesium-goed-voor"),
    ):
        assert answered_by(desk, message) == entry, message


def test_useful_is_helps(desk: Helpdesk) -> None:
    assert answered_by(desk, "is magnesium slikken zinvol bij rls") == "helpt-magnesium-tegen-rls"


def test_the_vereniging_is_the_foundation_and_qua_says_nothing(desk: Helpdesk) -> None:
    """Many call the foundation a (patiënten)vereniging; 'qua' after a verb's particle
    ('raadt ... aan qua') hid that particle, so 'aanraden' was not found."""
    assert answered_by(desk, "wat raadt de vereniging aan qua supplementen") == "advies-stichting"


def test_english_night_and_venting_words_are_no_subject_of_their_own(desk: Helpdesk) -> None:
    """'nacht' and 'avond' are stop words; in English 'night' and 'killing me' were counted
    as another subject, so the question itself was referred."""
    assert (
        answered_by(desk, "my legs are killing me at night, does magnesium help?")
        == "helpt-magnesium-tegen-rls"
    )
    assert desk.respond("i want to kill myself", NOON).outcome is Outcome.URGENT


def test_how_many_weeks_is_part_of_the_story_an_age_is_not(desk: Helpdesk) -> None:
    """A number of weeks, months or days says how long ('32 weken zwanger'); a number of
    years may be an age, which the article has no dose for."""
    pregnant = (
        "ik ben 32 weken zwanger en heb elke avond rusteloze benen, mag ik magnesium slikken?"
    )
    assert answered_by(desk, pregnant) == "magnesium-zwangerschap"
    for message in (
        "hoeveel magnesium mag een kind van 6 jaar",
        "mag mijn baby van 6 maanden magnesium",
    ):
        assert desk.respond(message, NOON).outcome in REFERRED, message


def test_an_age_in_the_story_around_a_question_is_part_of_the_story(desk: Helpdesk) -> None:
    """'Ik ben 79' before the question is no detail the article lacks; in the question itself
    ('een kind van 6 jaar', above) a number still is."""
    story = (
        "Ik ben 79 en heb al jaren last van mijn benen. Mijn kleinzoon heeft dit op mijn "
        "telefoon gezet. Hoe kan ik iemand van jullie spreken?"
    )
    assert answered_by(desk, story) == "contact-stichting"
    asked = "Ik heb al jaren last van mijn benen. Hoeveel magnesium mag ik nemen als ik 79 ben?"
    assert desk.respond(asked, NOON).outcome in REFERRED


def test_kalktabletten_are_calcium(desk: Helpdesk) -> None:
    assert (
        answered_by(desk, "mijn moeder neemt kalktabletten, kan ze daar magnesium bij nemen")
        == "magnesium-en-calcium"
    )


def test_another_form_of_a_synonym_is_that_synonym(desk: Helpdesk) -> None:
    """knowledge/synonyms.yaml lists 'bereiken'; people also write 'bereik'."""
    for message in ("hoe bereik ik jullie", "hoe bereik ik de stichting"):
        assert answered_by(desk, message) == "contact-stichting", message
    # 'bereikbaar' (opening hours) has the same stem; the shorter 'bereiken' is meant.
    assert desk.analyzer.content_words("hoe bereik ik jullie") == ["hoe", "contact"]


def test_a_separable_verb_is_one_word_again(desk: Helpdesk) -> None:
    """'meld ... aan' is 'aanmelden' (a synonym of 'inschrijven'), not the 'meld ... af' of
    cancelling; a preposition followed by a noun is left alone."""
    words = desk.analyzer.content_words
    assert words("hoe vul ik dat aan") == ["hoe", "aanvullen"]
    assert words("wat kan ik doen om het aan te vullen") == ["wat", "aanvullen"]
    assert "inschrijven" in words("hoe meld ik me aan")
    assert "opgenomen" in words("welke magnesium neemt je lichaam het beste op")
    assert words("sinds ik magnesium neem zit ik vaker op de wc") == [
        "magnesium",
        "neem",
        "vaker",
        "laxerend",  # 'op de wc' is a synonym, not a part of 'opnemen'
    ]
    assert answered_by(desk, "hoe meld ik me aan als lid") == "lid-worden"


def test_beste_opens_a_letter_but_further_on_it_means_best(desk: Helpdesk) -> None:
    for message, entry in (
        ("Beste, wat is magnesium?", "wat-is-magnesium"),
        ("beste meneer, helpt magnesium tegen rls", "helpt-magnesium-tegen-rls"),
        ("wat is de beste magnesium", "welk-supplement"),
    ):
        assert answered_by(desk, message) == entry, message


def test_a_compound_of_ordinary_words_is_ordinary_not_another_subject(desk: Helpdesk) -> None:
    """'noodgeval' is missing from the Dutch word list, but 'nood' and 'geval' are not; a
    medicine's or a person's name is no such compound."""
    assert (
        answered_by(desk, "echt een noodgeval, waar vind ik een arts die rls kent")
        == "arts-of-specialist-vinden"
    )
    assert compound_commonness("noodgeval") > 0
    assert compound_commonness("ropinirol") == compound_commonness("verhoeckx") == 0
    # A short tail counts only when it is a very common word: 'gek' is, 'vat' is not.
    assert compound_commonness("stapelgek") > 0
    assert compound_commonness("kruidvat") == 0


def test_a_knowledge_word_kept_by_no_phrasing_weighs_as_ordinary_dutch(desk: Helpdesk) -> None:
    """'pas' is in an answer only as part of 'pas ze niet aan' (aanpassen): in a message it
    is the everyday 'pas' ('ik slik pas een week magnesium'), not a word of another subject."""
    (term,) = desk.analyzer.terms("pas")
    assert term.known
    assert desk.matcher.weight(term) < 1.0 < desk.knowledge.settings.unknown_word_weight


def test_compounds_are_split_like_the_knowledge(desk: Helpdesk) -> None:
    words = desk.analyzer.surface_words("magnesiumcarbonaat")
    assert "magnesium" in words and "carbonaat" in words


def test_ordinary_words_are_not_repaired_into_knowledge_words(desk: Helpdesk) -> None:
    assert desk.analyzer.surface_words("zwager") == ["zwager"]
    assert desk.analyzer.surface_words("magnesuim") == ["magnesium"]


def test_mag_is_magnesium_unless_a_person_stands_beside_it(desk: Helpdesk) -> None:
    assert "magnesium" in desk.analyzer.content_words("werkt mag bij rls")
    assert "magnesium" not in desk.analyzer.content_words("mag ik dat")


def test_a_near_miss_is_referred_not_answered(desk: Helpdesk) -> None:
    for message in (
        "helpt magnesium bij hoofdpijn?",
        "waar koop ik magnesium het goedkoopst?",
        "mag ik magnesium naast mijn slaapmedicatie?",
        "hoeveel magnesium moet mijn zoon van 6 nemen?",
        "mag ik ropinirol en magnesium samen",
    ):
        reply = desk.respond(message, NOON)
        assert reply.outcome in REFERRED, message
        assert "0900-7574636" in reply.text
        assert "vanavond om 19:00" in reply.text


def test_the_pharmacys_opening_hours_are_not_the_helplines(desk: Helpdesk) -> None:
    """'apotheek' is a word only the questions the article does not answer use: the bot
    refers instead of giving the foundation's opening hours for the pharmacy's."""
    asked = desk.respond("hoe laat gaat de apotheek open op zaterdag", NOON)
    assert asked.outcome is Outcome.REFERRAL
    assert answered_by(desk, "hoe laat zijn jullie open op woensdag") == "contact-stichting"


def test_cancelling_a_membership_is_not_joining(desk: Helpdesk) -> None:
    """The article says how to become a member, not how to stop; 'zeg ... op' is opzeggen."""
    for message in ("hoe zeg ik mijn lidmaatschap op", "kan ik mijn lidmaatschap opzeggen"):
        assert desk.respond(message, NOON).outcome in REFERRED, message
    assert answered_by(desk, "hoe meld ik me aan als lid") == "lid-worden"


def test_a_shop_beside_the_question_does_not_block_the_answer(desk: Helpdesk) -> None:
    """A name the bot does not know is a detail when both views agree on the entry and
    the questions the article does not answer fit less well; alone with a price or a
    shop question it still leads to a referral, or to the plain word that the article says
    nothing of the cost."""
    assert (
        answered_by(desk, "mijn magnesiumoxide komt van de kruidvat, is dat goed spul?")
        == "anorganische-supplementen"
    )
    assert desk.respond("magnesium van de lidl?", NOON).outcome is Outcome.REFERRAL
    price = desk.respond("wat kost magnesiumcitraat bij het kruidvat", NOON)
    assert price.outcome is Outcome.PARTIAL and "Over de kosten staat niets" in price.text
    assert answered_by(desk, "wat kost het lidmaatschap") == "lid-worden"  # that the article gives


def test_a_long_story_around_a_known_question_is_answered(desk: Helpdesk) -> None:
    """The story's words ('hart', 'bloeddruk') dilute the question's; when both views agree
    on the entry, the lower score for long messages is enough. A long message about
    something else is still referred."""
    story = (
        "mijn man slikt al jaren een hele zak pillen voor zijn hart en bloeddruk, en gisteren "
        "las hij in de krant dat medicijnen je magnesium kunnen verlagen. mag hij daar zelf "
        "iets in veranderen?"
    )
    assert answered_by(desk, story) == "medicijnen-en-magnesium"
    elsewhere = (
        "ik ben 70 en slik al jaren bloeddrukpillen en nu heb ik ook rusteloze benen "
        "gekregen, mag ik daarnaast ook melatonine nemen om te slapen?"
    )
    assert desk.respond(elsewhere, NOON).outcome in REFERRED


def test_an_empty_or_meaningless_message_asks_to_rephrase(desk: Helpdesk) -> None:
    for message in ("", "   ", "???", "👍👍"):
        reply = desk.respond(message, NOON)
        assert reply.outcome in (Outcome.REFERRAL, Outcome.SMALLTALK), message
        assert reply.text.strip()


def test_urgent_comes_before_anything_else(desk: Helpdesk) -> None:
    reply = desk.respond("hoeveel magnesium per dag? ik wil er eigenlijk niet meer zijn", NOON)
    assert reply.outcome is Outcome.URGENT
    assert "bel 113 of gratis 0800-0113" in reply.text.lower() and "112" in reply.text


def test_thoughts_of_suicide_get_113_first_and_bodily_danger_112_and_the_gp(
    desk: Helpdesk,
) -> None:
    suicide = desk.respond("ik denk steeds vaker aan zelfmoord", NOON).text
    assert suicide.lower().index("0800-0113") < suicide.index("112")
    assert "113.nl" in suicide
    acute = desk.respond("mijn man heeft hevige pijn op de borst en is benauwd", NOON).text
    assert acute.index("112") < acute.index("0800-0113")
    for when in ("'s avonds", "'s nachts", "weekend", "feestdagen", "huisartsenpost"):
        assert when in acute.lower(), when


def test_a_thought_of_suicide_taken_back_gets_its_answer_with_113_below(desk: Helpdesk) -> None:
    reply = desk.respond("ik wil niet meer leven, grapje hoor. hoeveel magnesium per dag?", NOON)
    assert (reply.outcome, reply.faq_id) == (Outcome.ANSWER, "dagelijkse-hoeveelheid")
    assert reply.care_note and reply.text.endswith(desk.composer.message("care_note"))
    assert "0800-0113" in reply.text


def test_a_plain_question_gets_no_care_note(desk: Helpdesk) -> None:
    reply = desk.respond("hoeveel magnesium heb ik per dag nodig", NOON)
    assert reply.outcome is Outcome.ANSWER and not reply.care_note
    assert "113" not in reply.text


def test_the_care_note_lies_below_the_alarm_and_reaches_more_examples(desk: Helpdesk) -> None:
    model = desk.urgency.model
    assert model is not None
    assert model.care_threshold <= model.thresholds["urgent_suicide"]
    assert model.left_out_care_recall > model.left_out_recall["urgent_suicide"]


def test_suicide_anywhere_in_a_message_wins_over_bodily_danger(desk: Helpdesk) -> None:
    reply = desk.respond("ik heb pijn op de borst. eigenlijk wil ik gewoon dood", NOON)
    assert reply.text == desk.composer.message("urgent_suicide")


@pytest.mark.parametrize("invisible", ["\u00ad", "\u200b", "\u200d", "\u2060", "\ufeff", "\u202e"])
def test_invisible_characters_hide_nothing(desk: Helpdesk, invisible: str) -> None:
    """A soft hyphen or zero-width space is invisible on a phone, but split the word."""
    urgent = desk.respond(f"ik denk aan zelf{invisible}moord", NOON)
    assert urgent.outcome is Outcome.URGENT and "0800-0113" in urgent.text
    assert desk.respond(f"niet meer le{invisible}ven willen", NOON).outcome is Outcome.URGENT
    answer = desk.respond(f"wat is magne{invisible}sium", NOON)
    assert answer.faq_id == "wat-is-magnesium"


def test_compatibility_forms_are_folded(desk: Helpdesk) -> None:
    """Full-width letters (some phone keyboards) read as plain ones."""
    assert desk.respond("ｉｋ ｗｉｌ ｄｏｏｄ", NOON).outcome is Outcome.URGENT


def test_a_broken_urgent_text_still_gives_112_and_113() -> None:
    """The built-in text steps in should the urgent text ever fail to fill in."""
    from bot.replies import URGENT_FALLBACK

    desk = load_helpdesk()
    desk.composer.messages = {**desk.composer.messages, "urgent": "Bel {telefoon}}{"}
    reply = desk.respond("ik heb 40 tabletten geslikt", NOON)
    assert reply.outcome is Outcome.URGENT and reply.text == URGENT_FALLBACK
    assert "112" in reply.text and "0800-0113" in reply.text and "huisartsenpost" in reply.text


def test_smalltalk(desk: Helpdesk) -> None:
    for message in ("hoi", "dank je wel!", "ben je een robot?", "wie ben jij"):
        assert desk.respond(message, NOON).outcome is Outcome.SMALLTALK, message
    assert "Stichting Restless Legs" in desk.respond("wie ben jij", NOON).text


def test_a_question_told_in_one_breath_is_found_after_its_cue(desk: Helpdesk) -> None:
    """No full stop, no question mark: 'ik wil graag weten of' (stopwords.yaml's
    question_cues) says where the question starts. Without the cues (and without the phrasing
    model, which reads the whole story) the story drowns it."""
    story = (
        "we zitten hier al de hele avond met de hele familie aan tafel te praten over mijn "
        "onrustige benen en mijn schoonzoon zegt dat je dat aan je bloed kan zien en ik wil "
        "graag weten of je magnesium kan laten meten bij de huisarts want dan weet ik waar ik "
        "aan toe ben"
    )
    reply = desk.respond(story, NOON)
    assert (reply.outcome, reply.faq_id) == (Outcome.ANSWER, "magnesium-meten")
    without_cues = Helpdesk(
        dataclasses.replace(desk.knowledge, question_cues=()), without_rules=frozenset({"learned"})
    )
    assert without_cues.respond(story, NOON).outcome is not Outcome.ANSWER


@pytest.mark.parametrize(
    ("message", "entry"),
    [
        (
            "always exhausted lately, does magnesium help tegen vermoeidheid?",
            "magnesium-vermoeidheid",
        ),
        (
            "honestly I keep hearing about it everywhere, is magnesium good for cramps in je "
            "kuiten?",
            "spierkrampen",
        ),
        ("my wife keeps nagging about it, which magnesium supplement is best?", "welk-supplement"),
        ("she barely sleeps anymore, wat zijn tekenen van een magnesiumtekort?", "tekenen-tekort"),
    ],
)
def test_everyday_english_mixed_in_is_part_of_the_story(
    desk: Helpdesk, message: str, entry: str
) -> None:
    """'lately', 'honestly', 'nagging' are no subjects the FAQ lacks (lexicon.english_commonness):
    they neither raise the bar for an answer nor drown the question's own words."""
    reply = desk.respond(message, NOON)
    assert (reply.outcome, reply.faq_id) == (Outcome.ANSWER, entry)


def test_rare_everyday_dutch_is_part_of_the_story_not_a_subject(desk: Helpdesk) -> None:
    """'logeerkamer', 'mantelzorger' and 'goeiendag' are missing from the small word list,
    but they are Dutch people write (lexicon.is_rare_dutch), not a subject the FAQ lacks;
    a typo or a medicine's name still is no Dutch."""
    message = (
        "goeiendag, ik ben mantelzorger voor mijn man, hij slaapt in de logeerkamer door zijn "
        "benen. wat zijn tekenen van een magnesiumtekort?"
    )
    match = desk.matcher.match(message)
    assert match.foreign_words == ()
    assert (desk.respond(message, NOON).faq_id) == "tekenen-tekort"
    assert not any(is_rare_dutch(w) for w in ("magnesuim", "ropinirol", "pramipexol"))


def test_three_close_entries_are_a_choice_not_a_guess_of_the_letters(desk: Helpdesk) -> None:
    """'hoe kan het dat' leaves only 'magnesiumtekort', and four entries are about it."""
    reply = desk.respond("hoe kan het dat ik een magnesiumtekort heb", NOON)
    assert reply.outcome is Outcome.CLARIFY
    assert "oorzaken-tekort" in [s.faq_id for s in reply.suggestions]


def test_clarify_offers_at_most_three_choices(desk: Helpdesk) -> None:
    found = None
    for message in (
        "hoe kan het dat ik een magnesiumtekort heb",
        "magnesium tekort",
        "magnesium pillen",
    ):
        reply = desk.respond(message, NOON)
        if reply.outcome is Outcome.CLARIFY:
            found = reply
            break
    assert found is not None, "one of these short, open messages should get choices"
    assert 2 <= len(found.suggestions) <= desk.knowledge.settings.max_choices
    assert len({s.faq_id for s in found.suggestions}) == len(found.suggestions)


def test_a_chosen_suggestion_gives_that_answer(desk: Helpdesk) -> None:
    reply = desk.answer_for("lid-worden", NOON)
    assert reply is not None and reply.faq_id == "lid-worden"
    assert "€ 25" in reply.text and "De Nachtwacht" in reply.text
    assert desk.answer_for("bestaat-niet", NOON) is None


def test_contact_answer_fills_in_the_helpline_and_its_state(desk: Helpdesk) -> None:
    reply = desk.answer_for("contact-stichting", NOON)
    assert reply is not None
    assert "ervaringsdeskundige@stichting-restless-legs.nl" in reply.text
    assert "0900-7574636" in reply.text and "{" not in reply.text


def test_every_answer_keeps_the_doctor_line_where_the_entry_asks_for_it(desk: Helpdesk) -> None:
    line = desk.composer.message("doctor_advice")
    for entry in desk.knowledge.entries:
        reply = desk.answer_for(entry.id, NOON)
        assert (line in reply.text) == entry.doctor_advice, entry.id


PROBES = yaml.safe_load((Path(__file__).parent / "data" / "urgent_probes.yaml").read_text("utf-8"))


@pytest.mark.parametrize("message", PROBES["urgent"])
def test_an_emergency_in_its_many_forms_is_urgent(desk: Helpdesk, message: str) -> None:
    assert desk.respond(message, NOON).outcome is Outcome.URGENT


@pytest.mark.parametrize("message", PROBES["ordinary"])
def test_dramatic_words_in_an_ordinary_question_are_no_alarm(desk: Helpdesk, message: str) -> None:
    assert desk.respond(message, NOON).outcome is not Outcome.URGENT


def detector_of(*patterns: UrgentPattern) -> UrgencyDetector:
    """A detector with these patterns only: no calm groups, no learned view."""
    return UrgencyDetector(Urgency(patterns, frozenset(), window=22))


def test_a_pattern_of_scope_bericht_holds_across_neighbouring_sentences() -> None:
    """'Ik heb 20 tabletten genomen. Niet per ongeluk.': the words of a group with scope
    'bericht' may stand in sentences next to each other, but still within the window."""
    terms = (("niet_per_ongeluk",), ("genomen",))
    across = UrgentPattern("over", terms, "niet_per_ongeluk genomen", SUICIDE, True)
    within = UrgentPattern("zin", terms, "niet_per_ongeluk genomen", SUICIDE, False)

    def found(pattern: UrgentPattern, message: str) -> bool:
        return detector_of(pattern).find(message) is not None

    message = "Ik heb zojuist 20 tabletten genomen. Niet per ongeluk."
    assert found(across, message)
    assert not found(within, message)
    assert not found(across, "Ik heb het genomen. " + "en toen " * 15 + ". Niet per ongeluk.")


def test_the_first_half_of_a_pair_of_compounds_is_no_word_of_its_own() -> None:
    """'dood- en doodmoe' is 'doodmoe' twice over, not 'dood'; 'dood' alone still counts."""
    pattern = UrgentPattern("dood-willen", (("dood",), ("wil",)), "dood wil", SUICIDE, False)
    detector = detector_of(pattern)
    assert detector.find("Ik ben dood- en doodmoe, maar ik wil alleen iets weten.") is None
    assert detector.find("Ik ben doodmoe, ik wil dood.") is not None


def test_an_ellipsis_before_small_letters_does_not_end_the_sentence(desk: Helpdesk) -> None:
    """'ik kan niet meer... stilzitten in de bus' goes on; 'ik kan niet meer...' ends."""
    going_on = "Ik kan niet meer... stilzitten in de bus zonder kriebels. Wat helpt?"
    assert desk.respond(going_on, NOON).outcome is not Outcome.URGENT
    for ending in ("Ik kan niet meer... Ik ben zo moe.", "ik kan niet meer..."):
        assert desk.respond(ending, NOON).outcome is Outcome.URGENT, ending


def test_a_word_the_knowledge_names_as_a_subject_is_no_sign_of_crisis(desk: Helpdesk) -> None:
    """'magnesiumglycinaat' stood in one emergency example and in no phrasing; the knowledge's
    own words for its subjects (synonyms, out-of-scope groups) count as ordinary."""
    assert "magnesiumglycinaat" in {w for g in desk.knowledge.out_of_scope_groups for w in g.words}
    assert desk.respond("is magnesiumglycinaat goed", NOON).outcome is not Outcome.URGENT


def test_the_dutch_word_list_is_read_as_wordfreq_reads_it() -> None:
    """bot/lexicon.py reads wordfreq's data file itself, to skip importing its tokenisers."""
    from wordfreq import get_frequency_list

    from bot.lexicon import frequency_buckets

    assert frequency_buckets() == get_frequency_list("nl", wordlist="small")
    # ...and a slice of the large list, read one bucket at a time, as wordfreq has it
    large = get_frequency_list("nl", wordlist="large")
    assert frequency_buckets("nl", "large", 600, 700) == large[600:701]


def _kept_as_key(text: str, desk: Helpdesk) -> bool:
    """Is ``text`` a key of any dictionary (a cache, say) that the helpdesk or the bot's
    modules hold, however deep? Walked by reference, so dictionaries the garbage collector
    does not track are seen too; other modules and classes are not entered."""
    roots = [desk, *(m for name, m in sys.modules.items() if name.split(".")[0] == "bot")]
    seen = {id(root) for root in roots}
    todo = [vars(root) if isinstance(root, ModuleType) else root for root in roots]
    for _ in range(5_000_000):  # bounded: the helpdesk holds some 100,000 objects
        if not todo:
            return False
        obj = todo.pop()
        if isinstance(obj, dict) and dict.__contains__(obj, text):
            return True
        for ref in gc.get_referents(obj):
            if id(ref) not in seen and not isinstance(ref, ModuleType | type):
                seen.add(id(ref))
                todo.append(ref)
    raise AssertionError("the walk did not end")


def test_what_people_write_is_not_kept_in_memory_after_the_reply(desk: Helpdesk) -> None:
    """A health message, a name or a medicine stays only as long as the reply takes. Words
    of the knowledge and of ordinary Dutch may be remembered; they say nothing of anyone.
    (Built at run time, so the test's own constants do not hold them.)"""
    name, medicine = "verhoe" + "ckxstra", "zorbani" + "tolex"
    message = f"mijn buurman {name} slikt {medicine}, helpt magnesium bij zijn benen?"
    assert desk.respond(message, NOON).outcome is not Outcome.URGENT
    assert not _kept_as_key(message, desk)
    assert not _kept_as_key(name, desk) and not _kept_as_key(medicine, desk)
    assert _kept_as_key("buurman", desk) and _kept_as_key("slikt", desk)


def test_the_learned_view_explains_its_alarm_in_words(desk: Helpdesk) -> None:
    model = desk.urgency.model
    assert model is not None
    message = "Laat maar. Ik ga slapen. Voor altijd hopelijk."
    assert model.find(message) == "urgent_suicide"
    words = [feature for feature, weight in model.explain(message) if weight > 0]
    assert any("altijd" in w or "slap" in w for w in words), words


def test_the_learned_view_does_not_judge_a_message_of_a_word_or_two(desk: Helpdesk) -> None:
    """One rare word seen in a single crisis example would decide a short message alone:
    below MIN_KNOWN_FEATURES known features the learned view is silent, and a longer message
    with the same words is still judged."""
    from bot.crisis_model import MIN_KNOWN_FEATURES, features

    model = desk.urgency.model
    assert model is not None
    short = "emailadres aub"
    known = [f for f in features(short) if model.weight(SUICIDE, f) is not None]
    assert 0 < len(known) < MIN_KNOWN_FEATURES
    assert model.scores(short) == {SUICIDE: 0.0, "urgent": 0.0}
    assert desk.respond(short, NOON).outcome is not Outcome.URGENT
    longer = "ik wil niet meer leven, niet bellen aub"
    assert model.scores(longer)[SUICIDE] > 0


def test_a_reload_trains_the_learned_view_again_only_when_what_it_learns_from_changed(
    desk: Helpdesk,
) -> None:
    """A new answer text keeps the model; a new example trains it again."""
    knowledge = desk.knowledge
    first, *rest = knowledge.entries
    reworded = dataclasses.replace(
        knowledge, entries=(dataclasses.replace(first, answer="Een ander antwoord."), *rest)
    )
    before = Helpdesk(knowledge).urgency.model
    assert Helpdesk(reworded).urgency.model is before
    urgency = knowledge.urgency
    examples = {**urgency.examples, "ordinary": (*urgency.examples["ordinary"], "nieuw")}
    more = dataclasses.replace(knowledge, urgency=dataclasses.replace(urgency, examples=examples))
    assert Helpdesk(more).urgency.model is not before


def test_the_learned_view_lets_through_at_most_its_share_of_heavy_ordinary_examples(
    desk: Helpdesk,
) -> None:
    """Thresholds are fit so that, each scored as if left out of training, at most
    false_alarms of the ordinary examples with heavy words would raise an alarm of either kind."""
    model = desk.urgency.model
    assert model is not None
    assert 0 < model.left_out_alarms <= desk.knowledge.urgency.model.false_alarms


def test_the_learned_views_smoothing_is_the_one_its_fit_chooses(desk: Helpdesk) -> None:
    """urgent.yaml's smoothing is (within a point of) the best of benchmarks/urgent.py --fit's
    grid: the one at which most examples, each left out of training, would still raise their
    alarm. New examples may move the best; the check says when to fit it again."""
    from benchmarks.urgent import models_by_smoothing

    urgency = desk.knowledge.urgency
    models = models_by_smoothing(desk.knowledge)
    recall = {s: sum(model.left_out_recall.values()) for s, model in models.items()}
    assert urgency.model.smoothing in recall
    assert recall[urgency.model.smoothing] >= max(recall.values()) - 0.01
    assert all(0.5 < share <= 1 for share in desk.urgency.model.left_out_recall.values())


def test_the_phrasing_models_smoothing_is_the_one_its_fit_chooses(desk: Helpdesk) -> None:
    """settings.yaml's learned_smoothing is (within a point of) the best of benchmarks/
    matcher.py --fit-learned: the one at which most phrasings, each left out of training, are
    still given to their own entry."""
    from benchmarks.matcher import LEARNED_SMOOTHINGS

    texts = training_texts(desk.knowledge)
    accuracy = {s: leave_one_out_accuracy(texts, s) for s in LEARNED_SMOOTHINGS}
    chosen = desk.knowledge.settings.learned_smoothing
    assert chosen in accuracy
    assert accuracy[chosen] >= max(accuracy.values()) - 0.01
    assert accuracy[chosen] > 0.5


def test_in_a_long_story_the_phrasing_model_confirms_the_word_views_entry(desk: Helpdesk) -> None:
    """A story told in one breath, without the cue that says where its question starts: the
    word view's best entry scores too low on its own, the phrasing model picks the same entry,
    and that agreement answers it. Without the phrasing model it would be referred."""
    story = (
        "we zitten hier al de hele avond met de hele familie aan tafel te praten over mijn "
        "onrustige benen en mijn schoonzoon zegt dat je dat aan je bloed kan zien en ik wil "
        "graag weten of je magnesium kan laten meten bij de huisarts want dan weet ik waar ik "
        "aan toe ben"
    )
    no_cues = dataclasses.replace(desk.knowledge, question_cues=())
    match = Helpdesk(no_cues).matcher.match(story)
    assert match.learned_choice == "magnesium-meten" == match.candidates[0].entry_id
    assert not match.confirmed  # the letter view does not confirm it
    assert Helpdesk(no_cues).respond(story, NOON).faq_id == "magnesium-meten"
    without = Helpdesk(no_cues, without_rules=frozenset({"learned"}))
    assert without.respond(story, NOON).outcome is not Outcome.ANSWER
    # A question the article does not answer is no entry's.
    assert desk.matcher.learned.best("wat kost een lidmaatschap voor mijn hond") is None


def test_words_far_apart_in_a_message_without_stops_say_nothing_together(
    desk: Helpdesk,
) -> None:
    """A message spoken in has no full stops: 'mis me' and 'weg' twenty words apart are no
    'niemand mist me als ik weg ben', but close together they still are."""
    filler = " ".join(["en dan loop ik weer door de kamer"] * 3)
    far = f"ik mis me man nog elke dag {filler} dus zijn oude potje gooi ik maar weg"
    assert len(far.split()) > desk.knowledge.urgency.window + 5
    assert not any(
        p.name == "zelfdoding" for p in desk.urgency._matches(desk.urgency._sentences(far))
    )
    assert desk.respond("niemand mist me als ik weg ben", NOON).outcome is Outcome.URGENT


def test_a_story_that_turned_out_well_is_no_alarm_unless_it_is_wrong_again_now(
    desk: Helpdesk,
) -> None:
    story = (
        "Vorige maand had mijn man ineens pijn op de borst. De ambulance kwam. "
        "Het bleek een paniekaanval. Mag hij magnesium?"
    )
    assert desk.respond(story, NOON).outcome is not Outcome.URGENT
    again = story.replace("Mag hij magnesium?", "Nu heb ik zelf pijn op de borst.")
    assert desk.respond(again, NOON).outcome is Outcome.URGENT


# The messages the emergency detection was found to get wrong (issue of the crisis work).
ISSUE_EMERGENCIES = {
    "als ik morgen niet meer wakker word, is het ook goed. daar denk ik steeds vaker aan": SUICIDE,
    "ik heb er met een mes in gesneden om het te laten stoppen. het bloedt behoorlijk": SUICIDE,
}
ISSUE_FALSE_ALARMS = (
    "vandaag een overdosis koffie gehad lol",
    "ik val bijna flauw als ik een naald zie",
    "mijn zus had vorig jaar een zware epileptische aanval, mag zij magnesium",
)


@pytest.mark.parametrize("message", ISSUE_EMERGENCIES)
def test_the_emergencies_once_missed_get_113(desk: Helpdesk, message: str) -> None:
    reply = desk.respond(message, NOON)
    assert reply.outcome is Outcome.URGENT
    assert reply.text == desk.composer.message(ISSUE_EMERGENCIES[message])


@pytest.mark.parametrize("message", ISSUE_FALSE_ALARMS)
def test_the_false_alarms_once_raised_are_ordinary_questions(desk: Helpdesk, message: str) -> None:
    assert desk.respond(message, NOON).outcome is not Outcome.URGENT


def test_asking_how_much_is_deadly_gets_113_first(desk: Helpdesk) -> None:
    reply = desk.respond("hoeveel slaappillen zijn dodelijk", NOON)
    assert reply.outcome is Outcome.URGENT
    assert reply.text == desk.composer.message("urgent_suicide")


def test_a_volunteer_teaches_the_learned_view_a_new_way_of_saying_it(tmp_path: Path) -> None:
    import shutil

    from bot.loader import DEFAULT_KNOWLEDGE_DIR

    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    # A made-up phrase: in no example yet, so only what the volunteer adds can teach it.
    message = "tijd voor de grote zorblat"
    assert load_helpdesk(folder).respond(message, NOON).outcome is not Outcome.URGENT
    path = folder / "urgent_examples" / "urgent_suicide.yaml"
    new = [
        "ik maak binnenkort de grote zorblat",
        "de grote zorblat, daar ben ik klaar voor",
        "ik wil de grote zorblat, weg van alles",
        "vannacht begin ik aan de grote zorblat",
        "ik heb besloten: de grote zorblat",
    ]
    text = path.read_text(encoding="utf-8").replace(
        "urgent_suicide:\n", "urgent_suicide:\n" + "".join(f'  - "{t}"\n' for t in new), 1
    )
    path.write_text(text, encoding="utf-8")
    reply = load_helpdesk(folder).respond(message, NOON)
    assert reply.outcome is Outcome.URGENT and "0800-0113" in reply.text


def test_a_subject_the_article_does_not_cover_is_named_beside_what_it_does_say(
    desk: Helpdesk,
) -> None:
    """'kan alcohol een tekort veroorzaken' is no question about the causes of a deficiency:
    the bot says it knows nothing about alcohol, refers, and then shows the causes it knows."""
    reply = desk.respond("kan alcohol drinken een magnesiumtekort veroorzaken?", NOON)
    assert reply.outcome is Outcome.PARTIAL
    assert reply.text.startswith("Over alcohol staat niets in mijn informatie")
    assert "ervaringsdeskundige@stichting-restless-legs.nl" in reply.text
    assert "0900-7574636" in reply.text
    assert reply.faq_id == "oorzaken-tekort"
    assert desk.knowledge.by_id["oorzaken-tekort"].source in reply.text
    breastfeeding = desk.respond("mag ik magnesium slikken als ik borstvoeding geef", NOON)
    assert breastfeeding.outcome is Outcome.PARTIAL
    assert breastfeeding.text.startswith("Over borstvoeding staat niets")


def test_whether_rls_becomes_parkinson_is_said_to_be_beyond_the_article(desk: Helpdesk) -> None:
    """The article says RLS and Parkinson are often confused, not whether one leads to the
    other: the bot says so, refers, and then shows what the article does say."""
    reply = desk.respond("krijg ik later parkinson omdat ik rls heb?", NOON)
    assert reply.outcome is Outcome.PARTIAL
    assert reply.text.startswith("Over de kans dat RLS later Parkinson wordt staat niets")
    assert reply.faq_id == "rls-en-parkinson"
    assert desk.respond("is er een verband tussen rls en parkinson", NOON).outcome is Outcome.ANSWER


def test_a_personal_dose_is_never_given_as_bare_numbers(desk: Helpdesk) -> None:
    """Weight, age or one's own tablets: the article has no personal dose, so the bot says
    so and sends the person to their doctor first, whatever figures it shows after."""
    for message in (
        "ik ben 70 en weeg 80 kilo, hoeveel tabletten van 250 mg moet ik nemen",
        "ik neem 500 mg, is dat te veel",
        "ik heb rls, hoeveel magnesium moet ik slikken",
        # 'moet ik ... nemen' in out_of_scope.yaml: words may stand between.
        "hoeveel milligram moet ik dan per dag nemen",
        "hoeveel mg magnesium moet ik nou precies nemen",
    ):
        reply = desk.respond(message, NOON)
        assert reply.outcome is Outcome.PARTIAL, message
        assert reply.text.startswith("Het artikel geeft geen persoonlijke dosis"), message
        assert "arts" in reply.text.split("\n")[0], message
    assert answered_by(desk, "hoeveel mg magnesium heeft een vrouw per dag nodig") == (
        "dagelijkse-hoeveelheid"
    )


def test_the_dots_in_a_subjects_words_stand_for_at_most_three_words() -> None:
    run = ("moet", "ik", "...", "nemen")
    assert _run_at(["moet", "ik", "nemen"], 0, run) == [0, 1, 2]
    assert _run_at(["moet", "ik", "dan", "per", "dag", "nemen"], 0, run) == [0, 1, 5]
    assert _run_at(["moet", "ik", "dan", "elke", "dag", "echt", "nemen"], 0, run) == []


def test_beside_another_subject_the_entry_is_not_shown(desk: Helpdesk) -> None:
    """'de bovengrens voor ijzer' does not ask for the upper limit of magnesium: no entry
    is shown, though the rest of the message would reach it."""
    reply = desk.respond("wat is de bovengrens voor ijzer per dag", NOON)
    assert reply.outcome is Outcome.PARTIAL
    assert reply.faq_id is None and "400 mg" not in reply.text


def test_a_subject_in_the_story_is_not_the_question(desk: Helpdesk) -> None:
    """Only the asking sentence names the subject: iron in the story around a question
    about measuring magnesium does not turn it into a question about iron."""
    story = (
        "Mijn huisarts deed laatst bloedonderzoek voor mijn ijzer. "
        "Kan ik mijn magnesium ook laten meten?"
    )
    assert answered_by(desk, story) == "magnesium-meten"


@pytest.mark.parametrize(
    ("message", "entry"),
    [
        ("is spinazie goed voor je magnesium", "voeding-met-magnesium"),
        ("zit er magnesium in volkorenbrood en havermout", "voeding-met-magnesium"),
        ("eet ik genoeg magnesium als ik veel boerenkool en walnoten eet", "voeding-met-magnesium"),
        (
            "ik heb slapende voeten en prikkende tenen, kan dat door te weinig magnesium komen",
            "tekenen-tekort",
        ),
        (
            "mijn nek en schouders zitten vast, kan dat door te weinig magnesium komen",
            "tekenen-tekort",
        ),
        ("ik kan me niet focussen, helpt magnesium daarbij", "waar-is-magnesium-goed-voor"),
        ("ik vergeet alles de laatste tijd, kan magnesium helpen", "waar-is-magnesium-goed-voor"),
        (
            "ik heb het altijd koud, heeft magnesium daar iets mee te maken",
            "waar-is-magnesium-goed-voor",
        ),
        ("ik drink 6 koppen koffie per dag, kan dat mijn magnesium verlagen", "oorzaken-tekort"),
        ("na een week overgeven en buikloop, kan ik magnesium tekort hebben", "oorzaken-tekort"),
    ],
)
def test_everyday_words_reach_the_articles_concepts(
    desk: Helpdesk, message: str, entry: str
) -> None:
    """Foods by name, what people feel and everyday words for what magnesium does are the
    article's own concepts (synonyms.yaml): spinach is a green vegetable, a stiff neck is
    tense muscles, always being cold is the body's temperature."""
    assert answered_by(desk, message) == entry


def test_a_named_medicine_is_read_as_a_medicine_for_the_rest_of_the_question(
    desk: Helpdesk,
) -> None:
    """The article says nothing about 'plaspillen', but it does say medicines are the most
    common cause of a deficiency: the group's 'instead' word lets the rest reach that."""
    reply = desk.respond("kan mijn plaspil ervoor zorgen dat ik te weinig magnesium heb", NOON)
    assert reply.outcome is Outcome.PARTIAL
    assert reply.text.startswith("Over dat medicijn staat niets in mijn informatie")
    assert reply.faq_id == "medicijnen-en-magnesium"


def test_an_out_of_scope_question_about_a_subject_the_message_does_not_name_counts_less(
    desk: Helpdesk,
) -> None:
    """'helpt ijzer ook tegen de kriebels' fits 'helpt magnesium ook tegen de kriebels' on
    every word but 'ijzer': without it, that near miss counts other_subject_weight as much,
    and the question the FAQ answers wins; with it, the near miss counts in full."""
    settings = dataclasses.replace(desk.knowledge.settings, other_subject_weight=1.0)
    in_full = Helpdesk(dataclasses.replace(desk.knowledge, settings=settings))
    message = "helpt magnesium ook tegen de kriebels in mijn benen"
    assert desk.matcher.match(message).out_of_scope < in_full.matcher.match(message).out_of_scope
    assert desk.respond(message, NOON).faq_id == "helpt-magnesium-tegen-rls"
    iron = "helpt ijzer ook tegen de kriebels in mijn benen"
    assert desk.matcher.match(iron).out_of_scope == in_full.matcher.match(iron).out_of_scope
    assert desk.respond(iron, NOON).outcome is not Outcome.ANSWER
