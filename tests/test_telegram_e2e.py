"""The real bot on a fake Telegram: users chat, press buttons and write in groups.

Everything goes through python-telegram-bot's HTTP stack to ``BotApiTestServer``; the
assertions look at what the server recorded, i.e. at what a Telegram user would see.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sqlite3
import string
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.core import Helpdesk
from bot.replies import Outcome
from tests.botapi_server import (
    BOT_USERNAME,
    DEFAULT_GROUP_ID,
    BotApiTestServer,
)
from tests.conftest import (
    ADMIN_ID,
    TIMEOUT,
    USER,
    bot_running,
    copy_knowledge,
    exchange,
    press,
    say,
)

CLEAR = "hoeveel magnesium heb ik per dag nodig"
CLEAR_ID = "dagelijkse-hoeveelheid"
OFF_TOPIC = "wat is de hoofdstad van frankrijk"
URGENT = "ik wil er niet meer zijn"
PHONE = "0900-7574636"
CLARIFY_CANDIDATES = ("magnesium", "magnesium pillen", "welke magnesium", "waar magnesium")
NOON = datetime(2025, 11, 25, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam: the line is closed


# -- helpers ---------------------------------------------------------------------------------


def desk(application: Application) -> Helpdesk:
    return application.bot_data["holder"].current


def now(application: Application) -> datetime:
    return application.bot_data["clock"]()


def db_path(application: Application) -> Path:
    return application.bot_data["config"].database


def clarifying_message(application: Application) -> str | None:
    """A message that gets a choice of questions with the knowledge in use, if any does:
    a few vague messages first, then single words and word pairs from the FAQ's questions."""
    d, moment = desk(application), now(application)

    def candidates():
        yield from CLARIFY_CANDIDATES
        for entry in d.knowledge.entries:
            words = entry.question.lower().strip("?").split()
            yield from words
            yield from (" ".join(pair) for pair in itertools.pairwise(words))

    return next((t for t in candidates() if d.respond(t, moment).outcome is Outcome.CLARIFY), None)


