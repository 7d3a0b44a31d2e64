"""The command line and the console chat, run as a volunteer would run them."""

from __future__ import annotations

import io
import json
import queue
import shutil
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from bot.console import ConsoleChat, render_reply
from bot.core import Helpdesk, load_helpdesk
from bot.loader import DEFAULT_KNOWLEDGE_DIR
from bot.replies import Outcome
from tests.harness import env_without_token, run_bot

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
CONTRACT_KEYS = {"question", "outcome", "faq_id", "score", "reply", "suggestions", "care_note"}
CLEAR_QUESTION = "hoeveel magnesium heb ik per dag nodig"
OFF_TOPIC = "wat is de hoofdstad van frankrijk"
URGENT = "ik wil niet meer leven"
# Tuesday 25 November 2025, an ordinary working day (no holiday), Amsterdam winter time.
EVENING = "2025-11-25T19:30:00+01:00"
NOON = "2025-11-25T12:00:00+01:00"


@pytest.fixture(scope="module")
def helpdesk() -> Helpdesk:
    return load_helpdesk(DEFAULT_KNOWLEDGE_DIR)


def bot(*args: str, stdin: str = "", env: dict[str, str] | None = None):
    """Run ``python -m bot`` in a subprocess, bounded by a timeout."""
    return run_bot(*args, stdin=stdin, env=env if env is not None else _env(), timeout=TIMEOUT)


def _env() -> dict[str, str]:
    return env_without_token(PYTHONIOENCODING="ascii")  # the bot must choose UTF-8 itself


def copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


# -- ask --json -----------------------------------------------------------------------------


