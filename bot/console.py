"""Chat with the helpdesk in a terminal, reading exactly what a Telegram user would read.

Buttons become numbered lines: typing a number picks one. The streams are passed in, so
the whole conversation can be driven from a test.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from bot.core import Helpdesk
from bot.replies import Outcome, Reply

PROMPT = "> "
GOODBYE = "Tot ziens!"


def numbered(items: Sequence[str]) -> str:
    """Buttons as the console shows them: '1. first', '2. second', ..."""
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


def render_reply(reply: Reply) -> str:
    """A reply as plain text: what the user reads, then the suggestions numbered.

    The one rendering shared by the console chat and ``python -m bot ask``.
    """
    parts = [reply.text]
    if reply.suggestions:
        intro = reply.suggestions_intro if reply.outcome is not Outcome.CLARIFY else None
        listing = numbered([s.question for s in reply.suggestions])
        parts.append(f"{intro}\n{listing}" if intro else listing)
    return "\n\n".join(parts)


@dataclass(frozen=True)
class _Choice:
    """What one number in the last list shown stands for."""

    kind: str  # "faq" or "topic"
    value: str | int  # an entry id, or the index of a topic


class ConsoleChat:
    """One conversation; the numbers the user may type refer to the last list shown."""

    def __init__(
        self,
        helpdesk: Helpdesk,
        clock: Callable[[], datetime],
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.helpdesk = helpdesk
        self.clock = clock
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.choices: list[_Choice] = []
        self.interactive = _isatty(self.stdin)

    # -- output -------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.stdout.write(f"{text}\n\n")
        self.stdout.flush()

    def show_reply(self, reply: Reply) -> None:
        self.choices = [_Choice("faq", s.faq_id) for s in reply.suggestions]
        self.say(render_reply(reply))

    def show_topics(self, intro: str | None = None) -> None:
        topics = self.helpdesk.knowledge.topics
        self.choices = [_Choice("topic", i) for i in range(len(topics))]
        listing = numbered([t.name for t in topics])
        heading = self.helpdesk.composer.message("topics_intro")
        self.say("\n\n".join(p for p in (intro, f"{heading}\n{listing}") if p))

    def show_topic(self, index: int) -> None:
        topic = self.helpdesk.knowledge.topics[index]
        by_id = self.helpdesk.knowledge.by_id
        ids = [i for i in topic.entry_ids if i in by_id]
        self.choices = [_Choice("faq", i) for i in ids]
        heading = self.helpdesk.composer.message("topic_intro", onderwerp=topic.name)
        self.say(f"{heading}\n{numbered([by_id[i].question for i in ids])}")

    # -- input --------------------------------------------------------------------------

    def read_line(self) -> str | None:
        """The next line without its newline, or None at the end of the input."""
        if self.interactive and self.stdin is sys.stdin and self.stdout is sys.stdout:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())
            try:
                return input(PROMPT)
            except EOFError:
                self.stdout.write("\n")
                return None
        self.stdout.write(PROMPT)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            return None
        if not self.interactive:
            self.stdout.write(line if line.endswith("\n") else f"{line}\n")  # a readable log
        return line.rstrip("\r\n")

    # -- the conversation ---------------------------------------------------------------

    def run(self) -> int:
        """Talk until /stop, the end of the input or Ctrl-C."""
        try:
            self.show_topics(intro=self.helpdesk.composer.welcome())
            while True:
                line = self.read_line()
                if line is None or not self.handle(line):
                    break
        except KeyboardInterrupt:
            self.stdout.write("\n")
        self.stdout.write(f"{GOODBYE}\n")
        self.stdout.flush()
        return 0

    def handle(self, line: str) -> bool:
        """Answer one line; False when the user wants to stop."""
        text = line.strip()
        if not text:
            return True
        if text.startswith("/"):
            return self.command(text)
        if text.isdigit():
            self.pick(int(text))
            return True
        self.show_reply(self.helpdesk.respond(text, self.clock()))
        return True

    def command(self, text: str) -> bool:
        name = text.split()[0].lower().split("@")[0]
        composer = self.helpdesk.composer
        if name == "/stop":
            return False
        if name == "/start":
            self.show_topics(intro=composer.welcome())
        elif name == "/onderwerpen":
            self.show_topics()
        elif name == "/contact":
            self.choices = []
            self.say(composer.contact_text(self.clock()))
        elif name == "/privacy":
            self.choices = []
            self.say(composer.privacy())
        else:  # /help and every command the bot does not know
            self.choices = []
            self.say(composer.message("help"))
        return True

    def pick(self, number: int) -> None:
        if not self.choices:
            self.say(self.helpdesk.composer.message("unknown_button"))
            return
        if not 1 <= number <= len(self.choices):
            self.say(f"Kies een nummer van 1 tot en met {len(self.choices)}.")
            return
        choice = self.choices[number - 1]
        if choice.kind == "topic":
            self.show_topic(int(choice.value))
            return
        reply = self.helpdesk.answer_for(str(choice.value), self.clock())
        if reply is None:
            self.choices = []
            self.say(self.helpdesk.composer.message("unknown_button"))
        else:
            self.show_reply(reply)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def run_chat(
    helpdesk: Helpdesk,
    clock: Callable[[], datetime],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    return ConsoleChat(helpdesk, clock, stdin, stdout).run()
