"""Break a copy of the real knowledge/ in one way per test: the loader must refuse it (for
errors), point at the right file and line, and tell the volunteer what to do.

Lines are looked up in the edited file rather than written down, so the tests keep working
when the knowledge itself is edited.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.loader import DEFAULT_KNOWLEDGE_DIR, LoadResult, load_knowledge
from bot.problems import Problem

TEKORT = "faq/tekort.yaml"
SUPPLEMENTS = "faq/supplementen.yaml"


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    """A fresh copy of the real knowledge folder, named knowledge/ like the original."""
    copy = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, copy)
    return copy


# -- editing the copy ------------------------------------------------------------------------


def read(kdir: Path, rel: str) -> str:
    return (kdir / rel).read_text(encoding="utf-8")


def write(kdir: Path, rel: str, text: str) -> None:
    (kdir / rel).write_text(text, encoding="utf-8")


def replace(kdir: Path, rel: str, old: str, new: str) -> None:
    text = read(kdir, rel)
    assert text.count(old) == 1, f"{old!r} should occur once in {rel}"
    write(kdir, rel, text.replace(old, new))


def line_of(kdir: Path, rel: str, needle: str) -> int:
    """The (1-based) line of the only line containing ``needle``."""
    hits = [i for i, line in enumerate(read(kdir, rel).splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} should be on exactly one line of {rel}: {hits}"
    return hits[0]


def entry_span(lines: list[str], entry_id: str) -> tuple[int, int]:
    """Indices [start, end) of the lines of one entry in a faq file."""
    start = lines.index(f"  - id: {entry_id}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  - ")), len(lines))
    return start, end


def field_index(lines: list[str], entry_id: str, field: str) -> int:
    start, end = entry_span(lines, entry_id)
    return next(i for i in range(start, end) if lines[i].startswith(f"    {field}:"))


def entry_line(kdir: Path, rel: str, entry_id: str) -> int:
    return entry_span(read(kdir, rel).splitlines(), entry_id)[0] + 1


def field_line(kdir: Path, rel: str, entry_id: str, field: str) -> int:
    return field_index(read(kdir, rel).splitlines(), entry_id, field) + 1


def edit_field(kdir: Path, rel: str, entry_id: str, field: str, new: list[str] | None) -> None:
    """Replace one field of one entry (with its continuation lines) by ``new`` lines."""
    lines = read(kdir, rel).splitlines()
    first = field_index(lines, entry_id, field)
    last = first + 1
    while last < len(lines) and lines[last].startswith("      "):
        last += 1
    lines[first:last] = new or []
    write(kdir, rel, "\n".join(lines) + "\n")


# -- looking at the result -------------------------------------------------------------------


def problems_in(result: LoadResult, rel: str) -> list[Problem]:
    return [p for p in result.problems if p.file == f"knowledge/{rel}"]


def only_error(result: LoadResult) -> Problem:
    """The knowledge is refused, because of exactly one error (no follow-up noise)."""
    assert result.knowledge is None
    assert len(result.errors) == 1, "\n".join(str(p) for p in result.errors)
    return result.errors[0]


def says(problem: Problem, *words: str) -> None:
    """Each word appears in the message or the hint (case-insensitive)."""
    text = f"{problem.message} {problem.hint}".lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in: {problem}"


# -- the real knowledge ------------------------------------------------------------------------


def test_the_real_knowledge_loads_without_errors() -> None:
    result = load_knowledge()
    assert result.errors == [], "\n".join(str(p) for p in result.errors)
    assert result.knowledge is not None


def test_the_copy_loads_like_the_original(kdir: Path) -> None:
    """So every failure below comes from the one change the test made."""
    result = load_knowledge(kdir)
    assert result.errors == []
    assert result.knowledge is not None


# -- YAML syntax -----------------------------------------------------------------------------


def test_a_field_indented_too_far(kdir: Path) -> None:
    line = field_line(kdir, TEKORT, "tekenen-tekort", "question")
    lines = read(kdir, TEKORT).splitlines()
    lines[line - 1] = "  " + lines[line - 1]
    write(kdir, TEKORT, "\n".join(lines) + "\n")
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line)
    says(error, "inspringing", "even ver")
    assert "dubbele punt" not in error.hint  # the colon ends a field name: not the problem


def test_a_field_indented_too_little(kdir: Path) -> None:
    line = field_line(kdir, TEKORT, "tekenen-tekort", "answer")
    lines = read(kdir, TEKORT).splitlines()
    lines[line - 1] = lines[line - 1][1:]
    write(kdir, TEKORT, "\n".join(lines) + "\n")
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line)
    says(error, "inspringing")


def test_a_colon_inside_an_unquoted_text(kdir: Path) -> None:
    edit_field(
        kdir, TEKORT, "bovengrens", "question", ["    question: Let op: hoeveel is te veel?"]
    )
    error = only_error(load_knowledge(kdir))
    line = line_of(kdir, TEKORT, "Let op: hoeveel is te veel?")
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line)
    says(error, "dubbele punt", "aanhalingstekens")


def test_a_tab(kdir: Path) -> None:
    line = field_line(kdir, TEKORT, "tekenen-tekort", "source")
    lines = read(kdir, TEKORT).splitlines()
    lines[line - 1] = "\t" + lines[line - 1].lstrip()
    write(kdir, TEKORT, "\n".join(lines) + "\n")
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line)
    says(error, "tab", "spaties")


def test_a_file_that_is_not_utf8(kdir: Path) -> None:
    raw = (kdir / TEKORT).read_bytes()
    assert raw.count("cafeïne".encode()) == 1
    (kdir / TEKORT).write_bytes(raw.replace("cafeïne".encode(), "caf\xe9".encode("latin-1")))
    line = raw[: raw.index("cafeïne".encode())].count(b"\n") + 1
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line)
    says(error, "UTF-8", "opslaan")


def test_a_field_twice_in_one_entry(kdir: Path) -> None:
    first = field_line(kdir, TEKORT, "tekenen-tekort", "question")
    source = field_line(kdir, TEKORT, "tekenen-tekort", "source")
    lines = read(kdir, TEKORT).splitlines()
    lines.insert(source, "    question: Nog een vraag?")
    write(kdir, TEKORT, "\n".join(lines) + "\n")
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", source + 1)
    says(error, "question", "twee keer", f"regel {first}", "haal een van de twee weg")


@pytest.mark.parametrize(
    "tag", ["!!python/object/apply:os.system", "!!python/name:os.system", "!!python/object:os.X"]
)
def test_python_tags_are_refused(kdir: Path, tag: str) -> None:
    marker = kdir.parent / "was-run"
    value = f"['touch {marker}']" if "apply" in tag else "{a: 1}" if "object:" in tag else ""
    replace(kdir, TEKORT, "topic: ", f"topic: {tag} {value}\nold_topic: ")
    error = only_error(load_knowledge(kdir))
    assert not marker.exists()
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line_of(kdir, TEKORT, tag))
    says(error, "!!python", "tekst")


# -- fields of an entry ------------------------------------------------------------------------


def test_a_missing_answer(kdir: Path) -> None:
    edit_field(kdir, TEKORT, "tekenen-tekort", "answer", None)
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (
        f"knowledge/{TEKORT}",
        entry_line(kdir, TEKORT, "tekenen-tekort"),
    )
    says(error, "tekenen-tekort", "geen veld 'answer'", "answer:")


@pytest.mark.parametrize("empty", ["    answer:", '    answer: ""', "    answer: |-"])
def test_an_empty_answer(kdir: Path, empty: str) -> None:
    edit_field(kdir, TEKORT, "tekenen-tekort", "answer", [empty])
    error = only_error(load_knowledge(kdir))
    line = field_line(kdir, TEKORT, "tekenen-tekort", "answer")
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line)
    says(error, "leeg", "answer")


def test_an_unknown_field_suggests_the_right_name(kdir: Path) -> None:
    line = field_line(kdir, TEKORT, "tekenen-tekort", "answer")
    lines = read(kdir, TEKORT).splitlines()
    lines[line - 1] = lines[line - 1].replace("answer:", "anwser:")
    write(kdir, TEKORT, "\n".join(lines) + "\n")
    result = load_knowledge(kdir)
    assert result.knowledge is None
    unknown = [p for p in result.errors if "anwser" in p.message]
    assert len(unknown) == 1
    assert (unknown[0].file, unknown[0].line) == (f"knowledge/{TEKORT}", line)
    assert "'answer'" in unknown[0].hint
    # The answer is then missing too; both are errors in the same file.
    assert {p.file for p in result.errors} == {f"knowledge/{TEKORT}"}


@pytest.mark.parametrize("bad", ["Tekenen-Tekort", "tekenen tekort", "tekenen_tekort"])
def test_an_id_with_capitals_or_spaces(kdir: Path, bad: str) -> None:
    replace(kdir, TEKORT, "  - id: tekenen-tekort\n", f"  - id: {bad}\n")
    result = load_knowledge(kdir)
    assert result.knowledge is None
    error = result.errors[0]
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line_of(kdir, TEKORT, f"id: {bad}"))
    says(error, bad, "kleine letters", "streepjes", "id: magnesium-en-slaap")


@pytest.mark.parametrize("bad", ["25-11-2026", "2026-13-45", "gisteren"])
def test_a_reviewed_date_that_is_not_a_date(kdir: Path, bad: str) -> None:
    edit_field(kdir, TEKORT, "tekenen-tekort", "reviewed", [f"    reviewed: {bad}"])
    error = only_error(load_knowledge(kdir))  # never a crash, also not for month 13
    line = field_line(kdir, TEKORT, "tekenen-tekort", "reviewed")
    assert (error.file, error.line) == (f"knowledge/{TEKORT}", line)
    says(error, "datum", "jjjj-mm-dd")


# -- across entries and files ----------------------------------------------------------------


def test_the_same_id_in_two_files(kdir: Path) -> None:
    replace(kdir, SUPPLEMENTS, "  - id: magnesium-en-calcium\n", "  - id: bovengrens\n")
    result = load_knowledge(kdir)
    assert result.knowledge is None
    duplicates = [p for p in result.errors if "bovengrens" in p.message and "id" in p.message]
    assert len(duplicates) == 1
    error = duplicates[0]
    # Files are read in name order, so the second one (tekort.yaml) is reported ...
    assert (error.file, error.line) == (
        f"knowledge/{TEKORT}",
        entry_line(kdir, TEKORT, "bovengrens"),
    )
    # ... and the message names the other place.
    assert f"knowledge/{SUPPLEMENTS}:{entry_line(kdir, SUPPLEMENTS, 'bovengrens')}" in error.message
    says(error, "bestaat al", "ander", "uniek id")


def test_the_same_phrasing_under_two_entries(kdir: Path) -> None:
    lines = read(kdir, SUPPLEMENTS).splitlines()
    at = field_index(lines, "magnesium-en-calcium", "phrasings") + 1
    lines.insert(at, "      - Te veel magnesium!")  # written differently, the same once normalised
    write(kdir, SUPPLEMENTS, "\n".join(lines) + "\n")
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (
        f"knowledge/{TEKORT}",
        entry_line(kdir, TEKORT, "bovengrens"),
    )
    assert f"knowledge/{SUPPLEMENTS}:{entry_line(kdir, SUPPLEMENTS, 'magnesium-en-calcium')}" in (
        error.message
    )
    says(error, "bovengrens", "magnesium-en-calcium", "haal hem bij de andere weg")


def test_a_related_link_to_an_unknown_entry(kdir: Path) -> None:
    lines = read(kdir, TEKORT).splitlines()
    at = field_index(lines, "tekenen-tekort", "related")
    lines[at] = "    related: [magnesium-meeten]"
    write(kdir, TEKORT, "\n".join(lines) + "\n")
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (
        f"knowledge/{TEKORT}",
        entry_line(kdir, TEKORT, "tekenen-tekort"),
    )
    says(error, "magnesium-meeten", "bestaat niet", "spelling")


def test_a_broken_file_does_not_make_every_link_into_it_an_error(kdir: Path) -> None:
    """Other files link to entries in tekort.yaml; only the real error should be reported."""
    replace(kdir, TEKORT, "topic: ", "topic: [kapot\n")
    error = only_error(load_knowledge(kdir))
    assert error.file == f"knowledge/{TEKORT}"


def test_a_broken_entry_does_not_make_links_to_it_errors(kdir: Path) -> None:
    edit_field(kdir, TEKORT, "tekenen-tekort", "answer", None)  # linked from other entries
    error = only_error(load_knowledge(kdir))
    says(error, "answer")


# -- the other files ---------------------------------------------------------------------------


def test_a_missing_required_file(kdir: Path) -> None:
    (kdir / "messages.yaml").unlink()
    error = only_error(load_knowledge(kdir))
    assert error.file == "knowledge/messages.yaml"
    assert error.line is None  # there is no line in a file that is not there
    says(error, "ontbreekt", "zet het bestand terug")


def test_an_empty_required_file(kdir: Path) -> None:
    write(kdir, "settings.yaml", "# alles weg\n")
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == ("knowledge/settings.yaml", 1)
    says(error, "leeg", "terug")


def test_an_unknown_placeholder_in_a_message(kdir: Path) -> None:
    replace(kdir, "messages.yaml", "Telefoon: {telefoon}", "Telefoon: {telefon}")
    error = only_error(load_knowledge(kdir))
    # The line of the message it is in (the text is a block of several lines under 'contact:').
    assert (error.file, error.line) == (
        "knowledge/messages.yaml",
        line_of(kdir, "messages.yaml", "contact: |-"),
    )
    says(error, "{telefon}")
    assert "{telefoon}" in error.hint


# Every place a volunteer writes a template: the urgent reply, an answer, a smalltalk reply.
TEMPLATE_PLACES = [
    ("messages.yaml", "Is er levensgevaar? Bel meteen 112.", "urgent: |-"),
    ("faq/stichting.yaml", "{email}", "  - id: contact-stichting"),
    ("smalltalk.yaml", "{naam}", "    reply:"),
]


@pytest.mark.parametrize("broken", ["} {", "{{email}}", "{email!r}", "{telefoon:>20}", "{0}", "{"])
@pytest.mark.parametrize(("rel", "needle", "block"), TEMPLATE_PLACES)
def test_a_template_that_cannot_be_filled_in_is_refused_where_it_stands(
    kdir: Path, broken: str, rel: str, needle: str, block: str
) -> None:
    """Filled in as the bot does (str.format): '}{' once broke every emergency reply."""
    text = read(kdir, rel)
    at = text.index(needle) + len(needle)
    write(kdir, rel, text[:at] + " " + broken + text[at:])
    error = only_error(load_knowledge(kdir))
    assert error.file == f"knowledge/{rel}"
    lines = read(kdir, rel).splitlines()
    at_line = next(i for i, line in enumerate(lines) if f"{needle} {broken}" in line)
    # The line of the field that holds the text: its key stands on or above the broken line.
    key = "answer:" if block.startswith("  - id") else block.strip()
    expected = max(i for i in range(at_line + 1) if lines[i].lstrip().startswith(key)) + 1
    assert error.line == expected, str(error)
    says(error, "{")


@pytest.mark.parametrize(
    ("key", "number"),
    [
        ("urgent", "112"),
        ("urgent", "0800-0113"),
        ("urgent_suicide", "0800-0113"),
        ("care_note", "0800-0113"),
    ],
)
def test_an_urgent_reply_without_its_numbers_is_refused(kdir: Path, key: str, number: str) -> None:
    text = read(kdir, "messages.yaml")
    start = text.index(f"\n{key}: |-") + 1
    end = text.index("\n", text.index("\n", start) + 1)  # the block's first line of text
    if key != "care_note":
        end = text.index("\n", text.index("Je hoeft dit niet alleen te doen.", start))
    write(kdir, "messages.yaml", text[:start] + text[start:end].replace(number, "…") + text[end:])
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (
        "knowledge/messages.yaml",
        line_of(kdir, "messages.yaml", f"{key}: |-"),
    )
    says(error, number)


def test_an_unknown_urgent_reply_is_refused(kdir: Path) -> None:
    replace(
        kdir,
        "urgent.yaml",
        "name: zelfdoding\n    reply: urgent_suicide",
        "name: zelfdoding\n    reply: urgent_zelf",
    )
    error = only_error(load_knowledge(kdir))
    says(error, "urgent_zelf", "urgent_suicide")


def test_an_unknown_scope_of_a_calm_group_is_refused(kdir: Path) -> None:
    replace(
        kdir,
        "urgent.yaml",
        "goed-afgelopen-verhaal\n    quiets: [urgent]\n    scope: bericht",
        "goed-afgelopen-verhaal\n    quiets: [urgent]\n    scope: alles",
    )
    error = only_error(load_knowledge(kdir))
    assert error.line == line_of(kdir, "urgent.yaml", "scope: alles")
    says(error, "alles", "zin", "bericht")


def test_a_window_out_of_range_is_refused(kdir: Path) -> None:
    replace(kdir, "urgent.yaml", "\nwindow: 22", "\nwindow: 500")
    error = only_error(load_knowledge(kdir))
    assert error.line == line_of(kdir, "urgent.yaml", "window: 500")
    says(error, "window", "0", "100")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('opens: "19:00"', 'opens: "19.00"', ["19.00", "geen tijd", '"19:00"']),
        ('opens: "19:00"', 'opens: "7 uur"', ["7 uur", "geen tijd", '"19:00"']),
        ('closes: "20:00"', 'closes: "25:00"', ["25:00", "geen tijd"]),
        ('opens: "19:00"', "opens: 19:00", ["aanhalingstekens", 'opens: "19:00"']),
    ],
)
def test_a_wrong_time_in_helpline(kdir: Path, old: str, new: str, words: list[str]) -> None:
    replace(kdir, "helpline.yaml", old, new)
    error = only_error(load_knowledge(kdir))
    assert (error.file, error.line) == (
        "knowledge/helpline.yaml",
        line_of(kdir, "helpline.yaml", new),
    )
    says(error, *words)


def test_closing_before_opening(kdir: Path) -> None:
    replace(kdir, "helpline.yaml", 'closes: "20:00"', 'closes: "18:00"')
    result = load_knowledge(kdir)
    assert result.knowledge is None
    error = result.errors[0]
    assert (error.file, error.line) == (
        "knowledge/helpline.yaml",
        line_of(kdir, "helpline.yaml", "closes:"),
    )
    says(error, "sluit eerder")


def test_an_empty_faq_folder(kdir: Path) -> None:
    for path in (kdir / "faq").iterdir():
        path.unlink()
    error = only_error(load_knowledge(kdir))
    assert error.file == "knowledge/faq"
    says(error, "geen vragen", "terug")


# -- warnings do not block --------------------------------------------------------------------


def test_hours_text_that_does_not_match_the_times_is_only_a_warning(kdir: Path) -> None:
    replace(kdir, "helpline.yaml", 'closes: "20:00"', 'closes: "21:00"')
    result = load_knowledge(kdir)
    assert result.knowledge is not None
    assert result.errors == []
    (warning,) = problems_in(result, "helpline.yaml")
    assert warning.severity == "waarschuwing"
    assert warning.line == line_of(kdir, "helpline.yaml", "hours_text:")
    says(warning, "21:00")


def test_an_unused_message_is_only_a_warning(kdir: Path) -> None:
    text = read(kdir, "messages.yaml")
    write(kdir, "messages.yaml", text + 'welkom: "Hallo"\n')
    result = load_knowledge(kdir)
    assert result.knowledge is not None
    (warning,) = result.problems
    assert warning.severity == "waarschuwing"
    assert (warning.file, warning.line) == (
        "knowledge/messages.yaml",
        line_of(kdir, "messages.yaml", "welkom:"),
    )
    says(warning, "welkom", "gespeld")


def test_an_empty_faq_file_is_a_warning(kdir: Path) -> None:
    write(kdir, "faq/leeg.yaml", "# nog niets\n")
    result = load_knowledge(kdir)
    assert result.knowledge is not None
    (warning,) = result.problems
    assert (warning.file, warning.line, warning.severity) == (
        "knowledge/faq/leeg.yaml",
        1,
        "waarschuwing",
    )


# -- every problem says where ------------------------------------------------------------------


def _break_tekort_answer(kdir: Path) -> None:
    edit_field(kdir, TEKORT, "tekenen-tekort", "answer", None)


def _break_entry_as_text(kdir: Path) -> None:
    replace(kdir, TEKORT, "entries:\n", "entries:\n  - gewoon een losse tekst\n")


def _break_many_things(kdir: Path) -> None:
    replace(kdir, "messages.yaml", "Telefoon: {telefoon}", "Telefoon: {telefon}")
    replace(kdir, "helpline.yaml", 'opens: "19:00"', "opens: 19:00")
    replace(kdir, "settings.yaml", "max_choices: 3", "max_choices: drie")
    replace(kdir, "smalltalk.yaml", "intents:\n", "intents:\n  - alleen tekst\n")
    replace(kdir, SUPPLEMENTS, "  - id: magnesium-en-calcium\n", "  - id: Calcium\n")
    edit_field(kdir, TEKORT, "tekenen-tekort", "reviewed", ["    reviewed: morgen"])
    edit_field(kdir, TEKORT, "bovengrens", "answer", None)


def _break_control_character(kdir: Path) -> None:
    replace(kdir, TEKORT, "cafeïne", "cafe\x07ine")


BREAKAGES: dict[str, Callable[[Path], None]] = {
    "missing answer": _break_tekort_answer,
    "entry as text": _break_entry_as_text,
    "many things": _break_many_things,
    "control character": _break_control_character,
    "tab": lambda k: edit_field(k, TEKORT, "bovengrens", "source", ['\tsource: "artikel"']),
    "bad yaml": lambda k: replace(k, TEKORT, "topic: ", 'topic: "niet afgesloten\n'),
    "python tag": lambda k: replace(k, TEKORT, "topic: ", "topic: !!python/name:os.system\nx: "),
    "bad date": lambda k: edit_field(
        k, TEKORT, "bovengrens", "reviewed", ["    reviewed: 2026-02-30"]
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_every_problem_string_names_file_and_line(kdir: Path, name: str) -> None:
    BREAKAGES[name](kdir)
    result = load_knowledge(kdir)
    assert result.knowledge is None
    assert result.problems
    for problem in result.problems:
        assert problem.line is not None, str(problem)
        assert str(problem).startswith(f"{problem.file}:{problem.line}: "), str(problem)
        assert problem.file.startswith("knowledge/")
        assert problem.hint or problem.message.endswith(".")


# -- the examples of the learned view of emergencies ------------------------------------------


def test_the_examples_are_read_from_every_file_of_their_folder(kdir: Path) -> None:
    """One file per kind keeps each under what the bot reads of one file; a volunteer may add a
    file of their own, with any of the kinds."""
    before = load_knowledge(kdir).knowledge
    assert before is not None
    assert len(before.urgency.examples["ordinary"]) > 1000
    write(kdir, "urgent_examples/extra.yaml", 'ordinary:\n  - "ik ga dood van het lachen"\n')
    after = load_knowledge(kdir).knowledge
    assert after is not None
    ordinary = after.urgency.examples["ordinary"]
    assert len(ordinary) == len(before.urgency.examples["ordinary"]) + 1
    assert "ik ga dood van het lachen" in ordinary
    for kind in ("urgent_suicide", "urgent", "stories"):
        assert after.urgency.examples[kind] == before.urgency.examples[kind]


def test_a_broken_file_of_examples_is_named_with_its_line(kdir: Path) -> None:
    write(kdir, "urgent_examples/extra.yaml", 'ordinary:\n  - "goed"\nverhalen:\n  - "x"\n')
    problem = only_error(load_knowledge(kdir))
    assert problem.file == "knowledge/urgent_examples/extra.yaml" and problem.line == 3
    says(problem, "verhalen")
