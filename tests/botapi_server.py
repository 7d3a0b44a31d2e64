"""In-process stand-in for the Telegram Bot API, for end-to-end tests.

Why: the bot has to be exercised through python-telegram-bot's real HTTP stack
(httpx, parameter encoding, error mapping, the Updater's long polling) without
ever reaching api.telegram.org. This server answers the way Telegram does:
response objects are built with PTB's own classes, errors carry Telegram's
codes and descriptions, updates are long-polled with offsets, message ids grow
per chat, and faults (flood control, outages) can be injected.

Usage::

    async with BotApiTestServer() as server:
        app = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
        server.user_sends_text("hallo")
        reply = await server.wait_for_message(chat_id=DEFAULT_USER_ID)

Known, deliberate deviations from the real Bot API are listed in the
``BotApiTestServer`` docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import datetime as dtm
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web
from telegram import (
    AcceptedGiftTypes,
    Animation,
    Audio,
    Bot,
    BotCommand,
    BotCommandScope,
    BotDescription,
    BotName,
    BotShortDescription,
    CallbackQuery,
    Chat,
    ChatFullInfo,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Contact,
    Document,
    File,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Location,
    MenuButton,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    TelegramObject,
    Update,
    User,
    Video,
    VideoNote,
    Voice,
    WebhookInfo,
)

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_GROUP_ID",
    "DEFAULT_GROUP_TITLE",
    "DEFAULT_SUPERGROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "ApiError",
    "BotApiTestServer",
    "FailedCall",
    "RecordedCall",
]

BOT_ID = 7012345678
DEFAULT_TOKEN = f"{BOT_ID}:AAFakeTokenForTheRlsHulpBotTests_01"
BOT_USERNAME = "rls_hulp_bot"
BOT_FIRST_NAME = "RLS Hulp"
DEFAULT_USER_ID = 111222333
DEFAULT_FIRST_NAME = "Anna"
DEFAULT_GROUP_ID = -4012345678
DEFAULT_SUPERGROUP_ID = -1001234567890
DEFAULT_GROUP_TITLE = "RLS lotgenoten"

MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_LONG_POLL_SECONDS = 50.0

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# Telegram's canonical spelling of every Bot API method, found case-insensitively.
_ALL_METHODS = {
    name.lower(): name
    for name in dir(Bot)
    if re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", name) and callable(getattr(Bot, name))
}
_DEFAULT_ALLOWED_UPDATES = frozenset(str(t) for t in Update.ALL_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class RecordedCall(NamedTuple):
    """One API request that reached the simulated Telegram, whatever its outcome."""

    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() when it arrived


class FailedCall(NamedTuple):
    """A request answered with an error (including outages), for asserting on failures."""

    method: str
    params: dict[str, Any]
    time: float
    error_code: int  # 0 when the connection was dropped
    description: str


class ApiError(Exception):
    """Telegram-shaped failure raised by method handlers; becomes the JSON error reply."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


class _GoneOffline(Exception):
    """Raised when an outage starts while a request is in flight."""


class _ClientGone(Exception):
    """The client hung up (e.g. PTB cancelled a long poll); nobody reads the answer."""


_CURRENT_REQUEST: contextvars.ContextVar[web.Request | None] = contextvars.ContextVar(
    "botapi_current_request", default=None
)


def _client_gone() -> bool:
    request = _CURRENT_REQUEST.get()
    if request is None:
        return False
    transport = request.transport
    return transport is None or transport.is_closing()


class _Described(NamedTuple):
    """A successful result that also carries Telegram's optional ``description``."""

    result: Any
    description: str


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _parse_error(description: str) -> ApiError:
    return _bad(f"can't parse entities: {description}")


# --------------------------------------------------------------------------- serialisation


_PTB_DEFAULT_FLAGS = (
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
)


def _strip_ptb_defaults(value: Any) -> Any:
    """PTB adds ``False`` service flags to every Message; Telegram never sends them."""
    if isinstance(value, dict):
        return {
            k: _strip_ptb_defaults(v)
            for k, v in value.items()
            if not (k in _PTB_DEFAULT_FLAGS and v is False)
        }
    if isinstance(value, list):
        return [_strip_ptb_defaults(v) for v in value]
    return value


def _plain(obj: TelegramObject) -> dict[str, Any]:
    """JSON-level dict of a PTB object, exactly as Telegram would send it."""
    return _strip_ptb_defaults(json.loads(obj.to_json()))


def _dt(timestamp: int) -> dtm.datetime:
    return dtm.datetime.fromtimestamp(timestamp, tz=dtm.UTC)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _utf16_slice(text: str, offset: int, length: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


def _utf16_prefix(text: str) -> list[int]:
    """prefix[i] = UTF-16 code units before Python index i (Telegram counts in UTF-16)."""
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return prefix


# --------------------------------------------------------------------------- parameters

_JSON_PARAMS = frozenset(
    {
        "allowed_updates",
        "button",
        "caption_entities",
        "checklist",
        "commands",
        "custom_emoji_ids",
        "emoji_list",
        "entities",
        "explanation_entities",
        "input_message_content",
        "keywords",
        "link_preview_options",
        "mask_position",
        "media",
        "menu_button",
        "message_ids",
        "options",
        "permissions",
        "prices",
        "question_entities",
        "reaction",
        "reply_markup",
        "reply_parameters",
        "results",
        "rights",
        "scope",
        "shipping_options",
        "sticker",
        "stickers",
        "suggested_post_parameters",
        "text_entities",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "for_channels",
        "has_spoiler",
        "is_anonymous",
        "is_personal",
        "only_if_banned",
        "protect_content",
        "revoke_messages",
        "show_alert",
        "show_caption_above_media",
        "supports_streaming",
    }
)
_INT_PARAMS = frozenset(
    {
        "cache_time",
        "duration",
        "height",
        "limit",
        "max_connections",
        "offset",
        "until_date",
        "width",
    }
)
_FLOAT_PARAMS = frozenset({"timeout", "latitude", "longitude", "horizontal_accuracy"})
# "*_id" parameters that are strings in the Bot API; every other "*_id" is an integer.
_STRING_ID_PARAMS = frozenset(
    {
        "business_connection_id",
        "callback_query_id",
        "custom_emoji_id",
        "file_id",
        "gift_id",
        "inline_message_id",
        "inline_query_id",
        "message_effect_id",
        "owned_gift_id",
        "pre_checkout_query_id",
        "shipping_query_id",
        "web_app_query_id",
    }
)
_JSON_ERRORS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "reply_parameters": "can't parse reply parameters JSON object",
    "link_preview_options": "can't parse link preview options JSON object",
}


def _coerce(name: str, value: Any) -> Any:
    """Undo PTB's form encoding: ints/bools arrive as strings, objects as JSON strings."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(_JSON_ERRORS.get(name, f"can't parse {name} JSON object")) from None
    if name in _BOOL_PARAMS and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    is_int_name = name in _INT_PARAMS or (name.endswith("_id") and name not in _STRING_ID_PARAMS)
    if is_int_name and re.fullmatch(r"-?\d+", value):
        return int(value)
    if name in _FLOAT_PARAMS:
        with contextlib.suppress(ValueError):
            return float(value)
    return value


def _decode_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _coerce(name, value) for name, value in raw.items()}


def _as_int(params: Mapping[str, Any], name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad(f"invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    raise _bad(f"invalid {name} specified")


# --------------------------------------------------------------------------- text formatting
#
# Entities are handled internally as dicts with Python-index "start"/"end" and converted to
# Telegram's UTF-16 offsets at the very end (_finalize).

_SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
_PRIORITY = {
    "pre": 10,
    "code": 20,
    "blockquote": 0,
    "expandable_blockquote": 0,
    "text_link": 49,
    "text_mention": 49,
    "mention": 50,
    "hashtag": 50,
    "cashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "phone_number": 50,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
_HTML_TAGS = frozenset({*_HTML_SIMPLE, "a", "code", "pre", "blockquote", "tg-emoji"})
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_TRIM = " \t\n\r\v\f"
_COMMON_TLDS = (
    "nl|be|de|fr|uk|eu|com|org|net|info|io|me|app|dev|health|edu|gov|int|co|ly|gl|to|tv|ru"
)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
_URL_RE = re.compile(
    r"(?<![\w@./-])(?:(?:https?|tg|ton)://[^\s<>\"]+"
    r"|(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:" + _COMMON_TLDS + r")"
    r"(?![\w-])(?::\d{1,5})?(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w{1,256}")


def _normalize_url(url: str) -> str | None:
    """Telegram's URL check: http(s)/tg/ton only, scheme defaulted, "/" added after a bare host."""
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url:
        url = "http://" + url
    scheme, rest = url.split("://", 1)
    if scheme.lower() == "tg":
        return url if rest else None
    if scheme.lower() not in ("http", "https", "ton", "tonsite"):
        return None
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    hostname = host.rsplit("@", 1)[-1]
    hostname = re.sub(r":\d{1,5}$", "", hostname)
    if not re.fullmatch(r"[\w-]+(?:\.[\w-]+)*\.?", hostname):
        return None
    if rest == host:
        url += "/"
    return url


