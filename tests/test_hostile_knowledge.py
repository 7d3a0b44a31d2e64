"""A careless or malicious edit of knowledge/ must never hurt the running bot.

Files that are not knowledge (an alias bomb, a self-reference, deep nesting, a FIFO, a link
to /dev/zero or out of the folder), knowledge far too large, and settings out of range are
refused with file and line, quickly and in little memory; the running bot keeps answering
from the last good knowledge, tells the admins once, and still stops at once on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.core import Helpdesk
from bot.holder import HelpdeskHolder
from bot.loader import (
    MAX_ENTRIES,
    MAX_PER_ENTRY,
    MAX_PHRASINGS,
    LoadResult,
    load_knowledge,
)
from bot.schema import MAX_TEXT_CHARS
from bot.yamlfile import MAX_DEPTH, MAX_FILE_BYTES, MAX_FOLDER_BYTES
from tests.botapi_server import BotApiTestServer
from tests.conftest import ADMIN_ID, TIMEOUT, bot_running, copy_knowledge, say
from tests.generated_faq import generated_knowledge
from tests.harness import ROOT, bot_process, env_without_token
from tests.test_telegram_e2e import CLEAR, CLEAR_ID, set_answer, write_atomically

SECRET = "wachtwoord-van-de-server: hunter2\n"  # YAML, so an unguarded loader would quote it
MEMORY_CAP = 1_500_000_000  # bytes of address space for `check`: a bomb fails, not the machine
PEAK_LIMIT_MB = 200
CPU_LIMIT_S = 5.0
WALL_LIMIT_S = 30.0


# -- the hostile files ------------------------------------------------------------------------


def alias_bomb(folder: Path) -> int:
    """Nine levels of nine aliases: 342 bytes that PyYAML expands to 9**9 texts."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    write(folder / "faq" / "bom.yaml", "\n".join([*lines, "topic: Bom", "entries: *a8", ""]))
    return 1


def self_alias(folder: Path) -> int:
    write(folder / "faq" / "lus.yaml", "topic: Lus\nentries: &e [*e]\n")
    return 2


def deep_nesting(folder: Path) -> int:
    write(folder / "faq" / "diep.yaml", "topic: Diep\nentries: " + "[" * 700 + "]" * 700 + "\n")
    return 2


def fifo(folder: Path) -> int:
    os.mkfifo(folder / "faq" / "pijp.yaml")
    return 1


def dev_zero(folder: Path) -> int:
    (folder / "faq" / "nul.yaml").symlink_to("/dev/zero")
    return 1


def outside_link(folder: Path) -> int:
    secret = folder.parent / "buiten-de-map.txt"
    write(secret, SECRET)
    (folder / "faq" / "buiten.yaml").symlink_to(secret)
    return 1


