"""Read one YAML file safely, keeping the line of every value for clear error messages.

PyYAML's plain ``safe_load`` forgets where a value stood and silently keeps the last of
two equal keys; volunteers need both: a line to look at and a warning about the duplicate.
"""

from __future__ import annotations

import re
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


def read_yaml(path: Path, shown_as: str, problems: ProblemList) -> Any | None:
    """Parse ``path``; on any failure record a problem and return None."""
    try:
        raw = path.read_bytes()
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
        node = yaml.compose(text, Loader=_LOADER)
        if node is None:
            return None
        return _build(node, shown_as, problems, yaml.constructor.SafeConstructor())
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


_PLAIN_TAGS = {
    yaml.MappingNode: yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    yaml.SequenceNode: yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
}


def _build(node: yaml.Node, shown_as: str, problems: ProblemList, scalars: Any) -> Any:
    plain_tag = _PLAIN_TAGS.get(type(node))
    if plain_tag is not None and node.tag != plain_tag:
        # The safe constructor refuses tags such as !!python/object on a text; blocks and
        # lists are built here instead, so refuse them here in the same way.
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"could not determine a constructor for the tag {node.tag!r}",
            node.start_mark,
        )
    if isinstance(node, yaml.MappingNode):
        result = YamlMap()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = _build(key_node, shown_as, problems, scalars)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | bool) or key is None:
                problems.error(shown_as, line, "Een veldnaam moet gewone tekst zijn.")
                continue
            key = str(key)
            if key in result:
                problems.error(
                    shown_as,
                    line,
                    f"Het veld '{key}' staat hier twee keer "
                    f"(ook op regel {result.key_lines[key]}).",
                    "Haal een van de twee weg; anders telt alleen de laatste.",
                )
            result[key] = _build(value_node, shown_as, problems, scalars)
            result.key_lines[key] = line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = YamlList(_build(item, shown_as, problems, scalars) for item in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [item.start_mark.line + 1 for item in node.value]
        return items
    try:
        return scalars.construct_object(node, deep=True)
    except (ValueError, OverflowError):
        # PyYAML sees a date in '2026-13-45' and then fails to build it.
        problems.error(
            shown_as,
            node.start_mark.line + 1,
            f"'{node.value}' ziet eruit als een datum, maar die bestaat niet.",
            "Schrijf een bestaande datum als jjjj-mm-dd, bijvoorbeeld 2026-11-25.",
        )
        return None
