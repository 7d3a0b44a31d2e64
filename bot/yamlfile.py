"""Read one YAML file safely, keeping the line of every value for clear error messages.

PyYAML's plain ``safe_load`` forgets where a value stood and silently keeps the last of
two equal keys; volunteers need both: a line to look at and a warning about the duplicate.
A careless or malicious edit must not hurt the running bot either: only regular files
inside the knowledge folder are read, within a size limit, and YAML anchors and aliases
(which can blow 342 bytes up to gigabytes) and deep nesting are refused.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.problems import ProblemList

# libyaml's parser when present (ten times faster); both are the safe loader.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlMap(dict):
    """A mapping that remembers the line of the mapping and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list):
    """A list that remembers the line of the list and of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def line_in(container: Any, key: Any) -> int | None:
    """The line of ``container[key]`` if the container knows it."""
    if isinstance(container, YamlMap):
        return container.line_of(key)
    if isinstance(container, YamlList):
        return container.line_of(key)
    return None


_TAB_HINT = "Er staat een tab. Gebruik alleen spaties om in te springen."
_INDENT_HINT = (
    "De inspringing klopt niet: zet deze regel precies even ver in als de andere velden "
    "van hetzelfde niveau (alleen spaties)."
)
# Needles for both parsers: PyYAML's own and libyaml's (CSafeLoader) word errors differently.
_YAML_HINTS = (
    ("found character '\\t'", _TAB_HINT),
    ("tab character", _TAB_HINT),
    (
        "mapping values are not allowed",
        "Er staat een dubbele punt (:) midden in een tekst. Zet de hele tekst tussen "
        'aanhalingstekens ("...") of gebruik een blok met | .',
    ),
    (
        "could not find expected ':'",
        "Achter een veldnaam hoort een dubbele punt, bijvoorbeeld 'answer: ...'.",
    ),
    (
        "expected <block end>",
        "De inspringing klopt niet: zet deze regel precies even ver in als de regels "
        "van hetzelfde niveau.",
    ),
    (
        "did not find expected key",
        "De inspringing klopt niet, of een tekst met een aanhalingsteken is niet afgesloten.",
    ),
    (
        "did not find expected '-' indicator",
        "Een lijstregel moet beginnen met '- ' op dezelfde inspringing als de andere.",
    ),
    ("found unexpected end of stream", "Een aanhalingsteken (\" of ') is niet afgesloten."),
    ("could not determine a constructor", "Gebruik geen YAML-tags zoals !!python: alleen tekst."),
)


_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks


def _last_line(text: str) -> int:
    """The number of the last line with text, counted the way the YAML parser counts."""
    return len(_LINE_BREAK.findall(text.rstrip())) + 1


def _line_at(text: str, mark: yaml.Mark | None) -> str | None:
    lines = text.splitlines()
    return lines[mark.line] if mark is not None and mark.line < len(lines) else None


def _misplaced_key(line: str, column: int) -> bool:
    """True when the colon the parser stumbled on ends a field name, not a text.

    '      question: ...' (one word before the colon) is a field indented wrongly;
    'question: Let op: ...' has a colon inside the text.
    """
    before = line[:column].strip().removeprefix("- ").strip()
    return bool(before) and " " not in before and ":" not in before


def _hint_for(error: yaml.YAMLError, text: str = "") -> str:
    message = str(error)
    mark = getattr(error, "problem_mark", None)
    line = _line_at(text, mark)
    if line is not None and mark is not None:
        indent = line[: len(line) - len(line.lstrip())]
        if "\t" in indent or line[mark.column : mark.column + 1] == "\t":
            return _TAB_HINT
        if "mapping values are not allowed" in message and _misplaced_key(line, mark.column):
            return _INDENT_HINT
        if "expected '-' indicator" in message and not line.lstrip().startswith("-"):
            return _INDENT_HINT
    for needle, hint in _YAML_HINTS:
        if needle in message:
            return hint
    return "Vergelijk deze regel met een entry die wel werkt; let op inspringing en dubbele punten."


# -- reading a file: only a regular file inside the folder, and not too much of it --------------

MAX_FILE_BYTES = 2_000_000  # per file; the 10,000-phrasing benchmark FAQ is 0.8 MB
MAX_FOLDER_BYTES = 4_000_000  # all files of one knowledge folder together
MAX_DEPTH = 20  # nested blocks and lists; the knowledge itself needs 4


@dataclass
class ReadBudget:
    """The bytes one load may still read, so many files cannot add up to too much."""

    left: int = MAX_FOLDER_BYTES


class _Refused(Exception):
    """A file the bot will not read or parse; the text is for volunteers."""

    def __init__(self, line: int | None, message: str, hint: str) -> None:
        super().__init__(message)
        self.line, self.message, self.hint = line, message, hint


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",") + " MB"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "een map"
    if stat.S_ISFIFO(mode):
        return "een pijp (fifo)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "een apparaat"
    if stat.S_ISSOCK(mode):
        return "een socket"
    return "geen gewoon bestand"


def _read_regular(path: Path, root: Path | None, budget: ReadBudget) -> bytes:
    """The bytes of a regular file inside ``root``, at most the limits; never blocks.

    A FIFO or a device named *.yaml would block the reading thread or never end, and a link
    out of the folder would show another file's lines to volunteers and admins: both are
    refused before they are opened. The file is opened non-blocking and checked again, in
    case it was swapped in between.
    """
    if root is not None:
        real, inside = os.path.realpath(path), os.path.realpath(root)
        if os.path.commonpath([real, inside]) != inside:
            raise _Refused(
                1,
                f"Dit is een link naar een bestand buiten de map '{Path(root).name}'. "
                "Zo'n bestand leest de bot niet.",
                "Zet hier een gewoon bestand neer in plaats van een link.",
            )
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise _Refused(
            1,
            f"Dit is {_kind(info.st_mode)}, geen gewoon tekstbestand; de bot leest het niet.",
            "Haal het weg, of zet er een gewoon YAML-bestand voor in de plaats.",
        )
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Refused(1, f"Dit is {_kind(info.st_mode)}, geen gewoon tekstbestand.", "")
        limit = min(MAX_FILE_BYTES, budget.left)
        raw = file.read(limit + 1) if info.st_size <= limit else b""
        size = max(info.st_size, len(raw))
    if size > MAX_FILE_BYTES:
        raise _Refused(
            1,
            f"Dit bestand is te groot ({_megabytes(size)}); de bot leest hoogstens "
            f"{_megabytes(MAX_FILE_BYTES)} per bestand.",
            "Verdeel de vragen over meer bestanden in faq/, of haal weg wat er niet in hoort.",
        )
    if size > budget.left:
        raise _Refused(
            1,
            f"Met dit bestand zijn de bestanden samen te groot; de bot leest hoogstens "
            f"{_megabytes(MAX_FOLDER_BYTES)} uit de hele map.",
            "Haal weg wat er niet in hoort, zoals oude kopieën of grote bestanden.",
        )
    budget.left -= size
    return raw


def read_yaml(
    path: Path,
    shown_as: str,
    problems: ProblemList,
    root: Path | None = None,
    budget: ReadBudget | None = None,
) -> Any | None:
    """Parse ``path``; on any failure record a problem and return None.

    ``root`` is the knowledge folder: a file whose real place is outside it is refused.
    """
    try:
        raw = _read_regular(path, root, budget or ReadBudget())
    except _Refused as refused:
        problems.error(shown_as, refused.line, refused.message, refused.hint)
        return None
    except OSError as exc:
        problems.error(shown_as, None, f"Het bestand kan niet gelezen worden ({exc.strerror}).")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.error(
            shown_as,
            line,
            "Het bestand is niet opgeslagen als UTF-8 (een teken als é of ë is verkeerd bewaard).",
            "Sla het bestand op met codering UTF-8 (in de meeste editors: Opslaan als → UTF-8).",
        )
        return None
    text = text.removeprefix("\ufeff")
    try:
        return _parse(text, shown_as, problems)
    except _Refused as refused:
        problems.error(shown_as, refused.line, refused.message, refused.hint)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # libyaml puts an error at the end of a file without a final newline one line
        # past the last one; point at the last line with text instead.
        line = min(mark.line + 1, _last_line(text)) if mark else None
        reason = exc.problem or "ongeldige YAML"
        problems.error(shown_as, line, f"De YAML klopt hier niet ({reason}).", _hint_for(exc, text))
        return None
    except yaml.reader.ReaderError as exc:
        # A control character (often pasted from a word processor); no mark, only a position.
        line = text[: exc.position].count("\n") + 1
        problems.error(
            shown_as,
            line,
            f"Er staat een onzichtbaar stuurteken in de tekst (code {exc.character:#x}).",
            "Typ deze regel opnieuw in plaats van hem te plakken.",
        )
        return None
    except yaml.YAMLError as exc:
        problems.error(shown_as, None, f"De YAML klopt niet ({exc}).", _hint_for(exc, text))
        return None


# -- parsing: from the parser's events, without recursion, anchors or aliases -------------------

_PLAIN_TAGS = {
    yaml.MappingStartEvent: yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    yaml.SequenceStartEvent: yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
}
_NO_VALUE = object()


@dataclass
class _Open:
    """A block or list being read; for a block, the key waiting for its value."""

    container: YamlMap | YamlList
    key: Any = _NO_VALUE
    key_line: int = 0


def _reference_refused(event: yaml.Event) -> _Refused:
    sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
    name = str(event.anchor)[:40]
    return _Refused(
        event.start_mark.line + 1,
        f"Hier staat een YAML-verwijzing ({sign}{name}). Die gebruikt de kennis niet, dus "
        "de bot leest dit bestand niet.",
        "Schrijf de tekst helemaal uit. Begint een tekst met * of &, zet hem dan tussen "
        'aanhalingstekens ("...").',
    )


def _parse(text: str, shown_as: str, problems: ProblemList) -> Any:
    """The data of a one-document YAML text, built from the parser's events.

    PyYAML's composer expands every alias, so 342 bytes of nested aliases grow into
    gigabytes, and builds nested blocks by recursion, which a self-reference or a few
    hundred levels turn into a RecursionError. Knowledge needs neither: anchors and aliases
    are refused, nesting is limited to MAX_DEPTH, and the data is built with a stack.
    """
    loader = _LOADER(text)
    try:
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            return None
        document = loader.get_event()
        data = _build(loader, shown_as, problems)
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            extra = loader.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                document.start_mark,
                "but found another document",
                extra.start_mark,
            )
        return data
    finally:
        loader.dispose()


def _build(loader: Any, shown_as: str, problems: ProblemList) -> Any:
    """Build one node (the document's) from the events, with a stack instead of recursion."""
    scalars = yaml.constructor.SafeConstructor()
    stack: list[_Open] = []
    while True:
        event = loader.get_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _reference_refused(event)
        line = event.start_mark.line + 1
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if event.tag not in (None, "!", _PLAIN_TAGS[type(event)]):
                # The safe constructor refuses tags such as !!python/object on a text;
                # blocks and lists are built here instead, so refuse them here in the same way.
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"could not determine a constructor for the tag {event.tag!r}",
                    event.start_mark,
                )
            if len(stack) >= MAX_DEPTH:
                raise _Refused(
                    line,
                    f"Hier zitten meer dan {MAX_DEPTH} blokken of lijsten in elkaar; zo diep "
                    "gaat de kennis nooit.",
                    "Vergelijk met een vraag die wel werkt: waarschijnlijk staan er te veel "
                    "[ { of streepjes, of springt de tekst te ver in.",
                )
            container: YamlMap | YamlList
            if isinstance(event, yaml.MappingStartEvent):
                container = YamlMap()
                container.key_lines = {}
            else:
                container = YamlList()
                container.item_lines = []
            container.line = line
            stack.append(_Open(container))
            continue
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            value: Any = stack.pop().container
            line = value.line
        elif isinstance(event, yaml.ScalarEvent):
            value = _scalar(event, loader, scalars, shown_as, problems)
        else:  # the parser emits nothing else inside a document
            raise yaml.composer.ComposerError(None, None, "unexpected event", event.start_mark)
        if not stack:
            return value
        _add(stack[-1], value, line, shown_as, problems)


