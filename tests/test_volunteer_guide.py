"""The volunteers' guide, knowledge/README.md, followed literally.

The worked example is taken from the guide itself: the YAML block after
``<!-- voorbeeld-vraag -->`` is appended to the faq file the guide names, in a copy of
knowledge/; the check must then print what the guide shows after ``<!-- voorbeeld-check -->``;
the lines after ``<!-- voorbeeld-weghalen -->`` are removed from the existing entry; then the
check must pass and the example's own ``examples`` must reach the new entry, while the entry
the lines were taken from still answers its own examples. Every ``python -m bot`` command the
guide shows must be accepted by the command line.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from bot.loader import DEFAULT_KNOWLEDGE_DIR, ENTRY_FIELDS, PLACEHOLDERS, load_knowledge
from tests.harness import run_bot

GUIDE = DEFAULT_KNOWLEDGE_DIR / "README.md"
TIMEOUT = 60
COPY_NAME = "kopie"  # the guide's working copy is ~/kopie; the check shows it as kopie/...
# Tuesday 25 November 2025 in the evening: a fixed moment, so replies are reproducible.
NOW = "2025-11-25T19:30:00+01:00"
MIN_PHRASINGS = 10
MIN_EXAMPLES = 3
LOCATION = re.compile(r"^\S+?:(?:\d+:)? (?=fout: |waarschuwing: )")


# -- reading the guide ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def guide() -> str:
    assert GUIDE.is_file(), f"{GUIDE} ontbreekt"
    return GUIDE.read_text(encoding="utf-8")


def marked_block(text: str, marker: str) -> str:
    """The body of the fenced code block right after ``<!-- marker -->``."""
    found = re.search(rf"<!-- {marker} -->\s*\n```[a-z]*\n(.*?)^```", text, re.S | re.M)
    assert found, f"no ```-block after <!-- {marker} --> in {GUIDE}"
    return found.group(1)


def code_lines(text: str) -> list[str]:
    """Every line inside a fenced code block."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    assert not inside, "a ```-block in the guide is not closed"
    return lines


def guide_faq_file(text: str) -> str:
    """The faq file the worked example says to open: the last one named before the block."""
    before = text[: text.index("<!-- voorbeeld-vraag -->")]
    names = re.findall(r"`[^`\n]*?(faq/[a-z0-9_-]+\.yaml)`", before)
    assert names, "the guide does not say in which faq file the example goes"
    return names[-1]


@pytest.fixture(scope="module")
def example(guide: str) -> dict:
    entries = yaml.safe_load(marked_block(guide, "voorbeeld-vraag"))
    assert isinstance(entries, list) and len(entries) == 1, "the example must be one entry"
    assert isinstance(entries[0], dict)
    return entries[0]


# -- running the bot as the guide does ------------------------------------------------------


def bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_bot(*args, stdin=stdin, timeout=TIMEOUT)


def without_location(line: str) -> str:
    """'kopie/faq/x.yaml:179: fout: ... (kopie/faq/x.yaml:66).' -> 'fout: ... (x.yaml)': line
    numbers move when files change."""
    return re.sub(r"(\.ya?ml):\d+\)", r"\1)", LOCATION.sub("", line))


def problem_lines(output: str, severity: str) -> list[str]:
    return [
        without_location(line)
        for line in output.splitlines()
        if without_location(line).startswith(f"{severity}: ")
    ]


def ask_json(folder: Path, questions: list[str]) -> list[dict]:
    result = bot(
        "ask", "--json", "--now", NOW, "--knowledge", str(folder), stdin="\n".join(questions) + "\n"
    )
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in replies] == questions
    return replies


def misses(replies: list[dict], faq_id: str) -> list[str]:
    return [
        f"{r['question']!r} -> {r['outcome']} {r['faq_id']} (score {r['score']})"
        for r in replies
        if (r["outcome"], r["faq_id"]) != ("answer", faq_id)
    ]


# -- the tests ------------------------------------------------------------------------------


def test_example_entry_is_a_complete_new_entry(example: dict, guide: str) -> None:
    assert set(example) <= set(ENTRY_FIELDS), set(example) - set(ENTRY_FIELDS)
    missing = {name for name, spec in ENTRY_FIELDS.items() if spec.required} - set(example)
    assert not missing, f"the example lacks {missing}"
    assert len(example["phrasings"]) >= MIN_PHRASINGS
    assert len(example["examples"]) >= MIN_EXAMPLES
    existing = load_knowledge(DEFAULT_KNOWLEDGE_DIR).knowledge
    assert existing is not None, "the real knowledge has errors"
    assert example["id"] not in existing.by_id, "the worked example must add a NEW entry"
    assert (DEFAULT_KNOWLEDGE_DIR / guide_faq_file(guide)).is_file()


