"""The command line: python -m bot [chat | ask | check | run | report | health | workspace].

Without a subcommand the bot runs on Telegram when TELEGRAM_BOT_TOKEN is set (in the
environment or in .env, like every setting: see bot/config.py), and as a console chat
otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.checks import extra_checks
from bot.config import TOKEN_VARIABLE, Config, load_config, run_problems
from bot.core import Helpdesk, KnowledgeError, load_helpdesk
from bot.loader import DEFAULT_KNOWLEDGE_DIR, LoadResult, load_knowledge
from bot.logs import setup_logging
from bot.problems import Severity
from bot.replies import Reply
from bot.report import add_arguments as add_report_arguments
from bot.report import main as report_main

# -- arguments ----------------------------------------------------------------------------


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is geen tijdstip; schrijf bijvoorbeeld 2025-11-25T19:30+01:00"
        ) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"'{text}' is geen positief aantal seconden")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=(
            "Hulpbot van de Stichting Restless Legs. Zonder opdracht: op Telegram als "
            f"{TOKEN_VARIABLE} gezet is, anders een chat in de terminal."
        ),
    )
    knowledge = argparse.ArgumentParser(add_help=False)
    knowledge.add_argument(
        "--knowledge",
        metavar="MAP",
        type=Path,
        default=None,
        help=f"de map met de kennis (standaard: KNOWLEDGE_DIR, anders {DEFAULT_KNOWLEDGE_DIR})",
    )
    clock = argparse.ArgumentParser(add_help=False)
    clock.add_argument(
        "--now",
        metavar="TIJDSTIP",
        type=_moment,
        default=None,
        help=(
            "doe alsof het dit tijdstip is (ISO 8601, bijv. 2025-11-25T19:30+01:00); "
            "zonder tijdzone geldt de tijd van de hulplijn; standaard: nu"
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="OPDRACHT")
    sub.add_parser(
        "chat", parents=[knowledge, clock], help="chat met de bot in de terminal (/stop stopt)"
    )
    ask = sub.add_parser(
        "ask",
        parents=[knowledge, clock],
        help="het antwoord op één bericht (of op elke regel van stdin)",
    )
    ask.add_argument("message", nargs="*", help="het bericht; zonder bericht: elke regel van stdin")
    ask.add_argument(
        "--json", action="store_true", help="één JSON-object per bericht, één per regel"
    )
    sub.add_parser("check", parents=[knowledge], help="controleer de kennisbestanden op fouten")
    run = sub.add_parser(
        "run", parents=[knowledge], help=f"start de Telegram-bot (met {TOKEN_VARIABLE})"
    )
    run.add_argument(
        "--check-config",
        action="store_true",
        help="toon de instellingen (geheimen verborgen) en wat eraan schort; start de bot niet",
    )
    report_parser = sub.add_parser(
        "report", parents=[knowledge], help="overzichten van vragen zonder antwoord"
    )
    add_report_arguments(report_parser)
    workspace = sub.add_parser(
        "workspace",
        parents=[knowledge],
        help="de werkplek: vragen en antwoorden bewerken in de browser (EDITOR_CHAT_IDS)",
        description=(
            "De werkplek voor vrijwilligers: vragen en antwoorden bewerken, uitproberen, "
            "controleren en publiceren in de browser. Inloggen gaat met een link die de bot "
            "stuurt op /werkplek (aan EDITOR_CHAT_IDS en ADMIN_CHAT_IDS). Instellingen: "
            "WORKSPACE_URL, WORKSPACE_LISTEN, WORKSPACE_PORT; zie README.md."
        ),
    )
    workspace.add_argument(
        "--listen", metavar="ADRES", default=None, help="adres (standaard: WORKSPACE_LISTEN)"
    )
    workspace.add_argument(
        "--port", metavar="POORT", type=int, default=None, help="poort (standaard: WORKSPACE_PORT)"
    )
    health = sub.add_parser(
        "health", help="is de draaiende bot gezond? (kijkt naar het bestand HEARTBEAT_FILE)"
    )
    health.add_argument(
        "--max-age",
        metavar="SECONDEN",
        type=_seconds,
        default=120.0,
        help="hoe oud de hartslag hoogstens mag zijn (standaard: %(default)g)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _use_utf8()
    parser = build_parser()
    args = parser.parse_args(argv)
    # One reading of the settings (environment and .env) for every command.
    config, problems = load_config()
    if args.command is None:
        args = parser.parse_args(["run" if config.token else "chat"])
    if getattr(args, "knowledge", None) is not None:
        config = replace(config, knowledge_dir=args.knowledge)
        if not args.knowledge.is_dir():
            problems = [*problems, f"--knowledge {args.knowledge} bestaat niet of is geen map."]
    args.config, args.problems = config, problems
    args.knowledge = config.knowledge_dir
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "chat": cmd_chat,
        "ask": cmd_ask,
        "check": cmd_check,
        "run": cmd_run,
        "report": cmd_report,
        "health": cmd_health,
        "workspace": cmd_workspace,
    }
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away ('ask --json < vragen.txt | head'): stop quietly, like other
        # command-line tools, instead of a traceback. Python's advice: point stdout at
        # devnull so the final flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _use_utf8() -> None:
    """Dutch text and JSON are UTF-8, whatever the terminal's locale says."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            with contextlib.suppress(OSError, ValueError):
                stream.reconfigure(encoding="utf-8", errors="replace")


