"""Settings of the running bot, from environment variables, checked at start.

Every problem is reported on one line, so a maintainer sees at once what to fix; secrets
are never printed in full.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from bot.loader import DEFAULT_KNOWLEDGE_DIR

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_DATABASE = Path(__file__).resolve().parent.parent / "data" / "helpline.sqlite3"
SECRET_FIELDS = ("token", "webhook_secret")
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


def load_config(
    env: Mapping[str, str] | None = None, env_file: Path | None = None
) -> tuple[Config, list[str]]:
    """Read the configuration; returns it with a list of problems (empty when all is well)."""
    source: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        source.update(read_env_file(env_file))
    source.update(os.environ if env is None else env)
    problems: list[str] = []

    def text(name: str) -> str | None:
        value = source.get(name, "").strip()
        return value or None

    def number(name: str, default: float, kind: type = int, low: float = 0) -> float:
        value = text(name)
        if value is None:
            return default
        try:
            result = kind(value)
        except ValueError:
            problems.append(f"{name}={value!r} is geen {'geheel ' if kind is int else ''}getal.")
            return default
        if result < low:
            problems.append(f"{name} moet minstens {low} zijn.")
            return default
        return result

    token = text("TELEGRAM_BOT_TOKEN")
    if token is not None and not TOKEN_PATTERN.match(token):
        problems.append(
            "TELEGRAM_BOT_TOKEN heeft niet de vorm van een token van BotFather "
            "(cijfers, dubbele punt, lange code)."
        )

    def chat_ids(name: str) -> frozenset[int]:
        ids: set[int] = set()
        for part in (text(name) or "").replace(";", ",").split(","):
            if part.strip():
                try:
                    ids.add(int(part.strip()))
                except ValueError:
                    problems.append(f"{name} bevat {part.strip()!r}: dat is geen chatnummer.")
        return frozenset(ids)

    admins = chat_ids("ADMIN_CHAT_IDS")
    editors = chat_ids("EDITOR_CHAT_IDS")
    workspace_url = (text("WORKSPACE_URL") or "").rstrip("/") or None
    if workspace_url is not None and not _safe_workspace_url(workspace_url):
        problems.append(
            "WORKSPACE_URL moet met https:// beginnen (alleen op deze computer zelf mag "
            "http://127.0.0.1 of http://localhost)."
        )
    secret = text("WEBHOOK_SECRET")
    if secret is not None and not SECRET_PATTERN.match(secret):
        problems.append("WEBHOOK_SECRET mag alleen letters, cijfers, _ en - bevatten (max. 256).")
    webhook_url = text("WEBHOOK_URL")
    if webhook_url is not None and not webhook_url.startswith("https://"):
        problems.append("WEBHOOK_URL moet met https:// beginnen (Telegram eist dat).")
    if webhook_url is not None and secret is None:
        problems.append("WEBHOOK_SECRET ontbreekt: zonder geheim kan iedereen updates vervalsen.")
    knowledge_dir = Path(text("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    if not knowledge_dir.is_dir():
        problems.append(f"KNOWLEDGE_DIR={knowledge_dir} bestaat niet.")
    level = (text("LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append("LOG_LEVEL moet DEBUG, INFO, WARNING of ERROR zijn.")
        level = "INFO"
    heartbeat = text("HEARTBEAT_FILE")
    config = Config(
        token=token,
        base_url=text("TELEGRAM_BASE_URL"),
        base_file_url=text("TELEGRAM_BASE_FILE_URL"),
        knowledge_dir=knowledge_dir,
        database=Path(text("DATABASE_PATH") or DEFAULT_DATABASE),
        retention_days=int(number("RETENTION_DAYS", 90)),
        admin_chat_ids=frozenset(admins),
        webhook_url=webhook_url,
        webhook_listen=text("WEBHOOK_LISTEN") or "0.0.0.0",
        webhook_port=int(number("WEBHOOK_PORT", 8443, low=1)),
        webhook_secret=secret,
        reload_seconds=float(number("RELOAD_INTERVAL", 2.0, float, low=0.2)),
        heartbeat_file=Path(heartbeat) if heartbeat else None,
        log_level=level,
        log_messages=(text("LOG_MESSAGES") or "").lower() in ("1", "true", "ja", "yes"),
        editor_chat_ids=editors,
        workspace_url=workspace_url,
        workspace_listen=text("WORKSPACE_LISTEN") or "127.0.0.1",
        workspace_port=int(number("WORKSPACE_PORT", 8080, low=1)),
        workspace_beside_bot=(text("WORKSPACE_BESIDE_BOT") or "ja").lower()
        not in ("0", "false", "nee", "no"),
    )
    return config, problems


def _safe_workspace_url(url: str) -> bool:
    """Login links travel in this address: HTTPS, or plain HTTP on this machine only."""
    return url.startswith("https://") or LOCAL_URL.match(url) is not None