def test_worked_example_step_by_step(example: dict, guide: str, tmp_path: Path) -> None:
    new_id = example["id"]
    # Step 1: a working copy.
    copy = tmp_path / COPY_NAME
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, copy)
    # Step 2: the guide says which answer the question gets before the change.
    asked = re.search(r'^python -m bot ask --knowledge ~/kopie "([^"]+)"$', guide, re.M)
    assert asked, "step 2 shows no question to ask"
    (before,) = ask_json(copy, [asked.group(1)])
    assert before["outcome"] == "answer", before
    title = before["reply"].split("\n", 1)[0]
    said = guide[asked.end() :].split("**Stap 3", 1)[0]
    assert f'"{title}"' in said, f"step 2 should name the answer {title!r}"
    # Step 3: an empty line after the last entry, then the block.
    faq_file = copy / guide_faq_file(guide)
    original = faq_file.read_text(encoding="utf-8")
    block = marked_block(guide, "voorbeeld-vraag")
    faq_file.write_text(original.rstrip("\n") + "\n\n" + block, encoding="utf-8")

    # Step 4: the check prints the errors the guide shows (line numbers aside).
    first = bot("check", "--knowledge", str(copy))
    shown = marked_block(guide, "voorbeeld-check")
    expected = problem_lines(shown, "fout")
    assert expected, "the guide shows no errors after <!-- voorbeeld-check -->"
    assert problem_lines(first.stdout, "fout") == expected, first.stdout
    assert first.returncode == 1
    assert first.stdout.splitlines()[-1] == shown.splitlines()[-1]

    # ... and the lines the guide says to take away are taken away from the other entry.
    removed = marked_block(guide, "voorbeeld-weghalen").splitlines(keepends=True)
    assert removed
    for line in removed:
        assert original.count(line) == 1, f"{line!r} is not in {faq_file.name} exactly once"
        assert line in block, f"{line!r} should move to the new entry"
        original = original.replace(line, "", 1)
    faq_file.write_text(original.rstrip("\n") + "\n\n" + block, encoding="utf-8")

    second = bot("check", "--knowledge", str(copy))
    assert second.returncode == 0, second.stdout + second.stderr
    assert " 0 fouten" in second.stdout.splitlines()[-1]
    about_new = [line for line in second.stdout.splitlines() if f"'{new_id}'" in line]
    assert not about_new, "\n".join(about_new)

    # Step 5: the example's own examples reach the new entry ...
    assert misses(ask_json(copy, example["examples"]), new_id) == []
    # ... and the entries the example took phrasings from still answer their own examples.
    knowledge = load_knowledge(copy).knowledge
    assert knowledge is not None
    for other_id in sorted(set(re.findall(r"bij '([a-z0-9-]+)'", first.stdout)) - {new_id}):
        other = knowledge.by_id[other_id]
        assert other.examples, f"'{other_id}' has no examples to try"
        assert misses(ask_json(copy, list(other.examples)), other_id) == []

    chat = bot(
        "chat", "--now", NOW, "--knowledge", str(copy), stdin=example["examples"][0] + "\n/stop\n"
    )
    assert chat.returncode == 0, chat.stderr
    assert example["question"] in chat.stdout
    assert example["answer"].splitlines()[0] in chat.stdout


def test_every_command_in_the_guide_is_accepted(guide: str, tmp_path: Path) -> None:
    commands = [
        line.strip() for line in code_lines(guide) if line.strip().startswith("python -m bot")
    ]
    assert len(commands) >= 6, commands
    seen = set()
    for command in commands:
        words = shlex.split(command)
        if ">" in words:  # a shell redirection is not the bot's business
            words = words[: words.index(">")]
        assert words[:3] == ["python", "-m", "bot"], command
        args = [re.sub(r"<[^>]+>|~/kopie", str(tmp_path / COPY_NAME), word) for word in words[3:]]
        try:
            parsed = build_parser().parse_args(args)
        except SystemExit as exit_:
            pytest.fail(f"the command line refuses {command!r} (exit {exit_.code})")
        seen.add(parsed.command)
    assert {"ask", "chat", "check", "report"} <= seen


def test_guide_explains_every_entry_field_and_only_real_placeholders(guide: str) -> None:
    section = guide.split("## Zo is een vraag opgebouwd", 1)[1].split("\n## ", 1)[0]
    explained = re.findall(r"^- `([a-z_]+)`:", section, re.M)
    assert sorted(explained) == sorted(ENTRY_FIELDS)
    offered = re.findall(r"`\{([a-z]+)\}`", section)
    assert {"email", "telefoon", "openingstijden"} <= set(offered) <= PLACEHOLDERS
