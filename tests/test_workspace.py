"""The volunteers' workspace over HTTP: access, CSRF, drafts, publishing, conflicts and the
questions without an answer. Real files, a real SQLite store, the real core; the browser
tests (test_workspace_browser.py) drive the same pages as a person does."""

from __future__ import annotations

import asyncio
import html
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main as cli_main
from bot.config import load_config
from bot.workspace.auth import SESSION_SECONDS, TOKENS_FILE, Editor, LoginTokens, Sessions
from bot.workspace.changelists import ChangeLists
from bot.workspace.drafts import DEVELOPMENT_MESSAGES
from bot.workspace.yamledit import YamlDocument
from tests.conftest import ADMIN_ID, USER, exchange, say
from tests.harness import BOT_TIMEOUT, EVENING, copy_knowledge, env_without_token, run_bot
from tests.workspace_helpers import (
    EDITOR,
    Opened,
    base_of,
    csrf_of,
    free_port,
    log_in,
    workspace_running,
)

ENTRY = "lid-worden"
FILE = "faq/stichting.yaml"


@pytest.fixture
async def opened(tmp_path: Path):
    async with workspace_running(tmp_path) as o:
        yield o


async def edit_form(o: Opened, faq_id: str = ENTRY) -> tuple[str, dict[str, str]]:
    """The edit page and the fields its form would send unchanged."""
    response = await o.client.get(f"/vraag/{faq_id}")
    html = await response.text()
    assert response.status == 200
    item = YamlDocument(o.knowledge / FILE).entry(faq_id)
    data = {
        "csrf": csrf_of(html),
        "base": base_of(html),
        "file": FILE,
        "question": item["question"],
        "answer": item["answer"],
        "phrasings": "\n".join(item["phrasings"]),
        "examples": "\n".join(item.get("examples") or ()),
        "related": ", ".join(item.get("related") or ()),
        "source": item["source"],
        "reviewed": str(item.get("reviewed") or ""),
        "reviewed_by": item.get("reviewed_by") or "",
    }
    if item.get("doctor_advice"):
        data["doctor_advice"] = "ja"
    if item.get("opening_state"):
        data["opening_state"] = "ja"
    return html, data


# -- access ---------------------------------------------------------------------------------


def test_the_command_line_explains_the_workspace() -> None:
    done = run_bot("workspace", "--help")
    assert done.returncode == 0
    assert "werkplek" in done.stdout and "--port" in done.stdout


@pytest.mark.parametrize("path", ["/", f"/vraag/{ENTRY}", "/nieuw", "/vragen", "/probeer"])
async def test_without_a_session_only_the_login_explanation(opened: Opened, path: str) -> None:
    response = await opened.client.get(path, allow_redirects=False)
    html = await response.text()
    assert response.status == 401
    assert "/werkplek" in html and "Inloggen op de werkplek" in html
    assert 'name="answer"' not in html and "csrf" not in html


async def test_a_post_without_a_session_is_refused(opened: Opened) -> None:
    before = (opened.knowledge / FILE).read_text(encoding="utf-8")
    response = await opened.client.post(
        f"/vraag/{ENTRY}", data={"answer": "Overgenomen.", "action": "publiceer"}
    )
    assert response.status == 403
    assert (opened.knowledge / FILE).read_text(encoding="utf-8") == before


@pytest.mark.parametrize("csrf", [None, "", "verkeerd"])
async def test_a_post_without_the_csrf_token_is_refused(opened: Opened, csrf: str | None) -> None:
    await log_in(opened)
    _, data = await edit_form(opened)
    data.update(answer="Gewijzigd zonder geldig CSRF-token.", action="publiceer")
    if csrf is None:
        del data["csrf"]
    else:
        data["csrf"] = csrf
    before = (opened.knowledge / FILE).read_text(encoding="utf-8")
    response = await opened.client.post(f"/vraag/{ENTRY}", data=data, allow_redirects=False)
    assert response.status == 403
    assert "verlopen" in await response.text()
    assert (opened.knowledge / FILE).read_text(encoding="utf-8") == before