def _decode_html_entity(text: str, i: int) -> tuple[str | None, int]:
    """Decode ``&...`` at ``text[i]`` like TDLib (lt/gt/amp/quot and numeric forms)."""
    n = len(text)
    j = i + 1
    if j < n and text[j] == "#":
        j += 1
        if j < n and text[j] == "x":
            j += 1
            start = j
            while j < n and text[j] in "0123456789abcdefABCDEF":
                j += 1
            code = int(text[start:j], 16) if j > start else 0
        else:
            start = j
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            code = int(text[start:j]) if j > start else 0
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF or j - i >= 10:
            return None, i
        char = chr(code)
    else:
        start = j
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        char = _NAMED_HTML_ENTITIES.get(text[start:j])
        if char is None:
            return None, i
    if j < n and text[j] == ";":
        j += 1
    return char, j


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_html(text: str, *, strict_ampersand: bool) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML subset the way TDLib does, with its error messages."""
    out: list[str] = []
    stack: list[tuple[str, str, int, bool]] = []  # tag, argument, start, expandable
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, j = _decode_html_entity(text, i)
            if decoded is not None:
                out.append(decoded)
                i = j
                continue
            if strict_ampersand:
                raise _parse_error(
                    f"Unescaped '&' at byte offset {_byte_offset(text, i)} "
                    "(the Bot API requires &amp; for a literal '&')"
                )
        if ch != "<":
            out.append(ch)
            i += 1
            continue
        begin = i
        where = f"at byte offset {_byte_offset(text, begin)}"
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise _parse_error(f"Unexpected end tag {where}")
            j = i + 1
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i + 1 : j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise _parse_error(f"Unclosed end tag {where}")
            tag, argument, start, expandable = stack[-1]
            if end_name and end_name != tag:
                raise _parse_error(
                    f'Unmatched end tag {where}, expected "</{tag}>", found "</{end_name}>"'
                )
            stack.pop()
            i = j + 1
            if len(out) > start:
                _close_html_entity(entities, out, tag, argument, start, expandable)
            continue

        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise _parse_error(f"Unclosed start tag {where}")
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise _parse_error(f'Unsupported start tag "{tag}" {where}')
        argument = ""
        expandable = False
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise _parse_error(f"Unclosed start tag {where}")
            if text[j] == ">":
                break
            attr_start = j
            while j < n and not text[j].isspace() and text[j] not in "=>":
                j += 1
            attribute = text[attr_start:j].lower()
            if not attribute:
                raise _parse_error(f'Empty attribute name in the tag "{tag}" {where}')
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    expandable = True
                    continue
                raise _parse_error(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" {where}'
                )
            j += 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise _parse_error(f"Unclosed start tag {where}")
            if text[j] in "'\"":
                quote = text[j]
                j += 1
                chars: list[str] = []
                while j < n and text[j] != quote:
                    if text[j] == "&":
                        decoded, k = _decode_html_entity(text, j)
                        if decoded is not None:
                            chars.append(decoded)
                            j = k
                            continue
                    chars.append(text[j])
                    j += 1
                if j < n:
                    j += 1
                value = "".join(chars)
            else:
                token_start = j
                while j < n and ((text[j].isascii() and text[j].isalnum()) or text[j] in ".-"):
                    j += 1
                value = text[token_start:j].lower()
                if j < n and not text[j].isspace() and text[j] != ">":
                    raise _parse_error(
                        "Unexpected end of name token at byte offset "
                        f"{_byte_offset(text, token_start)}"
                    )
            if j >= n:
                raise _parse_error(f"Unclosed start tag {where}")
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and attribute == "emoji-id":
                argument = value
            elif tag == "blockquote" and attribute == "expandable":
                expandable = True
        if tag == "span" and argument != "spoiler":
            raise _parse_error(f'Tag "span" must have class "tg-spoiler" {where}')
        stack.append((tag, argument, len(out), expandable))
        i = j + 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _close_html_entity(
    entities: list[dict[str, Any]],
    out: list[str],
    tag: str,
    argument: str,
    start: int,
    expandable: bool,
) -> None:
    end = len(out)
    span = {"start": start, "end": end}
    if tag in _HTML_SIMPLE:
        entities.append({"type": _HTML_SIMPLE[tag], **span})
    elif tag == "a":
        url = argument or "".join(out[start:end])
        mention = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if mention:
            entities.append({"type": "text_mention", "user_id": int(mention.group(1)), **span})
        elif (normalized := _normalize_url(url)) is not None:
            entities.append({"type": "text_link", "url": normalized, **span})
    elif tag == "code":
        entities.append({"type": "code", "language": argument or None, **span})
    elif tag == "pre":
        last = entities[-1] if entities else None
        if last and last["type"] == "code" and (last["start"], last["end"]) == (start, end):
            entities.pop()
            entities.append({"type": "pre", "language": last.get("language"), **span})
        else:
            entities.append({"type": "pre", **span})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if expandable else "blockquote"
        entities.append({"type": kind, **span})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise _parse_error("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", "custom_emoji_id": argument, **span})


def _md_reserved_error(char: str) -> ApiError:
    return _parse_error(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """MarkdownV2 as TDLib parses it: reserved characters must be escaped."""
    out: list[str] = []
    stack: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    quote_start: int | None = None
    line_start = True
    i, n = 0, len(text)

    def read_url(pos: int) -> tuple[str, int]:
        chars: list[str] = []
        url_start = pos
        while pos < n and text[pos] != ")":
            if text[pos] == "\\" and pos + 1 < n and 0 < ord(text[pos + 1]) <= 126:
                chars.append(text[pos + 1])
                pos += 2
                continue
            chars.append(text[pos])
            pos += 1
        if pos >= n:
            offset = _byte_offset(text, url_start)
            raise _parse_error(f"Can't find end of a URL at byte offset {offset}")
        return "".join(chars), pos + 1

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            line_start = text[i + 1] == "\n"
            i += 2
            continue
        top = stack[-1] if stack else None
        in_code = top is not None and top["type"] in ("code", "pre")
        if ch == "\n" and not in_code:
            out.append(ch)
            i += 1
            line_start = True
            if quote_start is not None and not (i < n and text[i] == ">"):
                if stack:
                    raise _parse_error(
                        f"Can't find end of {_MD_TYPE_NAMES[stack[-1]['type']]} entity at byte "
                        f"offset {stack[-1]['byte_offset']}"
                    )
                entities.append({"type": "blockquote", "start": quote_start, "end": len(out)})
                quote_start = None
            continue
        reserved = ch == "`" if in_code else ch in _MDV2_RESERVED
        if not reserved:
            out.append(ch)
            line_start = False
            i += 1
            continue
        if top is not None and _mdv2_closes(top["type"], text, i):
            kind, start = top["type"], top["start"]
            url: str | None = None
            if kind in ("underline", "spoiler"):
                i += 2
            elif kind == "pre":
                i += 3
            elif kind in ("text_link", "custom_emoji"):
                i += 1
                if i < n and text[i] == "(":
                    url, i = read_url(i + 1)
                elif kind == "custom_emoji":
                    raise _parse_error("Custom emoji entity must contain a tg://emoji URL")
                else:
                    url = "".join(out[start:])
            else:
                i += 1
            stack.pop()
            if len(out) > start:
                _close_md_entity(entities, kind, start, len(out), url, top.get("language"))
            line_start = False
            continue
        byte_offset = _byte_offset(text, i)
        language = None
        if ch == "_":
            kind = "underline" if text.startswith("__", i) else "italic"
            i += 2 if kind == "underline" else 1
        elif ch == "*":
            kind = "bold"
            i += 1
        elif ch == "~":
            kind = "strikethrough"
            i += 1
        elif ch == "|" and text.startswith("||", i):
            kind = "spoiler"
            i += 2
        elif ch == "[":
            kind = "text_link"
            i += 1
        elif ch == "!" and text.startswith("![", i):
            kind = "custom_emoji"
            i += 2
        elif ch == "`":
            if text.startswith("```", i):
                kind = "pre"
                i += 3
                j = i
                while j < n and not text[j].isspace() and text[j] != "`":
                    j += 1
                if j != i and j < n and text[j] != "`":
                    language = text[i:j]
                    i = j
                if i < n and text[i] in "\r\n":
                    i += 2 if text.startswith(("\r\n", "\n\r"), i) else 1
            else:
                kind = "code"
                i += 1
        elif ch == ">" and line_start:
            if quote_start is None:
                quote_start = len(out)
            i += 1
            line_start = False
            continue
        else:
            raise _md_reserved_error(ch)
        stack.append(
            {"type": kind, "start": len(out), "byte_offset": byte_offset, "language": language}
        )
        line_start = False
    if stack:
        last = stack[-1]
        name = "PreCode" if last["type"] == "pre" and last["language"] else None
        name = name or _MD_TYPE_NAMES[last["type"]]
        raise _parse_error(f"Can't find end of {name} entity at byte offset {last['byte_offset']}")
    if quote_start is not None and len(out) > quote_start:
        entities.append({"type": "blockquote", "start": quote_start, "end": len(out)})
    return "".join(out), entities


def _mdv2_closes(kind: str, text: str, i: int) -> bool:
    ch = text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    return {
        "bold": ch == "*",
        "italic": ch == "_" and nxt != "_",
        "underline": text.startswith("__", i),
        "strikethrough": ch == "~",
        "spoiler": text.startswith("||", i),
        "code": ch == "`",
        "pre": text.startswith("```", i),
        "text_link": ch == "]",
        "custom_emoji": ch == "]",
    }.get(kind, False)


def _close_md_entity(
    entities: list[dict[str, Any]],
    kind: str,
    start: int,
    end: int,
    url: str | None,
    language: str | None,
) -> None:
    span = {"start": start, "end": end}
    if kind == "text_link":
        mention = re.fullmatch(r"tg://user\?id=(\d+)", url or "")
        if mention:
            entities.append({"type": "text_mention", "user_id": int(mention.group(1)), **span})
        elif (normalized := _normalize_url(url or "")) is not None:
            entities.append({"type": "text_link", "url": normalized, **span})
    elif kind == "custom_emoji":
        emoji = re.fullmatch(r"tg://emoji\?id=(\d+)", url or "")
        if not emoji:
            raise _parse_error("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", "custom_emoji_id": emoji.group(1), **span})
    elif kind == "pre":
        entities.append({"type": "pre", "language": language, **span})
    else:
        entities.append({"type": kind, **span})


def _parse_markdown_legacy(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy "Markdown": *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.append(ch)
            i += 1
            continue
        begin = i
        end_char = "]" if ch == "[" else ch
        i += 1
        is_pre = False
        language = None
        if ch == "`" and text.startswith("``", i):
            i += 2
            is_pre = True
            j = i
            while j < n and not text[j].isspace() and text[j] != "`":
                j += 1
            if j != i and j < n and text[j] != "`":
                language = text[i:j]
                i = j
            if i < n and text[i] in "\r\n":
                i += 2 if text.startswith(("\r\n", "\n\r"), i) else 1
        start = len(out)
        while i < n and not (text[i] == end_char and (not is_pre or text.startswith("```", i))):
            out.append(text[i])
            i += 1
        if i >= n:
            raise _parse_error(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        span = {"start": start, "end": len(out)}
        if len(out) > start:
            if ch == "_":
                entities.append({"type": "italic", **span})
            elif ch == "*":
                entities.append({"type": "bold", **span})
            elif ch == "`":
                entities.append(
                    {"type": "pre", "language": language, **span}
                    if is_pre
                    else {"type": "code", **span}
                )
            else:
                url = "".join(out[start:])
                if i + 1 < n and text[i + 1] == "(":
                    close = text.find(")", i + 2)
                    close = n if close < 0 else close
                    url = text[i + 2 : close]
                    i = close
                normalized = _normalize_url(url)
                if normalized is not None and not normalized.startswith("tg:"):
                    entities.append({"type": "text_link", "url": normalized, **span})
        i += 3 if is_pre else 1
    return "".join(out), entities


def _detect_entities(text: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities Telegram finds by itself: email, url, bot_command, mention, hashtag."""
    blocked = [
        (e["start"], e["end"])
        for e in existing
        if e["type"] in ("code", "pre", "text_link", "text_mention", "custom_emoji")
    ]
    found: list[dict[str, Any]] = []

    def free(start: int, end: int) -> bool:
        taken = blocked + [(e["start"], e["end"]) for e in found]
        return all(end <= s or start >= t for s, t in taken)

    for match in _EMAIL_RE.finditer(text):
        if free(*match.span()):
            found.append({"type": "email", "start": match.start(), "end": match.end()})
    for match in _URL_RE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in ".,:;!?'\"":
            end -= 1
        while (
            end > start
            and text[end - 1] == ")"
            and text.count("(", start, end) < text.count(")", start, end)
        ):
            end -= 1
        if end > start and free(start, end):
            found.append({"type": "url", "start": start, "end": end})
    for regex, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        for match in regex.finditer(text):
            if free(*match.span()):
                found.append({"type": kind, "start": match.start(), "end": match.end()})
    for match in _HASHTAG_RE.finditer(text):
        tag = match.group()[1:]
        if any(c.isalpha() for c in tag) and free(*match.span()):
            found.append({"type": "hashtag", "start": match.start(), "end": match.end()})
    return found


