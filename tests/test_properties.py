"""Properties that must hold for any input: the core, the Telegram renderer, the loader.

Hypothesis generates the inputs; every property is bounded (a fixed number of examples and
a deadline per example), so the whole file stays well under a minute.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Helpdesk
from bot.loader import DEFAULT_KNOWLEDGE_DIR, LoadResult, load_knowledge
from bot.replies import Outcome, Reply, Suggestion
from bot.telegram.render import MAX_MESSAGE_CHARS, split_message, to_html
from bot.text import MAX_CHARS
from tests.botapi_server import _TRIM, ApiError, _parse_html
from tests.conftest import bot_running, copy_knowledge, helpdesk_for, say
from tests.test_telegram_e2e import CLEAR, CLEAR_ID, set_answer

EVENING = datetime(2025, 11, 25, 18, 30, tzinfo=UTC)
FAST = settings(
    max_examples=200,
    deadline=1000,  # ms per example; far above the few ms an example takes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Characters that have tripped text handling elsewhere: controls, bidi marks, combining
# marks, zero-width joiners and variation selectors, odd spaces and line breaks, a BOM.
TRICKY = (
    "\x00\x01\x07\x08\x1b\x7f\x85\x9f\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u0301\u0308\u0327\u20dd\ufe0e\ufe0f\u00a0\u2007\u2028\u2029\u3000\ufeff\ufffd"
    "İıßẞﬁ㎏①"
)
EMOJI = ("👩‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🦵", "❤️", "🇳🇱", "1️⃣", "🧑🏿‍⚕️")
WORDS = ("magnesium", "rls", "benen", "slapen", "kramp", "hoeveel", "per", "dag", "arts", "?")
MARKUP = (
    "<b>",
    "</b>",
    "<i>",
    "<script>",
    "</script>",
    "<a href='x'>",
    "&",
    "&amp;",
    "&lt;",
    "&#60;",
    "&#x3c;",
    "&nbsp;",
    "<",
    ">",
    "*x*",
    "**",
    "_",
    "`",
    "```",
    "~",
    "||",
    "[link](https://example.nl)",
    "\\",
    "{naam}",
)

tricky_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=40)
pieces = st.one_of(
    st.text(max_size=12),
    st.sampled_from(WORDS),
    st.sampled_from(EMOJI),
    st.sampled_from(MARKUP),
    tricky_text,
    st.sampled_from([" ", "  ", "\n", "\n\n"]),
)
messy_text = st.lists(pieces, max_size=40).map("".join)
any_message = st.one_of(
    st.text(),  # any code point but surrogates (a Python str cannot hold them)
    messy_text,
    st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\u00a0\u2028\u3000"), max_size=20),
)


@pytest.fixture(scope="module")
def desk() -> Helpdesk:
    return helpdesk_for(DEFAULT_KNOWLEDGE_DIR)


def check_reply(reply: Reply) -> None:
    assert isinstance(reply, Reply)
    assert reply.outcome in set(Outcome)
    assert reply.text.strip()


# -- the core ---------------------------------------------------------------------------------


@FAST
@given(message=any_message)
def test_any_message_gets_one_of_the_five_outcomes(desk, message):
    check_reply(desk.respond(message, EVENING))


def long_message(seed: str) -> str:
    return (seed * (100_000 // len(seed) + 1))[:100_000]


@settings(FAST, max_examples=40)
@given(seed=st.one_of(messy_text, st.text()).filter(bool))
def test_a_100_kb_message_is_handled_quickly(desk, seed):
    """A 100 KB message costs no more than its first MAX_CHARS characters.

    bot/text.py cuts every message at MAX_CHARS (2000) characters before normalising or
    splitting it, and every part of the core reads the message through it; what lies
    beyond the cut is never looked at. So the handling time has a fixed bound whatever the
    length, a few milliseconds here; a second is far above it, so a slow machine does not
    make this fail, while any work that grows with the whole message (100 KB through the
    matcher) would. Telegram itself delivers at most 4096 characters.
    """
    message = long_message(seed)
    started = time.perf_counter()
    reply = desk.respond(message, EVENING)
    elapsed = time.perf_counter() - started
    check_reply(reply)
    assert elapsed < 0.5, f"{elapsed:.3f} s for {len(message)} characters"


def test_100_kb_messages_of_each_kind_stay_within_the_bound(desk):
    kinds = {
        "question": "hoeveel magnesium heb ik per dag nodig ",
        "urgent": "ik wil er niet meer zijn ",
        "smalltalk": "hallo ",
        "one word": "a",
        "emoji": "👩‍👩‍👧‍👦",
        "bidi and combining": "\u202ee\u0301\u200f",
        "controls": "\x00\x1b\x85",
        "markup": "<b>x</b> &amp; *y* ",
    }
    assert MAX_CHARS < 100_000
    for name, seed in kinds.items():
        message = long_message(seed)
        best = min(timed(desk, message) for _ in range(3))
        assert best < 0.25, f"{name}: {best:.3f} s"


def timed(desk: Helpdesk, message: str) -> float:
    started = time.perf_counter()
    check_reply(desk.respond(message, EVENING))
    return time.perf_counter() - started


# -- the Telegram renderer --------------------------------------------------------------------

markup_text = st.lists(
    st.one_of(st.sampled_from(MARKUP), st.text(max_size=8), st.sampled_from(WORDS), tricky_text),
    max_size=30,
).map("".join)
visible_text = markup_text.filter(str.strip)  # a reply always has something to read


@st.composite
def replies(draw: st.DrawFn, body: st.SearchStrategy[str] = visible_text) -> Reply:
    suggestions = tuple(
        Suggestion(f"vraag-{i}", draw(markup_text)) for i in range(draw(st.integers(0, 3)))
    )
    return Reply(
        outcome=draw(st.sampled_from(list(Outcome))),
        body=draw(body),
        title=draw(st.none() | markup_text),
        suggestions=suggestions,
        suggestions_intro=draw(st.none() | markup_text),
    )


def content(reply: Reply) -> str:
    """What the user should read, exactly as written in the knowledge."""
    text = reply.body
    if reply.suggestions_intro and reply.suggestions:
        text += "\n\n" + reply.suggestions_intro
    return f"{reply.title}\n\n{text}" if reply.title else text


def telegram_parses(html: str) -> tuple[str, list[dict]]:
    """Telegram's own reading of the HTML (as TDLib parses it, strict about '&')."""
    try:
        return _parse_html(html, strict_ampersand=True)
    except ApiError as error:
        raise AssertionError(f"Telegram refuses {html!r}: {error.description}") from None