# -- shared helpers -----------------------------------------------------------------------


def _load(folder: Path, retention_days: int = 90) -> Helpdesk | None:
    """The helpdesk, or None after printing what is wrong with the knowledge."""
    try:
        return load_helpdesk(folder, retention_days)
    except KnowledgeError as error:
        _report_knowledge_error(error.result, folder)
        return None


def _report_knowledge_error(result: LoadResult, folder: Path) -> None:
    for problem in result.errors:
        print(problem, file=sys.stderr)
    extra = "" if Path(folder) == DEFAULT_KNOWLEDGE_DIR else f" --knowledge {folder}"
    print(
        f"De kennis bevat fouten; de bot kan zo niet starten. Los ze op en controleer met: "
        f"python -m bot check{extra}",
        file=sys.stderr,
    )


def _clock(args: argparse.Namespace, helpdesk: Helpdesk) -> Callable[[], datetime]:
    """The time replies are written for: --now if given (a fixed moment), the real time else."""
    now: datetime | None = args.now
    if now is None:
        return lambda: datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo(helpdesk.knowledge.helpline.timezone))
    fixed = now
    return lambda: fixed


# -- chat and ask -------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.console import run_chat

    helpdesk = _load(args.knowledge)
    if helpdesk is None:
        return 1
    return run_chat(helpdesk, _clock(args, helpdesk))


def reply_json(question: str, reply: Reply) -> dict[str, Any]:
    """The stable JSON contract of ``ask --json``: one object per message."""
    return {
        "question": question,
        "outcome": str(reply.outcome),
        "faq_id": reply.faq_id,
        "score": round(float(reply.score), 3),
        "reply": reply.text,
        "suggestions": [{"faq_id": s.faq_id, "question": s.question} for s in reply.suggestions],
        "care_note": reply.care_note,
    }


def _lines(stream: TextIO):
    while True:
        line = stream.readline()
        if not line:
            return
        text = line.strip()
        if text:
            yield text


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.console import render_reply

    helpdesk = _load(args.knowledge)
    if helpdesk is None:
        return 1
    clock = _clock(args, helpdesk)
    message = " ".join(args.message).strip()
    messages = [message] if message else _lines(sys.stdin)
    for i, text in enumerate(messages):
        reply = helpdesk.respond(text, clock())
        if args.json:
            print(json.dumps(reply_json(text, reply), ensure_ascii=False), flush=True)
        else:
            print(("\n" if i else "") + render_reply(reply), flush=True)
    return 0