def _scalar(
    event: yaml.ScalarEvent, loader: Any, scalars: Any, shown_as: str, problems: ProblemList
) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
    try:
        return scalars.construct_object(node, deep=True)
    except (ValueError, OverflowError):
        # PyYAML sees a date in '2026-13-45' and then fails to build it.
        problems.error(
            shown_as,
            event.start_mark.line + 1,
            f"'{event.value}' ziet eruit als een datum, maar die bestaat niet.",
            "Schrijf een bestaande datum als jjjj-mm-dd, bijvoorbeeld 2026-11-25.",
        )
        return None


_SKIP = object()  # the value of a key that is not a text: read, then left out


def _add(parent: _Open, value: Any, line: int, shown_as: str, problems: ProblemList) -> None:
    """Put a finished value into the block or list around it."""
    container = parent.container
    if isinstance(container, YamlList):
        container.append(value)
        container.item_lines.append(line)
        return
    if parent.key is _NO_VALUE:
        if isinstance(value, str | int | bool) and value is not None:
            parent.key, parent.key_line = str(value), line
        else:
            problems.error(shown_as, line, "Een veldnaam moet gewone tekst zijn.")
            parent.key = _SKIP
        return
    key, parent.key = parent.key, _NO_VALUE
    if key is _SKIP:
        return
    if key in container:
        problems.error(
            shown_as,
            parent.key_line,
            f"Het veld '{key}' staat hier twee keer (ook op regel {container.key_lines[key]}).",
            "Haal een van de twee weg; anders telt alleen de laatste.",
        )
    container[key] = value
    container.key_lines[key] = parent.key_line
