"""Settings of the bot, from environment variables and a file .env, checked in one place.

Every command reads its settings here (``load_config``), so ``run``, ``report``, ``health``
and a bare ``python -m bot`` agree on them. Every setting is range-checked, and every
problem is one line that says what to fix; secrets are never printed in full.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.loader import DEFAULT_KNOWLEDGE_DIR

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
HOSTNAME_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
DEFAULT_DATABASE = Path(__file__).resolve().parent.parent / "data" / "helpline.sqlite3"
ENV_FILE = Path(".env")  # in the folder the command is started from
SECRET_FIELDS = ("token", "webhook_secret")
TOKEN_VARIABLE = "TELEGRAM_BOT_TOKEN"
TRUE_WORDS = ("1", "true", "ja", "yes", "on")
FALSE_WORDS = ("0", "false", "nee", "no", "off")
WEBHOOK_PORTS = (80, 88, 443, 8443)  # the ports Telegram sends webhooks to
SQLITE_HEADER = b"SQLite format 3\x00"
# Ranges: (lowest, highest). Ten years of questions is more than volunteers ever read, and
# far below where dates overflow; a check of the knowledge more than hourly is not "live".
RETENTION_DAYS_RANGE = (0, 3650)
PORT_RANGE = (1, 65535)
RELOAD_INTERVAL_RANGE = (0.2, 3600.0)
# Login links travel in WORKSPACE_URL: HTTPS, or plain HTTP on this machine only.
LOCAL_URL = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")


@dataclass(frozen=True)
class Config:
    token: str | None = None
    base_url: str | None = None
    base_file_url: str | None = None
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    database: Path = DEFAULT_DATABASE
    retention_days: int = 90
    admin_chat_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    reload_seconds: float = 2.0
    heartbeat_file: Path | None = None
    log_level: str = "INFO"
    log_messages: bool = False
    # The volunteers' web workspace (bot/workspace/): who may edit, and where it listens.
    editor_chat_ids: frozenset[int] = frozenset()
    workspace_url: str | None = None
    workspace_listen: str = "127.0.0.1"
    workspace_port: int = 8080
    workspace_beside_bot: bool = True

    @property
    def editors(self) -> frozenset[int]:
        """Everyone who may use the workspace: the editors and the admins."""
        return self.editor_chat_ids | self.admin_chat_ids

    def masked(self) -> dict[str, str]:
        """The effective configuration for display, secrets masked."""
        shown = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value:
                value = f"{value[:4]}…{len(value)} tekens" if f.name == "token" else "***"
            elif isinstance(value, frozenset):
                value = ",".join(str(v) for v in sorted(value)) or "-"
            shown[f.name] = "-" if value is None else str(value)
        return shown


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file; comments and blank lines skipped, quotes removed."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def sqlite_problem(path: Path) -> str | None:
    """Why ``path`` cannot be the database, or None: a folder, or a file that is not SQLite.
    A missing file is fine (it is made), and so is an empty one (SQLite fills it)."""
    if path.is_dir():
        return f"{path} is een map, geen databasebestand."
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{path} is niet te lezen ({error.strerror})."
    if header and header != SQLITE_HEADER:
        return f"{path} is geen SQLite-database."
    return None


class _Reader:
    """Reads one variable at a time and collects every problem, each on one line."""

    def __init__(self, source: Mapping[str, str]) -> None:
        self.source = source
        self.problems: list[str] = []

    def text(self, name: str) -> str | None:
        value = self.source.get(name, "").strip()
        return value or None

    def number(
        self, name: str, default: float, kind: type[float] | type[int], bounds: tuple[float, float]
    ) -> float:
        value = self.text(name)
        if value is None:
            return default
        low, high = bounds
        whole = kind is int
        try:
            result = kind(value)
        except ValueError:
            self.problems.append(f"{name}={value!r} is geen {'geheel ' if whole else ''}getal.")
            return default
        if not (math.isfinite(result) and low <= result <= high):
            self.problems.append(f"{name}={value} moet tussen {low:g} en {high:g} liggen.")
            return default
        return result

    def url(self, name: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        parsed = urlparse(value)
        try:
            parsed.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            self.problems.append(f"{name}={value} heeft een ongeldig poortnummer.")
            return None
        if parsed.scheme not in schemes or not parsed.hostname:
            wanted = " of ".join(f"{s}://" for s in schemes)
            self.problems.append(f"{name}={value} is geen adres dat met {wanted} begint.")
            return None
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = (self.text(name) or "").lower()
        if value and value not in TRUE_WORDS + FALSE_WORDS:
            self.problems.append(
                f"{name}={value!r}: schrijf {', '.join(TRUE_WORDS)} (aan) of "
                f"{', '.join(FALSE_WORDS)} (uit)."
            )
            return default
        return value in TRUE_WORDS if value else default

    def chat_ids(self, name: str) -> frozenset[int]:
        ids: set[int] = set()
        for part in (self.text(name) or "").replace(";", ",").split(","):
            if part.strip():
                try:
                    ids.add(int(part.strip()))
                except ValueError:
                    self.problems.append(f"{name} bevat {part.strip()!r}: dat is geen chatnummer.")
        return frozenset(ids)


def load_config(
    env: Mapping[str, str] | None = None, env_file: Path | None = ENV_FILE
) -> tuple[Config, list[str]]:
    """The settings, with a list of problems (empty when all is well). The environment
    (``env``, by default this process's) wins over ``env_file``."""
    source: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        source.update(read_env_file(env_file))
    source.update(os.environ if env is None else env)
    read = _Reader(source)
    problems = read.problems

    token = read.text(TOKEN_VARIABLE)
    if token is not None and not TOKEN_PATTERN.match(token):
        problems.append(
            f"{TOKEN_VARIABLE} heeft niet de vorm van een token van BotFather "
            "(cijfers, dubbele punt, lange code)."
        )
    base_url = read.url("TELEGRAM_BASE_URL")
    base_file_url = read.url("TELEGRAM_BASE_FILE_URL")

    knowledge_dir = Path(read.text("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    if not knowledge_dir.is_dir():
        problems.append(f"KNOWLEDGE_DIR={knowledge_dir} bestaat niet of is geen map.")
    database = Path(read.text("DATABASE_PATH") or DEFAULT_DATABASE)
    if (problem := sqlite_problem(database)) is not None:
        problems.append(f"DATABASE_PATH: {problem}")
    retention_days = int(read.number("RETENTION_DAYS", 90, int, RETENTION_DAYS_RANGE))

    admins = read.chat_ids("ADMIN_CHAT_IDS")

    webhook_url = read.url("WEBHOOK_URL", ("https",))
    if webhook_url is not None:
        port = urlparse(webhook_url).port
        if port is not None and port not in WEBHOOK_PORTS:
            problems.append(
                f"WEBHOOK_URL: Telegram stuurt alleen naar poort "
                f"{', '.join(map(str, WEBHOOK_PORTS))}, niet naar {port}."
            )
    secret = read.text("WEBHOOK_SECRET")
    if secret is not None and not SECRET_PATTERN.match(secret):
        problems.append("WEBHOOK_SECRET mag alleen letters, cijfers, _ en - bevatten (max. 256).")
    if read.text("WEBHOOK_URL") is not None and secret is None:
        problems.append("WEBHOOK_SECRET ontbreekt: zonder geheim kan iedereen updates vervalsen.")
    listen = read.text("WEBHOOK_LISTEN") or "0.0.0.0"
    if not _is_address(listen):
        problems.append(f"WEBHOOK_LISTEN={listen!r} is geen IP-adres of computernaam.")
    webhook_port = int(read.number("WEBHOOK_PORT", 8443, int, PORT_RANGE))

    reload_seconds = read.number("RELOAD_INTERVAL", 2.0, float, RELOAD_INTERVAL_RANGE)
    heartbeat = read.text("HEARTBEAT_FILE")
    heartbeat_file = Path(heartbeat) if heartbeat else None
    if heartbeat_file is not None and not heartbeat_file.parent.is_dir():
        problems.append(f"HEARTBEAT_FILE: de map {heartbeat_file.parent} bestaat niet.")
    if heartbeat_file is not None and heartbeat_file.is_dir():
        problems.append(f"HEARTBEAT_FILE={heartbeat_file} is een map, geen bestand.")
    level = (read.text("LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append("LOG_LEVEL moet DEBUG, INFO, WARNING of ERROR zijn.")
        level = "INFO"
    log_messages = read.flag("LOG_MESSAGES")
    zone = (read.text("TZ") or "").removeprefix(":")
    if zone and not _is_zone(zone):
        problems.append(f"TZ={zone!r} is geen tijdzone; schrijf bijvoorbeeld Europe/Amsterdam.")

    editors = read.chat_ids("EDITOR_CHAT_IDS")
    workspace_url = read.url("WORKSPACE_URL")
    if workspace_url is not None:
        workspace_url = workspace_url.rstrip("/")
        if LOCAL_URL.match(workspace_url) is None and not workspace_url.startswith("https://"):
            problems.append(
                "WORKSPACE_URL moet met https:// beginnen (alleen op deze computer zelf mag "
                "http://127.0.0.1 of http://localhost)."
            )
            workspace_url = None
    workspace_listen = read.text("WORKSPACE_LISTEN") or "127.0.0.1"
    if not _is_address(workspace_listen):
        problems.append(f"WORKSPACE_LISTEN={workspace_listen!r} is geen IP-adres of computernaam.")
    workspace_port = int(read.number("WORKSPACE_PORT", 8080, int, PORT_RANGE))
    workspace_beside_bot = read.flag("WORKSPACE_BESIDE_BOT", default=True)

    config = Config(
        token=token,
        base_url=base_url,
        base_file_url=base_file_url,
        knowledge_dir=knowledge_dir,
        database=database,
        retention_days=retention_days,
        admin_chat_ids=admins,
        webhook_url=webhook_url,
        webhook_listen=listen,
        webhook_port=webhook_port,
        webhook_secret=secret,
        reload_seconds=reload_seconds,
        heartbeat_file=heartbeat_file,
        log_level=level,
        log_messages=log_messages,
        editor_chat_ids=editors,
        workspace_url=workspace_url,
        workspace_listen=workspace_listen,
        workspace_port=workspace_port,
        workspace_beside_bot=workspace_beside_bot,
    )
    return config, problems


def run_problems(config: Config, problems: list[str]) -> list[str]:
    """The problems that keep ``run`` from starting: those of the settings, and no token."""
    if config.token:
        return problems
    return [f"{TOKEN_VARIABLE} ontbreekt: maak een bot bij @BotFather en zet het token.", *problems]


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(HOSTNAME_PATTERN.match(value))
    return True


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
