"""The workspace's web server: aiohttp with Jinja2 pages, on the bot's own event loop.

Every page but the login explanation needs a session; every form carries the session's
CSRF token. Drafts are never stored: the form is the draft, and each action (check, try,
publish) loads the knowledge with the draft applied, exactly as the bot would.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import jinja2
from aiohttp import web

from bot.checks import extra_checks
from bot.cli import reply_json
from bot.core import Helpdesk
from bot.holder import HelpdeskHolder, fingerprint
from bot.knowledge import Entry
from bot.loader import load_knowledge
from bot.problems import Problem, Severity
from bot.replies import Reply
from bot.report import group_questions
from bot.store import QuestionStore
from bot.telegram.render import reply_keyboard, to_html
from bot.workspace.auth import SESSION_SECONDS, Editor, LoginTokens, Session, Sessions, csrf_ok
from bot.workspace.changelists import ChangeLists
from bot.workspace.drafts import (
    DEVELOPMENT_MESSAGES,
    ChangedAnswer,
    Evaluation,
    LiveAnswers,
    changed_answers,
    evaluate,
)
from bot.workspace.publish import Conflict, Versions, other_change, publish
from bot.workspace.yamledit import EntryForm, YamlDocument, digest

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
WRITE_FAILED = (
    "Het bestand kon niet worden opgeslagen. Vraag een beheerder of de map met de kennis "
    "beschrijfbaar is; er is niets veranderd."
)
COOKIE = "werkplek_sessie"
CHANGES_ON_THE_PAGE_SECONDS = 1.5  # longer, and the page comes first and the list follows
CHANGES_FOLLOW_SECONDS = 120.0  # the most the page with the list waits for it
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SPLIT_IDS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class ChatView:
    """A reply as Telegram shows it: the HTML of the message and the texts of its buttons."""

    html: str
    buttons: tuple[str, ...]
    json: dict[str, Any] = field(default_factory=dict)


def chat_view(reply: Reply, helpdesk: Helpdesk, question: str = "") -> ChatView:
    keyboard = reply_keyboard(reply, helpdesk.composer)
    buttons = tuple(b.text for row in (keyboard.inline_keyboard if keyboard else ()) for b in row)
    return ChatView(to_html(reply), buttons, probe_json(question, reply) if question else {})


def probe_json(question: str, reply: Reply) -> dict[str, Any]:
    """The same contract as ``python -m bot ask --json``."""
    return reply_json(question, reply)


def relative_file(entry: Entry) -> str:
    """'knowledge/faq/x.yaml' (as problems name it) → 'faq/x.yaml' inside the folder."""
    return Path(*Path(entry.file).parts[1:]).as_posix()


class Workspace:
    """Everything the pages need; ``holder`` is the bot's own when started beside it."""

    def __init__(
        self,
        knowledge: Path,
        holder: HelpdeskHolder,
        tokens: LoginTokens,
        editors: frozenset[int],
        store: QuestionStore | None = None,
        public_url: str | None = None,
        history: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        own_holder: bool = False,
        development: Path | None = DEVELOPMENT_MESSAGES,
    ) -> None:
        self.knowledge = Path(knowledge)
        self.development = development  # the test set's development messages, if present
        self.holder = holder
        self.tokens = tokens
        self.editors = editors
        self.store = store
        self.root = urlparse(public_url).path.rstrip("/") if public_url else ""
        self.secure = bool(public_url and public_url.startswith("https://"))
        self.history = history or self.knowledge.parent / "werkplek-geschiedenis"
        self.clock = clock or (lambda: datetime.now(UTC))
        self.own_holder = own_holder
        self.sessions = Sessions()
        self.versions = Versions()
        self.live_answers = LiveAnswers()
        self.change_lists = ChangeLists()
        self.changes_wait = CHANGES_ON_THE_PAGE_SECONDS
        self._lock = asyncio.Lock()  # one publication at a time
        self._checked: tuple[Any, dict[str, list[Problem]]] | None = None
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
        )

    # -- the application ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers, self._guard], client_max_size=1 << 20)
        app.add_routes(
            [
                web.get("/", self.overview),
                web.get("/inloggen", self.login_page),
                web.post("/inloggen", self.login),
                web.post("/uitloggen", self.logout),
                web.get("/vraag/{faq_id}", self.edit_page),
                web.post("/vraag/{faq_id}", self.edit_action),
                web.get("/nieuw", self.new_page),
                web.post("/nieuw", self.new_action),
                web.get("/veranderingen/{key}", self.changes_page),
                web.get("/probeer", self.probe_page),
                web.get("/vragen", self.questions_page),
                web.post("/vragen", self.questions_action),
                web.static("/static", HERE / "static"),
            ]
        )
        return app

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # The login link holds a token: never send it on in a Referer header.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """No session: the login explanation only. A form without its CSRF token: refused."""
        if request.path in ("/inloggen",) or request.path.startswith("/static/"):
            return await handler(request)
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            status = 401 if request.method == "GET" else 403
            return self.page("login.html", status=status, request=request)
        if request.method == "POST":
            form = await request.post()
            sent = form.get("csrf")
            if not csrf_ok(session, sent if isinstance(sent, str) else None):
                return self.page("refused.html", status=403, request=request, session=session)
        if self.own_holder:  # reads the files again only when they changed
            await self.holder.reload_in_background()
        return await handler(request)

    def page(
        self,
        name: str,
        status: int = 200,
        request: web.Request | None = None,
        session: Session | None = None,
        **values: Any,
    ) -> web.Response:
        if session is None and request is not None:
            session = self.sessions.get(request.cookies.get(COOKIE))
        html = self.templates.get_template(name).render(
            root=self.root, session=session, editor=session.editor if session else None, **values
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def redirect(self, path: str) -> web.HTTPSeeOther:
        return web.HTTPSeeOther(self.root + path)

    def editor_of(self, request: web.Request) -> Editor:
        """The editor of a request that passed the guard."""
        session = self.sessions.get(request.cookies.get(COOKIE))
        assert session is not None
        return session.editor

    @property
    def live(self) -> Helpdesk:
        return self.holder.current

    def now(self) -> datetime:
        return self.clock()

    # -- logging in and out -------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.Response:
        # Opening the link only shows a button: link previews (Telegram's too) fetch the
        # address, and must not use the token up.
        return self.page("login.html", request=request, token=request.query.get("token", ""))

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = form.get("token")
        editor = self.tokens.redeem(token) if isinstance(token, str) and token else None
        if editor is None or editor.user_id not in self.editors:
            return self.page("login.html", status=403, request=request, failed=True)
        response = self.redirect("/")
        response.set_cookie(
            COOKIE,
            self.sessions.start(editor),
            httponly=True,
            secure=self.secure,
            samesite="Lax",
            path=self.root or "/",
            max_age=int(SESSION_SECONDS),
        )
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        self.sessions.end(request.cookies.get(COOKIE))
        response = self.page("login.html", request=None, logged_out=True)
        response.del_cookie(COOKIE, path=self.root or "/")
        return response

    # -- overview -----------------------------------------------------------------------------

    async def live_problems(self) -> dict[str, list[Problem]]:
        """The check's problems of the knowledge in use, per entry (cached per version)."""
        seen = fingerprint(self.knowledge)
        if self._checked is None or self._checked[0] != seen:

            def check() -> dict[str, list[Problem]]:
                result = load_knowledge(self.knowledge)
                problems = [*result.problems, *extra_checks(result, now=self.now())]
                per_entry: dict[str, list[Problem]] = {}
                for entry in self.live.knowledge.entries:
                    for p in problems:
                        if p.file == entry.file and p.line == entry.line:
                            per_entry.setdefault(entry.id, []).append(p)
                return per_entry

            self._checked = (seen, await asyncio.to_thread(check))
        return self._checked[1]

    async def overview(self, request: web.Request) -> web.Response:
        knowledge = self.live.knowledge
        stats = {}
        if self.store is not None:
            rows = await asyncio.to_thread(self.store.entry_stats)
            stats = {s.faq_id: s for s in rows}
        problems = await self.live_problems()
        return self.page(
            "overview.html",
            request=request,
            topics=knowledge.topics,
            by_id=knowledge.by_id,
            stats=stats,
            problems=problems,
            published=request.query.get("gepubliceerd", ""),
        )

    # -- trying the bot as it is --------------------------------------------------------------

    async def probe_page(self, request: web.Request) -> web.StreamResponse:
        question = request.query.get("vraag", "").strip()
        view = None
        if question:
            desk = self.live
            view = chat_view(desk.respond(question, self.now()), desk, question)
            if request.query.get("formaat") == "json":
                return web.json_response(view.json, dumps=_dumps)
        return self.page("probe.html", request=request, question=question, view=view)

    # -- editing an entry ---------------------------------------------------------------------

    def _open(self, relative: str, base: str | None = None) -> tuple[YamlDocument, str]:
        """The file as the form saw it (``base``), or as it is now; and the current version.

        A version is 'file:digest', so a new entry whose topic was changed in the form
        starts from the file now chosen instead of reporting a conflict."""
        path = self.knowledge / relative
        current = path.read_text(encoding="utf-8")
        self.versions.remember(current)
        seen = self.versions.text(base.partition(":")[2]) if base else None
        return YamlDocument(
            path, seen if seen is not None else current
        ), f"{relative}:{digest(current)}"

    async def edit_page(self, request: web.Request) -> web.Response:
        entry = self.live.knowledge.by_id.get(request.match_info["faq_id"])
        if entry is None:
            return self.page("missing.html", status=404, request=request)
        relative = relative_file(entry)
        doc, version = self._open(relative)
        item = doc.entry(entry.id)
        form = EntryForm.from_yaml(item) if item is not None else EntryForm(entry.id)
        return await self._edit(request, form, relative, version, new=False, evaluate_now=False)

    async def new_page(self, request: web.Request) -> web.Response:
        question = request.query.get("vraag", "").strip()
        form = EntryForm(
            id="",
            question=question,
            phrasings=(question,) if question else (),
            reviewed=date.today().isoformat(),
            reviewed_by=self.editor_of(request).name,
        )
        files = self.topic_files()
        relative = files[0][0] if files else "faq/nieuw.yaml"
        _, version = self._open(relative)
        return await self._edit(request, form, relative, version, new=True, evaluate_now=False)

    def topic_files(self) -> list[tuple[str, str]]:
        """(file, topic name) of each FAQ file, in menu order."""
        out = []
        for topic in self.live.knowledge.topics:
            entry = next((self.live.knowledge.by_id[i] for i in topic.entry_ids), None)
            if entry is not None:
                out.append((relative_file(entry), topic.name))
        return out

    async def edit_action(self, request: web.Request) -> web.StreamResponse:
        return await self._action(request, new=False)

    async def new_action(self, request: web.Request) -> web.StreamResponse:
        return await self._action(request, new=True)

    async def _action(self, request: web.Request, new: bool) -> web.StreamResponse:
        data = await request.post()
        form = form_from_post(data, request.match_info.get("faq_id", ""), new)
        relative = str(data.get("file", ""))
        if new and relative not in {f for f, _ in self.topic_files()}:
            relative = self.topic_files()[0][0]
        elif not new:
            entry = self.live.knowledge.by_id.get(form.id)
            if entry is None:
                return self.page("missing.html", status=404, request=request)
            relative = relative_file(entry)
        base = str(data.get("base", ""))
        action = str(data.get("action", "controleer"))
        return await self._edit(
            request,
            form,
            relative,
            base,
            new=new,
            evaluate_now=True,
            publish_now=action == "publiceer",
            question=str(data.get("probeer", "")).strip(),
            question_only=action == "probeer",
        )

    async def _edit(
        self,
        request: web.Request,
        form: EntryForm,
        relative: str,
        base: str,
        new: bool,
        evaluate_now: bool,
        publish_now: bool = False,
        question: str = "",
        question_only: bool = False,
    ) -> web.StreamResponse:
        if not base.startswith(f"{relative}:"):
            base = ""  # a new entry moved to another topic: start from that file as it is
        doc, current_version = self._open(relative, base)
        base = base or current_version
        try:
            doc.set_entry(form, new=new)
            draft_text = doc.dump()
        except Exception as error:  # a file that cannot be written back as it was
            return self.page("missing.html", status=409, request=request, error=str(error))
        now = self.now()
        evaluation: Evaluation | None = None
        changes: list[ChangedAnswer] | None = None  # None: not worked out this time
        if evaluate_now:
            evaluation = await asyncio.to_thread(
                evaluate, self.knowledge, {relative: draft_text}, form.id or None, None, now
            )
        conflict: Conflict | None = None
        if base != current_version:
            current = (self.knowledge / relative).read_text(encoding="utf-8")
            conflict = other_change(self.versions, base.partition(":")[2], current, relative)
        if publish_now and evaluation is not None and not evaluation.has_errors and not conflict:
            what = f"{'nieuwe vraag' if new else 'vraag'} '{form.id}' in {relative}"
            try:
                conflict = await self.publish(
                    request, relative, base.partition(":")[2], draft_text, what, now
                )
            except OSError as error:  # e.g. knowledge/ mounted read-only
                log.error("Publishing %s failed: %s", relative, error)
                return self.page("missing.html", status=500, request=request, error=WRITE_FAILED)
            if conflict is None:
                raise self.redirect(f"/?gepubliceerd={quote(form.id)}")
        draft_desk = evaluation.helpdesk if evaluation else None
        # Trying a question is quick; the list of changed answers comes with a check, on
        # this page when it is ready in a moment, else at an address the page fetches.
        changes_key = ""
        if evaluate_now and draft_desk is not None and not conflict and not question_only:
            live = self.live
            changes_key = self.change_lists.key(id(live), relative, draft_text)
            self.change_lists.start(
                changes_key,
                partial(
                    changed_answers, live, draft_desk, now, self.live_answers, self.development
                ),
                place=f"{request.cookies.get(COOKIE, '')}:{relative}",
            )
            changes = await self.change_lists.wait(changes_key, self.changes_wait)
        preview = self.preview(form, draft_desk, now, relative)
        tried = None
        if question:
            live_reply = self.live.respond(question, now)
            tried = {
                "live": chat_view(live_reply, self.live, question),
                "draft": chat_view(draft_desk.respond(question, now), draft_desk, question)
                if draft_desk
                else None,
            }
        return self.page(
            "edit.html",
            status=409 if conflict and publish_now else 200,
            request=request,
            form=form,
            new=new,
            file=relative,
            files=self.topic_files(),
            base=base,
            evaluation=evaluation,
            checked=evaluate_now and not question_only,
            at_field=evaluation.at_field if evaluation and evaluate_now else {},
            elsewhere=evaluation.elsewhere if evaluation and evaluate_now else [],
            refused=publish_now,
            conflict=conflict,
            preview=preview,
            question=question,
            tried=tried,
            changes=changes,
            changes_key=changes_key if changes is None else "",
            entry_ids=sorted(self.live.knowledge.by_id),
            error_count=sum(
                p.severity is Severity.ERROR for p in (evaluation.problems if evaluation else ())
            ),
        )

    async def changes_page(self, request: web.Request) -> web.Response:
        """The list of changed answers of a recent check, when it is ready."""
        changes = await self.change_lists.wait(request.match_info["key"], CHANGES_FOLLOW_SECONDS)
        return self.page(
            "changes.html",
            status=200 if changes is not None else 404,
            request=request,
            changes=changes,
        )

    def preview(
        self, form: EntryForm, draft: Helpdesk | None, now: datetime, relative: str
    ) -> ChatView:
        """The answer as Telegram will show it, placeholders filled in: the draft's own
        Composer when the draft loads, otherwise the bot's current one."""
        desk = draft or self.live
        entry = desk.knowledge.by_id.get(form.id) if draft else None
        if entry is None:
            entry = Entry(
                id=form.id or "nieuw",
                topic="",
                question=form.question,
                answer=form.answer.strip(),
                phrasings=form.phrasings,
                examples=form.examples,
                related=form.related,
                source=form.source,
                doctor_advice=form.doctor_advice,
                opening_state=form.opening_state,
                reviewed=None,
                reviewed_by=form.reviewed_by,
                file=relative,
                line=0,
            )
        return chat_view(desk.composer.answer(entry, now), desk)

    # -- questions without an answer ------------------------------------------------------------

    async def questions_page(
        self, request: web.Request, message: str = "", problems: list[Problem] | None = None
    ) -> web.Response:
        groups = []
        if self.store is not None:
            rows = await asyncio.to_thread(self.store.questions)
            groups = group_questions(rows)
        entries = sorted(self.live.knowledge.entries, key=lambda e: e.question)
        return self.page(
            "questions.html",
            request=request,
            groups=groups,
            entries=entries,
            message=message,
            problems=problems or [],
            has_store=self.store is not None,
        )

    async def questions_action(self, request: web.Request) -> web.StreamResponse:
        data = await request.post()
        text = str(data.get("text", "")).strip()
        action = str(data.get("action", ""))
        if self.store is None or not text:
            raise self.redirect("/vragen")
        rows = await asyncio.to_thread(self.store.questions)
        group = next((g for g in group_questions(rows) if g.example == text), None)
        texts = group.texts if group else {text}
        if action == "nieuw":
            raise self.redirect(f"/nieuw?vraag={quote(text)}")
        if action == "verwijder":
            await asyncio.to_thread(self.store.delete_questions, texts)
            return await self.questions_page(request, f"Verwijderd: '{text}'.")
        if action == "formulering":
            entry = self.live.knowledge.by_id.get(str(data.get("entry", "")))
            if entry is None:
                return await self.questions_page(request, "Kies eerst een vraag.")
            relative = relative_file(entry)
            what = f"formulering '{text}' bij '{entry.id}'"
            done = f"'{text}' staat nu bij '{entry.question}'. De bot gebruikt het zo."
        elif action == "buiten":
            relative, entry = "out_of_scope.yaml", None
            what = f"'{text}' bij de vragen buiten het artikel (out_of_scope.yaml)"
            done = f"'{text}' staat nu bij de vragen buiten het artikel."
        else:
            raise self.redirect("/vragen")
        doc, version = self._open(relative)
        if entry is not None:
            doc.add_phrasing(entry.id, text)
        else:
            doc.add_out_of_scope(text)
        now = self.now()
        evaluation = await asyncio.to_thread(
            evaluate, self.knowledge, {relative: doc.dump()}, entry.id if entry else None, None, now
        )
        if evaluation.has_errors:
            errors = [p for p in evaluation.problems if p.severity is Severity.ERROR]
            return await self.questions_page(request, "Niet gepubliceerd:", errors)
        try:
            conflict = await self.publish(
                request, relative, version.partition(":")[2], doc.dump(), what, now
            )
        except OSError as error:
            log.error("Publishing %s failed: %s", relative, error)
            return await self.questions_page(request, WRITE_FAILED, [])
        if conflict is not None:
            return await self.questions_page(
                request, "Het bestand veranderde net; probeer opnieuw."
            )
        await asyncio.to_thread(self.store.delete_questions, texts)
        return await self.questions_page(request, done)

    async def publish(
        self, request: web.Request, relative: str, base: str, text: str, what: str, now: datetime
    ) -> Conflict | None:
        """Write one file as a publication, one at a time; a Conflict if it changed meanwhile."""
        async with self._lock:
            return await asyncio.to_thread(
                publish,
                self.knowledge,
                relative,
                base,
                text,
                self.editor_of(request),
                what,
                self.versions,
                self.history,
                now,
            )


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _lines(value: Any) -> tuple[str, ...]:
    return tuple(line.strip() for line in str(value or "").splitlines() if line.strip())


def form_from_post(data: Any, faq_id: str, new: bool) -> EntryForm:
    """The EntryForm of a submitted edit form."""
    answer = "\n".join(line.rstrip() for line in str(data.get("answer", "")).strip().splitlines())
    return EntryForm(
        id=str(data.get("id", "")).strip() if new else faq_id,
        question=str(data.get("question", "")).strip(),
        answer=answer,
        phrasings=_lines(data.get("phrasings")),
        examples=_lines(data.get("examples")),
        related=tuple(i for i in SPLIT_IDS.split(str(data.get("related", ""))) if i),
        source=str(data.get("source", "")).strip(),
        doctor_advice=data.get("doctor_advice") == "ja",
        opening_state=data.get("opening_state") == "ja",
        reviewed=str(data.get("reviewed", "")).strip(),
        reviewed_by=str(data.get("reviewed_by", "")).strip(),
    )