def keyboard(message: dict[str, Any]) -> list[list[tuple[str, str]]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [[(b["text"], b.get("callback_data", "")) for b in row] for row in rows]


def button_data(message: dict[str, Any]) -> list[str]:
    return [data for row in keyboard(message) for _, data in row]


async def eventually(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        await asyncio.sleep(0.02)


def query_db(path: Path, sql: str, *params: object) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def unanswered(path: Path) -> list[tuple[str, str]]:
    """(outcome, text) of the stored questions; none while the table does not exist yet."""
    if not path.exists():
        return []
    tables = query_db(path, "SELECT name FROM sqlite_master WHERE name = 'unanswered'")
    return query_db(path, "SELECT outcome, text FROM unanswered") if tables else []


def starts_with_bold(message: dict[str, Any], title: str) -> bool:
    entities = message.get("entities", [])
    return (
        message["text"].startswith(title + "\n\n")
        and bool(entities)
        and entities[0]
        == {"type": "bold", "offset": 0, "length": len(title.encode("utf-16-le")) // 2}
    )


def set_answer(folder: Path, faq_id: str, answer: str) -> Path:
    """Replace one entry's answer in a knowledge copy (atomically, as an editor saves)."""
    for path in sorted((folder / "faq").glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if f"  - id: {faq_id}" not in lines:
            continue
        start = lines.index(f"  - id: {faq_id}")
        i = next(n for n in range(start, len(lines)) if lines[n].strip().startswith("answer:"))
        indent = " " * (len(lines[i]) - len(lines[i].lstrip()) + 2)
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or lines[end].startswith(indent)):
            end += 1
        block = [indent + line if line else "" for line in answer.split("\n")]
        lines[i:end] = [lines[i].split("answer:")[0] + "answer: |-", *block]
        write_atomically(path, "\n".join(lines) + "\n")
        return path
    raise LookupError(faq_id)


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


LONG_PARAGRAPHS = "\n\n".join(
    f"Alinea {i}: " + " ".join(f"woord{i}x{j}" for j in range(28)) for i in range(24)
)
LONG_SINGLE = " ".join(f"woord{j}" for j in range(850))
HTML_LIKE = "Let op: <script> & <b> zijn hier gewone tekst, geen opmaak."


# -- commands ------------------------------------------------------------------------------


async def test_start_shows_welcome_and_topics_and_sets_dutch_commands(running_bot):
    server, application = running_bot
    d = desk(application)
    commands = {c["command"]: c["description"] for c in server.commands()}
    assert list(commands) == ["start", "help", "onderwerpen", "contact", "privacy"]
    assert commands["onderwerpen"] == "Alle onderwerpen en vragen"
    assert all(commands[name] == d.composer.message(f"command_{name}") for name in commands)

    reply = await say(server, "/start")
    assert reply["text"] == d.composer.welcome()
    topics = [(t.name, f"t:{i}") for i, t in enumerate(d.knowledge.topics)]
    assert [b for row in keyboard(reply) for b in row] == topics


@pytest.mark.parametrize("command", ["/help", "/hulp"])
async def test_help(running_bot, command):
    server, application = running_bot
    reply = await say(server, command)
    assert reply["text"] == desk(application).composer.message("help")
    assert "&quot;" not in reply["text"] and "&lt;" not in reply["text"]


async def test_contact_and_privacy(running_bot):
    server, application = running_bot
    d = desk(application)
    contact = await say(server, "/contact")
    assert contact["text"] == d.composer.contact_text(now(application))
    assert PHONE in contact["text"]
    assert d.composer.message("open_now", sluit="20:00") in contact["text"]
    privacy = await say(server, "/privacy")
    assert privacy["text"] == d.composer.privacy()
    assert "90 dagen" in privacy["text"]


# -- questions -----------------------------------------------------------------------------


async def test_clear_question_is_answered_in_html_with_related_and_feedback(running_bot):
    server, application = running_bot
    d = desk(application)
    entry = d.knowledge.by_id[CLEAR_ID]
    reply = await say(server, CLEAR)

    sent = server.calls_of("sendMessage")[-1].params
    assert sent["parse_mode"] == "HTML"
    assert sent["text"].startswith(f"<b>{escape(entry.question, quote=False)}</b>\n\n")
    assert starts_with_bold(reply, entry.question)
    assert d.composer.fill(entry.answer.splitlines()[0]) in reply["text"]

    rows = keyboard(reply)
    related = [(d.knowledge.by_id[i].question, f"a:{i}") for i in entry.related]
    assert [row[0] for row in rows[:-1]] == related and all(len(r) == 1 for r in rows[:-1])
    assert rows[-1] == [("👍 Nuttig", f"f:{CLEAR_ID}:1"), ("👎 Niet nuttig", f"f:{CLEAR_ID}:0")]


async def test_related_question_button_gives_that_answer(running_bot):
    server, application = running_bot
    d = desk(application)
    first = await say(server, CLEAR)
    related_id = d.knowledge.by_id[CLEAR_ID].related[0]
    query, reply = await press(server, first, f"a:{related_id}")
    assert starts_with_bold(reply, d.knowledge.by_id[related_id].question)
    assert f"f:{related_id}:1" in button_data(reply)
    assert query["id"] in server.callback_answers
    assert server.message(USER, first["message_id"])["reply_markup"] == first["reply_markup"]


async def test_clarify_choice_pressed_gives_the_chosen_answer(running_bot):
    server, application = running_bot
    d = desk(application)
    text = clarifying_message(application)
    if text is None:
        pytest.skip("none of the candidate messages gives a choice with this knowledge")
    expected = d.respond(text, now(application))
    reply = await say(server, text)
    assert reply["text"] == d.composer.message("clarify")
    assert keyboard(reply) == [[(s.question, f"a:{s.faq_id}")] for s in expected.suggestions]
    assert not any(data.startswith("f:") for data in button_data(reply))

    chosen = expected.suggestions[-1]
    query, answer = await press(server, reply, f"a:{chosen.faq_id}")
    assert starts_with_bold(answer, chosen.question)
    assert query["id"] in server.callback_answers


async def test_off_topic_question_refers_to_the_helpline_with_its_opening_state(running_bot):
    server, application = running_bot
    d = desk(application)
    open_reply = await say(server, OFF_TOPIC)
    assert open_reply["text"].startswith(d.composer.message("referral"))
    assert PHONE in open_reply["text"] and d.knowledge.helpline.email in open_reply["text"]
    assert open_reply["text"].endswith(d.composer.message("open_now", sluit="20:00"))
    assert "reply_markup" not in open_reply

    application.bot_data["clock"].moment = NOON
    closed_reply = await say(server, OFF_TOPIC)
    assert PHONE in closed_reply["text"]
    tonight = d.composer.message("when_today", tijd="19:00")
    assert closed_reply["text"].endswith(d.composer.message("closed_now", wanneer=tonight))


async def test_a_thought_of_suicide_taken_back_gets_the_answer_and_113_below(running_bot):
    server, application = running_bot
    reply = await say(server, "ik wil niet meer leven, grapje hoor. hoeveel magnesium per dag?")
    care_note = desk(application).composer.message("care_note")
    assert reply["text"].startswith("Hoeveel magnesium heb je per dag nodig?")
    assert care_note in reply["text"] and "0800-0113" in care_note


async def test_urgent_message_points_to_112_and_113_and_is_not_stored(running_bot):
    server, application = running_bot
    reply = await say(server, URGENT)
    assert reply["text"] == desk(application).composer.message("urgent_suicide")
    assert "112" in reply["text"] and "0800-0113" in reply["text"]
    assert "reply_markup" not in reply
    await asyncio.sleep(0.1)
    assert unanswered(db_path(application)) == []


@pytest.mark.parametrize("kind", ["photo", "voice", "sticker", "location", "document"])
async def test_non_text_message_gets_a_text_only_reply(running_bot, kind):
    server, application = running_bot
    (reply,) = await exchange(server, lambda: server.user_sends(kind))
    assert reply["text"] == desk(application).composer.message("non_text")
    assert reply["text"].startswith("Ik kan alleen tekst lezen")


async def test_topics_browsed_down_to_an_answer(running_bot):
    server, application = running_bot
    d = desk(application)
    menu = await say(server, "/onderwerpen")
    assert menu["text"] == d.composer.message("topics_intro")

    topic = d.knowledge.topics[1]
    query, edited = await press(server, menu, "t:1")
    assert edited["message_id"] == menu["message_id"] and "edit_date" in edited
    assert edited["text"] == d.composer.message("topic_intro", onderwerp=topic.name)
    questions = [(d.knowledge.by_id[i].question, f"a:{i}") for i in topic.entry_ids]
    assert keyboard(edited) == [[q] for q in questions] + [[("Alle onderwerpen", "tt")]]
    assert query["id"] in server.callback_answers

    _, back = await press(server, edited, "tt")
    assert back["message_id"] == menu["message_id"]
    assert back["text"] == menu["text"] and keyboard(back) == keyboard(menu)

    _, again = await press(server, back, "t:1")
    faq_id = topic.entry_ids[0]
    _, answer = await press(server, again, f"a:{faq_id}")
    assert answer["message_id"] != menu["message_id"]
    assert starts_with_bold(answer, d.knowledge.by_id[faq_id].question)
    assert len(server.calls_of("answerCallbackQuery")) == 4


@pytest.mark.parametrize("data", ["a:bestaat-niet", "zzz", "t:99", "t:x", "tt:extra"])
async def test_old_or_unknown_button_gets_a_friendly_reply(running_bot, data):
    server, application = running_bot
    start = await say(server, "/start")
    query, reply = await press(server, start, data, check_button=False)
    assert reply["text"] == desk(application).composer.message("unknown_button")
    assert reply["message_id"] != start["message_id"]
    assert query["id"] in server.callback_answers
    assert server.failures == []


async def test_feedback_is_counted_and_the_thumbs_disappear(running_bot):
    server, application = running_bot
    d = desk(application)
    answer = await say(server, CLEAR)
    query, edited = await press(server, answer, f"f:{CLEAR_ID}:1")
    assert server.callback_answers[query["id"]]["text"] == d.composer.message("feedback_thanks")
    assert edited["message_id"] == answer["message_id"]
    assert not any(data.startswith("f:") for data in button_data(edited))
    assert keyboard(edited) == keyboard(answer)[:-1]  # the related questions stay

    rows = query_db(
        db_path(application),
        "SELECT faq_id, given, useful, not_useful FROM entry_counts WHERE faq_id = ?",
        CLEAR_ID,
    )
    assert rows == [(CLEAR_ID, 1, 1, 0)]


async def test_a_reply_is_one_request_without_a_typing_action(running_bot):
    """The answer is ready at once: a "typing…" action first would only use up half of
    Telegram's 30 requests a second."""
    server, _ = running_bot
    await say(server, CLEAR)
    methods = [
        (c.method, c.params.get("action"))
        for c in server.calls
        if c.params.get("chat_id") == USER and c.method in ("sendChatAction", "sendMessage")
    ]
    assert methods == [("sendMessage", None)]


# -- groups ----------------------------------------------------------------------------------


@pytest.mark.bot_options(privacy_mode=False)  # the bot sees every group message
async def test_group_only_answered_when_the_bot_is_addressed(running_bot):
    server, application = running_bot
    d = desk(application)
    server.user_sends_text(CLEAR, chat_type="group")
    server.user_sends("photo", chat_type="group")
    server.user_sends_text("wat vinden jullie van het weer", user_id=700, chat_type="group")
    await server.wait_until_consumed(timeout=TIMEOUT)
    await asyncio.sleep(0.2)
    assert [c for c in server.calls if c.params.get("chat_id") == DEFAULT_GROUP_ID] == []

    asked = server.user_mentions_bot(CLEAR)
    (reply,) = await exchange(server, lambda: None, DEFAULT_GROUP_ID)
    assert starts_with_bold(reply, d.knowledge.by_id[CLEAR_ID].question)
    assert reply["reply_to_message"]["message_id"] == asked["message_id"]
    assert f"@{BOT_USERNAME}" in asked["text"]

    follow = "hoeveel magnesium is te veel"
    expected = d.respond(follow, now(application))
    (answer,) = await exchange(
        server, lambda: server.user_replies_to(reply, follow, user_id=701), DEFAULT_GROUP_ID
    )
    assert answer["text"].startswith(expected.title or expected.body)

    (non_text,) = await exchange(
        server,
        lambda: server.user_sends("sticker", chat_type="group", reply_to_message=reply),
        DEFAULT_GROUP_ID,
    )
    assert non_text["text"] == d.composer.message("non_text")


async def test_group_mention_without_a_question_explains_itself(running_bot):
    server, application = running_bot
    d = desk(application)
    (reply,) = await exchange(server, lambda: server.user_mentions_bot(""), DEFAULT_GROUP_ID)
    assert reply["text"] == f"{d.composer.welcome()}\n\n{d.composer.message('group_hint')}"
    assert button_data(reply) == [f"t:{i}" for i in range(len(d.knowledge.topics))]
    (start,) = await exchange(
        server,
        lambda: server.user_sends_text(f"/start@{BOT_USERNAME}", chat_type="group"),
        DEFAULT_GROUP_ID,
    )
    assert start["text"] == reply["text"]
    await asyncio.sleep(0.1)
    assert unanswered(db_path(application)) == []


# -- long and odd texts ----------------------------------------------------------------------


@pytest.mark.parametrize("answer", [LONG_PARAGRAPHS, LONG_SINGLE], ids=["paragraphs", "one-block"])
async def test_very_long_answer_is_split_within_the_limit(tmp_path, answer):
    folder = tmp_path / "kennis"
    copy_knowledge(folder)
    set_answer(folder, CLEAR_ID, answer)
    assert len(answer) > 5500
    async with bot_running(tmp_path, knowledge_dir=folder) as running:
        server = running.server
        await exchange(server, lambda: server.user_sends_text(CLEAR), USER, replies=2)
        await server.wait_until_consumed(timeout=TIMEOUT)
        await asyncio.sleep(0.1)
        parts = server.sent_messages(USER)
    assert len(parts) == 2 and server.failures == []
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert all(len(c.params["text"]) <= 4096 for c in server.calls_of("sendMessage"))
    title = running.holder.current.knowledge.by_id[CLEAR_ID].question
    assert starts_with_bold(parts[0], title)
    assert "reply_markup" not in parts[0] and f"f:{CLEAR_ID}:1" in button_data(parts[1])
    joined = " ".join(" ".join(p["text"] for p in parts).split())
    assert " ".join(answer.split()) in joined  # nothing lost at the cut


async def test_html_in_the_knowledge_is_shown_as_text(tmp_path):
    folder = tmp_path / "kennis"
    copy_knowledge(folder)
    set_answer(folder, CLEAR_ID, HTML_LIKE)
    async with bot_running(tmp_path, knowledge_dir=folder) as running:
        reply = await say(running.server, CLEAR)
        sent = running.server.calls_of("sendMessage")[-1].params["text"]
        failures = list(running.server.failures)
    assert "&lt;script&gt; &amp; &lt;b&gt;" in sent
    assert failures == []
    assert "<script> & <b>" in reply["text"]
    assert [e["type"] for e in reply["entities"]] == ["bold"]  # only the title


# -- many users ------------------------------------------------------------------------------


async def test_twenty_users_at_once_each_get_their_own_answer(running_bot):
    server, application = running_bot
    d = desk(application)
    moment = now(application)
    entries = [
        e
        for e in d.knowledge.entries
        if (r := d.respond(e.question, moment)).outcome is Outcome.ANSWER and r.faq_id == e.id
    ][:20]
    assert len(entries) == 20, "the FAQ should answer at least twenty of its own questions"
    users = {800_001 + i: entry for i, entry in enumerate(entries)}
    for user_id, entry in users.items():
        server.user_sends_text(entry.question, user_id=user_id)
    await server.wait_for("sendMessage", count=20, timeout=TIMEOUT * 2)
    await server.wait_until_consumed(timeout=TIMEOUT)
    await asyncio.sleep(0.2)
    for user_id, entry in users.items():
        replies = server.sent_messages(user_id)
        assert len(replies) == 1, (user_id, [r["text"][:40] for r in replies])
        assert starts_with_bold(replies[0], entry.question), (entry.id, replies[0]["text"][:80])


# -- what is stored --------------------------------------------------------------------------


async def test_unanswered_questions_are_stored_as_text_only(running_bot):
    server, application = running_bot
    d = desk(application)
    user_id, first, last, username = 987_654_321, "Geheimnaam", "Achternaam", "geheim_account"
    server.add_user(user_id, first_name=first, last_name=last, username=username)
    clarify = clarifying_message(application)
    beside = "kan alcohol drinken een magnesiumtekort veroorzaken?"  # a partial answer
    assert d.respond(beside, now(application)).outcome.value == "partial"
    messages = [OFF_TOPIC, CLEAR, URGENT, "hallo", beside, *([clarify] if clarify else [])]
    for text in messages:
        await say(server, text, user_id)
    stored_outcomes = {"referral", "partial", "clarify"}
    expected = sorted(
        (d.respond(t, now(application)).outcome.value, t)
        for t in messages
        if d.respond(t, now(application)).outcome.value in stored_outcomes
    )
    path = db_path(application)
    await eventually(lambda: len(unanswered(path)) >= len(expected), "the stored questions")
    await asyncio.sleep(0.1)
    assert sorted(unanswered(path)) == expected
    assert {r[0] for r in query_db(path, "SELECT asked_at FROM unanswered")} == {
        now(application).isoformat(timespec="seconds")
    }

    columns = {name for (_, name, *_) in query_db(path, "PRAGMA table_info(unanswered)")}
    assert columns == {"id", "asked_at", "outcome", "text"}
    tables = [t for (t,) in query_db(path, "SELECT name FROM sqlite_master WHERE type='table'")]
    secrets = {str(user_id), first, last, username}
    for table in tables:
        names = [n for (_, n, *_) in query_db(path, f"PRAGMA table_info({table})")]
        assert not any(word in n for n in names for word in ("user", "chat", "name", "from"))
        for row in query_db(path, f"SELECT * FROM {table}"):
            assert not any(s in str(cell) for cell in row for s in secrets), (table, row)


# -- admins ----------------------------------------------------------------------------------


async def test_admin_reload_and_stats(running_bot):
    server, application = running_bot
    d = desk(application)
    await say(server, OFF_TOPIC)
    await eventually(lambda: unanswered(db_path(application)), "the stored question")
    reloaded = await say(server, "/reload", ADMIN_ID)
    # Nothing changed on disk: the admin is told so, and the files were read again anyway.
    assert reloaded["text"] == d.composer.message("reload_unchanged")
    assert desk(application) is not d

    stats = await say(server, "/stats", ADMIN_ID)
    assert stats["text"].startswith("Vragen zonder (zeker) antwoord: 1")
    assert OFF_TOPIC in stats["text"]
    assert "Antwoorden: gegeven / nuttig / niet nuttig" in stats["text"]
    assert stats["entities"][0]["type"] == "pre"


async def test_admin_commands_are_refused_for_others(running_bot):
    server, application = running_bot
    before = desk(application)
    for command in ("/reload", "/stats"):
        reply = await say(server, command)
        assert reply["text"] == before.composer.message("not_admin")
    (group_reply,) = await exchange(
        server,
        lambda: server.user_sends_text(f"/reload@{BOT_USERNAME}", chat_type="group"),
        DEFAULT_GROUP_ID,
    )
    assert group_reply["text"] == before.composer.message("not_admin")
    assert desk(application) is before


# -- live reload -----------------------------------------------------------------------------


@pytest.mark.bot_options(reload_seconds=0.2)
async def test_live_reload_applies_a_good_change(running_bot):
    server, application = running_bot
    await say(server, "/start", ADMIN_ID)
    first_line = desk(application).knowledge.by_id[CLEAR_ID].answer.splitlines()[0]
    old = await say(server, CLEAR)
    assert first_line in old["text"]

    folder = application.bot_data["config"].knowledge_dir
    set_answer(folder, CLEAR_ID, "Nieuw antwoord: gemiddeld 300 mg per dag, zegt de redactie.")
    notice = await server.wait_for_message(
        ADMIN_ID, text_contains="De nieuwe kennis is geladen", timeout=TIMEOUT
    )
    assert notice["text"] == desk(application).composer.message(
        "reload_done", aantal=str(len(desk(application).knowledge.entries))
    )
    new = await say(server, CLEAR)
    assert "Nieuw antwoord: gemiddeld 300 mg per dag" in new["text"]
    assert first_line not in new["text"]


@pytest.mark.bot_options(reload_seconds=0.2)
async def test_live_reload_refuses_a_broken_change_and_tells_the_admins(running_bot):
    server, application = running_bot
    await say(server, "/start", ADMIN_ID)
    before = desk(application)
    first_line = before.knowledge.by_id[CLEAR_ID].answer.splitlines()[0]
    folder = application.bot_data["config"].knowledge_dir
    path = folder / "faq" / "tekort.yaml"
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines()
    number = lines.index(f"  - id: {CLEAR_ID}") + 2  # the 'question:' line
    lines[number - 1] = "    question: Hoeveel magnesium: heb je per dag nodig?"
    write_atomically(path, "\n".join(lines) + "\n")

    notice = await server.wait_for_message(ADMIN_ID, text_contains="NIET", timeout=TIMEOUT)
    assert f"faq/tekort.yaml:{number}" in notice["text"]
    assert desk(application) is before
    answer = await say(server, CLEAR)
    assert first_line in answer["text"]

    write_atomically(path, original.replace(first_line, f"{first_line} (hersteld)", 1))
    await server.wait_for_message(ADMIN_ID, text_contains="De nieuwe kennis", timeout=TIMEOUT)
    assert f"{first_line} (hersteld)" in (await say(server, CLEAR))["text"]
    notices = [m["text"] for m in server.sent_messages(ADMIN_ID)]
    assert sum("NIET" in t for t in notices) == 1  # the broken version is reported once


def _urgent_text_broken(text: str, how: str) -> str | None:
    """messages.yaml as a volunteer might leave it; None: the file is gone."""
    start = text.index("\nurgent: |-\n") + 1
    end = text.index("\nurgent_suicide: |-\n")
    block = text[start:end]
    broken = {
        "stray braces": block.replace("Bel meteen 112.", "Bel meteen 112. } {"),
        "doubled braces": block.replace("Bel meteen 112.", "Bel meteen 112 ({{email}})."),
        "unknown placeholder": block.replace("Bel meteen 112.", "Bel meteen {nummer}."),
        "numbers gone": block.replace("112", "het alarmnummer").replace("0800-0113", "113"),
        "empty": "urgent: ''",
        "key gone": "",
        "bad yaml": block + '\nurgent_extra: "niet afgesloten\n',
        "file gone": None,
    }[how]
    return None if broken is None else text[:start] + broken + text[end:]


@pytest.mark.bot_options(reload_seconds=0.2)
async def test_no_change_to_the_messages_keeps_112_and_113_from_someone_in_danger(running_bot):
    """Each broken messages.yaml is refused, the admins hear of it, and an emergency still
    gets the emergency reply, with 112 and 0800-0113."""
    server, application = running_bot
    await say(server, "/start", ADMIN_ID)
    path = application.bot_data["config"].knowledge_dir / "messages.yaml"
    original = path.read_text(encoding="utf-8")
    ways = ["stray braces", "doubled braces", "unknown placeholder", "numbers gone", "empty"]
    ways += ["key gone", "bad yaml", "file gone"]
    for count, how in enumerate(ways, 1):
        broken = _urgent_text_broken(original, how)
        if broken is None:
            path.unlink()
        else:
            write_atomically(path, broken)
        await server.wait_for_message(ADMIN_ID, text_contains="NIET", count=count, timeout=TIMEOUT)
        for message, reply_key in (
            (URGENT, "urgent_suicide"),
            ("ik heb 30 pillen geslikt", "urgent"),
        ):
            reply = await say(server, message)
            assert reply["text"] == desk(application).composer.message(reply_key), how
            assert "112" in reply["text"] and "0800-0113" in reply["text"], how
        write_atomically(path, original)


# -- failures --------------------------------------------------------------------------------


async def test_a_failing_handler_tells_the_user_and_the_bot_keeps_answering(
    running_bot, monkeypatch
):
    server, application = running_bot
    helpdesk = desk(application)
    respond = helpdesk.respond

    def failing(message: str, moment: datetime):
        if "boem" in message:
            raise RuntimeError("simulated failure in the core")
        return respond(message, moment)

    monkeypatch.setattr(helpdesk, "respond", failing)
    error = await say(server, "boem")
    assert error["text"] == helpdesk.composer.message("error")
    assert PHONE in error["text"] and helpdesk.knowledge.helpline.email in error["text"]
    answer = await say(server, CLEAR)
    assert starts_with_bold(answer, helpdesk.knowledge.by_id[CLEAR_ID].question)


async def test_a_failing_button_still_answers_the_callback(running_bot, monkeypatch):
    server, application = running_bot
    helpdesk = desk(application)

    def failing(faq_id: str, moment: datetime):
        raise RuntimeError("simulated failure in the core")

    first = await say(server, CLEAR)
    monkeypatch.setattr(helpdesk, "answer_for", failing)
    related = helpdesk.knowledge.by_id[CLEAR_ID].related[0]
    query, reply = await press(server, first, f"a:{related}")
    assert reply["text"] == helpdesk.composer.message("error")
    assert query["id"] in server.callback_answers


async def test_flood_control_is_waited_out(running_bot):
    server, application = running_bot
    server.fail_next("sendMessage", 429, retry_after=1)
    reply = await say(server, CLEAR)
    assert starts_with_bold(reply, desk(application).knowledge.by_id[CLEAR_ID].question)
    assert [f.error_code for f in server.failures] == [429]


async def test_the_bot_starts_even_when_the_command_menu_cannot_be_set(tmp_path):
    async with BotApiTestServer() as server:
        server.fail_next("setMyCommands", 500)
        async with bot_running(tmp_path, server=server):
            reply = await say(server, CLEAR)
    assert reply["text"].startswith("Hoeveel magnesium heb je per dag nodig?")


async def test_long_stats_are_split_into_valid_messages(running_bot):
    server, application = running_bot
    store = application.bot_data["store"]
    rng = random.Random(7)
    for i in range(40):  # forty different long questions: far beyond one message
        words = ("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(30))
        store.record_question(f"vraag{i} {' '.join(words)}", "referral", now(application))
    before = len(server.sent_messages(ADMIN_ID))
    server.user_sends_text("/stats", user_id=ADMIN_ID)
    await server.wait_until_consumed(timeout=TIMEOUT)
    await server.wait_for_message(ADMIN_ID, text_contains="Antwoorden:", timeout=TIMEOUT)
    parts = server.sent_messages(ADMIN_ID)[before:]
    assert server.failures == []
    assert len(parts) >= 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert all(p["entities"][0]["type"] == "pre" for p in parts)
    joined = "\n".join(p["text"] for p in parts)
    assert "Vragen zonder (zeker) antwoord: 40" in joined and "en nog 10 andere" in joined


async def test_an_edited_message_is_not_answered_again(running_bot):
    server, _ = running_bot
    asked = server.user_sends_text(OFF_TOPIC)
    await server.wait_for_message(USER, timeout=TIMEOUT)
    server.user_edits_message(asked, CLEAR)
    await server.wait_until_consumed(timeout=TIMEOUT)
    await asyncio.sleep(0.2)
    assert len(server.sent_messages(USER)) == 1


async def test_a_message_sent_during_an_outage_is_answered_afterwards(running_bot):
    server, application = running_bot
    server.go_offline()
    await eventually(lambda: server.failures, "a failed long poll")
    server.user_sends_text(CLEAR)
    await asyncio.sleep(0.3)
    server.go_online()
    reply = await server.wait_for_message(USER, timeout=TIMEOUT * 2)
    assert starts_with_bold(reply, desk(application).knowledge.by_id[CLEAR_ID].question)
    assert len(server.sent_messages(USER)) == 1


def old_button_press(server: BotApiTestServer, message: dict, data: str, inaccessible: bool):
    """A press Telegram delivers late (e.g. after a restart): the query can no longer be
    answered, and for an old message Telegram sends only its chat and id."""
    if inaccessible:
        message = {"chat": message["chat"], "message_id": message["message_id"], "date": 0}
    server.queue_update(
        {
            "callback_query": {
                "id": "4470000000000999999",
                "from": {"id": USER, "is_bot": False, "first_name": "Anna"},
                "chat_instance": "42",
                "message": message,
                "data": data,
            }
        }
    )


@pytest.mark.parametrize("inaccessible", [False, True], ids=["expired", "inaccessible"])
async def test_a_late_button_press_still_gets_its_answer(running_bot, inaccessible):
    server, application = running_bot
    d = desk(application)
    first = await say(server, CLEAR)
    related = d.knowledge.by_id[CLEAR_ID].related[0]
    (reply,) = await exchange(
        server, lambda: old_button_press(server, first, f"a:{related}", inaccessible)
    )
    assert starts_with_bold(reply, d.knowledge.by_id[related].question)
    (topics,) = await exchange(server, lambda: old_button_press(server, first, "tt", inaccessible))
    assert topics["text"] == d.composer.message("topics_intro")
    assert [f.method for f in server.failures] == ["answerCallbackQuery"] * 2


async def test_a_double_tap_on_a_topic_does_not_send_it_twice(running_bot):
    server, application = running_bot
    menu = await say(server, "/onderwerpen")
    first = server.user_presses_button(menu, "t:2")
    second = server.user_presses_button(menu, "t:2")
    await server.wait_until_consumed(timeout=TIMEOUT)
    await server.wait_for("answerCallbackQuery", count=2, timeout=TIMEOUT)
    await asyncio.sleep(0.2)
    assert first["id"] in server.callback_answers and second["id"] in server.callback_answers
    current = server.chat_history(USER)[-1]
    assert current["message_id"] == menu["message_id"]
    topic = desk(application).knowledge.topics[2]
    assert current["text"] == desk(application).composer.message(
        "topic_intro", onderwerp=topic.name
    )
    assert [m["message_id"] for m in server.sent_messages(USER)].count(menu["message_id"]) == 2
    assert len(server.sent_messages(USER)) == 2  # the menu and one edit; nothing sent anew