async def test_a_login_link_works_once_and_sets_a_safe_cookie(opened: Opened) -> None:
    token = opened.workspace.tokens.issue(EDITOR)
    # Opening the link (as a link preview would) does not use it up.
    page = await opened.client.get(f"/inloggen?token={token}")
    assert page.status == 200 and token in await page.text()
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = await opened.client.post("/inloggen", data={"token": token}, allow_redirects=False)
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age" in cookie
    assert (await opened.client.get("/")).status == 200
    again = await opened.client.post("/inloggen", data={"token": token}, allow_redirects=False)
    assert again.status == 403


async def test_a_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    async with workspace_running(tmp_path) as o:
        o.workspace.secure = True
        token = o.workspace.tokens.issue(EDITOR)
        response = await o.client.post("/inloggen", data={"token": token}, allow_redirects=False)
        assert "Secure" in response.headers["Set-Cookie"]


async def test_someone_who_is_no_editor_cannot_log_in(opened: Opened) -> None:
    token = opened.workspace.tokens.issue(Editor(999, "Onbekend"))
    response = await opened.client.post("/inloggen", data={"token": token})
    assert response.status == 403
    assert (await opened.client.get("/")).status == 401


def test_a_token_is_late_after_ten_minutes(tmp_path: Path) -> None:
    for path in (None, tmp_path / "tokens.sqlite3"):
        moment = [1000.0]
        tokens = LoginTokens(path, clock=lambda moment=moment: moment[0])
        late, fresh = tokens.issue(EDITOR), tokens.issue(EDITOR)
        moment[0] += 601
        assert tokens.redeem(late) is None
        moment[0] = 1000.0
        assert tokens.redeem(fresh) == EDITOR
        assert tokens.redeem(fresh) is None


def test_tokens_in_the_file_work_across_processes(tmp_path: Path) -> None:
    """The bot and ``python -m bot workspace`` are two processes: both open the file."""
    made_by_bot = LoginTokens(tmp_path / "tokens.sqlite3").issue(EDITOR)
    assert LoginTokens(tmp_path / "tokens.sqlite3").redeem(made_by_bot) == EDITOR
    assert "hash" not in made_by_bot and made_by_bot not in (
        tmp_path / "tokens.sqlite3"
    ).read_bytes().decode("latin-1")


async def test_logging_out_ends_the_session(opened: Opened) -> None:
    await log_in(opened)
    html = await (await opened.client.get("/")).text()
    response = await opened.client.post("/uitloggen", data={"csrf": csrf_of(html)})
    assert "uitgelogd" in await response.text()
    assert (await opened.client.get("/")).status == 401


def test_settings_for_the_workspace() -> None:
    config, problems = load_config(
        {
            "EDITOR_CHAT_IDS": "12, 34",
            "ADMIN_CHAT_IDS": "56",
            "WORKSPACE_URL": "http://voorbeeld.nl",
        },
        env_file=None,
    )
    assert config.editors == {12, 34, 56}
    assert any("WORKSPACE_URL" in p for p in problems)
    config, problems = load_config(
        {"WORKSPACE_URL": "https://voorbeeld.nl/werkplek/"}, env_file=None
    )
    assert config.workspace_url == "https://voorbeeld.nl/werkplek"
    assert config.workspace_listen == "127.0.0.1" and not problems


# -- editing and publishing -------------------------------------------------------------------


