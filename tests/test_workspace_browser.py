"""The workspace as a volunteer uses it: a real headless Chromium, driven by Playwright,
against the real bot (on the Bot API test server) with the workspace beside it.

One browser per module; each test has its own bot, knowledge copy and browser context.
Screenshots of the main pages go to build/screenshots/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.workspace.yamledit import YamlDocument
from tests.botapi_server import BotApiTestServer
from tests.conftest import USER, say
from tests.harness import ROOT, bot_running
from tests.workspace_helpers import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "build" / "screenshots"
FILE = "faq/stichting.yaml"
ENTRY = "lid-worden"
LINK = re.compile(r"https?://\S+")
WAIT_MS = 15_000
LIST_WAIT_MS = 120_000  # every development message answered twice, on a slow machine

pytestmark = [
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)",
    ),
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Desk:
    """The bot with its workspace, and a browser page for one volunteer."""

    server: BotApiTestServer
    knowledge: Path
    page: object
    url: str

    async def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@asynccontextmanager
async def workspace_desk(browser, tmp_path: Path) -> AsyncIterator[Desk]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {"EDITOR_CHAT_IDS": str(USER), "WORKSPACE_URL": url, "WORKSPACE_PORT": str(port)}
    async with bot_running(tmp_path, reload_seconds=0.2, settings=settings) as running:
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
        context.set_default_timeout(WAIT_MS)
        try:
            page = await context.new_page()
            yield Desk(running.server, running.config.knowledge_dir, page, url)
        finally:
            await context.close()


async def log_in_from_the_bot(desk: Desk) -> None:
    """As a volunteer does: /werkplek in the private chat, open the link, press the button."""
    reply = await say(desk.server, "/werkplek")
    (link,) = LINK.findall(reply["text"])
    assert link.startswith(desk.url + "/inloggen?token=")
    await desk.page.goto(link)
    await desk.page.get_by_role("button", name="Inloggen").click()
    await desk.page.get_by_role("heading", name="Vragen en antwoorden").wait_for()


async def open_entry(desk: Desk, question: str) -> None:
    await desk.page.get_by_role("link", name=question).click()
    await desk.page.get_by_role("heading", name="Vraag bewerken").wait_for()


async def test_edit_preview_publish_and_the_bot_answers_anew(browser, tmp_path: Path) -> None:
    async with workspace_desk(browser, tmp_path) as desk:
        await log_in_from_the_bot(desk)
        await desk.shot("overzicht")
        await open_entry(desk, "Hoe word ik lid van de stichting?")
        answer = desk.page.get_by_label("Antwoord", exact=True)
        await answer.fill("Word lid voor € 25 per jaar. Mail ons op {email}.")
        await desk.page.get_by_role("button", name="Controleer").click()
        await desk.page.locator("#gecontroleerd").wait_for()
        preview = desk.page.locator("aside .bubble").first
        assert "Mail ons op ervaringsdeskundige@" in await preview.inner_text()
        # The list of changed answers follows the page; the script puts it in place.
        await desk.page.locator("#wat-verandert #veranderingen").wait_for(timeout=LIST_WAIT_MS)
        listed = await desk.page.locator("#wat-verandert").inner_text()
        assert "een ander antwoord" in listed and "zoekt nog uit" not in listed
        await desk.page.get_by_label("Probeer een vraag").fill("hoe word ik lid")
        await desk.page.get_by_label("Probeer een vraag").press("Enter")
        await desk.page.locator("#probeer-nieuw .bubble").wait_for()
        assert (
            "Word lid voor € 25 per jaar"
            in await desk.page.locator("#probeer-nieuw .bubble").inner_text()
        )
        assert (
            "Al voor € 25 per jaar" in await desk.page.locator("#probeer-nu .bubble").inner_text()
        )
        await desk.shot("bewerken")
        # At 200% zoom a laptop's 1280 pixels are 640: one column, nothing cut off.
        await desk.page.set_viewport_size({"width": 640, "height": 900})
        width = await desk.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 640, f"the edit page is {width} pixels wide at 200% zoom"
        await desk.shot("bewerken-200procent")
        await desk.page.set_viewport_size({"width": 1280, "height": 900})
        await desk.page.get_by_role("button", name="Publiceer").click()
        await desk.page.get_by_text("Gepubliceerd:").wait_for()
        assert "Mail ons op {email}." in (desk.knowledge / FILE).read_text(encoding="utf-8")

        async def answered_anew() -> bool:
            reply = await say(desk.server, "hoe word ik lid")
            return "Word lid voor € 25 per jaar." in reply["text"]

        for _ in range(50):  # the bot's watcher reloads within 0.2 s; allow ten seconds
            if await answered_anew():
                break
        else:
            raise AssertionError("the bot never answered with the published text")
        # Probeer, with the keyboard only: the bot in use now gives the published answer.
        await desk.page.get_by_role("link", name="Probeer de bot").focus()
        await desk.page.keyboard.press("Enter")
        await desk.page.get_by_label("Vraag").fill("hoe word ik lid")
        await desk.page.keyboard.press("Enter")
        bubble = desk.page.locator(".bubble")
        await bubble.wait_for()
        assert "Word lid voor € 25 per jaar." in await bubble.inner_text()
        await desk.shot("probeer")


async def test_a_broken_draft_is_refused_at_its_field(browser, tmp_path: Path) -> None:
    async with workspace_desk(browser, tmp_path) as desk:
        await log_in_from_the_bot(desk)
        before = (desk.knowledge / FILE).read_text(encoding="utf-8")
        await open_entry(desk, "Hoe word ik lid van de stichting?")
        await desk.page.get_by_label("Antwoord", exact=True).fill("Mail naar {mail}.")
        await desk.page.get_by_role("button", name="Publiceer").click()
        await desk.page.locator("#geweigerd").wait_for()
        problem = desk.page.locator("#probleem-answer-1")
        assert "{mail}" in await problem.inner_text()
        described = await desk.page.get_by_label("Antwoord", exact=True).get_attribute(
            "aria-describedby"
        )
        assert "probleem-answer-1" in described
        await desk.shot("fout-bij-het-veld")
        assert (desk.knowledge / FILE).read_text(encoding="utf-8") == before


async def test_a_conflicting_edit_is_refused(browser, tmp_path: Path) -> None:
    async with workspace_desk(browser, tmp_path) as desk:
        await log_in_from_the_bot(desk)
        await open_entry(desk, "Hoe word ik lid van de stichting?")
        path = desk.knowledge / FILE
        ours = path.read_text(encoding="utf-8")
        theirs = ours.replace("Dan helpen we je verder.", "Inschrijven kan op de website.")
        assert theirs != ours
        path.write_text(theirs, encoding="utf-8")  # a colleague published meanwhile
        await desk.page.get_by_label("Antwoord", exact=True).fill("Mijn versie.")
        await desk.page.get_by_role("button", name="Publiceer").click()
        conflict = desk.page.locator("#conflict")
        await conflict.wait_for()
        assert "Inschrijven kan op de website." in await conflict.inner_text()
        await desk.shot("conflict")
        assert path.read_text(encoding="utf-8") == theirs


async def test_a_stored_question_becomes_a_phrasing(browser, tmp_path: Path) -> None:
    question = "is er een ledenpas"
    async with workspace_desk(browser, tmp_path) as desk:
        first = await say(desk.server, question)
        assert not first["text"].startswith("Hoe word ik lid")  # referred: stored
        await log_in_from_the_bot(desk)
        await desk.page.get_by_role("link", name="Vragen zonder antwoord").click()
        section = desk.page.locator("section.question", has_text=question)
        await section.wait_for()
        await desk.shot("vragen-zonder-antwoord")
        await section.get_by_label("Formulering van").select_option(
            label="Hoe word ik lid van de stichting?"
        )
        await section.get_by_role("button", name="Toevoegen").click()
        await desk.page.locator("#melding", has_text="staat nu bij").wait_for()
        phrasings = YamlDocument(desk.knowledge / FILE).entry(ENTRY)["phrasings"]
        assert question in phrasings
        assert await desk.page.locator("section.question", has_text=question).count() == 0
        for _ in range(50):
            reply = await say(desk.server, question)
            if reply["text"].startswith("Hoe word ik lid van de stichting?"):
                break
        else:
            raise AssertionError("the bot never answered the question with the entry")


async def test_without_session_or_csrf_nothing_changes(browser, tmp_path: Path) -> None:
    async with workspace_desk(browser, tmp_path) as desk:
        before = (desk.knowledge / FILE).read_text(encoding="utf-8")
        await desk.page.goto(f"{desk.url}/vraag/{ENTRY}")
        await desk.page.get_by_role("heading", name="Inloggen op de werkplek").wait_for()
        assert await desk.page.locator("textarea").count() == 0
        await desk.shot("inloggen")
        refused = await desk.page.request.post(
            f"{desk.url}/vraag/{ENTRY}", form={"answer": "Van buiten.", "action": "publiceer"}
        )
        assert refused.status == 403
        await log_in_from_the_bot(desk)
        without_csrf = await desk.page.request.post(
            f"{desk.url}/vraag/{ENTRY}", form={"answer": "Zonder token.", "action": "publiceer"}
        )
        assert without_csrf.status == 403
        assert "verlopen" in await without_csrf.text()
        assert (desk.knowledge / FILE).read_text(encoding="utf-8") == before
