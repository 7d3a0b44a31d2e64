"""Render a core Reply for Telegram: escaped HTML, inline buttons, messages within the limit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.knowledge import Knowledge
from bot.replies import Composer, Outcome, Reply

MAX_MESSAGE_CHARS = 4096
MAX_CALLBACK_BYTES = 64

# Callback data: short prefixes keep every button within Telegram's 64 bytes.
ANSWER, TOPIC, TOPICS, FEEDBACK = "a", "t", "tt", "f"


def callback(*parts: str) -> str:
    data = ":".join(parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


@dataclass(frozen=True)
class Press:
    """A button press as the bot understands it: what was pressed, checked and typed."""

    kind: str
    faq_id: str = ""
    topic: int = 0
    useful: bool = False


# Anyone can send any callback data (a modified client, an old button): only what our own
# buttons hold is understood. ASCII digits and ids as the loader allows them, bounded.
_ID = r"[a-z0-9]{1,48}(?:-[a-z0-9]{1,48}){0,47}"
_PRESS = re.compile(
    rf"{ANSWER}:(?P<answer>{_ID})"
    rf"|{TOPIC}:(?P<topic>[0-9]{{1,3}})"
    rf"|(?P<topics>{TOPICS})"
    rf"|{FEEDBACK}:(?P<feedback>{_ID}):(?P<useful>[01])",
    re.ASCII,
)


def parse_callback(data: str | None) -> Press | None:
    """The press the data stands for, or None for anything our buttons never send."""
    if not data or len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_BYTES:
        return None
    match = _PRESS.fullmatch(data)
    if match is None:
        return None
    if match["answer"]:
        return Press(ANSWER, faq_id=match["answer"])
    if match["topic"]:
        return Press(TOPIC, topic=int(match["topic"]))
    if match["topics"]:
        return Press(TOPICS)
    return Press(FEEDBACK, faq_id=match["feedback"], useful=match["useful"] == "1")


def to_html(reply: Reply) -> str:
    body = escape(reply.body, quote=False)
    if reply.suggestions_intro and reply.suggestions:
        body += "\n\n" + escape(reply.suggestions_intro, quote=False)
    if reply.title:
        return f"<b>{escape(reply.title, quote=False)}</b>\n\n{body}"
    return body


_TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)[^>]*>")


# What Telegram trims from a message; Python's own strip() also takes controls such as \x1f,
# which Telegram shows, so a part of them would be lost.
_SPACE = " \t\n\r\v\f"


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut at paragraph, then line, then word boundaries; never inside a tag or an entity.

    A boundary counts only in the second half of the window, so a short first paragraph
    (the bold title) never becomes a message of its own. A tag open at a cut (a very long
    bold title) is closed at the end of the one message and opened again in the next, as
    Telegram refuses a message with an unclosed tag; a part without visible text is left out.
    """
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        room = limit
        for _ in range(8):  # make room for the closing tags; two rounds at most in practice
            cut = _cut_point(rest[:room], room)
            chunk = rest[:cut].rstrip(_SPACE)
            still_open = _unclosed(chunk)
            closing = "".join(f"</{name}>" for name, _ in reversed(still_open))
            if len(chunk) + len(closing) <= limit:
                break
            room = min(room - 1, limit - len(closing))
        if _visible(chunk):
            chunks.append(chunk + closing)
        rest = "".join(tag for _, tag in still_open) + rest[cut:].lstrip(_SPACE)
    if _visible(rest):
        chunks.append(rest)
    return chunks or [""]


def _unclosed(html: str) -> list[tuple[str, str]]:
    """(name, opening tag) of each tag still open at the end of ``html``, outermost first."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html):
        if not match.group(1):
            stack.append((match.group(2), match.group(0)))
        elif stack and stack[-1][0] == match.group(2):
            stack.pop()
    return stack


def _visible(html: str) -> bool:
    return bool(_TAG.sub("", html).strip(_SPACE))


def _cut_point(window: str, limit: int) -> int:
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at >= limit // 2:
            return at
    at = max(window.rfind(" "), window.rfind("\n"))
    if at > 0:
        return at
    # No whitespace at all: cut hard, but not inside an &entity; or a <tag>.
    cut = limit
    amp, semicolon = window.rfind("&"), window.rfind(";")
    if amp > semicolon:
        cut = amp
    opening, closing = window.rfind("<"), window.rfind(">")
    if opening > closing:
        cut = min(cut, opening)
    return cut if cut > 0 else limit


def reply_keyboard(reply: Reply, composer: Composer) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(s.question, callback_data=callback(ANSWER, s.faq_id))]
        for s in reply.suggestions
    ]
    if reply.outcome is Outcome.ANSWER and reply.faq_id:
        rows.append(
            [
                InlineKeyboardButton(
                    composer.message("button_useful"),
                    callback_data=callback(FEEDBACK, reply.faq_id, "1"),
                ),
                InlineKeyboardButton(
                    composer.message("button_not_useful"),
                    callback_data=callback(FEEDBACK, reply.faq_id, "0"),
                ),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def topics_keyboard(knowledge: Knowledge) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(topic.name, callback_data=callback(TOPIC, str(i)))]
            for i, topic in enumerate(knowledge.topics)
        ]
    )


def topic_keyboard(knowledge: Knowledge, index: int, composer: Composer) -> InlineKeyboardMarkup:
    topic = knowledge.topics[index]
    rows = [
        [InlineKeyboardButton(knowledge.by_id[i].question, callback_data=callback(ANSWER, i))]
        for i in topic.entry_ids
        if i in knowledge.by_id
    ]
    rows.append([InlineKeyboardButton(composer.message("button_topics"), callback_data=TOPICS)])
    return InlineKeyboardMarkup(rows)