# -- check --------------------------------------------------------------------------------


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def cmd_check(args: argparse.Namespace) -> int:
    result = load_knowledge(args.knowledge)
    problems = [*result.problems, *extra_checks(result)]
    errors = [p for p in problems if p.severity == Severity.ERROR]
    warnings = [p for p in problems if p.severity != Severity.ERROR]
    for problem in (*errors, *warnings):
        print(problem)
    counts = (
        f"{_plural(len(errors), 'fout', 'fouten')}, "
        f"{_plural(len(warnings), 'waarschuwing', 'waarschuwingen')}"
    )
    if result.knowledge is not None:
        print(f"{_plural(len(result.knowledge.entries), 'vraag', 'vragen')}, {counts}")
    else:
        print(f"{counts} (de vragen zijn niet geteld: los eerst de fouten op)")
    return 1 if errors else 0


# -- run and report -----------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    config: Config = args.config
    problems = run_problems(config, args.problems)
    if args.check_config:
        return check_config(config, problems)
    if problems:
        for problem in problems:
            print(f"Configuratie: {problem}", file=sys.stderr)
        return 2
    try:
        from bot.telegram.app import run_bot
    except ModuleNotFoundError as error:
        print(
            f"De Telegram-bot kan niet starten: de module '{error.name}' ontbreekt. "
            "Gebruik 'python -m bot chat' om in de terminal te chatten.",
            file=sys.stderr,
        )
        return 2
    helpdesk = _load(config.knowledge_dir, config.retention_days)
    if helpdesk is None:
        return 1
    setup_logging(
        config.log_level, [config.token or "", config.webhook_secret or ""], config.log_messages
    )
    return run_bot(config, helpdesk=helpdesk)


def check_config(config: Config, problems: list[str]) -> int:
    """run --check-config: the effective settings, secrets masked, then every problem."""
    for name, value in config.masked().items():
        print(f"{name} = {value}")
    for problem in problems:
        print(f"Probleem: {problem}")
    if not problems:
        print("Geen problemen in de configuratie.")
    return 1 if problems else 0


def cmd_report(args: argparse.Namespace) -> int:
    return report_main(args, args.config)


# -- health -------------------------------------------------------------------------------


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot touched HEARTBEAT_FILE recently (see _housekeeping in
    bot/telegram/app.py); print one line and exit 1 otherwise. For Docker's HEALTHCHECK."""
    heartbeat = args.config.heartbeat_file
    if heartbeat is None:
        print("Ongezond: HEARTBEAT_FILE is niet gezet, dus er is geen hartslag om te bekijken.")
        return 1
    try:
        age = time.time() - heartbeat.stat().st_mtime
    except OSError:
        print(f"Ongezond: geen hartslag, {heartbeat} bestaat niet (draait de bot wel?).")
        return 1
    if age > args.max_age:
        print(
            f"Ongezond: de hartslag in {heartbeat} is {age:.0f} s oud "
            f"(hoogstens {args.max_age:g} s toegestaan)."
        )
        return 1
    return 0


# -- workspace ----------------------------------------------------------------------------


def cmd_workspace(args: argparse.Namespace) -> int:
    """The volunteers' workspace as its own process; the bot hands out the login links."""
    from bot.holder import HelpdeskHolder
    from bot.store import QuestionStore
    from bot.workspace.service import build_workspace, serve, shared_tokens

    # The bot runs in another process: share the login tokens through the file.
    config = replace(args.config, workspace_beside_bot=False)
    for problem in args.problems:
        print(f"Configuratie: {problem}", file=sys.stderr)
    if not config.editors:
        print(
            "Let op: EDITOR_CHAT_IDS en ADMIN_CHAT_IDS zijn leeg, dus niemand kan inloggen.",
            file=sys.stderr,
        )
    helpdesk = _load(config.knowledge_dir, config.retention_days)
    if helpdesk is None:
        return 1
    holder = HelpdeskHolder(helpdesk, config.knowledge_dir, config.retention_days)
    store = QuestionStore(config.database, config.retention_days)
    workspace = build_workspace(config, holder, shared_tokens(config), store, own_holder=True)
    serve(workspace, args.listen or config.workspace_listen, args.port or config.workspace_port)
    return 0