def test_ask_json_gives_one_object_per_line_in_order():
    questions = [CLEAR_QUESTION, OFF_TOPIC, URGENT, "hallo", "magnesium", "wat is rls"]
    stdin = "\n".join([questions[0], "", *questions[1:], "   "]) + "\n"
    result = bot("ask", "--json", "--now", NOON, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    outcomes = {str(o) for o in Outcome}
    for question, line in zip(questions, lines, strict=True):
        data = json.loads(line)
        assert data.keys() >= CONTRACT_KEYS
        assert data["question"] == question
        assert data["outcome"] in outcomes
        assert data["faq_id"] is None or isinstance(data["faq_id"], str)
        assert isinstance(data["score"], float)
        assert data["score"] == round(data["score"], 3)
        assert isinstance(data["reply"], str) and data["reply"]
        for suggestion in data["suggestions"]:
            assert set(suggestion) == {"faq_id", "question"}
    first = json.loads(lines[0])
    assert first["outcome"] == "answer" and first["faq_id"]
    assert json.loads(lines[1])["outcome"] == "referral"
    assert json.loads(lines[2])["outcome"] == "urgent"


def test_ask_json_is_utf8_and_matches_the_helpdesk(helpdesk):
    result = bot("ask", "--json", "--now", NOON, CLEAR_QUESTION)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    data = json.loads(line)
    reply = helpdesk.respond(CLEAR_QUESTION, datetime.fromisoformat(NOON))
    assert data["reply"] == reply.text
    assert data["faq_id"] == reply.faq_id
    assert data["suggestions"] == [
        {"faq_id": s.faq_id, "question": s.question} for s in reply.suggestions
    ]
    assert "\\u" not in line  # ensure_ascii=False: Dutch text stays readable


def test_ask_json_answers_each_line_before_the_input_ends():
    """A caller can stream: every answer is flushed as soon as its line is read."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=_env(),
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True)
    try:
        reader.start()
        process.stdin.write(URGENT + "\n")
        process.stdin.flush()
        data = json.loads(lines.get(timeout=TIMEOUT))  # stdin is still open
        assert data["outcome"] == "urgent"
        process.stdin.close()
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)
        process.stdout.close()


def test_ask_stops_quietly_when_its_reader_goes_away(tmp_path):
    """'python -m bot ask --json < vragen.txt | head -1' ends without a traceback."""
    questions = tmp_path / "vragen.txt"
    questions.write_text("wat is magnesium\n" * 2000, encoding="utf-8")
    with questions.open("rb") as stdin:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "ask", "--json"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=_env(),
        )
        try:
            assert json.loads(process.stdout.readline())["outcome"] == "answer"
            process.stdout.close()
            _, errors = process.communicate(timeout=TIMEOUT)
        finally:
            process.kill()
            process.wait(timeout=TIMEOUT)
    assert process.returncode == 1
    assert b"Traceback" not in errors, errors.decode()


def test_urgent_message_gives_urgent():
    result = bot("ask", "--json", URGENT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "urgent"


# -- --now and the opening hours ------------------------------------------------------------


def test_referral_in_the_evening_says_the_line_is_open(helpdesk):
    result = bot("ask", "--json", "--now", EVENING, OFF_TOPIC)
    data = json.loads(result.stdout)
    assert data["outcome"] == "referral"
    closes = helpdesk.knowledge.helpline.closes.strftime("%H:%M")
    assert helpdesk.composer.message("open_now", sluit=closes) in data["reply"]


def test_referral_at_noon_says_the_line_opens_tonight(helpdesk):
    result = bot("ask", "--json", "--now", NOON, OFF_TOPIC)
    data = json.loads(result.stdout)
    assert data["outcome"] == "referral"
    assert "vanavond om 19:00" in data["reply"]
    assert helpdesk.composer.message("open_now", sluit="20:00") not in data["reply"]


def test_a_question_beside_the_article_is_partial_never_an_answer(helpdesk):
    """'partial' in the JSON contract: the entry shown as faq_id, and the helpline in reply."""
    result = bot(
        "ask", "--json", "--now", NOON, "kan alcohol drinken een magnesiumtekort veroorzaken?"
    )
    data = json.loads(result.stdout)
    assert data["outcome"] == "partial"
    assert data["faq_id"] == "oorzaken-tekort"
    helpline = helpdesk.knowledge.helpline
    assert helpline.email in data["reply"] and helpline.phone in data["reply"]
    assert "vanavond om 19:00" in data["reply"]


def test_now_without_time_zone_is_the_helplines_time():
    result = bot("ask", "--json", "--now", "2025-11-25T19:30", OFF_TOPIC)
    assert "vanavond" not in json.loads(result.stdout)["reply"]
    result = bot("ask", "--json", "--now", "2025-11-25T12:00", OFF_TOPIC)
    assert "vanavond om 19:00" in json.loads(result.stdout)["reply"]


def test_ask_prints_what_the_chat_prints(helpdesk):
    result = bot("ask", "--now", NOON, CLEAR_QUESTION)
    assert result.returncode == 0, result.stderr
    reply = helpdesk.respond(CLEAR_QUESTION, datetime.fromisoformat(NOON))
    assert result.stdout == render_reply(reply) + "\n"
    assert reply.suggestions and f"1. {reply.suggestions[0].question}" in result.stdout


def test_bad_now_is_refused_without_traceback():
    result = bot("ask", "--now", "gisteren", "hallo")
    assert result.returncode == 2
    assert "gisteren" in result.stderr and "Traceback" not in result.stderr


# -- the console chat -----------------------------------------------------------------------


def chat(helpdesk: Helpdesk, lines: list[str], now: str = NOON) -> str:
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    stdout = io.StringIO()
    moment = datetime.fromisoformat(now)
    assert ConsoleChat(helpdesk, lambda: moment, stdin, stdout).run() == 0
    return stdout.getvalue()


def test_chat_question_then_a_numbered_pick(helpdesk):
    now = datetime.fromisoformat(NOON)
    reply = helpdesk.respond(CLEAR_QUESTION, now)
    assert reply.outcome is Outcome.ANSWER and reply.suggestions
    picked = helpdesk.answer_for(reply.suggestions[0].faq_id, now)
    output = chat(helpdesk, [CLEAR_QUESTION, "", "1", "/stop"])
    assert output.startswith(helpdesk.composer.welcome())
    assert render_reply(reply) in output
    assert render_reply(picked) in output.split(render_reply(reply), 1)[1]
    assert output.rstrip().endswith("Tot ziens!")


def test_chat_topics_down_to_an_answer_then_contact(helpdesk):
    now = datetime.fromisoformat(EVENING)
    topics = helpdesk.knowledge.topics
    topic = topics[1]
    entry = helpdesk.knowledge.by_id[topic.entry_ids[0]]
    output = chat(helpdesk, ["/onderwerpen", "2", "1", "/contact", "/stop"], now=EVENING)
    after = output.split("> /onderwerpen", 1)[1]
    assert helpdesk.composer.message("topics_intro") in after
    assert f"2. {topic.name}" in after
    after = after.split("> 2", 1)[1]
    assert helpdesk.composer.message("topic_intro", onderwerp=topic.name) in after
    assert f"1. {entry.question}" in after
    after = after.split("> 1", 1)[1]
    assert render_reply(helpdesk.answer_for(entry.id, now)) in after
    after = after.split("> /contact", 1)[1]
    assert helpdesk.composer.contact_text(now) in after
    assert after.split("> /stop", 1)[1].strip() == "Tot ziens!"


def test_chat_commands_and_wrong_numbers(helpdesk):
    output = chat(helpdesk, ["/help", "/privacy", "7", "/onderwerpen", "99"])
    composer = helpdesk.composer
    assert composer.message("help") in output
    assert composer.privacy() in output
    assert composer.message("unknown_button") in output.split("> 7", 1)[1]
    count = len(helpdesk.knowledge.topics)
    assert f"Kies een nummer van 1 tot en met {count}." in output.split("> 99", 1)[1]
    assert output.rstrip().endswith("Tot ziens!")  # end of input ends the chat


def test_chat_ends_gracefully_on_ctrl_c(helpdesk):
    class Interrupting(io.StringIO):
        def readline(self, *args):
            raise KeyboardInterrupt

    stdout = io.StringIO()
    moment = datetime.fromisoformat(NOON)
    assert ConsoleChat(helpdesk, lambda: moment, Interrupting(), stdout).run() == 0
    assert stdout.getvalue().rstrip().endswith("Tot ziens!")


def test_default_command_without_token_starts_the_chat(helpdesk):
    env = _env()
    env["TELEGRAM_BOT_TOKEN"] = ""  # set but empty counts as not set
    result = bot(stdin="/stop\n", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(helpdesk.composer.welcome())
    assert result.stdout.rstrip().endswith("Tot ziens!")
    result = bot(stdin="/stop\n", env=_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(helpdesk.composer.welcome())


# -- check and --knowledge ------------------------------------------------------------------


def test_check_passes_on_the_real_knowledge():
    result = bot("check")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.splitlines()[-1]
    assert " vragen, 0 fouten, " in summary


def test_check_reports_broken_yaml_with_file_and_line(tmp_path):
    folder = copy_knowledge(tmp_path)
    path = folder / "faq" / "magnesium.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("topic:"))
    lines[number - 1] = "topic: Magnesium: en je lichaam"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = bot("check", "--knowledge", str(folder))
    assert result.returncode == 1
    assert f"faq/magnesium.yaml:{number}: fout" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 fout, ")


def test_knowledge_errors_stop_ask_and_chat_without_traceback(tmp_path):
    folder = copy_knowledge(tmp_path)
    (folder / "helpline.yaml").write_text("name: [niet afgesloten\n", encoding="utf-8")
    for args in (["ask", "hallo"], ["chat"]):
        result = bot(*args, "--knowledge", str(folder), stdin="/stop\n")
        assert result.returncode == 1
        assert "helpline.yaml" in result.stderr
        assert "python -m bot check" in result.stderr
        assert "Traceback" not in result.stderr


def test_knowledge_option_uses_the_copy(tmp_path):
    folder = copy_knowledge(tmp_path)
    path = folder / "helpline.yaml"
    text = path.read_text(encoding="utf-8")
    phone = load_helpdesk(DEFAULT_KNOWLEDGE_DIR).knowledge.helpline.phone
    assert phone in text
    path.write_text(text.replace(phone, "0900-1234567"), encoding="utf-8")
    result = bot("ask", "--knowledge", str(folder), "--json", OFF_TOPIC)
    reply = json.loads(result.stdout)["reply"]
    assert "0900-1234567" in reply and phone not in reply


def test_the_same_messages_get_the_same_replies_in_every_process(tmp_path):
    """Python orders sets differently in each process, and sums over them differ in the
    last bits; replies, suggestions included, must not depend on that. A large FAQ has
    the near ties that show it."""
    from tests.generated_faq import generated_knowledge
    from tests.testset import load_cases

    knowledge = generated_knowledge(2000, tmp_path / "knowledge")
    messages = "".join(f"{case.text}\n" for case in load_cases("dev"))
    outputs = set()
    for seed in ("1", "2", "3"):
        done = run_bot(
            "ask",
            "--json",
            "--knowledge",
            str(knowledge),
            stdin=messages,
            env=env_without_token(PYTHONHASHSEED=seed),
        )
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