async def test_publishing_changes_only_the_answer_and_records_who(opened: Opened) -> None:
    await log_in(opened)
    before = (opened.knowledge / FILE).read_text(encoding="utf-8")
    _, data = await edit_form(opened)
    new_answer = data["answer"] + "\nMail gerust naar {email}."
    data.update(answer=new_answer, action="publiceer")
    response = await opened.client.post(f"/vraag/{ENTRY}", data=data, allow_redirects=False)
    assert response.status == 303, await response.text()
    after = (opened.knowledge / FILE).read_text(encoding="utf-8")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ["      Mail gerust naar {email}."]
    assert YamlDocument(opened.knowledge / FILE).entry(ENTRY)["answer"] == new_answer
    (record,) = (opened.workspace.history / "geschiedenis.jsonl").read_text().splitlines()
    entry = json.loads(record)
    assert entry["who"] == EDITOR.label and entry["file"] == FILE
    assert "+      Mail gerust naar {email}." in entry["diff"]
    assert not list((opened.knowledge / "faq").glob(".*tmp"))
    # The workspace answers from the published knowledge from now on, as the bot does.
    tried = await opened.client.get(
        "/probeer", params={"vraag": "hoe word ik lid", "formaat": "json"}
    )
    assert "Mail gerust naar" in (await tried.json())["reply"]


async def test_the_preview_fills_in_the_placeholders(opened: Opened) -> None:
    await log_in(opened)
    _, data = await edit_form(opened)
    data.update(answer="Mail ons op {email}.", action="controleer")
    html = await (await opened.client.post(f"/vraag/{ENTRY}", data=data)).text()
    email = opened.workspace.live.knowledge.helpline.email
    assert f"Mail ons op {email}." in html
    assert "<b>Hoe word ik lid van de stichting?</b>" in html


async def test_a_draft_with_errors_is_refused_at_its_field(opened: Opened) -> None:
    await log_in(opened)
    before = (opened.knowledge / FILE).read_text(encoding="utf-8")
    _, data = await edit_form(opened)
    data.update(answer="Mail naar {mail}.", related="bestaat-niet", action="publiceer")
    response = await opened.client.post(f"/vraag/{ENTRY}", data=data)
    html = await response.text()
    assert response.status == 200
    assert "Niet gepubliceerd" in html
    assert 'id="probleem-answer-1"' in html and "{mail}" in html
    assert 'id="probleem-related-1"' in html and "bestaat-niet" in html
    assert (opened.knowledge / FILE).read_text(encoding="utf-8") == before


async def test_a_conflicting_edit_is_refused_and_shows_the_other_change(opened: Opened) -> None:
    await log_in(opened)
    _, data = await edit_form(opened)
    path = opened.knowledge / FILE
    theirs = path.read_text(encoding="utf-8").replace(
        "question: Hoe word ik lid van de stichting?", "question: Hoe word ik lid?"
    )
    path.write_text(theirs, encoding="utf-8")
    data.update(answer="Mijn eigen versie.", action="publiceer")
    response = await opened.client.post(f"/vraag/{ENTRY}", data=data)
    html = await response.text()
    assert response.status == 409
    assert "intussen veranderd" in html
    assert "+    question: Hoe word ik lid?" in html
    assert path.read_text(encoding="utf-8") == theirs


async def test_a_new_entry_is_added_to_its_topic(opened: Opened) -> None:
    await log_in(opened)
    html = await (await opened.client.get("/nieuw?vraag=vrijwilliger worden")).text()
    data = {
        "csrf": csrf_of(html),
        "base": base_of(html),
        "file": FILE,
        "id": "vrijwilliger-worden",
        "question": "Kan ik vrijwilliger worden?",
        "answer": "Mail ons op {email}.",
        "phrasings": "vrijwilliger worden\nals vrijwilliger meehelpen",
        "source": "Artikel 'Magnesium en RLS', deel 'Lid worden'",
        "reviewed": "2026-11-25",
        "action": "publiceer",
    }
    response = await opened.client.post("/nieuw", data=data, allow_redirects=False)
    assert response.status == 303, await response.text()
    added = YamlDocument(opened.knowledge / FILE).entry("vrijwilliger-worden")
    assert added["question"] == "Kan ik vrijwilliger worden?"
    assert "\n\n  - id: vrijwilliger-worden\n" in (opened.knowledge / FILE).read_text(
        encoding="utf-8"
    )