def without_space(text: str) -> str:
    return "".join(c for c in text if not c.isspace())


@FAST
@given(reply=replies())
def test_html_has_only_our_bold_tags_and_every_special_character_escaped(reply):
    html = to_html(reply)
    tags = re.findall(r"<[^>]*>", html)
    assert tags == (["<b>", "</b>"] if reply.title else [])
    bare = html.replace("<b>", "", 1).replace("</b>", "", 1) if reply.title else html
    assert "<" not in bare and ">" not in bare
    assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", bare, re.DOTALL)
    plain, entities = telegram_parses(html)
    assert plain == content(reply)
    assert all(e["type"] == "bold" for e in entities) and len(entities) <= 1


@FAST
@given(reply=replies(), limit=st.integers(24, 400))
def test_split_messages_are_valid_within_the_limit_and_lose_nothing(reply, limit):
    check_split(to_html(reply), content(reply), limit)


def check_split(html: str, expected: str, limit: int) -> None:
    chunks = split_message(html, limit)
    assert all(len(chunk) <= limit for chunk in chunks), [len(c) for c in chunks]
    plains = []
    for chunk in chunks:
        plain, _ = telegram_parses(chunk)
        assert plain.strip(_TRIM), f"an empty message: {chunk!r}"  # Telegram refuses it
        plains.append(plain)
    assert without_space("".join(plains)) == without_space(expected)