HOSTILE: dict[str, Callable[[Path], int]] = {
    "alias-bomb": alias_bomb,
    "self-alias": self_alias,
    "deep-nesting": deep_nesting,
    "fifo": fifo,
    "dev-zero-link": dev_zero,
    "outside-link": outside_link,
}
HOSTILE_NAME = {
    "alias-bomb": "bom",
    "self-alias": "lus",
    "deep-nesting": "diep",
    "fifo": "pijp",
    "dev-zero-link": "nul",
    "outside-link": "buiten",
}


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def load_within(folder: Path, seconds: float = WALL_LIMIT_S) -> LoadResult:
    """``load_knowledge`` in a daemon thread: a loader that blocks (on a FIFO, say) fails
    the test instead of hanging it."""
    results: list[LoadResult] = []
    thread = threading.Thread(target=lambda: results.append(load_knowledge(folder)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert results, f"loading {folder} did not end within {seconds}s"
    return results[0]


# -- python -m bot check on a hostile copy: refused quickly, in little memory -----------------


@dataclass(frozen=True)
class Measured:
    returncode: int
    output: str
    cpu_seconds: float
    peak_mb: float


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


# ``python -m bot ARGS``, run the way -m runs it, that writes its own peak memory (VmHWM) to a
# file as it exits. wait4's ru_maxrss cannot be used: a child started from this test process
# counts this process's memory at the fork as its own.
_REPORTING_PEAK = """
import atexit, runpy, sys
peak_file = sys.argv.pop(1)
def report():
    with open("/proc/self/status") as status, open(peak_file, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(report)
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


def run_measured(*args: str) -> Measured:
    """``python -m bot ARGS`` with its own CPU time (wait4) and peak memory, bounded in time."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as peak:
        process = subprocess.Popen(
            [sys.executable, "-c", _REPORTING_PEAK, peak.name, *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env_without_token(),
            preexec_fn=_cap_memory,
        )
        deadline = time.monotonic() + WALL_LIMIT_S
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                process.returncode = -9
                pytest.fail(f"python -m bot {' '.join(args)} still ran after {WALL_LIMIT_S}s")
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
        peak_kb = int(peak.read() or 0)
    assert peak_kb > 0, "the peak memory was not reported"
    return Measured(process.returncode, output, usage.ru_utime + usage.ru_stime, peak_kb / 1024)


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_check_refuses_a_hostile_file_quickly_with_file_and_line(tmp_path, hostile):
    folder = copy_knowledge(tmp_path / "knowledge")
    line = HOSTILE[hostile](folder)
    result = run_measured("check", "--knowledge", str(folder))
    place = f"knowledge/faq/{HOSTILE_NAME[hostile]}.yaml:{line}: fout:"
    assert result.returncode == 1, result.output[-3000:]
    assert place in result.output, result.output[-3000:]
    assert "Traceback" not in result.output and "Error" not in result.output, result.output[-3000:]
    assert result.output.count(": fout:") == 1, result.output
    assert "hunter2" not in result.output and "wachtwoord" not in result.output
    assert result.cpu_seconds < CPU_LIMIT_S, result
    assert result.peak_mb < PEAK_LIMIT_MB, result


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_the_loader_names_the_file_and_line_and_keeps_its_content_to_itself(tmp_path, hostile):
    folder = copy_knowledge(tmp_path / "knowledge")
    line = HOSTILE[hostile](folder)
    result = load_within(folder)
    assert result.knowledge is None
    (problem,) = result.errors
    assert (problem.file, problem.line) == (f"knowledge/faq/{HOSTILE_NAME[hostile]}.yaml", line)
    assert problem.hint
    assert "hunter2" not in str(problem) and "wachtwoord" not in str(problem)


def test_a_link_to_a_file_inside_the_folder_is_read(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    (folder / "archief").mkdir()
    (folder / "faq" / "tekort.yaml").rename(folder / "archief" / "tekort.yaml")
    (folder / "faq" / "tekort.yaml").symlink_to(Path("..") / "archief" / "tekort.yaml")
    result = load_knowledge(folder)
    assert result.errors == [] and CLEAR_ID in result.knowledge.by_id


def test_an_anchor_is_refused_where_it_stands_even_without_an_alias(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    path = folder / "faq" / "tekort.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = lines.index(f"  - id: {CLEAR_ID}") + 1
    lines[index] = lines[index].replace("question: ", "question: &vraag ", 1)
    write(path, "\n".join(lines) + "\n")
    (problem,) = load_knowledge(folder).errors
    assert (problem.file, problem.line) == ("knowledge/faq/tekort.yaml", index + 1)
    assert "&vraag" in problem.message and "aanhalingstekens" in problem.hint


def test_nesting_up_to_the_limit_is_only_a_wrong_field_beyond_it_refused(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    path = folder / "faq" / "diep.yaml"
    write(path, "topic: Diep\nentries: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert not any("in elkaar" in p.message for p in load_knowledge(folder).problems)
    write(path, "topic: Diep\nentries: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    assert any("in elkaar" in p.message for p in load_knowledge(folder).errors)


# -- size -------------------------------------------------------------------------------------


def faq_file(
    path: Path, prefix: str, entries: int, answer: str = "Kort antwoord.", examples: tuple = ()
) -> None:
    """A valid FAQ file of ``entries`` entries with one phrasing each.

    Written as text (a JSON string is a YAML string): safe_dump takes seconds for megabytes.
    """
    lines = [f"topic: Onderwerp {prefix}", "entries:"]
    for n in range(entries):
        lines += [
            f"  - id: {prefix}-{n}",
            f"    question: Vraag {prefix} {n}?",
            f"    answer: {json.dumps(answer)}",
            f"    phrasings: [formulering {prefix} nummer {n}]",
            "    source: Artikel 'Magnesium en RLS'",
        ]
        if examples:
            lines += ["    examples:", *(f"      - {json.dumps(e)}" for e in examples)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_benchmark_faq_of_10000_phrasings_loads(tmp_path):
    result = load_knowledge(generated_knowledge(10_000, tmp_path / "groot"))
    assert result.errors == [], [str(p) for p in result.errors[:3]]
    assert sum(len(e.phrasings) for e in result.knowledge.entries) >= 10_000


def test_a_file_above_the_size_limit_is_refused(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    path = folder / "faq" / "groot.yaml"
    faq_file(path, "groot", 300, answer="Een lang antwoord. " * 380)
    assert MAX_FILE_BYTES < path.stat().st_size < MAX_FOLDER_BYTES
    (problem,) = load_knowledge(folder).errors
    assert (problem.file, problem.line) == ("knowledge/faq/groot.yaml", 1)
    assert "te groot" in problem.message and "2,0 MB" in problem.message


def test_files_above_the_folder_limit_together_are_refused(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    for part in ("deel-a", "deel-b", "deel-c"):
        faq_file(folder / "faq" / f"{part}.yaml", part, 200, answer="Een lang antwoord. " * 380)
    sizes = [(folder / "faq" / f"{p}.yaml").stat().st_size for p in ("deel-a", "deel-b")]
    assert all(size < MAX_FILE_BYTES for size in sizes)
    # Each file alone is allowed; together with the knowledge they are not. Which of them
    # passes the limit first depends on how large the knowledge itself is.
    problems = load_knowledge(folder).errors
    assert problems
    for problem in problems:
        assert "samen te groot" in problem.message and problem.file.startswith("knowledge/")


def test_an_answer_above_the_hard_limit_is_an_error_not_a_warning(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    set_answer(folder, CLEAR_ID, "Dit antwoord is veel te lang. " * 7700)  # 230 KB
    result = load_knowledge(folder)
    (problem,) = result.errors
    assert problem.file == "knowledge/faq/tekort.yaml" and problem.line
    assert "answer:" in (folder / "faq" / "tekort.yaml").read_text().splitlines()[problem.line - 1]
    assert f"hoogstens {MAX_TEXT_CHARS} tekens" in problem.message
    set_answer(folder, CLEAR_ID, "Net niet te lang. " * (MAX_TEXT_CHARS // 20))
    assert load_knowledge(folder).errors == []


def test_a_phrasing_longer_than_a_question_is_refused(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    faq_file(folder / "faq" / "lang.yaml", "lang", 1, examples=("woord " * 300,))
    (problem,) = load_knowledge(folder).errors
    assert problem.file == "knowledge/faq/lang.yaml" and "examples" in problem.message


def test_too_many_phrasings_for_one_question_are_refused(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    path = folder / "faq" / "veel.yaml"
    faq_file(path, "veel", 1)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["phrasings"] = [f"zin {n}" for n in range(MAX_PER_ENTRY + 1)]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    (problem,) = load_knowledge(folder).errors
    assert (
        problem.file == "knowledge/faq/veel.yaml"
        and "phrasings:" in path.read_text(encoding="utf-8").splitlines()[problem.line - 1]
    )
    assert f"hoogstens {MAX_PER_ENTRY}" in problem.message


def test_too_many_questions_are_refused(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    faq_file(folder / "faq" / "veel.yaml", "veel", MAX_ENTRIES)
    (problem,) = load_knowledge(folder).errors
    assert problem.file == "knowledge/faq/veel.yaml"
    assert f"meer dan {MAX_ENTRIES} vragen" in problem.message


def test_too_many_phrasings_together_are_refused(tmp_path):
    folder = copy_knowledge(tmp_path / "knowledge")
    path = folder / "faq" / "veel.yaml"
    faq_file(path, "veel", MAX_PHRASINGS // MAX_PER_ENTRY + 1)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for n, entry in enumerate(data["entries"]):
        entry["phrasings"] = [f"zin {n} {m}" for m in range(MAX_PER_ENTRY)]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    (problem,) = load_knowledge(folder).errors
    assert f"meer dan {MAX_PHRASINGS} formuleringen" in problem.message


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("long_message_threshold", "1.5", "hoogstens 1"),
        ("long_message_threshold", ".nan", "hoogstens 1"),
        ("confirmed_threshold", "-0.1", "groter dan 0"),
        ("confirmed_threshold", "0.9", "mag niet hoger zijn dan 'answer_threshold'"),
        ("clarify_threshold", "0.85", "mag niet hoger zijn dan 'answer_threshold'"),
        ("detail_threshold", "0.9", "mag niet hoger zijn dan 'strict_threshold'"),
        ("answer_margin", "-0.5", "minstens 0"),
        ("max_choices", "0", "minstens 1"),
        ("smalltalk_similarity", "0", "minstens 60"),
        ("unknown_word_weight", ".inf", "hoogstens 50"),
        ("max_answer_chars", "100000", f"hoogstens {MAX_TEXT_CHARS}"),
    ],
)
def test_a_setting_out_of_range_is_refused_at_its_line(tmp_path, name, value, says):
    folder = copy_knowledge(tmp_path / "knowledge")
    path = folder / "settings.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name}:"))
    lines[index] = f"  {name}: {value}"
    write(path, "\n".join(lines) + "\n")
    result = load_knowledge(folder)
    assert [(p.file, p.line) for p in result.errors] == [("knowledge/settings.yaml", index + 1)]
    (problem,) = result.errors
    assert name in problem.message and says in problem.message, str(problem)
    if name != "max_answer_chars":
        assert result.knowledge is None


# -- two reloads at once ----------------------------------------------------------------------


def test_two_reloads_at_once_end_with_the_newest_knowledge(tmp_path, caplog):
    """A slow reload (a large FAQ) that finishes after a quick one started later must not
    put the older knowledge back: reloads take turns."""
    caplog.set_level(logging.INFO, logger="bot.holder")
    folder = generated_knowledge(10_000, tmp_path / "knowledge")
    holder = HelpdeskHolder(Helpdesk(load_knowledge(ROOT / "knowledge").knowledge), folder)
    slow = threading.Thread(target=holder.reload, args=(True,), daemon=True)
    slow.start()
    deadline = time.monotonic() + 30
    while not any("building the helpdesk" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline and slow.is_alive(), "the slow reload never read"
        time.sleep(0.005)
    # The large FAQ is read and being built: now a volunteer puts the real FAQ back.
    (folder / "faq" / "gegenereerd.yaml").unlink()
    for path in (ROOT / "knowledge" / "faq").glob("*.yaml"):
        (folder / "faq" / path.name).write_bytes(path.read_bytes())
    quick = holder.reload(True)
    slow.join(30)
    assert quick.applied and not slow.is_alive()
    assert CLEAR_ID in holder.current.knowledge.by_id, "the older, larger FAQ came back"


# -- the running bot --------------------------------------------------------------------------


def holder_records(caplog: pytest.LogCaptureFixture, needle: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("bot") and needle in r.getMessage()]


@pytest.mark.parametrize("hostile", list(HOSTILE))
async def test_the_running_bot_refuses_a_hostile_file_once_and_takes_the_next_good_edit(
    tmp_path, caplog, hostile
):
    caplog.set_level(logging.INFO, logger="bot")
    async with bot_running(tmp_path, reload_seconds=0.2) as running:
        server, folder = running.server, running.config.knowledge_dir
        before = running.holder.current
        first_line = before.knowledge.by_id[CLEAR_ID].answer.splitlines()[0]
        watcher = running.application.bot_data["background"][0]
        await say(server, "/start", ADMIN_ID)

        line = HOSTILE[hostile](folder)
        notice = await server.wait_for_message(ADMIN_ID, text_contains="NIET", timeout=TIMEOUT)
        assert f"faq/{HOSTILE_NAME[hostile]}.yaml:{line}" in notice["text"]
        assert "hunter2" not in notice["text"]
        for _ in range(3):  # several watcher rounds: still answering, nothing repeated
            assert first_line in (await say(server, CLEAR))["text"]
            await asyncio.sleep(0.25)
        assert running.holder.current is before and not watcher.done()
        assert len(holder_records(caplog, "refused")) == 1
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert all("hunter2" not in r.getMessage() for r in caplog.records)

        for name in HOSTILE_NAME.values():  # the volunteer removes it and edits an answer
            (folder / "faq" / f"{name}.yaml").unlink(missing_ok=True)
        set_answer(folder, CLEAR_ID, "Hersteld: de vreemde bestanden zijn weg.")
        await server.wait_for_message(ADMIN_ID, text_contains="De nieuwe kennis", timeout=TIMEOUT)
        assert "Hersteld: de vreemde" in (await say(server, CLEAR))["text"]
    refusals = [m for m in server.sent_messages(ADMIN_ID) if "NIET" in m["text"]]
    assert len(refusals) == 1


@pytest.fixture(scope="module")
def large_faq(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A large FAQ within the limits (19,000 phrasings), and how long it takes to build."""
    big = generated_knowledge(19_000, tmp_path_factory.mktemp("groot") / "knowledge")
    started = time.perf_counter()
    Helpdesk(load_knowledge(big).knowledge)
    return big, time.perf_counter() - started


@pytest.mark.parametrize("trigger", ["watcher", "admin-reload"])
async def test_sigterm_during_a_long_build_stops_the_bot_at_once(tmp_path, large_faq, trigger):
    """``python -m bot run`` gets a large (but allowed) FAQ, and SIGTERM while it builds:
    the bot stops well before the build would have finished."""
    big, build_seconds = large_faq

    folder = copy_knowledge(tmp_path / "knowledge")
    async with BotApiTestServer() as server:
        env = env_without_token(
            TELEGRAM_BOT_TOKEN=server.token,
            TELEGRAM_BASE_URL=server.base_url,
            DATABASE_PATH=str(tmp_path / "q.sqlite3"),
            KNOWLEDGE_DIR=str(folder),
            RELOAD_INTERVAL="0.2" if trigger == "watcher" else "3600",
            ADMIN_CHAT_IDS=str(ADMIN_ID),
        )
        async with bot_process(tmp_path, env) as process:
            await server.wait_for("getUpdates", timeout=30)
            for path in (folder / "faq").glob("*.yaml"):
                path.unlink()
            write_atomically(
                folder / "faq" / "gegenereerd.yaml",
                (big / "faq" / "gegenereerd.yaml").read_text(encoding="utf-8"),
            )
            if trigger == "admin-reload":
                server.user_sends_text("/reload", ADMIN_ID)
            log = await read_until(process, "building the helpdesk", 60)
            process.send_signal(signal.SIGTERM)
            stop_started = time.perf_counter()
            out, err = await asyncio.wait_for(process.communicate(), 60)
            stop_seconds = time.perf_counter() - stop_started
    output = log + (out + err).decode(errors="replace")
    assert process.returncode == 0, output[-3000:]
    assert "Knowledge reloaded" not in output, "the build finished before the bot stopped"
    assert stop_seconds < build_seconds / 2, (stop_seconds, build_seconds)


async def read_until(process: asyncio.subprocess.Process, needle: str, timeout: float) -> str:
    """The bot's log (stderr) up to and including the line with ``needle``."""
    lines: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not lines or needle not in lines[-1]:
        left = deadline - loop.time()
        assert left > 0, f"no '{needle}' in the log:\n{''.join(lines)[-3000:]}"
        raw = await asyncio.wait_for(process.stderr.readline(), left)
        assert raw, f"the bot ended before '{needle}':\n{''.join(lines)[-3000:]}"
        lines.append(raw.decode(errors="replace"))
    return "".join(lines)