async def test_publishing_in_a_git_repository_commits(opened: Opened) -> None:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(opened.knowledge), *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "begin")
    await log_in(opened)
    _, data = await edit_form(opened)
    data.update(answer=data["answer"] + "\nNog een zin.", action="publiceer")
    response = await opened.client.post(f"/vraag/{ENTRY}", data=data, allow_redirects=False)
    assert response.status == 303
    log = git("log", "-1", "--format=%an|%s")
    assert log.strip() == f"{EDITOR.name}|Werkplek: vraag '{ENTRY}' in {FILE}"
    assert git("status", "--porcelain") == ""


# -- trying --------------------------------------------------------------------------------


async def test_probeer_answers_as_ask_json(opened: Opened) -> None:
    await log_in(opened)
    question = "hoeveel magnesium heb ik per dag nodig"
    response = await opened.client.get("/probeer", params={"vraag": question, "formaat": "json"})
    shown = await response.json()
    done = run_bot(
        "ask",
        "--json",
        "--knowledge",
        str(opened.knowledge),
        "--now",
        EVENING.isoformat(),
        question,
    )
    assert done.returncode == 0, done.stderr
    assert shown == json.loads(done.stdout)
    # The page shows that same reply, as the chat does (the bold title, then the body).
    page = await (await opened.client.get("/probeer", params={"vraag": question})).text()
    bubble = re.search(r'<div class="bubble"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert html.unescape(re.sub(r"</?b>", "", bubble)).startswith(shown["reply"])
    assert f'data-faq-id="{shown["faq_id"]}"' in page


async def test_trying_a_draft_shows_it_beside_the_bot_now(opened: Opened) -> None:
    await log_in(opened)
    _, data = await edit_form(opened)
    data.update(answer="Een heel nieuw antwoord.", probeer="hoe word ik lid", action="probeer")
    html = await (await opened.client.post(f"/vraag/{ENTRY}", data=data)).text()
    draft, live = html.split('id="probeer-nieuw"')[1].split('id="probeer-nu"')
    assert "Een heel nieuw antwoord." in draft and "Een heel nieuw antwoord." not in live
    assert "Al voor € 25 per jaar" in live


async def test_checking_lists_the_messages_that_change_answer(tmp_path: Path) -> None:
    async with workspace_running(tmp_path, DEVELOPMENT_MESSAGES) as opened:
        await _lists_the_messages_that_change_answer(opened)


async def changes_of(opened: Opened, html: str) -> str:
    """The list of changed answers: on the checked page, or at the address it gives."""
    follow = re.search(r'data-volgt="([^"]+)"', html)
    if follow is None:
        return html.split('id="wat-verandert"')[1]
    assert f'href="{follow.group(1)}"' in html  # without scripts, a link to the list
    response = await opened.client.get(follow.group(1))
    assert response.status == 200
    return (await response.text()).split('id="wat-verandert"')[1]


async def test_a_long_list_of_changes_follows_the_checked_page(opened: Opened) -> None:
    opened.workspace.changes_wait = 0.0  # the page never waits for the list
    await log_in(opened)
    _, data = await edit_form(opened)
    data.update(phrasings="lidmaatschap", examples="", action="controleer")
    html = await (await opened.client.post(f"/vraag/{ENTRY}", data=data)).text()
    assert "data-volgt=" in html and 'id="gecontroleerd"' in html
    listed = await changes_of(opened, html)
    assert "antwoord &#39;lid-worden&#39;" in listed and "voorbeeld bij" in listed
    gone = await opened.client.get("/veranderingen/" + "0" * 32)
    assert gone.status == 404 and "Controleer" in await gone.text()


async def test_a_newer_check_drops_the_list_nobody_waits_for() -> None:
    """A volunteer checks twice while another list is being made: the first of the two
    never runs, the second does."""
    lists, gate, ran = ChangeLists(), threading.Event(), []

    def busy() -> list:
        gate.wait(5)
        ran.append("busy")
        return []

    def named(name: str):
        return lambda: ran.append(name) or []

    lists.start("busy", busy, place="someone else:faq/a.yaml")
    lists.start("first", named("first"), place="me:faq/b.yaml")
    lists.start("second", named("second"), place="me:faq/b.yaml")
    gate.set()
    assert await lists.wait("second", 5) == []
    assert await lists.wait("first", 0) is None
    assert ran == ["busy", "second"]


async def _lists_the_messages_that_change_answer(opened: Opened) -> None:
    await log_in(opened)
    _, data = await edit_form(opened)
    data.update(phrasings="lidmaatschap", examples="", action="controleer")
    html = await (await opened.client.post(f"/vraag/{ENTRY}", data=data)).text()
    table = (await changes_of(opened, html)).split('id="veranderingen"')[1]
    assert "antwoord &#39;lid-worden&#39;" in table
    assert "testset dev" in table and "heldout" not in table


# -- questions without an answer ---------------------------------------------------------------


async def test_a_stored_question_becomes_a_phrasing(opened: Opened) -> None:
    question = "hoe meld ik me aan als vrijwilliger bij de stichting"
    opened.store.record_question(question, "referral", EVENING)
    opened.store.record_question(question + "?", "referral", EVENING)
    await log_in(opened)
    html = await (await opened.client.get("/vragen")).text()
    assert question in html
    response = await opened.client.post(
        "/vragen",
        data={"csrf": csrf_of(html), "text": question, "entry": ENTRY, "action": "formulering"},
    )
    assert "staat nu bij" in await response.text()
    assert question in YamlDocument(opened.knowledge / FILE).entry(ENTRY)["phrasings"]
    assert opened.store.questions() == []


async def test_a_stored_question_starts_a_new_entry(opened: Opened) -> None:
    opened.store.record_question("is er een ledenpas", "referral", EVENING)
    await log_in(opened)
    html_ = await (await opened.client.get("/vragen")).text()
    response = await opened.client.post(
        "/vragen", data={"csrf": csrf_of(html_), "text": "is er een ledenpas", "action": "nieuw"}
    )
    page = await response.text()
    assert response.url.path == "/nieuw"
    assert 'value="is er een ledenpas"' in page and "Nieuwe vraag" in page


async def test_a_stored_question_goes_to_out_of_scope_or_away(opened: Opened) -> None:
    opened.store.record_question("helpt ijzer bij rls in de winter", "referral", EVENING)
    opened.store.record_question("wat kost een taxi naar de neuroloog", "clarify", EVENING)
    await log_in(opened)
    html = await (await opened.client.get("/vragen")).text()
    csrf = csrf_of(html)
    await opened.client.post(
        "/vragen",
        data={"csrf": csrf, "text": "helpt ijzer bij rls in de winter", "action": "buiten"},
    )
    scope = YamlDocument(opened.knowledge / "out_of_scope.yaml").data["phrasings"]
    assert scope[-1] == "helpt ijzer bij rls in de winter"
    await opened.client.post(
        "/vragen",
        data={"csrf": csrf, "text": "wat kost een taxi naar de neuroloog", "action": "verwijder"},
    )
    assert opened.store.questions() == []


def test_every_knowledge_file_the_workspace_writes_survives_a_round_trip() -> None:
    from bot.loader import DEFAULT_KNOWLEDGE_DIR

    for path in [
        *sorted((DEFAULT_KNOWLEDGE_DIR / "faq").glob("*.yaml")),
        DEFAULT_KNOWLEDGE_DIR / "out_of_scope.yaml",
    ]:
        document = YamlDocument(path)
        assert document.dump() == document.original, path


def test_cli_main_knows_the_workspace() -> None:
    with pytest.raises(SystemExit) as exit_:
        cli_main(["workspace", "--help"])
    assert exit_.value.code == 0


# -- /werkplek on Telegram --------------------------------------------------------------------

LOCAL_WORKSPACE = {
    "EDITOR_CHAT_IDS": str(USER),
    "WORKSPACE_URL": "http://127.0.0.1:9",
    "WORKSPACE_BESIDE_BOT": "nee",  # no server needed here: the link is what is tested
}


@pytest.mark.bot_options(settings=LOCAL_WORKSPACE)
async def test_an_editor_gets_a_one_time_link_without_preview(running_bot) -> None:
    server, application = running_bot
    reply = await say(server, "/werkplek")
    (link,) = re.findall(r"http://127\.0\.0\.1:9/inloggen\?token=(\S+)", reply["text"])
    call = next(c for c in server.calls_of("sendMessage") if "inloggen" in c.params["text"])
    assert call.params["link_preview_options"]["is_disabled"] is True
    config = application.bot_data["config"]
    # The workspace runs as its own process here: both open the file beside the database.
    tokens = LoginTokens(config.database.parent / TOKENS_FILE)
    assert tokens.redeem(link) == Editor(USER, "Anna")  # the test server's user
    assert tokens.redeem(link) is None


@pytest.mark.bot_options(settings=LOCAL_WORKSPACE)
async def test_werkplek_is_only_for_editors_in_a_private_chat(running_bot) -> None:
    server, application = running_bot
    messages = application.bot_data["holder"].current.composer
    reply = await say(server, "/werkplek", user_id=USER + 1)
    assert reply["text"] == messages.message("workspace_not_editor")
    group = await exchange(
        server,
        lambda: server.user_sends_text("/werkplek", USER, chat_id=-1001, chat_type="supergroup"),
        -1001,
    )
    assert group[0]["text"] == messages.message("workspace_private_only")


async def test_werkplek_says_when_the_workspace_is_off(running_bot) -> None:
    server, application = running_bot
    reply = await say(server, "/werkplek", user_id=ADMIN_ID)  # admins are editors too
    assert reply["text"] == application.bot_data["holder"].current.composer.message("workspace_off")


async def test_the_workspace_runs_on_its_own_with_links_from_the_bot(tmp_path: Path) -> None:
    """``python -m bot workspace`` as its own process: a token the bot (another process)
    wrote into the shared file logs the editor in."""
    knowledge = copy_knowledge(tmp_path / "knowledge")
    data = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = env_without_token(
        EDITOR_CHAT_IDS=str(EDITOR.user_id),
        DATABASE_PATH=str(data / "q.sqlite3"),
        KNOWLEDGE_DIR=str(knowledge),
        WORKSPACE_URL=url,
        WORKSPACE_PORT=str(port),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "workspace",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        started = await asyncio.wait_for(process.stdout.readline(), BOT_TIMEOUT)
        assert f"http://127.0.0.1:{port}" in started.decode(), started
        token = LoginTokens(data / TOKENS_FILE).issue(EDITOR)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.get(f"{url}/vraag/{ENTRY}") as before:
                assert before.status == 401
            async with http.post(f"{url}/inloggen", data={"token": token}) as login:
                assert login.status == 200
                assert "Vragen en antwoorden" in await login.text()
            async with http.get(f"{url}/vraag/{ENTRY}") as after:
                assert after.status == 200 and 'name="answer"' in await after.text()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), BOT_TIMEOUT)


def test_a_session_expires_after_a_working_day() -> None:
    moment = [0.0]
    sessions = Sessions(clock=lambda: moment[0])
    session_id = sessions.start(EDITOR)
    moment[0] = SESSION_SECONDS - 1
    assert sessions.get(session_id).editor == EDITOR
    moment[0] = SESSION_SECONDS
    assert sessions.get(session_id) is None


async def test_an_unknown_entry_is_not_found(opened: Opened) -> None:
    await log_in(opened)
    response = await opened.client.get("/vraag/bestaat-niet")
    assert response.status == 404 and "Niet gevonden" in await response.text()