long_body = st.tuples(visible_text, st.integers(4100, 12_000)).map(
    lambda t: (t[0] * (t[1] // len(t[0]) + 1))[: t[1]]
)


@settings(FAST, max_examples=60)
@given(reply=replies(body=long_body))
def test_long_replies_are_split_within_telegrams_limit(reply):
    html = to_html(reply)
    assert len(split_message(html)) >= 2 or len(html) <= MAX_MESSAGE_CHARS
    check_split(html, content(reply), MAX_MESSAGE_CHARS)


@pytest.mark.parametrize("title_chars", [5000, 9000])
def test_a_title_longer_than_a_message_stays_bold_in_every_part(title_chars):
    title = ("Heel lange titel " * 600)[:title_chars]
    reply = Reply(Outcome.ANSWER, "Het antwoord.", title=title)
    chunks = split_message(to_html(reply))
    check_split(to_html(reply), content(reply), MAX_MESSAGE_CHARS)
    assert all(chunk.startswith("<b>") for chunk in chunks[:-1])


async def test_html_and_markdown_in_an_answer_reach_telegram_as_plain_text(tmp_path):
    answer = (
        'Let op: <b>vet</b> <script>alert("x")</script> & &amp; &lt;\n'
        "*ster* _lijn_ `code` ```blok``` ~weg~ ||geheim|| [link](https://example.nl) \\*"
    )
    folder = copy_knowledge(tmp_path / "kennis")
    set_answer(folder, CLEAR_ID, answer)
    async with bot_running(tmp_path, knowledge_dir=folder) as running:
        reply = await say(running.server, CLEAR)
        sent = running.server.calls_of("sendMessage")[-1].params
        failures = list(running.server.failures)
    assert failures == []
    assert sent["parse_mode"] == "HTML"
    assert "&lt;b&gt;vet&lt;/b&gt; &lt;script&gt;" in sent["text"]
    assert "&amp; &amp;amp; &amp;lt;" in sent["text"]
    assert answer in reply["text"]  # exactly as the volunteer wrote it
    title = running.holder.current.knowledge.by_id[CLEAR_ID].question
    bold = [e for e in reply["entities"] if e["type"] == "bold"]
    assert [(e["offset"], e["length"]) for e in bold] == [(0, len(title.encode("utf-16-le")) // 2)]
    assert not {e["type"] for e in reply["entities"]} - {"bold", "url"}


# -- the loader -------------------------------------------------------------------------------

SMALL_FAQ = {
    "topic": "Proef",
    "entries": [
        {
            "id": "vrij",
            "question": "Vraag",
            "answer": "Antwoord",
            "phrasings": ["eerste formulering"],
            "related": ["vast"],
            "source": "Artikel",
        },
        {
            "id": "vast",
            "question": "Hoeveel magnesium heb je per dag nodig?",
            "answer": "Zoveel.",
            "phrasings": ["hoeveel magnesium per dag", "dagelijkse hoeveelheid magnesium"],
            "source": "Artikel",
        },
    ],
}
FREE_MESSAGES = ("welcome", "referral", "urgent", "error", "button_useful")


@pytest.fixture(scope="module")
def small_knowledge() -> Iterator[Path]:
    """A knowledge copy with one small FAQ file, so that a load takes milliseconds."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "knowledge"
        shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
        shutil.rmtree(folder / "faq")
        (folder / "faq").mkdir()
        (folder / "out_of_scope.yaml").unlink()
        dump(folder / "faq" / "proef.yaml", SMALL_FAQ)
        result = load_knowledge(folder)
        assert result.knowledge is not None, [str(p) for p in result.errors]
        yield folder


def dump(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def loadable(text: str) -> bool:
    """A text the loader accepts: something visible, and no {placeholder} it does not know."""
    return bool(text.strip()) and "{" not in text and "}" not in text


free_text = st.one_of(st.text(max_size=80), messy_text)


@settings(FAST, max_examples=150, deadline=5000)  # a load is ~30 ms; room for a busy CI
@given(
    question=free_text,
    answer=free_text,
    phrasings=st.lists(free_text, min_size=1, max_size=4),
    messages=st.fixed_dictionaries(
        # The urgent text must name 112 and 0800-0113 (an error otherwise): any text beside them.
        {
            k: free_text.map(lambda t: f"{t} 112 0800-0113") if k == "urgent" else free_text
            for k in FREE_MESSAGES
        }
    ),
)
def test_any_text_in_valid_yaml_loads_without_an_exception(
    small_knowledge, question, answer, phrasings, messages
):
    faq = yaml.safe_load(yaml.safe_dump(SMALL_FAQ))
    faq["entries"][0].update(question=question, answer=answer, phrasings=phrasings)
    messages_path = small_knowledge / "messages.yaml"
    original = messages_path.read_text(encoding="utf-8")
    data = yaml.safe_load(original)
    data.update(messages)
    dump(small_knowledge / "faq" / "proef.yaml", faq)
    dump(messages_path, data)
    try:
        result = load_knowledge(small_knowledge)
        check_problems(result, small_knowledge)
        # What YAML itself reads back (PyYAML folds a NEL, U+0085, that it wrote itself).
        faq = yaml.safe_load((small_knowledge / "faq" / "proef.yaml").read_text("utf-8"))
        written = yaml.safe_load(messages_path.read_text(encoding="utf-8"))
    finally:
        messages_path.write_text(original, encoding="utf-8")
        dump(small_knowledge / "faq" / "proef.yaml", SMALL_FAQ)
    entry = faq["entries"][0]
    texts = [entry["question"], entry["answer"], *entry["phrasings"]]
    texts += [written[k] for k in messages]
    others = {"hoeveel magnesium per dag", "dagelijkse hoeveelheid magnesium"}
    if all(map(loadable, texts)) and not others & {" ".join(p.split()) for p in phrasings}:
        assert result.errors == [], [str(p) for p in result.errors]
        knowledge = result.knowledge
        assert knowledge.by_id["vrij"].answer == entry["answer"].strip()
        assert knowledge.by_id["vrij"].question == entry["question"].strip()
        assert all(knowledge.messages[k] == written[k].strip() for k in messages)


def check_problems(result: LoadResult, folder: Path, damaged: Path | None = None) -> None:
    """Every problem names a file of the folder, and a line inside it when it gives one."""
    assert isinstance(result, LoadResult)
    for problem in result.problems:
        assert problem.file.startswith(folder.name), problem
        path = folder.parent / problem.file
        if problem.line is not None and path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            lines = len(re.findall(r"\r\n|[\r\n\x85\u2028\u2029]", text)) + 1  # as YAML counts
            assert 1 <= problem.line <= lines, (str(problem), lines)
    if result.knowledge is None:
        assert result.errors
        if damaged is not None:
            shown = str(Path(folder.name) / damaged.relative_to(folder))
            assert any(p.file == shown for p in result.errors), [str(p) for p in result.errors]


YAMLISH = (
    ": ",
    "- ",
    "  ",
    "    ",
    "\t",
    "\n",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "!!python/object/apply:os.system ['true']",
    "!!binary ",
    "!ding ",
    "|",
    ">-",
    "'",
    '"',
    "#",
    "---",
    "...",
    "%YAML 1.1\n",
    "? ",
    "@",
    "`",
    "<<: ",
    "id",
    "answer",
    "entries",
    "2026-13-45",
    "19:00",
    "~",
    "yes",
    "é",
    "\x00",
    "\x85",
    "\ufeff",
    "\u2028",
)
garbage = st.one_of(
    st.binary(max_size=120),
    st.lists(st.sampled_from(YAMLISH), max_size=40).map(lambda p: "".join(p).encode()),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=20).map(lambda t: t.encode()),
)


@settings(FAST, max_examples=200, deadline=5000)
@given(
    name=st.sampled_from(["faq/proef.yaml", "messages.yaml", "helpline.yaml", "urgent.yaml"]),
    keep=st.floats(0.0, 1.0),
    tail=garbage,
)
def test_a_damaged_file_gives_problems_with_file_and_line_never_an_exception(
    small_knowledge, name, keep, tail
):
    path = small_knowledge / name
    original = path.read_bytes()
    path.write_bytes(original[: int(len(original) * keep)] + tail)
    try:
        check_problems(load_knowledge(small_knowledge), small_knowledge, path)
    finally:
        path.write_bytes(original)