def _split_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TDLib splits bold/italic/... at the start of nested entities; mirror that."""
    splittable = [e for e in entities if e["type"] in _SPLITTABLE]
    result = [e for e in entities if e["type"] not in _SPLITTABLE]
    cuts = {e["start"] for e in splittable}
    for e in result:
        cuts.update((e["start"], e["end"]))
    for kind in _SPLITTABLE:
        merged: list[list[int]] = []
        for start, end in sorted((e["start"], e["end"]) for e in splittable if e["type"] == kind):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            bounds = [start, *sorted(c for c in cuts if start < c < end), end]
            result.extend(
                {"type": kind, "start": a, "end": b} for a, b in itertools.pairwise(bounds)
            )
    return result


def _finalize(
    text: str,
    entities: list[dict[str, Any]],
    user_lookup: Callable[[int], dict[str, Any] | None],
) -> tuple[str, list[dict[str, Any]]]:
    """Trim like Telegram, add auto-detected entities, split, sort, convert to UTF-16."""
    lead = len(text) - len(text.lstrip(_TRIM))
    text = text.strip(_TRIM)
    trimmed = []
    for entity in entities:
        start = max(entity["start"] - lead, 0)
        end = min(entity["end"] - lead, len(text))
        if end > start:
            trimmed.append({**entity, "start": start, "end": end})
    everything = _split_entities(trimmed + _detect_entities(text, trimmed))
    everything.sort(key=lambda e: (e["start"], -(e["end"] - e["start"]), _PRIORITY[e["type"]]))
    prefix = _utf16_prefix(text)
    result = []
    for entity in everything:
        out: dict[str, Any] = {
            "type": entity["type"],
            "offset": prefix[entity["start"]],
            "length": prefix[entity["end"]] - prefix[entity["start"]],
        }
        if entity["type"] == "text_link":
            out["url"] = entity["url"]
        elif entity["type"] == "pre" and entity.get("language"):
            out["language"] = entity["language"]
        elif entity["type"] == "custom_emoji":
            out["custom_emoji_id"] = entity["custom_emoji_id"]
        elif entity["type"] == "text_mention":
            user = user_lookup(entity["user_id"])
            if user is None:
                continue  # Telegram cannot mention a user it does not know
            out["user"] = user
        result.append(_plain(MessageEntity.de_json(out)))
    return text, result


def _entities_from_param(text: str, raw: Any) -> list[dict[str, Any]]:
    """Turn an explicit ``entities`` parameter (UTF-16 offsets) into internal spans."""
    if not isinstance(raw, list):
        raise _bad("can't parse entities JSON object")
    prefix = _utf16_prefix(text)
    index_of = {units: idx for idx, units in enumerate(prefix)}
    spans = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise _bad('can\'t parse MessageEntity: Field "type" must be of type String')
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
            continue
        if offset not in index_of or offset + length not in index_of:
            raise _bad("can't parse entities: entity beginning or end is not on a character")
        span = {k: v for k, v in item.items() if k not in ("offset", "length")}
        span.update(start=index_of[offset], end=index_of[offset + length])
        if span["type"] == "text_mention":
            span["user_id"] = (item.get("user") or {}).get("id")
        if span["type"] in _PRIORITY:
            spans.append(span)
    return spans


# --------------------------------------------------------------------------- the server


class BotApiTestServer:
    """Fake Telegram Bot API on 127.0.0.1 for driving a PTB bot end to end.

    Deliberate deviations from the real service (so tests are not misled):

    * A bare ``&`` in HTML text is refused (``strict_ampersand=True``), as the Bot API
      docs demand; real Telegram keeps it literally. Pass ``strict_ampersand=False``
      for Telegram's lenient behaviour.
    * Privacy mode in groups delivers commands, @mentions of the bot and replies to the
      bot's messages; the "last bot that spoke" rule for bare commands is not modelled.
    * Auto-detected url entities only know common TLDs; phone numbers and cashtags are
      not detected. Flood limits are only simulated via ``fail_next``.
    * Methods outside the simulated set answer 400 "method ... is not simulated" so
      untested code paths fail loudly instead of silently succeeding.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = BOT_FIRST_NAME,
        privacy_mode: bool = True,
        strict_ampersand: bool = True,
        first_update_id: int = 100001,
        max_long_poll: float = MAX_LONG_POLL_SECONDS,
    ) -> None:
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.privacy_mode = privacy_mode
        self.strict_ampersand = strict_ampersand
        self.max_long_poll = max_long_poll
        self.bot_user: dict[str, Any] = _plain(
            User(
                id=self.bot_id,
                first_name=bot_first_name,
                is_bot=True,
                username=bot_username,
                can_join_groups=True,
                can_read_all_group_messages=not privacy_mode,
                supports_inline_queries=False,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        )
        self.latency = 0.0  # seconds added to every answer except getUpdates
        self.calls: list[RecordedCall] = []
        self.failures: list[FailedCall] = []
        self.dropped_updates: list[dict[str, Any]] = []  # filtered out by allowed_updates
        self.undelivered_messages: list[dict[str, Any]] = []  # hidden by privacy mode
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.deleted_messages: list[tuple[int, int]] = []
        self.uploads: dict[str, bytes] = {}
        self.logged_out = False
        self.closed = False

        self._updates: list[dict[str, Any]] = []
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._admin_in: set[int] = set()
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}
        self._bot_log: list[dict[str, Any]] = []
        self._pending_queries: dict[str, dict[str, Any]] = {}
        self._query_ids = itertools.count(4_470_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._files: dict[str, dict[str, Any]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._profile: dict[tuple[str, str], str] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._webhook: dict[str, Any] = self._empty_webhook()
        self._offline: str | None = None
        self._injections: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda p: self.bot_user,
            "logOut": self._log_out,
            "close": self._close,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyName": lambda p: self._set_profile(p, "name", 64),
            "getMyName": lambda p: self._get_profile(p, "name"),
            "setMyDescription": lambda p: self._set_profile(p, "description", 512),
            "getMyDescription": lambda p: self._get_profile(p, "description"),
            "setMyShortDescription": lambda p: self._set_profile(p, "short_description", 120),
            "getMyShortDescription": lambda p: self._get_profile(p, "short_description"),
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> BotApiTestServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind to a free port on 127.0.0.1 only; nothing is reachable from outside."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        self._closing = False
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """End pending long polls at once, then close the listener."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root_url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started; use 'async with BotApiTestServer()'")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(token, base_url=...)``."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``; serves files users sent."""
        return f"{self.root_url}/file/bot"

    # ------------------------------------------------------------------ recorded calls

    def calls_of(self, method: str) -> list[RecordedCall]:
        """Calls of one method (name matched case-insensitively)."""
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def clear_calls(self) -> None:
        self.calls.clear()
        self.failures.clear()

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Every Message the bot sent or edited, in order (an edit appears again)."""
        return [
            copy.deepcopy(m) for m in self._bot_log if chat_id is None or m["chat"]["id"] == chat_id
        ]

    def last_sent_message(self, chat_id: int | None = None) -> dict[str, Any] | None:
        sent = self.sent_messages(chat_id)
        return sent[-1] if sent else None

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Current state of a message (None once deleted)."""
        found = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(found) if found is not None else None

    def chat_history(self, chat_id: int) -> list[dict[str, Any]]:
        """Current messages of a chat, both sides, oldest first."""
        return [copy.deepcopy(m) for _, m in sorted(self._messages.get(chat_id, {}).items())]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by an offset."""
        return copy.deepcopy(self._updates)

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list:
        return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    @property
    def webhook_info(self) -> dict[str, Any]:
        return copy.deepcopy(self._webhook)

    async def wait_for(
        self,
        predicate_or_method: str | Callable[[RecordedCall], bool],
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[RecordedCall]:
        """Wait until ``count`` recorded calls match; returns the matching calls.

        A string matches the method name (case-insensitively); a callable receives each
        RecordedCall. Raises TimeoutError describing what was seen instead.
        """
        if isinstance(predicate_or_method, str):
            wanted = predicate_or_method.lower()
            label = predicate_or_method

            def match(call: RecordedCall) -> bool:
                return call.method.lower() == wanted

        else:
            match = predicate_or_method
            label = getattr(predicate_or_method, "__name__", repr(predicate_or_method))

        def check() -> list[RecordedCall] | None:
            found = [c for c in self.calls if match(c)]
            return found if len(found) >= count else None

        def describe() -> str:
            seen = len([c for c in self.calls if match(c)])
            recent = [c.method for c in self.calls[-10:]]
            return (
                f"waited {timeout}s for {count} call(s) matching {label}, saw {seen}; "
                f"last calls: {recent}; failures: {[f[:1] + f[3:] for f in self.failures[-5:]]}"
            )

        return await self._wait_until(check, timeout, describe)

    async def wait_for_message(
        self,
        chat_id: int | None = None,
        *,
        text_contains: str | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Wait for the ``count``-th bot message matching; returns that message."""

        def matching() -> list[dict[str, Any]]:
            return [
                m
                for m in self._bot_log
                if (chat_id is None or m["chat"]["id"] == chat_id)
                and (text_contains is None or text_contains in m.get("text", ""))
            ]

        def check() -> dict[str, Any] | None:
            found = matching()
            return copy.deepcopy(found[count - 1]) if len(found) >= count else None

        def describe() -> str:
            texts = [m.get("text") for m in self._bot_log[-5:]]
            return (
                f"waited {timeout}s for bot message #{count} (chat_id={chat_id}, "
                f"text_contains={text_contains!r}), found {len(matching())}; "
                f"last bot texts: {texts}"
            )

        return await self._wait_until(check, timeout, describe)

    async def wait_until_consumed(self, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed (offset) every queued update."""
        await self._wait_until(
            lambda: True if not self._updates else None,
            timeout,
            lambda: f"{len(self._updates)} update(s) still unconfirmed after {timeout}s",
        )

    # ------------------------------------------------------------------ faults

    def go_offline(self, mode: str = "bad_gateway") -> None:
        """Every request fails until go_online(): 502 from "nginx" or a dropped connection."""
        if mode not in ("bad_gateway", "drop"):
            raise ValueError("mode must be 'bad_gateway' or 'drop'")
        self._offline = mode
        self._notify()

    def go_online(self) -> None:
        self._offline = None
        self._notify()

    @property
    def is_online(self) -> bool:
        return self._offline is None

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        *,
        times: int = 1,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail like Telegram."""
        if description is None:
            description = {
                400: "Bad Request: simulated failure",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: (
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running"
                ),
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
            }.get(error_code, f"Error {error_code}")
            if migrate_to_chat_id is not None:
                description = "Bad Request: group chat was upgraded to a supergroup chat"
        parameters: dict[str, Any] | None = None
        if error_code == 429:
            parameters = {"retry_after": retry_after}
        if migrate_to_chat_id is not None:
            parameters = {"migrate_to_chat_id": migrate_to_chat_id}
        self._injections.append(
            {
                "method": method.lower(),
                "remaining": times,
                "error": ApiError(error_code, description, parameters),
            }
        )

    def _take_injection(self, method: str) -> ApiError | None:
        for injection in self._injections:
            if injection["method"] in ("*", method.lower()):
                injection["remaining"] -= 1
                if injection["remaining"] <= 0:
                    self._injections.remove(injection)
                return injection["error"]
        return None

    # ------------------------------------------------------------------ simulated users

    def add_user(
        self,
        user_id: int = DEFAULT_USER_ID,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Register (or update) a Telegram user; they have not started the bot yet."""
        old = self._users.get(user_id, {})
        default_name = DEFAULT_FIRST_NAME if user_id == DEFAULT_USER_ID else f"Tester{user_id}"
        user = _plain(
            User(
                id=user_id,
                first_name=first_name or old.get("first_name") or default_name,
                is_bot=False,
                last_name=last_name or old.get("last_name"),
                username=username or old.get("username"),
                language_code=language_code or old.get("language_code") or "nl",
            )
        )
        self._users[user_id] = user
        return copy.deepcopy(user)

    def add_group(
        self,
        chat_id: int | None = None,
        *,
        chat_type: str = "group",
        title: str | None = None,
        bot_is_admin: bool = False,
    ) -> dict[str, Any]:
        """Register a group the bot is a member of (admins may delete others' messages)."""
        chat = self._ensure_chat(DEFAULT_USER_ID, chat_type, chat_id, title)
        if bot_is_admin:
            self._admin_in.add(chat["id"])
        return copy.deepcopy(chat)

    def user_sends_text(
        self,
        text: str,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str | None = None,
        reply_to_message: Mapping[str, Any] | Message | int | None = None,
        entities: Iterable[Mapping[str, Any] | MessageEntity] | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """A user sends a text message; queues the update and returns the Message dict."""
        if not text or not text.strip(_TRIM):
            raise ValueError("Telegram clients cannot send an empty message")
        if entities is None:
            text, found = _finalize(text, [], self._lookup_user)
        else:
            found = [e.to_dict() if isinstance(e, MessageEntity) else dict(e) for e in entities]
        fields = {"text": text, "entities": [MessageEntity.de_json(e) for e in found] or None}
        return self._user_message(
            fields,
            user_id=user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            last_name=last_name,
            username=username,
            title=title,
            reply_to_message=reply_to_message,
        )

    def user_sends(
        self,
        kind: str,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: str = "private",
        *,
        caption: str | None = None,
        content: bytes | None = None,
        first_name: str | None = None,
        reply_to_message: Mapping[str, Any] | Message | int | None = None,
        title: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A user sends a non-text message.

        ``kind``: photo, sticker, voice, audio, document, animation, video, video_note,
        location or contact. ``overrides`` replace fields of the media object (e.g.
        ``file_name=``, ``mime_type=``, ``latitude=``); ``content`` is what getFile serves.
        """
        fields = self._media_fields(kind, content, overrides)
        if caption:
            caption, found = _finalize(caption, [], self._lookup_user)
            fields["caption"] = caption
            fields["caption_entities"] = [MessageEntity.de_json(e) for e in found] or None
        return self._user_message(
            fields,
            user_id=user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            title=title,
            reply_to_message=reply_to_message,
        )

    def user_mentions_bot(
        self,
        text: str = "",
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        chat_type: str = "group",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """In a group: "@rls_hulp_bot <text>", with the mention entity Telegram adds."""
        return self.user_sends_text(
            f"@{self.bot_username} {text}".strip(),
            user_id=user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            **kwargs,
        )

    def user_replies_to(
        self,
        message: Mapping[str, Any] | Message,
        text: str,
        user_id: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Reply to a (bot) message in its own chat."""
        chat_id, message_id = self._message_ref(message)
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        if user_id is None:
            user_id = chat_id if chat["type"] == "private" else DEFAULT_USER_ID
        return self.user_sends_text(
            text,
            user_id=user_id,
            chat_id=chat_id,
            chat_type=chat["type"],
            reply_to_message=message_id,
            title=chat.get("title"),
            **kwargs,
        )

    def user_edits_message(self, message: Mapping[str, Any] | Message, text: str) -> dict:
        """A user edits their own text message; queues an edited_message update."""
        chat_id, message_id = self._message_ref(message)
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.get("from", {}).get("id") == self.bot_id:
            raise ValueError("can only edit an existing message sent by a user")
        text, found = _finalize(text, [], self._lookup_user)
        data = copy.deepcopy(stored)
        data.update(text=text, entities=found, edit_date=self._now())
        if not found:
            data.pop("entities")
        edited = _plain(Message.de_json(data))
        self._messages[chat_id][message_id] = edited
        self._queue_update("edited_message", edited)
        return copy.deepcopy(edited)

    def user_presses_button(
        self,
        message: Mapping[str, Any] | Message,
        callback_data: str,
        user_id: int | None = None,
        *,
        check_button: bool = True,
    ) -> dict[str, Any]:
        """A user taps an inline button of a bot message; queues a callback_query update."""
        chat_id, message_id = self._message_ref(message)
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None:
            raise ValueError(f"message {message_id} in chat {chat_id} does not exist (deleted?)")
        if check_button:
            rows = stored.get("reply_markup", {}).get("inline_keyboard", [])
            data = [b.get("callback_data") for row in rows for b in row]
            if callback_data not in data:
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; "
                    f"it has {data}"
                )
        chat = self._chats[chat_id]
        if user_id is None:
            user_id = chat_id if chat["type"] == "private" else DEFAULT_USER_ID
        user = self._users.get(user_id) or self.add_user(user_id)
        query = _plain(
            CallbackQuery(
                id=str(next(self._query_ids)),
                from_user=User.de_json(user),
                chat_instance=str((chat_id * 2_654_435_761) % (2**63)),
                message=Message.de_json(stored),
                data=callback_data,
            )
        )
        self._pending_queries[query["id"]] = query
        self._queue_update("callback_query", query)
        return copy.deepcopy(query)

    def user_blocks_bot(self, user_id: int = DEFAULT_USER_ID) -> dict[str, Any]:
        """Block the bot: later sends get 403; a my_chat_member update is queued."""
        self._blocked.add(user_id)
        return self._my_chat_member(user_id, blocked=True)

    def user_unblocks_bot(self, user_id: int = DEFAULT_USER_ID) -> dict[str, Any]:
        self._blocked.discard(user_id)
        return self._my_chat_member(user_id, blocked=False)

    def queue_update(self, update: Mapping[str, Any] | Update) -> dict[str, Any]:
        """Queue a hand-made update (dict without update_id, or a PTB Update)."""
        data = update.to_dict() if isinstance(update, Update) else dict(update)
        data.pop("update_id", None)
        if len(data) != 1:
            raise ValueError(f"an update carries exactly one payload, got {sorted(data)}")
        ((kind, payload),) = data.items()
        return self._queue_update(kind, payload)

    # ------------------------------------------------------------------ webhook delivery

    async def deliver_to_webhook(
        self,
        url: str,
        update: Mapping[str, Any] | Update,
        secret_token: str | None = None,
        timeout: float = 5.0,
    ) -> int:
        """POST one update the way Telegram does; returns the HTTP status.

        ``secret_token=None`` sends the token registered with setWebhook (if any);
        pass ``""`` to send no header.
        """
        data = update.to_dict() if isinstance(update, Update) else dict(update)
        if "update_id" not in data:
            data = {"update_id": self._take_update_id(), **data}
        body = json.dumps(_plain(Update.de_json(data)))
        if secret_token is None:
            secret_token = self._webhook.get("secret_token") or ""
        headers = {"Content-Type": "application/json"}
        if secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=client_timeout) as session,
                session.post(url, data=body, headers=headers) as response,
            ):
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._webhook_error(f"Connection failed: {exc!r}")
            raise
        if not 200 <= status < 300:
            self._webhook_error(f"Wrong response from the webhook: {status}")
        return status

    async def flush_to_webhook(
        self, url: str, secret_token: str | None = None, timeout: float = 5.0
    ) -> list[int]:
        """Deliver queued updates in order; stops at the first non-2xx like Telegram."""
        statuses = []
        while self._updates:
            status = await self.deliver_to_webhook(url, self._updates[0], secret_token, timeout)
            statuses.append(status)
            if not 200 <= status < 300:
                break
            self._updates.pop(0)
            self._notify()
        return statuses

    def _webhook_error(self, message: str) -> None:
        self._webhook["last_error_date"] = self._now()
        self._webhook["last_error_message"] = message

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return self._json_error(ApiError(404, "Not Found"))

    async def _handle_file(self, request: web.Request) -> web.Response:
        if self._offline:
            return web.Response(status=502, text=_NGINX_502, content_type="text/html")
        if request.match_info["token"] != self.token:
            return self._json_error(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        for entry in self._files.values():
            if entry["file_path"] == path:
                return web.Response(body=entry["content"], content_type="application/octet-stream")
        return self._json_error(ApiError(404, "Not Found"))

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        _CURRENT_REQUEST.set(request)  # connections are reused; always point at this one
        token = request.match_info["token"]
        name = request.match_info["method"]
        if self._offline:
            return self._offline_response(request, name, {})
        if not _TOKEN_RE.fullmatch(token):
            return self._json_error(ApiError(404, "Not Found"))
        if token != self.token:
            return self._json_error(ApiError(401, "Unauthorized"))
        method = _ALL_METHODS.get(name.lower())
        if method is None:
            error = ApiError(404, "Not Found")
            self._record_failure(name, {}, error.error_code, error.description)
            return self._json_error(error)
        params: dict[str, Any] = {}
        try:
            params = await self._read_params(request)
        except ApiError as error:
            self.calls.append(RecordedCall(method, params, time.monotonic()))
            self._notify()
            self._record_failure(method, params, error.error_code, error.description)
            return self._json_error(error)
        self.calls.append(RecordedCall(method, params, time.monotonic()))
        self._notify()
        try:
            if self.latency > 0 and method != "getUpdates":
                await self._sleep(self.latency)
            if self._offline:
                raise _GoneOffline
            injected = self._take_injection(method)
            if injected is not None:
                raise injected
            handler = self._handlers.get(method)
            if handler is None:
                raise _bad(f"method {method} is not simulated by BotApiTestServer")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except _GoneOffline:
            return self._offline_response(request, method, params)
        except _ClientGone:
            return web.Response(status=499)  # nobody is listening any more
        except ApiError as error:
            if not _client_gone():
                self._record_failure(method, params, error.error_code, error.description)
            self._notify()
            return self._json_error(error)
        self._notify()
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, _Described):
            body.update(result=result.result, description=result.description)
        else:
            body["result"] = result
        return web.json_response(body)

    def _offline_response(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> web.Response:
        if self._offline == "drop":
            self._record_failure(method, params, 0, "connection dropped")
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=502)  # never reaches the client
        self._record_failure(method, params, 502, "Bad Gateway")
        return web.Response(status=502, text=_NGINX_502, content_type="text/html")

    def _record_failure(self, method: str, params: dict, code: int, description: str) -> None:
        self.failures.append(FailedCall(method, params, time.monotonic(), code, description))

    @staticmethod
    def _json_error(error: ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": error.error_code,
            "description": error.description,
        }
        if error.parameters:
            body["parameters"] = error.parameters
        if error.error_code in (502, 504):
            title = "502 Bad Gateway" if error.error_code == 502 else "504 Gateway Time-out"
            return web.Response(
                status=error.error_code,
                text=_NGINX_502.replace("502 Bad Gateway", title),
                content_type="text/html",
            )
        return web.json_response(body, status=error.error_code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Query string, then JSON / urlencoded / multipart body, decoded like Telegram."""
        raw: dict[str, Any] = dict(request.query)
        if request.body_exists:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON encoded request body") from None
                if not isinstance(body, dict):
                    raise _bad("JSON object expected as the request body")
                raw.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        self.uploads[key] = data
                        raw[key] = {
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "size": len(data),
                        }
                    else:
                        raw[key] = value
        return _decode_params(raw)

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait_until(
        self,
        check: Callable[[], Any],
        timeout: float,
        describe: Callable[[], str],
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe())
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def _sleep(self, seconds: float) -> None:
        """Sleep that ends early on shutdown or outage."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._closing and not self._offline:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ------------------------------------------------------------------ state helpers

    @staticmethod
    def _now() -> int:
        return int(time.time())

    @staticmethod
    def _empty_webhook() -> dict[str, Any]:
        return {
            "url": "",
            "secret_token": None,
            "max_connections": 40,
            "allowed_updates": None,
            "ip_address": None,
            "has_custom_certificate": False,
            "last_error_date": None,
            "last_error_message": None,
        }

    def _lookup_user(self, user_id: int) -> dict[str, Any] | None:
        if user_id == self.bot_id:
            return self.bot_user
        return self._users.get(user_id)

    def _take_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _queue_update(self, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        update = _plain(Update.de_json({"update_id": self._take_update_id(), kind: payload}))
        if kind not in self._allowed_updates:
            self.dropped_updates.append(update)
        else:
            self._updates.append(update)
            self._notify()
        return copy.deepcopy(update)

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _ensure_user(self, user_id: int, **details: str | None) -> dict[str, Any]:
        if user_id not in self._users or any(details.values()):
            self.add_user(user_id, **details)
        return self._users[user_id]

    def _ensure_chat(
        self, user_id: int, chat_type: str, chat_id: int | None, title: str | None
    ) -> dict[str, Any]:
        if chat_type == "private":
            if chat_id not in (None, user_id):
                raise ValueError("in a private chat, chat_id equals the user's id")
            user = self._ensure_user(user_id)
            chat = _plain(
                Chat(
                    id=user_id,
                    type="private",
                    first_name=user["first_name"],
                    last_name=user.get("last_name"),
                    username=user.get("username"),
                )
            )
        elif chat_type in ("group", "supergroup"):
            default_id = DEFAULT_GROUP_ID if chat_type == "group" else DEFAULT_SUPERGROUP_ID
            chat_id = default_id if chat_id is None else chat_id
            if chat_id >= 0:
                raise ValueError("group chat ids are negative")
            old_title = self._chats.get(chat_id, {}).get("title")
            chat = _plain(
                Chat(id=chat_id, type=chat_type, title=title or old_title or DEFAULT_GROUP_TITLE)
            )
        else:
            raise ValueError("chat_type must be 'private', 'group' or 'supergroup'")
        self._chats[chat["id"]] = chat
        return chat

    @staticmethod
    def _message_ref(message: Mapping[str, Any] | Message) -> tuple[int, int]:
        if isinstance(message, Message):
            return message.chat.id, message.message_id
        return message["chat"]["id"], message["message_id"]

    def _stored_for_reply(
        self, chat_id: int, ref: Mapping[str, Any] | Message | int
    ) -> dict[str, Any]:
        if isinstance(ref, int):
            message_id = ref
        else:
            ref_chat, message_id = self._message_ref(ref)
            if ref_chat != chat_id:
                raise ValueError("reply_to_message must be in the same chat")
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None:
            raise ValueError(f"no message {message_id} in chat {chat_id} to reply to")
        return stored

    def _new_message(
        self,
        chat: Mapping[str, Any],
        sender: Mapping[str, Any],
        *,
        reply_to: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Create, store and return a Message dict, built through PTB's Message class."""
        kwargs: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": _dt(self._now()),
            "chat": Chat.de_json(dict(chat)),
            "from_user": User.de_json(dict(sender)),
        }
        if reply_to is not None:
            shallow = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
            kwargs["reply_to_message"] = Message.de_json(shallow)
        kwargs.update({k: v for k, v in fields.items() if v is not None})
        message = _plain(Message(**kwargs))
        self._messages.setdefault(chat["id"], {})[message["message_id"]] = message
        return message

    def _user_message(
        self,
        fields: dict[str, Any],
        *,
        user_id: int,
        chat_id: int | None,
        chat_type: str,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
        reply_to_message: Mapping[str, Any] | Message | int | None = None,
    ) -> dict[str, Any]:
        user = self._ensure_user(
            user_id, first_name=first_name, last_name=last_name, username=username
        )
        chat = self._ensure_chat(user_id, chat_type, chat_id, title)
        if chat_type == "private":
            self._started.add(user_id)
            if user_id in self._blocked:  # "Restart bot" unblocks first
                self.user_unblocks_bot(user_id)
        reply_to = (
            self._stored_for_reply(chat["id"], reply_to_message)
            if reply_to_message is not None
            else None
        )
        message = self._new_message(chat, user, reply_to=reply_to, **fields)
        if self._reaches_bot(message):
            self._queue_update("message", message)
        else:
            self.undelivered_messages.append(message)
        return copy.deepcopy(message)

    def _reaches_bot(self, message: Mapping[str, Any]) -> bool:
        """Group privacy mode: only commands, @mentions and replies to the bot arrive."""
        if message["chat"]["type"] == "private" or not self.privacy_mode:
            return True
        if message.get("reply_to_message", {}).get("from", {}).get("id") == self.bot_id:
            return True
        text = message.get("text") or message.get("caption") or ""
        for entity in message.get("entities", []) + message.get("caption_entities", []):
            piece = _utf16_slice(text, entity["offset"], entity["length"])
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                target = piece.partition("@")[2]
                return not target or target.lower() == self.bot_username.lower()
            if entity["type"] == "mention" and piece[1:].lower() == self.bot_username.lower():
                return True
            if entity["type"] == "text_mention" and entity["user"]["id"] == self.bot_id:
                return True
        return False

    def _new_file(self, content: bytes, extension: str, folder: str) -> tuple[str, str]:
        number = next(self._file_ids)
        file_id = f"BQACAgQAAxkBAAI{number:06d}{folder[:4]}"
        unique_id = f"AgAD{number:06d}"
        self._files[file_id] = {
            "unique_id": unique_id,
            "content": content,
            "file_path": f"{folder}/file_{number}.{extension}",
        }
        return file_id, unique_id

    def _media_fields(self, kind: str, content: bytes | None, overrides: dict) -> dict:
        """Build the media part of a user message with PTB's file classes."""
        data = content if content is not None else f"fake {kind} bytes".encode()
        size = len(data)
        if kind == "photo":
            sizes = []
            for width in (90, 320, 800):
                file_id, unique = self._new_file(data, "jpg", "photos")
                sizes.append(
                    PhotoSize(file_id, unique, width=width, height=width * 3 // 4, file_size=size)
                )
            return {"photo": sizes}
        if kind == "location":
            base = {"latitude": 52.0907, "longitude": 5.1214, **overrides}
            return {"location": Location(**base)}
        if kind == "contact":
            base = {"phone_number": "+31612345678", "first_name": "Jan", **overrides}
            return {"contact": Contact(**base)}
        specs: dict[str, tuple[type[TelegramObject], str, str, dict[str, Any]]] = {
            "sticker": (
                Sticker,
                "webp",
                "stickers",
                {
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                    "emoji": "👍",
                    "set_name": "RlsTestStickers",
                },
            ),
            "voice": (Voice, "oga", "voice", {"duration": 3, "mime_type": "audio/ogg"}),
            "audio": (Audio, "mp3", "music", {"duration": 30, "mime_type": "audio/mpeg"}),
            "document": (
                Document,
                "pdf",
                "documents",
                {"file_name": "document.pdf", "mime_type": "application/pdf"},
            ),
            "animation": (
                Animation,
                "mp4",
                "animations",
                {"width": 320, "height": 240, "duration": 2, "mime_type": "video/mp4"},
            ),
            "video": (
                Video,
                "mp4",
                "videos",
                {"width": 640, "height": 360, "duration": 5, "mime_type": "video/mp4"},
            ),
            "video_note": (VideoNote, "mp4", "video_notes", {"length": 240, "duration": 4}),
        }
        if kind not in specs:
            raise ValueError(f"unknown message kind {kind!r}")
        cls, extension, folder, base = specs[kind]
        file_id, unique = self._new_file(data, extension, folder)
        obj = cls(file_id=file_id, file_unique_id=unique, file_size=size, **{**base, **overrides})
        fields: dict[str, Any] = {kind: obj}
        if kind == "animation":  # Telegram sends animations also as documents
            fields["document"] = Document(
                file_id, unique, file_name="animation.mp4", mime_type="video/mp4", file_size=size
            )
        return fields

    def _my_chat_member(self, user_id: int, *, blocked: bool) -> dict[str, Any]:
        user = self._ensure_user(user_id)
        chat = self._ensure_chat(user_id, "private", None, None)
        bot = User.de_json(self.bot_user)
        member = ChatMemberMember(user=bot)
        banned = ChatMemberBanned(user=bot, until_date=_dt(0))
        update = ChatMemberUpdated(
            chat=Chat.de_json(chat),
            from_user=User.de_json(user),
            date=_dt(self._now()),
            old_chat_member=member if blocked else banned,
            new_chat_member=banned if blocked else member,
        )
        return self._queue_update("my_chat_member", _plain(update))

    @staticmethod
    def _scope_key(scope: Mapping[str, Any] | None) -> str:
        scope = dict(scope or {"type": "default"})
        return json.dumps(scope, sort_keys=True)

    # ------------------------------------------------------------------ chat resolution

    def _resolve_chat(self, raw: Any) -> dict[str, Any]:
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat: dict[str, Any] | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            chat = self._chats.get(raw)
            if chat is None and raw in self._users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif isinstance(raw, str) and raw.startswith("@"):
            chat = next(
                (
                    c
                    for c in self._chats.values()
                    if (c.get("username") or "").lower() == raw[1:].lower()
                ),
                None,
            )
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _chat_for_sending(self, raw: Any) -> dict[str, Any]:
        chat = self._resolve_chat(raw)
        if chat["type"] == "private":
            if chat["id"] in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat["id"] not in self._started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _stored_message(self, chat: Mapping[str, Any], params: Mapping[str, Any], error: str):
        message_id = _as_int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        stored = self._messages.get(chat["id"], {}).get(message_id)
        if stored is None:
            raise _bad(error)
        return stored

    # ------------------------------------------------------------------ formatting helpers

    def _format(self, text: Any, parse_mode: Any, entities: Any) -> tuple[str, list]:
        if text is None or text == "":
            raise _bad("message text is empty")
        text = str(text)
        if entities is not None:
            plain, spans = text, _entities_from_param(text, entities)
        else:
            mode = str(parse_mode or "").lower()
            if mode == "html":
                plain, spans = _parse_html(text, strict_ampersand=self.strict_ampersand)
            elif mode == "markdownv2":
                plain, spans = _parse_markdown_v2(text)
            elif mode == "markdown":
                plain, spans = _parse_markdown_legacy(text)
            elif mode == "":
                plain, spans = text, []
            else:
                raise _bad("unsupported parse_mode")
        plain, found = _finalize(plain, spans, self._lookup_user)
        if not plain:
            raise _bad("message text is empty")
        return plain, found

    def _reply_markup(self, raw: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        """Validate reply_markup like Telegram; returns what a Message would carry."""
        if raw is None or raw == "":
            return None
        if not isinstance(raw, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            rows = raw["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of '
                    "Arrays"
                )
            checked = [[self._inline_button(b) for b in row] for row in rows]
            if not any(checked):
                return None
            return _plain(InlineKeyboardMarkup.de_json({"inline_keyboard": checked}))
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    if isinstance(button, dict) and not isinstance(button.get("text"), str):
                        raise _bad(
                            'can\'t parse keyboard button: Field "text" must be of type String'
                        )
                    if not isinstance(button, dict | str):
                        raise _bad("can't parse keyboard button: KeyboardButton must be a String")
            return None
        if raw.get("remove_keyboard") or raw.get("force_reply"):
            return None
        raise _bad("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _inline_button(button: Any) -> dict[str, Any]:
        prefix = "can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise _bad(prefix + "InlineKeyboardButton must be an Object")
        if "text" not in button:
            raise _bad(prefix + 'Can\'t find field "text"')
        if not isinstance(button["text"], str):
            raise _bad(prefix + 'Field "text" must be of type String')
        kinds = (
            "url",
            "callback_data",
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        )
        if not any(k in button for k in kinds):
            raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
        button = dict(button)
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str):
                raise _bad(prefix + 'Field "callback_data" must be of type String')
            if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad("BUTTON_DATA_INVALID")
        if "url" in button:
            normalized = _normalize_url(str(button["url"]))
            if normalized is None:
                url = button["url"]
                raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
            button["url"] = normalized
        return button

    def _reply_target(self, chat: Mapping[str, Any], params: Mapping[str, Any]) -> dict | None:
        reply = params.get("reply_parameters")
        if reply is not None and not isinstance(reply, dict):
            raise _bad("can't parse reply parameters JSON object")
        if reply:
            message_id = _as_int(reply, "message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat["id"]):
                target_chat = self._resolve_chat(reply["chat_id"])
            else:
                target_chat = chat
        else:
            message_id = _as_int(params, "reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
            target_chat = chat
        if message_id is None:
            return None
        stored = self._messages.get(target_chat["id"], {}).get(message_id)
        if stored is None and not allow:
            raise _bad("message to be replied not found")
        return stored if target_chat is chat else None

    # ------------------------------------------------------------------ method handlers

    def _log_out(self, params: dict[str, Any]) -> bool:
        self.logged_out = True
        return True

    def _close(self, params: dict[str, Any]) -> bool:
        self.closed = True
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params, "offset", 0) or 0
        limit = min(max(_as_int(params, "limit", 100) or 100, 1), 100)
        try:
            timeout = float(params.get("timeout") or 0)
        except (TypeError, ValueError):
            raise _bad("invalid timeout specified") from None
        timeout = min(max(timeout, 0.0), self.max_long_poll)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            chosen = frozenset(str(a) for a in allowed) & frozenset(map(str, Update.ALL_TYPES))
            self._allowed_updates = chosen or _DEFAULT_ALLOWED_UPDATES
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # wakes (and thereby terminates) an older long poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing and not self._offline:
            if generation != self._poll_generation or self._webhook["url"] or _client_gone():
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            event = self._changed
            with contextlib.suppress(TimeoutError):  # re-check a departed client twice a second
                await asyncio.wait_for(event.wait(), min(remaining, 0.5))
        if _client_gone():
            raise _ClientGone
        if self._offline:
            raise _GoneOffline
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        if self._closing:
            return []
        return copy.deepcopy(self._updates[:limit])

    def _set_webhook(self, params: dict[str, Any]) -> _Described:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        if not url.lower().startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        host = re.split(r"[/?#]", url[len("https://") :], maxsplit=1)[0]
        port_match = re.search(r":(\d+)$", host)
        if port_match and int(port_match.group(1)) not in (80, 88, 443, 8443):
            raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and secret != "":
            if len(str(secret)) > 256:
                raise _bad("secret token is too long")
            if not re.fullmatch(r"[A-Za-z0-9_-]+", str(secret)):
                raise _bad("secret token contains unallowed characters")
        max_connections = _as_int(params, "max_connections", 40) or 40
        if params.get("drop_pending_updates"):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            chosen = frozenset(str(a) for a in allowed) & frozenset(map(str, Update.ALL_TYPES))
            self._allowed_updates = chosen or _DEFAULT_ALLOWED_UPDATES
        already = self._webhook["url"] == url
        self._webhook.update(
            url=url,
            secret_token=str(secret) if secret else None,
            max_connections=min(max(max_connections, 1), 100),
            allowed_updates=sorted(allowed) if isinstance(allowed, list) and allowed else None,
            ip_address=params.get("ip_address") or "149.154.167.220",
            has_custom_certificate="certificate" in params,
        )
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    def _delete_webhook(self, params: dict[str, Any]) -> _Described:
        had = bool(self._webhook["url"])
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = self._empty_webhook()
        return _Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self._webhook
        active = bool(hook["url"])
        last_error = hook["last_error_date"]
        info = WebhookInfo(
            url=hook["url"],
            has_custom_certificate=hook["has_custom_certificate"],
            pending_update_count=len(self._updates),
            max_connections=hook["max_connections"] if active else None,
            ip_address=hook["ip_address"] if active else None,
            allowed_updates=hook["allowed_updates"] if active else None,
            last_error_date=_dt(last_error) if last_error is not None else None,
            last_error_message=hook["last_error_message"],
        )
        return _plain(info)

    def _commands_key(self, params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None:
            if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
                raise _bad("can't parse BotCommandScope JSON object")
            if BotCommandScope.de_json(scope) is None or scope["type"] not in {
                "default",
                "all_private_chats",
                "all_group_chats",
                "all_chat_administrators",
                "chat",
                "chat_administrators",
                "chat_member",
            }:
                raise _bad("unsupported bot command scope type")
            if scope["type"] in ("chat", "chat_administrators", "chat_member"):
                self._resolve_chat(_as_int(scope, "chat_id") or scope.get("chat_id"))
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("invalid language code specified")
        return self._scope_key(scope), language

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        raw = params.get("commands")
        if not isinstance(raw, list):
            raise _bad("can't parse commands JSON object")
        if len(raw) > 100:
            raise _bad("too many commands specified")
        key = self._commands_key(params)
        commands = []
        for item in raw:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand: BotCommand must be an Object")
            command = str(item.get("command") or "").removeprefix("/")
            description = str(item.get("description") or "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append(_plain(BotCommand(command, description)))
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _set_profile(self, params: dict[str, Any], field: str, limit: int) -> bool:
        value = str(params.get(field) or "")
        if len(value) > limit:
            raise _bad(f"bot {field.replace('_', ' ')} is too long")
        language = str(params.get("language_code") or "")
        self._profile[(field, language)] = value
        return True

    def _get_profile(self, params: dict[str, Any], field: str) -> dict[str, Any]:
        language = str(params.get("language_code") or "")
        value = self._profile.get((field, language), self._profile.get((field, ""), ""))
        if field == "name" and not value:
            value = self.bot_user["first_name"]
        cls = {"name": BotName, "description": BotDescription}.get(field, BotShortDescription)
        return _plain(cls(value))

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._resolve_chat(chat_id)["id"]
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or MenuButton.de_json(button) is None:
            raise _bad("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = _plain(MenuButton.de_json(button))
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._resolve_chat(chat_id)["id"]
        default = self._menu_buttons.get(None, {"type": "default"})
        return copy.deepcopy(self._menu_buttons.get(chat_id, default))

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        if text is None or text == "":
            raise _bad("message text is empty")
        markup = self._reply_markup(params.get("reply_markup"))
        chat = self._chat_for_sending(params.get("chat_id"))
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if len(plain) > MAX_MESSAGE_LENGTH:
            raise _bad("message is too long")
        reply_to = self._reply_target(chat, params)
        preview = self._link_preview(params, entities)
        message = self._new_message(
            chat,
            self.bot_user,
            reply_to=reply_to,
            text=plain,
            entities=[MessageEntity.de_json(e) for e in entities] or None,
            reply_markup=InlineKeyboardMarkup.de_json(markup) if markup else None,
            link_preview_options=preview,
            has_protected_content=True if params.get("protect_content") else None,
            message_thread_id=_as_int(params, "message_thread_id"),
        )
        self._bot_log.append(message)
        return copy.deepcopy(message)

    @staticmethod
    def _link_preview(params: Mapping[str, Any], entities: list) -> LinkPreviewOptions | None:
        options = params.get("link_preview_options")
        if options is not None and not isinstance(options, dict):
            raise _bad("can't parse link preview options JSON object")
        if options is None and params.get("disable_web_page_preview"):
            options = {"is_disabled": True}
        if not options or not any(e["type"] in ("url", "text_link") for e in entities):
            return None
        return LinkPreviewOptions.de_json(options)

    def _replace_message(self, stored: dict[str, Any], **changes: Any) -> dict[str, Any]:
        data = copy.deepcopy(stored)
        for key, value in changes.items():
            if value is None or value == []:
                data.pop(key, None)
            else:
                data[key] = value
        data["edit_date"] = self._now()
        message = _plain(Message.de_json(data))
        self._messages[message["chat"]["id"]][message["message_id"]] = message
        self._bot_log.append(message)
        return copy.deepcopy(message)

    def _edit_target(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")  # inline messages are not simulated
        chat = self._resolve_chat(params.get("chat_id"))
        stored = self._stored_message(chat, params, "message to edit not found")
        if stored.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return stored

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        if text is None or text == "":
            raise _bad("message text is empty")
        markup = self._reply_markup(params.get("reply_markup"), inline_only=True)
        stored = self._edit_target(params)
        if "text" not in stored:
            raise _bad("there is no text in the message to edit")
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if len(plain) > MAX_MESSAGE_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        unchanged = (
            plain == stored.get("text")
            and entities == stored.get("entities", [])
            and markup == stored.get("reply_markup")
        )
        if unchanged:
            raise _bad(_NOT_MODIFIED)
        preview = self._link_preview(params, entities)
        return self._replace_message(
            stored,
            text=plain,
            entities=entities,
            reply_markup=markup,
            link_preview_options=_plain(preview) if preview else None,
        )

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        markup = self._reply_markup(params.get("reply_markup"), inline_only=True)
        stored = self._edit_target(params)
        if markup == stored.get("reply_markup"):
            raise _bad(_NOT_MODIFIED)
        return self._replace_message(stored, reply_markup=markup)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        stored = self._stored_message(chat, params, "message to delete not found")
        own = stored.get("from", {}).get("id") == self.bot_id
        if chat["type"] != "private" and not own and chat["id"] not in self._admin_in:
            raise _bad("message can't be deleted")
        del self._messages[chat["id"]][stored["message_id"]]
        self.deleted_messages.append((chat["id"], stored["message_id"]))
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message identifiers are not specified")
        for message_id in ids:
            with contextlib.suppress(ApiError):
                self._delete_message({"chat_id": chat["id"], "message_id": message_id})
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._pending_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        del self._pending_queries[query_id]
        self.callback_answers[query_id] = dict(params)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        action = params.get("action")
        if not action:
            raise _bad("action is empty")  # checked before the chat, like Telegram
        self._chat_for_sending(params.get("chat_id"))
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        info = ChatFullInfo(
            id=chat["id"],
            type=chat["type"],
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types=AcceptedGiftTypes(False, False, False, False, False),
            title=chat.get("title"),
            username=chat.get("username"),
            first_name=chat.get("first_name"),
            last_name=chat.get("last_name"),
        )
        return _plain(info)

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        entry = self._files.get(file_id)
        if entry is None:
            raise _bad("invalid file_id")
        return _plain(
            File(
                file_id=file_id,
                file_unique_id=entry["unique_id"],
                file_size=len(entry["content"]),
                file_path=entry["file_path"],
            )
        )
